"""The fast exact equilibrium solver, O(n^2 L^2) (spec §3, "found"), batched over mechanisms.

Algorithm 3's forward DP is linear in its starting vector s(i+1, .), and the forward
recursion never depends on (k, k').  So the expected reallocated profit to player i from
trades i+2..n, given v_{i+1} = w_l and that trade i+1 happened, is one vector z_i over l:

    z_i = sum_{j=i+1}^{n-1} t_{j+1,i} M_{i+2} ... M_j r_j,   M_j = Q_j o 1{u_j >= p_{j-1}}

and player i's gain for price c = u(i+1, k') is (Eq. 19-21)

    g_i(w_k, c) = w_k + t_{i+1,i} c S(k, c) + sum_{l: u(i+1,l) >= c} Q_{i+1}[k, l] z_i[l],

with S(k, c) the success probability.  Sorting u(i+1, .) once makes both sums prefix sums
(cumulative sums along the sorted order), so all (k, c) pairs cost O(L^2) per player.
The vectors z_m for every m < i are updated together as a matrix, Y <- r_i t_{i+1,.} +
M_{i+1} Y, one BLAS-3 product per stage.

Every array carries a leading batch axis over reallocation matrices t (the grid and
transitions are shared), so many mechanisms are solved at once (the OPT searches);
a single solve is a batch of one.  The same sweep evaluates the gains of any given
strategy profile (used by the FPTAS's a-posteriori check).
"""

from __future__ import annotations

import numpy as np

from ...progress import progress
from .core import WELFARE_RULES, Arithmetic, acceptance, candidate_mask, choose_prices


def _take(A, idx):
    """A[b, k, idx[b, k, j]] for 3-D A and idx (gather along the last axis)."""
    return np.take_along_axis(A, idx, axis=2)


def _gain_table(W, Q, thr, z, t_self, ar: Arithmetic, omega=None, leak=None):
    """Gains of every seller value at every candidate price, for a batch of mechanisms.

    thr, z : (B, L)   next buyer's thresholds; future transfers to the seller (z_i)
    t_self, leak : (B,)   t_{i+1,i}; the share of trade i+1's price leaving the chain

    Candidates are all L thresholds in grid-index order; those below 0 (or -tol) are
    invalid and get the gain w_k - 1, below every valid gain (valid gains are >= w_k).
    Returns (c, V, S, C, any_valid): prices (B, L); gains and success probabilities
    (B, L_seller, L_candidate); continuation welfare (same shape, only with ``omega``,
    the next player's welfare-to-go, else None); whether a batch has any valid price.
    """
    B, L = thr.shape
    valid = candidate_mask(thr, ar)
    c = thr if ar.exact else np.maximum(thr, 0.0)  # a threshold at -1e-17 is the price 0
    order = np.argsort(-thr, axis=1, kind="stable")
    lower = c - ar.slack(c) if not ar.exact else c
    # cnt[b, j]: buyers l with u(i+1, l) >= c_j (up to tolerance), a prefix of `order`
    cnt = (thr[:, None, :] >= lower[:, :, None]).sum(axis=2)
    gather = np.broadcast_to(np.maximum(cnt - 1, 0)[:, None, :], (B, L, L))
    Qs = Q[:, order].transpose(1, 0, 2)  # (B, L_seller, L_sorted)
    S = _take(np.cumsum(Qs, axis=2), gather)
    zs = np.take_along_axis(z, order, axis=1)
    G = _take(np.cumsum(Qs * zs[:, None, :], axis=2), gather)
    V = W[None, :, None] + t_self[:, None, None] * (c[:, None, :] * S) + G
    V = np.where(valid[:, None, :], V, (W - 1)[None, :, None])
    C = None
    if omega is not None:
        ws = np.take_along_axis(W[None, :] + omega, order, axis=1)
        C = _take(np.cumsum(Qs * ws[:, None, :], axis=2), gather)
        C = C - leak[:, None, None] * (c[:, None, :] * S)
    return c, V, S, C, valid.any(axis=1)


