"""Best reply, dynamics, centralized benchmark and ε-Nash check (spec §2.7–§3, REG-5..10)."""

import itertools

import numpy as np
import pytest

from datamech.errors import ModelError, SolverError
from datamech.models.psp import PSPModel
from datamech.models.psp_valuations import LinearCappedValuation as L
from datamech.models.psp_valuations import LogValuation
from datamech.models.psp_valuations import QuadraticValuation as Qv
from datamech.solvers.psp import (
    Market,
    best_deviation_value,
    check_eps_nash,
    efficient_allocation,
    market_clearing_price,
    simulate,
    solve_model,
)
from datamech.solvers.psp.dynamics import warm_start

NAMES = ("A", "B", "C", "D", "E")
D = np.array([50.0, 40, 26, 20, 14])
P = np.array([1.0, 1.2, 1.5, 2, 2.2])
RESTRICTED = np.array([[1, 0], [1, 0], [1, 1], [0, 1], [0, 1]], dtype=bool)  # REG-6 graph


def linear(eps=0.1, **kw):
    return PSPModel(
        [65.0, 85.0], NAMES, tuple(L(p, d) for p, d in zip(P, D, strict=True)), eps, **kw
    )


def surrogate(eps=0.1, **kw):
    # REG-7: θ_i(z) = p_i (z − z²/(2 q̄_i)), q̄_i = 2 D_i, i.e. κ_i = p_i / q̄_i
    vals = tuple(Qv(p / (2 * d), 2 * d) for p, d in zip(P, D, strict=True))
    kw.setdefault("reserve", [0.01, 0.01])
    return PSPModel([65.0, 85.0], NAMES, vals, eps, **kw)


# ------------------------------------------------------------------- best reply
def test_reg8_single_seller_lazar_semret_reply():
    # B faces A, C, D, E at their table bids and the reserve (85, 0.01); ε = 0.12
    vals = tuple([L(1, 1)] + [Qv(1.2 / 80, 80)] + [L(1, 1)] * 3)
    m = Market(PSPModel([85.0], NAMES, vals, 0.12, reserve=[0.01]))
    q = np.array([[50.0], [0], [26], [20], [14]])
    p = np.array([[1.0], [0], [1.5], [2], [2.2]])
    qi, pi = m.best_reply(1, q, p)
    # sup G = 80/6 (θ'(z) = 1 where P_B = 1), v = sup G − ε/θ'(0) = 13.3333 − 0.1
    assert qi[0] == pytest.approx(80 / 6 - 0.1, abs=1e-9)
    assert pi[0] == pytest.approx(1.2 * (1 - qi[0] / 80), abs=1e-12)  # w = θ'(v) = 1.0015
    assert pi[0] == pytest.approx(1.0015, abs=1e-9)
    q[1], p[1] = qi, pi
    out = m.outcome(q, p)
    assert out.allocation[1, 0] == pytest.approx(13.233333, abs=1e-6)
    assert out.costs[1, 0] == pytest.approx(13.233333, abs=1e-6)  # A's units displaced at 1
    theta = 1.2 * (qi[0] - qi[0] ** 2 / 160)
    assert out.utility[1] == pytest.approx(theta - qi[0])  # ≈ 1.3332583
    assert out.utility[1] == pytest.approx(1.3332583, abs=1e-7)
    # ε-best: within ε of sup u = 1.2(z − z²/160) − z at z = 80/6, i.e. 4/3
    assert 4 / 3 - out.utility[1] <= 0.12


def _grid_best(m, i, q, p, prices, step):
    """Brute force: the best utility over bids (x_1, .., x_J) on a grid at any grid price."""
    best = 0.0
    grids = [np.arange(0, m.Q[j] + 1e-9, step) if m.E[i, j] else [0.0] for j in range(m.J)]
    for xs in itertools.product(*grids):
        xs = np.array(xs)
        if xs.sum() == 0:
            continue
        for y in prices:
            best = max(best, m.utility(i, xs, np.where(xs > 0, y, 0.0), q, p))
    return best


