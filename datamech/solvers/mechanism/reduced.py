"""Reduced forms for a single item (spec §4): interim rules under Border's constraints.

Under BIC and interim IR the program needs only the interim rule ``X_i(t)`` and interim
payments ``P_i(t)``: one pair of columns per (agent, type), sum_i K_i in all, instead of
prod_i K_i profiles.  Feasibility of ``X`` is Border's condition, separated on demand
(:mod:`.border`, exact): solve with local IC, IR and the Border rows found so far, find
the violated sets, add them (n nonzeros each, :class:`ReducedProgram`); repeat until no
set is violated by more than ``tol``.  The ex-post implementation is a lottery over
priority orders (:func:`decompose`), found block by block by column generation whose
pricing step is a sort.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import scipy.sparse as sps

from ...backends import new_highs, silence_native_stdout
from ...models.mechanism import MechanismModel
from ...progress import progress
from ...status import Status
from .border import priority_vector, sweep
from .evaluate import Mechanism, PriorityLottery, block_allocation
from .highs import INF, HighsLP
from .lp import Layout, Plan, build, check_size, count_pairs, extend, new_rows
from .report import finish
from .runner import run, size_field

__all__ = ["ReducedProgram", "decompose", "exact_weights", "solve_reduced"]

#: Sets of the separation sweep within this much of violation are added too: cutting
#: planes that are nearly binding now usually bind later (10 x 200 bidders: 24 rounds
#: instead of 36).
NEAR = 0.01


def _plan(model: MechanismModel) -> Plan:
    return Plan(
        profiles=False,
        interim_alloc=True,
        interim_pay=True,
        expost_pay=False,
        agv=False,
        local_ic=True,
        ic="bic",
        ir=model.ir,
        budget=model.budget,
    )


def _pairs(lay: Layout):
    """Per pair (agent-major): agent, type, probability, X column."""
    agent = np.concatenate([np.full(a.K, i) for i, a in enumerate(lay.inst.agents)])
    kind = np.concatenate([np.arange(a.K) for a in lay.inst.agents])
    f = np.concatenate([np.asarray(p) for p in lay.probs])
    cols = np.concatenate([lay.zcol(i, np.arange(a.K), 0) for i, a in enumerate(lay.inst.agents)])
    return agent, kind, f, cols


class ReducedProgram:
    """The reduced-form LP: the layout's columns, then cumulative columns
    ``Zc_i(c) = sum of f X over agent i's c highest types`` (``c = 1..K_i``), defined by
    one row each; a Border row for a vector of prefix lengths ``c`` is
    ``sum_i Zc_i(c_i) <= 1 - prod_i (1 - F_i(c_i))``: n nonzeros.  (IC makes ``X_i``
    nondecreasing in the type, so the sets that matter are these top sets, spec §4.)
    """

    def __init__(self, lay: Layout, model: MechanismModel):
        self.lay, self.model = lay, model
        self.agent, self.kind, self.f, self.xcols = _pairs(lay)
        inst = lay.inst
        start = np.concatenate([[0], np.cumsum([a.K for a in inst.agents])])
        self.start = start
        self.orders = []
        for i in range(inst.n):
            by_value = np.argsort(-np.asarray(lay.coef[i][:, 0], dtype=float), kind="stable")
            self.orders.append(start[i] + by_value)
        self.zc_off = lay.n_cols
        self.N = int(start[-1])
        self.exact_f = np.concatenate([a.exact_probs for a in inst.agents])
        self.mass = {}
        for exact, f in ((False, np.asarray(self.f, dtype=float)), (True, self.exact_f)):
            self.mass[exact] = [np.concatenate([[f[0] * 0], np.cumsum(f[o])]) for o in self.orders]

    def zc(self, i: int, c) -> np.ndarray:
        return self.zc_off + self.start[i] + np.asarray(c) - 1

    def definitions(self, exact: bool):
        out = new_rows(exact)
        for i, order in enumerate(self.orders):
            K = len(order)
            c = np.arange(1, K + 1)
            rows = [c - 1, c - 1]
            cols = [self.zc(i, c), self.xcols[order]]
            f = self.exact_f if exact else np.asarray(self.f, dtype=float)
            vals = [np.ones(K, dtype=int), -f[order]]
            if K > 1:
                rows.append(c[1:] - 1)
                cols.append(self.zc(i, c[:-1]))
                vals.append(-np.ones(K - 1, dtype=int))
            out.add(
                "linking", K, np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), 0, 0
            )
        return out

    def rhs(self, C: np.ndarray, exact: bool) -> np.ndarray:
        """Border's right side 1 - prod_i (1 - F_i(c_i)) for each row of prefix lengths."""
        if exact:
            out = []
            for cvec in C:
                rest = 1
                for i, c in enumerate(cvec):
                    rest *= 1 - self.mass[True][i][c]
                out.append(1 - rest)
            return np.array(out, dtype=object)
        rest = np.ones(len(C))
        for i in range(C.shape[1]):
            rest *= 1.0 - self.mass[False][i][C[:, i]]
        return 1.0 - rest

    def cuts(self, cvecs: list[tuple], exact: bool = False):
        """Border rows for vectors of prefix lengths (n nonzeros each)."""
        out = new_rows(exact)
        if not cvecs:
            return out
        C = np.asarray(cvecs, dtype=np.int64).reshape(len(cvecs), -1)
        m, i = np.nonzero(C > 0)
        cols = self.zc_off + self.start[i] + C[m, i] - 1
        out.add("border", len(C), m, cols, np.ones(len(m), dtype=int), -INF, self.rhs(C, exact))
        return out

    def program(self, cvecs: list[tuple], exact: bool = False, layout: Layout | None = None):
        lay = layout or self.lay
        lp = build(lay, self.model)
        zero = np.zeros(self.N, dtype=object if exact else float)
        lp = extend(lp, zero, np.zeros(self.N), np.ones(self.N), self.definitions(exact))
        if exact:
            lp.extend(self.cuts(cvecs, exact=True))
            return lp
        return lp

    def members(self, cvec) -> np.ndarray:
        return np.concatenate([self.orders[i][:c] for i, c in enumerate(cvec)])


