"""Solvers for the resale chain: exact equilibria, metrics, verification, FPTAS."""

from .core import DEFAULT_TOL, TIE_RULES
from .equilibrium import METHODS, ChainEquilibrium, solve_equilibrium
from .metrics import ChainMetrics, compute_metrics
from .simulate import ChainSimulation, simulate
from .verify import EquilibriumCheck, verify_equilibrium


def solve_model(model, **options):
    """Solve a chain model with its file's ``[solver]`` options, overridden by ``options``.

    Discrete chains go to :func:`solve_equilibrium`; continuous ones to Algorithm 4,
    :func:`~datamech.solvers.chain.fptas.solve_fptas` (which takes ``tie_break``, ``tol``,
    ``epsilon``, ``check`` and ``refine``).
    """
    opts = dict(model._cache.get("solver_options", {}))
    opts.update(options)
    from ...models.chain_continuous import ContinuousChainModel

    if isinstance(model, ContinuousChainModel):
        from ...errors import ModelError
        from .fptas import solve_fptas

        extra = sorted(set(opts) - {"tie_break", "tol", "epsilon", "check", "refine"})
        if extra:
            raise ModelError(f"solver.{extra[0]}", "is not an option of the FPTAS")
        return solve_fptas(model, **opts)
    return solve_equilibrium(model, **opts)


__all__ = [
    "solve_model",
    "DEFAULT_TOL",
    "METHODS",
    "TIE_RULES",
    "ChainEquilibrium",
    "ChainMetrics",
    "ChainSimulation",
    "EquilibriumCheck",
    "compute_metrics",
    "simulate",
    "solve_equilibrium",
    "verify_equilibrium",
]
