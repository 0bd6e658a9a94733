"""Symbolic checks for bilateral data trade (seed 003 §4, App. C; spec §4, §5).

Registered in family ``bilateral`` (``datamech verify --family bilateral``).  Each check
derives its identity with sympy and compares it with datamech's own numbers
(:mod:`datamech.solvers.bilateral`) wherever datamech computes the quantity:

* ``bilateral.s2_first_best``: Lemma C.1, max_x v x^a - c x = (1-a) a^{a/(1-a)} v^k c^{-(k-1)}
  (k = 1/(1-a)) at x = (a v/c)^k and 0 for v <= 0, against datamech's ``W``; the first
  best E[W(v, c)] of spec B1, B4 and an exact discrete instance against ``first_best`` (S2).
* ``bilateral.s12_hardy_constants``: (p/(p-1))^p = a^{-1/(1-a)} at p = 1/(1-a) and
  a^{-a/(1-a)} at p = -a/(1-a) (Lemma C.2 in Theorems 4.1 and 4.2; S12), whose
  reciprocals are the guarantees datamech reports for SellerP and BuyerP.
* ``bilateral.s13_constants``: a^{a/(1-a)} decreases from 1 to 1/e, a^{1/(1-a)} increases
  from 0 to 1/e on (0, 1) (S13), and datamech's second best satisfies
  FB >= SB >= BuyerP >= a^{a/(1-a)} FB >= FB/e on spec B1-B4.
* ``bilateral.s14_uniform``: v ~ U[0,1]: SellerU/FB = 1/2, SellerP/FB = 3/4;
  c ~ U[0,1] (a < 1/2): BuyerU/FB = 2^{-a/(1-a)}, BuyerP/FB = 2^{-a/(1-a)}(2-a)/(2(1-a))
  (S14), against datamech's ``seller_proposing`` / ``buyer_proposing`` ratios.
* ``bilateral.s20_separable``: the separable GFT(lambda) and B(lambda) of spec §4.3 give
  GFT(0) = FB, and B(0) = (1/2 - ln 2)/12 (B1), 7/24 - ln2/3 (B4) (S20, G13), against
  datamech's ``gains_from_trade`` and ``budget_surplus``; at datamech's lambda* for B1
  the sympy B vanishes and the sympy GFT equals datamech's second best.
* ``bilateral.uniform_lambda_star`` [derived]: for U[0,1] x U[0,1] and alpha < 1/2 the
  multiplier is lambda* = alpha/(2(1-alpha)) exactly (B2: 1/4, B3: 1/6), equal to
  datamech's ``second_best`` with B(lambda*) = 0 and SB <= FB.
* ``bilateral.thm41_thm42_tight``: the Pareto buyer and power seller families reach the
  Theorem 4.1 and 4.2 constants a^{1/(1-a)} and a^{a/(1-a)} in the limit, the
  mechanisms' ratios tend to a^{a/(1-a)} (1 + a) (spec §4.4), the closed-form ratios
  equal datamech's on members of both families, and datamech's guarantees are the limits.

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
from fractions import Fraction

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


def _close(got, want, rel: float = 1e-12) -> bool:
    """``got`` (datamech's float) equals ``want`` (a sympy number) to ``rel``."""
    want = float(want)
    return abs(float(got) - want) <= rel * max(1.0, abs(want))


def _alpha_arg(a) -> Fraction | float:
    """A sympy alpha as datamech takes it: a Rational as a Fraction, a Float as a float."""
    return Fraction(a.p, a.q) if isinstance(a, sp.Rational) else float(a)


def _laws():
    """The spec's uniform laws: U[0,1] and U[1,2]."""
    from ..models.distributions import Uniform

    return Uniform(0, 1), Uniform(1, 2)


@register(
    "bilateral.s2_first_best",
    FAMILY,
    "S2 / Lemma C.1: W(v,c) = (1-a) a^{a/(1-a)} v^{1/(1-a)} c^{-a/(1-a)} at x* = (a v/c)^k "
    "and W = 0 for v <= 0, equal to datamech's W (3 exact and 3 float alphas); "
    "FB = E[W(v, c)] equal to datamech's first_best: ln2/12 (B1), 7 ln2/12 (B4), and 111/160 "
    "exactly for v in {1, 2, 3} w.p. (3/5, 1/10, 3/10), c in {1, 2} equally, alpha = 1/2",
)
def s2_first_best():
    from ..models.distributions import Discrete
    from ..solvers.bilateral import W as datamech_W
    from ..solvers.bilateral import first_best

    points = [(sp.Rational(17, 10), sp.Rational(3, 5)), (sp.Rational(2, 5), sp.Rational(5, 2))]
    points.append((sp.Integer(3), sp.Integer(2)))
    compared = 0
    W_half = None
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
        if a == sp.Rational(1, 2):
            W_half = W
        for vv, cc in points:
            got = datamech_W(float(vv), float(cc), _alpha_arg(a))
            if not _close(got, W.subs({v: vv, c: cc})):
                return False, f"datamech W({vv}, {cc}, {a}) = {got}, sympy {W.subs({v: vv, c: cc})}"
            compared += 1
        # v <= 0: the slope -|v| a x^(a-1) - c is negative for every x > 0, so W = 0 at x = 0
        vn = sp.symbols("vn", nonpositive=True)
        if not sp.diff(vn * x**a - c * x, x).is_negative:
            return False, f"alpha={a}: the objective is not decreasing for v <= 0"
        for vv in (-1.0, 0.0):
            if datamech_W(vv, 2.0, _alpha_arg(a)) != 0:
                return False, f"datamech W({vv}, 2, {a}) = {datamech_W(vv, 2.0, _alpha_arg(a))}"
    for af in _floats():
        a = sp.Float(af)
        k = _k(a)
        vv, cc = sp.Float(1.7), sp.Float(0.6)
        xs = (a * vv / cc) ** k
        lhs = vv * xs**a - cc * xs
        if abs(lhs - _fb_factor(a) * vv**k * cc ** (-(k - 1))) > 1e-10 * abs(lhs):
            return False, f"float alpha={af}"
        if not _close(datamech_W(1.7, 0.6, af), lhs, 1e-10):
            return False, f"datamech W(1.7, 0.6, {af}) = {datamech_W(1.7, 0.6, af)}, sympy {lhs}"
        compared += 1
    half = sp.Rational(1, 2)
    Ev = sp.integrate(v**2, (v, 0, 1))
    Ec = sp.integrate(1 / c, (c, 1, 2))
    fb1 = _fb_factor(half) * Ev * Ec
    fb4 = _fb_factor(half) * sp.integrate(v**2, (v, 1, 2)) * Ec
    if not (_zero(fb1 - sp.log(2) / 12) and _zero(fb4 - 7 * sp.log(2) / 12)):
        return False, f"FB(B1) = {sp.simplify(fb1)}, FB(B4) = {sp.simplify(fb4)}"
    U01, U12 = _laws()
    got1 = first_best(U01, U12, "1/2").gains_from_trade
    got4 = first_best(U12, U12, "1/2").gains_from_trade
    if not (_close(got1, fb1) and _close(got4, fb4)):
        return False, f"datamech FB(B1) = {got1}, FB(B4) = {got4}; sympy {fb1}, {fb4}"
    # an exact discrete first best: the sum of W over the atoms
    vb, pb = (1, 2, 3), (sp.Rational(3, 5), sp.Rational(1, 10), sp.Rational(3, 10))
    vs, ps = (1, 2), (half, half)
    fb_sum = sum(
        pv * pc * W_half.subs({v: av, c: ac})
        for av, pv in zip(vb, pb, strict=True)
        for ac, pc in zip(vs, ps, strict=True)
    )
    exact = first_best(
        Discrete(list(vb), [str(q) for q in pb]), Discrete(list(vs), ["1/2", "1/2"]), "1/2"
    ).exact
    if exact is None or sp.Rational(exact.numerator, exact.denominator) != fb_sum:
        return False, f"discrete FB: datamech {exact}, sympy sum of W over the atoms {fb_sum}"
    return True, (
        f"W = datamech W at {compared} (v, c, alpha) points, 0 for v in {{-1, 0}}; "
        f"FB(B1) = {sp.simplify(fb1)} (datamech {got1:.12g}), FB(B4) = {sp.simplify(fb4)} "
        f"(datamech {got4:.12g}), discrete FB = {fb_sum} = datamech {exact}"
    )


@register(
    "bilateral.s12_hardy_constants",
    FAMILY,
    "S12: Hardy's constant (p/(p-1))^p is a^{-1/(1-a)} at p = 1/(1-a) (Thm 4.1) and "
    "a^{-a/(1-a)} at p = -a/(1-a) (Thm 4.2); their reciprocals equal datamech's SellerP and "
    "BuyerP guarantees (B1 laws, 3 exact and 3 float alphas)",
)
def s12_hardy_constants():
    from ..solvers.bilateral import buyer_proposing, seller_proposing

    U01, U12 = _laws()
    hardy = (p / (p - 1)) ** p
    for a in [*ALPHAS, *(sp.Float(t) for t in _floats())]:
        c1 = hardy.subs(p, 1 / (1 - a))
        c2 = hardy.subs(p, -a / (1 - a))
        if not (_zero(c1 - a ** (-1 / (1 - a))) and _zero(c2 - a ** (-a / (1 - a)))):
            return False, f"alpha = {a}: {c1}, {c2}"
        g_seller = seller_proposing(U01, U12, _alpha_arg(a)).guarantee
        g_buyer = buyer_proposing(U01, U12, _alpha_arg(a)).guarantee
        if not (_close(g_seller, 1 / c1) and _close(g_buyer, 1 / c2)):
            return False, (
                f"alpha = {a}: datamech guarantees {g_seller}, {g_buyer}; "
                f"1/Hardy = {float(1 / c1)}, {float(1 / c2)}"
            )
    return True, (
        "both exponents at 3 exact and 3 float alphas; 1/Hardy = datamech's guarantee, "
        f"e.g. alpha = 1/2: {1 / hardy.subs(p, 2)} (SellerP), {1 / hardy.subs(p, -1)} (BuyerP)"
    )


@register(
    "bilateral.s13_constants",
    FAMILY,
    "S13: a^{a/(1-a)} decreases from 1 to 1/e and a^{1/(1-a)} increases from 0 to 1/e; "
    "datamech's second best and BuyerP on spec B1-B4: FB >= SB >= BuyerP >= a^{a/(1-a)} FB "
    ">= FB/e (Corollary of Theorem 4.2)",
)
def s13_constants():
    from ..solvers.bilateral import buyer_proposing, first_best, second_best

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
    if not all(_zero(g1.subs(a, t) - (1 + (1 - t) / t) ** (-t / (1 - t))) for t in ALPHAS):
        return False, "a^{a/(1-a)} = (1 + (1-a)/a)^{-a/(1-a)}"
    U01, U12 = _laws()
    tol = 1e-12
    ratios = []
    spec = {
        "B1": (U01, U12, sp.Rational(1, 2)),
        "B2": (U01, U01, sp.Rational(1, 3)),
        "B3": (U01, U01, sp.Rational(1, 4)),
        "B4": (U12, U12, sp.Rational(1, 2)),
    }
    for name, (b, s_, al) in spec.items():
        fb = first_best(b, s_, _alpha_arg(al)).gains_from_trade
        sb = second_best(b, s_, _alpha_arg(al)).gains_from_trade
        bp = buyer_proposing(b, s_, _alpha_arg(al)).gains_from_trade
        floor = float(g1.subs(a, al)) * fb
        chain = (fb + tol >= sb, sb >= bp - tol, bp >= floor - tol, floor >= fb / float(sp.E))
        if not all(chain):
            return False, f"{name}: FB {fb}, SB {sb}, BuyerP {bp}, a^(a/(1-a)) FB {floor}"
        ratios.append(f"{name} SB/FB = {sb / fb:.6f} >= {float(g1.subs(a, al)):.6f}")
    return True, f"limits {lims}; " + ", ".join(ratios)


def _uniform_mean(expr, var):
    return sp.integrate(expr, (var, 0, 1))


@register(
    "bilateral.s14_uniform",
    FAMILY,
    "S14: v ~ U[0,1]: SellerU/FB = 1/2, SellerP/FB = 3/4 (any F^S; datamech with c ~ U[1,2], "
    "alpha in {1/2, 1/3, 2/3}); c ~ U[0,1]: BuyerU/FB = 2^{-a/(1-a)}, BuyerP/FB = "
    "2^{-a/(1-a)} (2-a)/(2(1-a)) (any F^B; datamech with v ~ U[0,1], alpha in {1/3, 1/4})",
)
def s14_uniform():
    from ..solvers.bilateral import buyer_proposing, seller_proposing

    U01, U12 = _laws()
    half = sp.Rational(1, 2)
    for a in ALPHAS:
        k = _k(a)
        Evk = _uniform_mean(v**k, v)
        # phi = 2v - 1 > 0 on (1/2, 1)
        Eu = sp.integrate((2 * v - 1) ** k, (v, half, 1))
        Ep = sp.integrate((2 * v - 1) ** (k - 1) * (v - a * (2 * v - 1)), (v, half, 1))
        low, ratio = Eu / Evk, Ep / ((1 - a) * Evk)
        if not (_zero(low - half) and _zero(ratio - sp.Rational(3, 4))):
            return False, f"seller side at alpha={a}: {low}, {ratio}"
        r = seller_proposing(U01, U12, _alpha_arg(a))
        if not (_close(r.lower_bound_ratio, low) and _close(r.ratio, ratio)):
            return (
                False,
                f"alpha={a}: datamech SellerU/FB {r.lower_bound_ratio}, SellerP/FB {r.ratio}",
            )
    for a in LOW_ALPHAS:
        k = _k(a)
        Ec = _uniform_mean(c ** (-(k - 1)), c)
        Eu = _uniform_mean((2 * c) ** (-(k - 1)), c)
        Ep = _uniform_mean((2 * c) ** (-(k - 1)) * (1 - a * c / (2 * c)), c)
        bu = 2 ** (-a / (1 - a))
        low, ratio = Eu / Ec, Ep / ((1 - a) * Ec)
        if not (_zero(low - bu) and _zero(ratio - bu * (2 - a) / (2 * (1 - a)))):
            return False, f"buyer side at alpha={a}"
        r = buyer_proposing(U01, U01, _alpha_arg(a))
        if not (_close(r.lower_bound_ratio, low) and _close(r.ratio, ratio)):
            return (
                False,
                f"alpha={a}: datamech BuyerU/FB {r.lower_bound_ratio}, BuyerP/FB {r.ratio}",
            )
    return True, (
        "sympy = datamech: SellerU/FB = 1/2, SellerP/FB = 3/4 at alpha in {1/2, 1/3, 2/3}; "
        f"BuyerU/FB, BuyerP/FB = {float(low):.10f}, {float(ratio):.10f} at alpha = 1/4 "
        "(and alpha = 1/3)"
    )


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
    "S20: separable GFT(lambda) at lambda = 0 equals FB (B1 laws, alpha in {1/2, 1/3, 2/3}) "
    "and datamech's gains_from_trade(0); B(0) = (1/2 - ln2)/12 (B1) < 0 and 7/24 - ln2/3 "
    "(B4) > 0 (so lambda* = 0 there, G13), equal to datamech's budget_surplus(0); at "
    "datamech's lambda* for B1 the sympy B(lambda*) = 0 and GFT(lambda*) = datamech's SB",
)
def s20_separable():
    from ..solvers.bilateral import budget_surplus, gains_from_trade, second_best

    U01, U12 = _laws()
    half = sp.Rational(1, 2)

    def Ec(e):
        return sp.integrate(e, (c, 1, 2))

    for a in ALPHAS:
        k = _k(a)

        def Ev(e):
            return sp.integrate(e, (v, 0, 1))

        gft, _ = _separable(a, 0, Ev, Ec, 2 * v - 1, 2 * c - 1)
        fb = _fb_factor(a) * Ev(v**k) * Ec(c ** (-(k - 1)))
        if not _zero(gft - fb, 1e-10):
            return False, f"GFT(0) != FB at alpha={a}"
        got = gains_from_trade(U01, U12, 0.0, _alpha_arg(a))
        if not _close(got, gft, 1e-10):
            return False, f"alpha={a}: datamech GFT(0) = {got}, sympy {float(gft)}"
    _, bud1 = _separable(half, 0, lambda e: sp.integrate(e, (v, 0, 1)), Ec, 2 * v - 1, 2 * c - 1)
    _, bud4 = _separable(half, 0, lambda e: sp.integrate(e, (v, 1, 2)), Ec, 2 * v - 2, 2 * c - 1)
    b1_0 = sp.simplify(bud1)
    b4_0 = sp.simplify(bud4)
    ok = _zero(b1_0 - (half - sp.log(2)) / 12) and _zero(
        b4_0 - (sp.Rational(7, 24) - sp.log(2) / 3)
    )
    # spec §6.2: B1's budget at lambda = 0 is -0.01609559838
    if not (ok and float(b1_0) < 0 < float(b4_0) and abs(float(b1_0) + 0.01609559838) < 1e-10):
        return False, f"B1: B(0) = {b1_0}; B4: B(0) = {b4_0}"
    got1, got4 = budget_surplus(U01, U12, 0.0, "1/2"), budget_surplus(U12, U12, 0.0, "1/2")
    if not (_close(got1, b1_0) and _close(got4, b4_0)):
        return False, f"datamech B(0) = {got1} (B1), {got4} (B4); sympy {b1_0}, {b4_0}"
    # B1 at datamech's lambda*: N = (1 + 2 lam) v - lam trades only above v = lam/(1 + 2 lam)
    sb = second_best(U01, U12, "1/2")
    lam = sp.Rational(sb.lambda_star)  # the float exactly (sympy's Float integrals drift)
    cut = lam / (1 + 2 * lam)
    gft_l, bud_l = _separable(
        half, lam, lambda e: sp.integrate(e, (v, cut, 1)), Ec, 2 * v - 1, 2 * c - 1
    )
    if abs(float(bud_l)) > 1e-12 or not _close(sb.gains_from_trade, gft_l):
        return False, f"at datamech's lambda* = {sb.lambda_star}: sympy B = {float(bud_l)}, " + (
            f"GFT = {float(gft_l)}, datamech SB = {sb.gains_from_trade}"
        )
    return True, (
        f"B1: B(0) = {b1_0} = datamech {got1:.12g}; B4: B(0) = {b4_0} = datamech {got4:.12g}; "
        f"B1 at lambda* = {sb.lambda_star:.12g}: sympy B = {float(bud_l):.1e}, "
        f"GFT = {float(gft_l):.12g} = datamech SB"
    )


