"""A sparse LP handed to HiGHS through highspy in one ``passModel`` call, and re-solved.

:class:`SparseLP` is the matrix a builder produces (rows in named families, so errors
and diagnoses can name them); :class:`HighsLP` holds the HiGHS instance, adds cutting
planes (``addRows``) and re-solves warm, and returns the solution, the row duals and
the basis.  HiGHS's banner and log never reach stdout.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sps

from ...backends import new_highs, silence_native_stdout
from ...errors import SolverError
from ...status import Status, from_highs

__all__ = ["HighsLP", "SparseLP", "Solution"]

INF = np.inf


@dataclass
class SparseLP:
    """``max c x`` s.t. ``row_lower <= A x <= row_upper``, ``col_lower <= x <= col_upper``.

    ``families`` maps a constraint family (``"ic"``, ``"ir"``, ``"budget"``,
    ``"feasibility"``, ``"linking"``, ``"requirements"``, ``"border"``) to its rows.
    """

    A: sps.csr_matrix
    c: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    families: dict[str, np.ndarray] = field(default_factory=dict)
    offset: float = 0.0

    @property
    def shape(self) -> tuple[int, int]:
        return self.A.shape


@dataclass
class Solution:
    """An optimal (or time-limited) solution: primal, row duals, basis, objective."""

    status: Status
    x: np.ndarray
    row_dual: np.ndarray
    col_dual: np.ndarray
    objective: float
    col_status: np.ndarray  # HiGHS basis status per column: 0 lower, 1 basic, 2 upper, 3 zero
    row_status: np.ndarray  # the same per row
    iterations: int


class HighsLP:
    """A silent HiGHS instance holding one :class:`SparseLP` (maximization)."""

    def __init__(self, lp: SparseLP, time_limit: float | None = None, tight: bool = False):
        import highspy

        self.lp = lp
        self.families = {k: np.asarray(v) for k, v in lp.families.items()}
        A = lp.A.tocsr()
        h = new_highs()
        with silence_native_stdout():
            if time_limit is not None:
                h.setOptionValue("time_limit", float(time_limit))
            if tight:  # cutting planes: rows must hold to the separation's tolerance
                h.setOptionValue("primal_feasibility_tolerance", 1e-9)
                h.setOptionValue("dual_feasibility_tolerance", 1e-9)
                # warm re-solves after adding rows: presolve would discard the basis
                h.setOptionValue("presolve", "off")
                # Dantzig pricing: steepest-edge weights cost a solve per row to set up
                h.setOptionValue("simplex_dual_edge_weight_strategy", 0)
            m = highspy.HighsLp()
            m.num_col_ = int(A.shape[1])
            m.num_row_ = int(A.shape[0])
            m.sense_ = highspy.ObjSense.kMaximize
            m.offset_ = float(lp.offset)
            m.col_cost_ = np.asarray(lp.c, dtype=float)
            m.col_lower_ = np.asarray(lp.col_lower, dtype=float)
            m.col_upper_ = np.asarray(lp.col_upper, dtype=float)
            m.row_lower_ = np.asarray(lp.row_lower, dtype=float)
            m.row_upper_ = np.asarray(lp.row_upper, dtype=float)
            m.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
            m.a_matrix_.num_col_ = int(A.shape[1])
            m.a_matrix_.num_row_ = int(A.shape[0])
            m.a_matrix_.start_ = A.indptr.astype(np.int32)
            m.a_matrix_.index_ = A.indices.astype(np.int32)
            m.a_matrix_.value_ = A.data.astype(float)
            h.passModel(m)
        self.h = h
        self.num_rows = int(A.shape[0])

    def add_rows(self, family: str, A: sps.csr_matrix, lower, upper) -> None:
        """Append rows (a cutting plane family) to the model; the next solve is warm."""
        A = sps.csr_matrix(A)
        k = A.shape[0]
        if k == 0:
            return
        with silence_native_stdout():
            self.h.addRows(
                k,
                np.asarray(lower, dtype=float),
                np.asarray(upper, dtype=float),
                int(A.nnz),
                A.indptr[:-1].astype(np.int32),
                A.indices.astype(np.int32),
                A.data.astype(float),
            )
        new = np.arange(self.num_rows, self.num_rows + k)  # row indices of the new rows
        self.families[family] = np.concatenate([self.families.get(family, []), new]).astype(int)
        self.num_rows += k

    def delete_rows(self, rows: np.ndarray) -> np.ndarray:
        """Delete rows (e.g. slack cutting planes); returns the map old index -> new index
        (-1 for deleted rows).  The basis of the remaining rows is kept."""
        rows = np.unique(np.asarray(rows, dtype=np.int64))
        keep = np.ones(self.num_rows, dtype=bool)
        keep[rows] = False
        new_index = np.where(keep, np.cumsum(keep) - 1, -1)
        if len(rows):
            with silence_native_stdout():
                self.h.deleteRows(len(rows), rows.astype(np.int32))
            self.num_rows -= len(rows)
            for fam, idx in self.families.items():
                mapped = new_index[idx]
                self.families[fam] = mapped[mapped >= 0]
        return new_index

    def add_cols(self, cost, lower, upper) -> np.ndarray:
        """Append empty columns (filled by the rows added next); returns their indices."""
        k = len(lower)
        start = int(self.h.getNumCol())
        with silence_native_stdout():
            self.h.addCols(
                k,
                np.asarray(cost, dtype=float),
                np.asarray(lower, dtype=float),
                np.asarray(upper, dtype=float),
                0,
                np.zeros(k, dtype=np.int32),
                np.zeros(0, dtype=np.int32),
                np.zeros(0, dtype=float),
            )
        return np.arange(start, start + k)

    @property
    def num_cols(self) -> int:
        return int(self.h.getNumCol())

    def costs(self) -> np.ndarray:
        """The objective coefficients of the current model (with added columns)."""
        return np.asarray(self.h.getLp().col_cost_, dtype=float)

    def set_row_bounds(self, rows: np.ndarray, lower, upper) -> None:
        """Change the bounds of some rows (used to drop a family when diagnosing)."""
        rows = np.asarray(rows, dtype=np.int32)
        if len(rows):
            with silence_native_stdout():
                self.h.changeRowsBounds(
                    len(rows), rows, np.asarray(lower, float), np.asarray(upper, float)
                )

    def solve(self, what: str = "the mechanism LP") -> Solution:
        """Run HiGHS; ``SolverError`` when there is no solution (status from the enum)."""
        with silence_native_stdout():
            self.h.run()
            status = from_highs(self.h.modelStatusToString(self.h.getModelStatus()))
        if status in (Status.INFEASIBLE, Status.UNBOUNDED, Status.SOLVER_ERROR):
            raise SolverError(status, f"{what} is {status.value}")
        return self._solution(status)

    def status(self) -> Status:
        """Run HiGHS and return the status only (for diagnoses)."""
        with silence_native_stdout():
            self.h.run()
            return from_highs(self.h.modelStatusToString(self.h.getModelStatus()))

    def _solution(self, status: Status) -> Solution:
        sol = self.h.getSolution()
        basis = self.h.getBasis()
        x = np.asarray(sol.col_value, dtype=float)
        if not sol.value_valid or len(x) == 0 and self.lp.shape[1] > 0:
            if status is Status.TIME_LIMIT:
                raise SolverError(
                    status,
                    "stopped by the time limit before a solution was "
                    "found; raise [solver] time_limit",
                )
            raise SolverError(Status.SOLVER_ERROR, "HiGHS returned no primal solution")
        info = self.h.getInfo()
        if status is Status.OPTIMAL and info.max_primal_infeasibility > 1e-6:
            warnings.warn(
                "HiGHS reports primal infeasibilities of "
                f"{info.max_primal_infeasibility:.2g} at the optimum",
                RuntimeWarning,
                stacklevel=3,
            )
            status = Status.OPTIMAL_INACCURATE
        return Solution(
            status=status,
            x=x,
            row_dual=np.asarray(sol.row_dual, dtype=float),
            col_dual=np.asarray(sol.col_dual, dtype=float),
            objective=float(self.h.getInfo().objective_function_value),
            col_status=np.array([int(v) for v in basis.col_status], dtype=np.int8)
            if basis.valid
            else np.zeros(0, np.int8),
            row_status=np.array([int(v) for v in basis.row_status], dtype=np.int8)
            if basis.valid
            else np.zeros(0, np.int8),
            iterations=int(info.simplex_iteration_count),
        )

    def matrix(self) -> sps.csr_matrix:
        """The current constraint matrix (with added rows), as scipy CSR."""
        lp = self.h.getLp()
        a = lp.a_matrix_
        shape = (lp.num_row_, lp.num_col_)
        data = (np.asarray(a.value_), np.asarray(a.index_), np.asarray(a.start_))
        if a.format_ == a.format_.kColwise:
            return sps.csc_matrix(data, shape=shape).tocsr()
        return sps.csr_matrix(data, shape=shape)

    def bounds(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Row and column bounds of the current model: (row_lo, row_up, col_lo, col_up)."""
        lp = self.h.getLp()
        return (
            np.asarray(lp.row_lower_),
            np.asarray(lp.row_upper_),
            np.asarray(lp.col_lower_),
            np.asarray(lp.col_upper_),
        )
