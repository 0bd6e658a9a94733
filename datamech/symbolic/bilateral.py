"""Symbolic checks for bilateral data trade (seed 003 §4, App. C; spec §4, §5).

Registered in family ``bilateral`` (``datamech verify --family bilateral``):

* ``bilateral.s2_first_best``: Lemma C.1, max_x v x^a - c x = (1-a) a^{a/(1-a)} v^k c^{-(k-1)}
  (k = 1/(1-a)) at x = (a v/c)^k, and the factorised FB of spec B1 and B4 (S2).
* ``bilateral.s12_hardy_constants``: (p/(p-1))^p = a^{-1/(1-a)} at p = 1/(1-a) and
  a^{-a/(1-a)} at p = -a/(1-a) (Lemma C.2 in Theorems 4.1 and 4.2; S12).
* ``bilateral.s13_constants``: a^{a/(1-a)} decreases from 1 to 1/e, a^{1/(1-a)} increases
  from 0 to 1/e on (0, 1) (S13, Corollary SB >= FB/e).
* ``bilateral.s14_uniform``: v ~ U[0,1]: SellerU/FB = 1/2, SellerP/FB = 3/4;
  c ~ U[0,1] (a < 1/2): BuyerU/FB = 2^{-a/(1-a)}, BuyerP/FB = 2^{-a/(1-a)}(2-a)/(2(1-a)) (S14).
* ``bilateral.s20_separable``: the separable GFT(lambda) and B(lambda) of spec §4.3 give
  GFT(0) = FB, and B(0) = (1/2 - ln 2)/12 (B1), 7/24 - ln2/3 (B4) (S20, G13).
* ``bilateral.uniform_lambda_star`` [derived]: for U[0,1] x U[0,1] and alpha < 1/2 the
  multiplier is lambda* = alpha/(2(1-alpha)) exactly (B2: 1/4, B3: 1/6).
* ``bilateral.thm41_thm42_tight``: the Pareto buyer and power seller families reach the
  Theorem 4.1 and 4.2 constants a^{1/(1-a)} and a^{a/(1-a)} in the limit, and the
  mechanisms' ratios tend to a^{a/(1-a)} (1 + a) (spec §4.4).

As the spec advises, identities in alpha are checked exactly at alpha in {1/2, 1/3, 2/3}
(and {1/3, 1/4} where c ~ U[0,1] needs alpha < 1/2) and at random floats.

Examples
--------
>>> from datamech.symbolic import run_checks
>>> all(r.passed for r in run_checks(family="bilateral"))
True
"""

from __future__ import annotations

import random

import sympy as sp

from .registry import register

FAMILY = "bilateral"
v, c, x, s, p = sp.symbols("v c x s p", positive=True)
ALPHAS = (sp.Rational(1, 2), sp.Rational(1, 3), sp.Rational(2, 3))
LOW_ALPHAS = (sp.Rational(1, 3), sp.Rational(1, 4))  # c ~ U[0,1] needs alpha < 1/2 (G15)


def _k(a):
    return 1 / (1 - a)


def _floats(n: int = 3, seed: int = 3) -> list[float]:
    rng = random.Random(seed)
    return [rng.uniform(0.05, 0.95) for _ in range(n)]


def _zero(expr, tol: float = 1e-12) -> bool:
    e = sp.nsimplify(sp.simplify(expr)) if expr.free_symbols else sp.simplify(expr)
    if e == 0:
        return True
    return all(abs(complex(sp.N(e.subs(vals)))) < tol for vals in _points(e))


def _points(e):
    syms = sorted(e.free_symbols, key=str)
    rng = random.Random(7)
    return [{t: sp.Float(rng.uniform(0.2, 3.0)) for t in syms} for _ in range(3)]


def _fb_factor(a):
    return (1 - a) * a ** (a / (1 - a))


