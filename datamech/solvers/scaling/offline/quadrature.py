"""Moments of S = sum_i r_i for independent laws of r: the offline profit's numerics.

OFFL = K E[S^k] with K = (1-alpha)(alpha/c)^{k-1} and k = 1/(1-alpha) (Lemma B.1).

* integer k: the binomial expansion E[S^k] = sum over j of C(k, j) ... is a finite sum
  of one-buyer moments E[r_i^j], j <= k (:func:`conv_moments`): exact in rationals for
  exact tables, and linear in the number of buyers and types (10^5 types in
  milliseconds, where the convolution of the laws of r has prod_i J_i atoms);
* non-integer k = m + beta: E[S^{m+beta}] = beta/Gamma(1-beta) int_0^inf
  E[S^m (1 - e^{-tS})] t^{-1-beta} dt, whose integrand factorises over buyers
  (:func:`power_sum_moment`), with composite Gauss-Legendre nodes in quantile space for
  continuous laws (:func:`law_nodes`).

>>> from fractions import Fraction as Fr
>>> r = (np.array([Fr(1, 7), Fr(3)], dtype=object), np.array([Fr(7, 10), Fr(3, 10)], dtype=object))
>>> conv_moments([r, r], 2)[2] / 4                      # OFFL of spec §6.2 I3 = E[S^2]/4
Fraction(13, 7)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import integrate, special

from ....models.distributions import RLaw

__all__ = [
    "QUAD_ORDER",
    "QUAD_PANELS",
    "conv_moments",
    "laplace_gap",
    "law_nodes",
    "power_sum_moment",
]

QUAD_ORDER = 24  #: Gauss-Legendre nodes per panel (the error estimate compares with half)
QUAD_PANELS = 44  #: geometric panels in quantile space, towards u = 1 (heavy tails)

Nodes = tuple[np.ndarray, np.ndarray]


@functools.lru_cache(maxsize=8)
def _leggauss(order: int) -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(order)


def law_nodes(law: RLaw, order: int = QUAD_ORDER, panels: int = QUAD_PANELS) -> Nodes:
    """Nodes and weights of a quadrature for E[g(r)].

    The table itself for a discrete law (exact entries stay exact); else the atom at 0
    plus composite Gauss-Legendre on u in (P(r = 0), 1) of g(Q_r(u)), on panels that
    halve towards u = 1 (algebraic tails).
    """
    if law.is_discrete:
        return np.asarray(law.values), np.asarray(law.probs)
    z = float(law.zero_mass)
    edges = z + (1 - z) * np.append(1 - 2.0 ** -np.arange(panels), 1.0)
    x, w = _leggauss(order)
    a, b = edges[:-1, None], edges[1:, None]
    u = ((a + b) / 2 + (b - a) / 2 * x).ravel()
    wu = ((b - a) / 2 * w).ravel()
    r = np.asarray(law.quantile(u), dtype=float)
    return np.append(0.0, r), np.append(z, wu)


def conv_moments(weighted: Sequence[Nodes], m: int) -> list[Any]:
    """b[j] = E[prod_i w_i(r_i) S^j], j = 0..m, for S = sum of independent r_i.

    ``weighted`` holds per buyer the nodes r and the weights (already multiplied by
    w_i); the result is the binomial convolution of the one-buyer moments, in
    rationals when every node and weight is exact.
    """
    b: list[Any] = [1] + [0] * m
    for r, w in weighted:
        exact = r.dtype == object and w.dtype == object
        powers = r if exact else np.asarray(r, dtype=float)
        weights = w if exact else np.asarray(w, dtype=float)
        a: list[Any] = []
        term = weights
        for _j in range(m + 1):
            a.append(term.sum() if exact else float(np.sum(term)))
            term = term * powers
        b = [sum(math.comb(j, l) * b[l] * a[j - l] for l in range(j + 1)) for j in range(m + 1)]
    return b


def laplace_gap(nodes: Sequence[Nodes], m: int, t: float) -> float:
    """E[S^m (1 - e^{-tS})] without cancellation, in O(n m^2) for n buyers.

    1 - prod_i e_i = sum_i (1 - e_i) prod_{l<i} e_l with e_i = e^{-t r_i} and
    1 - e_i = -expm1(-t r_i): term i convolves the e-weighted moments of the buyers
    before i, the (1 - e)-weighted moments of buyer i and the plain moments of the
    buyers after it (prefix and suffix products).
    """
    return _LaplaceGap(nodes, m)(t)


class _LaplaceGap:
    """:func:`laplace_gap` as a function of t, with each buyer's powers r^j precomputed
    (the quadrature over t calls it thousands of times)."""

    def __init__(self, nodes: Sequence[Nodes], m: int):
        self.m = m
        self.r = [np.asarray(r, dtype=float) for r, _ in nodes]
        self.w = [np.asarray(w, dtype=float) for _, w in nodes]
        self.powers = [np.vstack([r**j for j in range(m + 1)]) for r in self.r]
        plain = [P @ w for P, w in zip(self.powers, self.w, strict=True)]
        self.suffix: list[list[float]] = [[1.0] + [0.0] * m] * (len(plain) + 1)
        for i in range(len(plain) - 1, -1, -1):
            self.suffix[i] = self._mul(list(plain[i]), self.suffix[i + 1])

    def _mul(self, x: Sequence[float], y: Sequence[float]) -> list[float]:
        m = self.m
        return [sum(math.comb(j, l) * x[l] * y[j - l] for l in range(j + 1)) for j in range(m + 1)]

    def __call__(self, t: float) -> float:
        total, prefix = 0.0, [1.0] + [0.0] * self.m
        for i, (r, w, P) in enumerate(zip(self.r, self.w, self.powers, strict=True)):
            e_mom = P @ (w * np.exp(-t * r))
            g_mom = P @ (w * -np.expm1(-t * r))
            total += self._mul(self._mul(prefix, list(g_mom)), self.suffix[i + 1])[self.m]
            prefix = self._mul(prefix, list(e_mom))
        return float(total)


def power_sum_moment(nodes: Sequence[Nodes], k: float) -> tuple[float, float]:
    """(E[S^k], the outer quadrature's error) for S = sum of independent r's (floats)."""
    m = int(math.floor(k + 1e-9))
    beta = k - m
    fl = [(np.asarray(r, dtype=float), np.asarray(w, dtype=float)) for r, w in nodes]
    if abs(beta) < 1e-9:  # integer k: the binomial expansion is a finite sum of moments
        return float(conv_moments(fl, m)[m]), 0.0
    mu = float(conv_moments(fl, 1)[1])
    if mu <= 0:
        return 0.0, 0.0

    gap = _LaplaceGap(fl, m)

    def f(s: float) -> float:  # E[S^m (1 - e^{-tS})] / s at t = s / mu
        return gap(s / mu) / max(s, 1e-300)

    lo, e1 = integrate.quad(
        f, 0.0, 1.0, weight="alg", wvar=(-beta, 0.0), limit=200, epsabs=0, epsrel=1e-11
    )
    hi, e2 = integrate.quad(
        lambda s: f(s) * s**-beta, 1.0, np.inf, limit=200, epsabs=0, epsrel=1e-11
    )
    scale = beta / special.gamma(1 - beta) * mu**beta
    return float(scale * (lo + hi)), float(scale * (e1 + e2))
