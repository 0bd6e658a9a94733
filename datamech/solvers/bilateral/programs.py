"""Second best of bilateral data trade as mathematical programs on type grids (spec §4.3).

Independent of the Lagrangian root search of :mod:`datamech.solvers.bilateral.core`:

* :func:`second_best_program` (cvxpy): ex-post monotone (DSIC) allocations on a grid of
  buyer and seller types, maximising the gains from trade subject to the budget
  constraint in virtual form (C.2), ``B = E[phi^B x^alpha - phi^S x] >= 0``, whose dual
  value is lambda* of eq. (9).  The scaling model uses ``z = x^alpha`` (concave
  objective, concave budget: spec §4.3); the indivisible good is a linear program.
* :func:`second_best_bic`: the same with *interim* monotonicity (BIC).  For the
  indivisible good this is still a linear program (pyomo + HiGHS, a global optimum).
  For the scaling model the seller's interim constraint ``sum_j pi_j z_{jm}^{1/alpha}``
  nonincreasing in m is nonconvex: a pyomo NLP solved by an interior-point solver
  (ipopt when its executable is on the PATH, else ripopt from the ``pyomo-ripopt`` wheel,
  which the ``nlp`` and ``test`` extras install), or else the convex-concave procedure
  (a sequence of convex cvxpy programs whose iterates stay feasible); all start from the
  DSIC solution and are **local**.  The result also carries a convex upper bound
  (seller interim constraint dropped).

Discretization (:func:`type_grid`).  Discrete laws are used as given, with their exact
discrete virtual values and virtual costs.  A continuous law is cut into ``K`` cells (of
equal probability, except near a seller's zero cost and in unbounded tails, see
:func:`type_grid`) and the program optimises over allocations that are constant on cells
(step functions of the continuous type).  Their gains from trade and budget are
computed *exactly* in the continuous model: the objective weight of a cell is its
conditional mean, and the budget weight is the slope of the revenue curve between the
cell's lower edges (buyer; eq. (3): ``E[phi^B 1{v >= t}] = t (1 - F(t))``) or of the cost
curve between its upper edges (seller; eq. (4): ``E[phi^S 1{c <= t}] = t F(t)``).  So
every grid solution is a feasible mechanism of the continuous problem: the program's
optimum is a lower bound on SB that increases under nested refinement.

Examples
--------
>>> from datamech.models.distributions import Uniform
>>> res = second_best_program(Uniform(0, 1), Uniform(0, 1), good="indivisible", grid=20)
>>> res.status, round(res.gains_from_trade, 4), round(res.lambda_star, 2)
('optimal', 0.14, 0.5)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

import cvxpy as cp
import numpy as np

from ...errors import ModelError, SolverError
from ...models.bilateral import check_laws, resolve_good
from ...models.distributions import PROB_TOL, Discrete, TypeDistribution, _Continuous
from ...results import ResultMixin

DEFAULT_GRID = 40
GRADING = 3.0  # cell refinement near a zero cost and in unbounded tails (type_grid)
_OK = ("optimal", "optimal_inaccurate")


# ------------------------------------------------------------------ type grids
@dataclass(frozen=True)
class TypeGrid:
    """A trader's types on a grid, as the programs use them.

    ``values``: objective weight of each cell (the type itself for a discrete law, the
    conditional mean of the cell for a continuous one); ``probs``: cell probabilities;
    ``virtual``: budget weight (discrete virtual value for the buyer, virtual cost for
    the seller; ``inf`` marks a seller cell that can never trade, e.g. the top cell of an
    unbounded cost law); ``edges``: cell edges (``None`` for discrete laws).

    >>> from datamech.models.distributions import Uniform
    >>> g = type_grid(Uniform(0, 1), 4, "buyer")
    >>> g.values.tolist(), g.virtual.tolist()
    ([0.125, 0.375, 0.625, 0.875], [-0.75, -0.25, 0.25, 0.75])
    """

    values: np.ndarray
    probs: np.ndarray
    virtual: np.ndarray
    role: str
    edges: np.ndarray | None = None

    def __post_init__(self) -> None:
        r = self.role
        if r not in ("buyer", "seller"):
            raise ModelError("role", f"must be buyer or seller, got {r!r}")
        arrs = {}
        for name in ("values", "probs", "virtual"):
            try:
                a = np.asarray(getattr(self, name), dtype=float)
            except (TypeError, ValueError):
                raise ModelError(f"{r}.{name}", "entries must be numbers") from None
            if a.ndim != 1 or a.size == 0:
                raise ModelError(f"{r}.{name}", f"must be a non-empty 1-D array, got {a.shape}")
            arrs[name] = a
        n = arrs["values"].size
        for name in ("probs", "virtual"):
            if arrs[name].size != n:
                raise ModelError(f"{r}.{name}", f"has {arrs[name].size} entries but values has {n}")
        v, p, w = arrs["values"], arrs["probs"], arrs["virtual"]
        if not np.all(np.isfinite(v)):
            raise ModelError(f"{r}.values", "entries must be finite")
        if np.any(p <= 0) or not np.all(np.isfinite(p)):
            raise ModelError(f"{r}.probs", "every cell needs a positive finite probability")
        if abs(p.sum() - 1) > PROB_TOL:
            raise ModelError(f"{r}.probs", f"sum to {p.sum()!r}, not 1")
        if np.any(np.diff(v) <= 0):
            raise ModelError(f"{r}.values", "must be strictly increasing")
        bad = np.isnan(w) | (w == -np.inf) | ((w == np.inf) & (r == "buyer"))
        if np.any(bad):
            raise ModelError(f"{r}.virtual", "entries must be finite (seller: finite or +inf)")
        for name, a in (("values", v), ("probs", p), ("virtual", w)):
            object.__setattr__(self, name, a)

    @property
    def size(self) -> int:
        return int(self.values.size)


def type_grid(
    dist: TypeDistribution | TypeGrid,
    grid: int,
    role: str,
    grading: float = 1.0,
    ends: str = "low",
) -> TypeGrid:
    """Discretize a type law for the programs (see the module docstring).

    Discrete laws are used as given (``grid`` is ignored); continuous families get
    ``grid`` cells (equal probabilities for ``grading = 1``) with exact conditional means
    and exact step-rule virtual weights; other laws (mixtures, truncated equal revenue) are replaced by
    :meth:`~datamech.models.distributions.TypeDistribution.discretize` with ``grid`` cells.

    Parameters
    ----------
    dist : TypeDistribution or TypeGrid
        The law (a ``TypeGrid`` is returned unchanged after a role check).
    grid : int
        Number of cells for a continuous law (>= 1).
    role : {"buyer", "seller"}
    grading : float
        Cell edges at the quantiles g(i/K) with g(t) = t^grading (``ends="low"``),
        1 - (1-t)^grading (``"high"``) or t^grading / (t^grading + (1-t)^grading)
        (``"both"``); 1 gives equal probabilities.  The programs use 3 at the low end
        for a scaling-model seller whose costs reach 0 (the optimal allocation blows up
        like c^{-1/(1-alpha)} there and equal cells converge like K^{-1/2}) and at the
        high end for laws with unbounded support (a coarse top cell otherwise dominates
        the error).  Nested grids (K -> 2K) stay nested.
    ends : {"low", "high", "both"}
        Where the cells are refined.

    Examples
    --------
    >>> from datamech.models.distributions import Uniform
    >>> g = type_grid(Uniform(1, 2), 2, "seller")
    >>> g.values.tolist(), g.virtual.tolist()
    ([1.25, 1.75], [1.5, 2.5])
    """
    if isinstance(dist, TypeGrid):
        if dist.role != role:
            raise ModelError(role, f"got a {dist.role} grid where the {role} grid was expected")
        return dist
    if not isinstance(dist, TypeDistribution):
        raise ModelError(
            role, f"must be a type distribution or TypeGrid, got {type(dist).__name__}"
        )
    if not (isinstance(grading, (int, float)) and math.isfinite(grading) and grading > 0):
        raise ModelError("grading", f"must be a positive number, got {grading!r}")
    if isinstance(dist, Discrete):
        vals = np.asarray(dist.values, dtype=float)
        w = dist.virtual_value(dist.values) if role == "buyer" else dist.virtual_cost(dist.values)
        return TypeGrid(vals, np.asarray(dist.probs, dtype=float), np.asarray(w, float), role)
    if not isinstance(dist, _Continuous):
        return type_grid(dist.discretize(grid=grid), grid, role)
    lo, hi = (float(t) for t in dist.support)
    if ends not in ("low", "high", "both"):
        raise ModelError("ends", f"must be low, high or both, got {ends!r}")
    t = np.arange(1, grid) / grid
    if ends == "low":
        u = t**grading
    elif ends == "high":
        u = 1 - (1 - t) ** grading
    else:
        u = t**grading / (t**grading + (1 - t) ** grading)
    edges = np.concatenate([[lo], np.asarray(dist.quantile(u), dtype=float), [hi]])
    cdf = np.concatenate([[0.0], np.asarray(dist.cdf(edges[1:-1]), dtype=float), [1.0]])
    probs = np.diff(cdf)
    means = np.asarray(dist.partial_mean(edges[:-1], edges[1:]), dtype=float) / probs
    if role == "buyer":
        # revenue points (S(e), e S(e)) at lower edges, S(e) = 1 - F(e)
        rev = np.concatenate([edges[:-1] * (1 - cdf[:-1]), [0.0]])
        virtual = (rev[:-1] - rev[1:]) / probs
    else:
        # cost points (F(e), e F(e)) at upper edges
        with np.errstate(invalid="ignore"):
            cost = np.concatenate([[0.0], edges[1:] * cdf[1:]])
        virtual = np.diff(cost) / probs
        virtual[~np.isfinite(virtual)] = np.inf
    return TypeGrid(means, probs, virtual, role, edges=edges)


def _grid_sizes(grid: Any) -> tuple[int, int]:
    if isinstance(grid, (tuple, list)):
        if len(grid) != 2:
            raise ModelError("grid", f"must be an int or a pair (buyer, seller), got {grid!r}")
        sizes = tuple(grid)
    else:
        sizes = (grid, grid)
    for s in sizes:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1:
            raise ModelError("grid", f"cell counts must be positive integers, got {grid!r}")
    return int(sizes[0]), int(sizes[1])


def _grading(dist: Any, low: bool) -> tuple[float, str]:
    """(grading, ends) the programs use for ``dist`` (see :func:`type_grid`)."""
    high = isinstance(dist, _Continuous) and not math.isfinite(float(dist.support[1]))
    if low and high:
        return GRADING, "both"
    if low or high:
        return GRADING, "low" if low else "high"
    return 1.0, "low"


def _prepare(buyer, seller, alpha, good, grid):
    a, g = resolve_good(alpha, good)
    kb, ks = _grid_sizes(grid)
    laws = [d for d in (buyer, seller) if isinstance(d, TypeDistribution)]
    if len(laws) == 2:
        check_laws(buyer, seller, a, g)
    gb = type_grid(buyer, kb, "buyer", *_grading(buyer, low=False))
    low = g == "scaling" and isinstance(seller, _Continuous) and float(seller.support[0]) == 0
    gs = type_grid(seller, ks, "seller", *_grading(seller, low=low))
    if g == "scaling" and np.any(gs.values <= 0):
        raise ModelError("seller.values", "costs must be positive in the scaling model")
    return a, g, gb, gs


# ------------------------------------------------------------------ results
@dataclass(frozen=True)
class ProgramResult(ResultMixin):
    """Second best on a type grid (spec §4.3), from :func:`second_best_program` or
    :func:`second_best_bic`.

    ``z`` is the program's variable on the grid (rows: buyer cells, columns: seller
    cells): ``x^alpha`` for the scaling model, the trade probability for the indivisible
    good; ``x`` is the quantity.  ``lambda_star`` is the dual value of the budget
    constraint (the multiplier of eq. (9)).  ``local`` is True when the optimum is only
    local (the nonconvex BIC program); ``upper_bound`` is then a convex relaxation's value.
    ``to_frame()`` gives one row per (buyer cell, seller cell).
    """

    _skip_fields: ClassVar[tuple[str, ...]] = ()

    status: str
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
    solver: str
    seconds: float
    local: bool = False
    upper_bound: float = math.nan
    iterations: int = 1
    extra: dict = field(default_factory=dict)

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


def _evaluate(z: np.ndarray, gb: TypeGrid, gs: TypeGrid, alpha, good) -> tuple[float, float]:
    """(GFT, budget surplus) of a grid allocation z, in plain numpy."""
    P = np.outer(gb.probs, gs.probs)
    x = _quantity(z, alpha, good)
    ws = np.where(np.isfinite(gs.virtual), gs.virtual, 0.0)
    if good == "scaling":
        gft = np.sum(P * (gb.values[:, None] * z - gs.values[None, :] * x))
        bud = np.sum(P * (gb.virtual[:, None] * z - ws[None, :] * x))
    else:
        gft = np.sum(P * (gb.values[:, None] - gs.values[None, :]) * z)
        bud = np.sum(P * (gb.virtual[:, None] - ws[None, :]) * z)
    return float(gft), float(bud)


def _quantity(z: np.ndarray, alpha, good) -> np.ndarray:
    z = np.maximum(np.asarray(z, dtype=float), 0.0)
    return z ** (1 / float(alpha)) if good == "scaling" else z


def _result(z, gb, gs, alpha, good, lam, status, incentive, method, solver, t0, **kw):
    z = np.maximum(np.asarray(z, dtype=float), 0.0)
    z[:, ~np.isfinite(gs.virtual)] = 0.0  # cells that can never trade (solver noise)
    if good == "indivisible":
        z = np.minimum(z, 1.0)
    gft, bud = _evaluate(z, gb, gs, alpha, good)
    return ProgramResult(
        status=status,
        gains_from_trade=gft,
        lambda_star=float(lam),
        budget_surplus=bud,
        z=z,
        x=_quantity(z, alpha, good),
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
        solver=solver,
        seconds=time.perf_counter() - t0,
        **kw,
    )


# ------------------------------------------------------------------ cvxpy (DSIC)
def _cvx_problem(gb: TypeGrid, gs: TypeGrid, alpha, good, interim_buyer: bool, dsic: bool):
    """Build (problem, z, budget constraint, fixed-zero mask) in cvxpy (not solved).

    Objective and budget are multiplied by J*M (cells of equal probability then have unit
    weight); scaling both leaves the budget dual equal to lambda*.
    """
    J, M = gb.size, gs.size
    scale = J * M
    P = np.outer(gb.probs, gs.probs) * scale
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
    if dsic:
        if J > 1:
            cons.append(z[1:, :] >= z[:-1, :])
        if M > 1:
            cons.append(z[:, 1:] <= z[:, :-1])
    elif interim_buyer and J > 1:
        Z = z @ gs.probs
        cons.append(Z[1:] >= Z[:-1])
    return cp.Problem(cp.Maximize(gft), cons), z, budget, scale


def _solve_cvx(prob: cp.Problem, solver: str, **kw) -> str:
    if solver not in cp.installed_solvers():
        raise ModelError(
            "solver", f"{solver!r} is not an installed cvxpy solver ({cp.installed_solvers()})"
        )
    try:
        prob.solve(solver=solver, **kw)
    except cp.error.SolverError as exc:
        raise SolverError("solver_error", f"{solver}: {exc}") from None
    if prob.status not in _OK:
        raise SolverError(str(prob.status), f"{solver} on the bilateral grid program")
    return str(prob.status)


def _default_solver(good: str) -> str:
    return "HIGHS" if good == "indivisible" else "CLARABEL"


def second_best_program(
    buyer,
    seller,
    alpha=None,
    good: str | None = None,
    grid: int | tuple[int, int] = DEFAULT_GRID,
    solver: str | None = None,
) -> ProgramResult:
    """Second best with ex-post monotone (DSIC) allocations on a type grid (spec §4.3).

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
        into ``grid`` cells (:func:`type_grid`).
    alpha : number or str, optional
        Scaling exponent in (0, 1); 1 (or ``good="indivisible"``) for the indivisible good.
    good : {"scaling", "indivisible"}, optional
    grid : int or (int, int)
        Cells per side (buyer, seller) for continuous laws.
    solver : str, optional
        cvxpy solver name; default Clarabel (scaling, power cones) or HiGHS (LP).

    Returns
    -------
    ProgramResult
        ``status`` "optimal" (or "optimal_inaccurate"); any other solver status raises
        :class:`~datamech.errors.SolverError`.

    Examples
    --------
    >>> from datamech.models.distributions import Uniform
    >>> r = second_best_program(Uniform(0, 1), Uniform(1, 2), alpha="1/2", grid=20)  # B1
    >>> round(r.gains_from_trade, 3), round(r.lambda_star, 2)
    (0.057, 0.15)
    """
    t0 = time.perf_counter()
    a, g, gb, gs = _prepare(buyer, seller, alpha, good, grid)
    solver = solver or _default_solver(g)
    prob, z, budget, _ = _cvx_problem(gb, gs, a, g, interim_buyer=False, dsic=True)
    status = _solve_cvx(prob, solver)
    lam = float(budget.dual_value)
    return _result(z.value, gb, gs, a, g, lam, status, "DSIC", "cvxpy", solver, t0)


# ------------------------------------------------------------------ BIC
def second_best_bic(
    buyer,
    seller,
    alpha=None,
    good: str | None = None,
    grid: int | tuple[int, int] = DEFAULT_GRID,
    solver: str | None = None,
    max_iter: int = 50,
    tol: float = 1e-9,
) -> ProgramResult:
    """Second best with interim monotone (BIC) allocations on a type grid (spec §4.3).

    The buyer's interim allocation ``sum_m rho_m z_jm`` must be nondecreasing in j and
    the seller's ``sum_j pi_j x_jm`` nonincreasing in m.

    * Indivisible good: both constraints are linear; a pyomo LP solved by HiGHS
      (``solver="appsi_highs"``), a global optimum (``local=False``).
    * Scaling model: the seller constraint ``sum_j pi_j z_jm^{1/alpha}`` nonincreasing
      is nonconvex.  ``solver="ipopt"`` or ``"ripopt"`` (the program in pyomo, solved
      locally by that interior-point NLP solver; the default is the first one
      available) or ``solver="ccp"`` (the convex-concave procedure: linearise the
      right-hand side at the current point, which restricts the feasible set, and solve
      the convex program with Clarabel; every iterate is feasible and the GFT never
      decreases; the default when no NLP solver is installed).  All start from the DSIC
      solution of :func:`second_best_program`; an NLP answer is checked for feasibility
      (budget and both interim constraints to 1e-7, else SolverError) and replaced by
      the DSIC start should it be worse, so the value is >= the DSIC value.  The result
      is labelled ``local=True`` and ``upper_bound`` is the convex relaxation without
      the seller's interim constraint (for regular laws it equals the DSIC value: then
      BIC = DSIC is certified).

    Parameters
    ----------
    buyer, seller, alpha, good, grid
        As in :func:`second_best_program`.
    solver : {"appsi_highs", "ipopt", "ripopt", "ccp"}, optional
    max_iter, tol : int, float
        CCP iteration limit and stopping tolerance on the GFT improvement.

    Examples
    --------
    >>> from datamech.models.distributions import Uniform
    >>> r = second_best_bic(Uniform(0, 1), Uniform(0, 1), good="indivisible", grid=8)
    >>> r.local, round(r.gains_from_trade, 6) >= 0.13
    (False, True)
    """
    t0 = time.perf_counter()
    a, g, gb, gs = _prepare(buyer, seller, alpha, good, grid)
    if g == "indivisible":
        solver = solver or "appsi_highs"
        if solver != "appsi_highs":
            raise ModelError("solver", f"the indivisible BIC LP uses appsi_highs, got {solver!r}")
        z, lam, status = _pyomo_lp_bic(gb, gs)
        return _result(z, gb, gs, a, g, lam, status, "BIC", "pyomo", solver, t0)
    if solver is None:
        solver = next((name for name in NLP_SOLVERS if nlp_available(name)), "ccp")
    if solver not in (*NLP_SOLVERS, "ccp"):
        raise ModelError(
            "solver", f"must be ipopt, ripopt or ccp for the scaling model, got {solver!r}"
        )
    if solver != "ccp" and not nlp_available(solver):
        raise ModelError(
            "solver",
            f"{solver} is not installed (ripopt: pip install 'datamech[nlp]'; or use ccp)",
        )
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise ModelError("max_iter", f"must be a positive integer, got {max_iter!r}")
    if not (isinstance(tol, (int, float)) and tol > 0):
        raise ModelError("tol", f"must be positive, got {tol!r}")
    dsic = second_best_program(gb, gs, alpha=a, good=g)
    relax, _, _, _ = _cvx_problem(gb, gs, a, g, interim_buyer=True, dsic=False)
    _solve_cvx(relax, "CLARABEL")
    upper = float(relax.value) / (gb.size * gs.size)
    if solver != "ccp":
        z, lam, status, its = _pyomo_nlp_bic(gb, gs, a, dsic, solver)
        method = "pyomo"
    else:
        z, lam, status, its = _ccp_bic(gb, gs, a, dsic.z, max_iter, tol)
        method = "ccp"
    res = _result(
        z,
        gb,
        gs,
        a,
        g,
        lam,
        status,
        "BIC",
        method,
        solver,
        t0,
        local=True,
        upper_bound=upper,
        iterations=its,
        extra={"dsic_gains_from_trade": dsic.gains_from_trade},
    )
    return res


def _ccp_bic(gb, gs, alpha, z0, max_iter, tol):
    """Convex-concave procedure for the scaling BIC program, started at the DSIC ``z0``."""
    J, M = gb.size, gs.size
    p = 1 / float(alpha)
    prob_lin = None
    zt = np.asarray(z0, dtype=float).copy()
    prev = _evaluate(zt, gb, gs, alpha, "scaling")[0]
    lam, status, its = math.nan, "optimal", 0
    slope = cp.Parameter((J, M), nonneg=True, name="slope")
    offset = cp.Parameter((J, M), name="offset")
    prob, z, budget, _ = _cvx_problem(gb, gs, alpha, "scaling", interim_buyer=True, dsic=False)
    if M > 1:
        # X_{m+1}(z) <= X_m(z^t) + grad X_m(z^t) (z - z^t), X_m(z) = sum_j pi_j z_jm^p
        X = gb.probs @ cp.power(z, p)
        lin = gb.probs @ (cp.multiply(slope, z) + offset)
        prob_lin = cp.Problem(prob.objective, [*prob.constraints, X[1:] <= lin[:-1]])
    for its in range(1, max_iter + 1):  # noqa: B007
        if prob_lin is None:
            status = _solve_cvx(prob, "CLARABEL")
        else:
            zc = np.maximum(zt, 0.0)
            slope.value = p * zc ** (p - 1)
            offset.value = (1 - p) * zc**p
            status = _solve_cvx(prob_lin, "CLARABEL")
        lam = float(budget.dual_value)
        zn = np.maximum(np.asarray(z.value, dtype=float), 0.0)
        val = _evaluate(zn, gb, gs, alpha, "scaling")[0]
        if val >= prev - 1e-12 * max(1.0, abs(prev)):
            zt = zn
        improved = val - prev
        prev = max(prev, val)
        if prob_lin is None or improved <= tol * max(1.0, abs(prev)):
            break
    return zt, lam, status, its


NLP_SOLVERS = ("ipopt", "ripopt")  # pyomo NLP solvers for the scaling BIC program


def nlp_available(name: str) -> bool:
    """Whether pyomo can run the NLP solver ``name`` (ripopt registers on import)."""
    try:
        import pyomo.environ as pe

        if name == "ripopt":
            import pyomo_ripopt  # noqa: F401  (registers the solver with pyomo)
        return bool(pe.SolverFactory(name).available(exception_flag=False))
    except Exception:  # not installed, or a broken plugin
        return False


def _pyomo_nlp_bic(gb, gs, alpha, dsic, name):
    """The nonconvex scaling BIC program in pyomo, solved locally by ``name`` from the
    DSIC solution; returns (z, lambda, status, iterations)."""
    import pyomo.environ as pe

    z0 = dsic.z
    p = 1 / float(alpha)
    m, J, M = _pyomo_base(gb, gs)
    m.z = pe.Var(m.J, m.M, within=pe.NonNegativeReals, initialize=lambda _, j, k: z0[j, k])

    def x(j, k):
        return m.z[j, k] ** p

    P = np.outer(gb.probs, gs.probs) * J * M
    ws = np.where(np.isfinite(gs.virtual), gs.virtual, 0.0)
    m.obj = pe.Objective(
        expr=sum(
            P[j, k] * (gb.values[j] * m.z[j, k] - gs.values[k] * x(j, k)) for j in m.J for k in m.M
        ),
        sense=pe.maximize,
    )
    m.budget = pe.Constraint(
        expr=sum(P[j, k] * (gb.virtual[j] * m.z[j, k] - ws[k] * x(j, k)) for j in m.J for k in m.M)
        >= 0
    )
    _pyomo_interim(m, gb, gs, lambda j, k: m.z[j, k], x)
    for k in m.M:
        if not np.isfinite(gs.virtual[k]):
            for j in m.J:
                m.z[j, k].fix(0.0)
    res = pe.SolverFactory(name).solve(m, load_solutions=False)
    term = str(res.solver.termination_condition)
    if term not in ("optimal", "locallyOptimal"):
        raise SolverError(term, f"{name} on the bilateral BIC program")
    m.solutions.load_from(res)
    z = np.maximum(np.array([[pe.value(m.z[j, k]) for k in m.M] for j in m.J]), 0.0)
    gft, budget = _evaluate(z, gb, gs, alpha, "scaling")
    xz = z**p
    worst = max(
        -budget,
        float(np.max(-np.diff(z @ gs.probs), initial=0.0)),  # buyer interim nondecreasing
        float(np.max(np.diff(gb.probs @ xz), initial=0.0)),  # seller interim nonincreasing
    )
    if worst > 1e-7 * max(1.0, abs(gft)):
        raise SolverError("infeasible", f"{name} returned a point violating BIC by {worst:.2e}")
    if gft < dsic.gains_from_trade:
        return z0, dsic.lambda_star, "locally_optimal (DSIC start kept)", 1
    # pyomo reports the dual of a >= row of a maximisation as <= 0
    return z, abs(float(m.dual[m.budget])), "locally_optimal", 1


def _pyomo_base(gb, gs):
    import pyomo.environ as pe

    m = pe.ConcreteModel()
    J, M = gb.size, gs.size
    m.J, m.M = pe.RangeSet(0, J - 1), pe.RangeSet(0, M - 1)
    m.dual = pe.Suffix(direction=pe.Suffix.IMPORT)
    return m, J, M


def _pyomo_interim(m, gb, gs, zfun, xfun):
    import pyomo.environ as pe

    J, M = gb.size, gs.size
    m.buyer_interim = pe.Constraint(
        pe.RangeSet(0, J - 2),
        rule=lambda _, j: sum(gs.probs[k] * (zfun(j + 1, k) - zfun(j, k)) for k in range(M)) >= 0,
    )
    m.seller_interim = pe.Constraint(
        pe.RangeSet(0, M - 2),
        rule=lambda _, k: sum(gb.probs[j] * (xfun(j, k) - xfun(j, k + 1)) for j in range(J)) >= 0,
    )


def _pyomo_lp_bic(gb: TypeGrid, gs: TypeGrid):
    """The indivisible-good BIC linear program in pyomo, solved by HiGHS (appsi)."""
    import pyomo.environ as pe

    m, J, M = _pyomo_base(gb, gs)
    P = np.outer(gb.probs, gs.probs) * J * M
    ws = np.where(np.isfinite(gs.virtual), gs.virtual, 0.0)
    m.x = pe.Var(m.J, m.M, bounds=(0, 1))
    m.obj = pe.Objective(
        expr=sum(
            float(P[j, k] * (gb.values[j] - gs.values[k])) * m.x[j, k] for j in m.J for k in m.M
        ),
        sense=pe.maximize,
    )
    m.budget = pe.Constraint(
        expr=sum(float(P[j, k] * (gb.virtual[j] - ws[k])) * m.x[j, k] for j in m.J for k in m.M)
        >= 0
    )
    if J > 1 or M > 1:
        _pyomo_interim(m, gb, gs, lambda j, k: m.x[j, k], lambda j, k: m.x[j, k])
    for k in m.M:
        if not np.isfinite(gs.virtual[k]):
            for j in m.J:
                m.x[j, k].fix(0.0)
    opt = pe.SolverFactory("appsi_highs")
    res = opt.solve(m, load_solutions=False)
    term = str(res.solver.termination_condition)
    if term != "optimal":
        raise SolverError(term, "HiGHS on the bilateral BIC linear program")
    m.solutions.load_from(res)
    z = np.array([[pe.value(m.x[j, k]) for k in m.M] for j in m.J])
    # pyomo reports the dual of a >= row of a maximisation as <= 0
    return z, abs(float(m.dual[m.budget])), "optimal"
