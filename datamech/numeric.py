"""Number handling shared by every family: exact rationals next to floats.

A model may hold floats or exact ``fractions.Fraction`` entries (numpy object arrays).
``to_fraction`` turns user input into an exact rational the way a user means it:
``0.2`` becomes ``1/5`` (the shortest decimal that round-trips, i.e. what was typed),
``"1/3"`` becomes ``1/3``.

The model-file readers every family uses are here too: :func:`read_number`,
:func:`read_int` and :func:`read_array` accept ints, floats and ``"p/q"`` strings
(mixed freely), refuse booleans, NaN, infinities and anything else with a
``ModelError`` naming the field (and the entry), and check ranges.  :func:`fmt` prints
a number for an error message (``0.9``, ``1/3``; never ``np.float64(0.9)``).
"""

from __future__ import annotations

import math
from fractions import Fraction
from numbers import Rational
from typing import Any

import numpy as np

from .errors import ModelError


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
        try:
            return float(x)
        except OverflowError:  # beyond the float range: JSON has no number for it
            return None
    if isinstance(x, (np.bool_, bool)):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, (np.floating, float)):
        v = float(x)
        return v if math.isfinite(v) else None
    return x


# ---------------------------------------------------------------- model-file readers
def fmt(x: Any) -> str:
    """A number as a person writes it, for messages: ``0.9``, ``3``, ``1/3``, ``inf``.

    >>> fmt(np.float64(0.9)), fmt(Fraction(1, 3)), fmt(np.int64(3)), fmt(2.0), fmt(1e-12)
    ('0.9', '1/3', '3', '2', '1e-12')
    >>> fmt(10**20), fmt(int(1e308))
    ('1e+20', '1e+308')
    """
    if isinstance(x, Fraction):
        return str(x)
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x)).lower()
    if isinstance(x, (int, np.integer)):
        v = int(x)
        if abs(v) < 10**16:
            return str(v)
        try:
            return f"{float(v):.6g}"
        except OverflowError:
            return "-1e309 or less" if v < 0 else "1e309 or more"
    if isinstance(x, (float, np.floating)):
        v = float(x)
        if v.is_integer() and abs(v) < 1e16:
            return str(int(v))
        return repr(v)
    return repr(x)


def describe_value(x: Any) -> str:
    """What a model-file value is, for messages: ``a list``, ``a table``, ``'abc'``, ``0.5``.

    >>> describe_value([1]), describe_value({"a": 1}), describe_value(True), describe_value(0.5)
    ('a list', 'a table', 'the boolean true', '0.5')
    """
    from collections.abc import Mapping

    if isinstance(x, (list, tuple)):
        return "a list"
    if isinstance(x, Mapping):
        return "a table"
    if isinstance(x, (bool, np.bool_)):
        return f"the boolean {str(bool(x)).lower()}"
    if isinstance(x, str):
        return repr(x)
    return fmt(x) if isinstance(x, (int, float, np.number, Fraction)) else type(x).__name__