@register(
    "bilateral.s2_first_best",
    FAMILY,
    "S2 / Lemma C.1: W(v,c) = (1-a) a^{a/(1-a)} v^{1/(1-a)} c^{-a/(1-a)} at x* = (a v/c)^k; "
    "FB(B1) = ln2/12, FB(B4) = 7 ln2/12",
)
def s2_first_best():
    for a in ALPHAS:
        k = _k(a)
        obj = v * x**a - c * x
        xs = sp.solve(sp.diff(obj, x), x)
        if len(xs) != 1 or not _zero(xs[0] - (a * v / c) ** k):
            return False, f"argmax at alpha={a}: {xs}"
        if sp.diff(obj, x, 2).subs({x: 1, v: 1, c: 1}) >= 0:
            return False, f"objective not concave at alpha={a}"
        W = obj.subs(x, xs[0])
        if not _zero(W - _fb_factor(a) * v**k * c ** (-(k - 1))):
            return False, f"W(v,c) at alpha={a}"
    for af in _floats():
        a = sp.Float(af)
        k = _k(a)
        vv, cc = sp.Float(1.7), sp.Float(0.6)
        xs = (a * vv / cc) ** k
        lhs = vv * xs**a - cc * xs
        if abs(lhs - _fb_factor(a) * vv**k * cc ** (-(k - 1))) > 1e-10 * abs(lhs):
            return False, f"float alpha={af}"
    half = sp.Rational(1, 2)
    Ev = sp.integrate(v**2, (v, 0, 1))
    Ec = sp.integrate(1 / c, (c, 1, 2))
    fb1 = _fb_factor(half) * Ev * Ec
    fb4 = _fb_factor(half) * sp.integrate(v**2, (v, 1, 2)) * Ec
    ok = _zero(fb1 - sp.log(2) / 12) and _zero(fb4 - 7 * sp.log(2) / 12)
    return ok, f"FB(B1) = {sp.simplify(fb1)}, FB(B4) = {sp.simplify(fb4)}"


@register(
    "bilateral.s12_hardy_constants",
    FAMILY,
    "S12: Hardy's constant (p/(p-1))^p is a^{-1/(1-a)} at p = 1/(1-a) (Thm 4.1) and "
    "a^{-a/(1-a)} at p = -a/(1-a) (Thm 4.2)",
)
def s12_hardy_constants():
    alphas = [*ALPHAS, *(sp.Float(t) for t in _floats())]
    for a in alphas:
        const = (p / (p - 1)) ** p
        c1 = const.subs(p, 1 / (1 - a))
        c2 = const.subs(p, -a / (1 - a))
        if not (_zero(c1 - a ** (-1 / (1 - a))) and _zero(c2 - a ** (-a / (1 - a)))):
            return False, f"alpha = {a}: {c1}, {c2}"
    return True, "both exponents, exact and float alpha"


@register(
    "bilateral.s13_constants",
    FAMILY,
    "S13: a^{a/(1-a)} decreases from 1 to 1/e and a^{1/(1-a)} increases from 0 to 1/e",
)
def s13_constants():
    a = sp.symbols("a", positive=True)
    g1 = a ** (a / (1 - a))
    g2 = a ** (1 / (1 - a))
    lims = (
        sp.limit(g1, a, 0, "+"),
        sp.limit(g1, a, 1, "-"),
        sp.limit(g2, a, 0, "+"),
        sp.limit(g2, a, 1, "-"),
    )
    if lims != (1, sp.exp(-1), 0, sp.exp(-1)):
        return False, f"limits {lims}"
    grid = [sp.Rational(i, 40) for i in range(1, 40)]
    d1 = sp.lambdify(a, sp.diff(g1, a))
    d2 = sp.lambdify(a, sp.diff(g2, a))
    if not all(d1(float(t)) < 0 < d2(float(t)) for t in grid):
        return False, "monotonicity on the grid"
    if not all(float(g1.subs(a, t)) >= float(sp.exp(-1)) for t in grid):
        return False, "a^{a/(1-a)} >= 1/e"
    # Theorem 4.2's last step: a^{a/(1-a)} = (1 + (1-a)/a)^{-a/(1-a)}
    ok = all(_zero(g1.subs(a, t) - (1 + (1 - t) / t) ** (-t / (1 - t))) for t in ALPHAS)
    return ok, f"limits {lims}"


def _uniform_mean(expr, var):
    return sp.integrate(expr, (var, 0, 1))


