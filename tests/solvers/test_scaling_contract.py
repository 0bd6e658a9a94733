"""The result contract (issue 13) for kinds offline and online, and their known answers.

A local version of tests/test_contract.py: every example file and every documented
method: load -> solve -> status in SOLUTION_PRESENT -> json.dumps(to_dict()) ->
to_frame() a real table -> save -> load -> same objective; the contract keys in
``datamech solve --json``; options from the one declaration, the [solver] table and
keywords alike.  Then one table of known answers per kind run across every method that
applies (spec 003 §6.2: I3, U2; Theorem 3.2's point masses), exact where the answer is
rational.
"""

import json
import math
from fractions import Fraction as Fr
from pathlib import Path

import pytest

import datamech as dm
from datamech import ModelError
from datamech.models.distributions import Discrete, Uniform
from datamech.models.scaling import OfflineModel, OnlineModel
from datamech.results import CONTRACT_KEYS, Result
from datamech.solvers import options_for
from datamech.solvers.scaling import OFFLINE_OPTIONS, ONLINE_OPTIONS
from datamech.status import SOLUTION_PRESENT, Status

OFFLINE_EXAMPLES = sorted(Path("examples/models").glob("offline_*.toml"))
ONLINE_EXAMPLES = sorted(Path("examples/models").glob("online_*.toml"))
OFFLINE_METHODS = tuple(m for m in OFFLINE_OPTIONS.methods if m != "closed_form")
ONLINE_METHODS = tuple(ONLINE_OPTIONS.methods)
HALF = Fr(1, 2)


def i3():
    return Discrete([1, 2, 3], [Fr(3, 5), Fr(1, 10), Fr(3, 10)])


def _continuous(model) -> bool:
    """Some law of r = (phi^ir)_+ is not a finite table (exact methods do not apply)."""
    return not all(d.r_law().is_discrete for d in model.buyers)


def _applies(model, method) -> bool:
    if method == "exact":
        return not _continuous(model)
    if method in ("pamd", "pamd_dsic", "pvv"):
        return all(d.discrete for d in model.buyers)  # programs over discrete types
    return True


def _contract(res, model, method, tmp_path, solve=dm.solve):
    assert isinstance(res, Result)
    assert isinstance(res.status, Status) and res.status in SOLUTION_PRESENT
    assert res.objective_name == "expected_profit"
    assert res.objective == pytest.approx(float(res.expected_profit), rel=1e-15)
    if res.objective_exact is not None:
        assert res.objective_exact == res.expected_profit
    d = res.to_dict()
    assert list(d)[: len(CONTRACT_KEYS)] == list(CONTRACT_KEYS)
    assert "mech" not in d and "laws" not in d
    text = json.dumps(d, allow_nan=False)
    if res.objective_exact is not None:
        assert json.loads(text)["objective_exact"] == str(res.objective_exact)
    frame = res.to_frame()
    assert len(frame) > 0
    rep = repr(res)
    assert len(rep) < 200 and "\n" not in rep
    assert "<table" in res._repr_html_()
    assert res.format()
    again = solve(dm.load(dm.save(model, tmp_path / "m.toml")), method=method)
    assert again.objective == pytest.approx(res.objective, rel=1e-9)
    assert again.status == res.status
    return frame


# ------------------------------------------------------------------ contract: offline
@pytest.mark.parametrize("path", OFFLINE_EXAMPLES, ids=lambda p: p.stem)
@pytest.mark.parametrize("method", OFFLINE_METHODS)
def test_offline_contract(path, method, tmp_path):
    model = dm.load(path)
    kw = {"method": method}
    if not _applies(model, method):
        with pytest.raises(ModelError) as e:
            dm.solve(model, **kw)
        assert e.value.field == "method"
        return
    res = dm.solve(model, **kw)
    frame = _contract(res, model, method, tmp_path)
    program = method in ("pamd", "pamd_dsic", "pvv")
    assert (res.backend, res.solver) == (("cvxpy", "Clarabel") if program else ("none", "none"))
    assert res.status == (Status.OPTIMAL if program else Status.EVALUATED)
    if method == "mc":
        assert res.stderr > 0 and res.objective_exact is None and res.method == "mc"
    elif program:
        assert res.method == method
    if not all(d.discrete for d in model.buyers):
        assert list(frame["buyer"]) == list(range(len(model.buyers)))
    else:
        assert len(frame) == sum(len(d.values) for d in model.buyers)
        assert {"v", "prob", "r", "x", "p"} <= set(frame)


