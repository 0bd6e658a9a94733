"""Model files of kind ``chain``: the resale chain with discrete values and its continuous
form ("Incentivizing Data Trading via Profit Reallocation"; read by
:mod:`datamech.models.chain` and :mod:`datamech.models.chain_continuous`, which the key
``support`` selects)."""

from __future__ import annotations

from .families import KERNELS
from .tables import Key, ModelFile, Table, kind_key, name_key, solver_key
from .values import Choice, Integer, ListOf, Number, Numbers, OneOf, Pair

__all__ = ["CHAIN", "CHAIN_CONTINUOUS", "MECHANISMS"]

MECHANISMS = ("RAW", "AVE", "TBDS", "matrix")

_N = Key("n", Integer(low=1), "number of trades (players 0..n)", required=True, symbol="n",
         example=2)  # fmt: skip
_MECHANISM = Key(
    "mechanism",
    Table(
        (
            Key("name", Choice(MECHANISMS), "the reallocation: RAW (the seller keeps its "
                "price), AVE (t_ij = 1/i), TBDS(α), or any matrix", required=True,
                example="AVE"),
            Key("alpha", Number(low=0, high=1), "TBDS's α: t_ij = (1-α) α^(i-j-1), "
                "t_i0 = α^(i-1)", symbol="α", note='name = "TBDS" only'),
            Key("matrix", Numbers(ndim=2, low=0, shape="n x (n+1)"), "the reallocation "
                "matrix: row i-1 is trade i, column j player j; nonnegative, rows summing to "
                "at most 1 (Def 2.5), t_ij = 0 for j >= i (Def 2.6)", symbol="t",
                note='name = "matrix" only'),
        ),
        meaning="Profit reallocation (Section 2.2): player j receives t_ij p_{i-1} when "
        "trade i happens at price p_{i-1}.",
    ),
    "how each trade's price is shared among earlier players",
    default={"name": "RAW"},
)  # fmt: skip

CHAIN = ModelFile(
    name="chain",
    kind="chain",
    title="Resale chain (discrete values)",
    summary="resale chain with profit reallocation: valuations on a finite grid",
    meaning="Players 0..n sit on a chain; in trade i player i-1 posts a price to player i, "
    "who buys or not (\"Incentivizing Data Trading via Profit Reallocation\", Def 2.4).  "
    "Valuations are Markov on a finite grid W: the law of v_i given v_{i-1} = W[k] is row k "
    "of the transition matrix of trade i (Assumption 2.1).  A reallocation matrix t shares "
    "each price with earlier players.  `dm.solve` finds the equilibrium of Eq. (9) exactly "
    "(fast DP or Algorithms 1-3) or the welfare-optimal reallocation (OPT: evolution, "
    "enumerate, mip).",
    root=Table(
        (
            Key(
                "model",
                Table(
                    (
                        kind_key("chain"),
                        name_key(),
                        _N,
                        Key("values", Numbers(), "the value grid (any order, negative "
                            "allowed)", required=True, symbol="W", example=[0, "1/2", 1]),
                        Key("transition", Numbers(ndim=(2, 3), low=0, shape="L x L"),
                            "transition matrix: row k is the law of v_i given "
                            "v_{i-1} = W[k] (rows sum to 1)", symbol="Q",
                            example=[["1/2", "1/2", 0], ["1/4", "1/2", "1/4"],
                                     [0, "1/2", "1/2"]]),
                        Key("transitions", Numbers(ndim=(2, 3), low=0, shape="n x L x L"),
                            "or one matrix per trade (transitions[i-1] for trade i)",
                            symbol="Q_i"),
                        Key("start", Integer(low=0), "0-based grid index of v_0 (a point "
                            "mass)", symbol="v_0", example=0),
                        Key("start_distribution", Numbers(low=0), "or the law of v_0 over "
                            "the grid (sums to 1)"),
                    ),
                    exactly_one=(("transition", "transitions"), ("start", "start_distribution")),
                ),
                "the chain: trades, value grid, Markov transitions and v_0",
                required=True,
            ),
            _MECHANISM,
            solver_key("chain"),
        )
    ),
    example={
        "model": {
            "kind": "chain",
            "n": 2,
            "values": [0, "1/2", 1],
            "transition": [["1/2", "1/2", 0], ["1/4", "1/2", "1/4"], [0, "1/2", "1/2"]],
            "start": 0,
        },
        "mechanism": {"name": "AVE"},
    },
)  # fmt: skip

CHAIN_CONTINUOUS = ModelFile(
    name="chain_continuous",
    kind="chain",
    title="Resale chain (continuous values)",
    summary='resale chain with values on an interval (kind "chain" with a support): the FPTAS',
    meaning="The resale chain with valuations on an interval [L0, H0] (\"Incentivizing "
    "Data Trading via Profit Reallocation\", Section 3.3): v_0 is known and v_i given "
    "v_{i-1} = w has a conditional density (a kernel) that is K0-log-Lipschitz in w "
    "(Def 3.7).  A file of kind chain with a `support` is this form; `dm.solve` runs "
    "Algorithm 4 (the FPTAS, method fptas) and estimates the ε achieved on a finer grid.",
    root=Table(
        (
            Key(
                "model",
                Table(
                    (
                        kind_key("chain"),
                        name_key(),
                        _N,
                        Key("support", Pair(Number(), Number(), names="[L0, H0]"),
                            "the value interval, L0 < H0", required=True, symbol="[L0, H0]",
                            example=[0.0, 1.0]),
                        Key("start_value", Number(), "v_0, in the support", required=True,
                            symbol="v_0", example=0.5),
                        Key("kernel", OneOf((KERNELS, ListOf(KERNELS, what="kernel tables"))),
                            "the law of v_i given v_{i-1} (a kernel), or a list of n kernels, "
                            "one per trade", required=True, symbol="f_i(v | w)",
                            example={"family": "truncated_normal", "sigma": 1.0}),
                        Key("epsilon", Number(low=0, low_open=True), "target ε of Algorithm "
                            "4 (the [solver] option epsilon overrides it)", symbol="ε",
                            default_text="the solver's default"),
                        Key("K0", Number(low=0, low_open=True), "the kernels' log-Lipschitz "
                            "constant (Def 3.7); a given value overrides the computed one, and "
                            "the guarantee then rests on it", symbol="K0",
                            default_text="computed from the kernels"),
                    )
                ),
                "the chain: trades, support, v_0 and the kernels",
                required=True,
            ),
            _MECHANISM,
            solver_key("chain"),
        )
    ),
    example={
        "model": {
            "kind": "chain",
            "n": 3,
            "support": [0.0, 1.0],
            "start_value": 0.5,
            "kernel": {"family": "truncated_normal", "sigma": 1.0},
            "epsilon": 0.1,
        },
        "mechanism": {"name": "AVE"},
    },
    when=("model", "support"),
)  # fmt: skip
