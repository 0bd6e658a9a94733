"""Finite type spaces of kind ``mechanism``: laws on grids, type vectors, exact twins.

Every agent of a mechanism-design model ends up with a finite set of types
``t_1, ..., t_K`` (each a vector of ``d`` numbers: one value for a single item, one
per item for several items, one per outcome for a table) and probabilities
``f(t_k) > 0`` (spec §1).  Both are kept twice: as floats (what the LP reads) and as
exact rationals (what the certificates read).  The rationals are the types the
model *is*: a float type is read as the decimal it prints as (``0.2`` is ``1/5``),
probabilities are normalized exactly, so the exact and float instances describe the
same finite problem.

Continuous laws become ``cells`` types (spec §6) by one of two schemes, both on ``K``
cells of equal probability ``1/K`` between the quantiles ``F^{-1}(k/K)``:

``left`` (default)
    each type at its cell's lower quantile ``F^{-1}((k-1)/K)`` (uniform on [0, 1]:
    ``0, 1/K, ..., (K-1)/K``): every type rounded down.  Measured (``docs/mechanism.md``):
    the optimal single-item revenue converges like ``1/K^2`` from below (two bidders
    U[0, 1]: error 1.0e-4 at K = 40), two items and bilateral trade like ``1/K``.
``condmean``
    each type at the conditional mean of its cell; unbounded tails are fine (the last
    cell's mean is finite whenever the law has a mean).  Converges like ``1/K`` from above.

Laws with atoms (mixtures, the truncated equal-revenue law) are cut the same way on
quantiles; cells that fall inside one atom merge into one type.  Discrete laws are used
as given.

>>> from datamech.models.distributions import Uniform
>>> t = discretize_law(Uniform(0, 1), 4, "condmean", "agents[0]")
>>> t[0].tolist(), [str(p) for p in t[1]]
([0.125, 0.375, 0.625, 0.875], ['1/4', '1/4', '1/4', '1/4'])
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ...errors import ModelError
from ...numeric import to_fraction
from ...sizes import check_count
from ..distributions import TypeDistribution

__all__ = [
    "SCHEMES",
    "MAX_TYPES",
    "AgentTypes",
    "Instance",
    "discretize_law",
    "exact_probs",
    "merge_points",
    "product_types",
]

SCHEMES = ("left", "condmean")
#: Largest number of types one agent may have (a product grid of several items included).
MAX_TYPES = 250_000
_GAUSS = np.polynomial.legendre.leggauss(48)


def exact_probs(probs: Any, field: str) -> np.ndarray:
    """Probabilities as exact rationals summing to exactly 1 (floats read as decimals).

    >>> [str(p) for p in exact_probs([0.5, 0.25, 0.25], "probs")]
    ['1/2', '1/4', '1/4']
    """
    out = np.array([to_fraction(p) for p in np.asarray(probs, dtype=object).ravel()], dtype=object)
    total = sum(out, Fraction(0))
    if total <= 0 or any(p <= 0 for p in out):
        raise ModelError(field, "every type needs a positive probability")
    if total != 1:
        out = np.array([p / total for p in out], dtype=object)
    return out


def merge_points(points: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort one-dimensional types increasingly and merge equal ones (adding their mass)."""
    order = np.argsort(points, kind="stable")
    pts, prb = points[order], probs[order]
    keep = np.concatenate([[True], pts[1:] != pts[:-1]])
    starts = np.flatnonzero(keep)
    merged = np.add.reduceat(prb, starts) if prb.dtype != object else _reduce_obj(prb, starts)
    return pts[keep], merged


