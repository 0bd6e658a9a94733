"""Closed forms of a type law, for expression laws and the built-in families alike.

:func:`closed_forms` returns a :class:`~datamech.models.distributions.ClosedForms`: the
sympy expressions of F, f, 1 - F, the virtual value phi = v - (1 - F)/f, the virtual
cost c + F/f, the quantile and revenue curve, the monopoly reserve and revenue, the
mean, and the regularity verdicts with how they were decided, each printable as LaTeX
(``.latex()``).  A built-in family answers through the same code path: its CDF is
written as a sympy expression (:func:`law_cdf`) and derived as an expression law
(:class:`~datamech.models.distributions.ExpressionLaw`), so the two can be compared.

Examples
--------
>>> from datamech.models.distributions import Pareto, Uniform
>>> closed_forms(Uniform(0, 1)).virtual_value
2*v - 1
>>> cf = closed_forms(Pareto(3, 2))
>>> cf.virtual_value, cf.reserve_price, cf.latex()["cdf"]
(2*v/3, 2, '1 - \\\\frac{8}{v^{3}}')
"""

from __future__ import annotations

import math
from fractions import Fraction

import sympy as sp

from ..errors import ModelError
from ..expressions import as_sympy
from ..models.distributions import (
    ClosedForms,
    Exponential,
    ExpressionLaw,
    Mixture,
    Pareto,
    Power,
    TypeDistribution,
    Uniform,
)
from ..models.distributions.derivation import V

__all__ = ["closed_forms", "law_cdf"]


def law_cdf(law: TypeDistribution) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """``(F, low, high)``: the CDF of a built-in continuous family as a sympy expression
    in v (parameters as exact rationals; ``high`` may be oo) on its support.

    Raises ``ModelError`` naming the law's ``family`` for laws with atoms (discrete,
    truncated equal revenue): they have no density.

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital Good with
      Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.

    Examples
    --------
    >>> law_cdf(Uniform(1, 3))
    (v/2 - 1/2, 1, 3)
    """
    if isinstance(law, ExpressionLaw):
        F = law.sym["cdf"]
        if F is None:
            raise ModelError(f"{law.where}.pdf", "sympy found no closed-form CDF for this density")
        return (F, *law.bounds)
    if isinstance(law, Uniform):
        a, b = as_sympy(law.low), as_sympy(law.high)
        return (V - a) / (b - a), a, b
    if isinstance(law, Exponential):
        rate, a = as_sympy(law.rate), as_sympy(law.low)
        body = 1 - sp.exp(-rate * (V - a))
        if math.isinf(law.high):
            return body, a, sp.oo
        b = as_sympy(law.high)
        return body / (1 - sp.exp(-rate * (b - a))), a, b
    if isinstance(law, Pareto):
        s, m = as_sympy(law.shape), as_sympy(law.scale)
        return 1 - (m / V) ** s, m, sp.oo
    if isinstance(law, Power):
        return V ** as_sympy(law.shape), sp.Integer(0), sp.Integer(1)
    if isinstance(law, Mixture):
        parts = [law_cdf(c) for c in law.components]
        weights = [as_sympy(w) for w in law.weights.tolist()]
        ends = sorted({e for _, a, b in parts for e in (a, b)}, key=float)
        pieces = []
        for left, right in zip(ends[:-1], ends[1:], strict=True):
            # on (left, right] each component is 0 (not started), its F, or 1 (done)
            F = sum(
                w * (0 if right <= a else 1 if left >= b else Fk)
                for w, (Fk, a, b) in zip(weights, parts, strict=True)
            )
            pieces.append((F, V <= right))
        pieces[-1] = (pieces[-1][0], True)
        return sp.Piecewise(*pieces), ends[0], ends[-1]
    raise ModelError(
        f"{law.where}.family",
        f"{law.family} laws have atoms, not a density: no closed forms of phi = v - (1-F)/f",
    )


def closed_forms(law: TypeDistribution) -> ClosedForms:
    """The closed forms of ``law`` (an expression law or a built-in continuous family).

    Parameters
    ----------
    law : TypeDistribution
        An :class:`~datamech.models.distributions.ExpressionLaw`, or uniform,
        exponential (shifted, truncated), Pareto, power, or a mixture of these.

    Returns
    -------
    ClosedForms
        sympy expressions (``None`` where sympy found none: then the float ``*_value``
        fields are numeric and ``notes`` says why), regularity verdicts and how they were
        decided; ``.latex()`` prints them, ``.to_dict()`` is JSON-ready.

    Raises
    ------
    ModelError
        For laws with atoms (discrete, truncated equal revenue), naming the family.

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital Good with
      Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.

    Examples
    --------
    >>> from datamech.models.distributions import Exponential
    >>> cf = closed_forms(Exponential(2))
    >>> cf.virtual_value, cf.reserve_price, cf.monopoly_revenue, cf.regular
    (v - 1/2, 1/2, exp(-1)/2, True)
    """
    if isinstance(law, ExpressionLaw):
        return law.closed_forms()
    F, lo, hi = law_cdf(law)
    hi_arg = math.inf if hi is sp.oo else _number(hi)
    twin = ExpressionLaw.from_sympy(F, _number(lo), hi_arg, where=law.where, family=law.family)
    return twin.closed_forms()


def _number(x: sp.Expr) -> Fraction | float:
    """A sympy bound as the number the law reader takes (a Fraction or a float)."""
    if isinstance(x, sp.Rational):
        return Fraction(int(x.p), int(x.q))
    return float(x)
