"""Independent ε-Nash check of a bid profile (spec §2.7 note, §2.9 Def 1.1, G3).

For buyer i the best any deviation can do is sup_z θ_i(z) − C_i(z), with C_i(z) the
cheapest way to obtain z units across its auctions: any bid pays at least the
displaced units' bids (eq. 4), and a bid of x at a price above every opponent at
seller j gets exactly x at cost c_j(x) (spec §2.7 proof sketch).  This module computes
c_j(x) by clearing the auction with eq. (4) at every breakpoint (the reference
:func:`~.auction.allocate`, not the market-price-function code of the best reply),
merges the convex curves by slope and maximizes θ_i − C_i exactly segment by segment.

The profile is an ε'-Nash equilibrium with ε' = ``factor`` · ε when every buyer's gap
sup − u_i(s) is at most ε' (default factor 2: a stop of the dynamics guarantees only
2ε, spec §2.7).

Participation costs ϱ_i (spec §1.4): a deviation that bids at the sellers S pays ϱ_i|S|,
so the search runs over every subset S of the buyer's sellers (up to
:data:`MAX_SUBSET_SELLERS` of them; beyond, ϱ_i is charged once, an upper bound on the
deviation value, so a passed check still certifies).  Route market (spec §2.10): a
deviation buys the same x on every link of the route (units beyond the thinnest link
are worth nothing), so the search maximizes θ_i(x) − Σ_l c_l(x) − ϱ_i|r_i| over x, the
sum of the links' convex cost curves.

Examples
--------
>>> from datamech.models.psp import PSPModel
>>> from datamech.models.psp_valuations import LinearCappedValuation as L
>>> from datamech.solvers.psp.market import Market
>>> m = Market(PSPModel([10.0], ("a",), (L(1.0, 4.0),), 0.1))
>>> q, p = m.zero_profile()
>>> chk = check_eps_nash(m, q, p)
>>> chk.ok, round(chk.max_violation, 6), chk.tolerance   # 4 units at the reserve 0.1 gain 3.6
(False, 3.6, 0.2)
"""

from __future__ import annotations

import numpy as np

from ...progress import progress
from ...results import Certificate
from .auction import allocate
from .market import TINY, Market

METHOD = "exact search of each checked buyer's best deviation sup_z θ_i(z) − C_i(z) (eq. 4)"
#: Largest number of a buyer's sellers whose subsets are searched one by one under ϱ_i > 0.
MAX_SUBSET_SELLERS = 12


def cost_curve(market: Market, i: int, j: int, q: np.ndarray, p: np.ndarray):
    """Breakpoints x_k and costs c_j(x_k) (eq. 4) of buying x at seller j with a top price.

    Returns ``(xs, cs)``: c_j is linear between consecutive breakpoints.
    """
    ids, qs, ps = market.auction_book(j, q, p, skip=i)
    Qj = market.Q[j]
    base = allocate(qs, ps, Qj, market.tie_break)
    free = max(Qj - base.sum(), 0.0)
    # units are displaced cheapest first: one breakpoint per opponent price level
    levels = np.unique(ps[base > TINY])
    per_level = np.array([base[ps == y].sum() for y in levels])
    xs = np.concatenate(([0.0, free], free + np.cumsum(per_level)))
    xs = np.minimum(xs, Qj)
    # a strictly highest bid of x leaves Q − x to the others (eqs. 2–3 / 20)
    after = allocate(qs, ps, np.maximum(Qj - xs, 0.0), market.tie_break)
    cs = (base[None, :] - after) @ ps
    return xs, cs


def _segments(market: Market, i: int, j: int, q: np.ndarray, p: np.ndarray):
    """Lengths and slopes of c_j's linear pieces (:func:`cost_curve`), zero lengths dropped."""
    xs, cs = cost_curve(market, i, j, q, p)
    dx = np.diff(xs)
    ok = dx > TINY
    return dx[ok], np.diff(cs)[ok] / dx[ok]


def _best_on_merged(val, th0: float, L: np.ndarray, S: np.ndarray) -> float:
    """max_z θ(z) − C(z), C the convex piecewise-linear cost with pieces (L, S) (any
    order): merge by slope, then on each piece the best z is the demand at its slope."""
    order = np.argsort(S, kind="stable")
    L, S = L[order], S[order]
    keep = S < th0  # units dearer than θ'(0) never pay
    L, S = L[keep], S[keep]
    if L.size == 0:
        return 0.0
    z_end = np.cumsum(L)
    z_start = z_end - L
    c_start = np.concatenate(([0.0], np.cumsum(L * S)[:-1]))
    zc = np.clip(np.asarray(val.demand(S), dtype=float), z_start, z_end)
    cand = np.asarray(val.value(zc), dtype=float) - (c_start + S * (zc - z_start))
    return float(max(0.0, cand.max()))


