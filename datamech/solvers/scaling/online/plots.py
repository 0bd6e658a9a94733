"""Online production paths (spec item 7): D_0..D_n along seeded sampled paths.

The functions draw the arrays they are given: for each mechanism the simulated levels
(paths x (n + 1)).  :meth:`.OnlineResult.plot` simulates the chosen mechanism and the
optimal online mechanism on the *same* draws of r (same seed), so each thin line pair
compares the two on one arrival sequence; the thick lines are the mean levels E[D_i].

>>> import numpy as np
>>> fig = paths_figure([("greedy", np.array([[0.0, 1.0, 1.0], [0.0, 0.0, 2.0]]))], 0.5, 1.0)
>>> len(fig.axes)
1
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["draw_paths", "paths_figure"]

COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red")


def draw_paths(
    ax: Any, series: Sequence[tuple[str, np.ndarray]], shown: int = 12, title: str = ""
) -> None:
    """Levels D_i against the arrival index i (0 = before the first buyer): the first
    ``shown`` paths of each series thin, their mean thick."""
    from matplotlib.ticker import MaxNLocator

    for (label, levels), color in zip(series, COLORS, strict=False):
        steps = np.arange(levels.shape[1])
        for row in levels[:shown]:
            ax.step(steps, row, where="post", color=color, alpha=0.3, lw=0.8)
        ax.step(
            steps, levels.mean(axis=0), where="post", color=color, lw=2.4,
            label=f"{label}: mean E[D_i]",
        )  # fmt: skip
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # arrivals are a count
    ax.set_xlabel("arrival i (0 = before the first buyer)")
    ax.set_ylabel("data level D_i")
    ax.margins(x=0.03, y=0.06)  # no point on the frame
    if title:
        ax.set_title(title)
    if series:
        ax.legend()


def paths_figure(series: Sequence[tuple[str, np.ndarray]], alpha: Any, cost: Any, shown: int = 12):
    """A Figure (Agg canvas) with :func:`draw_paths` of ``series``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.2))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    title = f"online production paths (alpha = {float(alpha):g}, c = {float(cost):g})"
    draw_paths(ax, series, shown, title)
    fig.tight_layout()
    return fig
