"""Theorem 4.4 checked on a chain: every feasible t contains the baseline's trade events.

:func:`compare_to_baseline` solves RAW and t under the same tie rule and compares the
events pair by pair; :func:`baseline_path` is the chain of mechanisms of the theorem's
proof (App. C.7).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ....errors import ModelError
from ....models.chain import FLOAT_TOL, ChainModel, check_reallocation, mechanism_matrix
from ....results import ResultMixin
from ....status import Status
from ..core import arithmetic, check_tie_rule
from ..equilibrium import ChainEquilibrium, solve_equilibrium
from .events import assumptions, check_model, reachable_pairs, trade_events, with_matrix

__all__ = ["BaselineComparison", "baseline_path", "compare_to_baseline"]


@dataclass(frozen=True, repr=False)
class BaselineComparison(ResultMixin):
    """Theorem 4.4 on one chain: does mechanism t contain the baseline's trade events?

    ``contained[i-1]`` says E_i^RAW is within E_i^t over all grid pairs,
    ``contained_reachable[i-1]`` over the reachable pairs only (the theorem's claim).
    ``counterexamples`` lists (trade i, k_{i-1}, k_i, reachable) for every pair in
    E_i^RAW but not in E_i^t.  ``welfare_improves`` is SW(t) >= SW(RAW) (exactly, or up
    to the tolerance); the theorem promises it only with budget balance.
    ``holds`` is the theorem's conclusion on the reachable part: every
    ``contained_reachable`` and, when t is budget balanced, ``welfare_improves``.
    ``positivity`` (Assumption 4.1) is checked on the reachable values; ``homogeneity``
    (Assumption 4.2) as: for each trade, the law of v_i / v_{i-1} given v_{i-1} = w_k is
    the same at every reachable w_k > 0 (the grid form of F_i(av | aw) = F_i(v | w)).
    """

    status: Status
    holds: bool
    assumptions_hold: bool
    positivity: bool
    homogeneity: bool
    budget_balanced: bool
    contained: np.ndarray
    contained_reachable: np.ndarray
    counterexamples: tuple
    expansions_reachable: np.ndarray
    trade_success_raw: np.ndarray
    trade_success: np.ndarray
    social_welfare_raw: float | Fraction
    social_welfare: float | Fraction
    welfare_improves: bool
    mechanism: dict
    reallocation: np.ndarray
    tie_break: str
    exact: bool
    tol: float
    method: str
    seconds: float
    n: int
    L: int
    equilibrium_raw: ChainEquilibrium
    equilibrium: ChainEquilibrium

    _skip_fields = ("equilibrium_raw", "equilibrium")

    @property
    def reachable_counterexamples(self) -> list[tuple[int, int, int]]:
        """The counterexamples (trade, k_{i-1}, k_i) the valuation chain can produce."""
        return [(i, k, l) for i, k, l, r in self.counterexamples if r]

    def to_frame(self):
        """Per-trade table: event containment, counterexample counts, success rates."""
        import pandas as pd

        reach = [sum(1 for c in self.counterexamples if c[0] == i and c[3]) for i in self._trades]
        every = [sum(1 for c in self.counterexamples if c[0] == i) for i in self._trades]
        return pd.DataFrame(
            {
                "trade": list(self._trades),
                "contained": [bool(x) for x in self.contained],
                "contained_reachable": [bool(x) for x in self.contained_reachable],
                "counterexamples": every,
                "reachable_counterexamples": reach,
                "reachable_expansions": [int(x) for x in self.expansions_reachable],
                "success_raw": [float(x) for x in self.trade_success_raw],
                "success": [float(x) for x in self.trade_success],
            }
        )

    @property
    def _trades(self) -> range:
        return range(1, self.n + 1)


def compare_to_baseline(
    model: ChainModel,
    mechanism: Any,
    *,
    alpha: Any = None,
    tie_break: str = "low",
    exact: bool = True,
    tol: float | None = None,
    method: str = "fast",
) -> BaselineComparison:
    """Check Theorem 4.4 on a chain: E_i^RAW within E_i^t for every trade i.

    Solves the chain under the baseline RAW (t_{i,i-1} = 1) and under ``mechanism``
    with the same tie rule, compares the trade events pair by pair
    (:func:`trade_events`) and compares the exact expected social welfare.

    Parameters
    ----------
    model : ChainModel
        The chain (grid, transitions, law of v_0); its own mechanism is ignored.
    mechanism : array (n, n+1), ChainModel or str
        The reallocation matrix t; a model on the same chain (its matrix is used); or a
        mechanism name (``"AVE"``, ``"TBDS"`` with ``alpha``, ``"RAW"``).
    alpha : number, optional
        TBDS parameter when ``mechanism="TBDS"``.
    tie_break : {"low", "first", "high", "welfare_max", "welfare_min"}
        Seller tie rule, the same for both mechanisms.  ``"low"`` (default): a seller
        indifferent among all prices posts the lowest, so the proof of Theorem 4.3 also
        covers t_{i+1,i} = 0; under ``"high"`` it does not (see the module notes).
    exact : bool
        Exact rational arithmetic (default).  Float grids such as the paper's Model 1
        are read as the decimals they print as, which are not exactly geometric: use
        ``exact=False`` (floats with tolerance ``tol``) for them.
    tol : float, optional
        Float mode only: the solver's tolerance (default 1e-9).
    method : {"fast", "reference"}
        Equilibrium solver.

    Returns
    -------
    BaselineComparison

    Examples
    --------
    >>> from datamech.models.chain import paper_model
    >>> cmp = compare_to_baseline(paper_model(1, n=5), "TBDS", alpha="1/2", exact=False)
    >>> cmp.holds, cmp.positivity, cmp.homogeneity
    (True, True, True)
    """
    check_model(model)
    check_tie_rule(tie_break)
    other = with_matrix(model, mechanism, alpha, "mechanism")
    raw = model.with_mechanism("RAW")
    t0 = time.perf_counter()
    eq_raw = solve_equilibrium(raw, method=method, tie_break=tie_break, exact=exact, tol=tol)
    eq_t = solve_equilibrium(other, method=method, tie_break=tie_break, exact=exact, tol=tol)
    seconds = time.perf_counter() - t0
    ev_raw = trade_events(raw, eq_raw)
    ev_t = trade_events(other, eq_t)
    pairs = reachable_pairs(model)
    missing = ev_raw & ~ev_t
    counter = tuple(
        (int(i) + 1, int(k), int(l), bool(pairs[i, k, l])) for i, k, l in np.argwhere(missing)
    )
    contained = ~missing.any(axis=(1, 2))
    contained_reachable = ~(missing & pairs).any(axis=(1, 2))
    expansions = (ev_t & ~ev_raw & pairs).sum(axis=(1, 2))

    ar = arithmetic(eq_t.exact, eq_t.tol)
    sw_raw, sw_t = eq_raw.social_welfare, eq_t.social_welfare
    welfare_improves = bool(ar.geq(sw_t, sw_raw))
    balanced = _budget_balanced(other.reallocation)
    positivity, homogeneity = assumptions(model)
    holds = bool(contained_reachable.all()) and (welfare_improves or not balanced)
    return BaselineComparison(
        status=Status.EVALUATED,
        holds=holds,
        assumptions_hold=positivity and homogeneity,
        positivity=positivity,
        homogeneity=homogeneity,
        budget_balanced=balanced,
        contained=contained,
        contained_reachable=contained_reachable,
        counterexamples=counter,
        expansions_reachable=expansions,
        trade_success_raw=eq_raw.trade_success,
        trade_success=eq_t.trade_success,
        social_welfare_raw=sw_raw,
        social_welfare=sw_t,
        welfare_improves=welfare_improves,
        mechanism=dict(other.mechanism),
        reallocation=other.reallocation,
        tie_break=tie_break,
        exact=eq_t.exact,
        tol=eq_t.tol,
        method=method,
        seconds=seconds,
        n=model.n,
        L=model.L,
        equilibrium_raw=eq_raw,
        equilibrium=eq_t,
    )


def baseline_path(t: Any) -> list[np.ndarray]:
    """The mechanisms t^n = RAW, t^(n-1), ..., t^0 = t of the proof of Theorem 4.4 (App. C.7).

    t^k pays players j >= k as t does and players j < k as the baseline does,
    t^k_ij = t_ij for j >= k and 1{i = j+1} otherwise.  Each t^k is feasible (rows i <= k
    are baseline rows, rows i > k are t's row without the columns j < k), and each pair
    (t^k, t^(k-1)) satisfies Theorem 4.3's hypotheses with i = k-1, so chaining
    Theorem 4.3 gives Theorem 4.4.

    Examples
    --------
    >>> from datamech.models.chain import ave_matrix
    >>> [[str(x) for x in m[1]] for m in baseline_path(ave_matrix(2))]  # row of trade 2
    [['0', '1', '0'], ['0', '1/2', '0'], ['1/2', '1/2', '0']]
    """
    try:
        target = mechanism_matrix(_rows(t), "matrix", matrix=t)
    except ModelError as err:
        raise ModelError("t", err.problem) from None
    if target.ndim != 2 or target.shape[1] != target.shape[0] + 1:
        raise ModelError("t", f"must be n x (n+1), got shape {target.shape}")
    check_reallocation(target, "t")
    n = target.shape[0]
    one, zero = (Fraction(1), Fraction(0)) if target.dtype == object else (1.0, 0.0)
    path = []
    for k in range(n, -1, -1):
        tk = target.copy()
        for i in range(1, n + 1):
            for j in range(k):
                tk[i - 1, j] = one if i == j + 1 else zero
        path.append(tk)
    return path


def _rows(t: Any) -> int:
    try:
        return len(t)
    except TypeError:
        raise ModelError("t", f"must be an n x (n+1) matrix, got {t!r}") from None


def _budget_balanced(t: np.ndarray) -> bool:
    if t.dtype == object:
        return all(sum(row, Fraction(0)) == 1 for row in t)
    return bool(np.all(np.abs(t.sum(axis=1) - 1) <= FLOAT_TOL))
