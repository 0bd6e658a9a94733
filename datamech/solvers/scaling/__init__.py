"""Solvers for selling data with scaling-law values (seed 003): offline and online."""

from .amd import AMDResult, pamd_program
from .offline import OfflineMechanism, ProfitEstimate, PVVResult, pvv_program
from .online import (
    OnlineDP,
    OnlineMechanism,
    OnlineResult,
    rosenthal_constant,
    scenario_tree_program,
    two_stage_guarantee,
)

__all__ = [
    "AMDResult",
    "OfflineMechanism",
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
    "solve_online",
    "two_stage_guarantee",
]


def solve_model(model, method: str = "auto", samples: int = 200_000, seed: int = 0, **options):
    """``datamech.solve`` entry point for kind ``offline``: Theorem 2.2 and its profit."""
    from ...errors import ModelError
    from .results import solve_offline

    if options:
        raise ModelError(f"solver.{sorted(options)[0]}", "is not an option of the offline solver")
    return solve_offline(model, method=method, samples=samples, seed=seed)


def solve_online(model, method: str = "auto", samples: int = 200_000, seed: int = 0, **options):
    """``datamech.solve`` entry point for kind ``online`` (spec §3); options: ``grid``,
    ``benchmarks``, ``path`` (see :func:`.online.solve_online`)."""
    from ...errors import ModelError
    from .online import solve_online as _solve

    for key in options:
        if key not in ("grid", "benchmarks", "path"):
            raise ModelError(f"solver.{key}", "is not an option of the online solver")
    if "grid" not in options and getattr(model, "grid", None) is not None:
        options["grid"] = model.grid  # the model file's [model] grid
    return _solve(model, method=method, samples=samples, seed=seed, **options)