def _reduce_obj(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    ends = [*starts[1:].tolist(), len(values)]
    return np.array(
        [sum(values[a:b], Fraction(0)) for a, b in zip(starts, ends, strict=True)], dtype=object
    )


def discretize_law(
    law: TypeDistribution, cells: int, scheme: str, field: str
) -> tuple[np.ndarray, np.ndarray]:
    """Types and exact probabilities of one law (a continuous law discretized): ``(points, probs)``.

    Discrete laws are returned as given (their points as floats or Fractions, exact
    probabilities); other laws are cut into ``cells`` equal-probability cells (see the
    module docstring for the schemes).

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - V. Conitzer and T. Sandholm, "Complexity of mechanism design", Proceedings of the 18th
      Conference on Uncertainty in Artificial Intelligence (UAI), 2002.
    """
    if law.discrete and hasattr(law, "values"):
        vals = np.asarray(law.values)
        return vals, exact_probs(law.probs, f"{field}.probs")
    k = np.arange(cells + 1) / cells
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        edges = np.asarray(law.quantile(k), dtype=float)
    lo, hi = float(law.support[0]), float(law.support[1])
    edges[0], edges[-1] = lo, hi
    if scheme == "left":
        pts = edges[:-1].copy()
    else:
        pts = None
        if law.continuous:
            with np.errstate(all="ignore"):
                pts = np.asarray(law.partial_mean(edges[:-1], edges[1:]), dtype=float) * cells
            bad = ~np.isfinite(pts) | (pts < edges[:-1] - 1e-9 * (1 + np.abs(edges[:-1])))
            if np.any(bad):
                pts = None
        if pts is None:
            pts = _cell_means(law, cells)
    if not np.all(np.isfinite(pts)):
        raise ModelError(f"{field}.family", "this law has no finite conditional means on the grid")
    probs = np.full(cells, Fraction(1, cells), dtype=object)
    return merge_points(pts, probs)


def _cell_means(law: TypeDistribution, cells: int) -> np.ndarray:
    """K times the integral of the quantile function over each cell (Gauss-Legendre)."""
    nodes, weights = _GAUSS
    a = np.arange(cells)[:, None] / cells
    u = a + (nodes[None, :] + 1) / (2 * cells)
    with np.errstate(all="ignore"):
        q = np.asarray(law.quantile(u.ravel()), dtype=float).reshape(u.shape)
    return (q * weights[None, :]).sum(axis=1) / 2


@dataclass(frozen=True, eq=False)
class AgentTypes:
    """One agent's finite types (the finite type spaces of Conitzer and Sandholm): float and exact
    twins.

    ``points`` is ``(K, d)``: one row per type (``d = 1`` for a single value, one column
    per item or per outcome otherwise); ``probs`` the type probabilities; ``role`` is
    ``bidder``, ``buyer``, ``seller`` or ``agent``; ``field`` the agent's model-file path.

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - V. Conitzer and T. Sandholm, "Complexity of mechanism design", Proceedings of the 18th
      Conference on Uncertainty in Artificial Intelligence (UAI), 2002.
    """

    name: str
    role: str
    points: np.ndarray
    probs: np.ndarray
    exact_points: np.ndarray
    exact_probs: np.ndarray
    field: str
    labels: tuple[str, ...] = ()

    @property
    def K(self) -> int:
        return int(self.points.shape[0])

    @property
    def d(self) -> int:
        return int(self.points.shape[1])

    @classmethod
    def build(cls, name, role, points, probs, field, labels=()) -> AgentTypes:
        """From points (floats, Fractions or strings; ``(K,)`` or ``(K, d)``) and probabilities."""
        raw = np.asarray(points, dtype=object)
        if raw.ndim == 1:
            raw = raw[:, None]
        exact_pts = np.empty(raw.shape, dtype=object)
        for idx, v in np.ndenumerate(raw):
            exact_pts[idx] = to_fraction(v)
        try:
            pts = exact_pts.astype(float)
        except OverflowError:
            raise ModelError(f"{field}", "a type is too large for a float") from None
        if not np.all(np.isfinite(pts)):
            raise ModelError(f"{field}", "types must be finite")
        prb = exact_probs(probs, f"{field}.probs")
        return cls(
            name=name,
            role=role,
            points=pts,
            probs=prb.astype(float),
            exact_points=exact_pts,
            exact_probs=prb,
            field=field,
            labels=tuple(labels),
        )


@dataclass(frozen=True, eq=False)
class Instance:
    """The finite problem: agents' types, the outcome preset and the designer's costs.

    ``preset`` is one of ``single_item``, ``multi_item``, ``bilateral_trade``,
    ``public_project``, ``table``; ``items`` the number of items (multi_item);
    ``valuation`` ``additive`` or ``unit_demand``; ``outcomes`` the outcome names
    (table); ``cost`` the designer's cost per unit of each outcome coordinate (exact),
    nonzero only for a public project's ``cost`` and a table's ``costs``.

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - V. Conitzer and T. Sandholm, "Complexity of mechanism design", Proceedings of the 18th
      Conference on Uncertainty in Artificial Intelligence (UAI), 2002.
    """

    preset: str
    agents: tuple[AgentTypes, ...]
    items: int = 1
    valuation: str = "additive"
    outcomes: tuple[str, ...] = ()
    cost: tuple[Fraction, ...] = ()

    @property
    def n(self) -> int:
        return len(self.agents)

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(a.K for a in self.agents)

    @property
    def profiles(self) -> int:
        """The number of type profiles, prod_i K_i (a Python int: it may be huge)."""
        return math.prod(self.sizes)


def product_types(
    per_item: list[tuple[np.ndarray, np.ndarray]], field: str
) -> tuple[np.ndarray, np.ndarray]:
    """Type vectors of independent items: the product grid (first item slowest)."""
    count = math.prod(len(p) for p, _ in per_item)
    check_count(
        f"{field}.item_types",
        count,
        MAX_TYPES,
        f"a product grid of {count:,} type vectors",
        hint="lower [grid] cells",
    )
    grids = np.meshgrid(*[np.asarray(p, dtype=object) for p, _ in per_item], indexing="ij")
    pts = np.stack([g.ravel() for g in grids], axis=1)
    probs = np.ones(1, dtype=object)
    for _, pr in per_item:
        probs = np.multiply.outer(probs, pr).ravel()
    return pts, probs
