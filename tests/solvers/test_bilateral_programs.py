"""Discretized second-best programs of bilateral data trade (spec §4.3, §6.2 B1-B4).

Reference values: spec §6.2 bilateral table (30-digit quadrature), the Myerson-Satterthwaite
closed form 9/64 with lambda* = 1/2, closed-form first best, and an independent Lagrangian
dual function min_lambda max_z written here in numpy / exact Fractions.
"""

from __future__ import annotations

import math
from fractions import Fraction as Fr

import cvxpy as cp
import numpy as np
import pytest
from scipy import integrate, optimize

from datamech.errors import ModelError, SolverError
from datamech.models.distributions import Discrete, Exponential, Uniform
from datamech.solvers.bilateral.programs import (
    TypeGrid,
    nlp_available,
    second_best_bic,
    second_best_program,
    type_grid,
)

LN2 = math.log(2)
# spec §6.2: (buyer, seller, alpha, SB, lambda*).  The spec's lambda* are slightly off:
# the root of B(lambda) at 30 digits (mpmath quadrature of the §4.3 separable formulas) is
# 0.149172133804 for B1 (spec 0.149171599753), exactly 1/4 for B2 (spec 0.249971984791)
# and exactly 1/6 for B3 (spec 0.166533165887); SB at those roots is 0.0567197698,
# 0.292803487053, 0.296560473912 (spec 0.2928034733, 0.2965604655).
SPEC = {
    "B1": (Uniform(0, 1), Uniform(1, 2), "1/2", 0.0567197698, 0.149172133804),
    "B2": (Uniform(0, 1), Uniform(0, 1), "1/3", 0.292803487053, 0.25),
    "B3": (Uniform(0, 1), Uniform(0, 1), "1/4", 0.296560473912, 1 / 6),
}
# tolerance reached at each K (measured: B1 2.2e-4/5.4e-5/1.3e-5 on GFT, 5.0e-3/9.1e-4/
# 1.4e-4 on lambda; B2 7.8e-3/3.0e-3/1.1e-3 and 6.8e-3/2.4e-3/8.6e-4; B3 3.1e-3/9.6e-4/
# 2.7e-4 and 1.4e-2/1.1e-3/1.1e-3), rounded up
TOL = {
    ("B1", 10): (3e-4, 6e-3),
    ("B1", 20): (7e-5, 1.2e-3),
    ("B1", 40): (2e-5, 2e-4),
    ("B2", 10): (1e-2, 8e-3),
    ("B2", 20): (4e-3, 3e-3),
    ("B2", 40): (1.5e-3, 1.2e-3),
    ("B3", 10): (4e-3, 1.6e-2),
    ("B3", 20): (1.2e-3, 1.5e-3),
    ("B3", 40): (4e-4, 1.5e-3),
}


@pytest.mark.parametrize(("case", "K"), list(TOL))
def test_spec_convergence(case, K):
    buyer, seller, alpha, sb, lam = SPEC[case]
    res = second_best_program(buyer, seller, alpha=alpha, grid=K)
    tg, tl = TOL[case, K]
    assert res.status == "optimal"
    # step allocations are feasible mechanisms of the continuous problem: a lower bound
    assert res.gains_from_trade <= sb + 1e-8
    assert sb - res.gains_from_trade <= tg
    assert abs(res.lambda_star - lam) <= tl
    assert abs(res.budget_surplus) <= 1e-7  # the budget binds (lambda* > 0)
    assert res.grid == (K, K) and res.z.shape == (K, K)


@pytest.mark.parametrize("case", ["B1", "B2"])
def test_nested_refinement_is_monotone(case):
    buyer, seller, alpha, sb, _ = SPEC[case]
    vals = [
        second_best_program(buyer, seller, alpha=alpha, grid=K).gains_from_trade
        for K in (5, 10, 20)
    ]
    assert vals[0] <= vals[1] + 1e-9 <= vals[2] + 2e-9 <= sb + 3e-9


