"""The mechanism-design LP (spec §3), built vectorized as one sparse matrix.

Variables (columns, in this order; a block is present only when the constraints need
it, so the program is as small as they allow):

``y``  the outcome at every type profile: ``y[p, d]``, ``p`` over the profiles (agents'
       types in C order, the first agent slowest), ``d`` over the outcome coordinates
       (a single item: ``x_i``; items: ``x_ij`` at ``i*m + j``; a trade or a public
       project: one ``x``; a table: the lottery over outcomes);
``Z``  interim outcomes ``Z_i[t, l] = E[y[(t, t_-i), S_i[l]]]`` over the coordinates
       ``S_i`` agent i's value depends on (linked to ``y`` by equality rows), when BIC or
       interim IR is asked for;
``p``  ex-post payments ``p[p, i]`` when DSIC, ex-post IR, or an ex-post budget with a
       designer's cost needs them;
``Q``  interim payments ``Q_i[t]``.

With one agent, profiles are types: ``Z`` and ``Q`` are the same columns as ``y`` and
``p``.  Rows come in families: ``feasibility`` (per profile), ``linking``, ``ic``,
``ir``, ``budget``, ``requirements`` (and ``border`` rows added by the reduced form).

IC rows: for one-dimensional types with values linear in the type (single item, trade,
public project) adjacent pairs in both directions (spec §2: they imply monotonicity and
all other pairs), else all ordered pairs, or a subset given by the caller (lazy
generation).  An ex-post budget under BIC and interim IR is imposed ex ante and
implemented ex post by the d'Aspremont-Gérard-Varet transfers (spec §2), which keep
every interim payment.

>>> from datamech.models.mechanism import create
>>> m = create(outcomes={"preset": "single_item"}, agents=[{"count": 2, "family": "discrete",
...            "values": [1, 2], "probs": ["1/2", "1/2"]}])
>>> lay = Layout.build(m.instance(), Plan.choose(m))
>>> lp = build(lay, m)
>>> lp.shape, sorted(lp.families)
((16, 16), ['feasibility', 'ic', 'ir', 'linking'])
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import scipy.sparse as sps

from ...errors import ModelError
from ...models.mechanism import Instance, MechanismModel
from ...models.mechanism.forms import LinearForm, index_of
from ...sizes import check_memory
from .highs import INF, SparseLP
from .rational import exact

__all__ = [
    "ONE_DIMENSIONAL",
    "ExactLP",
    "Layout",
    "Plan",
    "build",
    "check_size",
    "count_pairs",
    "estimate",
    "extend",
    "ic_rows",
    "linear_rows",
    "linear_vector",
    "new_rows",
    "objective_form",
    "pairs",
    "quantity",
]

#: Presets whose types are one number with values linear in it: local IC suffices.
ONE_DIMENSIONAL = ("single_item", "bilateral_trade", "public_project")


@dataclass(frozen=True)
class Plan:
    """Which variable blocks and row forms the constraints need (see the module docstring)."""

    profiles: bool = True
    interim_alloc: bool = True
    interim_pay: bool = True
    expost_pay: bool = False
    agv: bool = False
    local_ic: bool = True
    ic: str = "bic"
    ir: str = "interim"
    budget: str = "none"

    @classmethod
    def choose(cls, model: MechanismModel, *, profiles: bool = True) -> Plan:
        """The smallest formulation the model's constraints allow."""
        inst = model.instance()
        one = inst.n == 1
        ic, ir, budget = model.ic, model.ir, model.budget
        costly = any(c != 0 for c in inst.cost)
        expost_budget = budget in ("no_deficit", "balanced")
        expost_pay = one or ic == "dsic" or ir == "ex_post" or (expost_budget and costly)
        return cls(
            profiles=profiles,
            interim_alloc=not one and (ic == "bic" or ir == "interim"),
            interim_pay=not one and (not expost_pay or ic == "bic" or ir == "interim"),
            expost_pay=expost_pay,
            agv=not one and not expost_pay and expost_budget,
            local_ic=inst.preset in ONE_DIMENSIONAL,
            ic="dsic" if one and ic == "bic" else ic,
            ir="ex_post" if one and ir == "interim" else ir,
            budget=budget,
        )


