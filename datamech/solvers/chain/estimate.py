"""Memory and work of the chain solvers, estimated from the model before anything is allocated.

Each solver calls one of these first; over the limit the model is refused with a
``ModelError`` naming the field that drives the size (:mod:`datamech.sizes`).  The
constants are upper bounds of measured tracemalloc peaks (``benchmarks/chain_solvers.py``:
the fast solver about 8 L x L float arrays at once per batch entry, Algorithm 4 about 9,
its grid's transition matrix included, the a-posteriori check 8 on its finer grid).

>>> from datamech.models.chain import paper_model
>>> check_equilibrium(paper_model(2, 5), "fast", exact=True)   # fits: returns nothing
"""

from __future__ import annotations

from ...models.chain import ChainModel
from ...sizes import FLOAT, FRACTION, check_count, check_memory

__all__ = [
    "FAST_ARRAYS",
    "FPTAS_ARRAYS",
    "MAX_WORK",
    "check_equilibrium",
    "check_grid",
    "show_progress",
]

FAST_ARRAYS = 12  # L x L arrays alive at once in the fast solver's stage
FPTAS_ARRAYS = FAST_ARRAYS + 1  # Algorithm 4: the grid's transition matrix and the solve
#: Elementary steps (n^2 L^2 for fast, n^2 L^4 for reference) refused as hopeless:
#: about 1e-9 s each in floats and 1e-5 s in Fractions (measured), so either limit is
#: a quarter of an hour.
MAX_WORK = {"float": 1e12, "exact": 1e8}
PROGRESS_WORK = 3e8  # show a progress bar above this many steps


def _work(model: ChainModel, method: str) -> float:
    n, L = model.n, model.L
    return float(n) * n * L * L * (L * L if method == "reference" else 1)


def _field(model: ChainModel) -> str:
    return "model.n" if model.n >= model.L else "model.values"


def check_equilibrium(
    model: ChainModel, method: str, exact: bool, batch: int = 1, field: str | None = None
) -> None:
    """Refuse an equilibrium solve whose memory or work is beyond reach.

    Memory: ``FAST_ARRAYS`` L x L arrays and 4 n x L ones per batch entry (the reference
    keeps one L x L matrix per trade), in floats or Fractions; exact mode also converts
    the model's arrays.  Work: n^2 L^2 (fast) or n^2 L^4 (reference) steps.  ``batch``:
    equilibria solved at once (the OPT searches), named by ``field`` when it drives the
    memory.
    """
    n, L = model.n, model.L
    elem = FRACTION if exact else FLOAT
    if method == "reference":
        nbytes = elem * (n * L * L + 4 * n * L)
    else:
        nbytes = elem * batch * (FAST_ARRAYS * L * L + 4 * n * L)
    if exact and not model.is_rational:
        nbytes += FRACTION * model.transition.size
    what = f"the {'exact ' if exact else ''}{method} solver for n = {n}, L = {L}"
    if batch > 1:
        what += f" on {batch:,} matrices at once"
    size_field = _field(model)
    check_memory(field if batch > 1 and field else size_field, nbytes, what)
    work = _work(model, method)
    if method == "reference":
        hint = "method = 'fast' gives the same equilibrium in O(n^2 L^2)"
    else:
        hint = "float mode (exact = false) is about 10,000 times faster" if exact else ""
    limit = MAX_WORK["exact" if exact else "float"]
    check_count(size_field, work, limit, f"{what} ({work:.2g} steps)", hint=hint)


def show_progress(model: ChainModel, method: str, exact: bool = False) -> bool:
    """Whether a solve is long enough to show a progress bar."""
    return _work(model, method) * (10_000 if exact else 1) > PROGRESS_WORK


def check_grid(field: str, size: int, what: str, hint: str = "") -> None:
    """Refuse an Algorithm 4 grid of ``size`` points that will not fit (``FPTAS_ARRAYS``)."""
    check_memory(field, FPTAS_ARRAYS * FLOAT * float(size) ** 2, what, hint=hint)