@register(
    "bilateral.thm41_thm42_tight",
    FAMILY,
    "Theorems 4.1/4.2: Pareto(s) buyer SellerU/FB = (1-1/s)^k -> a^{1/(1-a)} and power(s) "
    "seller BuyerU/FB = (1+1/s)^{-a/(1-a)} -> a^{a/(1-a)} as s -> k, a/(1-a); SellerP/FB, "
    "BuyerP/FB -> a^{a/(1-a)}(1+a); the four closed forms equal datamech's ratios at two "
    "members of each family (alpha in {1/2, 1/3, 2/3, 1/4}); datamech's guarantees are the "
    "limits, Table A's 1/4 and 8/27 for SellerP at alpha = 1/2, 2/3",
)
def thm41_thm42_tight():
    from ..models.distributions import Pareto, Power, Uniform
    from ..solvers.bilateral import buyer_proposing, seller_proposing

    compared = 0
    limits = {}
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
        # datamech on members of the families (E v^k, E c^{-(k-1)} finite: s > k, s > k - 1)
        af = float(a)
        for sv in (k + sp.Rational(7, 10), k + 2):
            r = seller_proposing(Pareto(float(sv)), Uniform(1, 2), af)
            want = (su.subs(s, sv), sp_ratio.subs(s, sv))
            if not (_close(r.lower_bound_ratio, want[0], 1e-8) and _close(r.ratio, want[1], 1e-8)):
                return False, f"alpha={a}, Pareto({sv}): datamech {r.lower_bound_ratio}, {r.ratio}"
            compared += 1
        for sv in (k - 1 + sp.Rational(3, 5), k + 2):
            r = buyer_proposing(Uniform(0, 1), Power(float(sv)), af)
            want = (bu.subs(s, sv), bp_ratio.subs(s, sv))
            if not (_close(r.lower_bound_ratio, want[0], 1e-8) and _close(r.ratio, want[1], 1e-8)):
                return False, f"alpha={a}, power({sv}): datamech {r.lower_bound_ratio}, {r.ratio}"
            compared += 1
        # the constants datamech reports are the families' limits
        g_s = seller_proposing(Pareto(float(k + 2)), Uniform(1, 2), af).guarantee
        g_b = buyer_proposing(Uniform(0, 1), Power(float(k + 2)), af).guarantee
        if not (_close(g_s, su.subs(s, k)) and _close(g_b, bu.subs(s, k - 1))):
            return False, f"alpha={a}: datamech guarantees {g_s}, {g_b}"
        limits[a] = su.subs(s, k)
    # spec Table A: the SellerP constant alpha^k is 1/4 at alpha = 1/2 and 8/27 at alpha = 2/3
    table_a = {sp.Rational(1, 2): sp.Rational(1, 4), sp.Rational(2, 3): sp.Rational(8, 27)}
    if any(sp.nsimplify(limits[t]) != want for t, want in table_a.items()):
        return False, f"SellerU/FB limits {limits} differ from Table A {table_a}"
    return True, (
        f"limits at s = k (Pareto) and s = a/(1-a) (power); {compared} family members equal "
        "datamech's SellerU/FB, SellerP/FB, BuyerU/FB, BuyerP/FB to 1e-8; SellerP constant "
        f"{limits[sp.Rational(1, 2)]} (alpha = 1/2), {limits[sp.Rational(2, 3)]} (alpha = 2/3)"
    )


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
    # datamech's root search: the same lambda*, B(lambda*) = 0, and SB <= FB, with
    # FB = (1-a) a^{k-1} E[v^k] E[c^{-(k-1)}] = (1-a) a^{k-1} / ((k+1)(2-k)) for U[0,1]^2
    from ..solvers.bilateral import budget_surplus, second_best

    U01, _ = _laws()
    found = []
    for al in LOW_ALPHAS:
        kk = 1 / (1 - al)
        want = lam.subs(k, kk)
        fb = (1 - al) * al ** (kk - 1) / ((kk + 1) * (2 - kk))
        sb = second_best(U01, U01, _alpha_arg(al))
        if not _close(sb.lambda_star, want, 1e-10):
            return False, f"alpha = {al}: datamech lambda* = {sb.lambda_star}, sympy {want}"
        if (
            abs(sb.budget_surplus) > 1e-10
            or abs(budget_surplus(U01, U01, float(want), _alpha_arg(al))) > 1e-10
        ):
            return False, f"alpha = {al}: datamech B(lambda*) = {sb.budget_surplus}"
        if not (_close(sb.first_best, fb) and sb.gains_from_trade <= float(fb) + 1e-12):
            return (
                False,
                f"alpha = {al}: datamech FB {sb.first_best}, SB {sb.gains_from_trade}; FB {fb}",
            )
        found.append(
            f"alpha = {al}: {sb.lambda_star:.12g} (SB {sb.gains_from_trade:.10g} <= FB {fb})"
        )
    return True, (
        f"lambda* = {lam}, cutoff v0 = {sp.simplify(v0)}; datamech's lambda*: " + "; ".join(found)
    )
