"""The checks every model-file table goes through: keys, names and choices.

These are the three generic checks of a model file, below every reader and the
declarations of :mod:`datamech.schema` (they import nothing of :mod:`datamech.models`):
unknown and missing keys of a table (all missing keys in one message), a name that must
be a string, and a name that must be one of a list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import ModelError
from ..numeric import describe_value

__all__ = ["check_choice", "check_keys", "check_name", "join"]


def join(where: str, key: str | int) -> str:
    """The model-file path of ``key`` inside the table at ``where``.

    >>> join("", "model"), join("model", "kind"), join("buyers", 0), join("buyers[0]", "family")
    ('model', 'model.kind', 'buyers[0]', 'buyers[0].family')
    """
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else key


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
    >>> check_keys([1], "grid", ["cells"])
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: grid: must be a table, got a list
    """
    if not isinstance(table, Mapping):
        raise ModelError(where or "file", f"must be a table, got {describe_value(table)}")
    allowed = set(allowed)
    unknown = sorted(map(str, set(table) - allowed))
    if unknown:
        raise ModelError(
            join(where, unknown[0]), f"unknown key (allowed: {', '.join(sorted(allowed))})"
        )
    missing = [key for key in required if key not in table]
    if len(missing) == 1:
        raise ModelError(join(where, missing[0]), "is required")
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
