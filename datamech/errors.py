"""The two error types every part of datamech raises.

``ModelError`` is a user mistake in a model (a ``ValueError``): its message names the
field and the problem.  ``SolverError`` is a solver that did not reach a usable answer:
it carries the solver's status.  The CLI turns both into one line on stderr and exit
code 2.
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
    """A solver ended without a usable solution; ``status`` is what it reported."""

    def __init__(self, status: str, message: str = ""):
        self.status = status
        self.message = message
        super().__init__(f"solver status {status!r}" + (f": {message}" if message else ""))

    def __reduce__(self):  # picklable across process pools
        return (type(self), (self.status, self.message))
