"""Deterministic mechanisms by MIP (pyomo + HiGHS branch and bound), with the gap.

The program is the LP of :mod:`.lp` with every ex-post outcome variable binary: a single
item goes to one bidder or to nobody, each item of several to one buyer or to nobody,
trade happens or not, a table's outcome is one outcome.  Payments stay continuous.
pyomo states it row by row, so the size is limited (``MAX_BINARIES``); the randomized
LP of the same program is solved too, so the result reports what randomization gains
(``lp_relaxation`` in the certificate: the LP optimum over randomized mechanisms).
With ``exact = true`` the 0/1 outcomes found are fixed and the payments re-solved
exactly on HiGHS's basis (:func:`_fixed_outcomes`): an exact rational deterministic
mechanism whose optimality rests on the branch-and-bound bound, reported as ``gap``.
"""

from __future__ import annotations

import time
import warnings
from fractions import Fraction

import numpy as np

from ...backends import silence_native_stdout
from ...errors import ModelError, SolverError
from ...models.mechanism import MechanismModel
from ...sizes import check_count
from ...status import Status
from .certify import Bound
from .highs import HighsLP, Solution
from .lp import Layout, Plan, build, check_size, count_pairs, estimate
from .report import extract, finish
from .runner import run, size_field

__all__ = ["MAX_BINARIES", "MAX_ROWS", "solve_mip"]

#: Binary variables a deterministic mechanism may have (pyomo states rows one by one).
MAX_BINARIES = 20_000
#: Rows of the MIP (all IC pairs are stated: branch and bound has no lazy rows here).
MAX_ROWS = 50_000


