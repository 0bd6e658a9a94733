"""Type laws written as expressions (family = "expression", issue 17).

Known answers are derived by hand in the comments; the equivalence tests compare with
the built-in families, whose code shares nothing with the expression path (closed forms
written per family, scipy laws).
"""

from __future__ import annotations

import math
import threading
import time

import numpy as np
import pytest
import sympy as sp

import datamech as dm
from datamech import ModelError
from datamech.models.distributions import Mixture, Uniform, derivation, from_table, to_table
from datamech.models.distributions.derivation import (
    Budget,
    SymbolicTimeout,
    V,
    call_with_deadline,
)
from datamech.models.io import from_dict
from datamech.status import SOLUTION_PRESENT

v = sp.Symbol("v", real=True)


def law(**table):
    return from_table({"family": "expression", **table}, "buyer")


# ---------------------------------------------------------------- known answers
def test_issue_law_one_minus_one_plus_v_squared():
    # F = 1 - (1+v)^-2: f = 2 (1+v)^-3, (1-F)/f = (1+v)/2, phi = v - (1+v)/2 = (v-1)/2;
    # phi = 0 at v = 1; revenue 1 * (1+1)^-2 = 1/4; phi' = 1/2 > 0: regular
    d = law(cdf="1 - (1 + v)**-2", support=[0, "inf"])
    cf = d.closed_forms()
    assert sp.simplify(cf.virtual_value - (v - 1) / 2) == 0
    assert cf.reserve_price == 1
    assert cf.monopoly_revenue == sp.Rational(1, 4)
    assert sp.simplify(cf.pdf - 2 / (1 + v) ** 3) == 0
    assert cf.regular is True and cf.regularity.startswith("proved symbolically")
    assert d.regular is True
    assert d.reserve_price() == pytest.approx(1.0, abs=1e-12)
    assert d.monopoly_revenue() == pytest.approx(0.25, abs=1e-15)
    assert d.r_law().mean() == pytest.approx(0.25, rel=1e-9)  # E[r] = max revenue (S17)
    # E[V] = int_0^inf (1+v)^-2 dv = 1; the tail ~ v^-2 makes E[V^2] infinite
    assert cf.mean == 1
    assert d.moment(1) == pytest.approx(1.0, rel=1e-12)
    assert d.moment(2) == math.inf
    # E[V^{3/2}] = 2 B(5/2, 1/2) = Gamma(5/2) Gamma(1/2) = 3 pi / 4
    assert d.moment(1.5) == pytest.approx(3 * math.pi / 4, rel=1e-10)
    assert sp.simplify(cf.quantile - (1 / sp.sqrt(1 - derivation.P) - 1)) == 0


def test_issue_law_v_squared():
    # F = v^2 on [0, 1]: f = 2v, phi = v - (1 - v^2)/(2v) = 3v/2 - 1/(2v); phi = 0 at
    # v = 1/sqrt 3; revenue (1/sqrt 3)(1 - 1/3) = 2/(3 sqrt 3)
    d = law(cdf="v**2", support=[0, 1])
    cf = d.closed_forms()
    assert sp.simplify(cf.virtual_value - (3 * v / 2 - 1 / (2 * v))) == 0
    assert sp.simplify(cf.reserve_price - 1 / sp.sqrt(3)) == 0
    assert sp.simplify(cf.monopoly_revenue - 2 / (3 * sp.sqrt(3))) == 0
    assert cf.regular is True
    assert d.reserve_price() == pytest.approx(1 / math.sqrt(3), abs=1e-14)
    assert d.monopoly_revenue() == pytest.approx(2 / (3 * math.sqrt(3)), abs=1e-14)
    # virtual cost c + c^2/(2c) = 3c/2
    assert sp.simplify(cf.virtual_cost - 3 * v / 2) == 0
    assert cf.latex()["virtual_value"] == sp.latex(cf.virtual_value)


