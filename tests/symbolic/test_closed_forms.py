"""datamech.symbolic.closed_forms: expression laws and built-in families, one code path.

Every expected value below is derived by hand in the comments.
"""

from __future__ import annotations

import doctest
import json
import math
import sys
from fractions import Fraction
from pathlib import Path

import pytest
import sympy as sp

from datamech import ModelError
from datamech.models.distributions import (
    Discrete,
    Exponential,
    ExpressionLaw,
    Mixture,
    Pareto,
    Power,
    TruncatedEqualRevenue,
    Uniform,
)
from datamech.symbolic import all_checks, closed_forms, law_cdf, unregister, verify_file

v = sp.Symbol("v", real=True)
E = sp.E

CASES = [
    # U[1,3]: F = (v-1)/2, phi = v - (3-v) = 2v - 3, root 3/2, revenue (3/2)(3/4) = 9/8,
    # virtual cost v + (v-1) = 2v - 1, mean 2
    pytest.param(
        Uniform(1, 3), 2 * v - 3, sp.Rational(3, 2), sp.Rational(9, 8), 2, True, id="uniform"
    ),
    # Exp(2): phi = v - 1/2, reserve 1/2, revenue e^{-1}/2, mean 1/2
    pytest.param(
        Exponential(2),
        v - sp.Rational(1, 2),
        sp.Rational(1, 2),
        E**-1 / 2,
        sp.Rational(1, 2),
        True,
        id="exponential",
    ),  # fmt: skip
    # Pareto(3, scale 2): (1-F)/f = (8/v^3)/(24/v^4) = v/3, phi = 2v/3 > 0: reserve at the
    # bottom 2 with revenue 2; mean 3 * 2/2 = 3
    pytest.param(Pareto(3, 2), 2 * v / 3, 2, 2, 3, True, id="pareto"),
    # Power(2): F = v^2 (the law)
    pytest.param(
        Power(2),
        3 * v / 2 - 1 / (2 * v),
        1 / sp.sqrt(3),
        2 / (3 * sp.sqrt(3)),
        sp.Rational(2, 3),
        True,
        id="power",
    ),  # fmt: skip
    # Exp(1) on [2, 5]: S/f = 1 - e^{v-5}, phi = v - 1 + e^{v-5}; phi(2) = 1 + e^-3 > 0,
    # so the reserve is 2 and the revenue 2 * 1
    pytest.param(
        Exponential(1, 2, high=5), v - 1 + sp.exp(v - 5), 2, 2, None, True, id="trunc-exp"
    ),
    # F = sqrt(v): phi = 3v - 2 sqrt(v), phi' = 3 - 1/sqrt(v) < 0 below 1/9: irregular;
    # phi = 0 at v = 4/9, revenue (4/9)(1/3) = 4/27
    pytest.param(
        Power(Fraction(1, 2)),
        3 * v - 2 * sp.sqrt(v),
        sp.Rational(4, 9),
        sp.Rational(4, 27),
        sp.Rational(1, 3),
        False,
        id="power-1/2",
    ),  # fmt: skip
]


@pytest.mark.parametrize("law, phi, reserve, revenue, mean, regular", CASES)
def test_builtin_families_by_hand(law, phi, reserve, revenue, mean, regular):
    cf = closed_forms(law)
    assert cf.family == law.family
    assert sp.simplify(cf.virtual_value - phi) == 0
    assert sp.simplify(cf.reserve_price - reserve) == 0
    assert sp.simplify(cf.monopoly_revenue - revenue) == 0
    if mean is not None:
        assert sp.simplify(cf.mean - mean) == 0
    assert cf.regular is regular
    assert cf.regularity.startswith("proved symbolically")
    assert cf.reserve_value == pytest.approx(float(reserve), rel=1e-12)
    assert cf.monopoly_value == pytest.approx(float(revenue), rel=1e-12)
    # the law's own numbers agree (datamech's closed forms per family)
    assert law.monopoly_revenue() == pytest.approx(float(revenue), rel=1e-9)


def test_uniform_virtual_cost_and_latex():
    cf = closed_forms(Uniform(1, 3))
    assert sp.simplify(cf.virtual_cost - (2 * v - 1)) == 0
    tex = cf.latex()
    assert tex["virtual_value"] == "2 v - 3"
    assert tex["cdf"] == sp.latex(cf.cdf)
    assert set(tex) >= {"cdf", "pdf", "virtual_value", "reserve_price", "monopoly_revenue"}


