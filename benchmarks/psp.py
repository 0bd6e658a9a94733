"""PSP dynamics against the centralized program: speed, competitive ratios, partial links.

Three tables (not tests):

* (default) speed: rounds and time against size and ε, described below;
* ``--cr``: the competitive ratios of spec §2.10 (G1) over random markets — CR_welfare =
  W(final)/W*, CR_time = rounds / rounds of one pooled PSP auction (Q = Σ_j Q_j, same
  buyers), CR_time_route = rounds / rounds of the route market on the same graph — with
  the duration metrics (rounds, seller steps, messages, bids per buyer, wall-clock),
  median and worst over seeds, per (buyers, sellers, link density, ε, valuation family);
* ``--partial``: CR_welfare of partially linked markets as a function of the link
  density, with and without the shadow-price remedy (docs/psp.md, "Partially linked
  markets"): how often the stop loses more than the complete-graph bound 2nε, median
  and worst CR_welfare, over seeds and ε (supplies scaled by 0.1 so that ε = 0.01 runs
  in hundreds of passes, total demand at price 0 about the supply, reserve = retention
  ~ U[0.05, 0.5]);
* ``--route``: the same markets read as route markets (a buyer's sellers are its route):
  W/W* against network utility maximization (B3), Lazar–Semret's same price on every
  link against the per-link shadow prices.

Markets follow SIM-CMHK of the spec (§4.3): J sellers with Q_j ~ U[50, 100], buyers
with quadratic valuations θ_i'(0) ~ U[1, 2] and q̄_i ~ U[0.5, 1.5] · 2 ΣQ / n (total
demand at price 0 twice the supply), reserves 0.01, complete graph, asynchronous
schedule, start from no bids (``cold``) or, with ``--warm``, also from the truthful bids
at the cvxpy optimum (``warm``, :func:`datamech.solvers.psp.dynamics.warm_start`).  Prints
one row per (buyers, ε, start); ``turns`` counts the best replies actually computed
(buyers whose sellers saw no change are skipped), ``ms/turn`` the wall-clock per turn.
The dynamics run on the compiled order-book fast path (:mod:`datamech.solvers.psp.books`);
``--reference`` also times the reference path (``simulate(fast=False)``, same turns) on
the same market.  A run stops at the cap ``--max-iterations`` (default: derived from ε,
:func:`datamech.solvers.psp.default_max_iterations`) or after the first pass past
``--time-limit`` seconds (``conv`` False).  Not a test.

    python benchmarks/psp.py [--buyers 10 100 300 1000] [--sellers 20]
                             [--eps 0.1 0.03 0.01] [--max-iterations N] [--time-limit 120]
                             [--reference] [--warm] [--no-cold] [--plot DIR]
    python benchmarks/psp.py --cr [--buyers 10 30] [--sellers 3 6] [--density 1 0.5]
                             [--eps 0.1 0.03] [--family quadratic log linear_capped]
                             [--seeds 3]
    python benchmarks/psp.py --partial | --route [--buyers 12] [--sellers 4]
                             [--density 0.25 0.5 0.75 1] [--eps 0.1 0.03 0.01] [--seeds 12]
                             [--family quadratic linear_capped]
"""

from __future__ import annotations

import argparse
import time
import warnings
from itertools import product

import numpy as np

from datamech.models.psp import PSPModel
from datamech.models.psp_valuations import (
    LinearCappedValuation,
    LogValuation,
    QuadraticValuation,
)
from datamech.solvers.psp import (
    Market,
    RouteMarket,
    check_eps_nash,
    efficient_allocation,
    make_market,
    pooled_model,
    simulate,
)
from datamech.solvers.psp.dynamics import warm_start
from datamech.solvers.psp.plots import plot_convergence


