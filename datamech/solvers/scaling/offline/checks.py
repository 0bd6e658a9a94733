"""Checks of an offline mechanism: payment identity, IR and monotonicity (Appendices A.1-A.2).

Each function receives the mechanism it checks (an :class:`.OfflineMechanism`: its laws,
``allocate``, ``r``, ``z_of``, ``payment`` and ``payments``) and returns a dict of
findings; :func:`as_certificate` turns one into the family's
:class:`datamech.results.Certificate`.

* :func:`check_profiles`: every type profile of discrete buyers, exactly (ex post);
* :func:`check_sampled`: continuous (or mixed) types, buyer by buyer, the others at
  quantile levels;
* :func:`check_interim`: the interim tables of large discrete laws (per type).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np
from scipy import integrate

from ....errors import ModelError
from ....models.distributions import Mixture
from ....results import Certificate

__all__ = [
    "MAX_PROFILES",
    "SAMPLED_GRID",
    "as_certificate",
    "check_interim",
    "check_profiles",
    "check_sampled",
]

MAX_PROFILES = 20_000  #: type profiles enumerated by the ex-post check
SAMPLED_GRID = 4000  #: quantile points of check_sampled for a mixture buyer
TOL = 1e-9  #: relative tolerance of the IR and monotonicity checks in floats


def check_profiles(mech: Any, max_profiles: int = MAX_PROFILES) -> dict[str, Any]:
    """Every profile of discrete buyers: ``revenue``, ``cost``, ``profit`` (E[sum p] -
    c E[D], which must equal OFFL), ``identity_gap`` ``max_i |E[p_i] - E[phi^ir_i z_i]|``,
    ``ir_ok`` (ex post) and ``monotone_ok`` (z_i nondecreasing in v_i for every ``v_-i``).

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    """
    dists = mech.dists
    sizes = [len(d.values) for d in dists]
    if math.prod(sizes) > max_profiles:
        raise ModelError("buyers", f"{math.prod(sizes)} profiles exceed {max_profiles}")
    n = len(dists)
    rev = cost = 0
    pay_e = [0] * n
    vv_e = [0] * n
    ir_ok = mono_ok = True
    z_tab: dict[tuple[int, ...], list[Any]] = {}
    for idx in itertools.product(*(range(m) for m in sizes)):
        v = [d.values[j] for d, j in zip(dists, idx, strict=True)]
        prob = math.prod(d.probs[j] for d, j in zip(dists, idx, strict=True))
        D, _ = mech.allocate(v)
        rs = mech.r(v)
        z = [mech.z_of(i, rs) for i in range(n)]
        z_tab[idx] = z
        p = mech.payments(v)
        rev += prob * sum(p)
        cost += prob * mech.cost * D
        for i in range(n):
            pay_e[i] += prob * p[i]
            vv_e[i] += prob * dists[i].ironed_virtual_value(v[i]) * z[i]
            if v[i] * z[i] - p[i] < -1e-12:
                ir_ok = False
    for idx, z in z_tab.items():
        for i in range(n):
            if idx[i] + 1 < sizes[i]:
                up = list(idx)
                up[i] += 1
                if z_tab[tuple(up)][i] < z[i] - 1e-12:
                    mono_ok = False
    gap = max(abs(float(a - b)) for a, b in zip(pay_e, vv_e, strict=True))
    return {
        "revenue": rev,
        "cost": cost,
        "profit": rev - cost,
        "identity_gap": gap,
        "ir_ok": ir_ok,
        "monotone_ok": mono_ok,
        "scope": f"ex post, all {math.prod(sizes):,} profiles",
    }


def check_interim(dists: Sequence[Any], tables: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Checks on interim tables (one per buyer: type ``v``, ``prob``, ``phi`` (ironed
    virtual value), ``z`` = E[x^alpha | v] and ``p`` = E[p | v]): the identity
    sum_j pi_j p_j = sum_j pi_j phi_j z_j, interim IR v_j z_j - p_j >= 0 and z
    nondecreasing in v, for laws too large to enumerate every profile (in rationals for
    exact tables).

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    * R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1),
      58-73, 1981.
    """
    gap, rel, ir_ok, mono_ok = 0, 0.0, True, True
    for table in tables:
        if table is None:
            continue
        v, pi, phi, z, p = (table[k] for k in ("v", "prob", "phi", "z", "p"))
        if all(isinstance(x, Fraction) or isinstance(x, int) for x in (*z, *p, *pi)):
            ep = sum(a * b for a, b in zip(pi, p, strict=True))
            ev = sum(a * f * b for a, f, b in zip(pi, phi, z, strict=True))
            ir_ok = ir_ok and all(a * b - c >= 0 for a, b, c in zip(v, z, p, strict=True))
            mono_ok = mono_ok and all(b >= a for a, b in zip(z, z[1:], strict=False))
        else:
            pi, z, p, v, phi = (np.asarray(x, dtype=float) for x in (pi, z, p, v, phi))
            ep, ev = float(pi @ p), float(pi @ (phi * z))
            ir_ok = ir_ok and bool(np.all(v * z - p >= -TOL * (1 + np.abs(v * z))))
            mono_ok = mono_ok and bool(np.all(np.diff(z) >= -TOL * (1 + np.abs(z[:-1]))))
        gap = max(gap, abs(ep - ev))
        rel = max(rel, float(abs(ep - ev)) / max(abs(float(ev)), 1e-300))
    return {
        "identity_gap": gap,
        "identity_rel_gap": rel,
        "ir_ok": ir_ok,
        "monotone_ok": mono_ok,
        "scope": f"interim, per type ({sum(len(t['v']) for t in tables if t):,} types)",
    }


