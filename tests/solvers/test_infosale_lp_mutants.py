"""The infosale LP's shape and messages (solvers/infosale/lp.py), counted by hand.

Written for mutation testing (issue 19, item 4: ``python benchmarks/mutation.py
infosale_lp``).  The model: competition, 2 buyers, 2 states, 2 actions each, m = 3 cells
per buyer.  So 9 cells (c_1, c_2), 4 action profiles, sigma has 2 * 9 * 4 = 72 entries,
payments 3 + 3: 78 columns.  Rows: simplex 2 * 9 = 18; obedience m * A (A - 1) = 6 per
buyer; truthfulness 2 (m - 1) = 4 adjacent pairs or m (m - 1) = 6 global pairs per buyer;
participation m = 3 per buyer.
"""

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sps

from datamech import ModelError, SolverError
from datamech.models.infosale import create
from datamech.solvers.infosale.layout import layout
from datamech.solvers.infosale.lp import (
    build_lp,
    diagnose_infeasibility,
    inaccurate_advice,
    no_solution,
)
from datamech.solvers.infosale.lp_backends import Runner
from datamech.status import Status


def model(**kw):
    return create("competition", alpha=0.5, cells=3, **kw)


def test_sizes_and_blocks():
    lp = build_lp(model())
    assert lp.n_sigma == 72 and lp.A.shape == (44, 78)
    assert lp.blocks == {
        "simplex": slice(0, 18),
        "obedience": slice(18, 30),
        "truthfulness": slice(30, 38),
        "participation": slice(38, 44),
    }
    assert [int(t) for t in lp.t_offset] == [72, 75]


def test_families_switch_off_and_global_pairs():
    m = model(obedience=False, participation=False, truthfulness="global")
    lp = build_lp(m)
    assert lp.blocks == {"simplex": slice(0, 18), "truthfulness": slice(18, 30)}
    lp = build_lp(model(truthfulness="off"))
    assert list(lp.blocks) == ["simplex", "obedience", "participation"]
    lp = build_lp(model(), families=("simplex", "participation"))
    assert lp.blocks == {"simplex": slice(0, 18), "participation": slice(18, 24)}


def test_simplex_rows_and_bounds():
    lp = build_lp(model())
    S = sps.csr_matrix(lp.A[lp.blocks["simplex"]]).toarray()
    # row (theta, c) holds a 1 for each of the 4 action profiles of that (theta, c)
    assert np.array_equal(S[:, :72], np.kron(np.eye(18), np.ones(4)))
    assert not S[:, 72:].any()
    assert lp.row_lower[:18].tolist() == [1.0] * 18 and lp.row_upper[:18].tolist() == [1.0] * 18
    assert lp.col_lower.tolist() == [0.0] * 78
    assert lp.col_upper.tolist() == [1.0] * 72 + [np.inf] * 6
    free = build_lp(model(nonnegative_payments=False))
    assert free.col_lower.tolist() == [0.0] * 72 + [-np.inf] * 6


def test_truthfulness_payment_columns():
    lp = build_lp(model())
    T = sps.csr_matrix(lp.A[lp.blocks["truthfulness"]]).toarray()[:, 72:]
    # adjacent pairs (k, k+1) then (k+1, k) per buyer: +1 on t[k], -1 on t[k']
    want = np.zeros((8, 6))
    for i in range(2):
        for r, (k, k2) in enumerate([(0, 1), (1, 2), (1, 0), (2, 1)]):
            want[4 * i + r, 3 * i + k] = 1
            want[4 * i + r, 3 * i + k2] = -1
    assert np.array_equal(T, want)
    sl = lp.blocks["truthfulness"]
    assert lp.row_lower[sl].tolist() == [-np.inf] * 8 and lp.row_upper[sl].tolist() == [0.0] * 8
    sl = lp.blocks["obedience"]
    assert lp.row_lower[sl].tolist() == [0.0] * 12 and lp.row_upper[sl].tolist() == [np.inf] * 12


def test_participation_rows():
    lp = build_lp(model())
    sl = lp.blocks["participation"]
    P = sps.csr_matrix(lp.A[sl]).toarray()
    assert np.array_equal(P[:, 72:], -np.eye(6))  # - t_i[k]
    assert lp.row_lower[sl].tolist() == [0.0] * 6  # v_k K_i with K_i = 0 here
    assert lp.row_upper[sl].tolist() == [np.inf] * 6
    assert lp.outside_option == [0.0, 0.0]


