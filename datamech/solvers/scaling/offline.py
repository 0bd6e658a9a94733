"""The optimal offline mechanism for selling data with scaling-law values (Theorem 2.2).

Buyer i has type v_i ~ F_i and value v_i x^alpha; the seller produces D at cost c D.
With r_i = (phi_i^ir(v_i))_+ (spec §2.1) the optimum produces

    D*(v) = ((alpha/c) sum_i r_i)^{1/(1-alpha)},     x_i* = 1[r_i > 0] D*(v),

and charges the DSIC payments of Remark 2.1,
p_i(v) = v_i x_i(v)^alpha - int_0^{v_i} x_i(t, v_-i)^alpha dt (for discrete types
p(v_j) = sum_{l <= j} v_l (z_l - z_{l-1}), z = x^alpha).  Its expected profit is
OFFL = (1-alpha)(alpha/c)^{alpha/(1-alpha)} E[(sum_i r_i)^{1/(1-alpha)}] (Lemma B.1):

* ``exact``: convolution of the laws of r for discrete types (rational when
  alpha = 1 - 1/k for an integer k and the inputs are exact);
* ``quad``: deterministic quadrature for any mix of continuous and discrete laws, with an
  error estimate (composite Gauss-Legendre in quantile space; for integer k the binomial
  expansion of E[S^k] into 1-D moments, otherwise the Laplace-transform formula
  E[S^{m+b}] = b/Gamma(1-b) int_0^inf (E[S^m] - E[S^m e^{-tS}]) t^{-1-b} dt, whose
  integrand factorises over buyers);
* ``mc``: seeded Monte Carlo with a standard error.

With general valuations v_i h_i(x) (App. A.4, Theorem A.1) pass ``h``: the production
is then the *smallest* maximiser of sum_i r_i h_i(D) - c D (spec §2.3, G10), found by a
dense grid on [0, D_max] refined by bounded scalar searches.

:func:`pvv_program` is the virtual-value program (P-VV) of spec §2.5 in cvxpy: it knows
nothing of Theorem 2.2 or of ironing (it uses the unironed discrete virtual values and
interim monotonicity, with z = x^alpha) and its optimum equals OFFL.  The full
automated-mechanism-design program (P-AMD) is in :mod:`.amd`.

Examples
--------
>>> from fractions import Fraction as Fr
>>> from datamech.models.distributions import Discrete, Uniform
>>> b = Discrete([1, 2, 3], [Fr(3, 5), Fr(1, 10), Fr(3, 10)])     # spec §6.2 example I3
>>> m = OfflineMechanism([b, b], alpha=Fr(1, 2), cost=1)
>>> m.expected_profit().value
Fraction(13, 7)
>>> est = OfflineMechanism([Uniform(0, 1)] * 2, 0.5, 1).expected_profit()   # U2: 11/96
>>> est.method, round(est.value * 96, 10), est.abserr < 1e-12
('quad', 11.0, True)
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np
from scipy import integrate, optimize, sparse, special

from ...errors import ModelError, SolverError
from ...models.distributions import Mixture, RLaw, TypeDistribution
from ...results import ResultMixin

MC_SAMPLES = 200_000
MAX_CONVOLUTION = 50_000_000  # atoms of a float convolution for the law of sum r_i
SAMPLED_GRID = 4000  # quantile points of check_sampled for a mixture buyer
QUAD_ORDER = 24  # Gauss-Legendre nodes per panel (the error estimate compares with half)
QUAD_PANELS = 44  # geometric panels in quantile space, towards u = 1 (heavy tails)
ARGMAX_GRID = 2049  # grid points for the 1-D global maximisation of Theorem A.1
# Clarabel's default tolerances (1e-8) leave payments accurate to ~1e-5; these give ~1e-7
CLARABEL_TIGHT = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10}
TIE_TOL = 1e-9  # relative tolerance under which two values of Theorem A.1's objective tie


def _check_cost(cost: Any) -> None:
    if isinstance(cost, bool) or not isinstance(cost, (int, float, Fraction)):
        raise ModelError("cost", f"must be a positive number, got {cost!r}")
    if not (cost > 0 and math.isfinite(float(cost))):
        raise ModelError("cost", f"must be positive and finite, got {cost}")


def _check_alpha_cost(alpha: Any, cost: Any) -> None:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, Fraction)):
        raise ModelError("alpha", f"must be a number in (0, 1), got {alpha!r}")
    if not 0 < alpha < 1:
        raise ModelError("alpha", f"must lie in (0, 1), got {alpha}")
    _check_cost(cost)


def _integer_k(alpha: Any) -> int | None:
    """k = 1/(1-alpha) when alpha is an exact rational with integer k."""
    if not isinstance(alpha, Fraction):
        return None
    k = 1 / (1 - alpha)
    return int(k) if k.denominator == 1 else None


def solve_convex(problem: Any, solver: str, options: dict[str, Any] | None = None) -> None:
    """``problem.solve`` with ``options`` (default: tight tolerances for Clarabel; if
    those end short of ``optimal``, once more with the solver's defaults).  The final
    status stays on ``problem.status``; solver exceptions become ``SolverError``."""
    import warnings

    import cvxpy as cp

    tight = options is None and solver.upper() == "CLARABEL"
    opts = dict(CLARABEL_TIGHT) if tight else dict(options or {})
    try:
        with warnings.catch_warnings():
            if tight:  # an inaccurate tight solve is retried below
                warnings.simplefilter("ignore", UserWarning)
            problem.solve(solver=solver, **opts)
        if tight and problem.status != cp.OPTIMAL:
            problem.solve(solver=solver)
    except cp.SolverError as exc:
        raise SolverError("error", str(exc)) from None


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


@dataclass(frozen=True)
class ProfitEstimate(ResultMixin):
    """Expected profit OFFL: ``value``, ``stderr`` (Monte Carlo standard error, 0 when
    deterministic), ``method`` (exact | quad | mc), ``samples`` and ``abserr`` (the
    quadrature error estimate, 0 for exact and Monte Carlo values)."""

    value: Any
    stderr: float
    method: str
    samples: int = 0
    abserr: float = 0.0


# ------------------------------------------------------------------ quadrature
def _law_nodes(
    law: RLaw, order: int = QUAD_ORDER, panels: int = QUAD_PANELS
) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of a quadrature for E[g(r)]: the table itself for a discrete
    law; else the atom at 0 plus composite Gauss-Legendre on u in (P(r = 0), 1) of
    g(Q_r(u)), on panels that halve towards u = 1 (algebraic tails)."""
    if law.is_discrete:
        return np.asarray(law.values, dtype=float), np.asarray(law.probs, dtype=float)
    z = float(law.zero_mass)
    edges = z + (1 - z) * np.append(1 - 2.0 ** -np.arange(panels), 1.0)
    x, w = np.polynomial.legendre.leggauss(order)
    a, b = edges[:-1, None], edges[1:, None]
    u = ((a + b) / 2 + (b - a) / 2 * x).ravel()
    wu = ((b - a) / 2 * w).ravel()
    r = np.asarray(law.quantile(u), dtype=float)
    return np.append(0.0, r), np.append(z, wu)


def _conv_moments(weighted: Sequence[tuple[np.ndarray, np.ndarray]], m: int) -> np.ndarray:
    """b[j] = E[prod_i w_i(r_i) S^j], j = 0..m, for S = sum of independent r_i, given per
    buyer the nodes r and the weights already multiplied by w_i (binomial convolution)."""
    b = np.zeros(m + 1)
    b[0] = 1.0
    for r, w in weighted:
        a = np.array([np.dot(w, r**j) for j in range(m + 1)])
        b = np.array(
            [sum(math.comb(j, l) * b[l] * a[j - l] for l in range(j + 1)) for j in range(m + 1)]
        )
    return b


def _laplace_gap(nodes: Sequence[tuple[np.ndarray, np.ndarray]], m: int, t: float) -> float:
    """E[S^m (1 - e^{-tS})] without cancellation: 1 - prod_i e_i = sum_i (1 - e_i)
    prod_{l<i} e_l with e_i = e^{-t r_i}, and 1 - e_i = -expm1(-t r_i)."""
    total = 0.0
    for i in range(len(nodes)):
        weighted = []
        for l, (r, w) in enumerate(nodes):
            if l < i:
                weighted.append((r, w * np.exp(-t * r)))
            elif l == i:
                weighted.append((r, w * -np.expm1(-t * r)))
            else:
                weighted.append((r, w))
        total += _conv_moments(weighted, m)[m]
    return float(total)


def _power_sum_moment(
    nodes: Sequence[tuple[np.ndarray, np.ndarray]], k: float
) -> tuple[float, float]:
    """(E[S^k], outer quadrature error) for S = sum of independent r's given by ``nodes``."""
    m = int(math.floor(k + 1e-9))
    beta = k - m
    if abs(beta) < 1e-9:  # integer k: the binomial expansion is a finite sum of moments
        return float(_conv_moments(nodes, m)[m]), 0.0
    mu = float(_conv_moments(nodes, 1)[1])
    if mu <= 0:
        return 0.0, 0.0

    def f(s: float) -> float:  # E[S^m (1 - e^{-tS})] / s at t = s / mu
        return _laplace_gap(nodes, m, s / mu) / max(s, 1e-300)

    lo, e1 = integrate.quad(
        f, 0.0, 1.0, weight="alg", wvar=(-beta, 0.0), limit=200, epsabs=0, epsrel=1e-11
    )
    hi, e2 = integrate.quad(
        lambda s: f(s) * s**-beta, 1.0, np.inf, limit=200, epsabs=0, epsrel=1e-11
    )
    scale = beta / special.gamma(1 - beta) * mu**beta
    return float(scale * (lo + hi)), float(scale * (e1 + e2))


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
        tie, broken towards the smaller D (spec §2.3).

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
            _check_alpha_cost(alpha, cost)
        else:
            _check_cost(cost)
        if len(dists) == 0:
            raise ModelError("buyers", "needs at least one buyer")
        self.dists = list(dists)
        self.alpha, self.cost = alpha, cost
        self.h = None if h is None else self._check_h(h)
        self.tie_tol = float(tie_tol)
        if self.h is not None:
            self.exact = False
            self.k = math.nan
            self.ratio = self.K = math.nan
            return
        kint = _integer_k(alpha)
        self.exact = (
            kint is not None
            and isinstance(cost, (int, Fraction))
            and all(d.r_law().exact for d in self.dists)
        )
        self.k = kint if self.exact else 1 / (1 - float(alpha))
        if self.exact:
            self.ratio: Any = Fraction(alpha) / Fraction(cost)
            self.K: Any = (1 - Fraction(alpha)) * self.ratio ** (kint - 1)
        else:
            self.ratio = float(alpha) / float(cost)
            self.K = (1 - float(alpha)) * self.ratio ** (self.k - 1)

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
            raise SolverError("no_maximizer", "sum r_i h_i(D) - c D does not turn negative")
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

    def _zi(self, i: int, rs: Sequence[Any]) -> Any:
        """z_i = h_i(x_i) (x_i^alpha for the power law) at r-profile ``rs``."""
        if rs[i] <= 0:
            return 0 * rs[i]
        if self.h is not None:
            return float(self.h[i](np.array([self.production_general(rs)]))[0])
        # x_i^alpha = ((alpha/c)(r_i + S_-i))^{alpha/(1-alpha)}
        return (self.ratio * sum(rs)) ** (self.k - 1)

    def payments(self, v: Sequence[Any]) -> list[Any]:
        """DSIC payments p_i(v) = v_i z_i(v) - int_{v^0_i}^{v_i} z_i(t, v_-i) dt with
        z = x^alpha (h_i(x) under Theorem A.1); Remark 2.1."""
        rs = self.r(v)
        return [self._payment(i, v[i], rs) for i in range(len(self.dists))]

    def _payment(self, i: int, vi: Any, rs: Sequence[Any]) -> Any:
        d = self.dists[i]
        rs = list(rs)

        def z_at(t: Any) -> Any:
            rs[i] = d.r(t)
            return self._zi(i, rs)

        if d.discrete:
            vals = d.values
            j = int(np.searchsorted(vals, vi))
            zs = [z_at(vals[l]) for l in range(j + 1)]
            prev = [0 * zs[0], *zs[:-1]]
            return sum(vals[l] * (zs[l] - prev[l]) for l in range(j + 1))
        if d.r(vi) <= 0:
            return 0.0
        zi = float(z_at(vi))
        v0 = float(d.reserve_price())
        area, _ = integrate.quad(lambda t: float(z_at(t)), v0, float(vi), limit=200)
        return float(vi) * zi - area

    # --------------------------------------------------------- expected profit
    def r_laws(self) -> list[RLaw]:
        return [d.r_law() for d in self.dists]

    def expected_profit(
        self, method: str = "auto", samples: int = MC_SAMPLES, seed: int = 0
    ) -> ProfitEstimate:
        """OFFL = E[max_D sum r_i h_i(D) - c D], = K_c E[(sum r_i)^k] for the power law
        (Lemma B.1).

        ``exact`` (discrete laws of r: convolution, or enumeration of r-profiles under
        Theorem A.1), ``quad`` (deterministic quadrature, any laws, power law only;
        ``abserr`` is its error estimate: the change from halving the Gauss-Legendre
        order plus scipy's error on the Laplace integral), ``mc`` (seeded Monte Carlo
        with standard error), or ``auto`` (exact, else quad; exact, else mc with ``h``).
        """
        if method not in ("auto", "exact", "quad", "mc"):
            raise ModelError("method", f"must be auto, exact, quad or mc, got {method!r}")
        if self.h is None:
            for d in self.dists:
                d.require_moment(float(self.k), "the expected profit")
        laws = self.r_laws()
        discrete = all(law.is_discrete for law in laws)
        if method == "auto":
            method = "exact" if discrete else ("mc" if self.h is not None else "quad")
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
        fine, e_fine = _power_sum_moment([_law_nodes(law) for law in laws], k)
        if all(law.is_discrete for law in laws):  # the nodes are the tables themselves
            coarse = short = fine
        else:
            coarse, _ = _power_sum_moment([_law_nodes(law, QUAD_ORDER // 2) for law in laws], k)
            short, _ = _power_sum_moment(
                [_law_nodes(law, panels=QUAD_PANELS - 12) for law in laws], k
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
        total = 0.0
        tables = [list(zip(law.values, law.probs, strict=True)) for law in laws]
        for combo in itertools.product(*tables):
            prob = math.prod(float(p) for _, p in combo)
            total += prob * self._profile_profit([r for r, _ in combo])
        return total

    def _power_profit(self, laws: Sequence[RLaw]) -> Any:
        """K E[S^k] on discrete laws of r (the power law's closed form)."""
        return self.K * sum(p * s**self.k for s, p in self.sum_law(laws).items())

    def sum_law(self, laws: Sequence[RLaw] | None = None) -> dict[Any, Any]:
        """The law of S = sum_i r_i by convolution (discrete laws of r): in rationals for
        exact tables, else in floats with numpy (equal sums merged)."""
        laws = self.r_laws() if laws is None else laws
        if self.exact:
            acc: dict[Any, Any] = {0: 1}
            for law in laws:
                nxt: dict[Any, Any] = {}
                for s, ps in acc.items():
                    for rv, pr in zip(law.values, law.probs, strict=True):
                        key = s + rv
                        nxt[key] = nxt.get(key, 0) + ps * pr
                acc = nxt
            return acc
        size = math.prod(len(law.values) for law in laws)
        if size > MAX_CONVOLUTION:
            raise ModelError(
                "method",
                f"the law of sum r_i has up to {size:,} atoms (more than {MAX_CONVOLUTION:,}); "
                "use method='mc'",
            )
        vals, probs = np.zeros(1), np.ones(1)
        for law in laws:
            v = np.add.outer(vals, np.asarray(law.values, dtype=float)).ravel()
            p = np.outer(probs, np.asarray(law.probs, dtype=float)).ravel()
            order = np.argsort(v, kind="stable")
            v, p = v[order], p[order]
            new = np.concatenate(([True], v[1:] != v[:-1]))
            vals, probs = v[new], np.bincount(np.cumsum(new) - 1, weights=p)
        return dict(zip(vals.tolist(), probs.tolist(), strict=True))

    # --------------------------------------------------------- checks
    def check(
        self, max_profiles: int = 20_000, levels: Sequence[float] = (0.2, 0.6, 0.95)
    ) -> dict[str, Any]:
        """Payment identity, IR and monotonicity (spec §2.4, S15).

        Discrete types: every profile, exactly.  Returns ``revenue``, ``cost``,
        ``profit`` (E[sum p] - c E[D], which must equal OFFL), per-buyer
        ``identity_gap`` max |E[p_i] - E[phi^ir_i z_i]|, ``ir_ok`` and ``monotone_ok``.
        Otherwise see :meth:`check_sampled` (buyer by buyer, others at ``levels``).
        """
        if not all(d.discrete for d in self.dists):
            return self.check_sampled(levels)
        sizes = [len(d.values) for d in self.dists]
        if math.prod(sizes) > max_profiles:
            raise ModelError("buyers", f"{math.prod(sizes)} profiles exceed {max_profiles}")
        n = len(self.dists)
        rev = cost = 0
        pay_e = [0] * n
        vv_e = [0] * n
        ir_ok = mono_ok = True
        z_tab: dict[tuple[int, ...], list[Any]] = {}
        for idx in itertools.product(*(range(m) for m in sizes)):
            v = [d.values[j] for d, j in zip(self.dists, idx, strict=True)]
            prob = math.prod(d.probs[j] for d, j in zip(self.dists, idx, strict=True))
            D, _ = self.allocate(v)
            rs = self.r(v)
            z = [self._zi(i, rs) for i in range(n)]
            z_tab[idx] = z
            p = self.payments(v)
            rev += prob * sum(p)
            cost += prob * self.cost * D
            for i in range(n):
                pay_e[i] += prob * p[i]
                vv_e[i] += prob * self.dists[i].ironed_virtual_value(v[i]) * z[i]
                if v[i] * z[i] - p[i] < -1e-12:
                    ir_ok = False
        for idx, z in z_tab.items():
            for i in range(n):
                if idx[i] + 1 < sizes[i]:
                    up = list(idx)
                    up[i] += 1
                    if z_tab[tuple(up)][i] < z[i] - 1e-12:
                        mono_ok = False
        gap = max(abs(float(a - b)) for a, b in zip(pay_e, vv_e, strict=True))
        return {
            "revenue": rev,
            "cost": cost,
            "profit": rev - cost,
            "identity_gap": gap,
            "ir_ok": ir_ok,
            "monotone_ok": mono_ok,
        }

    def check_sampled(
        self, levels: Sequence[float] = (0.2, 0.6, 0.95), grid: int = 41
    ) -> dict[str, Any]:
        """Checks for continuous (or mixed) types, buyer by buyer.

        For each buyer i and each level u in ``levels`` the others' types are set to
        their u-quantiles; then the DSIC identity E_{v_i}[p_i] = E_{v_i}[phi^ir_i z_i]
        (which holds for every fixed v_-i) is checked by quadrature over v_i (exact sums
        for a discrete buyer), ex-post IR v_i z_i - p_i >= 0 and monotonicity of z_i on
        ``grid`` quantiles of v_i.  Returns ``identity_gap`` (max absolute difference),
        ``identity_rel_gap``, ``ir_ok``, ``monotone_ok`` and ``profiles_checked``.
        """
        out = {"identity_gap": 0.0, "identity_rel_gap": 0.0, "ir_ok": True, "monotone_ok": True}
        checked = 0
        for i in range(len(self.dists)):
            for lev in levels:
                v = [float(np.asarray(dj.quantile(lev))) for dj in self.dists]
                gap, rel, ir_ok, mono_ok = self._check_buyer(i, self.r(v), grid)
                out["identity_gap"] = max(out["identity_gap"], gap)
                out["identity_rel_gap"] = max(out["identity_rel_gap"], rel)
                out["ir_ok"] = out["ir_ok"] and ir_ok
                out["monotone_ok"] = out["monotone_ok"] and mono_ok
                checked += 1
        out["profiles_checked"] = checked
        return out

    def _check_buyer(self, i: int, rs: list[Any], grid: int) -> tuple[float, float, bool, bool]:
        d = self.dists[i]

        def z_of(t: Any) -> float:
            rr = list(rs)
            rr[i] = d.r(t)
            return float(self._zi(i, rr))

        def pay(t: Any) -> float:
            return float(self._payment(i, t, rs))

        def q(u: float) -> float:
            return float(np.asarray(d.quantile(u)))

        ir_grid = None  # IR on the mixture branch's own payment grid
        if d.discrete:
            pts = list(d.values)
            probs = [float(p) for p in d.probs]
            ep = sum(p * pay(t) for t, p in zip(pts, probs, strict=True))
            ev = sum(
                p * float(d.ironed_virtual_value(t)) * z_of(t)
                for t, p in zip(pts, probs, strict=True)
            )
        elif isinstance(d, Mixture):
            # quad over quad stalls on a mixture's kinks and gaps: midpoint rule in u on
            # SAMPLED_GRID quantiles above the reserve, payments by the trapezoid rule on
            # the same v points (error O(1/N) at kinks, reported in the gap)
            v0 = float(d.reserve_price())
            u0 = float(d.cdf(v0)) if math.isfinite(v0) else 1.0
            if u0 >= 1.0:
                ep = ev = 0.0
            else:
                us = u0 + (1 - u0) * (np.arange(SAMPLED_GRID) + 0.5) / SAMPLED_GRID
                ts = np.concatenate(([v0], np.asarray(d.quantile(us), dtype=float)))
                zt = np.array([z_of(t) for t in ts])
                area = np.concatenate(([0.0], np.cumsum(np.diff(ts) * (zt[1:] + zt[:-1]) / 2)))
                pays = ts[1:] * zt[1:] - area[1:]
                phis = np.asarray(d.ironed_virtual_value(ts[1:]), dtype=float)
                ep = float(pays.mean()) * (1 - u0)
                ev = float((phis * zt[1:]).mean()) * (1 - u0)
                surplus = ts[1:] * zt[1:] - pays
                ir_grid = bool(np.all(surplus >= -1e-9 * (1 + np.abs(ts[1:] * zt[1:]))))
            pts = list(np.asarray(d.quantile((np.arange(grid) + 0.5) / grid), dtype=float))
        else:
            v0 = d.reserve_price()
            u0 = float(d.cdf(v0)) if math.isfinite(v0) else 1.0
            ep = integrate.quad(lambda u: pay(q(u)), u0, 1, limit=100, epsabs=1e-11)[0]
            ev = integrate.quad(
                lambda u: float(d.ironed_virtual_value(q(u))) * z_of(q(u)),
                u0,
                1,
                limit=100,
                epsabs=1e-11,
            )[0]
            pts = [q(u) for u in (np.arange(grid) + 0.5) / grid]
        zs = [z_of(t) for t in pts]
        mono_ok = all(b >= a - 1e-9 * (1 + abs(a)) for a, b in zip(zs, zs[1:], strict=False))
        step = max(1, len(pts) // 9)
        ir_ok = (
            ir_grid
            if ir_grid is not None
            else all(
                float(t) * zt - pay(t) >= -1e-9 * (1 + abs(float(t) * zt))
                for t, zt in zip(pts[::step], zs[::step], strict=True)
            )
        )
        gap = abs(ep - ev)
        return gap, gap / max(abs(ev), 1e-300), ir_ok, mono_ok


# ------------------------------------------------------------------ (P-VV)
@dataclass(frozen=True)
class PVVResult(ResultMixin):
    """The (P-VV) program's optimum and solution (spec §2.5)."""

    status: str
    objective: float
    z: np.ndarray  # z[i, profile]
    interim: list[np.ndarray]  # Y[i][j] = E[z_i | v_i = v_{i,j}]
    production: np.ndarray
    profiles: int
    solver: str
    seconds: float
    _skip_fields: ClassVar[tuple[str, ...]] = ("z",)


def pvv_program(
    dists: Sequence[TypeDistribution], alpha: Any, cost: Any, solver: str = "CLARABEL"
) -> PVVResult:
    """Solve (P-VV) on discrete types with cvxpy (z = x^alpha change of variables).

    maximize sum_theta prob(theta)(sum_i phi_{i,theta_i} z[i,theta] - c D[theta])
    s.t. z^{1/alpha} <= D, z >= 0, and E[z_i | v_i] nondecreasing in v_i,
    with the *unironed* discrete virtual values phi: the monotonicity constraint does the
    ironing.  Its optimum equals Theorem 2.2's OFFL.
    """
    import cvxpy as cp

    _check_alpha_cost(alpha, cost)
    if not all(d.discrete for d in dists):
        raise ModelError("buyers", "(P-VV) needs discrete types")
    n = len(dists)
    sizes = [len(d.values) for d in dists]
    profiles = list(itertools.product(*(range(m) for m in sizes)))
    P = len(profiles)
    prob = np.array(
        [math.prod(float(d.probs[j]) for d, j in zip(dists, t, strict=True)) for t in profiles]
    )
    phi = [np.asarray(d.virtual_value(d.values), dtype=float) for d in dists]
    a = float(alpha)
    z = cp.Variable((n, P), nonneg=True)
    D = cp.Variable(P, nonneg=True)
    idx = np.array(profiles).T  # (n, P)
    obj = sum(cp.sum(cp.multiply(prob * phi[i][idx[i]], z[i])) for i in range(n))
    obj = obj - float(cost) * cp.sum(cp.multiply(prob, D))
    cons = [cp.power(z[i], 1 / a) <= D for i in range(n)]
    interim = []
    for i in range(n):
        # Y[i, j] = sum_{theta: theta_i = j} prob_-i(theta) z[i, theta]  (affine)
        pmi = prob / np.asarray(dists[i].probs, dtype=float)[idx[i]]
        A = sparse.csr_matrix((pmi, (idx[i], np.arange(P))), shape=(sizes[i], P))
        Y = A @ z[i]
        interim.append(Y)
        if sizes[i] > 1:
            cons.append(Y[1:] >= Y[:-1])
    prob_ = cp.Problem(cp.Maximize(obj), cons)
    t0 = time.perf_counter()
    solve_convex(prob_, solver)
    if prob_.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        raise SolverError(prob_.status, "(P-VV) did not reach an optimum")
    return PVVResult(
        status=prob_.status,
        objective=float(prob_.value),
        z=np.asarray(z.value),
        interim=[np.asarray(Y.value) for Y in interim],
        production=np.asarray(D.value),
        profiles=P,
        solver=solver,
        seconds=time.perf_counter() - t0,
    )
