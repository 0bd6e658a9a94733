"""Automated mechanism design for the offline problem: the program (P-AMD) in z = x^alpha.

Buyer i has a finite type set v_{i,1} < ... < v_{i,J_i} with probabilities pi_{i,j}; a
profile theta lists one type per buyer.  With the change of variables z = x^alpha
(x = z^{1/alpha} is convex) the optimal mechanism is the convex program

    maximize   sum_theta prob(theta) (sum_i pay[i,theta] - c D[theta])
    s.t.       z[i,theta]^{1/alpha} <= D[theta],   z >= 0,  D >= 0,
               incentive compatibility and individual rationality,

which knows nothing of virtual values, ironing or Theorem 2.2: it is the ground truth.
``ic="bayes"`` imposes BIC and interim IR on the interim allocation Y[i,j] and payment
P[i,j] (expectations over theta_-i); ``ic="dominant"`` imposes IC and IR for every
theta_-i (DSIC, ex-post IR).  All pairs j != j' are imposed by default (``pairs="all"``);
``pairs="local"`` keeps only neighbours, which is equivalent here and much smaller.
Theorem 2.2's mechanism is DSIC and optimal among BIC mechanisms, so both optima equal
OFFL, and types pooled by ironing get equal (interim) allocations.

The program has prod_i J_i profiles (exponential in n); constraints are assembled as
sparse matrices.  Power cones go to Clarabel (the default solver).

Examples
--------
>>> from datamech.models.distributions import Discrete
>>> b = Discrete([1.0, 2.0, 3.0], [0.6, 0.1, 0.3])  # irregular: types 1, 2 are ironed
>>> res = pamd_program([b, b], 0.5, 1)
>>> round(res.objective, 5), round(13 / 7, 5), res.solver
(1.85714, 1.85714, 'Clarabel')
>>> bool(abs(res.interim_z[0][0] - res.interim_z[0][1]) < 1e-5)   # types 1, 2 pooled
True
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from ....backends import cvxpy_solver, solver_display
from ....errors import ModelError
from ....models.distributions import TypeDistribution
from ....progress import progress
from ....results import Result
from ....sizes import check_count, check_memory
from ....status import Status
from ..common import check_alpha_cost, profile_data, solve_program

__all__ = ["AMDResult", "IC_KINDS", "MAX_PROFILES", "PAIRS", "pamd_program", "pamd_size"]

IC_KINDS = ("bayes", "dominant")
PAIRS = ("all", "local")
MAX_PROFILES = 200_000  #: type profiles of the largest (P-AMD) accepted by default
#: bytes per estimated nonzero (:func:`pamd_size`) of the whole solve: cvxpy's canonical
#: form and Clarabel's KKT system with its factorization; peak memory measured 1,000-1,350
#: bytes per nonzero on 120,000-270,000-nonzero programs (up to 2,300 on small ones)
BYTES_PER_NONZERO = 1500
_SCALE = True


@dataclass(frozen=True, repr=False)
class AMDResult(Result):
    """(P-AMD) solved: ``value`` (the expected profit, ``objective``), interim tables
    per buyer (``interim_allocation`` E[x_i | v_i], ``interim_z`` E[x_i^alpha | v_i],
    ``interim_payment`` E[p_i | v_i]), the ex-post arrays ``z``, ``payment`` and
    ``production`` over ``profiles`` (skipped in ``to_dict``; under BIC the ex-post
    payment is the interim one, pay[i, theta] = P[i, theta_i]), the problem size and the
    solver's time (``seconds``).

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    """

    status: Status
    value: float
    ic: str
    pairs: str
    interim_allocation: list[np.ndarray]
    interim_z: list[np.ndarray]
    interim_payment: list[np.ndarray]
    expected_production: float
    z: np.ndarray
    payment: np.ndarray
    production: np.ndarray
    profiles: int
    variables: int
    constraints: int
    method: str
    backend: str
    solver: str
    seconds: float
    _objective_field: ClassVar[str] = "value"
    _objective_name: ClassVar[str] = "expected_profit"
    _skip_fields: ClassVar[tuple[str, ...]] = ("z", "payment", "production")
    _summary_fields: ClassVar[tuple[str, ...]] = ("profiles",)

    def to_frame(self):
        """One row per buyer and type: interim z, allocation and payment."""
        import pandas as pd

        rows = [
            {"buyer": i, "type": j, "z": float(Y[j]), "x": float(X[j]), "p": float(P[j])}
            for i, (Y, X, P) in enumerate(
                zip(self.interim_z, self.interim_allocation, self.interim_payment, strict=True)
            )
            for j in range(len(Y))
        ]
        return pd.DataFrame(rows)


def pair_rows(J: int, local: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Ordered pairs (j, j') with j != j' (true type j, report j'): all of them, or with
    ``local`` only neighbours |j - j'| = 1."""
    if local:
        up = [(a, a + 1) for a in range(J - 1)]
        jj = np.array(up + [(b, a) for a, b in up], dtype=int)
    else:
        jj = np.array([(a, b) for a in range(J) for b in range(J) if a != b], dtype=int)
    return (jj[:, 0], jj[:, 1]) if len(jj) else (np.zeros(0, int), np.zeros(0, int))


