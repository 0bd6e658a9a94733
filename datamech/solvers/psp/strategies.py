"""Buyer replies besides the greedy R-MPF split: equal split, participation cost, shadow prices.

:class:`StrategyMarket` is the data market (substitutes) with a choice of the reply the
dynamics send (solver options ``split`` and ``remedy``; a buyer's ``participation_cost``):

* ``split = "greedy"`` (default): :meth:`Market.best_reply`, cheapest units first
  across the buyer's sellers (spec §2.7, R-MPF).
* ``split = "equal"``: the draft's coordinated bid (spec §2.3, eqs. 22–24, 35): the pool
  I_i is the n sellers with the most data available to i, n = min{n : n·A_(n) >= D_i}
  (eq. 22; A_(n) the n-th largest available quantity, D_i the buyer's need), the same
  quantity z/n and the same price at each; the truthful quantity uses the marginal price
  of the total under that split, the average (1/n) Σ_{j ∈ I_i} P_i^j(z/n) (spec §2.2):

      v = [sup{z : θ_i'(z) > (1/n) Σ_j P_i^j(z/n)} − ε/θ_i'(0)]^+,  bid (v/n, θ_i'(v)) on I_i.

  A_j = D_i^j(θ_i'(0)), the units at j not claimed by opponents bidding θ_i'(0) or more
  (what i could buy there at any price it would pay) [R]; with no n satisfying (22) the
  pool is the n with the largest n·A_(n) (the largest equal split the sellers carry).
* participation cost ϱ_i > 0 (spec §1.4, the draft's eq. 14): every auction bid in costs
  ϱ_i, so the reply is the best, by u_i with ϱ, of the reply restricted to its k largest
  sellers (k = 1, 2, ..., recomputed on that subset) and no bid at all [R: a heuristic
  over nested subsets; the ε-Nash check searches every subset of up to 12 sellers].
* ``remedy = "shadow_price"``: the quantities of the reply, but at each seller j the
  price min(θ_i'(v), R_ij + ε), where R_ij = min_{k ≠ j} P_i^k(x_ik+) is what i would pay
  for the next unit at its other sellers (docs/psp.md, "Partially linked markets").
  A coordinated price θ_i'(v) at a seller whose units i can replace elsewhere for R_ij
  overstates what i loses when displaced there; bidding its own shadow price lets a
  buyer with no alternative displace it at the replacement cost.

Examples
--------
One buyer (θ = min(z, 16)) at two sellers of 10 units, reserves 0.1 and 0.3: its need 16
needs both sellers (eq. 22: 1·10 < 16 <= 2·10), so the equal split bids (16 − ε)/2 at
each at price 1, where the greedy reply takes all 10 units of the cheaper seller.

>>> from datamech.models.psp import PSPModel
>>> from datamech.models.psp_valuations import LinearCappedValuation as L
>>> m = PSPModel([10.0, 10.0], ("a",), (L(1.0, 16.0),), 0.01, reserve=[0.1, 0.3])
>>> mk = StrategyMarket(m, split="equal")
>>> q, p = mk.zero_profile()
>>> qi, pi = mk.reply(0, q, p)
>>> qi.tolist(), pi.tolist()
([7.995, 7.995], [1.0, 1.0])
>>> [x.round(6).tolist() for x in StrategyMarket(m).reply(0, q, p)]
[[10.0, 5.99], [1.0, 1.0]]
"""

from __future__ import annotations

import numpy as np

from ...errors import ModelError
from ...models.psp import PSPModel
from .market import TINY, Market, Opponents
from .mpf import combine, evaluate, next_price, steps_of, truthful_quantity
from .route import RouteMarket

SPLITS = ("greedy", "equal")
REMEDIES = ("none", "shadow_price")


