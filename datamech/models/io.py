"""Model files: TOML reading with strict keys, a small TOML writer, and the kind registry.

Every model file has a ``[model]`` table with ``kind``.  Each family registers a reader
(``dict -> model``) and a writer (``model -> dict``) with :func:`register_kind`;
:func:`load` and :func:`save` dispatch on the kind.  Unknown keys are errors.
"""

from __future__ import annotations

import tomllib
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..errors import ModelError
from ..numeric import describe_value
from ..schema import validate
from ..schema.checks import check_choice, check_keys, check_name
from ..schema.toml_text import dumps_toml

__all__ = [
    "KIND_MODULES",
    "check_choice",
    "check_keys",
    "check_name",
    "dumps_toml",
    "from_dict",
    "kind_of",
    "known_kinds",
    "load",
    "read_toml",
    "register_kind",
    "save",
    "to_dict",
]

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


def load(path: str | Path):
    """Read a model file of any kind and return the kind's model object.

    The file is read as TOML, checked against its kind's declaration
    (:mod:`datamech.schema`, listed in docs/model-files.md) and built by the kind's reader;
    nothing in it is evaluated as code.

    Raises
    ------
    ModelError
        Naming the field of the first bad input (or every missing key of a table).

    Examples
    --------
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
    reader = _READERS[kind]
    try:
        validate(kind, data)
    except ModelError as problem:
        raise _worded_by_reader(reader, data) or problem from None
    return reader(dict(data))


def _worded_by_reader(reader: Callable[[dict[str, Any]], Any], data: Mapping[str, Any]):
    """The reader's own ``ModelError`` for a file the declaration refused, or None.

    A kind's reader knows its model and often words a problem better (``seller name 's1'
    is used twice``, a range with the reason for it); the declaration's check stands for
    everything the reader lets through or fails on without a ``ModelError``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader(dict(data))
    except ModelError as exc:
        return exc
    except Exception:  # noqa: BLE001 - the declaration's message is the answer then
        return None
    return None


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