@dataclass
class Layout:
    """Column layout of the LP for one instance and plan."""

    inst: Instance
    plan: Plan
    D: int
    support: list[np.ndarray]
    coef: list[np.ndarray]
    cost: np.ndarray
    P: int
    tp: np.ndarray | None
    fp: np.ndarray | None
    probs: list[np.ndarray]
    exact: bool
    y_off: int
    z_off: list[int]
    p_off: int
    q_off: list[int]
    n_cols: int

    @classmethod
    def build(cls, inst: Instance, plan: Plan, exact: bool = False, dry: bool = False) -> Layout:
        """The layout; ``exact``: coefficients as Fractions (the exact twin of the LP);
        ``dry``: offsets only, nothing per profile allocated (for the size estimate)."""
        n, preset = inst.n, inst.preset
        if preset == "single_item":
            D, support = n, [np.array([i]) for i in range(n)]
        elif preset == "multi_item":
            m = inst.items
            D, support = n * m, [np.arange(i * m, (i + 1) * m) for i in range(n)]
        elif preset == "table":
            D, support = len(inst.outcomes), [np.arange(len(inst.outcomes))] * n
        else:
            D, support = 1, [np.array([0])] * n
        coef = []
        for a in inst.agents:
            c = a.exact_points if exact else np.asarray(a.points, dtype=float)
            coef.append(-c if a.role == "seller" else c)
        probs = [a.exact_probs if exact else a.probs for a in inst.agents]
        cost = np.zeros(D, dtype=object if exact else float)
        if exact:
            cost[:] = Fraction(0)
        if inst.cost:
            cost[: len(inst.cost)] = [c if exact else float(c) for c in inst.cost]
        P = inst.profiles if plan.profiles else 0
        tp = fp = None
        if plan.profiles and not dry:
            tp = np.array(np.unravel_index(np.arange(P), inst.sizes)).reshape(n, P)
            fp = np.ones(1, dtype=object if exact else float)
            for pr in probs:
                fp = np.multiply.outer(fp, pr).ravel()
        col = 0
        y_off = col
        col += P * D if plan.profiles else 0
        p_off = col
        col += P * n if plan.expost_pay else 0
        z_off, q_off = [], []
        one = n == 1 and plan.profiles
        for i, a in enumerate(inst.agents):
            if one:
                z_off.append(-1)
            elif plan.interim_alloc:
                z_off.append(col)
                col += a.K * len(support[i])
            else:
                z_off.append(-1)
        for a in inst.agents:
            if one:
                q_off.append(-1)
            elif plan.interim_pay:
                q_off.append(col)
                col += a.K
            else:
                q_off.append(-1)
        return cls(
            inst,
            plan,
            D,
            support,
            coef,
            cost,
            P,
            tp,
            fp,
            probs,
            exact,
            y_off,
            z_off,
            p_off,
            q_off,
            col,
        )

    # -------------------------------------------------------------- columns
    def ycol(self, p, d):
        return self.y_off + np.asarray(p, dtype=np.int64) * self.D + d

    def pcol(self, p, i):
        return self.p_off + np.asarray(p, dtype=np.int64) * self.inst.n + i

    def zcol(self, i, k, l):
        """Interim outcome column of agent i, type k, support coordinate l."""
        if self.inst.n == 1 and self.plan.profiles:
            return self.ycol(k, self.support[0][l])
        return self.z_off[i] + np.asarray(k, dtype=np.int64) * len(self.support[i]) + l

    def qcol(self, i, k):
        if self.inst.n == 1 and self.plan.profiles:
            return self.pcol(k, 0)
        return self.q_off[i] + np.asarray(k, dtype=np.int64)

    @property
    def has_interim(self) -> bool:
        return self.plan.interim_alloc or (self.inst.n == 1 and self.plan.profiles)

    @property
    def has_interim_pay(self) -> bool:
        return self.plan.interim_pay or (self.inst.n == 1 and self.plan.profiles)

    def fminus(self, i: int) -> np.ndarray:
        """f_-i(t_-i) at every profile: the others' probability."""
        return self.fp / self.probs[i][self.tp[i]]

    def profile_grid(self, i: int) -> np.ndarray:
        """Profile indices as (K_i, rest): row k lists the profiles where agent i has type k."""
        grid = np.arange(self.P).reshape(self.inst.sizes)
        return np.moveaxis(grid, i, 0).reshape(self.inst.sizes[i], -1)


