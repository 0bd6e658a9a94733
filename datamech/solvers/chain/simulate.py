"""Monte Carlo play of a chain strategy profile (Def 2.4 game dynamics, Eq. 2 utilities).

The exact metrics of :mod:`.metrics` are expectations over valuation paths; this module
estimates the same expectations by playing the game on sampled paths, as the paper's
Section 5 does, and reports standard errors so the two can be compared.

Each sample draws v_0 from the start law and v_i | v_{i-1} from row v_{i-1} of Q_i
(inverse-CDF sampling).  In round i player i-1 posts p_{i-1} = p*(i-1, v_{i-1}), player i
accepts iff u*(i, v_i) >= p_{i-1} (the same rule and tolerance as the exact metrics,
:func:`.core.acceptance`), and trade i happens iff trades 1..i all did.  Realized
utilities follow Eq. (2): U_i = (v_i - p_{i-1}) y_i + sum_{j>i} t_ji p_{j-1} y_j, and
player 0 always gets v_0.

Randomness: one ``numpy.random.default_rng(seed)`` stream supplies, sample after
sample, n + 1 uniforms per sample (v_0, v_1, ..., v_n).  Chunks take consecutive slices
of that stream, so the sampled paths do not depend on ``chunk_size``; the reported means
and errors then agree across chunk sizes up to floating-point rounding.

Examples
--------
>>> from datamech.models.chain import paper_model
>>> from datamech.solvers.chain import solve_equilibrium
>>> from datamech.solvers.chain.simulate import simulate
>>> model = paper_model(2, n=5, mechanism="AVE")
>>> eq = solve_equilibrium(model, tol=0)
>>> sim = simulate(model, eq, samples=20_000, seed=1)
>>> abs(sim.compare(eq)["social_welfare"]["z"]) < 4
True
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import ModelError
from ...models.chain import ChainModel
from ...numeric import read_array, read_int
from ...progress import progress
from ...results import ResultMixin
from ...status import Status
from .core import DEFAULT_TOL, Arithmetic, acceptance, arithmetic
from .equilibrium import ChainEquilibrium

DEFAULT_CHUNK = 100_000


@dataclass(frozen=True, repr=False)
class ChainSimulation(ResultMixin):
    """Sample means of the chain's outcomes under a strategy profile, with standard errors.

    Every metric ``m`` comes with ``m_se``, the standard error of its mean (sample
    standard deviation over sqrt(samples); NaN when ``samples`` is 1).
    ``trade_success[i-1]`` estimates P(trade i happens), i = 1..n;
    ``player_utility[i]`` estimates E[U_i] (Eq. 2), i = 0..n.  ``seed`` is the seed
    used (the generated entropy when none was given), so the run can be repeated.
    ``tol`` and ``exact`` describe the buyers' acceptance comparison.  ``status`` is
    ``evaluated`` (a given profile played; ``method`` ``"monte-carlo"``).

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.
    """

    status: Status
    samples: int
    seed: int
    social_welfare: float
    social_welfare_se: float
    transaction_volume: float
    transaction_volume_se: float
    trade_success: np.ndarray
    trade_success_se: np.ndarray
    player_utility: np.ndarray
    player_utility_se: np.ndarray
    chunk_size: int
    tol: float
    exact: bool
    method: str
    seconds: float
    n: int

    def to_frame(self):
        """Per-player table: success of the trade into the player and utility, with errors."""
        import pandas as pd

        nan = float("nan")
        return pd.DataFrame(
            {
                "player": range(self.n + 1),
                "trade_success": [nan, *map(float, self.trade_success)],
                "trade_success_se": [nan, *map(float, self.trade_success_se)],
                "player_utility": list(map(float, self.player_utility)),
                "player_utility_se": list(map(float, self.player_utility_se)),
            }
        )

    def compare(self, equilibrium: ChainEquilibrium) -> dict[str, dict[str, float]]:
        """Estimates against an equilibrium's exact metrics.

        Returns one entry per figure: ``social_welfare``, ``transaction_volume``,
        ``trade_success[i]`` (i = 1..n) and ``player_utility[i]`` (i = 0..n), each a dict
        with ``exact``, ``estimate``, ``se`` and ``z`` = (estimate - exact) / se.  When
        ``se`` is 0 (every sample gave the same number), ``z`` is 0 if estimate and exact
        agree to rounding (1e-9 relative) and +-inf otherwise.

        Examples
        --------
        >>> from datamech.models.chain import paper_model
        >>> from datamech.solvers.chain import solve_equilibrium
        >>> model = paper_model(1, n=3, mechanism="RAW")
        >>> eq = solve_equilibrium(model)
        >>> table = simulate(model, eq, samples=5_000).compare(eq)
        >>> sorted(table["trade_success[1]"])
        ['estimate', 'exact', 'se', 'z']
        """
        if not isinstance(equilibrium, ChainEquilibrium):
            raise ModelError(
                "equilibrium", f"expected a ChainEquilibrium, got {type(equilibrium).__name__}"
            )
        if equilibrium.n != self.n:
            raise ModelError(
                "equilibrium", f"has n = {equilibrium.n} trades, the simulation has {self.n}"
            )
        out: dict[str, dict[str, float]] = {}

        def add(name: str, exact: Any, est: float, se: float) -> None:
            ex = float(exact)
            out[name] = {"exact": ex, "estimate": float(est), "se": float(se), "z": _z(est, ex, se)}

        add(
            "social_welfare",
            equilibrium.social_welfare,
            self.social_welfare,
            self.social_welfare_se,
        )
        add(
            "transaction_volume",
            equilibrium.transaction_volume,
            self.transaction_volume,
            self.transaction_volume_se,
        )
        for i in range(1, self.n + 1):
            add(
                f"trade_success[{i}]",
                equilibrium.trade_success[i - 1],
                self.trade_success[i - 1],
                self.trade_success_se[i - 1],
            )
        for i in range(self.n + 1):
            add(
                f"player_utility[{i}]",
                equilibrium.player_utility[i],
                self.player_utility[i],
                self.player_utility_se[i],
            )
        return out


def _z(est: float, exact: float, se: float) -> float:
    if se > 0:
        return (est - exact) / se
    if math.isclose(est, exact, rel_tol=1e-9, abs_tol=1e-9):
        return 0.0
    return math.copysign(math.inf, est - exact)


# ---------------------------------------------------------------------- the simulator
def simulate(
    model: ChainModel,
    equilibrium_or_profile: ChainEquilibrium | Mapping[str, Any] | tuple,
    samples: int = 10_000,
    seed: int | None = 0,
    *,
    chunk_size: int = DEFAULT_CHUNK,
) -> ChainSimulation:
    """Play a strategy profile on sampled valuation paths (Def 2.4) and average Eq. (2).

    Parameters
    ----------
    model : ChainModel
        The chain whose transitions, start law, values and reallocation are used.
    equilibrium_or_profile : ChainEquilibrium, mapping or tuple
        A solved :class:`ChainEquilibrium` (its thresholds, prices and acceptance
        tolerance), or a profile ``{"thresholds": u, "prices": p, "tol": tol}`` /
        ``(u, p)`` with u of shape (n+1, L) (u[i, k] = s~_i(w_k); row 0 is unused) and p of
        shape (n, L) (p[i, k] = p~_i(w_k)).  A profile of Fractions is compared exactly;
        a float profile with ``tol`` (default 1e-9, as :func:`solve_equilibrium`).
    samples : int
        Number of sampled valuation paths, at least 1.
    seed : int or None
        Seed of ``numpy.random.default_rng``; None draws fresh entropy (recorded in the
        result's ``seed``).
    chunk_size : int
        Paths processed at once; bounds memory at about chunk_size x (2n + 3) floats.
        Does not change the sampled paths.

    Returns
    -------
    ChainSimulation

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.

    Examples
    --------
    >>> from datamech.models.chain import paper_model
    >>> from datamech.solvers.chain import solve_equilibrium
    >>> model = paper_model(1, n=5, mechanism="RAW")
    >>> sim = simulate(model, solve_equilibrium(model), samples=10_000, seed=3)
    >>> sim.trade_success.shape, sim.player_utility.shape
    ((5,), (6,))
    """
    if not isinstance(model, ChainModel):
        raise ModelError("model", f"expected a ChainModel, got {type(model).__name__}")
    samples = read_int(samples, "samples", low=1)
    chunk_size = read_int(chunk_size, "chunk_size", low=1)
    seed = int(np.random.SeedSequence().entropy) if seed is None else read_int(seed, "seed", low=0)
    accept, prices, ar = _read_profile(model, equilibrium_or_profile)

    t0 = time.perf_counter()
    f = model.floats()
    W = f["values"]
    T = f["reallocation"]
    n, L = model.n, model.L
    start_table = _inverse_cdf_table(f["start"][None, :])
    if model.per_trade:
        trade_tables = [_inverse_cdf_table(model.Q(i)) for i in range(1, n + 1)]
    else:  # a shared transition matrix is tabulated once
        trade_tables = [_inverse_cdf_table(model.Q(1))] * n

    rng = np.random.default_rng(seed)
    stats = _RunningMoments(2 * n + 3)
    done = 0
    with progress(total=samples, desc="simulate", unit="path", min_total=10 * chunk_size) as bar:
        while done < samples:
            m = min(chunk_size, samples - done)
            U = rng.random((m, n + 1))
            stats.add(_play_chunk(U, W, T, prices, accept, start_table, trade_tables, L))
            done += m
            bar.update(m)
    mean, se = stats.mean, stats.standard_error()
    seconds = time.perf_counter() - t0
    return ChainSimulation(
        status=Status.EVALUATED,
        samples=samples,
        seed=seed,
        social_welfare=float(mean[0]),
        social_welfare_se=float(se[0]),
        transaction_volume=float(mean[1]),
        transaction_volume_se=float(se[1]),
        trade_success=mean[2 : n + 2].copy(),
        trade_success_se=se[2 : n + 2].copy(),
        player_utility=mean[n + 2 :].copy(),
        player_utility_se=se[n + 2 :].copy(),
        chunk_size=chunk_size,
        tol=ar.tol,
        exact=ar.exact,
        method="monte-carlo",
        seconds=seconds,
        n=n,
    )


def _play_chunk(U, W, T, prices, accept, start_table, trade_tables, L) -> np.ndarray:
    """Per-sample outcomes of m paths as columns [SW, trades, y_1..y_n, U_0..U_n].

    ``U`` holds the m x (n+1) uniforms; column i draws v_i.
    """
    m, n1 = U.shape
    n = n1 - 1
    k = _draw(start_table, np.zeros(m, dtype=np.intp), U[:, 0], 1)
    alive = np.ones(m, dtype=bool)
    value = np.empty((m, n + 1))  # v_i y_i (y_0 = 1)
    paid = np.zeros((m, n + 1))  # p_{i-1} y_i, column 0 (player 0) stays 0
    success = np.empty((m, n))
    value[:, 0] = W[k]
    for i in range(1, n + 1):
        k_next = _draw(trade_tables[i - 1], k, U[:, i], L)
        alive &= accept[i - 1][k, k_next]
        value[:, i] = np.where(alive, W[k_next], 0.0)
        paid[:, i] = np.where(alive, prices[i - 1][k], 0.0)
        success[:, i - 1] = alive
        k = k_next
    # Eq. (2): column j of paid[:, 1:] @ T is sum_i t_ij p_{i-1} y_i
    utility = value - paid + paid[:, 1:] @ T
    out = np.empty((m, 2 * n + 3))
    out[:, 0] = utility.sum(axis=1)
    out[:, 1] = success.sum(axis=1)
    out[:, 2 : n + 2] = success
    out[:, n + 2 :] = utility
    return out


# ---------------------------------------------------------------------- sampling
def _inverse_cdf_table(P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flattened row-offset cumulative table of a stochastic matrix, for one searchsorted.

    Row r of the table is r + cumsum(P[r]), so the table is nondecreasing over all rows
    and a draw from row r with uniform u is the first entry above r + u.  Each row's
    cumulative sum is set to exactly 1 from its last positive entry on, so float
    round-off in the sums can neither skip the last outcome nor leak into the next row.
    Returns (table, last positive column of each row).
    """
    rows, cols = P.shape
    C = np.minimum(np.cumsum(P, axis=1), 1.0)
    last = cols - 1 - np.argmax(P[:, ::-1] > 0, axis=1)
    C[np.arange(cols)[None, :] >= last[:, None]] = 1.0
    table = (C + np.arange(rows, dtype=float)[:, None]).ravel()
    return table, last


def _draw(table, row: np.ndarray, u: np.ndarray, width: int) -> np.ndarray:
    """Inverse-CDF draws: column index in row ``row[s]`` for uniform ``u[s]``.

    Adding the row offset rounds r + u to the float grid at magnitude r (a relative error
    of about L * 2^-53 in the probabilities, far below sampling error); the clip catches
    r + u rounding up to r + 1.
    """
    flat, last = table
    col = np.searchsorted(flat, row + u, side="right") - row * width
    return np.minimum(col, last[row])


class _RunningMoments:
    """Column means and sums of squared deviations merged over chunks (Chan et al.).

    Each chunk is centred on its first row before averaging: constant columns then give
    their value exactly, and the centring keeps the variance accurate.
    """

    def __init__(self, width: int):
        self.count = 0
        self.mean = np.zeros(width)
        self.m2 = np.zeros(width)

    def add(self, X: np.ndarray) -> None:
        m = X.shape[0]
        D = X - X[0]
        d_mean = D.mean(axis=0)
        m2 = ((D - d_mean) ** 2).sum(axis=0)
        mean = X[0] + d_mean
        if self.count == 0:
            self.count, self.mean, self.m2 = m, mean, m2
            return
        total = self.count + m
        delta = mean - self.mean
        self.mean = self.mean + delta * (m / total)
        self.m2 = self.m2 + m2 + delta**2 * (self.count * m / total)
        self.count = total

    def standard_error(self) -> np.ndarray:
        if self.count < 2:
            return np.full_like(self.mean, np.nan)
        return np.sqrt(self.m2 / (self.count - 1) / self.count)


# ---------------------------------------------------------------------- input checks
def _read_profile(model: ChainModel, prof: Any):
    """(acceptance matrices A_1..A_n, float prices (n, L), arithmetic) of a profile.

    A_i[k, l] = 1{u*(i, l) >= p*(i-1, k)} is computed once, with the profile's own numbers
    and the arithmetic the exact metrics use, so both describe the same play.
    """
    n, L = model.n, model.L
    if isinstance(prof, ChainEquilibrium):
        if prof.n != n or prof.L != L:
            raise ModelError(
                "equilibrium",
                f"was solved for n = {prof.n}, L = {prof.L}; the model has n = {n}, L = {L}",
            )
        if not np.allclose(
            np.asarray(prof.values, dtype=float), model.floats()["values"], rtol=1e-12, atol=0
        ):
            raise ModelError("equilibrium", "was solved on a different value grid")
        u, p = prof.thresholds, prof.prices
        ar = Arithmetic(exact=bool(prof.exact), tol=float(prof.tol))
    else:
        if isinstance(prof, Mapping):
            unknown = set(prof) - {"thresholds", "prices", "tol"}
            if unknown:
                raise ModelError("profile", f"unknown keys {sorted(unknown)}")
            if "thresholds" not in prof or "prices" not in prof:
                raise ModelError("profile", "needs 'thresholds' and 'prices'")
            u, p, tol = prof["thresholds"], prof["prices"], prof.get("tol")
        elif isinstance(prof, tuple) and len(prof) == 2:
            (u, p), tol = prof, None
        else:
            raise ModelError(
                "profile",
                "expected a ChainEquilibrium, {'thresholds': u, 'prices': p} or (u, p), "
                f"got {type(prof).__name__}",
            )
        u, p = _profile_array(u, "thresholds"), _profile_array(p, "prices")
        exact = u.dtype == object and p.dtype == object
        if exact and tol is not None:
            raise ModelError("profile.tol", "an exact (Fraction) profile is compared exactly")
        if not exact:
            u, p = u.astype(float), p.astype(float)
        ar = arithmetic(exact, DEFAULT_TOL if tol is None else tol)
    u, p = np.asarray(u), np.asarray(p)
    if u.shape != (n + 1, L):
        raise ModelError("thresholds", f"must have shape (n+1, L) = {(n + 1, L)}, got {u.shape}")
    if p.shape != (n, L):
        raise ModelError("prices", f"must have shape (n, L) = {(n, L)}, got {p.shape}")
    accept = [np.asarray(acceptance(u[i], p[i - 1], ar), dtype=bool) for i in range(1, n + 1)]
    prices = np.asarray(p, dtype=float)
    if not np.all(np.isfinite(prices)):
        raise ModelError("prices", "has an entry that is not finite")
    if np.any(np.isnan(np.asarray(u, dtype=float))):
        raise ModelError("thresholds", "has an entry that is NaN")
    return accept, prices, ar


def _profile_array(a: Any, name: str) -> np.ndarray:
    """A profile array: kept exact (Fractions) when given exactly, else floats."""
    return read_array(a, name)
