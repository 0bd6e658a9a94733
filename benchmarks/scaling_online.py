"""Online DP (Proposition 3.1): grid size vs error vs time (spec 003 item 9).

For each instance the grid DP runs at several grid sizes G; the table shows the value,
the true error against the exact ONL (closed form or the exact piecewise DP), the
reported error estimate |V_G - V_{G/2}| + |V_G - V_{G/4}|/4 and the seconds (the three
grid solves included).  A second table solves n i.i.d. U[0,1] buyers (optimal and
two-stage mechanisms, with the benchmarks ONL and OFFL) for n up to 2,000 through
``dm.solve``.  Run from the repository root:
``python -m benchmarks.scaling_online`` (or ``PYTHONPATH=. python benchmarks/scaling_online.py``).
"""

from __future__ import annotations

import time
from fractions import Fraction as Fr

import datamech as dm
from datamech.models.distributions import Discrete, Exponential, Uniform
from datamech.models.scaling import OnlineModel
from datamech.solvers.scaling import instances as inst
from datamech.solvers.scaling.online import OnlineDP

GRIDS = (1_000, 4_000, 20_000, 100_000, 200_000)
BUYERS = (20, 200, 2_000)


def cases():
    i3 = Discrete([1, 2, 3], [Fr(3, 5), Fr(1, 10), Fr(3, 10)])
    yield "U2 (2 x U[0,1], a=1/2)", [Uniform(0, 1)] * 2, 0.5, 1.0, 797 / 7680
    yield "U5 (5 x U[0,1], a=1/2)", [Uniform(0, 1)] * 5, 0.5, 1.0, None
    yield "I3 (2 buyers, a=1/2)", [i3, i3], 0.5, 1.0, 3307 / 1960
    m = inst.thm36(10, Fr(4, 5))
    yield "I_10 (a=4/5)", list(m.buyers), 0.8, 0.8, float(inst.onl_In(10, Fr(4, 5)))
    yield "Exp(1) x 3 (a=2/3)", [Exponential(1)] * 3, 2 / 3, 1.0, None


def main() -> None:
    print(f"{'instance':<24} {'G':>8} {'value':>16} {'error':>10} {'estimate':>10} {'sec':>7}")
    for name, dists, a, c, exact in cases():
        ref = exact
        rows = []
        for G in GRIDS:
            t0 = time.perf_counter()
            dp = OnlineDP(dists, a, c, grid=G, method="grid")
            rows.append((G, dp.value, dp.abserr, time.perf_counter() - t0))
        if ref is None:  # no closed form: the finest grid plus its estimate as reference
            ref = rows[-1][1]
        for G, val, est, sec in rows:
            err = f"{abs(val - ref):10.2e}" if exact is not None or G != GRIDS[-1] else "  (ref)   "
            print(f"{name:<24} {G:>8d} {val:>16.12f} {err} {est:10.2e} {sec:7.2f}")
    print(f"\n{'buyers':>7} {'mechanism':>12} {'profit':>16} {'ONL':>16} {'seconds':>8}")
    for n in BUYERS:
        for mech in ("optimal", "two_stage"):
            model = OnlineModel(tuple(Uniform(0, 1) for _ in range(n)), Fr(1, 2), 1, mechanism=mech)
            t0 = time.perf_counter()
            res = dm.solve(model, path=False)
            sec = time.perf_counter() - t0
            print(
                f"{n:>7} {mech:>12} {float(res.expected_profit):16.9f} "
                f"{float(res.online_optimum):16.9f} {sec:8.2f}"
            )


if __name__ == "__main__":
    main()
