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
    """Expected outcomes of a strategy profile (exact, Fractions in exact mode).

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.
    """

    social_welfare: float | Fraction
    transaction_volume: float | Fraction
    trade_success: np.ndarray  # P(trade i happens), i = 1..n
    trade_success_conditional: np.ndarray  # P(trade i | trade i-1 happened)
    player_utility: np.ndarray  # E[U_i], i = 0..n
    expected_value: np.ndarray  # E[v_i y_i], i = 0..n (y_0 = 1)
    expected_payment: np.ndarray  # E[p_{i-1} y_i], i = 0..n (player 0 pays nothing)
    transfers_received: np.ndarray  # E[sum_j t_ji p_{j-1} y_j], i = 0..n


def compute_metrics(model: ChainModel, thresholds, prices, ar: Arithmetic) -> ChainMetrics:
    """Metrics of the profile (thresholds u_0..u_n, prices p_0..p_{n-1}) on ``model``.

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.
    """
    _, _, T = model_arrays(model, ar)
    u = [np.asarray(x)[None] for x in thresholds]
    p = [np.asarray(x)[None] for x in prices]
    out = batch_metrics(model, u, p, ar, T[None])
    return ChainMetrics(**{k: v[0] for k, v in out.items()})


def batch_metrics(model: ChainModel, u, p, ar: Arithmetic, Tb) -> dict:
    """Metrics of a batch of profiles (lists of (B, L) arrays) under mechanisms Tb (B, n, n+1).

    Returns a dict of the :class:`ChainMetrics` fields, each with a leading batch axis.
    """
    W, Qs, _ = model_arrays(model, ar)
    n, B = model.n, Tb.shape[0]
    a = np.broadcast_to(model.start_law(exact=ar.exact), (B, model.L))
    ev = ar.zeros((B, n + 1))
    pay = ar.zeros((B, n + 1))
    succ = ar.zeros((B, n))
    ev[:, 0] = a @ W
    for i in range(1, n + 1):
        M = Qs[i - 1][None] * acceptance(u[i], p[i - 1], ar)
        pay[:, i] = ((a * p[i - 1])[:, None, :] @ M.sum(axis=2)[:, :, None])[:, 0, 0]
        a = (a[:, None, :] @ M)[:, 0, :]
        succ[:, i - 1] = a.sum(axis=1)
        ev[:, i] = a @ W
    transfers = (pay[:, None, 1:] @ Tb)[:, 0, :]  # column j: sum_i t_ij E[p_{i-1} y_i]
    utility = ev - pay + transfers
    prev = np.concatenate(
        [np.full((B, 1), Fraction(1) if ar.exact else 1.0, dtype=succ.dtype), succ[:, :-1]], axis=1
    )
    safe = np.where(prev == 0, 1, prev)
    cond = np.where(prev == 0, 0 * succ, succ / safe)
    return {
        "social_welfare": utility.sum(axis=1),
        "transaction_volume": succ.sum(axis=1),
        "trade_success": succ,
        "trade_success_conditional": cond,
        "player_utility": utility,
        "expected_value": ev,
        "expected_payment": pay,
        "transfers_received": transfers,
    }
