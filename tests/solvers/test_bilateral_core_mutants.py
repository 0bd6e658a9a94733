"""Bilateral trade (solvers/bilateral/core.py) on instances solved by hand.

Written for mutation testing (issue 19, item 4: ``python benchmarks/mutation.py
bilateral_core``).  Discrete virtual values (the ladder's slopes): a buyer on {1, 2}
with probabilities 1/2 each has phi^B = (1 - 1 * (1/2)/(1/2), 2) = (0, 2); a seller on
{1, 2} has phi^S = (1, 2 + 1 * (1/2)/(1/2)) = (1, 3); a seller on {0, 3/2} has (0, 3).
"""

from fractions import Fraction as F

import numpy as np
import pytest

from datamech import ModelError
from datamech.models.distributions import Discrete, Uniform
from datamech.solvers.bilateral.core import (
    BROKER,
    BUYER_P,
    FIRST_BEST,
    SELLER_P,
    Rule,
    W,
    budget_surplus,
    evaluate,
    first_best,
    gains_from_trade,
    instance,
    second_best,
)

HALF = [F(1, 2), F(1, 2)]
B12 = Discrete([1, 2], HALF)
S12 = Discrete([1, 2], HALF)
S0 = Discrete([0, F(3, 2)], HALF)


def test_lemma_c1_by_calculus():
    # max_x v x^a - c x: x* = (a v / c)^(1/(1-a)); a = 1/2, v = 2, c = 1: x* = 1, value 1
    assert W(2.0, 1.0, 0.5) == pytest.approx(1.0, rel=1e-15)
    assert W(1.0, 1.0, 0.5) == pytest.approx(0.25, rel=1e-15)  # x* = 1/4: 1/2 - 1/4
    # a = 2/3 (k = 3), v = 3, c = 2: x* = (2/3 * 3/2)^3 = 1, value 3 - 2 = 1
    assert W(3, 2, F(2, 3)) == pytest.approx(1.0, rel=1e-14)
    # a = 1/3 (k = 3/2), v = 3, c = 1: x* = 1, value 3 - 1 = 2
    assert W(3.0, 1.0, 1 / 3) == pytest.approx(2.0, rel=1e-14)
    assert W(-1.0, 1.0, 0.5) == 0.0  # v_+ = 0: no trade
    got = W(np.array([1.0, 2.0]), 1.0, 0.5)
    assert isinstance(got, np.ndarray) and got.tolist() == pytest.approx([0.25, 1.0])
    assert isinstance(W(1.0, 1.0, 0.5), float)


def test_indivisible_discrete_by_hand():
    # first best trades iff v >= c: E[(v - c)_+] over 4 equally likely pairs
    assert gains_from_trade(B12, S0, 0, good="indivisible") == pytest.approx(0.875)
    # B(0) = E[(phi^B - phi^S) 1{v >= c}] = ((0 - 0) + (2 - 0) + (2 - 3)) / 4
    assert budget_surplus(B12, S0, 0, good="indivisible") == pytest.approx(0.25)
    assert budget_surplus(B12, S12, 0, good="indivisible") == pytest.approx(-0.25)


@pytest.mark.parametrize(
    "rule, want",
    [
        # N = phi^B (0, 2), D = c: pairs (2, 1) and (2, 2) trade (a tie trades)
        (SELLER_P, (0.25, 0.0, 0.25)),
        # N = v, D = phi^S (1, 3): pairs (1, 1) and (2, 1) trade
        (BUYER_P, (0.25, 0.0, 0.25)),
        # N = phi^B, D = phi^S: only (2, 1)
        (BROKER, (0.25, 0.25, 0.25)),
        # v >= c: (1, 1), (2, 1), (2, 2); U = E[(v - c)_+]
        (FIRST_BEST, (0.25, -0.25, 0.25)),
    ],
)
def test_weight_rules_indivisible(rule, want):
    inst = instance(B12, S12, None, "indivisible")
    assert evaluate(inst, rule) == pytest.approx(want, abs=1e-15)


def test_tie_weight_rule():
    # trade with probability 1/2 where N = D: the pairs (1, 1) and (2, 2) half the time
    inst = instance(B12, S12, None, "indivisible")
    got = evaluate(inst, Rule(1.0, 0.0, 1.0, 0.0, tie=0.5))
    assert got == pytest.approx((0.25, 0.25 * (1 - 2 * 0.5), 0.25), abs=1e-15)
    got = evaluate(inst, Rule(1.0, 0.0, 1.0, 0.0, tie=0.0))
    assert got == pytest.approx((0.25, 0.25, 0.25), abs=1e-15)


def test_second_best_discrete_tie():
    # B(0) = -1/4 < 0; for lambda > 0 only (2, 1) trades, so lambda* = 0+ with the tied
    # pairs (1, 1), (2, 2) trading with probability w: B = (1 - 2 w)/4 = 0 at w = 1/2
    r = second_best(B12, S12, good="indivisible")
    assert r.gains_from_trade == pytest.approx(0.25)
    assert r.first_best == pytest.approx(0.25) and r.ratio == pytest.approx(1.0)
    assert r.budget_at_zero == pytest.approx(-0.25)
    assert r.tie_weight == pytest.approx(0.5)
    assert abs(r.budget_surplus) < 1e-12
    assert r.lambda_star == pytest.approx(0.0, abs=1e-9)


