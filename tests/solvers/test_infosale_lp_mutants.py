"""The infosale LP's shape and messages (solvers/infosale/lp.py), counted by hand.

Written for mutation testing (issue 19, item 4: ``python benchmarks/mutation.py
infosale_lp``).  The model: competition, 2 buyers, 2 states, 2 actions each, m = 3 cells
per buyer.  So 9 cells (c_1, c_2), 4 action profiles, sigma has 2 * 9 * 4 = 72 entries,
payments 3 + 3: 78 columns.  Rows: simplex 2 * 9 = 18; obedience m * A (A - 1) = 6 per
buyer; truthfulness 2 (m - 1) = 4 adjacent pairs or m (m - 1) = 6 global pairs per buyer;
participation m = 3 per buyer.
"""

import numpy as np
import pytest
import scipy.sparse as sps

from datamech import SolverError
from datamech.models.infosale import create
from datamech.solvers.infosale.layout import layout
from datamech.solvers.infosale.lp import (
    build_lp,
    diagnose_infeasibility,
    inaccurate_advice,
    no_solution,
)
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
    assert [r.tolist() for r in lp.obedience_rows] == [list(range(6))] * 2


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
    assert "raise [solver] time_limit or use fewer grid cells" in str(e)
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
