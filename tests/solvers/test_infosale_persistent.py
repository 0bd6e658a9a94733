"""The persistent LP (InfoSaleLP) and the reduced LP's monotone option and duals.

Every re-solve of the persistent LP is compared with a fresh ``solve_lp`` of the
changed model (an independent build and a cold solve) to 1e-9.
"""

import numpy as np
import pytest

from datamech import ModelError
from datamech.models.distributions import Discrete, Exponential
from datamech.models.infosale import Objective, create
from datamech.solvers.infosale import InfoSaleLP, solve_lp, solve_reduced

TOL = 1e-9
PRIORS = [0.5, 0.55, 0.62, 0.7, 0.4, 0.5]


def model(alpha=0.5, cells=8, **kw):
    kw.setdefault("scheme", "left")  # one grid for every objective compared here
    return create("competition", alpha=alpha, cells=cells, **kw)


def mix_expression(w_rev, w_wel, alpha):
    """w_rev E[p1 + p2] + w_wel E[welfare] of Example 3, written as an objective string."""
    d1, d2 = "KroneckerDelta(a1, theta)", "KroneckerDelta(a2, theta)"
    welfare = f"v1*({d1} - {alpha}*{d2}) + v2*({d2} - {alpha}*{d1})"
    return f"{w_rev}*(p1 + p2) + {w_wel}*({welfare})"


@pytest.mark.parametrize("objective", ["revenue", "welfare"])
def test_prior_sweep_equals_fresh_solves(objective):
    base = model(objective=objective)
    plp = InfoSaleLP(base)
    for p in PRIORS:
        res = plp.solve(prior=[p, 1 - p])
        fresh = solve_lp(base.replace(prior=np.array([p, 1 - p])))
        assert res.value == pytest.approx(fresh.value, abs=TOL)
        if objective == "revenue":  # welfare optima are not unique, nor their payments
            assert res.revenue == pytest.approx(fresh.revenue, abs=1e-7)
        assert res.parameters["prior"] == pytest.approx([p, 1 - p])
        assert res.outside_option == pytest.approx(fresh.outside_option, abs=TOL)
        # the rule is a probability law per (theta, cell)
        assert np.allclose(res.sigma.sum(axis=2), 1.0, atol=1e-9)


def test_warm_start_takes_fewer_iterations():
    plp = InfoSaleLP(model(cells=12))
    plp.solve()
    cold = plp.iterations
    plp.solve(prior=[0.55, 0.45])
    assert cold > 20 and plp.iterations < cold / 4


def test_objective_mix_sweep_equals_expression_objective():
    alpha = 0.5
    base = model(alpha)
    plp = InfoSaleLP(base)
    for w in [(1.0, 0.0), (0.7, 0.3), (0.3, 0.7), (0.0, 1.0)]:
        res = plp.solve(mix=w)
        expr = Objective("expression", expression=mix_expression(*w, alpha))
        fresh = solve_lp(base.replace(objective=expr))
        assert res.value == pytest.approx(fresh.value, abs=TOL)
        assert res.objective_kind == "mix" and res.parameters["mix"] == list(w)
    assert plp.solve(mix=None).value == pytest.approx(solve_lp(base).value, abs=TOL)


def test_outside_option_sweep_equals_fresh_solves():
    base = model()
    plp = InfoSaleLP(base)
    for K in [0.0, -0.1, 0.05, None]:
        res = plp.solve(outside_option=K)
        fresh = solve_lp(base.replace(constraints=_with_k(base, K)))
        assert res.value == pytest.approx(fresh.value, abs=TOL)


def test_cvxpy_dpp_backend_sweeps_equal_fresh_solves():
    """One DPP problem: prior, outside option and mix change parameters only."""
    base = model(cells=6)
    plp = InfoSaleLP(base, backend="cvxpy")
    problem = plp._cvx.problem
    assert problem.is_dcp(dpp=True)
    for p in (0.55, 0.4):
        fresh = solve_lp(base.replace(prior=np.array([p, 1 - p])))
        assert plp.solve(prior=[p, 1 - p]).value == pytest.approx(fresh.value, abs=TOL)
    plp.solve(prior=[0.5, 0.5])
    fresh = solve_lp(base.replace(constraints=_with_k(base, -0.1)))
    assert plp.solve(outside_option=-0.1).value == pytest.approx(fresh.value, abs=TOL)
    plp.solve(outside_option=None)
    expr = Objective("expression", expression=mix_expression(0.3, 0.7, 0.5))
    fresh = solve_lp(base.replace(objective=expr))
    assert plp.solve(mix=(0.3, 0.7)).value == pytest.approx(fresh.value, abs=TOL)
    assert plp._cvx.problem is problem  # never rebuilt


def _with_k(m, K):
    import dataclasses

    return dataclasses.replace(m.constraints, outside_option=K)


def test_combined_changes_persist_between_calls():
    base = model()
    plp = InfoSaleLP(base)
    plp.solve(prior=[0.6, 0.4])
    plp.solve(mix=(0.0, 1.0))
    res = plp.solve(outside_option=-0.05)  # prior and mix are kept
    fresh_model = base.replace(
        prior=np.array([0.6, 0.4]),
        constraints=_with_k(base, -0.05),
        objective=Objective("expression", expression=mix_expression(0.0, 1.0, 0.5)),
    )
    assert res.value == pytest.approx(solve_lp(fresh_model).value, abs=TOL)


