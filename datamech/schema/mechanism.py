"""Model files of kind ``mechanism``: a user's own mechanism-design problem (read by
:mod:`datamech.models.mechanism`)."""

from __future__ import annotations

from .families import LAWS, MAX_TYPE
from .tables import ByKey, ByPath, Key, ModelFile, Table, TableArray, Tagged, kind_key, solver_key
from .values import Choice, Expression, Integer, ListOf, Number, Numbers, OneOf, Text

__all__ = ["MECHANISM"]

PRESETS = ("single_item", "multi_item", "bilateral_trade", "public_project", "table")
OBJECTIVES = ("revenue", "welfare", "expression")
IC = ("bic", "dsic", "none")
IR = ("interim", "ex_post", "none")
BUDGETS = ("none", "no_deficit", "balanced", "ex_ante_no_deficit")
VALUATIONS = ("additive", "unit_demand")
SCHEMES = ("condmean", "left")
MAX_CELLS = 100_000
MAX_AGENTS = 1_000
MAX_ITEMS = 20
MAX_OUTCOMES = 1000
#: The roles each preset takes, the first being the default (``[[agents]] role``).
ROLES = {
    "single_item": ("bidder", "buyer"),
    "multi_item": ("buyer", "bidder"),
    "bilateral_trade": ("buyer", "seller"),
    "public_project": ("agent",),
    "table": ("agent",),
}
_VALUE = Number(low=-MAX_TYPE, high=MAX_TYPE)
_PRICE = Number(low=0, high=MAX_TYPE)
_PROBS = Numbers(low=0, high=1)
_QUANTITIES = (
    "revenue, welfare, cost, and per agent k (in file order, copies expanded) pk (payment), "
    "vk (value), uk (utility), xk (allocation; not for tables), and ok (outcome k; tables)"
)

_OUTCOMES = Tagged(
    "preset",
    (
        ("single_item", Table(meaning="one item sold to bidders with values t: value t x_i")),
        ("multi_item", Table((
            Key("items", Integer(low=1, high=MAX_ITEMS), "number of items", default=2),
            Key("valuation", Choice(VALUATIONS), "additive: Σ_j t_j x_ij; unit_demand: the "
                "buyer wants one item", default="additive"),
        ), meaning="several items sold to buyers with values t_j per item")),
        ("bilateral_trade", Table(meaning="a buyer (value v x) and a seller (cost c x) trade "
                                  "with probability x")),
        ("public_project", Table((
            Key("cost", _PRICE, "the designer's cost of provision", default=0),
        ), meaning="a project provided with probability x, worth t_i x to agent i")),
        ("table", Table((
            Key("outcomes", ListOf(Text(nonempty=True), nonempty=True, what="outcome names"),
                f"the outcomes' names (distinct, at most {MAX_OUTCOMES})", required=True,
                example=["nothing", "raw", "cleaned"]),
            Key("costs", Numbers(low=-MAX_TYPE, high=MAX_TYPE), "the designer's cost of each "
                "outcome", default_text="0 for every outcome"),
        ), meaning="a lottery over named outcomes; agent values per type and outcome")),
    ),
    title="outcome space",
)  # fmt: skip


def _base(preset: str) -> tuple[Key, ...]:
    """The keys every agent table of ``preset`` has besides its types."""
    roles = ROLES[preset]
    return (
        Key("name", Text(nonempty=True), "the agent's name", default=roles[0]),
        Key("count", Integer(low=1, high=MAX_AGENTS), "this many independent copies (named "
            '"name 1", "name 2", ...)', default=1),
        Key("role", Choice(roles), "the agent's role" + (" (the seller's law is its cost)"
            if preset == "bilateral_trade" else ""), default=roles[0],
            required=preset == "bilateral_trade"),
    )  # fmt: skip


#: The laws an agent's table may hold inline (every family, expression laws included).
_INLINE = LAWS


def _law_agent(preset: str) -> Tagged:
    return _INLINE.extended(_base(preset), ref=f"agent_{preset}")


