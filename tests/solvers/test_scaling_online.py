"""Online mechanisms for scaling-law data (spec 003 §3; §6.2 Tables A-D, U2, I3).

Expected values are the spec's exact regression numbers and the paper's closed forms;
the DP is also checked against the scenario-tree program, the grid DP against the exact
piecewise DP, the closed-form evaluations against state propagation and Monte Carlo,
and the payments against brute-force IC/IR and the revenue identity.
"""

import itertools
import math
from fractions import Fraction as Fr

import numpy as np
import pytest

from datamech.errors import ModelError
from datamech.models.distributions import Discrete, Exponential, Pareto, Uniform, from_table
from datamech.models.scaling import OnlineModel
from datamech.solvers.scaling import instances as inst
from datamech.solvers.scaling.offline import OfflineMechanism
from datamech.solvers.scaling.online import (
    OnlineDP,
    OnlineMechanism,
    bell_number,
    online_offline_gap_bound,
    rosenthal_constant,
    scenario_tree_program,
    solve_online,
    two_stage_guarantee,
)

HALF = Fr(1, 2)
I3 = Discrete([1, 2, 3], [Fr(3, 5), Fr(1, 10), Fr(3, 10)])
U = Uniform(0, 1)


def profit(dists, mech, alpha=HALF, cost=1, **kw):
    return OnlineMechanism(dists, alpha, cost, mech, **kw).expected_profit()


# ------------------------------------------------------------------ example I3 (exact)
@pytest.mark.parametrize(
    "mech, kw, expected",
    [
        ("optimal", {}, Fr(3307, 1960)),
        ("two_stage", {}, Fr(215, 144)),
        ("greedy", {}, Fr(219, 140)),
        ("greedy", {"allocate": "all"}, Fr(45, 28)),
        ("non_adaptive", {}, Fr(1)),
    ],
)
def test_i3_exact(mech, kw, expected):
    est = profit([I3, I3], mech, **kw)
    assert est.value == expected and est.method == "exact"


def test_i3_dp_targets_and_tree():
    dp = OnlineDP([I3, I3], HALF, 1)
    assert dp.target(0, Fr(1, 7)) == Fr(289, 9604) and dp.target(0, Fr(3)) == 4
    assert dp.target(1, Fr(3)) == Fr(9, 4)  # last round: (alpha r / c)^k
    tree = scenario_tree_program([I3, I3], 0.5, 1)
    assert tree.status == "optimal" and tree.nodes == 6
    assert tree.value == pytest.approx(3307 / 1960, abs=1e-7)
    grid = OnlineDP([I3, I3], 0.5, 1.0, method="grid", grid=20_000)
    assert abs(grid.value - 3307 / 1960) <= grid.abserr < 1e-7
    assert grid.value <= 3307 / 1960  # a feasible (grid) policy: a lower bound


def test_i3_two_stage_parameters_and_bounds():
    m = OnlineMechanism([I3, I3], HALF, 1, "two_stage")
    assert m.delta == Fr(1, 3) and m.M == 2 and m.s0 / m.ratio == Fr(4, 3)
    assert m.pre_production == Fr(4, 9)
    alg = m.expected_profit().value
    # sharp Lemma B.2 bound (1-a)(a/c)^{k-1}[((1-d)M)^k + d sum E r^k] = 113/126
    bound = HALF * HALF * ((Fr(4, 3)) ** 2 + Fr(1, 3) * 2 * Fr(19, 7))
    assert bound == Fr(113, 126) and alg >= bound
    assert alg >= two_stage_guarantee(HALF) * Fr(13, 7)


def test_i3_profit_identity_ic_ir_brute_force():
    """Over all 9 type profiles: E[sum p] - c E[D_n] equals the exact profit, every
    round is IC (no misreport helps at the reached state) and IR."""
    for mech, kw in [
        ("optimal", {}),
        ("two_stage", {}),
        ("greedy", {}),
        ("greedy", {"allocate": "all"}),
        ("non_adaptive", {}),
    ]:
        m = OnlineMechanism([I3, I3], HALF, 1, mech, **kw)
        total = Fr(0)
        for prof in itertools.product(range(3), repeat=2):
            prob = math.prod(I3.probs[j] for j in prof)
            v = [I3.values[j] for j in prof]
            path = m.run(v)
            total += prob * (sum(rd.payment for rd in path) - path[-1].level)
            s = m.s0  # the state in s = D^{1-alpha} coordinates, exact
            for i, rd in enumerate(path):
                assert rd.utility >= 0
                for w in I3.values:  # misreport w
                    x = m.allocation(i, s, I3.r(w))[1]
                    dev = v[i] * x - m.payment(i, s, w)
                    assert dev <= rd.utility
                s = m.allocation(i, s, rd.r)[0]
        assert total == m.expected_profit().value, mech


