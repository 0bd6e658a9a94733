"""The virtual-value program (P-VV) in z = x^alpha, in cvxpy.

It knows nothing of Theorem 2.2 or of ironing: it uses the *unironed* discrete virtual
values and interim monotonicity, with z = x^alpha, and its optimum equals OFFL.

>>> from datamech.models.distributions import Discrete
>>> b = Discrete([1.0, 2.0, 3.0], [0.6, 0.1, 0.3])  # irregular: types 1, 2 are ironed
>>> res = pvv_program([b, b], 0.5, 1)
>>> round(res.objective * 7, 5), res.method, res.backend
(13.0, 'pvv', 'cvxpy')
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy import sparse

from ....backends import cvxpy_solver, solver_display
from ....errors import ModelError
from ....models.distributions import TypeDistribution
from ....results import Result
from ....sizes import check_count
from ....status import Status
from ..common import check_alpha_cost, profile_data, solve_program
from .amd import MAX_PROFILES

__all__ = ["PVVResult", "pvv_program"]


@dataclass(frozen=True, repr=False)
class PVVResult(Result):
    """The (P-VV) program's optimum and solution (z = x^alpha; not in the paper):
    ``value`` (the expected profit, ``objective``), ``z[i, profile]``, the interim
    ``interim[i][j]`` = E[z_i | v_i = v_{i,j}], the ``production`` per profile and the problem size.

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    * R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1),
      58-73, 1981.
    """

    status: Status
    value: float
    z: np.ndarray
    interim: list[np.ndarray]
    production: np.ndarray
    profiles: int
    method: str
    backend: str
    solver: str
    seconds: float
    _objective_field: ClassVar[str] = "value"
    _objective_name: ClassVar[str] = "expected_profit"
    _skip_fields: ClassVar[tuple[str, ...]] = ("z",)
    _summary_fields: ClassVar[tuple[str, ...]] = ("profiles",)

    def to_frame(self):
        """One row per buyer and type: the interim E[z | v]."""
        import pandas as pd

        rows = [
            {"buyer": i, "type": j, "z": float(y)}
            for i, Y in enumerate(self.interim)
            for j, y in enumerate(Y)
        ]
        return pd.DataFrame(rows)


def pvv_program(
    dists: Sequence[TypeDistribution],
    alpha: Any,
    cost: Any,
    solver: str | None = None,
    max_profiles: int = MAX_PROFILES,
    time_limit: float | None = None,
) -> PVVResult:
    """Solve (P-VV) on discrete types with cvxpy (z = x^alpha change of variables).

    maximize sum_theta prob(theta)(sum_i phi_{i,theta_i} z[i,theta] - c D[theta])
    s.t. z^{1/alpha} <= D, z >= 0, and E[z_i | v_i] nondecreasing in v_i,
    with the *unironed* discrete virtual values phi: the monotonicity constraint does the
    ironing.  Its optimum equals Theorem 2.2's OFFL.  ``solver`` defaults to Clarabel.

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    * R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1),
      58-73, 1981.
    """
    import cvxpy as cp

    check_alpha_cost(alpha, cost)
    if not all(d.discrete for d in dists):
        raise ModelError("buyers", "(P-VV) needs discrete types")
    key = cvxpy_solver(solver, "CLARABEL")
    n = len(dists)
    sizes = [len(d.values) for d in dists]
    P = math.prod(sizes)
    check_count(
        "buyers", P, max_profiles, f"(P-VV) over {P:,} type profiles",
        hint="method = auto (Theorem 2.2 with hull ironing) gives the same optimum in milliseconds",
    )  # fmt: skip
    idx, prob = profile_data(dists)
    phi = [np.asarray(d.virtual_value(d.values), dtype=float) for d in dists]
    a = float(alpha)
    z = cp.Variable((n, P), nonneg=True)
    D = cp.Variable(P, nonneg=True)
    obj = sum(cp.sum(cp.multiply(prob * phi[i][idx[i]], z[i])) for i in range(n))
    obj = obj - float(cost) * cp.sum(cp.multiply(prob, D))
    cons = [cp.power(z[i], 1 / a) <= D for i in range(n)]
    interim = []
    for i in range(n):
        # Y[i, j] = sum_{theta: theta_i = j} prob_-i(theta) z[i, theta]  (affine)
        pmi = prob / np.asarray(dists[i].probs, dtype=float)[idx[i]]
        A = sparse.csr_matrix((pmi, (idx[i], np.arange(P))), shape=(sizes[i], P))
        Y = A @ z[i]
        interim.append(Y)
        if sizes[i] > 1:
            cons.append(Y[1:] >= Y[:-1])
    problem = cp.Problem(cp.Maximize(obj), cons)
    t0 = time.perf_counter()
    status = solve_program(problem, key, what="the (P-VV) program", time_limit=time_limit)
    return PVVResult(
        status=status,
        value=float(problem.value),
        z=np.asarray(z.value),
        interim=[np.asarray(Y.value) for Y in interim],
        production=np.asarray(D.value),
        profiles=P,
        method="pvv",
        backend="cvxpy",
        solver=solver_display(key),
        seconds=time.perf_counter() - t0,
    )
