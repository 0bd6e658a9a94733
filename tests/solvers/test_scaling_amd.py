"""(P-AMD), the automated-mechanism-design program of spec 003 §2.5, against Theorem 2.2.

The program knows nothing of virtual values or ironing; its optimum must equal the
closed form with ironed virtual values (13/7 on example I3), types pooled by ironing get
equal allocations, and the mechanism it returns must pass a brute-force check of every
deviation.
"""

import itertools
import json
from fractions import Fraction as Fr

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datamech.errors import ModelError
from datamech.models.distributions import Discrete, Uniform
from datamech.numeric import jsonable
from datamech.solvers.scaling import OfflineMechanism, pamd_program


def i3(exact=True):
    if exact:
        return Discrete([1, 2, 3], [Fr(3, 5), Fr(1, 10), Fr(3, 10)])
    return Discrete([1.0, 2.0, 3.0], [0.6, 0.1, 0.3])


@pytest.mark.parametrize("ic", ["bayes", "dominant"])
def test_i3_two_buyers_13_7_and_pooling(ic):
    res = pamd_program([i3(), i3()], 0.5, 1, ic=ic)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(13 / 7, abs=1e-7)
    for i in range(2):
        Y = res.interim_z[i]
        assert Y[0] == pytest.approx(Y[1], abs=1e-6)  # types 1 and 2 pooled
        assert Y[2] > Y[1] + 1
        # closed form: z = sum r / 2 in {1/7, 11/7, 3}; E[z | v = 1] = 0.7/7 + 0.3*11/7
        # (the objective is flat at the optimum: allocations are accurate to ~1e-5 when
        # the profit is accurate to ~1e-10)
        assert Y[0] == pytest.approx(0.1 + 0.3 * 11 / 7, abs=1e-5)
        assert res.interim_payment[i][0] == pytest.approx(4 / 7, abs=1e-5)
    # ex post z equals Theorem 2.2's sum r / 2 on every profile (it is unique: D strictly
    # convex cost, z <= D^alpha binding)
    r = {0: 1 / 7, 1: 1 / 7, 2: 3.0}
    for t, (a, b) in enumerate(itertools.product(range(3), range(3))):
        assert res.z[0, t] == pytest.approx((r[a] + r[b]) / 2, abs=1e-5)
    assert res.expected_production == pytest.approx(13 / 7, abs=1e-5)


def test_i3_one_buyer_payments():
    res = pamd_program([i3()], 0.5, 1, ic="dominant")
    assert res.objective == pytest.approx(19 / 28, abs=1e-7)
    assert res.interim_z[0] == pytest.approx([1 / 14, 1 / 14, 3 / 2], abs=1e-5)
    assert res.interim_payment[0] == pytest.approx([1 / 14, 1 / 14, 61 / 14], abs=1e-5)


@pytest.mark.parametrize("alpha", [Fr(1, 3), Fr(2, 3)])
@pytest.mark.parametrize("ic", ["bayes", "dominant"])
def test_other_alphas_asymmetric_buyers(alpha, ic):
    b = Discrete([1, 2, 4], [Fr(1, 2), Fr(1, 4), Fr(1, 4)])
    c = Discrete([Fr(1, 2), 3], [Fr(2, 3), Fr(1, 3)])
    exact = OfflineMechanism([b, c], alpha, 2).expected_profit().value
    res = pamd_program([b, c], float(alpha), 2, ic=ic)
    assert res.objective == pytest.approx(float(exact), rel=1e-6)


def test_three_buyers_irregular():
    laws = [i3(), Discrete([1, 2, 4], [Fr(1, 2), Fr(1, 4), Fr(1, 4)]), i3()]
    exact = OfflineMechanism(laws, Fr(1, 2), 1).expected_profit().value
    res = pamd_program(laws, 0.5, 1, ic="bayes")
    assert res.objective == pytest.approx(float(exact), rel=1e-6) and res.profiles == 27


def test_dsic_solution_passes_brute_force_deviation_check():
    laws = [i3(exact=False), Discrete([0.5, 1.5, 2.0], [0.3, 0.3, 0.4])]
    res = pamd_program(laws, 0.5, 1, ic="dominant")
    sizes = [3, 3]
    profiles = list(itertools.product(*(range(m) for m in sizes)))
    where = {t: k for k, t in enumerate(profiles)}
    for k, t in enumerate(profiles):
        for i, d in enumerate(laws):
            v = d.values[t[i]]
            u = v * res.z[i, k] - res.payment[i, k]
            assert u >= -1e-6  # ex-post IR
            for j in range(sizes[i]):  # every misreport, every theta_-i
                dev = list(t)
                dev[i] = j
                kd = where[tuple(dev)]
                assert u >= v * res.z[i, kd] - res.payment[i, kd] - 1e-6
            assert res.z[i, k] ** 2 <= res.production[k] + 1e-6  # x_i <= D


