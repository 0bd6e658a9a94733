"""Welfare-optimal reallocation matrices (seed 000 §5 "OPT", App. D; spec §4, §7).

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
    leans on it (spec §7).  Seeded and reproducible; the budget (objective evaluations)
    is reported.
``"enumerate"``
    Every matrix whose rows lie on the grid of step 1/m of the simplex, solved in batches
    by the fast solver: a certified optimum on that grid (first maximizer in enumeration
    order), also the independent check of any other grid method.
``"mip"``
    The same grid as an exact mixed-integer program (pyomo + HiGHS) that encodes the
    equilibrium conditions (price choice, acceptance, success probabilities) with exact
    strict-inequality margins (:mod:`.mip`); certified when HiGHS proves optimality.
    Objectives ``social_welfare`` and ``transaction_volume``, tie rules first/low/high.

Every result carries the first-best upper bound (:func:`first_best_bound`) and the gap.

>>> from datamech.models.chain import paper_model
>>> res = optimize_reallocation(paper_model(2, 3), method="enumerate", m=2)
>>> res.certified, res.evaluations
(True, 18)
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations

import numpy as np

from ...errors import ModelError, SolverError
from ...models.chain import ChainModel
from ...results import ResultMixin
from .core import arithmetic, check_tie_rule, model_arrays
from .equilibrium import ChainEquilibrium, solve_equilibrium
from .fast import solve_fast_batch
from .metrics import batch_metrics

OPT_METHODS = ("evolution", "enumerate", "mip")
MAX_ENUMERATION = 5_000_000


# ---------------------------------------------------------------- objectives
def parse_objective(objective: str, n: int) -> tuple[str, int | None]:
    """``social_welfare`` | ``transaction_volume`` | ``player_utility:J`` (player J)."""
    if objective in ("social_welfare", "transaction_volume"):
        return objective, None
    if isinstance(objective, str) and objective.startswith("player_utility:"):
        try:
            j = int(objective.split(":", 1)[1])
        except ValueError:
            j = -1
        if 0 <= j <= n:
            return "player_utility", j
        raise ModelError("objective", f"player index must be 0..{n}, got {objective!r}")
    raise ModelError(
        "objective",
        f"unknown objective {objective!r} (social_welfare, transaction_volume, player_utility:J)",
    )


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
        u, p, _, _ = solve_fast_batch(self.model, self.rule, self.ar, self.W, self.Qs, Tb)
        met = batch_metrics(self.model, u, p, self.ar, Tb)
        self.evaluations += Tb.shape[0]
        if self.name == "player_utility":
            return met["player_utility"][:, self.player]
        return met[self.name]


# ---------------------------------------------------------------- first-best bound
def first_best_bound(model: ChainModel, exact: bool = False):
    """Welfare of a planner who sees every value and stops the chain optimally.

    E[v_0 + max_{k=0..n} sum_{i=1}^k v_i]: an upper bound on the equilibrium welfare of
    every budget-feasible mechanism (equilibrium welfare is v_0 plus the values of a
    prefix of trades, minus any leaked payments).  Computed exactly by a forward pass over
    (grid index, D) with D = running max minus running sum, D' = max(D - v, 0), since
    max_k S_k = S_n + D_n.
    """
    ar = arithmetic(exact, None)
    W, Qs, _ = model_arrays(model, ar)
    zero = Fraction(0) if exact else 0.0
    start = model.start_law(exact=exact)
    total = sum((start[k] * W[k] for k in range(model.L)), zero)
    # states: dict grid index -> dict D -> probability
    states = {k: {zero: start[k]} for k in range(model.L) if start[k] != 0}
    for i in range(model.n):
        Q = Qs[i]
        nxt: dict = {}
        for k, dist in states.items():
            for l in np.flatnonzero(Q[k] != 0):
                q = Q[k, l]
                target = nxt.setdefault(int(l), {})
                for d, pr in dist.items():
                    nd = d - W[l]
                    nd = nd if nd > 0 else zero
                    if not exact:
                        nd = round(nd, 12)
                    target[nd] = target.get(nd, zero) + pr * q
                total += sum(dist.values(), zero) * q * W[l]
        states = nxt
    for dist in states.values():
        for d, pr in dist.items():
            total += pr * d
    return total


# ---------------------------------------------------------------- grids of matrices
def simplex_grid(parts: int, m: int) -> np.ndarray:
    """All vectors of ``parts`` nonnegative multiples of 1/m summing to 1, as integers (x m).

    Compositions of m into ``parts`` parts, in lexicographic order (stars and bars).
    """
    if m < 1:
        raise ModelError("m", f"the grid step is 1/m with m >= 1, got m = {m}")
    rows = []
    for bars in combinations(range(m + parts - 1), parts - 1):
        prev, row = -1, []
        for b in bars:
            row.append(b - prev - 1)
            prev = b
        row.append(m + parts - 1 - prev - 1)
        rows.append(row)
    return np.array(rows, dtype=np.int64)


def grid_size(n: int, m: int) -> int:
    """Number of budget-balanced past-only matrices with entries in {0, 1/m, ..., 1}."""
    return math.prod(math.comb(m + i - 1, i - 1) for i in range(1, n + 1))


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


def check_fixed(fixed, n: int) -> dict:
    """Validate fixed entries {(trade i, player j): share} of the reallocation matrix."""
    if fixed is None:
        return {}
    if not isinstance(fixed, dict):
        raise ModelError("fixed", "must map (trade i, player j) to a share")
    out = {}
    for key, v in fixed.items():
        if not (isinstance(key, tuple) and len(key) == 2 and all(isinstance(x, int) for x in key)):
            raise ModelError("fixed", f"keys are (trade i, player j) pairs, got {key!r}")
        i, j = key
        if not 1 <= i <= n:
            raise ModelError("fixed", f"trade {i} is outside 1..{n}")
        if not 0 <= j < i:
            raise ModelError(
                "fixed", f"t[{i},{j}]: trade {i} may only pay players 0..{i - 1} (Def 2.6)"
            )
        try:
            val = Fraction(v) if not isinstance(v, float) else Fraction(repr(v))
        except (TypeError, ValueError):
            raise ModelError("fixed", f"t[{i},{j}] = {v!r} is not a number") from None
        if not 0 <= val <= 1:
            raise ModelError("fixed", f"t[{i},{j}] = {v} is outside [0, 1]")
        out[(i, j)] = val
    for i in range(1, n + 1):
        row = [out[(i, j)] for j in range(i) if (i, j) in out]
        total = sum(row, Fraction(0))
        if total > 1 or (len(row) == i and total != 1):
            raise ModelError(
                "fixed",
                f"the fixed entries of trade {i} sum to {total}, which breaks budget balance"
                " (each row must sum to 1)",
            )
    return out


def _grid_rows(n: int, m: int, fixed: dict) -> list[np.ndarray]:
    """Each row's grid choices (integers x m) that agree with the fixed entries."""
    rows = []
    for i in range(1, n + 1):
        choices = simplex_grid(i, m)
        for (ii, j), v in fixed.items():
            if ii == i:
                if (v * m).denominator != 1:
                    raise ModelError("fixed", f"t[{i},{j}] = {v} is not on the grid of step 1/{m}")
                choices = choices[choices[:, j] == int(v * m)]
        rows.append(choices / m)
    return rows


