"""Behaviours of the expression reader pinned by mutation testing (issue 19, item 4).

Each test kills mutants of ``datamech/expressions.py`` that the other tests let survive
(``python benchmarks/mutation.py expressions``): exact error messages and fields, the
size limits at their boundaries, predicates as name lists, the boolean grammar of
conditions, and the non-finite results.  Expected values are written from the documented
behaviour (and sympy's own constructors), not from the reader's output.
"""

import ast

import pytest
import sympy as sp

from datamech import ModelError
from datamech.expressions import (
    MAX_DIGITS,
    MAX_EXPONENT,
    MAX_LENGTH,
    MAX_NODES,
    indexed_names,
    linear_split,
    parse_expression,
)

V1, V2, A1 = sp.symbols("v1 v2 a1")
NAMES = ("v1", "v2", "a1")


def refused(text, *, names=NAMES, **kw):
    """The ModelError of parsing ``text`` in field ``obj.f`` (its field is checked)."""
    with pytest.raises(ModelError) as e:
        parse_expression(text, field="obj.f", names=names, **kw)
    assert e.value.field == "obj.f"
    return e.value.problem


# ------------------------------------------------------------------ input checks
def test_non_strings_and_blank_text_name_the_field_and_the_type():
    assert refused(3) == "must be a string, got int"
    assert refused(None) == "must be a string, got NoneType"
    assert refused(" \t ") == "must be a non-empty expression"


def test_length_limit_is_inclusive():
    at_limit = "v1" + " " * (MAX_LENGTH - 2)
    assert len(at_limit) == MAX_LENGTH
    assert parse_expression(at_limit, field="f", names=NAMES) == V1
    assert refused(at_limit + " ") == f"is {MAX_LENGTH + 1} characters long; the limit is 4000"


def test_syntax_errors_quote_the_text():
    assert refused("v1 +") == "cannot parse 'v1 +' (invalid syntax)"


def test_node_limit_is_inclusive_and_counts_every_node():
    # k terms joined by "+": 1 Expression, k-1 BinOp and k-1 Add nodes; a name is a Name
    # and its Load context (2 nodes), a number one Constant.  3 numbers and 248 names:
    # 1 + 250 + 250 + 3 + 2 * 248 = 1000 nodes.
    text = "1+1+1+" + "+".join(["v1"] * 248)
    assert sum(1 for _ in ast.walk(ast.parse(text, mode="eval"))) == MAX_NODES == 1000
    assert parse_expression(text, field="f", names=NAMES) == 3 + 248 * V1
    # one more "1+": a BinOp, an Add and a Constant
    assert refused("1+" + text) == "has 1003 syntax nodes; the limit is 1000"


# ------------------------------------------------------------------ allowed names
def test_unknown_names_list_the_allowed_names_sorted_and_once():
    assert refused("sigma", names=["v2", "a1", "v2"]) == "unknown name 'sigma' (allowed: a1, v2)"


def test_describe_names_replaces_the_list_in_messages():
    problem = refused("sigma", describe_names="v1..v9")
    assert problem == "unknown name 'sigma' (allowed: v1..v9)"


def test_a_predicate_can_stand_for_the_names():
    ok = indexed_names("a", "v", upto=2)
    assert parse_expression("a2 + 3*v1", field="f", names=ok) == sp.Symbol("a2") + 3 * V1
    assert refused("v3", names=ok) == "unknown name 'v3' (allowed: the documented names)"
    seen = []

    def spy(name):
        seen.append(name)
        return name == "x"

    assert parse_expression("x + 1", field="f", names=spy) == sp.Symbol("x") + 1
    assert seen == ["x"]  # the predicate is asked about the name itself


def test_dunder_names_are_refused_even_when_allowed():
    assert refused("__class__", names=lambda name: True) == "name '__class__' is not allowed"
    assert refused("__builtins__") == "name '__builtins__' is not allowed"
    # one leading underscore is an ordinary name
    assert parse_expression("_x", field="f", names=("_x",)) == sp.Symbol("_x")


def test_a_function_name_without_a_call_is_refused():
    assert refused("exp + v1") == "exp is a function; call it with arguments"


def test_assumptions_reach_every_symbol():
    expr = parse_expression("v1 + v2", field="f", names=NAMES, assumptions={"positive": True})
    assert all(s.is_positive for s in expr.free_symbols)
    assert len(expr.free_symbols) == 2
    plain = parse_expression("v1", field="f", names=NAMES)
    assert plain.is_positive is None


# ------------------------------------------------------------------ constants
def test_booleans_only_in_conditions():
    assert refused("True + 1") == "True/False are allowed only as a Piecewise condition"
    f = parse_expression("Piecewise((1, False), (2, True))", field="f", names=NAMES)
    assert f == 2
    g = parse_expression("Piecewise((1, True), (2, True))", field="f", names=NAMES)
    assert g == 1


def test_non_numeric_constants_are_refused_by_kind():
    assert refused("'a'") == "strings are not allowed in an expression"
    assert refused("1j") == "constant 1j is not allowed"
    assert refused("...") == "constant Ellipsis is not allowed"
    assert refused("1e999") == "inf is not a finite number"


