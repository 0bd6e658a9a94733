"""A type law written as an expression: ``family = "expression"`` (issue 17).

.. code-block:: toml

    [buyer]
    family = "expression"
    cdf = "1 - (1 + v)**-2"        # or pdf = "..."; the variable is v
    support = [0, "inf"]

The text is read by :func:`datamech.expressions.parse_expression` (whitelisted syntax,
the functions of :data:`~datamech.expressions.LAW_FUNCTIONS`; never ``eval``).  sympy then
derives the density (or the CDF, from a ``pdf``), the survival 1 - F, the virtual value
phi = v - (1 - F)/f (spec 003 §2.1), the virtual cost c + F/f (§4.4), the quantile
F^{-1}(p) and the revenue curve R(q) = q F^{-1}(1 - q), the monopoly reserve (the
roots of phi, or the breakpoints of a piecewise law, whichever maximizes p (1 - F(p)))
and revenue, the tail powers that decide which moments are finite, and regularity
(phi nondecreasing) and cost regularity (c + F/f nondecreasing) — proved symbolically
where sympy can, otherwise checked on a grid of quantiles and labelled so.  Every sympy
step is bounded in time (:mod:`.derivation`); a step that fails or times out falls back
to numerics, and :attr:`ExpressionLaw.notes` says which.  The formulas are compiled with
``sympy.lambdify`` to vectorized numpy functions, and the law then behaves like the
built-in families: regular laws use the closed-form phi, irregular ones are ironed on
the price ladder by the same hull code (:mod:`.ironing`) as every other law.

Validation (``ModelError`` naming ``cdf``, ``pdf`` or ``support`` and the point where
the law fails): the expression uses only ``v``; it is a real number on the support; F
is nondecreasing (density >= 0, also proved symbolically where possible), starts at 0,
ends at 1, and has no jumps (atoms belong in a ``mixture`` with a discrete component); a
``pdf`` integrates to 1.  The support is ``[low, high]`` with 0 <= low < high <= 1e12
or ``high = "inf"``.

Examples
--------
>>> law = ExpressionLaw(cdf="1 - (1 + v)**-2", support=[0, "inf"])
>>> law.closed_forms().virtual_value, law.reserve_price(), law.monopoly_revenue()
(v/2 - 1/2, 1.0, 0.25)
>>> law.regular, law.regularity
(True, 'proved symbolically (sympy: the derivative is nonnegative on every piece)')
>>> ExpressionLaw(cdf="v**2 - v", support=[0, 1])
Traceback (most recent call last):
...
datamech.errors.ModelError: buyer.cdf: decreases at v = 0 (its derivative is -1 there); a CDF must be nondecreasing
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import sympy as sp
from scipy import integrate, optimize

from ...errors import ModelError
from ...expressions import LAW_FUNCTIONS, as_sympy, parse_expression
from ...numeric import fmt
from .base import GRID, TypeDistribution, as_output, clip_at_zero
from .continuous import ContinuousLaw
from .derivation import (
    Budget,
    ClosedForms,
    P,
    V,
    breakpoints,
    compile_expr,
    critical_points,
    end_index,
    inverse_candidates,
    nondecreasing,
    sign_on,
    tidy,
    to_float,
)
from .reading import read_param
from .rlaw import RLaw

__all__ = ["CHECK_POINTS", "REGULARITY_GRID", "ClosedForms", "ExpressionLaw"]

CHECK_POINTS = 2048  #: points of the support where the law is validated numerically
REGULARITY_GRID = 20_000  #: quantiles on which regularity is checked when not proved
TOL = 1e-9  #: tolerance of the numerical validation (CDF in [0, 1], monotone, total 1)
Q = sp.Symbol("q", positive=True)  #: the quantile variable of the revenue curve
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(24)


def _read_support(support: Any, where: str) -> tuple[Any, Any]:
    field_ = f"{where}.support"
    if not isinstance(support, (list, tuple)) or len(support) != 2:
        raise ModelError(field_, 'must be [low, high], e.g. [0, 1] or [0, "inf"]')
    lo = read_param(support[0], f"{field_}[0]")
    hi = read_param(support[1], f"{field_}[1]", allow_inf=True)
    if not hi > lo:
        raise ModelError(f"{field_}[1]", f"must exceed low = {fmt(lo)}, got {fmt(hi)}")
    return lo, hi


class ExpressionLaw(ContinuousLaw):
    """A continuous type law given by a CDF or a density in ``v`` (see the module).

    Parameters
    ----------
    cdf, pdf : str
        Exactly one: the expression in ``v`` (Python syntax, ``**`` for powers).
    support : [low, high]
        0 <= low < high <= 1e12, or ``high = "inf"``.
    where : str
        The model-file field of the law, named in errors (``"buyers[0]"``).

    Attributes
    ----------
    regular, cost_regular : bool
        phi (c + F/f) nondecreasing; ``regularity`` / ``cost_regularity`` say how
        it was decided ("proved symbolically (...)" or "checked numerically on ...").
    notes : dict
        Each derivation step that fell back to numerics, and why.

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.

    Examples
    --------
    >>> law = ExpressionLaw(cdf="v**2", support=[0, 1])
    >>> law.closed_forms().reserve_price, round(law.reserve_price(), 12)
    (sqrt(3)/3, 0.57735026919)
    >>> ExpressionLaw(pdf="2*v", support=[0, 1]).closed_forms().cdf
    v**2
    """

    family = "expression"

    def __init__(
        self,
        cdf: str | None = None,
        pdf: str | None = None,
        support: Sequence[Any] | None = None,
        where: str = "buyer",
    ):
        self.where = where
        if (cdf is None) == (pdf is None):
            raise ModelError(f"{where}.cdf", "give exactly one of cdf or pdf (an expression in v)")
        if support is None:
            raise ModelError(f"{where}.support", 'is required ([low, high], high may be "inf")')
        lo, hi = _read_support(support, where)
        kind = "cdf" if cdf is not None else "pdf"
        text = cdf if cdf is not None else pdf
        expr = parse_expression(
            text,
            field=f"{where}.{kind}",
            names=("v",),
            functions=LAW_FUNCTIONS,
            assumptions={"real": True},
        )
        self._setup(kind, text, expr, lo, hi, "expression")

    @classmethod
    def from_sympy(
        cls, cdf: sp.Expr, low: Any, high: Any, where: str = "buyer", family: str = "expression"
    ) -> ExpressionLaw:
        """The law with CDF ``cdf`` (a sympy expression in :data:`V`) on [low, high]; how
        :func:`datamech.symbolic.closed_forms` derives the built-in families."""
        out = cls.__new__(cls)
        out.where = where
        lo, hi = _read_support([low, high if math.isfinite(float(high)) else "inf"], where)
        out._setup("cdf", str(cdf), cdf, lo, hi, family)
        return out

    # ------------------------------------------------------------------ derivation
    def _setup(self, kind: str, text: str, expr: sp.Expr, lo: Any, hi: Any, label: str) -> None:
        self.kind, self.text, self.label = kind, text, label
        self.low, self.high = lo, hi
        self._lo, self._hi = float(lo), float(hi)
        self._slo = as_sympy(lo)
        self._shi = sp.oo if math.isinf(self._hi) else as_sympy(hi)
        self.bounds = (self._slo, self._shi)  #: the support as sympy numbers (oo for inf)
        self.field = f"{self.where}.{kind}"
        self.notes: dict[str, str] = {}
        self._cache: dict[str, Any] = {}
        if kind == "cdf" and not expr.has(V):
            raise ModelError(self.field, f"{text!r} does not depend on v; a CDF must")
        budget = Budget()
        self._budget_notes = budget.notes
        if kind == "cdf":
            F: sp.Expr | None = expr
            f = tidy(sp.diff(expr, V), budget, "pdf")
        else:
            f = expr
            F = self._integrate_pdf(f, budget)
        self._breaks = breakpoints(f if F is None else F, self._lo, self._hi)
        S = None if F is None else tidy(1 - F, budget, "survival")
        self.sym = {"cdf": F, "pdf": f, "survival": S, "virtual_value": None, "virtual_cost": None}
        self._f = self._compiled(f, "pdf")
        if F is not None:
            self._F, self._S = self._compiled(F, "cdf"), self._compiled(S, "cdf")
        else:
            self._numeric_cdf()
        self._validate(budget)
        if F is not None:
            phi = tidy(V - S / f, budget, "virtual value")
            vc = tidy(V + F / f, budget, "virtual cost")
            self.sym["virtual_value"], self.sym["virtual_cost"] = phi, vc
            self._phi, self._vc = compile_expr(phi), compile_expr(vc)
        else:
            self._phi = lambda x: np.asarray(x, float) - self._S(x) / self._f(x)
            self._vc = lambda x: np.asarray(x, float) + self._F(x) / self._f(x)
        self._quantile_fn = self._symbolic_quantile(budget) or self._numeric_quantile
        self.regular, self.regularity = self._monotone("virtual_value", self._phi, budget)
        self.cost_regular, self.cost_regularity = self._monotone("virtual_cost", self._vc, budget)
        self.notes.update(budget.notes)

    def _compiled(self, expr: sp.Expr, name: str) -> Callable[[Any], np.ndarray]:
        try:
            fn = compile_expr(expr)
            fn(np.array([self._lo, (self._lo + min(self._hi, self._lo + 2)) / 2]))
        except Exception as exc:  # noqa: BLE001 - lambdify/numpy cannot evaluate it
            raise ModelError(
                f"{self.where}.{name if name == self.kind else self.kind}",
                f"cannot be evaluated numerically ({type(exc).__name__}: {exc})",
            ) from None
        return fn

    def _integrate_pdf(self, f: sp.Expr, budget: Budget) -> sp.Expr | None:
        t = sp.Dummy("t", real=True)
        ok, F = budget.run("cdf", sp.integrate, f.subs(V, t), (t, self._slo, V))
        if ok and isinstance(F, sp.Expr) and not F.has(sp.Integral, sp.nan, sp.zoo):
            return tidy(F, budget, "cdf")
        self.notes["cdf"] = f"numeric (sympy integrate: {F if not ok else 'no closed form'})"
        return None

    def _numeric_cdf(self) -> None:
        """F from the density by quadrature: exact panel sums plus 24-point
        Gauss-Legendre inside a panel (breakpoints are panel edges)."""
        lo, hi = self._lo, self._hi
        if math.isfinite(hi):
            edges = np.linspace(lo, hi, 257)
        else:
            edges = lo + np.concatenate([[0.0], np.geomspace(1e-6, 1e12, 400)])
        edges = np.unique(np.concatenate([edges, self._breaks]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parts = [self._quad(self._f, a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]
            tail = self._quad(self._f, edges[-1], hi) if math.isinf(hi) else 0.0
        cum = np.concatenate([[0.0], np.cumsum(parts)])
        total = cum[-1] + tail
        if not (math.isfinite(total) and total > 0):
            raise ModelError(self.field, f"its integral over the support is {fmt(total)}, not 1")
        self._pdf_total = total
        self._edges, self._cum = edges, cum / total

        def F(x: Any) -> np.ndarray:
            x = np.asarray(x, dtype=float)
            xc = np.clip(x, lo, edges[-1])
            k = np.clip(np.searchsorted(edges, xc, side="right") - 1, 0, len(edges) - 2)
            a = edges[k]
            half = (xc - a) / 2
            nodes = a[..., None] + half[..., None] * (_GL_NODES + 1)
            body = np.sum(self._f(nodes) * _GL_WEIGHTS, axis=-1) * half / total
            out = self._cum[k] + np.nan_to_num(body)
            beyond = x > edges[-1]
            if np.any(beyond):
                out[beyond] = [1 - self._quad(self._f, t, hi) / total for t in x[beyond]]
            return np.clip(np.where(x < lo, 0.0, out), 0.0, 1.0)

        self._F = F
        self._S = lambda x: 1.0 - F(x)

    @staticmethod
    def _quad(fn: Callable[[Any], np.ndarray], a: float, b: float, points: Any = None) -> float:
        def g(t: float) -> float:
            return float(fn(np.array([t]))[0])

        kw = {"points": points} if points is not None and math.isfinite(b) else {}
        val, _ = integrate.quad(g, a, b, epsabs=0, epsrel=1e-12, limit=500, **kw)
        return val

    # ------------------------------------------------------------------ validation
    def _check_points(self) -> np.ndarray:
        lo, hi = self._lo, self._hi
        if math.isfinite(hi):
            w = hi - lo
            x = [np.linspace(lo, hi, CHECK_POINTS), lo + w * np.geomspace(1e-12, 1e-2, 64)]
            x.append(hi - w * np.geomspace(1e-12, 1e-2, 64))
        else:
            x = [lo + np.linspace(0, 1, CHECK_POINTS // 2), lo + np.geomspace(1e-12, 1e12, 1024)]
        for b in self._breaks:
            x.append(b + max(abs(b), 1.0) * np.array([-1e-9, 0.0, 1e-9]))
        pts = np.unique(np.concatenate(x))
        return pts[(pts >= lo) & (pts <= hi)]

    def _validate(self, budget: Budget) -> None:
        x = self._check_points()
        f = self._f(x)
        shown = self.kind
        interior = x[(x > self._lo) & (x < self._hi)]
        bad = ~np.isfinite(f) & np.isin(x, interior)
        if np.any(bad):
            at = x[bad][0]
            raise ModelError(
                self.field,
                f"{'the density ' if shown == 'cdf' else ''}is not a finite real number at "
                f"v = {fmt(float(at))}",
            )
        scale = max(1.0, float(np.nanmax(np.abs(f))))
        neg = np.isfinite(f) & (f < -TOL * scale)
        if np.any(neg):
            self._negative(float(x[neg][0]), float(f[neg][0]))
        verdict = sign_on(self.sym["pdf"], sp.Interval.open(self._slo, self._shi), budget)
        if verdict.holds is False and verdict.witness is not None:
            w = verdict.witness
            fw = float(self._f(np.array([w]))[0])
            if fw < 0:
                self._negative(w, fw)
        self.density_check = (
            f"proved symbolically ({verdict.how})"
            if verdict.holds
            else f"checked numerically at {len(x):,} points"
        )
        if self.kind == "pdf":
            total = self._total_mass()
            if abs(total - 1) > 1e-6:
                raise ModelError(
                    self.field, f"integrates to {total:.9g} over the support {self._shown()}, not 1"
                )
            return
        F = self._F(x)
        if not np.all(np.isfinite(F)):
            at = x[~np.isfinite(F)][0]
            raise ModelError(self.field, f"is not a finite real number at v = {fmt(float(at))}")
        out = (F < -TOL) | (F > 1 + TOL)
        if np.any(out):
            j = int(np.argmax(out))
            raise ModelError(
                self.field,
                f"F({fmt(float(x[j]))}) = {F[j]:.9g} is not a probability (a CDF lies in [0, 1])",
            )
        drop = np.diff(F) < -TOL
        if np.any(drop):
            j = int(np.argmax(drop))
            raise ModelError(
                self.field,
                f"decreases between v = {fmt(float(x[j]))} and v = {fmt(float(x[j + 1]))} "
                f"(F from {F[j]:.9g} to {F[j + 1]:.9g}); a CDF must be nondecreasing",
            )
        start = float(self._F(np.array([self._lo]))[0])
        if not math.isfinite(start):
            start = float(F[1]) if len(F) > 1 else start
        if abs(start) > TOL:
            raise ModelError(
                self.field,
                f"F({fmt(self.low)}) = {start:.9g}; a CDF must be 0 at the lower end of "
                f"the support {self._shown()}",
            )
        end = self._upper_limit(budget)
        if abs(end - 1) > 1e-6:
            at = "as v -> inf" if math.isinf(self._hi) else f"at v = {fmt(self.high)}"
            raise ModelError(
                self.field,
                f"F = {end:.9g} {at}; a CDF must reach 1 at the upper end of the support "
                f"{self._shown()}",
            )
        total = self._total_mass()
        if abs(total - 1) > 1e-6:
            raise ModelError(
                self.field,
                f"jumps: its density integrates to {total:.9g}, not 1, over the support "
                f'{self._shown()} (atoms need family = "mixture" with a discrete component)',
            )

    def _negative(self, at: float, value: float) -> None:
        if self.kind == "pdf":
            raise ModelError(
                self.field,
                f"is negative at v = {fmt(at)} (f = {value:.6g}); a density must be >= 0",
            )
        raise ModelError(
            self.field,
            f"decreases at v = {fmt(at)} (its derivative is {value:.6g} there); "
            "a CDF must be nondecreasing",
        )

    def _shown(self) -> str:
        return f"[{fmt(self.low)}, {fmt(self.high)}]"

    def _upper_limit(self, budget: Budget) -> float:
        if math.isfinite(self._hi):
            return float(self._F(np.array([self._hi]))[0])
        ok, lim = budget.run("limit of F", sp.limit, self.sym["cdf"], V, sp.oo)
        if ok and math.isfinite(to_float(lim)):
            return to_float(lim)
        far = self._F(self._lo + np.array([1e12, 1e50, 1e300]))
        return float(far[-1]) if np.all(np.diff(far) >= -TOL) else math.nan

    def _total_mass(self) -> float:
        if self.kind == "pdf" and "numeric" in self.notes.get("cdf", ""):
            return float(self._pdf_total)
        pts = [b for b in self._breaks if self._lo < b < self._hi] or None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if math.isfinite(self._hi):
                return self._quad(self._f, self._lo, self._hi, pts)
            mid = self._lo + 1.0 if not pts else max(pts) + 1.0
            return self._quad(self._f, self._lo, mid, pts) + self._quad(self._f, mid, math.inf)

    # ------------------------------------------------------------------ quantile, regularity
    def _symbolic_quantile(self, budget: Budget) -> Callable[[Any], np.ndarray] | None:
        if self.sym["cdf"] is None:
            return None
        probe = np.concatenate([[1e-9, 1e-6, 1e-3], np.linspace(0.01, 0.99, 99), [0.999, 1 - 1e-6]])
        span = max(1.0, abs(self._lo)) if math.isinf(self._hi) else self._hi - self._lo
        for cand in inverse_candidates(self.sym["cdf"], budget):
            try:
                fn = compile_expr(cand.subs(P, V))
                q = fn(probe)
            except Exception:  # noqa: BLE001 - a candidate numpy cannot evaluate is no candidate
                continue
            inside = (q >= self._lo - 1e-12 * span) & (q <= self._hi + 1e-12 * span)
            if not (np.all(np.isfinite(q)) and np.all(inside) and np.all(np.diff(q) >= 0)):
                continue
            if np.max(np.abs(self._F(q) - probe)) > 1e-9:
                continue
            self.sym["quantile"] = cand
            return fn
        self.notes.setdefault("quantile", "numeric (no inverse of F from sympy passed the checks)")
        return None

    def _numeric_quantile(self, p: np.ndarray) -> np.ndarray:
        """inf{v : F(v) >= p} by bisection (on the survival for p > 1/2, so that the
        tail keeps its precision); brackets double out to the infinite support's end."""
        lo, hi = self._lo, self._hi
        upper = p > 0.5
        target = np.where(upper, 1 - p, p)

        def reached(x: np.ndarray) -> np.ndarray:
            return np.where(upper, self._S(x) <= target, self._F(x) >= target)

        a = np.full(p.shape, lo)
        if math.isfinite(hi):
            b = np.full(p.shape, hi)
        else:
            b = np.full(p.shape, lo + max(1.0, lo))
            for _ in range(1100):
                short = ~reached(b) & np.isfinite(b)
                if not short.any():
                    break
                a = np.where(short, b, a)
                b = np.where(short, b * 2, b)
        for _ in range(1100):
            mid = np.where((a > 0) & (b > 4 * a), np.sqrt(a * b), a + (b - a) / 2)
            live = (mid > a) & (mid < b) & np.isfinite(b)
            if not live.any():
                break
            ok = reached(mid)
            b = np.where(live & ok, mid, b)
            a = np.where(live & ~ok, mid, a)
        return b

    def _monotone(
        self, name: str, fn: Callable[[Any], np.ndarray], budget: Budget
    ) -> tuple[bool, str]:
        """Is the virtual value (cost) nondecreasing?  Symbolically, else on a grid."""
        expr = self.sym.get(name)
        if expr is not None:
            verdict = nondecreasing(expr, sp.Interval.open(self._slo, self._shi), budget)
            if verdict.holds is True:
                return True, f"proved symbolically (sympy: {verdict.how})"
            if verdict.holds is False and verdict.witness is not None:
                return False, (
                    f"proved symbolically: it decreases at v = {verdict.witness:.6g} (sympy: {verdict.how})"
                )
            self.notes.setdefault(name, f"regularity not decided by sympy ({verdict.how})")
        u = (np.arange(1, REGULARITY_GRID) + 0.5) / (REGULARITY_GRID + 1)
        x = np.unique(np.asarray(self.quantile(u), dtype=float))
        y = fn(x)
        keep = np.isfinite(y)
        x, y = x[keep], y[keep]
        drop = np.diff(y) < -1e-9 * (1 + np.abs(y[:-1]))
        how = f"checked numerically on a grid of {len(x):,} quantiles"
        if np.any(drop):
            j = int(np.argmax(drop))
            return False, f"{how}: it decreases at v = {x[j]:.6g}"
        return True, how

    # ------------------------------------------------------------------ the law's interface
    def params(self) -> dict[str, Any]:
        hi: Any = "inf" if math.isinf(self._hi) else self.high
        return {"family": "expression", self.kind: self.text, "support": [self.low, hi]}

    @property
    def support(self) -> tuple[Any, Any]:
        return self._lo, self._hi

    def _inside(self, fn: Callable[[Any], np.ndarray], v: Any, below: float, above: float) -> Any:
        v = np.asarray(v, dtype=float)
        out = np.where(v < self._lo, below, np.where(v > self._hi, above, 0.0))
        mask = (v >= self._lo) & (v <= self._hi)
        if np.any(mask):
            out = out.astype(float)
            out[mask] = fn(v[mask])
        return as_output(out)

    def cdf(self, v: Any) -> Any:
        return self._inside(lambda x: np.clip(self._F(x), 0.0, 1.0), v, 0.0, 1.0)

    def sf_ge(self, v: Any) -> Any:
        return self._inside(lambda x: np.clip(self._S(x), 0.0, 1.0), v, 1.0, 0.0)

    def pdf(self, v: Any) -> Any:
        return self._inside(lambda x: np.maximum(np.nan_to_num(self._f(x)), 0.0), v, 0.0, 0.0)

    def quantile(self, p: Any) -> Any:
        p = np.asarray(p, dtype=float)
        flat = np.atleast_1d(p)
        out = np.full(flat.shape, np.nan)
        mid = (flat > 0) & (flat < 1)
        out[flat == 0] = self._lo
        out[flat == 1] = self._hi
        if np.any(mid):
            out[mid] = np.clip(self._quantile_fn(flat[mid]), self._lo, self._hi)
        return as_output(out.reshape(p.shape))

    def _phi_closed(self, v: Any) -> Any:
        return as_output(self._phi(v))

    def virtual_cost(self, c: Any) -> Any:
        return as_output(self._vc(c))

    def ironed_virtual_cost(self, c: Any) -> Any:
        if self.cost_regular:
            return self.virtual_cost(c)
        return TypeDistribution.ironed_virtual_cost(self, c)

    def price_grid(self, grid: int = GRID) -> np.ndarray:
        """The quantile grid of the ladder (spec §2.1 rule 1), plus the breakpoints of a
        piecewise law and the reserve price, so that the hull's kinks and maximum lie on
        it exactly."""
        try:
            top = [self.reserve_price()]
        except ModelError:  # no maximum of p (1 - F(p)): nothing to add
            top = []
        extra = np.array([*self._breaks, *top], dtype=float)
        return np.unique(np.concatenate([super().price_grid(grid), extra]))

    def r_law(self, grid: int | None = None) -> RLaw:
        """Regular laws: the quantile form (as the continuous families); irregular ones:
        the table of the ironed price ladder (as mixtures, error O(1/grid))."""
        if self.regular:
            return super().r_law(grid)
        g = GRID if grid is None else int(grid)
        lad = self.ladder() if g == GRID else self._build_ladder(g)
        return RLaw.discrete(clip_at_zero(lad.ironed), lad.mass, grid=g)

    def _tail_param(self) -> str:
        return self.kind

    def _scale_param(self) -> str:
        return "support"

    # ------------------------------------------------------------------ reserve and revenue
    def _revenue(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x, float) * np.clip(self._S(np.asarray(x, float)), 0.0, 1.0)

    def _reserve_info(self) -> tuple[float, sp.Expr | None, sp.Expr | None]:
        """(reserve, its closed form, the monopoly revenue's closed form): the smallest
        maximizer of p (1 - F(p)); symbolic candidates checked against a numeric search."""
        if "reserve" in self._cache:
            return self._cache["reserve"]
        budget = Budget()
        best_x, best_rev = self._numeric_reserve()
        sym_x = sym_rev = None
        phi, S = self.sym["virtual_value"], self.sym["survival"]
        if phi is not None and S is not None:
            roots = critical_points(phi, sp.Interval(self._slo, self._shi), budget)
            if roots is not None:
                ends = [self._slo] if math.isinf(self._hi) else [self._slo, self._shi]
                cands = [*ends, *roots, *(sp.nsimplify(b, rational=True) for b in self._breaks)]
                revs = [to_float(c * S.subs(V, c)) for c in cands]
                j = max(range(len(cands)), key=lambda i: (revs[i], -to_float(cands[i])))
                if revs[j] >= best_rev - 1e-9 * max(1.0, abs(best_rev)):
                    sym_x = cands[j]
                    sym_rev = tidy(sym_x * S.subs(V, sym_x), budget, "monopoly revenue")
                    best_x = to_float(sym_x)
                else:
                    self.notes["reserve price"] = "numeric (sympy's candidates miss the maximum)"
            else:
                self.notes["reserve price"] = (
                    f"numeric ({budget.notes.get('roots', 'roots of phi not listed')})"
                )
        self.notes.update({k: v for k, v in budget.notes.items() if k not in self.notes})
        self._cache["reserve"] = (best_x, sym_x, sym_rev)
        return self._cache["reserve"]

    def _numeric_reserve(self) -> tuple[float, float]:
        u = np.concatenate([np.linspace(0, 1, 4097)[:-1], 1 - np.geomspace(1e-4, 1e-15, 120)])
        x = np.unique(np.concatenate([self.quantile(u), self._breaks, [self._lo]]))
        x = x[np.isfinite(x)]
        rev = self._revenue(x)
        j = int(np.nanargmax(rev))
        if j == len(x) - 1 and math.isinf(self._hi):
            far = x[-1] * np.geomspace(2, 1e6, 24)
            if np.nanmax(self._revenue(far)) > rev[j]:  # still rising beyond the grid
                raise ModelError(
                    self.field,
                    "the revenue p (1 - F(p)) grows without a maximum as p -> inf (phi < 0 "
                    "everywhere): this law has no reserve price or monopoly revenue",
                )
        a, b = x[max(j - 1, 0)], x[min(j + 1, len(x) - 1)]
        if b > a:
            fa, fb = float(self._phi(np.array([a]))[0]), float(self._phi(np.array([b]))[0])
            if math.isfinite(fa) and math.isfinite(fb) and fa < 0 < fb:
                root = optimize.brentq(
                    lambda t: float(self._phi(np.array([t]))[0]), a, b, xtol=1e-15
                )
                cand = [x[j], root]
            else:
                res = optimize.minimize_scalar(
                    lambda t: -float(self._revenue(np.array([t]))[0]),
                    bounds=(a, b),
                    method="bounded",
                    options={"xatol": 1e-14 * max(1.0, b)},
                )
                cand = [x[j], float(res.x)]
            revs = self._revenue(np.array(cand))
            k = int(np.argmax(revs))
            return float(cand[k]), float(revs[k])
        return float(x[j]), float(rev[j])

    def _reserve_closed(self) -> float:
        return self._reserve_info()[0]

    def reserve_price(self) -> float:
        """The smallest maximizer of p (1 - F(p)): the root of phi (or a breakpoint of a
        piecewise law) found by sympy, else by a numeric search (§2.1)."""
        return self._reserve_closed()

    def monopoly_revenue(self) -> float:
        v0 = self._reserve_closed()
        return float(self._revenue(np.array([v0]))[0])

    # ------------------------------------------------------------------ moments
    def _end_power(self, end: str) -> float | None:
        """``"head"``: a with F ~ (v - low)^a at low = 0; ``"tail"``: s with 1 - F ~ v^-s
        at an infinite top; by sympy limits or, failing that, two far points."""
        if end in self._cache:
            return self._cache[end]
        budget = Budget()
        out: float | None = None
        if end == "head" and self._lo == 0:
            if self.sym["cdf"] is not None:
                out = end_index(self.sym["cdf"], 0, budget, "head power")
            if out is None:
                F1, F2 = self._F(np.array([1e-6, 1e-10]))
                out = math.inf if F2 <= 0 else math.log(F1 / F2) / math.log(1e4)
        elif end == "tail" and math.isinf(self._hi):
            if self.sym["survival"] is not None:
                s = end_index(self.sym["survival"], sp.oo, budget, "tail power")
                out = None if s is None else -s
            if out is None:
                S1, S2 = self._S(self._lo + np.array([1e8, 1e12]))
                out = math.inf if S2 <= 0 else math.log(S1 / S2) / math.log(1e4)
                self.notes.setdefault("tail power", f"estimated numerically ({out:.6g})")
        self._cache[end] = out
        return out

    def moment(self, p: float) -> float:
        """E[V^p]: ``inf`` when the head or tail power makes it diverge, else quadrature
        of v^p f(v) to relative 1e-12 (closed forms: :meth:`closed_forms`)."""
        key = ("moment", float(p))
        if key in self._cache:
            return self._cache[key]
        head = self._end_power("head") if p < 0 else None
        tail = self._end_power("tail") if p > 0 else None
        if (head is not None and p <= -head) or (tail is not None and p >= tail):
            return math.inf

        def compute() -> float:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fn = self._f

                def g(x: Any) -> np.ndarray:
                    x = np.asarray(x, dtype=float)
                    return x**p * fn(x)

                pts = [b for b in self._breaks if self._lo < b < self._hi]
                if math.isfinite(self._hi):
                    return self._quad(g, self._lo, self._hi, pts or None)
                mid = (max(pts) if pts else self._lo) + 1.0
                return self._quad(g, self._lo, mid, pts or None) + self._quad(g, mid, math.inf)

        out = self._finite_moment(p, compute, "support")
        self._cache[key] = out
        return out

    def partial_mean(self, a: Any, b: Any) -> Any:
        """E[V; a < V <= b] by the antiderivative of v f(v) from sympy (checked against
        quadrature), else by the generic integration by parts."""
        G = self._antiderivative()
        if G is None:
            return super().partial_mean(a, b)
        fn, at_top = G
        lo, hi = self._lo, self._hi
        a, b = np.clip(np.asarray(a, float), lo, hi), np.clip(np.asarray(b, float), lo, hi)

        def G_at(x: np.ndarray) -> np.ndarray:
            return np.where(np.isinf(x), at_top, fn(np.where(np.isinf(x), lo, x)))

        with np.errstate(invalid="ignore"):
            out = np.where(b > a, G_at(b) - G_at(a), 0.0)
        return as_output(np.maximum(out, 0.0))

    def _antiderivative(self) -> tuple[Callable[[Any], np.ndarray], float] | None:
        if "antiderivative" in self._cache:
            return self._cache["antiderivative"]
        self._cache["antiderivative"] = None
        budget = Budget()
        ok, G = budget.run("partial mean", sp.integrate, V * self.sym["pdf"], V)
        if ok and isinstance(G, sp.Expr) and not G.has(sp.Integral):
            top = math.inf
            if math.isinf(self._hi):
                ok2, lim = budget.run("partial mean", sp.limit, G, V, sp.oo)
                top = to_float(lim) if ok2 else math.nan
            else:
                top = to_float(G.subs(V, self._shi))
            try:
                fn = compile_expr(G)
                probe = self.quantile(np.array([0.1, 0.5, 0.9]))
                want = [
                    self._quad(lambda x: np.asarray(x) * self._f(x), self._lo, t) for t in probe
                ]
                got = fn(probe) - fn(np.array([self._lo]))
                good = np.allclose(got, want, rtol=1e-9, atol=1e-12) and not math.isnan(top)
            except Exception:  # noqa: BLE001 - an antiderivative numpy cannot use: numerics
                good = False
            if good:
                self._cache["antiderivative"] = (fn, top)
        if self._cache["antiderivative"] is None:
            self.notes.setdefault(
                "partial mean", "numeric (no antiderivative of v f(v) from sympy)"
            )
        return self._cache["antiderivative"]

    # ------------------------------------------------------------------ closed forms
    def closed_forms(self) -> ClosedForms:
        """The law's closed forms (sympy) with the verdicts and how each was found.

        >>> ExpressionLaw(cdf="v**2", support=[0, 1]).closed_forms().virtual_value
        (3*v**2 - 1)/(2*v)
        """
        if "closed" in self._cache:
            return self._cache["closed"]
        x0, sym_x, sym_rev = self._reserve_info()
        budget = Budget()
        mean = None
        tail = self._end_power("tail")
        if not (tail is not None and tail <= 1):
            ok, m = budget.run("mean", sp.integrate, V * self.sym["pdf"], (V, self._slo, self._shi))
            if ok and isinstance(m, sp.Expr) and not m.has(sp.Integral) and m.is_finite:
                mean = tidy(m, budget, "mean")
        quant = self.sym.get("quantile")
        curve = None if quant is None else tidy(Q * quant.subs(P, 1 - Q), budget, "revenue curve")
        self.notes.update({k: v for k, v in budget.notes.items() if k not in self.notes})
        out = ClosedForms(
            family=self.label,
            support=self.bounds,
            cdf=self.sym["cdf"],
            pdf=self.sym["pdf"],
            survival=self.sym["survival"],
            virtual_value=self.sym["virtual_value"],
            virtual_cost=self.sym["virtual_cost"],
            quantile=quant,
            revenue_curve=curve,
            reserve_price=sym_x,
            reserve_value=x0,
            monopoly_revenue=sym_rev,
            monopoly_value=self.monopoly_revenue(),
            mean=mean,
            mean_value=float(self.moment(1)),
            regular=self.regular,
            regularity=self.regularity,
            cost_regular=self.cost_regular,
            cost_regularity=self.cost_regularity,
            notes=dict(self.notes),
        )
        self._cache["closed"] = out
        return out
