"""sympy derivations for type laws written as expressions, each step bounded in time.

A user's expression must never hang ``simplify``, ``solve`` or ``integrate``.  Every
sympy step here runs through a :class:`Budget`: a deadline per step
(:data:`STEP_SECONDS`) and per law (:data:`LAW_SECONDS`), enforced with ``SIGALRM``
on the main thread (elsewhere the expensive steps are skipped).  A step that times out
or fails returns ``(False, reason)`` and the caller falls back to numerics and says so
in the law's notes, e.g. ``"reserve price: numeric (sympy: timed out after 4 s)"``.

The deciders answer ``True`` / ``False`` with a witness point, or ``None`` when sympy
cannot decide (then the law checks on a grid and labels the verdict so):

* :func:`sign_on`: is an expression nonnegative on an interval (a density, or the
  derivative of the virtual value)?
* :func:`nondecreasing`: piece by piece for ``Piecewise`` laws, with the jumps at the
  pieces' boundaries (phi may jump down where the density jumps up).

Examples
--------
>>> budget = Budget()
>>> sign_on(3 / sp.Integer(2) + 1 / (2 * V**2), sp.Interval.open(0, 1), budget).holds
True
>>> verdict = nondecreasing(V - sp.exp(V) - 1, sp.Interval.open(0, 3), budget)
>>> verdict.holds, round(verdict.witness, 3)
(False, 1.5)
"""

from __future__ import annotations

import math
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

__all__ = [
    "ClosedForms",
    "LAW_SECONDS",
    "P",
    "STEP_SECONDS",
    "V",
    "Budget",
    "SymbolicTimeout",
    "Verdict",
    "breakpoints",
    "call_with_deadline",
    "compile_expr",
    "critical_points",
    "end_index",
    "inverse_candidates",
    "nondecreasing",
    "pieces",
    "sign_on",
    "tidy",
    "to_float",
]

#: seconds one sympy step (simplify, solve, integrate, limit) may take
STEP_SECONDS = 4.0
#: seconds all the sympy steps of one law may take together
LAW_SECONDS = 12.0

#: the variable of a law's expression (a real symbol, as the parser builds it)
V = sp.Symbol("v", real=True)
#: the probability level of a quantile F^{-1}(p)
P = sp.Symbol("p", positive=True)


class SymbolicTimeout(BaseException):
    """Raised inside a sympy step when its deadline passes (a BaseException, so that
    sympy's own ``except Exception`` clauses cannot swallow it)."""


class _Unavailable(Exception):
    """No deadline can be enforced here (not the main thread, or no SIGALRM)."""


def call_with_deadline(fn: Callable[..., Any], seconds: float, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``, interrupted by :class:`SymbolicTimeout` after ``seconds``.

    Uses ``ITIMER_REAL``; an outer timer (a caller's own deadline) is saved and
    restored, and fires first when it is sooner.  Only on the main thread.  The signal
    can land where Python cannot raise (a weakref callback run by the garbage collector
    inside sympy, a bare ``except``): the timer then fires again every 50 ms until the
    step stops, and those swallowed timeouts are kept off ``sys.unraisablehook`` (which
    would print a traceback on stderr).

    >>> call_with_deadline(sum, 1.0, [1, 2])
    3
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):
        raise _Unavailable
    state = {"active": True, "fired": False}

    def handler(signum: int, frame: Any) -> None:
        if state["active"]:
            state["fired"] = True
            signal.setitimer(signal.ITIMER_REAL, 0.05)  # again, if this one is swallowed
            raise SymbolicTimeout

    outer_hook = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if not isinstance(unraisable.exc_value, SymbolicTimeout):
            outer_hook(unraisable)

    sys.unraisablehook = hook
    old_handler = signal.signal(signal.SIGALRM, handler)
    old_delay, old_interval = signal.getitimer(signal.ITIMER_REAL)
    start = time.monotonic()
    if old_delay > 0:
        seconds = min(seconds, old_delay)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-3))
    try:
        try:
            result = fn(*args, **kwargs)
        finally:
            state["active"] = False
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        sys.unraisablehook = outer_hook
        if old_delay > 0:
            left = old_delay - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), old_interval)
    if state["fired"]:  # the timeout was swallowed by a bare except: discard the result
        raise SymbolicTimeout
    return result


