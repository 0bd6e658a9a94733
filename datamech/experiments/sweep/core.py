"""Sweeps of any model file: each case the file with some entries replaced, solved.

:func:`sweep` takes a model (a file, a model-file dictionary or a model object) and a
grid ``{path: values}``, builds every case's model-file dictionary (validated by the
kind's reader, exactly as ``datamech solve`` reads a file), solves it with
:func:`datamech.solve` and returns one table row per case, in grid order:

* the swept values (one column per path, named by the path);
* the result contract (:data:`datamech.results.CONTRACT_KEYS`: ``status``,
  ``objective``, ``objective_name``, ``objective_exact``, ``method``, ``backend``,
  ``solver``, ``seconds``), read from ``result.to_dict()``; keys a result lacks are
  empty;
* ``error`` (a failed case's one-line error) and ``warnings`` (what the solve warned,
  e.g. an inaccurate solve);
* the result's other scalar fields (numbers, names, flags), in the order they first
  appear.

A case that fails is a row too: a bad value gives status ``model_error`` and the
``ModelError`` line, a solver failure its status (``infeasible``, ``unbounded``,
``solver_error``) and message, a worker process that died three times
``worker_died``, and an unexpected exception (a bug) ``internal_error``.
"""

from __future__ import annotations

import builtins
import os
import warnings
from collections.abc import Mapping
from enum import Enum
from fractions import Fraction
from typing import Any

import numpy as np

from ...backends import silence_native_stdout
from ...errors import ModelError
from ...models.io import KIND_MODULES, from_dict
from ...progress import quiet
from ...results import CONTRACT_KEYS
from ...solvers import SOLVERS
from ...solving import solve
from .engine import Case, check_dask, check_workers, run_cases
from .grid import as_values, case_key, expand, model_data, parse_path, substitute
from .journal import check_table_path, write_table

__all__ = ["BOOKKEEPING", "FAILURE_STATUSES", "result_row", "solve_case", "sweep", "sweep_table"]

TASK = "model-file"  # what a case's key hashes besides the model and the options
#: The columns the sweep adds to each row besides the contract and the kind's fields.
BOOKKEEPING = ("error", "warnings")
#: Row statuses of failed cases that are not solver statuses.
FAILURE_STATUSES = {
    "ModelError": "model_error",
    "worker_died": "worker_died",
    "internal": "internal_error",
}
_MAX_ERROR = 500  # characters of a failed case's message kept in its row


def sweep(
    model: Any,
    grid: Mapping[str, Any],
    *,
    zip: bool = False,
    options: Mapping[str, Any] | None = None,
    out: str | os.PathLike | None = None,
    fresh: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Any = None,
    progress: bool = True,
):
    """Solve a model for every combination of values of some of its entries.

    Parameters
    ----------
    model : path, dict or model
        A model file of any kind, its parsed dictionary, or a model object (written
        as :func:`datamech.save` would write it; paths refer to that file).
    grid : dict
        ``{path: values}``.  A path names an entry of the model file:
        ``"model.alpha"``, ``"buyers[0].high"``, ``"agents[0].count"``,
        ``"solver.method"`` (missing keys and tables are created, then checked by
        the kind's reader).  Values are a list (``[0.2, 0.5]``, ``range(2, 9)``, an
        array) or the command line's text (``"0.2:0.8:7"``, ``"2..8"``, ``"lp,greedy"``).
    zip : bool
        Pair the lists value by value (all of one length) instead of the product grid
        (the first path varies slowest).
    options : dict, optional
        Solver options for every case, as :func:`datamech.solve`'s keywords (over the
        file's ``[solver]`` table).
    out : path, optional
        Write the table (``.csv`` or ``.parquet``) and keep a journal next to it
        (``out + ".journal"``) to which each case is appended as it finishes: the same
        call after a crash or Ctrl-C solves only the cases not yet done and writes the
        same table a clean run writes.  ``fresh=True`` forgets the journal.
    workers : int, optional
        Local processes (default every core; ``1`` runs in this process).
    scheduler, client
        Run on a Dask cluster: its scheduler's address, or a
        ``dask.distributed.Client`` (left open).  A worker that dies mid-case has the
        case retried elsewhere by Dask.
    progress : bool
        A progress bar on stderr (when :func:`datamech.progress.enabled`).

    Returns
    -------
    pandas.DataFrame
        One row per case in grid order (columns: see the module's notes).
        ``frame.attrs`` holds ``swept`` (the paths), ``resumed`` and ``failed``.

    Raises
    ------
    ModelError
        A path that does not fit the file (naming the path), values that cannot be
        read, an empty or oversized grid, two cases that are the same model, a bad
        ``out``, ``workers``, ``scheduler``.  A bad *value* is not raised: its case
        is a row with status ``model_error``.

    References
    ----------
    - The sources of the kind being swept: listed in the References of ``datamech.solve``.

    Examples
    --------
    >>> table = sweep("examples/models/offline_i3.toml", {"model.alpha": ["1/2", 0.5, 1.5]},
    ...               workers=1, progress=False)
    >>> table["status"].tolist(), table["objective_exact"][0]
    (['evaluated', 'evaluated', 'model_error'], '13/7')
    >>> table["error"][2].startswith("model.alpha:")  # the kind's own message follows
    True
    >>> print(f"{table['objective'][0]:.12f} {table['objective'][1]:.12f}")  # 13/7 both ways
    1.857142857143 1.857142857143
    """
    data = model_data(model)
    if not isinstance(grid, Mapping) or not grid:
        raise ModelError("grid", "must be a dict {path: values}, e.g. {'model.alpha': [0.2, 0.5]}")
    values: dict[str, list[Any]] = {}
    for path, given in grid.items():
        parse_path(path)
        if path in CONTRACT_KEYS or path in BOOKKEEPING:
            raise ModelError(path, "names a column of the result table, not a model-file entry")
        values[path] = as_values(given, path)
    opts = dict(options or {})
    if any(not isinstance(k, str) for k in opts):
        raise ModelError("options", "option names must be strings")
    combos = expand(values, zip=zip)
    models = substitute(data, combos)
    keys = [case_key(TASK, m, opts) for m in models]
    _no_repeated_cases(keys, combos)
    check_dask(scheduler, client)
    n_workers = check_workers(workers)
    if out is not None:
        check_table_path(out)
    outcome = run_cases(
        [
            Case(k, {"model": m, "options": opts})
            for k, m in builtins.zip(keys, models, strict=True)
        ],
        solve_case,
        lambda index, failure: failure_row(failure),
        workers=n_workers,
        scheduler=scheduler,
        client=client,
        journal=out,
        fresh=fresh,
        progress=progress,
        preload=_kind_modules(data),
    )
    frame = sweep_table(combos, outcome.rows, list(values))
    frame.attrs.update(swept=list(values), resumed=outcome.resumed, failed=outcome.failed)
    if out is not None:
        write_table(frame, out)
    return frame


