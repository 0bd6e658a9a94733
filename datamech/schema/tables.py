"""Keys, tables and the types that choose a table: the structure of a model file.

A :class:`Key` is one entry of a table: its name, value type, default, whether it is
required, its meaning and the paper's symbol.  A :class:`Table` is a set of keys
(unknown keys refused, every missing required key named in one message, groups of
keys of which exactly one or at most one may be given).  :class:`TableArray` is a TOML
array of tables (``[[buyers]]``); :class:`Tagged` a table whose keys depend on a name
in it (``family = "uniform"`` takes ``low``, ``high``); :class:`ByKey` and
:class:`ByPath` choose a table by a key it holds or by a value elsewhere in the file.
A :class:`ModelFile` is the declaration of one kind's file.

Examples
--------
>>> grid = Table((Key("cells", Integer(low=1), "type cells", default=80),
...               Key("tail", Number(low=0, high=1, low_open=True, high_open=True), "mass cut")))
>>> grid.check({"cells": 40}, "grid", {})
>>> grid.check({"cells": 0}, "grid", {})
Traceback (most recent call last):
...
datamech.errors.ModelError: grid.cells: must be >= 1, got 0
>>> grid.check({"cels": 40}, "grid", {})
Traceback (most recent call last):
...
datamech.errors.ModelError: grid.cels: unknown key (allowed: cells, tail)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import ModelError
from ..numeric import describe_value
from .checks import check_choice, check_keys, join
from .values import Choice, Integer, Number, Text, Type  # noqa: F401 (doctests)

__all__ = [
    "NO_DEFAULT",
    "ByKey",
    "ByPath",
    "Key",
    "ModelFile",
    "Table",
    "TableArray",
    "Tagged",
    "kind_key",
    "name_key",
    "solver_key",
]


class _NoDefault:
    """The default of a key that has none (``repr``: ``NO_DEFAULT``)."""

    def __repr__(self) -> str:
        return "NO_DEFAULT"

    def __bool__(self) -> bool:
        return False


NO_DEFAULT: Any = _NoDefault()


@dataclass(frozen=True)
class Key:
    """One key of a model-file table.

    Parameters
    ----------
    name : str
        The key as written in the file.
    type : Type
        Its value type (range and allowed values included).
    meaning : str
        One sentence for the reference and the template's comment.
    default : object
        The value when the key is left out (``NO_DEFAULT``: none, or not a literal; then
        ``default_text`` says what happens).
    required : bool
        The table must have it.
    symbol : str
        The paper's symbol (``α``, ``Q_j``, ...).
    example : object
        A valid value for templates and examples when there is no default.
    note : str
        When it applies (``with mechanism = "two_stage" only``).
    default_text : str
        The default in words when it is not a literal (``epsilon``, ``(1 - α)/(2 - α)``).
    deprecated : str
        The key's current name: an old name still read (with a warning by the reader),
        listed in the reference and never written in templates.
    """

    name: str
    type: Type
    meaning: str = ""
    default: Any = NO_DEFAULT
    required: bool = False
    symbol: str = ""
    example: Any = NO_DEFAULT
    note: str = ""
    default_text: str = ""
    deprecated: str = ""

    def has_default(self) -> bool:
        """Whether the key has a literal default."""
        return self.default is not NO_DEFAULT

    def sample(self) -> Any:
        """A valid value: the example, else the default (``NO_DEFAULT`` when neither)."""
        return self.example if self.example is not NO_DEFAULT else self.default

    def describe(self) -> str:
        """Meaning, symbol and note in one line (template comments, JSON descriptions)."""
        text = self.meaning
        if self.symbol:
            text += f" ({self.symbol})"
        if self.note:
            text += f"; {self.note}"
        if self.deprecated:
            text += f"; deprecated name of {self.deprecated}"
        return text


def _groups_text(groups: tuple[tuple[str, ...], ...]) -> str:
    return "; ".join(" / ".join(g) for g in groups)


@dataclass(frozen=True)
class Table(Type):
    """A table of declared keys.

    ``exactly_one`` lists groups of keys of which exactly one must be given (e.g.
    ``("transition", "transitions")``), ``at_most_one`` groups of which at most one may
    be; ``open`` tables take any keys (the ``[solver]`` table, checked by the kind's
    options instead).  ``example`` is a valid table for the reference."""

    keys: tuple[Key, ...] = ()
    meaning: str = ""
    example: Any = None  # a valid table (the reference's example of a family)
    exactly_one: tuple[tuple[str, ...], ...] = ()
    at_most_one: tuple[tuple[str, ...], ...] = ()
    open: bool = False
    label: str = "table"

    def key(self, name: str) -> Key:
        """The key called ``name``."""
        for k in self.keys:
            if k.name == name:
                return k
        raise KeyError(name)

    def names(self) -> list[str]:
        return [k.name for k in self.keys]

    def check(self, value: Any, field: str, ctx: Mapping[str, Any]) -> None:
        if self.open:
            if not isinstance(value, Mapping):
                raise ModelError(field or "file", f"must be a table, got {describe_value(value)}")
            return
        where = field or "file"
        check_keys(value, where, self.names())
        # every missing key in one message: the required ones and one of each group
        missing = [k.name for k in self.keys if k.required and k.name not in value]
        missing += [g[0] for g in self.exactly_one if not any(k in value for k in g)]
        groups = {g[0]: g for g in self.exactly_one}
        if len(missing) == 1 and missing[0] in groups:
            others = " or ".join(groups[missing[0]][1:])
            raise ModelError(join(where, missing[0]), f"is required (or {others})")
        check_keys(value, where, self.names(), missing)
        for group in (*self.exactly_one, *self.at_most_one):
            given = [k for k in group if k in value]
            if len(given) > 1:
                raise ModelError(join(where, given[1]), f"give {' or '.join(group)}, not both")
        for k in self.keys:
            if k.name in value:
                k.type.check(value[k.name], join(field, k.name), ctx)

    def constraint(self) -> str:
        old = {k.name for k in self.keys if k.deprecated}
        at_most = tuple(g for g in self.at_most_one if not old.intersection(g))
        parts = []
        if self.exactly_one:
            parts.append(f"exactly one of {_groups_text(self.exactly_one)}")
        if at_most:
            parts.append(f"at most one of {_groups_text(at_most)}")
        return "; ".join(parts)

    def json(self, defs: dict[str, Any]) -> dict[str, Any]:
        if self.open:
            return {"type": "object"}
        props: dict[str, Any] = {}
        for k in self.keys:
            schema = dict(k.type.json(defs))
            text = k.describe()
            if text:
                schema["description"] = text
            if k.has_default() and _jsonable(k.default):
                schema["default"] = k.default
            if k.deprecated:
                schema["deprecated"] = True
            props[k.name] = schema
        out: dict[str, Any] = {
            "type": "object",
            "properties": props,
            "additionalProperties": False,
        }
        required = [k.name for k in self.keys if k.required]
        if required:
            out["required"] = required
        rules = []
        for group in self.exactly_one:
            rules.append({"oneOf": [{"required": [k]} for k in group]})
        for group in self.at_most_one:
            rules.append({"not": {"required": list(group)}} if len(group) == 2 else {
                "not": {"anyOf": [
                    {"required": [a, b]} for i, a in enumerate(group) for b in group[i + 1:]
                ]}
            })  # fmt: skip
        if rules:
            out["allOf"] = rules
        if self.meaning:
            out["description"] = self.meaning
        return out

    def fits(self, value: Any) -> bool:
        return isinstance(value, Mapping)

    def with_keys(self, extra: tuple[Key, ...], first: bool = True) -> Table:
        """This table with ``extra`` keys added (before its own when ``first``)."""
        keys = (*extra, *self.keys) if first else (*self.keys, *extra)
        return replace(self, keys=keys)


def _jsonable(x: Any) -> bool:
    if isinstance(x, (bool, int, float, str)) or x is None:
        return True
    if isinstance(x, list):
        return all(_jsonable(v) for v in x)
    return False


@dataclass(frozen=True)
class TableArray(Type):
    """A TOML array of tables (``[[buyers]]``), each of type ``item``."""

    item: Type = field(default_factory=Table)
    nonempty: bool = True
    label: str = "array of tables"

    def check(self, value: Any, field: str, ctx: Mapping[str, Any]) -> None:
        if not isinstance(value, (list, tuple)) or (self.nonempty and not value):
            need = "a non-empty" if self.nonempty else "an"
            raise ModelError(
                field, f"must be {need} array of tables [[{field}]], got {describe_value(value)}"
            )
        for i, entry in enumerate(value):
            self.item.check(entry, join(field, i), ctx)

    def constraint(self) -> str:
        return "at least one" if self.nonempty else ""

    def json(self, defs: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "array", "items": self.item.json(defs)}
        if self.nonempty:
            out["minItems"] = 1
        return out

    def fits(self, value: Any) -> bool:
        return isinstance(value, (list, tuple))


@dataclass(frozen=True)
class Tagged(Type):
    """A table whose keys depend on the name in its ``tag`` key: ``family = "uniform"``
    takes the keys of ``variants["uniform"]``.

    Parameters
    ----------
    tag : str
        The key holding the name (``family``).
    variants : tuple of (name, Table)
        Each name's table (without the tag key), in the reference's order.
    title : str
        What the table is (``type law``), for messages and the reference.
    ref : str
        The name of its definition in the JSON Schema (``$defs``) and of its section
        in the reference (``""``: written out where used).
    refuse : tuple of (name, message)
        Names known but refused here, with the reason (nested mixtures).
    """

    tag: str = "family"
    variants: tuple[tuple[str, Table], ...] = ()
    title: str = ""
    ref: str = ""
    refuse: tuple[tuple[str, str], ...] = ()
    label: str = "table"

    def names(self) -> list[str]:
        return [name for name, _ in self.variants]

    def variant(self, name: str) -> Table:
        """The table of ``name`` with its tag key (``family = "name"``, required)."""
        for n, table in self.variants:
            if n == name:
                tag = Key(self.tag, Choice((name,)), f"which {self.title or 'variant'}",
                          required=True)  # fmt: skip
                return table.with_keys((tag,))
        raise KeyError(name)

    def check(self, value: Any, field: str, ctx: Mapping[str, Any]) -> None:
        if not isinstance(value, Mapping):
            raise ModelError(field or "file", f"must be a table, got {describe_value(value)}")
        if self.tag not in value:
            raise ModelError(join(field, self.tag), "is required")
        name = value[self.tag]
        reasons = dict(self.refuse)
        if isinstance(name, str) and name in reasons:
            raise ModelError(join(field, self.tag), reasons[name])
        check_choice(name, join(field, self.tag), self.names())
        self.variant(name).check(value, field, ctx)

    def constraint(self) -> str:
        return f"{self.tag} = " + " | ".join(self.names())

    def json(self, defs: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": "object",
            "required": [self.tag],
            "properties": {self.tag: {"enum": self.names()}},
            "allOf": [
                {
                    "if": {"properties": {self.tag: {"const": name}}, "required": [self.tag]},
                    "then": self.variant(name).json(defs),
                }
                for name in self.names()
            ],
        }
        if self.title:
            body["description"] = f"a {self.title}: {self.tag} and its parameters"
        if not self.ref:
            return body
        defs.setdefault(self.ref, body)
        return {"$ref": f"#/$defs/{self.ref}"}

    def fits(self, value: Any) -> bool:
        return isinstance(value, Mapping)

    def extended(
        self,
        extra: tuple[Key, ...],
        *,
        drop: tuple[str, ...] = (),
        ref: str = "",
        refuse: tuple[tuple[str, str], ...] | None = None,
    ) -> Tagged:
        """The same family with ``extra`` keys in every variant (an agent's ``name``
        beside its law), without the variants in ``drop``."""
        variants = tuple((n, t.with_keys(extra)) for n, t in self.variants if n not in drop)
        return replace(
            self, variants=variants, ref=ref, refuse=self.refuse if refuse is None else refuse
        )

    def without(self, *names: str, ref: str = "", reason: str = "") -> Tagged:
        """The family without the variants ``names`` (refused with ``reason`` if given)."""
        refuse = self.refuse + tuple((n, reason) for n in names if reason)
        return self.extended((), drop=names, ref=ref, refuse=refuse)


@dataclass(frozen=True)
class ByKey(Type):
    """A table whose form depends on which key it holds: the first case whose key is
    present applies, else ``default`` (an agent with ``item_types``, with ``types``, or
    with a law)."""

    cases: tuple[tuple[str, Type], ...] = ()
    default: Type = field(default_factory=Table)
    label: str = "table"

    def choose(self, value: Mapping[str, Any]) -> Type:
        for key, typ in self.cases:
            if key in value:
                return typ
        return self.default

    def check(self, value: Any, field: str, ctx: Mapping[str, Any]) -> None:
        if not isinstance(value, Mapping):
            raise ModelError(field or "file", f"must be a table, got {describe_value(value)}")
        self.choose(value).check(value, field, ctx)

    def json(self, defs: dict[str, Any]) -> dict[str, Any]:
        out = self.default.json(defs)
        for key, typ in reversed(self.cases):
            out = {"if": {"required": [key]}, "then": typ.json(defs), "else": out}
        return out

    def fits(self, value: Any) -> bool:
        return isinstance(value, Mapping)


@dataclass(frozen=True)
class ByPath(Type):
    """A value whose type depends on a name elsewhere in the file (``[[agents]]`` by
    ``outcomes.preset``): ``cases`` maps that name to a type, ``default`` the others.

    Declarations list the table holding that name before the tables that depend on it,
    so that a bad name is reported first.  The JSON Schema accepts any of the cases."""

    path: tuple[str, ...] = ()
    cases: tuple[tuple[str, Type], ...] = ()
    default: Type = field(default_factory=Table)
    label: str = "table"

    def choose(self, ctx: Mapping[str, Any]) -> Type:
        node: Any = ctx
        for part in self.path:
            node = node.get(part) if isinstance(node, Mapping) else None
        for name, typ in self.cases:
            if node == name:
                return typ
        return self.default

    def check(self, value: Any, field: str, ctx: Mapping[str, Any]) -> None:
        self.choose(ctx).check(value, field, ctx)

    def json(self, defs: dict[str, Any]) -> dict[str, Any]:
        options = [typ.json(defs) for _, typ in self.cases] + [self.default.json(defs)]
        return {"anyOf": options}

    def fits(self, value: Any) -> bool:
        return isinstance(value, Mapping) or isinstance(value, (list, tuple))


@dataclass(frozen=True)
class ModelFile:
    """The declaration of one kind's model file (or of one form of it).

    Parameters
    ----------
    name : str
        The declaration's name: the kind, or ``chain_continuous`` for the second form of
        kind ``chain`` (``datamech new NAME``).
    kind : str
        The ``[model] kind``.
    title, summary : str
        Heading and one line (``datamech new --list``).
    meaning : str
        A paragraph for the reference: what the model is, with the paper's references.
    root : Table
        The file's top-level tables.
    example : dict
        A minimal valid file, solved as written (the reference's example).
    when : tuple of str
        For a kind with several forms: the key path whose presence selects this form
        (``("model", "support")``); empty for the default form.
    """

    name: str
    kind: str
    title: str
    summary: str
    meaning: str
    root: Table
    example: Mapping[str, Any]
    when: tuple[str, ...] = ()

    def applies(self, data: Mapping[str, Any]) -> bool:
        """Whether this form applies to ``data`` (always, for a kind's default form)."""
        node: Any = data
        for part in self.when:
            if not isinstance(node, Mapping) or part not in node:
                return False
            node = node[part]
        return True

    def validate(self, data: Mapping[str, Any]) -> None:
        """Raise ``ModelError`` naming the field of the first problem in ``data``
        (``file.KEY`` for a key outside every table)."""
        self.root.check(data, "", data)


def kind_key(kind: str) -> Key:
    """The ``kind`` key of a ``[model]`` table."""
    return Key("kind", Choice((kind,)), "the model's kind", required=True, example=kind)


def name_key(default: str = "") -> Key:
    """The free-text ``name`` key of a ``[model]`` table."""
    return Key("name", Text(), "free text naming the model (shown in results)", default=default)


def solver_key(kind: str) -> Key:
    """The ``[solver]`` table of a kind: its options (``datamech options KIND``)."""
    return Key(
        "solver",
        Table(open=True),
        f"solver options: the method and its options (`datamech options {kind}`); "
        "command-line flags and dm.solve keywords override them",
    )
