"""``datamech audit FILE``: audit the mechanism of a model file's ``[mechanism]`` table.

    datamech audit FILE [--json] [--out DIR] [--quiet]

Prints each agent's and type's most profitable deviation, the smallest epsilon for which
the mechanism is epsilon-IC, IR and budget violations, revenue and welfare (exact when the
inputs are).  ``--json`` prints one JSON object with ``max_ic_violation`` (that
epsilon), ``max_ir_violation``, ``revenue``, ``welfare`` and ``deviations``.  Exit codes
as ``datamech solve``: 0 audited, 2 bad input.

The command's parser and function are here; :mod:`datamech.cli` wires them in.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ...errors import ModelError
from ...numeric import jsonable
from ...status import EXIT_OK

__all__ = ["add_audit_parser", "audit_command"]


def add_audit_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``audit`` subcommand to ``datamech``'s subparsers."""
    a = subparsers.add_parser(
        "audit",
        help="audit a given mechanism ([mechanism] table of a kind-mechanism model file)",
        description="Audit the mechanism in a model file's [mechanism] table: most profitable "
        "deviations, the smallest epsilon for which it is epsilon-IC, IR and budget "
        "violations, revenue and welfare (exact when the inputs are).",
    )
    a.add_argument("file", help="model file (TOML) of kind mechanism with a [mechanism] table")
    a.add_argument("--json", action="store_true", help="print one JSON object")
    a.add_argument("--out", metavar="DIR", help="also write audit.json, a table and plots here")
    a.add_argument("--quiet", action="store_true", help="no progress bars")
    return a


def audit_command(args) -> int:
    """Run ``datamech audit`` for parsed ``args``; returns the exit code."""
    from ...models.io import load
    from ...models.mechanism import MechanismModel
    from .audit import audit

    model = load(args.file)
    if not isinstance(model, MechanismModel):
        raise ModelError("model.kind", "datamech audit reads model files of kind 'mechanism'")
    result = audit(model)
    data = jsonable(result.to_dict())
    if getattr(args, "out", None):
        out = Path(args.out)
        try:
            out.mkdir(parents=True, exist_ok=True)
            (out / "audit.json").write_text(json.dumps(data, indent=2, allow_nan=False) + "\n")
            result.to_frame().to_csv(out / "audit.csv", index=False)
            result.save_plots(out, "audit")
        except OSError as exc:
            raise ModelError("--out", f"cannot write to {out} ({exc.strerror})") from None
    print(json.dumps(data, allow_nan=False) if args.json else result.format())
    return EXIT_OK
