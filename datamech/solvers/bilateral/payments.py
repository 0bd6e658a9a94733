"""Allocations and payments of bilateral mechanisms for any realized (v, c) (Appendix C.1).

Payment identities with the integrals over the supports (Appendix C.1,
whose printed limits 0 and infinity are corrected to the supports):

    p^B(v, c) = v x(v, c)^alpha - int_{v_lo}^{v} x(t, c)^alpha dt
    p^S(v, c) = c x(v, c) + int_{c}^{c_hi} x(v, t) dt

Discrete laws extend x as a step function between atoms (buyer: the largest atom <= t,
seller: the smallest atom >= t), which gives the discrete threshold payments exactly.
For the indivisible good the integrals are thresholds: p^B = x sigma(c), p^S = x tau(v).

Who pays what: first best, second best and the broker charge the buyer p^B and pay the
seller p^S; SellerP lets the buyer pay the seller p^B (p^S = p^B), BuyerP p^S (p^B = p^S);
a posted price p charges and pays p x.

A payment takes about 1-3 ms for a continuous law (one quadrature), so
:data:`MAX_PAYMENT_EVALUATIONS` bounds the work of one solve (profiles x mechanisms, and
the checks' type grids), and long runs show a progress bar.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from scipy import integrate

from ...errors import ModelError
from ...models.bilateral import MECHANISMS  # one list of mechanism names
from ...models.io import check_choice
from ...numeric import fmt
from ...progress import progress
from ...results import ResultMixin
from .core import Instance, Rule, instance, second_best
from .mechanisms import RULES, posted_price

#: Payment evaluations one solve may ask for (about 2 ms each for continuous laws).
MAX_PAYMENT_EVALUATIONS = 200_000


@dataclass
class Mechanism:
    """A bilateral mechanism on an instance: allocation rule x(v, c) and payments."""

    name: str
    inst: Instance
    rule: Rule | None
    price: float | None = None
    lam: float | None = None
    _cache: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.rule is not None:  # the (ironed) weights, computed once
            self._cache["N"] = self.inst.buyer.weight(self.rule.aB, self.rule.bB)
            self._cache["D"] = self.inst.seller.weight(self.rule.aS, self.rule.bS)

    # -- allocation
    def allocation(self, v: Any, c: Any) -> np.ndarray:
        """x(v, c), broadcasting v against c."""
        v = np.asarray(v, dtype=float)
        c = np.asarray(c, dtype=float)
        if self.name == "posted_price":
            return ((v >= self.price) & (c <= self.price)).astype(float)
        n = self._cache["N"](v)
        d = self._cache["D"](c)
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
            i = int(np.searchsorted(B.values, v, side="right")) - 1  # largest atom <= v
            if i < 0:
                return v * xv
            cum, steps = self._buyer_steps(c)
            return v * xv - float(cum[i] + (v - B.values[i]) * steps[i])
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
            k = int(np.searchsorted(S.values, c, side="right"))  # first atom > c
            if k == len(S.values):
                return c * xc
            tail, steps = self._seller_steps(v)
            return c * xc + float((S.values[k] - c) * steps[k] + tail[k])
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

    def _buyer_steps(self, c: float) -> tuple[np.ndarray, np.ndarray]:
        """For a discrete buyer and cost c: x(v_i, c)^alpha at the atoms and the
        cumulative int_{v_0}^{v_i} x(t, c)^alpha dt (x steps at the atoms), cached."""
        key = ("buyer", float(c))
        if key not in self._cache:
            vals = self.inst.buyer.values
            steps = self.allocation(vals, c) ** float(self.inst.alpha)
            cum = np.concatenate([[0.0], np.cumsum(np.diff(vals) * steps[:-1])])
            self._cache[key] = (cum, steps)
        return self._cache[key]

    def _seller_steps(self, v: float) -> tuple[np.ndarray, np.ndarray]:
        """For a discrete seller and value v: x(v, c_m) at the atoms and the tails
        int_{c_m}^{c_last} x(v, t) dt (x steps at the atoms), cached."""
        key = ("seller", float(v))
        if key not in self._cache:
            vals = self.inst.seller.values
            steps = self.allocation(v, vals)
            parts = np.diff(vals) * steps[1:]
            tail = np.concatenate([np.cumsum(parts[::-1])[::-1], [0.0]])  # atoms after m
            self._cache[key] = (tail, steps)
        return self._cache[key]

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

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    * R. B. Myerson and M. A. Satterthwaite, "Efficient Mechanisms for Bilateral
      Trading", Journal of Economic Theory 29(2), 265-281, 1983.

    Examples
    --------
    >>> from datamech.models.distributions import Uniform
    >>> m = mechanism("second_best", Uniform(0, 1), Uniform(0, 1), good="indivisible")
    >>> float(m.allocation(0.6, 0.3)), float(m.allocation(0.6, 0.4))   # v - c >= 1/4
    (1.0, 0.0)
    """
    check_choice(name, "mechanism", MECHANISMS)
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
            price = posted_price(buyer, seller).price
        return Mechanism(name, inst, None, price=float(price))
    return Mechanism(name, inst, RULES[name])


@dataclass(frozen=True)
class PaymentResult(ResultMixin):
    """Allocation, payments and utilities of one mechanism at realized type profiles.

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    * R. B. Myerson and M. A. Satterthwaite, "Efficient Mechanisms for Bilateral
      Trading", Journal of Economic Theory 29(2), 265-281, 1983.
    """

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
    """Payments of mechanism ``name`` at realized profiles (v, c) (Appendix C.1,
    integrated over the supports).

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    * R. B. Myerson and M. A. Satterthwaite, "Efficient Mechanisms for Bilateral
      Trading", Journal of Economic Theory 29(2), 265-281, 1983.

    Examples
    --------
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
                f"{who} type {fmt(out[0])} lies outside the {who}'s support [{fmt(lo)}, {fmt(hi)}]",
            )
    x = m.allocation(v, c)
    pairs = progress(
        zip(v, c, strict=True),
        total=len(v),
        desc=f"payments ({name})",
        unit="profile",
        min_total=500,
    )
    pb, ps = np.array([m.payments(a, b) for a, b in pairs]).reshape(-1, 2).T
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
