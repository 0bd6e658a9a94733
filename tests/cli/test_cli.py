"""The datamech command, run as a user runs it (subprocess)."""

import json
import subprocess
import sys

import pytest

EXAMPLES = "examples/models"


def run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "datamech.cli", *args], capture_output=True, text=True, cwd=cwd
    )


def test_solve_json_has_the_promised_keys():
    res = run("solve", f"{EXAMPLES}/chain_model2.toml", "--json")
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout)  # exactly one JSON object on stdout
    for key in (
        "status",
        "social_welfare",
        "transaction_volume",
        "trade_success",
        "player_utility",
        "thresholds",
        "prices",
        "ties",
        "tie_break",
        "solver",
        "seconds",
    ):
        assert key in d
    assert d["status"] == "optimal"
    assert len(d["trade_success"]) == 5 and len(d["player_utility"]) == 6
    assert len(d["thresholds"]) == 6 and len(d["thresholds"][0]) == 11
    assert len(d["prices"]) == 5
    # the example file asks for the paper's rule: spec value 0.232 / 0.859
    assert d["social_welfare"] == pytest.approx(0.232, abs=6e-4)
    assert d["transaction_volume"] == pytest.approx(0.859, abs=6e-4)


def test_solve_options_override_the_file():
    res = run("solve", f"{EXAMPLES}/chain_model2.toml", "--json", "--exact", "--tie-break", "high")
    d = json.loads(res.stdout)
    assert d["tie_break"] == "high" and d["exact"] is True
    assert d["social_welfare"] == pytest.approx(0.201, abs=6e-4)


def test_solve_human_output_and_out_dir(tmp_path):
    import datamech as dm
    from datamech.solvers.chain import solve_equilibrium
    from tests.solvers.test_chain_equilibrium import enumerated_metrics

    # the expected welfare comes from brute-force path enumeration, not from the solver
    model = dm.load(f"{EXAMPLES}/chain_tbds.toml")
    eq = solve_equilibrium(model, exact=True, tie_break="low")
    utility, _ = enumerated_metrics(model, eq)
    expected = sum(utility)
    res = run("solve", f"{EXAMPLES}/chain_tbds.toml", "--out", str(tmp_path))
    assert res.returncode == 0, res.stderr
    assert "social welfare" in res.stdout and f"(= {expected})" in res.stdout
    saved = json.loads((tmp_path / "result.json").read_text())
    assert saved["social_welfare"] == pytest.approx(float(expected))
    assert (tmp_path / "result.csv").read_text().startswith("player,")


@pytest.mark.slow
def test_reproduce_table1_json():
    res = run("reproduce", "table1", "--json")
    assert res.returncode == 0, res.stderr
    rows = json.loads(res.stdout)["rows"]
    assert len(rows) == 12
    assert {r["mechanism"] for r in rows} == {"RAW", "AVE", "OPT"}
    by = {(r["model"], r["mechanism"]): r for r in rows}
    for key in ((1, "RAW"), (2, "RAW"), (1, "AVE"), (2, "AVE"), (4, "AVE")):
        r = by[key]
        assert not r["social_welfare_outside_3std"], key
        assert not r["transaction_volume_outside_3std"], key
    assert by[(2, "RAW")]["paper_social_welfare"] == 0.232
    for r in rows:
        for k in ("model", "mechanism", "social_welfare", "transaction_volume"):
            assert k in r


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("[model]\nkind = 'chain'\nn = 0\nvalues=[0]\ntransition=[[1]]\nstart=0\n", "n: must be"),
        ("[model\n", "file:"),
        (
            "[model]\nkind = 'chain'\nn = 1\nvalues=[0,1]\ntransition=[[1,0],[0.5,0.4]]\nstart=0\n",
            "transition: row 1",
        ),
    ],
)
def test_user_errors_are_one_line_exit_2(tmp_path, content, fragment):
    p = tmp_path / "bad.toml"
    p.write_text(content)
    res = run("solve", str(p))
    assert res.returncode == 2
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr
    assert fragment in lines[0]