def test_i3_monte_carlo_agrees():
    for mech in ("optimal", "two_stage"):
        m = OnlineMechanism([I3, I3], HALF, 1, mech)
        mc = m.expected_profit("mc", samples=100_000, seed=3)
        assert abs(mc.value - float(m.expected_profit().value)) < 4 * mc.stderr


# ------------------------------------------------------------------ example U2 (continuous)
@pytest.mark.parametrize(
    "mech, kw, expected",
    [
        ("two_stage", {}, 59 / 648),
        ("greedy", {}, 3 / 32),
        ("greedy", {"allocate": "all"}, 19 / 192),
        ("non_adaptive", {}, 1 / 16),
    ],
)
def test_u2_quadrature(mech, kw, expected):
    est = profit([U, U], mech, alpha=0.5, cost=1.0, **kw)
    assert est.method == "quad"
    assert abs(est.value - expected) <= max(est.abserr, 1e-15) and est.abserr < 1e-7


def test_u2_optimal_dp_closed_forms():
    dp = OnlineDP([U, U], 0.5, 1.0, grid=20_000)
    assert abs(dp.value - 797 / 7680) <= dp.abserr < 1e-8
    for L in (0.0, 0.01, 0.1, 0.25, 0.5, 2.0):  # Gamma_2 (spec §6.2 U2)
        ref = 1 / 24 - L / 2 - L**1.5 / 3 if L <= 0.25 else math.sqrt(L) / 4 - L
        assert dp.gamma(1, L) == pytest.approx(ref, abs=1e-8)
    for r in (0.2, 0.5, 0.75, 0.9):  # D-bar_1 and D-bar_2 (parabolic refinement)
        ref = ((math.sqrt(1 + 4 * r) - 1) / 2) ** 2 if r <= 0.75 else ((r + 0.25) / 2) ** 2
        assert dp.target(0, r) == pytest.approx(ref, abs=1e-8)
        assert dp.target(1, r) == pytest.approx(r * r / 4, abs=1e-8)
    off = OfflineMechanism([U, U], 0.5, 1.0).expected_profit().value
    assert off == pytest.approx(11 / 96, abs=1e-12) and dp.value <= off


def test_u2_two_stage_monte_carlo_and_production():
    m = OnlineMechanism([U, U], 0.5, 1.0, "two_stage")
    mc = m.expected_profit("mc", samples=200_000, seed=1)
    assert abs(mc.value - 59 / 648) < 4 * mc.stderr
    sim = m.simulate(200_000, seed=2)["levels"][:, -1]
    assert abs(sim.mean() - m.expected_production()) < 4 * sim.std() / math.sqrt(len(sim))
    assert m.pre_production == pytest.approx(1 / 36)


def test_online_payment_formula_s16():
    """p(v; L) = 0 (v <= 1/2), sqrt(L)/2 (v <= 1/2 + sqrt(L)), v^2/2 - L/2 - 1/8."""
    m = OnlineMechanism([U, U], 0.5, 1.0, "two_stage")
    for L in (0.0, 0.01, 0.04):
        for v in (0.3, 0.55, 0.6, 0.65, 0.9):
            if v <= 0.5:
                ref = 0.0
            elif v <= 0.5 + math.sqrt(L):
                ref = math.sqrt(L) / 2
            else:
                ref = v * v / 2 - L / 2 - 1 / 8
            assert m.payment(0, math.sqrt(L), v) == pytest.approx(ref, abs=1e-10)


