"""Type distributions shared by every family: laws, virtual values, ironing (spec 003 §2.1).

One law per buyer type (or seller cost).  Families, named as in model files
(``family = "..."`` plus the parameters listed):

* ``uniform``: ``low``, ``high``.
* ``exponential``: ``rate``, optional ``low`` (a shift, default 0) and ``high``
  (truncation, default infinity).
* ``pareto``: ``shape`` s > 0, optional ``scale`` (default 1); F = 1 - (scale/v)^s on [scale, inf).
* ``power``: ``shape`` s > 0; F = v^s on [0, 1] (the power law on [0, 1]).
* ``truncated_equal_revenue``: ``high`` H and ``n`` (or ``scale`` = 1/n);
  F(v) = max{0, 1 - scale/v} on [0, H) and F = 1 at H (an atom of mass scale/H at H,
  the instances of Theorems 3.3 and 3.6).
* ``discrete``: ``values`` (strictly increasing), ``probs`` (positive, summing to 1).
  Entries given as integers, Fractions or ``"p/q"`` strings are kept exact.
* ``mixture``: ``weights`` and ``components`` (a list of tables of the families above).

Every law gives cdf, pdf/pmf, quantile, the virtual value phi(v) = v - (1-F)/f, the
virtual cost c + F/f, the revenue curve R(q) = q F^{-1}(1-q) in quantile space, its
least concave majorant, the ironed virtual value (slope of the majorant), ironing
intervals, reserve price, monopoly revenue, and the law of r = (phi^ir)_+.

Ironing is done on the revenue points (P(V >= p), p P(V >= p)) of a set of prices p,
joined piecewise-linearly (spec §2.1 rules 2 and 3: never the step function).  The slope
of the piece between consecutive prices is the discrete Myerson virtual value; the slopes
of the least concave majorant are their weighted isotonic (pool-adjacent-violators)
regression, with the piece lengths as weights.  This is exact for discrete laws and atoms
(in exact rationals when the law is exact) and vectorized (scipy's PAVA) for floats; for
continuous irregular laws the prices are a fine quantile grid (spec §2.1 rule 1).
Regular continuous families use their closed-form phi.

Examples
--------
>>> from fractions import Fraction as Fr
>>> d = Discrete([1, 2, 3], [Fr(6, 10), Fr(1, 10), Fr(3, 10)])   # spec §6.2 example I3
>>> [str(x) for x in d.virtual_value([1, 2, 3])]
['1/3', '-1', '3']
>>> [str(x) for x in d.ironed_virtual_value([1, 2, 3])]
['1/7', '1/7', '3']
>>> d.ironing_intervals() == [(1, 2)]
True
>>> Uniform(0, 1).monopoly_revenue()
0.25
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from scipy import integrate, optimize, stats

from ..errors import ModelError
from ..numeric import to_fraction

FAMILIES = (
    "uniform",
    "exponential",
    "pareto",
    "power",
    "truncated_equal_revenue",
    "discrete",
    "mixture",
)
PROB_TOL = 1e-9
GRID = 4096  # prices per continuous component for numerical ironing (spec §2.1 rule 1)


# ------------------------------------------------------------------ helpers
def _num(x: Any, where: str) -> float | Fraction:
    """A parameter as a number (exact for ints, Fractions and "p/q" strings)."""
    if isinstance(x, bool) or x is None:
        raise ModelError(where, f"must be a number, got {x!r}")
    if isinstance(x, (int, np.integer, Fraction, str)):
        try:
            return to_fraction(x)
        except (ValueError, ZeroDivisionError, TypeError):
            raise ModelError(where, f"must be a number, got {x!r}") from None
    if isinstance(x, (float, np.floating)):
        if not math.isfinite(float(x)):
            raise ModelError(where, f"must be finite, got {x!r}")
        return float(x)
    raise ModelError(where, f"must be a number, got {x!r}")


def _positive(x: Any, where: str) -> float | Fraction:
    v = _num(x, where)
    if v <= 0:
        raise ModelError(where, f"must be positive, got {x!r}")
    return v


def _out(a: Any) -> Any:
    if not isinstance(a, np.ndarray):
        return _py(a)
    return a.item() if a.ndim == 0 else a


def pava(y: Sequence[Any], w: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Weighted nondecreasing isotonic regression of ``y`` (pool adjacent violators).

    Returns ``(fit, starts)``: the fitted values and the start index of every pooled
    block.  Exact (Fraction object arrays) when ``y`` is an object array, else scipy's
    vectorized PAVA.  The fit equals the slopes of the least concave majorant of the
    piecewise-linear curve with those slopes, read right to left (spec §2.1).

    >>> fit, starts = pava([Fraction(1, 3), -1, 3], [Fraction(3, 5), Fraction(1, 10), Fraction(3, 10)])
    >>> [str(x) for x in fit], starts.tolist()
    (['1/7', '1/7', '3'], [0, 2])
    """
    y_arr = np.asarray(y)
    if y_arr.dtype != object:
        res = optimize.isotonic_regression(
            np.asarray(y, dtype=float), weights=np.asarray(w, dtype=float), increasing=True
        )
        return res.x, np.asarray(res.blocks[:-1])
    vals: list[Fraction] = []
    wts: list[Fraction] = []
    starts: list[int] = []
    for j, (yj, wj) in enumerate(zip(y_arr, w, strict=True)):
        vals.append(yj)
        wts.append(wj)
        starts.append(j)
        while len(vals) > 1 and vals[-2] >= vals[-1]:
            wsum = wts[-2] + wts[-1]
            merged = (vals[-2] * wts[-2] + vals[-1] * wts[-1]) / wsum
            vals[-2:] = [merged]
            wts[-2:] = [wsum]
            starts.pop()
    fit = np.empty(len(y_arr), dtype=object)
    bounds = [*starts, len(y_arr)]
    for b in range(len(starts)):
        fit[bounds[b] : bounds[b + 1]] = vals[b]
    return fit, np.asarray(starts)


def _pool_equal_runs(fit: np.ndarray, starts: np.ndarray) -> np.ndarray:
    # scipy splits blocks whose fitted values tie; merge them so intervals are maximal
    if len(starts) <= 1:
        return starts
    f = fit[starts]
    keep = np.ones(len(starts), dtype=bool)
    keep[1:] = f[1:] != f[:-1]
    return starts[keep]


