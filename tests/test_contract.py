"""The result contract, tested once for every kind: every example file, every method.

Each case loads an example, solves it with one documented method, and checks what every
result promises (datamech.results): a status from the enum with a solution present, the
contract's fields with the right types, JSON-ready ``to_dict`` with the contract keys
first, a real ``to_frame`` table, a short repr, HTML for notebooks, and a save/load round
trip that gives the same objective.  The command's ``--json`` output is checked on one
file per kind.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import warnings
from fractions import Fraction
from pathlib import Path

import pytest

import datamech as dm
from datamech.errors import ModelError
from datamech.models.io import read_toml
from datamech.results import CONTRACT_KEYS, Result
from datamech.solvers import OPTIONS, options_for
from datamech.status import SOLUTION_PRESENT, Status

EXAMPLES = sorted(Path("examples/models").glob("*.toml"))

#: (example stem, method) pairs that do not apply: the solver refuses them with a
#: ModelError saying why (checked by test_inapplicable_methods_are_refused).
NOT_APPLICABLE: set[tuple[str, str]] = {
    ("chain_continuous", "fast"),  # continuous chains: the FPTAS only
    ("chain_continuous", "reference"),
    ("chain_continuous", "evolution"),
    ("chain_continuous", "enumerate"),
    ("chain_continuous", "mip"),
    *((f"chain_{s}", "fptas") for s in ("model1", "model2", "model3", "model4", "tbds", "opt")),
    *((f"chain_model{k}", "mip") for k in (1, 2, 3, 4)),  # n = 5: over max_binaries
    ("infosale_complement_substitute", "reduced"),  # reduced LP, greedy, closed forms:
    ("infosale_complement_substitute", "greedy"),  # the Example 3 game only
    ("infosale_complement_substitute", "closed-form"),
    ("infosale_table_welfare", "reduced"),
    ("infosale_table_welfare", "greedy"),
    ("infosale_table_welfare", "closed-form"),
    ("mechanism_bilateral", "reduced_form"),  # reduced forms: a single item
    ("mechanism_audit_second_price", "reduced_form"),
    ("mechanism_lottery", "reduced_form"),
    ("mechanism_public_project", "reduced_form"),
    ("mechanism_table", "reduced_form"),
    ("mechanism_two_items", "reduced_form"),
    ("mechanism_two_items", "mip"),  # grid.cells: 162,000 rows, over the MIP's limit
    ("offline_expression", "exact"),  # exact and the programs need discrete types
    ("offline_expression", "pamd"),
    ("offline_expression", "pamd_dsic"),
    ("offline_expression", "pvv"),
    ("offline_u2", "exact"),
    ("offline_u2", "pamd"),
    ("offline_u2", "pamd_dsic"),
    ("offline_u2", "pvv"),
    ("online_u2", "exact"),
    ("psp_route", "draft"),  # the draft's rules are for substitutes
}

#: The default run solves every example with its own method (the file's [solver] method,
#: else the kind's default) and these further pairs; every other pair runs with -m slow.
FAST: set[tuple[str, str]] = {
    ("chain_opt", "mip"),
    ("chain_tbds", "reference"),
    ("chain_tbds", "enumerate"),
    ("infosale_competition", "reduced"),
    ("infosale_competition", "greedy"),
    ("infosale_competition", "closed-form"),
    ("offline_i3", "pamd"),
    ("offline_i3", "pvv"),
    ("online_u2", "quad"),
    ("psp_elastic", "draft"),
}


def _kind(path: Path) -> str:
    return read_toml(path)["model"]["kind"]


def _own_method(path: Path) -> str:
    data = read_toml(path)
    spec = options_for(data["model"]["kind"])
    stored = data.get("solver", {}).get("method")
    return spec.method_name(stored) if stored else spec.resolve({})["method"]


def _cases():
    for path in EXAMPLES:
        spec = options_for(_kind(path))
        assert spec is not None, f"{path.name}: kind has no option declaration"
        own = _own_method(path)
        for method in spec.methods:
            key = (path.stem, method)
            if key in NOT_APPLICABLE:
                continue
            fast = method == own or key in FAST
            marks = [] if fast else [pytest.mark.slow]
            yield pytest.param(path, method, id=f"{path.stem}-{method}", marks=marks)


def _solve(path: Path, method: str):
    model = dm.load(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # inaccurate or deprecated: not this test's concern
        return model, dm.solve(model, method=method)


def test_every_kind_declares_its_options():
    for kind in OPTIONS:
        spec = options_for(kind)
        assert spec is not None, kind
        assert spec.kind == kind and spec.methods
        assert "max_memory_gb" in spec.names()
    assert {_kind(p) for p in EXAMPLES} <= set(OPTIONS)


@pytest.mark.parametrize("path, method", list(_cases()))
def test_result_contract(path, method, tmp_path):
    model, res = _solve(path, method)
    assert isinstance(res, Result), type(res).__name__
    assert isinstance(res.status, Status) and res.status in SOLUTION_PRESENT
    assert isinstance(res.objective, float) and not math.isnan(res.objective)
    assert isinstance(res.objective_name, str) and res.objective_name
    assert res.objective_exact is None or isinstance(res.objective_exact, Fraction)
    if res.objective_exact is not None:
        assert float(res.objective_exact) == pytest.approx(res.objective, rel=1e-12)
    for key in ("method", "backend", "solver"):
        assert isinstance(getattr(res, key), str) and getattr(res, key), key
    assert res.backend in ("highspy", "cvxpy", "pyomo", "none")
    assert isinstance(res.seconds, float) and res.seconds >= 0

    data = res.to_dict()
    assert tuple(data)[: len(CONTRACT_KEYS)] == CONTRACT_KEYS
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text)["status"] == res.status.value
    frame = res.to_frame()
    assert len(frame) >= 1 and len(frame.columns) >= 2
    assert len(repr(res)) <= 300 and "\n" not in repr(res).strip()
    assert res.objective_name in res._repr_html_() or "status" in res._repr_html_()
    assert isinstance(res.format(), str) and res.format()

    copy = tmp_path / "copy.toml"
    dm.save(model, copy)
    _, again = _solve(copy, method)
    assert again.objective == pytest.approx(res.objective, rel=1e-9, abs=1e-12)


def test_inapplicable_methods_are_refused():
    for stem, method in sorted(NOT_APPLICABLE):
        model = dm.load(f"examples/models/{stem}.toml")
        with pytest.raises(ModelError):
            dm.solve(model, method=method)


def _first_file_of_each_kind():
    """One file per kind through the real command; two kinds in the default run (each
    case starts a Python process), all of them with -m slow."""
    seen = {}
    for path in EXAMPLES:
        seen.setdefault(_kind(path), path)
    fast = {"chain", "mechanism"}
    return [
        pytest.param(p, id=k, marks=[] if k in fast else [pytest.mark.slow])
        for k, p in sorted(seen.items())
    ]


@pytest.mark.parametrize("path", _first_file_of_each_kind())
def test_command_json_carries_the_contract(path):
    res = subprocess.run(
        [sys.executable, "-m", "datamech.cli", "solve", str(path), "--json"],
        capture_output=True,
        text=True,
    )
    assert res.returncode in (0, 3), res.stderr
    data = json.loads(res.stdout)
    assert tuple(data)[: len(CONTRACT_KEYS)] == CONTRACT_KEYS
    assert data["status"] in {s.value for s in SOLUTION_PRESENT}
