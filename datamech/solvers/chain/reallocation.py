"""What every OPT method shares: objectives, the matrix grid, fixed entries, the result.

OPT (Section 5, Appendix D) searches budget-balanced (Def 2.5 with equality)
and past-only (Def 2.6) reallocation matrices t for the best equilibrium.  The searches
(:mod:`.opt`: differential evolution and enumeration; :mod:`.mip`: the exact MIP) share
the objective names, the first-best bound, the grid of matrices with entries in
{0, 1/m, ..., 1}, the fixed entries and the result type defined here.

>>> simplex_grid(2, 2).tolist()
[[0, 2], [1, 1], [2, 0]]
>>> grid_size(5, 4)
183750
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations
from typing import Any

import numpy as np

from ...errors import ModelError
from ...models.chain import ChainModel
from ...numeric import fmt, read_int, read_number
from ...results import Result
from ...sizes import FLOAT, check_memory
from ...status import Status
from .core import arithmetic, model_arrays, to_float
from .equilibrium import ChainEquilibrium, solve_equilibrium

__all__ = [
    "ChainOptResult",
    "check_fixed",
    "exact_grid_matrix",
    "first_best_bound",
    "grid_counts",
    "grid_rows",
    "grid_size",
    "opt_result",
    "parse_objective",
    "simplex_grid",
]


# ---------------------------------------------------------------- objectives
def parse_objective(objective: Any, n: int) -> tuple[str, int | None]:
    """``social_welfare`` | ``transaction_volume`` | ``player_utility:J`` (player J).

    >>> parse_objective("player_utility:2", 3)
    ('player_utility', 2)
    """
    if objective in ("social_welfare", "transaction_volume"):
        return objective, None
    if isinstance(objective, str) and objective.startswith("player_utility:"):
        try:
            j = int(objective.split(":", 1)[1])
        except ValueError:
            j = -1
        if 0 <= j <= n:
            return "player_utility", j
        raise ModelError("solver.objective", f"player index must be 0..{n}, got {objective!r}")
    raise ModelError(
        "solver.objective",
        f"unknown objective {objective!r} (social_welfare, transaction_volume, player_utility:J)",
    )


def objective_value(eq: ChainEquilibrium, objective: str):
    """The objective's value at an equilibrium."""
    name, player = parse_objective(objective, eq.n)
    return eq.player_utility[player] if name == "player_utility" else getattr(eq, name)


# ---------------------------------------------------------------- first-best bound
def first_best_bound(model: ChainModel, exact: bool = False):
    """Welfare of a planner who sees every value and stops the chain optimally.

    E[v_0 + max_{k=0..n} sum_{i=1}^k v_i]: an upper bound on the equilibrium welfare of
    every budget-feasible mechanism (equilibrium welfare is v_0 plus the values of a
    prefix of trades, minus any leaked payments).  Computed exactly by a forward pass over
    (grid index, D) with D = running max minus running sum, D' = max(D - v, 0), since
    max_k S_k = S_n + D_n.
    """
    ar = arithmetic(exact, None)
    W, Qs, _ = model_arrays(model, ar)
    zero = Fraction(0) if exact else 0.0
    start = model.start_law(exact=exact)
    total = sum((start[k] * W[k] for k in range(model.L)), zero)
    # states: dict grid index -> dict D -> probability
    states = {k: {zero: start[k]} for k in range(model.L) if start[k] != 0}
    for i in range(model.n):
        Q = Qs[i]
        nxt: dict = {}
        for k, dist in states.items():
            for l in np.flatnonzero(Q[k] != 0):
                q = Q[k, l]
                target = nxt.setdefault(int(l), {})
                for d, pr in dist.items():
                    nd = d - W[l]
                    nd = nd if nd > 0 else zero
                    if not exact:
                        nd = round(nd, 12)
                    target[nd] = target.get(nd, zero) + pr * q
                total += sum(dist.values(), zero) * q * W[l]
        states = nxt
    for dist in states.values():
        for d, pr in dist.items():
            total += pr * d
    return total


# ---------------------------------------------------------------- grids of matrices
def simplex_grid(parts: int, m: int) -> np.ndarray:
    """All vectors of ``parts`` nonnegative multiples of 1/m summing to 1, as integers (x m).

    Compositions of m into ``parts`` parts, in lexicographic order (stars and bars).
    """
    m = read_int(m, "solver.m", low=1)
    rows = []
    for bars in combinations(range(m + parts - 1), parts - 1):
        prev, row = -1, []
        for b in bars:
            row.append(b - prev - 1)
            prev = b
        row.append(m + parts - 1 - prev - 1)
        rows.append(row)
    return np.array(rows, dtype=np.int64)


def grid_size(n: int, m: int) -> int:
    """Number of budget-balanced past-only matrices with entries in {0, 1/m, ..., 1}."""
    return math.prod(math.comb(m + i - 1, i - 1) for i in range(1, n + 1))


