"""OPT for the resale chain: time and welfare per model, DE vs certified grid enumeration.

Run:  python benchmarks/chain_opt.py [--quick] [--mip-only]

The paper (App. D) reports about one minute per model at n = 5 for differential evolution
(50 iterations, population 5, from AVE) on a sampled objective; here the objective is
exact.  Enumeration certifies the best matrix on the grid of step 1/m.

The exact MIP (method "mip", pyomo + HiGHS) certifies the same grid optimum; its rows give
the model size (binaries, constraints) and time vs n, L and m next to the enumeration's
time on the same grid, on random exact-rational chains (values k/2, transitions in
quarters) and on paper Model 2, with a 60 s limit per MIP (size guard raised to 1,000
binaries); for the larger cases also the time when the MIP is given the enumeration's
optimum as its first incumbent (``start``).
"""

from __future__ import annotations

import argparse
import random
import time
from fractions import Fraction

from datamech.errors import ModelError, SolverError
from datamech.experiments.table1 import PAPER_RULE, PAPER_TABLE1
from datamech.models.chain import create, paper_model
from datamech.solvers.chain.mip import optimize_mip
from datamech.solvers.chain.opt import grid_size, optimize_reallocation


def random_chain(seed: int, n: int, L: int):
    """Exact-rational chain: values k/2 in [-2, 3], transition rows in quarters."""
    rng = random.Random(seed)
    vals = [Fraction(rng.randint(-4, 6), 2) for _ in range(L)]
    rows = []
    for _ in range(L):
        cuts = sorted(rng.randint(0, 4) for _ in range(L - 1))
        rows.append([Fraction(b - a, 4) for a, b in zip([0, *cuts], [*cuts, 4], strict=True)])
    return create(n, vals, rows, start=rng.randrange(L))


def mip_rows(quick: bool) -> None:
    print("Exact MIP (pyomo + HiGHS, 60 s limit) vs enumeration of the same grid, paper tie rule")
    print(
        f"{'model':>9} {'n':>2} {'L':>2} {'m':>2} {'matrices':>8} {'binaries':>8} {'constr':>7}"
        f" {'MIP s':>7} {'status':>10} {'enum s':>7} {'same SW':>7} {'start s':>7} {'status':>10}"
    )
    print("(start: the MIP again, given the enumeration optimum as its first incumbent)")
    cases = [("random", s, n, L, m) for n, L in ((2, 5), (3, 3), (3, 5)) for m in (2, 3, 4)
             for s in (0, 1, 2)]  # fmt: skip
    cases += [("random", 0, 3, 7, m) for m in (2, 3, 4)]
    cases += [("model2", 0, 2, 5, 4), ("model2", 0, 3, 7, 2), ("model2", 0, 3, 7, 4)]
    if not quick:
        cases += [("random", s, 4, L, m) for L, m in ((3, 4), (5, 2), (5, 3), (5, 4))
                  for s in (0, 1)]  # fmt: skip
        cases += [("random", 0, 4, 7, 2), ("random", 0, 5, 3, 2), ("model2", 0, 4, 9, 2)]
    for kind, seed, n, L, m in cases:
        model = random_chain(seed, n, L) if kind == "random" else paper_model(2, n)
        label = f"{kind}{seed}" if kind == "random" else kind
        t0 = time.perf_counter()
        enum = optimize_reallocation(model, method="enumerate", m=m)
        t_enum = time.perf_counter() - t0
        runs = []
        for start in (None, enum.matrix) if (n >= 4 or L >= 7) else (None,):
            t0 = time.perf_counter()
            try:
                res = optimize_mip(model, m=m, time_limit=60, max_binaries=1000, start=start)
                status, b, c, sw = res.status, res.binaries, res.constraints, res.social_welfare
            except (ModelError, SolverError) as err:
                status, b, c, sw = type(err).__name__, 0, 0, None
            runs.append((time.perf_counter() - t0, status, b, c, sw))
        t_mip, status, b, c, sw = runs[0]
        same = "-" if sw is None else str(abs(sw - enum.social_welfare) < 1e-9)
        warm = f"{runs[1][0]:7.2f} {runs[1][1]:>10}" if len(runs) > 1 else f"{'-':>7} {'-':>10}"
        print(
            f"{label:>9} {n:>2} {L:>2} {m:>2} {grid_size(n, m):8d} {b:8d} {c:7d} {t_mip:7.2f}"
            f" {status:>10} {t_enum:7.3f} {same:>7} {warm}",
            flush=True,
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="skip the n = 5 enumerations")
    ap.add_argument("--mip-only", action="store_true", help="only the MIP rows")
    args = ap.parse_args()
    mip_rows(args.quick)
    print()
    if args.mip_only:
        return
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
