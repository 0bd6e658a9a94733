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
    assert W(3.0, 2.0, F(2, 3)) == pytest.approx(4 / 27 * 27 / 4, rel=1e-14)


def _planted(monkeypatch, rule, budget):
    """core.evaluate with the budget surplus of one weight rule replaced."""
    from datamech.solvers.bilateral import core

    real = core.evaluate

    def fake(inst, r):
        g, b, u = real(inst, r)
        return (g, budget(g, b), u) if r == rule else (g, b, u)

    monkeypatch.setattr(core, "evaluate", fake)


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
