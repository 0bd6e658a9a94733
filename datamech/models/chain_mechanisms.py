"""Reallocation mechanisms of the resale chain (arXiv:2606.31202, Section 2.2), shared by
both models.

A reallocation matrix t has n rows (trades 1..n) and n + 1 columns (players 0..n): when
trade i happens at price p_{i-1}, player j receives t_ij p_{i-1}.  It must be
nonnegative, budget feasible (Def 2.5: each row sums to at most 1) and past only
(Def 2.6: t_ij = 0 for j >= i).  The named mechanisms are RAW (t_{i,i-1} = 1), AVE
(t_ij = 1/i) and TBDS(alpha); ``matrix`` takes any t.

The discrete chain (:mod:`datamech.models.chain`) and the continuous one
(:mod:`datamech.models.chain_continuous`) both build and check their matrices here, and
read and write the model file's ``[mechanism]`` table here.

>>> ave_matrix(2).tolist()
[[Fraction(1, 1), Fraction(0, 1), Fraction(0, 1)], [Fraction(1, 2), Fraction(1, 2), Fraction(0, 1)]]
>>> named_mechanism(10**9, "RAW")
Traceback (most recent call last):
...
datamech.errors.ModelError: n: a 1000000000 x 1000000001 reallocation matrix needs about ... GB; the limit is ... (raise [solver] max_memory_gb)
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from ..errors import ModelError
from ..numeric import fmt, read_array, read_int, read_number
from ..sizes import FLOAT, FRACTION, check_memory
from . import io

__all__ = [
    "FLOAT_TOL",
    "MECHANISMS",
    "ave_matrix",
    "check_length",
    "check_mechanism_label",
    "check_reallocation",
    "mechanism_matrix",
    "mechanism_table",
    "named_mechanism",
    "raw_matrix",
    "read_alpha",
    "read_mechanism_table",
    "read_numbers",
    "tbds_matrix",
    "validated_reallocation",
]

FLOAT_TOL = 1e-9  # tolerance for float row sums and budget checks
MECHANISMS = ("RAW", "AVE", "TBDS", "matrix")
_MECH_KEYS = ("name", "alpha", "matrix")


# ---------------------------------------------------------------------- numbers and sizes
def read_numbers(a: Any, field: str, nonnegative: bool = False) -> np.ndarray:
    """A model array by :func:`~datamech.numeric.read_array` (which names a bad entry).

    Large object arrays whose entries are already Fractions (the exact matrices the
    package builds: the paper's five-neighbour walk, AVE, TBDS) pass as they are, after
    the sign check: reading millions of entries one by one would take minutes.

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.
    """
    if (
        isinstance(a, np.ndarray)
        and a.dtype == object
        and a.size > 10_000
        and all(type(x) is Fraction and (x.numerator >= 0 or not nonnegative) for x in a.flat)
    ):
        return a
    return read_array(a, field, low=0 if nonnegative else None)


def check_length(n: Any, field: str = "n") -> int:
    """The number of trades: an integer >= 1 whose n x (n+1) matrix fits in memory.

    The estimate (a pointer and, for the nonzero half, a Fraction per entry) is checked
    against the memory limit before anything is allocated.

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.

    Examples
    --------
    >>> check_length(5)
    5
    """
    n = read_int(n, field)
    if n < 1:
        raise ModelError(field, f"must be at least 1, got {n}")
    size = float(min(n, 10**150)) ** 2  # in floats: n may be astronomically large
    nbytes = size * (FLOAT + FRACTION / 2)
    check_memory(field, nbytes, f"a {n} x {n + 1} reallocation matrix")
    return n


# ---------------------------------------------------------------------- mechanisms
def raw_matrix(n: int) -> np.ndarray:
    """Baseline mechanism: the seller of trade i keeps its price, t_{i,i-1} = 1.

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.
    """
    n = check_length(n)
    t = np.full((n, n + 1), Fraction(0), dtype=object)
    for i in range(1, n + 1):
        t[i - 1, i - 1] = Fraction(1)
    return t


def ave_matrix(n: int) -> np.ndarray:
    """AVE: the price of trade i is split equally among players 0..i-1, t_ij = 1/i.

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.
    """
    n = check_length(n)
    t = np.full((n, n + 1), Fraction(0), dtype=object)
    for i in range(1, n + 1):
        t[i - 1, :i] = Fraction(1, i)
    return t


def tbds_matrix(n: int, alpha: Any) -> np.ndarray:
    """TBDS(alpha): t_ij = (1-alpha) alpha^(i-j-1) for 0 < j < i and t_i0 = alpha^(i-1).

    Exact when ``alpha`` is rational (a Fraction, an int, a decimal float or ``"p/q"``).

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.
    """
    a = read_alpha(alpha)
    n = check_length(n)
    t = np.full((n, n + 1), Fraction(0), dtype=object)
    for i in range(1, n + 1):
        t[i - 1, 0] = a ** (i - 1)
        for j in range(1, i):
            t[i - 1, j] = (1 - a) * a ** (i - j - 1)
    return t


def read_alpha(alpha: Any, field_name: str = "mechanism.alpha") -> Fraction:
    """TBDS's alpha as an exact rational in [0, 1]; otherwise ``ModelError(field_name)``.

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.

    Examples
    --------
    >>> read_alpha("1/2"), read_alpha(0.25)
    (Fraction(1, 2), Fraction(1, 4))
    """
    a = read_number(alpha, field_name, exact=True)
    if not 0 <= a <= 1:
        raise ModelError(field_name, f"must lie in [0, 1], got {fmt(a)}")
    return a


def mechanism_matrix(n: int, name: Any, alpha: Any = None, matrix: Any = None) -> np.ndarray:
    """The reallocation matrix of a named mechanism (RAW, AVE, TBDS with alpha, or matrix).

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.
    """
    name = io.check_choice(name, "mechanism.name", MECHANISMS)
    if name == "RAW":
        return raw_matrix(n)
    if name == "AVE":
        return ave_matrix(n)
    if name == "TBDS":
        if alpha is None:
            raise ModelError("mechanism.alpha", "TBDS needs alpha")
        return tbds_matrix(n, alpha)
    if matrix is None:
        raise ModelError("mechanism.matrix", "mechanism 'matrix' needs matrix = [[...]]")
    return read_array(matrix, "mechanism.matrix")


def named_mechanism(n: Any, name: Any, alpha: Any = None, matrix: Any = None):
    """(t, label) for a chain of n trades: the matrix and the dict kept as ``model.mechanism``.

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.
    """
    n = check_length(n)
    t = mechanism_matrix(n, name, alpha=alpha, matrix=matrix)
    label: dict[str, Any] = {"name": name}
    if name == "TBDS":
        label["alpha"] = read_alpha(alpha)  # one value however it was written
    return t, label


# ---------------------------------------------------------------------- checks
def validated_reallocation(t: Any, n: int, field: str = "mechanism.matrix") -> np.ndarray:
    """The reallocation matrix as an array of shape (n, n+1), checked (Def 2.5, 2.6).

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.
    """
    arr = read_numbers(t, field)
    if arr.shape != (n, n + 1):
        raise ModelError(
            field,
            f"must have n = {n} rows and n + 1 = {n + 1} columns, got shape "
            f"{' x '.join(map(str, arr.shape))}",
        )
    check_reallocation(arr, field)
    return arr


def check_mechanism_label(mechanism: Any) -> None:
    """``model.mechanism`` is a dict with a string ``name``.

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.
    """
    if not isinstance(mechanism, dict) or "name" not in mechanism:
        raise ModelError("mechanism", "must be a dict with a 'name'")
    io.check_name(mechanism["name"], "mechanism.name")


def check_reallocation(t: np.ndarray, field_name: str = "mechanism.matrix") -> None:
    """Nonnegativity, budget feasibility (Def 2.5) and past-only (Def 2.6) of t (n x (n+1)).

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.
    """
    n = t.shape[0]
    exact = t.dtype == object
    for i in range(1, n + 1):
        row = t[i - 1]
        for j, v in enumerate(row):
            if v < 0:
                raise ModelError(field_name, f"t[{i},{j}] = {fmt(v)} is negative")
            if j >= i and v != 0:
                raise ModelError(
                    field_name,
                    f"t[{i},{j}] = {fmt(v)} breaks past-only (Def 2.6): trade {i} may only "
                    f"pay players 0..{i - 1}",
                )
        s = sum(row, Fraction(0)) if exact else float(np.sum(row))
        if s > (1 if exact else 1 + FLOAT_TOL):
            raise ModelError(
                field_name,
                f"row of trade {i} sums to {fmt(s)}, more than 1 (budget feasibility, Def 2.5)",
            )


# ---------------------------------------------------------------------- model files
def read_mechanism_table(data: dict[str, Any]) -> dict[str, Any]:
    """The ``[mechanism]`` table of a chain file as keywords of ``create`` (default RAW).

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.

    Examples
    --------
    >>> read_mechanism_table({"mechanism": {"name": "TBDS", "alpha": "1/2"}})
    {'mechanism': 'TBDS', 'alpha': '1/2', 'matrix': None}
    """
    mech = data.get("mechanism", {"name": "RAW"})
    io.check_keys(mech, "mechanism", _MECH_KEYS, required=("name",))
    name = io.check_choice(mech["name"], "mechanism.name", MECHANISMS)
    if name != "TBDS" and "alpha" in mech:
        raise ModelError("mechanism.alpha", f"only TBDS takes alpha, not {name}")
    if name != "matrix" and "matrix" in mech:
        raise ModelError("mechanism.matrix", f"only mechanism 'matrix' takes a matrix, not {name}")
    return {"mechanism": name, "alpha": mech.get("alpha"), "matrix": mech.get("matrix")}


def mechanism_table(mechanism: dict, reallocation: np.ndarray) -> dict[str, Any]:
    """The ``[mechanism]`` table of a model (inverse of :func:`read_mechanism_table`).

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.
    """
    table = dict(mechanism)
    if table["name"] == "matrix":
        table["matrix"] = reallocation
    return table
