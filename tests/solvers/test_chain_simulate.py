"""Monte Carlo play of chain strategy profiles against the exact metrics."""

from __future__ import annotations

import json
import math
from fractions import Fraction as F

import numpy as np
import pytest

from datamech.errors import ModelError
from datamech.models.chain import create, paper_model
from datamech.solvers.chain import solve_equilibrium
from datamech.solvers.chain.simulate import ChainSimulation, simulate


def assert_agrees(sim: ChainSimulation, eq, bound: float = 4.0) -> None:
    """Every estimate lies within ``bound`` standard errors of the exact metric."""
    table = sim.compare(eq)
    assert len(table) == 2 + sim.n + (sim.n + 1)
    bad = {k: v for k, v in table.items() if not abs(v["z"]) <= bound}
    assert not bad, bad


def random_model(seed: int, n: int, L: int, *, per_trade: bool, start_law: bool, mechanism: str):
    """A small chain with random rational transitions and values of both signs."""
    rng = np.random.default_rng(seed)

    def stochastic(rows: int) -> list[list[F]]:
        out = []
        for _ in range(rows):
            w = rng.integers(0, 4, size=L)
            w[rng.integers(L)] += 1  # no empty row
            out.append([F(int(x), int(w.sum())) for x in w])
        return out

    values = [F(int(x), 4) for x in rng.integers(-6, 9, size=L)]
    kwargs: dict = {}
    if per_trade:
        kwargs["transitions"] = [stochastic(L) for _ in range(n)]
    else:
        kwargs["transition"] = stochastic(L)
    if start_law:
        kwargs["start_distribution"] = stochastic(1)[0]
    else:
        kwargs["start"] = int(rng.integers(L))
    alpha = F(1, 3) if mechanism == "TBDS" else None
    return create(n, values, mechanism=mechanism, alpha=alpha, **kwargs)


# ---------------------------------------------------------------------- agreement
@pytest.mark.parametrize("number", [1, 2, 4])
@pytest.mark.parametrize("mechanism", ["RAW", "AVE"])
def test_paper_models_agree_with_exact_metrics(number, mechanism):
    model = paper_model(number, n=5, mechanism=mechanism)
    eq = solve_equilibrium(model)
    sim = simulate(model, eq, samples=200_000, seed=number)
    assert_agrees(sim, eq)
    assert sim.samples == 200_000 and sim.n == 5
    assert sim.trade_success.shape == (5,) and sim.player_utility.shape == (6,)
    # the paper's Table 1 scale: standard errors of a few thousandths at most
    assert sim.social_welfare_se < 0.05


@pytest.mark.parametrize(
    "seed, n, L, per_trade, start_law, mechanism",
    [
        (11, 3, 5, True, True, "AVE"),
        (12, 4, 4, True, False, "TBDS"),
        (13, 3, 6, False, True, "RAW"),
    ],
)
def test_random_rational_models_agree(seed, n, L, per_trade, start_law, mechanism):
    model = random_model(seed, n, L, per_trade=per_trade, start_law=start_law, mechanism=mechanism)
    assert min(model.values) < 0
    for eq in (solve_equilibrium(model, exact=True), solve_equilibrium(model)):
        sim = simulate(model, eq, samples=100_000, seed=seed)
        assert sim.exact == eq.exact
        assert_agrees(sim, eq)


@pytest.mark.parametrize("tol", [0.0, 1e-9])
def test_float_tolerance_of_the_equilibrium_is_used(tol):
    # Model 2's equilibrium depends on the tolerance (spec §4); each simulation must
    # describe its own equilibrium's play.
    model = paper_model(2, n=5, mechanism="RAW")
    eq = solve_equilibrium(model, tol=tol)
    sim = simulate(model, eq, samples=100_000, seed=5)
    assert sim.tol == tol
    assert_agrees(sim, eq)


def test_buyer_accepts_within_tolerance_like_the_exact_metrics():
    # one trade, point masses; the buyer's threshold sits 1e-12 below the price
    model = create(1, [0.0, 1.0], [[0.0, 1.0], [0.0, 1.0]], start=0)
    u = np.array([[0.0, 0.0], [0.0, 1.0]])
    p = np.array([[1.0 + 1e-12, 0.0]])
    loose = simulate(model, {"thresholds": u, "prices": p, "tol": 1e-9}, samples=10)
    strict = simulate(model, {"thresholds": u, "prices": p, "tol": 0.0}, samples=10)
    assert loose.trade_success[0] == 1.0 and loose.transaction_volume == 1.0
    assert strict.trade_success[0] == 0.0 and strict.transaction_volume == 0.0


