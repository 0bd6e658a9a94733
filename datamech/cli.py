"""The ``datamech`` command: solve model files, reproduce the papers, verify theorems.

    datamech solve FILE [--json] [--out DIR] [--method M] [--tie-break R] [--exact] [--tol T]
    datamech reproduce NAME [--json] [--out DIR]
    datamech verify [NAME ...] [--family F] [--json]
    datamech sweep --n 2,3,4 [--models M,..] [--mechanisms RAW,AVE,TBDS,OPT] [--alpha A,..]
                   [--tie-break R,..] [--out FILE.csv|.parquet] [--workers N]
                   [--scheduler ADDRESS] [--quiet] [--json]

User mistakes (``ModelError``) and solver failures (``SolverError``) print one line on
stderr and exit with code 2.  ``--json`` prints exactly one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from pathlib import Path

from .errors import ModelError, SolverError
from .numeric import jsonable

REPRODUCIBLE = ("table1", "robustness", "figure2", "figure3")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="datamech", description="Mechanism design in data markets by mathematical programming."
    )
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("solve", help="solve a model file (any kind)")
    s.add_argument("file", help="model file (TOML)")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.add_argument("--out", metavar="DIR", help="also write result.json (and tables) here")
    s.add_argument("--method", help="solver method (chain: fast | reference)")
    s.add_argument("--tie-break", dest="tie_break", help="first | low | high")
    s.add_argument("--exact", action="store_true", default=None, help="exact rational arithmetic")
    s.add_argument("--tol", type=float, help="float tie tolerance (0 = raw floats)")

    r = sub.add_parser("reproduce", help="rebuild a paper's table or figure")
    r.add_argument("name", choices=REPRODUCIBLE)
    r.add_argument("--json", action="store_true")
    r.add_argument("--out", metavar="DIR")

    v = sub.add_parser("verify", help="run the registered symbolic checks")
    v.add_argument("names", nargs="*", help="check names (default: all)")
    v.add_argument("--family", help="only this family's checks (e.g. chain)")
    v.add_argument("--json", action="store_true")

    w = sub.add_parser(
        "sweep",
        help="solve a grid of paper models, chain lengths, mechanisms and tie rules",
        description="Run a grid of chain experiments (one row per case) on local processes "
        "or a Dask cluster and write the table as CSV or Parquet.",
    )
    w.add_argument("--models", default="model1,model2,model3,model4", help="model1..model4")
    w.add_argument("--n", required=True, help="chain lengths: 2,3,4 or a range 2..8")
    w.add_argument("--mechanisms", default="RAW,AVE", help="RAW, AVE, TBDS, OPT")
    w.add_argument("--alpha", help="TBDS alphas in [0, 1], e.g. 0.25,0.5")
    w.add_argument(
        "--tie-break", dest="tie_break", default="first", help="tie rules, e.g. first,low"
    )
    w.add_argument("--exact", action="store_true", help="exact rational arithmetic")
    w.add_argument("--tol", help="float tie tolerance (0 = raw floats)")
    w.add_argument("--opt-method", dest="opt_method", default="evolution", help="OPT search method")
    w.add_argument("--seed", default="0", help="OPT search seed")
    w.add_argument("--out", metavar="FILE", help="write the table here (.csv or .parquet)")
    w.add_argument("--workers", help="local processes (default: all cores; 1 = in-process)")
    w.add_argument("--scheduler", metavar="ADDRESS", help="run on this Dask scheduler")
    w.add_argument("--quiet", action="store_true", help="no progress bar")
    w.add_argument("--json", action="store_true", help='print one JSON object {"rows": [...]}')
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        with _silence_native_stdout(True):
            if args.command == "solve":
                return _solve(args)
            if args.command == "reproduce":
                return _reproduce(args)
            if args.command == "sweep":
                return _sweep(args)
            return _verify(args)
    except (ModelError, SolverError) as exc:
        print(f"datamech: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `datamech ... | head`: stop quietly
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return 0
    except KeyboardInterrupt:
        print("datamech: interrupted", file=sys.stderr)
        return 130


@contextlib.contextmanager
def _silence_native_stdout(active: bool):
    """Discard what compiled solvers print on file descriptor 1 (HiGHS's banner, for
    one), so stdout carries only datamech's own output (with ``--json`` exactly one JSON
    object) and an error stays one line on stderr.  Python's own ``print`` still reaches
    the real stdout."""
    try:
        fd = sys.stdout.fileno() if active else None
    except (AttributeError, OSError, io.UnsupportedOperation):
        fd = None  # not a real file (e.g. captured in tests): nothing native to catch
    if fd is None:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)
    python_stdout = sys.stdout
    sys.stdout = os.fdopen(os.dup(saved), "w")
    try:
        yield
    finally:
        try:
            sys.stdout.flush()
        finally:
            sys.stdout.close()
            sys.stdout = python_stdout
            os.dup2(saved, fd)
            os.close(saved)


def _emit(result, args, stem: str) -> None:
    data = jsonable(result.to_dict())
    if args.out:
        out = Path(args.out)
        try:
            out.mkdir(parents=True, exist_ok=True)
            (out / f"{stem}.json").write_text(json.dumps(data, indent=2) + "\n")
            frame = result.to_frame()
            frame.to_csv(out / f"{stem}.csv", index=False)
            if callable(getattr(result, "plot", None)):  # e.g. PSP convergence curves
                result.plot(out)
        except OSError as exc:
            raise ModelError("--out", f"cannot write to {out} ({exc.strerror})") from None
    if args.json:
        print(json.dumps(data))
    else:
        print(result.format() if hasattr(result, "format") else json.dumps(data, indent=2))


def _solve(args) -> int:
    from . import load, solve

    model = load(args.file)
    options = {
        k: getattr(args, k)
        for k in ("method", "tie_break", "exact", "tol")
        if getattr(args, k) is not None
    }
    result = solve(model, **options)
    _emit(result, args, "result")
    return 0


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
    from .symbolic import run_checks

    results = run_checks(names=args.names or None, family=args.family)
    failed = [r for r in results if not r.passed]
    if args.json:
        print(
            json.dumps(
                {
                    "passed": len(results) - len(failed),
                    "failed": len(failed),
                    "checks": [r.to_dict() for r in results],
                }
            )
        )
    else:
        for r in results:
            mark = "PASS" if r.passed else "FAIL"
            print(f"{mark}  {r.name}: {r.identity}")
            if not r.passed and r.detail:
                print(f"      {r.detail}")
        print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


# sweep's Python-side field names -> the flags a command-line user typed
_SWEEP_FLAGS = {
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
    "workers": "--workers",
    "scheduler": "--scheduler",
    # fields named inside one case's model or solver
    "n": "--n",
    "solver.tie_break": "--tie-break",
    "tie_break": "--tie-break",
    "max_binaries": "--opt-method",
}


def _sweep(args) -> int:
    try:
        return _run_sweep_command(args)
    except ModelError as exc:
        flag = _SWEEP_FLAGS.get(exc.field)
        if flag is None:
            raise
        raise ModelError(flag, exc.problem) from None


def _run_sweep_command(args) -> int:
    import time

    from .experiments.sweep import (
        check_table_path,
        decode_rows,
        run_sweep,
        sweep_grid,
        write_table,
    )

    def items(text: str | None, field: str) -> list[str]:
        parts = [x.strip() for x in (text or "").split(",")]
        if text is not None and any(not x for x in parts):
            raise ModelError(field, f"has an empty entry in {text!r}")
        return [x for x in parts if x]

    def integer(text: str, field: str) -> int:
        try:
            return int(text)
        except ValueError:
            raise ModelError(field, f"must be an integer, got {text!r}") from None

    ns: list[int] = []
    for part in items(args.n, "ns"):
        if ".." in part:
            lo, _, hi = part.partition("..")
            ns.extend(range(integer(lo, "ns"), integer(hi, "ns") + 1))
        else:
            ns.append(integer(part, "ns"))
    if args.tol is None:
        tol = None
    else:
        try:
            tol = float(args.tol)
        except ValueError:
            raise ModelError("tol", f"must be a number >= 0, got {args.tol!r}") from None
    cases = sweep_grid(
        models=items(args.models, "models"),
        ns=ns,
        mechanisms=items(args.mechanisms, "mechanisms"),
        alphas=items(args.alpha, "alphas"),
        tie_breaks=items(args.tie_break, "tie_breaks"),
        exact=args.exact,
        tol=tol,
        opt_method=args.opt_method,
        seed=integer(args.seed, "seed"),
    )
    workers = None if args.workers is None else integer(args.workers, "workers")
    if args.out:
        check_table_path(args.out)  # a bad --out fails now, not after the sweep
    t0 = time.perf_counter()
    frame = run_sweep(cases, workers=workers, scheduler=args.scheduler, progress=not args.quiet)
    seconds = time.perf_counter() - t0
    if args.out:
        write_table(frame, args.out)
    if args.json:
        print(json.dumps({"rows": decode_rows(frame)}))
        return 0
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
    where = f"; wrote {args.out}" if args.out else ""
    plural = "" if len(frame) == 1 else "s"
    print(f"{len(frame)} case{plural} in {seconds:.2f} s{where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
