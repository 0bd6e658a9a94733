"""Ironing: weighted pool-adjacent-violators and revenue points on a price ladder (spec 003 §2.1).

Ironing is done on the revenue points (P(V >= p), p P(V >= p)) of an increasing list of
prices p, joined piecewise-linearly (spec §2.1 rules 2 and 3: never the step function).
The slope of the piece between consecutive prices is the discrete Myerson virtual value;
the slopes of the least concave majorant are their weighted isotonic (pool adjacent
violators) regression, with the piece lengths as weights.  This is exact (Fractions) for
exact ladders and vectorized (scipy's PAVA, O(n)) for floats: 10^5 prices take a few
milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize

__all__ = ["PriceLadder", "pava", "pool_equal_runs"]


def pava(y: Sequence[Any], w: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Weighted nondecreasing isotonic regression of ``y`` (pool adjacent violators).

    Returns ``(fit, starts)``: the fitted values and the start index of every pooled
    block.  Exact (Fraction object arrays) when ``y`` is an object array, else scipy's
    vectorized PAVA.  The fit equals the slopes of the least concave majorant of the
    piecewise-linear curve with those slopes, read right to left (Myerson's ironing for
    irregular laws, Myerson 1981).

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.

    Examples
    --------
    >>> from fractions import Fraction
    >>> fit, starts = pava([Fraction(1, 3), -1, 3], [Fraction(3, 5), Fraction(1, 10), Fraction(3, 10)])
    >>> [str(x) for x in fit], starts.tolist()
    (['1/7', '1/7', '3'], [0, 2])
    """
    y_arr = np.asarray(y)
    if y_arr.dtype != object:
        res = optimize.isotonic_regression(
            np.asarray(y, dtype=float), weights=np.asarray(w, dtype=float), increasing=True
        )
        return res.x, np.asarray(res.blocks[:-1])
    vals: list[Any] = []
    wts: list[Any] = []
    starts: list[int] = []
    for j, (yj, wj) in enumerate(zip(y_arr, w, strict=True)):
        vals.append(yj)
        wts.append(wj)
        starts.append(j)
        while len(vals) > 1 and vals[-2] >= vals[-1]:
            wsum = wts[-2] + wts[-1]
            merged = (vals[-2] * wts[-2] + vals[-1] * wts[-1]) / wsum
            vals[-2:] = [merged]
            wts[-2:] = [wsum]
            starts.pop()
    fit = np.empty(len(y_arr), dtype=object)
    bounds = [*starts, len(y_arr)]
    for b in range(len(starts)):
        fit[bounds[b] : bounds[b + 1]] = vals[b]
    return fit, np.asarray(starts)


def pool_equal_runs(fit: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Merge consecutive blocks whose fitted values tie (scipy splits them), so that the
    blocks, and the ironing intervals read from them, are maximal.

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.

    Examples
    --------
    >>> pool_equal_runs(np.array([1.0, 1.0, 2.0]), np.array([0, 1, 2])).tolist()
    [0, 2]
    """
    if len(starts) <= 1:
        return starts
    f = fit[starts]
    keep = np.ones(len(starts), dtype=bool)
    keep[1:] = f[1:] != f[:-1]
    return starts[keep]


@dataclass(frozen=True)
class PriceLadder:
    """Revenue points of a law on an increasing list of prices (Deng et al., Section 2).

    ``prices`` p_1 < ... < p_J, ``upper`` Q_j = P(V >= p_j), and ``mass`` w_j = Q_j - Q_{j+1}
    (Q_{J+1} = 0): the length of price j's piece in quantile space.  ``slope`` is the
    unironed (discrete Myerson) virtual value of the piece, ``ironed`` the slope of the
    least concave majorant and ``blocks`` the start index of every pooled block.

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital Good with
      Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.

    Examples
    --------
    >>> lad = PriceLadder.build(np.array([1.0, 2.0]), np.array([1.0, 0.5]))
    >>> lad.slope.tolist(), lad.ironed.tolist()
    ([0.0, 2.0], [0.0, 2.0])
    """

    prices: np.ndarray
    upper: np.ndarray
    mass: np.ndarray
    slope: np.ndarray
    ironed: np.ndarray
    blocks: np.ndarray

    @classmethod
    def build(
        cls, prices: np.ndarray, upper: np.ndarray, mass: np.ndarray | None = None
    ) -> PriceLadder:
        """The ladder of ``prices`` (increasing) with tail probabilities ``upper``.

        ``mass`` (optional, all positive) gives the pieces' masses directly, as a
        discrete law knows them: then no atom is lost to rounding in ``upper``'s
        differences.  Without it, prices that carry no mass are dropped.
        """
        while mass is None:
            nxt_q = np.append(upper[1:], upper[:1] * 0)
            mass = upper - nxt_q
            keep = mass > 0
            if not np.all(keep):
                prices, upper, mass = prices[keep], upper[keep], None
        nxt_q = np.append(upper[1:], upper[:1] * 0)
        nxt_p = np.append(prices[1:], prices[-1:])
        slope = (upper * prices - nxt_q * nxt_p) / mass
        ironed, blocks = pava(slope, mass)
        return cls(prices, upper, mass, slope, ironed, pool_equal_runs(ironed, blocks))

    def index(self, v: Any) -> np.ndarray:
        """Piece index of value(s) v: the largest j with p_j <= v (0 below the support)."""
        v = np.asarray(v, dtype=float) if self.prices.dtype != object else np.asarray(v)
        idx = np.searchsorted(self.prices, v, side="right") - 1
        return np.clip(idx, 0, len(self.prices) - 1)

    def hull_vertices(self) -> tuple[np.ndarray, np.ndarray]:
        """(q, R-bar(q)) at the majorant's kinks, from q = 0 to q = Q_1."""
        zero = self.upper[0] * 0
        q = np.concatenate([[zero], self.upper[::-1]])
        rbar = np.concatenate([[zero], np.cumsum((self.mass * self.ironed)[::-1])])
        kinks = np.concatenate([[0], len(self.prices) - self.blocks[::-1]])
        return q[kinks], rbar[kinks]

    def curve(self) -> tuple[np.ndarray, np.ndarray]:
        """(q, R(q)) revenue points, from q = 0 to q = Q_1."""
        q = np.concatenate([[0 * self.upper[0]], self.upper[::-1]])
        r = np.concatenate([[0 * self.upper[0]], (self.upper * self.prices)[::-1]])
        return q, r

    def irregular_blocks(self) -> list[tuple[int, int]]:
        """``(a, b)``: pooled blocks ``a:b`` of two or more pieces whose slopes differ
        (the ironing intervals), found with O(J) vectorized reductions.

        >>> PriceLadder.build(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.4, 0.3])).irregular_blocks()
        [(0, 2)]
        """
        starts = np.asarray(self.blocks, dtype=np.intp)
        ends = np.append(starts[1:], len(self.prices))
        lo = np.minimum.reduceat(self.slope, starts)
        hi = np.maximum.reduceat(self.slope, starts)
        irregular = ((ends - starts) > 1) & (lo != hi)
        return [(int(a), int(b)) for a, b in zip(starts[irregular], ends[irregular], strict=True)]
