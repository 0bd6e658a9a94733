"""Commented model-file templates, written from the declarations (``datamech new KIND``).

A template is the declaration's example file with every other key of its tables
written out: keys with a default carry it (so the file states what the solver will
use), keys without one, alternatives and optional tables are commented out with a
value to start from; every key has its meaning, symbol, type and range above it.
It solves as written (``datamech new KIND F && datamech solve F``).

>>> text = template("offline")
>>> "alpha = \\"1/2\\"" in text and "[[buyers]]" in text
True
>>> template("ofline")
Traceback (most recent call last):
...
datamech.errors.ModelError: kind: unknown kind 'ofline' (known: chain, chain_continuous, offline, online, bilateral, infosale, psp, mechanism)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ModelError
from .registry import FILES
from .tables import NO_DEFAULT, ByKey, ByPath, Key, ModelFile, Table, TableArray, Tagged
from .toml_text import comment, toml_key, toml_value
from .values import Choice, Integer, ListOf, Number, Numbers, OneOf, Pair, Type

__all__ = ["REFERENCE", "declaration_named", "key_summary", "sample_of", "template"]

#: Where the reference lives (template headers, messages).
REFERENCE = "docs/model-files.md"

#: The ``[solver]`` options of a kind as (name, default, help) rows; installed by
#: :mod:`datamech.schema.cli` (which may import the solvers) so this module does not.
SolverRows = Callable[[str], list[tuple[str, Any, str]]]


def declaration_named(name: str) -> ModelFile:
    """The declaration ``datamech new NAME`` writes (``ModelError`` naming ``kind``)."""
    if not isinstance(name, str) or name not in FILES:
        raise ModelError("kind", f"unknown kind {name!r} (known: {', '.join(FILES)})")
    return FILES[name]


def sample_of(typ: Type) -> Any:
    """A valid value of ``typ`` for a commented-out key with no example or default.

    >>> sample_of(Number(low=0, high=1, low_open=True, high_open=True)), sample_of(Integer(low=16))
    (0.5, 16)
    """
    if isinstance(typ, Number):
        for x in (1, 0, 0.5, typ.low, typ.high):
            try:
                typ.check_range(x, "")
            except (ModelError, TypeError):
                continue
            return x
    if isinstance(typ, Integer):
        return typ.low if typ.low is not None else 0
    if isinstance(typ, Choice):
        return typ.choices[0]
    if isinstance(typ, Numbers):
        depth = typ.ndim if isinstance(typ.ndim, int) else (typ.ndim or (typ.min_ndim,))[0]
        value: Any = sample_of(Number(typ.low, typ.high, typ.low_open, typ.high_open))
        for _ in range(depth):
            value = [value]
        return value
    if isinstance(typ, Pair):
        return [sample_of(typ.first), sample_of(typ.second)]
    if isinstance(typ, OneOf):
        return sample_of(typ.options[0])
    if isinstance(typ, ListOf):
        return []
    if isinstance(typ, TableArray):
        return [sample_of(typ.item)]
    if isinstance(typ, Tagged):
        name, table = typ.variants[0]
        return {typ.tag: name, **table_sample(table)}
    if isinstance(typ, Table):
        return table_sample(typ)
    return ""


def table_sample(table: Table) -> dict[str, Any]:
    """The required keys of ``table`` (the first of each exactly-one group) with values."""
    firsts = {g[0] for g in table.exactly_one}
    out = {}
    for k in table.keys:
        if k.required or k.name in firsts:
            v = k.sample()
            out[k.name] = sample_of(k.type) if v is NO_DEFAULT else v
    return out


def key_summary(key: Key) -> str:
    """The key's comment: meaning and symbol, type and range, default.

    >>> from .values import Number
    >>> key_summary(Key("cost", Number(low=0, low_open=True), "unit cost", symbol="c",
    ...                 required=True))
    'unit cost (c). Number, > 0; required.'
    """
    text = key.describe()
    constraint = key.type.constraint()
    typ = key.type.label[:1].upper() + key.type.label[1:]
    text += f". {typ}{', ' + constraint if constraint else ''}"
    if key.required:
        text += "; required"
    elif key.has_default():
        text += f"; default {toml_value(key.default)}"
    elif key.default_text:
        text += f"; default {key.default_text}"
    return text + "."


@dataclass
class _Line:
    text: str
    code: bool  # a value or header (commented out when its table is)


def _is_section(typ: Type) -> bool:
    return isinstance(typ, (Table, Tagged, ByKey, ByPath)) and not (
        isinstance(typ, Table) and typ.open
    )


def _concrete(typ: Type, value: Any, ctx: Mapping[str, Any]) -> Table:
    """The table declaration that applies to ``value``."""
    if isinstance(typ, Tagged):
        return typ.variant(value[typ.tag])
    if isinstance(typ, ByKey):
        return _concrete(typ.choose(value), value, ctx)
    if isinstance(typ, ByPath):
        return _concrete(typ.choose(ctx), value, ctx)
    assert isinstance(typ, Table)
    return typ


def _all_defaults(typ: Type) -> bool:
    """A table that may be written with its defaults alone (no required key)."""
    return (
        type(typ) is Table
        and not typ.open
        and not typ.exactly_one
        and not any(k.required for k in typ.keys)
    )


def _table_lines(
    table: Table,
    data: Mapping[str, Any],
    path: str,
    ctx: Mapping[str, Any],
    solver_rows: SolverRows | None,
    kind: str,
) -> list[_Line]:
    inline: list[_Line] = []
    sections: list[_Line] = []
    groups = [*table.exactly_one, *table.at_most_one]
    for key in table.keys:
        if key.deprecated:
            continue
        given = key.name in data
        taken = any(key.name in g and any(o in data for o in g if o != key.name) for g in groups)
        if given:
            value, active = data[key.name], True
        elif key.has_default() and not taken:
            value, active = key.default, True
        elif _all_defaults(key.type) and not taken:
            value, active = {}, True
        else:
            value = key.sample()
            value, active = (sample_of(key.type) if value is NO_DEFAULT else value), False
        notes = comment(key_summary(key))
        if taken and not given:
            other = next(o for g in groups if key.name in g for o in g if o in data)
            notes += comment(f"Instead of {other}.")
        full = f"{path}.{key.name}" if path else key.name
        if isinstance(key.type, Table) and key.type.open:
            sections += _solver_lines(full, notes, solver_rows, kind)
        elif _is_section(key.type) and isinstance(value, Mapping):
            block = [_Line("", False), *(_Line(t, False) for t in notes)]
            block.append(_Line(f"[{full}]", True))
            block += _table_lines(_concrete(key.type, value, ctx), value, full, ctx,
                                  solver_rows, kind)  # fmt: skip
            sections += block if active else _commented(block)
        elif isinstance(key.type, TableArray) and isinstance(value, list):
            for i, entry in enumerate(value):
                block = [_Line("", False)]
                if i == 0:
                    block += [_Line(t, False) for t in notes]
                block.append(_Line(f"[[{full}]]", True))
                block += _table_lines(_concrete(key.type.item, entry, ctx), entry, full, ctx,
                                      solver_rows, kind)  # fmt: skip
                sections += block if active else _commented(block)
        else:
            inline += [_Line(t, False) for t in notes]
            inline.append(_Line(f"{toml_key(key.name)} = {toml_value(value, indent='')}", True))
            if not active:
                inline[-1:] = _commented(inline[-1:])
    return inline + sections


def _commented(block: list[_Line]) -> list[_Line]:
    """``block`` with its values and headers commented out."""
    return [_Line("# " + x.text.replace("\n", "\n# "), False) if x.code else x for x in block]


def _solver_lines(
    path: str, notes: list[str], solver_rows: SolverRows | None, kind: str
) -> list[_Line]:
    lines = [_Line("", False), *(_Line(t, False) for t in notes), _Line(f"[{path}]", True)]
    for name, default, help_text in solver_rows(kind) if solver_rows else []:
        lines += [_Line(t, False) for t in comment(help_text)]
        shown = "(no default: the solver decides)" if default is None else toml_value(default)
        lines.append(_Line(f"# {name} = {shown}", False))
    return lines


def template(name: str, solver_rows: SolverRows | None = None) -> str:
    """The commented model file of declaration ``name`` (``datamech new NAME``).

    ``solver_rows(kind)`` lists the ``[solver]`` options written (commented out) in the
    ``[solver]`` table; without it the table is left empty."""
    decl = declaration_named(name)
    head = [f"# {decl.title}: a datamech model file (kind {decl.kind!r})."]
    head += comment(decl.meaning)
    head += comment(
        f"Every key is listed with its meaning, type and default; keys commented out are "
        f"optional or alternatives.  Reference: {REFERENCE}.  Solve: datamech solve FILE."
    )
    lines = _table_lines(decl.root, decl.example, "", decl.example, solver_rows, decl.kind)
    body = [x.text for x in lines]
    while body and body[0] == "":
        body.pop(0)
    return "\n".join([*head, "", *body]) + "\n"