def test_exponential_quad_vs_mc():
    e = Exponential(1)
    for mech in ("optimal", "two_stage"):
        m = OnlineMechanism([e, e], 0.5, 1.0, mech)
        est = m.expected_profit()
        mc = m.expected_profit("mc", samples=200_000, seed=5)
        assert abs(mc.value - est.value) < 4 * mc.stderr + est.abserr


# ------------------------------------------------------------------ Table B: I_n
TABLE_B = [
    (HALF, 1, Fr(1, 2), Fr(1, 2)),
    (HALF, 2, Fr(11, 16), Fr(3, 4)),
    (HALF, 3, Fr(119, 162), Fr(5, 6)),
    (HALF, 4, Fr(1549, 2048), Fr(7, 8)),
    (HALF, 5, Fr(24029, 31250), Fr(9, 10)),
    (HALF, 10, Fr(158618940391, 200000000000), Fr(19, 20)),
    (Fr(2, 3), 2, Fr(31, 48), Fr(5, 6)),
    (Fr(2, 3), 3, Fr(539, 729), Fr(29, 27)),
    (Fr(2, 3), 5, Fr(189989, 234375), Fr(97, 75)),
    (Fr(3, 4), 2, Fr(89, 128), Fr(9, 8)),
    (Fr(3, 4), 5, Fr(1536749, 1562500), Fr(1209, 500)),
    (Fr(4, 5), 2, Fr(259, 320), Fr(17, 10)),
    (Fr(4, 5), 3, Fr(11747, 10935), Fr(149, 45)),
]


@pytest.mark.parametrize("alpha, n, onl, offl", TABLE_B)
def test_table_b(alpha, n, onl, offl):
    model = inst.thm36(n, alpha)
    res = solve_online(model, path=False)
    assert res.expected_profit == onl == inst.onl_In(n, alpha)
    assert res.offline_optimum == offl == inst.offl_In(n, alpha)


def test_table_b_float_rows_and_two_stage():
    assert float(inst.onl_In(10, Fr(2, 3))) == pytest.approx(0.862080044190, abs=1e-12)
    assert float(inst.onl_In(10, Fr(4, 5))) == pytest.approx(1.466283405246, abs=1e-12)
    assert inst.offl_In(10, Fr(4, 5)) == Fr(47303, 6250)
    assert inst.offl_In(10, Fr(2, 3)) == Fr(221, 150)
    ts = {1: Fr(1, 2), 2: Fr(41, 72), 3: Fr(283, 486), 5: Fr(6649, 11250)}
    for n, val in ts.items():
        m = inst.thm36(n, HALF, mechanism="two_stage")
        got = OnlineMechanism(m.buyers, m.alpha, m.cost, "two_stage").expected_profit().value
        assert got == val == inst.two_stage_In(n, HALF)
    assert float(inst.two_stage_In(10, HALF)) == pytest.approx(0.59685512225, abs=1e-11)


def test_lemma_b3_gamma():
    n, a = 3, HALF
    dp = OnlineDP(inst.thm36(n, a).buyers, a, a)
    for i in range(1, n + 1):
        T = (1 + Fr(n - i, n)) ** 2

        def gamma(j, L):  # Lemma B.3 recursion, 1-based j
            if j == n + 1:
                return -a * L
            Tj = (1 + (n - j) / n) ** 2
            if L <= Tj:
                return (1 - 1 / n) * gamma(j + 1, L) + (1 / n) * (1 - a) * Tj
            return (n - j + 1) / n * L**0.5 - 0.5 * L

        for L in (0, 0.5, 1.2, 1.9, 3):
            assert float(dp.gamma(i - 1, L)) == pytest.approx(gamma(i, L), abs=1e-12)
        assert dp.target(i - 1, Fr(1)) == T


def test_in_limits_and_gap():
    assert inst.lim_ratio_In(0.5) == pytest.approx(1 - 1 / (2 * math.e), abs=1e-12)
    assert inst.lim_ratio_In(Fr(2, 3)) == pytest.approx((2 + 2 / math.e) / 5, abs=1e-12)
    assert inst.lim_onl_In(0.8) == pytest.approx(0.2 * (44 / math.e - 8), abs=1e-12)
    for a, L36 in [
        (0.1, 0.9878538),
        (0.25, 0.9565171),
        (1 / 3, 0.9272991),
        (0.75, 0.3126056686),
        (0.8, 0.1574364502),
        (0.9, 0.0013735144),
    ]:
        assert inst.lim_ratio_In(a) == pytest.approx(L36, abs=1e-7)