# ------------------------------------------------------------------ price ladders
@dataclass(frozen=True)
class PriceLadder:
    """Revenue points of a law on an increasing list of prices (spec §2.1 rules 1-3).

    ``prices`` p_1 < ... < p_J, ``upper`` Q_j = P(V >= p_j), and ``mass`` w_j = Q_j - Q_{j+1}
    (Q_{J+1} = 0): the length of price j's piece in quantile space.  ``slope`` is the
    unironed (discrete Myerson) virtual value of the piece, ``ironed`` the slope of the
    least concave majorant and ``blocks`` the start index of every pooled block.
    """

    prices: np.ndarray
    upper: np.ndarray
    mass: np.ndarray
    slope: np.ndarray
    ironed: np.ndarray
    blocks: np.ndarray

    @classmethod
    def build(cls, prices: np.ndarray, upper: np.ndarray) -> PriceLadder:
        nxt_q = np.append(upper[1:], upper[:1] * 0)
        nxt_p = np.append(prices[1:], prices[-1:])
        mass = upper - nxt_q
        keep = mass > 0
        if not np.all(keep):  # prices that carry no piece (no mass between them)
            prices, upper = prices[keep], upper[keep]
            return cls.build(prices, upper)
        slope = (upper * prices - nxt_q * nxt_p) / mass
        ironed, blocks = pava(slope, mass)
        return cls(prices, upper, mass, slope, ironed, _pool_equal_runs(ironed, blocks))

    def index(self, v: Any) -> np.ndarray:
        """Piece index of value(s) v: the largest j with p_j <= v (0 below the support)."""
        v = np.asarray(v, dtype=float) if self.prices.dtype != object else np.asarray(v)
        idx = np.searchsorted(self.prices, v, side="right") - 1
        return np.clip(idx, 0, len(self.prices) - 1)

    def hull_vertices(self) -> tuple[np.ndarray, np.ndarray]:
        """(q, R-bar(q)) at the majorant's kinks, from q = 0 to q = Q_1."""
        zero = self.upper[0] * 0
        q = np.concatenate([[zero], self.upper[::-1]])
        rbar = np.concatenate([[zero], np.cumsum((self.mass * self.ironed)[::-1])])
        kinks = np.concatenate([[0], len(self.prices) - self.blocks[::-1]])
        return q[kinks], rbar[kinks]

    def curve(self) -> tuple[np.ndarray, np.ndarray]:
        """(q, R(q)) revenue points, from q = 0 to q = Q_1."""
        q = np.concatenate([[0 * self.upper[0]], self.upper[::-1]])
        r = np.concatenate([[0 * self.upper[0]], (self.upper * self.prices)[::-1]])
        return q, r


