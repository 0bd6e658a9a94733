"""Online mechanisms for selling data with scaling-law values (Deng et al., Section 3, Appendix B).

Buyers 1..n arrive in a fixed order; buyer i has type v_i ~ F_i and value v_i x^alpha,
the seller holds a data level D_{i-1} (D_0 = 0, or a pre-production) and on each arrival
may raise it to D_i >= D_{i-1} at cost c (D_i - D_{i-1}).  With r_i = (phi_i^ir(v_i))_+
(Section 2) every mechanism here has the form

    D_i = max{D_{i-1}, target_i(r_i)},      x_i = 1[r_i > 0] D_i   (or x_i^MG),

and its expected profit is E[sum_i r_i x_i^alpha - c D_n] (Section 3.1, with the ironed phi^ir).

* ``optimal`` (Proposition 3.1): the dynamic program of :mod:`.dp`
  (target D-bar_i(r)); :mod:`.scenario_tree` is the independent convex program.
* ``two_stage`` (Algorithm 1, Theorem 3.4): pre-produce D_0 = ((alpha/c)(1-delta)M)^k,
  M = sum_i E r_i, then target x^MG(r) = ((alpha/c) r)^k; delta defaults to
  (1-alpha)/(2-alpha).
* ``greedy`` (myopic, Theorem 3.2): the same targets from D_0 = 0; ``allocate="own"``
  gives x_i = x_i^MG (the definition), ``"all"`` gives x_i = D_i (not in the paper).
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
>>> b = Discrete([1, 2, 3], [Fr(3, 5), Fr(1, 10), Fr(3, 10)])  # irregular: types 1, 2 are ironed
>>> OnlineMechanism([b, b], Fr(1, 2), 1, "optimal").expected_profit().value
Fraction(3307, 1960)
>>> OnlineMechanism([b, b], Fr(1, 2), 1, "two_stage").expected_profit().value
Fraction(215, 144)
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from scipy import integrate

from ....errors import ModelError
from ....models.distributions import TypeDistribution
from ....progress import progress
from ....results import ResultMixin
from ..common import ProfitEstimate, check_alpha_cost, discrete_payments, integer_k, pw
from .dp import GRID, OnlineDP
from .laws import PER_PANEL, e_max_pow, max_table_update, quantile_nodes

__all__ = ["ALLOCATE", "MC_PATHS", "MECHANISMS", "OnlineMechanism", "Round"]

MECHANISMS = ("optimal", "two_stage", "greedy", "non_adaptive")
ALLOCATE = ("own", "all")
MC_PATHS = 200_000
BAR_ROUNDS = 200  #: show progress bars over rounds from this many buyers on


@dataclass(frozen=True)
class Round(ResultMixin):
    """One arrival on a realised path: type, r, state before, level after, allocation,
    payment (online identity) and the buyer's utility.

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    """

    buyer: int
    v: Any
    r: Any
    level_before: Any
    level: Any
    allocation: Any
    payment: Any
    utility: Any


class OnlineMechanism:
    """An online mechanism of the family D_i = max{D_{i-1}, target_i(r_i)} (Section 3).

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
        Greedy only: ``own`` (x_i = x_i^MG, the definition) or ``all`` (x_i = D_i,
        weakly better; not in the paper).
    grid : int
        Grid size of the optimal DP when a law of r is continuous (or ``dp="grid"``).
    dp : str
        ``auto`` (exact pieces for finite-support r, else the grid) or ``grid``.

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.

    Examples
    --------
    >>> from datamech.models.distributions import Uniform
    >>> m = OnlineMechanism([Uniform(0, 1)] * 2, Fraction(1, 2), 1, "greedy")
    >>> est = m.expected_profit()                 # 3/32 by quadrature
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
        check_alpha_cost(alpha, cost)
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
        kint = integer_k(alpha)
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
        """D_0 (produced before any arrival; its cost is sunk, as in Appendix B.5)."""
        return pw(self.s0, self.k)

    def solve_dp(self) -> Any:
        """The optimal DP (run once, cached); see :class:`OnlineDP`."""
        if self._dp is None:
            self._dp = OnlineDP(
                self.dists,
                self.alpha,
                self.cost,
                grid=self.grid,
                method=self.dp_method,
                laws=self.laws,
            )
        return self._dp

    def optimal_counterpart(self) -> OnlineMechanism:
        """The optimal online mechanism on the same buyers, alpha, cost and grid."""
        if self.mechanism == "optimal":
            return self
        return OnlineMechanism(self.dists, self.alpha, self.cost, "optimal", grid=self.grid)

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
            z = pw(xs, self.k - 1)
            p = self.payment(i, s, vi)
            out.append(
                Round(i, vi, r, pw(s, self.k), pw(s_new, self.k), pw(xs, self.k), p, vi * z - p)
            )
            s = s_new
        return out

    def _z(self, i: int, level_s: Any, t: Any) -> Any:
        return pw(self.allocation(i, level_s, self.dists[i].r(t))[1], self.k - 1)

    def payment(self, i: int, level_s: Any, v: Any) -> Any:
        """Online payment of buyer i (0-based) at state s = D_{i-1}^{1-alpha} and type v
        (by the envelope argument of Appendix A.1; not printed in the paper); exact for
        discrete types."""
        d = self.dists[i]
        if d.discrete and hasattr(d, "values"):
            vals = d.values
            j = int(np.searchsorted(np.asarray(vals, dtype=float), float(v)))
            zs = [self._z(i, level_s, vals[m]) for m in range(j + 1)]
            return discrete_payments(vals[: j + 1], zs)[-1]
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
            return ProfitEstimate(K * pw(self.M, self.k), 0.0, "exact" if discrete else "quad")
        if method == "exact":
            return ProfitEstimate(self._propagate()[1], 0.0, "exact")
        fine = self._formula(PER_PANEL)
        coarse = self._formula(PER_PANEL // 2)
        return ProfitEstimate(
            fine[0], 0.0, "quad", 0, 0.0 if discrete else abs(fine[0] - coarse[0])
        )

    def state_law(self) -> tuple[dict[Any, Any], Any]:
        """Exact law of the final level (in s-coordinates: {s_n: prob}) and the expected
        profit, by propagating the state's law through the rounds (finite-support r)."""
        states, profit, _ = self._propagate()
        return states, profit

    def _propagate(self) -> tuple[dict[Any, Any], Any, list[Any]]:
        """(law of s_n, expected profit, [E[D_0], ..., E[D_n]]) for finite-support r."""
        if not all(law.is_discrete for law in self.laws):
            raise ModelError("method", "the state law needs finite-support laws of r")
        if not self.exact:
            return self._propagate_float()
        one = Fraction(1)
        states: dict[Any, Any] = {self.s0: one}
        surplus = 0 * one
        levels = [self.pre_production]
        for i, law in progress(
            enumerate(self.laws), total=self.n, desc="state law", min_total=BAR_ROUNDS
        ):
            nxt: dict[Any, Any] = {}
            for rho, pr in zip(law.values, law.probs, strict=True):
                for s, ps in states.items():
                    s_new, xs = self.allocation(i, s, rho)
                    surplus += ps * pr * rho * pw(xs, self.k - 1)
                    nxt[s_new] = nxt.get(s_new, 0 * one) + ps * pr
            states = nxt
            levels.append(sum(p * pw(s, self.k) for s, p in states.items()))
        return states, surplus - self.c * levels[-1], levels

    def _propagate_float(self) -> tuple[dict[float, float], float, list[float]]:
        """:meth:`_propagate` in floats by sorting instead of a (state x atom) loop: after
        round i a state s moves to max(s, t_j) (t_j the target for atom r_j), so the new
        law lives on the old states and the targets, and every sum over the pairs is a
        prefix or suffix sum over the sorted states."""
        k = float(self.k)
        s, p = np.array([float(self.s0)]), np.array([1.0])
        surplus = 0.0
        levels = [float(self.pre_production)]
        for i, law in progress(
            enumerate(self.laws), total=self.n, desc="state law", min_total=BAR_ROUNDS
        ):
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
            levels.append(float(np.sum(p * np.power(s, k))))
        states = dict(zip(s.tolist(), p.tolist(), strict=True))
        return states, surplus - float(self.c) * levels[-1], levels

    def expected_levels(self) -> list[Any]:
        """E[D_0], ..., E[D_n] (D_0 the pre-production): exact for finite-support r,
        else from the node evaluation of B.5 or the optimal DP's forward pass."""
        if all(law.is_discrete for law in self.laws):
            return self._propagate()[2]
        if self.mechanism == "optimal":
            return self.solve_dp().expected_levels()
        if self.mechanism == "non_adaptive":
            return [self.pre_production] * (self.n + 1)
        return self._formula(PER_PANEL)[1]

    def expected_production(self) -> Any:
        """E[D_n] (the last of :meth:`expected_levels`)."""
        return self.expected_levels()[-1]

    def _formula(self, per_panel: int) -> tuple[float, list[float]]:
        """(ALG, [E[D_0], ..., E[D_n]]) from the B.5 closed form on quantile nodes:
        ALG = (alpha/c)^{k-1} (sum_i E[r_i g_i] - alpha E[max(T, m_n)^k]),
        g_i = max(T, r_i, m_{i-1})^{k-1} (allocate D_i) or r_i^{k-1} (greedy own), and
        E[D_i] = (alpha/c)^k E[max(T, m_i)^k] with m_i = max(r_1, ..., r_i)."""
        k, a = float(self.k), float(self.alpha)
        T = float(self.s0 / self.ratio)
        mv, mc = np.array([T]), np.array([1.0])
        total = 0.0
        ratio = float(self.ratio)
        levels = [ratio**k * T**k]
        for law in progress(self.laws, desc="closed form", min_total=BAR_ROUNDS):
            r, w = quantile_nodes(law, per_panel)
            if self.allocate_all:
                total += float(np.sum(w * r * e_max_pow(mv, mc, r, k - 1)))
            else:
                total += float(np.sum(w * r**k))
            mv, mc = max_table_update(mv, mc, r, w)
            levels.append(ratio**k * float(e_max_pow(mv, mc, np.array([T]), k)[0]))
        emk = levels[-1] / ratio**k
        return ratio ** (k - 1) * (total - a * emk), levels

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
