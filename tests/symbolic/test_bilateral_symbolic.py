"""The bilateral family's registered symbolic checks (spec 003 §5: S2, S12-S14, S20,
Theorems 4.1/4.2) all pass, a wrong constant is caught, and so is a wrong number from
datamech's solvers (each check compares with them)."""

import dataclasses

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


# ---------------------------------------------------------------- the checks read datamech
def _scaled(func, field, factor):
    """``func`` with ``field`` of its result multiplied by ``factor`` (a planted bug)."""

    def wrong(*args, **kwargs):
        res = func(*args, **kwargs)
        return dataclasses.replace(res, **{field: getattr(res, field) * factor})

    return wrong


def test_a_broken_lemma_c1_w_fails_s2(monkeypatch):
    import datamech.solvers.bilateral as bil

    real = bil.W
    monkeypatch.setattr(bil, "W", lambda v, c, a: real(v, c, a) / (1 - float(a)))  # (1-a) lost
    (res,) = run_checks(["bilateral.s2_first_best"])
    assert not res.passed and "datamech W" in res.detail


@pytest.mark.parametrize(
    "function, field, name",
    [
        ("first_best", "gains_from_trade", "bilateral.s2_first_best"),
        ("second_best", "lambda_star", "bilateral.uniform_lambda_star"),
        ("second_best", "lambda_star", "bilateral.s20_separable"),
        ("second_best", "gains_from_trade", "bilateral.s13_constants"),  # B4: SB > FB
        ("seller_proposing", "guarantee", "bilateral.s12_hardy_constants"),
        ("buyer_proposing", "guarantee", "bilateral.thm41_thm42_tight"),
        ("seller_proposing", "ratio", "bilateral.s14_uniform"),
        ("buyer_proposing", "lower_bound_ratio", "bilateral.thm41_thm42_tight"),
    ],
)
def test_a_wrong_datamech_number_fails_the_check(monkeypatch, function, field, name):
    import datamech.solvers.bilateral as bil

    monkeypatch.setattr(bil, function, _scaled(getattr(bil, function), field, 1.001))
    (res,) = run_checks([name])
    assert not res.passed, res.detail


@pytest.mark.parametrize(
    "function, name",
    [
        ("budget_surplus", "bilateral.s20_separable"),
        ("gains_from_trade", "bilateral.s20_separable"),
    ],
)
def test_a_wrong_budget_or_gft_curve_fails_s20(monkeypatch, function, name):
    import datamech.solvers.bilateral as bil

    real = getattr(bil, function)
    monkeypatch.setattr(bil, function, lambda *a, **k: real(*a, **k) + 1e-6)
    (res,) = run_checks([name])
    assert not res.passed, res.detail
