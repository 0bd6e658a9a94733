"""The result contract for kind psp (issue 13) and a known-answer table across methods.

The contract test is the local version of tests/test_contract.py for this kind: every
psp example file under every documented method loads, solves with a status that has a
solution, serializes to JSON, has a per-buyer table, survives save -> load with the same
objective, and ``datamech solve --json`` carries the contract keys.

The known answers are hand computations, independent of the code:

* REG-9 / REG-5 (spec §4.2): linear-capped buyers of the worked example, complete graph,
  reserve ε: every buyer shades ε/p_i, so W = 207.8 − 5ε after 2 passes; W* = Σ p_i D_i;
  supply = demand, so the pooled clearing price is the retention value 0.
* the draft example (REG-EX-DRAFT): 4 time steps, W = W* = Σ 3 D_i = 450, every unit paid
  1 + ε; the dynamics on the same market shade ε/3 per buyer: W = 450 − 5ε.
* one seller, two quadratic buyers θ_i' = q̄_i − z (κ = 1, q̄ = 10 and 6), Q = 10, r = 0:
  10 − z_1 = 6 − z_2 and z_1 + z_2 = 10 give u* = 3, z* = (7, 3), W* = 45.5 + 13.5 = 59.
* REG-7: quadratic surrogates, u* = 150 / Σ_i q̄_i/p_i, z_i* = q̄_i (1 − u*/p_i).
* the route market (examples/models/psp_route.toml): links of 10, θ_long' = 0.2 (20 − x)
  on both, θ_a' = 0.1 (20 − x) on l1, θ_b' = 0.1 (30 − x) on l2; with both links full,
  x_a = x_b = 10 − x_long and θ_long' = θ_a' + θ_b' give 4 − 0.2 x = 3 + 0.2 x: x_long = 2.5,
  x_a = x_b = 7.5, W* = 9.375 + 12.1875 + 19.6875 = 41.25 (network utility maximization).
* the partially linked market (examples/models/psp_partial_links.toml): W* = 12.5 + 15 = 27.5;
  the round-robin dynamics stop with flex bidding 10 − ε/1.25 cheapest first (2.5 + ε/2
  at s2, the rest at s1) and local 7.5 − ε/2 at s2 (θ_L' = 2 − z/10 > 1.25 iff z < 7.5),
  so W(ε) = 1.25 (10 − 0.8ε) + θ_L(7.5 − ε/2) + 0.2 (2.5 + 1.3ε) → 25.1875.
"""

import dataclasses
import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

import datamech as dm
from datamech.cli import main
from datamech.errors import ModelError
from datamech.models.psp import PSPModel
from datamech.models.psp_valuations import LinearCappedValuation as L
from datamech.models.psp_valuations import QuadraticValuation as Qv
from datamech.results import CONTRACT_KEYS, Result
from datamech.solvers.psp import (
    OPTIONS,
    Market,
    efficient_allocation,
    market_clearing_price,
    simulate,
)
from datamech.status import SOLUTION_PRESENT, Status

EXAMPLES = sorted(Path("examples/models").glob("psp_*.toml"))
METHODS = tuple(OPTIONS.methods)