def test_pdf_gives_the_cdf():
    d = law(pdf="2*v", support=[0, 1])
    assert sp.simplify(d.closed_forms().cdf - v**2) == 0
    assert d.params() == {"family": "expression", "pdf": "2*v", "support": [0, 1]}
    x = np.linspace(0, 1, 11)
    assert np.allclose(d.cdf(x), x**2, atol=1e-15)


def test_pdf_without_closed_form_cdf_uses_quadrature():
    # the density v e^{-v} (Gamma(2)): F = 1 - (1 + v) e^{-v}; phi root solves
    # v = 1 + 1/v, i.e. v^2 - v - 1 = 0: the golden ratio
    d = law(pdf="v*exp(-v)", support=[0, "inf"])
    x = np.array([0.5, 1.0, 3.0, 10.0])
    assert np.allclose(d.cdf(x), 1 - (1 + x) * np.exp(-x), rtol=1e-12, atol=1e-15)
    assert d.reserve_price() == pytest.approx((1 + math.sqrt(5)) / 2, rel=1e-10)
    assert d.moment(1) == pytest.approx(2.0, rel=1e-10)


def test_erf_law_quantile_and_grid_regularity():
    # F = erf(v) on [0, inf): sympy has no sign proof of phi', so the grid decides
    d = law(cdf="erf(v)", support=[0, "inf"])
    u = np.array([0.1, 0.5, 0.9])
    assert np.allclose(d.cdf(d.quantile(u)), u, atol=1e-14)
    assert d.regular is True
    assert d.regularity.startswith("checked numerically on a grid")


# ---------------------------------------------------------------- equal to the built-ins
PAIRS = [
    pytest.param(
        {"family": "uniform", "low": 0, "high": 1}, {"cdf": "v", "support": [0, 1]}, id="U01"
    ),
    pytest.param(
        {"family": "uniform", "low": 1, "high": 3}, {"pdf": "1/2", "support": [1, 3]}, id="U13-pdf"
    ),
    pytest.param(
        {"family": "exponential", "rate": 2},
        {"cdf": "1 - exp(-2*v)", "support": [0, "inf"]},
        id="exp",
    ),
    pytest.param(
        {"family": "exponential", "rate": 1, "low": 2, "high": 5},
        {"cdf": "(1 - exp(-(v - 2)))/(1 - exp(-3))", "support": [2, 5]},
        id="trunc-exp",
    ),
    pytest.param(
        {"family": "pareto", "shape": 3}, {"cdf": "1 - v**-3", "support": [1, "inf"]}, id="pareto"
    ),
    pytest.param({"family": "power", "shape": 2}, {"cdf": "v**2", "support": [0, 1]}, id="power"),
]


@pytest.mark.parametrize("builtin, expr", PAIRS)
def test_law_numbers_equal_the_builtin(builtin, expr):
    a, b = from_table(builtin), law(**expr)
    u = np.linspace(0.001, 0.999, 41)
    x = a.quantile(u)
    for name in ("cdf", "sf_ge", "pdf", "virtual_value", "ironed_virtual_value", "virtual_cost"):
        assert np.allclose(getattr(a, name)(x), getattr(b, name)(x), rtol=1e-10, atol=1e-12), name
    assert np.allclose(a.quantile(u), b.quantile(u), rtol=1e-10, atol=1e-12)
    assert b.reserve_price() == pytest.approx(a.reserve_price(), rel=1e-10)
    assert b.monopoly_revenue() == pytest.approx(a.monopoly_revenue(), rel=1e-10)
    for p in (1, 2, -0.5):
        ma, mb = float(a.moment(p)), float(b.moment(p))
        assert (math.isinf(ma) and math.isinf(mb)) or mb == pytest.approx(ma, rel=1e-10), p
    assert np.allclose(a.partial_mean(x[:-1], x[1:]), b.partial_mean(x[:-1], x[1:]), rtol=1e-9)
    assert b.r_law().mean() == pytest.approx(a.r_law().mean(), rel=1e-10)
    assert b.regular == a.regular and b.cost_regular == a.cost_regular


