"""OPT search: enumeration checked against one-by-one solves, DE against the grid
optimum and the paper, the first-best bound against hand values and path enumeration."""

import itertools
from fractions import Fraction as F

import numpy as np
import pytest

from datamech import ModelError
from datamech.models.chain import create, paper_model
from datamech.solvers.chain import solve_equilibrium
from datamech.solvers.chain.opt import (
    first_best_bound,
    grid_size,
    optimize_reallocation,
    simplex_grid,
)


def test_simplex_grid_and_size():
    assert simplex_grid(1, 4).tolist() == [[4]]
    assert simplex_grid(2, 2).tolist() == [[0, 2], [1, 1], [2, 0]]
    assert len(simplex_grid(5, 4)) == 70
    assert grid_size(5, 4) == 1 * 5 * 15 * 35 * 70 == 183_750  # issue 3: "under 200,000"


def grid_welfares(model, m, tie_break):
    """(exact welfare, matrix) of every budget-balanced grid matrix of step 1/m, each
    solved on its own by the unbatched path, in enumeration order (rows in lexicographic
    order, the last trade's row varying fastest)."""
    n = model.n
    rows = [simplex_grid(i, m) for i in range(1, n + 1)]
    out = []
    for choice in itertools.product(*rows):
        t = np.full((n, n + 1), F(0), dtype=object)
        for i, row in enumerate(choice, start=1):
            t[i - 1, :i] = [F(int(x), m) for x in row]
        eq = solve_equilibrium(
            model.with_mechanism("matrix", matrix=t), exact=True, tie_break=tie_break
        )
        out.append((eq.social_welfare, t))
    return out


def test_enumeration_equals_one_by_one_solves():
    model = paper_model(4, 3)
    res = optimize_reallocation(model, method="enumerate", m=3, tie_break="low")
    welfares = grid_welfares(model, 3, "low")
    best = max(w for w, _ in welfares)
    first = next(t for w, t in welfares if w == best)
    assert res.evaluations == 40 and res.certified
    assert res.social_welfare == pytest.approx(float(best), abs=1e-12)
    assert np.array_equal(res.matrix, first)


@pytest.fixture(scope="module")
def model4_optima():
    """The optimal grid matrices (step 1/3) of paper Model 4 at n = 3, enumeration order."""
    welfares = grid_welfares(paper_model(4, 3), 3, "first")
    best = max(w for w, _ in welfares)
    return [t for w, t in welfares if w == best]


@pytest.mark.parametrize("batch", [1, 2, 7, 2000])
def test_enumeration_result_does_not_depend_on_the_batch_size(batch, model4_optima):
    # the optimum ties (several grid matrices reach it); every batch size must return the
    # first of them in enumeration order, as a single batch does
    assert len(model4_optima) > 1
    res = optimize_reallocation(paper_model(4, 3), method="enumerate", m=3, batch=batch)
    assert res.certified and res.evaluations == 40
    assert np.array_equal(res.matrix, model4_optima[0])


def test_enumeration_objectives_and_workers():
    model = paper_model(2, 3)
    tv = optimize_reallocation(model, method="enumerate", m=2, objective="transaction_volume")
    sw = optimize_reallocation(model, method="enumerate", m=2)
    assert tv.transaction_volume >= sw.transaction_volume - 1e-12
    assert sw.social_welfare >= tv.social_welfare - 1e-12
    par = optimize_reallocation(model, method="enumerate", m=2, workers=2)
    assert np.array_equal(par.matrix, sw.matrix)
    p0 = optimize_reallocation(model, method="enumerate", m=2, objective="player_utility:0")
    assert p0.objective_value >= float(sw.equilibrium.player_utility[0]) - 1e-12


PAPER_OPT_SW = {1: (10.804, 0.099), 2: (0.621, 0.002), 4: (0.337, 0.004)}


@pytest.mark.parametrize("number", [1, 2, 4])
def test_evolution_reaches_the_paper_and_beats_ave(number):
    model = paper_model(number, 5)
    res = optimize_reallocation(model, tie_break="first", tol=0.0, restarts=1, seed=0)
    ave = solve_equilibrium(model.with_mechanism("AVE"), tie_break="first", tol=0.0)
    mean, std = PAPER_OPT_SW[number]
    assert res.social_welfare >= float(ave.social_welfare)
    assert res.social_welfare >= mean - std  # issue 3: within the paper's std or above
    assert res.social_welfare <= res.first_best + 1e-12
    # the matrix is budget balanced and past only, and reproduces its welfare
    T = np.asarray(res.matrix, dtype=float)
    assert np.allclose(T.sum(axis=1), 1) and np.allclose(np.triu(T[:, :-1], 0) * 0, 0)
    for i in range(1, 6):
        assert np.all(T[i - 1, i:] == 0)
    again = solve_equilibrium(model.with_mechanism("matrix", matrix=T), tie_break="first", tol=0.0)
    assert float(again.social_welfare) == pytest.approx(res.social_welfare)


