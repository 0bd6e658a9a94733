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

A *model check* is registered with ``kinds=(...)``: its function takes a model (what
``datamech.load`` returns for a file of one of those kinds) and confirms an identity
on that model's numbers; :func:`run_model_checks` runs it (``datamech verify FILE``),
and a check may raise :class:`NotApplicable` when the model is outside its scope.
Users register their own checks of both sorts with the same decorator in a module of
their own and run them with ``datamech verify --module their_module`` (an explicit
opt-in: that imports, and so runs, the user's code).

Examples
--------
>>> from datamech.symbolic import run_checks
>>> [r.passed for r in run_checks(["chain.ave_budget_balance"])]
[True]
"""

from __future__ import annotations

import dataclasses
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
    "datamech.symbolic.file_checks",
)
"""Modules whose import registers checks (imported on first use)."""

CheckOutcome = bool | tuple[bool, str]

#: ``kinds=ANY_KIND`` registers a model check for models of every kind
ANY_KIND = "*"


class NotApplicable(Exception):
    """Raised by a model check when the model is outside its scope (it is then reported
    as skipped, with this exception's text as the reason)."""


@dataclass(frozen=True)
class Check:
    """A registered check: its name, family, the identity it checks, and the function.

    ``kinds`` is ``None`` for a check of no arguments (a theorem of a paper), or the
    model kinds a model check applies to (``("*",)``: every kind); ``module`` is the
    module that defined the function (how ``--module`` finds a user's checks).
    """

    name: str
    family: str
    identity: str
    function: Callable[..., CheckOutcome] = field(repr=False, compare=False)
    kinds: tuple[str, ...] | None = None
    module: str = ""

    @property
    def takes_model(self) -> bool:
        return self.kinds is not None

    def applies_to(self, kind: str) -> bool:
        """True for a model check of ``kind`` (or of every kind)."""
        return self.kinds is not None and (ANY_KIND in self.kinds or kind in self.kinds)


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
    name: str, family: str, identity: str, *, kinds: str | Iterable[str] | None = None
) -> Callable[[Callable[..., CheckOutcome]], Callable[..., CheckOutcome]]:
    """Register a check under ``name`` (decorator); the function is returned unchanged.

    Parameters
    ----------
    name : str
        Unique name, by convention ``"<family>.<what>"``.
    family : str
        The market family (``"chain"``, ``"scaling"``, ...), or a user's own label.
    identity : str
        Exactly what the check confirms, human readable.
    kinds : str or iterable of str, optional
        Make it a model check: the function takes the model of a file of one of these
        kinds (``"offline"``, ``"bilateral"``, ...; ``"*"`` for every kind) and is run
        by ``datamech verify FILE``.  It returns ``True``/``False`` or ``(passed,
        detail)`` (the detail should show the identity with the model's numbers) and
        may raise :class:`NotApplicable`.

    Raises
    ------
    ValueError
        If ``name`` is already registered, or a name, family, identity or kind is not a
        non-empty string.

    A model check, in a user's module ``my_checks.py`` run by
    ``datamech verify FILE --module my_checks``:

    >>> @register("mine.reserve_below_top", "mine", "reserve <= top of the support",
    ...           kinds=("offline", "online"))
    ... def _reserve_below_top(model):
    ...     r = [b.reserve_price() for b in model.buyers]
    ...     return all(x <= b.support[1] for x, b in zip(r, model.buyers)), f"reserves {r}"
    >>> _ = unregister("mine.reserve_below_top")

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
    model_kinds: tuple[str, ...] | None = None
    if kinds is not None:
        model_kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
        if not model_kinds or not all(isinstance(k, str) and k for k in model_kinds):
            raise ValueError(f"check kinds must be non-empty strings, got {kinds!r}")

    def decorate(func: Callable[..., CheckOutcome]) -> Callable[..., CheckOutcome]:
        if name in _REGISTRY:
            raise ValueError(f"a check named {name!r} is already registered")
        module = getattr(func, "__module__", "") or ""
        _REGISTRY[name] = Check(name, family, identity, func, model_kinds, module)
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

    Model checks (registered with ``kinds``) need a model: they are left out here and
    run by :func:`run_model_checks`.

    Raises
    ------
    ModelError
        ``verify.name`` for a name that is not registered or is a model check,
        ``verify.family`` for a family that has no checks of no arguments.

    Examples
    --------
    >>> results = run_checks(family="chain")
    >>> all(r.family == "chain" for r in results)
    True
    """
    _load_check_modules()
    plain = {n: c for n, c in _REGISTRY.items() if not c.takes_model}
    if family is not None and not any(c.family == family for c in plain.values()):
        if any(c.family == family for c in _REGISTRY.values()):
            raise ModelError(
                "verify.family",
                f"the checks of family {family!r} check a model: run datamech verify FILE",
            )
        known = sorted({c.family for c in plain.values()})
        raise ModelError("verify.family", f"unknown family {family!r} (known: {', '.join(known)})")
    if names is None:
        selected = list(plain.values())
    else:
        if isinstance(names, str):
            names = [names]
        names = list(names)
        unknown = [n for n in names if n not in plain]
        if unknown:
            if unknown[0] in _REGISTRY:
                raise ModelError(
                    "verify.name",
                    f"check {unknown[0]!r} checks a model: run datamech verify FILE",
                )
            raise ModelError(
                "verify.name",
                f"unknown check {unknown[0]!r} (known: {', '.join(plain)})",
            )
        selected = [plain[n] for n in names]
    if family is not None:
        selected = [c for c in selected if c.family == family]
    return [_run_one(c) for c in selected]


def model_checks(kind: str, modules: Iterable[str] = ()) -> list[Check]:
    """The model checks that apply to a model of ``kind``: the built-in ones, and those
    defined in ``modules`` (names of user modules already imported), in registration
    order.

    >>> [c.name for c in model_checks("bilateral")][:2]
    ['model.law_closed_forms', 'model.bilateral_lambda_star']
    """
    _load_check_modules()
    users = set(modules)
    return [
        c
        for c in _REGISTRY.values()
        if c.applies_to(kind) and (c.module.startswith("datamech.") or c.module in users)
    ]


def run_model_checks(model: Any, checks: Iterable[Check]) -> list[CheckResult | Skipped]:
    """Run model checks on ``model``: a :class:`CheckResult` each, or :class:`Skipped`
    when a check raises :class:`NotApplicable`; never raises for a failing check."""
    out: list[CheckResult | Skipped] = []
    for check in checks:
        t0 = time.perf_counter()
        try:
            result = _run_one(check, model)
        except NotApplicable as why:
            out.append(Skipped(check.name, check.family, check.identity, str(why)))
            continue
        out.append(dataclasses.replace(result, seconds=time.perf_counter() - t0))
    return out


@dataclass(frozen=True)
class Skipped(ResultMixin):
    """A model check that does not apply to the model, and why."""

    name: str
    family: str
    identity: str
    reason: str


def _run_one(check: Check, *model: Any) -> CheckResult:
    t0 = time.perf_counter()
    try:
        passed, detail = _read_outcome(check.function(*model))
    except NotApplicable:
        raise
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
