"""The exact MIP for grid-optimal reallocation matrices (issue 3 item 1, second bullet).

Independent check: exhaustive enumeration of the same grid, each matrix solved on its own
by the exact (Fraction) equilibrium solver; and the batched float enumeration of opt.py.
"""

import itertools
import random
import subprocess
import sys
from fractions import Fraction as F

import numpy as np
import pytest

from datamech import ModelError, SolverError
from datamech.models.chain import create, paper_model
from datamech.solvers.chain import solve_equilibrium
from datamech.solvers.chain.mip import (
    ChainMipResult,
    estimate_binaries,
    margins,
    optimize_mip,
)
from datamech.solvers.chain.opt import optimize_reallocation, simplex_grid


def brute_force(model, m, rule="first", objective="social_welfare", fixed=None):
    """Best objective over every grid matrix, each solved exactly; and all its maximizers."""
    n, fixed = model.n, fixed or {}
    values = {}
    for choice in itertools.product(*[simplex_grid(i, m) for i in range(1, n + 1)]):
        t = np.full((n, n + 1), F(0), dtype=object)
        for i, row in enumerate(choice, start=1):
            t[i - 1, :i] = [F(int(x), m) for x in row]
        if any(t[i - 1, j] != v for (i, j), v in fixed.items()):
            continue
        eq = solve_equilibrium(model.with_mechanism("matrix", matrix=t), exact=True, tie_break=rule)
        values[tuple(t.flat)] = getattr(eq, objective)
    best = max(values.values())
    return best, [k for k, v in values.items() if v == best]


def random_chain(seed, n, L=5, dq=4, dw=2):
    """A random chain with exact rational values k/dw and transition rows in quarters."""
    rng = random.Random(seed)
    vals = [F(rng.randint(-2 * dw, 3 * dw), dw) for _ in range(L)]
    Q = []
    for _ in range(L):
        cuts = sorted(rng.randint(0, dq) for _ in range(L - 1))
        Q.append([F(b - a, dq) for a, b in zip([0, *cuts], [*cuts, dq], strict=True)])
    return create(n, vals, Q, start=rng.randrange(L))


HARD = random_chain(3, 4)  # n = 4, L = 5: about 15 s to prove at m = 4


def assert_matches(res, best, maximizers, objective):
    assert isinstance(res, ChainMipResult)
    assert res.certified and res.status == "optimal" and res.method == "mip"
    assert res.objective_value == pytest.approx(float(best), abs=1e-9)
    # the matrix may differ from enumeration's only when tied in the objective
    assert tuple(res.matrix.flat) in maximizers
    exact = getattr(res.equilibrium, objective)
    assert exact == best  # re-evaluated exactly at the returned matrix
    assert all(
        isinstance(x, F) and (x * int(res.grid_step[2:])).denominator == 1 for x in res.matrix.flat
    )
    assert res.mip_gap == pytest.approx(0, abs=1e-9) and res.binaries == res.budget > 0


CASES = [  # (seed, n, m, tie rule, objective)
    (0, 2, 2, "first", "social_welfare"),
    (1, 2, 3, "low", "social_welfare"),
    (2, 2, 4, "high", "transaction_volume"),
    (3, 3, 2, "first", "social_welfare"),
    (4, 3, 3, "high", "social_welfare"),
    (17, 3, 4, "first", "social_welfare"),
    (6, 3, 4, "low", "transaction_volume"),
    (9, 3, 4, "high", "social_welfare"),
]


@pytest.mark.parametrize("seed, n, m, rule, objective", CASES)
def test_mip_equals_exhaustive_enumeration(seed, n, m, rule, objective):
    model = random_chain(seed, n)
    res = optimize_mip(model, objective, m=m, tie_break=rule)
    best, maximizers = brute_force(model, m, rule, objective)
    assert_matches(res, best, maximizers, objective)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [5, *range(30, 50)])
def test_mip_equals_enumeration_many_random(seed):
    rng = random.Random(seed)
    n, m = rng.choice([2, 3]), rng.choice([2, 3, 4])
    rule = rng.choice(["first", "low", "high"])
    objective = rng.choice(["social_welfare", "transaction_volume"])
    model = random_chain(seed, n)
    res = optimize_mip(model, objective, m=m, tie_break=rule)
    assert_matches(res, *brute_force(model, m, rule, objective), objective)


def test_per_trade_transitions_and_start_distribution():
    a, b = random_chain(21, 2), random_chain(22, 2)
    model = create(
        2, [F(-1), F(0), F(1, 2), F(1), F(2)], transitions=[a.transition, b.transition],
        start_distribution=[F(1, 2), 0, F(1, 4), 0, F(1, 4)],
    )  # fmt: skip
    for rule in ("first", "low", "high"):
        res = optimize_mip(model, m=3, tie_break=rule)
        assert_matches(res, *brute_force(model, 3, rule), "social_welfare")


