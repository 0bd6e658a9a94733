"""The order-book fast path of the PSP dynamics against the reference (Market.turn).

Both compute the same truthful ε-best reply and the same update decision from the same
profile; they differ only in the order of floating-point sums.  The random-market test
replays the reference run turn by turn and requires the books' turn, taken on the same
profile, to give the same reply (to 1e-9) and the same decision at every turn.  Whole
runs are compared on fixed markets only: they can part after a price tie that is exact
in real arithmetic but not in floats.  With quadratic valuations a reply on the demand
branch bids w = y + ε/q̄_i (y an opponent's price), so prices climb sums of the
increments ε/q̄_k and two buyers can reach the same sum in different orders: the
reference then sees e.g. 0.8558311311248775 < 0.8558311311248776 and the books
0.8558311311248785 > 0.8558311311248782 (seed 800 below, round 90), and the two runs
go on from different (equally valid) profiles.  A 1-ulp change of a standing bid also
bumps a seller's version in one path only (seed 0), costing one extra turn.
The synchronous schedule can oscillate without converging, and then multiplies an ulp
difference by ~100 every ~15 passes (measured), so it is compared over short runs only.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from datamech.models.psp import PSPModel
from datamech.models.psp_valuations import LinearCappedValuation as L
from datamech.models.psp_valuations import LogValuation, PiecewiseLinearValuation
from datamech.models.psp_valuations import QuadraticValuation as Qv
from datamech.solvers.psp import Market, check_eps_nash, simulate
from datamech.solvers.psp.books import OrderBooks


def random_market(seed, n, J, eps, schedule="asynchronous", edges=False, log=False, rounds=400):
    rng = np.random.default_rng(seed)
    Q = rng.uniform(5, 15, J)
    th0 = rng.uniform(1, 2, n)
    qbar = rng.uniform(0.5, 1.5, n) * 2 * Q.sum() / n
    vals = [Qv(t / qb, qb) for t, qb in zip(th0, qbar, strict=True)]
    if log:
        vals[0] = LogValuation(2.0, 3.0)  # unbounded demand at 0: the bands hold everything
    E = None
    if edges:
        E = rng.random((n, J)) < 0.6
        E[np.arange(n), rng.integers(0, J, n)] = True
    return PSPModel(
        Q,
        tuple(f"b{k}" for k in range(n)),
        tuple(vals),
        eps,
        reserve=rng.uniform(0.0, 0.3, J),
        edges=E,
        schedule=schedule,
        seed=seed,
        max_iterations=rounds,
    )


def assert_same_run(model):
    m = Market(model)
    fast = simulate(m, fast=True)
    ref = simulate(m, fast=False)
    assert fast.rounds == ref.rounds and fast.converged == ref.converged
    assert fast.turns == ref.turns and fast.messages == ref.messages
    assert fast.updates_curve == ref.updates_curve  # the same buyers moved in every pass
    np.testing.assert_allclose(fast.q, ref.q, rtol=0, atol=1e-9)
    np.testing.assert_allclose(fast.p, ref.p, rtol=0, atol=1e-12)
    assert np.array_equal(fast.q > 0, ref.q > 0)
    return m, fast


@pytest.mark.parametrize("schedule", ["asynchronous", "round_robin", "synchronous"])
def test_fast_path_replays_the_reference_on_a_medium_market(schedule):
    rounds = 40 if schedule == "synchronous" else 400
    m, run = assert_same_run(random_market(1, 12, 4, 0.2, schedule=schedule, rounds=rounds))
    if run.converged:
        assert check_eps_nash(m, run.q, run.p).ok  # independent 2ε-Nash search


def replay_turns(model):
    """Run the reference dynamics; at every turn also take the books' turn on the same
    profile and require the same reply and decision.  Returns (market, run, turns)."""
    m = Market(model)
    q0, p0 = m.zero_profile()
    books = OrderBooks(m, q0, p0)
    seen_q, seen_p = q0.copy(), p0.copy()
    ref_turn = m.turn
    turns = []

    def turn(i, q, p):
        for k in np.flatnonzero((q != seen_q).any(axis=1) | (p != seen_p).any(axis=1)):
            books.refresh(k, seen_q[k].copy(), seen_p[k].copy(), q, p)
        seen_q[:], seen_p[:] = q, p
        qr, pr, br = ref_turn(i, q, p)
        qf, pf, bf = books.turn(i, q, p)
        np.testing.assert_allclose(qf, qr, rtol=0, atol=1e-9)
        np.testing.assert_allclose(pf, pr, rtol=0, atol=1e-12)
        assert np.array_equal(qf > 0, qr > 0)
        assert bf == br
        turns.append(i)
        return qr, pr, br

    m.turn = turn  # simulate(fast=False) calls market.turn
    run = simulate(m, fast=False)
    del m.turn
    return m, run, turns


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 7),
    J=st.integers(1, 4),
    eps=st.sampled_from([0.5, 0.2, 0.1]),
    edges=st.booleans(),
    log=st.booleans(),
    schedule=st.sampled_from(["asynchronous", "round_robin"]),
)
@example(seed=0, n=7, J=4, eps=0.1, edges=True, log=True, schedule="asynchronous")
@example(seed=800, n=7, J=4, eps=0.1, edges=True, log=True, schedule="asynchronous")
def test_fast_turns_replay_the_reference_on_random_small_markets(
    seed, n, J, eps, edges, log, schedule
):
    model = random_market(seed, n, J, eps, schedule=schedule, edges=edges, log=log, rounds=150)
    m, run, turns = replay_turns(model)
    assert len(turns) == run.turns
    fast = simulate(m, fast=True)  # its own run: the same limits, both certified
    assert fast.converged == run.converged
    if fast.converged:
        assert check_eps_nash(m, fast.q, fast.p).ok


def test_a_real_number_price_tie_parts_the_whole_runs():
    # seed 800: both runs agree to ~1e-13 until round 90, where buyers 1 and 6 bid the
    # same price in real arithmetic (w = y + eps/qbar sums in two orders); the float
    # order of the tie differs between the paths and the runs part (98 vs 97 rounds).
    # Both stop at a profile passing the independent 2eps-Nash check.
    m = Market(random_market(800, 7, 4, 0.1, edges=True, log=True, rounds=150))
    ref, fast = simulate(m, fast=False), simulate(m, fast=True)
    assert ref.converged and fast.converged
    assert check_eps_nash(m, ref.q, ref.p).ok and check_eps_nash(m, fast.q, fast.p).ok


def test_fast_turn_matches_reference_turn_on_a_tied_book():
    # integer quantities and a coarse price grid: exact ties at w go to the reference rule
    rng = np.random.default_rng(5)
    n, J = 6, 3
    vals = tuple(L(rng.choice([0.5, 0.75, 1.0]), float(rng.integers(2, 6))) for _ in range(n))
    m = Market(PSPModel([6.0, 5.0, 4.0], tuple("abcdef"), vals, 0.05, reserve=[0.25] * 3))
    q = np.where(rng.random((n, J)) < 0.7, rng.integers(1, 4, (n, J)), 0).astype(float)
    p = np.where(q > 0, rng.choice([0.5, 0.75, 1.0], (n, J)), 0.0)
    books = OrderBooks(m, q, p)
    for i in range(n):
        qf, pf, bf = books.turn(i, q, p)
        qr, pr, br = m.turn(i, q, p)
        np.testing.assert_allclose(qf, qr, atol=1e-12)
        np.testing.assert_array_equal(pf, pr)
        assert bf == br


def test_reg9_linear_example_on_the_fast_path():
    # REG-9: 2 passes, every buyer gets D_i − ε/p_i, W = 207.8 − 5ε
    D = np.array([50.0, 40, 26, 20, 14])
    P = np.array([1.0, 1.2, 1.5, 2, 2.2])
    vals = tuple(L(pp, d) for pp, d in zip(P, D, strict=True))
    m = Market(PSPModel([65.0, 85.0], tuple("ABCDE"), vals, 0.1, schedule="round_robin"))
    run = simulate(m, fast=True)
    assert run.converged and run.rounds == 2
    out = m.outcome(run.q, run.p)
    assert out.allocation.sum(axis=1) == pytest.approx(D - 0.1 / P)
    assert out.welfare == pytest.approx(207.8 - 0.5)


def test_default_path_by_schedule():
    # fast by default where the runs converge; the reference for synchronous passes
    for schedule in ("asynchronous", "round_robin", "synchronous"):
        m = Market(random_market(4, 5, 2, 0.3, schedule=schedule, rounds=20))
        a, b = simulate(m), simulate(m, fast=schedule != "synchronous")
        assert np.array_equal(a.q, b.q) and np.array_equal(a.p, b.p)


def test_books_follow_the_profile():
    # after a run, books rebuilt from scratch equal the incrementally maintained ones
    model = random_market(3, 8, 3, 0.2, rounds=30)
    m = Market(model)
    q, p = m.zero_profile()
    books = OrderBooks(m, q, p)
    rng = np.random.default_rng(0)
    for _ in range(40):
        i = int(rng.integers(0, m.n))
        qi, pi, better = books.turn(i, q, p)
        if better:
            old_q, old_p = q[i].copy(), p[i].copy()
            q[i], p[i] = qi, pi
            books.refresh(i, old_q, old_p, q, p)
    fresh = OrderBooks(m, q, p)
    for j in range(m.J):
        prices, qty, owner = books.book(j)
        fp, fq, fo = fresh.book(j)
        assert sorted(zip(prices, qty, owner, strict=True)) == sorted(zip(fp, fq, fo, strict=True))
        assert prices == sorted(prices, reverse=True)
        assert books.cum[j, len(qty)] == pytest.approx(fresh.cum[j, len(fq)])
        assert books.cum[j, len(qty)] == pytest.approx(sum(qty))


@pytest.mark.parametrize(
    "val",
    [
        Qv(1.5, 4.0),
        LogValuation(2.0, 3.0),
        L(1.2, 40.0),
        PiecewiseLinearValuation([1.0, 2.5, 4.0], [3.0, 2.0, 0.5, 0.0]),
        PiecewiseLinearValuation([2.0], [1.0, 0.25]),
    ],
)
def test_compiled_valuations_equal_the_model_classes(val):
    from datamech.solvers.psp import kernel

    kind, par = kernel.encode_valuations([val])
    # knots, both sides of them, 0, negative and far points
    zs = [-1.0, 0.0, 1e-9, 0.5, 1.0, 1.0 + 1e-12, 2.0, 2.5, 3.0, 4.0, 39.0, 40.0, 41.0, 1e3]
    for z in zs:
        assert kernel.value(kind[0], par[0], z) == pytest.approx(val.value(z), rel=1e-15, abs=0)
        assert kernel.marginal(kind[0], par[0], z) == val.marginal(z)
        assert kernel.demand(kind[0], par[0], z) == val.demand(z)
    for u in [-0.5, 0.0, 0.1, 0.25, 0.5, 1.0, 1.2, 2.0, 3.0, 10.0]:
        assert kernel.demand(kind[0], par[0], u) == val.demand(u)


def test_an_unknown_valuation_family_has_no_compiled_form():
    from datamech.solvers.psp import kernel

    class Odd:
        family = "odd"

    with pytest.raises(TypeError, match="odd"):
        kernel.encode_valuations([Odd()])


def test_whole_runs_with_tied_prices_leave_the_compiled_loop_for_the_reference(monkeypatch):
    # capped-linear buyers on a coarse price grid bid the same prices: those turns go to
    # Market.turn from inside the compiled pass, and the whole runs equal the reference's
    calls = []
    original = Market.turn

    def counted(self, i, q, p):
        calls.append(i)
        return original(self, i, q, p)

    for seed in range(8):
        rng = np.random.default_rng(seed)
        vals = tuple(L(rng.choice([0.5, 0.75, 1.0]), float(rng.integers(2, 6))) for _ in range(6))
        model = PSPModel(
            [6.0, 5.0, 4.0], tuple("abcdef"), vals, 0.05, reserve=[0.25] * 3, seed=seed
        )
        m = Market(model)
        monkeypatch.setattr(Market, "turn", counted)
        fast = simulate(m, fast=True)
        monkeypatch.setattr(Market, "turn", original)
        ref = simulate(m, fast=False)
        assert (fast.rounds, fast.turns, fast.messages) == (ref.rounds, ref.turns, ref.messages)
        np.testing.assert_allclose(fast.q, ref.q, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(fast.p, ref.p)
    assert len(calls) > 20  # the fallback was exercised


@pytest.mark.parametrize("seed", range(6))
def test_compiled_welfare_equals_the_reference(seed):
    # random profiles on a coarse price grid (ties at the margin) with retention values
    rng = np.random.default_rng(seed)
    n, J = 7, 3
    vals = tuple(Qv(rng.uniform(0.2, 1), rng.uniform(2, 6)) for _ in range(n))
    model = PSPModel(
        [6.0, 5.0, 4.0], tuple("abcdefg"), vals, 0.1, reserve=[0.25] * 3,
        retention=rng.uniform(0, 0.3, J),
    )  # fmt: skip
    m = Market(model)
    q = np.where(rng.random((n, J)) < 0.7, rng.integers(1, 4, (n, J)), 0).astype(float)
    p = np.where(q > 0, rng.choice([0.25, 0.5, 0.75, 1.0], (n, J)), 0.0)
    assert OrderBooks(m, q, p).welfare() == pytest.approx(m.welfare_of(q, p), rel=1e-13)
    assert m.welfare_of(q, p) == pytest.approx(m.outcome(q, p).welfare, rel=1e-13)
