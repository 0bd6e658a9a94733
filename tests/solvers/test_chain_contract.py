"""The result contract (issue 13) and the trust reproducers (issue 12) for kind chain.

A local version of tests/test_contract.py: every example file and every documented
method: load -> solve -> status in SOLUTION_PRESENT -> json.dumps(to_dict()) ->
to_frame() a real table -> save -> load -> same objective; methods that do not apply
refuse with a ModelError.  Then one table of known answers run across all the kind's
methods (fast = reference = enumeration = MIP = evolution), derived by hand, and the
issue-12 reproducers, each a test.
"""

import json
import math
import os
import subprocess
import sys
import time
from fractions import Fraction as F
from pathlib import Path

import numpy as np
import pytest

import datamech as dm
from datamech import ModelError, SolverError
from datamech.models.chain import create, paper_model
from datamech.models.chain_continuous import TruncatedNormalWalk, create_continuous
from datamech.results import CONTRACT_KEYS, Certificate, Result
from datamech.solvers import options_for
from datamech.solvers.chain import (
    OPTIONS,
    solve_equilibrium,
    tie_robustness,
    verify_equilibrium,
)
from datamech.status import SOLUTION_PRESENT, Status

EXAMPLES = sorted(Path("examples/models").glob("chain_*.toml"))
METHODS = tuple(OPTIONS.methods)
DISCRETE = ("fast", "reference", "evolution", "enumerate", "mip")
# what each example admits; the n = 5 paper models are too large for the MIP (refused by
# its size guards) and get the 1/2 grid for enumeration (120 matrices, not 183,750)
APPLIES = {
    "chain_continuous": ("fptas",),
    "chain_opt": DISCRETE,
    "chain_tbds": DISCRETE,
}
FAST_OPTIONS = {
    "evolution": {"restarts": 1, "max_iterations": 5},
    "enumerate": {"m": 2},
    "mip": {"m": 2},
}
STATUS = {
    "fast": Status.OPTIMAL,
    "reference": Status.OPTIMAL,
    "fptas": Status.OPTIMAL,
    "evolution": Status.HEURISTIC,
    "enumerate": Status.OPTIMAL,
    "mip": Status.OPTIMAL,
}


def applies(path):
    return APPLIES.get(path.stem, ("fast", "reference", "evolution", "enumerate"))


def run(*args, **kw):
    return subprocess.run(
        [sys.executable, "-m", "datamech.cli", *args], capture_output=True, text=True, **kw
    )


# ---------------------------------------------------------------- the contract
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
@pytest.mark.parametrize("method", METHODS)
def test_contract_per_example_and_method(path, method, tmp_path):
    model = dm.load(path)
    if method not in applies(path):
        with pytest.raises(ModelError) as e:
            dm.solve(model, method=method, **FAST_OPTIONS.get(method, {}))
        assert e.value.field.startswith("solver.")
        return
    opts = FAST_OPTIONS.get(method, {})
    res = dm.solve(model, method=method, **opts)
    assert isinstance(res, Result)
    assert isinstance(res.status, Status) and res.status in SOLUTION_PRESENT
    assert res.status == STATUS[method]
    assert res.method == method
    assert (res.backend, res.solver) == (("pyomo", "HiGHS") if method == "mip" else ("none",) * 2)
    assert res.objective_name == ("social_welfare")
    assert res.objective == pytest.approx(float(res.social_welfare), abs=0)
    exact = model.solver_options.get("exact", False) and method != "fptas" or method == "mip"
    assert isinstance(res.objective_exact, F) == bool(exact)
    d = res.to_dict()
    assert list(d)[: len(CONTRACT_KEYS)] == list(CONTRACT_KEYS)
    text = json.dumps(d, allow_nan=False)
    assert json.loads(text)["status"] == res.status.value
    frame = res.to_frame()
    assert len(frame) > 1
    assert len(repr(res)) < 200 and "\n" not in repr(res)
    assert "<table" in res._repr_html_()
    again = dm.solve(dm.load(dm.save(model, tmp_path / "m.toml")), method=method, **opts)
    assert again.objective == pytest.approx(res.objective, abs=1e-12)


