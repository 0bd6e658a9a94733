"""What :func:`datamech.solve` returns for kind ``bilateral``: :class:`BilateralResult`."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ...errors import ModelError
from ...numeric import fmt
from ...results import Certificate, Result
from ...status import Status
from .figures import draw_grid_allocation, new_figure, save_figure
from .plots import allocation_figure, budget_figure, draw_allocation, draw_budget

__all__ = ["BilateralResult", "MECHANISM_COLUMNS"]

#: Columns of the per-mechanism table (``mechanisms`` rows and ``to_frame``).
MECHANISM_COLUMNS = (
    "name",
    "gains_from_trade",
    "ratio",
    "budget_surplus",
    "lower_bound",
    "lower_bound_ratio",
    "guarantee",
    "guarantee_holds",
    "price",
    "status",
)


@dataclass(frozen=True, repr=False)
class BilateralResult(Result):
    """First best, second best (the headline, ``objective_name = "second_best"``), the
    selected simple mechanisms, their checks and payments (Section 4).

    ``method`` computed the second best: ``lagrangian`` (lambda* by root search: status
    ``optimal``), ``program`` (the DSIC grid program: ``optimal``) or ``bic`` (the BIC
    grid program: ``optimal`` for the indivisible good's LP, ``local_optimum`` for the
    scaling model, then ``local`` is True and ``upper_bound`` is the convex bound; a run
    stopped early has status ``iteration_limit`` and ``advice``).  ``regime`` is
    ``interior`` (the budget binds), ``first_best_feasible`` (lambda* = 0) or
    ``no_trade``.  ``mechanisms`` has one row per mechanism (gains from trade, ratio to
    the first best, U-lower bound, the paper's guarantee, budget surplus, price, status
    and, after the checks, ``checks_ok`` and ``max_violation``); ``checks`` maps each
    mechanism to its IR/IC/budget :class:`~datamech.results.Certificate`; ``payments``
    has one row per (profile, mechanism).

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    * R. B. Myerson and M. A. Satterthwaite, "Efficient Mechanisms for Bilateral
      Trading", Journal of Economic Theory 29(2), 265-281, 1983.
    """

    _objective_field: ClassVar[str] = "second_best"
    _skip_fields: ClassVar[tuple[str, ...]] = ("model", "program")

    status: Status
    first_best: float
    second_best: float
    lambda_star: float
    budget_at_zero: float
    regime: str
    method: str
    backend: str
    solver: str
    seconds: float
    mechanisms: list = field(default_factory=list)
    checks: dict = field(default_factory=dict)
    payments: list = field(default_factory=list)
    alpha: Any = None
    good: str = "scaling"
    local: bool = False
    upper_bound: float | None = None
    grid: tuple[int, int] | None = None
    iterations: int = 1
    advice: str = ""
    buyer: dict = field(default_factory=dict)
    seller: dict = field(default_factory=dict)
    model: Any = None
    program: Any = None

    @property
    def _summary_fields(self) -> tuple[str, ...]:  # type: ignore[override]
        return ("lambda_star", "upper_bound") if self.local else ("lambda_star",)

    @property
    def second_best_status(self) -> str:
        """Deprecated: ``status`` and ``regime`` say it."""
        warnings.warn(
            "second_best_status is deprecated; use status and regime",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.regime if self.regime != "interior" else str(self.status)

    def to_dict(self) -> dict[str, Any]:
        """All fields JSON-ready, the contract's keys first; checks as dictionaries."""
        out = super().to_dict()
        out["checks"] = {
            name: cert.to_dict() if isinstance(cert, Certificate) else cert
            for name, cert in self.checks.items()
        }
        return out

    def to_frame(self):
        """One row per mechanism (first best, second best, SellerP, BuyerP, broker,
        posted price, as selected)."""
        import pandas as pd

        return pd.DataFrame(self.mechanisms)

    def format(self) -> str:
        """The command's text: values, how they were computed, the tables."""
        note = str(self.status)
        if self.upper_bound is not None:
            gap = self.upper_bound - self.second_best
            note += f"; upper bound {self.upper_bound:.10g}, gap {max(gap, 0.0):.2g}"
        if self.regime != "interior":
            note += f"; {self.regime.replace('_', ' ')}"
        alpha = "1 (indivisible)" if self.good == "indivisible" else fmt(self.alpha)
        lines = [
            f"bilateral trade ({self.good}, alpha = {alpha})",
            f"first best      {self.first_best:.10g}",
            f"second best     {self.second_best:.10g}   lambda* = {self.lambda_star:.10g}"
            f"   ({note})",
            f"method {self.method}, backend {self.backend}, solver {self.solver}"
            + (f", {self.grid[0]} x {self.grid[1]} cells" if self.grid else "")
            + f", {self.seconds:.3g} s",
            "",
            f"{'mechanism':<18}{'GFT':>14}{'ratio':>10}{'U-bound':>12}{'guarantee':>11}"
            f"{'checks':>8}",
        ]
        for row in self.mechanisms:
            low, g, ok = row.get("lower_bound"), row.get("guarantee"), row.get("checks_ok")
            lines.append(
                f"{row['name']:<18}{row['gains_from_trade']:>14.8g}{row['ratio']:>10.5f}"
                f"{'' if low is None else format(low, '.6g'):>12}"
                f"{'' if g is None else format(g, '.5f'):>11}"
                f"{'' if ok is None else ('ok' if ok else 'FAIL'):>8}"
            )
        if self.payments:
            lines += ["", f"{'mechanism':<18}{'v':>8}{'c':>8}{'x':>12}{'p^B':>12}{'p^S':>12}"]
            for r in self.payments:
                lines.append(
                    f"{r['mechanism']:<18}{r['v']:>8.4g}{r['c']:>8.4g}{r['allocation']:>12.6g}"
                    f"{r['buyer_payment']:>12.6g}{r['seller_payment']:>12.6g}"
                )
        return "\n".join(lines)

    # ---------------------------------------------------------------- plots
    def _laws(self) -> tuple[Any, Any, Any, str]:
        m = self.model
        if m is None:
            raise ModelError("plot", "this result carries no model to plot")
        return m.buyer, m.seller, m.alpha, m.good

    @property
    def _lam(self) -> float | None:
        return self.lambda_star if math.isfinite(self.lambda_star) else None

    def plot(self, ax=None):
        """The second best's allocation x(v, c) (the grid program's for ``program`` and
        ``bic``) beside B(lambda) and GFT(lambda) with lambda*; with ``ax``, only the
        allocation, drawn there.  Returns the figure."""
        laws = self._laws()
        fig, axes = new_figure(ax, ncols=2)
        heat = axes if ax is not None else axes[0]
        if self.program is not None:
            draw_grid_allocation(heat, self.program)
        elif self.regime == "no_trade":
            heat.set_title("second best: no budget-feasible trade (x = 0)")
        else:
            draw_allocation(heat, *laws, name="second_best", lam=self._lam)
        if ax is None:
            draw_budget(axes[1], *laws, lam_star=self._lam)
        return fig

    def save_plots(self, out: str | Path, stem: str = "bilateral") -> list[Path]:
        """Write ``{stem}_allocation`` (x(v, c) of first best, second best, SellerP and
        BuyerP), ``{stem}_budget`` (B(lambda) with lambda*) and, for the grid programs,
        ``{stem}_grid`` (the program's allocation), each as PNG and PDF."""
        laws = self._laws()
        paths = []
        if self.regime != "no_trade":
            fig = allocation_figure(*laws, lam=self._lam)
            paths += save_figure(fig, out, f"{stem}_allocation")
        paths += save_figure(budget_figure(*laws, lam_star=self._lam), out, f"{stem}_budget")
        if self.program is not None:
            paths += save_figure(self.program.plot(), out, f"{stem}_grid")
        return paths
