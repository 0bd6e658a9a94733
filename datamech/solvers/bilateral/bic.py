"""The second best with Bayesian incentive compatibility (BIC) on type grids (spec §4.3).

The buyer's interim allocation ``sum_m rho_m z_jm`` must be nondecreasing in j and the
seller's ``sum_j pi_j x_jm`` nonincreasing in m.

* Indivisible good: both constraints are linear, so the program is an LP (cvxpy with
  HiGHS by default, or pyomo with HiGHS): a global optimum, status ``optimal``.
* Scaling model: the seller constraint ``sum_j pi_j z_jm^{1/alpha}`` nonincreasing is
  nonconvex.  Solved locally from the DSIC solution (:mod:`.dsic`), either by the
  convex-concave procedure in cvxpy (``solver = "ccp"``, the default: linearise the
  right-hand side at the current point, which restricts the feasible set, and solve the
  convex program with Clarabel; every iterate is feasible and the GFT never decreases)
  or as a pyomo NLP (``backend = "pyomo"``; ipopt when its executable is on the PATH,
  else ripopt from the ``pyomo-ripopt`` wheel of the ``nlp`` extra).  The result has
  status ``local_optimum`` and carries ``upper_bound``, the convex relaxation without
  the seller's interim constraint (for regular laws it equals the DSIC value: then BIC =
  DSIC is certified to the ``gap``).  A run stopped by ``max_iterations`` has status
  ``iteration_limit``; one whose convex steps were inaccurate ``optimal_inaccurate``;
  both with ``advice``.

Examples
--------
>>> from datamech.models.distributions import Uniform
>>> r = second_best_bic(Uniform(0, 1), Uniform(1, 2), alpha="1/2", grid=8)   # B1
>>> str(r.status), r.solver, r.local, abs(r.gap) < 1e-9
('local_optimum', 'ccp', True, True)
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from ...backends import silence_native_stdout, solve_cvxpy
from ...errors import SolverError
from ...models.bilateral import resolve_good
from ...numeric import read_int, read_number
from ...progress import progress
from ...sizes import check_count
from ...status import ERROR, Status, from_pyomo
from .dsic import INACCURATE_ADVICE, cvx_problem, grid_value, program_result, second_best_program
from .grids import BYTES_PER_CELL, TypeGrid, grid_field, prepare
from .settings import DEFAULT_CELLS, DEFAULT_MAX_ITERATIONS, DEFAULT_TOL, choose_backend

__all__ = ["PYOMO_CELLS", "second_best_bic"]

#: Largest grid (buyer cells x seller cells) of the pyomo NLP: it builds one Python
#: expression per cell (K = 40 per side took 15-36 s with ripopt).
PYOMO_CELLS = 10_000
_FEAS_TOL = 1e-7  # an NLP answer must satisfy the budget and both interim constraints


def second_best_bic(
    buyer,
    seller,
    alpha=None,
    good: str | None = None,
    grid: int | tuple[int, int] = DEFAULT_CELLS,
    solver: str | None = None,
    backend: str | None = None,
    max_iterations: int = DEFAULT_MAX_ITERATIONS,
    tol: float = DEFAULT_TOL,
    *,
    max_iter: int | None = None,
    prefix: str = "",
):
    """Second best with interim monotone (BIC) allocations on a type grid (spec §4.3).

    See the module docstring for the programs.  An NLP answer is checked for
    feasibility (budget and both interim constraints to 1e-7, else ``SolverError``) and
    replaced by the DSIC start should it be worse (status ``heuristic`` then), so the
    value is never below the DSIC value.

    Parameters
    ----------
    buyer, seller, alpha, good, grid
        As in :func:`~.dsic.second_best_program`.
    solver, backend : str, optional
        ``backend = "cvxpy"`` (default) with ``solver = "ccp"`` (scaling) or a cvxpy LP
        solver (indivisible, default HiGHS); ``backend = "pyomo"`` with ``"ipopt"`` or
        ``"ripopt"`` (scaling; default the first installed) or ``"highs"`` (indivisible).
        Without ``backend``, ipopt, ripopt and appsi_highs select pyomo.
    max_iterations, tol : int, float
        Convex-concave steps: iteration limit and stopping tolerance on the relative
        GFT gain.  ``max_iter`` is the deprecated name of ``max_iterations``.
    prefix : str
        How errors name the options (``"solver."`` for model files: ``solver.cells``).

    Examples
    --------
    >>> from datamech.models.distributions import Uniform
    >>> r = second_best_bic(Uniform(0, 1), Uniform(0, 1), good="indivisible", grid=8)
    >>> str(r.status), r.local, round(r.gains_from_trade, 6) >= 0.13
    ('optimal', False, True)
    """
    t0 = time.perf_counter()
    if max_iter is not None:
        warnings.warn(
            "max_iter is deprecated; use max_iterations", DeprecationWarning, stacklevel=2
        )
        max_iterations = max_iter
    max_iterations = read_int(max_iterations, f"{prefix}max_iterations", low=1)
    tol = float(read_number(tol, f"{prefix}tol", low=0, low_open=True, high=1))
    _, g = resolve_good(alpha, good)
    run = choose_backend("bic", g, backend, solver, prefix)
    per_cell = BYTES_PER_CELL * (3 if run.backend == "pyomo" else 1)
    a, g, gb, gs = prepare(
        buyer,
        seller,
        alpha,
        good,
        grid,
        field=grid_field(prefix),
        bytes_per_cell=per_cell,
        what="the BIC program",
    )
    if run.backend == "pyomo":
        check_count(
            grid_field(prefix),
            gb.size * gs.size,
            PYOMO_CELLS,
            f"the pyomo BIC program over {gb.size:,} x {gs.size:,} type cells",
            hint="use backend = 'cvxpy' (convex-concave steps) or fewer cells",
        )
    common = dict(backend=run.backend, solver=run.solver)
    if g == "indivisible":
        if run.backend == "pyomo":
            z, lam, status = _pyomo_lp_bic(gb, gs)
        else:
            prob, zv, budget = cvx_problem(gb, gs, a, g, "bic")
            status = solve_cvxpy(prob, run.name, what="the bilateral BIC linear program")
            z, lam = zv.value, float(budget.dual_value)
        advice = INACCURATE_ADVICE if status is Status.OPTIMAL_INACCURATE else ""
        return program_result(
            z, gb, gs, a, g, lam, status, "BIC", "bic", t0=t0, advice=advice, **common
        )
    dsic = second_best_program(gb, gs, alpha=a, good=g)
    relax, _, _ = cvx_problem(gb, gs, a, g, "buyer")
    relax_status = solve_cvxpy(relax, "CLARABEL", what="the convex relaxation of the BIC program")
    upper = float(relax.value) / (gb.size * gs.size)
    if run.backend == "pyomo":
        z, lam, status, its, advice = _pyomo_nlp_bic(gb, gs, a, dsic, run.name)
    else:
        z, lam, status, its, advice = _ccp_bic(gb, gs, a, dsic.z, max_iterations, tol)
    if Status.OPTIMAL_INACCURATE in (dsic.status, relax_status) and status in (
        Status.OPTIMAL,
        Status.LOCAL_OPTIMUM,
    ):
        status, advice = Status.OPTIMAL_INACCURATE, INACCURATE_ADVICE
    return program_result(
        z,
        gb,
        gs,
        a,
        g,
        lam,
        status,
        "BIC",
        "bic",
        t0=t0,
        local=status is not Status.OPTIMAL,
        upper_bound=upper,
        iterations=its,
        advice=advice,
        extra={"dsic_gains_from_trade": dsic.gains_from_trade},
        **common,
    )


def _ccp_bic(gb: TypeGrid, gs: TypeGrid, alpha, z0, max_iterations: int, tol: float):
    """Convex-concave procedure for the scaling BIC program, started at the DSIC ``z0``;
    returns (z, lambda, status, iterations, advice)."""
    import cvxpy as cp

    J, M = gb.size, gs.size
    p = 1 / float(alpha)
    zt = np.asarray(z0, dtype=float).copy()
    prev = grid_value(zt, gb, gs, alpha, "scaling")[0]
    lam = float("nan")
    prob, z, budget = cvx_problem(gb, gs, alpha, "scaling", "buyer")
    if M == 1:  # no seller constraint: the convex relaxation is the BIC program itself
        status = solve_cvxpy(prob, "CLARABEL", what="the BIC program")
        zn = np.maximum(np.asarray(z.value, dtype=float), 0.0)
        return zn, float(budget.dual_value), status, 1, ""
    slope = cp.Parameter((J, M), nonneg=True, name="slope")
    offset = cp.Parameter((J, M), name="offset")
    # X_{m+1}(z) <= X_m(z^t) + grad X_m(z^t) (z - z^t), X_m(z) = sum_j pi_j z_jm^p
    X = gb.probs @ cp.power(z, p)
    lin = gb.probs @ (cp.multiply(slope, z) + offset)
    step = cp.Problem(prob.objective, [*prob.constraints, X[1:] <= lin[:-1]])
    inaccurate, converged, its = False, False, 0
    steps = progress(range(1, max_iterations + 1), desc="BIC convex-concave steps", unit="step")
    for its in steps:  # noqa: B007 - its is reported
        zc = np.maximum(zt, 0.0)
        slope.value = p * zc ** (p - 1)
        offset.value = (1 - p) * zc**p
        status = solve_cvxpy(step, "CLARABEL", what="a convex-concave step of the BIC program")
        inaccurate |= status is Status.OPTIMAL_INACCURATE
        lam = float(budget.dual_value)
        zn = np.maximum(np.asarray(z.value, dtype=float), 0.0)
        val = grid_value(zn, gb, gs, alpha, "scaling")[0]
        if val >= prev - 1e-12 * max(1.0, abs(prev)):
            zt = zn
        improved = val - prev
        prev = max(prev, val)
        if improved <= tol * max(1.0, abs(prev)):
            converged = True
            break
    if inaccurate:
        return zt, lam, Status.OPTIMAL_INACCURATE, its, INACCURATE_ADVICE
    if not converged:
        advice = (
            f"the convex-concave steps still gained more than tol = {tol:g} after "
            f"{max_iterations} steps: raise max_iterations (or tol)"
        )
        return zt, lam, Status.ITERATION_LIMIT, its, advice
    return zt, lam, Status.LOCAL_OPTIMUM, its, ""


def _pyomo_nlp_bic(gb: TypeGrid, gs: TypeGrid, alpha, dsic, name: str):
    """The nonconvex scaling BIC program in pyomo, solved locally by ``name`` from the
    DSIC solution; returns (z, lambda, status, iterations, advice)."""
    import pyomo.environ as pe

    z0 = dsic.z
    p = 1 / float(alpha)
    m, J, M = _pyomo_base(gb, gs)
    m.z = pe.Var(m.J, m.M, within=pe.NonNegativeReals, initialize=lambda _, j, k: z0[j, k])

    def x(j, k):
        return m.z[j, k] ** p

    P = np.outer(gb.probs, gs.probs) * J * M
    ws = np.where(np.isfinite(gs.virtual), gs.virtual, 0.0)
    m.obj = pe.Objective(
        expr=sum(
            P[j, k] * (gb.values[j] * m.z[j, k] - gs.values[k] * x(j, k)) for j in m.J for k in m.M
        ),
        sense=pe.maximize,
    )
    m.budget = pe.Constraint(
        expr=sum(P[j, k] * (gb.virtual[j] * m.z[j, k] - ws[k] * x(j, k)) for j in m.J for k in m.M)
        >= 0
    )
    _pyomo_interim(m, gb, gs, lambda j, k: m.z[j, k], x)
    for k in m.M:
        if not np.isfinite(gs.virtual[k]):
            for j in m.J:
                m.z[j, k].fix(0.0)
    with silence_native_stdout():
        res = pe.SolverFactory(name).solve(m, load_solutions=False)
    status = from_pyomo(res.solver.termination_condition, nonconvex=True)
    if status in ERROR:
        raise SolverError(status, f"{name} on the bilateral BIC program")
    if status not in (Status.LOCAL_OPTIMUM, Status.ITERATION_LIMIT, Status.TIME_LIMIT):
        raise SolverError(Status.SOLVER_ERROR, f"{name} on the bilateral BIC program: {status}")
    limit = status is not Status.LOCAL_OPTIMUM
    kept = (dsic.z, dsic.lambda_star)
    try:
        m.solutions.load_from(res)
    except (ValueError, RuntimeError):  # a limit reached without a point
        return *kept, status, 1, _limit_advice(name)
    z = np.maximum(np.array([[pe.value(m.z[j, k]) for k in m.M] for j in m.J]), 0.0)
    gft, budget = grid_value(z, gb, gs, alpha, "scaling")
    xz = z**p
    worst = max(
        -budget,
        float(np.max(-np.diff(z @ gs.probs), initial=0.0)),  # buyer interim nondecreasing
        float(np.max(np.diff(gb.probs @ xz), initial=0.0)),  # seller interim nonincreasing
    )
    if worst > _FEAS_TOL * max(1.0, abs(gft)):
        if limit:
            return *kept, status, 1, _limit_advice(name)
        raise SolverError(
            Status.INFEASIBLE, f"{name} returned a point violating BIC by {worst:.2e}"
        )
    slack = 1e-9 * max(1.0, abs(dsic.gains_from_trade))
    if gft < dsic.gains_from_trade - slack:
        advice = (
            f"{name}'s local solution was worse than its DSIC start, which is returned; "
            "try backend = 'cvxpy' (convex-concave steps)"
        )
        return *kept, Status.HEURISTIC, 1, advice
    if gft < dsic.gains_from_trade:  # equal up to solver noise: keep the better point
        return *kept, status, 1, _limit_advice(name) if limit else ""
    # pyomo reports the dual of a >= row of a maximisation as <= 0
    lam = abs(float(m.dual[m.budget]))
    return z, lam, status, 1, _limit_advice(name) if limit else ""


def _limit_advice(name: str) -> str:
    return f"{name} stopped at its iteration or time limit; try backend = 'cvxpy' or fewer cells"


def _pyomo_base(gb: TypeGrid, gs: TypeGrid):
    import pyomo.environ as pe

    m = pe.ConcreteModel()
    J, M = gb.size, gs.size
    m.J, m.M = pe.RangeSet(0, J - 1), pe.RangeSet(0, M - 1)
    m.dual = pe.Suffix(direction=pe.Suffix.IMPORT)
    return m, J, M


def _pyomo_interim(m, gb: TypeGrid, gs: TypeGrid, zfun, xfun) -> None:
    import pyomo.environ as pe

    J, M = gb.size, gs.size
    m.buyer_interim = pe.Constraint(
        pe.RangeSet(0, J - 2),
        rule=lambda _, j: sum(gs.probs[k] * (zfun(j + 1, k) - zfun(j, k)) for k in range(M)) >= 0,
    )
    m.seller_interim = pe.Constraint(
        pe.RangeSet(0, M - 2),
        rule=lambda _, k: sum(gb.probs[j] * (xfun(j, k) - xfun(j, k + 1)) for j in range(J)) >= 0,
    )


def _pyomo_lp_bic(gb: TypeGrid, gs: TypeGrid):
    """The indivisible-good BIC linear program in pyomo, solved by HiGHS (appsi);
    returns (z, lambda, status)."""
    import pyomo.environ as pe

    m, J, M = _pyomo_base(gb, gs)
    P = np.outer(gb.probs, gs.probs) * J * M
    ws = np.where(np.isfinite(gs.virtual), gs.virtual, 0.0)
    m.x = pe.Var(m.J, m.M, bounds=(0, 1))
    m.obj = pe.Objective(
        expr=sum(
            float(P[j, k] * (gb.values[j] - gs.values[k])) * m.x[j, k] for j in m.J for k in m.M
        ),
        sense=pe.maximize,
    )
    m.budget = pe.Constraint(
        expr=sum(float(P[j, k] * (gb.virtual[j] - ws[k])) * m.x[j, k] for j in m.J for k in m.M)
        >= 0
    )
    if J > 1 or M > 1:
        _pyomo_interim(m, gb, gs, lambda j, k: m.x[j, k], lambda j, k: m.x[j, k])
    for k in m.M:
        if not np.isfinite(gs.virtual[k]):
            for j in m.J:
                m.x[j, k].fix(0.0)
    with silence_native_stdout():
        res = pe.SolverFactory("appsi_highs").solve(m, load_solutions=False)
    status = from_pyomo(res.solver.termination_condition)
    if status is not Status.OPTIMAL:
        raise SolverError(
            status if status in ERROR else Status.SOLVER_ERROR,
            f"HiGHS on the bilateral BIC linear program ended with {status.value}",
        )
    m.solutions.load_from(res)
    z = np.array([[pe.value(m.x[j, k]) for k in m.M] for j in m.J])
    # pyomo reports the dual of a >= row of a maximisation as <= 0
    return z, abs(float(m.dual[m.budget])), status
