"""Mutation testing of the core modules with mutmut 3 (issue 19, item 4).

Run:  python benchmarks/mutation.py [MODULE ...] [--survivors] [--fail-under 90]

Needs the ``mutation`` extra (``pip install -e '.[mutation]'``, i.e. mutmut >= 3.3).
It is not part of the default test run: each module takes minutes, not seconds.

For every chosen module (default: all in :data:`TARGETS`) the script lays out a fresh
work directory ``build/mutation/<module>/`` holding a snapshot of ``datamech/``,
``tests/`` and ``examples/``, and a generated ``pyproject.toml`` (the project's pytest settings plus a
``[tool.mutmut]`` table that mutates that one file and selects that module's tests and
doctests), runs ``mutmut run`` there with one worker process, and reads mutmut's
results back.  So the repository itself gets no ``mutants/`` folder and no mutmut
table in its own configuration, and files edited during a run do not disturb it.

It prints per module: mutants, killed, survived, timeouts, no tests (functions no
selected test calls), not checked (left out by ``--sample`` or cut by ``--timeout``) and
the score = (killed + timeouts) / checked mutants.  ``--survivors``
prints the diff of every surviving mutant; the ones that cannot change behaviour are
listed with the reason in ``docs/mutation.md``.  To look at one mutant by hand::

    cd build/mutation/numeric && mutmut show 'datamech.numeric.x_fmt__mutmut_3'
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Target:
    """One module under mutation and the tests that must kill its mutants."""

    path: str
    tests: tuple[str, ...]
    doctests: bool = True  # the module's own doctests are part of its tests
    #: tests of those files left out (``file::name``): slow property tests whose
    #: mutants the fast tests kill, and which would cost seconds per mutant
    deselect: tuple[str, ...] = ()


_CHAIN_SLOW = tuple(
    f"tests/solvers/test_chain_equilibrium.py::{name}"
    for name in (
        "test_equilibrium_passes_independent_verifier",
        "test_exact_metrics_equal_path_enumeration",
        "test_welfare_rules_pick_the_extreme_continuation_welfare",
        "test_verifier_detects_a_deviation",
        "test_float_mode_matches_exact",
        "test_result_to_dict_is_json",
    )
)

#: Module name -> what to mutate and which tests to run against it.
TARGETS: dict[str, Target] = {
    "expressions": Target(
        "datamech/expressions.py",
        ("tests/test_expressions.py", "tests/test_expressions_mutants.py"),
        # runs `python -m datamech.cli` in a subprocess, which cannot report to mutmut
        # (its trampolines look for mutmut's configuration in the subprocess's directory)
        deselect=("tests/test_expressions.py::test_the_payload_file_runs_nothing",),
    ),
    "numeric": Target("datamech/numeric.py", ("tests/test_numeric.py",)),
    "ironing": Target(
        "datamech/models/distributions/ironing.py",
        ("tests/models/test_distributions.py", "tests/models/test_ironing_mutants.py"),
    ),
    "chain_core": Target(
        "datamech/solvers/chain/core.py",
        ("tests/solvers/test_chain_equilibrium.py", "tests/solvers/test_chain_mutants.py"),
        deselect=_CHAIN_SLOW,
    ),
    "chain_fast": Target(
        "datamech/solvers/chain/fast.py",
        ("tests/solvers/test_chain_equilibrium.py", "tests/solvers/test_chain_mutants.py"),
        deselect=_CHAIN_SLOW,
    ),
    "psp_auction": Target(
        "datamech/solvers/psp/auction.py",
        ("tests/solvers/test_psp_auction.py", "tests/solvers/test_psp_auction_mutants.py"),
    ),
    "infosale_lp": Target(
        "datamech/solvers/infosale/lp.py",
        (
            "tests/solvers/test_infosale_lp.py",
            "tests/solvers/test_infosale_lp_mutants.py",
            # the persistent LP passes its objective mix through lp_result's ``extra``
            "tests/solvers/test_infosale_persistent.py::"
            "test_objective_mix_sweep_equals_expression_objective",
        ),
        deselect=tuple(
            f"tests/solvers/test_infosale_lp.py::{name}"
            for name in (
                "test_lp_converges_to_closed_form",
                "test_backends_agree_on_value_and_duals",
                "test_result_serializes",
                "test_spec_validation_values_m40",
                "test_complement_substitute_alpha_equals_beta_maps_to_example_3",
            )
        ),
    ),
    "bilateral_core": Target(
        "datamech/solvers/bilateral/core.py",
        ("tests/solvers/test_bilateral_core.py", "tests/solvers/test_bilateral_core_mutants.py"),
        deselect=("tests/solvers/test_bilateral_core.py::test_invariants",),
    ),
}

# mutmut's exit-code classes, folded into the columns printed here
_COLUMN = {
    "killed": "killed",
    "caught by type check": "killed",
    "survived": "survived",
    "timeout": "timeout",
    "no tests": "no tests",
    "not checked": "not checked",
}
# read by tests through relative paths (tests run inside the mutated copy)
_DATA_DIRS = ("examples",)
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string is a valid TOML basic string
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {v!r} to TOML")


def _table(name: str, values: dict[str, object]) -> str:
    return f"[{name}]\n" + "".join(f"{k} = {_toml_value(v)}\n" for k, v in values.items())


def mutmut_config(target: Target) -> dict[str, object]:
    """The ``[tool.mutmut]`` table for one target."""
    selection = [t for t in target.tests if (ROOT / t.split("::")[0]).exists()]
    if target.doctests:
        # the module's doctests, but not those of mutmut's copies of each function (one
        # per mutant, docstring included): they test the same mutant again, hundreds
        # of times over for a long function
        selection += [target.path, "-k", "not __mutmut_"]
    for test in target.deselect:
        selection += ["--deselect", test]
    return {
        "source_paths": ["datamech"],
        "only_mutate": [target.path],
        "pytest_add_cli_args_test_selection": selection,
        "pytest_add_cli_args": ["-p", "no:cacheprovider"],
        "use_git_change_detection": False,
        "also_copy": list(_DATA_DIRS),
    }


_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis", ".pytest_cache")


def prepare(name: str, target: Target, workdir: Path) -> Path:
    """A fresh work directory: snapshot of the package and tests plus the generated config."""
    wd = workdir / name
    if wd.exists():
        shutil.rmtree(wd)
    wd.mkdir(parents=True)
    shutil.copytree(ROOT / "datamech", wd / "datamech", ignore=_IGNORE)
    for folder in ("tests", *_DATA_DIRS):
        shutil.copytree(ROOT / folder, wd / folder, ignore=_IGNORE)
    write_config(wd, target)
    return wd


def _without_xdist(addopts: str) -> str:
    """``addopts`` without pytest-xdist's ``-n N`` / ``--numprocesses=N``."""
    words = shlex.split(addopts)
    out: list[str] = []
    skip = False
    for w in words:
        if skip:
            skip = False
        elif w in ("-n", "--numprocesses"):
            skip = True
        elif not w.startswith(("--numprocesses=", "-n=")) and not re.fullmatch(r"-n\S+", w):
            out.append(w)
    return shlex.join(out + ["-p", "no:xdist"])


