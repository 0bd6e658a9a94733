"""Model files of kind ``infosale`` (Nouripour 2021, read by :mod:`datamech.models.infosale`)."""

from __future__ import annotations

from .families import LAWS
from .tables import Key, ModelFile, Table, TableArray, kind_key, name_key, solver_key
from .values import Boolean, Choice, Expression, Integer, Number, Numbers, OneOf

__all__ = ["INFOSALE"]

PRESETS = ("competition", "complement-substitute", "table")
OBJECTIVES = ("revenue", "welfare", "expression")
SCHEMES = ("auto", "left", "condmean")
TAIL_MODES = ("lump", "drop")
TRUTHFULNESS = ("adjacent", "global", "off")
MAX_MAGNITUDE = 1e6  #: |payoff|, |grid.upper|, |outside option|
MAX_CELLS = 10**9
_UNIT = Number(low=0, high=1)
_MAGNITUDE = Number(low=-MAX_MAGNITUDE, high=MAX_MAGNITUDE)

_MODEL = Table(
    (
        kind_key("infosale"),
        name_key(),
        Key("prior", Numbers(low=0, high=1), "the prior over the states, summing to 1",
            required=True, symbol="P[θ]", example=[0.5, 0.5]),
        Key("objective", Choice(OBJECTIVES[:2]), "what the seller maximizes (or give an "
            "[objective] table, not both)", default="revenue"),
    )
)  # fmt: skip
_GAME = Table(
    (
        Key("preset", Choice(PRESETS), "the game: Example 3 (competition), the §5.1 game "
            "(complement-substitute) or an explicit payoff table", required=True,
            example="competition"),
        Key("alpha", _UNIT, "competition intensity (presets competition, "
            "complement-substitute: payoff when both are right)", symbol="α", example=0.5),
        Key("beta", _UNIT, "complement-substitute: 1 - β is the payoff when both are wrong; "
            "needs α >= 1 - β", symbol="β"),
        Key("payoffs", Numbers(ndim=None, min_ndim=3, low=-MAX_MAGNITUDE, high=MAX_MAGNITUDE,
                               shape="n x |A_1| x ... x |A_n| x |Θ|"),
            "preset table: payoffs[i][a_1]...[a_n][θ] = π_i(a; θ); buyer i's utility is "
            "v_i π_i (Assumption 1)", symbol="π_i(a; θ)"),
    ),
    meaning="competition takes alpha; complement-substitute alpha and beta; table payoffs.",
)  # fmt: skip
_GRID = Table(
    (
        Key("cells", Integer(low=1, high=MAX_CELLS), "type cells per buyer for continuous "
            "laws (discrete laws are their own grid)", default=80, symbol="m"),
        Key("scheme", Choice(SCHEMES), "cell value: lower edge (left) or conditional mean "
            "(condmean); auto: left for revenue, condmean otherwise", default="auto"),
        Key("tail", Number(low=0, high=1, low_open=True, high_open=True), "upper tail mass "
            "cut off an unbounded support (upper = F^{-1}(1 - tail))", default=0.001),
        Key("tail_mode", Choice(TAIL_MODES), "add the cut tail to the last cell (lump) or "
            "drop it and renormalize (drop)", default="lump"),
        Key("upper", _MAGNITUDE, "explicit upper end for unbounded supports (overrides "
            "tail)"),
    ),
    meaning="How continuous type laws are discretized.",
)  # fmt: skip
_OBJECTIVE = Table(
    (
        Key("kind", Choice(OBJECTIVES), "revenue E[Σ p_i], welfare E[Σ u_i], or an "
            "expression", required=True, example="revenue"),
        Key("expression", Expression("theta, a1..an, v1..vn and the payments p1..pn"),
            "kind expression: E[g(θ, V, A)] + Σ c_i E[p_i], linear in the payments",
            example="v1*KroneckerDelta(a1, theta) + p1"),
    ),
    meaning="What the seller maximizes (instead of model.objective).",
)  # fmt: skip
_CONSTRAINTS = Table(
    (
        Key("obedience", Boolean(), "buyers follow the recommendations (Def 2)", default=True),
        Key("truthfulness", OneOf((Choice(TRUTHFULNESS), Boolean())), "truthful types "
            "(Def 3): adjacent (exact under Assumption 1), global or off; true = adjacent, "
            "false = off", default="adjacent"),
        Key("participation", Boolean(), "interim participation (Def 4)", default=True),
        Key("nonnegative_payments", Boolean(), "payments p_i >= 0 (Ch. 2)", default=True),
        Key("outside_option", _MAGNITUDE, "a fixed outside option instead of the worst case "
            "K_i (its own LP)", symbol="K_i"),
    ),
    meaning="Constraint families of the general LP (Nouripour, Section 3.1).",
)  # fmt: skip

INFOSALE = ModelFile(
    name="infosale",
    kind="infosale",
    title="Selling information to competing buyers",
    summary="a seller recommends actions to buyers who compete in a game (obedience LP)",
    meaning="A monopolist who observes the state θ sells action recommendations to n "
    "buyers with private types v_i who then play a game with payoffs v_i π_i(a; θ) "
    "(Nouripour, Chapter 2).  The seller chooses a recommendation rule σ(a | θ, v) and "
    "interim payments subject to obedience, truthfulness and participation; `dm.solve` "
    "solves the LP on a type grid (or the reduced LP, the greedy algorithm, or the closed "
    "forms of Props 4-8 for Example 3).",
    root=Table(
        (
            Key("model", _MODEL, "the prior and the objective", required=True),
            Key("game", _GAME, "the game the buyers play", required=True),
            Key("buyer", LAWS, "one type law shared by every buyer", symbol="F",
                example={"family": "exponential", "rate": 1}),
            Key("buyers", TableArray(LAWS), "or one type law per buyer", symbol="F_i"),
            Key("grid", _GRID, "the type grid"),
            Key("objective", _OBJECTIVE, "the objective as a table"),
            Key("constraints", _CONSTRAINTS, "which constraints bind the seller"),
            solver_key("infosale"),
        ),
        exactly_one=(("buyer", "buyers"),),
    ),
    example={
        "model": {"kind": "infosale", "prior": [0.5, 0.5], "objective": "revenue"},
        "game": {"preset": "competition", "alpha": 0.5},
        "buyer": {"family": "exponential", "rate": 1},
        "grid": {"cells": 40},
    },
)  # fmt: skip