@pytest.mark.slow
@pytest.mark.parametrize(
    ("case", "tg", "tl"), [("B1", 5e-6, 1e-4), ("B2", 5e-4, 4e-4), ("B3", 1e-4, 6e-4)]
)
def test_spec_convergence_k80(case, tg, tl):
    buyer, seller, alpha, sb, lam = SPEC[case]
    res = second_best_program(buyer, seller, alpha=alpha, grid=80)
    assert 0 <= sb - res.gains_from_trade <= tg
    assert abs(res.lambda_star - lam) <= tl


def test_b4_first_best_feasible():
    fb = 7 / 12 * LN2  # spec B4: lambda* = 0, SB = FB, B(0) = 7/24 - ln2/3
    errs = []
    for K in (10, 20, 40):
        res = second_best_program(Uniform(1, 2), Uniform(1, 2), alpha="1/2", grid=K)
        assert abs(res.lambda_star) <= 1e-7
        assert abs(res.budget_surplus - (7 / 24 - LN2 / 3)) <= 2e-3
        errs.append(fb - res.gains_from_trade)
    assert errs[0] <= 4e-4 and errs[1] <= 1e-4 and errs[2] <= 3e-5
    assert all(e >= -1e-8 for e in errs)


@pytest.mark.parametrize(("K", "tol"), [(20, 7e-4), (40, 2e-4), (80, 5e-5)])
def test_indivisible_myerson_satterthwaite(K, tol):
    res = second_best_program(Uniform(0, 1), Uniform(0, 1), good="indivisible", grid=K)
    assert res.solver == "HiGHS" and res.status == "optimal" and res.backend == "cvxpy"
    assert 0 <= 9 / 64 - res.gains_from_trade <= tol
    # K divisible by 4: the trade threshold v - c >= 1/4 lies on the grid; LP dual = 1/2
    assert res.lambda_star == pytest.approx(0.5, abs=1e-9)


def test_uniform_grid_closed_forms():
    g = type_grid(Uniform(0, 1), 5, "buyer")
    j = np.arange(1, 6)
    np.testing.assert_allclose(g.values, (j - 0.5) / 5)
    np.testing.assert_allclose(g.virtual, (2 * j - 1 - 5) / 5)  # = 2 v_mean - 1
    s = type_grid(Uniform(1, 3), 4, "seller")
    np.testing.assert_allclose(s.virtual, 2 * s.values - 1)  # virtual cost 2c - a at means
    np.testing.assert_allclose(s.probs, 0.25)
    graded = type_grid(Uniform(0, 1), 4, "seller", grading=3)
    np.testing.assert_allclose(graded.edges, (np.arange(5) / 4) ** 3)
    np.testing.assert_allclose(graded.virtual, 2 * graded.values)  # still exact for U[0,1]


def test_budget_is_exact_for_step_allocations():
    """The grid budget equals the continuous E[phi^B z - phi^S x] of the step rule."""
    res = second_best_program(Uniform(0, 1), Uniform(1, 2), alpha="1/2", grid=6)
    eb = type_grid(Uniform(0, 1), 6, "buyer").edges
    es = type_grid(Uniform(1, 2), 6, "seller").edges
    bud = 0.0
    for j in range(6):
        for m in range(6):
            ib = integrate.quad(lambda v: 2 * v - 1, eb[j], eb[j + 1])[0]
            is_ = integrate.quad(lambda c: 2 * c - 1, es[m], es[m + 1])[0]  # density 1
            pb, ps = eb[j + 1] - eb[j], es[m + 1] - es[m]
            bud += ib * ps * res.z[j, m] - pb * is_ * res.x[j, m]
    assert bud == pytest.approx(res.budget_surplus, abs=1e-12)


