"""One PSP auction (solvers/psp/auction.py) on bids worked out by hand.

Written for mutation testing (issue 19, item 4: ``python benchmarks/mutation.py
psp_auction``).  The running example: supply Q = 100, bids (60, 4), (70, 4), (30, 5).
The price-5 bid gets its 30; 70 units are left for the two tied price-4 bids (130 units
asked), split by the tie rule:

* proportional: 60 * 70/130 = 420/13 and 70 * 70/130 = 490/13;
* strict: min(q, 70): 60 and 70 (more than Q in total, infeasible);
* lazar_semret: [70 - (130 - q)]^+: 0 and 10.
"""

import sys
from fractions import Fraction as F

import numpy as np
import pytest

from datamech import ModelError
from datamech.solvers.psp.auction import (
    StepFunction,
    allocate,
    available_quantity,
    check_tie_break,
    check_tie_rule,
    clear_auction,
    exclusion_costs,
    market_price_function,
    psp_allocation,
    psp_costs,
)

Q_ = [60, 70, 30]
P_ = [4, 4, 5]
ALLOC = {
    "proportional": [F(420, 13), F(490, 13), F(30)],
    "strict": [F(60), F(70), F(30)],
    "lazar_semret": [F(0), F(10), F(30)],
}


def costs_by_hand(rule):
    """c_i = sum_{k != i} p_k (a_k without bid i - a_k with it) (eq. 4), by hand."""
    a = ALLOC[rule]
    # without bid 0: 70 left for bid 1 alone; without bid 1: 70 left for bid 0 (60 asked)
    # without bid 2: 100 left for the tied pair (proportional 600/13, 700/13; strict
    # 60, 70; lazar_semret [100 - 130 + q]^+: 30, 40)
    without2 = {
        "proportional": [F(600, 13), F(700, 13)],
        "strict": [F(60), F(70)],
        "lazar_semret": [F(30), F(40)],
    }[rule]
    c0 = 4 * (70 - a[1]) + 5 * (30 - a[2])
    c1 = 4 * (60 - a[0]) + 5 * (30 - a[2])
    c2 = 4 * (without2[0] - a[0]) + 4 * (without2[1] - a[1])
    return [c0, c1, c2]


# mutmut (benchmarks/mutation.py) wraps every function of the mutated module in a
# trampoline, which adds frames between a warning and its caller: there a correct
# ``stacklevel`` points into mutmut, so the caller's frame is checked in plain runs only
UNDER_MUTMUT = any(name.split(".")[0] == "mutmut" for name in sys.modules)


def assert_points_at_caller(warning) -> None:
    if not UNDER_MUTMUT:
        assert warning.filename == __file__


# ---------------------------------------------------------------- tie rules
def test_check_tie_break():
    for rule in ("proportional", "lazar_semret", "strict"):
        assert check_tie_break(rule) == rule
    with pytest.raises(ModelError) as e:
        check_tie_break("fair")
    assert e.value.field == "tie_break"
    with pytest.warns(DeprecationWarning) as rec:
        assert check_tie_rule("lazar_semret") == "lazar_semret"
    assert [str(w.message) for w in rec] == ["check_tie_rule is deprecated; use check_tie_break"]
    assert_points_at_caller(rec[0])  # the warning points at the caller's line
    with pytest.warns(DeprecationWarning) as rec:
        got = psp_allocation(Q_, P_, 100, tie_rule="lazar_semret")
    assert got == ALLOC["lazar_semret"]
    assert [str(w.message) for w in rec] == ["'tie_rule' is deprecated; use 'tie_break'"]
    assert_points_at_caller(rec[0])


