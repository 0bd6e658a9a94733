"""Running a sweep's cases: in this process, on local worker processes, or on Dask.

:func:`run_cases` takes the cases (each with its key and the task's argument) and a
task (a module-level function, so it pickles by name) and returns every case's row in
case order, whatever order they finish in.  On the way it

* skips the cases the journal already holds (a rerun resumes) and appends every
  finished case to it (see :mod:`.journal`);
* turns an exception inside a case into data (``{"__failure__": ...}``): exceptions
  do not always survive pickling between processes, and the caller decides whether a
  failure is a row of the table or stops the sweep;
* retries a case whose worker process died (killed, out of memory) on a fresh worker,
  up to :data:`RETRIES` times, then reports it as the failure ``worker_died``.  On Dask
  the scheduler does the same with its ``distributed.scheduler.allowed-failures``;
* draws a progress bar on stderr (done, failed, resumed, rate, ETA) when
  :func:`datamech.progress.enabled`.

Local workers are processes started by ``forkserver`` (``spawn`` where there is none),
safe in programs that run threads (tqdm's monitor, a Dask client); each runs one case
at a time, so a worker that dies names the case it was running.
"""

from __future__ import annotations

import collections
import importlib
import importlib.metadata
import json
import multiprocessing
import os
import signal
import sys
import warnings
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any

from ... import progress as progress_bars
from ...errors import ModelError, SolverError
from .journal import Journal

__all__ = [
    "DISTRIBUTED_HINT",
    "RETRIES",
    "Case",
    "Outcome",
    "call_task",
    "check_workers",
    "failure_exception",
    "run_cases",
]

DISTRIBUTED_HINT = "install with: pip install 'datamech[distributed]'"
#: How often a case whose local worker died is tried again before it is a failure.
RETRIES = 2
#: Failures that say nothing about the case itself: not journaled, so a rerun retries them.
TRANSIENT = ("worker_died", "internal")


@dataclass(frozen=True)
class Outcome:
    """What :func:`run_cases` returns: the rows in case order, and how many were resumed
    from the journal or failed."""

    rows: list[dict[str, Any]]
    resumed: int = 0
    failed: int = 0


@dataclass(frozen=True)
class Case:
    """One case of a sweep: its key (a hash, see :func:`.grid.case_key`) and the task's argument."""

    key: str
    payload: Any


# ---------------------------------------------------------------------- one case
def call_task(task: Callable[[Any], dict[str, Any]], payload: Any) -> dict[str, Any]:
    """Run ``task(payload)``; an exception comes back as plain data (picklable, JSON-ready).

    >>> call_task(int, "x")["__failure__"]["type"]
    'internal'
    """
    try:
        return task(payload)
    except ModelError as exc:
        failure = {"type": "ModelError", "field": exc.field, "problem": exc.problem}
    except SolverError as exc:
        failure = {"type": "SolverError", "status": str(exc.status), "message": exc.message}
    except Exception as exc:  # noqa: BLE001 - one case's bug (or MemoryError) is its row
        failure = {"type": "internal", "message": f"{type(exc).__name__}: {exc}"}
    return {"__failure__": failure}


def failure_exception(failure: dict[str, Any], where: str = "") -> Exception:
    """The exception a failure stands for, ``where`` (the case) added to its message.

    >>> failure_exception({"type": "ModelError", "field": "n", "problem": "too big"}, "case 3")
    ModelError('n: too big (case 3)')
    """
    suffix = f" ({where})" if where else ""
    kind = failure["type"]
    if kind == "ModelError":
        return ModelError(failure["field"], failure["problem"] + suffix)
    if kind == "SolverError":
        return SolverError(
            failure["status"], f"{where}: {failure['message']}" if where else failure["message"]
        )
    return SolverError(kind, failure["message"] + suffix)


