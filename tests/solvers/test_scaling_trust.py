"""Trust (issue 12) for kinds offline and online: names, extreme values, sizes, statuses.

Every user-facing error path is one ModelError naming the model-file field; sizes are
refused before anything is allocated (with the faster method named where there is
one); large but feasible work runs fast or shows a progress bar; numerical failures
become SolverError with a status from the enum; inaccurate solves follow the one policy.
"""

import subprocess
import sys
import time
import warnings
from fractions import Fraction as Fr

import numpy as np
import pytest

import datamech as dm
from datamech import ModelError, SolverError
from datamech.models.distributions import Discrete, Uniform
from datamech.models.io import from_dict
from datamech.models.scaling import OfflineModel, OnlineModel
from datamech.solvers.scaling import OfflineMechanism, pamd_program
from datamech.solvers.scaling.common import numerical_guard, solve_program
from datamech.status import Status

HALF = Fr(1, 2)
UNIFORM = {"family": "uniform", "low": 0, "high": 1}


def doc(kind="online", buyers=(UNIFORM,), **model):
    return {
        "model": {"kind": kind, "alpha": "1/2", "cost": 1, **model},
        "buyers": [dict(b) for b in buyers],
    }


# ------------------------------------------------------------------ names and tables
@pytest.mark.parametrize(
    "model, field",
    [
        ({"mechanism": ["optimal"]}, "model.mechanism"),
        ({"mechanism": {"value": "optimal"}}, "model.mechanism"),
        ({"allocate": 1}, "model.allocate"),
        ({"name": True}, "model.name"),
        ({"name": [1]}, "model.name"),
        ({"grid": 10.5}, "model.grid"),
        ({"grid": True}, "model.grid"),
        ({"grid": 8}, "model.grid"),
        ({"alpha": float("nan")}, "model.alpha"),
        ({"cost": float("inf")}, "model.cost"),
        ({"cost": True}, "model.cost"),
        ({"mechanism": "two_stage", "delta": "3/2"}, "model.delta"),
    ],
)
def test_online_model_fields(model, field):
    with pytest.raises(ModelError) as e:
        from_dict(doc(**model))
    assert e.value.field == field


@pytest.mark.parametrize(
    "model, field",
    [
        ({"name": ["I3"]}, "model.name"),
        ({"alpha": "3/2"}, "model.alpha"),
        ({"cost": 0}, "model.cost"),
    ],
)
def test_offline_model_fields(model, field):
    with pytest.raises(ModelError) as e:
        from_dict(doc("offline", **model))
    assert e.value.field == field


def test_solver_tables_and_options():
    for kind in ("offline", "online"):
        data = doc(kind)
        data["solver"] = {"method": ["mc"]}
        model = from_dict(data)  # validated by dm.solve, with the kind's declaration
        with pytest.raises(ModelError) as e:
            dm.solve(model)
        assert e.value.field == "solver.method" and "string" in str(e.value)
        data["solver"] = {"samples": 10, "seed": 1, "method": "mc", "colour": 1}
        with pytest.raises(ModelError) as e:
            dm.solve(from_dict(data))
        assert e.value.field == "solver.colour" and "samples" in str(e.value)
        data["solver"] = 3
        with pytest.raises(ModelError) as e:
            from_dict(data)
        assert e.value.field == "solver"
    with pytest.raises(ModelError) as e:
        dm.solve(from_dict(doc()), grid=float("inf"))
    assert e.value.field == "solver.grid"


def test_mixed_exact_and_decimal_entries_are_one_law():
    exact = Discrete(["3/4", "3/2", 3], [0.5, 0.02, 0.48])
    m = OfflineModel((exact, exact), HALF, 1)
    same = Discrete([0.75, 1.5, 3.0], [0.5, 0.02, 0.48])
    assert dm.solve(m).objective == pytest.approx(
        dm.solve(OfflineModel((same, same), HALF, 1)).objective, rel=1e-12
    )


# ------------------------------------------------------------------ sizes
def test_online_grid_of_a_billion_points_is_refused_before_allocating():
    t0 = time.perf_counter()
    with pytest.raises(ModelError) as e:
        dm.solve(from_dict(doc(grid=10**9)))
    assert e.value.field == "model.grid" and "GB" in str(e.value) and "20,000" in str(e.value)
    with pytest.raises(ModelError) as e:  # even where the grid is not used (finite support)
        dm.load("examples/models/online_i3.toml") and dm.solve(
            dm.load("examples/models/online_i3.toml"), grid=10**9
        )
    assert e.value.field == "solver.grid"
    assert time.perf_counter() - t0 < 5


def test_online_grid_work_is_bounded_by_buyers_times_grid():
    from datamech.solvers.scaling.online.dp import MAX_GRID_WORK

    n = 100
    grid = int(MAX_GRID_WORK / n) + 1000
    model = OnlineModel((Uniform(0, 1),) * n, HALF, 1, grid=grid)
    with pytest.raises(ModelError) as e:
        dm.solve(model, max_memory_gb=1e6)  # memory allowed; the work is not
    assert e.value.field == "model.grid" and "n x grid" in str(e.value)