def test_revenue_and_welfare_objectives():
    m = model()
    lay = layout(m)
    lp = build_lp(m, lay)
    # revenue: sum_i sum_k P(V_i in cell k) t_i[k]
    assert not lp.c[:72].any()
    assert lp.c[72:].tolist() == [*lay.probs[0], *lay.probs[1]]
    lpw = build_lp(model(objective="welfare"))
    assert not lpw.c[72:].any() and lpw.c[:72].any()


def test_no_solution_messages():
    e = no_solution(Status.UNBOUNDED, "the LP")
    assert e.status is Status.UNBOUNDED
    assert str(e).endswith("the LP is unbounded; revenue needs participation or bounded payments")
    e = no_solution(Status.TIME_LIMIT, "the LP", time_limit=2.5)
    assert e.status is Status.TIME_LIMIT
    assert "the LP was stopped by the time limit (2.5 s) before an optimum; " in str(e)
    assert str(e).endswith("; raise [solver] time_limit or use fewer grid cells")
    # a limit set through the solver's own options is not known here: no number, no crash
    e = no_solution(Status.TIME_LIMIT, "the LP")
    assert "the LP was stopped by the time limit before an optimum; " in str(e)
    e = no_solution(Status.ITERATION_LIMIT, "the LP")
    assert e.status is Status.ITERATION_LIMIT
    assert str(e).endswith("the LP reached the solver's iteration limit")
    e = no_solution(Status.INFEASIBLE, "the LP")
    assert e.status is Status.INFEASIBLE and str(e).endswith("the LP has no optimal solution")
    assert isinstance(e, SolverError)


def test_inaccurate_advice():
    assert "use backend highspy" in inaccurate_advice(Status.OPTIMAL_INACCURATE)
    assert inaccurate_advice(Status.OPTIMAL) is None
    assert inaccurate_advice(Status.TIME_LIMIT) is None


@pytest.mark.parametrize(
    "kw, fam",
    [
        ({"outside_option": 2.0}, "participation"),  # nobody gets more than pi = 1
        ({}, None),
    ],
)
def test_diagnose_infeasibility(kw, fam):
    assert diagnose_infeasibility(model(**kw)) == fam


def test_solve_lp_reports_the_solver_and_its_time():
    import time

    from datamech.solvers.infosale.lp import solve_lp

    t0 = time.perf_counter()
    res = solve_lp(model(), backend="cvxpy", solver="clarabel")
    wall = time.perf_counter() - t0
    assert res.solver == "Clarabel" and res.backend == "cvxpy"
    assert 0 <= res.seconds <= wall  # the solve's own time, within the call's


def test_solve_lp_error_messages():
    from datamech.solvers.infosale.lp import solve_lp

    with pytest.raises(SolverError) as e:
        solve_lp(model(participation=False, nonnegative_payments=False))
    assert str(e.value).endswith(
        "the infosale LP is unbounded; revenue needs participation or bounded payments"
    )
    with pytest.raises(SolverError) as e:
        solve_lp(model(outside_option=2.0))
    assert str(e.value).endswith(
        "the participation constraints make the infosale LP infeasible "
        "(constraint family 'participation')"
    )
    assert e.value.family == "participation"


# ------------------------------------------------- expression and function objectives
def function_model(g, weights=None):
    from datamech.models.infosale import Objective

    return model().replace(objective=Objective("expression", function=g, payment_weights=weights))


def test_function_objective_payment_weights_enter_the_payment_columns():
    # c_1 = 1, c_2 = 0: the columns of t_1 carry P(V_1 in cell k), those of t_2 nothing
    m = function_model(lambda a, th, v: 0.0, (1.0, 0.0))
    lay = layout(m)
    lp = build_lp(m, lay)
    assert lp.c[72:75].tolist() == list(lay.probs[0]) and not lp.c[75:].any()
    assert not lp.c[:72].any()  # g = 0


@pytest.mark.parametrize("bad", [np.inf, np.nan])
def test_function_objective_not_finite(bad):
    with pytest.raises(ModelError) as e:
        build_lp(function_model(lambda a, th, v: bad, (0.0, 0.0)))
    assert e.value.field == "objective.expression"
    assert e.value.problem == "is not finite on the type grid"


