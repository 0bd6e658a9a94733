"""Online production paths (spec item 7): D_0..D_n along seeded sampled paths.

The chosen mechanism and the optimal online mechanism are simulated on the *same* draws
of r (same seed), so each thin line pair compares the two on one arrival sequence; the
thick lines are the mean levels E[D_i] over all simulated paths.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def plot_paths(
    mech: Any,
    out_dir: str | Path,
    paths: int = 12,
    mean_paths: int = 20_000,
    seed: int = 0,
    stem: str = "online_paths",
) -> list[Path]:
    """Write ``<stem>.png`` and ``<stem>.pdf``: levels D_i against the arrival index i.

    Parameters
    ----------
    mech : OnlineMechanism
        The mechanism to show (the optimum is built from its laws, alpha and cost).
    out_dir : str or Path
        Output directory (created if missing).
    paths, mean_paths, seed : int
        Number of drawn paths shown, paths averaged for the mean, and the seed.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .online import OnlineMechanism

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    shown = [(mech.mechanism, mech)]
    if mech.mechanism != "optimal":
        shown.append(
            (
                "optimal",
                OnlineMechanism(mech.dists, mech.alpha, mech.cost, "optimal", grid=mech.grid),
            )
        )
    fig, ax = plt.subplots(figsize=(7, 4.2))
    steps = np.arange(mech.n + 1)
    for (label, m), color in zip(shown, ("tab:blue", "tab:orange"), strict=False):
        sim = m.simulate(max(paths, mean_paths), seed)
        lv = sim["levels"]
        for row in lv[:paths]:
            ax.step(steps, row, where="post", color=color, alpha=0.3, lw=0.8)
        ax.step(
            steps, lv.mean(axis=0), where="post", color=color, lw=2.4, label=f"{label}: mean E[D_i]"
        )
    ax.set_xlabel("arrival i (0 = before the first buyer)")
    ax.set_ylabel("data level D_i")
    ax.set_title(
        f"online production paths (alpha = {float(mech.alpha):g}, c = {float(mech.cost):g})"
    )
    ax.legend()
    fig.tight_layout()
    files = [out / f"{stem}.png", out / f"{stem}.pdf"]
    for f in files:
        fig.savefig(f)
    plt.close(fig)
    return files
