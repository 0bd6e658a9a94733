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


@pytest.mark.parametrize(
    "module, function, name",
    [
        ("datamech.solvers.scaling.instances", "thm32_greedy", "scaling.s6_thm32"),
        ("datamech.solvers.scaling.instances", "thm32_onl", "scaling.s6_thm32"),
        ("datamech.solvers.scaling.instances", "lim_onl_In", "scaling.s9_limit_integral"),
        ("datamech.solvers.scaling.instances", "lim_ratio_In", "scaling.s9_limit_integral"),
        (
            "datamech.solvers.scaling.instances",
            "thm32_two_stage_ratio",
            "scaling.s18_two_stage_thm32",
        ),
    ],
)
def test_a_wrong_closed_form_is_caught(monkeypatch, module, function, name):
    import importlib

    mod = importlib.import_module(module)
    real = getattr(mod, function)
    monkeypatch.setattr(mod, function, lambda *args: real(*args) * 1.001)
    (res,) = run_checks([name])
    assert not res.passed, res.detail


@pytest.mark.parametrize(
    "name",
    ["scaling.s1_single_buyer", "scaling.s5_uniform_moments", "scaling.s7_thm33"],
)
def test_a_wrong_offline_profit_is_caught(monkeypatch, name):
    """The checks read datamech's offline profit (Theorem 2.2); a 0.1% error must fail them."""
    import dataclasses

    from datamech.solvers.scaling.offline import OfflineMechanism

    real = OfflineMechanism.expected_profit

    def wrong(self, *args, **kwargs):
        est = real(self, *args, **kwargs)
        return dataclasses.replace(est, value=est.value * 1.001)

    monkeypatch.setattr(OfflineMechanism, "expected_profit", wrong)
    (res,) = run_checks([name])
    assert not res.passed, res.detail


def test_a_wrong_production_or_delta_is_caught(monkeypatch):
    from datamech.solvers.scaling.offline import OfflineMechanism
    from datamech.solvers.scaling.online import OnlineMechanism

    real = OfflineMechanism.production
    monkeypatch.setattr(OfflineMechanism, "production", lambda self, s: real(self, s) * 1.001)
    assert not any(
        r.passed for r in run_checks(["scaling.s1_single_buyer", "scaling.s3_cost_identity"])
    )
    monkeypatch.undo()
    real_init = OnlineMechanism.__init__

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        self.delta = self.delta * 1.001

    monkeypatch.setattr(OnlineMechanism, "__init__", init)
    (res,) = run_checks(["scaling.s11_delta"])
    assert not res.passed, res.detail