@register(
    "bilateral.s14_uniform",
    FAMILY,
    "S14: v ~ U[0,1]: SellerU/FB = 1/2, SellerP/FB = 3/4; c ~ U[0,1]: BuyerU/FB = "
    "2^{-a/(1-a)}, BuyerP/FB = 2^{-a/(1-a)} (2-a)/(2(1-a))",
)
def s14_uniform():
    half = sp.Rational(1, 2)
    for a in ALPHAS:
        k = _k(a)
        Evk = _uniform_mean(v**k, v)
        # phi = 2v - 1 > 0 on (1/2, 1)
        Eu = sp.integrate((2 * v - 1) ** k, (v, half, 1))
        Ep = sp.integrate((2 * v - 1) ** (k - 1) * (v - a * (2 * v - 1)), (v, half, 1))
        if not (_zero(Eu / Evk - half) and _zero(Ep / ((1 - a) * Evk) - sp.Rational(3, 4))):
            return False, f"seller side at alpha={a}: {Eu / Evk}, {Ep / ((1 - a) * Evk)}"
        if not _zero((1 + 2 * k * (1 - a)) / 4 - sp.Rational(3, 4)):
            return False, "(1 + 2k(1-a))/4 = 3/4"
    for a in LOW_ALPHAS:
        k = _k(a)
        Ec = _uniform_mean(c ** (-(k - 1)), c)
        Eu = _uniform_mean((2 * c) ** (-(k - 1)), c)
        Ep = _uniform_mean((2 * c) ** (-(k - 1)) * (1 - a * c / (2 * c)), c)
        bu = 2 ** (-a / (1 - a))
        if not (_zero(Eu / Ec - bu) and _zero(Ep / ((1 - a) * Ec) - bu * (2 - a) / (2 * (1 - a)))):
            return False, f"buyer side at alpha={a}"
    return True, "alpha in {1/2,1/3,2/3} (buyer U[0,1]) and {1/3,1/4} (seller U[0,1])"


def _separable(a, lam, Ev, Ec, phiB, phiS):
    """GFT(lambda), B(lambda) of spec §4.3 with N = v + lam phiB, D = c + lam phiS."""
    k = _k(a)
    N = v + lam * phiB
    D = c + lam * phiS
    gft = a ** (k - 1) * Ev(v * N ** (k - 1)) * Ec(D ** (-(k - 1))) - a**k * Ev(N**k) * Ec(
        c * D ** (-k)
    )
    bud = a ** (k - 1) * Ev(phiB * N ** (k - 1)) * Ec(D ** (-(k - 1))) - a**k * Ev(N**k) * Ec(
        phiS * D ** (-k)
    )
    return gft, bud


@register(
    "bilateral.s20_separable",
    FAMILY,
    "S20: separable GFT(lambda) at lambda = 0 equals FB; B(0) = (1/2 - ln2)/12 (B1) < 0 "
    "and 7/24 - ln2/3 (B4) > 0 (so lambda* = 0 there, G13)",
)
def s20_separable():
    half = sp.Rational(1, 2)
    for a in ALPHAS:
        k = _k(a)

        def Ev(e):
            return sp.integrate(e, (v, 0, 1))

        def Ec(e):
            return sp.integrate(e, (c, 1, 2))

        gft, _ = _separable(a, 0, Ev, Ec, 2 * v - 1, 2 * c - 1)
        fb = _fb_factor(a) * Ev(v**k) * Ec(c ** (-(k - 1)))
        if not _zero(gft - fb, 1e-10):
            return False, f"GFT(0) != FB at alpha={a}"
    _, bud1 = _separable(
        half,
        0,
        lambda e: sp.integrate(e, (v, 0, 1)),
        lambda e: sp.integrate(e, (c, 1, 2)),
        2 * v - 1,
        2 * c - 1,
    )
    _, bud4 = _separable(
        half,
        0,
        lambda e: sp.integrate(e, (v, 1, 2)),
        lambda e: sp.integrate(e, (c, 1, 2)),
        2 * v - 2,
        2 * c - 1,
    )
    b1_0 = sp.simplify(bud1)
    b4_0 = sp.simplify(bud4)
    ok = _zero(b1_0 - (half - sp.log(2)) / 12) and _zero(
        b4_0 - (sp.Rational(7, 24) - sp.log(2) / 3)
    )
    ok = ok and float(b1_0) < 0 < float(b4_0)
    # spec: B1 budget at lambda = 0 is -0.01609559838
    ok = ok and abs(float(b1_0) + 0.01609559838) < 1e-10
    return ok, f"B1: B(0) = {b1_0}; B4: B(0) = {b4_0}"


