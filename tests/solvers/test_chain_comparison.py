"""Theorems 4.3 and 4.4 and Lemma C.2 (seed 000, Section 4, App. C) checked numerically.

Every claim about a counterexample is confirmed by a second computation that shares no
code with :mod:`datamech.solvers.chain.comparison`: trade events by plain Python loops
over the thresholds and prices, reachable pairs by enumerating valuation paths, both
equilibria by the independent verifier of Eq. (9), welfare by enumerating valuation
paths, and (slow) the equilibria again by Algorithms 1-3 as written.
"""

import json
import math
import re
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datamech import ModelError
from datamech.models.chain import (
    ChainModel,
    ave_matrix,
    create,
    paper_model,
    raw_matrix,
    tbds_matrix,
)
from datamech.solvers.chain import solve_equilibrium, verify_equilibrium
from datamech.solvers.chain.comparison import (
    BaselineComparison,
    baseline_path,
    check_local_hypotheses,
    compare_to_baseline,
    homogeneous_chain,
    local_comparison,
    reachable_pairs,
    reachable_states,
    trade_events,
)
from tests.chain_strategies import chain_models

RATIONAL_RATIOS = (2, 3, F(3, 2))
SQRT_E = math.exp(0.5)  # the paper's Model 1 ratio: a float grid


# ---------------------------------------------------------------- independent helpers
def events_by_loops(eq, tol=None):
    """E_i by plain comparisons s_i(w_l) >= p_{i-1}(w_k) (floats: the solver's slack)."""
    out = []
    for i in range(1, eq.n + 1):
        rows = []
        for k in range(eq.L):
            price = eq.prices[i - 1][k]
            row = []
            for l in range(eq.L):
                thr = eq.thresholds[i][l]
                if eq.exact:
                    row.append(thr >= price)
                else:
                    row.append(thr >= price - eq.tol * max(1.0, abs(price)))
            rows.append(row)
        out.append(rows)
    return np.array(out, dtype=bool)


def reachable_by_paths(model):
    """(trade i, k, l) visited by some valuation path of positive probability."""
    Qs = [model.Q(i, exact=True) for i in range(1, model.n + 1)]
    start = model.start_law(exact=True)
    seen = set()
    frontier = {k for k in range(model.L) if start[k] != 0}
    for i in range(1, model.n + 1):
        nxt = set()
        for k in frontier:
            for l in range(model.L):
                if Qs[i - 1][k, l] != 0:
                    seen.add((i, k, l))
                    nxt.add(l)
        frontier = nxt
    return seen


def welfare_by_paths(model, eq):
    """E[v_0 + sum_i v_i y_i] by enumerating valuation paths (budget-balanced t only)."""
    W = model.exact()["values"]
    Qs = [model.Q(i, exact=True) for i in range(1, model.n + 1)]
    start = model.start_law(exact=True)

    def after(i, k):  # E[sum_{j>i} v_j y_j | v_i = w_k, trade i happened]
        if i == model.n:
            return F(0)
        total = F(0)
        for l in range(model.L):
            q = Qs[i][k, l]
            if q != 0 and eq.thresholds[i + 1][l] >= eq.prices[i][k]:
                total += q * (W[l] + after(i + 1, l))
        return total

    return sum((start[k] * (W[k] + after(0, k)) for k in range(model.L) if start[k] != 0), F(0))


def assert_is_equilibrium(model, eq):
    check = verify_equilibrium(model, eq.thresholds, eq.prices, exact=eq.exact, tol=eq.tol)
    assert check.ok, check.worst


def confirm_comparison(model, cmp: BaselineComparison):
    """Recompute every counterexample of a comparison and its reachability independently."""
    raw = model.with_mechanism("RAW")
    other = model.with_mechanism("matrix", matrix=cmp.reallocation)
    assert_is_equilibrium(raw, cmp.equilibrium_raw)
    assert_is_equilibrium(other, cmp.equilibrium)
    e_raw, e_t = events_by_loops(cmp.equilibrium_raw), events_by_loops(cmp.equilibrium)
    paths = reachable_by_paths(model)
    expected = {
        (i + 1, int(k), int(l), (i + 1, int(k), int(l)) in paths)
        for i, k, l in np.argwhere(e_raw & ~e_t)
    }
    assert set(cmp.counterexamples) == expected
    return expected


# ---------------------------------------------------------------- strategies
@st.composite
def step_laws(draw):
    w = draw(st.lists(st.integers(0, 3), min_size=5, max_size=5).filter(lambda x: sum(x) > 0))
    return {d: F(x, sum(w)) for d, x in zip(range(-2, 3), w, strict=True) if x}


