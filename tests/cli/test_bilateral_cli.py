"""`datamech solve` on kind bilateral (spec 003 §6.2 B1, Myerson-Satterthwaite), run as a
subprocess."""

import json
import math
import subprocess
import sys

import pytest


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "datamech.cli", *args], capture_output=True, text=True, check=False
    )


def test_solve_json_b1():
    out = run("solve", "examples/models/bilateral_b1.toml", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["first_best"] == pytest.approx(math.log(2) / 12, abs=1e-12)
    assert data["second_best"] == pytest.approx(0.0567197697, abs=1e-10)
    assert data["lambda_star"] == pytest.approx(0.14917213380, abs=1e-10)
    rows = {r["name"]: r for r in data["mechanisms"]}
    assert rows["seller_proposing"]["ratio"] == pytest.approx(0.75)
    assert rows["buyer_proposing"]["ratio"] == pytest.approx(0.9482727021, abs=1e-9)
    assert rows["seller_proposing"]["guarantee_holds"] is True
    assert data["checks"]["second_best"]["detail"]["budget_feasible"] is True
    assert data["checks"]["second_best"]["ok"] is True
    assert data["checks"]["first_best"]["detail"]["budget_feasible"] is False
    assert data["status"] == "optimal" and data["objective_name"] == "second_best"
    assert data["objective"] == data["second_best"] and data["method"] == "lagrangian"
    fb = [p for p in data["payments"] if p["mechanism"] == "first_best"][0]
    assert fb["buyer_payment"] == pytest.approx(0.81 / 4.8)  # v^2/(4c) at (0.9, 1.2)


def test_solve_indivisible():
    out = run("solve", "examples/models/bilateral_indivisible.toml", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["second_best"] == pytest.approx(9 / 64) and data["lambda_star"] == pytest.approx(
        0.5
    )
    rows = {r["name"]: r for r in data["mechanisms"]}
    assert rows["posted_price"]["gains_from_trade"] == pytest.approx(1 / 8)
    assert rows["broker"]["ratio"] == pytest.approx(0.5)


def test_solve_with_out_writes_plots(tmp_path):
    out = run("solve", "examples/models/bilateral_irregular.toml", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    # FB = sum p_v p_c (v - c)^+ = 1/24 + 1/150 + 18/25 = 461/600 by hand; lambda* > 0
    assert "first best      0.7683333333" in out.stdout
    line = next(x for x in out.stdout.splitlines() if x.startswith("second best"))
    assert float(line.split("lambda* =")[1].split()[0]) > 0.1
    names = {p.name for p in tmp_path.iterdir()}
    assert {
        "result.json",
        "result.csv",
        "result_allocation.png",
        "result_budget.pdf",
    } <= names


def test_bad_model_is_one_line_error(tmp_path):
    """One subprocess per kind of mistake; every field is covered in-process by
    tests/models/test_bilateral_model.py."""
    f = tmp_path / "bad.toml"
    f.write_text(
        '[model]\nkind = "bilateral"\nalpha = 1.5\nprofiles = [[1]]\n'
        '[buyer]\nfamily = "uniform"\nlow = 0\nhigh = 1\n'
        '[seller]\nfamily = "uniform"\nlow = 1\nhigh = 2\n'
    )
    out = run("solve", str(f), "--json")
    assert out.returncode == 2 and out.stdout == ""
    assert "model.alpha" in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_infinite_first_best_and_mismatched_law(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text(
        '[model]\nkind = "bilateral"\nalpha = 0.5\n'
        '[buyer]\nfamily = "uniform"\nlow = 0\nhigh = 1\n'
        '[seller]\nfamily = "uniform"\nlow = 0\nhigh = 1\n'
    )
    out = run("solve", str(f))
    assert out.returncode == 2 and "seller.low" in out.stderr and "infinite" in out.stderr
    f.write_text(
        '[model]\nkind = "bilateral"\ngood = "indivisible"\n'
        '[buyer]\nfamily = "discrete"\nvalues = [1, 2]\nprobs = [1.0]\n'
        '[seller]\nfamily = "uniform"\nlow = 0\nhigh = 1\n'
    )
    out = run("solve", str(f), "--method", "simplex")
    assert out.returncode == 2 and "buyer.probs" in out.stderr
    f.write_text(
        '[model]\nkind = "bilateral"\ngood = "indivisible"\n'
        '[buyer]\nfamily = "uniform"\nlow = 0\nhigh = 1\n'
        '[seller]\nfamily = "uniform"\nlow = 0\nhigh = 1\n'
    )
    out = run("solve", str(f), "--method", "simplex")
    assert out.returncode == 2 and "solver.method: unknown value 'simplex'" in out.stderr
