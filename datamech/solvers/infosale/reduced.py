"""The n = 2 binary reduction of spec §3.3: reduced LP and exact greedy (Example 3).

By Prop 3 obedience in Example 3 only constrains the marginals
h_i(v) = P[A_i = theta | V = v]: E[h_1(v_1, V_2)] >= mu for every v_1 (and symmetrically),
and by Lemma 1 any marginals are realized by the independent coupling.  The objective is
sum q_1 q_2 (w_1 h_1 + w_2 h_2) with w_1 = s_1 - alpha s_2, w_2 = s_2 - alpha s_1 and
s = v (welfare, Prop 5) or the discrete virtual value (revenue, Lemma 3 / Prop 7).

The greedy solves the same problem exactly without an LP: for each own type, a
fractional knapsack (the discrete Lemma 2): take every opponent cell with w >= 0 and fill
up to mass mu with the largest remaining w, fractionally on the crossing cell.

Examples
--------
>>> from datamech.models.infosale import create
>>> m = create("competition", alpha=0.5, cells=40)
>>> abs(solve_greedy(m).value - solve_reduced(m).value) < 1e-9
True
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import scipy.sparse as sps
from scipy.optimize import isotonic_regression

from ...errors import ModelError
from ...models.infosale import InfoSaleModel
from ...status import Status
from .estimate import check_reduced
from .layout import bottom_up_payments, discrete_virtual_values, layout
from .lp import inaccurate_advice, no_solution
from .lp_backends import LPData, Runner, runner
from .results import InfoSaleResult, assemble


def _check(model: InfoSaleModel) -> float:
    g = model.game
    if g.preset != "competition":
        raise ModelError(
            "solver.method",
            "the reduced LP and the greedy need the Example 3 game (preset 'competition'); "
            "use method 'lp'",
        )
    if model.objective.kind not in ("revenue", "welfare"):
        raise ModelError("solver.method", "the reduced LP handles revenue and welfare objectives")
    c = model.constraints
    if model.objective.kind == "revenue" and (c.truthfulness == "off" or not c.participation):
        raise ModelError(
            "solver.method",
            "the reduced revenue LP assumes truthfulness and participation (Lemma 3); use 'lp'",
        )
    if model.objective.kind == "revenue" and not c.obedience:
        # Lemma 3 needs pi~ >= K, which comes from obedience; without it the
        # participation constraint can bind inside and revenue < virtual surplus
        raise ModelError(
            "solver.method",
            "the reduced revenue LP needs obedience (Lemma 3 uses pi~ >= K); use 'lp'",
        )
    if c.outside_option is not None:
        raise ModelError("solver.method", "the reduced LP uses the worst-case outside option")
    return float(g.alpha)


def _scores(model: InfoSaleModel, lay) -> list[np.ndarray]:
    if model.objective.kind == "revenue":
        return [discrete_virtual_values(lay.values[i], lay.probs[i]) for i in range(2)]
    return [lay.values[i].copy() for i in range(2)]


def _sigma_from_marginals(h1: np.ndarray, h2: np.ndarray, lay) -> np.ndarray:
    """Lemma 1's independent coupling: sigma(x, x; x, v) = h1 h2, etc."""
    sig = np.zeros((2, lay.n_cells, 4))
    h1, h2 = h1.ravel(), h2.ravel()
    for th in range(2):
        for a1 in range(2):
            for a2 in range(2):
                p1 = h1 if a1 == th else 1 - h1
                p2 = h2 if a2 == th else 1 - h2
                sig[th, :, a1 * 2 + a2] = p1 * p2
    return sig


def _decreasing(scores: list[np.ndarray]) -> int | None:
    """The first buyer (0-based) whose scores decrease somewhere, else None."""
    for i, s in enumerate(scores):
        if np.any(np.diff(s) < -1e-12):
            return i
    return None


def _finish(
    model, lay, alpha, h1, h2, value, method, run: Runner | None, seconds, duals, status
) -> InfoSaleResult:
    mu = model.mu
    K = mu - alpha  # Prop 8's proof, E7
    q1, q2 = lay.probs
    shares = [(h1 - alpha * h2) @ q2, (h2 - alpha * h1).T @ q1]
    pays = [bottom_up_payments(lay.values[i], shares[i], K) for i in range(2)]
    if model.objective.kind == "revenue":
        value = value - K * (lay.values[0][0] + lay.values[1][0])  # R = R-dagger - sum v_low K
    return assemble(
        model,
        lay,
        _sigma_from_marginals(h1, h2, lay),
        pays,
        method=method,
        backend="none" if run is None else run.backend,
        solver="none" if run is None else run.display,
        seconds=seconds,
        value=value,
        outside_option=[K, K],
        duals=duals,
        status=status,
        advice=inaccurate_advice(status),
    )


