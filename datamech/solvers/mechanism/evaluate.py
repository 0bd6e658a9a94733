"""An independent evaluator of direct mechanisms, in exact rationals (spec §7, §8).

Given a mechanism (its ex-post allocation and payments, or its interim rule), this
module recomputes, from the definitions and without the LP's matrix or any code of the
LP builder: each agent's interim allocation and payment, the utility of every type for
every report, the most profitable deviation of every type, the IC, IR, budget and
feasibility violations, revenue and welfare.  Every number is an exact rational: floats
are read as the dyadic rationals they are (``Fraction(0.1)`` is not ``1/10``), types
and probabilities are the model's exact ones.  Large utility tables are computed on
integers over one common denominator (numpy object arrays), so 1,600 types (2.5 million
pairs) take a second or two.

Outcome coordinates of an ex-post allocation ``y[profile, d]`` (profiles in C order over
agents, the first agent slowest): single item ``x_i`` at ``d = i``; items ``x_ij`` at
``d = i*m + j``; a trade or a public project one ``x``; a table the lottery over its
outcomes.  Payments ``p[profile, i]`` are paid by agent i to the designer.

>>> from fractions import Fraction as F
>>> from datamech.models.mechanism import create
>>> m = create(outcomes={"preset": "single_item"}, agents=[{"family": "discrete",
...            "values": [1, 2], "probs": ["1/2", "1/2"]}])
>>> mech = Mechanism(m.instance(), allocation=[[0], [1]], payments=[[0], [F(3, 2)]])
>>> ev = evaluate(mech, ic="bic", ir="interim", budget="none")
>>> ev.max_ic_violation, ev.revenue, [str(b) for b in ev.best_report[0]]
(Fraction(0, 1), Fraction(3, 4), ['0', '1'])
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from ...models.mechanism import Instance
from .rational import exact, scaled, scaled_floats

__all__ = [
    "Evaluation",
    "Mechanism",
    "PriorityLottery",
    "evaluate",
    "implementation_error",
    "block_allocation",
]

ZERO = Fraction(0)


@dataclass(frozen=True)
class PriorityLottery:
    """An ex-post implementation of a single-item interim rule: priority orders drawn
    block by block.  ``blocks[b] = (weights, orders)``: one order of the block's (agent,
    type) pairs is drawn with these probabilities, independently per block, and the
    blocks are listed in turn; at a profile the item goes to the first listed pair
    present (to nobody if no listed pair is present).

    References
    ----------
    - K. C. Border, "Implementation of reduced form auctions: a geometric approach", Econometrica
      59(4), 1991.
    """

    blocks: tuple[tuple[tuple[Any, ...], tuple[tuple[tuple[int, int], ...], ...]], ...]

    def allocation(self, profile: Any) -> list[float]:
        """The probability each agent gets the item at a type profile (type indices)."""
        profile = list(profile)
        out = [0.0] * len(profile)
        left = 1.0
        for weights, orders in self.blocks:
            got = [0.0] * len(profile)
            for w, order in zip(weights, orders, strict=True):
                for i, k in order:
                    if profile[i] == k:
                        got[i] += w
                        break
            for i, g in enumerate(got):
                out[i] += left * g
            left *= 1.0 - sum(got)
            if left <= 0:
                break
        return out


@dataclass
class Mechanism:
    """A direct mechanism on a finite instance: ex post (``allocation``, ``payments``) or
    interim (``interim_allocation[i]`` of shape ``(K_i, d_i)`` in the agent's own
    coordinates, ``interim_payments[i]``), with an optional ex-post implementation.

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - V. Conitzer and T. Sandholm, "Complexity of mechanism design", Proceedings of the 18th
      Conference on Uncertainty in Artificial Intelligence (UAI), 2002.
    """

    instance: Instance
    allocation: Any = None
    payments: Any = None
    interim_allocation: Any = None
    interim_payments: Any = None
    implementation: PriorityLottery | None = None


@dataclass
class Evaluation:
    """What the evaluator found (every number an exact Fraction).

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - K. C. Border, "Implementation of reduced form auctions: a geometric approach", Econometrica
      59(4), 1991.
    - V. Conitzer and T. Sandholm, "Complexity of mechanism design", Proceedings of the 18th
      Conference on Uncertainty in Artificial Intelligence (UAI), 2002.
    """

    interim_allocation: list
    interim_payments: list
    utility: list
    best_report: list
    gain: list
    max_ic_violation: Fraction
    max_dsic_violation: Fraction | None
    max_ir_violation: Fraction
    max_budget_violation: Fraction
    max_feasibility_violation: Fraction
    revenue: Fraction
    welfare: Fraction
    cost: Fraction
    expected_payment: list
    expected_value: list
    detail: dict = field(default_factory=dict)


# ------------------------------------------------------------------ outcome semantics
def _own(inst: Instance, i: int) -> list[int]:
    """The outcome coordinates agent i's value depends on."""
    if inst.preset == "single_item":
        return [i]
    if inst.preset == "multi_item":
        return list(range(i * inst.items, (i + 1) * inst.items))
    if inst.preset == "table":
        return list(range(len(inst.outcomes)))
    return [0]


