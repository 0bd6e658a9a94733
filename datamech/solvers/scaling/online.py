"""Online mechanisms for selling data with scaling-law values (seed 003 §3, App. B).

Buyers 1..n arrive in a fixed order; buyer i has type v_i ~ F_i and value v_i x^alpha,
the seller holds a data level D_{i-1} (D_0 = 0, or a pre-production) and on each arrival
may raise it to D_i >= D_{i-1} at cost c (D_i - D_{i-1}).  With r_i = (phi_i^ir(v_i))_+
(spec §2.1) every mechanism here has the form

    D_i = max{D_{i-1}, target_i(r_i)},      x_i = 1[r_i > 0] D_i   (or x_i^MG, G17),

and its expected profit is E[sum_i r_i x_i^alpha - c D_n] (spec §1.2, G19).

* ``optimal`` (Proposition 3.1): the dynamic program
  Gamma_{n+1}(L) = -c L, Gamma_i(L) = E[max_{D >= L} r_i D^alpha + Gamma_{i+1}(D)],
  ONL = Gamma_1(0), target = D-bar_i(r) = argmax_D r D^alpha + Gamma_{i+1}(D).

  - ``exact`` (finite-support r): in s = L^{1-alpha} every Gamma_i is piecewise
    a s^{k-1} - b s^k + C (k = 1/(1-alpha)); the maximiser of each piece is
    s = alpha (a + r)/b, so the recursion is carried out piece by piece, in exact
    rationals when the data are rational and k is an integer.
  - ``grid`` (any laws): production restricted to the grid s_g = g s_max/G.  Because
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
  - :func:`scenario_tree_program`: the exact convex program over the tree of r-prefixes
    (cvxpy, Clarabel), an independent check for finite support.

* ``two_stage`` (Algorithm 1, Theorem 3.4): pre-produce D_0 = ((alpha/c)(1-delta)M)^k,
  M = sum_i E r_i, then target x^MG(r) = ((alpha/c) r)^k; delta defaults to
  (1-alpha)/(2-alpha).
* ``greedy`` (myopic, Theorem 3.2): the same targets from D_0 = 0; ``allocate="own"``
  gives x_i = x_i^MG (the definition), ``"all"`` gives x_i = D_i (G17).
* ``non_adaptive`` (Theorem 3.3): D_0 = ((alpha/c) M)^k and never more.

Expected profits: ``exact`` propagates the law of the state D_i through the rounds for
finite-support r (rational where the data are); ``quad`` evaluates the closed form of
B.5 (E over r_i and over m_{i-1} = max(r_1..r_{i-1})) on quantile nodes of continuous
laws (midpoint rule on geometric panels; error estimate: the change when halving the
nodes); ``mc`` simulates.  Payments on a realised path follow the online identity
p_i = v_i x_i(L, v_i)^alpha - int x_i(L, t)^alpha dt with L = D_{i-1} held fixed.

Examples
--------
>>> from fractions import Fraction as Fr
>>> from datamech.models.distributions import Discrete
>>> b = Discrete([1, 2, 3], [Fr(3, 5), Fr(1, 10), Fr(3, 10)])     # spec §6.2 example I3
>>> OnlineMechanism([b, b], Fr(1, 2), 1, "optimal").expected_profit().value
Fraction(3307, 1960)
>>> OnlineMechanism([b, b], Fr(1, 2), 1, "two_stage").expected_profit().value
Fraction(215, 144)
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np
from scipy import integrate

from ...errors import ModelError, SolverError
from ...models.distributions import RLaw, TypeDistribution
from ...results import ResultMixin
from .offline import ProfitEstimate, _check_alpha_cost, _integer_k, solve_convex

MECHANISMS = ("optimal", "two_stage", "greedy", "non_adaptive")
ALLOCATE = ("own", "all")
GRID = 20_000  # default grid size of the online DP for continuous laws (spec §3.1)
PANELS = 40  # geometric quantile panels towards u = 1 for continuous laws of r
PER_PANEL = 512  # midpoint nodes per panel (quad evaluation of the closed forms)
TAIL_U = 1e-12  # s_max of the grid DP uses the (1 - TAIL_U) quantile of unbounded r
MC_PATHS = 200_000


# ------------------------------------------------------------------ helpers
def rosenthal_constant(p: Any) -> Any:
    """Best constant C_p of Rosenthal's inequality for nonnegative summands (Lemma 3.5,
    Ibragimov & Sharakhmetov): 2 on (1, 2), E_{Z~Poisson(1)}[Z^p] for p >= 2 (Dobinski's
    series; the Bell number for integer p).  Raises for p <= 1 (G9: C_1 = 1 but
    C_p >= 2 for every p > 1, so there is no continuous extension).

    >>> rosenthal_constant(1.5), rosenthal_constant(2), rosenthal_constant(5)
    (2, 2, 52)
    >>> round(rosenthal_constant(2.5), 8)
    3.0825129
    """
    try:
        pf = float(p)
    except (TypeError, ValueError):
        raise ModelError("p", f"must be a number > 1, got {p!r}") from None
    if not pf > 1 or not math.isfinite(pf):
        raise ModelError("p", f"Rosenthal's constant is defined here for p > 1, got {p}")
    if pf < 2:
        return 2
    if abs(pf - round(pf)) < 1e-12:
        return bell_number(int(round(pf)))
    # Dobinski: e^{-1} sum_{m>=1} m^p / m!, summed in logs until the terms vanish
    total, m = 0.0, 1
    while True:
        term = math.exp(pf * math.log(m) - math.lgamma(m + 1) - 1.0)
        total += term
        if m > pf and term < 1e-17 * total:
            return total
        m += 1


def bell_number(p: int) -> int:
    """Bell number B_p = E_{Poisson(1)}[Z^p] (Dobinski), by the Bell triangle.

    >>> [bell_number(p) for p in range(1, 8)]
    [1, 2, 5, 15, 52, 203, 877]
    """
    row = [1]
    for _ in range(p - 1):
        nxt = [row[-1]]
        for x in row:
            nxt.append(nxt[-1] + x)
        row = nxt
    return row[-1] if p >= 1 else 1


def two_stage_guarantee(alpha: Any) -> Any:
    """Theorem 3.4's ratio ALG/OFFL >= (1-alpha)/((2-alpha) C_{1/(1-alpha)}) (Table A).

    >>> two_stage_guarantee(Fraction(1, 2)), two_stage_guarantee(Fraction(2, 3))
    (Fraction(1, 6), Fraction(1, 20))
    """
    _check_alpha_cost(alpha, 1)
    k = 1 / (1 - alpha)
    return (1 - alpha) / ((2 - alpha) * rosenthal_constant(k))


def online_offline_gap_bound(alpha: Any) -> float:
    """Theorem 3.6's bound 2^k / C_k on lim ONL/OFFL over the instances I_n (Table A;
    < 1 only for alpha > 0.7579, G8).

    >>> online_offline_gap_bound(0.5), round(online_offline_gap_bound(0.8), 7)
    (2.0, 0.6153846)
    """
    _check_alpha_cost(alpha, 1)
    k = 1 / (1 - float(alpha))
    return 2**k / float(rosenthal_constant(k))


def _pw(x: Any, e: Any) -> Any:
    """x^e with 0^e = 0 for e > 0 (and 0^0 = 1), exact for Fractions and integer e."""
    if x == 0:
        return x * 0 + (1 if e == 0 else 0)
    return x**e


# ------------------------------------------------------------------ laws of r
def _law_cdf_pmean(
    law: RLaw, dist: TypeDistribution, tau: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """P(r <= tau) and E[r; r <= tau] (vectorized, float) for one buyer's law of r.

    Finite tables: cumulative sums.  Continuous laws: u_tau = sup{u : Q_r(u) <= tau} by
    bisection, and E[r; r > tau] = R-bar(1 - u_tau) (the revenue hull; for regular laws
    v_tau (1 - F(v_tau))).
    """
    tau = np.asarray(tau, dtype=float)
    if law.is_discrete:
        vals = np.asarray(law.values, dtype=float)
        pr = np.asarray(law.probs, dtype=float)
        cp = np.concatenate([[0.0], np.cumsum(pr)])
        ce = np.concatenate([[0.0], np.cumsum(pr * vals)])
        idx = np.searchsorted(vals, tau, side="right")
        return cp[idx], ce[idx]
    z = float(law.zero_mass)
    lo = np.full(tau.shape, z)
    hi = np.ones(tau.shape)
    for _ in range(60):
        mid = np.minimum((lo + hi) / 2, np.nextafter(1.0, 0.0))  # Q_r(1) may be infinite
        ok = np.asarray(law.quantile(mid), dtype=float) <= tau
        lo = np.where(ok, mid, lo)
        hi = np.where(ok, hi, mid)
    fin = np.isfinite(tau) & (lo < 1.0)
    u = np.where(np.isfinite(tau), lo, 1.0)
    mean = float(dist.monopoly_revenue())
    tail = np.zeros(tau.shape)
    with np.errstate(all="ignore"):
        tail[fin] = np.asarray(dist.revenue_hull(1 - u[fin]), dtype=float)
    return u, mean - np.nan_to_num(tail)


def _nodes(law: RLaw, per_panel: int = PER_PANEL) -> tuple[np.ndarray, np.ndarray]:
    """Atoms and weights for E[g(r)]: the table itself, or for a continuous law the atom
    at 0 plus the midpoint rule in u on geometric panels (halving towards u = 1)."""
    if law.is_discrete:
        return np.asarray(law.values, dtype=float), np.asarray(law.probs, dtype=float)
    z = float(law.zero_mass)
    edges = z + (1 - z) * np.append(1 - 2.0 ** -np.arange(PANELS), 1.0)
    a, b = edges[:-1, None], edges[1:, None]
    t = (np.arange(per_panel) + 0.5) / per_panel
    u = (a + (b - a) * t).ravel()
    w = np.broadcast_to((b - a) / per_panel, (PANELS, per_panel)).ravel()
    r = np.asarray(law.quantile(u), dtype=float)
    return np.append(0.0, r), np.append(z, w)


def _max_table_update(
    mv: np.ndarray, mc: np.ndarray, r: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Law of max(m, r) for independent m (values mv, CDF mc) and r (atoms r, weights w):
    returned as sorted values and CDF (product of the CDFs on the union)."""
    order = np.argsort(r)
    rv, rc = r[order], np.cumsum(w[order])
    vals = np.union1d(mv, rv)
    cm = np.concatenate([[0.0], mc])[np.searchsorted(mv, vals, side="right")]
    cr = np.concatenate([[0.0], rc])[np.searchsorted(rv, vals, side="right")]
    return vals, np.minimum(cm * cr, 1.0)


