"""The one declaration of kind ``mechanism``'s methods and options (``datamech options mechanism``)."""

from __future__ import annotations

from ...options import Option, OptionSet

__all__ = ["OPTIONS"]

OPTIONS = OptionSet(
    "mechanism",
    {
        "auto": "reduced_form for a single item under BIC and interim IR, else lp",
        "lp": "randomized mechanisms: one LP over type profiles (highspy), interim forms "
        "where the constraints allow, IC rows generated lazily for multi-dimensional types",
        "mip": "deterministic mechanisms: the same program with 0/1 allocations "
        "(pyomo + HiGHS branch and bound), with its gap",
        "reduced_form": "single item, BIC + interim IR: interim rules under Border's "
        "constraints separated on demand (size sum_i K_i), with an ex-post implementation",
    },
    (
        Option(
            "backend",
            "str",
            None,
            "modelling layer (default: highspy for lp and reduced_form, pyomo for mip)",
            choices=("highspy", "pyomo"),
        ),
        Option("solver", "str", "highs", "numerical solver", choices=("highs",)),
        Option(
            "exact",
            "bool",
            False,
            "an exactly feasible rational mechanism and an exact "
            "objective (exact re-solve of the optimal basis), proved optimal by an exact "
            "dual (lp, reduced_form); mip: exact payments for the deterministic outcomes "
            "found, within the branch-and-bound gap",
        ),
        Option(
            "tol",
            "float",
            1e-9,
            "violation allowed by the cutting planes (Border rows, "
            "lazy IC pairs) and by the certificates",
            low=0,
            high=1e-2,
        ),
        Option("time_limit", "float", None, "seconds for each LP/MIP solve", low=0),
        Option(
            "max_iterations",
            "int",
            500,
            "rounds of constraint generation (Border separation, lazy IC)",
            low=1,
            high=100_000,
        ),
        Option(
            "ic_rows",
            "str",
            "auto",
            "multi-dimensional types: all IC pairs, lazily "
            "generated ones, or lazy when there are more than 20,000 pairs",
            choices=("auto", "all", "lazy"),
            methods=("auto", "lp"),
        ),
        Option(
            "implementation",
            "bool",
            True,
            "reduced_form: also compute an ex-post implementation of the interim rule",
            methods=("auto", "reduced_form"),
        ),
        Option(
            "mip_gap",
            "float",
            1e-6,
            "relative MIP gap at which branch and bound stops",
            low=0,
            high=1,
            methods=("mip",),
        ),
    ),
    method_default="auto",
)
