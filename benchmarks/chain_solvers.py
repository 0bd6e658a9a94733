"""Chain equilibrium solvers: reference (Algorithms 1-3) vs fast, and the FPTAS.

Run:  python benchmarks/chain_solvers.py [--quick]

Instances: a five-neighbour random walk (the paper's Section 5 transition, clipped at the
ends) on an L-point grid of values in [-1, 1], v_0 in the middle, AVE reallocation (so
every future-transfer term is live).  Times are the best of a few runs; peak memory is
the tracemalloc peak of the solve (numpy buffers included).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from datamech.models.chain import create
from datamech.solvers.chain import solve_equilibrium


def walk_model(n: int, L: int, mechanism: str = "AVE"):
    P = np.zeros((L, L))
    for k in range(L):
        for d in range(-2, 3):
            P[k, min(max(k + d, 0), L - 1)] += 0.2
    values = np.linspace(-1.0, 1.0, L)
    return create(n, values, P, start=L // 2, mechanism=mechanism)


def timed(fn, repeat: int):
    best = float("inf")
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="skip the largest cases")
    args = ap.parse_args()
    rows = []
    for n, L in [(5, 21), (8, 41)]:
        m = walk_model(n, L)
        tr, mr, ref = timed(lambda m=m: solve_equilibrium(m, method="reference"), 1)
        tf, mf, fast = timed(lambda m=m: solve_equilibrium(m, method="fast"), 5)
        # same decisions: ties agree and strategies agree up to summation-order rounding
        same = (
            ref.ties == fast.ties
            and np.allclose(ref.prices, fast.prices, rtol=0, atol=1e-12)
            and np.allclose(ref.thresholds, fast.thresholds, rtol=0, atol=1e-12)
        )
        rows.append((f"n={n}, L={L}", "reference", tr, mr, ""))
        rows.append((f"n={n}, L={L}", "fast", tf, mf, f"{tr / tf:,.0f}x faster, same eq: {same}"))
    sizes = [(20, 401)] if args.quick else [(20, 401), (50, 1001)]
    for n, L in sizes:
        m = walk_model(n, L)
        tf, mf, res = timed(lambda m=m: solve_equilibrium(m), 1 if L > 500 else 3)
        rows.append((f"n={n}, L={L}", "fast", tf, mf, f"SW {float(res.social_welfare):.4f}"))
    try:
        from datamech.models.chain import ave_matrix
        from datamech.models.chain_continuous import ContinuousChainModel, TruncatedNormalWalk
        from datamech.solvers.chain.fptas import solve_fptas

        cm = ContinuousChainModel(
            n=5,
            support=(0.0, 1.0),
            kernel=TruncatedNormalWalk(sigma=1.0),
            start=0.5,
            reallocation=ave_matrix(5),
            mechanism={"name": "AVE"},
            K0=1.0,
        )
        tf, mf, res = timed(lambda: solve_fptas(cm, 0.01, check=False), 1)
        rows.append(
            (
                "FPTAS n=5, eps=0.01, K0=1",
                "fptas",
                tf,
                mf,
                f"L={res.L}, SW {res.social_welfare:.4f}",
            )
        )
    except ImportError as exc:  # pragma: no cover
        rows.append(("FPTAS", "unavailable", float("nan"), 0, str(exc)))

    print(f"{'case':<26} {'solver':<10} {'seconds':>9} {'peak MB':>9}  note")
    for case, solver, t, mem, note in rows:
        print(f"{case:<26} {solver:<10} {t:9.4f} {mem / 2**20:9.1f}  {note}")


if __name__ == "__main__":
    main()
