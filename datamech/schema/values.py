"""Value types of model-file keys: numbers, integers, booleans, names, choices, lists.

Each type checks a value read from a TOML file (``check``), describes itself for the
reference (``label``: the type; ``constraint``: the range or the allowed values) and
gives its JSON Schema (draft 2020-12) fragment (``json``).  Numbers are read as
:func:`datamech.numeric.read_number` reads them: ints, floats and ``"p/q"`` strings,
mixed freely; booleans, NaN and infinities are refused (``+inf`` only where a type
says ``allow_inf``).  Tables and the types that choose between tables are in
:mod:`datamech.schema.tables`.

Examples
--------
>>> Number(low=0, high=1).check("3/4", "prior[0]", {})
>>> Number(low=0, low_open=True).check(0, "model.cost", {})
Traceback (most recent call last):
...
datamech.errors.ModelError: model.cost: must be > 0, got 0
>>> Numbers(ndim=1, low=0).check([1, "1/2", True], "buyers[0].values", {})
Traceback (most recent call last):
...
datamech.errors.ModelError: buyers[0].values[2]: must be a number, got the boolean true
>>> Number(low=0, high=1).constraint(), Integer(low=1).constraint()
('[0, 1]', '>= 1')
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from ..errors import ModelError
from ..numeric import describe_value, fmt, read_array, read_int, read_number
from .checks import check_choice, check_name

__all__ = [
    "NUMBER_PATTERN",
    "Boolean",
    "Choice",
    "Expression",
    "Integer",
    "ListOf",
    "Number",
    "Numbers",
    "OneOf",
    "Pair",
    "Text",
    "Type",
    "show_number",
]

#: A number written as a string ("1/3", "0.25", "2e-3"), as :class:`fractions.Fraction`
#: reads it (JSON Schema pattern, ECMA-262 and Python syntax alike).
NUMBER_PATTERN = (
    r"^\s*[-+]?(?=\.?[0-9])([0-9]+(_[0-9]+)*\s*/\s*[0-9]+(_[0-9]+)*"
    r"|([0-9]+(_[0-9]+)*)?(\.([0-9]+(_[0-9]+)*)?)?([eE][-+]?[0-9]+(_[0-9]+)*)?)\s*$"
)
_INF_PATTERN = r"^\s*\+?[iI][nN][fF]([iI][nN][iI][tT][yY])?\s*$"


def show_number(x: Any) -> str:
    """A bound as the reference prints it: ``0``, ``1/2``, ``0.1``, ``1e12``, ``1e-12``.

    >>> show_number(10**12), show_number(1e-12), show_number(0.5), show_number(2**63 - 1)
    ('1e12', '1e-12', '0.5', '9.22337e18')
    """
    if isinstance(x, Fraction) and x.denominator != 1:
        return str(x)
    v = float(x)
    if v != 0 and (abs(v) >= 1e6 or abs(v) < 1e-4):
        return f"{v:.6g}".replace("e+", "e").replace("e0", "e").replace("e-0", "e-")
    return fmt(int(v)) if v.is_integer() else fmt(v)


def _range_text(low, high, low_open, high_open) -> str:
    if low is not None and high is not None:
        return (
            f"{'(' if low_open else '['}{show_number(low)}, "
            f"{show_number(high)}{')' if high_open else ']'}"
        )
    if low is not None:
        return f"{'>' if low_open else '>='} {show_number(low)}"
    if high is not None:
        return f"{'<' if high_open else '<='} {show_number(high)}"
    return "any finite number"


def _shown(v: Any) -> str:
    """``fmt(v)``; a huge exact integer as a float-like number."""
    if isinstance(v, Fraction) and v.denominator == 1:
        return fmt(int(v))
    return fmt(v)


class Type:
    """A value type: :meth:`check` a value, describe it, give its JSON Schema."""

    #: the type column of the reference
    label: str = "value"

    def check(self, value: Any, field: str, ctx: Mapping[str, Any]) -> None:
        """Raise ``ModelError`` naming ``field`` when ``value`` is not of this type.

        ``ctx`` is the whole model-file dictionary (types that depend on another
        table look there)."""
        raise NotImplementedError

    def constraint(self) -> str:
        """The range or the allowed values, for the reference ("" when none)."""
        return ""

    def json(self, defs: dict[str, Any]) -> dict[str, Any]:
        """The JSON Schema (draft 2020-12) of the values of this type; shared definitions
        (type laws, valuations) go into ``defs`` and are referenced as ``#/$defs/NAME``."""
        raise NotImplementedError

    def fits(self, value: Any) -> bool:
        """Whether ``value`` has the Python shape of this type (string, list, table, ...);
        :class:`OneOf` reports the error of the alternative that fits."""
        return True


