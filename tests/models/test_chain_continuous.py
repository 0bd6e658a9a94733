"""Continuous chain models (seed 000, §3.3): kernels, K0 (Def 3.7), validation, files."""

import math
import tomllib
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, stats

from datamech import ModelError
from datamech.models.chain_continuous import (
    ContinuousChainModel,
    CustomKernel,
    TiltedKernel,
    TruncatedNormalWalk,
    create_continuous,
    from_toml_continuous,
    kernel_from_table,
    to_toml_continuous,
)
from datamech.models.io import dumps_toml

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "models" / "chain_continuous.toml"


# ---------------------------------------------------------------- CDFs and densities
@pytest.mark.parametrize(
    "sigma, support", [(0.2, (0.0, 1.0)), (0.3, (-0.5, 1.5)), (1.0, (0.0, 1.0)), (0.05, (2, 3))]
)
def test_truncated_normal_matches_scipy(sigma, support):
    L0, H0 = support
    k = TruncatedNormalWalk(sigma, support=support)
    v = np.linspace(L0, H0, 41)[None, :]
    w = np.linspace(L0, H0, 9)[:, None]
    a, b = (L0 - w) / sigma, (H0 - w) / sigma
    ref_cdf = stats.truncnorm.cdf(v, a, b, loc=w, scale=sigma)
    ref_pdf = stats.truncnorm.pdf(v, a, b, loc=w, scale=sigma)
    np.testing.assert_allclose(k.cdf(v, w), ref_cdf, rtol=0, atol=1e-13)
    np.testing.assert_allclose(k.pdf(v, w), ref_pdf, rtol=1e-12, atol=1e-12)


def test_truncated_normal_outside_support_and_tails():
    k = TruncatedNormalWalk(0.01, support=(0.0, 1.0))
    assert k.cdf(-1.0, 0.5) == 0.0 and k.cdf(2.0, 0.5) == 1.0
    assert k.pdf(-0.1, 0.5) == 0.0 and k.pdf(1.1, 0.5) == 0.0
    # deep upper tail: 1 - CDF is resolved relative to its size (survival differences)
    m = k.cell_masses(np.array([0.0, 0.5, 0.55, 0.56, 1.0]), np.array([0.5]))[0]
    ref = stats.norm.sf(5.0) - stats.norm.sf(6.0)
    assert m[2] == pytest.approx(ref, rel=1e-9)
    assert m.sum() == pytest.approx(1.0, abs=1e-15)


@pytest.mark.parametrize("kappa, support", [(1.0, (0.0, 1.0)), (-3.0, (-1.0, 2.0)), (7.5, (1, 2))])
def test_tilted_cdf_is_the_integral_of_its_pdf(kappa, support):
    L0, H0 = support
    k = TiltedKernel(kappa, support=support)
    for w in np.linspace(L0, H0, 7):
        assert integrate.quad(lambda x, w=w: k.pdf(x, w), L0, H0)[0] == pytest.approx(1, abs=1e-10)
        for v in np.linspace(L0, H0, 9):
            q = integrate.quad(lambda x, w=w: k.pdf(x, w), L0, v)[0]
            assert float(k.cdf(v, w)) == pytest.approx(q, abs=1e-12)


def test_tilted_closed_form_and_small_tilt():
    k = TiltedKernel(1.0, support=(0.0, 1.0))
    # F(v | w) = (e^{w v} - 1) / (e^w - 1)
    assert float(k.cdf(0.5, 1.0)) == pytest.approx((math.exp(0.5) - 1) / (math.e - 1), rel=1e-15)
    assert float(k.cdf(0.3, 0.0)) == pytest.approx(0.3, rel=1e-15)  # uniform at w = 0
    # kappa w -> 0: the expm1 form has no cancellation, F -> (v - L0) / (H0 - L0) smoothly
    for tiny in (1e-8, 1e-12, 1e-300):
        th = tiny  # theta = kappa * w
        exact = math.expm1(th * 0.3) / math.expm1(th)  # (e^{0.3 th} - 1) / (e^th - 1)
        assert float(k.cdf(0.3, tiny)) == pytest.approx(exact, rel=1e-14)
    # huge tilts do not overflow
    big = TiltedKernel(800.0, support=(0.0, 1.0))
    c = big.cdf(np.linspace(0, 1, 11), 1.0)
    assert np.all(np.isfinite(c)) and np.all(np.diff(c) >= 0) and c[-1] == 1.0
    assert float(big.cdf(0.99, 1.0)) == pytest.approx(math.exp(-8.0), rel=1e-12)
    assert np.all(np.isfinite(big.pdf(np.linspace(0, 1, 11), 1.0)))


