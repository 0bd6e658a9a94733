"""Closed forms (Props 5-8) against the spec's regression table §4.3 and formulas §4.1.

Expected numbers are the spec's [D]/[T] values, not this code's output.
"""

import math

import numpy as np
import pytest

from datamech import ModelError
from datamech.models.distributions import Discrete, Exponential, Uniform
from datamech.solvers.infosale import ClosedFormMechanism, exponential_closed_forms

EXP1 = Exponential(1.0)
HALF = [0.5, 0.5]
LN2 = math.log(2)

# spec §4.3: alpha, v_tilde, K, R, W_R, W_2, R_2, W_1, acc_rev, P(rr), P(rw), P(ww), P(rw) 2nd, jump
TABLE = [
    (
        0.25,
        0.923287,
        0.25,
        0.491056,
        1.479383,
        1.596004,
        0.341466,
        1.6,
        0.658885,
        0.331201,
        0.327683,
        0.013432,
        0.163641,
        0.150697,
    ),
    (
        0.5,
        0.846574,
        0.0,
        0.632495,
        1.275456,
        1.317978,
        0.582276,
        4 / 3,
        0.642961,
        0.295112,
        0.347849,
        0.009190,
        0.264298,
        0.285559,
    ),
    (
        2 / 3,
        0.795431,
        -1 / 6,
        0.732930,
        1.156541,
        1.173408,
        0.714082,
        1.2,
        0.635416,
        0.277067,
        0.358349,
        0.006235,
        0.311012,
        0.365742,
    ),
    (
        1.0,
        LN2,
        -0.5,
        0.943147,
        0.943147,
        0.943147,
        0.943147,
        1.0,
        0.625,
        0.25,
        0.375,
        0.0,
        0.375,
        0.5,
    ),
]
TOL = 1.5e-6  # the table has 6 decimals


def mech(alpha, rule, prior=HALF, F=EXP1):
    return ClosedFormMechanism(alpha, prior, F, rule)


@pytest.mark.parametrize("row", TABLE, ids=lambda r: f"alpha={r[0]:.3g}")
def test_regression_table(row):
    a, vt, K, R, WR, W2, R2, W1, acc, prr, prw, pww, prw2, jump = row
    rev, wel, fb = mech(a, "revenue"), mech(a, "welfare"), mech(a, "first-best")
    assert rev.v_star == pytest.approx(LN2, abs=1e-12)
    assert rev.v_tilde == pytest.approx(vt, abs=TOL)
    assert rev.K == pytest.approx(K, abs=1e-12)
    assert rev.expected_revenue() == pytest.approx(R, abs=TOL)
    assert rev.expected_welfare() == pytest.approx(WR, abs=TOL)
    assert wel.expected_welfare() == pytest.approx(W2, abs=TOL)
    assert wel.expected_revenue() == pytest.approx(R2, abs=TOL)
    assert fb.expected_welfare() == pytest.approx(W1, abs=TOL)
    assert rev.expected_accuracy() == pytest.approx(acc, abs=TOL)
    regions = rev.region_probabilities()
    assert regions["rr"] == pytest.approx(prr, abs=TOL)
    assert regions["rw"] == pytest.approx(prw, abs=TOL)
    assert regions["ww"] == pytest.approx(pww, abs=TOL)
    assert wel.region_probabilities()["rw"] == pytest.approx(prw2, abs=TOL)
    v = rev.v_star
    assert rev.interim_share(v + 1e-12) - rev.interim_share(v) == pytest.approx(jump, abs=TOL)


