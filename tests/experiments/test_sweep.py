"""The paper-model (chain) sweep: grid expansion, local execution, tables on disk, errors, the CLI.

Every figure a sweep reports is checked against an independent direct call of the
solver (``paper_model`` + ``solve_equilibrium``), never against hardcoded numbers.
Its Dask runs are in test_sweep_dask.py (one cluster for every Dask test).
"""

from __future__ import annotations

import importlib.util
import io
import json
import pickle
import subprocess
import sys

import pandas as pd
import pytest

from datamech.cli import main
from datamech.errors import ModelError, SolverError
from datamech.experiments.sweep import (
    CASE_KEYS,
    RESULT_KEYS,
    check_table_path,
    decode_rows,
    run_case,
    run_sweep,
    sweep_grid,
    write_table,
)
from datamech.models.chain import paper_model
from datamech.solvers.chain import DEFAULT_TOL, solve_equilibrium

HAS_OPT = importlib.util.find_spec("datamech.solvers.chain.opt") is not None
# "seconds" is wall time, the only column that differs between two runs
SAME = [c for c in (*CASE_KEYS, *RESULT_KEYS) if c != "seconds"]


def small_grid():
    return sweep_grid(
        models=["model1", "model4"],
        ns=[2, 3],
        mechanisms=["RAW", "AVE", "TBDS"],
        alphas=[0.5],
        tie_breaks=["first", "welfare_min"],
    )


@pytest.fixture(scope="module")
def local_table():
    return run_sweep(small_grid(), workers=1, progress=False)


def cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "datamech.cli", *args], capture_output=True, text=True
    )


# ---------------------------------------------------------------------- the grid
def test_grid_expands_in_the_order_given():
    cases = sweep_grid(
        models=["model2", "model1"],
        ns=[3, 2],
        mechanisms=["TBDS", "RAW"],
        alphas=[0.5, "1/4"],
        tie_breaks=["low", "first"],
    )
    expected = [
        (model, n, mech, alpha, tie)
        for model in ("model2", "model1")
        for n in (3, 2)
        for mech, alpha in (("TBDS", 0.5), ("TBDS", 0.25), ("RAW", None))
        for tie in ("low", "first")
    ]
    got = [(c["model"], c["n"], c["mechanism"], c["alpha"], c["tie_break"]) for c in cases]
    assert got == expected
    assert len(cases) == 24
    assert all(list(c) == list(CASE_KEYS) for c in cases)


def test_grid_defaults_and_shared_settings():
    (case,) = sweep_grid(models=[3], ns=[4], mechanisms=["ave"])
    assert case == {
        "model": "model3",
        "n": 4,
        "mechanism": "AVE",
        "alpha": None,
        "tie_break": "first",
        "exact": False,
        "tol": DEFAULT_TOL,
        "opt_method": None,
        "seed": None,
    }
    cases = sweep_grid(models=["model2"], ns=[2], mechanisms=["RAW", "AVE"], exact=True, tol=0)
    assert all(c["exact"] is True and c["tol"] == 0.0 for c in cases)


# ---------------------------------------------------------------------- local runs
def direct(case):
    number = int(case["model"][-1])
    model = paper_model(number, case["n"], case["mechanism"], alpha=case["alpha"])
    res = solve_equilibrium(
        model, tie_break=case["tie_break"], exact=case["exact"], tol=case["tol"]
    )
    return model, res


def test_local_run_equals_direct_solver_calls(local_table):
    cases = small_grid()
    assert len(local_table) == len(cases)
    assert list(local_table.columns) == [*CASE_KEYS, *RESULT_KEYS]
    for case, row in zip(cases, decode_rows(local_table), strict=True):
        model, res = direct(case)
        for key in CASE_KEYS:
            assert row[key] == case[key]
        assert row["status"] == "optimal"
        assert row["social_welfare"] == float(res.social_welfare)
        assert row["transaction_volume"] == float(res.transaction_volume)
        assert row["ties"] == res.ties
        assert row["trade_success"] == [float(x) for x in res.trade_success]
        assert row["player_utility"] == [float(x) for x in res.player_utility]
        assert row["matrix"] == [[float(x) for x in r] for r in model.reallocation]
        assert row["seconds"] >= 0


def test_exact_cases_report_the_exact_solution_as_floats():
    (case,) = sweep_grid(models=["model4"], ns=[3], mechanisms=["AVE"], exact=True)
    row = run_case(case)
    _, res = direct(case)
    assert res.exact and row["social_welfare"] == float(res.social_welfare)
    assert row["ties"] == res.ties