# ------------------------------------------------------------------ sizes
def estimate(lay: Layout, ic_pairs: list[int]) -> tuple[int, int]:
    """(rows, nonzeros) of the program, from the layout alone (before allocating)."""
    inst, plan = lay.inst, lay.plan
    n, P, D = inst.n, lay.P, lay.D
    nnz = rows = 0
    if plan.profiles:
        rows += P * (2 if inst.preset == "multi_item" else 1)
        nnz += P * D * 2
        if plan.interim_alloc:
            nnz += sum(P * len(s) for s in lay.support)
        if plan.expost_pay:
            nnz += P * n * 3
        if plan.ic == "dsic":
            for i, a in enumerate(inst.agents):
                reps = P // a.K
                rows += ic_pairs[i] * reps
                nnz += ic_pairs[i] * reps * (2 * len(lay.support[i]) + 2)
        if plan.ir == "ex_post":
            rows += P * n
            nnz += P * (D + n)
    for i, a in enumerate(inst.agents):
        if plan.ic == "bic":
            rows += ic_pairs[i]
            nnz += ic_pairs[i] * (2 * len(lay.support[i]) + 2)
        rows += a.K * (len(lay.support[i]) + 1)
    return rows, nnz


def pairs(lay: Layout, i: int) -> tuple[np.ndarray, np.ndarray]:
    """The IC pairs (true type, report) of agent i: adjacent in both directions for
    one-dimensional types (in the order of the value t, or -c for a seller), else all."""
    K = lay.inst.agents[i].K
    if lay.plan.local_ic:
        order = np.argsort(lay.coef[i][:, 0], kind="stable")
        a, b = order[1:], order[:-1]
        return np.concatenate([a, b]), np.concatenate([b, a])
    kk, kp = np.nonzero(~np.eye(K, dtype=bool))
    return kk, kp


def count_pairs(lay: Layout, i: int) -> int:
    K = lay.inst.agents[i].K
    return 2 * (K - 1) if lay.plan.local_ic else K * (K - 1)


def check_size(lay: Layout, ic_pairs: list[int], field: str) -> None:
    """Refuse a program that will not fit in memory (before anything is allocated)."""
    rows, nnz = estimate(lay, ic_pairs)
    nbytes = 40.0 * nnz + 48.0 * (rows + lay.n_cols)
    check_memory(
        field,
        nbytes,
        f"an LP with {rows:.3g} rows, {lay.n_cols:.3g} columns and {nnz:.3g} nonzeros",
        hint="use fewer agents or types, or method reduced_form (single item)",
    )


# ------------------------------------------------------------------ rows
class _Rows:
    """COO triplets of a block of rows with their bounds (object arrays when ``exact``)."""

    def __init__(self, exact: bool = False) -> None:
        self.exact = exact
        self.dtype = object if exact else float
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.lo: list[np.ndarray] = []
        self.up: list[np.ndarray] = []
        self.count = 0
        self.families: dict[str, list[np.ndarray]] = {}

    def add(self, family: str, n_rows: int, r, c, v, lo, up) -> None:
        r = np.asarray(r, dtype=np.int64)
        v = np.broadcast_to(np.asarray(v, dtype=self.dtype), r.shape)
        if self.exact:
            v = exact(v)
        keep = np.asarray(v != 0, dtype=bool)
        self.r.append(r[keep] + self.count)
        self.c.append(np.broadcast_to(np.asarray(c, dtype=np.int64), r.shape)[keep])
        self.v.append(v[keep])
        self.lo.append(self._bound(lo, n_rows))
        self.up.append(self._bound(up, n_rows))
        self.families.setdefault(family, []).append(np.arange(self.count, self.count + n_rows))
        self.count += n_rows

    def _bound(self, b, n_rows: int) -> np.ndarray:
        b = np.broadcast_to(np.asarray(b, self.dtype), (n_rows,))
        if not self.exact:
            return b
        return np.array([x if not np.isfinite(float(x)) else Fraction(x) for x in b], dtype=object)

    def triplets(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self.r:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, self.dtype)
        return np.concatenate(self.r), np.concatenate(self.c), np.concatenate(self.v)

    def matrix(self, n_cols: int) -> sps.csr_matrix:
        if not self.r:
            return sps.csr_matrix((0, n_cols))
        return sps.csr_matrix(
            (np.concatenate(self.v), (np.concatenate(self.r), np.concatenate(self.c))),
            shape=(self.count, n_cols),
        )

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.lo:
            return np.zeros(0, self.dtype), np.zeros(0, self.dtype)
        return np.concatenate(self.lo), np.concatenate(self.up)


