"""Number handling shared by every family: exact rationals next to floats.

A model may hold floats or exact ``fractions.Fraction`` entries (numpy object arrays).
``to_fraction`` turns user input into an exact rational the way a user means it:
``0.2`` becomes ``1/5`` (the shortest decimal that round-trips, i.e. what was typed),
``"1/3"`` becomes ``1/3``.
"""

from __future__ import annotations

import math
from fractions import Fraction
from numbers import Rational
from typing import Any

import numpy as np


def to_fraction(x: Any) -> Fraction:
    """Exact rational for ``x``: ints, Fractions, decimal floats and ``"p/q"`` strings.

    Floats are read through their shortest repr, so ``0.1`` is ``1/10``.

    >>> to_fraction(0.2), to_fraction("1/3"), to_fraction(3)
    (Fraction(1, 5), Fraction(1, 3), Fraction(3, 1))
    """
    if isinstance(x, Fraction):
        return x
    if isinstance(x, bool):
        raise TypeError("booleans are not numbers here")
    if isinstance(x, (int, np.integer, Rational)):
        return Fraction(int(x)) if isinstance(x, (int, np.integer)) else Fraction(x)
    if isinstance(x, (float, np.floating)):
        if not math.isfinite(float(x)):
            raise ValueError(f"{x!r} is not finite")
        return Fraction(repr(float(x)))
    if isinstance(x, str):
        return Fraction(x.strip())
    raise TypeError(f"cannot read {x!r} as a rational number")


def to_number(x: Any) -> float | Fraction:
    """A model-file entry as a number: strings like ``"1/3"`` become Fractions."""
    if isinstance(x, bool):
        raise TypeError("booleans are not numbers here")
    if isinstance(x, str):
        return Fraction(x.strip())
    if isinstance(x, (Fraction, int, np.integer)):
        return Fraction(int(x)) if not isinstance(x, Fraction) else x
    if isinstance(x, (float, np.floating)):
        return float(x)
    raise TypeError(f"cannot read {x!r} as a number")


def exact_array(a: Any) -> np.ndarray:
    """Object array of Fractions with the shape of ``a``."""
    arr = np.asarray(a, dtype=object)
    out = np.empty(arr.shape, dtype=object)
    for idx, v in np.ndenumerate(arr):
        out[idx] = to_fraction(v)
    return out


def jsonable(x: Any) -> Any:
    """A JSON-ready copy of ``x``: arrays to lists, Fractions and numpy scalars to floats."""
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    if isinstance(x, Fraction):
        return float(x)
    if isinstance(x, (np.bool_, bool)):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, (np.floating, float)):
        v = float(x)
        return v if math.isfinite(v) else None
    return x