# ---------------------------------------------------------------------- many cases
def run_cases(
    cases: Sequence[Case],
    task: Callable[[Any], dict[str, Any]],
    on_failure: Callable[[int, dict[str, Any]], dict[str, Any]],
    *,
    workers: int = 1,
    scheduler: str | None = None,
    client: Any = None,
    journal: str | os.PathLike | None = None,
    fresh: bool = False,
    progress: bool = True,
    desc: str = "sweep",
    preload: Sequence[str] = (),
) -> Outcome:
    """Every case's row (``task(case.payload)``), in case order.

    Parameters
    ----------
    cases : sequence of Case
        Distinct keys.
    task : callable
        A module-level function ``payload -> row`` (a JSON-ready dict).
    on_failure : callable
        ``(index, failure) -> row`` for a case that raised (or whose worker died): the
        row to record, or raise to stop the sweep.
    workers : int
        Local processes; ``1`` runs in this process.  Ignored on Dask.
    scheduler, client
        A Dask scheduler's address, or a ``dask.distributed.Client`` (left open).
    journal : path, optional
        The table the journal belongs to; without it nothing is kept on disk.
    fresh : bool
        Forget the journal's rows and start over.
    progress : bool
        Draw a bar on stderr (only when :func:`datamech.progress.enabled`).
    preload : sequence of str
        Modules the local workers need (the kind's model and solver modules): imported
        once by the fork server that starts them, rather than by every worker.
    """
    keys = [c.key for c in cases]
    if len(set(keys)) != len(keys):
        raise ValueError("sweep cases must have distinct keys")
    book = Journal(journal) if journal is not None else None
    done = book.open(set(keys), fresh=fresh) if book is not None else {}
    rows: list[dict[str, Any] | None] = [done.get(k) for k in keys]
    todo = [i for i, row in enumerate(rows) if row is None]
    shown = bool(progress) and progress_bars.enabled()
    failed = 0
    stream = _execute(cases, todo, task, workers, scheduler, client, preload)
    try:
        with _bar(len(cases), len(cases) - len(todo), shown, desc) as bar:
            for index, out in stream:
                failure = out.get("__failure__")
                if failure is not None:
                    failed += 1
                    out = on_failure(index, failure)
                # a row is JSON data: the same values whether fresh or read back on a rerun
                out = json.loads(json.dumps(out))
                if book is not None and (failure is None or failure["type"] not in TRANSIENT):
                    book.append(keys[index], out)
                rows[index] = out
                bar.update(1)
                if failed:
                    bar.set_postfix(failed=failed, refresh=False)
    finally:
        stream.close()  # stops the workers at once when the sweep ends early
        if book is not None:
            book.close()
    return Outcome(rows, resumed=len(cases) - len(todo), failed=failed)  # type: ignore[arg-type]


def _bar(total: int, resumed: int, shown: bool, desc: str):
    from tqdm import tqdm

    return tqdm(
        total=total,
        initial=resumed,
        desc=desc + (f" ({resumed} resumed)" if resumed else ""),
        unit="case",
        file=sys.stderr,
        disable=not shown,
        dynamic_ncols=True,
    )


def _execute(cases, todo, task, workers, scheduler, client, preload) -> Generator[tuple[int, dict]]:
    if not todo:
        return
    if scheduler is not None or client is not None:
        yield from _run_dask(cases, todo, task, scheduler, client)
    elif workers == 1 or len(todo) == 1:
        for i in todo:
            yield i, call_task(task, cases[i].payload)
    else:
        yield from _run_local(cases, todo, task, min(workers, len(todo)), preload)


def check_workers(workers: Any) -> int:
    """Local processes: ``None`` is every core this process may use."""
    if workers is None:
        try:
            return len(os.sched_getaffinity(0))
        except AttributeError:  # pragma: no cover - not Linux
            return os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ModelError("workers", f"must be an integer at least 1, got {workers!r}")
    return workers


