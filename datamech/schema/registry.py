"""Every kind's declaration, and :func:`validate`, the check of a model file against it.

:func:`datamech.models.io.from_dict` calls :func:`validate` before the kind's reader:
unknown keys, missing required keys (all of a table's at once), value types (names
are strings; numbers are ints, floats or ``"p/q"`` strings, never booleans), allowed
values and declared ranges are refused here with a ``ModelError`` naming the field
(``buyers[0].family``, ``grid.cells``); the reader then checks what relates several
values (probabilities summing to 1, shapes, low < high).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ModelError
from .bilateral import BILATERAL
from .chain import CHAIN, CHAIN_CONTINUOUS
from .infosale import INFOSALE
from .mechanism import MECHANISM
from .psp import PSP
from .scaling import OFFLINE, ONLINE
from .tables import ModelFile

__all__ = ["FILES", "KINDS", "declaration", "forms", "validate"]

#: Every declaration by name (``datamech new NAME``), in the reference's order.
FILES: dict[str, ModelFile] = {
    f.name: f
    for f in (CHAIN, CHAIN_CONTINUOUS, OFFLINE, ONLINE, BILATERAL, INFOSALE, PSP, MECHANISM)
}

#: Every model-file kind, in the reference's order.
KINDS: tuple[str, ...] = tuple(dict.fromkeys(f.kind for f in FILES.values()))


def forms(kind: str) -> tuple[ModelFile, ...]:
    """The declarations of ``kind``: its special forms first, the default form last."""
    if kind not in KINDS:
        raise ModelError("model.kind", f"unknown kind {kind!r} (known: {', '.join(KINDS)})")
    found = [f for f in FILES.values() if f.kind == kind]
    return tuple(sorted(found, key=lambda f: not f.when))


def declaration(kind: str, data: Mapping[str, Any] | None = None) -> ModelFile:
    """The declaration that applies to ``data`` (a file of ``kind``), or the kind's
    default form when ``data`` is None.

    >>> declaration("chain", {"model": {"kind": "chain", "support": [0, 1]}}).name
    'chain_continuous'
    >>> declaration("chain").name
    'chain'
    """
    for form in forms(kind):
        if data is not None and form.applies(data) or not form.when:
            return form
    raise AssertionError(f"kind {kind!r} has no default form")  # pragma: no cover


def validate(kind: str, data: Mapping[str, Any]) -> None:
    """Check a parsed model file of ``kind`` against its declaration.

    Raises ``ModelError`` naming the model-file path of the first problem found.

    Examples
    --------
    >>> validate("offline", {"model": {"kind": "offline", "alpha": "1/2", "cost": 1},
    ...                      "buyers": [{"family": "uniform", "low": 0, "high": 1}]})
    >>> validate("offline", {"model": {"kind": "offline", "alpha": "1/2"},
    ...                      "buyers": [{"family": "unifrom", "low": 0, "high": 1}]})
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: model.cost: is required
    >>> validate("offline", {"model": {"kind": "offline", "alpha": "1/2", "cost": 1},
    ...                      "buyers": [{"family": "unifrom", "low": 0, "high": 1}]})
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: buyers[0].family: unknown value 'unifrom' (allowed: uniform, exponential, pareto, power, truncated_equal_revenue, discrete, mixture, expression)
    """
    declaration(kind, data).validate(data)
