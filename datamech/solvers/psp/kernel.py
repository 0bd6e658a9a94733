"""Compiled (numba) turns of the PSP dynamics on per-seller order books.

The arithmetic of :class:`~.books.OrderBooks`, written as loops over flat arrays so
that numba compiles it: a turn costs microseconds instead of ~100 numpy calls.  The
reasoning (bands, the cheap end of the supply curves, eq. (4) by prefix sums) is in the
docstring of :mod:`.books`; this module is the arithmetic only.

Layout.  ``books = (negp, qty, own, cum, size)``: seller j's book is row j of ``negp``
(minus prices, ascending, so prices descend), ``qty`` and ``own`` (owner; −1 for the
reserve bid), its first ``size[j]`` entries in use, and ``cum[j, k]`` the quantity of
entries 0..k−1.  ``merged = (mp, mq, mc, ml, mo, mn)``: the entries of every seller's
band (:func:`band`) in ascending price, ties by seller then book order — price,
quantity, running quantity above it in its book, seller, owner; ``mn[0]`` of them in
use.  It is kept up to date by :func:`merge_sellers` after every change of a book, so
a turn reads it in one pass instead of sorting.  ``work = (vp, vd, vl, qi, pi)``: the
buyer's view (prices, jumps, sellers) and its reply.  Valuations are encoded as
``kind`` codes and a parameter row (:func:`encode_valuations`).

Status codes of a turn: ``HOLD`` (no update), ``UPDATE`` (the reply is in the output
rows) and ``REFERENCE`` (a case the books do not cover — a tie at the bid price, a bid
beyond the bands, θ'(0) <= 0 with a standing bid — to be taken by :meth:`Market.turn`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

TINY = 1e-12  # the same threshold as market.TINY
HOLD, UPDATE, REFERENCE = 0, 1, 2
QUADRATIC, LOG, PIECEWISE, CAPPED = 0, 1, 2, 3


def encode_valuations(vals) -> tuple[np.ndarray, np.ndarray]:
    """(kind, par) arrays for the compiled value, marginal and demand.

    quadratic: (κ, q̄); log: (w, a); linear_capped: (price, cap); piecewise_linear:
    (m, b_1..b_m, s_0..s_m).  Raises TypeError for a family the kernel does not know.
    """
    rows = []
    for v in vals:
        fam = v.family
        if fam == "quadratic":
            rows.append((QUADRATIC, [v.kappa, v.qbar]))
        elif fam == "log":
            rows.append((LOG, [v.w, v.a]))
        elif fam == "linear_capped":
            rows.append((CAPPED, [v.price, v.cap]))
        elif fam == "piecewise_linear":
            rows.append((PIECEWISE, [float(len(v.breaks)), *v.breaks, *v.slopes]))
        else:
            raise TypeError(f"no compiled form for valuation family {fam!r}")
    width = max((len(r[1]) for r in rows), default=2)
    kind = np.array([r[0] for r in rows], dtype=np.int64)
    par = np.zeros((len(rows), width))
    for k, (_, row) in enumerate(rows):
        par[k, : len(row)] = row
    return kind, par


# ---------------------------------------------------------------------- valuations
@njit(cache=True)
def value(kind, par, z):
    if kind == QUADRATIC:
        zz = min(max(z, 0.0), par[1])
        return par[0] * zz * (par[1] - zz / 2.0)
    if kind == LOG:
        return par[0] * np.log1p(max(z, 0.0) / par[1])
    if kind == CAPPED:
        return par[0] * min(max(z, 0.0), par[1])
    m = int(par[0])
    zz = max(z, 0.0)
    x0, y0 = 0.0, 0.0
    for k in range(m):
        x1 = par[1 + k]
        y1 = y0 + (x1 - x0) * par[1 + m + k]
        if zz <= x1:
            if zz == x1:
                return y1
            return y0 + (y1 - y0) / (x1 - x0) * (zz - x0)
        x0, y0 = x1, y1
    return y0 + (zz - x0) * par[1 + 2 * m]


@njit(cache=True)
def marginal(kind, par, z):
    if kind == QUADRATIC:
        return par[0] * max(par[1] - z, 0.0)
    if kind == LOG:
        return par[0] / (par[1] + max(z, 0.0))
    if kind == CAPPED:
        return par[0] if z < par[1] else 0.0
    m = int(par[0])
    idx = 0
    while idx < m and par[1 + idx] <= z:
        idx += 1
    return par[1 + m + idx]


@njit(cache=True)
def demand(kind, par, u):
    if kind == QUADRATIC:
        if u < 0:
            return np.inf
        return max(par[1] - u / par[0], 0.0)
    if kind == LOG:
        if u <= 0:
            return np.inf
        return max(par[0] / max(u, 1e-300) - par[1], 0.0)
    if kind == CAPPED:
        return par[1] if par[0] > u else 0.0
    m = int(par[0])
    count = 0
    for k in range(m + 1):
        if par[1 + m + k] > u:
            count += 1
    if count == 0:
        return 0.0
    if count > m:
        return np.inf
    return par[count]


@njit(cache=True)
def values(kind, par, z):
    """Σ_i θ_i(z_i) of every buyer (vectorized :func:`value`)."""
    total = 0.0
    for i in range(z.size):
        total += value(kind[i], par[i], z[i])
    return total


@njit(cache=True)
def welfare(books, Q, retention, kind, par, n):
    """W = Σ_i θ_i(Σ_j a_ij) + Σ_j retention_j · unsold_j under the proportional rule
    (eq. 3: groups of equal prices in descending order, a group sharing what is left in
    proportion to its bids), read off the books."""
    negp, qty, own, cum, size = books
    z = np.zeros(n)
    W = 0.0
    for j in range(Q.size):
        above = 0.0
        sold = 0.0
        g = 0
        while g < size[j]:
            e = g + 1
            while e < size[j] and negp[j, e] == negp[j, g]:
                e += 1
            tot = 0.0
            for k in range(g, e):
                tot += qty[j, k]
            left = max(Q[j] - above, 0.0)
            share = min(1.0, left / tot) if tot > 0 else 0.0
            for k in range(g, e):
                if own[j, k] >= 0:
                    a = qty[j, k] * share
                    z[own[j, k]] += a
                    sold += a
            above += tot
            g = e
        W += retention[j] * max(Q[j] - sold, 0.0)
    return W + values(kind, par, z)


# ---------------------------------------------------------------------- books
@njit(cache=True)
def _bisect_left(a, hi, x):
    lo = 0
    while lo < hi:
        mid = (lo + hi) // 2
        if a[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True)
def _bisect_right(a, hi, x):
    lo = 0
    while lo < hi:
        mid = (lo + hi) // 2
        if x < a[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


@njit(cache=True)
def recount(cum, qty, size, j, start):
    """Running quantities of book j from entry ``start`` on."""
    if start == 0:
        cum[j, 0] = 0.0
    for k in range(start, size[j]):
        cum[j, k + 1] = cum[j, k] + qty[j, k]


@njit(cache=True)
def _find(negp, own, size, j, i, price):
    k = _bisect_left(negp[j], size[j], -price)
    while own[j, k] != i:
        k += 1
    return k


@njit(cache=True)
def refresh(i, q_old, p_old, q_new, p_new, negp, qty, own, cum, size):
    """Move buyer i's bids from (q_old, p_old) to (q_new, p_new) in the books."""
    for j in range(q_old.size):
        if q_old[j] == q_new[j] and p_old[j] == p_new[j]:
            continue
        first = size[j]
        if q_old[j] > TINY:
            k = _find(negp, own, size, j, i, p_old[j])
            for t in range(k, size[j] - 1):
                negp[j, t] = negp[j, t + 1]
                qty[j, t] = qty[j, t + 1]
                own[j, t] = own[j, t + 1]
            size[j] -= 1
            first = k
        if q_new[j] > TINY:
            y = p_new[j]
            k = _bisect_right(negp[j], size[j], -y)
            for t in range(size[j], k, -1):
                negp[j, t] = negp[j, t - 1]
                qty[j, t] = qty[j, t - 1]
                own[j, t] = own[j, t - 1]
            negp[j, k] = -y
            qty[j, k] = q_new[j]
            own[j, k] = i
            size[j] += 1
            first = min(first, k)
        recount(cum, qty, size, j, first)