# ---------------------------------------------------------------------- local processes
def _worker_main(conn) -> None:
    """A worker process: run cases sent on ``conn`` until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        index, task, payload = message
        conn.send((index, call_task(task, payload)))


class _Worker:
    def __init__(self, ctx):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child,), daemon=True)
        self.process.start()
        child.close()
        self.index: int | None = None

    def stop(self, kill: bool = False) -> None:
        if not kill:
            try:
                self.conn.send(None)
            except OSError:
                kill = True
            else:
                self.process.join(timeout=2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def _pool_context(preload: Sequence[str] = ()):
    # fork is unsafe once threads run (tqdm's monitor, a Dask client in the same program)
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")  # pragma: no cover - not POSIX
    ctx = multiprocessing.get_context("forkserver")
    # the fork server imports datamech (and the kind's modules) once; a worker, also one
    # replacing a dead worker, is then a fork of it, started in milliseconds.  (This
    # takes effect when the program's fork server starts, i.e. at its first pool.)
    ctx.set_forkserver_preload([__name__, *preload])
    return ctx


def _run_local(cases, todo, task, workers: int, preload) -> Iterator[tuple[int, dict]]:
    ctx = _pool_context(preload)
    queue = collections.deque(todo)
    deaths: dict[int, int] = collections.Counter()
    pool = [_Worker(ctx) for _ in range(workers)]
    clean = False
    try:
        while queue or any(w.index is not None for w in pool):
            for k, w in enumerate(pool):
                if w.index is None and queue:
                    i = queue.popleft()
                    try:
                        w.conn.send((i, task, cases[i].payload))
                    except OSError:  # it died while idle: replace it, try again
                        queue.appendleft(i)
                        w.stop(kill=True)
                        pool[k] = _Worker(ctx)
                        continue
                    w.index = i
            busy = [w for w in pool if w.index is not None]
            ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
            for k, w in enumerate(pool):
                if w.index is None or (w.conn not in ready and w.process.sentinel not in ready):
                    continue
                i, w.index = w.index, None
                try:
                    if w.conn.poll():
                        yield w.conn.recv()
                        continue
                except (EOFError, OSError):
                    pass
                # the process ended while running case i
                w.stop(kill=True)
                pool[k] = _Worker(ctx)
                deaths[i] += 1
                if deaths[i] > RETRIES:
                    yield i, _worker_died(deaths[i])
                else:
                    queue.appendleft(i)
        clean = True
    finally:
        for w in pool:
            w.stop(kill=not clean)


def _worker_died(times: int) -> dict[str, Any]:
    return {
        "__failure__": {
            "type": "worker_died",
            "message": f"the worker process running this case died {times} times "
            "(killed, or out of memory)",
        }
    }


# ---------------------------------------------------------------------- Dask
def import_distributed():
    """``dask.distributed``, or a :class:`ModelError` saying how to install it."""
    try:
        return importlib.import_module("dask.distributed")
    except ImportError:
        raise ModelError(
            "scheduler",
            f"running on a Dask cluster needs dask.distributed, which is not installed; {DISTRIBUTED_HINT}",
        ) from None


def check_dask(scheduler: Any, client: Any) -> None:
    """Refuse a scheduler and a client together, or an address that is not text."""
    if scheduler is not None and client is not None:
        raise ModelError("scheduler", "give a scheduler address or a client, not both")
    if scheduler is not None and (not isinstance(scheduler, str) or not scheduler.strip()):
        raise ModelError("scheduler", f"must be an address like tcp://host:8786, got {scheduler!r}")


def _run_dask(cases, todo, task, scheduler, client) -> Iterator[tuple[int, dict]]:
    check_dask(scheduler, client)
    distributed = import_distributed()
    own = client is None
    if own:
        try:
            client = distributed.Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise ModelError("scheduler", f"cannot connect to {scheduler} ({exc})") from None
    try:
        _check_workers_have_datamech(client)
        threads = sum(client.nthreads().values())
        window = 4 * threads + 16  # enough queued work for every thread, bounded memory
        pending = collections.deque(todo)
        index_of = {}
        running = distributed.as_completed(loop=client.loop)

        def submit() -> None:
            i = pending.popleft()
            future = client.submit(call_task, task, cases[i].payload, pure=False)
            index_of[future.key] = i
            running.add(future)

        while pending and running.count() < window:
            submit()
        try:
            for future in running:
                i = index_of.pop(future.key)
                try:
                    out = future.result()
                except distributed.KilledWorker:
                    out = _worker_died(_allowed_failures())
                yield i, out
                future.release()
                if pending:
                    submit()
        finally:
            client.cancel(list(running.futures))
    finally:
        if own:
            client.close()


#: The distribution every Dask worker must have installed (checked before a sweep).
DISTRIBUTION = "datamech"


def _check_workers_have_datamech(client) -> None:
    """A worker without datamech could not even read a case (Dask would wait forever)."""
    try:
        versions = client.run(importlib.metadata.version, DISTRIBUTION)
    except ImportError:
        raise ModelError(
            "scheduler",
            f"a Dask worker has no {DISTRIBUTION} installed; install it (the version of this "
            "machine) on every worker",
        ) from None
    mine = importlib.metadata.version(DISTRIBUTION)
    other = sorted({v for v in versions.values() if v != mine})
    if other:
        warnings.warn(
            f"Dask workers run {DISTRIBUTION} {', '.join(other)}, this machine {mine}; "
            "their rows may differ",
            RuntimeWarning,
            stacklevel=4,
        )


def _allowed_failures() -> int:
    import dask

    return int(dask.config.get("distributed.scheduler.allowed-failures", 3)) + 1
