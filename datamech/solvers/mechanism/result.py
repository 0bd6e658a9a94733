"""Results of kind ``mechanism``: an optimal mechanism (:class:`MechanismResult`) and an
audit of a given one (:class:`AuditResult`), both on the shared result contract."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar

from ...numeric import jsonable
from ...results import Certificate, Result
from ...status import Status

__all__ = ["AuditResult", "MechanismResult", "frame_rows", "plain", "to_jsonable"]


def _fmt_type(t: Any) -> str:
    if isinstance(t, (list, tuple)):
        return "(" + ", ".join(format(float(v), ".6g") for v in t) + ")"
    return format(float(t), ".6g")


def frame_rows(res) -> list[dict[str, Any]]:
    """One row per (agent, type): type, probability, allocation, payment, utility,
    best report and its gain."""
    rows = []
    for i, name in enumerate(res.agents):
        for k, t in enumerate(res.types[i]):
            row: dict[str, Any] = {"agent": name, "type_index": k, "type": _fmt_type(t)}
            row["prob"] = float(res.probs[i][k])
            alloc = res.allocation[i][k]
            if isinstance(alloc, (list, tuple)):
                for j, v in enumerate(alloc):
                    row[f"allocation[{res.coordinates[i][j]}]"] = float(v)
            else:
                row["allocation"] = float(alloc)
            row["payment"] = float(res.payments[i][k])
            row["utility"] = float(res.utility[i][k])
            row["best_report"] = int(res.best_report[i][k])
            row["ic_gain"] = float(res.ic_gain[i][k])
            rows.append(row)
    return rows


class _Tables:
    """The per-(agent, type) table, text and plot shared by both results."""

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(frame_rows(self))

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()  # type: ignore[misc]
        out["certificate"] = self.certificate.to_dict() if self.certificate else None
        return out

    def plot(self, ax=None):
        """Interim allocation and payment of every agent against its type."""
        from matplotlib.figure import Figure

        if ax is None:
            fig = Figure(figsize=(10, 4))  # outside pyplot: no backend switch, nothing to close
            axes = fig.subplots(1, 2)
        else:
            fig, axes = ax.figure, [ax, ax.twinx()]
        one_dim = all(not isinstance(t, (list, tuple)) for ts in self.types for t in ts)
        for i, name in enumerate(self.agents):
            xs = [float(t) for t in self.types[i]] if one_dim else list(range(len(self.types[i])))
            alloc = self.allocation[i]
            if alloc and isinstance(alloc[0], (list, tuple)):
                for j in range(len(alloc[0])):
                    axes[0].plot(
                        xs,
                        [float(a[j]) for a in alloc],
                        drawstyle="steps-mid",
                        label=f"{name} [{self.coordinates[i][j]}]",
                    )
            else:
                axes[0].plot(xs, [float(a) for a in alloc], drawstyle="steps-mid", label=name)
            axes[1].plot(
                xs, [float(p) for p in self.payments[i]], drawstyle="steps-mid", label=name
            )
        xlabel = "type" if one_dim else "type index"
        axes[0].set(xlabel=xlabel, ylabel="interim allocation", title="allocation")
        axes[1].set(xlabel=xlabel, ylabel="interim payment", title="payment")
        if not one_dim:
            from matplotlib.ticker import MaxNLocator

            for a in axes:
                a.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes[0].margins(x=0.02, y=0.05)
        axes[1].margins(x=0.02, y=0.05)
        if len(self.agents) <= 10:
            axes[0].legend(fontsize=8)
        fig.tight_layout()
        return fig


@dataclass(frozen=True, repr=False)
class MechanismResult(_Tables, Result):
    """An optimal mechanism, with its certificate (kind ``mechanism``).

    ``value`` is the objective (``objective_kind``: revenue, welfare or expression) of
    the returned mechanism as recomputed by the independent evaluator; ``allocation`` and
    ``payments`` are interim, per agent and type (an allocation is a list over the
    agent's outcome coordinates when it has several); ``max_*_violation`` are the
    evaluator's exact maxima over the returned mechanism; ``dual_bound`` an upper bound
    on the optimum by weak duality from a repaired dual, and ``gap = dual_bound - value``
    (``None`` when no finite bound could be certified).  ``exact`` results carry
    Fractions and a zero gap proved by an exact dual.

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - K. C. Border, "Implementation of reduced form auctions: a geometric approach", Econometrica
      59(4), 1991.
    - A. M. Manelli and D. R. Vincent, "Bundling as an optimal selling mechanism for a multiple-good
      monopolist", Journal of Economic Theory 127(1), 2006.
    - V. Conitzer and T. Sandholm, "Complexity of mechanism design", Proceedings of the 18th
      Conference on Uncertainty in Artificial Intelligence (UAI), 2002.
    - R. B. Myerson and M. A. Satterthwaite, "Efficient mechanisms for bilateral trading", Journal
      of Economic Theory 29(2), 1983.
    """

    _objective_field: ClassVar[str] = "value"
    _skip_fields: ClassVar[tuple[str, ...]] = ("certificate", "mechanism", "ex_post")
    _summary_fields: ClassVar[tuple[str, ...]] = ("gap", "max_ic_violation")

    status: Status
    value: float | Fraction
    objective_kind: str
    revenue: float | Fraction
    welfare: float | Fraction
    agents: list
    types: list
    probs: list
    coordinates: list
    allocation: list
    payments: list
    utility: list
    best_report: list
    ic_gain: list
    max_ic_violation: float | Fraction
    max_ir_violation: float | Fraction
    max_budget_violation: float | Fraction
    max_feasibility_violation: float | Fraction
    gap: float | Fraction | None
    dual_bound: float | Fraction | None
    method: str
    backend: str
    solver: str
    seconds: float
    preset: str = ""
    constraints: dict = field(default_factory=dict)
    deterministic: bool = False
    exact: bool = False
    mip_gap: float | None = None
    iterations: int = 0
    rows: int = 0
    columns: int = 0
    implementation: dict | None = None
    advice: str | None = None
    certificate: Certificate | None = None
    mechanism: Any = None
    ex_post: Any = None

    @property
    def objective_name(self) -> str:
        return self.objective_kind


@dataclass(frozen=True, repr=False)
class AuditResult(_Tables, Result):
    """An audit of a given mechanism (``datamech audit``): each agent's and type's most
    profitable deviation, the smallest epsilon for which it is epsilon-IC
    (``max_ic_violation``), IR and budget violations, revenue and welfare; exact when
    the inputs are (``exact``).

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - K. C. Border, "Implementation of reduced form auctions: a geometric approach", Econometrica
      59(4), 1991.
    - V. Conitzer and T. Sandholm, "Complexity of mechanism design", Proceedings of the 18th
      Conference on Uncertainty in Artificial Intelligence (UAI), 2002.
    """

    _objective_field: ClassVar[str] = "revenue"
    _skip_fields: ClassVar[tuple[str, ...]] = ("certificate", "mechanism")
    _summary_fields: ClassVar[tuple[str, ...]] = ("max_ic_violation", "max_ir_violation")

    status: Status
    rule: str
    revenue: float | Fraction
    welfare: float | Fraction
    agents: list
    types: list
    probs: list
    coordinates: list
    allocation: list
    payments: list
    utility: list
    best_report: list
    ic_gain: list
    max_ic_violation: float | Fraction
    max_dsic_violation: float | Fraction | None
    max_ir_violation: float | Fraction
    max_budget_violation: float | Fraction
    max_feasibility_violation: float | Fraction
    deviations: list
    method: str
    backend: str
    solver: str
    seconds: float
    preset: str = ""
    constraints: dict = field(default_factory=dict)
    exact: bool = False
    certificate: Certificate | None = None
    mechanism: Any = None

    def format(self) -> str:
        lines = [self._headline()]
        ic = "epsilon-IC with epsilon = " + format(float(self.max_ic_violation), ".6g")
        lines.append(
            f"rule {self.rule}: revenue {float(self.revenue):.6g}, welfare "
            f"{float(self.welfare):.6g}, {ic}, max IR violation "
            f"{float(self.max_ir_violation):.6g}"
        )
        if self.exact:
            lines.append(f"exact: revenue {self.revenue}, epsilon {self.max_ic_violation}")
        lines += ["", self.to_frame().to_string(index=False, float_format=lambda x: f"{x:.6g}")]
        return "\n".join(lines)


def plain(x: Any, exact: bool) -> Any:
    """A number for a result field: the Fraction when ``exact``, else a float."""
    if x is None:
        return None
    if isinstance(x, Fraction) and exact:
        return x
    return float(x)


def to_jsonable(obj: Any) -> Any:
    """Dataclasses (e.g. an implementation description) as JSON-ready dicts."""
    if dataclasses.is_dataclass(obj):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    return jsonable(obj)