def _feasibility(lay: Layout, out: _Rows) -> None:
    inst, P, D = lay.inst, lay.P, lay.D
    p = np.arange(P)
    if inst.preset == "single_item" and inst.n > 1:
        r = np.repeat(p, D)
        out.add("feasibility", P, r, lay.ycol(r, np.tile(np.arange(D), P)), 1.0, -INF, 1.0)
    elif inst.preset == "table":
        r = np.repeat(p, D)
        out.add("feasibility", P, r, lay.ycol(r, np.tile(np.arange(D), P)), 1.0, 1.0, 1.0)
    elif inst.preset == "multi_item":
        n, m = inst.n, inst.items
        pp, ii, jj = (x.ravel() for x in np.meshgrid(p, np.arange(n), np.arange(m), indexing="ij"))
        cols = lay.ycol(pp, ii * m + jj)
        if n > 1:  # each item to at most one agent
            out.add("feasibility", P * m, pp * m + jj, cols, 1.0, -INF, 1.0)
        if inst.valuation == "unit_demand" and m > 1:  # at most one item per agent
            out.add("feasibility", P * n, pp * n + ii, cols, 1.0, -INF, 1.0)


def _linking(lay: Layout, out: _Rows) -> None:
    inst = lay.inst
    if lay.plan.interim_alloc and inst.n > 1:
        for i, a in enumerate(inst.agents):
            S = lay.support[i]
            L = len(S)
            w = lay.fminus(i)
            rr, cc, vv = [], [], []
            for l in range(L):
                rr.append(lay.tp[i] * L + l)
                cc.append(lay.ycol(np.arange(lay.P), S[l]))
                vv.append(-w)
            k = np.arange(a.K * L)
            rr.append(k)
            cc.append(lay.z_off[i] + k)
            vv.append(np.ones(a.K * L))
            out.add(
                "linking",
                a.K * L,
                np.concatenate(rr),
                np.concatenate(cc),
                np.concatenate(vv),
                0.0,
                0.0,
            )
    if lay.plan.expost_pay and lay.plan.interim_pay and inst.n > 1:
        for i, a in enumerate(inst.agents):
            r = np.concatenate([lay.tp[i], np.arange(a.K)])
            c = np.concatenate([lay.pcol(np.arange(lay.P), i), lay.qcol(i, np.arange(a.K))])
            v = np.concatenate([-lay.fminus(i), np.ones(a.K)])
            out.add("linking", a.K, r, c, v, 0.0, 0.0)


