"""The paper's chain models as a sweep: model, chain length, mechanism, tie rule.

A paper-model sweep is a grid of cases: paper model (``"model1"`` .. ``"model4"``,
Section 5.1), chain length n, mechanism (``RAW``, ``AVE``, ``TBDS`` with an alpha, or
``OPT``, the welfare-optimal reallocation search) and seller tie rule, with one
arithmetic setting (``exact``, ``tol``) for the whole grid.  Each case is solved for
its exact sequential equilibrium (Eq. 9) and becomes one row of a pandas table.  It
runs on the same engine as a model-file sweep (:func:`datamech.experiments.sweep.sweep`):
local processes or Dask, a journal and resume when the table goes to a file.

* :func:`sweep_grid` expands the grid into a list of case dicts (deterministic order).
* :func:`run_case` solves one case and returns its row.
* :func:`run_sweep` runs many cases and returns the rows in case order.

Columns of a row: the case (``model``, ``n``, ``mechanism``, ``alpha``, ``tie_break``,
``exact``, ``tol``, ``opt_method``, ``seed``), then ``status``, ``social_welfare``,
``transaction_volume``, ``ties``, ``seconds`` (wall time of the case in its worker),
and three JSON-encoded lists so grids with several n stay rectangular:
``trade_success`` (success probability of trades 1..n), ``player_utility`` (players
0..n) and ``matrix`` (the reallocation t, n rows of n + 1 shares).

Examples
--------
>>> cases = sweep_grid(models=["model1"], ns=[3], mechanisms=["RAW", "TBDS"], alphas=[0.5])
>>> [(c["model"], c["n"], c["mechanism"], c["alpha"]) for c in cases]
[('model1', 3, 'RAW', None), ('model1', 3, 'TBDS', 0.5)]
>>> table = run_sweep(cases, workers=1, progress=False)
>>> table["social_welfare"].round(3).tolist(), table["transaction_volume"].round(3).tolist()
([3.302, 3.83], [0.624, 0.936])
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
import numbers
import os
import time
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any

from ...errors import ModelError
from ...numeric import jsonable
from .engine import Case, check_dask, check_workers, failure_exception, run_cases
from .grid import case_key
from .journal import check_table_path, write_table

__all__ = [
    "CASE_KEYS",
    "JSON_COLUMNS",
    "MODELS",
    "RESULT_KEYS",
    "SWEEP_MECHANISMS",
    "check_case",
    "decode_rows",
    "run_case",
    "run_sweep",
    "sweep_grid",
]

MODELS = ("model1", "model2", "model3", "model4")
SWEEP_MECHANISMS = ("RAW", "AVE", "TBDS", "OPT")
OPT_MODULE = "datamech.solvers.chain.opt"
CASE_KEYS = (
    "model",
    "n",
    "mechanism",
    "alpha",
    "tie_break",
    "exact",
    "tol",
    "opt_method",
    "seed",
)
RESULT_KEYS = (
    "status",
    "social_welfare",
    "transaction_volume",
    "ties",
    "seconds",
    "trade_success",
    "player_utility",
    "matrix",
)
JSON_COLUMNS = ("trade_success", "player_utility", "matrix")
TASK = "chain-paper-model"  # what a case's key hashes besides the case itself


# ---------------------------------------------------------------------- the grid
def sweep_grid(
    models: Iterable[str | int] = MODELS,
    ns: Iterable[int] = (5,),
    mechanisms: Iterable[str] = ("RAW", "AVE"),
    alphas: Iterable[Any] = (),
    tie_breaks: Iterable[str] = ("first",),
    *,
    exact: bool = False,
    tol: float | None = None,
    opt_method: str = "evolution",
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Expand a grid of chain experiments into a list of cases.

    The order is deterministic: models, then n, then mechanisms (TBDS once per alpha, in
    the order given), then tie rules, each in the order given.

    Parameters
    ----------
    models : iterable of str or int
        Paper models by name, ``"model1"`` .. ``"model4"`` (or the numbers 1..4).
    ns : iterable of int
        Chain lengths (number of trades), each at least 1.
    mechanisms : iterable of str
        Any of ``"RAW"``, ``"AVE"``, ``"TBDS"``, ``"OPT"``.
    alphas : iterable of numbers
        TBDS parameters in [0, 1]; required when TBDS is swept, an error otherwise.
    tie_breaks : iterable of str
        Seller tie rules of :func:`datamech.solvers.chain.solve_equilibrium`.
    exact : bool
        Exact rational arithmetic for every case.
    tol : float, optional
        Float tie tolerance (default the solver's, 1e-9; ``0`` is the paper's raw floats).
    opt_method, seed : str, int
        Search method and seed passed to ``optimize_reallocation`` for OPT cases.

    Returns
    -------
    list of dict
        One dict per case with the keys of :data:`CASE_KEYS`.

    Raises
    ------
    ModelError
        Naming the field (``models``, ``ns``, ``mechanisms``, ``alphas``,
        ``tie_breaks``, ``exact``, ``tol``, ``opt_method``, ``seed``) of an empty,
        repeated or invalid entry.

    Examples
    --------
    >>> cases = sweep_grid(["model1"], [2], ["TBDS"], alphas=[0.25, 0.5])
    >>> [(c["mechanism"], c["alpha"]) for c in cases]
    [('TBDS', 0.25), ('TBDS', 0.5)]
    """
    model_list = [_check_model(m) for m in _nonempty(models, "models")]
    n_list = [_check_n(n) for n in _nonempty(ns, "ns")]
    mech_list = [_check_mechanism(m) for m in _nonempty(mechanisms, "mechanisms")]
    tie_list = [_check_tie_break(t) for t in _nonempty(tie_breaks, "tie_breaks")]
    alpha_list = [_check_alpha(a) for a in _as_list(alphas, "alphas")]
    for field_name, items in (
        ("models", model_list),
        ("ns", n_list),
        ("mechanisms", mech_list),
        ("alphas", alpha_list),
        ("tie_breaks", tie_list),
    ):
        _no_repeats(items, field_name)
    if "TBDS" in mech_list and not alpha_list:
        raise ModelError("alphas", "TBDS needs at least one alpha in [0, 1]")
    if alpha_list and "TBDS" not in mech_list:
        raise ModelError("alphas", "only TBDS takes alpha; add TBDS to the mechanisms")
    exact = _check_exact(exact)
    tol = _check_tol(tol)
    if "OPT" in mech_list:
        opt_method = _check_opt_method(opt_method)
        seed = _check_seed(seed)

    cases = []
    for model in model_list:
        for n in n_list:
            for mech in mech_list:
                for alpha in alpha_list if mech == "TBDS" else [None]:
                    for tie in tie_list:
                        cases.append(
                            {
                                "model": model,
                                "n": n,
                                "mechanism": mech,
                                "alpha": alpha,
                                "tie_break": tie,
                                "exact": exact,
                                "tol": tol,
                                "opt_method": opt_method if mech == "OPT" else None,
                                "seed": seed if mech == "OPT" else None,
                            }
                        )
    return cases


