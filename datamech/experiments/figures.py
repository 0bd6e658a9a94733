"""Figures 2 and 3 of seed 000 (§5.2): RAW, AVE and OPT on Models 1-4, exact expectations.

* :func:`figure2` -- per-trade success rates P(trade i happens), i = 1..n, and per-player
  expected utilities E[u_i], i = 0..n, at n = 5 (the paper's Figure 2).
* :func:`figure3` -- social welfare and transaction volume against the chain length
  n = 2..8 (the paper's Figure 3).
* :func:`write_figure` -- the figure as PNG and PDF (matplotlib, Agg canvas, never
  ``plt.show()``) and its numbers as CSV.

RAW and AVE are solved exactly with the paper's tie rule (candidates in grid order, numpy
``argmax``, ``tie_break="first", tol=0``).  OPT is the exact-objective differential
evolution of :func:`~datamech.solvers.chain.opt.optimize_reallocation` under the same
rule (softmax rows started from AVE, ``popsize`` 5): a heuristic, not a certified optimum.
The paper estimated everything from 10,000 sampled profiles; here there is no sampling.
Model 3 uses the ``"signed"`` reading of the paper's grid (see
:func:`datamech.models.chain.paper_model`), which does not reproduce the paper's Model 3
numbers.

Examples
--------
>>> fig = figure3(ns=(2,), models=(2,))
>>> [(r["mechanism"], round(r["social_welfare"], 3)) for r in fig.rows]
[('RAW', 0.29), ('AVE', 0.29), ('OPT', 0.31)]
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..errors import ModelError, SolverError
from ..numeric import read_int
from ..progress import progress as progress_bar
from ..progress import quiet
from ..results import ResultMixin
from ..status import Status

MECHANISMS = ("RAW", "AVE", "OPT")
PAPER_MODELS = (1, 2, 3, 4)
PAPER_RULE = {"tie_break": "first", "tol": 0.0}
MODEL3_READING = "signed"
MODEL_ASSUMPTIONS = {
    1: "positive, homogeneous",
    2: "positive, not homogeneous",
    3: "homogeneous, not positive",
    4: "neither positive nor homogeneous",
}
COLORS = {"RAW": "#7f7f7f", "AVE": "#1f77b4", "OPT": "#d62728"}
MARKERS = {"RAW": "o", "AVE": "s", "OPT": "^"}


# ---------------------------------------------------------------- one (model, n)
def _solve_case(number: int, n: int, seed: int, restarts: int, maxiter: int, popsize: int):
    """RAW, AVE and OPT equilibria of paper model ``number`` at chain length n (plain data)."""
    from ..models.chain import paper_model
    from ..solvers.chain import solve_equilibrium
    from ..solvers.chain.opt import optimize_reallocation

    t0 = time.perf_counter()
    base = paper_model(number, n, "RAW", model3=MODEL3_READING)
    eqs = {
        "RAW": solve_equilibrium(base, **PAPER_RULE),
        "AVE": solve_equilibrium(base.with_mechanism("AVE"), **PAPER_RULE),
    }
    opt = optimize_reallocation(
        base,
        method="evolution",
        seed=seed,
        restarts=restarts,
        maxiter=maxiter,
        popsize=popsize,
        **PAPER_RULE,
    )
    eqs["OPT"] = opt.equilibrium
    out: dict[str, Any] = {
        mech: {
            "trade_success": [float(x) for x in eq.trade_success],
            "player_utility": [float(x) for x in eq.player_utility],
            "social_welfare": float(eq.social_welfare),
            "transaction_volume": float(eq.transaction_volume),
        }
        for mech, eq in eqs.items()
    }
    out["opt"] = {
        "model": number,
        "n": n,
        "matrix": np.asarray(opt.matrix, dtype=float).round(12).tolist(),
        "evaluations": int(opt.evaluations),
        "maxiter": maxiter,
        "first_best": float(opt.first_best),
        "seconds": time.perf_counter() - t0,
    }
    return number, n, out


def _run_cases(jobs: list[tuple], workers: int | None, progress: bool | None) -> dict:
    """Run ``_solve_case`` over jobs (largest n first), in-process or on a process pool.

    A progress bar (:mod:`datamech.progress`) follows the cases unless ``progress`` is
    False (it is off anyway when stderr is not a terminal or under ``--quiet``/``--json``).
    """
    workers = (os.cpu_count() or 1) if workers is None else workers
    workers = read_int(workers, "workers", low=1)
    jobs = sorted(jobs, key=lambda j: -j[1])  # the long cases first balance the pool
    results = {}
    with quiet(progress is False), progress_bar(total=len(jobs), desc="figure", unit="case") as bar:
        if min(workers, len(jobs)) == 1:
            for job in jobs:
                number, n, out = _solve_case(*job)
                results[(number, n)] = out
                bar.update(1)
            return results
        # forkserver/spawn: fork is unsafe once threads (tqdm's monitor) are running
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        try:
            with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=ctx) as pool:
                futures = [pool.submit(_solve_case, *job) for job in jobs]
                for fut in as_completed(futures):
                    number, n, out = fut.result()
                    results[(number, n)] = out
                    bar.update(1)
        except BrokenProcessPool:
            raise SolverError(
                Status.SOLVER_ERROR,
                "a worker process ended abruptly (out of memory, killed, or a main script "
                "without an `if __name__ == '__main__':` guard); workers=1 runs in this process",
            ) from None
    return results


def _check_models(models: Iterable[int]) -> tuple[int, ...]:
    models = tuple(models)
    if not models:
        raise ModelError("models", "needs at least one of the paper models 1..4")
    for m in models:
        if isinstance(m, bool) or m not in PAPER_MODELS:
            raise ModelError("models", f"paper models are 1..4, got {m!r}")
    if len(set(models)) != len(models):
        raise ModelError("models", f"has repeats: {models}")
    return models


def _opt_note(seed: int, restarts: int, maxiter: str, popsize: int) -> str:
    return (
        f"OPT: differential evolution on the exact welfare (softmax rows, started at AVE), "
        f"seed {seed}, restarts {restarts}, maxiter {maxiter}, popsize {popsize}; heuristic"
    )


_RULE_NOTE = "exact expectations; paper tie rule (first candidate in grid order, tol 0)"
_MODEL3_NOTE = f"Model 3 reading: {MODEL3_READING}, w_k = sign(k) e^(|k|/2)"


def _model_title(number: int) -> str:
    return f"Model {number}" + (f" (reading: {MODEL3_READING})" if number == 3 else "")


# ---------------------------------------------------------------- Figure 2
@dataclasses.dataclass(frozen=True)
class Figure2(ResultMixin):
    """Figure 2's numbers: one row per (model, mechanism, kind, index).

    ``kind`` is ``"trade_success"`` (index i = 1..n, P(trade i happens)) or
    ``"player_utility"`` (index i = 0..n, E[u_i]).  ``totals`` holds each (model,
    mechanism)'s social welfare and transaction volume; ``opt_runs`` the OPT matrix and
    search budget per model; ``caption`` the settings in words.
    """

    rows: list
    totals: list
    opt_runs: list
    n: int
    models: tuple
    seed: int
    restarts: int
    maxiter: int
    popsize: int
    caption: str
    seconds: float

    name: ClassVar[str] = "figure2"

    def to_frame(self):
        """The tidy table: model, mechanism, kind, index, value."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=["model", "mechanism", "kind", "index", "value"])

    def format(self) -> str:
        """Per model and mechanism: SW, TV, trade success rates and player utilities."""
        frame = self.to_frame()
        head = f"{'model':>5} {'mech':>4} {'SW':>8} {'TV':>6} | success of trades 1..{self.n}"
        lines = [f"Figure 2 (seed 000), n = {self.n}: {_RULE_NOTE}", self.caption_opt, "", head]
        for number in self.models:
            lines.append("-" * len(head))
            for t in self.totals:
                if t["model"] != number:
                    continue
                mech = t["mechanism"]
                sel = frame[(frame["model"] == number) & (frame["mechanism"] == mech)]
                succ = sel[sel["kind"] == "trade_success"]["value"]
                util = sel[sel["kind"] == "player_utility"]["value"]
                lines.append(
                    f"{number:>5} {mech:>4} {t['social_welfare']:8.3f} {t['transaction_volume']:6.3f}"
                    f" | {' '.join(f'{x:.3f}' for x in succ)}"
                )
                lines.append(
                    f"{'':>5} {'':>4} {'':>8} {'':>6} | utility of players 0..{self.n}: "
                    + " ".join(f"{x:.3f}" for x in util)
                )
        lines += ["", _MODEL3_NOTE + f". {self.seconds:.1f} s."]
        return "\n".join(lines)

    @property
    def caption_opt(self) -> str:
        """OPT's search settings in one line."""
        return _opt_note(self.seed, self.restarts, str(self.maxiter), self.popsize)


