"""General LP, reduced LP, greedy and closed forms agree (spec §7 items 3-8).

Every expected number comes from the spec (§3.3 validation values, §4.3 table) or from
an independent method (another solver, a closed form); none is copied from this code.
"""

import math

import numpy as np
import pytest

from datamech import ModelError, SolverError
from datamech.models.distributions import Exponential, Uniform
from datamech.models.infosale import (
    Game,
    Objective,
    competition_game,
    create,
)
from datamech.solvers.infosale import (
    ClosedFormMechanism,
    outside_option,
    solve_closed_form,
    solve_greedy,
    solve_lp,
    solve_model,
    solve_reduced,
)

EXP1 = Exponential(1.0)


def model(alpha=0.5, cells=10, **kw):
    return create("competition", alpha=alpha, cells=cells, **kw)


# ------------------------------------------------------------------ item 3: exact agreement
@pytest.mark.parametrize("alpha", [0.25, 0.5, 1.0])
@pytest.mark.parametrize(
    "objective, scheme, obedience",
    # revenue without obedience has no reduction (Lemma 3 fails): see the test below
    [("revenue", "left", True), ("welfare", "condmean", True), ("welfare", "condmean", False)],
)
def test_full_lp_equals_reduced_equals_greedy(alpha, objective, scheme, obedience):
    m = model(alpha, 9, objective=objective, scheme=scheme, obedience=obedience)
    full = solve_lp(m)
    red = solve_reduced(m)
    gr = solve_greedy(m)
    assert full.value == pytest.approx(red.value, abs=1e-8)
    assert gr.value == pytest.approx(red.value, abs=1e-8)
    assert full.revenue == pytest.approx(gr.revenue, abs=1e-7)
    assert full.welfare == pytest.approx(gr.welfare, abs=1e-7)


def test_backends_agree_on_value_and_duals():
    m = model(0.5, 8)
    a, b = solve_lp(m, backend="highspy"), solve_lp(m, backend="cvxpy")
    assert a.value == pytest.approx(b.value, abs=1e-8)
    # the obedience duals are shadow prices: non-negative, zero where the constraint is slack
    for res in (a, b):
        for i in range(2):
            d = res.obedience_duals[i]
            assert np.all(d >= -1e-7)
            slack = res.interim_accuracy[i] - 0.5  # Prop 3: obedience <=> accuracy >= mu
            assert np.all(d[slack > 1e-6].sum(axis=(1, 2)) < 1e-7)


def test_spec_validation_values_m40():
    """§3.3 [D]: reduced = full LP for Exp(1) shifted to v_low in {0, 0.5} on [v_low, v_low + 6]."""
    expected = {
        (0.5, 0.0): 0.628072,
        (0.5, 0.5): 0.959472,
        (0.25, 0.0): 0.487945,
        (0.25, 0.5): 0.757885,
    }
    for (alpha, low), value in expected.items():
        F = Exponential(1.0, low)
        m = model(alpha, 40, buyers=F, upper=low + 6, tail_mode="drop")
        red = solve_reduced(m)
        assert red.value == pytest.approx(value, abs=1e-6)
        if low == 0.0:
            assert solve_lp(m).value == pytest.approx(value, abs=1e-6)


# ------------------------------------------------------------------ item 3: convergence
@pytest.mark.parametrize("alpha", [0.25, 0.5])
def test_lp_converges_to_closed_form(alpha):
    cf_rev = ClosedFormMechanism(alpha, [0.5, 0.5], EXP1, "revenue")
    cf_wel = ClosedFormMechanism(alpha, [0.5, 0.5], EXP1, "welfare")
    g = solve_greedy(model(alpha, 160))
    assert g.revenue == pytest.approx(cf_rev.expected_revenue(), abs=2e-3)
    # W_R mixes a revenue rule (left grid is best) with welfare (condmean is best): 5e-3
    g_w = solve_greedy(model(alpha, 160, scheme="condmean"))
    assert g_w.welfare == pytest.approx(cf_rev.expected_welfare(), abs=5e-3)
    reg = cf_rev.region_probabilities()
    for key in ("rr", "rw", "wr", "ww"):
        assert g.region_probabilities[key] == pytest.approx(reg[key], abs=5e-3)
    w = solve_greedy(model(alpha, 400, objective="welfare", scheme="condmean"))
    assert w.welfare == pytest.approx(cf_wel.expected_welfare(), abs=1e-3)
    full = solve_lp(model(alpha, 48))
    assert full.revenue == pytest.approx(cf_rev.expected_revenue(), abs=2e-3)


