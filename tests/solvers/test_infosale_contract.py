"""The result contract (issue 13) for kind infosale: every example file, every method.

A local version of tests/test_contract.py: load -> solve -> status in SOLUTION_PRESENT
-> json.dumps(to_dict()) -> to_frame() a real table -> save -> load -> same objective;
short repr, HTML, plots; methods that do not apply refuse with a ModelError; options
come from the one declaration.
"""

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import datamech as dm
from datamech import ModelError
from datamech.models.infosale import create
from datamech.results import CONTRACT_KEYS, Result
from datamech.solvers import options_for
from datamech.solvers.infosale import OPTIONS, InfoSaleLP, solve_model
from datamech.status import SOLUTION_PRESENT, Status

EXAMPLES = sorted(Path("examples/models").glob("infosale_*.toml"))
METHODS = tuple(OPTIONS.methods)
# the methods each example admits (the others need the Example 3 game)
APPLIES = {
    "infosale_competition": METHODS,
    "infosale_complement_substitute": ("lp",),
    "infosale_table_welfare": ("lp",),
}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
@pytest.mark.parametrize("method", METHODS)
def test_contract_per_example_and_method(path, method, tmp_path):
    model = dm.load(path)
    if method not in APPLIES[path.stem]:
        with pytest.raises(ModelError) as e:
            dm.solve(model, method=method)
        assert e.value.field == "solver.method"
        return
    res = dm.solve(model, method=method)
    assert isinstance(res, Result)
    assert res.status in SOLUTION_PRESENT and isinstance(res.status, Status)
    assert res.status == (Status.EVALUATED if method == "closed-form" else Status.OPTIMAL)
    assert res.method == method
    assert res.objective == res.value and res.objective_exact is None
    assert res.objective_name == model.objective.kind
    lp = method in ("lp", "reduced")
    assert (res.backend, res.solver) == (("highspy", "HiGHS") if lp else ("none", "none"))
    d = res.to_dict()
    assert list(d)[: len(CONTRACT_KEYS)] == list(CONTRACT_KEYS)
    assert "objective_kind" in d and "sigma" not in d and "mechanism" not in d
    json.dumps(d, allow_nan=False)
    frame = res.to_frame()
    cells = model.cell_counts()
    assert len(frame) == sum(cells) and {"buyer", "cell", "value", "prob"} <= set(frame)
    assert frame["prob"].groupby(frame["buyer"]).sum().to_numpy() == pytest.approx(1.0)
    text = repr(res)
    assert len(text) < 200 and "\n" not in text and res.objective_name in text
    assert "<table" in res._repr_html_()
    assert "revenue" in res.format() and "welfare" in res.format()
    again = dm.solve(dm.load(dm.save(model, tmp_path / "m.toml")), method=method)
    assert again.objective == pytest.approx(res.objective, abs=1e-12)


def test_plot_and_save_plots(tmp_path):
    import matplotlib.figure
    import matplotlib.pyplot as plt

    model = dm.load("examples/models/infosale_competition.toml")
    for method in ("greedy", "closed-form"):
        res = dm.solve(model, method=method)
        fig = res.plot()
        assert isinstance(fig, matplotlib.figure.Figure)
        assert fig.axes[0].get_xlabel() == "$v_1$"  # the region map of Fig. 4-2
        plt.close(fig)
    paths = res.save_plots(tmp_path, "cf")
    names = sorted(p.name for p in paths)
    assert names == sorted(f"cf{x}" for x in (".png", ".pdf", "_interim.png", "_interim.pdf"))
    assert all(p.stat().st_size > 1000 for p in paths)
    # three buyers: no region map, the interim shares instead (no line end on the frame)
    p = np.zeros((3, 2, 2, 2, 2))
    for a1, a2, a3, th in np.ndindex(2, 2, 2, 2):
        x = [a1 == th, a2 == th, a3 == th]
        for i in range(3):
            p[i, a1, a2, a3, th] = x[i] - 0.25 * sum(x[j] for j in range(3) if j != i)
    res = solve_model(create("table", payoffs=p, cells=3))
    ax = res.plot().axes[0]
    assert len(ax.lines) == 3 and ax.get_xlabel() == "type $v$"
    lo, hi = ax.get_xlim()
    v = res.type_values[0]
    assert lo < v[0] and v[-1] < hi


def test_options_are_declared_once():
    assert options_for("infosale") is OPTIONS
    names = OPTIONS.names()
    for name in ("method", "backend", "solver", "time_limit", "monotone", "max_memory_gb"):
        assert name in names
    text = OPTIONS.describe()
    assert "closed-form" in text and "highspy, cvxpy" in text
    with pytest.raises(ModelError) as e:
        dm.solve(create("competition", alpha=0.5, cells=4), tie_brake="low")
    assert e.value.field == "solver.tie_brake" and "allowed: method" in e.value.problem


def test_solver_option_is_the_numerical_solver():
    m = create("competition", alpha=0.5, cells=8)
    ref = dm.solve(m)
    clar = dm.solve(m, backend="cvxpy", solver="clarabel")
    assert (clar.backend, clar.solver) == ("cvxpy", "Clarabel")
    assert clar.value == pytest.approx(ref.value, abs=1e-7)
    assert dm.solve(m, backend="cvxpy").solver == "HiGHS"
    with pytest.raises(ModelError) as e:
        dm.solve(m, solver="clarabel")  # highspy runs HiGHS only
    assert e.value.field == "solver.solver" and "backend cvxpy" in e.value.problem
    with pytest.raises(ModelError) as e:
        dm.solve(m, backend="cvxpy", solver="gurobi")
    assert e.value.field == "solver.solver" and "not installed" in e.value.problem
    with pytest.raises(ModelError) as e:
        dm.solve(m, method="lp", monotone=True)
    assert e.value.field == "solver.monotone"


def test_file_solver_table_is_stored_one_way(tmp_path):
    text = Path("examples/models/infosale_competition.toml").read_text()
    text = text.replace('backend = "highspy"', 'backend = "cvxpy"\nsolver = "clarabel"')
    text = text.replace("cells = 40", "cells = 8")
    f = tmp_path / "m.toml"
    f.write_text(text)
    model = dm.load(f)
    assert model.solver_options == {"method": "lp", "backend": "cvxpy", "solver": "clarabel"}
    res = dm.solve(model)
    assert (res.backend, res.solver) == ("cvxpy", "Clarabel")
    assert dm.solve(model, backend="highspy", solver="highs").solver == "HiGHS"  # keywords win
    assert dm.load(dm.save(model, tmp_path / "again.toml")).solver_options == model.solver_options


def test_persistent_results_follow_the_contract():
    plp = InfoSaleLP(create("competition", alpha=0.5, cells=6))
    res = plp.solve(mix=(0.5, 0.5))
    assert res.objective_kind == "mix" == res.objective_name
    assert res.status is Status.OPTIMAL and res.solver == "HiGHS" and res.backend == "highspy"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        json.dumps(res.to_dict(), allow_nan=False)
