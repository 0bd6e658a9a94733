"""Solve a model of kind ``offline``: Theorem 2.2 or a convex program.

:func:`solve_offline` solves it by

* Theorem 2.2's closed form (``auto``, the default: ``exact`` for discrete types, else
  ``quad``; or ``mc``), or
* ``pamd`` / ``pamd_dsic`` (the automated-mechanism-design program (P-AMD), BIC or DSIC,
  :mod:`.amd`), or ``pvv`` (the virtual-value program (P-VV), :mod:`.pvv`) on discrete
  types; these also report the closed form's profit.

Examples
--------
>>> import datamech as dm
>>> res = solve_offline(dm.load("examples/models/offline_i3.toml"))
>>> res.expected_profit, res.status, res.method, res.checks["identity_gap"]
(Fraction(13, 7), <Status.EVALUATED: 'evaluated'>, 'exact', 0.0)
"""

from __future__ import annotations

import math
import time
import warnings
from fractions import Fraction
from typing import Any

import numpy as np

from ....errors import ModelError
from ....status import Status
from ..common import (
    check_float_range,
    discrete_payments,
    log10_production,
    numerical_guard,
    profile_data,
)
from .amd import IC_KINDS, pamd_program
from .checks import MAX_PROFILES, check_interim
from .interim import interim_tables
from .mechanism import MC_SAMPLES, OfflineMechanism
from .pvv import pvv_program
from .result import OfflineResult

__all__ = ["CLOSED_FORM_METHODS", "METHODS", "PROGRAM_METHODS", "solve_offline"]

CLOSED_FORM_METHODS = ("auto", "exact", "quad", "mc")
PROGRAM_METHODS = ("pamd", "pamd_dsic", "pvv")
METHODS = (*CLOSED_FORM_METHODS, *PROGRAM_METHODS)


def solve_offline(
    model: Any,
    method: str = "auto",
    samples: int = MC_SAMPLES,
    seed: int = 0,
    check: bool = True,
    solver: str | None = None,
    pairs: str = "all",
    time_limit: float | None = None,
) -> OfflineResult:
    """Solve an offline model (Theorem 2.2).

    Parameters
    ----------
    model : OfflineModel
        Buyers' laws, ``alpha`` and ``cost``.
    method : str
        ``auto`` (Theorem 2.2: exact for discrete types, else quadrature), ``exact``,
        ``quad``, ``mc``, or a program: ``pamd`` (BIC), ``pamd_dsic``, ``pvv``.
        ``closed_form`` is a deprecated name of ``auto``.
    samples, seed : int
        Monte Carlo size and seed (``mc``).
    check : bool
        Report the payment-identity, IR and monotonicity checks.
    solver : str, optional
        cvxpy solver for the programs (default Clarabel).
    pairs : {"all", "local"}
        (P-AMD) incentive constraints between all pairs of types or neighbours only.
    time_limit : float, optional
        Seconds for the programs' solver.

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    * R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1),
      58-73, 1981.
    """
    if method == "closed_form":
        warnings.warn("method 'closed_form' is deprecated; use 'auto'", DeprecationWarning, 2)
        method = "auto"
    if method not in METHODS:
        raise ModelError("method", f"must be one of {', '.join(METHODS)}; got {method!r}")
    t0 = time.perf_counter()
    dists = list(model.buyers)
    with numerical_guard("the offline solve"):
        mech = OfflineMechanism(dists, model.alpha, model.cost)
        level = log10_production(mech.r_laws(), mech.k, mech.ratio)
        check_float_range(level, "buyers", "production levels ((alpha/c) sum r)^k")
        if method in PROGRAM_METHODS:
            return _solve_program(model, mech, method, solver, pairs, time_limit, t0)
        return _solve_closed_form(model, mech, method, samples, seed, check, t0)


