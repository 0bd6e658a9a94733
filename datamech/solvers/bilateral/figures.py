"""Figure helpers of the bilateral family that need no solver: new figures, saving, and
the heat map of a grid program's allocation (drawn from the result it is given).

Figures are :class:`matplotlib.figure.Figure` objects built without pyplot (nothing is
shown, no global state).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["draw_grid_allocation", "new_figure", "save_figure"]


def new_figure(ax=None, ncols: int = 1, width: float = 5.0, height: float = 4.0):
    """``(figure, axes)``: a new Figure with ``ncols`` panels, or ``ax``'s own figure."""
    if ax is not None:
        return ax.figure, ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * ncols, height), layout="constrained")
    axes = fig.subplots(1, ncols)
    return fig, axes


def save_figure(fig, out: str | Path, stem: str, dpi: int = 110) -> list[Path]:
    """Write ``fig`` as ``stem.png`` and ``stem.pdf`` into the directory ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{stem}.png", out / f"{stem}.pdf"]
    for p in paths:
        fig.savefig(p, dpi=dpi)
    return paths


def draw_grid_allocation(ax, res: Any) -> None:
    """Heat map of a grid program's allocation (a :class:`~.dsic.ProgramResult`) on ``ax``:
    one tile per (buyer cell, seller cell), at the cells' conditional means."""
    z = np.asarray(res.z, dtype=float)  # x^alpha (scaling) or x (indivisible)
    im = ax.pcolormesh(res.buyer_values, res.seller_values, z.T, shading="nearest", cmap="viridis")
    ax.set_title(f"{res.incentive} program, {res.grid[0]} x {res.grid[1]} cells")
    ax.set_xlabel("buyer value v")
    ax.set_ylabel("seller cost c")
    ax.figure.colorbar(im, ax=ax, label="x" if res.good == "indivisible" else "x^alpha")
