"""Equilibrium comparison between reallocation mechanisms (seed 000, Section 4), checked.

The paper's Section 4 compares the equilibrium *trade events* of two mechanisms.  On a
finite grid the event of trade i (player i-1 sells to player i) is a set of index pairs

    E_i = {(k, l) : s~_i(w_l) >= p~_{i-1}(w_k)},

the pairs (v_{i-1} = w_k, v_i = w_l) at which buyer i accepts (:func:`trade_events`).
Under positivity (Assumption 4.1) and homogeneity (Assumption 4.2):

* Theorem 4.3 (local comparison): if t^1, t^2 differ only in what player i receives,
  with hypotheses (a)-(d), then E_j^1 = E_j^2 for j != i+1 and E_{i+1}^1 is contained
  in E_{i+1}^2 (:func:`local_comparison`).
* Theorem 4.4: every feasible t (Def 2.5, 2.6) contains the baseline's events,
  E_i^RAW within E_i^t for every i; with budget balance SW(t) >= SW(RAW)
  (:func:`compare_to_baseline`).

Both theorems assume a seller tie rule that does not depend on t.  The solver's rules
``"first"``, ``"low"`` and ``"high"`` are such rules; ``"welfare_max"`` /
``"welfare_min"`` rank ties by continuation welfare, which depends on t.  Being
independent of t is not enough, though (found here, see the tests): a seller who earns
nothing from any price (t_{i+1,i} = 0 and no share of later trades) is indifferent
among all prices, and ``"high"`` then posts the no-sale price, so E_{i+1} shrinks and
Theorems 4.3 (2) and 4.4 fail; the proof of Theorem 4.3 divides by t^2_{i+1,i} (Eq. 38).
``"first"`` has the same failure on a grid not listed in increasing order.  ``"low"``
(the default here) has none: an indifferent seller posts the lowest price.  Theorem
4.3's hypotheses (a)-(d) as printed also let t^1_{i'+1,i'} and t^2_{i'+1,i'} (i' < i)
differ; if one of them is 0, conclusion 1 fails
(``LocalComparison.only_player_differs`` flags such pairs).

Only pairs the valuation chain can produce matter (the theorem is about valuation
profiles in the support): ``reachable=True`` keeps the pairs with P(v_{i-1} = w_k) > 0
and Q_i[k, l] > 0 (:func:`reachable_pairs`).  Grid points outside the support still
shape the equilibrium, as candidate prices.

:func:`homogeneous_chain` builds chains on which both assumptions hold exactly on the
reachable part: a multiplicative grid w_m = g^m with a random walk on the index m.

Examples
--------
>>> from datamech.models.chain import paper_model
>>> cmp = compare_to_baseline(paper_model(2, n=3), "AVE")
>>> cmp.assumptions_hold, cmp.holds
(False, True)
>>> cmp = compare_to_baseline(homogeneous_chain(3, ratio=2), "AVE")
>>> cmp.assumptions_hold, cmp.holds, cmp.social_welfare >= cmp.social_welfare_raw
(True, True, True)
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ...errors import ModelError
from ...models.chain import (
    FLOAT_TOL,
    ChainModel,
    check_reallocation,
    create,
    mechanism_matrix,
)
from ...numeric import exact_array, to_fraction, to_number
from ...results import ResultMixin
from .core import acceptance, arithmetic, check_tie_rule
from .equilibrium import ChainEquilibrium, solve_equilibrium

__all__ = [
    "BaselineComparison",
    "baseline_path",
    "LocalComparison",
    "check_local_hypotheses",
    "compare_to_baseline",
    "homogeneous_chain",
    "local_comparison",
    "reachable_pairs",
    "reachable_states",
    "trade_events",
]


# ---------------------------------------------------------------------- events
def reachable_states(model: ChainModel) -> np.ndarray:
    """R[i, k] = P(v_i = w_k) > 0 along the valuation chain, players i = 0..n.

    This is the support of the valuation law (Assumption 2.1), not of the trade path:
    it does not depend on the mechanism or on which trades happen.

    >>> from datamech.models.chain import paper_model
    >>> reachable_states(paper_model(1, n=2)).sum(axis=1).tolist()  # indices 0, +-2, +-4
    [1, 5, 9]
    """
    _check_model(model)
    n, L = model.n, model.L
    out = np.zeros((n + 1, L), dtype=bool)
    if model.start is not None:
        out[0, model.start] = True
    else:
        out[0] = np.asarray(model.start_distribution != 0, dtype=bool)
    for i in range(1, n + 1):
        out[i] = (out[i - 1][:, None] & _support(model, i)).any(axis=0)
    return out


def reachable_pairs(model: ChainModel) -> np.ndarray:
    """M[i-1, k, l] = P(v_{i-1} = w_k) > 0 and Q_i[k, l] > 0, trades i = 1..n.

    >>> from datamech.models.chain import paper_model
    >>> reachable_pairs(paper_model(1, n=2)).sum(axis=(1, 2)).tolist()
    [5, 25]
    """
    states = reachable_states(model)
    return np.stack([states[i - 1][:, None] & _support(model, i) for i in range(1, model.n + 1)])


def trade_events(
    model: ChainModel, equilibrium: ChainEquilibrium, reachable: bool = False
) -> np.ndarray:
    """Equilibrium trade events E_i of Theorems 4.3 and 4.4 as boolean (n, L, L) arrays.

    ``E[i-1, k, l]`` is true when buyer i with value w_l accepts the price of seller i-1
    with value w_k, s~_i(w_l) >= p~_{i-1}(w_k), compared exactly as the solver compared
    them (exact rationals, or floats with the equilibrium's tolerance).

    Parameters
    ----------
    model : ChainModel
        The chain the equilibrium was solved for.
    equilibrium : ChainEquilibrium
        From :func:`solve_equilibrium` on ``model``.
    reachable : bool
        Keep only the pairs the valuation chain can produce (:func:`reachable_pairs`).

    Examples
    --------
    >>> from datamech.models.chain import paper_model
    >>> m = paper_model(2, n=2)
    >>> eq = solve_equilibrium(m, exact=True, tie_break="low")
    >>> E = trade_events(m, eq, reachable=True)
    >>> E.shape, E[0].sum()  # trade 1 from v_0 = 0: 2 of the 3 reachable buyers accept
    ((2, 5, 5), np.int64(2))
    """
    _check_model(model)
    if not isinstance(equilibrium, ChainEquilibrium):
        raise ModelError(
            "equilibrium", f"expected a ChainEquilibrium, got {type(equilibrium).__name__}"
        )
    if (equilibrium.n, equilibrium.L) != (model.n, model.L) or not _same_numbers(
        equilibrium.values,
        model.exact()["values"] if equilibrium.exact else model.floats()["values"],
    ):
        raise ModelError("equilibrium", "was not solved on this model's chain (n, grid differ)")
    ar = arithmetic(equilibrium.exact, equilibrium.tol)
    u, p = equilibrium.thresholds, equilibrium.prices
    events = np.stack(
        [np.asarray(acceptance(u[i], p[i - 1], ar), dtype=bool) for i in range(1, model.n + 1)]
    )
    if reachable:
        events &= reachable_pairs(model)
    return events


# ---------------------------------------------------------------------- Theorem 4.4
@dataclass(frozen=True)
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

    status: str
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
    solver: str
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
    _check_model(model)
    check_tie_rule(tie_break)
    other = _with_matrix(model, mechanism, alpha, "mechanism")
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
    positivity, homogeneity = _assumptions(model)
    holds = bool(contained_reachable.all()) and (welfare_improves or not balanced)
    return BaselineComparison(
        status="holds" if holds else "violated",
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
        solver=method,
        seconds=seconds,
        n=model.n,
        L=model.L,
        equilibrium_raw=eq_raw,
        equilibrium=eq_t,
    )


# ---------------------------------------------------------------------- Theorem 4.3
@dataclass(frozen=True)
class LocalComparison(ResultMixin):
    """Theorem 4.3 on one chain for mechanisms t^1, t^2 that differ in player i's shares.

    ``events_equal[j-1]`` says E_j^1 = E_j^2 and ``events_contained[j-1]`` says E_j^1 is
    within E_j^2 (on reachable pairs when ``reachable``).  Conclusion 1: equality for
    every j != i+1; conclusion 2: containment for j = i+1.  ``violations`` lists
    (conclusion, trade j, k_{j-1}, k_j, side), side 1 for a pair only in E_j^1 and 2 for
    a pair only in E_j^2.  ``prices_lower`` is the proof's statement (1),
    p~_i^2(w_k) <= p~_i^1(w_k) at every reachable w_k of player i.
    ``only_player_differs`` says t^1 and t^2 agree outside column i, the theorem's
    prose ("differ only in how revenue is allocated to player i"); hypotheses (a)-(d)
    as printed allow t^1_{i'+1,i'} != t^2_{i'+1,i'} for i' < i, and conclusion 1 can
    fail when one of them is 0 (that seller is then indifferent among all prices).
    """

    status: str
    holds: bool
    conclusion1: bool
    conclusion2: bool
    prices_lower: bool
    only_player_differs: bool
    player: int
    events_equal: np.ndarray
    events_contained: np.ndarray
    violations: tuple
    positivity: bool
    homogeneity: bool
    reachable: bool
    tie_break: str
    exact: bool
    tol: float
    solver: str
    seconds: float
    n: int
    L: int
    equilibrium1: ChainEquilibrium
    equilibrium2: ChainEquilibrium

    _skip_fields = ("equilibrium1", "equilibrium2")
    _frame_fields = ("events_equal", "events_contained")


def check_local_hypotheses(t1: Any, t2: Any, player: int) -> None:
    """Raise :class:`ModelError` naming the first hypothesis of Theorem 4.3 that fails.

    With trades j = 1..n (rows) and players 0..n (columns), i = ``player``:
    (a) t^1_{j,i'} = t^2_{j,i'} for all j > i' > i;
    (b) t^1_{j,i} <= t^2_{j,i} for all j >= i+2;
    (c) t^1_{i+1,i} >= t^2_{i+1,i};
    (d) t^k_{j,i'} = 0 for all i' < i, k = 1, 2, unless j = i'+1.
    Entries are compared exactly (floats as the decimals they print as).

    >>> from datamech.models.chain import ave_matrix, raw_matrix
    >>> check_local_hypotheses(raw_matrix(2), ave_matrix(2), 1)  # only column 1 differs
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: hypothesis (d): t^2[2,0] = 1/2 but players before 1 may only be paid by their own sale
    >>> t1 = raw_matrix(2)
    >>> t1[1, 1] = Fraction(1, 2)  # trade 2 pays player 1 half, the rest leaves the chain
    >>> check_local_hypotheses(t1, ave_matrix(2), 0) is None  # AVE: player 0 gets that half
    True
    """
    a, b = exact_array(t1), exact_array(t2)
    if a.ndim != 2 or a.shape != b.shape or a.shape[1] != a.shape[0] + 1:
        raise ModelError("t2", f"t^1 and t^2 must both be n x (n+1), got {a.shape} and {b.shape}")
    n = a.shape[0]
    if isinstance(player, bool) or not isinstance(player, (int, np.integer)):
        raise ModelError("player", f"must be an integer, got {player!r}")
    if not 0 <= player < n:
        raise ModelError("player", f"must be a seller 0..{n - 1}, got {player}")
    i = int(player)
    for j in range(1, n + 1):
        for col in range(i + 1, j):
            if a[j - 1, col] != b[j - 1, col]:
                raise ModelError(
                    "hypothesis (a)",
                    f"t^1[{j},{col}] = {a[j - 1, col]} but t^2[{j},{col}] = {b[j - 1, col]} "
                    f"(players after {i} must be paid the same)",
                )
    for j in range(i + 2, n + 1):
        if a[j - 1, i] > b[j - 1, i]:
            raise ModelError(
                "hypothesis (b)",
                f"t^1[{j},{i}] = {a[j - 1, i]} > t^2[{j},{i}] = {b[j - 1, i]} "
                f"(player {i}'s future shares may only grow)",
            )
    if a[i, i] < b[i, i]:
        raise ModelError(
            "hypothesis (c)",
            f"t^1[{i + 1},{i}] = {a[i, i]} < t^2[{i + 1},{i}] = {b[i, i]} "
            f"(player {i}'s own-sale share may only shrink)",
        )
    for name, t in (("t^1", a), ("t^2", b)):
        for col in range(i):
            for j in range(1, n + 1):
                if j != col + 1 and t[j - 1, col] != 0:
                    raise ModelError(
                        "hypothesis (d)",
                        f"{name}[{j},{col}] = {t[j - 1, col]} but players before {i} may only "
                        "be paid by their own sale",
                    )


def local_comparison(
    model: ChainModel,
    t1: Any,
    t2: Any,
    player: int,
    *,
    tie_break: str = "low",
    exact: bool = True,
    tol: float | None = None,
    method: str = "fast",
    reachable: bool = True,
) -> LocalComparison:
    """Check Theorem 4.3 (local comparison) for t^1, t^2 and player i on a chain.

    The hypotheses (a)-(d) are checked first (:func:`check_local_hypotheses`, a
    :class:`ModelError` naming the failing one); positivity and homogeneity are reported,
    not required.  Then both equilibria are solved with the same tie rule and the
    conclusions are compared pair by pair: 1. E_j^1 = E_j^2 for every j != i+1;
    2. E_{i+1}^1 within E_{i+1}^2.

    Parameters
    ----------
    model : ChainModel
        The chain; its own mechanism is ignored.
    t1, t2 : array (n, n+1) or ChainModel
        The two feasible reallocation matrices (a model: its matrix, same chain).
    player : int
        The player i (0..n-1) whose shares differ.
    tie_break, exact, tol, method
        As in :func:`compare_to_baseline`.
    reachable : bool
        Judge the conclusions on reachable pairs only (default), or on every grid pair.

    Returns
    -------
    LocalComparison

    Examples
    --------
    >>> from datamech.models.chain import raw_matrix
    >>> t1 = raw_matrix(3)
    >>> t1[2, 2] = Fraction(1, 2)  # trade 3 pays its seller half
    >>> t2 = t1.copy()
    >>> t2[2, 1], t2[1, 1] = Fraction(1, 2), Fraction(1, 4)  # player 1: more later, less now
    >>> res = local_comparison(homogeneous_chain(3, ratio=2), t1, t2, 1)
    >>> res.conclusion1, res.conclusion2, res.events_equal.tolist()
    (True, True, [True, False, True])
    >>> res.equilibrium1.trade_success[1], res.equilibrium2.trade_success[1]
    (Fraction(4, 25), Fraction(6, 25))
    """
    _check_model(model)
    check_tie_rule(tie_break)
    m1 = _with_matrix(model, t1, None, "t1")
    m2 = _with_matrix(model, t2, None, "t2")
    check_local_hypotheses(m1.reallocation, m2.reallocation, player)
    i = int(player)
    t0 = time.perf_counter()
    eq1 = solve_equilibrium(m1, method=method, tie_break=tie_break, exact=exact, tol=tol)
    eq2 = solve_equilibrium(m2, method=method, tie_break=tie_break, exact=exact, tol=tol)
    seconds = time.perf_counter() - t0
    e1, e2 = trade_events(m1, eq1), trade_events(m2, eq2)
    if reachable:
        mask = reachable_pairs(model)
        e1, e2 = e1 & mask, e2 & mask
    only1, only2 = e1 & ~e2, e2 & ~e1
    equal = ~(only1 | only2).any(axis=(1, 2))
    contained = ~only1.any(axis=(1, 2))
    violations = []
    for j in range(1, model.n + 1):
        if j == i + 1:
            violations += [(2, j, int(k), int(l), 1) for k, l in np.argwhere(only1[j - 1])]
        else:
            violations += [(1, j, int(k), int(l), 1) for k, l in np.argwhere(only1[j - 1])]
            violations += [(1, j, int(k), int(l), 2) for k, l in np.argwhere(only2[j - 1])]
    conclusion1 = bool(all(equal[j - 1] for j in range(1, model.n + 1) if j != i + 1))
    conclusion2 = bool(contained[i])
    ar = arithmetic(eq1.exact, eq1.tol)
    sellers = reachable_states(model)[i] if reachable else np.ones(model.L, dtype=bool)
    lower = np.asarray(ar.geq(eq1.prices[i], eq2.prices[i]), dtype=bool)
    positivity, homogeneity = _assumptions(model)
    holds = conclusion1 and conclusion2
    a, b = exact_array(m1.reallocation), exact_array(m2.reallocation)
    others = [c for c in range(model.n + 1) if c != i]
    return LocalComparison(
        status="holds" if holds else "violated",
        holds=holds,
        conclusion1=conclusion1,
        conclusion2=conclusion2,
        prices_lower=bool(lower[sellers].all()),
        only_player_differs=bool(np.all(a[:, others] == b[:, others])),
        player=i,
        events_equal=equal,
        events_contained=contained,
        violations=tuple(violations),
        positivity=positivity,
        homogeneity=homogeneity,
        reachable=reachable,
        tie_break=tie_break,
        exact=eq1.exact,
        tol=eq1.tol,
        solver=method,
        seconds=seconds,
        n=model.n,
        L=model.L,
        equilibrium1=eq1,
        equilibrium2=eq2,
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


# ---------------------------------------------------------------------- homogeneous chains
def homogeneous_chain(
    n: int,
    steps: Any = None,
    ratio: Any = 2,
    *,
    start: Mapping[int, Any] | None = None,
    margin: int = 0,
    sentinels: bool = True,
    mechanism: str = "RAW",
    alpha: Any = None,
    matrix: Any = None,
    name: str = "",
) -> ChainModel:
    """A chain satisfying positivity (4.1) and homogeneity (4.2) on its reachable part.

    Values lie on the multiplicative grid w_m = g^m (g = ``ratio`` > 1) and the index
    moves by a random walk: v_i = w_{m+D} given v_{i-1} = w_m, with D drawn from a fixed
    step law, so the law of v_i / v_{i-1} is the same at every value.  The grid's indices
    run over every index the walk can reach in n steps from the start (like the paper's
    Model 1, -2n..2n for five-neighbour steps from w_0), widened by ``margin``.  Rows
    whose walk would leave the grid are clipped (mass piles on the end), but no reachable
    state uses such a row: trade i's row at a reachable v_{i-1} stays inside.  Hence
    F_i(g^a v | g^a w) = F_i(v | w) holds exactly at every reachable w (on a grid the
    scale group is g^Z, which is all Lemma C.2 needs at grid points), and every
    reachable value is positive.  Homogeneity does not hold at unreachable grid points.

    Parameters
    ----------
    n : int
        Number of trades.
    steps : mapping or sequence, optional
        The law of D: a mapping {offset: probability} or a sequence of probabilities for
        offsets -d..d (odd length); or a list of n such laws, one per trade (F_i may
        differ across trades).  Default: the paper's five-neighbour walk, D uniform on
        {-2, ..., 2}.  Probabilities given as ints, Fractions or ``"p/q"`` are exact.
    ratio : number
        g > 1.  Exact (rational grid) when an int, a Fraction or ``"p/q"``; a float (e.g.
        ``math.exp(0.5)``, the paper's Model 1) gives a float grid.
    start : mapping, optional
        Law of the start index {offset: probability}; default v_0 = w_0 = 1.
    margin : int
        Extra grid indices on each side.
    sentinels : bool
        Add two unreachable absorbing states: value 0 first in grid order, and a value
        2^n g^(max index) last, above every threshold of the geometric states.  Their
        thresholds are candidate prices meaning "0" and "no sale", so the candidate
        set of an indifferent seller (one who earns nothing from its own sale) has the
        ends of the continuous price range [0, inf).  Without them such a seller's
        ``"low"`` / ``"high"`` pick is the threshold of a boundary grid point, which is
        not homogeneous.  Sellers with a positive own-sale share never pick a sentinel.
    mechanism, alpha, matrix, name
        As in :func:`datamech.models.chain.create`.

    Returns
    -------
    ChainModel

    Examples
    --------
    >>> m = homogeneous_chain(2, {-1: "1/2", 1: "1/2"}, ratio=2)
    >>> [str(w) for w in m.values]
    ['0', '1/4', '1/2', '1', '2', '4', '16']
    >>> m.start, m.values[m.start]
    (3, Fraction(1, 1))
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ModelError("n", f"must be an integer at least 1, got {n!r}")
    n = int(n)
    laws = _step_laws(n, steps)
    start_law = _law(start if start is not None else {0: 1}, "start")
    g = _ratio(ratio)
    if isinstance(margin, bool) or not isinstance(margin, (int, np.integer)) or margin < 0:
        raise ModelError("margin", f"must be an integer >= 0, got {margin!r}")
    if not isinstance(sentinels, bool):
        raise ModelError("sentinels", f"must be true or false, got {sentinels!r}")

    # index range reachable by v_0..v_n
    lo = hi = None
    cur_lo, cur_hi = min(start_law), max(start_law)
    lo, hi = cur_lo, cur_hi
    for law in laws:
        cur_lo, cur_hi = cur_lo + min(law), cur_hi + max(law)
        lo, hi = min(lo, cur_lo), max(hi, cur_hi)
    lo, hi = lo - int(margin), hi + int(margin)
    ms = list(range(lo, hi + 1))
    values: list[Any] = [g**m for m in ms]
    offset = 1 if sentinels else 0
    L = len(ms) + 2 * offset
    exact = isinstance(g, Fraction) and all(
        isinstance(q, Fraction) for law in [*laws, start_law] for q in law.values()
    )
    zero = Fraction(0) if exact else 0.0
    if sentinels:
        values = [zero, *values, (2**n) * values[-1]]

    # probabilities add up exactly when given exactly, whatever the grid's number type
    rational_laws = all(isinstance(q, Fraction) for law in laws for q in law.values())
    mats = []
    for law in laws:
        P = np.full((L, L), Fraction(0) if rational_laws else 0.0, dtype=object)
        for a, m in enumerate(ms):
            for d, q in law.items():
                P[a + offset, min(max(m + d, lo), hi) - lo + offset] += q
        if sentinels:
            P[0, 0] = P[L - 1, L - 1] = Fraction(1) if exact else 1.0
        mats.append(P if exact else P.astype(float))
    kw: dict[str, Any] = {}
    if len(start_law) == 1:
        kw["start"] = next(iter(start_law)) - lo + offset
    else:
        sd = np.full(L, zero, dtype=object)
        for d, q in start_law.items():
            sd[d - lo + offset] = q
        kw["start_distribution"] = sd if exact else sd.astype(float)
    shared = all(_law_equal(law, laws[0]) for law in laws)
    trans: dict[str, Any] = {"transition": mats[0]} if shared else {"transitions": np.stack(mats)}
    label = name or f"homogeneous chain (g = {ratio}, n = {n})"
    return create(
        n,
        np.array(values, dtype=object) if exact else np.array(values, dtype=float),
        **trans,
        **kw,
        mechanism=mechanism,
        alpha=alpha,
        matrix=matrix,
        name=label,
    )


# ---------------------------------------------------------------------- helpers
def _check_model(model: Any) -> None:
    if not isinstance(model, ChainModel):
        raise ModelError("model", f"expected a ChainModel, got {type(model).__name__}")


def _support(model: ChainModel, i: int) -> np.ndarray:
    """Boolean Q_i[k, l] > 0 (trade i, 1-based), read from the stored numbers."""
    trans = model.transition
    Q = trans[i - 1] if trans.ndim == 3 else trans
    return np.asarray(Q != 0, dtype=bool)


def _same_numbers(a: np.ndarray, b: np.ndarray) -> bool:
    if a.shape != b.shape:
        return False
    if a.dtype == object or b.dtype == object:
        return all(x == y for x, y in zip(a.flat, b.flat, strict=True))
    return bool(np.array_equal(a, b))


def _same_chain(a: ChainModel, b: ChainModel) -> bool:
    if (a.n, a.L, a.start) != (b.n, b.L, b.start):
        return False
    pairs = [(a.values, b.values), (a.transition, b.transition)]
    if a.start_distribution is not None:
        if b.start_distribution is None:
            return False
        pairs.append((a.start_distribution, b.start_distribution))
    return all(
        x.shape == y.shape and _same_numbers(exact_array(x), exact_array(y)) for x, y in pairs
    )


def _with_matrix(model: ChainModel, mech: Any, alpha: Any, field_name: str) -> ChainModel:
    """``model``'s chain under the mechanism ``mech`` (matrix, model on the chain, or name)."""
    if isinstance(mech, ChainModel):
        if not _same_chain(model, mech):
            raise ModelError(
                field_name, "is a model on another chain (n, grid, transitions or start differ)"
            )
        return model.with_mechanism("matrix", matrix=mech.reallocation)
    if isinstance(mech, str):
        return model.with_mechanism(mech, alpha=alpha)
    return model.with_mechanism("matrix", matrix=mech)


def _rows(t: Any) -> int:
    try:
        return len(t)
    except TypeError:
        raise ModelError("t", f"must be an n x (n+1) matrix, got {t!r}") from None


def _budget_balanced(t: np.ndarray) -> bool:
    if t.dtype == object:
        return all(sum(row, Fraction(0)) == 1 for row in t)
    return bool(np.all(np.abs(t.sum(axis=1) - 1) <= FLOAT_TOL))


def _assumptions(model: ChainModel) -> tuple[bool, bool]:
    """(positivity, homogeneity) of the valuation law on its reachable part.

    Homogeneity on a grid: for every trade, the law of v_i / v_{i-1} given v_{i-1} = w_k
    is the same at every reachable w_k > 0 (ratios and probabilities compared exactly
    for rational models, to 9 significant digits for float ones).
    """
    states = reachable_states(model)
    exact = model.is_rational
    W = model.exact()["values"] if exact else model.floats()["values"]
    positivity = all(W[k] > 0 for k in np.flatnonzero(states.any(axis=0)))
    for i in range(1, model.n + 1):
        Q = model.Q(i, exact=exact)
        laws = []
        for k in np.flatnonzero(states[i - 1]):
            if not W[k] > 0:
                continue
            law: dict[Any, Any] = {}
            for l in np.flatnonzero(_support(model, i)[k]):
                key = W[l] / W[k] if exact else float(f"{W[l] / W[k]:.9g}")
                law[key] = law.get(key, 0) + Q[k, l]
            laws.append(law)
        if not all(_law_equal(law, laws[0]) for law in laws[1:]):
            return positivity, False
    return positivity, True


def _law_equal(a: Mapping, b: Mapping) -> bool:
    if a.keys() != b.keys():
        return False
    return all(
        a[x] == b[x]
        if isinstance(a[x], Fraction) and isinstance(b[x], Fraction)
        else math.isclose(float(a[x]), float(b[x]), rel_tol=1e-9, abs_tol=1e-12)
        for x in a
    )


def _law(spec: Any, field_name: str) -> dict[int, Any]:
    """A law over integer offsets from a mapping or a centred sequence; zero masses dropped."""
    if isinstance(spec, Mapping):
        items = list(spec.items())
    elif isinstance(spec, (Sequence, np.ndarray)) and not isinstance(spec, str):
        if len(spec) % 2 != 1:
            raise ModelError(
                field_name,
                f"a sequence of probabilities needs odd length (offsets -d..d), got {len(spec)}",
            )
        d = len(spec) // 2
        items = list(zip(range(-d, d + 1), spec, strict=True))
    else:
        raise ModelError(field_name, f"must be a mapping offset -> probability, got {spec!r}")
    law: dict[int, Any] = {}
    for off, q in items:
        if isinstance(off, bool) or not isinstance(off, (int, np.integer)):
            raise ModelError(field_name, f"offsets must be integers, got {off!r}")
        try:
            x = to_number(q)
        except (TypeError, ValueError, ZeroDivisionError):
            raise ModelError(field_name, f"probability {q!r} is not a number") from None
        if isinstance(x, float) and not math.isfinite(x):
            raise ModelError(field_name, f"probability {q!r} is not finite")
        if x < 0:
            raise ModelError(field_name, f"probability of offset {off} is negative ({q})")
        if x != 0:
            law[int(off)] = law.get(int(off), 0) + x
    if not law:
        raise ModelError(field_name, "has no positive probability")
    total = sum(law.values())
    exact = all(isinstance(x, Fraction) for x in law.values())
    if (exact and total != 1) or (not exact and abs(float(total) - 1) > FLOAT_TOL):
        raise ModelError(field_name, f"probabilities sum to {total}, not 1")
    if not exact:
        law = {d: float(x) for d, x in law.items()}
    return law


def _step_laws(n: int, steps: Any) -> list[dict[int, Any]]:
    if steps is None:
        return [dict.fromkeys(range(-2, 3), Fraction(1, 5))] * n
    per_trade = (
        isinstance(steps, (Sequence, np.ndarray))
        and not isinstance(steps, str)
        and len(steps) > 0
        and isinstance(steps[0], (Mapping, Sequence, np.ndarray))
        and not isinstance(steps[0], str)
    )
    if not per_trade:
        return [_law(steps, "steps")] * n
    if len(steps) != n:
        raise ModelError("steps", f"give one step law or n = {n} laws, got {len(steps)}")
    return [_law(s, f"steps[{i}]") for i, s in enumerate(steps)]


def _ratio(ratio: Any) -> Fraction | float:
    if isinstance(ratio, bool):
        raise ModelError("ratio", f"must be a number > 1, got {ratio!r}")
    if isinstance(ratio, (float, np.floating)):
        g: Fraction | float = float(ratio)
        if not math.isfinite(g):
            raise ModelError("ratio", f"must be finite, got {ratio!r}")
    else:
        try:
            g = to_fraction(ratio)
        except (TypeError, ValueError, ZeroDivisionError):
            raise ModelError("ratio", f"must be a number > 1, got {ratio!r}") from None
    if not g > 1:
        raise ModelError("ratio", f"must be greater than 1, got {ratio!r}")
    return g
