"""Solver statuses, in one place for every kind (in the spirit of cvxpy's ``settings.py``).

Every result's ``status`` and every :class:`~datamech.errors.SolverError`'s ``status`` is
a :class:`Status`.  Family detail (a certified grid, PSP rounds, a local solver's bound)
lives in the result's fields, never in new statuses.

Groups
------
``SOLUTION_PRESENT``
    A result object exists and carries numbers.
``CERTIFIED``
    The numbers are what the method promises, to its tolerance: an optimum proved
    optimal, or a given mechanism / closed form evaluated.
``ACCEPTED``
    What ``datamech solve`` exits 0 for: ``CERTIFIED`` plus the statuses of methods that
    are local or heuristic by design (a local NLP, a randomized search) and said so.
``INACCURATE``
    A solution the solver itself flags as not to tolerance.
``ERROR``
    No usable solution: raised as ``SolverError``, never returned.

>>> Status("optimal") is Status.OPTIMAL, Status.OPTIMAL == "optimal"
(True, True)
>>> exit_code(Status.NOT_CONVERGED), exit_code("evaluated")
(3, 0)
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """How a solve ended (a ``str``: compares equal to its value)."""

    OPTIMAL = "optimal"
    """Proved optimal (or exact) to the method's tolerance."""
    OPTIMAL_INACCURATE = "optimal_inaccurate"
    """The solver returned a solution but flagged it as not to tolerance."""
    LOCAL_OPTIMUM = "local_optimum"
    """A local optimum of a nonconvex program; its bound is in the result."""
    HEURISTIC = "heuristic"
    """The best point a heuristic search found; not proved optimal."""
    TIME_LIMIT = "time_limit"
    """Stopped by the time limit; the best solution so far."""
    ITERATION_LIMIT = "iteration_limit"
    """Stopped by an iteration or round limit before its stopping rule held."""
    NOT_CONVERGED = "not_converged"
    """Ran to the end but its convergence or equilibrium check failed."""
    INFEASIBLE = "infeasible"
    """The constraints admit no solution."""
    UNBOUNDED = "unbounded"
    """The objective has no finite optimum."""
    EVALUATED = "evaluated"
    """A closed form or a given mechanism was evaluated (nothing was optimized)."""
    SOLVER_ERROR = "solver_error"
    """The numerical solver failed."""


SOLUTION_PRESENT = frozenset(
    {
        Status.OPTIMAL,
        Status.OPTIMAL_INACCURATE,
        Status.LOCAL_OPTIMUM,
        Status.HEURISTIC,
        Status.TIME_LIMIT,
        Status.ITERATION_LIMIT,
        Status.NOT_CONVERGED,
        Status.EVALUATED,
    }
)
CERTIFIED = frozenset({Status.OPTIMAL, Status.EVALUATED})
ACCEPTED = CERTIFIED | {Status.LOCAL_OPTIMUM, Status.HEURISTIC}
INACCURATE = frozenset({Status.OPTIMAL_INACCURATE})
ERROR = frozenset({Status.INFEASIBLE, Status.UNBOUNDED, Status.SOLVER_ERROR})

#: Exit codes of the ``datamech`` command.
EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT, EXIT_NOT_CERTIFIED = 0, 1, 2, 3


def as_status(value: str | Status) -> Status:
    """``value`` as a :class:`Status`; anything else is a programming error (ValueError).

    >>> as_status("infeasible")
    <Status.INFEASIBLE: 'infeasible'>
    """
    try:
        return Status(value)
    except ValueError:
        known = ", ".join(s.value for s in Status)
        raise ValueError(f"{value!r} is not a datamech status (known: {known})") from None


def exit_code(status: str | Status) -> int:
    """The command's exit code for a result with this status: 0 if accepted, else 3."""
    return EXIT_OK if as_status(status) in ACCEPTED else EXIT_NOT_CERTIFIED


def from_highs(model_status: str) -> Status:
    """A HiGHS model status (its ``modelStatusToString`` text or enum name) as a Status.

    >>> from_highs("Optimal"), from_highs("kInfeasible"), from_highs("Time limit reached")
    (<Status.OPTIMAL: 'optimal'>, <Status.INFEASIBLE: 'infeasible'>, <Status.TIME_LIMIT: 'time_limit'>)
    """
    text = model_status.lower().removeprefix("k").replace(" ", "").replace("_", "")
    table = {
        "optimal": Status.OPTIMAL,
        "infeasible": Status.INFEASIBLE,
        "unbounded": Status.UNBOUNDED,
        "unboundedorinfeasible": Status.INFEASIBLE,
        "primalinfeasibleorunbounded": Status.INFEASIBLE,
        "timelimit": Status.TIME_LIMIT,
        "timelimitreached": Status.TIME_LIMIT,
        "iterationlimit": Status.ITERATION_LIMIT,
        "iterationlimitreached": Status.ITERATION_LIMIT,
    }
    return table.get(text, Status.SOLVER_ERROR)


def from_cvxpy(status: str) -> Status:
    """A cvxpy problem status as a Status (``optimal_inaccurate`` stays inaccurate).

    >>> from_cvxpy("optimal_inaccurate"), from_cvxpy("infeasible_inaccurate")
    (<Status.OPTIMAL_INACCURATE: 'optimal_inaccurate'>, <Status.INFEASIBLE: 'infeasible'>)
    """
    table = {
        "optimal": Status.OPTIMAL,
        "optimal_inaccurate": Status.OPTIMAL_INACCURATE,
        "infeasible": Status.INFEASIBLE,
        "infeasible_inaccurate": Status.INFEASIBLE,
        "unbounded": Status.UNBOUNDED,
        "unbounded_inaccurate": Status.UNBOUNDED,
        "user_limit": Status.TIME_LIMIT,
        "infeasible_or_unbounded": Status.INFEASIBLE,
    }
    return table.get(str(status), Status.SOLVER_ERROR)


def from_pyomo(termination: object, nonconvex: bool = False) -> Status:
    """A pyomo termination condition (or its name) as a Status.

    ``nonconvex``: an NLP solver's "optimal" is only local (``local_optimum``).

    >>> from_pyomo("optimal"), from_pyomo("optimal", nonconvex=True)
    (<Status.OPTIMAL: 'optimal'>, <Status.LOCAL_OPTIMUM: 'local_optimum'>)
    >>> from_pyomo("maxIterations"), from_pyomo("solverFailure")
    (<Status.ITERATION_LIMIT: 'iteration_limit'>, <Status.SOLVER_ERROR: 'solver_error'>)
    """
    name = str(getattr(termination, "name", termination))
    table = {
        "optimal": Status.LOCAL_OPTIMUM if nonconvex else Status.OPTIMAL,
        "globallyOptimal": Status.OPTIMAL,
        "locallyOptimal": Status.LOCAL_OPTIMUM,
        "maxIterations": Status.ITERATION_LIMIT,
        "maxEvaluations": Status.ITERATION_LIMIT,
        "maxTimeLimit": Status.TIME_LIMIT,
        "infeasible": Status.INFEASIBLE,
        "locallyInfeasible": Status.INFEASIBLE,
        "infeasibleOrUnbounded": Status.INFEASIBLE,
        "unbounded": Status.UNBOUNDED,
    }
    return table.get(name, Status.SOLVER_ERROR)
