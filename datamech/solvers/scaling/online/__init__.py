"""Online mechanisms for selling data with scaling-law values (seed 003 §3, App. B).

* :mod:`~datamech.solvers.scaling.online.mechanism`: the four mechanisms (optimal,
  two-stage, greedy, non-adaptive), their expected profits, paths and payments;
* :mod:`.dp`: the optimal mechanism's dynamic program (exact pieces or a grid);
  :mod:`.scenario_tree`: the same optimum as one convex program (cvxpy);
* :mod:`.laws`: tables and quantile nodes of the laws of r; :mod:`.bounds`: Rosenthal's
  constant and the theorems' bounds;
* :mod:`.solve` and :mod:`.result`: ``dm.solve`` for kind ``online``; :mod:`.plots`:
  production paths.
"""

from ..common import ProfitEstimate, pw
from .bounds import bell_number, online_offline_gap_bound, rosenthal_constant, two_stage_guarantee
from .dp import GRID, OnlineDP, check_bounds, check_grid
from .mechanism import ALLOCATE, MC_PATHS, MECHANISMS, OnlineMechanism, Round
from .result import OnlineResult
from .scenario_tree import ScenarioTreeResult, scenario_tree_program
from .solve import solve_online

__all__ = [
    "ALLOCATE",
    "GRID",
    "MC_PATHS",
    "MECHANISMS",
    "OnlineDP",
    "OnlineMechanism",
    "OnlineResult",
    "ProfitEstimate",
    "Round",
    "ScenarioTreeResult",
    "bell_number",
    "check_bounds",
    "check_grid",
    "online_offline_gap_bound",
    "pw",
    "rosenthal_constant",
    "scenario_tree_program",
    "solve_online",
    "two_stage_guarantee",
]
