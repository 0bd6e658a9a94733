"""Kind ``mechanism``: a user's own mechanism-design problem (automated mechanism design).

A model file poses the problem; :func:`datamech.solve` finds the optimal mechanism
(randomized by LP, deterministic by MIP, or over reduced forms) and certifies it;
``datamech audit`` checks a given mechanism.  The schema::

    [model]
    kind = "mechanism"
    name = "Myerson, three bidders"
    objective = "revenue"        # revenue | welfare | expression
    # expression = "welfare + 0.5*revenue"   # linear in the expected quantities
                                             # (datamech.models.mechanism.forms)
    [outcomes]
    preset = "single_item"       # single_item | multi_item | bilateral_trade |
                                 # public_project | table
    # multi_item:     items = 2, valuation = "additive" | "unit_demand"
    # public_project: cost = 1   (the designer's cost of provision)
    # table:          outcomes = ["a", "b"], costs = [0, 1] (optional)

    [[agents]]
    name = "bidder"
    count = 3                    # optional: this many independent copies
    family = "uniform"           # any law of datamech.models.distributions
    low = 0
    high = 1
    # multi_item:      item_types = [{family = "uniform", low = 0, high = 1}, ...]
    #                  (independent items), a law (i.i.d. items), or
    #                  types = [[v1, v2], ...] with probs = [...]
    # bilateral_trade: role = "buyer" | "seller" (the seller's law is its cost)
    # table:           probs = [...], values = [[u(type, outcome), ...], ...],
    #                  types = ["low", "high"] (optional names)

    [constraints]
    ic = "bic"                   # bic | dsic | none
    ir = "interim"               # interim | ex_post | none
    budget = "none"              # none | no_deficit | balanced (ex post) | ex_ante_no_deficit
    requirements = []            # e.g. ["x1 >= 0.2", "revenue >= 0.3"]

    [grid]
    cells = 50                   # types per continuous law (datamech.models.mechanism.typespace)
    scheme = "left"              # left (types rounded down) | condmean

    [solver]
    method = "auto"              # auto | lp | mip | reduced_form
    exact = false

    [mechanism]                  # only for `datamech audit`
    rule = "second_price"        # second_price (reserve) | first_price (reserve) |
                                 # posted_price (price) | table (allocation, payments)

Payments are what an agent pays the designer (a seller in bilateral trade receives
``-p``); values are linear in the outcome: ``t x_i`` for a single item, ``sum_j t_j x_ij``
for items, ``v x`` and ``-c x`` for the buyer and seller of a trade, ``t_i x`` for a
public project, ``sum_o u_i(t, o) lambda_o`` for a table.

>>> m = create(outcomes={"preset": "single_item"},
...            agents=[{"name": "bidder", "count": 2, "family": "discrete",
...                     "values": [1, 2], "probs": ["1/2", "1/2"]}])
>>> [a.name for a in m.agents], m.instance().profiles
(['bidder 1', 'bidder 2'], 4)
"""

from __future__ import annotations

from typing import Any

from ..io import from_dict, register_kind
from .forms import LinearForm, Requirement, linear_form, names_for, requirement
from .schema import (
    BUDGETS,
    IC,
    IR,
    OBJECTIVES,
    PRESETS,
    RULES,
    AgentSpec,
    MechanismModel,
    read_model,
    write_model,
)
from .typespace import SCHEMES, AgentTypes, Instance, discretize_law

__all__ = [
    "BUDGETS",
    "IC",
    "IR",
    "OBJECTIVES",
    "PRESETS",
    "RULES",
    "SCHEMES",
    "AgentSpec",
    "AgentTypes",
    "Instance",
    "LinearForm",
    "MechanismModel",
    "Requirement",
    "create",
    "discretize_law",
    "linear_form",
    "names_for",
    "read_model",
    "requirement",
    "write_model",
]


def create(
    *,
    outcomes: dict[str, Any],
    agents: list[dict[str, Any]],
    objective: str = "revenue",
    expression: str | None = None,
    name: str = "mechanism",
    constraints: dict[str, Any] | None = None,
    grid: dict[str, Any] | None = None,
    solver: dict[str, Any] | None = None,
    mechanism: dict[str, Any] | None = None,
) -> MechanismModel:
    """A model from Python, with the model file's tables as dictionaries.

    Parameters
    ----------
    outcomes, agents, constraints, grid, solver, mechanism : dict
        The tables of the model file (``agents`` a list of tables).
    objective, expression, name : str
        The ``[model]`` table's entries.

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - V. Conitzer and T. Sandholm, "Complexity of mechanism design", Proceedings of the 18th
      Conference on Uncertainty in Artificial Intelligence (UAI), 2002.
    """
    data: dict[str, Any] = {"model": {"kind": "mechanism", "name": name, "objective": objective}}
    if expression is not None:
        data["model"]["expression"] = expression
    data["outcomes"] = dict(outcomes)
    data["agents"] = [dict(a) for a in agents]
    for key, table in (
        ("constraints", constraints),
        ("grid", grid),
        ("solver", solver),
        ("mechanism", mechanism),
    ):
        if table is not None:
            data[key] = dict(table)
    return from_dict(data)


register_kind("mechanism", MechanismModel, read_model, write_model)
