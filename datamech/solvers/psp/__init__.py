"""Solvers for the PSP data exchange (seed 002, spec ``psp-exchange.md``).

* :mod:`.auction` — one local PSP auction (eqs. 1–4, 20; tie rules; reserve bid);
* :mod:`.market` — the multi-seller market, batched utilities, truthful ε-best reply;
* :mod:`.strategies` — other replies: the draft's equal split, participation costs ϱ,
  the shadow-price remedy for partially linked markets; :func:`make_market`;
* :mod:`.route` — the route market (links and routes, θ of the thinnest link, spec §2.10);
* :mod:`.mpf` — market price functions as step functions (route and equal-split prices);
* :mod:`.dynamics` — asynchronous / round-robin / synchronous bidding rounds;
* :mod:`.books`, :mod:`.kernel` — per-seller order books, the compiled fast path;
* :mod:`.draft` — the draft's own rules (spec §2.6);
* :mod:`.centralized` — the welfare-maximizing allocation in cvxpy (B1), network utility
  maximization for routes (B3), clearing price;
* :mod:`.equilibrium` — independent ε-Nash check (a :class:`~datamech.results.Certificate`);
* :mod:`.options` — the kind's methods and options (:data:`OPTIONS`);
* :mod:`.solve`, :mod:`.result`, :mod:`.plots` — :func:`solve_model`, :class:`PSPResult`
  and its convergence figures.

Examples
--------
>>> import datamech as dm
>>> res = dm.solve(dm.load("examples/models/psp_elastic.toml"))
>>> res.status.value, res.efficiency > 0.99, res.eps_nash.ok
('evaluated', True, True)
"""

from __future__ import annotations

from .auction import (
    AuctionOutcome,
    StepFunction,
    allocate,
    available_quantity,
    check_tie_break,
    check_tie_rule,
    clear_auction,
    exclusion_costs,
    market_price_function,
    psp_allocation,
    psp_costs,
)
from .centralized import (
    Benchmark,
    efficient_allocation,
    market_clearing_price,
    route_allocation,
)
from .draft import DraftRun, default_draft_steps, draft_payments, simulate_draft
from .dynamics import Simulation, default_max_iterations, simulate, warm_start
from .equilibrium import best_deviation_value, check_eps_nash
from .market import Market, Outcome
from .mpf import price_steps
from .options import OPTIONS
from .result import PSPResult
from .route import RouteMarket
from .solve import (
    competitive_ratios,
    estimate_bytes,
    loss_bound,
    pooled_model,
    price_dispersion,
    solve_model,
)
from .strategies import StrategyMarket, make_market

__all__ = [
    "OPTIONS",
    "AuctionOutcome",
    "Benchmark",
    "DraftRun",
    "Market",
    "Outcome",
    "PSPResult",
    "RouteMarket",
    "Simulation",
    "StepFunction",
    "StrategyMarket",
    "allocate",
    "available_quantity",
    "best_deviation_value",
    "check_eps_nash",
    "check_tie_break",
    "check_tie_rule",
    "clear_auction",
    "competitive_ratios",
    "default_draft_steps",
    "default_max_iterations",
    "draft_payments",
    "efficient_allocation",
    "estimate_bytes",
    "exclusion_costs",
    "loss_bound",
    "make_market",
    "market_clearing_price",
    "market_price_function",
    "pooled_model",
    "price_dispersion",
    "price_steps",
    "psp_allocation",
    "psp_costs",
    "route_allocation",
    "simulate",
    "simulate_draft",
    "solve_model",
    "warm_start",
]
