"""The ``datamech`` command: solve model files, reproduce the papers, verify theorems.

    datamech solve FILE [--json] [--out DIR] [--method M] [--tie-break R] [--exact] [--tol T]
    datamech reproduce NAME [--json] [--out DIR]
    datamech verify [NAME ...] [--family F] [--json]

User mistakes (``ModelError``) and solver failures (``SolverError``) print one line on
stderr and exit with code 2.  ``--json`` prints exactly one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .errors import ModelError, SolverError
from .numeric import jsonable

REPRODUCIBLE = ("table1",)


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
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "solve":
            return _solve(args)
        if args.command == "reproduce":
            return _reproduce(args)
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


def _emit(result, args, stem: str) -> None:
    data = jsonable(result.to_dict())
    if args.out:
        out = Path(args.out)
        try:
            out.mkdir(parents=True, exist_ok=True)
            (out / f"{stem}.json").write_text(json.dumps(data, indent=2) + "\n")
            frame = result.to_frame()
            frame.to_csv(out / f"{stem}.csv", index=False)
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


if __name__ == "__main__":
    sys.exit(main())
