"""Solver options, declared once per kind: validation, defaults, deprecations and docs.

Each kind declares its methods and options as an :class:`OptionSet` (in its solver
package, ``datamech.solvers.<family>.OPTIONS``).  That one declaration validates the
keywords of :func:`datamech.solve`, the model file's ``[solver]`` table and the command
line flags alike, fills in defaults, renames deprecated names with a
``DeprecationWarning`` naming the new one, and prints ``datamech options KIND``.

One name per concept in every kind: ``method``, ``backend`` (highspy / cvxpy / pyomo),
``solver`` (the numerical solver: HiGHS, Clarabel, ...), ``tie_break``,
``time_limit`` (seconds), ``seed``, ``exact``, ``tol``, ``max_iterations``, and
``max_memory_gb`` (the size guard's limit, :mod:`datamech.sizes`), which every kind
accepts.

>>> opts = OptionSet("demo", {"fast": "the fast DP"}, (
...     Option("tie_break", "str", "first", "seller ties", choices=("first", "low"),
...            deprecated=("tie_rule",)),
...     Option("tol", "float", 1e-9, "float tie tolerance", low=0)))
>>> opts.resolve({"tol": 0})
{'method': 'fast', 'tie_break': 'first', 'tol': 0.0, 'max_memory_gb': None}
>>> opts.resolve({"tie_brake": "low"})
Traceback (most recent call last):
...
datamech.errors.ModelError: solver.tie_brake: unknown option of kind demo (allowed: method, tie_break, tol, max_memory_gb)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ModelError
from .numeric import fmt, read_int, read_number

__all__ = ["COMMON", "Option", "OptionSet"]

_TYPES = ("str", "int", "float", "bool", "number", "any")


@dataclass(frozen=True)
class Option:
    """One solver option: its name, type, default, meaning and allowed values.

    Parameters
    ----------
    name : str
        The one name of the concept (see the module docstring).
    type : {"str", "int", "float", "bool", "number", "any"}
        ``number`` keeps exact rationals (``"1/3"``); ``float`` converts to float;
        ``any`` is passed through (lists, tables), checked by the solver.
    default : object
        The value when the option is not given (``None``: the solver decides).
    help : str
        One line: what it does, with units.
    choices : tuple, optional
        The allowed values (for ``str`` options).
    low, high : float, optional
        Bounds (closed) for numbers.
    methods : tuple of str, optional
        The methods it applies to (default: all).
    deprecated : tuple of str
        Old names, accepted with a ``DeprecationWarning``.
    """

    name: str
    type: str
    default: Any
    help: str
    choices: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    methods: tuple[str, ...] | None = None
    deprecated: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.type not in _TYPES:
            raise ValueError(f"option type must be one of {_TYPES}, got {self.type!r}")

    def read(self, value: Any, where: str) -> Any:
        """``value`` checked against this declaration (``ModelError`` naming ``where``)."""
        if value is None:
            return None
        if self.type == "bool":
            if not isinstance(value, bool):
                raise ModelError(where, f"must be true or false, got {value!r}")
            return value
        if self.type == "str":
            if not isinstance(value, str):
                raise ModelError(where, f"must be a string, got {type(value).__name__}")
            if self.choices is not None and value not in self.choices:
                allowed = ", ".join(map(str, self.choices))
                raise ModelError(where, f"unknown value {value!r} (allowed: {allowed})")
            return value
        if self.type == "int":
            return read_int(value, where, low=self.low, high=self.high)
        if self.type in ("float", "number"):
            v = read_number(
                value,
                where,
                exact=False if self.type == "float" else None,
                low=self.low,
                high=self.high,
            )
            if self.choices is not None and v not in self.choices:
                allowed = ", ".join(fmt(c) for c in self.choices)
                raise ModelError(where, f"must be one of {allowed}, got {fmt(v)}")
            return v
        return value

    def describe(self) -> str:
        """One block for ``datamech options``: name, type, default, meaning, values."""
        default = "(solver decides)" if self.default is None else repr(self.default)
        lines = [f"  {self.name} ({self.type}, default {default})", f"      {self.help}"]
        if self.choices:
            lines.append(f"      values: {', '.join(map(str, self.choices))}")
        if self.low is not None or self.high is not None:
            lo = "-inf" if self.low is None else fmt(self.low)
            hi = "inf" if self.high is None else fmt(self.high)
            lines.append(f"      range: [{lo}, {hi}]")
        if self.methods:
            lines.append(f"      methods: {', '.join(self.methods)}")
        if self.deprecated:
            lines.append(f"      deprecated names: {', '.join(self.deprecated)}")
        return "\n".join(lines)


#: Options every kind accepts.
COMMON: tuple[Option, ...] = (
    Option(
        "max_memory_gb",
        "float",
        None,
        "memory limit of the size guards, in GB (default: half of the memory available)",
        low=1e-6,
    ),
)


@dataclass(frozen=True)
class OptionSet:
    """A kind's methods and options (the kind's one declaration).

    Parameters
    ----------
    kind : str
        The model-file kind.
    methods : mapping
        Method name -> one-line description; the first is the default method.
    options : tuple of Option
        The kind's options besides ``method`` and the :data:`COMMON` ones.
    method_default : str, optional
        The default method when it is not the first listed (e.g. ``auto``).
    deprecated_methods : mapping, optional
        Old method name -> current name; accepted with a ``DeprecationWarning``.
    """

    kind: str
    methods: Mapping[str, str]
    options: tuple[Option, ...] = ()
    method_default: str | None = None
    deprecated_methods: Mapping[str, str] = field(default_factory=dict)
    _by_name: dict[str, Option] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for old, new in self.deprecated_methods.items():
            if new not in self.methods or old in self.methods:
                raise ValueError(f"deprecated method {old!r} -> {new!r} of kind {self.kind}")
        method = Option(
            "method",
            "str",
            self.method_default or next(iter(self.methods)),
            "the algorithm",
            choices=(*self.methods, *self.deprecated_methods),
        )
        for opt in (method, *self.options, *COMMON):
            if opt.name in self._by_name:
                raise ValueError(f"option {opt.name!r} declared twice for kind {self.kind}")
            self._by_name[opt.name] = opt

    @property
    def all(self) -> tuple[Option, ...]:
        """Every option, ``method`` first and the common ones last."""
        return tuple(self._by_name.values())

    def names(self) -> list[str]:
        return list(self._by_name)

    def _canonical(self, key: str) -> str:
        if key in self._by_name:
            return key
        for opt in self._by_name.values():
            if key in opt.deprecated:
                warnings.warn(
                    f"option {key!r} is deprecated; use {opt.name!r}",
                    DeprecationWarning,
                    stacklevel=4,
                )
                return opt.name
        raise ModelError(
            f"solver.{key}",
            f"unknown option of kind {self.kind} (allowed: {', '.join(self.names())})",
        )

    def method_name(self, value: Any, field: str = "solver.method") -> str:
        """A method name checked against the declaration; an old name warns and is mapped.

        >>> OptionSet("demo", {"program": "..."}, deprecated_methods={"cvxpy": "program"}
        ...           ).method_name("program")
        'program'
        """
        name = self._by_name["method"].read(value, field)
        if name in self.deprecated_methods:
            new = self.deprecated_methods[name]
            warnings.warn(
                f"method {name!r} is deprecated; use method = {new!r}",
                DeprecationWarning,
                stacklevel=3,
            )
            return new
        return name

    def merge(self, *layers: Mapping[str, Any]) -> dict[str, Any]:
        """Options from several sources (file first, keywords last) merged and validated.

        Each layer's deprecated names are renamed first, so a later layer overrides an
        earlier one whichever name either used.  When a later layer changes the method,
        options of earlier layers that apply only to other methods are dropped (a file's
        ``cells`` for a grid method does not block ``--method lagrangian``).
        """
        renamed_layers: list[dict[str, Any]] = []
        for layer in layers:
            if not isinstance(layer, Mapping):
                raise ModelError(
                    "solver", f"must be a table of options, got {type(layer).__name__}"
                )
            renamed: dict[str, Any] = {}
            for key, value in layer.items():
                if not isinstance(key, str):
                    raise ModelError("solver", f"option names must be strings, got {key!r}")
                name = self._canonical(key)
                if name in renamed:
                    raise ModelError(f"solver.{key}", f"is given twice (also as {name!r})")
                renamed[name] = value
            renamed_layers.append(renamed)
        method = None
        for renamed in renamed_layers:
            method = renamed.get("method", method)
        if method is not None:
            method = self.method_name(method)
        merged: dict[str, Any] = {}
        for depth, renamed in enumerate(renamed_layers):
            last = depth == len(renamed_layers) - 1
            for name, value in renamed.items():
                scope = self._by_name[name].methods
                if not last and method is not None and scope is not None and method not in scope:
                    continue  # an earlier layer's option for another method
                merged[name] = value
        if method is not None:
            merged["method"] = method
        return self.validate(merged)

    def validate(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """The given options checked and renamed (no defaults added).

        Unknown names raise ``ModelError`` listing the allowed ones; deprecated names
        warn and are renamed; an option given under two names is an error; an option
        that does not apply to the chosen method is an error.
        """
        if not isinstance(given, Mapping):
            raise ModelError("solver", f"must be a table of options, got {type(given).__name__}")
        out: dict[str, Any] = {}
        for key, value in given.items():
            if not isinstance(key, str):
                raise ModelError("solver", f"option names must be strings, got {key!r}")
            name = self._canonical(key)
            if name in out:
                raise ModelError(f"solver.{key}", f"is given twice (also as {name!r})")
            out[name] = self._by_name[name].read(value, f"solver.{name}")
        if out.get("method") is not None:
            out["method"] = self.method_name(out["method"])
        method = out.get("method") or self._by_name["method"].default
        for name in out:
            scope = self._by_name[name].methods
            if scope is not None and method not in scope and out[name] is not None:
                raise ModelError(
                    f"solver.{name}",
                    f"applies to method {', '.join(scope)}, not to {method!r}",
                )
        return out

    def resolve(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """:meth:`validate`, then every option's default filled in (declaration order)."""
        out = self.validate(given)
        method = out.get("method") or self._by_name["method"].default
        full = {}
        for name, opt in self._by_name.items():
            if opt.methods is not None and method not in opt.methods and name not in out:
                continue
            full[name] = out.get(name, opt.default)
        if full.get("method") is None:
            full["method"] = method
        return full

    def describe(self) -> str:
        """The text of ``datamech options KIND``."""
        lines = [f"kind {self.kind}", "", "methods:"]
        default = self._by_name["method"].default
        for name, meaning in self.methods.items():
            mark = " (default)" if name == default else ""
            lines.append(f"  {name}{mark}: {meaning}")
        for old, new in self.deprecated_methods.items():
            lines.append(f"  {old}: deprecated name of {new}")
        lines += ["", "options ([solver] table, dm.solve keywords, datamech solve -o KEY=VALUE):"]
        lines += [opt.describe() for opt in self.all if opt.name != "method"]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready declaration (for ``datamech options KIND --json``)."""

        def plain(v: Any) -> Any:
            return None if isinstance(v, float) and not math.isfinite(v) else v

        return {
            "kind": self.kind,
            "methods": dict(self.methods),
            "default_method": self._by_name["method"].default,
            "deprecated_methods": dict(self.deprecated_methods),
            "options": [
                {
                    "name": o.name,
                    "type": o.type,
                    "default": plain(o.default),
                    "help": o.help,
                    "choices": list(o.choices) if o.choices else None,
                    "low": o.low,
                    "high": o.high,
                    "methods": list(o.methods) if o.methods else None,
                    "deprecated": list(o.deprecated),
                }
                for o in self.all
            ],
        }
