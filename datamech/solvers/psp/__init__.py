"""Solvers for the PSP data exchange (seed 002, spec ``psp-exchange.md``).

* :mod:`.auction` — one local PSP auction (eqs. 1–4, 20; tie rules; reserve bid);
* :mod:`.market` — the multi-seller market, batched utilities, truthful ε-best reply;
* :mod:`.dynamics` — asynchronous / round-robin / synchronous bidding rounds;
* :mod:`.books` — per-seller order books, the fast path of the dynamics;
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

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
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
from .draft import DraftRun, draft_payments, simulate_draft
from .dynamics import Simulation, simulate, warm_start
from .equilibrium import NashCheck, best_deviation_value, check_eps_nash
from .market import Market, Outcome

OPTIONS = ("schedule", "max_rounds", "seed", "tie_rule", "tie_break", "check_nash")
OPTIONS += ("nash_sample", "backend", "winners_per_step", "isp_fallback", "initial_prices")
OPTIONS += ("warm_start",)


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
        The independent check: ``ok``, ``max_gap``, ``tolerance`` (2ε), ``checked``
        (draft mode: not run, ``ok`` is None).
    trace : tuple of dict
        Draft mode: the state published at every time step (spec §2.6); empty otherwise.
    reserves, isp_purchases : arrays, optional
        Draft mode: the final reserves r_j and the data each buyer bought from κ.
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
    reserves: np.ndarray | None = None
    isp_purchases: np.ndarray | None = None

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

    def plot(self, out_dir: str | Path) -> list[Path]:
        """Convergence curves of this run: efficiency W/W* and the number of buyers that
        updated (standard mode) or changed a bid (draft mode) per round; writes
        ``out_dir``/psp_convergence.png and .pdf and returns the paths.

        >>> import tempfile, datamech as dm
        >>> res = dm.solve(dm.load("examples/models/psp_cmhk_example.toml"))
        >>> [p.name for p in res.plot(tempfile.mkdtemp())]
        ['psp_convergence.png', 'psp_convergence.pdf']
        """
        from .plots import plot_convergence

        return plot_convergence(
            {self.epsilon: self},
            Path(out_dir) / "psp_convergence",
            optimum=self.optimal_welfare,
            efficiency=True,
        )

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
        ]
        if self.eps_nash["ok"] is None:
            lines.append("  2eps-Nash check  not run")
        else:
            lines.append(
                f"  2eps-Nash check  {'ok' if self.eps_nash['ok'] else 'FAILED'} "
                f"(max gain {self.eps_nash['max_gap']:.3g} "
                f"{'<=' if self.eps_nash['ok'] else '>'} "
                f"{self.eps_nash['tolerance']:.3g}, {self.eps_nash['checked']} buyers checked)"
            )
        if self.mode == "draft" and self.reserves is not None:
            lines.append(
                "  final reserves   "
                + ", ".join(
                    f"{s} {v:.4f}" for s, v in zip(self.sellers, self.reserves, strict=True)
                )
            )
            if self.isp_purchases is not None and np.any(self.isp_purchases > 0):
                lines.append(f"  bought from ISP  {float(np.sum(self.isp_purchases)):.4f}")
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
    ``warm_start`` (default False: start the dynamics from the centralized optimum's
    truthful bids, :func:`.dynamics.warm_start`); draft mode: ``winners_per_step``,
    ``isp_fallback``, ``initial_prices`` (:mod:`.draft`); ``check_nash`` (default
    True); ``nash_sample`` (check at most this many buyers, a seeded sample, default
    200); ``backend`` (cvxpy solver name for the benchmark).

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
    if model.mode == "draft":
        return _solve_draft(model, opts, t0)
    market = Market(model)
    bench = efficient_allocation(model, solver=opts.get("backend"))
    initial = warm_start(market, bench) if opts.get("warm_start", False) else None
    sim = simulate(market, initial=initial)
    q, p = sim.q, sim.p
    rounds, converged, messages = sim.rounds, sim.converged, sim.messages
    welfare_curve, updates_curve = sim.welfare_curve, sim.updates_curve
    outcome = market.outcome(q, p)
    dyn_seconds = sim.seconds
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
        solver=f"psp-{model.mode}{' (warm start)' if initial is not None else ''}"
        f" + cvxpy/{bench.solver}",
        seconds=time.perf_counter() - t0,
        dynamics_seconds=dyn_seconds,
        benchmark_seconds=bench.seconds,
    )


def _solve_draft(model: PSPModel, opts: dict[str, Any], t0: float) -> PSPResult:
    """Draft mode (spec §2.6): the draft's dynamics, eq.-(4) payments, the benchmark."""
    run = simulate_draft(
        model,
        winners_per_step=opts.get("winners_per_step", "all"),
        isp_fallback=bool(opts.get("isp_fallback", True)),
        initial_prices=opts.get("initial_prices"),
    )
    c = draft_payments(run.x, run.price, model.supply, run.reserve, model.tie_rule)
    z = run.x.sum(axis=1)
    values = np.array([v.value(z[i]) for i, v in enumerate(model.valuations)])
    unsold = np.maximum(model.supply - run.x.sum(axis=0), 0.0)
    welfare = float(values.sum() + np.dot(model.retention, unsold))
    bench = efficient_allocation(model, solver=opts.get("backend"))
    return PSPResult(
        status="converged" if run.converged else "max_rounds",
        mode=model.mode,
        schedule="draft time steps",
        tie_rule=model.tie_rule,
        epsilon=model.epsilon,
        buyers=model.buyers,
        sellers=model.sellers,
        bids={"quantity": run.x, "price": run.price},
        allocation=run.x,
        payments=c,
        utilities=values - c.sum(axis=1),
        revenue=c.sum(axis=0),
        welfare=welfare,
        optimal_welfare=bench.welfare,
        efficiency=welfare / bench.welfare if bench.welfare > 0 else float("nan"),
        loss=bench.welfare - welfare,
        rounds=run.rounds,
        converged=run.converged,
        messages=run.messages,
        feasible=bool(np.all(run.x.sum(axis=0) <= model.supply * (1 + 1e-9) + 1e-9)),
        optimal_allocation=bench.x,
        optimal_prices=bench.prices,
        clearing_price=bench.clearing_price,
        price_dispersion=price_dispersion(run.x, run.price),
        eps_nash={"ok": None, "max_gap": None, "tolerance": 2 * model.epsilon, "checked": 0},
        welfare_curve=run.welfare_curve,
        updates_curve=run.updates_curve,
        trace=tuple(dataclasses.asdict(step) for step in run.trace),
        solver=f"psp-draft + cvxpy/{bench.solver}",
        seconds=time.perf_counter() - t0,
        dynamics_seconds=run.seconds,
        benchmark_seconds=bench.seconds,
        reserves=run.reserve,
        isp_purchases=run.isp,
    )


__all__ = [
    "AuctionOutcome",
    "Benchmark",
    "DraftRun",
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
    "draft_payments",
    "efficient_allocation",
    "exclusion_costs",
    "market_clearing_price",
    "market_price_function",
    "price_dispersion",
    "psp_allocation",
    "psp_costs",
    "simulate",
    "simulate_draft",
    "solve_model",
]
