"""Solvers for selling information to competing buyers (seed 004, spec info-sale.md).

* :func:`solve_lp`: the general LP of spec §3.2 (any finite game; highspy or cvxpy).
* :class:`InfoSaleLP`: the same LP kept alive for sweeps (prior, outside option,
  revenue/welfare mix, new types) with warm-started highspy or a DPP cvxpy problem.
* :func:`solve_reduced` / :func:`solve_greedy`: the n = 2 Example 3 reduction (§3.3).
* :class:`ClosedFormMechanism` / :func:`solve_closed_form`: Props 4-8 (§2, §3.4) and
  :func:`exponential_closed_forms` (§4.1 item 9).
* :func:`plot_regions`: the (v_1, v_2) maps of Figs 4-1 to 4-3 (PNG/PDF files).
* :func:`solve_model`: the ``datamech.solve`` entry point.

Examples
--------
>>> from datamech.models.infosale import create
>>> m = create("competition", alpha=0.5, cells=40)
>>> lp, cf = solve_model(m), solve_model(m, method="closed-form")
>>> abs(lp.revenue - cf.revenue) < 5e-3
True
"""

from ...errors import ModelError
from .closed_form import (
    RULES,
    ClosedFormMechanism,
    ClosedFormResult,
    exponential_closed_forms,
    mechanism_for,
    solve_closed_form,
)
from .lp import BACKENDS, build_lp, diagnose_infeasibility, outside_option, solve_lp
from .persistent import InfoSaleLP
from .plots import THESIS_COLORS, plot_regions
from .reduced import solve_greedy, solve_reduced
from .results import InfoSaleResult

METHODS = ("lp", "reduced", "greedy", "closed-form")


def solve_model(model, **options):
    """Solve an infosale model; the ``datamech.solve`` entry point.

    Options (model file ``[solver]`` table first, keywords override): ``method`` in
    lp | reduced | greedy | closed-form (default lp), ``backend`` in highspy | cvxpy
    (LPs; default highspy), ``time_limit`` (seconds), ``monotone`` (reduced LP).
    """
    opts = dict(model._cache.get("solver_options", {}))
    opts.update(options)
    method = opts.pop("method", "lp")
    backend = opts.pop("backend", "highspy")
    time_limit = opts.pop("time_limit", None)
    monotone = opts.pop("monotone", False)
    if opts:
        raise ModelError(f"solver.{sorted(opts)[0]}", "is not an option of the infosale solvers")
    if method == "lp":
        return solve_lp(model, backend=backend, time_limit=time_limit)
    if method == "reduced":
        return solve_reduced(model, backend=backend, monotone=bool(monotone), time_limit=time_limit)
    if method == "greedy":
        return solve_greedy(model)
    if method == "closed-form":
        return solve_closed_form(model)
    raise ModelError("solver.method", f"unknown method {method!r} (known: {', '.join(METHODS)})")


__all__ = [
    "BACKENDS",
    "METHODS",
    "RULES",
    "ClosedFormMechanism",
    "ClosedFormResult",
    "InfoSaleLP",
    "InfoSaleResult",
    "build_lp",
    "diagnose_infeasibility",
    "exponential_closed_forms",
    "mechanism_for",
    "outside_option",
    "plot_regions",
    "THESIS_COLORS",
    "solve_closed_form",
    "solve_greedy",
    "solve_lp",
    "solve_model",
    "solve_reduced",
]
