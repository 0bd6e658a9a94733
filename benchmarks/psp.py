"""PSP dynamics against the centralized program: rounds and time against size and ε.

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
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from datamech.models.psp import PSPModel
from datamech.models.psp_valuations import QuadraticValuation
from datamech.solvers.psp import Market, efficient_allocation, simulate
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--buyers", type=int, nargs="+", default=[10, 100, 300, 1000])
    ap.add_argument("--sellers", type=int, default=20)
    ap.add_argument("--eps", type=float, nargs="+", default=[0.1, 0.03, 0.01])
    ap.add_argument(
        "--max-iterations", type=int, default=None, help="cap on passes (default: derived)"
    )
    ap.add_argument("--time-limit", type=float, default=120.0, help="seconds per run")
    ap.add_argument("--reference", action="store_true", help="also time simulate(fast=False)")
    ap.add_argument("--warm", action="store_true", help="also start from the cvxpy optimum")
    ap.add_argument("--no-cold", action="store_true", help="skip the runs from no bids")
    ap.add_argument("--plot", help="directory for convergence curves")
    args = ap.parse_args()
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