def check_case(case: dict[str, Any]) -> dict[str, Any]:
    """Validate one case dict (as :func:`sweep_grid` makes them) and return it normalized.

    Missing keys take :func:`sweep_grid`'s defaults; unknown keys are errors.

    >>> check_case({"model": 2, "n": 3, "mechanism": "AVE"})["model"]
    'model2'
    """
    if not isinstance(case, dict):
        raise ModelError("cases", f"each case must be a dict, got {type(case).__name__}")
    unknown = sorted(set(case) - set(CASE_KEYS))
    if unknown:
        raise ModelError("cases", f"unknown key {unknown[0]!r} (known: {', '.join(CASE_KEYS)})")
    for key in ("model", "n", "mechanism"):
        if key not in case:
            raise ModelError("cases", f"a case needs {key!r}")
    mech = _check_mechanism(case["mechanism"])
    alpha = case.get("alpha")
    if mech == "TBDS":
        if alpha is None:
            raise ModelError("alphas", "TBDS needs alpha")
        alpha = _check_alpha(alpha)
    elif alpha is not None and not (isinstance(alpha, float) and math.isnan(alpha)):
        raise ModelError("alphas", f"only TBDS takes alpha, not {mech}")
    else:
        alpha = None
    out = {
        "model": _check_model(case["model"]),
        "n": _check_n(case["n"]),
        "mechanism": mech,
        "alpha": alpha,
        "tie_break": _check_tie_break(case.get("tie_break", "first")),
        "exact": _check_exact(case.get("exact", False)),
        "tol": _check_tol(case.get("tol")),
        "opt_method": None,
        "seed": None,
    }
    if mech == "OPT":
        out["opt_method"] = _check_opt_method(case.get("opt_method") or "evolution")
        out["seed"] = _check_seed(0 if case.get("seed") is None else case["seed"])
    return out


