"""Chains on which Section 4's assumptions hold: positive, homogeneous (4.1, 4.2)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from ....errors import ModelError
from ....models.chain import FLOAT_TOL, ChainModel, create
from ....numeric import fmt, read_int, read_number
from .events import law_equal

__all__ = ["homogeneous_chain"]


def homogeneous_chain(
    n: int,
    steps: Any = None,
    ratio: Any = 2,
    *,
    start: Mapping[int, Any] | None = None,
    margin: int = 0,
    sentinels: bool = True,
    mechanism: str = "RAW",
    alpha: Any = None,
    matrix: Any = None,
    name: str = "",
) -> ChainModel:
    """A chain satisfying positivity (4.1) and homogeneity (4.2) on its reachable part.

    Values lie on the multiplicative grid w_m = g^m (g = ``ratio`` > 1) and the index
    moves by a random walk: v_i = w_{m+D} given v_{i-1} = w_m, with D drawn from a fixed
    step law, so the law of v_i / v_{i-1} is the same at every value.  The grid's indices
    run over every index the walk can reach in n steps from the start (like the paper's
    Model 1, -2n..2n for five-neighbour steps from w_0), widened by ``margin``.  Rows
    whose walk would leave the grid are clipped (mass piles on the end), but no reachable
    state uses such a row: trade i's row at a reachable v_{i-1} stays inside.  Hence
    F_i(g^a v | g^a w) = F_i(v | w) holds exactly at every reachable w (on a grid the
    scale group is g^Z, which is all Lemma C.2 needs at grid points), and every
    reachable value is positive.  Homogeneity does not hold at unreachable grid points.

    Parameters
    ----------
    n : int
        Number of trades.
    steps : mapping or sequence, optional
        The law of D: a mapping {offset: probability} or a sequence of probabilities for
        offsets -d..d (odd length); or a list of n such laws, one per trade (F_i may
        differ across trades).  Default: the paper's five-neighbour walk, D uniform on
        {-2, ..., 2}.  Probabilities given as ints, Fractions or ``"p/q"`` are exact.
    ratio : number
        g > 1.  Exact (rational grid) when an int, a Fraction or ``"p/q"``; a float (e.g.
        ``math.exp(0.5)``, the paper's Model 1) gives a float grid.
    start : mapping, optional
        Law of the start index {offset: probability}; default v_0 = w_0 = 1.
    margin : int
        Extra grid indices on each side.
    sentinels : bool
        Add two unreachable absorbing states: value 0 first in grid order, and a value
        2^n g^(max index) last, above every threshold of the geometric states.  Their
        thresholds are candidate prices meaning "0" and "no sale", so the candidate
        set of an indifferent seller (one who earns nothing from its own sale) has the
        ends of the continuous price range [0, inf).  Without them such a seller's
        ``"low"`` / ``"high"`` pick is the threshold of a boundary grid point, which is
        not homogeneous.  Sellers with a positive own-sale share never pick a sentinel.
    mechanism, alpha, matrix, name
        As in :func:`datamech.models.chain.create`.

    Returns
    -------
    ChainModel

    Examples
    --------
    >>> m = homogeneous_chain(2, {-1: "1/2", 1: "1/2"}, ratio=2)
    >>> [str(w) for w in m.values]
    ['0', '1/4', '1/2', '1', '2', '4', '16']
    >>> m.start, m.values[m.start]
    (3, Fraction(1, 1))
    """
    n = read_int(n, "n", low=1)
    laws = _step_laws(n, steps)
    start_law = _law(start if start is not None else {0: 1}, "start")
    g = _ratio(ratio)
    margin = read_int(margin, "margin", low=0)
    if not isinstance(sentinels, bool):
        raise ModelError("sentinels", f"must be true or false, got {sentinels!r}")

    # index range reachable by v_0..v_n
    lo = hi = None
    cur_lo, cur_hi = min(start_law), max(start_law)
    lo, hi = cur_lo, cur_hi
    for law in laws:
        cur_lo, cur_hi = cur_lo + min(law), cur_hi + max(law)
        lo, hi = min(lo, cur_lo), max(hi, cur_hi)
    lo, hi = lo - int(margin), hi + int(margin)
    ms = list(range(lo, hi + 1))
    values: list[Any] = [g**m for m in ms]
    offset = 1 if sentinels else 0
    L = len(ms) + 2 * offset
    exact = isinstance(g, Fraction) and all(
        isinstance(q, Fraction) for law in [*laws, start_law] for q in law.values()
    )
    zero = Fraction(0) if exact else 0.0
    if sentinels:
        values = [zero, *values, (2**n) * values[-1]]

    # probabilities add up exactly when given exactly, whatever the grid's number type
    rational_laws = all(isinstance(q, Fraction) for law in laws for q in law.values())
    mats = []
    for law in laws:
        P = np.full((L, L), Fraction(0) if rational_laws else 0.0, dtype=object)
        for a, m in enumerate(ms):
            for d, q in law.items():
                P[a + offset, min(max(m + d, lo), hi) - lo + offset] += q
        if sentinels:
            P[0, 0] = P[L - 1, L - 1] = Fraction(1) if exact else 1.0
        mats.append(P if exact else P.astype(float))
    kw: dict[str, Any] = {}
    if len(start_law) == 1:
        kw["start"] = next(iter(start_law)) - lo + offset
    else:
        sd = np.full(L, zero, dtype=object)
        for d, q in start_law.items():
            sd[d - lo + offset] = q
        kw["start_distribution"] = sd if exact else sd.astype(float)
    shared = all(law_equal(law, laws[0]) for law in laws)
    trans: dict[str, Any] = {"transition": mats[0]} if shared else {"transitions": np.stack(mats)}
    label = name or f"homogeneous chain (g = {ratio}, n = {n})"
    return create(
        n,
        np.array(values, dtype=object) if exact else np.array(values, dtype=float),
        **trans,
        **kw,
        mechanism=mechanism,
        alpha=alpha,
        matrix=matrix,
        name=label,
    )


# ---------------------------------------------------------------------- step laws
def _law(spec: Any, field_name: str) -> dict[int, Any]:
    """A law over integer offsets from a mapping or a centred sequence; zero masses dropped."""
    if isinstance(spec, Mapping):
        items = list(spec.items())
    elif isinstance(spec, (Sequence, np.ndarray)) and not isinstance(spec, str):
        if len(spec) % 2 != 1:
            raise ModelError(
                field_name,
                f"a sequence of probabilities needs odd length (offsets -d..d), got {len(spec)}",
            )
        d = len(spec) // 2
        items = list(zip(range(-d, d + 1), spec, strict=True))
    else:
        raise ModelError(field_name, f"must be a mapping offset -> probability, got {spec!r}")
    law: dict[int, Any] = {}
    for off, q in items:
        if isinstance(off, bool) or not isinstance(off, (int, np.integer)):
            raise ModelError(field_name, f"offsets must be integers, got {off!r}")
        x = read_number(q, field_name, low=0)
        if x != 0:
            law[int(off)] = law.get(int(off), 0) + x
    if not law:
        raise ModelError(field_name, "has no positive probability")
    total = sum(law.values())
    exact = all(isinstance(x, Fraction) for x in law.values())
    if (exact and total != 1) or (not exact and abs(float(total) - 1) > FLOAT_TOL):
        raise ModelError(field_name, f"probabilities sum to {fmt(total)}, not 1")
    if not exact:
        law = {d: float(x) for d, x in law.items()}
    return law


def _step_laws(n: int, steps: Any) -> list[dict[int, Any]]:
    if steps is None:
        return [dict.fromkeys(range(-2, 3), Fraction(1, 5))] * n
    per_trade = (
        isinstance(steps, (Sequence, np.ndarray))
        and not isinstance(steps, str)
        and len(steps) > 0
        and isinstance(steps[0], (Mapping, Sequence, np.ndarray))
        and not isinstance(steps[0], str)
    )
    if not per_trade:
        return [_law(steps, "steps")] * n
    if len(steps) != n:
        raise ModelError("steps", f"give one step law or n = {n} laws, got {len(steps)}")
    return [_law(s, f"steps[{i}]") for i, s in enumerate(steps)]


def _ratio(ratio: Any) -> Fraction | float:
    """g > 1: exact when given as an int, a Fraction or ``"p/q"``, else a float."""
    return read_number(ratio, "ratio", low=1, low_open=True)
