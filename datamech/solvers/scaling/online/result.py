"""The online result: the contract of :mod:`datamech.results` plus the family's fields.

``expected_profit`` is the headline (ONL for ``mechanism = "optimal"``, ALG otherwise);
``method`` says how it was obtained (``exact``, ``grid`` for the grid DP or a mixture's
price grid, ``quad``, ``mc``); ``backend`` and ``solver`` are ``none`` (dynamic
programs and closed forms).

Statuses: the optimal mechanism's DP is ``optimal`` (exactly, or to the grid DP's error
estimate ``abserr``); every other mechanism, and any Monte Carlo estimate, is
``evaluated`` (a given mechanism's profit computed, nothing optimized), with its
``abserr`` (quadrature) or ``stderr`` (Monte Carlo standard error).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, ClassVar

from ....numeric import jsonable
from ....results import Result
from ....status import Status
from .plots import draw_paths, paths_figure

__all__ = ["OnlineResult"]

PLOT_PATHS = 20_000  #: simulated paths behind the mean levels of the plot


@dataclass(frozen=True, repr=False)
class OnlineResult(Result):
    """An online mechanism solved or evaluated (Section 3).

    Fields besides the contract: ``mechanism``; ``stderr`` (Monte Carlo) and
    ``abserr`` (grid DP or quadrature error estimate) of the profit; ``formulation``;
    ``expected_production`` E[D_n], ``pre_production`` D_0 and ``expected_levels``
    [E[D_0], ..., E[D_n]]; the benchmarks ``online_optimum`` (ONL) and
    ``offline_optimum`` (OFFL) with their error estimates and the ratios; Theorem 3.4's
    ``guarantee`` for the two-stage mechanism; ``alpha``, ``cost``, ``delta``,
    ``allocate``; per buyer the rule and (discrete types) a table of r, production
    target and allocation/payment at the level D_0 (``buyers``); and a seeded
    ``sample_path`` with online payments.

    ``to_frame()`` has one row per arrival: the buyer's law, E[r], reserve price, the
    expected level E[D_i] after the arrival and the sample path's type, level,
    allocation, payment and utility.

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    """

    status: Status
    expected_profit: Any
    method: str
    backend: str
    solver: str
    seconds: float
    mechanism: str
    stderr: float
    abserr: float
    formulation: str
    expected_production: Any
    pre_production: Any
    expected_levels: list
    online_optimum: Any
    online_abserr: float
    offline_optimum: Any
    offline_abserr: float
    ratio_to_online: float
    ratio_to_offline: float
    guarantee: Any
    alpha: Any
    cost: Any
    delta: Any
    allocate: str
    buyers: list
    sample_path: list
    mech: Any = None
    _objective_field: ClassVar[str] = "expected_profit"
    _skip_fields: ClassVar[tuple[str, ...]] = ("mech",)
    _summary_fields: ClassVar[tuple[str, ...]] = ("mechanism",)

    def to_frame(self):
        """One row per arrival (see the class docstring)."""
        import pandas as pd

        path = {row["buyer"]: row for row in self.sample_path}
        rows = []
        for i, b in enumerate(self.buyers):
            row: dict[str, Any] = {
                "buyer": i,
                "family": b["family"],
                "mean_r": jsonable(b["mean_r"]),
                "reserve_price": jsonable(b["reserve_price"]),
                "expected_level": jsonable(self.expected_levels[i + 1]),
            }
            if i in path:
                p = path[i]
                row.update(
                    {k: jsonable(p[k]) for k in ("v", "r", "level", "allocation", "payment")}
                )
                row["utility"] = jsonable(p["utility"])
            rows.append(row)
        return pd.DataFrame(rows)

    def format(self) -> str:
        def num(x: Any, err: float = 0.0) -> str:
            s = f"{float(x):.10g}"
            if isinstance(x, Fraction):
                s += f" (= {x})"
            if err:
                s += f" +- {err:.2g}"
            return s

        lines = [
            f"online mechanism '{self.mechanism}', alpha = {self.alpha}, c = {self.cost}"
            + (f", delta = {self.delta}" if self.mechanism == "two_stage" else "")
            + (f", allocate = {self.allocate}" if self.mechanism == "greedy" else ""),
            f"status               {self.status.value} ({self.formulation})",
            f"expected profit      {num(self.expected_profit, self.stderr or self.abserr)}"
            f" ({self.method})",
            f"expected production  {num(self.expected_production)}",
            f"pre-production D_0   {num(self.pre_production)}",
        ]
        if self.online_optimum is not None:
            lines.append(f"online optimum ONL   {num(self.online_optimum, self.online_abserr)}")
        if self.offline_optimum is not None:
            lines.append(f"offline optimum OFFL {num(self.offline_optimum, self.offline_abserr)}")
        lines.append(
            f"ratios               ALG/ONL = {self.ratio_to_online:.6g}, "
            f"ALG/OFFL = {self.ratio_to_offline:.6g}"
        )
        if self.guarantee is not None:
            lines.append(f"Theorem 3.4 bound    ALG/OFFL >= {float(self.guarantee):.6g}")
        lines.append(f"seconds              {self.seconds:.3g}")
        for i, b in enumerate(self.buyers[:50]):
            lines.append(
                f"buyer {i}: {b['family']}, E[r] = {float(b['mean_r']):.6g}, "
                f"reserve {float(b['reserve_price']):.6g}"
            )
            for row in b.get("table", []):
                lines.append(
                    "  v = {v:<10.6g} r = {r:<10.6g} target = {target:<12.6g} "
                    "x = {x:<12.6g} p = {p:.6g}".format(
                        **{k: float(row[k]) for k in ("v", "r", "target", "x", "p")}
                    )
                )
        if len(self.buyers) > 50:
            lines.append(f"... {len(self.buyers) - 50} more buyers (to_frame() has them all)")
        if self.sample_path:
            lines.append("sample path (seeded): i, v, D_i, x_i, p_i")
            for row in self.sample_path:
                lines.append(
                    "  {buyer:<3d} {v:<10.6g} {level:<12.6g} {allocation:<12.6g} "
                    "{payment:.6g}".format(
                        buyer=row["buyer"],
                        **{k: float(row[k]) for k in ("v", "level", "allocation", "payment")},
                    )
                )
        return "\n".join(lines)

    # ---------------------------------------------------------------- plots
    def path_series(self, paths: int = PLOT_PATHS, seed: int = 0) -> list[tuple[str, Any]]:
        """(label, simulated levels) for this mechanism and, unless it is the optimal
        one, the optimal online mechanism, on the same seeded draws."""
        shown = [(self.mechanism, self.mech)]
        if self.mechanism != "optimal":
            shown.append(("optimal", self.mech.optimal_counterpart()))
        return [(label, m.simulate(paths, seed)["levels"]) for label, m in shown]

    def plot(self, ax=None):
        """Production paths D_0..D_n along seeded simulated paths, this mechanism against
        the optimum (a Figure; drawn into ``ax`` when given).  A directory as the
        argument is the deprecated form of :meth:`save_plots`."""
        if isinstance(ax, (str, Path)):
            warnings.warn(
                "OnlineResult.plot(out_dir) is deprecated; use save_plots(out_dir)",
                DeprecationWarning,
                stacklevel=2,
            )
            return self.save_plots(ax)
        series = self.path_series()
        if ax is not None:
            draw_paths(ax, series)
            return ax.figure
        return paths_figure(series, self.alpha, self.cost)

    def save_plots(self, out: str | Path, stem: str = "result") -> list[Path]:
        """Write ``online_paths.png`` and ``online_paths.pdf`` into ``out`` (a ``stem``
        other than ``"result"`` prefixes the names)."""
        prefix = "" if stem in ("result", "") else f"{stem}_"
        fig = self.plot()
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / f"{prefix}online_paths.png", out / f"{prefix}online_paths.pdf"]
        for p in paths:
            fig.savefig(p, dpi=150, bbox_inches="tight")
        return paths