def test_second_best_first_best_feasible():
    r = second_best(B12, S0, good="indivisible")
    assert r.lambda_star == 0 and r.regime == "first_best_feasible"
    assert r.gains_from_trade == pytest.approx(0.875)
    assert r.budget_surplus == pytest.approx(0.25)


def test_second_best_uniform_myerson_satterthwaite():
    # trade iff v - c >= 1/4, i.e. lambda / (1 + 2 lambda) = 1/4: lambda* = 1/2, GFT 9/64
    r = second_best(Uniform(0, 1), Uniform(0, 1), good="indivisible")
    assert r.gains_from_trade == pytest.approx(9 / 64, abs=1e-9)
    assert r.lambda_star == pytest.approx(0.5, abs=1e-9)
    assert r.first_best == pytest.approx(1 / 6, abs=1e-12)


def test_scaling_first_best_exact():
    # a = 1/2, k = 2: FB = (1 - a) a^(k-1) E[v^2] E[1/c] = 1/4 * 5/2 * 3/4 = 15/32
    r = first_best(B12, S12, alpha=F(1, 2))
    assert r.exact == F(15, 32) and r.gains_from_trade == pytest.approx(15 / 32)
    # B = a E[phi^B v] E[1/c] - a^2 E[v^2] E[phi^S / c^2] = 3/4 - 35/64 = 13/64
    assert r.budget_surplus == pytest.approx(13 / 64)
    assert r.status == "evaluated"
    assert first_best(B12, S12, alpha=0.5).exact is None  # a float alpha: no exact value
    assert first_best(B12, S12, alpha=F(1, 3)).exact is None  # k = 3/2 is not an integer


def test_negative_lambda_is_refused():
    for fn in (budget_surplus, gains_from_trade):
        with pytest.raises(ModelError) as e:
            fn(B12, S12, -0.5, good="indivisible")
        assert e.value.field == "lambda"
        assert e.value.problem == "must be nonnegative, got -0.5"


@pytest.mark.parametrize("xtol", [0, 1, 2.0, "x", float("nan")])
def test_second_best_xtol_range(xtol):
    with pytest.raises(ModelError) as e:
        second_best(B12, S12, good="indivisible", xtol=xtol)
    assert e.value.field == "xtol"


def test_unknown_lagrangian_option_is_named():
    with pytest.raises(ModelError) as e:
        second_best(B12, S12, good="indivisible", solver="ipopt", grid=4)
    assert e.value.field == "grid"  # the first unknown option, alphabetically
    assert e.value.problem == "is not an option of the lagrangian method"


def test_program_method_runs_the_dsic_program():
    r = second_best(B12, S12, good="indivisible", method="program")
    assert r.method == "program"


def test_irregular_seller_law_is_rounded_up_to_its_ladder():
    # seller: 1/2 at cost 1, 1/2 uniform on [2, 3]; the ladder is 1 and 2 + k/4096
    # (k = 0..4095).  Rounded up, the mass of (p_j, p_{j+1}] sits at p_{j+1}: 1/2 at 1,
    # nothing at 2 (F(2) = F(1)), and (1/2)/4096 at each 2 + k/4096 for k = 1..4096,
    # the last one being the top of the support, 3.
    from datamech.models.distributions import Mixture
    from datamech.solvers.bilateral.core import Side

    law = Mixture([Discrete([1], [1]), Uniform(2, 3)], [0.5, 0.5], where="seller")
    side = Side(law, "seller")
    assert not side.continuous
    want_values = [1.0] + [2 + k / 4096 for k in range(1, 4097)]
    assert side.values.tolist() == want_values
    assert side.probs[0] == pytest.approx(0.5, rel=1e-12)
    assert side.probs[1:] == pytest.approx(np.full(4096, 1 / 8192), rel=1e-9)


# ---------------------------------------------------------------- one side, by hand
# Buyer on {1, 2, 4} with (1/4, 1/4, 1/2): phi^B_i = v_i - (v_{i+1} - v_i) P(V > v_i) / p_i
# = (1 - 1 * (3/4)/(1/4), 2 - 2 * (1/2)/(1/4), 4) = (-2, -2, 4).
B124 = Discrete([1, 2, 4], [F(1, 4), F(1, 4), F(1, 2)])
# Seller on {1, 3} with (1/2, 1/2): phi^S = (1, 3 + 2 * (1/2)/(1/2)) = (1, 5).
S13 = Discrete([1, 3], HALF)
# Buyer on {1, 2, 3} with (1/2, 1/10, 2/5): phi^B = (1 - 1/2 / (1/2), 2 - (2/5)/(1/10), 3)
# = (0, -2, 3), not monotone: ironed over the first two atoms to (0 * 5 - 2 * 1)/6 = -1/3.
B_IRREG = Discrete([1, 2, 3], [F(1, 2), F(1, 10), F(2, 5)])