def _is_number(value: Any) -> bool:
    return isinstance(
        value, (int, float, str, Fraction, np.integer, np.floating)
    ) and not isinstance(value, (bool, np.bool_))


@dataclass(frozen=True)
class Number(Type):
    """A number (int, float or ``"p/q"`` string) in a range.

    ``low_open`` / ``high_open`` exclude the ends; ``allow_inf`` admits ``+inf`` (TOML
    ``inf`` or the string ``"inf"``, beyond ``high``); ``hint`` is appended to a range
    error (e.g. how to rescale)."""

    low: Any = None
    high: Any = None
    low_open: bool = False
    high_open: bool = False
    allow_inf: bool = False
    hint: str = ""
    label: str = "number"

    def check(self, value: Any, field: str, ctx: Mapping[str, Any]) -> None:
        v = read_number(value, field, allow_inf=self.allow_inf)
        self.check_range(v, field)

    def check_range(self, v: Any, field: str) -> None:
        """``v`` (already a number) inside the declared range: ``must lie in [a, b]``
        with both ends declared, else ``must be >= a`` / ``must be <= b``."""
        low = self.low is not None and (v < self.low or (self.low_open and v == self.low))
        high = (
            self.high is not None
            and v != math.inf
            and (v > self.high or (self.high_open and v == self.high))
        )
        if not (low or high):
            return
        bound = self.low if low else self.high
        if self.low is not None and self.high is not None:
            want = f"lie in {self.constraint().removesuffix(', or inf')}"
        elif low:
            want = f"be {'>' if self.low_open else '>='} {fmt(self.low)}"
        else:
            want = f"be {'<' if self.high_open else '<='} {fmt(self.high)}"
        raise ModelError(field, f"must {want}, got {_shown(v)}{self._tail(bound)}")

    def _tail(self, bound: Any) -> str:
        """The hint after a range error (not after a plain sign error, bound 0)."""
        return f"; {self.hint}" if self.hint and bound != 0 else ""

    def constraint(self) -> str:
        text = _range_text(self.low, self.high, self.low_open, self.high_open)
        return f"{text}, or inf" if self.allow_inf else text

    def json(self, defs: dict[str, Any]) -> dict[str, Any]:
        num: dict[str, Any] = {"type": "number"}
        if self.low is not None:
            num["exclusiveMinimum" if self.low_open else "minimum"] = float(self.low)
        if self.high is not None and not self.allow_inf:
            num["exclusiveMaximum" if self.high_open else "maximum"] = float(self.high)
        strings: list[dict[str, Any]] = [{"type": "string", "pattern": NUMBER_PATTERN}]
        if self.allow_inf:
            strings.append({"type": "string", "pattern": _INF_PATTERN})
        return {"anyOf": [num, *strings]}

    def fits(self, value: Any) -> bool:
        return _is_number(value)


@dataclass(frozen=True)
class Integer(Type):
    """An integer (``3`` or ``3.0``; not ``3.5``, ``true`` or ``"3"``) in a range."""

    low: int | None = None
    high: int | None = None
    label: str = "integer"

    def check(self, value: Any, field: str, ctx: Mapping[str, Any]) -> None:
        read_int(value, field, low=self.low, high=self.high)

    def constraint(self) -> str:
        return _range_text(self.low, self.high, False, False).replace("any finite number", "")

    def json(self, defs: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "integer"}
        if self.low is not None:
            out["minimum"] = self.low
        if self.high is not None:
            out["maximum"] = self.high
        return out

    def fits(self, value: Any) -> bool:
        return _is_number(value) and not isinstance(value, str)


@dataclass(frozen=True)
class Boolean(Type):
    """``true`` or ``false``."""

    label: str = "boolean"

    def check(self, value: Any, field: str, ctx: Mapping[str, Any]) -> None:
        if not isinstance(value, (bool, np.bool_)):
            raise ModelError(field, f"must be true or false, got {describe_value(value)}")

    def json(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"type": "boolean"}

    def fits(self, value: Any) -> bool:
        return isinstance(value, (bool, np.bool_))


