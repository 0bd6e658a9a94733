"""Equilibrium trade events and the chain facts Section 4's theorems rest on.

The event of trade i is E_i = {(k, l) : s~_i(w_l) >= p~_{i-1}(w_k)} (:func:`trade_events`);
only pairs the valuation chain can produce matter (:func:`reachable_pairs`).  Also here:
the assumptions of Section 4 checked on a model (:func:`assumptions`: positivity 4.1,
homogeneity 4.2), and the helpers the two theorem modules share.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import numpy as np

from ....errors import ModelError
from ....models.chain import ChainModel
from ....numeric import exact_array
from ..core import acceptance, arithmetic
from ..equilibrium import ChainEquilibrium

__all__ = [
    "assumptions",
    "check_model",
    "law_equal",
    "reachable_pairs",
    "reachable_states",
    "same_chain",
    "same_numbers",
    "trade_events",
    "transition_support",
    "with_matrix",
]


def reachable_states(model: ChainModel) -> np.ndarray:
    """R[i, k] = P(v_i = w_k) > 0 along the valuation chain, players i = 0..n.

    This is the support of the valuation law (Assumption 2.1), not of the trade path:
    it does not depend on the mechanism or on which trades happen.

    >>> from datamech.models.chain import paper_model
    >>> reachable_states(paper_model(1, n=2)).sum(axis=1).tolist()  # indices 0, +-2, +-4
    [1, 5, 9]
    """
    check_model(model)
    n, L = model.n, model.L
    out = np.zeros((n + 1, L), dtype=bool)
    if model.start is not None:
        out[0, model.start] = True
    else:
        out[0] = np.asarray(model.start_distribution != 0, dtype=bool)
    for i in range(1, n + 1):
        out[i] = (out[i - 1][:, None] & transition_support(model, i)).any(axis=0)
    return out


def reachable_pairs(model: ChainModel) -> np.ndarray:
    """M[i-1, k, l] = P(v_{i-1} = w_k) > 0 and Q_i[k, l] > 0, trades i = 1..n.

    >>> from datamech.models.chain import paper_model
    >>> reachable_pairs(paper_model(1, n=2)).sum(axis=(1, 2)).tolist()
    [5, 25]
    """
    states = reachable_states(model)
    return np.stack(
        [states[i - 1][:, None] & transition_support(model, i) for i in range(1, model.n + 1)]
    )


def trade_events(
    model: ChainModel, equilibrium: ChainEquilibrium, reachable: bool = False
) -> np.ndarray:
    """Equilibrium trade events E_i of Theorems 4.3 and 4.4 as boolean (n, L, L) arrays.

    ``E[i-1, k, l]`` is true when buyer i with value w_l accepts the price of seller i-1
    with value w_k, s~_i(w_l) >= p~_{i-1}(w_k), compared exactly as the solver compared
    them (exact rationals, or floats with the equilibrium's tolerance).

    Parameters
    ----------
    model : ChainModel
        The chain the equilibrium was solved for.
    equilibrium : ChainEquilibrium
        From :func:`solve_equilibrium` on ``model``.
    reachable : bool
        Keep only the pairs the valuation chain can produce (:func:`reachable_pairs`).

    Examples
    --------
    >>> from datamech.models.chain import paper_model
    >>> from datamech.solvers.chain import solve_equilibrium
    >>> m = paper_model(2, n=2)
    >>> eq = solve_equilibrium(m, exact=True, tie_break="low")
    >>> E = trade_events(m, eq, reachable=True)
    >>> E.shape, E[0].sum()  # trade 1 from v_0 = 0: 2 of the 3 reachable buyers accept
    ((2, 5, 5), np.int64(2))
    """
    check_model(model)
    if not isinstance(equilibrium, ChainEquilibrium):
        raise ModelError(
            "equilibrium", f"expected a ChainEquilibrium, got {type(equilibrium).__name__}"
        )
    if (equilibrium.n, equilibrium.L) != (model.n, model.L) or not same_numbers(
        equilibrium.values,
        model.exact()["values"] if equilibrium.exact else model.floats()["values"],
    ):
        raise ModelError("equilibrium", "was not solved on this model's chain (n, grid differ)")
    ar = arithmetic(equilibrium.exact, equilibrium.tol)
    u, p = equilibrium.thresholds, equilibrium.prices
    events = np.stack(
        [np.asarray(acceptance(u[i], p[i - 1], ar), dtype=bool) for i in range(1, model.n + 1)]
    )
    if reachable:
        events &= reachable_pairs(model)
    return events


# ---------------------------------------------------------------------- helpers
def check_model(model: Any) -> None:
    if not isinstance(model, ChainModel):
        raise ModelError("model", f"expected a ChainModel, got {type(model).__name__}")


def transition_support(model: ChainModel, i: int) -> np.ndarray:
    """Boolean Q_i[k, l] > 0 (trade i, 1-based), read from the stored numbers."""
    trans = model.transition
    Q = trans[i - 1] if trans.ndim == 3 else trans
    return np.asarray(Q != 0, dtype=bool)


def same_numbers(a: np.ndarray, b: np.ndarray) -> bool:
    if a.shape != b.shape:
        return False
    if a.dtype == object or b.dtype == object:
        return all(x == y for x, y in zip(a.flat, b.flat, strict=True))
    return bool(np.array_equal(a, b))


def same_chain(a: ChainModel, b: ChainModel) -> bool:
    if (a.n, a.L, a.start) != (b.n, b.L, b.start):
        return False
    pairs = [(a.values, b.values), (a.transition, b.transition)]
    if a.start_distribution is not None:
        if b.start_distribution is None:
            return False
        pairs.append((a.start_distribution, b.start_distribution))
    return all(
        x.shape == y.shape and same_numbers(exact_array(x), exact_array(y)) for x, y in pairs
    )


def with_matrix(model: ChainModel, mech: Any, alpha: Any, field_name: str) -> ChainModel:
    """``model``'s chain under the mechanism ``mech`` (matrix, model on the chain, or name)."""
    if isinstance(mech, ChainModel):
        if not same_chain(model, mech):
            raise ModelError(
                field_name, "is a model on another chain (n, grid, transitions or start differ)"
            )
        return model.with_mechanism("matrix", matrix=mech.reallocation)
    if isinstance(mech, str):
        return model.with_mechanism(mech, alpha=alpha)
    return model.with_mechanism("matrix", matrix=mech)


def assumptions(model: ChainModel) -> tuple[bool, bool]:
    """(positivity, homogeneity) of the valuation law on its reachable part.

    Homogeneity on a grid: for every trade, the law of v_i / v_{i-1} given v_{i-1} = w_k
    is the same at every reachable w_k > 0 (ratios and probabilities compared exactly
    for rational models, to 9 significant digits for float ones).
    """
    states = reachable_states(model)
    exact = model.is_rational
    W = model.exact()["values"] if exact else model.floats()["values"]
    positivity = all(W[k] > 0 for k in np.flatnonzero(states.any(axis=0)))
    for i in range(1, model.n + 1):
        Q = model.Q(i, exact=exact)
        laws = []
        for k in np.flatnonzero(states[i - 1]):
            if not W[k] > 0:
                continue
            law: dict[Any, Any] = {}
            for l in np.flatnonzero(transition_support(model, i)[k]):
                key = W[l] / W[k] if exact else float(f"{W[l] / W[k]:.9g}")
                law[key] = law.get(key, 0) + Q[k, l]
            laws.append(law)
        if not all(law_equal(law, laws[0]) for law in laws[1:]):
            return positivity, False
    return positivity, True


def law_equal(a: Mapping, b: Mapping) -> bool:
    if a.keys() != b.keys():
        return False
    return all(
        a[x] == b[x]
        if isinstance(a[x], Fraction) and isinstance(b[x], Fraction)
        else math.isclose(float(a[x]), float(b[x]), rel_tol=1e-9, abs_tol=1e-12)
        for x in a
    )
