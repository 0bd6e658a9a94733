"""Border's inequalities for single-item interim rules: exact separation, priority orders.

For independent bidders an interim rule ``X_i(t)`` comes from an ex-post allocation iff
for all subsets ``S_i`` of types (spec §4; Border 1991, 2007)

    V(S) = sum_i sum_{t in S_i} f_i(t) X_i(t) - (1 - prod_i (1 - F_i(S_i))) <= 0.

Separation (the most violated family).  Given the other agents' sets, ``V`` is
``const + sum_{t in S_i} f_i(t) (X_i(t) - prod_{j != i} A_j)`` with ``A_j = 1 - F_j(S_j)``,
so an optimal ``S_i`` is a top set of agent i's types by ``X_i``: ``S`` is a vector of
prefix lengths ``c_i``.  A common threshold on ``X`` is not enough when bidders differ
(the thresholds ``prod_{j != i} A_j`` differ by agent).  Write ``prod_i A_i = exp(s)``,
``s = sum_i a_i(c_i)``, ``a_i(c) = log(1 - F_i(top c))``, and use
``exp(s) = max_mu (mu s - mu log mu + mu)``: for a fixed ``mu`` the problem separates,
agent i taking the ``c`` on the upper envelope of the lines ``Z_i(c) + mu a_i(c)``
(``Z_i(c)`` the top-c sum of ``f X``).  At ``mu* = exp(s*)`` of an optimum the separable
maximizer is optimal too, so sweeping ``mu`` over the envelopes' breakpoints (at most
``sum_i K_i`` states, nested sets) finds the exact maximum of ``V``.

The right side is a coverage probability, a submodular function of the set of (agent,
type) pairs; the feasible ``z = f X`` form its polymatroid, whose vertices are priority
orders (the item goes to the first listed pair present).

>>> import numpy as np
>>> agent, f = np.array([0, 0, 1, 1]), np.array([0.5, 0.5, 0.5, 0.5])
>>> v, cuts = separate(np.array([1.0, 0.0, 1.0, 0.0]), agent, f, 2)   # both top types win
>>> round(v, 12), sorted(cuts[0].tolist())
(0.25, [0, 2])
>>> priority_vector(np.array([0, 2, 1, 3]), agent, f, 2).tolist()
[1.0, 0.5, 0.5, 0.0]
"""

from __future__ import annotations

import numpy as np

__all__ = ["coverage", "priority_vector", "separate", "sweep"]


