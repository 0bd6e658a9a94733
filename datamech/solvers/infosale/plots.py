"""Figures of infosale mechanisms: the region maps of Figs 4-1 to 4-3 and interim tables.

Region maps show the recommended correctness profile over (v_1, v_2) in the thesis's
colours (§5.1 figures): blue (r,r), red (r,w), green (w,r), black/gray (w,w).  They are
drawn from a closed-form mechanism (anything with a ``threshold`` method), a
closed-form result (its ``mechanism``) or an LP / greedy result (its ``profile_map``);
interim figures plot pi~_i(v) and p~_i(v) per buyer.  matplotlib only (Agg when
writing files); nothing is shown on screen.  This module imports nothing of the
solvers, so the results can draw themselves (``result.plot()``).

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

from collections.abc import Sequence
from pathlib import Path

import numpy as np

THESIS_COLORS = {"rr": "tab:blue", "rw": "tab:red", "wr": "tab:green", "ww": "0.35"}
CODES = ("rr", "rw", "wr", "ww")


def _figure(figsize):
    """A figure outside pyplot: no backend switch in the user's session, nothing to close."""
    from matplotlib.figure import Figure

    return Figure(figsize=figsize)


def region_grid(source, vmax: float = 3.0, points: int = 300):
    """(v1 axis, v2 axis, codes[v2, v1]) with codes 0 rr, 1 rw, 2 wr, 3 ww.

    ``source``: a closed-form mechanism, a closed-form result or a two-buyer LP /
    greedy result.
    """
    mech = getattr(source, "mechanism", None) or source
    if hasattr(mech, "threshold"):
        axis = np.linspace(mech.low, vmax, points)
        T = np.array([mech.threshold(x) for x in axis])
        right1 = axis[:, None] <= T[None, :]  # [v2 index, v1 index]: v2 <= T(v1)
        right2 = axis[None, :] <= T[:, None]  # v1 <= T(v2)
        codes = np.where(right1, 0, 2) + np.where(right2, 0, 1)
        return axis, axis, codes
    if hasattr(source, "profile_map"):
        v1, v2 = source.type_values
        return np.asarray(v1), np.asarray(v2), source.profile_map().T
    raise TypeError("plot a ClosedFormMechanism, a ClosedFormResult or an InfoSaleResult")


def draw_regions(ax, source, *, vmax: float = 3.0, points: int = 300, title: str | None = None):
    """Draw the (v_1, v_2) region map of ``source`` on ``ax``; returns ``ax``."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    x, y, codes = region_grid(source, vmax, points)
    cmap = ListedColormap([THESIS_COLORS[c] for c in CODES])
    # a raster image: vector quads (pcolormesh) make PDFs slow to write and to open
    dx = (x[1] - x[0]) / 2 if len(x) > 1 else 0.5
    dy = (y[1] - y[0]) / 2 if len(y) > 1 else 0.5
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
    mech = getattr(source, "mechanism", None) or source
    if title is None and hasattr(mech, "rule"):
        title = f"{mech.rule}, alpha = {mech.alpha:g}"
    if title:
        ax.set_title(title)
    present = sorted(set(np.unique(codes).tolist()))
    ax.legend(
        handles=[Patch(color=THESIS_COLORS[CODES[c]], label=CODES[c]) for c in present],
        loc="upper right",
        fontsize=8,
    )
    return ax


def draw_interim(
    ax,
    type_values: Sequence[np.ndarray],
    series: Sequence[np.ndarray],
    *,
    ylabel: str,
    title: str | None = None,
):
    """One line per buyer of ``series[i]`` against ``type_values[i]`` on ``ax``."""
    for i, (v, s) in enumerate(zip(type_values, series, strict=True)):
        ax.plot(np.asarray(v), np.asarray(s), drawstyle="steps-post", label=f"buyer {i + 1}")
    ax.margins(x=0.02, y=0.05)  # no line end on the frame
    ax.set_xlabel("type $v$")
    ax.set_ylabel(ylabel)
    if len(type_values) > 1:
        ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def interim_figure(type_values, shares, payments, title: str | None = None):
    """A two-panel figure: interim shares pi~_i(v) and interim payments p~_i(v)."""
    fig = _figure((9, 3.8))
    a, b = fig.subplots(1, 2)
    draw_interim(a, type_values, shares, ylabel=r"interim share $\tilde\pi_i(v)$")
    draw_interim(b, type_values, payments, ylabel=r"interim payment $\tilde p_i(v)$")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def new_axes(ax=None, size=(4.5, 4.5)):
    """``(figure, ax)``: ``ax`` and its figure, or a new figure with one axes."""
    if ax is not None:
        return ax.figure, ax
    fig = _figure(size)
    return fig, fig.subplots()


def save_figure(fig, base: str | Path, formats: Sequence[str] = ("png", "pdf")) -> list[Path]:
    """Write ``fig`` as ``base.<format>`` for each format and close it."""
    base = Path(base).with_suffix("")
    base.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for fmt in formats:
        p = base.with_suffix(f".{fmt}")
        fig.savefig(p, dpi=150, bbox_inches="tight")
        out.append(p)
    return out


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
    source : ClosedFormMechanism, ClosedFormResult or InfoSaleResult (two buyers)
    path : str or Path
        Output path without suffix (a suffix is replaced).
    vmax : float
        Upper end of both axes (closed forms; LP maps use their grid, cut at vmax).

    References
    ----------
    - A. Nouripour, "Selling Information in Competitive Environments", S.M. thesis, Department of
      Electrical Engineering and Computer Science, Massachusetts Institute of Technology, Cambridge,
      MA, September 2021.
    """
    fig, ax = new_axes()
    draw_regions(ax, source, vmax=vmax, points=points, title=title)
    return save_figure(fig, path, formats)