def write_config(wd: Path, target: Target) -> None:
    """``wd/pyproject.toml``: the mutmut table and the project's pytest settings."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pytest_opts = project.get("tool", {}).get("pytest", {}).get("ini_options", {})
    pytest_opts = {k: v for k, v in pytest_opts.items() if k != "testpaths"}
    # mutmut runs each mutant's tests in one forked process: no xdist workers there
    if isinstance(pytest_opts.get("addopts"), str):
        pytest_opts["addopts"] = _without_xdist(pytest_opts["addopts"])
    (wd / "pyproject.toml").write_text(
        _table("tool.mutmut", mutmut_config(target))
        + "\n"
        + _table("tool.pytest.ini_options", pytest_opts)
    )


def refresh_tests(wd: Path, target: Target) -> None:
    """Put the current tests (and config) into an existing work directory, for a rerun of
    some mutants; the package snapshot, hence the mutants, stay as they were."""
    for sub in ("tests", *_DATA_DIRS):
        shutil.rmtree(wd / sub, ignore_errors=True)
        shutil.copytree(ROOT / sub, wd / sub, ignore=_IGNORE)
        shutil.rmtree(wd / "mutants" / sub, ignore_errors=True)
    write_config(wd, target)
    # test-to-function associations are recomputed with the new tests
    (wd / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)


def run_mutmut(
    wd: Path, max_children: int, timeout: float, mutants: list[str] | None = None
) -> int:
    """``mutmut run`` in ``wd`` (its output goes to ``wd/mutmut.log``); the exit code.

    ``mutants``: run only these (by name), keeping the other results.
    """
    env = dict(os.environ)
    env.update({var: "1" for var in _THREAD_VARS})
    env.pop("PYTHONPATH", None)  # the mutated copy must be the one imported
    cmd = [sys.executable, "-c", "from mutmut.__main__ import cli; cli()", "run"]
    cmd += ["--max-children", str(max_children), *(mutants or [])]
    with open(wd / ("mutmut-rerun.log" if mutants else "mutmut.log"), "w") as log:
        try:
            done = subprocess.run(
                cmd, cwd=wd, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            return -1
    return done.returncode


def results(wd: Path, target: Target) -> dict[str, str]:
    """Mutant name -> status, from mutmut's meta file of the target."""
    from mutmut.stats import status_by_exit_code

    meta = wd / "mutants" / (target.path + ".meta")
    if not meta.exists():
        return {}
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    return {k: status_by_exit_code[v] for k, v in codes.items()}


