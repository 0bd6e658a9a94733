"""The infosale solver options, declared once (``datamech options infosale``).

Re-exported as :data:`datamech.solvers.infosale.OPTIONS`, the declaration
:func:`datamech.solve` validates against.  It lives here, below both the model-file
reader and the solvers, so that a file's ``[solver]`` table is checked when the file is
loaded (an unknown option is an error at ``dm.load``, not at the first solve).

>>> OPTIONS.resolve({"method": "reduced"})["monotone"] is None
True
>>> OPTIONS.validate({"backend": "gurobi"})
Traceback (most recent call last):
...
datamech.errors.ModelError: solver.backend: unknown value 'gurobi' (allowed: highspy, cvxpy)
"""

from __future__ import annotations

from ...options import Option, OptionSet

#: The modelling layers of the LPs.
BACKENDS = ("highspy", "cvxpy")

OPTIONS = OptionSet(
    "infosale",
    {
        "lp": "the general obedience-constrained LP (any finite game, n >= 1)",
        "reduced": "the reduced LP in the marginals h_1, h_2 (Example 3, two buyers; Nouripour, Proposition 3 and Lemma 1)",
        "greedy": "the exact greedy (Example 3, two buyers; no LP solver)",
        "closed-form": "Props 4-8 evaluated (Example 3, continuous i.i.d. types)",
    },
    (
        Option(
            "backend",
            "str",
            "highspy",
            "modelling layer of the LPs (methods lp, reduced): highspy passes the sparse "
            "matrix to HiGHS directly, cvxpy states it as a cvxpy problem",
            choices=BACKENDS,
        ),
        Option(
            "solver",
            "str",
            "highs",
            "numerical LP solver (methods lp, reduced): highs with either backend, or "
            "any LP solver cvxpy has installed (clarabel, scs, glpk, ...) with backend cvxpy",
        ),
        Option(
            "time_limit",
            "float",
            None,
            "seconds per LP solve (methods lp, reduced); a solve stopped by it has no "
            "solution and raises SolverError with status time_limit",
            low=1e-6,
        ),
        Option(
            "monotone",
            "bool",
            None,
            "add pi~_i non-decreasing to the reduced LP (Nouripour, Proposition 2); default: when a "
            "buyer's discrete virtual values decrease somewhere (a non-regular grid law)",
            methods=("reduced",),
        ),
    ),
)