def test_options_are_the_kinds_one_declaration():
    assert options_for("chain") is OPTIONS
    assert set(METHODS) == {"fast", "reference", "fptas", "evolution", "enumerate", "mip"}
    out = run("options", "chain")
    assert out.returncode == 0 and "continuous chains only" in out.stdout
    spec = json.loads(run("options", "chain", "--json").stdout)
    assert spec["default_method"] == "fast"
    # an option of another method is refused, naming it and the method it applies to
    with pytest.raises(ModelError, match="applies to method fptas"):
        dm.solve(paper_model(2, 2), epsilon=0.1)
    with pytest.raises(ModelError, match="applies to method enumerate, mip"):
        dm.solve(paper_model(2, 2), m=2)


def test_solve_json_carries_the_contract_and_exact_headline():
    out = run("solve", "examples/models/chain_model2.toml", "--json", "--exact")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert list(d)[: len(CONTRACT_KEYS)] == list(CONTRACT_KEYS)
    # spec §4: exact ties, the paper's rule 'first' settles them as 'low' here
    assert d["objective_exact"] == "1523/6250" and d["objective"] == pytest.approx(0.24368)
    assert (d["method"], d["backend"], d["solver"]) == ("fast", "none", "none")
    mip = dm.solve(dm.load("examples/models/chain_opt.toml"), method="mip")
    d = json.loads(json.dumps(mip.to_dict()))
    assert d["objective_exact"] == "31/100" and (d["backend"], d["solver"]) == ("pyomo", "HiGHS")


def test_plots_are_figure_2_style_with_integer_axes(tmp_path):
    import matplotlib.figure

    model = dm.load("examples/models/chain_tbds.toml")
    res = dm.solve(model)
    fig = res.plot()
    assert isinstance(fig, matplotlib.figure.Figure)
    success, utility = fig.axes[:2]
    assert success.get_xlabel() == "trade i" and utility.get_xlabel() == "player i"
    assert [t for t in success.get_xticks() if 1 <= t <= 3] == [1, 2, 3]
    assert all(float(t).is_integer() for t in utility.get_xticks())
    heights = [p.get_height() for p in success.patches]
    assert heights == pytest.approx([float(x) for x in res.trade_success])
    lo, hi = success.get_xlim()
    assert lo < 1 - 0.4 and hi > 3 + 0.4  # no bar drawn on the frame
    paths = res.save_plots(tmp_path, "chain")
    assert sorted(p.name for p in paths) == ["chain.pdf", "chain.png"]
    opt = dm.solve(dm.load("examples/models/chain_opt.toml"))
    assert len(opt.plot().axes) >= 3  # outcome panels and the matrix
    cont = dm.solve(dm.load("examples/models/chain_continuous.toml"), check=False)
    assert cont.plot().axes[2].get_xlabel() == "value v"
    robust = tie_robustness(paper_model(2, 3, "AVE")).plot()
    assert [p.get_label() for p in robust.axes[0].containers] == [
        "optimistic ties",
        "adversarial ties",
    ]


def test_verifier_returns_the_certificate_type():
    model = paper_model(2, 3, "AVE")
    eq = solve_equilibrium(model, exact=True)
    check = verify_equilibrium(model, eq.thresholds, eq.prices, exact=True)
    assert isinstance(check, Certificate) and check.ok and check.max_violation == 0
    assert check.tolerance == 0 and check.method == "backward"
    assert len(check.to_frame()) == 4  # players 0..3
    json.dumps(check.to_dict())
    bad = eq.prices.copy()
    bad[0, 0] += F(1, 10)
    worse = verify_equilibrium(model, eq.thresholds, bad, exact=True)
    assert not worse.ok and not bool(worse) and worse.detail["worst_player"] == 0


# ---------------------------------------------------------------- known answers
def one_trade():
    """One trade, v_0 = 0, v_1 uniform on {0, 1/2, 1}: prices 1/2 and 1 both earn 1/3."""
    third = [F(1, 3)] * 3
    return create(1, [0, F(1, 2), 1], [third] * 3, start=0)


