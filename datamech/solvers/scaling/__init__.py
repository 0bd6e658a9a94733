"""Solvers for selling data with scaling-law values (seed 003): the offline optimum."""

from .offline import OfflineMechanism, ProfitEstimate, PVVResult, pvv_program

__all__ = ["OfflineMechanism", "ProfitEstimate", "PVVResult", "pvv_program"]


def solve_model(model, method: str = "auto", samples: int = 200_000, seed: int = 0, **options):
    """``datamech.solve`` entry point for kind ``offline``: Theorem 2.2 and its profit."""
    from ...errors import ModelError
    from .results import solve_offline

    if options:
        raise ModelError(f"solver.{sorted(options)[0]}", "is not an option of the offline solver")
    return solve_offline(model, method=method, samples=samples, seed=seed)
