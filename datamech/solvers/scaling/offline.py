"""The optimal offline mechanism for selling data with scaling-law values (Theorem 2.2).

Buyer i has type v_i ~ F_i and value v_i x^alpha; the seller produces D at cost c D.
With r_i = (phi_i^ir(v_i))_+ (spec §2.1) the optimum produces

    D*(v) = ((alpha/c) sum_i r_i)^{1/(1-alpha)},     x_i* = 1[r_i > 0] D*(v),

and charges the DSIC payments of Remark 2.1,
p_i(v) = v_i x_i(v)^alpha - int_0^{v_i} x_i(t, v_-i)^alpha dt (for discrete types
p(v_j) = sum_{l <= j} v_l (z_l - z_{l-1}), z = x^alpha).  Its expected profit is
OFFL = (1-alpha)(alpha/c)^{alpha/(1-alpha)} E[(sum_i r_i)^{1/(1-alpha)}] (Lemma B.1):
exact by convolving the laws of r for discrete types (rational when alpha = 1 - 1/k
for an integer k and the inputs are exact), seeded Monte Carlo with a standard error
otherwise.

:func:`pvv_program` is the virtual-value program (P-VV) of spec §2.5 in cvxpy: it knows
nothing of Theorem 2.2 or of ironing (it uses the unironed discrete virtual values and
interim monotonicity, with z = x^alpha) and its optimum equals OFFL.

Examples
--------
>>> from fractions import Fraction as Fr
>>> from datamech.models.distributions import Discrete
>>> b = Discrete([1, 2, 3], [Fr(3, 5), Fr(1, 10), Fr(3, 10)])     # spec §6.2 example I3
>>> m = OfflineMechanism([b, b], alpha=Fr(1, 2), cost=1)
>>> m.expected_profit().value
Fraction(13, 7)
"""

from __future__ import annotations

import itertools
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

MC_SAMPLES = 200_000


def _check_alpha_cost(alpha: Any, cost: Any) -> None:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, Fraction)):
        raise ModelError("alpha", f"must be a number in (0, 1), got {alpha!r}")
    if not 0 < alpha < 1:
        raise ModelError("alpha", f"must lie in (0, 1), got {alpha}")
    if isinstance(cost, bool) or not isinstance(cost, (int, float, Fraction)):
        raise ModelError("cost", f"must be a positive number, got {cost!r}")
    if not (cost > 0 and math.isfinite(float(cost))):
        raise ModelError("cost", f"must be positive and finite, got {cost}")


def _integer_k(alpha: Any) -> int | None:
    """k = 1/(1-alpha) when alpha is an exact rational with integer k."""
    if not isinstance(alpha, Fraction):
        return None
    k = 1 / (1 - alpha)
    return int(k) if k.denominator == 1 else None


@dataclass(frozen=True)
class ProfitEstimate(ResultMixin):
    """Expected profit OFFL: ``value``, ``stderr`` (0 when exact), ``method``."""

    value: Any
    stderr: float
    method: str
    samples: int = 0


