"""Second best of bilateral data trade as mathematical programs on type grids.

Independent of the Lagrangian root search of :mod:`datamech.solvers.bilateral.core`:

* :func:`second_best_program` (:mod:`.dsic`, method ``program``): ex-post monotone
  (DSIC) allocations, a convex program in cvxpy whose budget dual is lambda*;
* :func:`second_best_bic` (:mod:`.bic`, method ``bic``): interim monotone (BIC)
  allocations: an LP for the indivisible good, a nonconvex program solved locally
  (status ``local_optimum``, with a convex upper bound) for the scaling model;
* :func:`type_grid` (:mod:`.grids`): the discretization, exact for step allocations, so
  every grid solution is a feasible mechanism of the continuous problem.

This module gathers their public names.

Examples
--------
>>> from datamech.models.distributions import Uniform
>>> res = second_best_program(Uniform(0, 1), Uniform(0, 1), good="indivisible", grid=20)
>>> str(res.status), round(res.gains_from_trade, 4), round(res.lambda_star, 2)
('optimal', 0.14, 0.5)
"""

from .bic import PYOMO_CELLS, second_best_bic
from .dsic import ProgramResult, second_best_program
from .grids import GRADING, TypeGrid, type_grid
from .settings import DEFAULT_CELLS, NLP_SOLVERS, nlp_available

DEFAULT_GRID = DEFAULT_CELLS  # the old name of the default number of cells

__all__ = [
    "DEFAULT_CELLS",
    "DEFAULT_GRID",
    "GRADING",
    "NLP_SOLVERS",
    "PYOMO_CELLS",
    "ProgramResult",
    "TypeGrid",
    "nlp_available",
    "second_best_bic",
    "second_best_program",
    "type_grid",
]