@pytest.mark.parametrize("backend", ["highspy", "cvxpy"])
def test_new_types_and_game_change_coefficients(backend):
    base = model(cells=6)
    plp = InfoSaleLP(base, backend=backend)
    plp.solve()
    for new in [
        base.replace(types=Exponential(1.7)),
        create("competition", alpha=0.25, cells=6, prior=[0.6, 0.4]),
        create("competition", alpha=0.25, cells=6, objective="welfare"),
        create("competition", alpha=0.0, cells=6),  # fewer nonzeros: re-passed + basis
        base,
    ]:
        res = plp.solve(new)
        assert res.value == pytest.approx(solve_lp(new).value, abs=TOL)


def test_obedience_duals_match_a_fresh_solve_in_shape_and_sign():
    base = model(objective="welfare", prior=[0.6, 0.4])
    res = InfoSaleLP(base).solve()
    fresh = solve_lp(base)
    for i in range(2):
        assert res.obedience_duals[i].shape == fresh.obedience_duals[i].shape
        assert np.all(res.obedience_duals[i] >= -1e-9)
        assert res.obedience_duals[i].sum() == pytest.approx(
            fresh.obedience_duals[i].sum(), abs=1e-7
        )


def test_persistent_errors():
    with pytest.raises(ModelError, match="prior"):
        InfoSaleLP(model(prior=[1.0, 0.0]))
    plp = InfoSaleLP(model())
    with pytest.raises(ModelError, match="prior"):
        plp.solve(prior=[0.3, 0.3])
    with pytest.raises(ModelError, match="prior"):
        plp.solve(prior=[1.0, 0.0])
    with pytest.raises(ModelError, match="grid size"):
        plp.solve(model(cells=5))
    with pytest.raises(ModelError, match="backend"):
        InfoSaleLP(model(), backend="glpk")


# ------------------------------------------------------------------ reduced LP
NON_REGULAR = [[0.1, 0.4, 0.1, 0.4], [0.4, 0.1, 0.1, 0.4]]


@pytest.mark.parametrize("alpha", [0.25, 0.5, 1.0])
@pytest.mark.parametrize("probs", NON_REGULAR)
def test_reduced_monotone_equals_full_lp_on_non_regular_laws(alpha, probs):
    """E17: with a non-regular law the reduced LP needs pi~ monotone to match the full LP."""
    d = Discrete([1.0, 2.0, 3.0, 4.0], probs)
    m = create("competition", alpha=alpha, buyers=d, cells=4)
    full = solve_lp(m)
    with pytest.warns(RuntimeWarning, match="relaxation"):
        free = solve_reduced(m, monotone=False)
    mono = solve_reduced(m, monotone=True)
    mono_cvx = solve_reduced(m, monotone=True, backend="cvxpy")
    assert mono.value == pytest.approx(full.value, abs=1e-8)
    assert mono_cvx.value == pytest.approx(full.value, abs=1e-8)
    assert mono.revenue == pytest.approx(full.revenue, abs=1e-8)
    assert mono.implementable and full.implementable
    # without monotonicity the relaxation is strictly better and not implementable
    assert free.value > full.value + 1e-6
    assert not free.implementable
    for share in mono.interim_share:
        assert np.all(np.diff(share) >= -1e-9)


@pytest.mark.parametrize("objective", ["revenue", "welfare"])
def test_reduced_monotone_changes_nothing_for_regular_laws(objective):
    m = model(0.5, 10, objective=objective)
    assert solve_reduced(m, monotone=True).value == pytest.approx(solve_reduced(m).value, abs=1e-9)


@pytest.mark.parametrize("prior", [[0.5, 0.5], [0.6, 0.4], [0.35, 0.65]])
@pytest.mark.parametrize("objective", ["revenue", "welfare"])
@pytest.mark.parametrize("alpha", [0.25, 0.75])
def test_reduced_duals_have_full_shape(prior, objective, alpha):
    m = model(alpha, 8, objective=objective, prior=prior)
    full, red = solve_lp(m), solve_reduced(m)
    less_likely = int(np.argmin(prior))
    for i in range(2):
        d_red, d_full = red.obedience_duals[i], full.obedience_duals[i]
        assert d_red.shape == d_full.shape == (8, 2, 2)
        assert np.all(d_red >= -1e-9)
        # only "told the less likely state, prefers it" carries a price
        mask = np.zeros((2, 2), dtype=bool)
        mask[less_likely, 1 - less_likely] = True
        assert np.all(d_red[:, ~mask] == 0)
        # complementary slackness against the same rule's accuracy (Prop 3)
        slack = red.interim_accuracy[i] - m.mu
        assert np.all(d_red.sum(axis=(1, 2))[slack > 1e-7] < 1e-9)
        if objective == "welfare":
            # no participation row shares the price: the per-type sums agree
            assert d_red.sum(axis=(1, 2)) == pytest.approx(d_full.sum(axis=(1, 2)), abs=1e-7)
