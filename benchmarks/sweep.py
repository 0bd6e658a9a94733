"""Benchmark: one model-file sweep in this process, on local processes, and on Dask.

The same grid runs (1) in this process (``workers=1``), (2) on two local worker
processes and (3) on a Dask ``LocalCluster`` with two worker processes (one thread
each); the table reports the wall time from the call to the finished table (worker
start-up included; the cluster's own start-up is shown apart, as a cluster usually
runs already), cases per second, the seconds spent inside ``dm.solve`` summed over the
cases (a resumed run reports the first run's), and whether the rows equal the first
run's (every column but the wall times).  A fourth run resumes the second run's finished journal
(no case left to solve).

    python benchmarks/sweep.py [FILE] [--set PATH=VALUES ...] [--workers 2]

Default: ``examples/models/infosale_competition.toml`` with ``grid.cells=10..40``
(31 revenue LPs of 10 to 40 type cells per buyer, HiGHS).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

from datamech.experiments.sweep import parse_setting, sweep


def same_rows(a, b) -> str:
    """``equal``, ``equal to 1e-12`` (a BLAS reduction summed in another order: Dask's
    workers run one BLAS thread) or ``DIFFERENT``."""
    import pandas as pd

    keep = [c for c in a.columns if not c.endswith("seconds")]
    if a[keep].equals(b[keep]):
        return "equal"
    try:
        pd.testing.assert_frame_equal(a[keep], b[keep], check_exact=False, rtol=1e-12)
    except AssertionError:
        return "DIFFERENT"
    return "equal to 1e-12"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("file", nargs="?", default="examples/models/infosale_competition.toml")
    p.add_argument("--set", dest="settings", action="append", default=[])
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args()
    grid = dict(parse_setting(t) for t in (args.settings or ["grid.cells=10..40"]))
    warnings.simplefilter("ignore")
    rows = []

    def timed(label, **kw):
        t0 = time.perf_counter()
        table = sweep(args.file, grid, progress=False, **kw)
        seconds = time.perf_counter() - t0
        rows.append((label, len(table), seconds, table))
        return table

    # the kind's modules imported once, as a long session would have them
    sweep(args.file, {k: v[:1] for k, v in grid.items()}, workers=1, progress=False)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "t.csv"
        timed("this process (workers=1)", workers=1)
        timed(f"local processes (workers={args.workers})", workers=args.workers, out=out)
        timed("resumed from the journal", workers=args.workers, out=out)
        from dask.distributed import Client, LocalCluster

        t0 = time.perf_counter()
        with (
            LocalCluster(
                n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            started = time.perf_counter() - t0
            timed(f"Dask LocalCluster ({args.workers} workers)", client=client)
            timed("Dask again (workers warm)", client=client)
    first = rows[0][3]
    print(f"{args.file}: {', '.join(f'{k}={v[0]}..{v[-1]}' for k, v in grid.items())}")
    print(
        f"{'run':<34} {'cases':>5} {'seconds':>8} {'cases/s':>8} {'solving':>8}  rows vs the first"
    )
    for label, n, seconds, table in rows:
        solving = table["seconds"].sum()  # inside dm.solve, summed over the cases
        print(
            f"{label:<34} {n:>5} {seconds:>8.2f} {n / seconds:>8.1f} {solving:>8.2f}"
            f"  {same_rows(table, first)}"
        )
    print(f"(the Dask cluster took {started:.1f} s to start; not counted above)")


if __name__ == "__main__":
    main()
