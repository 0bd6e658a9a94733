"""The base every result object shares: ``to_dict`` (JSON-ready) and ``to_frame``.

Results are frozen dataclasses (see the family modules); this mixin gives them the
common conversions so that no family writes its own.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .numeric import jsonable


class ResultMixin:
    """Conversions shared by all result dataclasses.

    Subclasses may set ``_frame_fields`` to the names of per-row arrays that form the
    result's table in ``to_frame``.
    """

    _frame_fields: tuple[str, ...] = ()
    _skip_fields: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """All fields as JSON-ready values (arrays as lists, Fractions as floats)."""
        out = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            if f.name in self._skip_fields:
                continue
            out[f.name] = jsonable(getattr(self, f.name))
        return out

    def to_frame(self):
        """The result's table (one row per entry of ``_frame_fields``) as a pandas DataFrame."""
        import pandas as pd

        if not self._frame_fields:
            return pd.DataFrame([self.to_dict()])
        cols = {name: jsonable(getattr(self, name)) for name in self._frame_fields}
        return pd.DataFrame(cols)
