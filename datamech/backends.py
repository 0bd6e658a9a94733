"""Backend wrappers shared by every family: one cvxpy solve, one native-stdout silencer.

:func:`solve_cvxpy` runs a cvxpy problem with the chosen solver, keeps the solver's
banner off stdout, maps cvxpy's status to :class:`datamech.status.Status` with the one
policy for inaccurate solves (a ``RuntimeWarning`` and ``optimal_inaccurate``, never
silently ``optimal``), and raises :class:`~datamech.errors.SolverError` when there is no
solution.  :func:`silence_native_stdout` discards what compiled solvers print on file
descriptor 1 (HiGHS's banner), which ``contextlib.redirect_stdout`` cannot catch, so
``--json`` output stays exactly one JSON object.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import warnings
from collections.abc import Iterator
from typing import Any

from .errors import ModelError, SolverError
from .status import ERROR, Status, from_cvxpy

__all__ = ["CVXPY_SOLVERS", "cvxpy_solver", "silence_native_stdout", "solve_cvxpy"]

#: Solver names a user may give (any case) -> cvxpy's name for them.
CVXPY_SOLVERS = {
    "highs": "HIGHS",
    "clarabel": "CLARABEL",
    "scs": "SCS",
    "ecos": "ECOS",
    "osqp": "OSQP",
    "glpk": "GLPK",
    "glpk_mi": "GLPK_MI",
    "cbc": "CBC",
    "scip": "SCIP",
}

#: cvxpy's solver names as people write them (for the result's ``solver`` field).
DISPLAY = {"HIGHS": "HiGHS", "CLARABEL": "Clarabel", "SCS": "SCS", "ECOS": "ECOS", "OSQP": "OSQP"}


@contextlib.contextmanager
def silence_native_stdout(active: bool = True) -> Iterator[None]:
    """Discard what native code prints on file descriptor 1 inside the block.

    Python's own ``print`` still reaches the real stdout (``sys.stdout`` is pointed at
    a duplicate of the original descriptor).  A no-op when stdout is not a real file
    (e.g. captured by pytest) or ``active`` is false.
    """
    try:
        fd = sys.stdout.fileno() if active else None
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        fd = None
    if fd is None:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)
    python_stdout = sys.stdout
    sys.stdout = os.fdopen(os.dup(saved), "w")
    try:
        yield
    finally:
        try:
            sys.stdout.flush()
        finally:
            sys.stdout.close()
            sys.stdout = python_stdout
            os.dup2(saved, fd)
            os.close(saved)


def new_highs() -> Any:
    """A ``highspy.Highs`` with its output off, built without its start-up banner.

    highspy prints "Running HiGHS ..." on file descriptor 1 when the object is built,
    before any option can be set; the descriptor itself is pointed at /dev/null for that
    moment (whatever ``sys.stdout`` is: a terminal, pytest's capture or a notebook), so
    the banner never reaches ``datamech solve --json`` output or a notebook.
    """
    import highspy

    with contextlib.suppress(AttributeError, OSError, ValueError):
        sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
    return h


def cvxpy_solver(name: str | None, default: str, field: str = "solver.solver") -> str:
    """A user's solver name as cvxpy's (``"highs"`` -> ``"HIGHS"``), checked as installed."""
    import cvxpy as cp

    chosen = (name or default).strip()
    key = CVXPY_SOLVERS.get(chosen.lower(), chosen.upper())
    if key not in cp.installed_solvers():
        raise ModelError(
            field,
            f"solver {chosen!r} is not installed for cvxpy "
            f"(installed: {', '.join(sorted(cp.installed_solvers()))})",
        )
    return key


def solve_cvxpy(
    problem: Any,
    solver: str,
    *,
    what: str = "the program",
    time_limit: float | None = None,
    **options: Any,
) -> Status:
    """Solve a cvxpy problem; return its status, raise ``SolverError`` when no solution.

    Parameters
    ----------
    problem : cvxpy.Problem
    solver : str
        cvxpy's solver name (see :func:`cvxpy_solver`).
    what : str
        What the program is, for messages ("the P-AMD program").
    time_limit : float, optional
        Seconds (HiGHS and Clarabel); a run stopped by it has status ``time_limit``.
    **options
        Passed to the solver.

    Returns
    -------
    Status
        ``optimal`` or ``optimal_inaccurate`` (with a ``RuntimeWarning``), or
        ``time_limit`` when a solution is present.
    """
    import cvxpy as cp

    if time_limit is not None:
        key = {"HIGHS": "time_limit", "CLARABEL": "time_limit", "SCS": "time_limit_secs"}
        if solver in key:
            options[key[solver]] = float(time_limit)
    try:
        with silence_native_stdout():
            problem.solve(solver=solver, **options)
    except cp.error.SolverError as exc:
        raise SolverError(Status.SOLVER_ERROR, f"{what}: {solver} failed ({exc})") from None
    except (ValueError, ArithmeticError) as exc:  # e.g. cvxpy cannot unpack a NaN solution
        raise SolverError(Status.SOLVER_ERROR, f"{what}: {solver} failed ({exc})") from None
    status = from_cvxpy(problem.status)
    if status in ERROR:
        raise SolverError(status, f"{what} is {status.value} ({solver})")
    if status is Status.OPTIMAL_INACCURATE:
        warnings.warn(
            f"{solver} solved {what} only inaccurately (status optimal_inaccurate)",
            RuntimeWarning,
            stacklevel=2,
        )
    if problem.value is None:
        raise SolverError(Status.SOLVER_ERROR, f"{what}: {solver} returned no solution")
    return status


def solver_display(name: str) -> str:
    """cvxpy's solver name as people write it (``"HIGHS"`` -> ``"HiGHS"``)."""
    return DISPLAY.get(name, name)