def solve_fast_batch(model, rule: str, ar: Arithmetic, W, Qs, Tb, progress_bar: bool = False):
    """Equilibria for a batch of reallocation matrices Tb (B, n, n+1).

    Returns (u, p, r, ties): lists over players of (B, L) arrays, ties per batch (B,).
    ``progress_bar``: show one (on stderr) over the backward stages.
    """
    n, L, B = model.n, W.shape[0], Tb.shape[0]
    u = [None] * (n + 1)
    p = [None] * n
    r = [None] * n
    u[n] = np.broadcast_to(W, (B, L)).copy()
    Y = ar.zeros((B, L, n))  # [:, :, m]: future transfers to player m (stage-relative)
    welfare_rule = rule in WELFARE_RULES
    omega = ar.zeros((B, L)) if welfare_rule else None  # welfare-to-go of player i+1
    ties = np.zeros(B, dtype=np.int64)
    stages = range(n - 1, -1, -1)
    if progress_bar:
        stages = progress(stages, total=n, desc="equilibrium", unit="player")
    for i in stages:
        Q = Qs[i]  # trade i+1: law of v_{i+1} given v_i
        leak = 1 - Tb[:, i, :].sum(axis=1)
        c, V, S, C, any_valid = _gain_table(
            W, Q, u[i + 1], Y[:, :, i], Tb[:, i, i], ar, omega, leak
        )
        Vf = V.reshape(B * L, L)
        Pf = np.broadcast_to(c[:, None, :], (B, L, L)).reshape(B * L, L)
        Cf = C.reshape(B * L, L) if C is not None else None
        idx, tied = choose_prices(Vf, Pf, rule, ar, Cf)
        idx = idx.reshape(B, L)
        pick = idx[:, :, None]
        p[i] = np.take_along_axis(c, idx, axis=1)
        u[i] = np.take_along_axis(V, pick, axis=2)[:, :, 0]
        r[i] = p[i] * np.take_along_axis(S, pick, axis=2)[:, :, 0]
        if welfare_rule:
            omega = np.take_along_axis(C, pick, axis=2)[:, :, 0]
        ties += tied.reshape(B, L).sum(axis=1)
        if not any_valid.all():  # Alg. 2 line 4: no nonnegative threshold, price 0
            none = ~any_valid
            u[i][none] = W
            p[i][none] = 0
            r[i][none] = 0
            ties[none] -= tied.reshape(B, L)[none].sum(axis=1)
            if welfare_rule:
                omega[none] = 0
        if i > 0:
            M = Q[None, :, :] * acceptance(u[i + 1], p[i], ar)
            Y[:, :, :i] = r[i][:, :, None] * Tb[:, i, None, :i] + M @ Y[:, :, :i]
    return u, p, r, ties


def solve_fast(model, rule: str, ar: Arithmetic, W, Qs, T, progress_bar: bool = False):
    """One equilibrium (a batch of one). Returns (u, p, r, ties) as lists of (L,) arrays."""
    u, p, r, ties = solve_fast_batch(model, rule, ar, W, Qs, T[None], progress_bar)
    return [x[0] for x in u], [x[0] for x in p], [x[0] for x in r], int(ties[0])


def profile_gains(model, thresholds, prices, ar: Arithmetic, W, Qs, T):
    """Best-response gains against a given profile (thresholds u_1..u_n, prices p_0..p_{n-1}).

    For every player i < n and grid value w_k returns the best gain max_c g_i(w_k, c) over
    the candidate prices and the gain of the profile's own price g_i(w_k, p_i(w_k)).
    """
    n, L = model.n, W.shape[0]
    Y = ar.zeros((L, n))
    best = [None] * n
    own = [None] * n
    for i in range(n - 1, -1, -1):
        Q = Qs[i]
        thr = np.asarray(thresholds[i + 1])
        M = Q * acceptance(thr, np.asarray(prices[i]), ar)
        S_own = M.sum(axis=1)
        z = Y[:, i]
        own[i] = W + T[i, i] * prices[i] * S_own + M @ z
        _, V, _, _, any_valid = _gain_table(W, Q, thr[None], z[None], T[i, i : i + 1], ar)
        # every valid candidate's gain is >= w_k, the no-sale value
        best[i] = V[0].max(axis=1) if any_valid[0] else W.copy()
        if i > 0:
            Y[:, :i] = np.outer(prices[i] * S_own, T[i, :i]) + M @ Y[:, :i]
    return best, own
