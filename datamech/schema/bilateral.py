"""Model files of kind ``bilateral`` (Deng et al., Section 4, read by
:mod:`datamech.models.bilateral`)."""

from __future__ import annotations

from .families import LAWS, MAX_TYPE, RESCALE
from .tables import Key, ModelFile, Table, kind_key, name_key, solver_key
from .values import Choice, ListOf, Number, Numbers, OneOf

__all__ = ["BILATERAL", "GOODS", "MECHANISMS"]

GOODS = ("scaling", "indivisible")
MECHANISMS = (
    "first_best",
    "second_best",
    "seller_proposing",
    "buyer_proposing",
    "broker",
    "posted_price",
)
_MECHANISM = Choice(("all", *MECHANISMS))

BILATERAL = ModelFile(
    name="bilateral",
    kind="bilateral",
    title="Bilateral data trade",
    summary="one buyer and one seller with private value and cost; first and second best",
    meaning="One buyer (value v ~ F^B, utility v x^α) and one seller (unit cost c ~ F^S, "
    "cost c x) trade x units of data (Deng et al., Section 4); α = 1, or good = "
    "\"indivisible\", is the classic indivisible good with x in [0, 1].  `dm.solve` gives "
    "the first best, the second best (λ* by root search on the budget surplus, Lagrangian "
    "ironing) and the mechanisms asked for, with payments at the profiles given.",
    root=Table(
        (
            Key(
                "model",
                Table(
                    (
                        kind_key("bilateral"),
                        name_key(),
                        Key(
                            "alpha",
                            Number(low=0, high=1, low_open=True),
                            "scaling exponent (1: the indivisible good)",
                            symbol="α",
                            example="1/2",
                            note='required unless good = "indivisible"',
                        ),
                        Key(
                            "good",
                            Choice(GOODS),
                            "the scaling model (value v x^α, cost c x) or the indivisible "
                            "good (x in [0, 1]); instead of alpha",
                            default_text='from alpha ("indivisible" when alpha = 1)',
                        ),
                        Key(
                            "mechanism",
                            OneOf((_MECHANISM, ListOf(_MECHANISM, what="mechanism names"))),
                            "what to evaluate besides first and second best: a name or a "
                            "list (posted_price: indivisible good only)",
                            default="all",
                        ),
                        Key(
                            "profiles",
                            Numbers(ndim=2, low=0, high=MAX_TYPE, nonempty=False, hint=RESCALE,
                                    shape="pairs [v, c]"),
                            "realized (v, c) pairs at which payments are reported",
                            default=[],
                            example=[[0.9, 1.2]],
                        ),
                        Key(
                            "price",
                            Number(low=0, high=MAX_TYPE, hint=RESCALE),
                            "a fixed posted price (else the best one)",
                            symbol="p",
                            note="indivisible good only",
                        ),
                    )
                ),
                "the trade and what to evaluate",
                required=True,
            ),
            Key("buyer", LAWS, "the buyer's value law (a type law)", required=True,
                symbol="F^B", example={"family": "uniform", "low": 0, "high": 1}),
            Key("seller", LAWS, "the seller's unit-cost law (a type law; costs > 0 when "
                "α < 1)", required=True, symbol="F^S",
                example={"family": "uniform", "low": 1, "high": 2}),
            solver_key("bilateral"),
        )
    ),
    example={
        "model": {"kind": "bilateral", "alpha": "1/2", "mechanism": "all"},
        "buyer": {"family": "uniform", "low": 0, "high": 1},
        "seller": {"family": "uniform", "low": 1, "high": 2},
    },
)  # fmt: skip
