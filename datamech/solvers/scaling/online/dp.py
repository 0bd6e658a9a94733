"""The optimal online mechanism's dynamic program (Proposition 3.1).

Gamma_{n+1}(L) = -c L, Gamma_i(L) = E[max_{D >= L} r_i D^alpha + Gamma_{i+1}(D)],
ONL = Gamma_1(0), target D-bar_i(r) = argmax_D r D^alpha + Gamma_{i+1}(D).

* ``exact`` (finite-support r): in s = L^{1-alpha} every Gamma_i is piecewise
  a s^{k-1} - b s^k + C (k = 1/(1-alpha)); the maximiser of each piece is
  s = alpha (a + r)/b, so the recursion is carried out piece by piece, in exact
  rationals when the data are rational and k is an integer.
* ``grid`` (any laws): production restricted to the grid s_g = g s_max/G.  Because
  Gamma is concave in w = L^alpha, the buyer's choice at grid state g is "stay" iff
  r <= tau_g = -(Gamma[g+1]-Gamma[g])/(w_{g+1}-w_g), so one round needs only
  P(r <= tau) and E[r; r <= tau] at the G thresholds; both are exact (tables for
  discrete r; for continuous laws a bisection for u_tau = P(r <= tau) and
  E[r; r > tau] = R-bar(1 - u_tau), the revenue hull).  The only error is the grid
  restriction: the value is that of a feasible policy (a lower bound on ONL; the grids
  G/4 within G/2 within G are nested, so V_{G/4} <= V_{G/2} <= V_G <= ONL), and the
  reported error estimate is 2 (|V_G - V_{G/2}| + |V_G - V_{G/4}|/4).  This is an
  estimate, not a bound: the error is O(G^-2) when targets move continuously with r
  (continuous laws; there it over-states the error 10-15 fold), but a finite-support
  target can sit at the same distance from all three grids; for finite support use the
  exact DP.

The grid DP keeps three arrays of G + 1 floats per round (about 24 n G bytes) and does
about 60 n G quantile evaluations per continuous law: :func:`check_grid` refuses what
will not fit before anything is allocated, and long runs show a progress bar.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from ....errors import ModelError, SolverError
from ....models.distributions import RLaw, TypeDistribution
from ....progress import progress
from ....sizes import FLOAT, check_count, check_memory
from ....status import Status
from ..common import check_alpha_cost, integer_k, pw
from .laws import law_cdf_pmean, quantile_table

__all__ = [
    "GRID",
    "MAX_GRID_WORK",
    "PRECISION",
    "OnlineDP",
    "argmax_pieces",
    "check_bounds",
    "check_grid",
    "piece_at",
    "piece_eval",
]

GRID = 20_000  #: default grid size of the online DP for continuous laws (Proposition 3.1)
TAIL_U = 1e-12  #: s_max of the grid DP uses the (1 - TAIL_U) quantile of unbounded r
#: largest n G (rounds x grid points) of a grid DP: about 10 minutes at 2 shared cores
MAX_GRID_WORK = 2e8
GRID_BAR = 2e6  #: show a progress bar from this n G on
EXACT_BAR = 200  #: ... and for the exact DP from this many rounds on
NEGLIGIBLE = 1e-150  #: probability mass dropped in the forward pass (no subnormal products)
#: floats per grid point: the stored (tau, P, Gamma) per round plus about 16 work arrays
GRID_ARRAYS = 16

PRECISION = (
    "production levels L = s^k with k = 1/(1 - alpha) span more than a float resolves; "
    "use a smaller alpha or bounded (truncated) buyer laws"
)


def check_grid(grid: int, n: int, field: str) -> None:
    """Refuse a grid DP of ``n`` rounds on ``grid`` points that will not fit in memory or
    time, naming ``field`` (``model.grid`` or ``solver.grid``), before allocating.

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.

    Examples
    --------
    >>> check_grid(10**9, 2, "model.grid")
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: model.grid: the online grid DP on 1,000,000,000 points for 2 buyers needs about 176 GB; the limit is ... GB (raise [solver] max_memory_gb); a grid of 20,000 points (the default) has an error estimate near 1e-9 on U2
    """
    hint = "a grid of 20,000 points (the default) has an error estimate near 1e-9 on U2"
    what = f"the online grid DP on {grid:,} points" + (f" for {n} buyers" if n > 1 else "")
    check_memory(field, FLOAT * (grid + 1) * (3 * n + GRID_ARRAYS), what, hint=hint)
    check_count(field, float(n) * grid, MAX_GRID_WORK, f"{what} (n x grid)", hint=hint)


Piece = tuple[Any, Any, Any, Any]  # (lo, a, b, C): a s^{k-1} - b s^k + C on [lo, next lo)


def piece_eval(p: Piece, s: Any, k: Any) -> Any:
    _, a, b, C = p
    return a * pw(s, k - 1) - b * pw(s, k) + C


def argmax_pieces(pieces: list[Piece], rho: Any, alpha: Any, k: Any) -> tuple[Any, Any]:
    """(s-bar, value) maximising rho s^{k-1} + Gamma(s) over s >= 0 (the smallest
    maximiser); each piece is unimodal in s with stationary point alpha (a + rho)/b."""
    for j, (lo, a, b, C) in enumerate(pieces):
        hi = pieces[j + 1][0] if j + 1 < len(pieces) else None
        A = a + rho
        if b == 0:
            t = lo if A == 0 else None  # flat: leftmost; rising: go on
        else:
            t = alpha * A / b
        if t is not None and t <= lo:
            t = lo
        if t is not None and (hi is None or t < hi):
            return t, piece_eval((lo, A, b, C), t, k)
        if hi is None:
            raise SolverError(Status.UNBOUNDED, "the online objective has no maximiser")
    raise SolverError(Status.UNBOUNDED, "the online objective has no maximiser")


def piece_at(pieces: list[Piece], s: Any) -> Piece:
    j = 0
    while j + 1 < len(pieces) and pieces[j + 1][0] <= s:
        j += 1
    return pieces[j]


def check_bounds(est: Any, onl: Any, onl_err: float, offl: Any, offl_err: float) -> None:
    """0 <= ALG <= ONL <= OFFL up to the error estimates, else SolverError: the grid DP
    loses precision when alpha is close to 1 on wide supports (L = s^k spans more than
    a float resolves; e.g. two Exp(1) buyers at alpha = 0.95, k = 20).

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    """
    if onl is None:
        return
    onl, alg = float(onl), float(est.value)
    # the estimate's own error: 3 x its quadrature error, 5 standard errors of Monte Carlo
    slack = (
        float(onl_err) + 3 * float(est.abserr) + 5 * float(est.stderr) + 1e-9 * max(1.0, abs(onl))
    )
    problem = None
    if onl < -slack:
        problem = f"ONL = {onl:.6g} < 0"
    elif alg > onl + slack:
        problem = f"ONL = {onl:.6g} below the profit {alg:.6g} of an online mechanism"
    elif offl is not None and onl > float(offl) + slack + float(offl_err):
        problem = f"ONL = {onl:.6g} above OFFL = {float(offl):.6g}"
    if problem:
        raise SolverError(
            Status.SOLVER_ERROR, f"the online DP lost precision ({problem}): {PRECISION}"
        )


class OnlineDP:
    """The optimal online mechanism's dynamic program (Proposition 3.1).

    ``method="exact"`` (finite-support laws of r) carries Gamma_i as exact pieces in
    s = L^{1-alpha}; ``method="grid"`` uses the threshold grid DP of the module
    docstring with ``grid`` points (plus a run at grid/2 for the error estimate).
    Attributes: ``value`` (ONL = Gamma_1(0)), ``abserr`` (0 for exact), ``method``.

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.

    Examples
    --------
    >>> from datamech.models.distributions import Uniform
    >>> dp = OnlineDP([Uniform(0, 1)] * 2, 0.5, 1.0, grid=20_000)
    >>> abs(dp.value - 797 / 7680) <= dp.abserr < 1e-6
    True
    """

    def __init__(
        self,
        dists: Sequence[TypeDistribution],
        alpha: Any,
        cost: Any,
        grid: int = GRID,
        method: str = "auto",
        laws: Sequence[RLaw] | None = None,
    ):
        check_alpha_cost(alpha, cost)
        self.dists = list(dists)
        self.n = len(self.dists)
        self.laws = list(laws) if laws is not None else [d.r_law() for d in self.dists]
        kint = integer_k(alpha)
        self.exact = (
            kint is not None
            and isinstance(cost, (int, Fraction))
            and all(law.exact for law in self.laws)
        )
        if method == "auto":
            method = "exact" if all(law.is_discrete for law in self.laws) else "grid"
        if method not in ("exact", "grid"):
            raise ModelError("dp", f"must be exact or grid, got {method!r}")
        if method == "exact" and not all(law.is_discrete for law in self.laws):
            raise ModelError("dp", "exact needs finite-support laws of r (discrete types)")
        self.method = method
        if self.exact:
            self.alpha, self.k, self.c = Fraction(alpha), kint, Fraction(cost)
        else:
            self.alpha, self.c = float(alpha), float(cost)
            self.k = 1 / (1 - self.alpha)
        self.ratio = self.alpha / self.c
        self.grid = int(grid)
        self._tables: dict[Any, Any] = {}
        t0 = time.perf_counter()
        if method == "exact":
            with progress(total=self.n, desc="online DP (exact)", min_total=EXACT_BAR) as bar:
                self._solve_exact(bar)
            self.abserr = 0.0
        else:
            check_grid(self.grid, self.n, "grid")
            self.s_max = self._s_max()
            rounds = self.n * 7 // 4 if self.n * self.grid >= GRID_BAR else 0
            with progress(total=rounds, desc="online DP (grid)", min_total=1) as bar:
                half = self._solve_grid(self.grid // 2, keep=False, bar=bar)
                quarter = self._solve_grid(self.grid // 4, keep=False, bar=bar)
                self.value = self._solve_grid(self.grid, keep=True, bar=bar)
            # O(G^-2) when targets move smoothly; the quarter term covers grids that
            # happen to hit a discrete target (erratic convergence)
            self.abserr = 2 * (abs(self.value - half) + abs(self.value - quarter) / 4)
            # Gamma_1(0) >= 0 (producing nothing is feasible); an error bar wider than
            # the value means no digit is resolved
            if self.value < -self.abserr or self.abserr > max(0.5 * abs(self.value), 1e-9):
                raise SolverError(
                    Status.SOLVER_ERROR,
                    f"the online DP lost precision (ONL = {self.value:.6g} "
                    f"+- {self.abserr:.2g}): {PRECISION}",
                )
        self.seconds = time.perf_counter() - t0

    # ---------------------------------------------------------- exact pieces
    def _solve_exact(self, bar: Any) -> None:
        one = Fraction(1) if self.exact else 1.0
        zero = 0 * one
        pieces: list[Piece] = [(zero, zero, self.c * one, zero)]
        self.pieces: list[list[Piece]] = [pieces]  # pieces[j] = Gamma_{n+1-j}
        self.targets: list[dict[Any, Any]] = []
        for law in reversed(self.laws):
            atoms = [
                (v if self.exact else float(v), p if self.exact else float(p))
                for v, p in zip(law.values, law.probs, strict=True)
            ]
            best = [argmax_pieces(pieces, rho, self.alpha, self.k) for rho, _ in atoms]
            self.targets.append({rho: sb for (rho, _), (sb, _) in zip(atoms, best, strict=True)})
            bps = sorted({p[0] for p in pieces} | {sb for sb, _ in best})
            new: list[Piece] = []
            cur = 0  # pointer into the old pieces (both lists are sorted)
            for j, lo in enumerate(bps):
                hi = bps[j + 1] if j + 1 < len(bps) else None
                while cur + 1 < len(pieces) and pieces[cur + 1][0] <= lo:
                    cur += 1
                _, pa, pb, pc = pieces[cur]
                A, B, C = zero, zero, zero
                for (rho, pr), (sb, val) in zip(atoms, best, strict=True):
                    if hi is not None and hi <= sb:
                        C += pr * val
                    else:
                        A += pr * (rho + pa)
                        B += pr * pb
                        C += pr * pc
                if new and (new[-1][1], new[-1][2], new[-1][3]) == (A, B, C):
                    continue
                new.append((lo, A, B, C))
            pieces = new
            self.pieces.append(pieces)
            bar.update(1)
        self.pieces.reverse()  # pieces[i] = Gamma_{i+1} (0-based round i)
        self.targets.reverse()
        self.value = piece_eval(self.pieces[0][0], zero, self.k)

    # ---------------------------------------------------------- grid
    def _s_max(self) -> float:
        sup = 0.0
        for law in self.laws:
            if law.is_discrete:
                sup += float(np.max(np.asarray(law.values, dtype=float)))
            else:
                sup += float(law.quantile(1 - TAIL_U))
        return max(float(self.ratio) * sup, 1e-300)

    def _table(self, law: RLaw, d: TypeDistribution) -> Any:
        """The quantile table of a continuous law of r, shared by equal laws."""
        if law.is_discrete:
            return None
        try:
            key: Any = repr(sorted(d.params().items()))
        except (AttributeError, TypeError):
            key = id(law)
        if key not in self._tables:
            self._tables[key] = quantile_table(law)
        return self._tables[key]

    def _solve_grid(self, G: int, keep: bool, bar: Any) -> float:
        k, c = float(self.k), float(self.c)
        s = np.linspace(0.0, self.s_max, G + 1)
        w, L = s ** (k - 1), s**k
        gam = -c * L
        store = []
        for law, d in zip(reversed(self.laws), reversed(self.dists), strict=True):
            with np.errstate(divide="ignore", invalid="ignore"):
                tau = -np.diff(gam) / np.diff(w)
            tau = np.append(np.maximum.accumulate(np.maximum(tau, 0.0)), np.inf)
            P, E = law_cdf_pmean(law, d, tau, table=self._table(law, d))
            dP = np.diff(P, prepend=0.0)
            dE = np.diff(E, prepend=0.0)
            term = gam * dP + w * dE
            suffix = np.concatenate([np.cumsum(term[::-1])[::-1][1:], [0.0]])
            new = gam * P + w * E + suffix
            if keep:
                store.append((tau, P, new))
            gam = new
            bar.update(G / self.grid)
        if keep:
            store.reverse()
            self._s, self._L, self._w = s, L, w
            self._tau = [t for t, _, _ in store]
            self._P = [p for _, p, _ in store]
            self._gam = [g for _, _, g in store]
        return float(gam[0])

    # ---------------------------------------------------------- policy
    def target_s(self, i: int, r: Any) -> Any:
        """D-bar_i(r)^{1-alpha}, the target of round i (0-based) for r."""
        if r <= 0:
            return 0 * self.ratio
        if self.method == "exact":
            tg = self.targets[i]
            if r in tg:
                return tg[r]
            return argmax_pieces(self.pieces[i + 1], r, self.alpha, self.k)[0]
        return float(self.target_s_array(i, np.array([float(r)]))[0])

    def target_s_array(self, i: int, r: np.ndarray) -> np.ndarray:
        r = np.asarray(r, dtype=float)
        if self.method == "exact":
            return (
                np.array([float(self.target_s(i, x)) for x in r.tolist()])
                if len(r) < 64
                else self._vector_exact(i, r)
            )
        G = len(self._s) - 1
        j = np.minimum(np.searchsorted(self._tau[i], r, side="left"), G)
        # parabolic refinement of the grid maximiser of H = r w(s) + Gamma_{i+1}(s) through
        # the three grid points around it (spec §3.1: D-bar read off between grid points)
        cont = self._gam[i + 1] if i + 1 < self.n else -float(self.c) * self._L
        jm, jp = np.clip(j - 1, 0, G), np.clip(j + 1, 0, G)
        hm = r * self._w[jm] + cont[jm]
        h0 = r * self._w[j] + cont[j]
        hp = r * self._w[jp] + cont[jp]
        curv = hm - 2 * h0 + hp
        inner = (j > 0) & (j < G) & (curv < 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            off = np.where(inner, 0.5 * (hm - hp) / curv, 0.0)
        step = self._s[1] - self._s[0]
        out = self._s[j] + np.clip(off, -1.0, 1.0) * step
        return np.where(r > 0, out, 0.0)

    def _vector_exact(self, i: int, r: np.ndarray) -> np.ndarray:
        keys = np.array(sorted(float(x) for x in self.targets[i]))
        vals = np.array([float(self.targets[i][x]) for x in sorted(self.targets[i])])
        idx = np.clip(np.searchsorted(keys, r), 0, len(keys) - 1)
        return vals[idx]

    def target(self, i: int, r: Any) -> Any:
        """D-bar_i(r) = argmax_D r D^alpha + Gamma_{i+1}(D) (0-based round i)."""
        return pw(self.target_s(i, r), self.k)

    def gamma(self, i: int, L: Any) -> Any:
        """Gamma_{i+1}(L) for 0-based i (i = n gives -c L)."""
        if i == self.n:
            return -self.c * L
        if self.method == "exact":
            s = 0 * self.ratio if L == 0 else L ** (1 - self.alpha)  # float unless L = 0
            return piece_eval(piece_at(self.pieces[i], s), s, self.k)
        Lf = float(L)
        if Lf > self._L[-1]:  # beyond every target: (sum_{j>i} E r_j) L^alpha - c L
            rest = sum(
                float(x.mean()) if x.is_discrete else float(d.monopoly_revenue())
                for x, d in zip(self.laws[i:], self.dists[i:], strict=True)
            )
            return rest * Lf ** float(self.alpha) - float(self.c) * Lf
        # Gamma is concave in w = L^alpha: linear interpolation in w (a lower bound)
        return float(np.interp(Lf ** float(self.alpha), self._w, self._gam[i]))

    def expected_levels(self) -> list[Any]:
        """E[D_0], ..., E[D_n] under the optimal policy (D_0 = 0): the law of the state
        propagated through the rounds (exact pieces), or a forward pass over the grid
        states."""
        if self.method == "exact":
            states: dict[Any, Any] = {0 * self.ratio: 1}
            levels = [0 * self.ratio]
            for i, law in enumerate(self.laws):
                nxt: dict[Any, Any] = {}
                for rho, pr in zip(law.values, law.probs, strict=True):
                    for s, ps in states.items():
                        t = max(s, self.target_s(i, rho if self.exact else float(rho)))
                        nxt[t] = nxt.get(t, 0) + ps * pr
                states = nxt
                levels.append(sum(p * pw(s, self.k) for s, p in states.items()))
            return levels
        p = np.zeros(len(self._s))
        p[0] = 1.0
        levels = [0.0]
        for P in self._P:
            dP = np.diff(P, prepend=0.0)
            dP[dP < NEGLIGIBLE] = 0.0  # negligible mass: subnormal floats are 100x slower
            below = np.concatenate([[0.0], np.cumsum(p)[:-1]])
            p = p * P + dP * below
            p[p < NEGLIGIBLE] = 0.0
            levels.append(float((p * self._L).sum()))  # 1-D BLAS dot is slow under load
        return levels

    def expected_production(self) -> Any:
        """E[D_n] under the optimal policy (the last of :meth:`expected_levels`)."""
        return self.expected_levels()[-1]
