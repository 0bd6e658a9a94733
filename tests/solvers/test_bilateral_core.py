"""Bilateral trade core (spec 003 §4): first best, second best, simple mechanisms.

Expected values are the spec's closed forms (§4.4, §6.2 B1-B4, S14), closed forms derived
here in the comments, an independent mpmath quadrature, and LP / convex-program optima
on discrete instances (scipy HiGHS, cvxpy Clarabel).
"""

import math
from fractions import Fraction

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from datamech.errors import ModelError
from datamech.models.distributions import (
    Discrete,
    Exponential,
    Mixture,
    Pareto,
    Power,
    Uniform,
)
from datamech.solvers.bilateral import (
    W,
    broker,
    budget_surplus,
    buyer_proposing,
    first_best,
    gains_from_trade,
    posted_price,
    posted_price_gft,
    second_best,
    seller_proposing,
)

LN2, LN3 = math.log(2), math.log(3)
U01, U12 = Uniform(0, 1), Uniform(1, 2)

# (buyer, seller, alpha, FB, SellerP ratio, SellerU ratio, BuyerP, BuyerU ratio)  spec §6.2
B_TABLE = [
    pytest.param(
        U01, U12, "1/2", LN2 / 12, 0.75, 0.5, (3 * LN3 - 2 / 3) / 48, LN3 / (2 * LN2), id="B1"
    ),
    pytest.param(
        U01,
        U01,
        "1/3",
        8 / (15 * math.sqrt(3)),
        0.75,
        0.5,
        2 / (3 * math.sqrt(6)),
        2**-0.5,
        id="B2",
    ),
    pytest.param(
        U01, U01, "1/4", (27 / 56) * 4 ** (-1 / 3), 0.75, 0.5, 9 / 32, 2 ** (-1 / 3), id="B3"
    ),
    pytest.param(
        U12,
        U12,
        "1/2",
        7 / 12 * LN2,
        6 / 7,
        4 / 7,
        7 * (3 * LN3 - 2 / 3) / 48,
        LN3 / (2 * LN2),
        id="B4",
    ),
]


@pytest.mark.parametrize("b,s,alpha,fb,sp,su,bp,bu", B_TABLE)
def test_spec_examples_simple_mechanisms(b, s, alpha, fb, sp, su, bp, bu):
    assert first_best(b, s, alpha).gains_from_trade == pytest.approx(fb, abs=1e-13)
    r = seller_proposing(b, s, alpha)
    assert r.ratio == pytest.approx(sp, abs=1e-12)
    assert r.lower_bound_ratio == pytest.approx(su, abs=1e-12)
    r = buyer_proposing(b, s, alpha)
    assert r.gains_from_trade == pytest.approx(bp, abs=1e-12)
    assert r.lower_bound_ratio == pytest.approx(bu, abs=1e-12)


@pytest.mark.parametrize(
    "b,s,alpha,b0,brk",
    [
        (U01, U12, "1/2", -0.01609559838, 0.03883107),
        (U01, U01, "1/3", -0.153960071784, 0.19051587),
        (U01, U01, "1/4", -0.101243655795, 0.20089286),
        (U12, U12, "1/2", 7 / 24 - LN2 / 3, 0.31064854),
    ],
)
def test_budget_at_zero_and_broker_limit(b, s, alpha, b0, brk):
    """Spec §6.2: B(0) and the lambda -> infinity (broker) GFT."""
    assert budget_surplus(b, s, 0.0, alpha) == pytest.approx(b0, abs=1e-11)
    assert broker(b, s, alpha).gains_from_trade == pytest.approx(brk, abs=6e-9)


def _sb_uniform_closed(alpha):
    """U[0,1] x U[0,1], scaling [derived]: with mu = 1 + 2 lam, N = mu v - lam = n,
    phi^B = (2n - 1)/mu, D = mu c, E c^{1-k} = 1/(2-k):
    B(lam) ~ 2L(1-alpha)/(k+1) - 1/k with L = 1 + lam, so lam* = alpha / (2 (1 - alpha)),
    GFT = mu^{-1-k}/(2-k) alpha^{k-1} ((1-alpha) L^{k+1}/(k+1) + lam L^k/k)."""
    a = float(Fraction(alpha))
    k = 1 / (1 - a)
    lam = a / (2 * (1 - a))
    mu, L = 1 + 2 * lam, 1 + lam
    gft = (
        mu ** (-1 - k)
        / (2 - k)
        * a ** (k - 1)
        * ((1 - a) * L ** (k + 1) / (k + 1) + lam * L**k / k)
    )
    return lam, gft


