"""Kind ``bilateral`` against the shared contract (issues 12 and 13): results, statuses,
options, sizes, and one table of known answers run across every method.

Known answers: Myerson-Satterthwaite (FB 1/6, SB 9/64 at lambda* = 1/2, broker 1/12,
posted price 1/2 giving 1/8, seller/buyer offers 1/8: closed forms), spec §6.2 B1-B4
(FB and SB from tests/solvers/test_bilateral_core.py's closed forms and 30-digit
quadrature), and two discrete instances solved by hand below.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import warnings
from fractions import Fraction as Fr

import pytest

import datamech as dm
from datamech import cli
from datamech.errors import ModelError, SolverError
from datamech.models.bilateral import BilateralModel
from datamech.models.distributions import Discrete, Uniform
from datamech.models.io import from_dict
from datamech.results import CONTRACT_KEYS, Certificate
from datamech.solvers.bilateral import OPTIONS, BilateralResult, first_best, second_best
from datamech.solvers.bilateral import bic as bic_module
from datamech.solvers.bilateral.programs import nlp_available, second_best_program
from datamech.status import SOLUTION_PRESENT, Status, from_pyomo

EXAMPLES = ("bilateral_b1", "bilateral_indivisible", "bilateral_irregular")
METHODS = ("lagrangian", "program", "bic")
FAST = {"program": {"cells": 8}, "bic": {"cells": 6}, "lagrangian": {}}
U01, U12 = Uniform(0, 1), Uniform(1, 2)
LN2 = math.log(2)


def _solve(model, method, **kw):
    return dm.solve(model, method=method, check_grid=4, **FAST[method], **kw)


# ---------------------------------------------------------------- the contract
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", EXAMPLES)
def test_contract(name, method, tmp_path):
    """load -> solve -> status -> JSON -> table -> save -> load -> same objective."""
    model = dm.load(f"examples/models/{name}.toml")
    res = _solve(model, method)
    assert isinstance(res, BilateralResult) and isinstance(res.status, Status)
    assert res.status in SOLUTION_PRESENT
    assert res.objective_name == "second_best" and res.objective == res.second_best
    assert res.objective_exact is None and res.method == method
    assert res.backend == ("none" if method == "lagrangian" else "cvxpy")
    data = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    assert list(data)[: len(CONTRACT_KEYS)] == list(CONTRACT_KEYS)
    assert all(isinstance(c, Certificate) for c in res.checks.values())
    assert all(set(c) == {"ok", "max_violation", "tolerance", "method", "detail"}
               for c in data["checks"].values())  # fmt: skip
    frame = res.to_frame()
    assert len(frame) == len(model.selected) and frame["name"].iloc[1] == "second_best"
    assert frame["checks_ok"].all()  # every mechanism keeps its promises (G12)
    text = repr(res)
    assert text.startswith("BilateralResult(status=") and len(text) < 200 and "\n" not in text
    assert "second_best" in res._repr_html_() and "first best" in res.format()
    back = dm.load(dm.save(model, tmp_path / "copy.toml"))
    assert _solve(back, method).objective == pytest.approx(res.objective, rel=1e-9, abs=1e-12)


def test_plots(tmp_path):
    from matplotlib.figure import Figure

    res = dm.solve(dm.load("examples/models/bilateral_indivisible.toml"), checks=False)
    fig = res.plot()
    assert isinstance(fig, Figure) and len(fig.axes) >= 2
    irregular = dm.load("examples/models/bilateral_irregular.toml")  # exact sums: fast
    grid = dm.solve(irregular, method="program", checks=False)
    assert isinstance(grid.plot(), Figure) and isinstance(grid.program.plot(), Figure)
    paths = grid.save_plots(tmp_path, "irr")
    assert {p.name for p in paths} == {
        f"irr_{kind}.{ext}" for kind in ("allocation", "budget", "grid") for ext in ("png", "pdf")
    }
    with pytest.raises(ModelError, match="plot"):
        BilateralResult(Status.OPTIMAL, 1, 1, 0, 0, "interior", "x", "none", "none", 0).plot()


def test_cli_json_has_the_contract_keys():
    out = subprocess.run(
        [sys.executable, "-m", "datamech.cli", "solve", "examples/models/bilateral_b1.toml",
         "--json", "--method", "bic", "-o", "cells=8", "-o", "checks=false"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(CONTRACT_KEYS) <= set(data)
    assert (data["status"], data["method"], data["backend"], data["solver"]) == (
        "local_optimum",
        "bic",
        "cvxpy",
        "ccp",
    )


# ---------------------------------------------------------------- issue 12 §4
def test_local_bic_is_labelled_local_with_its_bound():
    """`--method pyomo_bic` on B1 printed `second best 0.0567066 (optimal)` with solver ccp
    and no local flag or bound: a local solution says so and carries its bound."""
    model = dm.load("examples/models/bilateral_b1.toml")
    with pytest.warns(DeprecationWarning, match="use method = 'bic'"):
        res = dm.solve(model, method="pyomo_bic", cells=10, checks=False)
    assert res.method == "bic" and res.status == Status.LOCAL_OPTIMUM and res.local
    assert (res.backend, res.solver) == ("cvxpy", "ccp")
    # B1 is regular: the convex bound (seller interim constraint dropped) equals the DSIC
    # value, so the local solution is global to the gap
    dsic = second_best_program(U01, U12, alpha="1/2", grid=10).gains_from_trade
    assert res.upper_bound == pytest.approx(dsic, rel=1e-8)
    assert res.second_best == pytest.approx(dsic, rel=1e-8)
    assert "local_optimum; upper bound" in res.format()
    assert "upper_bound=" in repr(res)
    data = res.to_dict()
    assert data["local"] is True and data["upper_bound"] == pytest.approx(dsic, rel=1e-8)


@pytest.mark.skipif(not nlp_available("ripopt"), reason="ripopt is not installed")
def test_local_bic_names_the_nlp_solver_that_ran():
    res = dm.solve(
        dm.load("examples/models/bilateral_b1.toml"),
        method="bic",
        backend="pyomo",
        cells=6,
        checks=False,
    )
    assert (res.backend, res.solver, res.status) == ("pyomo", "ripopt", Status.LOCAL_OPTIMUM)
    assert res.upper_bound == pytest.approx(res.second_best, rel=1e-7)


def test_iteration_limit_is_reported_with_advice(monkeypatch, capsys, tmp_path):
    """Convex-concave steps that keep gaining stop at max_iterations: status
    iteration_limit, advice, and `datamech solve` exits 3 with the advice on stderr."""
    gains = iter(range(1000))
    real = bic_module.grid_value
    monkeypatch.setattr(
        bic_module, "grid_value", lambda *a: (real(*a)[0] + next(gains), real(*a)[1])
    )
    res = dm.solve(
        dm.load("examples/models/bilateral_b1.toml"),
        method="bic",
        cells=4,
        max_iterations=3,
        checks=False,
    )
    assert res.status == Status.ITERATION_LIMIT and res.iterations == 3
    assert "raise max_iterations" in res.advice and res.local
    f = tmp_path / "b1.toml"
    f.write_text(
        open("examples/models/bilateral_b1.toml").read()
        + '\n[solver]\nmethod = "bic"\ncells = 4\nmax_iterations = 2\nchecks = false\n'
    )
    assert cli.main(["solve", str(f), "--json"]) == 3
    err = capsys.readouterr().err
    assert "status iteration_limit" in err and "raise max_iterations" in err


def test_inaccurate_solves_warn_and_say_so(monkeypatch):
    """The one policy: a RuntimeWarning and status optimal_inaccurate (never optimal)."""
    import cvxpy as cp

    monkeypatch.setattr(cp.Problem, "status", property(lambda self: "optimal_inaccurate"))
    model = dm.load("examples/models/bilateral_indivisible.toml")
    with pytest.warns(RuntimeWarning, match="inaccurate"):
        res = dm.solve(model, method="program", cells=4, checks=False)
    assert res.status == Status.OPTIMAL_INACCURATE and "inaccurate" in res.advice
    with pytest.warns(RuntimeWarning, match="inaccurate"):
        res = dm.solve(dm.load("examples/models/bilateral_b1.toml"), method="bic", cells=4,
                       checks=False)  # fmt: skip
    assert res.status == Status.OPTIMAL_INACCURATE


def test_pyomo_statuses_are_mapped():
    from pyomo.opt import TerminationCondition as TC

    assert from_pyomo(TC.locallyOptimal) == Status.LOCAL_OPTIMUM
    assert from_pyomo(TC.infeasible) == Status.INFEASIBLE
    assert from_pyomo(TC.maxTimeLimit) == Status.TIME_LIMIT
    assert from_pyomo("licensingProblems") == Status.SOLVER_ERROR


# ---------------------------------------------------------------- options
def test_options_declared_once():
    assert OPTIONS.kind == "bilateral" and set(METHODS) <= set(OPTIONS.methods)
    full = OPTIONS.resolve({"method": "bic"})
    assert (full["cells"], full["max_iterations"], full["tol"]) == (40, 50, 1e-9)
    assert "tol" not in OPTIONS.resolve({})  # tol applies to bic only
    with pytest.raises(ModelError, match="solver.tol: applies to method bic"):
        OPTIONS.resolve({"tol": 0.1})
    with pytest.raises(ModelError, match=r"solver.grid_cells: unknown option .*allowed: method"):
        OPTIONS.resolve({"grid_cells": 3})
    with pytest.raises(ModelError, match="solver.tol: must be a finite number"):
        OPTIONS.resolve({"method": "bic", "tol": math.inf})
    with pytest.raises(ModelError, match="solver.method: must be a string"):
        OPTIONS.resolve({"method": ["bic"]})
    out = subprocess.run(
        [sys.executable, "-m", "datamech.cli", "options", "bilateral"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode == 0 and "check_grid" in out.stdout and "pyomo_bic" in out.stdout


def test_deprecated_names_still_work():
    model = dm.load("examples/models/bilateral_irregular.toml")
    new = dm.solve(model, method="program", check_grid=3)
    with pytest.warns(DeprecationWarning) as caught:
        old = dm.solve(model, method="cvxpy", grid=3)
    texts = " ".join(str(w.message) for w in caught)
    assert "'grid' is deprecated; use 'check_grid'" in texts and "method = 'program'" in texts
    assert old.method == "program" and old.objective == pytest.approx(new.objective, abs=1e-12)
    with pytest.warns(DeprecationWarning, match="max_iterations"):
        dm.solve(model, method="bic", max_iter=5, checks=False)
    with pytest.warns(DeprecationWarning, match="second_best_status"):
        assert new.second_best_status == "optimal"


def test_solver_table_in_the_file(tmp_path):
    text = open("examples/models/bilateral_irregular.toml").read()
    f = tmp_path / "m.toml"
    f.write_text(text + '\n[solver]\nmethod = "program"\ncheck_grid = 3\n')
    model = dm.load(f)
    assert model.solver_options == {"method": "program", "check_grid": 3}
    res = dm.solve(model)
    assert res.method == "program" and res.checks["second_best"].detail["grid"] == 9
    assert dm.solve(model, method="lagrangian").method == "lagrangian"  # keywords override
    back = dm.load(dm.save(model, tmp_path / "copy.toml"))
    assert back.solver_options == model.solver_options
    f.write_text(text + "\n[solver]\nsimplex = true\n")
    with pytest.raises(ModelError, match=r"solver.simplex: unknown option of kind bilateral"):
        dm.solve(dm.load(f))
    f.write_text('solver = "fast"\n' + text)
    with pytest.raises(ModelError, match="solver: must be a table"):
        dm.load(f)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"method": "program", "backend": "pyomo"}, "solver.backend"),
        ({"method": "program", "solver": "ccp"}, "solver.solver"),
        ({"method": "bic", "solver": "bonmin"}, "solver.solver"),
        ({"method": "bic", "backend": "gurobi"}, "solver.backend"),
        ({"method": "program", "cells": 0}, "solver.cells"),
        ({"check_grid": 2.5}, "solver.check_grid"),
        ({"checks": "yes"}, "solver.checks"),
    ],
)
def test_bad_options_name_the_option(options, field):
    with pytest.raises(ModelError) as e:
        dm.solve(dm.load("examples/models/bilateral_b1.toml"), **options)
    assert e.value.field == field


# ---------------------------------------------------------------- sizes and extremes
def test_sizes_are_refused_before_allocation():
    b1 = dm.load("examples/models/bilateral_b1.toml")
    with pytest.raises(ModelError, match=r"solver.cells: the DSIC program over 5,000 x 5,000"):
        dm.solve(b1, method="program", cells=5000)  # 2e11 bytes
    big = BilateralModel(
        Discrete(list(range(1, 401)), [Fr(1, 400)] * 400),
        Discrete(list(range(1, 401)), [Fr(1, 400)] * 400),
        good="indivisible",
    )
    with pytest.raises(ModelError, match=r"buyer.values: .* 400 x 400 type cells"):
        dm.solve(big, method="program", max_memory_gb=1)  # 160,000 cells, about 1.3 GB
    pairs = [[0.5, 1.5]] * 100_000
    with pytest.raises(ModelError, match=r"model.profiles: payments at 100,000 profiles"):
        dm.solve(BilateralModel(U01, U12, alpha="1/2", profiles=pairs))
    with pytest.raises(ModelError) as e:
        dm.solve(b1, check_grid=2000)
    assert e.value.field == "solver.check_grid"


@pytest.mark.skipif(not nlp_available("ripopt"), reason="ripopt is not installed")
def test_pyomo_grid_is_limited():
    with pytest.raises(
        ModelError, match="solver.cells: the pyomo BIC program .* backend = 'cvxpy'"
    ):
        dm.solve(dm.load("examples/models/bilateral_b1.toml"), method="bic", backend="pyomo",
                 cells=200)  # fmt: skip


def test_oversized_file_under_ulimit_is_one_line(tmp_path):
    import resource

    f = tmp_path / "big.toml"
    f.write_text(
        open("examples/models/bilateral_b1.toml").read()
        + '\n[solver]\nmethod = "program"\ncells = 100000\n'
    )

    def limit():  # 4 GB of address space, as the fuzzer runs
        resource.setrlimit(resource.RLIMIT_AS, (4_000_000_000, 4_000_000_000))

    out = subprocess.run(
        [sys.executable, "-m", "datamech.cli", "solve", str(f)],
        capture_output=True, text=True, check=False, preexec_fn=limit, timeout=60,
    )  # fmt: skip
    assert out.returncode == 2 and out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "solver.cells" in lines[0] and "max_memory_gb" in lines[0]


def test_a_large_discrete_law_is_fast():
    """100,000 atoms: the Lagrangian, the mechanisms and the checks in seconds (the
    result summarises the law instead of echoing it)."""
    n = 100_000
    law = Discrete([1 + i / n for i in range(n)], [1 / n] * n)
    res = dm.solve(BilateralModel(law, U12, alpha="1/2"), check_grid=4)
    assert res.buyer == {"family": "discrete", "atoms": n, "support": [1.0, 2 - 1 / n]}
    assert res.status == Status.OPTIMAL and res.seconds < 60


def test_extreme_values():
    """Types beyond 1e12 are refused by the laws' documented range; integrals that leave
    the float range inside it are a SolverError, never a traceback or a wrong number."""
    data = {
        "model": {"kind": "bilateral", "alpha": "1/2"},
        "buyer": {"family": "uniform", "low": 0, "high": 1},
        "seller": {"family": "uniform", "low": 1, "high": 1e308},
    }
    with pytest.raises(ModelError) as e:
        from_dict(data)
    assert e.value.field == "seller.high" and "1e+12" in e.value.problem
    # alpha = 0.95 (k = 20): E[v^20] = 1e240/21 and E[c^-19] = 1e108/18 are finite, their
    # product (the first best, about 1e345) is not
    with pytest.raises(SolverError) as e:
        dm.solve(BilateralModel(Uniform(0, 1e12), Uniform(1e-6, 1), alpha="0.95"))
    assert e.value.status == Status.SOLVER_ERROR and "rescale" in str(e.value)
    with pytest.raises(ModelError, match=r"buyer.high: E\[v\^.*float range"):
        BilateralModel(Uniform(0, 1e12), U12, alpha="0.99")  # E[v^100] = 1e1200


# ---------------------------------------------------------------- known answers
# Discrete instance D1 (indivisible), by hand: buyer v in {0, 2, 5} w.p. 1/4, 1/4, 1/2,
# seller c in {1, 4, 5} w.p. 1/3 each.  Discrete virtual values phi^B = -6, -4, 5;
# virtual costs phi^S = 1, 7, 7 (regular).  Trading pairs (v, c): (2, 1) gain 1, budget
# weight -5, probability 1/12; (5, 1) gain 4, weight 4, 1/6; (5, 4) gain 1, weight -2,
# 1/6.  FB = 1/12 + 4/6 + 1/6 = 11/12 with B(0) = -5/12 + 4/6 - 2/6 = -1/12 < 0; the
# cheapest budget repair trades (2, 1) with probability 4/5 (GFT loss 1/60, against 1/24
# for (5, 4)): SB = 9/10 at lambda* = 1/5 (N(2) = 2 - 4/5 = D(1) = 1 + 1/5), monotone.
D1 = (Discrete([0, 2, 5], ["1/4", "1/4", "1/2"]), Discrete([1, 4, 5], ["1/3"] * 3))
# D2 (alpha = 1/2), spec-style: FB = sum p_v p_c v^2/(4c) = 111/160 and B(0) >= 0, so SB = FB.
D2 = (Discrete([1, 2, 3], ["3/5", "1/10", "3/10"]), Discrete([1, 2], ["1/2", "1/2"]))

# (buyer, seller, alpha/good, FB, SB, lambda*, grid tolerance: SB - program value at 20
# cells, measured 5.4e-5 / 3.0e-3 / 9.6e-4 / 2e-5 / 5.6e-4 for B1 / B2 / B3 / B4 / MS)
KNOWN = [
    pytest.param(U01, U12, {"alpha": "1/2"}, LN2 / 12, 0.0567197698, 0.149172133804, 7e-5,
                 id="B1"),
    pytest.param(U01, U01, {"alpha": "1/3"}, 8 / (15 * math.sqrt(3)), 0.292803487053, 0.25,
                 4e-3, id="B2"),
    pytest.param(U01, U01, {"alpha": "1/4"}, (27 / 56) * 4 ** (-1 / 3), 0.296560473912, 1 / 6,
                 1.2e-3, id="B3"),
    pytest.param(U12, U12, {"alpha": "1/2"}, 7 / 12 * LN2, 7 / 12 * LN2, 0.0, 1e-4, id="B4"),
    pytest.param(U01, U01, {"good": "indivisible"}, Fr(1, 6), Fr(9, 64), Fr(1, 2), 7e-4,
                 id="myerson_satterthwaite"),
    pytest.param(*D1, {"good": "indivisible"}, Fr(11, 12), Fr(9, 10), Fr(1, 5), 0, id="D1"),
    pytest.param(*D2, {"alpha": "1/2"}, Fr(111, 160), Fr(111, 160), 0, 0, id="D2"),
]  # fmt: skip


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("buyer", "seller", "kw", "fb", "sb", "lam", "tol"), KNOWN)
def test_known_answers(buyer, seller, kw, fb, sb, lam, tol, method):
    """Every method reproduces the second best: the Lagrangian to 1e-10; the grid
    programs exactly on discrete laws (used as given) and from below within the measured
    discretization error on continuous ones (a step allocation is feasible: GFT_K <= SB)."""
    model = BilateralModel(buyer, seller, mechanisms="first_best", **kw)
    res = dm.solve(model, method=method, checks=False, **({} if method == "lagrangian" else
                   {"cells": 20 if method == "program" else 10}))  # fmt: skip
    assert res.first_best == pytest.approx(float(fb), abs=1e-12)
    if method == "lagrangian" or tol == 0:
        assert res.second_best == pytest.approx(float(sb), abs=1e-9)
    else:
        cells_tol = tol if method == "program" else 4 * tol  # bic runs on 10 cells
        assert -1e-9 <= float(sb) - res.second_best <= cells_tol
    if method == "lagrangian" or tol == 0:
        assert res.lambda_star == pytest.approx(float(lam), abs=1e-6)
    if isinstance(fb, Fr) and "alpha" in kw:  # exact discrete laws, integer k
        assert first_best(buyer, seller, **kw).objective_exact == fb


def test_myerson_satterthwaite_mechanisms():
    """The whole table of the classic instance (closed forms in the module docstring)."""
    res = dm.solve(dm.load("examples/models/bilateral_indivisible.toml"), check_grid=5)
    rows = {r["name"]: r for r in res.mechanisms}
    expect = {
        "first_best": 1 / 6,
        "second_best": 9 / 64,
        "seller_proposing": 1 / 8,
        "buyer_proposing": 1 / 8,
        "broker": 1 / 12,
        "posted_price": 1 / 8,
    }
    for name, value in expect.items():
        assert rows[name]["gains_from_trade"] == pytest.approx(value, abs=1e-10), name
    assert rows["posted_price"]["price"] == pytest.approx(0.5, abs=1e-6)
    assert rows["posted_price"]["status"] == "heuristic"  # a search over prices
    assert rows["broker"]["budget_surplus"] == pytest.approx(1 / 24, abs=1e-10)
    assert res.regime == "interior" and res.lambda_star == pytest.approx(0.5, abs=1e-12)


def test_regimes_and_tie_randomization():
    """D1: the Lagrangian randomizes on the tie (2, 1) with weight 4/5; B4: lambda* = 0."""
    sb = second_best(*D1, good="indivisible")
    assert sb.regime == "interior" and sb.tie_weight == pytest.approx(0.8, abs=1e-9)
    assert sb.budget_surplus == pytest.approx(0, abs=1e-12)
    assert second_best(U12, U12, "1/2").regime == "first_best_feasible"
    none = dm.solve(BilateralModel(U01, Uniform(2, 3), good="indivisible"), check_grid=3)
    assert none.regime == "no_trade" and none.second_best == 0 and math.isinf(none.lambda_star)
    assert "second_best" not in none.checks and json.dumps(none.to_dict(), allow_nan=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning on the way
        assert none.plot() is not None