def test_two_processes_give_the_same_table_in_case_order(local_table):
    # the slow exact case first, quick ones after it: with two workers the quick ones
    # finish first, yet the table keeps the order of the cases and the rows of a run
    # in this process
    slow = sweep_grid(models=["model3"], ns=[6], mechanisms=["RAW"], exact=True)
    cases = slow + small_grid()
    table = run_sweep(cases, workers=2, progress=False)
    assert list(zip(table["model"], table["n"], table["mechanism"], strict=True)) == [
        (c["model"], c["n"], c["mechanism"]) for c in cases
    ]
    assert table["social_welfare"].iloc[0] == float(direct(slow[0])[1].social_welfare)
    rest = table.iloc[1:].reset_index(drop=True)
    pd.testing.assert_frame_equal(rest[SAME], local_table[SAME])


def test_progress_bar_only_on_a_terminal(monkeypatch):
    cases = sweep_grid(models=["model1"], ns=[2, 3, 4], mechanisms=["RAW"])

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    for progress, tty, shown in ((True, True, True), (False, True, False), (True, False, False)):
        err = Terminal() if tty else io.StringIO()
        monkeypatch.setattr(sys, "stderr", err)
        run_sweep(cases, workers=1, progress=progress)
        assert ("3/3" in err.getvalue()) is shown


# ---------------------------------------------------------------------- Dask missing
def block_dask(monkeypatch):
    for name in ("dask", "dask.distributed", "distributed"):
        monkeypatch.setitem(sys.modules, name, None)  # `import dask.distributed` now fails


def test_missing_dask_says_what_to_install(monkeypatch):
    block_dask(monkeypatch)
    cases = small_grid()[:1]
    for kwargs in ({"scheduler": "tcp://127.0.0.1:8786"}, {"executor": "dask", "client": object()}):
        with pytest.raises(ModelError) as exc:
            run_sweep(cases, progress=False, **kwargs)
        assert exc.value.field == "scheduler"
        assert "pip install 'datamech[distributed]'" in str(exc.value)
    # the local executor does not need dask
    assert len(run_sweep(cases, workers=1, progress=False)) == 1


def test_missing_dask_on_the_command_line(monkeypatch, capsys):
    block_dask(monkeypatch)
    args = [
        "sweep",
        "--n",
        "2",
        "--models",
        "model1",
        "--quiet",
        "--scheduler",
        "tcp://127.0.0.1:8786",
    ]
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("datamech: error: --scheduler:")
    assert "pip install 'datamech[distributed]'" in lines[0]


# ---------------------------------------------------------------------- OPT
@pytest.mark.slow
@pytest.mark.skipif(not HAS_OPT, reason="datamech.solvers.chain.opt not available")
def test_opt_case_is_the_optimizer_matrix_solved_again():
    from datamech.solvers.chain.opt import optimize_reallocation

    (case,) = sweep_grid(models=["model2"], ns=[2], mechanisms=["OPT"], seed=3)
    assert case["opt_method"] == "evolution" and case["seed"] == 3
    row = decode_rows(run_sweep([case], workers=1, progress=False))[0]
    base = paper_model(2, 2, "RAW")
    found = optimize_reallocation(base, method="evolution", tie_break="first", seed=3)
    res = solve_equilibrium(base.with_mechanism("matrix", matrix=found.matrix))
    assert row["matrix"] == [[float(x) for x in r] for r in found.matrix]
    assert row["status"] == found.status  # the search's status, e.g. "heuristic"
    assert row["social_welfare"] == float(res.social_welfare)
    assert row["social_welfare"] == pytest.approx(float(found.social_welfare))


@pytest.mark.skipif(not HAS_OPT, reason="datamech.solvers.chain.opt not available")
def test_an_error_inside_a_worker_process_reaches_the_caller():
    # exhaustive enumeration refuses this grid inside the worker; ModelError does not
    # pickle, so the sweep carries it back as data and raises it here
    cases = sweep_grid(models=["model1"], ns=[2, 8], mechanisms=["OPT"], opt_method="enumerate")
    with pytest.raises(ModelError) as exc:
        run_sweep(cases, workers=2, progress=False)
    # the option's field is named as in the model file's [solver] table
    assert exc.value.field in ("m", "solver.m") and "n=8" in str(exc.value)