# ------------------------------------------------------------------ contract: online
@pytest.mark.parametrize("path", ONLINE_EXAMPLES, ids=lambda p: p.stem)
@pytest.mark.parametrize("method", ONLINE_METHODS)
def test_online_contract(path, method, tmp_path):
    model = dm.load(path)
    if method == "exact" and _continuous(model):
        with pytest.raises(ModelError) as e:
            dm.solve(model, method=method)
        assert e.value.field == "method"
        return
    kw = {"method": method}
    if method == "mc":
        kw["samples"] = 20_000
    res = dm.solve(model, **kw)
    frame = _contract(res, model, method, tmp_path, solve=lambda m, **k: dm.solve(m, **kw))
    optimal = model.mechanism == "optimal" and method != "mc"
    assert res.status == (Status.OPTIMAL if optimal else Status.EVALUATED)
    assert (res.backend, res.solver) == ("none", "none")
    assert len(frame) == len(model.buyers)
    assert frame["expected_level"].iloc[-1] == pytest.approx(float(res.expected_production))
    if method == "mc":
        assert res.stderr > 0 and res.objective_exact is None


@pytest.mark.parametrize("path", OFFLINE_EXAMPLES + ONLINE_EXAMPLES, ids=lambda p: p.stem)
def test_cli_json_carries_the_contract(path, capsys):
    from datamech.cli import main

    assert main(["solve", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data)[: len(CONTRACT_KEYS)] == list(CONTRACT_KEYS)
    assert data["status"] in {s.value for s in SOLUTION_PRESENT}
    assert data["objective_name"] == "expected_profit"


# ------------------------------------------------------------------ options
def test_options_are_declared_once():
    assert options_for("offline") is OFFLINE_OPTIONS and options_for("online") is ONLINE_OPTIONS
    text = OFFLINE_OPTIONS.describe()
    for name in ("pamd", "pvv", "pairs", "solver", "check", "samples", "time_limit"):
        assert name in text
    assert "grid" in ONLINE_OPTIONS.describe() and "benchmarks" in ONLINE_OPTIONS.describe()


def test_dm_solve_takes_what_solve_offline_takes():
    model = dm.load("examples/models/offline_i3.toml")
    res = dm.solve(model, method="pamd", solver="clarabel", pairs="local", time_limit=60)
    assert res.objective == pytest.approx(13 / 7, abs=1e-6) and res.solver == "Clarabel"
    assert "local pairs" in res.formulation
    res = dm.solve(model, check=False)
    assert res.checks is None and res.objective_exact == Fr(13, 7)
    with pytest.raises(ModelError) as e:
        dm.solve(model, pairs="local")  # a (P-AMD) option with the closed form
    assert e.value.field == "solver.pairs" and "pamd" in str(e.value)
    with pytest.raises(ModelError) as e:
        dm.solve(model, tie_break="low")
    assert e.value.field == "solver.tie_break" and "pairs" in str(e.value)
    with pytest.raises(ModelError) as e:
        dm.solve(model, method="pamd", solver="nosuch")
    assert e.value.field == "solver.solver"


def test_solver_tables_are_read_used_and_written_back(tmp_path):
    model = dm.load("examples/models/offline_i3_pamd.toml")
    assert model.solver_options == {"method": "pamd_dsic"}
    res = dm.solve(model)
    assert res.method == "pamd_dsic" and res.problem_size["profiles"] == 9
    local = dm.solve(model, pairs="local")  # keywords add to the file's table
    assert "local pairs" in local.formulation and local.objective == pytest.approx(13 / 7)
    again = dm.load(dm.save(model, tmp_path / "copy.toml"))
    assert again.solver_options == model.solver_options
    online = dm.load("examples/models/online_i3_greedy.toml")
    assert online.solver_options == {"seed": 3}
    assert dm.solve(online).objective_exact == Fr(45, 28)
    assert dm.load(dm.save(online, tmp_path / "o.toml")).solver_options == {"seed": 3}


def test_online_grid_option_and_model_grid():
    model = OnlineModel((Uniform(0, 1),) * 2, HALF, 1, grid=2_000)
    coarse = dm.solve(model, benchmarks=False, path=False)
    fine = dm.solve(model, grid=40_000, benchmarks=False, path=False)
    assert abs(fine.expected_profit - 797 / 7680) <= fine.abserr < coarse.abserr
    assert "2,000 points" in coarse.formulation and "40,000 points" in fine.formulation


def test_deprecated_closed_form_method_name():
    model = dm.load("examples/models/offline_i3.toml")
    with pytest.warns(DeprecationWarning, match="auto"):
        res = dm.solve(model, method="closed_form")
    assert res.objective_exact == Fr(13, 7)


# ------------------------------------------------------------------ plots and frames
def test_offline_plot_frame_and_certificate(tmp_path):
    import matplotlib.figure
    import matplotlib.pyplot as plt

    res = dm.solve(dm.load("examples/models/offline_i3.toml"))
    fig = res.plot()
    assert isinstance(fig, matplotlib.figure.Figure) and len(fig.axes) == 3
    assert fig.axes[2].get_ylabel() == "interim allocation E[x | v]"
    _, ax = plt.subplots()
    assert res.plot(ax) is ax.figure
    plt.close("all")
    names = sorted(p.name for p in res.save_plots(tmp_path))
    assert names == ["allocation.pdf", "allocation.png", "ironing.pdf", "ironing.png"]
    frame = res.to_frame()
    # I3: r = 1/7 for types 1, 2 (pooled), 3 for type 3; z = (r + E[S_-i]) / 2, E S = 1
    assert list(frame["r"]) == pytest.approx([1 / 7, 1 / 7, 3] * 2)
    assert list(frame["z"]) == pytest.approx([4 / 7, 4 / 7, 2] * 2)
    assert list(frame["p"]) == pytest.approx([4 / 7, 4 / 7, 34 / 7] * 2)
    cert = res.certificate
    assert cert.ok and cert.max_violation == 0 and "ex post" in cert.method
    u2 = dm.solve(dm.load("examples/models/offline_u2.toml"))
    assert list(u2.to_frame()["buyer"]) == [0, 1] and u2.certificate.ok
    assert isinstance(u2.plot(), matplotlib.figure.Figure)


def test_online_plot_frame_and_levels(tmp_path):
    import matplotlib.figure

    res = dm.solve(dm.load("examples/models/online_i3.toml"))
    fig = res.plot()
    assert isinstance(fig, matplotlib.figure.Figure)
    assert fig.axes[0].get_xlabel().startswith("arrival i")
    ticks = [t for t in fig.axes[0].get_xticks() if 0 <= t <= 2]
    assert all(float(t).is_integer() for t in ticks)  # arrivals are a count
    names = [p.name for p in res.save_plots(tmp_path)]
    assert names == ["online_paths.png", "online_paths.pdf"]
    # two-stage on I3: D_0 = 4/9, D_1 = max(D_0, (r_1 / 2)^2) with r in {1/7, 3}
    assert res.expected_levels[0] == Fr(4, 9)
    assert res.expected_levels[1] == Fr(7, 10) * Fr(4, 9) + Fr(3, 10) * Fr(9, 4)
    frame = res.to_frame()
    assert list(frame["buyer"]) == [0, 1]
    assert frame["expected_level"].tolist() == pytest.approx(
        [float(x) for x in res.expected_levels[1:]]
    )


# ------------------------------------------------------------------ known answers
def _thm32(n):
    return [Discrete([1], [Fr(1)])] * n  # point masses at v = 1: r = 1


def _i3_alpha_23():
    # alpha = 2/3, c = 1: K = (1/3)(2/3)^2 = 4/27 and OFFL = K E[S^3], r in {1/7 (0.7), 3}
    s = {Fr(2, 7): Fr(49, 100), Fr(22, 7): Fr(42, 100), Fr(6): Fr(9, 100)}
    return Fr(4, 27) * sum(p * v**3 for v, p in s.items())


OFFLINE_TABLE = [
    pytest.param([i3(), i3()], HALF, 1, Fr(13, 7), id="I3"),
    pytest.param([i3()], HALF, 1, Fr(19, 28), id="I3-one-buyer"),
    pytest.param(_thm32(3), HALF, 1, Fr(9, 4), id="thm32-n3"),  # K n^k = (1/4) 9
    pytest.param([i3(), i3()], Fr(2, 3), 1, _i3_alpha_23(), id="I3-alpha-2/3"),
    pytest.param([Uniform(0, 1)] * 2, HALF, 1, Fr(11, 96), id="U2"),
    pytest.param([Uniform(0, 1)], HALF, 1, Fr(1, 24), id="U1"),
]


@pytest.mark.parametrize("buyers, alpha, cost, answer", OFFLINE_TABLE)
@pytest.mark.parametrize("method", OFFLINE_METHODS)
def test_offline_known_answers(buyers, alpha, cost, answer, method):
    model = OfflineModel(tuple(buyers), alpha, cost)
    continuous = _continuous(model)
    if not _applies(model, method):  # refused, naming the method
        with pytest.raises(ModelError, match="discrete") as e:
            dm.solve(model, method=method)
        assert e.value.field == "method"
        return
    res = dm.solve(
        model, method=method, **({"samples": 100_000, "seed": 2} if method == "mc" else {})
    )
    if method in ("auto", "exact") and not continuous:
        assert res.objective_exact == answer  # exact rationals
    elif method == "mc":  # (a point mass has no Monte Carlo error)
        assert abs(res.objective - float(answer)) <= 4 * res.stderr + 1e-12
    elif method == "quad":
        assert abs(res.objective - float(answer)) <= max(res.abserr, 1e-13)
    else:  # the programs, or auto on continuous laws (quadrature)
        assert res.objective == pytest.approx(float(answer), rel=2e-7, abs=1e-9)


ONLINE_TABLE = [
    pytest.param([i3(), i3()], "optimal", {}, Fr(3307, 1960), id="I3-ONL"),
    pytest.param([i3(), i3()], "two_stage", {}, Fr(215, 144), id="I3-two-stage"),
    pytest.param([i3(), i3()], "greedy", {}, Fr(219, 140), id="I3-greedy"),
    pytest.param([i3(), i3()], "greedy", {"allocate": "all"}, Fr(45, 28), id="I3-greedy-all"),
    pytest.param([i3(), i3()], "non_adaptive", {}, Fr(1), id="I3-non-adaptive"),
    pytest.param(_thm32(3), "optimal", {}, Fr(9, 4), id="thm32-ONL"),  # n^2/4
    pytest.param(_thm32(3), "greedy", {}, Fr(5, 4), id="thm32-greedy"),  # (2n-1)/4
    pytest.param([Uniform(0, 1)] * 2, "optimal", {}, Fr(797, 7680), id="U2-ONL"),
    pytest.param([Uniform(0, 1)] * 2, "two_stage", {}, Fr(59, 648), id="U2-two-stage"),
    pytest.param([Uniform(0, 1)] * 2, "greedy", {}, Fr(3, 32), id="U2-greedy"),
    pytest.param([Uniform(0, 1)] * 2, "non_adaptive", {}, Fr(1, 16), id="U2-non-adaptive"),
]


@pytest.mark.parametrize("buyers, mechanism, kw, answer", ONLINE_TABLE)
@pytest.mark.parametrize("method", ONLINE_METHODS)
def test_online_known_answers(buyers, mechanism, kw, answer, method):
    model = OnlineModel(tuple(buyers), HALF, 1, mechanism=mechanism, **kw)
    continuous = _continuous(model)
    if method == "exact" and continuous:  # refused, naming the method
        with pytest.raises(ModelError, match="finite-support") as e:
            dm.solve(model, method=method)
        assert e.value.field == "method"
        return
    opts = {"samples": 100_000, "seed": 4} if method == "mc" else {}
    res = dm.solve(model, method=method, benchmarks=False, path=False, **opts)
    if method == "mc":
        assert abs(res.objective - float(answer)) <= 4 * res.stderr + 1e-12
    elif not continuous and (method != "quad" or mechanism == "optimal"):
        assert res.objective_exact == answer  # exact rationals (the exact DP for ONL)
    elif not continuous:  # the B.5 closed form on the tables, in floats
        assert res.objective == pytest.approx(float(answer), rel=1e-12) and res.abserr == 0
    else:
        assert abs(res.objective - float(answer)) <= max(res.abserr, 1e-13)
        assert res.abserr < 1e-7


def test_online_independent_checks_of_onl():
    """ONL on I3 by the scenario-tree program (cvxpy) and the grid DP, two methods that
    share no code with the exact DP."""
    from datamech.solvers.scaling import OnlineDP, scenario_tree_program

    tree = scenario_tree_program([i3(), i3()], 0.5, 1)
    assert tree.status == Status.OPTIMAL and tree.solver == "Clarabel"
    assert tree.objective == pytest.approx(3307 / 1960, abs=1e-7)
    assert len(tree.to_frame()) == tree.nodes == 6
    grid = OnlineDP([i3(), i3()], 0.5, 1.0, method="grid")
    assert abs(grid.value - 3307 / 1960) <= grid.abserr < 1e-7


def test_mc_is_reported_as_an_estimate():
    res = dm.solve(dm.load("examples/models/online_u2.toml"), method="mc", samples=50_000)
    assert res.status == Status.EVALUATED and res.stderr > 0 and res.abserr == 0
    assert "simulated" in res.formulation
    assert math.isfinite(res.online_optimum)  # the DP still gives the benchmark


def test_deprecated_plot_to_a_directory(tmp_path):
    res = dm.solve(dm.load("examples/models/offline_i3.toml"))
    with pytest.warns(DeprecationWarning, match="save_plots"):
        paths = res.plot(tmp_path)
    assert sorted(p.name for p in paths) == ["ironing.pdf", "ironing.png"]
    online = dm.solve(dm.load("examples/models/online_i3.toml"))
    with pytest.warns(DeprecationWarning, match="save_plots"):
        assert [p.name for p in online.plot(tmp_path)][0] == "online_paths.png"