@pytest.mark.parametrize("alpha,spec_sb", [("1/3", 0.2928034733), ("1/4", 0.2965604655)])
def test_second_best_uniform_closed_form(alpha, spec_sb):
    lam, gft = _sb_uniform_closed(alpha)
    sb = second_best(U01, U01, alpha)
    assert sb.status == "optimal"
    assert sb.lambda_star == pytest.approx(lam, abs=1e-12)
    assert sb.gains_from_trade == pytest.approx(gft, abs=1e-12)
    # the spec's printed SB agrees to ~1e-8 (its lambda* digits are off, see the report)
    assert sb.gains_from_trade == pytest.approx(spec_sb, abs=5e-8)
    assert sb.budget_surplus == pytest.approx(0, abs=1e-13)


def test_second_best_b1_against_mpmath():
    """B1: an independent 30-digit evaluation of B and GFT at our lambda*."""
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 30
    sb = second_best(U01, U12, "1/2")
    lam = mp.mpf(sb.lambda_star)
    k = 2

    def N(v):
        return max(v + lam * (2 * v - 1), 0)

    def D(c):
        return c + lam * (2 * c - 1)

    z = lam / (1 + 2 * lam)
    a = mp.mpf(1) / 2
    ev = mp.quad(lambda v: v * N(v) ** (k - 1), [z, 1])
    ephi = mp.quad(lambda v: (2 * v - 1) * N(v) ** (k - 1), [z, 1])
    ek = mp.quad(lambda v: N(v) ** k, [z, 1])
    d0 = mp.quad(lambda c: D(c) ** -(k - 1), [1, 2])
    d1 = mp.quad(lambda c: c * D(c) ** -k, [1, 2])
    dphi = mp.quad(lambda c: (2 * c - 1) * D(c) ** -k, [1, 2])
    assert abs(a ** (k - 1) * ephi * d0 - a**k * ek * dphi) < 1e-14
    assert float(a ** (k - 1) * ev * d0 - a**k * ek * d1) == pytest.approx(
        sb.gains_from_trade, abs=1e-14
    )
    assert sb.gains_from_trade == pytest.approx(0.0567197697, abs=1e-10)  # spec B1
    assert sb.ratio == pytest.approx(0.9819519664, abs=1e-9)


def test_b4_first_best_is_budget_feasible():
    """G13: B(0) = 7/24 - ln2/3 > 0, so lambda* = 0 and SB = FB."""
    sb = second_best(U12, U12, "1/2")
    assert sb.status == "optimal" and sb.regime == "first_best_feasible" and sb.lambda_star == 0
    assert sb.gains_from_trade == pytest.approx(7 / 12 * LN2, abs=1e-13)
    assert sb.budget_at_zero == pytest.approx(7 / 24 - LN2 / 3, abs=1e-12)


def test_myerson_satterthwaite_indivisible():
    """U[0,1] x U[0,1], alpha = 1: FB 1/6, SB 9/64 at lambda* = 1/2 (trade iff v - c >= 1/4),
    broker trades iff v - c >= 1/2 (GFT 1/12, profit 1/24), posted price 1/2 gives 1/8;
    seller/buyer offers trade iff 2v - 1 >= c / v >= 2c (GFT 1/8 each)."""
    assert first_best(U01, U01, good="indivisible").gains_from_trade == pytest.approx(1 / 6)
    sb = second_best(U01, U01, alpha=1)
    assert sb.good == "indivisible"
    assert sb.lambda_star == pytest.approx(0.5, abs=1e-12)
    assert sb.gains_from_trade == pytest.approx(9 / 64, abs=1e-13)
    assert gains_from_trade(U01, U01, 0.5, good="indivisible") == pytest.approx(9 / 64)
    br = broker(U01, U01, good="indivisible")
    assert br.gains_from_trade == pytest.approx(1 / 12) and br.budget_surplus == pytest.approx(
        1 / 24
    )
    pp = posted_price(U01, U01)
    assert pp.price == pytest.approx(0.5, abs=1e-6) and pp.gains_from_trade == pytest.approx(1 / 8)
    assert posted_price_gft(U01, U01, 0.3) == pytest.approx(0.5 * 0.91 * 0.3 - 0.7 * 0.045)
    for fn in (seller_proposing, buyer_proposing):
        r = fn(U01, U01, good="indivisible")
        assert r.gains_from_trade == pytest.approx(1 / 8) and r.guarantee is None
        assert r.lower_bound == pytest.approx(1 / 12)  # E[(2v-1-c)_+] = E[(v-2c)_+] = 1/12