def test_oversized_file_under_ulimit_is_one_line_and_exit_2(tmp_path):
    f = tmp_path / "huge.toml"
    f.write_text(
        '[model]\nkind = "online"\nalpha = 0.5\ncost = 1\ngrid = 1000000000\n'
        '[[buyers]]\nfamily = "uniform"\nlow = 0\nhigh = 1\n'
    )
    cmd = f"ulimit -v 4000000; {sys.executable} -m datamech.cli solve {f} --json"
    out = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "model.grid" in lines[0] and "Traceback" not in out.stderr


def _regular(K, exact=False):
    values = list(range(1, K + 1))
    probs = [Fr(1, K)] * K if exact else [1 / K] * K
    return Discrete(values, probs)


def test_offline_20000_types_use_moments_in_well_under_a_minute():
    """Issue 12: two buyers with 20,000 types each.  The hull ironing takes milliseconds;
    what took minutes was the law of r_1 + r_2 (10^8 atoms).  For integer k the profit
    and the interim tables need only one-buyer moments."""
    b = _regular(20_000)
    t0 = time.perf_counter()
    res = dm.solve(OfflineModel((b, b), HALF, 1))
    assert time.perf_counter() - t0 < 60
    assert res.method == "exact" and len(res.to_frame()) == 40_000
    assert res.checks["scope"].startswith("interim") and res.certificate.ok
    # uniform on 1..K: phi(v) = v - (v+1 - v) P(V > v) / (1/K) = 2v - K (regular, no
    # ironing), r = (2v - K)_+; E[(r1 + r2)^2] = 2 E r^2 + 2 (E r)^2 for i.i.d. r, and
    # OFFL = E[S^2] / 4 at alpha 1/2, c 1
    v = np.arange(1, 20_001, dtype=float)
    r = np.maximum(2 * v - 20_000, 0.0)
    m1, m2 = r.mean(), (r * r).mean()
    assert res.objective == pytest.approx((2 * m2 + 2 * m1 * m1) / 4, rel=1e-12)


def test_offline_large_convolution_is_refused_or_replaced_by_quadrature():
    b = _regular(20_000)
    m = OfflineModel((b, b), Fr(1, 3), 1)  # k = 3/2: no moment expansion
    with pytest.raises(ModelError) as e:
        dm.solve(m, method="exact")
    assert e.value.field == "buyers" and "method = quad" in str(e.value)
    res = dm.solve(m)  # auto: the Laplace quadrature, linear in the types
    assert res.method == "quad" and res.abserr < 1e-9 * res.objective
    small = _regular(300)
    ref = dm.solve(OfflineModel((small, small), Fr(1, 3), 1), method="exact").objective
    quad = dm.solve(OfflineModel((small, small), Fr(1, 3), 1), method="quad")
    assert abs(quad.objective - ref) <= quad.abserr + 1e-12 * ref


def test_programs_are_refused_by_size_with_the_faster_method_named():
    b = _regular(20_000)
    t0 = time.perf_counter()
    for method in ("pamd", "pvv"):
        with pytest.raises(ModelError) as e:
            dm.solve(OfflineModel((b, b), HALF, 1), method=method)
        assert e.value.field == "buyers" and "method = auto" in str(e.value)
    assert time.perf_counter() - t0 < 10
    small = Discrete([1, 2], [0.5, 0.5])
    with pytest.raises(ModelError) as e:
        pamd_program([small] * 3, 0.5, 1, max_profiles=4)
    assert "pairs = local" in str(e.value)


def test_moments_equal_the_convolution_on_random_exact_laws():
    """The moment expansion (exact rationals, linear in the types) against the exact
    convolution of the laws of r (the independent, exponential-size method)."""
    rng = np.random.default_rng(3)
    for _ in range(5):
        laws = []
        for _ in range(int(rng.integers(1, 4))):
            J = int(rng.integers(1, 6))
            values = sorted(rng.choice(np.arange(1, 20), J, replace=False).tolist())
            w = rng.integers(1, 9, J).tolist()
            laws.append(Discrete(values, [Fr(x, sum(w)) for x in w]))
        for alpha, cost in ((HALF, 1), (Fr(2, 3), Fr(3, 2)), (Fr(3, 4), 2)):
            m = OfflineMechanism(laws, alpha, cost)
            conv = m.K * sum(p * s**m.k for s, p in m.sum_law().items())
            assert m.expected_profit().value == conv


