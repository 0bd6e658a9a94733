"""The methods and options of kinds ``offline`` and ``online``, declared once.

``datamech options offline`` / ``datamech options online`` print these declarations;
they validate ``dm.solve`` keywords, the model file's ``[solver]`` table and the
command's flags alike.
"""

from __future__ import annotations

from ...models.scaling import MAX_GRID
from ...options import Option, OptionSet
from .offline import CLOSED_FORM_METHODS, MC_SAMPLES, PROGRAM_METHODS
from .offline.amd import PAIRS
from .online import GRID, MC_PATHS

__all__ = ["OFFLINE_OPTIONS", "ONLINE_OPTIONS"]

_EVALUATIONS = (*CLOSED_FORM_METHODS, "closed_form")

OFFLINE_OPTIONS = OptionSet(
    "offline",
    {
        "auto": "Theorem 2.2's closed form: exact for discrete types (rationals when the "
        "inputs are exact), else quadrature with a stated error",
        "exact": "Theorem 2.2 for discrete types: one-buyer moments (integer 1/(1-alpha)) "
        "or the convolution of the laws of r",
        "quad": "Theorem 2.2 by deterministic quadrature with a stated error (any laws)",
        "mc": "Theorem 2.2 by seeded Monte Carlo with a standard error",
        "pamd": "(P-AMD) in cvxpy: payments as variables, BIC + interim IR (discrete types)",
        "pamd_dsic": "(P-AMD) in cvxpy: DSIC + ex-post IR (discrete types)",
        "pvv": "(P-VV) in cvxpy: virtual values with interim monotonicity (discrete types)",
        "closed_form": "deprecated name of auto",
    },
    (
        Option("samples", "int", MC_SAMPLES, "Monte Carlo draws", low=2, methods=("mc",)),
        Option("seed", "int", 0, "Monte Carlo seed", low=0, methods=("mc",)),
        Option(
            "check",
            "bool",
            True,
            "report the payment-identity, IR and monotonicity checks",
            methods=_EVALUATIONS,
        ),
        Option(
            "backend",
            "str",
            "cvxpy",
            "modelling layer of the convex programs",
            choices=("cvxpy",),
            methods=PROGRAM_METHODS,
        ),
        Option(
            "solver",
            "str",
            "clarabel",
            "cvxpy solver of the convex programs (power cones: clarabel, scs, ...)",
            methods=PROGRAM_METHODS,
        ),
        Option(
            "pairs",
            "str",
            "all",
            "(P-AMD) incentive constraints between all pairs of types, or neighbours only "
            "(the same optimum, far fewer rows)",
            choices=PAIRS,
            methods=("pamd", "pamd_dsic"),
        ),
        Option(
            "time_limit",
            "float",
            None,
            "seconds for the convex programs' solver",
            low=1e-3,
            methods=PROGRAM_METHODS,
        ),
    ),
)

ONLINE_OPTIONS = OptionSet(
    "online",
    {
        "auto": "exact for finite-support laws of r (the piecewise DP for the optimal "
        "mechanism), else quadrature or the grid DP with an error estimate",
        "exact": "finite-support laws of r: the law of the state (or the exact DP), "
        "in rationals when the inputs are exact",
        "quad": "closed forms on quantile nodes (the grid DP for the optimal mechanism), "
        "with an error estimate",
        "mc": "seeded Monte Carlo over arrival sequences, with a standard error",
    },
    (
        Option("samples", "int", MC_PATHS, "Monte Carlo paths", low=2, methods=("mc",)),
        Option("seed", "int", 0, "seed of the Monte Carlo paths and of the sample path", low=0),
        Option(
            "grid",
            "int",
            None,
            f"grid points of the optimal DP for continuous laws (default: the model's "
            f"grid, else {GRID:,})",
            low=16,
            high=MAX_GRID,
        ),
        Option("benchmarks", "bool", True, "also compute ONL and OFFL and the ratios"),
        Option("path", "bool", True, "report a seeded sample path with online payments"),
    ),
)
