"""Benchmark: offline ironing and the convex programs of spec 003 §2.5.

1. Hull ironing (PAVA on the revenue points, :mod:`datamech.models.distributions`) of one
   buyer with K = 10^3, 10^4, 10^5 irregular discrete types against the (P-VV) program
   in cvxpy/Clarabel, which irons implicitly through its monotonicity constraints.  For
   one buyer P-VV's optimal z_j = x_j^alpha gives back the ironed value
   r_j = (c/alpha) z_j^{(1-alpha)/alpha}; the table reports both times, the profit gap
   and the largest |r_hull - r_pvv| (relative to max r).  Target: hull ironing of 10^5
   types under 1 s.
2. Large laws: two buyers with K = 2,000 / 20,000 / 100,000 discrete types each, through
   ``dm.solve``: Theorem 2.2 by one-buyer moments (alpha = 1/2, k = 2; exact rationals
   or floats) and by quadrature (alpha = 1/3, k = 3/2, where the law of r_1 + r_2 would
   have up to K^2/4 atoms), with the interim tables and checks.
3. (P-AMD), BIC and DSIC, with IC on all pairs of types or on neighbours only, on
   n buyers x J types (prod J profiles): build + solve time and the relative gap to
   Theorem 2.2's closed form.

Every row runs in a subprocess with a time limit (``--limit`` seconds); a row that runs
out is reported as such and larger sizes of that kind are skipped.

    python benchmarks/scaling.py [--ks 1000 10000 100000] [--limit 300] [--no-amd]
                                 [--no-large] [--no-online] [--ic bayes dominant]
                                 [--pairs all local] [--max-profiles N]
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys

IRONING = r"""
import json, sys, time
import numpy as np
from datamech.models.distributions import Discrete
from datamech.solvers.scaling import OfflineMechanism, pvv_program
K, do_pvv = int(sys.argv[1]), sys.argv[2] == "1"
rng = np.random.default_rng(K)
values = np.cumsum(rng.exponential(1.0, K)) / K * 10
probs = rng.random(K) ** 3 + 1e-3                    # lumpy: many ironing intervals
probs /= probs.sum()
t0 = time.perf_counter()
d = Discrete(values, probs)
r_hull = np.maximum(np.asarray(d.ironed_virtual_value(values), dtype=float), 0.0)
t_hull = time.perf_counter() - t0
m = OfflineMechanism([d], 0.5, 1.0)
offl = float(m.expected_profit().value)
row = {"K": K, "hull_s": t_hull, "intervals": len(d.ironing_intervals()), "offl": offl}
if do_pvv:
    t0 = time.perf_counter()
    res = pvv_program([d], 0.5, 1.0)
    row["pvv_s"] = time.perf_counter() - t0
    row["pvv_status"] = str(res.status)
    row["profit_gap"] = abs(res.objective - offl)
    r_pvv = 1.0 / 0.5 * np.maximum(res.z[0], 0.0) ** 1.0      # (c/alpha) z^{(1-a)/a}
    row["max_r_diff"] = float(np.max(np.abs(r_pvv - r_hull)) / np.max(r_hull))
print(json.dumps(row))
"""

AMD = r"""
import json, sys, time
import numpy as np
from datamech.models.distributions import Discrete
from datamech.solvers.scaling import OfflineMechanism, pamd_program
n, J, ic, pairs = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
rng = np.random.default_rng(100 * n + J)
laws = []
for i in range(n):
    v = np.sort(rng.choice(np.arange(1, 10 * J + 1), J, replace=False)).astype(float)
    p = rng.random(J) ** 2 + 0.05
    laws.append(Discrete(v, p / p.sum()))
offl = float(OfflineMechanism(laws, 0.5, 1.0).expected_profit().value)
t0 = time.perf_counter()
res = pamd_program(laws, 0.5, 1.0, ic=ic, pairs=pairs)
sec = time.perf_counter() - t0
print(json.dumps({"n": n, "J": J, "ic": ic + "/" + pairs, "profiles": res.profiles,
                  "constraints": res.constraints, "seconds": sec, "status": str(res.status),
                  "rel_gap": abs(res.objective - offl) / offl}))
"""


LARGE = r"""
import json, sys, time
from fractions import Fraction as Fr
import datamech as dm
from datamech.models.distributions import Discrete
from datamech.models.scaling import OfflineModel
K, alpha, exact = int(sys.argv[1]), Fr(sys.argv[2]), sys.argv[3] == "1"
probs = [Fr(1, K)] * K if exact else [1 / K] * K
b = Discrete(list(range(1, K + 1)), probs)             # regular: r = (2v - K)_+
t0 = time.perf_counter()
res = dm.solve(OfflineModel((b, b), alpha, 1))
print(json.dumps({"K": K, "alpha": str(alpha), "exact": exact, "method": res.method,
                  "seconds": time.perf_counter() - t0, "abserr": res.abserr,
                  "table": len(res.to_frame()),
                  "checks": (res.checks or {}).get("scope", "-")}))