def _solve(data):
    return dm.solve(from_dict(data))


@pytest.mark.parametrize("builtin, expr", PAIRS[:3] + PAIRS[5:])
@pytest.mark.parametrize("kind", ["offline", "online"])
def test_offline_online_equal_the_builtin(kind, builtin, expr):
    model = {"kind": kind, "alpha": "1/2", "cost": 1}
    e = {"family": "expression", **expr}
    ra = _solve({"model": model, "buyers": [builtin, builtin]})
    rb = _solve({"model": model, "buyers": [e, e]})
    assert rb.objective == pytest.approx(ra.objective, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize(
    "extra, buyer, seller, ebuyer, eseller",
    [
        pytest.param(
            {"alpha": "1/2"},
            {"family": "uniform", "low": 0, "high": 1},
            {"family": "uniform", "low": 1, "high": 2},
            {"cdf": "v", "support": [0, 1]},
            {"cdf": "v - 1", "support": [1, 2]},
            id="B1",
        ),
        pytest.param(
            {"good": "indivisible"},
            {"family": "exponential", "rate": 1},
            {"family": "power", "shape": 2},
            {"cdf": "1 - exp(-v)", "support": [0, "inf"]},
            {"pdf": "2*v", "support": [0, 1]},
            id="indivisible",
        ),
    ],
)
def test_bilateral_equal_the_builtin(extra, buyer, seller, ebuyer, eseller):
    mechanisms = ["first_best", "second_best", "seller_proposing", "buyer_proposing"]
    if extra.get("good") == "indivisible":
        mechanisms.append("posted_price")
    model = {"kind": "bilateral", "mechanism": mechanisms, **extra}
    ra = _solve({"model": model, "buyer": buyer, "seller": seller}).to_dict()
    rb = _solve(
        {
            "model": model,
            "buyer": {"family": "expression", **ebuyer},
            "seller": {"family": "expression", **eseller},
        }
    ).to_dict()
    assert rb["objective"] == pytest.approx(ra["objective"], rel=1e-10)
    for key in ("first_best", "lambda_star"):
        if isinstance(ra.get(key), float):
            assert rb[key] == pytest.approx(ra[key], rel=1e-10, abs=1e-12), key
    assert [m["name"] for m in rb["mechanisms"]] == [m["name"] for m in ra["mechanisms"]]
    for ma, mb in zip(ra["mechanisms"], rb["mechanisms"], strict=True):
        for key in ("gains_from_trade", "budget_surplus", "lower_bound", "price"):
            if isinstance(ma[key], float):
                assert mb[key] == pytest.approx(ma[key], rel=1e-10, abs=1e-12), (ma["name"], key)
        assert mb["checks_ok"] is ma["checks_ok"] is True


def test_infosale_equal_the_builtin():
    data = dm.models.io.read_toml("examples/models/infosale_competition.toml")
    ra = _solve(data)
    data["buyer"] = {"family": "expression", "cdf": "1 - exp(-v)", "support": [0, "inf"]}
    rb = _solve(data)
    assert rb.objective == pytest.approx(ra.objective, rel=1e-10)


def test_mechanism_item_types_accept_expression_laws():
    # two additive items, U[0, 1] each, on a 6 x 6 grid: the same grid and LP either way
    from datamech.models.mechanism import create

    out = {"preset": "multi_item", "items": 2, "valuation": "additive"}
    u = {"family": "uniform", "low": 0, "high": 1}
    e = {"family": "expression", "cdf": "v", "support": [0, 1]}
    a = create(outcomes=out, agents=[{"item_types": [u, u]}], grid={"cells": 6})
    b = create(outcomes=out, agents=[{"item_types": [e, e]}], grid={"cells": 6})
    assert dm.solve(b).objective == pytest.approx(dm.solve(a).objective, rel=1e-10)


def test_mechanism_agents_accept_expression_laws():
    # Myerson with two U[0, 1] bidders on a 20-point grid: the same either way
    from datamech.models.mechanism import create

    a = create(outcomes={"preset": "single_item"}, agents=[{"count": 2, "family": "uniform",
               "low": 0, "high": 1}], grid={"cells": 20})  # fmt: skip
    b = create(outcomes={"preset": "single_item"}, agents=[{"count": 2, "family": "expression",
               "cdf": "v", "support": [0, 1]}], grid={"cells": 20})  # fmt: skip
    assert dm.solve(b).objective == pytest.approx(dm.solve(a).objective, rel=1e-10)


def test_save_and_load_round_trip(tmp_path):
    m = dm.load("examples/models/offline_expression.toml")
    assert to_table(m.buyers[0]) == {
        "family": "expression",
        "cdf": "1 - (1 + v)**-3",
        "support": [0, "inf"],
    }
    path = dm.save(m, tmp_path / "copy.toml")
    again = dm.load(path)
    assert to_table(again.buyers[1]) == to_table(m.buyers[1])
    assert again.buyers[0].reserve_price() == m.buyers[0].reserve_price()


def test_example_file_solves_to_its_closed_form():
    # OFFL = K_c E[(r_1 + r_2)^2] with K_c = (1/2)(1/2) = 1/4 (alpha = 1/2, c = 1), r_1, r_2
    # independent: E[r^2_1] + 2 E[r_1] E[r_2] + E[r_2^2].  Buyer 0, w = 1 + v:
    # E[r_1^2] = (1/3) int_{3/2}^inf (2w - 3)^2 w^-4 dw = 8/27, E[r_1] = 4/27 (S17);
    # buyer 1: E[r_2^2] = int_{1/sqrt 3}^1 (9v^3/2 - 3v + 1/(2v)) dv = ln(3)/4,
    # E[r_2] = 2/(3 sqrt 3)
    want = (8 / 27 + 2 * (4 / 27) * 2 / (3 * math.sqrt(3)) + math.log(3) / 4) / 4
    res = dm.solve(dm.load("examples/models/offline_expression.toml"))
    assert res.status in SOLUTION_PRESENT
    assert abs(res.objective - want) <= res.abserr + 1e-12
    assert res.abserr < 1e-4


def test_mixture_with_an_expression_component():
    m = from_table(
        {
            "family": "mixture",
            "weights": [0.5, 0.5],
            "components": [
                {"family": "expression", "cdf": "v", "support": [0, 1]},
                {"family": "uniform", "low": 0, "high": 1},
            ],
        }
    )
    assert m.cdf(0.25) == pytest.approx(0.25)


# ---------------------------------------------------------------- irregular laws
BIMODAL = "Piecewise((7*v/15, v <= 1), (7/15 + (v - 1)/15, v <= 2), (8/15 + 7*(v - 2)/15, True))"
BIMODAL_MIX = {
    "family": "mixture",
    "weights": ["2/5", "1/5", "2/5"],
    "components": [
        {"family": "uniform", "low": 0, "high": 1},
        {"family": "uniform", "low": 0, "high": 3},
        {"family": "uniform", "low": 2, "high": 3},
    ],
}


def _fine_hull(d, n=200_000):
    """Least concave majorant of (q, q F^{-1}(1-q)) by a monotone-chain scan (independent
    of the PAVA ironing code)."""
    u = (np.arange(n) + 0.5) / n
    pts = np.column_stack([np.append(1 - u, 0.0), np.append((1 - u) * d.quantile(u), 0.0)])
    pts = pts[np.argsort(pts[:, 0])]
    hull: list = []
    for p in pts:
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = hull[-2], hull[-1]
            if (x2 - x1) * (p[1] - y1) - (y2 - y1) * (p[0] - x1) >= 0:
                hull.pop()
            else:
                break
        hull.append(p)
    h = np.array(hull)
    return h[:, 0], h[:, 1]


def test_bimodal_mixture_as_one_expression_is_irregular_and_ironed_like_the_mixture():
    # density 7/15, 1/15, 7/15 on [0,1], (1,2], (2,3]: phi = 2v - 15/7, 2v - 9, 2v - 3,
    # which jumps down from -1/7 to -7 at v = 1
    d = law(cdf=BIMODAL, support=[0, 3])
    mix = from_table(BIMODAL_MIX)
    cf = d.closed_forms()
    assert d.regular is False and cf.regularity.startswith("proved symbolically")
    assert "v = 1" in cf.regularity
    pieces = [(2 * v - sp.Rational(15, 7)), 2 * v - 9, 2 * v - 3]
    for (val, _), want in zip(cf.virtual_value.args, pieces, strict=True):
        assert sp.simplify(val - want) == 0
    q = np.linspace(0.001, 0.999, 400)
    hq, hr = _fine_hull(d)
    ref = np.interp(q, hq, hr)
    assert np.max(np.abs(d.revenue_hull(q) - mix.revenue_hull(q))) < 1e-6
    assert np.max(np.abs(d.revenue_hull(q) - ref)) < 1e-5
    [(a1, b1)] = d.ironing_intervals()
    [(a2, b2)] = mix.ironing_intervals()
    assert b1 == b2 == 2.0 and a1 == pytest.approx(a2, abs=2e-3)
    # reserve: revenue v(1 - F(v)) is largest at the breakpoint v = 2: 2 * 7/15 = 14/15
    assert cf.reserve_price == 2 and cf.monopoly_revenue == sp.Rational(14, 15)
    assert d.r_law().mean() == pytest.approx(14 / 15, rel=1e-12)
    assert mix.r_law().mean() == pytest.approx(14 / 15, rel=1e-12)


def test_smooth_bimodal_exponential_mixture_is_irregular():
    # 1/2 Exp(1) + 1/2 (3 + Exp(1)): on [0, 3) phi = v - e^v - 1, decreasing
    text = "Piecewise((1/2*(1-exp(-v)), v<=3), (1/2*(1-exp(-v)) + 1/2*(1-exp(-(v-3))), True))"
    d = law(cdf=text, support=[0, "inf"])
    mix = Mixture([from_table({"family": "exponential", "rate": 1}),
                   from_table({"family": "exponential", "rate": 1, "low": 3})], [0.5, 0.5])  # fmt: skip
    assert d.regular is False and "proved symbolically" in d.regularity
    q = np.linspace(0.001, 0.999, 300)
    # two quantile grids of 4096 prices: their hulls differ by the grid error, O(grid^-2)
    assert np.max(np.abs(d.revenue_hull(q) - mix.revenue_hull(q))) < 5e-6
    # revenue at the breakpoint 3: 3 (1 + e^-3)/2
    assert d.monopoly_revenue() == pytest.approx(3 * (1 + math.exp(-3)) / 2, rel=1e-12)


@pytest.mark.slow
def test_bimodal_offline_and_online_close_to_the_mixture():
    # both ironed on price ladders (different grids): equal to the grid error
    e = {"family": "expression", "cdf": BIMODAL, "support": [0, 3]}
    for kind, opts in (("offline", {"check": False}), ("online", {})):
        model = {"kind": kind, "alpha": "1/2", "cost": 1}
        ra = dm.solve(from_dict({"model": model, "buyers": [BIMODAL_MIX] * 2}), **opts)
        rb = dm.solve(from_dict({"model": model, "buyers": [e] * 2}), **opts)
        assert rb.objective == pytest.approx(ra.objective, rel=1e-6)


def test_irregular_power_law_is_proved_irregular():
    # F = sqrt(v): phi = 3v - 2 sqrt(v), phi' = 3 - 1/sqrt(v) < 0 for v < 1/9
    d = law(cdf="sqrt(v)", support=[0, 1])
    assert d.regular is False and d.regularity.startswith("proved symbolically")
    assert d.reserve_price() == pytest.approx(
        from_table({"family": "power", "shape": 0.5}).reserve_price()
    )


# ---------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "table, field, words",
    [
        pytest.param(
            {"cdf": "v**2 - v", "support": [0, 1]},
            "buyer.cdf",
            "decreases at v = 0",
            id="decreasing",
        ),
        pytest.param(
            {"cdf": "v + 1/2", "support": [0, "1/2"]}, "buyer.cdf", "F(0) = 0.5", id="start"
        ),
        pytest.param({"cdf": "v/2", "support": [0, 1]}, "buyer.cdf", "F = 0.5 at v = 1", id="end"),
        pytest.param(
            {"cdf": "v/(2*(1 + v))", "support": [0, "inf"]},
            "buyer.cdf",
            "as v -> inf",
            id="end-inf",
        ),
        pytest.param(
            {"cdf": "Piecewise((v/2, v < 1), (1, True))", "support": [0, 2]},
            "buyer.cdf",
            "jumps",
            id="atom",
        ),
        pytest.param(
            {"cdf": "2*v", "support": [0, 1]}, "buyer.cdf", "is not a probability", id="above-1"
        ),
        pytest.param(
            {"pdf": "1 - 2*v", "support": [0, 1]}, "buyer.pdf", "negative at v =", id="pdf<0"
        ),
        pytest.param({"pdf": "v", "support": [0, 1]}, "buyer.pdf", "integrates to 0.5", id="mass"),
        pytest.param(
            {"cdf": "1/2", "support": [0, 1]}, "buyer.cdf", "does not depend on v", id="const"
        ),
        pytest.param(
            {"cdf": "x**2", "support": [0, 1]}, "buyer.cdf", "unknown name 'x'", id="name"
        ),
        pytest.param(
            {"cdf": '__import__("os").system("true")', "support": [0, 1]},
            "buyer.cdf",
            "not allowed",
            id="code",
        ),
        pytest.param(
            {"cdf": "sqrt(v - 1/2)", "support": [0, 1]},
            "buyer.cdf",
            "not a finite real number at v =",
            id="not-real",
        ),
        pytest.param({"cdf": 3, "support": [0, 1]}, "buyer.cdf", "must be a string", id="not-text"),
        pytest.param(
            {"cdf": "v", "pdf": "1", "support": [0, 1]}, "buyer.cdf", "exactly one", id="both"
        ),
        pytest.param({"support": [0, 1]}, "buyer.cdf", "exactly one", id="neither"),
        pytest.param({"cdf": "v"}, "buyer.support", "is required", id="no-support"),
        pytest.param({"cdf": "v", "support": [0]}, "buyer.support", "[low, high]", id="short"),
        pytest.param({"cdf": "v", "support": "0..1"}, "buyer.support", "[low, high]", id="text"),
        pytest.param(
            {"cdf": "v", "support": [1, 1]}, "buyer.support[1]", "must exceed", id="empty"
        ),
        pytest.param({"cdf": "v", "support": [-1, 1]}, "buyer.support[0]", ">= 0", id="negative"),
        pytest.param(
            {"cdf": "v", "support": ["inf", "inf"]}, "buyer.support[0]", "finite", id="inf-low"
        ),
        pytest.param({"cdf": "v", "support": [0, 1e308]}, "buyer.support[1]", "at most", id="huge"),
        pytest.param({"cdf": "v", "support": [0, True]}, "buyer.support[1]", "boolean", id="bool"),
        pytest.param(
            {"cdf": "v", "support": [0, 1], "rate": 1}, "buyer.rate", "unknown key", id="key"
        ),
    ],
)
def test_bad_laws_name_the_field_and_point(table, field, words):
    with pytest.raises(ModelError) as err:
        law(**table)
    assert err.value.field == field
    assert words in str(err.value)


