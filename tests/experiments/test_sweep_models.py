"""Model-file sweeps of every kind: the values swept reach the solver, rows follow the grid.

Expected values are derived independently of datamech: closed forms worked out by hand
(Lemma B.1 of the scaling paper, Myerson's optimal auction, the Myerson-Satterthwaite
second best for uniform laws), the specs' known answers, or a direct solve of a model
dictionary edited by hand.  All sweeps here run in this process (``workers=1``); the
process pool and Dask are in test_sweep_dask.py.
"""

from __future__ import annotations

import copy
import math
import warnings
from fractions import Fraction
from pathlib import Path

import pytest

import datamech as dm
from datamech.errors import ModelError
from datamech.experiments.sweep import (
    BOOKKEEPING,
    journal_path,
    plot_sweep,
    sweep,
)
from datamech.models.io import from_dict, read_toml
from datamech.results import CONTRACT_KEYS

EX = "examples/models/"
MECHANISM = {  # kind "mechanism": one item, bidders with values 1 or 2 (probability 1/2 each)
    "model": {"kind": "mechanism", "name": "two-point bidders", "objective": "revenue"},
    "outcomes": {"preset": "single_item"},
    "agents": [
        {
            "name": "bidder",
            "count": 2,
            "family": "discrete",
            "values": [1, 2],
            "probs": ["1/2", "1/2"],
        }
    ],
}


