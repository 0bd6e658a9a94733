"""Running the LPs of kind ``mechanism``: statuses, and naming the constraint family that
makes a program infeasible or unbounded (spec: bad input)."""

from __future__ import annotations

import numpy as np

from ...errors import SolverError
from ...models.mechanism import MechanismModel
from ...status import Status
from .highs import HighsLP, Solution

__all__ = ["diagnose", "run", "size_field", "unbounded"]


def size_field(model: MechanismModel) -> str:
    """The model field that drives the program's size."""
    if any(a.law is not None and not a.law.discrete or a.item_laws for a in model.agents):
        return "grid.cells"
    return "agents"


def run(highs: HighsLP, model: MechanismModel, what: str) -> Solution:
    """Solve; an infeasible or unbounded program is a SolverError naming the family."""
    try:
        return highs.solve(what)
    except SolverError as exc:
        if exc.status is Status.INFEASIBLE:
            raise diagnose(highs, model, what) from None
        if exc.status is Status.UNBOUNDED:
            raise unbounded(model, what) from None
        raise


def unbounded(model: MechanismModel, what: str) -> SolverError:
    """The unbounded program's missing family."""
    if model.ir == "none":
        hint = (
            "payments are bounded by nothing: the objective rewards payments but "
            "constraints.ir = 'none' (set ir = 'interim' or 'ex_post')"
        )
    elif model.budget == "none":
        hint = (
            "transfers to the agents are bounded by nothing: set constraints.budget "
            "(e.g. 'no_deficit')"
        )
    else:
        hint = "the objective has no finite maximum under these constraints"
    return SolverError(Status.UNBOUNDED, f"{what} is unbounded: {hint}")


def diagnose(highs: HighsLP, model: MechanismModel, what: str) -> SolverError:
    """Which constraint family makes the program infeasible: drop families one at a time
    (requirements, budget, IR, IC) until it becomes feasible."""
    fam = highs.families
    names = {
        "requirements": "constraints.requirements",
        "budget": "constraints.budget",
        "ir": "constraints.ir",
        "ic": "constraints.ic",
    }
    dropped = []
    ncol = highs.num_cols
    highs.h.changeColsCost(ncol, np.arange(ncol, dtype=np.int32), np.zeros(ncol))
    if highs.status() is Status.OPTIMAL:  # HiGHS said "infeasible or unbounded"
        return unbounded(model, what)
    for key in ("requirements", "budget", "ir", "ic"):
        rows = fam.get(key)
        if rows is None or len(rows) == 0:
            continue
        highs.set_row_bounds(rows, np.full(len(rows), -np.inf), np.full(len(rows), np.inf))
        dropped.append(names[key])
        if highs.status() is Status.OPTIMAL:
            also = f" (with {', '.join(dropped[:-1])} dropped too)" if len(dropped) > 1 else ""
            return SolverError(
                Status.INFEASIBLE,
                f"{what} is infeasible: no mechanism satisfies {names[key]} together with "
                f"the other constraints{also}",
            )
    return SolverError(Status.INFEASIBLE, f"{what} is infeasible (outcome feasibility)")