def solve_reduced(model: MechanismModel, opts: dict):
    """Optimal single-item mechanism over reduced forms (spec §4), certified.

    Cutting planes: each round separates exactly (:func:`.border.sweep`) at the LP's
    solution and at the midpoint towards a known feasible rule (in-out stabilization),
    and adds the chain of the greedy order by the Lagrangian weights of the pairs
    (objective minus the IC/IR duals), the order the optimum takes once those duals are
    right.  With ``exact = true`` the final basis is re-solved exactly.
    """

    t0 = time.perf_counter()
    inst = model.instance()
    n = inst.n
    lay = Layout.build(inst, _plan(model))
    check_size(lay, [count_pairs(lay, i) for i in range(n)], size_field(model))
    rp = ReducedProgram(lay, model)
    everything = tuple(a.K for a in inst.agents)
    cuts: list[tuple] = [everything]
    seen: set[tuple] = {everything}
    base = rp.program([])
    highs = HighsLP(base, opts.get("time_limit"), tight=True)
    _add_cuts(highs, rp, cuts)
    agent, f, xcols = rp.agent, np.asarray(rp.f, dtype=float), rp.xcols
    tol = float(opts["tol"])
    n_base = base.A.shape[0]
    base_AX = base.A.tocsc()[:, xcols]
    inner = np.full(len(agent), 1.0 / n)  # a feasible rule: everyone wins w.p. 1/n

    def fresh(cvecs):
        out = []
        rows = cvecs.tolist() if isinstance(cvecs, np.ndarray) else cvecs
        for key in map(tuple, rows):
            if key not in seen:
                seen.add(key)
                out.append(key)
        return out

    born = [0]  # the round each cut was added

    def prune(sol, now: int) -> None:
        """Drop cuts that have been slack for a while (keeps the warm re-solves small)."""
        nonlocal cuts, born
        rows = highs.families["border"]
        slack = (sol.row_status[rows] == 1) & (sol.row_dual[rows] == 0)
        old = np.array(born) <= now - 2
        drop = np.flatnonzero(slack & old)
        drop = drop[drop > 0]  # keep the first row (all pairs)
        if len(drop) < 0.2 * len(rows):
            return
        highs.delete_rows(rows[drop])
        gone = set(drop.tolist())
        for j in drop:
            seen.discard(cuts[j])
        cuts = [c for j, c in enumerate(cuts) if j not in gone]
        born = [b for j, b in enumerate(born) if j not in gone]

    def violated(point):
        _orders, states, values = sweep(point, agent, f, n, orders=rp.orders)
        return float(values.max()), fresh(states[values > tol - NEAR])

    def greedy(sol):
        w = (base.c[xcols] - base_AX.T @ sol.row_dual[:n_base]) / f
        pos = np.flatnonzero(w > 1e-12)
        order = pos[np.argsort(-w[pos], kind="stable")]
        onehot = np.zeros((len(order), n), dtype=int)
        onehot[np.arange(len(order)), agent[order]] = 1
        return fresh(np.cumsum(onehot, axis=0))

    rounds, status, advice, worst = 0, None, None, 0.0
    with progress(total=None, desc="Border separation", unit="round") as bar:
        for rounds in range(1, int(opts["max_iterations"]) + 1):
            sol = run(highs, model, "the reduced-form LP")
            x = sol.x[xcols]
            bar.update(1)
            worst, new = violated(x)
            if worst <= tol:
                break
            mid_worst, mid = violated(0.5 * (inner + x))
            if mid_worst <= tol:
                inner = 0.5 * (inner + x)
            new = mid + new + greedy(sol)
            if not new:
                break
            prune(sol, rounds)
            _add_cuts(highs, rp, new)
            cuts.extend(new)
            born.extend([rounds] * len(new))
        else:
            status = Status.ITERATION_LIMIT
            advice = (
                f"Border separation stopped after {rounds} rounds with a violation of "
                f"{worst:.3g}; raise [solver] max_iterations"
            )
            warnings.warn(advice, RuntimeWarning, stacklevel=2)
    lottery, impl = None, None
    if opts.get("implementation", True):
        lottery, impl = decompose(lay, sol.x[xcols], tol, orders=rp.orders)

    def make_mechanism(layout: Layout, xs: np.ndarray) -> Mechanism:
        Xs = [
            xs[layout.zcol(i, np.arange(a.K), 0)].reshape(a.K, 1) for i, a in enumerate(inst.agents)
        ]
        Ps = [xs[layout.qcol(i, np.arange(a.K))] for i, a in enumerate(inst.agents)]
        if layout.exact and lottery is not None:
            return Mechanism(
                inst,
                interim_allocation=Xs,
                interim_payments=Ps,
                implementation=exact_weights(inst, lottery, Xs),
            )
        return Mechanism(inst, interim_allocation=Xs, interim_payments=Ps, implementation=lottery)

    def exact_lp():
        ex = Layout.build(inst, _plan(model), exact=True)
        return ex, rp.program(cuts, exact=True, layout=ex)

    return finish(
        model,
        make_mechanism(lay, sol.x),
        sol,
        highs=highs,
        opts=opts,
        method="reduced_form",
        t0=t0,
        iterations=rounds,
        layout=lay,
        implementation=impl,
        status=status,
        advice=advice,
        exact_lp=exact_lp,
        make_mechanism=make_mechanism,
    )