def _side(law, role):
    from datamech.solvers.bilateral.core import Side

    return Side(law, role)


def test_atoms_step_the_right_way():
    # buyer: the largest atom <= x (values rounded down); seller: the smallest atom >= x
    b, s = _side(B124, "buyer"), _side(B124, "seller")
    x = np.array([0.5, 1.0, 1.5, 2.0, 3.9, 4.0, 7.0])
    assert b._atom(x).tolist() == [0, 0, 0, 1, 1, 2, 2]
    assert s._atom(x).tolist() == [0, 0, 1, 1, 2, 2, 2]
    assert b.phi(x).tolist() == [-2, -2, -2, -2, -2, 4, 4]
    assert s.phi(x).tolist() == [1, 1, 3, 3, 6, 6, 6]


def test_weights_are_ironed_with_the_probabilities():
    side = _side(B_IRREG, "buyer")
    assert side.phis.tolist() == pytest.approx([0, -2, 3], abs=1e-15)
    assert side.weight_atoms(0.0, 1.0) == pytest.approx([-1 / 3, -1 / 3, 3], rel=1e-14)
    # v + phi = (1, 0, 6): pooled (1/2 * 1 + 1/10 * 0) / (6/10) = 5/6
    assert side.weight_atoms(1.0, 1.0) == pytest.approx([5 / 6, 5 / 6, 6], rel=1e-14)
    n = side.weight(1.0, 1.0)
    assert n(np.array([0.0, 1.5, 2.5, 3.0, 9.0])) == pytest.approx([5 / 6, 5 / 6, 5 / 6, 6, 6])
    u = _side(Uniform(0, 1), "buyer").weight(2.0, 3.0)  # 2v + 3(2v - 1) = 8v - 3
    assert u(np.array([0.0, 0.5, 1.0])) == pytest.approx([-3.0, 1.0, 5.0], abs=1e-15)


def test_buyer_tail_of_a_discrete_buyer():
    # (P, E[v; .], E[phi; .], E[N; .]) over {N(v) >= t, N(v) > 0}, N(v) = v
    from datamech.solvers.bilateral.core import buyer_tail

    side = _side(B124, "buyer")
    t = np.array([0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0])
    p, ev, ephi, en = buyer_tail(side, side.weight(1.0, 0.0), t, FIRST_BEST)
    assert p.tolist() == [1, 1, 0.75, 0.75, 0.5, 0.5, 0]
    assert ev.tolist() == [2.75, 2.75, 2.5, 2.5, 2.0, 2.0, 0]  # 1/4 + 2/4 + 4/2 = 11/4
    assert ephi.tolist() == [1.0, 1.0, 1.5, 1.5, 2.0, 2.0, 0]  # -2/4 - 2/4 + 2 = 1
    assert en.tolist() == ev.tolist()
    # the ironed weight (-1/3, -1/3, 3) of B_IRREG: N > 0 only at the top atom, whatever t
    side = _side(B_IRREG, "buyer")
    rule = Rule(0.0, 1.0, 1.0, 0.0)
    p, ev, ephi, en = buyer_tail(side, side.weight(0.0, 1.0), np.array([-5.0, 0.0, 3.0]), rule)
    assert p == pytest.approx([0.4, 0.4, 0.4], rel=1e-14)
    assert ev == pytest.approx([1.2, 1.2, 1.2], rel=1e-14)
    assert ephi == pytest.approx([1.2, 1.2, 1.2], rel=1e-14)
    assert en == pytest.approx([1.2, 1.2, 1.2], rel=1e-14)


def test_posted_prices_with_two_discrete_laws():
    # GFT(p) = E[v; v >= p] P(c <= p) - P(v >= p) E[c; c <= p] for B124 and S13:
    # p = 1: 11/4 * 1/2 - 1 * 1/2 = 7/8;  p = 2: 5/2 * 1/2 - 3/4 * 1/2 = 7/8;
    # p = 3: 2 * 1 - 1/2 * 2 = 1;  p = 4: the same;  p = 2.5: 2 * 1/2 - 1/2 * 1/2 = 3/4
    from datamech.solvers.bilateral.mechanisms import posted_price, posted_price_gft

    want = {1: 7 / 8, 2: 7 / 8, 2.5: 3 / 4, 3: 1.0, 4: 1.0, 5: 0.0}
    for p, g in want.items():
        assert posted_price_gft(B124, S13, p) == pytest.approx(g, rel=1e-14, abs=1e-15)
    r = posted_price(B124, S13)
    assert r.status == "optimal"  # two discrete laws: every atom is a candidate
    assert r.gains_from_trade == pytest.approx(1.0, rel=1e-14)
    assert r.price == 3.0  # the first of the maximizers 3 <= p <= 4
    # FB = E[(v - c)_+] = 1/8 * 1 + 1/4 * 3 + 1/4 * 1 = 9/8
    assert r.first_best == pytest.approx(9 / 8, rel=1e-14)


