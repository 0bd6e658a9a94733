"""Model checks: the papers' identities instantiated on the model of a file.

Each check is registered with the model kinds it applies to and takes the model that
``datamech.load`` returns; ``datamech verify FILE`` runs those of the file's kind.  The
detail of each result is the identity with the model's numbers substituted.  A check
that does not apply to the model (a multi-item mechanism, an online instance without a
closed form) raises :class:`~datamech.symbolic.registry.NotApplicable` and is listed
as skipped.

* ``model.law_closed_forms`` (every kind with type laws): sympy's closed forms of each
  law (:func:`~datamech.symbolic.closed_forms`) against the law's own numbers — phi =
  v - (1-F)/f at three quantiles, the reserve, max_p p (1 - F(p)) = the monopoly
  revenue = E[r] (S17), and the regularity verdict; laws with atoms: E[r] =
  max_p p P(V >= p), exactly for exact discrete laws.
* ``model.offline_theorem_2_2``: Theorem 2.2's pooled allocation x_i = D* =
  ((alpha/c) sum r_i)^{1/(1-alpha)} for r_i > 0, D* the maximizer of
  (sum r_i) D^alpha - c D (sympy), pooled types equal.
* ``model.offline_payment_identity``: E[p_i] = E[phi_i^ir x_i^alpha] and
  E[sum p_i] - c E[D*] = OFFL.
* ``model.online_bounds`` and ``model.online_dp_closed_form``: ALG <= ONL <= OFFL, and the
  optimal online DP against its closed form (one buyer, deterministic r, i.i.d.
  two-point r).
* ``model.bilateral_lambda_star`` and ``model.bilateral_sb_le_fb``: B(lambda*) = 0 (or
  lambda* = 0 with B(0) >= 0) and SB = GFT(lambda*) <= FB.
* ``model.mechanism_myerson``: a single-item revenue optimum equals
  E[max_i phi_bar_i(t_i)^+] on the model's type grid.
* ``model.mechanism_certificate``: the solved mechanism's constraints hold by the
  independent re-evaluation (its certificate).
* ``model.chain_mechanism`` and ``model.chain_equilibrium``: Def 2.5/2.6 for the model's t
  (exactly) and Eq. (9) by the independent verifier.
* ``model.psp_equilibrium``: welfare <= the centralized optimum, the 2 epsilon-Nash check.
* ``model.infosale_revenue_identity``: revenue = sum_i E[p_i] = W - sum_i E[u_i] with
  every interim utility >= the outside option.

>>> import datamech as dm
>>> from datamech.symbolic import model_checks, run_model_checks
>>> model = dm.load("examples/models/bilateral_b1.toml")
>>> [r.passed for r in run_model_checks(model, model_checks("bilateral"))]
[True, True, True]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from ..errors import ModelError
from ..expressions import as_sympy
from ..models.distributions import ExpressionLaw, TypeDistribution
from ..models.distributions.derivation import Budget
from ..numeric import exact_array, fmt
from .closed_forms import closed_forms
from .registry import NotApplicable, register

FAMILY = "model"
LAW_KINDS = ("offline", "online", "bilateral", "infosale", "mechanism")
REL = 1e-9  #: relative tolerance of float comparisons
PROFILES = 16  #: type profiles checked by the offline allocation check

_SOLVED: dict[int, tuple[Any, Any]] = {}


def solved(model: Any) -> Any:
    """``datamech.solve(model)`` (its file's options), computed once per model object."""
    entry = _SOLVED.get(id(model))
    if entry is None or entry[0] is not model:
        import datamech

        entry = (model, datamech.solve(model))
        _SOLVED[id(model)] = entry
    return entry[1]


def forget(model: Any) -> None:
    """Drop the cached solution of ``model`` (``verify_file`` does, when done)."""
    _SOLVED.pop(id(model), None)


def _field(result: Any, *names: str) -> Any:
    """The first of ``names`` the result has (attribute, else ``to_dict`` key)."""
    for name in names:
        if hasattr(result, name):
            return getattr(result, name)
    data = result.to_dict()
    for name in names:
        if name in data:
            return data[name]
    raise NotApplicable(f"the result has none of {', '.join(names)}")


def _close(a: Any, b: Any, rel: float = REL) -> bool:
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a == b
    a, b = float(a), float(b)
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def _show(x: Any) -> str:
    """A number for a report: exact when short, else 12 significant digits."""
    if isinstance(x, sp.Rational) and x.q > 10**6:
        x = Fraction(int(x.p), int(x.q))
    if isinstance(x, sp.Basic):
        text = str(x)
        if x.is_Float or (x.is_number and len(text) > 40):
            return f"{to_f(x):.12g}"
        return text
    if isinstance(x, Fraction) and x.denominator > 10**6:
        return f"{float(x):.12g}"
    if isinstance(x, (float, np.floating)):
        return f"{float(x):.12g}"
    return fmt(x)


def to_f(x: sp.Expr) -> float:
    """A sympy number as a float (20 digits before rounding)."""
    return float(sp.N(x, 20))


# ---------------------------------------------------------------- type laws
def laws_of(model: Any) -> list[tuple[str, TypeDistribution]]:
    """The model's type laws with their model-file names (equal tables listed once)."""
    out: list[tuple[str, TypeDistribution]] = []
    if hasattr(model, "buyers"):
        out = [(f"buyers[{i}]", d) for i, d in enumerate(model.buyers)]
    elif hasattr(model, "buyer") and hasattr(model, "seller"):
        out = [("buyer", model.buyer), ("seller", model.seller)]
    elif hasattr(model, "types"):
        out = [(f"buyers[{i}]", d) for i, d in enumerate(model.types)]
    elif hasattr(model, "agents"):
        for a in model.agents:
            if a.law is not None:
                out.append((a.field, a.law))
            out.extend((f"{a.field}.item_types[{j}]", d) for j, d in enumerate(a.item_laws))
    seen, unique = set(), []
    for name, d in out:
        key = repr(sorted((k, repr(v)) for k, v in d.params().items()))
        if key not in seen:
            seen.add(key)
            unique.append((name, d))
    return unique


def _has_atoms(law: TypeDistribution) -> bool:
    return len(law.atoms()) > 0 or law.discrete


def _law_with_atoms(name: str, law: TypeDistribution) -> tuple[bool, str]:
    """E[r] = max_p p P(V >= p): over the atoms for a discrete law (exactly when the law
    is exact); with a density part too, over the atoms and 10^5 quantiles (to 1e-6)."""
    if law.discrete and hasattr(law, "values"):
        points, tol = list(law.values), REL
    else:
        grid = np.asarray(law.quantile((np.arange(100_000) + 0.5) / 100_000), dtype=float)
        atoms = np.asarray(law.atoms(), dtype=float)
        points = np.unique(np.concatenate([grid, atoms, [float(law.support[0])]])).tolist()
        tol = 1e-6
    top = max(p * law.sf_ge(p) for p in points)
    mean_r = law.r_law().mean()
    ok = _close(mean_r, top, tol) and _close(law.monopoly_revenue(), top, tol)
    exact = isinstance(mean_r, Fraction) and isinstance(top, Fraction)
    how = "exactly" if exact else f"to {tol:g}"
    return ok, (
        f"{name} ({law.family}): max_p p P(V >= p) = {_show(top)}, E[r] = {_show(mean_r)}, "
        f"monopoly revenue {_show(law.monopoly_revenue())} ({how})"
    )


def _law_with_density(name: str, law: TypeDistribution) -> tuple[bool, str]:
    cf = closed_forms(law)
    v = sp.Symbol("v", real=True)
    x = np.asarray(law.quantile(np.array([0.25, 0.5, 0.75])), dtype=float)
    parts, ok = [], True
    if cf.virtual_value is not None:
        closed = np.array([float(sp.N(cf.virtual_value.subs(v, sp.Float(t, 30)), 20)) for t in x])
        with np.errstate(divide="ignore", invalid="ignore"):
            numeric = x - np.asarray(law.sf_ge(x), float) / np.asarray(law.pdf(x), float)
        gap = float(np.max(np.abs(closed - numeric)))
        good = gap <= REL * max(1.0, float(np.max(np.abs(closed))))
        if law.regular:
            gap2 = float(np.max(np.abs(closed - np.asarray(law.virtual_value(x), float))))
            good = good and gap2 <= REL * max(1.0, float(np.max(np.abs(closed))))
        ok &= good
        parts.append(
            f"phi = {cf.virtual_value} at v = {', '.join(f'{t:.6g}' for t in x)}: "
            f"{', '.join(f'{t:.9g}' for t in closed)} (datamech's F, f: max gap {gap:.2g})"
        )
    reserve = cf.reserve_price if cf.reserve_price is not None else cf.reserve_value
    rev = cf.monopoly_revenue if cf.monopoly_revenue is not None else cf.monopoly_value
    ladder = not (law.regular or isinstance(law, ExpressionLaw))
    tol = 1e-6 if ladder else REL  # a ladder's reserve and revenue carry the grid's error
    d_res, d_rev, e_r = law.reserve_price(), law.monopoly_revenue(), law.r_law().mean()
    good = _close(d_rev, cf.monopoly_value, tol) and _close(e_r, cf.monopoly_value, 1e-6)
    if not ladder:
        good = good and _close(d_res, cf.reserve_value, tol)
    ok &= good
    parts.append(
        f"reserve {_show(reserve)} (datamech {_show(d_res)}); max_p p(1 - F(p)) = {_show(rev)}"
        f" = {cf.monopoly_value:.12g} = monopoly revenue {_show(d_rev)} = E[r] {_show(e_r)}"
    )
    if ladder:
        mine = not law.ironing_intervals()
    else:
        mine = bool(law.regular)
    ok &= mine == cf.regular
    parts.append(f"regular: {cf.regular} ({cf.regularity}); datamech: {mine}")
    return ok, f"{name} ({cf.family}): " + "; ".join(parts)


@register(
    "model.law_closed_forms",
    FAMILY,
    "every type law's closed forms (sympy: phi = v - (1-F)/f, reserve, max_p p(1-F(p)), "
    "regularity) equal the law's numbers, and E[r] = max_p p(1-F(p)) (S17); laws with atoms: "
    "E[r] = max_p p P(V >= p)",
    kinds=LAW_KINDS,
)
def law_closed_forms(model: Any) -> tuple[bool, str]:
    laws = laws_of(model)
    if not laws:
        raise NotApplicable("the model has no type laws (explicit type tables only)")
    ok, lines = True, []
    for name, law in laws:
        if _has_atoms(law):
            try:
                good, line = _law_with_atoms(name, law)
            except ModelError as exc:  # a law whose atoms give no revenue table
                raise NotApplicable(str(exc)) from None
        else:
            try:
                good, line = _law_with_density(name, law)
            except ModelError as exc:
                good, line = True, f"{name}: no closed forms ({exc.problem})"
        ok &= good
        lines.append(line)
    return ok, "\n".join(lines)


# ---------------------------------------------------------------- offline (Theorem 2.2)
def _types(law: TypeDistribution) -> list[Any]:
    if law.discrete and hasattr(law, "values") and len(law.values) <= 6:
        return list(law.values)
    return [float(t) for t in np.asarray(law.quantile(np.array([0.1, 0.5, 0.9])), dtype=float)]


def _profiles(dists: list[TypeDistribution]) -> Iterator[tuple[Any, ...]]:
    return itertools.islice(itertools.product(*(_types(d) for d in dists)), PROFILES)


def _production(alpha: Any, cost: Any, s: Any) -> sp.Expr:
    """D* = argmax_D s D^alpha - c D, by sympy (the critical point, checked to be a max)."""
    a, c = as_sympy(alpha), as_sympy(cost)
    if s <= 0:
        return sp.Integer(0)
    D = sp.Symbol("D", positive=True)
    g = as_sympy(s) * D**a - c * D
    roots = sp.solve(sp.diff(g, D), D)
    if len(roots) != 1 or not (sp.diff(g, D, 2).subs(D, roots[0]) < 0):
        raise NotApplicable(f"sympy did not find one maximizer of {g}")
    return roots[0]


@register(
    "model.offline_theorem_2_2",
    FAMILY,
    "Theorem 2.2: every buyer with r_i = (phi_i^ir(v_i))_+ > 0 gets x_i = D*, the "
    "maximizer of (sum_i r_i) D^alpha - c D (= ((alpha/c) sum_i r_i)^{1/(1-alpha)}), the "
    "others 0; types pooled by ironing get equal allocations",
    kinds=("offline",),
)
def offline_theorem_2_2(model: Any) -> tuple[bool, str]:
    from ..solvers.scaling import OfflineMechanism

    dists = list(model.buyers)
    mech = OfflineMechanism(dists, model.alpha, model.cost)
    ok, lines, count = True, [], 0
    for v in _profiles(dists):
        r = mech.r(list(v))
        s = sum(r)
        closed = _production(model.alpha, model.cost, s)
        D, x = mech.allocate(list(v))
        good = _close(
            D, Fraction(int(closed.p), int(closed.q)) if closed.is_Rational else to_f(closed)
        )
        good &= all((xi == D) if ri > 0 else (xi == 0) for xi, ri in zip(x, r, strict=True))
        ok &= good
        count += 1
        if len(lines) < 3 or not good:
            lines.append(
                f"v = ({', '.join(_show(t) for t in v)}): r = ({', '.join(_show(t) for t in r)}), "
                f"D* = {_show(sp.nsimplify(closed) if closed.is_Rational else closed)} "
                f"(datamech {_show(D)}), x = ({', '.join(_show(t) for t in x)})"
            )
    pooled = []
    for i, d in enumerate(dists):
        for lo_, hi_ in d.ironing_intervals()[:2]:
            inside = (
                [t for t in d.values if lo_ <= t <= hi_]
                if d.discrete
                else [lo_ + (hi_ - lo_) * k / 3 for k in (1, 2)]
            )
            others = [_types(e)[len(_types(e)) // 2] for e in dists]
            allocs = []
            for t in inside[:3]:
                prof = list(others)
                prof[i] = t
                allocs.append(mech.allocate(prof)[1][i])
            same = all(_close(a, allocs[0]) for a in allocs)
            ok &= same
            pooled.append(
                f"buyers[{i}] types {', '.join(_show(t) for t in inside[:3])} in the ironing "
                f"interval [{_show(lo_)}, {_show(hi_)}] get x = {', '.join(_show(a) for a in allocs)}"
            )
    lines.append(f"{count} profiles checked")
    lines.extend(pooled or ["no ironing intervals (every law regular): no pooled types"])
    return ok, "\n".join(lines)


@register(
    "model.offline_payment_identity",
    FAMILY,
    "payment identity under Theorem 2.2's DSIC payments: E[p_i] = E[phi_i^ir(v_i) x_i^alpha] "
    "for every buyer, and E[sum_i p_i] - c E[D*] = OFFL (datamech's expected profit)",
    kinds=("offline",),
)
def offline_payment_identity(model: Any) -> tuple[bool, str]:
    from ..solvers.scaling import OfflineMechanism

    res = solved(model)
    offl = _field(res, "objective_exact") or _field(res, "objective")
    found = res.to_dict().get("checks") if hasattr(res, "to_dict") else None
    found = getattr(res, "checks", found)
    source = "the solve's own check"
    if not (isinstance(found, dict) and "identity_gap" in found):
        mech = OfflineMechanism(list(model.buyers), model.alpha, model.cost)
        source = "checked here"
        try:
            found = mech.check()
        except ModelError:  # too many profiles to enumerate: per buyer at quantile levels
            found = mech.check_sampled()
    gap = found["identity_gap"]
    ok = bool(found.get("ir_ok", True) and found.get("monotone_ok", True))
    text = (
        f"max_i |E[p_i] - E[phi_i^ir x_i^alpha]| = {_show(gap)} "
        f"({found.get('scope', 'sampled')}; {source})"
    )
    if "profit" in found:
        ok &= _close(found["profit"], offl, 1e-9) and float(gap) < 1e-9
        if "revenue" in found:
            text += f"; E[sum p_i] - c E[D*] = {_show(found['revenue'])} - {_show(found['cost'])}"
        text += f"; E[sum p_i] - c E[D*] = {_show(found['profit'])} = OFFL {_show(offl)}"
    else:
        ok &= float(found.get("identity_rel_gap", gap)) < 1e-6
        text += f"; OFFL = {_show(offl)}"
    return ok, text + f"; IR {found.get('ir_ok')}, monotone {found.get('monotone_ok')}"


# ---------------------------------------------------------------- online
def _num(x: Any) -> Any:
    return x if isinstance(x, Fraction) else float(x)


@register(
    "model.online_bounds",
    FAMILY,
    "ALG <= ONL <= OFFL: the mechanism's expected profit is at most the optimal online "
    "profit, which is at most the offline optimum (Theorem 2.2), within the error estimates",
    kinds=("online",),
)
def online_bounds(model: Any) -> tuple[bool, str]:
    res = solved(model)
    alg, onl, offl = (
        _field(res, n) for n in ("expected_profit", "online_optimum", "offline_optimum")
    )
    if onl is None or offl is None:
        raise NotApplicable("the result has no benchmarks")
    err = sum(float(_field(res, n) or 0) for n in ("abserr", "online_abserr", "offline_abserr"))
    slack = err + 1e-12 * max(1.0, abs(float(offl)))
    ok = float(alg) <= float(onl) + slack and float(onl) <= float(offl) + slack
    return ok, (
        f"ALG = {_show(_num(alg))} <= ONL = {_show(_num(onl))} <= OFFL = {_show(_num(offl))} "
        f"(error estimates {err:.2g})"
    )


@register(
    "model.online_dp_closed_form",
    FAMILY,
    "the optimal online DP (Proposition 3.1) equals its closed form where one exists: "
    "one buyer or deterministic r: ONL = OFFL = K_c E[(sum r_i)^k]; i.i.d. r in {0, H} with "
    "P(r = H) = q: ONL = K_c H^k sum_i (1-q)^{i-1} q (1 + (n-i) q)^k (spec §3.3), "
    "K_c = (1-alpha)(alpha/c)^{alpha/(1-alpha)}, k = 1/(1-alpha)",
    kinds=("online",),
)
def online_dp_closed_form(model: Any) -> tuple[bool, str]:
    a, c = as_sympy(model.alpha), as_sympy(model.cost)
    k = 1 / (1 - a)
    K = (1 - a) * (a / c) ** (a / (1 - a))
    laws = [d.r_law() for d in model.buyers]
    n = len(laws)
    tables = [law.is_discrete and law.grid is None for law in laws]
    if all(tables) and all(len(law.values) == 1 for law in laws):
        s = sum(as_sympy(law.values[0]) for law in laws)
        closed = K * s**k
        form = f"K_c (sum r_i)^k = {_show(K)} * {_show(s)}^{_show(k)}"
    elif n == 1:
        m = _r_moment(model.buyers[0], laws[0], k)
        closed = K * m if isinstance(m, sp.Basic) else float(K) * m
        form = f"K_c E[r^k] = {_show(K)} * {_show(m)}"
    elif all(tables) and _two_point(laws):
        H, q = _two_point(laws)
        closed = (
            K * H**k * sum((1 - q) ** (i - 1) * q * (1 + (n - i) * q) ** k for i in range(1, n + 1))
        )
        form = f"two-point r in {{0, {_show(H)}}}, q = {_show(q)}, n = {n}"
    else:
        raise NotApplicable(
            "no closed form of the online optimum for these laws (closed forms: one buyer, "
            "deterministic r, i.i.d. two-point r)"
        )
    res = solved(model)
    onl = _field(res, "online_optimum")
    err = float(_field(res, "online_abserr") or 0.0)
    want = sp.nsimplify(closed) if isinstance(closed, sp.Basic) else closed
    ok = abs(float(onl) - to_f(sp.sympify(closed))) <= err + 1e-9 * max(1.0, abs(float(onl)))
    if isinstance(onl, Fraction) and isinstance(want, sp.Rational):
        ok = onl == Fraction(int(want.p), int(want.q))
    return ok, f"{form}: ONL = {_show(want)} = DP {_show(_num(onl))} (DP error estimate {err:.2g})"


def _r_moment(law: TypeDistribution, r_law: Any, k: sp.Expr) -> Any:
    """E[r^k]: an exact sum for a table, sympy's integral of phi^k f over [reserve,
    top] for a regular law with closed forms, else the law of r's quadrature."""
    if r_law.is_discrete and r_law.grid is None:
        return sum(
            as_sympy(p) * as_sympy(v) ** k for v, p in zip(r_law.values, r_law.probs, strict=True)
        )
    try:
        cf = closed_forms(law)
    except ModelError:
        cf = None
    if (
        cf is not None
        and cf.regular
        and cf.virtual_value is not None
        and cf.reserve_price is not None
    ):
        v = sp.Symbol("v", real=True)
        ok, m = Budget().run(
            "E[r^k]",
            sp.integrate,
            cf.virtual_value**k * cf.pdf,
            (v, cf.reserve_price, cf.support[1]),
        )
        if ok and isinstance(m, sp.Expr) and m.is_number and m.is_finite:
            return sp.nsimplify(m) if m.is_Rational else m
    return float(r_law.moment(float(k)))


def _two_point(laws: list[Any]) -> tuple[sp.Expr, sp.Expr] | None:
    """(H, q) when every law of r is the same table {0: 1 - q, H: q}."""
    first = laws[0]
    if len(first.values) != 2 or first.values[0] != 0:
        return None
    for law in laws[1:]:
        if list(law.values) != list(first.values) or list(law.probs) != list(first.probs):
            return None
    return as_sympy(first.values[1]), as_sympy(first.probs[1])


# ---------------------------------------------------------------- bilateral
@register(
    "model.bilateral_lambda_star",
    FAMILY,
    "lambda* characterizes the second best (eq. (9), G13): the budget surplus B(lambda*) = 0 "
    "with B(lambda) < 0 just below lambda* when the budget binds; lambda* = 0 when B(0) >= 0",
    kinds=("bilateral",),
)
def bilateral_lambda_star(model: Any) -> tuple[bool, str]:
    from ..solvers.bilateral import budget_surplus, second_best

    args = (model.buyer, model.seller, model.alpha, model.good)
    sb = second_best(*args)
    lam = float(sb.lambda_star)
    regime = getattr(sb, "regime", "interior")
    scale = max(abs(float(sb.first_best)), 1e-300)
    if regime == "no_trade":
        raise NotApplicable("no budget-feasible trade (B(lambda) < 0 for every lambda)")
    if regime == "first_best_feasible" or lam == 0:
        b0 = budget_surplus(*args[:2], 0.0, *args[2:])
        return (
            b0 >= -1e-12 * scale,
            f"lambda* = 0 and B(0) = {b0:.12g} >= 0: the first best is budget feasible",
        )
    below = budget_surplus(*args[:2], lam * (1 - 1e-6), *args[2:])
    at = float(sb.budget_surplus)
    again = budget_surplus(*args[:2], lam, *args[2:])
    tie = float(getattr(sb, "tie_weight", 1.0))
    ok = abs(at) <= 1e-9 * scale and below < 0
    if tie < 1:  # B jumps at lambda*: the optimum randomizes on the ties N = D
        ok &= again >= 0
        return ok, (
            f"lambda* = {lam:.12g}: B jumps there, from B({lam * (1 - 1e-6):.12g}) = {below:.3g} "
            f"< 0 to B(lambda*) = {again:.3g} >= 0 (ties N = D not traded); trading the ties "
            f"with probability {tie:.9g} gives B = {at:.3g} = 0"
        )
    ok &= abs(again) <= 1e-9 * scale
    return ok, (
        f"lambda* = {lam:.12g}: B(lambda*) = {at:.3g} (recomputed {again:.3g}) = 0 to "
        f"{1e-9 * scale:.2g}; B({lam * (1 - 1e-6):.12g}) = {below:.3g} < 0"
    )


@register(
    "model.bilateral_sb_le_fb",
    FAMILY,
    "SB <= FB: the second best's gains from trade, recomputed as GFT(lambda*), are at most "
    "the first best E[max_x v x^alpha - c x] (Lemma C.1)",
    kinds=("bilateral",),
)
def bilateral_sb_le_fb(model: Any) -> tuple[bool, str]:
    from ..solvers.bilateral import first_best, gains_from_trade, second_best

    args = (model.buyer, model.seller, model.alpha, model.good)
    sb = second_best(*args)
    fb = first_best(*args).gains_from_trade
    lam = float(sb.lambda_star)
    gft = 0.0 if math.isinf(lam) else gains_from_trade(*args[:2], lam, *args[2:])
    tie = float(getattr(sb, "tie_weight", 1.0))
    if tie < 1:  # ties N = D traded with probability tie: SB lies between the pure rules
        traded = gains_from_trade(*args[:2], lam * (1 - 1e-9), *args[2:])
        same = min(traded, gft) - 1e-12 <= float(sb.gains_from_trade) <= max(traded, gft) + 1e-12
        how = f"between GFT without and with the ties N = D traded, {gft:.12g} and {traded:.12g}"
    else:
        same = _close(gft, sb.gains_from_trade, 1e-9)
        how = f"GFT(lambda*) = {gft:.12g}"
    ok = same and float(sb.gains_from_trade) <= float(fb) * (1 + 1e-12) + 1e-15
    return ok, (
        f"SB = {float(sb.gains_from_trade):.12g} ({how}) <= FB = "
        f"{float(fb):.12g}; SB/FB = {float(sb.gains_from_trade) / float(fb):.9g}"
    )


# ---------------------------------------------------------------- mechanism
@register(
    "model.mechanism_myerson",
    FAMILY,
    "single item, revenue objective, BIC or DSIC with IR: the optimal revenue equals "
    "E[max_i phi_bar_i(t_i)^+] (Myerson's ironed-virtual-value revenue identity) on the "
    "model's type grid",
    kinds=("mechanism",),
)
def mechanism_myerson(model: Any) -> tuple[bool, str]:
    try:
        from ..solvers.mechanism.known import myerson_revenue
    except ImportError:  # the kind's solver is not installed in this tree
        raise NotApplicable("the mechanism solver is not available") from None
    from ..models.distributions import Discrete

    scope = (
        getattr(model, "preset", None) == "single_item"
        and getattr(model, "objective", None) == "revenue"
        and getattr(model, "ic", "bic") in ("bic", "dsic")
        and getattr(model, "ir", "interim") in ("interim", "ex_post")
        and getattr(model, "budget", "none") == "none"
        and not getattr(model, "requirements", ())
    )
    if not scope:
        raise NotApplicable(
            "the identity is for a single item, objective revenue, BIC/DSIC with IR, no "
            "budget constraint or requirements"
        )
    inst = model.instance()
    laws = [Discrete(list(a.exact_points[:, 0]), list(a.exact_probs)) for a in inst.agents]
    want = myerson_revenue(laws)
    res = solved(model)
    got = _field(res, "objective_exact") or _field(res, "objective")
    ok = _close(got, want, 1e-7)
    return ok, (
        f"revenue {_show(got)} = E[max_i phi_bar_i^+] = {_show(want)} "
        f"({len(laws)} agents, {', '.join(str(a.K) for a in inst.agents)} types)"
    )


@register(
    "model.mechanism_certificate",
    FAMILY,
    "the solved mechanism satisfies the model's constraints (IC, IR, budget, feasibility): "
    "the largest violation found by the independent re-evaluation of the returned mechanism "
    "is within its tolerance",
    kinds=("mechanism",),
)
def mechanism_certificate(model: Any) -> tuple[bool, str]:
    res = solved(model)
    cert = getattr(res, "certificate", None)
    if cert is None or not hasattr(cert, "max_violation"):
        raise NotApplicable("the result carries no certificate")
    ok = bool(cert.ok) and cert.max_violation <= cert.tolerance
    parts = [
        f"{name} {_show(getattr(res, f'max_{name}_violation'))}"
        for name in ("ic", "ir", "budget", "feasibility")
        if getattr(res, f"max_{name}_violation", None) is not None
    ]
    return ok, (
        f"largest violation {_show(cert.max_violation)} <= tolerance {_show(cert.tolerance)}"
        + (f" ({', '.join(parts)})" if parts else "")
        + f"; {cert.method}"
    )


# ---------------------------------------------------------------- chain
@register(
    "model.chain_mechanism",
    FAMILY,
    "the model's reallocation t is budget feasible (Def 2.5: t >= 0, each row sums to at "
    "most 1) and past only (Def 2.6: t_ij = 0 for j >= i), exactly",
    kinds=("chain",),
)
def chain_mechanism(model: Any) -> tuple[bool, str]:
    t = exact_array(model.reallocation)
    n = t.shape[0]
    sums = [sum(t[i]) for i in range(n)]
    future = [t[i, j] for i in range(n) for j in range(i + 1, t.shape[1]) if t[i, j] != 0]
    ok = all(x >= 0 for x in t.ravel()) and all(s <= 1 for s in sums) and not future
    return ok, (
        f"row sums {', '.join(_show(s) for s in sums)} <= 1; {len(future)} nonzero future "
        f"shares; min entry {_show(min(t.ravel()))}"
    )


@register(
    "model.chain_equilibrium",
    FAMILY,
    "Eq. (9): the solved thresholds and prices are a sequential equilibrium, each seller's "
    "price a best response (exact best responses by the independent verifier)",
    kinds=("chain",),
)
def chain_equilibrium(model: Any) -> tuple[bool, str]:
    from ..solvers.chain import verify_equilibrium

    res = solved(model)
    thresholds, prices = _field(res, "thresholds"), _field(res, "prices")
    exact = bool(_field(res, "exact"))
    check = verify_equilibrium(model, thresholds, prices, exact=exact, tol=_field(res, "tol"))
    return bool(check.ok), (
        f"largest violation of Eq. (9) {_show(check.max_violation)} (allowed "
        f"{_show(check.tolerance)}; {check.method})"
    )


# ---------------------------------------------------------------- psp
@register(
    "model.psp_equilibrium",
    FAMILY,
    "the PSP outcome's welfare is at most the centralized optimum, and the final bids pass "
    "the independent 2 epsilon-Nash check (eq. 4)",
    kinds=("psp",),
)
def psp_equilibrium(model: Any) -> tuple[bool, str]:
    res = solved(model)
    welfare, best = float(_field(res, "welfare")), _field(res, "optimal_welfare")
    nash = _field(res, "eps_nash")
    if best is None or nash is None:
        raise NotApplicable("the run has no centralized benchmark or Nash check")
    nash = nash.to_dict() if hasattr(nash, "to_dict") else nash
    ok = welfare <= float(best) * (1 + 1e-9) + 1e-9 and bool(nash.get("ok"))
    return ok, (
        f"welfare {welfare:.9g} <= optimum {float(best):.9g} (efficiency "
        f"{welfare / float(best):.6g}); largest deviation gain {float(nash['max_violation']):.3g} "
        f"<= {float(nash['tolerance']):.3g}"
    )


# ---------------------------------------------------------------- infosale
@register(
    "model.infosale_revenue_identity",
    FAMILY,
    "revenue = sum_i E[p_i(v_i)] = W - sum_i E[u_i(v_i)] (welfare minus the buyers' interim "
    "utilities), and every interim utility is at least the outside option (participation)",
    kinds=("infosale",),
)
def infosale_revenue_identity(model: Any) -> tuple[bool, str]:
    res = solved(model)
    probs = np.asarray(_field(res, "type_probs"), dtype=float)
    pay = np.asarray(_field(res, "interim_payment"), dtype=float)
    util = np.asarray(_field(res, "interim_utility"), dtype=float)
    outside = np.asarray(_field(res, "outside_option"), dtype=float)
    revenue, welfare = float(_field(res, "revenue")), float(_field(res, "welfare"))
    paid, kept = float(np.sum(probs * pay)), float(np.sum(probs * util))
    worst = float(np.min(util - outside.reshape(-1, *([1] * (util.ndim - 1)))))
    participation = bool(getattr(model, "constraints", None) is None or _participation(model))
    ok = _close(revenue, paid, 1e-7) and _close(revenue, welfare - kept, 1e-7)
    if participation:
        ok &= worst >= -1e-7 * max(1.0, welfare)
    return ok, (
        f"revenue {revenue:.9g} = sum E[p_i] {paid:.9g} = W - sum E[u_i] = {welfare:.9g} - "
        f"{kept:.9g}; min interim utility minus outside option {worst:.3g}"
        + ("" if participation else " (participation is off: not required)")
    )


def _participation(model: Any) -> bool:
    c = model.constraints
    return bool(
        c.get("participation", True) if isinstance(c, dict) else getattr(c, "participation", True)
    )
