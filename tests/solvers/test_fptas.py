"""Algorithm 4, the FPTAS for continuous valuations (seed 000, §3.3, App. C.4)."""

import json
import math
from fractions import Fraction as F

import numpy as np
import pytest

from datamech import ModelError
from datamech.models.chain_continuous import (
    CustomKernel,
    TiltedKernel,
    TruncatedNormalWalk,
    create_continuous,
)
from datamech.solvers.chain import solve_equilibrium
from datamech.solvers.chain.fptas import (
    discretize,
    grid_points,
    grid_size,
    grid_step,
    solve_fptas,
    transition_matrix,
)


# ---------------------------------------------------------------- the grid (lines 2-8)
def test_grid_of_the_spec_example():
    """eps = 0.01, n = 5, K0 = 1 on [0, 1]: eps0 = 0.01 / 24, L = 2401."""
    step = grid_step(0.01, 5, 1.0, 0.0, 1.0)
    assert step == F(1, 100) / 24 == F(1, 2400)
    assert grid_size(step, 0.0, 1.0) == 2401
    w = grid_points(step, 0.0, 2401)
    assert w[0] == 0.0 and w[-1] == 1.0 and w[1200] == 0.5
    assert np.all(np.diff(w) > 0)


@pytest.mark.parametrize(
    "eps, n, K0, L0, H0, step",
    [
        (0.5, 2, 1.0, 0.0, 1.0, F(1, 24)),  # 0.5 / (4 * 3)
        (3.0, 2, 1.0, 0.0, 1.0, F(1, 12)),  # min(eps, 1) = 1
        (0.2, 1, 0.5, -2.0, 1.0, F(1, 90)),  # (1 + max(0, -L0)) = 3: 0.2 / (4 * 1.5 * 3)
        (0.3, 4, 2.0, -2.0, -1.0, F(3, 20)),  # H0 <= 0: eps / 2
        (3.0, 4, 2.0, -2.0, 0.0, F(3, 2)),  # H0 = 0 is the else branch, no min(eps, 1)
    ],
)
def test_grid_step_formula(eps, n, K0, L0, H0, step):
    assert grid_step(eps, n, K0, L0, H0) == step


def test_grid_size_is_exact_at_integer_quotients():
    # (H0 - L0) / eps0 is an integer in exact arithmetic; floats would give 2.9999...
    assert grid_size(F(1, 10), 0.0, 0.3) == 4
    assert grid_size(F(1, 3), 0, 1) == 4 and grid_size(F(2, 5), 0, 1) == 3


def test_fine_grid_contains_the_coarse_grid_bit_for_bit():
    step = grid_step(0.07, 3, 2.3, -0.3, 0.9)
    coarse = grid_points(step, -0.3, grid_size(step, -0.3, 0.9))
    fine = grid_points(step / 3, -0.3, grid_size(step / 3, -0.3, 0.9))
    assert np.array_equal(fine[::3][: coarse.size], coarse)
    assert coarse[-1] <= 0.9 and fine[-1] <= 0.9


# ---------------------------------------------------------------- discretization (9-12)
def test_transition_rows_are_cell_probabilities():
    k = TruncatedNormalWalk(0.3, support=(0.0, 1.0))
    grid = grid_points(F(1, 8), 0, 9)
    Q = transition_matrix(k, grid, (0.0, 1.0))
    assert Q.shape == (9, 9) and np.all(Q >= 0)
    np.testing.assert_allclose(Q.sum(axis=1), 1.0, atol=1e-14)
    # q(k, l) = F(w_{l+1} | w_k) - F(w_l | w_k); the last cell [w_8, H0] = [1, 1] is empty
    for kk in (0, 3, 8):
        upper = np.append(k.cdf(grid[1:], grid[kk]), 1.0)
        lower = np.concatenate([[0.0], k.cdf(grid[1:], grid[kk])])
        np.testing.assert_allclose(Q[kk], upper - lower, atol=1e-15)
    assert np.all(Q[:, -1] == 0)


