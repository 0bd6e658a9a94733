"""Symbolic checks for the PSP data exchange (seed 002, spec ``psp-exchange.md``).

Registered in family ``psp`` (``datamech verify --family psp``):

1. ``psp.quadratic_family``: θ = κ z (q̄ − z/2) has θ' = κ (q̄ − z), θ'' = −κ (γ = κ,
   Def. 1.2), θ'(d(u)) = u for d(u) = q̄ − u/κ, and the code's marginal/demand agree.
2. ``psp.log_family``: θ = w log(1 + z/a) has θ' = w/(a + z), d(u) = w/u − a and
   |θ''| >= w/(a + Q)² on [0, Q] (γ of the spec table).
3. ``psp.linear_capped_family``: θ = p min(z, D) has θ' = p on (0, D), 0 after; d(u) = D
   for u < p.
4. ``psp.eq4_is_integral_of_mpf``: on a symbolic auction (bids (q1, p1), (q2, p2), reserve
   (Q, r), p1 > p2 > r, q1 + q2 < Q) the exclusion-compensation cost (4) of a top bid x
   that displaces the reserve and part of bid 2 equals ∫_0^x P(z) dz of the MPF (1), and
   the code's exact psp_costs agrees at a rational point.
5. ``psp.reg2_costs_linear_in_eps``: REG-2 with reserve (65, ε): c_A = 25 ε,
   c_B = 25 + 15 ε, exactly, for several rational ε in (0, 1).
6. ``psp.eq19_duality``: z <= D_i(y) <=> y >= P_i(z) (eq. 19) on every breakpoint and
   midpoint of two exact (Fraction) books, REG-1's among them.
7. ``psp.reg7_clearing_price``: with the REG-7 surrogate Σ_i q̄_i (1 − u/p_i) = 150 gives
   u* = 150 / Σ_i q̄_i/p_i = 0.6408597, matching the code's bisection.

Examples
--------
>>> from datamech.symbolic import run_checks
>>> all(r.passed for r in run_checks(family="psp"))
True
"""

from __future__ import annotations

from fractions import Fraction as F

import sympy as sp

from .registry import register

FAMILY = "psp"
z, u, eta = sp.symbols("z u eta", nonnegative=True)


def _zero(expr) -> bool:
    return sp.simplify(expr) == 0


@register(
    "psp.quadratic_family",
    FAMILY,
    "theta = kappa z (qbar - z/2): theta' = kappa (qbar - z), theta'' = -kappa, "
    "theta'(qbar - u/kappa) = u",
)
def quadratic_family():
    from ..models.psp_valuations import QuadraticValuation

    k, qb = sp.symbols("kappa qbar", positive=True)
    theta = k * z * (qb - z / 2)
    d1 = sp.diff(theta, z)
    ok = _zero(d1 - k * (qb - z)) and _zero(sp.diff(theta, z, 2) + k)
    demand = qb - u / k
    ok = ok and _zero(d1.subs(z, demand) - u)
    # Def. 1.2 with gamma = kappa: theta'(z) - theta'(eta) = -kappa (z - eta) exactly
    ok = ok and _zero(d1 - d1.subs(z, eta) + k * (z - eta))
    # the code's family, with the sympy form it exports
    v = QuadraticValuation(2.0, 3.0)
    e = v.sympy_expr()
    zs = next(iter(e.free_symbols))
    for x in (0.5, 1.0, 2.5):
        ok = ok and abs(float(sp.diff(e, zs).subs(zs, x)) - v.marginal(x)) < 1e-12
        ok = ok and abs(v.demand(v.marginal(x)) - x) < 1e-12
    return ok, f"theta' = {d1}, demand {demand}"


