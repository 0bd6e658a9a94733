"""Type grids: how continuous type laws are discretized for the LPs (spec §3.1).

Two cell values are implemented, and they are accurate for different objectives
(measured on Example 3, Exp(1) types, alpha = 1/2, against the closed forms of
spec §4.3; ``python benchmarks/infosale.py --convergence``; docs/infosale.md):

========  =================================  ====================================
scheme    revenue error (m cells)            welfare error (m cells)
========  =================================  ====================================
left      O(1/m^2): 1.6e-4 at m = 80         O(1/m): 3.4e-2 at m = 80
condmean  O(1/m): 2.8e-2 at m = 80           O(1/m^2): 1.7e-4 at m = 80
========  =================================  ====================================

``left`` puts each cell at its lower edge, which keeps v_lower (and so the bottom
type's payment, Lemma 3) exact; ``condmean`` puts it at E[V | cell], which keeps
E[V pi~(V)] exact on each cell.  The default scheme ``auto`` picks per objective:
``left`` for revenue (and for expressions of the payments alone), ``condmean`` for
welfare and other expressions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...errors import ModelError
from ...numeric import fmt, read_int, read_number
from ...sizes import FLOAT, check_memory
from ..distributions import TypeDistribution
from ..io import check_choice
from .game import MAX_MAGNITUDE

SCHEMES = ("auto", "left", "condmean")
#: The most type cells per buyer a grid may have (the size guards refuse far fewer).
MAX_CELLS = 10**9
TAIL_MODES = ("lump", "drop")
#: Bytes per type cell while a grid is built (edges, cdf, masses, values, tops).
GRID_BYTES_PER_CELL = 6 * FLOAT


@dataclass(frozen=True)
class Grid:
    """How continuous type laws are discretized for the LPs (the thesis's types are continuous).

    Parameters
    ----------
    cells : int
        m, the number of type cells per buyer, 1 to 10^9 (ignored for discrete laws,
        which are their own grid); the solvers' size guards refuse grids that do not
        fit in memory.
    scheme : {"auto", "left", "condmean"}
        Cell value: lower edge (``left``) or conditional mean (``condmean``);
        ``auto`` (default) is ``left`` for revenue objectives and ``condmean`` for the
        others, the accurate choice for each (module docstring).
    tail : float
        Upper tail mass cut off unbounded supports (upper = F^{-1}(1 - tail)).
    tail_mode : {"lump", "drop"}
        Add the cut tail to the last cell, or drop it and renormalize.
    upper : float, optional
        Explicit upper end for unbounded supports (overrides ``tail``).

    References
    ----------
    - A. Nouripour, "Selling Information in Competitive Environments", S.M. thesis, Department of
      Electrical Engineering and Computer Science, Massachusetts Institute of Technology, Cambridge,
      MA, September 2021.

    Examples
    --------
    >>> Grid(cells=40).scheme
    'auto'
    >>> Grid(cells=0)
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: grid.cells: the type grid is empty (cells = 0)
    """

    cells: int = 80
    scheme: str = "auto"
    tail: float = 1e-3
    tail_mode: str = "lump"
    upper: float | None = None

    def __post_init__(self) -> None:
        c = read_int(self.cells, "grid.cells")
        if c < 1:
            raise ModelError("grid.cells", f"the type grid is empty (cells = {c})")
        if c > MAX_CELLS:
            try:
                shown = f"{c:.3g}"
            except OverflowError:
                shown = "more than 1e308"
            raise ModelError("grid.cells", f"must be <= {MAX_CELLS:,} cells per buyer, got {shown}")
        object.__setattr__(self, "cells", c)
        check_choice(self.scheme, "grid.scheme", SCHEMES)
        check_choice(self.tail_mode, "grid.tail_mode", TAIL_MODES)
        t = read_number(self.tail, "grid.tail", exact=False, low=0, high=1)
        if not 0 < t < 1:
            raise ModelError("grid.tail", f"must lie in (0, 1), got {fmt(t)}")
        object.__setattr__(self, "tail", float(t))
        if self.upper is not None:
            u = read_number(
                self.upper, "grid.upper", exact=False, low=-MAX_MAGNITUDE, high=MAX_MAGNITUDE
            )
            object.__setattr__(self, "upper", float(u))


def discretize(
    dist: TypeDistribution, grid: Grid, scheme: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Type cells (values, probabilities) of a type law on ``grid``.

    Equal-width cells on [v_lower, upper], where upper is v_upper when finite, else
    ``grid.upper`` or F^{-1}(1 - grid.tail).  The tail mass beyond ``upper`` is added to
    the last cell (``tail_mode = "lump"``) or dropped and the rest renormalized
    (``"drop"``, the truncation used for the m = 40 reduced-LP validation values).
    ``scheme`` (default ``grid.scheme``; ``auto`` reads as ``left`` here, the model
    resolves it per objective) puts each cell at its lower edge (``left``: keeps
    v_lower exact; revenue error O(1/m^2)) or at E[V | cell] (``condmean``: welfare
    error O(1/m^2)).  A discrete law is its own grid.

    Raises ``ModelError`` when the grid would not fit in memory (``grid.cells``) or
    its values leave ``|v| <= 1e6`` (the buyer's table).

    References
    ----------
    - A. Nouripour, "Selling Information in Competitive Environments", S.M. thesis, Department of
      Electrical Engineering and Computer Science, Massachusetts Institute of Technology, Cambridge,
      MA, September 2021.

    Examples
    --------
    >>> from datamech.models.distributions import Exponential
    >>> v, q = discretize(Exponential(1.0), Grid(cells=4, upper=2.0))
    >>> v.tolist(), round(float(q.sum()), 12)
    ([0.0, 0.5, 1.0, 1.5], 1.0)
    """
    scheme = scheme or grid.scheme
    where = getattr(dist, "where", None) or "buyer"
    if dist.discrete:
        v, q = np.asarray(dist.values, dtype=float), np.asarray(dist.probs, dtype=float)
        _check_range(v, where)
        return v, q
    lo, top = (float(x) for x in dist.support)
    hi = top
    if not math.isfinite(hi):
        hi = grid.upper if grid.upper is not None else float(dist.quantile(1 - grid.tail))
    _check_range(np.array([lo, hi]), where)
    if hi <= lo:
        raise ModelError("grid.upper", f"must exceed the bottom of the support {fmt(lo)}")
    m = grid.cells
    check_memory("grid.cells", m * GRID_BYTES_PER_CELL, f"a grid of {m:,} type cells")
    edges = np.linspace(lo, hi, m + 1)
    cdf = np.array(dist.cdf(edges), dtype=float)
    if grid.tail_mode == "lump":
        cdf[-1] = 1.0
    q = np.diff(cdf)
    if not np.all(q > 0):
        raise ModelError("grid.cells", "some cells carry no probability; use fewer cells")
    if scheme == "condmean":
        tops = edges[1:].copy()
        if grid.tail_mode == "lump":
            tops[-1] = top
        v = np.asarray(dist.partial_mean(edges[:-1], tops), dtype=float) / q
        if not np.all(np.isfinite(v)):
            raise ModelError(where, "the conditional means of the type cells are not finite")
    else:
        v = edges[:-1].copy()
    if grid.tail_mode == "drop":
        q = q / q.sum()
    return v, q


def _check_range(v: np.ndarray, where: str) -> None:
    big = float(np.max(np.abs(v))) if v.size else 0.0
    if not big <= MAX_MAGNITUDE:
        raise ModelError(
            where,
            f"type values reach {big:.4g}; the LPs accept |v| <= {MAX_MAGNITUDE:g} "
            "(rescale the units, or set grid.upper for an unbounded law)",
        )
