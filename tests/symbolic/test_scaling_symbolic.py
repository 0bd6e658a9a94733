"""The scaling family's registered symbolic checks (spec 003 §5: offline S1-S5, S15,
S17; online S6-S11, S16, S18, S19 and Table A) all pass."""

import pytest

from datamech.symbolic import all_checks, run_checks

NAMES = [
    "scaling.virtual_values",
    "scaling.s1_single_buyer",
    "scaling.s3_cost_identity",
    "scaling.s5_uniform_moments",
    "scaling.s17_mean_r",
    "scaling.s15_offline_payment",
    "scaling.s6_thm32",
    "scaling.s7_thm33",
    "scaling.s8_lemma_b3",
    "scaling.s9_limit_integral",
    "scaling.s10_binomial_moments",
    "scaling.s11_delta",
    "scaling.s16_online_payment",
    "scaling.s18_two_stage_thm32",
    "scaling.s19_two_point_and_in",
    "scaling.table_a_constants",
]


def test_registered():
    names = {c.name for c in all_checks("scaling")}
    assert set(NAMES) <= names


@pytest.mark.parametrize("name", NAMES)
def test_check_passes(name):
    (res,) = run_checks([name])
    assert res.passed, res.detail
