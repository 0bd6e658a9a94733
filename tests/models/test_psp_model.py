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
    assert (m.tie_break, m.schedule, m.max_iterations) == ("proportional", "asynchronous", None)
    assert m.solver_options == {}


@pytest.mark.parametrize(
    "kw, field",
    [
        (dict(supply=[65.0, -1.0]), "sellers.supply[1]"),
        (dict(supply=[65.0, 0.0]), "sellers.supply[1]"),
        (dict(reserve=[0.1, -0.2]), "sellers.reserve[1]"),
        (dict(epsilon=0.0), "epsilon"),
        (dict(epsilon=-0.5), "epsilon"),
        (dict(edges=[[True, False], [False, False]]), "buyers[1].sellers"),
        (dict(tie_break="coin"), "tie_break"),
        (dict(schedule="whenever"), "schedule"),
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
        (lambda d: d["buyers"][0].update(sellers=["s9"]), "buyers[0].sellers[0]"),
        (lambda d: d["buyers"][0].update(sellers=[]), "buyers[0].sellers"),
        (lambda d: d["sellers"][1].update(supply=-3), "sellers[1].supply"),
        (lambda d: d["model"].update(tie_break="first"), "model.tie_break"),
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


def test_route_market_and_participation_cost_round_trip(tmp_path):
    d = _file()
    d["model"]["market"] = "route"
    d["buyers"][1]["participation_cost"] = "1/4"
    m = from_toml(d)
    assert m.market == "route" and m.is_route
    assert m.participation().tolist() == [0.0, 0.25]
    # B reaches every link: its route is both, so its reach is the thinner link (65)
    assert m.reach().tolist() == [65.0, 65.0]
    m2 = dm.load(dm.save(m, tmp_path / "m.toml"))
    assert to_toml(m2) == to_toml(m) and m2.market == "route"
    assert m2.participation_cost.tolist() == [0.0, 0.25]
    # defaults: the data market, no participation cost (not written back)
    plain = from_toml(_file())
    assert plain.market == "substitutes" and plain.participation_cost is None
    assert plain.reach().tolist() == [65.0, 150.0]
    assert all("participation_cost" not in b for b in to_toml(plain)["buyers"])


def test_route_example_loads():
    m = dm.load("examples/models/psp_route.toml")
    assert m.is_route and m.edges.tolist() == [[True, True], [True, False], [False, True]]
    assert m.solver_options == {"remedy": "shadow_price"}


@pytest.mark.parametrize("name", ["psp_cmhk_example.toml", "psp_elastic.toml"])
def test_examples_load(name):
    m = dm.load(f"examples/models/{name}")
    assert isinstance(m, PSPModel) and m.n_buyers == 5 and m.supply.tolist() == [65, 85]


def test_draft_method_model_validates_and_solves():
    m = _model(p_kappa=3.0, initial_price=[1.0, 1.2])
    assert m.needs().tolist() == [50.0, 40.0]
    res = dm.solve(m, method="draft")
    assert res.method == "draft" and res.converged
    with pytest.raises(ModelError, match="solver.winners_per_step"):
        dm.solve(m, method="draft", winners_per_step="some")


# ----------------------------------------------------------------- issue 12 §2: trust
@pytest.mark.parametrize(
    "edit, field, fragment",
    [
        (lambda d: d["buyers"][1]["valuation"].update(family=["quadratic"]),
         "buyers[1].valuation.family", "must be a string, got a list"),
        (lambda d: d["buyers"][1]["valuation"].update(family={"a": 1}),
         "buyers[1].valuation.family", "must be a string"),
        (lambda d: d["buyers"][1].update(valuation={"family": "quadratic"}),
         "buyers[1].valuation", "missing required keys kappa, qbar"),
        (lambda d: d["buyers"][1].update(valuation={"kappa": 1}),
         "buyers[1].valuation.family", "is required"),
        (lambda d: d["buyers"][1].update(valuation=[1]), "buyers[1].valuation", "must be a table"),
        (lambda d: d["buyers"][1]["valuation"].update(kappa=1e308),
         "buyers[1].valuation.kappa", "must be <= 1000000000, got 1e+308"),
        (lambda d: d["buyers"][0]["valuation"].update(w=float("nan")),
         "buyers[0].valuation.w", "must be a finite number"),
        (lambda d: d["buyers"][0]["valuation"].update(w=True),
         "buyers[0].valuation.w", "must be a number, got the boolean true"),
        (lambda d: d["buyers"][0]["valuation"].update(w="x/2"),
         "buyers[0].valuation.w", "must be a number"),
        (lambda d: d["buyers"][0].update(name=True), "buyers[0].name", "must be a string"),
        (lambda d: d["buyers"][0].update(name=[1]), "buyers[0].name", "must be a string"),
        (lambda d: d["sellers"][0].update(name=1), "sellers[0].name", "must be a string"),
        (lambda d: d["buyers"][0].update(sellers=[1]), "buyers[0].sellers[0]", "must be a string"),
        (lambda d: d["buyers"][0].update(sellers="s1"), "buyers[0].sellers", "list of seller"),
        (lambda d: d["model"].update(name=True), "model.name", "must be a string"),
        (lambda d: d["model"].update(epsilon=1e308), "model.epsilon", "must be <= 1000000000"),
        (lambda d: d["model"].update(epsilon="abc"), "model.epsilon", "must be a number"),
        (lambda d: d["model"].update(seed=1e308), "model.seed", "must be <="),
        (lambda d: d["model"].update(seed=0.5), "model.seed", "must be an integer"),
        (lambda d: d["model"].update(max_iterations=0), "model.max_iterations", "must be >= 1"),
        (lambda d: d["model"].update(schedule=["round_robin"]), "model.schedule", "a list"),
        (lambda d: d["model"].update(tie_break=True), "model.tie_break", "must be a string"),
        (lambda d: d["sellers"][0].update(supply=1e308), "sellers[0].supply", "<= 1000000000"),
        (lambda d: d["sellers"][0].update(reserve=float("inf")), "sellers[0].reserve", "finite"),
        (lambda d: d["sellers"][1].update(name="s1"), "sellers[1].name", "used twice"),
        (lambda d: d["buyers"][1].update(name="A"), "buyers[1].name", "used twice"),
        (lambda d: d["buyers"][0].update(need=-1), "buyers[0].need", "must be >= 0"),
        (lambda d: d["sellers"][0].update(fuzz=1), "sellers[0].fuzz", "unknown key"),
        (lambda d: d.update(sellers=["abc"]), "sellers[0]", "must be a table"),
        (lambda d: d["model"].update(market="network"), "model.market", "network"),
        (lambda d: d["model"].update(market=["route"]), "model.market", "must be a string"),
        (lambda d: d["buyers"][0].update(participation_cost=-1),
         "buyers[0].participation_cost", "must be >= 0"),
        (lambda d: d["buyers"][1].update(participation_cost="x"),
         "buyers[1].participation_cost", "must be a number"),
        (lambda d: d["buyers"][1].update(participation_cost=float("inf")),
         "buyers[1].participation_cost", "finite"),
    ],
)  # fmt: skip
def test_bad_values_give_one_model_error_naming_the_field(edit, field, fragment):
    d = _file()
    edit(d)
    with pytest.raises(ModelError) as exc:
        from_toml(d)
    assert exc.value.field == field
    assert fragment in exc.value.problem


def test_exact_and_mixed_numbers_are_read():
    # issue 12 §2: "1/3" was refused in psp; numbers may be ints, floats or "p/q"
    d = _file()
    d["model"]["epsilon"] = "1/10"
    d["sellers"][0].update(supply="130/2", reserve="1/4")
    d["buyers"][1]["valuation"].update(kappa="1/3", qbar=10)
    m = from_toml(d)
    assert m.epsilon == 0.1 and m.supply.tolist() == [65.0, 85.0]
    assert m.reserve.tolist() == [0.25, 0.5]
    assert m.valuations[1].kappa == pytest.approx(1 / 3) and m.valuations[1].qbar == 10.0
    v = make_valuation(
        {"family": "piecewise_linear", "breaks": ["1/2", 1], "slopes": [2, "3/2", 0]}
    )
    assert v.breaks == (0.5, 1.0) and v.slopes == (2.0, 1.5, 0.0)


def test_deprecated_file_names_still_read():
    d = _file()
    d["model"].update(tie_rule="strict", max_rounds=50, mode="draft")
    with pytest.warns(DeprecationWarning) as rec:
        m = from_toml(d)
    said = " ".join(str(w.message) for w in rec)
    assert "tie_break" in said and "max_iterations" in said and "method" in said
    assert (m.tie_break, m.max_iterations, m.solver_options) == ("strict", 50, {"method": "draft"})
    out = to_toml(m)  # written back under the new names
    assert out["model"]["tie_break"] == "strict" and out["model"]["max_iterations"] == 50
    assert "tie_rule" not in out["model"] and out["solver"] == {"method": "draft"}
    d["model"]["tie_break"] = "strict"
    with pytest.raises(ModelError, match="given twice"):
        from_toml(d)
    d = _file()
    d["model"]["mode"] = "draft"
    d["solver"] = {"method": "dynamics"}
    with pytest.warns(DeprecationWarning), pytest.raises(ModelError) as exc:
        from_toml(d)
    assert exc.value.field == "model.mode"


def test_deprecated_constructor_keywords_and_attributes():
    with pytest.warns(DeprecationWarning, match="tie_break"):
        m = _model(tie_rule="lazar_semret")
    assert m.tie_break == "lazar_semret"
    with pytest.warns(DeprecationWarning, match="max_iterations"):
        m = _model(max_rounds=7)
    assert m.max_iterations == 7
    with pytest.warns(DeprecationWarning, match="method"):
        m = _model(mode="draft")
    assert m.solver_options == {"method": "draft"}
    with pytest.warns(DeprecationWarning):
        assert m.mode == "draft" and m.tie_rule == "proportional" and m.max_rounds is None
    with pytest.warns(DeprecationWarning), pytest.raises(ModelError) as exc:
        _model(mode="magic")
    assert exc.value.field == "mode"


def test_draft_defaults_for_need_and_overage_price():
    # need: the cap of a linear-capped valuation, else q̄ (the demand at price 0) capped
    # by the supply the buyer reaches; p^κ: the largest θ'(0)
    E = np.array([[True, False], [True, True], [False, True]])
    vals = (L_(2.0, 7.0), QuadraticValuation(0.1, 40.0), LogValuation(1.0, 1.0))
    m = PSPModel([10.0, 20.0], ("a", "b", "c"), vals, 0.1, edges=E)
    assert m.needs().tolist() == [7.0, 30.0, 20.0]
    assert m.overage_price() == 4.0  # θ_b'(0) = 0.1 · 40
    assert m.with_options(p_kappa=3.5).overage_price() == 3.5


def test_a_huge_graph_is_refused_before_it_is_allocated():
    from datamech.sizes import memory_limit

    vals = (LinearCappedValuation(1.0, 1.0),) * 2000
    with memory_limit(1e-3), pytest.raises(ModelError) as exc:  # 1 MB
        PSPModel(np.ones(1000), tuple(f"b{i}" for i in range(2000)), vals, 0.1)
    assert exc.value.field == "buyers" and "2000 buyers x 1000 sellers" in exc.value.problem


L_ = LinearCappedValuation
