"""``datamech.solve`` for kind ``mechanism``: choose the method, solve, certify, report.

The randomized LP (:mod:`.lp`), lazily generated IC pairs for multi-dimensional types
(:mod:`.lazy`), reduced forms (:mod:`.reduced`) and the deterministic MIP (:mod:`.mip`)
all end here in :func:`finish`: the returned mechanism is evaluated by the independent
evaluator (:mod:`.evaluate`, exact rationals), the dual bound is certified
(:mod:`.certify`), and the result is assembled.
"""

from __future__ import annotations

import time
from typing import Any

from ...errors import ModelError
from ...models.mechanism import MechanismModel
from ...sizes import check_count
from ...status import Status
from .highs import HighsLP
from .lazy import solve_lazy
from .lp import Layout, Plan, build, check_size, count_pairs
from .mip import solve_mip
from .options import OPTIONS
from .reduced import solve_reduced
from .report import extract, finish
from .result import MechanismResult
from .runner import run, size_field

__all__ = ["choose_method", "reduced_form_applies", "solve_lp", "solve_model"]

#: Profiles beyond which the profile LP is refused (a work limit; the size guard comes first).
MAX_PROFILES = 5_000_000


def choose_method(model: MechanismModel, method: str) -> str:
    """``auto``: reduced_form for one item with several bidders under BIC and interim IR
    (no ex-post budget, no designer's cost), else lp.

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - K. C. Border, "Implementation of reduced form auctions: a geometric approach", Econometrica
      59(4), 1991.
    - A. M. Manelli and D. R. Vincent, "Bundling as an optimal selling mechanism for a multiple-good
      monopolist", Journal of Economic Theory 127(1), 2006.
    - V. Conitzer and T. Sandholm, "Complexity of mechanism design", Proceedings of the 18th
      Conference on Uncertainty in Artificial Intelligence (UAI), 2002.
    - R. B. Myerson and M. A. Satterthwaite, "Efficient mechanisms for bilateral trading", Journal
      of Economic Theory 29(2), 1983.
    """
    if method != "auto":
        return method
    if reduced_form_applies(model) is None:
        return "reduced_form"
    return "lp"


def reduced_form_applies(model: MechanismModel) -> str | None:
    """``None`` when the reduced form applies, else why not."""
    if model.preset != "single_item":
        return f"it is for a single item (preset is {model.preset!r})"
    if model.ic != "bic" or model.ir not in ("interim", "none"):
        return "it needs ic = 'bic' and ir = 'interim' (interim forms)"
    if model.budget in ("no_deficit", "balanced"):
        return "an ex-post budget needs the profile LP"
    return None


def solve_model(model: MechanismModel, **options: Any) -> MechanismResult:
    """Solve a mechanism-design model (``datamech.solve`` entry point).

    Options (``datamech options mechanism``): ``method`` (auto | lp | mip |
    reduced_form), ``exact``, ``tol``, ``time_limit``, ``max_iterations``, ``ic_rows``,
    ``implementation``, ``mip_gap``, ``backend``, ``solver``.

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - K. C. Border, "Implementation of reduced form auctions: a geometric approach", Econometrica
      59(4), 1991.
    - A. M. Manelli and D. R. Vincent, "Bundling as an optimal selling mechanism for a multiple-good
      monopolist", Journal of Economic Theory 127(1), 2006.
    - V. Conitzer and T. Sandholm, "Complexity of mechanism design", Proceedings of the 18th
      Conference on Uncertainty in Artificial Intelligence (UAI), 2002.
    - R. B. Myerson and M. A. Satterthwaite, "Efficient mechanisms for bilateral trading", Journal
      of Economic Theory 29(2), 1983.
    """
    if not isinstance(model, MechanismModel):
        raise ModelError("model", f"expected a mechanism model, got {type(model).__name__}")
    opts = OPTIONS.resolve(options)
    method = choose_method(model, opts["method"])
    backend = opts.get("backend")
    want = "pyomo" if method == "mip" else "highspy"
    if backend is not None and backend != want:
        raise ModelError("solver.backend", f"method {method} runs on {want}, not {backend}")
    if method == "reduced_form":
        why = reduced_form_applies(model)
        if why is not None:
            raise ModelError("solver.method", f"reduced_form does not apply: {why}")
        return solve_reduced(model, opts)
    if method == "mip":
        return solve_mip(model, opts)
    return solve_lp(model, opts)


def solve_lp(model: MechanismModel, opts: dict) -> MechanismResult:
    """The randomized mechanism LP (spec §3), IC pairs lazily for multi-dimensional types."""
    t0 = time.perf_counter()
    inst = model.instance()
    plan = Plan.choose(model)
    field = size_field(model)
    dry = Layout.build(inst, plan, dry=True)
    lazy = _use_lazy(model, dry, opts)
    if not lazy:
        check_size(dry, [count_pairs(dry, i) for i in range(inst.n)], field)
    check_count(field, inst.profiles, MAX_PROFILES, f"{inst.profiles:,} type profiles")
    lay = Layout.build(inst, plan)
    if lazy:
        highs, sol, rounds, exact_lp = solve_lazy(model, lay, opts, field)
    else:
        highs = HighsLP(build(lay, model), opts.get("time_limit"))
        sol = run(highs, model, "the mechanism LP")
        rounds, exact_lp = 0, None
    advice = None
    if sol.status is not Status.OPTIMAL:
        advice = (
            f"the LP ended with status {sol.status.value}; raise [solver] time_limit or "
            "max_iterations"
        )
    mech = extract(lay, sol.x)
    return finish(
        model,
        mech,
        sol,
        highs=highs,
        opts=opts,
        method="lp",
        t0=t0,
        iterations=rounds,
        layout=lay,
        exact_lp=exact_lp,
        advice=advice,
    )


def _use_lazy(model: MechanismModel, lay: Layout, opts: dict) -> bool:
    rows = opts.get("ic_rows", "auto")
    if lay.plan.local_ic or lay.plan.ic == "none":
        return False
    bic = lay.plan.ic == "bic" or model.instance().n == 1
    if rows == "lazy":
        if not bic or lay.plan.ic == "dsic" and model.instance().n > 1:
            raise ModelError("solver.ic_rows", "lazy IC generation applies to BIC (interim) rows")
        return True
    if rows == "all" or not bic or (lay.plan.ic == "dsic" and model.instance().n > 1):
        return False
    return sum(a.K * (a.K - 1) for a in model.instance().agents) > 20_000
