"""The centralized welfare benchmark (spec §3, (B1)/(B2)) as a cvxpy convex program.

(B1) maximize  Σ_i θ_i(Σ_{j:(i,j)∈E} x_ij) + Σ_j ρ_j (Q_j − Σ_i x_ij)
     s.t.      Σ_{i:(i,j)∈E} x_ij <= Q_j   (dual λ_j: seller j's clearing price)
               x >= 0

with ρ_j the sellers' retention values (default 0).  For a route market (spec §3 (B3),
network utility maximization) the variables are one flow x_i per buyer on its route r_i:

(B3) maximize  Σ_i θ_i(x_i) + Σ_l ρ_l (Q_l − Σ_{i: l ∈ r_i} x_i)
     s.t.      Σ_{i: l ∈ r_i} x_i <= Q_l   (dual λ_l: link l's price)

(:func:`route_allocation`; at the optimum θ_i'(x_i) = Σ_{l ∈ r_i} λ_l where x_i > 0).
The duals λ_j are the prices;
at the optimum θ_i'(z_i) = λ_j wherever x_ij > 0 and θ_i'(z_i) <= λ_j on every edge
(spec §3 "Duals").  :func:`market_clearing_price` is the pooled price (B2) u* =
inf{u >= r : Σ_i d_i(u) <= Σ_j Q_j}, found by bisection on the demands, independently
of the solver.

Examples
--------
>>> from datamech.models.psp import PSPModel
>>> from datamech.models.psp_valuations import QuadraticValuation as Qv
>>> m = PSPModel([10.0], ("a", "b"), (Qv(1.0, 10.0), Qv(1.0, 6.0)), 0.1, reserve=[0.0])
>>> b = efficient_allocation(m)
>>> b.status.value, b.solver, [round(float(x), 4) for x in b.z], round(float(b.prices[0]), 4)
('optimal', 'Clarabel', [7.0, 3.0], 3.0)
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ...backends import cvxpy_solver, solve_cvxpy, solver_display
from ...models.psp import PSPModel
from ...models.psp_valuations import (
    LinearCappedValuation,
    LogValuation,
    PiecewiseLinearValuation,
    QuadraticValuation,
)
from ...results import ResultMixin
from ...status import Status


@dataclass(frozen=True, repr=False)
class Benchmark(ResultMixin):
    """Welfare-maximizing allocation: x (n, J), totals z, welfare W*, duals λ, u*.

    ``status`` is ``optimal`` or ``optimal_inaccurate`` (the solver flagged its answer;
    a ``RuntimeWarning`` was issued); ``solver`` is the solver that ran.

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.
    """

    status: Status
    welfare: float
    x: np.ndarray
    z: np.ndarray
    prices: np.ndarray
    clearing_price: float
    solver: str
    seconds: float


def _objective(model: PSPModel, z):
    """Σ_i θ_i(z_i) as one DCP expression, vectorized per valuation family."""
    import cvxpy as cp

    groups: dict[type, list[int]] = {}
    for i, v in enumerate(model.valuations):
        groups.setdefault(type(v), []).append(i)
    terms = []
    for typ, idx in groups.items():
        vals = [model.valuations[i] for i in idx]
        zz = z[idx]
        if typ is QuadraticValuation:
            k = np.array([v.kappa for v in vals])
            qb = np.array([v.qbar for v in vals])
            # κ(q̄ z − z²/2), exact at the optimum (see QuadraticValuation.cvxpy_expr)
            terms.append(k * qb @ zz - cp.sum(cp.multiply(k / 2.0, cp.square(zz))))
        elif typ is LogValuation:
            w = np.array([v.w for v in vals])
            a = np.array([v.a for v in vals])
            terms.append(w @ cp.log(1 + cp.multiply(1.0 / a, zz)))
        elif typ is LinearCappedValuation:
            pr = np.array([v.price for v in vals])
            cap = np.array([v.cap for v in vals])
            terms.append(pr @ cp.minimum(zz, cap))
        else:  # PiecewiseLinearValuation and anything else: one expression per buyer
            terms.extend(v.cvxpy_expr(z[i]) for i, v in zip(idx, vals, strict=True))
    return cp.sum(cp.hstack(terms)) if len(terms) > 1 else terms[0]


def _is_lp(model: PSPModel) -> bool:
    return all(
        isinstance(v, (LinearCappedValuation, PiecewiseLinearValuation)) for v in model.valuations
    )


def efficient_allocation(
    model: PSPModel, solver: str | None = None, time_limit: float | None = None
) -> Benchmark:
    """Maximize welfare over the buyer–seller graph with cvxpy (route market: network utility
    maximization).

    Parameters
    ----------
    model : PSPModel
    solver : str, optional
        The numerical solver (``"highs"``, ``"clarabel"``, ... any installed cvxpy
        solver, any case); default HiGHS for LPs (linear-capped and piecewise-linear
        valuations) and Clarabel otherwise.
    time_limit : float, optional
        Seconds for the solver.

    Returns
    -------
    Benchmark
        ``prices`` are the duals λ_j of the supply constraints; with degenerate
        supply = demand they are one point of an interval (as on the draft's worked example).

    Raises
    ------
    SolverError
        If the solver finds no solution (infeasible, unbounded, failed); an inaccurate
        solution gives status ``optimal_inaccurate`` and a ``RuntimeWarning``
        (:func:`datamech.backends.solve_cvxpy`, the one policy).

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.
    """
    import cvxpy as cp
    import scipy.sparse as sps

    if model.is_route:
        return route_allocation(model, solver=solver, time_limit=time_limit)
    t0 = time.perf_counter()
    E = model.edges
    n, J = E.shape
    bi, sj = np.nonzero(E)
    m = bi.size
    A_b = sps.csr_matrix((np.ones(m), (bi, np.arange(m))), shape=(n, m))
    A_s = sps.csr_matrix((np.ones(m), (sj, np.arange(m))), shape=(J, m))
    x = cp.Variable(m, nonneg=True)
    z = A_b @ x
    Q = np.asarray(model.supply, dtype=float)
    ret = np.asarray(model.retention, dtype=float)
    supply = A_s @ x <= Q
    obj = _objective(model, z) + ret @ (Q - A_s @ x)
    prob = cp.Problem(cp.Maximize(obj), [supply])
    name = cvxpy_solver(solver, "HIGHS" if _is_lp(model) else "CLARABEL")
    status = solve_cvxpy(prob, name, what="the welfare benchmark (B1)", time_limit=time_limit)
    xv = np.zeros((n, J))
    xv[bi, sj] = np.maximum(x.value, 0.0)
    zv = xv.sum(axis=1)
    welfare = float(
        sum(v.value(zv[i]) for i, v in enumerate(model.valuations)) + ret @ (Q - xv.sum(axis=0))
    )
    dual = supply.dual_value  # None when the solver returns no duals
    lam = np.full(J, np.nan) if dual is None else np.maximum(np.asarray(dual, float).reshape(J), 0)
    u_star = market_clearing_price(model.valuations, float(Q.sum()), float(np.min(ret)))
    return Benchmark(
        status=status,
        welfare=welfare,
        x=xv,
        z=zv,
        prices=lam,
        clearing_price=u_star,
        solver=solver_display(name),
        seconds=time.perf_counter() - t0,
    )


def route_allocation(
    model: PSPModel, solver: str | None = None, time_limit: float | None = None
) -> Benchmark:
    """Network utility maximization of a route market with cvxpy.

    Returns a :class:`Benchmark` whose ``z`` are the flows x_i, ``x`` puts x_i on every
    link of buyer i's route, and ``prices`` are the link duals λ_l (at the optimum
    θ_i'(x_i) = Σ_{l ∈ r_i} λ_l where x_i > 0, and <= where x_i = 0).

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.

    Examples
    --------
    Two links of 10; "long" (θ' = 0.2 (20 − x)) crosses both, "a" (0.1 (20 − x)) uses the
    first, "b" (0.1 (30 − x)) the second: θ_long' = λ_1 + λ_2 with x_a = x_b = 10 − x_long
    gives x = (2.5, 7.5, 7.5), λ = (1.25, 2.25), W* = 41.25.

    >>> from datamech.models.psp import PSPModel
    >>> from datamech.models.psp_valuations import QuadraticValuation as Qv
    >>> m = PSPModel([10.0, 10.0], ("long", "a", "b"),
    ...     (Qv(0.2, 20.0), Qv(0.1, 20.0), Qv(0.1, 30.0)), 0.01, market="route",
    ...     edges=[[True, True], [True, False], [False, True]])
    >>> b = route_allocation(m)
    >>> b.z.round(5).tolist(), b.prices.round(5).tolist(), round(b.welfare, 5)
    ([2.5, 7.5, 7.5], [1.25, 2.25], 41.25)
    """
    import cvxpy as cp
    import scipy.sparse as sps

    t0 = time.perf_counter()
    E = np.asarray(model.edges, dtype=bool)
    n, J = E.shape
    R = sps.csr_matrix(E.T.astype(float))  # link x buyer incidence of the routes
    x = cp.Variable(n, nonneg=True)
    Q = np.asarray(model.supply, dtype=float)
    ret = np.asarray(model.retention, dtype=float)
    capacity = R @ x <= Q
    prob = cp.Problem(cp.Maximize(_objective(model, x) + ret @ (Q - R @ x)), [capacity])
    name = cvxpy_solver(solver, "HIGHS" if _is_lp(model) else "CLARABEL")
    status = solve_cvxpy(prob, name, what="the route benchmark (B3)", time_limit=time_limit)
    z = np.maximum(np.asarray(x.value, dtype=float).reshape(n), 0.0)
    used = R @ z
    welfare = float(sum(v.value(z[i]) for i, v in enumerate(model.valuations)) + ret @ (Q - used))
    dual = capacity.dual_value
    lam = np.full(J, np.nan) if dual is None else np.maximum(np.asarray(dual, float).reshape(J), 0)
    u_star = market_clearing_price(model.valuations, float(Q.sum()), float(np.min(ret)))
    return Benchmark(
        status=status,
        welfare=welfare,
        x=np.where(E, z[:, None], 0.0),
        z=z,
        prices=lam,
        clearing_price=u_star,
        solver=solver_display(name),
        seconds=time.perf_counter() - t0,
    )


def market_clearing_price(valuations, Q: float, reserve: float = 0.0, tol: float = 1e-12) -> float:
    """Pooled clearing price u* = inf{u >= r : Σ_i d_i(u) <= Q} (the pooled single-resource
    benchmark).

    d_i(u) = sup{z : θ_i'(z) > u} is non-increasing, so bisection on u is exact up to
    ``tol`` (step demands included).

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.

    Examples
    --------
    >>> from datamech.models.psp_valuations import QuadraticValuation as Qv
    >>> vals = [Qv(p / (2 * d), 2 * d) for p, d in
    ...         [(1, 50), (1.2, 40), (1.5, 26), (2, 20), (2.2, 14)]]
    >>> round(market_clearing_price(vals, 150.0), 7)  # quadratic surrogate: 150 / 234.060606
    0.6408597
    """

    def excess(u: float) -> float:
        return float(sum(v.demand(u) for v in valuations)) - Q

    if excess(reserve) <= 0:
        return float(reserve)
    lo, hi = float(reserve), max(v.theta_prime0 for v in valuations)
    while hi - lo > tol * max(1.0, hi):
        mid = 0.5 * (lo + hi)
        if excess(mid) <= 0:
            hi = mid
        else:
            lo = mid
    return hi
