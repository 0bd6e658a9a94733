"""Convergence figures of the PSP dynamics (matplotlib, Agg; returned or written, never shown).

Two panels per figure: welfare (or efficiency W/W*, or the loss W* − W) per pass, and the
number of buyers that updated per pass with its rolling mean.  Passes and buyer counts
are integers, so both panels use integer ticks; the axes keep matplotlib's margins so no
point is drawn on the frame.

Examples
--------
>>> import tempfile, pathlib
>>> from datamech.models.psp import PSPModel
>>> from datamech.models.psp_valuations import QuadraticValuation as Qv
>>> from datamech.solvers.psp import Market, simulate
>>> m = PSPModel([10.0], ("a", "b"), (Qv(0.2, 10.0), Qv(0.3, 8.0)), 0.2, schedule="round_robin")
>>> runs = {0.2: simulate(Market(m))}
>>> out = plot_convergence(runs, pathlib.Path(tempfile.mkdtemp()) / "conv", optimum=None)
>>> sorted(p.suffix for p in out)
['.pdf', '.png']
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np


def rolling_mean(values, window: int) -> np.ndarray:
    """Mean of the last ``window`` values at each position (fewer at the start).

    >>> rolling_mean([0, 2, 4, 6], 2).tolist()
    [0.0, 1.0, 3.0, 5.0]
    """
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return x
    c = np.concatenate(([0.0], np.cumsum(x)))
    k = np.arange(1, x.size + 1)
    lo = np.maximum(k - window, 0)
    return (c[k] - c[lo]) / (k - lo)


def convergence_figure(
    runs: Mapping[float, object],
    optimum: float | None = None,
    efficiency: bool = False,
    axes=None,
):
    """The convergence figure of one or more runs, one curve per ε.

    Parameters
    ----------
    runs : mapping ε -> run
        Anything with ``welfare_curve``, ``updates_curve`` and optionally ``curve_step``
        (a :class:`~.dynamics.Simulation` or a :class:`~.result.PSPResult`).
    optimum : float, optional
        W*: plot the loss W* − W (log scale), or with ``efficiency`` W / W*.
    axes : pair of matplotlib Axes, optional
        Draw into these (default: a new figure with two panels).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    if axes is None:
        fig = Figure(figsize=(10, 4))  # outside pyplot: no backend switch, nothing to close
        ax1, ax2 = fig.subplots(1, 2)
    else:
        ax1, ax2 = axes
        fig = ax1.figure
    for eps, run in sorted(runs.items(), reverse=True):
        step = int(getattr(run, "curve_step", 1) or 1)
        w = np.asarray(run.welfare_curve, dtype=float)
        rounds = 1 + step * np.arange(w.size)
        label = f"ε = {eps:g}"
        if optimum is None:
            ax1.plot(rounds, w, label=label)
        elif efficiency:
            ax1.plot(rounds, w / optimum, marker="." if w.size < 30 else None, label=label)
        else:
            ax1.semilogy(rounds, np.maximum(optimum - w, 1e-12), label=label)
        upd = np.asarray(run.updates_curve, dtype=float)
        window = max(1, upd.size // 50)
        (line,) = ax2.plot(rounds[: upd.size], upd, alpha=0.25, linewidth=0.8)
        ax2.plot(
            rounds[: upd.size],
            rolling_mean(upd, window),
            color=line.get_color(),
            label=f"{label}, mean of {window} passes" if window > 1 else label,
        )
    ax1.set_xlabel("pass")
    if optimum is None:
        ax1.set_ylabel("welfare W")
    else:
        ax1.set_ylabel("efficiency W / W*" if efficiency else "welfare loss W* − W")
    ax2.set_xlabel("pass")
    ax2.set_ylabel("buyers updating")
    for ax in (ax1, ax2):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.margins(x=0.03, y=0.06)
    ax2.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax1.legend()
    ax2.legend()
    fig.tight_layout()
    return fig


def plot_convergence(
    runs: Mapping[float, object],
    path: str | Path,
    optimum: float | None = None,
    efficiency: bool = False,
) -> list[Path]:
    """:func:`convergence_figure` written to ``path``.png and ``path``.pdf (both returned)."""
    fig = convergence_figure(runs, optimum=optimum, efficiency=efficiency)
    base = Path(path)
    base.parent.mkdir(parents=True, exist_ok=True)
    out = [base.with_suffix(".png"), base.with_suffix(".pdf")]
    for p in out:
        fig.savefig(p, bbox_inches="tight", dpi=150)
    return out
