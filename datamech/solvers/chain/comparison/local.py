"""Theorem 4.3 (local comparison) checked on a chain, with its hypotheses (a)-(d)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ....errors import ModelError
from ....models.chain import ChainModel
from ....numeric import exact_array, fmt
from ....results import ResultMixin
from ....status import Status
from ..core import arithmetic, check_tie_rule
from ..equilibrium import ChainEquilibrium, solve_equilibrium
from .events import (
    assumptions,
    check_model,
    reachable_pairs,
    reachable_states,
    trade_events,
    with_matrix,
)

__all__ = ["LocalComparison", "check_local_hypotheses", "local_comparison"]


@dataclass(frozen=True, repr=False)
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

    status: Status
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
    method: str
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

    >>> from fractions import Fraction
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
        raise ModelError("player", f"must be an integer, got {fmt(player)}")
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
    >>> from fractions import Fraction
    >>> from datamech.models.chain import raw_matrix
    >>> from datamech.solvers.chain.comparison import homogeneous_chain
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
    check_model(model)
    check_tie_rule(tie_break)
    m1 = with_matrix(model, t1, None, "t1")
    m2 = with_matrix(model, t2, None, "t2")
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
    positivity, homogeneity = assumptions(model)
    holds = conclusion1 and conclusion2
    a, b = exact_array(m1.reallocation), exact_array(m2.reallocation)
    others = [c for c in range(model.n + 1) if c != i]
    return LocalComparison(
        status=Status.EVALUATED,
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
        method=method,
        seconds=seconds,
        n=model.n,
        L=model.L,
        equilibrium1=eq1,
        equilibrium2=eq2,
    )