def ic_rows(lay: Layout, i: int, kk: np.ndarray, kp: np.ndarray, out: _Rows) -> None:
    """IC rows of agent i for the pairs (true kk, report kp): interim (BIC) or per profile."""
    C = lay.coef[i]
    L = len(lay.support[i])
    npairs = len(kk)
    if lay.plan.ic == "bic":
        r = np.arange(npairs)
        rr, cc, vv = [r, r], [lay.qcol(i, kk), lay.qcol(i, kp)], [-np.ones(npairs), np.ones(npairs)]
        for l in range(L):
            rr += [r, r]
            cc += [lay.zcol(i, kk, l), lay.zcol(i, kp, l)]
            vv += [C[kk, l], -C[kk, l]]
        out.add("ic", npairs, np.concatenate(rr), np.concatenate(cc), np.concatenate(vv), 0.0, INF)
        return
    grid = lay.profile_grid(i)
    R = grid.shape[1]
    pk, pr = grid[kk], grid[kp]  # (npairs, R)
    r = np.arange(npairs * R).reshape(npairs, R)
    S = lay.support[i]
    rr = [r, r]
    cc = [lay.pcol(pk, i), lay.pcol(pr, i)]
    vv = [np.full(r.shape, -1.0), np.full(r.shape, 1.0)]
    for l in range(L):
        w = np.broadcast_to(C[kk, l][:, None], r.shape)
        rr += [r, r]
        cc += [lay.ycol(pk, S[l]), lay.ycol(pr, S[l])]
        vv += [w, -w]
    out.add(
        "ic",
        npairs * R,
        np.concatenate([x.ravel() for x in rr]),
        np.concatenate([x.ravel() for x in cc]),
        np.concatenate([x.ravel() for x in vv]),
        0.0,
        INF,
    )


def _ir(lay: Layout, out: _Rows) -> None:
    inst = lay.inst
    if lay.plan.ir == "interim":
        for i, a in enumerate(inst.agents):
            k = np.arange(a.K)
            rr, cc, vv = [k], [lay.qcol(i, k)], [-np.ones(a.K)]
            for l in range(len(lay.support[i])):
                rr.append(k)
                cc.append(lay.zcol(i, k, l))
                vv.append(lay.coef[i][:, l])
            out.add("ir", a.K, np.concatenate(rr), np.concatenate(cc), np.concatenate(vv), 0.0, INF)
    elif lay.plan.ir == "ex_post":
        P = lay.P
        p = np.arange(P)
        for i in range(inst.n):
            S = lay.support[i]
            rr, cc, vv = [p], [lay.pcol(p, i)], [-np.ones(P)]
            for l in range(len(S)):
                rr.append(p)
                cc.append(lay.ycol(p, S[l]))
                vv.append(lay.coef[i][lay.tp[i], l])
            out.add("ir", P, np.concatenate(rr), np.concatenate(cc), np.concatenate(vv), 0.0, INF)


def _budget(lay: Layout, out: _Rows) -> None:
    budget = lay.plan.budget
    if budget == "none":
        return
    lo, up = (0.0, 0.0) if budget == "balanced" else (0.0, INF)
    if budget == "ex_ante_no_deficit" or lay.plan.agv:
        cols, vals = _expected_sum(lay, "p")
        ccols, cvals = _expected_cost(lay)
        out.add(
            "budget",
            1,
            np.zeros(len(cols) + len(ccols), dtype=np.int64),
            np.concatenate([cols, ccols]),
            np.concatenate([vals, -cvals]),
            lo,
            up,
        )
        return
    P, n = lay.P, lay.inst.n
    p = np.arange(P)
    r = [np.repeat(p, n)]
    c = [lay.pcol(np.repeat(p, n), np.tile(np.arange(n), P))]
    v = [np.ones(P * n)]
    nz = np.flatnonzero(lay.cost)
    for d in nz:
        r.append(p)
        c.append(lay.ycol(p, d))
        v.append(np.full(P, -lay.cost[d]))
    out.add("budget", P, np.concatenate(r), np.concatenate(c), np.concatenate(v), lo, up)


# ------------------------------------------------------------------ expected quantities
def _expected_sum(lay: Layout, what: str) -> tuple[np.ndarray, np.ndarray]:
    cols, vals = [], []
    for i in range(lay.inst.n):
        c, v = quantity(lay, what, i)
        cols.append(c)
        vals.append(v)
    return np.concatenate(cols), np.concatenate(vals)


def _expected_cost(lay: Layout) -> tuple[np.ndarray, np.ndarray]:
    nz = np.flatnonzero(lay.cost)
    if len(nz) == 0:
        return np.zeros(0, np.int64), np.zeros(0)
    if not lay.plan.profiles:
        raise ModelError("outcomes", "a designer's cost needs the profile LP (method lp)")
    p = np.arange(lay.P)
    cols = np.concatenate([lay.ycol(p, d) for d in nz])
    vals = np.concatenate([lay.fp * lay.cost[d] for d in nz])
    return cols, vals