# ---------------------------------------------------------------- reference functions
@pytest.mark.parametrize("rule", ["proportional", "strict", "lazar_semret"])
def test_allocation_and_costs_by_hand(rule):
    a = psp_allocation(Q_, P_, 100, tie_break=rule)
    assert a == ALLOC[rule]
    assert all(type(x) is F for x in a)
    c = psp_costs(Q_, P_, 100, tie_break=rule)
    assert c == costs_by_hand(rule)
    out = clear_auction(Q_, P_, 100, tie_break=rule)
    assert out.allocation == a and out.costs == c
    assert out.revenue == sum(c)
    assert out.unsold == max(100 - sum(a), 0)
    assert out.feasible is (sum(a) <= 100)
    assert out.tie_break == rule


def test_hand_costs_are_the_documented_numbers():
    assert costs_by_hand("proportional") == [F(1680, 13), F(1440, 13), F(120)]
    assert clear_auction(Q_, P_, 100, tie_break="strict").feasible is False
    assert clear_auction(Q_, P_, 100).unsold == 0
    out = clear_auction([10, 20], [1, 2], 100)
    assert out.unsold == 70 and out.costs == [0, 0] and out.feasible is True


def test_reserve_is_a_bid_for_the_whole_supply():
    # bids (60, 4) and the reserve (100, 1): the reserve keeps the other 40 units
    assert psp_allocation([60], [4], 100, reserve=1) == [60]
    # excluding bid 0 gives the reserve all 100 units: cost 1 * (100 - 40)
    assert psp_costs([60], [4], 100, reserve=1) == [60]
    assert psp_costs([60], [4], 100) == [0]
    out = clear_auction([60], [4], 100, reserve=1)
    assert out.unsold == 40 and out.revenue == 60
    # a reserve above the bid takes the supply first
    assert psp_allocation([60], [4], 100, reserve=5) == [0]
    assert psp_allocation([60], [4], 100, reserve=0) == [60]


def test_exact_and_float_arithmetic():
    a = psp_allocation([np.int64(60), 70], [np.int64(4), 4], np.int64(100))
    assert a == [F(600, 13), F(700, 13)] and all(type(x) is F for x in a)
    a = psp_allocation([60, 70], [4, 4], 100.0)
    assert all(type(x) is float for x in a)
    assert a == pytest.approx([600 / 13, 700 / 13], rel=1e-15)
    a = psp_allocation([60, 70], [np.float32(4), 4], 100)
    assert all(type(x) is float for x in a)
    a = psp_allocation([F(1, 3), F(1, 3)], [1, 1], F(1, 2))
    assert a == [F(1, 4), F(1, 4)]


def test_zero_quantity_bids():
    assert psp_allocation([0, 0], [3, 3], 10) == [0, 0]
    assert psp_allocation([0, 5], [3, 2], 10) == [0, 5]
    assert psp_costs([0, 5], [3, 2], 10) == [0, 0]


@pytest.mark.parametrize(
    "q, p, Q, reserve, field, want",
    [
        ([1, 2], [1], 10, None, "bids", "2 quantities for 1 prices"),
        ([1, -1], [1, 2], 10, None, "bids[1]", "quantity and price must be >= 0, got (-1, 2)"),
        ([1, 1], [0.5, -2], 10, None, "bids[1]", "quantity and price must be >= 0, got (1, -2)"),
        ([1], [1], -5, None, "supply", "must be >= 0, got -5"),
        ([1], [1], 5, F(-1, 2), "reserve", "must be >= 0, got -1/2"),
    ],
)
def test_bad_bids(q, p, Q, reserve, field, want):
    for fn in (psp_allocation, psp_costs, clear_auction):
        with pytest.raises(ModelError) as e:
            fn(q, p, Q, reserve)
        assert e.value.field == field
        assert e.value.problem == want


def test_zero_prices_and_supply_are_allowed():
    assert psp_allocation([5], [0], 0) == [0]
    # the reserve (3, 0) ties with the bid (5, 0): 5 * 3/8 of the supply
    assert psp_allocation([5], [0], 3, reserve=0) == [F(15, 8)]


