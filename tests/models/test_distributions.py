"""Type distributions: virtual values, ironing, reserves, laws of r (spec 003 §2.1, S4, S17)."""

import math
import time
from fractions import Fraction as Fr

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from datamech.errors import ModelError
from datamech.models.distributions import (
    Discrete,
    Exponential,
    Mixture,
    Pareto,
    Power,
    TruncatedEqualRevenue,
    Uniform,
    from_table,
    pava,
    to_table,
)


# ------------------------------------------------------------ example I3 (spec §6.2)
def i3():
    return Discrete([1, 2, 3], [Fr(3, 5), Fr(1, 10), Fr(3, 10)])


def test_i3_virtual_values_exact():
    d = i3()
    assert list(d.virtual_value([1, 2, 3])) == [Fr(1, 3), -1, 3]
    assert list(d.ironed_virtual_value([1, 2, 3])) == [Fr(1, 7), Fr(1, 7), 3]
    assert d.ironing_intervals() == [(1, 2)]


def test_i3_revenue_points_and_hull():
    d = i3()
    q, r = d.ladder().curve()
    assert list(zip(q, r, strict=True)) == [
        (0, 0),
        (Fr(3, 10), Fr(9, 10)),
        (Fr(2, 5), Fr(4, 5)),
        (1, 1),
    ]
    hq, hr = d.ladder().hull_vertices()
    # the majorant skips (0.4, 0.8): vertices (0,0), (0.3,0.9), (1,1)
    assert list(zip(hq, hr, strict=True)) == [(0, 0), (Fr(3, 10), Fr(9, 10)), (1, 1)]
    assert d.revenue_hull(0.4) == pytest.approx(0.9 + 0.1 / 7)
    assert d.revenue_curve(0.4) == pytest.approx(0.8)


def test_i3_r_law_moments():
    law = i3().r_law()
    assert law.mean() == 1  # E r = 1
    assert law.moment(2) == Fr(19, 7)  # E r^2 = 19/7
    assert i3().monopoly_revenue() == 1  # = E r (S17)
    assert i3().reserve_price() == 1


def test_discrete_float_input_matches_exact():
    d = Discrete([1.0, 2.0, 3.0], [0.6, 0.1, 0.3])
    np.testing.assert_allclose(d.ironed_virtual_value([1.0, 2.0, 3.0]), [1 / 7, 1 / 7, 3])
    assert d.ironing_intervals() == [(1.0, 2.0)]


# ------------------------------------------------------------ continuous families (S4)
@pytest.mark.parametrize(
    "dist, v, phi, vcost",
    [
        (Uniform(1, 3), 2.5, 2 * 2.5 - 3, 2 * 2.5 - 1),
        (Exponential(2), 1.3, 1.3 - 0.5, 1.3 + (math.exp(2 * 1.3) - 1) / 2),
        (Pareto(3, 1), 2.0, 2.0 * (1 - 1 / 3), None),
        (Power(2), 0.7, 0.7 * 1.5 - 0.7 ** (-1) / 2, 0.7 * 1.5),
    ],
)
def test_closed_form_virtual_values(dist, v, phi, vcost):
    assert dist.virtual_value(v) == pytest.approx(phi)
    assert dist.ironed_virtual_value(v) == pytest.approx(phi)
    # phi = v - (1-F)/f from scipy's cdf/pdf
    assert dist.virtual_value(v) == pytest.approx(v - (1 - dist.cdf(v)) / dist.pdf(v))
    assert dist.virtual_cost(v) == pytest.approx(v + dist.cdf(v) / dist.pdf(v))
    if vcost is not None:
        assert dist.virtual_cost(v) == pytest.approx(vcost)
    assert dist.ironing_intervals() == []


@pytest.mark.parametrize(
    "dist, reserve, revenue",
    [
        (Uniform(0, 1), 0.5, 0.25),  # E r = 1/4 (spec §2.1)
        (Uniform(2, 3), 2.0, 2.0),
        (Exponential(1.5), 1 / 1.5, 1 / (math.e * 1.5)),  # 1/(e lambda)
        (Pareto(3, 2), 2.0, 2.0),
        (Power(2), 3**-0.5, 3**-0.5 * 2 / 3),
        (Power(0.5), 1.5**-2, 1.5**-2 / 3),  # irregular, but concave around the maximum
    ],
)
def test_reserve_monopoly_revenue_and_mean_r(dist, reserve, revenue):
    assert dist.reserve_price() == pytest.approx(reserve)
    assert dist.monopoly_revenue() == pytest.approx(revenue)
    assert dist.r_law().mean() == pytest.approx(revenue, rel=1e-6)  # S17
    grid = np.linspace(1e-6, 1 - 1e-6, 20001)
    assert dist.revenue_curve(grid).max() == pytest.approx(revenue, rel=1e-6)