# ---------------------------------------------------------------------- bands
@njit(cache=True)
def band(cum, size, Q, T, j):
    """Entries lo..hi−1 of book j overlapping the units [Q_j − T, Q_j + T) from the top."""
    sz = size[j]
    cj = cum[j]
    lo = max(_bisect_right(cj, sz + 1, Q[j] - T) - 1, 0)
    hi = min(_bisect_left(cj, sz + 1, Q[j] + T), sz)
    return lo, hi


@njit(cache=True)
def _emit_band(books, Q, T, j, xp, xq, xc, xl, xo, n):
    """Append seller j's band in ascending price (equal prices in book order)."""
    negp, qty, own, cum, size = books
    lo, hi = band(cum, size, Q, T, j)
    top = hi
    while top > lo:
        g = top - 1  # the group of equal prices ending at top − 1
        while g > lo and negp[j, g - 1] == negp[j, top - 1]:
            g -= 1
        for k in range(g, top):
            xp[n] = -negp[j, k]
            xq[n] = qty[j, k]
            xc[n] = cum[j, k]
            xl[n] = j
            xo[n] = own[j, k]
            n += 1
        top = g
    return n


@njit(cache=True)
def merge_sellers(changed, books, merged, scratch, Q, T):
    """Replace the entries of the sellers with ``changed[j]`` by their new bands."""
    mp, mq, mc, ml, mo, mn = merged
    sp, sq, sc, sl, so = scratch
    half = sp.size // 2
    # the new bands of the changed sellers, sorted by (price, seller, book order)
    nb = 0
    for j in range(Q.size):
        if changed[j]:
            nb = _emit_band(books, Q, T, j, sp, sq, sc, sl, so, nb)
    order = np.argsort(sp[:nb], kind="mergesort")
    bp, bq, bc = sp[half : half + nb], sq[half : half + nb], sc[half : half + nb]
    bl, bo = sl[half : half + nb], so[half : half + nb]
    for t in range(nb):
        k = order[t]
        bp[t], bq[t], bc[t], bl[t], bo[t] = sp[k], sq[k], sc[k], sl[k], so[k]
    # the kept entries, compacted into the scratch front
    na = 0
    for t in range(mn[0]):
        if not changed[ml[t]]:
            sp[na], sq[na], sc[na], sl[na], so[na] = mp[t], mq[t], mc[t], ml[t], mo[t]
            na += 1
    # merge: equal prices go by seller (a seller is wholly on one side)
    a, b, n = 0, 0, 0
    while a < na or b < nb:
        take_a = b >= nb or (a < na and (sp[a] < bp[b] or (sp[a] == bp[b] and sl[a] < bl[b])))
        if take_a:
            mp[n], mq[n], mc[n], ml[n], mo[n] = sp[a], sq[a], sc[a], sl[a], so[a]
            a += 1
        else:
            mp[n], mq[n], mc[n], ml[n], mo[n] = bp[b], bq[b], bc[b], bl[b], bo[b]
            b += 1
        n += 1
    mn[0] = n


