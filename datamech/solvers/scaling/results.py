"""The offline result object: headline figures, per-buyer tables, checks and plots.

:func:`solve_offline` solves a model of kind ``offline`` by

* ``closed_form`` (Theorem 2.2; its profit ``exact`` by convolution for discrete types,
  ``quad`` by deterministic quadrature with an error estimate otherwise, or ``mc``), or
* ``pamd`` / ``pamd_dsic`` (the automated-mechanism-design program (P-AMD), BIC or DSIC,
  :mod:`.amd`), or ``pvv`` (the virtual-value program (P-VV)) on discrete types; these
  also report the closed form's profit and the gap.

Examples
--------
>>> import datamech as dm
>>> res = solve_offline(dm.load("examples/models/offline_i3.toml"))
>>> res.expected_profit, res.method, res.checks["identity_gap"]
(Fraction(13, 7), 'exact', 0.0)
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, ClassVar

from ...errors import ModelError
from ...numeric import jsonable
from ...results import ResultMixin
from .offline import OfflineMechanism

PROFIT_METHODS = ("auto", "exact", "quad", "mc")
PROGRAM_METHODS = ("pamd", "pamd_dsic", "pvv")
METHODS = ("closed_form", *PROFIT_METHODS, *PROGRAM_METHODS)


@dataclass(frozen=True)
class OfflineResult(ResultMixin):
    """Offline optimum: ``expected_profit`` (with ``stderr`` for Monte Carlo, ``abserr``
    for quadrature, ``method``), ``expected_production`` E[D*] (discrete laws of r), per
    buyer the reserve price and, for discrete types, the table of r, interim allocation
    E[x_i | v_i] and interim payment E[p_i | v_i] by type; ``checks`` (payment identity
    E p_i = E[phi^ir_i x_i^alpha], IR, monotonicity: spec §2.4); for the programs also
    ``closed_form_profit`` and the problem size."""

    status: str
    expected_profit: Any
    stderr: float
    method: str
    expected_production: Any
    alpha: Any
    cost: Any
    buyers: list[dict[str, Any]]
    solver: str
    seconds: float
    abserr: float = 0.0
    checks: dict[str, Any] | None = None
    closed_form_profit: Any = None
    problem_size: dict[str, int] | None = None
    laws: tuple = ()
    _skip_fields: ClassVar[tuple[str, ...]] = ("laws",)

    def format(self) -> str:
        head = f"{float(self.expected_profit):.10g}"
        if self.stderr:
            head += f" +- {self.stderr:.2g} ({self.method})"
        elif self.abserr:
            kind = "mixture laws on a price grid" if self.method == "grid" else "quadrature"
            head += f" ({kind}, error <= {self.abserr:.2g})"
        else:
            head += f" ({self.method})"
        lines = [
            f"offline optimum ({self.method}), alpha = {self.alpha}, c = {self.cost}",
            f"expected profit      {head}",
            f"solver               {self.solver}",
        ]
        if self.closed_form_profit is not None:
            lines.append(f"closed form (Thm 2.2) {float(self.closed_form_profit):.10g}")
        if self.expected_production is not None:
            lines.append(f"expected production  {float(self.expected_production):.10g}")
        if self.checks:
            lines.append(
                "checks               identity gap {:.2g}, IR {}, monotone {}".format(
                    float(self.checks["identity_gap"]),
                    "ok" if self.checks["ir_ok"] else "VIOLATED",
                    "ok" if self.checks["monotone_ok"] else "VIOLATED",
                )
            )
        for i, b in enumerate(self.buyers):
            lines.append(f"buyer {i}: {b['family']}, reserve {jsonable(b['reserve_price'])}")
            for row in b.get("table", []):
                lines.append(
                    "  v = {v:<10.6g} r = {r:<10.6g} E[x] = {x:<12.6g} E[p] = {p:.6g}".format(
                        **{k: float(row[k]) for k in ("v", "r", "x", "p")}
                    )
                )
        return "\n".join(lines)

    def plot(self, out_dir: str | Path) -> list[Path]:
        """Revenue curves with concave hulls and ironed virtual values of the buyers'
        laws, as ``ironing.png`` and ``ironing.pdf`` in ``out_dir``."""
        from .plots import plot_ironing

        return plot_ironing(list(self.laws), out_dir)


def solve_offline(
    model: Any,
    method: str = "closed_form",
    samples: int = 200_000,
    seed: int = 0,
    check: bool = True,
    solver: str = "CLARABEL",
    pairs: str = "all",
) -> OfflineResult:
    """Solve an offline model (spec §2.4).

    Parameters
    ----------
    model : OfflineModel
        Buyers' laws, ``alpha`` and ``cost``.
    method : str
        ``closed_form`` (= ``auto``: exact for discrete types, else quadrature),
        ``exact``, ``quad``, ``mc``, or a program: ``pamd`` (BIC), ``pamd_dsic``, ``pvv``.
    samples, seed : int
        Monte Carlo size and seed (``mc``).
    check : bool
        Report the payment-identity, IR and monotonicity checks.
    solver : str
        cvxpy solver for the programs.
    pairs : {"all", "local"}
        (P-AMD) incentive constraints between all pairs of types or neighbours only.
    """
    if method not in METHODS:
        raise ModelError("method", f"must be one of {', '.join(METHODS)}; got {method!r}")
    t0 = time.perf_counter()
    dists = list(model.buyers)
    mech = OfflineMechanism(dists, model.alpha, model.cost)
    discrete = all(d.discrete for d in dists)
    if method in PROGRAM_METHODS:
        return _solve_program(model, mech, method, solver, t0, pairs)
    est = mech.expected_profit(
        method="auto" if method == "closed_form" else method, samples=samples, seed=seed
    )
    production = None
    if mech.h is None:
        # E[D*] = (alpha/c)^k E[S^k] = (alpha/c) OFFL / (1 - alpha): the profit's own
        # sum or quadrature gives it (exact in rationals for exact tables)
        one_minus = 1 - (Fraction(model.alpha) if mech.exact else float(model.alpha))
        production = mech.ratio * est.value / one_minus
    small = discrete and _profiles(model) <= 20_000
    buyers = []
    for i, d in enumerate(dists):
        entry: dict[str, Any] = {"family": d.family, "reserve_price": d.reserve_price()}
        if small:
            entry["table"] = _interim_table(mech, i)
        buyers.append(entry)
    checks = None
    if check and (small or not discrete):
        checks = {k: v for k, v in mech.check().items() if k not in ("revenue", "cost")}
    return OfflineResult(
        status="optimal",
        expected_profit=est.value,
        stderr=est.stderr,
        method=est.method,
        expected_production=production,
        alpha=model.alpha,
        cost=model.cost,
        buyers=buyers,
        solver="closed-form (Theorem 2.2)",
        seconds=time.perf_counter() - t0,
        abserr=est.abserr,
        checks=checks,
        laws=tuple(dists),
    )


def _solve_program(
    model: Any, mech: OfflineMechanism, method: str, solver: str, t0: float, pairs: str
) -> OfflineResult:
    from .amd import pamd_program
    from .offline import pvv_program

    dists = list(model.buyers)
    if not all(d.discrete for d in dists):
        raise ModelError("method", f"{method} needs discrete types (discretise the laws)")
    if method == "pvv":
        res: Any = pvv_program(dists, model.alpha, model.cost, solver=solver)
        interim_z = res.interim
        # (P-VV) has no payment variables: the interim payments follow from eq. (1),
        # P_j = sum_{l <= j} v_l (Y_l - Y_{l-1}); E[x | v] from the ex-post z
        pays = [_identity_payments(d, Y) for d, Y in zip(dists, interim_z, strict=True)]
        alloc = _interim_x(dists, res.z, float(model.alpha))
        size = {"profiles": res.profiles}
        label = f"cvxpy/{solver} (P-VV)"
    else:
        ic = "bayes" if method == "pamd" else "dominant"
        res = pamd_program(dists, model.alpha, model.cost, ic=ic, solver=solver, pairs=pairs)
        interim_z, pays, alloc = res.interim_z, res.interim_payment, res.interim_allocation
        size = {
            "profiles": res.profiles,
            "variables": res.variables,
            "constraints": res.constraints,
        }
        label = f"cvxpy/{solver} (P-AMD, {'BIC' if ic == 'bayes' else 'DSIC'})"
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
    return OfflineResult(
        status=res.status,
        expected_profit=res.objective,
        stderr=0.0,
        method=method,
        expected_production=float(res.production @ _profile_probs(dists)),
        alpha=model.alpha,
        cost=model.cost,
        buyers=buyers,
        solver=label,
        seconds=time.perf_counter() - t0,
        closed_form_profit=closed,
        problem_size=size,
        laws=tuple(dists),
    )


def _identity_payments(d: Any, Y: Any) -> list[float]:
    v = [float(t) for t in d.values]
    out, acc, prev = [], 0.0, 0.0
    for vj, yj in zip(v, Y, strict=True):
        acc += vj * (float(yj) - prev)
        prev = float(yj)
        out.append(acc)
    return out


def _interim_x(dists: list[Any], z: Any, alpha: float) -> list[Any]:
    import numpy as np

    from .amd import _profile_data

    idx, prob = _profile_data(dists)
    x = np.maximum(np.asarray(z), 0.0) ** (1 / alpha)
    out = []
    for i, d in enumerate(dists):
        w = prob / np.asarray(d.probs, dtype=float)[idx[i]]
        out.append(np.bincount(idx[i], weights=w * x[i], minlength=len(d.values)))
    return out


def _profile_probs(dists: list[Any]) -> Any:
    from .amd import _profile_data

    return _profile_data(dists)[1]


def _profiles(model: Any) -> int:
    n = 1
    for d in model.buyers:
        n *= len(d.values)
    return n


def _interim_table(mech: OfflineMechanism, i: int) -> list[dict[str, Any]]:
    dists = mech.dists
    rows = []
    for j, vi in enumerate(dists[i].values):
        ex = ep = 0
        others = [range(len(d.values)) if k != i else [j] for k, d in enumerate(dists)]
        for idx in itertools.product(*others):
            v = [d.values[t] for d, t in zip(dists, idx, strict=True)]
            pr = math.prod(
                d.probs[t] for k, (d, t) in enumerate(zip(dists, idx, strict=True)) if k != i
            )
            _, x = mech.allocate(v)
            ex += pr * x[i]
            ep += pr * mech.payments(v)[i]
        rows.append({"v": vi, "prob": dists[i].probs[j], "r": dists[i].r(vi), "x": ex, "p": ep})
    return rows