def _dual_scaling(gb, gs, alpha):
    """min_{lambda >= 0} max_{z >= 0} sum P[(v + l phiB) z - (c + l phiS) z^p] (numpy)."""
    p = 1 / alpha
    P = np.outer(gb.probs, gs.probs)

    def g(lam):
        n = gb.values[:, None] + lam * gb.virtual[:, None]
        d = gs.values[None, :] + lam * gs.virtual[None, :]
        z = (np.maximum(n, 0) / (p * d)) ** (1 / (p - 1))
        return float(np.sum(P * (n * z - d * z**p)))

    r = optimize.minimize_scalar(g, bounds=(0, 20), method="bounded", options={"xatol": 1e-10})
    lam = r.x if g(r.x) < g(0.0) else 0.0
    return g(lam), lam


@pytest.mark.parametrize("alpha", [Fr(1, 2), Fr(1, 3)])
def test_scaling_program_equals_lagrangian_dual(alpha):
    gb = type_grid(Uniform(0, 1), 5, "buyer")
    gs = type_grid(Uniform(0, 1), 5, "seller", grading=2)
    res = second_best_program(gb, gs, alpha=alpha)
    val, lam = _dual_scaling(gb, gs, float(alpha))
    assert lam > 0.1
    assert res.gains_from_trade == pytest.approx(val, rel=1e-7)
    assert res.lambda_star == pytest.approx(lam, rel=1e-4)


def test_indivisible_lp_equals_exact_dual():
    """Exact Fractions: min over the breakpoints of lambda of sum P (n - d)_+."""
    K = 4
    vb = [Fr(2 * j - 1, 2 * K) for j in range(1, K + 1)]
    phib = [Fr(2 * j - 1 - K, K) for j in range(1, K + 1)]
    vs, phis = vb, [2 * c for c in vb]  # U[0,1] seller: virtual cost 2c at cell means
    pr = Fr(1, K * K)

    def g(lam):
        return sum(
            pr * max(v + lam * a - c - lam * b, 0)
            for v, a in zip(vb, phib, strict=True)
            for c, b in zip(vs, phis, strict=True)
        )

    bps = {Fr(0)}
    for v, a in zip(vb, phib, strict=True):
        for c, b in zip(vs, phis, strict=True):
            if a != b and (c - v) / (a - b) > 0:
                bps.add((c - v) / (a - b))
    best = min(g(t) for t in bps)
    gb = TypeGrid(np.array(vb, float), np.full(K, 1 / K), np.array(phib, float), "buyer")
    gs = TypeGrid(np.array(vs, float), np.full(K, 1 / K), np.array(phis, float), "seller")
    res = second_best_program(gb, gs, good="indivisible")
    assert res.gains_from_trade == pytest.approx(float(best), abs=1e-12)
    argmins = [t for t in bps if g(t) == best]
    assert min(argmins) - 1e-9 <= res.lambda_star  # a dual solution of the LP
    assert g(Fr(res.lambda_star).limit_denominator(10**6)) == best or res.lambda_star in argmins


def test_discrete_first_best_feasible_exact():
    """Discrete laws as given: B(0) >= 0, so SB = FB = sum p W(v, c) (Lemma C.1)."""
    b = Discrete([1, 2, 3], [Fr(6, 10), Fr(1, 10), Fr(3, 10)])
    s = Discrete([1, 2], [Fr(1, 2), Fr(1, 2)])
    res = second_best_program(b, s, alpha="1/2")
    # W(v, c) = v^2 / (4c) at alpha = 1/2
    fb = sum(
        pb * ps * Fr(v * v, 4 * c)
        for v, pb in zip(b.values, b.probs, strict=True)
        for c, ps in zip(s.values, s.probs, strict=True)
    )
    assert fb == Fr(111, 160)
    assert res.gains_from_trade == pytest.approx(float(fb), rel=1e-8)
    assert abs(res.lambda_star) <= 1e-6
    np.testing.assert_allclose(res.x, np.outer([1, 2, 3], [1, 0.5]) ** 2 / 4, rtol=1e-6)


