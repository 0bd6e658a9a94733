"""Benchmark: the general infosale LP (spec §3.2) at m = 40, 80, 160 type cells per buyer.

Example 3 (alpha = 1/2), i.i.d. Exp(1) types, revenue objective, all constraints on.
Prints wall time (build + solve) and the process's peak resident set (ru_maxrss; it
includes HiGHS's C++ memory and never decreases, so every row runs in its own
subprocess).  ``--tracemalloc`` adds the Python-heap peak, measured in a second run
because tracing slows allocation-heavy code several-fold.
Target (issue 6): m = 160 in under 10 s and under 4 GB.

The first table also shows the LP's nonzeros and the peak resident memory per nonzero
above the interpreter's baseline, the constant the size guard uses
(``datamech.solvers.infosale.estimate.BYTES_PER_NONZERO``).

A second table times sweeps with the persistent LP (:class:`InfoSaleLP`): a prior sweep
and a revenue/welfare-mix sweep, each re-solve against a fresh ``solve_lp`` of the same
data (``|diff|`` is the largest value difference; the target is 1e-9).

``--convergence`` prints the grid-error table of docs/infosale.md instead: the error of
revenue and welfare against the closed forms of spec §4.3 (Example 3, Exp(1), mu = 1/2)
for m cells per buyer under both grid schemes, computed with the greedy (equal to the
full LP to 1e-15; checked with the LP up to m = 80), with the observed order
log2(err(m/2)/err(m)).

    python benchmarks/infosale.py [--cells 40 80 160] [--backends highspy cvxpy]
                                  [--sweep-cells 40 80 160] [--no-sweep]
    python benchmarks/infosale.py --convergence [--alpha 0.5] [--cells 10 20 ... 640]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time, tracemalloc
from datamech.models.infosale import create
from datamech.solvers.infosale import build_lp, solve_lp, solve_greedy
m, backend, trace = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
model = create("competition", alpha=0.5, cells=m)
base_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
nnz = build_lp(model).A.nnz
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
                  "bytes_per_nnz": (rss_kb - base_kb) * 1024 / nnz, "nnz": nnz,
                  "value": res.value, "gap_vs_greedy": abs(res.value - check), "status": res.status}))
"""

SWEEP = r"""
import json, sys, time
import numpy as np
from datamech.models.infosale import Objective, create
from datamech.solvers.infosale import InfoSaleLP, solve_lp
m, backend = int(sys.argv[1]), sys.argv[2]
base = create("competition", alpha=0.5, cells=m, scheme="left")  # one grid for every mix
priors = [0.52, 0.55, 0.6, 0.65, 0.7]
mixes = [(0.8, 0.2), (0.6, 0.4), (0.4, 0.6), (0.2, 0.8), (0.0, 1.0)]
d1, d2 = "KroneckerDelta(a1, theta)", "KroneckerDelta(a2, theta)"
def mix_model(wr, ww):
    e = f"{wr}*(p1 + p2) + {ww}*(v1*({d1} - 0.5*{d2}) + v2*({d2} - 0.5*{d1}))"
    return base.replace(objective=Objective("expression", expression=e))
t0 = time.perf_counter()
plp = InfoSaleLP(base, backend=backend)
plp.solve()
cold = time.perf_counter() - t0
out = {"cold": cold}
for name, calls, fresh_models in (
    ("prior", [dict(prior=[p, 1 - p]) for p in priors],
     [base.replace(prior=np.array([p, 1 - p])) for p in priors]),
    ("mix", [dict(prior=[0.5, 0.5], mix=w) for w in mixes], [mix_model(*w) for w in mixes]),
):
    warm, fresh, diff = [], [], 0.0
    for kw, fm in zip(calls, fresh_models):
        t0 = time.perf_counter(); v = plp.solve(**kw).value; warm.append(time.perf_counter() - t0)
        t0 = time.perf_counter(); f = solve_lp(fm, backend=backend).value
        fresh.append(time.perf_counter() - t0)
        diff = max(diff, abs(v - f))
    out[name] = {"warm": sum(warm) / len(warm), "fresh": sum(fresh) / len(fresh), "diff": diff}
print(json.dumps(out))
"""


