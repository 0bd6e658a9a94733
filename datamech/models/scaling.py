"""Model files for selling data with scaling-law values (seed 003), kind ``offline``.

[model]
kind = "offline"
alpha = "1/2"          # in (0, 1); "p/q" strings are exact
cost = 1               # c > 0

[[buyers]]             # one table per buyer, syntax of datamech.models.distributions
family = "discrete"
values = [1, 2, 3]
probs = ["3/5", "1/10", "3/10"]
"""

from __future__ import annotations

from dataclasses import dataclass
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


def from_toml(data: dict[str, Any]) -> OfflineModel:
    io.check_keys(data, "file", {"model", "buyers"}, required=("model", "buyers"))
    m = data["model"]
    io.check_keys(m, "model", {"kind", "name", "alpha", "cost"}, required=("kind", "alpha", "cost"))
    buyers = data["buyers"]
    if not isinstance(buyers, list) or not buyers:
        raise ModelError("buyers", "must be a non-empty array of tables [[buyers]]")
    return OfflineModel(
        buyers=tuple(from_table(b, f"buyers[{k}]") for k, b in enumerate(buyers)),
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
