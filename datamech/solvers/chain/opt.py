"""Welfare-optimal reallocation matrices (Section 5 "OPT", Appendix D).

OPT maximizes an exact equilibrium objective (social welfare by default; transaction
volume or a player's utility on request) over budget-balanced (each row on the simplex
over players 0..i-1, Def 2.5 with equality) and past-only (Def 2.6) matrices t.

Methods
-------
``"evolution"``
    The paper's parametrization, each row t_i = softmax(x_i), searched by scipy's
    ``differential_evolution`` started from AVE (x = 0), but on the exact objective
    (no sampling) and with restarts.  Shares below ``snap`` are set to exactly 0 (and the
    row renormalized) so that "this seller keeps nothing" is reachable: the optimum
    leans on it.  Seeded and reproducible; the budget (objective evaluations)
    is reported.  Status ``heuristic``.
``"enumerate"``
    Every matrix whose rows lie on the grid of step 1/m of the simplex, solved in batches
    by the fast solver: a certified optimum on that grid (first maximizer in enumeration
    order), also the independent check of any other grid method.  A progress bar on
    stderr follows large grids.
``"mip"``
    The same grid as an exact mixed-integer program (pyomo + HiGHS) that encodes the
    equilibrium conditions (price choice, acceptance, success probabilities) with exact
    strict-inequality margins (:mod:`.mip`); certified when HiGHS proves optimality.
    Objectives ``social_welfare`` and ``transaction_volume``, tie rules first/low/high.

Every result (:class:`~.reallocation.ChainOptResult`) carries the first-best upper bound
(:func:`first_best_bound`) and the gap.  Tie robustness (:func:`tie_robustness`) lives in
:mod:`.ties` and is re-exported here.

>>> from datamech.models.chain import paper_model
>>> res = optimize_reallocation(paper_model(2, 3), method="enumerate", m=2)
>>> res.certified, res.evaluations, res.status
(True, 18, <Status.OPTIMAL: 'optimal'>)
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from fractions import Fraction
from typing import Any

import numpy as np

from ...errors import ModelError, SolverError
from ...models.chain import ChainModel
from ...models.chain_options import OPT_METHODS, OPTIONS
from ...numeric import read_int, read_number
from ...progress import progress
from ...status import Status
from .core import arithmetic, check_tie_rule, model_arrays
from .estimate import check_equilibrium
from .fast import solve_fast_batch
from .metrics import batch_metrics
from .mip import MAX_BINARIES, MIN_DELTA, optimize_mip
from .reallocation import (
    ChainOptResult,
    check_fixed,
    exact_grid_matrix,
    first_best_bound,
    grid_counts,
    grid_rows,
    grid_size,
    opt_result,
    parse_objective,
    simplex_grid,
)
from .ties import TieRobustness, tie_robustness

__all__ = [
    "MAX_ENUMERATION",
    "OPT_METHODS",
    "BatchObjective",
    "ChainOptResult",
    "TieRobustness",
    "first_best_bound",
    "grid_size",
    "optimize_reallocation",
    "simplex_grid",
    "softmax_rows",
    "tie_robustness",
]

MAX_ENUMERATION = 5_000_000


class BatchObjective:
    """Exact equilibrium objective of many reallocation matrices at once (float mode)."""

    def __init__(self, model: ChainModel, objective: str, tie_break: str, tol: float | None):
        self.model = model
        self.name, self.player = parse_objective(objective, model.n)
        self.rule = check_tie_rule(tie_break)
        self.ar = arithmetic(False, tol)
        self.W, self.Qs, _ = model_arrays(model, self.ar)
        self.evaluations = 0

    def __call__(self, Tb: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):
            u, p, _, _ = solve_fast_batch(self.model, self.rule, self.ar, self.W, self.Qs, Tb)
            met = batch_metrics(self.model, u, p, self.ar, Tb)
        self.evaluations += Tb.shape[0]
        if self.name == "player_utility":
            return met["player_utility"][:, self.player]
        return met[self.name]


# ---------------------------------------------------------------- enumeration
def _grid_batch(n: int, rows: list[np.ndarray], start: int, stop: int) -> np.ndarray:
    """Matrices number start..stop-1 of the grid (mixed radix over the rows' choices)."""
    idx = np.arange(start, stop, dtype=np.int64)
    Tb = np.zeros((idx.size, n, n + 1))
    for i in range(n, 0, -1):  # the last row varies fastest
        choices = rows[i - 1]
        idx, digit = np.divmod(idx, len(choices))
        Tb[:, i - 1, :i] = choices[digit]
    return Tb


def _enumerate_range(args):
    """(best value, its index, matrices evaluated) over matrices start..stop-1."""
    model, objective, tie_break, tol, rows, start, stop, batch, deadline = args
    f = BatchObjective(model, objective, tie_break, tol)
    best_val, best_idx, done = -np.inf, -1, start
    for a in range(start, stop, batch):
        if deadline is not None and time.time() > deadline:
            break
        b = min(stop, a + batch)
        vals = f(_grid_batch(model.n, rows, a, b))
        j = int(np.argmax(vals))
        if vals[j] > best_val:
            best_val, best_idx = float(vals[j]), a + j
        done = b
    return best_val, best_idx, done - start


def _enumerate(model, objective, tie_break, tol, rows, size, batch, workers, deadline):
    """Run the grid in chunks (in this process or on ``workers`` processes), with a bar."""
    chunk = max(batch, math.ceil(size / (16 * workers)))
    jobs = [
        (model, objective, tie_break, tol, rows, a, min(size, a + chunk), batch, deadline)
        for a in range(0, size, chunk)
    ]
    parts = []
    with progress(total=size, desc="enumerate", unit="matrix", min_total=20 * batch) as bar:
        if workers == 1 or len(jobs) == 1:
            for job in jobs:
                parts.append(_enumerate_range(job))
                bar.update(parts[-1][2])
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                for fut in as_completed([pool.submit(_enumerate_range, job) for job in jobs]):
                    parts.append(fut.result())
                    bar.update(parts[-1][2])
    return parts


def _count(size: int) -> str:
    """A count for a message: 183,750, or about 10^1234 (too long to print)."""
    return f"{size:,}" if size < 10**15 else f"about 10^{int(size.bit_length() * 0.30103)}"


# ---------------------------------------------------------------- the search
def softmax_rows(X: np.ndarray, n: int, snap: float, fixed: dict | None = None) -> np.ndarray:
    """Matrices (B, n, n+1) from stacked logits X (B, d): each row's free entries share
    what the fixed entries leave, t_free = (1 - sum fixed) softmax(x_free).

    Shares below ``snap`` (relative to the row's free total) become exactly 0 and the free
    part is renormalized.  Without fixed entries d = n(n+1)/2.
    """
    fixed = fixed or {}
    B = X.shape[0]
    Tb = np.zeros((B, n, n + 1))
    pos = 0
    for i in range(1, n + 1):
        free = [j for j in range(i) if (i, j) not in fixed]
        rest = 1.0 - float(sum((v for (ii, _), v in fixed.items() if ii == i), Fraction(0)))
        for (ii, j), v in fixed.items():
            if ii == i:
                Tb[:, i - 1, j] = float(v)
        if not free:
            continue
        x = X[:, pos : pos + len(free)]
        pos += len(free)
        e = np.exp(x - x.max(axis=1, keepdims=True))
        t = e / e.sum(axis=1, keepdims=True)
        t = np.where(t < snap, 0.0, t)
        Tb[:, i - 1, free] = rest * t / t.sum(axis=1, keepdims=True)
    return Tb


def optimize_reallocation(
    model: ChainModel,
    method: str = "evolution",
    objective: str = "social_welfare",
    *,
    tie_break: str = "first",
    tol: float | None = None,
    exact: bool = False,
    fixed: Any = None,
    m: int = 4,
    seed: int = 0,
    maxiter: int = 50,
    popsize: int = 5,
    restarts: int = 3,
    snap: float = 1e-6,
    bound: float = 10.0,
    workers: int = 1,
    batch: int = 2000,
    max_matrices: int = MAX_ENUMERATION,
    time_limit: float | None = None,
    mip_gap: float = 0.0,
    max_binaries: int | None = None,
    min_delta: float = MIN_DELTA,
    start: Any = None,
) -> ChainOptResult:
    """Search budget-balanced, past-only reallocation matrices for the best equilibrium.

    Parameters
    ----------
    model : ChainModel
        The chain; its own mechanism is ignored.
    method : {"evolution", "enumerate", "mip"}
    objective : str
        ``social_welfare`` (default), ``transaction_volume`` or ``player_utility:J``.
    tie_break, tol :
        The equilibrium's tie rule (``welfare_min`` gives the adversarial, robust OPT).
    exact : bool
        Evaluate the chosen matrix's equilibrium in rational arithmetic (the result's
        ``objective_exact``); the search itself compares floats with ``tol``.  The MIP
        is always exact.
    fixed : dict or list, optional
        Entries held fixed, ``{(trade i, player j): share}`` or ``[[i, j, share], ...]``;
        entries that break budget balance or past-only, or (grid methods) lie off the
        grid, raise ``ModelError``.
    m : int
        Enumeration and MIP grid: rows on the simplex with step 1/m.
    seed, maxiter, popsize, restarts, snap, bound :
        Differential evolution: seed of the first run (run r uses seed + r), generations,
        population multiplier, number of runs, zero-share snap, logit box [-bound, bound].
    workers, batch :
        Processes for enumeration and matrices solved at once.
    max_matrices : int
        Enumeration refuses grids larger than this (with the size in the message).
    time_limit : float, optional
        Seconds; when reached the best matrix so far is returned with status
        ``"time_limit"`` (never reported as certified).
    mip_gap, max_binaries, min_delta, start :
        MIP only (:func:`~datamech.solvers.chain.mip.optimize_mip`).

    Returns
    -------
    ChainOptResult
        Status ``optimal`` (finished grid search, ``certified``), ``heuristic``
        (evolution) or ``time_limit``.

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.
    """
    if not isinstance(model, ChainModel):
        raise ModelError("model", f"expected a ChainModel, got {type(model).__name__}")
    OPTIONS.validate({"method": method})
    if method not in OPT_METHODS:
        raise ModelError(
            "solver.method", f"unknown OPT method {method!r} (known: {', '.join(OPT_METHODS)})"
        )
    if time_limit is not None:
        time_limit = float(read_number(time_limit, "solver.time_limit", low=0, low_open=True))
    if method == "mip":
        return optimize_mip(
            model, objective, tie_break=tie_break, fixed=fixed, m=m, time_limit=time_limit,
            mip_gap=mip_gap, max_binaries=MAX_BINARIES if max_binaries is None else max_binaries,
            min_delta=min_delta, start=start,
        )  # fmt: skip
    f = BatchObjective(model, objective, tie_break, tol)
    arithmetic(exact, tol)  # checks exact
    fixed = check_fixed(fixed, model.n)
    n = model.n
    t0 = time.perf_counter()
    deadline = None if time_limit is None else time.time() + time_limit
    if method == "enumerate":
        m = read_int(m, "solver.m", low=1)
        workers = read_int(workers, "solver.workers", low=1)
        batch = read_int(batch, "solver.batch", low=1)
        size = math.prod(grid_counts(n, m, fixed))
        if size == 0:
            raise ModelError("solver.fixed", "no grid matrix agrees with the fixed entries")
        if size > max_matrices:
            raise ModelError(
                "solver.m",
                f"the grid of step 1/{m} at n = {n} has {_count(size)} matrices, more than "
                f"max_matrices = {max_matrices:,}; use a smaller m or method='evolution'",
            )
        check_equilibrium(model, "fast", False, batch=min(batch, size), field="solver.batch")
        rows = grid_rows(n, m, fixed)
        parts = _enumerate(model, objective, tie_break, tol, rows, size, batch, workers, deadline)
        evaluated = sum(done for _, _, done in parts)
        best_val = max(v for v, _, _ in parts)
        if not np.isfinite(best_val):
            if evaluated:
                raise SolverError(Status.SOLVER_ERROR, "float arithmetic overflowed (use exact)")
            raise SolverError(Status.TIME_LIMIT, "no matrix was evaluated before the time limit")
        best_idx = min(i for v, i, _ in parts if v == best_val)
        complete = evaluated == size
        Tbest = exact_grid_matrix(_grid_batch(n, rows, best_idx, best_idx + 1)[0], m)
        return opt_result(
            model, "enumerate", objective, Tbest, t0, tie_break=tie_break, tol=tol, exact=exact,
            evaluations=evaluated, certified=complete, grid_step=f"1/{m}", budget=size,
            seed=None, restarts=None, status=None if complete else Status.TIME_LIMIT,
        )  # fmt: skip

    from scipy.optimize import differential_evolution

    seed = read_int(seed, "solver.seed", low=0)
    restarts = read_int(restarts, "solver.restarts", low=1)
    maxiter = read_int(maxiter, "solver.max_iterations", low=1)
    popsize = read_int(popsize, "solver.popsize", low=1)
    snap = float(read_number(snap, "solver.snap", low=0, high=0.5))
    bound = float(read_number(bound, "solver.bound", low=0, low_open=True, high=700))
    dim = sum(1 for i in range(1, n + 1) for j in range(i) if (i, j) not in fixed)
    # scipy evaluates the whole population (popsize x dim matrices) in one batch
    check_equilibrium(model, "fast", False, batch=max(1, popsize * dim), field="solver.popsize")
    start_x = np.zeros((1, dim))  # the paper starts from AVE (x = 0, equal shares)
    best_x, best_val = start_x[0], float(f(softmax_rows(start_x, n, snap, fixed))[0])
    stopped = False

    def out_of_time(*_args, **_kw) -> bool:
        nonlocal stopped
        stopped = stopped or (deadline is not None and time.time() > deadline)
        return stopped

    for r in progress(range(restarts), desc="evolution", unit="run", min_total=2):
        if dim == 0 or out_of_time():
            break
        res = differential_evolution(
            lambda X: -f(softmax_rows(np.atleast_2d(X.T), n, snap, fixed)),
            bounds=[(-bound, bound)] * dim,
            maxiter=maxiter,
            popsize=popsize,
            seed=seed + r,
            x0=start_x[0] if r == 0 else None,
            polish=False,
            vectorized=True,
            updating="deferred",
            tol=0,
            callback=out_of_time,
        )
        if not np.isfinite(res.fun):
            raise SolverError(
                Status.SOLVER_ERROR,
                f"differential evolution returned {res.fun} (float overflow: use exact values "
                "of smaller magnitude)",
            )
        if -res.fun > best_val:
            best_x, best_val = res.x, -res.fun
    if not np.isfinite(best_val):
        raise SolverError(Status.SOLVER_ERROR, "the objective overflowed in float arithmetic")
    Tbest = softmax_rows(best_x[None], n, snap, fixed)[0]
    return opt_result(
        model, "evolution", objective, Tbest, t0, tie_break=tie_break, tol=tol, exact=exact,
        evaluations=f.evaluations, certified=False, grid_step=None, budget=f.evaluations,
        seed=seed, restarts=restarts, status=Status.TIME_LIMIT if stopped else None,
    )  # fmt: skip
