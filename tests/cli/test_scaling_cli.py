"""`datamech solve` on kind offline (spec 003 §6.2 example I3), run as a subprocess."""

import json
import subprocess
import sys

import pytest

EXAMPLE = "examples/models/offline_i3.toml"


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "datamech.cli", *args], capture_output=True, text=True, check=False
    )


def test_solve_json_i3():
    out = run("solve", EXAMPLE, "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["expected_profit"] == pytest.approx(13 / 7)
    assert data["expected_production"] == pytest.approx(13 / 7)  # c E[D] = (1-alpha) E[revenue]
    table = data["buyers"][0]["table"]
    assert table[0]["x"] == pytest.approx(table[1]["x"])  # pooled types
    assert table[0]["p"] == pytest.approx(4 / 7)  # E[p | v = 1] = (0.7/7 + 0.3 * 11/7)


def test_bad_alpha_is_one_line_error(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text(
        '[model]\nkind = "offline"\nalpha = 1.5\ncost = 1\n'
        '[[buyers]]\nfamily = "uniform"\nlow = 0\nhigh = 1\n'
    )
    out = run("solve", str(f), "--json")
    assert out.returncode == 2 and out.stdout == ""
    assert "model.alpha" in out.stderr and len(out.stderr.strip().splitlines()) == 1
    f.write_text(
        '[model]\nkind = "offline"\nalpha = 0.5\ncost = 1\n'
        '[[buyers]]\nfamily = "discrete"\nvalues = [1, 2]\nprobs = [0.5, 0.6]\n'
    )
    out = run("solve", str(f))
    assert out.returncode == 2 and "buyers[0].probs" in out.stderr


def test_options_command_lists_methods_and_options(capsys):
    from datamech.cli import main

    assert main(["options", "offline"]) == 0
    text = capsys.readouterr().out
    assert "pamd_dsic" in text and "pairs" in text and "time_limit" in text
    assert main(["options", "online", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["default_method"] == "auto"
    assert {o["name"] for o in data["options"]} >= {"grid", "benchmarks", "path", "seed"}


def test_option_flags_reach_the_solver(capsys):
    from datamech.cli import main

    args = ["solve", EXAMPLE, "--method", "pamd", "-o", "pairs=local", "--solver", "clarabel"]
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["method"] == "pamd" and data["solver"] == "Clarabel"
    assert "local pairs" in data["formulation"]
    assert main(["solve", EXAMPLE, "-o", "pairs=local"]) == 2  # not an option of auto
    assert "solver.pairs" in capsys.readouterr().err


def test_an_inaccurate_program_exits_3_with_advice(monkeypatch, capsys):
    """The one policy: optimal_inaccurate is reported (exit 3, advice on stderr)."""
    from datamech.cli import main
    from datamech.solvers.scaling.offline import amd
    from datamech.status import Status

    real = amd.solve_program

    def inaccurate(problem, solver, **kw):
        real(problem, solver, **kw)
        return Status.OPTIMAL_INACCURATE

    monkeypatch.setattr(amd, "solve_program", inaccurate)
    assert main(["solve", EXAMPLE, "--method", "pamd", "--json"]) == 3
    out = capsys.readouterr()
    assert json.loads(out.out)["status"] == "optimal_inaccurate"
    assert "closed_form_profit" in out.err and len(out.err.strip().splitlines()) == 1
