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

The arithmetic is compiled with numba (:mod:`.kernel`); a whole pass of the dynamics
runs inside the compiled loop (:meth:`OrderBooks.play`) and leaves it only for a turn
that needs the reference.

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

import numpy as np

from . import kernel
from .market import Market


class OrderBooks:
    """Sorted books of every auction of ``market`` for the profile (q, p).

    Seller j's book is row j of the arrays ``negp`` (minus prices, ascending), ``qty``,
    ``own`` (owner; −1 for the reserve bid) and ``cum`` (running quantity), its first
    ``size[j]`` entries in use (see :mod:`.kernel`).  Call :meth:`refresh` after buyer
    i's row changed outside :meth:`play`.  Raises TypeError for a valuation family
    without a compiled form.
    """

    def __init__(self, market: Market, q: np.ndarray, p: np.ndarray):
        self.m = market
        n, J = market.n, market.J
        self.kind, self.par = kernel.encode_valuations(market.vals)
        d0 = np.array([float(np.asarray(v.demand(0.0))) for v in market.vals])
        self.T = float(min(np.max(d0, initial=0.0), market.Q.sum()))
        self.Qsum = float(market.Q.sum())
        width = int(market.E.sum(axis=0).max(initial=0)) + 1  # bidders of a seller + reserve
        self.negp = np.zeros((J, width))
        self.qty = np.zeros((J, width))
        self.own = np.full((J, width), -1, dtype=np.int64)
        self.cum = np.zeros((J, width + 1))
        self.size = np.zeros(J, dtype=np.int64)
        for j in range(J):
            ids = np.flatnonzero(q[:, j] > kernel.TINY)
            P = np.append(p[ids, j], market.r[j])
            order = np.argsort(-P, kind="stable")
            k = P.size
            self.negp[j, :k] = -P[order]
            self.qty[j, :k] = np.append(q[ids, j], market.Q[j])[order]
            self.own[j, :k] = np.append(ids, -1)[order]
            self.size[j] = k
            kernel.recount(self.cum, self.qty, self.size, j, 0)
        cap = int(self.size.sum()) + n * J + 1  # every possible bid + the reserves
        self.books = (self.negp, self.qty, self.own, self.cum, self.size)
        self.merged = (np.zeros(cap), np.zeros(cap), np.zeros(cap),
                       np.zeros(cap, dtype=np.int64), np.zeros(cap, dtype=np.int64),
                       np.zeros(1, dtype=np.int64))  # fmt: skip
        self._scratch = (np.zeros(2 * cap), np.zeros(2 * cap), np.zeros(2 * cap),
                         np.zeros(2 * cap, dtype=np.int64), np.zeros(2 * cap, dtype=np.int64))  # fmt: skip
        self.work = (np.zeros(cap), np.zeros(cap), np.zeros(cap, dtype=np.int64),
                     np.zeros(J), np.zeros(J))  # fmt: skip
        self._changed = np.ones(J, dtype=np.bool_)
        self._q_old, self._p_old = np.zeros(J), np.zeros(J)
        kernel.merge_sellers(
            self._changed, self.books, self.merged, self._scratch, market.Q, self.T
        )
        nbs = market.neighbours
        self._nb_ptr = np.concatenate(([0], np.cumsum([nb.size for nb in nbs]))).astype(np.int64)
        self._nb_idx = (np.concatenate(nbs) if n else np.zeros(0)).astype(np.int64)

    def _args(self):
        m = self.m
        return (m.E, m.Q, self.T, self.Qsum, m.eps, m.theta0, self.kind, self.par, self.books,
                self.merged, self.work)  # fmt: skip

    def book(self, j: int) -> tuple[list, list, list]:
        """Seller j's bids in descending price order: prices, quantities, owners."""
        k = int(self.size[j])
        return (-self.negp[j, :k]).tolist(), self.qty[j, :k].tolist(), self.own[j, :k].tolist()

    def welfare(self) -> float:
        """W of the current profile under the proportional rule (:meth:`Market.welfare_of`)."""
        m = self.m
        return float(kernel.welfare(self.books, m.Q, m.retention, self.kind, self.par, m.n))

    def refresh(self, i: int, q_old: np.ndarray, p_old: np.ndarray, q, p) -> None:
        """Move buyer i's bids from (q_old, p_old) to (q[i], p[i]) in the books."""
        q_old, p_old = np.asarray(q_old, dtype=float), np.asarray(p_old, dtype=float)
        q_new, p_new = np.ascontiguousarray(q[i]), np.ascontiguousarray(p[i])
        kernel.refresh(i, q_old, p_old, q_new, p_new, *self.books)
        changed = (q_old != q_new) | (p_old != p_new)
        kernel.merge_sellers(changed, self.books, self.merged, self._scratch, self.m.Q, self.T)

    def turn(self, i: int, q: np.ndarray, p: np.ndarray):
        """One turn of buyer i, as :meth:`Market.turn`: (qi, pi, better)."""
        status = kernel.turn(i, q, p, *self._args())
        if status == kernel.REFERENCE:
            return Market.turn(self.m, i, q, p)
        qi, pi = self.work[3], self.work[4]
        return qi.copy(), pi.copy(), status == kernel.UPDATE

    def play(self, order, start, skip_clean, version, seen, q, p):
        """Turns of ``order[start:]`` on (q, p) with updates applied to the profile, the
        books and the sellers' ``version`` counters (as :func:`~.dynamics.simulate`).

        Returns (position, turns, updates); position < len(order) stops at a buyer whose
        turn needs the reference (:meth:`Market.turn`), not yet taken.
        """
        pos, turns, updates = kernel.play(
            np.asarray(order, dtype=np.int64), start, skip_clean, version, seen,
            self._nb_ptr, self._nb_idx, q, p, *self._args(), self._scratch, self._changed,
            self._q_old, self._p_old,
        )  # fmt: skip
        return int(pos), int(turns), int(updates)
