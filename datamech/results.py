"""The result contract every kind shares, declared once.

Every top-level result (what :func:`datamech.solve` returns, for every kind and
method) is a frozen dataclass deriving from :class:`Result` and carries:

``status``
    a :class:`datamech.status.Status`;
``objective``, ``objective_name``, ``objective_exact``
    the headline number as a float, what it is (``"social_welfare"``,
    ``"expected_profit"``, ``"revenue"``, ...), and the same number as a ``Fraction``
    when the method is exact (else ``None``; in JSON a ``"p/q"`` string);
``method``, ``backend``, ``solver``, ``seconds``
    the algorithm, the modelling layer (``highspy``, ``cvxpy``, ``pyomo`` or
    ``"none"``), the numerical solver that ran (``HiGHS``, ``Clarabel``, ``ripopt``, or
    ``"none"`` for closed forms and exact algorithms), and the wall-clock time;

and the methods ``to_dict()`` (JSON-ready, contract keys first), ``to_frame()`` (a
real table), ``format()`` (the command's text), ``plot()`` (a matplotlib figure),
``save_plots(dir)``, a short ``repr`` and ``_repr_html_`` for notebooks.  Family fields
keep the papers' names.

A family declares its headline with the class attribute ``_objective_field`` (the
field holding it) and optionally ``_objective_name``; ``objective``,
``objective_name`` and ``objective_exact`` are then derived from that field, never
stored twice.  Result dataclasses are declared ``@dataclass(frozen=True, repr=False)``
so the short repr here is used.
"""

from __future__ import annotations

import dataclasses
import html
import math
from fractions import Fraction
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

from .numeric import fmt, jsonable

__all__ = ["CONTRACT_KEYS", "Certificate", "Result", "ResultMixin", "SolveResult", "exact_text"]

#: Rows of ``to_frame()`` a notebook shows (``_repr_html_``); the rest are counted.
HTML_ROWS = 50

#: The keys every top-level result carries, in this order, in ``to_dict`` and in JSON.
CONTRACT_KEYS = (
    "status",
    "objective",
    "objective_name",
    "objective_exact",
    "method",
    "backend",
    "solver",
    "seconds",
)


@runtime_checkable
class SolveResult(Protocol):
    """What every top-level result offers (checked for every kind by the contract tests)."""

    status: Any
    method: str
    backend: str
    solver: str
    seconds: float

    @property
    def objective(self) -> float | None: ...

    @property
    def objective_name(self) -> str: ...

    @property
    def objective_exact(self) -> Fraction | None: ...

    def to_dict(self) -> dict[str, Any]: ...

    def to_frame(self): ...

    def format(self) -> str: ...

    def plot(self, ax=None): ...


def exact_text(x: Fraction | None) -> str | None:
    """A Fraction as ``"p/q"`` (``"3"`` for integers) for JSON; ``None`` stays ``None``.

    >>> exact_text(Fraction(3, 4)), exact_text(Fraction(2)), exact_text(None)
    ('3/4', '2', None)
    """
    return None if x is None else str(x)