def test_uniform_r_law_u2():
    law = Uniform(0, 1).r_law()
    assert law.zero_mass == pytest.approx(0.5)
    assert law.moment(2) == pytest.approx(1 / 6)  # spec U2: E r^2 = 1/6
    k = 3.0  # S5: E[(2v-1)_+^k] = 1/(2(k+1))
    assert law.moment(k) == pytest.approx(1 / (2 * (k + 1)))


def test_power_below_one_is_ironed_only_where_negative():
    d = Power(0.5)
    v = np.array([1e-4, 1e-3, 0.01])
    ir = np.asarray(d.ironed_virtual_value(v))
    assert np.all(ir < 0) and np.all(np.diff(ir) >= -1e-12)
    assert d.ironed_virtual_value(0.8) == pytest.approx(d.virtual_value(0.8))


# ------------------------------------------------------------ atoms (rule 3)
def test_truncated_equal_revenue_thm33():
    n, H = 3, 10
    d = TruncatedEqualRevenue(Fr(1, n), H)
    law = d.r_law()
    assert list(law.values) == [0, H]
    assert list(law.probs) == [1 - Fr(1, n * H), Fr(1, n * H)]  # P(phi = H) = 1/(nH)
    assert law.mean() == Fr(1, n)  # E phi_i = 1/n
    assert d.virtual_value(H) == H and d.virtual_value(5.0) == 0
    assert d.monopoly_revenue() == Fr(1, n)
    assert d.revenue_curve(Fr(1, 60)) == pytest.approx(H / 60)  # R = qH on [0, 1/(nH)]
    assert d.revenue_curve(0.5) == pytest.approx(1 / n)


def test_point_mass_has_phi_one():
    d = Discrete([1], [1])
    assert d.virtual_value(1) == 1 and d.ironed_virtual_value(1) == 1  # R(q) = q


def test_mixture_with_atom_uses_chord():
    # atom 1 (mass 1/2) then U[2,3]: the piece from price 1 to 2 has slope
    # 1 - (2-1) * P(V > 1) / P(V = 1) = 0
    m = Mixture([Discrete([1], [1]), Uniform(2, 3)], [0.5, 0.5])
    assert m.virtual_value(1.0) == pytest.approx(0.0, abs=1e-9)
    assert m.ironed_virtual_value(2.5) == pytest.approx(2 * 2.5 - 3, abs=1e-3)


def test_bimodal_mixture_is_ironed():
    m = Mixture([Uniform(0, 1), Uniform(2, 3)], [0.5, 0.5])
    # R-bar is the chord from (1/2, 1) to (1, 0) on q in [1/2, 1]: slope -2
    np.testing.assert_allclose(m.ironed_virtual_value([0.1, 0.5, 0.9]), -2.0, atol=1e-3)
    (lo, hi), *rest = m.ironing_intervals()
    assert lo == 0.0 and hi == pytest.approx(2.0) and rest == []
    assert m.reserve_price() == pytest.approx(2.0, abs=1e-3)
    assert m.monopoly_revenue() == pytest.approx(1.0, abs=1e-3)
    assert m.r_law().mean() == pytest.approx(1.0, abs=1e-3)


# ------------------------------------------------------------ ironing = concave hull
def _hull_slopes(q, r):
    """Reference: monotone-chain upper hull, slope at each unit piece midpoint."""
    hull = []
    for p in zip(q, r, strict=True):
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = hull[-2], hull[-1]
            if (x2 - x1) * (p[1] - y1) - (y2 - y1) * (p[0] - x1) >= 0:
                hull.pop()
            else:
                break
        hull.append(p)
    hx, hy = np.array(hull).T
    mids = (np.asarray(q[1:]) + np.asarray(q[:-1])) / 2
    k = np.searchsorted(hx, mids) - 1
    return (hy[k + 1] - hy[k]) / (hx[k + 1] - hx[k])


