"""Exact sequential equilibria of the resale chain (Eq. 9), fast or by the reference.

>>> from datamech.models.chain import paper_model
>>> from datamech.solvers.chain import solve_equilibrium
>>> res = solve_equilibrium(paper_model(2, n=5, mechanism="AVE"), tol=0)  # paper's rule
>>> round(float(res.social_welfare), 3), round(float(res.transaction_volume), 3)
(0.474, 3.053)
>>> ex = solve_equilibrium(paper_model(2, n=5, mechanism="AVE"), exact=True)  # exact ties
>>> ex.social_welfare, ex.ties
(Fraction(...), 4)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ...errors import ModelError, SolverError
from ...models.chain import ChainModel
from ...models.chain_options import EQUILIBRIUM_METHODS, OPTIONS
from ...results import Result
from ...status import Status
from .core import arithmetic, check_tie_rule, model_arrays, to_float
from .estimate import check_equilibrium, show_progress
from .fast import solve_fast
from .metrics import compute_metrics
from .reference import solve_reference

METHODS = dict(zip(EQUILIBRIUM_METHODS, (solve_fast, solve_reference), strict=True))


@dataclass(frozen=True, repr=False)
class ChainEquilibrium(Result):
    """An exact sequential equilibrium (Eq. 9) with its exact metrics.

    ``thresholds[i, k]`` is u*(i, k) = s~_i(w_k) for players i = 0..n, ``prices[i, k]`` is
    p*(i, k) = p~_i(w_k) for players i = 0..n-1, ``one_shot_revenue[i, k]`` is r*(i, k)
    (Eq. 18).  ``ties`` counts (player, value) pairs where two or more distinct prices
    were maximal; ``tie_break`` is the rule that chose among them.  Arrays hold Fractions
    when ``exact`` is true.

    The contract's headline is ``social_welfare`` (``objective``; ``objective_exact`` is
    the Fraction in exact mode).  ``status`` is ``optimal``: every seller's price is an
    exact best response (Eq. 9), computed by an exact algorithm (``method`` ``fast`` or
    ``reference``; ``backend`` and ``solver`` are ``"none"``).

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.
    """

    status: Status
    social_welfare: float | Fraction
    transaction_volume: float | Fraction
    trade_success: np.ndarray
    trade_success_conditional: np.ndarray
    player_utility: np.ndarray
    expected_value: np.ndarray
    expected_payment: np.ndarray
    transfers_received: np.ndarray
    thresholds: np.ndarray
    prices: np.ndarray
    one_shot_revenue: np.ndarray
    ties: int
    tie_break: str
    tol: float
    exact: bool
    method: str
    seconds: float
    n: int
    L: int
    mechanism: dict
    values: np.ndarray
    backend: str = "none"
    solver: str = "none"

    _objective_field = "social_welfare"
    _summary_fields = ("transaction_volume", "ties")

    def format(self) -> str:
        """A readable summary: headline figures and the per-player table."""
        mech = ", ".join(f"{k}={v}" for k, v in self.mechanism.items() if k != "name")
        mech = self.mechanism["name"] + (f" ({mech})" if mech else "")
        arith = "exact rationals" if self.exact else f"float, tol={self.tol:g}"
        lines = [
            f"chain equilibrium: n = {self.n}, L = {self.L}, mechanism {mech}",
            f"method {self.method} ({arith}), tie rule {self.tie_break!r}, "
            f"seller ties {self.ties}, {self.seconds * 1e3:.1f} ms, status {self.status}",
            f"social welfare      {to_float(self.social_welfare):.6g}"
            + (f"  (= {self.social_welfare})" if self.exact else ""),
            f"transaction volume  {to_float(self.transaction_volume):.6g}"
            + (f"  (= {self.transaction_volume})" if self.exact else ""),
            "",
            self.to_frame().to_string(index=False, float_format=lambda x: f"{x:.6g}"),
        ]
        return "\n".join(lines)

    def to_frame(self):
        """Per-player table: value, payment, transfers, utility, and success of the trade in."""
        import pandas as pd

        def col(a):
            return [to_float(x) for x in a]

        return pd.DataFrame(
            {
                "player": range(self.n + 1),
                "trade_success": [None, *col(self.trade_success)],
                "expected_value": col(self.expected_value),
                "expected_payment": col(self.expected_payment),
                "transfers_received": col(self.transfers_received),
                "player_utility": col(self.player_utility),
            }
        )

    def plot(self, ax=None):
        """Figure-2-style bars: P(trade i happens) per trade, E[U_i] per player."""
        from .plots import plot_outcome

        title = (
            f"{self.mechanism['name']}, n = {self.n}: social welfare "
            f"{to_float(self.social_welfare):.4g}, transaction volume "
            f"{to_float(self.transaction_volume):.4g}"
        )
        series = {self.mechanism["name"]: (self.trade_success, self.player_utility)}
        return plot_outcome(series, title=title, ax=ax)


def solve_equilibrium(
    model: ChainModel,
    method: str = "fast",
    tie_break: str = "first",
    exact: bool = False,
    tol: float | None = None,
) -> ChainEquilibrium:
    """Solve the chain for the sequential equilibrium of Eq. (9) and its exact metrics.

    Parameters
    ----------
    model : ChainModel
    method : {"fast", "reference"}
        ``fast`` (default) is O(n^2 L^2); ``reference`` is Algorithms 1-3 as written,
        O(n^2 L^4).  Both give the same equilibrium under the same tie rule.
    tie_break : {"first", "low", "high", "welfare_max", "welfare_min"}
        Among maximizing candidate prices: the first in grid-index order (the paper's
        numpy ``argmax``), the lowest, the highest price, or the one with the highest
        (optimistic) or lowest (pessimistic, adversarial) continuation welfare, chosen
        backward player by player.  Buyers accept at equality.
    exact : bool
        Exact rational arithmetic (``fractions.Fraction``); float inputs are read as
        the decimals they print as (0.2 is 1/5).
    tol : float, optional
        Float mode only: relative tolerance under which two gains tie and a threshold
        equals a price (default 1e-9, at most 1e-3).  ``tol=0`` is raw floating point,
        the paper's semantics, where rounding noise decides near-ties.

    Returns
    -------
    ChainEquilibrium

    Raises
    ------
    ModelError
        Bad options, or a chain too large for memory (naming ``model.n`` or
        ``model.values``).
    SolverError
        Float arithmetic overflowed (values near the float range; use ``exact=True``).

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.
    """
    if not isinstance(model, ChainModel):
        raise ModelError("model", f"expected a ChainModel, got {type(model).__name__}")
    OPTIONS.validate({"method": method})
    if method not in METHODS:
        raise ModelError(
            "solver.method",
            f"solve_equilibrium runs {' or '.join(METHODS)}, not {method!r} "
            "(OPT methods: datamech.solvers.chain.opt.optimize_reallocation)",
        )
    check_tie_rule(tie_break)
    ar = arithmetic(exact, tol)
    check_equilibrium(model, method, ar.exact)
    W, Qs, T = model_arrays(model, ar)
    t0 = time.perf_counter()
    bar = show_progress(model, method, ar.exact)
    with np.errstate(over="ignore", invalid="ignore"):
        u, p, r, ties = METHODS[method](model, tie_break, ar, W, Qs, T, progress_bar=bar)
        seconds = time.perf_counter() - t0
        met = compute_metrics(model, u, p, ar)
    if not ar.exact:
        check_finite(u, p, met.social_welfare, met.player_utility)
    return ChainEquilibrium(
        status=Status.OPTIMAL,
        social_welfare=met.social_welfare,
        transaction_volume=met.transaction_volume,
        trade_success=met.trade_success,
        trade_success_conditional=met.trade_success_conditional,
        player_utility=met.player_utility,
        expected_value=met.expected_value,
        expected_payment=met.expected_payment,
        transfers_received=met.transfers_received,
        thresholds=np.array(u),
        prices=np.array(p),
        one_shot_revenue=np.array(r),
        ties=ties,
        tie_break=tie_break,
        tol=ar.tol,
        exact=ar.exact,
        method=method,
        seconds=seconds,
        n=model.n,
        L=model.L,
        mechanism=dict(model.mechanism),
        values=W,
    )


def check_finite(*arrays) -> None:
    """Raise ``SolverError`` when float arithmetic overflowed (inf or NaN anywhere)."""
    for a in arrays:
        if not np.all(np.isfinite(np.asarray(a, dtype=float))):
            raise SolverError(
                Status.SOLVER_ERROR,
                "float arithmetic overflowed (values too close to the float range, about "
                "1.8e308): solve with exact = true, or rescale the values",
            )
