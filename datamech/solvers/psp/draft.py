"""The draft's own dynamics ("draft mode", spec §2.6): opt-out split and progressive allocation.

One *time step* is one seller phase followed by the buyers' responses (draft §3.4.3).
Before the first step the buyers place their initial bids (the example's t = 0).

Seller phase, every open seller j (spec §2.6, the [R] executable reading of Algorithm 1):

1. confirm winners: a buyer fully offered its bid in j's previous publication that has
   not changed the bid since gets it (``R_j -= q_ij``, ``x_ij += q_ij``, bid removed);
   ``winners_per_step="all"`` (default, as the example) or ``"one"`` (eq. 28: only the
   highest-priced);
2. offers: bids priced below r_j get 0, the others share R_j by eq. (20) (the model's tie
   rule);
3. reserve (27): i* is the highest-priced active bidder offered 0, else the lowest-priced
   partially served one; ``r_j <- max(r_j, p_i*j + ε)``;
4. returns (Algorithm 1 lines 10–13, fixed ``+=``): a tentative winner k with
   ``p_kj < p_i*j`` gets its quantity back to R_j;
5. publish (R_j, r_j, offers); j closes when R_j = 0.

Buyer phase, every buyer with remaining need N_i = D_i − Σ_j x_ij > 0:

1. hold if every standing bid is fully offered and Σ_j q_ij = N_i;
2. otherwise avail_ij = o_ij where i has a standing bid, else R_j (open neighbours only);
   the pool is the n sellers with the largest avail, n = min{n : n·avail_(n) >= N_i}
   (eq. 22), and i bids N_i / n at each (eq. 24), nothing elsewhere;
3. price (35): ``p_i <- min(max(p_i, max_{pool} r_j), p^κ)``, the same at every pool seller;
4. if no n satisfies (22), the shortfall N_i − max_n n·avail_(n) is bought from the ISP κ
   at p^κ (``isp_fallback=True``) or the buyer bids what it can cover and waits.

The run stops when every auction is closed, every need is met, or a whole time step
changes nothing (``converged = True``), or after ``max_iterations`` steps (default
:func:`default_draft_steps`) or ``time_limit`` seconds.

Payments [R]: eq. (4) on each auction's final confirmed profile with the reserve bid
(Q_j, r_j final); the allocation is the confirmed one (the draft's progressive
allocation, not a re-clearing of the confirmed bids, which could split a tie with the
reserve).

Where the replay differs from the draft's printed trace (spec §4.1 errata; the test
``tests/solvers/test_psp_draft.py::test_reg_ex_draft_trace`` pins each):

* E1: at t = 1 seller 2 offers B 25 (= 85 − 14 − 20 − 26); the draft prints 20.
* E2: at t = 3 R_1 = 25 (65 − B's 40); the draft prints 50.
* E3: at t = 3 A's entry at seller 2 is priced p2 (the draft prints p1).
* E4: C, D, E keep their own prices at t = 1 (rule 35 only binds in a new pool); the
  draft shows them at p2 = 1 + ε.
* E5: the table prices are initial bids and valuations are LinearCapped(p^κ, D_i);
  with the table price as A's value A would pay 50(1 + ε) > 50 (u_A < 0).
* E6: C, D and E are confirmed together (``winners_per_step="all"``); eq. (28) / Algorithm
  1 confirm one winner per step (``"one"``: 5 steps instead of 4, same allocation).
* E7: (36) p^j <= min p_i − ε fails at t = 2 (A bids exactly r_j = 1 + ε); not asserted.
* E8: Algorithm 2 starts prices at ε (``initial_prices="epsilon"``); on the example the
  five equal-priced buyers then herd between the two sellers every step and nothing is
  ever confirmed (the run hits ``max_iterations``): the draft's rules need distinct prices.

Examples
--------
The worked example (spec §4.1, REG-EX-DRAFT) ends after 4 time steps:

>>> from datamech.models.psp import PSPModel
>>> from datamech.models.psp_valuations import LinearCappedValuation as L
>>> D, P = [50, 40, 26, 20, 14], [1, 1.2, 1.5, 2, 2.2]
>>> m = PSPModel([65.0, 85.0], tuple("ABCDE"), tuple(L(3.0, d) for d in D), 0.01,
...              p_kappa=3.0, initial_price=P)
>>> run = simulate_draft(m)
>>> run.rounds, run.converged, run.x.tolist()
(4, True, [[25.0, 25.0], [40.0, 0.0], [0.0, 26.0], [0.0, 20.0], [0.0, 14.0]])
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ...errors import ModelError
from ...models.io import check_choice
from ...models.psp import PSPModel
from ...progress import progress
from .auction import allocate
from .dynamics import DEFAULT_CAP
from .options import INITIAL_PRICES, WINNERS

TOL = 1e-9
#: The trace keeps the first steps, up to this many buyer–seller entries in all.
TRACE_CELLS = 200_000


@dataclass(frozen=True)
class DraftStep:
    """The state published at the end of time step ``t`` (after the buyers' responses)."""

    t: int
    remaining: tuple[float, ...]
    reserve: tuple[float, ...]
    offers: tuple[tuple[float, ...], ...]
    bids_quantity: tuple[tuple[float, ...], ...]
    bids_price: tuple[tuple[float, ...], ...]
    confirmed: tuple[tuple[float, ...], ...]


@dataclass(frozen=True)
class DraftRun:
    """Outcome of the draft-mode dynamics.

    ``x`` is the confirmed allocation, ``price`` the unit price of each confirmed bid,
    ``reserve`` the final reserves, ``isp`` the data each buyer bought from κ;
    ``seller_steps`` counts the seller phases run (one per open seller and time step).

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.
    """

    x: np.ndarray
    price: np.ndarray
    reserve: np.ndarray
    isp: np.ndarray
    q: np.ndarray
    p: np.ndarray
    rounds: int
    converged: bool
    messages: int
    seconds: float
    trace: tuple[DraftStep, ...] = field(default=())
    welfare_curve: tuple[float, ...] = field(default=())
    updates_curve: tuple[int, ...] = field(default=())
    stopped: str = "converged"
    max_iterations: int = 0
    seller_steps: int = 0


def default_draft_steps(model: PSPModel) -> int:
    """Default cap on time steps of the draft's rules.

    A step that changes anything raises some reserve by ε (27) or confirms or returns a
    bid; reserves and prices stop at p^κ, so a run that has not ended after
    (p^κ − min r)/ε steps per buyer is herding (equal initial prices: draft Algorithm 2, line
    1).  The default is four times (p^κ − min r)/ε plus 2n + 10, clipped to
    :data:`~.dynamics.DEFAULT_CAP`.

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
    >>> default_draft_steps(PSPModel([5.0], ("a",), (L(3.0, 2.0),), 0.01, reserve=[1.0]))
    812
    """
    climb = max(model.overage_price() - float(np.min(model.reserve)), 0.0)
    estimate = 4.0 * climb / model.epsilon
    if not np.isfinite(estimate) or estimate > DEFAULT_CAP:
        return DEFAULT_CAP
    return int(np.ceil(estimate)) + 2 * model.n_buyers + 10


def _initial_prices(model: PSPModel, rule: str | None) -> np.ndarray:
    if rule is None:
        rule = "given" if model.initial_price is not None else "iid_uniform"
    check_choice(rule, "solver.initial_prices", INITIAL_PRICES)
    n = model.n_buyers
    if rule == "given":
        if model.initial_price is None:
            raise ModelError("buyers.initial_price", "is required for initial_prices = 'given'")
        return np.asarray(model.initial_price, dtype=float).copy()
    if rule == "epsilon":  # Algorithm 2 line 1
        return np.full(n, model.epsilon)
    rng = np.random.default_rng(model.seed)  # §3.4.4: i.i.d. on [ε, p^κ]
    return rng.uniform(model.epsilon, max(model.overage_price(), model.epsilon), n)


def simulate_draft(
    model: PSPModel,
    winners_per_step: str = "all",
    isp_fallback: bool = True,
    initial_prices: str | None = None,
    record: bool = True,
    max_iterations: int | None = None,
    time_limit: float | None = None,
) -> DraftRun:
    """Run the draft's rules (§3.4.4, Algorithm 2) on ``model`` (see the module docstring).

    ``max_iterations`` caps the time steps (default: the model's, else
    :func:`default_draft_steps`); ``time_limit`` stops after the first step past that
    many seconds.  The trace is recorded for the first steps only, up to
    :data:`TRACE_CELLS` buyer–seller entries in all.

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.
    """
    check_choice(winners_per_step, "solver.winners_per_step", WINNERS)
    if max_iterations is None:
        max_iterations = model.max_iterations or default_draft_steps(model)
    t0 = time.perf_counter()
    n, J = model.n_buyers, model.n_sellers
    E = np.asarray(model.edges, dtype=bool)
    eps = model.epsilon
    pk = model.overage_price()
    need = np.asarray(model.needs(), dtype=float)
    R = np.asarray(model.supply, dtype=float).copy()
    r = np.asarray(model.reserve, dtype=float).copy()
    price = np.minimum(_initial_prices(model, initial_prices), pk)  # p_i, one per buyer
    q = np.zeros((n, J))
    p = np.zeros((n, J))
    x = np.zeros((n, J))
    xp = np.zeros((n, J))  # price of each confirmed bid
    isp = np.zeros(n)
    offers = np.zeros((n, J))
    pub_q = np.full((n, J), -1.0)  # bids as they were when last published
    pub_p = np.full((n, J), -1.0)
    is_open = np.ones(J, dtype=bool)
    published = False

    def remaining_need() -> np.ndarray:
        return need - x.sum(axis=1) - isp

    def buyer_phase() -> int:
        changed = 0
        N = remaining_need()
        for i in range(n):
            if N[i] <= TOL:
                if np.any(q[i] > 0):  # nothing more to buy: withdraw
                    q[i], p[i] = 0.0, 0.0
                    changed += 1
                continue
            standing = q[i] > TOL
            if (
                published
                and standing.any()
                and np.all(offers[i, standing] >= q[i, standing] - TOL)
                and abs(q[i].sum() - N[i]) <= TOL
            ):
                continue  # hold
            cand = np.flatnonzero(E[i] & is_open)
            avail = np.where(standing[cand] & published, offers[i, cand], R[cand])
            order = cand[np.argsort(-avail, kind="stable")]
            av = np.sort(avail)[::-1]
            cover = av * np.arange(1, av.size + 1)  # n · avail_(n)
            ok = np.flatnonzero(cover >= N[i] - TOL)
            if ok.size:
                k = int(ok[0]) + 1
                amount = N[i]
            else:
                if cover.size == 0 or cover.max() <= TOL:
                    k, amount = 0, 0.0
                else:
                    k = int(np.argmax(cover)) + 1
                    amount = float(cover[k - 1])
                if isp_fallback:
                    isp[i] += N[i] - amount
            new_q = np.zeros(J)
            new_p = np.zeros(J)
            if k > 0 and amount > TOL:
                pool = order[:k]
                price[i] = min(max(price[i], float(r[pool].max())), pk)
                new_q[pool] = amount / k
                new_p[pool] = price[i]
            if not (np.array_equal(new_q, q[i]) and np.array_equal(new_p, p[i])):
                q[i], p[i] = new_q, new_p
                changed += 1
        return changed

    def seller_phase() -> int:
        events = 0
        for j in np.flatnonzero(is_open):
            col_q, col_p = q[:, j], p[:, j]
            # 1. confirm winners of the previous publication
            full = (
                (col_q > TOL)
                & (offers[:, j] >= col_q - TOL)
                & (col_q == pub_q[:, j])
                & (col_p == pub_p[:, j])
            )
            win = np.flatnonzero(full)
            if winners_per_step == "one" and win.size > 1:
                win = win[[int(np.argmax(col_p[win]))]]
            for i in win:
                R[j] -= col_q[i]
                x[i, j] += col_q[i]
                xp[i, j] = col_p[i]
                q[i, j] = p[i, j] = 0.0
                events += 1
            R[j] = max(R[j], 0.0)
            # 2. offers by eq. (20) on R_j, bids under the reserve get nothing
            act = np.flatnonzero(q[:, j] > TOL)
            o = np.zeros(n)
            above = act[p[act, j] >= r[j]]
            if above.size:
                o[above] = allocate(q[above, j], p[above, j], R[j], model.tie_break)
            # 3. reserve update (27) with the [R] choice of i*
            zero = act[o[act] <= TOL]
            part = act[(o[act] > TOL) & (o[act] < q[act, j] - TOL)]
            istar = None
            if zero.size:
                istar = zero[int(np.argmax(p[zero, j]))]
            elif part.size:
                istar = part[int(np.argmin(p[part, j]))]
            if istar is not None:
                new_r = max(r[j], p[istar, j] + eps)
                if new_r != r[j]:
                    r[j] = new_r
                    events += 1
                # 4. returns: tentative winners priced under p_i*
                back = np.flatnonzero((x[:, j] > 0) & (xp[:, j] < p[istar, j]))
                for k in back:
                    R[j] += x[k, j]
                    x[k, j] = xp[k, j] = 0.0
                    events += 1
            if not np.array_equal(offers[:, j], o):
                events += 1
            offers[:, j] = o
            pub_q[:, j] = q[:, j]
            pub_p[:, j] = p[:, j]
            if R[j] <= TOL:
                R[j] = 0.0
                is_open[j] = False
                events += 1
        return events

    trace: list[DraftStep] = []
    welfare_curve: list[float] = []
    updates_curve: list[int] = []
    trace_steps = max(TRACE_CELLS // max(n * J, 1), 1)
    messages = buyer_phase()  # t = 0: initial bids
    published = True
    if record:
        trace.append(_snapshot(0, R, r, offers, q, p, x))
    rounds, stopped = 0, "iteration_limit"
    seller_steps = 0
    bar = progress(desc="PSP draft rules", unit="step")
    while True:
        if not is_open.any() or np.all(remaining_need() <= TOL):
            stopped = "converged"
            break
        if rounds >= max_iterations:
            break
        rounds += 1
        seller_steps += int(is_open.sum())
        events = seller_phase()
        changed = buyer_phase()
        messages += changed
        bar.update(1)
        if record:
            if len(trace) < trace_steps:
                trace.append(_snapshot(rounds, R, r, offers, q, p, x))
            z = x.sum(axis=1)
            welfare_curve.append(
                float(sum(v.value(z[i]) for i, v in enumerate(model.valuations)))
                + float(np.dot(model.retention, R))
            )
            updates_curve.append(changed)
        if events == 0 and changed == 0:
            stopped = "converged"
            break
        if time_limit is not None and time.perf_counter() - t0 > time_limit:
            stopped = "time_limit"
            break
    bar.close()
    return DraftRun(
        x=x,
        price=xp,
        reserve=r,
        isp=isp,
        q=q,
        p=p,
        rounds=rounds,
        converged=stopped == "converged",
        messages=messages,
        seconds=time.perf_counter() - t0,
        trace=tuple(trace),
        welfare_curve=tuple(welfare_curve),
        updates_curve=tuple(updates_curve),
        stopped=stopped,
        max_iterations=int(max_iterations),
        seller_steps=seller_steps,
    )


def _snapshot(t, R, r, offers, q, p, x) -> DraftStep:
    def rows(a):
        return tuple(tuple(float(v) for v in row) for row in a)

    return DraftStep(
        t=t,
        remaining=tuple(float(v) for v in R),
        reserve=tuple(float(v) for v in r),
        offers=rows(offers),
        bids_quantity=rows(q),
        bids_price=rows(p),
        confirmed=rows(x),
    )


def draft_payments(
    x: np.ndarray, price: np.ndarray, supply: np.ndarray, reserve: np.ndarray, tie_break: str
) -> np.ndarray:
    """c_ij by eq. (4) on the confirmed profile with the reserve bid (Q_j, r_j) [R, §2.6].

    c_ij = Σ_{k≠i} p_kj [a_kj(0; s_{-i}) − x_kj], the reserve included as a k with the
    unsold supply as its allocation; a(0; s_{-i}) clears the other confirmed bids and the
    reserve with the tie rule.

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.

    Examples
    --------
    >>> x = np.array([[25.0], [40.0]]); pr = np.array([[1.01], [1.2]])
    >>> draft_payments(x, pr, np.array([65.0]), np.array([1.01]), "proportional").round(9).tolist()
    [[25.25], [40.4]]
    """
    n, J = x.shape
    c = np.zeros((n, J))
    for j in range(J):
        ids = np.flatnonzero(x[:, j] > 0)
        qs = np.append(x[ids, j], supply[j])
        ps = np.append(price[ids, j], reserve[j])
        now = np.append(x[ids, j], max(supply[j] - x[ids, j].sum(), 0.0))
        for m, i in enumerate(ids):
            keep = np.arange(qs.size) != m
            without = allocate(qs[keep], ps[keep], supply[j], tie_break)
            c[i, j] = float(np.dot(ps[keep], without - now[keep]))
    return c