def test_custom_kernel_vectorized_or_not():
    def scalar_cdf(v, w):  # math.* refuses arrays: the kernel falls back to np.vectorize
        return min(1.0, max(0.0, math.sqrt(v) if w < 0.5 else v))

    k = CustomKernel(scalar_cdf, K0=2.0, support=(0.0, 1.0))
    out = k.cdf(np.array([[0.25], [0.36]]), np.array([0.1, 0.9]))
    np.testing.assert_allclose(out, [[0.5, 0.25], [0.6, 0.36]])
    assert k.log_lipschitz(0, 1) == 2.0
    assert float(k.pdf(0.5, 0.9)) == pytest.approx(1.0, rel=1e-6)  # finite difference
    vec = CustomKernel(lambda v, w: np.clip(v, 0, 1) ** 2, K0=1.0, pdf_function=lambda v, w: 2 * v)
    vec = vec.bind(0.0, 1.0)
    assert vec.cdf(np.array([0.5, 1.0]), 0.3).tolist() == [0.25, 1.0]
    m = vec.cell_masses(np.array([0.0, 0.5, 1.0]), np.array([0.2, 0.7]))
    np.testing.assert_allclose(m, [[0.25, 0.75], [0.25, 0.75]])


@pytest.mark.parametrize(
    "kernel",
    [
        TruncatedNormalWalk(0.2, support=(0.0, 1.0)),
        TruncatedNormalWalk(1.0, support=(0.0, 1.0)),
        TruncatedNormalWalk(0.4, support=(-1.0, 0.5)),
        TiltedKernel(1.0, support=(0.0, 1.0)),
        TiltedKernel(20.0, support=(0.0, 1.0)),
        TiltedKernel(-3.0, support=(-1.0, 2.0)),
    ],
    ids=str,
)
def test_log_lipschitz_constant_bounds_the_derivative(kernel):
    """Def 3.7: max |d/dw log f(v | w)| over a grid is <= K0 and not far below it."""
    L0, H0 = kernel.support
    K0 = kernel.log_lipschitz(L0, H0)
    v = np.linspace(L0, H0, 301)[None, :]
    w = np.linspace(L0, H0, 301)[:, None]
    h = 1e-6 * (H0 - L0)
    wp, wm = np.minimum(w + h, H0), np.maximum(w - h, L0)
    d = (np.log(kernel.pdf(v, wp)) - np.log(kernel.pdf(v, wm))) / (wp - wm)
    worst = np.abs(d).max()
    assert worst <= K0 * (1 + 1e-6)
    assert worst >= 0.5 * K0
    # the derivative is (v - E_w[v]) / sigma^2, resp. kappa (v - E_w[v]): check one w
    wi = 150
    mean = integrate.quad(lambda x: x * kernel.pdf(x, float(w[wi, 0])), L0, H0)[0]
    slope = kernel.kappa if isinstance(kernel, TiltedKernel) else kernel.sigma**-2
    np.testing.assert_allclose(d[wi], slope * (v[0] - mean), atol=1e-5 * K0)


def test_known_constants():
    assert TruncatedNormalWalk(0.2).log_lipschitz(0, 1) == 25.0
    assert TruncatedNormalWalk(0.5).log_lipschitz(-1, 1) == 8.0
    assert TiltedKernel(-2.0).log_lipschitz(1, 4) == 6.0
    assert TiltedKernel(0.0).log_lipschitz(0, 1) == 0.0


def test_cell_masses_are_cdf_differences():
    for k in (TruncatedNormalWalk(0.3, support=(0, 1)), TiltedKernel(2.0, support=(0, 1))):
        edges = np.linspace(0, 1, 11)
        w = np.linspace(0, 1, 5)
        M = k.cell_masses(edges, w)
        ref = np.diff(k.cdf(edges[None, :], w[:, None]), axis=1)
        np.testing.assert_allclose(M, ref, atol=1e-15)
        np.testing.assert_allclose(M.sum(axis=1), 1.0, atol=1e-15)


