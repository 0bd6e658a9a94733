"""The paper's simple bilateral mechanisms (Sec. 4.3, App. C.4-C.5) and two benchmarks.

* SellerP (seller proposes): x = (alpha phi^B_ir(v)/c)_+^{1/(1-alpha)}; Theorem 4.1:
  SellerP >= SellerU >= alpha^{1/(1-alpha)} FB.
* BuyerP (buyer proposes): x = (alpha v/phi^S_ir(c))^{1/(1-alpha)}; Theorem 4.2:
  BuyerP >= BuyerU >= alpha^{alpha/(1-alpha)} FB >= FB/e.
* broker: the profit-maximizing intermediary (the lambda -> infinity limit of eq. (9)),
  weights phi^B_ir and phi^S_ir; its budget surplus is the broker's expected profit.
* posted price (indivisible good only, an extension with no guarantee in the paper):
  trade at price p iff c <= p <= v; the best p by a 1-D search.

For the indivisible good (alpha = 1) SellerP and BuyerP are the classic seller-offer and
buyer-offer mechanisms, trade iff phi^B_ir(v) >= c, resp. v >= phi^S_ir(c); the paper's
guarantees need alpha < 1 and are reported as ``None`` there.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from scipy import optimize

from ...models.bilateral import MAX_VALUE
from ...numeric import read_number
from ...results import Result
from ...status import Status
from .core import (
    BROKER,
    BUYER_P,
    FIRST_BEST,
    SELLER_P,
    Rule,
    buyer_tail,
    evaluate,
    first_best,
    instance,
    law_summary,
    seller_head,
)


@dataclass(frozen=True, repr=False)
class MechanismResult(Result):
    """Gains from trade of one simple mechanism, its ratio to the first best, its
    virtual-welfare lower bound (SellerU / BuyerU of C.4-C.5) and the paper's guarantee.

    ``guarantee`` is the constant of Theorem 4.1 (alpha^{1/(1-alpha)}) or 4.2
    (alpha^{alpha/(1-alpha)}); ``guarantee_holds`` is ratio >= guarantee.
    ``budget_surplus`` is E[p^B - p^S] (0 for SellerP, BuyerP and posted prices: the
    buyer pays the seller; the broker's expected profit for the broker).  ``status`` is
    ``evaluated`` for a given mechanism, ``optimal`` for the best posted price between
    two discrete laws (every atom is a candidate) and ``heuristic`` for the best posted
    price found by a grid search and a local refinement otherwise.

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    """

    _objective_field: ClassVar[str] = "gains_from_trade"
    _summary_fields: ClassVar[tuple[str, ...]] = ("name",)

    name: str
    status: Status
    gains_from_trade: float
    ratio: float
    first_best: float
    budget_surplus: float
    lower_bound: float | None
    lower_bound_ratio: float | None
    guarantee: float | None
    guarantee_holds: bool | None
    price: float | None
    alpha: Any
    good: str
    method: str
    seconds: float
    backend: str = "none"
    solver: str = "none"
    buyer: dict = field(default_factory=dict)
    seller: dict = field(default_factory=dict)


def _result(
    name, inst, fb, gft, bud, lower, guarantee, price, method, t0, buyer, seller, status=None
):
    ratio = gft / fb if fb > 0 else math.nan
    return MechanismResult(
        name=name,
        status=Status.EVALUATED if status is None else status,
        gains_from_trade=float(gft),
        ratio=float(ratio),
        first_best=float(fb),
        budget_surplus=float(bud),
        lower_bound=None if lower is None else float(lower),
        lower_bound_ratio=None if lower is None or fb <= 0 else float(lower / fb),
        guarantee=guarantee,
        guarantee_holds=None if guarantee is None else bool(ratio >= guarantee - 1e-12),
        price=price,
        alpha=inst.alpha,
        good=inst.good,
        method=method,
        seconds=time.perf_counter() - t0,
        buyer=law_summary(buyer),
        seller=law_summary(seller),
    )


def _guarantee(inst, which: str) -> float | None:
    if inst.good != "scaling":
        return None
    a = float(inst.alpha)
    k = 1 / (1 - a)
    return a**k if which == "seller" else a ** (k - 1)


def seller_proposing(buyer, seller, alpha=None, good=None) -> MechanismResult:
    """SellerP (App. C.4) with SellerU = E[W(phi^B_ir(v), c)] and Theorem 4.1.

    Budget is balanced ex post (p^S = p^B, the buyer's identity payment).

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.

    Examples
    --------
    >>> from datamech.models.distributions import Uniform
    >>> r = seller_proposing(Uniform(0, 1), Uniform(1, 2), "1/2")
    >>> round(r.ratio, 12), round(r.lower_bound_ratio, 12), r.guarantee
    (0.75, 0.5, 0.25)
    """
    return _proposing("seller_proposing", SELLER_P, "seller", buyer, seller, alpha, good)


def buyer_proposing(buyer, seller, alpha=None, good=None) -> MechanismResult:
    """BuyerP (App. C.5) with BuyerU = E[W(v, phi^S_ir(c))] and Theorem 4.2.

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.

    Examples
    --------
    >>> from datamech.models.distributions import Uniform
    >>> r = buyer_proposing(Uniform(0, 1), Uniform(0, 1), "1/4")      # GFT = 9/32
    >>> round(r.gains_from_trade, 12), round(r.guarantee, 12)
    (0.28125, 0.629960524947)
    """
    return _proposing("buyer_proposing", BUYER_P, "buyer", buyer, seller, alpha, good)


def _proposing(name, weights, side, buyer, seller, alpha, good) -> MechanismResult:
    """SellerP or BuyerP: budget balanced ex post, GFT and U-bound from ``weights``."""
    t0 = time.perf_counter()
    inst = instance(buyer, seller, alpha, good)
    fb = first_best(buyer, seller, alpha, good).gains_from_trade
    gft, _, low = evaluate(inst, weights)
    g = _guarantee(inst, side)
    return _result(name, inst, fb, gft, 0.0, low, g, None, "weights", t0, buyer, seller)


def broker(buyer, seller, alpha=None, good=None) -> MechanismResult:
    """The profit-maximizing broker (lim lambda -> inf of eq. (9)): weights phi^B_ir and
    phi^S_ir; ``budget_surplus`` is the broker's expected profit.

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.

    Examples
    --------
    >>> from datamech.models.distributions import Uniform
    >>> r = broker(Uniform(0, 1), Uniform(0, 1), good="indivisible")   # trade iff v - c >= 1/2
    >>> round(r.gains_from_trade, 12), round(r.budget_surplus, 12)
    (0.083333333333, 0.041666666667)
    """
    t0 = time.perf_counter()
    inst = instance(buyer, seller, alpha, good)
    fb = first_best(buyer, seller, alpha, good).gains_from_trade
    gft, bud, _ = evaluate(inst, BROKER)
    return _result("broker", inst, fb, gft, bud, None, None, None, "weights", t0, buyer, seller)


def posted_price_gft(buyer, seller, price: float) -> float:
    """GFT of a fixed price p (indivisible): E[v; v >= p] P(c <= p) - P(v >= p) E[c; c <= p].

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.

    Examples
    --------
    >>> from datamech.models.distributions import Uniform
    >>> round(posted_price_gft(Uniform(0, 1), Uniform(0, 1), 0.5), 12)
    0.125
    """
    inst = instance(buyer, seller, good="indivisible")
    return float(_posted(inst, np.array([float(price)]))[0])


def _posted(inst, prices: np.ndarray) -> np.ndarray:
    t0, t1, _, _ = buyer_tail(inst.buyer, inst.buyer.weight(1.0, 0.0), prices, FIRST_BEST)
    h0, h1, _, _ = seller_head(inst.seller, inst.seller.weight(1.0, 0.0), prices, FIRST_BEST)
    return t1 * h0 - t0 * h1


def posted_price(buyer, seller, price: float | None = None, grid: int = 2001) -> MechanismResult:
    """Best fixed price for the indivisible good (or the given ``price``): trade iff
    c <= p <= v, budget balanced ex post.  An extension: the paper has no posted prices.

    The search evaluates a grid over the overlap of the supports plus every atom, then
    refines the best grid point with a bounded scalar search.

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.

    Examples
    --------
    >>> from datamech.models.distributions import Uniform
    >>> r = posted_price(Uniform(0, 1), Uniform(0, 1))
    >>> round(r.price, 6), round(r.gains_from_trade, 12)
    (0.5, 0.125)
    """
    t0 = time.perf_counter()
    inst = instance(buyer, seller, good="indivisible")
    fb = first_best(buyer, seller, good="indivisible").gains_from_trade
    B, S = inst.buyer, inst.seller
    if price is not None:
        p = float(read_number(price, "price", low=0, high=MAX_VALUE))
        gft = float(_posted(inst, np.array([p]))[0])
        return _result(
            "posted_price", inst, fb, gft, 0.0, None, None, p, "given", t0, buyer, seller
        )
    lo = max(B.lo, S.lo)
    hi_b = B.hi if math.isfinite(B.hi) else float(B.quantile(1 - 1e-9))
    hi_s = S.hi if math.isfinite(S.hi) else float(S.quantile(1 - 1e-9))
    hi = min(hi_b, hi_s)
    cands = [np.linspace(lo, max(hi, lo), grid)]
    for side in (B, S):
        if not side.continuous:
            cands.append(side.values)
    ps = np.unique(np.concatenate(cands))
    ps = ps[ps > 0] if np.any(ps > 0) else np.array([max(lo, 1e-12)])
    vals = _posted(inst, ps)
    j = int(np.argmax(vals))
    best_p, best = float(ps[j]), float(vals[j])
    if B.continuous and S.continuous and len(ps) > 2:
        a, b = ps[max(j - 1, 0)], ps[min(j + 1, len(ps) - 1)]
        res = optimize.minimize_scalar(
            lambda p: -_posted(inst, np.array([p]))[0],
            bounds=(a, b),
            method="bounded",
            options={"xatol": 1e-12},
        )
        if -res.fun > best:
            best_p, best = float(res.x), float(-res.fun)
    exhaustive = not (B.continuous or S.continuous)  # GFT(p) steps only at the atoms
    status = Status.OPTIMAL if exhaustive else Status.HEURISTIC
    return _result(
        "posted_price", inst, fb, best, 0.0, None, None, best_p, "search", t0, buyer, seller, status
    )


RULES: dict[str, Rule] = {
    "first_best": FIRST_BEST,
    "seller_proposing": SELLER_P,
    "buyer_proposing": BUYER_P,
    "broker": BROKER,
}
