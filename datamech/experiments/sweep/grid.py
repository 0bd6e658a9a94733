"""The grid of a sweep: value lists, dotted paths into a model file, cases and their keys.

A sweep varies entries of a model file.  An entry is named by a dotted path
(``model.alpha``, ``buyers[0].high``, ``solver.method``) and given a list of values,
written on the command line as a list (``0.1,0.5,0.9``), an integer range (``2..8``),
a linspace (``0.1:0.9:9``) or a mix (``2..4,8``).  Several paths form a product grid
(the first path varies slowest) or, with ``zip``, are paired value by value.  Each case
is the model-file dictionary with its values substituted; its key is a hash of that
dictionary and the solver options, so a rerun recognizes the cases it has already
solved whatever their place in the grid.

>>> parse_values("0.1:0.3:3", "model.alpha"), parse_values("2..4,8", "model.n")
([0.1, 0.2, 0.3], [2, 3, 4, 8])
>>> data = {"model": {"kind": "offline"}, "buyers": [{"high": 1}, {"high": 1}]}
>>> [c["buyers"][0]["high"] for c in substitute(data, expand({"buyers[0].high": [2, 3]}))]
[2, 3]
"""

from __future__ import annotations

import builtins
import copy
import hashlib
import itertools
import json
import math
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from ...errors import ModelError
from ...models.io import dumps_toml, read_toml, to_dict
from ...numeric import describe_value, fmt

__all__ = [
    "MAX_CASES",
    "as_values",
    "case_key",
    "expand",
    "model_data",
    "parse_path",
    "parse_setting",
    "parse_values",
    "set_path",
    "substitute",
]

#: The most cases one sweep may have (a typo such as ``1..10000000`` fails at once).
MAX_CASES = 1_000_000

_KEY = r"[A-Za-z0-9_-]+"
_PATH = re.compile(rf"{_KEY}(\[\d+\])*(\.{_KEY}(\[\d+\])*)*")
_STEP = re.compile(rf"({_KEY})|\[(\d+)\]")
_RANGE = re.compile(r"([+-]?\d+)\.\.([+-]?\d+)")
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?(?:/\d+)?"
_LINSPACE = re.compile(rf"({_NUMBER}):({_NUMBER}):(\d+)")


# ---------------------------------------------------------------------- values
def parse_values(text: str, field: str) -> list[Any]:
    """The values of one swept entry, from the command line's text.

    Comma-separated items, each a TOML value (``0.5``, ``"1/3"``, ``true``, ``[1, 2]``;
    a bare word is a string, so ``lp`` and ``1/3`` work unquoted), an integer range
    ``A..B`` (both ends included) or a linspace ``START:STOP:COUNT`` (COUNT evenly
    spaced values; integers when both ends are integers and every value is whole,
    exact ``"p/q"`` strings when an end is written ``p/q``).

    >>> parse_values("lp,greedy", "solver.method"), parse_values("0:1:3", "x")
    (['lp', 'greedy'], [0.0, 0.5, 1.0])
    >>> parse_values("2:8:4", "grid.cells"), parse_values("0:1/2:3", "model.alpha")
    ([2, 4, 6, 8], [0, '1/4', '1/2'])
    >>> parse_values("[0.3, 0.7],[0.5, 0.5]", "model.prior")
    [[0.3, 0.7], [0.5, 0.5]]
    """
    if not isinstance(text, str):
        raise ModelError(field, f"values must be text like 0.1,0.5 or 2..8, got {text!r}")
    if not text.strip():
        raise ModelError(field, "has no values")
    values: list[Any] = []
    for item in _split_top(text):
        item = item.strip()
        if not item:
            raise ModelError(field, f"has an empty entry in {text!r}")
        values.extend(_item_values(item, field))
        if len(values) > MAX_CASES:
            raise ModelError(field, f"has more than {fmt(MAX_CASES)} values")
    return values


def _split_top(text: str) -> list[str]:
    """Split at the commas outside brackets, braces and quotes."""
    items, depth, quote, start = [], 0, None, 0
    for i, ch in enumerate(text):
        if quote:
            if ch == quote and text[i - 1] != "\\":
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
    items.append(text[start:])
    return items


def _item_values(item: str, field: str) -> list[Any]:
    m = _RANGE.fullmatch(item)
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        if hi < lo:
            raise ModelError(field, f"the range {item} is empty (write the low end first)")
        if hi - lo + 1 > MAX_CASES:
            raise ModelError(field, f"the range {item} has more than {fmt(MAX_CASES)} values")
        return list(range(lo, hi + 1))
    m = _LINSPACE.fullmatch(item)
    if m:
        return _linspace(m.group(1), m.group(2), int(m.group(3)), item, field)
    try:
        return [tomllib.loads(f"v = {item}")["v"]]
    except tomllib.TOMLDecodeError:
        if item[0] in "[{\"'":
            raise ModelError(field, f"{item!r} is not a valid TOML value") from None
        return [item]  # a bare word: a name such as lp, or an exact number such as 1/3


