"""The outside option K_i of Def 4 / Lemma 3: a buyer's worst case without the signal.

K_i is the value of a small LP of its own (scipy's HiGHS): the opponents choose a rule
``rho(a_-i | theta)`` (E7: it may depend on theta) to minimize the best payoff buyer i can
secure by choosing an action blind.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sps

from ...errors import SolverError
from ...models.infosale import InfoSaleModel
from ...progress import progress
from ...status import Status
from .layout import Layout, layout, utility_tensor

#: scipy.optimize.linprog's status codes as statuses (0 is success).
LINPROG_STATUS = {
    1: Status.ITERATION_LIMIT,
    2: Status.INFEASIBLE,
    3: Status.UNBOUNDED,
    4: Status.SOLVER_ERROR,
}


def outside_option(model: InfoSaleModel, i: int) -> float | np.ndarray:
    """K_i of Def 4 / Lemma 3: the buyer's worst-case payoff without the seller's signal.

    Under Assumption 1, ``K_i = min_rho max_{a_i} sum_theta P(theta) sum_{a_-i}
    rho(a_-i | theta) pi_i(a_i, a_-i; theta)``, a small LP in which the opponents' rule rho
    may depend on theta (following Definition 4 and the proof of Proposition 8;
    Lemma 3 as printed restricts it to Delta(A_j), which gives a wrong K).  Example 3 gives K =
    mu - alpha; the §5.1 game gives K = alpha mu (Section 5.1).  For a general utility the value
    depends on the type, and an array K_i[k] (the right-hand side itself) is returned.

    Raises
    ------
    SolverError
        When the small LP fails (its status, and which buyer's outside option it is).

    References
    ----------
    - A. Nouripour, "Selling Information in Competitive Environments", S.M. thesis, Department of
      Electrical Engineering and Computer Science, Massachusetts Institute of Technology, Cambridge,
      MA, September 2021.

    Examples
    --------
    >>> from datamech.models.infosale import create
    >>> round(outside_option(create("competition", alpha=0.25), 0), 12)
    0.25
    """
    if model.constraints.outside_option is not None:
        return float(model.constraints.outside_option)
    game = model.game
    if game.linear:
        return _outside_linear(model.prior, game.payoffs[i], i)
    lay = layout(model)
    out = np.empty(lay.m[i])
    U = utility_tensor(model, lay, i)  # (S, C, |A|)
    types = progress(range(lay.m[i]), desc=f"outside options of buyer {i + 1}", min_total=200)
    for k in types:
        cells = np.flatnonzero(lay.cell_index[i] == k)
        w = lay.conditional_weight(i)[:, cells]  # (S, C_k)
        out[k] = _outside_general(U[:, cells, :], w, lay, i)
    return out


def _linprog(c, A_ub, b_ub, A_eq, b_eq, bounds, i: int) -> float:
    from scipy.optimize import linprog

    res = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=bounds, method="highs")
    if res.status != 0:
        status = LINPROG_STATUS.get(res.status, Status.SOLVER_ERROR)
        raise SolverError(
            status, f"the outside-option LP of buyer {i + 1} (Def 4) failed: {res.message}"
        )
    return float(res.fun)


def _outside_linear(prior: np.ndarray, pay_i: np.ndarray, i: int) -> float:
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
    return _linprog(c, A_ub, np.zeros(A_i), A_eq, np.ones(S), bounds, i)


def _outside_general(U: np.ndarray, w: np.ndarray, lay: Layout, i: int) -> float:
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
    return _linprog(c, A_ub, np.zeros(A_i), A_eq, np.ones(S * Ck), bounds, i)