class ResultMixin:
    """Conversions and the contract's derived fields, shared by all result dataclasses.

    Class attributes a family may set:

    ``_objective_field``
        The field holding the headline number (top-level results must set it).
    ``_objective_name``
        What the headline is called, if not the field's name.
    ``_frame_fields``
        Names of equal-length per-row arrays that form ``to_frame`` (else the family
        overrides ``to_frame``).
    ``_skip_fields``
        Fields left out of ``to_dict`` (large arrays).
    ``_summary_fields``
        Scalar fields shown in ``repr``/``format``/HTML besides the contract.
    """

    _objective_field: ClassVar[str | None] = None
    _objective_name: ClassVar[str | None] = None
    _frame_fields: ClassVar[tuple[str, ...]] = ()
    _skip_fields: ClassVar[tuple[str, ...]] = ()
    _summary_fields: ClassVar[tuple[str, ...]] = ()

    def _has_contract(self) -> bool:
        return isinstance(self, Result) and self._objective_field is not None

    def contract(self) -> dict[str, Any]:
        """The contract's keys and values (JSON-ready)."""
        out: dict[str, Any] = {}
        for key in CONTRACT_KEYS:
            value = getattr(self, key, None)
            if key == "objective_exact":
                out[key] = exact_text(value)
            elif key == "status" and value is not None:
                out[key] = str(getattr(value, "value", value))
            else:
                out[key] = jsonable(value)
        return out

    # ---------------------------------------------------------------- conversions
    def to_dict(self) -> dict[str, Any]:
        """All fields as JSON-ready values, the contract's keys first.

        Arrays become lists and Fractions floats (the exact headline is in
        ``objective_exact`` as ``"p/q"``).
        """
        out = self.contract() if self._has_contract() else {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            if f.name in self._skip_fields or f.name in out:
                continue
            value = getattr(self, f.name)
            out[f.name] = (
                str(getattr(value, "value", value)) if f.name == "status" else jsonable(value)
            )
        return out

    def to_frame(self):
        """The result's table as a pandas DataFrame (one row per entry of ``_frame_fields``)."""
        import pandas as pd

        if not self._frame_fields:
            return pd.DataFrame([self._scalars()])
        cols = {name: jsonable(getattr(self, name)) for name in self._frame_fields}
        return pd.DataFrame(cols)

    def _scalars(self) -> dict[str, Any]:
        """The result's scalar fields (numbers, strings, booleans), contract first."""
        out = self.contract() if self._has_contract() else {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if f.name not in out and isinstance(value, (int, float, str, bool, Fraction)):
                out[f.name] = value
        return out

    # ---------------------------------------------------------------- display
    def _headline(self) -> str:
        name = type(self).__name__
        if not self._has_contract():
            return name
        parts = [f"status={str(getattr(self.status, 'value', self.status))!r}"]
        if self.objective is not None:
            exact = self.objective_exact
            shown = str(exact) if exact is not None and len(str(exact)) <= 24 else None
            parts.append(f"{self.objective_name}={shown or format(self.objective, '.6g')}")
        for key in self._summary_fields:
            parts.append(f"{key}={_short(getattr(self, key))}")
        parts.append(f"method={self.method!r}")
        if getattr(self, "solver", None) not in (None, "none"):
            parts.append(f"solver={self.solver!r}")
        return f"{name}({', '.join(parts)})"

    def __repr__(self) -> str:
        return self._headline()

    def format(self) -> str:
        """The command's text: the headline, then the result's table."""
        lines = [self._headline()]
        if self._has_contract():
            backend = getattr(self, "backend", "none")
            lines.append(
                f"method {self.method}, backend {backend}, solver {self.solver}, "
                f"{self.seconds:.3g} s"
            )
        try:
            frame = self.to_frame()
        except (ValueError, TypeError):
            frame = None
        if frame is not None and len(frame):
            lines += ["", frame.to_string(index=False, float_format=lambda x: f"{x:.6g}")]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """A notebook's view: the headline and the result's table (its first 50 rows).

        >>> c = Certificate(ok=True, max_violation=0, tolerance=0.0, method="exact")
        >>> print(c._repr_html_().split("<table")[0])
        <p><code>Certificate(ok=True, max_violation=0, tolerance=0, method='exact')</code></p>
        """
        head = f"<p><code>{html.escape(repr(self), quote=False)}</code></p>"
        try:
            frame = self.to_frame()
        except (ValueError, TypeError):
            return head
        shown = frame.head(HTML_ROWS)
        table = shown.to_html(index=False, float_format=lambda x: f"{x:.6g}")
        if len(frame) > len(shown):
            table += f"<p>{len(shown)} of {len(frame)} rows; <code>to_frame()</code> has all.</p>"
        return head + table

    # ---------------------------------------------------------------- plots
    def plot(self, ax=None):
        """A matplotlib figure of the result (families override)."""
        raise NotImplementedError(f"{type(self).__name__} has no plot")

    def save_plots(self, out: str | Path, stem: str = "result") -> list[Path]:
        """Write ``plot()`` as ``stem.png`` and ``stem.pdf`` into the directory ``out``."""
        fig = self.plot()  # a matplotlib.figure.Figure: no pyplot state, no backend switch
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / f"{stem}.png", out / f"{stem}.pdf"]
        for p in paths:
            fig.savefig(p, bbox_inches="tight", dpi=150)
        return paths


class Result(ResultMixin):
    """The base of every top-level result: the contract's derived fields.

    ``objective``, ``objective_name`` and ``objective_exact`` are read from the field
    named by ``_objective_field`` (and ``_objective_name``), so a subclass has no field
    of those names.  Subclasses are ``@dataclass(frozen=True, repr=False)`` with the
    fields ``status``, ``method``, ``backend``, ``solver`` and ``seconds``.
    """

    # ---------------------------------------------------------------- the contract
    @property
    def objective(self) -> float | None:
        """The headline number as a float (``None`` if the result has none)."""
        if self._objective_field is None:
            return None
        value = getattr(self, self._objective_field)
        if value is None:
            return None
        try:
            return float(value)
        except OverflowError:  # an exact value beyond the float range
            return math.inf if value > 0 else -math.inf

    @property
    def objective_name(self) -> str | None:
        """What the headline number is (the paper's name for it)."""
        return self._objective_name or self._objective_field

    @property
    def objective_exact(self) -> Fraction | None:
        """The headline as a Fraction when the method computed it exactly, else ``None``."""
        if self._objective_field is None:
            return None
        value = getattr(self, self._objective_field)
        return value if isinstance(value, Fraction) else None


def _short(value: Any) -> str:
    if isinstance(value, (float, Fraction)) and not isinstance(value, bool):
        return format(float(value), ".6g")
    if isinstance(value, (int, str, bool)):
        return fmt(value) if isinstance(value, int) and not isinstance(value, bool) else repr(value)
    return type(value).__name__


@dataclasses.dataclass(frozen=True, repr=False)
class Certificate(ResultMixin):
    """What an independent check of a solution found: the one type every verifier returns.

    Parameters
    ----------
    ok : bool
        Whether the checked conditions hold to ``tolerance``.
    max_violation : float or Fraction
        The largest violation found (0 when everything holds exactly; exact checks give
        a Fraction).
    tolerance : float
        The violation allowed.
    method : str
        How it was checked ("enumeration of all valuation paths", "best-response search
        over a price grid", ...).
    detail : dict
        Family detail: where the worst violation is, per-condition maxima, counts.

    >>> c = Certificate(ok=True, max_violation=Fraction(0), tolerance=0.0, method="exact")
    >>> c
    Certificate(ok=True, max_violation=0, tolerance=0, method='exact')
    >>> c.to_dict()["max_violation"]
    0.0
    """

    ok: bool
    max_violation: float | Fraction
    tolerance: float
    method: str
    detail: dict = dataclasses.field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"Certificate(ok={self.ok}, max_violation={fmt(self.max_violation)}, "
            f"tolerance={fmt(self.tolerance)}, method={self.method!r})"
        )

    def __bool__(self) -> bool:
        return bool(self.ok)

    def to_frame(self):
        import pandas as pd

        rows = [{"check": k, "value": jsonable(v)} for k, v in self.detail.items()]
        return pd.DataFrame(
            rows or [{"check": "max_violation", "value": float(self.max_violation)}]
        )