def test_opt_without_its_module_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "datamech.solvers.chain.opt", None)
    with pytest.raises(ModelError) as exc:
        sweep_grid(models=["model1"], ns=[2], mechanisms=["RAW", "OPT"])
    assert exc.value.field == "mechanisms" and "datamech.solvers.chain.opt" in str(exc.value)


# ---------------------------------------------------------------------- tables on disk
def test_csv_round_trip(local_table, tmp_path):
    path = write_table(local_table, tmp_path / "sub" / "sweep.csv")
    back = pd.read_csv(path)
    expected = local_table.astype({"alpha": float, "opt_method": float, "seed": float})
    pd.testing.assert_frame_equal(back, expected)
    assert decode_rows(back)[0]["trade_success"] == decode_rows(local_table)[0]["trade_success"]


def test_parquet_round_trip(local_table, tmp_path):
    pytest.importorskip("pyarrow")
    path = write_table(local_table, tmp_path / "sweep.parquet")
    back = pd.read_parquet(path)
    pd.testing.assert_frame_equal(back, local_table, check_dtype=False)


def test_parquet_without_pyarrow_says_what_to_install(local_table, tmp_path, monkeypatch):
    for name in ("pyarrow", "fastparquet"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ModelError) as exc:
        write_table(local_table, tmp_path / "sweep.parquet")
    assert exc.value.field == "path" and "pip install pyarrow" in str(exc.value)
    assert not (tmp_path / "sweep.parquet").exists()


def test_unknown_table_format(local_table, tmp_path):
    for name in ("sweep.xlsx", "sweep"):
        with pytest.raises(ModelError) as exc:
            write_table(local_table, tmp_path / name)
        assert exc.value.field == "path"
    with pytest.raises(ModelError) as exc:
        check_table_path(tmp_path)  # a folder
    assert exc.value.field == "path"


# ---------------------------------------------------------------------- bad input
GRID = {"models": ["model1"], "ns": [2], "mechanisms": ["RAW"]}


@pytest.mark.parametrize(
    "change, field",
    [
        ({"models": []}, "models"),
        ({"models": ["model9"]}, "models"),
        ({"models": [5]}, "models"),
        ({"models": "model1"}, "models"),
        ({"models": ["model1", "model1"]}, "models"),
        ({"ns": []}, "ns"),
        ({"ns": [0]}, "ns"),
        ({"ns": [-2]}, "ns"),
        ({"ns": [2.5]}, "ns"),
        ({"ns": [True]}, "ns"),
        ({"mechanisms": []}, "mechanisms"),
        ({"mechanisms": ["FOO"]}, "mechanisms"),
        ({"mechanisms": ["matrix"]}, "mechanisms"),
        ({"mechanisms": ["TBDS"]}, "alphas"),
        ({"mechanisms": ["TBDS"], "alphas": [1.5]}, "alphas"),
        ({"mechanisms": ["TBDS"], "alphas": [-0.1]}, "alphas"),
        ({"mechanisms": ["TBDS"], "alphas": ["half"]}, "alphas"),
        ({"alphas": [0.5]}, "alphas"),
        ({"tie_breaks": []}, "tie_breaks"),
        ({"tie_breaks": ["random"]}, "tie_breaks"),
        ({"exact": "yes"}, "exact"),
        ({"tol": -1}, "tol"),
        ({"tol": "small"}, "tol"),
    ],
)
def test_bad_grid_names_its_field(change, field):
    with pytest.raises(ModelError) as exc:
        sweep_grid(**{**GRID, **change})
    assert exc.value.field == field


@pytest.mark.parametrize(
    "cases, kwargs, field",
    [
        ([], {}, "cases"),
        ({"model": "model1"}, {}, "cases"),
        ([{"model": "model1", "n": 2, "mechanism": "RAW", "colour": 1}], {}, "cases"),
        ([{"model": "model1", "n": 2}], {}, "cases"),
        ([{"model": "model1", "n": 0, "mechanism": "RAW"}], {}, "ns"),
        ([{"model": "model1", "n": 2, "mechanism": "TBDS", "alpha": 2}], {}, "alphas"),
        ([{"model": "model1", "n": 2, "mechanism": "RAW"}], {"workers": 0}, "workers"),
        ([{"model": "model1", "n": 2, "mechanism": "RAW"}], {"executor": "spark"}, "executor"),
    ],
)
def test_bad_run_names_its_field(cases, kwargs, field):
    with pytest.raises(ModelError) as exc:
        run_sweep(cases, progress=False, **kwargs)
    assert exc.value.field == field


