"""Infosale model validation: presets, grids, objectives, model files, bad input."""

import math

import numpy as np
import pytest

import datamech as dm
from datamech import ModelError
from datamech.models.distributions import Exponential, Uniform, from_table
from datamech.models.infosale import (
    Constraints,
    Game,
    Grid,
    Objective,
    competition_game,
    complement_substitute_game,
    create,
    discretize,
    parse_expression,
)

EXP1 = Exponential(1.0)


def test_competition_table_is_eq_3_2_corrected():
    # spec §1.4 table for Example 3 (rows a_1, columns a_2), alpha = 1/4
    a = 0.25
    p = competition_game(a).payoffs
    theta0 = {(0, 0): (1 - a, 1 - a), (0, 1): (1, -a), (1, 0): (-a, 1), (1, 1): (0, 0)}
    theta1 = {(0, 0): (0, 0), (0, 1): (-a, 1), (1, 0): (1, -a), (1, 1): (1 - a, 1 - a)}
    for th, table in ((0, theta0), (1, theta1)):
        for (a1, a2), (u1, u2) in table.items():
            assert p[0, a1, a2, th] == pytest.approx(u1)
            assert p[1, a1, a2, th] == pytest.approx(u2)


def test_complement_substitute_table():
    # §5.1: (alpha, alpha), (1, 0), (0, 1), (1 - beta, 1 - beta) by correctness profile
    g = complement_substitute_game(0.7, 0.6)
    for th in (0, 1):
        r, w = th, 1 - th
        assert g.payoffs[:, r, r, th] == pytest.approx([0.7, 0.7])
        assert g.payoffs[:, r, w, th] == pytest.approx([1, 0])
        assert g.payoffs[:, w, r, th] == pytest.approx([0, 1])
        assert g.payoffs[:, w, w, th] == pytest.approx([0.4, 0.4])
    assert g.is_competitive()


def test_exponential_law_basics():
    assert EXP1.quantile(0.5) == pytest.approx(math.log(2))
    assert EXP1.virtual_value(2.5) == pytest.approx(1.5)  # phi(v) = v - 1
    T = Exponential(1.0, 2.0, high=5.0)
    # spec §4.3: phi(v) = v - 1 + e^{v - 5}, phi(2) = 1 + e^{-3}
    assert T.virtual_value(2.0) == pytest.approx(1 + math.exp(-3))
    assert T.cdf(5.0) == pytest.approx(1.0)
    U = Uniform(0.0, 1.0)
    assert U.virtual_value(0.5) == pytest.approx(0.0)  # footnote 2: v_0 = 1/2


@pytest.mark.parametrize("scheme", ["left", "condmean"])
@pytest.mark.parametrize("mode", ["lump", "drop"])
def test_grids_are_probability_vectors(scheme, mode):
    v, q = discretize(EXP1, Grid(cells=50, scheme=scheme, tail_mode=mode))
    assert q.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.all(np.diff(v) > 0) and np.all(q > 0)
    if scheme == "left":
        assert v[0] == 0.0  # keeps v_lower exact
    if scheme == "condmean" and mode == "lump":
        assert float(v @ q) == pytest.approx(1.0, abs=1e-12)  # E[V] of Exp(1)


def test_defaults_and_n_buyers():
    m = create("competition", alpha=0.5)
    assert m.n == 2 and m.mu == 0.5 and m.types[0] is m.types[1]
    assert m.objective.kind == "revenue" and m.constraints.truthfulness == "adjacent"


def test_expression_objective_split():
    g, w = parse_expression("v1*KroneckerDelta(a1, theta) + 2*p2", 2)
    assert w == [0.0, 2.0]
    val = g(
        np.array([0, 1]),
        (np.array([0, 0]), np.array([1, 1])),
        (np.array([3.0, 3.0]), np.array([1.0, 1.0])),
    )
    assert val.tolist() == [3.0, 0.0]


@pytest.mark.parametrize(
    "kwargs, field, fragment",
    [
        (dict(prior=[0.5, 0.6]), "prior", "not 1"),
        (dict(prior=[1.2, -0.2]), "prior", "negative"),
        (dict(prior=[1.0]), "prior", "2 state"),
        (dict(cells=0), "grid.cells", "empty"),
        (dict(scheme="mid"), "grid.scheme", "unknown value 'mid'"),
        (dict(alpha=1.5), "game.alpha", "[0, 1]"),
        (dict(alpha=None), "game.alpha", "needs alpha"),
        (dict(objective="entropy"), "objective.kind", "linear"),
        (dict(truthfulness="sometimes"), "constraints.truthfulness", "adjacent"),
        (dict(buyers=[EXP1, EXP1, EXP1]), "buyers", "3 type laws"),
    ],
)
def test_bad_models_name_their_field(kwargs, field, fragment):
    args = dict(alpha=0.5)
    args.update(kwargs)
    with pytest.raises(ModelError) as e:
        create("competition", **args)
    assert e.value.field == field
    assert fragment in e.value.problem


