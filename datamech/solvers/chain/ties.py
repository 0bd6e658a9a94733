"""Tie robustness: a mechanism's equilibrium under optimistic and adversarial seller ties.

Sellers who keep nothing of their sale are indifferent among prices; the paper's rule
(first candidate) then maximizes trade, and OPT leans on it.  Here every
seller breaks ties by continuation welfare, backward: ``welfare_max`` (optimistic) and
``welfare_min`` (adversarial).

>>> from datamech.models.chain import paper_model
>>> r = tie_robustness(paper_model(2, 3, "AVE"))
>>> r.optimistic >= r.pessimistic, r.status
(True, <Status.EVALUATED: 'evaluated'>)
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ...models.chain import ChainModel
from ...results import Result
from ...status import Status
from .core import to_float
from .equilibrium import solve_equilibrium

__all__ = ["TieRobustness", "tie_robustness"]


@dataclass(frozen=True, repr=False)
class TieRobustness(Result):
    """Equilibrium welfare of one mechanism under optimistic and adversarial seller ties.

    ``optimistic`` uses ``tie_break="welfare_max"``, ``pessimistic`` ``"welfare_min"``
    (each seller, among her optimal prices, picks the one with the highest / lowest
    continuation welfare, backward); ``gap`` = optimistic - pessimistic.  The contract's
    headline is the adversarial welfare (``objective_name``
    ``"adversarial_social_welfare"``); ``status`` is ``evaluated`` (a given mechanism).
    Per trade and player: ``*_trade_success`` and ``*_player_utility`` of both rules.

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.
    """

    status: Status
    optimistic: float
    pessimistic: float
    gap: float
    optimistic_transaction_volume: float
    pessimistic_transaction_volume: float
    optimistic_trade_success: np.ndarray
    pessimistic_trade_success: np.ndarray
    optimistic_player_utility: np.ndarray
    pessimistic_player_utility: np.ndarray
    ties: int
    tol: float
    seconds: float
    method: str = "fast"
    backend: str = "none"
    solver: str = "none"

    _objective_field = "pessimistic"
    _objective_name = "adversarial_social_welfare"
    _summary_fields = ("optimistic", "gap")

    def to_frame(self):
        """Per player: utility under both rules, and the success of the trade into it."""
        import pandas as pd

        n = len(self.optimistic_trade_success)
        return pd.DataFrame(
            {
                "player": range(n + 1),
                "trade_success_optimistic": [None, *map(to_float, self.optimistic_trade_success)],
                "trade_success_adversarial": [
                    None,
                    *map(to_float, self.pessimistic_trade_success),
                ],
                "utility_optimistic": [to_float(x) for x in self.optimistic_player_utility],
                "utility_adversarial": [to_float(x) for x in self.pessimistic_player_utility],
            }
        )

    def plot(self, ax=None):
        """Figure-2-style bars of both tie rules side by side."""
        from .plots import plot_outcome

        series = {
            "optimistic ties": (self.optimistic_trade_success, self.optimistic_player_utility),
            "adversarial ties": (self.pessimistic_trade_success, self.pessimistic_player_utility),
        }
        title = (
            f"tie robustness: social welfare {self.optimistic:.4g} (optimistic) vs "
            f"{self.pessimistic:.4g} (adversarial)"
        )
        return plot_outcome(series, title=title, ax=ax)


def tie_robustness(model: ChainModel, tol: float | None = None) -> TieRobustness:
    """Welfare of ``model``'s mechanism under the optimistic and the adversarial tie rule.

    In float mode ties are gains within ``tol`` (default 1e-9, relative), so exact ties
    that rounding splits are still ties.  Rational models can be checked exactly by
    ``solve_equilibrium(..., exact=True, tie_break="welfare_min")``.

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.
    """
    t0 = time.perf_counter()
    hi = solve_equilibrium(model, tie_break="welfare_max", tol=tol)
    lo = solve_equilibrium(model, tie_break="welfare_min", tol=tol)
    return TieRobustness(
        status=Status.EVALUATED,
        optimistic=float(hi.social_welfare),
        pessimistic=float(lo.social_welfare),
        gap=float(hi.social_welfare) - float(lo.social_welfare),
        optimistic_transaction_volume=float(hi.transaction_volume),
        pessimistic_transaction_volume=float(lo.transaction_volume),
        optimistic_trade_success=hi.trade_success,
        pessimistic_trade_success=lo.trade_success,
        optimistic_player_utility=hi.player_utility,
        pessimistic_player_utility=lo.player_utility,
        ties=hi.ties,
        tol=hi.tol,
        seconds=time.perf_counter() - t0,
    )