# ------------------------------------------------------------------ base class
class TypeDistribution:
    """Common interface of all type laws (see the module docstring).

    Subclasses implement ``cdf``, ``sf_ge`` (P(V >= v)), ``quantile``, ``support``,
    ``moment`` and either ``_phi_closed`` (regular continuous families) or ``ladder``.
    """

    family: str = ""
    where: str = "buyer"
    discrete: bool = False
    regular: bool = False  # phi nondecreasing: ironing is the identity

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

    def moment(self, p: float) -> float:
        """E[V^p] (may be inf)."""
        raise NotImplementedError

    def params(self) -> dict[str, Any]:
        """The model-file table of this law (``family`` and its parameters)."""
        raise NotImplementedError

    def sample(self, size: int | tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        return np.asarray(self.quantile(rng.random(size)), dtype=float)

    def mean(self) -> float:
        return self.moment(1)

    @property
    def continuous(self) -> bool:
        """True when the law has no atoms (a density everywhere)."""
        return not self.discrete

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
        return _out(out)

    def require_moment(self, p: float, purpose: str) -> None:
        """Raise ``ModelError`` naming this law's field when E[V^p] is infinite (G15)."""
        m = self.moment(p)
        if not math.isfinite(float(m)):
            raise ModelError(
                f"{self.where}.{self._tail_param()}",
                f"E[V^{p:g}] is infinite for this {self.family} law, but {purpose} needs it",
            )

    def _tail_param(self) -> str:
        return "family"

    # -- virtual values
    def virtual_value(self, v: Any) -> Any:
        """phi(v) = v - (1 - F(v))/f(v); on atoms and discrete types the slope of the
        revenue curve's piece (discrete Myerson virtual value, spec §2.1 rule 2)."""
        if self.regular or hasattr(self, "_phi_closed"):
            return self._phi_closed(v)  # type: ignore[attr-defined]
        lad = self.ladder()
        return _out(lad.slope[lad.index(v)])

    def ironed_virtual_value(self, v: Any) -> Any:
        """phi^ir(v): slope of the least concave majorant of R at q = 1 - F(v) (§2.1)."""
        if self.regular:
            return self._phi_closed(v)  # type: ignore[attr-defined]
        lad = self.ladder()
        return _out(lad.ironed[lad.index(v)])

    def r(self, v: Any) -> Any:
        """r = (phi^ir(v))_+, the clipped ironed virtual value (§2.1)."""
        x = np.asarray(self.ironed_virtual_value(v))
        if x.dtype == object:
            out = np.array([max(t, 0) for t in x.ravel()], dtype=object).reshape(x.shape)
            return _out(out)
        return _out(np.maximum(x, 0.0))

    def virtual_cost(self, c: Any) -> Any:
        """c + F(c)/f(c) (seller side, §1.3); discrete: c_m + (c_m - c_{m-1}) F_{m-1}/rho_m."""
        raise NotImplementedError

    def ladder(self) -> PriceLadder:
        """Revenue points on prices (exact for discrete laws, a quantile grid otherwise)."""
        cached = self.__dict__.get("_ladder")
        if cached is None:
            cached = self._build_ladder()
            object.__setattr__(self, "_ladder", cached)
        return cached

    def _build_ladder(self, grid: int = GRID) -> PriceLadder:
        prices = self._grid_prices(grid)
        return PriceLadder.build(prices, np.asarray(self.sf_ge(prices), dtype=float))

    def _grid_prices(self, grid: int = GRID) -> np.ndarray:
        u = np.arange(grid) / grid
        return np.unique(np.asarray(self.quantile(u), dtype=float))

    # -- quantile space
    def revenue_curve(self, q: Any) -> Any:
        """R(q) = q F^{-1}(1-q), with atoms and gaps joined linearly (spec §2.1)."""
        if self.regular:
            q = np.asarray(q, dtype=float)
            return _out(q * np.asarray(self.quantile(1 - q), dtype=float))
        qq, rr = self.ladder().curve()
        return _out(np.interp(np.asarray(q, dtype=float), qq.astype(float), rr.astype(float)))

    def revenue_hull(self, q: Any) -> Any:
        """R-bar(q), the least concave majorant of the revenue curve."""
        if self.regular:
            return self.revenue_curve(q)
        qq, rr = self.ladder().hull_vertices()
        return _out(np.interp(np.asarray(q, dtype=float), qq.astype(float), rr.astype(float)))

    def ironing_intervals(self) -> list[tuple[Any, Any]]:
        """Value intervals [v_lo, v_hi] on which phi^ir is constant but phi is not."""
        if self.regular:
            return []
        lad = self.ladder()
        ends = [*lad.blocks.tolist(), len(lad.prices)]
        out = []
        for a, b in zip(ends[:-1], ends[1:], strict=True):
            seg = lad.slope[a:b]
            if b - a > 1 and any(s != seg[0] for s in seg):
                hi = lad.prices[b - 1] if self.discrete else lad.prices[min(b, len(lad.prices) - 1)]
                out.append((_py(lad.prices[a]), _py(hi)))
        return out

    def reserve_price(self) -> Any:
        """v^0 = inf{v : phi^ir(v) > 0} (Myerson reserve, §2.1)."""
        if self.regular:
            return self._reserve_closed()  # type: ignore[attr-defined]
        lad = self.ladder()
        pos = np.nonzero(lad.ironed > 0)[0]
        if len(pos) == 0:
            return math.inf
        return _py(lad.prices[pos[0]])

    def monopoly_revenue(self) -> Any:
        """max_p p P(V >= p) = max_q R(q) = E[r] (§2.1 identity)."""
        if hasattr(self, "_reserve_closed"):
            v0 = self._reserve_closed()  # type: ignore[attr-defined]
            return float(v0 * (1 - self.cdf(v0)))
        lad = self.ladder()
        return _py(np.max(lad.prices * lad.upper))

    def r_law(self, grid: int | None = None) -> RLaw:
        """The law of r = (phi^ir(V))_+ (spec §2.1).

        Exact tables for discrete laws and truncated equal-revenue laws; for a mixture
        the table on the price ladder of spec §2.1 rule 1 with ``grid`` points per
        component (default GRID; error O(1/grid)), marked by ``RLaw.grid``.
        """
        if isinstance(self, Mixture):
            g = GRID if grid is None else int(grid)
            lad = self.ladder() if g == GRID else self._build_ladder(g)
            return RLaw.discrete([max(x, 0) for x in lad.ironed], list(lad.mass), grid=g)
        if self.discrete or isinstance(self, TruncatedEqualRevenue):
            lad = self.ladder()
            return RLaw.discrete(
                [max(x, 0) for x in lad.ironed],
                list(lad.mass),
            )
        v0 = self.reserve_price()
        zero = float(self.cdf(v0)) if math.isfinite(v0) else 1.0

        def qr(u: Any) -> Any:
            u = np.asarray(u, dtype=float)
            v = np.asarray(self.quantile(u), dtype=float)
            return np.maximum(np.asarray(self.ironed_virtual_value(v), dtype=float), 0.0)

        return RLaw(quantile=qr, zero_mass=zero)

    # -- bilateral trade (spec 003 §4, G14)
    def discretize(self, grid: int = GRID) -> Discrete:
        """A discrete law on this law's price ladder: atoms at the ladder prices, each
        with the mass of its piece (exact for discrete laws and atoms; a quantile grid of
        ``grid`` cells per continuous part otherwise, error O(1/grid)).

        >>> d = Uniform(0, 1).discretize(grid=4)
        >>> d.values.tolist(), d.probs.tolist()
        ([0.0, 0.25, 0.5, 0.75], [0.25, 0.25, 0.25, 0.25])
        """
        if self.discrete and isinstance(self, Discrete):
            return self
        if grid == GRID:
            lad = self.ladder()
        else:
            prices = np.asarray(self._grid_prices(grid), dtype=float)
            lad = PriceLadder.build(prices, np.asarray(self.sf_ge(prices), dtype=float))
        out = Discrete.__new__(Discrete)
        out.where = self.where
        out.values = np.asarray(lad.prices, dtype=float)
        out.probs = np.asarray(lad.mass, dtype=float) / float(np.sum(lad.mass))
        out.exact = False
        return out

    def ironed_virtual_cost(self, c: Any) -> Any:
        """Virtual cost c + F/f ironed by the lower convex hull of the cost curve
        R^S(q) = q F^{-1}(q) (spec §4.4), on :meth:`discretize`'s ladder (atoms exact)."""
        d = self.discretize()
        vc = np.asarray(d.virtual_cost(d.values), dtype=float)
        fit, _ = pava(vc, d.probs)
        idx = np.searchsorted(d.values, np.asarray(c, dtype=float), side="left")
        return _out(fit[np.clip(idx, 0, len(fit) - 1)])

    def ironed_lagrangian_value(self, v: Any, lam: Any) -> Any:
        """The combined buyer weight v + lam phi(v) ironed as a whole (spec G14): the
        slope of the least concave majorant of S(q) + lam R(q), S(q) = int_0^q F^{-1}(1-t) dt.

        For regular laws this is v + lam phi(v); otherwise the weighted isotonic
        regression of v + lam phi on :meth:`discretize`'s atoms (exact for discrete laws).

        >>> from fractions import Fraction as Fr
        >>> d = Discrete([1, 2, 3], [Fr(6, 10), Fr(1, 10), Fr(3, 10)])
        >>> [str(x) for x in d.ironed_lagrangian_value([1, 2, 3], 1)]
        ['9/7', '9/7', '6']
        """
        if lam < 0:
            raise ModelError("lambda", f"must be nonnegative, got {lam!r}")
        if self.regular and not self.discrete:
            v = np.asarray(v, dtype=float)
            return _out(v + float(lam) * np.asarray(self.virtual_value(v), dtype=float))
        return self._ironed_on_ladder(v, lam, "value")

    def ironed_lagrangian_cost(self, c: Any, lam: Any) -> Any:
        """The combined seller weight c + lam (c + F/f) ironed as a whole (spec G14): the
        slope of the greatest convex minorant of int_0^q F^{-1}(t) dt + lam R^S(q).

        >>> Uniform(0, 1).ironed_lagrangian_cost([0.25, 0.5], 0.5).tolist()
        [0.5, 1.0]
        """
        if lam < 0:
            raise ModelError("lambda", f"must be nonnegative, got {lam!r}")
        if isinstance(self, _Continuous):  # every continuous family has F/f nondecreasing
            c = np.asarray(c, dtype=float)
            return _out(c + float(lam) * np.asarray(self.virtual_cost(c), dtype=float))
        return self._ironed_on_ladder(c, lam, "cost")

    def _ironed_on_ladder(self, t: Any, lam: Any, side: str) -> Any:
        """t + lam (virtual value or cost) ironed as a whole on the discretized law
        (pool-adjacent violators); a type between atoms takes the atom below (buyer,
        right-continuous) or above (seller)."""
        d = self.discretize()
        virtual = d.virtual_value(d.values) if side == "value" else d.virtual_cost(d.values)
        fit, _ = pava(d.values + lam * np.asarray(virtual), d.probs)
        if d.exact and fit.dtype == object:
            return _out(fit[d._index(np.asarray(t, dtype=object))])
        grid, tt = np.asarray(d.values, float), np.asarray(t, float)
        if side == "value":
            idx = np.searchsorted(grid, tt, side="right") - 1
        else:
            idx = np.searchsorted(grid, tt, side="left")
        return _out(np.asarray(fit, dtype=float)[np.clip(idx, 0, len(fit) - 1)])


def _py(x: Any) -> Any:
    if isinstance(x, np.generic):
        return x.item()
    return x


# ------------------------------------------------------------------ law of r
@dataclass(frozen=True, eq=False)
class RLaw:
    """The law of r = (phi^ir(V))_+: a finite table (``values``, ``probs``) or a
    nondecreasing quantile function with an atom of mass ``zero_mass`` at 0.

    >>> law = Uniform(0, 1).r_law()
    >>> round(law.mean(), 12), round(law.moment(2), 12)      # 1/4 and 1/6 (spec U2)
    (0.25, 0.166666666667)
    """

    values: np.ndarray | None = None
    probs: np.ndarray | None = None
    quantile: Callable[[Any], Any] | None = None
    zero_mass: float = 0.0
    grid: int | None = None  # the table approximates a continuous law on this grid

    @classmethod
    def discrete(cls, values: Sequence[Any], probs: Sequence[Any], grid: int | None = None) -> RLaw:
        """Table with equal values merged, sorted increasingly (``grid``: see the field)."""
        acc: dict[Any, Any] = {}
        for v, p in zip(values, probs, strict=True):
            acc[v] = acc.get(v, 0) + p
        keys = sorted(acc)
        exact = all(isinstance(p, (Fraction, int)) for p in acc.values())
        dtype = object if exact else float
        return cls(
            values=np.array(keys, dtype=dtype),
            probs=np.array([acc[k] for k in keys], dtype=dtype),
            zero_mass=acc.get(0, 0),
            grid=grid,
        )

    @property
    def is_discrete(self) -> bool:
        return self.values is not None

    @property
    def exact(self) -> bool:
        """A finite table of ints/Fractions: sums and moments can be done in rationals."""
        return (
            self.is_discrete
            and self.grid is None
            and all(isinstance(x, (int, Fraction)) for x in (*self.values, *self.probs))
        )

    def expect(self, h: Callable[[Any], Any]) -> Any:
        """E[h(r)] (exact sum for a table, quadrature over quantiles otherwise)."""
        if self.is_discrete:
            return sum(p * h(v) for v, p in zip(self.values, self.probs, strict=True))
        z = self.zero_mass
        body, _ = integrate.quad(lambda u: float(h(self.quantile(u))), z, 1.0, limit=200)
        return z * float(h(0.0)) + body

    def mean(self) -> Any:
        return self.expect(lambda x: x)

    def moment(self, p: float) -> Any:
        return self.expect(lambda x: x**p)

    def sample(self, size: int | tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        u = rng.random(size)
        if self.is_discrete:
            cum = np.cumsum(np.asarray(self.probs, dtype=float))
            idx = np.minimum(np.searchsorted(cum, u, side="right"), len(cum) - 1)
            return np.asarray(self.values, dtype=float)[idx]
        return np.asarray(self.quantile(u), dtype=float)


# ------------------------------------------------------------------ continuous families
class _Continuous(TypeDistribution):
    """A continuous family backed by a frozen ``scipy.stats`` law."""

    regular = True
    _scipy: Any

    def cdf(self, v: Any) -> Any:
        return _out(np.asarray(self._scipy.cdf(np.asarray(v, dtype=float))))

    def sf_ge(self, v: Any) -> Any:
        return _out(np.asarray(self._scipy.sf(np.asarray(v, dtype=float))))

    def pdf(self, v: Any) -> Any:
        return _out(np.asarray(self._scipy.pdf(np.asarray(v, dtype=float))))

    def quantile(self, p: Any) -> Any:
        return _out(np.asarray(self._scipy.ppf(np.asarray(p, dtype=float))))

    @property
    def support(self) -> tuple[float, float]:
        lo, hi = self._scipy.support()
        return float(lo), float(hi)

    def moment(self, p: float) -> float:
        return float(self._scipy.expect(lambda x: x**p)) if p != 1 else float(self._scipy.mean())

    def virtual_cost(self, c: Any) -> Any:
        c = np.asarray(c, dtype=float)
        return _out(c + np.asarray(self.cdf(c)) / np.asarray(self.pdf(c)))

    def ironed_virtual_cost(self, c: Any) -> Any:
        """F/f is nondecreasing for every continuous family here, so no ironing."""
        return self.virtual_cost(c)

    def _reserve_closed(self) -> float:
        lo, hi = self.support
        if self._phi_closed(lo) > 0:
            return lo
        return float(optimize.brentq(self._phi_closed, lo, self.quantile(1 - 1e-12)))


class Uniform(_Continuous):
    """U[low, high]: phi = 2v - high, virtual cost 2c - low (spec S4).

    >>> Uniform(0, 1).reserve_price(), Uniform(2, 3).reserve_price()
    (0.5, 2.0)
    """

    family = "uniform"

    def __init__(self, low: Any, high: Any, where: str = "buyer"):
        self.where = where
        self.low = _num(low, f"{where}.low")
        self.high = _num(high, f"{where}.high")
        if self.low < 0:
            raise ModelError(f"{where}.low", f"types are nonnegative, got {low!r}")
        if self.high <= self.low:
            raise ModelError(f"{where}.high", f"must exceed low = {low!r}, got {high!r}")
        self._scipy = stats.uniform(float(self.low), float(self.high - self.low))

    def params(self) -> dict[str, Any]:
        return {"family": self.family, "low": self.low, "high": self.high}

    # closed forms (scipy's frozen law costs ~0.1 ms per call in the bilateral solvers)
    def cdf(self, v: Any) -> Any:
        a, b = float(self.low), float(self.high)
        return _out(np.clip((np.asarray(v, dtype=float) - a) / (b - a), 0.0, 1.0))

    def sf_ge(self, v: Any) -> Any:
        return _out(1.0 - np.asarray(self.cdf(v), dtype=float))

    def pdf(self, v: Any) -> Any:
        a, b = float(self.low), float(self.high)
        v = np.asarray(v, dtype=float)
        return _out(np.where((v >= a) & (v <= b), 1.0 / (b - a), 0.0))

    def quantile(self, p: Any) -> Any:
        a, b = float(self.low), float(self.high)
        p = np.asarray(p, dtype=float)
        return _out(np.where((p >= 0) & (p <= 1), a + p * (b - a), np.nan))

    def _phi_closed(self, v: Any) -> Any:
        return _out(2 * np.asarray(v, dtype=float) - float(self.high))

    def virtual_cost(self, c: Any) -> Any:
        return _out(2 * np.asarray(c, dtype=float) - float(self.low))

    def _reserve_closed(self) -> float:
        return float(max(self.low, self.high / 2))

    def moment(self, p: float) -> float:
        a, b = float(self.low), float(self.high)
        if p == -1:
            return math.inf if a == 0 else math.log(b / a) / (b - a)
        if p < 0 and a == 0 and p <= -1:
            return math.inf
        return (b ** (p + 1) - a ** (p + 1)) / ((p + 1) * (b - a))

    def partial_mean(self, a: Any, b: Any) -> Any:
        lo, hi = float(self.low), float(self.high)
        a = np.clip(np.asarray(a, dtype=float), lo, hi)
        b = np.clip(np.asarray(b, dtype=float), lo, hi)
        return _out((b**2 - a**2) / (2 * (hi - lo)))

    def _tail_param(self) -> str:
        return "low"


class Exponential(_Continuous):
    """Exp(rate) shifted by ``low``, optionally truncated at ``high``.

    phi = v - 1/rate; on [low, high] phi = v - (1 - e^{-rate (high - v)})/rate (spec S4,
    §4.3 of seed 004: rate 1 on [2, 5] is the §5.1 reading).

    >>> round(Exponential(2).monopoly_revenue(), 12) == round(math.exp(-1) / 2, 12)
    True
    >>> round(Exponential(1, 2, high=5).virtual_value(2.0), 6)   # 1 + e^{-3}
    1.049787
    """

    family = "exponential"

    def __init__(self, rate: Any, low: Any = 0, where: str = "buyer", high: Any = None):
        self.where = where
        self.rate = _positive(rate, f"{where}.rate")
        self.low = _num(low, f"{where}.low")
        if self.low < 0:
            raise ModelError(f"{where}.low", f"types are nonnegative, got {low!r}")
        if high is None or (isinstance(high, float) and high == math.inf):
            self.high: Any = math.inf
        else:
            self.high = _num(high, f"{where}.high")
            if self.high <= self.low:
                raise ModelError(f"{where}.high", f"must exceed low = {low!r}, got {high!r}")
        lo, r = float(self.low), float(self.rate)
        if math.isfinite(self.high):
            self._scipy = stats.truncexpon((float(self.high) - lo) * r, loc=lo, scale=1 / r)
        else:
            self._scipy = stats.expon(loc=lo, scale=1 / r)
        # normalizing constant of the truncated law (1 without truncation)
        self._mass = -math.expm1(-r * (float(self.high) - lo))

    def params(self) -> dict[str, Any]:
        out: dict[str, Any] = {"family": self.family, "rate": self.rate}
        if self.low:
            out["low"] = self.low
        if math.isfinite(self.high):
            out["high"] = self.high
        return out

    # closed forms (faster than scipy's frozen law in the solvers' inner loops)
    def cdf(self, v: Any) -> Any:
        x = np.maximum(np.asarray(v, dtype=float) - float(self.low), 0.0)
        return _out(np.clip(-np.expm1(-float(self.rate) * x) / self._mass, 0.0, 1.0))

    def sf_ge(self, v: Any) -> Any:
        return _out(1.0 - np.asarray(self.cdf(v), dtype=float))

    def pdf(self, v: Any) -> Any:
        v = np.asarray(v, dtype=float)
        lo, hi, r = float(self.low), float(self.high), float(self.rate)
        inside = (v >= lo) & (v <= hi)
        with np.errstate(over="ignore"):
            dens = r * np.exp(-r * (np.maximum(v, lo) - lo)) / self._mass
        return _out(np.where(inside, dens, 0.0))

    def quantile(self, p: Any) -> Any:
        p = np.asarray(p, dtype=float)
        return _out(float(self.low) - np.log1p(-p * self._mass) / float(self.rate))

    def partial_mean(self, a: Any, b: Any) -> Any:
        lo, hi, r = float(self.low), float(self.high), float(self.rate)
        a = np.clip(np.asarray(a, dtype=float), lo, hi)
        b = np.clip(np.asarray(b, dtype=float), lo, hi)

        def anti(x):
            with np.errstate(invalid="ignore", over="ignore"):
                val = -(x + 1 / r) * np.exp(-r * (x - lo))
            return np.where(np.isinf(x), 0.0, val) / self._mass

        return _out(anti(b) - anti(a))

    def _phi_closed(self, v: Any) -> Any:
        v = np.asarray(v, dtype=float)
        r = float(self.rate)
        if not math.isfinite(self.high):
            return _out(v - 1 / r)
        return _out(v + np.expm1(-r * (float(self.high) - v)) / r)

    def _reserve_closed(self) -> float:
        if math.isfinite(self.high):
            return super()._reserve_closed()
        return float(max(self.low, 1 / self.rate))

    def moment(self, p: float) -> float:
        if p < 0 and self.low == 0 and p <= -1:
            return math.inf
        return super().moment(p)


class Pareto(_Continuous):
    """Pareto: F(v) = 1 - (scale/v)^shape on [scale, inf); phi = v (1 - 1/shape) (S4).

    Regular and with finite monopoly revenue only for shape > 1 (below, R(q) is not
    bounded and ``ModelError`` names ``shape``).  E[V^p] is finite iff p < shape (G15).
    """

    family = "pareto"

    def __init__(self, shape: Any, scale: Any = 1, where: str = "buyer"):
        self.where = where
        self.shape = _positive(shape, f"{where}.shape")
        self.scale = _positive(scale, f"{where}.scale")
        self._scipy = stats.pareto(float(self.shape), scale=float(self.scale))

    def params(self) -> dict[str, Any]:
        return {"family": self.family, "shape": self.shape, "scale": self.scale}

    def _need_shape(self) -> None:
        if self.shape <= 1:
            raise ModelError(
                f"{self.where}.shape",
                f"must exceed 1 for virtual values and revenue (got {self.shape!r}: "
                "the revenue curve is unbounded or flat, E[V] is infinite)",
            )

    def _phi_closed(self, v: Any) -> Any:
        self._need_shape()
        return _out(np.asarray(v, dtype=float) * (1 - 1 / float(self.shape)))

    def _reserve_closed(self) -> float:
        self._need_shape()
        return float(self.scale)

    def virtual_cost(self, c: Any) -> Any:
        c = np.asarray(c, dtype=float)
        s, m = float(self.shape), float(self.scale)
        return _out(c + ((c / m) ** s - 1) * c / s)

    def moment(self, p: float) -> float:
        s, m = float(self.shape), float(self.scale)
        return math.inf if p >= s else s * m**p / (s - p)

    def partial_mean(self, a: Any, b: Any) -> Any:
        """E[V; a < V <= b] = s m^s (a^{1-s} - b^{1-s})/(s - 1) on [m, inf) (s != 1)."""
        s, m = float(self.shape), float(self.scale)
        a = np.maximum(np.asarray(a, dtype=float), m)
        b = np.maximum(np.asarray(b, dtype=float), m)
        if s == 1:
            return _out(m * np.log(b / a))
        with np.errstate(divide="ignore", over="ignore"):
            out = s * m**s * (np.power(a, 1 - s) - np.power(b, 1 - s)) / (s - 1)
        return _out(np.maximum(out, 0.0))

    def _tail_param(self) -> str:
        return "shape"


class Power(_Continuous):
    """Power law on [0, 1]: F(v) = v^shape; phi = v(1 + 1/s) - v^{1-s}/s, virtual cost
    c (1 + 1/s) (S4).  Regular for shape >= 1; for shape < 1 the revenue curve is convex
    near q = 1 and phi is ironed numerically (only where phi < 0).

    >>> round(Power(1).reserve_price(), 12)
    0.5
    """

    family = "power"

    def __init__(self, shape: Any, where: str = "buyer"):
        self.where = where
        self.shape = _positive(shape, f"{where}.shape")
        self.regular = self.shape >= 1
        self._scipy = stats.powerlaw(float(self.shape))

    def params(self) -> dict[str, Any]:
        return {"family": self.family, "shape": self.shape}

    def _phi_closed(self, v: Any) -> Any:
        s = float(self.shape)
        v = np.asarray(v, dtype=float)
        with np.errstate(divide="ignore"):
            return _out(v * (1 + 1 / s) - np.power(v, 1 - s) / s)

    def virtual_cost(self, c: Any) -> Any:
        return _out(np.asarray(c, dtype=float) * (1 + 1 / float(self.shape)))

    def ironed_virtual_value(self, v: Any) -> Any:
        if self.regular:
            return self._phi_closed(v)
        # shape < 1: R is concave on [0, 2s/(1+s)], which holds every q with phi >= 0,
        # so only the negative part is ironed (on the grid)
        v = np.asarray(v, dtype=float)
        closed = np.asarray(self._phi_closed(v))
        lad = self.ladder()
        return _out(np.where(closed >= 0, closed, lad.ironed[lad.index(v)]))

    def _reserve_closed(self) -> float:
        s = float(self.shape)
        return (1 + s) ** (-1 / s)

    def reserve_price(self) -> Any:
        return self._reserve_closed()  # R is concave around its maximum for every shape

    def moment(self, p: float) -> float:
        s = float(self.shape)
        return math.inf if p <= -s else s / (s + p)

    def partial_mean(self, a: Any, b: Any) -> Any:
        """E[V; a < V <= b] = s (b^{s+1} - a^{s+1})/(s + 1) on [0, 1]."""
        s = float(self.shape)
        a = np.clip(np.asarray(a, dtype=float), 0.0, 1.0)
        b = np.clip(np.asarray(b, dtype=float), 0.0, 1.0)
        return _out(np.maximum(s * (b ** (s + 1) - a ** (s + 1)) / (s + 1), 0.0))

    def _tail_param(self) -> str:
        return "shape"


class TruncatedEqualRevenue(TypeDistribution):
    """F(v) = max{0, 1 - scale/v} on [0, H), F = 1 at H: R(q) = qH on [0, scale/H] and
    scale after (spec §2.1 rule 3, Theorems 3.3/3.6 with scale = 1/n).  So phi^ir = H
    with probability scale/H and 0 otherwise.

    >>> d = TruncatedEqualRevenue(Fraction(1, 2), 4)
    >>> d.r_law().values.tolist(), d.r_law().probs.tolist()
    ([Fraction(0, 1), Fraction(4, 1)], [Fraction(7, 8), Fraction(1, 8)])
    """

    family = "truncated_equal_revenue"

    def __init__(self, scale: Any, high: Any, where: str = "buyer"):
        self.where = where
        self.scale = _positive(scale, f"{where}.scale")
        self.high = _positive(high, f"{where}.high")
        if self.high <= self.scale:
            raise ModelError(f"{where}.high", f"must exceed scale = {scale!r} (= 1/n)")

    def params(self) -> dict[str, Any]:
        return {"family": self.family, "scale": self.scale, "high": self.high}

    @property
    def continuous(self) -> bool:
        return False  # the atom at H

    @property
    def support(self) -> tuple[Any, Any]:
        return self.scale, self.high

    def cdf(self, v: Any) -> Any:
        v = np.asarray(v, dtype=float)
        with np.errstate(divide="ignore"):
            out = np.where(v >= float(self.high), 1.0, np.maximum(0.0, 1 - float(self.scale) / v))
        return _out(out)

    def sf_ge(self, v: Any) -> Any:
        v = np.asarray(v, dtype=float)
        s, h = float(self.scale), float(self.high)
        with np.errstate(divide="ignore"):
            out = np.where(v > h, 0.0, np.where(v <= s, 1.0, s / np.maximum(v, s)))
        return _out(out)

    def pdf(self, v: Any) -> Any:
        v = np.asarray(v, dtype=float)
        inside = (v >= float(self.scale)) & (v < float(self.high))
        with np.errstate(divide="ignore"):
            return _out(np.where(inside, float(self.scale) / v**2, 0.0))

    def quantile(self, p: Any) -> Any:
        p = np.asarray(p, dtype=float)
        s, h = float(self.scale), float(self.high)
        with np.errstate(divide="ignore"):
            out = np.where(p >= 1 - s / h, h, s / np.maximum(1 - p, 1e-300))
        return _out(np.minimum(out, h))

    def moment(self, p: float) -> float:
        s, h = float(self.scale), float(self.high)
        body = s * math.log(h / s) if p == 1 else s * (h ** (p - 1) - s ** (p - 1)) / (p - 1)
        return body + s / h * h**p

    def virtual_value(self, v: Any) -> Any:
        """0 on [scale, H) (equal revenue), H on the atom at H."""
        v = np.asarray(v, dtype=float)
        return _out(np.where(v >= float(self.high), float(self.high), 0.0))

    def virtual_cost(self, c: Any) -> Any:
        """c^2/scale on [scale, H) (c + F/f), H on the atom."""
        c = np.asarray(c, dtype=float)
        return _out(np.where(c >= float(self.high), float(self.high), c**2 / float(self.scale)))

    def _build_ladder(self) -> PriceLadder:
        # exact: the atom's piece [0, scale/H] with slope H, then R flat at scale
        p = np.array([self.scale, self.high], dtype=object)
        q = np.array([Fraction(1), self.scale / self.high], dtype=object)
        if not all(isinstance(x, Fraction) for x in (*p, *q)):
            p, q = p.astype(float), q.astype(float)
        return PriceLadder.build(p, q)

    def ironing_intervals(self) -> list[tuple[Any, Any]]:
        return []


# ------------------------------------------------------------------ discrete
class Discrete(TypeDistribution):
    """Finite support ``values`` v_1 < ... < v_J with ``probs``; exact when given exactly.

    Virtual values are the slopes of the piecewise-linear revenue curve through
    (Q_j, Q_j v_j), Q_j = P(V >= v_j): phi_j = v_j - (v_{j+1} - v_j)(1 - F_j)/pi_j,
    phi_J = v_J (spec §2.1 rule 2).  Ironing of 10^5 types takes milliseconds.
    """

    family = "discrete"
    discrete = True

    def __init__(self, values: Sequence[Any], probs: Sequence[Any], where: str = "buyer"):
        self.where = where
        for name, arr in (("values", values), ("probs", probs)):
            if isinstance(arr, (str, bytes)) or not hasattr(arr, "__len__") or len(arr) == 0:
                raise ModelError(f"{where}.{name}", "must be a non-empty list of numbers")
        if len(values) != len(probs):
            raise ModelError(
                f"{where}.probs", f"has {len(probs)} entries but values has {len(values)}"
            )
        exact = all(
            isinstance(x, (int, np.integer, Fraction, str)) and not isinstance(x, bool)
            for x in (*values, *probs)
        )
        if exact:
            v = np.array([_num(x, f"{where}.values") for x in values], dtype=object)
            p = np.array([_num(x, f"{where}.probs") for x in probs], dtype=object)
            exact = all(isinstance(x, Fraction) for x in (*v, *p))
        if not exact:
            try:
                v = np.asarray(values, dtype=float)
                p = np.asarray(probs, dtype=float)
            except (TypeError, ValueError):
                raise ModelError(f"{where}.values", "entries must be numbers") from None
            for name, arr in (("values", v), ("probs", p)):
                if not np.all(np.isfinite(arr)):
                    raise ModelError(f"{where}.{name}", "entries must be finite")
        if np.any(p <= 0):
            raise ModelError(f"{where}.probs", "every type needs a positive probability")
        total = p.sum()
        if abs(float(total) - 1) > (0 if exact else PROB_TOL):
            raise ModelError(f"{where}.probs", f"sum to {total}, not 1")
        if np.any(v[1:] <= v[:-1]):
            raise ModelError(f"{where}.values", "must be strictly increasing")
        if v[0] < 0:
            raise ModelError(f"{where}.values", "types are nonnegative")
        if not exact:
            p = p / total
        self.values, self.probs, self.exact = v, p, exact

    def params(self) -> dict[str, Any]:
        return {"family": self.family, "values": list(self.values), "probs": list(self.probs)}

    @property
    def support(self) -> tuple[Any, Any]:
        return _py(self.values[0]), _py(self.values[-1])

    def _cum(self) -> np.ndarray:
        return np.concatenate([[0 * self.probs[0]], np.cumsum(self.probs)])

    def cdf(self, v: Any) -> Any:
        return _out(self._cum()[np.searchsorted(self.values, np.asarray(v), side="right")])

    def sf_ge(self, v: Any) -> Any:
        cum = self._cum()
        return _out(cum[-1] - cum[np.searchsorted(self.values, np.asarray(v), side="left")])

    def pmf(self, v: Any) -> Any:
        v = np.asarray(v)
        idx = np.clip(np.searchsorted(self.values, v), 0, len(self.values) - 1)
        hit = self.values[idx] == v
        return _out(np.where(hit, self.probs[idx], 0 * self.probs[0]))

    def quantile(self, p: Any) -> Any:
        cum = np.cumsum(np.asarray(self.probs, dtype=float))
        idx = np.searchsorted(cum, np.asarray(p, dtype=float) - 1e-12, side="left")
        return _out(self.values[np.minimum(idx, len(self.values) - 1)])

    def moment(self, p: float) -> Any:
        if p < 0 and self.values[0] == 0:
            return math.inf
        if self.exact and float(p).is_integer():
            return sum(pr * x ** int(p) for x, pr in zip(self.values, self.probs, strict=True))
        return float(np.sum(np.asarray(self.probs, float) * np.asarray(self.values, float) ** p))

    def sample(self, size: int | tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        return np.asarray(self.quantile(rng.random(size)), dtype=float)

    def _build_ladder(self) -> PriceLadder:
        cum = self._cum()
        return PriceLadder.build(self.values, cum[-1] - cum[:-1])

    def virtual_value(self, v: Any) -> Any:
        lad = self.ladder()
        return _out(lad.slope[self._index(v)])

    def ironed_virtual_value(self, v: Any) -> Any:
        return _out(self.ladder().ironed[self._index(v)])

    def _index(self, v: Any) -> np.ndarray:
        v = np.asarray(v)
        idx = np.searchsorted(self.values, v, side="left")
        bad = (idx >= len(self.values)) | (self.values[np.minimum(idx, len(self.values) - 1)] != v)
        if np.any(bad):
            raise ModelError(
                f"{self.where}.values",
                "virtual values of a discrete law are defined on its support only",
            )
        return idx

    def virtual_cost(self, c: Any) -> Any:
        cum = self._cum()
        prev = np.concatenate([self.values[:1], self.values[:-1]])
        vc = self.values + (self.values - prev) * cum[:-1] / self.probs
        return _out(vc[self._index(c)])

    def ironed_virtual_cost(self, c: Any) -> Any:
        """Virtual costs ironed by the lower convex hull of the cost curve (§4.4)."""
        idx = self._index(c)
        vc = np.asarray(self.virtual_cost(self.values))
        fit, _ = pava(vc, self.probs)
        return _out(fit[idx])


# ------------------------------------------------------------------ mixtures
class Mixture(TypeDistribution):
    """A finite mixture sum_k w_k F_k of the other families; ironed numerically on the
    union of the components' price grids and atoms (spec §2.1 rules 1 and 3).

    >>> m = Mixture([Discrete([1], [1]), Uniform(2, 3)], [0.5, 0.5])
    >>> float(m.cdf(1.0)), float(m.cdf(2.5))
    (0.5, 0.75)
    """

    family = "mixture"

    def __init__(
        self, components: Sequence[TypeDistribution], weights: Sequence[Any], where: str = "buyer"
    ):
        self.where = where
        if len(components) == 0:
            raise ModelError(f"{where}.components", "needs at least one component")
        if len(weights) != len(components):
            raise ModelError(
                f"{where}.weights", f"has {len(weights)} entries for {len(components)} components"
            )
        w = np.array([float(_num(x, f"{where}.weights")) for x in weights])
        if np.any(w <= 0):
            raise ModelError(f"{where}.weights", "must be positive")
        if abs(w.sum() - 1) > PROB_TOL:
            raise ModelError(f"{where}.weights", f"sum to {w.sum()!r}, not 1")
        for c in components:
            if isinstance(c, Mixture):
                raise ModelError(f"{where}.components", "nested mixtures are not supported")
        self.components, self.weights = list(components), w / w.sum()

    def params(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "weights": self.weights.tolist(),
            "components": [c.params() for c in self.components],
        }

    @property
    def continuous(self) -> bool:
        return all(c.continuous for c in self.components)

    @property
    def support(self) -> tuple[float, float]:
        s = [c.support for c in self.components]
        return float(min(a for a, _ in s)), float(max(b for _, b in s))

    def cdf(self, v: Any) -> Any:
        return _out(sum(w * np.asarray(c.cdf(v), float) for c, w in self._pairs()))

    def sf_ge(self, v: Any) -> Any:
        return _out(sum(w * np.asarray(c.sf_ge(v), float) for c, w in self._pairs()))

    def pdf(self, v: Any) -> Any:
        """Density of the continuous part (atoms excluded)."""
        tot = 0.0
        for c, w in self._pairs():
            if not c.discrete:
                tot = tot + w * np.asarray(c.pdf(v), float)
        return _out(np.asarray(tot))

    def _pairs(self):
        return zip(self.components, self.weights, strict=True)

    def quantile(self, p: Any) -> Any:
        scalar = np.ndim(p) == 0
        out = self._quantile(np.atleast_1d(np.asarray(p, dtype=float)))
        return float(out[0]) if scalar else out

    def _quantile(self, p: np.ndarray) -> np.ndarray:
        lo, hi = self.support
        if not math.isfinite(hi):
            hi = max(float(np.max(c.quantile(1 - 1e-15))) for c in self.components)
        a, b = np.full(p.shape, lo), np.full(p.shape, hi)
        for _ in range(100):  # vectorized bisection: inf{v : F(v) >= p}
            mid = (a + b) / 2
            ok = np.asarray(self.cdf(mid), float) >= p
            b, a = np.where(ok, mid, b), np.where(ok, a, mid)
        # snap to atoms where the bisection landed on one
        for c in self.components:
            if c.discrete:
                vals = np.asarray(c.values, float)
                near = np.abs(b[:, None] - vals[None, :]) < 1e-9 * (1 + np.abs(vals))
                hit = near.any(axis=1)
                b = np.where(hit, vals[np.argmax(near, axis=1)], b)
        return b

    def moment(self, p: float) -> float:
        return float(sum(w * float(c.moment(p)) for c, w in self._pairs()))

    def _grid_prices(self, grid: int = GRID) -> np.ndarray:
        pts = []
        for c in self.components:
            if c.discrete:
                pts.append(np.asarray(c.values, float))
            else:
                pts.append(np.asarray(c._grid_prices(grid), float))
                if isinstance(c, TruncatedEqualRevenue):
                    pts.append(np.array([float(c.high)]))
        return np.unique(np.concatenate(pts))

    def virtual_value(self, v: Any) -> Any:
        lad = self.ladder()
        return _out(lad.slope[lad.index(v)])

    def virtual_cost(self, c: Any) -> Any:
        c = np.asarray(c, dtype=float)
        return _out(c + np.asarray(self.cdf(c)) / np.asarray(self.pdf(c)))


# ------------------------------------------------------------------ model files
_KEYS = {
    "uniform": ({"low", "high"}, ("low", "high")),
    "exponential": ({"rate", "low", "high"}, ("rate",)),
    "pareto": ({"shape", "scale"}, ("shape",)),
    "power": ({"shape"}, ("shape",)),
    "truncated_equal_revenue": ({"high", "n", "scale"}, ("high",)),
    "discrete": ({"values", "probs"}, ("values", "probs")),
    "mixture": ({"weights", "components"}, ("weights", "components")),
}


def from_table(table: Mapping[str, Any], field: str = "buyer") -> TypeDistribution:
    """Build a law from its model-file table (``family`` plus parameters).

    ``field`` names the table in errors, e.g. ``"buyers[1]"``.

    >>> from_table({"family": "uniform", "low": 0, "high": 1}).reserve_price()
    0.5
    >>> from_table({"family": "discrete", "values": [1, 2], "probs": [0.5, 0.4]}, "buyers[0]")
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: buyers[0].probs: sum to 0.9, not 1
    """
    from .io import check_keys

    if not isinstance(table, Mapping):
        raise ModelError(field, f"must be a table with a family, got {type(table).__name__}")
    fam = table.get("family")
    if fam is None:
        raise ModelError(f"{field}.family", "is required")
    if fam not in _KEYS:
        raise ModelError(
            f"{field}.family", f"unknown family {fam!r} (known: {', '.join(FAMILIES)})"
        )
    allowed, required = _KEYS[fam]
    check_keys(table, field, allowed | {"family"}, required)
    t = {k: v for k, v in table.items() if k != "family"}
    if fam == "uniform":
        return Uniform(t["low"], t["high"], where=field)
    if fam == "exponential":
        return Exponential(t["rate"], t.get("low", 0), where=field, high=t.get("high"))
    if fam == "pareto":
        return Pareto(t["shape"], t.get("scale", 1), where=field)
    if fam == "power":
        return Power(t["shape"], where=field)
    if fam == "truncated_equal_revenue":
        if ("n" in t) == ("scale" in t):
            raise ModelError(f"{field}.n", "give exactly one of n or scale (= 1/n)")
        if "n" in t:
            n = _positive(t["n"], f"{field}.n")
            scale = 1 / to_fraction(n) if isinstance(n, Fraction) else 1 / n
        else:
            scale = t["scale"]
        return TruncatedEqualRevenue(scale, t["high"], where=field)
    if fam == "discrete":
        for k in ("values", "probs"):
            if not isinstance(t[k], list):
                raise ModelError(f"{field}.{k}", "must be a list of numbers")
        return Discrete(t["values"], t["probs"], where=field)
    comps = t["components"]
    if not isinstance(comps, list) or not comps:
        raise ModelError(f"{field}.components", "must be a non-empty array of tables")
    if not isinstance(t["weights"], list):
        raise ModelError(f"{field}.weights", "must be a list of numbers")
    parts = [from_table(c, f"{field}.components[{k}]") for k, c in enumerate(comps)]
    return Mixture(parts, t["weights"], where=field)


def to_table(dist: TypeDistribution) -> dict[str, Any]:
    """The model-file table of ``dist`` (inverse of :func:`from_table`)."""
    return dist.params()