@given(
    st.lists(st.floats(0.01, 10), min_size=1, max_size=12),
    st.lists(st.floats(0.05, 1), min_size=12, max_size=12),
)
def test_pava_equals_monotone_chain_hull(gaps, weights):
    v = np.cumsum(gaps)
    p = np.asarray(weights[: len(v)])
    d = Discrete(v, p / p.sum())
    q, r = d.ladder().curve()
    ref = _hull_slopes(q.astype(float), r.astype(float))[::-1]  # pieces by increasing v
    np.testing.assert_allclose(d.ironed_virtual_value(v), ref, rtol=1e-7, atol=1e-7)
    # the ironed value is nondecreasing and averages phi: E[phi^ir] = E[phi] = v_1
    ir = np.asarray(d.ironed_virtual_value(v))
    assert np.all(np.diff(ir) >= -1e-9)
    assert float(np.dot(ir, d.probs)) == pytest.approx(v[0], abs=1e-7)


def test_pava_exact():
    fit, starts = pava([Fr(3), Fr(1), Fr(2)], [Fr(1), Fr(1), Fr(1)])
    assert list(fit) == [2, 2, 2] and list(starts) == [0]


def test_hull_ironing_1e5_types_under_one_second():
    rng = np.random.default_rng(7)
    v = np.cumsum(rng.random(100_000) + 1e-3)
    p = rng.random(100_000)
    p /= p.sum()
    t0 = time.process_time()
    d = Discrete(v, p)
    ir = d.ironed_virtual_value(v)
    d.ironing_intervals()
    assert time.process_time() - t0 < 1.0
    assert np.all(np.diff(ir) >= -1e-9)


# ------------------------------------------------------------ model-file syntax, errors
def test_from_table_round_trip():
    for t in (
        {"family": "uniform", "low": 0, "high": 1},
        {"family": "exponential", "rate": 2.0},
        {"family": "pareto", "shape": 3, "scale": 1},
        {"family": "power", "shape": 2},
        {"family": "discrete", "values": [1, 2, 3], "probs": ["3/5", "1/10", "3/10"]},
        {
            "family": "mixture",
            "weights": [0.5, 0.5],
            "components": [
                {"family": "uniform", "low": 0, "high": 1},
                {"family": "power", "shape": 2},
            ],
        },
    ):
        d = from_table(t)
        assert from_table(to_table(d)).params() == d.params()
    d = from_table({"family": "truncated_equal_revenue", "n": 3, "high": 10})
    assert d.scale == Fr(1, 3)
    assert from_table(
        {"family": "discrete", "values": [1, 2, 3], "probs": ["3/5", "1/10", "3/10"]}
    ).exact


@pytest.mark.parametrize(
    "table, field",
    [
        ({"family": "uniform", "low": 1, "high": 1}, "buyers[2].high"),
        ({"family": "uniform", "low": -1, "high": 1}, "buyers[2].low"),
        ({"family": "exponential", "rate": 0}, "buyers[2].rate"),
        ({"family": "exponential", "rate": "x"}, "buyers[2].rate"),
        ({"family": "pareto", "shape": -2}, "buyers[2].shape"),
        ({"family": "power", "shape": 0}, "buyers[2].shape"),
        ({"family": "discrete", "values": [1, 2], "probs": [0.5, 0.4]}, "buyers[2].probs"),
        ({"family": "discrete", "values": [1, 2], "probs": ["1/2", "1/3"]}, "buyers[2].probs"),
        ({"family": "discrete", "values": [2, -1], "probs": [0.5, 0.5]}, "buyers[2].values[1]"),
        ({"family": "discrete", "values": [1, 2], "probs": [1.0]}, "buyers[2].probs"),
        ({"family": "discrete", "values": [1, 2], "probs": [1.2, -0.2]}, "buyers[2].probs[1]"),
        ({"family": "discrete", "values": [], "probs": []}, "buyers[2].values"),
        ({"family": "gamma", "shape": 2}, "buyers[2].family"),
        ({"low": 0}, "buyers[2].family"),
        ({"family": "uniform", "low": 0, "high": 1, "rate": 2}, "buyers[2].rate"),
        ({"family": "uniform", "low": 0}, "buyers[2].high"),
        ({"family": "truncated_equal_revenue", "n": 2, "high": 0.25}, "buyers[2].high"),
        ({"family": "truncated_equal_revenue", "high": 5}, "buyers[2].n"),
        (
            {
                "family": "mixture",
                "weights": [0.5, 0.6],
                "components": [{"family": "power", "shape": 1}] * 2,
            },
            "buyers[2].weights",
        ),
        (
            {
                "family": "mixture",
                "weights": [1.0],
                "components": [{"family": "power", "shape": -1}],
            },
            "buyers[2].components[0].shape",
        ),
    ],
)
def test_bad_tables_name_the_field(table, field):
    with pytest.raises(ModelError) as exc:
        from_table(table, "buyers[2]")
    assert exc.value.field == field