@register(
    "bilateral.thm41_thm42_tight",
    FAMILY,
    "Theorems 4.1/4.2: Pareto buyer (1-1/s)^k -> a^{1/(1-a)} and power seller "
    "(1+1/s)^{-a/(1-a)} -> a^{a/(1-a)}; SellerP/FB, BuyerP/FB -> a^{a/(1-a)}(1+a)",
)
def thm41_thm42_tight():
    for a in [*ALPHAS, sp.Rational(1, 4)]:
        k = _k(a)
        su = (1 - 1 / s) ** k
        bu = (1 + 1 / s) ** (-(k - 1))
        sp_ratio = (1 - 1 / s) ** (k - 1) * (1 - a * (1 - 1 / s)) / (1 - a)
        bp_ratio = (s / (s + 1)) ** (k - 1) * (1 - a * s / (s + 1)) / (1 - a)
        target = a ** (a / (1 - a)) * (1 + a)
        checks = (
            _zero(su.subs(s, k) - a ** (1 / (1 - a))),
            _zero(bu.subs(s, k - 1) - a ** (a / (1 - a))),
            _zero(sp_ratio.subs(s, k) - target),
            _zero(bp_ratio.subs(s, k - 1) - target),
        )
        if not all(checks):
            return False, f"alpha={a}: {checks}"
        # the guarantees hold on the families: ratios >= the theorem constants
        for sv in (k + sp.Rational(1, 10), k + 2):
            if float(sp_ratio.subs(s, sv)) < float(a**k) - 1e-12:
                return False, f"SellerP ratio below a^k at alpha={a}"
        for sv in (k - 1 + sp.Rational(1, 10), k + 2):
            if float(bp_ratio.subs(s, sv)) < float(a ** (k - 1)) - 1e-12:
                return False, f"BuyerP ratio below a^(k-1) at alpha={a}"
    # spec Table A: alpha^k and alpha^{k-1} at alpha = 1/2, 2/3
    ok = sp.Rational(1, 2) ** 2 == sp.Rational(1, 4) and (sp.Rational(2, 3) ** 3) == sp.Rational(
        8, 27
    )
    return ok, "limits at s = k (Pareto) and s = a/(1-a) (power)"


@register(
    "bilateral.uniform_lambda_star",
    FAMILY,
    "[derived] U[0,1] x U[0,1], alpha < 1/2: B(lambda) = 0 at lambda* = alpha/(2(1-alpha)) "
    "= (k-1)/2 (B2: 1/4, B3: 1/6), with trade cutoff v0 = (k-1)/(2k)",
)
def uniform_lambda_star():
    # With D = (1+2l)c and N = (1+2l)(v - v0)_+, v0 = l/(1+2l), B = 0 reduces to
    # int_0^L (2u + 1 - 2L) u^{k-1} du = 2 alpha int_0^L u^k du, L = 1 - v0.
    k, L, u = sp.symbols("k L u", positive=True)
    a = 1 - 1 / k
    lhs = sp.integrate((2 * u + 1 - 2 * L) * u ** (k - 1), (u, 0, L))
    rhs = 2 * a * sp.integrate(u**k, (u, 0, L))
    sol = sp.solve(sp.simplify((lhs - rhs) / L**k), L)
    if len(sol) != 1 or sp.simplify(sol[0] - (k + 1) / (2 * k)) != 0:
        return False, f"cutoff equation solved to {sol}"
    v0 = 1 - sol[0]
    lam = sp.simplify(v0 / (1 - 2 * v0))
    if sp.simplify(lam - (k - 1) / 2) != 0:
        return False, f"lambda* = {lam}"
    # direct check with the separable B(lambda) of spec §4.3 (mpmath, 30 digits)
    import mpmath as mp

    with mp.workdps(30):
        for al in LOW_ALPHAS:  # B2 and B3
            a_, kk = mp.mpf(al.p) / al.q, 1 / (1 - mp.mpf(al.p) / al.q)
            lm = a_ / (2 * (1 - a_))
            cut = lm / (1 + 2 * lm)

            def N(t, lm=lm):
                return (1 + 2 * lm) * t - lm

            eb1 = mp.quad(lambda t, kk=kk, N=N: (2 * t - 1) * N(t) ** (kk - 1), [cut, 1])
            eb2 = mp.quad(lambda t, kk=kk, N=N: N(t) ** kk, [cut, 1])
            # E[D^{-(k-1)}] = (1+2l)^{-(k-1)}/(2-k), E[2c D^{-k}] = 2(1+2l)^{-k}/(2-k)
            es1 = (1 + 2 * lm) ** (-(kk - 1)) / (2 - kk)
            es2 = 2 * (1 + 2 * lm) ** (-kk) / (2 - kk)
            bud = a_ ** (kk - 1) * eb1 * es1 - a_**kk * eb2 * es2
            if abs(bud) > mp.mpf(10) ** -25:
                return False, f"B(lambda*) = {mp.nstr(bud, 5)} at alpha = {al}"
    return True, f"lambda* = {lam}, cutoff v0 = {sp.simplify(v0)}"