def solve_mip(model: MechanismModel, opts: dict):
    """Optimal deterministic mechanism (branch and bound), certified and compared with the
    randomized optimum."""
    import pyomo.environ as pyo
    from pyomo.contrib import appsi
    from pyomo.core.expr.numeric_expr import LinearExpression

    t0 = time.perf_counter()
    inst = model.instance()
    plan = Plan.choose(model)
    field = size_field(model)
    dry = Layout.build(inst, plan, dry=True)
    binaries = dry.P * dry.D
    check_count(
        field,
        binaries,
        MAX_BINARIES,
        f"a MIP with {binaries:,} binary outcome variables",
        hint="use method lp (randomized mechanisms) or fewer types",
    )
    ic_pairs = [count_pairs(dry, i) for i in range(inst.n)]
    rows, _ = estimate(dry, ic_pairs)
    check_count(
        field,
        rows,
        MAX_ROWS,
        f"a MIP with {rows:,} rows",
        hint="use method lp (randomized mechanisms, IC rows generated lazily) or fewer types",
    )
    check_size(dry, ic_pairs, field)
    lay = Layout.build(inst, plan)
    lp = build(lay, model)
    relaxed = run(HighsLP(lp, opts.get("time_limit")), model, "the mechanism LP")

    A = lp.A.tocsr()
    m = pyo.ConcreteModel()
    ncol = A.shape[1]
    integer = np.zeros(ncol, dtype=bool)
    integer[lay.y_off : lay.y_off + binaries] = True

    def bounds(_m, j):
        lo, up = lp.col_lower[j], lp.col_upper[j]
        return (
            None if not np.isfinite(lo) else float(lo),
            None if not np.isfinite(up) else float(up),
        )

    m.x = pyo.Var(range(ncol), bounds=bounds)
    for j in np.flatnonzero(integer):
        m.x[int(j)].domain = pyo.Binary

    def row(_m, r):
        lo, hi = A.indptr[r], A.indptr[r + 1]
        expr = LinearExpression(
            constant=0.0,
            linear_coefs=[float(v) for v in A.data[lo:hi]],
            linear_vars=[m.x[int(j)] for j in A.indices[lo:hi]],
        )
        rl, ru = lp.row_lower[r], lp.row_upper[r]
        return (
            None if not np.isfinite(rl) else float(rl),
            expr,
            None if not np.isfinite(ru) else float(ru),
        )

    m.rows = pyo.Constraint(range(A.shape[0]), rule=row)
    nz = np.flatnonzero(lp.c)
    m.obj = pyo.Objective(
        expr=LinearExpression(
            constant=float(lp.offset),
            linear_coefs=[float(lp.c[j]) for j in nz],
            linear_vars=[m.x[int(j)] for j in nz],
        ),
        sense=pyo.maximize,
    )
    opt = appsi.solvers.Highs()
    opt.config.load_solution = False
    opt.config.mip_gap = float(opts.get("mip_gap") or 1e-6)
    if opts.get("time_limit") is not None:
        opt.config.time_limit = float(opts["time_limit"])
    with silence_native_stdout():
        res = opt.solve(m)
    tc = appsi.base.TerminationCondition
    term = res.termination_condition
    status = {
        tc.optimal: Status.OPTIMAL,
        tc.maxTimeLimit: Status.TIME_LIMIT,
        tc.maxIterations: Status.ITERATION_LIMIT,
        tc.infeasible: Status.INFEASIBLE,
        tc.unbounded: Status.UNBOUNDED,
        tc.infeasibleOrUnbounded: Status.INFEASIBLE,
    }.get(term, Status.SOLVER_ERROR)
    if res.best_feasible_objective is None:
        if status is Status.TIME_LIMIT:
            raise SolverError(
                Status.TIME_LIMIT,
                "the MIP found no deterministic mechanism in "
                "the time limit; raise [solver] time_limit",
            )
        raise SolverError(
            status if status is not Status.OPTIMAL else Status.SOLVER_ERROR,
            f"the deterministic-mechanism MIP is {status.value}",
        )
    res.solution_loader.load_vars()
    x = np.array([pyo.value(m.x[j]) if m.x[j].value is not None else 0.0 for j in range(ncol)])
    x[integer] = np.round(x[integer])  # binaries exactly 0/1 (HiGHS's tolerance aside)
    incumbent = float(res.best_feasible_objective)
    bound = float(res.best_objective_bound)
    mip_gap = (bound - incumbent) / max(abs(incumbent), 1e-12)
    advice = None
    if status is not Status.OPTIMAL:
        advice = (
            f"branch and bound stopped ({term.name}) with a relative gap of "
            f"{mip_gap:.3g}; raise [solver] time_limit"
        )
        warnings.warn(advice, RuntimeWarning, stacklevel=2)
    sol = Solution(
        status=status,
        x=x,
        row_dual=np.zeros(A.shape[0]),
        col_dual=np.zeros(ncol),
        objective=incumbent,
        col_status=np.zeros(0, np.int8),
        row_status=np.zeros(0, np.int8),
        iterations=0,
    )
    highs = exact_lp = None
    if opts.get("exact"):
        highs, sol, exact_lp = _fixed_outcomes(model, lay, lp, integer, x, opts, status)
    result = finish(
        model,
        extract(lay, sol.x),
        sol,
        highs=highs,
        opts=opts,
        method="mip",
        t0=t0,
        layout=lay,
        backend="pyomo",
        solver="HiGHS",
        deterministic=True,
        mip_gap=max(mip_gap, 0.0),
        bound=Bound(
            _as_fraction(bound),
            "branch-and-bound bound (HiGHS MIP)",
            f"randomized optimum (LP) {relaxed.objective:.12g}",
        ),
        status=status,
        advice=advice,
        exact_lp=exact_lp,
    )
    result.certificate.detail["lp_relaxation"] = float(relaxed.objective)
    result.certificate.detail["randomization_gain"] = float(relaxed.objective) - incumbent
    if not np.all((x[integer] == 0) | (x[integer] == 1)):
        raise ModelError("solver.method", "the MIP returned a fractional outcome")
    return result


def _fixed_outcomes(model, lay, lp, integer, x, opts, status):
    """``exact = true``: the LP with the MIP's 0/1 outcomes fixed (payments free), solved
    by HiGHS and handed to the exact basis re-solve, so the deterministic mechanism's
    payments and objective are exact rationals.  Its optimality among deterministic
    mechanisms rests on the branch-and-bound bound (floats), reported as ``gap``."""
    fixed = np.flatnonzero(integer)
    lp.col_lower = lp.col_lower.copy()
    lp.col_upper = lp.col_upper.copy()
    lp.col_lower[fixed] = lp.col_upper[fixed] = x[fixed]
    highs = HighsLP(lp, opts.get("time_limit"))
    sol = run(highs, model, "the mechanism LP with the MIP's outcomes fixed")
    sol.status = status

    def exact_lp():
        ex = Layout.build(model.instance(), lay.plan, exact=True)
        E = build(ex, model)
        for j in fixed:
            E.col_lower[j] = E.col_upper[j] = Fraction(int(x[j]))
        return ex, E

    return highs, sol, exact_lp


def _as_fraction(v: float):
    from fractions import Fraction

    return Fraction(v)