# ------------------------------------------------------------------ Table C: Thm 3.2
@pytest.mark.parametrize("n", [1, 2, 3, 5, 10])
def test_table_c(n):
    model = inst.thm32(n)
    g = OnlineMechanism(model.buyers, HALF, 1, "greedy").expected_profit().value
    assert g == inst.thm32_greedy(n, HALF) == Fr(2 * n - 1, 4)
    onl = OnlineMechanism(model.buyers, HALF, 1, "optimal").expected_profit().value
    assert onl == inst.thm32_onl(n, HALF) == Fr(n * n, 4)
    assert (
        OnlineMechanism(model.buyers, HALF, 1, "greedy", allocate="all").expected_profit().value
        == g
    )  # G17: same on this instance
    if n >= 2:
        ts = OnlineMechanism(model.buyers, HALF, 1, "two_stage").expected_profit().value
        assert ts / onl == Fr(8, 9) == inst.thm32_two_stage_ratio(HALF)
    assert g / onl == Fr(2 * n - 1, n * n)


def test_thm32_general_alpha():
    for a, c in [(Fr(2, 3), Fr(1, 2)), (Fr(1, 3), 2)]:
        for n in (2, 4):
            b = inst.thm32(n, a, c).buyers
            assert OnlineMechanism(b, a, c, "greedy").expected_profit().value == pytest.approx(
                inst.thm32_greedy(n, a, c), rel=1e-13
            )
            assert OnlineMechanism(b, a, c).expected_profit().value == pytest.approx(
                inst.thm32_onl(n, a, c), rel=1e-13
            )


# ------------------------------------------------------------------ Table D: Thm 3.3
TABLE_D = [
    (2, HALF, 1, 4, 0.25, 0.9375, 1.0703125, 1.125),
    (3, HALF, 1, 10, 0.25, 2.41759259, 2.58700617, 2.66666667),
    (5, HALF, 2, 3, 0.125, 0.32822370, 0.43134212, 0.475),
    (4, Fr(2, 3), 1, 5, 0.14814815, 3.43506944, 4.34023756, 5.42592593),
]


@pytest.mark.parametrize("n, a, c, H, na, adaptive, onl, offl", TABLE_D)
def test_table_d(n, a, c, H, na, adaptive, onl, offl):
    model = inst.thm33(n, H, a, c)
    res = solve_online(model, path=False)
    assert float(res.expected_profit) == pytest.approx(na, abs=1e-8)
    assert float(res.online_optimum) == pytest.approx(onl, abs=1e-8)
    assert res.online_optimum == inst.two_point_onl(n, Fr(1, n * H), H, a, c)
    assert float(res.offline_optimum) == pytest.approx(offl, abs=1e-8)
    k = 1 / (1 - a)
    K = (1 - a) * (a / c) ** (k - 1)
    assert float(K * H**k * (1 - (1 - Fr(1, n * H)) ** n)) == pytest.approx(adaptive, abs=1e-8)
    # G5: the corrected lower bound holds, the paper's K_c H^k can exceed OFFL
    assert float(res.online_optimum) >= float(K * H**k) * (1 - math.exp(-1 / H))
    assert float(res.expected_profit / res.online_optimum) <= 2 * H ** (-a / (1 - a))


