"""``datamech sweep FILE --set PATH=VALUES``: tables, exit codes, one-line errors, plots.

Most runs call the command's entry point in this process (the same code as the
installed command, without the seconds of a new interpreter); two run it as a
subprocess, as a user does.  Expected numbers: Lemma B.1 and spec 003's I3 values.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from fractions import Fraction

import pandas as pd
import pytest

from datamech.cli import main

OFFLINE = "examples/models/offline_i3.toml"
ONLINE = "examples/models/online_i3.toml"


def offl_i3(alpha: float) -> float:
    """Lemma B.1 on I3 (r = 1/7 w.p. 7/10, 3 w.p. 3/10; two buyers; c = 1)."""
    law = [(Fraction(1, 7), 0.7), (Fraction(3), 0.3)]
    k = 1 / (1 - alpha)
    mean = sum(p * q * float(r + s) ** k for r, p in law for s, q in law)
    return (1 - alpha) * alpha ** (alpha / (1 - alpha)) * mean


def run(capsys, *args):
    code = main(["sweep", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_issue_example_writes_the_table(tmp_path, capsys):
    out = tmp_path / "a.csv"
    code, text, err = run(
        capsys, OFFLINE, "--set", "model.alpha=0.2:0.8:7", "--out", str(out), "--workers", "1"
    )
    assert code == 0 and err == ""
    table = pd.read_csv(out)
    assert table["model.alpha"].tolist() == [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
    assert table["objective"].tolist() == pytest.approx([offl_i3(a) for a in table["model.alpha"]])
    assert (table["status"] == "evaluated").all()
    lines = text.splitlines()
    assert lines[0].split() == ["model.alpha", "status", "objective"]
    assert lines[-1].startswith("7 cases in") and lines[-1].endswith(
        f"; wrote {out} (objective: expected_profit)"
    )


@pytest.mark.slow
def test_as_a_subprocess_json_alone_on_stdout(tmp_path):
    # worker processes whose solver (HiGHS) prints to file descriptor 1: stdout still
    # holds one JSON object and nothing else
    res = subprocess.run(
        [sys.executable, "-m", "datamech.cli", "sweep", "examples/models/infosale_competition.toml",
         "--set", "grid.cells=6,8", "--workers", "2", "--json"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    rows = json.loads(res.stdout)["rows"]
    assert [r["grid.cells"] for r in rows] == [6, 8]
    assert [r["solver"] for r in rows] == ["HiGHS", "HiGHS"]
    assert res.stderr == ""


def test_json_is_one_object_with_every_row(capsys):
    code, out, err = run(capsys, ONLINE, "--set", "model.mechanism=two_stage,optimal",
                         "--workers", "1", "--json")  # fmt: skip
    assert code == 0 and err == ""
    rows = json.loads(out)["rows"]
    assert [r["objective_exact"] for r in rows] == ["215/144", "3307/1960"]  # spec 003 §6.2
    assert rows[0]["error"] is None and rows[0]["model.mechanism"] == "two_stage"
    assert list(rows[0])[:3] == ["model.mechanism", "status", "objective"]


def test_zip_and_product(capsys):
    args = [ONLINE, "--set", "model.mechanism=two_stage,optimal", "--set", "model.cost=1,2",
            "--workers", "1", "--json"]  # fmt: skip
    product = json.loads(run(capsys, *args)[1])["rows"]
    zipped = json.loads(run(capsys, *args, "--zip")[1])["rows"]
    pairs = [(r["model.mechanism"], r["model.cost"]) for r in product]
    assert pairs == [("two_stage", 1), ("two_stage", 2), ("optimal", 1), ("optimal", 2)]
    assert [(r["model.mechanism"], r["model.cost"]) for r in zipped] == [pairs[0], pairs[3]]
    assert [r["objective"] for r in zipped] == [product[0]["objective"], product[3]["objective"]]


def test_some_cases_fail_exit_3_with_one_warning_line(capsys, tmp_path):
    out = tmp_path / "t.csv"
    code, text, err = run(capsys, OFFLINE, "--set", "model.alpha=0.5,1.5,2", "--out", str(out),
                          "--workers", "1")  # fmt: skip
    assert code == 3
    assert err.splitlines() == [
        "datamech: warning: 2 of 3 cases not solved to standard (model_error 2); "
        "their rows say why (status, error, advice)"
    ]
    table = pd.read_csv(out)
    assert table["status"].tolist() == ["evaluated", "model_error", "model_error"]
    assert table["error"][1].startswith("model.alpha:") and "1.5" in table["error"][1]
    assert "error" in text.splitlines()[0] and "2 failed" in text.splitlines()[-1]


def test_every_case_failing_is_exit_2(capsys):
    code, _, err = run(capsys, OFFLINE, "--set", "model.alpah=0.5,0.6", "--workers", "1")
    assert code == 2
    (line,) = err.splitlines()
    assert line.startswith("datamech: error: every case failed; the first: model.alpah")


@pytest.mark.parametrize(
    "args, flag",
    [
        ([OFFLINE], "--set"),
        ([OFFLINE, "--set", "model.alpha"], "--set"),
        ([OFFLINE, "--set", "model.alpha="], "--set model.alpha"),
        ([OFFLINE, "--set", "model.alpha=0.1,,0.2"], "--set model.alpha"),
        ([OFFLINE, "--set", "buyers[9].probs=1"], "--set buyers[9].probs"),
        ([OFFLINE, "--set", "buyers.probs=1"], "--set buyers.probs"),
        ([OFFLINE, "--set", "model.alpha=0.5", "--set", "model.alpha=0.6"], "--set model.alpha"),
        (
            [OFFLINE, "--set", "model.alpha=0.3,0.5", "--set", "model.cost=1", "--zip"],
            "--set model.cost",
        ),
        ([OFFLINE, "--set", "model.alpha=0.5,0.5"], "--set model.alpha"),
        ([OFFLINE, "--set", "model.alpha=0.5", "--n", "3"], "--n"),
        ([OFFLINE, "--set", "model.alpha=0.5", "--tie-break", "low"], "--tie-break"),
        ([OFFLINE, "--set", "model.alpha=0.5", "--workers", "0"], "--workers"),
        ([OFFLINE, "--set", "model.alpha=0.5", "--workers", "two"], "--workers"),
        ([OFFLINE, "--set", "model.alpha=0.5", "--out", "t.xlsx"], "--out"),
        ([OFFLINE, "--set", "model.alpha=0.5", "--plot", "model.cost", "objective"], "--plot"),
        (["missing.toml", "--set", "model.alpha=0.5"], "file"),
    ],
)
def test_bad_input_is_one_line_naming_the_flag(args, flag, capsys):
    workers = [] if "--workers" in args else ["--workers", "1"]
    code, out, err = run(capsys, *args, "--quiet", *workers)
    assert code == 2 and out == ""
    (line,) = err.strip().splitlines()
    assert line.startswith(f"datamech: error: {flag}:"), line


def test_plot_next_to_the_table(capsys, tmp_path):
    out = tmp_path / "runs" / "t.csv"
    code, _, err = run(capsys, ONLINE, "--set", "model.cost=1..3", "--set",
                       "model.mechanism=two_stage,optimal", "--plot", "model.cost", "objective",
                       "--out", str(out), "--workers", "1")  # fmt: skip
    assert code == 0
    stem = tmp_path / "runs" / "t_objective_vs_model.cost"
    for ext in (".png", ".pdf"):
        assert (stem.parent / (stem.name + ext)).stat().st_size > 1000
    assert err.strip() == f"datamech: wrote {stem}.png, {stem}.pdf"
    code, _, err = run(capsys, ONLINE, "--set", "model.cost=1..2", "--plot", "model.cost",
                       "nope", "--out", str(out), "--workers", "1")  # fmt: skip
    assert code == 2 and err.startswith("datamech: error: --plot: unknown column 'nope'")


def test_rerun_resumes_and_fresh_starts_over(capsys, tmp_path):
    out = tmp_path / "t.csv"
    args = [
        ONLINE,
        "--set",
        "model.mechanism=two_stage,optimal",
        "--out",
        str(out),
        "--workers",
        "1",
    ]
    first = run(capsys, *args)[1].splitlines()[-1]
    again = run(capsys, *args)[1].splitlines()[-1]
    fresh = run(capsys, *args, "--fresh")[1].splitlines()[-1]
    assert "resumed" not in first and "2 resumed" in again and "resumed" not in fresh


def test_progress_bar_on_a_terminal(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    err = Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    assert main(["sweep", OFFLINE, "--set", "model.alpha=0.5,2", "--workers", "1"]) == 3
    shown = err.getvalue()
    assert "sweep" in shown and "2/2" in shown and "failed=1" in shown and "case/s" in shown
    err = Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    main(["sweep", OFFLINE, "--set", "model.alpha=0.5,2", "--workers", "1", "--quiet"])
    assert "2/2" not in err.getvalue()


def test_missing_dask_says_what_to_install(monkeypatch, capsys):
    for name in ("dask", "dask.distributed", "distributed"):
        monkeypatch.setitem(sys.modules, name, None)
    code, _, err = run(capsys, OFFLINE, "--set", "model.alpha=0.5", "--scheduler",
                       "tcp://127.0.0.1:8786", "--quiet")  # fmt: skip
    assert code == 2
    (line,) = err.splitlines()
    assert line.startswith("datamech: error: --scheduler:")
    assert "pip install 'datamech[distributed]'" in line


def test_help_shows_paths_and_values(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["sweep", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for words in ("--set PATH=VALUES", "--zip", "--fresh", "--plot X Y", "0.1:0.9:9", "2..8",
                  "paper's chain models"):  # fmt: skip
        assert words in text
