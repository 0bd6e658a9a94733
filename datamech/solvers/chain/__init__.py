"""Solvers for the resale chain: exact equilibria, metrics, verification, FPTAS."""

from .core import DEFAULT_TOL, TIE_RULES
from .equilibrium import METHODS, ChainEquilibrium, solve_equilibrium
from .metrics import ChainMetrics, compute_metrics
from .simulate import ChainSimulation, simulate
from .verify import EquilibriumCheck, verify_equilibrium


def solve_model(model, **options):
    """Solve a chain model with its file's ``[solver]`` options, overridden by ``options``."""
    opts = dict(model._cache.get("solver_options", {}))
    opts.update(options)
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