# ------------------------------------------------------------------ Table A constants
def test_table_a_constants():
    assert [bell_number(p) for p in range(1, 8)] == [1, 2, 5, 15, 52, 203, 877]
    assert rosenthal_constant(10) == 115975
    assert rosenthal_constant(1.1111) == 2 and rosenthal_constant(4 / 3) == 2
    assert rosenthal_constant(2.5) == pytest.approx(3.0825128954805483, abs=1e-12)
    assert inst.poisson_moment(10 / 9) == pytest.approx(1.06736579, abs=1e-8)
    assert inst.poisson_moment(1.5) == pytest.approx(1.37273264, abs=1e-8)
    expected = {
        Fr(1, 2): Fr(1, 6),
        Fr(2, 3): Fr(1, 20),
        Fr(3, 4): Fr(1, 75),
        Fr(4, 5): Fr(1, 312),
        Fr(1, 3): Fr(1, 5),
        Fr(1, 4): Fr(3, 14),
    }
    for a, val in expected.items():
        assert two_stage_guarantee(a) == val
    assert two_stage_guarantee(0.1) == pytest.approx(9 / 38)
    assert two_stage_guarantee(Fr(9, 10)) == pytest.approx(7.83867997e-7, rel=1e-8)
    for a, val in [(0.1, 1.0800597), (0.5, 2), (2 / 3, 1.6), (0.8, 0.6153846), (0.9, 0.0088294891)]:
        assert online_offline_gap_bound(a) == pytest.approx(val, abs=1e-7)
    with pytest.raises(ModelError, match="p"):
        rosenthal_constant(1)


# ------------------------------------------------------------------ bad input
def test_bad_inputs():
    with pytest.raises(ModelError, match="alpha"):
        OnlineMechanism([U], 1.0, 1.0)
    with pytest.raises(ModelError, match="alpha"):
        OnlineMechanism([U], 0, 1.0)
    with pytest.raises(ModelError, match="cost"):
        OnlineMechanism([U], 0.5, 0)
    with pytest.raises(ModelError, match="mechanism"):
        OnlineMechanism([U], 0.5, 1, "best")
    with pytest.raises(ModelError, match="delta"):
        OnlineMechanism([U], 0.5, 1, "two_stage", delta=1.5)
    with pytest.raises(ModelError, match="delta"):
        OnlineMechanism([U], 0.5, 1, "greedy", delta=0.5)
    with pytest.raises(ModelError, match="allocate"):
        OnlineMechanism([U], 0.5, 1, "greedy", allocate="some")
    with pytest.raises(ModelError, match="method"):
        OnlineMechanism([U], 0.5, 1, "greedy").expected_profit("exact")
    with pytest.raises(ModelError, match="grid"):
        OnlineMechanism([U], 0.5, 1, grid=3)
    with pytest.raises(ModelError, match="buyers"):
        OnlineMechanism([], 0.5, 1)
    with pytest.raises(ModelError, match="buyers"):
        scenario_tree_program([U], 0.5, 1)
    # G15: E[r^k] infinite (Pareto shape 1.5 < k = 2)
    with pytest.raises(ModelError, match=r"buyers\[0\]"):
        OnlineMechanism([Pareto(1.5, where="buyers[0]")], 0.5, 1)
    with pytest.raises(ModelError, match=r"buyers\[0\].probs"):
        from_table({"family": "discrete", "values": [1, 2], "probs": [0.5, 0.6]}, "buyers[0]")
    with pytest.raises(ModelError, match="model.alpha"):
        OnlineModel((U,), 1.2, 1)
    with pytest.raises(ModelError, match="model.cost"):
        OnlineModel((U,), 0.5, -1)
    with pytest.raises(ModelError, match="model.delta"):
        OnlineModel((U,), 0.5, 1, mechanism="two_stage", delta=0)
    with pytest.raises(ModelError, match="model.mechanism"):
        OnlineModel((U,), 0.5, 1, mechanism="magic")
    with pytest.raises(ModelError, match="v"):
        OnlineMechanism([U, U], 0.5, 1).run([0.3])


def test_delta_any_value_sharp_bound():
    """Algorithm 1 for several delta: exact value >= the sharp B.5 bound."""
    for d in (Fr(1, 10), Fr(1, 2), Fr(9, 10)):
        alg = profit([I3, I3], "two_stage", delta=d).value
        bound = HALF * HALF * (((1 - d) * 2) ** 2 + d * 2 * Fr(19, 7))
        assert alg >= bound


def test_plot_and_result(tmp_path):
    res = solve_online(OnlineModel((I3, I3), HALF, 1, mechanism="greedy"))
    files = res.save_plots(tmp_path)
    assert [f.name for f in files] == ["online_paths.png", "online_paths.pdf"]
    assert all(f.stat().st_size > 1000 for f in files)
    d = res.to_dict()
    assert d["expected_profit"] == pytest.approx(219 / 140)
    assert d["online_optimum"] == pytest.approx(3307 / 1960)
    assert d["offline_optimum"] == pytest.approx(13 / 7)
    assert "mech" not in d and len(d["sample_path"]) == 2
    assert np.isclose(d["ratio_to_online"], (219 / 140) / (3307 / 1960))
    assert "ALG/ONL" in res.format()


