"""The general LP of spec §3.2: any finite game, n >= 1 buyers, discretized types.

Variables are the recommendation rule sigma(a | theta, v) on the type grid and the
interim payments t_i[k].  Constraint families (each switchable in
:class:`~datamech.models.infosale.Constraints`):

* ``simplex``: sum_a sigma(a | theta, c) = 1;
* ``obedience`` (Def 2): for buyer i, own cell k, recommendation a_i and deviation a_i',
  E[u_i(a_i, A_-i) - u_i(a_i', A_-i) ; A_i = a_i | V_i = v_k] >= 0, written in pi-form
  (divided by v_k > 0) under Assumption 1 so that it also binds for v_k = 0 (E6);
* ``truthfulness`` (Def 3, interim payments): v_k pi~[k] - t[k] >= v_k pi~[k'] - t[k'],
  for k' = k +- 1 (``adjacent``, exact under Assumption 1) or all k' (``global``);
  general utilities compare E[u_i(.; v_k) | report k'] (true type k, reported k');
* ``participation`` (Def 4): E[u_i | v_k] - t[k] >= v_k K_i, K_i from :func:`outside_option`
  (E7: the opponents' worst-case rule may depend on theta; E8: >=, not >);
* ``nonnegative payments``: t >= 0 (column bounds).

Both backends get the same sparse matrix: ``highspy`` (direct, the fast path) and
``cvxpy`` (``solver=cp.HIGHS``).

Examples
--------
>>> from datamech.models.infosale import create
>>> res = solve_lp(create("competition", alpha=0.5, cells=8))
>>> res.status, res.method
('optimal', 'lp')
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sps

from ...errors import ModelError, SolverError
from ...models.infosale import InfoSaleModel, parse_expression
from .results import (
    InfoSaleResult,
    Layout,
    assemble,
    bottom_up_payments,
    layout,
    quiet_stdout,
    share_tensor,
    utility_tensor,
)

BACKENDS = ("highspy", "cvxpy")
FAMILY_ORDER = ("simplex", "obedience", "truthfulness", "participation")
INF = np.inf


@dataclass
class LPData:
    """A maximization LP  max c.x  s.t.  row_lower <= A x <= row_upper, col bounds.

    ``blocks`` maps a constraint family to its row slice; ``t_offset[i]`` is the first
    column of buyer i's payments.
    """

    c: np.ndarray
    A: sps.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    blocks: dict[str, slice]
    t_offset: list[int]
    n_sigma: int
    outside_option: list
    obedience_rows: list[np.ndarray] = field(default_factory=list)

    @property
    def n_cols(self) -> int:
        return self.c.size


# ---------------------------------------------------------------------- outside option
def outside_option(model: InfoSaleModel, i: int) -> float | np.ndarray:
    """K_i of Def 4 / Lemma 3: the buyer's worst-case payoff without the seller's signal.

    Under Assumption 1, K_i = min_rho max_{a_i} sum_theta P(theta) sum_{a_-i}
    rho(a_-i | theta) pi_i(a_i, a_-i; theta), a small LP in which the opponents' rule rho
    may depend on theta (E7).  Example 3 gives K = mu - alpha; the §5.1 game gives
    K = alpha mu (spec §4.1 item 8).  For a general utility the value depends on the
    type, and an array K_i[k] (the right-hand side itself) is returned.

    >>> from datamech.models.infosale import create
    >>> round(outside_option(create("competition", alpha=0.25), 0), 12)
    0.25
    """
    if model.constraints.outside_option is not None:
        return float(model.constraints.outside_option)
    game = model.game
    lay = layout(model) if not game.linear else None
    if game.linear:
        return _outside_lp(model.prior, game.payoffs[i], i, None)
    out = np.empty(lay.m[i])
    U = utility_tensor(model, lay, i)  # (S, C, |A|)
    for k in range(lay.m[i]):
        cells = np.flatnonzero(lay.cell_index[i] == k)
        w = lay.conditional_weight(i)[:, cells]  # (S, C_k)
        out[k] = _outside_general(U[:, cells, :], w, lay, i)
    return out


def _outside_lp(prior: np.ndarray, pay_i: np.ndarray, i: int, _unused) -> float:
    from scipy.optimize import linprog

    S = prior.size
    A_i = pay_i.shape[i]
    # move buyer i's action axis first: (A_i, A_-i..., S)
    p = np.moveaxis(pay_i, i, 0).reshape(A_i, -1, S)
    n_opp = p.shape[1]
    # variables rho[theta, b] (S * n_opp) and z; minimize z
    nv = S * n_opp + 1
    c = np.zeros(nv)
    c[-1] = 1.0
    A_ub = np.zeros((A_i, nv))
    for a in range(A_i):
        for th in range(S):
            A_ub[a, th * n_opp : (th + 1) * n_opp] = prior[th] * p[a, :, th]
        A_ub[a, -1] = -1.0
    A_eq = np.zeros((S, nv))
    for th in range(S):
        A_eq[th, th * n_opp : (th + 1) * n_opp] = 1.0
    bounds = [(0, None)] * (nv - 1) + [(None, None)]
    res = linprog(
        c, A_ub=A_ub, b_ub=np.zeros(A_i), A_eq=A_eq, b_eq=np.ones(S), bounds=bounds, method="highs"
    )
    if res.status != 0:
        raise SolverError("outside-option " + str(res.status), res.message)
    return float(res.fun)


def _outside_general(U: np.ndarray, w: np.ndarray, lay: Layout, i: int) -> float:
    from scipy.optimize import linprog

    S, Ck, _ = U.shape
    A_i = lay.actions[i]
    own = lay.act_index[i]
    others = [j for j in range(lay.n) if j != i]
    opp_shape = tuple(lay.actions[j] for j in others)
    n_opp = int(np.prod(opp_shape))
    opp_of = (
        np.ravel_multi_index(tuple(lay.act_index[j] for j in others), opp_shape)
        if others
        else np.zeros(lay.n_act, dtype=int)
    )
    nv = S * Ck * n_opp + 1
    c = np.zeros(nv)
    c[-1] = 1.0
    A_ub = np.zeros((A_i, nv))
    for a in range(lay.n_act):
        cols = (np.arange(S)[:, None] * Ck + np.arange(Ck)[None, :]) * n_opp + opp_of[a]
        A_ub[own[a], cols.ravel()] += (w * U[:, :, a]).ravel()
    A_ub[:, -1] = -1.0
    A_eq = sps.kron(sps.eye(S * Ck), np.ones((1, n_opp)))
    A_eq = sps.hstack([A_eq, sps.csr_matrix((S * Ck, 1))])
    bounds = [(0, None)] * (nv - 1) + [(None, None)]
    res = linprog(
        c,
        A_ub=A_ub,
        b_ub=np.zeros(A_i),
        A_eq=A_eq,
        b_eq=np.ones(S * Ck),
        bounds=bounds,
        method="highs",
    )
    if res.status != 0:
        raise SolverError("outside-option " + str(res.status), res.message)
    return float(res.fun)


# ---------------------------------------------------------------------- building
def _var(lay: Layout, th: np.ndarray, c: np.ndarray, a: np.ndarray) -> np.ndarray:
    return (th * lay.n_cells + c) * lay.n_act + a


def _grids(lay: Layout):
    th, c, a = np.meshgrid(
        np.arange(lay.n_states), np.arange(lay.n_cells), np.arange(lay.n_act), indexing="ij"
    )
    return th.ravel(), c.ravel(), a.ravel()


def _swap_action(lay: Layout, i: int, a: np.ndarray, y: int) -> np.ndarray:
    multi = [lay.act_index[j][a] for j in range(lay.n)]
    multi[i] = np.full_like(a, y)
    return np.ravel_multi_index(tuple(multi), lay.actions)


def _interim_matrix(lay: Layout, i: int, weights: np.ndarray) -> sps.csr_matrix:
    """Rows k: sum over cells with c_i = k of P Q_-i * weights[theta, c, a] sigma."""
    th, c, a = _grids(lay)
    w = lay.conditional_weight(i)[th, c] * weights[th, c, a]
    rows = lay.cell_index[i][c]
    return sps.csr_matrix((w, (rows, _var(lay, th, c, a))), shape=(lay.m[i], lay.n_sigma))


def build_lp(
    model: InfoSaleModel, lay: Layout | None = None, families: tuple[str, ...] | None = None
) -> LPData:
    """Assemble the LP of spec §3.2 as one sparse matrix.

    Parameters
    ----------
    model : InfoSaleModel
    lay : Layout, optional
        Precomputed grid layout.
    families : tuple of str, optional
        Restrict to these constraint families (used to name the family that makes an LP
        infeasible); default: the model's switches.
    """
    lay = lay or layout(model)
    cons = model.constraints
    game = model.game
    if families is None:
        families = ("simplex",)
        if cons.obedience:
            families += ("obedience",)
        if cons.truthfulness != "off":
            families += ("truthfulness",)
        if cons.participation:
            families += ("participation",)
    n_t = sum(lay.m)
    t_off = list(np.cumsum([0, *lay.m[:-1]]) + lay.n_sigma)
    N = lay.n_sigma + n_t
    th, c, a = _grids(lay)
    blocks_A, lo, up, names = [], [], [], []
    obedience_rows: list[np.ndarray] = []

    def add(name, mat, lower, upper):
        blocks_A.append(sps.csr_matrix(mat))
        lo.append(np.broadcast_to(lower, mat.shape[0]).astype(float))
        up.append(np.broadcast_to(upper, mat.shape[0]).astype(float))
        names.append((name, mat.shape[0]))

    # simplex: one row per (theta, c)
    rows = th * lay.n_cells + c
    S_mat = sps.csr_matrix(
        (np.ones(lay.n_sigma), (rows, _var(lay, th, c, a))), shape=(lay.n_states * lay.n_cells, N)
    )
    add("simplex", S_mat, 1.0, 1.0)

    U = [utility_tensor(model, lay, i) for i in range(lay.n)]
    # pi-form under Assumption 1 (E6); u-form otherwise
    PI = [
        np.broadcast_to(
            share_tensor(model, lay, i)[:, None, :], (lay.n_states, lay.n_cells, lay.n_act)
        )
        for i in range(lay.n)
    ]
    ob_payoff = PI if game.linear else U

    if "obedience" in families:
        mats = []
        for i in range(lay.n):
            Ai = lay.actions[i]
            if Ai < 2:
                obedience_rows.append(np.zeros(0, dtype=int))
                continue
            w = lay.conditional_weight(i)[th, c]
            x = lay.act_index[i][a]
            k = lay.cell_index[i][c]
            r_all, c_all, v_all = [], [], []
            for y in range(Ai):
                keep = x != y
                alt = _swap_action(lay, i, a[keep], y)
                val = w[keep] * (
                    ob_payoff[i][th[keep], c[keep], a[keep]] - ob_payoff[i][th[keep], c[keep], alt]
                )
                yy = np.where(y < x[keep], y, y - 1)
                r_all.append((k[keep] * Ai + x[keep]) * (Ai - 1) + yy)
                c_all.append(_var(lay, th[keep], c[keep], a[keep]))
                v_all.append(val)
            n_rows = lay.m[i] * Ai * (Ai - 1)
            mat = sps.csr_matrix(
                (np.concatenate(v_all), (np.concatenate(r_all), np.concatenate(c_all))),
                shape=(n_rows, N),
            )
            mats.append(mat)
            obedience_rows.append(np.arange(n_rows))
        if mats:
            add("obedience", sps.vstack(mats), 0.0, INF)

    K = (
        [outside_option(model, i) for i in range(lay.n)]
        if ("participation" in families or game.linear)
        else [None] * lay.n
    )

    pad = sps.csr_matrix((0, 0))
    del pad
    if "truthfulness" in families:
        mats = []
        for i in range(lay.n):
            m_i = lay.m[i]
            if m_i < 2:
                continue
            v = lay.values[i]
            if game.linear:
                Pi = _interim_matrix(lay, i, PI[i])
                if cons.truthfulness == "adjacent":
                    pairs = [(k, k + 1) for k in range(m_i - 1)] + [
                        (k + 1, k) for k in range(m_i - 1)
                    ]
                else:
                    pairs = [(k, k2) for k in range(m_i) for k2 in range(m_i) if k != k2]
                pk = np.array([p[0] for p in pairs])
                pk2 = np.array([p[1] for p in pairs])
                npairs = len(pairs)
                sel_true = sps.csr_matrix((v[pk], (np.arange(npairs), pk)), shape=(npairs, m_i))
                sel_dev = sps.csr_matrix((v[pk], (np.arange(npairs), pk2)), shape=(npairs, m_i))
                sig_part = (sel_dev - sel_true) @ Pi
            else:
                # general utility: true type k reporting k2 gets u_i(.; v_k, v_-i) under
                # the rule of cell (k2, c_-i); global pairs only
                pairs = [(k, k2) for k in range(m_i) for k2 in range(m_i) if k != k2]
                pk = np.array([p[0] for p in pairs])
                pk2 = np.array([p[1] for p in pairs])
                Ui = U[i]
                Pi_true = _interim_matrix(lay, i, Ui)
                stride = int(np.prod(lay.m[i + 1 :]))
                rows_l, cols_l, vals_l = [], [], []
                wfull = lay.conditional_weight(i)
                for r, (k, k2) in enumerate(pairs):
                    cells = np.flatnonzero(lay.cell_index[i] == k2)
                    true_cells = cells + (k - k2) * stride
                    tt, cc, aa = np.meshgrid(
                        np.arange(lay.n_states),
                        np.arange(cells.size),
                        np.arange(lay.n_act),
                        indexing="ij",
                    )
                    cols_l.append(_var(lay, tt.ravel(), cells[cc.ravel()], aa.ravel()))
                    vals_l.append((wfull[tt, cells[cc]] * Ui[tt, true_cells[cc], aa]).ravel())
                    rows_l.append(np.full(tt.size, r))
                dev = sps.csr_matrix(
                    (np.concatenate(vals_l), (np.concatenate(rows_l), np.concatenate(cols_l))),
                    shape=(len(pairs), lay.n_sigma),
                )
                sel = sps.csr_matrix(
                    (np.ones(len(pairs)), (np.arange(len(pairs)), pk)), shape=(len(pairs), m_i)
                )
                sig_part = dev - sel @ Pi_true
            npairs = len(pairs)
            t_part = sps.csr_matrix(
                (
                    np.r_[np.ones(npairs), -np.ones(npairs)],
                    (
                        np.r_[np.arange(npairs), np.arange(npairs)],
                        np.r_[pk, pk2] + t_off[i] - lay.n_sigma,
                    ),
                ),
                shape=(npairs, n_t),
            )
            mats.append(sps.hstack([sig_part, t_part]))
        if mats:
            add("truthfulness", sps.vstack(mats), -INF, 0.0)

    if "participation" in families:
        mats, rhs = [], []
        for i in range(lay.n):
            m_i = lay.m[i]
            Ui_int = _interim_matrix(lay, i, U[i])
            t_part = sps.csr_matrix(
                (-np.ones(m_i), (np.arange(m_i), np.arange(m_i) + t_off[i] - lay.n_sigma)),
                shape=(m_i, n_t),
            )
            mats.append(sps.hstack([Ui_int, t_part]))
            Ki = K[i]
            rhs.append(lay.values[i] * Ki if game.linear else np.asarray(Ki, dtype=float))
        add("participation", sps.vstack(mats), np.concatenate(rhs), INF)

    # objective (maximize)
    cvec = np.zeros(N)
    obj = model.objective
    joint = lay.prior[:, None] * lay.joint[None, :]
    if obj.kind == "revenue":
        for i in range(lay.n):
            cvec[t_off[i] : t_off[i] + lay.m[i]] = lay.probs[i]
    elif obj.kind == "welfare":
        tot = sum(U)
        cvec[: lay.n_sigma] = (joint[:, :, None] * tot).ravel()
    else:
        if obj.expression is not None:
            g, weights = parse_expression(obj.expression, lay.n)
            acts = tuple(lay.act_index[j][a] for j in range(lay.n))
            vals = tuple(lay.values[j][lay.cell_index[j][c]] for j in range(lay.n))
            gv = np.asarray(g(th, acts, vals), dtype=float)
        else:
            weights = list(obj.payment_weights or [0.0] * lay.n)
            gv = np.array(
                [
                    obj.function(
                        tuple(int(lay.act_index[j][aa]) for j in range(lay.n)),
                        int(tt),
                        tuple(float(lay.values[j][lay.cell_index[j][cc]]) for j in range(lay.n)),
                    )
                    for tt, cc, aa in zip(th, c, a, strict=True)
                ]
            )
        if not np.all(np.isfinite(gv)):
            raise ModelError("objective.expression", "is not finite on the type grid")
        cvec[: lay.n_sigma] = joint[th, c] * gv
        if len(weights) != lay.n:
            raise ModelError("objective.payment_weights", f"needs {lay.n} weights")
        for i in range(lay.n):
            cvec[t_off[i] : t_off[i] + lay.m[i]] = weights[i] * lay.probs[i]

    A = sps.vstack(blocks_A, format="csr")
    blocks, start = {}, 0
    for name, size in names:
        blocks[name] = slice(start, start + size)
        start += size
    col_lower = np.zeros(N)
    col_upper = np.full(N, INF)
    col_upper[: lay.n_sigma] = 1.0
    if not cons.nonnegative_payments:
        col_lower[lay.n_sigma :] = -INF
    return LPData(
        c=cvec,
        A=A,
        row_lower=np.concatenate(lo),
        row_upper=np.concatenate(up),
        col_lower=col_lower,
        col_upper=col_upper,
        blocks=blocks,
        t_offset=t_off,
        n_sigma=lay.n_sigma,
        outside_option=[k if k is None or np.ndim(k) == 0 else np.asarray(k) for k in K],
        obedience_rows=obedience_rows,
    )


# ---------------------------------------------------------------------- backends
# HiGHS presolve removes next to nothing from this LP but costs ~40% of the solve
# (Example 3, highspy, m = 40 / 80 / 160: 0.14 / 1.07 / 4.6 s with it, 0.09 / 0.41 /
# 2.6 s without; same optimum), so it is off unless the caller asks for it.  Not for
# the cvxpy backend: cvxpy states the variable bounds as rows, which presolve folds
# back into bounds (without it, m = 40 takes 30 s instead of 1.3 s).
HIGHS_OPTIONS = {"presolve": "off"}


def highs_instance(
    lp: LPData,
    cost: np.ndarray | None = None,
    time_limit: float | None = None,
    options: dict | None = None,
):
    """A silent ``highspy.Highs`` holding ``lp`` (maximization), not yet run.

    ``options`` are HiGHS options set over :data:`HIGHS_OPTIONS`.
    """
    import highspy

    A = lp.A.tocsr()
    with quiet_stdout():
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        for key, val in {**HIGHS_OPTIONS, **(options or {})}.items():
            h.setOptionValue(key, val)
        if time_limit is not None:
            h.setOptionValue("time_limit", float(time_limit))
        hl = highspy.HighsLp()
        hl.num_col_ = lp.n_cols
        hl.num_row_ = A.shape[0]
        hl.sense_ = highspy.ObjSense.kMaximize
        hl.col_cost_ = np.asarray(lp.c if cost is None else cost, dtype=float)
        hl.col_lower_ = lp.col_lower
        hl.col_upper_ = lp.col_upper
        hl.row_lower_ = lp.row_lower
        hl.row_upper_ = lp.row_upper
        hl.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        hl.a_matrix_.num_col_ = lp.n_cols
        hl.a_matrix_.num_row_ = A.shape[0]
        hl.a_matrix_.start_ = A.indptr.astype(np.int32)
        hl.a_matrix_.index_ = A.indices.astype(np.int32)
        hl.a_matrix_.value_ = A.data.astype(float)
        h.passModel(hl)
    return h


def highs_run(h):
    """Run ``h``; returns (status, x, shadow prices of the rows) or (status, None, None).

    HiGHS reports d(objective)/d(rhs); a binding ">=" row of a maximization has a
    non-positive dual, so the shadow price of tightening it is -row_dual.
    """
    with quiet_stdout():
        h.run()
        st = h.getModelStatus()
        status = _HIGHS_STATUS.get(h.modelStatusToString(st), h.modelStatusToString(st))
        if status != "optimal":
            return status, None, None
        sol = h.getSolution()
        x = np.asarray(sol.col_value)
        duals = np.asarray(sol.row_dual)
    return status, x, -duals


def _highspy_solve(lp: LPData, time_limit: float | None = None, feasibility: bool = False):
    """Solve with highspy; returns (status, x, row shadow prices, objective)."""
    h = highs_instance(lp, np.zeros(lp.n_cols) if feasibility else lp.c, time_limit)
    status, x, duals = highs_run(h)
    if status != "optimal":
        return status, None, None, None
    return status, x, duals, float(lp.c @ x)


_HIGHS_STATUS = {
    "Optimal": "optimal",
    "Infeasible": "infeasible",
    "Unbounded": "unbounded",
    "Primal infeasible or unbounded": "infeasible_or_unbounded",
    "Time limit reached": "time_limit",
    "Iteration limit reached": "iteration_limit",
}


def _cvxpy_solve(lp: LPData, time_limit: float | None = None, feasibility: bool = False):
    import cvxpy as cp

    x = cp.Variable(lp.n_cols)
    cons = []
    handles = {}
    for name, sl in lp.blocks.items():
        M = lp.A[sl]
        lo, up = lp.row_lower[sl], lp.row_upper[sl]
        if np.all(lo == up):
            con = M @ x == lo
            cons.append(con)
            handles[name] = (con, None)
            continue
        lo_con = up_con = None
        if np.any(np.isfinite(lo)):
            lo_con = M @ x >= np.where(np.isfinite(lo), lo, -1e30)
            cons.append(lo_con)
        if np.any(np.isfinite(up)):
            up_con = M @ x <= np.where(np.isfinite(up), up, 1e30)
            cons.append(up_con)
        handles[name] = (lo_con, up_con)
    n_sig = lp.n_sigma
    cons += [x[:n_sig] >= 0, x[:n_sig] <= 1]
    if np.all(np.isfinite(lp.col_lower[n_sig:])) and lp.n_cols > n_sig:
        cons.append(x[n_sig:] >= lp.col_lower[n_sig:])
    objective = cp.Maximize(0 if feasibility else lp.c @ x)
    prob = cp.Problem(objective, cons)
    opts = {}  # HiGHS presolve stays on here: it turns cvxpy's bound rows into bounds
    if time_limit is not None:
        opts["time_limit"] = float(time_limit)
    try:
        with quiet_stdout():
            prob.solve(solver=cp.HIGHS, **opts)
    except cp.error.SolverError as exc:
        raise SolverError("solver_error", str(exc)) from None
    status = {
        cp.OPTIMAL: "optimal",
        cp.INFEASIBLE: "infeasible",
        cp.UNBOUNDED: "unbounded",
        cp.OPTIMAL_INACCURATE: "optimal_inaccurate",
        cp.INFEASIBLE_INACCURATE: "infeasible",
        cp.UNBOUNDED_INACCURATE: "unbounded",
    }.get(prob.status, str(prob.status))
    if status != "optimal":
        return status, None, None, None
    duals = np.zeros(lp.A.shape[0])
    for name, (lo_con, up_con) in handles.items():
        sl = lp.blocks[name]
        d = np.zeros(sl.stop - sl.start)
        if lo_con is not None and lo_con.dual_value is not None:
            d += np.asarray(lo_con.dual_value).ravel() * (1 if up_con is not None or True else 1)
        if up_con is not None and up_con.dual_value is not None:
            d -= np.asarray(up_con.dual_value).ravel()
        duals[sl] = d
    xv = np.asarray(x.value).ravel()
    return status, xv, duals, float(lp.c @ xv)


SOLVE = {"highspy": _highspy_solve, "cvxpy": _cvxpy_solve}


def diagnose_infeasibility(model: InfoSaleModel, backend: str = "highspy") -> str | None:
    """The first constraint family whose addition makes the LP infeasible, if any.

    Families are added in the order simplex, obedience, truthfulness, participation,
    each with the model's column bounds (payments >= 0 when switched on).
    """
    lay = layout(model)
    wanted = [f for f in FAMILY_ORDER if f in build_lp(model, lay).blocks]
    active: tuple[str, ...] = ()
    for fam in wanted:
        active += (fam,)
        status, *_ = SOLVE[backend](build_lp(model, lay, families=active), feasibility=True)
        if status in ("infeasible", "infeasible_or_unbounded"):
            return fam
    return None


def solve_lp(
    model: InfoSaleModel, backend: str = "highspy", time_limit: float | None = None
) -> InfoSaleResult:
    """Solve the general LP of spec §3.2.

    Parameters
    ----------
    model : InfoSaleModel
    backend : {"highspy", "cvxpy"}
        ``highspy`` passes the sparse matrix to HiGHS directly; ``cvxpy`` states the same
        matrix as a cvxpy problem solved by HiGHS.
    time_limit : float, optional
        Seconds; hitting it raises ``SolverError("time_limit")``.

    Returns
    -------
    InfoSaleResult
        When the objective does not involve payments (welfare, or an expression without
        p_i), the reported payments are the revenue-maximizing truthful payments of the
        optimal rule (spec E18's default; the bottom type's participation binds).

    Raises
    ------
    SolverError
        Any status but optimal; an infeasible LP names the constraint family that makes
        it infeasible (``err.family``).

    Examples
    --------
    >>> from datamech.models.infosale import create
    >>> m = create("competition", alpha=0.5, cells=6, objective="welfare")
    >>> round(solve_lp(m).value, 6) == round(solve_lp(m, backend="cvxpy").value, 6)
    True
    """
    if backend not in BACKENDS:
        raise ModelError(
            "solver.backend", f"unknown backend {backend!r} (known: {', '.join(BACKENDS)})"
        )
    lay = layout(model)
    t0 = time.perf_counter()
    lp = build_lp(model, lay)
    status, x, duals, value = SOLVE[backend](lp, time_limit)
    seconds = time.perf_counter() - t0
    if status != "optimal":
        err = SolverError(status, "the infosale LP has no optimal solution")
        err.family = None
        if status in ("infeasible", "infeasible_or_unbounded"):
            fam = diagnose_infeasibility(model, backend)
            if fam is not None:
                err = SolverError(
                    "infeasible",
                    f"the {fam} constraints make the LP infeasible (constraint family {fam!r})",
                )
                err.family = fam
        elif status == "unbounded":
            err = SolverError(
                "unbounded",
                "the objective is unbounded; revenue needs participation or bounded payments",
            )
            err.family = None
        raise err
    return lp_result(model, lay, lp, x, duals, value, backend, seconds)


def lp_result(
    model: InfoSaleModel,
    lay: Layout,
    lp: LPData,
    x: np.ndarray,
    duals: np.ndarray,
    value: float,
    backend: str,
    seconds: float,
    pays_in_objective: bool | None = None,
    extra: dict | None = None,
) -> InfoSaleResult:
    """The :class:`InfoSaleResult` of an optimal LP solution ``x`` (sigma, then payments).

    ``pays_in_objective`` (default: from the model's objective) decides whether the
    LP's payments are reported or replaced by the revenue-maximizing truthful payments
    of the optimal rule.
    """
    sigma = x[: lay.n_sigma].reshape(lay.n_states, lay.n_cells, lay.n_act)
    t = [x[lp.t_offset[i] : lp.t_offset[i] + lay.m[i]] for i in range(lay.n)]
    obj = model.objective
    if pays_in_objective is None:
        pays_in_objective = obj.kind == "revenue" or (
            obj.kind == "expression" and any(w != 0 for w in (_payment_weights(model)))
        )
    if not pays_in_objective and model.game.linear:
        t = []
        for i in range(lay.n):
            share = (
                _interim_matrix(
                    lay,
                    i,
                    np.broadcast_to(
                        share_tensor(model, lay, i)[:, None, :],
                        (lay.n_states, lay.n_cells, lay.n_act),
                    ),
                )
                @ x[: lay.n_sigma]
            )
            K = (
                lp.outside_option[i]
                if lp.outside_option[i] is not None
                else outside_option(model, i)
            )
            t.append(bottom_up_payments(lay.values[i], share, float(K)))
    ob_duals = None
    if "obedience" in lp.blocks:
        ob_duals = []
        d = duals[lp.blocks["obedience"]]
        start = 0
        for i in range(lay.n):
            Ai = lay.actions[i]
            out = np.zeros((lay.m[i], Ai, Ai))
            size = lay.m[i] * Ai * (Ai - 1)
            di = d[start : start + size].reshape(lay.m[i], Ai, Ai - 1)
            for xa in range(Ai):
                others = [y for y in range(Ai) if y != xa]
                out[:, xa, others] = di[:, xa, :]
            ob_duals.append(out)
            start += size
    K_report = [
        (float(k) if np.ndim(k) == 0 else np.asarray(k)) if k is not None else None
        for k in lp.outside_option
    ]
    return assemble(
        model,
        lay,
        sigma,
        t,
        method="lp",
        solver=backend if backend == "highspy" else "cvxpy/HIGHS",
        seconds=seconds,
        value=value,
        outside_option=K_report,
        duals=ob_duals,
        extra=extra,
    )


def _payment_weights(model: InfoSaleModel) -> list[float]:
    obj = model.objective
    if obj.expression is not None:
        return parse_expression(obj.expression, model.n)[1]
    return list(obj.payment_weights or [])