@pytest.mark.parametrize("good", ["scaling", "indivisible"])
def test_dsic_allocation_is_monotone(good):
    b = Discrete([0, 1, 2, 3], [0.4, 0.3, 0.1, 0.2])  # irregular buyer
    kw = {"alpha": "1/3"} if good == "scaling" else {"good": "indivisible"}
    res = second_best_program(b, Uniform(0, 1), grid=8, **kw)
    assert np.all(np.diff(res.z, axis=0) >= -1e-9)
    assert np.all(np.diff(res.z, axis=1) <= 1e-9)


def needs(solver):
    if solver != "ccp" and not nlp_available(solver):
        pytest.skip(f"{solver} is not installed")


@pytest.mark.parametrize("solver", ["ccp", "ripopt"])
def test_bic_scaling_local_equals_dsic_for_regular(solver):
    needs(solver)
    res = second_best_bic(Uniform(0, 1), Uniform(1, 2), alpha="1/2", grid=8, solver=solver)
    dsic = second_best_program(Uniform(0, 1), Uniform(1, 2), alpha="1/2", grid=8)
    assert res.local and res.incentive == "BIC" and res.status == "local_optimum"
    assert res.method == "bic" and res.solver == solver
    assert res.backend == ("cvxpy" if solver == "ccp" else "pyomo")
    assert res.gains_from_trade >= dsic.gains_from_trade - 1e-9
    assert res.gains_from_trade == pytest.approx(dsic.gains_from_trade, rel=1e-7)
    assert res.upper_bound == pytest.approx(dsic.gains_from_trade, rel=1e-7)  # certified
    assert res.lambda_star == pytest.approx(dsic.lambda_star, rel=1e-4)
    # interim monotonicity holds
    assert np.all(np.diff(res.z @ res.seller_probs) >= -1e-9)
    assert np.all(np.diff(res.buyer_probs @ res.x) <= 1e-9)


@pytest.mark.parametrize("solver", ["ccp", "ripopt"])
def test_bic_irregular_at_least_dsic(solver):
    needs(solver)
    b = Discrete([0, 1, 2, 3], [0.4, 0.3, 0.1, 0.2])
    s = type_grid(Uniform(0, 1), 6, "seller")
    res = second_best_bic(b, s, alpha="1/2", solver=solver)
    dsic = second_best_program(b, s, alpha="1/2")
    assert dsic.gains_from_trade - 1e-9 <= res.gains_from_trade <= res.upper_bound + 1e-8
    lp = second_best_bic(b, s, good="indivisible")
    lpd = second_best_program(b, s, good="indivisible")
    assert not lp.local and lp.status == "optimal" and lp.backend == "cvxpy"
    lp_pyomo = second_best_bic(b, s, good="indivisible", backend="pyomo")
    assert lp_pyomo.solver == "HiGHS" and lp_pyomo.status == "optimal"
    assert lp_pyomo.gains_from_trade == pytest.approx(lp.gains_from_trade, abs=1e-9)
    assert lp.gains_from_trade >= lpd.gains_from_trade - 1e-9


def test_bic_indivisible_lp_myerson_satterthwaite():
    res = second_best_bic(Uniform(0, 1), Uniform(0, 1), good="indivisible", grid=20)
    assert res.gains_from_trade == pytest.approx(0.14, abs=1e-9)  # = DSIC on this grid
    assert res.lambda_star == pytest.approx(0.5, abs=1e-9)