def read_number(
    x: Any,
    field: str,
    *,
    exact: bool | None = None,
    low: Any = None,
    high: Any = None,
    low_open: bool = False,
    high_open: bool = False,
    allow_inf: bool = False,
) -> float | Fraction:
    """A model-file number, range-checked; ``ModelError(field, ...)`` otherwise.

    Parameters
    ----------
    x : int, float, Fraction or str
        ``"p/q"`` and decimal strings are exact.  Booleans, NaN and (unless
        ``allow_inf``) infinities are refused.
    field : str
        The field named in errors.
    exact : bool, optional
        ``True``: always a Fraction (floats read as the decimals they print as);
        ``False``: always a float; ``None`` (default): as written (ints and strings
        exact, floats float).
    low, high : number, optional
        Bounds, closed unless ``low_open`` / ``high_open``.

    >>> read_number("3/4", "p"), read_number(0.5, "p"), read_number(2, "p", exact=False)
    (Fraction(3, 4), 0.5, 2.0)
    >>> read_number(float("inf"), "model.tol")
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: model.tol: must be a finite number, got inf
    >>> read_number(-1, "rate", low=0, low_open=True)
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: rate: must be > 0, got -1
    """
    if isinstance(x, (bool, np.bool_)) or not isinstance(
        x, (int, float, str, Fraction, np.integer, np.floating)
    ):
        raise ModelError(field, f"must be a number, got {describe_value(x)}")
    if isinstance(x, str):
        text = x.strip()
        if text.lower() in ("inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"):
            v: float | Fraction = float(text)
        else:
            try:
                v = Fraction(text)
            except (ValueError, ZeroDivisionError):
                raise ModelError(
                    field, f'must be a number (like 0.5, 2 or "1/3"), got {x!r}'
                ) from None
    elif isinstance(x, (int, np.integer)):
        v = Fraction(int(x))
    elif isinstance(x, Fraction):
        v = x
    else:
        v = float(x)
    if isinstance(v, float) and not math.isfinite(v):
        if math.isnan(v) or not allow_inf:
            raise ModelError(field, f"must be a finite number, got {fmt(v)}")
    if low is not None and (v < low or (low_open and v == low)):
        raise ModelError(field, f"must be {'>' if low_open else '>='} {fmt(low)}, got {fmt(v)}")
    if high is not None and (v > high or (high_open and v == high)):
        raise ModelError(field, f"must be {'<' if high_open else '<='} {fmt(high)}, got {fmt(v)}")
    if exact is True and isinstance(v, float):
        return to_fraction(v) if math.isfinite(v) else v
    if exact is False and isinstance(v, Fraction):
        try:
            return float(v)
        except OverflowError:
            raise ModelError(field, f"{fmt(v)} is too large for a float") from None
    return v


def read_int(x: Any, field: str, *, low: int | None = None, high: int | None = None) -> int:
    """A model-file integer (``3`` or ``3.0``; not ``3.5``, ``true`` or ``"3"``), range-checked.

    >>> read_int(4.0, "n"), read_int(3, "n", low=1)
    (4, 3)
    >>> read_int(10**9, "model.n", high=10**6)
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: model.n: must be <= 1000000, got 1000000000
    """
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise ModelError(field, f"must be an integer, got {describe_value(x)}")
    if isinstance(x, (float, np.floating)):
        if not math.isfinite(float(x)) or not float(x).is_integer():
            raise ModelError(field, f"must be an integer, got {fmt(x)}")
    v = int(x)
    if low is not None and v < low:
        raise ModelError(field, f"must be >= {fmt(low)}, got {fmt(v)}")
    if high is not None and v > high:
        raise ModelError(field, f"must be <= {fmt(high)}, got {fmt(v)}")
    return v


