"""The bilateral family's registered symbolic checks (spec 003 §5: S2, S12-S14, S20,
Theorems 4.1/4.2) all pass, and a wrong constant is caught."""

import pytest
import sympy as sp

from datamech.symbolic import all_checks, run_checks
from datamech.symbolic import bilateral as sb

NAMES = [
    "bilateral.s2_first_best",
    "bilateral.s12_hardy_constants",
    "bilateral.s13_constants",
    "bilateral.s14_uniform",
    "bilateral.s20_separable",
    "bilateral.thm41_thm42_tight",
    "bilateral.uniform_lambda_star",
]


def test_registered():
    names = {c.name for c in all_checks("bilateral")}
    assert set(NAMES) <= names


@pytest.mark.parametrize("name", NAMES)
def test_check_passes(name):
    (res,) = run_checks([name])
    assert res.passed, res.detail


def test_zero_helper_rejects_wrong_constants():
    a = sp.Rational(1, 3)
    assert sb._zero((1 - a) * a ** (a / (1 - a)) - sb._fb_factor(a))
    assert not sb._zero(sb._fb_factor(a) - a ** (a / (1 - a)))  # missing (1 - a)
    assert not sb._zero(sp.Rational(3, 4) - sp.Rational(3, 4) - sp.Rational(1, 10**6))


def test_separable_gft_at_zero_is_first_best_for_b1():
    half = sp.Rational(1, 2)
    gft, bud = sb._separable(
        half,
        0,
        lambda e: sp.integrate(e, (sb.v, 0, 1)),
        lambda e: sp.integrate(e, (sb.c, 1, 2)),
        2 * sb.v - 1,
        2 * sb.c - 1,
    )
    assert sp.simplify(gft - sp.log(2) / 12) == 0  # spec B1: FB = ln2/12
    assert float(bud) == pytest.approx(-0.01609559838, abs=1e-10)