class OfflineMechanism:
    """Theorem 2.2's mechanism for independent buyers with laws ``dists``.

    Parameters
    ----------
    dists : sequence of TypeDistribution
        One type law per buyer.
    alpha : float or Fraction
        Scaling exponent in (0, 1).
    cost : float or Fraction
        Unit production cost c > 0.
    """

    def __init__(self, dists: Sequence[TypeDistribution], alpha: Any, cost: Any):
        _check_alpha_cost(alpha, cost)
        if len(dists) == 0:
            raise ModelError("buyers", "needs at least one buyer")
        self.dists = list(dists)
        self.alpha, self.cost = alpha, cost
        kint = _integer_k(alpha)
        self.exact = (
            kint is not None
            and isinstance(cost, (int, Fraction))
            and all(getattr(d, "exact", False) for d in self.dists)
        )
        self.k = kint if self.exact else 1 / (1 - float(alpha))
        if self.exact:
            self.ratio: Any = Fraction(alpha) / Fraction(cost)
            self.K: Any = (1 - Fraction(alpha)) * self.ratio ** (kint - 1)
        else:
            self.ratio = float(alpha) / float(cost)
            self.K = (1 - float(alpha)) * self.ratio ** (self.k - 1)

    # --------------------------------------------------------- allocation
    def r(self, v: Sequence[Any]) -> list[Any]:
        """r_i = (phi_i^ir(v_i))_+ for a profile v."""
        if len(v) != len(self.dists):
            raise ModelError("v", f"needs {len(self.dists)} types, got {len(v)}")
        return [d.r(vi) for d, vi in zip(self.dists, v, strict=True)]

    def production(self, s: Any) -> Any:
        """D* = ((alpha/c) s)^{1/(1-alpha)} for s = sum_i r_i (0 when s = 0)."""
        return (self.ratio * s) ** self.k if s > 0 else 0 * s

    def allocate(self, v: Sequence[Any]) -> tuple[Any, list[Any]]:
        """(D*, x*) of Theorem 2.2 at profile v."""
        rs = self.r(v)
        D = self.production(sum(rs))
        return D, [D if ri > 0 else 0 * D for ri in rs]

    def _z(self, ri: Any, s_other: Any) -> Any:
        # x_i^alpha = 1[r_i > 0] ((alpha/c)(r_i + S_-i))^{alpha/(1-alpha)}
        if ri <= 0:
            return 0 * ri
        return (self.ratio * (ri + s_other)) ** (self.k - 1)

    def payments(self, v: Sequence[Any]) -> list[Any]:
        """DSIC payments p_i(v) = v_i x_i^alpha - int_0^{v_i} x_i(t, v_-i)^alpha dt."""
        rs = self.r(v)
        total = sum(rs)
        out = []
        for d, vi, ri in zip(self.dists, v, rs, strict=True):
            s_other = total - ri
            if d.discrete:
                vals = d.values
                j = int(np.searchsorted(vals, vi))
                zs = [self._z(d.r(vals[l]), s_other) for l in range(j + 1)]
                prev = [0 * zs[0], *zs[:-1]]
                out.append(sum(vals[l] * (zs[l] - prev[l]) for l in range(j + 1)))
                continue
            zi = self._z(ri, s_other)
            if ri <= 0:
                out.append(0.0)
                continue
            v0 = float(d.reserve_price())
            area, _ = integrate.quad(
                lambda t, s=s_other, d=d: float(self._z(d.r(t), s)), v0, float(vi), limit=200
            )
            out.append(float(vi) * float(zi) - area)
        return out

    # --------------------------------------------------------- expected profit
    def r_laws(self) -> list[RLaw]:
        return [d.r_law() for d in self.dists]

    def expected_profit(
        self, method: str = "auto", samples: int = MC_SAMPLES, seed: int = 0
    ) -> ProfitEstimate:
        """OFFL = K_c E[(sum r_i)^k] (Lemma B.1): ``exact`` (discrete laws of r, by
        convolution), ``mc`` (seeded Monte Carlo with standard error), or ``auto``."""
        for d in self.dists:
            d.require_moment(float(self.k), "the expected profit")
        laws = self.r_laws()
        if method not in ("auto", "exact", "mc"):
            raise ModelError("method", f"must be auto, exact or mc, got {method!r}")
        if method == "exact" or (method == "auto" and all(law.is_discrete for law in laws)):
            if not all(law.is_discrete for law in laws):
                raise ModelError("method", "exact needs discrete laws of r (discrete types)")
            dist = self.sum_law()
            es = sum(p * s**self.k for s, p in dist.items())
            return ProfitEstimate(self.K * es, 0.0, "exact")
        rng = np.random.default_rng(seed)
        s = np.zeros(samples)
        for law in laws:
            s += law.sample(samples, rng)
        vals = float(self.K) * s ** float(self.k)
        return ProfitEstimate(
            float(vals.mean()), float(vals.std(ddof=1) / math.sqrt(samples)), "mc", samples
        )

    def sum_law(self) -> dict[Any, Any]:
        """The law of S = sum_i r_i by dictionary convolution (discrete laws of r)."""
        acc: dict[Any, Any] = {0: 1} if self.exact else {0.0: 1.0}
        for law in self.r_laws():
            nxt: dict[Any, Any] = {}
            for s, ps in acc.items():
                for rv, pr in zip(law.values, law.probs, strict=True):
                    key = s + rv
                    nxt[key] = nxt.get(key, 0) + ps * pr
            acc = nxt
        return acc

    # --------------------------------------------------------- checks
    def check(self, max_profiles: int = 20_000) -> dict[str, Any]:
        """Payment identity, IR and monotonicity on every profile (discrete types).

        Returns ``revenue``, ``cost``, ``profit`` (E[sum p] - c E[D], which must equal
        OFFL), per-buyer ``identity_gap`` max |E[p_i] - E[phi^ir_i z_i]|, ``ir_ok`` and
        ``monotone_ok``.
        """
        if not all(d.discrete for d in self.dists):
            raise ModelError("buyers", "the exhaustive check needs discrete types")
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
            D, x = self.allocate(v)
            rs = self.r(v)
            s = sum(rs)
            z = [self._z(ri, s - ri) for ri in rs]
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
        A = np.zeros((sizes[i], P))
        A[idx[i], np.arange(P)] = pmi
        Y = A @ z[i]
        interim.append(Y)
        if sizes[i] > 1:
            cons.append(Y[1:] >= Y[:-1])
    prob_ = cp.Problem(cp.Maximize(obj), cons)
    t0 = time.perf_counter()
    try:
        prob_.solve(solver=solver)
    except cp.SolverError as exc:
        raise SolverError("error", str(exc)) from None
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
