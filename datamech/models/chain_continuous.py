"""The resale chain with continuous valuations (arXiv:2606.31202, Section 3.3).

Valuations live on a bounded support [L0, H0] and are Markov (Assumption 2.1): v_0 is a
known value and v_i given v_{i-1} = w has conditional density f_i(. | w) on [L0, H0].
Algorithm 4 (``datamech.solvers.chain.fptas``) needs f_i to be K0-log-Lipschitz in the
conditioning value (Def 3.7)::

    |log f_i(v | a) - log f_i(v | b)| <= K0 |a - b|   for all v, a, b in [L0, H0].

This module holds the conditional-law families ("kernels") with their CDFs, densities and
log-Lipschitz constants, the model object and its model-file reading and writing.

Families
--------
* :class:`TruncatedNormalWalk` -- v | w ~ N(w, sigma^2) truncated to [L0, H0];
  K0 = (H0 - L0) / sigma^2.
* :class:`TiltedKernel` -- f(v | w) proportional to exp(kappa v w) on [L0, H0];
  ``K0 = |kappa| (H0 - L0)``.
* :class:`CustomKernel` -- any CDF given as a Python callable, with a user-given K0.

Examples
--------
>>> from datamech.models.chain_continuous import create_continuous, TruncatedNormalWalk
>>> m = create_continuous(5, (0.0, 1.0), TruncatedNormalWalk(0.2), start=0.5, mechanism="AVE")
>>> m.n, m.support, round(m.K0, 6)
(5, (0.0, 1.0), 25.0)
>>> float(m.kernels[0].cdf(0.5, 0.5))
0.5
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import erf, ndtr

from ..errors import ModelError
from ..numeric import fmt, read_number
from . import io
from .chain import from_toml, in_file
from .chain_mechanisms import (
    check_length,
    check_mechanism_label,
    mechanism_table,
    named_mechanism,
    read_mechanism_table,
    validated_reallocation,
)
from .chain_options import CONTINUOUS_METHODS, read_solver_table

__all__ = [
    "FAMILIES",
    "ConditionalLaw",
    "ContinuousChainModel",
    "CustomKernel",
    "TiltedKernel",
    "TruncatedNormalWalk",
    "create_continuous",
    "from_toml_continuous",
    "kernel_from_table",
    "read_chain_file",
    "to_toml_continuous",
]

_SQRT2 = math.sqrt(2.0)


# ---------------------------------------------------------------------- helpers
def _check_support(support: Any, field_name: str = "support") -> tuple[float, float]:
    is_pair_like = isinstance(support, (Sequence, np.ndarray)) and not isinstance(
        support, (str, bytes)
    )
    if not is_pair_like:
        raise ModelError(field_name, f"must be a pair [L0, H0], got {type(support).__name__}")
    if len(support) != 2:
        raise ModelError(field_name, f"must be a pair [L0, H0], got {len(support)} entries")
    lo = read_number(support[0], f"{field_name}[0]", exact=False)
    hi = read_number(support[1], f"{field_name}[1]", exact=False)
    if not lo < hi:
        raise ModelError(field_name, f"needs L0 < H0, got [{fmt(lo)}, {fmt(hi)}]")
    if not math.isfinite(hi - lo):
        raise ModelError(field_name, f"the width H0 - L0 of [{fmt(lo)}, {fmt(hi)}] overflows")
    return lo, hi


def _expm1_ratio(x: np.ndarray) -> np.ndarray:
    """g(x) = expm1(x) / x with g(0) = 1, accurate near 0 (no 1 - 1 cancellation)."""
    x = np.asarray(x, dtype=float)
    safe = np.where(x == 0.0, 1.0, x)
    return np.where(x == 0.0, 1.0, np.expm1(safe) / safe)


def _normal_mass(za: np.ndarray, zb: np.ndarray) -> np.ndarray:
    """Phi(zb) - Phi(za) for za <= zb without cancellation in either tail."""
    upper = ndtr(-za) - ndtr(-zb)  # both in the right tail: survival functions
    lower = ndtr(zb) - ndtr(za)  # both in the left tail
    middle = 0.5 * (erf(zb / _SQRT2) - erf(za / _SQRT2))  # erf terms of opposite sign
    return np.where(za >= 0, upper, np.where(zb <= 0, lower, middle))


# ---------------------------------------------------------------------- kernels
class ConditionalLaw:
    """Base of the conditional-law families: the law of v_i given v_{i-1} = w.

    Subclasses are frozen dataclasses with a ``support`` field (``None`` until bound to a
    model, see :meth:`bind`) and implement ``cdf``, ``pdf`` and ``log_lipschitz``.
    ``cell_masses`` (the discretization Algorithm 4 needs) has a generic version here
    built on ``cdf``; families override it with a numerically stabler one.

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.
    """

    family: str = "custom"
    support: tuple[float, float] | None

    def bind(self, low: float, high: float) -> ConditionalLaw:
        """This law on the support [low, high] (a copy; errors if bound to another one)."""
        sup = (float(low), float(high))
        if self.support is not None and tuple(self.support) != sup:
            raise ModelError(
                "kernel.support",
                f"the kernel is defined on {list(self.support)}, the model's support is "
                f"{list(sup)}",
            )
        return dataclasses.replace(self, support=sup)

    def _bounds(self) -> tuple[float, float]:
        if self.support is None:
            raise ModelError(
                "kernel.support",
                "the kernel has no support yet: give support=(L0, H0) or put it in a model",
            )
        return self.support

    def parameters(self) -> dict[str, Any]:
        """The family's parameters as a model-file table (``family`` and parameters)."""
        raise ModelError("kernel", f"a {type(self).__name__} cannot be written to a model file")

    def cdf(self, v, w):  # pragma: no cover - abstract
        raise NotImplementedError

    def pdf(self, v, w):  # pragma: no cover - abstract
        raise NotImplementedError

    def log_lipschitz(self, L0: float | None = None, H0: float | None = None) -> float:
        raise NotImplementedError  # pragma: no cover - abstract

    def cell_masses(self, edges: np.ndarray, w: np.ndarray) -> np.ndarray:
        """P(edges[l] <= v < edges[l+1] | v_{i-1} = w[k]) as an array (len(w), len(edges) - 1).

        ``edges[0]`` is taken as CDF 0 and ``edges[-1]`` as CDF 1 (App. C.4's conventions
        F(w_0 | .) = 0 and F(w_L | .) = 1).  Rows are nonnegative and sum to 1.
        """
        edges = np.asarray(edges, dtype=float)
        w = np.asarray(w, dtype=float)
        C = np.asarray(self.cdf(edges[None, 1:-1], w[:, None]), dtype=float)
        C = np.broadcast_to(C, (w.size, edges.size - 2))
        C = np.concatenate([np.zeros((w.size, 1)), C, np.ones((w.size, 1))], axis=1)
        return _normalize_rows(np.maximum(np.diff(C, axis=1), 0.0), w)