def cmhk_market(
    n: int, J: int, eps: float, seed: int = 0, max_iterations: int | None = None
) -> PSPModel:
    rng = np.random.default_rng(seed)
    Q = rng.uniform(50, 100, J)
    th0 = rng.uniform(1, 2, n)
    qbar = rng.uniform(0.5, 1.5, n) * 2 * Q.sum() / n
    vals = tuple(QuadraticValuation(t / qb, qb) for t, qb in zip(th0, qbar, strict=True))
    return PSPModel(
        Q,
        tuple(f"b{i}" for i in range(n)),
        vals,
        eps,
        reserve=np.full(J, 0.01),
        max_iterations=max_iterations,
        seed=seed,
    )


FAMILIES = ["quadratic", "log", "linear_capped"]


def random_market(
    n: int,
    J: int,
    eps: float,
    seed: int,
    density: float = 1.0,
    family: str = "quadratic",
    reserves: tuple[float, float] = (0.01, 0.01),
    scale: float = 1.0,
    demand: float = 2.0,
) -> PSPModel:
    """SIM-CMHK (spec §4.3): Q_j ~ U[50, 100] (times ``scale``), θ_i'(0) ~ U[1, 2], demand
    at price 0 of U[0.5, 1.5] · ``demand`` · ΣQ / n (quadratic q̄, linear-capped cap; log:
    a = that / 2); an
    Erdős–Rényi bipartite graph with edge probability ``density`` (every buyer keeps one
    link at least); reserve = retention ~ U[reserves] (so the complete-graph bound is 2nε).
    """
    rng = np.random.default_rng(seed)
    Q = (scale * rng.uniform(50, 100, J)).round(3)
    th0 = rng.uniform(1, 2, n)
    size = rng.uniform(0.5, 1.5, n) * demand * Q.sum() / n
    if family == "quadratic":
        vals = tuple(QuadraticValuation(t / s, s) for t, s in zip(th0, size, strict=True))
    elif family == "log":
        vals = tuple(LogValuation(t * s / 2, s / 2) for t, s in zip(th0, size, strict=True))
    else:
        vals = tuple(LinearCappedValuation(t, s) for t, s in zip(th0, size, strict=True))
    E = rng.random((n, J)) < density
    E[np.arange(n), rng.integers(0, J, n)] = True
    r = rng.uniform(*reserves, J).round(4)
    return PSPModel(Q, tuple(f"b{i}" for i in range(n)), vals, eps, reserve=r, retention=r,
                    edges=E, seed=seed)  # fmt: skip


def cr_table(args) -> None:
    """Competitive ratios and duration over random markets (spec §2.10)."""
    print(
        f"{'n':>4} {'J':>3} {'dens':>5} {'eps':>5} {'family':>13} {'runs':>4} | "
        f"{'CRw med':>8} {'CRw worst':>9} | {'CRt med':>7} {'CRt worst':>9} | "
        f"{'CRroute med':>11} {'worst':>7} | {'rounds':>6} {'max':>6} {'sel.steps':>9} "
        f"{'msgs':>6} {'bids/b':>6} {'wall s':>6} {'max':>6} | {'route W/W*':>10}"
    )
    grid = product(args.buyers, args.sellers, args.density, args.eps, args.family)
    for n, J, dens, eps, fam in grid:
        rows = [_cr_run(n, J, dens, eps, fam, s, args) for s in range(args.seeds)]
        _print_cr(n, J, dens, eps, fam, rows)


def _cr_run(n, J, dens, eps, fam, seed, args) -> dict:
    model = random_market(n, J, eps, seed, dens, fam)
    bench = efficient_allocation(model)
    market = make_market(model)
    run = simulate(market, time_limit=args.time_limit)
    W = market.outcome(run.q, run.p).welfare
    pooled = simulate(Market(pooled_model(model)), time_limit=args.time_limit)
    route_model = model.with_options(market="route")
    route = simulate(RouteMarket(route_model), time_limit=args.time_limit)
    rm = RouteMarket(route_model)
    route_eff = rm.outcome(route.q, route.p).welfare / efficient_allocation(route_model).welfare
    return dict(
        welfare=W / bench.welfare,
        time=run.rounds / pooled.rounds,
        time_route=run.rounds / route.rounds,
        rounds=run.rounds,
        seller_steps=run.seller_steps,
        messages=run.messages,
        bids_per_buyer=run.messages / n,
        seconds=run.seconds,
        converged=run.converged and pooled.converged and route.converged,
        route_eff=route_eff,
    )


