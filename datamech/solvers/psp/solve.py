"""Solving a PSP model (what :func:`datamech.solve` runs for kind ``psp``).

:func:`solve_model` resolves the options (:data:`~.options.OPTIONS`), refuses markets
whose books and benchmark would not fit in memory, runs the method's dynamics, the
centralized benchmark (B1) and, for ``dynamics``, the independent 2ε-Nash check, and
reports a :class:`~.result.PSPResult` whose status says how the run ended.
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from typing import Any

import numpy as np

from ...backends import CVXPY_SOLVERS
from ...errors import ModelError
from ...models.psp import PSPModel
from ...results import Certificate
from ...sizes import check_memory
from ...status import Status
from .centralized import Benchmark, efficient_allocation
from .draft import draft_payments, simulate_draft
from .dynamics import simulate, warm_start
from .equilibrium import check_eps_nash
from .market import Market
from .options import OPTIONS
from .result import PSPResult

#: Bytes per (buyer, seller) pair: the profile and order books of the dynamics (~330,
#: measured), the outcome's arrays and the benchmark's cvxpy/Clarabel program (~2,000,
#: measured at 1000 x 20 and 5000 x 40); a margin on top.
BYTES_PER_PAIR = 3000
#: Bytes per buyer besides (valuations, neighbour lists, per-buyer results).
BYTES_PER_BUYER = 2000


def estimate_bytes(model: PSPModel) -> float:
    """Memory a solve needs, from the model's size alone (before anything is allocated)."""
    n, J = model.n_buyers, model.n_sellers
    return float(n) * J * BYTES_PER_PAIR + float(n) * BYTES_PER_BUYER


def loss_bound(model: PSPModel, unsold: np.ndarray, bench: Benchmark) -> float:
    """The complete-graph bound on W* − W at a 2ε-Nash stop (docs/psp.md, "Efficiency").

    With every buyer linked to every seller and coordinated truthful bids (what the
    dynamics send), W* − W <= Σ_i gap_i + Σ_j (r_j − ρ_j)(U_j − U*_j) where gap_i <= 2ε
    is buyer i's best deviation gain, U the unsold supply at the stop and U* at the
    optimum; so W* − W <= 2nε + Σ_j (r_j − ρ_j)(U_j − U*_j).
    """
    unsold_opt = np.maximum(model.supply - bench.x.sum(axis=0), 0.0)
    mismatch = float(np.dot(model.reserve - model.retention, unsold - unsold_opt))
    return 2.0 * model.epsilon * model.n_buyers + mismatch


def price_dispersion(q: np.ndarray, p: np.ndarray) -> float:
    """max − min of the active bid prices (spec §3 metrics; whole market)."""
    active = p[q > 0]
    return float(active.max() - active.min()) if active.size else 0.0


def _resolve(model: PSPModel, options: dict[str, Any]) -> dict[str, Any]:
    """The model's ``[solver]`` table and the keywords, validated, defaults filled in."""
    with warnings.catch_warnings():  # dm.solve already warned about the table's old names
        warnings.simplefilter("ignore", DeprecationWarning)
        stored = OPTIONS.merge(model.solver_options)
    opts = OPTIONS.resolve(OPTIONS.merge(stored, options))
    backend = opts["backend"]
    if backend != "cvxpy":
        if isinstance(backend, str) and backend.lower() in CVXPY_SOLVERS:
            warnings.warn(
                f"backend = {backend!r} names a solver: use solver = {backend!r} "
                "(backend is the modelling layer, cvxpy)",
                DeprecationWarning,
                stacklevel=4,
            )
            opts["solver"] = opts["solver"] or backend
            opts["backend"] = "cvxpy"
        else:
            raise ModelError("solver.backend", f"unknown value {backend!r} (allowed: cvxpy)")
    return opts