def _e_max_pow(mv: np.ndarray, mc: np.ndarray, t: np.ndarray, e: float) -> np.ndarray:
    """E[max(t, m)^e] for each t, m with values mv and CDF mc."""
    pm = np.diff(np.concatenate([[0.0], mc]))
    tail = np.concatenate([np.cumsum((pm * mv**e)[::-1])[::-1], [0.0]])
    idx = np.searchsorted(mv, t, side="right")
    below = np.concatenate([[0.0], mc])[idx]
    return below * t**e + tail[idx]


# ------------------------------------------------------------------ exact DP pieces
Piece = tuple[Any, Any, Any, Any]  # (lo, a, b, C): a s^{k-1} - b s^k + C on [lo, next lo)


def _piece_eval(p: Piece, s: Any, k: Any) -> Any:
    _, a, b, C = p
    return a * _pw(s, k - 1) - b * _pw(s, k) + C


def _argmax_pieces(pieces: list[Piece], rho: Any, alpha: Any, k: Any) -> tuple[Any, Any]:
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
            return t, _piece_eval((lo, A, b, C), t, k)
        if hi is None:
            raise SolverError("unbounded", "the online objective has no maximiser")
    raise SolverError("unbounded", "the online objective has no maximiser")


def _piece_at(pieces: list[Piece], s: Any) -> Piece:
    j = 0
    while j + 1 < len(pieces) and pieces[j + 1][0] <= s:
        j += 1
    return pieces[j]


# ------------------------------------------------------------------ mechanisms
@dataclass(frozen=True)
class Round(ResultMixin):
    """One arrival on a realised path: type, r, state before, level after, allocation,
    payment (online identity) and the buyer's utility."""

    buyer: int
    v: Any
    r: Any
    level_before: Any
    level: Any
    allocation: Any
    payment: Any
    utility: Any