@st.composite
def start_laws(draw):
    if draw(st.booleans()):
        return None  # v_0 = w_0 = 1
    w = draw(st.lists(st.integers(0, 2), min_size=3, max_size=3).filter(lambda x: sum(x) > 0))
    return {d: F(x, sum(w)) for d, x in zip(range(-1, 2), w, strict=True) if x}


@st.composite
def homogeneous_chains(draw, max_n=4, ratio=None):
    n = draw(st.integers(1, max_n))
    if draw(st.booleans()):
        steps = draw(step_laws())
    else:
        steps = [draw(step_laws()) for _ in range(n)]  # F_i may differ across trades
    g = ratio if ratio is not None else draw(st.sampled_from(RATIONAL_RATIOS))
    return homogeneous_chain(n, steps, g, start=draw(start_laws()))


@st.composite
def feasible_matrices(draw, n, balanced=None, positive_diagonal=False):
    """Budget-feasible (Def 2.5), past-only (Def 2.6) t; zero entries and rows allowed."""
    if balanced is None:
        balanced = draw(st.booleans())
    t = np.full((n, n + 1), F(0), dtype=object)
    for i in range(1, n + 1):
        w = draw(st.lists(st.integers(0, 3), min_size=i, max_size=i))
        if positive_diagonal or (balanced and sum(w) == 0):
            w[-1] = max(w[-1], 1)
        leaves = 0 if balanced else draw(st.integers(0, 3))  # share leaving the chain
        total = sum(w) + leaves
        for j in range(i):
            t[i - 1, j] = F(w[j], total) if total else F(0)
    return t


@st.composite
def local_pairs(draw, model, positive_own_share=False):
    """(t1, t2, i) satisfying Theorem 4.3's (a)-(d), differing only in column i."""
    n = model.n
    i = draw(st.integers(0, n - 1))
    t1 = np.full((n, n + 1), F(0), dtype=object)
    t2 = t1.copy()
    for j in range(1, i + 1):  # (d): earlier players are paid by their own sale only
        t1[j - 1, j - 1] = t2[j - 1, j - 1] = F(draw(st.integers(0, 4)), 4)
    lo = 1 if positive_own_share else 0
    own = sorted([draw(st.integers(lo, 4)), draw(st.integers(lo, 4))])
    t1[i, i], t2[i, i] = F(own[1], 4), F(own[0], 4)  # (c): own-sale share shrinks
    for j in range(i + 2, n + 1):
        later = draw(st.lists(st.integers(0, 3), min_size=j - i - 1, max_size=j - i - 1))
        a = draw(st.integers(0, 3))
        b = a + draw(st.integers(0, 3))  # (b): future share grows
        total = sum(later) + b + draw(st.integers(0, 2)) or 1
        for col, x in zip(range(i + 1, j), later, strict=True):  # (a): same for later players
            t1[j - 1, col] = t2[j - 1, col] = F(x, total)
        t1[j - 1, i], t2[j - 1, i] = F(a, total), F(b, total)
    return t1, t2, i


# ---------------------------------------------------------------- homogeneous_chain
def test_homogeneous_chain_layout():
    m = homogeneous_chain(2, {-1: "1/2", 1: "1/2"}, ratio=2, mechanism="AVE")
    assert m.values.tolist() == [0, F(1, 4), F(1, 2), 1, 2, 4, 16]
    assert m.start == 3 and m.values[m.start] == 1
    Q = m.Q(1, exact=True)
    assert Q[0, 0] == 1 and Q[6, 6] == 1  # sentinels absorb
    assert Q[1, 1] == F(1, 2) and Q[1, 2] == F(1, 2)  # the bottom row is clipped ...
    R = reachable_states(m)
    assert not R[:, [0, 6]].any()  # the sentinels are never reached
    used = np.flatnonzero(R[:-1].any(axis=0))  # rows of trades out of reachable values
    assert used.tolist() == [2, 3, 4]  # ... never the clipped ends 1 and 5
    for k in used:
        assert Q[k, k - 1] == Q[k, k + 1] == F(1, 2)
    assert m.reallocation.tolist() == ave_matrix(2).tolist()