def test_transition_matrix_in_blocks_equals_one_shot(monkeypatch):
    import datamech.solvers.chain.fptas as fptas

    k = TiltedKernel(2.0, support=(-1.0, 1.0))
    grid = grid_points(F(1, 50), -1, 101)
    one = transition_matrix(k, grid, (-1.0, 1.0))
    monkeypatch.setattr(fptas, "_BLOCK", 700)  # 6 rows per block
    assert np.array_equal(transition_matrix(k, grid, (-1.0, 1.0)), one)


def test_discretize_shared_and_per_trade_kernels():
    shared = create_continuous(3, (0, 1), TiltedKernel(1.0), start=0.6, mechanism="AVE")
    dm, grid = discretize(shared, F(1, 4))
    assert dm.transition.shape == (5, 5) and dm.start == 2  # 0.6 lies in [0.5, 0.75)
    assert grid.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert dm.mechanism == {"name": "AVE"}
    per = create_continuous(
        3, (0, 1), [TiltedKernel(1.0), TiltedKernel(-1.0), TiltedKernel(1.0)], start=1.0
    )
    dm, _ = discretize(per, F(1, 4))
    assert dm.transition.shape == (3, 5, 5) and dm.start == 4
    assert np.array_equal(dm.transition[0], dm.transition[2])
    assert not np.array_equal(dm.transition[0], dm.transition[1])
    np.testing.assert_allclose(dm.transition.sum(axis=2), 1.0, atol=1e-14)


# ---------------------------------------------------------------- lift (Eq. 26)
@pytest.fixture(scope="module")
def small():
    m = create_continuous(2, (0.0, 1.0), TiltedKernel(1.0), start=0.5, mechanism="AVE")
    return m, solve_fptas(m, epsilon=0.2)


def test_small_case_headline(small):
    m, res = small
    assert res.epsilon0 == pytest.approx(1 / 60) and res.L == 61 and res.K0 == 1.0
    assert res.status == "optimal" and res.method == "fptas" and res.solver == "none"
    assert res.start_index == 30 and res.grid[30] == 0.5
    assert res.social_welfare == res.equilibrium.social_welfare
    assert res.achieved_epsilon <= 0.2
    assert res.achieved_epsilon == max(res.price_violation, res.threshold_violation)
    assert res.worst["violation"] == res.achieved_epsilon
    assert res.check_grid_size == 121


def test_lift_rounds_down(small):
    _, res = small
    u, p, w = res.equilibrium.thresholds, res.equilibrium.prices, res.grid
    for k in (0, 7, 30, 59):
        inside = np.array([w[k], w[k] + 0.5 * res.epsilon0, np.nextafter(w[k + 1], 0)])
        assert np.all(res.threshold(1, inside) == u[1, k])
        assert np.all(res.price(0, inside) == p[0, k])
        assert res.threshold(2, w[k + 1]) == w[k + 1]  # the next cell starts at w_{k+1}
    assert res.threshold(2, 1.0) == w[60] and res.grid_index(1.0) == 60
    assert res.grid_index(0.0) == 0 and res.grid_index(np.array([[0.51]])).shape == (1, 1)
    # s~_n(v) = w_{k(v)} <= v < w_{k(v)} + eps0
    v = np.linspace(0, 1, 997)
    s = res.threshold(2, v)
    assert np.all(s <= v) and np.all(v - s < res.epsilon0)


@pytest.mark.parametrize("bad", [-0.01, 1.0 + 1e-12, math.nan, [0.5, 2.0]])
def test_lift_outside_support_raises(small, bad):
    _, res = small
    with pytest.raises(ModelError) as err:
        res.threshold(1, bad)
    assert err.value.field == "v"


@pytest.mark.parametrize("call", [lambda r: r.threshold(3, 0.5), lambda r: r.price(2, 0.5)])
def test_lift_bad_player_raises(small, call):
    with pytest.raises(ModelError) as err:
        call(small[1])
    assert err.value.field == "i"


def test_result_conversions(small):
    _, res = small
    d = res.to_dict()
    json.dumps(d)
    assert d["grid"] == {"low": 0.0, "high": 1.0, "step": res.epsilon0, "size": 61}
    assert d["equilibrium"]["social_welfare"] == pytest.approx(res.social_welfare)
    full = res.to_dict(arrays=True)
    json.dumps(full)
    assert len(full["grid"]) == 61 and len(full["equilibrium"]["thresholds"]) == 3
    frame = res.to_frame()
    assert frame.shape == (61, 1 + 3 + 2)
    assert frame["threshold_2"].tolist() == res.grid.tolist()


