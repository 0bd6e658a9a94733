"""Region maps of Figs 4-1 to 4-3: the recommended correctness profile over (v_1, v_2).

Colours follow the thesis (§5.1 figures): blue (r,r), red (r,w), green (w,r), black/gray
(w,w).  Maps are drawn from a closed-form mechanism or from an LP / greedy result and
written to files (PNG and PDF); nothing is shown on screen.

Examples
--------
>>> import tempfile, pathlib
>>> from datamech.models.distributions import Exponential
>>> from datamech.solvers.infosale import ClosedFormMechanism
>>> M = ClosedFormMechanism(0.5, [0.5, 0.5], Exponential(1.0), "revenue")
>>> out = plot_regions(M, pathlib.Path(tempfile.mkdtemp()) / "fig4_2", vmax=2.5)
>>> sorted(p.suffix for p in out)
['.pdf', '.png']
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .closed_form import ClosedFormMechanism
from .results import InfoSaleResult

THESIS_COLORS = {"rr": "tab:blue", "rw": "tab:red", "wr": "tab:green", "ww": "0.35"}
_CODES = ("rr", "rw", "wr", "ww")


def region_grid(source, vmax: float = 3.0, points: int = 300):
    """(v1 axis, v2 axis, codes[v2, v1]) with codes 0 rr, 1 rw, 2 wr, 3 ww."""
    if isinstance(source, ClosedFormMechanism):
        axis = np.linspace(source.low, vmax, points)
        T = np.array([source.threshold(x) for x in axis])
        right1 = axis[:, None] <= T[None, :]  # [v2 index, v1 index]: v2 <= T(v1)
        right2 = axis[None, :] <= T[:, None]  # v1 <= T(v2)
        codes = np.where(right1, 0, 2) + np.where(right2, 0, 1)
        return axis, axis, codes
    if isinstance(source, InfoSaleResult):
        v1, v2 = source.type_values
        return v1, v2, source.profile_map().T
    raise TypeError("plot a ClosedFormMechanism or an InfoSaleResult")


def plot_regions(
    source,
    path: str | Path,
    *,
    vmax: float = 3.0,
    points: int = 300,
    title: str | None = None,
    formats: tuple[str, ...] = ("png", "pdf"),
) -> list[Path]:
    """Draw the (v_1, v_2) region map and write it as ``path.png`` / ``path.pdf``.

    Parameters
    ----------
    source : ClosedFormMechanism or InfoSaleResult (two buyers)
    path : str or Path
        Output path without suffix (a suffix is replaced).
    vmax : float
        Upper end of both axes (closed forms; LP maps use their grid, cut at vmax).
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    x, y, codes = region_grid(source, vmax, points)
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    cmap = ListedColormap([THESIS_COLORS[c] for c in _CODES])
    # a raster image: vector quads (pcolormesh) make PDFs slow to write and to open
    dx, dy = (x[1] - x[0]) / 2 if len(x) > 1 else 0.5, (y[1] - y[0]) / 2 if len(y) > 1 else 0.5
    ax.imshow(
        codes,
        origin="lower",
        extent=(x[0] - dx, x[-1] + dx, y[0] - dy, y[-1] + dy),
        cmap=cmap,
        vmin=-0.5,
        vmax=3.5,
        interpolation="nearest",
        aspect="auto",
    )
    ax.set_xlim(x[0], min(vmax, x[-1]))
    ax.set_ylim(y[0], min(vmax, y[-1]))
    ax.set_xlabel("$v_1$")
    ax.set_ylabel("$v_2$")
    ax.set_aspect("equal")
    if title is None and isinstance(source, ClosedFormMechanism):
        title = f"{source.rule}, alpha = {source.alpha:g}"
    if title:
        ax.set_title(title)
    present = sorted(set(np.unique(codes).tolist()))
    ax.legend(
        handles=[Patch(color=THESIS_COLORS[_CODES[c]], label=_CODES[c]) for c in present],
        loc="upper right",
        fontsize=8,
    )
    base = Path(path).with_suffix("")
    base.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for fmt in formats:
        p = base.with_suffix(f".{fmt}")
        fig.savefig(p, dpi=150, bbox_inches="tight")
        out.append(p)
    plt.close(fig)
    return out