def figure2(
    n: int = 5,
    models: Iterable[int] = PAPER_MODELS,
    seed: int = 0,
    restarts: int = 1,
    maxiter: int = 50,
    popsize: int = 5,
    workers: int | None = 1,
    progress: bool | None = None,
) -> Figure2:
    """Per-trade success rates and per-player expected utilities of RAW, AVE and OPT.

    Parameters
    ----------
    n : int
        Chain length (the paper's Figure 2 uses n = 5).
    models : iterable of int
        Paper models among 1..4.
    seed, restarts, maxiter, popsize : int
        OPT's differential evolution (run r uses seed + r; the paper's budget is maxiter 50,
        popsize 5, one run).
    workers : int or None
        Processes (1, the default: in this process; None: all cores).  The numbers do not
        depend on it.  With more than one, a script must guard its entry point with
        ``if __name__ == "__main__":`` (worker processes re-import the main module).
    progress : bool or None
        False: no progress bar; otherwise one on stderr when it is a terminal.

    Returns
    -------
    Figure2
        The tidy table plus totals, OPT matrices and the caption.

    Examples
    --------
    >>> fig = figure2(n=2, models=(2,), maxiter=5)
    >>> [(r["mechanism"], r["kind"], r["index"], round(r["value"], 3)) for r in fig.rows[:2]]
    [('RAW', 'trade_success', 1, 0.4), ('RAW', 'trade_success', 2, 0.2)]
    """
    n = read_int(n, "n", low=1)
    models = _check_models(models)
    restarts = read_int(restarts, "restarts", low=1)
    maxiter = read_int(maxiter, "maxiter", low=1)
    popsize = read_int(popsize, "popsize", low=1)
    t0 = time.perf_counter()
    jobs = [(m, n, seed, restarts, maxiter, popsize) for m in models]
    solved = _run_cases(jobs, workers, progress)
    rows, totals, opt_runs = [], [], []
    for number in models:
        case = solved[(number, n)]
        for mech in MECHANISMS:
            res = case[mech]
            for i, x in enumerate(res["trade_success"], start=1):
                rows.append(
                    {
                        "model": number,
                        "mechanism": mech,
                        "kind": "trade_success",
                        "index": i,
                        "value": x,
                    }
                )
            for i, x in enumerate(res["player_utility"]):
                rows.append(
                    {
                        "model": number,
                        "mechanism": mech,
                        "kind": "player_utility",
                        "index": i,
                        "value": x,
                    }
                )
            totals.append(
                {
                    "model": number,
                    "mechanism": mech,
                    "social_welfare": res["social_welfare"],
                    "transaction_volume": res["transaction_volume"],
                    "opt_evaluations": case["opt"]["evaluations"] if mech == "OPT" else 0,
                }
            )
        opt_runs.append(case["opt"])
    caption = (
        f"Figure 2 (seed 000), n = {n}: {_RULE_NOTE}. Success rate = P(trade i happens). "
        + _opt_note(seed, restarts, str(maxiter), popsize)
        + f". {_MODEL3_NOTE}."
    )
    return Figure2(
        rows=rows,
        totals=totals,
        opt_runs=opt_runs,
        n=n,
        models=models,
        seed=seed,
        restarts=restarts,
        maxiter=maxiter,
        popsize=popsize,
        caption=caption,
        seconds=time.perf_counter() - t0,
    )


