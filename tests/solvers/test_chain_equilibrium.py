"""Chain equilibria: hand-derived rationals, the spec's regression numbers, and fast =
reference = independent verifier on random instances."""

import itertools
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from datamech import ModelError
from datamech.models.chain import ChainModel, create, paper_model
from datamech.solvers.chain import TIE_RULES, solve_equilibrium
from datamech.solvers.chain.core import WELFARE_RULES
from datamech.solvers.chain.verify import verify_equilibrium
from tests.chain_strategies import chain_models

# Found by hypothesis (--hypothesis-seed=2): the reference solver's continuation welfare
# left out the last buyer's value, so its welfare rules ranked player 1's tied prices the
# wrong way round.  Values alternate 0, 1, 0, 1 along the chain; trades 1 and 2 pay
# player 0, trade 3 pays half its price to player 2 and leaks the other half.
WELFARE_TIE_CHAIN = ChainModel(
    n=3,
    values=[0, 1],
    transition=[[0, 1], [1, 0]],
    reallocation=[[1, 0, 0, 0], [1, 0, 0, 0], [0, 0, F(1, 2), 0]],
    start=0,
)


# ---------------------------------------------------------------- hand-derived cases
def one_trade_tie():
    # v_0 = 0; v_1 uniform on {0, 1/2, 1}.  Revenue c P(v_1 >= c): 0, 1/3, 1/3.
    third = [F(1, 3)] * 3
    return create(1, [0, F(1, 2), 1], [third] * 3, start=0, mechanism="RAW")


@pytest.mark.parametrize(
    "rule, price, sw, tv",
    [
        pytest.param("first", F(1, 2), F(1, 2), F(2, 3), id="first=grid order"),
        pytest.param("low", F(1, 2), F(1, 2), F(2, 3), id="low"),
        pytest.param("high", F(1), F(1, 3), F(1, 3), id="high"),
        pytest.param("welfare_max", F(1, 2), F(1, 2), F(2, 3), id="optimistic"),
        pytest.param("welfare_min", F(1), F(1, 3), F(1, 3), id="pessimistic"),
    ],
)
@pytest.mark.parametrize("method", ["fast", "reference"])
def test_one_trade_tie_rules(rule, price, sw, tv, method):
    res = solve_equilibrium(one_trade_tie(), method=method, tie_break=rule, exact=True)
    assert res.prices[0].tolist() == [price] * 3
    assert res.thresholds[0].tolist() == [F(1, 3), F(1, 2) + F(1, 3), F(4, 3)]
    assert res.social_welfare == sw
    assert res.transaction_volume == tv
    assert res.ties == 3  # every seller value faces the same tie
    assert res.tie_break == rule


@pytest.mark.parametrize("method", ["fast", "reference"])
def test_two_trades_ave_by_hand(method):
    # W = {0, 1}, every transition a fair coin, v_0 = 0, AVE: t_10 = 1, t_20 = t_21 = 1/2.
    half = [F(1, 2), F(1, 2)]
    m = create(2, [0, 1], [half, half], start=0, mechanism="AVE")
    res = solve_equilibrium(m, method=method, exact=True)
    # player 1: price 1 earns 1/2 * 1 * 1/2 = 1/4 > 0 (price 0)
    assert res.prices[1].tolist() == [1, 1]
    assert res.thresholds[1].tolist() == [F(1, 4), F(5, 4)]
    # player 0: price 1/4 -> 1/4 + 1/2*1/2 = 1/2; price 5/4 -> 5/8 + 1/8 = 3/4
    assert res.prices[0].tolist() == [F(5, 4), F(5, 4)]
    assert res.thresholds[0].tolist() == [F(3, 4), F(7, 4)]
    assert res.trade_success.tolist() == [F(1, 2), F(1, 4)]
    assert res.transaction_volume == F(3, 4)
    assert res.player_utility.tolist() == [F(3, 4), 0, 0]
    assert res.expected_payment.tolist() == [0, F(5, 8), F(1, 4)]
    assert res.transfers_received.tolist() == [F(5, 8) + F(1, 8), F(1, 8), 0]
    assert res.social_welfare == F(3, 4)


