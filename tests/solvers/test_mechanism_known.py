"""Known answers of kind ``mechanism`` (spec §5), run across every method that applies.

Expected values are derived independently of the solvers: by hand (Myerson's discrete
virtual values, written out below), by the closed forms of :mod:`...known` (ironing by
:mod:`datamech.models.distributions`, not by any LP), by brute force over deterministic
menus, or by the existing ``bilateral`` kind.
"""

from __future__ import annotations

import itertools
import warnings
from fractions import Fraction as F

import pytest

import datamech as dm
from datamech.models.distributions import Discrete
from datamech.models.mechanism import create
from datamech.solvers.bilateral import second_best
from datamech.solvers.mechanism.known import (
    MANELLI_VINCENT,
    myerson_revenue,
    uniform_auction_revenue,
)


def grid_values(K):
    return [str(F(k, K)) for k in range(1, K + 1)]


def auction(agents, **kw):
    return create(outcomes={"preset": "single_item"}, agents=agents, **kw)


def uniform_bidders(n, K):
    return auction(
        [{"count": n, "family": "discrete", "values": grid_values(K), "probs": [f"1/{K}"] * K}]
    )


def by_hand_expected_max(phis, probs):
    """E[max_i phi_i^+] by enumerating every profile (independent of every solver)."""
    total = F(0)
    for prof in itertools.product(*[range(len(p)) for p in probs]):
        pr = F(1)
        for i, k in enumerate(prof):
            pr *= probs[i][k]
        total += pr * max([0] + [phis[i][k] for i, k in enumerate(prof)])
    return total


# 2 bidders on {1/5..1}: phi(k/5) = (2k - 5)/5; E[max phi^+] = 71/125 (by hand, spec §5)
PHI5 = [F(2 * k - 5, 5) for k in range(1, 6)]
# I3 (irregular): values 1, 2, 3 w.p. 6/10, 1/10, 3/10: ironed phi = 1/7, 1/7, 3
I3 = {"family": "discrete", "values": [1, 2, 3], "probs": ["3/5", "1/10", "3/10"]}
# a regular bidder on {1/2, 1, 3/2, 2}: phi = k - 2 = -1, 0, 1, 2
B4 = {"family": "discrete", "values": ["1/2", 1, "3/2", 2], "probs": ["1/4"] * 4}

KNOWN = [
    pytest.param(uniform_bidders(2, 5), F(71, 125), id="myerson-2x5"),
    pytest.param(uniform_bidders(3, 10), F(123, 200), id="myerson-3x10"),
    pytest.param(
        auction([dict(I3, name="irregular"), dict(B4, name="regular")]),
        by_hand_expected_max(
            [[F(1, 7), F(1, 7), F(3)], [F(-1), F(0), F(1), F(2)]],
            [[F(3, 5), F(1, 10), F(3, 10)], [F(1, 4)] * 4],
        ),
        id="asymmetric-irregular",
    ),
    # one bidder on {0, 1/4, 1/2, 3/4}: a posted price; 1/2 sells w.p. 1/2 (1/4 and 3/4
    # earn 3/16).  The type of value 0 has no IC/IR coefficient: its X must stay in [0, 1]
    pytest.param(
        auction([{"family": "discrete", "values": [0, "1/4", "1/2", "3/4"], "probs": ["1/4"] * 4}]),
        F(1, 4),
        id="one-bidder-zero-type",
    ),
]


def test_hand_values_match_the_spec():
    assert by_hand_expected_max([PHI5, PHI5], [[F(1, 5)] * 5] * 2) == F(71, 125)


@pytest.mark.parametrize("m, expected", KNOWN)
@pytest.mark.parametrize("method", ["lp", "reduced_form", "auto"])
def test_revenue_known_answers_exact(m, expected, method):
    res = dm.solve(m, method=method, exact=True)
    assert res.objective_exact == expected
    assert res.gap == 0 and res.certificate.ok
    assert res.max_ic_violation == 0 and res.max_ir_violation == 0
    assert res.max_feasibility_violation == 0


@pytest.mark.parametrize("m, expected", KNOWN[:2])
def test_deterministic_mechanisms_reach_it_for_regular_laws(m, expected):
    res = dm.solve(m, method="mip")
    assert res.objective == pytest.approx(float(expected), abs=1e-9)
    assert res.deterministic and res.mip_gap <= 1e-6


@pytest.mark.parametrize("m, expected", KNOWN)
def test_floats_agree_with_the_certificate(m, expected):
    res = dm.solve(m, method="lp")
    assert res.objective == pytest.approx(float(expected), abs=1e-12)
    assert res.exact is False and res.objective_exact is None
    assert abs(res.gap) <= 1e-12 and res.dual_bound >= float(expected) - 1e-12


def test_formula_of_the_known_module_is_the_hand_value():
    law = Discrete([F(k, 5) for k in range(1, 6)], [F(1, 5)] * 5)
    assert myerson_revenue([law, law]) == F(71, 125)


