"""The multi-seller PSP market: outcomes, utilities and the truthful ε-best reply.

A bid profile is two (n, J) float arrays ``q`` (quantities) and ``p`` (unit prices);
row i is buyer i's slice s_i, column j is auction j.  Zero quantity means no bid
(spec A8).  Every auction also holds the seller's reserve bid (Q_j, r_j).

Examples
--------
>>> from datamech.models.psp import PSPModel
>>> from datamech.models.psp_valuations import LinearCappedValuation as L
>>> m = Market(PSPModel([65.0, 85.0], ("A", "B"), (L(1.0, 50.0), L(1.2, 40.0)), 0.1))
>>> q, p = m.zero_profile()
>>> qi, pi = m.best_reply(0, q, p)
>>> qi.round(6).tolist(), pi.round(6).tolist()
([49.9, 0.0], [1.0, 0.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...models.psp import PSPModel
from . import kernel
from .auction import allocate

TINY = 1e-12  # quantities below this are no bid (float residue of splits)


def fill_cheapest(below: np.ndarray, at: np.ndarray, vol: float) -> np.ndarray:
    """Split a volume over sellers (R-MPF, spec §2.2): everything each seller has
    available strictly below the bid price, then the units at that price level in
    seller order until ``vol`` is reached."""
    rest = max(vol - below.sum(), 0.0)
    extra = np.maximum(at - below, 0.0)
    before = np.concatenate(([0.0], np.cumsum(extra)[:-1]))
    return below + np.clip(rest - before, 0.0, extra)


@dataclass(frozen=True)
class Outcome:
    """Allocation a_ij, costs c_ij (eq. 4), buyers' utilities, welfare, revenue.

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.
    """

    allocation: np.ndarray
    costs: np.ndarray
    utility: np.ndarray
    welfare: float
    revenue: np.ndarray
    unsold: np.ndarray
    feasible: bool


class Market:
    """Float view of a :class:`PSPModel` with the mechanism's computations.

    The data market (substitutes) with the greedy truthful reply (draft §4, eqs. (46)–(48)).  The
    variants — other replies (:class:`~.strategies.StrategyMarket`) and the route market
    (:class:`~.route.RouteMarket`) — override :meth:`reply`, :meth:`totals` and the
    utilities; ``compiled`` says whether the order books (:mod:`.books`) may play it.

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.
    """

    #: The market's aggregation of a buyer's allocations (``"substitutes"`` or ``"route"``).
    kind = "substitutes"

    def __init__(self, model: PSPModel):
        self.model = model
        self.Q = np.asarray(model.supply, dtype=float)
        self.r = np.asarray(model.reserve, dtype=float)
        self.retention = np.asarray(model.retention, dtype=float)
        self.E = np.asarray(model.edges, dtype=bool)
        self.vals = model.valuations
        self.eps = float(model.epsilon)
        self.tie_break = model.tie_break
        self.n, self.J = self.E.shape
        self.neighbours = [np.flatnonzero(self.E[i]) for i in range(self.n)]
        self.theta0 = np.array([v.theta_prime0 for v in self.vals])
        self.rho = np.asarray(model.participation(), dtype=float)
        #: The compiled order books reproduce this market's turns (greedy reply, no ϱ).
        self.compiled = not self.rho.any()
        try:  # compiled θ_i for the per-pass welfare of the dynamics
            self._codes = kernel.encode_valuations(self.vals)
        except TypeError:
            self._codes = None

    def zero_profile(self) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros((self.n, self.J)), np.zeros((self.n, self.J))

    # ------------------------------------------------------------------ auctions
    def auction_book(self, j: int, q: np.ndarray, p: np.ndarray, skip: int = -1):
        """Positive bids at seller j (buyer ``skip`` left out), then the reserve bid."""
        col = q[:, j]
        ids = np.flatnonzero(col > TINY)
        if skip >= 0:
            ids = ids[ids != skip]
        qs = np.append(col[ids], self.Q[j])
        ps = np.append(p[ids, j], self.r[j])
        return ids, qs, ps

    def outcome(self, q: np.ndarray, p: np.ndarray) -> Outcome:
        """Allocation and eq.-(4) costs of every auction; utilities and welfare (spec §3).

        Welfare W = Σ_i θ_i(Σ_j a_ij) + Σ_j retention_j · unsold_j.
        """
        a = np.zeros((self.n, self.J))
        c = np.zeros((self.n, self.J))
        unsold = np.zeros(self.J)
        for j in range(self.J):
            ids, qs, ps = self.auction_book(j, q, p)
            full = allocate(qs, ps, self.Q[j], self.tie_break)
            a[ids, j] = full[:-1]
            unsold[j] = max(self.Q[j] - full[:-1].sum(), 0.0)
            for m, i in enumerate(ids):
                keep = np.arange(qs.size) != m
                without = allocate(qs[keep], ps[keep], self.Q[j], self.tie_break)
                c[i, j] = float(np.dot(ps[keep], without - full[keep]))
        z = self.totals(a)
        values = np.array([v.value(z[i]) for i, v in enumerate(self.vals)])
        utility = values - c.sum(axis=1) - self.rho * (q > TINY).sum(axis=1)
        welfare = float(values.sum() + np.dot(self.retention, unsold))
        feasible = bool(np.all(a.sum(axis=0) <= self.Q * (1 + 1e-9) + 1e-9))
        return Outcome(a, c, utility, welfare, c.sum(axis=0), unsold, feasible)

    def totals(self, a: np.ndarray) -> np.ndarray:
        """What each buyer values of its allocations a_ij: the total Σ_j a_ij (spec §1.4)."""
        return a.sum(axis=1)

    def welfare_of(self, q: np.ndarray, p: np.ndarray) -> float:
        """W(s) without computing costs (cheaper than :meth:`outcome`)."""
        a = np.zeros((self.n, self.J))
        unsold = np.zeros(self.J)
        for j in range(self.J):
            ids, qs, ps = self.auction_book(j, q, p)
            full = allocate(qs, ps, self.Q[j], self.tie_break)
            a[ids, j] = full[:-1]
            unsold[j] = max(self.Q[j] - full[:-1].sum(), 0.0)
        z = self.totals(a)
        if self._codes is not None:
            values = kernel.values(*self._codes, z)
        else:
            values = sum(v.value(z[i]) for i, v in enumerate(self.vals))
        return float(values + np.dot(self.retention, unsold))

    def utility(
        self, i: int, qi: np.ndarray, pi: np.ndarray, q: np.ndarray, p: np.ndarray
    ) -> float:
        """u_i(s_i; s_{-i}) = θ_i(Σ_j a_ij) − Σ_j c_ij with buyer i's row set to (qi, pi).

        Computed auction by auction with :func:`~.auction.allocate` (the reference for
        the batched :meth:`utilities` used in the dynamics); ϱ_i is paid once per
        auction with a bid.
        """
        a, cost = self.link_outcomes(i, qi, pi, q, p)
        return float(self.vals[i].value(a.sum())) - cost - self.rho[i] * int((qi > TINY).sum())

    def link_outcomes(
        self, i: int, qi: np.ndarray, pi: np.ndarray, q: np.ndarray, p: np.ndarray
    ) -> tuple[np.ndarray, float]:
        """Buyer i's allocation a_ij at every auction (eqs. 3/20) and its total cost
        Σ_j c_ij (eq. 4) when its row is (qi, pi) and the others bid (q, p)."""
        a = np.zeros(self.J)
        cost = 0.0
        for j in np.flatnonzero(qi > TINY):
            ids, qs, ps = self.auction_book(j, q, p, skip=i)
            qs = np.append(qs, qi[j])
            ps = np.append(ps, pi[j])
            full = allocate(qs, ps, self.Q[j], self.tie_break)
            without = allocate(qs[:-1], ps[:-1], self.Q[j], self.tie_break)
            a[j] = full[-1]
            cost += float(np.dot(ps[:-1], without - full[:-1]))
        return a, cost

    # ------------------------------------------------------------------ fast path
    def opponents(self, i: int, q: np.ndarray, p: np.ndarray) -> Opponents:
        """The opponents' positive bids and the reserve bids at buyer i's neighbours."""
        nb = self.neighbours[i]
        full = nb.size == self.J
        sub = q if full else q[:, nb]
        mask = sub > TINY
        mask[i] = False
        rows, cols = np.nonzero(mask)
        C = nb.size
        col = np.concatenate((cols, np.arange(C)))
        price = np.concatenate((p[rows, cols] if full else p[rows, nb[cols]], self.r[nb]))
        qty = np.concatenate((sub[rows, cols], self.Q[nb]))
        return Opponents(nb, col, price, qty)

    def utilities(self, i: int, opp: Opponents, candidates) -> np.ndarray:
        """u_i of several candidate slices (qi, pi) against the same opponents, batched.

        All candidates and the "i absent" scenario are cleared in one vectorized pass
        over every neighbour auction (eqs. 3/20 and 4); a zero-quantity entry changes
        nobody's allocation, so each scenario zeroes the other candidates' entries.
        ϱ_i is paid once per auction a candidate bids in.
        """
        out = self._utilities_untied(i, opp, candidates)
        if out is None:
            out = self._utilities_general(i, opp, candidates)
        if self.rho[i]:
            out = out - self.rho[i] * np.array([int((qi > TINY).sum()) for qi, _ in candidates])
        return out

    def _utilities_general(self, i: int, opp: Opponents, candidates) -> np.ndarray:
        """:meth:`utilities` (without ϱ) for every tie rule, in one vectorized pass."""
        nb = opp.nb
        # only the auctions where some candidate bids can change u_i
        relevant = np.zeros(nb.size, dtype=bool)
        for qi, _ in candidates:
            relevant |= qi[nb] > TINY
        if not relevant.any():
            return np.zeros(len(candidates))
        keep = relevant[opp.col]
        cols, prices, qtys = [opp.col[keep]], [opp.price[keep]], [opp.qty[keep]]
        owners = [np.full(cols[0].size, -1)]
        for c, (qi, pi) in enumerate(candidates):
            sel = np.flatnonzero(qi[nb] > TINY)
            cols.append(sel)
            prices.append(pi[nb[sel]])
            qtys.append(qi[nb[sel]])
            owners.append(np.full(sel.size, c))
        col = np.concatenate(cols)
        price = np.concatenate(prices)
        qty = np.concatenate(qtys)
        owner = np.concatenate(owners)
        ncand = len(candidates)
        scen = np.where(
            (owner[None, :] == -1) | (owner[None, :] == np.arange(ncand + 1)[:, None]), qty, 0.0
        )
        order = np.lexsort((-price, col))
        ps, ss, Qs, os_ = price[order], col[order], scen[:, order], owner[order]
        new = np.empty(ps.size, dtype=bool)
        new[0] = True
        new[1:] = (ss[1:] != ss[:-1]) | (ps[1:] != ps[:-1])
        starts = np.flatnonzero(new)
        gid = np.cumsum(new) - 1
        gtot = np.add.reduceat(Qs, starts, axis=1)
        gs = ss[starts]
        excl = np.cumsum(gtot, axis=1) - gtot
        gnew = np.empty(gs.size, dtype=bool)
        gnew[0] = True
        gnew[1:] = gs[1:] != gs[:-1]
        first = np.flatnonzero(gnew)[np.cumsum(gnew) - 1]
        above = excl - excl[:, first]
        left = np.maximum(self.Q[nb][gs][None, :] - above, 0.0)[:, gid]
        if self.tie_break == "proportional":
            T = gtot[:, gid]
            ratio = np.divide(left, T, out=np.zeros_like(left), where=T > 0)
            a = Qs * np.minimum(1.0, ratio)
        elif self.tie_break == "strict":
            a = np.minimum(Qs, left)
        else:
            a = np.minimum(Qs, np.maximum(left - (gtot[:, gid] - Qs), 0.0))
        is_opp = os_ == -1
        displaced = (a[-1] - a[:-1])[:, is_opp] @ ps[is_opp]
        out = np.empty(ncand)
        val = self.vals[i]
        for c in range(ncand):
            out[c] = val.value(float(a[c, os_ == c].sum())) - displaced[c]
        return out

    def _utilities_untied(self, i: int, opp: Opponents, candidates) -> np.ndarray | None:
        """:meth:`utilities` by prefix sums when no candidate price ties an opponent's.

        Under the proportional rule, a bid (x, w) at seller j leaves every opponent priced
        above w untouched, gets a = min(x, L0) with L0 = [Q_j − Σ_{p_k > w} q_k]^+, and
        displaces the units in positions (L0 − a, L0] of the lower bids taken in
        descending price order, so eq. (4) is F(L0) − F(L0 − a) with F the running sum
        of price × quantity (a tied group shares one price, so its split does not
        matter).  Returns None (use the general path) for other tie rules or a tie at w.
        """
        if self.tie_break != "proportional":
            return None
        nb = opp.nb
        order = np.lexsort((-opp.price, opp.col))
        col, pr = opp.col[order], opp.price[order]
        cq = np.concatenate(([0.0], np.cumsum(opp.qty[order])))
        cv = np.concatenate(([0.0], np.cumsum(opp.qty[order] * pr)))
        neg = -pr
        bounds = np.searchsorted(col, np.arange(nb.size + 1))
        out = np.empty(len(candidates))
        for m, (qi, pi) in enumerate(candidates):
            total, cost = 0.0, 0.0
            for c in np.flatnonzero(qi[nb] > TINY):
                s, e = bounds[c], bounds[c + 1]
                w, x = pi[nb[c]], qi[nb[c]]
                seg = neg[s:e]
                k = s + int(np.searchsorted(seg, -w, side="left"))
                if k < e and pr[k] == w:
                    return None  # a tie at w: the tie rule decides, use the general path
                L0 = max(self.Q[nb[c]] - (cq[k] - cq[s]), 0.0)
                a = min(x, L0)
                total += a
                if a > 0:
                    lq = cq[k + 1 : e + 1] - cq[k]
                    cost += _running(lq, cv, pr, k, L0) - _running(lq, cv, pr, k, L0 - a)
            out[m] = self.vals[i].value(total) - cost
        return out

    # ------------------------------------------------------------------ best reply
    def supply_curves(self, i: int, q: np.ndarray, p: np.ndarray, opp: Opponents | None = None):
        """Buyer i's view of its neighbour auctions (eq. 2 and spec R-MPF).

        Returns ``(nb, Y, D)``: the neighbour sellers, the ascending candidate prices
        Y (0 and every opponent or reserve price) and D[k, c] = D_i^{nb[c]}(Y[k]), the
        quantity available to i at seller nb[c] at price Y[k].  D is right-continuous
        and constant between consecutive Y, so Q_i(y) = D.sum(1) is the aggregated
        supply curve of (R-MPF).
        """
        if opp is None:
            opp = self.opponents(i, q, p)
        nb, C = opp.nb, opp.nb.size
        Y = np.unique(np.concatenate(([0.0], opp.price)))
        K = Y.size
        pos = np.searchsorted(Y, opp.price)
        inc = np.bincount(pos * C + opp.col, weights=opp.qty, minlength=K * C).reshape(K, C)
        # S[k, c] = Σ of quantities at seller c priced strictly above Y[k]
        suffix = np.cumsum(inc[::-1], axis=0)[::-1]
        S = np.vstack((suffix[1:], np.zeros((1, C))))
        D = np.maximum(self.Q[nb][None, :] - S, 0.0)
        return nb, Y, D

    def best_reply(
        self, i: int, q: np.ndarray, p: np.ndarray, opp: Opponents | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Truthful ε-best reply of buyer i (spec §2.7, multi-seller, ``split="greedy"``).

        1. Q_i(y) = Σ_j D_i^j(y) and P_i(z) = inf{y : Q_i(y) >= z} (R-MPF);
        2. v = [sup{z : θ'(z) > P_i(z)} − ε/θ'(0)]^+ and w = θ'(v) ([LS] Prop. 1 on the
           aggregated curve; the draft's eq. 48 with the fixes of spec §2.7);
        3. split v cheapest units first: everything available strictly below
           y* = P_i(v), the rest at y* in ascending seller index;
        4. bid (v_ij, w) where v_ij > 0, (0, 0) elsewhere.

        Uses sup{z : θ'(z) > P(z)} = max_k min(Q_i(Y_k), d(Y_k)) with d(u) the demand
        sup{z : θ'(z) > u}: Q_i is constant and d non-increasing between the Y_k.
        """
        qi, pi = np.zeros(self.J), np.zeros(self.J)
        v = self.vals[i]
        th0 = self.theta0[i]
        if th0 <= 0:
            return qi, pi
        if opp is None:
            opp = self.opponents(i, q, p)
        nb, col, price, qty = opp.nb, opp.col, opp.price, opp.qty
        Qn = self.Q[nb]
        # Q_i(y) = Σ_j [Q_j − S_j(y)]^+ with S_j(y) the quantity bid at j strictly above y.
        # Walking prices downwards, bid k raises min(S_j, Q_j) by delta_k; so
        # Q_i(y) = Σ_j Q_j − Σ_{k: p_k > y} delta_k (1-D sorts, no price x seller grid).
        order = np.lexsort((-price, col))
        qs, cs_col = qty[order], col[order]
        csum = np.cumsum(qs)
        first = np.empty(qs.size, dtype=bool)
        first[0] = True
        first[1:] = cs_col[1:] != cs_col[:-1]
        start = np.flatnonzero(first)
        base = (csum - qs)[start][np.cumsum(first) - 1]
        after = csum - base
        cap = Qn[cs_col]
        delta = np.minimum(after, cap) - np.minimum(after - qs, cap)
        ps = price[order]
        asc = np.argsort(ps, kind="stable")
        p_asc = ps[asc]
        dsum = np.concatenate(([0.0], np.cumsum(delta[asc])))
        Y = np.unique(np.concatenate(([0.0], price)))
        Qy = Qn.sum() - (dsum[-1] - dsum[np.searchsorted(p_asc, Y, side="right")])
        Qy = np.maximum(Qy, 0.0)
        zstar = float(np.max(np.minimum(Qy, v.demand(Y))))
        vol = zstar - self.eps / th0
        if vol <= TINY:
            return qi, pi
        w = float(v.marginal(vol))
        k = int(np.searchsorted(Qy, vol - 1e-12 * max(1.0, vol)))  # first k with Q(Y_k) >= v
        k = min(k, Y.size - 1)

        def avail(y: float) -> np.ndarray:  # D_i^j(y) for every neighbour j (eq. 2)
            up = price > y
            return np.maximum(Qn - np.bincount(col[up], weights=qty[up], minlength=nb.size), 0.0)

        below = avail(Y[k - 1]) if k > 0 else np.zeros(nb.size)
        at = avail(Y[k])
        amounts = fill_cheapest(below, at, vol)
        pos = amounts > TINY
        qi[nb[pos]] = amounts[pos]
        pi[nb[pos]] = w
        return qi, pi

    def reply(
        self, i: int, q: np.ndarray, p: np.ndarray, opp: Opponents | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The reply the dynamics send for buyer i: here :meth:`best_reply`."""
        return self.best_reply(i, q, p, opp)

    def turn(self, i: int, q: np.ndarray, p: np.ndarray):
        """One turn of buyer i: its reply t_i and whether u_i(t_i) > u_i(s_i) + ε."""
        opp = self.opponents(i, q, p)
        qi, pi = self.reply(i, q, p, opp)
        if np.array_equal(qi, q[i]) and np.array_equal(pi, p[i]):
            return qi, pi, False  # u_i(t_i) = u_i(s_i): nothing to compare
        u_new, u_old = self.utilities(i, opp, [(qi, pi), (q[i], p[i])])
        return qi, pi, bool(u_new > u_old + self.eps)


def _running(lq: np.ndarray, cv: np.ndarray, pr: np.ndarray, k: int, L: float) -> float:
    """Σ price × units of the first L units of the bids k, k+1, ... (descending price);
    ``lq`` are their cumulative quantities, ``cv`` the global running price × quantity."""
    if L <= 0 or lq.size == 0:
        return 0.0
    m = int(np.searchsorted(lq, L, side="left"))
    if m >= lq.size:
        return float(cv[k + lq.size] - cv[k])
    done = lq[m - 1] if m > 0 else 0.0
    return float(cv[k + m] - cv[k] + pr[k + m] * (L - done))


@dataclass(frozen=True)
class Opponents:
    """Bids buyer i faces: neighbour sellers ``nb`` and, per bid, its column in ``nb``,
    price and quantity (the reserve bids included)."""

    nb: np.ndarray
    col: np.ndarray
    price: np.ndarray
    qty: np.ndarray
