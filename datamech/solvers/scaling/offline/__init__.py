"""The offline problem of selling data with scaling-law values (seed 003 §2).

* :mod:`~datamech.solvers.scaling.offline.mechanism`: Theorem 2.2's mechanism (Theorem
  A.1 with ``h``) and its expected profit (exact, quadrature, Monte Carlo);
  :mod:`.quadrature` its numerics;
* :mod:`.checks`: payment identity, IR and monotonicity; :mod:`.interim`: the
  interim allocation and payment tables by type;
* :mod:`.amd` and :mod:`.pvv`: the convex programs (P-AMD) and (P-VV) in cvxpy;
* :mod:`.solve` and :mod:`.result`: ``dm.solve`` for kind ``offline``;
  :mod:`.plots`: ironing and allocation figures.
"""

from ..common import ProfitEstimate
from .amd import AMDResult, pamd_program
from .checks import check_interim, check_profiles, check_sampled
from .interim import interim_tables
from .mechanism import MC_SAMPLES, OfflineMechanism
from .plots import plot_ironing
from .pvv import PVVResult, pvv_program
from .result import OfflineResult
from .solve import CLOSED_FORM_METHODS, METHODS, PROGRAM_METHODS, solve_offline

__all__ = [
    "AMDResult",
    "CLOSED_FORM_METHODS",
    "METHODS",
    "MC_SAMPLES",
    "OfflineMechanism",
    "OfflineResult",
    "PROGRAM_METHODS",
    "PVVResult",
    "ProfitEstimate",
    "check_interim",
    "check_profiles",
    "check_sampled",
    "interim_tables",
    "pamd_program",
    "plot_ironing",
    "pvv_program",
    "solve_offline",
]