def _best_on_route(market: Market, i: int, q: np.ndarray, p: np.ndarray) -> float:
    """max_x θ_i(x) − Σ_{l ∈ r_i} c_l(x) − ϱ_i |r_i| (and 0: no bid), x up to the
    thinnest link."""
    val = market.vals[i]
    curves = [cost_curve(market, i, int(l), q, p) for l in market.neighbours[i]]
    top = min(float(xs[-1]) for xs, _ in curves)
    X = np.unique(np.concatenate([xs for xs, _ in curves]))
    X = X[X <= top]
    C = sum(np.interp(X, xs, cs) for xs, cs in curves)
    dx = np.diff(X)
    ok = dx > TINY
    if not ok.any():
        return 0.0
    slopes = np.diff(C)[ok] / dx[ok]
    lo, hi, c0 = X[:-1][ok], X[1:][ok], C[:-1][ok]
    zc = np.clip(np.asarray(val.demand(slopes), dtype=float), lo, hi)
    cand = np.asarray(val.value(zc), dtype=float) - (c0 + slopes * (zc - lo))
    best = float(cand.max()) - market.rho[i] * len(curves)
    return max(0.0, best)


def best_deviation_value(market: Market, i: int, q: np.ndarray, p: np.ndarray) -> float:
    """sup over all of buyer i's bids of u_i(s_i'; s_{-i}) (independent search).

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.
    """
    if market.kind == "route":
        return _best_on_route(market, i, q, p)
    val = market.vals[i]
    th0 = market.theta0[i]
    pieces = [_segments(market, i, int(j), q, p) for j in market.neighbours[i]]
    pieces = [(L, S) for L, S in pieces if L.size]
    if not pieces:
        return 0.0
    rho = float(market.rho[i])
    if rho == 0.0 or len(pieces) > MAX_SUBSET_SELLERS:
        best = _best_on_merged(val, th0, *map(np.concatenate, zip(*pieces, strict=True)))
        return max(0.0, best - rho) if best > 0 else 0.0
    best = 0.0
    for mask in range(1, 2 ** len(pieces)):
        chosen = [pieces[k] for k in range(len(pieces)) if mask >> k & 1]
        value = _best_on_merged(val, th0, *map(np.concatenate, zip(*chosen, strict=True)))
        best = max(best, value - rho * len(chosen))
    return best


def check_eps_nash(
    market: Market,
    q: np.ndarray,
    p: np.ndarray,
    factor: float = 2.0,
    buyers: np.ndarray | None = None,
) -> Certificate:
    """Check that no buyer gains more than ``factor`` · ε by any deviation.

    Parameters
    ----------
    market : Market
    q, p : arrays (n, J)
        The profile.
    factor : float
        Tolerance in units of ε (2 by default: a truthful ε-best reply, draft eq. (46), is a 2ε
        best reply).
    buyers : array of int, optional
        Which buyers to check (default all).

    Returns
    -------
    Certificate
        ``max_violation`` is the largest gain sup_dev u_i − u_i(s) found, ``tolerance``
        is factor · ε; ``detail`` holds ``checked`` (how many buyers), ``buyers``
        (their indices), ``gaps`` and ``best_values`` (per checked buyer) and
        ``worst_buyer`` (the index with the largest gap, or None).

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.
    """
    idx = np.arange(market.n) if buyers is None else np.asarray(buyers, dtype=int)
    gaps = np.zeros(idx.size)
    best = np.zeros(idx.size)
    for m, i in enumerate(progress(idx, desc="2ε-Nash check", unit="buyer", min_total=500)):
        best[m] = best_deviation_value(market, i, q, p)
        gaps[m] = best[m] - market.utility(i, q[i], p[i], q, p)
    tol = factor * market.eps
    max_gap = float(gaps.max()) if gaps.size else 0.0
    return Certificate(
        ok=bool(max_gap <= tol + 1e-9),
        max_violation=max_gap,
        tolerance=tol,
        method=METHOD,
        detail={
            "checked": int(idx.size),
            "buyers": idx,
            "gaps": gaps,
            "best_values": best,
            "worst_buyer": int(idx[int(np.argmax(gaps))]) if gaps.size else None,
        },
    )
