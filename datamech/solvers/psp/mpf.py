"""Market price functions as float step functions, and the replies built on them.

One auction's market price function (eq. 1) seen by buyer i is the step function
P_i^j(z) = inf{y >= 0 : D_i^j(y) >= z}, D_i^j(y) = [Q_j − Σ_{k≠i: p_kj > y} q_kj]^+ (eq. 2;
the reserve bid (Q_j, r_j) is one of the k).  :func:`price_steps` returns it as ``ends``
and ``levels``: price ``levels[k]`` on (ends[k−1], ends[k]] (ends[−1] = 0), up to
ends[−1] = Q_j; beyond it nothing more can be bought.  This is the numpy twin of the
exact :func:`~.auction.market_price_function` (the tests compare them).

Replies that aggregate several auctions differently from the R-MPF of the data market
(spec §2.2) combine these steps:

* the **route** market-price function Σ_{l ∈ r_i} P_i^l(z) (spec §2.10, [LS] networked
  PSP: the same quantity on every link of the route);
* the **equal split** over a pool of n sellers, (1/n) Σ_{j ∈ pool} P_i^j(z/n) (spec §2.2,
  the marginal price of the total z when z/n is bought at each).

:func:`combine` builds either as one step function of the total z and
:func:`truthful_quantity` finds sup{z : θ'(z) > P(z)} on it (spec §2.7, [LS] Prop. 1).

Examples
--------
What buyer E sees at seller 2 in REG-1 (spec §4.2): 1.2 on (0, 39], 1.5 on (39, 65],
2 on (65, 85]; with a route through two such links the prices add up.

>>> ends, levels = price_steps(85.0, [50, 40, 26, 20], [1, 1.2, 1.5, 2])
>>> ends.tolist(), levels.tolist()
([39.0, 65.0, 85.0], [1.2, 1.5, 2.0])
>>> Z, C = combine([(ends, levels), (ends, levels)])
>>> Z.tolist(), C.tolist()
([39.0, 65.0, 85.0], [2.4, 3.0, 4.0])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Steps = tuple[np.ndarray, np.ndarray]


def price_steps(Q: float, qty: Sequence, price: Sequence) -> Steps:
    """P^j(z) of one auction of supply ``Q`` against the bids (``qty``, ``price``).

    Returns ``(ends, levels)``: ascending segment ends (the last is Q) and the price on
    each segment; segments of zero length are dropped.  Units nobody bids on cost 0.

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.
    """
    q = np.asarray(qty, dtype=float)
    p = np.asarray(price, dtype=float)
    lv = np.unique(p)
    # D(y) at each price level: Q − (quantity bid strictly above y)
    order = np.argsort(p)
    cum = np.concatenate(([0.0], np.cumsum(q[order])))
    above = cum[-1] - cum[np.searchsorted(p[order], lv, side="right")]
    D = np.maximum(Q - above, 0.0)
    free = max(Q - cum[-1], 0.0)
    ends = np.concatenate(([free], D))
    levels = np.concatenate(([0.0], lv))
    keep = np.diff(np.concatenate(([0.0], ends))) > 0
    ends, levels = ends[keep], levels[keep]
    if ends.size == 0 or ends[-1] < Q:  # float residue: the top level reaches Q
        ends = np.append(ends, Q)
        levels = np.append(levels, lv[-1] if lv.size else 0.0)
    return ends, levels


def evaluate(steps: Steps, z: np.ndarray) -> np.ndarray:
    """P(z) at each z in (0, ends[−1]] (the level of the segment holding z)."""
    ends, levels = steps
    idx = np.searchsorted(ends, np.asarray(z, dtype=float), side="left")
    return levels[np.minimum(idx, ends.size - 1)]


def next_price(steps: Steps, x: float) -> float:
    """P(x+): the price of the next unit after the first x (inf when none is left).

    ``x`` within a relative 1e-9 of a segment end counts as that end (a reply's split
    is computed with other sums than the steps)."""
    ends, levels = steps
    idx = int(np.searchsorted(ends, x + 1e-9 * max(abs(x), 1.0), side="right"))
    return float(levels[idx]) if idx < ends.size else float("inf")


def combine(steps: Sequence[Steps], n: int = 1, average: bool = False) -> Steps:
    """One step function of the total z from several auctions' steps.

    With ``n = 1`` and ``average = False``: the route price Σ_l P^l(z) on
    (0, min_l Q_l].  With ``n`` auctions and ``average = True``: the equal-split price
    (1/n) Σ_j P^j(z/n) on (0, n·min_j Q_j].
    """
    top = min(float(e[-1]) for e, _ in steps) * n
    Z = np.unique(np.concatenate([e * n for e, _ in steps]))
    Z = Z[(Z > 0) & (Z <= top)]
    C = sum(evaluate(s, Z / n) for s in steps)
    if average:
        C = C / n
    return Z, np.asarray(C, dtype=float)


def truthful_quantity(valuation, Z: np.ndarray, C: np.ndarray) -> float:
    """sup{z : θ'(z) > P(z)} for the step function P = C on (Z[k−1], Z[k]] (0 if empty).

    On each segment θ' (non-increasing) exceeds the constant C[k] exactly up to the
    demand d(C[k]) = sup{z : θ'(z) > C[k]}, so the sup is the largest min(Z[k], d(C[k]))
    over segments with d(C[k]) > Z[k−1].
    """
    if Z.size == 0:
        return 0.0
    starts = np.concatenate(([0.0], Z[:-1]))
    d = np.asarray(valuation.demand(C), dtype=float).reshape(Z.shape)
    ok = d > starts
    if not ok.any():
        return 0.0
    return float(np.max(np.minimum(Z, d)[ok]))


def steps_of(market, i: int, j: int, q: np.ndarray, p: np.ndarray) -> Steps:
    """Buyer i's P_i^j at seller j: the opponents' bids and the reserve bid (Q_j, r_j)."""
    _, qs, ps = market.auction_book(j, q, p, skip=i)
    return price_steps(float(market.Q[j]), qs, ps)