@pytest.mark.parametrize(
    "rule, price, sw",
    [("welfare_max", F(1, 2), F(3, 2)), ("welfare_min", F(1), F(1))],
)
@pytest.mark.parametrize("method", ["fast", "reference"])
def test_welfare_rules_by_hand(rule, price, sw, method):
    # Player 2 at value 0 faces v_3 = 1: price 1 earns 1/2 (price 0 earns 0), so
    # s_2(0) = 1/2.  Player 1 earns nothing from any trade, so all its prices tie.  At
    # v_1 = 1 it faces v_2 = 0, threshold 1/2: price 1/2 sells and player 2 resells to
    # player 3 (continuation welfare v_2 + v_3 - leak = 0 + 1 - 1/2 = 1/2); price 1 does not
    # sell (continuation welfare 0).  Player 0 prices 1 = s_1(1), accepted.  So the path
    # 0, 1, 0, 1 has welfare 1 + 1/2 when player 1 prices 1/2, and 1 when it prices 1.
    res = solve_equilibrium(WELFARE_TIE_CHAIN, method=method, tie_break=rule, exact=True)
    assert res.thresholds[2].tolist() == [F(1, 2), 1]
    assert res.prices[1][1] == price
    assert res.prices[0][0] == 1
    assert res.social_welfare == sw


def test_negative_thresholds_mean_price_zero():
    # every buyer value negative: no nonnegative candidate, price 0 and u = w (Alg. 2 line 4)
    m = create(1, [-1, -2], [[F(1, 2), F(1, 2)], [F(1, 2), F(1, 2)]], start=0)
    res = solve_equilibrium(m, exact=True)
    assert res.prices[0].tolist() == [0, 0]
    assert res.thresholds[0].tolist() == [-1, -2]
    assert res.transaction_volume == 0
    assert res.social_welfare == -1


# ---------------------------------------------------------------- spec regression numbers
PAPER_RULE = {"tie_break": "first", "tol": 0.0}


@pytest.mark.parametrize(
    "model, mech, sw, tv",
    [
        (1, "RAW", 4.393, 0.660),
        (1, "AVE", 6.949, 1.357),
        (2, "RAW", 0.232, 0.859),
        (2, "AVE", 0.474, 3.053),
        (4, "RAW", 0.232, 0.859),
        (4, "AVE", 0.268, 1.001),
    ],
)
@pytest.mark.parametrize("method", ["fast", "reference"])
def test_spec_faithful_values_paper_rule(model, mech, sw, tv, method):
    # spec §4 and §7 "[found]": a faithful implementation with numpy-argmax ties
    res = solve_equilibrium(paper_model(model, 5, mech), method=method, **PAPER_RULE)
    assert float(res.social_welfare) == pytest.approx(sw, abs=6e-4)
    assert float(res.transaction_volume) == pytest.approx(tv, abs=6e-4)


@pytest.mark.parametrize("rule, sw, tv", [("low", 0.244, 0.892), ("high", 0.201, 0.752)])
def test_spec_exact_tie_rules_model2(rule, sw, tv):
    # spec §4: settling ties exactly, lowest price 0.244 / 0.892, highest 0.201 / 0.752
    res = solve_equilibrium(paper_model(2, 5, "RAW"), exact=True, tie_break=rule)
    assert isinstance(res.social_welfare, F)
    assert float(res.social_welfare) == pytest.approx(sw, abs=6e-4)
    assert float(res.transaction_volume) == pytest.approx(tv, abs=6e-4)
    assert res.ties > 0


def test_default_tolerance_settles_float_ties_like_exact():
    m = paper_model(4, 5, "AVE")
    ex = solve_equilibrium(m, exact=True, tie_break="low")
    fl = solve_equilibrium(m, tie_break="low")
    assert fl.ties == ex.ties
    np.testing.assert_allclose(fl.prices.astype(float), ex.prices.astype(float), atol=1e-12)
    assert float(fl.social_welfare) == pytest.approx(float(ex.social_welfare), abs=1e-12)


# ---------------------------------------------------------------- independent agreement
@example(WELFARE_TIE_CHAIN, "welfare_max")
@example(WELFARE_TIE_CHAIN, "welfare_min")
@given(chain_models(), st.sampled_from(TIE_RULES))
def test_fast_equals_reference_exactly(model, rule):
    fast = solve_equilibrium(model, method="fast", tie_break=rule, exact=True)
    ref = solve_equilibrium(model, method="reference", tie_break=rule, exact=True)
    assert fast.thresholds.tolist() == ref.thresholds.tolist()
    assert fast.prices.tolist() == ref.prices.tolist()
    assert fast.one_shot_revenue.tolist() == ref.one_shot_revenue.tolist()
    assert fast.ties == ref.ties
    assert fast.social_welfare == ref.social_welfare


