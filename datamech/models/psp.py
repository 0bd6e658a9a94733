"""The PSP data exchange (seed 002, spec ``psp-exchange.md``): sellers, buyers, graph.

Sellers j offer a quantity ``supply`` Q_j of a homogeneous, divisible good (data) in one
local progressive second price auction each; the seller's ``reserve`` r_j enters that
auction as a bid (Q_j, r_j) (spec §2.1, [LS] "player 0"; the draft's s_κ^j = (ε, D^j)),
and an optional ``retention`` value per unsold unit counts in welfare (spec §1.4).
Buyers i have a concave valuation θ_i of their total allocation (spec §1.4, canonical
form θ_i(Σ_j a_ij)) and may bid only at the sellers they are linked to (the bipartite
graph E, spec A6; complete by default).  ε > 0 is the bid fee (draft §1.1).

Model file (kind ``psp``)::

    [model]
    kind = "psp"
    epsilon = 0.01
    tie_rule = "proportional"      # | "lazar_semret" | "strict"   (spec §2.1)
    mode = "standard"              # | "draft"                      (spec §2.6)
    schedule = "asynchronous"      # | "round_robin" | "synchronous" (spec §2.8)
    seed = 0

    [[sellers]]
    name = "s1"
    supply = 65
    reserve = 0.01                 # default: epsilon

    [[buyers]]
    name = "A"
    sellers = ["s1"]               # default: every seller
    valuation = { family = "quadratic", kappa = 0.01, qbar = 100 }

Examples
--------
>>> from datamech.models.psp_valuations import QuadraticValuation
>>> m = PSPModel(
...     supply=[10.0], buyers=("a", "b"),
...     valuations=(QuadraticValuation(1.0, 8.0), QuadraticValuation(1.0, 6.0)),
...     epsilon=0.1)
>>> m.n_buyers, m.n_sellers, m.reserve.tolist(), bool(m.edges.all())
(2, 1, [0.1], True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ModelError
from . import io
from .psp_valuations import (
    LinearCappedValuation,
    Valuation,
    make_valuation,
)

TIE_RULES = ("proportional", "lazar_semret", "strict")
MODES = ("standard", "draft")
SCHEDULES = ("asynchronous", "round_robin", "synchronous")


def _vector(x: Any, name: str, n: int | None = None) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise ModelError(name, f"must be a list of numbers, got {x!r}") from None
    if arr.ndim != 1:
        raise ModelError(name, f"must be a list of numbers, got shape {arr.shape}")
    if n is not None and arr.size != n:
        raise ModelError(name, f"must have {n} entries, got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise ModelError(name, f"entry {int(np.flatnonzero(~np.isfinite(arr))[0])} is not finite")
    if np.any(arr < 0):
        k = int(np.flatnonzero(arr < 0)[0])
        raise ModelError(f"{name}[{k}]", f"must be >= 0, got {arr[k]}")
    return arr


@dataclass(frozen=True, eq=False)
class PSPModel:
    """A PSP data-exchange market.

    Parameters
    ----------
    supply : array (J,)
        Q_j, the data each seller offers (> 0).
    buyers : tuple of str
        Buyer names (n of them).
    valuations : tuple of Valuation
        θ_i for each buyer (concave; see :mod:`datamech.models.psp_valuations`).
    epsilon : float
        The bid fee ε > 0 (draft §1.1; the ε of the ε-best reply, spec §2.7).
    sellers : tuple of str, optional
        Seller names (default ``s1..sJ``).
    reserve : array (J,), optional
        Reserve unit prices r_j >= 0, entered as the bid (Q_j, r_j); default ε.
    retention : array (J,), optional
        Value per unsold unit in welfare (spec §3 welfare); default 0.
    edges : bool array (n, J), optional
        E: ``edges[i, j]`` if buyer i may bid at seller j; default complete.  Every
        buyer needs at least one seller.
    tie_rule : str
        ``"proportional"`` (default, draft eq. 20 / [T]), ``"lazar_semret"`` or
        ``"strict"`` (draft eqs. 2–3 as printed; can over-allocate, spec §2.1).
    mode : str
        ``"standard"`` (PSP ε-best-reply dynamics, spec §2.7) or ``"draft"`` (the
        draft's opt-out split and seller progressive allocation, spec §2.6).
    schedule : str
        ``"asynchronous"`` (seeded random order each pass), ``"round_robin"`` or
        ``"synchronous"`` (spec §2.8).
    seed : int
        Seed of the asynchronous order.
    max_rounds : int
        Cap on passes; reaching it gives ``converged = False``.
    need : array (n,), optional
        D_i, the data a buyer wants in draft mode (default: the cap of a
        linear-capped valuation).
    initial_price : array (n,), optional
        Draft mode: the buyers' first bid prices (the example's table, spec §4.1).
    p_kappa : float, optional
        Draft mode: the ISP overage price p^κ, upper bound of bid prices (spec §2.6).
    name : str
        Free text.
    """

    supply: np.ndarray
    buyers: tuple[str, ...]
    valuations: tuple[Valuation, ...]
    epsilon: float
    sellers: tuple[str, ...] = ()
    reserve: np.ndarray | None = None
    retention: np.ndarray | None = None
    edges: np.ndarray | None = None
    tie_rule: str = "proportional"
    mode: str = "standard"
    schedule: str = "asynchronous"
    seed: int = 0
    max_rounds: int = 10_000
    need: np.ndarray | None = None
    initial_price: np.ndarray | None = None
    p_kappa: float | None = None
    name: str = ""
    solver_options: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        eps = self.epsilon
        if isinstance(eps, bool) or not isinstance(eps, (int, float, np.integer, np.floating)):
            raise ModelError("epsilon", f"must be a number > 0, got {eps!r}")
        if not (math.isfinite(float(eps)) and float(eps) > 0):
            raise ModelError("epsilon", f"must be > 0 (the bid fee), got {eps!r}")
        object.__setattr__(self, "epsilon", float(eps))

        Q = _vector(self.supply, "sellers.supply")
        if Q.size == 0:
            raise ModelError("sellers", "the market needs at least one seller")
        if np.any(Q <= 0):
            k = int(np.flatnonzero(Q <= 0)[0])
            raise ModelError(f"sellers.supply[{k}]", f"must be > 0, got {Q[k]}")
        object.__setattr__(self, "supply", Q)
        J = Q.size
        sellers = tuple(self.sellers) or tuple(f"s{j + 1}" for j in range(J))
        if len(sellers) != J:
            raise ModelError("sellers", f"{len(sellers)} names for {J} supplies")
        if len(set(sellers)) != J:
            raise ModelError("sellers.name", "seller names must be unique")
        object.__setattr__(self, "sellers", sellers)

        buyers = tuple(str(b) for b in self.buyers)
        n = len(buyers)
        if n == 0:
            raise ModelError("buyers", "the market needs at least one buyer")
        if len(set(buyers)) != n:
            raise ModelError("buyers.name", "buyer names must be unique")
        object.__setattr__(self, "buyers", buyers)
        vals = tuple(self.valuations)
        if len(vals) != n:
            raise ModelError("buyers.valuation", f"{len(vals)} valuations for {n} buyers")
        for i, v in enumerate(vals):
            if not isinstance(v, Valuation):
                raise ModelError(f"buyers[{i}].valuation", f"must be a Valuation, got {v!r}")
        object.__setattr__(self, "valuations", vals)

        r = np.full(J, self.epsilon) if self.reserve is None else self.reserve
        object.__setattr__(self, "reserve", _vector(r, "sellers.reserve", J))
        ret = np.zeros(J) if self.retention is None else self.retention
        object.__setattr__(self, "retention", _vector(ret, "sellers.retention", J))

        E = np.ones((n, J), dtype=bool) if self.edges is None else np.asarray(self.edges)
        if E.shape != (n, J):
            raise ModelError("buyers.sellers", f"graph must be {n} x {J}, got {E.shape}")
        E = E.astype(bool)
        lonely = np.flatnonzero(~E.any(axis=1))
        if lonely.size:
            raise ModelError(
                f"buyers[{int(lonely[0])}].sellers",
                f"buyer {buyers[int(lonely[0])]!r} is disconnected (linked to no seller)",
            )
        object.__setattr__(self, "edges", E)

        for fname, allowed in (
            ("tie_rule", TIE_RULES),
            ("mode", MODES),
            ("schedule", SCHEDULES),
        ):
            val = getattr(self, fname)
            if val not in allowed:
                label = fname.replace("_", " ")
                raise ModelError(fname, f"unknown {label} {val!r} (known: {', '.join(allowed)})")
        for fname, lo in (("seed", 0), ("max_rounds", 1)):
            val = getattr(self, fname)
            if isinstance(val, bool) or not isinstance(val, (int, np.integer)) or val < lo:
                raise ModelError(fname, f"must be an integer >= {lo}, got {val!r}")
            object.__setattr__(self, fname, int(val))

        if self.need is not None:
            object.__setattr__(self, "need", _vector(self.need, "buyers.need", n))
        if self.initial_price is not None:
            object.__setattr__(
                self, "initial_price", _vector(self.initial_price, "buyers.initial_price", n)
            )
        if self.p_kappa is not None:
            pk = self.p_kappa
            if isinstance(pk, bool) or not isinstance(pk, (int, float)) or not pk > 0:
                raise ModelError("p_kappa", f"must be a number > 0, got {pk!r}")
            object.__setattr__(self, "p_kappa", float(pk))
        if self.mode == "draft":
            self.needs()  # raises if a need is missing
            if self.p_kappa is None:
                raise ModelError("p_kappa", "draft mode needs the overage price p_kappa")

    # ------------------------------------------------------------------ views
    @property
    def n_buyers(self) -> int:
        return len(self.buyers)

    @property
    def n_sellers(self) -> int:
        return len(self.sellers)

    def needs(self) -> np.ndarray:
        """D_i: the ``need`` given, else the cap of a linear-capped valuation."""
        if self.need is not None:
            return self.need
        out = []
        for i, v in enumerate(self.valuations):
            if isinstance(v, LinearCappedValuation):
                out.append(v.cap)
            else:
                raise ModelError(f"buyers[{i}].need", "is required here (valuation has no cap)")
        return np.array(out)

    def with_options(self, **changes: Any) -> PSPModel:
        """A copy with some fields changed (validated again).

        >>> from datamech.models.psp_valuations import LinearCappedValuation as L
        >>> m = PSPModel([5.0], ("a",), (L(1.0, 2.0),), 0.1)
        >>> m.with_options(epsilon=0.5).epsilon
        0.5
        """
        data = {f: getattr(self, f) for f in self.__dataclass_fields__}
        data.update(changes)
        return PSPModel(**data)


# ------------------------------------------------------------------ model files
_MODEL_KEYS = {
    "kind",
    "name",
    "epsilon",
    "tie_rule",
    "mode",
    "schedule",
    "seed",
    "max_rounds",
    "p_kappa",
}
_SELLER_KEYS = {"name", "supply", "reserve", "retention"}
_BUYER_KEYS = {"name", "valuation", "sellers", "need", "initial_price"}
SOLVER_KEYS = {"backend", "check_nash", "nash_sample", "warm_start"}
SOLVER_KEYS |= {"winners_per_step", "isp_fallback", "initial_prices"}


def from_toml(data: dict[str, Any]) -> PSPModel:
    """Build a :class:`PSPModel` from a parsed model file (``[model]``, ``[[sellers]]``,
    ``[[buyers]]``, optional ``[solver]``); unknown keys are errors."""
    io.check_keys(data, "file", {"model", "sellers", "buyers", "solver"}, ("model",))
    m = data["model"]
    io.check_keys(m, "model", _MODEL_KEYS, required=("kind", "epsilon"))
    sellers = data.get("sellers")
    buyers = data.get("buyers")
    if not isinstance(sellers, list) or not sellers:
        raise ModelError("sellers", "give at least one [[sellers]] table")
    if not isinstance(buyers, list) or not buyers:
        raise ModelError("buyers", "give at least one [[buyers]] table")
    names, supply, reserve, retention = [], [], [], []
    for j, s in enumerate(sellers):
        io.check_keys(s, f"sellers[{j}]", _SELLER_KEYS, required=("supply",))
        names.append(str(s.get("name", f"s{j + 1}")))
        supply.append(_number(s["supply"], f"sellers[{j}].supply"))
        reserve.append(_number(s.get("reserve", m["epsilon"]), f"sellers[{j}].reserve"))
        retention.append(_number(s.get("retention", 0.0), f"sellers[{j}].retention"))
    index = {nm: j for j, nm in enumerate(names)}
    bnames, vals, needs, prices = [], [], [], []
    E = np.zeros((len(buyers), len(sellers)), dtype=bool)
    for i, b in enumerate(buyers):
        where = f"buyers[{i}]"
        io.check_keys(b, where, _BUYER_KEYS, required=("valuation",))
        bnames.append(str(b.get("name", f"b{i + 1}")))
        vals.append(make_valuation(b["valuation"], f"{where}.valuation"))
        links = b.get("sellers", names)
        if not isinstance(links, list):
            raise ModelError(f"{where}.sellers", f"must be a list of seller names, got {links!r}")
        for nm in links:
            if nm not in index:
                raise ModelError(f"{where}.sellers", f"unknown seller {nm!r}")
            E[i, index[nm]] = True
        needs.append(b.get("need"))
        prices.append(b.get("initial_price"))
    for label, arr in (("need", needs), ("initial_price", prices)):
        if any(x is not None for x in arr) and any(x is None for x in arr):
            k = arr.index(None)
            raise ModelError(f"buyers[{k}].{label}", "give it for every buyer or for none")
    solver = data.get("solver", {})
    io.check_keys(solver, "solver", SOLVER_KEYS)
    return PSPModel(
        supply=supply,
        buyers=tuple(bnames),
        valuations=tuple(vals),
        epsilon=m["epsilon"],
        sellers=tuple(names),
        reserve=reserve,
        retention=retention,
        edges=E,
        tie_rule=m.get("tie_rule", "proportional"),
        mode=m.get("mode", "standard"),
        schedule=m.get("schedule", "asynchronous"),
        seed=m.get("seed", 0),
        max_rounds=m.get("max_rounds", 10_000),
        need=None if needs[0] is None else [_number(x, "buyers.need") for x in needs],
        initial_price=None
        if prices[0] is None
        else [_number(x, "buyers.initial_price") for x in prices],
        p_kappa=m.get("p_kappa"),
        name=str(m.get("name", "")),
        solver_options=dict(solver),
    )


def _number(x: Any, where: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise ModelError(where, f"must be a number, got {x!r}")
    return float(x)


def to_toml(model: PSPModel) -> dict[str, Any]:
    """The model-file dictionary of ``model`` (inverse of :func:`from_toml`)."""
    m: dict[str, Any] = {"kind": "psp"}
    if model.name:
        m["name"] = model.name
    m.update(
        epsilon=model.epsilon,
        tie_rule=model.tie_rule,
        mode=model.mode,
        schedule=model.schedule,
        seed=model.seed,
        max_rounds=model.max_rounds,
    )
    if model.p_kappa is not None:
        m["p_kappa"] = model.p_kappa
    sellers = [
        {
            "name": model.sellers[j],
            "supply": float(model.supply[j]),
            "reserve": float(model.reserve[j]),
            "retention": float(model.retention[j]),
        }
        for j in range(model.n_sellers)
    ]
    buyers = []
    for i in range(model.n_buyers):
        b: dict[str, Any] = {"name": model.buyers[i]}
        if not model.edges[i].all():
            b["sellers"] = [model.sellers[j] for j in np.flatnonzero(model.edges[i])]
        if model.need is not None:
            b["need"] = float(model.need[i])
        if model.initial_price is not None:
            b["initial_price"] = float(model.initial_price[i])
        b["valuation"] = model.valuations[i].to_dict()
        buyers.append(b)
    out: dict[str, Any] = {"model": m, "sellers": sellers, "buyers": buyers}
    if model.solver_options:
        out["solver"] = dict(model.solver_options)
    return out


io.register_kind("psp", PSPModel, from_toml, to_toml)