# ---------------------------------------------------------------- Figure 3
@dataclasses.dataclass(frozen=True)
class Figure3(ResultMixin):
    """Figure 3's numbers: one row per (model, n, mechanism).

    Columns: ``social_welfare``, ``transaction_volume``, ``opt_evaluations`` (equilibria
    the OPT search solved for this row; 0 for RAW and AVE) and ``opt_maxiter`` (its
    generation budget; 0 for RAW and AVE).
    """

    rows: list
    opt_runs: list
    ns: tuple
    models: tuple
    seed: int
    restarts: int
    maxiter: dict
    popsize: int
    caption: str
    seconds: float

    name: ClassVar[str] = "figure3"
    columns: ClassVar[tuple[str, ...]] = (
        "model",
        "n",
        "mechanism",
        "social_welfare",
        "transaction_volume",
        "opt_evaluations",
        "opt_maxiter",
    )

    def to_frame(self):
        """The tidy table, one row per (model, n, mechanism)."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=list(self.columns))

    def format(self) -> str:
        """Per model: SW and TV of each mechanism against n, and OPT's and AVE's gain over RAW."""
        frame = self.to_frame()
        lines = [f"Figure 3 (seed 000): {_RULE_NOTE}", self.caption_opt, ""]
        head = (
            f"{'model':>5} {'n':>2} | {'SW RAW':>8} {'SW AVE':>8} {'SW OPT':>8} | "
            f"{'TV RAW':>6} {'TV AVE':>6} {'TV OPT':>6} | {'OPT/RAW SW':>10} {'OPT/RAW TV':>10}"
        )
        lines += [head, "-" * len(head)]
        for number in self.models:
            for n in self.ns:
                sel = frame[(frame["model"] == number) & (frame["n"] == n)].set_index("mechanism")
                sw, tv = sel["social_welfare"], sel["transaction_volume"]
                lines.append(
                    f"{number:>5} {n:>2} | {sw['RAW']:8.3f} {sw['AVE']:8.3f} {sw['OPT']:8.3f} | "
                    f"{tv['RAW']:6.3f} {tv['AVE']:6.3f} {tv['OPT']:6.3f} | "
                    f"{_gain(sw['OPT'], sw['RAW']):>10} {_gain(tv['OPT'], tv['RAW']):>10}"
                )
        lines += ["", _MODEL3_NOTE + f". {self.seconds:.1f} s."]
        return "\n".join(lines)

    @property
    def caption_opt(self) -> str:
        """OPT's search settings in one line (the generation budget per n if it varies)."""
        budgets = sorted(set(self.maxiter.values()))
        if len(budgets) == 1:
            text = str(budgets[0])
        else:
            text = ", ".join(f"n={n}: {self.maxiter[n]}" for n in self.ns)
        return _opt_note(self.seed, self.restarts, text, self.popsize)