@dataclass(frozen=True)
class Text(Type):
    """A name: any string (``nonempty``: not blank)."""

    nonempty: bool = False
    label: str = "string"

    def check(self, value: Any, field: str, ctx: Mapping[str, Any]) -> None:
        check_name(value, field, required=self.nonempty)

    def constraint(self) -> str:
        return "not empty" if self.nonempty else ""

    def json(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"type": "string", "pattern": r"\S"} if self.nonempty else {"type": "string"}

    def fits(self, value: Any) -> bool:
        return isinstance(value, str)


@dataclass(frozen=True)
class Choice(Type):
    """One of a list of names."""

    choices: tuple[str, ...] = ()
    label: str = "string"

    def check(self, value: Any, field: str, ctx: Mapping[str, Any]) -> None:
        check_choice(value, field, self.choices)

    def constraint(self) -> str:
        return " | ".join(self.choices)

    def json(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"enum": list(self.choices)}

    def fits(self, value: Any) -> bool:
        return isinstance(value, str)


@dataclass(frozen=True)
class Expression(Type):
    """A formula as text (read later by :mod:`datamech.expressions`, never evaluated);
    ``names`` says which names it may use."""

    names: str = ""
    label: str = "expression"

    def check(self, value: Any, field: str, ctx: Mapping[str, Any]) -> None:
        check_name(value, field, required=False)

    def constraint(self) -> str:
        return f"in {self.names}" if self.names else ""

    def json(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"type": "string"}

    def fits(self, value: Any) -> bool:
        return isinstance(value, str)


@dataclass(frozen=True)
class Numbers(Type):
    """A (nested) list of numbers, each read as :class:`Number` reads it, in a range.

    ``ndim`` is the nesting depth (or the depths accepted); ``nonempty=False`` admits
    ``[]``; lists must be rectangular (``rows have different lengths`` otherwise)."""

    ndim: int | tuple[int, ...] | None = 1
    low: Any = None
    high: Any = None
    low_open: bool = False
    high_open: bool = False
    nonempty: bool = True
    hint: str = ""
    shape: str = ""  # the shape in the paper's letters, e.g. "L x L"

    min_ndim: int = 1  # with ndim = None: any depth from this one

    def _depths(self) -> tuple[int, ...] | None:
        return (self.ndim,) if isinstance(self.ndim, int) else self.ndim

    @property
    def label(self) -> str:  # type: ignore[override]
        depths = self._depths()
        if depths is None:
            text = "nested list of numbers"
            return f"{text} ({self.shape})" if self.shape else text
        words = {1: "list of numbers", 2: "matrix of numbers", 3: "list of matrices"}
        text = " or ".join(words.get(d, f"{d}-level nested list of numbers") for d in depths)
        return f"{text} ({self.shape})" if self.shape else text

    def check(self, value: Any, field: str, ctx: Mapping[str, Any]) -> None:
        if not self.nonempty and isinstance(value, (list, tuple)) and len(value) == 0:
            return
        try:
            arr = read_array(
                value,
                field,
                low=self.low,
                high=self.high,
                low_open=self.low_open,
                high_open=self.high_open,
                nonempty=self.nonempty,
            )
        except ModelError as exc:
            if self.hint and exc.problem.startswith("must be ") and ", got " in exc.problem:
                raise ModelError(exc.field, f"{exc.problem}; {self.hint}") from None
            raise
        depths = self._depths()
        if depths is None:
            if arr.ndim < self.min_ndim:
                raise ModelError(
                    field,
                    f"must be a {self.min_ndim}-level nested list of numbers or deeper "
                    f"(got {arr.ndim} levels)",
                )
            return
        if arr.ndim not in depths:
            want = " or ".join(
                "a list of numbers" if d == 1 else f"a {d}-level nested list of numbers"
                for d in depths
            )
            raise ModelError(field, f"must be {want} (got {arr.ndim} levels)")

    def constraint(self) -> str:
        text = _range_text(self.low, self.high, self.low_open, self.high_open)
        return "" if text == "any finite number" else f"entries {text}"

    def json(self, defs: dict[str, Any]) -> dict[str, Any]:
        depths = self._depths() or (self.min_ndim,)
        leaf = Number(self.low, self.high, self.low_open, self.high_open).json(defs)

        def nest(d: int) -> dict[str, Any]:
            out: dict[str, Any] = {"type": "array", "items": leaf if d == 1 else nest(d - 1)}
            if self.nonempty:
                out["minItems"] = 1
            return out

        if self.ndim is None:  # any depth from min_ndim: arrays nested at least that deep
            deep: dict[str, Any] = {"type": "array", "items": {"$ref": "#/$defs/numbers"}}
            defs.setdefault(
                "numbers",
                {"anyOf": [leaf, {"type": "array", "items": {"$ref": "#/$defs/numbers"}}]},
            )
            return deep
        options = [nest(d) for d in depths]
        return options[0] if len(options) == 1 else {"anyOf": options}

    def fits(self, value: Any) -> bool:
        return isinstance(value, (list, tuple, np.ndarray))