def test_function_objective_magnitude_bound():
    # |g| <= 1e12 is accepted (the bound itself included), anything above refused
    lp = build_lp(function_model(lambda a, th, v: 1e12, (0.0, 0.0)))
    # c = P(theta, c) * g summed over the 4 action profiles of (theta, c): 4 * 1e12 in all
    assert lp.c[:72].sum() == pytest.approx(4e12, rel=1e-12)
    with pytest.raises(ModelError) as e:
        build_lp(function_model(lambda a, th, v: -2e12, (0.0, 0.0)))
    assert e.value.field == "objective.expression"
    assert e.value.problem.startswith("reaches 2000000000000 on the type grid")  # |g|, plain
    assert e.value.problem.endswith("the LP accepts |g| <= 1e12 (rescale the objective)")


def test_function_objective_wrong_number_of_payment_weights():
    with pytest.raises(ModelError) as e:
        build_lp(function_model(lambda a, th, v: 0.0, (1.0,)))
    assert e.value.field == "objective.payment_weights"
    assert e.value.problem == "needs 2 weights"


# ------------------------------------------------------------- shapes of small games
def test_two_cells_keep_truthfulness():
    # m = 2: one adjacent pair each way per buyer, 2 rows per buyer
    lp = build_lp(create("competition", alpha=0.5, cells=2))
    assert lp.blocks["truthfulness"] == slice(16, 20)
    assert lp.A.shape == (24, 2 * 4 * 4 + 4)  # 8 simplex + 8 obedience + 4 + 4 rows


def test_a_buyer_with_one_action_has_no_obedience_rows():
    # buyer 1 has one action (nothing to deviate to), buyer 2 two: 3 cells * 2 * 1 rows
    p = np.zeros((2, 1, 2, 2))
    for a2, th in np.ndindex(2, 2):
        p[1, 0, a2, th] = float(a2 == th)
    lp = build_lp(create("table", payoffs=p, cells=3))
    assert lp.blocks["obedience"].stop - lp.blocks["obedience"].start == 6


def test_scalar_outside_options_stay_numbers():
    lp = build_lp(model(outside_option=0.25))
    assert lp.outside_option == [0.25, 0.25]
    assert not any(isinstance(k, np.ndarray) for k in lp.outside_option)


def test_obedience_duals_sit_off_the_diagonal():
    from datamech.solvers.infosale.lp import solve_lp

    res = solve_lp(model())
    for d in res.obedience_duals:
        assert d.shape == (3, 2, 2)
        # (k, x, y): recommended x, deviation y != x; there is no constraint for y = x
        assert not d[:, 0, 0].any() and not d[:, 1, 1].any()
        assert d[:, 0, 1].any() or d[:, 1, 0].any()


def test_inaccurate_advice_text():
    assert inaccurate_advice(Status.OPTIMAL_INACCURATE) == (
        "the solver flagged its solution as inaccurate: use backend highspy (HiGHS "
        "simplex), or rescale payoffs and types towards 1"
    )


# ------------------------------------------------- statuses planted by a fake runner
class _Planted(Runner):
    """A runner that returns planted statuses and records each call's ``feasibility``."""

    def __init__(self, main_status, feasible=True, time_limit=None):
        super().__init__("highspy", "HIGHS", time_limit)
        object.__setattr__(self, "calls", [])
        object.__setattr__(self, "main_status", main_status)
        object.__setattr__(self, "feasible", feasible)

    def solve(self, lp, *, feasibility=False, what="the infosale LP"):
        self.calls.append(feasibility)
        if feasibility:
            if self.feasible:
                return Status.OPTIMAL, np.zeros(lp.A.shape[1]), None, 0.0
            return Status.INFEASIBLE, None, None, None
        return self.main_status, None, None, None


def _solve_with(monkeypatch, fake, **kw):
    from datamech.solvers.infosale import lp as lp_module

    monkeypatch.setattr(lp_module, "runner", lambda *a, **k: fake)
    return lp_module.solve_lp(model(), **kw)


def test_diagnosis_solves_feasibility_problems():
    fake = _Planted(Status.OPTIMAL)
    assert diagnose_infeasibility(model(), fake) is None
    assert fake.calls == [True] * 4  # one per family, each without the objective


