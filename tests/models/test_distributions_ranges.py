"""Documented parameter ranges, names, extreme values and sizes of type laws (issue 12
§2-§3): every bad input is one ModelError naming its field, never a traceback, an
OverflowError or a silent inf."""

import math
import subprocess
import sys
import time
from fractions import Fraction as Fr

import numpy as np
import pytest

from datamech.errors import ModelError
from datamech.models.distributions import (
    Discrete,
    Exponential,
    Mixture,
    Pareto,
    Power,
    TruncatedEqualRevenue,
    Uniform,
    from_table,
)
from datamech.sizes import memory_limit


# ------------------------------------------------------------ names
@pytest.mark.parametrize("family", [["uniform"], {"name": "uniform"}, True, 3, None])
def test_family_must_be_a_string(family):
    with pytest.raises(ModelError) as exc:
        from_table({"family": family, "low": 0, "high": 1}, "buyers[1]")
    assert exc.value.field == "buyers[1].family"


def test_unknown_family_lists_the_known_ones():
    with pytest.raises(ModelError, match="allowed: uniform, exponential") as exc:
        from_table({"family": "gamma", "shape": 2}, "seller")
    assert exc.value.field == "seller.family"


@pytest.mark.parametrize("table", [[1, 2], "uniform", 3])
def test_a_law_must_be_a_table(table):
    with pytest.raises(ModelError) as exc:
        from_table(table, "buyers[0]")
    assert exc.value.field == "buyers[0]" and "table" in exc.value.problem


def test_nested_mixture_component_is_named():
    inner = {"family": "mixture", "weights": [1], "components": [{"family": "power", "shape": 1}]}
    with pytest.raises(ModelError) as exc:
        from_table(
            {
                "family": "mixture",
                "weights": [0.5, 0.5],
                "components": [{"family": "power", "shape": 1}, inner],
            },
            "buyer",
        )
    assert exc.value.field == "buyer.components[1].family"


# ------------------------------------------------------------ documented ranges
@pytest.mark.parametrize(
    "table, field",
    [
        ({"family": "uniform", "low": 0, "high": 1e308}, "high"),  # issue 12 reproducer
        ({"family": "uniform", "low": 0, "high": "10000000000001"}, "high"),
        ({"family": "uniform", "low": 1e13, "high": 1e14}, "low"),
        ({"family": "exponential", "rate": 1e-308}, "rate"),
        ({"family": "exponential", "rate": 1e13}, "rate"),
        ({"family": "exponential", "rate": 1, "low": 1e308}, "low"),
        ({"family": "exponential", "rate": 1, "high": 1e308}, "high"),
        ({"family": "pareto", "shape": 1e-300}, "shape"),
        ({"family": "pareto", "shape": 0.09}, "shape"),
        ({"family": "pareto", "shape": 1e308}, "shape"),
        ({"family": "pareto", "shape": 2, "scale": 1e-300}, "scale"),
        ({"family": "pareto", "shape": 2, "scale": 1e308}, "scale"),
        ({"family": "power", "shape": 1e-9}, "shape"),
        ({"family": "power", "shape": 1e308}, "shape"),
        ({"family": "truncated_equal_revenue", "n": 1e308, "high": 4}, "n"),
        ({"family": "truncated_equal_revenue", "n": 2, "high": 1e308}, "high"),
        ({"family": "truncated_equal_revenue", "scale": 1e-300, "high": 4}, "scale"),
        ({"family": "discrete", "values": [1, 1e308], "probs": [0.5, 0.5]}, "values[1]"),
        ({"family": "discrete", "values": [1, "1/0"], "probs": [0.5, 0.5]}, "values[1]"),
    ],
)
def test_values_out_of_the_documented_range_are_refused(table, field):
    with pytest.raises(ModelError) as exc:
        from_table(table, "buyers[0]")
    assert exc.value.field == f"buyers[0].{field}"
    assert "np." not in exc.value.problem and "Fraction(" not in exc.value.problem


def test_range_messages_say_the_range():
    with pytest.raises(ModelError) as exc:
        from_table({"family": "exponential", "rate": 1e-308}, "buyer")
    assert str(exc.value) == (
        "buyer.rate: must be >= 1e-12, got 1e-308; "
        "the documented range of exponential.rate is [1e-12, 1e+12]"
    )
    with pytest.raises(ModelError) as exc:
        from_table({"family": "uniform", "low": 0, "high": 1e308}, "buyers[0]")
    assert str(exc.value).startswith("buyers[0].high: must be at most 1e+12, got 1e+308; rescale")


