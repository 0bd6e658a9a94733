"""The two error types every part of datamech raises.

``ModelError`` is a user mistake in a model (a ``ValueError``): its message names the
field and the problem.  ``SolverError`` is a solver that did not reach a usable answer:
it carries the solver's status (:mod:`datamech.status`).  The CLI turns both into one
line on stderr and exit code 2.
"""

from __future__ import annotations


class ModelError(ValueError):
    """An invalid model: ``field`` names the offending input, ``problem`` says why.

    Examples
    --------
    >>> raise ModelError("transition", "row 3 sums to 0.9, not 1")
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: transition: row 3 sums to 0.9, not 1
    """

    def __init__(self, field: str, problem: str):
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")

    def __reduce__(self):  # picklable across process pools
        return (type(self), (self.field, self.problem))


class SolverError(RuntimeError):
    """A solver ended without a usable solution.

    ``status`` is a :class:`datamech.status.Status` (``infeasible``, ``unbounded`` or
    ``solver_error``, ...); a status outside the enum becomes ``solver_error`` with the
    original text kept in the message.

    >>> str(SolverError("infeasible", "obedience constraints"))
    "solver status 'infeasible': obedience constraints"
    >>> SolverError("numerics").status
    <Status.SOLVER_ERROR: 'solver_error'>
    """

    def __init__(self, status: str, message: str = ""):
        from .status import Status

        try:
            status = Status(status)
        except ValueError:
            message = f"{status}: {message}" if message else str(status)
            status = Status.SOLVER_ERROR
        self.status = status
        self.message = message
        super().__init__(f"solver status {status.value!r}" + (f": {message}" if message else ""))

    def __reduce__(self):  # picklable across process pools
        return (type(self), (self.status, self.message))