def test_time_limit_message_names_the_limit(monkeypatch):
    with pytest.raises(SolverError) as e:
        _solve_with(monkeypatch, _Planted(Status.TIME_LIMIT), time_limit=2.5)
    assert e.value.status is Status.TIME_LIMIT and e.value.family is None
    assert "the infosale LP was stopped by the time limit (2.5 s)" in str(e.value)


def test_infeasible_with_every_family_feasible_is_unbounded(monkeypatch):
    # the LP reports infeasible, yet every family added one by one is feasible: the
    # ambiguous "infeasible or unbounded" was unboundedness
    fake = _Planted(Status.INFEASIBLE, feasible=True)
    with pytest.raises(SolverError) as e:
        _solve_with(monkeypatch, fake)
    assert e.value.status is Status.UNBOUNDED and e.value.family is None
    assert str(e.value).endswith(
        "the infosale LP is unbounded; revenue needs participation or bounded payments"
    )
    assert fake.calls == [False] + [True] * 4


# ------------------------------------------------------------ general utility, payments
def _one(v=1):
    from datamech.models.distributions import Discrete

    return Discrete([v], [1])


def _guess_game(k=2, rewards=(1.0, 1.0)):
    """Two buyers guess one of k states with k actions each, no competition:
    pi_i(a; theta) = r_i(theta) 1{a_i = theta}, r_i a number or one per state."""
    r = [np.broadcast_to(np.asarray(x, dtype=float), (k,)) for x in rewards]
    p = np.zeros((2, k, k, k))
    for a1, a2, th in np.ndindex(k, k, k):
        p[0, a1, a2, th] = r[0][th] * (a1 == th)
        p[1, a1, a2, th] = r[1][th] * (a2 == th)
    return p


@pytest.mark.parametrize(("beta", "want"), [(0.5, 2.0), (1.5, 1.0)])
def test_general_utility_enters_obedience(beta, want):
    # u_i = v_i 1{a_i = theta} + beta 1{a_i = 0} with v_i = 1, equal prior, objective
    # P(a_1 = theta) + P(a_2 = theta).  Obeying a recommendation of 1 gives
    # P(theta = 1 | 1) <= 1, deviating to 0 gives beta + P(theta = 0 | 1) >= beta: for
    # beta = 3/2 action 1 is never obeyed, both always play 0 and are right half the
    # time (value 1); for beta = 1/2 full revelation is obedient (value 2).  In the
    # pi-form (Assumption 1) beta would vanish and the value would be 2 for both.
    from datamech.models.infosale import Game, Objective
    from datamech.solvers.infosale import solve_lp

    p = _guess_game()
    one = _one()
    goal = Objective(
        "expression", expression="KroneckerDelta(a1, theta) + KroneckerDelta(a2, theta)"
    )
    # without participation (which alone would also exclude full revelation at beta = 3/2)
    m = create("table", payoffs=p, buyers=[one, one], cells=1, objective=goal, participation=False)

    def u(i, a, theta, v):
        return v[i] * (a[i] == theta) + beta * (a[i] == 0)

    res = solve_lp(m.replace(game=Game(p, utility=u)))
    assert res.status == "optimal"
    assert res.value == pytest.approx(want, abs=1e-9)


def test_an_objective_that_charges_payments_keeps_them_at_zero():
    # g = 1{a_1 = theta} + 1{a_2 = theta} - p_1 - p_2: full revelation is obedient in
    # the competition game (a buyer's own action does not move the alpha term) and,
    # the same for every report, truthful without payments, so the unique optimum
    # charges nothing: value 2, revenue 0.  (Replacing the LP's payments by the
    # revenue-maximizing ones of the same rule would report a positive revenue.)
    from datamech.models.infosale import Objective
    from datamech.solvers.infosale import solve_lp

    expr = "KroneckerDelta(a1, theta) + KroneckerDelta(a2, theta) - p1 - p2"
    res = solve_lp(model(objective=Objective("expression", expression=expr)))
    assert res.value == pytest.approx(2.0, abs=1e-9)
    assert res.revenue == pytest.approx(0.0, abs=1e-9)
    for t in res.interim_payment:
        assert np.max(np.abs(t)) <= 1e-9


def _guess_three():
    """3 states and actions, reward 2 for a right guess, equal prior, one type each."""
    return create(
        "table",
        payoffs=_guess_game(3, (2.0, 2.0)),
        prior=[1 / 3] * 3,
        buyers=[_one(), _one()],
        cells=1,
    )