def check_sampled(
    mech: Any, levels: Sequence[float] = (0.2, 0.6, 0.95), grid: int = 41
) -> dict[str, Any]:
    """Checks for continuous (or mixed) types, buyer by buyer.

    For each buyer i and each level u in ``levels`` the others' types are set to
    their u-quantiles; then the DSIC identity E_{v_i}[p_i] = E_{v_i}[phi^ir_i z_i]
    (which holds for every fixed ``v_-i``) is checked by quadrature over v_i (exact sums
    for a discrete buyer), ex-post IR v_i z_i - p_i >= 0 and monotonicity of z_i on
    ``grid`` quantiles of v_i.  Returns ``identity_gap`` (max absolute difference),
    ``identity_rel_gap``, ``ir_ok``, ``monotone_ok`` and ``profiles_checked``.

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    """
    out: dict[str, Any] = {
        "identity_gap": 0.0,
        "identity_rel_gap": 0.0,
        "ir_ok": True,
        "monotone_ok": True,
    }
    checked = 0
    for i in range(len(mech.dists)):
        for lev in levels:
            v = [float(np.asarray(dj.quantile(lev))) for dj in mech.dists]
            gap, rel, ir_ok, mono_ok = _check_buyer(mech, i, mech.r(v), grid)
            out["identity_gap"] = max(out["identity_gap"], gap)
            out["identity_rel_gap"] = max(out["identity_rel_gap"], rel)
            out["ir_ok"] = out["ir_ok"] and ir_ok
            out["monotone_ok"] = out["monotone_ok"] and mono_ok
            checked += 1
    out["profiles_checked"] = checked
    out["scope"] = f"buyer by buyer, others at quantiles {', '.join(map(str, levels))}"
    return out