# ------------------------------------------------------------------ operators
def test_operator_messages_name_the_operator():
    assert refused("~v1") == "operator Invert is not allowed"
    assert refused("not v1") == "operator Not is not allowed"
    assert refused("v1 // 2") == "operator FloorDiv is not allowed (use + - * / **)"
    assert refused("v1 in v2") == "comparison In is not allowed"
    assert refused("v1 is v2") == "comparison Is is not allowed"
    assert refused("0 < v1 < 1") == "chained comparisons are not allowed; use And(a < b, b < c)"


def test_refused_syntax_is_named():
    assert refused("[v1]") == "lists are not allowed in an expression"
    assert refused("(v1, v2)") == "Tuple are not allowed in an expression"
    assert refused("v1 and v2") == "BoolOp are not allowed in an expression"
    assert refused("exp(1)(2)") == "calls of computed functions are not allowed in an expression"


def test_not_and_or_in_conditions():
    text = "Piecewise((1, not (v1 > 0 and v2 > 0)), (2, v1 > 0 or False), (3, True))"
    got = parse_expression(text, field="f", names=NAMES)
    want = sp.Piecewise(
        (1, sp.Not(sp.And(V1 > 0, V2 > 0))), (2, sp.Or(V1 > 0, sp.false)), (3, True)
    )
    assert got == want
    # the truth table: piece 1 unless both are positive, then piece 2
    for v1, v2, value in [(-1, -1, 1), (1, -1, 1), (-1, 1, 1), (1, 1, 2)]:
        assert got.subs({V1: v1, V2: v2}) == value
    inverted = "Piecewise((1, ~(v1 > 0)), (0, True))"
    assert refused(inverted) == "operator Invert is not allowed"
    double = parse_expression("Piecewise((1, not not True), (0, True))", field="f", names=NAMES)
    assert double == 1


def test_logical_functions_take_boolean_constants():
    text = "Piecewise((1, And(v1 > 0, True)), (2, Or(False, v2 > 0)), (3, Not(False)))"
    got = parse_expression(text, field="f", names=NAMES)
    assert got == sp.Piecewise((1, V1 > 0), (2, V2 > 0), (3, True))
    assert refused("Max(True, 1)") == "True/False are allowed only as a Piecewise condition"


# ------------------------------------------------------------------ calls
def test_call_errors():
    problem = refused("erf(v1)")
    assert problem == (
        "unknown function 'erf' (allowed: KroneckerDelta, Eq, Ne, Piecewise, Min, Max, Abs, "
        "exp, log, sqrt, And, Or, Not)"
    )
    assert refused("Max(v1, x=1)") == "Max() takes no keyword arguments here"
    assert refused("exp(1, 2)").startswith("exp() cannot take these arguments (")


def test_piecewise_takes_pairs_only():
    message = "Piecewise takes pairs (value, condition)"
    assert refused("Piecewise(v1)") == message
    assert refused("Piecewise((v1, True, 2))") == message
    assert refused("Piecewise((v1,))") == message


# ------------------------------------------------------------------ powers
def test_power_limits_at_their_boundaries():
    # digits = |exponent| * |log10 |base||, or |exponent| when |base| = 1
    assert MAX_DIGITS == 1000 and MAX_EXPONENT == 100
    assert parse_expression("10**1000", field="f", names=()) == sp.Integer(10) ** 1000
    assert refused("10**1001") == "the power 10**1001 is too large to compute"
    assert parse_expression("2**3000", field="f", names=()) == sp.Integer(2) ** 3000  # 903
    assert refused("100**501") == "the power 100**501 is too large to compute"  # 1002
    assert parse_expression("1**1000", field="f", names=()) == 1
    assert refused("(-1)**1001") == "the power -1**1001 is too large to compute"
    assert parse_expression("0**5000", field="f", names=()) == 0
    assert parse_expression("v1**100", field="f", names=NAMES) == V1**100
    assert refused("v1**101") == "the exponent 101 is too large (limit 100)"
    assert refused("(v1**20)**6") == "the exponent 120 is too large (limit 100)"


# ------------------------------------------------------------------ non-finite results
# sympy builds zoo, nan, oo and -oo for these (none of them contains another), so the
# check must look for each
@pytest.mark.parametrize("text", ["1/0", "0/0", "Abs(1/0)", "-Abs(1/0)", "v1 - Abs(1/0)"])
def test_non_finite_results_are_refused(text):
    assert refused(text) == f"{text!r} is not finite (it divides by zero or overflows)"


# ------------------------------------------------------------------ linear_split
def test_linear_split_adds_coefficients_of_repeated_variables():
    p1 = sp.Symbol("p1")
    coef, rest = linear_split(p1 + V1 * p1 + 2, [p1], field="f")
    assert coef == {p1: 1 + V1} and rest == 2


def test_linear_split_messages_show_the_text_and_the_part():
    p1 = sp.Symbol("p1")
    with pytest.raises(ModelError) as e:
        linear_split(V1 + sp.exp(p1), [p1], field="obj.f", text="exp(p1)+v1")
    assert e.value.field == "obj.f"
    # the text as the user wrote it, not sympy's printing
    assert e.value.problem == "'exp(p1)+v1' is not linear in p1: exp(p1)"
    with pytest.raises(ModelError) as e:
        linear_split(V1 + sp.exp(p1), [p1], field="obj.f")
    assert e.value.problem == "'v1 + exp(p1)' is not linear in p1: exp(p1)"