@pytest.mark.parametrize(
    "make",
    [
        lambda: Uniform(0, 1e12),
        lambda: Uniform(1e12 - 1, 1e12),
        lambda: Exponential(1e-12),
        lambda: Exponential(1e12, 5, high=1e12),
        lambda: Pareto(1.5, 1e12),
        lambda: Pareto(1000, 1e-12),
        lambda: Power(0.01),
        lambda: Power(1000),
        lambda: TruncatedEqualRevenue(1e-12, 1e12),
        lambda: Discrete([0, 1e12], [0.5, 0.5]),
    ],
)
def test_laws_at_the_ends_of_the_range_work_without_warnings(make, recwarn):
    d = make()
    rng = np.random.default_rng(0)
    u = np.array([0.0, 0.25, 0.5, 1 - 1e-15])
    assert np.all(np.isfinite(np.asarray(d.quantile(u), float)))
    assert np.all(np.isfinite(d.sample(20, rng)))
    assert math.isfinite(float(d.mean())) and float(d.mean()) >= 0
    v = float(np.asarray(d.quantile(0.5)))
    assert math.isfinite(float(d.ironed_virtual_value(v)))
    assert math.isfinite(float(d.monopoly_revenue())) and math.isfinite(float(d.r_law().mean()))
    assert np.all(np.isfinite(np.asarray(d.revenue_hull(np.linspace(0, 1, 5)), float)))
    assert math.isfinite(float(d.ironed_lagrangian_value(v, 1)))
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_exponential_moments_at_extreme_rates():
    # E[V^p] = Gamma(p+1)/rate^p, and E[(low + X)^2] = low^2 + 2 low/rate + 2/rate^2
    assert Exponential(1e-12).moment(2) == pytest.approx(2e24, rel=1e-12)
    assert Exponential(1e-12).moment(0.5) == pytest.approx(math.gamma(1.5) * 1e6, rel=1e-12)
    assert Exponential(1e12, 5).moment(2) == pytest.approx(25 + 10e-12 + 2e-24, rel=1e-12)
    assert Exponential(2, 3).moment(2) == pytest.approx(9 + 3 + 0.5, rel=1e-10)
    # truncated at one mean: E[Y | Y < 1] = (1 - 2/e)/(1 - 1/e), scaled by 1/rate
    d = Exponential(1e-12, 0, high=1e12)
    assert d.moment(1) == pytest.approx(1e12 * (1 - 2 / math.e) / (1 - 1 / math.e), rel=1e-9)


@pytest.mark.parametrize(
    "law, p, field",
    [
        (Uniform(0, 1e12, where="buyers[0]"), 30, "buyers[0].high"),
        (Exponential(1e-12, where="buyers[0]"), 30, "buyers[0].rate"),
        (Discrete([1, 1e12], [0.5, 0.5], where="buyers[0]"), 30, "buyers[0].values"),
        (Discrete([1, 10**12], ["1/2", "1/2"], where="buyers[0]"), 30, "buyers[0].values"),
        (TruncatedEqualRevenue(1e-12, 1e12, where="buyers[0]"), 30, "buyers[0].high"),
        (Pareto(1000, 1e12, where="buyers[0]"), 30, "buyers[0].scale"),
    ],
)
def test_moments_beyond_floats_are_model_errors(law, p, field):
    with pytest.raises(ModelError) as exc:
        law.moment(p)
    assert exc.value.field == field and "float range" in exc.value.problem


def test_infinite_moments_are_inf_and_named_when_needed():
    assert math.isinf(Pareto(0.5).moment(1))
    assert math.isinf(Uniform(0, 1).moment(-1)) and math.isinf(Exponential(1).moment(-1))
    assert math.isinf(Mixture([Pareto(0.5), Uniform(0, 1)], [0.5, 0.5]).moment(1))
    with pytest.raises(ModelError) as exc:
        Pareto(0.5, where="buyers[1]").require_moment(1, "the expected profit")
    assert exc.value.field == "buyers[1].shape" and "E[V^1] is infinite" in exc.value.problem