def test_obedience_rows_of_three_actions_at_full_revelation():
    # one cell per buyer, rows ordered (cell, recommended x, deviation y != x).  Under
    # full revelation (recommend theta to both) row (x, y) is
    # P(theta = x) * (pi(x; x) - pi(y; x)) = 1/3 * (2 - 0) = 2/3 for each of the
    # 3 * 2 rows of each buyer; with a row index off, two rows would merge.
    m = _guess_three()
    lay = layout(m)
    lp = build_lp(m, lay)
    assert lay.n_act == 9 and lp.blocks["obedience"] == slice(3, 15)
    x = np.zeros(lp.A.shape[1])
    for th in range(3):
        a = 3 * th + th  # the profile (theta, theta)
        assert (lay.act_index[0][a], lay.act_index[1][a]) == (th, th)
        x[th * lay.n_cells * lay.n_act + a] = 1.0
    rows = lp.A[lp.blocks["obedience"]] @ x
    assert rows == pytest.approx(np.full(12, 2 / 3), abs=1e-15)
    # a garbled rule, recommending 0 to buyer 1 in every state, buyer 2 truthfully:
    # (x = 0, y): 1/3 * (2 - 0) [theta = 0] + 1/3 * (0 - 2) [theta = y] = 0; x = 1, 2: none
    x[:] = 0.0
    for th in range(3):
        x[th * lay.n_act + 3 * 0 + th] = 1.0
    rows = lp.A[lp.blocks["obedience"]] @ x
    assert rows[:6] == pytest.approx([0, 0, 0, 0, 0, 0], abs=1e-15)
    assert rows[6:] == pytest.approx(np.full(6, 2 / 3), abs=1e-15)


def test_obedience_weighs_payoff_differences():
    # buyer 1 earns 1 for guessing state 1, 3 for state 0 (equal prior, one type, no
    # payments in the objective P(a_1 = 1)).  Recommending 1 in state 1 always and in
    # state 0 with probability q is obeyed iff 1/2 * 1 >= q/2 * 3, so q = 1/3 and
    # P(a_1 = 1) = (1 + 1/3) / 2 = 2/3.
    from datamech.models.infosale import Objective
    from datamech.solvers.infosale import solve_lp

    p = _guess_game(2, ([3.0, 1.0], 1.0))
    goal = Objective("expression", expression="KroneckerDelta(a1, 1)")
    m = create("table", payoffs=p, buyers=[_one(), _one()], cells=1, objective=goal)
    res = solve_lp(m)
    assert res.value == pytest.approx(2 / 3, abs=1e-9)


def test_general_utility_participation_in_utility_units():
    # u_i = v_i 1{a_i = theta} + 1/2 1{a_i = 0} with v_i = 2: without information the
    # buyer plays 0 and gets 2 * 1/2 + 1/2 = 3/2, the outside option (already in
    # utility units, not multiplied by v); full revelation gives 2 + 1/2 * 1/2 = 9/4 >= 3/2
    from datamech.models.infosale import Game, Objective
    from datamech.solvers.infosale import solve_lp

    p = _guess_game()
    goal = Objective(
        "expression", expression="KroneckerDelta(a1, theta) + KroneckerDelta(a2, theta)"
    )
    m = create("table", payoffs=p, buyers=[_one(2), _one(2)], cells=1, objective=goal)

    def u(i, a, theta, v):
        return v[i] * (a[i] == theta) + 0.5 * (a[i] == 0)

    res = solve_lp(m.replace(game=Game(p, utility=u)))
    assert res.value == pytest.approx(2.0, abs=1e-9)
    assert [np.asarray(k).tolist() for k in res.outside_option] == [[1.5], [1.5]]
    # without participation no outside option is computed for a general game
    free = dataclasses.replace(m.constraints, participation=False)
    res = solve_lp(m.replace(game=Game(p, utility=u), constraints=free))
    assert res.outside_option == [None, None]


def test_function_objective_defaults_to_no_payments():
    # g = v_1 1{a_1 = theta}: full revelation is obedient, so the value is E[v_1] over
    # buyer 1's type grid; payments carry weight 0 unless payment_weights says otherwise
    from datamech.models.infosale import Objective
    from datamech.solvers.infosale import solve_lp

    f = Objective("expression", function=lambda a, th, v: v[0] * float(a[0] == th))
    m = model(objective=f)
    v, q = m.type_grid(0)
    res = solve_lp(m)
    assert res.value == pytest.approx(float(np.dot(q, v)), abs=1e-9)


