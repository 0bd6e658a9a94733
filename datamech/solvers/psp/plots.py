"""Convergence curves of the PSP dynamics (matplotlib, written to files; never shown).

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

from .dynamics import Simulation


def plot_convergence(
    runs: Mapping[float, Simulation],
    path: str | Path,
    optimum: float | None = None,
    efficiency: bool = False,
) -> list[Path]:
    """Welfare (or loss W* − W when ``optimum`` is given, or efficiency W/W* when
    ``efficiency`` is also set) and updates per round, one curve per ε; writes
    ``path``.png and ``path``.pdf and returns both paths.

    ``runs`` maps ε to anything with ``welfare_curve`` and ``updates_curve`` (a
    :class:`~.dynamics.Simulation` or a :class:`~datamech.solvers.psp.PSPResult`)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for eps, run in sorted(runs.items(), reverse=True):
        rounds = range(1, len(run.welfare_curve) + 1)
        if optimum is None:
            ax1.plot(rounds, run.welfare_curve, label=f"ε = {eps:g}")
        elif efficiency:
            eta = [w / optimum for w in run.welfare_curve]
            ax1.plot(rounds, eta, marker="." if len(eta) < 30 else None, label=f"ε = {eps:g}")
        else:
            loss = [max(optimum - w, 1e-12) for w in run.welfare_curve]
            ax1.semilogy(rounds, loss, label=f"ε = {eps:g}")
        ax2.plot(rounds, run.updates_curve, label=f"ε = {eps:g}")
    ax1.set_xlabel("round")
    if optimum is None:
        ax1.set_ylabel("welfare")
    else:
        ax1.set_ylabel("efficiency W / W*" if efficiency else "welfare loss W* − W")
    ax2.set_xlabel("round")
    ax2.set_ylabel("buyers updating")
    ax1.legend()
    fig.tight_layout()
    base = Path(path)
    base.parent.mkdir(parents=True, exist_ok=True)
    out = [base.with_suffix(".png"), base.with_suffix(".pdf")]
    for p in out:
        fig.savefig(p)
    plt.close(fig)
    return out