def test_seller_rounded_up_on_an_unbounded_support():
    # 1/2 at cost 1 and 1/2 exponential(1): the ladder's top is the 1 - 1e-9 quantile,
    # where P(C > x) = e^{-x} / 2 = 1e-9, x = ln(5e8); it carries all the mass above
    # the ladder's last price
    from datamech.models.distributions import Exponential, Mixture

    law = Mixture([Discrete([1], [1]), Exponential(1.0)], [0.5, 0.5], where="seller")
    side = _side(law, "seller")
    assert not side.continuous
    assert side.values[-1] == pytest.approx(np.log(5e8), rel=1e-9)
    assert side.probs[-1] == pytest.approx(1 - float(law.cdf(side.values[-2])), rel=1e-9)
    assert side.probs.sum() == pytest.approx(1.0, rel=1e-14)


def test_crossing_and_quantile_thresholds():
    u = _side(Uniform(0, 1), "buyer")  # phi = 2v - 1
    assert u.crossing(u.phi, 0.0) == pytest.approx(0.5, abs=1e-14)
    assert u.crossing(u.phi, -3.0) == 0.0  # reached at the bottom already
    assert u.crossing(u.phi, 1.0) == pytest.approx(1.0, abs=1e-14)
    assert u.crossing(u.phi, 2.0) == 1.0  # never reached: the top
    e = _side(__import__("datamech.models.distributions", fromlist=["x"]).Exponential(1.0), "buyer")
    assert e.crossing(e.phi, 0.0) == pytest.approx(1.0, abs=1e-12)  # phi = v - 1
    assert e.crossing(e.phi, 1e9) == np.inf
    # quantile of the first type with 2v - 1 >= t (> t): u = (t + 1) / 2
    got = u.threshold_u(u.phi, np.array([-2.0, -0.5, 0.0, 0.5, 2.0]), strict=False)
    assert got == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0], abs=1e-15)


def test_expectations_by_double_exponential_quadrature():
    from datamech.models.distributions import Exponential
    from datamech.solvers.bilateral.core import _de_rule

    s = _side(Uniform(0, 1), "seller")
    assert s.expect(lambda c: c**2) == pytest.approx(1 / 3, rel=1e-14)
    assert s.expect(lambda c: c**-0.5) == pytest.approx(2.0, rel=1e-12)  # singular at 0
    assert s.expect(lambda c: np.abs(c - 0.3), (0.3,)) == pytest.approx(0.29, rel=1e-14)
    e = _side(Exponential(1.0), "buyer")
    assert e.expect(lambda v: v) == pytest.approx(1.0, rel=1e-13)
    assert e.expect(lambda v: v**2) == pytest.approx(2.0, rel=1e-13)
    assert e.expect(lambda v: np.maximum(v - 1, 0), (1.0,)) == pytest.approx(np.exp(-1), rel=1e-13)
    # the rule itself: nodes inside each piece (never at its left end, where c^{-(k-1)}
    # is singular; the right end only by rounding), weights summing to its length
    x, w = _de_rule([0.0, 1.0, 3.0])
    assert np.all((x > 0) & (x <= 3)) and np.all(w > 0)
    assert w[x < 1].sum() == pytest.approx(1.0, rel=1e-14)
    assert w[x > 1].sum() == pytest.approx(2.0, rel=1e-14)
    assert w @ np.sqrt(x) == pytest.approx(2 / 3 * 3**1.5, rel=1e-14)
    x, w = _de_rule([2.0, np.inf])
    assert np.all(x > 2) and np.all(np.isfinite(w))
    assert w @ np.exp(2 - x) == pytest.approx(1.0, rel=1e-13)


def test_w_takes_integers_arrays_and_negative_values():
    # Lemma C.1 at alpha = 1/2 (k = 2): W = v_+^2 / (4 c)
    assert W(2, 3, F(1, 2)) == pytest.approx(1 / 3, rel=1e-15)
    assert isinstance(W(2, 3, F(1, 2)), float)
    got = W(np.array([-1, 0, 2, 4]), np.array([1, 1, 2, 4]), 0.5)
    assert got.tolist() == pytest.approx([0.0, 0.0, 0.5, 1.0], rel=1e-15)
    # alpha = 2/3 (k = 3): W = (1/3) (2/3)^2 v^3 / c^2
    assert W(3.0, 2.0, F(2, 3)) == pytest.approx(1.0, rel=1e-14)  # (1/3)(4/9) 27/4


def _plant(monkeypatch, is_target, budget):
    """core.evaluate with the budget surplus B of the weight rules ``is_target`` accepts
    replaced by ``budget(rule, gft, B)``; every other rule evaluated for real.  Returns
    the targeted rules in the order they were asked for."""
    from datamech.solvers.bilateral import core

    real = core.evaluate
    asked = []

    def fake(inst, r):
        g, b, u = real(inst, r)
        if not is_target(r):
            return g, b, u
        asked.append(r)
        return g, budget(r, g, b), u

    monkeypatch.setattr(core, "evaluate", fake)
    return asked


def _planted(monkeypatch, rule, budget):
    """B of one weight rule replaced by ``budget(gft, B)``."""
    return _plant(monkeypatch, lambda r: r == rule, lambda r, g, b: budget(g, b))