def _solve_closed_form(
    model: Any, mech: OfflineMechanism, method: str, samples: int, seed: int, check: bool, t0: float
) -> OfflineResult:
    dists = mech.dists
    est = mech.expected_profit(method=method, samples=samples, seed=seed)
    # E[D*] = (alpha/c)^k E[S^k] = (alpha/c) OFFL / (1 - alpha): the profit's own sum or
    # quadrature gives it (exact in rationals for exact tables)
    one_minus = 1 - (Fraction(model.alpha) if mech.exact else float(model.alpha))
    production = mech.ratio * est.value / one_minus
    tables = interim_tables(mech)
    buyers = []
    for i, d in enumerate(dists):
        entry: dict[str, Any] = {"family": d.family, "reserve_price": d.reserve_price()}
        if tables is not None and tables[i] is not None:
            entry["table"] = _rows(tables[i])
        buyers.append(entry)
    checks = None
    discrete = all(d.discrete for d in dists)
    if check:
        if not discrete or math.prod(len(d.values) for d in dists) <= MAX_PROFILES:
            checks = mech.check()  # every profile (ex post), or buyer by buyer
        elif tables is not None:
            checks = check_interim(dists, tables)
        if checks is not None:
            checks = {k: v for k, v in checks.items() if k not in ("revenue", "cost")}
    return OfflineResult(
        status=Status.EVALUATED,
        expected_profit=est.value,
        method=est.method,
        backend="none",
        solver="none",
        seconds=time.perf_counter() - t0,
        stderr=est.stderr,
        abserr=est.abserr,
        formulation="Theorem 2.2 closed form",
        expected_production=production,
        alpha=model.alpha,
        cost=model.cost,
        buyers=buyers,
        checks=checks,
        laws=tuple(dists),
        mech=mech,
    )


def _rows(table: dict[str, Any]) -> list[dict[str, Any]]:
    keys = list(table)
    return [dict(zip(keys, vals, strict=True)) for vals in zip(*table.values(), strict=True)]


def _solve_program(
    model: Any,
    mech: OfflineMechanism,
    method: str,
    solver: str | None,
    pairs: str,
    time_limit: float | None,
    t0: float,
) -> OfflineResult:
    dists = mech.dists
    if not all(d.discrete for d in dists):
        raise ModelError("method", f"{method} needs discrete types (discretise the laws)")
    if method == "pvv":
        res: Any = pvv_program(dists, model.alpha, model.cost, solver=solver, time_limit=time_limit)
        interim_z = res.interim
        # (P-VV) has no payment variables: the interim payments follow from eq. (1),
        # P_j = sum_{l <= j} v_l (Y_l - Y_{l-1}); E[x | v] from the ex-post z
        pays = [
            discrete_payments([float(v) for v in d.values], [float(y) for y in Y])
            for d, Y in zip(dists, interim_z, strict=True)
        ]
        alloc = _interim_x(dists, res.z, float(model.alpha))
        size = {"profiles": res.profiles}
        formulation = "(P-VV), virtual values with interim monotonicity"
    else:
        ic = IC_KINDS[0] if method == "pamd" else IC_KINDS[1]
        res = pamd_program(
            dists,
            model.alpha,
            model.cost,
            ic=ic,
            solver=solver,
            pairs=pairs,
            time_limit=time_limit,
        )
        interim_z, pays, alloc = res.interim_z, res.interim_payment, res.interim_allocation
        size = {
            "profiles": res.profiles,
            "variables": res.variables,
            "constraints": res.constraints,
        }
        label = "BIC + interim IR" if ic == "bayes" else "DSIC + ex-post IR"
        formulation = f"(P-AMD), {label}, IC on {pairs} pairs of types"
    buyers = []
    for i, d in enumerate(dists):
        rows = [
            {
                "v": v,
                "prob": d.probs[j],
                "r": d.r(v),
                "z": float(interim_z[i][j]),
                "x": float(alloc[i][j]),
                "p": float(pays[i][j]),
            }
            for j, v in enumerate(d.values)
        ]
        buyers.append({"family": d.family, "reserve_price": d.reserve_price(), "table": rows})
    closed = mech.expected_profit().value
    advice = ""
    if res.status == Status.OPTIMAL_INACCURATE:
        advice = (
            f"{formulation} was solved only inaccurately; compare closed_form_profit "
            f"({float(closed):.10g}), or use method = auto (Theorem 2.2, exact)"
        )
    elif res.status == Status.TIME_LIMIT:
        advice = "the solver stopped at its time limit: raise time_limit, or use pairs = local"
    return OfflineResult(
        status=res.status,
        expected_profit=res.value,
        method=method,
        backend=res.backend,
        solver=res.solver,
        seconds=time.perf_counter() - t0,
        stderr=0.0,
        abserr=0.0,
        formulation=formulation,
        expected_production=float(res.production @ profile_data(dists)[1]),
        alpha=model.alpha,
        cost=model.cost,
        buyers=buyers,
        closed_form_profit=closed,
        problem_size=size,
        laws=tuple(dists),
        mech=mech,
        advice=advice,
    )


def _interim_x(dists: list[Any], z: Any, alpha: float) -> list[Any]:
    idx, prob = profile_data(dists)
    x = np.maximum(np.asarray(z), 0.0) ** (1 / alpha)
    out = []
    for i, d in enumerate(dists):
        w = prob / np.asarray(d.probs, dtype=float)[idx[i]]
        out.append(np.bincount(idx[i], weights=w * x[i], minlength=len(d.values)))
    return out