# By hand (see the module of each case):
# * one_trade: first/low post 1/2 (buyers 1/2 and 1 accept): SW = (1/2 + 1)/3 = 1/2,
#   TV = 2/3; high posts 1: SW = TV = 1/3.  With n = 1 RAW is the only budget-balanced
#   matrix, so every OPT method returns the same equilibrium.
# * Model 2, n = 2 (W = k/4, v_0 = 0): seller 1's prices (first) are 1/4, 1/2, 1/2, 3/4,
#   3/4 with thresholds 1/10, 9/20, 4/5, 6/5, 8/5; seller 0 posts 9/20 (9/50 beats
#   1/10 and 4/25), so trade 1 happens at v_1 in {1/4, 1/2} (2/5) and trade 2 with
#   probability 1/5 (2/5 and 3/5 of those): SW = 3/20 + 7/50 = 29/100, TV = 3/5.  Under
#   high, seller 1 posts 3/4 at v_1 = 1/2: SW = 27/100, TV = 14/25.  OPT on the 1/2 grid:
#   paying trade 2's price to player 0 leaves seller 1 indifferent, the first candidate
#   (price 0) sells surely: SW = 3/20 + (3/50 + 1/10) = 31/100, TV = 4/5; the other two
#   rows give 29/100.
KNOWN = [
    pytest.param(one_trade, "first", F(1, 2), F(2, 3), F(1, 2), id="one_trade-first"),
    pytest.param(one_trade, "low", F(1, 2), F(2, 3), F(1, 2), id="one_trade-low"),
    pytest.param(one_trade, "high", F(1, 3), F(1, 3), F(1, 3), id="one_trade-high"),
    pytest.param(lambda: paper_model(2, 2), "first", F(29, 100), F(3, 5), F(31, 100), id="m2n2"),
    pytest.param(lambda: paper_model(2, 2), "low", F(29, 100), F(3, 5), F(31, 100), id="m2n2-low"),
    pytest.param(lambda: paper_model(2, 2), "high", F(27, 100), F(14, 25), None, id="m2n2-high"),
]


@pytest.mark.parametrize("make, rule, sw, tv, opt_sw", KNOWN)
def test_known_answers_across_methods(make, rule, sw, tv, opt_sw):
    model = make()
    for method in ("fast", "reference"):
        res = dm.solve(model, method=method, tie_break=rule, exact=True)
        assert (res.objective_exact, res.transaction_volume) == (sw, tv), method
        flt = dm.solve(model, method=method, tie_break=rule)  # floats, tolerance 1e-9
        assert flt.objective == pytest.approx(float(sw), abs=1e-12)
    if opt_sw is None:
        return
    for method, opts in (
        ("enumerate", {"m": 2}),
        ("mip", {"m": 2}),
        ("evolution", {"restarts": 1, "max_iterations": 20}),
    ):
        res = dm.solve(model, method=method, tie_break=rule, exact=True, **opts)
        assert res.objective_exact == opt_sw, method
        assert res.status == (Status.HEURISTIC if method == "evolution" else Status.OPTIMAL)
        assert res.certified == (method != "evolution")


def test_spec_model2_numbers_fast_equals_reference():
    """Spec §4: Model 2, RAW, n = 5 under the three readings of a tie."""
    model = paper_model(2, 5)
    for method in ("fast", "reference"):
        paper = dm.solve(model, method=method, tie_break="first", tol=0)
        assert round(paper.objective, 3) == 0.232 and round(paper.transaction_volume, 3) == 0.859
        low = dm.solve(model, method=method, tie_break="low", exact=True)
        high = dm.solve(model, method=method, tie_break="high", exact=True)
        assert (low.objective_exact, high.objective_exact) == (F(1523, 6250), F(6281, 31250))


# ---------------------------------------------------------------- issue 12 reproducers
def test_non_finite_tolerance_is_refused():
    model = dm.load("examples/models/chain_model2.toml")
    for bad in (math.inf, -math.inf, math.nan):
        with pytest.raises(ModelError) as e:
            dm.solve(model, tol=bad)
        assert e.value.field == "solver.tol"
    with pytest.raises(ModelError, match="<= 0.001"):
        dm.solve(model, tol=0.5)
    out = run("solve", "examples/models/chain_model2.toml", "--tol", "inf", "--json")
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and "solver.tol" in out.stderr