@register(
    "psp.log_family",
    FAMILY,
    "theta = w log(1 + z/a): theta' = w/(a+z), demand w/u - a, |theta''| >= w/(a+Q)^2 on [0,Q]",
)
def log_family():
    from ..models.psp_valuations import LogValuation

    w, a, Q = sp.symbols("w a Q", positive=True)
    theta = w * sp.log(1 + z / a)
    d1 = sp.diff(theta, z)
    ok = _zero(d1 - w / (a + z))
    ok = ok and _zero(d1.subs(z, w / u - a) - u)
    d2 = sp.diff(theta, z, 2)
    # |θ''| − w/(a+Q)² = w ((a+Q)² − (a+z)²) / ((a+z)²(a+Q)²) >= 0 for z <= Q
    gap = sp.factor(sp.together(-d2 - w / (a + Q) ** 2))
    num, den = sp.fraction(gap)
    # numerator w (Q − z)(Q + 2a + z): both factors >= 0 for 0 <= z <= Q; denominator > 0
    ok = ok and _zero(num / den - w * (Q - z) * (Q + 2 * a + z) / ((a + z) ** 2 * (a + Q) ** 2))
    v = LogValuation(2.0, 1.0)
    for x in (0.0, 1.0, 3.0):
        ok = ok and abs(v.demand(v.marginal(x)) - x) < 1e-12
    ok = ok and abs(v.gamma(3.0) - 2.0 / 16.0) < 1e-15
    return ok, f"theta' = {d1}, |theta''| - gamma = {gap}"


@register(
    "psp.linear_capped_family",
    FAMILY,
    "theta = p min(z, D): theta' = p on (0, D), 0 after; demand(u) = D for 0 <= u < p",
)
def linear_capped_family():
    from ..models.psp_valuations import LinearCappedValuation

    p, D = sp.symbols("p D", positive=True)
    theta = p * sp.Min(z, D)
    below = sp.diff(theta.subs(sp.Min(z, D), z), z)
    above = sp.diff(theta.subs(sp.Min(z, D), D), z)
    v = LinearCappedValuation(1.5, 4.0)
    ok = _zero(below - p) and above == 0
    ok = ok and v.marginal(2.0) == 1.5 and v.marginal(5.0) == 0.0 and v.demand(1.0) == 4.0
    return ok, f"theta' = {below} below the cap, {above} above"


@register(
    "psp.eq4_is_integral_of_mpf",
    FAMILY,
    "c(x) = sum_k p_k [a_k(0) - a_k(x)] (eq. 4) = int_0^x P(z) dz (eq. 1) on a symbolic "
    "two-bid auction with a reserve, x displacing the reserve and part of bid 2",
)
def eq4_is_integral_of_mpf():
    from ..solvers.psp.auction import psp_costs

    q1, q2, Q, p1, p2, r, x = sp.symbols("q1 q2 Q p1 p2 r x", positive=True)
    free = Q - q1 - q2  # regime: free > 0, free < x < Q − q1, p1 > p2 > r
    # without the top bid: bids 1, 2 served in full, the reserve keeps `free`
    a0 = {1: q1, 2: q2, 0: free}
    # with it: Q − x left, bid 1 in full, bid 2 the rest, the reserve nothing
    a1 = {1: q1, 2: Q - x - q1, 0: 0}
    price = {1: p1, 2: p2, 0: r}
    cost = sum(price[k] * (a0[k] - a1[k]) for k in (0, 1, 2))
    # MPF seen by the top bid: r on (0, free], p2 on (free, free + q2], p1 after
    integral = r * free + p2 * (x - free)
    ok = _zero(cost - integral)
    # the exact code at a rational point of the regime
    vals = {q1: 20, q2: 30, Q: 70, p1: F(3), p2: F(2), r: F(1, 2), x: 35}
    code = psp_costs([vals[q1], vals[q2], vals[x]], [vals[p1], vals[p2], F(5)], vals[Q],
                     reserve=vals[r])[2]  # fmt: skip
    ok = ok and F(str(integral.subs(vals))) == code
    return ok, f"c(x) - int P = {sp.simplify(cost - integral)}; code {code}"