def pamd_size(sizes: Sequence[int], ic: str, pairs: str) -> tuple[int, int]:
    """(profiles, nonzeros) of (P-AMD) for buyers with ``sizes`` types: the estimate the
    size guard uses before anything is built.

    >>> pamd_size([3, 3], "bayes", "all")
    (9, 171)
    """
    P = math.prod(sizes)
    nnz = 3 * len(sizes) * P + P  # power cones z^{1/alpha} <= D
    for J in sizes:
        npairs = 2 * (J - 1) if pairs == "local" else J * (J - 1)
        # IC rows: v_j (Y_j - Y_j') - (P_j - P_j') over theta_-i (P/J profiles each)
        nnz += npairs * (2 * P // J) * (2 if ic == "dominant" else 1) + 2 * P
    return P, nnz


def pamd_program(
    dists: Sequence[TypeDistribution],
    alpha: Any,
    cost: Any,
    ic: str = "bayes",
    solver: str | None = None,
    max_profiles: int = MAX_PROFILES,
    options: dict[str, Any] | None = None,
    pairs: str = "all",
    time_limit: float | None = None,
) -> AMDResult:
    """Solve (P-AMD) on discrete types with cvxpy (in z = x^alpha; not in the paper).

    Parameters
    ----------
    dists : sequence of Discrete
        One finite type law per buyer.
    alpha, cost : number
        Scaling exponent in (0, 1) and unit cost c > 0.
    ic : {"bayes", "dominant"}
        BIC + interim IR, or DSIC + ex-post IR.
    solver : str, optional
        A cvxpy solver supporting power cones (default Clarabel; any case).
    max_profiles : int
        Refuse larger programs (prod_i J_i profiles) with a ModelError.
    options : dict, optional
        Solver keyword options (default: tolerances 1e-10 for Clarabel, then its
        defaults if those stop short of optimal).
    pairs : {"all", "local"}
        Impose IC for all pairs of types (the ground truth, J(J-1) rows per buyer) or
        only between neighbours (2(J-1) rows).  With values linear in the type, local IC
        in both directions implies monotonicity and hence global IC, so the optimum is
        the same; "local" scales to far more types.
    time_limit : float, optional
        Seconds for the solver (status ``time_limit`` when it stops there).

    Returns
    -------
    AMDResult
        ``status`` is ``optimal``, or ``optimal_inaccurate`` (with a ``RuntimeWarning``)
        when the solver flags its solution.

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.

    Examples
    --------
    >>> from datamech.models.distributions import Discrete
    >>> b = Discrete([1.0, 2.0, 3.0], [0.6, 0.1, 0.3])
    >>> round(pamd_program([b], 0.5, 1, ic="dominant").objective * 28, 4)   # 19/28
    19.0
    """
    import cvxpy as cp

    check_alpha_cost(alpha, cost)
    if ic not in IC_KINDS:
        raise ModelError("ic", f"must be 'bayes' or 'dominant', got {ic!r}")
    if pairs not in PAIRS:
        raise ModelError("pairs", f"must be 'all' or 'local', got {pairs!r}")
    if len(dists) == 0:
        raise ModelError("buyers", "needs at least one buyer")
    if not all(d.discrete for d in dists):
        raise ModelError("buyers", "(P-AMD) needs discrete types (discretise continuous laws)")
    key = cvxpy_solver(solver, "CLARABEL")
    sizes = [len(d.values) for d in dists]
    P, nnz = pamd_size(sizes, ic, pairs)
    faster = "method = auto (Theorem 2.2) gives the same optimum in milliseconds"
    if pairs == "all":
        faster += "; pairs = local keeps only neighbouring IC constraints"
    check_count("buyers", P, max_profiles, f"(P-AMD) over {P:,} type profiles", hint=faster)
    check_memory("buyers", nnz * BYTES_PER_NONZERO, f"(P-AMD) with {nnz:,} nonzeros", hint=faster)
    n = len(dists)
    idx, prob = profile_data(dists)
    a = float(alpha)
    # scale types by s = alpha n v_max / c so that every optimal D is <= 1 (Theorem 2.2:
    # D* = ((alpha/c) sum r)^k); the program is homogeneous: z scales by s^{k-1},
    # payments, D and profit by s^k (k = 1/(1-alpha)); Clarabel needs the balance
    vmax = max(float(d.values[-1]) for d in dists)
    s = a * n * vmax / float(cost) if vmax > 0 and _SCALE else 1.0
    kk = 1 / (1 - a)
    sz, sp_ = s ** (kk - 1), s**kk
    z = cp.Variable((n, P), nonneg=True)
    D = cp.Variable(P, nonneg=True)
    if ic == "bayes":
        # BIC only sees interim payments P[i, j] = E[pay_i | theta_i = j]: use them as the
        # variables (ex-post pay[i, theta] = P[i, theta_i]); free ex-post payments would
        # leave an unbounded optimal face that slows interior-point solvers badly
        pvars = [cp.Variable(m) for m in sizes]
        revenue = sum(
            np.asarray(d.probs, dtype=float) @ pv for d, pv in zip(dists, pvars, strict=True)
        )
    else:
        pay = cp.Variable((n, P))
        revenue = prob @ cp.sum(pay, axis=0)
    obj = revenue - float(cost) * (prob @ D)
    cons: list[Any] = [cp.power(z[i], 1 / a) <= D for i in range(n)]
    interim_z, interim_pay = [], []
    big = nnz > 10**6
    bar = progress(total=n + 1, desc="P-AMD (build, solve)", min_total=0 if big else math.inf)
    for i, d in enumerate(dists):
        J = sizes[i]
        v = np.asarray(d.values, dtype=float) / s
        pi = np.asarray(d.probs, dtype=float)
        # A[j, t] = prob_-i(theta_-i) if theta_i = j: interim expectations are A @ z_i
        A = sp.csr_matrix((prob / pi[idx[i]], (idx[i], np.arange(P))), shape=(J, P))
        Y = A @ z[i]
        Pint = pvars[i] if ic == "bayes" else A @ pay[i]
        interim_z.append(Y)
        interim_pay.append(Pint)
        tj, rj = pair_rows(J, local=pairs == "local")
        bar.update(1)
        if ic == "bayes":
            if len(tj):
                S = sp.csr_matrix(
                    (
                        np.r_[np.ones(len(tj)), -np.ones(len(tj))],
                        (np.r_[0 : len(tj), 0 : len(tj)], np.r_[tj, rj]),
                    ),
                    shape=(len(tj), J),
                )
                # v_j (Y_j - Y_j') - (P_j - P_j') >= 0
                cons.append(sp.diags(v[tj]) @ (S @ Y) - S @ Pint >= 0)
            cons.append(cp.multiply(v, Y) - Pint >= 0)
            continue
        # dominant: the same inequalities for every theta_-i; column t of buyer i's
        # profile grid M[j, s] is the profile with theta_i = j and the s-th theta_-i
        others = np.delete(idx, i, axis=0)
        key_i = (
            np.ravel_multi_index(others, [m for k, m in enumerate(sizes) if k != i])
            if n > 1
            else np.zeros(P, int)
        )
        R = P // J
        M = np.zeros((J, R), dtype=int)
        M[idx[i], key_i] = np.arange(P)
        if len(tj):
            rows = np.arange(len(tj) * R)
            t_prof = M[tj].ravel()
            r_prof = M[rj].ravel()
            vt = np.repeat(v[tj], R)
            Gz = sp.csr_matrix(
                (np.r_[vt, -vt], (np.r_[rows, rows], np.r_[t_prof, r_prof])), shape=(len(rows), P)
            )
            Gp = sp.csr_matrix(
                (
                    np.r_[np.ones(len(rows)), -np.ones(len(rows))],
                    (np.r_[rows, rows], np.r_[t_prof, r_prof]),
                ),
                shape=(len(rows), P),
            )
            cons.append(Gz @ z[i] - Gp @ pay[i] >= 0)
        cons.append(cp.multiply(v[idx[i]], z[i]) - pay[i] >= 0)
    problem = cp.Problem(cp.Maximize(obj), cons)
    t0 = time.perf_counter()
    status = solve_program(
        problem, key, what="the (P-AMD) program", time_limit=time_limit, options=options
    )
    seconds = time.perf_counter() - t0
    bar.update(1)
    bar.close()
    zv = np.maximum(np.asarray(z.value), 0.0) * sz
    x_val = zv ** (1 / a)
    alloc = []
    for i, d in enumerate(dists):
        pi = np.asarray(d.probs, dtype=float)
        w = prob / pi[idx[i]]
        alloc.append(np.bincount(idx[i], weights=w * x_val[i], minlength=sizes[i]))
    n_cons = sum(int(np.prod(c.shape)) if c.shape else 1 for c in cons)
    return AMDResult(
        status=status,
        value=float(problem.value) * sp_,
        ic=ic,
        pairs=pairs,
        interim_allocation=alloc,
        interim_z=[np.asarray(Y.value) * sz for Y in interim_z],
        interim_payment=[np.asarray(Pv.value) * sp_ for Pv in interim_pay],
        expected_production=float(prob @ np.asarray(D.value)) * sp_,
        z=zv,
        payment=sp_
        * (
            np.array([np.asarray(pvars[i].value)[idx[i]] for i in range(n)])
            if ic == "bayes"
            else np.asarray(pay.value)
        ),
        production=np.asarray(D.value) * sp_,
        profiles=P,
        variables=n * P + P + (sum(sizes) if ic == "bayes" else n * P),
        constraints=n_cons,
        method="pamd" if ic == "bayes" else "pamd_dsic",
        backend="cvxpy",
        solver=solver_display(key),
        seconds=seconds,
    )
