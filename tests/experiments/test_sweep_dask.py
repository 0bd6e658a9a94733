"""Sweeps on a real Dask LocalCluster (two worker processes) and on local worker processes:
the same rows as a run in this process, and a worker killed mid-case has its case retried.

The killing tests use a task that records each attempt in a folder (case and process
id) and sleeps, so a test can kill the very process that runs a given case.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest

from datamech.experiments.sweep import (
    CASE_KEYS,
    RESULT_KEYS,
    Case,
    run_cases,
    run_sweep,
    sweep,
    sweep_grid,
)

from .test_sweep_tasks import slow_square, suicidal

distributed = pytest.importorskip("dask.distributed")

# "seconds" is wall time, the only column of a paper-model row that differs between runs
SAME = [c for c in (*CASE_KEYS, *RESULT_KEYS) if c != "seconds"]
CHAIN = "examples/models/chain_model2.toml"
GRID = {"model.n": [2, 3, 4], "solver.tie_break": ["first", "low"]}


@pytest.fixture(scope="module")
def cluster():
    with (
        distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield cluster, client


def chain_grid():
    return sweep_grid(
        models=["model1", "model4"],
        ns=[2, 3],
        mechanisms=["RAW", "AVE", "TBDS"],
        alphas=[0.5],
        tie_breaks=["first", "welfare_min"],
    )


def in_process(model, grid):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sweep(model, grid, workers=1, progress=False)


def same_rows(a, b):
    keep = [c for c in a.columns if not c.endswith("seconds")]
    pd.testing.assert_frame_equal(a[keep], b[keep])


# ---------------------------------------------------------------------- Dask
def test_dask_gives_the_rows_of_a_local_run(cluster, tmp_path):
    _, client = cluster
    local = in_process(CHAIN, GRID)
    on_dask = sweep(CHAIN, GRID, client=client, progress=False, out=tmp_path / "d.csv")
    same_rows(on_dask, local)
    assert client.status == "running"  # a client passed in is left open
    chain_local = run_sweep(chain_grid(), workers=1, progress=False)
    chain_dask = run_sweep(chain_grid(), client=client, progress=False)
    pd.testing.assert_frame_equal(chain_dask[SAME], chain_local[SAME])


def test_dask_scheduler_address(cluster):
    scheduler_address = cluster[0].scheduler_address
    table = sweep(CHAIN, {"solver.exact": [True]}, scheduler=scheduler_address, progress=False)
    assert table["objective_exact"].tolist() == [
        in_process(CHAIN, {"solver.exact": [True]})["objective_exact"][0]
    ]
    chain = run_sweep(chain_grid()[:2], scheduler=scheduler_address, progress=False)
    assert len(chain) == 2


def test_dask_options_that_do_not_fit(cluster):
    from datamech.errors import ModelError

    c, client = cluster
    cases = chain_grid()[:1]
    with pytest.raises(ModelError) as exc:
        run_sweep(cases, executor="dask")
    assert exc.value.field == "scheduler"
    with pytest.raises(ModelError) as exc:
        run_sweep(cases, scheduler=c.scheduler_address, client=client)
    assert exc.value.field == "scheduler"


# ---------------------------------------------------------------------- killed workers
def attempts(folder: Path, x: int) -> list[int]:
    return [int(p.name.split("-")[1]) for p in folder.iterdir() if p.name.split("-")[0] == str(x)]


def kill_when_running(folder: Path, x: int, killed: list[int]) -> threading.Thread:
    """SIGKILL the process that starts case ``x`` (once), from a thread."""

    def watch():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            pids = attempts(folder, x)
            if pids:
                time.sleep(0.2)  # well inside its sleep: mid-case
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])
                return
            time.sleep(0.02)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def square_cases(folder: Path, n: int, sleep: float) -> list[Case]:
    return [Case(f"k{x}", {"x": x, "folder": str(folder), "sleep": sleep}) for x in range(n)]


def never(index, failure):
    raise AssertionError(f"case {index} failed: {failure}")


@pytest.mark.parametrize("where", ["local", "dask"])
def test_a_worker_killed_mid_case_has_the_case_retried(where, cluster, tmp_path):
    _, client = cluster
    folder = tmp_path / "attempts"
    folder.mkdir()
    killed: list[int] = []
    watcher = kill_when_running(folder, 1, killed)
    kwargs = {"client": client} if where == "dask" else {"workers": 2}
    outcome = run_cases(
        square_cases(folder, 4, sleep=0.5),
        slow_square,
        never,
        progress=False,
        journal=tmp_path / "t.csv",
        **kwargs,
    )
    watcher.join(timeout=5)
    assert killed, "the test did not get to kill a worker"
    assert [row["square"] for row in outcome.rows] == [x * x for x in range(4)]
    runs = attempts(folder, 1)
    assert len(runs) >= 2 and killed[0] in runs  # case 1 ran again, in another process
    assert len([p for p in runs if p != killed[0]]) >= 1
    # every case is in the journal exactly once
    lines = (tmp_path / "t.csv.journal").read_text().splitlines()
    assert sorted(lines) == sorted(set(lines)) and len(lines) == 4


def test_a_case_that_always_kills_its_worker_is_a_failed_row(tmp_path):
    from datamech.experiments.sweep import RETRIES
    from datamech.experiments.sweep.core import failure_row

    cases = [Case("ok", {"x": 2}), Case("bad", {"x": -1})]
    outcome = run_cases(cases, suicidal, lambda i, f: failure_row(f), workers=2, progress=False)
    assert outcome.rows[0] == {"x": 2}
    assert outcome.rows[1]["status"] == "worker_died"
    assert f"died {RETRIES + 1} times" in outcome.rows[1]["error"]


def test_workers_without_datamech_are_one_clear_error(cluster, monkeypatch):
    # a distribution no worker has stands for datamech missing on the workers (which
    # could not even read a case: the sweep would wait forever)
    from datamech.errors import ModelError
    from datamech.experiments.sweep import engine

    monkeypatch.setattr(engine, "DISTRIBUTION", "no-such-distribution-xyz")
    with pytest.raises(ModelError) as exc:
        run_cases([Case("k", {"x": 1})], suicidal, never, client=cluster[1], progress=False)
    assert exc.value.field == "scheduler"
    assert "no no-such-distribution-xyz installed" in exc.value.problem