def _gain(new: float, old: float) -> str:
    """Relative change in percent (the paper's headline measure), '-' when old is 0."""
    if old == 0:
        return "-"
    return f"{100 * (new - old) / abs(old):+.1f}%"


def figure3(
    ns: Iterable[int] = range(2, 9),
    models: Iterable[int] = PAPER_MODELS,
    seed: int = 0,
    restarts: int = 1,
    maxiter: int | Mapping[int, int] = 50,
    popsize: int = 5,
    workers: int | None = 1,
    progress: bool | None = None,
) -> Figure3:
    """Social welfare and transaction volume of RAW, AVE and OPT against the chain length.

    Parameters
    ----------
    ns : iterable of int
        Chain lengths (the paper's Figure 3 uses 2..8).
    models : iterable of int
        Paper models among 1..4.
    seed, restarts, popsize : int
        OPT's differential evolution (run r uses seed + r).
    maxiter : int or mapping n -> int
        OPT's generations, one budget for all n or one per n (missing n: 50).  The default
        (50 for every n, the paper's budget) takes about 100 s of CPU for n = 2..8 on
        Models 1-4; the evaluations used are recorded per row in ``opt_evaluations``.
    workers : int or None
        Processes (1, the default: in this process; None: all cores).  The numbers do not
        depend on it.  With more than one, a script must guard its entry point with
        ``if __name__ == "__main__":`` (worker processes re-import the main module).
    progress : bool or None
        False: no progress bar; otherwise one on stderr when it is a terminal.

    Returns
    -------
    Figure3

    Examples
    --------
    >>> fig = figure3(ns=(2, 3), models=(1,), maxiter={3: 10})
    >>> [(r["n"], r["mechanism"], r["opt_maxiter"]) for r in fig.rows if r["mechanism"] == "OPT"]
    [(2, 'OPT', 50), (3, 'OPT', 10)]
    """
    ns = tuple(read_int(n, "ns", low=1) for n in ns)
    if not ns:
        raise ModelError("ns", "needs at least one chain length")
    if len(set(ns)) != len(ns):
        raise ModelError("ns", f"has repeats: {ns}")
    models = _check_models(models)
    restarts = read_int(restarts, "restarts", low=1)
    popsize = read_int(popsize, "popsize", low=1)
    if isinstance(maxiter, Mapping):
        budget = {n: read_int(maxiter.get(n, 50), "maxiter", low=1) for n in ns}
    else:
        budget = {n: read_int(maxiter, "maxiter", low=1) for n in ns}
    t0 = time.perf_counter()
    jobs = [(m, n, seed, restarts, budget[n], popsize) for m in models for n in ns]
    solved = _run_cases(jobs, workers, progress)
    rows, opt_runs = [], []
    for number in models:
        for n in ns:
            case = solved[(number, n)]
            for mech in MECHANISMS:
                is_opt = mech == "OPT"
                rows.append(
                    {
                        "model": number,
                        "n": n,
                        "mechanism": mech,
                        "social_welfare": case[mech]["social_welfare"],
                        "transaction_volume": case[mech]["transaction_volume"],
                        "opt_evaluations": case["opt"]["evaluations"] if is_opt else 0,
                        "opt_maxiter": budget[n] if is_opt else 0,
                    }
                )
            opt_runs.append(case["opt"])
    result = Figure3(
        rows=rows,
        opt_runs=opt_runs,
        ns=ns,
        models=models,
        seed=seed,
        restarts=restarts,
        maxiter=budget,
        popsize=popsize,
        caption="",
        seconds=time.perf_counter() - t0,
    )
    caption = (
        f"Figure 3 (seed 000), n = {ns[0]}..{ns[-1]}: {_RULE_NOTE}. "
        + result.caption_opt
        + f". {_MODEL3_NOTE}."
    )
    return dataclasses.replace(result, caption=caption)