def _normalize_rows(M: np.ndarray, w: np.ndarray) -> np.ndarray:
    s = M.sum(axis=1)
    bad = np.flatnonzero(~(s > 0) | ~np.isfinite(s))
    if bad.size:
        raise ModelError(
            "kernel",
            f"the law of v_i given v_(i-1) = {fmt(w[bad[0]])} puts no (finite) mass on the support",
        )
    M /= s[:, None]
    return M


@dataclass(frozen=True)
class TruncatedNormalWalk(ConditionalLaw):
    """v_i | v_{i-1} = w ~ N(w, sigma^2) truncated to [L0, H0].

    Density f(v | w) = phi((v - w)/sigma) / (sigma Z(w)) on [L0, H0] with
    Z(w) = Phi((H0 - w)/sigma) - Phi((L0 - w)/sigma).

    Log-Lipschitz constant (Def 3.7).  Differentiating log f in w, and using
    Z'(w) = Z(w) (E_w[v] - w) / sigma^2 (differentiate under the integral),

        d/dw log f(v | w) = (v - w)/sigma^2 - (E_w[v] - w)/sigma^2 = (v - E_w[v]) / sigma^2,

    where E_w[v] is the mean of the truncated law.  Both v and E_w[v] lie in [L0, H0], so
    K0 = (H0 - L0) / sigma^2.  The bound is approached (never reached) when sigma is small
    against H0 - L0: at w = L0 the mean sits near L0 and v = H0 is far from it.

    Parameters
    ----------
    sigma : float
        Standard deviation of the untruncated step, > 0.
    support : (float, float), optional
        [L0, H0]; filled in by the model when left out.

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.

    Examples
    --------
    >>> k = TruncatedNormalWalk(0.5, support=(0.0, 1.0))
    >>> round(float(k.cdf(0.5, 0.5)), 12), k.log_lipschitz()
    (0.5, 4.0)
    """

    sigma: float
    support: tuple[float, float] | None = None
    family = "truncated_normal"

    def __post_init__(self) -> None:
        s = read_number(self.sigma, "kernel.sigma", exact=False, low=0, low_open=True)
        object.__setattr__(self, "sigma", s)
        if self.support is not None:
            object.__setattr__(self, "support", _check_support(self.support, "kernel.support"))

    def parameters(self) -> dict[str, Any]:
        return {"family": self.family, "sigma": self.sigma}

    def _z(self, x, w):
        return (np.asarray(x, dtype=float) - np.asarray(w, dtype=float)) / self.sigma

    def _mass(self, a, b, w):
        L0, H0 = self._bounds()
        a = np.clip(np.asarray(a, dtype=float), L0, H0)
        b = np.clip(np.asarray(b, dtype=float), L0, H0)
        return _normal_mass(self._z(a, w), self._z(np.maximum(a, b), w))

    def cdf(self, v, w):
        """P(v_i <= v | v_{i-1} = w), broadcasting over v and w."""
        L0, H0 = self._bounds()
        return self._mass(L0, v, w) / self._mass(L0, H0, w)

    def pdf(self, v, w):
        """f(v | w), 0 outside [L0, H0]."""
        L0, H0 = self._bounds()
        v = np.asarray(v, dtype=float)
        z = self._z(v, w)
        dens = np.exp(-0.5 * z * z) / (self.sigma * math.sqrt(2 * math.pi))
        dens = dens / self._mass(L0, H0, w)
        return np.where((v >= L0) & (v <= H0), dens, 0.0)

    def log_lipschitz(self, L0: float | None = None, H0: float | None = None) -> float:
        """K0 = (H0 - L0) / sigma^2 (see the class docstring for the derivation)."""
        L0, H0 = _support_args(self, L0, H0)
        return (H0 - L0) / self.sigma / self.sigma

    def cell_masses(self, edges: np.ndarray, w: np.ndarray) -> np.ndarray:
        edges = np.asarray(edges, dtype=float)
        w = np.asarray(w, dtype=float)
        # cells [edges_l, edges_{l+1}): untruncated masses, then truncate by normalizing
        Z = self._z(edges[None, :], w[:, None])
        M = _normal_mass(Z[:, :-1], Z[:, 1:])
        return _normalize_rows(np.maximum(M, 0.0), w)