@pytest.mark.parametrize(
    "seed", [0, pytest.param(1, marks=pytest.mark.slow), pytest.param(2, marks=pytest.mark.slow)]
)
def test_best_reply_is_eps_best_against_brute_force_grid(seed):
    rng = np.random.default_rng(seed)
    vals = (Qv(0.2, 10.0), LogValuation(3.0, 2.0), Qv(0.1, 12.0))
    m = Market(PSPModel([6.0, 4.0], ("a", "b", "c"), vals, 0.05, reserve=[0.1, 0.3]))
    q = np.zeros((3, 2))
    p = np.zeros((3, 2))
    q[1:] = rng.integers(0, 5, (2, 2))
    p[1:] = rng.integers(1, 12, (2, 2)) / 6
    qi, pi = m.best_reply(0, q, p)
    u_reply = m.utility(0, qi, pi, q, p)
    # truthful: the price is θ'(total)
    if qi.sum() > 0:
        assert np.allclose(pi[qi > 0], vals[0].marginal(qi.sum()))
    prices = np.linspace(0, 2.2, 23)
    brute = _grid_best(m, 0, q, p, prices, 0.5)
    assert u_reply >= brute - m.eps - 1e-9
    # and the independent exact search agrees with the grid (to grid resolution)
    sup = best_deviation_value(m, 0, q, p)
    assert brute <= sup + 1e-9 and sup - brute < 0.25
    assert u_reply >= sup - m.eps - 1e-9


# ------------------------------------------------------------------- dynamics
@pytest.mark.parametrize("eps", [0.1, 0.01])
def test_reg9_linear_example_two_passes(eps):
    m = Market(linear(eps, schedule="round_robin"))
    run = simulate(m)
    assert run.converged and run.rounds == 2
    out = m.outcome(run.q, run.p)
    assert out.allocation.sum(axis=1) == pytest.approx(D - eps / P)  # D_i − ε/p_i
    assert out.welfare == pytest.approx(207.8 - 5 * eps)
    assert out.revenue.sum() == pytest.approx(eps * np.sum(D - eps / P))
    if eps == 0.1:
        assert out.revenue.sum() == pytest.approx(14.965455, abs=1e-6)


def test_reg4_final_draft_allocation_is_exact_nash_with_reserve_eps():
    # REG-4: A 25+25, B 40 @ s1, C 26, D 20, E 14 @ s2; nobody excluded: c = r·a
    m = Market(linear(0.01))
    q = np.array([[25.0, 25], [40, 0], [0, 26], [0, 20], [0, 14]])
    p = np.where(q > 0, P[:, None], 0.0)
    out = m.outcome(q, p)
    assert out.costs.sum(axis=1) == pytest.approx([0.5, 0.4, 0.26, 0.2, 0.14])
    chk = check_eps_nash(m, q, p, factor=0.0)
    assert chk.ok and chk.max_violation == pytest.approx(0.0, abs=1e-9)


@pytest.fixture(scope="module")
def eps_sweep():
    out = {}
    for eps in (1.0, 0.5, 0.2):
        m = Market(surrogate(eps, schedule="round_robin"))
        run = simulate(m)
        out[eps] = (m, run, m.outcome(run.q, run.p))
    return out


def test_reg10_properties(eps_sweep):
    w_star = efficient_allocation(surrogate(1.0)).welfare
    losses, rounds = [], []
    for eps, (m, run, out) in eps_sweep.items():
        assert run.converged
        loss = w_star - out.welfare
        assert 0 <= loss <= eps
        active = run.p[run.q > 0]
        assert active.max() - active.min() <= 2 * eps  # price dispersion
        assert check_eps_nash(m, run.q, run.p).ok  # 2ε-Nash, independent search
        losses.append(loss)
        rounds.append(run.rounds)
    assert losses == sorted(losses, reverse=True)  # loss falls as ε falls
    assert rounds == sorted(rounds)  # passes grow as ε falls
    assert rounds[-1] > 2 * rounds[0]