# ---------------------------------------------------------------- results
@dataclass(frozen=True)
class ChainOptResult(ResultMixin):
    """A reallocation matrix found by an OPT method, with its evidence.

    ``objective_value`` is the optimized objective at ``matrix``; ``first_best`` the
    planner's bound on welfare and ``gap_to_first_best`` = first_best - social_welfare.
    ``certified`` is true when the matrix is the proven optimum of the stated search
    space (``grid_step`` 1/m for enumeration); ``evaluations`` counts equilibria solved.
    """

    status: str
    method: str
    objective: str
    objective_value: float
    social_welfare: float
    transaction_volume: float
    matrix: np.ndarray
    first_best: float
    gap_to_first_best: float
    certified: bool
    grid_step: str | None
    evaluations: int
    budget: int | None
    seed: int | None
    restarts: int | None
    tie_break: str
    tol: float
    seconds: float
    equilibrium: ChainEquilibrium

    def format(self) -> str:
        lines = [
            f"OPT by {self.method} ({'certified on the grid ' + self.grid_step if self.certified else 'heuristic'}),"
            f" objective {self.objective} = {self.objective_value:.6g}",
            f"social welfare {self.social_welfare:.6g}, transaction volume {self.transaction_volume:.6g}",
            f"first-best bound {self.first_best:.6g} (gap {self.gap_to_first_best:.6g})",
            f"{self.evaluations} equilibria solved in {self.seconds:.2f} s, tie rule {self.tie_break!r}",
            "matrix (rows: trades 1..n, columns: players 0..n):",
        ]
        for row in np.asarray(self.matrix, dtype=float):
            lines.append("  " + " ".join(f"{x:6.3f}" for x in row))
        return "\n".join(lines)


