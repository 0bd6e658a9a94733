"""Offline optimum (Theorem 2.2, Lemma B.1) and the (P-VV) program (spec 003 §2.2, §2.5, §6.2)."""

from fractions import Fraction as Fr

import numpy as np
import pytest

from datamech.errors import ModelError
from datamech.models.distributions import Discrete, Pareto, Uniform
from datamech.solvers.scaling import OfflineMechanism, pvv_program

HALF = Fr(1, 2)


def i3():
    return Discrete([1, 2, 3], [Fr(3, 5), Fr(1, 10), Fr(3, 10)])


def test_i3_one_buyer_exact():
    m = OfflineMechanism([i3()], HALF, 1)
    assert m.expected_profit().value == Fr(19, 28)
    assert [m.payments([v])[0] for v in (1, 2, 3)] == [Fr(1, 14), Fr(1, 14), Fr(61, 14)]
    # z = x^(1/2) = (1/14, 1/14, 3/2)
    assert [m.allocate([v])[0] ** HALF for v in (1, 2, 3)] == pytest.approx([1 / 14, 1 / 14, 1.5])
    chk = m.check()
    assert chk["revenue"] == Fr(19, 14) and chk["cost"] == Fr(19, 28)


def test_i3_two_buyers_offl_13_7():
    m = OfflineMechanism([i3(), i3()], HALF, 1)
    est = m.expected_profit()
    assert est.value == Fr(13, 7) and est.method == "exact" and est.stderr == 0
    # per profile z = sum r / 2 in {1/7, 11/7, 3}
    assert {s / 2 for s in m.sum_law()} == {Fr(1, 7), Fr(11, 7), 3}
    chk = m.check()
    assert chk["profit"] == Fr(13, 7)  # E[sum p] - c E[D] = OFFL
    assert chk["identity_gap"] == 0 and chk["ir_ok"] and chk["monotone_ok"]


def test_pvv_matches_closed_form_and_pools():
    res = pvv_program([i3(), i3()], 0.5, 1)
    assert res.objective == pytest.approx(13 / 7, abs=1e-6)
    for Y in res.interim:  # types 1 and 2 are pooled: equal interim allocations
        assert Y[0] == pytest.approx(Y[1], abs=1e-5)
        assert Y[2] > Y[1] + 0.1


@pytest.mark.parametrize("alpha", [Fr(1, 3), Fr(2, 3)])
def test_pvv_matches_closed_form_other_alphas(alpha):
    b = Discrete([1, 2, 4], [Fr(1, 2), Fr(1, 4), Fr(1, 4)])
    c = Discrete([Fr(1, 2), 3], [Fr(2, 3), Fr(1, 3)])
    exact = OfflineMechanism([b, c], alpha, 2).expected_profit().value
    res = pvv_program([b, c], float(alpha), 2)
    assert res.objective == pytest.approx(float(exact), rel=1e-5)


def test_u2_closed_form_payment_and_monte_carlo():
    m = OfflineMechanism([Uniform(0, 1), Uniform(0, 1)], 0.5, 1)
    # spec §2.2: p_i = (4 v_i^2 - 1)/8 + (1/4) sum_{j != i} (2 v_j - 1)_+ for v_i > 1/2
    for v in ([0.8, 0.9], [0.7, 0.3], [0.4, 0.95]):
        p = m.payments(v)
        for i in range(2):
            want = 0.0
            if v[i] > 0.5:
                want = (4 * v[i] ** 2 - 1) / 8 + max(2 * v[1 - i] - 1, 0) / 4
            assert p[i] == pytest.approx(want, abs=1e-9)
    est = m.expected_profit(samples=100_000, seed=1)
    assert est.method == "mc" and est.stderr > 0
    assert abs(est.value - 11 / 96) < 4 * est.stderr  # OFFL(U2) = 11/96


def test_u_single_buyer_offl():
    est = OfflineMechanism([Uniform(0, 1)], 0.5, 1).expected_profit(samples=100_000, seed=2)
    assert abs(est.value - 1 / 24) < 4 * est.stderr


def test_allocation_pools_across_buyers():
    m = OfflineMechanism([i3(), i3()], HALF, 1)
    D, x = m.allocate([3, 1])  # r = (3, 1/7)
    assert D == (Fr(1, 2) * (3 + Fr(1, 7))) ** 2 and x == [D, D]


def test_bad_inputs():
    for alpha in (0, 1, 1.5, -0.2):
        with pytest.raises(ModelError) as exc:
            OfflineMechanism([i3()], alpha, 1)
        assert exc.value.field == "alpha"
    for cost in (0, -1, float("inf")):
        with pytest.raises(ModelError) as exc:
            OfflineMechanism([i3()], 0.5, cost)
        assert exc.value.field == "cost"
    # G15: E[r^k] infinite for Pareto(shape 1.5) at k = 2
    with pytest.raises(ModelError) as exc:
        OfflineMechanism([Pareto(1.5)], 0.5, 1).expected_profit()
    assert exc.value.field == "buyer.shape"
    with pytest.raises(ModelError):
        OfflineMechanism([Uniform(0, 1)], 0.5, 1).expected_profit(method="exact")


def test_float_inputs_give_floats():
    b = Discrete([1.0, 2.0, 3.0], [0.6, 0.1, 0.3])
    val = OfflineMechanism([b, b], 0.5, 1.0).expected_profit().value
    assert isinstance(val, float) and val == pytest.approx(13 / 7)
    assert np.isclose(OfflineMechanism([b], 0.5, 1.0).check()["profit"], 19 / 28)


def test_pvv_to_dict_has_no_internal_keys():
    import json

    import datamech as dm
    from datamech.solvers.scaling.offline import pvv_program

    m = dm.load("examples/models/offline_i3.toml")
    d = pvv_program(m.buyers, m.alpha, m.cost).to_dict()
    assert not [k for k in d if k.startswith("_")] and "z" not in d
    json.dumps(d)
