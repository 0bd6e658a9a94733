"""The infosale identities of spec §4.1 run through the verify registry."""

import pytest
import sympy as sp

from datamech.symbolic import all_checks, run_checks

NAMES = [
    "infosale.example3_table",
    "infosale.complement_substitute_form",
    "infosale.alpha_beta_remark",
    "infosale.welfare_identity",
    "infosale.prop3_algebra",
    "infosale.exponential_thresholds",
    "infosale.uniform_footnote2",
    "infosale.outside_options",
    "infosale.exponential_closed_forms",
    "infosale.inequalities",
]


def test_all_registered():
    names = [c.name for c in all_checks("infosale")]
    assert names == NAMES


def test_all_pass():
    results = run_checks(family="infosale")
    bad = [(r.name, r.detail) for r in results if not r.passed]
    assert not bad


@pytest.mark.slow
def test_closed_forms_other_alphas(monkeypatch):
    import datamech.symbolic.infosale as mod

    monkeypatch.setattr(mod, "_ALPHAS", [sp.Rational(1, 4), sp.Rational(2, 3)])
    ok, detail = mod.exponential_closed_forms_check()
    assert ok, detail


def test_checks_detect_a_wrong_identity(monkeypatch):
    """A broken closed form must fail the check (the check is not vacuous)."""
    import datamech.solvers.infosale.closed_form as cf

    real = cf.exponential_closed_forms

    def wrong(alpha, mu=0.5):
        d = real(alpha, mu)
        d["R_2"] += 1e-3
        return d

    monkeypatch.setattr("datamech.solvers.infosale.exponential_closed_forms", wrong)
    ok, _ = __import__(
        "datamech.symbolic.infosale", fromlist=["x"]
    ).exponential_closed_forms_check()
    assert not ok