def test_available_quantity_eq2():
    # D_0(y): supply minus what the others bid at prices strictly above y
    assert available_quantity(0, 4, Q_, P_, 100) == 70  # bid 2 (price 5) is above
    assert available_quantity(0, 5, Q_, P_, 100) == 100  # strictly above: nothing
    assert available_quantity(0, 3, Q_, P_, 100) == 0  # [100 - 100]^+
    assert available_quantity(2, 3, Q_, P_, 100) == 0  # [100 - 130]^+ = 0
    assert available_quantity(2, 3, Q_, P_, 200) == 70
    assert available_quantity(2, 3, Q_, P_, 200, reserve=4) == 0  # the reserve bids 200 at 4
    assert available_quantity(2, 4, Q_, P_, 200, reserve=4) == 200
    got = available_quantity(0, 4, [60, 70, 30], [4, 4, 5], 100)
    assert type(got) is F


# ---------------------------------------------------------------- market price function
def test_market_price_function_by_hand():
    # bid 0 sees bids (70, 4), (30, 5) and Q = 150: 50 units nobody bids on are free,
    # then 70 more at price 4 (D(4) = 150 - 30 = 120), then 30 more at 5 (D(5) = 150)
    P = market_price_function(0, Q_, P_, 150)
    assert P.ends == (50, 120, 150)
    assert P.levels == (0, 4, 5)
    assert [P(z) for z in (0, 50, 51, 120, 150)] == [0, 0, 4, 4, 5]
    assert P(151) == float("inf")
    assert P.integral(0, 150) == 0 * 50 + 4 * 70 + 5 * 30
    assert P.integral(60, 130) == 4 * 60 + 5 * 10
    assert P.integral(10, 20) == 0
    assert P.integral(130, 130) == 0
    with pytest.raises(ValueError) as e:
        P.integral(0, 151)
    assert str(e.value) == "integral beyond the supply (151 > 150)"
    # a price level that adds nothing (D does not grow) is left out
    P = market_price_function(0, [60, 0, 30], [4, 3, 5], 100)
    assert P.levels == (0, 5) and P.ends == (70, 100)


def test_step_function_edges():
    P = StepFunction((F(2), F(5)), (F(1), F(3)))
    assert P(F(2)) == 1 and P(F(5, 2)) == 3
    assert P.integral(F(1), F(4)) == 1 * 1 + 3 * 2
    assert P.integral(0, 5) == 2 + 9
    empty = StepFunction((), ())
    assert empty(0) == float("inf")
    assert empty.integral(0, 0) == 0


# ---------------------------------------------------------------- numpy versions
@pytest.mark.parametrize("rule", ["proportional", "strict", "lazar_semret"])
def test_numpy_allocation_and_costs_by_hand(rule):
    q, p = np.array(Q_, float), np.array(P_, float)
    a = allocate(q, p, 100.0, rule)
    assert a == pytest.approx([float(x) for x in ALLOC[rule]], abs=1e-12)
    c = exclusion_costs(q, p, 100.0, rule)
    assert c == pytest.approx([float(x) for x in costs_by_hand(rule)], abs=1e-9)
    assert exclusion_costs(q, p, 100.0, rule, who=2) == pytest.approx([c[2]])
    if rule == "proportional":  # the default rule
        assert exclusion_costs(q, p, 100.0) == pytest.approx(c, abs=1e-12)
        assert allocate(q, p, 100.0) == pytest.approx(a, abs=1e-12)
    assert exclusion_costs(q, p, 100.0, rule, who=[1, 0]) == pytest.approx([c[1], c[0]])


def test_numpy_allocation_for_several_supplies():
    q, p = np.array(Q_, float), np.array(P_, float)
    got = allocate(q, p, np.array([100.0, 20.0, 200.0]))
    assert got.shape == (3, 3)
    assert got[0] == pytest.approx([420 / 13, 490 / 13, 30])
    assert got[1].tolist() == [0, 0, 20]
    assert got[2].tolist() == [60, 70, 30]
    assert allocate(np.array([]), np.array([]), np.array([1.0, 2.0])).shape == (2, 0)
    assert allocate(np.array([]), np.array([]), 5.0).shape == (0,)


