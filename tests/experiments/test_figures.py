"""Figures 2 and 3: tables checked against direct solver calls, files on disk, the CLI.

The library calls run on reduced settings (Model 2, small n, a small OPT budget).  The
CLI runs the full Figure 2 once (about 10 s: n = 5, restarts 1); Figure 3's CLI path is
tested for argument handling only (a bad output directory fails before any solving),
because the full Figure 3 takes minutes.  No hidden CLI options were added to shrink it.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from datamech.errors import ModelError
from datamech.experiments.figures import (
    MECHANISMS,
    Figure2,
    Figure3,
    _model_title,
    figure2,
    figure3,
    write_figure,
)
from datamech.models.chain import paper_model
from datamech.solvers.chain import solve_equilibrium

RULE = {"tie_break": "first", "tol": 0.0}


def run_cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "datamech.cli", *args], capture_output=True, text=True, cwd=cwd
    )


def direct(number: int, n: int, mechanism: str, matrix=None):
    """The equilibrium from an independent call: paper_model + solve_equilibrium."""
    model = paper_model(number, n, mechanism if matrix is None else "RAW")
    if matrix is not None:
        model = model.with_mechanism("matrix", matrix=np.asarray(matrix))
    return solve_equilibrium(model, **RULE)


@pytest.fixture(scope="module")
def fig2() -> Figure2:
    return figure2(n=3, models=(2,), restarts=1, maxiter=5)


@pytest.fixture(scope="module")
def fig3() -> Figure3:
    return figure3(ns=(2, 3), models=(2,), restarts=1, maxiter={2: 5, 3: 8})


# ---------------------------------------------------------------- Figure 2
def test_figure2_table_shape(fig2):
    frame = fig2.to_frame()
    assert list(frame.columns) == ["model", "mechanism", "kind", "index", "value"]
    # per mechanism: trades 1..3 and players 0..3
    assert len(frame) == len(MECHANISMS) * (3 + 4)
    for mech in MECHANISMS:
        sel = frame[frame["mechanism"] == mech]
        assert sel[sel["kind"] == "trade_success"]["index"].tolist() == [1, 2, 3]
        assert sel[sel["kind"] == "player_utility"]["index"].tolist() == [0, 1, 2, 3]
    assert set(frame["model"]) == {2}
    assert "restarts 1" in fig2.caption and "maxiter 5" in fig2.caption


@pytest.mark.parametrize("mech", ["RAW", "AVE"])
def test_figure2_raw_and_ave_equal_direct_solves(fig2, mech):
    eq = direct(2, 3, mech)
    frame = fig2.to_frame()
    sel = frame[frame["mechanism"] == mech]
    succ = sel[sel["kind"] == "trade_success"]["value"].to_numpy()
    util = sel[sel["kind"] == "player_utility"]["value"].to_numpy()
    np.testing.assert_allclose(succ, np.asarray(eq.trade_success, dtype=float), rtol=1e-12)
    np.testing.assert_allclose(util, np.asarray(eq.player_utility, dtype=float), rtol=1e-12)


def test_figure2_opt_is_its_matrix_equilibrium_and_beats_ave(fig2):
    (run,) = fig2.opt_runs
    eq = direct(2, 3, "OPT", matrix=run["matrix"])
    frame = fig2.to_frame()
    sel = frame[frame["mechanism"] == "OPT"]
    util = sel[sel["kind"] == "player_utility"]["value"].to_numpy()
    np.testing.assert_allclose(util, np.asarray(eq.player_utility, dtype=float), rtol=1e-9)
    welfare = {
        mech: frame[(frame["mechanism"] == mech) & (frame["kind"] == "player_utility")][
            "value"
        ].sum()
        for mech in MECHANISMS
    }
    assert welfare["OPT"] >= welfare["AVE"] - 1e-12
    totals = {t["mechanism"]: t for t in fig2.totals}
    assert totals["OPT"]["social_welfare"] == pytest.approx(welfare["OPT"])
    assert totals["OPT"]["opt_evaluations"] > 0 and totals["RAW"]["opt_evaluations"] == 0


def test_figure2_format_is_a_readable_summary(fig2):
    text = fig2.format()
    assert "Figure 2" in text and "OPT" in text and "restarts 1" in text
    assert len(text.splitlines()) < 40


# ---------------------------------------------------------------- Figure 3
def test_figure3_rows_match_direct_solves_and_record_budgets(fig3):
    frame = fig3.to_frame()
    assert list(frame.columns) == [
        "model",
        "n",
        "mechanism",
        "social_welfare",
        "transaction_volume",
        "opt_evaluations",
        "opt_maxiter",
    ]
    assert len(frame) == 2 * len(MECHANISMS)
    for row in fig3.rows:
        if row["mechanism"] == "OPT":
            assert row["opt_evaluations"] > 0
            assert row["opt_maxiter"] == {2: 5, 3: 8}[row["n"]]
            continue
        assert row["opt_evaluations"] == 0
        eq = direct(row["model"], row["n"], row["mechanism"])
        assert row["social_welfare"] == pytest.approx(float(eq.social_welfare), rel=1e-12)
        assert row["transaction_volume"] == pytest.approx(float(eq.transaction_volume), rel=1e-12)
    for n in (2, 3):
        sw = frame[frame["n"] == n].set_index("mechanism")["social_welfare"]
        assert sw["OPT"] >= sw["AVE"] - 1e-12
    assert "n=2: 5, n=3: 8" in fig3.caption


def test_figure3_process_pool_gives_the_same_numbers(fig3):
    pooled = figure3(ns=(2, 3), models=(2,), restarts=1, maxiter={2: 5, 3: 8}, workers=2)
    assert pooled.rows == fig3.rows


# ---------------------------------------------------------------- files
@pytest.mark.parametrize("which", ["fig2", "fig3"])
def test_write_figure_makes_png_pdf_and_csv(which, request, tmp_path):
    result = request.getfixturevalue(which)
    paths = write_figure(result, tmp_path / "figs")
    assert [p.name for p in paths] == [f"{result.name}.{ext}" for ext in ("png", "pdf", "csv")]
    png, pdf, csv = paths
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 5_000
    pd.testing.assert_frame_equal(pd.read_csv(csv), result.to_frame(), check_dtype=False)


def test_model3_title_names_its_reading():
    assert _model_title(3) == "Model 3 (reading: signed)"
    assert _model_title(1) == "Model 1"


def test_bad_inputs_are_model_errors(tmp_path):
    with pytest.raises(ModelError, match="models"):
        figure2(n=3, models=(5,))
    with pytest.raises(ModelError, match="ns"):
        figure3(ns=())
    with pytest.raises(ModelError, match="maxiter"):
        figure3(ns=(2,), models=(2,), maxiter=0)
    with pytest.raises(ModelError, match="result"):
        write_figure("not a figure", tmp_path)  # type: ignore[arg-type]
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ModelError, match="--out"):
        write_figure(figure2(n=2, models=(2,), maxiter=2), blocker)


# ---------------------------------------------------------------- CLI
@pytest.mark.slow
def test_cli_figure2_json_and_files(tmp_path):
    res = run_cli("reproduce", "figure2", "--out", str(tmp_path), "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)  # exactly one JSON object on stdout
    assert set(data) == {"rows", "files"}
    assert len(data["rows"]) == 4 * len(MECHANISMS) * (5 + 6)
    assert sorted(p.rsplit("/", 1)[1] for p in data["files"]) == [
        "figure2.csv",
        "figure2.pdf",
        "figure2.png",
    ]
    for p in data["files"]:
        assert (tmp_path / p.rsplit("/", 1)[1]).stat().st_size > 0
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and str(tmp_path) in lines[0]
    # the JSON rows are the CSV's rows
    csv = pd.read_csv(tmp_path / "figure2.csv")
    assert len(csv) == len(data["rows"])


def test_cli_figure3_bad_out_fails_before_solving(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    res = run_cli("reproduce", "figure3", "--out", str(blocker))
    assert res.returncode == 2
    assert res.stderr.startswith("datamech: error: --out:") and "Traceback" not in res.stderr
    assert res.stdout == ""


def test_cli_figures_default_to_out_in_the_working_directory(tmp_path):
    (tmp_path / "out").write_text("")  # a file where the default directory would go
    res = run_cli("reproduce", "figure3", cwd=tmp_path)
    assert res.returncode == 2
    assert "cannot write to out" in res.stderr
