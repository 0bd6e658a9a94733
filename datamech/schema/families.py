"""The shared families, declared once: type laws, PSP valuations, chain kernels.

* :data:`LAWS` -- the type laws of :mod:`datamech.models.distributions`,
  read wherever a buyer's type, a seller's cost or an agent's value is drawn
  (``[[buyers]]`` of offline/online, ``[buyer]``/``[seller]`` of bilateral,
  ``[buyer]``/``[[buyers]]`` of infosale, ``[[agents]]`` of mechanism).
* :data:`VALUATIONS` -- the PSP buyers' valuations θ_i of
  :mod:`datamech.models.psp_valuations` (the PSP draft, Definition 1.2).
* :data:`KERNELS` -- the conditional laws of the continuous resale chain,
  :mod:`datamech.models.chain_continuous` ("Incentivizing Data Trading via Profit
  Reallocation", Section 3.3, Def 3.7).

The documented ranges (the constants below) are those of the readers
(:mod:`datamech.models.distributions.reading`, :data:`datamech.models.psp_valuations.MAX_VALUE`);
``tests/test_schema.py`` checks that they agree.

>>> LAWS.check({"family": "uniform", "low": 0, "high": 1}, "buyer", {})
>>> LAWS.check({"family": "pareto", "shape": 0.05}, "buyers[1]", {})
Traceback (most recent call last):
...
datamech.errors.ModelError: buyers[1].shape: must lie in [0.1, 1000], got 0.05; the documented range of pareto.shape is [0.1, 1000]
"""

from __future__ import annotations

from .tables import Key, Table, TableArray, Tagged
from .values import Expression, Number, Numbers, Pair

__all__ = [
    "KERNELS",
    "LAWS",
    "MAX_TYPE",
    "MIN_SCALE",
    "PARETO_SHAPE_RANGE",
    "POWER_SHAPE_RANGE",
    "PSP_MAX",
    "RATE_RANGE",
    "RESCALE",
    "VALUATIONS",
]

MAX_TYPE = 10**12  #: largest type value, bound or scale of a law
MIN_SCALE = 1e-12  #: smallest positive scale (pareto.scale, truncated_equal_revenue)
RATE_RANGE = (1e-12, 1e12)  #: exponential.rate
PARETO_SHAPE_RANGE = (0.1, 1000.0)  #: pareto.shape
POWER_SHAPE_RANGE = (0.01, 1000.0)  #: power.shape
PSP_MAX = 1e9  #: largest number of a psp model (valuation parameters, supplies, prices)
RESCALE = "rescale the currency unit (types and scales are read in [0, 1e12])"


def _documented(name: str, low: float, high: float) -> str:
    return f"the documented range of {name} is [{low:g}, {high:g}]"


_TYPE = Number(low=0, high=MAX_TYPE, hint=RESCALE)
_SCALE = Number(low=MIN_SCALE, high=MAX_TYPE, hint=RESCALE)

