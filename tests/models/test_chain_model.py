"""Chain model validation: every malformed input names its field."""

from fractions import Fraction as F

import numpy as np
import pytest

import datamech as dm
from datamech import ModelError
from datamech.models.chain import (
    ChainModel,
    ave_matrix,
    create,
    five_neighbour,
    paper_model,
    raw_matrix,
    tbds_matrix,
)

HALF = [[0.5, 0.5], [0.5, 0.5]]


def test_builtin_mechanisms_exact():
    assert raw_matrix(2).tolist() == [[1, 0, 0], [0, 1, 0]]
    assert ave_matrix(3)[2].tolist() == [F(1, 3), F(1, 3), F(1, 3), 0]
    t = tbds_matrix(3, F(1, 2))
    # t_30 = alpha^2, t_31 = (1-alpha) alpha, t_32 = 1 - alpha
    assert t[2].tolist() == [F(1, 4), F(1, 4), F(1, 2), 0]
    assert all(sum(row) == 1 for row in t)


def test_five_neighbour_clips_at_the_boundary():
    P = five_neighbour(5)
    assert P[0].tolist() == [F(3, 5), F(1, 5), F(1, 5), 0, 0]
    assert P[2].tolist() == [F(1, 5)] * 5
    assert all(sum(r) == 1 for r in P)


@pytest.mark.parametrize("number, L, w0", [(1, 21, 1.0), (2, 11, 0), (3, 21, 0.0), (4, 21, 0)])
def test_paper_models(number, L, w0):
    m = paper_model(number, 5, "AVE")
    assert m.L == L
    assert m.values[m.start] == w0
    assert m.mechanism == {"name": "AVE"}
    assert m.is_rational == (number in (2, 4))


def test_model2_grid_exact():
    m = paper_model(2, 5)
    assert m.values.tolist() == [F(k, 10) for k in range(11)]


def test_float_inputs_read_as_decimals_in_exact_mode():
    m = create(1, [0.1, 0.2], [[0.2, 0.8], [0.7, 0.3]], start=0)
    assert m.exact()["values"].tolist() == [F(1, 10), F(1, 5)]
    assert m.exact()["transition"][0].tolist() == [F(1, 5), F(4, 5)]


@pytest.mark.parametrize(
    "kwargs, field, fragment",
    [
        (dict(n=0), "n", "at least 1"),
        (dict(n=1.5), "n", "integer"),
        (dict(values=[]), "values", "empty"),
        (dict(values=[0, float("nan")]), "values[1]", "finite number"),
        (dict(values=[[0, 1]]), "values", "list"),
        (dict(values=[0, "x"]), "values[1]", "must be a number"),
        (dict(transition=[[0.5, 0.4], [0.5, 0.5]]), "transition", "row 0 sums"),
        (dict(transition=[[1.5, -0.5], [0.5, 0.5]]), "transition[0][1]", "must be >= 0"),
        (dict(transition=[[0.5, float("nan")], [0.5, 0.5]]), "transition[0][1]", "finite number"),
        (dict(transition=[[1.0]]), "transition", "2 x 2"),
        (dict(transition=[[1, 0], [1]]), "transition", "different lengths"),
        (dict(transition=[["1/3", "1/3"], [1, 0]]), "transition", "row 0 sums to 2/3"),
        (dict(start=2), "start", "outside the grid"),
        (dict(start=None), "start", "exactly one"),
        (dict(start=None, start_distribution=[0.5, 0.6]), "start_distribution", "sums"),
        (dict(start=None, start_distribution=[1.0]), "start_distribution", "length 2"),
        (dict(mechanism="FAIR"), "mechanism.name", "unknown value 'FAIR'"),
        (dict(mechanism="TBDS"), "mechanism.alpha", "needs alpha"),
        (dict(mechanism="TBDS", alpha=2), "mechanism.alpha", "[0, 1]"),
        (dict(mechanism="matrix"), "mechanism.matrix", "needs matrix"),
        (dict(mechanism="matrix", matrix=[[1, 0]]), "mechanism.matrix", "rows"),
        (
            dict(mechanism="matrix", matrix=[[0.6, 0, 0], [0.6, 0.6, 0]]),
            "mechanism.matrix",
            "Def 2.5",
        ),
        (dict(mechanism="matrix", matrix=[[0, 1, 0], [1, 0, 0]]), "mechanism.matrix", "Def 2.6"),
        (
            dict(mechanism="matrix", matrix=[[1, 0, 0], [-0.5, 1, 0]]),
            "mechanism.matrix",
            "negative",
        ),
    ],
)
def test_bad_models_name_the_field(kwargs, field, fragment):
    base = dict(n=2, values=[0, 1], transition=HALF, start=0)
    base.update(kwargs)
    n = base.pop("n")
    values = base.pop("values")
    transition = base.pop("transition")
    with pytest.raises(ModelError) as err:
        create(n, values, transition, **base)
    assert err.value.field == field
    assert fragment in str(err.value)