def solve_model(model: PSPModel, **options: Any) -> PSPResult:
    """Run the model's PSP dynamics, the welfare benchmark and the ε-Nash check.

    Options (keywords, or the model file's ``[solver]`` table; ``datamech options psp``
    lists them): ``method`` (``dynamics`` | ``draft``), ``tie_break``, ``schedule``,
    ``seed``, ``max_iterations`` (override the model's values), ``time_limit``,
    ``warm_start``, ``check_nash``, ``nash_sample``, ``backend``/``solver`` (the
    benchmark's), and for ``draft`` ``winners_per_step``, ``isp_fallback``,
    ``initial_prices``.  Old names (``tie_rule``, ``max_rounds``, ``max_seconds``, a
    solver name given as ``backend``) work with a ``DeprecationWarning``.

    Examples
    --------
    >>> from datamech.models.psp import PSPModel
    >>> from datamech.models.psp_valuations import LinearCappedValuation as L
    >>> m = PSPModel([65.0, 85.0], ("A", "B", "C", "D", "E"),
    ...     tuple(L(p, d) for p, d in [(1, 50), (1.2, 40), (1.5, 26), (2, 20), (2.2, 14)]),
    ...     0.1, schedule="round_robin", retention=[0.0, 0.0])
    >>> r = solve_model(m)
    >>> r.status.value, r.rounds, round(r.welfare, 6), round(r.optimal_welfare, 6)  # REG-9, 5
    ('evaluated', 2, 207.3, 207.8)
    """
    t0 = time.perf_counter()
    opts = _resolve(model, options)
    keys = ("schedule", "seed", "tie_break", "max_iterations")
    changes = {k: opts[k] for k in keys if opts.get(k) is not None}
    if changes:
        model = model.with_options(**changes)
    n, J = model.n_buyers, model.n_sellers
    check_memory(
        "buyers",
        estimate_bytes(model),
        f"the order books and the welfare program of {n} buyers x {J} sellers",
        limit_gb=opts.pop("max_memory_gb", None),  # set here only when called directly
        hint="fewer buyers, sellers or links",
    )
    if opts["method"] == "draft":
        return _solve_draft(model, opts, t0)
    return _solve_dynamics(model, opts, t0)


def _solve_dynamics(model: PSPModel, opts: dict[str, Any], t0: float) -> PSPResult:
    market = Market(model)
    bench = efficient_allocation(model, solver=opts["solver"])
    initial = warm_start(market, bench) if opts["warm_start"] else None
    sim = simulate(market, initial=initial, time_limit=opts["time_limit"])
    q, p = sim.q, sim.p
    outcome = market.outcome(q, p)
    nash = None
    if opts["check_nash"]:
        who = None
        if market.n > opts["nash_sample"]:
            rng = np.random.default_rng(model.seed)
            who = np.sort(rng.choice(market.n, opts["nash_sample"], replace=False))
        nash = check_eps_nash(market, q, p, buyers=who)
    welfare = outcome.welfare
    loss = bench.welfare - welfare
    bound = loss_bound(model, outcome.unsold, bench)
    status, advice = _status(model, sim.stopped, sim.rounds, sim.max_iterations, nash, opts)
    notes = []
    if status is Status.EVALUATED and loss > bound + 1e-6 * max(1.0, abs(bench.welfare)):
        notes.append(_bound_warning(model, loss, bound))
    status, advice = _benchmark_accuracy(bench, status, advice, notes)
    for note in notes:
        warnings.warn(note, RuntimeWarning, stacklevel=3)
    return PSPResult(
        status=status,
        method="dynamics",
        backend=opts["backend"],
        solver=bench.solver,
        seconds=time.perf_counter() - t0,
        advice=advice,
        schedule=model.schedule,
        tie_break=model.tie_break,
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
        loss=loss,
        loss_bound=bound,
        warnings=tuple(notes),
        rounds=sim.rounds,
        max_iterations=sim.max_iterations,
        converged=sim.converged,
        messages=sim.messages,
        feasible=outcome.feasible,
        optimal_allocation=bench.x,
        optimal_prices=bench.prices,
        clearing_price=bench.clearing_price,
        price_dispersion=price_dispersion(q, p),
        eps_nash=nash,
        welfare_curve=sim.welfare_curve,
        updates_curve=sim.updates_curve,
        curve_step=sim.curve_step,
        trace=(),
        benchmark_status=bench.status,
        dynamics_seconds=sim.seconds,
        benchmark_seconds=bench.seconds,
        warm_start=initial is not None,
    )