def test_indivisible_mixed_discrete_continuous():
    """E[(v - c)_+] with one side discrete: v in {0, .25, .5, .75, 1} uniform, c ~ U[0,1]:
    (1/5) sum v^2/2 = 3/16; the mirror case gives the same by symmetry of (v - c)_+."""
    d = Discrete([0, 0.25, 0.5, 0.75, 1], [0.2] * 5)
    assert first_best(d, U01, good="indivisible").gains_from_trade == pytest.approx(3 / 16)
    assert first_best(U01, d, good="indivisible").gains_from_trade == pytest.approx(3 / 16)


def _lp_second_best(vb, pb, vs, ps):
    B, S = Discrete(vb, pb), Discrete(vs, ps)
    phib = np.asarray(B.virtual_value(B.values), float)
    phis = np.asarray(S.virtual_cost(S.values), float)
    J, M = len(vb), len(vs)
    w = np.outer(pb, ps)
    rows, rhs = [-(w * (phib[:, None] - phis[None, :])).ravel()], [0.0]
    for j in range(J):
        for m in range(M):
            if j + 1 < J:  # x nondecreasing in v
                r = np.zeros(J * M)
                r[j * M + m], r[(j + 1) * M + m] = 1, -1
                rows.append(r)
                rhs.append(0.0)
            if m + 1 < M:  # x nonincreasing in c
                r = np.zeros(J * M)
                r[j * M + m + 1], r[j * M + m] = 1, -1
                rows.append(r)
                rhs.append(0.0)
    res = linprog(
        -(w * (np.asarray(vb)[:, None] - np.asarray(vs)[None, :])).ravel(),
        A_ub=np.array(rows),
        b_ub=rhs,
        bounds=[(0, 1)] * (J * M),
        method="highs",
    )
    assert res.status == 0
    return -res.fun


@pytest.mark.parametrize("seed", range(6))
def test_indivisible_discrete_second_best_equals_lp(seed):
    """Lagrangian with G14 ironing and tie randomization = the DSIC LP optimum."""
    rng = np.random.default_rng(seed)
    J, M = rng.integers(2, 6, 2)
    vb = np.sort(rng.choice(np.arange(1, 20), J, replace=False)) / 4
    vs = np.sort(rng.choice(np.arange(1, 20), M, replace=False)) / 4
    pb, ps = rng.dirichlet(np.ones(J)), rng.dirichlet(np.ones(M))
    sb = second_best(Discrete(vb, pb), Discrete(vs, ps), good="indivisible")
    assert sb.gains_from_trade == pytest.approx(_lp_second_best(vb, pb, vs, ps), abs=1e-10)
    assert sb.budget_surplus >= -1e-12


def _cvx_second_best(vb, pb, vs, ps, alpha):
    """The z = x^alpha convex program of spec §4.3 (DSIC), solved by Clarabel."""
    B, S = Discrete(vb, pb), Discrete(vs, ps)
    phib = np.asarray(B.virtual_value(B.values), float)
    phis = np.asarray(S.virtual_cost(S.values), float)
    w = np.outer(pb, ps)
    z = cp.Variable((len(vb), len(vs)), nonneg=True)
    zp = cp.power(z, 1 / alpha)
    gft = cp.sum(
        cp.multiply(w * np.asarray(vb)[:, None], z) - cp.multiply(w * np.asarray(vs)[None, :], zp)
    )
    bud = cp.sum(cp.multiply(w * phib[:, None], z) - cp.multiply(w * phis[None, :], zp))
    cons = [bud >= 0, z[:-1, :] <= z[1:, :], z[:, :-1] >= z[:, 1:]]
    prob = cp.Problem(cp.Maximize(gft), cons)
    prob.solve(solver=cp.CLARABEL)
    assert prob.status == "optimal"
    return prob.value, cons[0].dual_value