def _check_buyer(mech: Any, i: int, rs: list[Any], grid: int) -> tuple[float, float, bool, bool]:
    d = mech.dists[i]

    def z_of(t: Any) -> float:
        rr = list(rs)
        rr[i] = d.r(t)
        return float(mech.z_of(i, rr))

    def pay(t: Any) -> float:
        return float(mech.payment(i, t, rs))

    def q(u: float) -> float:
        return float(np.asarray(d.quantile(u)))

    ir_grid = None  # IR on the mixture branch's own payment grid
    if d.discrete:
        pts = list(d.values)
        probs = [float(p) for p in d.probs]
        ep = sum(p * pay(t) for t, p in zip(pts, probs, strict=True))
        ev = sum(
            p * float(d.ironed_virtual_value(t)) * z_of(t) for t, p in zip(pts, probs, strict=True)
        )
    elif isinstance(d, Mixture):
        # quad over quad stalls on a mixture's kinks and gaps: midpoint rule in u on
        # SAMPLED_GRID quantiles above the reserve, payments by the trapezoid rule on
        # the same v points (error O(1/N) at kinks, reported in the gap)
        v0 = float(d.reserve_price())
        u0 = float(d.cdf(v0)) if math.isfinite(v0) else 1.0
        if u0 >= 1.0:
            ep = ev = 0.0
        else:
            us = u0 + (1 - u0) * (np.arange(SAMPLED_GRID) + 0.5) / SAMPLED_GRID
            ts = np.concatenate(([v0], np.asarray(d.quantile(us), dtype=float)))
            zt = np.array([z_of(t) for t in ts])
            area = np.concatenate(([0.0], np.cumsum(np.diff(ts) * (zt[1:] + zt[:-1]) / 2)))
            pays = ts[1:] * zt[1:] - area[1:]
            phis = np.asarray(d.ironed_virtual_value(ts[1:]), dtype=float)
            ep = float(pays.mean()) * (1 - u0)
            ev = float((phis * zt[1:]).mean()) * (1 - u0)
            surplus = ts[1:] * zt[1:] - pays
            ir_grid = bool(np.all(surplus >= -TOL * (1 + np.abs(ts[1:] * zt[1:]))))
        pts = list(np.asarray(d.quantile((np.arange(grid) + 0.5) / grid), dtype=float))
    else:
        v0 = d.reserve_price()
        u0 = float(d.cdf(v0)) if math.isfinite(v0) else 1.0
        ep = integrate.quad(lambda u: pay(q(u)), u0, 1, limit=100, epsabs=1e-11)[0]
        ev = integrate.quad(
            lambda u: float(d.ironed_virtual_value(q(u))) * z_of(q(u)),
            u0,
            1,
            limit=100,
            epsabs=1e-11,
        )[0]
        pts = [q(u) for u in (np.arange(grid) + 0.5) / grid]
    zs = [z_of(t) for t in pts]
    mono_ok = all(b >= a - TOL * (1 + abs(a)) for a, b in zip(zs, zs[1:], strict=False))
    step = max(1, len(pts) // 9)
    ir_ok = (
        ir_grid
        if ir_grid is not None
        else all(
            float(t) * zt - pay(t) >= -TOL * (1 + abs(float(t) * zt))
            for t, zt in zip(pts[::step], zs[::step], strict=True)
        )
    )
    gap = abs(ep - ev)
    return gap, gap / max(abs(ev), 1e-300), ir_ok, mono_ok


def as_certificate(checks: dict[str, Any], tolerance: float = 1e-6) -> Certificate:
    """The checks as a :class:`~datamech.results.Certificate`: ok when IR and
    monotonicity hold and the identity gap is within ``tolerance`` (relative to the
    revenue's scale when a relative gap is reported)."""
    gap = float(checks["identity_gap"])
    rel = checks.get("identity_rel_gap")
    within = (rel if rel is not None else gap) <= tolerance or gap <= tolerance
    ok = bool(checks["ir_ok"] and checks["monotone_ok"] and within)
    detail = {k: v for k, v in checks.items() if k not in ("revenue", "cost")}
    return Certificate(
        ok=ok,
        max_violation=checks["identity_gap"],
        tolerance=tolerance,
        method=str(checks.get("scope", "")),
        detail=detail,
    )
