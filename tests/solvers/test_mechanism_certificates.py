"""Certificates of kind ``mechanism``: the independent evaluator, dual bounds, exact
re-solves, audits, errors of the solvers, and the result contract."""

from __future__ import annotations

import json
from fractions import Fraction as F

import numpy as np
import pytest

import datamech as dm
from datamech.errors import ModelError, SolverError
from datamech.models.mechanism import create
from datamech.results import Certificate
from datamech.solvers.mechanism.audit import audit
from datamech.solvers.mechanism.border import sweep
from datamech.solvers.mechanism.evaluate import Mechanism, evaluate
from datamech.status import SOLUTION_PRESENT, Status


def two_bidders(**kw):
    return create(
        outcomes={"preset": "single_item"},
        agents=[
            {
                "count": 2,
                "family": "discrete",
                "values": ["1/4", "1/2", "3/4", 1],
                "probs": ["1/4"] * 4,
            }
        ],
        **kw,
    )


# ------------------------------------------------------------------ the evaluator
def test_evaluator_finds_a_deviation_planted_in_a_mechanism():
    m = create(
        outcomes={"preset": "single_item"},
        agents=[{"family": "discrete", "values": [1, 2], "probs": ["1/2", "1/2"]}],
    )
    # posted price 1: both types buy at 1; charging the high type 3/2 more makes it lie
    honest = Mechanism(m.instance(), allocation=[[1], [1]], payments=[[1], [1]])
    ev = evaluate(honest)
    assert ev.max_ic_violation == 0 and ev.revenue == 1
    cheat = Mechanism(m.instance(), allocation=[[1], [1]], payments=[[1], [F(5, 2)]])
    ev = evaluate(cheat)
    assert ev.max_ic_violation == F(3, 2) and ev.best_report[0] == [0, 0]
    assert ev.max_ir_violation == F(1, 2)  # the high type pays 5/2 for a value of 2


def test_evaluator_reads_floats_as_their_exact_binary_values():
    m = create(
        outcomes={"preset": "single_item"},
        agents=[{"family": "discrete", "values": [1, 2], "probs": ["1/2", "1/2"]}],
    )
    ev = evaluate(Mechanism(m.instance(), allocation=[[0.1], [0.1]], payments=[[0.1], [0.1]]))
    assert ev.revenue == F(0.1)  # not 1/10
    assert ev.max_ir_violation == 0


def test_border_check_catches_an_infeasible_interim_rule():
    m = two_bidders()
    inst = m.instance()
    # both bidders' top type wins for sure: X = 1 at the top for two agents is infeasible
    X = [np.array([[0], [0], [0], [1]], dtype=object)] * 2
    P = [np.zeros(4, dtype=object)] * 2
    ev = evaluate(Mechanism(inst, interim_allocation=X, interim_payments=P))
    # top sets: 1/4 + 1/4 - (1 - (3/4)^2) = 1/16
    assert ev.max_feasibility_violation == F(1, 16)


def test_separation_sweep_equals_brute_force_on_random_rules():
    import itertools

    rng = np.random.default_rng(3)
    for _ in range(60):
        n, K = int(rng.integers(1, 4)), int(rng.integers(1, 5))
        agent = np.repeat(np.arange(n), K)
        f = rng.random(n * K)
        for i in range(n):
            f[agent == i] /= f[agent == i].sum()
        x = rng.random(n * K)
        orders, _, values = sweep(x, agent, f, n)
        brute = max(
            sum((f[orders[i][: c[i]]] * x[orders[i][: c[i]]]).sum() for i in range(n))
            - (1 - np.prod([1 - f[orders[i][: c[i]]].sum() for i in range(n)]))
            for c in itertools.product(range(K + 1), repeat=n)
        )
        assert values.max() == pytest.approx(brute, abs=1e-12)


