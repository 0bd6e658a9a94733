"""``--plot X Y``: a sweep's column Y against X, one line per value of the other swept entries."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...errors import ModelError

__all__ = ["plot_stem", "plot_sweep", "save_figure"]


def plot_sweep(table, x: str, y: str, by: Sequence[str] | None = None, ax=None):
    """Draw column ``y`` of a sweep table against column ``x``.

    One line per combination of the ``by`` columns (default: the other swept paths,
    ``table.attrs["swept"]``), in the table's order; failed cases (no ``y``) are left
    out.  Integer x values get integer ticks.

    Parameters
    ----------
    table : pandas.DataFrame
        What :func:`datamech.experiments.sweep.sweep` returned (or read back).
    x, y : str
        Column names, e.g. ``"model.alpha"`` and ``"objective"``.
    by : sequence of str, optional
        Columns whose values tell the lines apart.
    ax : matplotlib Axes, optional
        Draw into these axes; else a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"n": [2, 3, 2, 3], "m": ["a", "a", "b", "b"], "objective": [1, 2, 2, 4]})
    >>> fig = plot_sweep(t, "n", "objective", by=["m"])
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['m = a', 'm = b']
    """
    import pandas as pd
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    for name in (x, y):
        if name not in table.columns:
            raise ModelError(
                "plot", f"unknown column {name!r} (columns: {', '.join(map(str, table.columns))})"
            )
    if by is None:
        by = [c for c in table.attrs.get("swept", []) if c != x and c in table.columns]
    else:
        for name in by:
            if name not in table.columns or name in (x, y):
                raise ModelError("plot", f"cannot tell lines apart by {name!r}")
    ys = pd.to_numeric(table[y], errors="coerce")
    if ys.notna().sum() == 0:
        raise ModelError("plot", f"column {y!r} has no numbers to plot")
    frame = table.assign(__y=ys)
    if ax is None:
        fig = Figure(figsize=(6.4, 4.2), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    groups = frame.groupby(list(by), sort=False, dropna=False) if by else [((), frame)]
    for key, group in groups:
        group = group[group["__y"].notna()]
        key = key if isinstance(key, tuple) else (key,)
        label = ", ".join(f"{b} = {_show(v)}" for b, v in zip(by, key, strict=True)) or y
        ax.plot(group[x].tolist(), group["__y"].tolist(), marker="o", label=label)
    xs = pd.to_numeric(table[x], errors="coerce")
    if xs.notna().all() and (xs % 1 == 0).all():
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(x)
    names = table["objective_name"].dropna().unique() if "objective_name" in table else []
    ax.set_ylabel(f"{y} ({names[0]})" if y == "objective" and len(names) == 1 else y)
    ax.margins(0.06)
    if by:
        ax.legend(fontsize="small")
    return fig


def _show(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def save_figure(fig, stem: str | os.PathLike) -> list[Path]:
    """Write ``fig`` as ``stem.png`` and ``stem.pdf`` (the folder is created)."""
    stem = Path(stem)
    try:
        stem.parent.mkdir(parents=True, exist_ok=True)
        paths = [stem.with_name(stem.name + ext) for ext in (".png", ".pdf")]
        for p in paths:
            fig.savefig(p, dpi=150)
    except OSError as exc:
        raise ModelError("plot", f"cannot write {stem}.png ({exc.strerror or exc})") from None
    return paths


def plot_stem(out: str | os.PathLike | None, x: str, y: str) -> Path:
    """Where ``--plot X Y`` goes: next to the table (``results_objective_vs_model.alpha``).

    >>> plot_stem("runs/a.csv", "buyers[0].high", "objective").as_posix()
    'runs/a_objective_vs_buyers_0_.high'
    """
    base = Path(out) if out is not None else Path("sweep")
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{y}_vs_{x}")
    return base.with_name(f"{base.stem}_{safe}")