def test_interim_tables_converge():
    m = model(0.5, 160)
    res = solve_greedy(m)
    M = ClosedFormMechanism(0.5, [0.5, 0.5], EXP1, "revenue")
    v = res.type_values[0]
    for target in (0.3, 1.0, 1.5, 2.0):
        k = int(np.argmin(abs(v - target)))
        assert res.interim_share[0][k] == pytest.approx(M.interim_share(v[k]), abs=0.03)
        assert res.interim_payment[0][k] == pytest.approx(M.interim_payment(v[k]), abs=0.03)


# ------------------------------------------------------------------ item 4: structure
def test_lp_structure_revenue_alpha_half():
    res = solve_lp(model(0.5, 40))
    v = res.type_values[0]
    share, pay = res.interim_share[0], res.interim_payment[0]
    assert np.all(np.diff(share) >= -1e-9) and res.implementable
    vs, vt = math.log(2), 1 + 0.5 * (math.log(2) - 1)
    below, mid = v < vs - 0.2, (v > vs + 0.05) & (v < vt)
    assert np.allclose(share[below], 0.0, atol=1e-7)  # pi~ = K = 0 below v*
    assert np.allclose(pay[v < vs - 0.2], 0.0, atol=1e-7)  # p~ = 0 on [0, v*]
    assert np.all(pay[mid] > 0.1)  # binding obedience, positive price
    acc = res.interim_accuracy[0]
    assert np.allclose(acc[v < vt - 0.2], 0.5, atol=1e-7)  # obedience binds below v~
    assert np.all(acc[v > vt + 0.2] > 0.5 + 1e-3)
    duals = res.obedience_duals[0].sum(axis=(1, 2))
    assert np.all(duals[v > vt + 0.2] < 1e-9) and np.all(duals[v < vt - 0.2] > 0)
    # the jump of pi~ at v* approaches alpha F(v~) = 0.285559 (spec §4.3)
    fine = solve_greedy(model(0.5, 160))
    vf, sf = fine.type_values[0], fine.interim_share[0]
    k = int(np.searchsorted(vf, vs))
    assert sf[k + 1] - sf[k - 2] == pytest.approx(0.285559, abs=0.03)
    # five regions: square rr, ww pocket, rr cone
    pm = res.profile_map()
    idx = [int(np.argmin(abs(v - x))) for x in (0.3, 0.85, 2.0)]
    assert [pm[i, i] for i in idx] == [0, 3, 0]


def test_lp_welfare_binds_below_alpha_v_star_and_no_ww():
    res = solve_lp(model(2 / 3, 40, objective="welfare", scheme="condmean"))
    acc = res.interim_accuracy[0]
    v = res.type_values[0]
    cut = 2 / 3 * math.log(2)
    assert np.allclose(acc[v < cut - 0.15], 0.5, atol=1e-7)
    assert np.all(acc[v > cut + 0.15] > 0.5 + 1e-4)
    assert res.region_probabilities["ww"] == pytest.approx(0.0, abs=1e-9)


def test_uniform_types_have_no_ww():
    U = Uniform(0.0, 1.0)
    res = solve_greedy(model(0.5, 120, buyers=U))
    assert res.region_probabilities["ww"] == pytest.approx(0.0, abs=1e-9)
    cf = solve_closed_form(model(0.5, 10, buyers=U))
    assert res.revenue == pytest.approx(cf.revenue, abs=2e-3)


# ------------------------------------------------------------------ item 5: alpha = 1
def test_alpha_one_revenue_rule_equals_welfare_rule():
    r = solve_greedy(model(1.0, 60))
    w = solve_greedy(model(1.0, 60, objective="welfare"))
    assert np.allclose(r.h(0), w.h(0), atol=1e-9) and np.allclose(r.h(1), w.h(1), atol=1e-9)


