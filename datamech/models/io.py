"""Model files: TOML reading with strict keys, a small TOML writer, and the kind registry.

Every model file has a ``[model]`` table with ``kind``.  Each family registers a reader
(``dict -> model``) and a writer (``model -> dict``) with :func:`register_kind`;
:func:`load` and :func:`save` dispatch on the kind.  Unknown keys are errors.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Iterable, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError
from ..numeric import describe_value

_READERS: dict[str, Callable[[dict[str, Any]], Any]] = {}
_WRITERS: dict[type, tuple[str, Callable[[Any], dict[str, Any]]]] = {}


def register_kind(kind: str, model_type: type, reader, writer) -> None:
    """Make ``kind`` loadable and ``model_type`` savable."""
    _READERS[kind] = reader
    _WRITERS[model_type] = (kind, writer)


def known_kinds() -> list[str]:
    """Every model-file kind."""
    return sorted(KIND_MODULES)


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file; unreadable or malformed files raise ``ModelError`` naming the file."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ModelError("file", f"{p} does not exist") from None
    except IsADirectoryError:
        raise ModelError("file", f"{p} is a directory, not a model file") from None
    except PermissionError:
        raise ModelError("file", f"{p} cannot be read (permission denied)") from None
    except UnicodeDecodeError:
        raise ModelError("file", f"{p} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ModelError("file", f"{p} is not valid TOML ({exc})") from None


def check_keys(
    table: Mapping[str, Any], where: str, allowed: Iterable[str], required: Iterable[str] = ()
) -> None:
    """Raise ``ModelError`` for unknown or missing keys of ``table`` (called ``where``).

    All missing keys are reported in one message.

    >>> check_keys({"kappa": 1}, "buyers[0].valuation", ["family", "kappa", "qbar"],
    ...            ["family", "kappa", "qbar"])
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: buyers[0].valuation: missing required keys family, qbar
    """
    if not isinstance(table, Mapping):
        raise ModelError(where, f"must be a table, got {describe_value(table)}")
    allowed = set(allowed)
    unknown = sorted(map(str, set(table) - allowed))
    if unknown:
        raise ModelError(
            f"{where}.{unknown[0]}" if where else unknown[0],
            f"unknown key (allowed: {', '.join(sorted(allowed))})",
        )
    missing = [key for key in required if key not in table]
    if len(missing) == 1:
        raise ModelError(f"{where}.{missing[0]}" if where else missing[0], "is required")
    if missing:
        raise ModelError(where or "file", f"missing required keys {', '.join(missing)}")


def check_name(value: Any, field: str, *, required: bool = True) -> str:
    """A model-file name (a string); anything else raises ``ModelError`` naming ``field``.

    >>> check_name("s1", "sellers[0].name")
    's1'
    >>> check_name(["offline"], "model.kind")
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: model.kind: must be a string, got a list
    """
    if not isinstance(value, str):
        raise ModelError(field, f"must be a string, got {describe_value(value)}")
    if required and not value.strip():
        raise ModelError(field, "must not be empty")
    return value


def check_choice(value: Any, field: str, choices: Iterable[str]) -> str:
    """A model-file name that must be one of ``choices``; ``ModelError`` listing them otherwise.

    >>> check_choice("uniform", "buyer.family", ["uniform", "exponential"])
    'uniform'
    >>> check_choice({"a": 1}, "buyer.family", ["uniform", "exponential"])
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: buyer.family: must be a string, got a table
    >>> check_choice("unifrom", "buyer.family", ["uniform", "exponential"])
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: buyer.family: unknown value 'unifrom' (allowed: uniform, exponential)
    """
    choices = list(choices)
    if not isinstance(value, str):
        raise ModelError(field, f"must be a string, got {describe_value(value)}")
    if value not in choices:
        raise ModelError(field, f"unknown value {value!r} (allowed: {', '.join(choices)})")
    return value


def load(path: str | Path):
    """Read a model file of any kind and return the kind's model object.

    >>> import datamech as dm
    >>> m = dm.load("examples/models/chain_model2.toml")  # doctest: +SKIP
    """
    data = read_toml(path)
    return from_dict(data)


def from_dict(data: Mapping[str, Any]):
    """Build a model from an already-parsed model-file dictionary."""
    if not isinstance(data, Mapping) or "model" not in data:
        raise ModelError("model", "the file needs a [model] table with a 'kind'")
    if not isinstance(data["model"], Mapping):
        raise ModelError("model", f"must be a table, got {describe_value(data['model'])}")
    kind = data["model"].get("kind")
    if kind is None:
        raise ModelError("model.kind", "is required")
    check_name(kind, "model.kind")
    if kind not in KIND_MODULES:
        raise ModelError("model.kind", f"unknown kind {kind!r} (known: {', '.join(known_kinds())})")
    _ensure_registered(kind)
    if "solver" in data and not isinstance(data["solver"], Mapping):
        raise ModelError("solver", f"must be a table, got {describe_value(data['solver'])}")
    return _READERS[kind](dict(data))


def _writer_of(model) -> tuple[str, Callable[[Any], dict[str, Any]]] | None:
    """The (kind, writer) registered for the model's type (its module is imported)."""
    for typ, entry in _WRITERS.items():
        if isinstance(model, typ):
            return entry
    return None


