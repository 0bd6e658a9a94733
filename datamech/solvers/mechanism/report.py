"""The end of every method of kind ``mechanism``: the returned mechanism read from the
solution, evaluated by the independent evaluator (exact rationals), certified by a dual
bound (or re-solved exactly), and reported as a :class:`~.result.MechanismResult`."""

from __future__ import annotations

import time
import warnings
from fractions import Fraction

import numpy as np

from ...models.mechanism import MechanismModel
from ...results import Certificate
from ...status import Status
from .certify import Bound, dual_bound
from .evaluate import Evaluation, Mechanism, evaluate
from .exact import ExactFailure, exact_resolve
from .highs import HighsLP, Solution
from .lp import Layout, build, objective_form
from .result import MechanismResult, plain

__all__ = [
    "agv_payments",
    "coordinates",
    "expected_quantities",
    "extract",
    "finish",
    "objective_value",
    "type_list",
]


# ------------------------------------------------------------------ the returned mechanism
def extract(lay: Layout, x: np.ndarray) -> Mechanism:
    """The mechanism in the LP's solution (floats, or Fractions on an exact layout):
    ex-post allocation, payments (ex post when the program has them; else interim,
    implemented ex post by d'AGV transfers when an ex-post budget asks for it)."""
    inst, plan = lay.inst, lay.plan
    n = inst.n
    y = x[lay.y_off : lay.y_off + lay.P * lay.D].reshape(lay.P, lay.D)
    if plan.expost_pay:
        pay = x[lay.p_off : lay.p_off + lay.P * n].reshape(lay.P, n)
        return Mechanism(inst, allocation=y, payments=pay)
    Q = [x[lay.qcol(i, np.arange(a.K))] for i, a in enumerate(inst.agents)]
    if plan.agv:
        return Mechanism(inst, allocation=y, payments=agv_payments(lay, Q))
    return Mechanism(inst, allocation=y, interim_payments=Q)


def agv_payments(lay: Layout, Q: list[np.ndarray]) -> np.ndarray:
    """Ex-post payments with interim payments Q and a constant budget surplus (spec §2):
    ``p_i(t) = Q_i(t_i) - (1/(n-1)) sum_{j != i} (Q_j(t_j) - E Q_j)``, so that
    ``sum_i p_i(t) = sum_j E Q_j`` at every profile."""
    n = lay.inst.n
    mean = [sum(p * q for p, q in zip(lay.probs[j], Q[j], strict=True)) for j in range(n)]
    dev = np.stack([Q[j][lay.tp[j]] - mean[j] for j in range(n)], axis=1)  # (P, n)
    total = dev.sum(axis=1, keepdims=True)
    own = np.stack([Q[i][lay.tp[i]] for i in range(n)], axis=1)
    return own - (total - dev) / (n - 1)


def expected_quantities(model: MechanismModel, ev: Evaluation) -> dict[str, Fraction]:
    """The named expected quantities of :mod:`datamech.models.mechanism.forms`, exactly."""
    inst = model.instance()
    out: dict[str, Fraction] = {"revenue": ev.revenue, "welfare": ev.welfare, "cost": ev.cost}
    for i in range(inst.n):
        k = i + 1
        out[f"p{k}"] = ev.expected_payment[i]
        out[f"v{k}"] = ev.expected_value[i]
        out[f"u{k}"] = ev.expected_value[i] - ev.expected_payment[i]
        a = inst.agents[i]
        if inst.preset != "table":
            out[f"x{k}"] = sum(
                (
                    p * sum(row, Fraction(0))
                    for p, row in zip(a.exact_probs, ev.interim_allocation[i], strict=True)
                ),
                Fraction(0),
            )
    if inst.preset == "table":
        a = inst.agents[0]
        for o in range(len(inst.outcomes)):
            out[f"o{o + 1}"] = sum(
                (
                    p * row[o]
                    for p, row in zip(a.exact_probs, ev.interim_allocation[0], strict=True)
                ),
                Fraction(0),
            )
    return out


def objective_value(model: MechanismModel, ev: Evaluation) -> Fraction:
    form = objective_form(model)
    q = expected_quantities(model, ev)
    return sum((Fraction(c) * q[name] for name, c in form.coefs.items()), Fraction(form.constant))


def coordinates(model: MechanismModel, i: int) -> list[str]:
    """Names of agent i's outcome coordinates (items, outcomes, or ``x``)."""
    inst = model.instance()
    if inst.preset == "multi_item":
        return [f"item {j + 1}" for j in range(inst.items)]
    if inst.preset == "table":
        return list(inst.outcomes)
    return ["x"]


def evaluated_tables(model: MechanismModel, ev: Evaluation, exact: bool) -> dict:
    """The per-agent tables and violations of an evaluated mechanism, as result fields
    (shared by the optimal mechanism's result and an audit's)."""
    inst = model.instance()

    def vec(row):
        return [plain(v, exact) for v in row] if len(row) > 1 else plain(row[0], exact)

    return {
        "revenue": plain(ev.revenue, exact),
        "welfare": plain(ev.welfare, exact),
        "agents": [a.name for a in inst.agents],
        "types": [type_list(model, i, exact) for i in range(inst.n)],
        "probs": [[plain(p, exact) for p in a.exact_probs] for a in inst.agents],
        "coordinates": [coordinates(model, i) for i in range(inst.n)],
        "allocation": [[vec(row) for row in X] for X in ev.interim_allocation],
        "payments": [[plain(p, exact) for p in P] for P in ev.interim_payments],
        "utility": [[plain(u, exact) for u in U] for U in ev.utility],
        "best_report": ev.best_report,
        "ic_gain": [[plain(g, exact) for g in G] for G in ev.gain],
        "max_ir_violation": plain(ev.max_ir_violation, exact),
        "max_budget_violation": plain(ev.max_budget_violation, exact),
        "max_feasibility_violation": plain(ev.max_feasibility_violation, exact),
    }


