"""Draft mode (spec §2.6): the worked example's trace (REG-EX-DRAFT) and properties."""

import json
import subprocess
import sys

import numpy as np
import pytest

import datamech as dm
from datamech.errors import ModelError
from datamech.models.psp import PSPModel
from datamech.models.psp_valuations import LinearCappedValuation as L
from datamech.solvers.psp import draft_payments, simulate_draft

D = [50.0, 40, 26, 20, 14]
P = [1.0, 1.2, 1.5, 2, 2.2]


def example(eps=0.01, **kw):
    # spec E5: table prices are initial bids, valuations LinearCapped(p^κ, D_i), p^κ = 3
    kw.setdefault("initial_price", P)
    return PSPModel(
        [65.0, 85.0], tuple("ABCDE"), tuple(L(3.0, d) for d in D), eps,
        p_kappa=3.0, solver_options={"method": "draft"}, **kw,
    )  # fmt: skip


@pytest.mark.parametrize("eps", [0.01, 0.1])
def test_reg_ex_draft_trace(eps):
    run = simulate_draft(example(eps))
    tr = run.trace
    assert [s.t for s in tr] == [0, 1, 2, 3, 4]
    # t = 0: everybody bids its table total and price at seller 2
    assert [row[1] for row in tr[0].bids_quantity] == D
    assert [row[1] for row in tr[0].bids_price] == P
    # t = 1: seller 2 offers (A 0, B 25, C 26, D 20, E 14); reserve 1 + ε (i* = A).
    # E1: the draft prints 20 for B, but 85 − 14 − 20 − 26 = 25.
    assert [row[1] for row in tr[1].offers] == [0, 25, 26, 20, 14]
    assert tr[1].reserve[1] == pytest.approx(1 + eps)
    assert tr[1].remaining == (65.0, 85.0)
    # responses: A -> s1 (50, 1), B -> s1 (40, 1.2); C, D, E hold at seller 2.
    # E4: the draft shows C, D, E at p2 = 1 + ε; under (35) they keep their prices.
    assert tr[1].bids_quantity[0] == (50.0, 0.0) and tr[1].bids_price[0] == (1.0, 0.0)
    assert tr[1].bids_quantity[1] == (40.0, 0.0) and tr[1].bids_price[1] == (1.2, 0.0)
    assert [tr[1].bids_quantity[k][1] for k in (2, 3, 4)] == [26, 20, 14]
    # t = 2: R_2 = 25 (C, D, E confirmed together: E6), seller 1 offers (A 25, B 40),
    # r_1 = 1 + ε (i* = A, partially served); A bids (25, 1 + ε) at both (n = 2 by 22).
    # E7: (36) p^j <= min p_i − ε fails: A bids exactly r_j = 1 + ε.
    assert tr[2].remaining == (65.0, 25.0)
    assert tr[2].reserve == pytest.approx((1 + eps, 1 + eps))
    assert [row[0] for row in tr[2].offers] == [25, 40, 0, 0, 0]
    assert tr[2].bids_quantity[0] == (25.0, 25.0)
    assert tr[2].bids_price[0] == pytest.approx((1 + eps, 1 + eps))
    assert tr[2].bids_quantity[1] == (40.0, 0.0)  # B holds
    # t = 3: R_1 = 25 (E2: the draft prints 50), R_2 = 25, A offered its 25 at both
    assert tr[3].remaining == (25.0, 25.0)
    assert tr[3].offers[0] == (25.0, 25.0)
    # t = 4: everything sold, the auction ends after 4 time steps
    assert tr[4].remaining == (0.0, 0.0)
    assert run.rounds == 4 and run.converged
    assert run.x.tolist() == [[25, 25], [40, 0], [0, 26], [0, 20], [0, 14]]
    assert run.isp.tolist() == [0] * 5


@pytest.mark.parametrize("eps", [0.01, 0.1])
def test_reg_ex_draft_payments_every_unit_at_one_plus_eps(eps):
    res = dm.solve(example(eps))
    assert res.method == "draft" and res.converged and res.rounds == 4
    assert res.payments.sum(axis=1) == pytest.approx(np.array(D) * (1 + eps))
    assert res.revenue == pytest.approx([65 * (1 + eps), 85 * (1 + eps)])
    assert res.reserves == pytest.approx([1 + eps, 1 + eps])
    # all demand met, all supply sold: W = W* = Σ p^κ D_i
    assert res.welfare == pytest.approx(450.0) and res.efficiency == pytest.approx(1.0)
    assert res.eps_nash is None and res.status == "evaluated" and res.loss_bound is None
    assert "not run" in res.format()


