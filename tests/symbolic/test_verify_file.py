"""``datamech verify FILE``: model checks instantiated on a file, and users' own checks."""

from __future__ import annotations

import glob
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

import datamech as dm
from datamech import ModelError
from datamech.cli import main as cli_main
from datamech.models.distributions import Uniform
from datamech.symbolic import (
    NotApplicable,
    all_checks,
    load_modules,
    model_checks,
    register,
    run_checks,
    run_model_checks,
    unregister,
    verify,
    verify_file,
)

ROOT = Path(__file__).resolve().parents[2]

FAST = [
    "examples/models/bilateral_b1.toml",
    "examples/models/bilateral_irregular.toml",
    "examples/models/offline_i3.toml",
    "examples/models/online_thm33.toml",
    "examples/models/chain_tbds.toml",
    "examples/models/mechanism_myerson.toml",
]


def _report(path, **kw):
    text, code = verify_file(path, json=True, **kw)
    return json.loads(text), code


@pytest.mark.parametrize("path", FAST)
def test_examples_pass_with_their_identities(path):
    data, code = _report(path)
    assert code == 0
    assert data["file"] == path and data["failed"] == 0 and data["passed"] >= 1
    for check in data["checks"]:
        assert check["passed"] is True
        assert check["identity"] and check["detail"]  # the numbers substituted
        assert check["name"].startswith("model.")


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(glob.glob("examples/models/*.toml")))
def test_every_example_runs_its_checks(path):
    data, code = _report(path)
    assert code == 0, [c for c in data["checks"] if not c["passed"]]
    assert data["passed"] + data["skipped"] >= 1
    assert data["passed"] == len(data["checks"]) and data["skipped"] == len(data["skipped_checks"])
    for check in data["checks"]:
        assert check["passed"] is True and check["identity"] and check["detail"]
    for skip in data["skipped_checks"]:
        assert skip["identity"] and skip["reason"]


def test_offline_numbers_in_the_detail():
    data, _ = _report("examples/models/offline_i3.toml")
    by = {c["name"]: c for c in data["checks"]}
    # I3: phi^ir = (1/7, 1/7, 3), so v = (1, 3) gives D* = ((1/2)(1/7 + 3))^2 = 121/49
    assert "D* = 121/49 (datamech 121/49)" in by["model.offline_theorem_2_2"]["detail"]
    assert "ironing interval [1, 2]" in by["model.offline_theorem_2_2"]["detail"]
    assert "= OFFL 13/7" in by["model.offline_payment_identity"]["detail"]
    # I3's law: max_j v_j P(V >= v_j) = max(1, 2 * 2/5, 3 * 3/10) = 1 = E[r]
    assert "= 1, E[r] = 1" in by["model.law_closed_forms"]["detail"]


def test_online_two_point_closed_form():
    data, _ = _report("examples/models/online_thm33.toml")
    by = {c["name"]: c for c in data["checks"]}
    # K_c H^k sum_i (1-q)^{i-1} q (1 + (n-i) q)^k with K_c = 1/4, H = 4, k = 2, q = 1/8,
    # n = 2: 4 * (1/8 * 81/64 + 7/64 * 1/8 * 1) ... = 137/128
    assert "ONL = 137/128 = DP 137/128" in by["model.online_dp_closed_form"]["detail"]


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_online_one_buyer_closed_form(tmp_path):
    # one U[0,1] buyer, alpha = 1/2, c = 1: ONL = OFFL = K_c E[r^2], K_c = 1/4,
    # r = (2v - 1)_+: E[r^2] = int_{1/2}^1 (2v-1)^2 dv = 1/6, so ONL = 1/24 (sympy's
    # integral of phi^k f over [reserve, 1])
    path = _write(
        tmp_path,
        "one.toml",
        """
        [model]
        kind = "online"
        alpha = "1/2"
        cost = 1
        [[buyers]]
        family = "expression"
        cdf = "v"
        support = [0, 1]
    """,
    )
    data, code = _report(path)
    by = {c["name"]: c for c in data["checks"]}
    assert code == 0
    assert "ONL = 1/24" in by["model.online_dp_closed_form"]["detail"]


def test_skipped_checks_are_listed_with_the_reason():
    data, code = _report("examples/models/online_i3.toml")
    assert code == 0 and data["skipped"] == 1
    [skip] = data["skipped_checks"]
    assert skip["name"] == "model.online_dp_closed_form"
    assert "no closed form" in skip["reason"]


def test_a_wrong_number_fails_the_law_check(monkeypatch):
    monkeypatch.setattr(Uniform, "reserve_price", lambda self: 0.6)
    text, code = verify_file("examples/models/offline_u2.toml")
    assert code == 1
    assert "FAIL  model.law_closed_forms" in text
    assert "reserve 1/2 (datamech 0.6)" in text
    assert " 0 failed" not in text.splitlines()[-1]


def test_human_report_lists_identities_and_details():
    text, code = verify_file("examples/models/bilateral_b1.toml")
    lines = text.splitlines()
    assert code == 0 and lines[0].endswith("(kind bilateral)")
    assert any(line.startswith("PASS  model.bilateral_lambda_star") for line in lines)
    assert any("B(lambda*) =" in line for line in lines)