# ---------------------------------------------------------------------- the turn
@njit(cache=True)
def best_reply(i, q, p, E, Q, eps, th0, kind, par, books, merged, work):
    """Buyer i's truthful ε-best reply into work's (qi, pi); buyer i's sorted view of
    the cheap ends (prices, jumps, sellers) is left in work's (vp, vd, vl).  Returns the
    length of the view, or −1 when θ'(0) <= 0 (reply: no bid, no view)."""
    negp, qty, own, cum, size = books
    mp, mq, mc, ml, mo, mn = merged
    vp, vd, vl, qi, pi = work
    J = Q.size
    for j in range(J):
        qi[j] = 0.0
        pi[j] = 0.0
    if th0 <= 0:
        return -1
    # opponents only: i's entries left out, i's units taken out of the running sums
    mine = np.full(J, np.inf)
    for j in range(J):
        if q[i, j] > TINY:
            mine[j] = cum[j, _find(negp, own, size, j, i, p[i, j])]
    nv = 0
    for t in range(mn[0]):
        j = ml[t]
        if mo[t] == i or not E[i, j]:
            continue
        c = mc[t]
        if c > mine[j]:
            c -= q[i, j]
        jump = min(mq[t], Q[j] - c)
        if jump > 0:
            vp[nv] = mp[t]
            vd[nv] = jump
            vl[nv] = j
            nv += 1
    # candidate prices Y (0 and every jump price), Q_i(Y) and z* = max min(Q_i(Y), d(Y)):
    # Q_i grows and d falls, so once Q_i(Y_k) >= d(Y_k) no later Y_k does better (and
    # the split below needs no later Y_k either, as vol < z* <= Q_i(Y_k))
    Y = np.empty(nv + 1)
    Qy = np.empty(nv + 1)
    nY = 0
    zstar = -np.inf
    cs = 0.0
    for t in range(nv + 1):
        if t == nv:
            if nY > 0:
                break
            y, Q_y = 0.0, 0.0  # no jumps: Y = (0,)
        else:
            cs += vd[t]
            if t < nv - 1 and vp[t + 1] == vp[t]:
                continue
            y, Q_y = vp[t], cs
            if nY == 0 and y > 0:
                Y[0] = 0.0
                Qy[0] = 0.0
                nY = 1
                zstar = max(zstar, min(0.0, demand(kind, par, 0.0)))
        Y[nY] = y
        Qy[nY] = Q_y
        nY += 1
        d = demand(kind, par, y)
        zstar = max(zstar, min(Q_y, d))
        if Q_y >= d:
            break
    vol = zstar - eps / th0
    if vol <= TINY:
        return nv
    w = marginal(kind, par, vol)
    k = _bisect_left(Qy, nY, vol - 1e-12 * max(1.0, vol))
    k = min(k, nY - 1)
    # D_i^j below and at Y[k] (eq. 2, cheap end), then the R-MPF split (fill_cheapest)
    below = np.zeros(J)
    at = np.zeros(J)
    for t in range(nv):
        if vp[t] > Y[k]:
            break
        at[vl[t]] += vd[t]
        if k > 0 and vp[t] <= Y[k - 1]:
            below[vl[t]] += vd[t]
    tot = 0.0
    for j in range(J):
        if E[i, j]:
            tot += below[j]
    rest = max(vol - tot, 0.0)
    before = 0.0
    for j in range(J):
        if not E[i, j]:
            continue
        extra = max(at[j] - below[j], 0.0)
        amount = below[j] + min(max(rest - before, 0.0), extra)
        before += extra
        if amount > TINY:
            qi[j] = amount
            pi[j] = w
    return nv


