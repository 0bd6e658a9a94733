"""TOML text: whole model files (:func:`dumps_toml`, what :func:`datamech.save` writes),
single values (inline tables included) and wrapped comments for templates.

>>> toml_value({"family": "uniform", "low": 0, "high": "1/2"})
'{family = "uniform", low = 0, high = "1/2"}'
>>> toml_value([[1, 2], [3, 4]], indent="")
'[\\n  [1, 2],\\n  [3, 4],\\n]'
>>> comment("a b c", width=5)
['# a b', '# c']
"""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import numpy as np

__all__ = ["comment", "dumps_toml", "toml_key", "toml_value"]


def toml_key(name: str) -> str:
    """``name`` as a TOML key (quoted unless bare)."""
    bare = name and all(c.isalnum() or c in "_-" for c in name) and name.isascii()
    return name if bare else json.dumps(name)


def _scalar(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, Fraction):
        return str(v.numerator) if v.denominator == 1 else f'"{v}"'
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if hasattr(v, "item"):  # numpy scalar
        return _scalar(v.item())
    raise TypeError(f"cannot write {v!r} to TOML")


def toml_value(v: Any, indent: str | None = None) -> str:
    """``v`` as a TOML value (inline tables for mappings).

    With ``indent`` (the indentation of the closing bracket) a list of lists is written
    one row per line."""
    if isinstance(v, np.ndarray):
        v = v.tolist()
    if isinstance(v, Mapping):
        inner = ", ".join(f"{toml_key(str(k))} = {toml_value(x)}" for k, x in v.items())
        return "{" + inner + "}"
    if isinstance(v, (list, tuple)):
        if indent is not None and v and isinstance(v[0], (list, tuple)):
            rows = "".join(f"{indent}  {toml_value(x, indent)},\n" for x in v)
            return f"[\n{rows}{indent}]"
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return _scalar(v)


def dumps_toml(data: Mapping[str, Any]) -> str:
    """Serialize nested dicts (tables, arrays of tables, scalars, nested lists) to TOML.

    >>> print(dumps_toml({"model": {"kind": "offline", "alpha": "1/2"},
    ...                   "buyers": [{"family": "uniform", "low": 0, "high": 1}]}), end="")
    [model]
    kind = "offline"
    alpha = "1/2"
    <BLANKLINE>
    [[buyers]]
    family = "uniform"
    low = 0
    high = 1
    """
    lines: list[str] = []

    def emit(table: Mapping[str, Any], prefix: str) -> None:
        subtables = []
        for k, v in table.items():
            if isinstance(v, Mapping):
                subtables.append((k, v, False))
            elif isinstance(v, list) and v and all(isinstance(x, Mapping) for x in v):
                subtables.append((k, v, True))
            else:
                lines.append(f"{toml_key(k)} = {toml_value(v, indent='')}")
        for k, v, is_array in subtables:
            name = f"{prefix}.{toml_key(k)}" if prefix else toml_key(k)
            if is_array:
                for item in v:
                    lines.append("")
                    lines.append(f"[[{name}]]")
                    emit(item, name)
            else:
                lines.append("")
                lines.append(f"[{name}]")
                emit(v, name)

    emit(data, "")
    return "\n".join(lines).lstrip("\n") + "\n"


def comment(text: str, width: int = 88, prefix: str = "# ") -> list[str]:
    """``text`` wrapped into comment lines."""
    if not text:
        return []
    return [prefix + line for line in textwrap.wrap(text, width - len(prefix))]