def tally(statuses: dict[str, str]) -> dict[str, int | float]:
    """Counts per column and the score (killed + timeouts over the checked mutants, in %)."""
    counts = Counter(_COLUMN.get(s, "suspicious") for s in statuses.values())
    total = len(statuses)
    checked = total - counts["not checked"]  # a --sample run checks only some
    detected = counts["killed"] + counts["timeout"]
    row: dict[str, int | float] = {"mutants": total}
    for col in ("killed", "survived", "timeout", "no tests", "suspicious", "not checked"):
        row[col] = counts[col]
    row["score"] = 100.0 * detected / checked if checked else 0.0
    return row


def diffs(wd: Path, target: Target, mutants: list[str]) -> dict[str, str]:
    """Mutant name -> its diff (the changed lines only), read from ``wd``'s mutants."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    here = os.getcwd()
    os.chdir(wd)
    try:
        out = {}
        for m in mutants:
            lines = get_diff_for_mutant(m, path=target.path).splitlines()
            out[m] = "\n".join(
                x for x in lines if x[:1] in "+-" and not x.startswith(("+++", "---"))
            )
        return out
    finally:
        os.chdir(here)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("modules", nargs="*", help=f"any of {', '.join(TARGETS)} (default: all)")
    ap.add_argument("--workdir", type=Path, default=ROOT / "build" / "mutation")
    ap.add_argument("--max-children", type=int, default=1, help="worker processes (default 1)")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per module")
    ap.add_argument("--survivors", action="store_true", help="print each survivor's diff")
    ap.add_argument("--no-run", action="store_true", help="only read the results of the last run")
    ap.add_argument(
        "--sample",
        metavar="PATTERN",
        default=None,
        help="check only the mutants whose names match this glob, e.g. '*[05]' (a fifth); "
        "with --rerun-survivors, rerun only the matching survivors of a sampled run",
    )
    ap.add_argument(
        "--rerun-survivors",
        action="store_true",
        help="rerun only the last run's survivors (and unchecked or untested mutants) against "
        "the current tests",
    )
    ap.add_argument(
        "--skip-unchecked",
        action="store_true",
        help="with --rerun-survivors: leave the mutants the last run did not check alone",
    )
    ap.add_argument("--fail-under", type=float, default=None, help="exit 1 below this score")
    ap.add_argument("--json", type=Path, default=None, help="also write the table as JSON")
    args = ap.parse_args(argv)
    names = args.modules or list(TARGETS)
    unknown = sorted(set(names) - set(TARGETS))
    if unknown:
        ap.error(f"unknown module {', '.join(unknown)}; choose from {', '.join(TARGETS)}")
    try:
        import mutmut  # noqa: F401
    except ImportError:
        print("mutmut is not installed: pip install -e '.[mutation]'", file=sys.stderr)
        return 2

    table: dict[str, dict[str, int | float]] = {}
    for name in names:
        target = TARGETS[name]
        t0 = time.perf_counter()
        wd = args.workdir / name
        code = 0
        if args.rerun_survivors:
            alive = [
                m
                for m, st in results(wd, target).items()
                # not checked: e.g. cut by --timeout; no tests: new tests may call it now
                if _COLUMN.get(st) in ("survived", "no tests")
                or (_COLUMN.get(st) == "not checked" and not args.skip_unchecked)
                and (args.sample is None or fnmatch.fnmatchcase(m, args.sample))
            ]
            if alive:
                refresh_tests(wd, target)
                code = run_mutmut(wd, args.max_children, args.timeout, alive)
        elif not args.no_run:
            wd = prepare(name, target, args.workdir)
            sample = [args.sample] if args.sample else None
            code = run_mutmut(wd, args.max_children, args.timeout, sample)
        statuses = results(wd, target)
        row = tally(statuses)
        timing = wd / "seconds.txt"  # the full run's wall time, kept for --no-run
        if not args.no_run and not args.rerun_survivors:
            timing.write_text(f"{time.perf_counter() - t0:.1f}")
        row["seconds"] = float(timing.read_text()) if timing.exists() else 0.0
        table[name] = row
        if code != 0 or not statuses:
            print(f"{name}: mutmut exited with {code}; see {wd / 'mutmut.log'}", file=sys.stderr)
        if args.survivors:
            alive = {
                m: s for m, s in statuses.items() if _COLUMN.get(s) not in ("killed", "timeout")
            }
            for mutant, diff in sorted(diffs(wd, target, list(alive)).items()):
                print(f"--- {alive[mutant]}: {mutant}\n{diff}")

    cols = [
        "mutants",
        "killed",
        "survived",
        "timeout",
        "no tests",
        "suspicious",
        "not checked",
        "score",
        "seconds",
    ]
    print(f"{'module':<12}" + "".join(f"{c:>11}" for c in cols))
    for name, row in table.items():
        cells = [f"{row[c]:.1f}%" if c == "score" else str(row[c]) for c in cols]
        print(f"{name:<12}" + "".join(f"{c:>11}" for c in cells))
    if args.json:
        args.json.write_text(json.dumps(table, indent=2))
    if args.fail_under is not None and any(r["score"] < args.fail_under for r in table.values()):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