def grid_counts(n: int, m: int, fixed: dict) -> list[int]:
    """Each row's number of grid choices that agree with the fixed entries (no rows built).

    Row i's free entries share what its fixed ones leave: the compositions of the rest
    into the free entries.  Fixed entries off the grid raise ``ModelError``.

    >>> grid_counts(3, 4, {}), grid_counts(3, 4, {(3, 0): Fraction(1, 4)})
    ([1, 5, 15], [1, 5, 4])
    """
    counts = []
    for i in range(1, n + 1):
        given = {j: v for (ii, j), v in fixed.items() if ii == i}
        for j, v in given.items():
            if (v * m).denominator != 1:
                raise ModelError(
                    "solver.fixed", f"t[{i},{j}] = {v} is not on the grid of step 1/{m}"
                )
        rest, free = m - int(sum(given.values(), Fraction(0)) * m), i - len(given)
        counts.append(math.comb(rest + free - 1, free - 1) if free else int(rest == 0))
    return counts


def grid_rows(n: int, m: int, fixed: dict) -> list[np.ndarray]:
    """Each row's grid choices (shares, multiples of 1/m) that agree with the fixed entries.

    >>> [r.tolist() for r in grid_rows(2, 2, {(2, 0): Fraction(1, 2)})]
    [[[1.0]], [[0.5, 0.5]]]
    """
    rows = []
    for i, count in enumerate(grid_counts(n, m, fixed), start=1):
        full = math.comb(m + i - 1, i - 1)  # built before the fixed entries filter it
        check_memory("solver.m", 2.0 * FLOAT * i * full, f"the {full:,} grid rows of trade {i}")
        choices = simplex_grid(i, m)
        for (ii, j), v in fixed.items():
            if ii == i:
                choices = choices[choices[:, j] == int(v * m)]
        assert len(choices) == count
        rows.append(choices / m)
    return rows


def exact_grid_matrix(T: np.ndarray, m: int) -> np.ndarray:
    """A grid matrix with exact Fraction entries k/m."""
    out = np.empty(T.shape, dtype=object)
    for idx, v in np.ndenumerate(T):
        out[idx] = Fraction(round(v * m), m)
    return out


def check_fixed(fixed: Any, n: int) -> dict:
    """Fixed entries as ``{(trade i, player j): Fraction}``, checked (Def 2.5-2.6).

    Given as a dict ``{(i, j): share}`` or, as in model files, a list of
    ``[i, j, share]`` triples.

    >>> check_fixed([[2, 0, "1/2"]], 2)
    {(2, 0): Fraction(1, 2)}
    """
    field = "solver.fixed"
    if fixed is None:
        return {}
    if isinstance(fixed, Sequence) and not isinstance(fixed, str):
        items = []
        for k, entry in enumerate(fixed):
            if not (isinstance(entry, Sequence) and not isinstance(entry, str) and len(entry) == 3):
                raise ModelError(f"{field}[{k}]", "must be [trade i, player j, share]")
            items.append(((entry[0], entry[1]), entry[2]))
    elif isinstance(fixed, Mapping):
        items = list(fixed.items())
    else:
        raise ModelError(field, "must map (trade i, player j) to a share")
    out: dict[tuple[int, int], Fraction] = {}
    for key, v in items:
        if not (isinstance(key, tuple) and len(key) == 2):
            raise ModelError(field, f"keys are (trade i, player j) pairs, got {key!r}")
        i, j = read_int(key[0], field), read_int(key[1], field)
        if not 1 <= i <= n:
            raise ModelError(field, f"trade {i} is outside 1..{n}")
        if not 0 <= j < i:
            raise ModelError(
                field, f"t[{i},{j}]: trade {i} may only pay players 0..{i - 1} (Def 2.6)"
            )
        val = read_number(v, f"{field} t[{i},{j}]", exact=True)
        if not 0 <= val <= 1:
            raise ModelError(field, f"t[{i},{j}] = {fmt(val)} is outside [0, 1]")
        if (i, j) in out:
            raise ModelError(field, f"t[{i},{j}] is given twice")
        out[(i, j)] = val
    for i in range(1, n + 1):
        row = [out[(i, j)] for j in range(i) if (i, j) in out]
        total = sum(row, Fraction(0))
        if total > 1 or (len(row) == i and total != 1):
            raise ModelError(
                field,
                f"the fixed entries of trade {i} sum to {fmt(total)}, which breaks budget "
                "balance (each row must sum to 1)",
            )
    return out


