"""Bilateral data trade (Deng et al., Section 4): first best, second best, B(lambda), GFT(lambda).

One buyer with value v ~ F^B, one seller with unit cost c ~ F^S, independent.  Two goods:

* ``good="scaling"`` (the paper's model): value v x^alpha, cost c x, x >= 0, alpha in (0, 1);
* ``good="indivisible"`` (alpha = 1, x in [0, 1]): value v x, cost c x.

Every mechanism here is a *weight rule*: a buyer weight N(v) = a_B v + b_B phi^B(v) and a
seller weight D(c) = a_S c + b_S phi^S(c), each ironed as a whole where it is not monotone
(a correction of the ironing in Appendix C.2), with allocation
x = (alpha N_+ / D)^{1/(1-alpha)} (scaling) or x = 1[N >= D, N > 0] (indivisible).
First best is (1, 0, 1, 0); the Lagrangian of eq. (9) is (1, lam, 1, lam); SellerP
(0, 1, 1, 0); BuyerP (1, 0, 0, 1); the broker (the lam -> infinity limit) (0, 1, 0, 1).
Gains from trade and the budget surplus B = E[phi^B x^alpha - phi^S x] (C.2) follow
from 1-D integrals:

* scaling: x factorises, so (derived here, not in the paper)
  ``GFT = alpha^{k-1} E[v N^{k-1}] E[D^{-(k-1)}] - alpha^k E[N^k] E[c D^{-k}]`` and
  ``B = alpha^{k-1} E[phi^B N^{k-1}] E[D^{-(k-1)}] - alpha^k E[N^k] E[phi^S D^{-k}]``;
* indivisible: the trade region is {c <= tau(v)}, and for continuous laws
  E[phi^S; c <= t] = t F^S(t), E[phi^B; v >= s] = s (1 - F^B(s)).

Continuous laws with monotone weights use double-exponential (tanh-sinh) quadrature on
their density (robust to the integrable singularity of c^{-(k-1)} at c = 0) and, for the
indivisible good, Gauss-Legendre in the buyer's quantile split at the kinks; discrete laws
are summed exactly; irregular continuous laws (mixtures, power laws with shape < 1,
truncated equal revenue) are replaced by their price ladder (buyer values rounded down,
seller costs rounded up; error O(1/GRID)).
"""

from __future__ import annotations

import inspect
import math
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np
from numpy.polynomial.legendre import leggauss
from scipy import optimize

from ...errors import ModelError, SolverError
from ...models.bilateral import check_laws, is_smooth, resolve_good
from ...models.distributions import Discrete, TypeDistribution, pava
from ...results import Result
from ...status import Status
from .settings import canonical_method

QUAD = {"epsabs": 1e-14, "epsrel": 1e-12, "limit": 400}
_GL_X, _GL_W = leggauss(40)
_DE_H = 1 / 64
_DE_T = np.arange(-int(6.0 / _DE_H), int(6.0 / _DE_H) + 1) * _DE_H  # x - a down to ~1e-280