def read_array(
    a: Any,
    field: str,
    *,
    exact: bool | None = None,
    ndim: int | None = None,
    low: Any = None,
    high: Any = None,
    low_open: bool = False,
    high_open: bool = False,
    nonempty: bool = True,
) -> np.ndarray:
    """A (nested) list of model-file numbers as an array, each entry read by :func:`read_number`.

    Returns a float array, or an object array of Fractions when ``exact`` is true or
    (``exact=None``) when some entry is written exactly as ``"p/q"`` or every entry is an
    integer: then floats beside them are read as the decimals they print as.  Errors
    name the entry (``probs[2]``) or the shape problem.

    >>> read_array(["3/4", 1.5, 3], "values").tolist()
    [Fraction(3, 4), Fraction(3, 2), Fraction(3, 1)]
    >>> read_array([0.5, 0.25], "probs").tolist()
    [0.5, 0.25]
    >>> read_array([[1, 2], [3]], "transition")
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: transition: rows have different lengths
    >>> read_array([0.5, "x"], "probs")
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: probs[1]: must be a number (like 0.5, 2 or "1/3"), got 'x'
    """
    if isinstance(a, np.ndarray) and a.dtype != object:
        if a.dtype.kind not in "iuf":
            raise ModelError(field, f"must hold numbers, got dtype {a.dtype}")
        raw = a
    elif isinstance(a, np.ndarray):
        raw = a  # an object array is rectangular already
    else:
        if isinstance(a, (str, bytes, dict)) or not isinstance(a, (list, tuple, np.ndarray)):
            raise ModelError(field, f"must be a list of numbers, got {describe_value(a)}")
        raw = _plain_floats(a) if exact is not True else None
        if raw is None:
            raw = _nested(a, field)
    if ndim is not None and raw.ndim != ndim:
        want = "a list" if ndim == 1 else f"a {ndim}-level nested list"
        raise ModelError(field, f"must be {want} of numbers (got {raw.ndim} levels)")
    if nonempty and raw.size == 0:
        raise ModelError(field, "must not be empty")
    kw = dict(low=low, high=high, low_open=low_open, high_open=high_open)
    if raw.dtype == object and exact is not False and low is None and high is None:
        if all(type(x) is Fraction for x in raw.flat):  # exact already: nothing to read
            return raw.copy()
    if raw.dtype != object:
        arr = raw.astype(float)
        bad = ~np.isfinite(arr)
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ModelError(_entry(field, idx), f"must be a finite number, got {fmt(arr[idx])}")
        if low is not None or high is not None:
            bad = np.zeros(arr.shape, dtype=bool)
            if low is not None:
                bad |= (arr < float(low)) | ((arr == float(low)) if low_open else False)
            if high is not None:
                bad |= (arr > float(high)) | ((arr == float(high)) if high_open else False)
            if bad.any():
                idx = tuple(int(i) for i in np.argwhere(bad)[0])
                read_number(float(arr[idx]), _entry(field, idx), **kw)  # raises, naming it
        if exact:
            return exact_array(arr)
        return arr
    values = np.empty(raw.shape, dtype=object)
    checked = low is not None or high is not None
    for idx, x in np.ndenumerate(raw):
        if type(x) is Fraction and not checked:  # already exact: nothing to read
            values[idx] = x
        else:
            values[idx] = read_number(x, _entry(field, idx), **kw)
    written_exact = any(isinstance(x, (str, Fraction)) for x in raw.flat) or all(
        isinstance(v, Fraction) for v in values.flat
    )
    if exact is True or (exact is None and written_exact):
        out = np.empty(raw.shape, dtype=object)
        out.flat[:] = [to_fraction(v) for v in values.flat]
        return out
    try:
        return np.array([float(v) for v in values.flat], dtype=float).reshape(raw.shape)
    except OverflowError:
        raise ModelError(field, "has an entry too large for a float") from None


def _plain_floats(a: Any) -> np.ndarray | None:
    """A flat list of plain floats and ints (at least one float) as a float array, else None.

    The common case (a long list of decimals) then skips the per-entry reader; anything
    else (strings, booleans, nesting, all-integer lists, which are exact) takes the
    checked path.
    """
    if not isinstance(a, list) or not a:
        return None
    types = {type(x) for x in a}
    if float not in types or not types <= {float, int}:
        return None
    try:
        return np.array(a, dtype=float)
    except OverflowError:  # an integer beyond the float range: the checked path names it
        return None


def _entry(field: str, idx: tuple[int, ...]) -> str:
    return field + "".join(f"[{i}]" for i in idx)


def _nested(a: Any, field: str) -> np.ndarray:
    """A rectangular object array of the leaves of nested lists (ragged -> ModelError)."""

    def shape_of(x: Any, where: tuple[int, ...]) -> tuple[int, ...]:
        if isinstance(x, (list, tuple, np.ndarray)):
            shapes = {shape_of(y, (*where, i)) for i, y in enumerate(x)}
            if len(shapes) > 1:
                raise ModelError(_entry(field, where), "rows have different lengths")
            return (len(x), *(shapes.pop() if shapes else ()))
        if isinstance(x, dict):
            raise ModelError(_entry(field, where), "must be a number, got a table")
        return ()

    shape = shape_of(a, ())
    out = np.empty(shape, dtype=object)
    if out.size:
        flat: list[Any] = []

        def leaves(x: Any) -> None:
            if isinstance(x, (list, tuple, np.ndarray)):
                for y in x:
                    leaves(y)
            else:
                flat.append(x)

        leaves(a)
        out.flat[:] = flat
    return out