def exact_weights(inst, lottery: PriorityLottery, X: list) -> PriorityLottery:
    """The lottery with its weights made exact where a reconstruction reproduces the exact
    interim rule ``X`` on the block (else the float weights are kept)."""
    from fractions import Fraction

    listed = [Fraction(0)] * inst.n
    blocks = []
    for weights, orders in lottery.blocks:
        cand = [Fraction(w).limit_denominator(10**12) for w in weights]
        total: dict = {}
        for w, order in zip(cand, orders, strict=True):
            for pair, v in block_allocation(inst, listed, order).items():
                total[pair] = total.get(pair, 0) + w * v
        if all(total[(i, k)] == X[i][k, 0] for (i, k) in total):
            weights = tuple(cand)
        blocks.append((tuple(weights), orders))
        for i, k in orders[0]:
            listed[i] += inst.agents[i].exact_probs[k]
    return PriorityLottery(blocks=tuple(blocks))


def _add_cuts(highs: HighsLP, rp: ReducedProgram, cvecs: list[tuple]) -> None:
    block = rp.cuts(cvecs)
    lo, up = block.bounds()
    highs.add_rows("border", block.matrix(highs.num_cols), lo, up)


def decompose(lay: Layout, x: np.ndarray, tol: float, max_rounds: int = 500, orders=None):
    """An ex-post implementation of the interim rule ``x`` (pairs agent-major): a lottery
    over priority orders.

    The pairs are sorted by ``x``; the threshold prefixes on which Border's inequality is
    tight cut them into blocks.  A point of the polymatroid whose tight sets form this
    chain is a product of points of the blocks' minors, so each block is decomposed on
    its own (column generation; pricing is a sort by dual / probability) and an order is
    drawn independently per block, the blocks listed in turn.  Returns the
    :class:`PriorityLottery` and a summary (blocks, orders, rounds, largest residual).
    """
    agent, kind, f, _ = _pairs(lay)
    f = np.asarray(f, dtype=float)
    n = lay.inst.n
    x = np.clip(np.asarray(x, dtype=float), 0.0, 1.0)
    x = np.where(x > tol, x, 0.0)
    agent_orders, states, values = sweep(x, agent, f, n, orders=orders)
    # tight sets (nested: the sweep's sets shrink), smallest first, then all positive pairs
    chain, seen = [], set()
    for s in np.flatnonzero(values >= -1e-9)[::-1]:
        members = np.concatenate([agent_orders[i][: states[s][i]] for i in range(n)])
        members = members[x[members] > 0]
        if len(members) and len(members) not in seen:
            seen.add(len(members))
            chain.append(members)
    positive = np.flatnonzero(x > 0)
    if len(positive) not in seen:
        chain.append(positive)
    order_parts, ends, done = [], [], np.zeros(len(x), dtype=bool)
    for members in chain:
        new = members[~done[members]]
        new = new[np.argsort(-x[new], kind="stable")]
        done[new] = True
        order_parts.append(new)
    order = np.concatenate(order_parts) if order_parts else np.zeros(0, int)
    ends = np.cumsum([len(p) for p in order_parts]) - 1
    blocks, start, rounds_total, residual_max = [], 0, 0, 0.0
    pairs = [(int(a), int(k)) for a, k in zip(agent, kind, strict=True)]
    for end in ends.tolist():
        if end < start:
            continue
        block = order[start : end + 1]
        if len(block) == 1:
            weights, chosen, rounds, residual = [1.0], [block], 0, 0.0
        else:
            weights, chosen, rounds, residual = _block_lottery(
                order[:start], block, x, agent, f, n, max_rounds
            )
        rounds_total += rounds
        residual_max = max(residual_max, residual)
        blocks.append((tuple(weights), tuple(tuple(pairs[j] for j in o) for o in chosen)))
        start = end + 1
    if residual_max > 1e-7:
        warnings.warn(
            f"the priority-order decomposition left a residual of {residual_max:.3g}",
            RuntimeWarning,
            stacklevel=3,
        )
    lottery = PriorityLottery(blocks=tuple(blocks))
    summary = {
        "kind": "priority_lottery",
        "blocks": len(blocks),
        "orders": sum(len(w) for w, _ in blocks),
        "largest_block": max((len(o[0]) for _, o in blocks), default=0),
        "rounds": rounds_total,
        "master_residual": residual_max,
    }
    return lottery, summary


