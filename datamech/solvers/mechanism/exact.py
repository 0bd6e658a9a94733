"""``exact = true``: re-solve the optimal basis in exact rationals and prove it optimal.

HiGHS's optimal basis fixes which rows hold with equality and which columns sit at a
bound; the basic columns then solve a square linear system whose data (types,
probabilities, bounds) are exact rationals.  It is solved exactly by iterative
refinement (a float LU of the basis, residuals computed exactly, corrections added as
exact binary fractions) until rational reconstruction (continued fractions) gives a
candidate that satisfies the system exactly; the row multipliers solve the transposed
system the same way.  Then, all in rationals: the primal point is checked against every
row and bound, and the multipliers give a weak-duality bound (:mod:`.certify`) equal to
the objective when the basis is optimal: a proof, not an estimate.  When the system is
too large or its solution too complicated to reconstruct, the result says so (``exact``
false, with the reason) rather than pretend.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import scipy.sparse as sps
from scipy.sparse.linalg import splu

from .certify import Bound, exact_bound
from .rational import column_sums, exact, scaled

__all__ = ["ExactFailure", "exact_resolve", "solve_square"]

#: Largest number of nonzeros of a basis system solved exactly.
MAX_NNZ = 3_000_000
MAX_REFINEMENTS = 12


class ExactFailure(Exception):
    """The exact re-solve could not be completed (the message says why)."""


def _matvec(rows, cols, vals_num, vals_den, x: np.ndarray, n_rows: int) -> np.ndarray:
    """A x exactly, A in triplets of integer numerators over one denominator."""
    if len(x) == 0 or len(rows) == 0:
        return np.array([Fraction(0)] * n_rows, dtype=object)
    xn, xd = scaled(x)
    order = np.argsort(rows, kind="stable")
    r = rows[order]
    prod = vals_num[order] * xn[cols[order]]
    indptr = np.searchsorted(r, np.arange(n_rows + 1))
    sums = column_sums(prod, indptr)
    den = vals_den * xd
    return np.array([Fraction(int(s), den) for s in sums], dtype=object)


def solve_square(rows, cols, vals, n: int, rhs: np.ndarray, guess: np.ndarray) -> np.ndarray:
    """The exact solution of the n x n system given by triplets (Fraction values).

    Iterative refinement from ``guess`` (floats) with a float LU, then rational
    reconstruction, each candidate verified exactly.  ``ExactFailure`` if none verifies.
    """
    if n == 0:
        return np.zeros(0, dtype=object)
    vf = np.array([float(v) for v in vals])
    M = sps.csc_matrix((vf, (rows, cols)), shape=(n, n))
    try:
        lu = splu(M)
    except RuntimeError as exc:
        raise ExactFailure(f"the basis matrix is singular in floating point ({exc})") from None
    vn, vd = scaled(np.asarray(vals, dtype=object))
    x = exact(np.asarray(guess, dtype=float))
    scale = 1.0
    for _ in range(MAX_REFINEMENTS):
        resid = rhs - _matvec(rows, cols, vn, vd, x, n)
        if all(r == 0 for r in resid):
            return x
        size = max(abs(float(r)) for r in resid)
        for bound in (10**6, 10**9, 10**12, 10**15):
            if size * bound * bound > 1e-3:
                break
            cand = np.array([v.limit_denominator(bound) for v in x], dtype=object)
            if all(r == 0 for r in rhs - _matvec(rows, cols, vn, vd, cand, n)):
                return cand
        if size == 0 or not np.isfinite(size):
            break
        scale = 2.0 ** -int(np.floor(np.log2(size)))
        step = lu.solve(np.array([float(r * Fraction(scale)) for r in resid]))
        if not np.all(np.isfinite(step)):
            break
        x = x + exact(step) / Fraction(scale)
    cand = np.array([v.limit_denominator(10**18) for v in x], dtype=object)
    if all(r == 0 for r in rhs - _matvec(rows, cols, vn, vd, cand, n)):
        return cand
    raise ExactFailure(
        f"the basis system ({n} equations) has no rational solution found by "
        f"{MAX_REFINEMENTS} refinements and reconstruction"
    )


def exact_resolve(highs, sol, exact_lp_factory, make_mechanism):
    """The exact twin of ``sol`` on the same basis: ``(mechanism, bound)``.

    ``exact_lp_factory()`` returns ``(layout, ExactLP)`` with the rows and columns of the
    solved program in the same order; ``make_mechanism(layout, x)`` reads the mechanism
    from an exact solution.  Raises :class:`ExactFailure` (with the reason) when the
    re-solve cannot be completed or does not prove optimality.
    """
    layout, E = exact_lp_factory()
    if (E.n_rows, E.n_cols) != (highs.num_rows, highs.num_cols):
        raise ExactFailure(
            f"the exact program has {E.n_rows} x {E.n_cols}, the solved one "
            f"{highs.num_rows} x {highs.num_cols}"
        )
    if len(sol.col_status) != E.n_cols:
        raise ExactFailure("HiGHS returned no basis")
    if len(E.vals) > MAX_NNZ:
        raise ExactFailure(f"the program has {len(E.vals):,} nonzeros (limit {MAX_NNZ:,})")
    x, y = _basis_solution(E, sol)
    _check_primal(E, x)
    bound = exact_bound(
        E.rows,
        E.cols,
        E.vals,
        E.row_lower,
        E.row_upper,
        E.col_lower,
        E.col_upper,
        E.c,
        E.offset,
        y,
    )
    value = sum((c * v for c, v in zip(E.c, x, strict=True) if c), Fraction(0)) + E.offset
    if bound.value is None or bound.value != value:
        raise ExactFailure(
            "the exact multipliers of the basis do not prove it optimal "
            f"({bound.note or 'the bound differs from the objective'})"
        )
    return make_mechanism(layout, x), Bound(
        value,
        "exact basis re-solve (iterative refinement, rational reconstruction) "
        "with exact multipliers: bound = objective",
        "",
    )


def _status_value(status: int, lo, up):
    if status == 0:
        return lo
    if status == 2:
        return up
    if status == 3:
        return Fraction(0)
    return lo if np.isfinite(float(lo)) else (up if np.isfinite(float(up)) else Fraction(0))


def _basis_solution(E, sol):
    """Primal x and multipliers y of the basis, exactly."""
    col_basic = sol.col_status == 1
    row_basic = sol.row_status == 1
    n_basic = int(col_basic.sum())
    nb_rows = np.flatnonzero(~row_basic)
    if n_basic != len(nb_rows):
        raise ExactFailure("the basis is not square (HiGHS basis inconsistent)")
    x = np.empty(E.n_cols, dtype=object)
    for j in np.flatnonzero(~col_basic):
        x[j] = _frac(_status_value(int(sol.col_status[j]), E.col_lower[j], E.col_upper[j]))
    bcols = np.flatnonzero(col_basic)
    col_pos = -np.ones(E.n_cols, dtype=np.int64)
    col_pos[bcols] = np.arange(n_basic)
    row_pos = -np.ones(E.n_rows, dtype=np.int64)
    row_pos[nb_rows] = np.arange(len(nb_rows))
    rhs = np.array(
        [
            _frac(_status_value(int(sol.row_status[r]), E.row_lower[r], E.row_upper[r]))
            for r in nb_rows
        ],
        dtype=object,
    )
    in_rows = row_pos[E.rows] >= 0
    basic_entry = in_rows & (col_pos[E.cols] >= 0)
    fixed_entry = in_rows & (col_pos[E.cols] < 0)
    for r, c, v in zip(E.rows[fixed_entry], E.cols[fixed_entry], E.vals[fixed_entry], strict=True):
        if x[c]:
            rhs[row_pos[r]] -= v * x[c]
    br, bc, bv = row_pos[E.rows[basic_entry]], col_pos[E.cols[basic_entry]], E.vals[basic_entry]
    x[bcols] = solve_square(br, bc, bv, n_basic, rhs, sol.x[bcols])
    # multipliers: y_r = 0 on basic rows; sum_r A_rj y_r = c_j on basic columns
    cb = np.array([_frac(E.c[j]) for j in bcols], dtype=object)
    y = np.array([Fraction(0)] * E.n_rows, dtype=object)
    y[nb_rows] = solve_square(bc, br, bv, n_basic, cb, sol.row_dual[nb_rows])
    return x, y


def _frac(v) -> Fraction:
    return v if isinstance(v, Fraction) else Fraction(v)


def _check_primal(E, x) -> None:
    vn, vd = scaled(np.asarray(E.vals, dtype=object))
    act = _matvec(E.rows, E.cols, vn, vd, np.asarray(x, dtype=object), E.n_rows)
    for r, a in enumerate(act):
        lo, up = E.row_lower[r], E.row_upper[r]
        if (np.isfinite(float(lo)) and a < _frac(lo)) or (np.isfinite(float(up)) and a > _frac(up)):
            raise ExactFailure(f"the exact basic solution violates row {r}")
    for j, v in enumerate(x):
        lo, up = E.col_lower[j], E.col_upper[j]
        if (np.isfinite(float(lo)) and v < _frac(lo)) or (np.isfinite(float(up)) and v > _frac(up)):
            raise ExactFailure(f"the exact basic solution violates the bounds of column {j}")