def test_revenue_without_maximum_is_a_model_error():
    # F = v/(1+v): p (1 - F(p)) = p/(1+p) increases to 1, never attained
    d = law(cdf="v/(1 + v)", support=[0, "inf"])
    with pytest.raises(ModelError, match="no reserve price") as err:
        d.reserve_price()
    assert err.value.field == "buyer.cdf"


def test_infinite_moment_names_the_law_in_a_model():
    data = {
        "model": {"kind": "offline", "alpha": "1/2", "cost": 1},  # k = 2 = the tail power
        "buyers": [{"family": "expression", "cdf": "1 - (1 + v)**-2", "support": [0, "inf"]}],
    }
    with pytest.raises(ModelError) as err:
        dm.solve(from_dict(data))
    assert err.value.field == "buyers[0].cdf"
    assert "infinite" in str(err.value)


def test_family_is_listed_in_the_family_error():
    with pytest.raises(ModelError, match="expression"):
        from_table({"family": "expresion", "cdf": "v", "support": [0, 1]})


# ---------------------------------------------------------------- bounded sympy
def test_deadline_interrupts_a_slow_step_and_restores_an_outer_timer():
    import signal

    def spin():
        while True:
            pass

    t0 = time.monotonic()
    with pytest.raises(SymbolicTimeout):
        call_with_deadline(spin, 0.2)
    assert time.monotonic() - t0 < 2
    signal.setitimer(signal.ITIMER_REAL, 30)  # an outer timer (e.g. a caller's deadline)
    old = signal.signal(signal.SIGALRM, lambda *a: None)
    try:
        assert call_with_deadline(sum, 1.0, [1, 2]) == 3
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 25 < left <= 30
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_a_timeout_landing_where_python_cannot_raise_is_retried_and_silent(monkeypatch):
    # the signal lands in a __del__ (as in a weakref callback during sympy's garbage
    # collection): Python reports it to sys.unraisablehook and goes on; the deadline
    # must still stop the step, and print nothing
    import sys

    class SlowDel:
        def __del__(self):
            t = time.monotonic()
            while time.monotonic() - t < 0.3:
                pass

    def step():
        SlowDel()
        while True:
            pass

    seen = []
    monkeypatch.setattr(sys, "unraisablehook", seen.append)
    t0 = time.monotonic()
    with pytest.raises(SymbolicTimeout):
        call_with_deadline(step, 0.05)
    assert time.monotonic() - t0 < 2
    assert seen == []
    assert sys.unraisablehook == seen.append  # restored


