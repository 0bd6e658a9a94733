"""Model files for selling data with scaling-law values (Deng et al.), kinds ``offline``
and ``online``.

[model]
kind = "offline"
alpha = "1/2"          # in (0, 1); "p/q" strings are exact
cost = 1               # c > 0

[[buyers]]             # one table per buyer, syntax of datamech.models.distributions
family = "discrete"
values = [1, 2, 3]
probs = ["3/5", "1/10", "3/10"]

[solver]               # optional: any option of `datamech options offline`
method = "pamd"

Kind ``online`` (Section 3) has the same keys plus ``mechanism = "optimal" | "two_stage" |
"greedy" | "non_adaptive"`` (default ``optimal``), optional ``delta`` in (0, 1) (two_stage
only; default (1-alpha)/(2-alpha)), optional ``allocate = "own" | "all"`` (greedy only,
not in the paper) and optional ``grid`` (>= 16, the optimal DP's grid for continuous laws).  The
buyers' tables are in arrival order.  Its ``[solver]`` table takes the options of
``datamech options online``.

>>> import datamech as dm
>>> m = dm.load("examples/models/offline_i3.toml")
>>> m.alpha, m.cost, len(m.buyers), m.solver_options
(Fraction(1, 2), Fraction(1, 1), 2, {})
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from ..errors import ModelError
from ..numeric import fmt, read_int, read_number
from . import io
from .distributions import TypeDistribution, from_table, to_table

__all__ = [
    "ALLOCATE",
    "MAX_GRID",
    "ONLINE_MECHANISMS",
    "OfflineModel",
    "OnlineModel",
    "check_alpha_cost",
    "check_cost",
]

ONLINE_MECHANISMS = ("optimal", "two_stage", "greedy", "non_adaptive")
ALLOCATE = ("own", "all")
MAX_GRID = 10**9  #: largest grid of the online DP a file may ask for (memory decides below)


def check_cost(cost: Any, field: str = "cost") -> None:
    """``cost`` must be a finite positive number (``ModelError(field)`` otherwise).

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    """
    if isinstance(cost, bool) or not isinstance(cost, (int, float, Fraction, np.number)):
        raise ModelError(field, f"must be a positive number, got {cost!r}")
    if not (cost > 0 and math.isfinite(float(cost))):
        raise ModelError(field, f"must be positive and finite, got {fmt(cost)}")


def check_alpha_cost(alpha: Any, cost: Any, where: str = "") -> None:
    """``alpha`` in (0, 1) and ``cost`` > 0, errors naming ``{where}alpha`` / ``{where}cost``
    (the one check of these parameters, for model files and the solvers' Python API).

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.

    Examples
    --------
    >>> check_alpha_cost(1.5, 1, "model.")
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: model.alpha: must lie in (0, 1), got 1.5
    """
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, Fraction, np.number)):
        raise ModelError(f"{where}alpha", f"must be a number in (0, 1), got {alpha!r}")
    if not 0 < alpha < 1:  # also NaN
        raise ModelError(f"{where}alpha", f"must lie in (0, 1), got {fmt(alpha)}")
    check_cost(cost, f"{where}cost")


def _check_solver_options(options: Any) -> dict[str, Any]:
    """The ``[solver]`` table as a dict (its options are validated by ``dm.solve``)."""
    if not isinstance(options, dict):
        raise ModelError("solver", f"must be a table of options, got {type(options).__name__}")
    for key in options:
        if not isinstance(key, str):
            raise ModelError("solver", f"option names must be strings, got {key!r}")
    return dict(options)


@dataclass(frozen=True, eq=False)
class OfflineModel:
    """n buyers with independent type laws, scaling exponent ``alpha``, unit cost ``cost``;
    ``solver_options`` holds the file's ``[solver]`` table.

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    """

    buyers: tuple[TypeDistribution, ...]
    alpha: Any
    cost: Any
    name: str = ""
    solver_options: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not self.buyers:
            raise ModelError("buyers", "needs at least one [[buyers]] table")
        check_alpha_cost(self.alpha, self.cost, "model.")
        io.check_name(self.name, "model.name", required=False)
        object.__setattr__(self, "solver_options", _check_solver_options(self.solver_options))


def _read_buyers(data: dict[str, Any]) -> tuple[TypeDistribution, ...]:
    """The ``[[buyers]]`` tables of an offline or online file, one law each."""
    buyers = data["buyers"]
    if not isinstance(buyers, list) or not buyers:
        raise ModelError("buyers", "must be a non-empty array of tables [[buyers]]")
    return tuple(from_table(b, f"buyers[{k}]") for k, b in enumerate(buyers))


def _common(data: dict[str, Any], kind_keys: set[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``[model]`` table (keys checked) and the ``[solver]`` table of a file."""
    io.check_keys(data, "file", {"model", "buyers", "solver"}, required=("model", "buyers"))
    m = data["model"]
    io.check_keys(m, "model", {"kind", "name", "alpha", "cost"} | kind_keys,
                  required=("kind", "alpha", "cost"))  # fmt: skip
    return m, _check_solver_options(data.get("solver", {}))


def from_toml(data: dict[str, Any]) -> OfflineModel:
    m, solver = _common(data, set())
    return OfflineModel(
        buyers=_read_buyers(data),
        alpha=read_number(m["alpha"], "model.alpha"),
        cost=read_number(m["cost"], "model.cost"),
        name=io.check_name(m.get("name", ""), "model.name", required=False),
        solver_options=solver,
    )


def _write(kind: str, model: Any, extra: dict[str, Any]) -> dict[str, Any]:
    m: dict[str, Any] = {"kind": kind, "alpha": model.alpha, "cost": model.cost, **extra}
    if model.name:
        m["name"] = model.name
    out: dict[str, Any] = {"model": m, "buyers": [to_table(b) for b in model.buyers]}
    if model.solver_options:
        out["solver"] = dict(model.solver_options)
    return out


def to_toml(model: OfflineModel) -> dict[str, Any]:
    return _write("offline", model, {})


io.register_kind("offline", OfflineModel, from_toml, to_toml)


@dataclass(frozen=True, eq=False)
class OnlineModel:
    """Buyers arriving in order 1..n (Section 3.1), ``alpha``, ``cost`` and the mechanism;
    ``solver_options`` holds the file's ``[solver]`` table.

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.

    Examples
    --------
    >>> from datamech.models.distributions import Uniform
    >>> OnlineModel((Uniform(0, 1),) * 2, 0.5, 1.0, mechanism="greedy").allocate
    'own'
    >>> OnlineModel((Uniform(0, 1),), 0.5, 1.0, mechanism="optimal", delta=0.3)
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: model.delta: is a parameter of mechanism = "two_stage" only
    """

    buyers: tuple[TypeDistribution, ...]
    alpha: Any
    cost: Any
    mechanism: str = "optimal"
    delta: Any = None
    allocate: str = "own"
    name: str = ""
    grid: int | None = None  # grid of the optimal DP for continuous laws (default 20,000)
    solver_options: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not self.buyers:
            raise ModelError("buyers", "needs at least one [[buyers]] table")
        if self.grid is not None:
            read_int(self.grid, "model.grid", low=16, high=MAX_GRID)
        check_alpha_cost(self.alpha, self.cost, "model.")
        io.check_choice(self.mechanism, "model.mechanism", ONLINE_MECHANISMS)
        io.check_choice(self.allocate, "model.allocate", ALLOCATE)
        io.check_name(self.name, "model.name", required=False)
        if self.delta is not None:
            if self.mechanism != "two_stage":
                raise ModelError("model.delta", 'is a parameter of mechanism = "two_stage" only')
            d = read_number(self.delta, "model.delta")
            if not 0 < d < 1:
                raise ModelError("model.delta", f"must lie in (0, 1), got {fmt(d)}")
        if self.allocate != "own" and self.mechanism != "greedy":
            raise ModelError("model.allocate", 'is a parameter of mechanism = "greedy" only')
        object.__setattr__(self, "solver_options", _check_solver_options(self.solver_options))


def online_from_toml(data: dict[str, Any]) -> OnlineModel:
    m, solver = _common(data, {"mechanism", "delta", "allocate", "grid"})
    return OnlineModel(
        buyers=_read_buyers(data),
        alpha=read_number(m["alpha"], "model.alpha"),
        cost=read_number(m["cost"], "model.cost"),
        mechanism=io.check_choice(
            m.get("mechanism", "optimal"), "model.mechanism", ONLINE_MECHANISMS
        ),
        delta=None if "delta" not in m else read_number(m["delta"], "model.delta"),
        allocate=io.check_choice(m.get("allocate", "own"), "model.allocate", ALLOCATE),
        name=io.check_name(m.get("name", ""), "model.name", required=False),
        grid=None if "grid" not in m else read_int(m["grid"], "model.grid", low=16, high=MAX_GRID),
        solver_options=solver,
    )


def online_to_toml(model: OnlineModel) -> dict[str, Any]:
    extra: dict[str, Any] = {"mechanism": model.mechanism}
    if model.delta is not None:
        extra["delta"] = model.delta
    if model.allocate != "own":
        extra["allocate"] = model.allocate
    if model.grid is not None:
        extra["grid"] = model.grid
    return _write("online", model, extra)


io.register_kind("online", OnlineModel, online_from_toml, online_to_toml)