def test_asynchronous_is_seeded_and_converges():
    a = simulate(Market(surrogate(0.5, schedule="asynchronous", seed=3)))
    b = simulate(Market(surrogate(0.5, schedule="asynchronous", seed=3)))
    assert a.converged and a.rounds == b.rounds and np.array_equal(a.q, b.q)


def test_synchronous_schedule_reports_the_cap():
    # all buyers grab the same cheap units together: it oscillates (measured, not assumed)
    run = simulate(Market(surrogate(0.5, schedule="synchronous", max_iterations=30)))
    assert run.rounds == 30 and not run.converged


# ------------------------------------------------------------------- benchmark
def test_reg5_complete_graph_linear():
    b = efficient_allocation(linear(retention=[0.0, 0.0]))
    assert b.welfare == pytest.approx(207.8)
    assert b.z == pytest.approx(D)
    assert np.all((b.prices >= -1e-7) & (b.prices <= 1 + 1e-7))  # degenerate: λ ∈ [0, 1]


def test_reg6_restricted_graph_linear():
    b = efficient_allocation(linear(edges=RESTRICTED))
    assert b.welfare == pytest.approx(182.8)
    assert b.x[:, 0] == pytest.approx([25, 40, 0, 0, 0], abs=1e-6)
    assert b.x[:, 1] == pytest.approx([0, 0, 26, 20, 14], abs=1e-6)
    assert b.prices == pytest.approx([1.0, 0.0], abs=1e-6)


def test_reg7_surrogate_complete_graph_against_closed_form():
    qbar = 2 * D
    u = 150 / np.sum(qbar / P)  # Σ_i q̄_i (1 − u/p_i) = 150
    z = qbar * (1 - u / P)
    w = np.sum(P * (z - z**2 / (2 * qbar)))
    b = efficient_allocation(surrogate())
    assert u == pytest.approx(0.6408597, abs=1e-7)
    assert b.z == pytest.approx(z, abs=1e-5)
    assert b.welfare == pytest.approx(w, abs=1e-6) and w == pytest.approx(159.735526, abs=1e-6)
    assert b.prices == pytest.approx([u, u], abs=1e-6)
    assert b.clearing_price == pytest.approx(u, abs=1e-9)
    # KKT: θ'(z_i) = λ_j on used edges
    marg = P * (1 - b.z / qbar)
    assert marg == pytest.approx(np.full(5, u), abs=1e-5)


def test_reg7_surrogate_restricted_graph():
    qbar = 2 * D
    lam1 = (qbar[0] + qbar[1] - 65) / (qbar[0] / P[0] + qbar[1] / P[1])  # A, B at seller 1
    lam2 = (qbar[2:].sum() - 85) / np.sum(qbar[2:] / P[2:])  # C, D, E at seller 2
    assert lam1 == pytest.approx(0.69) and lam2 == pytest.approx(35 / 67.393939, abs=1e-7)
    b = efficient_allocation(surrogate(edges=RESTRICTED))
    assert b.prices == pytest.approx([lam1, lam2], abs=1e-6)
    assert b.z == pytest.approx([31, 34, 33.996403, 29.613309, 21.390288], abs=1e-5)
    assert b.x[2, 0] == pytest.approx(0.0, abs=1e-5)  # C buys only from seller 2
    assert b.welfare == pytest.approx(159.036646, abs=1e-6)
    # dual feasibility on the unused edge C–s1: θ_C'(z_C) <= λ_1
    assert P[2] * (1 - b.z[2] / qbar[2]) <= lam1 + 1e-6


