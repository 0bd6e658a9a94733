"""The scenario-tree program: the optimal online mechanism as one convex program over the
tree of r-prefixes (Proposition 3.1), an independent check of the exact DP for finite support.

max sum_h P(h) rho_h D_h^alpha - c sum_leaves P(l) D_l  s.t.  D_child >= D_parent >= 0,
with power cones in cvxpy (Clarabel).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ....backends import cvxpy_solver, solver_display
from ....errors import ModelError
from ....models.distributions import TypeDistribution
from ....results import Result
from ....sizes import check_count
from ....status import Status
from ..common import check_alpha_cost, solve_program

__all__ = ["MAX_NODES", "ScenarioTreeResult", "scenario_tree_program"]

MAX_NODES = 20_000  #: nodes of the largest scenario tree accepted by default


@dataclass(frozen=True, repr=False)
class ScenarioTreeResult(Result):
    """The scenario-tree program's optimum (exact ONL for finite-support r, Proposition 3.1):
    ``value`` (ONL, the ``objective``), per-node ``levels`` (D_h by r-prefix, skipped in
    ``to_dict``) and the number of ``nodes``.

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    """

    status: Status
    value: float
    nodes: int
    method: str
    backend: str
    solver: str
    seconds: float
    levels: dict = field(default_factory=dict)
    _objective_field: ClassVar[str] = "value"
    _objective_name: ClassVar[str] = "expected_profit"
    _skip_fields: ClassVar[tuple[str, ...]] = ("levels",)
    _summary_fields: ClassVar[tuple[str, ...]] = ("nodes",)

    def to_frame(self):
        """One row per node of the tree: its r-prefix, depth and level D_h."""
        import pandas as pd

        rows = [
            {"prefix": " ".join(f"{r:g}" for r in key), "depth": len(key), "level": level}
            for key, level in self.levels.items()
        ]
        return pd.DataFrame(rows)


def scenario_tree_program(
    dists: Sequence[TypeDistribution],
    alpha: Any,
    cost: Any,
    solver: str | None = None,
    max_nodes: int = MAX_NODES,
    time_limit: float | None = None,
) -> ScenarioTreeResult:
    """max sum_h P(h) rho_h D_h^alpha - c sum_leaves P(l) D_l s.t. D_child >= D_parent >= 0
    over the tree of r-prefixes (types with the same r merged); cvxpy power cones.

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.

    Examples
    --------
    >>> from fractions import Fraction as Fr
    >>> from datamech.models.distributions import Discrete
    >>> b = Discrete([1, 2, 3], [Fr(3, 5), Fr(1, 10), Fr(3, 10)])
    >>> round(scenario_tree_program([b, b], 0.5, 1).value * 1960, 4)   # 3307/1960
    3307.0
    """
    import cvxpy as cp

    check_alpha_cost(alpha, cost)
    laws = [d.r_law() for d in dists]
    if not all(law.is_discrete for law in laws):
        raise ModelError("buyers", "the scenario tree needs finite-support laws of r")
    tables = [
        [(float(v), float(p)) for v, p in zip(law.values, law.probs, strict=True)] for law in laws
    ]
    count, width = 0, 1
    for t in tables:
        width *= len(t)
        count += width
    check_count("buyers", count, max_nodes, f"the scenario tree with {count:,} nodes",
                hint="the exact DP (method auto) solves the same problem")  # fmt: skip
    key_solver = cvxpy_solver(solver, "CLARABEL")
    t0 = time.perf_counter()
    D = cp.Variable(count, nonneg=True)
    prob_list, rho_list, parent, leaf = [], [], [], []
    level_nodes = [(-1, 1.0, ())]
    idx = 0
    keys = []
    for depth, t in enumerate(tables):
        nxt = []
        for par, pp, key in level_nodes:
            for rho, pr in t:
                prob_list.append(pp * pr)
                rho_list.append(rho)
                parent.append(par)
                leaf.append(depth == len(tables) - 1)
                keys.append((*key, rho))
                nxt.append((idx, pp * pr, (*key, rho)))
                idx += 1
        level_nodes = nxt
    P, R = np.array(prob_list), np.array(rho_list)
    a = float(alpha)
    obj = cp.sum(cp.multiply(P * R, cp.power(D, a))) - float(cost) * cp.sum(
        cp.multiply(P * np.array(leaf, float), D)
    )
    par = np.array(parent)
    child = np.nonzero(par >= 0)[0]
    cons = [D[child] >= D[par[child]]] if len(child) else []
    problem = cp.Problem(cp.Maximize(obj), cons)
    status = solve_program(
        problem, key_solver, what="the scenario-tree program", time_limit=time_limit
    )
    levels = dict(zip(keys, np.asarray(D.value, float).tolist(), strict=True))
    return ScenarioTreeResult(
        status=status,
        value=float(problem.value),
        nodes=count,
        method="scenario_tree",
        backend="cvxpy",
        solver=solver_display(key_solver),
        seconds=time.perf_counter() - t0,
        levels=levels,
    )