_TABLE_AGENT = Table(
    (
        *_base("table"),
        Key("probs", _PROBS, "the probability of each type", required=True,
            example=["1/2", "1/2"]),
        Key("values", Numbers(ndim=2, low=-MAX_TYPE, high=MAX_TYPE, shape="types x outcomes"),
            "u(type, outcome): one row per type, one entry per outcome", required=True,
            example=[[0, 2, 3], [0, 3, 6]]),
        Key("types", ListOf(Text(nonempty=True), what="type names"), "names of the types"),
    ),
    meaning="preset table: explicit types with values per outcome",
)  # fmt: skip
_MULTI_AGENT = ByKey(
    (
        ("item_types", Table((
            *_base("multi_item"),
            Key("item_types", ListOf(LAWS, what="law tables"), "one type law per item "
                "(independent items)", required=True,
                example=[{"family": "uniform", "low": 0, "high": 1}] * 2),
        ), meaning="independent items, one law each")),
        ("types", Table((
            *_base("multi_item"),
            Key("types", Numbers(ndim=2, low=0, high=MAX_TYPE, shape="types x items"),
                "explicit type vectors, one value per item", required=True,
                example=[[3, 4], [0, 2]]),
            Key("probs", _PROBS, "the probability of each type vector", required=True,
                example=["1/2", "1/2"]),
        ), meaning="explicit type vectors")),
    ),
    default=_law_agent("multi_item"),
)  # fmt: skip

_AGENTS = ByPath(
    ("outcomes", "preset"),
    (("table", _TABLE_AGENT), ("multi_item", _MULTI_AGENT))
    + tuple((p, _law_agent(p)) for p in ("single_item", "bilateral_trade", "public_project")),
    default=_law_agent("single_item"),
)

_MECHANISM = Tagged(
    "rule",
    (
        ("second_price", Table((Key("reserve", _PRICE, "reserve price", default=0),),
                               meaning="single item")),
        ("first_price", Table((Key("reserve", _PRICE, "reserve price", default=0),),
                              meaning="single item")),
        ("posted_price", Table((
            Key("price", OneOf((_PRICE, Numbers(low=0, high=MAX_TYPE))), "the price (multi "
                "item: one per item, or one for all)", required=True, example=1),
        ), meaning="single item, bilateral trade, multi item")),
        ("table", Table((
            Key("allocation", Numbers(ndim=2, low=0, high=1), "allocation per type profile",
                required=True),
            Key("payments", Numbers(ndim=2, low=-MAX_TYPE, high=MAX_TYPE), "payments per type "
                "profile", required=True),
        ), meaning="any preset: allocation and payments given as tables")),
    ),
    title="mechanism rule",
)  # fmt: skip

MECHANISM = ModelFile(
    name="mechanism",
    kind="mechanism",
    title="Your own mechanism (automated mechanism design)",
    summary="a mechanism-design problem of your own: optimal mechanism by LP/MIP, or an audit",
    meaning="Agents with private types drawn from type laws, an outcome space (a preset), "
    "incentive, participation and budget constraints and a linear objective: `dm.solve` "
    "finds the optimal mechanism (randomized by LP, deterministic by MIP, or over reduced "
    "forms under Border's constraints) and certifies it; `datamech audit` checks the "
    "mechanism of a [mechanism] table.  Payments are what an agent pays the designer.",
    root=Table(
        (
            Key("model", Table((
                kind_key("mechanism"),
                Key("name", Text(), "free text naming the model", default="mechanism"),
                Key("objective", Choice(OBJECTIVES), "what the designer maximizes",
                    default="revenue"),
                Key("expression", Expression(_QUANTITIES), "objective = \"expression\": a "
                    "linear expression in the expected quantities",
                    note='required with objective = "expression" only'),
            )), "the objective", required=True),
            Key("outcomes", _OUTCOMES, "the outcome space (a preset and its parameters)",
                required=True, example={"preset": "single_item"}),
            Key("agents", TableArray(_AGENTS), "one table per agent (or per group of "
                "identical agents, with count)", required=True),
            Key("constraints", Table((
                Key("ic", Choice(IC), "incentive compatibility: Bayesian, dominant-strategy "
                    "or none", default="bic"),
                Key("ir", Choice(IR), "participation: interim, ex post or none",
                    default="interim"),
                Key("budget", Choice(BUDGETS), "the designer's budget: ex post no deficit or "
                    "balanced, or no deficit in expectation", default="none"),
                Key("requirements", ListOf(Expression(_QUANTITIES), what="requirements"),
                    'linear requirements such as "x1 >= 0.2" or "revenue >= 0.3"',
                    default=[]),
            )), "the constraints"),
            Key("grid", Table((
                Key("cells", Integer(low=1, high=MAX_CELLS), "types per continuous law",
                    default=50),
                Key("scheme", Choice(SCHEMES), "a cell's type: its conditional mean or its "
                    "lower edge", default="condmean"),
            )), "how continuous laws are discretized"),
            solver_key("mechanism"),
            Key("mechanism", _MECHANISM, "a given mechanism, checked by `datamech audit`"),
        )
    ),
    example={
        "model": {"kind": "mechanism", "objective": "revenue"},
        "outcomes": {"preset": "single_item"},
        "agents": [
            {"name": "bidder", "count": 2, "family": "discrete", "values": [1, 2],
             "probs": ["1/2", "1/2"]},
        ],
    },
)  # fmt: skip
