"""Offline optimum (Theorem 2.2, Lemma B.1) and the (P-VV) program (spec 003 §2.2, §2.5, §6.2)."""

import math
from fractions import Fraction as Fr

import numpy as np
import pytest

from datamech.errors import ModelError
from datamech.models.distributions import Discrete, Exponential, Pareto, Uniform
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
    est = m.expected_profit(method="mc", samples=100_000, seed=1)
    assert est.method == "mc" and est.stderr > 0
    assert abs(est.value - 11 / 96) < 4 * est.stderr  # OFFL(U2) = 11/96


def test_u_single_buyer_offl():
    m = OfflineMechanism([Uniform(0, 1)], 0.5, 1)
    est = m.expected_profit(method="mc", samples=100_000, seed=2)
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


# ---------------------------------------------------------------- quadrature (item 3)
@pytest.mark.parametrize(
    "n, want",
    [(1, 1 / 24), (2, 11 / 96), (3, 0.21875), (5, (5 / 6 + 5 * 4 / 16) / 4)],  # spec §6.2 U2
)
def test_quadrature_u2_family(n, want):
    est = OfflineMechanism([Uniform(0, 1)] * n, 0.5, 1).expected_profit()
    assert est.method == "quad" and est.stderr == 0
    assert est.value == pytest.approx(want, abs=1e-12)
    assert est.abserr < 1e-12


def test_quadrature_non_integer_k_against_2d_quadrature():
    from scipy import integrate

    m = OfflineMechanism([Uniform(0, 1), Uniform(0, 1)], 1 / 3, 1)  # k = 3/2
    est = m.expected_profit(method="quad")
    ref, _ = integrate.dblquad(
        lambda y, x: m.K * (max(2 * x - 1, 0) + max(2 * y - 1, 0)) ** m.k,
        0,
        1,
        0,
        1,
        epsabs=1e-13,
    )
    assert abs(est.value - ref) < 1e-8
    assert abs(est.value - ref) <= est.abserr + 1e-12  # the stated error covers the truth
    mc = m.expected_profit(method="mc", samples=100_000, seed=3)
    assert abs(mc.value - ref) < 4 * mc.stderr


@pytest.mark.parametrize("alpha", [1 / 3, 0.4, 0.5])
def test_quadrature_on_discrete_laws_matches_convolution(alpha):
    # forcing "quad" on discrete laws runs the Laplace-transform path (non-integer k)
    b = Discrete([1.0, 2.0, 3.0], [0.6, 0.1, 0.3])
    c = Discrete([0.5, 3.0], [2 / 3, 1 / 3])
    m = OfflineMechanism([b, c, b], alpha, 2.0)
    exact = m.expected_profit(method="exact").value
    est = m.expected_profit(method="quad")
    assert est.value == pytest.approx(exact, rel=1e-10)


def test_quadrature_heavy_tails_closed_forms():
    # Exp(1), alpha = 1/2, c = 1: r = (v - 1)_+, E r^2 = 2/e, OFFL = E r^2 / 4 = 1/(2e)
    est = OfflineMechanism([Exponential(1)], 0.5, 1).expected_profit()
    assert abs(est.value - 1 / (2 * math.e)) <= max(est.abserr, 1e-12) and est.abserr < 1e-9
    # Pareto(3), alpha = 1/2: r = 2v/3, E r^2 = (4/9) * 3 = 4/3, OFFL = 1/3
    est = OfflineMechanism([Pareto(3)], 0.5, 1).expected_profit()
    # (E v^3 = inf: the tail is slow; the stated error still covers the truth)
    assert abs(est.value - 1 / 3) <= est.abserr + 1e-12 and est.abserr < 5e-5
    # Pareto(3), alpha = 1/3 (k = 3/2): E r^{3/2} = (2/3)^{3/2} * 3/(3 - 3/2)
    m = OfflineMechanism([Pareto(3)], 1 / 3, 1)
    want = m.K * (2 / 3) ** 1.5 * 2
    est = m.expected_profit()
    assert abs(est.value - want) <= est.abserr + 1e-12 and est.abserr < 1e-5