@pytest.mark.parametrize("seed", range(4))
def test_scaling_discrete_second_best_equals_convex_program(seed):
    rng = np.random.default_rng(10 + seed)
    J, M = rng.integers(2, 5, 2)
    vb = np.sort(rng.choice(np.arange(1, 16), J, replace=False)) / 4
    vs = np.sort(rng.choice(np.arange(1, 16), M, replace=False)) / 4
    pb, ps = rng.dirichlet(np.ones(J)), rng.dirichlet(np.ones(M))
    sb = second_best(Discrete(vb, pb), Discrete(vs, ps), "1/2")
    val, dual = _cvx_second_best(vb, pb, vs, ps, 0.5)
    assert sb.gains_from_trade == pytest.approx(val, rel=1e-6, abs=1e-7)
    if sb.status == "optimal":
        assert sb.lambda_star == pytest.approx(dual, rel=1e-4, abs=1e-5)


def test_lagrangian_ironing_g14_irregular_buyer():
    """An irregular buyer whose raw Lagrangian weight v + lam* phi is not monotone at
    lam*: ironing the combined weight (G14) reaches the DSIC LP optimum."""
    vb, pb = [0.75, 1.5, 3.0], [0.5, 0.02, 0.48]
    vs, ps = [0.5, 1.5, 2.5], [1 / 3, 1 / 3, 1 / 3]
    b = Discrete(vb, pb)
    sb = second_best(b, Discrete(vs, ps), good="indivisible")
    assert sb.status == "optimal"
    raw = np.asarray(vb) + sb.lambda_star * np.asarray(b.virtual_value(b.values), float)
    assert np.any(np.diff(raw) < 0)
    ironed = np.asarray(b.ironed_lagrangian_value(b.values, sb.lambda_star), float)
    assert np.all(np.diff(ironed) >= 0)
    assert sb.gains_from_trade == pytest.approx(_lp_second_best(vb, pb, vs, ps), abs=1e-12)


def test_ironed_lagrangian_value_is_concave_hull_slope():
    """G14: slope of the least concave majorant of S(q) + lam R(q), by brute force."""
    vals, probs, lam = [1.0, 2.0, 3.0, 5.0], [0.4, 0.1, 0.3, 0.2], 0.7
    d = Discrete(vals, probs)
    q = np.concatenate([[0.0], np.cumsum(probs[::-1])])  # from the top type down
    top = np.asarray(vals[::-1])
    S = np.concatenate([[0.0], np.cumsum(top * np.asarray(probs[::-1]))])
    R = q * np.concatenate([[0.0], top])
    y = S + lam * R
    # least concave majorant at the grid points: max over chords through pairs
    hull = y.copy()
    for i in range(len(q)):
        for j in range(i + 1, len(q)):
            for m in range(i, j + 1):
                t = (q[m] - q[i]) / (q[j] - q[i])
                hull[m] = max(hull[m], (1 - t) * y[i] + t * y[j])
    slopes = np.diff(hull) / np.diff(q)  # piece m covers type len-1-m
    expect = slopes[::-1]
    got = np.asarray(d.ironed_lagrangian_value(vals, lam), float)
    assert got == pytest.approx(expect, abs=1e-12)


def test_first_best_exact_discrete():
    """FB = (1-alpha) alpha^{k-1} E v^k E c^{-(k-1)}: alpha = 1/2, v in {1,2,3} (I3),
    c in {1, 2} equally: E v^2 = 0.6 + 0.4 + 2.7 = 37/10, E 1/c = 3/4, FB = 1/4 * 37/10 * 3/4."""
    b = Discrete([1, 2, 3], ["3/5", "1/10", "3/10"])
    s = Discrete([1, 2], ["1/2", "1/2"])
    fb = first_best(b, s, "1/2")
    assert fb.exact == Fraction(111, 160) and fb.method == "exact"


def test_w_lemma_c1():
    """S2: W(v, c) at alpha = 1/2 is v^2/(4c); W = 0 for v <= 0."""
    assert W(3.0, 2.0, 0.5) == pytest.approx(9 / 8)
    assert W(-1.0, 2.0, 0.5) == 0.0