@pytest.mark.parametrize("broker_budget", [0.0, 1e-13])
def test_no_trade_when_even_the_broker_runs_a_deficit(monkeypatch, broker_budget):
    # B(infinity) > 0 for every instance with positive gains (the top virtual value is
    # the top value, the bottom virtual cost the bottom cost), so the regime is planted:
    # uniform laws (FB = 1/6, B(0) = -1/6), the broker's surplus at or below 1e-13 FB
    _planted(monkeypatch, BROKER, lambda g, b: broker_budget / 6)
    r = second_best(Uniform(0, 1), Uniform(0, 1), good="indivisible")
    assert r.regime == "no_trade"
    assert r.lambda_star == np.inf
    assert (r.gains_from_trade, r.budget_surplus, r.ratio) == (0.0, 0.0, 0.0)
    assert r.first_best == pytest.approx(1 / 6, rel=1e-12)


@pytest.mark.parametrize(("b0", "regime"), [(-1e-13, "first_best_feasible"), (-2e-13, "interior")])
def test_first_best_feasible_up_to_a_relative_tolerance(monkeypatch, b0, regime):
    # B(0) >= -1e-13 * GFT(0) counts as feasible (GFT(0) = FB = 1/6 here)
    _planted(monkeypatch, FIRST_BEST, lambda g, b: b0 * g)
    r = second_best(Uniform(0, 1), Uniform(0, 1), good="indivisible")
    assert r.regime == regime
    assert r.budget_at_zero == b0 * r.first_best
    if regime == "interior":
        assert r.lambda_star == pytest.approx(0.5, abs=1e-9)


def test_buyer_tail_of_a_continuous_buyer():
    # v ~ U[0, 1], phi = 2v - 1, Lagrangian weight at lambda = 1: N = 3v - 1.
    # t = -1: {N > 0} = {v > 1/3}: P = 2/3, E[v; .] = (1 - 1/9)/2 = 4/9,
    #   E[phi; .] = sig (1 - F(sig)) = 2/9, E[N; .] = 4/9 + 2/9 = 2/3;
    # t = 1/2: {v >= 1/2}: 1/2, 3/8, 1/4, 5/8;  t = 5: nothing.
    from datamech.solvers.bilateral.core import buyer_tail

    side = _side(Uniform(0, 1), "buyer")
    rule = Rule.lagrangian(1.0)
    got = buyer_tail(side, side.weight(rule.aB, rule.bB), np.array([-1.0, 0.5, 5.0]), rule)
    want = [[2 / 3, 1 / 2, 0], [4 / 9, 3 / 8, 0], [2 / 9, 1 / 4, 0], [2 / 3, 5 / 8, 0]]
    for g, w in zip(got, want, strict=True):
        assert g == pytest.approx(w, abs=1e-14)
    # t below the bottom: the whole support, sig = lo
    got = buyer_tail(side, side.weight(1.0, 0.0), np.array([-5.0]), FIRST_BEST)
    assert [float(g[0]) for g in got] == pytest.approx([1.0, 0.5, 0.0, 0.5], abs=1e-15)


def test_indivisible_continuous_buyer_discrete_seller_by_hand():
    # v ~ U[0, 1]; c in {1/4, 1/2} with 1/2 each (phi^S = 1/4, 3/4); lambda = 1:
    # N = 3v - 1, D = (1/2, 5/4): trade iff v >= 1/2 (c = 1/4), v >= 3/4 (c = 1/2).
    # GFT = 1/2 int_{1/2}^1 (v - 1/4) + 1/2 int_{3/4}^1 (v - 1/2) = 1/8 + 3/64 = 11/64
    # B = 1/2 int_{1/2}^1 (2v - 5/4) + 1/2 int_{3/4}^1 (2v - 7/4) = 1/16 + 0
    # U = 1/2 int_{1/2}^1 (3v - 3/2) + 1/2 int_{3/4}^1 (3v - 9/4) = 3/16 + 3/64 = 15/64
    seller = Discrete([F(1, 4), F(1, 2)], HALF)
    inst = instance(Uniform(0, 1), seller, good="indivisible")
    got = evaluate(inst, Rule.lagrangian(1.0))
    assert got == pytest.approx((11 / 64, 1 / 16, 15 / 64), abs=1e-14)


def test_de_rule_drops_nodes_that_round_onto_an_end():
    # on a piece of length 1e-290 the outermost nodes' distance to the left end
    # underflows to 0: such nodes would sit exactly at the end where c^{-(k-1)} is
    # infinite, and are dropped; overflow of exp in the far tails raises no warning
    import warnings

    from datamech.solvers.bilateral.core import _de_rule

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x, w = _de_rule([0.0, 1e-290])
        assert np.all((x > 0) & (x <= 1e-290))
        assert w.sum() == pytest.approx(1e-290, rel=1e-12)
        x, w = _de_rule([0.0, 1.0, np.inf])
        assert np.all(np.isfinite(x) & np.isfinite(w))