# ---------------------------------------------------------------- the check
def test_check_on_the_same_grid_finds_the_exact_equilibrium():
    """refine = 1: the lifted profile on its own grid is the exact grid equilibrium."""
    kern = TruncatedNormalWalk(1.0)
    m = create_continuous(3, (0, 1), kern, start=0.3, mechanism="TBDS", alpha=0.5)
    res = solve_fptas(m, epsilon=0.5, refine=1)
    assert res.check_grid_size == res.L
    assert res.achieved_epsilon == pytest.approx(0.0, abs=1e-12)


def _continuum_violations(m, res, points):
    """Def 3.6 for n = 2 on the continuum, by direct integration (independent of the solver).

    Player 1 with value v and price c (a grid point, player 2's thresholds are the grid):
    g_1 = v + t_21 c P(v_2 >= c | v).  Player 0 with price c: player 1 accepts iff
    u*(1, k(v_1)) >= c, then resells at p*(1, k(v_1)) and player 2 accepts iff v_2 >= that
    price; the integral over v_1 is done cell by cell with Gauss-Legendre nodes.
    """
    kern = m.kernels[0]
    T = np.asarray(m.reallocation, dtype=float)
    grid = res.grid
    u, p = res.equilibrium.thresholds, res.equilibrium.prices
    edges = np.append(grid, m.support[1])
    x, wts = np.polynomial.legendre.leggauss(12)
    lo, hi = edges[:-1], edges[1:]
    nodes = 0.5 * (hi - lo)[:, None] * (x[None, :] + 1) + lo[:, None]  # (L, 12)
    half = 0.5 * (hi - lo)[:, None] * wts[None, :]
    resale = p[1][:, None] * (1 - kern.cdf(p[1][:, None], nodes))  # p~_1 * P(v_2 >= p~_1)

    cands1 = grid[grid >= 0]
    cands0 = np.unique(u[1][u[1] >= 0])
    accept0 = u[1][None, :] >= cands0[:, None]  # (candidate, cell of v_1)
    worst = 0.0
    for v in points:
        k = int(np.searchsorted(grid, v, side="right") - 1)
        # player 1: every candidate price at once, and the lifted price
        g1 = v + T[1, 1] * cands1 * (1 - kern.cdf(cands1, v))
        own1 = v + T[1, 1] * p[1][k] * (1 - kern.cdf(p[1][k], v))
        # player 0: per cell of v_1, its probability and the expected resale transfer
        mass = kern.cell_masses(edges, np.array([v]))[0]
        J = (half * kern.pdf(nodes, v) * resale).sum(axis=1)
        g0 = v + T[0, 0] * cands0 * (accept0 @ mass) + T[1, 0] * (accept0 @ J)
        acc = u[1] >= p[0][k]
        own0 = v + T[0, 0] * p[0][k] * mass[acc].sum() + T[1, 0] * J[acc].sum()
        for i, gains, own in ((0, g0, own0), (1, g1, own1)):
            best = gains.max() if gains.size else v
            scale = max(1.0, best)
            worst = max(worst, (best - own) / scale, abs(u[i][k] - best) / scale)
        worst = max(worst, abs(grid[k] - v) / max(1.0, v))
    return worst


def test_theorem_3_8_on_the_continuum_and_the_estimate():
    m = create_continuous(2, (0, 1), TruncatedNormalWalk(0.5), start=0.5, mechanism="AVE")
    eps = 0.4
    res = solve_fptas(m, epsilon=eps, refine=4)
    assert res.L == 91  # eps0 = 0.4 / (4 (1 + 2 * 4)) = 1/90
    fine = grid_points(F(1, 360), 0, 361)
    exact_at_fine = _continuum_violations(m, res, fine)
    rng = np.random.default_rng(7)
    exact_random = _continuum_violations(m, res, rng.uniform(0, 1, 100))
    # Theorem 3.8: the lifted profile is an eps-approximate equilibrium on the continuum
    assert max(exact_at_fine, exact_random) <= eps
    # the estimate measures the same thing at the same points, on the fine model
    assert res.achieved_epsilon == pytest.approx(exact_at_fine, rel=0.05)


