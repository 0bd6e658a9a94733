"""Equilibrium verifier: exact best responses by an independent method (Eq. 8-9).

Given a chain model and any strategy profile on its grid (thresholds u_i(w_k) for
players 0..n and prices p_i(w_k) for players 0..n-1) the verifier evaluates each
seller's gain g_i(w_k, c) of Eq. (8) for every candidate price c (the nonnegative
thresholds of the next buyer, and 0: by App. C.3 a best response over all c >= 0 lies
there, for any profile, because only x_{i+1} depends on p_i) and reports the largest
violation of Eq. (9):

* price: max_c g_i(w_k, c) - g_i(w_k, p_i(w_k))   (>= 0; 0 at an equilibrium)
* threshold: |u_i(w_k) - g_i(w_k, p_i(w_k))|        (and |u_n(w_k) - w_k| for player n)

Two independent evaluations of g, neither shared with the solvers:

* ``"backward"``: the expected future transfers to player i, h_j(l) = E[sum of t_{m,i}
  p_{m-1} over trades m > j | v_j = w_l, trade j happened], by the plain recursion
  h_j(l) = sum_l' Q_{j+1}[l, l'] 1{u_{j+1}(l') >= p_j(l)} (t_{j+1,i} p_j(l) + h_{j+1}(l')),
  then g_i(w_k, c) = w_k + sum_l Q_{i+1}[k, l] 1{u_{i+1}(l) >= c} (t_{i+1,i} c + h_{i+1}(l)),
  each candidate evaluated directly: O(n (n L^2 + L^3)).
* ``"enumerate"``: every valuation path v_{i+1..n} with its probability, the game of
  Def. 2.4 played on it: exponential, for small chains (at most ``max_paths`` paths).

>>> from datamech.models.chain import paper_model
>>> from datamech.solvers.chain import solve_equilibrium
>>> m = paper_model(2, n=3, mechanism="AVE")
>>> eq = solve_equilibrium(m, exact=True)
>>> check = verify_equilibrium(m, eq.thresholds, eq.prices, exact=True)
>>> check.ok, check.max_violation
(True, Fraction(0, 1))
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ...errors import ModelError
from ...models.chain import ChainModel
from ...numeric import read_array, read_number
from ...results import Certificate
from .core import arithmetic, model_arrays, to_float

VERIFY_METHODS = ("backward", "enumerate")


@dataclass(frozen=True, repr=False)
class EquilibriumCheck(Certificate):
    """Largest violations of Eq. (9) for a strategy profile: the chain's :class:`Certificate`.

    ``ok`` says every violation is at most ``tolerance`` (exactly 0 in exact mode);
    ``max_violation`` is the largest.  Per player: ``price_violation[i]`` (sellers
    0..n-1) and ``threshold_violation[i]`` (players 0..n), the largest over grid values;
    ``worst`` is (player, grid index, "price" or "threshold"), also in ``detail``;
    ``best_gain[i, k]`` = max_c g_i(w_k, c).

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.
    """

    price_violation: np.ndarray | None = None  # players 0..n-1
    threshold_violation: np.ndarray | None = None  # players 0..n
    worst: tuple = ()
    best_gain: np.ndarray | None = None  # (n, L): max_c g_i(w_k, c)
    exact: bool = False

    _skip_fields = ("best_gain",)

    def to_frame(self):
        """Per player: the largest price and threshold violations of Eq. (9)."""
        import pandas as pd

        n = len(self.threshold_violation) - 1
        return pd.DataFrame(
            {
                "player": range(n + 1),
                "price_violation": [*map(to_float, self.price_violation), None],
                "threshold_violation": [to_float(x) for x in self.threshold_violation],
            }
        )


def verify_equilibrium(
    model: ChainModel,
    thresholds,
    prices,
    *,
    exact: bool = False,
    tol: float | None = None,
    method: str = "backward",
    max_paths: int = 200_000,
    tolerance: float = 1e-9,
) -> EquilibriumCheck:
    """Check a strategy profile against Eq. (9) by exact best responses.

    Parameters
    ----------
    model : ChainModel
    thresholds : array (n+1, L)
        u_i(w_k) for players 0..n.
    prices : array (n, L)
        p_i(w_k) >= 0 for players 0..n-1.
    exact, tol :
        Arithmetic and buyers' acceptance rule, as in ``solve_equilibrium``.
    method : {"backward", "enumerate"}
    max_paths : int
        Largest number of valuation paths ``"enumerate"`` may visit.
    tolerance : float
        Float mode: the violation ``ok`` allows (exact mode allows none).

    Returns
    -------
    EquilibriumCheck
        A :class:`datamech.results.Certificate` with the per-player violations.

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.
    """
    if method not in VERIFY_METHODS:
        raise ModelError(
            "method", f"unknown verifier {method!r} (known: {', '.join(VERIFY_METHODS)})"
        )
    ar = arithmetic(exact, tol)
    tolerance = 0.0 if ar.exact else float(read_number(tolerance, "tolerance", low=0))
    W, Qs, T = model_arrays(model, ar)
    n, L = model.n, model.L
    u = _profile_array(thresholds, (n + 1, L), "thresholds", ar.exact)
    p = _profile_array(prices, (n, L), "prices", ar.exact)
    if any(x < 0 for x in p.flat):
        raise ModelError("prices", "prices must be nonnegative")

    def accepts(threshold, price) -> bool:
        if ar.exact or ar.tol == 0:
            return threshold >= price
        return threshold >= price - ar.tol * max(1.0, abs(price))

    if method == "enumerate":
        paths = sum(L ** (n - i) for i in range(n))
        if paths > max_paths:
            raise ModelError(
                "method", f"enumeration would visit {paths} paths (max_paths = {max_paths})"
            )
    zero = Fraction(0) if ar.exact else 0.0
    price_viol = np.full(n, zero, dtype=object if ar.exact else float)
    thr_viol = np.full(n + 1, zero, dtype=object if ar.exact else float)
    best_all = np.full((n, L), zero, dtype=object if ar.exact else float)
    worst, worst_val = (n, 0, "threshold"), None
    for k in range(L):
        d = abs(u[n, k] - W[k])
        if d > thr_viol[n]:
            thr_viol[n] = d
        if worst_val is None or d > worst_val:
            worst, worst_val = (n, k, "threshold"), d
    for i in range(n):
        if method == "backward":
            gain = _backward_gain(i, W, Qs, T, u, p, accepts, zero)
        else:
            gain = _enumerated_gain(i, W, Qs, T, u, p, accepts, zero, n)
        cands = [zero] + [c for c in u[i + 1] if c >= 0]
        for k in range(L):
            own = gain(k, p[i, k])
            best = max(gain(k, c) for c in cands)
            best_all[i, k] = best
            dv = best - own
            dt = abs(u[i, k] - own)
            price_viol[i] = max(price_viol[i], dv)
            thr_viol[i] = max(thr_viol[i], dt)
            for val, kind in ((dv, "price"), (dt, "threshold")):
                if val > worst_val:
                    worst, worst_val = (i, k, kind), val
    max_v = max(max(price_viol), max(thr_viol))
    return EquilibriumCheck(
        ok=bool(max_v == 0 if ar.exact else float(max_v) <= tolerance),
        max_violation=max_v,
        tolerance=tolerance,
        method=method,
        detail={"worst_player": worst[0], "worst_value_index": worst[1], "worst": worst[2]},
        price_violation=price_viol,
        threshold_violation=thr_viol,
        worst=worst,
        best_gain=best_all,
        exact=ar.exact,
    )


def _profile_array(a, shape, field_name: str, exact: bool) -> np.ndarray:
    arr = read_array(a, field_name, exact=exact)
    if arr.shape != shape:
        raise ModelError(field_name, f"must have shape {shape}, got {arr.shape}")
    return arr


def _backward_gain(i, W, Qs, T, u, p, accepts, zero):
    """g_i(w_k, c) by the plain backward recursion over expected future transfers."""
    n, L = T.shape[0], W.shape[0]
    h = [zero] * L  # h_n = 0
    for j in range(n - 1, i, -1):  # h_j from h_{j+1}; trade j+1 at price p_j
        Q = Qs[j]
        share = T[j, i]
        h = [
            sum(
                (
                    Q[l, m] * (share * p[j, l] + h[m])
                    for m in range(L)
                    if accepts(u[j + 1, m], p[j, l])
                ),
                zero,
            )
            for l in range(L)
        ]
    Q = Qs[i]
    own_share = T[i, i]

    def gain(k, c):
        return W[k] + sum(
            (Q[k, l] * (own_share * c + h[l]) for l in range(L) if accepts(u[i + 1, l], c)), zero
        )

    return gain


def _enumerated_gain(i, W, Qs, T, u, p, accepts, zero, n):
    """g_i(w_k, c) by enumerating every valuation path v_{i+1..n} (Eq. 8 read literally)."""
    L = W.shape[0]

    def gain(k, c):
        total = zero
        for path in itertools.product(range(L), repeat=n - i):
            prob = Qs[i][k, path[0]]
            prev = path[0]
            for j, nxt in enumerate(path[1:], start=i + 2):
                prob = prob * Qs[j - 1][prev, nxt]
                prev = nxt
            if prob == 0:
                continue
            # play: price c to player i+1, then the profile's prices downstream
            transfers = zero
            price, seller = c, k
            for step, buyer in enumerate(path):
                j = i + 1 + step  # trade j: player j-1 sells to player j
                if not accepts(u[j, buyer], price):
                    break
                transfers = transfers + T[j - 1, i] * price
                if j < n:
                    price, seller = p[j, buyer], buyer
            total = total + prob * transfers
        del seller
        return W[k] + total

    return gain
