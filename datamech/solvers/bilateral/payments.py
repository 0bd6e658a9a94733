"""Allocations and payments of bilateral mechanisms for any realized (v, c) (App. C.1, G11).

Payment identities with the integrals over the supports (spec G11):

    p^B(v, c) = v x(v, c)^alpha - int_{v_lo}^{v} x(t, c)^alpha dt
    p^S(v, c) = c x(v, c) + int_{c}^{c_hi} x(v, t) dt

Discrete laws extend x as a step function between atoms (buyer: the largest atom <= t,
seller: the smallest atom >= t), which gives the discrete threshold payments exactly.
For the indivisible good the integrals are thresholds: p^B = x sigma(c), p^S = x tau(v).

Who pays what: first best, second best and the broker charge the buyer p^B and pay the
seller p^S; SellerP lets the buyer pay the seller p^B (p^S = p^B), BuyerP p^S (p^B = p^S);
a posted price p charges and pays p x.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from scipy import integrate

from ...errors import ModelError
from ...models.bilateral import MECHANISMS  # one list of mechanism names
from ...results import ResultMixin
from .core import Instance, Rule, Side, evaluate, instance, second_best
from .mechanisms import RULES


@dataclass
class Mechanism:
    """A bilateral mechanism on an instance: allocation rule x(v, c) and payments."""

    name: str
    inst: Instance
    rule: Rule | None
    price: float | None = None
    lam: float | None = None

    # -- allocation
    def allocation(self, v: Any, c: Any) -> np.ndarray:
        """x(v, c), broadcasting v against c."""
        v = np.asarray(v, dtype=float)
        c = np.asarray(c, dtype=float)
        if self.name == "posted_price":
            return ((v >= self.price) & (c <= self.price)).astype(float)
        n = self.inst.buyer.weight(self.rule.aB, self.rule.bB)(v)
        d = self.inst.seller.weight(self.rule.aS, self.rule.bS)(c)
        if self.inst.good == "indivisible":
            tol, tie = self.rule.tie_tol, self.rule.tie
            if tol == 0.0 and tie == 1.0:
                return ((n >= d) & (n > 0)).astype(float)
            return (n > 0) * ((n - d > tol) + tie * (np.abs(n - d) <= tol))
        a, k = float(self.inst.alpha), self.inst.k
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(n > 0, (a * np.maximum(n, 0.0) / d) ** k, 0.0)
        return x

    # -- identity payments (G11)
    def buyer_identity(self, v: float, c: float) -> float:
        B = self.inst.buyer
        al = float(self.inst.alpha)
        xv = float(self.allocation(v, c)) ** al
        if not B.continuous:  # step extension between atoms: exact threshold payments
            nxt = np.append(B.values[1:], np.inf)
            lens = np.clip(np.minimum(nxt, v) - B.values, 0.0, None)
            return v * xv - float(lens @ (self.allocation(B.values, c) ** al))
        if self.inst.good == "indivisible" or self.name == "posted_price":
            return v * xv - self._int_buyer_indicator(v, c)
        lo = B.lo
        if v <= lo:
            return v * xv
        n = B.weight(self.rule.aB, self.rule.bB)
        z = B.crossing(n, 0.0)
        pts = [z] if lo < z < v else None
        body, _ = integrate.quad(
            lambda t: float(self.allocation(t, c)) ** al, lo, v, points=pts, limit=200
        )
        return v * xv - body

    def _int_buyer_indicator(self, v: float, c: float) -> float:
        # int_{v_lo}^{v} x(t, c) dt for a 0/1 allocation nondecreasing in t: v - sigma
        if float(self.allocation(v, c)) == 0:
            return 0.0
        B = self.inst.buyer
        if self.name == "posted_price":
            return v - max(self.price, B.lo)
        sig = B.crossing(lambda t: float(self.allocation(t, c)), 0.5)
        return v - max(sig, B.lo)

    def seller_identity(self, v: float, c: float) -> float:
        S = self.inst.seller
        xc = float(self.allocation(v, c))
        if not S.continuous:  # step extension between atoms: exact threshold payments
            prev = np.append(-np.inf, S.values[:-1])
            lens = np.clip(S.values - np.maximum(prev, c), 0.0, None)
            return c * xc + float(lens @ self.allocation(v, S.values))
        if self.inst.good == "indivisible" or self.name == "posted_price":
            if xc == 0:
                return 0.0
            if self.name == "posted_price":
                return self.price
            # tau = sup{t : x(v, t) = 1}
            top = S.hi if math.isfinite(S.hi) else float(S.quantile(1 - 1e-15))
            if float(self.allocation(v, top)) > 0:
                return S.hi
            return _last_true(lambda t: float(self.allocation(v, t)) > 0, c, top)
        body, _ = integrate.quad(lambda t: float(self.allocation(v, t)), c, S.hi, limit=200)
        return c * xc + body

    def payments(self, v: float, c: float) -> tuple[float, float]:
        """(p^B, p^S) at the realized types."""
        if self.name == "posted_price":
            x = float(self.allocation(v, c))
            return self.price * x, self.price * x
        if self.name == "seller_proposing":
            p = self.buyer_identity(v, c)
            return p, p
        if self.name == "buyer_proposing":
            p = self.seller_identity(v, c)
            return p, p
        return self.buyer_identity(v, c), self.seller_identity(v, c)


def _last_true(pred, a: float, b: float) -> float:
    for _ in range(200):
        if b - a <= 1e-15 * max(1.0, abs(b)):
            break
        m = (a + b) / 2
        a, b = (m, b) if pred(m) else (a, m)
    return a


def mechanism(
    name: str, buyer, seller, alpha=None, good=None, lam=None, price=None, tie=1.0, tie_tol=0.0
) -> Mechanism:
    """The named mechanism on (buyer, seller): ``first_best``, ``second_best`` (lambda*
    computed unless ``lam`` is given), ``seller_proposing``, ``buyer_proposing``,
    ``broker`` or ``posted_price`` (indivisible; best price unless ``price`` is given).
    ``tie``/``tie_tol``: the second best's trade probability on ties (see
    :class:`~datamech.solvers.bilateral.core.SecondBestResult`).

    >>> from datamech.models.distributions import Uniform
    >>> m = mechanism("second_best", Uniform(0, 1), Uniform(0, 1), good="indivisible")
    >>> float(m.allocation(0.6, 0.3)), float(m.allocation(0.6, 0.4))   # v - c >= 1/4
    (1.0, 0.0)
    """
    if name not in MECHANISMS:
        raise ModelError("mechanism", f"must be one of {', '.join(MECHANISMS)}, got {name!r}")
    inst = instance(buyer, seller, alpha, good)
    if name == "second_best":
        tol = tie_tol
        if lam is None:
            sb = second_best(buyer, seller, alpha, good)
            lam, tie, tol = sb.lambda_star, sb.tie_weight, sb.tie_tol
        if not (lam >= 0 and math.isfinite(lam)):
            raise ModelError("lambda", f"must be a finite nonnegative number, got {lam!r}")
        return Mechanism(name, inst, Rule.lagrangian(lam, tie, tol), lam=float(lam))
    if name == "posted_price":
        if inst.good != "indivisible":
            raise ModelError("mechanism", "posted_price is defined for the indivisible good only")
        if price is None:
            from .mechanisms import posted_price

            price = posted_price(buyer, seller).price
        return Mechanism(name, inst, None, price=float(price))
    return Mechanism(name, inst, RULES[name])


@dataclass(frozen=True)
class PaymentResult(ResultMixin):
    """Allocation, payments and utilities of one mechanism at realized type profiles."""

    _frame_fields: ClassVar[tuple[str, ...]] = (
        "v",
        "c",
        "allocation",
        "buyer_payment",
        "seller_payment",
        "buyer_utility",
        "seller_utility",
        "surplus",
    )

    mechanism: str
    v: np.ndarray
    c: np.ndarray
    allocation: np.ndarray
    buyer_payment: np.ndarray
    seller_payment: np.ndarray
    buyer_utility: np.ndarray
    seller_utility: np.ndarray
    surplus: np.ndarray
    alpha: Any
    good: str
    lambda_star: float | None = None
    price: float | None = None


def payments(
    name: str, buyer, seller, v, c, alpha=None, good=None, lam=None, price=None, **tie
) -> PaymentResult:
    """Payments of mechanism ``name`` at realized profiles (v, c) (App. C.1, G11).

    >>> from datamech.models.distributions import Uniform
    >>> r = payments("second_best", Uniform(0, 1), Uniform(0, 1), [0.9], [0.2],
    ...              good="indivisible")
    >>> [round(float(x), 9) for x in (r.buyer_payment[0], r.seller_payment[0])]
    [0.45, 0.65]
    """
    m = mechanism(name, buyer, seller, alpha, good, lam=lam, price=price, **tie)
    v = np.atleast_1d(np.asarray(v, dtype=float))
    c = np.atleast_1d(np.asarray(c, dtype=float))
    if v.shape != c.shape:
        raise ModelError("profiles", f"v and c need the same length, got {v.shape} and {c.shape}")
    if np.any(~np.isfinite(v)) or np.any(~np.isfinite(c)) or np.any(v < 0) or np.any(c < 0):
        raise ModelError("profiles", "types must be finite and nonnegative")
    if m.inst.good == "scaling" and np.any(c == 0):
        raise ModelError("profiles", "the scaling model needs costs c > 0")
    for who, law, t in (("buyer", buyer, v), ("seller", seller, c)):
        lo, hi = (float(x) for x in law.support)
        tol = 1e-12 * max(1.0, abs(lo), abs(hi) if np.isfinite(hi) else 1.0)
        out = t[(t < lo - tol) | (t > hi + tol)]
        if out.size:  # the payment integrals run over the support (G11)
            raise ModelError(
                "profiles",
                f"{who} type {out[0]:g} lies outside the {who}'s support [{lo:g}, {hi:g}]",
            )
    x = m.allocation(v, c)
    pb, ps = np.array([m.payments(a, b) for a, b in zip(v, c, strict=True)]).reshape(-1, 2).T
    al = float(m.inst.alpha)
    return PaymentResult(
        mechanism=name,
        v=v,
        c=c,
        allocation=x,
        buyer_payment=pb,
        seller_payment=ps,
        buyer_utility=v * x**al - pb,
        seller_utility=ps - c * x,
        surplus=pb - ps,
        alpha=m.inst.alpha,
        good=m.inst.good,
        lambda_star=m.lam,
        price=m.price,
    )


def _grid(side: Side, n: int) -> tuple[np.ndarray, np.ndarray]:
    if not side.continuous and len(side.values) <= 4 * n:
        return side.values, side.probs
    u = (np.arange(n) + 0.5) / n
    return side.quantile(u), np.full(n, 1.0 / n)


@dataclass(frozen=True)
class CheckResult(ResultMixin):
    """Ex-post and interim incentive, participation and budget checks of one mechanism
    on a type grid (the atoms of discrete laws, n quantile midpoints of continuous ones).

    ``*_gain`` is the largest gain from misreporting (ex post: for every opponent type;
    interim: averaged over the opponent's grid weights); ``*_ir_min`` the smallest
    utility; ``expected_budget`` the exact E[p^B - p^S] = E[phi^B x^alpha - phi^S x]
    (zero for the mechanisms where the buyer pays the seller); ``expost_budget_min`` the
    smallest p^B - p^S on the grid.  Booleans use tolerance ``tol``.  On continuous laws
    the interim averages are grid approximations (error O(1/n)).
    """

    mechanism: str
    buyer_dsic_gain: float
    seller_dsic_gain: float
    buyer_bic_gain: float
    seller_bic_gain: float
    buyer_ir_min: float
    seller_ir_min: float
    buyer_interim_ir_min: float
    seller_interim_ir_min: float
    expected_budget: float
    expost_budget_min: float
    buyer_dsic: bool
    seller_dsic: bool
    buyer_bic: bool
    seller_bic: bool
    expost_ir: bool
    interim_ir: bool
    budget_feasible: bool
    expost_budget_balanced: bool
    tol: float
    grid: int
    extra: dict = field(default_factory=dict)


def check_mechanism(
    name: str, buyer, seller, alpha=None, good=None, lam=None, price=None, grid: int = 9, **tie
) -> CheckResult:
    """IR / IC / budget checks of mechanism ``name`` by brute force over a type grid.

    >>> from datamech.models.distributions import Discrete
    >>> d = Discrete([1, 2, 3], [0.5, 0.25, 0.25])
    >>> ch = check_mechanism("seller_proposing", d, d, good="indivisible")
    >>> ch.buyer_dsic, ch.seller_bic, ch.budget_feasible
    (True, True, True)
    """
    m = mechanism(name, buyer, seller, alpha, good, lam=lam, price=price, **tie)
    al = float(m.inst.alpha)
    vs, wv = _grid(m.inst.buyer, grid)
    cs, wc = _grid(m.inst.seller, grid)
    x = m.allocation(vs[:, None], cs[None, :])
    pay = np.array([[m.payments(a, b) for b in cs] for a in vs])
    pb, ps = pay[..., 0], pay[..., 1]
    # buyer: u[i, l, j] = v_i x(v_l, c_j)^alpha - pB(v_l, c_j)
    ub = vs[:, None, None] * (x**al)[None, :, :] - pb[None, :, :]
    truth_b = np.einsum("iij->ij", ub)
    dsic_b = float(np.max(ub.max(axis=1) - truth_b))
    ib = ub @ wc  # interim over c
    bic_b = float(np.max(ib.max(axis=1) - np.diag(ib)))
    # seller: u[j, l, i] = pS(v_i, c_l) - c_j x(v_i, c_l)
    us = ps.T[None, :, :] - cs[:, None, None] * x.T[None, :, :]
    truth_s = np.einsum("jji->ji", us)
    dsic_s = float(np.max(us.max(axis=1) - truth_s))
    is_ = us @ wv
    bic_s = float(np.max(is_.max(axis=1) - np.diag(is_)))
    scale = max(1.0, float(np.max(np.abs(pay))))
    exact_grid = not (m.inst.buyer.continuous or m.inst.seller.continuous)
    tol = (1e-9 if exact_grid else 1e-3) * scale
    if m.rule is not None and name in ("first_best", "second_best", "broker"):
        exp_budget = evaluate(m.inst, m.rule)[1]
    else:
        exp_budget = 0.0
    surplus = pb - ps
    return CheckResult(
        mechanism=name,
        buyer_dsic_gain=dsic_b,
        seller_dsic_gain=dsic_s,
        buyer_bic_gain=bic_b,
        seller_bic_gain=bic_s,
        buyer_ir_min=float(truth_b.min()),
        seller_ir_min=float(truth_s.min()),
        buyer_interim_ir_min=float((truth_b @ wc).min()),
        seller_interim_ir_min=float((truth_s @ wv).min()),
        expected_budget=float(exp_budget),
        expost_budget_min=float(surplus.min()),
        buyer_dsic=dsic_b <= tol,
        seller_dsic=dsic_s <= tol,
        buyer_bic=bic_b <= tol,
        seller_bic=bic_s <= tol,
        expost_ir=bool(truth_b.min() >= -tol and truth_s.min() >= -tol),
        interim_ir=bool((truth_b @ wc).min() >= -tol and (truth_s @ wv).min() >= -tol),
        budget_feasible=bool(exp_budget >= -1e-9 * scale),
        expost_budget_balanced=bool(np.max(np.abs(surplus)) <= tol),
        tol=float(tol),
        grid=int(len(vs) * len(cs)),
    )