def test_w_returns_floats_for_exact_input():
    got = W(np.array([F(2), F(4)]), np.array([F(1), F(2)]), F(1, 2))
    assert got.dtype == np.float64 and got.tolist() == [1.0, 2.0]


def test_buyer_tail_leaves_out_a_zero_weight():
    # B12's weight phi = (0, 2): the type with N = 0 does not trade (N > 0 is required)
    from datamech.solvers.bilateral.core import buyer_tail

    side = _side(B12, "buyer")
    rule = Rule(0.0, 1.0, 1.0, 0.0)
    got = buyer_tail(side, side.weight(0.0, 1.0), np.array([-1.0, 0.0]), rule)
    assert [g.tolist() for g in got] == [[0.5, 0.5], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]


# ------------------------------------------------------------ results and their fields
def test_second_best_result_fields():
    from datamech.solvers.bilateral.core import law_summary

    r = second_best(Uniform(0, 1), Uniform(0, 1), good="indivisible")
    assert (r.method, r.solver, r.good, r.regime) == (
        "lagrangian",
        "brentq",
        "indivisible",
        "interior",
    )
    assert r.alpha == 1 and (r.tie_weight, r.tie_tol) == (1.0, 0.0)
    assert r.buyer == law_summary(Uniform(0, 1)) == {"family": "uniform", "low": 0, "high": 1}
    assert r.seller == law_summary(Uniform(0, 1))
    assert 0 < r.seconds < 60
    # lambda* = 1/2 to the root search's tolerance, not just to brentq's default 2e-12
    assert abs(r.lambda_star - 0.5) < 1e-13
    assert r.iterations > 0
    fb = second_best(B12, S0, good="indivisible")  # B(0) >= 0: nothing to search
    assert (fb.regime, fb.iterations, fb.lambda_star) == ("first_best_feasible", 0, 0.0)


def test_first_best_result_fields():
    from datamech.solvers.bilateral.core import law_summary

    r = first_best(Uniform(0, 1), Uniform(0, 1), good="indivisible")
    assert (r.method, r.good, r.exact, r.alpha) == ("quadrature", "indivisible", None, 1)
    assert r.buyer == law_summary(Uniform(0, 1)) and 0 < r.seconds < 60
    assert first_best(B12, S12, good="indivisible").method == "sum"  # two discrete laws
    s = Uniform(1, 2, where="seller")
    m = first_best(Uniform(0, 1), s, F(1, 2))  # (1/4) E[v^2] E[1/c] = ln(2)/12
    assert (m.method, m.exact, m.alpha, m.good) == ("moments", None, F(1, 2), "scaling")
    assert m.gains_from_trade == pytest.approx(np.log(2) / 12, rel=1e-14)
    assert m.seller == law_summary(s)
    # an exact buyer with a continuous seller: the moments are not both exact
    mixed = first_best(B12, s, F(1, 2))
    assert (mixed.method, mixed.exact) == ("moments", None)
    # alpha = 2/3 (k = 3): FB = (1/3)(2/3)^2 E[v^3] E[c^-2] = (4/27)(9/2)(5/8) = 5/12
    e = first_best(B12, S12, F(2, 3))
    assert (e.method, e.exact) == ("exact", F(5, 12))


def test_law_summary_keeps_up_to_64_atoms():
    from datamech.solvers.bilateral.core import law_summary

    d64 = Discrete(list(range(1, 65)), [F(1, 64)] * 64)
    assert law_summary(d64) == d64.params()
    d65 = Discrete(list(range(1, 66)), [F(1, 65)] * 65)
    assert law_summary(d65) == {"family": "discrete", "atoms": 65, "support": [1, 65]}


def test_sides_store_floats_and_follow_their_role():
    from datamech.models.distributions import Mixture, Power

    side = _side(B124, "buyer")  # Fractions in, float arrays inside
    for arr in (side.values, side.probs, side.phis, side.phi(np.array([F(3, 2)]))):
        assert arr.dtype == np.float64
    assert side.weight(1.0, 0.0)(np.array([F(2)])).dtype == np.float64
    # Power(1/2) has a nonmonotone virtual value but a monotone virtual cost
    law = Power(F(1, 2))
    assert not _side(law, "buyer").continuous
    assert instance(
        Uniform(0, 1), Power(F(1, 2), where="seller"), good="indivisible"
    ).seller.continuous
    # an irregular buyer is rounded *down* to its ladder: 1/2 at 1, and the mass of
    # [2 + k/4096, 2 + (k+1)/4096) at its left end, k = 0..4095 (3 itself has none)
    mix = Mixture([Discrete([1], [1]), Uniform(2, 3)], [0.5, 0.5])
    b = _side(mix, "buyer")
    assert b.values.tolist() == [1.0] + [2 + k / 4096 for k in range(4096)]
    assert b.probs[1:] == pytest.approx(np.full(4096, 1 / 8192), rel=1e-9)