@given(chain_models(), st.sampled_from(TIE_RULES))
def test_equilibrium_passes_independent_verifier(model, rule):
    eq = solve_equilibrium(model, tie_break=rule, exact=True)
    check = verify_equilibrium(model, eq.thresholds, eq.prices, exact=True)
    assert check.max_violation == 0
    # the enumeration verifier agrees on the best responses
    enum = verify_equilibrium(model, eq.thresholds, eq.prices, exact=True, method="enumerate")
    assert enum.best_gain.tolist() == check.best_gain.tolist()


def gain_and_welfare_by_paths(model, eq, i, k, price):
    """Player i's gain (Eq. 8) and the continuation welfare when, at v_i = w_k, it posts
    ``price`` and players i+1.. follow ``eq``: a sum over every path of later values.

    The continuation welfare is the value of each later buyer who buys, minus the part of
    each later price that leaves the chain (1 - sum_j t_mj).
    """
    n, L = model.n, model.L
    d = model.exact()
    W, T = d["values"], d["reallocation"]
    Q = [model.Q(m, exact=True) for m in range(1, n + 1)]
    gain, welfare = W[k], F(0)
    for path in itertools.product(range(L), repeat=n - i):
        ks = (k, *path)  # ks[m - i]: grid index of player m
        prob = F(1)
        for m in range(i + 1, n + 1):
            prob *= Q[m - 1][ks[m - i - 1], ks[m - i]]
        if prob == 0:
            continue
        posted = price
        for m in range(i + 1, n + 1):  # trade m: player m-1 posts `posted` to player m
            if eq.thresholds[m][ks[m - i]] < posted:
                break
            gain += prob * T[m - 1, i] * posted
            welfare += prob * (W[ks[m - i]] - (1 - sum(T[m - 1])) * posted)
            if m < n:
                posted = eq.prices[m][ks[m - i]]
    return gain, welfare


@example(WELFARE_TIE_CHAIN, "welfare_max", "reference")
@example(WELFARE_TIE_CHAIN, "welfare_min", "reference")
@given(
    chain_models(max_n=3, max_L=4, tie_prone=True),
    st.sampled_from(WELFARE_RULES),
    st.sampled_from(["fast", "reference"]),
)
def test_welfare_rules_pick_the_extreme_continuation_welfare(model, rule, method):
    # every seller's price maximizes its gain, and among the maximizers it has the
    # largest (welfare_max) or smallest (welfare_min) continuation welfare, both
    # enumerated over paths against the later players' strategies
    eq = solve_equilibrium(model, method=method, tie_break=rule, exact=True)
    pick = max if rule == "welfare_max" else min
    for i in range(model.n):
        cands = sorted({thr for thr in eq.thresholds[i + 1] if thr >= 0})
        if not cands:
            continue
        for k in range(model.L):
            evals = {c: gain_and_welfare_by_paths(model, eq, i, k, c) for c in cands}
            best = max(g for g, _ in evals.values())
            tied = [w for g, w in evals.values() if g == best]
            gain, welfare = evals[eq.prices[i][k]]
            assert gain == best == eq.thresholds[i][k]
            assert welfare == pick(tied), (i, k)


@given(chain_models(max_n=3, max_L=4))
def test_float_mode_matches_exact(model):
    ex = solve_equilibrium(model, exact=True)
    fl = solve_equilibrium(model)
    np.testing.assert_allclose(fl.prices, ex.prices.astype(float), atol=1e-9)
    np.testing.assert_allclose(fl.thresholds, ex.thresholds.astype(float), atol=1e-9)
    assert float(fl.social_welfare) == pytest.approx(float(ex.social_welfare), abs=1e-9)


@given(chain_models(max_n=3, max_L=4), st.data())
def test_verifier_detects_a_deviation(model, data):
    eq = solve_equilibrium(model, exact=True)
    prices = eq.prices.copy()
    i = data.draw(st.integers(0, model.n - 1))
    k = data.draw(st.integers(0, model.L - 1))
    prices[i, k] += F(1, 7)
    check = verify_equilibrium(model, eq.thresholds, prices, exact=True)
    own = verify_equilibrium(model, eq.thresholds, eq.prices, exact=True)
    # the deviation either costs the seller or leaves its gain unchanged (then u must move)
    assert check.max_violation >= own.max_violation
    if check.max_violation == 0:
        assert check.best_gain[i, k] == eq.thresholds[i, k]


def test_verifier_flags_a_wrong_threshold():
    m = paper_model(2, 3, "AVE")
    eq = solve_equilibrium(m, exact=True)
    thr = eq.thresholds.copy()
    thr[1, 2] += F(1, 10)
    check = verify_equilibrium(m, thr, eq.prices, exact=True)
    assert check.max_violation >= F(1, 10)
    assert check.worst[0] in (0, 1)


