"""The one reader of user expressions: Python syntax, whitelisted, built into sympy by hand.

A model file is data, never code.  Expressions in it (an objective, a type law's CDF)
are parsed with :mod:`ast` in ``"eval"`` mode and the tree is walked node by node: only
numbers, the names the caller allows, ``+ - * / **`` (unary and binary), comparisons,
and calls to a fixed set of functions are accepted, and the sympy expression is built
from the tree here.  Nothing of the text is ever evaluated by Python or by
``sympy.sympify``.  Anything else (attributes, subscripts, lambdas, comprehensions,
strings, dunder names, unknown calls) raises :class:`~datamech.errors.ModelError` naming
the field, before anything runs.

Sizes are bounded too, so a short text cannot hang the parser: at most
``MAX_LENGTH`` characters and ``MAX_NODES`` syntax nodes, and a power of two numbers
is refused when its result would have more than ``MAX_DIGITS`` digits.

Examples
--------
>>> parse_expression("v1*KroneckerDelta(a1, theta) + 2*p2", field="objective.expression",
...                  names=("theta", "a1", "v1", "p2"))
2*p2 + v1*KroneckerDelta(a1, theta)
>>> parse_expression("0.1 + x", field="f", names=("x",))   # decimals are read exactly
x + 1/10
>>> parse_expression('__import__("os").system("touch owned")', field="f", names=())
Traceback (most recent call last):
...
datamech.errors.ModelError: f: attribute lookups are not allowed in an expression
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Collection, Mapping
from fractions import Fraction

import sympy as sp

from .errors import ModelError

__all__ = [
    "FUNCTIONS",
    "as_sympy",
    "LAW_FUNCTIONS",
    "MAX_DIGITS",
    "MAX_LENGTH",
    "MAX_NODES",
    "indexed_names",
    "linear_split",
    "parse_expression",
]

MAX_LENGTH = 4000
MAX_NODES = 1000
MAX_DIGITS = 1000
MAX_EXPONENT = 100

#: Functions a user expression may call (sympy's own, by name).
FUNCTIONS: dict[str, Callable[..., sp.Basic]] = {
    "KroneckerDelta": sp.KroneckerDelta,
    "Eq": sp.Eq,
    "Ne": sp.Ne,
    "Piecewise": sp.Piecewise,
    "Min": sp.Min,
    "Max": sp.Max,
    "Abs": sp.Abs,
    "exp": sp.exp,
    "log": sp.log,
    "sqrt": sp.sqrt,
    "And": sp.And,
    "Or": sp.Or,
    "Not": sp.Not,
}

#: The functions a type law's CDF or density may use on top of :data:`FUNCTIONS`.
LAW_FUNCTIONS: dict[str, Callable[..., sp.Basic]] = {
    **FUNCTIONS,
    "erf": sp.erf,
    "erfc": sp.erfc,
    "atan": sp.atan,
    "tanh": sp.tanh,
    "sin": sp.sin,
    "cos": sp.cos,
}

#: Named constants an expression may use.
CONSTANTS: dict[str, sp.Basic] = {"pi": sp.pi, "E": sp.E}

_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}
_COMPARE = {
    ast.Lt: sp.Lt,
    ast.LtE: sp.Le,
    ast.Gt: sp.Gt,
    ast.GtE: sp.Ge,
    ast.Eq: sp.Eq,
    ast.NotEq: sp.Ne,
}
_REFUSED = {
    ast.Attribute: "attribute lookups",
    ast.Subscript: "subscripts",
    ast.Lambda: "lambdas",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.List: "lists",
    ast.Set: "sets",
    ast.Dict: "dictionaries",
    ast.JoinedStr: "strings",
    ast.Starred: "starred arguments",
    ast.NamedExpr: "assignments",
    ast.IfExp: "if-expressions (use Piecewise)",
    ast.Await: "await",
}


def as_sympy(x: object) -> sp.Basic:
    """A number or sympy object as sympy, without evaluating text.

    sympy objects pass through; ints, Fractions, decimal floats and ``"p/q"`` strings
    become exact rationals (``0.1`` is ``1/10``).

    >>> as_sympy(0.25), as_sympy("1/3"), as_sympy(sp.Symbol("c"))
    (1/4, 1/3, c)
    """
    if isinstance(x, sp.Basic):
        return x
    from .numeric import to_fraction

    return sp.Rational(to_fraction(x))


def indexed_names(*prefixes: str, upto: int) -> Callable[[str], bool]:
    """A name test accepting ``prefix1 .. prefix<upto>`` for each prefix.

    >>> ok = indexed_names("a", "v", upto=3)
    >>> ok("a2"), ok("v3"), ok("v4"), ok("a0")
    (True, True, False, False)
    """
    pattern = re.compile(rf"({'|'.join(map(re.escape, prefixes))})([1-9][0-9]*)")

    def test(name: str) -> bool:
        m = pattern.fullmatch(name)
        return bool(m) and int(m.group(2)) <= upto

    return test


def parse_expression(
    text: object,
    *,
    field: str,
    names: Collection[str] | Callable[[str], bool],
    functions: Mapping[str, Callable[..., sp.Basic]] = FUNCTIONS,
    describe_names: str | None = None,
    assumptions: Mapping[str, bool] | None = None,
) -> sp.Expr:
    """Parse ``text`` into a sympy expression, accepting only whitelisted syntax.

    Parameters
    ----------
    text : str
        The expression, in Python syntax (``**`` for powers).
    field : str
        The model-file field the text came from; every error names it.
    names : collection of str, or a predicate on names
        The variable names allowed (each becomes a real sympy ``Symbol``).  ``pi`` and
        ``E`` are always allowed as constants.
    functions : mapping, optional
        Callable names allowed, each mapped to the sympy function it builds
        (default :data:`FUNCTIONS`).
    describe_names : str, optional
        How an error message lists the allowed names (default: the collection itself).
    assumptions : mapping, optional
        sympy assumptions of every symbol (default: none, plain symbols).

    Returns
    -------
    sympy.Expr
        The expression; decimals like ``0.1`` are exact rationals (``1/10``).

    Raises
    ------
    ModelError
        For anything outside the whitelist, naming ``field``; nothing of ``text`` runs.
    """
    if not isinstance(text, str):
        raise ModelError(field, f"must be a string, got {type(text).__name__}")
    if not text.strip():
        raise ModelError(field, "must be a non-empty expression")
    if len(text) > MAX_LENGTH:
        raise ModelError(field, f"is {len(text)} characters long; the limit is {MAX_LENGTH}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ModelError(field, f"cannot parse {text!r} ({exc.msg})") from None
    count = sum(1 for _ in ast.walk(tree))
    if count > MAX_NODES:
        raise ModelError(field, f"has {count} syntax nodes; the limit is {MAX_NODES}")
    allowed = names if callable(names) else frozenset(names)
    listed = describe_names or (
        ", ".join(sorted(allowed)) if not callable(allowed) else "the documented names"
    )
    expr = _Builder(field, allowed, functions, listed, dict(assumptions or {})).build(tree.body)
    if isinstance(expr, sp.Basic) and expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise ModelError(field, f"{text!r} is not finite (it divides by zero or overflows)")
    return expr


def linear_split(
    expr: sp.Expr, variables: Collection[sp.Symbol], *, field: str, text: str | None = None
) -> tuple[dict[sp.Symbol, sp.Expr], sp.Expr]:
    """Write ``expr`` as ``sum_k c_k x_k + rest`` with ``c_k`` and ``rest`` free of the x's.

    The split follows the expression as written (sums, products with one factor that
    involves the variables, divisions by terms free of them), never expanding it, so a
    large power of a sum costs nothing.  An expression that is not linear as written
    raises ``ModelError``.

    >>> p1, p2, v = sp.symbols("p1 p2 v")
    >>> linear_split(v * (p1 + 2 * p2) + v**2, [p1, p2], field="f")
    ({p1: v, p2: 2*v}, v**2)
    >>> linear_split(p1 * p2, [p1, p2], field="f")
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: f: 'p1*p2' is not linear in p1, p2: p1*p2
    """
    xs = list(variables)
    xset = set(xs)
    shown = text if text is not None else str(expr)

    def fail(part):
        raise ModelError(field, f"{shown!r} is not linear in {', '.join(map(str, xs))}: {part}")

    def split(e) -> tuple[dict, sp.Expr]:
        if not (e.free_symbols & xset):
            return {}, e
        if e in xset:
            return {e: sp.Integer(1)}, sp.Integer(0)
        if e.is_Add:
            coef: dict = {}
            rest = sp.Integer(0)
            for term in e.args:
                c, r = split(term)
                for k, v in c.items():
                    coef[k] = coef.get(k, 0) + v
                rest += r
            return coef, rest
        if e.is_Mul:
            involved = [f for f in e.args if f.free_symbols & xset]
            if len(involved) > 1:
                fail(e)
            factor = sp.Mul(*(f for f in e.args if not (f.free_symbols & xset)))
            c, r = split(involved[0])
            return {k: factor * v for k, v in c.items()}, factor * r
        fail(e)

    coef, rest = split(expr)
    return {x: coef[x] for x in xs if x in coef}, rest


class _Builder:
    """Walks a parsed tree and builds the sympy expression, refusing anything unlisted."""

    def __init__(self, field, allowed, functions, listed, assumptions):
        self.field = field
        self.assumptions = assumptions
        self.allowed = allowed
        self.functions = functions
        self.listed = listed
        self.symbols: dict[str, sp.Symbol] = {}

    def fail(self, problem: str):
        raise ModelError(self.field, problem)

    def name_ok(self, name: str) -> bool:
        return self.allowed(name) if callable(self.allowed) else name in self.allowed

    def build(self, node: ast.AST, *, condition: bool = False):
        if isinstance(node, ast.Constant):
            return self.constant(node.value, condition)
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.UnaryOp):
            operand = self.build(node.operand, condition=condition)
            if isinstance(node.op, ast.USub):
                return -operand
            if isinstance(node.op, ast.UAdd):
                return operand
            if isinstance(node.op, ast.Not) and condition:
                return sp.Not(operand)
            self.fail(f"operator {type(node.op).__name__} is not allowed")
        if isinstance(node, ast.BinOp):
            left, right = self.build(node.left), self.build(node.right)
            if isinstance(node.op, ast.Pow):
                return self.power(left, right)
            op = _BINARY.get(type(node.op))
            if op is None:
                self.fail(f"operator {type(node.op).__name__} is not allowed (use + - * / **)")
            return op(left, right)
        if isinstance(node, ast.BoolOp) and condition:
            parts = [self.build(v, condition=True) for v in node.values]
            return sp.And(*parts) if isinstance(node.op, ast.And) else sp.Or(*parts)
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        what = _REFUSED.get(type(node), type(node).__name__)
        self.fail(f"{what} are not allowed in an expression")

    def constant(self, value, condition: bool):
        if isinstance(value, bool):
            if condition:
                return sp.true if value else sp.false
            self.fail("True/False are allowed only as a Piecewise condition")
        if isinstance(value, int):
            return sp.Integer(value)
        if isinstance(value, float):
            if not math.isfinite(value):
                self.fail(f"{value!r} is not a finite number")
            return sp.Rational(Fraction(repr(value)))
        if isinstance(value, str):
            self.fail("strings are not allowed in an expression")
        self.fail(f"constant {value!r} is not allowed")

    def name(self, name: str):
        if name.startswith("__"):
            self.fail(f"name {name!r} is not allowed")
        if self.name_ok(name):
            if name not in self.symbols:
                self.symbols[name] = sp.Symbol(name, **self.assumptions)
            return self.symbols[name]
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in self.functions:
            self.fail(f"{name} is a function; call it with arguments")
        self.fail(f"unknown name {name!r} (allowed: {self.listed})")

    def power(self, base, exponent):
        if exponent.is_Number:
            if base.is_Number and base != 0:
                digits = abs(float(exponent)) * abs(math.log10(abs(float(base))) or 1.0)
                if digits > MAX_DIGITS:
                    self.fail(f"the power {base}**{exponent} is too large to compute")
        result = sp.Pow(base, exponent)
        # sympy merges nested integer powers, so this bounds (x**100)**100 as well
        if isinstance(result, sp.Pow) and result.exp.is_Number and not result.base.is_Number:
            if abs(float(result.exp)) > MAX_EXPONENT:
                self.fail(f"the exponent {result.exp} is too large (limit {MAX_EXPONENT})")
        return result

    def compare(self, node: ast.Compare):
        if len(node.ops) != 1:
            self.fail("chained comparisons are not allowed; use And(a < b, b < c)")
        rel = _COMPARE.get(type(node.ops[0]))
        if rel is None:
            self.fail(f"comparison {type(node.ops[0]).__name__} is not allowed")
        return rel(self.build(node.left), self.build(node.comparators[0]))

    def call(self, node: ast.Call):
        if not isinstance(node.func, ast.Name):
            what = _REFUSED.get(type(node.func), "calls of computed functions")
            self.fail(f"{what} are not allowed in an expression")
        if node.func.id not in self.functions:
            self.fail(f"unknown function {node.func.id!r} (allowed: {', '.join(self.functions)})")
        name = node.func.id
        if node.keywords:
            self.fail(f"{name}() takes no keyword arguments here")
        if name == "Piecewise":
            return sp.Piecewise(*(self.piece(a) for a in node.args))
        logical = name in ("And", "Or", "Not")
        args = [self.build(a, condition=logical) for a in node.args]
        try:
            return self.functions[name](*args)
        except (TypeError, ValueError) as exc:
            self.fail(f"{name}() cannot take these arguments ({exc})")

    def piece(self, node: ast.AST):
        if not isinstance(node, ast.Tuple) or len(node.elts) != 2:
            self.fail("Piecewise takes pairs (value, condition)")
        return (self.build(node.elts[0]), self.build(node.elts[1], condition=True))
