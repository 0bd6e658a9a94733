"""The route market: PSP on network links, buyers valuing the thinnest link (spec §2.10).

The "classic throughput problem" the draft measures itself against is Lazar and Semret's
networked PSP [LS]: every link l runs its own PSP auction of capacity Q_l (with the
reserve bid (Q_l, r_l)), buyer i has a fixed route r_i (the ``sellers`` of a
``market = "route"`` model file) and values the thinnest allocation along it,

    u_i(s) = θ_i( min_{l ∈ r_i} a_il(s) ) − Σ_{l ∈ r_i} c_il(s) − ϱ_i |{l : q_il > 0}|,

with a_il and c_il the local auction's allocation (eqs. 3/20) and cost (eq. 4).  Units
are complements here, where the data market's sellers are substitutes (θ_i of the sum).

**Truthful ε-best reply** ([LS] network case; spec §2.7 "for routes").  Buying z on every
link of the route at a winning price costs Σ_l C_i^l(z), whose slope is the route
market-price function P_i(z) = Σ_{l ∈ r_i} P_i^l(z).  The reply bids the *consistent*
bid (v, w) on every link of the route — the same quantity and the same price, which
[LS] show to be optimal whatever the others do — with

    v = [ sup{z : θ_i'(z) > Σ_l P_i^l(z)} − ε/θ_i'(0) ]^+ ,   w = θ_i'(v),

and no bid when ϱ_i |r_i| makes the reply worse than staying out.  A buyer on a
one-link route bids exactly as in a single PSP auction.

**Shadow prices** (``remedy = "shadow_price"``).  The price θ_i'(v) is what buyer i
loses per unit of its *route*; a unit of one link l is worth to it only θ_i'(v) minus
what the matching units cost on its other links.  With this remedy the quantity stays
the consistent v, and the price at link l is that per-link marginal value,

    w_il = min( θ_i'(v), θ_i'(v) − Σ_{k ∈ r_i, k ≠ l} P_i^k(v) + ε ),

which is above P_i^l(v) (as θ_i'(v) >= Σ_k P_i^k(v)), so the buyer still wins v on every
link and its utility is unchanged; a buyer of link l alone can now displace it at its
per-link value instead of its whole route value (docs/psp.md, "Route market").

The benchmark is network utility maximization (B3, spec §3), in
:func:`~.centralized.route_allocation`.

Examples
--------
Two links of capacity 10; "long" crosses both, "a" and "b" one each (the example
``examples/models/psp_route.toml``).  From no bids, "long" alone sees only the
reserves 0.01 + 0.01 and asks for its demand at that price:

>>> from datamech.models.psp import PSPModel
>>> from datamech.models.psp_valuations import QuadraticValuation as Qv
>>> m = PSPModel([10.0, 10.0], ("long", "a", "b"),
...     (Qv(0.2, 20.0), Qv(0.1, 20.0), Qv(0.1, 30.0)), 0.01, market="route",
...     edges=[[True, True], [True, False], [False, True]])
>>> mk = RouteMarket(m)
>>> q, p = mk.zero_profile()
>>> qi, pi = mk.best_reply(0, q, p)
>>> qi.round(4).tolist(), pi.round(4).tolist()    # v = 10 − 0.01/4, w = 0.2 (20 − v)
([9.9975, 9.9975], [2.0005, 2.0005])
"""

from __future__ import annotations

import numpy as np

from ...models.psp import PSPModel
from .market import TINY, Market, Opponents
from .mpf import combine, evaluate, steps_of, truthful_quantity


class RouteMarket(Market):
    """A ``market = "route"`` model: links, routes (``edges[i]``), θ_i of the thinnest link.

    ``remedy = "shadow_price"`` prices each link at the buyer's per-link value (module
    docstring); the default bids the same price θ_i'(v) on every link ([LS]).

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.
    """

    kind = "route"

    def __init__(self, model: PSPModel, remedy: str = "none"):
        super().__init__(model)
        self.remedy = remedy
        self.compiled = False  # the order books know only the data market's reply

    def totals(self, a: np.ndarray) -> np.ndarray:
        """The thinnest allocation min_{l ∈ r_i} a_il of each buyer along its route (a
        full (n, J) allocation)."""
        return np.where(self.E, a, np.inf).min(axis=1)

    def route_price(self, i: int, q: np.ndarray, p: np.ndarray):
        """Σ_{l ∈ r_i} P_i^l(z) as a step function of z: segment ends Z and prices C."""
        return combine([steps_of(self, i, int(l), q, p) for l in self.neighbours[i]])

    def best_reply(
        self, i: int, q: np.ndarray, p: np.ndarray, opp: Opponents | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The consistent truthful ε-best reply (v, θ_i'(v)) on every link of the route."""
        qi, pi = np.zeros(self.J), np.zeros(self.J)
        th0 = self.theta0[i]
        if th0 <= 0:
            return qi, pi
        route = self.neighbours[i]
        steps = [steps_of(self, i, int(l), q, p) for l in route]
        Z, C = combine(steps)
        vol = truthful_quantity(self.vals[i], Z, C) - self.eps / th0
        if vol <= TINY:
            return qi, pi
        w = float(self.vals[i].marginal(vol))
        qi[route] = vol
        pi[route] = w
        if self.remedy == "shadow_price" and route.size > 1:
            at_v = np.array([float(evaluate(st, vol)) for st in steps])  # P_i^l(v)
            pi[route] = np.minimum(w, w - (at_v.sum() - at_v) + self.eps)
        return qi, pi

    def reply(
        self, i: int, q: np.ndarray, p: np.ndarray, opp: Opponents | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`best_reply`, or no bid when the participation cost makes it a loss."""
        qi, pi = self.best_reply(i, q, p)
        if self.rho[i] and qi.any() and self.utility(i, qi, pi, q, p) < 0:
            return np.zeros(self.J), np.zeros(self.J)
        return qi, pi

    def utility(
        self, i: int, qi: np.ndarray, pi: np.ndarray, q: np.ndarray, p: np.ndarray
    ) -> float:
        """u_i = θ_i(min_{l ∈ r_i} a_il) − Σ_l c_il − ϱ_i · (links with a bid)."""
        a, cost = self.link_outcomes(i, qi, pi, q, p)
        thinnest = float(a[self.neighbours[i]].min())
        return float(self.vals[i].value(thinnest)) - cost - self.rho[i] * int((qi > TINY).sum())

    def utilities(self, i: int, opp: Opponents, candidates) -> np.ndarray:
        """Not available on routes (the batched form sums allocations): use :meth:`utility`."""
        raise NotImplementedError("RouteMarket: use utility(i, qi, pi, q, p)")

    def turn(self, i: int, q: np.ndarray, p: np.ndarray):
        """One turn of buyer i: its reply t_i and whether u_i(t_i) > u_i(s_i) + ε."""
        qi, pi = self.reply(i, q, p)
        if np.array_equal(qi, q[i]) and np.array_equal(pi, p[i]):
            return qi, pi, False
        u_new = self.utility(i, qi, pi, q, p)
        u_old = self.utility(i, q[i], p[i], q, p)
        return qi, pi, bool(u_new > u_old + self.eps)