def test_cross_check_lagrangian_root_search():
    core = pytest.importorskip("datamech.solvers.bilateral")
    second_best = getattr(core, "second_best", None)
    if second_best is None:
        pytest.skip("second_best not available")
    lag = second_best(Uniform(0, 1), Uniform(1, 2), alpha="1/2")
    res = second_best_program(Uniform(0, 1), Uniform(1, 2), alpha="1/2", grid=40)
    assert abs(lag.gains_from_trade - res.gains_from_trade) <= 2e-5
    assert abs(lag.lambda_star - res.lambda_star) <= 2e-4
    b = Discrete([1, 2, 3], [Fr(6, 10), Fr(1, 10), Fr(3, 10)])
    s = Discrete([1, 2], [Fr(1, 2), Fr(1, 2)])
    lag = second_best(b, s, alpha="1/2")
    assert second_best_program(b, s, alpha="1/2").gains_from_trade == pytest.approx(
        lag.gains_from_trade, rel=1e-8
    )


def test_result_conversions():
    res = second_best_program(Uniform(0, 1), Uniform(1, 2), alpha="1/2", grid=3)
    d = res.to_dict()
    assert d["grid"] == [3, 3] and len(d["z"]) == 3 and d["incentive"] == "DSIC"
    fr = res.to_frame()
    assert len(fr) == 9 and set(fr.columns) >= {"v", "c", "z", "x"}


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("grid", [0, -3, 2.5, True, (3, 4, 5), "10", (3, 0)])
def test_bad_grid(grid):
    with pytest.raises(ModelError) as e:
        second_best_program(Uniform(0, 1), Uniform(1, 2), alpha="1/2", grid=grid)
    assert e.value.field == "grid"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"values": [1, 2], "probs": [0.5, 0.4], "virtual": [0, 2]}, "buyer.probs"),
        ({"values": [1, 2], "probs": [0.5, 0.5], "virtual": [0, 2, 3]}, "buyer.virtual"),
        ({"values": [[1, 2]], "probs": [0.5, 0.5], "virtual": [0, 2]}, "buyer.values"),
        ({"values": [2, 1], "probs": [0.5, 0.5], "virtual": [0, 2]}, "buyer.values"),
        ({"values": [1, 2], "probs": [1.5, -0.5], "virtual": [0, 2]}, "buyer.probs"),
        ({"values": [1, 2], "probs": [0.5, 0.5], "virtual": [0, np.inf]}, "buyer.virtual"),
        ({"values": ["a", 2], "probs": [0.5, 0.5], "virtual": [0, 2]}, "buyer.values"),
    ],
)
def test_bad_type_grid(kwargs, field):
    with pytest.raises(ModelError) as e:
        TypeGrid(role="buyer", **kwargs)
    assert e.value.field == field


def test_bad_inputs_named():
    gs = type_grid(Uniform(1, 2), 3, "seller")
    with pytest.raises(ModelError, match="buyer"):
        second_best_program(gs, gs, alpha="1/2")  # a seller grid as the buyer
    with pytest.raises(ModelError) as e:
        second_best_program("uniform", gs, alpha="1/2")
    assert e.value.field == "buyer"
    with pytest.raises(ModelError) as e:
        second_best_program(Uniform(0, 1), Uniform(1, 2), alpha=2)
    assert e.value.field == "alpha"
    with pytest.raises(ModelError) as e:
        second_best_program(Uniform(0, 1), Uniform(1, 2), alpha="1/2", good="car")
    assert e.value.field == "good"
    zero = TypeGrid(np.array([0.0, 1.0]), np.array([0.5, 0.5]), np.array([0.0, 2.0]), "seller")
    with pytest.raises(ModelError) as e:  # G15: E[c^{-1}] = inf, the first best is infinite
        second_best_program(Uniform(0, 1), Uniform(0, 1), alpha="1/2")
    assert e.value.field == "seller.low"
    with pytest.raises(ModelError) as e:
        second_best_program(Uniform(0, 1), zero, alpha="1/2")
    assert e.value.field == "seller.values"
    with pytest.raises(ModelError) as e:
        second_best_program(Uniform(0, 1), Uniform(1, 2), alpha="1/2", solver="NOPE")
    assert e.value.field == "solver"
    for kw in ({"solver": "bonmin"}, {"max_iterations": 0}, {"tol": -1.0}):
        with pytest.raises(ModelError) as e:
            second_best_bic(Uniform(0, 1), Uniform(1, 2), alpha="1/2", grid=3, **kw)
        assert e.value.field == next(iter(kw))
    with pytest.raises(ModelError) as e:
        second_best_bic(Uniform(0, 1), Uniform(1, 2), good="indivisible", grid=3, solver="ccp")
    assert e.value.field == "solver"
    with pytest.raises(ModelError) as e:
        type_grid(Uniform(0, 1), 4, "buyer", grading=0)
    assert e.value.field == "grading"


