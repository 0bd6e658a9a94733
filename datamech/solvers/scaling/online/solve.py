"""Solve (``optimal``) or evaluate (the other mechanisms) a model of kind ``online``.

>>> import datamech as dm
>>> res = solve_online(dm.load("examples/models/online_i3.toml"))
>>> res.expected_profit, res.online_optimum, res.offline_optimum, res.status.value
(Fraction(215, 144), Fraction(3307, 1960), Fraction(13, 7), 'evaluated')
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from ....status import Status
from ..common import check_float_range, log10_production, numerical_guard, pw
from ..offline import OfflineMechanism
from .bounds import two_stage_guarantee
from .dp import GRID, check_bounds, check_grid
from .mechanism import MC_PATHS, OnlineMechanism
from .result import OnlineResult

__all__ = ["MAX_PATH_BUYERS", "MAX_TABLE_TYPES", "solve_online"]

MAX_PATH_BUYERS = 50  #: the sample path is reported up to this many buyers
MAX_TABLE_TYPES = 200  #: per-type tables for discrete buyers with at most this many types


def solve_online(
    model: Any,
    method: str = "auto",
    samples: int = MC_PATHS,
    seed: int = 0,
    grid: int | None = None,
    benchmarks: bool = True,
    path: bool = True,
) -> OnlineResult:
    """Solve (``optimal``) or evaluate an online model (Section 3).

    Parameters
    ----------
    model : OnlineModel
        Buyers in arrival order, ``alpha``, ``cost``, ``mechanism``, ``delta``,
        ``allocate`` (and optionally ``grid``).
    method : str
        Expected-profit method: ``auto`` | ``exact`` | ``quad`` | ``mc``.
    samples, seed : int
        Monte Carlo size and seed (``mc``; the sample path uses ``seed`` too).
    grid : int, optional
        Grid size of the optimal DP for continuous laws (default: the model's
        ``grid``, else 20,000).
    benchmarks : bool
        Also compute ONL and OFFL (the ratios).
    path : bool
        Report a seeded sample path with online payments (up to 50 buyers).

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    """
    t0 = time.perf_counter()
    field = "solver.grid" if grid is not None else "model.grid"
    if grid is None:
        grid = getattr(model, "grid", None) or GRID
    check_grid(grid, 1, field)
    dists = list(model.buyers)
    with numerical_guard("the online solve"):
        mech = OnlineMechanism(
            dists,
            model.alpha,
            model.cost,
            model.mechanism,
            delta=model.delta,
            allocate=model.allocate,
            grid=grid,
        )
        level = log10_production(mech.laws, mech.k, mech.ratio)
        check_float_range(level, "buyers", "production levels ((alpha/c) sum r)^k")
        if mech.dp_method == "grid" and (model.mechanism == "optimal" or benchmarks):
            check_grid(grid, len(dists), field)
        return _solve(model, mech, method, samples, seed, benchmarks, path, t0)


def _solve(
    model: Any,
    mech: OnlineMechanism,
    method: str,
    samples: int,
    seed: int,
    benchmarks: bool,
    path: bool,
    t0: float,
) -> OnlineResult:
    dists = mech.dists
    est = mech.expected_profit(method=method, samples=samples, seed=seed)
    levels = mech.expected_levels()
    if model.mechanism == "optimal" and est.method != "mc":
        onl, onl_err = est.value, est.abserr
    elif model.mechanism == "optimal":
        oe = mech.expected_profit()
        onl, onl_err = oe.value, oe.abserr
    elif benchmarks:
        oe = mech.optimal_counterpart().expected_profit()
        onl, onl_err = oe.value, oe.abserr
    else:
        onl, onl_err = None, 0.0
    offl, offl_err = None, 0.0
    if benchmarks:
        off = OfflineMechanism(dists, model.alpha, model.cost).expected_profit()
        offl, offl_err = off.value, off.abserr
    check_bounds(est, onl, onl_err, offl, offl_err)
    ratio_on = float(est.value) / float(onl) if onl else math.nan
    ratio_off = float(est.value) / float(offl) if offl else math.nan
    guarantee = None
    if model.mechanism == "two_stage" and model.delta is None:
        guarantee = two_stage_guarantee(mech.alpha)
    buyers = [_buyer(mech, i) for i in range(len(dists))]
    sample = []
    if path and len(dists) <= MAX_PATH_BUYERS:
        rng = np.random.default_rng(seed)
        v = [_draw(d, rng) for d in dists]
        sample = [rd.to_dict() for rd in mech.run(v)]
    return OnlineResult(
        status=Status.OPTIMAL
        if model.mechanism == "optimal" and est.method != "mc"
        else Status.EVALUATED,
        expected_profit=est.value,
        method=est.method,
        backend="none",
        solver="none",
        seconds=time.perf_counter() - t0,
        mechanism=model.mechanism,
        stderr=est.stderr,
        abserr=est.abserr,
        formulation=_formulation(mech, est.method),
        expected_production=levels[-1],
        pre_production=mech.pre_production,
        expected_levels=levels,
        online_optimum=onl,
        online_abserr=onl_err,
        offline_optimum=offl,
        offline_abserr=offl_err,
        ratio_to_online=ratio_on,
        ratio_to_offline=ratio_off,
        guarantee=guarantee,
        alpha=model.alpha,
        cost=model.cost,
        delta=mech.delta if model.mechanism == "two_stage" else None,
        allocate=model.allocate,
        buyers=buyers,
        sample_path=sample,
        mech=mech,
    )


def _formulation(mech: OnlineMechanism, method: str) -> str:
    if mech.mechanism == "optimal":
        dp = (
            "exact piecewise dynamic program"
            if mech.dp_method == "exact"
            else f"grid dynamic program on {mech.grid:,} points"
        )
        text = f"Proposition 3.1, {dp}"
        return text + ("; its policy simulated" if method == "mc" else "")
    return {
        "two_stage": "Algorithm 1 (two-stage), its profit evaluated",
        "greedy": f"myopic greedy (allocate = {mech.allocate}), its profit evaluated",
        "non_adaptive": "non-adaptive production (Theorem 3.3), its profit evaluated",
    }[mech.mechanism]


def _buyer(mech: OnlineMechanism, i: int) -> dict[str, Any]:
    """Buyer i's law, E[r], reserve price, rule, and (discrete types) the table of r,
    target, allocation and payment at the level D_0."""
    d = mech.dists[i]
    entry: dict[str, Any] = {
        "family": d.family,
        "mean_r": mech.means[i],
        "reserve_price": d.reserve_price(),
        "rule": "x = x_MG(r)" if not mech.allocate_all else "x = 1[r > 0] max(D_prev, target(r))",
    }
    if d.discrete and hasattr(d, "values") and len(d.values) <= MAX_TABLE_TYPES:
        rows = []
        for v in d.values:
            r = d.r(v)
            _, xs = mech.allocation(i, mech.s0, r)
            rows.append(
                {
                    "v": v,
                    "r": r,
                    "target": pw(mech.target_s(i, r), mech.k),
                    "x": pw(xs, mech.k),
                    "p": mech.payment(i, mech.s0, v),
                }
            )
        entry["state"] = "D_prev = D_0"
        entry["table"] = rows
    return entry


def _draw(d: Any, rng: np.random.Generator) -> Any:
    """One type from ``d`` (exact values kept for discrete laws)."""
    if not (d.discrete and hasattr(d, "values")):
        return d.sample(1, rng)[0]
    cum = np.cumsum(np.asarray(d.probs, float))
    j = int(np.searchsorted(cum, rng.random(), side="right").clip(0, len(d.values) - 1))
    return d.values[j]