def test_homogeneous_chain_per_trade_steps_and_start_law():
    m = homogeneous_chain(2, [{1: 1}, {-2: "1/2", 0: "1/2"}], ratio=3, start={-1: "1/3", 0: "2/3"})
    # start indices -1, 0; after trade 1: 0, 1; after trade 2: -2..1
    assert [str(w) for w in m.values] == ["0", "1/9", "1/3", "1", "3", "12"]
    assert m.per_trade and m.start_distribution.tolist() == [0, 0, F(1, 3), F(2, 3), 0, 0]
    assert reachable_states(m).tolist() == [
        [False, False, True, True, False, False],
        [False, False, False, True, True, False],
        [False, True, True, True, True, False],
    ]


def test_homogeneous_chain_float_grid_and_no_sentinels():
    m = homogeneous_chain(3, ratio=SQRT_E, sentinels=False)
    assert m.L == 13 and m.values.dtype == float
    assert math.isclose(m.values[0], math.exp(-3)) and m.values[m.start] == 1.0
    # the paper's Model 1 at n = 3 is this chain (indices -2n..2n, five-neighbour, clipped)
    p1 = paper_model(1, n=3)
    assert np.allclose(m.values, p1.values, rtol=1e-12)
    assert np.array_equal(m.floats()["transition"], p1.floats()["transition"])


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"n": 0}, "n"),
        ({"n": 2, "ratio": 1}, "ratio"),
        ({"n": 2, "ratio": "1/2"}, "ratio"),
        ({"n": 2, "ratio": "x"}, "ratio"),
        ({"n": 2, "ratio": float("inf")}, "ratio"),
        ({"n": 2, "steps": {-1: "1/2", 1: "1/3"}}, "steps"),
        ({"n": 2, "steps": [0.5, 0.5]}, "steps"),
        ({"n": 2, "steps": {0.5: 1}}, "steps"),
        ({"n": 2, "steps": {1: -1, 2: 2}}, "steps"),
        ({"n": 2, "steps": {1: 0}}, "steps"),
        ({"n": 2, "steps": [{1: 1}]}, "steps"),
        ({"n": 2, "steps": [{1: 1}, {1: "a"}]}, "steps[1]"),
        ({"n": 2, "start": {0: "1/2"}}, "start"),
        ({"n": 2, "start": 3}, "start"),
        ({"n": 2, "margin": -1}, "margin"),
        ({"n": 2, "sentinels": 1}, "sentinels"),
    ],
)
def test_homogeneous_chain_errors(kwargs, field):
    with pytest.raises(ModelError) as err:
        homogeneous_chain(**kwargs)
    assert err.value.field == field


@settings(max_examples=20)
@given(data=st.data(), model=homogeneous_chains(), rule=st.sampled_from(["low", "first", "high"]))
def test_homogeneous_chain_is_homogeneous_on_its_reachable_part(data, model, rule):
    """Lemma C.2 (1) inside one chain: s_i(w_k) / w_k is one constant over reachable w_k
    (and p_i(w_k) / w_k when player i keeps a share of its own sale), for any feasible t."""
    t = data.draw(feasible_matrices(model.n))
    m = model.with_mechanism("matrix", matrix=t)
    cmp_flags = compare_to_baseline(m, t, tie_break=rule)
    assert cmp_flags.positivity and cmp_flags.homogeneity and cmp_flags.assumptions_hold
    eq = cmp_flags.equilibrium
    R = reachable_states(m)
    for i in range(m.n + 1):
        ks = np.flatnonzero(R[i])
        assert len({eq.thresholds[i][k] / m.values[k] for k in ks}) == 1
        if i < m.n and t[i, i] > 0:
            assert len({eq.prices[i][k] / m.values[k] for k in ks}) == 1


def test_without_sentinels_an_indifferent_seller_breaks_homogeneity():
    """Player 2 earns nothing (t_{3,2} = 0), player 1 is paid from trade 3: under "low"
    player 2 prices at the lowest candidate, a boundary threshold that is not
    homogeneous, and player 1's thresholds inherit it.  The sentinels restore it."""
    t = [[0, 0, 0, 0], [0, 0, 0, 0], [0, 1, 0, 0]]
    steps = {-1: "1/2", 1: "1/2"}
    ratios = {}
    for sentinels in (False, True):
        m = homogeneous_chain(3, steps, 2, sentinels=sentinels, mechanism="matrix", matrix=t)
        eq = solve_equilibrium(m, tie_break="low", exact=True)
        ks = np.flatnonzero(reachable_states(m)[1])
        ratios[sentinels] = {eq.thresholds[1][k] / m.values[k] for k in ks}
    assert len(ratios[False]) > 1
    assert len(ratios[True]) == 1