def test_clearing_price_with_step_demands():
    # linear-capped demands: 150 = 150 at any u < 1 → u* = the reserve
    assert market_clearing_price([L(p, d) for p, d in zip(P, D, strict=True)], 150.0, 0.0) == 0.0
    # with Q = 100 the 50 units of A (price 1) are the marginal ones: u* = 1
    assert market_clearing_price(
        [L(p, d) for p, d in zip(P, D, strict=True)], 100.0
    ) == pytest.approx(1.0)


def test_non_optimal_status_raises(monkeypatch):
    import cvxpy as cp

    def fake_solve(self, *a, **k):
        self._status = "infeasible_inaccurate"

    monkeypatch.setattr(cp.Problem, "solve", fake_solve)
    with pytest.raises(SolverError) as exc:
        efficient_allocation(surrogate())
    assert exc.value.status == "infeasible"  # one status enum (issue 13): infeasible


# ------------------------------------------------------------------- ε-Nash check
def test_nash_check_zero_profile_gap_is_closed_form():
    # alone at the reserve 0.01: buying z costs 0.01 z, sup_z θ(z) − 0.01 z at θ'(z) = 0.01
    m = Market(surrogate(0.1))
    q, p = m.zero_profile()
    v = m.vals[0]
    z = v.demand(0.01)
    assert best_deviation_value(m, 0, q, p) == pytest.approx(v.value(z) - 0.01 * z)
    assert not check_eps_nash(m, q, p).ok


# ------------------------------------------------------------------- entry point
def test_solve_model_reports_everything():
    r = solve_model(surrogate(0.5, schedule="round_robin"))
    d = r.to_dict()
    for key in ("bids", "allocation", "payments", "welfare", "optimal_welfare"):
        assert key in d
    for key in ("efficiency", "rounds", "converged"):
        assert key in d
    assert r.converged and r.status == "evaluated" and r.eps_nash.ok
    assert r.efficiency == pytest.approx(r.welfare / r.optimal_welfare)
    assert 0.99 < r.efficiency <= 1
    assert "efficiency" in r.format()
    assert "<= " in r.format()  # max gain <= 2eps
    assert set(r.to_frame().columns) >= {"buyer", "allocation", "payment"}
    assert set(r.edge_frame().columns) >= {"buyer", "seller", "allocation", "payment"}


def test_a_failed_nash_check_prints_the_true_inequality():
    # stopped after one pass from no bids: buyers can still gain far more than 2eps
    r = solve_model(surrogate(0.5, schedule="round_robin"), max_iterations=1)
    assert not r.converged and r.eps_nash.ok is False
    line = next(x for x in r.format().splitlines() if "2eps-Nash" in x)
    assert "FAILED" in line and " > " in line and "<=" not in line


def test_solve_model_options():
    r = solve_model(surrogate(0.5), schedule="round_robin", tie_break="lazar_semret")
    assert r.tie_break == "lazar_semret" and r.schedule == "round_robin"
    with pytest.raises(ModelError, match="solver.colour"):
        solve_model(surrogate(0.5), colour=1)
    with pytest.raises(ModelError, match="tie_break"):
        solve_model(surrogate(0.5), tie_break="first")


# ------------------------------------------------------------------- fast paths
def _reference_best_reply(m, i, q, p):
    """The committed grid version of the best reply (dense price x seller supply table)."""
    qi, pi = np.zeros(m.J), np.zeros(m.J)
    v, th0 = m.vals[i], m.theta0[i]
    nb, Y, Dm = m.supply_curves(i, q, p)
    Qy = Dm.sum(axis=1)
    vol = float(np.max(np.minimum(Qy, v.demand(Y)))) - m.eps / th0
    if vol <= 1e-12:
        return qi, pi
    k = min(int(np.searchsorted(Qy, vol - 1e-12 * max(1.0, vol))), Y.size - 1)
    below = Dm[k - 1] if k > 0 else np.zeros(nb.size)
    extra = Dm[k] - below
    before = np.concatenate(([0.0], np.cumsum(extra)[:-1]))
    amounts = below + np.clip(max(vol - below.sum(), 0.0) - before, 0.0, extra)
    pos = amounts > 1e-12
    qi[nb[pos]] = amounts[pos]
    pi[nb[pos]] = float(v.marginal(vol))
    return qi, pi