def _kind_modules(data: Mapping[str, Any]) -> list[str]:
    """The modules that read and solve the file's kind (none for an unknown kind)."""
    kind = data["model"].get("kind")
    if not isinstance(kind, str) or kind not in KIND_MODULES or kind not in SOLVERS:
        return []
    return [*KIND_MODULES[kind], SOLVERS[kind].partition(":")[0]]


def _no_repeated_cases(keys: list[str], combos: list[dict[str, Any]]) -> None:
    first: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key in first:
            j = first[key]
            shown = ", ".join(f"{p} = {v!r}" for p, v in combos[i].items())
            raise ModelError(
                next(iter(combos[i])),
                f"cases {j} and {i} are the same model ({shown}); drop the repeat",
            )
        first[key] = i


# ---------------------------------------------------------------------- one case
def solve_case(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Read one case's model-file dictionary, solve it, return its row (JSON-ready).

    Runs in a worker: progress bars are off and what native solvers print is dropped.

    >>> from datamech.models.io import read_toml
    >>> row = solve_case({"model": read_toml("examples/models/online_i3.toml"), "options": {}})
    >>> row["status"], row["objective_exact"], row["mechanism"]
    ('evaluated', '215/144', 'two_stage')
    """
    with (
        warnings.catch_warnings(record=True) as caught,
        quiet(),
        silence_native_stdout(),
    ):
        warnings.simplefilter("always")
        result = solve(from_dict(payload["model"]), **payload["options"])
    row = result_row(result)
    said = [" ".join(str(w.message).split()) for w in caught if "datamech" in str(w.filename)]
    row["warnings"] = " | ".join(dict.fromkeys(said)) or None
    return row


def result_row(result: Any) -> dict[str, Any]:
    """A result's row: the contract's keys (missing ones ``None``), then its scalar fields.

    >>> import datamech as dm
    >>> row = result_row(dm.solve(dm.load("examples/models/chain_model2.toml")))
    >>> list(row)[:8] == list(CONTRACT_KEYS), row["ties"], row["n"]
    (True, 2, 5)
    """
    data = result.to_dict()
    row = {key: _cell(data.get(key)) for key in CONTRACT_KEYS}
    for key, value in data.items():
        if key not in row and key not in BOOKKEEPING and _is_scalar(value):
            row[key] = _cell(value)
    return row


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str, Fraction, Enum, np.generic))


def _cell(value: Any) -> Any:
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, Fraction):
        value = float(value)
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, str):
        return str(value)
    return value if _is_scalar(value) else None


def failure_row(failure: Mapping[str, Any]) -> dict[str, Any]:
    """The row of a case that failed: its status and its one-line error.

    >>> failure_row({"type": "ModelError", "field": "model.alpha", "problem": "must be < 1"})
    {'status': 'model_error', 'error': 'model.alpha: must be < 1'}
    >>> failure_row({"type": "SolverError", "status": "infeasible", "message": "no price clears"})
    {'status': 'infeasible', 'error': 'no price clears'}
    """
    kind = failure["type"]
    if kind == "ModelError":
        text = f"{failure['field']}: {failure['problem']}"
    else:
        text = failure.get("message") or failure.get("status", kind)
    text = " ".join(str(text).split())
    if len(text) > _MAX_ERROR:
        text = text[: _MAX_ERROR - 3] + "..."
    status = failure["status"] if kind == "SolverError" else FAILURE_STATUSES[kind]
    return {"status": status, "error": text}


# ---------------------------------------------------------------------- the table
def sweep_table(values: list[dict[str, Any]], rows: list[dict[str, Any]], swept: list[str]):
    """The table of a sweep: each case's swept values and its row, in grid order.

    >>> sweep_table([{"model.alpha": 0.5}], [{"status": "optimal", "objective": 1.0, "k": 2}],
    ...             ["model.alpha"]).columns.tolist()[:3] + ["...", "k"]
    ['model.alpha', 'status', 'objective', '...', 'k']
    """
    import pandas as pd

    fixed = [*swept, *CONTRACT_KEYS, *BOOKKEEPING]
    seen = set(fixed)
    extra = []
    for row in rows:
        for key in row:
            if key not in seen:
                seen.add(key)
                extra.append(key)
    records = [{**row, **case} for case, row in zip(values, rows, strict=True)]
    return pd.DataFrame(records, columns=[*fixed, *extra])
