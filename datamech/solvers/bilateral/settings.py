"""Methods and options of kind ``bilateral``, declared once (``datamech options bilateral``).

Three methods compute the second best (the headline of every bilateral result):

* ``lagrangian``: lambda* by a monotone root search on the budget surplus B(lambda),
  ironing the whole Lagrangian weight (Deng et al., eq. (9));
* ``program``: the DSIC program on type grids (cvxpy; Clarabel for the scaling model's
  power cones, HiGHS for the indivisible good's LP), whose budget dual is lambda*;
* ``bic``: the BIC program on type grids.  The indivisible good's is an LP (global); the
  scaling model's is nonconvex and solved locally from the DSIC solution, by
  convex-concave steps in cvxpy (``solver = "ccp"``, the default: always installed,
  every iterate feasible) or as a pyomo NLP (``backend = "pyomo"``, ``solver = "ripopt"``
  or ``"ipopt"``), with the convex upper bound that drops the seller's interim
  constraint.

``method`` is the algorithm, ``backend`` the modelling layer (cvxpy | pyomo) and
``solver`` the numerical solver; :func:`choose_backend` turns the three into what runs,
in one place for the Python functions and :func:`datamech.solve` alike.  The old method
names ``cvxpy`` and ``pyomo_bic`` are deprecated aliases of ``program`` and ``bic``.

>>> OPTIONS.resolve({"method": "program"})["cells"]
40
>>> choose_backend("bic", "scaling").solver
'ccp'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...backends import cvxpy_solver, solver_display
from ...errors import ModelError
from ...models.io import check_choice
from ...options import Option, OptionSet

__all__ = [
    "DEFAULT_CELLS",
    "DEFAULT_CHECK_GRID",
    "DEFAULT_MAX_ITERATIONS",
    "DEFAULT_TOL",
    "GRID_METHODS",
    "METHODS",
    "METHOD_ALIASES",
    "NLP_SOLVERS",
    "OPTIONS",
    "Backend",
    "canonical_method",
    "choose_backend",
    "nlp_available",
]

METHODS = {
    "lagrangian": "lambda* by root search on the budget surplus B(lambda), Lagrangian "
    "ironing (Deng et al., eq. (9))",
    "program": "the DSIC program on type grids in cvxpy (Clarabel; HiGHS LP for the "
    "indivisible good); lambda* is the budget dual",
    "bic": "the BIC program on type grids: the indivisible good's LP (global), or the "
    "scaling model's nonconvex program solved locally (labelled local_optimum) with a "
    "convex upper bound",
}
METHOD_ALIASES = {"cvxpy": "program", "pyomo_bic": "bic"}
GRID_METHODS = ("program", "bic", "cvxpy", "pyomo_bic")
BIC_METHODS = ("bic", "pyomo_bic")
NLP_SOLVERS = ("ipopt", "ripopt")  # pyomo NLP solvers, in order of preference

DEFAULT_CELLS = 40  # cells per side for continuous laws on the type grids
DEFAULT_TOL = 1e-9  # convex-concave steps: stop when the relative GFT gain is below
DEFAULT_MAX_ITERATIONS = 50  # convex-concave steps
DEFAULT_CHECK_GRID = 9  # types per side in the IR/IC/budget checks

OPTIONS = OptionSet(
    "bilateral",
    METHODS,
    (
        Option(
            "backend",
            "str",
            None,
            "modelling layer of the grid programs: cvxpy (program; bic by convex-concave "
            "steps or the indivisible good's LP) or pyomo (bic: an NLP solved by ipopt or "
            "ripopt, or the LP by HiGHS); default cvxpy",
            choices=("cvxpy", "pyomo"),
            methods=GRID_METHODS,
        ),
        Option(
            "solver",
            "str",
            None,
            "numerical solver: program: clarabel (default; scaling), highs (default; "
            "indivisible), scs, ...; bic: ccp (default, cvxpy), ipopt or ripopt (pyomo), "
            "highs (indivisible)",
            methods=GRID_METHODS,
        ),
        Option(
            "cells",
            "int",
            DEFAULT_CELLS,
            "cells per side on which a continuous law is cut (discrete laws are used as given)",
            low=1,
            methods=GRID_METHODS,
        ),
        Option(
            "tol",
            "float",
            DEFAULT_TOL,
            "bic (convex-concave steps): stop when the relative gain in GFT is below tol",
            low=1e-15,
            high=1,
            methods=BIC_METHODS,
        ),
        Option(
            "max_iterations",
            "int",
            DEFAULT_MAX_ITERATIONS,
            "bic (convex-concave steps): iteration limit (status iteration_limit beyond)",
            low=1,
            methods=BIC_METHODS,
            deprecated=("max_iter",),
        ),
        Option("checks", "bool", True, "run the IR/IC/budget checks of every mechanism"),
        Option(
            "check_grid",
            "int",
            DEFAULT_CHECK_GRID,
            "types per side in the checks (quantile midpoints of a continuous law; a "
            "discrete law with at most 4x as many atoms uses them all)",
            low=1,
            deprecated=("grid",),
        ),
    ),
    method_default="lagrangian",
    deprecated_methods=METHOD_ALIASES,
)


def canonical_method(method: Any, field: str = "method") -> str:
    """The method's current name; the old names warn (``DeprecationWarning``).

    >>> canonical_method("program")
    'program'
    >>> canonical_method("simplex")
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: method: unknown value 'simplex' (allowed: lagrangian, program, bic, cvxpy, pyomo_bic)
    """
    return OPTIONS.method_name(method, field)


def nlp_available(name: str) -> bool:
    """Whether pyomo can run the NLP solver ``name`` (ripopt registers on import)."""
    try:
        import pyomo.environ as pe

        if name == "ripopt":
            import pyomo_ripopt  # noqa: F401  (registers the solver with pyomo)
        return bool(pe.SolverFactory(name).available(exception_flag=False))
    except Exception:  # not installed, or a broken plugin
        return False


@dataclass(frozen=True)
class Backend:
    """What runs a grid program: the modelling layer, the solver as reported in results
    (``"Clarabel"``, ``"HiGHS"``, ``"ripopt"``, ``"ipopt"``, ``"ccp"``) and the name the
    layer knows it by (cvxpy's ``"CLARABEL"``, pyomo's ``"appsi_highs"``, ...)."""

    backend: str
    solver: str
    name: str


def choose_backend(
    method: str,
    good: str,
    backend: str | None = None,
    solver: str | None = None,
    prefix: str = "",
) -> Backend:
    """The backend and solver that run ``method`` (``program`` or ``bic``) for ``good``.

    Without ``backend`` it follows from ``solver`` (ipopt, ripopt and appsi_highs are
    pyomo's) and is cvxpy otherwise.  Errors name ``prefix + "backend"`` or
    ``prefix + "solver"`` (``prefix = "solver."`` for model-file options).

    >>> choose_backend("program", "indivisible")
    Backend(backend='cvxpy', solver='HiGHS', name='HIGHS')
    >>> choose_backend("bic", "indivisible", backend="pyomo").solver
    'HiGHS'
    """
    method = METHOD_ALIASES.get(method, method)
    for key, value in (("backend", backend), ("solver", solver)):
        if value is not None and not isinstance(value, str):
            raise ModelError(f"{prefix}{key}", f"must be a string, got {type(value).__name__}")
    if backend is not None:
        check_choice(backend, f"{prefix}backend", ("cvxpy", "pyomo"))
    key = solver.strip().lower() if solver else None
    if backend is None:
        backend = "pyomo" if key in (*NLP_SOLVERS, "appsi_highs") else "cvxpy"
    if method == "program":
        if backend != "cvxpy":
            raise ModelError(f"{prefix}backend", "method program is solved in cvxpy")
        return _cvxpy(solver, good, prefix)
    if backend == "cvxpy":
        if good == "indivisible":
            return _cvxpy(solver, good, prefix)
        if key not in (None, "ccp"):
            raise ModelError(
                f"{prefix}solver",
                f"the scaling BIC program in cvxpy runs convex-concave steps (solver ccp), "
                f"got {solver!r}; for an NLP solver use backend = 'pyomo' with ipopt or ripopt",
            )
        return Backend("cvxpy", "ccp", "CLARABEL")
    if good == "indivisible":
        if key not in (None, "highs", "appsi_highs"):
            raise ModelError(
                f"{prefix}solver", f"the indivisible BIC LP in pyomo uses highs, got {solver!r}"
            )
        return Backend("pyomo", "HiGHS", "appsi_highs")
    if key is None:
        key = next((name for name in NLP_SOLVERS if nlp_available(name)), None)
        if key is None:
            raise ModelError(
                f"{prefix}solver",
                "no NLP solver for pyomo is installed (ripopt: pip install 'datamech[nlp]'); "
                "or use backend = 'cvxpy' (convex-concave steps)",
            )
    if key not in NLP_SOLVERS:
        raise ModelError(
            f"{prefix}solver",
            f"must be ipopt or ripopt for the scaling BIC program in pyomo, got {solver!r}",
        )
    if not nlp_available(key):
        raise ModelError(
            f"{prefix}solver",
            f"{key} is not installed (ripopt: pip install 'datamech[nlp]'; "
            "or use backend = 'cvxpy')",
        )
    return Backend("pyomo", key, key)


def _cvxpy(solver: str | None, good: str, prefix: str) -> Backend:
    name = cvxpy_solver(solver, "HIGHS" if good == "indivisible" else "CLARABEL", f"{prefix}solver")
    return Backend("cvxpy", solver_display(name), name)