# ---------------------------------------------------------------- the model
def test_model_defaults_and_binding():
    m = create_continuous(3, [0, 1], TruncatedNormalWalk(0.5), start=0.25, mechanism="AVE")
    assert m.support == (0.0, 1.0) and m.K0 == 4.0 and not m.K0_given
    assert all(k.support == (0.0, 1.0) for k in m.kernels) and m.shared_kernel
    assert m.reallocation.shape == (3, 4)
    per = create_continuous(
        2, (0, 1), [TiltedKernel(1.0), TruncatedNormalWalk(0.5)], start=0.0, K0=10.0
    )
    assert per.K0 == 10.0 and per.K0_given and not per.shared_kernel
    # K0 from kernels: the largest over trades
    per2 = create_continuous(2, (0, 1), [TiltedKernel(1.0), TruncatedNormalWalk(0.5)], start=0)
    assert per2.K0 == 4.0


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"n": 0}, "n"),
        ({"n": 2.5}, "n"),
        ({"support": (1.0, 0.0)}, "support"),
        ({"support": (0.0, 0.0)}, "support"),
        ({"support": (0.0, math.inf)}, "support[1]"),
        ({"support": (0.0,)}, "support"),
        ({"kernel": TruncatedNormalWalk(1.0, support=(0, 2))}, "kernel.support"),
        ({"kernel": [TiltedKernel(1.0)]}, "kernel"),
        ({"kernel": "gauss"}, "kernel"),
        ({"start": 1.5}, "start"),
        ({"start": -0.01}, "start"),
        ({"start": math.nan}, "start"),
        ({"K0": 0.0}, "K0"),
        ({"K0": -1.0}, "K0"),
        ({"K0": math.inf}, "K0"),
        ({"epsilon": 0.0}, "epsilon"),
        ({"epsilon": -0.1}, "epsilon"),
        ({"mechanism": "TBDS", "alpha": 2}, "mechanism.alpha"),
        ({"mechanism": "OPT"}, "mechanism.name"),
        ({"mechanism": "matrix", "matrix": [[0, 1, 0], [0.5, 0.6, 0]]}, "mechanism.matrix"),
    ],
)
def test_bad_models_name_the_field(kwargs, field):
    base = {"n": 2, "support": (0.0, 1.0), "kernel": TiltedKernel(1.0), "start": 0.5}
    base.update(kwargs)
    with pytest.raises(ModelError) as err:
        create_continuous(
            base.pop("n"), base.pop("support"), base.pop("kernel"), base.pop("start"), **base
        )
    assert err.value.field == field


@pytest.mark.parametrize(
    "make, field",
    [
        (lambda: TruncatedNormalWalk(0.0), "kernel.sigma"),
        (lambda: TruncatedNormalWalk(-1.0), "kernel.sigma"),
        (lambda: TruncatedNormalWalk(math.nan), "kernel.sigma"),
        (lambda: TruncatedNormalWalk("wide"), "kernel.sigma"),
        (lambda: TiltedKernel(math.inf), "kernel.kappa"),
        (lambda: TiltedKernel(True), "kernel.kappa"),
        (lambda: CustomKernel(lambda v, w: v, K0=0.0), "kernel.K0"),
        (lambda: CustomKernel(lambda v, w: v, K0=math.nan), "kernel.K0"),
        (lambda: CustomKernel("not callable", K0=1.0), "kernel.cdf"),
        (lambda: TiltedKernel(1.0).cdf(0.5, 0.5), "kernel.support"),
    ],
)
def test_bad_kernels_name_the_field(make, field):
    with pytest.raises(ModelError) as err:
        make()
    assert err.value.field == field


def test_direct_construction_checks_reallocation():
    with pytest.raises(ModelError, match="past-only"):
        ContinuousChainModel(
            n=1,
            support=(0, 1),
            kernel=TiltedKernel(1.0),
            start=0.5,
            reallocation=np.array([[0.0, 1.0]]),
            mechanism={"name": "matrix"},
        )