def _valuation(inst: Instance, i: int) -> np.ndarray:
    """The value of each type per unit of each own coordinate (a seller's cost counts -1)."""
    a = inst.agents[i]
    pts = a.exact_points
    return -pts if a.role == "seller" else pts


def _profile_probs(inst: Instance) -> np.ndarray:
    f = np.array([Fraction(1)], dtype=object)
    for a in inst.agents:
        f = np.multiply.outer(f, a.exact_probs).ravel()
    return f


def _designer_cost(inst: Instance) -> np.ndarray:
    n_coord = {
        "single_item": inst.n,
        "multi_item": inst.n * inst.items,
        "table": len(inst.outcomes),
    }.get(inst.preset, 1)
    cost = np.array([ZERO] * n_coord, dtype=object)
    for d, c in enumerate(inst.cost):
        cost[d] = Fraction(c)
    return cost


# ------------------------------------------------------------------ evaluation
class _ExPost:
    """An ex-post allocation and payments as integers over common denominators (exact,
    vectorized): ``y = yn / yd`` (profiles x coordinates), ``p = pn / pd``, profile
    probabilities ``f = fn / fd``."""

    def __init__(self, inst: Instance, allocation, payments):
        self.inst = inst
        self.yn, self.yd = _scaled_any(allocation) if allocation is not None else (None, 1)
        self.pn, self.pd = _scaled_any(payments) if payments is not None else (None, 1)
        self.fn, self.fd = scaled(_profile_probs(inst))
        self.types = np.unravel_index(np.arange(inst.profiles), inst.sizes)

    def interim(self, nums: np.ndarray, den: int, i: int) -> np.ndarray:
        """E over the others' types of ``nums / den`` (profiles x c) at agent i's types."""
        inst = self.inst
        c = nums.shape[1]
        weighted = (nums * self.fn[:, None]).reshape(*inst.sizes, c)
        axes = tuple(j for j in range(inst.n) if j != i)
        total = weighted.sum(axis=axes) if axes else weighted
        total = np.asarray(total, dtype=object).reshape(inst.sizes[i], c)
        probs = inst.agents[i].exact_probs
        return np.array(
            [
                [Fraction(int(v), den * self.fd) / probs[k] for v in row]
                for k, row in enumerate(total)
            ],
            dtype=object,
        )

    def allocation_of(self, i: int) -> np.ndarray:
        return self.interim(self.yn[:, _own(self.inst, i)], self.yd, i)

    def payment_of(self, i: int) -> np.ndarray:
        return self.interim(self.pn[:, [i]], self.pd, i)[:, 0]

    def ir(self, i: int) -> Fraction:
        """Largest ex-post IR violation of agent i: max over profiles of -(value - payment)."""
        own = _own(self.inst, i)
        an, ad = scaled(_valuation(self.inst, i))
        a = an[self.types[i]]  # (P, L)
        u = (a * self.yn[:, own]).sum(axis=1) * self.pd - self.pn[:, i] * (ad * self.yd)
        worst = -min(u.tolist())
        return max(Fraction(int(worst), ad * self.yd * self.pd), ZERO)

    def dsic(self, i: int) -> Fraction:
        """max over t_-i, t, t' of u_i(report t'; t, t_-i) - u_i(t; t, t_-i)."""
        inst = self.inst
        own = _own(inst, i)
        an, ad = scaled(_valuation(inst, i))
        K = inst.sizes[i]
        grid = np.moveaxis(np.arange(inst.profiles).reshape(inst.sizes), i, 0).reshape(K, -1)
        best = 0
        for a in range(0, grid.shape[1], max(1, 200_000 // (K * K))):
            g = grid[:, a : a + max(1, 200_000 // (K * K))]  # (K, R)
            Y = self.yn[g][:, :, own]  # (K, R, L)
            pay = self.pn[g, i] * (ad * self.yd)  # (K, R)
            U = sum(an[:, l][:, None, None] * Y[None, :, :, l] for l in range(len(own)))
            U = U * self.pd - pay[None, :, :]  # (K true, K report, R)
            truth = np.stack([U[k, k] for k in range(K)])  # (K, R)
            gain = (U - truth[:, None, :]).max()
            best = max(best, gain)
        return max(Fraction(int(best), ad * self.yd * self.pd), ZERO)

    def surplus(self, cost: np.ndarray) -> tuple[np.ndarray, int]:
        """sum_i p_i - cost . y at every profile, as (numerators, denominator)."""
        cn, cd = scaled(cost)
        spent = (self.yn * cn[None, :]).sum(axis=1) if np.any(cn != 0) else 0
        return self.pn.sum(axis=1) * (cd * self.yd) - spent * self.pd, self.pd * cd * self.yd

    def expected_cost(self, cost: np.ndarray) -> Fraction:
        cn, cd = scaled(cost)
        if not np.any(cn != 0):
            return ZERO
        spent = (self.yn * cn[None, :]).sum(axis=1)
        return Fraction(int((spent * self.fn).sum()), cd * self.yd * self.fd)

    def feasibility(self) -> Fraction:
        """Largest violation of 0 <= y <= 1 and of the preset's polytope at any profile."""
        inst, yn, yd = self.inst, self.yn, self.yd
        flat = yn.ravel().tolist()
        worst = max(-min(flat), max(flat) - yd, 0)
        if inst.preset == "single_item":
            worst = max(worst, max(yn.sum(axis=1).tolist()) - yd)
        elif inst.preset == "table":
            s = yn.sum(axis=1)
            worst = max(worst, max(s.tolist()) - yd, yd - min(s.tolist()))
        elif inst.preset == "multi_item":
            cube = yn.reshape(-1, inst.n, inst.items)
            worst = max(worst, max(cube.sum(axis=1).ravel().tolist()) - yd)
            if inst.valuation == "unit_demand":
                worst = max(worst, max(cube.sum(axis=2).ravel().tolist()) - yd)
        return max(Fraction(int(worst), yd), ZERO)


def _scaled_any(arr) -> tuple[np.ndarray, int]:
    arr = np.asarray(arr)
    if arr.dtype != object:
        return scaled_floats(arr.astype(float))
    return scaled(exact(arr))


def evaluate(
    mech: Mechanism, *, ic: str = "bic", ir: str = "interim", budget: str = "none"
) -> Evaluation:
    """Evaluate ``mech`` exactly against the constraints named (see the module docstring).

    ``ic``: ``bic`` (interim deviations), ``dsic`` (also every profile of the others) or
    ``none`` (deviations are still reported); ``ir``: ``interim`` / ``ex_post`` / ``none``;
    ``budget``: ``none`` / ``no_deficit`` / ``balanced`` (ex post, every profile) /
    ``ex_ante_no_deficit``.

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - K. C. Border, "Implementation of reduced form auctions: a geometric approach", Econometrica
      59(4), 1991.
    - V. Conitzer and T. Sandholm, "Complexity of mechanism design", Proceedings of the 18th
      Conference on Uncertainty in Artificial Intelligence (UAI), 2002.
    """
    inst = mech.instance
    n = inst.n
    detail: dict[str, Any] = {}
    post = None
    if mech.allocation is not None or mech.payments is not None:
        post = _ExPost(inst, mech.allocation, mech.payments)
    X, P = [], []
    for i, a in enumerate(inst.agents):
        if mech.allocation is not None:
            X.append(post.allocation_of(i))
        else:
            own = _own(inst, i)
            X.append(exact(mech.interim_allocation[i]).reshape(a.K, len(own)))
        if mech.payments is not None:
            P.append(post.payment_of(i))
        else:
            P.append(exact(mech.interim_payments[i]).reshape(a.K))
    utility, best, gains, ic_max = [], [], [], ZERO
    for i in range(n):
        U, b, g = _deviations(_valuation(inst, i), X[i], P[i])
        utility.append(U)
        best.append(b)
        gains.append(g)
        ic_max = max(ic_max, max(g))
    expost = mech.allocation is not None and mech.payments is not None
    dsic = max(post.dsic(i) for i in range(n)) if ic == "dsic" and expost else None
    ir_max = ZERO
    if ir == "interim":
        ir_max = max(max(-u for u in U) for U in utility)
    elif ir == "ex_post":
        if not expost:
            raise ValueError("ex-post IR needs an ex-post allocation and payments")
        ir_max = max(post.ir(i) for i in range(n))
    ir_max = max(ir_max, ZERO)
    cost_vec = _designer_cost(inst)
    exp_cost = post.expected_cost(cost_vec) if mech.allocation is not None else ZERO
    exp_pay = [
        sum(p * q for p, q in zip(inst.agents[i].exact_probs, P[i], strict=True)) for i in range(n)
    ]
    exp_val = [
        sum(
            (
                pr * sum(v * x for v, x in zip(_valuation(inst, i)[k], X[i][k], strict=True))
                for k, pr in enumerate(inst.agents[i].exact_probs)
            ),
            ZERO,
        )
        for i in range(n)
    ]
    revenue = sum(exp_pay, ZERO) - exp_cost
    welfare = sum(exp_val, ZERO) - exp_cost
    budget_max = ZERO
    if budget in ("no_deficit", "balanced"):
        if not expost:
            raise ValueError("an ex-post budget needs ex-post payments")
        nums, den = post.surplus(cost_vec)
        vals = nums.tolist()
        budget_max = max(Fraction(int(-min(vals)), den), ZERO)
        if budget == "balanced":
            budget_max = max(budget_max, Fraction(int(max(vals)), den))
    elif budget == "ex_ante_no_deficit":
        budget_max = max(-revenue, ZERO)
    feas = post.feasibility() if mech.allocation is not None else _border(inst, X)
    if mech.implementation is not None:
        detail["implementation_error"] = implementation_error(inst, mech.implementation, X)
    detail["ic_pairs_checked"] = sum(a.K * a.K for a in inst.agents)
    return Evaluation(
        interim_allocation=X,
        interim_payments=P,
        utility=utility,
        best_report=best,
        gain=gains,
        max_ic_violation=max(ic_max, ZERO),
        max_dsic_violation=dsic,
        max_ir_violation=ir_max,
        max_budget_violation=budget_max,
        max_feasibility_violation=feas,
        revenue=revenue,
        welfare=welfare,
        cost=exp_cost,
        expected_payment=exp_pay,
        expected_value=exp_val,
        detail=detail,
    )


def _deviations(values: np.ndarray, X: np.ndarray, P: np.ndarray):
    """Utilities u[t] (truth), best report and its gain for every type, exactly.

    ``U[t, s] = values[t] . X[s] - P[s]``, computed on integers over one denominator.
    """
    vn, vd = scaled(values)
    xn, xd = scaled(X)
    pn, pd = scaled(P)
    # U * (vd * xd * pd) = (vn @ xn.T) * pd - pn * vd * xd
    table = (vn @ xn.T) * pd - (pn * (vd * xd))[None, :]
    den = vd * xd * pd
    truth = np.diagonal(table).copy()
    gain = table - truth[:, None]
    best = np.argmax(gain, axis=1) if gain.size else np.zeros(0, int)
    rows = np.arange(len(truth))
    top = gain[rows, best]
    keep = np.array([g <= 0 for g in top], dtype=bool)
    best = np.where(keep, rows, best)
    utility = [Fraction(int(u), den) for u in truth]
    gains = [Fraction(int(g), den) if g > 0 else ZERO for g in top]
    return utility, best.tolist(), gains


def _border(inst: Instance, X: list[np.ndarray]) -> Fraction:
    """Largest violation of Border's inequalities (spec §4) and of 0 <= X <= 1, exactly.

    An optimal violated family takes a top set of each agent's types by X_i
    (:mod:`.border`), so with few agents and types every vector of per-agent prefix
    lengths is checked; otherwise the candidates of the separation sweep are (their values
    recomputed here in rationals).
    """
    worst = max(max(-x, x - 1) for Xi in X for x in Xi[:, 0])
    orders = [
        sorted(range(a.K), key=lambda k, i=i: X[i][k, 0], reverse=True)
        for i, a in enumerate(inst.agents)
    ]
    Z, F = [], []
    for i, a in enumerate(inst.agents):
        z, m = [ZERO], [ZERO]
        for k in orders[i]:
            z.append(z[-1] + a.exact_probs[k] * X[i][k, 0])
            m.append(m[-1] + a.exact_probs[k])
        Z.append(z)
        F.append(m)
    if math.prod(a.K + 1 for a in inst.agents) <= 20_000:
        candidates = itertools.product(*[range(a.K + 1) for a in inst.agents])
    else:
        from .border import sweep

        agent = np.concatenate([np.full(a.K, i) for i, a in enumerate(inst.agents)])
        xf = np.array([float(x) for Xi in X for x in Xi[:, 0]])
        ff = np.array([float(p) for a in inst.agents for p in a.exact_probs])
        _, states, _ = sweep(xf, agent, ff, inst.n)
        candidates = [tuple(int(c) for c in s) for s in states]
    for c in candidates:
        rest = Fraction(1)
        for i, ci in enumerate(c):
            rest *= 1 - F[i][ci]
        worst = max(worst, sum((Z[i][ci] for i, ci in enumerate(c)), ZERO) - (1 - rest))
    return max(worst, ZERO)


def block_allocation(inst: Instance, listed: list, order) -> dict:
    """The exact interim allocation of the pairs of one block under one order, after the
    pairs ``listed`` (earlier blocks): pair (i, t) wins when no other agent's type listed
    before it is present, ``X_i(t) = prod_{j != i} (1 - F_j(listed before))``."""
    before = list(listed)
    out = {}
    for i, k in order:
        prod = Fraction(1)
        for j in range(inst.n):
            if j != i:
                prod *= 1 - before[j]
        out[(i, k)] = prod
        before[i] += inst.agents[i].exact_probs[k]
    return out


def implementation_error(inst: Instance, lottery: PriorityLottery, X: list) -> Fraction:
    """max |interim allocation of the lottery - X| (0: the lottery implements X exactly)."""
    total = {(i, k): ZERO for i, a in enumerate(inst.agents) for k in range(a.K)}
    listed = [ZERO] * inst.n
    for weights, orders in lottery.blocks:
        for w, order in zip(weights, orders, strict=True):
            for pair, v in block_allocation(inst, listed, order).items():
                total[pair] += Fraction(w) * v
        for i, k in orders[0]:
            listed[i] += inst.agents[i].exact_probs[k]
    return max(abs(total[(i, k)] - X[i][k, 0]) for (i, k) in total)
