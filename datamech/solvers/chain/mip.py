"""Exact mixed-integer program for the best reallocation matrix on a grid (seed 000 §3-5).

The decision is a budget-balanced, past-only matrix t (Def 2.5 with equality, Def 2.6)
whose entries are multiples of 1/m: entry t_ij = a/m is chosen by level binaries
e_{ija}, a = 1..m (at most one per entry, none meaning 0), and each row's levels sum to m.
Everything the equilibrium of Eq. (9) computes from t (Algorithms 1-3, spec §3) is then
encoded exactly, stage by stage backward i = n-1..0 (seller i, trade i+1, buyer i+1):

* candidate prices are the next buyer's thresholds c_l = u_{i+1}(l) (variables for
  i + 1 < n); ``valid_l = 1{c_l >= 0}`` and ``B_{al} = 1{u_{i+1}(l) >= c_a}`` (buyer l
  accepts candidate a) are binaries, "<" meaning "<= -delta" (below);
* the gain of candidate a for the seller at w_k (Eq. 19-21, spec §3) is
  ``G_ka = w_k + sum_l Q_{i+1}[k,l] B_al (t_{i+1,i} c_a + z_i(l))`` with z_i(l) the
  future transfers to player i given v_{i+1} = w_l (the recursion of the fast solver,
  ``h_{i,j} = t_{j+1,i} r_j + (Q_{j+1} o A_{j+1}) h_{i,j+1}``);
* the seller's choice is one-hot ``y_ka`` over valid candidates (or "no valid price",
  Alg. 2 line 4: u = w_k, price 0, nobody accepts); ``u_i(k) = G_k,chosen >= G_ka`` for
  every valid a, with the tie rule as strict inequalities: ``first`` (paper default, first
  maximizer in grid order) ``G_ka <= u - delta`` for valid a before the chosen one,
  ``low`` for valid a with a lower price, ``high`` for valid a with a higher price;
* acceptance ``A_{i+1}(k,l) = B_{chosen,l}`` (buyers accept at equality), revenue
  ``r_i(k) = p_i(k) sum_l Q[k,l] A(k,l)`` (Eq. 18) and the welfare forward pass
  ``a_i(l) = sum_k a_{i-1}(k) Q_i[k,l] A_i(k,l)``; with budget balance
  SW = E[v_0] + sum_i sum_l a_i(l) w_l and TV = sum_i sum_l a_i(l).

Every product is (binary-valued) x (bounded), linearized exactly (McCormick with a binary
factor); the big-M bounds are propagated backward by interval arithmetic (u_n = W, and
u_i(k) lies between w_k and the largest upper bound of its candidates' gains).  For fixed t the constraints have exactly one solution (the equilibrium
of the given tie rule), so the MIP's optimum is the best grid matrix.

Strict inequalities and the margin delta
----------------------------------------
With exact rational data, d_W the common denominator of the grid W and d_Q that of the
transition probabilities, every threshold u_i(k) and every gain of seller i is a multiple
of 1/E_i with E_i = d_W (m d_Q)^(n-i) (induction over the backward pass: t c S adds the
factors m, d_Q, and the transfer terms add no more).  So two of them that differ differ by
at least delta_i = 1/E_i, and "x < y" is encoded exactly as "x <= y - delta_i".  The MIP
refuses (``ModelError("min_delta")``) when the smallest margin 1/E_0 is below ``min_delta``
(default 1e-6, a thousand times the solver tolerances set here, 1e-9): float grids such as
Model 1's exp(k/2) are read as long decimals and give no usable margin.

The returned matrix has exact entries k/m; its equilibrium is re-solved exactly
(:func:`~datamech.solvers.chain.solve_equilibrium` with ``exact=True``) and both the
objective and the thresholds must agree with the MIP's to 1e-6, else ``SolverError``.

>>> from datamech.models.chain import paper_model
>>> res = optimize_mip(paper_model(2, 2), m=2)
>>> res.certified, res.matrix[1].tolist(), res.social_welfare, res.backend, res.solver
(True, [Fraction(1, 1), Fraction(0, 1), Fraction(0, 1)], Fraction(31, 100), 'pyomo', 'HiGHS')
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ...errors import ModelError, SolverError
from ...models.chain import ChainModel, check_reallocation
from ...numeric import fmt, read_array, read_int, read_number
from ...status import Status
from .core import check_tie_rule
from .reallocation import ChainOptResult, check_fixed, grid_counts, opt_result

MIP_TIE_RULES = ("first", "low", "high")
MIP_OBJECTIVES = ("social_welfare", "transaction_volume")
MAX_BINARIES = 300
MIN_DELTA = 1e-6
SOLVER_TOL = 1e-9  # HiGHS primal and MIP feasibility tolerances
CHECK_TOL = 1e-6  # MIP value vs exact re-evaluation


# ---------------------------------------------------------------- result
@dataclass(frozen=True, repr=False)
class ChainMipResult(ChainOptResult):
    """:class:`ChainOptResult` of the MIP, with the solver's evidence.

    ``backend`` is ``"pyomo"`` and ``solver`` ``"HiGHS"``; ``objective_exact`` is the
    exact objective of the returned matrix.  ``status`` is ``optimal`` when HiGHS ends
    within ``mip_gap`` (``certified`` only at ``mip_gap = 0``) and ``time_limit`` when
    it stops at the time limit with an incumbent.  ``mip_status`` is HiGHS's termination, ``mip_objective`` / ``mip_bound`` its incumbent
    and dual bound, ``mip_gap`` = (bound - objective) / max(1, |objective|), ``nodes`` the
    branch-and-bound nodes; ``binaries``, ``constraints``, ``variables`` the model size
    (``budget`` is the binaries too); ``delta`` the strict-inequality margin 1/E_0 and
    ``build_seconds`` the time spent building the pyomo model (``seconds`` is the total).
    """

    mip_status: str = ""
    mip_objective: float = math.nan
    mip_bound: float = math.nan
    mip_gap: float = math.nan
    nodes: int = 0
    binaries: int = 0
    constraints: int = 0
    variables: int = 0
    delta: float = math.nan
    build_seconds: float = 0.0

    def format(self) -> str:
        lines = super().format().splitlines()
        lines[3] = (
            f"MIP: {self.binaries} binaries, {self.constraints} constraints, HiGHS "
            f"{self.mip_status}, gap {self.mip_gap:.3g}, {self.nodes} nodes, "
            f"margin {self.delta:.3g}, {self.seconds:.2f} s, tie rule {self.tie_break!r}"
        )
        return "\n".join(lines)


# ---------------------------------------------------------------- margins and sizes
def _lcm_den(values) -> int:
    d = 1
    for v in values:
        d = math.lcm(d, Fraction(v).denominator)
    return d


def margins(model: ChainModel, m: int) -> list[Fraction]:
    """delta_i = 1/E_i, E_i = d_W (m d_Q)^(n-i), i = 0..n: the exact strict-inequality margins.

    >>> from datamech.models.chain import paper_model
    >>> margins(paper_model(2, 2), 2)[0]  # d_W = 4, d_Q = 5: 1/(4 * 10^2)
    Fraction(1, 400)
    """
    d = model.exact()
    dW = _lcm_den(d["values"])
    dQ = _lcm_den(d["transition"].flat)
    return [Fraction(1, dW * (m * dQ) ** (model.n - i)) for i in range(model.n + 1)]


def estimate_binaries(model: ChainModel, m: int, fixed: dict | None = None) -> int:
    """An upper bound on the MIP's binaries, known before building it.

    Level binaries m per free entry of rows 2..n; per stage i < n-1 the comparisons
    B (L(L-1)), validity (L), the price choice (sellers x L) and one "no valid price";
    stage n-1 has only the price choice (its candidates are the constants W).

    >>> from datamech.models.chain import paper_model
    >>> estimate_binaries(paper_model(2, 2), 2)  # 2*2 levels + 5*5 + (20 + 5 + 1*5 + 1)
    60
    """
    fixed = fixed or {}
    n, L = model.n, model.L
    free = sum(1 for j in range(2, n + 1) for i in range(j) if (j, i) not in fixed)
    count = free * m
    n_start = int(np.count_nonzero(model.start_law(exact=True) != 0))
    for i in range(n):
        sellers = L if i >= 1 else n_start
        if i == n - 1:
            count += sellers * L
        else:
            count += L * (L - 1) + L + sellers * L + 1
    return count


# ---------------------------------------------------------------- model building
class _Builder:
    """A pyomo model with helpers for constants, bounds and exact binary products."""

    def __init__(self):
        import pyomo.environ as pe

        self.pe = pe
        pm = pe.ConcreteModel()
        pm.b = pe.VarList(domain=pe.Binary)
        pm.x = pe.VarList()
        pm.c = pe.ConstraintList()
        self.pm = pm

    def binary(self):
        return self.pm.b.add()

    def var(self, lo: float, hi: float):
        v = self.pm.x.add()
        v.setlb(lo)
        v.setub(hi)
        return v

    @staticmethod
    def is_const(e) -> bool:
        if isinstance(e, (int, float)):
            return True
        from pyomo.core.expr import polynomial_degree

        return polynomial_degree(e) == 0

    def value(self, e) -> float:
        return float(e) if isinstance(e, (int, float)) else float(self.pe.value(e))

    def bounds(self, e) -> tuple[float, float]:
        if self.is_const(e):
            v = self.value(e)
            return v, v
        from pyomo.contrib.fbbt.fbbt import compute_bounds_on_expr

        lo, hi = compute_bounds_on_expr(e)
        return float(lo), float(hi)

    def le(self, lhs, rhs) -> None:
        """lhs <= rhs (skipped when both sides are constants that satisfy it)."""
        d = lhs - rhs
        if self.is_const(d):
            if self.value(d) > 1e-12:
                raise SolverError(
                    Status.SOLVER_ERROR,
                    f"MIP encoding: a constant constraint fails by {self.value(d)}",
                )
            return
        self.pm.c.add(d <= 0)

    def define(self, expr):
        """A variable equal to expr (a constant stays a constant)."""
        if self.is_const(expr):
            return self.value(expr)
        lo, hi = self.bounds(expr)
        v = self.var(lo, hi)
        self.pm.c.add(v - expr == 0)
        return v

    def prod(self, b, x):
        """b * x for binary-valued b (a binary, a 0/1 expression or constant) and bounded x."""
        if self.is_const(b):
            bv = self.value(b)
            return 0.0 if bv == 0 else x if bv == 1 else bv * x
        if self.is_const(x):
            xv = self.value(x)
            return 0.0 if xv == 0 else xv * b
        lo, hi = self.bounds(x)
        w = self.var(min(0.0, lo), max(0.0, hi))
        c = self.pm.c
        c.add(w - hi * b <= 0)
        c.add(w - lo * b >= 0)
        c.add(w - x + lo * (1 - b) <= 0)
        c.add(w - x + hi * (1 - b) >= 0)
        return w

    def indicator_geq(self, d, delta: float):
        """1{d >= 0} for an expression d that is either >= 0 or <= -delta."""
        lo, hi = self.bounds(d)
        if lo > -delta / 2:
            return 1
        if hi < -delta / 2:
            return 0
        z = self.binary()
        self.pm.c.add(d - lo * (1 - z) >= 0)  # z = 1 -> d >= 0
        self.pm.c.add(d + delta - (hi + delta) * z <= 0)  # z = 0 -> d <= -delta
        return z


def _build(model: ChainModel, m: int, fixed: dict, rule: str, objective: str, deltas):
    n, L = model.n, model.L
    ex = model.exact()
    Wx = list(ex["values"])
    W = [float(w) for w in Wx]
    trans = ex["transition"]
    Q = [np.asarray(trans[i] if trans.ndim == 3 else trans, dtype=float) for i in range(n)]
    start = [float(s) for s in model.start_law(exact=True)]
    bld = _Builder()
    pe = bld.pe

    # ---- the matrix: level binaries, rows summing to m
    levels: dict[tuple[int, int], list] = {}
    tconst: dict[tuple[int, int], float] = {(1, 0): 1.0}
    for j in range(2, n + 1):
        count = 0
        for i in range(j):
            if (j, i) in fixed:
                tconst[(j, i)] = float(fixed[(j, i)])
                count = count + int(fixed[(j, i)] * m)
                continue
            es = [bld.binary() for _ in range(m)]
            levels[(j, i)] = es
            bld.le(sum(es), 1)
            count = count + sum((a + 1) * e for a, e in enumerate(es))
        if not bld.is_const(count):
            bld.pm.c.add(count == m)

    def tprod(j: int, i: int, x):
        """t_{j,i} * x."""
        if (j, i) in tconst:
            c = tconst[(j, i)]
            return 0.0 if c == 0 else x if c == 1 else c * x
        return sum((a + 1) / m * bld.prod(e, x) for a, e in enumerate(levels[(j, i)]))

    thr: list = [None] * (n + 1)
    thr[n] = list(W)
    acc: list = [None] * (n + 1)  # acc[j][(k, l)]: trade j, seller j-1 at k, buyer j at l
    rev: list = [None] * n  # rev[j][k]: r_j(k), Eq. 18
    sellers0 = [k for k in range(L) if start[k] != 0]
    for i in range(n - 1, -1, -1):
        Qi = Q[i]
        sellers = range(L) if i >= 1 else sellers0
        dB, dG = float(deltas[i + 1]), float(deltas[i])
        nxt = thr[i + 1]
        # future transfers to player i given v_{i+1} = w_l and trade i+1 happened
        h = [0.0] * L
        for j in range(n - 1, i, -1):
            h = [
                bld.define(
                    tprod(j + 1, i, rev[j][l])
                    + sum(
                        Q[j][l, l2] * bld.prod(acc[j + 1][(l, l2)], h[l2])
                        for l2 in range(L)
                        if Q[j][l, l2] != 0
                    )
                )
                for l in range(L)
            ]
        z = h
        # candidates: validity and acceptance comparisons
        if i == n - 1:
            valid = [1 if Wx[l] >= 0 else 0 for l in range(L)]
        else:
            valid = [bld.indicator_geq(nxt[l], dB) for l in range(L)]
        cands = [a for a in range(L) if not (bld.is_const(valid[a]) and valid[a] == 0)]
        B: dict[tuple[int, int], object] = {}
        for a in cands:
            for b in range(L):
                if a == b:
                    B[(a, b)] = 1
                elif i == n - 1:
                    B[(a, b)] = 1 if Wx[b] >= Wx[a] else 0
                else:
                    B[(a, b)] = bld.indicator_geq(nxt[b] - nxt[a], dB)
        for a in cands:
            for b in cands:
                if a < b and not (bld.is_const(B[(a, b)]) or bld.is_const(B[(b, a)])):
                    bld.pm.c.add(B[(a, b)] + B[(b, a)] >= 1)
        if any(bld.is_const(valid[a]) and valid[a] == 1 for a in cands):
            none = 0
        elif not cands:
            none = 1
        else:
            none = bld.binary()
            for a in cands:
                bld.le(none, 1 - valid[a])
            bld.pm.c.add(none + sum(valid[a] for a in cands) >= 1)
        cols = sorted({l for k in sellers for l in range(L) if Qi[k, l] != 0})
        kappa: dict = {}
        for a in cands:
            tau = tprod(i + 1, i, nxt[a])  # t_{i+1,i} c_a
            for l in cols:
                kappa[(a, l)] = bld.prod(B[(a, l)], tau) + bld.prod(B[(a, l)], z[l])
        acc_i: dict = {}
        rev_i = [0.0] * L
        thr_i: list = list(W)
        for k in sellers:
            G = {
                a: W[k] + sum(Qi[k, l] * kappa[(a, l)] for l in range(L) if Qi[k, l] != 0)
                for a in cands
            }
            Gb = {a: bld.bounds(G[a]) for a in cands}
            u_hi = max([W[k]] + [Gb[a][1] for a in cands])
            u = bld.var(W[k], u_hi)
            if len(cands) == 1 and not bld.is_const(valid[cands[0]]):
                y = {cands[0]: 1 - none}
            elif len(cands) == 1:
                y = {cands[0]: 1}
            else:
                y = {a: bld.binary() for a in cands}
            if len(cands) > 1:
                bld.pm.c.add(sum(y.values()) + none == 1)
            for a in cands:
                if not bld.is_const(valid[a]):
                    bld.le(y[a], valid[a])
                M = Gb[a][1] - W[k]
                bld.le(G[a] - M * (1 - valid[a]), u)  # u is the maximal valid gain
                bld.le(u, G[a] + (u_hi - Gb[a][0]) * (1 - y[a]))  # ... of the chosen price
            if not (bld.is_const(none) and none == 0):
                bld.le(u, W[k] + (u_hi - W[k]) * (1 - none))
            # acceptance of the chosen price by each buyer
            need = range(L) if rule == "low" else [l for l in range(L) if Qi[k, l] != 0]
            for l in need:
                col = [B[(a, l)] for a in cands]
                if all(bld.is_const(c) for c in col) and len({bld.value(c) for c in col}) <= 1:
                    if bld.is_const(none):
                        acc_i[(k, l)] = 0 if (none == 1 or not col) else bld.value(col[0])
                        continue
                A = bld.var(0.0, 1.0)
                for a in cands:
                    bld.le(B[(a, l)] + y[a] - 1, A)
                    bld.le(A, B[(a, l)] + 1 - y[a])
                bld.le(A, 1 - none)
                acc_i[(k, l)] = A
            # the tie rule, as strict inequalities with margin dG
            for a2 in cands:
                M = Gb[a2][1] - W[k] + dG
                slack = M * (1 - valid[a2]) if not bld.is_const(valid[a2]) else 0.0
                if rule == "first":
                    later = [y[a] for a in cands if a > a2]
                    if later:
                        bld.le(G[a2], u - dG + M * (1 - sum(later)) + slack)
                elif rule == "low":
                    bld.le(G[a2], u - dG + M * acc_i[(k, a2)] + slack)
                else:  # high: a2 priced above the chosen a
                    for a in cands:
                        if a != a2 and not (bld.is_const(B[(a2, a)]) and B[(a2, a)] == 1):
                            bld.le(G[a2], u - dG + M * (1 - y[a] + B[(a2, a)]) + slack)
            if i >= 1:
                thr_i[k] = u
                hi_p = max([0.0] + [bld.bounds(nxt[a])[1] for a in cands])
                p = bld.var(0.0, hi_p)
                for a in cands:
                    lo_c, hi_c = bld.bounds(nxt[a])
                    bld.le(p, nxt[a] + (hi_p - lo_c) * (1 - y[a]))
                    bld.le(nxt[a] - (hi_c - 0.0) * (1 - y[a]), p)
                bld.le(p, hi_p * (1 - none))
                rev_i[k] = bld.define(
                    sum(Qi[k, l] * bld.prod(acc_i[(k, l)], p) for l in range(L) if Qi[k, l] != 0)
                )
        acc[i + 1] = acc_i
        rev[i] = rev_i
        thr[i] = thr_i

    # ---- welfare forward pass over reachable states
    sw = sum(start[k] * W[k] for k in sellers0)
    tv = 0.0
    a_prev = {k: start[k] for k in sellers0}
    for i in range(1, n + 1):
        Qi = Q[i - 1]
        reach = sorted({l for k in a_prev for l in range(L) if Qi[k, l] != 0})
        a_new = {}
        for l in reach:
            expr = sum(
                Qi[k, l] * bld.prod(acc[i][(k, l)], a_prev[k]) for k in a_prev if Qi[k, l] != 0
            )
            a_new[l] = bld.define(expr)
            sw = sw + W[l] * a_new[l]
            tv = tv + a_new[l]
        a_prev = a_new
    obj = sw if objective == "social_welfare" else tv
    if bld.is_const(obj):
        obj = obj + 0 * bld.var(0.0, 0.0)
    bld.pm.obj = pe.Objective(expr=obj, sense=pe.maximize)
    return bld, levels, thr


# ---------------------------------------------------------------- the solve
def _check_start(start, n: int, m: int, fixed: dict) -> np.ndarray:
    """A start matrix as exact Fractions, checked: shape, Def 2.5-2.6, rows sum to 1, grid."""
    T = read_array(start, "solver.start", exact=True, ndim=2)
    if T.shape != (n, n + 1):
        raise ModelError("solver.start", f"must have shape ({n}, {n + 1}), got {T.shape}")
    check_reallocation(T, "solver.start")
    for i in range(1, n + 1):
        if sum(T[i - 1], Fraction(0)) != 1:
            raise ModelError("solver.start", f"row of trade {i} must sum to 1 (budget balance)")
        for j in range(i):
            if (T[i - 1, j] * m).denominator != 1:
                raise ModelError(
                    "solver.start", f"t[{i},{j}] = {T[i - 1, j]} is not on the grid 1/{m}"
                )
            if (i, j) in fixed and fixed[(i, j)] != T[i - 1, j]:
                raise ModelError("solver.start", f"t[{i},{j}] disagrees with the fixed entry")
    return T


def optimize_mip(
    model: ChainModel,
    objective: str = "social_welfare",
    *,
    tie_break: str = "first",
    fixed: dict | None = None,
    m: int = 4,
    time_limit: float | None = None,
    mip_gap: float = 0.0,
    max_binaries: int = MAX_BINARIES,
    min_delta: float = MIN_DELTA,
    start=None,
) -> ChainMipResult:
    """The best budget-balanced, past-only matrix with entries in {0, 1/m, ..., 1}, by a MIP.

    Parameters
    ----------
    model : ChainModel
        The chain (exact rational data; its own mechanism is ignored).
    objective : {"social_welfare", "transaction_volume"}
    tie_break : {"first", "low", "high"}
        The equilibrium's seller tie rule (buyers accept at equality); ``first`` is the
        paper's (first maximizer in grid order).  The welfare rules are not encoded.
    fixed : dict, optional
        ``{(trade i, player j): share}`` held fixed; must lie on the grid.
    m : int
        Grid step 1/m.
    time_limit : float, optional
        Seconds for HiGHS; on reaching it the incumbent is returned with status
        ``"time_limit"`` (not certified), or ``SolverError`` when there is none.
    mip_gap : float
        HiGHS's relative gap; 0 (default) proves optimality (``certified``).
    max_binaries : int
        Refuse (``ModelError("max_binaries")``) models whose estimated binaries exceed this.
    min_delta : float
        Refuse (``ModelError("min_delta")``) when the exact margin 1/E_0 is smaller.
    start : array (n, n+1), optional
        A grid matrix given to HiGHS as the first incumbent (e.g. from the evolution or
        enumeration methods): the MIP then only has to prove it optimal or beat it.  It
        changes the time, never the optimal value (among tied maximizers the matrix may
        differ); off-grid or infeasible matrices raise ``ModelError("start")``.

    Returns
    -------
    ChainMipResult
        ``status`` "optimal" (``certified`` when ``mip_gap`` is 0) or "time_limit";
        ``objective_exact`` the exact objective of the returned matrix.

    Examples
    --------
    >>> from datamech.models.chain import paper_model
    >>> res = optimize_mip(paper_model(2, 2), m=2, objective="transaction_volume")
    >>> res.status, res.objective_exact, res.objective_name
    (<Status.OPTIMAL: 'optimal'>, Fraction(4, 5), 'transaction_volume')
    """
    t0 = time.perf_counter()
    if not isinstance(model, ChainModel):
        raise ModelError("model", f"expected a ChainModel, got {type(model).__name__}")
    if objective not in MIP_OBJECTIVES:
        raise ModelError(
            "solver.objective",
            f"the MIP optimizes {' or '.join(MIP_OBJECTIVES)}, not {objective!r}",
        )
    check_tie_rule(tie_break)
    if tie_break not in MIP_TIE_RULES:
        raise ModelError(
            "solver.tie_break",
            f"the MIP encodes the tie rules {', '.join(MIP_TIE_RULES)}, not {tie_break!r}",
        )
    m = read_int(m, "solver.m", low=1)
    if time_limit is not None:
        time_limit = float(read_number(time_limit, "solver.time_limit", low=0, low_open=True))
    mip_gap = float(read_number(mip_gap, "solver.mip_gap", low=0))
    max_binaries = read_int(max_binaries, "solver.max_binaries", low=1)
    min_delta = float(read_number(min_delta, "solver.min_delta", low=0, low_open=True))
    fixed = check_fixed(fixed, model.n)
    size = math.prod(grid_counts(model.n, m, fixed))  # checks fixed entries lie on the grid
    if size == 0:
        raise ModelError("solver.fixed", "no grid matrix agrees with the fixed entries")
    est = estimate_binaries(model, m, fixed)
    if est > max_binaries:
        raise ModelError(
            "solver.max_binaries",
            f"the MIP for n = {model.n}, L = {model.L}, m = {m} needs about {est:,} binaries, "
            f"more than max_binaries = {max_binaries:,}; use a smaller chain or grid, "
            "method='enumerate' or 'evolution'",
        )
    start_matrix = None if start is None else _check_start(start, model.n, m, fixed)
    deltas = margins(model, m)
    if deltas[0] < min_delta:
        raise ModelError(
            "solver.min_delta",
            f"an exact encoding needs the margin 1/E_0 = {float(deltas[0]):.3g} "
            f"(E_0 = d_W (m d_Q)^n = {deltas[0].denominator:,}), below min_delta = {min_delta:g}:"
            " the grid or transition probabilities have large denominators (floats are read"
            " as decimals) or the chain is too long for the solver's tolerances",
        )

    bld, levels, thr = _build(model, m, fixed, tie_break, objective, deltas)
    build_seconds = time.perf_counter() - t0
    pm = bld.pm
    from pyomo.contrib.appsi.base import TerminationCondition as TC
    from pyomo.contrib.appsi.solvers import Highs

    solver = Highs()
    if not solver.available():
        raise SolverError(Status.SOLVER_ERROR, "HiGHS (highspy) is not available to pyomo")
    solver.config.load_solution = False
    solver.config.mip_gap = float(mip_gap)
    if time_limit is not None:
        solver.config.time_limit = float(time_limit)
    solver.highs_options = {
        "output_flag": False,
        "mip_abs_gap": 0.0,
        "mip_feasibility_tolerance": SOLVER_TOL,
        "primal_feasibility_tolerance": SOLVER_TOL,
    }
    if start_matrix is not None:
        # MIP start: the given matrix's equilibrium, found by the MIP with the matrix fixed
        t_start = time.perf_counter()
        for (j, i), es in levels.items():
            count = int(start_matrix[j - 1, i] * m)
            for a, e in enumerate(es):
                e.fix(1 if a + 1 == count else 0)
        first = solver.solve(pm)
        if first.termination_condition == TC.infeasible:
            raise SolverError(
                Status.INFEASIBLE, "no MIP point for the start matrix (an encoding fault)"
            )
        if first.termination_condition == TC.optimal:
            first.solution_loader.load_vars()
            solver.config.warmstart = True
        for es in levels.values():
            for e in es:
                e.unfix()
        if time_limit is not None:
            solver.config.time_limit = max(1e-3, time_limit - (time.perf_counter() - t_start))
    res = solver.solve(pm)
    tc = res.termination_condition
    incumbent = res.best_feasible_objective
    has_incumbent = incumbent is not None and math.isfinite(incumbent)
    if tc == TC.optimal and has_incumbent:
        # optimal to the requested gap; proven exactly optimal only at gap 0
        certified, status = mip_gap == 0, Status.OPTIMAL
    elif tc == TC.maxTimeLimit:
        if not has_incumbent:
            raise SolverError(Status.TIME_LIMIT, f"no feasible matrix within {time_limit} s")
        certified, status = False, Status.TIME_LIMIT
    elif tc == TC.infeasible:
        raise SolverError(Status.INFEASIBLE, "HiGHS reports the MIP infeasible (an encoding fault)")
    else:
        raise SolverError(
            Status.SOLVER_ERROR, f"HiGHS ended with {tc.name}, without a proven solution"
        )
    res.solution_loader.load_vars()
    nodes = 0
    highs = getattr(solver, "_solver_model", None)
    if highs is not None:
        try:
            nodes = int(highs.getInfo().mip_node_count)
        except AttributeError:  # pragma: no cover - highspy without the info field
            nodes = 0

    n = model.n
    T = np.full((n, n + 1), Fraction(0), dtype=object)
    T[0, 0] = Fraction(1)
    for j in range(2, n + 1):
        for i in range(j):
            if (j, i) in fixed:
                T[j - 1, i] = fixed[(j, i)]
            else:
                a = sum((q + 1) * round(bld.pe.value(e)) for q, e in enumerate(levels[(j, i)]))
                T[j - 1, i] = Fraction(a, m)
    for j in range(n):
        if sum(T[j], Fraction(0)) != 1:
            raise SolverError(
                Status.SOLVER_ERROR, f"row {j + 1} of the MIP's matrix does not sum to 1"
            )

    bound = res.best_objective_bound
    bound = float(bound) if bound is not None else math.nan
    binaries = sum(1 for v in pm.b.values() if not v.fixed)
    result = opt_result(
        model, "mip", objective, T, t0, tie_break=tie_break, tol=None, exact=True,
        cls=ChainMipResult, certified=certified, status=status, grid_step=f"1/{m}",
        evaluations=nodes, budget=binaries, seed=None, restarts=None, backend="pyomo",
        solver="HiGHS", mip_status=tc.name, mip_objective=float(incumbent), mip_bound=bound,
        mip_gap=(bound - float(incumbent)) / max(1.0, abs(float(incumbent))), nodes=nodes,
        binaries=binaries, constraints=len(pm.c), variables=binaries + len(pm.x),
        delta=float(deltas[0]), build_seconds=build_seconds,
    )  # fmt: skip
    # the MIP's numbers must be the exact equilibrium's at its matrix
    eq, value = result.equilibrium, float(result.objective_value)
    if abs(value - incumbent) > CHECK_TOL * max(1.0, abs(value)):
        raise SolverError(
            Status.SOLVER_ERROR,
            f"the MIP's {objective} {fmt(incumbent)} differs from the exact equilibrium's "
            f"{fmt(value)} at its matrix",
        )
    for i in range(1, n):
        for k in range(model.L):
            got = bld.value(thr[i][k])
            if abs(got - float(eq.thresholds[i][k])) > CHECK_TOL * max(1.0, abs(got)):
                raise SolverError(
                    Status.SOLVER_ERROR,
                    f"the MIP's threshold u({i},{k}) = {fmt(got)} differs from the exact "
                    f"equilibrium's {fmt(float(eq.thresholds[i][k]))}",
                )
    return result
