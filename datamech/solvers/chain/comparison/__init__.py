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

from .baseline import BaselineComparison, baseline_path, compare_to_baseline
from .events import reachable_pairs, reachable_states, trade_events
from .homogeneous import homogeneous_chain
from .local import LocalComparison, check_local_hypotheses, local_comparison

__all__ = [
    "BaselineComparison",
    "LocalComparison",
    "baseline_path",
    "check_local_hypotheses",
    "compare_to_baseline",
    "homogeneous_chain",
    "local_comparison",
    "reachable_pairs",
    "reachable_states",
    "trade_events",
]
