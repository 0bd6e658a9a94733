"""Type grids of the bilateral programs (spec §4.3): discretized laws with exact weights.

Discrete laws are used as given, with their exact discrete virtual values and virtual
costs.  A continuous law is cut into ``K`` cells (of equal probability, except near a
seller's zero cost and in unbounded tails, see :func:`type_grid`) and the programs
optimise over allocations that are constant on cells (step functions of the continuous
type).  Their gains from trade and budget are computed *exactly* in the continuous
model: the objective weight of a cell is its conditional mean, and the budget weight is
the slope of the revenue curve between the cell's lower edges (buyer; eq. (3):
``E[phi^B 1{v >= t}] = t (1 - F(t))``) or of the cost curve between its upper edges
(seller; eq. (4): ``E[phi^S 1{c <= t}] = t F(t)``).  So every grid solution is a
feasible mechanism of the continuous problem: the programs' optimum is a lower bound on
SB that increases under nested refinement.

:func:`prepare` checks a model for the programs and refuses, before anything is
allocated, a grid whose program would not fit in memory (:mod:`datamech.sizes`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import ModelError
from ...models.bilateral import check_laws, resolve_good
from ...models.distributions import PROB_TOL, ContinuousLaw, Discrete, TypeDistribution
from ...numeric import fmt
from ...sizes import check_memory

__all__ = [
    "BYTES_PER_CELL",
    "GRADING",
    "TypeGrid",
    "grading_for",
    "grid_field",
    "grid_sizes",
    "prepare",
    "type_grid",
]

GRADING = 3.0  # cell refinement near a zero cost and in unbounded tails (type_grid)
#: Memory of a grid program per (buyer cell, seller cell), measured with cvxpy and
#: Clarabel/HiGHS at 40-160 cells per side (4-7 kB), rounded up.
BYTES_PER_CELL = 8_000


@dataclass(frozen=True)
class TypeGrid:
    """A trader's types on a grid, as the programs use them.

    ``values``: objective weight of each cell (the type itself for a discrete law, the
    conditional mean of the cell for a continuous one); ``probs``: cell probabilities;
    ``virtual``: budget weight (discrete virtual value for the buyer, virtual cost for
    the seller; ``inf`` marks a seller cell that can never trade, e.g. the top cell of an
    unbounded cost law); ``edges``: cell edges (``None`` for discrete laws).

    >>> from datamech.models.distributions import Uniform
    >>> g = type_grid(Uniform(0, 1), 4, "buyer")
    >>> g.values.tolist(), g.virtual.tolist()
    ([0.125, 0.375, 0.625, 0.875], [-0.75, -0.25, 0.25, 0.75])
    """

    values: np.ndarray
    probs: np.ndarray
    virtual: np.ndarray
    role: str
    edges: np.ndarray | None = None

    def __post_init__(self) -> None:
        r = self.role
        if r not in ("buyer", "seller"):
            raise ModelError("role", f"must be buyer or seller, got {r!r}")
        arrs = {}
        for name in ("values", "probs", "virtual"):
            try:
                a = np.asarray(getattr(self, name), dtype=float)
            except (TypeError, ValueError):
                raise ModelError(f"{r}.{name}", "entries must be numbers") from None
            if a.ndim != 1 or a.size == 0:
                raise ModelError(f"{r}.{name}", f"must be a non-empty 1-D array, got {a.shape}")
            arrs[name] = a
        n = arrs["values"].size
        for name in ("probs", "virtual"):
            if arrs[name].size != n:
                raise ModelError(f"{r}.{name}", f"has {arrs[name].size} entries but values has {n}")
        v, p, w = arrs["values"], arrs["probs"], arrs["virtual"]
        if not np.all(np.isfinite(v)):
            raise ModelError(f"{r}.values", "entries must be finite")
        if np.any(p <= 0) or not np.all(np.isfinite(p)):
            raise ModelError(f"{r}.probs", "every cell needs a positive finite probability")
        if abs(p.sum() - 1) > PROB_TOL:
            raise ModelError(f"{r}.probs", f"sum to {fmt(p.sum())}, not 1")
        if np.any(np.diff(v) <= 0):
            raise ModelError(f"{r}.values", "must be strictly increasing")
        bad = np.isnan(w) | (w == -np.inf) | ((w == np.inf) & (r == "buyer"))
        if np.any(bad):
            raise ModelError(f"{r}.virtual", "entries must be finite (seller: finite or +inf)")
        for name, a in (("values", v), ("probs", p), ("virtual", w)):
            object.__setattr__(self, name, a)

    @property
    def size(self) -> int:
        return int(self.values.size)


def type_grid(
    dist: TypeDistribution | TypeGrid,
    grid: int,
    role: str,
    grading: float = 1.0,
    ends: str = "low",
) -> TypeGrid:
    """Discretize a type law for the programs (see the module docstring).

    Discrete laws are used as given (``grid`` is ignored); continuous families get
    ``grid`` cells (equal probabilities for ``grading = 1``) with exact conditional means
    and exact step-rule virtual weights; other laws (mixtures, truncated equal revenue) are replaced by
    :meth:`~datamech.models.distributions.TypeDistribution.discretize` with ``grid`` cells.

    Parameters
    ----------
    dist : TypeDistribution or TypeGrid
        The law (a ``TypeGrid`` is returned unchanged after a role check).
    grid : int
        Number of cells for a continuous law (>= 1).
    role : {"buyer", "seller"}
    grading : float
        Cell edges at the quantiles g(i/K) with g(t) = t^grading (``ends="low"``),
        1 - (1-t)^grading (``"high"``) or t^grading / (t^grading + (1-t)^grading)
        (``"both"``); 1 gives equal probabilities.  The programs use 3 at the low end
        for a scaling-model seller whose costs reach 0 (the optimal allocation blows up
        like c^{-1/(1-alpha)} there and equal cells converge like K^{-1/2}) and at the
        high end for laws with unbounded support (a coarse top cell otherwise dominates
        the error).  Nested grids (K -> 2K) stay nested.
    ends : {"low", "high", "both"}
        Where the cells are refined.

    Examples
    --------
    >>> from datamech.models.distributions import Uniform
    >>> g = type_grid(Uniform(1, 2), 2, "seller")
    >>> g.values.tolist(), g.virtual.tolist()
    ([1.25, 1.75], [1.5, 2.5])
    """
    if isinstance(dist, TypeGrid):
        if dist.role != role:
            raise ModelError(role, f"got a {dist.role} grid where the {role} grid was expected")
        return dist
    if not isinstance(dist, TypeDistribution):
        raise ModelError(
            role, f"must be a type distribution or TypeGrid, got {type(dist).__name__}"
        )
    if not (isinstance(grading, (int, float)) and math.isfinite(grading) and grading > 0):
        raise ModelError("grading", f"must be a positive number, got {grading!r}")
    if isinstance(dist, Discrete):
        vals = np.asarray(dist.values, dtype=float)
        w = dist.virtual_value(dist.values) if role == "buyer" else dist.virtual_cost(dist.values)
        return TypeGrid(vals, np.asarray(dist.probs, dtype=float), np.asarray(w, float), role)
    if not isinstance(dist, ContinuousLaw):
        return type_grid(dist.discretize(grid=grid), grid, role)
    lo, hi = (float(t) for t in dist.support)
    if ends not in ("low", "high", "both"):
        raise ModelError("ends", f"must be low, high or both, got {ends!r}")
    t = np.arange(1, grid) / grid
    if ends == "low":
        u = t**grading
    elif ends == "high":
        u = 1 - (1 - t) ** grading
    else:
        u = t**grading / (t**grading + (1 - t) ** grading)
    edges = np.concatenate([[lo], np.asarray(dist.quantile(u), dtype=float), [hi]])
    cdf = np.concatenate([[0.0], np.asarray(dist.cdf(edges[1:-1]), dtype=float), [1.0]])
    probs = np.diff(cdf)
    means = np.asarray(dist.partial_mean(edges[:-1], edges[1:]), dtype=float) / probs
    if role == "buyer":
        # revenue points (S(e), e S(e)) at lower edges, S(e) = 1 - F(e)
        rev = np.concatenate([edges[:-1] * (1 - cdf[:-1]), [0.0]])
        virtual = (rev[:-1] - rev[1:]) / probs
    else:
        # cost points (F(e), e F(e)) at upper edges
        with np.errstate(invalid="ignore"):
            cost = np.concatenate([[0.0], edges[1:] * cdf[1:]])
        virtual = np.diff(cost) / probs
        virtual[~np.isfinite(virtual)] = np.inf
    return TypeGrid(means, probs, virtual, role, edges=edges)


def grid_field(prefix: str = "") -> str:
    """How errors name the cells per side: ``grid`` in Python, ``solver.cells`` in files."""
    return f"{prefix}cells" if prefix else "grid"


def grid_sizes(grid: Any, field: str = "grid") -> tuple[int, int]:
    """Cells per side (buyer, seller) from an int or a pair; ``ModelError(field)`` else."""
    if isinstance(grid, (tuple, list)):
        if len(grid) != 2:
            raise ModelError(field, f"must be an int or a pair (buyer, seller), got {grid!r}")
        sizes = tuple(grid)
    else:
        sizes = (grid, grid)
    for s in sizes:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1:
            raise ModelError(field, f"cell counts must be positive integers, got {grid!r}")
    return int(sizes[0]), int(sizes[1])


def grading_for(dist: Any, low: bool) -> tuple[float, str]:
    """(grading, ends) the programs use for ``dist`` (see :func:`type_grid`)."""
    high = isinstance(dist, ContinuousLaw) and not math.isfinite(float(dist.support[1]))
    if low and high:
        return GRADING, "both"
    if low or high:
        return GRADING, "low" if low else "high"
    return 1.0, "low"


def _cells(dist: Any, k: int) -> tuple[int, bool]:
    """Cells the grid of ``dist`` has, and whether a discrete law fixes them."""
    if isinstance(dist, TypeGrid):
        return dist.size, True
    if isinstance(dist, Discrete):
        return len(dist.values), True
    return k, False


def prepare(
    buyer,
    seller,
    alpha,
    good,
    grid,
    *,
    field: str = "grid",
    bytes_per_cell: float = BYTES_PER_CELL,
    what: str = "the grid program",
):
    """``(alpha, good, buyer grid, seller grid)`` for the programs, after the model
    checks (G15) and the memory guard: a program over J x M cells needs about
    ``bytes_per_cell`` bytes per cell, refused beyond the limit naming ``field`` (or the
    ``values`` of a discrete law that fixes the size)."""
    a, g = resolve_good(alpha, good)
    kb, ks = grid_sizes(grid, field)
    laws = [d for d in (buyer, seller) if isinstance(d, TypeDistribution)]
    if len(laws) == 2:
        check_laws(buyer, seller, a, g)
    (jb, fixed_b), (js, fixed_s) = _cells(buyer, kb), _cells(seller, ks)
    big = "buyer" if jb >= js else "seller"
    culprit = f"{big}.values" if (fixed_b if big == "buyer" else fixed_s) else field
    check_memory(
        culprit,
        float(jb) * float(js) * bytes_per_cell,
        f"{what} over {jb:,} x {js:,} type cells",
        hint="method = 'lagrangian' solves the second best without a grid",
    )
    gb = type_grid(buyer, kb, "buyer", *grading_for(buyer, low=False))
    low = g == "scaling" and isinstance(seller, ContinuousLaw) and float(seller.support[0]) == 0
    gs = type_grid(seller, ks, "seller", *grading_for(seller, low=low))
    if g == "scaling" and np.any(gs.values <= 0):
        raise ModelError("seller.values", "costs must be positive in the scaling model")
    return a, g, gb, gs