def test_dsic_and_ex_post_ir_give_the_same_revenue():
    m = create(
        outcomes={"preset": "single_item"},
        agents=[{"count": 2, "family": "discrete", "values": grid_values(5), "probs": ["1/5"] * 5}],
        constraints={"ic": "dsic", "ir": "ex_post"},
    )
    res = dm.solve(m, exact=True)
    assert res.objective_exact == F(71, 125) and res.method == "lp"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_asymmetric_bidders_reduced_form_equals_profile_lp_and_formula(seed):
    import numpy as np

    rng = np.random.default_rng(seed)
    agents = []
    for i in range(3):
        vals = np.sort(rng.choice(np.arange(1, 200), 8, replace=False))
        w = rng.integers(1, 20, 8)
        agents.append(
            {
                "name": f"b{i}",
                "family": "discrete",
                "values": [f"{v}/100" for v in vals],
                "probs": [f"{x}/{w.sum()}" for x in w],
            }
        )
    m = auction(agents)
    expected = myerson_revenue([a.law for a in m.agents])
    red = dm.solve(m, method="reduced_form")
    lp = dm.solve(m, method="lp")
    assert red.objective == pytest.approx(float(expected), abs=1e-10)
    assert lp.objective == pytest.approx(float(expected), abs=1e-10)
    assert red.max_feasibility_violation <= 1e-12
    assert red.certificate.detail["max_implementation_violation"] <= 1e-9


@pytest.mark.parametrize("scheme, rate", [("condmean", 2), ("left", 4)])
def test_uniform_limit_convergence_rate(scheme, rate):
    # condmean: error O(1/cells) from above; left (the default): O(1/cells^2) from below
    errors = []
    for cells in (10, 20, 40):
        m = auction(
            [{"count": 2, "family": "uniform", "low": 0, "high": 1}],
            grid={"cells": cells, "scheme": scheme},
        )
        errors.append(dm.solve(m).objective - float(uniform_auction_revenue(2)))
    sign = 1 if scheme == "condmean" else -1
    assert all(sign * e > 0 for e in errors)
    assert abs(errors[0] / errors[1]) > 0.8 * rate and abs(errors[1] / errors[2]) > 0.8 * rate


def test_bilateral_trade_agrees_with_the_bilateral_kind():
    K = 6
    vals = [F(k, K) for k in range(K + 1)]
    probs = [F(1, K + 1)] * (K + 1)
    law = {"family": "discrete", "values": [str(v) for v in vals], "probs": [str(p) for p in probs]}
    m = create(
        objective="welfare",
        outcomes={"preset": "bilateral_trade"},
        agents=[dict(law, name="b", role="buyer"), dict(law, name="s", role="seller")],
        constraints={"ic": "bic", "ir": "interim", "budget": "balanced"},
    )
    res = dm.solve(m)
    sb = second_best(Discrete(vals, probs), Discrete(vals, probs), good="indivisible")
    assert res.objective == pytest.approx(sb.gains_from_trade, abs=1e-12)
    assert res.max_budget_violation <= 1e-12  # ex post, by the d'AGV transfers
    assert res.max_ic_violation <= 1e-12 and res.max_ir_violation <= 1e-12


def test_bilateral_trade_ex_ante_no_deficit_gives_the_same_welfare():
    law = {"family": "discrete", "values": ["0", "1/3", "2/3", "1"], "probs": ["1/4"] * 4}
    kw = dict(
        objective="welfare",
        outcomes={"preset": "bilateral_trade"},
        agents=[dict(law, role="buyer"), dict(law, role="seller", name="s")],
    )
    a = dm.solve(create(**kw, constraints={"budget": "balanced"}), exact=True)
    b = dm.solve(create(**kw, constraints={"budget": "ex_ante_no_deficit"}), exact=True)
    assert a.objective_exact == b.objective_exact


def test_bilateral_trade_uniform_approaches_nine_sixty_fourths():
    errs = []
    for cells in (10, 20):
        m = create(
            objective="welfare",
            outcomes={"preset": "bilateral_trade"},
            agents=[
                {"role": "buyer", "family": "uniform", "low": 0, "high": 1},
                {"role": "seller", "name": "s", "family": "uniform", "low": 0, "high": 1},
            ],
            constraints={"budget": "balanced"},
            grid={"cells": cells},
        )
        errs.append(dm.solve(m).objective - 9 / 64)
    assert 0 < errs[1] < errs[0] < 0.02


def test_two_items_bracket_manelli_vincent():
    # condmean errs upwards, left (types rounded down) downwards, both O(1/cells)
    vals = {}
    for scheme in ("condmean", "left"):
        for cells in (6, 12):
            m = create(
                outcomes={"preset": "multi_item", "items": 2},
                agents=[{"item_types": [{"family": "uniform", "low": 0, "high": 1}] * 2}],
                grid={"cells": cells, "scheme": scheme},
            )
            vals[scheme, cells] = dm.solve(m).objective
    assert vals["left", 6] < vals["left", 12] < MANELLI_VINCENT
    assert MANELLI_VINCENT < vals["condmean", 12] < vals["condmean", 6]
    assert vals["condmean", 12] - vals["left", 12] < 1 / 12
    assert MANELLI_VINCENT == pytest.approx(0.549201, abs=1e-6)


