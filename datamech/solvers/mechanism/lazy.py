"""IC constraints generated lazily for multi-dimensional types (spec §4, last paragraph).

With K types per agent, all-pairs IC has K(K-1) rows (2.5 million for one buyer on a
40 x 40 grid of two item values).  Start from local IC (each type against its nearest
types, by a k-d tree), solve, and for every type find its most profitable misreport by a
vectorized max over the K candidates (in blocks, so memory stays at a few MB); add the
violated pairs; repeat until no type gains more than ``tol`` by misreporting.
"""

from __future__ import annotations

import warnings

import numpy as np

from ...models.mechanism import MechanismModel
from ...progress import progress
from ...status import Status
from .highs import HighsLP
from .lp import Layout, build, check_size, ic_rows, new_rows
from .runner import run

__all__ = ["initial_pairs", "most_profitable", "solve_lazy"]

#: Rows of the utility table computed at once (block x K floats).
BLOCK = 256


def initial_pairs(points: np.ndarray, k: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Local IC pairs: each type against its ``k`` nearest types (both directions).

    >>> kk, kp = initial_pairs(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]), k=1)
    >>> sorted(zip(kk.tolist(), kp.tolist()))
    [(0, 1), (0, 2), (1, 0), (2, 0)]
    """
    from scipy.spatial import cKDTree

    K, d = points.shape
    if K < 2:
        return np.zeros(0, int), np.zeros(0, int)
    k = min(k or 2 * d, K - 1)
    span = np.ptp(points, axis=0)
    scaled = points / np.where(span > 0, span, 1.0)
    _, idx = cKDTree(scaled).query(scaled, k=k + 1)
    a = np.repeat(np.arange(K), k)
    b = idx[:, 1:].ravel()
    pairs = np.unique(np.concatenate([np.stack([a, b], 1), np.stack([b, a], 1)]), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    return pairs[:, 0], pairs[:, 1]


def most_profitable(values: np.ndarray, X: np.ndarray, P: np.ndarray):
    """For every type t: the report s maximizing values[t] . X[s] - P[s] and the gain over
    the truth (floats, blocks of rows)."""
    K = len(values)
    truth = np.einsum("ij,ij->i", values, X) - P
    best = np.empty(K, dtype=np.int64)
    gain = np.empty(K)
    for a in range(0, K, BLOCK):
        U = values[a : a + BLOCK] @ X.T - P[None, :]
        j = np.argmax(U, axis=1)
        best[a : a + BLOCK] = j
        gain[a : a + BLOCK] = U[np.arange(len(j)), j] - truth[a : a + BLOCK]
    return best, gain


def solve_lazy(model: MechanismModel, lay: Layout, opts: dict, field: str):
    """Solve with IC pairs generated on demand; returns the HighsLP, its solution, the
    rounds, and a factory of the exact twin of the final program (same rows, same order)."""
    inst = model.instance()
    subset = []
    for a in inst.agents:
        subset.append(initial_pairs(np.asarray(a.points, dtype=float)))
    check_size(lay, [len(kk) * 4 for kk, _ in subset], field)
    highs = HighsLP(build(lay, model, ic_subset=subset), opts.get("time_limit"), tight=True)
    tol = float(opts["tol"])
    added = [set(zip(kk.tolist(), kp.tolist(), strict=True)) for kk, kp in subset]
    batches: list[list[tuple[int, np.ndarray, np.ndarray]]] = []
    rounds = 0
    with progress(total=None, desc="lazy IC", unit="round") as bar:
        for rounds in range(1, int(opts["max_iterations"]) + 1):  # noqa: B007
            sol = run(highs, model, "the mechanism LP")
            bar.update(1)
            block = new_rows()
            batch = []
            new = 0
            for i, a in enumerate(inst.agents):
                L = len(lay.support[i])
                k = np.arange(a.K)
                X = np.stack([sol.x[lay.zcol(i, k, l)] for l in range(L)], axis=1)
                P = sol.x[lay.qcol(i, k)]
                best, gain = most_profitable(lay.coef[i], X, P)
                viol = np.flatnonzero(gain > tol)
                kk = []
                kp = []
                for t in viol.tolist():
                    s = int(best[t])
                    if (t, s) not in added[i]:
                        added[i].add((t, s))
                        kk.append(t)
                        kp.append(s)
                if kk:
                    ic_rows(lay, i, np.array(kk), np.array(kp), block)
                    batch.append((i, np.array(kk), np.array(kp)))
                    new += len(kk)
            if new == 0:
                break
            lo, up = block.bounds()
            highs.add_rows("ic", block.matrix(highs.num_cols), lo, up)
            batches.append(batch)
        else:
            warnings.warn(
                f"lazy IC generation stopped after {rounds} rounds; raise max_iterations",
                RuntimeWarning,
                stacklevel=3,
            )
            sol.status = Status.ITERATION_LIMIT

    def exact_lp():
        ex = Layout.build(inst, lay.plan, exact=True)
        lp = build(ex, model, ic_subset=subset)
        for batch in batches:
            block = new_rows(exact=True)
            for i, kk, kp in batch:
                ic_rows(ex, i, kk, kp, block)
            lp.extend(block)
        return ex, lp

    return highs, sol, rounds, exact_lp