def test_missing_file_and_bad_option(tmp_path):
    res = run("solve", str(tmp_path / "nope.toml"))
    assert res.returncode == 2 and "does not exist" in res.stderr
    res = run("solve", f"{EXAMPLES}/chain_model2.toml", "--tie-break", "coin")
    assert res.returncode == 2 and "solver.tie_break" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_verify_json_and_human():
    res = run("verify", "--family", "chain", "--json")
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout)
    assert d["failed"] == 0 and d["passed"] >= 5
    names = {c["name"] for c in d["checks"]}
    assert {
        "chain.tbds_budget_balance",
        "chain.ave_budget_balance",
        "chain.price_homogeneity",
    } <= names
    res = run("verify", "chain.ave_budget_balance")
    assert res.returncode == 0 and res.stdout.startswith("PASS")


PLANT_FAILING_CHECKS = """\
import sys

from datamech.cli import main
from datamech.symbolic import register

register("planted.false", "planted", "1 + 1 = 3")(lambda: (False, "1 + 1 - 3 = -1"))


@register("planted.raises", "planted", "1/0 = 0")
def _raises():
    return 1 / 0 == 0


sys.exit(main(sys.argv[1:]))
"""


def test_verify_exits_1_when_a_check_fails(tmp_path):
    # a failing theorem check must fail CI: plant two broken checks next to a good one
    script = tmp_path / "plant.py"
    script.write_text(PLANT_FAILING_CHECKS)
    names = ["planted.false", "chain.ave_budget_balance", "planted.raises"]
    res = subprocess.run(
        [sys.executable, str(script), "verify", *names], capture_output=True, text=True
    )
    assert res.returncode == 1, res.stderr
    lines = res.stdout.splitlines()
    assert "FAIL  planted.false: 1 + 1 = 3" in lines
    assert any(line.startswith("PASS  chain.ave_budget_balance") for line in lines)
    assert "FAIL  planted.raises: 1/0 = 0" in lines
    assert lines[-1] == "1 passed, 2 failed"
    res = subprocess.run(
        [sys.executable, str(script), "verify", "--family", "planted", "--json"],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 1, res.stderr
    d = json.loads(res.stdout)
    assert (d["passed"], d["failed"]) == (0, 2)
    assert {c["name"]: c["passed"] for c in d["checks"]} == {
        "planted.false": False,
        "planted.raises": False,
    }
    # the same script with only passing checks exits 0
    res = subprocess.run(
        [sys.executable, str(script), "verify", "chain.ave_budget_balance"],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr


def test_verify_unknown_name_is_a_user_error():
    res = run("verify", "chain.no_such_check")
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_solve_continuous_chain_by_fptas():
    res = run("solve", f"{EXAMPLES}/chain_continuous.toml", "--json")
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout)
    # Algorithm 4: eps0 = 0.05 / (4 (1 + 5 K0)) with K0 = 1 -> 1/480, L = 481
    assert d["L"] == 481 and d["epsilon0"] == pytest.approx(1 / 480)
    assert d["status"] == "optimal" and d["achieved_epsilon"] <= 0.05
    assert d["method"] == "fptas" and d["objective"] == d["social_welfare"]
    res = run("solve", f"{EXAMPLES}/chain_continuous.toml", "--method", "reference")
    assert res.returncode == 2 and "solver.method" in res.stderr


@pytest.mark.slow
def test_reproduce_robustness_json(tmp_path):
    res = run("reproduce", "robustness", "--json", "--out", str(tmp_path))
    assert res.returncode == 0, res.stderr
    rows = json.loads(res.stdout)["rows"]
    assert [r["model"] for r in rows] == [1, 2, 3, 4]
    for r in rows:
        assert r["opt_adversarial"] <= r["opt"] + 1e-9
        assert r["robust_opt"] >= r["ave_adversarial"] - 1e-9
    assert (tmp_path / "robustness.csv").exists()


def test_json_stdout_is_only_json_even_when_a_compiled_solver_prints():
    # HiGHS (through cvxpy) prints a licence banner on file descriptor 1 on its first
    # solve; with --json it is discarded, leaving exactly one JSON object on stdout.
    proc = run("solve", f"{EXAMPLES}/bilateral_indivisible.toml", "--method", "cvxpy", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["lambda_star"] == pytest.approx(0.5, abs=1e-6)


def test_text_stdout_carries_no_solver_banner():
    proc = run("solve", f"{EXAMPLES}/bilateral_indivisible.toml", "--method", "program")
    assert proc.returncode == 0, proc.stderr
    # the result names the solver ("solver HiGHS"); HiGHS's own banner must not appear
    assert proc.stdout.startswith("bilateral trade") and "Running HiGHS" not in proc.stdout
    assert "Copyright" not in proc.stdout