def type_list(model: MechanismModel, i: int, exact: bool) -> list:
    """Agent i's types as numbers (one per type) or lists (type vectors)."""
    a = model.instance().agents[i]
    pts = a.exact_points if exact else a.points
    if a.d == 1:
        return [plain(v, exact) for v in pts[:, 0]]
    return [[plain(v, exact) for v in row] for row in pts]


def finish(
    model: MechanismModel,
    mech: Mechanism,
    sol: Solution | None,
    *,
    highs: HighsLP | None = None,
    opts: dict,
    method: str,
    t0: float,
    iterations: int = 0,
    layout: Layout | None = None,
    backend: str = "highspy",
    solver: str = "HiGHS",
    deterministic: bool = False,
    mip_gap: float | None = None,
    bound: Bound | None = None,
    implementation: dict | None = None,
    status: Status | None = None,
    advice: str | None = None,
    exact_lp=None,
    make_mechanism=None,
) -> MechanismResult:
    """Evaluate the returned mechanism independently, certify, and build the result."""
    exact = bool(opts.get("exact"))
    if exact:
        if exact_lp is None:

            def exact_lp():
                ex = Layout.build(model.instance(), layout.plan, exact=True)
                return ex, build(ex, model)

        try:
            mech, proof = exact_resolve(highs, sol, exact_lp, make_mechanism or extract)
            # a bound given by the caller (a MIP's branch-and-bound bound) stays the bound:
            # the exact re-solve proves the mechanism optimal for its fixed outcomes only
            bound = bound or proof
        except ExactFailure as exc:
            exact = False
            note = f"exact = true could not be honoured: {exc}; the float solution is reported"
            warnings.warn(note, RuntimeWarning, stacklevel=3)
            advice = advice or note
    ev = evaluate(mech, ic=model.ic, ir=model.ir, budget=model.budget)
    value = objective_value(model, ev)
    if bound is None and highs is not None and sol is not None:
        bound = dual_bound(highs, sol)
    tol = float(opts.get("tol", 1e-9))
    status = status or (sol.status if sol is not None else Status.OPTIMAL)
    dual = bound.value if bound is not None else None
    gap = (dual - value) if dual is not None else None
    maxima = {
        "ic": ev.max_ic_violation,
        "ir": ev.max_ir_violation,
        "budget": ev.max_budget_violation,
        "feasibility": ev.max_feasibility_violation,
    }
    if ev.max_dsic_violation is not None:
        maxima["dsic"] = ev.max_dsic_violation
    if "implementation_error" in ev.detail:
        maxima["implementation"] = ev.detail["implementation_error"]
    worst = max(maxima.values())
    scale = 1 + max(abs(float(value)), 1.0)
    ok = worst <= tol * scale and (gap is None or gap <= tol * scale or deterministic)
    if not exact and worst > 1e-6 * scale and status is Status.OPTIMAL:
        warnings.warn(
            f"the returned mechanism violates its constraints by {float(worst):.3g} "
            "(recomputed exactly); status optimal_inaccurate",
            RuntimeWarning,
            stacklevel=3,
        )
        status = Status.OPTIMAL_INACCURATE
        advice = advice or "tighten the solver tolerance or use exact = true"
    detail = {f"max_{k}_violation": float(v) for k, v in maxima.items()}
    detail.update(
        {
            "dual_bound": None if dual is None else float(dual),
            "gap": None if gap is None else float(gap),
            "bound_method": bound.method if bound is not None else "none",
        }
    )
    if bound is not None and bound.note:
        detail["bound_note"] = bound.note
    cert = Certificate(
        ok=bool(ok),
        max_violation=worst if exact else float(worst),
        tolerance=0.0 if exact else tol * scale,
        method="independent exact-rational evaluation of the returned mechanism "
        "(interim allocations, all IC pairs, IR, budget, outcome feasibility) and a "
        "repaired dual for the bound",
        detail=detail,
    )
    return MechanismResult(
        status=status,
        value=value if exact else float(value),
        objective_kind=model.objective,
        **evaluated_tables(model, ev, exact),
        max_ic_violation=plain(ev.max_ic_violation, exact),
        gap=plain(gap, exact),
        dual_bound=plain(dual, exact),
        method=method,
        backend=backend,
        solver=solver,
        seconds=time.perf_counter() - t0,
        preset=model.preset,
        constraints={"ic": model.ic, "ir": model.ir, "budget": model.budget},
        deterministic=deterministic,
        exact=exact,
        mip_gap=mip_gap,
        iterations=iterations,
        rows=highs.num_rows if highs is not None else 0,
        columns=int(highs.lp.shape[1]) if highs is not None else 0,
        implementation=implementation,
        advice=advice,
        certificate=cert,
        mechanism=mech,
    )
