"""Solvers for the PSP data exchange (seed 002, spec ``psp-exchange.md``).

* :mod:`.auction` — one local PSP auction (eqs. 1–4, 20; tie rules; reserve bid);
* :mod:`.market` — the multi-seller market, batched utilities, truthful ε-best reply;
* :mod:`.dynamics` — asynchronous / round-robin / synchronous bidding rounds;
* :mod:`.centralized` — the welfare-maximizing allocation in cvxpy (B1), clearing price;
* :mod:`.equilibrium` — independent ε-Nash check;
* :mod:`.plots` — convergence curves.

:func:`solve_model` runs the dynamics of the model's mode, the benchmark and the check.

Examples
--------
>>> import datamech as dm
>>> res = dm.solve(dm.load("examples/models/psp_elastic.toml"))
>>> res.converged, res.efficiency > 0.99, res.eps_nash["ok"]
(True, True, True)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import ModelError
from ...models.psp import SCHEDULES, PSPModel
from ...results import ResultMixin
from .auction import (
    AuctionOutcome,
    StepFunction,
    allocate,
    available_quantity,
    check_tie_rule,
    clear_auction,
    exclusion_costs,
    market_price_function,
    psp_allocation,
    psp_costs,
)
from .centralized import Benchmark, efficient_allocation, market_clearing_price
from .dynamics import Simulation, simulate
from .equilibrium import NashCheck, best_deviation_value, check_eps_nash
from .market import Market, Outcome

OPTIONS = ("schedule", "max_rounds", "seed", "tie_rule", "tie_break", "check_nash")
OPTIONS += ("nash_sample", "backend")


@dataclass(frozen=True)
class PSPResult(ResultMixin):
    """Outcome of the PSP dynamics next to the welfare optimum.

    Attributes
    ----------
    status : str
        ``"converged"`` or ``"max_rounds"`` (the dynamics hit the cap).
    bids : dict
        ``{"quantity": (n, J), "price": (n, J)}``, the final profile.
    allocation, payments : arrays (n, J)
        a_ij (eqs. 3/20) and c_ij (eq. 4) of the final profile.
    welfare, optimal_welfare, efficiency : float
        W(s), W* of (B1) and η = W(s) / W*.
    rounds, converged : int, bool
        Passes of the dynamics (the last one confirming) and whether it stopped by
        itself.
    eps_nash : dict
        The independent check: ``ok``, ``max_gap``, ``tolerance`` (2ε), ``checked``.
    """

    status: str
    mode: str
    schedule: str
    tie_rule: str
    epsilon: float
    buyers: tuple
    sellers: tuple
    bids: dict
    allocation: np.ndarray
    payments: np.ndarray
    utilities: np.ndarray
    revenue: np.ndarray
    welfare: float
    optimal_welfare: float
    efficiency: float
    loss: float
    rounds: int
    converged: bool
    messages: int
    feasible: bool
    optimal_allocation: np.ndarray
    optimal_prices: np.ndarray
    clearing_price: float
    price_dispersion: float
    eps_nash: dict
    welfare_curve: tuple
    updates_curve: tuple
    trace: tuple
    solver: str
    seconds: float
    dynamics_seconds: float
    benchmark_seconds: float

    def to_frame(self):
        """One row per (buyer, seller) edge with a bid or an allocation."""
        import pandas as pd

        q = np.asarray(self.bids["quantity"])
        p = np.asarray(self.bids["price"])
        rows = []
        for i, b in enumerate(self.buyers):
            for j, s in enumerate(self.sellers):
                if q[i, j] > 0 or self.allocation[i, j] > 0 or self.optimal_allocation[i, j] > 0:
                    rows.append(
                        {
                            "buyer": b,
                            "seller": s,
                            "bid_quantity": q[i, j],
                            "bid_price": p[i, j],
                            "allocation": self.allocation[i, j],
                            "payment": self.payments[i, j],
                            "optimal_allocation": self.optimal_allocation[i, j],
                        }
                    )
        return pd.DataFrame(rows)

    def format(self) -> str:
        """A readable summary: headline numbers and the per-buyer table."""
        lines = [
            f"PSP data exchange ({self.mode} mode, {self.schedule}, tie rule {self.tie_rule}, "
            f"epsilon {self.epsilon:g})",
            f"  status           {self.status} after {self.rounds} rounds "
            f"({self.messages} bids sent)",
            f"  welfare          {self.welfare:.6f}",
            f"  optimal welfare  {self.optimal_welfare:.6f}",
            f"  efficiency       {self.efficiency:.6f}  (loss {self.loss:.6f})",
            f"  revenue          {float(np.sum(self.revenue)):.6f}",
            f"  clearing price   {self.clearing_price:.6f} (pooled);  seller duals "
            + ", ".join(
                f"{s} {v:.4f}" for s, v in zip(self.sellers, self.optimal_prices, strict=True)
            ),
            f"  2eps-Nash check  {'ok' if self.eps_nash['ok'] else 'FAILED'} "
            f"(max gain {self.eps_nash['max_gap']:.3g} <= {self.eps_nash['tolerance']:.3g}, "
            f"{self.eps_nash['checked']} buyers checked)",
        ]
        if not self.feasible:
            lines.append("  WARNING: allocation exceeds supply (tie rule 'strict')")
        lines.append("")
        lines.append(
            f"  {'buyer':<10} {'alloc':>10} {'payment':>10} {'utility':>10} {'optimal':>10}"
        )
        a = self.allocation.sum(axis=1)
        c = self.payments.sum(axis=1)
        z = self.optimal_allocation.sum(axis=1)
        for i, b in enumerate(self.buyers[:50]):
            lines.append(
                f"  {b:<10} {a[i]:>10.4f} {c[i]:>10.4f} {self.utilities[i]:>10.4f} {z[i]:>10.4f}"
            )
        if len(self.buyers) > 50:
            lines.append(f"  ... {len(self.buyers) - 50} more buyers")
        return "\n".join(lines)


def _options(model: PSPModel, options: dict[str, Any]) -> dict[str, Any]:
    opts = dict(model.solver_options)
    opts.update(options)
    for k in opts:
        if k not in OPTIONS:
            raise ModelError(f"solver.{k}", f"unknown option (allowed: {', '.join(OPTIONS)})")
    if "tie_break" in opts:  # the CLI's --tie-break
        opts["tie_rule"] = opts.pop("tie_break")
    if "tie_rule" in opts:
        check_tie_rule(opts["tie_rule"])
    if "schedule" in opts and opts["schedule"] not in SCHEDULES:
        raise ModelError(
            "solver.schedule",
            f"unknown schedule {opts['schedule']!r} (known: {', '.join(SCHEDULES)})",
        )
    return opts


def price_dispersion(q: np.ndarray, p: np.ndarray) -> float:
    """max − min of the active bid prices (spec §3 metrics; whole market)."""
    active = p[q > 0]
    return float(active.max() - active.min()) if active.size else 0.0


def solve_model(model: PSPModel, **options: Any) -> PSPResult:
    """Run the model's PSP dynamics, the welfare benchmark and the ε-Nash check.

    Options (keywords, or the model file's ``[solver]`` table): ``schedule``,
    ``max_rounds``, ``seed``, ``tie_rule`` (alias ``tie_break``) override the model;
    ``check_nash`` (default True); ``nash_sample`` (check at most this many buyers,
    a seeded sample, default 200); ``backend`` (cvxpy solver name for the benchmark).

    Examples
    --------
    >>> from datamech.models.psp import PSPModel
    >>> from datamech.models.psp_valuations import LinearCappedValuation as L
    >>> m = PSPModel([65.0, 85.0], ("A", "B", "C", "D", "E"),
    ...     tuple(L(p, d) for p, d in [(1, 50), (1.2, 40), (1.5, 26), (2, 20), (2.2, 14)]),
    ...     0.1, schedule="round_robin", retention=[0.0, 0.0])
    >>> r = solve_model(m)
    >>> r.rounds, round(r.welfare, 6), round(r.optimal_welfare, 6)   # REG-9, REG-5
    (2, 207.3, 207.8)
    """
    t0 = time.perf_counter()
    opts = _options(model, options)
    changes = {k: opts[k] for k in ("schedule", "max_rounds", "seed", "tie_rule") if k in opts}
    if changes:
        model = model.with_options(**changes)
    market = Market(model)
    if model.mode == "draft":
        # spec §2.6 rules (opt-out split, seller progressive allocation) are not built yet
        raise ModelError("mode", "draft mode (spec §2.6) is not implemented yet; use 'standard'")
    sim = simulate(market)
    q, p = sim.q, sim.p
    rounds, converged, messages = sim.rounds, sim.converged, sim.messages
    welfare_curve, updates_curve = sim.welfare_curve, sim.updates_curve
    outcome = market.outcome(q, p)
    dyn_seconds = sim.seconds
    bench = efficient_allocation(model, solver=opts.get("backend"))
    if opts.get("check_nash", True):
        sample = int(opts.get("nash_sample", 200))
        who = None
        if market.n > sample:
            who = np.sort(np.random.default_rng(model.seed).choice(market.n, sample, False))
        nash = check_eps_nash(market, q, p, buyers=who)
        nash_d = {
            "ok": nash.ok,
            "max_gap": nash.max_gap,
            "tolerance": nash.tolerance,
            "checked": int(nash.buyers.size),
        }
    else:
        nash_d = {"ok": None, "max_gap": None, "tolerance": 2 * model.epsilon, "checked": 0}
    welfare = outcome.welfare
    return PSPResult(
        status="converged" if converged else "max_rounds",
        mode=model.mode,
        schedule=model.schedule,
        tie_rule=model.tie_rule,
        epsilon=model.epsilon,
        buyers=model.buyers,
        sellers=model.sellers,
        bids={"quantity": q, "price": p},
        allocation=outcome.allocation,
        payments=outcome.costs,
        utilities=outcome.utility,
        revenue=outcome.revenue,
        welfare=welfare,
        optimal_welfare=bench.welfare,
        efficiency=welfare / bench.welfare if bench.welfare > 0 else float("nan"),
        loss=bench.welfare - welfare,
        rounds=rounds,
        converged=converged,
        messages=messages,
        feasible=outcome.feasible,
        optimal_allocation=bench.x,
        optimal_prices=bench.prices,
        clearing_price=bench.clearing_price,
        price_dispersion=price_dispersion(q, p),
        eps_nash=nash_d,
        welfare_curve=welfare_curve,
        updates_curve=updates_curve,
        trace=(),
        solver=f"psp-{model.mode} + cvxpy/{bench.solver}",
        seconds=time.perf_counter() - t0,
        dynamics_seconds=dyn_seconds,
        benchmark_seconds=bench.seconds,
    )


__all__ = [
    "AuctionOutcome",
    "Benchmark",
    "Market",
    "NashCheck",
    "Outcome",
    "PSPResult",
    "Simulation",
    "StepFunction",
    "allocate",
    "available_quantity",
    "best_deviation_value",
    "check_eps_nash",
    "check_tie_rule",
    "clear_auction",
    "efficient_allocation",
    "exclusion_costs",
    "market_clearing_price",
    "market_price_function",
    "price_dispersion",
    "psp_allocation",
    "psp_costs",
    "simulate",
    "solve_model",
]
