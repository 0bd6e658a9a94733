"""Benchmark: the discretized second-best programs of bilateral trade (spec 003 §4.3).

For spec examples B1 (U[0,1] x U[1,2], alpha = 1/2) and B2 (U[0,1] x U[0,1],
alpha = 1/3) and the indivisible good on U[0,1] x U[0,1] (SB = 9/64, lambda* = 1/2),
solve :func:`datamech.solvers.bilateral.programs.second_best_program` on K x K grids and
print the time, the GFT error and the error of the budget dual against lambda*.  Then
time the Lagrangian root search :func:`datamech.solvers.bilateral.second_best` on the
same instances, and (``--bic``) the BIC program on B1 by convex-concave steps (cvxpy,
the default) and by the pyomo NLP (ripopt/ipopt, when installed) against its upper bound.

    python benchmarks/bilateral.py [--ks 10 20 40 80 160] [--limit 120] [--bic]

A size whose solve takes longer than ``--limit`` seconds stops that instance's sweep
(the next, larger size is skipped).
"""

from __future__ import annotations

import argparse
import math
import time

from datamech.models.distributions import Uniform
from datamech.solvers.bilateral import second_best
from datamech.solvers.bilateral.programs import nlp_available, second_best_bic, second_best_program

# lambda*: roots of B at 30 digits (spec §6.2 prints 0.149171599753 and 0.249971984791)
CASES = {
    "B1": (Uniform(0, 1), Uniform(1, 2), "1/2", None, 0.0567197698, 0.149172133804),
    "B2": (Uniform(0, 1), Uniform(0, 1), "1/3", None, 0.292803487053, 0.25),
    "indivisible": (Uniform(0, 1), Uniform(0, 1), None, "indivisible", 9 / 64, 0.5),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ks", type=int, nargs="+", default=[10, 20, 40, 80, 160])
    ap.add_argument("--limit", type=float, default=120.0)
    ap.add_argument("--bic", action="store_true", help="also time the BIC program on B1")
    args = ap.parse_args()
    print(
        f"{'case':<12}{'K':>5}{'vars':>8}{'seconds':>10}{'GFT':>14}{'GFT err':>11}"
        f"{'lambda':>12}{'lambda err':>12}"
    )
    for name, (b, s, a, good, sb, lam) in CASES.items():
        for K in args.ks:
            t0 = time.perf_counter()
            r = second_best_program(b, s, alpha=a, good=good, grid=K)
            sec = time.perf_counter() - t0
            print(
                f"{name:<12}{K:>5}{K * K:>8}{sec:>10.2f}{r.gains_from_trade:>14.10f}"
                f"{sb - r.gains_from_trade:>11.2e}{r.lambda_star:>12.8f}"
                f"{r.lambda_star - lam:>12.2e}",
                flush=True,
            )
            if sec > args.limit:
                print(f"{name}: K = {K} took over {args.limit:g} s, larger sizes skipped")
                break
    print()
    print(
        f"{'root search':<12}{'seconds':>10}{'GFT':>16}{'GFT err':>11}{'lambda':>16}"
        f"{'lambda err':>12}"
    )
    for name, (b, s, a, good, sb, lam) in CASES.items():
        t0 = time.perf_counter()
        r = second_best(b, s, alpha=a, good=good)
        sec = time.perf_counter() - t0
        err = sb - r.gains_from_trade
        print(
            f"{name:<12}{sec:>10.3f}{r.gains_from_trade:>16.12f}{err:>11.2e}"
            f"{r.lambda_star:>16.12f}{r.lambda_star - lam:>12.2e}"
        )
    print(f"(spec values at 10 digits; B1 SB = {CASES['B1'][4]}, ln2/12 = {math.log(2) / 12:.10f})")
    if args.bic:
        bic(args.ks, args.limit)


def bic(ks: list[int], limit: float) -> None:
    """The BIC program on B1: seconds, status, GFT - upper bound, per backend."""
    b, s, a = CASES["B1"][:3]
    runs = [("cvxpy", "ccp")]
    runs += [("pyomo", name) for name in ("ipopt", "ripopt") if nlp_available(name)]
    print()
    print(f"{'BIC B1':<16}{'K':>5}{'seconds':>10}{'status':>15}{'GFT':>14}{'GFT - bound':>13}")
    for backend, solver in runs:
        for K in ks:
            t0 = time.perf_counter()
            r = second_best_bic(b, s, alpha=a, grid=K, backend=backend, solver=solver)
            sec = time.perf_counter() - t0
            print(
                f"{backend + '/' + solver:<16}{K:>5}{sec:>10.2f}{r.status:>15}"
                f"{r.gains_from_trade:>14.10f}{-r.gap:>13.1e}",
                flush=True,
            )
            if sec > limit:
                print(f"{solver}: K = {K} took over {limit:g} s, larger sizes skipped")
                break


if __name__ == "__main__":
    main()