def _linspace(start: str, stop: str, count: int, item: str, field: str) -> list[Any]:
    if count < 1 or count > MAX_CASES:
        raise ModelError(field, f"{item}: the count must be 1 to {fmt(MAX_CASES)}")
    try:
        a, b = Fraction(start), Fraction(stop)
    except (ValueError, ZeroDivisionError):
        raise ModelError(field, f"{item}: the ends must be numbers") from None
    step = (b - a) / (count - 1) if count > 1 else Fraction(0)
    exact = [a + k * step for k in range(count)]
    if "/" in start or "/" in stop:
        return [int(x) if x.denominator == 1 else str(x) for x in exact]
    integral = all(_is_int_text(t) for t in (start, stop))
    if integral and all(x.denominator == 1 for x in exact):
        return [int(x) for x in exact]
    # the nearest float to each exact point: 0.30000000000000004 never appears
    return [float(x) for x in exact]


def _is_int_text(text: str) -> bool:
    return re.fullmatch(r"[+-]?\d+", text) is not None


def as_values(values: Any, field: str) -> list[Any]:
    """The values of one swept entry given from Python: a list, range, array or text.

    Fractions become exact ``"p/q"`` strings (the model-file spelling), numpy scalars
    Python numbers; text is read as by :func:`parse_values`.

    >>> from fractions import Fraction
    >>> as_values([Fraction(1, 3), np.float64(0.5), 2], "model.alpha"), as_values(range(2, 4), "n")
    (['1/3', 0.5, 2], [2, 3])
    """
    if isinstance(values, str):
        return parse_values(values, field)
    if isinstance(values, np.ndarray):
        values = values.tolist()
    if isinstance(values, (Mapping, bytes)) or not isinstance(values, (Sequence, range)):
        raise ModelError(field, f"must be a list of values, got {describe_value(values)}")
    out = [_plain(v) for v in values]
    if not out:
        raise ModelError(field, "has no values")
    if len(out) > MAX_CASES:
        raise ModelError(field, f"has more than {fmt(MAX_CASES)} values")
    return out


def _plain(v: Any) -> Any:
    """A value as a model file holds it (TOML types only)."""
    if isinstance(v, Fraction):
        return v.numerator if v.denominator == 1 else str(v)
    if isinstance(v, np.ndarray):
        return [_plain(x) for x in v.tolist()]
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, Mapping):
        return {str(k): _plain(x) for k, x in v.items()}
    return v


# ---------------------------------------------------------------------- paths
def parse_path(text: str) -> tuple[str | int, ...]:
    """A dotted path into a model file as its steps: keys (str) and list indices (int).

    >>> parse_path("buyers[0].valuation.price")
    ('buyers', 0, 'valuation', 'price')
    >>> parse_path("buyers.0")
    ('buyers', '0')
    """
    if not isinstance(text, str) or not _PATH.fullmatch(text.strip()):
        raise ModelError(
            str(text),
            "is not a path into the model file (write it like model.alpha or buyers[0].high)",
        )
    return tuple(
        m.group(1) if m.group(1) is not None else int(m.group(2))
        for m in _STEP.finditer(text.strip())
    )


def parse_setting(text: str) -> tuple[str, list[Any]]:
    """``PATH=VALUES`` (the command line's ``--set``) as the path and its values.

    >>> parse_setting("model.alpha=0.2,0.8")
    ('model.alpha', [0.2, 0.8])
    """
    path, sep, values = text.partition("=")
    path = path.strip()
    if not sep or not path:
        raise ModelError("--set", f"must be PATH=VALUES like model.alpha=0.1,0.5, got {text!r}")
    parse_path(path)
    return path, parse_values(values, path)