@dataclass(frozen=True)
class TiltedKernel(ConditionalLaw):
    """f(v | w) proportional to exp(kappa v w) on [L0, H0] (an exponential tilt by w).

    With theta = kappa w and D = H0 - L0, the mass of [a, b) inside the support is
    (e^{theta b} - e^{theta a}) / (e^{theta H0} - e^{theta L0}), evaluated as

    * theta >= 0: e^{theta (b - H0)} (b - a) g(-theta (b - a)) / (D g(-theta D)),
    * theta < 0:  e^{theta (a - L0)} (b - a) g(theta (b - a)) / (D g(theta D)),

    with g(x) = expm1(x)/x (g(0) = 1): no overflow, and no cancellation as theta -> 0,
    where the law tends to the uniform one.

    Log-Lipschitz constant (Def 3.7): d/dw log f(v | w) = kappa (v - E_w[v]), so
    ``K0 = |kappa| (H0 - L0)``.

    Parameters
    ----------
    kappa : float
        Tilt strength (any finite number; 0 gives the uniform law, independent of w).
    support : (float, float), optional
        [L0, H0]; filled in by the model when left out.

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.

    Examples
    --------
    >>> k = TiltedKernel(1.0, support=(0.0, 1.0))
    >>> round(float(k.cdf(0.5, 0.0)), 12)  # uniform at w = 0
    0.5
    >>> round(float(k.cdf(0.5, 1.0)), 6)  # (e^0.5 - 1) / (e - 1)
    0.377541
    """

    kappa: float
    support: tuple[float, float] | None = None
    family = "tilted"

    def __post_init__(self) -> None:
        object.__setattr__(self, "kappa", read_number(self.kappa, "kernel.kappa", exact=False))
        if self.support is not None:
            object.__setattr__(self, "support", _check_support(self.support, "kernel.support"))

    def parameters(self) -> dict[str, Any]:
        return {"family": self.family, "kappa": self.kappa}

    def _mass(self, a, b, w):
        L0, H0 = self._bounds()
        D = H0 - L0
        a = np.clip(np.asarray(a, dtype=float), L0, H0)
        b = np.maximum(np.clip(np.asarray(b, dtype=float), L0, H0), a)
        theta = self.kappa * np.asarray(w, dtype=float)
        width = b - a
        pos = theta >= 0
        # the exponents below are <= 0 on their own branch; np.where evaluates both
        e_pos = np.exp(np.minimum(theta * (b - H0), 0.0))
        e_neg = np.exp(np.minimum(theta * (a - L0), 0.0))
        s = np.where(pos, -1.0, 1.0) * theta
        return (
            np.where(pos, e_pos, e_neg)
            * width
            * _expm1_ratio(s * width)
            / (D * _expm1_ratio(s * D))
        )

    def cdf(self, v, w):
        """P(v_i <= v | v_{i-1} = w), broadcasting over v and w."""
        L0, _ = self._bounds()
        return self._mass(L0, v, w)

    def pdf(self, v, w):
        """f(v | w), 0 outside [L0, H0]."""
        L0, H0 = self._bounds()
        D = H0 - L0
        v = np.asarray(v, dtype=float)
        theta = self.kappa * np.asarray(w, dtype=float)
        pos = theta >= 0
        vc = np.clip(v, L0, H0)
        expo = np.where(pos, theta * (vc - H0), theta * (vc - L0))
        s = np.where(pos, -1.0, 1.0) * theta
        dens = np.exp(np.minimum(expo, 0.0)) / (D * _expm1_ratio(s * D))
        return np.where((v >= L0) & (v <= H0), dens, 0.0)

    def log_lipschitz(self, L0: float | None = None, H0: float | None = None) -> float:
        """``K0 = |kappa| (H0 - L0)``."""
        L0, H0 = _support_args(self, L0, H0)
        return abs(self.kappa) * (H0 - L0)

    def cell_masses(self, edges: np.ndarray, w: np.ndarray) -> np.ndarray:
        edges = np.asarray(edges, dtype=float)
        w = np.asarray(w, dtype=float)
        M = self._mass(edges[None, :-1], edges[None, 1:], w[:, None])
        return _normalize_rows(np.maximum(M, 0.0), w)


