"""The paper's online instances (Theorems 3.2, 3.3, 3.6) and their closed forms.

* :func:`thm32` (B.2): every buyer a point mass at v = 1, so r_i = 1.
* :func:`thm33` (B.3): F(v) = max{0, 1 - 1/(nv)} on [0, H), atom at H: r in {0, H}.
* :func:`thm36` (B.6): the same law with H = 1 and c = alpha: r ~ Bernoulli(1/n).

Closed forms (spec §3.2-§3.6, §6.2 Tables B-D): greedy and ONL on Theorem 3.2's instance,
the two-point ONL formula (exact for r in {0, H}), eqs. (7) and (8), their limits, and
the two-stage value on I_n.  Exact (Fractions) when alpha = 1 - 1/k for an integer k
and the other inputs are rational.

>>> onl_In(3, Fraction(1, 2)), offl_In(3, Fraction(1, 2))
(Fraction(119, 162), Fraction(5, 6))
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from scipy import integrate

from ...errors import ModelError
from ...models.distributions import Discrete, TruncatedEqualRevenue
from ...models.scaling import OnlineModel
from .common import check_alpha_cost, integer_k
from .online.bounds import rosenthal_constant


def _k(alpha: Any) -> Any:
    kint = integer_k(alpha)
    return kint if kint is not None else 1 / (1 - float(alpha))


def _n(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ModelError("n", f"must be a positive integer, got {n!r}")
    return n


def thm32(
    n: int, alpha: Any = Fraction(1, 2), cost: Any = 1, mechanism: str = "greedy"
) -> OnlineModel:
    """Theorem 3.2's instance: n point masses at v = 1 (r_i = 1).

    >>> thm32(3).buyers[0].values.tolist()
    [Fraction(1, 1)]
    """
    check_alpha_cost(alpha, cost)
    b = Discrete([1], [Fraction(1)])
    return OnlineModel((b,) * _n(n), alpha, cost, mechanism=mechanism, name=f"thm32_n{n}")


def thm33(
    n: int, H: Any, alpha: Any = Fraction(1, 2), cost: Any = 1, mechanism: str = "non_adaptive"
) -> OnlineModel:
    """Theorem 3.3's instance: truncated equal revenue, scale 1/n, atom at H (r in {0, H},
    P(r = H) = 1/(nH))."""
    check_alpha_cost(alpha, cost)
    b = TruncatedEqualRevenue(Fraction(1, _n(n)), H, where="buyers")
    return OnlineModel((b,) * n, alpha, cost, mechanism=mechanism, name=f"thm33_n{n}_H{H}")


def thm36(n: int, alpha: Any = Fraction(1, 2), mechanism: str = "optimal") -> OnlineModel:
    """Theorem 3.6's instance I_n: r ~ Bernoulli(1/n) i.i.d., c = alpha."""
    check_alpha_cost(alpha, 1)
    if _n(n) == 1:  # F = max{0, 1 - 1/v} on [0, 1) is 0: a point mass at 1 (r = 1)
        b: Any = Discrete([1], [Fraction(1)])
    else:
        b = TruncatedEqualRevenue(Fraction(1, n), 1, where="buyers")
    return OnlineModel((b,) * n, alpha, alpha, mechanism=mechanism, name=f"I_{n}")


def thm32_greedy(n: int, alpha: Any, cost: Any = 1) -> Any:
    """ALG_MG = (n - alpha)(alpha/c)^{alpha/(1-alpha)} (S6); exact for integer k.

    >>> thm32_greedy(10, Fraction(1, 2))
    Fraction(19, 4)
    """
    return (n - alpha) * (
        Fraction(alpha) / Fraction(cost) if integer_k(alpha) else float(alpha) / float(cost)
    ) ** (_k(alpha) - 1)


def thm32_onl(n: int, alpha: Any, cost: Any = 1) -> Any:
    """ONL = OFFL = (1-alpha) n^{1/(1-alpha)} (alpha/c)^{alpha/(1-alpha)} (S6).

    >>> thm32_onl(10, Fraction(1, 2))
    Fraction(25, 1)
    """
    k = _k(alpha)
    ratio = Fraction(alpha) / Fraction(cost) if integer_k(alpha) else float(alpha) / float(cost)
    return (1 - alpha) * n**k * ratio ** (k - 1)


