"""The route market (issue 18 §1; spec §2.10, (B3)): links, routes, θ of the thinnest link.

Every expected value is a hand computation (written out in the test) or comes from a
second method: exact Fractions for the closed-form network optimum, scipy's LP solver on
piecewise-linear instances against the cvxpy program (B3), the exact
``market_price_function`` against the step functions, brute force for the deviation
search.
"""

import warnings
from fractions import Fraction as F

import numpy as np
import pytest
from scipy.optimize import linprog

import datamech as dm
from datamech.errors import ModelError
from datamech.models.psp import PSPModel
from datamech.models.psp_valuations import LinearCappedValuation as L
from datamech.models.psp_valuations import PiecewiseLinearValuation as PL
from datamech.models.psp_valuations import QuadraticValuation as Qv
from datamech.solvers.psp import (
    RouteMarket,
    best_deviation_value,
    make_market,
    market_price_function,
    price_steps,
    route_allocation,
)
from datamech.solvers.psp.equilibrium import cost_curve
from datamech.status import Status

EXAMPLE = "examples/models/psp_route.toml"
ROUTES = [[True, True], [True, False], [False, True]]  # long: l1 + l2, a: l1, b: l2


def three(eps=0.001, **kw):
    vals = (Qv(0.2, 20.0), Qv(0.1, 20.0), Qv(0.1, 30.0))
    return PSPModel([10.0, 10.0], ("long", "a", "b"), vals, eps, market="route",
                    edges=ROUTES, **kw)  # fmt: skip