# ---------------------------------------------------------------- drawing
def prepare_out_dir(out_dir: str | os.PathLike) -> Path:
    """Create ``out_dir`` (and parents) or raise ``ModelError("--out", ...)`` saying why.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     prepare_out_dir(Path(d) / "figures").is_dir()
    True
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError("--out", f"cannot write to {out} ({exc.strerror})") from None
    if not os.access(out, os.W_OK):
        raise ModelError("--out", f"cannot write to {out} (permission denied)")
    return out


def write_figure(result: Figure2 | Figure3, out_dir: str | os.PathLike) -> list[Path]:
    """Draw ``result`` into ``out_dir`` as ``<name>.png`` and ``<name>.pdf``, numbers as ``<name>.csv``.

    Figure 2: a 2 x 4 grid (rows: trade success rates, player utilities; columns: models)
    of grouped bars RAW/AVE/OPT.  Figure 3: a 2 x 4 grid (rows: SW, TV; columns: models) of
    lines over n per mechanism.  The caption (settings) is printed under the panels.

    Returns
    -------
    list of Path
        The PNG, PDF and CSV written.

    Examples
    --------
    >>> import tempfile
    >>> fig = figure3(ns=(2, 3), models=(2,), maxiter=5)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     [p.name for p in write_figure(fig, d)]
    ['figure3.png', 'figure3.pdf', 'figure3.csv']
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if isinstance(result, Figure2):
        draw = _draw_figure2
    elif isinstance(result, Figure3):
        draw = _draw_figure3
    else:
        raise ModelError("result", f"expected a Figure2 or Figure3, got {type(result).__name__}")
    out = prepare_out_dir(out_dir)
    ncols = len(result.models)
    # the right margin holds the legend; narrow grids get room for the title and caption
    fig = Figure(figsize=(max(3.9 * ncols + 1.4, 9.0), 7.4), layout="constrained")
    FigureCanvasAgg(fig)  # no pyplot: no global state, no GUI backend
    draw(fig, result)
    fig.get_layout_engine().set(h_pad=0.08, hspace=0.06)
    paths = [out / f"{result.name}.png", out / f"{result.name}.pdf", out / f"{result.name}.csv"]
    try:
        fig.savefig(paths[0], dpi=150)
        fig.savefig(paths[1])
        result.to_frame().to_csv(paths[2], index=False)
    except OSError as exc:
        raise ModelError("--out", f"cannot write to {out} ({exc.strerror})") from None
    return paths