def test_unknown_option_is_a_model_error_listing_the_allowed():
    with pytest.raises(ModelError) as e:
        dm.solve(paper_model(2, 2), tie_brake="low")
    assert e.value.field == "solver.tie_brake" and "tie_break" in str(e.value)


def test_values_near_the_float_range(tmp_path):
    text = Path("examples/models/chain_tbds.toml").read_text()
    huge = text.replace("[-0.5, 0.25, 1.0, 2.5]", "[1.7e308, 1.7e308, 1.7e308, 1.7e308]")
    (tmp_path / "huge.toml").write_text(huge)
    # exact (the file's mode): welfare 4 x 1.7e308 exceeds the float range, carried exactly
    out = run("solve", str(tmp_path / "huge.toml"), "--json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["objective"] is None and F(d["objective_exact"]) == 4 * F(17 * 10**307)
    res = dm.solve(dm.load(tmp_path / "huge.toml"))
    assert res.objective == math.inf and "(= 68" in res.format()
    # floats: the arithmetic would overflow; refused with a status
    with pytest.raises(SolverError) as e:
        dm.solve(dm.load(tmp_path / "huge.toml"), exact=False)
    assert e.value.status == Status.SOLVER_ERROR and "exact = true" in str(e.value)
    # beyond the float range altogether: exact only
    (tmp_path / "beyond.toml").write_text(huge.replace("1.7e308, 1.7e308]", '1.7e308, "1e400"]'))
    beyond = dm.load(tmp_path / "beyond.toml")
    assert dm.solve(beyond).objective_exact > 10**399  # v = 1e400 is reached
    with pytest.raises(ModelError) as e:
        dm.solve(beyond, exact=False)
    assert e.value.field == "model.values"


def test_sizes_are_refused_before_allocation(tmp_path):
    text = Path("examples/models/chain_model2.toml").read_text()
    (tmp_path / "n.toml").write_text(text.replace("n = 5", "n = 1000000000"))
    with pytest.raises(ModelError) as e:
        dm.load(tmp_path / "n.toml")
    assert e.value.field == "model.n" and "reallocation matrix needs about" in str(e.value)
    cont = Path("examples/models/chain_continuous.toml").read_text()
    for name, new in (("eps", ("epsilon = 0.05", "epsilon = 1e-9")),
                      ("sigma", ("sigma = 1.0", "sigma = 0.1"))):  # fmt: skip
        (tmp_path / f"{name}.toml").write_text(cont.replace(*new))
        with pytest.raises(ModelError) as e:
            dm.solve(dm.load(tmp_path / f"{name}.toml"))
        assert e.value.field == "model.epsilon" and "point grid" in str(e.value)
    assert "40,081-point grid" in str(e.value) and "K0 100" in str(e.value)
    with pytest.raises(ModelError) as e:  # the option names the option
        dm.solve(dm.load("examples/models/chain_continuous.toml"), epsilon=1e-6)
    assert e.value.field == "solver.epsilon"
    with pytest.raises(ModelError) as e:  # the check's finer grid, by its own option
        dm.solve(dm.load("examples/models/chain_continuous.toml"), refine=64, max_memory_gb=1)
    assert e.value.field == "solver.refine" and "check = false" in str(e.value)
    with pytest.raises(ModelError) as e:  # a grid too large for the reference's L^4 work
        dm.solve(create(2, np.linspace(0, 1, 1500), np.full((1500, 1500), 1 / 1500), start=0),
                 method="reference")  # fmt: skip
    assert e.value.field == "model.values" and "method = 'fast'" in str(e.value)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs ulimit")
def test_oversized_file_under_a_4gb_address_space(tmp_path):
    text = Path("examples/models/chain_model2.toml").read_text()
    (tmp_path / "n.toml").write_text(text.replace("n = 5", "n = 1000000000"))
    cont = Path("examples/models/chain_continuous.toml").read_text()
    (tmp_path / "s.toml").write_text(cont.replace("sigma = 1.0", "sigma = 0.1"))
    for name in ("n", "s"):
        t0 = time.perf_counter()
        out = subprocess.run(
            [
                "bash",
                "-c",
                f"ulimit -v 4000000; {sys.executable} -m datamech.cli solve {tmp_path / name}.toml",
            ],  # fmt: skip
            capture_output=True,
            text=True,
        )
        assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
        assert "Traceback" not in out.stderr and "needs about" in out.stderr
        assert time.perf_counter() - t0 < 30


@pytest.mark.parametrize(
    "edit, field, fragment",
    [
        (('name = "paper model 2"', "name = true"), "model.name", "must be a string"),
        (('name = "paper model 2"', "name = [1]"), "model.name", "must be a string"),
        (('method = "fast"', 'method = ["fast"]'), "solver.method", "must be a string"),
        (('name = "RAW"', 'name = ["RAW"]'), "mechanism.name", "must be a string"),
        (
            ('["3/5", "1/5", "1/5", 0', '[0.5, "1/5", "1/5", 0'),
            "model.transition",
            "row 0 sums to 9/10, not 1",
        ),  # fmt: skip
        (
            ("start = 0", "start_distribution = [0.5, 0.4, 0, 0, 0, 0, 0, 0, 0, 0, 0]"),
            "model.start_distribution",
            "sums to 0.9, not 1",
        ),  # fmt: skip
        (("values = [0,", "values = [nan,"), "model.values[0]", "finite"),
        (("values = [0,", "values = [true,"), "model.values[0]", "boolean"),
    ],
)
def test_bad_files_give_one_plain_line(tmp_path, edit, field, fragment):
    text = Path("examples/models/chain_model2.toml").read_text()
    assert edit[0] in text
    (tmp_path / "bad.toml").write_text(text.replace(edit[0], edit[1], 1))
    with pytest.raises(ModelError) as e:
        dm.load(tmp_path / "bad.toml")
    assert e.value.field == field and fragment in str(e.value)
    assert "np." not in str(e.value) and "row" not in str(e.value).replace("row 0", "")


def test_kernel_family_must_be_a_string(tmp_path):
    text = Path("examples/models/chain_continuous.toml").read_text()
    (tmp_path / "k.toml").write_text(text.replace('"truncated_normal"', '["truncated_normal"]'))
    with pytest.raises(ModelError) as e:
        dm.load(tmp_path / "k.toml")
    assert e.value.field == "model.kernel.family"


def test_mixed_exact_and_decimal_entries(tmp_path):
    # values and start law written half as "p/q", half as decimals: one exact model
    m = create(1, ["3/4", 1.5, 3], [[0.5, "1/50", 0.48]] * 3,
               start_distribution=[0.5, "1/2", 0])  # fmt: skip
    assert m.values.tolist() == [F(3, 4), F(3, 2), F(3)]
    assert m.transition[0].tolist() == [F(1, 2), F(1, 50), F(12, 25)]
    res = dm.solve(m, exact=True)
    assert isinstance(res.objective_exact, F)
    text = Path("examples/models/chain_model2.toml").read_text()
    (tmp_path / "mixed.toml").write_text(text.replace('"1/10", "1/5"', '0.1, "1/5"'))
    same = dm.solve(dm.load(tmp_path / "mixed.toml"), exact=True)
    ref = dm.solve(dm.load("examples/models/chain_model2.toml"), exact=True)
    assert same.objective_exact == ref.objective_exact


def test_continuous_chain_contract_fields():
    m = create_continuous(2, (0, 1), TruncatedNormalWalk(1.0), start=0.5, epsilon=0.3)
    res = dm.solve(m)
    assert res.status == Status.OPTIMAL and res.advice == ""
    assert res.objective == res.social_welfare and res.objective_exact is None
    with pytest.raises(ModelError) as e:
        dm.solve(m, exact=True)
    assert e.value.field == "solver.exact"
    with pytest.raises(ModelError) as e:
        dm.solve(m, method="fast")
    assert e.value.field == "solver.method" and "'fptas'" in str(e.value)


def test_long_work_shows_a_progress_bar(monkeypatch, capsys):
    from datamech.experiments.figures import figure3

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # as on a terminal
    dm.solve(paper_model(2, 3), method="enumerate", m=4, batch=1)  # 75 matrices
    assert "enumerate" in capsys.readouterr().err
    figure3(ns=(2,), models=(2,), maxiter=2)
    assert "figure" in capsys.readouterr().err
    figure3(ns=(2,), models=(2,), maxiter=2, progress=False)
    assert "figure" not in capsys.readouterr().err
