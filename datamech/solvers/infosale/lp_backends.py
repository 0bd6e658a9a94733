"""The LPs of the infosale family as data, and the two modelling layers that solve them.

:class:`LPData` is a maximization LP ``max c.x  s.t.  row_lower <= A x <= row_upper``
with column bounds.  ``highspy`` passes it to HiGHS directly (the fast path);
``cvxpy`` states the same matrix as a cvxpy problem and solves it with any LP solver
cvxpy has (HiGHS by default) through :func:`datamech.backends.solve_cvxpy`.  Both
return a :class:`~datamech.status.Status`, the solution, the rows' shadow prices and
the objective value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sps

from ...backends import cvxpy_solver, new_highs, silence_native_stdout, solve_cvxpy, solver_display
from ...errors import ModelError, SolverError
from ...models.infosale import BACKENDS
from ...status import Status, from_highs

__all__ = ["HIGHS_OPTIONS", "LPData", "Runner", "highs_instance", "highs_run", "runner"]


@dataclass
class LPData:
    """A maximization LP  max c.x  s.t.  row_lower <= A x <= row_upper, col bounds.

    ``blocks`` maps a constraint family to its row slice; ``t_offset[i]`` is the first
    column of buyer i's payments.
    """

    c: np.ndarray
    A: sps.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    blocks: dict[str, slice]
    t_offset: list[int]
    n_sigma: int
    outside_option: list

    @property
    def n_cols(self) -> int:
        return self.c.size


# HiGHS presolve removes next to nothing from this LP but costs ~40% of the solve
# (Example 3, highspy, m = 40 / 80 / 160: 0.14 / 1.07 / 4.6 s with it, 0.09 / 0.41 /
# 2.6 s without; same optimum), so it is off unless the caller asks for it.  Not for
# the cvxpy backend: cvxpy states the variable bounds as rows, which presolve folds
# back into bounds (without it, m = 40 takes 30 s instead of 1.3 s).
HIGHS_OPTIONS = {"presolve": "off"}


def highs_instance(
    lp: LPData,
    cost: np.ndarray | None = None,
    time_limit: float | None = None,
    options: dict | None = None,
):
    """A silent ``highspy.Highs`` holding ``lp`` (maximization), not yet run.

    ``options`` are HiGHS options set over :data:`HIGHS_OPTIONS`.
    """
    import highspy

    A = lp.A.tocsr()
    h = new_highs()
    with silence_native_stdout():
        for key, val in {**HIGHS_OPTIONS, **(options or {})}.items():
            h.setOptionValue(key, val)
        if time_limit is not None:
            h.setOptionValue("time_limit", float(time_limit))
        hl = highspy.HighsLp()
        hl.num_col_ = lp.n_cols
        hl.num_row_ = A.shape[0]
        hl.sense_ = highspy.ObjSense.kMaximize
        hl.col_cost_ = np.asarray(lp.c if cost is None else cost, dtype=float)
        hl.col_lower_ = lp.col_lower
        hl.col_upper_ = lp.col_upper
        hl.row_lower_ = lp.row_lower
        hl.row_upper_ = lp.row_upper
        hl.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        hl.a_matrix_.num_col_ = lp.n_cols
        hl.a_matrix_.num_row_ = A.shape[0]
        hl.a_matrix_.start_ = A.indptr.astype(np.int32)
        hl.a_matrix_.index_ = A.indices.astype(np.int32)
        hl.a_matrix_.value_ = A.data.astype(float)
        h.passModel(hl)
    return h


def highs_run(h) -> tuple[Status, np.ndarray | None, np.ndarray | None]:
    """Run ``h``; returns (status, x, shadow prices of the rows), x None unless optimal.

    HiGHS reports d(objective)/d(rhs); a binding ">=" row of a maximization has a
    non-positive dual, so the shadow price of tightening it is -row_dual.
    """
    with silence_native_stdout():
        h.run()
        status = from_highs(h.modelStatusToString(h.getModelStatus()))
        if status is not Status.OPTIMAL:
            return status, None, None
        sol = h.getSolution()
        x = np.asarray(sol.col_value)
        duals = np.asarray(sol.row_dual)
    return status, x, -duals


def _ambiguous(h) -> bool:
    """HiGHS ended with "primal infeasible or unbounded" (not told apart)."""
    import highspy

    return h.getModelStatus() == highspy.HighsModelStatus.kUnboundedOrInfeasible


@dataclass(frozen=True)
class Runner:
    """A modelling layer and numerical solver, checked: ``runner.solve(lp)``.

    ``solve`` returns (status, x, row shadow prices, objective value); x is None when
    the status carries no solution (infeasible, unbounded, time limit, failure).
    """

    backend: str
    solver: str  # cvxpy's name (HIGHS, CLARABEL, ...); HIGHS for highspy
    time_limit: float | None = None

    @property
    def display(self) -> str:
        """The numerical solver as people write it (``HiGHS``, ``Clarabel``)."""
        return solver_display(self.solver)

    def solve(self, lp: LPData, *, feasibility: bool = False, what: str = "the infosale LP"):
        if self.backend == "highspy":
            h = highs_instance(lp, np.zeros(lp.n_cols) if feasibility else lp.c, self.time_limit)
            status, x, duals = highs_run(h)
            if status is Status.SOLVER_ERROR and _ambiguous(h) and not feasibility:
                # "infeasible or unbounded": the feasibility problem tells which
                feasible = self.solve(lp, feasibility=True, what=what)[1] is not None
                status = Status.UNBOUNDED if feasible else Status.INFEASIBLE
            if x is None:
                return status, None, None, None
            return status, x, duals, float(lp.c @ x)
        return _cvxpy_solve(lp, self, feasibility, what)


def runner(backend: str = "highspy", solver: str | None = None, time_limit=None) -> Runner:
    """The :class:`Runner` of a backend and a user's solver name, checked.

    >>> runner("cvxpy", "highs").display
    'HiGHS'
    >>> runner("highspy", "clarabel")
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: solver.solver: backend highspy runs HiGHS only, not 'clarabel' (use backend cvxpy for other solvers)
    """
    if backend not in BACKENDS:
        raise ModelError(
            "solver.backend", f"unknown value {backend!r} (allowed: {', '.join(BACKENDS)})"
        )
    name = solver or "highs"
    if backend == "highspy":
        if not isinstance(name, str) or name.strip().lower() != "highs":
            raise ModelError(
                "solver.solver",
                f"backend highspy runs HiGHS only, not {name!r} (use backend cvxpy for "
                "other solvers)",
            )
        return Runner("highspy", "HIGHS", time_limit)
    return Runner("cvxpy", cvxpy_solver(name, "highs", field="solver.solver"), time_limit)


def _cvxpy_solve(lp: LPData, run: Runner, feasibility: bool, what: str):
    import cvxpy as cp

    x = cp.Variable(lp.n_cols)
    cons = []
    handles = {}
    for name, sl in lp.blocks.items():
        M = lp.A[sl]
        lo, up = lp.row_lower[sl], lp.row_upper[sl]
        if np.all(lo == up):
            con = M @ x == lo
            cons.append(con)
            handles[name] = (con, None)
            continue
        lo_con = up_con = None
        if np.any(np.isfinite(lo)):
            lo_con = M @ x >= np.where(np.isfinite(lo), lo, -1e30)
            cons.append(lo_con)
        if np.any(np.isfinite(up)):
            up_con = M @ x <= np.where(np.isfinite(up), up, 1e30)
            cons.append(up_con)
        handles[name] = (lo_con, up_con)
    n_sig = lp.n_sigma
    cons += [x[:n_sig] >= lp.col_lower[:n_sig], x[:n_sig] <= lp.col_upper[:n_sig]]
    if np.all(np.isfinite(lp.col_lower[n_sig:])) and lp.n_cols > n_sig:
        cons.append(x[n_sig:] >= lp.col_lower[n_sig:])
    objective = cp.Maximize(0 if feasibility else lp.c @ x)
    prob = cp.Problem(objective, cons)
    # HiGHS presolve stays on here: it turns cvxpy's bound rows into bounds
    try:
        status = solve_cvxpy(prob, run.solver, what=what, time_limit=run.time_limit)
    except SolverError as exc:
        return exc.status, None, None, None
    if status not in (Status.OPTIMAL, Status.OPTIMAL_INACCURATE):
        return status, None, None, None
    duals = np.zeros(lp.A.shape[0])
    for name, (lo_con, up_con) in handles.items():
        sl = lp.blocks[name]
        d = np.zeros(sl.stop - sl.start)
        if lo_con is not None and lo_con.dual_value is not None:
            d += np.asarray(lo_con.dual_value).ravel()
        if up_con is not None and up_con.dual_value is not None:
            d -= np.asarray(up_con.dual_value).ravel()
        duals[sl] = d
    xv = np.asarray(x.value).ravel()
    return status, xv, duals, float(lp.c @ xv)
