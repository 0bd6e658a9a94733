"""Pieces shared by every chain solver: arithmetic views, tie rules, acceptance.

Arithmetic is either float64 or exact (numpy object arrays of ``Fraction``).  In float
mode two numbers within ``tol * max(1, |x|)`` of each other are treated as equal: a
seller's candidate prices whose gains are that close are tied (the tie rule picks one),
and a buyer whose threshold is that close below the price accepts.  ``tol = 0`` gives raw
floating-point comparisons, i.e. the paper's numpy ``argmax`` semantics, where rounding
noise decides near-ties.  Exact mode always compares exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ...models.chain import ChainModel
from ...models.chain_options import DEFAULT_TOL, OPTIONS, TIE_RULES, WELFARE_RULES

__all__ = [
    "DEFAULT_TOL",
    "TIE_RULES",
    "WELFARE_RULES",
    "Arithmetic",
    "acceptance",
    "arithmetic",
    "candidate_mask",
    "check_tie_rule",
    "choose_prices",
    "model_arrays",
    "to_float",
]


@dataclass(frozen=True)
class Arithmetic:
    """How numbers are compared: ``exact`` (Fractions) or floats with tolerance ``tol``."""

    exact: bool
    tol: float

    def zeros(self, shape) -> np.ndarray:
        if self.exact:
            return np.full(shape, Fraction(0), dtype=object)
        return np.zeros(shape)

    def slack(self, x: np.ndarray | float) -> np.ndarray | float:
        """Absolute tolerance at magnitude x: tol * max(1, |x|) (0 in exact mode)."""
        if self.exact or self.tol == 0:
            return 0
        return self.tol * np.maximum(1.0, np.abs(x))

    def geq(self, a, b):
        """a >= b up to tolerance (elementwise, broadcasting)."""
        if self.exact or self.tol == 0:
            return a >= b
        return a >= b - self.slack(b)


def arithmetic(exact: bool, tol: float | None) -> Arithmetic:
    """Validate ``exact`` and ``tol`` (as declared in ``OPTIONS``); the arithmetic they select.

    >>> arithmetic(False, None), arithmetic(True, 0.1)
    (Arithmetic(exact=False, tol=1e-09), Arithmetic(exact=True, tol=0.0))
    """
    given = {"exact": exact} if tol is None else {"exact": exact, "tol": tol}
    if exact is True:  # exact comparisons ignore the float tolerance
        given.pop("tol", None)
    opts = OPTIONS.validate(given)
    if opts["exact"]:
        return Arithmetic(True, 0.0)
    return Arithmetic(False, float(opts.get("tol", DEFAULT_TOL)))


def check_tie_rule(rule: Any) -> str:
    """A seller tie rule declared in ``OPTIONS`` (``ModelError("solver.tie_break")``)."""
    return OPTIONS.validate({"tie_break": rule})["tie_break"]


def to_float(x: Any) -> float:
    """``float(x)``, with Fractions beyond the float range as +-inf (for display only).

    >>> to_float(Fraction(1, 4)), to_float(Fraction(10**400))
    (0.25, inf)
    """
    try:
        return float(x)
    except OverflowError:
        return math.inf if x > 0 else -math.inf


def model_arrays(model: ChainModel, ar: Arithmetic):
    """(values, list of Q_1..Q_n, reallocation t) in the arithmetic's number type."""
    if ar.exact:
        d = model.exact()
    else:
        d = model.floats()
    trans = d["transition"]
    Qs = [trans[i] if trans.ndim == 3 else trans for i in range(model.n)]
    return d["values"], Qs, d["reallocation"]


def choose_prices(V: np.ndarray, prices: np.ndarray, rule: str, ar: Arithmetic, C=None):
    """Pick one maximizing candidate per row of V (rows: seller values, cols: candidates).

    Candidates are in grid-index order (the paper's order).  Rules, among the candidates
    whose gain is maximal (up to tolerance): ``first`` the first in grid order (numpy
    ``argmax`` semantics when tol = 0), ``low`` the lowest price, ``high`` the highest,
    ``welfare_max`` / ``welfare_min`` the one whose continuation welfare ``C`` (same shape
    as V) is largest / smallest (optimistic / adversarial tie-breaking; remaining ties go
    to the first in grid order).

    Returns (column index per row, boolean per row: did two or more distinct prices tie).
    """
    vmax = V.max(axis=1)
    if ar.exact or ar.tol == 0:
        window = V >= vmax[:, None]
    else:
        window = V >= (vmax - ar.slack(vmax))[:, None]
    P = prices if prices.ndim == 2 else np.broadcast_to(prices[None, :], V.shape)
    # infinite sentinels in both modes: a Fraction compares exactly with a float infinity,
    # and no finite sentinel is safe (exact values may be as large as the user likes)
    hi = np.where(window, P, -math.inf).max(axis=1)
    lo = np.where(window, P, math.inf).min(axis=1)
    if rule == "first":
        idx = np.argmax(window, axis=1)
    elif rule in WELFARE_RULES:
        sign = 1 if rule == "welfare_max" else -1
        key = np.where(window, sign * C, -math.inf)
        kmax = key.max(axis=1)
        if ar.exact or ar.tol == 0:
            idx = np.argmax(key >= kmax[:, None], axis=1)
        else:
            idx = np.argmax(key >= (kmax - ar.slack(kmax))[:, None], axis=1)
    elif rule == "low":
        idx = np.argmax(window & (P == lo[:, None]), axis=1)
    else:
        idx = np.argmax(window & (P == hi[:, None]), axis=1)
    if ar.exact:
        tied = hi > lo
    else:
        tied = (hi - lo) > ar.slack(hi)
    return idx, np.asarray(tied, dtype=bool)


def acceptance(u_next: np.ndarray, p: np.ndarray, ar: Arithmetic) -> np.ndarray:
    """A[..., k, l] = 1{u_next[..., l] >= p[..., k]}: buyer w_l accepts seller w_k's price.

    Works for one profile ((L,) arrays) or a batch ((B, L) arrays).
    """
    return ar.geq(u_next[..., None, :], p[..., :, None])


def candidate_mask(thr: np.ndarray, ar: Arithmetic) -> np.ndarray:
    """Which next-buyer thresholds are candidate prices: those >= 0 (App. C.3).

    In float mode a threshold within tol below 0 counts (it is the price 0).
    """
    return thr >= 0 if (ar.exact or ar.tol == 0) else thr >= -ar.tol
