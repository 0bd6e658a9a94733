"""Algorithm 4: an FPTAS for the chain with continuous valuations (Section 3.3, App. C.4).

Steps (Appendix C.4):

1. Step and grid.  eps0 = min(eps, 1) / (4 (1 + n K0) (1 + max(0, -L0))) if H0 > 0,
   else eps / 2; L = floor((H0 - L0) / eps0) + 1; w_l = L0 + l eps0 for l = 0..L-1.
   These are computed in exact rational arithmetic from the numbers as typed (0.01 is
   1/100), so L is not off by one from a floating-point quotient, and each w_l is the
   float nearest to the exact grid point.
2. Discretize.  q(i, k, l) = F_i(w_{l+1} | w_k) - F_i(w_l | w_k), the probability of the
   cell [w_l, w_{l+1}) given v_{i-1} = w_k, with F(w_0 | .) = 0 and F(w_L | .) = 1 (the
   last cell is [w_{L-1}, H0]).  v_0 goes to the cell that holds it.
3. Solve the discrete chain exactly (the O(n^2 L^2) solver of ``fast.py``).
4. Lift by rounding down to the grid (Eq. 26): s~_i(v) = u*(i, k(v)), p~_i(v) = p*(i, k(v))
   with k(v) = floor((v - L0) / eps0), i.e. the largest l with w_l <= v.

Theorem 3.8 says the lifted profile is an eps-approximate sequential equilibrium (Def 3.6)
when every f_i is K0-log-Lipschitz (Def 3.7).  With ``check=True`` the result also carries
an a-posteriori estimate of the epsilon actually achieved, measured on a finer grid.

Examples
--------
>>> from datamech.models.chain_continuous import create_continuous, TiltedKernel
>>> from datamech.solvers.chain.fptas import solve_fptas
>>> m = create_continuous(2, (0.0, 1.0), TiltedKernel(1.0), start=0.5, mechanism="AVE")
>>> res = solve_fptas(m, epsilon=0.2)
>>> res.epsilon0, res.L, res.status
(0.016666666666666666, 61, <Status.OPTIMAL: 'optimal'>)
>>> res.achieved_epsilon <= 0.2
True
>>> float(res.threshold(2, 0.51)) == float(res.grid[30])  # s~_n(v) = w_k(v)
True
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ...errors import ModelError
from ...models.chain import ChainModel, create
from ...models.chain_continuous import ConditionalLaw, ContinuousChainModel, check_epsilon
from ...numeric import fmt, jsonable, read_int, to_fraction
from ...results import Result
from ...status import Status
from .core import arithmetic, check_tie_rule, model_arrays
from .equilibrium import ChainEquilibrium, solve_equilibrium
from .estimate import check_grid
from .fast import profile_gains

__all__ = [
    "FPTASResult",
    "discretize",
    "grid_points",
    "grid_size",
    "grid_step",
    "solve_fptas",
    "transition_matrix",
]

_BLOCK = 1 << 22  # entries per block of rows when filling a transition matrix


# ---------------------------------------------------------------------- the grid
def grid_step(epsilon: Any, n: int, K0: Any, L0: Any, H0: Any) -> Fraction:
    """Algorithm 4, lines 2-6: the discretization step eps0 as an exact rational.

    eps0 = min(eps, 1) / (4 (1 + n K0) (1 + max(0, -L0))) when H0 > 0, else eps / 2.

    >>> grid_step(0.01, 5, 1, 0, 1)
    Fraction(1, 2400)
    >>> grid_step(0.3, 4, 2, -2, -1)
    Fraction(3, 20)
    """
    eps, K, lo, hi = (to_fraction(x) for x in (epsilon, K0, L0, H0))
    if hi > 0:
        return min(eps, Fraction(1)) / (4 * (1 + n * K) * (1 + max(Fraction(0), -lo)))
    return eps / 2


def grid_size(step: Any, L0: Any, H0: Any) -> int:
    """Algorithm 4, line 7: L = floor((H0 - L0) / eps0) + 1 (exactly).

    >>> grid_size(Fraction(1, 2400), 0, 1)
    2401
    """
    return math.floor((to_fraction(H0) - to_fraction(L0)) / to_fraction(step)) + 1


def grid_points(step: Any, L0: Any, size: int) -> np.ndarray:
    """w_l = L0 + l eps0, l = 0..size-1, each the float nearest the exact rational.

    Computed in integers so that grids with steps eps0 and eps0/r share their common
    points bit for bit (the a-posteriori check relies on it).

    >>> grid_points(Fraction(1, 10), 0, 4).tolist()
    [0.0, 0.1, 0.2, 0.3]
    """
    lo, st = to_fraction(L0), to_fraction(step)
    den = lo.denominator * st.denominator
    a = lo.numerator * st.denominator
    b = st.numerator * lo.denominator
    return np.array([(a + l * b) / den for l in range(size)], dtype=float)


def transition_matrix(kernel: ConditionalLaw, grid: np.ndarray, support) -> np.ndarray:
    """The L x L matrix q(k, l) = P(v in [w_l, w_{l+1}) | v_prev = w_k) of one kernel.

    The first cell starts at L0 (CDF 0) and the last one ends at H0 (CDF 1); rows sum to 1.
    Filled in blocks of rows so that temporaries stay small next to the L^2 result.
    """
    L0, H0 = support
    grid = np.asarray(grid, dtype=float)
    L = grid.size
    edges = np.concatenate([[L0], grid[1:], [H0]])
    Q = np.empty((L, L))
    rows = max(1, _BLOCK // (L + 1))
    for r0 in range(0, L, rows):
        r1 = min(L, r0 + rows)
        Q[r0:r1] = kernel.cell_masses(edges, grid[r0:r1])
    return Q


def _cell_index(grid: np.ndarray, v: np.ndarray) -> np.ndarray:
    """k(v) = largest l with w_l <= v (Eq. 26's floor((v - L0)/eps0) on the stored grid)."""
    return np.clip(np.searchsorted(grid, v, side="right") - 1, 0, grid.size - 1)


def discretize(
    model: ContinuousChainModel, step: Any, name: str = ""
) -> tuple[ChainModel, np.ndarray]:
    """The discrete chain of Algorithm 4 with grid step ``step`` (lines 7-12).

    Returns the :class:`ChainModel` (float arrays, one shared transition matrix when all
    trades share a kernel, else one per trade) and its grid.

    >>> from datamech.models.chain_continuous import create_continuous, TiltedKernel
    >>> m = create_continuous(2, (0, 1), TiltedKernel(1.0), start=0.5)
    >>> dm, grid = discretize(m, Fraction(1, 4))
    >>> grid.tolist(), dm.start, dm.transition.shape
    ([0.0, 0.25, 0.5, 0.75, 1.0], 2, (5, 5))
    """
    L0, H0 = model.support
    L = grid_size(step, L0, H0)
    grid = grid_points(step, L0, L)
    start = int(_cell_index(grid, np.array([model.start]))[0])
    distinct: list[tuple[ConditionalLaw, np.ndarray]] = []
    per_trade = []
    for k in model.kernels:
        for kk, Q in distinct:
            if kk == k:
                per_trade.append(Q)
                break
        else:
            Q = transition_matrix(k, grid, model.support)
            distinct.append((k, Q))
            per_trade.append(Q)
    mech = model.mechanism
    kwargs: dict[str, Any] = {"transition": distinct[0][1]}
    if len(distinct) > 1:
        kwargs = {"transitions": np.stack(per_trade)}
    dmodel = create(
        model.n,
        grid,
        start=start,
        mechanism=mech["name"],
        alpha=mech.get("alpha"),
        matrix=model.reallocation if mech["name"] == "matrix" else None,
        name=name or (f"{model.name} (grid)" if model.name else ""),
        **kwargs,
    )
    return dmodel, grid


# ---------------------------------------------------------------------- the result
@dataclass(frozen=True, repr=False)
class FPTASResult(Result):
    """Algorithm 4's output: the grid equilibrium, its lift (Eq. 26) and the check.

    Attributes
    ----------
    status : Status
        ``optimal``: Theorem 3.8 proves the lifted profile an epsilon-approximate
        sequential equilibrium (Def 3.6) when the kernels are K0-log-Lipschitz, i.e.
        solved to the method's tolerance epsilon (the grid equilibrium itself is exact),
        and the a-posteriori check, when run, agrees.  ``not_converged`` (with
        ``advice``) when the check's estimate exceeds ``epsilon``: possible only through
        the estimate's own discretization error or a K0 below the kernels' true
        log-Lipschitz constant.  The contract's headline is ``social_welfare`` of the
        grid model (``method`` ``"fptas"``; ``backend``, ``solver`` ``"none"``).
    epsilon, epsilon0, L, K0 : the target, the grid step, the grid size, the constant used.
    grid : array (L,)
        w_0..w_{L-1}.
    equilibrium : ChainEquilibrium
        The exact equilibrium of the grid model (``thresholds[i, k]`` = u*(i, k),
        ``prices[i, k]`` = p*(i, k)).
    social_welfare, transaction_volume : of the grid model (exact forward pass).
    achieved_epsilon : float or None
        A-posteriori estimate of the epsilon of Def 3.6 achieved by the lifted profile
        (see :func:`solve_fptas`), ``None`` without the check.
    price_violation, threshold_violation : float or None
        The maxima of Def 3.6 (a) and (b) separately.
    worst : dict or None
        Where ``achieved_epsilon`` occurs: condition ("a" price, "b" threshold), player,
        value v, violation.
    check_grid_size : int or None
        Points of the finer grid used by the check.
    seconds, check_seconds : wall time of Algorithm 4 (discretize, solve, lift) and of
        the check.
    advice : str
        What to change when ``status`` is ``not_converged``.

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.
    """

    status: str
    epsilon: float
    epsilon0: float
    L: int
    K0: float
    grid: np.ndarray
    equilibrium: ChainEquilibrium
    social_welfare: float
    transaction_volume: float
    achieved_epsilon: float | None
    price_violation: float | None
    threshold_violation: float | None
    worst: dict | None
    check_grid_size: int | None
    refine: int
    n: int
    support: tuple[float, float]
    start_index: int
    mechanism: dict
    tie_break: str
    tol: float
    seconds: float
    check_seconds: float
    method: str = "fptas"
    backend: str = "none"
    solver: str = "none"
    advice: str = ""

    _objective_field = "social_welfare"
    _summary_fields = ("L", "achieved_epsilon")

    # ------------------------------------------------------------ the lift (Eq. 26)
    def grid_index(self, v) -> np.ndarray | int:
        """k(v) = floor((v - L0) / eps0), the cell of v; values outside [L0, H0] raise."""
        arr = np.asarray(v, dtype=float)
        L0, H0 = self.support
        bad = ~((arr >= L0) & (arr <= H0))
        if np.any(bad):
            x = arr[bad].flat[0] if arr.ndim else float(arr)
            raise ModelError("v", f"value {fmt(x)} is outside the support [{fmt(L0)}, {fmt(H0)}]")
        k = _cell_index(self.grid, arr)
        return int(k) if np.ndim(k) == 0 else k

    def threshold(self, i: int, v):
        """s~_i(v) = u*(i, k(v)) (Eq. 26), vectorized over v; players i = 0..n."""
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i <= self.n:
            raise ModelError("i", f"player must be an integer in 0..{self.n}, got {fmt(i)}")
        return np.asarray(self.equilibrium.thresholds[i], dtype=float)[self.grid_index(v)]

    def price(self, i: int, v):
        """p~_i(v) = p*(i, k(v)) (Eq. 26), vectorized over v; sellers i = 0..n-1."""
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < self.n:
            raise ModelError("i", f"seller must be an integer in 0..{self.n - 1}, got {fmt(i)}")
        return np.asarray(self.equilibrium.prices[i], dtype=float)[self.grid_index(v)]

    # ------------------------------------------------------------ conversions
    def format(self) -> str:
        """A readable summary for the command line."""
        eps = "not checked" if self.achieved_epsilon is None else f"{self.achieved_epsilon:.3g}"
        return "\n".join(
            [
                f"continuous chain by Algorithm 4 (FPTAS): n = {self.n}, support "
                f"[{fmt(self.support[0])}, {fmt(self.support[1])}], mechanism "
                f"{self.mechanism.get('name')}",
                f"epsilon {self.epsilon:g}, K0 {self.K0:g}, grid step {self.epsilon0:.4g}, "
                f"L = {self.L}, tie rule {self.tie_break!r}, {self.seconds:.2f} s, "
                f"status {self.status}",
                f"achieved epsilon (a-posteriori estimate, Def 3.6): {eps}",
                f"social welfare      {self.social_welfare:.6g}  (grid model)",
                f"transaction volume  {self.transaction_volume:.6g}  (grid model)",
            ]
        )

    _SUMMARY = (
        "epsilon",
        "epsilon0",
        "L",
        "K0",
        "social_welfare",
        "transaction_volume",
        "achieved_epsilon",
        "price_violation",
        "threshold_violation",
        "worst",
        "check_grid_size",
        "refine",
        "n",
        "support",
        "start_index",
        "mechanism",
        "tie_break",
        "tol",
        "check_seconds",
        "advice",
    )

    def to_dict(self, arrays: bool = False) -> dict[str, Any]:
        """JSON-ready summary (the contract's keys first); ``arrays=True`` adds the grid
        and the full grid equilibrium.

        Without arrays the grid is described by its ends, step and size and the grid
        equilibrium by its headline numbers (keeps ``--json`` output small at L ~ 10^4).
        """
        eq = self.equilibrium
        out = self.contract()
        for name in self._SUMMARY:
            out[name] = jsonable(getattr(self, name))
        if arrays:
            out["grid"] = jsonable(self.grid)
            out["equilibrium"] = eq.to_dict()
        else:
            out["grid"] = {
                "low": float(self.grid[0]),
                "high": float(self.grid[-1]),
                "step": self.epsilon0,
                "size": self.L,
            }
            out["equilibrium"] = {
                key: jsonable(getattr(eq, key))
                for key in (
                    "social_welfare",
                    "transaction_volume",
                    "trade_success",
                    "player_utility",
                    "ties",
                    "tie_break",
                    "tol",
                    "method",
                    "seconds",
                    "L",
                )
            }
            out["equilibrium"]["status"] = str(eq.status)
        return out

    def to_frame(self):
        """The lifted strategies on the grid: one row per w_k, columns s~_i and p~_i."""
        import pandas as pd

        cols: dict[str, Any] = {"value": self.grid}
        th = np.asarray(self.equilibrium.thresholds, dtype=float)
        pr = np.asarray(self.equilibrium.prices, dtype=float)
        for i in range(self.n + 1):
            cols[f"threshold_{i}"] = th[i]
        for i in range(self.n):
            cols[f"price_{i}"] = pr[i]
        return pd.DataFrame(cols)

    def plot(self, ax=None):
        """Figure-2-style bars of the grid model's outcome and the lifted prices p~_i(v)."""
        from .plots import plot_outcome

        eq = self.equilibrium
        title = (
            f"Algorithm 4, n = {self.n}, L = {self.L}: social welfare "
            f"{self.social_welfare:.4g}, transaction volume {self.transaction_volume:.4g}"
        )
        series = {self.mechanism.get("name", "t"): (eq.trade_success, eq.player_utility)}
        fig = plot_outcome(series, title=title, ax=ax, extra=0 if ax is not None else 1)
        if ax is None:
            axp = fig.axes[2]
            pr = np.asarray(eq.prices, dtype=float)
            for i in range(self.n):
                axp.step(self.grid, pr[i], where="post", label=f"seller {i}", linewidth=1)
            axp.set_xlabel("value v")
            axp.set_ylabel("lifted price p~_i(v) (Eq. 26)")
            axp.set_xlim(*self.support)
            axp.legend(fontsize=7)
        return fig


# ---------------------------------------------------------------------- the solver
def solve_fptas(
    model: ContinuousChainModel,
    epsilon: float | None = None,
    tie_break: str = "first",
    check: bool = True,
    refine: int = 2,
    tol: float | None = None,
) -> FPTASResult:
    """Algorithm 4: an epsilon-approximate sequential equilibrium (Theorem 3.8, Def 3.6).

    Parameters
    ----------
    model : ContinuousChainModel
    epsilon : float, optional
        Target epsilon > 0 (default: the model's ``epsilon``).
    tie_break : {"first", "low", "high"}
        Sellers' rule among maximizing candidate prices in the grid model (see
        :func:`~datamech.solvers.chain.solve_equilibrium`).
    check : bool
        Run the a-posteriori check (below).
    refine : int
        The check's grid has step eps0 / refine (>= 1).
    tol : float, optional
        Float tolerance of the grid solver (default 1e-9); used by the check too.

    Returns
    -------
    FPTASResult

    Notes
    -----
    The a-posteriori check discretizes the model again with step eps0 / refine, so every
    coarse cell is a union of ``refine`` fine cells and every coarse grid point is a fine
    one.  The lifted strategies (Eq. 26) evaluated at the fine points are a strategy
    profile of the fine model; for each player i and fine value v the exact best gain
    s†_i(v) = max_p g_i(v, p) and the gain of the lifted price g_i(v, p~_i(v)) are computed
    on the fine model (``fast.profile_gains``).  Reported::

        achieved_epsilon = max_{i, v} max( (s†_i(v) - g_i(v, p~_i(v))) / max(1, s†_i(v)),
                                           |s~_i(v) - s†_i(v)| / max(1, s†_i(v)) ),

    Def 3.6 (a) over sellers 0..n-1 and (b) over players 0..n (player n: s†_n(v) = v).
    This is an *estimate* of the epsilon achieved on the continuum, not a bound: it is a
    maximum over the fine grid points only, and the fine model approximates the law of
    v_j for j >= i + 2 by its cells (the step from v_i to v_{i+1} is exact).  Because the
    lifted strategies are constant on a cell while s†_i(v) grows with v, the largest
    violations sit just below a cell's right end, which the fine points approach only up
    to eps0 / refine: the supremum over the continuum is typically larger by up to about
    that much (it tends to eps0 times the slope of s† as refine grows), still far below
    epsilon since Algorithm 4's step is conservative.

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.

    Examples
    --------
    >>> from datamech.models.chain_continuous import create_continuous, TruncatedNormalWalk
    >>> m = create_continuous(2, (0, 1), TruncatedNormalWalk(1.0), start=0.5, mechanism="AVE")
    >>> res = solve_fptas(m, epsilon=0.3)
    >>> res.L, res.achieved_epsilon < 0.3
    (41, True)
    """
    t_start = time.perf_counter()
    if not isinstance(model, ContinuousChainModel):
        raise ModelError("model", f"expected a ContinuousChainModel, got {type(model).__name__}")
    if epsilon is None:
        if model.epsilon is None:
            raise ModelError(
                "model.epsilon", "is required (set it in the model or give the option epsilon)"
            )
        eps, eps_field = model.epsilon, "model.epsilon"
    else:
        eps, eps_field = check_epsilon(epsilon, "solver.epsilon"), "solver.epsilon"
    check_tie_rule(tie_break)
    ar = arithmetic(False, tol)
    if not isinstance(check, bool):
        raise ModelError("solver.check", f"must be true or false, got {check!r}")
    refine = read_int(refine, "solver.refine", low=1)

    L0, H0 = model.support
    step = grid_step(eps, model.n, model.K0, L0, H0)
    size = grid_size(step, L0, H0)
    check_grid(
        eps_field,
        size,
        f"Algorithm 4's {size:,}-point grid (epsilon {fmt(eps)}, K0 {fmt(model.K0)}, "
        f"n = {model.n})",
        hint="a larger epsilon, a smaller K0 (wider kernel) or a shorter chain",
    )
    if check:
        fine = grid_size(step / refine, L0, H0)
        check_grid(
            "solver.refine" if refine > 1 else eps_field,
            fine,
            f"the a-posteriori check's {fine:,}-point grid (step eps0 / {refine})",
            hint="check = false skips the check",
        )
    coarse, grid = discretize(model, step)
    eq = solve_equilibrium(coarse, method="fast", tie_break=tie_break, tol=ar.tol)
    start_index = coarse.start
    del coarse  # the L x L matrices are no longer needed
    seconds = time.perf_counter() - t_start

    achieved = price_v = thr_v = worst = fine_L = None
    check_seconds = 0.0
    status, advice = Status.OPTIMAL, ""
    if check:
        t0 = time.perf_counter()
        price_v, thr_v, worst, fine_L = _posterior_check(model, eq, grid, step / refine, ar)
        achieved = max(price_v, thr_v)
        if achieved > eps:
            status = Status.NOT_CONVERGED
            advice = (
                f"the a-posteriori estimate {achieved:.3g} exceeds epsilon {fmt(eps)}: check "
                "that K0 bounds the kernels' log-Lipschitz constant (Def 3.7), or raise "
                "refine for a finer estimate"
            )
        check_seconds = time.perf_counter() - t0

    return FPTASResult(
        status=status,
        epsilon=eps,
        epsilon0=float(step),
        L=int(grid.size),
        K0=float(model.K0),
        grid=grid,
        equilibrium=eq,
        social_welfare=float(eq.social_welfare),
        transaction_volume=float(eq.transaction_volume),
        achieved_epsilon=achieved,
        price_violation=price_v,
        threshold_violation=thr_v,
        worst=worst,
        check_grid_size=fine_L,
        refine=refine,
        n=model.n,
        support=model.support,
        start_index=int(start_index),
        mechanism=dict(model.mechanism),
        tie_break=tie_break,
        tol=ar.tol,
        seconds=seconds,
        check_seconds=check_seconds,
        advice=advice,
    )


def _posterior_check(model, eq: ChainEquilibrium, grid, fine_step, ar):
    """Def 3.6 violations of the lifted profile, measured on the grid with step fine_step."""
    fine, fgrid = discretize(model, fine_step)
    k = _cell_index(grid, fgrid)
    thr = np.asarray(eq.thresholds, dtype=float)[:, k]
    pr = np.asarray(eq.prices, dtype=float)[:, k]
    W, Qs, T = model_arrays(fine, ar)
    best, own = profile_gains(fine, thr, pr, ar, W, Qs, T)
    n = model.n
    best = np.asarray(best, dtype=float)  # (n, L'): s†_i(v) for sellers 0..n-1
    own = np.asarray(own, dtype=float)
    scale = np.maximum(1.0, best)
    viol_a = np.maximum(best - own, 0.0) / scale  # Def 3.6 (a)
    viol_b = np.empty((n + 1, fgrid.size))  # Def 3.6 (b)
    viol_b[:n] = np.abs(thr[:n] - best) / scale
    viol_b[n] = np.abs(thr[n] - fgrid) / np.maximum(1.0, fgrid)
    ia = np.unravel_index(int(np.argmax(viol_a)), viol_a.shape)
    ib = np.unravel_index(int(np.argmax(viol_b)), viol_b.shape)
    a, b = float(viol_a[ia]), float(viol_b[ib])
    cond, (i, l), x = ("a", ia, a) if a >= b else ("b", ib, b)
    worst = {"condition": cond, "player": int(i), "value": float(fgrid[l]), "violation": x}
    return a, b, worst, int(fgrid.size)