# ---------------------------------------------------------------- events
def test_reachable_states_and_pairs_by_path_enumeration():
    for m in (
        paper_model(1, n=3),
        paper_model(2, n=3),
        homogeneous_chain(2, start={-1: "1/2", 1: "1/2"}),
    ):
        pairs = reachable_pairs(m)
        got = {(i + 1, int(k), int(l)) for i, k, l in np.argwhere(pairs)}
        assert got == reachable_by_paths(m)
        assert reachable_states(m)[0].sum() == (1 if m.start is not None else 2)


def test_trade_events_match_loops_exact_and_float():
    m = paper_model(4, n=3, mechanism="AVE")
    for exact in (True, False):
        eq = solve_equilibrium(m, exact=exact, tie_break="low")
        assert np.array_equal(trade_events(m, eq), events_by_loops(eq))
        assert np.array_equal(
            trade_events(m, eq, reachable=True), events_by_loops(eq) & reachable_pairs(m)
        )


def test_trade_events_errors():
    m = paper_model(2, n=2)
    eq = solve_equilibrium(paper_model(2, n=3))
    with pytest.raises(ModelError, match="equilibrium"):
        trade_events(m, eq)
    eq4 = solve_equilibrium(paper_model(4, n=1))  # n = 1 and L = 5 as below, another grid
    with pytest.raises(ModelError, match="equilibrium"):
        trade_events(create(1, [0, 1, 2, 3, 4], [[F(1, 5)] * 5] * 5, start=0), eq4)
    with pytest.raises(ModelError, match="equilibrium"):
        trade_events(m, "not an equilibrium")
    with pytest.raises(ModelError, match="model"):
        trade_events("not a model", eq)


# ---------------------------------------------------------------- Theorem 4.4
@settings(max_examples=25)
@given(data=st.data(), model=homogeneous_chains(), rule=st.sampled_from(["low", "first"]))
def test_theorem_4_4_on_homogeneous_chains(data, model, rule):
    """E_i^RAW within E_i^t on reachable pairs for every feasible t (zeros allowed), and
    SW(t) >= SW(RAW) under budget balance; exact rationals, tie rules low and first."""
    t = data.draw(feasible_matrices(model.n))
    cmp = compare_to_baseline(model, t, tie_break=rule)
    assert cmp.assumptions_hold
    assert cmp.contained_reachable.all(), cmp.reachable_counterexamples
    assert cmp.reachable_counterexamples == []
    if cmp.budget_balanced:
        assert cmp.welfare_improves and cmp.social_welfare >= cmp.social_welfare_raw
    assert cmp.holds and cmp.status == "evaluated"


@settings(max_examples=12)
@given(data=st.data(), model=homogeneous_chains(max_n=3))
def test_theorem_4_4_high_rule_when_every_seller_keeps_a_share(data, model):
    """Under "high" the theorem holds when t_{i+1,i} > 0 for every seller i (see the
    counterexample below for a seller who earns nothing)."""
    t = data.draw(feasible_matrices(model.n, positive_diagonal=True))
    cmp = compare_to_baseline(model, t, tie_break="high")
    assert cmp.holds, cmp.reachable_counterexamples


@settings(max_examples=10)
@given(data=st.data(), model=homogeneous_chains(max_n=3, ratio=SQRT_E))
def test_theorem_4_4_on_float_grid(data, model):
    """g = e^(1/2) (the paper's Model 1 ratio): floats with the default tolerance."""
    t = data.draw(feasible_matrices(model.n))
    cmp = compare_to_baseline(model, t, tie_break="low", exact=False)
    assert cmp.assumptions_hold and not cmp.exact
    assert cmp.holds, cmp.reachable_counterexamples


