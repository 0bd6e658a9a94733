"""Solvers for selling data with scaling-law values (Deng et al.): kinds offline and online.

* :mod:`.offline`: Theorem 2.2 (closed form, quadrature, Monte Carlo), its checks and
  interim tables, the convex programs (P-AMD) and (P-VV);
* :mod:`.online`: the four online mechanisms, the optimal mechanism's DP and its
  scenario-tree program;
* :mod:`.instances`: the paper's online instances and closed forms;
* :mod:`.common`: what both share; :mod:`.options`: the kinds' methods and options.

``dm.solve`` calls :func:`solve_model` (kind ``offline``) and :func:`solve_online`
(kind ``online``) with options validated against :data:`OFFLINE_OPTIONS` and
:data:`ONLINE_OPTIONS`.

>>> import datamech as dm
>>> res = dm.solve(dm.load("examples/models/offline_i3.toml"))
>>> res.objective_exact, res.status.value, res.method
(Fraction(13, 7), 'evaluated', 'exact')
"""

from __future__ import annotations

from typing import Any

from .common import ProfitEstimate
from .offline import (
    AMDResult,
    OfflineMechanism,
    OfflineResult,
    PVVResult,
    pamd_program,
    pvv_program,
    solve_offline,
)
from .online import (
    OnlineDP,
    OnlineMechanism,
    OnlineResult,
    rosenthal_constant,
    scenario_tree_program,
    two_stage_guarantee,
)
from .online import solve_online as _solve_online_model
from .options import OFFLINE_OPTIONS, ONLINE_OPTIONS

__all__ = [
    "AMDResult",
    "OFFLINE_OPTIONS",
    "ONLINE_OPTIONS",
    "OfflineMechanism",
    "OfflineResult",
    "OnlineDP",
    "OnlineMechanism",
    "OnlineResult",
    "PVVResult",
    "ProfitEstimate",
    "pamd_program",
    "pvv_program",
    "rosenthal_constant",
    "scenario_tree_program",
    "solve_model",
    "solve_offline",
    "solve_online",
    "two_stage_guarantee",
]


def solve_model(model: Any, **options: Any) -> OfflineResult:
    """``datamech.solve`` entry point for kind ``offline`` (Theorem 2.2 or a program).

    ``options`` are those of :data:`OFFLINE_OPTIONS` (``datamech options offline``):
    ``method``, ``samples``, ``seed``, ``check``, ``backend``, ``solver``, ``pairs``,
    ``time_limit``; the model's ``[solver]`` table is merged by ``dm.solve``.

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    """
    opts = OFFLINE_OPTIONS.resolve(options)
    opts.pop("max_memory_gb", None)
    opts.pop("backend", None)  # cvxpy is the only modelling layer of the programs
    return solve_offline(model, **opts)


def solve_online(model: Any, **options: Any) -> OnlineResult:
    """``datamech.solve`` entry point for kind ``online`` (Section 3).

    ``options`` are those of :data:`ONLINE_OPTIONS` (``datamech options online``):
    ``method``, ``samples``, ``seed``, ``grid``, ``benchmarks``, ``path``; see
    :func:`datamech.solvers.scaling.online.solve_online`.

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    """
    opts = ONLINE_OPTIONS.resolve(options)
    opts.pop("max_memory_gb", None)
    return _solve_online_model(model, **opts)