@dataclass
class Budget:
    """Time limits of a law's sympy steps, and the notes saying how each step went.

    ``run(name, fn, ...)`` returns ``(True, value)`` or ``(False, reason)``; ``notes``
    maps each step to ``"symbolic"`` or the reason it fell back.

    >>> b = Budget()
    >>> b.run("sum", sum, [1, 2])
    (True, 3)
    >>> b.run("bad", lambda: 1 / 0)
    (False, 'sympy failed (ZeroDivisionError)')
    """

    total: float = LAW_SECONDS
    step: float = STEP_SECONDS
    notes: dict[str, str] = field(default_factory=dict)
    deadline: float = field(init=False)

    def __post_init__(self) -> None:
        self.deadline = time.monotonic() + self.total

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def run(self, name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[bool, Any]:
        seconds = min(self.step, self.remaining())
        if seconds <= 0.05:
            reason = f"skipped (the law's sympy budget of {self.total:g} s is spent)"
        else:
            try:
                return True, call_with_deadline(fn, seconds, *args, **kwargs)
            except SymbolicTimeout:
                reason = f"timed out after {seconds:.3g} s"
            except _Unavailable:
                reason = "skipped (sympy steps are time-bounded on the main thread only)"
            except RecursionError:
                reason = "sympy failed (recursion too deep)"
            except Exception as exc:  # noqa: BLE001 - any sympy failure means: use numerics
                reason = f"sympy failed ({type(exc).__name__})"
        self.notes.setdefault(name, reason)
        return False, reason


def to_float(x: Any) -> float:
    """A sympy number as a float (``inf`` for oo, ``nan`` when it is not a real number).

    >>> to_float(sp.sqrt(3) / 3), to_float(sp.oo), to_float(sp.I)
    (0.5773502691896257, inf, nan)
    """
    try:
        z = complex(sp.N(x, 30))
    except (TypeError, ValueError, OverflowError):
        return math.nan
    if z.imag != 0 and abs(z.imag) > 1e-12 * max(1.0, abs(z.real)):
        return math.nan
    return z.real


def tidy(expr: sp.Expr, budget: Budget, name: str) -> sp.Expr:
    """``expr`` simplified within the budget (unchanged when sympy runs out of time)."""
    ok, out = budget.run(name, sp.simplify, expr)
    return out if ok and isinstance(out, sp.Expr) and not out.has(sp.nan) else expr


def _piecewise(expr: sp.Expr) -> sp.Expr:
    """Abs/Min/Max/sign as Piecewise, and any Piecewise pulled to the top."""
    e = expr
    if e.has(sp.Abs, sp.Min, sp.Max, sp.sign):
        e = e.rewrite(sp.Piecewise)
    return sp.piecewise_fold(e) if e.has(sp.Piecewise) else e


def pieces(
    expr: sp.Expr, interval: sp.Interval, budget: Budget
) -> list[tuple[sp.Expr, sp.Interval]] | None:
    """``expr`` on ``interval`` as (formula, subinterval) pieces, left to right (one
    piece when it is not piecewise); ``None`` when the conditions cannot be read.

    >>> pieces(sp.Piecewise((V, V <= 1), (2 * V, True)), sp.Interval(0, 3), Budget())
    [(v, Interval(0, 1)), (2*v, Interval.Lopen(1, 3))]
    """

    def split() -> list[tuple[sp.Expr, sp.Interval]]:
        e = _piecewise(expr)
        if not isinstance(e, sp.Piecewise):
            return [(e, interval)]
        out: list[tuple[sp.Expr, sp.Interval]] = []
        rest: sp.Set = interval
        for value, cond in e.args:
            where = sp.S.Reals if cond is sp.true else cond.as_set()
            here = sp.Intersection(rest, where)
            rest = sp.Complement(rest, where)
            parts = here.args if isinstance(here, sp.Union) else (here,)
            for part in parts:
                if isinstance(part, sp.Interval) and part.measure > 0:
                    out.append((value, part))
                elif not (part.is_empty or isinstance(part, sp.FiniteSet)):
                    raise ValueError(f"unreadable piece {part}")
        return sorted(out, key=lambda t: to_float(t[1].start))

    ok, out = budget.run("pieces", split)
    return out if ok else None


def breakpoints(expr: sp.Expr, lo: float, hi: float) -> list[float]:
    """Where the pieces of a piecewise expression meet, inside (lo, hi): the numbers
    compared with v in its conditions (after Abs/Min/Max are rewritten).

    >>> breakpoints(sp.Piecewise((V, V <= 1), (2 * V, V < 2), (3, True)), 0, 3)
    [1.0, 2.0]
    """
    try:
        e = _piecewise(expr)
    except Exception:  # noqa: BLE001 - a rewrite sympy cannot do leaves no breakpoints
        return []
    out = set()
    for pw in e.atoms(sp.Piecewise):
        for _, cond in pw.args:
            if not isinstance(cond, sp.logic.boolalg.Boolean):
                continue
            for rel in cond.atoms(sp.core.relational.Relational):
                if rel.lhs == V and rel.rhs.is_number:
                    x = to_float(rel.rhs)
                elif rel.rhs == V and rel.lhs.is_number:
                    x = to_float(rel.lhs)
                else:
                    continue
                if lo < x < hi:
                    out.add(x)
    return sorted(out)


@dataclass(frozen=True)
class Verdict:
    """A decision: ``holds`` True/False (``None`` = undecided), a ``witness`` point where
    it fails, and ``how`` (the reason or the method, for labels)."""

    holds: bool | None
    witness: float | None = None
    how: str = ""


def _point_in(s: sp.Set) -> float | None:
    """A point inside a nonempty set of reals (its midpoint, or a finite point)."""
    if isinstance(s, sp.Union):
        s = s.args[0]
    if isinstance(s, sp.FiniteSet):
        return to_float(next(iter(s)))
    if isinstance(s, sp.Interval):
        a, b = to_float(s.start), to_float(s.end)
        if math.isinf(b):
            return a + 1.0 if math.isfinite(a) else 0.0
        return (a + b) / 2
    return None


def sign_on(expr: sp.Expr, interval: sp.Interval, budget: Budget) -> Verdict:
    """Is ``expr >= 0`` on ``interval``?  By sympy's assumptions (v = start + t, t > 0)
    or ``solveset(expr < 0)``; a witness where it is negative when it is not."""
    if not expr.has(V):
        x = to_float(expr)
        if math.isnan(x):
            return Verdict(None, how="not a real number")
        return Verdict(x >= 0, None if x >= 0 else _point_in(interval), "constant")
    start = interval.start
    if start.is_finite:
        t = sp.Symbol("t", positive=True)
        ok, shifted = budget.run("assumptions", lambda: sp.simplify(expr.subs(V, start + t)))
        if ok:
            if shifted.is_nonnegative:
                return Verdict(True, how="sympy's assumptions")
            if shifted.is_negative and interval.measure > 0:
                return Verdict(False, _point_in(interval), "sympy's assumptions")
    ok, neg = budget.run("solveset", sp.solveset, expr < 0, V, interval)
    if not ok or isinstance(neg, sp.ConditionSet) or neg.has(sp.ConditionSet):
        return Verdict(None, how=neg if not ok else "solveset could not decide")
    if neg.is_empty:
        return Verdict(True, how="solveset")
    if isinstance(neg, sp.FiniteSet):  # negative at isolated points only: impossible
        return Verdict(None, how="solveset returned points")
    return Verdict(False, _point_in(neg), "solveset")


def nondecreasing(expr: sp.Expr, interval: sp.Interval, budget: Budget) -> Verdict:
    """Is ``expr`` nondecreasing on ``interval``?  Its derivative is nonnegative on
    every piece (:func:`sign_on`) and it does not jump down where pieces meet."""
    parts = pieces(expr, interval, budget)
    if parts is None:
        return Verdict(None, how="pieces unreadable")
    for (left, _), (right, b) in zip(parts, parts[1:], strict=False):
        x = b.start
        ok, jump = budget.run(
            "jump", lambda r=right, f=left, t=x: to_float(r.subs(V, t) - f.subs(V, t))
        )
        if not ok or math.isnan(jump):
            return Verdict(None, how="jump at a breakpoint undecided")
        if jump < -1e-20 * (1 + abs(to_float(left.subs(V, x)))):
            return Verdict(False, to_float(x), f"jumps down by {-jump:.6g} at a breakpoint")
    for formula, piece in parts:
        ok, d = budget.run("derivative", lambda f=formula: sp.simplify(sp.diff(f, V)))
        if not ok:
            return Verdict(None, how=d)
        verdict = sign_on(d, sp.Interval.open(piece.start, piece.end), budget)
        if verdict.holds is not True:
            return verdict
    return Verdict(True, how="the derivative is nonnegative on every piece")


def inverse_candidates(cdf: sp.Expr, budget: Budget) -> list[sp.Expr]:
    """The solutions of F(v) = p for v (sympy ``solve``), to be validated numerically
    by the caller; Piecewise branches with ``nan`` elsewhere are merged into one.

    >>> inverse_candidates(V**2, Budget())
    [-sqrt(p), sqrt(p)]
    """
    ok, sols = budget.run("quantile", sp.solve, sp.Eq(cdf, P), V)
    if not ok or not isinstance(sols, list):
        return []
    out = [s for s in sols if isinstance(s, sp.Expr)]
    branches = []
    for s in out:
        if isinstance(s, sp.Piecewise) and len(s.args) == 2 and s.args[1][0] is sp.nan:
            branches.append(s.args[0])
    if len(branches) > 1:
        out.append(sp.Piecewise(*branches, (sp.nan, True)))
    return out


def critical_points(expr: sp.Expr, interval: sp.Interval, budget: Budget) -> list[sp.Expr] | None:
    """The roots of ``expr`` in ``interval``, piece by piece (a piece where sympy lists
    no roots but proves the sign constant has none); ``None`` when sympy cannot tell.

    >>> critical_points(V / 2 - sp.Rational(1, 2), sp.Interval(0, sp.oo), Budget())
    [1]
    >>> critical_points(V - 1 + sp.exp(V - 5), sp.Interval(2, 5), Budget())
    []
    """
    parts = pieces(expr, interval, budget)
    if parts is None:
        return None
    out: list[sp.Expr] = []
    for formula, piece in parts:
        ok, roots = budget.run("roots", sp.solveset, formula, V, piece)
        if ok and isinstance(roots, sp.FiniteSet):
            out.extend(roots.args)
            continue
        if ok and roots.is_empty:
            continue
        inner = sp.Interval.open(piece.start, piece.end)
        if sign_on(formula, inner, budget).holds or sign_on(-formula, inner, budget).holds:
            continue  # of one sign on the piece: no crossing inside it
        return None
    return sorted(set(out), key=to_float)


def end_index(expr: sp.Expr, at: Any, budget: Budget, name: str) -> float | None:
    """lim log(expr)/log(v - at) at ``at`` (from the right; at oo: log v): the power
    of a CDF's head or a survival's tail (``inf`` for lighter than any power).

    >>> end_index((1 + V) ** -2, sp.oo, Budget(), "tail")
    -2.0
    >>> end_index(V**2, 0, Budget(), "head")
    2.0
    """
    if at is sp.oo:
        arg, point, direction = sp.log(expr) / sp.log(V), sp.oo, "-"
    else:
        arg, point, direction = sp.log(expr) / sp.log(V - at), at, "+"
    ok, value = budget.run(name, sp.limit, arg, V, point, direction)
    if not ok:
        return None
    x = to_float(value)
    return None if math.isnan(x) else x


def compile_expr(expr: sp.Expr) -> Callable[[Any], np.ndarray]:
    """``expr`` (in v) as a vectorized float function: ``nan`` where it is not real.

    Arrays go through numpy (``lambdify``); a scalar goes through the ``math`` module
    (ten times cheaper: the solvers' quadratures call laws one point at a time), and
    through numpy when ``math`` refuses it (a pole, a domain error).
    """
    expr = expr.xreplace({sp.zoo: sp.nan})  # 1/0 on a piece with no density
    fn = sp.lambdify(V, expr, modules=["scipy", "numpy"])
    try:
        scalar_fn = sp.lambdify(V, expr, modules="math")
    except Exception:  # noqa: BLE001 - no math-module printing: numpy for scalars too
        scalar_fn = None

    def vector(x: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            y = fn(x)
        if type(y) is np.ndarray and y.dtype == np.float64 and y.shape == x.shape:
            return y  # the usual case, kept cheap: the solvers call this in inner loops
        y = np.asarray(y)
        if np.iscomplexobj(y):
            y = np.where(np.abs(y.imag) <= 1e-12 * (1 + np.abs(y.real)), y.real, np.nan)
        if y.dtype == object:
            y = np.array([to_float(t) for t in y.ravel()]).reshape(y.shape)
        y = y.astype(float)
        return y if y.shape == x.shape else np.array(np.broadcast_to(y, x.shape))

    def call(x: Any) -> np.ndarray:
        if scalar_fn is not None and type(x) in (float, np.float64):
            try:
                y = scalar_fn(x)
                if type(y) is float:
                    return np.array(y)
                if type(y) in (int, bool):
                    return np.array(float(y))
            except (ValueError, OverflowError, ZeroDivisionError, TypeError):
                pass
        return vector(np.asarray(x, dtype=float))

    return call


@dataclass(frozen=True)
class ClosedForms:
    """The closed forms of a type law (sympy expressions in v; the quantile in p, the
    revenue curve in q); ``None`` where sympy gave none (then the ``*_value`` floats
    come from numerics and ``notes`` says why).  :meth:`latex` prints them.

    Fields: ``family``, ``support`` (sympy bounds), ``cdf`` F, ``pdf`` f, ``survival``
    1 - F, ``virtual_value`` phi = v - (1 - F)/f, ``virtual_cost`` v + F/f,
    ``quantile`` F^{-1}(p), ``revenue_curve`` R(q) = q F^{-1}(1 - q),
    ``reserve_price``, ``monopoly_revenue`` and ``mean`` (with float ``*_value``),
    ``regular`` / ``regularity`` and ``cost_regular`` / ``cost_regularity`` (the
    verdicts and how they were decided), ``notes`` (step -> how it fell back).

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital Good with
      Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    """

    family: str
    support: tuple[sp.Expr, sp.Expr]
    cdf: sp.Expr | None
    pdf: sp.Expr
    survival: sp.Expr | None
    virtual_value: sp.Expr | None
    virtual_cost: sp.Expr | None
    quantile: sp.Expr | None
    revenue_curve: sp.Expr | None
    reserve_price: sp.Expr | None
    reserve_value: float
    monopoly_revenue: sp.Expr | None
    monopoly_value: float
    mean: sp.Expr | None
    mean_value: float
    regular: bool
    regularity: str
    cost_regular: bool
    cost_regularity: str
    notes: dict[str, str] = field(default_factory=dict)

    _EXPRS = (
        "cdf",
        "pdf",
        "survival",
        "virtual_value",
        "virtual_cost",
        "quantile",
        "revenue_curve",
        "reserve_price",
        "monopoly_revenue",
        "mean",
    )

    def latex(self) -> dict[str, str]:
        """Each closed form as LaTeX (those sympy found).

        >>> from datamech.models.distributions import ExpressionLaw
        >>> ExpressionLaw(cdf="v", support=[0, 1]).closed_forms().latex()["virtual_value"]
        '2 v - 1'
        """
        return {k: sp.latex(getattr(self, k)) for k in self._EXPRS if getattr(self, k) is not None}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: each form as text and LaTeX, the floats, verdicts and notes."""
        out: dict[str, Any] = {"family": self.family, "support": [str(s) for s in self.support]}
        for k in self._EXPRS:
            e = getattr(self, k)
            out[k] = None if e is None else str(e)
        out["latex"] = self.latex()
        for k in ("reserve_value", "monopoly_value", "mean_value"):
            out[k] = getattr(self, k)
        for k in ("regular", "regularity", "cost_regular", "cost_regularity", "notes"):
            out[k] = getattr(self, k)
        return out

    def format(self) -> str:
        """One line per closed form (text), then the verdicts and notes."""
        lo, hi = self.support
        lines = [f"{self.family} law on [{lo}, {hi}]"]
        for k in self._EXPRS:
            e = getattr(self, k)
            lines.append(f"  {k}: {e if e is not None else '(numeric only)'}")
        lines.append(f"  reserve = {self.reserve_value:.12g}, revenue = {self.monopoly_value:.12g}")
        lines.append(f"  regular: {self.regular} ({self.regularity})")
        lines.append(f"  cost regular: {self.cost_regular} ({self.cost_regularity})")
        lines.extend(f"  note: {k}: {v}" for k, v in self.notes.items())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"ClosedForms({self.family}, phi={self.virtual_value}, "
            f"reserve={self.reserve_price if self.reserve_price is not None else self.reserve_value}, "
            f"regular={self.regular})"
        )
