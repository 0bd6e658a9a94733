"""The offline result object: headline figures and per-buyer allocation/payment tables."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ...numeric import jsonable
from ...results import ResultMixin
from .offline import OfflineMechanism


@dataclass(frozen=True)
class OfflineResult(ResultMixin):
    """Theorem 2.2 solved: ``expected_profit`` (with ``stderr`` and ``method``),
    ``expected_production`` E[D*] (exact for discrete types), and per buyer the reserve
    price and, for discrete types, the table of r, interim allocation E[x_i | v_i] and
    interim payment E[p_i | v_i] by type."""

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

    def format(self) -> str:
        lines = [
            f"offline optimum (Theorem 2.2), alpha = {self.alpha}, c = {self.cost}",
            f"expected profit      {float(self.expected_profit):.10g}"
            + (f" +- {self.stderr:.2g} ({self.method})" if self.stderr else f" ({self.method})"),
        ]
        if self.expected_production is not None:
            lines.append(f"expected production  {float(self.expected_production):.10g}")
        for i, b in enumerate(self.buyers):
            lines.append(f"buyer {i}: {b['family']}, reserve {jsonable(b['reserve_price'])}")
            for row in b.get("table", []):
                lines.append(
                    "  v = {v:<10.6g} r = {r:<10.6g} E[x] = {x:<12.6g} E[p] = {p:.6g}".format(
                        **{k: float(row[k]) for k in ("v", "r", "x", "p")}
                    )
                )
        return "\n".join(lines)


def solve_offline(model, method: str = "auto", samples: int = 200_000, seed: int = 0):
    t0 = time.perf_counter()
    mech = OfflineMechanism(list(model.buyers), model.alpha, model.cost)
    est = mech.expected_profit(method=method, samples=samples, seed=seed)
    discrete = all(d.discrete for d in model.buyers)
    production = None
    if all(law.is_discrete for law in mech.r_laws()):
        production = sum(p * mech.production(s) for s, p in mech.sum_law().items())
    buyers = []
    for i, d in enumerate(model.buyers):
        entry: dict[str, Any] = {"family": d.family, "reserve_price": d.reserve_price()}
        if discrete and _profiles(model) <= 20_000:
            entry["table"] = _interim_table(mech, i)
        buyers.append(entry)
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
    )


def _profiles(model) -> int:
    n = 1
    for d in model.buyers:
        n *= len(d.values)
    return n


def _interim_table(mech: OfflineMechanism, i: int) -> list[dict[str, Any]]:
    import itertools
    import math

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