@pytest.mark.parametrize("alpha, onl", [(0.5, 0.81381399107), (0.8, 1.62021851491)])
def test_table_b_n100_float(alpha, onl):
    m = inst.thm36(100, alpha)
    got = OnlineMechanism(m.buyers, alpha, alpha).expected_profit().value
    assert got == pytest.approx(onl, abs=1e-10)
    assert got == pytest.approx(float(inst.onl_In(100, Fr(alpha))), abs=1e-12)


@pytest.mark.slow
def test_table_b_n1000_float():
    m = inst.thm36(1000, 0.5)
    got = OnlineMechanism(m.buyers, 0.5, 0.5).expected_profit().value
    assert got == pytest.approx(0.815836135327, abs=1e-11)


def test_optimal_grid_expected_production_vs_mc():
    m = OnlineMechanism([U] * 3, 0.5, 1.0)
    lv = m.simulate(200_000, seed=1)["levels"][:, -1]
    assert abs(m.expected_production() - lv.mean()) < 4 * lv.std() / math.sqrt(len(lv))


def test_u2_lemma_b2_and_theorem_34_bounds():
    alg = 59 / 648
    assert alg >= 1 / 18 >= 11 / 576  # sharp Lemma B.2 bound >= Theorem 3.4's OFFL/6
    bound = 0.5 * 0.5 * ((2 / 3 * 0.5) ** 2 + 1 / 3 * 2 * (1 / 6))  # sharp B.5 bound
    assert bound == pytest.approx(1 / 18)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@st.composite
def small_discrete(draw):
    j = draw(st.integers(1, 3))
    vals = sorted(set(draw(st.lists(st.integers(1, 9), min_size=j, max_size=j))))
    w = draw(st.lists(st.integers(1, 5), min_size=len(vals), max_size=len(vals)))
    return Discrete(vals, [Fr(x, sum(w)) for x in w])


@settings(max_examples=10, deadline=None)
@given(
    st.lists(small_discrete(), min_size=1, max_size=3),
    st.sampled_from([HALF, Fr(2, 3)]),
    st.sampled_from([1, Fr(1, 2), 3]),
)
def test_random_instances_orderings(dists, alpha, cost):
    """Exact DP = scenario tree; ALG <= ONL <= OFFL for every mechanism; G17 ordering."""
    onl = profit(dists, "optimal", alpha, cost).value
    tree = scenario_tree_program(dists, alpha, cost)
    assert float(onl) == pytest.approx(tree.value, rel=1e-6, abs=1e-7)
    offl = OfflineMechanism(dists, alpha, cost).expected_profit().value
    assert onl <= offl
    own = profit(dists, "greedy", alpha, cost).value
    assert own <= profit(dists, "greedy", alpha, cost, allocate="all").value <= onl
    assert profit(dists, "two_stage", alpha, cost).value <= onl
    assert profit(dists, "non_adaptive", alpha, cost).value <= onl
    grid = OnlineDP(dists, float(alpha), float(cost), grid=20_000, method="grid")
    assert grid.value <= float(onl) + 1e-12  # a feasible grid policy: a lower bound
    assert float(onl) - grid.value <= grid.abserr + 1e-7 * max(1.0, float(onl))


def test_grid_dp_refuses_to_report_an_unresolved_value():
    from datamech.errors import SolverError
    from datamech.solvers.scaling.online import OnlineDP

    # alpha = 0.9 still resolves (k = 10): ONL >= 0 with a small error bar
    ok = OnlineDP([Exponential(1)] * 2, 0.9, 1)
    assert ok.value > 0 and ok.abserr < 1e-3 * ok.value
    # alpha = 0.95 (k = 20): L = s^20 over the Exp(1) tail spans ~1e34, the float DP
    # returned ONL = -7.2e17 (impossible: producing nothing gives 0)
    with pytest.raises(SolverError, match="lost precision") as e:
        OnlineDP([Exponential(1)] * 2, 0.95, 1)
    assert e.value.status == "solver_error"  # no usable value: an error status, not a result


