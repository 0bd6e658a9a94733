"""Solving a bilateral model: first best, second best by the chosen method, the selected
simple mechanisms, their checks and payments (:func:`solve_model`, kind ``bilateral``)."""

from __future__ import annotations

import math
import time
from typing import Any

from ...models.bilateral import BilateralModel
from ...options import COMMON
from ...sizes import check_count
from ...status import Status
from .checks import check_grid_allocation, check_mechanism
from .core import first_best, law_summary, second_best
from .mechanisms import broker, buyer_proposing, posted_price, seller_proposing
from .payments import MAX_PAYMENT_EVALUATIONS, PaymentResult, payments
from .result import MECHANISM_COLUMNS, BilateralResult
from .settings import OPTIONS, canonical_method

__all__ = ["solve_bilateral", "solve_model"]

_SIMPLE = {
    "seller_proposing": seller_proposing,
    "buyer_proposing": buyer_proposing,
    "broker": broker,
}
_PREFIX = "solver."  # options are named as in the model file's [solver] table


def solve_model(model: BilateralModel, **options: Any) -> BilateralResult:
    """:func:`datamech.solve` entry point for kind ``bilateral`` (also
    :func:`solve_bilateral`): first best, second best by ``method``, the selected simple
    mechanisms, their checks on a ``check_grid`` type grid and the payments at the
    model's profiles.

    Options (``datamech options bilateral``, checked by :data:`~.settings.OPTIONS`):
    ``method`` (lagrangian | program | bic; old names cvxpy, pyomo_bic), ``backend``,
    ``solver``, ``cells``, ``tol``, ``max_iterations`` (the grid programs), ``checks``,
    ``check_grid``.  For the grid methods the second best's certificate checks the grid
    allocation's monotonicity and budget (:func:`~.checks.check_grid_allocation`), and
    its payments at the profiles are not reported (the other mechanisms' are).

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    * R. B. Myerson and M. A. Satterthwaite, "Efficient Mechanisms for Bilateral
      Trading", Journal of Economic Theory 29(2), 265-281, 1983.

    Examples
    --------
    >>> import datamech as dm
    >>> res = dm.solve(dm.load("examples/models/bilateral_indivisible.toml"), checks=False)
    >>> str(res.status), res.objective_name, round(res.objective, 12)   # Myerson-Satterthwaite 9/64
    ('optimal', 'second_best', 0.140625)
    """
    opts = OPTIONS.resolve(options)
    for opt in COMMON:
        opts.pop(opt.name, None)
    method, checks, check_grid = opts.pop("method"), opts.pop("checks"), opts.pop("check_grid")
    program = opts
    t0 = time.perf_counter()
    method = canonical_method(method, f"{_PREFIX}method")
    b, s, a, g = model.buyer, model.seller, model.alpha, model.good
    _check_work(model)
    fb = first_best(b, s, a, g)
    sb, extra = _second_best(model, method, program)
    lam = float(sb.lambda_star)
    rows = [
        _row("first_best", fb.gains_from_trade, fb.gains_from_trade, fb.budget_surplus),
        _row("second_best", sb.gains_from_trade, fb.gains_from_trade, sb.budget_surplus),
    ]
    rows[1]["status"] = str(sb.status)
    price = None
    for name in model.selected:
        if name in _SIMPLE:
            r = _SIMPLE[name](b, s, a, g)
        elif name == "posted_price":
            r = posted_price(b, s, price=model.price)
            price = r.price
        else:
            continue
        rows.append({key: _plain(getattr(r, key)) for key in MECHANISM_COLUMNS})
    trade = math.isfinite(lam)
    names = [n for n in model.selected if n != "second_best" or trade]
    kw = {
        "second_best": {"lam": lam, "tie": extra["tie"], "tie_tol": extra["tie_tol"]},
        "posted_price": {"price": price},
    }
    report = {}
    if checks:
        for n in names:
            if n == "second_best" and method != "lagrangian":  # the grid's own mechanism
                report[n] = check_grid_allocation(sb)
                continue
            report[n] = check_mechanism(
                n, b, s, a, g, grid=check_grid, field=f"{_PREFIX}check_grid", **kw.get(n, {})
            )
        for row in rows:
            cert = report.get(row["name"])
            row["checks_ok"] = None if cert is None else bool(cert.ok)
            row["max_violation"] = None if cert is None else float(cert.max_violation)
    pays = []
    if model.profiles:
        v = [p[0] for p in model.profiles]
        c = [p[1] for p in model.profiles]
        for n in names:
            if n == "second_best" and method != "lagrangian":
                continue  # the grid allocation's payments are not implemented
            res = payments(n, b, s, v, c, a, g, **kw.get(n, {}))
            cols = {f: getattr(res, f) for f in PaymentResult._frame_fields}
            for i in range(len(v)):
                pays.append({"mechanism": n, **{f: float(x[i]) for f, x in cols.items()}})
    return BilateralResult(
        status=sb.status,
        first_best=fb.gains_from_trade,
        second_best=float(sb.gains_from_trade),
        lambda_star=lam,
        budget_at_zero=fb.budget_surplus,
        regime=extra["regime"],
        method=method,
        backend=sb.backend,
        solver=sb.solver,
        seconds=time.perf_counter() - t0,
        mechanisms=rows,
        checks=report,
        payments=pays,
        alpha=a,
        good=g,
        local=bool(getattr(sb, "local", False)),
        upper_bound=getattr(sb, "upper_bound", None),
        grid=getattr(sb, "grid", None),
        iterations=int(sb.iterations),
        advice=getattr(sb, "advice", ""),
        buyer=law_summary(b),
        seller=law_summary(s),
        model=model,
        program=None if method == "lagrangian" else sb,
    )


def _second_best(model: BilateralModel, method: str, program: dict[str, Any]):
    """The second best by ``method`` and what the mechanism rule needs from it."""
    b, s, a, g = model.buyer, model.seller, model.alpha, model.good
    if method == "lagrangian":
        sb = second_best(b, s, a, g)
        return sb, {"regime": sb.regime, "tie": sb.tie_weight, "tie_tol": sb.tie_tol}
    if method == "program":
        program = {k: program[k] for k in ("backend", "solver", "cells") if k in program}
    cells = program.pop("cells", None)
    if cells is not None:
        program["grid"] = cells
    sb = second_best(b, s, a, g, method=method, prefix=_PREFIX, **program)
    if sb.gains_from_trade <= 0:
        regime = "no_trade"
    elif sb.lambda_star <= 1e-9:
        regime = "first_best_feasible"
    else:
        regime = "interior"
    return sb, {"regime": regime, "tie": 1.0, "tie_tol": 0.0}


def _check_work(model: BilateralModel) -> None:
    """Refuse payment work that would take hours (about 2 ms per profile and mechanism)."""
    if not model.profiles:
        return
    count = len(model.profiles) * len(model.selected)
    check_count(
        "model.profiles",
        count,
        MAX_PAYMENT_EVALUATIONS,
        f"payments at {len(model.profiles):,} profiles for {len(model.selected)} mechanisms "
        f"({count:,} evaluations, about 2 ms each)",
        hint="give fewer profiles or fewer mechanisms",
    )


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Status) else value


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
        "status": str(Status.EVALUATED if name == "first_best" else Status.OPTIMAL),
    }


solve_bilateral = solve_model  # the family's name for it