def sweep_table(cells: list[int], backends: list[str]) -> None:
    header = (
        f"{'m':>5} {'backend':>8} {'sweep':>6} {'build+cold [s]':>15} {'fresh [s]':>10} "
        f"{'re-solve [s]':>13} {'speed-up':>9} {'|diff|':>9}"
    )
    print()
    print("persistent LP (InfoSaleLP): mean time per solve over 5 parameter values")
    print(header)
    print("-" * len(header))
    for m in cells:
        for backend in backends:
            out = subprocess.run(
                [sys.executable, "-c", SWEEP, str(m), backend], capture_output=True, text=True
            )
            if out.returncode != 0:
                print(f"{m:>5} {backend:>8}  failed: {out.stderr.strip().splitlines()[-1]}")
                continue
            d = json.loads(out.stdout.strip().splitlines()[-1])
            for name in ("prior", "mix"):
                r = d[name]
                print(
                    f"{m:>5} {backend:>8} {name:>6} {d['cold']:>15.2f} {r['fresh']:>10.3f} "
                    f"{r['warm']:>13.3f} {r['fresh'] / r['warm']:>8.1f}x {r['diff']:>9.1e}"
                )
            sys.stdout.flush()


def convergence_table(cells: list[int], alpha: float) -> None:
    """Grid error of revenue and welfare against the closed forms, both schemes."""
    import math

    from datamech.models.infosale import create
    from datamech.solvers.infosale import exponential_closed_forms, solve_greedy, solve_lp

    cf = exponential_closed_forms(alpha)
    exact = {"revenue": cf["R"], "welfare": cf["W_2"]}
    cols = [(obj, scheme) for obj in ("revenue", "welfare") for scheme in ("left", "condmean")]
    print(f"Example 3, alpha = {alpha:g}, Exp(1), mu = 1/2: value - closed form (order)")
    print(f"closed forms: revenue R = {exact['revenue']:.9f}, welfare W_2 = {exact['welfare']:.9f}")
    header = f"{'m':>5} " + " ".join(f"{o + ' ' + s:>22}" for o, s in cols)
    print(header)
    print("-" * len(header))
    last: dict = {}
    for m in cells:
        row = [f"{m:>5}"]
        for obj, scheme in cols:
            model = create("competition", alpha=alpha, cells=m, objective=obj, scheme=scheme)
            err = solve_greedy(model).value - exact[obj]
            if m <= 80:  # the full LP gives the same value
                assert abs(solve_lp(model).value - exact[obj] - err) < 1e-9
            prev = last.get((obj, scheme))
            order = (
                f"({math.log2(abs(prev[1] / err)) / math.log2(m / prev[0]):4.2f})"
                if prev
                else " " * 6
            )
            row.append(f"{err:>+15.2e} {order}")
            last[(obj, scheme)] = (m, err)
        print(" ".join(row))
        sys.stdout.flush()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, nargs="+", default=None)
    ap.add_argument("--convergence", action="store_true", help="the grid-error table instead")
    ap.add_argument("--alpha", type=float, default=0.5, help="Example 3's alpha (--convergence)")
    ap.add_argument("--backends", nargs="+", default=["highspy", "cvxpy"])
    ap.add_argument("--tracemalloc", action="store_true", help="also measure the Python-heap peak")
    ap.add_argument("--sweep-cells", type=int, nargs="+", default=None, help="default: --cells")
    ap.add_argument("--no-sweep", action="store_true", help="skip the persistent-LP table")
    args = ap.parse_args()
    if args.convergence:
        convergence_table(args.cells or [10, 20, 40, 80, 160, 320, 640], args.alpha)
        return
    args.cells = args.cells or [40, 80, 160]
    header = (
        f"{'m':>5} {'backend':>8} {'sigma vars':>11} {'nonzeros':>10} {'time [s]':>9} "
        f"{'py peak [MB]':>13} {'max RSS [MB]':>13} {'B/nnz':>6} {'revenue':>10} "
        f"{'|LP-greedy|':>12}"
    )
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
                f"{m:>5} {backend:>8} {8 * m * m:>11} {d['nnz']:>10} {d['seconds']:>9.2f} "
                f"{d['py_peak_mb']:>13.1f} {d['rss_mb']:>13.1f} {d['bytes_per_nnz']:>6.0f} "
                f"{d['value']:>10.6f} {d['gap_vs_greedy']:>12.1e}"
            )
            sys.stdout.flush()
    if not args.no_sweep:
        sweep_table(args.sweep_cells or args.cells, args.backends)


if __name__ == "__main__":
    main()