def solve_greedy(model: InfoSaleModel) -> InfoSaleResult:
    """Exact greedy for Example 3 (a discrete Lemma 2), one fractional knapsack per type.

    Ties in w are broken towards lower opponent cells (stable sort).  Without
    obedience the rule is h = 1{w >= 0}.  On a non-regular grid law (discrete virtual
    values that decrease somewhere, E17) the revenue scores are ironed first (their
    weighted isotonic regression with the cell masses as weights, Myerson's ironing):
    the rule is then constant on each ironing interval, so the ironed virtual surplus
    it maximizes equals its revenue and it is the optimum among implementable rules
    (equal to the reduced LP with monotonicity and to the full LP).

    References
    ----------
    - A. Nouripour, "Selling Information in Competitive Environments", S.M. thesis, Department of
      Electrical Engineering and Computer Science, Massachusetts Institute of Technology, Cambridge,
      MA, September 2021.

    Examples
    --------
    >>> from datamech.models.infosale import create
    >>> res = solve_greedy(create("competition", alpha=1.0, cells=60))
    >>> round(res.value, 3), res.method, res.backend
    (0.943, 'greedy', 'none')
    """
    alpha = _check(model)
    check_reduced(model, None)
    lay = layout(model)
    t0 = time.perf_counter()
    s = _scores(model, lay)
    if model.objective.kind == "revenue" and _decreasing(s) is not None:
        s = [isotonic_regression(s[i], weights=lay.probs[i]).x for i in range(2)]
    mu = model.mu if model.constraints.obedience else 0.0
    q1, q2 = lay.probs
    W1 = s[0][:, None] - alpha * s[1][None, :]
    W2 = s[1][:, None] - alpha * s[0][None, :]  # indexed [l, k]
    h1 = _knapsack(W1, q2, mu)
    h2 = _knapsack(W2, q1, mu).T
    value = float(np.sum(np.outer(q1, q2) * (W1 * h1 + W2.T * h2)))
    seconds = time.perf_counter() - t0
    return _finish(model, lay, alpha, h1, h2, value, "greedy", None, seconds, None, Status.OPTIMAL)


def _knapsack(W: np.ndarray, q: np.ndarray, mu: float) -> np.ndarray:
    h = np.zeros_like(W)
    for k in range(W.shape[0]):
        order = np.argsort(-W[k], kind="stable")
        pos = W[k, order] >= 0
        h[k, order[pos]] = 1.0
        cum = float(q[order[pos]].sum())
        for l in order[~pos]:
            if cum >= mu - 1e-15:
                break
            x = min(1.0, (mu - cum) / q[l])
            h[k, l] = x
            cum += x * q[l]
    return h