# ---------------------------------------------------------------------- one case
def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """Solve one case for its equilibrium and return the row: the case plus the results.

    For ``OPT`` the matrix found by ``optimize_reallocation`` (in
    ``datamech.solvers.chain.opt``) is solved again under the case's tie rule and
    arithmetic, so every row's figures come from :func:`solve_equilibrium`; the row's
    ``status`` is then the search's (``optimal`` when certified, ``heuristic``,
    ``time_limit``), never silently "optimal".

    Examples
    --------
    >>> row = run_case({"model": "model4", "n": 3, "mechanism": "AVE", "exact": True})
    >>> round(row["social_welfare"], 4), row["ties"], row["trade_success"]
    (0.2733, 18, '[0.4, 0.2, 0.128]')
    """
    from ...models.chain import paper_model
    from ...solvers.chain import solve_equilibrium

    case = check_case(case)
    t0 = time.perf_counter()
    number = int(case["model"].removeprefix("model"))
    mech = case["mechanism"]
    options = {"tie_break": case["tie_break"], "exact": case["exact"], "tol": case["tol"]}
    if mech == "OPT":
        opt = _require_opt()
        base = paper_model(number, case["n"], "RAW")
        found = opt.optimize_reallocation(
            base,
            method=case["opt_method"],
            objective="social_welfare",
            tie_break=case["tie_break"],
            tol=case["tol"],
            seed=case["seed"],
        )
        model = base.with_mechanism("matrix", matrix=found.matrix)
        # the search's own status ("optimal" = certified, "heuristic", "time_limit")
        status = str(found.status)
    else:
        model = paper_model(number, case["n"], mech, alpha=case["alpha"])
        status = None
    res = solve_equilibrium(model, **options)
    row = dict(case)
    row.update(
        status=status or res.status,
        social_welfare=float(res.social_welfare),
        transaction_volume=float(res.transaction_volume),
        ties=int(res.ties),
        seconds=time.perf_counter() - t0,
        trade_success=_json_list(res.trade_success),
        player_utility=_json_list(res.player_utility),
        matrix=_json_list(model.reallocation),
    )
    return row


def _json_list(a: Any) -> str:
    return json.dumps(jsonable(a))


def _describe(case: dict[str, Any]) -> str:
    mech = case["mechanism"] + (f"({case['alpha']})" if case.get("alpha") is not None else "")
    return f"{case['model']}, n={case['n']}, {mech}, tie rule {case['tie_break']}"