@pytest.mark.parametrize("mu", [0.5, 0.6, 0.8])
@pytest.mark.parametrize("alpha", [0.25, 0.5, 0.9])
def test_exponential_formulas_match_quadrature(alpha, mu):
    """Spec §4.1 item 9 vs the generic quadrature of Props 5-8 (test plan item 2, 1e-6)."""
    d = exponential_closed_forms(alpha, mu)
    prior = [mu, 1 - mu]
    rev, wel = mech(alpha, "revenue", prior), mech(alpha, "welfare", prior)
    nob = mech(alpha, "revenue-no-obedience", prior)
    assert rev.v_star == pytest.approx(d["v_star"], abs=1e-12)
    assert rev.v_tilde == pytest.approx(d["v_tilde"], abs=1e-12)
    assert rev.expected_revenue() == pytest.approx(d["R"], abs=1e-6)
    assert rev.expected_welfare() == pytest.approx(d["W_R"], abs=1e-6)
    assert wel.expected_welfare() == pytest.approx(d["W_2"], abs=1e-6)
    assert wel.expected_revenue() == pytest.approx(d["R_2"], abs=1e-6)
    assert mech(alpha, "first-best", prior).expected_welfare() == pytest.approx(d["W_1"], abs=1e-6)
    assert nob.virtual_surplus() == pytest.approx(d["virtual_surplus_no_obedience"], abs=1e-6)
    assert rev.expected_accuracy() == pytest.approx(d["accuracy_rev"], abs=1e-6)
    assert nob.expected_accuracy() == pytest.approx(d["accuracy_rev_no_obedience"], abs=1e-6)
    r = rev.region_probabilities()
    assert r["rr"] == pytest.approx(d["P_rr_rev"], abs=1e-6)
    assert r["ww"] == pytest.approx(d["P_ww_rev"], abs=1e-6)
    assert nob.region_probabilities()["rr"] == pytest.approx(d["P_rr_rev_no_obedience"], abs=1e-6)
    w = wel.region_probabilities()
    assert w["rw"] == pytest.approx(d["P_rw_2nd"], abs=1e-6)
    assert w["ww"] == pytest.approx(0.0, abs=1e-9)
    assert mech(alpha, "first-best", prior).region_probabilities()["rw"] == pytest.approx(
        d["P_rw_1st"], abs=1e-6
    )


def test_other_priors_table():
    # spec §4.3, alpha = 1/2: mu = 0.6 and mu = 0.8 (v* > v_0)
    r6 = mech(0.5, "revenue", [0.6, 0.4])
    assert (r6.v_star, r6.v_tilde) == pytest.approx((0.916291, 0.958145), abs=1e-6)
    assert r6.expected_revenue() == pytest.approx(0.571105, abs=1e-6)
    assert mech(0.5, "welfare", [0.6, 0.4]).expected_welfare() == pytest.approx(1.303826, abs=1e-6)
    assert r6.region_probabilities()["ww"] == pytest.approx(0.000523, abs=1e-6)
    r8 = mech(0.5, "revenue", [0.2, 0.8])
    assert (r8.v_star, r8.v_tilde) == pytest.approx((1.609438, 1.304719), abs=1e-6)
    assert r8.expected_revenue() == pytest.approx(0.394221, abs=1e-6)
    assert mech(0.5, "welfare", [0.2, 0.8]).expected_welfare() == pytest.approx(1.241145, abs=1e-6)
    reg = r8.region_probabilities()
    assert reg["rr"] == pytest.approx(0.672333, abs=1e-6) and reg["ww"] == pytest.approx(
        0, abs=1e-9
    )


def test_interim_table_revenue_alpha_half():
    # spec §4.3 interim values for the revenue optimum, alpha = 1/2
    M = mech(0.5, "revenue")
    vs = M.v_star
    pts = [0.3, vs, vs + 1e-12, 0.8, 0.846574, 0.9, 1.0, 1.5, 2.0, 3.0]
    share = [0, 0, 0.285559, 0.296715, 0.301394, 0.357301, 0.448181, 0.721412, 0.838648, 0.925594]
    pay = [0, 0, 0.197934, 0.206258, 0.210110, 0.258907, 0.345104, 0.676688, 0.878014, 1.086821]
    acc = [0.5] * 5 + [0.550671, 0.632121, 0.864665, 0.950213, 0.993262]
    for v, s, p, a in zip(pts, share, pay, acc, strict=True):
        assert M.interim_share(v) == pytest.approx(s, abs=2e-6)
        assert M.interim_payment(v) == pytest.approx(p, abs=2e-6)
        assert M.interim_accuracy(v) == pytest.approx(a, abs=2e-6)


def test_interim_table_revenue_alpha_quarter():
    M = mech(0.25, "revenue")
    vs = M.v_star
    assert M.interim_share(0.3) == pytest.approx(0.25) and M.interim_share(vs) == pytest.approx(
        0.25
    )
    assert M.interim_share(vs + 1e-12) == pytest.approx(0.400697, abs=2e-6)
    assert M.interim_payment(vs + 1e-12) == pytest.approx(0.104455, abs=2e-6)
    assert (M.interim_share(1.0), M.interim_payment(1.0)) == pytest.approx(
        (0.540151, 0.237443), abs=2e-6
    )
    assert (M.interim_share(2.0), M.interim_payment(2.0)) == pytest.approx(
        (0.921636, 0.712224), abs=2e-6
    )


