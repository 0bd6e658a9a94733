"""Figure-2-style plots of a chain's equilibrium outcome (seed 000, §5.2).

A chain result is drawn as the paper's Figure 2 draws its models: per-trade success
rates P(trade i happens), i = 1..n, and per-player expected utilities E[U_i], i = 0..n,
as grouped bars (one group per trade or player, one bar per series), with social
welfare and transaction volume in the title.  Plots receive the numbers they draw
(never a result object), use matplotlib only (Agg canvas, no pyplot, never ``show``)
and have integer axes for trade and player indices.

>>> fig = plot_outcome({"RAW": ([0.4, 0.2], [0.1, 0.2, 0.3])}, title="demo")
>>> [ax.get_xlabel() for ax in fig.axes]
['trade i', 'player i']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .core import to_float

__all__ = ["plot_matrix", "plot_outcome"]

_COLORS = ("#1f77b4", "#d62728", "#7f7f7f", "#2ca02c", "#9467bd")


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _bars(ax, index: np.ndarray, series: Mapping[str, Sequence], xlabel: str, ylabel: str):
    from matplotlib.ticker import MaxNLocator

    width = 0.8 / max(1, len(series))
    for j, (label, values) in enumerate(series.items()):
        offset = (j - (len(series) - 1) / 2) * width
        vals = [to_float(v) for v in values]
        ax.bar(index + offset, vals, width=width, label=label, color=_COLORS[j % len(_COLORS)])
    ax.set_xticks(index)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlim(index[0] - 0.6, index[-1] + 0.6)  # no bar on the frame
    ax.axhline(0, color="black", linewidth=0.6)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)


def plot_outcome(
    series: Mapping[str, tuple[Sequence, Sequence]], *, title: str = "", ax=None, extra: int = 0
):
    """Per-trade success rates and per-player utilities of one or more outcomes.

    Parameters
    ----------
    series : mapping label -> (trade_success, player_utility)
        ``trade_success[i-1]`` = P(trade i happens), i = 1..n; ``player_utility[i]`` =
        E[U_i], i = 0..n (Eq. 2).  Several series are drawn side by side.
    title : str
        The figure's title (e.g. the welfare and volume).
    ax : matplotlib Axes or pair of Axes, optional
        Draw into these: one Axes gets the success rates only, a pair gets both panels.
    extra : int
        Extra empty panels to the right (for callers that add their own panel).

    Returns
    -------
    matplotlib.figure.Figure
    """
    first = next(iter(series.values()))
    n = len(first[0])
    trades, players = np.arange(1, n + 1), np.arange(0, n + 1)
    success = {k: v[0] for k, v in series.items()}
    utility = {k: v[1] for k, v in series.items()}
    if ax is not None:
        axes = list(ax) if isinstance(ax, (list, tuple, np.ndarray)) else [ax]
        fig = axes[0].figure
    else:
        fig = _figure(4.2 * (2 + extra) + 0.6, 3.6)
        axes = list(fig.subplots(1, 2 + extra, squeeze=False)[0])
    _bars(axes[0], trades, success, "trade i", "P(trade i happens)")
    axes[0].set_ylim(0, 1.05)
    if len(axes) > 1:
        _bars(axes[1], players, utility, "player i", "expected utility E[U_i]")
    if len(series) > 1:
        axes[0].legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def plot_matrix(ax, matrix) -> None:
    """The reallocation matrix t as a heatmap (rows: trades 1..n, columns: players 0..n)."""
    from matplotlib.ticker import MaxNLocator

    t = np.array([[to_float(x) for x in row] for row in matrix])
    n = t.shape[0]
    image = ax.imshow(t, vmin=0, vmax=1, cmap="Blues", aspect="auto",
                      extent=(-0.5, n + 0.5, n + 0.5, 0.5))  # fmt: skip
    for (i, j), v in np.ndenumerate(t):
        if v > 0:
            ax.text(j, i + 1, f"{v:.2g}", ha="center", va="center", fontsize=7,
                    color="white" if v > 0.6 else "black")  # fmt: skip
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("player j")
    ax.set_ylabel("trade i")
    ax.set_title("reallocation t_ij", fontsize=10)
    ax.figure.colorbar(image, ax=ax, shrink=0.8)