def _solve_draft(model: PSPModel, opts: dict[str, Any], t0: float) -> PSPResult:
    """The draft's rules (spec §2.6), eq.-(4) payments, the benchmark."""
    run = simulate_draft(
        model,
        winners_per_step=opts["winners_per_step"],
        isp_fallback=opts["isp_fallback"],
        initial_prices=opts["initial_prices"],
        time_limit=opts["time_limit"],
    )
    c = draft_payments(run.x, run.price, model.supply, run.reserve, model.tie_break)
    z = run.x.sum(axis=1)
    values = np.array([v.value(z[i]) for i, v in enumerate(model.valuations)])
    unsold = np.maximum(model.supply - run.x.sum(axis=0), 0.0)
    welfare = float(values.sum() + np.dot(model.retention, unsold))
    bench = efficient_allocation(model, solver=opts["solver"])
    status, advice = _status(model, run.stopped, run.rounds, run.max_iterations, None, opts)
    notes: list[str] = []
    status, advice = _benchmark_accuracy(bench, status, advice, notes)
    for note in notes:
        warnings.warn(note, RuntimeWarning, stacklevel=3)
    return PSPResult(
        status=status,
        method="draft",
        backend=opts["backend"],
        solver=bench.solver,
        seconds=time.perf_counter() - t0,
        advice=advice,
        schedule="draft time steps",
        tie_break=model.tie_break,
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
        loss_bound=None,
        warnings=tuple(notes),
        rounds=run.rounds,
        max_iterations=run.max_iterations,
        converged=run.converged,
        messages=run.messages,
        feasible=bool(np.all(run.x.sum(axis=0) <= model.supply * (1 + 1e-9) + 1e-9)),
        optimal_allocation=bench.x,
        optimal_prices=bench.prices,
        clearing_price=bench.clearing_price,
        price_dispersion=price_dispersion(run.x, run.price),
        eps_nash=None,
        welfare_curve=run.welfare_curve,
        updates_curve=run.updates_curve,
        curve_step=1,
        trace=tuple(dataclasses.asdict(step) for step in run.trace),
        benchmark_status=bench.status,
        dynamics_seconds=run.seconds,
        benchmark_seconds=bench.seconds,
        reserves=run.reserve,
        isp_purchases=run.isp,
    )


def _status(
    model: PSPModel,
    stopped: str,
    rounds: int,
    cap: int,
    nash: Certificate | None,
    opts: dict[str, Any],
) -> tuple[Status, str | None]:
    """The status of a run and, unless it is ``evaluated``, what to change."""
    draft = opts["method"] == "draft"
    unit = "time steps" if draft else "passes"
    if stopped == "iteration_limit":
        if draft:
            return Status.ITERATION_LIMIT, (
                f"the draft's rules ran {rounds} time steps (max_iterations = {cap}) without "
                "closing every auction; equal initial prices herd (spec E8): give distinct "
                "initial prices, raise max_iterations, or use method = 'dynamics'"
            )
        return Status.ITERATION_LIMIT, (
            f"the dynamics ran {rounds} passes (max_iterations = {cap}) and buyers still "
            "update: raise max_iterations (passes grow like 1/epsilon: an update raises a "
            "price by about epsilon/qbar_i), raise epsilon, or set warm_start = true"
        )
    if stopped == "time_limit":
        return Status.TIME_LIMIT, (
            f"stopped at time_limit = {opts['time_limit']:g} s after {rounds} {unit}: "
            "raise time_limit or epsilon"
        )
    if nash is not None and not nash.ok:
        worst = nash.detail.get("worst_buyer")
        who = f"buyer {model.buyers[worst]!r}" if worst is not None else "a buyer"
        return Status.NOT_CONVERGED, (
            f"the dynamics stopped, but {who} gains {float(nash.max_violation):.3g} > 2 "
            f"epsilon = {nash.tolerance:.3g} by deviating, so the stop is not a 2ε-Nash "
            "equilibrium: lower epsilon, or use tie_break = 'proportional' (the ε-best "
            "reply assumes it)"
        )
    return Status.EVALUATED, None


def _bound_warning(model: PSPModel, loss: float, bound: float) -> str:
    if model.edges.all():
        why = "the graph is complete: check the tie rule (the bound assumes no ties at bids)"
    else:
        why = (
            "on a partially linked market a 2ε-Nash stop can lose welfare that does not "
            "shrink with epsilon"
        )
    return (
        f"W* - W = {loss:.6g} exceeds the complete-graph bound 2 n epsilon + "
        f"sum_j (r_j - rho_j)(U_j - U*_j) = {bound:.6g}; {why} (docs/psp.md, Efficiency)"
    )


def _benchmark_accuracy(
    bench: Benchmark, status: Status, advice: str | None, notes: list[str]
) -> tuple[Status, str | None]:
    """An inaccurate benchmark makes W*, the efficiency and the bound inaccurate."""
    if bench.status is Status.OPTIMAL:
        return status, advice
    notes.append(f"the welfare benchmark W* is {bench.status.value} ({bench.solver})")
    if status is Status.EVALUATED:
        return Status.OPTIMAL_INACCURATE, (
            f"W*, the efficiency and the loss bound come from a {bench.status.value} solve "
            f"by {bench.solver}: try another solver (solver = 'clarabel' or 'highs')"
        )
    return status, advice
