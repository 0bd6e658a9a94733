"""Benchmark: the general infosale LP (spec §3.2) at m = 40, 80, 160 type cells per buyer.

Example 3 (alpha = 1/2), i.i.d. Exp(1) types, revenue objective, all constraints on.
Prints wall time (build + solve) and the process's peak resident set (ru_maxrss; it
includes HiGHS's C++ memory and never decreases, so every row runs in its own
subprocess).  ``--tracemalloc`` adds the Python-heap peak, measured in a second run
because tracing slows allocation-heavy code several-fold.
Target (issue 6): m = 160 in under 10 s and under 4 GB.

    python benchmarks/infosale.py [--cells 40 80 160] [--backends highspy cvxpy]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time, tracemalloc
from datamech.models.infosale import create
from datamech.solvers.infosale import solve_lp, solve_greedy
m, backend, trace = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
model = create("competition", alpha=0.5, cells=m)
t0 = time.perf_counter()
res = solve_lp(model, backend=backend)
seconds = time.perf_counter() - t0
rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
peak = float("nan")
if trace:
    tracemalloc.start()
    solve_lp(model, backend=backend)
    peak = tracemalloc.get_traced_memory()[1]
check = solve_greedy(model).value
print(json.dumps({"seconds": seconds, "py_peak_mb": peak / 2**20, "rss_mb": rss_kb / 1024,
                  "value": res.value, "gap_vs_greedy": abs(res.value - check), "status": res.status}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, nargs="+", default=[40, 80, 160])
    ap.add_argument("--backends", nargs="+", default=["highspy", "cvxpy"])
    ap.add_argument("--tracemalloc", action="store_true", help="also measure the Python-heap peak")
    args = ap.parse_args()
    header = f"{'m':>5} {'backend':>8} {'sigma vars':>11} {'time [s]':>9} {'py peak [MB]':>13} {'max RSS [MB]':>13} {'revenue':>10} {'|LP-greedy|':>12}"
    print(header)
    print("-" * len(header))
    for m in args.cells:
        for backend in args.backends:
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(m), backend, "1" if args.tracemalloc else "0"],
                capture_output=True,
                text=True,
            )
            if out.returncode != 0:
                print(f"{m:>5} {backend:>8}  failed: {out.stderr.strip().splitlines()[-1]}")
                continue
            d = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"{m:>5} {backend:>8} {8 * m * m:>11} {d['seconds']:>9.2f} {d['py_peak_mb']:>13.1f} "
                f"{d['rss_mb']:>13.1f} {d['value']:>10.6f} {d['gap_vs_greedy']:>12.1e}"
            )
            sys.stdout.flush()


if __name__ == "__main__":
    main()