def test_threshold_u_on_a_step_function():
    # fun = floor(4 u) / 4 on U[0, 1]: first quantile with fun >= 1/2 is 1/2, with > 1/2 3/4
    side = _side(Uniform(0, 1), "buyer")

    def step(x):
        return np.floor(4 * np.asarray(x)) / 4

    assert side.threshold_u(step, np.array([0.5]), strict=False) == pytest.approx([0.5], abs=1e-15)
    assert side.threshold_u(step, np.array([0.5]), strict=True) == pytest.approx([0.75], abs=1e-15)


def test_broker_leaves_out_a_buyer_whose_weight_is_zero():
    # broker weights: N = phi^B = (0, 2) on B12, D = phi^S = (0, 3) on S0; trade needs
    # N >= D and N > 0, so only (v, c) = (2, 0) trades (probability 1/4):
    # GFT = 1/4 * 2, B = 1/4 * (2 - 0), U = 1/4 * (2 - 0)
    got = evaluate(instance(B12, S0, good="indivisible"), BROKER)
    assert got == pytest.approx((0.5, 0.5, 0.5), abs=1e-15)


@pytest.mark.parametrize(
    ("seller", "price", "want"),
    [
        # E[v; v >= p] P(c <= p) - P(v >= p) E[c; c <= p] for v ~ Exp(1), c ~ U[0, 1],
        # p = 1/2: (3/2) e^{-1/2} (1/2) - e^{-1/2} (1/8) = (5/8) e^{-1/2}
        (Uniform(0, 1), 0.5, 5 / 8 * np.exp(-0.5)),
        # p = 50: nobody trades (to 1e-20); the bisection reaches the top quantile, where
        # a weight with a zero coefficient must not make 0 * inf
        (Discrete([F(1, 2), 1], HALF), 50.0, 0.0),
    ],
)
def test_posted_price_with_an_unbounded_continuous_buyer(seller, price, want):
    import warnings

    from datamech.models.distributions import Exponential
    from datamech.solvers.bilateral.mechanisms import posted_price_gft

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning on the way
        got = posted_price_gft(Exponential(1.0), seller, price)
    assert got == pytest.approx(want, rel=1e-12, abs=1e-15)


def test_indivisible_first_best_with_an_unbounded_buyer():
    # E[(v - c)_+] for v ~ Exp(1), c ~ U[0, 1]: E[(v - c)_+ | c] = e^{-c}, so 1 - 1/e
    from datamech.models.distributions import Exponential

    r = first_best(Exponential(1.0), Uniform(0, 1), good="indivisible")
    assert r.gains_from_trade == pytest.approx(1 - np.exp(-1), rel=1e-12)


# ------------------------------------------------------------ planted budget surpluses
def _planted_lagrangian(monkeypatch, budget):
    """B(lambda) = budget(lambda) for the Lagrangian weight rules (a_B = a_S = 1,
    b = lambda); returns the rules asked for."""
    return _plant(
        monkeypatch,
        lambda r: r.aB == 1 and r.aS == 1 and r.bB == r.bS,
        lambda r, g, b: budget(r.bB),
    )


def test_the_bracket_grows_until_the_budget_is_positive(monkeypatch):
    # B(lambda) = lambda - 5: B(1) < 0, B(4) < 0, B(16) > 0, root 5.  iterations counts
    # every B evaluation of the search: the bracket's growth and Brent's calls, i.e. all
    # Lagrangian evaluations but B(0) (first best, made twice), B(1) and the final one
    asked = _planted_lagrangian(monkeypatch, lambda lam: lam - 5.0)
    r = second_best(Uniform(0, 1), Uniform(0, 1), good="indivisible")
    assert r.regime == "interior"
    assert abs(r.lambda_star - 5.0) < 1e-13
    lams = [rule.bB for rule in asked]
    assert lams[:5] == [0.0, 0.0, 1.0, 4.0, 16.0]
    assert r.iterations == len(lams) - 4


def test_a_budget_that_stays_negative_is_a_solver_error(monkeypatch):
    from datamech import SolverError
    from datamech.status import Status

    _planted_lagrangian(monkeypatch, lambda lam: -1.0)  # while the broker's B > 0
    with pytest.raises(SolverError) as e:
        second_best(Uniform(0, 1), Uniform(0, 1), good="indivisible")
    assert e.value.status is Status.SOLVER_ERROR
    assert str(e.value) == (
        "solver status 'solver_error': the budget surplus stays negative for every lambda"
    )


def test_a_root_search_that_fails_is_a_solver_error(monkeypatch):
    from types import SimpleNamespace

    from datamech import SolverError
    from datamech.solvers.bilateral import core
    from datamech.status import Status

    def fail(*a, **k):
        raise RuntimeError("Failed to converge after 100 iterations")

    monkeypatch.setattr(core, "optimize", SimpleNamespace(brentq=fail))
    with pytest.raises(SolverError) as e:
        second_best(Uniform(0, 1), Uniform(0, 1), good="indivisible")
    assert e.value.status is Status.SOLVER_ERROR
    assert str(e.value) == (
        "solver status 'solver_error': root search on B(lambda): Failed to converge after "
        "100 iterations"
    )


