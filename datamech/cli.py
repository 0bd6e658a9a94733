"""The ``datamech`` command: solve model files, reproduce the papers, verify theorems.

    datamech solve FILE [--json] [--out DIR] [--quiet] [--method M] [-o KEY=VALUE ...]
    datamech options KIND [--json]
    datamech reproduce NAME [--json] [--out DIR]
    datamech verify [NAME ...] [--family F] [--json]
    datamech sweep FILE --set PATH=VALUES [--set ...] [--zip] [--out FILE.csv|.parquet]
                   [--fresh] [--plot X Y] [--workers N | --scheduler ADDRESS] [--quiet] [--json]
    datamech sweep --n 2,3,4 [--models M,..] [--mechanisms RAW,AVE,TBDS,OPT] [--alpha A,..] ...

Exit codes: 0 solved (status optimal, evaluated, or a local / heuristic method that says
so); 2 bad input (``ModelError``: one line on stderr naming the field) or no solution
(``SolverError``: infeasible, unbounded, solver failure); 3 solved, but not to the
requested standard (unconverged, stopped by a limit, inaccurate: the result is printed
and stderr says what to change); 1 an internal error (a bug: please report it).
``--json`` prints exactly one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import warnings
from pathlib import Path

from .backends import silence_native_stdout
from .errors import ModelError, SolverError
from .experiments.sweep import add_sweep_parser, sweep_command
from .numeric import jsonable
from .status import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK, exit_code

REPRODUCIBLE = ("table1", "robustness", "figure2", "figure3")


def build_parser() -> argparse.ArgumentParser:
    """The `datamech` command's argument parser (also read by the docs tests)."""
    from . import __version__

    p = argparse.ArgumentParser(
        prog="datamech",
        description="Mechanism design in data markets by mathematical programming.",
        epilog="Exit codes: 0 solved; 2 bad input or no solution; 3 solved but not to the "
        "requested standard (unconverged, limit reached, inaccurate); 1 internal error.",
    )
    p.add_argument("--version", action="version", version=f"datamech {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    s = sub.add_parser(
        "solve",
        help="solve a model file (any kind)",
        description="Solve a model file of any kind. Options: the file's [solver] table, "
        "then these flags (one name per concept in every kind; `datamech options KIND` "
        "lists each kind's methods and options).",
        epilog_factory=_methods_epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument("file", help="model file (TOML)")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.add_argument("--out", metavar="DIR", help="also write result.json, a table and plots here")
    s.add_argument("--quiet", action="store_true", help="no progress bars")
    s.add_argument("--method", help="the algorithm (see below)")
    s.add_argument("--backend", help="modelling layer: highspy | cvxpy | pyomo (kind-dependent)")
    s.add_argument("--solver", help="numerical solver, e.g. highs, clarabel")
    s.add_argument("--tie-break", dest="tie_break", help="tie rule (kind-dependent)")
    s.add_argument("--exact", action="store_true", default=None, help="exact rational arithmetic")
    s.add_argument("--tol", type=float, help="tolerance (kind-dependent)")
    s.add_argument("--time-limit", dest="time_limit", type=float, help="seconds")
    s.add_argument("--seed", type=int, help="random seed")
    s.add_argument("--max-iterations", dest="max_iterations", type=int, help="iteration limit")
    s.add_argument(
        "--max-memory-gb", dest="max_memory_gb", type=float, help="memory limit of the size guards"
    )
    s.add_argument(
        "-o",
        "--option",
        dest="options",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help='any other solver option (VALUE read as TOML: 3, 0.5, true, "1/3", [1, 2])',
    )

    o = sub.add_parser("options", help="list a kind's methods and solver options")
    o.add_argument("kind", help="model-file kind (chain, offline, online, bilateral, ...)")
    o.add_argument("--json", action="store_true")

    r = sub.add_parser("reproduce", help="rebuild a paper's table or figure")
    r.add_argument("name", choices=REPRODUCIBLE)
    r.add_argument("--json", action="store_true")
    r.add_argument("--out", metavar="DIR")

    v = sub.add_parser(
        "verify",
        help="run the symbolic checks (the papers' identities, or those that apply to FILE)",
        description="datamech verify [NAME ...] [--family F]: the registered checks of the "
        "papers; datamech verify FILE.toml: the checks that apply to the model in FILE, with "
        "its numbers substituted. --module M imports your own checks (this runs your code: "
        "an explicit opt-in).",
    )
    v.add_argument("names", nargs="*", help="check names (default: all), or one model file")
    v.add_argument("--family", help="only this family's checks (e.g. chain)")
    v.add_argument("--json", action="store_true")
    v.add_argument(
        "--module",
        dest="modules",
        action="append",
        default=[],
        metavar="M",
        help="import this module (name or .py path) and run its registered checks too",
    )

    add_sweep_parser(sub)
    for module, adder in _EXTRA_PARSERS:
        getattr(importlib.import_module(module), adder)(sub)
    return p


# subcommands whose parser and function live with their feature (module, parser adder)
_EXTRA_PARSERS = (
    ("datamech.solvers.mechanism.cli", "add_audit_parser"),
    ("datamech.schema.cli", "add_new_parser"),
    ("datamech.schema.cli", "add_schema_parser"),
)
_EXTRA_COMMANDS = {
    "audit": ("datamech.solvers.mechanism.cli", "audit_command"),
    "new": ("datamech.schema.cli", "new_command"),
    "schema": ("datamech.schema.cli", "schema_command"),
}


class _Parser(argparse.ArgumentParser):
    """A parser whose epilog is computed only when help is printed (it imports solvers)."""

    def __init__(self, *args, epilog_factory=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.epilog_factory = epilog_factory

    def format_help(self) -> str:
        if self.epilog_factory is not None:
            self.epilog = self.epilog_factory()
        return super().format_help()


def _methods_epilog() -> str:
    """Each kind's methods, for ``datamech solve --help``."""
    from .solvers import OPTIONS, options_for

    lines = ["methods by kind (default first; `datamech options KIND` for every option):"]
    for kind in OPTIONS:
        try:
            spec = options_for(kind)
        except Exception:  # noqa: BLE001 - help must print even if a kind fails to import
            spec = None
        if spec is not None:
            lines.append(f"  {kind}: {', '.join(spec.methods)}")
    return "\n".join(lines)


def _warning_line(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as one line on stderr (no source line, no file name)."""
    print(f"datamech: warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .progress import quiet

    quiet_mode = bool(getattr(args, "quiet", False) or getattr(args, "json", False))
    try:
        with (
            warnings.catch_warnings(),
            silence_native_stdout(True),
            quiet(quiet_mode),
        ):
            warnings.showwarning = _warning_line
            warnings.simplefilter("default")
            warnings.filterwarnings("ignore", module=r"(?!datamech)")  # only datamech's own
            if args.command == "solve":
                return _solve(args)
            if args.command == "options":
                return _options(args)
            if args.command == "reproduce":
                return _reproduce(args)
            if args.command == "sweep":
                return sweep_command(args)
            if args.command in _EXTRA_COMMANDS:
                module, name = _EXTRA_COMMANDS[args.command]
                return getattr(importlib.import_module(module), name)(args)
            return _verify(args)
    except (ModelError, SolverError) as exc:
        print(f"datamech: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except MemoryError:
        print(
            "datamech: error: out of memory (lower the model's sizes, or raise "
            "[solver] max_memory_gb only if the machine has the memory)",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # e.g. `datamech ... | head`: stop quietly
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return EXIT_OK
    except KeyboardInterrupt:
        print("datamech: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - a bug: one line, the traceback on request
        if os.environ.get("DATAMECH_DEBUG"):
            raise
        print(
            f"datamech: internal error: {type(exc).__name__}: {_one_line(exc)} "
            "(a bug; rerun with DATAMECH_DEBUG=1 for the traceback and please report it)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _emit(result, args, stem: str) -> None:
    data = jsonable(result.to_dict())
    if args.out:
        out = Path(args.out)
        try:
            out.mkdir(parents=True, exist_ok=True)
            (out / f"{stem}.json").write_text(json.dumps(data, indent=2, allow_nan=False) + "\n")
            frame = result.to_frame()
            frame.to_csv(out / f"{stem}.csv", index=False)
            save = getattr(result, "save_plots", None)
            if callable(save):
                try:
                    save(out, stem)
                except NotImplementedError:
                    pass
        except OSError as exc:
            raise ModelError("--out", f"cannot write to {out} ({exc.strerror})") from None
    if args.json:
        print(json.dumps(data, allow_nan=False))
    else:
        print(result.format() if hasattr(result, "format") else json.dumps(data, indent=2))


_FLAG_OPTIONS = (
    "method",
    "backend",
    "solver",
    "tie_break",
    "exact",
    "tol",
    "time_limit",
    "seed",
    "max_iterations",
    "max_memory_gb",
)


def _parse_option(text: str) -> tuple[str, object]:
    """``KEY=VALUE`` with VALUE read as a TOML value (a bare word stays a string)."""
    import tomllib

    key, sep, raw = text.partition("=")
    key = key.strip().replace("-", "_")
    if not sep or not key:
        raise ModelError("--option", f"must be KEY=VALUE, got {text!r}")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return key, value


def _solve(args) -> int:
    from . import load, solve

    model = load(args.file)
    options = {k: getattr(args, k) for k in _FLAG_OPTIONS if getattr(args, k) is not None}
    for text in args.options:
        key, value = _parse_option(text)
        if key in options:
            raise ModelError(f"--option {key}", "is given twice")
        options[key] = value
    result = solve(model, **options)
    _emit(result, args, "result")
    code = exit_code(result.status) if hasattr(result, "status") else EXIT_OK
    if code != EXIT_OK:
        status = getattr(result.status, "value", result.status)
        advice = getattr(result, "advice", None) or "the result is printed as it stands"
        print(f"datamech: warning: status {status}: {_one_line(advice)}", file=sys.stderr)
    return code


def _options(args) -> int:
    from .models.io import known_kinds
    from .solvers import OPTIONS, options_for

    if args.kind not in OPTIONS:
        raise ModelError("kind", f"unknown kind {args.kind!r} (known: {', '.join(known_kinds())})")
    spec = options_for(args.kind)
    if spec is None:
        raise ModelError("kind", f"kind {args.kind!r} declares no options yet")
    print(json.dumps(spec.to_dict()) if args.json else spec.describe())
    return EXIT_OK


def _reproduce(args) -> int:
    if args.name == "table1":
        from .experiments.table1 import reproduce_table1

        _emit(reproduce_table1(), args, "table1")
    elif args.name == "robustness":
        from .experiments.robustness import reproduce_robustness

        _emit(reproduce_robustness(), args, "robustness")
    elif args.name in ("figure2", "figure3"):
        from .experiments import figures

        # figures are files: without --out they go to ./out (said on stderr); a bad
        # directory fails before the minutes of OPT search, not after
        out = figures.prepare_out_dir(args.out or "out")
        make = figures.figure2 if args.name == "figure2" else figures.figure3
        result = make(workers=None)  # all cores; the numbers do not depend on it
        paths = figures.write_figure(result, out)
        print(f"datamech: wrote {', '.join(p.name for p in paths)} to {out}/", file=sys.stderr)
        if args.json:
            print(json.dumps({"rows": jsonable(result.rows), "files": [str(p) for p in paths]}))
        else:
            print(result.format())
    return 0


def _verify(args) -> int:
    from .symbolic.verify_file import verify

    report, code = verify(args.names, family=args.family, json=args.json, modules=args.modules)
    print(report)
    return code


if __name__ == "__main__":
    sys.exit(main())
