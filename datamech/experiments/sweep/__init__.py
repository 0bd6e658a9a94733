"""Sweeps: a model file of any kind solved over a grid of values, resumable, local or on Dask.

``datamech sweep FILE --set PATH=VALUES ...`` and :func:`sweep` solve a model file for
every combination of values of some of its entries and write one table row per case
(:mod:`.core`).  The grid (:mod:`.grid`): dotted paths such as ``model.alpha``,
``buyers[0].high`` or ``solver.method`` and values as lists, ranges or linspaces,
multiplied out or zipped.  The engine (:mod:`.engine`): this process, local worker
processes or a Dask cluster, a progress bar, retries of cases whose worker died, and a
journal (:mod:`.journal`) so that a killed sweep resumes where it stopped.  The
paper's chain models keep their own flags (:mod:`~datamech.experiments.sweep.chain`),
run on the same engine.

Examples
--------
>>> table = sweep("examples/models/online_i3.toml",
...               {"model.mechanism": ["two_stage", "optimal"]}, workers=1, progress=False)
>>> table[["model.mechanism", "objective_exact"]].values.tolist()
[['two_stage', '215/144'], ['optimal', '3307/1960']]
"""

from .chain import (
    CASE_KEYS,
    JSON_COLUMNS,
    MODELS,
    RESULT_KEYS,
    SWEEP_MECHANISMS,
    check_case,
    decode_rows,
    run_case,
    run_sweep,
    sweep_grid,
)
from .command import add_sweep_parser, sweep_command
from .core import BOOKKEEPING, FAILURE_STATUSES, result_row, solve_case, sweep, sweep_table
from .engine import DISTRIBUTED_HINT, RETRIES, Case, Outcome, call_task, run_cases
from .grid import (
    MAX_CASES,
    as_values,
    case_key,
    expand,
    model_data,
    parse_path,
    parse_setting,
    parse_values,
    set_path,
    substitute,
)
from .journal import Journal, check_table_path, journal_path, write_table
from .plot import plot_stem, plot_sweep, save_figure

__all__ = [
    "BOOKKEEPING",
    "CASE_KEYS",
    "DISTRIBUTED_HINT",
    "FAILURE_STATUSES",
    "JSON_COLUMNS",
    "MAX_CASES",
    "MODELS",
    "RESULT_KEYS",
    "RETRIES",
    "SWEEP_MECHANISMS",
    "Case",
    "Journal",
    "Outcome",
    "add_sweep_parser",
    "as_values",
    "call_task",
    "case_key",
    "check_case",
    "check_table_path",
    "decode_rows",
    "expand",
    "journal_path",
    "model_data",
    "parse_path",
    "parse_setting",
    "parse_values",
    "plot_stem",
    "plot_sweep",
    "result_row",
    "run_case",
    "run_cases",
    "run_sweep",
    "save_figure",
    "set_path",
    "solve_case",
    "substitute",
    "sweep",
    "sweep_command",
    "sweep_grid",
    "sweep_table",
    "write_table",
]
