"""The datamech command on psp model files: as a user runs it (subprocess), and the
bad-input paths in process (``datamech.cli.main``, the same code without the start-up)."""

import json
import subprocess
import sys
from types import SimpleNamespace

import pytest

from datamech.cli import main

EX = "examples/models"


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "datamech.cli", *args], capture_output=True, text=True
    )


@pytest.fixture
def cli(capsys):
    """``main(args)`` in process, with its exit code and output like ``run``."""

    def call(*args):
        code = main(list(args))
        out = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out.out, stderr=out.err)

    return call


def test_solve_json_worked_example():
    res = run("solve", f"{EX}/psp_cmhk_example.toml", "--json")
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout)  # exactly one JSON object on stdout
    for key in ("bids", "allocation", "payments", "welfare", "optimal_welfare"):
        assert key in d
    for key in ("efficiency", "rounds", "converged"):
        assert key in d
    # REG-9 at ε = 0.1: 2 passes, W = 207.8 − 5ε, W* = 207.8 (REG-5)
    assert d["converged"] is True and d["rounds"] == 2
    assert d["welfare"] == pytest.approx(207.3)
    assert d["optimal_welfare"] == pytest.approx(207.8)
    assert d["efficiency"] == pytest.approx(207.3 / 207.8)
    assert len(d["allocation"]) == 5 and len(d["allocation"][0]) == 2
    assert d["eps_nash"]["ok"] is True
    assert d["status"] == "evaluated" and d["objective"] == pytest.approx(207.3)
    assert d["objective_name"] == "welfare" and d["method"] == "dynamics"


def test_route_example_json_has_the_competitive_ratios(cli):
    res = cli("solve", f"{EX}/psp_route.toml", "--json", "-o", "competitive_ratio=all")
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout)
    assert d["market"] == "route" and d["remedy"] == "shadow_price"
    cr = d["competitive_ratio"]
    assert cr["welfare"] == pytest.approx(d["welfare"] / d["optimal_welfare"])
    assert cr["time"] == pytest.approx(cr["rounds"] / cr["pooled_rounds"])
    assert cr["time_route"] is None  # the model is the route market itself
    # W* = 165/4 by hand (tests/solvers/test_psp_route.py)
    assert d["optimal_welfare"] == pytest.approx(41.25, abs=1e-6)
    human = cli("solve", f"{EX}/psp_route.toml")
    assert "competitive      welfare" in human.stdout and "link duals" in human.stdout


def test_split_option_on_a_route_market_is_one_line(cli):
    res = cli("solve", f"{EX}/psp_route.toml", "-o", "split=equal")
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [
        "datamech: error: solver.split: 'equal' applies to market = 'substitutes' only (a "
        "route buyer bids the same quantity on every link of its route)"
    ]


def test_solve_human_output_and_out_dir(tmp_path):
    res = run("solve", f"{EX}/psp_elastic.toml", "--out", str(tmp_path))
    assert res.returncode == 0, res.stderr
    assert "efficiency" in res.stdout and "optimal welfare" in res.stdout
    saved = json.loads((tmp_path / "result.json").read_text())
    assert saved["converged"] is True
    assert saved["optimal_welfare"] == pytest.approx(159.036646, abs=1e-5)  # REG-7 restricted
    assert (tmp_path / "result.csv").read_text().startswith("buyer,")  # per buyer
    for suffix in ("png", "pdf"):  # convergence curves
        assert (tmp_path / f"result.{suffix}").stat().st_size > 1000


@pytest.mark.parametrize(
    "body, fragment",
    [
        ("epsilon = 0.0", "epsilon: must be > 0"),
        ("epsilon = 0.1\ntie_break = 'coin'", "model.tie_break: unknown value 'coin'"),
        ("epsilon = 0.1\ncolour = 'red'", "model.colour: unknown key"),
    ],
)
def test_bad_model_section_is_one_line_exit_2(tmp_path, cli, body, fragment):
    p = tmp_path / "bad.toml"
    p.write_text(
        "[model]\nkind = 'psp'\n" + body + "\n[[sellers]]\nsupply = 5\n"
        "[[buyers]]\nvaluation = {family = 'log', w = 1, a = 1}\n"
    )
    res = cli("solve", str(p), "--json")
    assert res.returncode == 2 and res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr
    assert fragment in lines[0]


@pytest.mark.parametrize(
    "sellers, buyers, fragment",
    [
        ("supply = -5", "valuation = {family = 'log', w = 1, a = 1}", "supply: must be > 0"),
        (
            "supply = 5\nreserve = -1",
            "valuation = {family = 'log', w = 1, a = 1}",
            "sellers[0].reserve",
        ),
        (
            "supply = 5",
            "valuation = {family = 'piecewise_linear', breaks = [1], slopes = [1, 2]}",
            "buyers[0].valuation.slopes: must be non-increasing",
        ),
        ("supply = 5", "sellers = []\nvaluation = {family = 'log', w = 1, a = 1}", "disconnected"),
    ],
)
def test_bad_market_is_one_line_exit_2(tmp_path, cli, sellers, buyers, fragment):
    p = tmp_path / "bad.toml"
    p.write_text(
        "[model]\nkind = 'psp'\nepsilon = 0.1\n[[sellers]]\n"
        + sellers
        + "\n[[buyers]]\n"
        + buyers
        + "\n"
    )
    res = cli("solve", str(p))
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], res.stderr


def test_bad_cli_option(cli):
    res = cli("solve", f"{EX}/psp_elastic.toml", "--tie-break", "first")
    assert res.returncode == 2 and "tie_break" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_options_psp_lists_methods_and_options(cli):
    res = cli("options", "psp")
    assert res.returncode == 0
    assert "dynamics (default)" in res.stdout and "draft:" in res.stdout
    assert "tie_break" in res.stdout and "deprecated names: tie_rule" in res.stdout


def test_method_flag_runs_the_draft_rules(cli):
    res = cli("solve", f"{EX}/psp_cmhk_example.toml", "--method", "draft", "--json")
    d = json.loads(res.stdout)
    assert res.returncode == 0 and d["method"] == "draft" and d["eps_nash"] is None
    assert len(d["trace"]) == d["rounds"] + 1