def _finish(model, method, objective, Tbest, f, t0, tie_break, tol, **extra):
    eq = solve_equilibrium(
        model.with_mechanism("matrix", matrix=Tbest), tie_break=tie_break, tol=tol
    )
    name, player = parse_objective(objective, model.n)
    value = eq.player_utility[player] if name == "player_utility" else getattr(eq, name)
    fb = float(first_best_bound(model))
    sw = float(eq.social_welfare)
    status = extra.pop("status", None) or ("optimal" if extra.get("certified") else "heuristic")
    return ChainOptResult(
        status=status,
        method=method,
        objective=objective,
        objective_value=float(value),
        social_welfare=sw,
        transaction_volume=float(eq.transaction_volume),
        matrix=Tbest,
        first_best=fb,
        gap_to_first_best=fb - sw,
        evaluations=f.evaluations if f is not None else extra.pop("evaluations"),
        tie_break=tie_break,
        tol=eq.tol,
        seconds=time.perf_counter() - t0,
        equilibrium=eq,
        **{k: v for k, v in extra.items() if k != "evaluations"},
    )


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
    fixed: dict | None = None,
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
    fixed : dict, optional
        Entries held fixed, ``{(trade i, player j): share}``; entries that break budget
        balance or past-only, or (enumeration) lie off the grid, raise ``ModelError``.
    m : int
        Enumeration and MIP grid: rows on the simplex with step 1/m.
    seed, maxiter, popsize, restarts, snap, bound :
        Differential evolution: seed of the first run (run r uses seed + r), generations,
        population multiplier, number of runs, zero-share snap, logit box [-bound, bound].
    workers : int
        Processes for enumeration.
    max_matrices : int
        Enumeration refuses grids larger than this (with the size in the message).
    time_limit : float, optional
        Seconds; when reached the best matrix so far is returned with status
        ``"time_limit"`` (never reported as certified).
    mip_gap, max_binaries :
        MIP only: HiGHS's relative gap (0 proves optimality) and the size guard on the
        estimated binaries (default :data:`~datamech.solvers.chain.mip.MAX_BINARIES`).
        The MIP is always exact (``tol`` is not used).
    """
    if not isinstance(model, ChainModel):
        raise ModelError("model", f"expected a ChainModel, got {type(model).__name__}")
    if method not in OPT_METHODS:
        raise ModelError(
            "method", f"unknown OPT method {method!r} (known: {', '.join(OPT_METHODS)})"
        )
    if time_limit is not None and not (isinstance(time_limit, (int, float)) and time_limit > 0):
        raise ModelError("time_limit", f"must be a positive number of seconds, got {time_limit!r}")
    if method == "mip":
        from .mip import MAX_BINARIES, optimize_mip

        return optimize_mip(
            model, objective, tie_break=tie_break, fixed=fixed, m=m, time_limit=time_limit,
            mip_gap=mip_gap, max_binaries=MAX_BINARIES if max_binaries is None else max_binaries,
        )  # fmt: skip
    f = BatchObjective(model, objective, tie_break, tol)
    fixed = check_fixed(fixed, model.n)
    n = model.n
    t0 = time.perf_counter()
    deadline = None if time_limit is None else time.time() + time_limit
    if method == "enumerate":
        if isinstance(m, bool) or not isinstance(m, int) or m < 1:
            raise ModelError("m", f"the grid step is 1/m with an integer m >= 1, got {m!r}")
        rows = _grid_rows(n, m, fixed)
        size = math.prod(len(r) for r in rows)
        if size == 0:
            raise ModelError("fixed", "no grid matrix agrees with the fixed entries")
        if size > max_matrices:
            raise ModelError(
                "m",
                f"the grid of step 1/{m} at n = {n} has {size:,} matrices, more than "
                f"max_matrices = {max_matrices:,}; use a smaller m or method='evolution'",
            )
        cuts = np.linspace(0, size, max(1, workers) + 1).astype(int)
        jobs = [
            (model, objective, tie_break, tol, rows, int(a), int(b), batch, deadline)
            for a, b in zip(cuts[:-1], cuts[1:], strict=True)
            if b > a
        ]
        if workers > 1:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                parts = list(pool.map(_enumerate_range, jobs))
        else:
            parts = [_enumerate_range(job) for job in jobs]
        evaluated = sum(done for _, _, done in parts)
        best_val = max(v for v, _, _ in parts)
        if not np.isfinite(best_val):
            raise SolverError("time_limit", "no matrix was evaluated before the time limit")
        best_idx = min(i for v, i, _ in parts if v == best_val)
        complete = evaluated == size
        Tbest = _exact_grid_matrix(_grid_batch(n, rows, best_idx, best_idx + 1)[0], m)
        return _finish(
            model, "enumerate", objective, Tbest, None, t0, tie_break, tol,
            evaluations=evaluated, certified=complete, grid_step=f"1/{m}", budget=size,
            seed=None, restarts=None, status=None if complete else "time_limit",
        )  # fmt: skip

    from scipy.optimize import differential_evolution

    dim = sum(1 for i in range(1, n + 1) for j in range(i) if (i, j) not in fixed)
    start = np.zeros((1, dim))  # the paper starts from AVE (x = 0, equal shares)
    best_x, best_val = start[0], float(f(softmax_rows(start, n, snap, fixed))[0])
    stopped = False

    def out_of_time(*_args, **_kw) -> bool:
        nonlocal stopped
        stopped = stopped or (deadline is not None and time.time() > deadline)
        return stopped

    for r in range(restarts):
        if dim == 0 or out_of_time():
            break
        res = differential_evolution(
            lambda X: -f(softmax_rows(np.atleast_2d(X.T), n, snap, fixed)),
            bounds=[(-bound, bound)] * dim,
            maxiter=maxiter,
            popsize=popsize,
            seed=seed + r,
            x0=start[0] if r == 0 else None,
            polish=False,
            vectorized=True,
            updating="deferred",
            tol=0,
            callback=out_of_time,
        )
        if not np.isfinite(res.fun):
            raise SolverError("failed", f"differential evolution returned {res.fun}")
        if -res.fun > best_val:
            best_x, best_val = res.x, -res.fun
    Tbest = softmax_rows(best_x[None], n, snap, fixed)[0]
    return _finish(
        model, "evolution", objective, Tbest, f, t0, tie_break, tol,
        certified=False, grid_step=None, budget=f.evaluations, seed=seed, restarts=restarts,
        status="time_limit" if stopped else None,
    )  # fmt: skip


def _exact_grid_matrix(T: np.ndarray, m: int) -> np.ndarray:
    """A grid matrix with exact Fraction entries k/m."""
    out = np.empty(T.shape, dtype=object)
    for idx, v in np.ndenumerate(T):
        out[idx] = Fraction(round(v * m), m)
    return out


# ---------------------------------------------------------------- tie robustness
@dataclass(frozen=True)
class TieRobustness(ResultMixin):
    """Equilibrium welfare of one mechanism under optimistic and adversarial seller ties.

    ``optimistic`` uses ``tie_break="welfare_max"``, ``pessimistic`` ``"welfare_min"``
    (each seller, among her optimal prices, picks the one with the highest / lowest
    continuation welfare, backward); ``gap`` = optimistic - pessimistic.
    """

    optimistic: float
    pessimistic: float
    gap: float
    optimistic_transaction_volume: float
    pessimistic_transaction_volume: float
    ties: int
    tol: float


def tie_robustness(model: ChainModel, tol: float | None = None) -> TieRobustness:
    """Welfare of ``model``'s mechanism under the optimistic and the adversarial tie rule.

    In float mode ties are gains within ``tol`` (default 1e-9, relative), so exact ties
    that rounding splits are still ties.  Rational models can be checked exactly by
    ``solve_equilibrium(..., exact=True, tie_break="welfare_min")``.
    """
    hi = solve_equilibrium(model, tie_break="welfare_max", tol=tol)
    lo = solve_equilibrium(model, tie_break="welfare_min", tol=tol)
    return TieRobustness(
        optimistic=float(hi.social_welfare),
        pessimistic=float(lo.social_welfare),
        gap=float(hi.social_welfare) - float(lo.social_welfare),
        optimistic_transaction_volume=float(hi.transaction_volume),
        pessimistic_transaction_volume=float(lo.transaction_volume),
        ties=hi.ties,
        tol=hi.tol,
    )