def test_theorem_4_4_fails_under_high_for_a_seller_paid_nothing():
    """Budget balanced t with t_{2,1} = 0: player 1 earns nothing from any price, every
    candidate ties, and "high" posts the no-sale price.  E_2 shrinks and welfare drops
    although positivity and homogeneity hold: the tie rule being independent of t is not
    enough (the proof of Theorem 4.3 divides by t^2_{i+1,i}, Eq. 38).  "low" and
    "first" (on a grid listed in increasing order) are fine."""
    m = homogeneous_chain(2, ratio=2)
    t = [[1, 0, 0], [1, 0, 0]]
    high = compare_to_baseline(m, t, tie_break="high")
    assert high.assumptions_hold and high.budget_balanced
    assert not high.holds and high.contained_reachable.tolist() == [True, False]
    found = confirm_comparison(m, high)
    assert {c[:3] for c in found if c[3]} == {(2, 3, 5), (2, 4, 6), (2, 5, 7), (2, 6, 8), (2, 7, 9)}
    assert (
        high.social_welfare_raw
        == F(61, 25)
        == welfare_by_paths(m.with_mechanism("RAW"), high.equilibrium_raw)
    )
    other = m.with_mechanism("matrix", matrix=t)
    assert high.social_welfare == F(9, 5) == welfare_by_paths(other, high.equilibrium)
    assert not high.welfare_improves
    for rule in ("low", "first"):
        ok = compare_to_baseline(m, t, tie_break=rule)
        assert ok.holds and confirm_comparison(m, ok) == set()
        assert ok.social_welfare == F(203, 50) > ok.social_welfare_raw == F(91, 25)


def test_first_rule_depends_on_grid_order():
    """ "first" picks by listing order: on the same chain listed in another order the
    indifferent seller of the example above picks a high price and Theorem 4.4 fails."""
    m = homogeneous_chain(2, ratio=2)
    perm = np.array([9, 4, 6, 3, 2, 10, 5, 1, 8, 7, 0])
    inv = np.argsort(perm)
    shuffled = ChainModel(
        n=2,
        values=m.values[perm],
        transition=m.transition[np.ix_(perm, perm)],
        reallocation=m.reallocation,
        start=int(inv[m.start]),
    )
    t = [[1, 0, 0], [1, 0, 0]]
    first = compare_to_baseline(shuffled, t, tie_break="first")
    low = compare_to_baseline(shuffled, t, tie_break="low")
    assert low.holds
    assert not first.holds
    assert confirm_comparison(shuffled, first) == set(first.counterexamples)
    assert len(first.reachable_counterexamples) == 6
    other = shuffled.with_mechanism("matrix", matrix=t)
    assert welfare_by_paths(other, first.equilibrium) == first.social_welfare == F(71, 25)
    assert first.social_welfare_raw == F(79, 25)


def test_model_1_no_counterexample():
    """Model 1 (positive, homogeneous on its reachable part): AVE, TBDS(1/2) and random
    feasible matrices (zeros allowed) contain RAW's events; welfare improves."""
    m = paper_model(1, n=5)
    rng = np.random.default_rng(2024)
    mechanisms = [ave_matrix(5), tbds_matrix(5, F(1, 2))]
    for _ in range(4):
        t = np.zeros((5, 6))
        for i in range(1, 6):
            row = rng.integers(0, 3, size=i).astype(float)
            t[i - 1, :i] = row / max(row.sum(), 1.0)
        mechanisms.append(t)
    for t in mechanisms:
        for rule in ("low", "first"):
            cmp = compare_to_baseline(m, t, tie_break=rule, exact=False)
            assert cmp.assumptions_hold
            assert cmp.holds and cmp.reachable_counterexamples == []
            events_raw = events_by_loops(cmp.equilibrium_raw)
            events_t = events_by_loops(cmp.equilibrium)
            missing = {(i + 1, k, l) for i, k, l in np.argwhere(events_raw & ~events_t)}
            assert not missing & reachable_by_paths(m)
    ave = compare_to_baseline(m, "AVE", exact=False)
    assert round(float(ave.social_welfare_raw), 3) == 4.393
    assert round(float(ave.social_welfare), 3) == 6.949


PAPER_CASES = [
    pytest.param(
        num, mech, alpha, rule, id=f"M{num}-{mech}{'' if alpha is None else '(1/2)'}-{rule}"
    )
    for num in (2, 3, 4)
    for mech, alpha in (("AVE", None), ("TBDS", "1/2"))
    for rule in ("low", "first")
]


@pytest.mark.parametrize("num, mech, alpha, rule", PAPER_CASES)
def test_paper_models_2_3_4_ave_tbds(num, mech, alpha, rule):
    """Models 2-4 at n = 5 violate the assumptions, yet AVE and TBDS(1/2) contain RAW's
    events on every grid pair (not only reachable ones) and improve welfare."""
    m = paper_model(num, n=5)
    cmp = compare_to_baseline(m, mech, alpha=alpha, tie_break=rule, exact=m.is_rational)
    assert not cmp.positivity  # v_0 = w_0 = 0 (all three); negative values (3, 4)
    assert not cmp.homogeneity and not cmp.assumptions_hold
    assert cmp.counterexamples == () and confirm_comparison(m, cmp) == set()
    assert cmp.holds and cmp.welfare_improves
    if m.is_rational:
        assert (
            welfare_by_paths(m.with_mechanism("matrix", matrix=cmp.reallocation), cmp.equilibrium)
            == cmp.social_welfare
        )