def test_an_expression_may_name_fewer_payments_than_buyers():
    # "+ p1" in a two-buyer game: payment weights (1, 0), the same LP as a function
    # objective with payment_weights (1, 0)
    from datamech.models.infosale import Objective
    from datamech.solvers.infosale import solve_lp

    e = solve_lp(
        model(objective=Objective("expression", expression="KroneckerDelta(a1, theta) + p1"))
    )
    f = Objective(
        "expression", function=lambda a, th, v: float(a[0] == th), payment_weights=(1.0, 0.0)
    )
    assert e.value == pytest.approx(solve_lp(model(objective=f)).value, abs=1e-9)
    assert e.value > 1.0  # buyer 1 pays for the information


def test_a_function_objective_that_charges_payments_keeps_them_at_zero():
    from datamech.models.infosale import Objective
    from datamech.solvers.infosale import solve_lp

    f = Objective(
        "expression",
        function=lambda a, th, v: float(a[0] == th) + float(a[1] == th),
        payment_weights=(-1.0, -1.0),
    )
    res = solve_lp(model(objective=f))
    assert res.value == pytest.approx(2.0, abs=1e-9)
    assert res.revenue == pytest.approx(0.0, abs=1e-9)


def test_revenue_without_truthfulness_extracts_everything():
    # with no truthfulness constraint every type pays its whole surplus over the
    # outside option: interim utility = v K for each type, and revenue = the LP's value
    from datamech.solvers.infosale import solve_lp

    res = solve_lp(model(truthfulness=False))
    assert res.revenue == pytest.approx(res.value, abs=1e-9)
    for i in range(2):
        want = np.asarray(res.type_values[i]) * res.outside_option[i]
        assert np.asarray(res.interim_utility[i]) == pytest.approx(want, abs=1e-9)
    # truthful payments are lower: the same model with truthfulness earns less
    assert solve_lp(model()).revenue < res.revenue - 1e-3


def test_results_report_outside_options_and_duals_by_type():
    from datamech.solvers.infosale import solve_lp

    res = solve_lp(model(outside_option=0.25))
    assert [type(k) for k in res.outside_option] == [float, float]
    assert res.outside_option == [0.25, 0.25]
    assert solve_lp(model(obedience=False)).obedience_duals is None


class _Relabelled(Runner):
    """The real HiGHS runner, with the main solve's status and duals replaced."""

    def __init__(self, status=None, duals=None):
        super().__init__("highspy", "HIGHS", None)
        object.__setattr__(self, "new_status", status)
        object.__setattr__(self, "new_duals", duals)

    def solve(self, lp, *, feasibility=False, what="the infosale LP"):
        status, x, duals, value = super().solve(lp, feasibility=feasibility, what=what)
        if not feasibility:
            status = self.new_status or status
            duals = duals if self.new_duals is None else self.new_duals(lp)
        return status, x, duals, value


def test_inaccurate_solutions_keep_their_status_and_advice(monkeypatch):
    res = _solve_with(monkeypatch, _Relabelled(status=Status.OPTIMAL_INACCURATE))
    assert res.status == "optimal_inaccurate"
    assert res.advice == inaccurate_advice(Status.OPTIMAL_INACCURATE)


def test_obedience_duals_of_three_buyers_are_read_at_their_own_rows(monkeypatch):
    # duals planted as the row numbers: buyer i's (cell k, x, y) dual is row
    # 6 i + 2 k + (x, y = 1 - x) of the obedience block (3 cells, 2 actions each)
    from datamech.solvers.infosale import lp as lp_module

    p = np.zeros((3, 2, 2, 2, 2))
    for a1, a2, a3, th in np.ndindex(2, 2, 2, 2):
        x = [a1 == th, a2 == th, a3 == th]
        for i in range(3):
            p[i, a1, a2, a3, th] = x[i] - 0.25 * sum(x[j] for j in range(3) if j != i)
    fake = _Relabelled(duals=lambda lp: np.arange(lp.A.shape[0], dtype=float))
    monkeypatch.setattr(lp_module, "runner", lambda *a, **k: fake)
    res = lp_module.solve_lp(create("table", payoffs=p, cells=3))
    start = 2 * 27  # the simplex rows before: 2 states x 27 joint cells
    for i in range(3):
        d = np.asarray(res.obedience_duals[i])
        for k in range(3):
            assert d[k, 0, 1] == start + 6 * i + 2 * k
            assert d[k, 1, 0] == start + 6 * i + 2 * k + 1


