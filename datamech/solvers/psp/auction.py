"""One local PSP auction (draft eqs. 1–4 and 20, spec §2.1).

Bids are (quantity q, unit price p).  The seller's reserve enters as a bid (Q, r)
("player 0" of [LS]): excluding its units costs r each and its allocation is the unsold
supply.  Two implementations of the same rules live here:

* the reference functions (:func:`psp_allocation`, :func:`psp_costs`,
  :func:`available_quantity`, :func:`market_price_function`, :func:`clear_auction`),
  written with plain Python arithmetic so that ``fractions.Fraction`` inputs give
  exact answers;
* :func:`allocate` and :func:`exclusion_costs`, vectorized numpy versions used in the
  dynamics (tests check both agree).

Tie rules (spec §2.1): ``"proportional"`` (default; draft eq. 20, [T]) splits what is
left at a price level in proportion to the tied quantities; ``"lazar_semret"`` gives
each tied bidder [Q − Σ_{k≠i: p_k >= p_i} q_k]^+; ``"strict"`` (eqs. 2–3 as printed)
gives each [Q − Σ_{k: p_k > p_i} q_k]^+ and can hand out more than Q — outcomes carry
``feasible = False`` then.

Examples
--------
REG-1 of the spec (seller 2, Q = 85, the five t = 0 bids):

>>> q = [50, 40, 26, 20, 14]
>>> p = [1, 1.2, 1.5, 2, 2.2]
>>> psp_allocation(q, p, 85)
[0.0, 25.0, 26.0, 20.0, 14.0]
>>> [round(c, 9) for c in psp_costs(q, p, 85)]
[0.0, 25.0, 29.0, 23.0, 16.8]

With integers and Fractions the arithmetic is exact:

>>> from fractions import Fraction as F
>>> psp_costs(q, [1, F(6, 5), F(3, 2), 2, F(11, 5)], 85)[4]
Fraction(84, 5)
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ...errors import ModelError
from ...models.io import check_choice
from ...models.psp import TIE_BREAKS
from ...numeric import fmt
from ...results import ResultMixin


def check_tie_break(rule: str, tie_rule: str | None = None) -> str:
    """Return the tie rule or raise ``ModelError("tie_break", ...)``.

    ``tie_rule`` is the deprecated name of the keyword (a ``DeprecationWarning``).

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.
    """
    if tie_rule is not None:
        warnings.warn("'tie_rule' is deprecated; use 'tie_break'", DeprecationWarning, stacklevel=3)
        rule = tie_rule
    return check_choice(rule, "tie_break", TIE_BREAKS)


def check_tie_rule(rule: str) -> str:
    """Deprecated name of :func:`check_tie_break`.

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.
    """
    warnings.warn("check_tie_rule is deprecated; use check_tie_break", DeprecationWarning, 2)
    return check_tie_break(rule)


def _exactify(values: list) -> list:
    """Ints and Fractions only: compute exactly in Fractions; any float: floats."""
    if any(isinstance(v, (float, np.floating)) for v in values):
        return [float(v) for v in values]
    return [Fraction(v) if isinstance(v, (int, np.integer)) else v for v in values]


def _with_reserve(q: Sequence, p: Sequence, Q: Any, reserve: Any) -> tuple[list, list]:
    q, p = list(q), list(p)
    if len(q) != len(p):
        raise ModelError("bids", f"{len(q)} quantities for {len(p)} prices")
    for k, (qq, pp) in enumerate(zip(q, p, strict=True)):
        if qq < 0 or pp < 0:
            raise ModelError(
                f"bids[{k}]", f"quantity and price must be >= 0, got ({fmt(qq)}, {fmt(pp)})"
            )
    if Q < 0:
        raise ModelError("supply", f"must be >= 0, got {fmt(Q)}")
    if reserve is not None:
        if reserve < 0:
            raise ModelError("reserve", f"must be >= 0, got {fmt(reserve)}")
        q.append(Q)
        p.append(reserve)
    both = _exactify(q + p + [Q])
    return both[: len(q)], both[len(q) : 2 * len(q)], both[-1]


def _allocate_ref(q: list, p: list, Q: Any, rule: str) -> list:
    """Reference allocation (eqs. 3 / 20) with plain arithmetic (exact for Fractions)."""
    out = [0 * Q] * len(q)
    levels = sorted(set(p), reverse=True)
    above = 0 * Q
    for y in levels:
        group = [k for k in range(len(q)) if p[k] == y]
        total = sum((q[k] for k in group), 0 * Q)
        left = max(Q - above, 0 * Q)
        for k in group:
            if rule == "proportional":
                out[k] = min(q[k], q[k] * left / total) if total > 0 else 0 * Q
            elif rule == "strict":
                out[k] = min(q[k], left)
            else:  # lazar_semret: tied opponents count as higher bidders
                out[k] = min(q[k], max(left - (total - q[k]), 0 * Q))
        above += total
    return out


def psp_allocation(
    q: Sequence,
    p: Sequence,
    Q: Any,
    reserve: Any = None,
    tie_break: str = "proportional",
    *,
    tie_rule: str | None = None,
) -> list:
    """Allocation a_i of each bid (q_i, p_i) in one auction of supply Q (eqs. 3 / 20).

    Parameters
    ----------
    q, p : sequences of numbers
        Bid quantities and unit prices (ints, floats or Fractions).
    Q : number
        The seller's supply.
    reserve : number, optional
        The seller's reserve price r; adds the bid (Q, r) (draft §1.1.1; Lazar and
        Semret's player 0).
    tie_break : {"proportional", "lazar_semret", "strict"}
        The tie rule (draft eqs. 2–3 and 20); ``tie_rule`` is its deprecated name.

    Returns
    -------
    list
        a_i for the buyers' bids (the reserve's allocation, the unsold supply, is left
        out; see :func:`clear_auction`).

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.

    Examples
    --------
    Two tied bids (Q = 100):

    >>> from fractions import Fraction as F
    >>> psp_allocation([60, 70], [4, 4], F(100))
    [Fraction(600, 13), Fraction(700, 13)]
    >>> psp_allocation([60, 70], [4, 4], 100, tie_break="lazar_semret")
    [Fraction(30, 1), Fraction(40, 1)]
    """
    rule = check_tie_break(tie_break, tie_rule)
    n = len(q)
    qq, pp, Q = _with_reserve(q, p, Q, reserve)
    return _allocate_ref(qq, pp, Q, rule)[:n]


def psp_costs(
    q: Sequence,
    p: Sequence,
    Q: Any,
    reserve: Any = None,
    tie_break: str = "proportional",
    *,
    tie_rule: str | None = None,
) -> list:
    """Exclusion-compensation cost c_i (eq. 4) of each bid.

    c_i = Σ_{k≠i} p_k [a_k(0; s_{-i}) − a_k(s)], the reserve bid included as a k.

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.

    Examples
    --------
    Seller 1 of the draft's worked example (§3.4.4; Q = 65) with the reserve bid (65, 1/100):

    >>> from fractions import Fraction as F
    >>> psp_costs([50, 40], [1, F(6, 5)], 65, reserve=F(1, 100))
    [Fraction(1, 4), Fraction(503, 20)]
    """
    rule = check_tie_break(tie_break, tie_rule)
    n = len(q)
    qq, pp, Q = _with_reserve(q, p, Q, reserve)
    full = _allocate_ref(qq, pp, Q, rule)
    costs = []
    for i in range(n):
        rest_q = qq[:i] + qq[i + 1 :]
        rest_p = pp[:i] + pp[i + 1 :]
        without = _allocate_ref(rest_q, rest_p, Q, rule)
        others = [k for k in range(len(qq)) if k != i]
        costs.append(
            sum(
                (pp[k] * (without[m] - full[k]) for m, k in enumerate(others)),
                0 * Q,
            )
        )
    return costs


def available_quantity(i: int, y: Any, q: Sequence, p: Sequence, Q: Any, reserve: Any = None):
    """D_i(y, s_{-i}) = [Q − Σ_{k≠i: p_k > y} q_k]^+ (eq. 2), reserve bid included.

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.

    Examples
    --------
    >>> available_quantity(4, 1.2, [50, 40, 26, 20, 14], [1, 1.2, 1.5, 2, 2.2], 85)
    39.0
    """
    qq, pp, Q = _with_reserve(q, p, Q, reserve)
    taken = sum((qq[k] for k in range(len(qq)) if k != i and pp[k] > y), 0 * Q)
    return max(Q - taken, 0 * Q)


@dataclass(frozen=True)
class StepFunction:
    """A non-decreasing step function on (0, ends[-1]]: ``levels[k]`` on (ends[k-1], ends[k]].

    Used for the market price function P_i(z) (eq. 1).  ``__call__`` is +inf beyond the
    last end; ``integral(a, b)`` integrates exactly.

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.
    """

    ends: tuple
    levels: tuple

    def __call__(self, z: Any):
        for end, level in zip(self.ends, self.levels, strict=True):
            if z <= end:
                return level
        return float("inf")

    def integral(self, a: Any, b: Any):
        """∫_a^b P(ζ) dζ for 0 <= a <= b <= ends[-1]."""
        total = 0 * (b - a)
        start = 0 * b
        for end, level in zip(self.ends, self.levels, strict=True):
            lo, hi = max(start, a), min(end, b)
            if hi > lo:
                total += level * (hi - lo)
            start = end
        if b > (self.ends[-1] if self.ends else 0):
            raise ValueError(f"integral beyond the supply ({b} > {self.ends[-1]})")
        return total


def market_price_function(
    i: int, q: Sequence, p: Sequence, Q: Any, reserve: Any = None
) -> StepFunction:
    """P_i(z, s_{-i}) = inf{y >= 0 : D_i(y, s_{-i}) >= z} (eq. 1) as a step function.

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.

    Examples
    --------
    What buyer E sees at seller 2 at t = 0 in the draft's worked example (§3.4.4): 1.2 on (0,
    39], 1.5 on (39, 65], 2 on (65, 85].

    >>> P = market_price_function(4, [50, 40, 26, 20, 14], [1, 1.2, 1.5, 2, 2.2], 85)
    >>> P.ends, P.levels
    ((0.0, 39.0, 65.0, 85.0), (0.0, 1.2, 1.5, 2.0))
    >>> P.integral(0, 14)
    16.8
    """
    qq, pp, Q = _with_reserve(q, p, Q, reserve)
    opp = [k for k in range(len(qq)) if k != i]
    prices = sorted({pp[k] for k in opp})
    # D_i(y) for y below every bid price: what nobody bids on
    free = available_quantity(-1, -1, [qq[k] for k in opp], [pp[k] for k in opp], Q)
    ends, levels = [free], [0 * Q]
    for y in prices:
        d = available_quantity(-1, y, [qq[k] for k in opp], [pp[k] for k in opp], Q)
        if d > ends[-1]:
            ends.append(d)
            levels.append(y)
    return StepFunction(tuple(ends), tuple(levels))


@dataclass(frozen=True)
class AuctionOutcome(ResultMixin):
    """The outcome of one local auction: allocations, costs (eq. 4), unsold supply.

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.
    """

    allocation: list
    costs: list
    unsold: Any
    revenue: Any
    feasible: bool
    tie_break: str


def clear_auction(
    q: Sequence,
    p: Sequence,
    Q: Any,
    reserve: Any = None,
    tie_break: str = "proportional",
    *,
    tie_rule: str | None = None,
) -> AuctionOutcome:
    """Allocation, costs and unsold supply of one local auction.

    ``feasible`` is False when the allocations add up to more than Q (possible only
    under ``tie_break="strict"`` with tied prices: draft eqs. 2–3 as printed).

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.

    Examples
    --------
    >>> out = clear_auction([60, 70], [4, 4], 100, tie_break="strict")
    >>> [int(a) for a in out.allocation], out.feasible
    ([60, 70], False)
    """
    rule = check_tie_break(tie_break, tie_rule)
    a = psp_allocation(q, p, Q, reserve, rule)
    c = psp_costs(q, p, Q, reserve, rule)
    total = sum(a, 0 * Q)
    return AuctionOutcome(
        allocation=a,
        costs=c,
        unsold=max(Q - total, 0 * Q),
        revenue=sum(c, 0 * Q),
        feasible=bool(total <= Q),
        tie_break=rule,
    )


# ---------------------------------------------------------------------- numpy versions
def allocate(q: np.ndarray, p: np.ndarray, Q, tie_break: str = "proportional") -> np.ndarray:
    """Vectorized allocation (eqs. 3 / 20) of float bids; ``Q`` may be an array of supplies.

    With ``Q`` of shape (m,) the result has shape (m, len(q)): one allocation per supply.
    The reserve, if any, must already be one of the bids.

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.

    Examples
    --------
    >>> allocate(np.array([60.0, 70.0]), np.array([4.0, 4.0]), 100.0, "lazar_semret").tolist()
    [30.0, 40.0]
    """
    q = np.asarray(q, dtype=float)
    p = np.asarray(p, dtype=float)
    Qa = np.asarray(Q, dtype=float)
    if q.size == 0:
        return np.zeros(Qa.shape + (0,))
    order = np.argsort(-p, kind="stable")
    ps, qs = p[order], q[order]
    new = np.empty(ps.size, dtype=bool)
    new[0] = True
    new[1:] = ps[1:] != ps[:-1]
    gid = np.cumsum(new) - 1
    gtot = np.bincount(gid, weights=qs)
    above = np.concatenate(([0.0], np.cumsum(gtot)[:-1]))[gid]
    left = np.maximum(Qa[..., None] - above, 0.0)
    if tie_break == "proportional":
        T = gtot[gid]
        with np.errstate(invalid="ignore", divide="ignore"):
            a = np.where(T > 0, qs * np.minimum(1.0, left / np.where(T > 0, T, 1.0)), 0.0)
    elif tie_break == "strict":
        a = np.minimum(qs, left)
    else:
        a = np.minimum(qs, np.maximum(left - (gtot[gid] - qs), 0.0))
    out = np.empty_like(a)
    out[..., order] = a
    return out


def exclusion_costs(
    q: np.ndarray, p: np.ndarray, Q: float, tie_break: str = "proportional", who=None
) -> np.ndarray:
    """Vectorized eq. (4): cost of each bid ``who`` (default all) in one auction.

    The reserve, if any, must already be one of the bids (its own cost is meaningless).

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.

    Examples
    --------
    >>> q = np.array([50.0, 40, 26, 20, 14]); p = np.array([1.0, 1.2, 1.5, 2, 2.2])
    >>> exclusion_costs(q, p, 85.0).round(9).tolist()
    [0.0, 25.0, 29.0, 23.0, 16.8]
    """
    q = np.asarray(q, dtype=float)
    p = np.asarray(p, dtype=float)
    idx = np.arange(q.size) if who is None else np.atleast_1d(who)
    full = allocate(q, p, Q, tie_break)
    out = np.zeros(idx.size)
    for m, i in enumerate(idx):
        if q[i] <= 0:
            continue
        keep = np.arange(q.size) != i
        without = allocate(q[keep], p[keep], Q, tie_break)
        out[m] = float(np.dot(p[keep], without - full[keep]))
    return out