@pytest.mark.parametrize("alpha", [0.3, 0.5, 0.7])
def test_tight_families(alpha):
    """Spec §4.4: Pareto buyer SellerU/FB = (1-1/s)^k and SellerP/FB closed form;
    power seller BuyerU/FB = (1+1/s)^{-(k-1)}, BuyerP/FB = (s/(s+1))^{k-1}(1 - a s/(s+1))/(1-a)."""
    k = 1 / (1 - alpha)
    s = k + 0.7
    r = seller_proposing(Pareto(s), Uniform(1, 2), alpha)
    assert r.lower_bound_ratio == pytest.approx((1 - 1 / s) ** k, rel=1e-8)
    assert r.ratio == pytest.approx(
        (1 - 1 / s) ** (k - 1) * (1 - alpha * (1 - 1 / s)) / (1 - alpha), rel=1e-8
    )
    assert r.guarantee_holds
    s2 = alpha / (1 - alpha) + 0.6
    r = buyer_proposing(Uniform(0, 1), Power(s2), alpha)
    assert r.lower_bound_ratio == pytest.approx((1 + 1 / s2) ** (-(k - 1)), rel=1e-8)
    q = s2 / (s2 + 1)
    assert r.ratio == pytest.approx(q ** (k - 1) * (1 - alpha * q) / (1 - alpha), rel=1e-8)
    assert r.guarantee_holds


@pytest.mark.parametrize("alpha", [0.2, 0.45])
def test_s14_uniform_identities(alpha):
    """S14: v ~ U[0,1] gives SellerU/FB = 1/2, SellerP/FB = 3/4 for any F^S;
    c ~ U[0,1] gives BuyerU/FB = 2^{-(k-1)}, BuyerP/FB = 2^{-(k-1)}(2-alpha)/(2(1-alpha))."""
    k = 1 / (1 - alpha)
    r = seller_proposing(U01, Exponential(2.0, low=0.5), alpha)
    assert (r.lower_bound_ratio, r.ratio) == pytest.approx((0.5, 0.75), abs=1e-10)
    r = buyer_proposing(Exponential(1.0), U01, alpha)
    assert r.lower_bound_ratio == pytest.approx(2 ** (-(k - 1)), abs=1e-10)
    assert r.ratio == pytest.approx(2 ** (-(k - 1)) * (2 - alpha) / (2 * (1 - alpha)), abs=1e-10)


def test_gft_at_zero_is_first_best():
    """S20 on an exponential buyer (quadrature) against the moment formula."""
    b, s = Exponential(1.0), Uniform(1, 3)
    fb = first_best(b, s, 0.6).gains_from_trade
    a, k = 0.6, 2.5
    closed = (1 - a) * a ** (k - 1) * math.gamma(k + 1) * (3 ** (2 - k) - 1) / ((2 - k) * 2)
    assert fb == pytest.approx(closed, rel=1e-12)
    assert gains_from_trade(b, s, 0.0, 0.6) == pytest.approx(closed, rel=1e-9)


# ---------------------------------------------------------------- errors
def test_infinite_first_best_is_an_error():
    """G15: c ~ U[0,1] with alpha >= 1/2 gives E[c^{-(k-1)}] = inf."""
    with pytest.raises(ModelError, match="seller.low"):
        first_best(U01, U01, "1/2")
    with pytest.raises(ModelError, match="buyer.shape"):
        first_best(Pareto(1.5), U12, "1/2")  # E v^2 infinite
    with pytest.raises(ModelError, match="buyer.shape"):
        second_best(Pareto(0.9), U12, good="indivisible")


def test_bad_alpha_good_and_costs():
    for bad in (0, -0.5, 1.5, "x"):
        with pytest.raises(ModelError, match="alpha"):
            first_best(U01, U12, bad)
    with pytest.raises(ModelError, match="alpha"):
        first_best(U01, U12)  # scaling needs alpha
    with pytest.raises(ModelError, match="alpha"):
        first_best(U01, U12, 0.5, good="indivisible")
    with pytest.raises(ModelError, match="good"):
        first_best(U01, U12, 0.5, good="divisible")
    with pytest.raises(ModelError, match="seller.values"):
        first_best(U01, Discrete([0, 1], [0.5, 0.5]), 0.5)  # cost 0 possible
    with pytest.raises(ModelError, match="lambda"):
        budget_surplus(U01, U12, -1.0, 0.5)
    with pytest.raises(ModelError, match="method"):
        second_best(U01, U12, 0.5, method="simplex")
    with pytest.raises(ModelError, match="price"):
        posted_price(U01, U01, price=-1)