@njit(cache=True)
def _utility(i, x_row, w_row, q, p, T, kind, par, books, work, nv):
    """u_i of the slice (x_row, w_row) against the opponents (eqs. 3, 4) on the view;
    (False, 0) when the books cannot tell (a tie at the bid price, a bid >= T).

    A bid (x, w) at seller j gets a = min(x, units of the view at j priced below w) and
    pays for the a cheapest of them; one pass over the view serves every seller."""
    negp, qty, own, cum, size = books
    vp, vd, vl, qi, pi = work
    J = x_row.size
    tot = 0.0
    wmax = -np.inf
    for j in range(J):
        if x_row[j] > TINY:
            tot += x_row[j]
            wmax = max(wmax, w_row[j])
    if tot >= T:
        return False, 0.0
    if wmax == -np.inf:
        return True, 0.0
    for j in range(J):
        x = x_row[j]
        if x <= TINY:
            continue
        w = w_row[j]
        mine = 1 if (q[i, j] > TINY and p[i, j] == w) else 0
        k = _bisect_left(negp[j], size[j], -w)
        count = 0
        while k < size[j] and negp[j, k] == -w:
            count += 1
            k += 1
        if count > mine:
            return False, 0.0  # an opponent bids exactly w: the tie rule decides
    # one pass: the units at j below w, and the cost of the x cheapest of them (which is
    # the cost of the a = min(x, units) cheapest)
    units = np.zeros(J)
    paid = 0.0
    for t in range(nv):
        if vp[t] >= wmax:
            break
        j = vl[t]
        if x_row[j] > TINY and vp[t] < w_row[j]:
            paid += min(max(x_row[j] - units[j], 0.0), vd[t]) * vp[t]
            units[j] += vd[t]
    got = 0.0
    for j in range(J):
        if x_row[j] > TINY:
            got += min(x_row[j], units[j])  # a_ij
    return True, value(kind, par, got) - paid