@dataclass(frozen=True)
class CustomKernel(ConditionalLaw):
    """A conditional law given by its CDF ``cdf(v, w)`` and a log-Lipschitz constant K0.

    ``cdf`` may be vectorized (numpy broadcasting over v and w) or scalar-only; a scalar
    function is wrapped with ``np.vectorize`` the first time a vectorized call fails or
    returns the wrong shape.  ``K0`` is the user's claim that the density is K0-log-
    Lipschitz in w (Def 3.7): Algorithm 4's guarantee holds only if it is true.  ``pdf``
    is optional; without it the density is a central difference of the CDF.

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.

    Examples
    --------
    >>> k = CustomKernel(lambda v, w: np.clip(v, 0, 1), K0=1.0, support=(0.0, 1.0))
    >>> float(k.cdf(0.25, 0.7)), k.log_lipschitz()
    (0.25, 1.0)
    """

    cdf_function: Callable[..., Any]
    K0: float
    pdf_function: Callable[..., Any] | None = None
    support: tuple[float, float] | None = None
    _state: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not callable(self.cdf_function):
            raise ModelError("kernel.cdf", f"must be callable, got {self.cdf_function!r}")
        if self.pdf_function is not None and not callable(self.pdf_function):
            raise ModelError("kernel.pdf", f"must be callable, got {self.pdf_function!r}")
        K0 = read_number(self.K0, "kernel.K0", exact=False, low=0, low_open=True)
        object.__setattr__(self, "K0", K0)
        if self.support is not None:
            object.__setattr__(self, "support", _check_support(self.support, "kernel.support"))

    def _call(self, fn: Callable, key: str, v, w) -> np.ndarray:
        v = np.asarray(v, dtype=float)
        w = np.asarray(w, dtype=float)
        shape = np.broadcast_shapes(v.shape, w.shape)
        if not self._state.get(key):
            try:
                out = np.asarray(fn(v, w), dtype=float)
                if out.shape == shape:
                    return out
                if out.size == 1 and shape == ():
                    return out.reshape(())
            except Exception:  # noqa: BLE001 - any failure means "not vectorized"
                pass
            self._state[key] = np.vectorize(fn, otypes=[float])
        return np.asarray(self._state[key](v, w), dtype=float)

    def cdf(self, v, w):
        """The user's CDF, broadcasting over v and w."""
        return self._call(self.cdf_function, "cdf", v, w)

    def pdf(self, v, w):
        """The user's density, or a central difference of the CDF."""
        if self.pdf_function is not None:
            return self._call(self.pdf_function, "pdf", v, w)
        v = np.asarray(v, dtype=float)
        h = 1e-6 * np.maximum(1.0, np.abs(v))
        return (self.cdf(v + h, w) - self.cdf(v - h, w)) / (2 * h)

    def log_lipschitz(self, L0: float | None = None, H0: float | None = None) -> float:
        """The user-given K0."""
        return self.K0


