"""The second best as a DSIC program on type grids, and the grid result.

:func:`second_best_program` (cvxpy): ex-post monotone (DSIC) allocations on a grid of
buyer and seller types (:mod:`.grids`), maximising the gains from trade subject to the
budget constraint in virtual form (C.2), ``B = E[phi^B x^alpha - phi^S x] >= 0``, whose
dual value is lambda* of eq. (9).  The scaling model uses ``z = x^alpha`` (concave
objective, concave budget); the indivisible good is a linear program.

:class:`ProgramResult` is what the DSIC and BIC programs (:mod:`.bic`) return.

Examples
--------
>>> from datamech.models.distributions import Uniform
>>> res = second_best_program(Uniform(0, 1), Uniform(0, 1), good="indivisible", grid=20)
>>> str(res.status), round(res.gains_from_trade, 4), round(res.lambda_star, 2), res.solver
('optimal', 0.14, 0.5, 'HiGHS')
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ...backends import solve_cvxpy
from ...results import Result
from ...status import Status
from .figures import draw_grid_allocation, new_figure
from .grids import TypeGrid, grid_field, prepare
from .settings import DEFAULT_CELLS, choose_backend

__all__ = [
    "ProgramResult",
    "cvx_problem",
    "grid_value",
    "program_result",
    "quantity",
    "second_best_program",
]

INACCURATE_ADVICE = (
    "the solver flagged its solution as inaccurate: try another solver (e.g. solver = "
    "'scs' or 'clarabel') or fewer cells"
)


@dataclass(frozen=True, repr=False)
class ProgramResult(Result):
    """Second best on a type grid, from :func:`second_best_program` or
    :func:`~.bic.second_best_bic`.

    ``z`` is the program's variable on the grid (rows: buyer cells, columns: seller
    cells): ``x^alpha`` for the scaling model, the trade probability for the indivisible
    good; ``x`` is the quantity.  ``lambda_star`` is the dual value of the budget
    constraint (the multiplier of eq. (9)).  ``method`` is ``program`` (DSIC) or ``bic``;
    ``backend`` cvxpy or pyomo; ``solver`` the solver that ran (``Clarabel``, ``HiGHS``,
    ``ripopt``, ``ipopt``, or ``ccp``: convex-concave steps solved by Clarabel).

    ``local`` is True when the optimum is only local (the scaling model's nonconvex BIC
    program, status ``local_optimum``); ``upper_bound`` is then the value of a convex
    relaxation and ``gap = upper_bound - gains_from_trade`` what the local solution may
    miss.  ``advice`` says what to change when the status is not certified.
    ``to_frame()`` gives one row per (buyer cell, seller cell).
    """

    _objective_field: ClassVar[str] = "gains_from_trade"
    _objective_name: ClassVar[str] = "second_best"
    _summary_fields: ClassVar[tuple[str, ...]] = ("lambda_star", "incentive")

    status: Status
    gains_from_trade: float
    lambda_star: float
    budget_surplus: float
    z: np.ndarray
    x: np.ndarray
    buyer_values: np.ndarray
    buyer_probs: np.ndarray
    buyer_virtual: np.ndarray
    seller_values: np.ndarray
    seller_probs: np.ndarray
    seller_virtual: np.ndarray
    grid: tuple[int, int]
    alpha: Any
    good: str
    incentive: str
    method: str
    backend: str
    solver: str
    seconds: float
    local: bool = False
    upper_bound: float | None = None
    iterations: int = 1
    advice: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def gap(self) -> float | None:
        """``upper_bound - gains_from_trade`` for a local solution (None otherwise)."""
        if self.upper_bound is None:
            return None
        return float(self.upper_bound - self.gains_from_trade)

    def to_frame(self):
        """The allocation table in long form: v, c, z, x per (buyer cell, seller cell)."""
        import pandas as pd

        jj, mm = np.meshgrid(np.arange(self.grid[0]), np.arange(self.grid[1]), indexing="ij")
        return pd.DataFrame(
            {
                "buyer_cell": jj.ravel(),
                "seller_cell": mm.ravel(),
                "v": self.buyer_values[jj.ravel()],
                "c": self.seller_values[mm.ravel()],
                "z": np.asarray(self.z, float).ravel(),
                "x": np.asarray(self.x, float).ravel(),
            }
        )

    def plot(self, ax=None):
        """Heat map of the grid allocation x (x^alpha for the scaling model)."""
        fig, ax = new_figure(ax)
        draw_grid_allocation(ax, self)
        return fig


def quantity(z: np.ndarray, alpha, good) -> np.ndarray:
    """The quantity x of the program variable z (x = z^{1/alpha}; the indivisible z = x)."""
    z = np.maximum(np.asarray(z, dtype=float), 0.0)
    return z ** (1 / float(alpha)) if good == "scaling" else z


def grid_value(z: np.ndarray, gb: TypeGrid, gs: TypeGrid, alpha, good) -> tuple[float, float]:
    """(GFT, budget surplus) of a grid allocation z, in plain numpy."""
    P = np.outer(gb.probs, gs.probs)
    x = quantity(z, alpha, good)
    ws = np.where(np.isfinite(gs.virtual), gs.virtual, 0.0)
    if good == "scaling":
        gft = np.sum(P * (gb.values[:, None] * z - gs.values[None, :] * x))
        bud = np.sum(P * (gb.virtual[:, None] * z - ws[None, :] * x))
    else:
        gft = np.sum(P * (gb.values[:, None] - gs.values[None, :]) * z)
        bud = np.sum(P * (gb.virtual[:, None] - ws[None, :]) * z)
    return float(gft), float(bud)


def program_result(
    z, gb, gs, alpha, good, lam, status, incentive, method, backend, solver, t0, **kw
):
    """A :class:`ProgramResult` for the grid allocation ``z`` (cleaned of solver noise)."""
    z = np.maximum(np.asarray(z, dtype=float), 0.0)
    z[:, ~np.isfinite(gs.virtual)] = 0.0  # cells that can never trade (solver noise)
    if good == "indivisible":
        z = np.minimum(z, 1.0)
    gft, bud = grid_value(z, gb, gs, alpha, good)
    return ProgramResult(
        status=Status(status),
        gains_from_trade=gft,
        lambda_star=float(lam),
        budget_surplus=bud,
        z=z,
        x=quantity(z, alpha, good),
        buyer_values=gb.values,
        buyer_probs=gb.probs,
        buyer_virtual=gb.virtual,
        seller_values=gs.values,
        seller_probs=gs.probs,
        seller_virtual=gs.virtual,
        grid=(gb.size, gs.size),
        alpha=alpha,
        good=good,
        incentive=incentive,
        method=method,
        backend=backend,
        solver=solver,
        seconds=time.perf_counter() - t0,
        **kw,
    )


def cvx_problem(gb: TypeGrid, gs: TypeGrid, alpha, good, monotone: str):
    """Build (problem, z, budget constraint) in cvxpy (not solved).

    ``monotone``: ``"dsic"`` (z nondecreasing in v, nonincreasing in c), ``"buyer"``
    (the buyer's interim allocation nondecreasing: the BIC program without the seller's
    constraint, a convex relaxation) or ``"bic"`` (both interim constraints; linear only
    for the indivisible good).  Objective and budget are multiplied by J*M (cells of
    equal probability then have unit weight); scaling both leaves the budget dual equal
    to lambda*.
    """
    import cvxpy as cp

    J, M = gb.size, gs.size
    P = np.outer(gb.probs, gs.probs) * (J * M)
    never = ~np.isfinite(gs.virtual)
    ws = np.where(never, 0.0, gs.virtual)
    if good == "scaling":
        # z = y s_m with s_m = c_m^{-(k-1)}, the first-best order of z = x^alpha in c:
        # keeps y of order one when costs approach 0 (conditioning of the power cones)
        p = 1 / float(alpha)
        s = gs.values ** (-1 / (p - 1))
        y = cp.Variable((J, M), nonneg=True, name="y")
        z = cp.multiply(y, s[None, :])
        x = cp.multiply(cp.power(y, p), (s**p)[None, :])
        gft = cp.sum(cp.multiply(P * gb.values[:, None], z)) - cp.sum(
            cp.multiply(P * gs.values[None, :], x)
        )
        bud = cp.sum(cp.multiply(P * gb.virtual[:, None], z)) - cp.sum(
            cp.multiply(P * ws[None, :], x)
        )
    else:
        z = cp.Variable((J, M), nonneg=True, name="z")
        gft = cp.sum(cp.multiply(P * (gb.values[:, None] - gs.values[None, :]), z))
        bud = cp.sum(cp.multiply(P * (gb.virtual[:, None] - ws[None, :]), z))
    budget = bud >= 0
    cons = [budget]
    if good == "indivisible":
        cons.append(z <= 1)
    if np.any(never):
        cons.append(z[:, np.nonzero(never)[0]] == 0)
    if monotone == "dsic":
        if J > 1:
            cons.append(z[1:, :] >= z[:-1, :])
        if M > 1:
            cons.append(z[:, 1:] <= z[:, :-1])
    else:
        if J > 1:
            Z = z @ gs.probs
            cons.append(Z[1:] >= Z[:-1])
        if monotone == "bic" and M > 1:
            if good != "indivisible":
                raise ValueError("the seller's interim constraint is convex only for alpha = 1")
            X = gb.probs @ z
            cons.append(X[1:] <= X[:-1])
    return cp.Problem(cp.Maximize(gft), cons), z, budget


def second_best_program(
    buyer,
    seller,
    alpha=None,
    good: str | None = None,
    grid: int | tuple[int, int] = DEFAULT_CELLS,
    solver: str | None = None,
    backend: str | None = None,
    *,
    prefix: str = "",
) -> ProgramResult:
    """Second best with ex-post monotone (DSIC) allocations on a type grid.

    Scaling model (``alpha`` in (0, 1)), with z = x^alpha::

        max  sum_jm pi_j rho_m (v_j z_jm - c_m z_jm^{1/alpha})
        s.t. sum_jm pi_j rho_m (phiB_j z_jm - phiS_m z_jm^{1/alpha}) >= 0   (dual: lambda*)
             z_jm <= z_{j+1,m},  z_jm >= z_{j,m+1},  z >= 0

    Indivisible good (``alpha = 1`` or ``good="indivisible"``): the same linear program in
    the trade probability z in [0, 1].  The budget row is eq. (3) minus eq. (4) (C.2);
    the dual value of it is the multiplier of eq. (9).

    Parameters
    ----------
    buyer, seller : TypeDistribution or TypeGrid
        Value and cost laws; discrete laws are used as given, continuous ones are cut
        into ``grid`` cells (:func:`~.grids.type_grid`).
    alpha : number or str, optional
        Scaling exponent in (0, 1); 1 (or ``good="indivisible"``) for the indivisible good.
    good : {"scaling", "indivisible"}, optional
    grid : int or (int, int)
        Cells per side (buyer, seller) for continuous laws.
    solver : str, optional
        cvxpy solver (any case); default Clarabel (scaling, power cones) or HiGHS (LP).
    backend : {"cvxpy"}, optional
        The program is solved in cvxpy (given for symmetry with the BIC program).
    prefix : str
        How errors name the options (``"solver."`` for model files: ``solver.cells``).

    Returns
    -------
    ProgramResult
        ``status`` ``optimal``, or ``optimal_inaccurate`` with a ``RuntimeWarning``; any
        other solver status raises :class:`~datamech.errors.SolverError`.

    Examples
    --------
    >>> from datamech.models.distributions import Uniform
    >>> r = second_best_program(Uniform(0, 1), Uniform(1, 2), alpha="1/2", grid=20)  # B1
    >>> round(r.gains_from_trade, 3), round(r.lambda_star, 2), r.solver
    (0.057, 0.15, 'Clarabel')
    """
    t0 = time.perf_counter()
    a, g, gb, gs = prepare(
        buyer, seller, alpha, good, grid, field=grid_field(prefix), what="the DSIC program"
    )
    run = choose_backend("program", g, backend, solver, prefix)
    prob, z, budget = cvx_problem(gb, gs, a, g, "dsic")
    status = solve_cvxpy(prob, run.name, what="the bilateral DSIC program")
    lam = float(budget.dual_value)
    return program_result(
        z.value,
        gb,
        gs,
        a,
        g,
        lam,
        status,
        "DSIC",
        "program",
        run.backend,
        run.solver,
        t0,
        advice=INACCURATE_ADVICE if status is Status.OPTIMAL_INACCURATE else "",
    )
