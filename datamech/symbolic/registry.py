"""A registry of named symbolic checks: the engine behind ``datamech verify``.

A check is a function of no arguments that confirms one identity of a paper (a closed
form, a budget identity, a homogeneity lemma) with sympy or exact arithmetic.  It is
registered under a unique dotted name and a family (``chain``, ``scaling``, ...) together
with a human-readable statement of the identity it checks, and returns ``True``/``False``
or ``(passed, detail)``.  :func:`run_checks` runs checks and turns every outcome, an
exception included, into a :class:`CheckResult`; one broken check never stops the run.

Check modules register their checks when imported.  :data:`CHECK_MODULES` lists them;
they are imported lazily by :func:`run_checks` and :func:`all_checks`, so a new family
only adds its module name here.

Examples
--------
>>> from datamech.symbolic import run_checks
>>> [r.passed for r in run_checks(["chain.ave_budget_balance"])]
[True]
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ModelError
from ..results import ResultMixin

CHECK_MODULES: tuple[str, ...] = (
    "datamech.symbolic.chain",
    "datamech.symbolic.bilateral",
    "datamech.symbolic.infosale",
    "datamech.symbolic.psp",
    "datamech.symbolic.scaling",
    "datamech.symbolic.scaling_online",
)
"""Modules whose import registers checks (imported on first use)."""

CheckOutcome = bool | tuple[bool, str]


@dataclass(frozen=True)
class Check:
    """A registered check: its name, family, the identity it checks, and the function."""

    name: str
    family: str
    identity: str
    function: Callable[[], CheckOutcome] = field(repr=False, compare=False)


@dataclass(frozen=True)
class CheckResult(ResultMixin):
    """The outcome of one check.

    Attributes
    ----------
    name : str
        The check's registered name, e.g. ``"chain.tbds_budget_balance"``.
    family : str
        The market family it belongs to, e.g. ``"chain"``.
    passed : bool
        Whether the identity held.
    identity : str
        The identity checked, in words and formulas.
    detail : str
        What the check reports: the simplified residual, a counterexample, or the text
        of the exception that stopped it.
    seconds : float
        Wall-clock time of the check.

    Examples
    --------
    >>> r = CheckResult("demo.one", "demo", True, "1 = 1", "residual 0", 0.0)
    >>> r.to_dict()["passed"]
    True
    """

    name: str
    family: str
    passed: bool
    identity: str
    detail: str
    seconds: float


_REGISTRY: dict[str, Check] = {}


def register(
    name: str, family: str, identity: str
) -> Callable[[Callable[[], CheckOutcome]], Callable[[], CheckOutcome]]:
    """Register a check under ``name`` (decorator); the function is returned unchanged.

    Parameters
    ----------
    name : str
        Unique name, by convention ``"<family>.<what>"``.
    family : str
        The market family (``"chain"``, ``"scaling"``, ...).
    identity : str
        Exactly what the check confirms, human readable.

    Raises
    ------
    ValueError
        If ``name`` is already registered.

    Examples
    --------
    >>> @register("demo.one_is_one", "demo", "1 = 1")
    ... def _one_is_one():
    ...     return True, "1 - 1 simplifies to 0"
    >>> run_checks(["demo.one_is_one"])[0].passed
    True
    >>> _ = unregister("demo.one_is_one")
    """
    for label, value in (("name", name), ("family", family), ("identity", identity)):
        if not isinstance(value, str) or not value:
            raise ValueError(f"check {label} must be a non-empty string, got {value!r}")

    def decorate(func: Callable[[], CheckOutcome]) -> Callable[[], CheckOutcome]:
        if name in _REGISTRY:
            raise ValueError(f"a check named {name!r} is already registered")
        _REGISTRY[name] = Check(name, family, identity, func)
        return func

    return decorate


def unregister(name: str) -> Check:
    """Remove a registered check and return it (for tests that register throwaway checks).

    >>> @register("demo.tmp", "demo", "nothing")
    ... def _tmp():
    ...     return True
    >>> unregister("demo.tmp").name
    'demo.tmp'
    """
    try:
        return _REGISTRY.pop(name)
    except KeyError:
        raise ModelError("verify.name", f"no check named {name!r} is registered") from None


def _load_check_modules() -> None:
    for module in CHECK_MODULES:
        importlib.import_module(module)


def all_checks(family: str | None = None) -> list[Check]:
    """Every registered check (after importing :data:`CHECK_MODULES`), in registration order.

    >>> names = [c.name for c in all_checks("chain")]
    >>> "chain.tbds_budget_balance" in names
    True
    """
    _load_check_modules()
    return [c for c in _REGISTRY.values() if family is None or c.family == family]


def run_checks(
    names: Iterable[str] | str | None = None, family: str | None = None
) -> list[CheckResult]:
    """Run checks and report each as a :class:`CheckResult`; never raises for a failing check.

    Parameters
    ----------
    names : iterable of str or str, optional
        Which checks to run (default: all).  Order is kept.
    family : str, optional
        Only checks of this family (combined with ``names``: both must match).

    Returns
    -------
    list of CheckResult

    Raises
    ------
    ModelError
        ``verify.name`` for a name that is not registered, ``verify.family`` for a
        family that has no checks.

    Examples
    --------
    >>> results = run_checks(family="chain")
    >>> all(r.family == "chain" for r in results)
    True
    """
    _load_check_modules()
    if family is not None and not any(c.family == family for c in _REGISTRY.values()):
        known = sorted({c.family for c in _REGISTRY.values()})
        raise ModelError("verify.family", f"unknown family {family!r} (known: {', '.join(known)})")
    if names is None:
        selected = list(_REGISTRY.values())
    else:
        if isinstance(names, str):
            names = [names]
        names = list(names)
        unknown = [n for n in names if n not in _REGISTRY]
        if unknown:
            raise ModelError(
                "verify.name",
                f"unknown check {unknown[0]!r} (known: {', '.join(_REGISTRY)})",
            )
        selected = [_REGISTRY[n] for n in names]
    if family is not None:
        selected = [c for c in selected if c.family == family]
    return [_run_one(c) for c in selected]


def _run_one(check: Check) -> CheckResult:
    t0 = time.perf_counter()
    try:
        passed, detail = _read_outcome(check.function())
    except Exception as exc:  # a broken check is a failed check, not a crashed run
        passed, detail = False, f"{type(exc).__name__}: {exc}"
    return CheckResult(
        name=check.name,
        family=check.family,
        passed=passed,
        identity=check.identity,
        detail=detail,
        seconds=time.perf_counter() - t0,
    )


def _read_outcome(outcome: Any) -> tuple[bool, str]:
    if _is_bool(outcome):
        return bool(outcome), "" if outcome else "check returned False"
    if isinstance(outcome, tuple) and len(outcome) == 2 and _is_bool(outcome[0]):
        return bool(outcome[0]), str(outcome[1])
    return False, f"check returned {outcome!r}; expected a bool or (bool, detail)"


def _is_bool(x: Any) -> bool:
    # numpy bools are accepted; sympy's BooleanTrue is not a bool and must be converted
    return isinstance(x, (bool, np.bool_))
