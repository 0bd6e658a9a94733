"""Reading law parameters from model files: the documented ranges and fast lists.

Every number goes through :mod:`datamech.numeric` (ints, floats and ``"p/q"`` strings,
mixed freely; booleans, NaN and infinities refused with the entry named).  On top of
that the families share one documented range, so that every moment, quantile and
revenue the solvers take stays inside the float range:

* type values, bounds and scales (``values``, ``low``, ``high``, ``scale``) lie in
  [0, 1e12] (``MAX_VALUE``); positive scales in [1e-12, 1e12].  Rescale the currency
  unit for larger numbers: every family is scale-equivariant.
* rates (``exponential.rate``) lie in [1e-12, 1e12] (``RATE_RANGE``), so that the
  mean 1/rate is a type value too.
* shapes: ``pareto.shape`` in [0.1, 1000], ``power.shape`` in [0.01, 1000]
  (``PARETO_SHAPE_RANGE``, ``POWER_SHAPE_RANGE``).

A moment that still leaves the float range (E[V^p] for a large p) is a ``ModelError``
naming the law's parameter, never an ``OverflowError`` or a silent ``inf``.

:func:`read_numbers` reads a list of 10^5 plain floats or ints in milliseconds (numpy
conversion), and defers to :func:`datamech.numeric.read_array` for everything else
and for the error message of any bad entry.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from ...errors import ModelError
from ...numeric import fmt, read_array, read_number

__all__ = [
    "MAX_VALUE",
    "MIN_SCALE",
    "PARETO_SHAPE_RANGE",
    "POWER_SHAPE_RANGE",
    "RATE_RANGE",
    "PROB_TOL",
    "RESCALE",
    "normalize_probs",
    "range_hint",
    "read_numbers",
    "read_param",
    "written_exact",
]

MAX_VALUE = 10**12  #: largest type value, bound or scale
MIN_SCALE = 1e-12  #: smallest positive scale (pareto.scale, truncated_equal_revenue 1/n)
RATE_RANGE = (1e-12, 1e12)  #: exponential.rate
PARETO_SHAPE_RANGE = (0.1, 1000.0)  #: pareto.shape
POWER_SHAPE_RANGE = (0.01, 1000.0)  #: power.shape
PROB_TOL = 1e-9  #: tolerance on float probabilities summing to 1 (then rescaled)
_ROUNDING = 4 * float(np.finfo(float).eps)  # below this, a float sum is 1 up to rounding

RESCALE = "rescale the currency unit (types and scales are read in [0, 1e12])"


def range_hint(name: str, low: float, high: float) -> str:
    """The sentence that documents a parameter's range in an error message.

    >>> range_hint("exponential.rate", *RATE_RANGE)
    'the documented range of exponential.rate is [1e-12, 1e+12]'
    """
    return f"the documented range of {name} is [{low:g}, {high:g}]"


def read_param(
    x: Any,
    field: str,
    *,
    low: Any = 0,
    high: Any = MAX_VALUE,
    low_open: bool = False,
    allow_inf: bool = False,
    hint: str = RESCALE,
) -> float | Fraction:
    """A scalar law parameter: a model-file number in ``[low, high]`` (``+inf`` too when
    ``allow_inf``).

    Ints and ``"p/q"`` strings stay exact, floats stay floats.  ``hint`` explains a
    documented range in the message of a value outside it (not for plain signs).

    Examples
    --------
    >>> read_param("3/4", "buyer.high"), read_param(0.5, "buyer.low")
    (Fraction(3, 4), 0.5)
    >>> read_param(1e308, "buyers[0].high")
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: buyers[0].high: must be at most 1e+12, got 1e+308; rescale the currency unit (types and scales are read in [0, 1e12])
    >>> read_param(-1, "buyer.low")
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: buyer.low: must be >= 0, got -1
    """
    v = read_number(x, field, allow_inf=allow_inf)
    if low is not None and (v < low or (low_open and v == low)):
        tail = f"; {hint}" if low > 0 and hint else ""
        raise ModelError(
            field, f"must be {'>' if low_open else '>='} {fmt(low)}, got {_show(v)}{tail}"
        )
    if high is not None and v > high and v != math.inf:
        tail = f"; {hint}" if hint else ""
        raise ModelError(field, f"must be at most {float(high):g}, got {_show(v)}{tail}")
    return v


def _show(v: Any) -> str:
    """``fmt(v)``, but an exact number too long to read is shown as a float."""
    if isinstance(v, Fraction) and abs(v) >= 10**16:
        try:
            return f"{float(v):g}"
        except OverflowError:
            return "a number beyond 1e308"
    return fmt(v)


def written_exact(a: Any) -> bool:
    """True when every entry of ``a`` is written exactly: ints, Fractions, ``"p/q"`` or
    decimal strings (no floats, no booleans).  A law is exact when all its lists are.

    >>> written_exact([1, "3/4", 2]), written_exact([1, 0.5]), written_exact(np.arange(3))
    (True, False, True)
    """
    if isinstance(a, np.ndarray) and a.dtype != object:
        return a.dtype.kind in "iu"
    if isinstance(a, (str, bytes)) or not hasattr(a, "__iter__"):
        return False
    return all(
        isinstance(x, (int, np.integer, Fraction, str)) and not isinstance(x, (bool, np.bool_))
        for x in a
    )


def read_numbers(
    a: Any,
    field: str,
    *,
    exact: bool,
    low: Any = None,
    high: Any = None,
    low_open: bool = False,
    hint: str = RESCALE,
) -> np.ndarray:
    """A 1-D model-file list of numbers in ``[low, high]``: a float array, or an object
    array of Fractions when ``exact``.

    Plain float/int lists and numeric arrays are converted with numpy (10^5 entries in
    milliseconds); anything else goes through :func:`datamech.numeric.read_array`, and
    any bad entry is reported by :func:`datamech.numeric.read_number` as ``field[i]``.

    Examples
    --------
    >>> read_numbers(["3/4", 1.5, 3], "values", exact=True).tolist()
    [Fraction(3, 4), Fraction(3, 2), Fraction(3, 1)]
    >>> read_numbers([0.5, "1/4", 0.25], "probs", exact=False).tolist()
    [0.5, 0.25, 0.25]
    >>> read_numbers([0.5, True], "buyers[0].probs", exact=False)
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: buyers[0].probs[1]: must be a number, got the boolean true
    >>> read_numbers([1, 2e12], "buyers[0].values", exact=False, high=10**12)
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: buyers[0].values[1]: must be at most 1e+12, got 2000000000000; rescale the currency unit (types and scales are read in [0, 1e12])
    """
    arr = _fast(a, exact)
    if arr is None:
        arr = read_array(a, field, exact=exact, ndim=1)
        if not exact:
            arr = arr.astype(float)
    elif len(arr) == 0:
        raise ModelError(field, "must not be empty")
    # screen with float keys, then confirm each flagged entry exactly
    keys = arr if arr.dtype != object else np.array([float(x) for x in arr])
    flag = np.zeros(len(arr), dtype=bool) if arr.dtype == object else ~np.isfinite(keys)
    if low is not None:
        flag |= keys <= float(low)
    if high is not None:
        flag |= keys >= float(high)
    for i in np.flatnonzero(flag):
        where = f"{field}[{i}]"
        entry = a[i] if isinstance(a, (list, tuple, np.ndarray)) else arr[i]
        read_param(entry, where, low=low, high=high, low_open=low_open, hint=hint)
    return arr


_PLAIN = (float, int, np.float64)  # entries numpy converts exactly as read_number reads them


def _fast(a: Any, exact: bool) -> np.ndarray | None:
    """``a`` as an array when it is a plain numeric list or array; None otherwise (or
    when an entry needs the full reader, e.g. a string that is not a number)."""
    if isinstance(a, np.ndarray):
        if a.ndim != 1 or a.dtype.kind not in "iuf":
            return None
        if not exact:
            return a.astype(float)
        if a.dtype.kind == "f":
            return None  # floats read as the decimals they print: the full reader
        return np.array([Fraction(int(x)) for x in a], dtype=object)
    if not isinstance(a, (list, tuple)):
        return None
    if not exact:
        if not all(type(x) in _PLAIN for x in a):
            return None
        try:
            return np.array(a, dtype=float)
        except OverflowError:  # an int beyond the float range: the full reader says so
            return None
    out = np.empty(len(a), dtype=object)
    try:
        for i, x in enumerate(a):
            if type(x) is int or type(x) is Fraction:
                out[i] = Fraction(x)
            elif type(x) is str and "inf" not in x.lower() and "nan" not in x.lower():
                out[i] = Fraction(x)
            else:
                return None
    except (ValueError, ZeroDivisionError):
        return None
    return out


def normalize_probs(p: np.ndarray, field: str) -> np.ndarray:
    """Probabilities that must sum to 1: exactly for Fractions; within ``PROB_TOL`` for
    floats, which are then rescaled, unless already 1 up to rounding (so that reading a
    saved law again gives the same floats).

    >>> normalize_probs(np.array([0.5, 0.4]), "buyers[0].probs")
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: buyers[0].probs: sum to 0.9, not 1
    >>> normalize_probs(np.array([1 / 6] * 6), "probs").tolist() == [1 / 6] * 6
    True
    """
    if p.dtype == object:
        total = p.sum()
        if total != 1:
            raise ModelError(field, f"sum to {fmt(total)}, not 1")
        return p
    total = math.fsum(p)
    if abs(total - 1) > PROB_TOL:
        raise ModelError(field, f"sum to {fmt(total)}, not 1")
    return p / total if abs(total - 1) > _ROUNDING else p