def test_grid_equilibrium_is_the_discrete_solvers():
    m = create_continuous(2, (-0.5, 1.0), TiltedKernel(1.5), start=0.0, mechanism="RAW")
    res = solve_fptas(m, epsilon=0.3, check=False, tie_break="low")
    dm, _ = discretize(m, grid_step(0.3, 2, m.K0, -0.5, 1.0))
    eq = solve_equilibrium(dm, tie_break="low")
    assert np.array_equal(res.equilibrium.prices, eq.prices)
    assert res.social_welfare == eq.social_welfare and res.achieved_epsilon is None
    assert res.worst is None and res.check_grid_size is None


def test_nonpositive_support_prices_zero():
    """H0 <= 0 (App. C.4's corner case): eps0 = eps/2, prices 0, thresholds w_k(v)."""
    m = create_continuous(3, (-1.0, -0.2), TiltedKernel(1.0), start=-0.5, mechanism="AVE")
    res = solve_fptas(m, epsilon=0.1)
    assert res.epsilon0 == 0.05 and res.L == 17
    assert np.all(res.equilibrium.prices == 0)
    assert np.array_equal(res.equilibrium.thresholds[1], res.grid)
    assert res.transaction_volume == 0 and res.achieved_epsilon <= 0.1


def test_custom_kernel_and_per_trade_kernels_solve():
    uniform = CustomKernel(lambda v, w: np.clip(v, 0, 1), K0=0.5)
    m = create_continuous(2, (0, 1), [uniform, TiltedKernel(0.5)], start=0.5, mechanism="AVE")
    res = solve_fptas(m, epsilon=0.25)
    assert res.K0 == 0.5 and res.achieved_epsilon <= 0.25


def test_welfare_converges_as_epsilon_shrinks():
    """The FPTAS limit: grid welfare settles down as eps -> 0 (differences shrink)."""
    m = create_continuous(2, (0, 1), TiltedKernel(1.0), start=0.5, mechanism="AVE")
    eps = [0.4, 0.2, 0.1, 0.05, 0.025, 0.0125]
    sw = np.array([solve_fptas(m, epsilon=e, check=False).social_welfare for e in eps])
    # not monotone (prices jump between grid points), but within 0.1 eps of the finest
    assert np.all(np.abs(sw[:-1] - sw[-1]) <= 0.1 * np.array(eps[:-1]))
    diffs = np.abs(np.diff(sw))
    assert diffs[-2:].max() < diffs[0] / 4 and diffs[-1] < 1e-3


# ---------------------------------------------------------------- bad inputs
@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"epsilon": 0.0}, "solver.epsilon"),
        ({"epsilon": -1.0}, "solver.epsilon"),
        ({"epsilon": math.nan}, "solver.epsilon"),
        ({"epsilon": "small"}, "solver.epsilon"),
        ({}, "model.epsilon"),  # neither given nor in the model
        ({"epsilon": 0.5, "refine": 0}, "solver.refine"),
        ({"epsilon": 0.5, "refine": 1.5}, "solver.refine"),
        ({"epsilon": 0.5, "tie_break": "random"}, "solver.tie_break"),
        ({"epsilon": 0.5, "tol": -1.0}, "solver.tol"),
        ({"epsilon": 0.5, "check": "yes"}, "solver.check"),
    ],
)
def test_bad_solver_inputs(kwargs, field):
    m = create_continuous(1, (0, 1), TiltedKernel(1.0), start=0.5)
    with pytest.raises(ModelError) as err:
        solve_fptas(m, **kwargs)
    assert err.value.field == field


def test_model_epsilon_is_the_default():
    m = create_continuous(1, (0, 1), TiltedKernel(1.0), start=0.5, epsilon=0.5)
    assert solve_fptas(m).epsilon == 0.5


def test_wrong_model_type():
    from datamech.models.chain import paper_model

    with pytest.raises(ModelError) as err:
        solve_fptas(paper_model(2, n=2), epsilon=0.1)
    assert err.value.field == "model"