def test_expected_payment_equals_revenue():
    """E[p~(V)] by direct (nested) quadrature of Eq. (4.2) = R-dagger - 2 v_low K (1e-8)."""
    from scipy import integrate

    for a in (0.25, 0.5):
        M = mech(a, "revenue")
        grid = np.linspace(0, 30, 3001)
        share = np.array([M.interim_share(v) for v in grid])
        # p~(v) = v pi~(v) - K v_low - int_0^v pi~ ; E[p~] = 2 * int p~ f
        cum = integrate.cumulative_trapezoid(share, grid, initial=0)
        pay = grid * share - cum
        # the trapezoid misses the jump at v*: correct cum by adding exact piece via quad
        approx = 2 * integrate.trapezoid(pay * np.exp(-grid), grid)
        assert approx == pytest.approx(M.expected_revenue(), abs=2e-4)
        exact = 2 * M._integrate(lambda v, M=M: M.interim_payment(v) * float(M.F.pdf(v)), 0, 30)
        assert exact == pytest.approx(M.expected_revenue(), abs=1e-7)


def test_second_best_fig_4_1_interim_values():
    # spec §4.3 Fig. 4-1 [D], alpha = 2/3, Exp(1), mu = 1/2
    M = mech(2 / 3, "welfare")
    vs = M.v_star
    assert M.interim_share(0.3) == pytest.approx(-1 / 6, abs=1e-9)
    assert M.interim_share(2 / 3 * vs) == pytest.approx(-1 / 6, abs=1e-9)
    assert M.interim_share(0.6) == pytest.approx(-0.073236, abs=2e-6)
    assert M.interim_share(vs) == pytest.approx(-0.020220, abs=2e-6)
    assert M.interim_share(vs + 1e-12) == pytest.approx(0.226473, abs=2e-6)
    assert M.interim_share(1.0) == pytest.approx(0.434592, abs=2e-6)
    for v, p in (
        (0.6, 0.049394),
        (vs, 0.083616),
        (vs + 1e-12, 0.254610),
        (1.0, 0.428862),
        (2.0, 0.908616),
    ):
        assert M.interim_payment(v) == pytest.approx(p, abs=2e-6)
    # obedience-loss set {V_1, V_2 <= v*, max V > min V / alpha}: mass and W_1 - W_2
    fb = mech(2 / 3, "first-best")
    assert fb.expected_welfare() - M.expected_welfare() == pytest.approx(0.026592, abs=2e-6)
    assert M.region_probabilities()["rr"] - fb.region_probabilities()["rr"] == pytest.approx(
        0.177976, abs=2e-6
    )
    assert M.region_probabilities()["rr"] == pytest.approx(0.377976, abs=2e-6)  # Ch. 5 [T]
    assert fb.region_probabilities()["rr"] == pytest.approx(0.2, abs=2e-6)


def test_structure_five_regions_and_three_regions():
    M = mech(0.5, "revenue")
    # five regions (Fig. 4-2 right): square rr, cone rr beyond (v0, v0), rw, wr, ww quadrilateral
    assert M.profile(0.3, 0.4) == "rr"
    assert M.profile(2.0, 2.2) == "rr"
    assert M.profile(0.8, 0.8) == "ww"
    assert M.profile(2.0, 0.3) == "rw" and M.profile(0.3, 2.0) == "wr"
    # between the two rr pieces along the diagonal lies ww, so rr is disconnected there
    assert [M.profile(v, v) for v in (0.5, 0.85, 1.5)] == ["rr", "ww", "rr"]
    # without obedience the gray region reaches the axes: (0.2, 0.2) is ww (Fig. 4-2 left)
    assert mech(0.5, "revenue-no-obedience").profile(0.2, 0.2) == "ww"
    # Fig 4-1: three regions, rr connected (square u cone), never ww
    W = mech(2 / 3, "welfare")
    grid = np.linspace(0.01, 4, 60)
    profs = {W.profile(x, y) for x in grid for y in grid}
    assert profs == {"rr", "rw", "wr"}
    assert (
        W.profile(0.5, 0.6) == "rr" and W.profile(2.0, 2.5) == "rr" and W.profile(2.0, 1.0) == "rw"
    )


@pytest.mark.parametrize(
    "rule, threshold",
    [
        # Exp(1), mu = 1/2, alpha = 1/2: v* = ln 2 < 1.5, so T(1.5) = S^{-1}(s(1.5)/alpha)
        ("revenue", 2.0),  # phi(v) = v - 1: phi^{-1}(0.5/0.5) = 1 + 1 = 2
        ("welfare", 3.0),  # s(v) = v: 1.5/0.5 = 3
    ],
)
def test_accuracy_boundary_recommends_the_right_action(rule, threshold):
    # E4: at v_j = T(v_i) exactly, buyer i is recommended the correct action
    M = mech(0.5, rule)
    assert M.threshold(1.5) == threshold
    assert M.accuracy(0, 1.5, threshold) == 1.0
    assert M.accuracy(1, threshold, 1.5) == 1.0
    assert M.profile(1.5, threshold) == "rr"  # buyer 2's threshold T(T(1.5)) is larger
    assert M.accuracy(0, 1.5, threshold + 1e-9) == 0.0


