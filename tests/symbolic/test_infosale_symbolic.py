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


def test_the_ocr_typo_in_the_payoffs_is_caught(monkeypatch):
    """Eq. (3.2) as the OCR prints it (alpha 1{a_i = theta}, E1) fails the table and Prop 3."""
    import dataclasses

    import numpy as np

    import datamech.models.infosale as models

    real = models.competition_game

    def typo(alpha):
        g = real(alpha)
        p = np.zeros_like(g.payoffs)
        for a1, a2, th in np.ndindex(2, 2, 2):
            x, y = float(a1 == th), float(a2 == th)
            p[0, a1, a2, th], p[1, a1, a2, th] = x - alpha * x, y - alpha * y
        return dataclasses.replace(g, payoffs=p)

    monkeypatch.setattr(models, "competition_game", typo)
    results = run_checks(["infosale.example3_table", "infosale.prop3_algebra"])
    assert not any(r.passed for r in results), [r.detail for r in results]


@pytest.mark.parametrize(
    "attribute, name",
    [
        ("v_tilde", "infosale.exponential_thresholds"),
        ("v_star", "infosale.uniform_footnote2"),
        ("v0", "infosale.uniform_footnote2"),
    ],
)
def test_wrong_closed_form_thresholds_are_caught(monkeypatch, attribute, name):
    import datamech.solvers.infosale as solvers

    class Shifted(solvers.ClosedFormMechanism):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            setattr(self, attribute, getattr(self, attribute) + 1e-6)

    monkeypatch.setattr(solvers, "ClosedFormMechanism", Shifted)
    (res,) = run_checks([name])
    assert not res.passed, res.detail


def test_the_e4_boundary_rule_is_checked(monkeypatch):
    """h_i = 1{v_j < T(v_i)} (ties recommend the wrong action) fails the welfare identity."""
    import datamech.solvers.infosale as solvers

    class Strict(solvers.ClosedFormMechanism):
        def accuracy(self, i, v1, v2):
            own, opp = (v1, v2) if i == 0 else (v2, v1)
            return 1.0 if opp < self.threshold(own) else 0.0

    monkeypatch.setattr(solvers, "ClosedFormMechanism", Strict)
    (res,) = run_checks(["infosale.welfare_identity"])
    assert not res.passed, res.detail


def test_a_wrong_section_5_1_game_is_caught(monkeypatch):
    import dataclasses

    import datamech.models.infosale as models

    real = models.complement_substitute_game

    def shifted(alpha, beta):
        g = real(alpha, beta)
        return dataclasses.replace(g, payoffs=g.payoffs + 1e-9)

    monkeypatch.setattr(models, "complement_substitute_game", shifted)
    results = run_checks(["infosale.complement_substitute_form", "infosale.alpha_beta_remark"])
    assert not any(r.passed for r in results), [r.detail for r in results]