# ---------------------------------------------------------------- the result
@dataclass(frozen=True, repr=False)
class ChainOptResult(Result):
    """A reallocation matrix found by an OPT method, with its evidence.

    ``objective_value`` (the contract's ``objective``; ``objective_name`` is
    ``objective_kind``) is the optimized objective at ``matrix``: social welfare,
    transaction volume or ``player_utility:J``.  ``first_best`` is the planner's bound
    on welfare and ``gap_to_first_best`` = first_best - social_welfare.
    ``certified`` is true when the matrix is the proven optimum of the stated search
    space (``grid_step`` 1/m); ``evaluations`` counts equilibria solved.

    Status: ``optimal`` for a finished grid search (enumeration, or a MIP solved to
    ``mip_gap``; ``certified`` says whether optimality is proven exactly);
    ``heuristic`` for differential evolution; ``time_limit`` when stopped by the time
    limit (with ``advice``).  ``objective_exact`` is a Fraction when the chosen matrix's
    equilibrium was evaluated exactly (``exact``; always for the MIP).

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.
    """

    status: Status
    method: str
    objective_kind: str
    objective_value: float | Fraction
    social_welfare: float | Fraction
    transaction_volume: float | Fraction
    matrix: np.ndarray
    first_best: float
    gap_to_first_best: float
    certified: bool
    grid_step: str | None
    evaluations: int
    budget: int | None
    seed: int | None
    restarts: int | None
    tie_break: str
    tol: float
    seconds: float
    equilibrium: ChainEquilibrium
    backend: str = "none"
    solver: str = "none"
    advice: str = ""

    _objective_field = "objective_value"
    _summary_fields = ("certified",)
    _skip_fields = ("equilibrium",)

    @property
    def objective_name(self) -> str:
        """The optimized objective (``social_welfare`` unless asked otherwise)."""
        return self.objective_kind

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (contract keys first) and the equilibrium at the matrix."""
        out = super().to_dict()
        out["equilibrium"] = self.equilibrium.to_dict()
        return out

    def to_frame(self):
        """Per-player table of the equilibrium at the matrix (value, payments, utility)."""
        return self.equilibrium.to_frame()

    def format(self) -> str:
        kind = ("certified on the grid " + self.grid_step) if self.certified else str(self.status)
        lines = [
            f"OPT by {self.method} ({kind}), objective {self.objective_kind} = "
            f"{to_float(self.objective_value):.6g}"
            + (
                f" (= {self.objective_value})" if isinstance(self.objective_value, Fraction) else ""
            ),
            f"social welfare {to_float(self.social_welfare):.6g}, transaction volume "
            f"{to_float(self.transaction_volume):.6g}",
            f"first-best bound {self.first_best:.6g} (gap {self.gap_to_first_best:.6g})",
            f"{self.evaluations} equilibria solved in {self.seconds:.2f} s, tie rule "
            f"{self.tie_break!r}",
            "matrix (rows: trades 1..n, columns: players 0..n):",
        ]
        for row in self.matrix:
            lines.append("  " + " ".join(f"{to_float(x):6.3f}" for x in row))
        return "\n".join(lines)

    def plot(self, ax=None):
        """Figure-2-style bars of the equilibrium at the matrix, and the matrix itself."""
        from .plots import plot_matrix, plot_outcome

        title = (
            f"OPT ({self.method}), n = {self.equilibrium.n}: social welfare "
            f"{to_float(self.social_welfare):.4g}, transaction volume "
            f"{to_float(self.transaction_volume):.4g}"
        )
        eq = self.equilibrium
        fig = plot_outcome(
            {"OPT": (eq.trade_success, eq.player_utility)},
            title=title,
            ax=ax,
            extra=0 if ax is not None else 1,
        )
        if ax is None:
            plot_matrix(fig.axes[2], self.matrix)
        return fig


def opt_result(
    model: ChainModel,
    method: str,
    objective: str,
    matrix: np.ndarray,
    started: float,
    *,
    tie_break: str,
    tol: float | None,
    exact: bool = False,
    cls: type = ChainOptResult,
    **fields: Any,
):
    """The result of an OPT search: the matrix's equilibrium re-solved, bound and gap.

    ``exact``: the equilibrium is solved in rational arithmetic (``objective_exact``).
    The status is ``time_limit`` when ``fields`` says so, else ``optimal`` when
    ``certified`` and ``heuristic`` otherwise.
    """
    eq = solve_equilibrium(
        model.with_mechanism("matrix", matrix=matrix), tie_break=tie_break, exact=exact, tol=tol
    )
    fb = float(first_best_bound(model))
    status = fields.pop("status", None) or (
        Status.OPTIMAL if fields.get("certified") else Status.HEURISTIC
    )
    advice = ""
    if status == Status.TIME_LIMIT:
        advice = "stopped by the time limit: raise time_limit (or use a coarser grid)"
    return cls(
        status=Status(status),
        method=method,
        objective_kind=objective,
        objective_value=objective_value(eq, objective),
        social_welfare=eq.social_welfare,
        transaction_volume=eq.transaction_volume,
        matrix=matrix,
        first_best=fb,
        gap_to_first_best=fb - to_float(eq.social_welfare),
        tie_break=tie_break,
        tol=eq.tol,
        seconds=time.perf_counter() - started,
        equilibrium=eq,
        advice=fields.pop("advice", advice),
        **fields,
    )