_UNIFORM = Table(
    (
        Key("low", _TYPE, "lower end of the support", required=True, symbol="a", example=0),
        Key("high", _TYPE, "upper end of the support (> low)", required=True, symbol="b",
            example=1),
    ),
    meaning="U[low, high]: F(v) = (v - low)/(high - low); virtual value φ(v) = 2v - high, "
    "virtual cost 2c - low (Myerson 1981).",
    example={"family": "uniform", "low": 0, "high": 1},
)  # fmt: skip
_EXPONENTIAL = Table(
    (
        Key(
            "rate",
            Number(*RATE_RANGE, hint=_documented("exponential.rate", *RATE_RANGE)),
            "rate of the exponential law (mean 1/rate above low)",
            required=True,
            symbol="λ",
            example=1,
        ),
        Key("low", _TYPE, "shift: the lower end of the support", default=0),
        Key(
            "high",
            Number(low=0, high=MAX_TYPE, allow_inf=True, hint=RESCALE),
            "truncation: the upper end of the support (> low)",
            default_text="inf (no truncation)",
            example=10,
        ),
    ),
    meaning="Exp(rate) shifted by low, optionally truncated at high: φ(v) = v - 1/rate, "
    "and on [low, high] φ(v) = v - (1 - e^{-rate (high - v)})/rate (Myerson 1981).",
    example={"family": "exponential", "rate": 1},
)
_PARETO = Table(
    (
        Key(
            "shape",
            Number(*PARETO_SHAPE_RANGE, hint=_documented("pareto.shape", *PARETO_SHAPE_RANGE)),
            "tail exponent (virtual values and revenue need shape > 1)",
            required=True,
            symbol="s",
            example=3,
        ),
        Key("scale", _SCALE, "lower end of the support", default=1, symbol="m"),
    ),
    meaning="Pareto: F(v) = 1 - (scale/v)^shape on [scale, ∞); φ(v) = v (1 - 1/shape) "
    "(Myerson 1981).  E[V^p] is finite iff p < shape.",
    example={"family": "pareto", "shape": 3, "scale": 1},
)
_POWER = Table(
    (
        Key(
            "shape",
            Number(*POWER_SHAPE_RANGE, hint=_documented("power.shape", *POWER_SHAPE_RANGE)),
            "exponent (regular for shape >= 1; ironed numerically below)",
            required=True,
            symbol="s",
            example=2,
        ),
    ),
    meaning="Power law on [0, 1]: F(v) = v^shape; φ(v) = v (1 + 1/s) - v^{1-s}/s, virtual "
    "cost c (1 + 1/s) (Myerson 1981).",
    example={"family": "power", "shape": 2},
)
_TER = Table(
    (
        Key(
            "high",
            Number(low=0, high=MAX_TYPE, low_open=True, hint=RESCALE),
            "the top type, an atom of mass scale/high",
            required=True,
            symbol="H",
            example=4,
        ),
        Key("n", _SCALE, "1/scale (the n of Theorems 3.3/3.6)", symbol="n", example=2),
        Key("scale", _SCALE, "the revenue level, scale < high", symbol="1/n"),
    ),
    meaning="Truncated equal revenue: F(v) = max{0, 1 - scale/v} on [0, H), F = 1 at H; "
    "φ^ir = H with probability scale/H and 0 otherwise (Deng et al., Appendix B.3; the "
    "instances of Theorems 3.3 and 3.6 with scale = 1/n).",
    exactly_one=(("n", "scale"),),
    example={"family": "truncated_equal_revenue", "n": 2, "high": 4},
)
_DISCRETE = Table(
    (
        Key(
            "values",
            Numbers(low=0, high=MAX_TYPE, hint=RESCALE),
            "the types, in any order (equal values are merged)",
            required=True,
            symbol="v_j",
            example=[1, 2, 3],
        ),
        Key(
            "probs",
            Numbers(low=0, low_open=True),
            "their probabilities, positive, summing to 1 (exactly when every entry is exact; "
            "within 1e-9 otherwise, then rescaled)",
            required=True,
            symbol="π_j",
            example=["3/5", "1/10", "3/10"],
        ),
    ),
    meaning="A finite law.  Exact (rational arithmetic throughout) when every entry of both "
    'lists is an integer or a "p/q" string; a float anywhere makes it a float law.  '
    "Virtual values are the slopes of the piecewise-linear revenue curve.",
    example={"family": "discrete", "values": [1, 2, 3], "probs": ["3/5", "1/10", "3/10"]},
)
_EXPRESSION = Table(
    (
        Key(
            "cdf",
            Expression("v"),
            "the CDF F(v) as a formula in v",
            symbol="F",
            example="1 - (1 + v)**-2",
        ),
        Key("pdf", Expression("v"), "or the density f(v) (integrating to 1)", symbol="f"),
        Key(
            "support",
            Pair(_TYPE, Number(low=0, high=MAX_TYPE, allow_inf=True, hint=RESCALE)),
            'the support [low, high], low < high; high may be "inf"',
            required=True,
            example=[0, "inf"],
        ),
    ),
    meaning="A continuous law written as a formula (Python syntax, ** for powers; "
    "functions exp, log, sqrt, erf, erfc, atan, Min, Max, Abs, Piecewise, ...): sympy derives "
    "the density or the CDF, φ(v) = v - (1 - F)/f, the reserve price and regularity (proved "
    "symbolically where it can, else checked on a grid), and irregular laws are ironed like "
    "the others.  F must be nondecreasing from 0 to 1 without jumps (atoms belong in a "
    "mixture).",
    exactly_one=(("cdf", "pdf"),),
    example={"family": "expression", "cdf": "1 - (1 + v)**-2", "support": [0, "inf"]},
)

#: The single-law families (everything but ``mixture``), the components of a mixture.
_SIMPLE: tuple[tuple[str, Table], ...] = (
    ("uniform", _UNIFORM),
    ("exponential", _EXPONENTIAL),
    ("pareto", _PARETO),
    ("power", _POWER),
    ("truncated_equal_revenue", _TER),
    ("discrete", _DISCRETE),
)
_COMPONENT = Tagged(
    "family",
    (*_SIMPLE, ("expression", _EXPRESSION)),
    title="type law",
    ref="law_component",
    refuse=(("mixture", "nested mixtures are not supported"),),
)
_MIXTURE = Table(
    (
        Key(
            "weights",
            Numbers(low=0, low_open=True),
            "the components' weights, positive, summing to 1 (within 1e-9, then rescaled)",
            required=True,
            symbol="w_k",
            example=[0.5, 0.5],
        ),
        Key(
            "components",
            TableArray(_COMPONENT),
            "the component laws, one table each (any family but mixture)",
            required=True,
            symbol="F_k",
            example=[{"family": "discrete", "values": [1], "probs": [1]},
                     {"family": "uniform", "low": 2, "high": 3}],
        ),
    ),
    meaning="A finite mixture Σ_k w_k F_k of the other families, ironed numerically on the "
    "union of the components' price grids and atoms.",
    example={
        "family": "mixture",
        "weights": [0.5, 0.5],
        "components": [
            {"family": "discrete", "values": [1], "probs": [1]},
            {"family": "uniform", "low": 2, "high": 3},
        ],
    },
)  # fmt: skip