# ------------------------------------------------------------------ item 8: §5.1 alpha = beta
def test_complement_substitute_alpha_equals_beta_maps_to_example_3():
    F = Exponential(1.0, 2.0, high=5.0)
    new = create("complement-substitute", alpha=0.7, beta=0.7, cells=16, buyers=F)
    old = create("competition", alpha=3 / 7, cells=16, buyers=F)
    assert outside_option(new, 0) == pytest.approx(0.7 * 0.5, abs=1e-9)  # K = alpha mu
    a, b = solve_lp(new), solve_lp(old)
    assert a.revenue == pytest.approx(0.7 * b.revenue, abs=1e-7)  # R_new = alpha R_old
    assert a.region_probabilities == pytest.approx(b.region_probabilities, abs=1e-6)
    # spec §4.3: closed form R_new = 0.7 * 2.039731 = 1.427812, no (w, w), p~(v_low) > 0 (E10)
    M = ClosedFormMechanism(3 / 7, [0.5, 0.5], F, "revenue")
    assert 0.7 * M.expected_revenue() == pytest.approx(1.427812, abs=2e-6)
    assert M.interim_share(2.0) == pytest.approx(0.328835, abs=2e-6) and M.K == pytest.approx(
        1 / 14
    )
    assert M.interim_payment(2.0) > 0.5
    reg = M.region_probabilities()
    assert (reg["rw"], reg["rr"], reg["ww"]) == pytest.approx((0.065917, 0.868167, 0.0), abs=2e-6)
    assert M.v_star == pytest.approx(2.644560, abs=1e-6)
    full = solve_lp(create("complement-substitute", alpha=0.7, beta=0.7, cells=48, buyers=F))
    assert full.revenue == pytest.approx(1.427812, abs=2e-3)


@pytest.mark.parametrize("alpha", [0.0, 0.25, 0.75, 1.0])
@pytest.mark.parametrize("prior", [[0.5, 0.5], [0.3, 0.7]])
def test_outside_option_lp(alpha, prior):
    m = create("competition", alpha=alpha, prior=prior, cells=3)
    assert outside_option(m, 0) == pytest.approx(max(prior) - alpha, abs=1e-9)  # E7: mu - alpha


# ------------------------------------------------------------------ other games and objectives
def test_single_buyer_matches_myerson_closed_form():
    # n = 1: K = mu, revenue-optimal h = 1{phi >= 0} else mu; Exp(1): R = (1 - mu)/e
    pay = np.zeros((1, 2, 2))
    pay[0, 0, 0] = pay[0, 1, 1] = 1.0
    m = create("table", payoffs=pay, cells=160)
    res = solve_lp(m)
    assert res.outside_option[0] == pytest.approx(0.5)
    assert res.revenue == pytest.approx(0.5 / math.e, abs=2e-3)
    assert set(res.region_probabilities) == {"r", "w"}


def test_general_utility_reproduces_linear_lp():
    g = competition_game(0.5)

    def u(i, a, theta, v):
        return v[i] * g.payoffs[(i, *a, theta)]

    # condmean keeps v > 0: at v = 0 the u-form obedience is void (E6)
    lin = model(0.5, 5, truthfulness="global", scheme="condmean")
    gen = lin.replace(game=Game(g.payoffs, utility=u))
    a, b = solve_lp(lin), solve_lp(gen)
    assert b.value == pytest.approx(a.value, abs=1e-7)
    adjacent = model(0.5, 5, scheme="condmean")
    assert solve_lp(adjacent).value == pytest.approx(a.value, abs=1e-8)  # adjacent = global


def test_revenue_without_obedience_is_below_virtual_surplus():
    """Without obedience pi~ < K happens, so Lemma 3 fails and only the LP is right.

    The LP's optimal rule is not unique here (some optima have pi~ < K, others not),
    so the check is on values: the Lemma 3 revenue, max E[virtual surplus] - K sum
    v_low reached by h = 1{w >= 0}, is not attained.
    """
    from datamech.solvers.infosale.results import discrete_virtual_values

    m = model(0.5, 40, obedience=False)
    res = solve_lp(m)
    v, q = m.type_grid(0)
    phi = discrete_virtual_values(v, q)
    W = phi[:, None] - 0.5 * phi[None, :]
    lemma3 = float((np.outer(q, q) * (np.maximum(W, 0) + np.maximum(W.T, 0))).sum())
    lemma3 -= res.outside_option[0] * 2 * v[0]
    assert res.revenue < lemma3 - 0.05
    assert res.revenue > solve_lp(model(0.5, 40)).revenue  # dropping a constraint helps
    for method in ("reduced", "greedy", "closed-form"):
        with pytest.raises(ModelError):
            solve_model(m, method=method)


