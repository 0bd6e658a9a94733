"""The psp kind's methods and solver options, declared once (``datamech options psp``).

The market's own rules (tie break, schedule, seed, iteration cap) are model fields; the
options of the same names override them for one solve (``None``: the model's value).

>>> OPTIONS.resolve({"tie_break": "strict"})["tie_break"]
'strict'
>>> sorted(OPTIONS.methods)
['draft', 'dynamics']
"""

from __future__ import annotations

from ...models.psp import SCHEDULES, TIE_BREAKS
from ...options import Option, OptionSet
from .strategies import REMEDIES, SPLITS

WINNERS = ("all", "one")
INITIAL_PRICES = ("given", "epsilon", "iid_uniform")
#: Which competitive ratios a solve measures (spec §2.10, G1).
RATIOS = ("welfare", "time", "all")

OPTIONS = OptionSet(
    "psp",
    methods={
        "dynamics": "PSP truthful ε-best-reply dynamics on the local auctions (Lazar-Semret), "
        "then the independent 2ε-Nash check",
        "draft": "the draft's own rules: opt-out split and seller progressive allocation "
        "(the PSP draft, Section 3.4)",
    },
    options=(
        Option(
            "tie_break",
            "str",
            None,
            "tie rule of the local auctions (default: the model's tie_break)",
            choices=TIE_BREAKS,
            deprecated=("tie_rule",),
        ),
        Option(
            "schedule",
            "str",
            None,
            "bidding order (default: the model's schedule)",
            choices=SCHEDULES,
            methods=("dynamics",),
        ),
        Option("seed", "int", None, "seed (default: the model's seed)", low=0, high=2**63 - 1),
        Option(
            "max_iterations",
            "int",
            None,
            "cap on passes (draft: time steps); default: the model's max_iterations, else "
            "derived from epsilon (docs/psp.md)",
            low=1,
            high=10**12,
            deprecated=("max_rounds",),
        ),
        Option(
            "time_limit",
            "float",
            None,
            "wall-clock seconds for the dynamics (checked after each pass)",
            low=0,
            deprecated=("max_seconds",),
        ),
        Option(
            "warm_start",
            "bool",
            False,
            "start from the truthful bids at the centralized optimum",
            methods=("dynamics",),
        ),
        Option(
            "check_nash",
            "bool",
            True,
            "run the independent 2ε-Nash check of the final bids",
            methods=("dynamics",),
        ),
        Option(
            "nash_sample",
            "int",
            200,
            "check at most this many buyers (a seeded sample)",
            low=1,
            high=10**9,
            methods=("dynamics",),
        ),
        Option(
            "backend",
            "str",
            "cvxpy",
            "modelling layer of the welfare benchmark (B1; B3 for a route market)",
        ),
        Option(
            "solver",
            "str",
            None,
            "numerical solver of the benchmark: highs, clarabel, ... (default HiGHS for "
            "linear valuations, Clarabel otherwise)",
        ),
        Option(
            "split",
            "str",
            "greedy",
            "how a buyer splits its reply over sellers: greedy (cheapest units first, "
            "R-MPF) or equal (the draft's coordinated bid: the same quantity and price on "
            "the pool of eq. 22); data market only",
            choices=SPLITS,
            methods=("dynamics",),
        ),
        Option(
            "remedy",
            "str",
            "none",
            "shadow_price: each seller's bid priced at the buyer's own value of that "
            "seller's units (data market: the cost of replacing them elsewhere + epsilon; "
            "route market: the route value minus the other links' prices + epsilon)",
            choices=REMEDIES,
            methods=("dynamics",),
        ),
        Option(
            "competitive_ratio",
            "str",
            "time",
            "what the result's competitive_ratio measures: welfare (W/W*), time (also "
            "rounds against one pooled PSP auction: a second run of the dynamics), all "
            "(also against the route market on the same graph: a third run)",
            choices=RATIOS,
        ),
        Option(
            "winners_per_step",
            "str",
            "all",
            "draft: confirm all fully offered bids per step, or only the highest (eq. 28)",
            choices=WINNERS,
            methods=("draft",),
        ),
        Option(
            "isp_fallback",
            "bool",
            True,
            "draft: buy a shortfall from the ISP at p_kappa instead of waiting",
            methods=("draft",),
        ),
        Option(
            "initial_prices",
            "str",
            None,
            "draft: first bid prices (default: given if the model has them, else iid_uniform "
            "on [epsilon, p_kappa])",
            choices=INITIAL_PRICES,
            methods=("draft",),
        ),
    ),
)