def test_uniform_has_no_ww_region():
    U = Uniform(0.0, 1.0)
    M = mech(0.5, "revenue", F=U)
    assert M.v_star == pytest.approx(0.5) and M.v0 == pytest.approx(0.5)  # footnote 2
    assert M.region_probabilities()["ww"] == pytest.approx(0.0, abs=1e-9)


def test_obedience_binds_exactly_below_thresholds():
    W = mech(2 / 3, "welfare")
    cut = 2 / 3 * W.v_star
    assert W.obedience_slack(cut - 1e-3) == pytest.approx(0, abs=1e-12)
    assert W.obedience_slack(cut + 1e-3) > 0
    R = mech(0.5, "revenue")
    assert R.obedience_slack(R.v_tilde - 1e-3) == pytest.approx(0, abs=1e-12)
    assert R.obedience_slack(R.v_tilde + 1e-3) > 0


def test_payments_zero_below_v_star_and_positive_above():
    R = mech(0.5, "revenue")
    for v in (0.0, 0.2, 0.5, R.v_star):
        assert R.interim_payment(v) == pytest.approx(0, abs=1e-12)
    for v in (R.v_star + 1e-6, 0.75, R.v_tilde - 1e-6):
        assert R.interim_payment(v) > 0.19  # obedience binds yet the type pays (Prop 8)
    assert all(R.verify().values()) and all(mech(2 / 3, "welfare").verify().values())


def test_alpha_one_revenue_rule_is_welfare_rule():
    for F in (EXP1, Uniform(0.0, 2.0)):
        R, W = mech(1.0, "revenue", F=F), mech(1.0, "welfare", F=F)
        for v in np.linspace(0.01, 1.9, 25):
            assert R.threshold(v) == pytest.approx(W.threshold(v), abs=1e-9)


def test_w2_minus_wr_decreases_in_alpha():
    # test plan item 6: 0.116621, 0.042522, 0.016867, 0
    gaps = [
        mech(a, "welfare").expected_welfare() - mech(a, "revenue").expected_welfare()
        for a in (0.25, 0.5, 2 / 3, 1.0)
    ]
    assert gaps == pytest.approx([0.116621, 0.042522, 0.016867, 0.0], abs=2e-6)
    assert all(x > y for x, y in zip(gaps, gaps[1:], strict=False))


def test_abstract_claims_and_e19():
    for a in (0.25, 0.5, 2 / 3):
        second = mech(a, "welfare").region_probabilities()
        first = mech(a, "first-best").region_probabilities()
        assert 2 * second["rw"] < 2 * first["rw"]  # claim (ii): fewer exclusive sales
        assert second["rr"] >= first["rr"]  # Ch. 5: symmetric information more often
    ob, nob = (
        mech(0.5, "revenue").region_probabilities(),
        mech(0.5, "revenue-no-obedience").region_probabilities(),
    )
    assert (ob["ww"], nob["ww"]) == pytest.approx((0.009190, 0.236404), abs=2e-6)  # claim (iii)
    assert mech(0.25, "revenue-no-obedience").region_probabilities()["ww"] == pytest.approx(
        0.325415, abs=2e-6
    )
    # E19: only the change relative to the unconstrained optimum is asserted
    delta = {}
    for a in (0.25, 0.5):
        o = mech(a, "revenue").region_probabilities()
        n = mech(a, "revenue-no-obedience").region_probabilities()
        delta[a] = 2 * o["rw"] - 2 * n["rw"]
    assert delta[0.25] == pytest.approx(0.0620, abs=1e-4) and delta[0.5] == pytest.approx(
        -0.0228, abs=1e-4
    )
    assert mech(0.5, "revenue-no-obedience").virtual_surplus() == pytest.approx(0.808708, abs=2e-6)


def test_alpha_zero_uses_the_sup_definition():
    M = mech(0.0, "welfare")
    assert M.threshold(0.5) == math.inf and M.interim_accuracy(0.5) == 1.0
    assert mech(0.0, "revenue").interim_accuracy(0.2) == 0.5  # phi < 0: obedience floor


def test_closed_form_needs_continuous_law():
    with pytest.raises(ModelError):
        mech(0.5, "revenue", F=Discrete([1, 2], [0.5, 0.5]))
    with pytest.raises(ModelError):
        mech(1.5, "revenue")
