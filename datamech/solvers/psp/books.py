"""Per-seller order books: the fast path of the PSP dynamics (same turns as :mod:`.market`).

:meth:`Market.turn` rebuilds buyer i's view of every auction from the whole (n, J)
profile at every turn (a sort of all bids, O(nJ log nJ)).  :class:`OrderBooks` keeps,
for every seller j, its bids (the reserve bid (Q_j, r_j) included) sorted by descending
price with the running quantity, and moves only the bids that changed.  A turn then
needs only:

* **the cheap end of each supply curve.**  D_j(y) = [Q_j − Σ_{p_k > y} q_k]^+ grows from
  the bottom of seller j's winning window.  The truthful reply's total
  z* = sup{z : θ'(z) > P_i(z)} (spec §2.7, R-MPF) is max_k min(Q_i(Y_k), d(Y_k)) with
  d(u) = sup{z : θ'(z) > u} <= d(0): where some D_j(y) reaches d(0), Q_i(y) >= d(y) and
  the term is d(y), non-increasing in y, so only the jumps of each D_j within its lowest
  T = max_i d_i(0) units matter (all of them when some d_i(0) is unbounded).  The same
  holds for the split of the reply over sellers.  Each seller keeps the *band* of bids
  overlapping the units [Q_j − T, Q_j + T) counted from the top: the cheap end of D_j
  with or without any one buyer's bid (a bid of the dynamics is < T);
* **eq. (4) on the cheap ends.**  With no opponent priced exactly w at seller j, a bid
  (x, w) gets a_ij = min(x, L0), L0 the opponents' winning units priced below w, and pays
  for the a_ij cheapest of them (the prefix-sum identity of
  :meth:`Market._utilities_untied`).  A tie at w (price counts per seller) or a standing
  bid of T units or more (a given start) goes to the reference.

From the same profile both paths compute the same reply and the same decision; they
differ only in the order of floating-point sums (ulp-level), so the bids agree to ~1e-10
(``tests/solvers/test_psp_fast.py`` replays every turn of reference runs).  Whole runs
usually take the same turns too, but not always: prices can tie exactly in real
arithmetic (a quadratic-valuation reply bids y + ε/q̄_i, so two buyers can reach the same
sum of increments in two orders), and the float order of such a tie, or a 1-ulp change
of a standing bid (a seller's version bump), can differ between the paths, after which
the runs go on from different but equally valid profiles.  Only the default
``"proportional"`` tie rule has this path; the others use :meth:`Market.turn`.

Examples
--------
>>> from datamech.models.psp import PSPModel
>>> from datamech.models.psp_valuations import LinearCappedValuation as L
>>> from datamech.solvers.psp.market import Market
>>> m = Market(PSPModel([65.0, 85.0], ("A", "B"), (L(1.0, 50.0), L(1.2, 40.0)), 0.1))
>>> q, p = m.zero_profile()
>>> qi, pi, better = OrderBooks(m, q, p).turn(0, q, p)
>>> qi.round(6).tolist(), pi.round(6).tolist(), better
([49.9, 0.0], [1.0, 0.0], True)
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from itertools import accumulate, chain

import numpy as np

from .market import TINY, Market, fill_cheapest


class OrderBooks:
    """Sorted books of every auction of ``market`` for the profile (q, p).

    Seller j's book is three Python lists in descending price order (minus prices,
    quantities, owners; the reserve bid has owner −1) with the running quantity; a change
    of one bid is a bisection, a list insert or delete and one running sum.  Each seller
    also keeps, as arrays, its *band*: the bids overlapping the units
    [Q_j − T, Q_j + T) counted from the top, enough for the cheap end of D_j with or
    without any one buyer's bid.  Call :meth:`refresh` after buyer i's row changed.
    """

    def __init__(self, market: Market, q: np.ndarray, p: np.ndarray):
        self.m = market
        J = market.J
        d0 = np.array([float(np.asarray(v.demand(0.0))) for v in market.vals])
        self.T = float(min(np.max(d0, initial=0.0), market.Q.sum()))
        self.negp: list = []
        self.qty: list = []
        self.owner: list = []
        self.cum: list = [None] * J
        self.counts: list = []
        self.bands: list = [None] * J
        self.merged = None
        self._view = None
        self.complete = bool(market.E.all())
        for j in range(J):
            ids = np.flatnonzero(q[:, j] > TINY)
            P = np.append(p[ids, j], market.r[j])
            order = np.argsort(-P, kind="stable")
            self.negp.append((-P[order]).tolist())
            self.qty.append(np.append(q[ids, j], market.Q[j])[order].tolist())
            self.owner.append(np.append(ids, -1)[order].tolist())
            self.counts.append(Counter(P.tolist()))
            self._recount(j)

    # ------------------------------------------------------------------ upkeep
    def _recount(self, j: int, start: int = 0) -> None:
        """Running quantities of book j from entry ``start`` on (those above are kept)."""
        cum = self.cum[j]
        if cum is None or start == 0:
            self.cum[j] = list(accumulate(self.qty[j], initial=0.0))
        else:
            del cum[start + 1 :]
            cum.extend(accumulate(self.qty[j][start:], initial=cum[start]))
            del cum[start + 1]  # accumulate repeats its initial value
        self.bands[j] = None
        self.merged = None

    def _find(self, j: int, i: int, price: float) -> int:
        k = bisect_left(self.negp[j], -price)
        own = self.owner[j]
        while own[k] != i:
            k += 1
        return k

    def refresh(self, i: int, q_old: np.ndarray, p_old: np.ndarray, q, p) -> None:
        """Move buyer i's bids from (q_old, p_old) to (q[i], p[i]) in the books."""
        for j in np.flatnonzero((q_old != q[i]) | (p_old != p[i])).tolist():
            negp, qty, own, cnt = self.negp[j], self.qty[j], self.owner[j], self.counts[j]
            first = len(qty)
            if q_old[j] > TINY:
                k = self._find(j, i, float(p_old[j]))
                del negp[k], qty[k], own[k]
                cnt[float(p_old[j])] -= 1
                first = k
            if q[i, j] > TINY:
                y = float(p[i, j])
                k = bisect_right(negp, -y)
                negp.insert(k, -y)
                qty.insert(k, float(q[i, j]))
                own.insert(k, i)
                cnt[y] += 1
                first = min(first, k)
            self._recount(j, first)

    def _band(self, j: int):
        if self.bands[j] is None:
            cq, Qj = self.cum[j], float(self.m.Q[j])
            lo = max(bisect_right(cq, Qj - self.T) - 1, 0)
            hi = min(bisect_left(cq, Qj + self.T), len(self.qty[j]))
            self.bands[j] = (
                self.negp[j][lo:hi],
                self.qty[j][lo:hi],
                self.owner[j][lo:hi],
                cq[lo:hi],
                [j] * (hi - lo),
            )
        return self.bands[j]

    def _merged(self):
        """All bands as arrays: prices, quantities, owners, running sums, sellers, Q_j."""
        if self.merged is None:
            parts = [self._band(j) for j in range(self.m.J)]
            negp, qty, own, cum, lab = (
                np.array(list(chain.from_iterable(b[f] for b in parts))) for f in range(5)
            )
            lab = lab.astype(np.int64)
            self.merged = (-negp, qty, own.astype(np.int64), cum, lab, self.m.Q[lab])
        return self.merged

    # ------------------------------------------------------------------ the turn
    def best_reply(self, i: int, q: np.ndarray, p: np.ndarray):
        """Buyer i's truthful ε-best reply (same rules as :meth:`Market.best_reply`)."""
        m = self.m
        J = m.J
        qi, pi = np.zeros(J), np.zeros(J)
        self._view = None
        v = m.vals[i]
        th0 = m.theta0[i]
        if th0 <= 0:
            return qi, pi
        P, Qt, O, cq, lab, Ql = self._merged()
        own = np.flatnonzero(q[i] > TINY)
        if own.size:
            # units of i's bid above an entry leave the opponents' running sum
            mine = np.full(J, np.inf)
            for j in own.tolist():
                mine[j] = self.cum[j][self._find(j, i, float(p[i, j]))]
            cq = cq - np.where(cq > mine[lab], q[i][lab], 0.0)
        jump = np.minimum(Qt, Ql - cq)
        keep = (jump > 0) & (O != i)
        if not self.complete:
            keep &= m.E[i][lab]
        pr, dl, lb = P[keep], jump[keep], lab[keep]
        order = np.argsort(pr, kind="stable")
        ps, ls = pr[order], lb[order]
        ds = dl[order]
        self._view = (i, ps, ls, ds)
        cs = np.cumsum(ds)
        # candidate prices: 0 and every jump price; Q_i(y) = Σ of jumps at prices <= y
        if ps.size:
            last = np.flatnonzero(np.append(ps[1:] != ps[:-1], True))
            Y, Qy = ps[last], cs[last]
            if Y[0] > 0:
                Y, Qy = np.append(0.0, Y), np.append(0.0, Qy)
        else:
            Y, Qy = np.zeros(1), np.zeros(1)
        zstar = float(np.max(np.minimum(Qy, v.demand(Y))))
        vol = zstar - m.eps / th0
        if vol <= TINY:
            return qi, pi
        w = float(v.marginal(vol))
        k = int(np.searchsorted(Qy, vol - 1e-12 * max(1.0, vol)))  # first k with Q(Y_k) >= v
        k = min(k, Y.size - 1)

        def avail(y: float) -> np.ndarray:  # D_i^j(y) of every seller (eq. 2), cheap end
            n_le = int(np.searchsorted(ps, y, side="right"))
            return np.bincount(ls[:n_le], weights=ds[:n_le], minlength=J)

        nb = m.neighbours[i]
        below = avail(Y[k - 1])[nb] if k > 0 else np.zeros(nb.size)
        at = avail(Y[k])[nb]
        amounts = fill_cheapest(below, at, vol)
        pos = amounts > TINY
        qi[nb[pos]] = amounts[pos]
        pi[nb[pos]] = w
        return qi, pi

    def utilities(self, i: int, cands, q, p) -> np.ndarray | None:
        """u_i of candidate slices (qi, pi) against the opponents (eqs. 3, 4), batched.

        With no opponent priced exactly w at seller j, a bid (x, w) gets
        a = min(x, L0), L0 = D_j(w) the opponents' winning units priced below w, and
        pays for the a cheapest of them.  Uses the view of the last :meth:`best_reply`
        of buyer i; returns None (use the reference) on a tie at w or for a bid larger
        than the bands cover.
        """
        if self._view is None or self._view[0] != i:
            return None
        _, ps, ls, ds = self._view
        own_q, own_p = q[i], p[i]
        rows, xs, ws, who = [], [], [], []
        for c, (qi, pi) in enumerate(cands):
            C = np.flatnonzero(qi > TINY)
            if qi[C].sum() >= self.T:
                return None
            for j in C.tolist():
                wj = float(pi[j])
                mine = 1 if own_q[j] > TINY and own_p[j] == wj else 0
                if self.counts[j].get(wj, 0) > mine:
                    return None  # an opponent bids exactly w: the tie rule decides
                rows.append(j)
                xs.append(float(qi[j]))
                ws.append(wj)
                who.append(c)
        out = np.zeros(len(cands))
        if rows:
            C, x, w = np.array(rows), np.array(xs), np.array(ws)
            cut = int(np.searchsorted(ps, w.max(), side="left"))  # only units below w count
            ps, ls, ds = ps[:cut], ls[:cut], ds[:cut]
            units = np.where((ls[None, :] == C[:, None]) & (ps[None, :] < w[:, None]), ds, 0.0)
            a = np.minimum(x, units.sum(axis=1))
            prev = np.cumsum(units, axis=1) - units  # cheaper units of the same seller
            cost = (np.clip(a[:, None] - prev, 0.0, units) * ps).sum(axis=1)
            who = np.array(who)
            got = np.bincount(who, weights=a, minlength=len(cands))
            paid = np.bincount(who, weights=cost, minlength=len(cands))
            val = self.m.vals[i]
            out = np.array([float(val.value(g)) for g in got]) - paid
        return out

    def turn(self, i: int, q: np.ndarray, p: np.ndarray):
        """One turn of buyer i, as :meth:`Market.turn`: (qi, pi, better)."""
        if q[i].sum() >= self.T and self.T < self.m.Q.sum():
            return self.m.turn(i, q, p)  # a standing bid beyond the bands (a given start)
        qi, pi = self.best_reply(i, q, p)
        if np.array_equal(qi, q[i]) and np.array_equal(pi, p[i]):
            return qi, pi, False
        cands = [(qi, pi), (q[i], p[i])]
        u = self.utilities(i, cands, q, p)
        if u is None:
            u = self.m.utilities(i, self.m.opponents(i, q, p), cands)
        u_new, u_old = u
        return qi, pi, bool(u_new > u_old + self.m.eps)