def test_quadrature_mixed_discrete_and_continuous():
    # a point mass at 1 has r = 1; with U[0,1] at alpha = 1/2, c = 1:
    # OFFL = E[(1 + r)^2]/4 = (1 + 2/4 + 1/6)/4 = 5/12
    est = OfflineMechanism([Discrete([1.0], [1.0]), Uniform(0, 1)], 0.5, 1).expected_profit()
    assert est.value == pytest.approx(5 / 12, abs=1e-12)


# ---------------------------------------------------------------- checks (spec §2.4)
def test_continuous_checks_identity_ir_monotone():
    m = OfflineMechanism([Uniform(0, 1), Uniform(0, 1)], 0.5, 1)
    chk = m.check()
    assert chk["identity_gap"] < 1e-9 and chk["ir_ok"] and chk["monotone_ok"]
    assert chk["profiles_checked"] == 6
    mixed = OfflineMechanism([i3(), Exponential(1)], 1 / 3, 1).check(levels=(0.5,))
    assert mixed["identity_rel_gap"] < 1e-7 and mixed["ir_ok"] and mixed["monotone_ok"]


# ---------------------------------------------------------------- Theorem A.1 (general h)
def test_general_h_power_reproduces_theorem_2_2():
    m = OfflineMechanism([i3(), i3()], None, 1, h=lambda x: x**0.5)
    assert m.expected_profit().value == pytest.approx(13 / 7, abs=1e-8)
    D, x = m.allocate([3, 1])  # r = (3, 1/7): D = ((3 + 1/7)/2)^2
    assert D == pytest.approx(float((HALF * (3 + Fr(1, 7))) ** 2), rel=1e-7) and x == [D, D]
    p = m.payments([3, 1])
    want = OfflineMechanism([i3(), i3()], HALF, 1).payments([3, 1])
    assert p == pytest.approx([float(w) for w in want], rel=1e-6)


def test_general_h_non_concave_and_smallest_maximiser():
    h = lambda x: min(x * x, 1.0)  # noqa: E731  convex then flat: D* in {0, 1}
    m = OfflineMechanism([i3(), i3()], None, 1, h=h)
    # independent: D* = 1 iff sum r > c, profit E[(sum r - 1)_+]; r in {1/7 (0.7), 3 (0.3)}
    want = 0.42 * (3 + 1 / 7 - 1) + 0.09 * 5
    assert m.expected_profit().value == pytest.approx(want, abs=1e-9)
    chk = m.check()
    assert chk["profit"] == pytest.approx(want, abs=1e-9)
    assert chk["identity_gap"] < 1e-9 and chk["ir_ok"] and chk["monotone_ok"]
    b = Discrete([1.0, 3.0], [0.5, 0.5])  # r = (0, 3)
    # r = c = 3: 3 min(D^2, 1) - 3 D is 0 at D = 0 and D = 1 -> the smallest, 0
    assert OfflineMechanism([b], None, 3.0, h=h).allocate([3.0]) == (0.0, [0.0])
    assert OfflineMechanism([b], None, 2.999, h=h).allocate([3.0])[0] == pytest.approx(1.0)
    # ties on a plateau: h(x) = min(x, 1), r = c: objective 0 on [0, 1]
    flat = OfflineMechanism([b], None, 3.0, h=lambda x: np.minimum(x, 1.0))
    assert flat.allocate([3.0])[0] == 0.0


def test_general_h_bad_inputs():
    for h, field in [
        ("sqrt", "h"),
        ([lambda x: x**0.5], "h"),  # two buyers, one callable in a list
        (lambda x: x**0.5 + 1, "h[0]"),  # h(0) != 0
        (lambda x: -(x**0.5), "h[0]"),  # decreasing
        (lambda x: x, "h[0]"),  # linear: no finite optimum
    ]:
        with pytest.raises(ModelError) as exc:
            OfflineMechanism([i3(), i3()], None, 1, h=h)
        assert exc.value.field == field
    m = OfflineMechanism([Uniform(0, 1)], None, 1, h=lambda x: x**0.5)
    with pytest.raises(ModelError) as exc:
        m.expected_profit(method="quad")
    assert exc.value.field == "method"
    with pytest.raises(ModelError) as exc:
        m.expected_profit(method="simpson")
    assert exc.value.field == "method"
    with pytest.raises(ModelError) as exc:
        OfflineMechanism([i3()], None, 0, h=lambda x: x**0.5)
    assert exc.value.field == "cost"


