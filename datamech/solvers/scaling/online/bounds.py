"""Constants and bounds of the online problem (Section 3): Rosenthal's constant,
Bell numbers, Theorem 3.4's two-stage guarantee and Theorem 3.6's gap bound."""

from __future__ import annotations

import math
from typing import Any

from ....errors import ModelError
from ..common import check_alpha_cost

__all__ = ["bell_number", "online_offline_gap_bound", "rosenthal_constant", "two_stage_guarantee"]


def rosenthal_constant(p: Any) -> Any:
    """Best constant C_p of Rosenthal's inequality for nonnegative summands (Lemma 3.5,
    Ibragimov & Sharakhmetov): 2 on (1, 2), E_{Z~Poisson(1)}[Z^p] for p >= 2 (Dobinski's
    series; the Bell number for integer p).  Raises for p <= 1 (C_1 = 1 but
    C_p >= 2 for every p > 1, so there is no continuous extension).

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    * H. P. Rosenthal, "On the subspaces of L^p (p > 2) spanned by sequences of
      independent random variables", Israel Journal of Mathematics 8, 273-303, 1970.

    Examples
    --------
    >>> rosenthal_constant(1.5), rosenthal_constant(2), rosenthal_constant(5)
    (2, 2, 52)
    >>> round(rosenthal_constant(2.5), 8)
    3.0825129
    """
    try:
        pf = float(p)
    except (TypeError, ValueError):
        raise ModelError("p", f"must be a number > 1, got {p!r}") from None
    if not pf > 1 or not math.isfinite(pf):
        raise ModelError("p", f"Rosenthal's constant is defined here for p > 1, got {p}")
    if pf < 2:
        return 2
    if abs(pf - round(pf)) < 1e-12:
        return bell_number(int(round(pf)))
    # Dobinski: e^{-1} sum_{m>=1} m^p / m!, summed in logs until the terms vanish
    total, m = 0.0, 1
    while True:
        term = math.exp(pf * math.log(m) - math.lgamma(m + 1) - 1.0)
        total += term
        if m > pf and term < 1e-17 * total:
            return total
        m += 1


def bell_number(p: int) -> int:
    """Bell number B_p = E_{Poisson(1)}[Z^p] (Dobinski), by the Bell triangle.

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.

    Examples
    --------
    >>> [bell_number(p) for p in range(1, 8)]
    [1, 2, 5, 15, 52, 203, 877]
    """
    row = [1]
    for _ in range(p - 1):
        nxt = [row[-1]]
        for x in row:
            nxt.append(nxt[-1] + x)
        row = nxt
    return row[-1] if p >= 1 else 1


def two_stage_guarantee(alpha: Any) -> Any:
    """Theorem 3.4's ratio ALG/OFFL >= (1-alpha)/((2-alpha) C_{1/(1-alpha)}).

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.

    Examples
    --------
    >>> from fractions import Fraction
    >>> two_stage_guarantee(Fraction(1, 2)), two_stage_guarantee(Fraction(2, 3))
    (Fraction(1, 6), Fraction(1, 20))
    """
    check_alpha_cost(alpha, 1)
    k = 1 / (1 - alpha)
    return (1 - alpha) / ((2 - alpha) * rosenthal_constant(k))


def online_offline_gap_bound(alpha: Any) -> float:
    """Theorem 3.6's bound 2^k / C_k on lim ONL/OFFL over the instances I_n
    (Appendix B.6; < 1 only for alpha > 0.7579).

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.

    Examples
    --------
    >>> online_offline_gap_bound(0.5), round(online_offline_gap_bound(0.8), 7)
    (2.0, 0.6153846)
    """
    check_alpha_cost(alpha, 1)
    k = 1 / (1 - float(alpha))
    return 2**k / float(rosenthal_constant(k))
