"""The ``datamech sweep`` command: a model file over a grid, or the paper's chain models.

    datamech sweep FILE --set PATH=VALUES [--set ...] [--zip] [--out FILE.csv|.parquet]
                   [--fresh] [--plot X Y] [--workers N | --scheduler ADDRESS] [--quiet] [--json]
    datamech sweep --n 2..8 [--models M,..] [--mechanisms RAW,AVE,TBDS,OPT] [--alpha A,..]
                   [--tie-break R,..] [--exact] [--tol T] [--opt-method M] [--seed S] [...]

Exit codes: 0 every case solved (status optimal, evaluated, local_optimum or
heuristic); 3 some case failed or is not to the standard (its row says why; stderr
counts them); 2 bad input (one line naming the flag) or every case failed; 130
interrupted (rerun the same command to resume).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from ...errors import ModelError
from ...numeric import jsonable
from ...results import CONTRACT_KEYS
from ...status import ACCEPTED, EXIT_BAD_INPUT, EXIT_NOT_CERTIFIED, EXIT_OK
from .chain import CASE_KEYS, decode_rows, run_sweep, sweep_grid
from .core import sweep
from .grid import parse_setting
from .journal import check_table_path
from .plot import plot_stem, plot_sweep, save_figure

__all__ = ["add_sweep_parser", "sweep_command"]

# the paper-model sweep's flags: (argparse dest, flag, default when the flags are used)
PAPER_FLAGS = (
    ("models", "--models", "model1,model2,model3,model4"),
    ("n", "--n", None),
    ("mechanisms", "--mechanisms", "RAW,AVE"),
    ("alpha", "--alpha", None),
    ("tie_break", "--tie-break", "first"),
    ("exact", "--exact", False),
    ("tol", "--tol", None),
    ("opt_method", "--opt-method", "evolution"),
    ("seed", "--seed", "0"),
)

# Python-side field names -> the flags a command-line user typed
FLAGS = {
    "models": "--models",
    "ns": "--n",
    "mechanisms": "--mechanisms",
    "alphas": "--alpha",
    "tie_breaks": "--tie-break",
    "exact": "--exact",
    "tol": "--tol",
    "opt_method": "--opt-method",
    "seed": "--seed",
    "path": "--out",
    "out": "--out",
    "workers": "--workers",
    "scheduler": "--scheduler",
    "grid": "--set",
    "plot": "--plot",
    # fields named inside one paper-model case's model or solver
    "n": "--n",
    "solver.tie_break": "--tie-break",
    "tie_break": "--tie-break",
    "max_binaries": "--opt-method",
    "solver.max_binaries": "--opt-method",
}

EPILOG = """\
examples:
  datamech sweep examples/models/offline_i3.toml --set model.alpha=0.2:0.8:7 --out a.csv
  datamech sweep examples/models/psp_elastic.toml --set model.epsilon=0.1,0.05,0.02 \\
      --set buyers[0].valuation.qbar=50..52 --plot model.epsilon objective
  datamech sweep FILE --set model.alpha=0.3,0.5 --set solver.method=lp,greedy --zip
  datamech sweep --n 2..6 --mechanisms RAW,AVE,TBDS --alpha 0.5      (the paper's chains)

VALUES: a list 0.1,0.5,0.9 (TOML values; bare words are strings: lp, 1/3), a range
2..8 (integers, both ends), a linspace 0.1:0.9:9 (9 points), or a mix: 2..4,8.
A killed sweep rerun with the same command resumes from FILE.journal (--fresh starts over).
"""


def add_sweep_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``sweep`` subcommand to ``datamech``'s subparsers."""
    w = subparsers.add_parser(
        "sweep",
        help="solve a model file (any kind) over a grid of values, or the paper's chains",
        description="Solve a model file of any kind for every combination of values of "
        "some of its entries (one table row per case) on local processes or a Dask "
        "cluster; write the table as CSV or Parquet, resumably.  Without FILE, the "
        "paper-model flags sweep the resale chains of Section 5.1.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    w.add_argument("file", nargs="?", help="model file (TOML) of any kind")
    w.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="PATH=VALUES",
        help="vary an entry: PATH like model.alpha, buyers[0].high, solver.method",
    )
    w.add_argument("--zip", action="store_true", help="pair the --set lists instead of a product")
    w.add_argument("--out", metavar="FILE", help="write the table here (.csv or .parquet)")
    w.add_argument("--fresh", action="store_true", help="start over: forget FILE.journal")
    w.add_argument(
        "--plot", nargs=2, metavar=("X", "Y"), help="draw column Y against X (PNG and PDF)"
    )
    w.add_argument("--workers", help="local processes (default: all cores; 1 = in-process)")
    w.add_argument("--scheduler", metavar="ADDRESS", help="run on this Dask scheduler")
    w.add_argument("--quiet", action="store_true", help="no progress bar")
    w.add_argument("--json", action="store_true", help='print one JSON object {"rows": [...]}')
    paper = w.add_argument_group("the paper's chain models (without FILE)")
    paper.add_argument("--models", help="model1..model4 (default: all four)")
    paper.add_argument("--n", help="chain lengths: 2,3,4 or a range 2..8")
    paper.add_argument("--mechanisms", help="RAW, AVE, TBDS, OPT (default: RAW,AVE)")
    paper.add_argument("--alpha", help="TBDS alphas in [0, 1], e.g. 0.25,0.5")
    paper.add_argument("--tie-break", dest="tie_break", help="tie rules, e.g. first,low")
    paper.add_argument("--exact", action="store_true", default=None, help="exact rationals")
    paper.add_argument("--tol", help="float tie tolerance (0 = raw floats)")
    paper.add_argument("--opt-method", dest="opt_method", help="OPT search method")
    paper.add_argument("--seed", help="OPT search seed")
    return w


def sweep_command(args) -> int:
    """Run ``datamech sweep``; errors are raised as :class:`ModelError` naming the flag."""
    try:
        return _file_sweep(args) if args.file is not None else _paper_sweep(args)
    except ModelError as exc:
        flag = FLAGS.get(exc.field)
        if flag is None and args.file is not None and exc.field in _set_paths(args):
            flag = f"--set {exc.field}"
        if flag is None:
            raise
        raise ModelError(flag, exc.problem) from None


def _set_paths(args) -> set[str]:
    return {text.partition("=")[0].strip() for text in args.settings}


def _integer(text: str, field: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ModelError(field, f"must be an integer, got {text!r}") from None


def _workers(args) -> int | None:
    return None if args.workers is None else _integer(args.workers, "workers")


# ---------------------------------------------------------------------- any model file
def _file_sweep(args) -> int:
    used = [flag for dest, flag, _ in PAPER_FLAGS if getattr(args, dest) not in (None, False)]
    if used:
        raise ModelError(
            used[0],
            "is a flag of the paper-model sweep (without FILE); with a model file use --set, "
            "e.g. --set model.n=2..8 or --set solver.tie_break=first,low",
        )
    if not args.settings:
        raise ModelError("--set", "give at least one PATH=VALUES, e.g. --set model.alpha=0.2:0.8:7")
    grid: dict[str, list[Any]] = {}
    for text in args.settings:
        path, values = parse_setting(text)
        if path in grid:
            raise ModelError(f"--set {path}", "is given twice")
        grid[path] = values
    if args.plot and args.plot[0] not in grid and args.plot[0] not in CONTRACT_KEYS:
        raise ModelError(
            "plot", f"X must be a swept path ({', '.join(grid)}), got {args.plot[0]!r}"
        )
    workers = _workers(args)
    t0 = time.perf_counter()
    table = sweep(
        args.file,
        grid,
        zip=args.zip,
        out=args.out,
        fresh=args.fresh,
        workers=workers,
        scheduler=args.scheduler,
        progress=not args.quiet,
    )
    seconds = time.perf_counter() - t0
    _plot(table, args)
    swept = list(grid)
    if args.json:
        print(json.dumps({"rows": _records(table)}, allow_nan=False))
    else:
        shown = [*swept, "status", "objective"]
        if table["objective_name"].nunique(dropna=True) > 1:
            shown.append("objective_name")
        if table["error"].notna().any():
            shown.append("error")
        print(_text(table[shown]))
        name = table["objective_name"].dropna()
        what = (
            f" (objective: {name.iloc[0]})" if len(name) and "objective_name" not in shown else ""
        )
        print(_summary(table, seconds, args.out) + what)
    return _exit_code(table)


def _records(table) -> list[dict[str, Any]]:
    return jsonable(table.astype(object).where(table.notna(), None).to_dict(orient="records"))


def _text(frame) -> str:
    return frame.to_string(index=False, float_format=lambda x: f"{x:.6g}", na_rep="")


def _summary(table, seconds: float, out: str | None) -> str:
    n = len(table)
    parts = [f"{n} case{'' if n == 1 else 's'} in {seconds:.2f} s"]
    resumed, failed = table.attrs.get("resumed", 0), int(table["error"].notna().sum())
    if resumed:
        parts.append(f"{resumed} resumed")
    if failed:
        parts.append(f"{failed} failed")
    return ", ".join(parts) + (f"; wrote {out}" if out else "")


def _exit_code(table) -> int:
    statuses = table["status"].astype(str)
    bad = statuses[~statuses.isin([s.value for s in ACCEPTED])]
    if bad.empty:
        return EXIT_OK
    errors = table["error"].dropna()
    if len(errors) == len(table):
        print(
            f"datamech: error: every case failed; the first: {errors.iloc[0]}",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    counts = ", ".join(f"{s} {k}" for s, k in bad.value_counts(sort=False).items())
    print(
        f"datamech: warning: {len(bad)} of {len(table)} cases not solved to standard "
        f"({counts}); their rows say why (status, error, advice)",
        file=sys.stderr,
    )
    return EXIT_NOT_CERTIFIED


def _plot(table, args, by: list[str] | None = None) -> None:
    if not args.plot:
        return
    x, y = args.plot
    fig = plot_sweep(table, x, y, by=by)
    paths = save_figure(fig, plot_stem(args.out, x, y))
    print(f"datamech: wrote {', '.join(str(p) for p in paths)}", file=sys.stderr)


# ---------------------------------------------------------------------- the paper's chains
def _paper_sweep(args) -> int:
    if args.settings or args.zip:
        raise ModelError("--set" if args.settings else "--zip", "needs a model FILE")
    if args.n is None:
        raise ModelError(
            "--n",
            "give a model FILE with --set PATH=VALUES, or the paper-model flags with "
            "--n (chain lengths, e.g. --n 2..8)",
        )
    given = {dest: getattr(args, dest) for dest, _, _ in PAPER_FLAGS}
    for dest, _, default in PAPER_FLAGS:
        if given[dest] is None:
            given[dest] = default

    def items(text: str | None, field: str) -> list[str]:
        parts = [x.strip() for x in (text or "").split(",")]
        if text is not None and any(not x for x in parts):
            raise ModelError(field, f"has an empty entry in {text!r}")
        return [x for x in parts if x]

    ns: list[int] = []
    for part in items(given["n"], "ns"):
        if ".." in part:
            lo, _, hi = part.partition("..")
            ns.extend(range(_integer(lo, "ns"), _integer(hi, "ns") + 1))
        else:
            ns.append(_integer(part, "ns"))
    if given["tol"] is None:
        tol = None
    else:
        try:
            tol = float(given["tol"])
        except ValueError:
            raise ModelError("tol", f"must be a number >= 0, got {given['tol']!r}") from None
    cases = sweep_grid(
        models=items(given["models"], "models"),
        ns=ns,
        mechanisms=items(given["mechanisms"], "mechanisms"),
        alphas=items(given["alpha"], "alphas"),
        tie_breaks=items(given["tie_break"], "tie_breaks"),
        exact=bool(given["exact"]),
        tol=tol,
        opt_method=given["opt_method"],
        seed=_integer(given["seed"], "seed"),
    )
    if args.plot and args.plot[0] not in CASE_KEYS:
        raise ModelError("plot", f"X must be one of {', '.join(CASE_KEYS)}, got {args.plot[0]!r}")
    if args.out:
        check_table_path(args.out)  # a bad --out fails now, not after the sweep
    t0 = time.perf_counter()
    frame = run_sweep(
        cases,
        workers=_workers(args),
        scheduler=args.scheduler,
        progress=not args.quiet,
        out=args.out,
        fresh=args.fresh,
    )
    seconds = time.perf_counter() - t0
    if args.plot:
        varying = [k for k in CASE_KEYS if k != args.plot[0] and frame[k].nunique(dropna=False) > 1]
        _plot(frame, args, by=varying)
    if args.json:
        print(json.dumps({"rows": decode_rows(frame)}))
        return EXIT_OK
    shown = frame[
        [
            "model",
            "n",
            "mechanism",
            "alpha",
            "tie_break",
            "social_welfare",
            "transaction_volume",
            "ties",
        ]
    ].copy()
    if (frame["status"] != "optimal").any():  # e.g. an OPT search that is only heuristic
        shown["status"] = frame["status"]
    shown["alpha"] = shown["alpha"].map(lambda a: "" if a is None or a != a else f"{a:g}")
    print(shown.to_string(index=False, float_format=lambda x: f"{x:.6g}"))
    print(_summary(frame.assign(error=None), seconds, args.out))
    return EXIT_OK
