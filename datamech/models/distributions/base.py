"""The interface every type law implements, and what follows from it generically:
virtual values, revenue curves, ironing, reserve prices and the law of r (spec 003 §2.1).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import integrate

from ...errors import ModelError
from ...numeric import fmt
from ...sizes import FLOAT, check_memory
from .ironing import PriceLadder, pava
from .rlaw import RLaw

__all__ = ["GRID", "TypeDistribution", "as_output", "clip_at_zero", "py_scalar"]

GRID = 4096  #: prices per continuous component for numerical ironing (spec §2.1 rule 1)
#: bytes per grid price of a price ladder (prices, tails, masses, slopes, fits, blocks)
LADDER_BYTES = 10 * FLOAT


def py_scalar(x: Any) -> Any:
    """A numpy scalar as the Python number it holds (other objects unchanged).

    >>> type(py_scalar(np.float64(0.5))).__name__
    'float'
    """
    if isinstance(x, np.generic):
        return x.item()
    return x


def as_output(a: Any) -> Any:
    """What the law methods return: a Python scalar for 0-d input, else the array."""
    if not isinstance(a, np.ndarray):
        return py_scalar(a)
    return a.item() if a.ndim == 0 else a


def clip_at_zero(a: Any) -> np.ndarray:
    """(a)_+ entrywise, keeping Fractions exact.

    >>> clip_at_zero(np.array([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    """
    arr = np.asarray(a)
    if arr.dtype == object:
        out = np.array([x if x >= 0 else 0 for x in arr.ravel()], dtype=object)
        return out.reshape(arr.shape)
    return np.maximum(arr, 0.0)


class TypeDistribution:
    """Common interface of all type laws (see :mod:`datamech.models.distributions`).

    Subclasses implement ``cdf``, ``sf_ge`` (P(V >= v)), ``quantile``, ``support``,
    ``moment``, ``params``, ``discretize`` and either ``_phi_closed`` (regular continuous
    families) or a price ladder (``_build_ladder``).

    Class flags: ``discrete`` (finitely many atoms), ``regular`` (phi nondecreasing:
    ironing is the identity), ``exact_ladder`` (the price ladder is the law itself, so
    the law of r is an exact table) and ``cost_regular`` (F/f nondecreasing: virtual
    costs need no ironing).

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital Good with
      Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    """

    family: str = ""
    where: str = "buyer"
    discrete: bool = False
    regular: bool = False
    exact_ladder: bool = False
    cost_regular: bool = False

    # -- to be provided
    def cdf(self, v: Any) -> Any:
        raise NotImplementedError

    def sf_ge(self, v: Any) -> Any:
        """P(V >= v)."""
        raise NotImplementedError

    def quantile(self, p: Any) -> Any:
        """F^{-1}(p) = inf{v : F(v) >= p}."""
        raise NotImplementedError

    @property
    def support(self) -> tuple[Any, Any]:
        raise NotImplementedError

    def moment(self, p: float) -> Any:
        """E[V^p]: ``inf`` when infinite; ``ModelError`` when finite but beyond floats."""
        raise NotImplementedError

    def params(self) -> dict[str, Any]:
        """The model-file table of this law (``family`` and its parameters)."""
        raise NotImplementedError

    def discretize(self, grid: int = GRID) -> TypeDistribution:
        """A discrete law on this law's price ladder (see :class:`LadderLaw`)."""
        raise NotImplementedError

    def virtual_cost(self, c: Any) -> Any:
        """c + F(c)/f(c) (seller side, §1.3); discrete: c_m + (c_m - c_{m-1}) F_{m-1}/rho_m."""
        raise NotImplementedError

    # -- generic
    def sample(self, size: int | tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        return np.asarray(self.quantile(rng.random(size)), dtype=float)

    def mean(self) -> Any:
        return self.moment(1)

    @property
    def continuous(self) -> bool:
        """True when the law has no atoms (a density everywhere)."""
        return not self.discrete

    def atoms(self) -> np.ndarray:
        """The values carrying positive probability (floats; empty for a density)."""
        return np.empty(0)

    def partial_mean(self, a: Any, b: Any) -> Any:
        """E[V; a < V <= b], the integral of v dF over (a, b] (conditional-mean grids).

        Generic: integration by parts, b F(b) - a F(a) - int_a^b F; families override it
        with closed forms.
        """

        def one(x: float, y: float) -> float:
            lo = max(x, float(self.support[0]))
            if y <= lo:
                return 0.0
            if not math.isfinite(y):
                return float(self.mean()) - one(float(self.support[0]), lo)
            body, _ = integrate.quad(lambda t: float(self.cdf(t)), lo, y, limit=200)
            return y * float(self.cdf(y)) - lo * float(self.cdf(lo)) - body

        out = np.vectorize(one, otypes=[float])(np.asarray(a, float), np.asarray(b, float))
        return as_output(out)

    def require_moment(self, p: float, purpose: str) -> None:
        """Raise ``ModelError`` naming this law's field when E[V^p] is infinite (G15)."""
        m = self.moment(p)
        if not math.isfinite(float(m)):
            raise ModelError(
                f"{self.where}.{self._tail_param()}",
                f"E[V^{fmt(p)}] is infinite for this {self.family} law, but {purpose} needs it",
            )

    def _tail_param(self) -> str:
        """The parameter that makes a moment infinite (named in errors)."""
        return "family"

    def _finite_moment(self, p: float, compute: Callable[[], Any], param: str) -> Any:
        """``compute()``, a moment that is finite in exact arithmetic, checked to be
        finite in floats too: one beyond the float range is a ``ModelError`` naming
        ``param`` (never an ``OverflowError`` or a silent ``inf``)."""
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                m = compute()
            ok = math.isfinite(float(m))
        except OverflowError:
            ok = False
        if not ok:
            raise ModelError(
                f"{self.where}.{param}",
                f"E[V^{fmt(p)}] of this {self.family} law is beyond the float range "
                "(about 1.8e308); rescale the values (a smaller currency unit)",
            )
        return m

    # -- virtual values
    def virtual_value(self, v: Any) -> Any:
        """phi(v) = v - (1 - F(v))/f(v); on atoms and discrete types the slope of the
        revenue curve's piece (discrete Myerson virtual value, spec §2.1 rule 2)."""
        if self.regular or hasattr(self, "_phi_closed"):
            return self._phi_closed(v)  # type: ignore[attr-defined]
        lad = self.ladder()
        return as_output(lad.slope[lad.index(v)])

    def ironed_virtual_value(self, v: Any) -> Any:
        """phi^ir(v): slope of the least concave majorant of R at q = 1 - F(v) (§2.1)."""
        if self.regular:
            return self._phi_closed(v)  # type: ignore[attr-defined]
        lad = self.ladder()
        return as_output(lad.ironed[lad.index(v)])

    def r(self, v: Any) -> Any:
        """r = (phi^ir(v))_+, the clipped ironed virtual value (§2.1)."""
        return as_output(clip_at_zero(self.ironed_virtual_value(v)))

    def ladder(self) -> PriceLadder:
        """Revenue points on prices (exact for discrete laws, a quantile grid otherwise)."""
        cached = self.__dict__.get("_ladder")
        if cached is None:
            cached = self._build_ladder()
            object.__setattr__(self, "_ladder", cached)
        return cached

    def _build_ladder(self, grid: int = GRID) -> PriceLadder:
        prices = self.price_grid(grid)
        return PriceLadder.build(prices, np.asarray(self.sf_ge(prices), dtype=float))

    def price_grid(self, grid: int = GRID) -> np.ndarray:
        """The prices of the numerical ladder: ``grid`` quantiles, and the atoms
        (spec §2.1 rules 1 and 3).  Refused before allocation when too large."""
        check_memory("grid", grid * LADDER_BYTES, f"a price ladder of {grid:,} prices")
        u = np.arange(grid) / grid
        prices = np.asarray(self.quantile(u), dtype=float)
        return np.unique(np.concatenate([prices, self.atoms()]))

    # -- quantile space
    def revenue_curve(self, q: Any) -> Any:
        """R(q) = q F^{-1}(1-q), with atoms and gaps joined linearly (spec §2.1); R(0) = 0."""
        if self.regular:
            q = np.asarray(q, dtype=float)
            with np.errstate(invalid="ignore"):  # 0 * inf at q = 0 on unbounded supports
                rev = q * np.asarray(self.quantile(1 - q), dtype=float)
            return as_output(np.where(q > 0, rev, 0.0))
        qq, rr = self.ladder().curve()
        return as_output(np.interp(np.asarray(q, dtype=float), qq.astype(float), rr.astype(float)))

    def revenue_hull(self, q: Any) -> Any:
        """R-bar(q), the least concave majorant of the revenue curve."""
        if self.regular:
            return self.revenue_curve(q)
        qq, rr = self.ladder().hull_vertices()
        return as_output(np.interp(np.asarray(q, dtype=float), qq.astype(float), rr.astype(float)))

    def ironing_intervals(self) -> list[tuple[Any, Any]]:
        """Value intervals [v_lo, v_hi] on which phi^ir is constant but phi is not."""
        if self.regular:
            return []
        lad = self.ladder()
        last = len(lad.prices) - 1
        out = []
        for a, b in lad.irregular_blocks():
            hi = lad.prices[b - 1] if self.discrete else lad.prices[min(b, last)]
            out.append((py_scalar(lad.prices[a]), py_scalar(hi)))
        return out

    def reserve_price(self) -> Any:
        """v^0 = inf{v : phi^ir(v) > 0} (Myerson reserve, §2.1)."""
        if self.regular:
            return self._reserve_closed()  # type: ignore[attr-defined]
        lad = self.ladder()
        pos = np.nonzero(lad.ironed > 0)[0]
        if len(pos) == 0:
            return math.inf
        return py_scalar(lad.prices[pos[0]])

    def monopoly_revenue(self) -> Any:
        """max_p p P(V >= p) = max_q R(q) = E[r] (§2.1 identity)."""
        if hasattr(self, "_reserve_closed"):
            v0 = self._reserve_closed()  # type: ignore[attr-defined]
            return float(v0 * (1 - self.cdf(v0)))
        lad = self.ladder()
        return py_scalar(np.max(lad.prices * lad.upper))

    def r_law(self, grid: int | None = None) -> RLaw:
        """The law of r = (phi^ir(V))_+ (spec §2.1).

        Exact tables for laws whose ladder is exact (discrete and truncated
        equal-revenue laws); a quantile function for the continuous families; mixtures
        give the table of their numerical ladder (see :meth:`Mixture.r_law`).
        """
        if self.exact_ladder:
            lad = self.ladder()
            return RLaw.discrete(clip_at_zero(lad.ironed), lad.mass)
        v0 = self.reserve_price()
        zero = float(self.cdf(v0)) if math.isfinite(v0) else 1.0

        def qr(u: Any) -> Any:
            u = np.asarray(u, dtype=float)
            v = np.asarray(self.quantile(u), dtype=float)
            return np.maximum(np.asarray(self.ironed_virtual_value(v), dtype=float), 0.0)

        return RLaw(quantile=qr, zero_mass=zero)

    # -- seller side and bilateral trade (spec 003 §4, G14)
    def ironed_virtual_cost(self, c: Any) -> Any:
        """Virtual cost c + F/f ironed by the lower convex hull of the cost curve
        R^S(q) = q F^{-1}(q) (spec §4.4), on :meth:`discretize`'s ladder (atoms exact)."""
        d = self.discretize()
        fit = d.ironed_virtual_cost(d.values)
        idx = np.searchsorted(np.asarray(d.values, float), np.asarray(c, dtype=float), "left")
        return as_output(np.asarray(fit)[np.clip(idx, 0, len(fit) - 1)])

    def ironed_lagrangian_value(self, v: Any, lam: Any) -> Any:
        """The combined buyer weight v + lam phi(v) ironed as a whole (spec G14): the
        slope of the least concave majorant of S(q) + lam R(q), S(q) = int_0^q F^{-1}(1-t) dt.

        For regular laws this is v + lam phi(v); otherwise the weighted isotonic
        regression of v + lam phi on :meth:`discretize`'s atoms (exact for discrete laws).
        """
        _check_lambda(lam)
        if self.regular and not self.discrete:
            v = np.asarray(v, dtype=float)
            return as_output(v + float(lam) * np.asarray(self.virtual_value(v), dtype=float))
        return self._ironed_on_ladder(v, lam, "value")

    def ironed_lagrangian_cost(self, c: Any, lam: Any) -> Any:
        """The combined seller weight c + lam (c + F/f) ironed as a whole (spec G14): the
        slope of the greatest convex minorant of int_0^q F^{-1}(t) dt + lam R^S(q)."""
        _check_lambda(lam)
        if self.cost_regular:
            c = np.asarray(c, dtype=float)
            return as_output(c + float(lam) * np.asarray(self.virtual_cost(c), dtype=float))
        return self._ironed_on_ladder(c, lam, "cost")

    def _ironed_on_ladder(self, t: Any, lam: Any, side: str) -> Any:
        """t + lam (virtual value or cost) ironed as a whole on the discretized law
        (pool-adjacent violators); a type between atoms takes the atom below (buyer,
        right-continuous) or above (seller)."""
        d = self.discretize()
        virtual = d.virtual_value(d.values) if side == "value" else d.virtual_cost(d.values)
        fit, _ = pava(d.values + lam * np.asarray(virtual), d.probs)
        if d.exact and fit.dtype == object:
            return as_output(fit[d.support_index(np.asarray(t, dtype=object))])
        grid, tt = np.asarray(d.values, float), np.asarray(t, float)
        if side == "value":
            idx = np.searchsorted(grid, tt, side="right") - 1
        else:
            idx = np.searchsorted(grid, tt, side="left")
        return as_output(np.asarray(fit, dtype=float)[np.clip(idx, 0, len(fit) - 1)])


def _check_lambda(lam: Any) -> None:
    if isinstance(lam, bool) or not lam >= 0:
        raise ModelError("lambda", f"must be nonnegative, got {fmt(lam)}")
