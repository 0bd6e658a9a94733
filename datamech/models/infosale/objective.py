"""What the seller maximizes and which constraints bind it (spec §1.3, §1.5, §3.2).

The objective is always linear in the decision variables (the rule sigma and the
interim payments): revenue (§4.3), welfare (§4.2) or an expression
E[g(theta, V, A)] + sum_i c_i E[p_i] read by the whitelisting expression reader
(:mod:`datamech.expressions`: nothing in a model file ever runs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from ...errors import ModelError
from ...expressions import indexed_names, linear_split
from ...expressions import parse_expression as parse
from ...numeric import read_number
from ..io import check_choice
from .game import MAX_MAGNITUDE

OBJECTIVES = ("revenue", "welfare", "expression")
TRUTHFULNESS = ("adjacent", "global", "off")
MAX_BUYERS = 32  # the highest buyer index an objective expression may name
_FIELD = "objective.expression"


@dataclass(frozen=True, eq=False)
class Objective:
    """What the seller maximizes; always linear in (sigma, interim payments).

    Parameters
    ----------
    kind : {"revenue", "welfare", "expression"}
        ``revenue`` is E[sum_i p_i] (§4.3); ``welfare`` is E[sum_i u_i(A; theta, V)]
        (§4.2; payments are transfers, E25); ``expression`` is
        E[g(theta, V, A)] + sum_i c_i E[p_i] with g given by ``expression`` (text in
        ``theta``, ``a1..an``, ``v1..vn`` and the interim payments ``p1..pn``) or by
        ``function(a, theta, v) -> float`` (Python only).
    payment_weights : sequence of float, optional
        c_i for ``function`` objectives.

    Objectives that are not linear in the decision variables (powers or products of
    payments, or payments times data) raise ``ModelError``.

    References
    ----------
    - A. Nouripour, "Selling Information in Competitive Environments", S.M. thesis, Department of
      Electrical Engineering and Computer Science, Massachusetts Institute of Technology, Cambridge,
      MA, September 2021.

    Examples
    --------
    >>> Objective("expression", expression="v1*KroneckerDelta(a1, theta) + p1").kind
    'expression'
    >>> Objective("expression", expression="p1 + p2").payments_only
    True
    >>> Objective("expression", expression="p1**2")
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: objective.expression: 'p1**2' is not linear in p1: p1**2
    """

    kind: str = "revenue"
    expression: str | None = None
    function: Callable[..., float] | None = None
    payment_weights: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        try:
            check_choice(self.kind, "objective.kind", OBJECTIVES)
        except ModelError as exc:
            raise ModelError(
                exc.field,
                f"{exc.problem}; objectives must be linear in the law of (theta, v, a) "
                "and the payments",
            ) from None
        if self.kind != "expression":
            if self.expression is not None or self.function is not None:
                raise ModelError(_FIELD, f"kind {self.kind!r} takes no expression")
            return
        if (self.expression is None) == (self.function is None):
            raise ModelError(_FIELD, "give exactly one of expression or function")
        if self.expression is not None:
            split_expression(self.expression, n=None)
        if self.payment_weights is not None:
            w = tuple(
                float(read_number(x, f"objective.payment_weights[{k}]", exact=False))
                for k, x in enumerate(self.payment_weights)
            )
            object.__setattr__(self, "payment_weights", w)

    @property
    def payments_only(self) -> bool:
        """True when the objective is a weighted sum of expected payments (no data term).

        Revenue is; an expression is when its part free of ``p1..pn`` is 0.  Decides the
        ``auto`` grid scheme (``left`` for these, :mod:`.grid`).
        """
        if self.kind == "revenue":
            return True
        if self.kind == "expression" and self.expression is not None:
            return split_expression(self.expression, n=None)[0] == 0
        return False


def split_expression(expr: str, n: int | None) -> tuple[sp.Expr, list[float], dict]:
    """(data part g, payment weights c_i, symbols by name) of an objective expression.

    The text is read by the whitelisting parser (:mod:`datamech.expressions`): nothing
    in it runs.  ``n`` buyers (None: as many as the highest index named).

    References
    ----------
    - A. Nouripour, "Selling Information in Competitive Environments", S.M. thesis, Department of
      Electrical Engineering and Computer Science, Massachusetts Institute of Technology, Cambridge,
      MA, September 2021.
    """
    top_n = n if n is not None else MAX_BUYERS
    data_names = indexed_names("a", "v", upto=top_n)
    pay_names = indexed_names("p", upto=top_n)
    e = parse(
        expr,
        field=_FIELD,
        names=lambda k: k == "theta" or data_names(k) or pay_names(k),
        describe_names=f"theta, a1..a{top_n}, v1..v{top_n} and payments p1..p{top_n}",
    )
    names = {s.name: s for s in e.free_symbols}
    pay = sorted((s for k, s in names.items() if pay_names(k)), key=lambda s: int(s.name[1:]))
    idx = [int(k[1:]) for k in names if k != "theta"]
    n_eff = n if n is not None else max(idx + [1])
    coef, rest = linear_split(e, pay, field=_FIELD, text=expr)
    weights = [0.0] * n_eff
    for s, c in coef.items():
        if c.free_symbols:
            raise ModelError(
                _FIELD,
                f"{expr!r} is not linear in the decision variables: the coefficient of "
                f"{s} depends on {sorted(map(str, c.free_symbols))[0]}",
            )
        w = float(c)
        if not abs(w) <= MAX_MAGNITUDE:
            raise ModelError(_FIELD, f"the weight of {s} is {w:g}; the limit is |c| <= 1e6")
        weights[int(s.name[1:]) - 1] = w
    return rest, weights, names


def parse_expression(expr: str, n: int | None) -> tuple[Callable[..., Any], list[float]]:
    """Split an objective expression into g(theta, a, v) and payment weights c_i.

    Returns a vectorized function ``g(theta, a_tuple, v_tuple)`` and the list of c_i
    (length n, or as many as the highest ``p`` index when n is None).

    References
    ----------
    - A. Nouripour, "Selling Information in Competitive Environments", S.M. thesis, Department of
      Electrical Engineering and Computer Science, Massachusetts Institute of Technology, Cambridge,
      MA, September 2021.

    Examples
    --------
    >>> g, w = parse_expression("v1*KroneckerDelta(a1, theta) + 2*p2", 2)
    >>> w, g(np.array([0, 1]), (np.array([0, 0]), np.array([1, 1])),
    ...      (np.array([3.0, 3.0]), np.array([1.0, 1.0]))).tolist()
    ([0.0, 2.0], [3.0, 0.0])
    """
    rest, weights, names = split_expression(expr, n)
    n_eff = len(weights)
    th = names.get("theta", sp.Symbol("theta"))
    a_syms = [names.get(f"a{i}", sp.Symbol(f"a{i}")) for i in range(1, n_eff + 1)]
    v_syms = [names.get(f"v{i}", sp.Symbol(f"v{i}")) for i in range(1, n_eff + 1)]
    # KroneckerDelta prints as a scalar if-expression; map it to a vectorized equality
    rest = rest.replace(sp.KroneckerDelta, sp.Function("_eq"))
    eq = {"_eq": lambda x, y: (np.asarray(x) == np.asarray(y)).astype(float)}
    f = sp.lambdify((th, a_syms, v_syms), rest, modules=[eq, "numpy"])

    def g(theta, a, v):
        with np.errstate(all="ignore"):
            out = np.asarray(f(theta, list(a), list(v)), dtype=float)
        return np.broadcast_to(out, np.shape(theta))

    return g, weights


@dataclass(frozen=True)
class Constraints:
    """Constraint switches of the general LP (obedience, truthfulness, IR: Definitions 2-4).

    Parameters
    ----------
    obedience : bool
        Def 2 (in pi-form under Assumption 1, E6).
    truthfulness : {"adjacent", "global", "off"} or bool
        Def 3 on interim payments; ``adjacent`` (k' = k +- 1) is exact under
        Assumption 1 (single crossing); general utilities use ``global``.  ``true``
        means ``adjacent`` and ``false`` means ``off``.
    participation : bool
        Def 4: u~_i(v) >= v K_i with K_i the worst-case outside option (its own LP).
    nonnegative_payments : bool
        p_i >= 0 (Ch. 2).
    outside_option : float, optional
        Replace the worst-case K_i by this number (a fixed outside option, ``|K| <= 1e6``).

    References
    ----------
    - A. Nouripour, "Selling Information in Competitive Environments", S.M. thesis, Department of
      Electrical Engineering and Computer Science, Massachusetts Institute of Technology, Cambridge,
      MA, September 2021.

    Examples
    --------
    >>> Constraints(truthfulness=False).truthfulness
    'off'
    """

    obedience: bool = True
    truthfulness: str = "adjacent"
    participation: bool = True
    nonnegative_payments: bool = True
    outside_option: float | None = None

    def __post_init__(self) -> None:
        for name in ("obedience", "participation", "nonnegative_payments"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ModelError(f"constraints.{name}", "must be true or false")
            object.__setattr__(self, name, bool(getattr(self, name)))
        t = self.truthfulness
        if isinstance(t, (bool, np.bool_)):
            t = "adjacent" if t else "off"
        check_choice(t, "constraints.truthfulness", TRUTHFULNESS)
        object.__setattr__(self, "truthfulness", t)
        if self.outside_option is not None:
            k = read_number(
                self.outside_option,
                "constraints.outside_option",
                exact=False,
                low=-MAX_MAGNITUDE,
                high=MAX_MAGNITUDE,
            )
            object.__setattr__(self, "outside_option", float(k))
