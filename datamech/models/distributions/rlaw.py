"""The law of r = (phi^ir(V))_+, the clipped ironed virtual value (spec 003 §2.1)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from scipy import integrate

__all__ = ["RLaw"]


@dataclass(frozen=True, eq=False)
class RLaw:
    """The law of r = (phi^ir(V))_+: a finite table (``values``, ``probs``) or a
    nondecreasing quantile function with an atom of mass ``zero_mass`` at 0.

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital Good with
      Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.

    Examples
    --------
    >>> law = RLaw.discrete([0, Fraction(1, 7), Fraction(1, 7), 3],
    ...                     [Fraction(1, 10), Fraction(1, 2), Fraction(1, 10), Fraction(3, 10)])
    >>> [str(v) for v in law.values], [str(p) for p in law.probs], str(law.mean())
    (['0', '1/7', '3'], ['1/10', '3/5', '3/10'], '69/70')
    """

    values: np.ndarray | None = None
    probs: np.ndarray | None = None
    quantile: Callable[[Any], Any] | None = None
    zero_mass: float = 0.0
    grid: int | None = None  # the table approximates a continuous law on this grid

    @classmethod
    def discrete(cls, values: Sequence[Any], probs: Sequence[Any], grid: int | None = None) -> RLaw:
        """Table with equal values merged, sorted increasingly (``grid``: see the field).

        Float tables are merged with vectorized numpy (O(n log n)); exact tables (ints and
        Fractions) in rationals, in O(n) when the values come sorted (as from a ladder).
        """
        v_arr, p_arr = np.asarray(values), np.asarray(probs)
        if v_arr.dtype != object and p_arr.dtype != object:
            keys, inverse = np.unique(v_arr.astype(float), return_inverse=True)
            acc = np.bincount(inverse.ravel(), weights=p_arr.astype(float), minlength=len(keys))
            zero = float(acc[keys == 0].sum())
            return cls(values=keys, probs=acc, zero_mass=zero, grid=grid)
        table: dict[Any, Any] = {}
        for v, p in zip(values, probs, strict=True):
            table[v] = table.get(v, 0) + p
        keys = list(table)
        if any(b < a for a, b in zip(keys[:-1], keys[1:], strict=False)):
            keys.sort()
        exact = all(isinstance(p, (Fraction, int)) for p in table.values())
        dtype = object if exact else float
        return cls(
            values=np.array(keys, dtype=dtype),
            probs=np.array([table[k] for k in keys], dtype=dtype),
            zero_mass=table.get(0, 0),
            grid=grid,
        )

    @property
    def is_discrete(self) -> bool:
        return self.values is not None

    @property
    def exact(self) -> bool:
        """A finite table of ints/Fractions: sums and moments can be done in rationals."""
        return (
            self.is_discrete
            and self.grid is None
            and all(isinstance(x, (int, Fraction)) for x in (*self.values, *self.probs))
        )

    def expect(self, h: Callable[[Any], Any]) -> Any:
        """E[h(r)] (exact sum for a table, quadrature over quantiles otherwise)."""
        if self.is_discrete:
            return sum(p * h(v) for v, p in zip(self.values, self.probs, strict=True))
        z = self.zero_mass
        body, _ = integrate.quad(lambda u: float(h(self.quantile(u))), z, 1.0, limit=200)
        return z * float(h(0.0)) + body

    def mean(self) -> Any:
        return self.expect(lambda x: x)

    def moment(self, p: float) -> Any:
        return self.expect(lambda x: x**p)

    def sample(self, size: int | tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        u = rng.random(size)
        if self.is_discrete:
            cum = np.cumsum(np.asarray(self.probs, dtype=float))
            idx = np.minimum(np.searchsorted(cum, u, side="right"), len(cum) - 1)
            return np.asarray(self.values, dtype=float)[idx]
        return np.asarray(self.quantile(u), dtype=float)