def test_bic_is_interim_incentive_compatible():
    laws = [i3(exact=False), Discrete([0.5, 1.5, 2.0], [0.3, 0.3, 0.4])]
    res = pamd_program(laws, 0.5, 1, ic="bayes")
    for i, d in enumerate(laws):
        Y, P = res.interim_z[i], res.interim_payment[i]
        for j, v in enumerate(d.values):
            assert v * Y[j] - P[j] >= -1e-6
            for jj in range(len(Y)):
                assert v * Y[j] - P[j] >= v * Y[jj] - P[jj] - 1e-6


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.lists(st.integers(1, 9), min_size=1, max_size=3, unique=True),
            st.lists(st.integers(1, 5), min_size=3, max_size=3),
        ),
        min_size=1,
        max_size=2,
    )
)
def test_random_laws_match_closed_form(spec):
    laws = []
    for vals, weights in spec:
        vals = sorted(vals)
        w = weights[: len(vals)]
        laws.append(Discrete(vals, [Fr(x, sum(w)) for x in w]))
    exact = float(OfflineMechanism(laws, Fr(1, 2), 1).expected_profit().value)
    res = pamd_program(laws, 0.5, 1)
    assert res.objective == pytest.approx(exact, rel=1e-6, abs=1e-7)


def test_to_dict_is_json_and_skips_arrays():
    d = pamd_program([i3(), i3()], 0.5, 1).to_dict()
    assert {"z", "payment", "production"}.isdisjoint(d)
    # z (n P), D (P) and the interim payments (3 + 3) under BIC
    assert d["profiles"] == 9 and d["variables"] == 2 * 9 + 9 + 6
    json.dumps(jsonable(d))


def test_bad_inputs():
    with pytest.raises(ModelError) as exc:
        pamd_program([i3()], 0.5, 1, ic="nash")
    assert exc.value.field == "ic"
    with pytest.raises(ModelError) as exc:
        pamd_program([Uniform(0, 1)], 0.5, 1)
    assert exc.value.field == "buyers"
    with pytest.raises(ModelError) as exc:
        pamd_program([], 0.5, 1)
    assert exc.value.field == "buyers"
    with pytest.raises(ModelError) as exc:
        pamd_program([i3()] * 3, 0.5, 1, max_profiles=10)
    assert exc.value.field == "buyers"
    with pytest.raises(ModelError) as exc:
        pamd_program([i3()], 1.0, 1)
    assert exc.value.field == "alpha"
    with pytest.raises(ModelError) as exc:
        pamd_program([i3()], 0.5, -1)
    assert exc.value.field == "cost"


def test_solver_status_is_not_swallowed():
    from datamech.errors import SolverError

    # a solver that cannot do power cones: cvxpy refuses, reported as SolverError
    with pytest.raises(SolverError):
        pamd_program([i3()], 0.5, 1, solver="HIGHS")


def test_interim_allocation_is_expected_x():
    res = pamd_program([i3()], 0.5, 1)
    # one buyer: x = z^2 = (1/14)^2, (1/14)^2, (3/2)^2
    assert np.allclose(res.interim_allocation[0], [1 / 196, 1 / 196, 9 / 4], atol=1e-6)


@pytest.mark.parametrize("ic", ["bayes", "dominant"])
def test_local_ic_gives_the_same_optimum_and_global_ic(ic):
    laws = [i3(exact=False), Discrete([0.5, 1.5, 2.0, 4.0], [0.3, 0.3, 0.1, 0.3])]
    exact = float(OfflineMechanism(laws, 0.5, 1).expected_profit().value)
    full = pamd_program(laws, 0.5, 1, ic=ic)
    local = pamd_program(laws, 0.5, 1, ic=ic, pairs="local")
    assert local.objective == pytest.approx(exact, rel=1e-7)
    assert full.objective == pytest.approx(exact, rel=1e-7)
    assert local.constraints < full.constraints
    # the local program's mechanism is globally IC (every misreport, brute force)
    for i, d in enumerate(laws):
        Y, P = local.interim_z[i], local.interim_payment[i]
        for j, v in enumerate(d.values):
            for jj in range(len(Y)):
                assert v * Y[j] - P[j] >= v * Y[jj] - P[jj] - 1e-6
    with pytest.raises(ModelError) as exc:
        pamd_program(laws, 0.5, 1, pairs="some")
    assert exc.value.field == "pairs"
