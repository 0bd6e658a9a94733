"""Bilateral data trade (seed 003 §4): first best, second best, simple mechanisms, payments.

One API for the paper's scaling model (``alpha`` in (0, 1): value v x^alpha, cost c x)
and the classic indivisible good (``alpha = 1`` or ``good="indivisible"``).

>>> from datamech.models.distributions import Uniform
>>> sb = second_best(Uniform(0, 1), Uniform(1, 2), alpha="1/2")          # spec B1
>>> round(sb.first_best, 10), round(sb.gains_from_trade, 10)
(0.057762265, 0.0567197698)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ...errors import ModelError
from ...results import ResultMixin
from .core import (
    FirstBestResult,
    SecondBestResult,
    W,
    budget_surplus,
    first_best,
    gains_from_trade,
    second_best,
)
from .mechanisms import (
    MechanismResult,
    broker,
    buyer_proposing,
    posted_price,
    posted_price_gft,
    seller_proposing,
)
from .payments import CheckResult, PaymentResult, check_mechanism, mechanism, payments

__all__ = [
    "BilateralResult",
    "CheckResult",
    "FirstBestResult",
    "MechanismResult",
    "PaymentResult",
    "SecondBestResult",
    "W",
    "broker",
    "budget_surplus",
    "buyer_proposing",
    "check_mechanism",
    "first_best",
    "gains_from_trade",
    "mechanism",
    "payments",
    "posted_price",
    "posted_price_gft",
    "second_best",
    "seller_proposing",
    "solve_bilateral",
    "solve_model",
]

_SIMPLE = {
    "seller_proposing": seller_proposing,
    "buyer_proposing": buyer_proposing,
    "broker": broker,
}


@dataclass(frozen=True)
class BilateralResult(ResultMixin):
    """Everything ``datamech solve`` reports for a bilateral model.

    ``mechanisms`` has one row per mechanism (gains from trade, ratio to the first best,
    U-lower bound, paper guarantee, budget surplus); ``checks`` the IR/IC/budget checks
    of each; ``payments`` one row per (profile, mechanism).
    """

    _skip_fields: ClassVar[tuple[str, ...]] = ("model",)

    status: str
    first_best: float
    second_best: float
    lambda_star: float
    budget_at_zero: float
    second_best_status: str
    mechanisms: list = field(default_factory=list)
    checks: dict = field(default_factory=dict)
    payments: list = field(default_factory=list)
    alpha: Any = None
    good: str = "scaling"
    method: str = "lagrangian"
    solver: str = "brentq"
    seconds: float = 0.0
    buyer: dict = field(default_factory=dict)
    seller: dict = field(default_factory=dict)
    model: Any = None

    def to_frame(self):
        """One row per mechanism."""
        import pandas as pd

        return pd.DataFrame(self.mechanisms)

    def format(self) -> str:
        """A readable table."""
        head = f"bilateral trade ({self.good}, alpha = {self.alpha})"
        lines = [
            head,
            f"first best      {self.first_best:.10g}",
            f"second best     {self.second_best:.10g}   lambda* = {self.lambda_star:.10g}"
            f"   ({self.second_best_status})",
            "",
            f"{'mechanism':<18}{'GFT':>14}{'ratio':>10}{'U-bound':>12}{'guarantee':>11}",
        ]
        for row in self.mechanisms:
            low = row.get("lower_bound")
            g = row.get("guarantee")
            lines.append(
                f"{row['name']:<18}{row['gains_from_trade']:>14.8g}{row['ratio']:>10.5f}"
                f"{'' if low is None else format(low, '.6g'):>12}"
                f"{'' if g is None else format(g, '.5f'):>11}"
            )
        if self.payments:
            lines += ["", f"{'mechanism':<18}{'v':>8}{'c':>8}{'x':>12}{'p^B':>12}{'p^S':>12}"]
            for r in self.payments:
                lines.append(
                    f"{r['mechanism']:<18}{r['v']:>8.4g}{r['c']:>8.4g}{r['allocation']:>12.6g}"
                    f"{r['buyer_payment']:>12.6g}{r['seller_payment']:>12.6g}"
                )
        return "\n".join(lines)

    def plot(self, out_dir) -> list:
        """Allocation heat maps and B(lambda) as PNG + PDF in ``out_dir``."""
        from .plots import plot_allocations, plot_budget

        m = self.model
        if m is None:
            raise ModelError("plot", "this result carries no model to plot")
        lam = self.lambda_star if self.second_best_status != "no_trade" else None
        paths = plot_allocations(m.buyer, m.seller, m.alpha, m.good, out_dir, lam=lam)
        paths += plot_budget(m.buyer, m.seller, m.alpha, m.good, out_dir, lam_star=lam)
        return paths


def solve_bilateral(
    model, method: str = "lagrangian", checks: bool = True, grid: int = 9, **options
) -> BilateralResult:
    """First best, second best (``method``), the selected simple mechanisms, their
    checks and the payments at the model's profiles."""
    t0 = time.perf_counter()
    b, s, a, g = model.buyer, model.seller, model.alpha, model.good
    fb = first_best(b, s, a, g)
    sb = second_best(b, s, a, g, method=method, **options)
    lam = float(sb.lambda_star)
    sb_tie = (float(getattr(sb, "tie_weight", 1.0)), float(getattr(sb, "tie_tol", 0.0)))
    rows = [
        _row("first_best", fb.gains_from_trade, fb.gains_from_trade, fb.budget_surplus),
        _row("second_best", sb.gains_from_trade, fb.gains_from_trade, sb.budget_surplus),
    ]
    price = None
    for name in model.selected:
        if name in _SIMPLE:
            r = _SIMPLE[name](b, s, a, g)
        elif name == "posted_price":
            r = posted_price(b, s, price=model.price)
            price = r.price
        else:
            continue
        rows.append(
            {
                k: r.to_dict()[k]
                for k in (
                    "name",
                    "gains_from_trade",
                    "ratio",
                    "budget_surplus",
                    "lower_bound",
                    "lower_bound_ratio",
                    "guarantee",
                    "guarantee_holds",
                    "price",
                )
            }
        )
    sb_ok = sb.status != "no_trade"
    names = [n for n in model.selected if n != "second_best" or sb_ok]
    kw = {
        "second_best": {"lam": lam, "tie": sb_tie[0], "tie_tol": sb_tie[1]},
        "posted_price": {"price": price},
    }
    report = {}
    if checks:
        for n in names:
            report[n] = check_mechanism(n, b, s, a, g, grid=grid, **kw.get(n, {})).to_dict()
    pays = []
    if model.profiles:
        v = [p[0] for p in model.profiles]
        c = [p[1] for p in model.profiles]
        for n in names:
            res = payments(n, b, s, v, c, a, g, **kw.get(n, {}))
            cols = {f: getattr(res, f) for f in PaymentResult._frame_fields}
            for i in range(len(v)):
                pays.append({"mechanism": n, **{f: float(x[i]) for f, x in cols.items()}})
    return BilateralResult(
        status="optimal",
        first_best=fb.gains_from_trade,
        second_best=float(sb.gains_from_trade),
        lambda_star=lam,
        budget_at_zero=fb.budget_surplus,
        second_best_status=str(sb.status),
        mechanisms=rows,
        checks=report,
        payments=pays,
        alpha=a,
        good=g,
        method=method,
        solver=str(getattr(sb, "solver", "")),
        seconds=time.perf_counter() - t0,
        buyer=b.params(),
        seller=s.params(),
        model=model,
    )


def _row(name: str, gft: float, fb: float, bud: float) -> dict:
    return {
        "name": name,
        "gains_from_trade": float(gft),
        "ratio": float(gft / fb) if fb > 0 else float("nan"),
        "budget_surplus": float(bud),
        "lower_bound": None,
        "lower_bound_ratio": None,
        "guarantee": None,
        "guarantee_holds": None,
        "price": None,
    }


def solve_model(model, method: str = "lagrangian", **options) -> BilateralResult:
    """``datamech.solve`` entry point for kind ``bilateral``.

    Options: ``method`` (lagrangian | cvxpy | pyomo_bic), ``checks`` (bool), ``grid``
    (types per side in the checks); other keywords go to the second-best method.
    """
    if method not in ("lagrangian", "cvxpy", "pyomo_bic"):
        raise ModelError("method", f"must be lagrangian, cvxpy or pyomo_bic, got {method!r}")
    allowed = {"checks", "grid"}
    extra = {k: v for k, v in options.items() if k not in allowed}
    if method == "lagrangian" and extra:
        raise ModelError(f"solver.{sorted(extra)[0]}", "is not an option of the bilateral solver")
    return solve_bilateral(model, method=method, **options)