def _legend(fig, ax) -> None:
    # one legend for all panels, right of them, so that it never hides a bar or a point
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right upper", title="mechanism")


def _caption(fig, text: str) -> None:
    import textwrap

    width = int(fig.get_figwidth() * 15)
    fig.supxlabel(textwrap.fill(text, width), fontsize=8, color="#444444")


def _draw_figure2(fig, result: Figure2) -> None:
    frame = result.to_frame()
    axes = fig.subplots(2, len(result.models), squeeze=False)
    width = 0.8 / len(MECHANISMS)
    kinds = (
        ("trade_success", "trade i", "success rate P(trade i happens)"),
        ("player_utility", "player i", "expected utility E[u_i]"),
    )
    for col, number in enumerate(result.models):
        for row, (kind, xlabel, ylabel) in enumerate(kinds):
            ax = axes[row, col]
            for j, mech in enumerate(MECHANISMS):
                sel = frame[
                    (frame["model"] == number)
                    & (frame["mechanism"] == mech)
                    & (frame["kind"] == kind)
                ]
                ax.bar(
                    sel["index"] + (j - 1) * width,
                    sel["value"],
                    width=width,
                    color=COLORS[mech],
                    label=mech,
                )
            idx = sorted(frame[frame["kind"] == kind]["index"].unique())
            ax.set_xticks(idx)
            ax.axhline(0, color="black", linewidth=0.6)
            ax.grid(axis="y", alpha=0.3)
            ax.set_axisbelow(True)
            ax.set_xlabel(xlabel)
            if kind == "trade_success":
                ax.set_ylim(0, 1.05)
                ax.set_title(f"{_model_title(number)}\n{MODEL_ASSUMPTIONS[number]}", fontsize=11)
            if col == 0:
                ax.set_ylabel(ylabel)
    _legend(fig, axes[0, 0])
    fig.suptitle(
        f"Figure 2: per-trade success rates and per-player expected utilities, n = {result.n}",
        fontsize=13,
    )
    _caption(fig, result.caption)


def _draw_figure3(fig, result: Figure3) -> None:
    frame = result.to_frame()
    axes = fig.subplots(2, len(result.models), squeeze=False)
    metrics = (
        ("social_welfare", "expected social welfare SW"),
        ("transaction_volume", "transaction volume TV"),
    )
    for col, number in enumerate(result.models):
        for row, (metric, ylabel) in enumerate(metrics):
            ax = axes[row, col]
            for mech in MECHANISMS:
                sel = frame[(frame["model"] == number) & (frame["mechanism"] == mech)]
                ax.plot(
                    sel["n"],
                    sel[metric],
                    marker=MARKERS[mech],
                    color=COLORS[mech],
                    label=mech,
                    linewidth=1.6,
                    markersize=5,
                )
            ax.set_xticks(list(result.ns))
            ax.grid(alpha=0.3)
            ax.set_xlabel("chain length n")
            if row == 0:
                ax.set_title(f"{_model_title(number)}\n{MODEL_ASSUMPTIONS[number]}", fontsize=11)
            if col == 0:
                ax.set_ylabel(ylabel)
    _legend(fig, axes[0, 0])
    fig.suptitle(
        "Figure 3: social welfare and transaction volume against chain length", fontsize=13
    )
    _caption(fig, result.caption)