@pytest.mark.parametrize("m", [2, 3, 4])
def test_mip_on_paper_model2_n2_matches_enumerate_method(m):
    model = paper_model(2, 2)  # L = 5, exact rationals k/4
    res = optimize_reallocation(model, method="mip", m=m)
    enum = optimize_reallocation(model, method="enumerate", m=m)
    best, maximizers = brute_force(model, m)
    assert enum.social_welfare == pytest.approx(float(best), abs=1e-12)
    assert_matches(res, best, maximizers, "social_welfare")
    assert res.first_best == enum.first_best and res.gap_to_first_best >= 0


@pytest.mark.parametrize(
    "number, n, m", [(2, 3, 2), pytest.param(2, 3, 3, marks=pytest.mark.slow),
                     pytest.param(2, 3, 4, marks=pytest.mark.slow),
                     (4, 2, 4)]
)  # fmt: skip
def test_mip_on_larger_paper_models(number, n, m):
    model = paper_model(number, n)  # L = 7 (model 2, n = 3), 9 (model 4, n = 2)
    res = optimize_mip(model, m=m)
    assert_matches(res, *brute_force(model, m), "social_welfare")


def test_fixed_entries():
    model = random_chain(5, 3)
    fixed = {(3, 0): F(1, 4), (2, 1): 1}
    res = optimize_mip(model, m=4, fixed=fixed)
    assert res.matrix[2, 0] == F(1, 4) and res.matrix[1, 1] == 1
    assert_matches(res, *brute_force(model, 4, fixed=fixed), "social_welfare")
    enum = optimize_reallocation(model, method="enumerate", m=4, fixed=fixed)
    assert enum.social_welfare == pytest.approx(res.social_welfare, abs=1e-12)


def test_start_matrix_speeds_the_proof_not_the_answer():
    # HARD (n = 4) takes 13-20 s to prove from scratch; from its optimum, one node
    enum = optimize_reallocation(HARD, method="enumerate", m=4)
    res = optimize_mip(HARD, m=4, start=enum.matrix, time_limit=60)
    assert res.certified and res.social_welfare == pytest.approx(enum.social_welfare, abs=1e-12)
    raw = optimize_mip(random_chain(3, 3), m=4, start=[[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]])
    assert_matches(raw, *brute_force(random_chain(3, 3), 4), "social_welfare")


@pytest.mark.parametrize(
    "start, fragment",
    [
        ([[1, 0, 0], [1, 0, 0]], "shape"),
        ([[1, 0, 0, 0], [F(1, 3), F(2, 3), 0, 0], [1, 0, 0, 0]], "not on the grid"),
        ([[1, 0, 0, 0], [F(1, 4), F(1, 4), 0, 0], [1, 0, 0, 0]], "sum to 1"),
        ([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1]], "past-only"),
        ([[1, 0, 0, 0], [2, -1, 0, 0], [1, 0, 0, 0]], "negative"),
        ([[1, 0, 0, 0], [1, 0, 0, 0], ["x", 0, 0, 0]], "must be a number"),
        ([[1, 0, 0, 0], [0, 1, 0, 0], [1, 0, 0, 0]], "fixed"),
    ],
)
def test_bad_start_matrix(start, fragment):
    with pytest.raises(ModelError, match=fragment) as err:
        optimize_mip(random_chain(3, 3), m=4, start=start, fixed={(2, 0): F(1, 2)})
    assert err.value.field.startswith("solver.start")  # the option, or its bad entry


@pytest.mark.parametrize(
    "fixed, fragment",
    [({(3, 0): F(1, 3)}, "not on the grid"), ({(2, 0): 0.5, (2, 1): 0.25}, "budget balance")],
)
def test_bad_fixed_entries(fixed, fragment):
    with pytest.raises(ModelError, match=fragment) as err:
        optimize_mip(random_chain(5, 3), m=4, fixed=fixed)
    assert err.value.field == "solver.fixed"


def test_margins_and_size_estimate():
    # paper model 2 at n = 3: W = k/6 (d_W = 6), Q in fifths (d_Q = 5); m = 4
    assert margins(paper_model(2, 3), 4) == [
        F(1, 6 * 20**3),
        F(1, 6 * 20**2),
        F(1, 6 * 20),
        F(1, 6),
    ]
    # n = 2, L = 5, m = 2, one start state: 2 entries x 2 levels; stage 1: 5 x 5 choices;
    # stage 0: 20 comparisons + 5 validity + 5 choices + 1 "no price"
    assert estimate_binaries(paper_model(2, 2), 2) == 4 + 25 + 31
    res = optimize_mip(paper_model(2, 2), m=2)
    assert res.binaries <= estimate_binaries(paper_model(2, 2), 2)


