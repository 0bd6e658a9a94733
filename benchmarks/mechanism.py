"""Benchmark of kind ``mechanism`` against MechAudit 0.1.0, and its error-vs-grid table.

    python benchmarks/mechanism.py                  # every case, MechAudit side by side
    python benchmarks/mechanism.py --no-mechaudit   # datamech only
    python benchmarks/mechanism.py --python /path/to/python-with-mechaudit
    python benchmarks/mechanism.py --grid-table     # the table of docs/mechanism.md
    python benchmarks/mechanism.py --json out.json  # also write the rows

Cases (spec/issue 14 §7): single item, BIC + interim IR, revenue, i.i.d. types uniform on
{1/K, ..., 1} (2 x 50, 3 x 20, 4 x 10, 2 x 100, 3 x 30), each solved by datamech (method
auto = reduced form; and the profile LP) and by MechAudit (profile enumeration, HiGHS),
both compared with the exact formula E[max phi^+]; ``reduced_form`` with 10 asymmetric
bidders x 200 types (seeded random laws, irregular) against the formula to 1e-9; one
additive buyer, two items U[0, 1] on a 40 x 40 grid (1,600 types, 2.5 million IC pairs).
Every case runs in its own process, so its peak memory (max RSS) is its own.

MechAudit is installed into this benchmark's own virtual environment
(``benchmarks/.venv-mechaudit``, created on first use with the system's numpy, scipy,
pandas and highspy, then ``pip install --no-deps mechaudit==0.1.0``), or taken from
``--python``; when it cannot be had, its rows are skipped.  This is not a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-mechaudit"
MECHAUDIT_CASES = [(2, 50), (3, 20), (4, 10), (2, 100), (3, 30)]
#: MechAudit's times on a 2-core machine as quoted in issue 14 (seconds).
QUOTED = {(2, 50): 4.6, (3, 20): 17.0, (4, 10): 21.0, (2, 100): 39.0, (3, 30): 109.0}

MECHAUDIT_SCRIPT = r"""
import json, sys, time
t0 = time.perf_counter()
import mechaudit as ma
n, K = int(sys.argv[1]), int(sys.argv[2])
agents = {f"b{i}": list(range(1, K + 1)) for i in range(n)}
prior = ma.JointPrior.from_independent({a: {k: 1.0 / K for k in range(1, K + 1)} for a in agents})
values = ma.PrivateValues(lambda agent, t, o: t / K if o["winner"] == agent else 0.0)
t1 = time.perf_counter()
c1 = time.process_time()
env = ma.FiniteEnvironment(agents=agents, outcomes=ma.single_item_outcomes(list(agents)),
                           prior=prior, values=values)
problem = env.design(objective=ma.ExpectedRevenue(), requirements=(ma.BIC(), ma.InterimIR()))
sol = problem.solve()
t2 = time.perf_counter()
print(json.dumps({"seconds": t2 - t1, "cpu": time.process_time() - c1,
                  "revenue": sol.objective_value}))
