"""`datamech solve` and `datamech audit` on kind mechanism (one real subprocess, the rest
through ``datamech.cli.main`` in this process)."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction

import pytest


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "datamech.cli", *args], capture_output=True, text=True, check=False
    )


class Out:
    def __init__(self, code, out, err):
        self.returncode, self.stdout, self.stderr = code, out, err


@pytest.fixture
def main(capsys):
    """``datamech`` in this process (fast)."""
    import datamech.cli as c

    def call(*args):
        code = c.main(list(args))
        cap = capsys.readouterr()
        return Out(code, cap.out, cap.err)

    return call


def test_solve_json_carries_the_contract_and_the_mechanism():
    out = run("solve", "examples/models/mechanism_myerson.toml", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["objective_exact"] == "123/200" and data["objective_name"] == "revenue"
    assert data["status"] == "optimal" and data["method"] == "reduced_form"
    assert data["backend"] == "highspy" and data["solver"] == "HiGHS"
    assert data["gap"] == 0 and data["max_ic_violation"] == 0
    assert len(data["allocation"]) == 3 and len(data["allocation"][0]) == 10
    assert len(data["payments"][2]) == 10
    assert data["certificate"]["ok"] is True


def test_solve_text_and_out_dir(tmp_path, main):
    out = main("solve", "examples/models/mechanism_lottery.toml", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "28/9" in out.stdout
    assert (tmp_path / "result.json").exists() and (tmp_path / "result.csv").exists()
    assert (tmp_path / "result.png").exists()


def test_solve_method_flag_mip(main):
    out = main(
        "solve",
        "examples/models/mechanism_lottery.toml",
        "--json",
        "--method",
        "mip",
        "-o",
        "exact=false",
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["objective"] == pytest.approx(3.0) and data["deterministic"] is True
    assert data["backend"] == "pyomo"


@pytest.mark.parametrize(
    "text, needle",
    [
        ('[outcomes]\npreset = "auction"', "outcomes.preset"),
        ('[outcomes]\npreset = "single_item"\n[constraints]\nir = "none"', "unbounded"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, text, needle, main):
    f = tmp_path / "bad.toml"
    f.write_text(
        '[model]\nkind = "mechanism"\n' + text + '\n[[agents]]\ncount = 2\nfamily = "discrete"\n'
        'values = [1, 2]\nprobs = ["1/2", "1/2"]\n'
    )
    out = main("solve", str(f), "--json")
    assert out.returncode == 2 and out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1 and needle in out.stderr
    assert "Traceback" not in out.stderr


def test_audit_json(main):
    out = main("audit", "examples/models/mechanism_audit_second_price.toml", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["status"] == "evaluated" and data["rule"] == "second_price"
    assert data["max_ic_violation"] == 0 and data["deviations"] == []
    assert data["objective_exact"] == "35/64" and Fraction(data["objective_exact"]) == Fraction(
        35, 64
    )
    for key in ("max_ir_violation", "revenue", "welfare"):
        assert key in data


def test_audit_text_shows_epsilon(tmp_path, main):
    f = tmp_path / "fp.toml"
    text = open("examples/models/mechanism_audit_second_price.toml").read()
    text = text.replace('rule = "second_price"\nreserve = "1/2"', 'rule = "first_price"')
    f.write_text(text.replace('ic = "dsic"\nir = "ex_post"', 'ic = "bic"\nir = "interim"'))
    out = main("audit", str(f))
    assert out.returncode == 0, out.stderr
    assert "epsilon 3/16" in out.stdout and "first_price" in out.stdout


def test_audit_without_a_mechanism_table(main):
    out = main("audit", "examples/models/mechanism_myerson.toml")
    assert out.returncode == 2 and "mechanism" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_audit_of_another_kind(main):
    out = main("audit", "examples/models/bilateral_indivisible.toml")
    assert out.returncode == 2 and "model.kind" in out.stderr


def test_options_lists_the_methods(main):
    out = main("options", "mechanism")
    assert out.returncode == 0, out.stderr
    for name in ("reduced_form", "mip", "lp", "ic_rows", "implementation", "mip_gap"):
        assert name in out.stdout


def test_audit_out_dir_and_dsic_epsilon(tmp_path, main):
    f = tmp_path / "fp.toml"
    text = open("examples/models/mechanism_audit_second_price.toml").read()
    f.write_text(text.replace('rule = "second_price"\nreserve = "1/2"', 'rule = "first_price"'))
    out = main("audit", str(f), "--json", "--out", str(tmp_path / "o"))
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    # ex post (ic = "dsic"): type 1 facing 1/4 bids 1/2 and keeps 1/2 instead of 0
    assert data["max_ic_violation"] == 0.5 and data["max_dsic_violation"] == 0.5
    assert (tmp_path / "o" / "audit.json").exists() and (tmp_path / "o" / "audit.png").exists()