def test_size_guard_is_immediate():
    import time

    t0 = time.perf_counter()
    with pytest.raises(ModelError, match="binaries, more than max_binaries = 100") as err:
        optimize_mip(paper_model(2, 3), m=4, max_binaries=100)
    assert err.value.field == "solver.max_binaries"
    with pytest.raises(ModelError) as err:  # L = 21, n = 5: thousands of binaries
        optimize_reallocation(paper_model(4, 5), method="mip")
    assert err.value.field == "solver.max_binaries"
    assert time.perf_counter() - t0 < 2


def test_no_exact_margin_for_float_grids():
    # Model 1's grid exp(k/2) is read as long decimals: no usable exact margin
    with pytest.raises(ModelError, match="margin") as err:
        optimize_mip(paper_model(1, 2), m=2)
    assert err.value.field == "solver.min_delta"
    # paper model 2 at n = 5, m = 4: 1/E_0 = 1/(10 (4*5)^5) = 3.1e-8
    with pytest.raises(ModelError, match="3.12e-08") as err:
        optimize_mip(paper_model(2, 5), m=4, max_binaries=10**6)
    assert err.value.field == "solver.min_delta"


def test_time_limit_without_incumbent_raises():
    with pytest.raises(SolverError) as err:
        optimize_mip(HARD, m=4, time_limit=0.001)
    assert err.value.status == "time_limit"


@pytest.mark.slow
def test_time_limit_reports_incumbent_uncertified():
    best = optimize_reallocation(HARD, method="enumerate", m=4)
    try:
        res = optimize_mip(HARD, m=4, time_limit=3)
    except SolverError as err:  # no incumbent yet on a slow machine: the other legal outcome
        assert err.status == "time_limit"
        return
    assert res.status == "time_limit" and not res.certified
    assert res.social_welfare <= best.social_welfare + 1e-12
    assert res.objective_value == float(res.equilibrium.social_welfare)


@pytest.mark.slow
def test_n4_l5_m4_proven():
    res = optimize_mip(HARD, m=4)
    assert_matches(res, *brute_force(HARD, 4), "social_welfare")


@pytest.mark.parametrize(
    "kw, field",
    [
        ({"tie_break": "welfare_max"}, "solver.tie_break"),
        ({"tie_break": "coin"}, "solver.tie_break"),
        ({"objective": "player_utility:0"}, "solver.objective"),
        ({"m": 0}, "solver.m"),
        ({"m": 2.5}, "solver.m"),
        ({"time_limit": -1}, "solver.time_limit"),
        ({"mip_gap": -0.1}, "solver.mip_gap"),
        ({"max_binaries": 0}, "solver.max_binaries"),
        ({"min_delta": "tiny"}, "solver.min_delta"),
    ],
)
def test_bad_mip_input(kw, field):
    with pytest.raises(ModelError) as err:
        optimize_mip(paper_model(2, 2), **kw)
    assert err.value.field == field


def test_bad_model_type():
    with pytest.raises(ModelError) as err:
        optimize_mip("model.toml")
    assert err.value.field == "model"


def test_result_serializes_and_formats():
    res = optimize_mip(paper_model(2, 2), m=2, mip_gap=0.5)
    d = res.to_dict()
    assert d["method"] == "mip" and d["binaries"] == res.binaries and d["mip_status"] == "optimal"
    # stopped within the requested gap: optimal to that tolerance, not certified exactly
    assert res.status == "optimal" and not res.certified
    assert "binaries" in res.format() and "HiGHS" in res.format()


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "datamech.cli", *args], capture_output=True, text=True, check=False
    )


@pytest.mark.slow
def test_cli_sweep_with_mip():
    import json

    out = _cli(
        "sweep", "--models", "model2", "--n", "2", "--mechanisms", "OPT", "--opt-method", "mip",
        "--workers", "1", "--json", "--quiet",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    (row,) = json.loads(out.stdout)["rows"]
    best, _ = brute_force(paper_model(2, 2), 4)
    assert row["status"] == "optimal" and row["opt_method"] == "mip"
    assert row["social_welfare"] == pytest.approx(float(best), abs=1e-12)
    bad = _cli(
        "sweep", "--models", "model4", "--n", "5", "--mechanisms", "OPT", "--opt-method", "mip",
        "--workers", "1", "--quiet",
    )  # fmt: skip
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and "max_binaries" in bad.stderr