@register(
    "psp.reg2_costs_linear_in_eps",
    FAMILY,
    "REG-2: seller 1 (Q = 65), bids A (50, 1), B (40, 6/5), reserve (65, eps): "
    "c_A = 25 eps, c_B = 25 + 15 eps",
)
def reg2_costs_linear_in_eps():
    from ..solvers.psp.auction import psp_costs

    e = sp.Symbol("epsilon", positive=True)
    cA, cB = 25 * e, 25 + 15 * e
    for eps in (F(1, 100), F(1, 10), F(1, 2), F(99, 100)):
        got = psp_costs([50, 40], [1, F(6, 5)], 65, reserve=eps)
        want = [F(str(cA.subs(e, sp.Rational(eps.numerator, eps.denominator)))),
                F(str(cB.subs(e, sp.Rational(eps.numerator, eps.denominator))))]  # fmt: skip
        if got != want:
            return False, f"eps = {eps}: code {got}, formula {want}"
    return True, "c_A = 25 eps, c_B = 25 + 15 eps at eps = 1/100, 1/10, 1/2, 99/100"


@register(
    "psp.eq19_duality",
    FAMILY,
    "z <= D_i(y) <=> y >= P_i(z) (eq. 19) at every breakpoint and midpoint, exact books",
)
def eq19_duality():
    from ..solvers.psp.auction import available_quantity, market_price_function

    books = [  # (q, p, Q, reserve, buyer)
        ([50, 40, 26, 20, 14], [1, F(6, 5), F(3, 2), 2, F(11, 5)], 85, None, 4),
        ([10, 5, 7, 3], [F(1, 2), 2, 2, F(3, 4)], 20, F(1, 4), 0),
    ]
    checked = 0
    for q, p, Q, res, i in books:
        P = market_price_function(i, q, p, Q, reserve=res)
        ys = sorted({F(0)} | set(p) | ({res} if res is not None else set()))
        ys = ys + [(a + b) / 2 for a, b in zip(ys, ys[1:], strict=False)] + [ys[-1] + 1]
        zs = sorted({F(0)} | {F(e) for e in P.ends})
        zs = zs + [(a + b) / 2 for a, b in zip(zs, zs[1:], strict=False)]
        zs = [zz for zz in zs if zz > 0 and zz <= P.ends[-1]]
        for y in ys:
            d = available_quantity(i, y, q, p, Q, reserve=res)
            for zz in zs:
                if (zz <= d) != (y >= P(zz)):
                    return False, f"book {q}: z = {zz}, y = {y}, D = {d}, P = {P(zz)}"
                checked += 1
    return True, f"{checked} (z, y) pairs"


@register(
    "psp.reg7_clearing_price",
    FAMILY,
    "REG-7 surrogate: sum_i qbar_i (1 - u/p_i) = 150 <=> u* = 150 / sum_i qbar_i/p_i = 0.6408597",
)
def reg7_clearing_price():
    from ..models.psp_valuations import QuadraticValuation
    from ..solvers.psp.centralized import market_clearing_price

    D = [50, 40, 26, 20, 14]
    P = [sp.Integer(1), sp.Rational(6, 5), sp.Rational(3, 2), sp.Integer(2), sp.Rational(11, 5)]
    qbar = [2 * d for d in D]
    sol = sp.solve(sp.Eq(sum(qb * (1 - u / p) for qb, p in zip(qbar, P, strict=True)), 150), u)
    closed = 150 / sum(qb / p for qb, p in zip(qbar, P, strict=True))
    ok = len(sol) == 1 and _zero(sol[0] - closed)
    vals = [QuadraticValuation(float(p) / qb, qb) for p, qb in zip(P, qbar, strict=True)]
    num = market_clearing_price(vals, 150.0)
    ok = ok and abs(num - float(closed)) < 1e-9 and abs(float(closed) - 0.6408597) < 5e-8
    return ok, f"u* = {closed} = {float(closed):.7f}; bisection {num:.9f}"
