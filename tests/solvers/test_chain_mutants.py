"""Unit tests of the chain solvers' shared pieces (solvers/chain/core.py, fast.py).

Written for mutation testing (issue 19, item 4: ``python benchmarks/mutation.py chain_core
chain_fast``): each test pins one rule of the helpers with values worked out by hand
(tie windows, tolerances, acceptance) or by enumerating every price by brute force.
"""

import math
from fractions import Fraction as F

import numpy as np
import pytest

from datamech import ModelError
from datamech.models.chain import ChainModel
from datamech.solvers.chain.core import (
    DEFAULT_TOL,
    Arithmetic,
    acceptance,
    arithmetic,
    candidate_mask,
    check_tie_rule,
    choose_prices,
    model_arrays,
    to_float,
)

EXACT = Arithmetic(True, 0.0)
RAW = Arithmetic(False, 0.0)
TOL = Arithmetic(False, 1e-9)


def obj(rows):
    """An object array of Fractions (exact arithmetic's number type)."""
    return np.array([[F(x) for x in row] for row in rows], dtype=object)


# ---------------------------------------------------------------- Arithmetic
def test_zeros_in_each_arithmetic():
    z = EXACT.zeros((2, 3))
    assert z.shape == (2, 3) and z.dtype == object
    assert all(type(x) is F and x == 0 for x in z.flat)
    z = TOL.zeros((2,))
    assert z.dtype == np.float64 and z.tolist() == [0.0, 0.0]


def test_slack_is_tol_times_max_one_abs_x():
    assert EXACT.slack(F(5)) == 0
    assert RAW.slack(5.0) == 0
    t = Arithmetic(False, 0.5)
    assert t.slack(0.25) == 0.5  # |x| < 1: the absolute tolerance
    assert t.slack(4.0) == 2.0
    assert t.slack(-4.0) == 2.0  # magnitude, not signed value
    assert np.asarray(t.slack(np.array([-8.0, 0.0, 3.0]))).tolist() == [4.0, 0.5, 1.5]


def test_geq_up_to_tolerance():
    t = Arithmetic(False, 0.5)
    # b = 4: slack 2, so a >= 2 counts
    assert t.geq(2.0, 4.0) and not t.geq(1.9, 4.0)
    assert RAW.geq(4.0, 4.0) and not RAW.geq(4.0 - 1e-12, 4.0)
    assert EXACT.geq(F(1, 3), F(1, 3)) and not EXACT.geq(F(1, 3), F(1, 3) + F(1, 10**30))
    got = t.geq(np.array([1.0, 2.0, 5.0]), np.array([4.0, 4.0, 4.0]))
    assert got.tolist() == [False, True, True]


def test_arithmetic_reads_exact_and_tol():
    assert arithmetic(False, None) == Arithmetic(False, DEFAULT_TOL)
    assert DEFAULT_TOL == 1e-9
    assert arithmetic(False, 0.001) == Arithmetic(False, 0.001)
    assert arithmetic(False, 0) == Arithmetic(False, 0.0)
    assert type(arithmetic(False, 0).tol) is float
    assert arithmetic(True, None) == Arithmetic(True, 0.0)
    assert arithmetic(True, 0.1) == Arithmetic(True, 0.0)
    assert arithmetic(True, -1.0) == Arithmetic(True, 0.0)  # ignored, so not checked


@pytest.mark.parametrize(
    "exact, tol, field, want",
    [
        ("x", None, "solver.exact", "must be true or false, got 'x'"),
        (False, -1.0, "solver.tol", "must be >= 0, got -1"),
        (False, math.nan, "solver.tol", "must be a finite number, got nan"),
    ],
)
def test_arithmetic_refusals(exact, tol, field, want):
    with pytest.raises(ModelError) as e:
        arithmetic(exact, tol)
    assert e.value.field == field
    assert e.value.problem == want


def test_check_tie_rule():
    for rule in ("first", "low", "high", "welfare_max", "welfare_min"):
        assert check_tie_rule(rule) == rule
    with pytest.raises(ModelError) as e:
        check_tie_rule("nope")
    assert e.value.field == "solver.tie_break"


