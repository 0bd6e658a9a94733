"""Symbolic checks for selling data with scaling-law values (seed 003, spec §5).

Registered in family ``scaling`` (``datamech verify --family scaling``); each check derives
its identity with sympy and compares it with datamech's numbers where datamech computes
the quantity:

* ``scaling.virtual_values``: sympy derives phi = v - (1-F)/f and the virtual cost
  c + F/f from each named family's CDF (S4) and compares them, at sample points, with
  :mod:`datamech.models.distributions`.
* ``scaling.s1_single_buyer``: argmax_x r x^a - c x = (a r/c)^{1/(1-a)} with value
  (1-a)(a/c)^{a/(1-a)} r^{1/(1-a)} (S1), equal to datamech's offline production and
  profit for one point-mass buyer.
* ``scaling.s3_cost_identity``: c (a/c)^{1/(1-a)} = a (a/c)^{a/(1-a)} (S3), with datamech's
  production cost c D*(r = 1).
* ``scaling.s5_uniform_moments``: E[(2v-1)_+^k] = 1/(2(k+1)), E[v^k] = 1/(k+1) (S5), against
  datamech's moments and its offline profit K_c E[r^k] for one U[0,1] buyer.
* ``scaling.s17_mean_r``: E[r] = max_p p(1 - F(p)) for U[0,1], Exp(rate), Pareto(s) (S17),
  against datamech's law of r and monopoly revenue.
* ``scaling.s15_offline_payment``: the offline DSIC payment for U[0,1], alpha = 1/2, c = 1,
  its revenue identity and OFFL = 11/96 (S15).

Per the spec, generic-alpha simplification is unreliable, so identities in alpha are
checked at alpha in {1/2, 1/3, 2/3} exactly and at random floats.

Examples
--------
>>> from datamech.symbolic import run_checks
>>> all(r.passed for r in run_checks(family="scaling"))
True
"""

from __future__ import annotations

import random
from fractions import Fraction

import sympy as sp

from .registry import register

FAMILY = "scaling"
v, c, r, x, s, lam = sp.symbols("v c r x s lambda", positive=True)
ALPHAS = (sp.Rational(1, 2), sp.Rational(1, 3), sp.Rational(2, 3))


def _family_cdfs():
    """(name, sympy CDF in v, the model-file table, parameter values, closed phi, vcost)."""
    a, b = sp.Rational(1), sp.Rational(3)
    return [
        (
            "uniform",
            (v - a) / (b - a),
            {"family": "uniform", "low": 1, "high": 3},
            2 * v - b,
            2 * v - a,
        ),
        (
            "exponential",
            1 - sp.exp(-2 * v),
            {"family": "exponential", "rate": 2},
            v - sp.Rational(1, 2),
            None,
        ),
        (
            "pareto",
            1 - v ** (-3),
            {"family": "pareto", "shape": 3},
            v * (1 - sp.Rational(1, 3)),
            None,
        ),
        ("power", v**2, {"family": "power", "shape": 2}, None, v * (1 + sp.Rational(1, 2))),
    ]


@register(
    "scaling.virtual_values",
    FAMILY,
    "S4: phi = v - (1-F)/f and virtual cost c + F/f derived by sympy for uniform, "
    "exponential, Pareto, power laws; equal to the closed forms and to datamech's numbers; "
    "truncated equal revenue: phi in {0, H}",
)
def virtual_values():
    from ..models.distributions import from_table

    points = {
        "uniform": (1.3, 2.9),
        "exponential": (0.2, 1.7),
        "pareto": (1.1, 4.0),
        "power": (0.3, 0.9),
    }
    for name, F, table, phi_closed, vc_closed in _family_cdfs():
        f = sp.diff(F, v)
        phi = sp.simplify(v - (1 - F) / f)
        vcost = sp.simplify(v + F / f)
        if phi_closed is not None and sp.simplify(phi - phi_closed) != 0:
            return False, f"{name}: phi = {phi}, expected {phi_closed}"
        if vc_closed is not None and sp.simplify(vcost - vc_closed) != 0:
            return False, f"{name}: virtual cost = {vcost}, expected {vc_closed}"
        d = from_table(table)
        for t in points[name]:
            if abs(float(phi.subs(v, t)) - float(d.virtual_value(t))) > 1e-10:
                return False, f"{name}: phi({t}) differs from datamech"
            if abs(float(vcost.subs(v, t)) - float(d.virtual_cost(t))) > 1e-8:
                return False, f"{name}: virtual cost({t}) differs from datamech"
    # truncated equal revenue (scale sc, top H): phi = 0 on the continuous part [sc, H)
    # (F = 1 - sc/v), phi(H) = H at the atom of mass sc/H: r in {0, H}
    sc, H = sp.Rational(1, 4), 4
    F = 1 - sc / v
    phi = sp.simplify(v - (1 - F) / sp.diff(F, v))
    if phi != 0:
        return False, f"truncated equal revenue: phi = {phi}, expected 0"
    d = from_table({"family": "truncated_equal_revenue", "high": H, "scale": "1/4"})
    if any(abs(float(d.virtual_value(t))) > 1e-12 for t in (0.3, 0.5, 2.0, 3.9)):
        return False, "truncated equal revenue: datamech's phi is not 0 below H"
    law = d.r_law()
    if float(d.virtual_value(H)) != H or dict(zip(law.values, law.probs, strict=True)) != {
        0: 1 - sc / H,
        H: sc / H,
    }:
        return False, f"truncated equal revenue: law of r {law.values} {law.probs}"
    return True, (
        "4 families: symbolic phi, virtual cost == closed forms == numeric; "
        "truncated equal revenue: phi = 0 below H, r in {0, H} with P(r = H) = scale/H"
    )


