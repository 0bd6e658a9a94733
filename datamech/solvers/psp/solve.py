"""Solving a PSP model (what :func:`datamech.solve` runs for kind ``psp``).

:func:`solve_model` resolves the options (:data:`~.options.OPTIONS`), refuses markets
whose books and benchmark would not fit in memory, runs the method's dynamics, the
centralized benchmark ((B1), or (B3) for a route market) and, for ``dynamics``, the
independent 2ε-Nash check, measures the competitive ratios (spec §2.10, G1:
:func:`competitive_ratios`), and reports a :class:`~.result.PSPResult` whose status says
how the run ended.
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
from .dynamics import Simulation, simulate, warm_start
from .equilibrium import check_eps_nash
from .market import TINY, Market
from .options import OPTIONS
from .result import PSPResult
from .strategies import make_market

#: Bytes per (buyer, seller) pair: the profile and order books of the dynamics (~330,
#: measured), the outcome's arrays and the benchmark's cvxpy/Clarabel program (~2,000,
#: measured at 1000 x 20 and 5000 x 40); a margin on top.
BYTES_PER_PAIR = 3000
#: Bytes per buyer besides (valuations, neighbour lists, per-buyer results).
BYTES_PER_BUYER = 2000


def estimate_bytes(model: PSPModel) -> float:
    """Memory a solve needs, from the model's size alone (before anything is allocated).

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.
    """
    n, J = model.n_buyers, model.n_sellers
    return float(n) * J * BYTES_PER_PAIR + float(n) * BYTES_PER_BUYER


def loss_bound(model: PSPModel, unsold: np.ndarray, bench: Benchmark) -> float:
    """The complete-graph bound on W* − W at a 2ε-Nash stop (docs/psp.md, "Efficiency").

    With every buyer linked to every seller and coordinated truthful bids (what the
    dynamics send), W* − W <= Σ_i gap_i + Σ_j (r_j − ρ_j)(U_j − U*_j) where gap_i <= 2ε
    is buyer i's best deviation gain, U the unsold supply at the stop and U* at the
    optimum; so W* − W <= 2nε + Σ_j (r_j − ρ_j)(U_j − U*_j).  With participation costs
    a deviation to the optimum's quantities also pays ϱ_i per seller it uses, at most
    ϱ_i ``|N(i)|``, so Σ_i ϱ_i ``|N(i)|`` is added (W itself has no ϱ).

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.
    """
    unsold_opt = np.maximum(model.supply - bench.x.sum(axis=0), 0.0)  # route: x_i per link
    mismatch = float(np.dot(model.reserve - model.retention, unsold - unsold_opt))
    entry = float(np.dot(model.participation(), model.edges.sum(axis=1)))
    return 2.0 * model.epsilon * model.n_buyers + mismatch + entry


def pooled_model(model: PSPModel) -> PSPModel:
    """One PSP auction with Q = Σ_j Q_j and the same buyers (the T_pooled reference of
    CR_time); its reserve and retention are the smallest of the sellers'.

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.

    Examples
    --------
    >>> from datamech.models.psp_valuations import LinearCappedValuation as L
    >>> m = PSPModel([65.0, 85.0], ("A",), (L(1.0, 50.0),), 0.1, reserve=[0.2, 0.1])
    >>> pm = pooled_model(m)
    >>> pm.supply.tolist(), pm.reserve.tolist(), pm.sellers, pm.market
    ([150.0], [0.1], ('pool',), 'substitutes')
    """
    return model.with_options(
        supply=[float(np.sum(model.supply))],
        sellers=("pool",),
        reserve=[float(np.min(model.reserve))],
        retention=[float(np.min(model.retention))],
        edges=None,
        market="substitutes",
        solver_options={},
    )


def _side_run(model: PSPModel, opts: dict[str, Any], remedy: str = "none"):
    """A reference run for a ratio with the solve's method: the dynamics (cold, or warm
    if the solve was) or the draft's rules (with the solve's draft options)."""
    if opts["method"] == "draft":
        return simulate_draft(
            model,
            winners_per_step=opts["winners_per_step"],
            isp_fallback=opts["isp_fallback"],
            initial_prices=opts["initial_prices"],
            record=False,
            time_limit=opts["time_limit"],
        )
    market = make_market(model, remedy=remedy)
    initial = None
    if opts.get("warm_start"):
        initial = warm_start(market, efficient_allocation(model, solver=opts["solver"]))
    return simulate(market, initial=initial, time_limit=opts["time_limit"])


def competitive_ratios(
    model: PSPModel,
    rounds: int,
    efficiency: float,
    opts: dict[str, Any],
    same_as_pooled: Simulation | None = None,
) -> dict[str, Any]:
    """The measured competitive ratios of a run (the draft leaves them open; no theoretical value).

    ``welfare`` = W(final)/W*; with ``competitive_ratio`` = ``"time"`` or ``"all"``,
    ``time`` = T_distributed/T_pooled, the run's rounds over those of one PSP auction
    with Q = Σ_j Q_j and the same buyers (:func:`pooled_model`) played by the same
    method (the dynamics' passes, or the draft's time steps); with ``"all"`` on a data
    market and ``method = "dynamics"``, ``time_route`` = T_distributed/T_route against
    the route market on the same graph (with the solve's ``remedy``; the draft's rules
    have no route form).  The rounds behind each ratio (and whether those runs stopped
    by themselves) are in the dictionary too; ratios not measured are None.

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.
    """
    out: dict[str, Any] = {
        "welfare": efficiency,
        "time": None,
        "time_route": None,
        "rounds": rounds,
        "pooled_rounds": None,
        "pooled_converged": None,
        "route_rounds": None,
        "route_converged": None,
    }
    if opts["competitive_ratio"] == "welfare":
        return out
    pooled = same_as_pooled or _side_run(pooled_model(model), opts)
    out.update(pooled_rounds=pooled.rounds, pooled_converged=pooled.converged)
    out["time"] = rounds / max(pooled.rounds, 1)
    route_applies = not model.is_route and opts["method"] == "dynamics"
    if opts["competitive_ratio"] == "all" and route_applies:
        route = _side_run(model.with_options(market="route"), opts, opts["remedy"])
        out.update(route_rounds=route.rounds, route_converged=route.converged)
        out["time_route"] = rounds / max(route.rounds, 1)
    return out


def price_dispersion(q: np.ndarray, p: np.ndarray) -> float:
    """max − min of the active bid prices (whole market).

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.
    """
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
    ``warm_start``, ``check_nash``, ``nash_sample``, ``split``, ``remedy``,
    ``competitive_ratio``, ``backend``/``solver`` (the benchmark's), and for ``draft``
    ``winners_per_step``, ``isp_fallback``, ``initial_prices``.  Old names (``tie_rule``, ``max_rounds``, ``max_seconds``, a
    solver name given as ``backend``) work with a ``DeprecationWarning``.

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.

    Examples
    --------
    >>> from datamech.models.psp import PSPModel
    >>> from datamech.models.psp_valuations import LinearCappedValuation as L
    >>> m = PSPModel([65.0, 85.0], ("A", "B", "C", "D", "E"),
    ...     tuple(L(p, d) for p, d in [(1, 50), (1.2, 40), (1.5, 26), (2, 20), (2.2, 14)]),
    ...     0.1, schedule="round_robin", retention=[0.0, 0.0])
    >>> r = solve_model(m)
    >>> r.status.value, r.rounds, round(r.welfare, 6), round(r.optimal_welfare, 6)  # §3.4.4, 5
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
        if model.is_route:
            raise ModelError(
                "solver.method",
                "draft does not apply: the draft's rules (spec §2.6) are for market = "
                "'substitutes'; use method = 'dynamics' on a route market",
            )
        return _solve_draft(model, opts, t0)
    return _solve_dynamics(model, opts, t0)


def _solve_dynamics(model: PSPModel, opts: dict[str, Any], t0: float) -> PSPResult:
    market = make_market(model, opts["split"], opts["remedy"])
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
    efficiency = welfare / bench.welfare if bench.welfare > 0 else float("nan")
    # one seller, plain market: the pooled auction is this very market (the same run)
    same = model.n_sellers == 1 and type(market) is Market
    ratios = competitive_ratios(model, sim.rounds, efficiency, opts, sim if same else None)
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
        efficiency=efficiency,
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
        market=model.market,
        split=opts["split"],
        remedy=opts["remedy"],
        competitive_ratio=ratios,
        seller_steps=sim.seller_steps,
        turns=sim.turns,
        participation_costs=market.rho * (q > TINY).sum(axis=1),
        edges=model.edges,
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
    efficiency = welfare / bench.welfare if bench.welfare > 0 else float("nan")
    ratios = competitive_ratios(model, run.rounds, efficiency, opts)
    rho = model.participation() * (run.x > TINY).sum(axis=1)
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
        utilities=values - c.sum(axis=1) - rho,
        revenue=c.sum(axis=0),
        welfare=welfare,
        optimal_welfare=bench.welfare,
        efficiency=efficiency,
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
        competitive_ratio=ratios,
        seller_steps=run.seller_steps,
        participation_costs=rho,
        edges=model.edges,
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
        if opts.get("split") == "equal":
            fix = (
                "the draft's equal split is not a best reply here (a buyer gains by "
                "buying the cheapest units first): use split = 'greedy'"
            )
        else:
            fix = "lower epsilon, or use tie_break = 'proportional' (the ε-best reply assumes it)"
        return Status.NOT_CONVERGED, (
            f"the dynamics stopped, but {who} gains {float(nash.max_violation):.3g} > 2 "
            f"epsilon = {nash.tolerance:.3g} by deviating, so the stop is not a 2ε-Nash "
            f"equilibrium: {fix}"
        )
    return Status.EVALUATED, None


def _bound_warning(model: PSPModel, loss: float, bound: float) -> str:
    if model.is_route:
        why = (
            "in a route market a buyer bids its whole marginal value on every link of its "
            "route, which can block buyers of one link (docs/psp.md, Route market)"
        )
    elif model.edges.all():
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