def test_online_u2_with_huge_high_is_one_line_exit_2(tmp_path):
    text = (
        '[model]\nkind = "online"\nalpha = "1/2"\ncost = 1\nmechanism = "optimal"\n\n'
        '[[buyers]]\nfamily = "uniform"\nlow = 0\nhigh = 1e308\n\n'
        '[[buyers]]\nfamily = "uniform"\nlow = 0\nhigh = 1\n'
    )
    path = tmp_path / "u2_huge.toml"
    path.write_text(text)
    out = subprocess.run(
        [sys.executable, "-m", "datamech.cli", "solve", str(path), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "buyers[0].high" in lines[0] and "Traceback" not in out.stderr


# ------------------------------------------------------------ sizes
def _random_law(n, seed=7):
    rng = np.random.default_rng(seed)
    v = np.cumsum(rng.random(n) + 1e-3)
    p = rng.random(n)
    return v, p / p.sum()


def test_1e5_types_from_lists_are_read_and_ironed_fast():
    v, p = _random_law(100_000)
    order = np.random.default_rng(1).permutation(len(v))
    values, probs = v[order].tolist(), p[order].tolist()  # as a model file gives them
    t0 = time.process_time()  # CPU time: other processes' load does not count
    d = from_table({"family": "discrete", "values": values, "probs": probs}, "buyers[0]")
    ir = np.asarray(d.ironed_virtual_value(d.values))
    d.ironing_intervals()
    law = d.r_law()
    elapsed = time.process_time() - t0
    assert elapsed < 3.0  # about 0.1 s; anything quadratic would take minutes
    np.testing.assert_array_equal(d.values, v)
    assert np.all(np.diff(ir) >= -1e-9)
    # E[phi^ir] = E[phi] = v_1 (the revenue curve ends at R(1) = v_1)
    assert float(np.dot(ir, d.probs)) == pytest.approx(v[0], rel=1e-6)
    assert float(law.mean()) == pytest.approx(d.monopoly_revenue(), rel=1e-9)


def test_per_type_queries_are_not_quadratic():
    v, p = _random_law(20_000)
    d = Discrete(v, p)
    t0 = time.process_time()
    for x in v[::10]:  # 2,000 single-type queries, as the solvers' loops make them
        d.r(x), d.cdf(x), d.virtual_cost(x), d.ironed_virtual_cost(x)
    assert time.process_time() - t0 < 5.0  # O(log n) each: about 0.2 s


def test_exact_law_with_20000_types():
    n = 20_000
    d = Discrete(list(range(n, 0, -1)), [f"1/{n}"] * n)  # written in decreasing order
    assert d.exact and d.values[0] == 1 and d.values[-1] == n
    # uniform on 1..n: Q_j = (n - j + 1)/n and pi_j = 1/n, so
    # phi_j = (Q_j j - Q_{j+1} (j + 1)) n = (n - j + 1) j - (n - j)(j + 1) = 2j - n, phi_n = n
    phi = d.virtual_value([1, n // 2, n])
    assert list(phi) == [2 - n, 0, n]
    assert d.reserve_price() == n // 2 + 1 and d.r_law().exact


def test_oversized_laws_are_refused_before_allocation():
    with memory_limit(1e-5):  # 10 kB
        with pytest.raises(ModelError) as exc:
            from_table(
                {"family": "discrete", "values": list(range(1, 1001)), "probs": ["1/1000"] * 1000},
                "buyers[3]",
            )
        assert exc.value.field == "buyers[3].values" and "1,000" in exc.value.problem
        with pytest.raises(ModelError) as exc:
            Uniform(0, 1).discretize(grid=10**9)
        assert exc.value.field == "grid"
        with pytest.raises(ModelError) as exc:
            Mixture([Uniform(0, 1), Discrete([2], [1])], [0.5, 0.5]).r_law(grid=10**8)
        assert exc.value.field == "grid"


def test_lambda_is_checked():
    for lam in (-1, float("nan"), True):
        with pytest.raises(ModelError) as exc:
            Uniform(0, 1).ironed_lagrangian_value(0.5, lam)
        assert exc.value.field == "lambda"


def test_exact_ter_from_n():
    d = from_table({"family": "truncated_equal_revenue", "n": 3, "high": "10"})
    assert d.scale == Fr(1, 3) and d.high == 10 and d.r_law().mean() == Fr(1, 3)