# ---------------------------------------------------------------------- many cases
def run_sweep(
    cases: Sequence[dict[str, Any]],
    executor: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    client: Any = None,
    progress: bool = True,
    out: str | os.PathLike | None = None,
    fresh: bool = False,
):
    """Run every case and return the table of rows in case order.

    The cases run on the sweep engine of :mod:`datamech.experiments.sweep` (local
    processes, this process, or Dask; a journal when ``out`` is given).  Unlike a
    model-file sweep, the first case that fails stops this one with its error (as
    :func:`run_case` would raise it, the case named in the message).

    Parameters
    ----------
    cases : sequence of dict
        From :func:`sweep_grid` (or hand-made with the same keys).
    executor : {"local", "dask"}
        ``local`` (default) runs on local processes; ``dask`` on a Dask distributed
        cluster.  Giving ``scheduler`` or ``client`` selects ``dask``.
    workers : int, optional
        Local processes (default: every core, never more than the cases);
        ``workers=1`` runs in this process.  Ignored by Dask.
    scheduler : str, optional
        Address of a Dask scheduler, e.g. ``"tcp://10.0.0.5:8786"``.  The client made
        for it is closed at the end.
    client : dask.distributed.Client, optional
        An existing client (e.g. on a ``LocalCluster``); it is left open.
    progress : bool
        A progress bar on stderr; shown only when :func:`datamech.progress.enabled`.
    out : path, optional
        Write the table here (``.csv`` or ``.parquet``) and keep a journal next to it,
        so that the same call after a crash resumes; ``fresh=True`` starts over.

    Returns
    -------
    pandas.DataFrame
        One row per case: the case's keys then ``status``, ``social_welfare``,
        ``transaction_volume``, ``ties``, ``seconds``, ``trade_success``,
        ``player_utility``, ``matrix`` (the last three JSON-encoded lists).

    Raises
    ------
    ModelError
        Empty or invalid cases, ``workers`` < 1, an unknown executor, Dask asked for but
        not installed (the message says ``pip install 'datamech[distributed]'``), a
        scheduler that cannot be reached, or the first case that fails.
    SolverError
        The first case whose solver fails.

    Examples
    --------
    >>> cases = sweep_grid(["model1"], [3], ["RAW", "AVE"])
    >>> table = run_sweep(cases, workers=1, progress=False)
    >>> list(table["mechanism"]), table["social_welfare"].round(3).tolist()
    (['RAW', 'AVE'], [3.302, 4.232])
    """
    if isinstance(cases, dict) or not isinstance(cases, Sequence):
        raise ModelError("cases", "must be a list of case dicts (see sweep_grid)")
    if len(cases) == 0:
        raise ModelError("cases", "the sweep has no cases")
    cases = [check_case(c) for c in cases]
    if executor not in ("local", "dask"):
        raise ModelError("executor", f"unknown executor {executor!r} (known: local, dask)")
    if executor == "dask" and scheduler is None and client is None:
        raise ModelError("scheduler", "the dask executor needs a scheduler address or a client")
    check_dask(scheduler, client)
    n_workers = check_workers(workers)
    if out is not None:
        check_table_path(out)

    def stop(index: int, failure: dict[str, Any]) -> dict[str, Any]:
        raise failure_exception(failure, f"case {index}: {_describe(cases[index])}")

    outcome = run_cases(
        [Case(case_key(TASK, c), c) for c in cases],
        run_case,
        stop,
        workers=n_workers,
        scheduler=scheduler,
        client=client,
        journal=out,
        fresh=fresh,
        progress=progress,
        preload=["datamech.models.chain", "datamech.solvers.chain"],
    )
    frame = _frame(outcome.rows)
    frame.attrs.update(resumed=outcome.resumed)
    if out is not None:
        write_table(frame, out)
    return frame


def _frame(rows: list[dict[str, Any]]):
    import pandas as pd

    return pd.DataFrame(rows, columns=[*CASE_KEYS, *RESULT_KEYS])


def decode_rows(frame) -> list[dict[str, Any]]:
    """The table's rows as JSON-ready dicts, with the JSON-encoded list columns decoded.

    >>> rows = decode_rows(run_sweep(sweep_grid(["model4"], [2], ["RAW"], exact=True), workers=1))
    >>> rows[0]["trade_success"], rows[0]["matrix"]
    ([0.4, 0.2], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    """
    rows = jsonable(frame.to_dict(orient="records"))
    for row in rows:
        for key in JSON_COLUMNS:
            if isinstance(row.get(key), str):
                row[key] = json.loads(row[key])
    return rows