# trade 5's price split between its seller (player 4) and player 3; the rest is RAW
SPLIT_LAST = [
    [1, 0, 0, 0, 0, 0],
    [0, 1, 0, 0, 0, 0],
    [0, 0, 1, 0, 0, 0],
    [0, 0, 0, 1, 0, 0],
    [0, 0, 0, "1/2", "1/2", 0],
]


@pytest.mark.parametrize("num, pair", [(2, (4, 3)), (4, (14, 13))])
def test_paper_models_2_and_4_counterexample(num, pair):
    """A budget-balanced t with positive own-sale shares on Models 2 and 4 (n = 5):
    player 3, now paid half of trade 5's price, buys more keenly, but its thresholds rise
    unevenly on the additive grid (s_3(3/10): 147/250 -> 76/125, s_3(2/5): 98/125 ->
    413/500), so seller 2 at v_2 = 2/5 moves its price from s_3(3/10) up to s_3(2/5) and
    the buyer with v_3 = 3/10 no longer buys; welfare drops from 1523/6250 to 3733/15625.
    Not a contradiction: homogeneity (and positivity: v_0 = 0) fails on both models."""
    m = paper_model(num, n=5)
    cmp = compare_to_baseline(m, SPLIT_LAST, tie_break="low")
    assert cmp.budget_balanced and not cmp.homogeneity
    assert cmp.reachable_counterexamples == [(3, *pair)]
    assert m.values[pair[0]] == F(2, 5) and m.values[pair[1]] == F(3, 10)
    assert confirm_comparison(m, cmp) == set(cmp.counterexamples)
    sw_raw = welfare_by_paths(m.with_mechanism("RAW"), cmp.equilibrium_raw)
    sw_t = welfare_by_paths(m.with_mechanism("matrix", matrix=cmp.reallocation), cmp.equilibrium)
    assert (sw_raw, sw_t) == (cmp.social_welfare_raw, cmp.social_welfare)
    assert (sw_raw, sw_t) == (F(1523, 6250), F(3733, 15625))
    k, l = pair
    for eq, price, thr in (
        (cmp.equilibrium_raw, F(147, 250), F(147, 250)),
        (cmp.equilibrium, F(413, 500), F(76, 125)),
    ):
        assert (eq.prices[2][k], eq.thresholds[3][l]) == (price, thr)
    assert not cmp.welfare_improves and not cmp.holds and cmp.status == "evaluated"
    assert cmp.to_frame()["reachable_counterexamples"].tolist() == [0, 0, 1, 0, 0]


@pytest.mark.slow
@pytest.mark.parametrize("num", [2, 4])
def test_paper_counterexample_by_reference_algorithm(num):
    """The counterexample again, every equilibrium by Algorithms 1-3 as written."""
    m = paper_model(num, n=5)
    cmp = compare_to_baseline(m, SPLIT_LAST, tie_break="low", method="reference")
    assert cmp.reachable_counterexamples == [(3, 4, 3) if num == 2 else (3, 14, 13)]
    assert cmp.social_welfare == F(3733, 15625)


# ---------------------------------------------------------------- Theorem 4.3
@settings(max_examples=20)
@given(data=st.data(), model=homogeneous_chains(), rule=st.sampled_from(["low", "first"]))
def test_theorem_4_3_on_random_local_pairs(data, model, rule):
    t1, t2, i = data.draw(local_pairs(model))
    res = local_comparison(model, t1, t2, i, tie_break=rule)
    assert res.only_player_differs and res.positivity and res.homogeneity
    assert res.conclusion1 and res.conclusion2, res.violations
    assert res.prices_lower  # the proof's statement (1): p_i^2 <= p_i^1
    assert res.events_equal[[j for j in range(model.n) if j != i]].all()


@settings(max_examples=10)
@given(data=st.data(), model=homogeneous_chains(max_n=3))
def test_theorem_4_3_high_rule_with_positive_own_share(data, model):
    t1, t2, i = data.draw(local_pairs(model, positive_own_share=True))
    res = local_comparison(model, t1, t2, i, tie_break="high")
    assert res.holds and res.prices_lower, res.violations


