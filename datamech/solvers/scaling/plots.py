"""Revenue curves, their concave hulls and ironed virtual values (spec §2.1), as files.

matplotlib on the Agg canvas, written as PNG and PDF; never shown.

Examples
--------
>>> import tempfile
>>> from fractions import Fraction as Fr
>>> from datamech.models.distributions import Discrete
>>> b = Discrete([1, 2, 3], [Fr(3, 5), Fr(1, 10), Fr(3, 10)])          # spec §6.2 I3
>>> paths = plot_ironing([b], tempfile.mkdtemp())
>>> sorted(p.suffix for p in paths)
['.pdf', '.png']
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ...models.distributions import TypeDistribution


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


def plot_ironing(
    dists: Sequence[TypeDistribution],
    out_dir: str | Path,
    stem: str = "ironing",
    points: int = 400,
) -> list[Path]:
    """One row per distinct buyer law: left, the revenue curve R(q) = q F^{-1}(1-q) with
    its least concave majorant R-bar (spec §2.1); right, the virtual value phi(v) and
    the ironed virtual value phi^ir(v) (the slope of R-bar), with the reserve price.

    Writes ``out_dir/stem.png`` and ``out_dir/stem.pdf`` and returns both paths.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

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
    rows = len(unique)
    fig = Figure(figsize=(10, 3.6 * rows))
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, 2, squeeze=False)
    for (ax1, ax2), d, label in zip(axes, unique, labels, strict=True):
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
    fig.tight_layout()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{stem}.png", out / f"{stem}.pdf"]
    fig.savefig(paths[0], dpi=150)
    fig.savefig(paths[1])
    return paths