def test_bad_file_is_a_model_error(tmp_path):
    with pytest.raises(ModelError) as err:
        verify_file(tmp_path / "missing.toml")
    assert err.value.field == "file"


# ---------------------------------------------------------------- users' checks
@pytest.fixture
def user_module(tmp_path, monkeypatch):
    """A user's check module; its checks are unregistered afterwards."""
    before = {c.name for c in all_checks()}
    made = []

    def make(name, body):
        made.append(name)
        return _write(tmp_path, f"{name}.py", body)

    monkeypatch.chdir(tmp_path)
    yield make
    for c in all_checks():
        if c.name not in before:
            unregister(c.name)
    for name in made:
        sys.modules.pop(name, None)
        sys.modules.pop(f"datamech_user_checks_{name}", None)


USER_CHECKS = """
    import datamech.symbolic as sym

    @sym.register("mine.reserve_below_top", "mine", "every reserve <= the top of its support",
                  kinds=("offline", "online"))
    def reserve_below_top(model):
        rs = [b.reserve_price() for b in model.buyers]
        return all(r <= b.support[1] for r, b in zip(rs, model.buyers)), f"reserves {rs}"

    @sym.register("mine.only_two_buyers", "mine", "n = 2", kinds="offline")
    def only_two(model):
        if len(model.buyers) != 2:
            raise sym.NotApplicable("not two buyers")
        return True

    @sym.register("mine.broken", "mine", "raises", kinds=("offline",))
    def broken(model):
        raise ZeroDivisionError("planted")

    @sym.register("mine.theorem", "mine", "1 + 1 = 2")
    def theorem():
        return True, "2 = 2"
"""


def test_user_module_by_path(user_module):
    path = user_module("checks_a", USER_CHECKS)
    data, code = _report(str(ROOT / "examples/models/offline_u2.toml"), modules=[path])
    by = {c["name"]: c for c in data["checks"]}
    assert by["mine.reserve_below_top"]["passed"] is True
    assert by["mine.reserve_below_top"]["detail"] == "reserves [0.5, 0.5]"
    assert by["mine.only_two_buyers"]["passed"] is True
    assert by["mine.broken"]["passed"] is False
    assert by["mine.broken"]["detail"] == "ZeroDivisionError: planted"
    assert "mine.theorem" not in by  # checks of no arguments run without a file
    assert code == 1


def test_user_module_by_name_from_the_current_directory(user_module):
    user_module("checks_b", USER_CHECKS.replace("mine.", "mineb."))
    data, _ = _report(str(ROOT / "examples/models/online_i3.toml"), modules=["checks_b"])
    names = [c["name"] for c in data["checks"]]
    assert "mineb.reserve_below_top" in names and "mineb.only_two_buyers" not in names
    text, code = verify(modules=["checks_b"])  # the module's theorems, no file
    assert code == 0 and "PASS  mineb.theorem: 1 + 1 = 2" in text


def test_user_checks_only_with_their_module(user_module):
    user_module("checks_c", USER_CHECKS.replace("mine.", "minec."))
    load_modules(["checks_c"])
    assert "minec.reserve_below_top" not in [c.name for c in model_checks("offline")]
    assert "minec.reserve_below_top" in [c.name for c in model_checks("offline", ["checks_c"])]


@pytest.mark.parametrize(
    "body, words",
    [
        pytest.param("raise RuntimeError('boom')", "importing", id="raises"),
        pytest.param("import no_such_module_xyz", "importing", id="imports"),
        pytest.param("def (:", "SyntaxError", id="syntax"),
    ],
)
def test_module_that_fails_to_import(user_module, body, words):
    path = user_module("bad_checks", body)
    with pytest.raises(ModelError) as err:
        load_modules([path])
    assert err.value.field == "verify.module" and words in str(err.value)


def test_unknown_module_is_a_model_error(user_module):
    with pytest.raises(ModelError, match="no module named 'no_such_checks'") as err:
        load_modules(["no_such_checks"])
    assert err.value.field == "verify.module"
    with pytest.raises(ModelError, match="does not exist"):
        load_modules(["missing.py"])


def test_module_without_plain_checks_needs_a_file(user_module):
    user_module(
        "model_only",
        """
        import datamech.symbolic as sym

        @sym.register("modelonly.x", "mine", "x", kinds="offline")
        def x(model):
            return True
    """,
    )
    with pytest.raises(ModelError, match="model checks") as err:
        verify(modules=["model_only"])
    assert err.value.field == "verify.module"


def test_any_kind_and_register_validation():
    @register("test.any_kind", "test", "runs on every kind", kinds="*")
    def anything(model):
        return True, type(model).__name__

    try:
        model = dm.load("examples/models/chain_tbds.toml")
        results = run_model_checks(
            model, [c for c in model_checks("chain") if c.name == "test.any_kind"]
        )
        assert results == [] or results[0].passed  # built-in modules only, unless named
    finally:
        unregister("test.any_kind")
    with pytest.raises(ValueError, match="kinds"):
        register("test.bad_kinds", "test", "x", kinds=[""])