@settings(max_examples=8)
@given(data=st.data(), model=homogeneous_chains(max_n=3))
def test_theorem_4_4_proof_path(data, model):
    """App. C.7: each step (t^k, t^(k-1)) of the path from RAW to t meets Theorem 4.3's
    hypotheses with i = k-1 and its conclusions hold under "low"."""
    t = data.draw(feasible_matrices(model.n))
    path = baseline_path(t)
    assert path[0].tolist() == raw_matrix(model.n).tolist() and path[-1].tolist() == t.tolist()
    for k in range(model.n, 0, -1):
        t_k, t_prev = path[model.n - k], path[model.n - k + 1]
        check_local_hypotheses(t_k, t_prev, k - 1)
        res = local_comparison(model, t_k, t_prev, k - 1)
        assert res.holds, (k, res.violations)


def test_theorem_4_3_hypothesis_d_allows_a_zero_prefix_share():
    """(a)-(d) as printed do not tie t^1_{i'+1,i'} to t^2_{i'+1,i'} for i' < i.  Here
    i = 1 and the pair differs only in t_{1,0}: 0 under t^1 (player 0 is indifferent
    and "low" posts the lowest candidate) and 1 under t^2, so E_1 changes and
    conclusion 1 fails, on a positive homogeneous chain."""
    m = homogeneous_chain(2, ratio=2)
    t1 = [[0, 0, 0], [0, 1, 0]]
    t2 = [[1, 0, 0], [0, 1, 0]]
    check_local_hypotheses(t1, t2, 1)  # (a)-(d) hold
    res = local_comparison(m, t1, t2, 1)
    assert not res.only_player_differs and res.positivity and res.homogeneity
    assert not res.conclusion1 and res.conclusion2 and not res.holds
    e1, e2 = events_by_loops(res.equilibrium1), events_by_loops(res.equilibrium2)
    paths = reachable_by_paths(m)
    only1 = {(1, int(k), int(l)) for k, l in np.argwhere(e1[0] & ~e2[0]) if (1, k, l) in paths}
    assert only1 == {(1, 5, 3), (1, 5, 4), (1, 5, 5)}  # v_1 = 1/4, 1/2, 1 buy from v_0 = 1
    assert {v[1:4] for v in res.violations} == only1
    assert_is_equilibrium(m.with_mechanism("matrix", matrix=t1), res.equilibrium1)
    assert_is_equilibrium(m.with_mechanism("matrix", matrix=t2), res.equilibrium2)


def test_theorem_4_3_fails_under_high_for_zero_own_share():
    m = homogeneous_chain(2, ratio=2)
    # the step of the proof's path where the example above fails: t_{2,1} drops to 0
    t2 = baseline_path([[1, 0, 0], [1, 0, 0]])[1]
    assert t2.tolist() == [[1, 0, 0], [0, 0, 0]]
    res = local_comparison(m, raw_matrix(2), t2, 1, tie_break="high")
    assert res.conclusion1 and not res.conclusion2 and not res.prices_lower
    e1, e2 = events_by_loops(res.equilibrium1), events_by_loops(res.equilibrium2)
    assert (e1[1] & ~e2[1] & reachable_pairs(m)[1]).any()


@pytest.mark.parametrize(
    "t1, t2, player, hypothesis",
    [
        (
            [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]],
            [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, "1/2", 0]],
            0,
            "(a)",
        ),
        (
            [[1, 0, 0, 0], [0, 1, 0, 0], [0, "1/2", "1/2", 0]],
            [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, "1/2", 0]],
            1,
            "(b)",
        ),
        ([[1, 0, 0], [0, "1/2", 0]], [[1, 0, 0], [0, 1, 0]], 1, "(c)"),
        ([[1, 0, 0], ["1/2", "1/2", 0]], [[1, 0, 0], [0, "1/2", 0]], 1, "(d)"),
        ([[1, 0, 0], [0, 1, 0]], [[1, 0, 0], ["1/2", "1/2", 0]], 1, "(d)"),
    ],
)
def test_local_hypotheses_named(t1, t2, player, hypothesis):
    with pytest.raises(ModelError) as err:
        check_local_hypotheses(t1, t2, player)
    assert err.value.field == f"hypothesis {hypothesis}"
    n = len(t1)
    with pytest.raises(ModelError, match=re.escape(f"hypothesis {hypothesis}")):
        local_comparison(homogeneous_chain(n), t1, t2, player)