def _support_args(k: ConditionalLaw, L0, H0) -> tuple[float, float]:
    if L0 is None or H0 is None:
        return k._bounds()
    return _check_support((L0, H0))


FAMILIES: dict[str, type] = {
    "truncated_normal": TruncatedNormalWalk,
    "tilted": TiltedKernel,
}
_FAMILY_PARAMS = {"truncated_normal": ("sigma",), "tilted": ("kappa",)}


def kernel_from_table(table: Mapping[str, Any], where: str = "kernel") -> ConditionalLaw:
    """A kernel from a model-file table ``{family = "...", <parameters>}``.

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.

    Examples
    --------
    >>> kernel_from_table({"family": "tilted", "kappa": 2.0})
    TiltedKernel(kappa=2.0, support=None)
    """
    if not isinstance(table, Mapping):
        raise ModelError(where, "must be a table with a family")
    fam = table.get("family")
    if fam is None:
        raise ModelError(f"{where}.family", "is required")
    io.check_name(fam, f"{where}.family")
    if fam not in FAMILIES:
        raise ModelError(
            f"{where}.family",
            f"unknown family {fam!r} (known: {', '.join(FAMILIES)}; custom CDFs are "
            "Python-only, see CustomKernel)",
        )
    params = _FAMILY_PARAMS[fam]
    io.check_keys(table, where, {"family", *params}, required=params)
    try:
        return FAMILIES[fam](**{p: table[p] for p in params})
    except ModelError as exc:
        raise _relabel(exc, "kernel", where) from None


def _relabel(exc: ModelError, old: str, new: str) -> ModelError:
    f = exc.field
    if f == old or f.startswith(old + ".") or f.startswith(old + "["):
        f = new + f[len(old) :]
    return ModelError(f, exc.problem)