#: Every type-law family, as ``family = "..."`` plus its parameters.
LAWS = Tagged(
    "family",
    (*_SIMPLE, ("mixture", _MIXTURE), ("expression", _EXPRESSION)),
    title="type law",
    ref="law",
)

_PSP_POSITIVE = Number(low=0, high=PSP_MAX, low_open=True)
_QUADRATIC = Table(
    (
        Key("kappa", _PSP_POSITIVE, "slope of the marginal value", required=True, symbol="κ_i",
            example=0.01),
        Key("qbar", _PSP_POSITIVE, "satiation quantity: θ' = 0 beyond it", required=True,
            symbol="q̄_i", example=100),
    ),
    meaning="Lazar-Semret quadratic θ(z) = κ z (q̄ - z/2) for z <= q̄, κ q̄²/2 after; "
    "θ'(z) = κ (q̄ - z)^+, elastic with γ = κ (the PSP draft, Definition 1.2).",
    example={"family": "quadratic", "kappa": 0.01, "qbar": 100},
)  # fmt: skip
_LOG = Table(
    (
        Key("w", _PSP_POSITIVE, "weight", required=True, symbol="w", example=2),
        Key("a", _PSP_POSITIVE, "offset", required=True, symbol="a", example=1),
    ),
    meaning="θ(z) = w log(1 + z/a), θ'(z) = w/(a + z); elastic on [0, D] with "
    "γ = w/(a + D)² (the PSP draft, Definition 1.2).",
    example={"family": "log", "w": 2, "a": 1},
)
_PIECEWISE = Table(
    (
        Key(
            "breaks",
            Numbers(low=0, high=PSP_MAX, nonempty=False),
            "the kink points 0 < b_1 < ... < b_m (may be empty)",
            required=True,
            symbol="b_k",
            example=[10],
        ),
        Key(
            "slopes",
            Numbers(low=0, high=PSP_MAX),
            "the m + 1 slopes, non-increasing (θ concave); the last applies after b_m",
            required=True,
            symbol="θ'",
            example=[2, 1],
        ),
    ),
    meaning="A concave piecewise-linear θ with slope slopes[k] on [b_k, b_{k+1}); θ' jumps, "
    "so θ is not elastic.",
    example={"family": "piecewise_linear", "breaks": [10], "slopes": [2, 1]},
)
_LINEAR_CAPPED = Table(
    (
        Key("price", _PSP_POSITIVE, "the constant marginal value", required=True, symbol="p_i",
            example=1.2),
        Key("cap", _PSP_POSITIVE, "the need: nothing is worth more beyond it", required=True,
            symbol="D_i", example=40),
    ),
    meaning="θ(z) = price · min(z, cap): a constant marginal value up to a need (the PSP "
    "draft's worked example, Section 3.4.4); not elastic.",
    example={"family": "linear_capped", "price": 1.2, "cap": 40},
)  # fmt: skip

#: The PSP valuation families, as ``family = "..."`` plus parameters (numbers in [0, 1e9]).
VALUATIONS = Tagged(
    "family",
    (
        ("quadratic", _QUADRATIC),
        ("log", _LOG),
        ("piecewise_linear", _PIECEWISE),
        ("linear_capped", _LINEAR_CAPPED),
    ),
    title="valuation",
    ref="valuation",
)

_NORMAL = Table(
    (
        Key("sigma", Number(low=0, low_open=True), "standard deviation of the untruncated step",
            required=True, symbol="σ", example=1.0),
    ),
    meaning="v | w ~ N(w, σ²) truncated to the support [L0, H0]; K0 = (H0 - L0)/σ² (Def 3.7).",
    example={"family": "truncated_normal", "sigma": 1.0},
)  # fmt: skip
_TILTED = Table(
    (
        Key("kappa", Number(), "tilt strength (0: uniform, independent of w)", required=True,
            symbol="κ", example=1.0),
    ),
    meaning="f(v | w) ∝ exp(κ v w) on [L0, H0]; K0 = |κ| (H0 - L0) (Def 3.7).",
    example={"family": "tilted", "kappa": 1.0},
)  # fmt: skip

#: The continuous chain's conditional laws (kernels) of v_i given v_{i-1} = w.
KERNELS = Tagged(
    "family",
    (("truncated_normal", _NORMAL), ("tilted", _TILTED)),
    title="kernel",
    ref="kernel",
)