"""

# (n buyers, J types per buyer) rows; a kind stops at its first row over the time limit
SIZES = ((1, (100, 300, 1000)), (2, (10, 20, 40, 80)), (3, (5, 8, 10, 15)), (4, (4, 5, 6, 8)))


def _run(code: str, args: list[str], limit: float) -> dict | None:
    try:
        out = subprocess.run(
            [sys.executable, "-c", code, *args],
            capture_output=True,
            text=True,
            timeout=limit,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return None
    except subprocess.CalledProcessError as exc:
        return {"error": exc.stderr.strip().splitlines()[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ks", type=int, nargs="+", default=[1000, 10_000, 100_000])
    ap.add_argument("--limit", type=float, default=300.0, help="seconds per row")
    ap.add_argument("--no-amd", action="store_true")
    ap.add_argument("--no-online", action="store_true", help="skip the online DP table")
    ap.add_argument("--no-large", action="store_true", help="skip the large-law table")
    ap.add_argument("--pairs", nargs="+", default=["all", "local"], help="P-AMD IC pairs")
    ap.add_argument("--ic", nargs="+", default=["bayes", "dominant"], help="P-AMD IC kinds")
    ap.add_argument("--max-profiles", type=int, default=10**6, help="skip larger P-AMD rows")
    args = ap.parse_args()

    print("Ironing: hull (PAVA) vs (P-VV), one buyer, alpha = 1/2, c = 1")
    print(
        f"{'K':>8} {'hull s':>9} {'intervals':>9} {'P-VV s':>9} {'profit gap':>11} {'max dr/r':>9}"
    )
    pvv_ok = True
    for K in args.ks:
        row = _run(IRONING, [str(K), "1" if pvv_ok else "0"], args.limit)
        if row is None:  # P-VV ran out of time: hull only
            pvv_ok = False
            row = _run(IRONING, [str(K), "0"], args.limit) or {}
            row["pvv_s"] = f">{args.limit:g}"
        if "error" in row:
            print(f"{K:>8} error: {row['error']}")
            continue
        pvv = row.get("pvv_s", "skipped")
        pvv_s = f"{pvv:9.2f}" if isinstance(pvv, float) else f"{pvv:>9}"
        gap = f"{row['profit_gap']:11.2e}" if "profit_gap" in row else f"{'-':>11}"
        dr = f"{row['max_r_diff']:9.1e}" if "max_r_diff" in row else f"{'-':>9}"
        print(f"{K:>8} {row['hull_s']:9.4f} {row['intervals']:>9} {pvv_s} {gap} {dr}")

    if not args.no_large:
        print("\nLarge laws: 2 buyers x K types (uniform on 1..K), dm.solve, c = 1")
        print(
            f"{'K':>8} {'alpha':>6} {'exact':>6} {'method':>7} {'seconds':>8} {'table':>7}  checks"
        )
        for K, alpha, exact in itertools.product((2_000, 20_000, 100_000), ("1/2", "1/3"), "01"):
            if alpha == "1/3" and exact == "1":
                continue  # k = 3/2: floats (no exact rational answer)
            row = _run(LARGE, [str(K), alpha, exact], args.limit)
            if row is None or "error" in row:
                print(f"{K:>8} {alpha:>6} {exact:>6} {(row or {}).get('error', 'time limit')}")
                continue
            print(
                f"{K:>8} {alpha:>6} {exact:>6} {row['method']:>7} {row['seconds']:8.2f} "
                f"{row['table']:>7}  {row['checks']}"
            )

    if not args.no_online:  # the online half lives in its own script, runnable alone
        import importlib.util
        from pathlib import Path

        path = Path(__file__).with_name("scaling_online.py")
        spec = importlib.util.spec_from_file_location("scaling_online", path)
        online = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(online)
        print("\nOnline DP (Prop 3.1): grid size G vs error vs time")
        online.main()

    if args.no_amd:
        return
    print("\n(P-AMD) on n buyers x J types, alpha = 1/2, c = 1 (Clarabel)")
    print(
        f"{'n':>3} {'J':>4} {'ic/pairs':>14} {'profiles':>9} {'constraints':>11} "
        f"{'seconds':>9} {'rel gap':>9}  status"
    )
    for ic, pairs in itertools.product(args.ic, args.pairs):
        for n, Js in SIZES:
            for J in (J for J in Js if J**n <= args.max_profiles):
                row = _run(AMD, [str(n), str(J), ic, pairs], args.limit)
                if row is None:
                    lab = f"{ic}/{pairs}"
                    print(f"{n:>3} {J:>4} {lab:>14} {J**n:>9} {'':>11} >{args.limit:g} s")
                    break
                if "error" in row:
                    print(f"{n:>3} {J:>4} {ic}/{pairs} error: {row['error']}")
                    break
                print(
                    f"{n:>3} {J:>4} {row['ic']:>14} {row['profiles']:>9} {row['constraints']:>11} "
                    f"{row['seconds']:9.2f} {row['rel_gap']:9.1e}  {row['status']}"
                )


if __name__ == "__main__":
    main()