def _render(path: Sequence[str | int]) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Put ``value`` at ``path`` in the model-file dictionary ``data`` (in place).

    Missing keys are created (missing tables too), so ``solver.method`` works on a file
    without a ``[solver]`` table; the kind's reader then checks the key like any other.
    List indices must exist.  Errors name ``path``.

    >>> d = {"model": {"kind": "psp"}, "buyers": [{"name": "A"}]}
    >>> set_path(d, "solver.method", "draft"); set_path(d, "buyers[0].name", "B"); d["solver"], d["buyers"]
    ({'method': 'draft'}, [{'name': 'B'}])
    >>> set_path(d, "buyers[3].name", "C")
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: buyers[3].name: buyers has 1 entry (buyers[0])
    """
    _put(data, path, value, copy_path=False)


def _put(data: dict[str, Any], path: str, value: Any, copy_path: bool) -> None:
    """:func:`set_path`; with ``copy_path`` the tables and lists on the path are copied
    before they change, so what ``data`` shares with another dictionary stays intact."""
    steps = parse_path(path)
    node: Any = data
    for k, step in enumerate(steps):
        where = _render(steps[:k]) or "the file"
        if isinstance(step, int):
            if not isinstance(node, list):
                raise ModelError(path, f"{where} is {describe_value(node)}, not a list")
            if step >= len(node):
                n = len(node)
                entries = f"{n} entr{'y' if n == 1 else 'ies'}"
                shown = f" ({where}[0]" + (f"..{where}[{n - 1}])" if n > 1 else ")") if n else ""
                raise ModelError(path, f"{where} has {entries}{shown}")
        elif not isinstance(node, dict):
            hint = f"; index it like {where}[0]" if isinstance(node, list) else ""
            raise ModelError(path, f"{where} is {describe_value(node)}, not a table{hint}")
        if k == len(steps) - 1:
            node[step] = copy.deepcopy(value)
            return
        if isinstance(step, str) and step not in node:
            if isinstance(steps[k + 1], int):
                raise ModelError(path, f"{_render(steps[: k + 1])} does not exist")
            node[step] = {}
        elif copy_path and isinstance(node[step], (dict, list)):
            node[step] = copy.copy(node[step])
        node = node[step]


# ---------------------------------------------------------------------- the grid
def expand(grid: Mapping[str, Sequence[Any]], zip: bool = False) -> list[dict[str, Any]]:
    """Every case of a grid as ``{path: value}``, in grid order.

    A product of the paths' values, the first path varying slowest; with ``zip`` the
    i-th values of every path together (all lists of one length).

    >>> expand({"a": [1, 2], "b": ["x", "y"]})
    [{'a': 1, 'b': 'x'}, {'a': 1, 'b': 'y'}, {'a': 2, 'b': 'x'}, {'a': 2, 'b': 'y'}]
    >>> expand({"a": [1, 2], "b": ["x", "y"]}, zip=True)
    [{'a': 1, 'b': 'x'}, {'a': 2, 'b': 'y'}]
    """
    names = list(grid)
    if not names:
        raise ModelError("grid", "the sweep varies nothing; give at least one path and values")
    lists = [list(grid[name]) for name in names]
    if zip:
        for name, values in itertools.islice(builtins.zip(names, lists, strict=True), 1, None):
            if len(values) != len(lists[0]):
                raise ModelError(
                    name,
                    f"has {len(values)} values but {names[0]} has {len(lists[0])}; "
                    "zip pairs lists of one length",
                )
        combos = builtins.zip(*lists, strict=True)
    else:
        total = math.prod(len(v) for v in lists)
        if total > MAX_CASES:
            raise ModelError(
                names[0], f"the grid has {fmt(total)} cases, more than {fmt(MAX_CASES)}"
            )
        combos = itertools.product(*lists)
    return [dict(builtins.zip(names, combo, strict=True)) for combo in combos]


def substitute(base: Mapping[str, Any], cases: Sequence[Mapping[str, Any]]) -> list[dict]:
    """Each case's model-file dictionary: ``base`` with the case's values set.

    ``base`` is not changed; the dictionaries share its parts that no path touches
    (treat them as read-only).
    """
    out = []
    for case in cases:
        data = dict(base)  # only what a path changes is copied; the rest is shared
        for path, value in case.items():
            _put(data, path, value, copy_path=True)
        out.append(data)
    return out


def case_key(*parts: Any) -> str:
    """A hash of JSON-like data (the substituted model, the options): a case's identity.

    Equal data give equal keys in every process and on every machine; any change (a
    value, a type: ``1`` is not ``1.0`` nor ``"1"``) gives another key.

    >>> case_key({"a": 1, "b": [0.5]}) == case_key({"b": [0.5], "a": 1}) != case_key({"a": 1.0, "b": [0.5]})
    True
    """
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=_canonical)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _canonical(x: Any) -> Any:
    if isinstance(x, Fraction):
        return {"fraction": str(x)}
    if isinstance(x, (np.ndarray, np.generic)):
        return x.tolist()
    if hasattr(x, "isoformat"):  # TOML dates and times
        return {"time": x.isoformat()}
    raise TypeError(f"cannot key a sweep case on {type(x).__name__}")


def model_data(model: Any) -> dict[str, Any]:
    """The model-file dictionary of a path, a model-file dictionary or a model object.

    A model object is written as its file would be (``dm.save``) and read back, so the
    paths are those of the saved file.
    """
    if isinstance(model, (str, os.PathLike)):
        data = read_toml(model)
    elif isinstance(model, Mapping):
        data = copy.deepcopy(dict(model))
    else:
        try:
            data = tomllib.loads(dumps_toml(to_dict(model)))
        except TypeError:
            raise ModelError(
                "model",
                f"a sweep needs a model file, a model-file dict or a model, got {type(model).__name__}",
            ) from None
    if not isinstance(data.get("model"), Mapping):
        raise ModelError("model", "the file needs a [model] table with a 'kind'")
    return data