def _envelope(Z: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Upper envelope of the lines ``Z[c] + mu a[c]`` over ``mu > 0``.

    Returns the prefix lengths on the envelope, from small ``mu`` to large (``c``
    decreasing), and the ``mu`` at which each one takes over from the previous.
    """
    Z, a = np.asarray(Z, dtype=float).tolist(), np.asarray(a, dtype=float).tolist()
    # at mu -> 0+ the largest Z wins (ties: the largest slope a, i.e. the smallest c)
    lines = sorted(range(len(Z)), key=lambda c: (a[c], Z[c]))  # slope increasing
    hull: list[int] = []
    for c in lines:
        if hull and a[hull[-1]] == a[c]:
            if Z[c] <= Z[hull[-1]]:
                continue
            hull.pop()
        while len(hull) >= 2:
            c1, c2 = hull[-2], hull[-1]
            # c2 is useless if c takes over from c1 no later than c2 does
            x12 = (Z[c1] - Z[c2]) / (a[c2] - a[c1])
            x13 = (Z[c1] - Z[c]) / (a[c] - a[c1])
            if x13 <= x12:
                hull.pop()
            else:
                break
        hull.append(c)
    # drop the lines that win only at mu < 0
    while len(hull) >= 2 and (Z[hull[0]] - Z[hull[1]]) / (a[hull[1]] - a[hull[0]]) <= 0:
        hull.pop(0)
    starts = [0.0] + [
        (Z[hull[k - 1]] - Z[hull[k]]) / (a[hull[k]] - a[hull[k - 1]]) for k in range(1, len(hull))
    ]
    return np.array(hull, dtype=int), np.array(starts)


def sweep(x: np.ndarray, agent: np.ndarray, f: np.ndarray, n: int, orders=None):
    """The nested candidate sets of the mu-sweep (module docstring) with their ``V``.

    Returns ``(orders, states, values)``: ``orders[i]`` agent i's pair indices sorted by
    ``x`` decreasing (or the orders given, e.g. by type when ``x`` is monotone in the
    type); ``states`` an array (states x n) of prefix lengths, sets shrinking from the
    first state to the last; ``values`` the violation ``V`` of each state.
    """
    given = orders
    orders, Zs, As, envs = [], [], [], []
    events = []
    for i in range(n):
        if given is not None:
            idx = np.asarray(given[i])
        else:
            idx = np.flatnonzero(agent == i)
            idx = idx[np.argsort(-x[idx], kind="stable")]
        orders.append(idx)
        Z = np.concatenate([[0.0], np.cumsum(f[idx] * x[idx])])
        F = np.concatenate([[0.0], np.cumsum(f[idx])])
        with np.errstate(divide="ignore"):
            A = np.where(F >= 1 - 1e-15, -np.inf, np.log1p(-np.minimum(F, 1.0)))
        finite = np.isfinite(A)
        hull, starts = _envelope(Z[finite], A[finite])
        cs = np.flatnonzero(finite)[hull]
        Zs.append(Z)
        As.append(F)
        envs.append(cs)
        for k in range(1, len(cs)):
            events.append((starts[k], i, cs[k]))
    state = np.array([envs[i][0] for i in range(n)], dtype=int)
    # include each agent's full set at mu = 0 when it is not on the envelope (F = 1)
    full = np.array([len(o) for o in orders])
    states = [full.copy(), state.copy()]
    for _mu, i, c in sorted(events):
        state[i] = c
        states.append(state.copy())
    states = np.array(states)
    zsum = np.zeros(len(states))
    rest = np.ones(len(states))
    for i in range(n):
        zsum += Zs[i][states[:, i]]
        rest *= 1.0 - As[i][states[:, i]]
    values = zsum - (1.0 - rest)
    return orders, states, values


def separate(
    x: np.ndarray, agent: np.ndarray, f: np.ndarray, n: int, tol: float = 1e-9, cuts: int = 8
) -> tuple[float, list[np.ndarray]]:
    """The largest violation of Border's inequalities (exact separation by the sweep) and
    up to ``cuts`` violated sets (pair indices) to add as rows, most violated first."""
    orders, states, values = sweep(x, agent, f, n)
    worst = float(np.max(values)) if len(values) else 0.0
    if worst <= tol:
        return worst, []
    chosen = np.argsort(-values, kind="stable")
    out, seen = [], set()
    for s in chosen:
        if values[s] <= tol or len(out) >= cuts:
            break
        key = tuple(states[s])
        if key in seen:
            continue
        seen.add(key)
        out.append(np.concatenate([orders[i][: states[s][i]] for i in range(n)]))
    return worst, out


def coverage(members: np.ndarray, agent: np.ndarray, f: np.ndarray, n: int) -> float:
    """Border's right side for a set of pairs: 1 - prod_i (1 - F_i(S_i))."""
    mass = np.bincount(agent[members], weights=f[members], minlength=n)
    return float(1.0 - np.prod(np.clip(1.0 - mass, 0.0, 1.0)))


def priority_vector(order: np.ndarray, agent: np.ndarray, f: np.ndarray, n: int) -> np.ndarray:
    """The interim allocation of a priority order (floats): pair (i, t) listed at position
    s wins when no other agent's type listed before it is present,
    ``X_i(t) = prod_{j != i} (1 - F_j(before s))``; unlisted pairs never win."""
    out = np.zeros(len(agent))
    if len(order) == 0:
        return out
    a, fs = agent[order], f[order]
    after = np.empty(len(order))
    for i in range(n):
        m = a == i
        after[m] = np.cumsum(fs[m])
    before = after - fs
    with np.errstate(divide="ignore", invalid="ignore"):
        la = np.where(after >= 1 - 1e-15, -np.inf, np.log1p(-np.minimum(after, 1.0)))
        lb = np.log1p(-np.minimum(before, 1.0))
    cum = np.concatenate([[0.0], np.cumsum(la - lb)[:-1]])
    out[order] = np.exp(cum - lb)
    return out
