"""``datamech new KIND [FILE]``, ``datamech new --list`` and ``datamech schema KIND``.

``new`` writes the commented template of a kind (:func:`datamech.schema.templates.template`,
with the kind's ``[solver]`` options commented out) to FILE, or prints it; ``schema``
prints the JSON Schema (draft 2020-12) of the kind's file.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..errors import ModelError
from .json_schema import json_schema
from .registry import FILES
from .templates import template

__all__ = ["add_new_parser", "add_schema_parser", "new_command", "schema_command", "solver_rows"]


def add_new_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``new`` subcommand to ``subparsers``."""
    p = subparsers.add_parser(
        "new",
        help="write a commented model-file template for a kind",
        description="Write a commented model file of KIND (every key with its meaning and "
        "default; it solves as written) to FILE, or print it.  `datamech new --list` "
        "lists the kinds.",
    )
    p.add_argument("kind", nargs="?", help="the kind (datamech new --list)")
    p.add_argument("file", nargs="?", help="the file to write (default: print)")
    p.add_argument("--list", action="store_true", help="list the kinds and exit")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    return p


def add_schema_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``schema`` subcommand to ``subparsers``."""
    p = subparsers.add_parser(
        "schema",
        help="print a JSON Schema of a kind's model file",
        description="Print the JSON Schema (draft 2020-12) of KIND's model file, for "
        "editors that check TOML or JSON against a schema.",
    )
    p.add_argument("kind", help="the kind (datamech new --list)")
    return p


def solver_rows(kind: str) -> list[tuple[str, Any, str]]:
    """The kind's ``[solver]`` options as (name, default, help) rows (method first)."""
    from ..solvers import options_for

    spec = options_for(kind)
    if spec is None:
        return []
    rows = []
    for opt in spec.all:
        if opt.name == "method":
            meaning = "; ".join(f"{m}: {text}" for m, text in spec.methods.items())
            rows.append((opt.name, opt.default, f"method: {meaning}"))
            continue
        extra = f" (values: {', '.join(map(str, opt.choices))})" if opt.choices else ""
        only = f" [methods: {', '.join(opt.methods)}]" if opt.methods else ""
        rows.append((opt.name, opt.default, f"{opt.name}: {opt.help}{extra}{only}"))
    return rows


def new_command(args) -> int:
    """Run ``datamech new``; return the exit code."""
    if args.list:
        width = max(map(len, FILES))
        for name, decl in FILES.items():
            print(f"{name.ljust(width)}  {decl.summary}")
        return 0
    if args.kind is None:
        raise ModelError("kind", "give a kind (`datamech new --list` lists them)")
    text = template(args.kind, solver_rows)
    if args.file is None:
        print(text, end="")
        return 0
    path = Path(args.file)
    if path.exists() and not args.force:
        raise ModelError("file", f"{path} exists (use --force to overwrite it)")
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ModelError("file", f"cannot write {path} ({exc.strerror or exc})") from None
    return 0


def schema_command(args) -> int:
    """Run ``datamech schema``; return the exit code."""
    print(json.dumps(json_schema(args.kind), indent=2, ensure_ascii=False))
    return 0