def quiet_solve(model, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return dm.solve(model, **kw)


# ----------------------------------------------------------------- the contract
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_contract_every_example_every_method(path, method, tmp_path):
    model = dm.load(path)
    if model.is_route and method == "draft":  # the draft's rules are for the data market
        with pytest.raises(ModelError, match=r"^solver\.method: draft does not apply"):
            dm.solve(model, method=method)
        return
    res = quiet_solve(model, method=method)
    assert isinstance(res, Result) and res.status in SOLUTION_PRESENT
    assert isinstance(res.status, Status) and res.method == method
    assert (res.backend, res.objective_name, res.objective_exact) == ("cvxpy", "welfare", None)
    assert res.solver in ("HiGHS", "Clarabel") and res.seconds > 0
    assert res.objective == res.welfare
    d = res.to_dict()
    assert list(d)[: len(CONTRACT_KEYS)] == list(CONTRACT_KEYS)
    json.dumps(d, allow_nan=False)
    frame = res.to_frame()
    assert len(frame) == model.n_buyers and list(frame["buyer"]) == list(model.buyers)
    assert len(repr(res)) < 200 and "\n" not in repr(res)
    assert res.format().startswith(repr(res))
    copy = dm.load(dm.save(model, tmp_path / "copy.toml"))
    assert quiet_solve(copy, method=method).objective == pytest.approx(res.objective, abs=1e-12)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_cli_json_carries_the_contract_keys(path, capsys):
    code = main(["solve", str(path), "--json"])
    out = capsys.readouterr().out
    d = json.loads(out)
    assert code == 0 and set(CONTRACT_KEYS) <= set(d)
    assert d["status"] == "evaluated" and d["objective"] == pytest.approx(d["welfare"])
    assert d["method"] == dm.load(path).solver_options.get("method", "dynamics")


def test_plots_have_integer_pass_axes_and_a_rolling_mean(tmp_path):
    import matplotlib.pyplot as plt

    res = quiet_solve(dm.load("examples/models/psp_elastic.toml"))
    fig = res.plot()
    try:
        eff, upd = fig.axes
        assert upd.get_ylabel() == "buyers updating" and eff.get_xlabel() == "pass"
        for ax in (eff, upd):
            ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
            assert all(float(t).is_integer() for t in ticks)
        assert all(float(t).is_integer() for t in upd.get_yticks())
        raw, mean = upd.get_lines()[:2]
        counts = np.asarray(raw.get_ydata(), dtype=float)
        w = max(1, counts.size // 50)
        assert np.asarray(mean.get_ydata())[-1] == pytest.approx(counts[-w:].mean())
        # no point on the frame: every drawn point lies strictly inside the axes limits
        for ax in (eff, upd):
            (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
            for line in ax.get_lines():
                x, y = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
                assert np.all((x > x0) & (x < x1) & (y > y0) & (y < y1))
    finally:
        plt.close(fig)
    paths = res.save_plots(tmp_path, "run")
    assert [p.name for p in paths] == ["run.png", "run.pdf"]


# ----------------------------------------------------------------- known answers
D = np.array([50.0, 40, 26, 20, 14])
P = np.array([1.0, 1.2, 1.5, 2, 2.2])


def reg9(eps=0.1):
    vals = tuple(L(p, d) for p, d in zip(P, D, strict=True))
    return PSPModel([65.0, 85.0], tuple("ABCDE"), vals, eps, schedule="round_robin")


def draft_example(eps=0.01):
    vals = tuple(L(3.0, d) for d in D)
    return PSPModel([65.0, 85.0], tuple("ABCDE"), vals, eps, p_kappa=3.0, initial_price=P,
                    schedule="round_robin")  # fmt: skip


def two_quadratic(eps=0.05):
    return PSPModel([10.0], ("a", "b"), (Qv(1.0, 10.0), Qv(1.0, 6.0)), eps, reserve=[0.0])


def reg7(eps=0.1):
    vals = tuple(Qv(p / (2 * d), 2 * d) for p, d in zip(P, D, strict=True))
    return PSPModel([65.0, 85.0], tuple("ABCDE"), vals, eps, reserve=[0.01, 0.01],
                    schedule="round_robin")  # fmt: skip


def partial(eps=0.01):
    m = dm.load("examples/models/psp_partial_links.toml")
    return m.with_options(epsilon=eps)


def route_example(eps=0.01):
    return dm.load("examples/models/psp_route.toml").with_options(epsilon=eps)


def w_partial(eps):
    v = 7.5 - eps / 2
    return 1.25 * (10 - 0.8 * eps) + 0.1 * v * (20 - v / 2) + 0.2 * (2.5 + 1.3 * eps)


U7 = 150 / np.sum(2 * D / P)
Z7 = 2 * D * (1 - U7 / P)

# answers: W (dynamics; a number, or "bound": within the complete-graph bound of W*),
# rounds, W_draft, rounds_draft, W_star, z_star, u_star (pooled clearing price)
KNOWN = {
    "reg9-linear": (reg9, dict(W=207.8 - 5 * 0.1, rounds=2, W_star=207.8, z_star=D, u_star=0.0)),
    "draft-example": (draft_example, dict(W=450 - 5 * 0.01, rounds=2, W_draft=450.0,
                                          rounds_draft=4, W_star=450.0, z_star=D, u_star=0.0)),
    "one-seller-quadratic": (two_quadratic, dict(W="bound", W_star=59.0, z_star=[7.0, 3.0],
                                                 u_star=3.0)),
    "reg7-surrogate": (reg7, dict(W="bound", W_star=float(np.sum(P * (Z7 - Z7**2 / (4 * D)))),
                                  z_star=Z7, u_star=U7)),
    "partial-links": (partial, dict(W=w_partial(0.01), rounds=3, W_star=27.5,
                                    z_star=[10.0, 10.0])),
    "route": (route_example, dict(W="bound", W_star=41.25, z_star=[2.5, 7.5, 7.5],
                                  u_star=2.0)),
}  # fmt: skip


def _applies(method, answers, model):
    """Which methods reproduce which answers: the dynamics (reference and fast paths, and
    the full solve) the final welfare, the draft's rules their own, the benchmark (HiGHS
    for linear valuations, Clarabel always) W* and z*, the bisection the clearing price."""
    lp = all(isinstance(v, L) for v in model.valuations)
    plain = not model.is_route  # Market (reference, fast) plays the data market
    return {
        "reference": "W" in answers and plain,
        "fast": "W" in answers and plain,
        "dynamics": "W" in answers,
        "draft": "W_draft" in answers,
        "highs": lp,
        "clarabel": True,
        "clearing": "u_star" in answers,
    }[method]


METHOD_TABLE = [
    pytest.param(build, answers, method, id=f"{name}-{method}")
    for name, (build, answers) in KNOWN.items()
    for method in ("reference", "fast", "dynamics", "draft", "highs", "clarabel", "clearing")
    if _applies(method, answers, build())
]


@pytest.mark.parametrize("build, answers, method", METHOD_TABLE)
def test_known_answers_across_methods(build, answers, method):
    model = build()
    if method in ("reference", "fast"):
        market = Market(model)
        run = simulate(market, fast=method == "fast")
        assert run.converged
        W = market.outcome(run.q, run.p).welfare
        rounds = run.rounds
    elif method in ("dynamics", "draft"):
        res = quiet_solve(model, method=method)
        assert res.status is Status.EVALUATED
        W, rounds = res.welfare, res.rounds
        if method == "draft":
            assert W == pytest.approx(answers["W_draft"], abs=1e-9)
            assert rounds == answers["rounds_draft"]
            return
        assert res.optimal_welfare == pytest.approx(answers["W_star"], abs=1e-6)
    elif method == "clearing":
        u = market_clearing_price(model.valuations, float(model.supply.sum()),
                                  float(model.retention.min()))  # fmt: skip
        assert u == pytest.approx(answers["u_star"], abs=1e-9)
        return
    else:
        b = efficient_allocation(model, solver=method)
        assert b.status is Status.OPTIMAL and b.solver == {"highs": "HiGHS"}.get(method, "Clarabel")
        assert b.welfare == pytest.approx(answers["W_star"], abs=1e-6)
        assert b.z == pytest.approx(np.asarray(answers["z_star"], dtype=float), abs=1e-5)
        return
    if answers["W"] == "bound":
        n = model.n_buyers
        assert 0 <= answers["W_star"] - W <= 2 * n * model.epsilon  # r = ρ or U = U* here
    else:
        assert W == pytest.approx(answers["W"], abs=1e-9)
    if "rounds" in answers:
        assert rounds == answers["rounds"]


def test_reference_and_fast_paths_stop_at_the_same_profile_on_the_table():
    for build in (reg9, two_quadratic, reg7, partial):
        market = Market(build())
        ref, fast = simulate(market, fast=False), simulate(market, fast=True)
        assert ref.rounds == fast.rounds
        np.testing.assert_allclose(ref.q, fast.q, atol=1e-9)
        np.testing.assert_allclose(ref.p, fast.p, atol=1e-12)


def test_result_dataclass_has_no_objective_field():
    names = {f.name for f in dataclasses.fields(dm.solvers.psp.PSPResult)}
    assert not names & {"objective", "objective_name", "objective_exact"}
    assert set(CONTRACT_KEYS) - {"objective", "objective_name", "objective_exact"} <= names
    assert math.isfinite(quiet_solve(reg9()).objective)
