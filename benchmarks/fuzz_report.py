"""Run the model-file fuzzer (tests/fuzzing.py, issue 12 §5) and print its bug report.

    python benchmarks/fuzz_report.py                      # the full set (seed 0)
    python benchmarks/fuzz_report.py --sample 50          # the fast sample of the test suite
    python benchmarks/fuzz_report.py --only wrong_type,nan --file chain
    python benchmarks/fuzz_report.py --list               # the cases, without running them
    python benchmarks/fuzz_report.py --show 'offline_i3/wrong_type/model.kind'   # one file

Failures are grouped by category and by example file, each with its mutation, the
command to rerun it and the first stderr line (or the traceback's last line); a closing
section lists each distinct failure once with one reproducer.  The mutated files of
failing cases are kept (``--keep DIR``, default a new temporary directory) so that the
printed commands work.  Exit status: 0 when every case met its contract, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import fuzzing  # noqa: E402 - needs the repository root on the path


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=0, help="mutation seed (default 0)")
    p.add_argument("--sample", type=int, metavar="N", help="only the fast sample of about N")
    p.add_argument(
        "--only",
        metavar="KIND[,KIND]",
        help="mutation classes (e.g. nan,wrong_type) or model kinds (e.g. psp)",
    )
    p.add_argument("--file", metavar="TEXT", help="only example files whose name contains TEXT")
    p.add_argument("--case", metavar="ID", action="append", help="only this case (repeatable)")
    p.add_argument("--show", metavar="ID", help="print the mutated file of one case and exit")
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    p.add_argument("--workers", type=int, default=fuzzing.WORKERS)
    p.add_argument("--timeout", type=float, default=fuzzing.TIMEOUT, help="seconds per case")
    p.add_argument(
        "--subprocess",
        action="store_true",
        help="run `python -m datamech.cli` per case instead of forked workers",
    )
    p.add_argument("--keep", metavar="DIR", help="write the mutated files here")
    p.add_argument("--json", metavar="FILE", help="also write the failures as JSON")
    p.add_argument("--brief", action="store_true", help="only the distinct failures")
    return p


def select(args: argparse.Namespace) -> list[fuzzing.Case]:
    cases = fuzzing.generate_cases(seed=args.seed)
    if args.sample:
        cases = fuzzing.sample_cases(cases, args.sample, seed=args.seed)
    if args.only:
        wanted = {x.strip() for x in args.only.split(",")}
        kinds = {c.kind for c in cases}
        unknown = wanted - set(fuzzing.MUTATIONS) - kinds
        if unknown:
            sys.exit(
                f"unknown mutation class or model kind {sorted(unknown)[0]!r} "
                f"(classes: {', '.join(fuzzing.MUTATIONS)}; kinds: {', '.join(sorted(kinds))})"
            )
        cases = [c for c in cases if c.mutation in wanted or c.kind in wanted]
    if args.file:
        cases = [c for c in cases if args.file in c.file]
    if args.case:
        cases = [c for c in cases if c.case_id in args.case]
    return cases


def signature(o: fuzzing.Outcome) -> tuple[str, ...]:
    """What makes two failures the same bug: the error (tracebacks) or the model kind,
    field and mutation class (wrong acceptance, refusal, numbers, time and memory)."""
    c = o.case
    kind = c.kind or "-"
    field = re.sub(r"\[\d+\]", "[]", c.field.split("#")[0])
    if o.category == "traceback":
        text = re.sub(r"/\S+", "PATH", o.detail)
        text = re.sub(r"'[^']*'|\"[^\"]*\"", "Q", text)
        text = re.sub(r"\d+(\.\d+)?(e[-+]?\d+)?", "N", text)
        return (o.category or "", kind, text)
    return (o.category or "", kind, c.mutation, field)


def report(outcomes: list[fuzzing.Outcome], seconds: float, brief: bool, how: str) -> str:
    failed = [o for o in outcomes if o.category]
    lines = [
        f"datamech fuzz ({how}): {len(outcomes)} cases in {seconds:.1f} s: "
        f"{len(outcomes) - len(failed)} met the contract, {len(failed)} failed",
    ]
    counts = {cat: sum(o.category == cat for o in failed) for cat in fuzzing.CATEGORIES}
    lines.append("  " + ", ".join(f"{cat} {n}" for cat, n in counts.items()))
    if not brief:
        for cat in fuzzing.CATEGORIES:
            group = [o for o in failed if o.category == cat]
            if not group:
                continue
            lines += ["", f"== {cat} ({len(group)})"]
            by_file: dict[str, list[fuzzing.Outcome]] = defaultdict(list)
            for o in group:
                by_file[o.case.file or "(no example)"].append(o)
            for stem in sorted(by_file):
                lines.append(f"-- {stem}")
                for o in sorted(by_file[stem], key=lambda o: (o.case.field, o.case.mutation)):
                    lines.append(
                        f"  [{o.case.mutation}] {o.case.description}"
                        f"   (expect {o.case.expect}, exit {o.run.rc}, "
                        f"{o.run.seconds:.1f} s)"
                    )
                    lines.append(f"      {o.detail[:300]}")
                    lines.append(f"      $ {o.command}")
    groups: dict[tuple[str, ...], list[fuzzing.Outcome]] = defaultdict(list)
    for o in failed:
        groups[signature(o)].append(o)
    lines += ["", f"== distinct failures ({len(groups)})"]
    order = sorted(groups, key=lambda s: (fuzzing.CATEGORIES.index(s[0]), s[1:]))
    for n, sig in enumerate(order, 1):
        group = groups[sig]
        o = group[0]
        where = sorted({f"{g.case.file}:{g.case.field}" for g in group})
        lines.append(f"{n:3d}. {sig[0]} | {o.case.kind} | [{o.case.mutation}] {o.case.description}")
        lines.append(f"       {o.detail[:300]}")
        lines.append(f"       $ {o.command}   (--case '{o.case.case_id}')")
        if len(group) > 1:
            shown = ", ".join(where[:6]) + (
                f", ... ({len(where)} places)" if len(where) > 6 else ""
            )
            lines.append(f"       {len(group)} cases: {shown}")
    lines += ["", "== slowest cases"]
    for o in sorted(outcomes, key=lambda o: -o.run.seconds)[:10]:
        lines.append(f"  {o.run.seconds:6.1f} s  {o.case.case_id}  (exit {o.run.rc})")
    noisy: dict[str, int] = defaultdict(int)
    for o in outcomes:
        for note in o.notes:
            noisy[re.sub(r"/\S+", "PATH", note)[:160]] += 1
    if noisy:
        lines += ["", "== stderr on successful runs (not failures; first lines, counted)"]
        lines += [f"  {n:4d} x {text}" for text, n in sorted(noisy.items(), key=lambda x: -x[1])]
    return "\n".join(lines)


def main() -> int:
    args = _parser().parse_args()
    cases = select(args)
    if args.show:
        case = next(
            (c for c in fuzzing.generate_cases(seed=args.seed) if c.case_id == args.show), None
        )
        if case is None:
            sys.exit(f"no case {args.show!r} (see --list)")
        print(f"# {case.description} (expect {case.expect})", file=sys.stderr)
        sys.stdout.buffer.write(case.content or b"")
        return 0
    if args.list:
        for c in cases:
            print(f"{c.case_id}\t{c.expect}\t{c.description}")
        print(f"{len(cases)} cases", file=sys.stderr)
        return 0
    keep = args.keep or tempfile.mkdtemp(prefix="datamech-fuzz-")

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty() or done == total or done % 200 == 0:
            print(
                f"\r{done}/{total} runs",
                end="" if done < total else "\n",
                file=sys.stderr,
                flush=True,
            )

    t0 = time.perf_counter()
    outcomes = fuzzing.run_cases(
        cases,
        workers=args.workers,
        timeout=args.timeout,
        mode="subprocess" if args.subprocess else "fork",
        keep=keep,
        progress=progress,
    )
    seconds = time.perf_counter() - t0
    mode = "subprocess" if args.subprocess else f"{args.workers} forking workers"
    print(report(outcomes, seconds, args.brief, f"seed {args.seed}, {mode}"))
    print(f"\nmutated files: {keep}")
    if args.json:
        rows = [
            {
                "id": o.case.case_id,
                "category": o.category,
                "file": o.case.file,
                "kind": o.case.kind,
                "mutation": o.case.mutation,
                "field": o.case.field,
                "description": o.case.description,
                "expect": o.case.expect,
                "exit": o.run.rc,
                "seconds": round(o.run.seconds, 3),
                "detail": o.detail,
                "command": o.command,
            }
            for o in outcomes
            if o.category
        ]
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
    return 1 if any(o.category for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
