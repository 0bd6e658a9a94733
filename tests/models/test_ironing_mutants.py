"""Ironing behaviours pinned by mutation testing (issue 19, item 4).

Each test kills mutants of ``datamech/models/distributions/ironing.py`` that the
distribution tests let survive (``python benchmarks/mutation.py ironing``).  Expected
values are computed by hand from the definitions (spec 003 §2.1): Q_j = P(V >= p_j),
w_j = Q_j - Q_{j+1}, slope_j = (Q_j p_j - Q_{j+1} p_{j+1}) / w_j, the ironed slope is
its weighted isotonic regression.
"""

from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from datamech.models.distributions import Discrete, PriceLadder, pava, pool_equal_runs


def exact(*xs):
    return np.array([F(x) for x in xs], dtype=object)


# ------------------------------------------------------------------ pava
@pytest.mark.parametrize("y", [[3.0, 1.0], exact(3, 1)], ids=["float", "exact"])
def test_pava_refuses_weights_of_another_length(y):
    with pytest.raises(ValueError):
        pava(y, [1, 1, 1])


def test_pava_exact_weighted_average():
    # 3 (weight 1) and 1 (weight 3) violate the order: one block at (3 + 3) / 4 = 3/2
    fit, starts = pava(exact(3, 1, 2), exact(1, 3, 1))
    assert fit.tolist() == [F(3, 2), F(3, 2), F(2)] and starts.tolist() == [0, 2]


def min_max_fit(y, w):
    """Isotonic regression by its min-max formula (a second method, not PAVA):
    fit_i = max over s <= i of min over t >= i of the weighted mean of y[s..t]."""
    n = len(y)

    def mean(s, t):
        return sum(w[k] * y[k] for k in range(s, t + 1)) / sum(w[s : t + 1])

    return [max(min(mean(s, t) for t in range(i, n)) for s in range(i + 1)) for i in range(n)]


@given(
    st.lists(
        st.tuples(st.integers(-6, 6), st.integers(1, 4)).map(lambda t: (F(t[0]), F(t[1]))),
        min_size=1,
        max_size=8,
    )
)
@example([(F(0), F(1)), (F(5), F(1)), (F(6), F(1)), (F(1), F(1))])  # a cascade of merges
@example([(F(0), F(1)), (F(5), F(2)), (F(6), F(3)), (F(1), F(4))])
@example([(F(3), F(1)), (F(1), F(1)), (F(2), F(1)), (F(0), F(1))])
def test_pava_exact_equals_the_min_max_formula(pairs):
    y = np.array([p[0] for p in pairs], dtype=object)
    w = np.array([p[1] for p in pairs], dtype=object)
    fit, starts = pava(y, w)
    want = min_max_fit(list(y), list(w))
    assert fit.tolist() == want
    # exact blocks are maximal: a new block starts exactly where the fit changes
    assert starts.tolist() == [0] + [i for i in range(1, len(want)) if want[i] != want[i - 1]]
    flt, _ = pava(y.astype(float), w.astype(float))
    np.testing.assert_allclose(flt, [float(x) for x in want], rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ pool_equal_runs
@pytest.mark.parametrize(
    "fit, starts, want",
    [
        ([1.0, 1.0], [0, 1], [0]),  # two tied blocks become one
        ([1.0, 2.0, 2.0], [0, 1, 2], [0, 1]),  # a tie after a rise
        ([1.0, 2.0, 3.0], [0, 1, 2], [0, 1, 2]),
        ([1.0, 1.0, 2.0, 2.0, 2.0], [0, 2, 3], [0, 2]),
        ([5.0], [0], [0]),
    ],
)
def test_pool_equal_runs(fit, starts, want):
    got = pool_equal_runs(np.array(fit), np.array(starts))
    assert got.tolist() == want


# ------------------------------------------------------------------ PriceLadder.build
def test_prices_without_mass_are_dropped():
    # Q = (1, 1/2, 1/2): price 2 carries no mass, so the ladder is prices 1 and 3 with
    # w = (1/2, 1/2), slopes ((1 - 3/2) / (1/2), 3/2 / (1/2)) = (-1, 3)
    lad = PriceLadder.build(exact(1, 2, 3), exact(1, F(1, 2), F(1, 2)))
    assert lad.prices.tolist() == [1, 3]
    assert lad.upper.tolist() == [1, F(1, 2)]
    assert lad.mass.tolist() == [F(1, 2), F(1, 2)]
    assert lad.slope.tolist() == [-1, 3] and lad.ironed.tolist() == [-1, 3]
    flt = PriceLadder.build(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.5, 0.5]))
    assert flt.prices.tolist() == [1.0, 3.0] and flt.slope.tolist() == [-1.0, 3.0]


def test_a_flat_revenue_curve_is_not_an_ironing_interval():
    # v = 1, 2, 3 with P = 1/2, 1/6, 1/3: Q = (1, 1/2, 1/3), Q p = (1, 1, 1), so the
    # slopes are (0, 0, 3): already nondecreasing, the two zero pieces form one block
    # of equal slopes, and nothing is ironed
    for d in (
        Discrete([1, 2, 3], [F(1, 2), F(1, 6), F(1, 3)]),
        Discrete([1, 2, 3], [0.5, 1 / 6, 1 / 3]),
    ):
        lad = d.ladder()
        assert np.asarray(lad.slope, dtype=float).tolist() == [0.0, 0.0, 3.0]
        assert lad.blocks.tolist() == [0, 2]
        assert lad.irregular_blocks() == []
        assert d.ironing_intervals() == []


def test_a_one_price_ladder():
    lad = PriceLadder.build(np.array([2.0]), np.array([1.0]))
    assert lad.slope.tolist() == [2.0] and lad.blocks.tolist() == [0]
    q, r = lad.hull_vertices()
    assert q.tolist() == [0.0, 1.0] and r.tolist() == [0.0, 2.0]
    q, r = lad.curve()
    assert q.tolist() == [0.0, 1.0] and r.tolist() == [0.0, 2.0]
    assert lad.irregular_blocks() == []


# ------------------------------------------------------------------ PriceLadder.index
def test_index_is_the_last_price_at_or_below_the_value():
    lad = PriceLadder.build(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.5, 0.25]))
    got = lad.index([0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 7.0])
    assert got.tolist() == [0, 0, 0, 1, 1, 2, 2]


def test_index_on_an_exact_ladder_compares_exactly():
    # float(2/3) < 2/3: a float comparison would put 2/3 on the piece below
    lad = PriceLadder.build(exact(F(1, 3), F(2, 3)), exact(1, F(1, 2)))
    assert lad.index([F(1, 3), F(1, 2), F(2, 3), 1]).tolist() == [0, 0, 1, 1]


def test_index_on_a_float_ladder_reads_values_as_floats():
    # the exact 1/5 is below the double 0.2; read as a float it is the price 0.2
    lad = PriceLadder.build(np.array([0.1, 0.2, 0.3]), np.array([1.0, 0.5, 0.25]))
    assert lad.index(F(1, 5)).tolist() == 1
    assert lad.index([F(1, 5), F(3, 10)]).tolist() == [1, 2]