def to_dict(model) -> dict[str, Any]:
    """The model-file dictionary of ``model`` (inverse of :func:`from_dict`)."""
    entry = _writer_of(model)
    if entry is None:
        raise TypeError(f"no model-file writer for {type(model).__name__}")
    return entry[1](model)


def save(model, path: str | Path) -> Path:
    """Write ``model`` as a TOML model file that :func:`load` reads back."""
    p = Path(path)
    p.write_text(dumps_toml(to_dict(model)))
    return p


# The model modules that register each kind on import; a new family adds its entry here.
# Only the modules of the kind being read are imported (the others pull in scipy, sympy,
# cvxpy, ...), so reading a chain file stays fast.
KIND_MODULES: dict[str, tuple[str, ...]] = {
    "chain": ("datamech.models.chain", "datamech.models.chain_continuous"),
    "offline": ("datamech.models.scaling",),
    "online": ("datamech.models.scaling",),
    "bilateral": ("datamech.models.bilateral",),
    "infosale": ("datamech.models.infosale",),
    "psp": ("datamech.models.psp",),
    "mechanism": ("datamech.models.mechanism",),
}


def _ensure_registered(kind: str | None = None) -> None:
    """Import the model modules of ``kind`` (of every kind when ``None``)."""
    import importlib

    kinds = KIND_MODULES if kind is None else {kind: KIND_MODULES[kind]}
    for names in kinds.values():
        for name in names:
            importlib.import_module(name)


def kind_of(model) -> str:
    """The model-file kind of a model object."""
    entry = _writer_of(model)
    if entry is None:
        raise ModelError("model", f"{type(model).__name__} is not a datamech model")
    return entry[0]


# ---------------------------------------------------------------- TOML writing
def _scalar(v: Any) -> str:
    if isinstance(v, bool):
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
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if hasattr(v, "item"):  # numpy scalar
        return _scalar(v.item())
    raise TypeError(f"cannot write {v!r} to TOML")


def _value(v: Any) -> str:
    if isinstance(v, np.ndarray):
        v = v.tolist()
    if isinstance(v, (list, tuple)):
        if v and isinstance(v[0], (list, tuple)):
            return "[\n" + "".join(f"  {_value(row)},\n" for row in v) + "]"
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return _scalar(v)


def dumps_toml(data: Mapping[str, Any]) -> str:
    """Serialize nested dicts (tables, arrays of tables, scalars, nested lists) to TOML."""
    lines: list[str] = []

    def emit(table: Mapping[str, Any], prefix: str) -> None:
        subtables = []
        for k, v in table.items():
            if isinstance(v, Mapping):
                subtables.append((k, v, False))
            elif isinstance(v, list) and v and all(isinstance(x, Mapping) for x in v):
                subtables.append((k, v, True))
            else:
                lines.append(f"{k} = {_value(v)}")
        for k, v, is_array in subtables:
            name = f"{prefix}.{k}" if prefix else k
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
