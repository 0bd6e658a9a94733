"""Model files of kind ``psp`` (the PSP draft and Lazar-Semret's PSP auction, read by
:mod:`datamech.models.psp`)."""

from __future__ import annotations

from .families import PSP_MAX, VALUATIONS
from .tables import Key, ModelFile, Table, TableArray, kind_key, name_key, solver_key
from .values import Choice, Integer, ListOf, Number, Text

__all__ = ["PSP"]

TIE_BREAKS = ("proportional", "lazar_semret", "strict")
MARKETS = ("substitutes", "route")
SCHEDULES = ("asynchronous", "round_robin", "synchronous")
MODES = ("standard", "draft")
MAX_SEED = 2**63 - 1
MAX_ITERATIONS = 10**12
_POSITIVE = Number(low=0, high=PSP_MAX, low_open=True)
_NONNEG = Number(low=0, high=PSP_MAX)

_MODEL = Table(
    (
        kind_key("psp"),
        name_key(),
        Key("epsilon", _POSITIVE, "the bid fee, and the ε of the ε-best reply (the PSP draft, "
            "Section 1.1 and eq. (46))", required=True, symbol="ε", example=0.1),
        Key("market", Choice(MARKETS), "substitutes: θ_i of the total Σ_j a_ij; "
            "route: sellers are links, a buyer's sellers its route, θ_i of the thinnest "
            "link (Lazar-Semret)", default="substitutes"),
        Key("tie_break", Choice(TIE_BREAKS), "the local auctions' tie rule "
            "(proportional: the PSP draft, eq. (20); strict: its eqs. (2)-(3) as printed; "
            "lazar_semret: Lazar-Semret)", default="proportional"),
        Key("schedule", Choice(SCHEDULES), "who replies when: a seeded random order each "
            "pass, round robin, or all at once", default="asynchronous"),
        Key("seed", Integer(low=0, high=MAX_SEED), "seed of the asynchronous order (and of "
            "the draft's initial prices)", default=0),
        Key("max_iterations", Integer(low=1, high=MAX_ITERATIONS), "cap on passes (time "
            "steps of the draft's rules); reaching it gives status iteration_limit",
            default_text="derived from ε (docs/psp.md)"),
        Key("p_kappa", _POSITIVE, "draft rules: the ISP overage price, upper bound of bid "
            "prices (the PSP draft, Section 3.4.4)", symbol="p^κ",
            default_text="the largest θ_i'(0)"),
        Key("tie_rule", Choice(TIE_BREAKS), "old name", deprecated="tie_break"),
        Key("max_rounds", Integer(low=1, high=MAX_ITERATIONS), "old name",
            deprecated="max_iterations"),
        Key("mode", Choice(MODES), "old name: standard = method dynamics, draft = method "
            "draft", deprecated="[solver] method"),
    ),
    at_most_one=(("tie_break", "tie_rule"), ("max_iterations", "max_rounds")),
)  # fmt: skip
_SELLER = Table(
    (
        Key("name", Text(nonempty=True), "the seller's name (unique)", default_text='"s1", '
            '"s2", ... in file order', example="s1"),
        Key("supply", _POSITIVE, "the data it offers (route market: the link's capacity)",
            required=True, symbol="Q_j", example=10),
        Key("reserve", _NONNEG, "reserve unit price, entered as the bid (Q_j, r_j) "
            "(Lazar-Semret; the PSP draft, Section 3.4.4)", symbol="r_j",
            default_text="epsilon"),
        Key("retention", _NONNEG, "value per unsold unit, counted in welfare",
            default=0.0),
    )
)  # fmt: skip
_BUYER = Table(
    (
        Key("name", Text(nonempty=True), "the buyer's name (unique)", default_text='"b1", '
            '"b2", ... in file order', example="b1"),
        Key("valuation", VALUATIONS, "θ_i, concave in the data it gets (a valuation)",
            required=True, symbol="θ_i", example={"family": "quadratic", "kappa": 0.1,
                                                  "qbar": 20}),
        Key("sellers", ListOf(Text(nonempty=True), what="seller names"), "the sellers it may "
            "bid at (the graph E; route market: its route)",
            default_text="every seller", example=["s1"]),
        Key("need", _NONNEG, "draft rules: the data it wants", symbol="D_i",
            default_text="the linear-capped cap, else the demand at price 0",
            note="every buyer or none"),
        Key("initial_price", _NONNEG, "draft rules: its first bid price (the PSP draft, "
            "Section 3.4.4)", note="every buyer or none"),
        Key("participation_cost", _NONNEG, "subtracted from its utility once per auction it "
            "bids in (the PSP draft, Section 3.2, eq. (14)); not part of welfare",
            symbol="ϱ_i", default=0.0),
    )
)  # fmt: skip

PSP = ModelFile(
    name="psp",
    kind="psp",
    title="Data exchange by progressive second price auctions",
    summary="sellers run local PSP auctions; buyers play ε-best replies",
    meaning="Sellers j offer Q_j units of data in one local progressive second price "
    "auction each, with a reserve r_j; buyers i with concave valuations θ_i bid (price, "
    "quantity) at the sellers they are linked to (the PSP draft, Sections 1.1 and 3; "
    "Lazar-Semret).  `dm.solve` plays the truthful ε-best-reply dynamics until no buyer "
    "improves by more than ε (or the draft's own rules), compares the outcome with the "
    "welfare optimum of a convex program and checks the final bids are a 2ε-Nash "
    "equilibrium.  Numbers lie in [0, 1e9].",
    root=Table(
        (
            Key("model", _MODEL, "the market and the dynamics", required=True),
            Key("sellers", TableArray(_SELLER), "one table per seller", required=True,
                example=[{"name": "s1", "supply": 10}]),
            Key("buyers", TableArray(_BUYER), "one table per buyer", required=True,
                example=[{"name": "a", "valuation": {"family": "quadratic", "kappa": 0.1,
                                                     "qbar": 20}},
                         {"name": "b", "valuation": {"family": "quadratic", "kappa": 0.2,
                                                     "qbar": 10}}]),
            solver_key("psp"),
        )
    ),
    example={
        "model": {"kind": "psp", "epsilon": 0.1, "schedule": "round_robin"},
        "sellers": [{"name": "s1", "supply": 10}],
        "buyers": [
            {"name": "a", "valuation": {"family": "quadratic", "kappa": 0.1, "qbar": 20}},
            {"name": "b", "valuation": {"family": "quadratic", "kappa": 0.2, "qbar": 10}},
        ],
    },
)  # fmt: skip
