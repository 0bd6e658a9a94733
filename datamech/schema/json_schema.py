"""JSON Schemas (draft 2020-12) of model files, from the declarations (``datamech schema``).

A kind with several forms (``chain``: discrete values, or continuous with a
``support``) gets one schema choosing the form the way :func:`datamech.schema.validate`
does; ``chain_continuous`` alone is also accepted.  Numbers may be written as
``"p/q"`` strings, so number types accept those strings too.  Checks that relate
several values (probabilities summing to 1, ``low < high``, shapes) stay with the
readers.

>>> schema = json_schema("offline")
>>> schema["$schema"], schema["properties"]["model"]["required"]
('https://json-schema.org/draft/2020-12/schema', ['kind', 'alpha', 'cost'])
"""

from __future__ import annotations

from typing import Any

from ..errors import ModelError
from .registry import FILES, KINDS, forms

__all__ = ["DIALECT", "json_schema"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _form_condition(path: tuple[str, ...]) -> dict[str, Any]:
    """A schema true when the key at ``path`` is present."""
    cond: dict[str, Any] = {"required": [path[-1]]}
    for part in reversed(path[:-1]):
        cond = {"properties": {part: cond}, "required": [part]}
    return cond


def json_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of the model files of kind (or declaration) ``name``.

    Raises ``ModelError`` naming ``kind`` for an unknown name."""
    if not isinstance(name, str) or (name not in KINDS and name not in FILES):
        known = ", ".join(dict.fromkeys((*KINDS, *FILES)))
        raise ModelError("kind", f"unknown kind {name!r} (known: {known})")
    decls = forms(name) if name in KINDS else (FILES[name],)
    defs: dict[str, Any] = {}
    bodies = [d.root.json(defs) for d in decls]
    body = bodies[-1]
    for decl, special in zip(reversed(decls[:-1]), reversed(bodies[:-1]), strict=True):
        body = {"if": _form_condition(decl.when), "then": special, "else": body}
    head = decls[-1]
    out: dict[str, Any] = {
        "$schema": DIALECT,
        "$id": f"https://datamech.invalid/schema/{name}.json",
        "title": f"datamech model file: {head.title if name != head.kind else head.kind}",
        "description": head.summary,
    }
    out.update(body)
    if defs:
        out["$defs"] = defs
    return out
