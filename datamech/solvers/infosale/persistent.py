"""A persistent general LP (spec §3.2) for many solves of one game on one type grid.

:class:`InfoSaleLP` builds the sparse LP once and keeps it in a live solver: a
``highspy.Highs`` instance (changed in place and warm-started from the previous
optimal basis) or a DPP-parametrized cvxpy problem (compiled once).  What can change
between solves, and how:

==================  ==================================================  ====================
change              highspy                                             cvxpy
==================  ==================================================  ====================
objective mix       ``changeColsCost``                                  parameters (DPP)
prior               ``changeRowsBounds`` + ``changeColsBounds``         parameters (DPP)
outside option K    ``changeRowsBounds`` (participation rows)           parameter (DPP)
any other data      ``changeCoeff`` on the changed entries, then the    rebuilt
(types, payoffs)    row/column bounds and costs; same sparsity pattern
==================  ==================================================  ====================

The prior enters every constraint row except the simplex rows, and the objective,
through the weights P(theta) Q(c) / q_i(c_i).  The persistent LP therefore works in
the variables x(a, theta, c) = P(theta) sigma(a | theta, c): the coefficients lose the
factor P(theta), the simplex rows become sum_a x = P(theta) and the bounds
0 <= x <= P(theta), so a new prior changes only bounds (and K, a right-hand side).
This needs a prior with no zero entry.

Examples
--------
>>> from datamech.models.infosale import create
>>> plp = InfoSaleLP(create("competition", alpha=0.5, cells=8))
>>> values = [plp.solve(prior=[p, 1 - p]).value for p in (0.5, 0.6, 0.7)]
>>> from datamech.solvers.infosale import solve_lp
>>> fresh = solve_lp(create("competition", alpha=0.5, cells=8, prior=[0.7, 0.3])).value
>>> abs(values[-1] - fresh) < 1e-9
True
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np
import scipy.sparse as sps

from ...backends import silence_native_stdout, solve_cvxpy
from ...errors import ModelError, SolverError
from ...models.infosale import InfoSaleModel
from ...status import Status
from .estimate import check_lp
from .layout import Layout, layout, utility_tensor
from .lp import build_lp, lp_result, no_solution
from .lp_backends import LPData, Runner, highs_instance, highs_run, runner
from .outside import outside_option
from .results import InfoSaleResult

_KEEP: Any = object()


@dataclasses.dataclass
class _Scaled:
    """The LP in x = P(theta) sigma: prior-free matrix and objective pieces."""

    lp: LPData  # matrix, bounds and costs in x (bounds for the current prior)
    c_model: np.ndarray  # the model's own objective, in x
    c_revenue: np.ndarray  # E[sum_i p_i]
    c_welfare: np.ndarray  # E[sum_i u_i]
    part_rows: slice | None


def _scale(model: InfoSaleModel, lay: Layout, lp: LPData) -> _Scaled:
    C, A = lay.n_cells, lay.n_act
    prior = lay.prior
    col_scale = np.ones(lp.n_cols)
    col_scale[: lay.n_sigma] = np.repeat(prior, C * A)
    row_scale = np.ones(lp.A.shape[0])
    simplex = lp.blocks["simplex"]
    row_scale[simplex] = np.repeat(prior, C)
    M = sps.diags(row_scale) @ lp.A @ sps.diags(1.0 / col_scale)
    M = sps.csr_matrix(M)
    M.sort_indices()
    row_lower, row_upper = lp.row_lower.copy(), lp.row_upper.copy()
    row_lower[simplex] = row_upper[simplex] = np.repeat(prior, C)
    col_upper = lp.col_upper.copy()
    col_upper[: lay.n_sigma] = col_scale[: lay.n_sigma]
    c_revenue = np.zeros(lp.n_cols)
    for i in range(lay.n):
        c_revenue[lp.t_offset[i] : lp.t_offset[i] + lay.m[i]] = lay.probs[i]
    c_welfare = np.zeros(lp.n_cols)
    tot = sum(utility_tensor(model, lay, i) for i in range(lay.n))  # (S, C, |A|)
    c_welfare[: lay.n_sigma] = (lay.joint[None, :, None] * tot).ravel()
    scaled = dataclasses.replace(
        lp,
        c=lp.c / col_scale,
        A=M,
        row_lower=row_lower,
        row_upper=row_upper,
        col_upper=col_upper,
    )
    return _Scaled(scaled, scaled.c.copy(), c_revenue, c_welfare, lp.blocks.get("participation"))


def _signature(model: InfoSaleModel, lay: Layout) -> tuple:
    c = model.constraints
    return (
        lay.n,
        lay.actions,
        lay.n_states,
        lay.m,
        model.game.linear,
        c.obedience,
        c.truthfulness,
        c.participation,
        c.nonnegative_payments,
    )


class InfoSaleLP:
    """The general LP of one game and type grid, kept alive for repeated solves.

    Parameters
    ----------
    model : InfoSaleModel
        The starting data; its prior must be positive.
    backend : {"highspy", "cvxpy"}
        ``highspy`` keeps one ``highspy.Highs`` instance, changes costs, bounds and
        coefficients in place and warm-starts from the last optimal basis; ``cvxpy``
        keeps one DPP problem whose parameters are the objective mix, the prior (via
        the simplex right-hand sides and the bounds) and the participation right-hand
        side, so re-solves skip cvxpy's compilation; HiGHS itself starts cold (cvxpy's
        ``warm_start`` passes a primal point, not a basis, and was measured slower).
    time_limit : float, optional
        Seconds per solve.
    solver : str, optional
        The numerical solver (``highs``; with backend cvxpy any LP solver it has).

    Notes
    -----
    Each call of :meth:`solve` changes the stored data and keeps it: a later call
    without ``prior`` uses the last prior.  ``mix=(w_r, w_w)`` replaces the model's
    objective by ``w_r E[sum p_i] + w_w E[sum u_i]`` until ``mix=None`` restores it.
    Every re-solve equals :func:`~datamech.solvers.infosale.solve_lp` on the changed
    model (tested to 1e-9 on sweeps).

    References
    ----------
    - A. Nouripour, "Selling Information in Competitive Environments", S.M. thesis, Department of
      Electrical Engineering and Computer Science, Massachusetts Institute of Technology, Cambridge,
      MA, September 2021.

    Examples
    --------
    >>> from datamech.models.infosale import create
    >>> plp = InfoSaleLP(create("competition", alpha=0.5, cells=8))
    >>> rev = plp.solve(mix=(1.0, 0.0)).value
    >>> wel = plp.solve(mix=(0.0, 1.0)).value
    >>> rev < wel
    True
    """

    def __init__(
        self,
        model: InfoSaleModel,
        backend: str = "highspy",
        time_limit: float | None = None,
        solver: str | None = None,
    ):
        self.run = runner(backend, solver, time_limit)
        _positive_prior(model.prior)
        check_lp(model, self.run.backend)
        self.backend = backend
        self.time_limit = time_limit
        self.model = model
        self.mix: tuple[float, float] | None = None
        self.lay = layout(model)
        self._signature = _signature(model, self.lay)
        t0 = time.perf_counter()
        self._data = _scale(model, self.lay, build_lp(model, self.lay))
        self.build_seconds = time.perf_counter() - t0
        self._h = None
        self._cvx = None
        self.iterations: int | None = None
        if backend == "highspy":
            self._h = highs_instance(self._data.lp, self._cost(), time_limit)
        else:
            self._cvx = _CvxpyLP(self._data, self.run)

    # ------------------------------------------------------------------ data changes
    def _weights(self) -> tuple[float, float, float]:
        """Weights of (the model's objective, revenue, welfare)."""
        return (1.0, 0.0, 0.0) if self.mix is None else (0.0, *self.mix)

    def _cost(self) -> np.ndarray:
        d = self._data
        w = self._weights()
        return w[0] * d.c_model + w[1] * d.c_revenue + w[2] * d.c_welfare

    def _set_prior(self, prior) -> None:
        prior = np.asarray(prior, dtype=float)
        model = self.model.replace(prior=prior)  # validates
        _positive_prior(model.prior)
        lay = dataclasses.replace(self.lay, prior=model.prior.copy())
        lp = self._data.lp
        C, A = lay.n_cells, lay.n_act
        simplex = lp.blocks["simplex"]
        lp.row_lower[simplex] = lp.row_upper[simplex] = np.repeat(lay.prior, C)
        lp.col_upper[: lay.n_sigma] = np.repeat(lay.prior, C * A)
        self.model, self.lay = model, lay
        self._refresh_outside_option()
        if self._h is not None:
            rows = np.arange(simplex.start, simplex.stop, dtype=np.int32)
            self._h.changeRowsBounds(
                rows.size, rows, lp.row_lower[simplex].copy(), lp.row_upper[simplex].copy()
            )
            cols = np.arange(lay.n_sigma, dtype=np.int32)
            self._h.changeColsBounds(
                cols.size, cols, lp.col_lower[: lay.n_sigma].copy(), lp.col_upper[cols].copy()
            )

    def _refresh_outside_option(self) -> None:
        """Recompute K (it depends on the prior) and the participation right-hand side."""
        d, lay, model = self._data, self.lay, self.model
        if not (model.game.linear or model.constraints.participation):
            return
        K = [outside_option(model, i) for i in range(lay.n)]
        d.lp.outside_option = [k if np.ndim(k) == 0 else np.asarray(k) for k in K]
        sl = d.part_rows
        if sl is None:
            return
        rhs = np.concatenate(
            [
                lay.values[i] * K[i] if model.game.linear else np.asarray(K[i], dtype=float)
                for i in range(lay.n)
            ]
        )
        d.lp.row_lower[sl] = rhs
        if self._h is not None:
            rows = np.arange(sl.start, sl.stop, dtype=np.int32)
            self._h.changeRowsBounds(rows.size, rows, rhs.copy(), d.lp.row_upper[sl].copy())

    def _set_outside_option(self, K) -> None:
        cons = dataclasses.replace(self.model.constraints, outside_option=K)
        self.model = self.model.replace(constraints=cons)
        self._refresh_outside_option()

    def _set_model(self, model: InfoSaleModel) -> None:
        """Any other change: rebuild the data, then change only what differs."""
        _positive_prior(model.prior)
        lay = layout(model)
        if _signature(model, lay) != self._signature:
            raise ModelError(
                "model",
                "a persistent LP keeps its game shape, grid size and constraint switches; "
                "build a new InfoSaleLP",
            )
        new = _scale(model, lay, build_lp(model, lay))
        old = self._data
        if self._h is not None:
            h = self._h
            same_pattern = np.array_equal(new.lp.A.indptr, old.lp.A.indptr) and np.array_equal(
                new.lp.A.indices, old.lp.A.indices
            )
            if same_pattern:
                changed = np.flatnonzero(new.lp.A.data != old.lp.A.data)
                rows = np.repeat(np.arange(new.lp.A.shape[0]), np.diff(new.lp.A.indptr))
                cols, vals = new.lp.A.indices, new.lp.A.data
                for k in changed:
                    h.changeCoeff(int(rows[k]), int(cols[k]), float(vals[k]))
                n_rows, n_cols = new.lp.A.shape
                r = np.arange(n_rows, dtype=np.int32)
                h.changeRowsBounds(n_rows, r, new.lp.row_lower, new.lp.row_upper)
                c = np.arange(n_cols, dtype=np.int32)
                h.changeColsBounds(n_cols, c, new.lp.col_lower, new.lp.col_upper)
            else:  # new sparsity pattern: pass the model, keep the basis as a warm start
                basis = h.getBasis()
                self._h = highs_instance(new.lp, None, self.time_limit)
                with silence_native_stdout():
                    self._h.setBasis(basis)
        self._data, self.model, self.lay = new, model, lay
        if self._cvx is not None:
            self._cvx = _CvxpyLP(new, self.run)

    # ------------------------------------------------------------------ solving
    def solve(
        self,
        model: InfoSaleModel | None = None,
        *,
        prior=None,
        outside_option=_KEEP,
        mix=_KEEP,
    ) -> InfoSaleResult:
        """Change the data and re-solve; returns the same result as ``solve_lp``.

        Parameters
        ----------
        model : InfoSaleModel, optional
            New data of the same shape (types, payoffs, objective): coefficients are
            changed in place where they differ.
        prior : sequence of float, optional
            New prior (positive entries).
        outside_option : float or None, optional
            Fix K_i to this number (None: back to the worst case of Def 4).
        mix : (float, float) or None, optional
            Maximize ``w_r`` revenue + ``w_w`` welfare; None restores the model's
            objective.  Payments are reported from the LP when ``w_r != 0`` and as the
            revenue-maximizing truthful payments of the rule otherwise.

        Raises
        ------
        SolverError
            Any status but optimal (the constraint family is not diagnosed here; a
            fresh :func:`~datamech.solvers.infosale.solve_lp` names it).
        ModelError
            A prior with a zero entry, or a ``model`` of another shape.
        """
        t0 = time.perf_counter()
        if model is not None:
            self._set_model(model)
        if prior is not None:
            self._set_prior(prior)
        if outside_option is not _KEEP:
            self._set_outside_option(outside_option)
        if mix is not _KEEP:
            self.mix = None if mix is None else (float(mix[0]), float(mix[1]))
        cost = self._cost()
        d = self._data
        if self._h is not None:
            cols = np.arange(cost.size, dtype=np.int32)
            self._h.changeColsCost(cost.size, cols, cost)
            status, x, duals = highs_run(self._h)
            self.iterations = int(self._h.getInfo().simplex_iteration_count)
        else:
            status, x, duals = self._cvx.solve(self._weights(), d.lp)
        if x is None:
            raise no_solution(status, "the persistent infosale LP", time_limit=self.time_limit)
        value = float(cost @ x)
        lay = self.lay
        sigma_x = x.copy()
        sigma_x[: lay.n_sigma] = x[: lay.n_sigma] / np.repeat(lay.prior, lay.n_cells * lay.n_act)
        pays = None if self.mix is None else self.mix[0] != 0
        extra = None if self.mix is None else {"mix": list(self.mix)}
        res = lp_result(
            self.model,
            lay,
            d.lp,
            sigma_x,
            duals,
            value,
            self.run,
            time.perf_counter() - t0,
            pays_in_objective=pays,
            extra=extra,
            status=status,
        )
        if self.mix is not None:
            res = dataclasses.replace(res, objective_kind="mix")
        return res


def _positive_prior(prior: np.ndarray) -> None:
    if np.any(np.asarray(prior) <= 0):
        raise ModelError("prior", "a persistent LP needs a prior with every state positive")


class _CvxpyLP:
    """One DPP cvxpy problem: parameters for the costs, the prior and K."""

    def __init__(self, data: _Scaled, run: Runner):
        import cvxpy as cp

        lp = data.lp
        self.run = run
        self.lp = lp
        x = cp.Variable(lp.n_cols)
        self.x = x
        self.w_model = cp.Parameter(value=1.0)
        self.w_rev = cp.Parameter(value=0.0)
        self.w_wel = cp.Parameter(value=0.0)
        obj = (
            self.w_model * (data.c_model @ x)
            + self.w_rev * (data.c_revenue @ x)
            + self.w_wel * (data.c_welfare @ x)
        )
        n_sig = lp.n_sigma
        self.ub = cp.Parameter(n_sig, value=lp.col_upper[:n_sig].copy())
        cons = [x[:n_sig] >= 0, x[:n_sig] <= self.ub]
        if np.all(np.isfinite(lp.col_lower[n_sig:])) and lp.n_cols > n_sig:
            cons.append(x[n_sig:] >= lp.col_lower[n_sig:])
        self.rows = []
        self.params = {}
        for name, sl in lp.blocks.items():
            M = lp.A[sl]
            lo, up = lp.row_lower[sl], lp.row_upper[sl]
            if name in ("simplex", "participation"):
                p = cp.Parameter(sl.stop - sl.start, value=lo.copy())
                self.params[name] = p
                con = (M @ x == p) if name == "simplex" else (M @ x >= p)
                cons.append(con)
                self.rows.append((sl, con, 1.0))
                continue
            if np.any(np.isfinite(lo)):
                con = M @ x >= np.where(np.isfinite(lo), lo, -1e30)
                cons.append(con)
                self.rows.append((sl, con, 1.0))
            if np.any(np.isfinite(up)):
                con = M @ x <= np.where(np.isfinite(up), up, 1e30)
                cons.append(con)
                self.rows.append((sl, con, -1.0))
        self.problem = cp.Problem(cp.Maximize(obj), cons)

    def solve(self, w: tuple[float, float, float], lp: LPData):
        self.w_model.value, self.w_rev.value, self.w_wel.value = w
        n_sig = lp.n_sigma
        self.ub.value = lp.col_upper[:n_sig].copy()
        for name, p in self.params.items():
            p.value = lp.row_lower[lp.blocks[name]].copy()
        # presolve on (see HIGHS_OPTIONS); warm_start off (cvxpy's default is on): cvxpy
        # would hand HiGHS the previous primal point, not a basis, which made re-solves
        # ~50x slower
        try:
            status = solve_cvxpy(
                self.problem,
                self.run.solver,
                what="the persistent infosale LP",
                time_limit=self.run.time_limit,
                warm_start=False,
            )
        except SolverError as exc:
            return exc.status, None, None
        if status not in (Status.OPTIMAL, Status.OPTIMAL_INACCURATE):
            return status, None, None
        duals = np.zeros(lp.A.shape[0])
        for sl, con, sign in self.rows:
            if con.dual_value is not None:
                duals[sl] += sign * np.asarray(con.dual_value).ravel()
        return status, np.asarray(self.x.value).ravel(), duals