def _de_rule(pts: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of tanh-sinh quadrature on each [pts[i], pts[i+1]] (exp-sinh on
    a last infinite piece); error ~1e-14 for analytic integrands with endpoint
    singularities (Takahasi-Mori)."""
    xs, ws = [], []
    sh, ch = np.sinh(_DE_T), np.cosh(_DE_T)
    for a, b in zip(pts[:-1], pts[1:], strict=True):
        if math.isfinite(b):
            y = np.pi / 2 * sh
            with np.errstate(over="ignore"):
                left = (b - a) / (1 + np.exp(-2 * y))  # x - a, accurate near a
                right = (b - a) / (1 + np.exp(2 * y))  # b - x, accurate near b
                w = (b - a) * (np.pi / 2) * ch / (2 * np.cosh(y) ** 2)
            x = np.where(y < 0, a + left, b - right)
            keep = (left > 0) & (right > 0)
        else:
            with np.errstate(over="ignore"):
                e = np.exp(np.pi / 2 * sh)
                x = a + e
                w = np.pi / 2 * ch * e
            keep = np.isfinite(x) & (x > a) & np.isfinite(w)
        xs.append(x[keep])
        ws.append(w[keep] * _DE_H)
    return np.concatenate(xs), np.concatenate(ws)


# ------------------------------------------------------------------ one side
class Side:
    """One trader's law with its virtual value (buyer) or virtual cost (seller).

    Continuous families with monotone virtual values are kept continuous; everything
    else becomes a discrete law (exact for discrete laws).
    """

    def __init__(self, dist: TypeDistribution, role: str):
        self.dist, self.role = dist, role
        self.continuous = is_smooth(dist, role)
        lo, hi = dist.support
        self.lo, self.hi = float(lo), float(hi)
        if not self.continuous:
            if isinstance(dist, Discrete):
                d = dist
            elif role == "buyer":
                d = dist.discretize()  # values rounded down to the ladder prices
            else:
                d = _discretize_up(dist)
            self.values = np.asarray(d.values, dtype=float)
            self.probs = np.asarray(d.probs, dtype=float)
            raw = d.virtual_value(d.values) if role == "buyer" else d.virtual_cost(d.values)
            self.phis = np.asarray(raw, dtype=float)

    # -- virtual value / cost anywhere (step-extended between atoms)
    def phi(self, x: Any) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self.continuous:
            f = self.dist.virtual_value if self.role == "buyer" else self.dist.virtual_cost
            return np.asarray(f(x), dtype=float)
        return self.phis[self._atom(x)]

    def _atom(self, x: np.ndarray) -> np.ndarray:
        # buyer: largest atom <= x (right-continuous steps); seller: smallest atom >= x
        if self.role == "buyer":
            idx = np.searchsorted(self.values, x, side="right") - 1
        else:
            idx = np.searchsorted(self.values, x, side="left")
        return np.clip(idx, 0, len(self.values) - 1)

    def weight_atoms(self, a: float, b: float) -> np.ndarray:
        """Ironed weight a x + b phi at the atoms (weighted isotonic regression, G14)."""
        fit, _ = pava(a * self.values + b * self.phis, self.probs)
        return np.asarray(fit, dtype=float)

    def weight(self, a: float, b: float):
        """The (ironed) weight as a vectorized function of the type."""
        if self.continuous:

            def n(x):
                # a term with coefficient 0 is left out: 0 * inf (x or phi at the top of an
                # unbounded support, where bisection in quantile space may land) is nan
                x = np.asarray(x, dtype=float)
                out = a * x if a else np.zeros_like(x)
                return out + b * self.phi(x) if b else out

            return n
        w = self.weight_atoms(a, b)
        return lambda x: w[self._atom(np.asarray(x, dtype=float))]

    # -- expectations
    def expect(self, h, breaks: tuple[float, ...] = ()) -> float:
        """E[h(X)] for a vectorized h: an exact sum for discrete laws, double-exponential
        (tanh-sinh / exp-sinh) quadrature on the density between ``breaks`` otherwise,
        which is insensitive to the integrable endpoint singularities of c^{-(k-1)}."""
        if not self.continuous:
            return float(np.sum(self.probs * h(self.values)))
        pts = sorted({self.lo, self.hi, *(b for b in breaks if self.lo < b < self.hi)})
        x, w = _de_rule(pts)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            vals = np.asarray(h(x), dtype=float) * np.asarray(self.dist.pdf(x), dtype=float)
        vals = np.where(w > 0, vals, 0.0)
        return float(np.sum(w * np.nan_to_num(vals, nan=0.0, posinf=0.0)))

    def quantile(self, u: np.ndarray) -> np.ndarray:
        return np.asarray(self.dist.quantile(u), dtype=float)

    def crossing(self, fun, level: float) -> float:
        """Smallest type where the nondecreasing ``fun`` reaches ``level`` (lo/hi if never)."""
        if fun(self.lo) >= level:
            return self.lo
        top = self.hi if math.isfinite(self.hi) else float(self.quantile(1 - 1e-15))
        if fun(top) < level:
            return self.hi
        return float(optimize.brentq(lambda t: fun(t) - level, self.lo, top, xtol=1e-15))

    def threshold_u(self, fun, t: np.ndarray, strict: bool) -> np.ndarray:
        """Quantile u* = P(X < x*) of the first type with fun >= t (strict: > t), vectorized
        bisection in quantile space (fun nondecreasing)."""
        t = np.asarray(t, dtype=float)
        a, b = np.zeros(t.shape), np.ones(t.shape)
        for _ in range(56):
            m = (a + b) / 2
            val = fun(self.quantile(m))
            hit = val > t if strict else val >= t
            a, b = np.where(hit, a, m), np.where(hit, m, b)
        return b


def _discretize_up(dist: TypeDistribution) -> Discrete:
    """A seller law on its ladder prices with costs rounded *up*: the mass of (p_j, p_{j+1}]
    sits at p_{j+1} (atoms at prices stay put), so that, like the buyer's rounding down,
    the discretized first best never exceeds the true one."""
    p = np.asarray(dist.discretize().values, dtype=float)
    hi = float(dist.support[1])
    top = hi if math.isfinite(hi) else float(dist.quantile(1 - 1e-9))
    p = np.unique(np.append(p, top))
    cdf = np.asarray(dist.cdf(p), dtype=float)
    cdf[-1] = 1.0
    mass = np.diff(np.concatenate([[0.0], cdf]))
    keep = mass > 0
    return Discrete(p[keep].tolist(), (mass[keep] / mass[keep].sum()).tolist(), where=dist.where)


# ------------------------------------------------------------------ weight rules
@dataclass(frozen=True)
class Rule:
    """Weights N = aB v + bB phi^B (buyer) and D = aS c + bS phi^S (seller), ironed."""

    aB: float
    bB: float
    aS: float
    bS: float
    tie: float = 1.0  # indivisible good: trade probability where N = D (within tie_tol)
    tie_tol: float = 0.0

    @staticmethod
    def lagrangian(lam: float, tie: float = 1.0, tie_tol: float = 0.0) -> Rule:
        return Rule(1.0, float(lam), 1.0, float(lam), float(tie), float(tie_tol))


FIRST_BEST = Rule(1.0, 0.0, 1.0, 0.0)
SELLER_P = Rule(0.0, 1.0, 1.0, 0.0)
BUYER_P = Rule(1.0, 0.0, 0.0, 1.0)
BROKER = Rule(0.0, 1.0, 0.0, 1.0)


@dataclass
class Instance:
    """A validated bilateral instance: both sides, alpha, good (internal)."""

    buyer: Side
    seller: Side
    alpha: Any
    good: str

    @property
    def k(self) -> float:
        return 1 / (1 - float(self.alpha)) if self.good == "scaling" else math.inf


def instance(buyer, seller, alpha=None, good=None) -> Instance:
    a, g = resolve_good(alpha, good)
    check_laws(buyer, seller, a, g)
    return Instance(Side(buyer, "buyer"), Side(seller, "seller"), a, g)


def evaluate(inst: Instance, rule: Rule) -> tuple[float, float, float]:
    """(GFT, budget surplus B, U) of a weight rule, where U = E[W(N, D)] (scaling) or
    E[(N - D)_+] (indivisible) is the virtual-welfare bound of C.4/C.5 (SellerU with
    N = phi^B, BuyerU with D = phi^S)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if inst.good == "scaling":
            out = _evaluate_scaling(inst, rule)
        else:
            out = _evaluate_indivisible(inst, rule)
    if not all(math.isfinite(x) for x in out):
        # a float overflow in the integrals (types spanning too many orders of magnitude
        # for E[v N^{k-1}] E[D^{-(k-1)}]): never a silently wrong number
        raise SolverError(
            Status.SOLVER_ERROR,
            "the bilateral integrals (GFT, B) are not finite in floating point for these "
            f"laws at k = {inst.k:.6g}; rescale the types (the model is homogeneous of "
            "degree one in (v, c)) or narrow their range",
        )
    return out


def _evaluate_scaling(inst: Instance, rule: Rule) -> tuple[float, float, float]:
    al, k = float(inst.alpha), inst.k
    B, S = inst.buyer, inst.seller
    N = B.weight(rule.aB, rule.bB)
    D = S.weight(rule.aS, rule.bS)
    zero = B.crossing(N, 0.0) if B.continuous else None
    brk = (zero,) if zero is not None else ()

    def npos(x):
        return np.maximum(N(x), 0.0)

    ev = B.expect(lambda x: x * npos(x) ** (k - 1), brk)
    ephi = B.expect(lambda x: B.phi(x) * npos(x) ** (k - 1), brk)
    ek = B.expect(lambda x: npos(x) ** k, brk)
    with np.errstate(divide="ignore"):
        d0 = S.expect(lambda c: D(c) ** -(k - 1))
        d1 = S.expect(lambda c: c * D(c) ** -k)
        dphi = S.expect(lambda c: S.phi(c) * D(c) ** -k)
    gft = al ** (k - 1) * ev * d0 - al**k * ek * d1
    bud = al ** (k - 1) * ephi * d0 - al**k * ek * dphi
    u = (1 - al) * al ** (k - 1) * ek * d0
    return float(gft), float(bud), float(u)


def seller_head(S: Side, D, t: np.ndarray, rule: Rule):
    """(P, E[c;.], E[phi^S;.], E[D;.]) over {c : D(c) <= t} for levels t."""
    t = np.asarray(t, dtype=float)
    if not S.continuous:
        w = D(S.values)  # nondecreasing in c (ironed)
        cum = [np.concatenate([[0.0], np.cumsum(S.probs * g)]) for g in (1.0, S.values, S.phis, w)]
        if rule.tie == 1.0 and rule.tie_tol == 0.0:
            idx = np.searchsorted(w, t, side="right")
            return tuple(cm[idx] for cm in cum)
        strict = np.searchsorted(w, t - rule.tie_tol, side="left")  # w < t - tol
        weak = np.searchsorted(w, t + rule.tie_tol, side="right")  # w <= t + tol
        return tuple(cm[strict] + rule.tie * (cm[weak] - cm[strict]) for cm in cum)
    # p = P(D(c) <= t): the first quantile where D > t, in (0, 1] (bisection from 1)
    p = S.threshold_u(D, t, strict=True)
    top = min(S.hi, float(S.quantile(np.nextafter(1.0, 0.0))))  # finite even if hi = inf
    tau = np.full(p.shape, top)
    inner = p < 1.0
    tau[inner] = S.quantile(p[inner])
    pm = np.asarray(S.dist.partial_mean(S.lo, tau), dtype=float)
    ephi = tau * p  # int_lo^tau (c + F/f) f dc = tau F(tau)
    return p, pm, ephi, rule.aS * pm + rule.bS * ephi


def buyer_tail(B: Side, N, t: np.ndarray, rule: Rule):
    """(P, E[v;.], E[phi^B;.], E[N;.]) over {v : N(v) >= t, N(v) > 0} for levels t."""
    t = np.asarray(t, dtype=float)
    if not B.continuous:
        w = N(B.values)  # nondecreasing in v (ironed)
        cum = [
            np.concatenate([np.cumsum((B.probs * g)[::-1])[::-1], [0.0]])
            for g in (1.0, B.values, B.phis, w)
        ]
        idx = np.maximum(np.searchsorted(w, t, side="left"), np.searchsorted(w, 0.0, side="right"))
        return tuple(cm[idx] for cm in cum)
    # u = P(v < sig), sig the first type with N >= t and N > 0: in (0, 1] (bisection)
    u = B.threshold_u(N, t, strict=False)
    u = np.maximum(u, B.threshold_u(N, np.zeros_like(t), strict=True))
    p = 1.0 - u
    sig = B.quantile(u)  # hi where nobody trades (p = 0): those entries are zeroed below
    top = np.full_like(sig, B.hi)
    with np.errstate(invalid="ignore"):  # inf - inf, inf * 0 where p = 0 and hi = inf
        pm = np.where(p > 0, np.asarray(B.dist.partial_mean(sig, top), dtype=float), 0.0)
        ephi = np.where(p > 0, sig * p, 0.0)  # int_sig^hi (v - (1-F)/f) f dv = sig (1 - F(sig))
    return p, pm, ephi, rule.aB * pm + rule.bB * ephi


def _evaluate_indivisible(inst: Instance, rule: Rule) -> tuple[float, float, float]:
    B, S = inst.buyer, inst.seller
    N = B.weight(rule.aB, rule.bB)
    D = S.weight(rule.aS, rule.bS)
    if not B.continuous or not S.continuous:
        if not B.continuous:
            w = N(B.values)
            h0, h1, hphi, hd = seller_head(S, D, w, rule)
            q = B.probs * (w > 0)
            ev, ephi, en = q @ (B.values * h0), q @ (B.phis * h0), q @ (w * h0)
            ec, ephis, ed = q @ h1, q @ hphi, q @ hd
        else:
            dw = D(S.values)
            t0, t1, tphi, tn = buyer_tail(B, N, dw, rule)
            ev, ephi, en = S.probs @ t1, S.probs @ tphi, S.probs @ tn
            ec, ephis, ed = S.probs @ (S.values * t0), S.probs @ (S.phis * t0), S.probs @ (dw * t0)
        return float(ev - ec), float(ephi - ephis), float(en - ed)
    # both continuous: outer Gauss-Legendre in the buyer's quantile u, split where the
    # integrand has kinks (N = 0, N = D(lo), N = D(hi)) and graded towards u = 1
    kinks = [0.0, 1.0]
    levels = [0.0, float(D(S.lo))]
    if math.isfinite(S.hi):
        levels.append(float(D(S.hi)))
    kinks += B.threshold_u(N, np.array(levels), strict=False).tolist()
    kinks += B.threshold_u(N, np.zeros(1), strict=True).tolist()
    if not math.isfinite(B.hi):
        kinks += [1 - 10.0**-j for j in range(1, 15)]
    pts = np.unique(kinks)  # quantiles in [0, 1]
    edges = []
    for a, b in zip(pts[:-1], pts[1:], strict=True):
        if b - a > 1e-15:
            edges.extend(np.linspace(a, b, 5)[:-1].tolist())
    edges.append(1.0)
    edges = np.array(edges)
    lo, hi = edges[:-1], edges[1:]
    u = ((hi - lo)[:, None] * (_GL_X[None, :] + 1) / 2 + lo[:, None]).ravel()
    u = np.minimum(u, np.nextafter(1.0, 0.0))  # keep v = F^{-1}(u) finite
    wts = ((hi - lo)[:, None] * _GL_W[None, :] / 2).ravel()
    v = B.quantile(u)
    n = N(v)
    h0, h1, hphi, hd = seller_head(S, D, n, rule)
    q = wts * (n > 0)
    gft = q @ (v * h0 - h1)
    bud = q @ (B.phi(v) * h0 - hphi)
    return float(gft), float(bud), float(q @ (n * h0 - hd))


# ------------------------------------------------------------------ public functions
def W(v: Any, c: Any, alpha: Any) -> Any:
    """Lemma C.1: max_x v x^alpha - c x = (1-alpha) alpha^{alpha/(1-alpha)} v_+^k c^{-(k-1)}.

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    * R. B. Myerson and M. A. Satterthwaite, "Efficient Mechanisms for Bilateral
      Trading", Journal of Economic Theory 29(2), 265-281, 1983.

    Examples
    --------
    >>> W(1.0, 1.0, 0.5)
    0.25
    """
    a = float(alpha)
    k = 1 / (1 - a)
    v = np.maximum(np.asarray(v, dtype=float), 0.0)
    out = (1 - a) * a ** (k - 1) * v**k * np.asarray(c, dtype=float) ** (-(k - 1))
    return out.item() if out.ndim == 0 else out


def budget_surplus(buyer, seller, lam: float, alpha=None, good=None) -> float:
    """B(lam) = E[phi^B x_lam^alpha - phi^S x_lam] for the Lagrangian allocation of eq. (9).

    Nondecreasing in lam; lambda* is its root (or 0 when B(0) >= 0: the first best is then
    budget-feasible, a case Appendix C.2 leaves out).

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    * R. B. Myerson and M. A. Satterthwaite, "Efficient Mechanisms for Bilateral
      Trading", Journal of Economic Theory 29(2), 265-281, 1983.

    Examples
    --------
    >>> from datamech.models.distributions import Uniform
    >>> abs(budget_surplus(Uniform(0, 1), Uniform(0, 1), 0.5, good="indivisible")) < 1e-12
    True
    """
    if lam < 0:
        raise ModelError("lambda", f"must be nonnegative, got {lam!r}")
    return evaluate(instance(buyer, seller, alpha, good), Rule.lagrangian(lam))[1]


def gains_from_trade(buyer, seller, lam: float, alpha=None, good=None) -> float:
    """GFT(lam) = E[v x_lam^alpha - c x_lam]; GFT(0) is the first best (Lemma C.1).

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    * R. B. Myerson and M. A. Satterthwaite, "Efficient Mechanisms for Bilateral
      Trading", Journal of Economic Theory 29(2), 265-281, 1983.

    Examples
    --------
    >>> from datamech.models.distributions import Uniform
    >>> round(gains_from_trade(Uniform(0, 1), Uniform(0, 1), 0.5, good="indivisible"), 12)
    0.140625
    """
    if lam < 0:
        raise ModelError("lambda", f"must be nonnegative, got {lam!r}")
    return evaluate(instance(buyer, seller, alpha, good), Rule.lagrangian(lam))[0]


def _exact_first_best(buyer, seller, alpha) -> Fraction | None:
    """FB as a Fraction when alpha is rational, k integer and both laws exact-discrete."""
    if not isinstance(alpha, Fraction):
        return None
    k = 1 / (1 - alpha)
    if k.denominator != 1:
        return None
    mb, ms = buyer.moment(int(k)), seller.moment(-int(k) + 1)
    if not (isinstance(mb, Fraction) and isinstance(ms, Fraction)):
        return None
    return (1 - alpha) * alpha ** int(k - 1) * mb * ms


def law_summary(d: TypeDistribution, atoms: int = 64) -> dict[str, Any]:
    """The law's model-file table for results, shortened for a discrete law with more
    than ``atoms`` atoms (family, number of atoms, support) so that results stay small.

    >>> from datamech.models.distributions import Discrete
    >>> law_summary(Discrete(list(range(1, 101)), [0.01] * 100))
    {'family': 'discrete', 'atoms': 100, 'support': [1.0, 100.0]}
    """
    params = d.params()
    values = params.get("values")
    if values is not None and len(values) > atoms:
        lo, hi = d.support
        return {"family": params["family"], "atoms": len(values), "support": [lo, hi]}
    return params


@dataclass(frozen=True, repr=False)
class FirstBestResult(Result):
    """First best (Sec. 4.2, Lemma C.1): x* = (alpha v / c)^{1/(1-alpha)} (scaling) or
    1[v >= c] (indivisible), with its gains from trade and budget surplus B(0).

    ``status`` is ``evaluated`` (a closed form or an integral); ``method`` says which:
    ``exact`` (Fractions, ``objective_exact`` set), ``moments`` (E[v^k] E[c^{-(k-1)}]),
    ``sum`` (two discrete laws) or ``quadrature``.

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    * R. B. Myerson and M. A. Satterthwaite, "Efficient Mechanisms for Bilateral
      Trading", Journal of Economic Theory 29(2), 265-281, 1983.
    """

    _objective_field: ClassVar[str] = "gains_from_trade"
    _objective_name: ClassVar[str] = "first_best"

    status: Status
    gains_from_trade: float
    budget_surplus: float
    exact: Fraction | None
    alpha: Any
    good: str
    method: str
    seconds: float
    backend: str = "none"
    solver: str = "none"
    buyer: dict = field(default_factory=dict)
    seller: dict = field(default_factory=dict)

    @property
    def objective_exact(self) -> Fraction | None:
        """The first best as a Fraction when both laws and alpha are exact."""
        return self.exact


def first_best(buyer, seller, alpha=None, good=None) -> FirstBestResult:
    """First-best gains from trade (Section 4.2, Lemma C.1), exact when the moments are.

    Scaling: FB = (1-alpha) alpha^{k-1} E[v^k] E[c^{-(k-1)}], k = 1/(1-alpha); raises
    ``ModelError`` when it is infinite (e.g. c ~ U[0, 1] with alpha >= 1/2).
    Indivisible: FB = E[(v - c)_+].

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    * R. B. Myerson and M. A. Satterthwaite, "Efficient Mechanisms for Bilateral
      Trading", Journal of Economic Theory 29(2), 265-281, 1983.

    Examples
    --------
    >>> from datamech.models.distributions import Uniform
    >>> round(first_best(Uniform(0, 1), Uniform(1, 2), "1/2").gains_from_trade, 10)  # ln(2)/12
    0.057762265
    >>> round(first_best(Uniform(0, 1), Uniform(0, 1), good="indivisible").gains_from_trade, 12)
    0.166666666667
    """
    t0 = time.perf_counter()
    inst = instance(buyer, seller, alpha, good)
    gft, bud, _ = evaluate(inst, FIRST_BEST)
    exact = None
    method = "quadrature"
    if inst.good == "scaling":
        a = float(inst.alpha)
        k = inst.k
        closed = (1 - a) * a ** (k - 1) * float(buyer.moment(k)) * float(seller.moment(-(k - 1)))
        if math.isfinite(closed):  # >= 0; 0 when every buyer value is 0
            gft = closed
            method = "moments"
        exact = _exact_first_best(buyer, seller, inst.alpha)
        if exact is not None:
            gft, method = float(exact), "exact"
    elif not (inst.buyer.continuous or inst.seller.continuous):
        method = "sum"
    return FirstBestResult(
        status=Status.EVALUATED,
        gains_from_trade=float(gft),
        budget_surplus=float(bud),
        exact=exact,
        alpha=inst.alpha,
        good=inst.good,
        method=method,
        seconds=time.perf_counter() - t0,
        buyer=law_summary(buyer),
        seller=law_summary(seller),
    )


#: How the second best relates to the first best (a field, not a status).
REGIMES = ("interior", "first_best_feasible", "no_trade")


@dataclass(frozen=True, repr=False)
class SecondBestResult(Result):
    """Second best (eq. (9), App. C.2): the Lagrangian allocation at lambda*.

    ``status`` is ``optimal``; ``regime`` is ``"interior"`` (the budget binds, lambda* >
    0), ``"first_best_feasible"`` (B(0) >= 0, lambda* = 0) or ``"no_trade"`` (B < 0
    for every lambda: no budget-feasible trade, lambda* = inf).  For the indivisible good
    with two discrete laws B jumps at lambda*; the optimum then trades with probability
    ``tie_weight`` on the pairs with N = D (within ``tie_tol``).

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    * R. B. Myerson and M. A. Satterthwaite, "Efficient Mechanisms for Bilateral
      Trading", Journal of Economic Theory 29(2), 265-281, 1983.
    """

    _objective_field: ClassVar[str] = "gains_from_trade"
    _objective_name: ClassVar[str] = "second_best"
    _summary_fields: ClassVar[tuple[str, ...]] = ("lambda_star", "regime")

    status: Status
    lambda_star: float
    gains_from_trade: float
    budget_surplus: float
    first_best: float
    ratio: float
    budget_at_zero: float
    alpha: Any
    good: str
    method: str
    solver: str
    iterations: int
    seconds: float
    regime: str = "interior"
    backend: str = "none"
    buyer: dict = field(default_factory=dict)
    seller: dict = field(default_factory=dict)
    tie_weight: float = 1.0
    tie_tol: float = 0.0


def second_best(
    buyer,
    seller,
    alpha=None,
    good=None,
    method: str = "lagrangian",
    xtol: float = 1e-14,
    **options,
):
    """Optimal truthful budget-feasible mechanism (eq. (9)) and its multiplier lambda*.

    ``method="lagrangian"``: lambda* = 0 if B(0) >= 0 (a case Appendix C.2 leaves out),
    otherwise Brent's method on the nondecreasing budget surplus B(lambda) (Appendix
    C.2) to ``xtol``, keeping B(lambda*) >= 0.  ``"program"`` and ``"bic"`` (old names ``"cvxpy"``,
    ``"pyomo_bic"``) solve the grid programs of :mod:`datamech.solvers.bilateral.programs`
    with ``options`` and return their :class:`~.dsic.ProgramResult`.

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    * R. B. Myerson and M. A. Satterthwaite, "Efficient Mechanisms for Bilateral
      Trading", Journal of Economic Theory 29(2), 265-281, 1983.

    Examples
    --------
    >>> from datamech.models.distributions import Uniform
    >>> sb = second_best(Uniform(0, 1), Uniform(0, 1), good="indivisible")
    >>> round(sb.lambda_star, 9), round(sb.gains_from_trade, 9)   # Myerson-Satterthwaite
    (0.5, 0.140625)
    """
    method = canonical_method(method)
    if method != "lagrangian":
        from . import programs  # the grid programs need cvxpy: imported on demand

        fn = programs.second_best_program if method == "program" else programs.second_best_bic
        accepted = set(inspect.signature(fn).parameters) - {"buyer", "seller", "alpha", "good"}
        unknown = sorted(set(options) - accepted)
        if unknown:
            raise ModelError(unknown[0], f"is not an option of the {method} method")
        return fn(buyer, seller, alpha=alpha, good=good, **options)
    if options:
        raise ModelError(f"{sorted(options)[0]}", "is not an option of the lagrangian method")
    if not (isinstance(xtol, (int, float)) and 0 < xtol < 1):
        raise ModelError("xtol", f"must be a number in (0, 1), got {xtol!r}")
    t0 = time.perf_counter()
    inst = instance(buyer, seller, alpha, good)
    fb = first_best(buyer, seller, alpha, good).gains_from_trade
    g0, b0, _ = evaluate(inst, FIRST_BEST)
    its = 0
    tie_weight, tie_tol = 1.0, 0.0
    scale = max(abs(g0), 1e-300)
    if b0 >= -1e-13 * scale:
        regime, lam, gft, bud = "first_best_feasible", 0.0, fb, b0
    else:
        _, binf, _ = evaluate(inst, BROKER)
        if binf <= 1e-13 * scale:
            regime, lam, gft, bud = "no_trade", math.inf, 0.0, 0.0
        else:
            lo, hi = 0.0, 1.0
            bhi = evaluate(inst, Rule.lagrangian(hi))
            while bhi[1] < 0:
                lo, hi = hi, hi * 4
                bhi = evaluate(inst, Rule.lagrangian(hi))
                its += 1
                if hi > 1e15:  # pragma: no cover - B(inf) > 0 guarantees a finite root
                    raise SolverError(
                        Status.SOLVER_ERROR, "the budget surplus stays negative for every lambda"
                    )
            calls = [0]

            def surplus(lam: float) -> float:
                calls[0] += 1
                return evaluate(inst, Rule.lagrangian(lam))[1]

            try:
                root = float(
                    optimize.brentq(surplus, lo, hi, xtol=xtol, rtol=4 * np.finfo(float).eps)
                )
            except RuntimeError as exc:  # no convergence within brentq's iteration limit
                raise SolverError(Status.SOLVER_ERROR, f"root search on B(lambda): {exc}") from None
            best = evaluate(inst, Rule.lagrangian(root))
            step = xtol * max(1.0, root)
            while best[1] < 0 and root < hi:  # B jumps at lambda* (discrete indivisible)
                root = min(root + step, hi)
                step *= 2
                best = evaluate(inst, Rule.lagrangian(root))
            its += calls[0]
            regime, lam, (gft, bud, _) = "interior", root, best
            if inst.good == "indivisible" and not (inst.buyer.continuous or inst.seller.continuous):
                # B jumps at lambda*: randomize on the tie set N = D so that B = 0 exactly
                scale_w = 1.0 + float(np.max(np.abs(inst.buyer.values))) * (1 + root)
                tol = 1e-9 * scale_w
                strict = evaluate(inst, Rule.lagrangian(root, 0.0, tol))
                weak = evaluate(inst, Rule.lagrangian(root, 1.0, tol))
                if strict[1] >= 0 > weak[1]:
                    tie = strict[1] / (strict[1] - weak[1])
                    gft, bud, _ = evaluate(inst, Rule.lagrangian(root, tie, tol))
                    tie_weight, tie_tol = float(tie), tol
    return SecondBestResult(
        status=Status.OPTIMAL,
        regime=regime,
        lambda_star=float(lam),
        gains_from_trade=float(gft),
        budget_surplus=float(bud),
        first_best=float(fb),
        ratio=float(gft / fb) if fb > 0 else math.nan,
        budget_at_zero=float(b0),
        alpha=inst.alpha,
        good=inst.good,
        method="lagrangian",
        solver="brentq",
        iterations=its,
        tie_weight=tie_weight,
        tie_tol=tie_tol,
        seconds=time.perf_counter() - t0,
        buyer=law_summary(buyer),
        seller=law_summary(seller),
    )
