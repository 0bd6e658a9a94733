"""Buyers' valuations for the PSP data exchange (spec §1.4, draft Def. 1.2).

A valuation θ maps a total quantity of data z >= 0 to money.  Every family exposes

* ``value(z)`` θ(z) and ``marginal(z)`` θ'(z) (right derivative where θ has kinks),
  both accepting numpy arrays;
* ``demand(u) = sup{z : θ'(z) > u}`` (the elastic demand at unit price u);
* ``theta_prime0`` θ'(0) and ``gamma(D)``, the elasticity constant of Def. 1.2 on
  [0, D] or ``None`` when θ is not elastic;
* ``cvxpy_expr(z)`` a concave DCP expression equal to θ(z) for z >= 0 (exact at any
  welfare optimum, see :meth:`QuadraticValuation.cvxpy_expr`);
* ``sympy_expr()`` θ as a sympy expression in the symbol ``z``.

:func:`check_elastic` checks Def. 1.2 independently of ``gamma`` (sympy where the
family has a smooth closed form, a grid otherwise).

Examples
--------
>>> v = QuadraticValuation(kappa=0.015, qbar=80.0)
>>> round(v.marginal(0.0), 6), round(v.demand(0.6), 6)
(1.2, 40.0)
>>> check_elastic(v, 80).ok
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ModelError
from ..numeric import fmt, read_array, read_number
from .io import check_choice, check_keys

FAMILIES = ("quadratic", "log", "piecewise_linear", "linear_capped")


#: Largest magnitude of a number in a psp model (documented range, docs/psp.md "Ranges"):
#: values, prices and quantities up to 1e9 keep products (welfare, costs) and the
#: dynamics' comparisons with ε well inside float64; rescale the units beyond it.
MAX_VALUE = 1e9


def read_parameter(x: Any, name: str, *, positive: bool = False) -> float:
    """A valuation parameter: a number (``"p/q"`` accepted) in [0, MAX_VALUE] (or (0, ...]).

    >>> read_parameter("3/4", "valuation.kappa")
    0.75
    >>> read_parameter(1e308, "valuation.price")
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: valuation.price: must be <= 1000000000, got 1e+308
    """
    return float(read_number(x, name, exact=False, low=0, low_open=positive, high=MAX_VALUE))


class Valuation:
    """Common interface of the valuation families (see the module docstring).

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.
    """

    family: str = ""

    def value(self, z):  # pragma: no cover - abstract
        raise NotImplementedError

    def marginal(self, z):  # pragma: no cover - abstract
        raise NotImplementedError

    def demand(self, u):  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def theta_prime0(self) -> float:
        return float(self.marginal(0.0))

    def gamma(self, D: float) -> float | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def cvxpy_expr(self, z):  # pragma: no cover - abstract
        raise NotImplementedError

    def sympy_expr(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def params(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """The model-file table of this valuation (``family`` plus parameters)."""
        return {"family": self.family, **self.params()}


@dataclass(frozen=True)
class QuadraticValuation(Valuation):
    """Lazar–Semret quadratic valuation θ(z) = κ z (q̄ − z/2) for z <= q̄, κ q̄²/2 after.

    θ'(z) = κ (q̄ − z)^+, elastic with γ = κ (draft Definition 1.2; Lazar and Semret).

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.

    Examples
    --------
    >>> v = QuadraticValuation(2.0, 3.0)
    >>> v.value(1.0), v.marginal(1.0), v.demand(2.0), v.gamma(3.0)
    (5.0, 4.0, 2.0, 2.0)
    """

    kappa: float
    qbar: float
    family: str = field(default="quadratic", init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "kappa", read_parameter(self.kappa, "valuation.kappa", positive=True)
        )
        object.__setattr__(self, "qbar", read_parameter(self.qbar, "valuation.qbar", positive=True))

    def value(self, z):
        zz = np.minimum(np.maximum(z, 0.0), self.qbar)
        out = self.kappa * zz * (self.qbar - zz / 2.0)
        return float(out) if np.ndim(out) == 0 else out

    def marginal(self, z):
        out = self.kappa * np.maximum(self.qbar - np.asarray(z, dtype=float), 0.0)
        return float(out) if np.ndim(out) == 0 else out

    def demand(self, u):
        uu = np.asarray(u, dtype=float)
        out = np.where(uu < 0, np.inf, np.maximum(self.qbar - uu / self.kappa, 0.0))
        return float(out) if np.ndim(out) == 0 else out

    def gamma(self, D: float) -> float | None:
        return self.kappa

    def cvxpy_expr(self, z):
        """κ(q̄ z − z²/2): equals θ on [0, q̄] and is smaller beyond, so a welfare
        maximizer never goes past q̄ and the optimum (and its duals) are exact."""
        import cvxpy as cp

        return self.kappa * (self.qbar * z - cp.square(z) / 2.0)

    def sympy_expr(self):
        import sympy as sp

        z = sp.Symbol("z", nonnegative=True)
        k, q = sp.nsimplify(self.kappa), sp.nsimplify(self.qbar)
        return sp.Piecewise((k * z * (q - z / 2), z <= q), (k * q**2 / 2, True))

    def params(self) -> dict[str, Any]:
        return {"kappa": self.kappa, "qbar": self.qbar}


@dataclass(frozen=True)
class LogValuation(Valuation):
    """θ(z) = w log(1 + z/a), θ'(z) = w/(a + z); elastic on [0, D] with γ = w/(a + D)².

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.

    Examples
    --------
    >>> v = LogValuation(2.0, 1.0)
    >>> v.marginal(1.0), v.demand(0.5), v.gamma(1.0)
    (1.0, 3.0, 0.5)
    """

    w: float
    a: float
    family: str = field(default="log", init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "w", read_parameter(self.w, "valuation.w", positive=True))
        object.__setattr__(self, "a", read_parameter(self.a, "valuation.a", positive=True))

    def value(self, z):
        out = self.w * np.log1p(np.maximum(z, 0.0) / self.a)
        return float(out) if np.ndim(out) == 0 else out

    def marginal(self, z):
        out = self.w / (self.a + np.maximum(np.asarray(z, dtype=float), 0.0))
        return float(out) if np.ndim(out) == 0 else out

    def demand(self, u):
        uu = np.asarray(u, dtype=float)
        with np.errstate(divide="ignore"):
            out = np.where(
                uu <= 0, np.inf, np.maximum(self.w / np.maximum(uu, 1e-300) - self.a, 0.0)
            )
        return float(out) if np.ndim(out) == 0 else out

    def gamma(self, D: float) -> float | None:
        # θ'' = −w/(a+z)² is largest in absolute value at 0 and smallest at D
        return self.w / (self.a + D) ** 2

    def cvxpy_expr(self, z):
        import cvxpy as cp

        return self.w * cp.log(1 + z / self.a)

    def sympy_expr(self):
        import sympy as sp

        z = sp.Symbol("z", nonnegative=True)
        return sp.nsimplify(self.w) * sp.log(1 + z / sp.nsimplify(self.a))

    def params(self) -> dict[str, Any]:
        return {"w": self.w, "a": self.a}


@dataclass(frozen=True)
class PiecewiseLinearValuation(Valuation):
    """Concave piecewise-linear θ: slope ``slopes[k]`` on [breaks[k-1], breaks[k]).

    ``breaks`` are the m kink points 0 < b_1 < ... < b_m and ``slopes`` the m + 1
    non-increasing, non-negative slopes (the last applies after b_m).  Concavity is
    required (non-increasing slopes); θ' jumps, so θ is not elastic (γ is None).

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.

    Examples
    --------
    >>> v = PiecewiseLinearValuation([10.0], [2.0, 1.0])
    >>> v.value(15.0), v.marginal(10.0), v.demand(1.0), v.demand(0.5)
    (25.0, 1.0, 10.0, inf)
    """

    breaks: tuple[float, ...]
    slopes: tuple[float, ...]
    family: str = field(default="piecewise_linear", init=False, repr=False)

    def __post_init__(self) -> None:
        arrays = {}
        for name in ("breaks", "slopes"):
            arrays[name] = read_array(
                getattr(self, name),
                f"valuation.{name}",
                exact=False,
                ndim=1,
                low=0,
                high=MAX_VALUE,
                nonempty=name == "slopes",
            )
        b, s = tuple(arrays["breaks"].tolist()), tuple(arrays["slopes"].tolist())
        if len(s) != len(b) + 1:
            raise ModelError(
                "valuation.slopes",
                f"needs len(breaks) + 1 = {len(b) + 1} slopes, got {len(s)}",
            )
        if any(x <= 0 for x in b[:1]) or any(b2 <= b1 for b1, b2 in zip(b, b[1:], strict=False)):
            raise ModelError("valuation.breaks", "must be positive and strictly increasing")
        if any(s2 > s1 for s1, s2 in zip(s, s[1:], strict=False)):
            raise ModelError(
                "valuation.slopes",
                f"must be non-increasing (θ must be concave), got [{', '.join(map(fmt, s))}]",
            )
        object.__setattr__(self, "breaks", b)
        object.__setattr__(self, "slopes", s)

    def _knots(self) -> tuple[np.ndarray, np.ndarray]:
        x = np.array((0.0, *self.breaks))
        y = np.concatenate(([0.0], np.cumsum(np.diff(x) * np.array(self.slopes[:-1]))))
        return x, y

    def value(self, z):
        x, y = self._knots()
        zz = np.maximum(np.asarray(z, dtype=float), 0.0)
        out = np.interp(zz, x, y) + np.maximum(zz - x[-1], 0.0) * self.slopes[-1]
        return float(out) if np.ndim(out) == 0 else out

    def marginal(self, z):
        idx = np.searchsorted(np.array(self.breaks), np.asarray(z, dtype=float), side="right")
        out = np.array(self.slopes)[idx]
        return float(out) if np.ndim(out) == 0 else out

    def demand(self, u):
        uu = np.asarray(u, dtype=float)
        ends = np.array((0.0, *self.breaks, np.inf))
        # the number of segments with slope > u; the demand is where the last one ends
        count = (np.array(self.slopes)[None, :] > uu.reshape(-1, 1)).sum(axis=1)
        out = ends[count].reshape(uu.shape)
        return float(out) if np.ndim(out) == 0 else out

    def gamma(self, D: float) -> float | None:
        return None

    def cvxpy_expr(self, z):
        import cvxpy as cp

        x, y = self._knots()
        pieces = [y[k] + self.slopes[k] * (z - x[k]) for k in range(len(self.slopes))]
        return pieces[0] if len(pieces) == 1 else cp.minimum(*pieces)

    def sympy_expr(self):
        import sympy as sp

        z = sp.Symbol("z", nonnegative=True)
        x, y = self._knots()
        terms = []
        for k in range(len(self.slopes) - 1):
            terms.append(
                (
                    sp.nsimplify(y[k]) + sp.nsimplify(self.slopes[k]) * (z - sp.nsimplify(x[k])),
                    z <= sp.nsimplify(x[k + 1]),
                )
            )
        terms.append((sp.nsimplify(y[-1]) + sp.nsimplify(self.slopes[-1]) * (z - x[-1]), True))
        return sp.Piecewise(*terms)

    def params(self) -> dict[str, Any]:
        return {"breaks": list(self.breaks), "slopes": list(self.slopes)}


@dataclass(frozen=True)
class LinearCappedValuation(Valuation):
    """θ(z) = price · min(z, cap): a constant marginal value up to a need ``cap``.

    Not elastic (γ is None); it is what the draft's worked example implies (draft §3.4.4).

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.

    Examples
    --------
    >>> v = LinearCappedValuation(1.2, 40.0)
    >>> v.value(50.0), v.marginal(39.0), v.marginal(40.0), v.demand(1.0)
    (48.0, 1.2, 0.0, 40.0)
    """

    price: float
    cap: float
    family: str = field(default="linear_capped", init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "price", read_parameter(self.price, "valuation.price", positive=True)
        )
        object.__setattr__(self, "cap", read_parameter(self.cap, "valuation.cap", positive=True))

    def value(self, z):
        out = self.price * np.minimum(np.maximum(z, 0.0), self.cap)
        return float(out) if np.ndim(out) == 0 else out

    def marginal(self, z):
        out = np.where(np.asarray(z, dtype=float) < self.cap, self.price, 0.0)
        return float(out) if np.ndim(out) == 0 else out

    def demand(self, u):
        out = np.where(self.price > np.asarray(u, dtype=float), self.cap, 0.0)
        return float(out) if np.ndim(out) == 0 else out

    def gamma(self, D: float) -> float | None:
        return None

    def cvxpy_expr(self, z):
        import cvxpy as cp

        return self.price * cp.minimum(z, self.cap)

    def sympy_expr(self):
        import sympy as sp

        z = sp.Symbol("z", nonnegative=True)
        return sp.nsimplify(self.price) * sp.Min(z, sp.nsimplify(self.cap))

    def params(self) -> dict[str, Any]:
        return {"price": self.price, "cap": self.cap}


_FAMILY_TYPES = {
    "quadratic": (QuadraticValuation, ("kappa", "qbar")),
    "log": (LogValuation, ("w", "a")),
    "piecewise_linear": (PiecewiseLinearValuation, ("breaks", "slopes")),
    "linear_capped": (LinearCappedValuation, ("price", "cap")),
}


def make_valuation(table: Mapping[str, Any], where: str = "valuation") -> Valuation:
    """Build a valuation from a model-file table ``{family = ..., <parameters>}``.

    Errors name the field as ``<where>.<key>``.

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.

    Examples
    --------
    >>> make_valuation({"family": "log", "w": 2.0, "a": 1.0})
    LogValuation(w=2.0, a=1.0)
    """
    if not isinstance(table, Mapping) or "family" not in table:
        every = {"family"}.union(*(keys for _, keys in _FAMILY_TYPES.values()))
        check_keys(table, where, every, required=("family",))  # raises
    fam = check_choice(table["family"], f"{where}.family", FAMILIES)
    typ, keys = _FAMILY_TYPES[fam]
    check_keys(table, where, ("family", *keys), required=keys)
    try:
        return typ(**{k: table[k] for k in keys})
    except ModelError as exc:
        # re-anchor "valuation.kappa" to the caller's path, e.g. "buyers[2].valuation.kappa"
        raise ModelError(exc.field.replace("valuation", where, 1), exc.problem) from None


# --------------------------------------------------------------------- elasticity
@dataclass(frozen=True)
class ElasticReport:
    """Outcome of :func:`check_elastic`: ``ok``, the γ found, and violations in words.

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.
    """

    ok: bool
    gamma: float | None
    violations: tuple[str, ...]


def check_elastic(theta: Valuation, D: float, tol: float = 1e-9, grid: int = 2001) -> ElasticReport:
    """Check Def. 1.2 (elastic valuation on [0, D]) for ``theta``.

    θ(0) = 0, θ' >= 0 non-increasing and continuous, and a γ > 0 with
    θ'(z) <= θ'(η) − γ (z − η) whenever θ'(z) > 0 and η <= z.  For families with a
    smooth closed form the largest γ is found with sympy as inf of −θ'' over the
    region where θ' > 0; otherwise a grid is used, and a jump of θ' (or a flat
    stretch with θ' > 0) is reported as a violation.

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.

    Examples
    --------
    >>> check_elastic(LinearCappedValuation(1.0, 5.0), 10).ok
    False
    >>> r = check_elastic(LogValuation(2.0, 1.0), 1.0)
    >>> r.ok, round(r.gamma, 9)
    (True, 0.5)
    """
    viol: list[str] = []
    if abs(float(theta.value(0.0))) > tol:
        viol.append(f"θ(0) = {theta.value(0.0)} ≠ 0")
    if isinstance(theta, (QuadraticValuation, LogValuation)):
        import sympy as sp

        z = sp.Symbol("z", nonnegative=True)
        if isinstance(theta, QuadraticValuation):
            expr = sp.nsimplify(theta.kappa) * z * (sp.nsimplify(theta.qbar) - z / 2)
            hi = min(D, theta.qbar)
        else:
            expr = theta.sympy_expr()
            hi = D
        d1, d2 = sp.diff(expr, z), sp.diff(expr, z, 2)
        if sp.simplify(d1.subs(z, 0) - sp.nsimplify(theta.theta_prime0)) != 0:
            viol.append("θ'(0) does not match the closed form")
        # γ = inf over [0, hi] of −θ''; −θ'' is monotone for these families
        cands = [float(-d2.subs(z, 0)), float(-d2.subs(z, sp.nsimplify(hi)))]
        gamma = min(cands)
        if gamma <= 0:
            viol.append(f"θ'' = {d2} is not negative on [0, {D}]")
        return ElasticReport(not viol, gamma if gamma > 0 else None, tuple(viol))
    zs = np.linspace(0.0, float(D), grid)
    m = np.asarray(theta.marginal(zs), dtype=float)
    if np.any(m < -tol):
        viol.append("θ' is negative somewhere")
    dm = np.diff(m)
    if np.any(dm > tol):
        viol.append("θ' increases somewhere (θ not concave)")
    h = zs[1] - zs[0]
    pos = m[1:] > tol
    slopes = -dm / h
    if np.any(pos & (slopes <= tol)):
        viol.append("θ' is flat where positive: no γ > 0 exists")
    jumps = np.abs(dm) > 1e3 * h * max(1.0, float(np.max(np.abs(m))))
    if np.any(jumps):
        viol.append("θ' is not continuous (jump)")
    gamma = float(np.min(slopes[pos])) if np.any(pos) and not viol else None
    return ElasticReport(not viol, gamma, tuple(viol))
