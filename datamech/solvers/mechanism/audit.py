"""Audits of a given mechanism (``datamech audit``, spec §8): the ``[mechanism]`` table.

Rules, each as an ex-post allocation and payment at every type profile (exact rationals
when the types and prices are):

``second_price`` (``reserve``, default 0)
    bids at least the reserve compete; the highest wins (ties: uniformly at random) and
    pays the larger of the reserve and the second-highest bid.
``first_price`` (``reserve``) with truthful bids
    the same allocation; the winner pays its bid.
``posted_price`` (``price``)
    one item: the bidders valuing it at least the price share it uniformly and the winner
    pays the price; trade: trade iff ``v >= price >= c`` at the price; items (additive
    values): each item posted at its price the same way.
``table`` (``allocation``, ``payments``)
    given explicitly, one row per type profile (the first agent's type slowest), one
    column per outcome coordinate and per agent.

The audit evaluates the mechanism by :func:`.evaluate.evaluate`: each agent's and type's
most profitable misreport and its gain (the smallest epsilon for which the mechanism is
epsilon-IC is the largest gain; ex post over every profile of the others under
``ic = "dsic"``), IR and budget violations, revenue and welfare.

>>> from datamech.models.mechanism import create
>>> m = create(outcomes={"preset": "single_item"},
...            agents=[{"count": 2, "family": "discrete", "values": ["1/4", "1/2", "3/4", 1],
...                     "probs": ["1/4"] * 4}], mechanism={"rule": "first_price"})
>>> res = audit(m)
>>> res.max_ic_violation > 0, res.status      # shading pays in a first-price auction
(True, <Status.EVALUATED: 'evaluated'>)
"""

from __future__ import annotations

import itertools
import time
from fractions import Fraction

import numpy as np

from ...errors import ModelError
from ...models.mechanism import MechanismModel
from ...numeric import to_fraction
from ...results import Certificate
from ...sizes import check_count
from ...status import Status
from .evaluate import Mechanism, evaluate
from .report import evaluated_tables
from .result import AuditResult, plain

__all__ = ["MAX_AUDIT_PROFILES", "audit", "rule_mechanism"]

#: Type profiles an audit enumerates at most.
MAX_AUDIT_PROFILES = 2_000_000


def _share(eligible: list[int], n: int) -> list[Fraction]:
    x = [Fraction(0)] * n
    for i in eligible:
        x[i] = Fraction(1, len(eligible))
    return x


def rule_mechanism(model: MechanismModel) -> Mechanism:
    """The ex-post mechanism of the model's ``[mechanism]`` table.

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - V. Conitzer and T. Sandholm, "Complexity of mechanism design", Proceedings of the 18th
      Conference on Uncertainty in Artificial Intelligence (UAI), 2002.
    """
    spec = model.mechanism
    if spec is None:
        raise ModelError("mechanism", "an audit needs a [mechanism] table (rule = ...)")
    inst = model.instance()
    check_count("agents", inst.profiles, MAX_AUDIT_PROFILES, f"{inst.profiles:,} type profiles")
    rule = spec["rule"]
    n = inst.n
    if rule == "table":
        alloc, pay = spec["allocation"], spec["payments"]
        D = {"single_item": n, "multi_item": n * inst.items, "table": len(inst.outcomes)}.get(
            inst.preset, 1
        )
        if alloc.shape != (inst.profiles, D):
            raise ModelError(
                "mechanism.allocation",
                f"must have one row per type profile ({inst.profiles}) and {D} columns, "
                f"got {alloc.shape[0]} x {alloc.shape[1]}",
            )
        if pay.shape != (inst.profiles, n):
            raise ModelError(
                "mechanism.payments",
                f"must have one row per type profile ({inst.profiles}) and one column per "
                f"agent ({n}), got {pay.shape[0]} x {pay.shape[1]}",
            )
        return Mechanism(inst, allocation=alloc, payments=pay)
    types = [a.exact_points for a in inst.agents]
    rows_x, rows_p = [], []
    reserve = to_fraction(spec.get("reserve", 0))
    price = spec.get("price")
    for prof in itertools.product(*[range(a.K) for a in inst.agents]):
        t = [types[i][k] for i, k in enumerate(prof)]
        if inst.preset == "single_item":
            bids = [ti[0] for ti in t]
            if rule == "posted_price":
                p = to_fraction(price)
                win = [i for i, b in enumerate(bids) if b >= p]
                x = _share(win, n)
                rows_x.append(x)
                rows_p.append([xi * p for xi in x])
                continue
            live = [i for i, b in enumerate(bids) if b >= reserve]
            if not live:
                rows_x.append([Fraction(0)] * n)
                rows_p.append([Fraction(0)] * n)
                continue
            top = max(bids[i] for i in live)
            win = [i for i in live if bids[i] == top]
            x = _share(win, n)
            if rule == "first_price":
                pay = [x[i] * bids[i] for i in range(n)]
            else:
                others = sorted(bids, reverse=True)
                second = others[1] if n > 1 else Fraction(0)
                charge = max(reserve, second)
                pay = [x[i] * charge for i in range(n)]
            rows_x.append(x)
            rows_p.append(pay)
        elif inst.preset == "bilateral_trade":
            p = to_fraction(price)
            v, c = t[0][0], t[1][0]  # buyer first, seller second
            trade = Fraction(1) if v >= p >= c else Fraction(0)
            rows_x.append([trade])
            rows_p.append([trade * p, -trade * p])
        else:  # multi_item, additive, posted prices per item
            if inst.valuation != "additive":
                raise ModelError(
                    "mechanism.rule", "posted prices apply to additive values (valuation)"
                )
            m = inst.items
            x = [Fraction(0)] * (n * m)
            pay = [Fraction(0)] * n
            for j in range(m):
                pj = to_fraction(price[j])
                win = [i for i in range(n) if t[i][j] >= pj]
                for i in win:
                    x[i * m + j] = Fraction(1, len(win))
                    pay[i] += pj / len(win)
            rows_x.append(x)
            rows_p.append(pay)
    return Mechanism(
        inst,
        allocation=np.array(rows_x, dtype=object),
        payments=np.array(rows_p, dtype=object),
    )


