"""Model files for selling data with scaling-law values (seed 003), kinds ``offline``
and ``online``.

[model]
kind = "offline"
alpha = "1/2"          # in (0, 1); "p/q" strings are exact
cost = 1               # c > 0

[[buyers]]             # one table per buyer, syntax of datamech.models.distributions
family = "discrete"
values = [1, 2, 3]
probs = ["3/5", "1/10", "3/10"]

Kind ``online`` (spec §3) has the same keys plus ``mechanism = "optimal" | "two_stage" |
"greedy" | "non_adaptive"`` (default ``optimal``), optional ``delta`` in (0, 1) (two_stage
only; default (1-alpha)/(2-alpha)) and optional ``allocate = "own" | "all"`` (greedy only,
G17).  The buyers' tables are in arrival order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..errors import ModelError
from . import io
from .distributions import TypeDistribution, _num, from_table, to_table


@dataclass(frozen=True, eq=False)
class OfflineModel:
    """n buyers with independent type laws, scaling exponent ``alpha``, unit cost ``cost``."""

    buyers: tuple[TypeDistribution, ...]
    alpha: Any
    cost: Any
    name: str = ""

    def __post_init__(self) -> None:
        if not self.buyers:
            raise ModelError("buyers", "needs at least one [[buyers]] table")
        if not 0 < self.alpha < 1:
            raise ModelError("model.alpha", f"must lie in (0, 1), got {self.alpha}")
        if not self.cost > 0:
            raise ModelError("model.cost", f"must be positive, got {self.cost}")


def _read_buyers(data: dict[str, Any]) -> tuple[TypeDistribution, ...]:
    """The ``[[buyers]]`` tables of an offline or online file, one law each."""
    buyers = data["buyers"]
    if not isinstance(buyers, list) or not buyers:
        raise ModelError("buyers", "must be a non-empty array of tables [[buyers]]")
    return tuple(from_table(b, f"buyers[{k}]") for k, b in enumerate(buyers))


def from_toml(data: dict[str, Any]) -> OfflineModel:
    io.check_keys(data, "file", {"model", "buyers"}, required=("model", "buyers"))
    m = data["model"]
    io.check_keys(m, "model", {"kind", "name", "alpha", "cost"}, required=("kind", "alpha", "cost"))
    return OfflineModel(
        buyers=_read_buyers(data),
        alpha=_num(m["alpha"], "model.alpha"),
        cost=_num(m["cost"], "model.cost"),
        name=str(m.get("name", "")),
    )


def to_toml(model: OfflineModel) -> dict[str, Any]:
    m: dict[str, Any] = {"kind": "offline", "alpha": model.alpha, "cost": model.cost}
    if model.name:
        m["name"] = model.name
    return {"model": m, "buyers": [to_table(b) for b in model.buyers]}


io.register_kind("offline", OfflineModel, from_toml, to_toml)

ONLINE_MECHANISMS = ("optimal", "two_stage", "greedy", "non_adaptive")


@dataclass(frozen=True, eq=False)
class OnlineModel:
    """Buyers arriving in order 1..n (spec §1.2), ``alpha``, ``cost`` and the mechanism.

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
    grid: int | None = None  # grid of the optimal DP for continuous laws (default GRID)

    def __post_init__(self) -> None:
        if not self.buyers:
            raise ModelError("buyers", "needs at least one [[buyers]] table")
        if self.grid is not None and (
            isinstance(self.grid, bool) or not isinstance(self.grid, int) or self.grid < 16
        ):
            raise ModelError("model.grid", f"must be an integer >= 16, got {self.grid!r}")
        for field, value in (("model.alpha", self.alpha), ("model.cost", self.cost)):
            if isinstance(value, bool) or not isinstance(value, (int, float, Fraction)):
                raise ModelError(field, f"must be a number, got {value!r}")
            if not math.isfinite(float(value)):
                raise ModelError(field, f"must be finite, got {value}")
        if not 0 < self.alpha < 1:
            raise ModelError("model.alpha", f"must lie in (0, 1), got {self.alpha}")
        if not self.cost > 0:
            raise ModelError("model.cost", f"must be positive, got {self.cost}")
        if self.mechanism not in ONLINE_MECHANISMS:
            raise ModelError(
                "model.mechanism",
                f"must be one of {', '.join(ONLINE_MECHANISMS)}, got {self.mechanism!r}",
            )
        if self.delta is not None:
            if self.mechanism != "two_stage":
                raise ModelError("model.delta", 'is a parameter of mechanism = "two_stage" only')
            d = self.delta
            if isinstance(d, bool) or not isinstance(d, (int, float, Fraction)) or not 0 < d < 1:
                shown = d if isinstance(d, (int, float, Fraction)) else repr(d)
                raise ModelError("model.delta", f"must lie in (0, 1), got {shown}")
        if self.allocate not in ("own", "all"):
            raise ModelError("model.allocate", f"must be 'own' or 'all', got {self.allocate!r}")
        if self.allocate != "own" and self.mechanism != "greedy":
            raise ModelError("model.allocate", 'is a parameter of mechanism = "greedy" only')


def online_from_toml(data: dict[str, Any]) -> OnlineModel:
    io.check_keys(data, "file", {"model", "buyers"}, required=("model", "buyers"))
    m = data["model"]
    io.check_keys(
        m,
        "model",
        {"kind", "name", "alpha", "cost", "mechanism", "delta", "allocate", "grid"},
        required=("kind", "alpha", "cost"),
    )
    return OnlineModel(
        buyers=_read_buyers(data),
        alpha=_num(m["alpha"], "model.alpha"),
        cost=_num(m["cost"], "model.cost"),
        mechanism=str(m.get("mechanism", "optimal")),
        delta=None if "delta" not in m else _num(m["delta"], "model.delta"),
        allocate=str(m.get("allocate", "own")),
        name=str(m.get("name", "")),
        grid=m.get("grid"),
    )


def online_to_toml(model: OnlineModel) -> dict[str, Any]:
    m: dict[str, Any] = {
        "kind": "online",
        "alpha": model.alpha,
        "cost": model.cost,
        "mechanism": model.mechanism,
    }
    if model.delta is not None:
        m["delta"] = model.delta
    if model.allocate != "own":
        m["allocate"] = model.allocate
    if model.name:
        m["name"] = model.name
    if model.grid is not None:
        m["grid"] = model.grid
    return {"model": m, "buyers": [to_table(b) for b in model.buyers]}


io.register_kind("online", OnlineModel, online_from_toml, online_to_toml)
