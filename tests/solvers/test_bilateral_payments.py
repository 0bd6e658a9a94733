"""Payments (App. C.1 with support limits, G11), incentive checks and plots of the
bilateral mechanisms.  Expected values are closed forms worked out in the comments and
the virtual-value identities E p^B = E[phi^B x^alpha], E p^S = E[phi^S x] (eqs. (3)-(4))."""

import math

import numpy as np
import pytest

from datamech.errors import ModelError
from datamech.models.distributions import Discrete, Uniform
from datamech.solvers.bilateral import check_mechanism, mechanism, payments
from datamech.solvers.bilateral.core import evaluate, instance
from datamech.solvers.bilateral.plots import plot_allocations, plot_budget

U01, U12 = Uniform(0, 1), Uniform(1, 2)


@pytest.mark.parametrize(
    "name,pb,ps",
    [
        ("first_best", 0.2, 0.9),  # thresholds: buyer pays c, seller gets v
        ("second_best", 0.45, 0.65),  # trade iff v - c >= 1/4
        ("seller_proposing", 0.6, 0.6),  # trade iff 2v - 1 >= c: price (1 + c)/2
        ("buyer_proposing", 0.45, 0.45),  # trade iff v >= 2c: price v/2
        ("broker", 0.7, 0.4),  # trade iff v - c >= 1/2
        ("posted_price", 0.5, 0.5),
    ],
)
def test_indivisible_threshold_payments(name, pb, ps):
    r = payments(name, U01, U01, [0.9], [0.2], good="indivisible")
    assert r.allocation[0] == 1
    assert (r.buyer_payment[0], r.seller_payment[0]) == pytest.approx((pb, ps), abs=1e-9)
    r = payments(name, U01, U01, [0.3], [0.35], good="indivisible")
    assert r.allocation[0] == 0 and r.buyer_payment[0] == 0 and r.seller_payment[0] == 0


def test_scaling_first_best_payments_closed_form():
    """alpha = 1/2, v ~ U[0,1], c ~ U[1,2]: x^alpha = v/(2c), so
    p^B = v^2/(2c) - int_0^v t/(2c) dt = v^2/(4c) and
    p^S = c x + int_c^2 v^2/(4t^2) dt = v^2/(2c) - v^2/8."""
    v, c = np.array([0.9, 0.6, 0.3]), np.array([1.2, 1.5, 1.9])
    r = payments("first_best", U01, U12, v, c, "1/2")
    assert r.buyer_payment == pytest.approx(v**2 / (4 * c), abs=1e-12)
    assert r.seller_payment == pytest.approx(v**2 / (2 * c) - v**2 / 8, abs=1e-12)
    assert r.buyer_utility == pytest.approx(v**2 / (4 * c), abs=1e-12)


def test_support_limits_g11_b4():
    """G11: supports start at 1 (B4); integrating from the support gives
    E[p^B - p^S] = B(0) = 7/24 - ln2/3 (2-D Gauss-Legendre over the payments)."""
    x, w = np.polynomial.legendre.leggauss(10)
    nodes, wts = 1.5 + x / 2, w / 2
    vv, cc = np.meshgrid(nodes, nodes, indexing="ij")
    r = payments("first_best", U12, U12, vv.ravel(), cc.ravel(), "1/2")
    e = float(np.outer(wts, wts).ravel() @ r.surplus)
    assert e == pytest.approx(7 / 24 - math.log(2) / 3, abs=1e-9)


@pytest.mark.parametrize("alpha", ["1/2", 1])
@pytest.mark.parametrize("name", ["first_best", "second_best", "broker"])
def test_expected_payments_equal_virtual_values_discrete(alpha, name):
    """Eqs. (3)-(4) on discrete laws (exact sums): E p^B - E p^S = B[x] of the virtual form."""
    b = Discrete([1, 2, 3], [0.6, 0.1, 0.3])  # irregular (spec I3)
    s = Discrete([0.5, 1.5, 2.5], [0.3, 0.3, 0.4])
    vv, cc = np.meshgrid(b.values, s.values, indexing="ij")
    w = np.outer(b.probs, s.probs).ravel()
    m = mechanism(name, b, s, alpha)
    r = payments(
        name, b, s, vv.ravel(), cc.ravel(), alpha, lam=m.lam, tie=m.rule.tie, tie_tol=m.rule.tie_tol
    )
    budget = evaluate(instance(b, s, alpha), m.rule)[1]
    assert float(w @ r.surplus) == pytest.approx(budget, abs=1e-12)
    phib = np.asarray(b.virtual_value(vv.ravel()), float)
    al = 1.0 if alpha == 1 else 0.5
    assert float(w @ r.buyer_payment) == pytest.approx(float(w @ (phib * r.allocation**al)))


