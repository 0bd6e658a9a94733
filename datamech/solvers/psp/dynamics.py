"""PSP bidding dynamics: buyers take turns sending truthful ε-best replies (spec §2.7–2.8).

A buyer sends its reply t_i only if u_i(t_i; s_{-i}) > u_i(s_i; s_{-i}) + ε, otherwise it
holds ([LS] Algorithm 1).  One *round* is a pass in which every buyer gets one turn:

* ``"asynchronous"``: a fresh seeded random order each pass (the draft's "dynamically
  and asynchronously");
* ``"round_robin"``: buyers in index order (the [P] prototype's schedule);
* ``"synchronous"``: every buyer replies to the same snapshot and all updates apply
  together.

The run stops after the first pass with no update (``converged = True``) or after
``max_rounds`` passes (``converged = False``).  A stop certifies only that no buyer can
gain more than ε by its truthful reply; the 2ε-Nash property is checked separately
(:mod:`.equilibrium`).

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
from dataclasses import dataclass, field

import numpy as np

from .market import Market


@dataclass(frozen=True)
class Simulation:
    """Final profile and history of a run of the dynamics."""

    q: np.ndarray
    p: np.ndarray
    rounds: int
    converged: bool
    messages: int
    seconds: float
    welfare_curve: tuple[float, ...] = field(default=())
    updates_curve: tuple[int, ...] = field(default=())
    price_curve: tuple[float, ...] = field(default=())


def simulate(
    market: Market,
    schedule: str | None = None,
    max_rounds: int | None = None,
    seed: int | None = None,
    initial: tuple[np.ndarray, np.ndarray] | None = None,
    record: bool = True,
) -> Simulation:
    """Run the standard-mode dynamics from ``initial`` (default: no bids).

    Parameters
    ----------
    market : Market
    schedule, max_rounds, seed : optional
        Override the model's values.
    initial : (q, p), optional
        Starting profile.
    record : bool
        Record welfare, number of updates and mean bid price after every round (the
        convergence curves).

    Returns
    -------
    Simulation
    """
    model = market.model
    schedule = schedule or model.schedule
    max_rounds = int(max_rounds or model.max_rounds)
    rng = np.random.default_rng(model.seed if seed is None else seed)
    q, p = market.zero_profile() if initial is None else (initial[0].copy(), initial[1].copy())
    t0 = time.perf_counter()
    welfare, updates_curve, prices = [], [], []
    messages = 0
    rounds = 0
    converged = False
    while rounds < max_rounds:
        rounds += 1
        updates = 0
        if schedule == "synchronous":
            new = []
            for i in range(market.n):
                qi, pi, better = market.turn(i, q, p)
                if better:
                    new.append((i, qi, pi))
            for i, qi, pi in new:
                q[i], p[i] = qi, pi
            updates = len(new)
        else:
            order = rng.permutation(market.n) if schedule == "asynchronous" else range(market.n)
            for i in order:
                qi, pi, better = market.turn(i, q, p)
                if better:
                    q[i], p[i] = qi, pi
                    updates += 1
        messages += updates
        if record:
            welfare.append(market.welfare_of(q, p))
            updates_curve.append(updates)
            active = p[q > 0]
            prices.append(float(active.mean()) if active.size else 0.0)
        if updates == 0:
            converged = True
            break
    return Simulation(
        q=q,
        p=p,
        rounds=rounds,
        converged=converged,
        messages=messages,
        seconds=time.perf_counter() - t0,
        welfare_curve=tuple(welfare),
        updates_curve=tuple(updates_curve),
        price_curve=tuple(prices),
    )
