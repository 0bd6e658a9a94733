"""The model file of kind ``mechanism``: reading, checking and writing it back.

See :mod:`datamech.models.mechanism` for the schema.  Every bad input is a
``ModelError`` naming its field (``agents[1].role``, ``outcomes.preset``, ...).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from ...errors import ModelError
from ...numeric import read_array, read_int, read_number
from ...schema.mechanism import (  # the declaration's names: one list of each, read here too
    BUDGETS,
    IC,
    IR,
    MAX_AGENTS,
    MAX_CELLS,
    MAX_ITEMS,
    OBJECTIVES,
    PRESETS,
    ROLES,
    VALUATIONS,
)
from ..distributions import LAW_KEYS, TypeDistribution, from_table
from ..io import check_choice, check_keys, check_name
from .forms import LinearForm, Requirement, linear_form, requirement
from .typespace import (
    MAX_TYPES,
    SCHEMES,
    AgentTypes,
    Instance,
    discretize_law,
    product_types,
)

__all__ = [
    "BUDGETS",
    "IC",
    "IR",
    "OBJECTIVES",
    "PRESETS",
    "RULES",
    "AgentSpec",
    "MechanismModel",
    "default_cells",
    "read_model",
    "write_model",
]

RULES = ("second_price", "first_price", "posted_price", "table")
DEFAULT_CELLS = 50
#: Default grid of several independent items: about this many type vectors in all
#: (20 x 20 for two items), so the product grid stays a quick solve.
DEFAULT_PRODUCT_TYPES = 400
#: The largest magnitude a type, price or cost may have (refused beyond: issue 12).
MAX_VALUE = 1e12

_TOP = ("model", "outcomes", "agents", "constraints", "grid", "solver", "mechanism")
_OUTCOME_KEYS = {
    "single_item": (),
    "multi_item": ("items", "valuation"),
    "bilateral_trade": (),
    "public_project": ("cost",),
    "table": ("outcomes", "costs"),
}


@dataclass(frozen=True, eq=False)
class AgentSpec:
    """One agent as written (after ``count`` copies are expanded).

    ``law`` for one-dimensional presets; ``item_laws`` (one per item) or ``points`` with
    ``probs`` (explicit type vectors) for several items; ``points`` (values per type and
    outcome) with ``probs`` for a table.

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - V. Conitzer and T. Sandholm, "Complexity of mechanism design", Proceedings of the 18th
      Conference on Uncertainty in Artificial Intelligence (UAI), 2002.
    """

    name: str
    role: str
    field: str
    law: TypeDistribution | None = None
    item_laws: tuple[TypeDistribution, ...] = ()
    points: Any = None
    probs: Any = None
    labels: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class MechanismModel:
    """A mechanism-design problem read from a model file (kind ``mechanism``).

    ``solver_options`` is the file's ``[solver]`` table; :meth:`instance` the finite
    problem (types on the grid, exact twins).

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - V. Conitzer and T. Sandholm, "Complexity of mechanism design", Proceedings of the 18th
      Conference on Uncertainty in Artificial Intelligence (UAI), 2002.
    """

    name: str
    objective: str
    preset: str
    agents: tuple[AgentSpec, ...]
    ic: str = "bic"
    ir: str = "interim"
    budget: str = "none"
    items: int = 1
    valuation: str = "additive"
    outcomes: tuple[str, ...] = ()
    cost: tuple[Fraction, ...] = ()
    cells: int | None = None
    scheme: str = "left"
    expression: LinearForm | None = None
    requirements: tuple[Requirement, ...] = ()
    mechanism: dict | None = None
    solver_options: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        return len(self.agents)

    def instance(self) -> Instance:
        """The finite problem: every law on the grid, types sorted, exact twins (spec §6)."""
        cached = self.__dict__.get("_instance")
        if cached is None:
            cached = Instance(
                preset=self.preset,
                agents=tuple(_agent_types(a, self) for a in self.agents),
                items=self.items,
                valuation=self.valuation,
                outcomes=self.outcomes,
                cost=self.cost,
            )
            object.__setattr__(self, "_instance", cached)
        return cached


# ---------------------------------------------------------------- reading
def _table(data: Mapping, key: str, required: bool = False) -> dict:
    if key not in data:
        if required:
            raise ModelError(key, "is required")
        return {}
    value = data[key]
    if not isinstance(value, Mapping):
        raise ModelError(key, f"must be a table, got {type(value).__name__}")
    return dict(value)


def _value(x: Any, field: str, **kw) -> Fraction | float:
    return read_number(x, field, low=kw.pop("low", -MAX_VALUE), high=MAX_VALUE, **kw)


def read_model(data: Mapping[str, Any]) -> MechanismModel:
    """Build a :class:`MechanismModel` from a parsed model file (``ModelError`` on bad input).

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - V. Conitzer and T. Sandholm, "Complexity of mechanism design", Proceedings of the 18th
      Conference on Uncertainty in Artificial Intelligence (UAI), 2002.
    """
    check_keys(data, "", _TOP, ("model", "outcomes", "agents"))
    model = _table(data, "model", required=True)
    check_keys(model, "model", ("kind", "name", "objective", "expression"), ("kind",))
    name = check_name(model.get("name", "mechanism"), "model.name", required=False)
    objective = check_choice(model.get("objective", "revenue"), "model.objective", OBJECTIVES)

    outcomes = _table(data, "outcomes", required=True)
    every = {key for keys in _OUTCOME_KEYS.values() for key in keys}
    check_keys(outcomes, "outcomes", ("preset", *every), ("preset",))
    preset = check_choice(outcomes["preset"], "outcomes.preset", PRESETS)
    check_keys(outcomes, "outcomes", ("preset", *_OUTCOME_KEYS[preset]), ())
    items, valuation, names, cost = 1, "additive", (), ()
    if preset == "multi_item":
        items = read_int(outcomes.get("items", 2), "outcomes.items", low=1, high=MAX_ITEMS)
        valuation = check_choice(
            outcomes.get("valuation", "additive"), "outcomes.valuation", VALUATIONS
        )
    elif preset == "public_project":
        cost = (Fraction(_value(outcomes.get("cost", 0), "outcomes.cost", low=0, exact=True)),)
    elif preset == "table":
        names = _outcome_names(outcomes)
        raw = outcomes.get("costs", [0] * len(names))
        costs = read_array(
            raw, "outcomes.costs", exact=True, ndim=1, low=-MAX_VALUE, high=MAX_VALUE
        )
        if len(costs) != len(names):
            raise ModelError(
                "outcomes.costs", f"has {len(costs)} entries for {len(names)} outcomes"
            )
        cost = tuple(Fraction(c) for c in costs)

    agents = _agents(data.get("agents"), preset, items, len(names))
    cons = _table(data, "constraints")
    check_keys(cons, "constraints", ("ic", "ir", "budget", "requirements"), ())
    ic = check_choice(cons.get("ic", "bic"), "constraints.ic", IC)
    ir = check_choice(cons.get("ir", "interim"), "constraints.ir", IR)
    budget = check_choice(cons.get("budget", "none"), "constraints.budget", BUDGETS)
    n = len(agents)
    reqs = cons.get("requirements", [])
    if not isinstance(reqs, list):
        raise ModelError("constraints.requirements", "must be a list of strings like 'x1 >= 0.5'")
    requirements = tuple(
        requirement(r, f"constraints.requirements[{k}]", n=n, preset=preset, outcomes=len(names))
        for k, r in enumerate(reqs)
    )
    expression = None
    if objective == "expression":
        if "expression" not in model:
            raise ModelError("model.expression", "is required when objective = 'expression'")
        expression = linear_form(
            model["expression"], "model.expression", n=n, preset=preset, outcomes=len(names)
        )
    elif "expression" in model:
        raise ModelError("model.expression", "is read only when objective = 'expression'")

    grid = _table(data, "grid")
    check_keys(grid, "grid", ("cells", "scheme"), ())
    cells = None
    if "cells" in grid:
        cells = read_int(grid["cells"], "grid.cells", low=1, high=MAX_CELLS)
    scheme = check_choice(grid.get("scheme", "left"), "grid.scheme", SCHEMES)
    mechanism = _mechanism(data, preset, items) if "mechanism" in data else None
    solver = _table(data, "solver")
    clean = {k: copy.deepcopy(v) for k, v in data.items() if k != "solver"}
    return MechanismModel(
        name=name,
        objective=objective,
        preset=preset,
        agents=agents,
        ic=ic,
        ir=ir,
        budget=budget,
        items=items,
        valuation=valuation,
        outcomes=names,
        cost=cost,
        cells=cells,
        scheme=scheme,
        expression=expression,
        requirements=requirements,
        mechanism=mechanism,
        solver_options=solver,
        data=clean,
    )


def _outcome_names(outcomes: Mapping) -> tuple[str, ...]:
    raw = outcomes.get("outcomes")
    if raw is None:
        raise ModelError("outcomes.outcomes", "is required for preset 'table' (a list of names)")
    if not isinstance(raw, list) or not raw:
        raise ModelError("outcomes.outcomes", "must be a non-empty list of outcome names")
    names = tuple(check_name(x, f"outcomes.outcomes[{k}]") for k, x in enumerate(raw))
    if len(set(names)) != len(names):
        raise ModelError("outcomes.outcomes", "outcome names must be distinct")
    if len(names) > 1000:
        raise ModelError("outcomes.outcomes", f"has {len(names)} outcomes; the limit is 1000")
    return names


def _agents(raw: Any, preset: str, items: int, n_outcomes: int) -> tuple[AgentSpec, ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(a, Mapping) for a in raw):
        raise ModelError("agents", "must be a non-empty array of tables ([[agents]])")
    roles = ROLES[preset]
    out: list[AgentSpec] = []
    for k, table in enumerate(raw):
        where = f"agents[{k}]"
        count = read_int(table.get("count", 1), f"{where}.count", low=1, high=MAX_AGENTS)
        name = check_name(table.get("name", roles[0]), f"{where}.name")
        role = table.get("role", roles[0])
        if preset == "bilateral_trade" and "role" not in table:
            raise ModelError(f"{where}.role", "is required in bilateral trade (buyer or seller)")
        if not isinstance(role, str) or role not in roles:
            if role == "seller" and preset == "single_item":
                raise ModelError(
                    f"{where}.role",
                    "a single-item auction has bidders only: the designer sells "
                    "(use preset 'bilateral_trade' for a seller with a cost)",
                )
            check_choice(role, f"{where}.role", roles)
        spec = _agent_spec(table, where, preset, items, n_outcomes, role)
        if count > 1 and preset == "bilateral_trade":
            raise ModelError(f"{where}.count", "bilateral trade has one buyer and one seller")
        for c in range(count):
            label = name if count == 1 else f"{name} {c + 1}"
            out.append(AgentSpec(**{**spec.__dict__, "name": label}))
        if len(out) > MAX_AGENTS:
            raise ModelError(f"{where}.count", f"more than {MAX_AGENTS} agents in all")
    if preset == "bilateral_trade":
        got = sorted(a.role for a in out)
        if got != ["buyer", "seller"]:
            raise ModelError("agents", f"bilateral trade needs one buyer and one seller, got {got}")
        out.sort(key=lambda a: a.role)  # buyer first, seller second
    return tuple(out)


def _agent_spec(table, where, preset, items, n_outcomes, role) -> AgentSpec:
    base = ("name", "count", "role")
    if preset == "table":
        check_keys(table, where, (*base, "probs", "values", "types"), ("probs", "values"))
        probs = read_array(table["probs"], f"{where}.probs", ndim=1, low=0, high=1)
        vals = read_array(
            table["values"], f"{where}.values", ndim=2, low=-MAX_VALUE, high=MAX_VALUE
        )
        if vals.shape != (len(probs), n_outcomes):
            raise ModelError(
                f"{where}.values",
                f"must have one row per type ({len(probs)}) and one entry per outcome "
                f"({n_outcomes}), got {vals.shape[0]} x {vals.shape[1]}",
            )
        labels = _labels(table.get("types"), len(probs), f"{where}.types")
        return AgentSpec("", role, where, points=vals, probs=probs, labels=labels)
    if preset == "multi_item":
        allowed = (*base, "item_types", "types", "probs", *sorted(LAW_KEYS))
        check_keys(table, where, allowed, ())
        if "item_types" in table:
            laws = table["item_types"]
            if not isinstance(laws, list) or not all(isinstance(t, Mapping) for t in laws):
                raise ModelError(f"{where}.item_types", "must be a list of law tables")
            if len(laws) != items:
                raise ModelError(f"{where}.item_types", f"has {len(laws)} laws for {items} items")
            extra = sorted(set(table) - {*base, "item_types"})
            if extra:
                raise ModelError(f"{where}.{extra[0]}", "give item_types or a law, not both")
            item_laws = tuple(_law(t, f"{where}.item_types[{j}]") for j, t in enumerate(laws))
            return AgentSpec("", role, where, item_laws=item_laws)
        if "types" in table:
            check_keys(table, where, (*base, "types", "probs"), ("types", "probs"))
            pts = read_array(table["types"], f"{where}.types", ndim=2, low=0, high=MAX_VALUE)
            probs = read_array(table["probs"], f"{where}.probs", ndim=1, low=0, high=1)
            if pts.shape != (len(probs), items):
                raise ModelError(
                    f"{where}.types",
                    f"must have one row per type ({len(probs)}) and one value per item "
                    f"({items}), got {pts.shape[0]} x {pts.shape[1]}",
                )
            _distinct_rows(pts, f"{where}.types")
            return AgentSpec("", role, where, points=pts, probs=probs)
        law = _law({k: v for k, v in table.items() if k not in base}, where)
        return AgentSpec("", role, where, item_laws=(law,) * items)
    check_keys(table, where, (*base, *sorted(LAW_KEYS)), ("family",))
    law = _law({k: v for k, v in table.items() if k not in base}, where)
    return AgentSpec("", role, where, law=law)


def _law(table: Mapping, where: str) -> TypeDistribution:
    law = from_table(table, where)
    lo, hi = law.support
    if not float(lo) >= 0:
        raise ModelError(f"{where}.low", "types must be nonnegative")
    if float(lo) > MAX_VALUE or (np.isfinite(float(hi)) and float(hi) > MAX_VALUE):
        raise ModelError(f"{where}.high", f"types above {MAX_VALUE:g} are not supported")
    return law


def _labels(raw, k: int, field: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) != k:
        raise ModelError(field, f"must be a list of {k} type names")
    return tuple(check_name(x, f"{field}[{j}]") for j, x in enumerate(raw))


def _distinct_rows(pts: np.ndarray, field: str) -> None:
    seen = set()
    for row in pts.tolist():
        key = tuple(row)
        if key in seen:
            raise ModelError(field, f"the type {list(key)} is listed twice")
        seen.add(key)


def default_cells(items: int) -> int:
    """Cells per law when ``[grid] cells`` is not given: 50 for one value, and for several
    independent items about :data:`DEFAULT_PRODUCT_TYPES` type vectors in all.

    >>> default_cells(1), default_cells(2), default_cells(3)
    (50, 20, 7)
    """
    if items <= 1:
        return DEFAULT_CELLS
    return max(2, int(round(DEFAULT_PRODUCT_TYPES ** (1 / items), 9)))


def _agent_types(spec: AgentSpec, model: MechanismModel) -> AgentTypes:
    scheme = model.scheme
    cells = model.cells or default_cells(len(spec.item_laws) if spec.item_laws else 1)
    if spec.law is not None:
        pts, probs = discretize_law(spec.law, cells, scheme, spec.field)
    elif spec.item_laws:
        per = [
            discretize_law(law, cells, scheme, f"{spec.field}.item_types[{j}]")
            for j, law in enumerate(spec.item_laws)
        ]
        pts, probs = product_types(per, spec.field)
    else:
        pts, probs = spec.points, spec.probs
    if len(pts) > MAX_TYPES:
        raise ModelError(
            "grid.cells", f"{len(pts):,} types for one agent; the limit is {MAX_TYPES:,}"
        )
    return AgentTypes.build(spec.name, spec.role, pts, probs, spec.field, spec.labels)


def _mechanism(data: Mapping, preset: str, items: int) -> dict:
    table = _table(data, "mechanism")
    if "rule" not in table:
        raise ModelError("mechanism.rule", f"is required (one of {', '.join(RULES)})")
    rule = check_choice(table["rule"], "mechanism.rule", RULES)
    keys = {
        "second_price": ("reserve",),
        "first_price": ("reserve",),
        "posted_price": ("price",),
        "table": ("allocation", "payments"),
    }[rule]
    required = ("price",) if rule == "posted_price" else keys if rule == "table" else ()
    check_keys(table, "mechanism", ("rule", *keys), required)
    allowed = {
        "second_price": ("single_item",),
        "first_price": ("single_item",),
        "posted_price": ("single_item", "bilateral_trade", "multi_item"),
        "table": PRESETS,
    }[rule]
    if preset not in allowed:
        raise ModelError(
            "mechanism.rule",
            f"rule {rule!r} applies to preset {', '.join(allowed)}, not {preset!r}",
        )
    out: dict[str, Any] = {"rule": rule}
    if "reserve" in table:
        out["reserve"] = _value(table["reserve"], "mechanism.reserve", low=0)
    if rule == "posted_price":
        raw = table["price"]
        if preset == "multi_item":
            prices = read_array(
                raw if isinstance(raw, list) else [raw] * items,
                "mechanism.price",
                ndim=1,
                low=0,
                high=MAX_VALUE,
            )
            if len(prices) != items:
                raise ModelError("mechanism.price", f"has {len(prices)} prices for {items} items")
            out["price"] = list(prices)
        else:
            out["price"] = _value(raw, "mechanism.price", low=0)
    if rule == "table":
        out["allocation"] = read_array(
            table["allocation"], "mechanism.allocation", ndim=2, low=0, high=1
        )
        out["payments"] = read_array(
            table["payments"], "mechanism.payments", ndim=2, low=-MAX_VALUE, high=MAX_VALUE
        )
    return out


# ---------------------------------------------------------------- writing
def write_model(model: MechanismModel) -> dict[str, Any]:
    """The model-file dictionary of ``model`` (inverse of :func:`read_model`).

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - V. Conitzer and T. Sandholm, "Complexity of mechanism design", Proceedings of the 18th
      Conference on Uncertainty in Artificial Intelligence (UAI), 2002.
    """
    out = copy.deepcopy(model.data)
    if model.solver_options:
        out["solver"] = dict(model.solver_options)
    return out