def test_general_h_monte_carlo_continuous():
    m = OfflineMechanism([Uniform(0, 1)], None, 1, h=lambda x: x**0.5)
    est = m.expected_profit(samples=1500, seed=4)
    assert est.method == "mc" and abs(est.value - 1 / 24) < 4 * est.stderr


# ---------------------------------------------------------------- result object, plots
def _model(buyers, alpha=HALF, cost=1):
    from datamech.models.scaling import OfflineModel

    return OfflineModel(buyers=tuple(buyers), alpha=alpha, cost=cost)


@pytest.mark.parametrize("method", ["pamd", "pamd_dsic", "pvv"])
def test_solve_offline_programs_report_closed_form(method):
    from datamech.solvers.scaling.offline import solve_offline

    res = solve_offline(_model([i3(), i3()]), method=method)
    assert res.expected_profit == pytest.approx(13 / 7, abs=1e-6)
    assert res.closed_form_profit == Fr(13, 7) and res.method == method
    table = res.buyers[0]["table"]
    assert table[0]["x"] == pytest.approx(table[1]["x"], abs=1e-4)  # pooled
    assert table[0]["p"] == pytest.approx(4 / 7, abs=1e-5)  # E[p | v = 1], as closed form
    assert res.problem_size["profiles"] == 9


def test_solve_offline_quad_checks_and_plot(tmp_path):
    import json

    from datamech.numeric import jsonable
    from datamech.solvers.scaling.offline import solve_offline

    res = solve_offline(_model([Uniform(0, 1), Uniform(0, 1)], alpha=0.5))
    assert res.method == "quad" and res.expected_profit == pytest.approx(11 / 96, abs=1e-12)
    assert res.checks["identity_gap"] < 1e-9 and res.checks["ir_ok"]
    d = res.to_dict()
    assert "laws" not in d and d["abserr"] < 1e-12
    json.dumps(jsonable(d))
    paths = res.save_plots(tmp_path)
    assert sorted(p.name for p in paths) == [
        "allocation.pdf",
        "allocation.png",
        "ironing.pdf",
        "ironing.png",
    ]
    assert all(p.stat().st_size > 1000 for p in paths)
    with pytest.raises(ModelError) as exc:
        solve_offline(_model([Uniform(0, 1)]), method="pamd")
    assert exc.value.field == "method"
    with pytest.raises(ModelError) as exc:
        solve_offline(_model([Uniform(0, 1)]), method="newton")
    assert exc.value.field == "method"


# ---------------------------------------------------------------- CLI (subprocess)
def _cli(*args):
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "datamech.cli", *args], capture_output=True, text=True, check=False
    )