def test_numpy_zero_quantities_and_unsorted_prices():
    got = allocate(np.array([0.0, 0.0, 5.0]), np.array([3.0, 3.0, 1.0]), 10.0)
    assert got.tolist() == [0, 0, 5]
    # prices out of order, three levels: 2 -> 10 units, 7 -> 6, 5 -> 4 left of Q = 20
    got = allocate(np.array([10.0, 6.0, 9.0]), np.array([2.0, 7.0, 5.0]), 20.0)
    assert got.tolist() == [5, 6, 9]
    got = allocate(np.array([10.0, 6.0, 9.0]), np.array([2.0, 7.0, 5.0]), 12.0)
    assert got.tolist() == [0, 6, 6]
    c = exclusion_costs(np.array([0.0, 5.0]), np.array([9.0, 1.0]), 3.0)
    assert c.tolist() == [0, 0]
    c = exclusion_costs(np.array([0.0, 5.0, 4.0]), np.array([9.0, 1.0, 2.0]), 6.0)
    # bid 2 takes 4, bid 1 gets 2; excluding bid 1 changes nothing (cost 0); without
    # bid 2, bid 1 gets 5 instead of 2: cost 1 * 3
    assert c.tolist() == [0, 0, 3]


def test_numpy_allocation_is_float_whatever_the_input():
    # the vectorized version computes in floats even from exact (or integer) bids
    got = allocate([F(60), F(70), F(30)], [F(4), F(4), F(5)], F(100))
    assert got.dtype == np.float64
    assert got == pytest.approx([420 / 13, 490 / 13, 30], rel=1e-15)
    got = allocate([60, 70, 30], [4, 4, 5], np.array([F(100), F(20)], dtype=object))
    assert got.dtype == np.float64 and got[1].tolist() == [0.0, 0.0, 20.0]


def test_numpy_allocation_of_small_quantities():
    # a price level asking for less than one unit in total still gets its share
    assert allocate(np.array([0.5]), np.array([1.0]), 10.0).tolist() == [0.5]
    assert allocate(np.array([0.5]), np.array([1.0]), 0.25).tolist() == [0.25]
    got = allocate(np.array([0.25, 0.5]), np.array([1.0, 1.0]), 0.375)
    assert got.tolist() == [0.125, 0.25]  # 3/8 split 1 : 2


def test_zero_supply():
    # Q = 0 is allowed: nothing is allocated, nothing is charged, even for zero bids
    for rule in ("proportional", "strict", "lazar_semret"):
        assert psp_allocation([0, 5], [1, 2], 0, tie_break=rule) == [0, 0]
        assert psp_allocation([3, 5], [2, 2], 0, tie_break=rule) == [0, 0]
        assert psp_costs([0, 5], [1, 2], 0, tie_break=rule) == [0, 0]
        out = clear_auction([3, 5], [2, 2], 0, tie_break=rule)
        assert out.allocation == [0, 0] and out.unsold == 0 and out.revenue == 0
    assert available_quantity(0, 1, [3, 5], [2, 2], 0) == 0
    P = market_price_function(0, [1], [1], 0)
    assert P.ends == (0,) and P.levels == (0,)


def test_exact_zeros_are_fractions():
    # exact inputs give exact outputs, also where a sum has no terms
    c = psp_costs([5], [1], F(3))
    assert c == [0] and type(c[0]) is F
    out = clear_auction([], [], F(5))
    assert out.allocation == [] and out.revenue == 0 and type(out.revenue) is F
    assert out.unsold == 5 and out.feasible is True


def test_deprecated_tie_rule_keyword_is_used():
    with pytest.warns(DeprecationWarning) as rec:
        out = clear_auction(Q_, P_, 100, tie_rule="strict")
    assert out.tie_break == "strict" and out.allocation == ALLOC["strict"]
    assert out.feasible is False
    assert_points_at_caller(rec[0])
    with pytest.warns(DeprecationWarning):
        got = psp_costs(Q_, P_, 100, tie_rule="lazar_semret")
    assert got == costs_by_hand("lazar_semret")