@njit(cache=True)
def turn(i, q, p, E, Q, T, Qsum, eps, th0, kind, par, books, merged, work):
    """One turn of buyer i: HOLD, UPDATE (reply in work's qi, pi) or REFERENCE."""
    vp, vd, vl, qi, pi = work
    J = Q.size
    row = 0.0
    for j in range(J):
        row += q[i, j]
    if row >= T and T < Qsum:
        return REFERENCE  # a standing bid beyond the bands (a given start)
    nv = best_reply(i, q, p, E, Q, eps, th0[i], kind[i], par[i], books, merged, work)
    same = True
    for j in range(J):
        if qi[j] != q[i, j] or pi[j] != p[i, j]:
            same = False
            break
    if same:
        return HOLD
    if nv < 0:
        return REFERENCE
    ok, u_new = _utility(i, qi, pi, q, p, T, kind[i], par[i], books, work, nv)
    if not ok:
        return REFERENCE
    ok, u_old = _utility(i, q[i], p[i], q, p, T, kind[i], par[i], books, work, nv)
    if not ok:
        return REFERENCE
    return UPDATE if u_new > u_old + eps else HOLD


@njit(cache=True)
def apply(i, qi, pi, q, p, version, Q, T, books, merged, scratch, changed, q_old, p_old):
    """Set buyer i's row to (qi, pi): versions, books and the merged bands follow."""
    for j in range(Q.size):
        q_old[j] = q[i, j]
        p_old[j] = p[i, j]
        changed[j] = qi[j] != q[i, j] or pi[j] != p[i, j]
        if changed[j]:
            version[j] += 1
        q[i, j] = qi[j]
        p[i, j] = pi[j]
    negp, qty, own, cum, size = books
    refresh(i, q_old, p_old, qi, pi, negp, qty, own, cum, size)
    merge_sellers(changed, books, merged, scratch, Q, T)


@njit(cache=True)
def play(order, start, skip_clean, version, seen, nb_ptr, nb_idx, q, p, E, Q, T, Qsum,
         eps, th0, kind, par, books, merged, work, scratch, changed, q_old, p_old):  # fmt: skip
    """Turns of the buyers ``order[start:]`` with updates applied (:func:`apply`).

    Returns (position, turns, updates): position = len(order) when the pass is done,
    else the position of a buyer whose turn needs the reference (not yet counted).
    """
    vp, vd, vl, qi, pi = work
    turns = 0
    updates = 0
    for pos in range(start, order.size):
        i = order[pos]
        mark = 0
        for t in range(nb_ptr[i], nb_ptr[i + 1]):
            mark += version[nb_idx[t]]
        if skip_clean and mark == seen[i]:
            continue
        status = turn(i, q, p, E, Q, T, Qsum, eps, th0, kind, par, books, merged, work)
        if status == REFERENCE:
            return pos, turns, updates
        turns += 1
        if status == UPDATE:
            apply(i, qi, pi, q, p, version, Q, T, books, merged, scratch, changed, q_old, p_old)
            updates += 1
            mark = 0
            for t in range(nb_ptr[i], nb_ptr[i + 1]):
                mark += version[nb_idx[t]]
        seen[i] = mark
    return order.size, turns, updates