def test_to_float():
    assert to_float(F(1, 4)) == 0.25
    assert type(to_float(F(1, 4))) is float
    assert to_float(F(10**400)) == math.inf
    assert to_float(F(-(10**400))) == -math.inf
    assert to_float(F(10**400, 10**399)) == 10.0


def test_model_arrays_per_player_and_shared_transitions():
    per = [[[F(1, 2), F(1, 2)], [0, 1]], [[1, 0], [F(1, 3), F(2, 3)]]]
    m = ChainModel(
        n=2,
        values=[0, 1],
        transition=per,
        reallocation=[[1, 0, 0], [F(1, 2), F(1, 2), 0]],
        start=0,
    )
    W, Qs, T = model_arrays(m, EXACT)
    assert W.tolist() == [0, 1] and W.dtype == object
    assert len(Qs) == 2
    assert Qs[0].tolist() == [[F(1, 2), F(1, 2)], [0, 1]]
    assert Qs[1].tolist() == [[1, 0], [F(1, 3), F(2, 3)]]
    assert T.tolist() == [[1, 0, 0], [F(1, 2), F(1, 2), 0]]
    W, Qs, T = model_arrays(m, TOL)
    assert W.dtype == np.float64 and Qs[1].dtype == np.float64
    assert Qs[1].tolist() == [[1.0, 0.0], [1 / 3, 2 / 3]]
    shared = ChainModel(
        n=3,
        values=[0, 1],
        transition=[[F(1, 4), F(3, 4)], [0, 1]],
        reallocation=[[1, 0, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0]],
        start=1,
    )
    W, Qs, T = model_arrays(shared, EXACT)
    assert len(Qs) == 3
    assert all(Q.tolist() == [[F(1, 4), F(3, 4)], [0, 1]] for Q in Qs)


# ---------------------------------------------------------------- choose_prices
# One row, candidates in grid order with prices 5, 0, 2, 9 and gains 3, 1, 3, 3: the
# candidates 0, 2, 3 tie.  first -> 0, low (price 2) -> 2, high (price 9) -> 3.
# Continuation welfare C = 2, -100, 1, 5: welfare_max -> 3 (5), welfare_min -> 2 (1).
V_TIE = [[3, 1, 3, 3]]
P_TIE = [5, 0, 2, 9]
C_TIE = [[2, -100, 1, 5]]


@pytest.mark.parametrize(
    "rule, want",
    [("first", 0), ("low", 2), ("high", 3), ("welfare_max", 3), ("welfare_min", 2)],
)
@pytest.mark.parametrize("ar", [EXACT, RAW, TOL], ids=["exact", "raw", "tol"])
def test_choose_prices_tie_rules(rule, want, ar):
    if ar.exact:
        V, P, C = obj(V_TIE), np.array([F(x) for x in P_TIE], dtype=object), obj(C_TIE)
    else:
        V, P, C = np.array(V_TIE, float), np.array(P_TIE, float), np.array(C_TIE, float)
    idx, tied = choose_prices(V, P, rule, ar, C)
    assert idx.tolist() == [want]
    assert tied.tolist() == [True] and tied.dtype == bool


@pytest.mark.parametrize("ar", [EXACT, RAW, TOL], ids=["exact", "raw", "tol"])
def test_choose_prices_several_rows_and_price_rows(ar):
    num = (lambda x: F(x)) if ar.exact else float
    dt = object if ar.exact else float
    # row 0: a unique maximum (col 2); row 1: cols 0 and 1 tie at the same price 4;
    # row 2: every gain is negative, the max is col 1
    V = np.array([[num(x) for x in r] for r in [[1, 2, 7], [6, 6, 0], [-5, -1, -3]]], dtype=dt)
    P = np.array([[num(x) for x in r] for r in [[1, 2, 3], [4, 4, 1], [3, 2, 1]]], dtype=dt)
    for rule in ("first", "low", "high"):
        idx, tied = choose_prices(V, P, rule, ar)
        assert idx.tolist() == [2, 0, 1]
        assert tied.tolist() == [False, False, False]  # equal prices are no tie
    C = np.array([[num(x) for x in r] for r in [[0, 0, 0], [1, 2, 0], [0, 0, 0]]], dtype=dt)
    assert choose_prices(V, P, "welfare_max", ar, C)[0].tolist() == [2, 1, 1]
    assert choose_prices(V, P, "welfare_min", ar, C)[0].tolist() == [2, 0, 1]