def _fraction(x) -> Fraction:
    """A sympy Rational as a Fraction (datamech's exact numbers)."""
    return Fraction(int(x.p), int(x.q))


def _same(got, want, rel: float = 1e-12) -> bool:
    """datamech's number equals sympy's: exactly for a Fraction, else to ``rel``."""
    if isinstance(got, Fraction):
        return sp.Rational(got.numerator, got.denominator) == sp.simplify(want)
    want = float(want)
    return abs(float(got) - want) <= rel * max(1.0, abs(want))


def _point_mass(r):
    """A buyer whose value is r for sure (its virtual value is r, so r_i = r)."""
    from ..models.distributions import Discrete

    return Discrete([_fraction(r)], [Fraction(1)])


@register(
    "scaling.s1_single_buyer",
    FAMILY,
    "S1: argmax_x r x^a - c x = (a r/c)^{1/(1-a)}, value (1-a)(a/c)^{a/(1-a)} r^{1/(1-a)}; "
    "equal to datamech's OfflineMechanism production and expected profit for one point-mass "
    "buyer (r, c) in {(3/2, 1/2), (2, 3)}, exactly at alpha = 1/2, 2/3, to 1e-12 at 1/3",
)
def s1_single_buyer():
    from ..solvers.scaling.offline import OfflineMechanism

    compared = []
    for a in ALPHAS:
        k = 1 / (1 - a)
        obj = r * x**a - c * x
        crit = sp.solve(sp.Eq(sp.diff(obj, x), 0), x)
        xstar = (a * r / c) ** k
        if not any(sp.simplify(sol - xstar) == 0 for sol in crit):
            return False, f"alpha={a}: critical points {crit}"
        if sp.simplify(sp.diff(obj, x, 2).subs(x, xstar)).is_negative is False:
            return False, f"alpha={a}: not a maximum"
        value = (1 - a) * (a / c) ** (a * k) * r**k
        val = sp.simplify(obj.subs(x, xstar) - value)
        if val != 0:
            return False, f"alpha={a}: value residual {val}"
        for rr, cc in ((sp.Rational(3, 2), sp.Rational(1, 2)), (sp.Integer(2), sp.Integer(3))):
            m = OfflineMechanism([_point_mass(rr)], _fraction(a), _fraction(cc))
            D, _ = m.allocate([_fraction(rr)])
            profit = m.expected_profit().value
            pt = {r: rr, c: cc}
            if not (_same(D, xstar.subs(pt)) and _same(profit, value.subs(pt))):
                return False, (
                    f"alpha={a}, r={rr}, c={cc}: datamech D* = {D}, profit {profit}; "
                    f"sympy {xstar.subs(pt)}, {value.subs(pt)}"
                )
            compared.append(f"{profit}" if isinstance(profit, Fraction) else f"{profit:.12g}")
    rng = random.Random(3)
    for _ in range(5):
        a, rr, cc = rng.uniform(0.05, 0.95), rng.uniform(0.1, 3), rng.uniform(0.1, 3)
        k = 1 / (1 - a)
        xs = (a * rr / cc) ** k
        val = rr * xs**a - cc * xs
        if abs(val - (1 - a) * (a / cc) ** (a * k) * rr**k) > 1e-9 * (1 + abs(val)):
            return False, f"float alpha={a}"
        if any(rr * y**a - cc * y > val + 1e-12 for y in (xs * 0.9, xs * 1.1)):
            return False, f"float alpha={a}: not a maximum"
    return True, (
        "alpha in {1/2, 1/3, 2/3} exact and 5 random floats; datamech's single-buyer profits "
        + ", ".join(compared)
    )


