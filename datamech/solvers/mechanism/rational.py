"""Exact rational arrays for the certificates: floats read as the dyadic rationals they are,
and integer numerators over one common denominator (fast exact sums and products)."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

__all__ = ["column_sums", "exact", "scaled", "scaled_floats"]


def exact(x: Any) -> np.ndarray:
    """An object array of Fractions (a float ``0.1`` becomes its exact binary value).

    >>> exact([0.5, Fraction(1, 3)]).tolist()
    [Fraction(1, 2), Fraction(1, 3)]
    """
    arr = np.asarray(x, dtype=object)
    out = np.empty(arr.shape, dtype=object)
    for idx, v in np.ndenumerate(arr):
        out[idx] = v if isinstance(v, Fraction) else Fraction(v)
    return out


def scaled(arr: np.ndarray) -> tuple[np.ndarray, int]:
    """``(nums, den)`` with ``arr == nums / den`` exactly, ``nums`` Python ints.

    >>> nums, den = scaled(exact([0.5, Fraction(1, 3)]))
    >>> nums.tolist(), den
    ([3, 2], 6)
    """
    flat = list(arr.flat)
    den = math.lcm(*(f.denominator for f in flat)) if flat else 1
    nums = np.array([f.numerator * (den // f.denominator) for f in flat], dtype=object)
    return nums.reshape(arr.shape), den


def scaled_floats(arr: np.ndarray) -> tuple[np.ndarray, int]:
    """:func:`scaled` for a float array, without building Fractions: every float is
    ``M 2^e`` with an integer mantissa, so the common denominator is a power of two.

    >>> nums, den = scaled_floats(np.array([0.5, 0.75, 3.0]))
    >>> nums.tolist(), den
    ([2, 3, 12], 4)
    """
    arr = np.asarray(arr, dtype=float)
    if arr.size == 0:
        return np.zeros(arr.shape, dtype=object), 1
    if not np.all(np.isfinite(arr)):
        raise ValueError("cannot read a non-finite float as a rational")
    mant, expo = np.frexp(arr)
    M = (mant * 2.0**53).astype(np.int64)
    shift = 53 - expo.astype(np.int64)  # x = M / 2**shift exactly
    nz = M != 0
    if not nz.any():
        return np.zeros(arr.shape, dtype=object), 1
    # remove trailing zero bits of the mantissas so the denominator is as small as possible
    tz = np.zeros(M.shape, dtype=np.int64)
    low = np.abs(M[nz]) & -np.abs(M[nz])
    tz[nz] = np.log2(low.astype(float)).astype(np.int64)
    M = np.where(nz, M >> tz, 0)
    shift = shift - tz
    top = int(shift[nz].max())
    lift = np.where(nz, top - shift, 0).astype(object)
    nums = M.astype(object) * np.power(np.full(M.shape, 2, dtype=object), lift)
    if top < 0:
        return nums.reshape(arr.shape) * 2 ** (-top), 1
    return nums.reshape(arr.shape), 2**top


def column_sums(values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Sums of ``values[indptr[j]:indptr[j+1]]`` for every j (object arrays; empty -> 0)."""
    n = len(indptr) - 1
    out = np.zeros(n, dtype=object)
    out[:] = 0
    nonempty = np.flatnonzero(indptr[1:] > indptr[:-1])
    if len(nonempty) and len(values):
        sums = np.add.reduceat(values, indptr[:-1][nonempty])
        out[nonempty] = sums
    return out