# ---------------------------------------------------------------------- the model
@dataclass(frozen=True, eq=False)
class ContinuousChainModel:
    """A resale chain with valuations on [L0, H0] and K0-log-Lipschitz kernels (§3.3).

    Parameters
    ----------
    n : int
        Number of trades (players 0..n).
    support : (float, float)
        [L0, H0], finite, L0 < H0.
    kernel : ConditionalLaw or sequence of n ConditionalLaw
        Law of v_i given v_{i-1}: one for all trades, or ``kernel[i-1]`` for trade i.
        Kernels are stored bound to ``support``.
    start : float
        v_0 (a point mass), inside the support.
    reallocation : array (n, n+1)
        t; row i-1 is trade i, column j is player j (checked as in the discrete model:
        nonnegative, budget feasible, past only).
    mechanism : dict
        How t was named (``{"name": "AVE"}``, ``{"name": "TBDS", "alpha": 0.5}``, ...).
    K0 : float, optional
        Log-Lipschitz constant (Def 3.7).  Computed from the kernels when left out (the
        largest over trades); a given value overrides it, and Algorithm 4's guarantee
        then rests on it being a true constant.
    epsilon : float, optional
        Default target epsilon for :func:`datamech.solvers.chain.fptas.solve_fptas`.
    name : str
    solver_options : dict
        The model file's ``[solver]`` table, validated; ``method = "fptas"`` (the only
        method of continuous chains) is implied and added.

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.

    Examples
    --------
    >>> m = create_continuous(2, (0, 1), TiltedKernel(1.0), start=0.5, mechanism="AVE")
    >>> m.K0, m.K0_given, m.kernels[1].support
    (1.0, False, (0.0, 1.0))
    """

    n: int
    support: tuple[float, float]
    kernel: ConditionalLaw | tuple[ConditionalLaw, ...]
    start: float
    reallocation: np.ndarray
    mechanism: dict = field(default_factory=lambda: {"name": "matrix"})
    K0: float | None = None
    epsilon: float | None = None
    name: str = ""
    solver_options: dict = field(default_factory=dict, compare=False)
    K0_given: bool = field(default=False, init=False)
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = check_length(self.n, "n")
        object.__setattr__(self, "n", n)
        L0, H0 = _check_support(self.support)
        object.__setattr__(self, "support", (L0, H0))

        kern = self.kernel
        if isinstance(kern, ConditionalLaw):
            object.__setattr__(self, "kernel", kern.bind(L0, H0))
        elif isinstance(kern, Sequence) and not isinstance(kern, (str, bytes)):
            if len(kern) != n:
                raise ModelError("kernel", f"needs one kernel or n = {n} kernels, got {len(kern)}")
            bound = []
            for i, k in enumerate(kern):
                if not isinstance(k, ConditionalLaw):
                    raise ModelError(f"kernel[{i}]", f"must be a kernel, got {type(k).__name__}")
                try:
                    bound.append(k.bind(L0, H0))
                except ModelError as exc:
                    raise _relabel(exc, "kernel", f"kernel[{i}]") from None
            object.__setattr__(self, "kernel", tuple(bound))
        else:
            raise ModelError(
                "kernel", f"must be a kernel or a list of n kernels, got {type(kern).__name__}"
            )

        s = read_number(self.start, "start", exact=False)
        if not L0 <= s <= H0:
            raise ModelError(
                "start", f"v_0 = {fmt(s)} is outside the support [{fmt(L0)}, {fmt(H0)}]"
            )
        object.__setattr__(self, "start", s)

        object.__setattr__(self, "reallocation", validated_reallocation(self.reallocation, n))
        check_mechanism_label(self.mechanism)

        if self.K0 is None:
            K0 = float(max(k.log_lipschitz(L0, H0) for k in self.kernels))
            if not math.isfinite(K0):
                raise ModelError(
                    "kernel",
                    f"its log-Lipschitz constant K0 (Def 3.7) overflows on [{fmt(L0)}, "
                    f"{fmt(H0)}]: a narrower kernel needs a finer grid than any machine holds",
                )
            object.__setattr__(self, "K0", K0)
        else:
            K0 = read_number(self.K0, "K0", exact=False, low=0, low_open=True)
            object.__setattr__(self, "K0", K0)
            object.__setattr__(self, "K0_given", True)
        if self.epsilon is not None:
            object.__setattr__(self, "epsilon", check_epsilon(self.epsilon))
        io.check_name(self.name, "name", required=False)
        object.__setattr__(
            self, "solver_options", read_solver_table(self.solver_options, continuous=True)
        )

    @property
    def kernels(self) -> tuple[ConditionalLaw, ...]:
        """The kernel of each trade 1..n (``kernels[i-1]`` for trade i), bound to the support."""
        if isinstance(self.kernel, ConditionalLaw):
            return (self.kernel,) * self.n
        return self.kernel

    @property
    def shared_kernel(self) -> bool:
        """True when every trade has the same conditional law."""
        ks = self.kernels
        return all(k == ks[0] for k in ks[1:])


def check_epsilon(epsilon: Any, field_name: str = "epsilon") -> float:
    """Validate a target epsilon: a finite number > 0.

    >>> check_epsilon(0)
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: epsilon: must be > 0, got 0
    """
    return read_number(epsilon, field_name, exact=False, low=0, low_open=True)


def create_continuous(
    n: int,
    support: Sequence[float],
    kernel: ConditionalLaw | Sequence[ConditionalLaw],
    start: float,
    *,
    mechanism: str = "RAW",
    alpha: Any = None,
    matrix: Any = None,
    K0: float | None = None,
    epsilon: float | None = None,
    name: str = "",
    solver_options: dict | None = None,
) -> ContinuousChainModel:
    """Build a validated :class:`ContinuousChainModel` from plain Python data.

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.

    Examples
    --------
    >>> m = create_continuous(3, [0, 1], TruncatedNormalWalk(1.0), start=0.2, mechanism="TBDS",
    ...                       alpha=0.5)
    >>> m.mechanism, m.K0, m.solver_options
    ({'name': 'TBDS', 'alpha': Fraction(1, 2)}, 1.0, {'method': 'fptas'})
    """
    t, mech = named_mechanism(n, mechanism, alpha, matrix)
    return ContinuousChainModel(
        n=n,
        support=support,
        kernel=kernel,
        start=start,
        reallocation=t,
        mechanism=mech,
        K0=K0,
        epsilon=epsilon,
        name=name,
        solver_options=solver_options or {},
    )