# ------------------------------------------------------------------ bounds and exactness
def test_exact_result_is_a_proof():
    res = dm.solve(two_bidders(), method="lp", exact=True)
    assert isinstance(res.value, F) and res.gap == 0 and res.dual_bound == res.value
    cert = res.certificate
    assert isinstance(cert, Certificate) and cert.ok and cert.max_violation == 0
    assert "exact" in cert.detail["bound_method"]


def test_float_result_has_a_small_certified_gap():
    res = dm.solve(two_bidders(), method="reduced_form")
    assert res.gap is not None and -1e-12 <= res.gap <= 1e-9
    assert res.certificate.ok and res.status is Status.OPTIMAL
    assert res.implementation["kind"] == "priority_lottery"


def test_priority_lottery_implements_the_interim_rule():
    res = dm.solve(two_bidders(), method="reduced_form")
    lottery = res.mechanism.implementation
    # at the profile (top, top) the item is split (or given) with total probability 1
    x = lottery.allocation([3, 3])
    assert sum(x) == pytest.approx(1.0) and min(x) >= 0
    # below the reserve nobody gets it: revenue-optimal reserve is 1/2 here
    assert sum(lottery.allocation([0, 0])) == 0
    assert res.certificate.detail["max_implementation_violation"] <= 1e-12


def test_multi_item_lazy_and_all_pairs_agree():
    m = create(
        outcomes={"preset": "multi_item", "items": 2},
        agents=[{"item_types": [{"family": "uniform", "low": 0, "high": 1}] * 2}],
        grid={"cells": 5},
    )
    lazy = dm.solve(m, ic_rows="lazy")
    full = dm.solve(m, ic_rows="all")
    assert lazy.objective == pytest.approx(full.objective, abs=1e-10)
    assert lazy.rows < full.rows
    assert lazy.max_ic_violation <= 1e-9  # every one of the 600 pairs, checked exactly


def test_unit_demand_buyer():
    m = create(
        outcomes={"preset": "multi_item", "items": 2, "valuation": "unit_demand"},
        agents=[{"types": [[1, 0], [0, 1], [1, 1]], "probs": ["1/3"] * 3}],
    )
    res = dm.solve(m, exact=True)
    # selling any single item at 1 extracts everything: revenue 1 (each type buys one item)
    assert res.objective_exact == 1
    assert all(sum(row) <= 1 for row in res.allocation[0])


# ------------------------------------------------------------------ errors
def test_revenue_without_ir_is_unbounded_naming_the_family():
    with pytest.raises(SolverError) as err:
        dm.solve(two_bidders(constraints={"ir": "none"}))
    assert err.value.status is Status.UNBOUNDED and "constraints.ir" in str(err.value)


def test_infeasible_requirements_name_the_family():
    m = two_bidders(constraints={"requirements": ["x1 + x2 >= 1"]})  # nobody below 1/4
    with pytest.raises(SolverError) as err:
        dm.solve(m, method="lp", ir="interim") if False else dm.solve(
            create(
                outcomes={"preset": "single_item"},
                agents=[
                    {
                        "count": 2,
                        "family": "discrete",
                        "values": ["1/4", 1],
                        "probs": ["1/2", "1/2"],
                    }
                ],
                constraints={"requirements": ["x1 >= 3/4", "x2 >= 3/4"]},
            ),
            method="lp",
        )
    assert err.value.status is Status.INFEASIBLE
    assert "constraints.requirements" in str(err.value)
    del m


def test_public_project_budget_infeasible_names_the_budget():
    m = create(
        outcomes={"preset": "table", "outcomes": ["build"], "costs": [1]},
        agents=[{"probs": [1], "values": [[0]]}],
        constraints={"budget": "no_deficit"},
    )
    with pytest.raises(SolverError) as err:
        dm.solve(m)
    assert err.value.status is Status.INFEASIBLE and "constraints.budget" in str(err.value)


