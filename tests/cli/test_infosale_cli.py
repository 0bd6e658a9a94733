"""The datamech command on infosale model files (subprocess, as a user runs it)."""

import json
import subprocess
import sys

import pytest

EX = "examples/models"


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "datamech.cli", *args], capture_output=True, text=True
    )


def test_solve_json_competition():
    res = run("solve", f"{EX}/infosale_competition.toml", "--json")
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout)  # exactly one JSON object, no solver banner
    for key in (
        "status",
        "value",
        "revenue",
        "welfare",
        "region_probabilities",
        "interim_share",
        "interim_payment",
        "obedience_duals",
        "solver",
        "seconds",
    ):
        assert key in d
    assert d["status"] == "optimal"
    assert set(d["region_probabilities"]) == {"rr", "rw", "wr", "ww"}
    # spec §4.3: closed-form revenue 0.632495 (grid of 40 cells: within 2e-3)
    assert d["revenue"] == pytest.approx(0.632495, abs=2e-3)
    assert d["value"] == pytest.approx(d["revenue"], abs=1e-9)
    assert len(d["interim_share"]) == 2 and len(d["interim_share"][0]) == 40


@pytest.mark.slow
def test_solve_closed_form_and_human_output(tmp_path):
    res = run("solve", f"{EX}/infosale_competition.toml", "--method", "closed-form", "--json")
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout)
    assert d["revenue"] == pytest.approx(0.632495, abs=1e-6)
    assert d["region_probabilities"]["ww"] == pytest.approx(0.009190, abs=1e-6)
    human = run("solve", f"{EX}/infosale_complement_substitute.toml", "--out", str(tmp_path))
    assert human.returncode == 0, human.stderr
    assert "revenue" in human.stdout and "regions" in human.stdout
    assert (tmp_path / "result.json").exists() and (tmp_path / "result.csv").exists()


@pytest.mark.parametrize(
    "change, fragment",
    [
        (("prior = [0.5, 0.5]", "prior = [0.5, 0.7]"), "prior"),
        (("alpha = 0.5", "alpha = 0.5\ncolour = 1"), "game.colour"),
        (("cells = 40", "cells = 0"), "grid.cells"),
        (('objective = "revenue"', 'objective = "variance"'), "model.objective"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, change, fragment):
    text = open(f"{EX}/infosale_competition.toml").read().replace(*change)
    p = tmp_path / "bad.toml"
    p.write_text(text)
    res = run("solve", str(p), "--json")
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and res.stdout == ""


def test_infeasible_exits_2(tmp_path):
    text = (
        open(f"{EX}/infosale_competition.toml")
        .read()
        .replace("nonnegative_payments = true", "nonnegative_payments = true\noutside_option = 2.0")
        .replace("cells = 40", "cells = 4")
    )
    p = tmp_path / "inf.toml"
    p.write_text(text)
    res = run("solve", str(p), "--json")
    assert res.returncode == 2
    assert "infeasible" in res.stderr and "participation" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_json_carries_the_contract_keys():
    from datamech.results import CONTRACT_KEYS

    res = run("solve", f"{EX}/infosale_table_welfare.toml", "--method", "lp", "--json")
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout)
    assert list(d)[: len(CONTRACT_KEYS)] == list(CONTRACT_KEYS)
    assert d["objective"] == d["value"] and d["objective_name"] == "welfare"
    assert (d["backend"], d["solver"], d["status"]) == ("highspy", "HiGHS", "optimal")


def test_out_writes_the_region_plots(tmp_path):
    res = run(
        "solve", f"{EX}/infosale_competition.toml", "--method", "greedy", "--out", str(tmp_path)
    )
    assert res.returncode == 0, res.stderr
    for name in ("result.json", "result.csv", "result.png", "result.pdf"):
        assert (tmp_path / name).stat().st_size > 100, name
    assert (tmp_path / "result_interim.png").exists()


def test_options_command_and_a_misplaced_option():
    res = run("options", "infosale")
    assert res.returncode == 0
    for word in (
        "lp (default)",
        "reduced",
        "greedy",
        "closed-form",
        "backend",
        "solver",
        "monotone",
    ):
        assert word in res.stdout
    res = run("solve", f"{EX}/infosale_competition.toml", "-o", "monotone=true")
    assert res.returncode == 2 and "solver.monotone" in res.stderr