def test_budget_labels_a_timeout_and_the_law_falls_back_to_numerics(monkeypatch):
    monkeypatch.setattr(derivation, "STEP_SECONDS", 1e-6)
    budget = Budget(step=1e-6)
    ok, why = budget.run("slow", sp.simplify, V**2)
    assert not ok and why.startswith("skipped") or why.startswith("timed out")
    # a law whose every sympy step is skipped still works, labelled numeric
    monkeypatch.setattr(
        derivation.Budget, "__post_init__", lambda self: setattr(self, "deadline", 0.0)
    )
    d = law(cdf="v**2", support=[0, 1])
    assert d.regularity.startswith("checked numerically")
    assert "quantile" in d.notes
    assert d.reserve_price() == pytest.approx(1 / math.sqrt(3), abs=1e-12)
    assert d.closed_forms().reserve_price is None  # no symbolic reserve: numeric only


def test_a_law_built_off_the_main_thread_matches():
    out = {}

    def build():
        out["law"] = law(cdf="v**2", support=[0, 1])

    t = threading.Thread(target=build)
    t.start()
    t.join()
    d = out["law"]
    assert "main thread" in " ".join(d.notes.values())
    main = law(cdf="v**2", support=[0, 1])
    u = np.linspace(0.01, 0.99, 21)
    assert np.allclose(d.quantile(u), main.quantile(u), rtol=1e-12)
    assert d.regular is True
    assert d.reserve_price() == pytest.approx(main.reserve_price(), rel=1e-10)


def test_uniform_numbers_are_those_of_uniform():
    d = law(cdf="v", support=[0, 1])
    assert d.virtual_value(0.75) == Uniform(0, 1).virtual_value(0.75) == 0.5