def quiet(model, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return dm.solve(model, **kw)


# ----------------------------------------------------------------- the NUM optimum (B3)
def test_closed_form_optimum_of_the_example():
    # KKT with both links full: x_a = x_b = 10 − x, θ_long'(x) = θ_a'(x_a) + θ_b'(x_b):
    # 0.2 (20 − x) = 0.1 (10 + x) + 0.1 (20 + x)  =>  4 − x/5 = 3 + x/5  =>  x = 5/2
    x = F(5, 2)
    xa = xb = 10 - x
    lam1, lam2 = F(1, 10) * (20 - xa), F(1, 10) * (30 - xb)
    assert F(1, 5) * (20 - x) == lam1 + lam2 and lam1 > 0 and lam2 > 0
    w_star = (
        F(1, 5) * x * (20 - x / 2) + F(1, 10) * xa * (20 - xa / 2) + F(1, 10) * xb * (30 - xb / 2)
    )
    assert w_star == F(165, 4)
    b = route_allocation(dm.load(EXAMPLE))
    assert b.status is Status.OPTIMAL
    assert b.welfare == pytest.approx(float(w_star), abs=1e-6)
    assert b.z == pytest.approx([2.5, 7.5, 7.5], abs=1e-5)
    # a unit of flow gives up the retention 1/100 of each link it uses: the link duals are
    # θ_a' − 1/100 and θ_b' − 1/100 (and θ_long' − 2/100 = λ_1 + λ_2 holds as well)
    rho = F(1, 100)
    assert b.prices == pytest.approx([float(lam1 - rho), float(lam2 - rho)], abs=1e-5)
    # x on every link of the route
    np.testing.assert_allclose(b.x, [[2.5, 2.5], [7.5, 0.0], [0.0, 7.5]], atol=1e-5)


@pytest.mark.parametrize("seed", range(4))
def test_route_benchmark_matches_an_independent_lp_on_piecewise_linear_instances(seed):
    rng = np.random.default_rng(seed)
    n, J = 5, 3
    E = rng.random((n, J)) < 0.6
    E[np.arange(n), rng.integers(0, J, n)] = True
    vals = []
    for _ in range(n):
        breaks = np.sort(rng.choice(np.arange(1, 12), 2, replace=False)).astype(float)
        slopes = np.sort(rng.uniform(0, 3, 3))[::-1]
        slopes[-1] = 0.0  # flat at the end: the value is bounded
        vals.append(PL(breaks.tolist(), slopes.tolist()))
    Q = rng.uniform(4, 12, J).round(2)
    rho = rng.uniform(0, 0.5, J).round(2)
    model = PSPModel(Q, tuple(f"b{i}" for i in range(n)), tuple(vals), 0.1, retention=rho,
                     edges=E, market="route")  # fmt: skip
    bench = route_allocation(model)
    # the LP: x_i = Σ_k y_ik over θ_i's segments, y_ik <= segment length; a unit of flow of
    # buyer i uses every link of its route, so it gives up ρ_l there
    c, bounds, rows = [], [], []
    for i, v in enumerate(vals):
        lengths = np.diff([0.0, *v.breaks, 1e6])
        for k, s in enumerate(v.slopes):
            c.append(-(s - rho[E[i]].sum()))
            bounds.append((0.0, lengths[k]))
            rows.append(i)
    A = np.array([[float(E[i, j]) for i in rows] for j in range(J)])
    lp = linprog(c, A_ub=A, b_ub=Q, bounds=bounds, method="highs")
    assert lp.status == 0
    assert bench.welfare == pytest.approx(-lp.fun + float(rho @ Q), abs=1e-6)


def test_the_benchmark_of_a_route_model_is_num_not_b1():
    # one route through both links: B1 (substitutes) would let the buyer use 20 units,
    # NUM only the thinnest link's 4
    m = PSPModel([10.0, 4.0], ("r",), (L(1.0, 30.0),), 0.1, market="route")
    assert dm.solvers.psp.efficient_allocation(m).welfare == pytest.approx(4.0)
    assert dm.solvers.psp.efficient_allocation(m.with_options(market="substitutes")).welfare == (
        pytest.approx(14.0)
    )


# ----------------------------------------------------------------- route MPF and reply
@pytest.mark.parametrize("seed", range(5))
def test_price_steps_equal_the_exact_market_price_function(seed):
    rng = np.random.default_rng(seed)
    q = rng.integers(1, 9, 6).tolist()
    p = rng.choice([1, 2, 3, 5], 6).tolist()
    exact = market_price_function(-1, q, p, 20, reserve=F(1, 2))
    ends, levels = price_steps(20.0, q + [20], p + [0.5])
    pairs = [(e, lv) for e, lv in zip(exact.ends, exact.levels, strict=True) if e > 0]
    pairs = [pr for k, pr in enumerate(pairs) if k == 0 or pr[0] > pairs[k - 1][0]]
    assert ends.tolist() == [float(e) for e, _ in pairs]
    assert levels.tolist() == [float(lv) for _, lv in pairs]


def route_profile():
    """long faces a (7, 1.5) at l1 and b (4, 2.5) at l2; reserves 0.01."""
    m = three(eps=0.001, reserve=[0.01, 0.01])
    q = np.array([[0.0, 0.0], [7.0, 0.0], [0.0, 4.0]])
    p = np.array([[0.0, 0.0], [1.5, 0.0], [0.0, 2.5]])
    return m, q, p


def test_route_reply_by_hand():
    # P^1: 3 free units at 0.01, then a's 1.5; P^2: 6 at 0.01, then b's 2.5.  The route
    # price is 0.02 on (0, 3], 1.51 on (3, 6], 4.0 on (6, 10]; θ' = 0.2 (20 − z) stays
    # above 1.51 on (3, 6] and is below 4 beyond 6: z* = 6, v = 6 − ε/4, w = 2.8 + ε/20
    m, q, p = route_profile()
    eps = m.epsilon
    v, w = 6 - eps / 4, 0.2 * (20 - (6 - eps / 4))
    qi, pi = RouteMarket(m).best_reply(0, q, p)
    assert qi == pytest.approx([v, v], abs=1e-12) and pi == pytest.approx([w, w], abs=1e-12)
    # per-link shadow prices: w − (the other link's P at v) + ε, capped at w
    qs, ps = RouteMarket(m, remedy="shadow_price").best_reply(0, q, p)
    assert qs == pytest.approx([v, v], abs=1e-12)
    assert ps == pytest.approx([w - 0.01 + eps, w - 1.5 + eps], abs=1e-12)


def test_route_utility_values_the_thinnest_link():
    # links l1 (Q 10) and l2 (Q 4), reserves 0.1; the route buyer bids (6, 1) on both, an
    # opponent (3, 2) at l2: a = 6 at l1 (cost 0.6: six reserve units), 1 at l2 (cost 0.1),
    # so u = θ(min(6, 1)) − 0.7 − ϱ·2 = 2·1 − 0.7 − 0.5 = 0.8
    m = PSPModel([10.0, 4.0], ("r", "o"), (L(2.0, 10.0), L(3.0, 3.0)), 0.01,
                 reserve=[0.1, 0.1], market="route", edges=[[True, True], [False, True]],
                 participation_cost=[0.25, 0.0])  # fmt: skip
    q = np.array([[6.0, 6.0], [0.0, 3.0]])
    p = np.array([[1.0, 1.0], [0.0, 2.0]])
    mk = RouteMarket(m)
    assert mk.utility(0, q[0], p[0], q, p) == pytest.approx(0.8, abs=1e-12)
    out = mk.outcome(q, p)
    assert out.allocation[0].tolist() == pytest.approx([6.0, 1.0])
    # welfare counts the thinnest link: θ_r(1) + θ_o(3) = 2 + 9; l1 keeps 4 unsold, ρ = 0
    assert out.welfare == pytest.approx(11.0)


def test_route_deviation_search_by_hand_and_by_brute_force():
    # long's cost of x on both links: 0.02 per unit up to 3, 1.51 up to 6, 4.0 up to 10;
    # θ'(6) = 2.8 < 4, so the best is x = 6: 0.2·6·17 − (3·0.02 + 3·1.51) = 15.81
    m, q, p = route_profile()
    mk = RouteMarket(m)
    assert best_deviation_value(mk, 0, q, p) == pytest.approx(15.81, abs=1e-12)
    grid = np.linspace(0, 10, 2001)
    curves = [cost_curve(mk, 0, j, q, p) for j in (0, 1)]
    brute = max(m.valuations[0].value(x) - sum(np.interp(x, *c) for c in curves) for x in grid)
    assert brute == pytest.approx(15.81, abs=1e-9)


# ----------------------------------------------------------------- the example, solved
def test_example_ends_within_the_complete_graph_bound_of_the_independent_optimum():
    model = dm.load(EXAMPLE)
    res = dm.solve(model, competitive_ratio="welfare")  # CR_time: test_psp_cli
    assert res.status is Status.EVALUATED and res.market == "route" and not res.warnings
    w_star = 165 / 4  # test_closed_form_optimum_of_the_example
    assert res.optimal_welfare == pytest.approx(w_star, abs=1e-6)
    # 2nε + Σ_l (r_l − ρ_l)(U_l − U*_l) with r = ρ: 2 · 3 · 0.01
    assert 0 <= w_star - res.welfare <= 2 * 3 * model.epsilon
    assert res.eps_nash.ok and res.competitive_ratio["welfare"] == pytest.approx(
        res.welfare / w_star
    )
    frame = res.to_frame()
    # per buyer: the thinnest link.  The flows z are feasible for (B3) and W_B3(z) >= W
    # (units beyond the thinnest link are not retained), and W_B3 is strongly concave with
    # γ = min κ = 0.1, so ‖z − z*‖² <= 2 (W* − W) / 0.1
    assert frame["optimal_allocation"].tolist() == pytest.approx([2.5, 7.5, 7.5], abs=1e-5)
    gap = np.linalg.norm(frame["allocation"].to_numpy() - [2.5, 7.5, 7.5])
    assert gap**2 <= 2 * (w_star - res.welfare) / 0.1 + 1e-9


def test_same_price_bids_block_and_the_loss_does_not_shrink():
    # Lazar–Semret's same price θ'(v) on both links: "long" grabs the links first and a, b
    # can never outbid its whole route value on one link; the stop is a 2ε-Nash
    # equilibrium far from W* whatever ε
    losses = []
    for eps in (0.01, 0.001):
        res = quiet(three(eps, reserve=[0.01, 0.01], retention=[0.01, 0.01]), remedy="none",
                    competitive_ratio="welfare")  # fmt: skip
        assert res.status is Status.EVALUATED and res.eps_nash.ok
        assert res.loss > 10 * res.loss_bound and "route market" in res.warnings[0]
        losses.append(res.loss)
    assert min(losses) > 3.0


def test_route_ratios_and_the_time_against_the_route_market():
    # partially linked example: the data market stops after 3 passes, one pooled auction
    # (Q = 20) after 2 (flex 10 − 0.8ε at 1.25, then local 10 + 0.3ε at the free reserve
    # units; neither changes again), and the same graph as a route market after 3
    # (flex 10 − 0.8ε on both links, local 7.5 − ε/2 at s2, flex drops to 2.5 − 0.3ε;
    # local's gain from 0.3ε more units, about 0.35ε, is below ε)
    res = quiet(dm.load("examples/models/psp_partial_links.toml"), competitive_ratio="all")
    cr = res.competitive_ratio
    assert (cr["rounds"], cr["pooled_rounds"], cr["route_rounds"]) == (3, 2, 3)
    assert cr["time"] == 1.5 and cr["time_route"] == 1.0
    assert cr["pooled_converged"] and cr["route_converged"]
    only = quiet(dm.load("examples/models/psp_partial_links.toml"), competitive_ratio="welfare")
    assert only.competitive_ratio["time"] is None and only.competitive_ratio["welfare"] > 0


def test_the_draft_ratio_plays_the_draft_rules_on_the_pooled_auction():
    # REG-EX-DRAFT ends after 4 time steps.  Pooled (one seller, Q = 150 = the total
    # need): at t = 1 every table bid is fully offered (Σ need = 150 <= 150), so nobody
    # is rationed, the reserve stays and the buyers hold; at t = 2 all are confirmed and
    # R = 0 closes the auction: 2 steps, CR_time = 4/2.  The draft's rules have no route
    # form, so time_route is not measured.
    m = dm.load("examples/models/psp_draft_example.toml")
    cr = quiet(m, method="draft", competitive_ratio="all").competitive_ratio
    assert (cr["rounds"], cr["pooled_rounds"], cr["time"]) == (4, 2, 2.0)
    assert cr["pooled_converged"] and cr["time_route"] is None and cr["route_rounds"] is None
    assert cr["welfare"] == pytest.approx(1.0)


def test_route_errors_name_the_option():
    m = dm.load(EXAMPLE)
    with pytest.raises(ModelError, match=r"^solver\.method: draft does not apply"):
        dm.solve(m, method="draft")
    with pytest.raises(ModelError, match=r"^solver\.split: 'equal' applies to market"):
        dm.solve(m, split="equal")
    assert isinstance(make_market(m, "greedy", "shadow_price"), RouteMarket)
