"""Bilateral data trade (Deng et al., Section 4): first best, second best, simple mechanisms,
payments.

One API for the paper's scaling model (``alpha`` in (0, 1): value v x^alpha, cost c x)
and the classic indivisible good (``alpha = 1`` or ``good="indivisible"``).

Layout: :mod:`.core` (weight rules, first and second best by the Lagrangian),
:mod:`.mechanisms` (SellerP, BuyerP, broker, posted price), :mod:`.payments` and
:mod:`.checks` (payments at realized types, IR/IC/budget certificates), the grid programs
(:mod:`.grids`, :mod:`.dsic`, :mod:`.bic`, gathered in :mod:`.programs`),
:mod:`.settings` (methods and options, :data:`OPTIONS`), :mod:`.result`, :mod:`.solve`
and :mod:`.plots`.

>>> from datamech.models.distributions import Uniform
>>> sb = second_best(Uniform(0, 1), Uniform(1, 2), alpha="1/2")
>>> round(sb.first_best, 10), round(sb.gains_from_trade, 10)
(0.057762265, 0.0567197698)
"""

from __future__ import annotations

from .checks import PROMISES, check_mechanism
from .core import (
    FirstBestResult,
    SecondBestResult,
    W,
    budget_surplus,
    first_best,
    gains_from_trade,
    second_best,
)
from .mechanisms import (
    MechanismResult,
    broker,
    buyer_proposing,
    posted_price,
    posted_price_gft,
    seller_proposing,
)
from .payments import PaymentResult, mechanism, payments
from .result import BilateralResult
from .settings import OPTIONS
from .solve import solve_bilateral, solve_model

__all__ = [
    "OPTIONS",
    "PROMISES",
    "BilateralResult",
    "FirstBestResult",
    "MechanismResult",
    "PaymentResult",
    "SecondBestResult",
    "W",
    "broker",
    "budget_surplus",
    "buyer_proposing",
    "check_mechanism",
    "first_best",
    "gains_from_trade",
    "mechanism",
    "payments",
    "posted_price",
    "posted_price_gft",
    "second_best",
    "seller_proposing",
    "solve_bilateral",
    "solve_model",
]