def test_per_trade_transitions_shape():
    with pytest.raises(ModelError) as err:
        create(2, [0, 1], transitions=[HALF], start=0)
    assert err.value.field == "transitions"
    with pytest.raises(ModelError) as err:
        create(2, [0, 1], transitions=[HALF, [[1, 0], [0.2, 0.7]]], start=0)
    assert err.value.field == "transitions[1]"


def test_direct_construction_validates_reallocation():
    with pytest.raises(ModelError, match="past-only"):
        ChainModel(n=1, values=[0], transition=[[1]], reallocation=[[0, 1]], start=0)


# ---------------------------------------------------------------- model files
def write(tmp_path, text):
    p = tmp_path / "m.toml"
    p.write_text(text)
    return p


GOOD = """
[model]
kind = "chain"
n = 2
values = [0, 1]
transition = [[0.5, 0.5], [0.5, 0.5]]
start = 0
[mechanism]
name = "AVE"
"""


def test_load_and_save_round_trip(tmp_path):
    m = dm.load(write(tmp_path, GOOD))
    assert m.n == 2 and m.mechanism == {"name": "AVE"}
    path = dm.save(m, tmp_path / "again.toml")
    m2 = dm.load(path)
    assert np.array_equal(m2.reallocation, m.reallocation)
    assert np.array_equal(m2.transition, m.transition)


@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_example_files_are_the_paper_models(number):
    m = dm.load(f"examples/models/chain_model{number}.toml")
    ref = paper_model(number, 5, m.mechanism["name"])
    np.testing.assert_array_equal(m.floats()["values"], ref.floats()["values"])
    np.testing.assert_array_equal(m.floats()["transition"], ref.floats()["transition"])
    assert m.start == ref.start


@pytest.mark.parametrize(
    "text, field",
    [
        (GOOD + "colour = 1\n", "mechanism.colour"),
        (GOOD.replace("n = 2", "n = 2\nsize = 3"), "model.size"),
        (GOOD.replace('kind = "chain"', 'kind = "auction"'), "model.kind"),
        (GOOD.replace('kind = "chain"\n', ""), "model.kind"),
        (GOOD.replace("start = 0", "start = 5"), "model.start"),
        (GOOD.replace("start = 0", ""), "model.start"),
        (GOOD.replace('"AVE"', '"TBDS"\nmatrix = [[1, 0, 0], [0, 1, 0]]'), "mechanism.matrix"),
        (GOOD.replace('"AVE"', '"AVE"\nalpha = 0.5'), "mechanism.alpha"),
        (GOOD.replace("transition = [[0.5, 0.5], [0.5, 0.5]]", ""), "model.transition"),
        (GOOD + "[solver]\nspeed = 1\n", "solver.speed"),
        ("[model\nkind=", "file"),
        ("x = 1\n", "model"),
    ],
)
def test_bad_model_files(tmp_path, text, field):
    with pytest.raises(ModelError) as err:
        dm.load(write(tmp_path, text))
    assert err.value.field == field


def test_unreadable_files(tmp_path):
    with pytest.raises(ModelError) as err:
        dm.load(tmp_path / "missing.toml")
    assert err.value.field == "file"
    with pytest.raises(ModelError) as err:
        dm.load(tmp_path)
    assert "directory" in str(err.value)
    bad = tmp_path / "bin.toml"
    bad.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ModelError) as err:
        dm.load(bad)
    assert err.value.field == "file"


def test_mixed_rational_strings_and_floats_are_exact():
    m = create(1, [0, 1], [["1/3", "2/3"], [0.25, 0.75]], start=0)
    assert m.transition.dtype == object
    assert m.transition[1].tolist() == [F(1, 4), F(3, 4)]


def test_paper_models_refuse_a_length_whose_values_overflow():
    assert paper_model(1, 700).L == 2801
    for number in (1, 3):
        with pytest.raises(ModelError) as e:
            paper_model(number, 1000)
        assert e.value.field == "n" and "700" in str(e.value)
    assert paper_model(2, 1000).L == 2001  # rational grids have no such limit
