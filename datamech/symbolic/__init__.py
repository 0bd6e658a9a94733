"""sympy closed forms and theorem checks (the engine of ``datamech verify``).

Checks are registered by name and family in :mod:`datamech.symbolic.registry` and run
with :func:`run_checks`; each family's checks live in their own module
(:mod:`datamech.symbolic.chain` for the resale chain).

>>> from datamech.symbolic import run_checks
>>> all(r.passed for r in run_checks(family="chain"))
True
"""

from .registry import (
    CHECK_MODULES,
    Check,
    CheckResult,
    all_checks,
    register,
    run_checks,
    unregister,
)

__all__ = [
    "CHECK_MODULES",
    "Check",
    "CheckResult",
    "all_checks",
    "register",
    "run_checks",
    "unregister",
]