class OnlineMechanism:
    """An online mechanism of the family D_i = max{D_{i-1}, target_i(r_i)} (spec §3).

    Parameters
    ----------
    dists : sequence of TypeDistribution
        One type law per buyer, in arrival order.
    alpha, cost : number
        Scaling exponent in (0, 1) and unit cost c > 0 (Fractions keep results exact).
    mechanism : str
        ``optimal`` (Proposition 3.1), ``two_stage`` (Algorithm 1), ``greedy`` (myopic)
        or ``non_adaptive``.
    delta : number, optional
        Algorithm 1's parameter in (0, 1); default (1-alpha)/(2-alpha) (Theorem 3.4).
    allocate : str
        Greedy only: ``own`` (x_i = x_i^MG, the definition) or ``all`` (x_i = D_i), G17.
    grid : int
        Grid size of the optimal DP when a law of r is continuous (or ``dp="grid"``).
    dp : str
        ``auto`` (exact pieces for finite-support r, else the grid) or ``grid``.

    Examples
    --------
    >>> from datamech.models.distributions import Uniform
    >>> m = OnlineMechanism([Uniform(0, 1)] * 2, Fraction(1, 2), 1, "greedy")
    >>> est = m.expected_profit()                 # spec §6.2 U2: 3/32 by quadrature
    >>> abs(est.value - 3 / 32) <= est.abserr < 1e-7
    True
    """

    def __init__(
        self,
        dists: Sequence[TypeDistribution],
        alpha: Any,
        cost: Any,
        mechanism: str = "optimal",
        delta: Any = None,
        allocate: str = "own",
        grid: int = GRID,
        dp: str = "auto",
    ):
        _check_alpha_cost(alpha, cost)
        if mechanism not in MECHANISMS:
            raise ModelError("mechanism", f"must be one of {', '.join(MECHANISMS)}")
        if allocate not in ALLOCATE:
            raise ModelError("allocate", f"must be 'own' or 'all', got {allocate!r}")
        if dp not in ("auto", "grid"):
            raise ModelError("dp", f"must be 'auto' or 'grid', got {dp!r}")
        if not isinstance(grid, (int, np.integer)) or isinstance(grid, bool) or grid < 16:
            raise ModelError("grid", f"must be an integer >= 16, got {grid!r}")
        if delta is not None and mechanism != "two_stage":
            raise ModelError("delta", "is a parameter of the two_stage mechanism only")
        if len(dists) == 0:
            raise ModelError("buyers", "needs at least one buyer")
        self.dists = list(dists)
        self.n = len(self.dists)
        self.alpha, self.cost, self.mechanism = alpha, cost, mechanism
        self.allocate_all = mechanism != "greedy" or allocate == "all"
        self.allocate = allocate
        self.laws = [d.r_law() for d in self.dists]
        kint = _integer_k(alpha)
        self.exact = (
            kint is not None
            and isinstance(cost, (int, Fraction))
            and all(law.exact for law in self.laws)
        )
        if self.exact:
            self.alpha = Fraction(alpha)
            self.k: Any = kint
            self.ratio: Any = Fraction(alpha) / Fraction(cost)
        else:
            self.alpha = float(alpha)
            self.k = 1 / (1 - self.alpha)
            self.ratio = self.alpha / float(cost)
        self.c = Fraction(cost) if self.exact else float(cost)
        kk = float(self.k)
        for d in self.dists:  # G15: the profits need E[r^k] < inf, i.e. E[v^k] < inf
            d.require_moment(kk, "the online expected profit")
        self.means = [
            law.mean() if law.is_discrete else d.monopoly_revenue()
            for law, d in zip(self.laws, self.dists, strict=True)
        ]
        if not self.exact:
            self.means = [float(m) for m in self.means]
        self.M = sum(self.means)
        if delta is None:
            delta = (1 - self.alpha) / (2 - self.alpha)
        elif isinstance(delta, bool) or not isinstance(delta, (int, float, Fraction)):
            raise ModelError("delta", f"must be a number in (0, 1), got {delta!r}")
        elif not 0 < delta < 1:
            raise ModelError("delta", f"must lie in (0, 1), got {delta}")
        self.delta = Fraction(delta) if self.exact else float(delta)
        # pre-production in s = D^{1-alpha} coordinates
        if mechanism == "two_stage":
            self.s0: Any = self.ratio * (1 - self.delta) * self.M
        elif mechanism == "non_adaptive":
            self.s0 = self.ratio * self.M
        else:
            self.s0 = 0 * self.ratio
        self.grid = int(grid)
        self.dp_method = (
            "exact" if (dp == "auto" and all(law.is_discrete for law in self.laws)) else "grid"
        )
        self._dp: Any = None

    # --------------------------------------------------------- policy
    @property
    def pre_production(self) -> Any:
        """D_0 (produced before any arrival; its cost is sunk, G20)."""
        return _pw(self.s0, self.k)

    def solve_dp(self) -> Any:
        """The optimal DP (run once, cached); see :class:`OnlineDP`."""
        if self._dp is None:
            self._dp = OnlineDP(
                self.dists,
                self.alpha,
                self.cost,
                grid=self.grid,
                method=self.dp_method,
                _laws=self.laws,
            )
        return self._dp

    def target_s(self, i: int, r: Any) -> Any:
        """The production target of round i (0-based) in s = D^{1-alpha}, before the max
        with the current level: D-bar_i(r) (optimal), x^MG(r) (two-stage, greedy), 0
        (non-adaptive)."""
        if self.mechanism == "optimal":
            return self.solve_dp().target_s(i, r)
        if self.mechanism == "non_adaptive":
            return 0 * self.ratio * r
        return self.ratio * r

    def allocation(self, i: int, level_s: Any, r: Any) -> tuple[Any, Any]:
        """(new level s_i, allocation in s-coordinates) at state ``level_s`` and r."""
        s = max(level_s, self.target_s(i, r))
        if r <= 0:
            return s, 0 * s
        if self.allocate_all:
            return s, s
        return s, self.ratio * r

    # --------------------------------------------------------- paths and payments
    def run(self, v: Sequence[Any]) -> list[Round]:
        """Run the mechanism on a type sequence: levels, allocations, online payments
        p_i = v_i x_i^alpha - int_{v_lo}^{v_i} x_i(L, t)^alpha dt (L = D_{i-1} fixed)."""
        if len(v) != self.n:
            raise ModelError("v", f"needs {self.n} types, got {len(v)}")
        out = []
        s = self.s0
        for i, (d, vi) in enumerate(zip(self.dists, v, strict=True)):
            r = d.r(vi)
            s_new, xs = self.allocation(i, s, r)
            z = _pw(xs, self.k - 1)
            p = self.payment(i, s, vi)
            out.append(
                Round(i, vi, r, _pw(s, self.k), _pw(s_new, self.k), _pw(xs, self.k), p, vi * z - p)
            )
            s = s_new
        return out

    def _z(self, i: int, level_s: Any, t: Any) -> Any:
        return _pw(self.allocation(i, level_s, self.dists[i].r(t))[1], self.k - 1)

    def payment(self, i: int, level_s: Any, v: Any) -> Any:
        """Online payment of buyer i (0-based) at state s = D_{i-1}^{1-alpha} and type v
        (spec §3.5 "Online payment"); exact for discrete types."""
        d = self.dists[i]
        if d.discrete and hasattr(d, "values"):
            vals = d.values
            j = int(np.searchsorted(np.asarray(vals, dtype=float), float(v)))
            zs = [self._z(i, level_s, vals[m]) for m in range(j + 1)]
            prev = [0 * zs[0], *zs[:-1]]
            return sum(vals[m] * (zs[m] - prev[m]) for m in range(j + 1))
        if d.r(v) <= 0:
            return 0.0
        v0, vf = float(d.reserve_price()), float(v)
        zv = float(self._z(i, level_s, v))
        # the kink where the target overtakes the level: sup{t : target(r(t)) <= level}
        lo, hi = v0, vf
        for _ in range(100):
            mid = (lo + hi) / 2
            if self.target_s(i, d.r(mid)) <= level_s:
                lo = mid
            else:
                hi = mid
        points = [lo] if v0 < lo < vf else None
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", integrate.IntegrationWarning)
            area, _ = integrate.quad(
                lambda t: float(self._z(i, level_s, t)),
                v0,
                vf,
                points=points,
                limit=500,
                epsabs=1e-13,
                epsrel=1e-12,
            )
        return vf * zv - area

    # --------------------------------------------------------- expected profit
    def expected_profit(
        self, method: str = "auto", samples: int = MC_PATHS, seed: int = 0
    ) -> ProfitEstimate:
        """E[sum_i r_i x_i^alpha - c D_n]; see :meth:`_expected_profit`.  A mixture's law
        of r is a table on a price grid: the value is then also computed on the half grid
        and reported with method ``"grid"`` and that difference (doubled) in ``abserr``."""
        est = self._expected_profit(method, samples, seed)
        if est.method == "mc" or not any(law.grid for law in self.laws):
            return est
        half = copy.copy(self)
        half.laws = [
            d.r_law(grid=law.grid // 2) if law.grid else law
            for d, law in zip(self.dists, self.laws, strict=True)
        ]
        half.means = [float(law.mean()) for law in half.laws]
        half.M = sum(half.means)
        half._dp = None
        other = half._expected_profit(method, samples, seed)
        err = float(est.abserr) + 2 * abs(float(est.value) - float(other.value))
        return ProfitEstimate(est.value, 0.0, "grid", 0, err)

    def _expected_profit(
        self, method: str = "auto", samples: int = MC_PATHS, seed: int = 0
    ) -> ProfitEstimate:
        """E[sum_i r_i x_i^alpha - c D_n] (= E[sum p_i] - c E[D_n]).

        ``exact`` (finite-support r: law of the state propagated round by round; for
        ``optimal`` the piecewise DP), ``quad`` (closed forms on quantile nodes; the
        grid DP for ``optimal``; ``abserr`` is the error estimate), ``mc`` (simulation,
        with a standard error), ``auto`` (exact if possible, else quad).
        """
        if method not in ("auto", "exact", "quad", "mc"):
            raise ModelError("method", f"must be auto, exact, quad or mc, got {method!r}")
        discrete = all(law.is_discrete for law in self.laws)
        if method == "auto":
            method = "exact" if discrete else "quad"
        if method == "exact" and not discrete:
            raise ModelError("method", "exact needs finite-support laws of r (discrete types)")
        if method == "mc":
            vals = self.simulate(samples, seed)["profit"]
            return ProfitEstimate(
                float(vals.mean()), float(vals.std(ddof=1) / math.sqrt(samples)), "mc", samples
            )
        if self.mechanism == "optimal":
            dp = self.solve_dp()
            return ProfitEstimate(dp.value, 0.0, dp.method, 0, dp.abserr)
        if self.mechanism == "non_adaptive":
            K = (1 - self.alpha) * self.ratio ** (self.k - 1)
            return ProfitEstimate(K * _pw(self.M, self.k), 0.0, "exact" if discrete else "quad")
        if method == "exact":
            return ProfitEstimate(self.state_law()[1], 0.0, "exact")
        fine = self._formula(PER_PANEL)
        coarse = self._formula(PER_PANEL // 2)
        return ProfitEstimate(
            fine[0], 0.0, "quad", 0, 0.0 if discrete else abs(fine[0] - coarse[0])
        )

    def state_law(self) -> tuple[dict[Any, Any], Any]:
        """Exact law of the final level (in s-coordinates: {s_n: prob}) and the expected
        profit, by propagating the state's law through the rounds (finite-support r)."""
        if not all(law.is_discrete for law in self.laws):
            raise ModelError("method", "the state law needs finite-support laws of r")
        if not self.exact:
            return self._state_law_float()
        one = Fraction(1)
        states: dict[Any, Any] = {self.s0: one}
        surplus = 0 * one
        for i, law in enumerate(self.laws):
            nxt: dict[Any, Any] = {}
            for rho, pr in zip(law.values, law.probs, strict=True):
                if not self.exact:
                    rho, pr = float(rho), float(pr)
                for s, ps in states.items():
                    s_new, xs = self.allocation(i, s, rho)
                    surplus += ps * pr * rho * _pw(xs, self.k - 1)
                    nxt[s_new] = nxt.get(s_new, 0 * one) + ps * pr
            states = nxt
        cost = self.c * sum(p * _pw(s, self.k) for s, p in states.items())
        return states, surplus - cost

    def _state_law_float(self) -> tuple[dict[float, float], float]:
        """:meth:`state_law` in floats by sorting instead of a (state x atom) loop: after
        round i a state s moves to max(s, t_j) (t_j the target for atom r_j), so the new
        law lives on the old states and the targets, and every sum over the pairs is a
        prefix or suffix sum over the sorted states."""
        k = float(self.k)
        s, p = np.array([float(self.s0)]), np.array([1.0])
        surplus = 0.0
        for i, law in enumerate(self.laws):
            rho = np.asarray(law.values, dtype=float)
            pr = np.asarray(law.probs, dtype=float)
            t = np.array([float(self.target_s(i, r)) for r in rho.tolist()])
            order = np.argsort(s, kind="stable")
            s, p = s[order], p[order]
            n_le = np.searchsorted(s, t, side="right")  # states with s <= t_j move to t_j
            below = np.concatenate(([0.0], np.cumsum(p)))[n_le]
            tord = np.argsort(t, kind="stable")
            cum_pr = np.concatenate(([0.0], np.cumsum(pr[tord])))
            stay = cum_pr[np.searchsorted(t[tord], s, side="left")]  # P(t_j < s)
            pos = rho > 0
            if self.allocate_all:  # x_i = s_i: E[x^{k-1}] over the states above t_j too
                sw = np.concatenate(([0.0], np.cumsum(p * np.power(s, k - 1))))
                above = sw[-1] - sw[n_le]
                tk = np.where(t > 0, np.power(np.maximum(t, 0.0), k - 1), 0.0)
                surplus += float(np.sum((rho * pr * (below * tk + above))[pos]))
            else:  # greedy, own: x_i = (alpha/c) r_i whatever the level
                xr = np.power(float(self.ratio) * rho[pos], k - 1)
                surplus += float(np.sum(rho[pos] * pr[pos] * xr))
            vals = np.concatenate((t, s))
            mass = np.concatenate((pr * below, p * stay))
            vals, inv = np.unique(vals, return_inverse=True)
            mass = np.bincount(inv, weights=mass)
            s, p = vals[mass > 0], mass[mass > 0]
        cost = float(self.c) * float(np.sum(p * np.power(s, k)))
        return dict(zip(s.tolist(), p.tolist(), strict=True)), surplus - cost

    def expected_production(self) -> Any:
        """E[D_n]: exact for finite-support r, else from the node evaluation or the DP."""
        if all(law.is_discrete for law in self.laws):
            states, _ = self.state_law()
            return sum(p * _pw(s, self.k) for s, p in states.items())
        if self.mechanism == "optimal":
            return self.solve_dp().expected_production()
        if self.mechanism == "non_adaptive":
            return self.pre_production
        return self._formula(PER_PANEL)[1]

    def _formula(self, per_panel: int) -> tuple[float, float]:
        """(ALG, E[D_n]) from the B.5 closed form on quantile nodes:
        ALG = (alpha/c)^{k-1} (sum_i E[r_i g_i] - alpha E[max(T, m_n)^k]),
        g_i = max(T, r_i, m_{i-1})^{k-1} (allocate D_i) or r_i^{k-1} (greedy own)."""
        k, a = float(self.k), float(self.alpha)
        T = float(self.s0 / self.ratio)
        mv, mc = np.array([T]), np.array([1.0])
        total = 0.0
        for law in self.laws:
            r, w = _nodes(law, per_panel)
            if self.allocate_all:
                total += float(np.sum(w * r * _e_max_pow(mv, mc, r, k - 1)))
            else:
                total += float(np.sum(w * r**k))
            mv, mc = _max_table_update(mv, mc, r, w)
        emk = float(_e_max_pow(mv, mc, np.array([T]), k)[0])
        ratio = float(self.ratio)
        return ratio ** (k - 1) * (total - a * emk), ratio**k * emk

    def simulate(self, paths: int = MC_PATHS, seed: int = 0) -> dict[str, np.ndarray]:
        """Monte Carlo paths: ``levels`` (paths x (n+1), D_0..D_n) and ``profit``
        (sum_i r_i x_i^alpha - c D_n per path); seeded."""
        rng = np.random.default_rng(seed)
        k, ratio = float(self.k), float(self.ratio)
        s = np.full(paths, float(self.s0))
        levels = [s**k]
        surplus = np.zeros(paths)
        for i, law in enumerate(self.laws):
            r = law.sample(paths, rng)
            if self.mechanism == "optimal":
                tgt = self.solve_dp().target_s_array(i, r)
            elif self.mechanism == "non_adaptive":
                tgt = np.zeros(paths)
            else:
                tgt = ratio * r
            s = np.maximum(s, tgt)
            xs = s if self.allocate_all else ratio * r
            surplus += np.where(r > 0, r * xs ** (k - 1), 0.0)
            levels.append(s**k)
        lv = np.column_stack(levels)
        return {"levels": lv, "profit": surplus - float(self.cost) * lv[:, -1]}


_PRECISION = (
    "production levels L = s^k with k = 1/(1 - alpha) span more than a float resolves; "
    "use a smaller alpha or bounded (truncated) buyer laws"
)


def _check_bounds(est, onl, onl_err, offl, offl_err) -> None:
    """0 <= ALG <= ONL <= OFFL up to the error estimates, else SolverError: the grid DP
    loses precision when alpha is close to 1 on wide supports (L = s^k spans more than
    a float resolves; e.g. two Exp(1) buyers at alpha = 0.95, k = 20)."""
    if onl is None:
        return
    onl, alg = float(onl), float(est.value)
    slack = float(onl_err) + 3 * float(est.abserr) + 1e-9 * max(1.0, abs(onl))
    problem = None
    if onl < -slack:
        problem = f"ONL = {onl:.6g} < 0"
    elif alg > onl + slack:
        problem = f"ONL = {onl:.6g} below the profit {alg:.6g} of an online mechanism"
    elif offl is not None and onl > float(offl) + slack + float(offl_err):
        problem = f"ONL = {onl:.6g} above OFFL = {float(offl):.6g}"
    if problem:
        raise SolverError(
            "inaccurate",
            f"the online DP lost precision ({problem}): {_PRECISION}",
        )


class OnlineDP:
    """The optimal online mechanism's dynamic program (Proposition 3.1).

    ``method="exact"`` (finite-support laws of r) carries Gamma_i as exact pieces in
    s = L^{1-alpha}; ``method="grid"`` uses the threshold grid DP of the module
    docstring with ``grid`` points (plus a run at grid/2 for the error estimate).
    Attributes: ``value`` (ONL = Gamma_1(0)), ``abserr`` (0 for exact), ``method``.

    >>> from datamech.models.distributions import Uniform
    >>> dp = OnlineDP([Uniform(0, 1)] * 2, 0.5, 1.0, grid=20_000)
    >>> abs(dp.value - 797 / 7680) <= dp.abserr < 1e-6                 # spec §6.2 U2
    True
    """

    def __init__(
        self,
        dists: Sequence[TypeDistribution],
        alpha: Any,
        cost: Any,
        grid: int = GRID,
        method: str = "auto",
        _laws: Any = None,
    ):
        _check_alpha_cost(alpha, cost)
        self.dists = list(dists)
        self.n = len(self.dists)
        self.laws = list(_laws) if _laws is not None else [d.r_law() for d in self.dists]
        kint = _integer_k(alpha)
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
        t0 = time.perf_counter()
        if method == "exact":
            self._solve_exact()
            self.abserr = 0.0
        else:
            self.s_max = self._s_max()
            half = self._solve_grid(self.grid // 2, keep=False)
            quarter = self._solve_grid(self.grid // 4, keep=False)
            self.value = self._solve_grid(self.grid, keep=True)
            # O(G^-2) when targets move smoothly; the quarter term covers grids that
            # happen to hit a discrete target (erratic convergence)
            self.abserr = 2 * (abs(self.value - half) + abs(self.value - quarter) / 4)
            # Gamma_1(0) >= 0 (producing nothing is feasible); an error bar wider than
            # the value means no digit is resolved
            if self.value < -self.abserr or self.abserr > max(0.5 * abs(self.value), 1e-9):
                raise SolverError(
                    "inaccurate",
                    f"the online DP lost precision (ONL = {self.value:.6g} "
                    f"+- {self.abserr:.2g}): {_PRECISION}",
                )
        self.seconds = time.perf_counter() - t0

    # ---------------------------------------------------------- exact pieces
    def _solve_exact(self) -> None:
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
            best = [_argmax_pieces(pieces, rho, self.alpha, self.k) for rho, _ in atoms]
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
        self.pieces.reverse()  # pieces[i] = Gamma_{i+1} (0-based round i)
        self.targets.reverse()
        self.value = _piece_eval(self.pieces[0][0], zero, self.k)

    # ---------------------------------------------------------- grid
    def _s_max(self) -> float:
        sup = 0.0
        for law in self.laws:
            if law.is_discrete:
                sup += float(np.max(np.asarray(law.values, dtype=float)))
            else:
                sup += float(law.quantile(1 - TAIL_U))
        return max(float(self.ratio) * sup, 1e-300)

    def _solve_grid(self, G: int, keep: bool) -> float:
        k, c = float(self.k), float(self.c)
        s = np.linspace(0.0, self.s_max, G + 1)
        w, L = s ** (k - 1), s**k
        gam = -c * L
        store = []
        for law, d in zip(reversed(self.laws), reversed(self.dists), strict=True):
            with np.errstate(divide="ignore", invalid="ignore"):
                tau = -np.diff(gam) / np.diff(w)
            tau = np.append(np.maximum.accumulate(np.maximum(tau, 0.0)), np.inf)
            P, E = _law_cdf_pmean(law, d, tau)
            dP = np.diff(P, prepend=0.0)
            dE = np.diff(E, prepend=0.0)
            term = gam * dP + w * dE
            suffix = np.concatenate([np.cumsum(term[::-1])[::-1][1:], [0.0]])
            new = gam * P + w * E + suffix
            if keep:
                store.append((tau, P, new))
            gam = new
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
            return _argmax_pieces(self.pieces[i + 1], r, self.alpha, self.k)[0]
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
        return _pw(self.target_s(i, r), self.k)

    def gamma(self, i: int, L: Any) -> Any:
        """Gamma_{i+1}(L) for 0-based i (i = n gives -c L)."""
        if i == self.n:
            return -self.c * L
        if self.method == "exact":
            s = 0 * self.ratio if L == 0 else L ** (1 - self.alpha)  # float unless L = 0
            return _piece_eval(_piece_at(self.pieces[i], s), s, self.k)
        Lf = float(L)
        if Lf > self._L[-1]:  # beyond every target: (sum_{j>i} E r_j) L^alpha - c L
            rest = sum(
                float(x.mean()) if x.is_discrete else float(d.monopoly_revenue())
                for x, d in zip(self.laws[i:], self.dists[i:], strict=True)
            )
            return rest * Lf ** float(self.alpha) - float(self.c) * Lf
        # Gamma is concave in w = L^alpha: linear interpolation in w (a lower bound)
        return float(np.interp(Lf ** float(self.alpha), self._w, self._gam[i]))

    def expected_production(self) -> float:
        """E[D_n] under the optimal policy on the grid (forward pass over grid states)."""
        if self.method == "exact":
            states: dict[Any, Any] = {0 * self.ratio: 1}
            for i, law in enumerate(self.laws):
                nxt: dict[Any, Any] = {}
                for rho, pr in zip(law.values, law.probs, strict=True):
                    for s, ps in states.items():
                        t = max(s, self.target_s(i, rho if self.exact else float(rho)))
                        nxt[t] = nxt.get(t, 0) + ps * pr
                states = nxt
            return sum(p * _pw(s, self.k) for s, p in states.items())
        p = np.zeros(len(self._s))
        p[0] = 1.0
        for P in self._P:
            dP = np.diff(P, prepend=0.0)
            below = np.concatenate([[0.0], np.cumsum(p)[:-1]])
            p = p * P + dP * below
        return float(np.dot(p, self._L))


# ------------------------------------------------------------------ scenario tree
@dataclass(frozen=True)
class ScenarioTreeResult(ResultMixin):
    """The scenario-tree program's optimum (exact ONL for finite-support r, spec §3.1):
    ``value``, per-node ``levels`` (D_h by prefix), ``nodes``, solver and status."""

    status: str
    value: float
    nodes: int
    solver: str
    seconds: float
    levels: dict = None  # type: ignore[assignment]
    _skip_fields: ClassVar[tuple[str, ...]] = ("levels",)


def scenario_tree_program(
    dists: Sequence[TypeDistribution],
    alpha: Any,
    cost: Any,
    solver: str = "CLARABEL",
    max_nodes: int = 20_000,
) -> ScenarioTreeResult:
    """max sum_h P(h) rho_h D_h^alpha - c sum_leaves P(l) D_l s.t. D_child >= D_parent >= 0
    over the tree of r-prefixes (types with the same r merged); cvxpy power cones.

    >>> from fractions import Fraction as Fr
    >>> from datamech.models.distributions import Discrete
    >>> b = Discrete([1, 2, 3], [Fr(3, 5), Fr(1, 10), Fr(3, 10)])
    >>> round(scenario_tree_program([b, b], 0.5, 1).value * 1960, 4)   # 3307/1960
    3307.0
    """
    import cvxpy as cp

    _check_alpha_cost(alpha, cost)
    laws = [d.r_law() for d in dists]
    if not all(law.is_discrete for law in laws):
        raise ModelError("buyers", "the scenario tree needs finite-support laws of r")
    tables = [
        [(float(v), float(p)) for v, p in zip(law.values, law.probs, strict=True)] for law in laws
    ]
    count, width = 0, 1
    for t in tables:
        width *= len(t)
        count += width
    if count > max_nodes:
        raise ModelError("buyers", f"the scenario tree has {count} nodes (> {max_nodes})")
    t0 = time.perf_counter()
    D = cp.Variable(count, nonneg=True)
    prob_list, rho_list, parent, leaf = [], [], [], []
    level_nodes = [(-1, 1.0, ())]
    idx = 0
    keys = []
    for depth, t in enumerate(tables):
        nxt = []
        for par, pp, key in level_nodes:
            for rho, pr in t:
                prob_list.append(pp * pr)
                rho_list.append(rho)
                parent.append(par)
                leaf.append(depth == len(tables) - 1)
                keys.append((*key, rho))
                nxt.append((idx, pp * pr, (*key, rho)))
                idx += 1
        level_nodes = nxt
    P, R = np.array(prob_list), np.array(rho_list)
    a = float(alpha)
    obj = cp.sum(cp.multiply(P * R, cp.power(D, a))) - float(cost) * cp.sum(
        cp.multiply(P * np.array(leaf, float), D)
    )
    par = np.array(parent)
    child = np.nonzero(par >= 0)[0]
    cons = [D[child] >= D[par[child]]] if len(child) else []
    problem = cp.Problem(cp.Maximize(obj), cons)
    solve_convex(problem, solver)
    if problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        raise SolverError(problem.status, "the scenario-tree program did not solve")
    levels = dict(zip(keys, np.asarray(D.value, float).tolist(), strict=True))
    return ScenarioTreeResult(
        problem.status, float(problem.value), count, solver, time.perf_counter() - t0, levels
    )


# ------------------------------------------------------------------ result and solve
@dataclass(frozen=True)
class OnlineResult(ResultMixin):
    """An online mechanism solved or evaluated (spec §3): ``expected_profit`` (with
    ``stderr`` for Monte Carlo, ``abserr`` for the grid DP or quadrature, ``method``),
    ``expected_production`` E[D_n], ``pre_production`` D_0, the benchmarks
    ``online_optimum`` (ONL) and ``offline_optimum`` (OFFL) with their error estimates and
    the ratios, Theorem 3.4's ``guarantee`` for the two-stage mechanism, per buyer the
    rule and (discrete types) a table of r, production target and allocation/payment at
    the level D_0, and a seeded ``sample_path`` with online payments."""

    status: str
    mechanism: str
    expected_profit: Any
    stderr: float
    abserr: float
    method: str
    expected_production: Any
    pre_production: Any
    online_optimum: Any
    online_abserr: float
    offline_optimum: Any
    offline_abserr: float
    ratio_to_online: float
    ratio_to_offline: float
    guarantee: Any
    alpha: Any
    cost: Any
    delta: Any
    allocate: str
    buyers: list
    sample_path: list
    solver: str
    seconds: float
    mech: Any = None
    _skip_fields: ClassVar[tuple[str, ...]] = ("mech",)

    def format(self) -> str:
        def num(x: Any, err: float = 0.0) -> str:
            s = f"{float(x):.10g}"
            if isinstance(x, Fraction):
                s += f" (= {x})"
            if err:
                s += f" +- {err:.2g}"
            return s

        lines = [
            f"online mechanism '{self.mechanism}', alpha = {self.alpha}, c = {self.cost}"
            + (f", delta = {self.delta}" if self.mechanism == "two_stage" else "")
            + (f", allocate = {self.allocate}" if self.mechanism == "greedy" else ""),
            f"expected profit      {num(self.expected_profit, self.stderr or self.abserr)}"
            f" ({self.method})",
            f"expected production  {num(self.expected_production)}",
            f"pre-production D_0   {num(self.pre_production)}",
            f"online optimum ONL   {num(self.online_optimum, self.online_abserr)}",
            f"offline optimum OFFL {num(self.offline_optimum, self.offline_abserr)}",
            f"ratios               ALG/ONL = {self.ratio_to_online:.6g}, "
            f"ALG/OFFL = {self.ratio_to_offline:.6g}",
        ]
        if self.guarantee is not None:
            lines.append(f"Theorem 3.4 bound    ALG/OFFL >= {float(self.guarantee):.6g}")
        lines.append(f"solver               {self.solver}")
        for i, b in enumerate(self.buyers):
            lines.append(
                f"buyer {i}: {b['family']}, E[r] = {float(b['mean_r']):.6g}, "
                f"reserve {float(b['reserve_price']):.6g}"
            )
            for row in b.get("table", []):
                lines.append(
                    "  v = {v:<10.6g} r = {r:<10.6g} target = {target:<12.6g} "
                    "x = {x:<12.6g} p = {p:.6g}".format(
                        **{k: float(row[k]) for k in ("v", "r", "target", "x", "p")}
                    )
                )
        if self.sample_path:
            lines.append("sample path (seeded): i, v, D_i, x_i, p_i")
            for row in self.sample_path:
                lines.append(
                    "  {buyer:<3d} {v:<10.6g} {level:<12.6g} {allocation:<12.6g} "
                    "{payment:.6g}".format(
                        buyer=row["buyer"],
                        **{k: float(row[k]) for k in ("v", "level", "allocation", "payment")},
                    )
                )
        return "\n".join(lines)

    def plot(self, out_dir: Any) -> list:
        """Production paths D_0..D_n along seeded sampled paths, this mechanism vs the
        optimum, as ``online_paths.png`` and ``online_paths.pdf`` in ``out_dir``."""
        from .online_plots import plot_paths

        return plot_paths(self.mech, out_dir)


def solve_online(
    model: Any,
    method: str = "auto",
    samples: int = MC_PATHS,
    seed: int = 0,
    grid: int = GRID,
    benchmarks: bool = True,
    path: bool = True,
) -> OnlineResult:
    """Solve (``optimal``) or evaluate an online model (spec §3, item 6).

    Parameters
    ----------
    model : OnlineModel
        Buyers in arrival order, ``alpha``, ``cost``, ``mechanism``, ``delta``,
        ``allocate``.
    method : str
        Expected-profit method: ``auto`` | ``exact`` | ``quad`` | ``mc``.
    samples, seed : int
        Monte Carlo size and seed (``mc``; the sample path uses ``seed`` too).
    grid : int
        Grid size of the optimal DP for continuous laws.
    benchmarks : bool
        Also compute ONL and OFFL (the ratios).
    path : bool
        Report a seeded sample path with online payments.

    Examples
    --------
    >>> import datamech as dm
    >>> res = solve_online(dm.load("examples/models/online_i3.toml"))
    >>> res.expected_profit, res.online_optimum, res.offline_optimum
    (Fraction(215, 144), Fraction(3307, 1960), Fraction(13, 7))
    """
    from .offline import OfflineMechanism

    t0 = time.perf_counter()
    dists = list(model.buyers)
    mech = OnlineMechanism(
        dists,
        model.alpha,
        model.cost,
        model.mechanism,
        delta=model.delta,
        allocate=model.allocate,
        grid=grid,
    )
    est = mech.expected_profit(method=method, samples=samples, seed=seed)
    production = mech.expected_production()
    if model.mechanism == "optimal" and est.method != "mc":
        onl, onl_err = est.value, est.abserr
    elif model.mechanism == "optimal":
        oe = mech.expected_profit()
        onl, onl_err = oe.value, oe.abserr
    elif benchmarks:
        o = OnlineMechanism(dists, model.alpha, model.cost, "optimal", grid=grid)
        oe = o.expected_profit()
        onl, onl_err = oe.value, oe.abserr
    else:
        onl, onl_err = None, 0.0
    offl, offl_err = None, 0.0
    if benchmarks:
        off = OfflineMechanism(dists, model.alpha, model.cost).expected_profit()
        offl, offl_err = off.value, off.abserr
    _check_bounds(est, onl, onl_err, offl, offl_err)
    ratio_on = float(est.value) / float(onl) if onl else math.nan
    ratio_off = float(est.value) / float(offl) if offl else math.nan
    guarantee = None
    if model.mechanism == "two_stage" and model.delta is None:
        guarantee = two_stage_guarantee(mech.alpha)
    buyers = []
    for i, d in enumerate(dists):
        entry: dict[str, Any] = {
            "family": d.family,
            "mean_r": mech.means[i],
            "reserve_price": d.reserve_price(),
            "rule": "x = x_MG(r)"
            if not mech.allocate_all
            else "x = 1[r > 0] max(D_prev, target(r))",
        }
        if d.discrete and hasattr(d, "values") and len(d.values) <= 200:
            rows = []
            for v in d.values:
                r = d.r(v)
                level, xs = mech.allocation(i, mech.s0, r)
                rows.append(
                    {
                        "v": v,
                        "r": r,
                        "target": _pw(mech.target_s(i, r), mech.k),
                        "x": _pw(xs, mech.k),
                        "p": mech.payment(i, mech.s0, v),
                    }
                )
            entry["state"] = "D_prev = D_0"
            entry["table"] = rows
        buyers.append(entry)
    sample = []
    if path:
        rng = np.random.default_rng(seed)
        v = [
            d.sample(1, rng)[0]
            if not (d.discrete and hasattr(d, "values"))
            else d.values[
                int(
                    np.searchsorted(
                        np.cumsum(np.asarray(d.probs, float)), rng.random(), side="right"
                    ).clip(0, len(d.values) - 1)
                )
            ]
            for d in dists
        ]
        sample = [rd.to_dict() for rd in mech.run(v)] if len(dists) <= 50 else []
    solver = {
        "optimal": f"dynamic program ({mech.dp_method}, Proposition 3.1)",
        "two_stage": "Algorithm 1 (two-stage), closed-form evaluation",
        "greedy": "myopic greedy, closed-form evaluation",
        "non_adaptive": "non-adaptive, closed form",
    }[model.mechanism]
    return OnlineResult(
        status="optimal" if model.mechanism == "optimal" else "evaluated",
        mechanism=model.mechanism,
        expected_profit=est.value,
        stderr=est.stderr,
        abserr=est.abserr,
        method=est.method,
        expected_production=production,
        pre_production=mech.pre_production,
        online_optimum=onl,
        online_abserr=onl_err,
        offline_optimum=offl,
        offline_abserr=offl_err,
        ratio_to_online=ratio_on,
        ratio_to_offline=ratio_off,
        guarantee=guarantee,
        alpha=model.alpha,
        cost=model.cost,
        delta=mech.delta if model.mechanism == "two_stage" else None,
        allocate=model.allocate,
        buyers=buyers,
        sample_path=sample,
        solver=solver,
        seconds=time.perf_counter() - t0,
        mech=mech,
    )