def run(model, grid, **kw):
    kw.setdefault("workers", 1)
    kw.setdefault("progress", False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sweep(model, grid, **kw)


# ---------------------------------------------------------------------- every kind
def test_offline_profit_follows_lemma_b1_in_alpha():
    # I3: types {1, 2, 3} w.p. (3/5, 1/10, 3/10); ironed virtual values r = 1/7 (types
    # 1, 2 pooled) w.p. 7/10 and 3 w.p. 3/10.  Lemma B.1 with c = 1:
    # OFFL = (1 - a) a^(a/(1-a)) E[(r1 + r2)^(1/(1-a))], two i.i.d. buyers.
    law = [(Fraction(1, 7), 0.7), (Fraction(3), 0.3)]

    def offl(a):
        k = 1 / (1 - a)
        mean = sum(p * q * float(r + s) ** k for r, p in law for s, q in law)
        return (1 - a) * a ** (a / (1 - a)) * mean

    table = run(EX + "offline_i3.toml", {"model.alpha": "0.2:0.8:4"})
    assert table["model.alpha"].tolist() == [0.2, 0.4, 0.6, 0.8]
    assert table["status"].tolist() == ["evaluated"] * 4
    assert table["objective_name"].unique().tolist() == ["expected_profit"]
    for a, got in zip(table["model.alpha"], table["objective"], strict=True):
        assert got == pytest.approx(offl(a), rel=1e-10)
    exact = run(EX + "offline_i3.toml", {"model.alpha": ["1/2"]})
    assert exact["objective_exact"].tolist() == ["13/7"]  # spec 003 §6.2


def test_online_mechanisms_of_i3():
    # spec 003 §6.2, I3 online: two-stage ALG = 215/144, optimal ONL = 3307/1960
    table = run(EX + "online_i3.toml", {"model.mechanism": ["two_stage", "optimal"]})
    assert table["objective_exact"].tolist() == ["215/144", "3307/1960"]
    assert table["objective"].tolist() == pytest.approx([215 / 144, 3307 / 1960], rel=1e-12)
    assert table["mechanism"].tolist() == ["two_stage", "optimal"]  # the kind's own field


def test_bilateral_first_and_second_best_in_the_buyers_range():
    # indivisible good, seller c ~ U[0, 1], buyer v ~ U[0, h].  h = 1: FB = 1/6 and the
    # Myerson-Satterthwaite second best 9/64.  h = 2: FB = E[(v - c)+] = 7/12; the second
    # best trades iff v - c >= d with E[(v - c - 1) 1{v - c >= d}] = 0 (budget balance
    # with the virtual values 2v - 2 and 2c), i.e. d = 1 - 1/sqrt(3), and
    # SB = E[(v - c) 1{v - c >= d}] = 1/4 + 1/(2 sqrt(3)).
    table = run(
        EX + "bilateral_indivisible.toml",
        {"model.mechanism": ["second_best"], "buyer.high": [1, 2]},
    )
    assert table["objective_name"].tolist() == ["second_best", "second_best"]
    assert table["first_best"].tolist() == pytest.approx([1 / 6, 7 / 12], abs=1e-9)
    assert table["objective"].tolist() == pytest.approx(
        [9 / 64, 0.25 + 1 / (2 * math.sqrt(3))], abs=1e-8
    )


def test_infosale_grid_cells_reach_the_solver():
    path = EX + "infosale_complement_substitute.toml"
    table = run(path, {"grid.cells": [8, 12]})
    for cells, got in zip(table["grid.cells"], table["objective"], strict=True):
        data = read_toml(path)
        data["grid"]["cells"] = int(cells)  # the substitution by hand
        assert got == dm.solve(from_dict(data)).objective
    assert table["objective"][0] != table["objective"][1]


def test_psp_epsilon_and_the_optimum_it_does_not_move():
    # partially linked market: W* = 27.5 by hand (s1's 10 units to flex at 1.25 each, s2's
    # 10 units to local: 2 (10 - 10^2 / 40) = 15), whatever epsilon the dynamics use
    table = run(EX + "psp_partial_links.toml", {"model.epsilon": [0.1, 0.05]})
    assert table["epsilon"].tolist() == [0.1, 0.05]
    assert table["optimal_welfare"].tolist() == pytest.approx([27.5, 27.5], abs=1e-6)
    assert (table["objective"] < 27.5).all()
    # the kind warns that the loss exceeds the complete-graph bound; the row says so
    assert table["warnings"].str.contains("exceeds the complete-graph bound").all()


def test_chain_exact_tie_rules_and_lengths():
    # Model 2, RAW, n = 5 in exact arithmetic (README table): low 1523/6250, high 6281/31250
    table = run(
        EX + "chain_model2.toml", {"solver.exact": [True], "solver.tie_break": ["low", "high"]}
    )
    assert table["objective_exact"].tolist() == ["1523/6250", "6281/31250"]
    from datamech.solvers.chain import solve_equilibrium

    lengths = run(EX + "chain_model2.toml", {"model.n": "2..4"})
    for n, welfare in zip(lengths["model.n"], lengths["objective"], strict=True):
        data = read_toml(EX + "chain_model2.toml")
        data["model"]["n"] = int(n)  # the file's grid and chain, n trades (the paper's
        # model 2 refines its grid with n: not the same model)
        direct = solve_equilibrium(from_dict(data), tie_break="first", tol=0.0)
        assert welfare == float(direct.social_welfare)
    assert lengths["n"].tolist() == [2, 3, 4]


def test_mechanism_revenue_in_the_number_of_bidders():
    # Myerson: virtual values 0 (value 1) and 2 (value 2), so the optimal revenue is
    # 2 P(some bidder has value 2) = 2 (1 - 2^-n)
    table = run(MECHANISM, {"agents[0].count": "1..3", "solver.exact": [True]})
    assert table["objective_exact"].tolist() == ["1", "3/2", "7/4"]
    assert table["agents[0].count"].tolist() == [1, 2, 3]


# ---------------------------------------------------------------------- rows
def test_columns_and_grid_order():
    table = run(EX + "online_i3.toml", {"model.alpha": ["1/2", "1/3"], "model.cost": [1, 2]})
    columns = table.columns.tolist()
    assert columns[:2] == ["model.alpha", "model.cost"]
    assert columns[2 : 2 + len(CONTRACT_KEYS)] == list(CONTRACT_KEYS)
    assert columns[2 + len(CONTRACT_KEYS) : 4 + len(CONTRACT_KEYS)] == list(BOOKKEEPING)
    assert "expected_profit" in columns and "online_optimum" in columns  # scalar fields
    assert "buyers" not in columns and "expected_levels" not in columns  # lists are not
    assert list(zip(table["model.alpha"], table["model.cost"], strict=True)) == [
        ("1/2", 1),
        ("1/2", 2),
        ("1/3", 1),
        ("1/3", 2),
    ]
    assert table.attrs == {"swept": ["model.alpha", "model.cost"], "resumed": 0, "failed": 0}
    # the cost echo of each row is the value swept into it
    assert table["cost"].tolist() == [1.0, 2.0, 1.0, 2.0]


def test_zip_pairs_the_lists():
    table = run(
        EX + "online_i3.toml",
        {"model.mechanism": ["two_stage", "optimal"], "model.cost": [1, 2]},
        zip=True,
    )
    assert table[["model.mechanism", "model.cost"]].values.tolist() == [
        ["two_stage", 1],
        ["optimal", 2],
    ]


def test_failed_cases_are_rows_and_the_rest_are_solved():
    table = run(
        MECHANISM,
        {"agents[0].count": [2, 0, "two"], "constraints.requirements": [[], ["revenue >= 10"]]},
    )
    assert len(table) == 6
    status = table["status"].tolist()
    # count 2: solved without requirement, infeasible with one; counts 0 and "two": invalid
    assert status == ["optimal", "infeasible", *["model_error"] * 4]
    assert table["objective"][0] == pytest.approx(1.5)
    errors = table["error"].tolist()
    assert errors[0] is None or errors[0] != errors[0]  # no error on a solved row
    assert "infeasible" in errors[1]
    assert all(e.startswith("agents[0].count:") for e in errors[2:])
    assert all("\n" not in e for e in errors[1:])
    assert table.attrs["failed"] == 5


def test_an_unexpected_exception_fails_its_case_only_and_is_retried_by_a_rerun(
    tmp_path, monkeypatch
):
    from datamech.experiments.sweep import core

    real = core.solve

    def flaky(model, **options):
        if model.mechanism == "optimal":
            raise TypeError("a bug")
        return real(model, **options)

    out = tmp_path / "t.csv"
    grid = {"model.mechanism": ["two_stage", "optimal"]}
    monkeypatch.setattr(core, "solve", flaky)
    table = run(EX + "online_i3.toml", grid, out=out)
    assert table["status"].tolist() == ["evaluated", "internal_error"]
    assert table["error"][1] == "TypeError: a bug"
    monkeypatch.setattr(core, "solve", real)
    again = run(EX + "online_i3.toml", grid, out=out)  # the bug is not remembered
    assert again["status"].tolist() == ["evaluated", "optimal"]
    assert again.attrs["resumed"] == 1


def test_options_apply_to_every_case_and_are_part_of_the_key(tmp_path):
    out = tmp_path / "t.csv"
    grid = {"model.alpha": ["1/2"]}
    first = run(EX + "offline_i3.toml", grid, out=out)
    by_program = run(EX + "offline_i3.toml", grid, out=out, options={"method": "pamd_dsic"})
    assert by_program.attrs["resumed"] == 0  # other options: another case
    assert first["method"][0] != by_program["method"][0] == "pamd_dsic"
    assert by_program["objective"][0] == pytest.approx(13 / 7, abs=1e-6)


def test_a_model_object_is_swept_as_its_saved_file():
    model = dm.load(EX + "online_i3.toml")
    table = run(model, {"model.mechanism": ["optimal"]})
    assert table["objective_exact"].tolist() == ["3307/1960"]


@pytest.mark.parametrize(
    "grid, kwargs, field",
    [
        ({}, {}, "grid"),
        ([("model.alpha", [0.5])], {}, "grid"),
        ({"model alpha": [0.5]}, {}, "model alpha"),
        ({"model.alpha": []}, {}, "model.alpha"),
        ({"model.alpha": 0.5}, {}, "model.alpha"),
        ({"buyers[5].high": [1]}, {}, "buyers[5].high"),
        ({"model.alpha[0]": [1]}, {}, "model.alpha[0]"),
        ({"status": [1]}, {}, "status"),
        ({"model.alpha": ["1/2", "1/2"]}, {}, "model.alpha"),  # the same case twice
        ({"model.alpha": [0.5]}, {"workers": 0}, "workers"),
        ({"model.alpha": [0.5]}, {"out": "t.xlsx"}, "path"),
        ({"model.alpha": [0.5]}, {"options": {1: 2}}, "options"),
        ({"model.alpha": [0.5]}, {"scheduler": "tcp://x:1", "client": object()}, "scheduler"),
        ({"model.alpha": [0.5], "model.cost": [1, 2]}, {"zip": True}, "model.cost"),
    ],
)
def test_bad_sweeps_are_refused_before_any_case_runs(grid, kwargs, field):
    with pytest.raises(ModelError) as exc:
        run(EX + "offline_i3.toml", grid, **kwargs)
    assert exc.value.field == field


# ---------------------------------------------------------------------- files
def test_resume_solves_only_the_missing_cases(tmp_path, monkeypatch):
    from datamech.experiments.sweep import core

    out = tmp_path / "runs" / "t.csv"
    grid = {"model.alpha": "0.2:0.8:4", "model.cost": [1, 2]}
    clean = run(EX + "offline_i3.toml", grid, out=out)
    text = out.read_text()
    journal = journal_path(out)
    lines = journal.read_bytes().splitlines(keepends=True)
    assert len(lines) == 8
    # a kill: three cases finished, the fourth was being written
    journal.write_bytes(b"".join(lines[:3]) + lines[3][:20])
    out.unlink()
    solved = []
    real = core.solve

    def counting(model, **options):
        solved.append(model)
        return real(model, **options)

    monkeypatch.setattr(core, "solve", counting)
    again = run(EX + "offline_i3.toml", grid, out=out)
    assert len(solved) == 5 and again.attrs["resumed"] == 3
    same = [c for c in clean.columns if c != "seconds"]
    assert again[same].equals(clean[same])
    assert _without_seconds(out.read_text()) == _without_seconds(text)
    assert len(journal.read_bytes().splitlines()) == 8
    # a third run finds every case done; --fresh starts over
    solved.clear()
    run(EX + "offline_i3.toml", grid, out=out)
    assert solved == []
    run(EX + "offline_i3.toml", grid, out=out, fresh=True)
    assert len(solved) == 8


def _without_seconds(csv_text: str) -> list[list[str]]:
    import csv
    import io

    rows = list(csv.reader(io.StringIO(csv_text)))
    drop = [i for i, name in enumerate(rows[0]) if name.endswith("seconds")]
    return [[v for i, v in enumerate(r) if i not in drop] for r in rows]


def test_editing_the_file_invalidates_only_what_changed(tmp_path):
    model = tmp_path / "m.toml"
    text = Path(EX + "online_i3.toml").read_text()
    model.write_text(text)
    out = tmp_path / "t.csv"
    grid = {"model.mechanism": ["two_stage", "optimal"]}
    run(model, grid, out=out)
    # the swept entry itself changes in the file: every case is still the same model
    model.write_text(text.replace('mechanism = "two_stage"', 'mechanism = "greedy"'))
    assert run(model, grid, out=out).attrs["resumed"] == 2
    # a value every case uses changes: every case is new
    model.write_text(text.replace("cost = 1", "cost = 2"))
    assert run(model, grid, out=out).attrs["resumed"] == 0


def test_parquet_table_with_mixed_value_types(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    out = tmp_path / "t.parquet"
    table = run(EX + "offline_i3.toml", {"model.alpha": ["1/2", 0.25]}, out=out)
    back = pd.read_parquet(out)
    assert back["model.alpha"].tolist() == ["1/2", "0.25"]  # one type per column: text
    assert back["objective"].tolist() == table["objective"].tolist()
    assert journal_path(out).exists()


def test_a_second_sweep_on_the_same_table_is_refused(tmp_path):
    from datamech.experiments.sweep import Journal

    out = tmp_path / "t.csv"
    first = Journal(out)
    first.open({"k"})
    try:
        with pytest.raises(ModelError) as exc:
            run(EX + "online_i3.toml", {"model.mechanism": ["optimal"]}, out=out)
        assert exc.value.field == "out" and "another sweep" in exc.value.problem
    finally:
        first.close()
    assert len(run(EX + "online_i3.toml", {"model.mechanism": ["optimal"]}, out=out)) == 1


# ---------------------------------------------------------------------- plots
def test_plot_draws_one_line_per_other_swept_value():
    table = run(
        EX + "online_i3.toml",
        {"model.cost": [1, 2, 3], "model.mechanism": ["two_stage", "optimal"]},
    )
    fig = plot_sweep(table, "model.cost", "objective")
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == [
        "model.mechanism = two_stage",
        "model.mechanism = optimal",
    ]
    for line, mech in zip(lines, ["two_stage", "optimal"], strict=True):
        rows = table[table["model.mechanism"] == mech]
        assert list(line.get_xdata()) == [1, 2, 3]
        assert list(line.get_ydata()) == rows["objective"].tolist()
    ticks = fig.axes[0].get_xticks()
    assert all(float(t).is_integer() for t in ticks)  # a count axis has integer ticks
    for x, y in (("nope", "objective"), ("model.cost", "nope"), ("model.cost", "method")):
        with pytest.raises(ModelError) as exc:
            plot_sweep(table, x, y)
        assert exc.value.field == "plot"


def test_plot_skips_failed_cases():
    data = copy.deepcopy(MECHANISM)
    table = run(data, {"agents[0].count": [1, 0, 2]})
    line = plot_sweep(table, "agents[0].count", "objective").axes[0].get_lines()[0]
    assert list(line.get_xdata()) == [1, 2]
    assert list(line.get_ydata()) == pytest.approx([1.0, 1.5])
