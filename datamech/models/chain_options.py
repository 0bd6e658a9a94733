"""The resale chain's solver options, declared once (``datamech options chain``).

One :class:`~datamech.options.OptionSet` validates the keywords of
:func:`datamech.solve`, the model file's ``[solver]`` table and the command line flags
for every chain: discrete chains (``values``, ``transition``) solved for their
equilibrium (``fast``, ``reference``) or for the best reallocation matrix (``evolution``,
``enumerate``, ``mip``), and continuous chains (``support``, ``kernel``) solved by
Algorithm 4 (``fptas``).  It is re-exported as ``datamech.solvers.chain.OPTIONS``.

>>> OPTIONS.resolve({"tie_break": "low"})["tol"]
1e-09
>>> OPTIONS.validate({"tol": float("inf")})
Traceback (most recent call last):
...
datamech.errors.ModelError: solver.tol: must be a finite number, got inf
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ModelError
from ..options import Option, OptionSet

__all__ = [
    "CONTINUOUS_METHODS",
    "DEFAULT_TOL",
    "DISCRETE_METHODS",
    "EQUILIBRIUM_METHODS",
    "OPT_METHODS",
    "OPTIONS",
    "TIE_RULES",
    "WELFARE_RULES",
    "check_method_applies",
    "read_solver_table",
]

#: Seller tie rules (Eq. 9's argmax): grid order, lowest / highest price, and the
#: optimistic / adversarial continuation-welfare rules.
TIE_RULES = ("first", "low", "high", "welfare_max", "welfare_min")
WELFARE_RULES = ("welfare_max", "welfare_min")
#: Relative float tolerance under which gains tie and a threshold equals a price.
DEFAULT_TOL = 1e-9

EQUILIBRIUM_METHODS = ("fast", "reference")
OPT_METHODS = ("evolution", "enumerate", "mip")
DISCRETE_METHODS = EQUILIBRIUM_METHODS + OPT_METHODS
CONTINUOUS_METHODS = ("fptas",)


OPTIONS = OptionSet(
    "chain",
    {
        "fast": "the exact equilibrium of Eq. (9) in O(n^2 L^2) (discrete chains)",
        "reference": "Algorithms 1-3 as printed, O(n^2 L^4): the same equilibrium "
        "(discrete chains)",
        "fptas": "Algorithm 4 (FPTAS): the grid equilibrium lifted by Eq. (26), an "
        "epsilon-approximate equilibrium (continuous chains only, and their default)",
        "evolution": "OPT: the best budget-balanced reallocation matrix by differential "
        "evolution on the exact objective (discrete chains; the model's mechanism is "
        "ignored; heuristic)",
        "enumerate": "OPT: every budget-balanced matrix with entries in {0, 1/m, ..., 1} "
        "(discrete chains; a certified grid optimum)",
        "mip": "OPT: the same grid as an exact MIP, pyomo + HiGHS (small discrete chains "
        "with rational data; a certified grid optimum)",
    },
    (
        Option(
            "tie_break",
            "str",
            "first",
            "sellers' rule among maximizing prices: first (grid order, the paper's), low, "
            "high, or by continuation welfare (welfare_max, welfare_min; not mip)",
            choices=TIE_RULES,
        ),
        Option(
            "exact",
            "bool",
            False,
            "exact rational arithmetic (floats read as the decimals they print as); OPT "
            "searches evaluate the chosen matrix exactly (mip: always exact, unused)",
            methods=DISCRETE_METHODS,
        ),
        Option(
            "tol",
            "float",
            DEFAULT_TOL,
            "float mode: gains within tol * max(1, |x|) tie and a threshold that close to a "
            "price accepts (0: raw floating point, the paper's semantics; mip: exact, unused)",
            low=0.0,
            high=1e-3,
        ),
        Option(
            "epsilon",
            "float",
            None,
            "target epsilon > 0 of Algorithm 4 (default: the model's epsilon)",
            low=0.0,
            methods=CONTINUOUS_METHODS,
        ),
        Option(
            "check",
            "bool",
            True,
            "estimate the epsilon achieved (Def 3.6) on a finer grid",
            methods=CONTINUOUS_METHODS,
        ),
        Option(
            "refine",
            "int",
            2,
            "the check's grid has step eps0 / refine",
            low=1,
            high=64,
            methods=CONTINUOUS_METHODS,
        ),
        Option(
            "objective",
            "str",
            "social_welfare",
            "what OPT maximizes: social_welfare, transaction_volume or player_utility:J "
            "(mip: the first two)",
            methods=OPT_METHODS,
        ),
        Option(
            "m",
            "int",
            4,
            "grid step 1/m of the matrix entries",
            low=1,
            high=1000,
            methods=("enumerate", "mip"),
        ),
        Option(
            "fixed",
            "any",
            None,
            "entries held fixed: a list of [trade i, player j, share] (Python: a dict "
            "{(i, j): share})",
            methods=OPT_METHODS,
        ),
        Option(
            "time_limit",
            "float",
            None,
            "seconds; the best matrix so far is returned with status time_limit",
            low=0.0,
            methods=OPT_METHODS,
        ),
        Option(
            "seed",
            "int",
            0,
            "seed of the first run (run r uses seed + r)",
            low=0,
            methods=("evolution",),
        ),
        Option("restarts", "int", 3, "independent runs", low=1, high=1000, methods=("evolution",)),
        Option(
            "max_iterations",
            "int",
            50,
            "generations per run (scipy's maxiter)",
            low=1,
            methods=("evolution",),
        ),
        Option(
            "popsize",
            "int",
            5,
            "population multiplier (scipy's popsize)",
            low=1,
            high=1000,
            methods=("evolution",),
        ),
        Option(
            "snap",
            "float",
            1e-6,
            "shares below this (relative) become exactly 0",
            low=0.0,
            high=0.5,
            methods=("evolution",),
        ),
        Option(
            "bound",
            "float",
            10.0,
            "logits searched in [-bound, bound]",
            low=1e-3,
            high=700.0,
            methods=("evolution",),
        ),
        Option("workers", "int", 1, "processes", low=1, high=1024, methods=("enumerate",)),
        Option(
            "batch",
            "int",
            2000,
            "matrices solved at once",
            low=1,
            high=10**6,
            methods=("enumerate",),
        ),
        Option(
            "max_matrices",
            "int",
            5_000_000,
            "refuse grids with more matrices",
            low=1,
            methods=("enumerate",),
        ),
        Option(
            "mip_gap",
            "float",
            0.0,
            "HiGHS's relative gap (0 proves optimality)",
            low=0.0,
            high=1.0,
            methods=("mip",),
        ),
        Option(
            "max_binaries",
            "int",
            300,
            "refuse MIPs with more estimated binaries",
            low=1,
            methods=("mip",),
        ),
        Option(
            "min_delta",
            "float",
            1e-6,
            "refuse when the exact strict-inequality margin 1/E_0 is smaller",
            low=1e-15,
            high=1.0,
            methods=("mip",),
        ),
        Option(
            "start",
            "any",
            None,
            "a grid matrix given to HiGHS as the first incumbent",
            methods=("mip",),
        ),
    ),
)


def check_method_applies(method: str, continuous: bool) -> None:
    """Refuse a method that does not solve this kind of chain (``ModelError solver.method``).

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.

    Examples
    --------
    >>> check_method_applies("fast", continuous=True)
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: solver.method: 'fast' solves discrete chains (values, transition); this chain is continuous (support, kernel): use 'fptas'
    """
    if continuous and method not in CONTINUOUS_METHODS:
        raise ModelError(
            "solver.method",
            f"{method!r} solves discrete chains (values, transition); this chain is "
            "continuous (support, kernel): use 'fptas'",
        )
    if not continuous and method in CONTINUOUS_METHODS:
        raise ModelError(
            "solver.method",
            f"{method!r} solves continuous chains (support, kernel); this chain is discrete "
            f"(values, transition): use one of {', '.join(DISCRETE_METHODS)}",
        )


def read_solver_table(table: Any, *, continuous: bool) -> dict[str, Any]:
    """A model's ``[solver]`` table, validated against :data:`OPTIONS`.

    Continuous chains have the implied method ``fptas`` (it is added), so options that
    apply only to it (``epsilon``, ``check``, ``refine``) validate; a method that does
    not solve the chain's kind is refused.

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.

    Examples
    --------
    >>> read_solver_table({"tie_break": "low"}, continuous=True)
    {'method': 'fptas', 'tie_break': 'low'}
    """
    if table is None:
        table = {}
    if not isinstance(table, Mapping):
        raise ModelError("solver", f"must be a table of options, got {type(table).__name__}")
    table = dict(table)
    if continuous and "method" not in table:
        table = {"method": CONTINUOUS_METHODS[0], **table}
    out = OPTIONS.validate(table)
    check_method_applies(out.get("method") or OPTIONS.resolve({})["method"], continuous)
    return out
