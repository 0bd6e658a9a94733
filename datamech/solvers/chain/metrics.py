"""Exact equilibrium metrics by one forward pass over the grid (no sampling).

With a(l) = P(v_i = w_l and trades 1..i happened) the pass is a <- a (Q_i o A_i), where
A_i[k, l] = 1{u_i(w_l) >= p_{i-1}(w_k)}.  From it: per-trade success probabilities,
transaction volume, expected values, payments E[p_{i-1} y_i], reallocated transfers
sum_i t_ij E[p_{i-1} y_i], per-player utility (Eq. 2) and social welfare sum_i U_i.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ...models.chain import ChainModel
from .core import Arithmetic, acceptance, model_arrays


@dataclass(frozen=True)
class ChainMetrics:
    """Expected outcomes of a strategy profile (exact, Fractions in exact mode)."""

    social_welfare: float | Fraction
    transaction_volume: float | Fraction
    trade_success: np.ndarray  # P(trade i happens), i = 1..n
    trade_success_conditional: np.ndarray  # P(trade i | trade i-1 happened)
    player_utility: np.ndarray  # E[U_i], i = 0..n
    expected_value: np.ndarray  # E[v_i y_i], i = 0..n (y_0 = 1)
    expected_payment: np.ndarray  # E[p_{i-1} y_i], i = 0..n (player 0 pays nothing)
    transfers_received: np.ndarray  # E[sum_j t_ji p_{j-1} y_j], i = 0..n


def compute_metrics(model: ChainModel, thresholds, prices, ar: Arithmetic) -> ChainMetrics:
    """Metrics of the profile (thresholds u_0..u_n, prices p_0..p_{n-1}) on ``model``."""
    W, Qs, T = model_arrays(model, ar)
    n = model.n
    a = model.start_law(exact=ar.exact)
    ev = ar.zeros(n + 1)
    pay = ar.zeros(n + 1)
    succ = ar.zeros(n)
    ev[0] = np.dot(a, W)
    for i in range(1, n + 1):
        M = Qs[i - 1] * acceptance(np.asarray(thresholds[i]), np.asarray(prices[i - 1]), ar)
        pay[i] = np.dot(a * np.asarray(prices[i - 1]), M.sum(axis=1))
        a = a @ M
        succ[i - 1] = a.sum()
        ev[i] = np.dot(a, W)
    transfers = pay[1:] @ T  # column j: sum_i t_ij E[p_{i-1} y_i]
    utility = ev - pay + transfers
    cond = ar.zeros(n)
    prev = Fraction(1) if ar.exact else 1.0
    for i in range(n):
        cond[i] = succ[i] / prev if prev != 0 else 0 * prev
        prev = succ[i]
    return ChainMetrics(
        social_welfare=utility.sum(),
        transaction_volume=succ.sum(),
        trade_success=succ,
        trade_success_conditional=cond,
        player_utility=utility,
        expected_value=ev,
        expected_payment=pay,
        transfers_received=transfers,
    )