def test_first_best_payments_match_closed_form():
    # first best (welfare, no obedience): pi~(0) = -alpha < K, participation binds inside
    m = model(2 / 3, 200, objective="welfare", obedience=False, scheme="left")
    g = solve_greedy(m)
    cf = ClosedFormMechanism(2 / 3, [0.5, 0.5], EXP1, "first-best")
    assert cf.participation_shift() < -0.01
    assert g.revenue == pytest.approx(cf.expected_revenue(), abs=3e-3)
    slack = [g.interim_utility[0] - g.type_values[0] * g.outside_option[0]]
    assert np.min(slack) == pytest.approx(0.0, abs=1e-12)


def test_expression_objectives():
    base = model(0.5, 6, objective="welfare")
    expr = "(v1 - v2/2)*KroneckerDelta(a1, theta) + (v2 - v1/2)*KroneckerDelta(a2, theta)"
    e = base.replace(objective=Objective("expression", expression=expr))
    assert solve_lp(e).value == pytest.approx(solve_lp(base).value, abs=1e-8)
    rev = base.replace(objective=Objective("expression", expression="p1 + p2"))
    assert solve_lp(rev).value == pytest.approx(solve_lp(model(0.5, 6)).value, abs=1e-8)
    f = base.replace(
        objective=Objective(
            "expression", function=lambda a, th, v: float(a[0] == th), payment_weights=(0.0, 0.0)
        )
    )
    assert solve_lp(f).value == pytest.approx(1.0, abs=1e-8)  # always recommend theta to 1


def test_three_buyers_run():
    p = np.zeros((3, 2, 2, 2, 2))
    for a1, a2, a3, th in np.ndindex(2, 2, 2, 2):
        x = [a1 == th, a2 == th, a3 == th]
        for i in range(3):
            p[i, a1, a2, a3, th] = x[i] - 0.25 * sum(x[j] for j in range(3) if j != i)
    res = solve_lp(create("table", payoffs=p, cells=3))
    assert res.status == "optimal" and len(res.region_probabilities) == 8
    assert sum(res.region_probabilities.values()) == pytest.approx(1.0)


# ------------------------------------------------------------------ statuses and errors
def test_infeasible_names_the_family():
    m = model(0.5, 4, outside_option=2.0)  # nobody can get more than pi = 1
    with pytest.raises(SolverError) as e:
        solve_lp(m)
    assert e.value.status == "infeasible" and e.value.family == "participation"
    assert "participation" in str(e.value)


def test_unbounded_is_reported():
    m = model(0.5, 4, participation=False, nonnegative_payments=False)
    with pytest.raises(SolverError) as e:
        solve_lp(m)
    assert e.value.status in ("unbounded", "infeasible_or_unbounded")


def test_reduced_methods_refuse_other_games():
    m = create("complement-substitute", alpha=0.7, beta=0.6, cells=4)
    for method in ("reduced", "greedy", "closed-form"):
        with pytest.raises(ModelError) as e:
            solve_model(m, method=method)
        assert e.value.field == "solver.method"
    with pytest.raises(ModelError) as e:
        solve_model(model(), backend="gurobi")
    assert e.value.field == "solver.backend"
    with pytest.raises(ModelError) as e:
        solve_model(model(), tie_break="low")
    assert e.value.field == "solver.tie_break"


def test_result_serializes():
    import json

    res = solve_model(model(0.5, 6))
    d = res.to_dict()
    assert "sigma" not in d and json.dumps(d)
    assert set(d["region_probabilities"]) == {"rr", "rw", "wr", "ww"}
    frame = res.to_frame()
    assert len(frame) == 12 and "interim_payment" in frame
    assert "revenue" in res.format()
