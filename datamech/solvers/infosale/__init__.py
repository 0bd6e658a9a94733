"""Solvers for selling information to competing buyers (Nouripour 2021).

* :func:`solve_lp`: the general LP (any finite game; highspy or cvxpy).
* :class:`InfoSaleLP`: the same LP kept alive for sweeps (prior, outside option,
  revenue/welfare mix, new types) with warm-started highspy or a DPP cvxpy problem.
* :func:`solve_reduced` / :func:`solve_greedy`: the n = 2 Example 3 reduction (§3.3).
* :class:`ClosedFormMechanism` / :func:`solve_closed_form`: Props 4-8 (§2, §3.4) and
  :func:`exponential_closed_forms` (§4.1 item 9).
* :func:`plot_regions`: the (v_1, v_2) maps of Figs 4-1 to 4-3 (PNG/PDF files);
  every result also has ``plot()`` and ``save_plots()``.
* :func:`solve_model`: the ``datamech.solve`` entry point; :data:`OPTIONS` its options
  (``datamech options infosale``).

Examples
--------
>>> from datamech.models.infosale import create
>>> m = create("competition", alpha=0.5, cells=40)
>>> lp, cf = solve_model(m), solve_model(m, method="closed-form")
>>> abs(lp.revenue - cf.revenue) < 5e-3
True
>>> lp.status, cf.status
(<Status.OPTIMAL: 'optimal'>, <Status.EVALUATED: 'evaluated'>)
"""

import contextlib

from ...models.infosale import BACKENDS, OPTIONS, InfoSaleModel
from ...sizes import memory_limit
from .closed_form import (
    RULES,
    ClosedFormMechanism,
    ClosedFormResult,
    exponential_closed_forms,
    mechanism_for,
    solve_closed_form,
)
from .estimate import lp_shape
from .lp import build_lp, diagnose_infeasibility, solve_lp
from .outside import outside_option
from .persistent import InfoSaleLP
from .plots import THESIS_COLORS, plot_regions
from .reduced import solve_greedy, solve_reduced
from .results import InfoSaleResult

METHODS = tuple(OPTIONS.methods)


def solve_model(model: InfoSaleModel, **options):
    """Solve an infosale model; the ``datamech.solve`` entry point.

    Options (declared in :data:`OPTIONS`; the model's ``solver_options`` first, keywords
    override): ``method`` in lp | reduced | greedy | closed-form (default lp),
    ``backend`` in highspy | cvxpy (LPs; default highspy), ``solver`` (the numerical
    solver, default highs), ``time_limit`` (seconds), ``monotone`` (reduced LP) and
    ``max_memory_gb`` (the size guards' limit).

    References
    ----------
    - A. Nouripour, "Selling Information in Competitive Environments", S.M. thesis, Department of
      Electrical Engineering and Computer Science, Massachusetts Institute of Technology, Cambridge,
      MA, September 2021.

    Examples
    --------
    >>> from datamech.models.infosale import create
    >>> solve_model(create("competition", alpha=0.5, cells=20), method="greedy").method
    'greedy'
    """
    opts = OPTIONS.resolve(OPTIONS.merge(model.solver_options, options))
    limit = opts.pop("max_memory_gb", None)
    with memory_limit(limit) if limit is not None else contextlib.nullcontext():
        method = opts["method"]
        lp_opts = dict(
            backend=opts["backend"], solver=opts["solver"], time_limit=opts["time_limit"]
        )
        if method == "lp":
            return solve_lp(model, **lp_opts)
        if method == "reduced":
            return solve_reduced(model, monotone=opts["monotone"], **lp_opts)
        if method == "greedy":
            return solve_greedy(model)
        return solve_closed_form(model)


__all__ = [
    "BACKENDS",
    "METHODS",
    "OPTIONS",
    "RULES",
    "ClosedFormMechanism",
    "ClosedFormResult",
    "InfoSaleLP",
    "InfoSaleResult",
    "build_lp",
    "diagnose_infeasibility",
    "exponential_closed_forms",
    "lp_shape",
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
