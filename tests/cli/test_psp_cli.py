"""The datamech command on psp model files (subprocess, as a user runs it)."""

import json
import subprocess
import sys

import pytest

EX = "examples/models"


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "datamech.cli", *args], capture_output=True, text=True
    )


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


def test_solve_human_output_and_out_dir(tmp_path):
    res = run("solve", f"{EX}/psp_elastic.toml", "--out", str(tmp_path))
    assert res.returncode == 0, res.stderr
    assert "efficiency" in res.stdout and "optimal welfare" in res.stdout
    saved = json.loads((tmp_path / "result.json").read_text())
    assert saved["converged"] is True
    assert saved["optimal_welfare"] == pytest.approx(159.036646, abs=1e-5)  # REG-7 restricted
    assert (tmp_path / "result.csv").read_text().startswith("buyer,seller")
    for suffix in ("png", "pdf"):  # convergence curves
        assert (tmp_path / f"psp_convergence.{suffix}").stat().st_size > 1000


@pytest.mark.parametrize(
    "body, fragment",
    [
        ("epsilon = 0.0", "epsilon: must be > 0"),
        ("epsilon = 0.1\ntie_rule = 'coin'", "tie_rule: unknown tie rule"),
        ("epsilon = 0.1\ncolour = 'red'", "model.colour: unknown key"),
    ],
)
def test_bad_model_section_is_one_line_exit_2(tmp_path, body, fragment):
    p = tmp_path / "bad.toml"
    p.write_text(
        "[model]\nkind = 'psp'\n" + body + "\n[[sellers]]\nsupply = 5\n"
        "[[buyers]]\nvaluation = {family = 'log', w = 1, a = 1}\n"
    )
    res = run("solve", str(p), "--json")
    assert res.returncode == 2 and res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr
    assert fragment in lines[0]


@pytest.mark.parametrize(
    "sellers, buyers, fragment",
    [
        ("supply = -5", "valuation = {family = 'log', w = 1, a = 1}", "supply[0]: must be >= 0"),
        ("supply = 5\nreserve = -1", "valuation = {family = 'log', w = 1, a = 1}", "reserve[0]"),
        (
            "supply = 5",
            "valuation = {family = 'piecewise_linear', breaks = [1], slopes = [1, 2]}",
            "buyers[0].valuation.slopes: must be non-increasing",
        ),
        ("supply = 5", "sellers = []\nvaluation = {family = 'log', w = 1, a = 1}", "disconnected"),
    ],
)
def test_bad_market_is_one_line_exit_2(tmp_path, sellers, buyers, fragment):
    p = tmp_path / "bad.toml"
    p.write_text(
        "[model]\nkind = 'psp'\nepsilon = 0.1\n[[sellers]]\n"
        + sellers
        + "\n[[buyers]]\n"
        + buyers
        + "\n"
    )
    res = run("solve", str(p))
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], res.stderr


def test_bad_cli_option():
    res = run("solve", f"{EX}/psp_elastic.toml", "--tie-break", "first")
    assert res.returncode == 2 and "tie_rule" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