def test_program_methods_dispatch():
    pytest.importorskip("datamech.solvers.bilateral.programs")
    b = Discrete([1, 2, 3], [0.5, 0.25, 0.25])
    s = Discrete([1, 2], [0.5, 0.5])
    res = second_best(b, s, "1/2", method="program")
    ref = second_best(b, s, "1/2")
    assert res.gains_from_trade == pytest.approx(ref.gains_from_trade, rel=1e-5)


# ---------------------------------------------------------------- invariants
laws = st.sampled_from(["uniform", "discrete", "mixture", "exponential"])


def _law(kind, seed, shift):
    rng = np.random.default_rng(seed)
    if kind == "uniform":
        lo = shift + rng.uniform(0, 1)
        return Uniform(round(lo, 3), round(lo + rng.uniform(0.2, 2), 3))
    if kind == "exponential":
        return Exponential(round(rng.uniform(0.5, 3), 3), low=round(shift + rng.uniform(0, 1), 3))
    if kind == "mixture":
        lo = shift + rng.uniform(0, 0.5)
        return Mixture(
            [Uniform(round(lo, 3), round(lo + 1, 3)), Discrete([round(lo + 2, 3)], [1])],
            [0.7, 0.3],
        )
    vals = np.sort(rng.choice(np.arange(1, 30), rng.integers(2, 6), replace=False)) / 8 + shift
    return Discrete(vals.tolist(), rng.dirichlet(np.ones(len(vals))).tolist())


@example(kb="discrete", ks="exponential", seed=4162, alpha=0.4)  # B(0) < 0 < B(0+), below
@settings(max_examples=12, deadline=None)
@given(
    kb=laws,
    ks=laws,
    seed=st.integers(0, 10_000),
    alpha=st.sampled_from([0.25, 0.4, 0.5, 0.6, 1.0]),
)
def test_invariants(kb, ks, seed, alpha):
    """SellerU <= SellerP <= SB <= FB, BuyerU <= BuyerP <= SB <= FB, the theorems'
    guarantees, and B(lambda*) >= 0."""
    b, s = _law(kb, seed, 0.0), _law(ks, seed + 1, 0.1)
    fb = first_best(b, s, alpha).gains_from_trade
    sb = second_best(b, s, alpha)
    assert sb.budget_surplus >= -1e-9 * max(1.0, fb)
    tol = 1e-7 * max(1.0, fb)
    assert sb.gains_from_trade <= fb + tol
    for fn in (seller_proposing, buyer_proposing):
        r = fn(b, s, alpha)
        assert r.lower_bound <= r.gains_from_trade + tol
        assert r.gains_from_trade <= sb.gains_from_trade + tol
        if alpha < 1 and fb > 0:
            assert r.guarantee_holds


def test_second_best_steps_up_until_the_budget_is_feasible():
    """With an exponential seller and alpha = 0.4 (k = 5/3), E[phi^S D^{-k}] has a c^{-k}
    tail that any lambda > 0 cuts off near c = ln(1/lambda)/rate, so B(lambda) returns to
    B(0) only logarithmically: B(0) < 0 (about -0.004 here) while B is about +0.04 already
    at lambda = 1e-16.  The root search ends next to lambda = 0, on the negative side,
    and must step lambda up until B(lambda*) >= 0."""
    b, s = Discrete([1.25, 1.5], [0.9, 0.1]), Exponential(1.4, low=1.04)
    assert budget_surplus(b, s, 0.0, 0.4) < 0 < budget_surplus(b, s, 1e-16, 0.4)
    sb = second_best(b, s, 0.4)
    assert sb.status == "optimal" and sb.budget_at_zero < 0 < sb.lambda_star
    assert sb.budget_surplus >= 0
    assert budget_surplus(b, s, sb.lambda_star, 0.4) >= 0
    assert sb.gains_from_trade <= first_best(b, s, 0.4).gains_from_trade + 1e-12


@pytest.mark.slow
@settings(max_examples=80, deadline=None)
@given(
    kb=laws,
    ks=laws,
    seed=st.integers(0, 10_000),
    alpha=st.sampled_from([0.2, 0.3, 0.5, 0.7, 0.9, 1.0]),
)
def test_invariants_many(kb, ks, seed, alpha):
    test_invariants.hypothesis.inner_test(kb, ks, seed, alpha)
