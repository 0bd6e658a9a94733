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
