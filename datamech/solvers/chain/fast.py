"""The fast exact equilibrium solver, O(n^2 L^2) (spec §3, "found").

Algorithm 3's forward DP is linear in its starting vector s(i+1, .), and the forward
recursion never depends on (k, k').  So the expected reallocated profit to player i from
trades i+2..n, given v_{i+1} = w_l and that trade i+1 happened, is one vector z_i over l:

    z_i = sum_{j=i+1}^{n-1} t_{j+1,i} M_{i+2} ... M_j r_j,   M_j = Q_j o 1{u_j >= p_{j-1}}

and player i's gain for price c = u(i+1, k') is (Eq. 19-21)

    g_i(w_k, c) = w_k + t_{i+1,i} c S(k, c) + sum_{l: u(i+1,l) >= c} Q_{i+1}[k, l] z_i[l],

with S(k, c) the success probability.  Sorting u(i+1, .) once makes both sums prefix sums
(cumulative sums along the sorted order), so all (k, c) pairs cost O(L^2) per player.
The vectors z_m for every m < i are updated together as a matrix, Y <- r_i t_{i+1,.} +
M_{i+1} Y, one BLAS-3 product per stage.  The same sweep evaluates the gains of any
given strategy profile (used by the FPTAS's a-posteriori check).
"""

from __future__ import annotations

import numpy as np

from .core import WELFARE_RULES, Arithmetic, acceptance, choose_prices


def _gain_table(W, Q, thr, z, t_self, ar: Arithmetic, omega=None, leak=0):
    """Gains of every seller value (rows) at every candidate price (cols, grid order).

    Returns (candidate prices, V, S, C) or None when no threshold is >= 0 (no buyer can
    ever accept a nonnegative price).  With ``omega`` (welfare-to-go of the next player,
    given that it bought) ``C`` is the continuation welfare of each (value, price): the
    buyers' values and their continuations, minus the share ``leak`` of the price that
    leaves the chain; otherwise C is None.
    """
    L = W.shape[0]
    if ar.exact or ar.tol == 0:
        cand = np.flatnonzero(thr >= 0)
    else:
        cand = np.flatnonzero(thr >= -ar.tol)
    if cand.size == 0:
        return None
    c = thr[cand]
    if not ar.exact:
        c = np.maximum(c, 0.0)  # a threshold at -1e-17 is the price 0
    order = np.argsort(-thr, kind="stable")
    asc = thr[order][::-1]
    # number of buyers values l with u(i+1, l) >= c, up to tolerance
    lower = c - ar.slack(c) if not ar.exact else c
    cnt = L - np.searchsorted(asc, lower, side="left")
    Qs = Q[:, order]
    CS = np.cumsum(Qs, axis=1)
    CZ = np.cumsum(Qs * z[order][None, :], axis=1)
    S = CS[:, cnt - 1]
    G = CZ[:, cnt - 1]
    V = W[:, None] + t_self * (c[None, :] * S) + G
    C = None
    if omega is not None:
        CW = np.cumsum(Qs * (W + omega)[order][None, :], axis=1)
        C = CW[:, cnt - 1] - leak * (c[None, :] * S)
    return c, V, S, C


def solve_fast(model, rule: str, ar: Arithmetic, W, Qs, T):
    """Backward induction with the z-vector recursion. Returns (u, p, r, ties)."""
    n, L = model.n, W.shape[0]
    u = [None] * (n + 1)
    p = [None] * n
    r = [None] * n
    u[n] = W.copy()
    Y = ar.zeros((L, n))  # column m: future reallocated profit to player m (stage-relative)
    welfare_rule = rule in WELFARE_RULES
    omega = ar.zeros(L) if welfare_rule else None  # welfare-to-go of player i+1
    ties = 0
    for i in range(n - 1, -1, -1):
        Q = Qs[i]  # trade i+1: law of v_{i+1} given v_i
        leak = 1 - T[i].sum()
        table = _gain_table(W, Q, u[i + 1], Y[:, i], T[i, i], ar, omega, leak)
        if table is None:
            u[i] = W.copy()
            p[i] = ar.zeros(L)
            r[i] = ar.zeros(L)
            if welfare_rule:
                omega = ar.zeros(L)
        else:
            c, V, S, C = table
            idx, tied = choose_prices(V, c, rule, ar, C)
            rows = np.arange(L)
            p[i] = c[idx]
            u[i] = V[rows, idx]
            r[i] = c[idx] * S[rows, idx]
            if welfare_rule:
                omega = C[rows, idx]
            ties += int(tied.sum())
        if i > 0:
            M = Q * acceptance(u[i + 1], p[i], ar)
            Y[:, :i] = np.outer(r[i], T[i, :i]) + M @ Y[:, :i]
    return u, p, r, ties


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
        thr = thresholds[i + 1]
        acc = acceptance(thr, prices[i], ar)
        S_own = (Q * acc).sum(axis=1)
        z = Y[:, i]
        own[i] = W + T[i, i] * prices[i] * S_own + (Q * acc) @ z
        table = _gain_table(W, Q, thr, z, T[i, i], ar)
        if table is None:
            best[i] = W.copy()
        else:
            V = table[1]
            best[i] = V.max(axis=1)  # every candidate gain is >= w_k, the no-sale value
        if i > 0:
            r_i = prices[i] * S_own
            M = Q * acc
            Y[:, :i] = np.outer(r_i, T[i, :i]) + M @ Y[:, :i]
    return best, own
