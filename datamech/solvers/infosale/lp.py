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

Both backends get the same sparse matrix (:mod:`.lp_backends`): ``highspy`` (direct,
the fast path) and ``cvxpy`` (HiGHS by default, or any LP solver cvxpy has).

Accuracy on a grid of m cells per buyer (Example 3, Exp(1), against the closed forms;
docs/infosale.md): revenue on the ``left`` grid and welfare on the ``condmean`` grid
converge like 1/m^2 (about 2e-4 at m = 80, 5e-5 at m = 160); the other pairings like
1/m (3e-2 at m = 80).  The default scheme ``auto`` picks the accurate one.

Examples
--------
>>> from datamech.models.infosale import create
>>> res = solve_lp(create("competition", alpha=0.5, cells=8))
>>> res.status, res.method, res.backend, res.solver
(<Status.OPTIMAL: 'optimal'>, 'lp', 'highspy', 'HiGHS')
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sps

from ...errors import ModelError, SolverError
from ...models.infosale import MAX_MAGNITUDE, InfoSaleModel, parse_expression
from ...numeric import fmt
from ...status import Status
from .estimate import check_lp
from .layout import (
    Layout,
    bottom_up_payments,
    layout,
    share_tensor,
    utility_tensor,
)
from .lp_backends import LPData, Runner, runner
from .outside import outside_option
from .results import InfoSaleResult, assemble

