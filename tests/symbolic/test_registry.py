"""The check registry behind ``datamech verify``: registration, running, failure handling."""

import dataclasses
import json

import numpy as np
import pytest

from datamech import ModelError
from datamech.symbolic import (
    CHECK_MODULES,
    CheckResult,
    all_checks,
    register,
    run_checks,
    unregister,
)


@pytest.fixture
def throwaway():
    """Register checks under the family "test"; they are removed after the test."""
    names = []

    def add(name, func, identity="a deliberately planted identity"):
        register(name, "test", identity)(func)
        names.append(name)
        return name

    yield add
    for name in names:
        unregister(name)


def test_chain_module_is_listed_and_loaded():
    assert "datamech.symbolic.chain" in CHECK_MODULES
    checks = all_checks()
    assert any(c.family == "chain" for c in checks)
    assert all(c.name and c.family and c.identity for c in checks)


def test_false_check_is_reported_not_raised(throwaway):
    name = throwaway("test.false_identity", lambda: (False, "x = 1 gives 2 != 3"), "x + 1 = 3")
    [res] = run_checks([name])
    assert res.passed is False
    assert res.name == name and res.family == "test"
    assert res.identity == "x + 1 = 3"
    assert res.detail == "x = 1 gives 2 != 3"
    assert res.seconds >= 0


@pytest.mark.parametrize(
    "outcome, passed, detail",
    [
        pytest.param(True, True, "", id="True"),
        pytest.param(False, False, "check returned False", id="False"),
        pytest.param((True, "residual 0"), True, "residual 0", id="(True, detail)"),
        pytest.param(np.bool_(True), True, "", id="numpy bool"),
    ],
)
def test_outcome_forms(throwaway, outcome, passed, detail):
    name = throwaway("test.outcome", lambda: outcome)
    [res] = run_checks(name)
    assert res.passed is passed
    assert res.detail == detail


@pytest.mark.parametrize("outcome", [None, 1, "yes", (True,), ("ok", "detail")])
def test_malformed_outcome_is_a_failure(throwaway, outcome):
    name = throwaway("test.malformed", lambda: outcome)
    [res] = run_checks([name])
    assert res.passed is False
    assert "expected a bool or (bool, detail)" in res.detail


def test_exception_in_check_becomes_failure(throwaway):
    def broken():
        raise ZeroDivisionError("the residual divided by zero")

    bad = throwaway("test.raises", broken)
    good = throwaway("test.fine", lambda: True)
    results = run_checks([bad, good])  # the run continues after the broken check
    assert [r.name for r in results] == [bad, good]
    assert results[0].passed is False
    assert results[0].detail == "ZeroDivisionError: the residual divided by zero"
    assert results[1].passed is True


def test_duplicate_name_raises(throwaway):
    name = throwaway("test.once", lambda: True, "first")
    with pytest.raises(ValueError, match="already registered"):
        register(name, "test", "second")(lambda: False)
    assert [c.identity for c in all_checks("test")] == ["first"]


def test_chain_check_names_cannot_be_reused():
    with pytest.raises(ValueError, match="already registered"):
        register("chain.tbds_budget_balance", "chain", "impostor")(lambda: True)


@pytest.mark.parametrize("bad", ["", None])
def test_register_needs_name_family_identity(bad):
    with pytest.raises(ValueError, match="non-empty string"):
        register(bad, "test", "identity")
    with pytest.raises(ValueError, match="non-empty string"):
        register("test.x", "test", bad)


def test_unknown_name_raises_model_error():
    with pytest.raises(ModelError, match="unknown check 'chain.no_such_check'") as err:
        run_checks(["chain.tbds_budget_balance", "chain.no_such_check"])
    assert err.value.field == "verify.name"


def test_unknown_family_raises_model_error():
    with pytest.raises(ModelError) as err:
        run_checks(family="chian")
    assert err.value.field == "verify.family"
    assert "chain" in str(err.value)


def test_unregister_unknown_raises_model_error():
    with pytest.raises(ModelError) as err:
        unregister("test.never_registered")
    assert err.value.field == "verify.name"


def test_family_filter_returns_only_that_family(throwaway):
    throwaway("test.other_family", lambda: False)
    results = run_checks(family="chain")
    assert results
    assert {r.family for r in results} == {"chain"}
    assert [r.name for r in results] == [c.name for c in all_checks("chain")]
    assert [r.name for r in run_checks(family="test")] == ["test.other_family"]


def test_names_and_family_combine(throwaway):
    mine = throwaway("test.mine", lambda: True)
    results = run_checks([mine, "chain.ave_budget_balance"], family="test")
    assert [r.name for r in results] == [mine]


def test_names_keep_their_order():
    names = ["chain.ave_past_only", "chain.ave_budget_balance"]
    assert [r.name for r in run_checks(names)] == names


def test_check_result_to_dict_is_json(throwaway):
    name = throwaway("test.json", lambda: (np.bool_(False), "residual alpha**2 - 1"))
    [res] = run_checks([name])
    data = json.loads(json.dumps(res.to_dict()))
    assert data == {
        "name": name,
        "family": "test",
        "passed": False,
        "identity": "a deliberately planted identity",
        "detail": "residual alpha**2 - 1",
        "seconds": res.seconds,
    }
    json.dumps([r.to_dict() for r in run_checks(family="chain")])


def test_check_result_is_frozen():
    res = CheckResult("test.x", "test", True, "1 = 1", "", 0.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.passed = False
