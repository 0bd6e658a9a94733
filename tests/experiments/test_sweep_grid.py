"""The grid of a model-file sweep: values, paths, substitution, product and zip, case keys."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from datamech.errors import ModelError
from datamech.experiments.sweep import (
    MAX_CASES,
    as_values,
    case_key,
    expand,
    model_data,
    parse_path,
    parse_setting,
    parse_values,
    set_path,
    substitute,
)
from datamech.models.io import from_dict


# ---------------------------------------------------------------------- values
@pytest.mark.parametrize(
    "text, values",
    [
        ("0.1,0.5,0.9", [0.1, 0.5, 0.9]),
        ("2..8", [2, 3, 4, 5, 6, 7, 8]),
        ("-1..1", [-1, 0, 1]),
        ("5..5", [5]),
        # nine evenly spaced points written as the decimals they are (never 0.30000000000000004)
        ("0.1:0.9:9", [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]),
        ("0.2:0.8:7", [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]),
        ("10:40:4", [10, 20, 30, 40]),  # integer ends, whole steps: integers
        ("0:1:5", [0.0, 0.25, 0.5, 0.75, 1.0]),
        ("1e-3:3e-3:3", [0.001, 0.002, 0.003]),
        ("0:1/3:3", [0, "1/6", "1/3"]),  # a p/q end: exact strings
        ("0.5:0.5:1", [0.5]),
        ("2..4,8", [2, 3, 4, 8]),
        ("lp,greedy", ["lp", "greedy"]),
        ('"lp", 1/3, true', ["lp", "1/3", True]),
        ("[0.3, 0.7],[0.5, 0.5]", [[0.3, 0.7], [0.5, 0.5]]),
        ('{ family = "uniform", low = 0 }', [{"family": "uniform", "low": 0}]),
        ("1.5e2", [150.0]),
    ],
)
def test_values_from_text(text, values):
    got = parse_values(text, "model.alpha")
    assert got == values
    assert [type(v) for v in got] == [type(v) for v in values]


@pytest.mark.parametrize(
    "text, words",
    [
        ("", "no values"),
        ("  ", "no values"),
        ("0.1,,0.5", "empty entry"),
        ("8..2", "empty"),
        ("0:1:0", "count"),
        ("[1, 2", "not a valid TOML value"),
        ('"unclosed', "not a valid TOML value"),
        (f"1..{MAX_CASES + 1}", "more than"),
    ],
)
def test_bad_values_name_the_path(text, words):
    with pytest.raises(ModelError) as exc:
        parse_values(text, "model.alpha")
    assert exc.value.field == "model.alpha" and words in exc.value.problem


def test_values_from_python():
    assert as_values([Fraction(1, 3), Fraction(4, 2), np.float64(0.5), np.int64(3)], "x") == [
        "1/3",
        2,
        0.5,
        3,
    ]
    assert as_values(range(2, 5), "x") == [2, 3, 4]
    assert as_values(np.linspace(0, 1, 3), "x") == [0.0, 0.5, 1.0]
    assert as_values("2..3", "x") == [2, 3]
    assert as_values([(1, 2)], "x") == [[1, 2]]
    for bad in (0.5, {"a": 1}, [], b"12", None):
        with pytest.raises(ModelError) as exc:
            as_values(bad, "model.alpha")
        assert exc.value.field == "model.alpha"


def test_setting_from_the_command_line():
    assert parse_setting("buyers[0].high = 1..3") == ("buyers[0].high", [1, 2, 3])
    for text in ("model.alpha", "=0.5", "model alpha=1", "model.=1"):
        with pytest.raises(ModelError):
            parse_setting(text)


# ---------------------------------------------------------------------- paths
def test_paths():
    assert parse_path("model.alpha") == ("model", "alpha")
    assert parse_path("buyers[0].valuation.price") == ("buyers", 0, "valuation", "price")
    assert parse_path("game.payoffs[1][0]") == ("game", "payoffs", 1, 0)
    assert parse_path("solver.tie-break") == ("solver", "tie-break")
    for bad in ("", "model..alpha", "buyers[-1].high", "buyers[x]", ".alpha", "a b", 3):
        with pytest.raises(ModelError):
            parse_path(bad)


def base():
    return {
        "model": {"kind": "offline", "alpha": "1/2"},
        "buyers": [{"family": "uniform", "high": 1}, {"family": "uniform", "high": 1}],
        "grid": {"cells": [[1, 2], [3, 4]]},
    }


def test_set_path_creates_keys_and_tables_but_not_list_entries():
    data = base()
    set_path(data, "model.alpha", 0.3)
    set_path(data, "buyers[1].high", 2)
    set_path(data, "solver.method", "lp")  # no [solver] table yet
    set_path(data, "grid.cells[1][0]", 9)
    assert data["model"]["alpha"] == 0.3
    assert [b["high"] for b in data["buyers"]] == [1, 2]
    assert data["solver"] == {"method": "lp"}
    assert data["grid"]["cells"] == [[1, 2], [9, 4]]


@pytest.mark.parametrize(
    "path, words",
    [
        ("buyers[2].high", "buyers has 2 entries (buyers[0]..buyers[1])"),
        ("buyers.high", "buyers is a list, not a table; index it like buyers[0]"),
        ("model[0]", "model is a table, not a list"),
        ("model.alpha.num", "model.alpha is '1/2', not a table"),
        ("sellers[0].supply", "sellers does not exist"),
        ("grid.cells[0][5]", "grid.cells[0] has 2 entries"),
    ],
)
def test_paths_that_do_not_fit_the_file_name_the_path(path, words):
    with pytest.raises(ModelError) as exc:
        set_path(base(), path, 1)
    assert exc.value.field == path and words in exc.value.problem


def test_substitution_leaves_the_base_intact():
    data = base()
    cases = substitute(data, [{"buyers[0].high": 2, "model.alpha": 0.3}, {"buyers[0].high": 3}])
    assert data == base()
    assert [c["buyers"][0]["high"] for c in cases] == [2, 3]
    assert [c["model"]["alpha"] for c in cases] == [0.3, "1/2"]
    assert cases[1]["buyers"][1] is data["buyers"][1]  # untouched parts are shared


# ---------------------------------------------------------------------- product and zip
def test_product_varies_the_first_path_slowest():
    grid = {"a": [1, 2], "b": ["x", "y", "z"]}
    got = [(c["a"], c["b"]) for c in expand(grid)]
    assert got == [(a, b) for a in (1, 2) for b in ("x", "y", "z")]


def test_zip_pairs_lists_of_one_length():
    got = expand({"a": [1, 2, 3], "b": [4, 5, 6], "c": [7, 8, 9]}, zip=True)
    assert [tuple(c.values()) for c in got] == [(1, 4, 7), (2, 5, 8), (3, 6, 9)]
    with pytest.raises(ModelError) as exc:
        expand({"a": [1, 2], "b": [1, 2, 3]}, zip=True)
    assert exc.value.field == "b" and "has 3 values but a has 2" in exc.value.problem


def test_empty_and_oversized_grids():
    with pytest.raises(ModelError):
        expand({})
    side = int(MAX_CASES**0.5) + 1
    with pytest.raises(ModelError) as exc:
        expand({"a": list(range(side)), "b": list(range(side))})
    assert "more than" in exc.value.problem


# ---------------------------------------------------------------------- keys
def test_case_keys_identify_the_model_and_options():
    a = {"model": {"kind": "offline", "alpha": 0.5}, "buyers": [{"high": 1}]}
    same = {"buyers": [{"high": 1}], "model": {"alpha": 0.5, "kind": "offline"}}
    assert case_key("t", a, {}) == case_key("t", same, {})  # key order does not matter
    others = [
        ("t", {**a, "model": {"kind": "offline", "alpha": "1/2"}}, {}),  # another spelling
        ("t", {**a, "model": {"kind": "offline", "alpha": 1}}, {}),
        ("t", a, {"method": "lp"}),  # options count
        ("u", a, {}),  # another task
    ]
    keys = {case_key(*parts) for parts in others}
    assert len(keys) == len(others) and case_key("t", a, {}) not in keys
    assert len(case_key("t", a, {})) == 32


def test_model_data_from_a_path_a_dict_and_a_model(tmp_path):
    import datamech as dm

    path = "examples/models/offline_i3.toml"
    from_file = model_data(path)
    assert from_file["model"]["alpha"] == "1/2" and len(from_file["buyers"]) == 2
    given = {"model": {"kind": "offline"}}
    copied = model_data(given)
    copied["model"]["kind"] = "x"
    assert given["model"]["kind"] == "offline"
    from_model = model_data(dm.load(path))  # written as dm.save writes it, read back
    assert dm.solve(from_dict(from_model)).objective == dm.solve(dm.load(path)).objective
    for bad in (3, object(), {"buyers": []}, {"model": 3}):
        with pytest.raises(ModelError) as exc:
            model_data(bad)
        assert exc.value.field == "model"
    with pytest.raises(ModelError) as exc:
        model_data(tmp_path / "missing.toml")
    assert exc.value.field == "file"