def _as_full_duals(d: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """The dual of "accuracy of type k >= mu" in the full LP's shape (m, 2, 2).

    Prop 3 merges the two obedience constraints of a type into one.  The binding one is
    "told the less likely state a, prefers a to 1 - a" (state 0 on a tie), so the dual
    goes to entry [k, a, 1 - a]; the other entries are 0.  The full LP's duals are not
    unique when both constraints bind together; for welfare their sum over (a, a') is
    the reduced dual (tested), for revenue the bottom type's participation row can
    carry part of the price in the full LP.
    """
    a = int(np.argmin(prior))
    out = np.zeros((d.size, 2, 2))
    out[:, a, 1 - a] = d
    return out


def solve_reduced(
    model: InfoSaleModel,
    backend: str = "highspy",
    monotone: bool | None = None,
    time_limit: float | None = None,
    solver: str | None = None,
) -> InfoSaleResult:
    """The reduced LP of Example 3 (Prop 3, Lemma 1) in the marginals h_1, h_2 (2 m_1 m_2
    variables).

    Parameters
    ----------
    backend, solver, time_limit
        As for :func:`~datamech.solvers.infosale.solve_lp`.
    monotone : bool, optional
        Add pi~_i non-decreasing (Prop 2 (1)); needed only for non-regular laws (ironing;
    the thesis covers regular laws only).
        With it, the reduced revenue LP equals the full LP (which irons through
        truthfulness) also for non-regular laws; without it, the reduced LP is a
        relaxation there whose rule may not be implementable (a ``RuntimeWarning``
        says so).  Default: added exactly when a buyer's discrete virtual values
        decrease somewhere on the grid.

    Returns
    -------
    InfoSaleResult
        ``obedience_duals`` have the full LP's shape (m_i, 2, 2); see
        :func:`_as_full_duals` for where the single reduced dual per type is put.

    References
    ----------
    - A. Nouripour, "Selling Information in Competitive Environments", S.M. thesis, Department of
      Electrical Engineering and Computer Science, Massachusetts Institute of Technology, Cambridge,
      MA, September 2021.
    """
    run = runner(backend, solver, time_limit)
    alpha = _check(model)
    check_reduced(model, run.backend)
    lay = layout(model)
    t0 = time.perf_counter()
    s = _scores(model, lay)
    if monotone is None:
        monotone = _decreasing(s) is not None
    q1, q2 = lay.probs
    m1, m2 = lay.m
    n1 = m1 * m2
    W1 = s[0][:, None] - alpha * s[1][None, :]
    W2 = s[1][None, :] - alpha * s[0][:, None]
    Q = np.outer(q1, q2)
    c = np.concatenate([(Q * W1).ravel(), (Q * W2).ravel()])
    rows, lo, up, blocks = [], [], [], {}
    start = 0
    if model.constraints.obedience:
        # sum_l q2[l] h1[k, l] >= mu ; sum_k q1[k] h2[k, l] >= mu
        A1 = sps.kron(sps.eye(m1), q2[None, :])
        A2 = sps.kron(q1[None, :], sps.eye(m2))
        ob = sps.vstack(
            [sps.hstack([A1, sps.csr_matrix((m1, n1))]), sps.hstack([sps.csr_matrix((m2, n1)), A2])]
        )
        rows.append(ob)
        lo.append(np.full(m1 + m2, model.mu))
        up.append(np.full(m1 + m2, np.inf))
        blocks["obedience"] = slice(0, m1 + m2)
        start = m1 + m2
    if monotone:
        D1 = sps.diags([-np.ones(m1 - 1), np.ones(m1 - 1)], [0, 1], shape=(m1 - 1, m1))
        D2 = sps.diags([-np.ones(m2 - 1), np.ones(m2 - 1)], [0, 1], shape=(m2 - 1, m2))
        P1 = sps.hstack(
            [sps.kron(sps.eye(m1), q2[None, :]), -alpha * sps.kron(sps.eye(m1), q2[None, :])]
        )
        P2 = sps.hstack(
            [-alpha * sps.kron(q1[None, :], sps.eye(m2)), sps.kron(q1[None, :], sps.eye(m2))]
        )
        mono = sps.vstack([D1 @ P1, D2 @ P2])
        rows.append(mono)
        lo.append(np.zeros(mono.shape[0]))
        up.append(np.full(mono.shape[0], np.inf))
        blocks["monotonicity"] = slice(start, start + mono.shape[0])
    if not rows:
        rows.append(sps.csr_matrix((0, 2 * n1)))
        lo.append(np.zeros(0))
        up.append(np.zeros(0))
    lp = LPData(
        c=c,
        A=sps.vstack(rows, format="csr"),
        row_lower=np.concatenate(lo),
        row_upper=np.concatenate(up),
        col_lower=np.zeros(2 * n1),
        col_upper=np.ones(2 * n1),
        blocks=blocks,
        t_offset=[],
        n_sigma=2 * n1,
        outside_option=[],
    )
    status, x, duals, value = run.solve(lp, what="the reduced infosale LP")
    if x is None:
        raise no_solution(status, "the reduced infosale LP", time_limit=time_limit)
    h1 = x[:n1].reshape(m1, m2)
    h2 = x[n1:].reshape(m1, m2)
    ob_duals = None
    if "obedience" in blocks:
        d = duals[blocks["obedience"]]
        ob_duals = [
            _as_full_duals(d[:m1], model.prior),
            _as_full_duals(d[m1 : m1 + m2], model.prior),
        ]
    res = _finish(
        model, lay, alpha, h1, h2, value, "reduced", run, time.perf_counter() - t0, ob_duals, status
    )
    if not res.implementable:
        warnings.warn(
            "the reduced LP without monotonicity is a relaxation on this non-regular grid "
            "law: its rule is not implementable (pi~ decreases) and its value is only an "
            "upper bound; solve with monotone = true or method 'lp'",
            RuntimeWarning,
            stacklevel=2,
        )
    return res