def two_point_onl(n: int, prob: Any, H: Any, alpha: Any, cost: Any) -> Any:
    """ONL for r_i in {0, H} i.i.d. with P(r = H) = prob (spec §3.3):
    K_c H^k sum_i (1-prob)^{i-1} prob (1 + (n-i) prob)^k.

    >>> two_point_onl(2, Fraction(1, 8), 4, Fraction(1, 2), 1)
    Fraction(137, 128)
    """
    k = _k(alpha)
    ratio = Fraction(alpha) / Fraction(cost) if integer_k(alpha) else float(alpha) / float(cost)
    K = (1 - alpha) * ratio ** (k - 1)
    body = sum((1 - prob) ** (i - 1) * prob * (1 + (n - i) * prob) ** k for i in range(1, n + 1))
    return K * H**k * body


def onl_In(n: int, alpha: Any) -> Any:
    """Eq. (7): ONL(I_n) = sum_i (1-1/n)^{i-1} (1/n)(1-alpha)(1 + (n-i)/n)^{1/(1-alpha)}."""
    q = Fraction(1, n)
    k = _k(alpha)
    return sum(
        (1 - q) ** (i - 1) * q * (1 - alpha) * (1 + (n - i) * q) ** k for i in range(1, n + 1)
    )


def offl_In(n: int, alpha: Any) -> Any:
    """Eq. (8): OFFL(I_n) = (1-alpha) E_{Z~Bin(n, 1/n)}[Z^{1/(1-alpha)}]."""
    q = Fraction(1, n)
    k = _k(alpha)
    return (1 - alpha) * sum(
        math.comb(n, z) * q**z * (1 - q) ** (n - z) * z**k for z in range(n + 1)
    )


def two_stage_In(n: int, alpha: Any) -> Any:
    """Two-stage (delta = (1-alpha)/(2-alpha)) on I_n (spec §3.6):
    1 - alpha[1 - (1-1/n)^n] - alpha (2-alpha)^{-1/(1-alpha)} (1-1/n)^n.

    >>> two_stage_In(2, Fraction(1, 2))
    Fraction(41, 72)
    """
    p0 = (1 - Fraction(1, n)) ** n
    return 1 - alpha * (1 - p0) - alpha * (2 - alpha) ** (-_k(alpha)) * p0


def thm32_two_stage_ratio(alpha: Any) -> Any:
    """ALG/OFFL = 2 (2-alpha)^{-1/(1-alpha)} for the two-stage on Theorem 3.2's instance
    (n >= 2; S18).

    >>> thm32_two_stage_ratio(Fraction(1, 2))
    Fraction(8, 9)
    """
    return 2 * (2 - alpha) ** (-_k(alpha))


def lim_onl_In(alpha: Any) -> float:
    """lim_n ONL(I_n) = (1-alpha) int_0^1 e^{-t}(2-t)^{1/(1-alpha)} dt (B.6)."""
    k = 1 / (1 - float(alpha))
    val, _ = integrate.quad(lambda t: math.exp(-t) * (2 - t) ** k, 0, 1, epsabs=0, epsrel=1e-13)
    return (1 - float(alpha)) * val


def lim_ratio_In(alpha: Any) -> float:
    """L36 = lim ONL(I_n)/OFFL(I_n) = int_0^1 e^{-t}(2-t)^k dt / E_Poi[Z^k] (Table A, G8).

    >>> round(lim_ratio_In(0.5), 10), round(1 - 1 / (2 * math.e), 10)
    (0.8160602794, 0.8160602794)
    """
    k = 1 / (1 - float(alpha))
    return lim_onl_In(alpha) / (1 - float(alpha)) / poisson_moment(k)


def poisson_moment(p: float) -> float:
    """E_{Z~Poisson(1)}[Z^p] for p > 0 (Dobinski's series), = C_p only for p >= 2 (G8).

    >>> round(poisson_moment(4 / 3), 8)
    1.22692069
    """
    if p >= 2:
        return float(rosenthal_constant(p))
    total, m = 0.0, 1
    while True:
        term = math.exp(p * math.log(m) - math.lgamma(m + 1) - 1.0)
        total += term
        if m > p + 5 and term < 1e-17 * total:
            return total
        m += 1