@pytest.mark.parametrize(
    "options, field",
    [
        ({"method": "reduced_form"}, "solver.method"),
        ({"ic_rows": "lazy", "method": "mip"}, "solver.ic_rows"),
        ({"method": "lottery"}, "solver.method"),
        ({"backend": "pyomo", "method": "lp"}, "solver.backend"),
        ({"tol": float("inf")}, "solver.tol"),
        ({"tie_brake": "low"}, "solver.tie_brake"),
        ({"mip_gap": 0.1}, "solver.mip_gap"),
    ],
)
def test_bad_options_name_the_option(options, field):
    m = create(
        outcomes={"preset": "multi_item"},
        agents=[{"types": [[1, 2], [2, 1]], "probs": ["1/2", "1/2"]}],
    )
    with pytest.raises(ModelError) as err:
        dm.solve(m, **options)
    assert err.value.field == field


def test_a_program_over_the_memory_limit_is_refused_before_building():
    m = create(
        outcomes={"preset": "single_item"},
        agents=[{"count": 4, "family": "uniform", "low": 0, "high": 1}],
        grid={"cells": 100},
    )
    with pytest.raises(ModelError) as err:
        dm.solve(m, method="lp", max_memory_gb=0.05)
    assert err.value.field == "grid.cells" and "GB" in err.value.problem


def test_mip_row_limit_names_the_grid():
    # 16 x 16 two-item types: 65,280 IC pairs, all stated in a MIP -- refused before pyomo
    m = create(
        outcomes={"preset": "multi_item", "items": 2},
        agents=[{"item_types": [{"family": "uniform", "low": 0, "high": 1}] * 2}],
        grid={"cells": 16},
    )
    with pytest.raises(ModelError) as err:
        dm.solve(m, method="mip")
    assert err.value.field == "grid.cells" and "rows" in err.value.problem


def test_mip_size_limit():
    m = create(
        outcomes={"preset": "single_item"},
        agents=[{"count": 3, "family": "uniform", "low": 0, "high": 1}],
        grid={"cells": 40},
    )
    with pytest.raises(ModelError) as err:
        dm.solve(m, method="mip")
    assert err.value.field == "grid.cells" and "method lp" in err.value.problem


# ------------------------------------------------------------------ audits
def test_first_price_with_truthful_bids_is_not_ic():
    res = audit(two_bidders(mechanism={"rule": "first_price"}))
    # type 1 shades to 1/2: wins w.p. 1/4 + 1/8 and keeps 1/2 -> 3/16 (truth: 0)
    assert res.max_ic_violation == F(3, 16) and res.exact and res.status is Status.EVALUATED
    top = [d for d in res.deviations if d["agent"] == "bidder 1" and d["type_index"] == 3][0]
    assert top["report_index"] == 1 and top["gain"] == F(3, 16)
    assert res.revenue == res.welfare  # truthful first price: the winner pays its value


def test_second_price_with_a_reserve_is_dsic():
    res = audit(
        two_bidders(
            mechanism={"rule": "second_price", "reserve": "1/2"},
            constraints={"ic": "dsic", "ir": "ex_post"},
        )
    )
    assert res.max_ic_violation == 0 and res.max_dsic_violation == 0
    assert res.revenue == F(35, 64)  # by hand: (5.75 + 6 * 1/2) / 16
    assert res.deviations == []


def test_posted_price_trade_and_items():
    trade = create(
        outcomes={"preset": "bilateral_trade"},
        agents=[
            {"role": "buyer", "family": "discrete", "values": [0, 1], "probs": ["1/2", "1/2"]},
            {
                "role": "seller",
                "name": "s",
                "family": "discrete",
                "values": [0, 1],
                "probs": ["1/2", "1/2"],
            },
        ],
        constraints={"ic": "dsic", "ir": "ex_post", "budget": "balanced"},
        mechanism={"rule": "posted_price", "price": "1/2"},
    )
    res = audit(trade)
    assert res.welfare == F(1, 4) and res.revenue == 0
    assert res.max_ic_violation == 0 and res.max_budget_violation == 0
    items = create(
        outcomes={"preset": "multi_item", "items": 2},
        agents=[{"types": [[1, 0], [1, 1]], "probs": ["1/2", "1/2"]}],
        mechanism={"rule": "posted_price", "price": ["1/2", "1/2"]},
    )
    assert audit(items).revenue == F(3, 4)