@pytest.mark.parametrize("seed", range(6))
def test_best_reply_matches_the_grid_reference(seed):
    rng = np.random.default_rng(seed)
    n, J = 7, 4
    vals = tuple(Qv(rng.uniform(0.05, 0.3), rng.uniform(5, 20)) for _ in range(n))
    E = rng.random((n, J)) < 0.6
    E[np.arange(n), rng.integers(0, J, n)] = True
    m = Market(PSPModel(rng.uniform(5, 15, J), tuple("abcdefg"), vals, 0.05, edges=E,
                        reserve=rng.uniform(0, 0.5, J)))  # fmt: skip
    q = np.where(E & (rng.random((n, J)) < 0.7), rng.integers(1, 8, (n, J)), 0).astype(float)
    p = np.where(q > 0, rng.integers(1, 10, (n, J)) / 4, 0.0)  # ties on purpose
    for i in range(n):
        got, ref = m.best_reply(i, q, p), _reference_best_reply(m, i, q, p)
        assert np.allclose(got[0], ref[0], atol=1e-9) and np.allclose(got[1], ref[1])


@pytest.mark.parametrize("schedule", ["asynchronous", "round_robin", "synchronous"])
def test_skipping_clean_buyers_changes_nothing(schedule):
    E = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1], [0, 1, 1]], dtype=bool)
    vals = tuple(Qv(0.05 * (k + 1), 10.0 + k) for k in range(5))
    model = PSPModel([8.0, 6.0, 9.0], NAMES, vals, 0.05, edges=E, schedule=schedule,
                     max_iterations=300)  # fmt: skip
    fast = simulate(Market(model))
    slow = simulate(Market(model), skip_clean=False)
    assert fast.rounds == slow.rounds and fast.converged == slow.converged
    assert np.array_equal(fast.q, slow.q) and np.array_equal(fast.p, slow.p)
    assert fast.turns < slow.turns == slow.rounds * 5


def test_warm_start_from_the_optimum_is_already_an_eps_nash():
    m = Market(surrogate(0.05))
    q0, p0 = warm_start(m)
    run = simulate(m, initial=(q0, p0))
    assert run.converged and run.rounds == 1
    assert check_eps_nash(m, run.q, run.p).ok
    res = solve_model(surrogate(0.05), warm_start=True)
    assert res.converged and res.efficiency == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("rule", ["proportional", "lazar_semret", "strict"])
@pytest.mark.parametrize("seed", range(5))
def test_batched_utilities_match_the_reference_auctions(rule, seed):
    # the prefix-sum path (no tie at the candidate's price) and the general path (ties)
    # against Market.utility, which clears every auction with auction.allocate
    rng = np.random.default_rng(seed)
    n, J = 6, 3
    vals = tuple(Qv(rng.uniform(0.05, 0.3), rng.uniform(5, 20)) for _ in range(n))
    m = Market(PSPModel(rng.uniform(5, 15, J), tuple("abcdef"), vals, 0.05, tie_break=rule,
                        reserve=rng.uniform(0, 0.5, J)))  # fmt: skip
    q = np.where(rng.random((n, J)) < 0.7, rng.integers(1, 8, (n, J)), 0).astype(float)
    p = np.where(q > 0, rng.integers(1, 10, (n, J)) / 4, 0.0)
    for i in range(n):
        opp = m.opponents(i, q, p)
        cands = [m.best_reply(i, q, p, opp), (q[i], p[i])]  # p[i] often ties (grid of 1/4)
        cands.append((rng.uniform(0, 6, J), rng.uniform(0, 3, J)))  # no ties
        got = m.utilities(i, opp, cands)
        want = [m.utility(i, qi, pi, q, p) for qi, pi in cands]
        assert got == pytest.approx(want, abs=1e-9)