@pytest.mark.parametrize("alpha", [HALF, Fr(2, 3), 0.4])
def test_interim_tables_equal_enumeration_of_profiles(alpha):
    """E[x_i | v], E[z_i | v], E[p_i | v] from the moments (or the law of S_-i) against
    averaging the mechanism's own allocation and payment over every profile."""
    import itertools
    import math

    from datamech.solvers.scaling.offline import interim_tables

    laws = [
        Discrete([1, 2, 3], [Fr(3, 5), Fr(1, 10), Fr(3, 10)]),
        Discrete([Fr(1, 2), 2, 4], [Fr(1, 3), Fr(1, 3), Fr(1, 3)]),
        Discrete([1, 5], [Fr(1, 2), Fr(1, 2)]),
    ]
    m = OfflineMechanism(laws, alpha, 1)
    tables = interim_tables(m)
    for i, d in enumerate(laws):
        for j in range(len(d.values)):
            ex = ez = ep = 0
            others = [range(len(o.values)) if k != i else [j] for k, o in enumerate(laws)]
            for idx in itertools.product(*others):
                prof = [o.values[t] for o, t in zip(laws, idx, strict=True)]
                pr = math.prod(
                    o.probs[t] for k, (o, t) in enumerate(zip(laws, idx, strict=True)) if k != i
                )
                _, x = m.allocate(prof)
                ex += pr * x[i]
                ez += pr * m.z_of(i, m.r(prof))
                ep += pr * m.payments(prof)[i]
            for key, want in (("x", ex), ("z", ez), ("p", ep)):
                assert float(tables[i][key][j]) == pytest.approx(float(want), rel=1e-9)
            if m.exact:
                assert (tables[i]["x"][j], tables[i]["p"][j]) == (ex, ep)


# ------------------------------------------------------------------ progress bars
def test_long_work_shows_a_progress_bar(monkeypatch, capsys):
    from datamech import progress
    from datamech.solvers.scaling.online import OnlineDP, dp

    monkeypatch.setattr(progress, "enabled", lambda: True)
    monkeypatch.setattr(dp, "GRID_BAR", 10)
    OnlineDP([Uniform(0, 1)] * 2, 0.5, 1.0, grid=200)
    assert "online DP (grid)" in capsys.readouterr().err
    b = Discrete(list(range(1, 2401)), [1 / 2400] * 2400)
    OfflineMechanism([b, b], Fr(1, 3), 1).sum_law()  # 1201^2 > 10^6 atoms
    assert "convolution" in capsys.readouterr().err
    pamd_program([Discrete([1, 2], [0.5, 0.5])], 0.5, 1)  # small: no bar
    assert "P-AMD" not in capsys.readouterr().err


@pytest.mark.slow
def test_two_thousand_online_buyers_finish():
    model = OnlineModel(tuple(Uniform(0, 1) for _ in range(2000)), HALF, 1)
    res = dm.solve(model, path=False)
    # ONL <= OFFL = E[S^2]/4, S a sum of 2000 r = (2v - 1)_+: E r = 1/4, E r^2 = 1/6
    offl = (500**2 + 2000 * (1 / 6 - 1 / 16)) / 4
    assert res.status == Status.OPTIMAL and res.online_optimum <= offl
    assert res.offline_optimum == pytest.approx(offl, rel=1e-12)
    assert len(res.to_frame()) == 2000


# ------------------------------------------------------------------ extreme values, statuses
def test_levels_beyond_the_float_range_are_refused():
    b = Discrete([1, 10**12], [HALF, HALF])
    with pytest.raises(ModelError) as e:
        dm.solve(OfflineModel((b, b), Fr(99, 100), 1))  # ((alpha/c) 2e12)^100
    assert e.value.field == "buyers" and "1e1230" in str(e.value)
    with pytest.raises(ModelError) as e:  # (the law's moment E[V^100] is refused first)
        dm.solve(OnlineModel((b, b), Fr(99, 100), 1, mechanism="two_stage"))
    assert e.value.field.startswith("buyer")
    ok = dm.solve(OfflineModel((b, b), HALF, 1))  # 1e24: fine
    assert ok.objective_exact is not None


def test_numerical_overflow_becomes_a_solver_error():
    import math

    with pytest.raises(SolverError) as e, numerical_guard("the test"):
        math.exp(1e4)
    assert e.value.status == Status.SOLVER_ERROR and "the test" in str(e.value)


def test_the_dp_precision_refusal_has_an_enum_status():
    from datamech.models.distributions import Exponential
    from datamech.solvers.scaling.online import OnlineDP

    with pytest.raises(SolverError) as e:
        OnlineDP([Exponential(1)] * 2, 0.95, 1)
    assert isinstance(e.value.status, Status) and e.value.status == Status.SOLVER_ERROR


class _Stub:
    """A cvxpy-like problem whose solver reports the given statuses in turn."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.calls = []
        self.status, self.value = None, None

    def solve(self, solver, **options):
        self.calls.append(options)
        self.status, self.value = self.statuses.pop(0), 1.0


def test_inaccurate_solves_follow_the_one_policy():
    stub = _Stub(["optimal_inaccurate"] * 3)
    with pytest.warns(RuntimeWarning, match="inaccurate"):
        status = solve_program(stub, "CLARABEL", what="the stub")
    assert status == Status.OPTIMAL_INACCURATE and len(stub.calls) == 3
    assert all(c.get("warm_start") is False for c in stub.calls)  # fresh settings each time
    stub = _Stub(["optimal_inaccurate", "optimal"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an optimal second run: no warning at all
        assert solve_program(stub, "CLARABEL", what="the stub") == Status.OPTIMAL
    assert stub.calls[1]["tol_feas"] == 1e-9
    with pytest.raises(SolverError) as e:
        solve_program(_Stub(["infeasible"]), "SCS", what="the stub")
    assert e.value.status == Status.INFEASIBLE