def _inputs_exact(model: MechanismModel) -> bool:
    for a in model.agents:
        if a.law is not None and not getattr(a.law, "exact", False):
            return False
        if a.item_laws and not all(getattr(law, "exact", False) for law in a.item_laws):
            return False
        if a.points is not None and np.asarray(a.points).dtype != object:
            return False
    spec = model.mechanism or {}
    for key in ("reserve", "price"):
        v = spec.get(key)
        vals = v if isinstance(v, list) else [v]
        if any(x is not None and not isinstance(x, Fraction) for x in vals):
            return False
    for key in ("allocation", "payments"):
        v = spec.get(key)
        if v is not None and np.asarray(v).dtype != object:
            return False
    return True


def audit(model: MechanismModel) -> AuditResult:
    """Audit the model's ``[mechanism]`` against its ``[constraints]`` (IC and IR as in
    Myerson 1981; budget balance as in Myerson and Satterthwaite 1983).

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - K. C. Border, "Implementation of reduced form auctions: a geometric approach", Econometrica
      59(4), 1991.
    - V. Conitzer and T. Sandholm, "Complexity of mechanism design", Proceedings of the 18th
      Conference on Uncertainty in Artificial Intelligence (UAI), 2002.
    """
    t0 = time.perf_counter()
    mech = rule_mechanism(model)
    ic = model.ic if model.ic != "none" else "bic"
    ev = evaluate(mech, ic=ic, ir=model.ir, budget=model.budget)
    exact = _inputs_exact(model)
    eps = (
        ev.max_dsic_violation
        if ic == "dsic" and ev.max_dsic_violation is not None
        else (ev.max_ic_violation)
    )
    inst = model.instance()
    deviations = []
    for i, a in enumerate(inst.agents):
        for k in range(a.K):
            if ev.gain[i][k] > 0:
                deviations.append(
                    {
                        "agent": a.name,
                        "type_index": k,
                        "report_index": int(ev.best_report[i][k]),
                        "gain": plain(ev.gain[i][k], exact),
                    }
                )
    detail = {
        "max_ic_violation": float(eps),
        "max_ir_violation": float(ev.max_ir_violation),
        "max_budget_violation": float(ev.max_budget_violation),
        "max_feasibility_violation": float(ev.max_feasibility_violation),
    }
    worst = max(eps, ev.max_ir_violation, ev.max_budget_violation, ev.max_feasibility_violation)
    cert = Certificate(
        ok=bool(worst == 0),
        max_violation=worst if exact else float(worst),
        tolerance=0.0,
        method=f"exact-rational evaluation of every report of every type ({ic.upper()}), "
        "IR, budget and outcome feasibility",
        detail=detail,
    )
    return AuditResult(
        status=Status.EVALUATED,
        rule=model.mechanism["rule"],
        **evaluated_tables(model, ev, exact),
        max_ic_violation=plain(eps, exact),
        max_dsic_violation=plain(ev.max_dsic_violation, exact),
        deviations=deviations,
        method="audit",
        backend="none",
        solver="none",
        seconds=time.perf_counter() - t0,
        preset=model.preset,
        constraints={"ic": model.ic, "ir": model.ir, "budget": model.budget},
        exact=exact,
        certificate=cert,
        mechanism=mech,
    )