def test_no_trade_threshold_is_relative_to_the_first_best(monkeypatch):
    # the broker's surplus 2e-13 is above 1e-13 * FB = 1.7e-14: a root is searched
    _planted(monkeypatch, BROKER, lambda g, b: 2e-13)
    r = second_best(Uniform(0, 1), Uniform(0, 1), good="indivisible")
    assert r.regime == "interior" and abs(r.lambda_star - 0.5) < 1e-12


def test_xtol_error_text():
    with pytest.raises(ModelError) as e:
        second_best(B12, S12, good="indivisible", xtol=2)
    assert (e.value.field, e.value.problem) == ("xtol", "must be a number in (0, 1), got 2")


def test_non_finite_integrals_are_an_error(monkeypatch):
    from datamech import SolverError
    from datamech.solvers.bilateral import core

    monkeypatch.setattr(core, "_evaluate_scaling", lambda inst, rule: (np.inf, 0.0, 0.0))
    with pytest.raises(SolverError) as e:
        evaluate(instance(Uniform(1, 2), Uniform(1, 2), F(1, 2)), FIRST_BEST)
    assert str(e.value) == (
        "solver status 'solver_error': the bilateral integrals (GFT, B) are not finite in floating point for these laws "
        "at k = 2; rescale the types (the model is homogeneous of degree one in (v, c)) "
        "or narrow their range"
    )


def test_programs_get_the_good():
    r = second_best(B12, S12, good="indivisible", method="program")
    assert r.good == "indivisible"


# ------------------------------------------------------------ methods, labels, step-ups
def test_program_methods_take_their_options_and_refuse_others():
    r = second_best(B12, S12, alpha=F(1, 2), method="bic")
    assert r.method == "bic" and r.status == "local_optimum"
    r = second_best(B12, S12, good="indivisible", method="program", solver="clarabel")
    assert r.solver == "Clarabel"
    with pytest.raises(ModelError) as e:
        second_best(B12, S12, good="indivisible", method="program", bogus=1)
    assert (e.value.field, e.value.problem) == ("bogus", "is not an option of the program method")


def test_first_best_method_labels():
    # one continuous law: quadrature, not a sum over atoms
    assert first_best(B12, Uniform(0, 1), good="indivisible").method == "quadrature"
    # every buyer value 0: the closed form E[v^k] E[c^-(k-1)] = 0 is used
    r = first_best(Discrete([0], [1]), Uniform(1, 2, where="seller"), F(1, 2))
    assert (r.method, r.gains_from_trade) == ("moments", 0.0)


def test_second_best_with_one_continuous_law_has_no_tie_randomization():
    # v ~ U[0, 1], c in {1/4, 1/2}: B(lambda) is continuous, so no tie weight is needed
    seller = Discrete([F(1, 4), F(1, 2)], HALF)
    r = second_best(Uniform(0, 1), seller, good="indivisible")
    assert r.regime == "interior" and (r.tie_weight, r.tie_tol) == (1.0, 0.0)
    assert abs(r.budget_surplus) < 1e-10


@pytest.mark.parametrize(("lam0", "start", "steps"), [(0.5, 1e-12, 7), (5.0, 1e-11, 8)])
def test_the_root_is_stepped_up_by_doubling_steps(monkeypatch, lam0, start, steps):
    # B(lambda) = lambda - lam0 and a root search that stops `start` short of lam0:
    # steps xtol max(1, root), doubling, until B >= 0: after k steps the root has moved
    # xtol max(1, root) (2^k - 1); the first k with that >= start is `steps`
    from types import SimpleNamespace

    from datamech.solvers.bilateral import core

    _planted_lagrangian(monkeypatch, lambda lam: lam - lam0)
    monkeypatch.setattr(core, "optimize", SimpleNamespace(brentq=lambda *a, **k: lam0 - start))
    r = second_best(Uniform(0, 1), Uniform(0, 1), good="indivisible", xtol=1e-14)
    step = 1e-14 * max(1.0, lam0)
    want = lam0 - start + step * (2**steps - 1)
    assert step * (2 ** (steps - 1) - 1) < start <= step * (2**steps - 1)
    assert abs(r.lambda_star - want) < 4 * np.spacing(lam0)
    assert r.budget_surplus >= 0


def test_second_best_where_the_budget_is_exactly_balanced_without_ties():
    # found by a random search: at lambda* (about 0.114) B is exactly 0 with and without
    # the near-tied pairs, so nothing is randomized (and nothing divides by 0); the
    # grid LP (exact for discrete laws) agrees
    b = Discrete([1, 3, 6, 8], [F(5, 18), F(4, 18), F(4, 18), F(5, 18)])
    s = Discrete([0, 3, 5], [F(2, 8), F(3, 8), F(3, 8)])
    r = second_best(b, s, good="indivisible")
    assert r.regime == "interior" and (r.tie_weight, r.tie_tol) == (1.0, 0.0)
    assert r.budget_surplus == pytest.approx(0.0, abs=1e-12)
    lp = second_best(b, s, good="indivisible", method="program")
    assert r.gains_from_trade == pytest.approx(lp.gains_from_trade, abs=1e-7)