def test_metrics_identities_budget_balanced():
    m = paper_model(1, 5, "AVE")
    res = solve_equilibrium(m)
    # budget balance: transfers received add up to payments made; SW = E[v_0 + sum v_i y_i]
    assert res.transfers_received.sum() == pytest.approx(res.expected_payment.sum())
    assert float(res.social_welfare) == pytest.approx(res.expected_value.sum())
    assert float(res.transaction_volume) == pytest.approx(res.trade_success.sum())


def test_metrics_with_budget_leak():
    # trade 1 pays 1/2 of its price to player 0, the rest leaves the chain
    m = create(1, [0, 1], [[0, 1], [0, 1]], start=0, mechanism="matrix", matrix=[["1/2", 0]])
    res = solve_equilibrium(m, exact=True)
    assert res.prices[0].tolist() == [1, 1]
    assert res.expected_payment.tolist() == [0, 1]
    assert res.social_welfare == F(1, 2)  # v_1 = 1 minus the half price that leaks


def test_per_trade_transitions_use_the_transition_into_the_buyer():
    # spec §3 [fix]: the law of v_{i+1} is Q_{i+1}.  Trade 1 certainly lands on 1, trade 2 on 0.
    Q1 = [[0, 1], [0, 1]]
    Q2 = [[1, 0], [1, 0]]
    m = create(2, [0, 1], transitions=[Q1, Q2], start=0, mechanism="RAW")
    res = solve_equilibrium(m, method="reference", exact=True)
    fast = solve_equilibrium(m, exact=True)
    assert res.prices.tolist() == fast.prices.tolist()
    # player 1 (value 1) faces a buyer of value 0: price 0, sale certain
    assert res.prices[1].tolist() == [0, 0]
    assert res.thresholds[1].tolist() == [0, 1]
    assert res.prices[0].tolist() == [1, 1]
    assert res.trade_success.tolist() == [1, 1]


@pytest.mark.parametrize(
    "kw, field",
    [
        ({"method": "slow"}, "solver.method"),
        ({"tie_break": "random"}, "solver.tie_break"),
        ({"tol": -1.0}, "solver.tol"),
        ({"exact": "yes"}, "solver.exact"),
    ],
)
def test_bad_solver_options(kw, field):
    with pytest.raises(ModelError) as err:
        solve_equilibrium(paper_model(2, 2), **kw)
    assert err.value.field == field


def test_result_to_dict_is_json():
    import json

    res = solve_equilibrium(paper_model(2, 3, "AVE"), exact=True)
    d = json.loads(json.dumps(res.to_dict()))
    assert d["status"] == "optimal"
    assert len(d["thresholds"]) == 4 and len(d["prices"]) == 3
    assert d["social_welfare"] == pytest.approx(float(res.social_welfare))
    frame = res.to_frame()
    assert list(frame["player"]) == [0, 1, 2, 3]


def enumerated_metrics(model, eq):
    """E[U_i] and P(trade i) by summing over every valuation path (Eq. 2 read literally)."""
    import itertools

    n, L = model.n, model.L
    d = model.exact()
    W, T, start = d["values"], d["reallocation"], d["start"]
    Q = [model.Q(i, exact=True) for i in range(1, n + 1)]
    utility = [F(0)] * (n + 1)
    success = [F(0)] * n
    for k0 in range(L):
        for path in itertools.product(range(L), repeat=n):
            ks = (k0, *path)
            prob = start[k0]
            for i in range(1, n + 1):
                prob *= Q[i - 1][ks[i - 1], ks[i]]
            if prob == 0:
                continue
            y, paid = [1] + [0] * n, [F(0)] * (n + 1)
            for i in range(1, n + 1):
                price = eq.prices[i - 1][ks[i - 1]]
                if y[i - 1] and eq.thresholds[i][ks[i]] >= price:
                    y[i], paid[i] = 1, price
            u = [W[ks[0]]] + [(W[ks[i]] - paid[i]) * y[i] for i in range(1, n + 1)]
            for i in range(1, n + 1):
                for j in range(i):
                    u[j] += T[i - 1, j] * paid[i]
                success[i - 1] += prob * y[i]
            for j in range(n + 1):
                utility[j] += prob * u[j]
    return utility, success


@given(chain_models(max_n=3, max_L=4))
def test_exact_metrics_equal_path_enumeration(model):
    eq = solve_equilibrium(model, exact=True)
    utility, success = enumerated_metrics(model, eq)
    assert eq.player_utility.tolist() == utility
    assert eq.trade_success.tolist() == success
    assert eq.social_welfare == sum(utility)