def test_evolution_is_reproducible():
    model = paper_model(2, 3)
    a = optimize_reallocation(model, seed=7, restarts=1, maxiter=10)
    b = optimize_reallocation(model, seed=7, restarts=1, maxiter=10)
    assert np.array_equal(a.matrix, b.matrix) and a.evaluations == b.evaluations


def test_first_best_by_hand():
    half = [F(1, 2), F(1, 2)]
    # values {0, 1}: every prefix sum is maximal at the end: E[v_1 + v_2] = 1
    m = create(2, [0, 1], [half, half], start=0)
    assert first_best_bound(m, exact=True) == 1
    # values {-1, 1}, v_0 = 1: E[max(0, v_1, v_1 + v_2)] = (0 + 0 + 1 + 2)/4
    m = create(2, [-1, 1], [half, half], start=1)
    assert first_best_bound(m, exact=True) == F(7, 4)
    assert first_best_bound(m) == pytest.approx(1.75)


def test_first_best_matches_path_enumeration():
    model = paper_model(4, 3)
    d = model.exact()
    W, Q = d["values"], d["transition"]
    total = F(0)
    for path in itertools.product(range(model.L), repeat=3):
        prob, prev = F(1), model.start
        for l in path:
            prob *= Q[prev, l]
            prev = l
        if prob:
            sums = np.cumsum([W[l] for l in path])
            total += prob * max(F(0), *sums)
    assert first_best_bound(model, exact=True) == W[model.start] + total


@pytest.mark.parametrize(
    "kw, field",
    [
        ({"method": "anneal"}, "solver.method"),
        ({"objective": "profit"}, "solver.objective"),
        ({"objective": "player_utility:9"}, "solver.objective"),
        ({"method": "enumerate", "m": 0}, "solver.m"),
        ({"method": "enumerate", "m": 4, "max_matrices": 1000}, "solver.m"),
        ({"tie_break": "coin"}, "solver.tie_break"),
    ],
)
def test_bad_opt_input(kw, field):
    with pytest.raises(ModelError) as err:
        optimize_reallocation(paper_model(2, 5), **kw)
    assert err.value.field == field


def test_too_large_grid_message():
    with pytest.raises(ModelError, match="183,750 matrices"):
        optimize_reallocation(paper_model(2, 5), method="enumerate", m=4, max_matrices=1000)


def test_fixed_entries_are_respected():
    model = paper_model(2, 3)
    # player 0 gets a quarter of trade 3; trade 2 goes wholly to player 1
    fixed = {(3, 0): F(1, 4), (2, 1): 1}
    enum = optimize_reallocation(model, method="enumerate", m=4, fixed=fixed)
    assert enum.matrix[2, 0] == F(1, 4) and enum.matrix[1].tolist()[:2] == [0, 1]
    assert enum.evaluations == 4  # row 3: (1/4, a, 3/4 - a) with a in {0, 1/4, 1/2, 3/4}
    de = optimize_reallocation(model, fixed=fixed, restarts=1, maxiter=5)
    assert de.matrix[2, 0] == pytest.approx(0.25) and de.matrix[1, 1] == pytest.approx(1)
    assert de.matrix.sum(axis=1) == pytest.approx([1, 1, 1])


@pytest.mark.parametrize(
    "fixed, fragment",
    [
        ({(2, 0): 0.5, (2, 1): 0.25}, "breaks budget balance"),
        ({(3, 1): 1.5}, "is outside"),
        ({(2, 2): 0.5}, "Def 2.6"),
        ({(4, 0): 0.5}, "outside 1..3"),
        ({(3, 0): 0.7, (3, 1): 0.7}, "breaks budget balance"),
        ({(3, 0): 1 / 3}, "not on the grid"),
    ],
)
def test_infeasible_fixed_entries(fixed, fragment):
    with pytest.raises(ModelError, match=fragment) as err:
        optimize_reallocation(paper_model(2, 3), method="enumerate", m=4, fixed=fixed)
    assert err.value.field == "solver.fixed"


def test_time_limit_is_reported_not_certified():
    res = optimize_reallocation(
        paper_model(2, 5), method="enumerate", m=4, time_limit=0.3, batch=500
    )
    assert res.status == "time_limit" and not res.certified
    assert 0 < res.evaluations < 183_750
    de = optimize_reallocation(paper_model(2, 5), time_limit=0.2, restarts=5)
    assert de.status == "time_limit"
