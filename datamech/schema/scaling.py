"""Model files of kinds ``offline`` and ``online`` (Deng et al., Sections 2 and 3,
read by :mod:`datamech.models.scaling`)."""

from __future__ import annotations

from .families import LAWS
from .tables import Key, ModelFile, Table, TableArray, kind_key, name_key, solver_key
from .values import Choice, Integer, Number

__all__ = ["OFFLINE", "ONLINE"]

ONLINE_MECHANISMS = ("optimal", "two_stage", "greedy", "non_adaptive")
ALLOCATE = ("own", "all")
MAX_GRID = 10**9


_ALPHA = Key(
    "alpha",
    Number(low=0, high=1, low_open=True, high_open=True),
    "scaling exponent: a buyer of type v values x units of data at v x^α",
    required=True,
    symbol="α",
    example="1/2",
)
_COST = Key(
    "cost",
    Number(low=0, low_open=True),
    "unit cost of producing data (the seller pays c D for D units)",
    required=True,
    symbol="c",
    example=1,
)
_BUYERS = Key(
    "buyers",
    TableArray(LAWS),
    "one type law per buyer (independent; in arrival order for kind online)",
    required=True,
    symbol="F_i",
    example=[{"family": "uniform", "low": 0, "high": 1}] * 2,
)

OFFLINE = ModelFile(
    name="offline",
    kind="offline",
    title="Selling data offline (scaling-law values)",
    summary="buyers with values v x^α share one production; the optimal offline mechanism",
    meaning="n buyers with independent types v_i ~ F_i value x units of data at v_i x^α; "
    "the seller produces D at cost c D and every served buyer gets all of it.  The optimum "
    "(Deng et al., Theorem 2.2 / A.1) pools the buyers with ironed virtual value r_i = "
    "(φ_i^ir(v_i))_+ > 0 at D* = ((α/c) Σ r_i)^{1/(1-α)}; `dm.solve` returns the "
    "allocation, DSIC payments and the expected profit (exact for discrete types).",
    root=Table(
        (
            Key(
                "model",
                Table((kind_key("offline"), name_key(), _ALPHA, _COST)),
                "the market",
                required=True,
            ),
            _BUYERS,
            solver_key("offline"),
        )
    ),
    example={
        "model": {"kind": "offline", "alpha": "1/2", "cost": 1},
        "buyers": [{"family": "uniform", "low": 0, "high": 1}] * 2,
    },
)

ONLINE = ModelFile(
    name="online",
    kind="online",
    title="Selling data online (scaling-law values)",
    summary="buyers arrive one by one; optimal, two-stage, greedy or non-adaptive mechanism",
    meaning="The buyers of kind offline arrive in order 1..n and are served on arrival "
    "(Deng et al., Section 3): the production level only grows.  The mechanism is the "
    "optimal online one (Proposition 3.1, a dynamic program), the two-stage Algorithm 1 "
    "(threshold δ), the greedy one or the non-adaptive one (Theorems 3.2-3.6); results "
    "report its profit beside ONL and OFFL.",
    root=Table(
        (
            Key(
                "model",
                Table(
                    (
                        kind_key("online"),
                        name_key(),
                        _ALPHA,
                        _COST,
                        Key(
                            "mechanism",
                            Choice(ONLINE_MECHANISMS),
                            "the online mechanism (Deng et al., Section 3)",
                            default="optimal",
                        ),
                        Key(
                            "delta",
                            Number(low=0, high=1, low_open=True, high_open=True),
                            "the two-stage mechanism's threshold (Algorithm 1)",
                            symbol="δ",
                            default_text="(1 - α)/(2 - α)",
                            note='with mechanism = "two_stage" only',
                        ),
                        Key(
                            "allocate",
                            Choice(ALLOCATE),
                            "greedy: give a served buyer its own level x^MG (own) or the "
                            "current level D_i (all)",
                            default="own",
                            note='other than "own" with mechanism = "greedy" only',
                        ),
                        Key(
                            "grid",
                            Integer(low=16, high=MAX_GRID),
                            "grid points of the optimal DP for continuous laws",
                            default_text="20000",
                        ),
                    )
                ),
                "the market and the online mechanism",
                required=True,
            ),
            _BUYERS,
            solver_key("online"),
        )
    ),
    example={
        "model": {"kind": "online", "alpha": "1/2", "cost": 1, "mechanism": "optimal"},
        "buyers": [{"family": "uniform", "low": 0, "high": 1}] * 2,
    },
)
