"""PSP model, valuation families (spec §1.4) and model files."""

import math

import cvxpy as cp
import numpy as np
import pytest
import sympy as sp

import datamech as dm
from datamech.errors import ModelError
from datamech.models.psp import PSPModel, from_toml, to_toml
from datamech.models.psp_valuations import (
    LinearCappedValuation,
    LogValuation,
    PiecewiseLinearValuation,
    QuadraticValuation,
    check_elastic,
    make_valuation,
)

VALUATIONS = [
    QuadraticValuation(0.015, 80.0),
    LogValuation(2.0, 5.0),
    PiecewiseLinearValuation([10.0, 25.0], [2.0, 1.0, 0.25]),
    LinearCappedValuation(1.2, 40.0),
]


# ----------------------------------------------------------------- valuations
def test_quadratic_closed_forms():
    # the spec's REG-7/8 surrogate for buyer B: θ'(z) = 1.2 (1 − z/80)
    v = QuadraticValuation(0.015, 80.0)
    assert v.theta_prime0 == pytest.approx(1.2)
    assert v.marginal(40.0) == pytest.approx(0.6)
    assert v.value(40.0) == pytest.approx(0.015 * 40 * (80 - 20))  # κ z (q̄ − z/2) = 36
    assert v.value(100.0) == pytest.approx(0.015 * 80**2 / 2)  # flat after q̄
    assert v.demand(0.6) == pytest.approx(40.0)
    assert v.demand(2.0) == 0.0
    assert v.gamma(80.0) == 0.015


def test_log_closed_forms():
    v = LogValuation(2.0, 5.0)
    assert v.value(5.0) == pytest.approx(2 * math.log(2))
    assert v.marginal(5.0) == pytest.approx(0.2)
    assert v.demand(0.2) == pytest.approx(5.0)
    assert v.gamma(5.0) == pytest.approx(2 / 100)  # w / (a + D)^2


def test_piecewise_linear_closed_forms():
    v = PiecewiseLinearValuation([10.0, 25.0], [2.0, 1.0, 0.25])
    assert v.value(10.0) == 20.0 and v.value(25.0) == 35.0 and v.value(29.0) == 36.0
    assert v.marginal(9.99) == 2.0 and v.marginal(10.0) == 1.0 and v.marginal(30.0) == 0.25
    assert v.demand(1.5) == 10.0 and v.demand(0.5) == 25.0 and v.demand(0.1) == math.inf
    assert v.gamma(30.0) is None


def test_linear_capped_closed_forms():
    v = LinearCappedValuation(1.2, 40.0)
    assert v.value(50.0) == 48.0 and v.marginal(39.0) == 1.2 and v.marginal(40.0) == 0.0
    assert v.demand(1.0) == 40.0 and v.demand(1.2) == 0.0


@pytest.mark.parametrize("v", VALUATIONS, ids=lambda v: v.family)
def test_cvxpy_and_sympy_expressions_agree_with_value(v):
    z = sp.Symbol("z", nonnegative=True)
    expr = v.sympy_expr()
    for x in (0.0, 3.0, 17.5, 40.0, 60.0):
        assert float(expr.subs(z, x)) == pytest.approx(v.value(x), abs=1e-9)
        # the cvxpy expression equals θ on the region an optimum can reach
        if isinstance(v, QuadraticValuation) and x > v.qbar:
            continue
        assert float(v.cvxpy_expr(cp.Constant(x)).value) == pytest.approx(v.value(x), abs=1e-9)
        assert v.cvxpy_expr(cp.Variable()).is_concave()


@pytest.mark.parametrize("v", VALUATIONS, ids=lambda v: v.family)
def test_demand_is_sup_of_marginal_above_price(v):
    zs = np.linspace(0, 80, 8001)
    m = v.marginal(zs)
    for u in (0.05, 0.3, 0.9, 1.1, 1.9):
        above = zs[m > u]
        expected = above.max() if above.size else 0.0
        d = v.demand(u)
        if math.isinf(d):
            assert above.size == zs.size
        else:
            assert d == pytest.approx(expected, abs=0.011)


def test_check_elastic():
    rep = check_elastic(QuadraticValuation(0.015, 80.0), 80.0)
    assert rep.ok and rep.gamma == pytest.approx(0.015)
    rep = check_elastic(LogValuation(2.0, 5.0), 5.0)
    assert rep.ok and rep.gamma == pytest.approx(2 / 100)
    assert not check_elastic(LinearCappedValuation(1.0, 5.0), 10.0).ok
    assert not check_elastic(PiecewiseLinearValuation([10.0], [2.0, 1.0]), 20.0).ok


def test_non_concave_piecewise_linear_is_rejected():
    with pytest.raises(ModelError, match="valuation.slopes.*non-increasing"):
        PiecewiseLinearValuation([10.0], [1.0, 2.0])
    with pytest.raises(ModelError, match=r"buyers\[0\].valuation.slopes"):
        make_valuation(
            {"family": "piecewise_linear", "breaks": [1], "slopes": [1, 2]}, "buyers[0].valuation"
        )


