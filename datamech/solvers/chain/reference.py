"""Algorithms 1-3 of the paper as written (App. B), O(n^2 L^4): the yardstick.

For every player i (backward), seller value w_k and candidate price u(i+1, k') this runs
Algorithm 3's forward dynamic program over trades i+1..n.  The only change from the
printed algorithm is the spec's index fix: the transition into player i+1 is Q_{i+1}
(Algorithm 1 line 9 and Eq. 24 print q_{i,k,l}).  Ties and acceptance follow the same
rules as the fast solver (:mod:`.core`).
"""

from __future__ import annotations

import numpy as np

from ...progress import progress
from .core import Arithmetic, acceptance, candidate_mask, choose_prices


def solve_reference(model, rule: str, ar: Arithmetic, W, Qs, T, progress_bar: bool = False):
    """Returns (u, p, r, ties) exactly as the fast solver does (``progress_bar``: on stderr)."""
    n, L = model.n, W.shape[0]
    u = [None] * (n + 1)
    p = [None] * n
    r = [None] * n
    M = [None] * (n + 1)  # M[j] = Q_j o acceptance of trade j, known once p_{j-1} is
    u[n] = W.copy()
    ties = 0
    stages = range(n - 1, -1, -1)
    if progress_bar:
        stages = progress(stages, total=n, desc="equilibrium (reference)", unit="player")
    for i in stages:
        Q = Qs[i]
        thr = u[i + 1]
        # Algorithm 2, line 2: nonnegative candidate prices, in grid-index order
        cand = list(np.flatnonzero(candidate_mask(thr, ar)))
        u[i], p[i], r[i] = W.copy(), ar.zeros(L), ar.zeros(L)
        if cand:
            prices = np.array(
                [thr[l] if ar.exact else max(thr[l], 0.0) for l in cand], dtype=W.dtype
            )
            for k in range(L):
                # Algorithm 3 per candidate: (gain, continuation welfare)
                evals = [_expected_utility(i, k, c, W, Qs, T, u, M, r, ar, n) for c in prices]
                V = np.array([[g for g, _ in evals]], dtype=W.dtype)
                C = np.array([[w for _, w in evals]], dtype=W.dtype)
                idx, tied = choose_prices(V, prices, rule, ar, C)
                j = int(idx[0])
                p[i][k] = prices[j]
                u[i][k] = V[0, j]
                ind = acceptance(thr, prices[j : j + 1], ar)[0]
                r[i][k] = prices[j] * np.sum(Q[k] * ind)  # Eq. 18, with Q_{i+1}
                ties += int(tied[0])
        M[i + 1] = Q * acceptance(u[i + 1], p[i], ar)
    return u, p, r, ties


def _expected_utility(i, k, c, W, Qs, T, u, M, r, ar, n):
    """Algorithm 3: gain of player i with value w_k posting price c.

    Also returns the continuation welfare along the same forward DP (the buyers' values
    minus the price shares that leave the chain), used only by the welfare tie rules.
    """
    ind = acceptance(u[i + 1], np.array([c], dtype=W.dtype), ar)[0]
    s = Qs[i][k] * ind  # s(i+1, l), line 3
    success = np.sum(Qs[i][k] * ind)  # line 13
    one_shot = W[k] + T[i, i] * c * success  # line 14
    future = 0 * one_shot
    welfare = np.sum(s * W) - (1 - T[i].sum()) * c * success
    for j in range(i + 1, n):  # trades j+1 = i+2..n
        future = future + np.sum(s * T[j, i] * r[j])  # line 15, term j
        welfare = welfare - (1 - T[j].sum()) * np.sum(s * r[j])
        # lines 6-9: s(j+1, .).  The printed loop stops at s(n-1, .), enough for the
        # transfers; the welfare also needs s(n, .), the last buyer's value.
        s = s @ M[j + 1]
        welfare = welfare + np.sum(s * W)
    return one_shot + future, welfare