def test_draft_payments_are_eq4_on_the_confirmed_profile():
    x = np.array([[25.0, 25], [40, 0], [0, 26], [0, 20], [0, 14]])
    pr = np.where(x > 0, 1.01, 0.0)
    pr[1, 0], pr[2, 1], pr[3, 1], pr[4, 1] = 1.2, 1.5, 2.0, 2.2
    c = draft_payments(x, pr, np.array([65.0, 85]), np.array([1.01, 1.01]), "proportional")
    assert c == pytest.approx(1.01 * x)
    # a lower final reserve: displaced reserve units cost r each
    c = draft_payments(x, pr, np.array([65.0, 85]), np.array([0.5, 0.5]), "lazar_semret")
    assert c == pytest.approx(0.5 * x)


def test_one_winner_per_step_takes_longer_same_allocation():
    run = simulate_draft(example(), winners_per_step="one")
    assert run.converged and run.rounds == 5
    assert run.x.tolist() == [[25, 25], [40, 0], [0, 26], [0, 20], [0, 14]]


def test_isp_fallback_buys_the_shortfall():
    m = PSPModel([10.0, 5.0], ("a",), (L(3.0, 30.0),), 0.1, p_kappa=3.0,
                 initial_price=[1.0])  # fmt: skip
    run = simulate_draft(m)
    # cover max_n n·avail_(n) = max(10, 2·5) = 10: 20 units come from κ
    assert run.isp.tolist() == [20.0] and run.x.sum() == 10.0 and run.converged
    wait = simulate_draft(m, isp_fallback=False)
    # waiting instead: it takes 10 at s1, then the 5 of s2 once s1 is closed
    assert wait.isp.tolist() == [0.0] and wait.x.tolist() == [[10.0, 5.0]]


def test_equal_initial_prices_herd_and_do_not_converge():
    # Algorithm 2 line 1 (E8): every buyer starts at ε.  All see the same offers and
    # move together between the sellers every step; the reserves climb by ε per step.
    run = simulate_draft(example(max_iterations=60), initial_prices="epsilon")
    assert not run.converged and run.rounds == 60 and run.x.sum() == 0
    assert run.reserve.max() == pytest.approx(0.31)


@pytest.mark.parametrize("seed", range(4))
def test_random_markets_properties(seed):
    rng = np.random.default_rng(seed)
    n, J = 8, 3
    Q = rng.uniform(20, 60, J)
    need = rng.uniform(5, 40, n)
    E = rng.random((n, J)) < 0.7
    E[np.arange(n), rng.integers(0, J, n)] = True
    m = PSPModel(Q, tuple(f"b{i}" for i in range(n)), tuple(L(2.0, d) for d in need), 0.05,
                 p_kappa=2.0, edges=E, seed=seed)  # fmt: skip
    for winners in ("all", "one"):
        run = simulate_draft(m, winners_per_step=winners)
        assert np.all(run.x.sum(axis=0) <= Q + 1e-9)  # feasible
        assert np.all(run.x.sum(axis=1) + run.isp <= need + 1e-9)
        assert np.all(run.x[~E] == 0)  # only along the graph
        assert np.all(run.price[run.x > 0] <= 2.0)  # prices capped by p^κ
        c = draft_payments(run.x, run.price, Q, run.reserve, "proportional")
        assert np.all(c >= -1e-9)
        assert np.all(c[run.x == 0] == 0)


def test_bad_draft_options():
    with pytest.raises(ModelError, match="solver.initial_prices"):
        simulate_draft(example(), initial_prices="random")
    with pytest.raises(ModelError, match="buyers.initial_price"):
        simulate_draft(example(initial_price=None), initial_prices="given")


def test_cli_draft_example_json():
    res = subprocess.run(
        [sys.executable, "-m", "datamech.cli", "solve", "examples/models/psp_draft_example.toml",
         "--json"], capture_output=True, text=True,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout)
    assert d["method"] == "draft" and d["rounds"] == 4 and d["converged"] is True
    assert d["status"] == "evaluated" and d["objective"] == pytest.approx(450.0)
    assert [s["t"] for s in d["trace"]] == [0, 1, 2, 3, 4]
    assert d["revenue"] == pytest.approx([65.65, 85.85])


def test_draft_result_plots_its_convergence(tmp_path):
    res = dm.solve(example())
    assert len(res.welfare_curve) == res.rounds == 4
    assert res.welfare_curve[-1] == pytest.approx(450.0)
    paths = res.save_plots(tmp_path, "psp")
    assert [p.name for p in paths] == ["psp.png", "psp.pdf"]
    assert all(p.stat().st_size > 1000 for p in paths)
