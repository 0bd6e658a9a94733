"""Finite mixtures of the other families (spec 003 §2.1 rules 1 and 3)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ...errors import ModelError
from .base import GRID, TypeDistribution, as_output, clip_at_zero
from .discrete import LadderLaw
from .reading import normalize_probs, read_numbers
from .rlaw import RLaw

__all__ = ["Mixture"]


class Mixture(LadderLaw):
    """A finite mixture sum_k w_k F_k of the other families; ironed numerically on the
    union of the components' price grids and atoms (Deng et al., Section 2).

    ``weights`` are positive and sum to 1 within 1e-9 (then rescaled); components are
    laws of the other families (no nested mixtures), each in its own documented range.

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.

    Examples
    --------
    >>> from datamech.models.distributions import Discrete, Uniform
    >>> m = Mixture([Discrete([1], [1]), Uniform(2, 3)], [0.5, 0.5])
    >>> float(m.cdf(1.0)), float(m.cdf(2.5))
    (0.5, 0.75)
    """

    family = "mixture"

    def __init__(
        self, components: Sequence[TypeDistribution], weights: Sequence[Any], where: str = "buyer"
    ):
        self.where = where
        if len(components) == 0:
            raise ModelError(f"{where}.components", "needs at least one component")
        if isinstance(weights, (str, bytes, dict)) or not hasattr(weights, "__len__"):
            raise ModelError(f"{where}.weights", "must be a list of numbers")
        if len(weights) != len(components):
            raise ModelError(
                f"{where}.weights", f"has {len(weights)} entries for {len(components)} components"
            )
        w = read_numbers(weights, f"{where}.weights", exact=False, low=0, low_open=True)
        w = normalize_probs(w, f"{where}.weights")
        for k, c in enumerate(components):
            if isinstance(c, Mixture):
                raise ModelError(f"{where}.components[{k}]", "nested mixtures are not supported")
        self.components, self.weights = list(components), w

    def params(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "weights": self.weights.tolist(),
            "components": [c.params() for c in self.components],
        }

    @property
    def continuous(self) -> bool:
        return all(c.continuous for c in self.components)

    @property
    def support(self) -> tuple[float, float]:
        s = [c.support for c in self.components]
        return float(min(a for a, _ in s)), float(max(b for _, b in s))

    def atoms(self) -> np.ndarray:
        return np.unique(np.concatenate([c.atoms() for c in self.components]))

    def cdf(self, v: Any) -> Any:
        return as_output(sum(w * np.asarray(c.cdf(v), float) for c, w in self._pairs()))

    def sf_ge(self, v: Any) -> Any:
        return as_output(sum(w * np.asarray(c.sf_ge(v), float) for c, w in self._pairs()))

    def pdf(self, v: Any) -> Any:
        """Density of the continuous part (atoms excluded)."""
        tot = 0.0
        for c, w in self._pairs():
            if not c.discrete:
                tot = tot + w * np.asarray(c.pdf(v), float)
        return as_output(np.asarray(tot))

    def partial_mean(self, a: Any, b: Any) -> Any:
        """E[V; a < V <= b] = sum_k w_k E_k[V; a < V <= b] (each component's closed form)."""
        parts = (w * np.asarray(c.partial_mean(a, b), float) for c, w in self._pairs())
        return as_output(np.asarray(sum(parts)))

    def _pairs(self):
        return zip(self.components, self.weights, strict=True)

    def quantile(self, p: Any) -> Any:
        scalar = np.ndim(p) == 0
        out = self._quantile(np.atleast_1d(np.asarray(p, dtype=float)))
        return float(out[0]) if scalar else out

    def _quantile(self, p: np.ndarray) -> np.ndarray:
        lo, hi = self.support
        if not math.isfinite(hi):
            hi = max(float(np.max(c.quantile(1 - 1e-15))) for c in self.components)
        a, b = np.full(p.shape, lo), np.full(p.shape, hi)
        for _ in range(100):  # vectorized bisection: inf{v : F(v) >= p}
            mid = (a + b) / 2
            ok = np.asarray(self.cdf(mid), float) >= p
            b, a = np.where(ok, mid, b), np.where(ok, a, mid)
        # snap to the nearest atom where the bisection landed on one (O(log atoms) each)
        atoms = self.atoms()
        if len(atoms):
            j = np.searchsorted(atoms, b)
            below, above = atoms[np.maximum(j - 1, 0)], atoms[np.minimum(j, len(atoms) - 1)]
            near = np.where(np.abs(b - below) <= np.abs(b - above), below, above)
            hit = np.abs(b - near) < 1e-9 * (1 + np.abs(near))
            b = np.where(hit, near, b)
        return b

    def moment(self, p: float) -> float:
        parts = [float(c.moment(p)) for c in self.components]
        if not all(math.isfinite(x) for x in parts):
            return math.inf
        return self._finite_moment(
            p, lambda: sum(w * x for x, w in zip(parts, self.weights, strict=True)), "components"
        )

    def price_grid(self, grid: int = GRID) -> np.ndarray:
        return np.unique(np.concatenate([c.price_grid(grid) for c in self.components]))

    def virtual_value(self, v: Any) -> Any:
        lad = self.ladder()
        return as_output(lad.slope[lad.index(v)])

    def virtual_cost(self, c: Any) -> Any:
        c = np.asarray(c, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return as_output(c + np.asarray(self.cdf(c)) / np.asarray(self.pdf(c)))

    def r_law(self, grid: int | None = None) -> RLaw:
        """The law of r on the price ladder of spec §2.1 rule 1 with ``grid`` points per
        component (default GRID; error O(1/grid)), marked by ``RLaw.grid``."""
        g = GRID if grid is None else int(grid)
        lad = self.ladder() if g == GRID else self._build_ladder(g)
        return RLaw.discrete(clip_at_zero(lad.ironed), lad.mass, grid=g)