@register(
    "scaling.s3_cost_identity",
    FAMILY,
    "S3: c (a/c)^{1/(1-a)} = a (a/c)^{a/(1-a)}; datamech's production cost c D*(r = 1) "
    "equals it at c in {1/2, 3} (exact at alpha = 1/2, 2/3)",
)
def s3_cost_identity():
    from ..solvers.scaling.offline import OfflineMechanism

    for a in ALPHAS:
        k = 1 / (1 - a)
        rhs = a * (a / c) ** (a * k)
        if sp.simplify(c * (a / c) ** k - rhs) != 0:
            return False, f"alpha={a}"
        for cc in (sp.Rational(1, 2), sp.Integer(3)):
            m = OfflineMechanism([_point_mass(sp.Integer(1))], _fraction(a), _fraction(cc))
            cost = _fraction(cc) * m.production(1)
            if not _same(cost, rhs.subs(c, cc)):
                return (
                    False,
                    f"alpha={a}, c={cc}: datamech c D* = {cost}, a (a/c)^(a k) = {rhs.subs(c, cc)}",
                )
    return True, "alpha in {1/2, 1/3, 2/3}, symbolic c; datamech's c D*(1) at c = 1/2, 3"


@register(
    "scaling.s5_uniform_moments",
    FAMILY,
    "S5: v ~ U[0,1]: E[(2v-1)_+^k] = 1/(2(k+1)) and E[v^k] = 1/(k+1), k = 1/(1-alpha); "
    "datamech's U[0,1] moments and its offline profit (1-a)(a/c)^{k-1} E[r^k] for one U[0,1] "
    "buyer (c = 1, alpha in {1/2, 1/3, 2/3}) agree",
)
def s5_uniform_moments():
    from ..models.distributions import Uniform
    from ..solvers.scaling.offline import OfflineMechanism

    kk = sp.symbols("k", positive=True)
    lhs = sp.integrate((2 * v - 1) ** kk, (v, sp.Rational(1, 2), 1))
    if sp.simplify(lhs - 1 / (2 * (kk + 1))) != 0:
        return False, f"E[(2v-1)_+^k] = {lhs}"
    ev = sp.integrate(v**kk, (v, 0, 1))
    if sp.simplify(ev - 1 / (kk + 1)) != 0:
        return False, "E[v^k]"
    profits = []
    for a in ALPHAS:
        k = 1 / (1 - a)
        if not _same(Uniform(0, 1).moment(float(k)), ev.subs(kk, k)):
            return False, f"datamech E[v^{k}] = {Uniform(0, 1).moment(float(k))}"
        want = (1 - a) * a ** (k - 1) * lhs.subs(kk, k)  # c = 1
        est = OfflineMechanism([Uniform(0, 1)], _fraction(a), 1).expected_profit()
        if abs(float(est.value) - float(want)) > 1e-10 + est.abserr:
            return False, f"alpha={a}: datamech profit {est.value}, K E[r^k] = {want}"
        profits.append(f"{want} = {float(est.value):.12g}")
    return True, "for symbolic k > 0; one U[0,1] buyer's profit " + ", ".join(profits)


@register(
    "scaling.s17_mean_r",
    FAMILY,
    "S17: E[(phi(V))_+] = max_p p (1 - F(p)) for U[0,1] (1/4), Exp(2) (1/(2e)) and "
    "Pareto(5/2, 1) (1), both sides by sympy; equal to datamech's mean of the law of r and "
    "its monopoly revenue",
)
def s17_mean_r():
    from ..models.distributions import Exponential, Pareto, Uniform

    p = sp.symbols("p", positive=True)
    sv = sp.Rational(5, 2)
    lam2 = sp.Integer(2)
    cases = [
        # (law, E r by integration, revenue p (1 - F(p)), price range)
        (Uniform(0, 1), sp.integrate(2 * v - 1, (v, sp.Rational(1, 2), 1)), p * (1 - p), (0, 1)),
        (
            Exponential(2.0),
            sp.integrate((v - 1 / lam2) * lam2 * sp.exp(-lam2 * v), (v, 1 / lam2, sp.oo)),
            p * sp.exp(-lam2 * p),
            (0, sp.oo),
        ),
        (
            Pareto(2.5),
            sp.integrate(v * (1 - 1 / sv) * sv * v ** (-sv - 1), (v, 1, sp.oo)),
            p * p ** (-sv),
            (1, sp.oo),
        ),
    ]
    found = []
    for law, er, revenue, (lo, hi) in cases:
        crit = [t for t in sp.solve(sp.diff(revenue, p), p) if t.is_real and lo <= t <= hi]
        ends = [revenue.subs(p, lo), sp.limit(revenue, p, hi)]
        best = sp.Max(*[revenue.subs(p, t) for t in crit], *ends)
        if sp.simplify(er - best) != 0:
            return False, f"{law.family}: E r = {er}, max revenue = {best}"
        mean_r, monopoly = law.r_law().mean(), law.monopoly_revenue()
        if not (_same(mean_r, er, 1e-10) and _same(monopoly, best, 1e-10)):
            return (
                False,
                f"{law.family}: datamech E r = {mean_r}, monopoly revenue {monopoly}; sympy {er}",
            )
        found.append(f"{law.family} {sp.simplify(er)}")
    return True, "both sides by sympy = datamech: " + ", ".join(found)