def test_online_results_must_respect_alg_onl_offl():
    from datamech.errors import SolverError
    from datamech.solvers.scaling.offline import ProfitEstimate
    from datamech.solvers.scaling.online import check_bounds

    alg = ProfitEstimate(2.0, 0.0, "exact", 0, 0.0)
    check_bounds(alg, 2.5, 0.0, 3.0, 0.0)  # 0 <= ALG <= ONL <= OFFL
    check_bounds(alg, 2.0 - 1e-12, 0.0, 3.0, 0.0)  # within rounding
    for onl, offl, what in ((1.5, 3.0, "below the profit"), (3.5, 3.0, "above OFFL")):
        with pytest.raises(SolverError, match=what):
            check_bounds(alg, onl, 0.1, offl, 0.0)


def test_online_mixture_values_are_labelled_grid():
    from datamech.models.distributions import Mixture
    from datamech.solvers.scaling.online import OnlineMechanism

    # one buyer: the optimal online mechanism is the offline one, OFFL = 13/24 here
    mx = Mixture([Uniform(0, 1), Uniform(2, 3)], [0.5, 0.5])
    est = OnlineMechanism([mx], Fr(1, 2), 1, "optimal").expected_profit()
    assert est.method == "grid" and 0 < est.abserr < 1e-6
    assert abs(est.value - 13 / 24) <= est.abserr


def test_model_file_grid_reaches_the_dp(tmp_path):
    import datamech as dm
    from datamech.models import io

    path = tmp_path / "g.toml"
    path.write_text(
        '[model]\nkind = "online"\nalpha = 0.5\ncost = 1\ngrid = 2000\n'
        '[[buyers]]\nfamily = "uniform"\nlow = 0\nhigh = 1\n'
        '[[buyers]]\nfamily = "uniform"\nlow = 0\nhigh = 1\n'
    )
    model = io.load(path)
    assert model.grid == 2000
    coarse = dm.solve(model, benchmarks=False, path=False)
    fine = dm.solve(model, grid=40_000, benchmarks=False, path=False)
    # U2: ONL = 797/7680; the coarse grid's error estimate is larger and still covers it
    assert abs(fine.expected_profit - 797 / 7680) <= fine.abserr < coarse.abserr
    assert abs(coarse.expected_profit - 797 / 7680) <= coarse.abserr
    with pytest.raises(ModelError, match="model.grid"):
        OnlineModel((Uniform(0, 1),), 0.5, 1, grid=8)


@pytest.mark.parametrize("mech, alloc", [("two_stage", "own"), ("greedy", "own"),
                                         ("greedy", "all"), ("optimal", "own")])  # fmt: skip
def test_float_state_law_equals_the_pair_loop(mech, alloc):
    from datamech.solvers.scaling.online import OnlineMechanism, pw

    rng = np.random.default_rng(7)
    for _ in range(6):
        dists = []
        for _ in range(int(rng.integers(1, 4))):
            m = int(rng.integers(1, 6))
            vals = np.sort(rng.choice(np.arange(1, 30), m, replace=False)) / 7.0
            dists.append(Discrete(list(vals), list(rng.dirichlet(np.ones(m)))))
        M = OnlineMechanism(dists, float(rng.choice([0.3, 0.5, 0.7])), 1.3, mech, allocate=alloc)
        law, profit = M.state_law()  # floats: the sorted prefix-sum version
        states, surplus = {M.s0: 1.0}, 0.0  # every (state, atom) pair, as in the paper
        for i, rl in enumerate(M.laws):
            nxt = {}
            for rho, pr in zip(rl.values, rl.probs, strict=True):
                for s, ps in states.items():
                    s_new, xs = M.allocation(i, s, float(rho))
                    surplus += ps * float(pr) * float(rho) * pw(xs, M.k - 1)
                    nxt[s_new] = nxt.get(s_new, 0.0) + ps * float(pr)
            states = nxt
        ref = surplus - M.c * sum(p * pw(s, M.k) for s, p in states.items())
        assert profit == pytest.approx(ref, rel=1e-12, abs=1e-14)
        assert sorted(law) == pytest.approx(sorted(states), rel=1e-12)