def _print_cr(n, J, dens, eps, fam, rows) -> None:
    def col(key):
        return np.array([r[key] for r in rows], dtype=float)

    w, t, tr = col("welfare"), col("time"), col("time_route")
    flag = "" if all(r["converged"] for r in rows) else "  (some run hit a cap)"
    print(
        f"{n:>4} {J:>3} {dens:>5g} {eps:>5g} {fam:>13} {len(rows):>4} | "
        f"{np.median(w):>8.5f} {w.min():>9.5f} | {np.median(t):>7.3f} {t.max():>9.3f} | "
        f"{np.median(tr):>11.3f} {tr.max():>7.3f} | {np.median(col('rounds')):>6.0f} "
        f"{col('rounds').max():>6.0f} {np.median(col('seller_steps')):>9.0f} "
        f"{np.median(col('messages')):>6.0f} {np.median(col('bids_per_buyer')):>6.1f} "
        f"{np.median(col('seconds')):>6.2f} {col('seconds').max():>6.2f} | "
        f"{np.median(col('route_eff')):>10.5f}{flag}",
        flush=True,
    )


def partial_table(args) -> None:
    """CR_welfare against link density, with and without the shadow-price remedy."""
    _remedy_table(args, _partial_run)


def route_table(args) -> None:
    """The route market on random graphs: W/W* of (B3), same price vs per-link prices."""
    _remedy_table(args, _route_run)


def _remedy_table(args, run_one) -> None:
    print(
        f"{'n':>4} {'J':>3} {'dens':>5} {'family':>13} {'eps':>6} {'remedy':>12} {'runs':>4} | "
        f"{'loss>2nε':>8} {'CRw med':>8} {'CRw worst':>9} {'loss med':>9} "
        f"{'loss max':>9} {'2nε':>6} | {'nash ok':>7} {'rounds med':>10}"
    )
    grid = product(args.buyers, args.sellers, args.density, args.family, args.eps)
    for n, J, dens, fam, eps in grid:
        for remedy in ("none", "shadow_price"):
            rows = [run_one(n, J, dens, fam, eps, remedy, s, args) for s in range(args.seeds)]
            eff, loss, ok, rounds, conv = (np.array(c) for c in zip(*rows, strict=True))
            bound = 2 * n * eps
            print(
                f"{n:>4} {J:>3} {dens:>5g} {fam:>13} {eps:>6g} {remedy:>12} {len(rows):>4} | "
                f"{np.mean(loss > bound + 1e-9):>8.0%} {np.median(eff):>8.5f} "
                f"{eff.min():>9.5f} {np.median(loss):>9.4f} {loss.max():>9.4f} "
                f"{bound:>6.3g} | {ok.mean():>7.0%} {np.median(rounds):>10.0f}"
                + ("" if conv.all() else "  (some run hit a cap)"),
                flush=True,
            )


def _partial_run(n, J, dens, fam, eps, remedy, seed, args) -> tuple:
    model = random_market(n, J, eps, seed, dens, fam, reserves=(0.05, 0.5), scale=0.1,
                          demand=1.0)  # fmt: skip
    bench = efficient_allocation(model)
    market = make_market(model, remedy=remedy)
    run = simulate(market, time_limit=args.time_limit)
    W = market.outcome(run.q, run.p).welfare
    nash = check_eps_nash(market, run.q, run.p)
    return W / bench.welfare, bench.welfare - W, nash.ok, run.rounds, run.converged


