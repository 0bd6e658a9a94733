"""`datamech solve` on kind online (spec 003 §6.2 examples I3, U2; Table D), as a subprocess."""

import json
import subprocess
import sys

import pytest

import datamech as dm


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "datamech.cli", *args], capture_output=True, text=True, check=False
    )


def test_solve_json_i3_two_stage():
    out = run("solve", "examples/models/online_i3.toml", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["mechanism"] == "two_stage"
    assert data["expected_profit"] == pytest.approx(215 / 144, abs=1e-12)
    assert data["online_optimum"] == pytest.approx(3307 / 1960, abs=1e-12)
    assert data["offline_optimum"] == pytest.approx(13 / 7, abs=1e-12)
    assert data["pre_production"] == pytest.approx(4 / 9)
    assert data["guarantee"] == pytest.approx(1 / 6)
    table = data["buyers"][0]["table"]
    assert [row["x"] for row in table] == pytest.approx([4 / 9, 4 / 9, 9 / 4])
    assert table[0]["p"] == pytest.approx(2 / 3)  # posted price v^0 L^alpha for the pool
    assert len(data["sample_path"]) == 2


def test_solve_thm33_and_u2_out(tmp_path, capsys):
    """In-process ``datamech.cli.main`` (the subprocess path is covered above)."""
    from datamech.cli import main

    assert main(["solve", "examples/models/online_thm33.toml", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["expected_profit"] == pytest.approx(0.25)
    assert data["online_optimum"] == pytest.approx(1.0703125)
    assert data["offline_optimum"] == pytest.approx(1.125)
    assert main(["solve", "examples/models/online_u2.toml", "--out", str(tmp_path)]) == 0
    assert "online optimum" in capsys.readouterr().out
    saved = json.loads((tmp_path / "result.json").read_text())
    assert saved["expected_profit"] == pytest.approx(797 / 7680, abs=1e-8)
    assert (tmp_path / "online_paths.png").exists() and (tmp_path / "online_paths.pdf").exists()


def test_roundtrip(tmp_path):
    model = dm.load("examples/models/online_i3.toml")
    dm.save(model, tmp_path / "m.toml")
    again = dm.load(tmp_path / "m.toml")
    assert again.mechanism == "two_stage" and again.alpha == model.alpha


BASE = '[model]\nkind = "online"\nalpha = 0.5\ncost = 1\n{extra}\n[[buyers]]\n{buyer}\n'
UNIFORM = 'family = "uniform"\nlow = 0\nhigh = 1'


@pytest.mark.parametrize(
    "text, field",
    [
        (BASE.format(extra="", buyer=UNIFORM).replace("alpha = 0.5", "alpha = 1.0"), "model.alpha"),
        (BASE.format(extra="", buyer=UNIFORM).replace("cost = 1", "cost = 0"), "model.cost"),
        (BASE.format(extra='mechanism = "best"', buyer=UNIFORM), "model.mechanism"),
        (BASE.format(extra='mechanism = "two_stage"\ndelta = 1.5', buyer=UNIFORM), "model.delta"),
        (BASE.format(extra="delta = 0.5", buyer=UNIFORM), "model.delta"),
        (BASE.format(extra='allocate = "all"', buyer=UNIFORM), "model.allocate"),
        (BASE.format(extra="colour = 1", buyer=UNIFORM), "colour"),
        (
            BASE.format(extra="", buyer='family = "discrete"\nvalues = [1, 2]\nprobs = [0.5, 0.6]'),
            "buyers[0].probs",
        ),
        (BASE.format(extra="", buyer='family = "pareto"\nshape = 1.5'), "buyers[0]"),
        (BASE.format(extra="", buyer='family = "uniform"\nlow = 1\nhigh = 0'), "buyers[0]"),
    ],
)
def test_bad_input_is_one_line_error(tmp_path, capsys, text, field):
    """In-process ``datamech.cli.main`` (the same code path as the command)."""
    from datamech.cli import main

    f = tmp_path / "bad.toml"
    f.write_text(text)
    assert main(["solve", str(f), "--json"]) == 2
    err = capsys.readouterr()
    assert err.out == "" and field in err.err and len(err.err.strip().splitlines()) == 1


def test_bad_input_subprocess(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text(BASE.format(extra='mechanism = "two_stage"\ndelta = 0', buyer=UNIFORM))
    out = run("solve", str(f), "--json")
    assert out.returncode == 2 and out.stdout == ""
    assert "model.delta" in out.stderr and len(out.stderr.strip().splitlines()) == 1
