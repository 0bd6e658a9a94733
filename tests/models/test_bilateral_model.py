"""Model files of kind ``bilateral``: reading, writing, validation (spec 003 §4, G15)."""

import pytest

import datamech as dm
from datamech.errors import ModelError
from datamech.models.bilateral import BilateralModel
from datamech.models.distributions import Discrete, Uniform
from datamech.models.io import from_dict

BASE = {
    "model": {"kind": "bilateral", "alpha": "1/2"},
    "buyer": {"family": "uniform", "low": 0, "high": 1},
    "seller": {"family": "uniform", "low": 1, "high": 2},
}


def _with(**changes):
    data = {k: dict(v) for k, v in BASE.items()}
    for key, val in changes.items():
        table, field = key.split("__")
        if val is None:
            data[table].pop(field, None)
        else:
            data[table][field] = val
    return data


def test_examples_load_and_round_trip(tmp_path):
    for name in ("bilateral_b1", "bilateral_indivisible", "bilateral_irregular"):
        m = dm.load(f"examples/models/{name}.toml")
        assert isinstance(m, BilateralModel)
        back = dm.load(dm.save(m, tmp_path / f"{name}.toml"))
        assert back.alpha == m.alpha and back.good == m.good
        assert back.buyer.params() == m.buyer.params()
        assert back.seller.params() == m.seller.params()
        assert back.mechanisms == m.mechanisms and back.profiles == m.profiles


def test_alpha_one_is_indivisible():
    m = from_dict(_with(model__alpha=1))
    assert m.good == "indivisible" and m.alpha == 1
    m = from_dict(_with(model__alpha=None, model__good="indivisible"))
    assert m.good == "indivisible"
    assert "posted_price" in m.selected
    assert "posted_price" not in from_dict(BASE).selected


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"model__alpha": 0}, "model.alpha"),
        ({"model__alpha": 1.5}, "model.alpha"),
        ({"model__alpha": "one"}, "model.alpha"),
        ({"model__alpha": None}, "model.alpha"),
        ({"model__good": "divisible"}, "model.good"),
        ({"model__good": "indivisible"}, "model.alpha"),  # alpha 1/2 with indivisible
        ({"model__mechanism": "vcg"}, "model.mechanism"),
        ({"model__mechanism": "posted_price"}, "model.mechanism"),  # scaling model
        ({"model__mechanism": 3}, "model.mechanism"),
        ({"model__price": 0.5}, "model.price"),  # scaling model
        ({"model__profiles": [[0.5]]}, "model.profiles[0]"),
        ({"model__profiles": [[0.5, -1]]}, "model.profiles[0][1]"),  # the entry is named
        ({"model__profiles": [[0.5, float("nan")]]}, "model.profiles[0][1]"),
        ({"model__profiles": [[2e12, 1.5]]}, "model.profiles[0][0]"),  # outside [0, 1e12]
        ({"model__profiles": [[True, 1.5]]}, "model.profiles[0][0]"),
        ({"model__name": ["B1"]}, "model.name"),  # names are strings (issue 12)
        ({"model__name": True}, "model.name"),
        ({"model__mechanism": ["broker", ["vcg"]]}, "model.mechanism"),
        ({"model__good": ["indivisible"]}, "model.good"),
        ({"model__alpha": True}, "model.alpha"),
        ({"model__alpha": float("inf")}, "model.alpha"),
        ({"model__profiles": "0.5, 1"}, "model.profiles"),
        ({"model__profiles": [[0.5, 0]]}, "model.profiles[0]"),  # c = 0 in the scaling model
        ({"model__extra": 1}, "model.extra"),
        ({"buyer__family": "gamma"}, "buyer.family"),
        ({"seller__low": 0}, "seller.low"),  # G15: E[c^-1] infinite at alpha = 1/2
        ({"seller__low": 3}, "seller.high"),
    ],
)
def test_bad_models(changes, field):
    with pytest.raises(ModelError) as err:
        from_dict(_with(**changes))
    assert err.value.field == field


def test_costs_that_can_be_zero_and_mismatched_discretization():
    data = _with()
    data["seller"] = {"family": "discrete", "values": [0, 1], "probs": [0.5, 0.5]}
    with pytest.raises(ModelError, match="seller.values"):
        from_dict(data)
    data["seller"] = {"family": "discrete", "values": [1, 2, 3], "probs": [0.5, 0.5]}
    with pytest.raises(ModelError, match="seller.probs"):
        from_dict(data)
    data = _with()
    data["buyer"] = {"family": "pareto", "shape": 1.5}  # E[v^2] infinite
    with pytest.raises(ModelError, match="buyer.shape"):
        from_dict(data)
    with pytest.raises(ModelError, match="file.buyers"):
        from_dict({**BASE, "buyers": []})


def test_python_construction():
    m = BilateralModel(Uniform(0, 1), Discrete([1, 2], [0.5, 0.5]), alpha=0.5, mechanisms="broker")
    assert m.selected == ("first_best", "second_best", "broker")
    with pytest.raises(ModelError, match="seller"):
        BilateralModel(Uniform(0, 1), "uniform", alpha=0.5)


def test_solve_options():
    m = from_dict(
        _with(
            model__good="indivisible",
            model__alpha=None,
            model__mechanism="broker",
            seller__low=0,
            seller__high=1,
        )
    )
    with pytest.raises(ModelError, match="solver.tol"):
        dm.solve(m, tol=0.1)
    with pytest.raises(ModelError, match="method"):
        dm.solve(m, method="simplex")
    res = dm.solve(m, checks=False)
    assert res.second_best == pytest.approx(9 / 64) and res.checks == {}
    assert [r["name"] for r in res.mechanisms] == ["first_best", "second_best", "broker"]
    assert "second best" in res.format()
    assert list(res.to_frame()["name"]) == ["first_best", "second_best", "broker"]
