"""The offline result: the contract of :mod:`datamech.results` plus the family's fields.

``expected_profit`` (OFFL) is the headline; ``method`` says how it was obtained
(``exact``, ``quad``, ``grid``, ``mc`` for Theorem 2.2's closed form; ``pamd``,
``pamd_dsic``, ``pvv`` for the convex programs), ``backend``/``solver`` what ran
(``none``/``none`` for the closed form, ``cvxpy``/``Clarabel`` for the programs).

Statuses: the closed form is *evaluated* (Theorem 2.2 proves it optimal; nothing is
optimized), exactly (``objective_exact`` is the rational OFFL), by quadrature (with the
error estimate ``abserr``) or by Monte Carlo (with the standard error ``stderr``: an
estimate, reported as ``evaluated`` with its standard error, never as exact); the
programs report their solver's status (``optimal`` or ``optimal_inaccurate``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ....numeric import jsonable
from ....results import Certificate, Result
from ....status import Status
from .checks import as_certificate
from .plots import distinct_laws, draw_allocation, draw_ironing, new_figure, save_figure

__all__ = ["OfflineResult"]

FRAME_COLUMNS = ("buyer", "family", "reserve_price", "v", "prob", "r", "phi", "z", "x", "p")


@dataclass(frozen=True, repr=False)
class OfflineResult(Result):
    """The offline optimum (Theorem 2.2).

    Fields besides the contract: ``stderr`` (Monte Carlo standard error) and
    ``abserr`` (quadrature or grid error estimate) of the profit; ``formulation`` (what
    was solved, in words); ``expected_production`` E[D*]; ``alpha``, ``cost``;
    ``buyers`` (per buyer its family, reserve price and, for discrete types, the
    ``table`` of r, the ironed virtual value phi, z = E[x^alpha | v], E[x | v] and
    E[p | v] by type); ``checks`` (payment identity E p_i = E[phi^ir_i x_i^alpha], IR,
    monotonicity: Appendices A.1-A.2; ``certificate`` gives them as a
    :class:`~datamech.results.Certificate`); for the programs ``closed_form_profit``
    and ``problem_size``; ``advice`` (what to change when the status is not certified,
    printed by ``datamech solve``).

    ``to_frame()`` is the allocation table, one row per buyer and type (one row per
    buyer for continuous laws); ``plot()`` draws each distinct law's ironing and the
    interim allocations.

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    * R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1),
      58-73, 1981.
    """

    status: Status
    expected_profit: Any
    method: str
    backend: str
    solver: str
    seconds: float
    stderr: float
    abserr: float
    formulation: str
    expected_production: Any
    alpha: Any
    cost: Any
    buyers: list[dict[str, Any]]
    checks: dict[str, Any] | None = None
    closed_form_profit: Any = None
    problem_size: dict[str, int] | None = None
    laws: tuple = ()
    mech: Any = None
    advice: str = ""
    _objective_field: ClassVar[str] = "expected_profit"
    _skip_fields: ClassVar[tuple[str, ...]] = ("laws", "mech")

    # ---------------------------------------------------------------- tables
    @property
    def certificate(self) -> Certificate | None:
        """The checks as a :class:`~datamech.results.Certificate` (``None`` without checks)."""
        return None if self.checks is None else as_certificate(self.checks)

    def to_frame(self):
        """The allocation table: one row per buyer and type (:data:`FRAME_COLUMNS`)."""
        import pandas as pd

        rows = []
        for i, b in enumerate(self.buyers):
            head = {"buyer": i, "family": b["family"], "reserve_price": _cell(b["reserve_price"])}
            table = b.get("table")
            if not table:
                rows.append(head)
                continue
            for row in table:
                rows.append({**head, **{k: _cell(v) for k, v in row.items()}})
        return pd.DataFrame(rows, columns=[c for c in FRAME_COLUMNS if any(c in r for r in rows)])

    def format(self) -> str:
        """The command's text: the headline, the method, checks, and the table."""
        head = f"{float(self.expected_profit):.10g}"
        if self.objective_exact is not None:
            head += f" (= {self.objective_exact})"
        if self.stderr:
            head += f" +- {self.stderr:.2g} (Monte Carlo standard error)"
        elif self.abserr:
            kind = "mixture laws on a price grid" if self.method == "grid" else "quadrature"
            head += f" ({kind}, error <= {self.abserr:.2g})"
        lines = [
            f"offline optimum, alpha = {self.alpha}, c = {self.cost}: {self.formulation}",
            f"status               {self.status.value}",
            f"expected profit      {head}",
            f"method               {self.method} (backend {self.backend}, solver "
            f"{self.solver}, {self.seconds:.3g} s)",
        ]
        if self.closed_form_profit is not None:
            lines.append(f"closed form (Thm 2.2) {float(self.closed_form_profit):.10g}")
        if self.expected_production is not None:
            lines.append(f"expected production  {float(self.expected_production):.10g}")
        if self.checks:
            lines.append(
                "checks               identity gap {:.2g}, IR {}, monotone {} ({})".format(
                    float(self.checks["identity_gap"]),
                    "ok" if self.checks["ir_ok"] else "VIOLATED",
                    "ok" if self.checks["monotone_ok"] else "VIOLATED",
                    self.checks.get("scope", ""),
                )
            )
        for i, b in enumerate(self.buyers):
            lines.append(f"buyer {i}: {b['family']}, reserve {jsonable(b['reserve_price'])}")
            table = b.get("table") or []
            for row in table[:40]:
                lines.append(
                    "  v = {v:<10.6g} r = {r:<10.6g} E[x] = {x:<12.6g} E[p] = {p:.6g}".format(
                        **{k: float(row[k]) for k in ("v", "r", "x", "p")}
                    )
                )
            if len(table) > 40:
                lines.append(f"  ... {len(table) - 40} more types (to_frame() has them all)")
        return "\n".join(lines)

    # ---------------------------------------------------------------- plots
    def allocation_curves(self) -> list[tuple[str, np.ndarray, np.ndarray, bool]]:
        """(label, v, E[x | v], discrete) per buyer: the table for discrete types; for
        continuous types x_i(v) with the others at their median types."""
        curves = []
        for i, b in enumerate(self.buyers):
            table = b.get("table")
            if table:
                v = np.array([float(row["v"]) for row in table])
                x = np.array([float(row["x"]) for row in table])
                curves.append((f"buyer {i}", v, x, True))
            elif self.mech is not None and i < len(self.laws):
                d = self.laws[i]
                with np.errstate(all="ignore"):
                    us = np.linspace(0.0, 0.995, 200)
                    v = np.asarray(d.quantile(us), dtype=float)
                v = v[np.isfinite(v)]
                med = [float(np.asarray(dj.quantile(0.5))) for dj in self.laws]
                x = []
                for t in v:
                    prof = list(med)
                    prof[i] = t
                    x.append(float(self.mech.allocate(prof)[1][i]))
                curves.append((f"buyer {i} (others at median)", v, np.array(x), False))
        return curves

    def plot(self, ax=None):
        """A figure: per distinct buyer law its revenue curve with the concave hull and
        its (ironed) virtual values, and the interim allocations of all buyers.

        With ``ax`` only the allocation panel is drawn there.  (A directory as the
        argument is the deprecated form: it writes the ironing figure there, as
        :meth:`save_plots` does, and returns the paths.)
        """
        if isinstance(ax, (str, Path)):
            warnings.warn(
                "OfflineResult.plot(out_dir) is deprecated; use save_plots(out_dir)",
                DeprecationWarning,
                stacklevel=2,
            )
            return self.save_plots(ax)[:2]
        if ax is not None:
            draw_allocation(ax, self.allocation_curves(), "interim allocation")
            return ax.figure
        laws = distinct_laws(self.laws)
        fig, axes = new_figure(max(len(laws), 1), 3)
        for row, (label, d) in zip(axes, laws, strict=False):
            draw_ironing(row[0], row[1], d, label)
        draw_allocation(axes[0][2], self.allocation_curves(), f"OFFL = {self.objective:.6g}")
        for row in axes[1:]:
            row[2].set_visible(False)
        fig.tight_layout()
        return fig

    def save_plots(self, out: str | Path, stem: str = "result") -> list[Path]:
        """Write ``ironing.png/.pdf`` (each distinct law's revenue curve, hull and
        virtual values) and ``allocation.png/.pdf`` (interim allocations) into ``out``;
        a ``stem`` other than ``"result"`` prefixes the names."""
        prefix = "" if stem in ("result", "") else f"{stem}_"
        laws = distinct_laws(self.laws)
        fig, axes = new_figure(max(len(laws), 1), 2)
        for (ax1, ax2), (label, d) in zip(axes, laws, strict=False):
            draw_ironing(ax1, ax2, d, label)
        fig.tight_layout()
        paths = save_figure(fig, out, f"{prefix}ironing")
        fig2, ax = new_figure(1, 1, width=6.5, height=4.2)
        draw_allocation(ax[0][0], self.allocation_curves(), f"OFFL = {self.objective:.6g}")
        fig2.tight_layout()
        return paths + save_figure(fig2, out, f"{prefix}allocation")


def _cell(x: Any) -> Any:
    v = jsonable(x)
    return np.nan if v is None else v