@pytest.mark.parametrize(
    "payoffs, fragment",
    [
        (np.zeros((3, 2, 2, 2)), "must be 2"),
        (np.zeros((2, 2)), "shape"),
        ([[[[0, 1], [1]]]], "different lengths"),
        (np.zeros((1, 0, 2)), "empty axis"),
    ],
)
def test_bad_payoff_tables(payoffs, fragment):
    with pytest.raises(ModelError) as e:
        Game(payoffs)
    # the number reader names the entry of a ragged table (game.payoffs[0][0])
    assert e.value.field.startswith("game.payoffs") and fragment in e.value.problem


@pytest.mark.parametrize(
    "expr, fragment",
    [
        ("p1**2", "not linear"),
        ("p1*p2", "not linear"),
        ("v1*p1", "not linear"),
        ("exp(p1)", "not linear"),
        ("sigma + p1", "unknown name"),
    ],
)
def test_nonlinear_objectives_are_rejected(expr, fragment):
    with pytest.raises(ModelError) as e:
        Objective("expression", expression=expr)
    assert e.value.field == "objective.expression" and fragment in e.value.problem


@pytest.mark.parametrize(
    "kw, field",
    [
        (dict(family="discrete", values=[], probs=[]), "buyer.values"),
        (dict(family="discrete", values=[1, 2], probs=[0.5, 0.6]), "buyer.probs"),
        (dict(family="exponential"), "buyer.rate"),
        (dict(family="exponential", rate=-1), "buyer.rate"),
        (dict(family="uniform", low=1, high=0), "buyer.high"),
        (dict(family="gamma"), "buyer.family"),
    ],
)
def test_bad_type_laws(kw, field):
    with pytest.raises(ModelError) as e:
        from_table(kw)
    assert e.value.field == field


def test_beta_must_respect_alpha_ge_one_minus_beta():
    with pytest.raises(ModelError) as e:
        complement_substitute_game(0.3, 0.5)
    assert e.value.field == "game.beta"


def test_constraints_accept_booleans_for_truthfulness():
    assert Constraints(truthfulness=False).truthfulness == "off"
    assert Constraints(truthfulness=True).truthfulness == "adjacent"


def _write(tmp_path, text):
    p = tmp_path / "m.toml"
    p.write_text(text)
    return p


BASE = """
[model]
kind = "infosale"
prior = [0.5, 0.5]
[game]
preset = "competition"
alpha = 0.5
[buyer]
family = "exponential"
rate = 1.0
[grid]
cells = 6
"""


def test_toml_roundtrip(tmp_path):
    for name in ("competition", "complement_substitute", "table_welfare"):
        m = dm.load(f"examples/models/infosale_{name}.toml")
        out = dm.save(m, tmp_path / f"{name}.toml")
        m2 = dm.load(out)
        assert np.array_equal(m2.game.payoffs, m.game.payoffs)
        assert m2.prior.tolist() == m.prior.tolist() and m2.grid == m.grid
        assert m2.constraints == m.constraints and m2.objective.kind == m.objective.kind
        assert m2.type_grid(0)[0].tolist() == m.type_grid(0)[0].tolist()


@pytest.mark.parametrize(
    "extra, field",
    [
        ("[grid]\ncolor = 1\n", "file"),  # duplicate table is a TOML error -> file
        ("[constraints]\nobedient = true\n", "constraints.obedient"),
        ("[solver]\nspeed = 1\n", "solver.speed"),
        ("[extras]\nx = 1\n", "file.extras"),
    ],
)
def test_unknown_keys_are_errors(tmp_path, extra, field):
    with pytest.raises(ModelError) as e:
        dm.load(_write(tmp_path, BASE + extra))
    assert e.value.field == field


def test_bad_file_values(tmp_path):
    with pytest.raises(ModelError) as e:
        dm.load(_write(tmp_path, BASE.replace("[0.5, 0.5]", "[0.5, 0.4]")))
    assert e.value.field == "prior"
    with pytest.raises(ModelError) as e:
        dm.load(_write(tmp_path, BASE.replace("cells = 6", "cells = 0")))
    assert e.value.field == "grid.cells"
    text = BASE + '[objective]\nkind = "expression"\nexpression = "p1*p1"\n'
    with pytest.raises(ModelError) as e:
        dm.load(_write(tmp_path, text))
    assert e.value.field == "objective.expression"