@dataclass(frozen=True)
class ListOf(Type):
    """A list whose entries are all of type ``item`` (names, choices, tables, ...)."""

    item: Type = field(default_factory=Text)
    nonempty: bool = False
    what: str = ""  # what the entries are, for messages ("seller names")

    @property
    def label(self) -> str:  # type: ignore[override]
        return f"list of {self.what or self.item.label + 's'}"

    def check(self, value: Any, field: str, ctx: Mapping[str, Any]) -> None:
        if not isinstance(value, (list, tuple)):
            raise ModelError(
                field,
                f"must be a list of {self.what or self.item.label + 's'}, "
                f"got {describe_value(value)}",
            )
        if self.nonempty and not value:
            raise ModelError(field, "must not be empty")
        for i, x in enumerate(value):
            self.item.check(x, f"{field}[{i}]", ctx)

    def constraint(self) -> str:
        inner = self.item.constraint()
        return f"each {inner}" if inner else ""

    def json(self, defs: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "array", "items": self.item.json(defs)}
        if self.nonempty:
            out["minItems"] = 1
        return out

    def fits(self, value: Any) -> bool:
        return isinstance(value, (list, tuple))


@dataclass(frozen=True)
class Pair(Type):
    """A list of exactly two values, ``[first, second]`` (e.g. a support ``[low, high]``)."""

    first: Type = field(default_factory=Number)
    second: Type = field(default_factory=Number)
    names: str = "[low, high]"
    label: str = "pair"

    def check(self, value: Any, field: str, ctx: Mapping[str, Any]) -> None:
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            raise ModelError(field, f"must be a pair {self.names}, got {describe_value(value)}")
        self.first.check(value[0], f"{field}[0]", ctx)
        self.second.check(value[1], f"{field}[1]", ctx)

    def constraint(self) -> str:
        a, b = self.first.constraint(), self.second.constraint()
        return f"{self.names}: {a}; {b}" if a == b or not b else f"{self.names}: {a} and {b}"

    def json(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "array",
            "prefixItems": [self.first.json(defs), self.second.json(defs)],
            "minItems": 2,
            "maxItems": 2,
        }

    def fits(self, value: Any) -> bool:
        return isinstance(value, (list, tuple))


@dataclass(frozen=True)
class OneOf(Type):
    """Any of several types (a name or a list of names, a choice or a boolean, ...).

    A value is accepted when one alternative accepts it; otherwise the error is that
    of the alternative whose Python shape it has (a list for a list type), or a message
    listing the alternatives."""

    options: tuple[Type, ...] = ()

    @property
    def label(self) -> str:  # type: ignore[override]
        return " or ".join(o.label for o in self.options)

    def check(self, value: Any, field: str, ctx: Mapping[str, Any]) -> None:
        fitting = [o for o in self.options if o.fits(value)]
        for option in fitting:
            try:
                option.check(value, field, ctx)
                return
            except ModelError:
                if option is fitting[-1]:
                    raise
        raise ModelError(field, f"must be a {self.label}, got {describe_value(value)}")

    def constraint(self) -> str:
        return "; ".join(c for c in (o.constraint() for o in self.options) if c)

    def json(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"anyOf": [o.json(defs) for o in self.options]}

    def fits(self, value: Any) -> bool:
        return any(o.fits(value) for o in self.options)