@pytest.mark.parametrize("ar", [EXACT, RAW], ids=["exact", "raw"])
def test_choose_prices_window_excludes_the_others(ar):
    # a candidate outside the window never wins, however high/low its price or welfare
    num = (lambda x: F(x)) if ar.exact else float
    dt = object if ar.exact else float
    V = np.array([[num(x) for x in [5, 4, 5]]], dtype=dt)
    P = np.array([num(x) for x in [2, 100, 3]], dtype=dt)
    C = np.array([[num(x) for x in [1, 1000, 2]]], dtype=dt)
    assert choose_prices(V, P, "high", ar)[0].tolist() == [2]
    P_low = np.array([num(x) for x in [2, -100, 3]], dtype=dt)
    assert choose_prices(V, P_low, "low", ar)[0].tolist() == [0]
    assert choose_prices(V, P, "welfare_max", ar, C)[0].tolist() == [2]
    C_min = np.array([[num(x) for x in [1, -1000, 2]]], dtype=dt)
    assert choose_prices(V, P, "welfare_min", ar, C_min)[0].tolist() == [0]
    assert choose_prices(V, P, "first", ar)[1].tolist() == [True]


def test_choose_prices_float_tolerance_is_relative():
    # gains 1000 and 1000 + 5e-7 differ by less than tol * 1000 = 1e-6: a tie
    V = np.array([[1000.0, 1000.0 + 5e-7], [-1000.0, -1000.0 + 5e-7], [1.0, 1.0 + 2e-9]])
    P = np.array([1.0, 2.0])
    idx, tied = choose_prices(V, P, "first", TOL)
    assert idx.tolist() == [0, 0, 1]  # row 2: 2e-9 > tol * 1, no tie
    assert tied.tolist() == [True, True, False]
    idx, tied = choose_prices(V, P, "first", RAW)
    assert idx.tolist() == [1, 1, 1] and tied.tolist() == [False, False, False]
    # the same gap below magnitude 1 is compared with the absolute tol
    V = np.array([[0.5, 0.5 + 5e-10]])
    assert choose_prices(V, P, "first", TOL)[0].tolist() == [0]
    assert choose_prices(V, P, "high", TOL)[0].tolist() == [1]


def test_choose_prices_float_tie_flag_needs_prices_apart_by_more_than_tol():
    V = np.array([[2.0, 2.0], [2.0, 2.0], [2.0, 2.0]])
    P = np.array([[1.0, 1.0 + 5e-10], [1000.0, 1000.0 + 5e-7], [1.0, 1.0 + 2e-9]])
    _, tied = choose_prices(V, P, "first", TOL)
    assert tied.tolist() == [False, False, True]
    _, tied = choose_prices(V, P, "first", RAW)
    assert tied.tolist() == [True, True, True]