def test_solver_error_crosses_the_process_boundary_with_its_status(monkeypatch):
    # what a worker sends back is plain data that pickles; the caller re-raises the
    # solver's status with the case named
    from datamech.experiments.sweep import call_task, chain

    def fail(case):
        raise SolverError("time_limit", "stopped after 60 s")

    cases = small_grid()[:1]
    sent = pickle.loads(pickle.dumps(call_task(fail, cases[0])))
    assert sent == {
        "__failure__": {
            "type": "SolverError",
            "status": "time_limit",
            "message": "stopped after 60 s",
        }
    }
    monkeypatch.setattr(chain, "run_case", fail)
    with pytest.raises(SolverError) as exc:
        run_sweep(cases, workers=1, progress=False)
    assert exc.value.status == "time_limit" and "model1, n=2" in str(exc.value)


# ---------------------------------------------------------------------- the command
def test_cli_sweep_json_and_table_file(tmp_path, local_table, capsys):
    out = tmp_path / "results.csv"
    code = main(
        [
        "sweep",
        "--models", "model1,model4",
        "--n", "2..3",
        "--mechanisms", "RAW,AVE,TBDS",
        "--alpha", "0.5",
        "--tie-break", "first,welfare_min",
        "--out", str(out),
        "--workers", "1",
        "--json",
        ]
    )  # fmt: skip
    assert code == 0
    data = json.loads(capsys.readouterr().out)  # one JSON object, nothing else on stdout
    assert list(data) == ["rows"]
    expected = decode_rows(local_table)
    assert len(data["rows"]) == len(expected)
    for got, want in zip(data["rows"], expected, strict=True):
        assert {k: got[k] for k in SAME} == {k: want[k] for k in SAME}
    written = pd.read_csv(out)
    assert written["social_welfare"].tolist() == pytest.approx(
        local_table["social_welfare"].tolist()
    )


def test_cli_sweep_prints_a_readable_table(capsys):
    assert main(["sweep", "--models", "model1", "--n", "2", "--workers", "1", "--quiet"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["model", "n", "mechanism"]
    assert "social_welfare" in lines[0] and lines[-1].startswith("2 cases in")
    assert err == ""


@pytest.mark.parametrize(
    "args, flag",
    [
        (["--n", "0"], "--n"),
        (["--n", "two"], "--n"),
        (["--n", "2", "--models", "model9"], "--models"),
        (["--n", "2", "--mechanisms", "RAW,FOO"], "--mechanisms"),
        (["--n", "2", "--mechanisms", "TBDS", "--alpha", "1.5"], "--alpha"),
        (["--n", "2", "--tie-break", "random"], "--tie-break"),
        (["--n", "2", "--workers", "0"], "--workers"),
        (["--n", "2", "--out", "results.xlsx"], "--out"),
        # errors raised inside a case still name the flag
        (["--n", "1000", "--models", "model1", "--mechanisms", "RAW"], "--n"),
        (
            [
                "--n",
                "3",
                "--models",
                "model2",
                "--mechanisms",
                "OPT",
                "--opt-method",
                "mip",
                "--tie-break",
                "welfare_min",
            ],
            "--tie-break",
        ),  # fmt: skip
        (
            ["--n", "5", "--models", "model1", "--mechanisms", "OPT", "--opt-method", "mip"],
            "--opt-method",
        ),  # fmt: skip
    ],
)
def test_cli_sweep_bad_input_is_one_line_and_exit_2(args, flag, capsys):
    # in this process (the command's code path is the same; a subprocess run is below)
    assert main(["sweep", "--quiet", "--workers", "1", *args]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"datamech: error: {flag}:")


def test_cli_sweep_bad_input_in_a_subprocess():
    res = cli("sweep", "--quiet", "--n", "2", "--models", "model9")
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.strip().splitlines() == [
        "datamech: error: --models: unknown model 'model9' (known: model1, model2, model3, model4)"
    ]


@pytest.mark.parametrize(
    "args, flag",
    [
        (["--n", "2", "--set", "model.n=2"], "--set"),
        (["--n", "2", "--zip"], "--zip"),
        ([], "--n"),
    ],
)
def test_cli_paper_sweep_without_a_file_refuses_file_flags(args, flag, capsys):
    assert main(["sweep", "--quiet", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"datamech: error: {flag}:")