def _route_run(n, J, dens, fam, eps, remedy, seed, args) -> tuple:
    model = random_market(n, J, eps, seed, dens, fam, scale=0.1, demand=1.0,
                          reserves=(0.05, 0.5)).with_options(market="route")  # fmt: skip
    bench = efficient_allocation(model)
    market = make_market(model, remedy=remedy)
    run = simulate(market, time_limit=args.time_limit)
    W = market.outcome(run.q, run.p).welfare
    nash = check_eps_nash(market, run.q, run.p)
    return W / bench.welfare, bench.welfare - W, nash.ok, run.rounds, run.converged


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cr", action="store_true", help="the competitive-ratio table")
    ap.add_argument("--partial", action="store_true", help="the partial-links study")
    ap.add_argument("--route", action="store_true", help="the route market's efficiency")
    ap.add_argument("--buyers", type=int, nargs="+", default=None)
    ap.add_argument("--sellers", type=int, nargs="+", default=None)
    ap.add_argument("--density", type=float, nargs="+", default=None)
    ap.add_argument("--family", nargs="+", default=FAMILIES)
    ap.add_argument("--seeds", type=int, default=None, help="markets per row")
    ap.add_argument("--eps", type=float, nargs="+", default=None)
    ap.add_argument(
        "--max-iterations", type=int, default=None, help="cap on passes (default: derived)"
    )
    ap.add_argument("--time-limit", type=float, default=120.0, help="seconds per run")
    ap.add_argument("--reference", action="store_true", help="also time simulate(fast=False)")
    ap.add_argument("--warm", action="store_true", help="also start from the cvxpy optimum")
    ap.add_argument("--no-cold", action="store_true", help="skip the runs from no bids")
    ap.add_argument("--plot", help="directory for convergence curves")
    args = ap.parse_args()
    warnings.simplefilter("ignore", RuntimeWarning)
    if args.cr:
        args.buyers = args.buyers or [10, 30]
        args.sellers = args.sellers or [3, 6]
        args.density = args.density or [1.0, 0.5]
        args.eps = args.eps or [0.1, 0.03]
        args.seeds = args.seeds or 3
        return cr_table(args)
    if args.partial or args.route:
        args.buyers = args.buyers or [12]
        args.sellers = args.sellers or [4]
        args.density = args.density or [0.25, 0.5, 0.75, 1.0]
        args.eps = args.eps or [0.1, 0.03, 0.01]
        args.seeds = args.seeds or 12
        args.family = args.family if args.family != FAMILIES else ["quadratic", "linear_capped"]
        return partial_table(args) if args.partial else route_table(args)
    args.buyers = args.buyers or [10, 100, 300, 1000]
    args.eps = args.eps or [0.1, 0.03, 0.01]
    args.sellers = (args.sellers or [20])[0]
    print(
        f"{'buyers':>7} {'sellers':>7} {'eps':>6} {'start':>5} {'rounds':>7} {'turns':>8} "
        f"{'conv':>5} {'psp s':>8} {'ms/turn':>7} "
        f"{'W*':>10} {'loss':>9} {'eff':>9} {'cvxpy s':>8}"
    )
    for n in args.buyers:
        runs = {}
        optimum = None
        for eps in args.eps:
            model = cmhk_market(n, args.sellers, eps, max_iterations=args.max_iterations)
            market = Market(model)
            bench = efficient_allocation(model)
            optimum = bench.welfare
            starts = ([] if args.no_cold else ["cold"]) + (["warm"] if args.warm else [])
            starts += ["ref"] if args.reference else []
            for start in starts:
                t0 = time.perf_counter()
                initial = warm_start(market, bench) if start == "warm" else None
                run = simulate(
                    market, initial=initial, fast=start != "ref", time_limit=args.time_limit
                )
                t_psp = time.perf_counter() - t0  # warm: includes building the start
                w = run.welfare_curve[-1]
                if start == "cold":
                    runs[eps] = run
                print(
                    f"{n:>7} {args.sellers:>7} {eps:>6g} {start:>5} {run.rounds:>7} "
                    f"{run.turns:>8} {run.converged!s:>5} {t_psp:>8.2f} "
                    f"{1e3 * t_psp / max(run.turns, 1):>7.3f} {bench.welfare:>10.3f} "
                    f"{bench.welfare - w:>9.4f} {w / bench.welfare:>9.6f} {bench.seconds:>8.2f}",
                    flush=True,
                )
        if args.plot and runs:
            plot_convergence(runs, f"{args.plot}/psp_convergence_n{n}", optimum=optimum)


if __name__ == "__main__":
    main()
