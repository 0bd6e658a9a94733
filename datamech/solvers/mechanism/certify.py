"""A dual bound by weak duality, from the solver's duals rounded and repaired (spec §7).

For ``max c x`` s.t. ``L <= A x <= U``, ``l <= x <= u``, any row multipliers ``y`` give

    c x = y (A x) + d x,   d = c - A^T y,
    c x <= sum_r max(y_r U_r, y_r L_r) + sum_j max(d_j u_j, d_j l_j) + offset,

finite when every positive ``y_r`` has a finite ``U_r``, every negative one a finite
``L_r``, and every nonzero ``d_j`` a finite bound on its side.  HiGHS's duals are floats:
multipliers of the wrong sign are set to 0, and the reduced costs of free columns
(payments), which must vanish exactly, are repaired in exact arithmetic by moving
multipliers of binding rows: the free columns are peeled off along rows in which all but
one of them are already settled (an IC chain down to a binding IR row, for instance),
and each column's residual is pushed into its row.  Everything after the rounding is
exact rationals (the LP's float coefficients read exactly), so the bound is a theorem
about the program as solved, whatever the solver's rounding.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import scipy.sparse as sps

from .rational import column_sums, exact, scaled, scaled_floats

__all__ = ["Bound", "dual_bound", "exact_bound", "weak_duality_bound"]


@dataclass(frozen=True)
class Bound:
    """An upper bound on the optimum (``None`` when no finite bound was certified)."""

    value: Fraction | None
    method: str
    note: str = ""


def dual_bound(highs, sol) -> Bound:
    """The bound from a solved :class:`~.highs.HighsLP` and its solution."""
    A = highs.matrix()
    rl, ru, cl, cu = highs.bounds()
    return weak_duality_bound(A, rl, ru, cl, cu, highs.costs(), highs.lp.offset, sol.row_dual)


def weak_duality_bound(A, rl, ru, cl, cu, c, offset, row_dual) -> Bound:
    """Weak-duality bound from float (or exact) multipliers, repaired exactly."""
    A = sps.csr_matrix(A)
    m, ncol = A.shape
    y = np.asarray(row_dual, dtype=object).copy()
    yf = np.array([float(v) for v in y]) if m else np.zeros(0)
    scale = max(1.0, float(np.max(np.abs(yf)))) if m else 1.0
    bad = (
        (np.abs(yf) < 1e-15 * scale) | ((yf > 0) & ~np.isfinite(ru)) | ((yf < 0) & ~np.isfinite(rl))
    )
    y[bad] = 0
    y = exact(y)
    free = ~np.isfinite(cl) & ~np.isfinite(cu)
    note = ""
    if free.any():
        y, ok, note = _repair(A, rl, ru, c, y, free)
        if not ok:
            return Bound(None, "weak duality", note)
    d = _reduced_costs(A, c, y)
    return _terms(
        d, y, rl, ru, cl, cu, offset, "weak duality (repaired dual, exact rationals)", note
    )


def exact_bound(rows, cols, vals, rl, ru, cl, cu, c, offset, y) -> Bound:
    """The weak-duality bound of exact multipliers ``y`` for an exact program (triplets
    with Fraction values), all in rationals (no rounding, no repair)."""
    n = len(c)
    vn, vd = scaled(np.asarray(vals, dtype=object))
    yn, yd = scaled(np.asarray(y, dtype=object)) if len(y) else (np.zeros(0, object), 1)
    order = np.argsort(cols, kind="stable")
    prod = vn[order] * yn[np.asarray(rows)[order]] if len(vals) else np.zeros(0, object)
    indptr = np.searchsorted(np.asarray(cols)[order], np.arange(n + 1))
    sums = column_sums(prod, indptr)
    d = np.array(
        [Fraction(ci) - Fraction(int(s), vd * yd) for ci, s in zip(c, sums, strict=True)],
        dtype=object,
    )
    return _terms(d, y, rl, ru, cl, cu, offset, "weak duality (exact multipliers)", "")


def _terms(d, y, rl, ru, cl, cu, offset, method: str, note: str) -> Bound:
    """sum_r max(y_r U_r, y_r L_r) + sum_j max(d_j u_j, d_j l_j) + offset, exactly."""
    total = Fraction(offset)
    for r in np.flatnonzero(y != 0):
        v = y[r]
        side = ru[r] if v > 0 else rl[r]
        if not np.isfinite(float(side)):
            return Bound(None, method, "a multiplier has no finite row bound")
        total += v * Fraction(side)
    for j in np.flatnonzero(d != 0):
        v = d[j]
        side = cu[j] if v > 0 else cl[j]
        if not np.isfinite(float(side)):
            return Bound(None, method, f"column {j} has a reduced cost but no bound")
        total += v * Fraction(side)
    return Bound(total, method, note)


def _reduced_costs(A: sps.csr_matrix, c, y: np.ndarray) -> np.ndarray:
    """d = c - A^T y exactly (numerators over one denominator)."""
    C = A.tocsc()
    an, ad = scaled_floats(C.data)
    yn, yd = scaled(y) if len(y) else (np.zeros(0, object), 1)
    prod = an * yn[C.indices] if len(C.data) else np.zeros(0, object)
    sums = column_sums(prod, C.indptr)
    c = np.asarray(c)
    cn, cd = scaled_floats(c) if c.dtype != object else scaled(exact(c))
    den = ad * yd * cd
    nums = cn * (ad * yd) - sums * cd
    return np.array([Fraction(int(v), den) if v else Fraction(0) for v in nums], dtype=object)


def _repair(A: sps.csr_matrix, rl, ru, c, y: np.ndarray, free: np.ndarray):
    """Make the reduced costs of free columns exactly zero by peeling (module docstring)."""
    F = np.flatnonzero(free)
    sub = A[:, F].tocsr()
    yf = np.array([float(v) for v in y])
    equality = rl == ru
    usable = equality | (yf != 0)
    sub = sps.diags(usable.astype(float)) @ sub
    sub.eliminate_zeros()
    csc = sub.tocsc()
    # residuals d_F = c_F - A_F^T y, exactly
    d = dict(zip(F.tolist(), _reduced_costs(A[:, F], np.asarray(c)[F], y).tolist(), strict=True))
    col_of = dict(enumerate(F.tolist()))
    count = np.diff(sub.indptr).astype(int)
    anchored = np.zeros(len(F), dtype=bool)
    ready = deque(np.flatnonzero(count == 1).tolist())
    order: list[tuple[int, int]] = []
    while ready:
        r = ready.popleft()
        cols = sub.indices[sub.indptr[r] : sub.indptr[r + 1]]
        open_cols = [k for k in cols if not anchored[k]]
        if len(open_cols) != 1:
            continue
        k = open_cols[0]
        anchored[k] = True
        order.append((k, r))
        for r2 in csc.indices[csc.indptr[k] : csc.indptr[k + 1]]:
            count[r2] -= 1
            if count[r2] == 1:
                ready.append(int(r2))
    A_csr = A.tocsr()
    for k, r in reversed(order):
        j = col_of[k]
        if d[j] == 0:
            continue
        a_rj = Fraction(float(A_csr[r, j]))
        delta = d[j] / a_rj
        y[r] += delta
        lo, hi = A_csr.indptr[r], A_csr.indptr[r + 1]
        for jj, v in zip(A_csr.indices[lo:hi], A_csr.data[lo:hi], strict=True):
            if free[jj] and jj != j:
                d[int(jj)] -= Fraction(float(v)) * delta
        d[j] = Fraction(0)
    left = [j for j, v in d.items() if v != 0]
    if left:
        return y, False, f"{len(left)} free columns keep a reduced cost after the repair"
    for _k, r in order:
        v = y[r]
        if (v > 0 and not np.isfinite(ru[r])) or (v < 0 and not np.isfinite(rl[r])):
            return y, False, "the repair gave a multiplier the wrong sign"
    return y, True, f"{len(order)} multipliers repaired"