def quantity(lay: Layout, what: str, i: int) -> tuple[np.ndarray, np.ndarray]:
    """E[payment] (``p``), E[value] (``v``), E[allocation] (``x``) of agent i, or E[outcome
    i] (``o``, tables) as (columns, coefficients)."""
    inst = lay.inst
    a = inst.agents[i] if what != "o" else None
    if what == "p":
        if lay.has_interim_pay:
            return lay.qcol(i, np.arange(a.K)), lay.probs[i].copy()
        p = np.arange(lay.P)
        return lay.pcol(p, i), lay.fp.copy()
    if what == "o":
        p = np.arange(lay.P)
        return lay.ycol(p, i), lay.fp.copy()
    L = len(lay.support[i])
    weights = lay.coef[i] if what == "v" else np.ones((a.K, L), dtype=int)
    if lay.has_interim:
        k = np.arange(a.K)
        cols = np.concatenate([lay.zcol(i, k, l) for l in range(L)])
        vals = np.concatenate([lay.probs[i] * weights[:, l] for l in range(L)])
        return cols, vals
    p = np.arange(lay.P)
    S = lay.support[i]
    cols = np.concatenate([lay.ycol(p, S[l]) for l in range(L)])
    vals = np.concatenate([lay.fp * weights[lay.tp[i], l] for l in range(L)])
    return cols, vals


def linear_vector(lay: Layout, form: LinearForm) -> tuple[np.ndarray, float]:
    """The dense coefficient vector of a linear form over the columns, and its constant."""
    c = np.zeros(lay.n_cols, dtype=object if lay.exact else float)
    if lay.exact:
        c[:] = Fraction(0)
    n = lay.inst.n
    for name, coef in form.coefs.items():
        w = Fraction(coef) if lay.exact else float(coef)
        parts: list[tuple[str, int, float]] = []
        if name == "revenue":
            parts = [("p", i, w) for i in range(n)] + [("cost", -1, -w)]
        elif name == "welfare":
            parts = [("v", i, w) for i in range(n)] + [("cost", -1, -w)]
        elif name == "cost":
            parts = [("cost", -1, w)]
        else:
            kind, i = index_of(name)
            parts = [("v", i, w), ("p", i, -w)] if kind == "u" else [(kind, i, w)]
        for kind, i, weight in parts:
            cols, vals = _expected_cost(lay) if kind == "cost" else quantity(lay, kind, i)
            np.add.at(c, cols, weight * vals)
    return c, (Fraction(form.constant) if lay.exact else float(form.constant))


def objective_form(model: MechanismModel) -> LinearForm:
    """The model's objective as a linear form (revenue and welfare are forms too)."""
    from fractions import Fraction

    if model.objective == "expression":
        return model.expression
    return LinearForm(
        coefs={model.objective: Fraction(1)}, constant=Fraction(0), text=model.objective
    )


def linear_rows(lay: Layout, model: MechanismModel, out: _Rows) -> None:
    """The model's requirements as rows."""
    for req in model.requirements:
        vec, const = linear_vector(lay, req.form)
        cols = np.flatnonzero(vec)
        lo, up = {">=": (-const, INF), "<=": (-INF, -const), "==": (-const, -const)}[req.sense]
        out.add("requirements", 1, np.zeros(len(cols), np.int64), cols, vec[cols], lo, up)