"""


# ------------------------------------------------------------------ the cases
def uniform_model(n: int, K: int):
    from datamech.models.mechanism import create

    return create(
        outcomes={"preset": "single_item"},
        agents=[
            {
                "count": n,
                "family": "discrete",
                "values": [str(Fraction(k, K)) for k in range(1, K + 1)],
                "probs": [f"1/{K}"] * K,
            }
        ],
    )


def asymmetric_model(n: int = 10, K: int = 200, seed: int = 1):
    import numpy as np

    from datamech.models.mechanism import create

    rng = np.random.default_rng(seed)
    agents = []
    for i in range(n):
        vals = np.sort(rng.choice(np.arange(1, 2001), K, replace=False))
        w = rng.integers(1, 20, K)
        agents.append(
            {
                "name": f"b{i}",
                "family": "discrete",
                "values": [f"{v}/1000" for v in vals],
                "probs": [f"{x}/{w.sum()}" for x in w],
            }
        )
    return create(outcomes={"preset": "single_item"}, agents=agents)


def two_items_model(cells: int = 40):
    from datamech.models.mechanism import create

    return create(
        outcomes={"preset": "multi_item", "items": 2},
        agents=[{"item_types": [{"family": "uniform", "low": 0, "high": 1}] * 2}],
        grid={"cells": cells},
    )


def run_case(name: str) -> dict:
    """One case in this process: {seconds, value, reference, ...}."""
    import tqdm.auto  # noqa: F401 - imported before the clock starts, like the solvers

    import datamech as dm
    import datamech.solvers.mechanism  # noqa: F401
    from datamech.solvers.mechanism.known import MANELLI_VINCENT, myerson_revenue

    kind, _, size = name.partition(":")
    if kind in ("auto", "lp"):
        n, K = map(int, size.split("x"))
        model = uniform_model(n, K)
        model.instance()
        ref = myerson_revenue([a.law for a in model.agents])
        t, c = time.perf_counter(), time.process_time()
        res = dm.solve(model, method=kind)
        sec, cpu = time.perf_counter() - t, time.process_time() - c
        return {
            "seconds": sec,
            "cpu": cpu,
            "value": res.objective,
            "reference": float(ref),
            "exact": str(ref),
            "method": res.method,
            "rows": res.rows,
        }
    if kind == "reduced":
        model = asymmetric_model()
        model.instance()
        ref = myerson_revenue([a.law for a in model.agents])
        t, c = time.perf_counter(), time.process_time()
        res = dm.solve(model, method="reduced_form")
        sec, cpu = time.perf_counter() - t, time.process_time() - c
        return {
            "seconds": sec,
            "cpu": cpu,
            "value": res.objective,
            "reference": float(ref),
            "error": abs(res.objective - float(ref)),
            "rounds": res.iterations,
            "rows": res.rows,
            "orders": (res.implementation or {}).get("orders"),
        }
    if kind == "twoitems":
        model = two_items_model(int(size))
        model.instance()
        t, c = time.perf_counter(), time.process_time()
        res = dm.solve(model)
        sec, cpu = time.perf_counter() - t, time.process_time() - c
        return {
            "seconds": sec,
            "cpu": cpu,
            "value": res.objective,
            "reference": MANELLI_VINCENT,
            "rounds": res.iterations,
            "rows": res.rows,
            "max_ic_violation": float(res.max_ic_violation),
        }
    raise SystemExit(f"unknown case {name!r}")


def in_child(cmd: list[str], timeout: float) -> tuple[dict | None, float, str]:
    """Run a command; its JSON output, its peak RSS in MB, and stderr's last line."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    start = time.perf_counter()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        return None, 0.0, f"timed out after {timeout:.0f} s"
    del start
    # communicate() reaped the child; its rusage is in RUSAGE_CHILDREN only cumulatively,
    # so the child reports its own peak (ru_maxrss) in the JSON instead
    try:
        data = json.loads(out.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        return None, 0.0, (err.strip().splitlines() or ["no output"])[-1]
    return data, float(data.pop("peak_mb", 0.0)), ""


def peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def mechaudit_python(given: str | None) -> str | None:
    """A python with mechaudit 0.1.0 importable, or None (the rows are then skipped)."""
    if given:
        return given
    py = VENV / "bin" / "python"
    if not py.exists():
        try:
            subprocess.run(
                [sys.executable, "-m", "venv", "--system-site-packages", str(VENV)],
                check=True,
                capture_output=True,
                timeout=300,
            )
        except (subprocess.SubprocessError, OSError):
            return None
    check = subprocess.run(
        [str(py), "-c", "import mechaudit; print(mechaudit.__version__)"],
        capture_output=True,
        text=True,
    )
    if check.returncode != 0 or check.stdout.strip() != "0.1.0":
        inst = subprocess.run(
            [str(py), "-m", "pip", "install", "--quiet", "--no-deps", "mechaudit==0.1.0"],
            capture_output=True,
            text=True,
            timeout=600,
        )
        check = subprocess.run([str(py), "-c", "import mechaudit"], capture_output=True)
        if inst.returncode != 0 or check.returncode != 0:
            return None
    return str(py)


def run_mechaudit(py: str, n: int, K: int, timeout: float):
    wrapper = (
        "import json, resource, runpy, sys, io, contextlib\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        f"    exec(compile({MECHAUDIT_SCRIPT!r}, 'mechaudit_case', 'exec'))\n"
        "line = buf.getvalue().strip().splitlines()[-1]\n"
        "d = json.loads(line)\n"
        "d['peak_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps(d))\n"
    )
    return in_child([py, "-c", wrapper, str(n), str(K)], timeout)


def ours(name: str, timeout: float):
    return in_child([sys.executable, __file__, "--case", name], timeout)


# ------------------------------------------------------------------ the table
def fmt_s(x):
    return "—" if x is None else (f"{x:.3g} s" if x < 100 else f"{x:.0f} s")


def fmt_run(d):
    """Wall-clock seconds and, in parentheses, the process's CPU seconds."""
    if not d:
        return "—"
    return f"{fmt_s(d['seconds'])} ({fmt_s(d.get('cpu'))} CPU)"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--case", help=argparse.SUPPRESS)
    p.add_argument("--python", help="a python with mechaudit 0.1.0 installed")
    p.add_argument("--no-mechaudit", action="store_true", help="skip MechAudit's rows")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds per case")
    p.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    p.add_argument("--grid-table", action="store_true", help="the error-vs-grid table")
    p.add_argument("--only", metavar="CASES", help="e.g. 3x30,reduced,twoitems")
    args = p.parse_args(argv)
    if args.case:
        data = run_case(args.case)
        data["peak_mb"] = peak_mb()
        print(json.dumps(data))
        return 0
    sys.path.insert(0, str(HERE.parent))
    if args.grid_table:
        return grid_table()
    py = None if args.no_mechaudit else mechaudit_python(args.python)
    rows = []
    print(
        f"# kind mechanism benchmark ({os.cpu_count()} cores; load average "
        f"{os.getloadavg()[0]:.1f}); MechAudit: {py or 'skipped'}\n"
    )
    print(
        "| case | datamech (auto) | peak MB | datamech (lp) | MechAudit 0.1.0 | peak MB "
        "| speed-up | revenue (datamech = exact) | MechAudit revenue |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    only = set(args.only.split(",")) if args.only else None
    for n, K in MECHAUDIT_CASES:
        if only is not None and f"{n}x{K}" not in only:
            continue
        a, a_mb, a_err = ours(f"auto:{n}x{K}", args.timeout)
        b, _b_mb, _ = ours(f"lp:{n}x{K}", args.timeout)
        m, m_mb, m_err = (None, 0.0, "skipped")
        if py:
            m, m_mb, m_err = run_mechaudit(py, n, K, args.timeout)
        speed = (m["cpu"] / a["cpu"]) if (a and m) else None
        wall = (m["seconds"] / a["seconds"]) if (a and m) else None
        row = {
            "case": f"{n} x {K}",
            "datamech": a,
            "datamech_lp": b,
            "mechaudit": m,
            "datamech_peak_mb": a_mb,
            "mechaudit_peak_mb": m_mb,
            "mechaudit_quoted_s": QUOTED[(n, K)],
            "speedup": speed,
            "speedup_wall": wall,
        }
        rows.append(row)
        ok = a and abs(a["value"] - a["reference"]) < 1e-9
        print(
            f"| {n} bidders x {K} types | {fmt_run(a)} | {a_mb:.0f} "
            f"| {fmt_run(b)} "
            f"| {fmt_run(m) if m else m_err} | {m_mb:.0f} "
            f"| {'—' if speed is None else f'{speed:.0f}x CPU, {wall:.0f}x wall'} "
            f"| {a['value']:.12g} ({a['exact']}){'' if ok else ' MISMATCH'} "
            f"| {'—' if not m else format(m['revenue'], '.12g')} |"
            if a
            else f"| {n} x {K} | failed: {a_err} |"
        )
    r = t = None
    r_mb = t_mb = 0.0
    r_err = t_err = "skipped"
    if only is None or "reduced" in only:
        r, r_mb, r_err = ours("reduced:10x200", args.timeout)
        rows.append({"case": "reduced_form 10 x 200", "datamech": r, "peak_mb": r_mb})
    if only is None or "twoitems" in only:
        t, t_mb, t_err = ours("twoitems:40", args.timeout)
        rows.append({"case": "two items 40 x 40", "datamech": t, "peak_mb": t_mb})
    print()
    print("| case | seconds (CPU) | peak MB | value | reference | detail |")
    print("|---|---|---|---|---|---|")
    if r:
        print(
            f"| reduced_form, 10 asymmetric bidders x 200 types | {fmt_run(r)} "
            f"| {r_mb:.0f} | {r['value']:.12g} | {r['reference']:.12g} (formula) "
            f"| error {r['error']:.1e}, {r['rounds']} rounds, {r['orders']} priority orders |"
        )
    elif r_err != "skipped":
        print(f"| reduced_form 10 x 200 | failed: {r_err} |")
    if t_err == "skipped":
        pass
    elif t:
        print(
            f"| one additive buyer, 2 items, 40 x 40 grid (1,600 types) "
            f"| {fmt_run(t)} | {t_mb:.0f} | {t['value']:.6f} "
            f"| {t['reference']:.6f} (continuous limit) | {t['rounds']} lazy IC rounds, "
            f"{t['rows']} rows, max IC violation {t['max_ic_violation']:.1e} (all pairs, exact) |"
        )
    else:
        print(f"| two items 40 x 40 | failed: {t_err} |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2, default=str) + "\n")
    return 0


def grid_table() -> int:
    """Error against grid size for each continuous instance (docs/mechanism.md)."""
    import datamech as dm
    from datamech.models.mechanism import create
    from datamech.solvers.mechanism.known import (
        MANELLI_VINCENT,
        MYERSON_SATTERTHWAITE,
        exponential_auction_revenue,
        uniform_auction_revenue,
    )

    def auction(n, law, cells, scheme):
        return create(
            outcomes={"preset": "single_item"},
            agents=[dict(law, count=n)],
            grid={"cells": cells, "scheme": scheme},
        )

    def trade(cells, scheme):
        u = {"family": "uniform", "low": 0, "high": 1}
        return create(
            objective="welfare",
            outcomes={"preset": "bilateral_trade"},
            agents=[dict(u, role="buyer"), dict(u, role="seller", name="s")],
            constraints={"budget": "balanced"},
            grid={"cells": cells, "scheme": scheme},
        )

    def items(cells, scheme):
        u = {"family": "uniform", "low": 0, "high": 1}
        return create(
            outcomes={"preset": "multi_item", "items": 2},
            agents=[{"item_types": [u, u]}],
            grid={"cells": cells, "scheme": scheme},
        )

    uni = {"family": "uniform", "low": 0, "high": 1}
    expo = {"family": "exponential", "rate": "1/3"}
    instances = [
        (
            "2 bidders U[0,1] (5/12)",
            lambda c, s: auction(2, uni, c, s),
            float(uniform_auction_revenue(2)),
            (10, 20, 40, 80, 160, 320),
        ),
        (
            "3 bidders U[0,1] (17/32)",
            lambda c, s: auction(3, uni, c, s),
            float(uniform_auction_revenue(3)),
            (10, 20, 40, 80, 160, 320),
        ),
        (
            "3 bidders Exp(mean 3) (2.75169)",
            lambda c, s: auction(3, expo, c, s),
            exponential_auction_revenue(3.0),
            (10, 20, 40, 80, 160, 320),
        ),
        ("bilateral trade U[0,1] (9/64)", trade, float(MYERSON_SATTERTHWAITE), (10, 20, 40, 80)),
        ("two items U[0,1] (0.549201)", items, MANELLI_VINCENT, (5, 10, 20, 40)),
    ]
    print(
        "| instance | scheme | 5 cells | 10 | 20 | 40 | 80 | 160 | 320 | cells x error (largest) |"
    )
    print("|---|---|" + "---|" * 8)
    for name, make, exact, cells in instances:
        for scheme in ("condmean", "left"):
            errs = {}
            for c in cells:
                errs[c] = dm.solve(make(c, scheme)).objective - exact
            cols = [f"{errs[k]:+.2e}" if k in errs else "" for k in (5, 10, 20, 40, 80, 160, 320)]
            last = max(errs)
            print(f"| {name} | {scheme} | " + " | ".join(cols) + f" | {last * errs[last]:+.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