# ---------------------------------------------------------------- model files
def test_example_file_reads():
    with EXAMPLE.open("rb") as fh:
        m = from_toml_continuous(tomllib.load(fh))
    assert m.n == 5 and m.support == (0.0, 1.0) and m.start == 0.5
    assert m.kernel == TruncatedNormalWalk(1.0, support=(0.0, 1.0))
    assert m.K0 == 1.0 and m.epsilon == 0.05 and m.mechanism == {"name": "AVE"}
    assert m.solver_options == {"method": "fptas", "tie_break": "first"}  # fptas implied


def test_round_trip_through_toml_text():
    m = create_continuous(
        3,
        (-1.0, 2.0),
        [TiltedKernel(0.5), TruncatedNormalWalk(0.7), TiltedKernel(-1.0)],
        start=0.25,
        mechanism="TBDS",
        alpha=0.25,
        K0=3.5,
        epsilon=0.1,
        name="round trip",
    )
    back = from_toml_continuous(tomllib.loads(dumps_toml(to_toml_continuous(m))))
    assert back.kernels == m.kernels and back.K0 == 3.5 and back.K0_given
    assert back.mechanism == {"name": "TBDS", "alpha": 0.25} and back.name == "round trip"
    assert (back.reallocation == m.reallocation).all()
    assert (back.n, back.support, back.start, back.epsilon) == (3, (-1.0, 2.0), 0.25, 0.1)


def test_custom_kernels_cannot_be_written():
    m = create_continuous(1, (0, 1), CustomKernel(lambda v, w: v, K0=1.0), start=0.5)
    with pytest.raises(ModelError) as err:
        to_toml_continuous(m)
    assert err.value.field == "kernel"


def _file(**model):
    base = {
        "kind": "chain",
        "n": 2,
        "support": [0.0, 1.0],
        "start_value": 0.5,
        "kernel": {"family": "truncated_normal", "sigma": 0.5},
    }
    base.update(model)
    return {"model": {k: v for k, v in base.items() if v is not None}, "mechanism": {"name": "AVE"}}


@pytest.mark.parametrize(
    "data, field",
    [
        (_file(values=[0, 1]), "model.values"),
        (_file(kernel={"family": "truncated_normal", "sigma": 0.5, "mu": 0}), "model.kernel.mu"),
        (_file(kernel={"family": "cauchy", "scale": 1}), "model.kernel.family"),
        (_file(kernel={"sigma": 0.5}), "model.kernel.family"),
        (_file(kernel={"family": "tilted"}), "model.kernel.kappa"),
        (_file(kernel={"family": "truncated_normal", "sigma": -0.5}), "model.kernel.sigma"),
        (_file(kernel=[{"family": "tilted", "kappa": 1}]), "model.kernel"),
        (
            _file(kernel=[{"family": "tilted", "kappa": 1}, {"family": "tilted", "kappa": "x"}]),
            "model.kernel[1].kappa",
        ),
        (_file(kernel="normal"), "model.kernel"),
        (_file(start_value=2.0), "model.start_value"),
        (_file(start_value=None), "model.start_value"),
        (_file(support=[1.0, 0.0]), "model.support"),
        (_file(support=None), "model.support"),
        (_file(n=0), "model.n"),
        (_file(epsilon=0), "model.epsilon"),
        (_file(K0=-2), "model.K0"),
        (_file(kind="offline"), "model.kind"),
        ({**_file(), "solver": {"method": "fast"}}, "solver.method"),
        ({**_file(), "mechanism": {"name": "AVE", "alpha": 0.5}}, "mechanism.alpha"),
        ({**_file(), "extra": {}}, "file.extra"),
    ],
)
def test_bad_files_name_the_field(data, field):
    with pytest.raises(ModelError) as err:
        from_toml_continuous(data)
    assert err.value.field == field


def test_list_of_kernels_in_a_file():
    data = _file(n=2, kernel=[{"family": "tilted", "kappa": 1.0}, {"family": "tilted", "kappa": 2}])
    m = from_toml_continuous(data)
    assert [k.kappa for k in m.kernels] == [1.0, 2.0] and m.K0 == 2.0
    assert kernel_from_table({"family": "tilted", "kappa": 2}) == TiltedKernel(2.0)
