"""Linear objectives and requirements of kind ``mechanism``, read by the safe parser.

A model's ``objective = "expression"`` and its ``[constraints] requirements`` are
written in the expected quantities of the mechanism, each linear in the allocation
probabilities and the payments (spec §3):

``revenue``  E[sum of payments] minus the designer's cost
``welfare``  E[sum of the agents' values] minus the designer's cost
``cost``     E[designer's cost] (a public project's ``cost``, a table's ``costs``)
``p1..pn``   E[payment of agent k] (agents numbered in file order, copies expanded)
``v1..vn``   E[value of agent k]
``u1..un``   E[utility of agent k] = v_k - p_k
``x1..xn``   E[allocation of agent k]: the probability it gets the item (single item), the
             expected number of items (multi item), the trade / provision probability
             (bilateral trade, public project); not for tables
``o1..oK``   E[probability of outcome k] (tables only)

Text is parsed by :func:`datamech.expressions.parse_expression` (nothing runs) and split
by :func:`datamech.expressions.linear_split`; anything nonlinear is a ``ModelError``.

>>> f = linear_form("welfare + 0.5*p1 - 1", "model.expression", n=2, preset="single_item")
>>> sorted((k, str(v)) for k, v in f.coefs.items()), str(f.constant)
([('p1', '1/2'), ('welfare', '1')], '-1')
>>> linear_form("p1*x1", "model.expression", n=1, preset="single_item")
Traceback (most recent call last):
...
datamech.errors.ModelError: model.expression: 'p1*x1' is not linear in ...
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from ...errors import ModelError
from ...expressions import linear_split, parse_expression

__all__ = [
    "SENSES",
    "LinearForm",
    "Requirement",
    "index_of",
    "linear_form",
    "names_for",
    "requirement",
]

_INDEXED = re.compile(r"([pvuxo])([1-9][0-9]*)")
SENSES = {"Ge": ">=", "Le": "<=", "Eq": "=="}


@dataclass(frozen=True)
class LinearForm:
    """``sum_k coefs[k] * quantity_k + constant`` over the names of the module docstring.

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - V. Conitzer and T. Sandholm, "Complexity of mechanism design", Proceedings of the 18th
      Conference on Uncertainty in Artificial Intelligence (UAI), 2002.
    """

    coefs: dict
    constant: Fraction | float
    text: str


@dataclass(frozen=True)
class Requirement:
    """``form (sense) 0`` with ``sense`` one of ``>=``, ``<=``, ``==``.

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - V. Conitzer and T. Sandholm, "Complexity of mechanism design", Proceedings of the 18th
      Conference on Uncertainty in Artificial Intelligence (UAI), 2002.
    """

    form: LinearForm
    sense: str
    field: str


def names_for(n: int, preset: str, outcomes: int = 0) -> list[str]:
    """The names an expression may use for ``n`` agents (and ``outcomes`` table outcomes).

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - V. Conitzer and T. Sandholm, "Complexity of mechanism design", Proceedings of the 18th
      Conference on Uncertainty in Artificial Intelligence (UAI), 2002.
    """
    names = ["revenue", "welfare", "cost"]
    for prefix in ("p", "v", "u") + (("x",) if preset != "table" else ()):
        names += [f"{prefix}{k}" for k in range(1, n + 1)]
    if preset == "table":
        names += [f"o{k}" for k in range(1, outcomes + 1)]
    return names


def _number(c: sp.Expr, field: str, text: str) -> Fraction | float:
    if c.is_Rational:
        return Fraction(int(c.p), int(c.q))
    if c.is_number:
        v = complex(c)
        if v.imag == 0 and abs(v.real) < float("inf"):
            return float(v.real)
    raise ModelError(field, f"{text!r} has a coefficient that is not a finite number: {c}")


def _describe(n: int, preset: str, outcomes: int) -> str:
    extra = f", o1..o{outcomes}" if preset == "table" else f", x1..x{n}"
    return f"revenue, welfare, cost, p1..p{n}, v1..v{n}, u1..u{n}{extra}"


def _parse(text, field: str, n: int, preset: str, outcomes: int):
    allowed = set(names_for(n, preset, outcomes))
    expr = parse_expression(
        text, field=field, names=allowed, describe_names=_describe(n, preset, outcomes)
    )
    return expr, [sp.Symbol(s) for s in sorted(allowed)]


def _split(expr, symbols, field: str, text: str) -> LinearForm:
    coefs, rest = linear_split(expr, symbols, field=field, text=text)
    out = {}
    for sym, c in coefs.items():
        value = _number(sp.nsimplify(c) if c.is_Float else c, field, text)
        if value != 0:
            out[str(sym)] = value
    if rest.free_symbols:
        raise ModelError(field, f"{text!r} is not linear in the mechanism's quantities")
    return LinearForm(coefs=out, constant=_number(rest, field, text), text=text)


def linear_form(text, field: str, *, n: int, preset: str, outcomes: int = 0) -> LinearForm:
    """An objective expression as a :class:`LinearForm` (``ModelError`` naming ``field``).

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - V. Conitzer and T. Sandholm, "Complexity of mechanism design", Proceedings of the 18th
      Conference on Uncertainty in Artificial Intelligence (UAI), 2002.
    """
    expr, symbols = _parse(text, field, n, preset, outcomes)
    if isinstance(expr, (sp.logic.boolalg.Boolean, sp.core.relational.Relational)):
        raise ModelError(field, f"{text!r} is a condition, not an expression to maximize")
    return _split(expr, symbols, field, text)


def requirement(text, field: str, *, n: int, preset: str, outcomes: int = 0) -> Requirement:
    """A requirement ``lhs >= rhs`` (or ``<=``, ``==``) as ``(lhs - rhs) sense 0``.

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - V. Conitzer and T. Sandholm, "Complexity of mechanism design", Proceedings of the 18th
      Conference on Uncertainty in Artificial Intelligence (UAI), 2002.

    Examples
    --------
    >>> r = requirement("x1 >= 1/2", "constraints.requirements[0]", n=1, preset="single_item")
    >>> r.sense, r.form.coefs, str(r.form.constant)
    ('>=', {'x1': Fraction(1, 1)}, '-1/2')
    """
    expr, symbols = _parse(text, field, n, preset, outcomes)
    if expr in (sp.true, sp.false):
        raise ModelError(field, f"{text!r} involves none of the mechanism's quantities")
    name = type(expr).__name__
    if name in ("StrictGreaterThan", "StrictLessThan"):
        raise ModelError(field, f"{text!r}: use >= or <= (a strict inequality has no optimum)")
    kinds = {"GreaterThan": ">=", "LessThan": "<=", "Equality": "=="}
    if name not in kinds:
        raise ModelError(field, f"{text!r} must be one comparison: lhs >= rhs, lhs <= rhs or ==")
    form = _split(expr.lhs - expr.rhs, symbols, field, text)
    if not form.coefs:
        raise ModelError(field, f"{text!r} involves none of the mechanism's quantities")
    return Requirement(form=form, sense=kinds[name], field=field)


def index_of(name: str) -> tuple[str, int] | None:
    """``"p3"`` -> ``("p", 2)`` (0-based); ``None`` for the aggregate names."""
    m = _INDEXED.fullmatch(name)
    return (m.group(1), int(m.group(2)) - 1) if m else None