def test_not_applicable_is_reported_as_skipped():
    @register("test.never_applies", "test", "never", kinds=("bilateral",))
    def never(model):
        raise NotApplicable("planted")

    try:
        model = dm.load("examples/models/bilateral_b1.toml")
        check = [c for c in all_checks() if c.name == "test.never_applies"]
        [res] = run_model_checks(model, check)
        assert res.reason == "planted" and res.name == "test.never_applies"
    finally:
        unregister("test.never_applies")


# ---------------------------------------------------------------- routing, registry
def test_verify_routes_a_toml_file(tmp_path):
    text, code = verify(["examples/models/chain_tbds.toml"], json=True)
    assert json.loads(text)["kind"] == "chain" and code == 0
    other = tmp_path / "model.txt"  # an existing file is a model file whatever its suffix
    other.write_text(Path("examples/models/chain_tbds.toml").read_text())
    text, code = verify([str(other)], json=True)
    assert json.loads(text)["kind"] == "chain" and code == 0


def test_verify_refuses_a_file_with_names():
    with pytest.raises(ModelError) as err:
        verify(["examples/models/chain_tbds.toml", "chain.ave_budget_balance"])
    assert err.value.field == "verify.file"
    with pytest.raises(ModelError):
        verify(["examples/models/chain_tbds.toml"], family="chain")


def test_verify_without_file_keeps_the_old_output():
    text, code = verify(["chain.ave_budget_balance"], json=True)
    data = json.loads(text)
    assert code == 0 and data["passed"] == 1 and data["failed"] == 0
    assert set(data["checks"][0]) == {"name", "family", "passed", "identity", "detail", "seconds"}


def test_model_checks_are_not_run_without_a_model():
    assert all(not r.name.startswith("model.") for r in run_checks(family="chain"))
    with pytest.raises(ModelError, match="checks a model") as err:
        run_checks(["model.law_closed_forms"])
    assert err.value.field == "verify.name"
    with pytest.raises(ModelError, match="run datamech verify FILE") as err:
        run_checks(family="model")
    assert err.value.field == "verify.family"


def test_cli_verify_file_json_and_module(tmp_path, capsys):
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "datamech.cli",
            "verify",
            "examples/models/offline_i3.toml",
            "--json",
        ],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["kind"] == "offline" and data["failed"] == 0
    assert all(c["identity"] and c["passed"] is True for c in data["checks"])
    bad = tmp_path / "bad.py"
    bad.write_text("raise RuntimeError('boom')\n")
    assert cli_main(["verify", "examples/models/offline_i3.toml", "--module", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "verify.module" in err and "Traceback" not in err


def test_cli_planted_failing_user_check_exits_1(user_module, capsys):
    # a user's check that is false on the model: every price p has p P(V >= p) <= 0.9 for
    # U[0, 1] (the maximum is 1/4), so "the monopoly revenue exceeds 1/2" fails
    path = user_module(
        "planted",
        """
        import datamech.symbolic as sym

        @sym.register("planted.revenue_above_half", "planted", "monopoly revenue > 1/2",
                      kinds="offline")
        def above_half(model):
            r = model.buyers[0].monopoly_revenue()
            return r > 0.5, f"monopoly revenue {r}"
    """,
    )
    model = str(ROOT / "examples/models/offline_u2.toml")
    assert cli_main(["verify", model, "--json", "--module", path]) == 1
    data = json.loads(capsys.readouterr().out)
    [mine] = [c for c in data["checks"] if c["name"] == "planted.revenue_above_half"]
    assert mine["passed"] is False and mine["detail"] == "monopoly revenue 0.25"
    assert mine["identity"] == "monopoly revenue > 1/2"
    assert data["failed"] == 1 and all(
        c["passed"] for c in data["checks"] if c["name"].startswith("model.")
    )
    assert cli_main(["verify", model]) == 0  # without --module the user's check is not run
    assert "planted" not in capsys.readouterr().out


def test_mechanism_certificate_fails_on_a_planted_violation(monkeypatch):
    from datamech.results import Certificate
    from datamech.symbolic import file_checks

    model = dm.load("examples/models/mechanism_table.toml")
    [check] = [c for c in model_checks("mechanism") if c.name == "model.mechanism_certificate"]
    bad = Certificate(ok=False, max_violation=0.125, tolerance=1e-9, method="planted")
    fake = SimpleNamespace(certificate=bad, max_ic_violation=0.125, max_ir_violation=0.0)
    monkeypatch.setattr(file_checks, "solved", lambda m: fake)
    [res] = run_model_checks(model, [check])
    assert res.passed is False
    assert res.detail == "largest violation 0.125 <= tolerance 1e-09 (ic 0.125, ir 0); planted"
    monkeypatch.setattr(file_checks, "solved", lambda m: SimpleNamespace())
    [res] = run_model_checks(model, [check])
    assert res.reason == "the result carries no certificate"
