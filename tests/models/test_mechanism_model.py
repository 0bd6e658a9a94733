"""Model files of kind ``mechanism``: schema, type spaces, round trips and every bad input."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

import datamech as dm
from datamech.errors import ModelError
from datamech.models.distributions import Exponential, Uniform
from datamech.models.io import from_dict
from datamech.models.mechanism import create, discretize_law, linear_form, requirement

SINGLE = {
    "model": {"kind": "mechanism", "objective": "revenue"},
    "outcomes": {"preset": "single_item"},
    "agents": [
        {
            "name": "bidder",
            "count": 2,
            "family": "discrete",
            "values": [1, 2],
            "probs": ["1/2", "1/2"],
        }
    ],
}


def model(**changes):
    data = {
        k: (dict(v) if isinstance(v, dict) else [dict(a) for a in v]) for k, v in SINGLE.items()
    }
    for key, value in changes.items():
        table, _, field = key.partition("__")
        if field:
            if table == "agents":
                data["agents"][0][field] = value
            else:
                data.setdefault(table, {})[field] = value
        else:
            data[table] = value
    return from_dict(data)


# ------------------------------------------------------------------ reading
def test_copies_are_expanded_and_named():
    m = model()
    assert [a.name for a in m.agents] == ["bidder 1", "bidder 2"]
    inst = m.instance()
    assert inst.profiles == 4 and inst.sizes == (2, 2)
    assert inst.agents[0].exact_points[:, 0].tolist() == [1, 2]
    assert inst.agents[0].exact_probs.tolist() == [Fraction(1, 2)] * 2


def test_mixed_exact_and_decimal_entries_are_exact_types():
    m = model(agents__values=["1/4", 0.5, 1], agents__probs=["1/4", "1/4", "1/2"])
    pts = m.instance().agents[0].exact_points[:, 0]
    assert pts.tolist() == [Fraction(1, 4), Fraction(1, 2), Fraction(1)]


def test_float_probabilities_are_read_as_decimals_and_normalized_exactly():
    m = model(agents__values=[1, 2, 3], agents__probs=[0.2, 0.3, 0.5])
    assert m.instance().agents[0].exact_probs.tolist() == [
        Fraction(1, 5),
        Fraction(3, 10),
        Fraction(1, 2),
    ]


def test_condmean_grid_of_a_uniform_law_is_the_cell_midpoints():
    pts, probs = discretize_law(Uniform(0, 1), 5, "condmean", "agents[0]")
    assert np.allclose(pts, [0.1, 0.3, 0.5, 0.7, 0.9])
    assert probs.tolist() == [Fraction(1, 5)] * 5


def test_left_grid_rounds_types_down():
    pts, _ = discretize_law(Uniform(0, 1), 4, "left", "agents[0]")
    assert pts.tolist() == [0.0, 0.25, 0.5, 0.75]


def test_condmean_grid_of_an_exponential_law_has_the_law_mean():
    law = Exponential(Fraction(1, 3))  # mean 3
    pts, probs = discretize_law(law, 40, "condmean", "agents[0]")
    mean = float(sum(p * v for p, v in zip(probs, pts, strict=True)))
    assert mean == pytest.approx(3.0, rel=1e-9)
    assert np.all(np.diff(pts) > 0)


def test_multi_item_product_grid():
    m = create(
        outcomes={"preset": "multi_item", "items": 2},
        agents=[{"item_types": [{"family": "uniform", "low": 0, "high": 1}] * 2}],
        grid={"cells": 3, "scheme": "condmean"},
    )
    a = m.instance().agents[0]
    assert a.points.shape == (9, 2) and a.exact_probs.tolist() == [Fraction(1, 9)] * 9
    assert np.allclose(a.points[:3], [[1 / 6, 1 / 6], [1 / 6, 1 / 2], [1 / 6, 5 / 6]])


def test_default_grid_of_two_items_has_400_types_rounded_down():
    m = create(
        outcomes={"preset": "multi_item", "items": 2},
        agents=[{"item_types": [{"family": "uniform", "low": 0, "high": 1}] * 2}],
    )
    a = m.instance().agents[0]
    assert a.K == 400 and a.points[1].tolist() == [0.0, 0.05]


def test_bilateral_trade_puts_the_buyer_first():
    m = create(
        outcomes={"preset": "bilateral_trade"},
        agents=[
            {"name": "s", "role": "seller", "family": "uniform", "low": 0, "high": 1},
            {"name": "b", "role": "buyer", "family": "uniform", "low": 0, "high": 1},
        ],
    )
    assert [a.role for a in m.agents] == ["buyer", "seller"]


def test_linear_forms():
    f = linear_form("2*revenue - u1/2 + 1", "model.expression", n=2, preset="single_item")
    assert f.coefs == {"revenue": 2, "u1": Fraction(-1, 2)} and f.constant == 1
    r = requirement("x1 + x2 <= 3/4", "constraints.requirements[0]", n=2, preset="single_item")
    assert r.sense == "<=" and r.form.constant == Fraction(-3, 4)


def test_save_and_load_round_trip(tmp_path):
    m = model(solver={"method": "lp", "exact": True})
    path = dm.save(m, tmp_path / "m.toml")
    back = dm.load(path)
    assert back.solver_options == {"method": "lp", "exact": True}
    assert (
        back.instance().agents[1].exact_points.tolist()
        == m.instance().agents[1].exact_points.tolist()
    )


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "changes, field",
    [
        ({"outcomes": {"preset": "auction"}}, "outcomes.preset"),
        ({"outcomes": {"preset": ["single_item"]}}, "outcomes.preset"),
        ({"outcomes": {}}, "outcomes.preset"),
        ({"model": {"kind": "mechanism", "objective": "profit"}}, "model.objective"),
        ({"model": {"kind": "mechanism", "name": True}}, "model.name"),
        ({"model": {"kind": "mechanism", "objective": "expression"}}, "model.expression"),
        ({"agents__probs": ["1/2", "1/4"]}, "agents[0].probs"),
        ({"agents__probs": [0, 1]}, "agents[0].probs"),
        ({"agents__values": [1, float("nan")]}, "agents[0].values"),
        ({"agents__role": "seller"}, "agents[0].role"),
        ({"agents__count": 0}, "agents[0].count"),
        ({"agents__count": True}, "agents[0].count"),
        ({"agents__name": [1]}, "agents[0].name"),
        ({"agents__colour": "red"}, "agents[0].colour"),
        ({"constraints": {"ic": "ex_post"}}, "constraints.ic"),
        ({"constraints": {"budget": {"a": 1}}}, "constraints.budget"),
        ({"constraints": {"requirements": "x1 >= 1"}}, "constraints.requirements"),
        ({"constraints": {"requirements": ["x1 > 0.5"]}}, "constraints.requirements[0]"),
        ({"constraints": {"requirements": ["p1*x1 >= 0"]}}, "constraints.requirements[0]"),
        ({"grid": {"cells": 0}}, "grid.cells"),
        ({"grid": {"cells": 10**9}}, "grid.cells"),
        ({"grid": {"scheme": "random"}}, "grid.scheme"),
        ({"agents": []}, "agents"),
        ({"agents": {"name": "x"}}, "agents"),
        ({"mechanism": {"rule": "vickrey"}}, "mechanism.rule"),
        ({"mechanism": {"rule": "posted_price"}}, "mechanism.price"),
    ],
)
def test_bad_input_names_the_field(changes, field):
    with pytest.raises(ModelError) as err:
        model(**changes)
    assert err.value.field == field or err.value.field.startswith(field + "["), str(err.value)


def test_a_law_with_no_mass_is_refused():
    with pytest.raises(ModelError, match="agents\\[0\\]"):
        model(agents=[{"family": "uniform", "low": 1, "high": 1}])


def test_an_objective_that_is_not_linear_is_refused():
    with pytest.raises(ModelError) as err:
        model(
            model={
                "kind": "mechanism",
                "objective": "expression",
                "expression": "revenue * welfare",
            }
        )
    assert err.value.field == "model.expression" and "not linear" in err.value.problem


def test_an_expression_runs_nothing(tmp_path):
    marker = tmp_path / "owned"
    with pytest.raises(ModelError):
        model(
            model={
                "kind": "mechanism",
                "objective": "expression",
                "expression": f'__import__("os").system("touch {marker}")',
            }
        )
    assert not marker.exists()


def test_all_missing_keys_in_one_line():
    with pytest.raises(ModelError) as err:
        from_dict({"model": {"kind": "mechanism"}})
    assert "outcomes" in str(err.value) and "agents" in str(err.value)


def test_values_beyond_the_documented_range_are_refused():
    with pytest.raises(ModelError, match="agents\\[0\\].high"):
        model(agents=[{"family": "uniform", "low": 0, "high": 1e308}])


def test_table_shape_is_checked():
    with pytest.raises(ModelError) as err:
        create(
            outcomes={"preset": "table", "outcomes": ["a", "b"]},
            agents=[{"probs": [1], "values": [[1, 2, 3]]}],
        )
    assert err.value.field == "agents[0].values"


def test_bilateral_trade_needs_one_buyer_and_one_seller():
    with pytest.raises(ModelError) as err:
        create(
            outcomes={"preset": "bilateral_trade"},
            agents=[{"role": "buyer", "family": "uniform", "low": 0, "high": 1}] * 2,
        )
    assert err.value.field == "agents"


def test_repeated_type_vectors_are_refused():
    with pytest.raises(ModelError) as err:
        create(
            outcomes={"preset": "multi_item"},
            agents=[{"types": [[1, 2], [1, 2]], "probs": ["1/2", "1/2"]}],
        )
    assert err.value.field == "agents[0].types"


def test_too_many_product_types_are_refused_before_allocation():
    m = create(
        outcomes={"preset": "multi_item", "items": 3},
        agents=[{"family": "uniform", "low": 0, "high": 1}],
        grid={"cells": 1000},
    )
    with pytest.raises(ModelError) as err:
        m.instance()
    assert "agents[0]" in err.value.field and math.isfinite(1.0)


def test_laws_come_from_the_shared_reader_expression_laws_included():
    # an agent's law is read by datamech.models.distributions (any family it knows): the
    # density 3 v^2 on [0, 1] written as an expression is the power law F = v^3
    from datamech.models.mechanism import read_model

    def agents(law):
        return {
            "model": {"kind": "mechanism"},
            "outcomes": {"preset": "single_item"},
            "agents": [dict(law, count=2)],
            "grid": {"cells": 8},
        }

    expr = read_model(agents({"family": "expression", "pdf": "3*v**2", "support": [0, 1]}))
    power = read_model(agents({"family": "power", "shape": 3}))
    a, b = expr.instance().agents[0], power.instance().agents[0]
    assert np.allclose(a.points, b.points, atol=1e-12)
    assert a.exact_probs.tolist() == [Fraction(1, 8)] * 8
    # grid 'left': types at the quantiles (k/8)^(1/3)
    assert np.allclose(b.points[:, 0], [(k / 8) ** (1 / 3) for k in range(8)])
