"""Figures of the offline problem: revenue curves, concave hulls and ironed virtual values
of the buyers' laws (Section 2), and the optimum's interim allocation by type.

matplotlib on the Agg canvas (never shown).  The functions draw what they are given:
the laws for the ironing panels, arrays for the allocation panel.

Examples
--------
>>> import tempfile
>>> from fractions import Fraction as Fr
>>> from datamech.models.distributions import Discrete
>>> b = Discrete([1, 2, 3], [Fr(3, 5), Fr(1, 10), Fr(3, 10)])  # irregular: types 1, 2 are ironed
>>> paths = plot_ironing([b], tempfile.mkdtemp())
>>> sorted(p.suffix for p in paths)
['.pdf', '.png']
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ....models.distributions import TypeDistribution

__all__ = [
    "AllocationCurve",
    "distinct_laws",
    "draw_allocation",
    "draw_ironing",
    "new_figure",
    "plot_ironing",
    "save_figure",
]

#: (label, types v, interim allocation E[x | v], discrete?) for the allocation panel
AllocationCurve = tuple[str, np.ndarray, np.ndarray, bool]


def new_figure(rows: int, cols: int, width: float = 5.0, height: float = 3.6):
    """A matplotlib Figure on the Agg canvas with a ``rows x cols`` grid of axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * cols, height * rows))
    FigureCanvasAgg(fig)
    return fig, fig.subplots(rows, cols, squeeze=False)


def save_figure(fig: Any, out_dir: str | Path, stem: str) -> list[Path]:
    """Write ``fig`` as ``stem.png`` and ``stem.pdf`` in ``out_dir`` (created if missing)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{stem}.png", out / f"{stem}.pdf"]
    fig.savefig(paths[0], dpi=150, bbox_inches="tight")
    fig.savefig(paths[1], bbox_inches="tight")
    return paths


def distinct_laws(dists: Sequence[TypeDistribution]) -> list[tuple[str, TypeDistribution]]:
    """(label, law) for each distinct law, labelled by the buyers that share it."""
    unique: list[TypeDistribution] = []
    labels: list[str] = []
    for i, d in enumerate(dists):
        for k, u in enumerate(unique):
            if u is d or u.params() == d.params():
                labels[k] += f", {i}"
                break
        else:
            unique.append(d)
            labels.append(f"buyer {i}")
    return list(zip(labels, unique, strict=True))


def _curves(d: TypeDistribution, points: int) -> dict[str, np.ndarray]:
    """Revenue curve R(q), hull R-bar(q) on q in [0, 1] and (v, phi, phi^ir) for plotting."""
    if d.discrete or not d.regular:
        q_r, r = (np.asarray(a, dtype=float) for a in d.ladder().curve())
        q_h, h = (np.asarray(a, dtype=float) for a in d.ladder().hull_vertices())
    else:
        q_r = np.linspace(0.0, 1.0, points)
        with np.errstate(all="ignore"):  # q F^{-1}(1 - q) is 0 * inf at q = 0
            r = np.asarray(d.revenue_curve(q_r), dtype=float)
        r = np.where(np.isfinite(r), r, 0.0)
        q_h, h = q_r, r
    if d.discrete:
        v = np.asarray(d.values, dtype=float)
    else:
        with np.errstate(all="ignore"):
            lo = float(np.asarray(d.quantile(0.0)))
            hi = float(np.asarray(d.quantile(0.995)))
        if not math.isfinite(lo):
            lo = float(np.asarray(d.quantile(0.005)))
        v = np.linspace(lo, hi, points)
    phi = np.asarray(d.virtual_value(d.values if d.discrete else v), dtype=float)
    phir = np.asarray(d.ironed_virtual_value(d.values if d.discrete else v), dtype=float)
    return {"q_r": q_r, "r": r, "q_h": q_h, "h": h, "v": v, "phi": phi, "phir": phir}


def draw_ironing(ax1: Any, ax2: Any, d: TypeDistribution, label: str, points: int = 400) -> None:
    """Left: the revenue curve R(q) = q F^{-1}(1-q) with its least concave majorant
    R-bar (spec §2.1); right: phi(v) and the ironed phi^ir(v) (the slope of R-bar), with
    the reserve price."""
    c = _curves(d, points)
    ax1.plot(c["q_r"], c["r"], "o-" if d.discrete else "-", ms=3, label="R(q)")
    ax1.plot(c["q_h"], c["h"], "--", label="concave hull R̄(q)")
    ax1.set_xlabel("quantile q = P(v ≥ p)")
    ax1.set_ylabel("revenue")
    ax1.set_title(f"{label}: {d.family}")
    ax1.legend(fontsize=8)
    style = "o" if d.discrete else "-"
    ax2.plot(c["v"], c["phi"], style, ms=5, label="φ(v)")
    ax2.plot(c["v"], c["phir"], style if d.discrete else "--", ms=3, label="ironed φ̄(v)")
    ax2.axhline(0.0, color="grey", lw=0.6)
    # gaps in the support have huge negative phi; keep the ironed curve in view
    lo = min(float(np.nanmin(c["phir"])), float(np.nanpercentile(c["phi"], 10)))
    hi = max(float(np.nanmax(c["phir"])), float(np.nanmax(c["phi"])))
    pad = 0.08 * (hi - lo or 1.0)
    ax2.set_ylim(lo - pad, hi + pad)
    v0 = d.reserve_price()
    if math.isfinite(float(v0)):
        ax2.axvline(float(v0), color="grey", ls=":", lw=0.8, label=f"reserve {float(v0):.4g}")
    ax2.set_xlabel("type v")
    ax2.set_ylabel("virtual value")
    ax2.legend(fontsize=8)


def draw_allocation(ax: Any, curves: Sequence[AllocationCurve], title: str = "") -> None:
    """The interim allocation E[x_i | v_i] against the type, one series per buyer
    (markers for discrete types, lines for continuous ones)."""
    for label, v, x, discrete in curves:
        if discrete:
            ax.plot(v, x, "o-", ms=4, label=label)
        else:
            ax.plot(v, x, "-", label=label)
    ax.set_xlabel("type v")
    ax.set_ylabel("interim allocation E[x | v]")
    if title:
        ax.set_title(title)
    if curves:
        ax.legend(fontsize=8)
    ax.margins(x=0.05, y=0.08)  # no point on the frame


def plot_ironing(
    dists: Sequence[TypeDistribution],
    out_dir: str | Path,
    stem: str = "ironing",
    points: int = 400,
) -> list[Path]:
    """One row per distinct buyer law (:func:`draw_ironing`), written as
    ``out_dir/stem.png`` and ``out_dir/stem.pdf``; returns both paths.

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    * R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1),
      58-73, 1981.
    """
    laws = distinct_laws(dists)
    fig, axes = new_figure(len(laws), 2)
    for (ax1, ax2), (label, d) in zip(axes, laws, strict=True):
        draw_ironing(ax1, ax2, d, label, points)
    fig.tight_layout()
    return save_figure(fig, out_dir, stem)
