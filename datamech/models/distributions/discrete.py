"""Finite laws: :class:`Discrete`, and :class:`LadderLaw`, the families that discretize
onto their price ladder (spec 003 §2.1 rule 2, §4 and G14)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ...errors import ModelError
from ...sizes import FLOAT, FRACTION, check_memory
from .base import GRID, TypeDistribution, as_output, py_scalar
from .ironing import PriceLadder, pava
from .reading import MAX_VALUE, normalize_probs, read_numbers, written_exact

__all__ = ["Discrete", "LadderLaw"]

#: bytes per atom of a float law (the read arrays, cumulative sums, the ladder, the fits)
ATOM_BYTES = 24 * FLOAT
#: bytes per atom of an exact law (Fractions)
EXACT_ATOM_BYTES = 12 * FRACTION


class Discrete(TypeDistribution):
    """Finite support ``values`` with ``probs``; exact when every entry is written exactly.

    Parameters
    ----------
    values : list of numbers
        Types in [0, 1e12] (ints, floats or ``"p/q"`` strings), in any order: they are
        sorted, and equal values are merged into one atom with the probabilities added,
        so a permuted or split table is the same law.
    probs : list of numbers
        Positive probabilities, in the order of ``values``, summing to 1: exactly when
        the law is exact, within 1e-9 otherwise (then rescaled to sum to 1).
    where : str
        The model-file field of the law, named in errors (``"buyers[0]"``).

    The law is exact (object arrays of Fractions, exact virtual values and ironing) when
    every entry of both lists is an int, a Fraction or a string; a float anywhere makes
    it a float law.  Virtual values are the slopes of the piecewise-linear revenue curve through
    (Q_j, Q_j v_j), Q_j = P(V >= v_j): phi_j = v_j - (v_{j+1} - v_j)(1 - F_j)/pi_j,
    phi_J = v_J (the discrete form of Myerson's virtual value; Deng et al., Section 2).  Reading
    and ironing are O(n log n) vectorized for float laws (10^5 types in milliseconds) and O(n
    log n) rational operations for exact ones (about 0.1 ms per type).

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.

    Examples
    --------
    >>> d = Discrete(["3/2", 3, "3/4"], [0.02, 0.48, 0.5])      # any order, mixed entries
    >>> d.values.tolist(), d.probs.tolist(), d.exact
    ([0.75, 1.5, 3.0], [0.5, 0.02, 0.48], False)
    >>> Discrete([1, 2, 2], ["1/2", "1/4", "1/4"]).probs.tolist()   # an atom split in two
    [Fraction(1, 2), Fraction(1, 2)]
    """

    family = "discrete"
    discrete = True
    exact_ladder = True

    def __init__(self, values: Sequence[Any], probs: Sequence[Any], where: str = "buyer"):
        self.where = where
        for name, arr in (("values", values), ("probs", probs)):
            if not (
                isinstance(arr, (list, tuple)) or (isinstance(arr, np.ndarray) and arr.ndim == 1)
            ):
                read_numbers(arr, f"{where}.{name}", exact=False)  # "must be a list ..."
            if len(arr) == 0:
                raise ModelError(f"{where}.{name}", "must be a non-empty list of numbers")
        if len(values) != len(probs):
            raise ModelError(
                f"{where}.probs", f"has {len(probs)} entries but values has {len(values)}"
            )
        exact = written_exact(values) and written_exact(probs)
        n = len(values)
        check_memory(
            f"{where}.values",
            n * (EXACT_ATOM_BYTES if exact else ATOM_BYTES),
            f"a discrete law with {n:,} {'exact ' if exact else ''}types",
        )
        v = read_numbers(values, f"{where}.values", exact=exact, low=0, high=MAX_VALUE)
        p = read_numbers(probs, f"{where}.probs", exact=exact, low=0, low_open=True)
        p = normalize_probs(p, f"{where}.probs")
        v, p = _sorted_atoms(v, p)
        self._set(v, p, exact)

    def _set(self, values: np.ndarray, probs: np.ndarray, exact: bool) -> None:
        self.values, self.probs, self.exact = values, probs, exact
        zero = probs[0] * 0
        self._cum = np.concatenate([[zero], np.cumsum(probs)])  # F below each atom, then 1
        # P(V >= v_j) as suffix sums: a small top atom is not lost in 1 - F rounding
        self._tail = np.concatenate([np.cumsum(probs[::-1])[::-1], [zero]])

    @classmethod
    def from_ladder(cls, ladder: PriceLadder, where: str = "buyer") -> Discrete:
        """The float law with atoms at the ladder's prices, each with its piece's mass."""
        out = cls.__new__(cls)
        out.where = where
        mass = np.asarray(ladder.mass, dtype=float)
        out._set(np.asarray(ladder.prices, dtype=float), mass / float(np.sum(mass)), False)
        return out

    def params(self) -> dict[str, Any]:
        return {"family": self.family, "values": self.values.tolist(), "probs": self.probs.tolist()}

    @property
    def support(self) -> tuple[Any, Any]:
        return py_scalar(self.values[0]), py_scalar(self.values[-1])

    def atoms(self) -> np.ndarray:
        return np.asarray(self.values, dtype=float)

    def price_grid(self, grid: int = GRID) -> np.ndarray:
        return self.atoms()

    def discretize(self, grid: int = GRID) -> Discrete:
        """The law itself."""
        return self

    def cdf(self, v: Any) -> Any:
        return as_output(self._cum[np.searchsorted(self.values, np.asarray(v), side="right")])

    def sf_ge(self, v: Any) -> Any:
        return as_output(self._tail[np.searchsorted(self.values, np.asarray(v), side="left")])

    def pmf(self, v: Any) -> Any:
        v = np.asarray(v)
        idx = np.clip(np.searchsorted(self.values, v), 0, len(self.values) - 1)
        hit = self.values[idx] == v
        return as_output(np.where(hit, self.probs[idx], 0 * self.probs[0]))

    def quantile(self, p: Any) -> Any:
        cum = self.__dict__.get("_float_cum")
        if cum is None:
            cum = np.asarray(self._cum[1:], dtype=float)
            self._float_cum = cum
        idx = np.searchsorted(cum, np.asarray(p, dtype=float) - 1e-12, side="left")
        return as_output(self.values[np.minimum(idx, len(self.values) - 1)])

    def partial_mean(self, a: Any, b: Any) -> Any:
        """E[V; a < V <= b] = sum of v_j pi_j over the atoms in (a, b] (exact for exact laws).

        >>> d = Discrete([1, 2, 3], ["3/5", "1/10", "3/10"])
        >>> str(d.partial_mean(1, 3)), str(d.partial_mean(0, float("inf")))
        ('11/10', '17/10')
        """
        acc = self.__dict__.get("_vp")
        if acc is None:
            acc = np.concatenate([[self.probs[0] * 0], np.cumsum(self.values * self.probs)])
            self._vp = acc
        a, b = np.asarray(a), np.asarray(b)
        lo = np.searchsorted(self.values, a, side="right")
        hi = np.searchsorted(self.values, np.maximum(a, b) if a.dtype != object else b, "right")
        return as_output(acc[np.maximum(hi, lo)] - acc[lo])

    def moment(self, p: float) -> Any:
        if p < 0 and self.values[0] == 0:
            return math.inf
        if self.exact and float(p).is_integer():
            k = int(p)
            return self._finite_moment(
                p,
                lambda: sum(pr * x**k for x, pr in zip(self.values, self.probs, strict=True)),
                "values",
            )
        v, pr = np.asarray(self.values, float), np.asarray(self.probs, float)
        return self._finite_moment(p, lambda: float(np.sum(pr * v**p)), "values")

    def _build_ladder(self, grid: int = GRID) -> PriceLadder:
        return PriceLadder.build(self.values, self._tail[:-1], self.probs)

    def virtual_value(self, v: Any) -> Any:
        return as_output(self.ladder().slope[self.support_index(v)])

    def ironed_virtual_value(self, v: Any) -> Any:
        return as_output(self.ladder().ironed[self.support_index(v)])

    def support_index(self, v: Any) -> np.ndarray:
        """Index of each value in ``values``; ``ModelError`` for a value off the support."""
        v = np.asarray(v)
        if self.exact:  # hashing: O(1) per query (equal numbers hash equally across types)
            position = self.__dict__.get("_position")
            if position is None:
                position = {x: i for i, x in enumerate(self.values)}
                self._position = position
            idx = np.array([position.get(x, -1) for x in v.ravel().tolist()], dtype=np.intp)
            idx = idx.reshape(v.shape)
            bad = idx < 0
        else:
            idx = np.searchsorted(self.values, v, side="left")
            top = np.minimum(idx, len(self.values) - 1)
            bad = (idx >= len(self.values)) | (self.values[top] != v)
        if np.any(bad):
            raise ModelError(
                f"{self.where}.values",
                "virtual values of a discrete law are defined on its support only",
            )
        return idx

    def _virtual_costs(self) -> np.ndarray:
        vc = self.__dict__.get("_vc")
        if vc is None:
            prev = np.concatenate([self.values[:1], self.values[:-1]])
            vc = self.values + (self.values - prev) * self._cum[:-1] / self.probs
            self._vc = vc
        return vc

    def virtual_cost(self, c: Any) -> Any:
        return as_output(self._virtual_costs()[self.support_index(c)])

    def ironed_virtual_cost(self, c: Any) -> Any:
        """Virtual costs ironed by the lower convex hull of the cost curve (§4.4)."""
        fit = self.__dict__.get("_ivc")
        if fit is None:
            fit, _ = pava(self._virtual_costs(), self.probs)
            self._ivc = fit
        return as_output(fit[self.support_index(c)])


def _sorted_atoms(v: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Atoms sorted by value, equal values merged (probabilities added): O(n log n) on
    float keys, exact comparisons only among values whose floats tie."""
    exact = v.dtype == object
    keys = np.array([float(x) for x in v]) if exact else v
    if len(v) > 1 and not np.all(keys[1:] > keys[:-1]):
        order = np.argsort(keys, kind="stable")
        v, p, keys = v[order], p[order], keys[order]
    tie = keys[1:] == keys[:-1]
    if not tie.any():
        return v, p
    if exact:  # distinct Fractions may share a float: order those runs exactly
        edges = np.flatnonzero(np.diff(np.concatenate([[0], tie.astype(np.int8), [0]])))
        for a, b in zip(edges[::2], edges[1::2] + 1, strict=True):
            order = sorted(range(a, b), key=lambda i: v[i])
            v[a:b], p[a:b] = v[order], p[order]
        same = tie.copy()
        same[tie] = [v[i + 1] == v[i] for i in np.flatnonzero(tie)]
    else:
        same = tie
    starts = np.flatnonzero(np.concatenate([[True], ~same]))
    return v[starts], np.add.reduceat(p, starts)


class LadderLaw(TypeDistribution):
    """A law that discretizes onto its price ladder: atoms at the ladder prices, each
    with the mass of its piece (exact at atoms; a quantile grid of ``grid`` cells per
    continuous part otherwise, error O(1/grid)).  Base of every non-discrete family.

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital Good with
      Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    """

    def discretize(self, grid: int = GRID) -> Discrete:
        """The discrete law on this law's price ladder (spec §4, G14).

        >>> from datamech.models.distributions import Uniform
        >>> d = Uniform(0, 1).discretize(grid=4)
        >>> d.values.tolist(), d.probs.tolist()
        ([0.0, 0.25, 0.5, 0.75], [0.25, 0.25, 0.25, 0.25])
        """
        if grid == GRID:
            cached = self.__dict__.get("_discretized")
            if cached is None:
                cached = Discrete.from_ladder(self.ladder(), self.where)
                object.__setattr__(self, "_discretized", cached)
            return cached
        prices = np.asarray(self.price_grid(grid), dtype=float)
        lad = PriceLadder.build(prices, np.asarray(self.sf_ge(prices), dtype=float))
        return Discrete.from_ladder(lad, self.where)
