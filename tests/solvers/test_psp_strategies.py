"""Equal split, participation cost ϱ and the shadow-price remedy (issue 18 §3, §4).

Expected values are hand computations written out next to each test.  The markets: two
sellers of 10 units with reserves 0.1 (s1) and 0.3 (s2) unless said otherwise, one buyer
with a linear-capped valuation θ(z) = min(z, cap) (θ' = 1), ε = 0.01.
"""

import warnings

import numpy as np
import pytest

import datamech as dm
from datamech.errors import ModelError
from datamech.models.psp import PSPModel
from datamech.models.psp_valuations import LinearCappedValuation as L
from datamech.models.psp_valuations import QuadraticValuation as Qv
from datamech.solvers.psp import (
    Market,
    StrategyMarket,
    best_deviation_value,
    make_market,
)
from datamech.status import Status

EPS = 0.01


def one_buyer(cap, rho=None, reserve=(0.1, 0.3)):
    return PSPModel([10.0, 10.0], ("a",), (L(1.0, cap),), EPS, reserve=list(reserve),
                    participation_cost=rho, schedule="round_robin")  # fmt: skip


def quiet(model, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return dm.solve(model, **kw)


# ----------------------------------------------------------------- equal split
def test_equal_split_on_two_sellers_by_hand():
    # need 16: 1·10 < 16 <= 2·10, so n = 2 (eq. 22); the average MPF is (0.1 + 0.3)/2 = 0.2
    # up to 20 > 16 = the cap, so v = 16 − ε and each seller gets v/2 at θ'(v) = 1
    m = one_buyer(16.0)
    mk = StrategyMarket(m, split="equal")
    q, p = mk.zero_profile()
    qi, pi = mk.reply(0, q, p)
    assert qi.tolist() == [(16 - EPS) / 2] * 2 and pi.tolist() == [1.0, 1.0]
    # u = (16 − ε) − 0.2 (16 − ε); the best deviation buys 10 at 0.1 and 6 at 0.3:
    # 16 − 2.8 = 13.2, a gain of 0.4 + 0.8ε > 2ε: the equal split is not a best reply
    assert mk.utility(0, qi, pi, q, p) == pytest.approx(0.8 * (16 - EPS), abs=1e-12)
    res = dm.solve(m, split="equal")
    assert res.status is Status.NOT_CONVERGED and res.split == "equal"
    assert res.eps_nash.max_violation == pytest.approx(0.4 + 0.8 * EPS, abs=1e-9)
    assert "split = 'greedy'" in res.advice
    # the greedy split on the same market is a 2ε-Nash stop
    assert dm.solve(m).status is Status.EVALUATED


def test_equal_split_prices_the_total_at_the_average_mpf():
    # s1: 10 free at 0.1; s2: an opponent holds (6, 0.5), so 4 free at 0.1 then 0.5.
    # need 12 > 10: n = 2; (1/2)[P1(z/2) + P2(z/2)] = 0.1 for z <= 8, 0.3 up to 20;
    # θ' = 1 above both up to the cap: v = 12 − ε, (v/2, 1) at each, and
    # u = v − [0.1 v/2 + 0.1·4 + 0.5 (v/2 − 4)] = 10 − 0.7ε
    m = PSPModel([10.0, 10.0], ("a", "b"), (L(1.0, 12.0), L(0.5, 6.0)), EPS,
                 reserve=[0.1, 0.1])  # fmt: skip
    q = np.array([[0.0, 0.0], [0.0, 6.0]])
    p = np.array([[0.0, 0.0], [0.0, 0.5]])
    mk = StrategyMarket(m, split="equal")
    qi, pi = mk.reply(0, q, p)
    assert qi.tolist() == pytest.approx([(12 - EPS) / 2] * 2, abs=1e-12)
    assert pi.tolist() == [1.0, 1.0]
    assert mk.utility(0, qi, pi, q, p) == pytest.approx(10 - 0.7 * EPS, abs=1e-12)


def test_equal_split_pool_size_of_eq_22():
    # need 8 <= 10: one seller; equal availability, so the first (s1): (8 − ε, 1) there
    mk = StrategyMarket(one_buyer(8.0), split="equal")
    q, p = mk.zero_profile()
    qi, pi = mk.reply(0, q, p)
    assert qi.tolist() == [8 - EPS, 0.0] and pi.tolist() == [1.0, 0.0]
    # an opponent above θ'(0) = 1 holds 6 of s2: A = (10, 4); need 12: 1·10 < 12 and
    # 2·4 < 12, so no n fits and the pool is the n with the largest n·A_(n): s1 alone,
    # where the cap of 10 units binds: (10 − ε, 1)
    m = PSPModel([10.0, 10.0], ("a", "b"), (L(1.0, 12.0), L(3.0, 6.0)), EPS,
                 reserve=[0.1, 0.1])  # fmt: skip
    q = np.array([[0.0, 0.0], [0.0, 6.0]])
    p = np.array([[0.0, 0.0], [0.0, 2.0]])
    qi, pi = StrategyMarket(m, split="equal").reply(0, q, p)
    assert qi.tolist() == pytest.approx([10 - EPS, 0.0], abs=1e-12) and pi.tolist() == [1.0, 0.0]


# ----------------------------------------------------------------- participation cost ϱ
@pytest.mark.parametrize(
    "rho, bids, utility, best",
    [
        # both sellers: 12 − ε − (1 + 0.3 (2 − ε)) − 2ϱ;  s1 only: (10 − ε)(1 − 0.1) − ϱ
        (0.5, [10.0, 2 - EPS], 9.4 - 0.7 * EPS, 9.4),  # 9.4 − 0.7ε > 8.5 − 0.9ε
        (1.5, [10 - EPS, 0.0], 7.5 - 0.9 * EPS, 7.5),  # 7.4 − 0.7ε < 7.5 − 0.9ε
        (10.0, [0.0, 0.0], 0.0, 0.0),  # every bid loses money: stay out
    ],
)
def test_participation_cost_by_hand(rho, bids, utility, best):
    m = one_buyer(12.0, rho=[rho])
    mk = make_market(m)
    assert isinstance(mk, StrategyMarket) and not mk.compiled
    q, p = mk.zero_profile()
    qi, pi = mk.reply(0, q, p)
    assert qi.tolist() == pytest.approx(bids, abs=1e-12)
    assert mk.utility(0, qi, pi, q, p) == pytest.approx(utility, abs=1e-12)
    # the deviation search over subsets: {s1}: 10 − 1 − ϱ, {s2}: 10 − 3 − ϱ,
    # {s1, s2}: 12 − 1.6 − 2ϱ, or nothing
    assert best_deviation_value(mk, 0, q, p) == pytest.approx(best, abs=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # within the bound with Σ ϱ_i |N(i)|
        res = dm.solve(m)
    assert res.status is Status.EVALUATED and res.utilities[0] == pytest.approx(utility)
    assert res.loss <= res.loss_bound
    n_bids = int(np.count_nonzero(bids))
    assert res.participation_costs.tolist() == [rho * n_bids]
    assert ("participation_cost" in res.to_frame()) == (n_bids > 0)


def test_a_zero_participation_cost_keeps_the_compiled_market():
    m = one_buyer(12.0)
    assert type(make_market(m)) is Market and make_market(m).compiled
    assert not make_market(m, remedy="shadow_price").compiled


# ----------------------------------------------------------------- shadow-price remedy
@pytest.mark.parametrize("eps", [0.1, 0.01, 0.001])
def test_shadow_prices_restore_efficiency_on_the_partial_links_counterexample(eps):
    # round-robin, flex first: flex's 10 − 0.8ε go to s2 (reserve 0.1) priced at its
    # replacement cost 0.2 (s1's reserve) + ε; local outbids that and takes 10 − ε/2 at
    # θ_L'(v) = 1 + ε/20; flex moves to s1: 10 − 1.3ε there (priced at s2's next unit,
    # local's 1 + ε/20, + ε) and the ε/2 left at s2; local's reply is then unchanged.
    # W = 1.25 (10 − 0.8ε) + θ_L(10 − ε/2) + 0.2 · 1.3ε with θ_L(10 − δ) = 15 − δ − δ²/20:
    # W = 27.5 − 1.24ε − ε²/80, W* = 27.5; flex's gap is 0.84ε, local's 0.4ε + ε²/80 · 40
    m = dm.load("examples/models/psp_partial_links.toml").with_options(epsilon=eps)
    res = quiet(m, remedy="shadow_price", competitive_ratio="welfare")
    assert res.status is Status.EVALUATED and res.rounds == 3 and not res.warnings
    assert res.welfare == pytest.approx(27.5 - 1.24 * eps - eps**2 / 80, abs=1e-9)
    assert res.eps_nash.max_violation == pytest.approx(0.84 * eps, abs=1e-9)
    assert res.loss <= res.loss_bound
    # without the remedy the loss stays above 2.3 (docs/psp.md)
    assert quiet(m, competitive_ratio="welfare").loss > 2.3


@pytest.mark.parametrize("seed", range(3))
def test_shadow_prices_keep_the_complete_graph_bound(seed):
    rng = np.random.default_rng(seed)
    n, J = 4, 3
    vals = tuple(Qv(float(rng.uniform(0.05, 0.2)), float(rng.uniform(5, 15))) for _ in range(n))
    r = rng.uniform(0.01, 0.2, J).round(3)
    m = PSPModel(rng.uniform(3, 8, J).round(2), tuple(f"b{i}" for i in range(n)), vals, 0.05,
                 reserve=r, retention=r, seed=seed)  # fmt: skip
    res = quiet(m, remedy="shadow_price", competitive_ratio="welfare")
    assert res.status is Status.EVALUATED and res.eps_nash.ok
    assert res.loss <= res.loss_bound + 1e-9


# ----------------------------------------------------------------- options
@pytest.mark.parametrize(
    "key, value", [("split", "halves"), ("remedy", "reserve"), ("competitive_ratio", "space")]
)
def test_bad_option_values_name_the_option(key, value):
    with pytest.raises(ModelError, match=rf"^solver\.{key}: .*{value}"):
        dm.solve(one_buyer(8.0), **{key: value})


def test_draft_rules_charge_the_participation_cost():
    # the draft example's rules with ϱ = 0.5 for A: A ends with 25 at each seller
    # (REG-EX-DRAFT), so it pays 2ϱ = 1 on top of its payments
    m = dm.load("examples/models/psp_draft_example.toml")
    rho = [0.5, 0, 0, 0, 0]
    res = dm.solve(m.with_options(participation_cost=rho), competitive_ratio="welfare")
    base = dm.solve(m, competitive_ratio="welfare")
    assert res.utilities[0] == pytest.approx(base.utilities[0] - 1.0)
    assert res.participation_costs.tolist() == [1.0, 0, 0, 0, 0]