def build(lay: Layout, model: MechanismModel, ic_subset: list | None = None):
    """The LP of the model on this layout; ``ic_subset[i] = (kk, kp)`` restricts agent i's
    IC pairs (lazy generation), else :func:`pairs`.  A :class:`SparseLP`, or with an
    exact layout an :class:`ExactLP` (the same rows, coefficients as Fractions)."""
    out = _Rows(lay.exact)
    if lay.plan.profiles:
        _feasibility(lay, out)
        _linking(lay, out)
    if lay.plan.ic != "none":
        for i in range(lay.inst.n):
            kk, kp = ic_subset[i] if ic_subset is not None else pairs(lay, i)
            if len(kk):
                ic_rows(lay, i, np.asarray(kk), np.asarray(kp), out)
    _ir(lay, out)
    _budget(lay, out)
    linear_rows(lay, model, out)
    c, const = linear_vector(lay, objective_form(model))
    lo, up = out.bounds()
    col_lo = np.full(lay.n_cols, -INF)
    col_up = np.full(lay.n_cols, INF)
    if lay.plan.profiles:
        col_lo[lay.y_off : lay.y_off + lay.P * lay.D] = 0.0
        col_up[lay.y_off : lay.y_off + lay.P * lay.D] = 1.0
    if lay.plan.interim_alloc:
        for i, a in enumerate(lay.inst.agents):
            if lay.z_off[i] < 0:  # one agent over profiles: Z is y, bounded above
                continue
            k = a.K * len(lay.support[i])
            col_lo[lay.z_off[i] : lay.z_off[i] + k] = 0.0
            col_up[lay.z_off[i] : lay.z_off[i] + k] = 1.0
    families = {k: np.concatenate(v) for k, v in out.families.items()}
    if lay.exact:
        r, cc, v = out.triplets()
        return ExactLP(r, cc, v, out.count, lay.n_cols, lo, up, col_lo, col_up, c, const, families)
    return SparseLP(
        A=out.matrix(lay.n_cols),
        c=c,
        row_lower=lo,
        row_upper=up,
        col_lower=col_lo,
        col_upper=col_up,
        families=families,
        offset=const,
    )


@dataclass
class ExactLP:
    """The exact twin of a :class:`SparseLP`: COO triplets with Fraction coefficients."""

    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    n_rows: int
    n_cols: int
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    c: np.ndarray
    offset: Fraction
    families: dict

    def extend(self, block: _Rows) -> None:
        """Append a block of rows built by the callers (cutting planes, in solve order)."""
        r, c, v = block.triplets()
        lo, up = block.bounds()
        self.rows = np.concatenate([self.rows, r + self.n_rows])
        self.cols = np.concatenate([self.cols, c])
        self.vals = np.concatenate([self.vals, v])
        self.row_lower = np.concatenate([self.row_lower, lo])
        self.row_upper = np.concatenate([self.row_upper, up])
        self.n_rows += block.count


def extend(lp, cost, lower, upper, block: _Rows):
    """``lp`` with new columns (cost and bounds) and then the rows of ``block``, which may
    use them (a :class:`SparseLP` or an :class:`ExactLP`, changed in place and returned)."""
    k = len(lower)
    if isinstance(lp, ExactLP):
        lp.n_cols += k
        lp.c = np.concatenate([lp.c, np.asarray(cost, dtype=object)])
        lp.col_lower = np.concatenate([lp.col_lower, lower])
        lp.col_upper = np.concatenate([lp.col_upper, upper])
        before = lp.n_rows
        lp.extend(block)
        for fam, rows in block.families.items():
            new = np.concatenate(rows) + before
            lp.families[fam] = np.concatenate([lp.families.get(fam, []), new]).astype(int)
        return lp
    m, n = lp.A.shape
    A = sps.hstack([lp.A, sps.csr_matrix((m, k))], format="csr")
    lo, up = block.bounds()
    lp.A = sps.vstack([A, block.matrix(n + k)], format="csr")
    lp.c = np.concatenate([lp.c, np.asarray(cost, dtype=float)])
    lp.col_lower = np.concatenate([lp.col_lower, np.asarray(lower, float)])
    lp.col_upper = np.concatenate([lp.col_upper, np.asarray(upper, float)])
    lp.row_lower = np.concatenate([lp.row_lower, lo])
    lp.row_upper = np.concatenate([lp.row_upper, up])
    for fam, rows in block.families.items():
        new = np.concatenate(rows) + m
        lp.families[fam] = np.concatenate([lp.families.get(fam, []), new]).astype(int)
    return lp


def new_rows(exact: bool = False) -> _Rows:
    """An empty block of rows (for cutting planes built by the callers)."""
    return _Rows(exact)
