"""The parametric families: uniform, exponential, Pareto, power and the truncated
equal-revenue law (spec 003 S4, §2.1 rule 3, Theorems 3.3/3.6).

Each class docstring states the documented range of its parameters (see
:mod:`~datamech.models.distributions.reading`): out of it, ``ModelError`` names the
parameter and the range.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np
from scipy import integrate, optimize, special, stats

from ...errors import ModelError
from ...numeric import fmt
from .base import GRID, as_output
from .discrete import LadderLaw
from .ironing import PriceLadder
from .reading import (
    MIN_SCALE,
    PARETO_SHAPE_RANGE,
    POWER_SHAPE_RANGE,
    RATE_RANGE,
    range_hint,
    read_param,
)

__all__ = ["ContinuousLaw", "Exponential", "Pareto", "Power", "TruncatedEqualRevenue", "Uniform"]


class ContinuousLaw(LadderLaw):
    """A continuous family backed by a frozen ``scipy.stats`` law (regular, and with
    F/f nondecreasing, so virtual costs need no ironing).

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital Good with
      Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    """

    regular = True
    cost_regular = True
    _scipy: Any

    def cdf(self, v: Any) -> Any:
        return as_output(np.asarray(self._scipy.cdf(np.asarray(v, dtype=float))))

    def sf_ge(self, v: Any) -> Any:
        return as_output(np.asarray(self._scipy.sf(np.asarray(v, dtype=float))))

    def pdf(self, v: Any) -> Any:
        return as_output(np.asarray(self._scipy.pdf(np.asarray(v, dtype=float))))

    def quantile(self, p: Any) -> Any:
        return as_output(np.asarray(self._scipy.ppf(np.asarray(p, dtype=float))))

    @property
    def support(self) -> tuple[float, float]:
        lo, hi = self._scipy.support()
        return float(lo), float(hi)

    def moment(self, p: float) -> float:
        def compute() -> float:
            if p == 1:
                return float(self._scipy.mean())
            return float(self._scipy.expect(lambda x: x**p))

        return self._finite_moment(p, compute, self._scale_param())

    def _scale_param(self) -> str:
        """The parameter that sets the size of the types (named when a moment overflows)."""
        return "family"

    def virtual_cost(self, c: Any) -> Any:
        c = np.asarray(c, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return as_output(c + np.asarray(self.cdf(c)) / np.asarray(self.pdf(c)))

    def ironed_virtual_cost(self, c: Any) -> Any:
        """F/f is nondecreasing for every continuous family here, so no ironing."""
        return self.virtual_cost(c)

    def _reserve_closed(self) -> float:
        lo, hi = self.support
        if self._phi_closed(lo) > 0:
            return lo
        return float(optimize.brentq(self._phi_closed, lo, self.quantile(1 - 1e-12)))


class Uniform(ContinuousLaw):
    """U[low, high]: phi = 2v - high, virtual cost 2c - low (Myerson 1981).

    Range: 0 <= low < high <= 1e12.

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital Good with
      Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.

    Examples
    --------
    >>> Uniform(0, 1).reserve_price(), Uniform(2, 3).reserve_price()
    (0.5, 2.0)
    """

    family = "uniform"

    def __init__(self, low: Any, high: Any, where: str = "buyer"):
        self.where = where
        self.low = read_param(low, f"{where}.low")
        self.high = read_param(high, f"{where}.high")
        if self.high <= self.low or float(self.high) <= float(self.low):
            raise ModelError(
                f"{where}.high", f"must exceed low = {fmt(self.low)}, got {fmt(self.high)}"
            )
        self._scipy = stats.uniform(float(self.low), float(self.high) - float(self.low))

    def params(self) -> dict[str, Any]:
        return {"family": self.family, "low": self.low, "high": self.high}

    # closed forms (scipy's frozen law costs ~0.1 ms per call in the bilateral solvers)
    def cdf(self, v: Any) -> Any:
        a, b = float(self.low), float(self.high)
        return as_output(np.clip((np.asarray(v, dtype=float) - a) / (b - a), 0.0, 1.0))

    def sf_ge(self, v: Any) -> Any:
        return as_output(1.0 - np.asarray(self.cdf(v), dtype=float))

    def pdf(self, v: Any) -> Any:
        a, b = float(self.low), float(self.high)
        v = np.asarray(v, dtype=float)
        return as_output(np.where((v >= a) & (v <= b), 1.0 / (b - a), 0.0))

    def quantile(self, p: Any) -> Any:
        a, b = float(self.low), float(self.high)
        p = np.asarray(p, dtype=float)
        return as_output(np.where((p >= 0) & (p <= 1), a + p * (b - a), np.nan))

    def _phi_closed(self, v: Any) -> Any:
        return as_output(2 * np.asarray(v, dtype=float) - float(self.high))

    def virtual_cost(self, c: Any) -> Any:
        return as_output(2 * np.asarray(c, dtype=float) - float(self.low))

    def _reserve_closed(self) -> float:
        return float(max(self.low, self.high / 2))

    def moment(self, p: float) -> float:
        a, b = float(self.low), float(self.high)
        if p == -1:
            if a == 0:
                return math.inf
            return self._finite_moment(p, lambda: math.log(b / a) / (b - a), "low")
        if p < -1 and a == 0:
            return math.inf
        return self._finite_moment(
            p,
            lambda: (b ** (p + 1) - a ** (p + 1)) / ((p + 1) * (b - a)),
            "high" if p > 0 else "low",
        )

    def partial_mean(self, a: Any, b: Any) -> Any:
        lo, hi = float(self.low), float(self.high)
        a = np.clip(np.asarray(a, dtype=float), lo, hi)
        b = np.clip(np.asarray(b, dtype=float), lo, hi)
        return as_output((b**2 - a**2) / (2 * (hi - lo)))

    def _tail_param(self) -> str:
        return "low"


class Exponential(ContinuousLaw):
    """Exp(rate) shifted by ``low``, optionally truncated at ``high``.

    phi = v - 1/rate; on [low, high] phi = v - (1 - e^{-rate (high - v)})/rate (Myerson
    1981; rate 1 on [2, 5] is the reading of Nouripour's Section 5.1 example).

    Range: 1e-12 <= rate <= 1e12 (the mean 1/rate is a type value), 0 <= low <= 1e12,
    low < high <= 1e12 or high = inf (no truncation, the default).

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital Good with
      Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.

    Examples
    --------
    >>> round(Exponential(2).monopoly_revenue(), 12) == round(math.exp(-1) / 2, 12)
    True
    >>> round(Exponential(1, 2, high=5).virtual_value(2.0), 6)   # 1 + e^{-3}
    1.049787
    """

    family = "exponential"

    def __init__(self, rate: Any, low: Any = 0, where: str = "buyer", high: Any = None):
        self.where = where
        lo_r, hi_r = RATE_RANGE
        self.rate = read_param(
            rate,
            f"{where}.rate",
            low=lo_r,
            high=hi_r,
            hint=range_hint("exponential.rate", lo_r, hi_r),
        )
        self.low = read_param(low, f"{where}.low")
        if high is None:
            self.high: Any = math.inf
        else:
            self.high = read_param(high, f"{where}.high", allow_inf=True)
            if self.high <= self.low or float(self.high) <= float(self.low):
                raise ModelError(
                    f"{where}.high", f"must exceed low = {fmt(self.low)}, got {fmt(self.high)}"
                )
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
        return as_output(np.clip(-np.expm1(-float(self.rate) * x) / self._mass, 0.0, 1.0))

    def sf_ge(self, v: Any) -> Any:
        return as_output(1.0 - np.asarray(self.cdf(v), dtype=float))

    def pdf(self, v: Any) -> Any:
        v = np.asarray(v, dtype=float)
        lo, hi, r = float(self.low), float(self.high), float(self.rate)
        inside = (v >= lo) & (v <= hi)
        with np.errstate(over="ignore"):
            dens = r * np.exp(-r * (np.maximum(v, lo) - lo)) / self._mass
        return as_output(np.where(inside, dens, 0.0))

    def quantile(self, p: Any) -> Any:
        p = np.asarray(p, dtype=float)
        with np.errstate(divide="ignore"):
            return as_output(float(self.low) - np.log1p(-p * self._mass) / float(self.rate))

    def partial_mean(self, a: Any, b: Any) -> Any:
        lo, hi, r = float(self.low), float(self.high), float(self.rate)
        a = np.clip(np.asarray(a, dtype=float), lo, hi)
        b = np.clip(np.asarray(b, dtype=float), lo, hi)

        def anti(x):
            with np.errstate(invalid="ignore", over="ignore"):
                val = -(x + 1 / r) * np.exp(-r * (x - lo))
            return np.where(np.isinf(x), 0.0, val) / self._mass

        return as_output(anti(b) - anti(a))

    def _phi_closed(self, v: Any) -> Any:
        v = np.asarray(v, dtype=float)
        r = float(self.rate)
        if not math.isfinite(self.high):
            return as_output(v - 1 / r)
        with np.errstate(over="ignore"):
            return as_output(v + np.expm1(-r * (float(self.high) - v)) / r)

    def _reserve_closed(self) -> float:
        if math.isfinite(self.high):
            return super()._reserve_closed()
        return float(max(self.low, 1 / self.rate))

    def moment(self, p: float) -> float:
        """E[V^p] = E[(low + Y/rate)^p], Y ~ Exp(1) truncated at rate (high - low), by
        quadrature in the scale-free variable Y (so that rates of 1e-12 and 1e12 are
        alike); Gamma(p+1)/rate^p in closed form for low = 0 without truncation."""
        if p <= -1 and self.low == 0:
            return math.inf
        lo, r = float(self.low), float(self.rate)
        top, a = r * (float(self.high) - lo), r * lo

        def compute() -> float:
            if a == 0 and math.isinf(top):
                return math.exp(special.gammaln(p + 1) - p * math.log(r))
            # the integrand's peak is near y = p; beyond 11 p + 800 it is below e^-800
            end = min(top, 11 * max(p, 0.0) + 800.0)
            if a >= 1:  # V^p = low^p (1 + y/a)^p
                scale = lo**p

                def f(y: float) -> float:
                    return math.exp(p * math.log1p(y / a) - y)
            else:  # V^p = rate^-p (a + y)^p
                scale = r ** (-p)

                def f(y: float) -> float:
                    return math.exp(p * math.log(a + y) - y)

            peak = min(max(p - a, 0.0), end / 2)
            body, _ = integrate.quad(f, 0.0, end, points=[peak] if peak > 0 else None, limit=200)
            return scale * body / self._mass

        return self._finite_moment(p, compute, "rate")


class Pareto(ContinuousLaw):
    """Pareto: F(v) = 1 - (scale/v)^shape on [scale, inf); phi = v (1 - 1/shape) (Myerson 1981).

    Regular and with finite monopoly revenue only for shape > 1 (below, R(q) is not
    bounded and ``ModelError`` names ``shape``).  E[V^p] is finite iff p < shape (Deng et al.
    need such moments): an infinite moment a solver needs is a ``ModelError`` naming ``shape``.

    Range: 0.1 <= shape <= 1000 (so that every quantile the solvers take, up to
    1 - 1e-15, is a float), 1e-12 <= scale <= 1e12.

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital Good with
      Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    """

    family = "pareto"

    def __init__(self, shape: Any, scale: Any = 1, where: str = "buyer"):
        self.where = where
        lo_s, hi_s = PARETO_SHAPE_RANGE
        self.shape = read_param(
            shape,
            f"{where}.shape",
            low=lo_s,
            high=hi_s,
            hint=range_hint("pareto.shape", lo_s, hi_s),
        )
        self.scale = read_param(scale, f"{where}.scale", low=MIN_SCALE)
        self._scipy = stats.pareto(float(self.shape), scale=float(self.scale))

    def params(self) -> dict[str, Any]:
        return {"family": self.family, "shape": self.shape, "scale": self.scale}

    def _need_shape(self) -> None:
        if self.shape <= 1:
            raise ModelError(
                f"{self.where}.shape",
                f"must exceed 1 for virtual values and revenue (got {fmt(self.shape)}: "
                "the revenue curve is unbounded or flat, E[V] is infinite)",
            )

    def _phi_closed(self, v: Any) -> Any:
        self._need_shape()
        return as_output(np.asarray(v, dtype=float) * (1 - 1 / float(self.shape)))

    def _reserve_closed(self) -> float:
        self._need_shape()
        return float(self.scale)

    def virtual_cost(self, c: Any) -> Any:
        c = np.asarray(c, dtype=float)
        s, m = float(self.shape), float(self.scale)
        with np.errstate(over="ignore", invalid="ignore"):
            return as_output(c + ((c / m) ** s - 1) * c / s)

    def moment(self, p: float) -> float:
        s, m = float(self.shape), float(self.scale)
        if p >= s:
            return math.inf
        return self._finite_moment(p, lambda: s * m**p / (s - p), "scale")

    def partial_mean(self, a: Any, b: Any) -> Any:
        """E[V; a < V <= b] = s m^s (a^{1-s} - b^{1-s})/(s - 1) on [m, inf) (s != 1)."""
        s, m = float(self.shape), float(self.scale)
        a = np.maximum(np.asarray(a, dtype=float), m)
        b = np.maximum(np.asarray(b, dtype=float), m)
        if s == 1:
            return as_output(m * np.log(b / a))
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            # s m^s a^{1-s} = s m (a/m)^{1-s}: no overflow of m^s for large shapes
            out = s * m * (np.power(a / m, 1 - s) - np.power(b / m, 1 - s)) / (s - 1)
        return as_output(np.maximum(out, 0.0))

    def _tail_param(self) -> str:
        return "shape"

    def _scale_param(self) -> str:
        return "scale"


class Power(ContinuousLaw):
    """Power law on [0, 1]: F(v) = v^shape; phi = v(1 + 1/s) - v^{1-s}/s, virtual cost
    c (1 + 1/s) (Myerson 1981).  Regular for shape >= 1; for shape < 1 the revenue curve is convex
    near q = 1 and phi is ironed numerically (only where phi < 0).

    Range: 0.01 <= shape <= 1000.

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital Good with
      Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.

    Examples
    --------
    >>> round(Power(1).reserve_price(), 12)
    0.5
    """

    family = "power"

    def __init__(self, shape: Any, where: str = "buyer"):
        self.where = where
        lo_s, hi_s = POWER_SHAPE_RANGE
        self.shape = read_param(
            shape,
            f"{where}.shape",
            low=lo_s,
            high=hi_s,
            hint=range_hint("power.shape", lo_s, hi_s),
        )
        self.regular = self.shape >= 1
        self._scipy = stats.powerlaw(float(self.shape))

    def params(self) -> dict[str, Any]:
        return {"family": self.family, "shape": self.shape}

    def _phi_closed(self, v: Any) -> Any:
        s = float(self.shape)
        v = np.asarray(v, dtype=float)
        with np.errstate(divide="ignore", over="ignore"):
            return as_output(v * (1 + 1 / s) - np.power(v, 1 - s) / s)

    def virtual_cost(self, c: Any) -> Any:
        return as_output(np.asarray(c, dtype=float) * (1 + 1 / float(self.shape)))

    def ironed_virtual_value(self, v: Any) -> Any:
        if self.regular:
            return self._phi_closed(v)
        # shape < 1: R is concave on [0, 2s/(1+s)], which holds every q with phi >= 0,
        # so only the negative part is ironed (on the grid)
        v = np.asarray(v, dtype=float)
        closed = np.asarray(self._phi_closed(v))
        lad = self.ladder()
        return as_output(np.where(closed >= 0, closed, lad.ironed[lad.index(v)]))

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
        return as_output(np.maximum(s * (b ** (s + 1) - a ** (s + 1)) / (s + 1), 0.0))

    def _tail_param(self) -> str:
        return "shape"


class TruncatedEqualRevenue(LadderLaw):
    """F(v) = max{0, 1 - scale/v} on [0, H), F = 1 at H: R(q) = qH on [0, scale/H] and
    scale after (Deng et al., Section 2 on atoms; Theorems 3.3/3.6 with scale = 1/n).  So phi^ir = H
    with probability scale/H and 0 otherwise.

    Range: 1e-12 <= scale < high <= 1e12 (in a model file ``n`` = 1/scale, also in
    [1e-12, 1e12]).

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.

    Examples
    --------
    >>> d = TruncatedEqualRevenue(Fraction(1, 2), 4)
    >>> d.r_law().values.tolist(), d.r_law().probs.tolist()
    ([Fraction(0, 1), Fraction(4, 1)], [Fraction(7, 8), Fraction(1, 8)])
    """

    family = "truncated_equal_revenue"
    exact_ladder = True

    def __init__(self, scale: Any, high: Any, where: str = "buyer"):
        self.where = where
        self.scale = read_param(scale, f"{where}.scale", low=MIN_SCALE)
        self.high = read_param(high, f"{where}.high", low=0, low_open=True)
        if self.high <= self.scale or float(self.high) <= float(self.scale):
            raise ModelError(
                f"{where}.high",
                f"must exceed scale = {fmt(self.scale)} (= 1/n), got {fmt(self.high)}",
            )

    def params(self) -> dict[str, Any]:
        return {"family": self.family, "scale": self.scale, "high": self.high}

    @property
    def continuous(self) -> bool:
        return False  # the atom at H

    @property
    def support(self) -> tuple[Any, Any]:
        return self.scale, self.high

    def atoms(self) -> np.ndarray:
        return np.array([float(self.high)])

    def cdf(self, v: Any) -> Any:
        v = np.asarray(v, dtype=float)
        with np.errstate(divide="ignore"):
            out = np.where(v >= float(self.high), 1.0, np.maximum(0.0, 1 - float(self.scale) / v))
        return as_output(out)

    def sf_ge(self, v: Any) -> Any:
        v = np.asarray(v, dtype=float)
        s, h = float(self.scale), float(self.high)
        with np.errstate(divide="ignore"):
            out = np.where(v > h, 0.0, np.where(v <= s, 1.0, s / np.maximum(v, s)))
        return as_output(out)

    def pdf(self, v: Any) -> Any:
        v = np.asarray(v, dtype=float)
        inside = (v >= float(self.scale)) & (v < float(self.high))
        with np.errstate(divide="ignore"):
            return as_output(np.where(inside, float(self.scale) / v**2, 0.0))

    def quantile(self, p: Any) -> Any:
        p = np.asarray(p, dtype=float)
        s, h = float(self.scale), float(self.high)
        with np.errstate(divide="ignore"):
            out = np.where(p >= 1 - s / h, h, s / np.maximum(1 - p, 1e-300))
        return as_output(np.minimum(out, h))

    def moment(self, p: float) -> float:
        s, h = float(self.scale), float(self.high)

        def compute() -> float:
            if p == 1:
                body = s * math.log(h / s)
            else:
                body = s * (h ** (p - 1) - s ** (p - 1)) / (p - 1)
            return body + s / h * h**p

        return self._finite_moment(p, compute, "high" if p > 0 else "scale")

    def partial_mean(self, a: Any, b: Any) -> Any:
        """E[V; a < V <= b] = scale log(b'/a') on the density part [scale, H), plus
        scale (= H P(V = H)) when the atom H is in (a, b]."""
        s, h = float(self.scale), float(self.high)
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        lo, hi = np.clip(a, s, h), np.clip(b, s, h)
        body = s * np.log(np.maximum(hi, lo) / lo)
        return as_output(body + np.where((a < h) & (b >= h), s, 0.0))

    def virtual_value(self, v: Any) -> Any:
        """0 on [scale, H) (equal revenue), H on the atom at H."""
        v = np.asarray(v, dtype=float)
        return as_output(np.where(v >= float(self.high), float(self.high), 0.0))

    def virtual_cost(self, c: Any) -> Any:
        """c^2/scale on [scale, H) (c + F/f), H on the atom."""
        c = np.asarray(c, dtype=float)
        h = float(self.high)
        return as_output(np.where(c >= h, h, c**2 / float(self.scale)))

    def _build_ladder(self, grid: int = GRID) -> PriceLadder:
        # exact: the atom's piece [0, scale/H] with slope H, then R flat at scale
        p = np.array([self.scale, self.high], dtype=object)
        q = np.array([Fraction(1), self.scale / self.high], dtype=object)
        if not all(isinstance(x, Fraction) for x in (*p, *q)):
            p, q = p.astype(float), q.astype(float)
        return PriceLadder.build(p, q)

    def ironing_intervals(self) -> list[tuple[Any, Any]]:
        return []