def test_same_code_path_as_an_expression_law():
    a = closed_forms(Uniform(0, 1))
    b = closed_forms(ExpressionLaw(cdf="v", support=[0, 1]))
    assert a.family == "uniform" and b.family == "expression"
    for name in ("cdf", "pdf", "virtual_value", "virtual_cost", "reserve_price", "quantile"):
        assert sp.simplify(getattr(a, name) - getattr(b, name)) == 0, name


def test_mixture_of_uniforms_is_piecewise_and_irregular():
    # 2/5 U[0,1] + 1/5 U[0,3] + 2/5 U[2,3]: phi jumps down at v = 1 (2v - 15/7 to 2v - 9);
    # the revenue v (1 - F(v)) peaks at the breakpoint 2: 2 * 7/15
    mix = Mixture([Uniform(0, 1), Uniform(0, 3), Uniform(2, 3)], ["2/5", "1/5", "2/5"])
    cf = closed_forms(mix)
    assert cf.regular is False and "v = 1" in cf.regularity
    assert cf.reserve_price == 2 and cf.monopoly_revenue == sp.Rational(14, 15)
    F, lo, hi = law_cdf(mix)
    assert (lo, hi) == (0, 3)
    assert F.subs(v, sp.Rational(3, 2)) == sp.Rational(7, 15) + sp.Rational(1, 30)


@pytest.mark.parametrize(
    "law",
    [Discrete([1, 2], ["1/2", "1/2"]), TruncatedEqualRevenue(Fraction(1, 2), 4)],
    ids=["discrete", "truncated_equal_revenue"],
)
def test_laws_with_atoms_have_no_closed_forms(law):
    with pytest.raises(ModelError) as err:
        closed_forms(law)
    assert err.value.field == "buyer.family"
    assert "atoms" in err.value.problem


def test_to_dict_is_json_and_format_lists_the_forms():
    cf = closed_forms(ExpressionLaw(cdf="1 - (1 + v)**-2", support=[0, "inf"]))
    data = json.loads(json.dumps(cf.to_dict()))
    assert data["virtual_value"] == "v/2 - 1/2"
    assert data["reserve_price"] == "1" and data["monopoly_revenue"] == "1/4"
    assert data["support"] == ["0", "oo"]
    assert data["regular"] is True
    text = cf.format()
    assert "virtual_value: v/2 - 1/2" in text and "regular: True" in text
    assert "reserve=1" in repr(cf)


def test_numeric_fallbacks_are_labelled():
    # F = erf(v): phi's root has no closed form; the reserve is numeric and said so
    cf = closed_forms(ExpressionLaw(cdf="erf(v)", support=[0, "inf"]))
    assert cf.reserve_price is None and "reserve price" in cf.notes
    assert cf.regularity.startswith("checked numerically")
    # v(1 - erf(v)) is maximal where 1 - erf(v) = 2 v e^{-v^2}/sqrt(pi)
    x = cf.reserve_value
    assert 1 - math.erf(x) == pytest.approx(2 * x * math.exp(-x * x) / math.sqrt(math.pi), rel=1e-9)


DOC = Path(__file__).resolve().parents[2] / "docs" / "symbolic.md"


def test_the_docs_examples_run():
    # every ">>>" example of docs/symbolic.md, with its printed output
    failed, tried = doctest.testfile(
        str(DOC), module_relative=False, optionflags=doctest.ELLIPSIS, verbose=False
    )
    assert tried >= 20 and failed == 0


def test_the_docs_user_module_runs(tmp_path):
    # the "# my_checks.py" block of docs/symbolic.md, run by verify --module
    text = DOC.read_text()
    start = text.index("# my_checks.py\n")
    path = tmp_path / "doc_checks.py"
    path.write_text(text[start : text.index("```", start)])
    before = {c.name for c in all_checks()}
    try:
        report, code = verify_file("examples/models/offline_u2.toml", json=True, modules=[path])
    finally:
        for c in all_checks():
            if c.name not in before:
                unregister(c.name)
        sys.modules.pop("datamech_user_checks_doc_checks", None)
    data = json.loads(report)
    by = {c["name"]: c for c in data["checks"]}
    # two U[0, 1] buyers: reserve 1/2 in [0, 1]
    assert code == 0
    assert (
        by["mine.reserve_below_top"]["detail"]
        == "buyers[0]: 0.0 <= 0.5 <= 1.0; buyers[1]: 0.0 <= 0.5 <= 1.0"
    )
    assert by["mine.two_buyers"]["passed"] is True