def test_choose_prices_welfare_tolerance():
    V = np.array([[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    P = np.array([1.0, 2.0, 3.0])
    # continuation welfare 1000 vs 1000 + 5e-7: tied up to tol * 1000, the first wins
    C = np.array([[0.0, 1000.0, 1000.0 + 5e-7], [0.0, -1000.0, -1000.0 - 5e-7]])
    assert choose_prices(V, P, "welfare_max", TOL, C)[0].tolist() == [1, 0]
    assert choose_prices(V, P, "welfare_min", TOL, -C)[0].tolist() == [1, 0]
    assert choose_prices(V, P, "welfare_max", RAW, C)[0].tolist() == [2, 0]
    assert choose_prices(V, P, "welfare_min", RAW, C)[0].tolist() == [0, 2]
    C = np.array([[0.0, 1000.0, 1000.0 + 5e-6], [0.0, 0.0, 0.0]])  # beyond tol
    assert choose_prices(V, P, "welfare_max", TOL, C)[0].tolist() == [2, 0]


def test_choose_prices_exact_is_exact():
    eps = F(1, 10**40)
    V = obj([[1, 1 + eps, 1 - eps]])
    P = np.array([F(1), F(2), F(3)], dtype=object)
    assert choose_prices(V, P, "first", EXACT)[0].tolist() == [1]
    assert choose_prices(V, P, "first", EXACT)[1].tolist() == [False]
    # huge exact prices: the sentinels stay outside every real price
    P = np.array([F(10**299), F(-(10**299)), F(3)], dtype=object)
    V = obj([[1, 1, 0]])
    assert choose_prices(V, P, "high", EXACT)[0].tolist() == [0]
    assert choose_prices(V, P, "low", EXACT)[0].tolist() == [1]
    C = obj([[-(10**299), 10**299, 0]])
    assert choose_prices(V, P, "welfare_max", EXACT, C)[0].tolist() == [1]
    assert choose_prices(V, P, "welfare_min", EXACT, C)[0].tolist() == [0]


# ---------------------------------------------------------------- acceptance, candidates
def test_acceptance_matrix():
    u = np.array([1.0, 2.0, 3.0])  # buyers' thresholds
    p = np.array([2.0, 0.5])  # sellers' prices
    assert acceptance(u, p, RAW).tolist() == [[False, True, True], [True, True, True]]
    # a threshold within tol below the price accepts
    assert acceptance(np.array([2.0 - 1e-10]), np.array([2.0]), TOL).tolist() == [[True]]
    assert acceptance(np.array([2.0 - 1e-10]), np.array([2.0]), RAW).tolist() == [[False]]
    assert acceptance(np.array([2.0 - 1e-8]), np.array([2.0]), TOL).tolist() == [[False]]
    ue = np.array([F(1, 3), F(2, 3)], dtype=object)
    pe = np.array([F(1, 3) + F(1, 10**30)], dtype=object)
    assert acceptance(ue, pe, EXACT).tolist() == [[False, True]]
    # a batch: (B, L) arrays give (B, L, L)
    ub = np.array([[1.0, 2.0], [0.0, 0.0]])
    pb = np.array([[1.5, 0.0], [1.0, 0.0]])
    got = acceptance(ub, pb, RAW)
    assert got.shape == (2, 2, 2)
    assert got.tolist() == [[[False, True], [True, True]], [[False, False], [True, True]]]


def test_candidate_mask():
    thr = np.array([-1.0, -2e-9, -5e-10, 0.0, 0.3])
    assert candidate_mask(thr, TOL).tolist() == [False, False, True, True, True]
    assert candidate_mask(thr, RAW).tolist() == [False, False, False, True, True]
    big = Arithmetic(False, 0.5)
    assert candidate_mask(np.array([-0.5, -0.6]), big).tolist() == [True, False]
    the = np.array([F(-1, 10**30), F(0), F(1, 2)], dtype=object)
    assert candidate_mask(the, EXACT).tolist() == [False, True, True]


def test_exact_mode_ignores_any_tolerance():
    # "Exact mode always compares exactly": even an Arithmetic built by hand with a tol
    ex = Arithmetic(True, 0.5)
    assert ex.slack(F(5)) == 0
    assert not ex.geq(F(3), F(4))
    assert candidate_mask(np.array([F(-1, 4), F(0)], dtype=object), ex).tolist() == [False, True]
    V = obj([[1, F(6, 5)]])
    P = np.array([F(1), F(2)], dtype=object)
    assert choose_prices(V, P, "first", ex)[0].tolist() == [1]


def test_a_tolerance_of_one():
    one = Arithmetic(False, 1.0)
    assert one.slack(5.0) == 5.0 and one.slack(0.5) == 1.0
    assert one.geq(0.5, 1.0)  # 0.5 >= 1 - 1
    assert candidate_mask(np.array([-0.5, -1.5]), one).tolist() == [True, False]
    V = np.array([[1.0, 1.5]])
    assert choose_prices(V, np.array([1.0, 2.0]), "first", one)[0].tolist() == [0]


# ---------------------------------------------------------------- fast.py by brute force
def brute_force(model, rule):
    """The equilibrium by enumerating every path of the chain (exact), independently of
    the fast solver's prefix sums and the reference's forward DP.

    Player i with value w_k posting price c is paid t_{j+1,i} p_j at every trade j+1 >= i+1
    that happens; trade j+1 happens when buyer j+1's threshold is >= the seller's price.
    The continuation welfare of a price is the expected sum over the trades that happen of
    the buyer's value minus the share of the price that leaves the chain.
    """
    W, Qs, T = model_arrays(model, EXACT)
    n, L = model.n, len(W)
    u = [None] * (n + 1)
    p = [None] * n
    u[n] = list(W)

    def paths(i, j, seller, price):
        """(transfers to player i, welfare) from trade j+1 on, given seller j's value and price."""
        gain = welfare = F(0)
        leak = 1 - sum(T[j])
        for m in range(L):
            q = Qs[j][seller][m]
            if q == 0 or not u[j + 1][m] >= price:
                continue
            g, w = (F(0), F(0)) if j + 1 == n else paths(i, j + 1, m, p[j + 1][m])
            gain += q * (T[j][i] * price + g)
            welfare += q * (W[m] - leak * price + w)
        return gain, welfare

    ties = 0
    for i in range(n - 1, -1, -1):
        cand = [u[i + 1][m] for m in range(L) if u[i + 1][m] >= 0]
        u[i], p[i] = [], []
        for k in range(L):
            if not cand:
                u[i].append(W[k])
                p[i].append(F(0))
                continue
            evals = [paths(i, i, k, c) for c in cand]
            best = max(g for g, _ in evals)
            win = [j for j, (g, _) in enumerate(evals) if g == best]
            ties += len({cand[j] for j in win}) > 1
            if rule == "first":
                j = win[0]
            elif rule == "low":
                j = min(win, key=lambda j: (cand[j], j))
            elif rule == "high":
                j = min(win, key=lambda j: (-cand[j], j))
            else:
                sign = 1 if rule == "welfare_max" else -1
                j = min(win, key=lambda j: (-sign * evals[j][1], j))
            u[i].append(W[k] + best)
            p[i].append(cand[j])
    return u, p, ties


def small_models():
    """A few exact chains with ties, leaks, per-trade transitions and negative values."""
    h, t, q = F(1, 2), F(1, 3), F(1, 4)
    yield ChainModel(  # every transition a fair coin, AVE-like shares, a leak on trade 3
        n=3,
        values=[0, h, 1],
        transition=[[t, t, t], [h, 0, h], [q, q, h]],
        reallocation=[[1, 0, 0, 0], [h, h, 0, 0], [q, q, 0, 0]],
        start=0,
    )
    yield ChainModel(  # issue 19's welfare-tie chain
        n=3,
        values=[0, 1],
        transition=[[0, 1], [1, 0]],
        reallocation=[[1, 0, 0, 0], [1, 0, 0, 0], [0, 0, h, 0]],
        start=0,
    )
    yield ChainModel(  # per-trade transitions and negative values
        n=2,
        values=[-1, h, 2],
        transition=[[[t, t, t], [0, h, h], [1, 0, 0]], [[h, h, 0], [q, 0, 3 * q], [0, 0, 1]]],
        reallocation=[[F(3, 4), 0, 0], [h, h, 0]],
        start=1,
    )
    yield ChainModel(  # no nonnegative threshold at all: every price is 0
        n=2,
        values=[-2, -1],
        transition=[[h, h], [h, h]],
        reallocation=[[1, 0, 0], [h, h, 0]],
        start=0,
    )
    rng = np.random.default_rng(19)
    for n, L in [(3, 3), (2, 4), (4, 2)]:
        vals = sorted({F(int(x), 4) for x in rng.integers(-1, 9, size=L)} | {F(0)})[:L]
        while len(vals) < L:
            vals.append(vals[-1] + 1)
        raw = rng.integers(0, 4, size=(L, L)) + np.eye(L, dtype=int)
        trans = [[F(int(x), int(sum(row))) for x in row] for row in raw]
        shares = rng.integers(0, 3, size=(n, n + 1))
        realloc = [
            [F(int(shares[i, j]), 2 * (i + 1)) if j <= i else F(0) for j in range(n + 1)]
            for i in range(n)
        ]
        yield ChainModel(n=n, values=vals, transition=trans, reallocation=realloc, start=0)


SMALL = list(small_models())


@pytest.mark.parametrize("rule", ["first", "low", "high", "welfare_max", "welfare_min"])
@pytest.mark.parametrize("case", range(len(SMALL)))
def test_fast_solver_equals_brute_force(case, rule):
    from datamech.solvers.chain.fast import solve_fast

    model = SMALL[case]
    W, Qs, T = model_arrays(model, EXACT)
    u, p, r, ties = solve_fast(model, rule, EXACT, W, Qs, T)
    bu, bp, bties = brute_force(model, rule)
    assert [list(x) for x in u] == bu
    assert [list(x) for x in p] == bp
    assert ties == bties
    # r_i(k) = p_i(k) P(trade i+1 | w_k)
    for i in range(model.n):
        acc = [
            [Qs[i][k][m] for m in range(len(W)) if bu[i + 1][m] >= bp[i][k]] for k in range(len(W))
        ]
        assert list(r[i]) == [bp[i][k] * sum(acc[k]) for k in range(len(W))]


@pytest.mark.parametrize("rule", ["first", "high", "welfare_min"])
def test_fast_solver_in_floats_equals_brute_force(rule):
    from datamech.solvers.chain.fast import solve_fast

    for model in SMALL[:3]:
        W, Qs, T = model_arrays(model, TOL)
        u, p, _, ties = solve_fast(model, rule, TOL, W, Qs, T, progress_bar=True)
        bu, bp, bties = brute_force(model, rule)
        assert np.allclose(np.array(u, float), np.array(bu, float), atol=1e-12)
        assert np.allclose(np.array(p, float), np.array(bp, float), atol=1e-12)
        assert ties == bties


@pytest.mark.parametrize("rule", ["first", "low", "welfare_max"])
def test_a_batch_solves_each_mechanism(rule):
    from datamech.solvers.chain.fast import solve_fast_batch

    # a batch shares the grid and transitions: reallocation matrices on one model's
    base = SMALL[1]
    W1, Qs1, _ = model_arrays(base, EXACT)
    mats = [
        [[1, 0, 0, 0], [1, 0, 0, 0], [0, 0, F(1, 2), 0]],
        [[F(1, 2), 0, 0, 0], [0, 1, 0, 0], [F(1, 3), F(1, 3), F(1, 3), 0]],
    ]  # a batch of 2 for n = 3 players: the batch axis is not the player axis
    Tb = np.array([[[F(x) for x in row] for row in m] for m in mats], dtype=object)
    u, p, r, ties = solve_fast_batch(base, rule, EXACT, W1, Qs1, Tb)
    assert ties.shape == (2,) and ties.dtype.kind == "i"  # counts
    for b, m in enumerate(mats):
        model = ChainModel(n=3, values=[0, 1], transition=base.transition, reallocation=m, start=0)
        bu, bp, bties = brute_force(model, rule)
        assert [list(x[b]) for x in u] == bu
        assert [list(x[b]) for x in p] == bp
        assert int(ties[b]) == bties


def test_profile_gains_against_brute_force():
    from datamech.solvers.chain.fast import profile_gains

    for model in SMALL:
        W, Qs, T = model_arrays(model, EXACT)
        bu, bp, _ = brute_force(model, "first")
        thr = [np.array(x, dtype=object) for x in bu]
        pr = [np.array(x, dtype=object) for x in bp]
        best, own = profile_gains(model, thr, pr, EXACT, W, Qs, T)
        # at an equilibrium every seller's own price is a best response: both are u_i
        for i in range(model.n):
            assert list(best[i]) == bu[i]
            assert list(own[i]) == bu[i]
        # a deviation: every price 0, so no transfer ever (own = W), best unchanged for
        # the last seller, whose candidates depend only on the buyers' values
        zero = [np.array([F(0)] * len(W), dtype=object) for _ in range(model.n)]
        best0, own0 = profile_gains(model, thr, zero, EXACT, W, Qs, T)
        assert all(list(o) == list(W) for o in own0)
        assert list(best0[-1]) == bu[-2] if model.n > 1 else True


def test_a_gain_exactly_at_the_window_edge_ties():
    # tol 0.5, best gain 2: slack 1, so the window is [1, 2] with its edge included
    half = Arithmetic(False, 0.5)
    V = np.array([[1.0, 2.0], [0.999, 2.0]])
    idx, _ = choose_prices(V, np.array([1.0, 2.0]), "first", half)
    assert idx.tolist() == [0, 1]
    C = np.array([[0.0, 1.0], [0.0, 1.0]])
    V = np.array([[1.0, 1.0], [1.0, 1.0]])
    # welfare 0 and 1 with slack 0.5 * max(1, 1): 0 is outside [0.5, 1], a strict winner
    assert choose_prices(V, np.array([1.0, 2.0]), "welfare_max", half, C)[0].tolist() == [1, 1]
    C = np.array([[0.5, 1.0], [0.49, 1.0]])  # 0.5 is on the edge: tied, the first wins
    assert choose_prices(V, np.array([1.0, 2.0]), "welfare_max", half, C)[0].tolist() == [0, 1]


def test_exact_sentinels_stay_outside_large_prices():
    # one candidate in the window: no tie, whatever the size of the prices
    V = obj([[1, 0], [0, 1]])
    for big in (5000, -5000, 10**299, -(10**299)):
        P = np.array([F(big), F(1)], dtype=object)
        idx, tied = choose_prices(V, P, "low", EXACT)
        assert idx.tolist() == [0, 1] and tied.tolist() == [False, False]
        idx, tied = choose_prices(V, P, "high", EXACT)
        assert idx.tolist() == [0, 1] and tied.tolist() == [False, False]
        P = np.array([F(1), F(big)], dtype=object)
        assert choose_prices(V, P, "low", EXACT)[0].tolist() == [0, 1]
        assert choose_prices(V, P, "high", EXACT)[0].tolist() == [0, 1]


def test_exact_prices_beyond_the_sentinels():
    # values of 10**301 (valid exact model numbers) give a phantom tie, and "low" then
    # picks a price outside the window (0, gain 0) instead of 10**301 (gain 10**301)
    big = 10**301
    V = obj([[0, 1]])
    P = np.array([F(0), F(big)], dtype=object)
    idx, tied = choose_prices(V, P, "low", EXACT)
    assert idx.tolist() == [1] and tied.tolist() == [False]


def test_welfare_key_tolerance_below_magnitude_one():
    # welfare 0.3 and 0.3 + 6e-10 tie under tol 1e-9 (absolute below 1): the first wins
    V = np.array([[1.0, 1.0]])
    P = np.array([1.0, 2.0])
    C = np.array([[0.3, 0.3 + 6e-10]])
    assert choose_prices(V, P, "welfare_max", TOL, C)[0].tolist() == [0]
    assert choose_prices(V, P, "welfare_min", TOL, C[:, ::-1].copy())[0].tolist() == [0]
    # float welfare far below -1e300 is still compared, never replaced by a sentinel
    V = np.array([[0.0, 1.0]])
    C = np.array([[0.0, -1e302]])
    assert choose_prices(V, P, "welfare_max", TOL, C)[0].tolist() == [1]
    assert choose_prices(V, P, "welfare_min", TOL, -C)[0].tolist() == [1]


def test_exact_welfare_sentinel_and_tolerance_one():
    V = obj([[0, 1]])
    P = np.array([F(1), F(2)], dtype=object)
    C = obj([[0, -5000]])
    assert choose_prices(V, P, "welfare_max", EXACT, C)[0].tolist() == [1]
    assert choose_prices(V, P, "welfare_min", EXACT, -C)[0].tolist() == [1]
    one = Arithmetic(False, 1.0)
    V = np.array([[1.0, 1.0]])
    C = np.array([[0.5, 1.0]])  # within slack 1 * max(1, 1): tied, the first wins
    assert choose_prices(V, np.array([1.0, 2.0]), "welfare_max", one, C)[0].tolist() == [0]


def test_exact_solutions_are_fractions():
    from datamech.solvers.chain.fast import solve_fast

    for rule in ("first", "welfare_max"):
        model = SMALL[0]  # its thresholds include 0: a price of exactly 0
        W, Qs, T = model_arrays(model, EXACT)
        u, p, r, _ = solve_fast(model, rule, EXACT, W, Qs, T)
        assert any(x == 0 for x in p[0]) or any(x == 0 for x in p[-1])
        for arr in (*u, *p, *r):
            assert all(type(x) is F for x in arr)


def test_float_threshold_just_below_zero_is_the_price_zero():
    from datamech.solvers.chain.fast import solve_fast

    # the buyer always has value -1e-12, within tol of 0: the threshold counts as the
    # price 0, which ties with the price 1/2 (never accepted); "low" posts exactly 0.0
    model = ChainModel(
        n=1, values=[-1e-12, 0.5], transition=[[1, 0], [1, 0]], reallocation=[[1, 0]], start=0
    )
    W, Qs, T = model_arrays(model, TOL)
    _, p, _, _ = solve_fast(model, "low", TOL, W, Qs, T)
    assert p[0].tolist() == [0.0, 0.0]


def test_a_batch_where_no_price_is_valid_counts_no_ties():
    from datamech.solvers.chain.fast import solve_fast_batch

    model = SMALL[3]  # values -2, -1: every threshold is negative, every price is 0
    W, Qs, T = model_arrays(model, EXACT)
    Tb = np.array([T, T, T], dtype=object)
    u, p, r, ties = solve_fast_batch(model, "first", EXACT, W, Qs, Tb)
    assert ties.tolist() == [0, 0, 0]
    assert all(x == 0 for arr in p for x in arr.flat)
    assert [x[0].tolist() for x in u] == [list(W)] * 3


def test_float_buyers_within_tol_below_the_price_accept():
    from datamech.solvers.chain.fast import solve_fast

    # buyer values 0, 1 - 5e-10, 1 (a third each): at the price 1 the buyer at 1 - 5e-10
    # accepts (within tol), so the price 1 sells with probability 2/3 and "high" takes it
    third = [F(1, 3)] * 3
    model = ChainModel(
        n=1, values=[0, 1 - 5e-10, 1], transition=[third] * 3, reallocation=[[1, 0]], start=0
    )
    W, Qs, T = model_arrays(model, TOL)
    u, p, r, _ = solve_fast(model, "high", TOL, W, Qs, T)
    assert p[0].tolist() == [1.0, 1.0, 1.0]
    assert r[0] == pytest.approx([2 / 3] * 3, rel=1e-12)
    assert u[0] == pytest.approx(np.array([0, 1, 1]) + 2 / 3, rel=1e-9)


def test_progress_bar_only_when_asked(monkeypatch):
    from datamech.solvers.chain import fast

    calls = []

    def record(it, **kw):
        calls.append(kw)
        return it

    monkeypatch.setattr(fast, "progress", record)
    model = SMALL[0]
    W, Qs, T = model_arrays(model, EXACT)
    fast.solve_fast(model, "first", EXACT, W, Qs, T)
    fast.solve_fast_batch(model, "first", EXACT, W, Qs, T[None])
    assert calls == []
    want = fast.solve_fast(model, "first", EXACT, W, Qs, T)
    got = fast.solve_fast(model, "first", EXACT, W, Qs, T, progress_bar=True)
    # one bar over the n = 3 backward stages, counted in players
    assert calls == [{"total": 3, "desc": "equilibrium", "unit": "player"}]
    assert [list(x) for x in got[0]] == [list(x) for x in want[0]]
