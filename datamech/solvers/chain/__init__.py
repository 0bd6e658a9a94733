"""Solvers for the resale chain: exact equilibria, OPT, FPTAS, metrics, verification.

* :func:`solve_equilibrium` -- the exact sequential equilibrium of Eq. (9) (``fast`` or
  ``reference``), with exact metrics (:class:`ChainEquilibrium`).
* :func:`~datamech.solvers.chain.opt.optimize_reallocation` -- OPT: the best
  budget-balanced reallocation matrix (``evolution``, ``enumerate``, ``mip``).
* :func:`~datamech.solvers.chain.fptas.solve_fptas` -- Algorithm 4 for continuous chains.
* :func:`verify_equilibrium` (a :class:`~datamech.results.Certificate`),
  :func:`simulate` (Monte Carlo), :mod:`.comparison` (Theorems 4.3/4.4), :mod:`.ties`.
* :func:`solve_model` -- the :func:`datamech.solve` entry point; :data:`OPTIONS` its
  options (``datamech options chain``).

>>> import datamech as dm
>>> from datamech.models.chain import paper_model
>>> res = dm.solve(paper_model(2, 3, "AVE"), exact=True, tie_break="low")
>>> res.status, res.objective_name, res.objective_exact == res.social_welfare
(<Status.OPTIMAL: 'optimal'>, 'social_welfare', True)
"""

import contextlib

from ...models.chain import ChainModel
from ...models.chain_continuous import ContinuousChainModel
from ...models.chain_options import (
    DEFAULT_TOL,
    EQUILIBRIUM_METHODS,
    OPTIONS,
    TIE_RULES,
    check_method_applies,
)
from ...sizes import memory_limit
from .equilibrium import METHODS, ChainEquilibrium, solve_equilibrium
from .fptas import FPTASResult, solve_fptas
from .metrics import ChainMetrics, compute_metrics
from .opt import optimize_reallocation
from .reallocation import ChainOptResult
from .simulate import ChainSimulation, simulate
from .ties import TieRobustness, tie_robustness
from .verify import EquilibriumCheck, verify_equilibrium


def solve_model(model, **options):
    """Solve a chain model: the ``datamech.solve`` entry point.

    Options (declared in :data:`OPTIONS`; the model's ``solver_options`` first, keywords
    override): discrete chains go to :func:`solve_equilibrium` (``fast``, default;
    ``reference``) or to the OPT searches of
    :func:`~datamech.solvers.chain.opt.optimize_reallocation` (``evolution``,
    ``enumerate``, ``mip``; the model's own mechanism is then ignored); continuous chains
    to Algorithm 4, :func:`~datamech.solvers.chain.fptas.solve_fptas` (``fptas``).

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.

    Examples
    --------
    >>> from datamech.models.chain import paper_model
    >>> solve_model(paper_model(2, 2), method="enumerate", m=2).certified
    True
    """
    if not isinstance(model, (ChainModel, ContinuousChainModel)):
        from ...errors import ModelError

        raise ModelError("model", f"expected a chain model, got {type(model).__name__}")
    opts = OPTIONS.resolve(OPTIONS.merge(model.solver_options, options))
    limit = opts.pop("max_memory_gb", None)
    method = opts.pop("method")
    continuous = isinstance(model, ContinuousChainModel)
    check_method_applies(method, continuous)
    # dm.solve has already entered its limit; a limit given here (direct calls) overrides
    with memory_limit(limit) if limit is not None else contextlib.nullcontext():
        if continuous:
            return solve_fptas(model, **opts)
        if method in EQUILIBRIUM_METHODS:
            return solve_equilibrium(model, method=method, **opts)
        opts["maxiter"] = opts.pop("max_iterations", 50)
        return optimize_reallocation(model, method, **opts)


__all__ = [
    "DEFAULT_TOL",
    "METHODS",
    "OPTIONS",
    "TIE_RULES",
    "ChainEquilibrium",
    "ChainMetrics",
    "ChainOptResult",
    "ChainSimulation",
    "EquilibriumCheck",
    "FPTASResult",
    "TieRobustness",
    "compute_metrics",
    "optimize_reallocation",
    "simulate",
    "solve_equilibrium",
    "solve_fptas",
    "solve_model",
    "tie_robustness",
    "verify_equilibrium",
]
