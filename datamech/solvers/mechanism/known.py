"""Known answers of mechanism design in closed form (spec §5), for checks and benchmarks.

:func:`myerson_revenue` is the optimal single-item revenue for independent discrete
types, ``E[max_i phi_bar_i(t_i)^+]`` with ``phi_bar`` the ironed discrete virtual value
(computed by :mod:`datamech.models.distributions`, not by any LP): exact for exact laws.
The continuous limits are formulas.

>>> from fractions import Fraction as F
>>> from datamech.models.distributions import Discrete
>>> law = Discrete([F(k, 5) for k in range(1, 6)], [F(1, 5)] * 5)
>>> myerson_revenue([law, law])
Fraction(71, 125)
>>> uniform_auction_revenue(2), uniform_auction_revenue(3)
(Fraction(5, 12), Fraction(17, 32))
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

__all__ = [
    "MANELLI_VINCENT",
    "MYERSON_SATTERTHWAITE",
    "exponential_auction_revenue",
    "myerson_revenue",
    "uniform_auction_revenue",
]

#: One additive buyer, two items U[0, 1] (Manelli-Vincent 2006): items at 2/3 each, the
#: bundle at b = (4 - sqrt 2)/3.  With c = b - 2/3 the buyer takes item 1 alone on
#: [2/3, 1] x [0, c) (area c/3), the bundle on {v1, v2 >= c, v1 + v2 >= b} (area
#: (1 - c)^2 - (2/3 - c)^2 / 2 = (2 + 2 sqrt 2)/9), so the revenue is
#: 2 (2/3)(c/3) + b (2 + 2 sqrt 2)/9 = (12 + 2 sqrt 2)/27 = 0.549201...
MANELLI_VINCENT = (12 + 2 * math.sqrt(2)) / 27
#: Bilateral trade, v and c uniform on [0, 1], BIC + interim IR + budget balance: 9/64.
MYERSON_SATTERTHWAITE = Fraction(9, 64)


def myerson_revenue(laws: list[Any]) -> Any:
    """E[max_i phi_bar_i(t_i)^+] for independent discrete laws (exact when they are).

    The expectation of the maximum of independent variables ``r_i = phi_bar_i(t_i)^+`` is
    ``sum`` over the sorted distinct values ``s`` of ``s * (P(max <= s) - P(max < s))``.

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    """
    tables = []
    exact = all(getattr(law, "exact", False) for law in laws)
    for law in laws:
        vals = law.values
        r = [max(v, 0) for v in np.asarray(law.ironed_virtual_value(vals), dtype=object)]
        tables.append((r, list(law.probs)))
    levels = sorted({v for r, _ in tables for v in r})
    total = Fraction(0) if exact else 0.0
    prev = Fraction(0) if exact else 0.0  # P(max < current level)
    for s in levels:
        cdf = Fraction(1) if exact else 1.0
        for r, p in tables:
            cdf *= sum((pk for rk, pk in zip(r, p, strict=True) if rk <= s), 0 * p[0])
        total += s * (cdf - prev)
        prev = cdf
    return total


def uniform_auction_revenue(n: int) -> Fraction:
    """Optimal revenue with n bidders U[0, 1]: (n-1)/(n+1) + 2^-n/(n+1) (reserve 1/2).

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    """
    return Fraction(n - 1, n + 1) + Fraction(1, 2**n * (n + 1))


def exponential_auction_revenue(mean: float = 3.0) -> float:
    """Three bidders with exponential values of this mean (reserve = mean):
    mean * (3/e - 1.5/e^2 + 1/(3 e^3)).

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    """
    e = math.e
    return mean * (3 / e - 1.5 / e**2 + 1 / (3 * e**3))