@register(
    "scaling.s15_offline_payment",
    FAMILY,
    "S15: U[0,1] buyers, alpha = 1/2, c = 1: p_i = (4v_i^2 - 1)/8 + S_-i/4 for v_i > 1/2, "
    "E_{v_i}[p_i] = E_{v_i}[phi_i x_i^alpha] for every S_-i, equal to datamech's payments",
)
def s15_offline_payment():
    from ..models.distributions import Uniform
    from ..solvers.scaling.offline import OfflineMechanism

    a, cc = sp.Rational(1, 2), sp.Integer(1)
    k = 1 / (1 - a)
    t = sp.symbols("t", positive=True)
    S = sp.symbols("S", nonnegative=True)  # S_-i, the others' sum of r
    r_of = 2 * t - 1  # phi = r on [1/2, 1] for U[0,1]
    # x_i^alpha = ((alpha/c)(r_i + S_-i))^{alpha/(1-alpha)} above the reserve 1/2
    z = ((a / cc) * (r_of + S)) ** (k - 1)
    pay = v * z.subs(t, v) - sp.integrate(z, (t, sp.Rational(1, 2), v))
    closed = (4 * v**2 - 1) / 8 + S / 4
    if sp.simplify(sp.expand(pay - closed)) != 0:
        return False, f"payment {sp.factor(pay)} != {closed}"
    # revenue identity conditional on S_-i: int_{1/2}^1 p dv == int_{1/2}^1 phi z dv
    ep = sp.integrate(pay, (v, sp.Rational(1, 2), 1))
    ev = sp.integrate((2 * v - 1) * z.subs(t, v), (v, sp.Rational(1, 2), 1))
    if sp.simplify(ep - ev) != 0:
        return False, f"E p = {ep}, E[phi z] = {ev}"
    if sp.simplify(ep - (sp.Rational(1, 12) + S / 8)) != 0:
        return False, f"E p = {ep}, expected 1/12 + S/8"
    # OFFL(U2) = E[sum_i p_i] - c E[D] = 11/96 (spec §6.2): S_-i = r_j = (2 v_j - 1)_+
    u1, u2 = sp.symbols("u1 u2", positive=True)
    ex = sp.integrate(ep.subs(S, 2 * u2 - 1), (u2, sp.Rational(1, 2), 1)) + ep.subs(S, 0) / 2
    e_d = sp.integrate(  # E[D] = E[((r_1 + r_2)/2)^2] over the quarter where both r > 0 ...
        ((2 * u1 - 1 + 2 * u2 - 1) / 2) ** 2, (u1, sp.Rational(1, 2), 1), (u2, sp.Rational(1, 2), 1)
    ) + 2 * sp.integrate(((2 * u1 - 1) / 2) ** 2 / 2, (u1, sp.Rational(1, 2), 1))  # ... one > 0
    if sp.simplify(2 * ex - cc * e_d) != sp.Rational(11, 96):
        return False, f"E[sum p] - c E[D] = {sp.simplify(2 * ex - cc * e_d)}, expected 11/96"
    m = OfflineMechanism([Uniform(0, 1), Uniform(0, 1)], 0.5, 1)
    for prof in ([0.8, 0.9], [0.7, 0.3], [0.55, 1.0]):
        got = m.payments(prof)
        for i in range(2):
            s_other = max(2 * prof[1 - i] - 1, 0.0)
            want = float(closed.subs({v: prof[i], S: s_other})) if prof[i] > 0.5 else 0.0
            if abs(got[i] - want) > 1e-9:
                return False, f"datamech payment at {prof}: {got[i]} != {want}"
    return True, "symbolic payment; E p = 1/12 + S/8 = E[phi z]; OFFL = 11/96; 3 numeric profiles"
