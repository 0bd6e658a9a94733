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