@pytest.mark.parametrize(
    "table, field",
    [
        ({"family": "quadratic", "kappa": -1, "qbar": 3}, "valuation.kappa"),
        ({"family": "log", "w": 1}, "valuation.a"),
        ({"family": "cubic"}, "valuation.family"),
        ({"family": "linear_capped", "price": 1, "cap": 2, "colour": 1}, "valuation.colour"),
    ],
)
def test_bad_valuation_tables(table, field):
    with pytest.raises(ModelError) as exc:
        make_valuation(table)
    assert exc.value.field == field


# ----------------------------------------------------------------- the model
def _model(**kw):
    args = dict(
        supply=[65.0, 85.0],
        buyers=("A", "B"),
        valuations=(LinearCappedValuation(1.0, 50.0), LinearCappedValuation(1.2, 40.0)),
        epsilon=0.01,
    )
    args.update(kw)
    return PSPModel(**args)


def test_defaults():
    m = _model()
    assert m.sellers == ("s1", "s2") and m.reserve.tolist() == [0.01, 0.01]
    assert m.retention.tolist() == [0.0, 0.0] and m.edges.all()
    assert (m.tie_rule, m.mode, m.schedule) == ("proportional", "standard", "asynchronous")


@pytest.mark.parametrize(
    "kw, field",
    [
        (dict(supply=[65.0, -1.0]), "sellers.supply[1]"),
        (dict(supply=[65.0, 0.0]), "sellers.supply[1]"),
        (dict(reserve=[0.1, -0.2]), "sellers.reserve[1]"),
        (dict(epsilon=0.0), "epsilon"),
        (dict(epsilon=-0.5), "epsilon"),
        (dict(edges=[[True, False], [False, False]]), "buyers[1].sellers"),
        (dict(tie_rule="coin"), "tie_rule"),
        (dict(mode="magic"), "mode"),
        (dict(schedule="whenever"), "schedule"),
        (dict(mode="draft"), "p_kappa"),
        (dict(buyers=("A", "A")), "buyers.name"),
    ],
)
def test_bad_models_name_the_field(kw, field):
    with pytest.raises(ModelError) as exc:
        _model(**kw)
    assert exc.value.field == field


def _file():
    return {
        "model": {"kind": "psp", "epsilon": 0.1},
        "sellers": [{"name": "s1", "supply": 65}, {"name": "s2", "supply": 85, "reserve": 0.5}],
        "buyers": [
            {"name": "A", "sellers": ["s1"], "valuation": {"family": "log", "w": 2, "a": 1}},
            {"name": "B", "valuation": {"family": "quadratic", "kappa": 0.1, "qbar": 10}},
        ],
    }


def test_from_toml_and_round_trip(tmp_path):
    m = from_toml(_file())
    assert m.edges.tolist() == [[True, False], [True, True]]
    assert m.reserve.tolist() == [0.1, 0.5]  # default reserve = epsilon
    path = dm.save(m, tmp_path / "m.toml")
    m2 = dm.load(path)
    assert to_toml(m2) == to_toml(m)
    assert m2.valuations == m.valuations


@pytest.mark.parametrize(
    "edit, field",
    [
        (lambda d: d["model"].update(colour=1), "model.colour"),
        (lambda d: d["sellers"][0].update(price=1), "sellers[0].price"),
        (lambda d: d["buyers"][0].update(budget=1), "buyers[0].budget"),
        (lambda d: d["buyers"][0].update(sellers=["s9"]), "buyers[0].sellers"),
        (lambda d: d["buyers"][0].update(sellers=[]), "buyers[0].sellers"),
        (lambda d: d["sellers"][1].update(supply=-3), "sellers.supply[1]"),
        (lambda d: d["model"].update(tie_rule="first"), "tie_rule"),
        (lambda d: d.update(extra={}), "file.extra"),
        (lambda d: d["buyers"][1]["valuation"].update(kappa=0), "buyers[1].valuation.kappa"),
    ],
)
def test_bad_files_name_the_field(edit, field):
    d = _file()
    edit(d)
    with pytest.raises(ModelError) as exc:
        from_toml(d)
    assert exc.value.field == field


@pytest.mark.parametrize("name", ["psp_cmhk_example.toml", "psp_elastic.toml"])
def test_examples_load(name):
    m = dm.load(f"examples/models/{name}")
    assert isinstance(m, PSPModel) and m.n_buyers == 5 and m.supply.tolist() == [65, 85]


def test_draft_mode_model_validates_and_solves():
    m = _model(mode="draft", p_kappa=3.0, initial_price=[1.0, 1.2])
    assert m.needs().tolist() == [50.0, 40.0]
    res = dm.solve(m)
    assert res.mode == "draft" and res.converged
    with pytest.raises(ModelError, match="solver.winners_per_step"):
        dm.solve(m, winners_per_step="some")