# ---------------------------------------------------------------------- validation
def _as_list(items: Any, field_name: str) -> list[Any]:
    if isinstance(items, (str, bytes, dict)) or not isinstance(items, Iterable):
        raise ModelError(field_name, f"must be a list, got {items!r}")
    return list(items)


def _nonempty(items: Any, field_name: str) -> list[Any]:
    out = _as_list(items, field_name)
    if not out:
        raise ModelError(field_name, "is empty; the sweep needs at least one value")
    return out


def _no_repeats(items: list[Any], field_name: str) -> None:
    seen = []
    for x in items:
        if x in seen:
            raise ModelError(field_name, f"repeats {x!r}")
        seen.append(x)


def _check_model(m: Any) -> str:
    if isinstance(m, int) and not isinstance(m, bool) and 1 <= m <= 4:
        return f"model{m}"
    if isinstance(m, str) and m.strip().lower() in MODELS:
        return m.strip().lower()
    raise ModelError("models", f"unknown model {m!r} (known: {', '.join(MODELS)})")


def _check_n(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise ModelError("ns", f"must be integers, got {n!r}")
    if n < 1:
        raise ModelError("ns", f"chain length must be at least 1, got {n}")
    return int(n)


def _check_mechanism(m: Any) -> str:
    if not isinstance(m, str) or m.strip().upper() not in SWEEP_MECHANISMS:
        raise ModelError(
            "mechanisms", f"unknown mechanism {m!r} (known: {', '.join(SWEEP_MECHANISMS)})"
        )
    return m.strip().upper()


def _check_alpha(a: Any) -> float:
    from ...models.chain import read_alpha

    value = read_alpha(a, "alphas")
    return float(value) if not isinstance(a, float) else a


def _check_tie_break(rule: Any) -> str:
    from ...solvers.chain import TIE_RULES

    if rule not in TIE_RULES:
        raise ModelError("tie_breaks", f"unknown tie rule {rule!r} (known: {', '.join(TIE_RULES)})")
    return rule


def _check_exact(exact: Any) -> bool:
    if not isinstance(exact, bool):
        raise ModelError("exact", f"must be true or false, got {exact!r}")
    return exact


def _check_tol(tol: Any) -> float:
    from ...solvers.chain import DEFAULT_TOL

    if tol is None or (isinstance(tol, float) and math.isnan(tol)):
        return DEFAULT_TOL
    if isinstance(tol, bool) or not isinstance(tol, (int, float, Fraction)) or not tol >= 0:
        raise ModelError("tol", f"must be a number >= 0, got {tol!r}")
    if not math.isfinite(float(tol)):
        raise ModelError("tol", f"must be finite, got {tol!r}")
    return float(tol)


def _check_opt_method(method: Any) -> str:
    known = getattr(_require_opt(), "OPT_METHODS", None)
    if not isinstance(method, str) or (known is not None and method not in known):
        names = f" (known: {', '.join(known)})" if known else ""
        raise ModelError("opt_method", f"unknown OPT method {method!r}{names}")
    return method


def _check_seed(seed: Any) -> int:
    if isinstance(seed, float) and seed.is_integer():
        seed = int(seed)  # a seed read back from a CSV column with gaps
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ModelError("seed", f"must be an integer >= 0, got {seed!r}")
    return seed


def _require_opt():
    """The OPT search module, imported lazily (it is optional in this version)."""
    if importlib.util.find_spec(OPT_MODULE) is None:
        raise ModelError(
            "mechanisms",
            f"OPT needs {OPT_MODULE}, which this installation of datamech does not have",
        )
    return importlib.import_module(OPT_MODULE)