@pytest.mark.slow
def test_cli_methods_and_plot(tmp_path):
    import json

    f = tmp_path / "u2.toml"
    f.write_text(
        '[model]\nkind = "offline"\nalpha = "1/2"\ncost = 1\n'
        '[[buyers]]\nfamily = "uniform"\nlow = 0\nhigh = 1\n'
        '[[buyers]]\nfamily = "uniform"\nlow = 0\nhigh = 1\n'
    )
    out = _cli("solve", str(f), "--json", "--out", str(tmp_path / "res"))
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["method"] == "quad" and data["expected_profit"] == pytest.approx(11 / 96, abs=1e-12)
    assert data["checks"]["ir_ok"] and data["checks"]["monotone_ok"]
    assert (tmp_path / "res" / "ironing.png").exists() and (
        tmp_path / "res" / "ironing.pdf"
    ).exists()
    out = _cli("solve", str(f), "--method", "pamd")  # a program needs discrete types
    assert out.returncode == 2 and out.stdout == ""
    assert "method" in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_cli_program_method_in_process(capsys):
    import json

    from datamech.cli import main

    assert (
        main(["solve", "examples/models/offline_i3.toml", "--method", "pamd_dsic", "--json"]) == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["expected_profit"] == pytest.approx(13 / 7, abs=1e-6)
    assert data["closed_form_profit"] == pytest.approx(13 / 7)
    assert data["problem_size"]["profiles"] == 9 and data["method"] == "pamd_dsic"


def test_more_bad_inputs():
    m = OfflineMechanism([i3(), i3()], HALF, 1)
    with pytest.raises(ModelError) as exc:
        m.allocate([1])  # one type for two buyers
    assert exc.value.field == "v"
    with pytest.raises(ModelError) as exc:
        m.check(max_profiles=5)  # 9 profiles
    assert exc.value.field == "buyers"
    with pytest.raises(ModelError) as exc:
        OfflineMechanism([i3()], None, 1, h=lambda x: x**0.5).production(1)
    assert exc.value.field == "h"
    with pytest.raises(ModelError) as exc:
        OfflineMechanism([], HALF, 1)
    assert exc.value.field == "buyers"


def _gap_mixture():
    from datamech.models.distributions import Mixture

    return Mixture([Uniform(0, 1), Uniform(2, 3)], [0.5, 0.5])


def test_mixture_laws_are_labelled_grid_with_an_error_that_covers_the_truth():
    # 0.5 U[0,1] + 0.5 U[2,3]: ironed r = 0 below 2, 2v - 3 on [2,3] ... OFFL (alpha 1/2,
    # c 1) = E[S^2]/4 with S the sum of the r's: 13/24 for one buyer, 19/12 for two
    mx = _gap_mixture()
    law = mx.r_law()
    assert law.grid and not law.exact
    for n, truth in ((1, Fr(13, 24)), (2, Fr(19, 12))):
        est = OfflineMechanism([mx] * n, Fr(1, 2), 1).expected_profit()
        assert est.method == "grid"
        assert abs(est.value - float(truth)) <= est.abserr < 1e-6


def test_mixture_offline_solve_with_checks_is_quick_and_consistent():
    import time

    import datamech as dm
    from datamech.models.scaling import OfflineModel

    t0 = time.perf_counter()
    res = dm.solve(OfflineModel((_gap_mixture(),), Fr(1, 2), 1))
    assert time.perf_counter() - t0 < 60  # was a nested quadrature that never finished
    assert res.checks["ir_ok"] and res.checks["monotone_ok"]
    assert res.checks["identity_gap"] < 1e-4
    # E[D*] = (alpha/c) OFFL / (1 - alpha) = OFFL here
    assert res.expected_production == pytest.approx(float(res.expected_profit), rel=1e-12)
    assert "price grid" in res.format()


def test_expected_production_of_continuous_buyers():
    import datamech as dm
    from datamech.models.scaling import OfflineModel

    # U2: E[D*] = E[(S/2)^2] = 11/96 at alpha 1/2, c 1; alpha 1/3, c 2: (1/6)^{3/2} E[S^{3/2}]
    res = dm.solve(OfflineModel((Uniform(0, 1),) * 2, Fr(1, 2), 1))
    assert res.expected_production == pytest.approx(11 / 96, abs=1e-12)
    from scipy import integrate

    res = dm.solve(OfflineModel((Uniform(0, 1),) * 2, Fr(1, 3), 2))
    # independent: r = (2v - 1)_+, D* = ((1/6)(r1 + r2))^{3/2}, a 2-D quadrature over v
    direct, _ = integrate.dblquad(
        lambda a, b: ((max(2 * a - 1, 0) + max(2 * b - 1, 0)) / 6) ** 1.5, 0, 1, 0, 1
    )
    assert res.expected_production == pytest.approx(direct, rel=1e-7)