def test_profile_forms_give_the_same_play_as_the_equilibrium():
    model = paper_model(4, n=3, mechanism="AVE")
    eq = solve_equilibrium(model, exact=True)
    base = simulate(model, eq, samples=20_000, seed=9)
    as_dict = simulate(
        model, {"thresholds": eq.thresholds, "prices": eq.prices}, samples=20_000, seed=9
    )
    as_lists = simulate(model, (eq.thresholds.tolist(), eq.prices.tolist()), samples=20_000, seed=9)
    assert as_dict.exact and as_lists.exact
    for other in (as_dict, as_lists):
        assert other.social_welfare == base.social_welfare
        np.testing.assert_array_equal(other.player_utility, base.player_utility)


# ---------------------------------------------------------------------- exact answers
def point_mass_chain(mechanism: str, alpha=None):
    """v_0..v_4 = 1, 3/4, 2, 1/2, -1/2 with certainty: the last buyer never buys.

    Dyadic values and shares keep every float operation exact.
    """
    values = [F(1), F(3, 4), F(2), F(1, 2), F(-1, 2)]
    L = len(values)

    def to(target: int) -> list[list[F]]:
        return [[F(int(col == target)) for col in range(L)] for _ in range(L)]

    return create(
        4,
        values,
        transitions=[to(1), to(2), to(3), to(4)],
        start_distribution=[F(1), F(0), F(0), F(0), F(0)],
        mechanism=mechanism,
        alpha=alpha,
    )


@pytest.mark.parametrize("mechanism, alpha", [("RAW", None), ("TBDS", F(1, 2))])
@pytest.mark.parametrize("exact", [True, False])
def test_point_mass_chain_is_reproduced_exactly(mechanism, alpha, exact):
    model = point_mass_chain(mechanism, alpha)
    eq = solve_equilibrium(model, exact=exact)
    sim = simulate(model, eq, samples=3_001, seed=2, chunk_size=1_000)
    assert [float(x) for x in eq.trade_success] == [1.0, 1.0, 1.0, 0.0]
    assert sim.social_welfare == float(eq.social_welfare)
    assert sim.transaction_volume == float(eq.transaction_volume) == 3.0
    assert sim.trade_success.tolist() == [float(x) for x in eq.trade_success]
    assert sim.player_utility.tolist() == [float(x) for x in eq.player_utility]
    assert sim.social_welfare_se == 0.0 and sim.transaction_volume_se == 0.0
    assert not np.any(sim.player_utility_se) and not np.any(sim.trade_success_se)
    assert all(row["z"] == 0.0 for row in sim.compare(eq).values())


def test_point_mass_chain_by_hand():
    # RAW: buyer 4 (value -1/2) refuses every price, so u_3 = 1/2, and each seller
    # posts its buyer's threshold: p_2 = 1/2, p_1 = u_2 = 2 + 1/2, p_0 = u_1 = 3/4 + 5/2.
    # Player 0 extracts 13/4; players 1..4 end with 0.
    model = point_mass_chain("RAW")
    sim = simulate(model, solve_equilibrium(model, exact=True), samples=10)
    assert sim.player_utility.tolist() == [1 + 13 / 4, 0.0, 0.0, 0.0, 0.0]
    assert sim.social_welfare == 1 + 3 / 4 + 2 + 1 / 2


# ---------------------------------------------------------------------- randomness
def test_same_seed_same_numbers_different_seed_different_numbers():
    model = paper_model(1, n=4, mechanism="AVE")
    eq = solve_equilibrium(model)
    a = simulate(model, eq, samples=5_000, seed=7).to_dict()
    b = simulate(model, eq, samples=5_000, seed=7).to_dict()
    c = simulate(model, eq, samples=5_000, seed=8).to_dict()
    for d in (a, b, c):
        d.pop("seconds")
    assert a == b
    assert a["social_welfare"] != c["social_welfare"]
    assert a["player_utility"] != c["player_utility"]


def test_chunk_size_does_not_change_the_answer():
    model = random_model(21, 4, 5, per_trade=True, start_law=True, mechanism="AVE")
    eq = solve_equilibrium(model)
    one = simulate(model, eq, samples=30_000, seed=4, chunk_size=30_000)
    for chunk in (1, 999, 7_000):
        many = simulate(model, eq, samples=30_000, seed=4, chunk_size=chunk)
        assert many.chunk_size == chunk
        for name in ("social_welfare", "transaction_volume", "social_welfare_se"):
            assert getattr(many, name) == pytest.approx(getattr(one, name), rel=1e-12, abs=1e-15)
        for name in ("trade_success", "player_utility", "player_utility_se"):
            np.testing.assert_allclose(
                getattr(many, name), getattr(one, name), rtol=1e-12, atol=1e-15
            )


