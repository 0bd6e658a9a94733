"""The whitelisting expression reader: nothing in a model file ever runs."""

import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from datamech import ModelError
from datamech.expressions import (
    LAW_FUNCTIONS,
    MAX_LENGTH,
    as_sympy,
    indexed_names,
    linear_split,
    parse_expression,
)

NAMES = ("theta", "a1", "a2", "v1", "v2", "p1", "p2")

PAYLOADS = [
    '__import__("os").system("touch owned") + theta',
    '__import__("os").system("touch owned")',
    "().__class__.__bases__[0].__subclasses__()",
    "theta.__class__",
    "(lambda: 1)() + theta",
    "[x for x in (1, 2)]",
    'eval("1")',
    'exec("import os")',
    "open('owned', 'w')",
    "globals()",
    "__builtins__",
    "theta[0]",
    "theta if 1 else 2",
    "'a' + 'b'",
    "f'{theta}'",
    "(x := 3)",
    "{1: 2}",
    "a1 @ a2",
    "a1 // 2",
    "a1 % 2",
    "a1 << 2",
    "~a1",
    "Piecewise((1, theta > 0), (0, True)).args",
    "KroneckerDelta(a1, theta, evaluate=True)",
    "sp.exp(1)",
    "Symbol('x')",
    "1 < theta < 2",
    "9**9**9**9",
    "(theta + 1)**1000000",
    "1/0",
    "log(0)",
]


def name_of(text):
    return text[:30]


@pytest.mark.parametrize("text", PAYLOADS, ids=name_of)
def test_anything_outside_the_whitelist_is_refused(text):
    with pytest.raises(ModelError) as e:
        parse_expression(text, field="objective.expression", names=NAMES)
    assert e.value.field == "objective.expression"


def test_the_payload_file_runs_nothing(tmp_path):
    """The issue's reproducer, through the command a user runs: exit 2, no marker file."""
    base = Path("examples/models/infosale_table_welfare.toml").read_text()
    assert 'objective = "welfare"\n' in base
    payload = base.replace('objective = "welfare"\n', "") + (
        "\n[objective]\n"
        'kind = "expression"\n'
        'expression = "__import__(\\"os\\").system(\\"touch owned\\") + theta"\n'
    )
    f = tmp_path / "evil.toml"
    f.write_text(payload)
    res = subprocess.run(
        [sys.executable, "-m", "datamech.cli", "solve", str(f), "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "objective.expression" in res.stderr
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "owned").exists()


@pytest.mark.parametrize(
    "text, want",
    [
        ("v1*KroneckerDelta(a1, theta) + 2*p2", "v1*KroneckerDelta(a1, theta) + 2*p2"),
        ("0.1 + theta", "theta + 1/10"),
        ("-theta**2 / 3", "-theta**2/3"),
        ("Eq(a1, theta)", "Eq(a1, theta)"),
        ("a1 == theta", "Eq(a1, theta)"),
        ("Piecewise((v1, a1 > 0), (0, True))", "Piecewise((v1, a1 > 0), (0, True))"),
        ("Min(v1, v2) + Max(v1, 1) + Abs(theta)", "Min(v1, v2) + Max(1, v1) + Abs(theta)"),
        ("exp(v1) + log(v2) + sqrt(v1)", "exp(v1) + log(v2) + sqrt(v1)"),
        ("pi * v1", "pi*v1"),
        ("Piecewise((1, And(v1 > 0, v2 < 1)), (0, True))", None),
    ],
)
def test_documented_forms_parse_to_the_same_expression(text, want):
    got = parse_expression(text, field="f", names=NAMES)
    if want is not None:
        symbols = {k: sp.Symbol(k) for k in NAMES}
        expected = sp.parse_expr(want, local_dict=symbols)  # trusted test text only
        assert sp.simplify(got - expected) == 0 if got.is_Atom or got.is_Add else got == expected
    assert {s.name for s in got.free_symbols} <= set(NAMES)


def test_decimals_are_exact_and_errors_name_the_field():
    assert parse_expression("0.2", field="f", names=()) == sp.Rational(1, 5)
    with pytest.raises(ModelError, match="unknown name 'sigma'"):
        parse_expression("sigma", field="f", names=NAMES)
    with pytest.raises(ModelError, match="unknown function 'erf'"):
        parse_expression("erf(v1)", field="f", names=NAMES)
    assert parse_expression("erf(v)", field="f", names=("v",), functions=LAW_FUNCTIONS)
    with pytest.raises(ModelError, match="characters long"):
        parse_expression("1+" * MAX_LENGTH + "1", field="f", names=())
    with pytest.raises(ModelError, match="must be a string"):
        parse_expression(3, field="f", names=())
    with pytest.raises(ModelError, match="non-empty"):
        parse_expression("  ", field="f", names=())


def test_indexed_names_and_linear_split():
    ok = indexed_names("p", upto=2)
    assert ok("p1") and ok("p2") and not ok("p3") and not ok("p01") and not ok("q1")
    p1, p2, v = sp.symbols("p1 p2 v")
    coef, rest = linear_split((v + 1) ** 40 * p1 + 3 * (p2 - v), [p1, p2], field="f")
    assert coef == {p1: (v + 1) ** 40, p2: 3} and sp.expand(rest + 3 * v) == 0
    for bad in (p1**2, p1 * p2, sp.exp(p1), 1 / p1):
        with pytest.raises(ModelError, match="not linear"):
            linear_split(bad, [p1, p2], field="f")


def test_as_sympy_reads_numbers_without_evaluating_text():
    assert as_sympy("1/3") == sp.Rational(1, 3) and as_sympy(0.1) == sp.Rational(1, 10)
    with pytest.raises(ValueError):
        as_sympy("__import__('os')")


@given(
    st.recursive(
        st.one_of(
            st.integers(-50, 50).map(str),
            st.sampled_from(["theta", "v1", "a2", "p1", "3/4"]),
        ),
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"
            ),
            inner.map(lambda x: f"Abs({x})"),
            st.tuples(inner, inner).map(lambda t: f"Max({t[0]}, {t[1]})"),
        ),
        max_leaves=12,
    )
)
def test_polynomials_parse_like_sympy_does(text):
    """On arithmetic sympy would read the same way, the parser agrees with sympy."""
    symbols = {k: sp.Symbol(k) for k in NAMES}
    got = parse_expression(text, field="f", names=NAMES)
    want = sp.parse_expr(text, local_dict=symbols)  # trusted: generated by the test
    assert sp.expand(got - want) == 0