def _block_lottery(prefix, block, x, agent, f, n, max_rounds):
    """Column generation for one block: priority orders of its pairs, listed after
    ``prefix``, whose mixture reproduces ``x`` on the block."""
    import highspy

    nb = len(block)
    target = x[block]
    fb = f[block]

    def column(sub_order):
        full = np.concatenate([prefix, block[sub_order]]).astype(int)
        return priority_vector(full, agent, f, n)[block]

    first = np.argsort(-target, kind="stable")
    orders, cols = [first], [column(first)]
    h = new_highs()
    eye = sps.identity(nb, format="csc")
    A = sps.vstack(
        [
            sps.hstack([sps.csc_matrix(cols[0][:, None]), eye, -eye]),
            sps.hstack([sps.csc_matrix(np.ones((1, 1))), sps.csc_matrix((1, 2 * nb))]),
        ]
    ).tocsc()
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = A.shape[1], A.shape[0]
    lp.col_cost_ = np.concatenate([[0.0], fb, fb])
    lp.col_lower_ = np.zeros(A.shape[1])
    lp.col_upper_ = np.full(A.shape[1], INF)
    lp.row_lower_ = np.concatenate([target, [-INF]])
    lp.row_upper_ = np.concatenate([target, [1.0]])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(float)
    with silence_native_stdout():
        h.passModel(lp)
    lam_cols = [0]
    rounds = 0
    for rounds in range(1, max_rounds + 1):  # noqa: B007 - reported after the loop
        with silence_native_stdout():
            h.run()
        dual = np.asarray(h.getSolution().row_dual)
        w = dual[:nb] / fb
        keep = np.flatnonzero(w > 1e-13)
        sub = keep[np.argsort(-w[keep], kind="stable")]
        col = column(sub)
        if float(dual[:nb] @ col + dual[nb]) <= 1e-12:
            break
        orders.append(sub)
        cols.append(col)
        nz = np.flatnonzero(col)
        idx = np.concatenate([nz, [nb]]).astype(np.int32)
        val = np.concatenate([col[nz], [1.0]])
        with silence_native_stdout():
            h.addCol(0.0, 0.0, INF, len(idx), idx, val)
        lam_cols.append(h.getNumCol() - 1)
    residual = max(float(h.getInfo().objective_function_value), 0.0)
    lam = np.asarray(h.getSolution().col_value)[lam_cols]
    used = np.flatnonzero(lam > 1e-14)
    return [float(lam[u]) for u in used], [block[orders[u]] for u in used], rounds, residual