def test_seed_none_is_recorded_and_replays():
    model = paper_model(2, n=3, mechanism="RAW")
    eq = solve_equilibrium(model)
    first = simulate(model, eq, samples=2_000, seed=None)
    again = simulate(model, eq, samples=2_000, seed=first.seed)
    assert again.social_welfare == first.social_welfare


def test_single_sample_and_conversions():
    model = paper_model(2, n=3, mechanism="AVE")
    eq = solve_equilibrium(model)
    one = simulate(model, eq, samples=1)
    assert math.isnan(one.social_welfare_se)
    d = one.to_dict()
    assert d["social_welfare_se"] is None  # NaN is not JSON
    json.dumps(d)
    frame = simulate(model, eq, samples=500).to_frame()
    assert list(frame["player"]) == [0, 1, 2, 3]
    assert math.isnan(frame["trade_success"][0])


# ---------------------------------------------------------------------- bad input
@pytest.fixture(scope="module")
def small():
    model = paper_model(2, n=3, mechanism="RAW")
    return model, solve_equilibrium(model)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"samples": 0}, "samples"),
        ({"samples": -5}, "samples"),
        ({"samples": 10.5}, "samples"),
        ({"samples": True}, "samples"),
        ({"samples": "100"}, "samples"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
    ],
)
def test_bad_options(small, kwargs, field):
    model, eq = small
    with pytest.raises(ModelError) as info:
        simulate(model, eq, **kwargs)
    assert info.value.field == field


def test_bad_profiles(small):
    model, eq = small
    n, L = model.n, model.L
    cases = [
        ({"thresholds": np.zeros((n, L)), "prices": np.zeros((n, L))}, "thresholds"),
        ({"thresholds": np.zeros((n + 1, L)), "prices": np.zeros((n + 1, L))}, "prices"),
        ((np.zeros((n + 1, L + 1)), np.zeros((n, L + 1))), "thresholds"),
        ({"thresholds": np.zeros((n + 1, L))}, "profile"),
        ({"thresholds": 0, "prices": 0, "extra": 1}, "profile"),
        ("not a profile", "profile"),
        ((np.zeros((n + 1, L)), np.full((n, L), np.nan)), "prices[0][0]"),  # the entry
        (([[0.0] * L] * n + [[0.0]], np.zeros((n, L))), "thresholds"),
        ({"thresholds": np.zeros((n + 1, L)), "prices": np.zeros((n, L)), "tol": -1}, "solver.tol"),
    ]
    for profile, field in cases:
        with pytest.raises(ModelError) as info:
            simulate(model, profile, samples=10)
        assert info.value.field == field, profile


def test_equilibrium_of_another_model(small):
    model, _ = small
    longer = solve_equilibrium(paper_model(2, n=4, mechanism="RAW"))
    with pytest.raises(ModelError) as info:
        simulate(model, longer, samples=10)
    assert info.value.field == "equilibrium"
    other_grid = solve_equilibrium(paper_model(4, n=3, mechanism="RAW"))
    with pytest.raises(ModelError):
        simulate(paper_model(1, n=3, mechanism="RAW"), other_grid, samples=10)
    with pytest.raises(ModelError) as info:
        simulate("model", longer)
    assert info.value.field == "model"


def test_compare_needs_a_matching_equilibrium(small):
    model, eq = small
    sim = simulate(model, eq, samples=100)
    with pytest.raises(ModelError) as info:
        sim.compare(solve_equilibrium(paper_model(2, n=4, mechanism="RAW")))
    assert info.value.field == "equilibrium"
    with pytest.raises(ModelError):
        sim.compare({"thresholds": eq.thresholds})


def test_per_trade_point_masses_each_trade_uses_its_own_table():
    # v_0 = 0 -> v_1 = 2 -> v_2 = 0 -> v_3 = 2 -> v_4 = 1, every step certain: the
    # simulation must equal the exact metrics exactly (a table shared by mistake would not)
    to = lambda j: [[F(int(c == j)) for c in range(3)] for _ in range(3)]  # noqa: E731
    model = create(4, [0, 1, 2], transitions=[to(2), to(0), to(2), to(1)], start=0, mechanism="AVE")
    eq = solve_equilibrium(model, exact=True)
    sim = simulate(model, eq, samples=1_000, seed=3)
    assert sim.trade_success.tolist() == [float(x) for x in eq.trade_success]
    assert sim.player_utility.tolist() == [float(x) for x in eq.player_utility]
