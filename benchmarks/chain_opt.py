"""OPT for the resale chain: time and welfare per model, DE vs certified grid enumeration.

Run:  python benchmarks/chain_opt.py [--quick]

The paper (App. D) reports about one minute per model at n = 5 for differential evolution
(50 iterations, population 5, from AVE) on a sampled objective; here the objective is
exact.  Enumeration certifies the best matrix on the grid of step 1/m.
"""

from __future__ import annotations

import argparse
import time

from datamech.experiments.table1 import PAPER_RULE, PAPER_TABLE1
from datamech.models.chain import paper_model
from datamech.solvers.chain.opt import grid_size, optimize_reallocation


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="skip the n = 5 enumerations")
    args = ap.parse_args()
    print("Differential evolution, exact objective, paper tie rule, n = 5 (3 restarts)")
    print(f"{'model':>5} {'seconds':>8} {'evals':>7} {'SW':>8} {'paper SW':>14} {'first best':>10}")
    for number in (1, 2, 3, 4):
        t0 = time.perf_counter()
        res = optimize_reallocation(paper_model(number, 5), **PAPER_RULE)
        mean, std = PAPER_TABLE1[(number, "OPT")][:2]
        print(
            f"{number:>5} {time.perf_counter() - t0:8.2f} {res.evaluations:7d} "
            f"{res.social_welfare:8.4f} {mean:8.3f}±{std:.3f} {res.first_best:10.4f}"
        )
    print()
    print("Certified grid enumeration (step 1/m), 2 worker processes")
    print(f"{'model':>5} {'n':>3} {'m':>3} {'matrices':>9} {'seconds':>8} {'SW':>8}")
    cases = [(2, 3, 4), (2, 4, 4), (4, 4, 4)] + ([] if args.quick else [(2, 5, 4), (4, 5, 4)])
    for number, n, m in cases:
        t0 = time.perf_counter()
        res = optimize_reallocation(
            paper_model(number, n), method="enumerate", m=m, workers=2, **PAPER_RULE
        )
        print(
            f"{number:>5} {n:>3} {m:>3} {grid_size(n, m):9d} {time.perf_counter() - t0:8.2f}"
            f" {res.social_welfare:8.4f}"
        )


if __name__ == "__main__":
    main()
