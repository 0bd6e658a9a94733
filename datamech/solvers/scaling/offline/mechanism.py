"""The optimal offline mechanism for selling data with scaling-law values (Theorem 2.2).

Buyer i has type v_i ~ F_i and value v_i x^alpha; the seller produces D at cost c D.
With r_i = (phi_i^ir(v_i))_+ (Section 2) the optimum produces

    D*(v) = ((alpha/c) sum_i r_i)^{1/(1-alpha)},     x_i* = 1[r_i > 0] D*(v),

and charges the DSIC payments of Remark 2.1,
``p_i(v) = v_i x_i(v)^alpha - int_0^{v_i} x_i(t, v_-i)^alpha dt`` (for discrete types
p(v_j) = sum_{l <= j} v_l (z_l - z_{l-1}), z = x^alpha).  Its expected profit is
OFFL = (1-alpha)(alpha/c)^{alpha/(1-alpha)} E[(sum_i r_i)^{1/(1-alpha)}] (Lemma B.1):

* ``exact``: for discrete types, the binomial expansion of E[S^k] into one-buyer
  moments when k = 1/(1-alpha) is an integer (rational when the inputs are exact; linear
  in the number of types), else the convolution of the laws of r;
* ``quad``: deterministic quadrature for any mix of continuous and discrete laws, with an
  error estimate (:mod:`.quadrature`);
* ``mc``: seeded Monte Carlo with a standard error.

With general valuations v_i h_i(x) (App. A.4, Theorem A.1) pass ``h``: the production
is then the *smallest* maximiser of sum_i r_i h_i(D) - c D (Theorem A.1), found by a
dense grid on [0, D_max] refined by bounded scalar searches.

Examples
--------
>>> from fractions import Fraction as Fr
>>> from datamech.models.distributions import Discrete, Uniform
>>> b = Discrete([1, 2, 3], [Fr(3, 5), Fr(1, 10), Fr(3, 10)])  # irregular: types 1, 2 are ironed
>>> m = OfflineMechanism([b, b], alpha=Fr(1, 2), cost=1)
>>> m.expected_profit().value
Fraction(13, 7)
>>> est = OfflineMechanism([Uniform(0, 1)] * 2, 0.5, 1).expected_profit()   # 11/96
>>> est.method, round(est.value * 96, 10), est.abserr < 1e-12
('quad', 11.0, True)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
from scipy import integrate, optimize

from ....errors import ModelError, SolverError
from ....models.distributions import RLaw, TypeDistribution
from ....progress import progress
from ....sizes import FLOAT, check_count, check_memory
from ....status import Status
from ..common import ProfitEstimate, check_alpha_cost, check_cost, discrete_payments, integer_k
from . import checks
from .quadrature import QUAD_ORDER, QUAD_PANELS, conv_moments, law_nodes, power_sum_moment

__all__ = ["MAX_CONVOLUTION", "MC_SAMPLES", "PROFIT_METHODS", "OfflineMechanism"]

MC_SAMPLES = 200_000
PROFIT_METHODS = ("auto", "exact", "quad", "mc")
MAX_CONVOLUTION = 50_000_000  #: atoms of a float convolution for the law of sum r_i
MAX_EXACT_CONVOLUTION = 2_000_000  #: atoms of an exact (rational) convolution
MAX_GENERAL_PROFILES = 200_000  #: r-profiles enumerated under Theorem A.1
CONVOLUTION_BYTES = 6 * FLOAT  #: bytes per atom of a float convolution step
ARGMAX_GRID = 2049  #: grid points for the 1-D global maximisation of Theorem A.1
TIE_TOL = 1e-9  #: relative tolerance under which two values of Theorem A.1's objective tie


def _vectorized(h: Callable[[Any], Any]) -> Callable[[np.ndarray], np.ndarray]:
    """``h`` applied elementwise to a float array (calls it per element if it must)."""

    def hv(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        try:
            y = np.asarray(h(x), dtype=float)
            if y.shape == x.shape:
                return y
        except Exception:  # noqa: BLE001 - a scalar-only callable; fall back below
            pass
        return np.array([float(h(float(t))) for t in x.ravel()]).reshape(x.shape)

    return hv


def convolution_atoms(laws: Sequence[RLaw]) -> int:
    """Upper bound on the atoms of the law of sum r_i: the product of the table sizes."""
    return math.prod(len(law.values) for law in laws)


class OfflineMechanism:
    """Theorem 2.2's mechanism (or Theorem A.1's, with ``h``) for independent buyers.

    Parameters
    ----------
    dists : sequence of TypeDistribution
        One type law per buyer.
    alpha : float or Fraction
        Scaling exponent in (0, 1) (value v x^alpha); ignored when ``h`` is given.
    cost : float or Fraction
        Unit production cost c > 0.
    h : callable or sequence of callables, optional
        Theorem A.1's general valuations v_i h_i(x): continuous, nondecreasing,
        h_i(0) = 0 and h_i(x)/x -> 0.  One callable is shared by all buyers.
    tie_tol : float
        Relative tolerance below which two values of sum r_i h_i(D) - c D count as a
        tie, broken towards the smaller D (Theorem A.1).

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    * R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1),
      58-73, 1981.

    Examples
    --------
    >>> from datamech.models.distributions import Discrete
    >>> m = OfflineMechanism([Discrete([1.0, 3.0], [0.5, 0.5])], None, 1.0,
    ...                      h=lambda x: min(x * x, 1.0))        # r = 3 > c: D* = 1
    >>> m.allocate([3.0])
    (1.0, [1.0])
    """

    def __init__(
        self,
        dists: Sequence[TypeDistribution],
        alpha: Any,
        cost: Any,
        h: Callable[[Any], Any] | Sequence[Callable[[Any], Any]] | None = None,
        tie_tol: float = TIE_TOL,
    ):
        if h is None:
            check_alpha_cost(alpha, cost)
        else:
            check_cost(cost)
        if len(dists) == 0:
            raise ModelError("buyers", "needs at least one buyer")
        self.dists = list(dists)
        self.alpha, self.cost = alpha, cost
        self.h = None if h is None else self._check_h(h)
        self.tie_tol = float(tie_tol)
        self.kint: int | None = None
        self._laws: list[RLaw] | None = None
        if self.h is not None:
            self.exact = False
            self.k = math.nan
            self.ratio = self.K = math.nan
            return
        kint = integer_k(alpha)
        self.exact = (
            kint is not None
            and isinstance(cost, (int, Fraction))
            and all(law.exact for law in self.r_laws())
        )
        self.k = kint if self.exact else 1 / (1 - float(alpha))
        if self.exact:
            self.ratio: Any = Fraction(alpha) / Fraction(cost)
            self.K: Any = (1 - Fraction(alpha)) * self.ratio ** (kint - 1)
        else:
            self.ratio = float(alpha) / float(cost)
            self.K = (1 - float(alpha)) * self.ratio ** (self.k - 1)
        if abs(float(self.k) - round(float(self.k))) < 1e-12:
            self.kint = int(round(float(self.k)))

    def _check_h(self, h: Any) -> list[Callable[[np.ndarray], np.ndarray]]:
        hs = [h] * len(self.dists) if callable(h) else list(h)
        if len(hs) != len(self.dists) or not all(callable(f) for f in hs):
            raise ModelError("h", f"must be one callable or {len(self.dists)} callables")
        out = []
        probe = np.array([0.0, 1.0, 2.0, 1e3, 1e12])
        for i, f in enumerate(hs):
            hv = _vectorized(f)
            y = hv(probe)
            if not np.all(np.isfinite(y)):
                raise ModelError(f"h[{i}]", "must be finite on [0, inf)")
            if abs(y[0]) > 1e-12:
                raise ModelError(f"h[{i}]", f"must satisfy h(0) = 0, got {y[0]:g}")
            if np.any(np.diff(y) < -1e-12):
                raise ModelError(f"h[{i}]", "must be nondecreasing")
            # h(x)/x -> 0, probed: the ratio must fall between x = 1e3 and x = 1e12
            if y[-1] / probe[-1] > 0.9 * y[-2] / probe[-2] and y[-1] > 0:
                raise ModelError(f"h[{i}]", "must grow sublinearly (h(x)/x -> 0)")
            out.append(hv)
        return out

    # --------------------------------------------------------- allocation
    def r(self, v: Sequence[Any]) -> list[Any]:
        """r_i = (phi_i^ir(v_i))_+ for a profile v."""
        if len(v) != len(self.dists):
            raise ModelError("v", f"needs {len(self.dists)} types, got {len(v)}")
        return [d.r(vi) for d, vi in zip(self.dists, v, strict=True)]

    def production(self, s: Any) -> Any:
        """D* = ((alpha/c) s)^{1/(1-alpha)} for s = sum_i r_i (0 when s = 0)."""
        if self.h is not None:
            raise ModelError("h", "production(s) is the power law; use production_general")
        return (self.ratio * s) ** self.k if s > 0 else 0 * s

    def production_general(self, rs: Sequence[Any]) -> float:
        """Theorem A.1: the smallest maximiser of sum_i r_i h_i(D) - c D over D >= 0.

        A dense grid on [0, D_max] (D_max: the objective is negative at D_max, 2 D_max
        and 4 D_max), then bounded scalar searches around the best local maxima; among
        all points within ``tie_tol`` of the best value the smallest D wins.
        """
        hs = self.h if self.h is not None else [lambda x: x ** float(self.alpha)] * len(rs)
        act = [(float(r), hv) for r, hv in zip(rs, hs, strict=True) if r > 0]
        if not act:
            return 0.0
        c = float(self.cost)

        def g(D: Any) -> Any:
            D = np.asarray(D, dtype=float)
            return sum(r * hv(D) for r, hv in act) - c * D

        hi = 1.0
        for _ in range(400):
            if np.all(g(np.array([hi, 2 * hi, 4 * hi])) < 0):
                break
            hi *= 2
        else:
            raise SolverError(
                Status.UNBOUNDED, "sum r_i h_i(D) - c D does not turn negative (no maximiser)"
            )
        lo_scale = hi
        for _ in range(200):  # resolve maximisers far below D_max (a second, finer grid)
            if lo_scale < 1e-12 or np.max(g(np.linspace(0, lo_scale / 2, 65))) < np.max(
                g(np.linspace(lo_scale / 2, lo_scale, 65))
            ):
                break
            lo_scale /= 2
        grid = np.unique(
            np.concatenate([np.linspace(0, hi, ARGMAX_GRID), np.linspace(0, lo_scale, ARGMAX_GRID)])
        )
        vals = g(grid)
        # candidates: D = 0, the grid, and the refined local maxima (the 8 best, the last grid
        # point if the objective still rises there, and the leftmost grid peak within
        # tolerance of the best grid value, so that plateaus resolve to their left end)
        inner = np.arange(1, len(grid) - 1)
        peaks = inner[(vals[inner] >= vals[inner - 1]) & (vals[inner] >= vals[inner + 1])]
        chosen = set(peaks[np.argsort(vals[peaks])[::-1][:8]].tolist())
        near = peaks[vals[peaks] >= vals.max() - self.tie_tol * (1 + abs(vals.max()))]
        if len(near):
            chosen.add(int(near.min()))
        if vals[-1] >= vals[-2]:
            chosen.add(len(grid) - 1)
        cand_x, cand_g = [0.0, *grid], [float(g(0.0)), *vals]
        for j in sorted(chosen):
            a, b = grid[max(j - 1, 0)], grid[min(j + 1, len(grid) - 1)]
            res = optimize.minimize_scalar(
                lambda x: -float(g(x)),
                bounds=(a, b),
                method="bounded",
                options={"xatol": 1e-13 * max(b, 1e-300)},
            )
            cand_x.append(float(res.x))
            cand_g.append(-float(res.fun))
        cx, cg = np.array(cand_x), np.array(cand_g)
        best = cg.max()
        near = cg >= best - self.tie_tol * (1 + abs(best))
        # the leftmost near-best peak wins; within that peak (one grid cell either side)
        # its best point, the leftmost of exact ties (plateaus resolve to their left end)
        xs = cx[near].min()
        j = int(np.searchsorted(grid, xs))
        cell = grid[min(j + 1, len(grid) - 1)] - grid[max(j - 1, 0)]
        cluster = near & (cx <= xs + cell)
        top = cg[cluster].max()
        return float(cx[cluster & (cg >= top - 1e-15 * (1 + abs(top)))].min())

    def allocate(self, v: Sequence[Any]) -> tuple[Any, list[Any]]:
        """(D*, x*) of Theorem 2.2 (Theorem A.1 with ``h``) at profile v."""
        rs = self.r(v)
        D = self.production_general(rs) if self.h is not None else self.production(sum(rs))
        return D, [D if ri > 0 else 0 * D for ri in rs]

    def z_of(self, i: int, rs: Sequence[Any]) -> Any:
        """z_i = h_i(x_i) (x_i^alpha for the power law) at the r-profile ``rs``."""
        if rs[i] <= 0:
            return 0 * rs[i]
        if self.h is not None:
            return float(self.h[i](np.array([self.production_general(rs)]))[0])
        # x_i^alpha = ((alpha/c)(r_i + S_-i))^{alpha/(1-alpha)}
        return (self.ratio * sum(rs)) ** (self.k - 1)

    def payments(self, v: Sequence[Any]) -> list[Any]:
        """DSIC payments ``p_i(v) = v_i z_i(v) - int_{v^0_i}^{v_i} z_i(t, v_-i) dt`` with
        z = x^alpha (h_i(x) under Theorem A.1); Remark 2.1."""
        rs = self.r(v)
        return [self.payment(i, v[i], rs) for i in range(len(self.dists))]

    def payment(self, i: int, vi: Any, rs: Sequence[Any]) -> Any:
        """Buyer i's DSIC payment at type ``vi`` when the others' r-profile is ``rs``."""
        d = self.dists[i]
        rs = list(rs)

        def z_at(t: Any) -> Any:
            rs[i] = d.r(t)
            return self.z_of(i, rs)

        if d.discrete:
            vals = d.values
            j = int(np.searchsorted(vals, vi))
            return discrete_payments(vals[: j + 1], [z_at(vals[l]) for l in range(j + 1)])[-1]
        if d.r(vi) <= 0:
            return 0.0
        zi = float(z_at(vi))
        v0 = float(d.reserve_price())
        area, _ = integrate.quad(lambda t: float(z_at(t)), v0, float(vi), limit=200)
        return float(vi) * zi - area

    # --------------------------------------------------------- expected profit
    def r_laws(self) -> list[RLaw]:
        """The buyers' laws of r = (phi^ir)_+ (computed once)."""
        if self._laws is None:
            self._laws = [d.r_law() for d in self.dists]
        return self._laws

    def expected_profit(
        self, method: str = "auto", samples: int = MC_SAMPLES, seed: int = 0
    ) -> ProfitEstimate:
        """OFFL = E[max_D sum r_i h_i(D) - c D], = K_c E[(sum r_i)^k] for the power law
        (Lemma B.1).

        ``exact`` (discrete laws of r: one-buyer moments for integer k, else the
        convolution; enumeration of r-profiles under Theorem A.1), ``quad``
        (deterministic quadrature, any laws, power law only; ``abserr`` is its error
        estimate: the change from halving the Gauss-Legendre order plus scipy's error on
        the Laplace integral), ``mc`` (seeded Monte Carlo with standard error), or
        ``auto`` (exact, or quad where the convolution would be too large; exact, else
        mc with ``h``).
        """
        if method not in PROFIT_METHODS:
            raise ModelError("method", f"must be auto, exact, quad or mc, got {method!r}")
        if self.h is None:
            for d in self.dists:
                d.require_moment(float(self.k), "the expected profit")
        laws = self.r_laws()
        discrete = all(law.is_discrete for law in laws)
        if method == "auto":
            if not discrete:
                method = "mc" if self.h is not None else "quad"
            elif self.h is None and self.kint is None and convolution_atoms(laws) > MAX_CONVOLUTION:
                method = "quad"  # the Laplace quadrature is linear in the types
            else:
                method = "exact"
        if method == "exact":
            if not discrete:
                raise ModelError("method", "exact needs discrete laws of r (discrete types)")
            if self.h is not None:
                return ProfitEstimate(self._enumerate_general(laws), 0.0, "exact")
            value = self._power_profit(laws)
            if not any(law.grid for law in laws):
                return ProfitEstimate(value, 0.0, "exact")
            # a mixture's table is a grid approximation: compare with the half grid
            half = [d.r_law(grid=law.grid // 2) if law.grid else law for d, law in
                    zip(self.dists, laws, strict=True)]  # fmt: skip
            err = 2 * abs(float(value) - float(self._power_profit(half)))
            return ProfitEstimate(value, 0.0, "grid", 0, err)
        if method == "quad":
            if self.h is not None:
                raise ModelError("method", "quad needs the power law x^alpha (no h); use mc")
            return self._quadrature(laws)
        rng = np.random.default_rng(seed)
        draws = [law.sample(samples, rng) for law in laws]
        if self.h is None:
            vals = float(self.K) * sum(draws) ** float(self.k)
        else:
            vals = np.array([self._profile_profit(list(col)) for col in np.column_stack(draws)])
        return ProfitEstimate(
            float(vals.mean()), float(vals.std(ddof=1) / math.sqrt(samples)), "mc", samples
        )

    def _quadrature(self, laws: Sequence[RLaw]) -> ProfitEstimate:
        k = float(self.k)
        fine, e_fine = power_sum_moment([law_nodes(law) for law in laws], k)
        if all(law.is_discrete for law in laws):  # the nodes are the tables themselves
            coarse = short = fine
        else:
            coarse, _ = power_sum_moment([law_nodes(law, QUAD_ORDER // 2) for law in laws], k)
            short, _ = power_sum_moment(
                [law_nodes(law, panels=QUAD_PANELS - 12) for law in laws], k
            )
        K = float(self.K)
        # error: the change from halving the order, plus the change from dropping the 12
        # last tail panels (it bounds the truncation at u -> 1), plus the Laplace integral's
        err = K * (abs(fine - coarse) + abs(fine - short) + e_fine)
        return ProfitEstimate(K * fine, 0.0, "quad", 0, max(err, 1e-15 * abs(K * fine)))

    def _profile_profit(self, rs: Sequence[Any]) -> float:
        D = self.production_general(rs)
        hs = self.h if self.h is not None else []
        return float(
            sum(float(r) * float(hv(np.array([D]))[0]) for r, hv in zip(rs, hs, strict=True))
            - float(self.cost) * D
        )

    def _enumerate_general(self, laws: Sequence[RLaw]) -> float:
        profiles = convolution_atoms(laws)
        check_count(
            "buyers",
            profiles,
            MAX_GENERAL_PROFILES,
            f"enumerating {profiles:,} r-profiles of Theorem A.1",
            hint="use method = mc",
        )
        total = 0.0
        tables = [list(zip(law.values, law.probs, strict=True)) for law in laws]
        for combo in progress(
            itertools.product(*tables), total=profiles, desc="Theorem A.1 profiles",
            min_total=5_000,
        ):  # fmt: skip
            prob = math.prod(float(p) for _, p in combo)
            total += prob * self._profile_profit([r for r, _ in combo])
        return total

    def _power_profit(self, laws: Sequence[RLaw]) -> Any:
        """K E[S^k] on discrete laws of r: one-buyer moments for integer k (exact for
        exact tables), else the law of S by convolution."""
        if self.kint is not None:
            tables = [(np.asarray(law.values), np.asarray(law.probs)) for law in laws]
            if not self.exact:
                tables = [(v.astype(float), p.astype(float)) for v, p in tables]
            return self.K * conv_moments(tables, self.kint)[self.kint]
        return self.K * sum(p * s**self.k for s, p in self.sum_law(laws).items())

    def sum_law(self, laws: Sequence[RLaw] | None = None) -> dict[Any, Any]:
        """The law of S = sum_i r_i by convolution (discrete laws of r): in rationals for
        exact tables, else in floats with numpy (equal sums merged).  Refused with
        ``ModelError("buyers", ...)`` beyond :data:`MAX_CONVOLUTION` atoms (float) or
        :data:`MAX_EXACT_CONVOLUTION` (rationals) or the memory limit."""
        laws = self.r_laws() if laws is None else laws
        size = convolution_atoms(laws)
        hint = "method = quad evaluates the profit in time linear in the types"
        if self.exact:
            check_count(
                "buyers", size, MAX_EXACT_CONVOLUTION,
                f"the exact law of sum r_i with up to {size:,} atoms", hint=hint,
            )  # fmt: skip
            acc: dict[Any, Any] = {0: 1}
            for law in progress(laws, desc="convolution", min_total=2 if size > 10**5 else 10**9):
                nxt: dict[Any, Any] = {}
                for s, ps in acc.items():
                    for rv, pr in zip(law.values, law.probs, strict=True):
                        key = s + rv
                        nxt[key] = nxt.get(key, 0) + ps * pr
                acc = nxt
            return acc
        check_count(
            "buyers", size, MAX_CONVOLUTION, f"the law of sum r_i with up to {size:,} atoms",
            hint=hint,
        )  # fmt: skip
        check_memory(
            "buyers", size * CONVOLUTION_BYTES, f"the law of sum r_i ({size:,} atoms)", hint=hint
        )
        vals, probs = np.zeros(1), np.ones(1)
        for law in progress(laws, desc="convolution", min_total=2 if size > 10**6 else 10**9):
            v = np.add.outer(vals, np.asarray(law.values, dtype=float)).ravel()
            p = np.outer(probs, np.asarray(law.probs, dtype=float)).ravel()
            order = np.argsort(v, kind="stable")
            v, p = v[order], p[order]
            new = np.concatenate(([True], v[1:] != v[:-1]))
            vals, probs = v[new], np.bincount(np.cumsum(new) - 1, weights=p)
        return dict(zip(vals.tolist(), probs.tolist(), strict=True))

    # --------------------------------------------------------- checks
    def check(
        self, max_profiles: int = checks.MAX_PROFILES, levels: Sequence[float] = (0.2, 0.6, 0.95)
    ) -> dict[str, Any]:
        """Payment identity, IR and monotonicity (Appendices A.1-A.2).

        Discrete types: every profile, exactly (:func:`.checks.check_profiles`).
        Otherwise buyer by buyer, the others at the quantiles ``levels``
        (:func:`.checks.check_sampled`).
        """
        if not all(d.discrete for d in self.dists):
            return checks.check_sampled(self, levels)
        return checks.check_profiles(self, max_profiles)

    def check_sampled(
        self, levels: Sequence[float] = (0.2, 0.6, 0.95), grid: int = 41
    ) -> dict[str, Any]:
        """See :func:`.checks.check_sampled`."""
        return checks.check_sampled(self, levels, grid)