def test_pareto_nonfinite_moments_g15():
    d = Pareto(1.5)
    assert math.isinf(d.moment(2))
    with pytest.raises(ModelError) as exc:
        d.require_moment(2, "the expected offline profit")
    assert exc.value.field == "buyer.shape"
    with pytest.raises(ModelError, match="shape"):
        Pareto(1).virtual_value(2.0)  # equal revenue: R flat, no finite monopoly price
    Pareto(3).require_moment(2, "x")  # finite: no error


def test_uniform_from_zero_has_infinite_negative_moment():
    with pytest.raises(ModelError) as exc:
        Uniform(0, 1).require_moment(-1, "E[c^{-(k-1)}]")
    assert exc.value.field == "buyer.low"


def test_truncated_exponential_matches_scipy_and_round_trips():
    # rate 1 on [2, 5] (seed 004 §5.1): phi(v) = v - 1 + e^{v - 5}
    d = from_table({"family": "exponential", "rate": 1, "low": 2, "high": 5}, "buyer")
    v = np.linspace(2, 5, 7)
    assert np.allclose(d.cdf(v), d._scipy.cdf(v)) and d.cdf(5.0) == pytest.approx(1.0)
    assert np.allclose(d.pdf(v), d._scipy.pdf(v))
    assert np.allclose(d.quantile(d.cdf(v)), v)
    assert np.allclose(d.virtual_value(v), v - 1 + np.exp(v - 5))
    assert d.support == (2.0, 5.0) and d.mean() == pytest.approx(d._scipy.mean())
    assert from_table(to_table(d)).params() == d.params()
    with pytest.raises(ModelError) as e:
        Exponential(1, 2, high=2)
    assert e.value.field == "buyer.high"


@pytest.mark.parametrize(
    "dist",
    [Exponential(1.0), Exponential(2, 1, high=3), Uniform(1, 3), Pareto(3, 2), Power(2)],
)
def test_partial_mean_closed_forms_match_integration(dist):
    from datamech.models.distributions import TypeDistribution

    lo = float(dist.support[0])
    a, b = np.array([lo, lo + 0.3, lo + 0.5]), np.array([lo + 0.3, lo + 0.9, np.inf])
    generic = TypeDistribution.partial_mean(dist, a, b)
    assert np.allclose(dist.partial_mean(a, b), generic, atol=1e-8)
    assert float(TypeDistribution.partial_mean(dist, lo, np.inf)) == pytest.approx(dist.mean())
    assert dist.continuous and not Discrete([1], [1]).continuous


def test_continuous_flag_sees_atoms():
    assert not TruncatedEqualRevenue(Fr(1, 2), 4).continuous
    assert Mixture([Uniform(0, 1), Exponential(1)], [0.5, 0.5]).continuous
    assert not Mixture([Discrete([1], [1]), Uniform(2, 3)], [0.5, 0.5]).continuous


def test_partial_means_of_atoms_by_hand():
    # I3: E[V; 1 < V <= 3] = 2/10 + 9/10, E[V] = 3/5 + 2/10 + 9/10
    d = i3()
    assert d.partial_mean(1, 3) == Fr(11, 10) and d.partial_mean(0, math.inf) == Fr(17, 10)
    assert d.partial_mean(3, 1) == 0
    # truncated equal revenue (s = 1/2, H = 4): density s/v^2 on [s, H) and the atom s/H at H
    t = TruncatedEqualRevenue(Fr(1, 2), 4)
    assert t.partial_mean(0, 4) == pytest.approx(0.5 * math.log(8) + 0.5)
    assert t.partial_mean(1, 2) == pytest.approx(0.5 * math.log(2))
    assert t.partial_mean(1, 3.9) == pytest.approx(0.5 * math.log(3.9))  # atom excluded
    # mixture: 1/2 E[atom 1] + 1/2 E[U[2,3]; V <= 2.5] = 1/2 + 1/2 (2.5^2 - 4)/2
    m = Mixture([Discrete([1], [1]), Uniform(2, 3)], [0.5, 0.5])
    assert m.partial_mean(0, 2.5) == pytest.approx(0.5 + 0.5 * (2.5**2 - 4) / 2)