# ---------------------------------------------------------------------- model files
_MODEL_KEYS = ("kind", "n", "support", "start_value", "kernel", "epsilon", "K0", "name")
_RENAME = {"start": "start_value"}


def from_toml_continuous(data: dict[str, Any]) -> ContinuousChainModel:
    """Build a continuous chain model from a parsed model file.

    ``[model]`` has ``kind = "chain"``, ``n``, ``support = [L0, H0]``, ``start_value``,
    ``kernel`` (a table ``{family = ..., <parameters>}`` or an array of n such tables),
    and optionally ``epsilon``, ``K0`` and ``name``; ``[mechanism]`` as for the discrete
    chain; ``[solver]`` holds options of method ``fptas`` (kept as
    ``model.solver_options``).

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.

    Examples
    --------
    >>> import tomllib
    >>> text = '''
    ... [model]
    ... kind = "chain"
    ... n = 2
    ... support = [0.0, 1.0]
    ... start_value = 0.5
    ... kernel = { family = "tilted", kappa = 1.0 }
    ... [mechanism]
    ... name = "AVE"
    ... '''
    >>> from_toml_continuous(tomllib.loads(text)).K0
    1.0
    """
    io.check_keys(data, "file", ("model", "mechanism", "solver"), required=("model",))
    m = data["model"]
    io.check_keys(m, "model", _MODEL_KEYS, required=("n", "support", "start_value", "kernel"))
    if m.get("kind", "chain") != "chain":
        raise ModelError("model.kind", f"must be 'chain', got {m.get('kind')!r}")
    mech = read_mechanism_table(data)
    solver = read_solver_table(data.get("solver"), continuous=True)
    k = m["kernel"]
    if isinstance(k, Mapping):
        kernel: Any = kernel_from_table(k, "model.kernel")
    elif isinstance(k, list):
        kernel = [kernel_from_table(x, f"model.kernel[{i}]") for i, x in enumerate(k)]
    else:
        raise ModelError("model.kernel", "must be a table or a list of tables")
    try:
        return create_continuous(
            m["n"],
            m["support"],
            kernel,
            m["start_value"],
            K0=m.get("K0"),
            epsilon=m.get("epsilon"),
            name=m.get("name", ""),
            solver_options=solver,
            **mech,
        )
    except ModelError as exc:
        raise in_file(exc, _MODEL_KEYS, rename=_RENAME) from None


def to_toml_continuous(model: ContinuousChainModel) -> dict[str, Any]:
    """The model-file dictionary of a continuous chain model (inverse of the reader).

    Custom kernels (Python callables) cannot be written and raise ``ModelError``.

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.
    """
    if isinstance(model.kernel, ConditionalLaw):
        kernel: Any = model.kernel.parameters()
    else:
        kernel = [k.parameters() for k in model.kernel]
    m: dict[str, Any] = {
        "kind": "chain",
        "n": model.n,
        "support": [model.support[0], model.support[1]],
        "start_value": model.start,
        "kernel": kernel,
    }
    if model.epsilon is not None:
        m["epsilon"] = model.epsilon
    if model.K0_given:
        m["K0"] = model.K0
    if model.name:
        m["name"] = model.name
    out: dict[str, Any] = {
        "model": m,
        "mechanism": mechanism_table(model.mechanism, model.reallocation),
    }
    # the implied method is left out: the reader adds it back
    opts = dict(model.solver_options)
    if opts.get("method") in CONTINUOUS_METHODS:
        del opts["method"]
    if opts:
        out["solver"] = opts
    return out


def read_chain_file(data: dict[str, Any]):
    """Read a ``kind = "chain"`` model file: continuous (``support``) or discrete values.

    The reader :func:`datamech.load` uses for kind ``chain``.

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.
    """
    m = data.get("model")
    if isinstance(m, Mapping) and "support" in m:
        return from_toml_continuous(data)
    return from_toml(data)


# Both chain models are written as kind "chain"; reading dispatches on `support`.
io.register_kind("chain", ContinuousChainModel, read_chain_file, to_toml_continuous)
