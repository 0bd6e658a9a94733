"""The scaling family's registered symbolic checks (spec 003 §5) all pass."""

import pytest

from datamech.symbolic import all_checks, run_checks

NAMES = [
    "scaling.virtual_values",
    "scaling.s1_single_buyer",
    "scaling.s3_cost_identity",
    "scaling.s5_uniform_moments",
    "scaling.s17_mean_r",
    "scaling.s15_offline_payment",
]


def test_registered():
    names = {c.name for c in all_checks("scaling")}
    assert set(NAMES) <= names


@pytest.mark.parametrize("name", NAMES)
def test_check_passes(name):
    (res,) = run_checks([name])
    assert res.passed, res.detail
