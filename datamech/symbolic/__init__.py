"""sympy closed forms and theorem checks (the engine of ``datamech verify``).

Checks are registered by name and family in :mod:`datamech.symbolic.registry` and run
with :func:`run_checks`; each family's checks live in their own module
(:mod:`datamech.symbolic.chain` for the resale chain).  Model checks
(:mod:`datamech.symbolic.file_checks`) instantiate the papers' identities on the model
of a file (:func:`verify_file`, ``datamech verify FILE``); users add their own with
:func:`register` and run them with ``--module`` (:func:`load_modules`).
:func:`closed_forms` derives a type law's closed forms (expression laws and built-in
families alike).

>>> from datamech.symbolic import run_checks
>>> all(r.passed for r in run_checks(family="chain"))
True
"""

from .closed_forms import closed_forms, law_cdf
from .registry import (
    ANY_KIND,
    CHECK_MODULES,
    Check,
    CheckResult,
    NotApplicable,
    Skipped,
    all_checks,
    model_checks,
    register,
    run_checks,
    run_model_checks,
    unregister,
)
from .verify_file import load_modules, verify, verify_file

__all__ = [
    "ANY_KIND",
    "CHECK_MODULES",
    "Check",
    "CheckResult",
    "NotApplicable",
    "Skipped",
    "all_checks",
    "closed_forms",
    "law_cdf",
    "load_modules",
    "model_checks",
    "register",
    "run_checks",
    "run_model_checks",
    "unregister",
    "verify",
    "verify_file",
]