def test_local_comparison_input_errors():
    m = homogeneous_chain(2)
    raw = raw_matrix(2)
    with pytest.raises(ModelError, match="player"):
        local_comparison(m, raw, raw, 2)
    with pytest.raises(ModelError, match="player"):
        check_local_hypotheses(raw, raw, True)
    with pytest.raises(ModelError, match="n x"):
        check_local_hypotheses(raw, raw_matrix(3), 0)
    with pytest.raises(ModelError, match="mechanism.matrix"):
        local_comparison(m, raw, [[2, 0, 0], [0, 1, 0]], 0)  # not budget feasible
    with pytest.raises(ModelError, match="tie_break"):
        local_comparison(m, raw, raw, 0, tie_break="random")
    assert local_comparison(m, raw, raw, 0).holds  # identical mechanisms


# ---------------------------------------------------------------- compare_to_baseline API
def test_compare_to_baseline_inputs_and_output():
    m = homogeneous_chain(3, ratio=2)
    by_name = compare_to_baseline(m, "TBDS", alpha="1/2")
    by_matrix = compare_to_baseline(m, tbds_matrix(3, F(1, 2)))
    by_model = compare_to_baseline(m, m.with_mechanism("TBDS", alpha="1/2"))
    assert by_name.social_welfare == by_matrix.social_welfare == by_model.social_welfare
    assert by_name.mechanism == {"name": "TBDS", "alpha": F(1, 2)}
    assert by_matrix.mechanism == {"name": "matrix"}
    d = by_name.to_dict()
    json.dumps(d)
    assert "equilibrium" not in d and d["holds"] is True and d["tie_break"] == "low"
    frame = by_name.to_frame()
    assert frame["trade"].tolist() == [1, 2, 3] and frame["contained_reachable"].all()
    assert (frame["success"] >= frame["success_raw"]).all()
    raw = compare_to_baseline(m, "RAW")
    assert raw.holds and raw.expansions_reachable.tolist() == [0, 0, 0]
    res = local_comparison(m, raw_matrix(3), raw_matrix(3), 0)
    json.dumps(res.to_dict())
    assert res.to_frame().shape == (3, 2)


def test_compare_to_baseline_errors():
    m = homogeneous_chain(2)
    with pytest.raises(ModelError, match="another chain"):
        compare_to_baseline(m, homogeneous_chain(2, ratio=3, mechanism="AVE"))
    with pytest.raises(ModelError, match="mechanism.matrix"):
        compare_to_baseline(m, [[1, 0], [0, 1]])
    with pytest.raises(ModelError, match="mechanism.alpha"):
        compare_to_baseline(m, "TBDS")
    with pytest.raises(ModelError, match="mechanism.name"):
        compare_to_baseline(m, "OPT")
    with pytest.raises(ModelError, match="tie_break"):
        compare_to_baseline(m, "AVE", tie_break="random")
    with pytest.raises(ModelError, match="model"):
        compare_to_baseline("model", "AVE")
    for bad in ([[1, 0], [0, 1, 0]], [[1, 0], [0, 1]], [[2, 0], [0, 1, 0]], 3):
        with pytest.raises(ModelError) as err:
            baseline_path(bad)
        assert err.value.field == "t"


# ---------------------------------------------------------------- Lemma C.2
@settings(max_examples=30)
@given(
    model=chain_models(max_n=4, max_L=5),
    alpha=st.fractions(min_value=F(1, 10), max_value=10, max_denominator=12).filter(
        lambda a: a > 0
    ),
    rule=st.sampled_from(["first", "low", "high", "welfare_max", "welfare_min"]),
)
def test_lemma_c2_scaling_the_grid(model, alpha, rule):
    """Lemma C.2 (1)-(2) as scaling: the chain on alpha*W with the same transitions has
    thresholds alpha*s and prices alpha*p, exactly, on random rational chains (negative
    values included: the scale form needs no positivity) and every tie rule."""
    scaled = ChainModel(
        n=model.n,
        values=np.array([alpha * w for w in model.exact()["values"]], dtype=object),
        transition=model.transition,
        reallocation=model.reallocation,
        start=model.start,
        start_distribution=model.start_distribution,
    )
    one = solve_equilibrium(model, tie_break=rule, exact=True)
    big = solve_equilibrium(scaled, tie_break=rule, exact=True)
    assert big.thresholds.tolist() == (alpha * one.thresholds).tolist()
    assert big.prices.tolist() == (alpha * one.prices).tolist()
    assert big.social_welfare == alpha * one.social_welfare
    assert big.trade_success.tolist() == one.trade_success.tolist()
    assert big.ties == one.ties