class _InfeasibleTogether(_Planted):
    """Infeasible as soon as obedience and truthfulness are both in the LP."""

    def solve(self, lp, *, feasibility=False, what="the infosale LP"):
        self.calls.append(feasibility)
        if {"obedience", "truthfulness"} <= set(lp.blocks):
            return Status.INFEASIBLE, None, None, None
        return Status.OPTIMAL, np.zeros(lp.A.shape[1]), None, 0.0


def test_diagnosis_adds_families_one_by_one(monkeypatch):
    # families are added cumulatively: obedience alone and truthfulness alone are
    # feasible, together they are not, so the culprit named is truthfulness
    fake = _InfeasibleTogether(Status.INFEASIBLE)
    with pytest.raises(SolverError) as e:
        _solve_with(monkeypatch, fake)
    assert e.value.status is Status.INFEASIBLE and e.value.family == "truthfulness"
    assert fake.calls == [False, True, True, True]  # main, simplex, + obedience, + truthfulness


def test_the_time_limit_reaches_the_runner(monkeypatch):
    from datamech.solvers.infosale import lp as lp_module

    seen = []
    real = lp_module.runner
    monkeypatch.setattr(lp_module, "runner", lambda *a, **k: seen.append(a) or real(*a, **k))
    lp_module.solve_lp(model(), time_limit=7.5)
    assert seen == [("highspy", None, 7.5)]


def test_size_guard_names_the_backend():
    from datamech.solvers.infosale import solve_lp

    with pytest.raises(ModelError) as e:
        solve_lp(create("competition", alpha=0.5, cells=100_000))
    assert "highspy)" in str(e.value)


def test_truthfulness_rows_skip_a_buyer_with_one_cell_only():
    # buyer 1 has one type (nothing to misreport), buyer 2 three cells: 2 (3 - 1) = 4
    # adjacent truthfulness rows, all of buyer 2
    from datamech.models.distributions import Exponential

    lp = build_lp(create("competition", alpha=0.5, buyers=[_one(), Exponential(1.0)], cells=3))
    block = lp.blocks["truthfulness"]
    assert block.stop - block.start == 4
    t2 = slice(lp.t_offset[1], lp.t_offset[1] + 3)
    assert np.count_nonzero(lp.A[block][:, t2].toarray()) == 8  # t_k - t_k' per row


def test_an_objective_without_payments_reports_revenue_maximizing_payments():
    # no payment in the objective: the LP's payments are arbitrary, so the result
    # charges the revenue-maximizing truthful payments of the rule, whose lowest type's
    # participation binds (interim utility = v_1 K)
    from datamech.models.infosale import Objective
    from datamech.solvers.infosale import solve_lp

    goal = Objective(
        "expression", expression="KroneckerDelta(a1, theta) + KroneckerDelta(a2, theta)"
    )
    res = solve_lp(model(objective=goal))
    assert res.value == pytest.approx(2.0, abs=1e-9)
    assert res.revenue > 0.05
    for i in range(2):
        v_low = res.type_values[i][0]
        assert res.interim_utility[i][0] == pytest.approx(v_low * res.outside_option[i], abs=1e-9)


def test_payments_rewarded_one_for_one_keep_the_lps_payments():
    # g = p1 + p2 without truthfulness: the LP extracts every type's surplus over its
    # outside option, more than truthful payments of the same rule would
    from datamech.models.infosale import Objective
    from datamech.solvers.infosale import solve_lp

    goal = Objective("expression", expression="p1 + p2")
    res = solve_lp(model(objective=goal, truthfulness=False))
    assert res.revenue == pytest.approx(res.value, abs=1e-9)
    assert res.revenue == pytest.approx(solve_lp(model(truthfulness=False)).revenue, abs=1e-9)
    for i in range(2):
        want = np.asarray(res.type_values[i]) * res.outside_option[i]
        assert np.asarray(res.interim_utility[i]) == pytest.approx(want, abs=1e-9)