FAMILY_ORDER = ("simplex", "obedience", "truthfulness", "participation")
INF = np.inf


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
    """Assemble the general LP (Definitions 1-4 on discretized types) as one sparse matrix.

    Parameters
    ----------
    model : InfoSaleModel
    lay : Layout, optional
        Precomputed grid layout.
    families : tuple of str, optional
        Restrict to these constraint families (used to name the family that makes an LP
        infeasible); default: the model's switches.

    References
    ----------
    - A. Nouripour, "Selling Information in Competitive Environments", S.M. thesis, Department of
      Electrical Engineering and Computer Science, Massachusetts Institute of Technology, Cambridge,
      MA, September 2021.
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
        if mats:
            add("obedience", sps.vstack(mats), 0.0, INF)

    K = (
        [outside_option(model, i) for i in range(lay.n)]
        if ("participation" in families or game.linear)
        else [None] * lay.n
    )

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
        big = float(np.max(np.abs(gv))) if gv.size else 0.0
        if big > MAX_MAGNITUDE**2:
            raise ModelError(
                "objective.expression",
                f"reaches {fmt(big)} on the type grid; the LP accepts |g| <= 1e12 "
                "(rescale the objective)",
            )
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
    )


# ---------------------------------------------------------------------- solving
def diagnose_infeasibility(model: InfoSaleModel, backend: str | Runner = "highspy") -> str | None:
    """The first constraint family whose addition makes the LP infeasible, if any.

    Families are added in the order simplex, obedience, truthfulness, participation,
    each with the model's column bounds (payments >= 0 when switched on).

    References
    ----------
    - A. Nouripour, "Selling Information in Competitive Environments", S.M. thesis, Department of
      Electrical Engineering and Computer Science, Massachusetts Institute of Technology, Cambridge,
      MA, September 2021.
    """
    run = backend if isinstance(backend, Runner) else runner(backend)
    lay = layout(model)
    wanted = [f for f in FAMILY_ORDER if f in build_lp(model, lay).blocks]
    active: tuple[str, ...] = ()
    for fam in wanted:
        active += (fam,)
        status, *_ = run.solve(build_lp(model, lay, families=active), feasibility=True)
        if status is Status.INFEASIBLE:
            return fam
    return None


def no_solution(status: Status, what: str, *, time_limit: float | None = None) -> SolverError:
    """The ``SolverError`` of an LP that ended without a solution, with what to change."""
    if status is Status.UNBOUNDED:
        return SolverError(
            status,
            f"{what} is unbounded; revenue needs participation or bounded payments",
        )
    if status is Status.TIME_LIMIT:
        # the limit may come from the solver's own options, unknown here
        limit = "" if time_limit is None else f" ({time_limit:g} s)"
        return SolverError(
            status,
            f"{what} was stopped by the time limit{limit} before an optimum; "
            "raise [solver] time_limit or use fewer grid cells",
        )
    if status is Status.ITERATION_LIMIT:
        return SolverError(status, f"{what} reached the solver's iteration limit")
    return SolverError(status, f"{what} has no optimal solution")


def inaccurate_advice(status: Status) -> str | None:
    """``advice`` of a result whose solver flagged its solution as inaccurate."""
    if status is Status.OPTIMAL_INACCURATE:
        return (
            "the solver flagged its solution as inaccurate: use backend highspy (HiGHS "
            "simplex), or rescale payoffs and types towards 1"
        )
    return None


def solve_lp(
    model: InfoSaleModel,
    backend: str = "highspy",
    time_limit: float | None = None,
    solver: str | None = None,
) -> InfoSaleResult:
    """Solve the general LP (Definitions 1-4 under Assumption 1, on discretized types).

    Parameters
    ----------
    model : InfoSaleModel
    backend : {"highspy", "cvxpy"}
        ``highspy`` passes the sparse matrix to HiGHS directly; ``cvxpy`` states the same
        matrix as a cvxpy problem.
    time_limit : float, optional
        Seconds; hitting it raises ``SolverError`` with status ``time_limit``.
    solver : str, optional
        The numerical solver: ``highs`` (default; the only one for highspy) or any LP
        solver cvxpy has installed (``clarabel``, ``scs``, ...) with backend cvxpy.

    Returns
    -------
    InfoSaleResult
        When the objective does not involve payments (welfare, or an expression without
        p_i), the reported payments are the revenue-maximizing truthful payments of the
        optimal rule (the bottom type's participation binds; the thesis leaves the bottom
        type's payment open).

    Raises
    ------
    ModelError
        An LP too large for the memory limit (``grid.cells``), an unknown backend or
        solver.
    SolverError
        Any status without a solution; an infeasible LP names the constraint family
        that makes it infeasible (``err.family``).

    References
    ----------
    - A. Nouripour, "Selling Information in Competitive Environments", S.M. thesis, Department of
      Electrical Engineering and Computer Science, Massachusetts Institute of Technology, Cambridge,
      MA, September 2021.

    Examples
    --------
    >>> from datamech.models.infosale import create
    >>> m = create("competition", alpha=0.5, cells=6, objective="welfare")
    >>> round(solve_lp(m).value, 6) == round(solve_lp(m, backend="cvxpy").value, 6)
    True
    """
    run = runner(backend, solver, time_limit)
    check_lp(model, run.backend)
    lay = layout(model)
    t0 = time.perf_counter()
    lp = build_lp(model, lay)
    status, x, duals, value = run.solve(lp)
    seconds = time.perf_counter() - t0
    if x is None:
        err = no_solution(status, "the infosale LP", time_limit=time_limit)
        err.family = None
        if status is Status.INFEASIBLE:
            fam = diagnose_infeasibility(model, run)
            if fam is not None:
                err = SolverError(
                    Status.INFEASIBLE,
                    f"the {fam} constraints make the infosale LP infeasible "
                    f"(constraint family {fam!r})",
                )
            else:  # every family together is feasible: "infeasible or unbounded" was the latter
                err = no_solution(Status.UNBOUNDED, "the infosale LP")
            err.family = fam
        raise err
    return lp_result(model, lay, lp, x, duals, value, run, seconds, status=status)


def lp_result(
    model: InfoSaleModel,
    lay: Layout,
    lp: LPData,
    x: np.ndarray,
    duals: np.ndarray,
    value: float,
    run: Runner,
    seconds: float,
    pays_in_objective: bool | None = None,
    extra: dict | None = None,
    status: Status = Status.OPTIMAL,
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
            # build_lp stores the outside option of every buyer of a linear game
            t.append(bottom_up_payments(lay.values[i], share, float(lp.outside_option[i])))
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
        backend=run.backend,
        solver=run.display,
        seconds=seconds,
        value=value,
        outside_option=K_report,
        duals=ob_duals,
        status=status,
        advice=inaccurate_advice(status),
        extra=extra,
    )


def _payment_weights(model: InfoSaleModel) -> list[float]:
    obj = model.objective
    if obj.expression is not None:
        return parse_expression(obj.expression, model.n)[1]
    return list(obj.payment_weights or [])