def test_checks_discrete_exact():
    """G12: SellerP is DSIC for the buyer, only BIC for the seller; BuyerP the mirror;
    the second best is DSIC on both sides and budget-feasible; the first best is not.
    Each certificate is ok for what its mechanism promises (checks.PROMISES)."""
    b = Discrete([1, 2, 3, 4], [0.25, 0.25, 0.25, 0.25])
    s = Discrete([0.5, 1.5, 2.5, 3.5], [0.25, 0.25, 0.25, 0.25])
    for good in ("indivisible", None):
        a = None if good else "1/2"
        sp = check_mechanism("seller_proposing", b, s, a, good)
        d = sp.detail
        assert d["buyer_dsic"] and d["seller_bic"] and not d["seller_dsic"]
        assert d["expost_budget_balanced"] and d["interim_ir"]
        assert sp.ok and sp.max_violation <= sp.tolerance
        bp = check_mechanism("buyer_proposing", b, s, a, good).detail
        assert bp["seller_dsic"] and bp["buyer_bic"] and not bp["buyer_dsic"]
        sb = check_mechanism("second_best", b, s, a, good)
        d = sb.detail
        assert d["buyer_dsic"] and d["seller_dsic"] and d["expost_ir"] and d["budget_feasible"]
        assert d["expected_budget"] >= -1e-12 and sb.ok
        fb = check_mechanism("first_best", b, s, a, good)
        assert fb.detail["buyer_dsic"] and fb.detail["seller_dsic"] and fb.ok
        # B(0) < 0 only for the indivisible good; the first best does not promise a budget
        assert fb.detail["budget_feasible"] == (good is None)
        assert "budget_feasible" not in fb.detail["promised"]


def test_checks_continuous_b1():
    ch = check_mechanism("second_best", U01, U12, "1/2", grid=7)
    d = ch.detail
    assert d["buyer_dsic"] and d["seller_dsic"] and d["expost_ir"] and ch.ok
    assert d["expected_budget"] == pytest.approx(0, abs=1e-12)
    assert d["grid"] == 49
    assert ch.to_dict()["detail"]["mechanism"] == "second_best"


def test_check_certificate_fails_for_a_broken_promise():
    """A second best run at the wrong lambda (0: the first best's rule) breaks the
    budget on Myerson-Satterthwaite: B(0) = -1/6 (E[phi^B - phi^S; v >= c] with
    phi^B = 2v - 1, phi^S = 2c: int_0^1 int_0^v (2v - 1 - 2c) dc dv = -1/6)."""
    ch = check_mechanism("second_best", U01, U01, good="indivisible", lam=0.0)
    assert not ch.ok and not ch.detail["budget_feasible"]
    assert ch.max_violation == pytest.approx(1 / 6, abs=1e-9)


def test_check_grid_sizes_refused():
    with pytest.raises(ModelError) as e:
        check_mechanism("first_best", U01, U12, "1/2", grid=0)
    assert e.value.field == "grid"
    with pytest.raises(ModelError) as e:  # 250,000 payments (or their memory): refused
        check_mechanism("first_best", U01, U12, "1/2", grid=500, field="solver.check_grid")
    assert e.value.field == "solver.check_grid"


def test_payment_errors():
    with pytest.raises(ModelError, match="mechanism"):
        payments("vcg", U01, U01, [0.5], [0.5], good="indivisible")
    with pytest.raises(ModelError, match="mechanism"):
        payments("posted_price", U01, U12, [0.5], [1.5], "1/3")
    with pytest.raises(ModelError, match="profiles"):
        payments("first_best", U01, U01, [0.5, 0.6], [0.5], good="indivisible")
    with pytest.raises(ModelError, match="profiles"):
        payments("first_best", U01, U01, [-0.5], [0.5], good="indivisible")
    with pytest.raises(ModelError, match="profiles"):
        payments("first_best", U01, Uniform(0, 1), [0.5], [0.0], "1/3")
    with pytest.raises(ModelError, match="lambda"):
        payments("second_best", U01, U01, [0.5], [0.5], good="indivisible", lam=-1.0)
    # types outside the supports (the payment integrals run over them)
    with pytest.raises(ModelError, match="buyer type 5 lies outside"):
        payments("first_best", U01, U12, [0.5, 5.0], [1.5, 1.5], "1/2")
    with pytest.raises(ModelError, match="seller type 3 lies outside"):
        payments("first_best", U01, U12, [0.9], [3.0], "1/2")
    ok = payments("first_best", U01, U12, [0.0, 1.0], [1.0, 2.0], "1/2")  # the end points
    assert np.all(ok.buyer_utility >= -1e-12) and np.all(ok.seller_utility >= -1e-12)


@pytest.mark.slow  # matplotlib rendering; the CLI test covers --out plots by default
def test_plots_written(tmp_path):
    paths = plot_allocations(U01, U12, "1/2", out_dir=tmp_path, lam=0.1491721338, n=21)
    paths += plot_budget(U01, U12, "1/2", out_dir=tmp_path, lam_star=0.1491721338, n=8)
    assert sorted(p.name for p in paths) == [
        "bilateral_allocation.pdf",
        "bilateral_allocation.png",
        "bilateral_budget.pdf",
        "bilateral_budget.png",
    ]
    assert all(p.stat().st_size > 1000 for p in paths)