class StrategyMarket(Market):
    """The data market with the reply chosen by ``split`` and ``remedy`` (module docstring).

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.
    """

    def __init__(self, model: PSPModel, split: str = "greedy", remedy: str = "none"):
        super().__init__(model)
        self.split = split
        self.remedy = remedy
        self.compiled = self.compiled and split == "greedy" and remedy == "none"
        self.need = np.asarray(model.needs(), dtype=float)

    # ------------------------------------------------------------------ replies
    def equal_split_reply(
        self, i: int, q: np.ndarray, p: np.ndarray, nb: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The draft's coordinated bid on the pool of eqs. (22)–(24) (module docstring);
        ``nb`` restricts the sellers considered (default: i's neighbours)."""
        qi, pi = np.zeros(self.J), np.zeros(self.J)
        th0 = self.theta0[i]
        nb = self.neighbours[i] if nb is None else nb
        if th0 <= 0 or nb.size == 0:
            return qi, pi
        steps = {int(j): steps_of(self, i, int(j), q, p) for j in nb}
        avail = np.array([_available(steps[int(j)], th0) for j in nb])
        order = np.argsort(-avail, kind="stable")  # most data first, ties by index
        ranked = avail[order]
        carry = np.arange(1, nb.size + 1) * ranked  # n · A_(n)
        fits = np.flatnonzero(carry >= self.need[i] - 1e-12)
        n = int(fits[0]) + 1 if fits.size else int(np.argmax(carry)) + 1
        pool = nb[order[:n]]
        Z, C = combine([steps[int(j)] for j in pool], n=n, average=True)
        vol = truthful_quantity(self.vals[i], Z, C) - self.eps / th0
        if vol <= TINY:
            return qi, pi
        qi[pool] = vol / n
        pi[pool] = float(self.vals[i].marginal(vol))
        return qi, pi

    def split_reply(
        self, i: int, q: np.ndarray, p: np.ndarray, opp: Opponents
    ) -> tuple[np.ndarray, np.ndarray]:
        """The reply of the chosen ``split`` on the sellers of ``opp``."""
        if self.split == "equal":
            return self.equal_split_reply(i, q, p, opp.nb)
        return self.best_reply(i, q, p, opp)

    def participation_reply(
        self, i: int, q: np.ndarray, p: np.ndarray, opp: Opponents
    ) -> tuple[np.ndarray, np.ndarray]:
        """With ϱ_i > 0: the best of the reply restricted to its k largest sellers
        (k = 1, 2, ...) and no bid, by u_i including ϱ_i per auction."""
        qi, pi = self.split_reply(i, q, p, opp)
        used = np.flatnonzero(qi > TINY)
        if used.size == 0:
            return qi, pi
        ranked = used[np.argsort(-qi[used], kind="stable")]
        cands = [(np.zeros(self.J), np.zeros(self.J)), (qi, pi)]
        for k in range(1, ranked.size):
            cands.append(self.split_reply(i, q, p, _restrict(opp, ranked[:k])))
        u = self.utilities(i, opp, cands)
        best = int(np.argmax(u))  # the first of equals: no bid, then the full reply
        return cands[best]

    def shadow_prices(
        self, i: int, q: np.ndarray, p: np.ndarray, qi: np.ndarray, pi: np.ndarray
    ) -> np.ndarray:
        """Prices min(θ_i'(v), R_ij + ε) with R_ij i's price for the next unit elsewhere
        (never below the price of the units i takes at j, P_i^j(x_ij), + ε)."""
        used = np.flatnonzero(qi > TINY)
        if used.size == 0:
            return pi
        nb = self.neighbours[i]
        steps = {int(k): steps_of(self, i, int(k), q, p) for k in nb}
        nxt = {k: next_price(st, qi[k]) for k, st in steps.items()}
        out = pi.copy()
        for j in used:
            others = [nxt[int(k)] for k in nb if k != j]
            repl = min(others) if others else np.inf
            own = float(evaluate(steps[int(j)], qi[j]))  # the dearest unit i takes at j
            out[j] = min(pi[j], max(repl, own) + self.eps)
        return out

    def reply(
        self, i: int, q: np.ndarray, p: np.ndarray, opp: Opponents | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The reply the dynamics send (``split``, ϱ_i, ``remedy``; module docstring)."""
        if opp is None:
            opp = self.opponents(i, q, p)
        if self.rho[i]:
            qi, pi = self.participation_reply(i, q, p, opp)
        else:
            qi, pi = self.split_reply(i, q, p, opp)
        if self.remedy == "shadow_price":
            pi = self.shadow_prices(i, q, p, qi, pi)
        return qi, pi


def _available(steps, y: float) -> float:
    """D^j(y): the units of the auction priced at most y for the buyer."""
    ends, levels = steps
    k = np.searchsorted(levels, y, side="right")  # levels ascend
    return float(ends[k - 1]) if k > 0 else 0.0


def _restrict(opp: Opponents, sellers: np.ndarray) -> Opponents:
    """The opponents' bids at a subset of the buyer's sellers."""
    keep_col = np.isin(opp.nb, sellers)
    remap = np.cumsum(keep_col) - 1
    mask = keep_col[opp.col]
    return Opponents(opp.nb[keep_col], remap[opp.col[mask]], opp.price[mask], opp.qty[mask])


def make_market(model: PSPModel, split: str = "greedy", remedy: str = "none") -> Market:
    """The market object that plays ``model`` with the buyers' ``split`` and ``remedy``.

    A route market (:class:`~.route.RouteMarket`) bids the same quantity on every link
    of a route, so ``split`` must keep its default there (``remedy = "shadow_price"``
    prices each link at the buyer's per-link value); the plain :class:`Market` (the
    compiled fast path) plays the defaults without ϱ.

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.

    Examples
    --------
    >>> from datamech.models.psp import PSPModel
    >>> from datamech.models.psp_valuations import LinearCappedValuation as L
    >>> m = PSPModel([10.0], ("a",), (L(1.0, 4.0),), 0.1, market="route")
    >>> make_market(m, split="equal")
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: solver.split: 'equal' applies to market = 'substitutes' only (a route buyer bids the same quantity on every link of its route)
    """
    if model.is_route:
        if split != "greedy":
            raise ModelError(
                "solver.split",
                f"{split!r} applies to market = 'substitutes' only (a route buyer bids the "
                "same quantity on every link of its route)",
            )
        return RouteMarket(model, remedy)
    if split == "greedy" and remedy == "none" and not np.any(model.participation()):
        return Market(model)
    return StrategyMarket(model, split, remedy)