def test_solver_status_is_never_swallowed(monkeypatch):
    monkeypatch.setattr(cp.Problem, "status", property(lambda self: "infeasible"))
    with pytest.raises(SolverError) as e:
        second_best_program(Uniform(0, 1), Uniform(1, 2), alpha="1/2", grid=3)
    assert e.value.status == "infeasible"


def test_graded_ends_and_unbounded_laws():
    g = type_grid(Uniform(0, 1), 4, "buyer", grading=2, ends="high")
    np.testing.assert_allclose(g.edges, 1 - (1 - np.arange(5) / 4) ** 2)
    g = type_grid(Uniform(0, 1), 4, "buyer", grading=2, ends="both")
    t = np.arange(5) / 4
    np.testing.assert_allclose(g.edges, t**2 / (t**2 + (1 - t) ** 2))
    with pytest.raises(ModelError) as e:
        type_grid(Uniform(0, 1), 4, "buyer", ends="middle")
    assert e.value.field == "ends"
    # Exp(1) buyer: buyer cells are exact in the tail too; its top cell has a finite mean
    b = type_grid(Exponential(1), 4, "buyer", grading=3, ends="high")
    assert math.isinf(b.edges[-1]) and np.all(np.isfinite(b.values))
    np.testing.assert_allclose(b.probs @ b.values, 1.0)  # E[v] = 1
    np.testing.assert_allclose(b.probs @ b.virtual, 0.0, atol=1e-12)  # E[phi] = 0 (IR at 0)
    # unbounded seller: the top cell can never trade (virtual cost +inf)
    res = second_best_program(Uniform(0, 1), Exponential(1, low=0.5), alpha="1/2", grid=6)
    assert math.isinf(res.seller_virtual[-1]) and np.all(res.z[:, -1] == 0)


def test_cross_check_unbounded_laws():
    core = pytest.importorskip("datamech.solvers.bilateral")
    second_best = getattr(core, "second_best", None)
    if second_best is None:
        pytest.skip("second_best not available")
    for b, s, a, tg in [
        (Exponential(1), Uniform(1, 2), "1/2", 5e-4),
        (Uniform(0, 1), Exponential(1, low=0.5), "1/2", 3e-4),
    ]:
        lag = second_best(b, s, alpha=a)
        res = second_best_program(b, s, alpha=a, grid=40)
        assert 0 <= lag.gains_from_trade - res.gains_from_trade <= tg
        assert abs(lag.lambda_star - res.lambda_star) <= 3e-3


def test_bic_nlp_solver_missing_or_default():
    if not nlp_available("ipopt"):
        with pytest.raises(ModelError) as e:
            second_best_bic(Uniform(0, 1), Uniform(1, 2), alpha="1/2", grid=3, solver="ipopt")
        assert e.value.field == "solver" and "not installed" in str(e.value)
    res = second_best_bic(Uniform(0, 1), Uniform(1, 2), alpha="1/2", grid=4)
    assert (res.method, res.backend, res.solver) == ("bic", "cvxpy", "ccp")  # the default
    if nlp_available("ipopt") or nlp_available("ripopt"):
        res = second_best_bic(Uniform(0, 1), Uniform(1, 2), alpha="1/2", grid=4, backend="pyomo")
        assert res.backend == "pyomo" and res.solver in ("ipopt", "ripopt")
