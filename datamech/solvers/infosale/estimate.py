"""Size guards of the infosale solvers: LP rows, columns and nonzeros from the model alone.

Every solver calls these before it builds a grid or a matrix, so a model that cannot
fit (``[grid] cells = 2000``, a discrete law with 10^5 types) is refused in
milliseconds with the estimate and the limit (:func:`datamech.sizes.check_memory`).

The general LP of spec §3.2 has n_sigma = |Theta| C |A| rule variables (C = prod m_i
type-cell profiles, |A| = prod |A_i| action profiles) and sum m_i payment columns; each
rule variable appears in one simplex row, |A_i| - 1 obedience rows per buyer, up to 4
(adjacent) or 2 (m_i - 1) (global) truthfulness rows per buyer and one participation row
per buyer.  Peak memory per nonzero was measured on Example 3 (m = 40 ... 160,
``python benchmarks/infosale.py``): about 135-190 bytes with highspy (the matrix is
held by scipy, by highspy and by HiGHS's simplex) and 460-1,200 with cvxpy.
"""

from __future__ import annotations

import math

from ...models.infosale import InfoSaleModel
from ...sizes import FLOAT, check_count, check_memory

#: Peak bytes per LP nonzero (measured; see the module docstring).
BYTES_PER_NONZERO = {"highspy": 160.0, "cvxpy": 600.0}
#: Peak bytes per rule variable of :func:`~.results.assemble` (sigma and its products).
BYTES_PER_RULE_VARIABLE = 12 * FLOAT
#: Peak bytes per type-cell pair (k, l) of the two-buyer methods, measured at m = 100 ...
#: 400 (greedy 330, reduced LP with highspy 900-1,000, with cvxpy 7,400-9,100).
BYTES_PER_CELL_PAIR = {"greedy": 400.0, "highspy": 1200.0, "cvxpy": 9000.0}
#: Grid points at which a closed form's interim tables are evaluated, at most
#: (each point costs a few adaptive quadratures: about 1.5 ms).
MAX_CLOSED_FORM_POINTS = 20_000


def _sci(x: float) -> str:
    """``4.2e8`` rather than ``4.2e+08``."""
    if x < 1e5:
        return f"{x:,.0f}"
    mant, exp = f"{x:.2g}".split("e")
    return f"{mant}e{int(exp)}"


def size_field(model: InfoSaleModel) -> str:
    """The model-file field that sets the grid size: ``grid.cells`` or a law's values."""
    if all(t.discrete for t in model.types):
        counts = [len(t.values) for t in model.types]
        worst = max(range(len(counts)), key=counts.__getitem__)
        return f"{getattr(model.types[worst], 'where', None) or 'buyer'}.values"
    return "grid.cells"


def _cells_text(model: InfoSaleModel) -> str:
    m = model.cell_counts()
    if len(set(m)) == 1:
        return f"{m[0]:,} cells per buyer"
    return "cells " + " x ".join(f"{x:,}" for x in m)


def lp_shape(model: InfoSaleModel) -> tuple[float, float, float]:
    """(rows, columns, nonzeros) of the general LP of a model, before building it.

    An upper bound on the nonzeros (entries whose payoff difference is 0 are dropped
    when the matrix is built).

    References
    ----------
    - A. Nouripour, "Selling Information in Competitive Environments", S.M. thesis, Department of
      Electrical Engineering and Computer Science, Massachusetts Institute of Technology, Cambridge,
      MA, September 2021.

    Examples
    --------
    >>> from datamech.models.infosale import create
    >>> rows, cols, nnz = lp_shape(create("competition", alpha=0.5, cells=40))
    >>> int(rows), int(cols), int(nnz)
    (3596, 12880, 164232)
    """
    m = model.cell_counts()
    acts = model.game.action_counts
    S = model.game.n_states
    C = math.prod(float(x) for x in m)  # floats: an estimate may be astronomically large
    A = math.prod(acts)
    n_sigma = float(S) * C * A
    cons = model.constraints
    rows = float(S) * C
    nnz = n_sigma
    if cons.obedience:
        rows += sum(mi * a * (a - 1) for mi, a in zip(m, acts, strict=True))
        nnz += n_sigma * sum(a - 1 for a in acts)
    truth = cons.truthfulness if model.game.linear else "global"
    if cons.truthfulness != "off":
        for mi in m:
            pairs = 2 * (mi - 1) if truth == "adjacent" else mi * (mi - 1)
            # adjacent: a cell inside the grid is in 4 rows (as true type and as report,
            # up and down), the two end cells in 2
            per_var = (4 - 4 / mi if mi > 1 else 0) if truth == "adjacent" else 2 * (mi - 1)
            rows += pairs
            nnz += n_sigma * per_var + 2 * pairs
    if cons.participation:
        rows += sum(m)
        nnz += n_sigma * len(m) + sum(m)
    return rows, n_sigma + sum(m), nnz


def check_lp(model: InfoSaleModel, backend: str) -> None:
    """Refuse a general LP that would not fit in memory (``ModelError`` naming the field)."""
    rows, cols, nnz = lp_shape(model)
    nbytes = nnz * BYTES_PER_NONZERO.get(backend, max(BYTES_PER_NONZERO.values()))
    nbytes += cols * BYTES_PER_RULE_VARIABLE
    check_memory(
        size_field(model),
        nbytes,
        f"the LP of {_cells_text(model)} ({_sci(nnz)} nonzeros, {_sci(cols)} columns, {backend})",
        hint="the reduced LP or the greedy (two buyers, Example 3) need far less"
        if model.n == 2 and model.game.preset == "competition"
        else "",
    )


def check_reduced(model: InfoSaleModel, backend: str | None) -> None:
    """Refuse a reduced LP (backend given) or greedy (``None``) that would not fit."""
    m1, m2 = model.cell_counts()
    pairs = float(m1) * float(m2)
    key = "greedy" if backend is None else backend
    what = "the greedy" if backend is None else f"the reduced LP ({backend})"
    check_memory(
        size_field(model),
        pairs * BYTES_PER_CELL_PAIR.get(key, max(BYTES_PER_CELL_PAIR.values())),
        f"{what} of {_cells_text(model)} ({_sci(pairs)} cell pairs)",
    )


def check_closed_form(model: InfoSaleModel) -> None:
    """Refuse interim tables of a closed form at more grid points than is sensible."""
    points = model.grid.cells
    check_count(
        "grid.cells",
        points,
        MAX_CLOSED_FORM_POINTS,
        f"evaluating the closed form's interim tables at {points:,} grid points",
        hint="the aggregates do not depend on the grid; use fewer cells",
    )