def test_table_rule_shape_is_checked():
    m = two_bidders(mechanism={"rule": "table", "allocation": [[0, 1]], "payments": [[0, 0]]})
    with pytest.raises(ModelError) as err:
        audit(m)
    assert err.value.field == "mechanism.allocation"


def test_audit_of_the_optimal_mechanism_as_a_table():
    m = create(
        outcomes={"preset": "single_item"},
        agents=[{"family": "discrete", "values": [1, 2], "probs": ["1/2", "1/2"]}],
        mechanism={"rule": "table", "allocation": [[0], [1]], "payments": [[0], [2]]},
    )
    res = audit(m)
    assert res.revenue == 1 and res.max_ic_violation == 0 and res.exact


# ------------------------------------------------------------------ the contract
EXAMPLES = [
    ("mechanism_myerson", ["auto", "lp", "reduced_form", "mip"]),
    ("mechanism_auction_uniform", ["auto", "lp", "reduced_form", "mip"]),
    ("mechanism_lottery", ["lp", "mip"]),
    ("mechanism_bilateral", ["auto", "lp", "mip"]),
    ("mechanism_public_project", ["auto", "mip"]),
    ("mechanism_table", ["auto", "mip"]),
    ("mechanism_audit_second_price", ["auto", "lp", "mip"]),
    ("mechanism_two_items", ["auto"]),
]
#: The default run solves each example with its first method; the rest run with -m slow.
CASES = [
    pytest.param(name, method, id=f"{name}-{method}", marks=[] if k == 0 else [pytest.mark.slow])
    for name, methods in EXAMPLES
    for k, method in enumerate(methods)
]
NOT_APPLICABLE = [
    ("mechanism_audit_second_price", "reduced_form", "solver.method"),
    ("mechanism_bilateral", "reduced_form", "solver.method"),
    ("mechanism_lottery", "reduced_form", "solver.method"),
    ("mechanism_public_project", "reduced_form", "solver.method"),
    ("mechanism_table", "reduced_form", "solver.method"),
    ("mechanism_two_items", "reduced_form", "solver.method"),
    ("mechanism_two_items", "mip", "grid.cells"),
]


@pytest.mark.parametrize("name, method, field", NOT_APPLICABLE)
def test_inapplicable_methods_name_the_reason(name, method, field):
    with pytest.raises(ModelError) as err:
        dm.solve(dm.load(f"examples/models/{name}.toml"), method=method)
    assert err.value.field == field


@pytest.mark.parametrize("name, method", CASES)
def test_contract(name, method, tmp_path):
    m = dm.load(f"examples/models/{name}.toml")
    opts = {"method": method}
    res = dm.solve(m, **opts)
    assert res.status in SOLUTION_PRESENT
    data = json.loads(json.dumps(res.to_dict()))
    for key in (
        "status",
        "objective",
        "objective_name",
        "objective_exact",
        "method",
        "backend",
        "solver",
        "seconds",
        "revenue",
        "welfare",
        "allocation",
        "payments",
        "max_ic_violation",
        "max_ir_violation",
        "max_budget_violation",
        "gap",
    ):
        assert key in data
    assert len(res.to_frame()) == sum(len(t) for t in res.types)
    back = dm.load(dm.save(m, tmp_path / f"{name}.toml"))
    again = dm.solve(back, **opts)
    assert again.objective == pytest.approx(res.objective, abs=1e-9)
    assert len(repr(res)) < 300
    fig = res.plot()
    assert fig is not None
    import matplotlib.pyplot as plt

    plt.close(fig)
