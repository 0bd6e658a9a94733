"""Solvers for the resale chain: exact equilibria, metrics, verification, FPTAS."""

from .core import DEFAULT_TOL, TIE_RULES
from .equilibrium import METHODS, ChainEquilibrium, solve_equilibrium
from .metrics import ChainMetrics, compute_metrics

__all__ = [
    "DEFAULT_TOL",
    "METHODS",
    "TIE_RULES",
    "ChainEquilibrium",
    "ChainMetrics",
    "compute_metrics",
    "solve_equilibrium",
]