# ------------------------------------------------------------------ randomization
def best_deterministic_menu(types, probs):
    """Brute force over every bundle assignment; payments by longest-path IC/IR bounds."""
    bundles = [(0, 0), (1, 0), (0, 1), (1, 1)]
    K = len(types)

    def value(t, b):
        return t[0] * b[0] + t[1] * b[1]

    best = F(0)
    for assign in itertools.product(range(4), repeat=K):
        # p_t <= v_t(a_t) and p_t <= p_s + v_t(a_t) - v_t(a_s): max payments = shortest
        # paths from the outside option (Bellman-Ford, exact)
        dist = [F(value(types[t], bundles[assign[t]])) for t in range(K)]
        for _ in range(K + 1):
            changed = False
            for t in range(K):
                for s in range(K):
                    cand = (
                        dist[s]
                        + value(types[t], bundles[assign[t]])
                        - value(types[t], bundles[assign[s]])
                    )
                    if cand < dist[t]:
                        dist[t], changed = cand, True
            if not changed:
                break
        else:
            continue  # a negative cycle: the assignment is not implementable
        best = max(best, sum(p * d for p, d in zip(probs, dist, strict=True)))
    return best


def test_randomization_strictly_beats_every_deterministic_mechanism():
    types = [(3, 4), (0, 2), (2, 1)]
    probs = [F(1, 3)] * 3
    m = create(
        outcomes={"preset": "multi_item", "items": 2},
        agents=[{"types": [list(t) for t in types], "probs": ["1/3"] * 3}],
    )
    deterministic = best_deterministic_menu(types, probs)
    assert deterministic == 3
    mip = dm.solve(m, method="mip")
    lp = dm.solve(m, method="lp", exact=True)
    assert mip.objective == pytest.approx(3, abs=1e-9) and mip.deterministic
    assert lp.objective_exact == F(28, 9) > deterministic
    # the lottery: type (2, 1) gets item 1 and a third of item 2 for 7/3
    assert lp.allocation[0][2] == [1, F(1, 3)] and lp.payments[0][2] == F(7, 3)
    assert mip.certificate.detail["randomization_gain"] == pytest.approx(1 / 9, abs=1e-9)


def test_exact_deterministic_mechanism():
    # exact = true with mip: the 0/1 outcomes of branch and bound, payments re-solved
    # exactly; the best menu (brute force: 3) is then an exact rational mechanism
    types = [(3, 4), (0, 2), (2, 1)]
    m = create(
        outcomes={"preset": "multi_item", "items": 2},
        agents=[{"types": [list(t) for t in types], "probs": ["1/3"] * 3}],
    )
    res = dm.solve(m, method="mip", exact=True)
    assert res.objective_exact == best_deterministic_menu(types, [F(1, 3)] * 3) == 3
    assert res.exact and res.max_ic_violation == 0 and res.max_ir_violation == 0
    assert all(x in (0, 1) for row in res.allocation[0] for x in row)
    assert res.certificate.detail["bound_method"].startswith("branch-and-bound")


def test_public_project_welfare_by_hand():
    # Two citizens, values 0, 1/2, 1 equally likely, cost 1.  The first best builds iff
    # t1 + t2 >= 3/2: welfare (1 + 1/2 + 1/2)/9 = 2/9, an upper bound.  It is DSIC, ex-post
    # IR and without deficit with the threshold payments: at (1, 1) each pays 1/2, at
    # (1, 1/2) the first pays 1 and the second 1/2 -- so the optimum is exactly 2/9.
    m = dm.load("examples/models/mechanism_public_project.toml")
    res = dm.solve(m, exact=True)
    assert res.objective_exact == F(2, 9)
    assert res.max_budget_violation == 0 and res.max_ir_violation == 0


def test_table_preset_with_a_requirement():
    m = dm.load("examples/models/mechanism_table.toml")
    res = dm.solve(m, exact=True)
    q = res.objective_exact
    assert q is not None and res.certificate.ok
    # the requirement holds: the cleaned set (outcome 3) at least a quarter of the time
    cleaned = sum(F(1, 2) * row[2] for row in res.allocation[0])
    assert cleaned >= F(1, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        free = dm.solve(
            create(
                outcomes={
                    "preset": "table",
                    "outcomes": ["nothing", "raw", "cleaned"],
                    "costs": [0, 0, 1],
                },
                agents=[{"probs": ["1/2", "1/2"], "values": [[0, 2, 3], [0, 3, 6]]}],
            ),
            exact=True,
        )
    assert free.objective_exact >= q
