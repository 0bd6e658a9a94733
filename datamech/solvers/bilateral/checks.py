"""Incentive, participation and budget checks of the bilateral mechanisms (Appendix C.1).

:func:`check_mechanism` plays every misreport against every true type on a type grid
(the atoms of discrete laws, quantile midpoints of continuous ones) with the payments of
:mod:`.payments`, and returns a :class:`datamech.results.Certificate`: ``ok`` says whether
the properties the mechanism promises hold, ``max_violation`` is the largest violation
among them, and ``detail`` holds every measured quantity (the promised ones and the
others, e.g. the first best's budget deficit).

What each mechanism promises (Sections 4.2-4.3; SellerP and BuyerP are BIC only on the
proposing side):

* first best: DSIC for both sides and ex-post IR (not budget-feasible in general);
* second best and broker: DSIC, ex-post IR and E[p^B - p^S] >= 0;
* SellerP: DSIC for the buyer, BIC for the seller, interim IR, budget balanced ex post;
* BuyerP: the mirror image (DSIC seller, BIC buyer);
* posted price: DSIC, ex-post IR, budget balanced ex post.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...errors import ModelError
from ...progress import progress
from ...results import Certificate
from ...sizes import FLOAT, check_count, check_memory
from .core import Side, evaluate
from .payments import MAX_PAYMENT_EVALUATIONS, mechanism

__all__ = ["PROMISES", "check_grid_allocation", "check_mechanism"]

_DSIC = ("buyer_dsic", "seller_dsic")
PROMISES: dict[str, tuple[str, ...]] = {
    "first_best": (*_DSIC, "expost_ir"),
    "second_best": (*_DSIC, "expost_ir", "budget_feasible"),
    "broker": (*_DSIC, "expost_ir", "budget_feasible"),
    "seller_proposing": ("buyer_dsic", "seller_bic", "interim_ir", "expost_budget_balanced"),
    "buyer_proposing": ("seller_dsic", "buyer_bic", "interim_ir", "expost_budget_balanced"),
    "posted_price": (*_DSIC, "expost_ir", "expost_budget_balanced"),
}


def _grid(side: Side, n: int) -> tuple[np.ndarray, np.ndarray]:
    if _exact_side(side, n):
        return side.values, side.probs
    u = (np.arange(n) + 0.5) / n
    return side.quantile(u), np.full(n, 1.0 / n)


def check_mechanism(
    name: str,
    buyer,
    seller,
    alpha=None,
    good=None,
    lam=None,
    price=None,
    grid: int = 9,
    field: str = "grid",
    **tie: Any,
) -> Certificate:
    """IR / IC / budget checks of mechanism ``name`` by brute force over a type grid.

    ``grid`` types per side: quantile midpoints of a continuous law, or the atoms of a
    discrete law with at most ``4 grid`` atoms.  ``detail`` holds, besides the booleans:
    ``*_gain`` the largest gain from misreporting (ex post: for every opponent type;
    interim: averaged over the opponent's grid weights), ``*_ir_min`` the smallest
    utility, ``expected_budget`` the exact E[p^B - p^S] = E[phi^B x^alpha - phi^S x]
    (zero for the mechanisms where the buyer pays the seller) and ``expost_budget_min``
    the smallest p^B - p^S on the grid.  The tolerance is 1e-9 (two discrete laws) or
    1e-3 (interim averages on a grid of a continuous law: error O(1/n)) times the
    largest payment; interim comparisons averaged over a continuous opponent on ``n``
    midpoints allow 2/n times the largest payment (the midpoint rule's error bound for
    the monotone payments: refine ``grid`` for a sharper check).  ``tolerance`` is the
    largest one applied to a promised property (``detail["tolerances"]`` has each).
    ``field`` names ``grid`` in errors.

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    * R. B. Myerson and M. A. Satterthwaite, "Efficient Mechanisms for Bilateral
      Trading", Journal of Economic Theory 29(2), 265-281, 1983.

    Examples
    --------
    >>> from datamech.models.distributions import Discrete
    >>> d = Discrete([1, 2, 3], [0.5, 0.25, 0.25])
    >>> ch = check_mechanism("seller_proposing", d, d, good="indivisible")
    >>> ch.ok, ch.detail["buyer_dsic"], ch.detail["seller_bic"], ch.detail["seller_dsic"]
    (True, True, True, False)
    """
    m = mechanism(name, buyer, seller, alpha, good, lam=lam, price=price, **tie)
    if isinstance(grid, bool) or not isinstance(grid, (int, np.integer)) or grid < 1:
        raise ModelError(field, f"must be a positive integer, got {grid!r}")
    nb = len(m.inst.buyer.values) if _exact_side(m.inst.buyer, grid) else grid
    nc = len(m.inst.seller.values) if _exact_side(m.inst.seller, grid) else grid
    check_memory(
        field,
        3 * FLOAT * (nb * nb * nc + nc * nc * nb),
        f"the checks on a {nb} x {nc} type grid (misreports x types)",
    )
    check_count(
        field, nb * nc, MAX_PAYMENT_EVALUATIONS, f"the checks' {nb * nc:,} payment evaluations"
    )
    al = float(m.inst.alpha)
    vs, wv = _grid(m.inst.buyer, grid)
    cs, wc = _grid(m.inst.seller, grid)
    x = m.allocation(vs[:, None], cs[None, :])
    rows = progress(vs, desc=f"checks ({name})", unit="type", min_total=60)
    pay = np.array([[m.payments(a, b) for b in cs] for a in rows])
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
    ir_b, ir_s = float(truth_b.min()), float(truth_s.min())
    iir_b, iir_s = float((truth_b @ wc).min()), float((truth_s @ wv).min())
    violation = {
        "buyer_dsic": dsic_b,
        "seller_dsic": dsic_s,
        "buyer_bic": bic_b,
        "seller_bic": bic_s,
        "expost_ir": max(-ir_b, -ir_s),
        "interim_ir": max(-iir_b, -iir_s),
        "budget_feasible": -float(exp_budget),
        "expost_budget_balanced": float(np.max(np.abs(surplus))),
    }
    # interim utilities average over the opponent's grid; on m quantile midpoints of a
    # continuous law the midpoint rule errs by at most TV/(2m) per utility, and a
    # utility's total variation in the opponent's type is at most 2 scale (payments and
    # costs are monotone in it): so an interim comparison is good to 2 scale/m
    tol_b = tol if not m.inst.seller.continuous else max(tol, 2 * scale / len(cs))
    tol_s = tol if not m.inst.buyer.continuous else max(tol, 2 * scale / len(vs))
    tolerances = {key: tol for key in violation}
    tolerances.update(buyer_bic=tol_b, seller_bic=tol_s, interim_ir=max(tol_b, tol_s))
    tolerances["budget_feasible"] = 1e-9 * scale
    holds = {key: violation[key] <= tolerances[key] for key in violation}
    holds["interim_ir"] = bool(-iir_b <= tol_b and -iir_s <= tol_s)
    promised = PROMISES[name]
    detail = {
        "mechanism": name,
        "promised": list(promised),
        "buyer_dsic_gain": dsic_b,
        "seller_dsic_gain": dsic_s,
        "buyer_bic_gain": bic_b,
        "seller_bic_gain": bic_s,
        "buyer_ir_min": ir_b,
        "seller_ir_min": ir_s,
        "buyer_interim_ir_min": iir_b,
        "seller_interim_ir_min": iir_s,
        "expected_budget": float(exp_budget),
        "expost_budget_min": float(surplus.min()),
        **{key: bool(value) for key, value in holds.items()},
        "tolerances": {key: float(value) for key, value in tolerances.items()},
        "grid": int(len(vs) * len(cs)),
    }
    return Certificate(
        ok=all(holds[key] for key in promised),
        max_violation=max(0.0, *(violation[key] for key in promised)),
        tolerance=float(max(tolerances[key] for key in promised)),
        method=f"every misreport on a {len(vs)} x {len(cs)} type grid",
        detail=detail,
    )


def _exact_side(side: Side, grid: int) -> bool:
    return not side.continuous and len(side.values) <= 4 * grid


def check_grid_allocation(res: Any, rel_tol: float = 1e-7) -> Certificate:
    """What a grid program (:class:`~.dsic.ProgramResult`) promises, checked on its own
    allocation: monotonicity (ex post for DSIC: z nondecreasing in v and nonincreasing in
    c; interim for BIC: the buyer's E_c z up in v, the seller's E_v x down in c), so that
    the identity payments make it truthful (Myerson), and the budget E[phi^B z - phi^S x]
    >= 0 (C.2, exact for step allocations), each to ``rel_tol`` times its scale.

    >>> from datamech.models.distributions import Uniform
    >>> from datamech.solvers.bilateral.programs import second_best_program
    >>> cert = check_grid_allocation(
    ...     second_best_program(Uniform(0, 1), Uniform(0, 1), good="indivisible", grid=6))
    >>> cert.ok, cert.detail["monotone"]
    (True, 'ex post')
    """
    z, x = np.asarray(res.z, dtype=float), np.asarray(res.x, dtype=float)
    size = max(1.0, float(np.max(np.abs(z), initial=0.0)))
    if res.incentive == "DSIC":
        up = float(np.max(-np.diff(z, axis=0), initial=0.0))
        down = float(np.max(np.diff(z, axis=1), initial=0.0))
        monotone = "ex post"
    else:
        up = float(np.max(-np.diff(z @ res.seller_probs), initial=0.0))
        scale_x = max(1.0, float(np.max(x, initial=0.0)))
        down = float(np.max(np.diff(res.buyer_probs @ x), initial=0.0)) * size / scale_x
        monotone = "interim"
    budget = max(0.0, -float(res.budget_surplus))
    scale = max(1.0, abs(float(res.gains_from_trade)))
    violation = {"buyer_monotone": up / size, "seller_monotone": down / size,
                 "budget_feasible": budget / scale}  # fmt: skip
    detail = {
        "mechanism": "second_best",
        "promised": list(violation),
        "monotone": monotone,
        **{key: bool(value <= rel_tol) for key, value in violation.items()},
        "budget_surplus": float(res.budget_surplus),
        "grid": int(z.size),
    }
    return Certificate(
        ok=all(value <= rel_tol for value in violation.values()),
        max_violation=max(violation.values()),
        tolerance=rel_tol,
        method=f"{monotone} monotonicity and budget of the {res.incentive} grid allocation "
        f"({res.grid[0]} x {res.grid[1]} cells), relative to their scales",
        detail=detail,
    )
