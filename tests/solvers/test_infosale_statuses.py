"""Statuses of the infosale solvers: every outcome is a datamech Status (issue 13)."""

import warnings

import numpy as np
import pytest

from datamech import SolverError
from datamech.models.infosale import create
from datamech.solvers.infosale import lp_backends, outside, solve_lp, solve_model, solve_reduced
from datamech.status import Status


def model(**kw):
    return create("competition", alpha=0.5, cells=kw.pop("cells", 4), **kw)


@pytest.mark.parametrize("backend", ["highspy", "cvxpy"])
def test_infeasible_and_unbounded_name_the_family(backend):
    with pytest.raises(SolverError) as e:
        solve_lp(model(outside_option=2.0), backend=backend)
    assert e.value.status is Status.INFEASIBLE and e.value.family == "participation"
    assert "infosale LP" in str(e.value)
    with pytest.raises(SolverError) as e:
        solve_lp(model(participation=False, nonnegative_payments=False), backend=backend)
    assert e.value.status is Status.UNBOUNDED and "participation" in str(e.value)


def test_time_limit_is_a_status_with_advice():
    with pytest.raises(SolverError) as e:
        solve_lp(model(cells=40), time_limit=1e-6)
    assert e.value.status is Status.TIME_LIMIT and "raise [solver] time_limit" in str(e.value)
    with pytest.raises(SolverError) as e:
        solve_reduced(model(cells=40), time_limit=1e-6)
    assert e.value.status is Status.TIME_LIMIT


def test_failed_outside_option_lp_is_an_enum_status(monkeypatch):
    """Was SolverError("outside-option 3"): now the status, the detail in the message."""

    class Failed:
        status, message, fun = 3, "The problem is unbounded.", None

    monkeypatch.setattr("scipy.optimize.linprog", lambda *a, **k: Failed())
    with pytest.raises(SolverError) as e:
        outside.outside_option(model(), 1)
    assert e.value.status is Status.UNBOUNDED
    assert "outside-option LP of buyer 2" in str(e.value) and "unbounded" in str(e.value)
    Failed.status = 4
    with pytest.raises(SolverError) as e:
        solve_lp(model())
    assert e.value.status is Status.SOLVER_ERROR


def test_ambiguous_highs_status_is_resolved(monkeypatch):
    """HiGHS's "primal infeasible or unbounded": the feasibility problem decides."""
    real = lp_backends.highs_run
    calls = []

    def first_ambiguous(h):
        calls.append(h)
        if len(calls) == 1:
            return Status.SOLVER_ERROR, None, None
        return real(h)

    monkeypatch.setattr(lp_backends, "highs_run", first_ambiguous)
    monkeypatch.setattr(lp_backends, "_ambiguous", lambda h: len(calls) == 1)
    with pytest.raises(SolverError) as e:
        solve_lp(model(participation=False, nonnegative_payments=False))
    assert e.value.status is Status.UNBOUNDED  # the feasibility problem is feasible


def test_inaccurate_solves_warn_and_say_so(monkeypatch):
    real = lp_backends.solve_cvxpy

    def inaccurate(problem, solver, **kw):
        real(problem, solver, **kw)
        warnings.warn("solved only inaccurately", RuntimeWarning, stacklevel=2)
        return Status.OPTIMAL_INACCURATE

    monkeypatch.setattr(lp_backends, "solve_cvxpy", inaccurate)
    with pytest.warns(RuntimeWarning, match="inaccurately"):
        res = solve_model(model(cells=6), backend="cvxpy")
    assert res.status is Status.OPTIMAL_INACCURATE and "inaccurate" in res.advice
    assert "advice" in res.format()
    ref = solve_model(model(cells=6))
    assert res.value == pytest.approx(ref.value, abs=1e-8)
    assert np.isfinite(res.revenue)


def test_closed_form_verifier_returns_the_shared_certificate():
    from datamech.models.distributions import Exponential
    from datamech.results import Certificate
    from datamech.solvers.infosale import ClosedFormMechanism

    M = ClosedFormMechanism(2 / 3, [0.5, 0.5], Exponential(1.0), "welfare")
    c = M.certify()
    assert isinstance(c, Certificate) and c.ok and c.max_violation <= 1e-9
    assert c.detail["participation"] and M.verify() == {
        "obedience": True,
        "monotone": True,
        "participation": True,
    }
    # the first best breaks participation at the bottom: pi~(0) = -alpha < K = mu - alpha
    fb = ClosedFormMechanism(2 / 3, [0.5, 0.5], Exponential(1.0), "first-best").certify()
    assert not fb.ok and not fb.detail["participation"]
    assert fb.max_violation == pytest.approx(0.5, abs=1e-9)  # K - pi~(0) = 1/2 - 2/3 + 2/3
