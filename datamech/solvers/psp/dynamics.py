"""PSP bidding dynamics: buyers take turns sending truthful ε-best replies (spec §2.7–2.8).

A buyer sends its reply t_i only if u_i(t_i; s_{-i}) > u_i(s_i; s_{-i}) + ε, otherwise it
holds ([LS] Algorithm 1).  One *round* is a pass in which every buyer gets one turn:

* ``"asynchronous"``: a fresh seeded random order each pass (the draft's "dynamically
  and asynchronously");
* ``"round_robin"``: buyers in index order (the [P] prototype's schedule);
* ``"synchronous"``: every buyer replies to the same snapshot and all updates apply
  together.

A buyer's turn depends only on the bids at its neighbour sellers (its reply excludes its
own bid), so a buyer is skipped when no bid at any of its sellers changed since its last
turn: its reply and its decision would be the same (one version counter per seller).

By default (tie rule ``"proportional"``, asynchronous or round-robin schedule) the turns
are computed on per-seller order books (:class:`~.books.OrderBooks`), which move only
the bids that changed, and each pass runs inside a compiled (numba) loop that hands a
turn to the reference only where the books cannot decide it (a price tie at the bid);
the reference :meth:`Market.turn` (``fast=False``) makes the same reply and decision
from the same profile (whole runs can part after a price tie that is exact in real
arithmetic but broken differently by the two float paths).  The first run in a fresh
install compiles the kernel (about 15 s); numba caches it on disk.

The run stops after the first pass with no update (``converged = True``), after
``max_iterations`` passes or past ``time_limit`` seconds (``converged = False``; the
default cap is derived from ε, :func:`default_max_iterations`).  A stop certifies only
that no buyer can gain more than ε by its truthful reply; the 2ε-Nash property is
checked separately (:mod:`.equilibrium`).

Examples
--------
>>> from datamech.models.psp import PSPModel
>>> from datamech.models.psp_valuations import LinearCappedValuation as L
>>> m = PSPModel([65.0, 85.0], ("A", "B"), (L(1.0, 50.0), L(1.2, 40.0)), 0.1,
...              schedule="round_robin")
>>> run = simulate(Market(m))
>>> run.converged, run.rounds
(True, 2)
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from ...progress import progress
from .books import OrderBooks
from .market import Market

#: Largest default cap on passes (a derived default beyond it is clipped; give
#: ``max_iterations`` to run longer).
DEFAULT_CAP = 10**6
#: Convergence curves are thinned (every other point dropped, stride doubled) beyond this.
CURVE_POINTS = 100_000


def default_max_iterations(model) -> int:
    """The default cap on passes, derived from the dynamics (docs/psp.md "Iteration cap").

    A truthful reply bids the quantity z* − ε/θ_i'(0), so an update that outbids the
    market raises buyer i's price by about θ_i'(0)/q̄_i · ε/θ_i'(0) = ε/q̄_i, with q̄_i the
    quantity over which θ_i' falls from θ_i'(0) to 0 (q̄ of a quadratic valuation; in
    general the demand at price 0, capped by the supply the buyer reaches: the thinnest
    link of its route in a route market).  Prices climb
    from the lowest reserve to at most the largest θ_i'(0), and a buyer updates at most
    once per pass, so buyer i needs about (max θ'(0) − min r) q̄_i/ε passes.  The default
    is four times the largest of these plus 2n + 10 (measured runs need 0.3–1.2 times
    the estimate), clipped to :data:`DEFAULT_CAP`.

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
    >>> from datamech.models.psp_valuations import QuadraticValuation as Qv
    >>> m = PSPModel([10.0], ("a", "b"), (Qv(1.0, 8.0), Qv(1.0, 6.0)), 0.001, reserve=[0.0])
    >>> default_max_iterations(m)       # 4 * (8 - 0) * 8 / 0.001 + 2 * 2 + 10
    256014
    """
    reach = model.reach()
    theta0 = np.array([v.theta_prime0 for v in model.valuations])
    d0 = np.array([float(v.demand(0.0)) for v in model.valuations])
    qbar = np.minimum(d0, reach)
    climb = max(float(theta0.max()) - float(np.min(model.reserve)), 0.0)
    estimate = 4.0 * climb * float(qbar.max()) / model.epsilon
    if not np.isfinite(estimate) or estimate > DEFAULT_CAP:
        return DEFAULT_CAP
    return int(np.ceil(estimate)) + 2 * model.n_buyers + 10


@dataclass(frozen=True)
class Simulation:
    """Final profile and history of a run of the dynamics.

    ``stopped`` says why the run ended: ``"converged"`` (a pass without updates),
    ``"iteration_limit"`` (``max_iterations`` passes) or ``"time_limit"``.  Duration
    (the draft's auction duration): ``rounds`` (passes), ``turns`` (replies computed),
    ``messages`` (bids sent: buyers' updates), ``seller_steps`` (re-clearings: the number of
    (update, seller) pairs where the bid at that seller changed), ``seconds``.  The curves
    hold one entry every ``curve_step`` passes (thinned beyond
    :data:`CURVE_POINTS` points).

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.
    """

    q: np.ndarray
    p: np.ndarray
    rounds: int
    converged: bool
    messages: int
    seconds: float
    welfare_curve: tuple[float, ...] = field(default=())
    updates_curve: tuple[int, ...] = field(default=())
    price_curve: tuple[float, ...] = field(default=())
    turns: int = 0
    stopped: str = "converged"
    max_iterations: int = 0
    curve_step: int = 1
    seller_steps: int = 0


def simulate(
    market: Market,
    schedule: str | None = None,
    max_iterations: int | None = None,
    seed: int | None = None,
    initial: tuple[np.ndarray, np.ndarray] | None = None,
    record: bool = True,
    skip_clean: bool = True,
    fast: bool | None = None,
    time_limit: float | None = None,
    *,
    max_rounds: int | None = None,
    max_seconds: float | None = None,
) -> Simulation:
    """Run the standard-mode dynamics from ``initial`` (default: no bids).

    Parameters
    ----------
    market : Market
    schedule, seed : optional
        Override the model's values.
    max_iterations : int, optional
        Cap on passes; default the model's ``max_iterations``, else
        :func:`default_max_iterations` (``max_rounds`` is its deprecated name).
    initial : (q, p), optional
        Starting profile (e.g. :func:`warm_start`).
    record : bool
        Record welfare, number of updates and mean bid price after every round (the
        convergence curves).
    skip_clean : bool
        Skip buyers none of whose sellers saw a bid change since their last turn (exact:
        the run is the same, only faster).
    fast : bool, optional
        Compute the turns on per-seller order books (:class:`~.books.OrderBooks`); the
        default for the ``"proportional"`` tie rule with the asynchronous and round-robin
        schedules.  ``False`` uses :meth:`Market.turn`, the reference: the same replies
        and decisions from the same profile, with sums taken in another order (bids
        agree to ~1e-10; a real-number price tie can be broken differently, and a
        synchronous run that oscillates amplifies the difference, hence not its
        default).
    time_limit : float, optional
        Also stop after the first pass ending past this many wall-clock seconds
        (``max_seconds`` is its deprecated name).

    Returns
    -------
    Simulation

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.
    """
    if max_rounds is not None:
        _renamed("max_rounds", "max_iterations")
        max_iterations = max_rounds if max_iterations is None else max_iterations
    if max_seconds is not None:
        _renamed("max_seconds", "time_limit")
        time_limit = max_seconds if time_limit is None else time_limit
    model = market.model
    schedule = schedule or model.schedule
    if max_iterations is None:
        max_iterations = model.max_iterations or default_max_iterations(model)
    max_iterations = int(max_iterations)
    rng = np.random.default_rng(model.seed if seed is None else seed)
    q, p = market.zero_profile() if initial is None else (initial[0].copy(), initial[1].copy())
    t0 = time.perf_counter()
    welfare, updates_curve, prices = [], [], []
    step = 1
    messages = 0
    rounds = 0
    turns = 0
    stopped = "iteration_limit"
    version = np.zeros(market.J, dtype=np.int64)  # bumped when a bid at seller j changes
    seen = np.full(market.n, -1, dtype=np.int64)  # Σ versions of i's sellers at its last turn
    nbs = market.neighbours
    if fast is None:
        # synchronous passes can oscillate, which amplifies the paths' ulp differences
        fast = market.tie_break == "proportional" and schedule != "synchronous"
    books = None
    if fast and market.compiled:
        try:
            books = OrderBooks(market, q, p)
        except TypeError:  # a valuation family without a compiled form
            books = None
    turn = books.turn if books is not None else market.turn

    def apply(i: int, qi: np.ndarray, pi: np.ndarray) -> None:
        changed = (qi != q[i]) | (pi != p[i])
        version[changed] += 1
        old_q, old_p = q[i].copy(), p[i].copy()
        q[i], p[i] = qi, pi
        if books is not None:
            books.refresh(i, old_q, old_p, q, p)

    def take_turn(i: int, take) -> int:
        """One asynchronous turn of buyer i by ``take``; 1 if it updated."""
        qi, pi, better = take(i, q, p)
        if better:
            apply(i, qi, pi)
        seen[i] = int(version[nbs[i]].sum())
        return int(better)

    bar = progress(desc="PSP dynamics", unit="pass")
    while rounds < max_iterations:
        rounds += 1
        updates = 0
        if schedule == "synchronous":
            new = []
            for i in range(market.n):
                mark = int(version[nbs[i]].sum())
                if skip_clean and mark == seen[i]:
                    continue
                seen[i] = mark
                turns += 1
                qi, pi, better = turn(i, q, p)
                if better:
                    new.append((i, qi, pi))
            for i, qi, pi in new:
                apply(i, qi, pi)
            for i, _, _ in new:
                seen[i] = -1  # the others moved too: look again next pass
            updates = len(new)
        elif books is not None:
            order = rng.permutation(market.n) if schedule == "asynchronous" else np.arange(market.n)
            pos = 0
            while pos < order.size:  # compiled passes, left only for a reference turn
                pos, n_turns, n_updates = books.play(order, pos, skip_clean, version, seen, q, p)
                turns += n_turns
                updates += n_updates
                if pos < order.size:
                    turns += 1
                    updates += take_turn(int(order[pos]), market.turn)
                    pos += 1
        else:
            order = rng.permutation(market.n) if schedule == "asynchronous" else range(market.n)
            for i in order:
                if skip_clean and int(version[nbs[i]].sum()) == seen[i]:
                    continue
                turns += 1
                updates += take_turn(i, turn)
        messages += updates
        bar.update(1)
        if record and (rounds - 1) % step == 0:
            compiled = books is not None and market.tie_break == "proportional"
            welfare.append(books.welfare() if compiled else market.welfare_of(q, p))
            updates_curve.append(updates)
            active = p[q > 0]
            prices.append(float(active.mean()) if active.size else 0.0)
            if len(welfare) >= CURVE_POINTS:  # keep the curves bounded: every other point
                welfare, updates_curve, prices = welfare[::2], updates_curve[::2], prices[::2]
                step *= 2
        if updates == 0:
            stopped = "converged"
            break
        if time_limit is not None and time.perf_counter() - t0 > time_limit:
            stopped = "time_limit"
            break
    bar.close()
    return Simulation(
        q=q,
        p=p,
        rounds=rounds,
        converged=stopped == "converged",
        messages=messages,
        seconds=time.perf_counter() - t0,
        welfare_curve=tuple(welfare),
        updates_curve=tuple(updates_curve),
        price_curve=tuple(prices),
        turns=turns,
        stopped=stopped,
        max_iterations=max_iterations,
        curve_step=step,
        seller_steps=int(version.sum()),
    )


def _renamed(old: str, new: str) -> None:
    warnings.warn(f"{old!r} is deprecated; use {new!r}", DeprecationWarning, stacklevel=3)


def warm_start(market: Market, benchmark=None) -> tuple[np.ndarray, np.ndarray]:
    """Truthful bids at the centralized optimum (the welfare program): (x*_ij, θ_i'(z_i*)).

    A starting profile for :func:`simulate` (option ``warm_start``); the dynamics and
    their stopping rule are unchanged, only the start is informed by the cvxpy prices.

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.
    """
    from .centralized import efficient_allocation

    bench = efficient_allocation(market.model) if benchmark is None else benchmark
    x = np.where(bench.x > 1e-9, bench.x, 0.0)
    z = x.sum(axis=1)
    if market.kind == "route":  # the flow x_i* on every link of the route
        z = np.where(bench.z > 1e-9, bench.z, 0.0)
        x = np.where(market.E, z[:, None], 0.0)
    elif market.E.all() and z.sum() <= market.Q.sum() + 1e-9:
        # an interior-point optimum spreads every z_i over all sellers (any split is
        # optimal on a complete graph); the north-west-corner split of the same totals
        # has at most n + J − 1 bids, which keeps the books and the first pass small
        x = np.zeros_like(x)
        left = market.Q.copy()
        j = 0
        for i in range(market.n):
            need = z[i]
            while need > 1e-12 and j < market.J:
                take = min(need, left[j])
                x[i, j] += take
                need -= take
                left[j] -= take
                if left[j] <= 1e-12:
                    j += 1
        z = x.sum(axis=1)
    w = np.array([v.marginal(zz) for v, zz in zip(market.vals, z, strict=True)])
    return x, np.where(x > 0, w[:, None], 0.0)
