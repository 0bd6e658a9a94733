"""The PSP data exchange (seed 002, spec ``psp-exchange.md``): sellers, buyers, graph.

Sellers j offer a quantity ``supply`` Q_j of a homogeneous, divisible good (data) in one
local progressive second price auction each; the seller's ``reserve`` r_j enters that
auction as a bid (Q_j, r_j) (spec §2.1, [LS] "player 0"; the draft's s_κ^j = (ε, D^j)),
and an optional ``retention`` value per unsold unit counts in welfare (spec §1.4).
Buyers i have a concave valuation θ_i of their total allocation (spec §1.4, canonical
form θ_i(Σ_j a_ij)) and may bid only at the sellers they are linked to (the bipartite
graph E, spec A6; complete by default).  ε > 0 is the bid fee (draft §1.1).  A buyer's
optional ``participation_cost`` ϱ_i is subtracted from its utility once per auction it
bids in (spec §1.4, the [R] reading of the draft's eq. 14).

``market = "route"`` makes the same file a *route market* (the "classic throughput"
reference of spec §2.10, Lazar–Semret's networked PSP): sellers are links with a
capacity (``supply``) and a reserve, a buyer's ``sellers`` list is its route, and the
buyer values the thinnest allocation along it, θ_i(min_{l ∈ r_i} a_il).  The default
``market = "substitutes"`` is the data market (θ_i of the sum).

Model file (kind ``psp``; every key is described in ``docs/psp.md``)::

    [model]
    kind = "psp"
    epsilon = 0.01
    market = "substitutes"         # | "route": links, routes, θ_i(min_l a_il) (spec §2.10)
    tie_break = "proportional"     # | "lazar_semret" | "strict"   (spec §2.1)
    schedule = "asynchronous"      # | "round_robin" | "synchronous" (spec §2.8)
    seed = 0
    # max_iterations = 5000        # default: derived from ε (docs/psp.md)

    [[sellers]]
    name = "s1"
    supply = 65
    reserve = 0.01                 # default: epsilon

    [[buyers]]
    name = "A"
    sellers = ["s1"]               # default: every seller (route market: the route)
    valuation = { family = "quadratic", kappa = 0.01, qbar = 100 }
    participation_cost = 0.0       # ϱ_i per auction bid in (default 0)

    [solver]                       # optional: method = "draft", check_nash, ...
    method = "dynamics"

Numbers may be written as ints, floats or ``"p/q"`` strings and must lie in
[0, 1e9] (:data:`~datamech.models.psp_valuations.MAX_VALUE`).  Old names are read with
a ``DeprecationWarning``: ``tie_rule`` (now ``tie_break``), ``max_rounds`` (now
``max_iterations``) and ``mode`` (now the solver option ``method``: ``"standard"`` is
``"dynamics"``, ``"draft"`` is ``"draft"``).

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

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ModelError
from ..numeric import read_array, read_int, read_number
from ..sizes import check_memory
from . import io
from .psp_valuations import MAX_VALUE, LinearCappedValuation, Valuation, make_valuation

TIE_BREAKS = ("proportional", "lazar_semret", "strict")
#: ``substitutes``: the data market, θ_i(Σ_j a_ij) (spec §1.4); ``route``: links and
#: routes, θ_i(min_{l ∈ r_i} a_il) (spec §2.10, [LS] networked PSP).
MARKETS = ("substitutes", "route")
SCHEDULES = ("asynchronous", "round_robin", "synchronous")
#: The deprecated model field ``mode`` and the solver ``method`` each of its values means.
METHOD_OF_MODE = {"standard": "dynamics", "draft": "draft"}
MAX_SEED = 2**63 - 1
MAX_ITERATIONS = 10**12

#: Old model-file and constructor names -> new ones (read with a DeprecationWarning).
DEPRECATED = {"tie_rule": "tie_break", "max_rounds": "max_iterations"}


def _deprecated(old: str, new: str, stacklevel: int = 3) -> None:
    warnings.warn(f"{old!r} is deprecated; use {new!r}", DeprecationWarning, stacklevel=stacklevel)


def _vector(x: Any, name: str, n: int | None = None) -> np.ndarray:
    """A list of numbers in [0, MAX_VALUE] as a float array (entries named in errors)."""
    arr = read_array(x, name, exact=False, ndim=1, low=0, high=MAX_VALUE, nonempty=False)
    if n is not None and arr.size != n:
        raise ModelError(name, f"must have {n} entries, got {arr.size}")
    return arr


@dataclass(frozen=True, eq=False)
class _PSPFields:
    supply: np.ndarray
    buyers: tuple[str, ...]
    valuations: tuple[Valuation, ...]
    epsilon: float
    sellers: tuple[str, ...] = ()
    reserve: np.ndarray | None = None
    retention: np.ndarray | None = None
    edges: np.ndarray | None = None
    tie_break: str = "proportional"
    schedule: str = "asynchronous"
    seed: int = 0
    max_iterations: int | None = None
    need: np.ndarray | None = None
    initial_price: np.ndarray | None = None
    p_kappa: float | None = None
    name: str = ""
    solver_options: dict = field(default_factory=dict, repr=False)
    market: str = "substitutes"
    participation_cost: np.ndarray | None = None

    def __post_init__(self) -> None:
        eps = read_number(self.epsilon, "epsilon", exact=False, low=0, low_open=True,
                          high=MAX_VALUE)  # fmt: skip
        object.__setattr__(self, "epsilon", float(eps))

        Q = _vector(self.supply, "sellers.supply")
        if Q.size == 0:
            raise ModelError("sellers", "the market needs at least one seller")
        if np.any(Q <= 0):
            k = int(np.flatnonzero(Q <= 0)[0])
            raise ModelError(f"sellers.supply[{k}]", f"must be > 0, got {Q[k]:g}")
        object.__setattr__(self, "supply", Q)
        J = Q.size
        sellers = tuple(self.sellers) or tuple(f"s{j + 1}" for j in range(J))
        for j, s in enumerate(sellers):
            io.check_name(s, f"sellers[{j}].name")
        if len(sellers) != J:
            raise ModelError("sellers", f"{len(sellers)} names for {J} supplies")
        if len(set(sellers)) != J:
            raise ModelError("sellers.name", "seller names must be unique")
        object.__setattr__(self, "sellers", sellers)

        buyers = tuple(self.buyers)
        for i, b in enumerate(buyers):
            io.check_name(b, f"buyers[{i}].name")
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

        check_memory("buyers", float(n) * J, f"the graph of {n} buyers x {J} sellers")
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

        object.__setattr__(
            self, "tie_break", io.check_choice(self.tie_break, "tie_break", TIE_BREAKS)
        )
        object.__setattr__(self, "schedule", io.check_choice(self.schedule, "schedule", SCHEDULES))
        object.__setattr__(self, "seed", read_int(self.seed, "seed", low=0, high=MAX_SEED))
        if self.max_iterations is not None:
            cap = read_int(self.max_iterations, "max_iterations", low=1, high=MAX_ITERATIONS)
            object.__setattr__(self, "max_iterations", cap)
        if self.need is not None:
            object.__setattr__(self, "need", _vector(self.need, "buyers.need", n))
        if self.initial_price is not None:
            prices = _vector(self.initial_price, "buyers.initial_price", n)
            object.__setattr__(self, "initial_price", prices)
        if self.p_kappa is not None:
            pk = read_number(self.p_kappa, "p_kappa", exact=False, low=0, low_open=True,
                             high=MAX_VALUE)  # fmt: skip
            object.__setattr__(self, "p_kappa", float(pk))
        object.__setattr__(self, "market", io.check_choice(self.market, "market", MARKETS))
        if self.participation_cost is not None:
            rho = _vector(self.participation_cost, "buyers.participation_cost", n)
            object.__setattr__(self, "participation_cost", rho)
        io.check_name(self.name, "name", required=False)
        if not isinstance(self.solver_options, Mapping):
            raise ModelError("solver", "must be a table of options")
        object.__setattr__(self, "solver_options", dict(self.solver_options))

    # ------------------------------------------------------------------ views
    @property
    def n_buyers(self) -> int:
        return len(self.buyers)

    @property
    def n_sellers(self) -> int:
        return len(self.sellers)

    @property
    def is_route(self) -> bool:
        """True for ``market = "route"`` (links and routes, θ_i of the thinnest link)."""
        return self.market == "route"

    def participation(self) -> np.ndarray:
        """ϱ_i, the participation cost per auction of each buyer (zeros by default)."""
        if self.participation_cost is None:
            return np.zeros(self.n_buyers)
        return self.participation_cost

    def reach(self) -> np.ndarray:
        """The most each buyer can obtain: Σ of its sellers' supplies, or in a route
        market the capacity of the thinnest link of its route."""
        Q = np.asarray(self.supply, dtype=float)
        if self.is_route:
            return np.where(self.edges, Q[None, :], np.inf).min(axis=1)
        return self.edges.astype(float) @ Q

    def needs(self) -> np.ndarray:
        """D_i, the data each buyer wants under the draft's rules (spec §2.6).

        The ``need`` given, else the cap of a linear-capped valuation (the draft's
        example, spec E5), else the demand at price 0 (q̄ for a quadratic valuation)
        capped by the supply of the buyer's sellers [R].
        """
        if self.need is not None:
            return self.need
        linked = self.reach()
        out = np.empty(self.n_buyers)
        for i, v in enumerate(self.valuations):
            if isinstance(v, LinearCappedValuation):
                out[i] = v.cap
            else:
                out[i] = min(float(v.demand(0.0)), float(linked[i]))
        return out

    def overage_price(self) -> float:
        """p^κ: ``p_kappa`` if given, else the largest θ_i'(0) (no buyer's marginal value
        exceeds it, so no price needs to) [R; the draft gives no value, spec G19]."""
        if self.p_kappa is not None:
            return self.p_kappa
        return float(max(v.theta_prime0 for v in self.valuations))

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

    # ------------------------------------------------------------------ old names
    @property
    def tie_rule(self) -> str:
        """Deprecated: :attr:`tie_break`."""
        _deprecated("tie_rule", "tie_break")
        return self.tie_break

    @property
    def max_rounds(self) -> int | None:
        """Deprecated: :attr:`max_iterations`."""
        _deprecated("max_rounds", "max_iterations")
        return self.max_iterations

    @property
    def mode(self) -> str:
        """Deprecated: the solver option ``method`` (``"dynamics"`` or ``"draft"``)."""
        _deprecated("mode", "method")
        return "draft" if self.solver_options.get("method") == "draft" else "standard"


class PSPModel(_PSPFields):
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
        The bid fee ε > 0 (draft §1.1; the ε of the ε-best reply, draft eq. (46)).
    sellers : tuple of str, optional
        Seller names (default ``s1..sJ``).
    reserve : array (J,), optional
        Reserve unit prices r_j >= 0, entered as the bid (Q_j, r_j); default ε.
    retention : array (J,), optional
        Value per unsold unit in the welfare W; default 0.
    edges : bool array (n, J), optional
        E: ``edges[i, j]`` if buyer i may bid at seller j; default complete.  Every
        buyer needs at least one seller.
    tie_break : str
        ``"proportional"`` (default, draft eq. 20), ``"lazar_semret"`` or
        ``"strict"`` (draft eqs. 2–3 as printed; can over-allocate).
    schedule : str
        ``"asynchronous"`` (seeded random order each pass), ``"round_robin"`` or
        ``"synchronous"`` (draft §3.4 and §4).
    seed : int
        Seed of the asynchronous order (and of the draft's i.i.d. initial prices).
    max_iterations : int, optional
        Cap on passes (time steps of the draft's rules); default derived from ε
        (:func:`datamech.solvers.psp.default_max_iterations`).  Reaching it gives status
        ``iteration_limit``.
    need : array (n,), optional
        D_i, the data a buyer wants under the draft's rules (default :meth:`needs`).
    initial_price : array (n,), optional
        Draft rules: the buyers' first bid prices (the table of the worked example, draft §3.4.4).
    p_kappa : float, optional
        Draft rules: the ISP overage price p^κ, upper bound of bid prices (draft §3.4.4);
        default :meth:`overage_price`.
    name : str
        Free text.
    solver_options : dict
        The model file's ``[solver]`` table (``datamech options psp`` lists them).
    market : str
        ``"substitutes"`` (default: θ_i of the total) or ``"route"`` (sellers
        are links, ``edges[i]`` is buyer i's route, θ_i of the thinnest link, the networked PSP
        of Lazar and Semret).
    participation_cost : array (n,), optional
        ϱ_i >= 0, subtracted from buyer i's utility once per auction it bids in (the
        bid fee of draft §3.2.1, eq. (14)); default 0.  Not part of the welfare W.

    ``tie_rule``, ``max_rounds`` and ``mode`` are accepted as deprecated keywords.

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        for old, new in DEPRECATED.items():
            if old in kwargs:
                if new in kwargs:
                    raise ModelError(old, f"is given twice (also as {new!r})")
                _deprecated(old, new)
                kwargs[new] = kwargs.pop(old)
        if "mode" in kwargs:
            _deprecated("mode", "method")
            mode = io.check_choice(kwargs.pop("mode"), "mode", tuple(METHOD_OF_MODE))
            opts = dict(kwargs.get("solver_options") or {})
            opts.setdefault("method", METHOD_OF_MODE[mode])
            kwargs["solver_options"] = opts
        super().__init__(*args, **kwargs)


# ------------------------------------------------------------------ model files
_MODEL_KEYS = {"kind", "name", "epsilon", "tie_break", "schedule", "seed", "max_iterations"}
_MODEL_KEYS |= {"p_kappa", "tie_rule", "max_rounds", "mode", "market"}
_SELLER_KEYS = {"name", "supply", "reserve", "retention"}
_BUYER_KEYS = {"name", "valuation", "sellers", "need", "initial_price", "participation_cost"}


def _renamed(m: Mapping[str, Any]) -> dict[str, Any]:
    """The ``[model]`` table with deprecated keys renamed (DeprecationWarning)."""
    out = dict(m)
    for old, new in DEPRECATED.items():
        if old in out:
            if new in out:
                raise ModelError(f"model.{old}", f"is given twice (also as {new!r})")
            _deprecated(f"model.{old}", f"model.{new}", stacklevel=4)
            out[new] = out.pop(old)
    return out


def _number(x: Any, where: str, **kw: Any) -> float:
    return float(read_number(x, where, exact=False, high=MAX_VALUE, **kw))


def from_toml(data: dict[str, Any]) -> PSPModel:
    """Build a :class:`PSPModel` from a parsed model file (``[model]``, ``[[sellers]]``,
    ``[[buyers]]``, optional ``[solver]``); unknown keys are errors.

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.
    """
    io.check_keys(data, "file", {"model", "sellers", "buyers", "solver"}, ("model",))
    io.check_keys(data["model"], "model", _MODEL_KEYS, required=("kind", "epsilon"))
    m = _renamed(data["model"])
    solver = dict(data.get("solver", {}))
    if "mode" in m:
        _deprecated("model.mode", "solver.method", stacklevel=3)
        method = METHOD_OF_MODE[io.check_choice(m["mode"], "model.mode", tuple(METHOD_OF_MODE))]
        if solver.setdefault("method", method) != method:
            raise ModelError("model.mode", f"conflicts with solver.method = {solver['method']!r}")
    eps = _number(m["epsilon"], "model.epsilon", low=0, low_open=True)
    sellers = data.get("sellers")
    buyers = data.get("buyers")
    if not isinstance(sellers, list) or not sellers:
        raise ModelError("sellers", "give at least one [[sellers]] table")
    if not isinstance(buyers, list) or not buyers:
        raise ModelError("buyers", "give at least one [[buyers]] table")
    check_memory("buyers", float(len(buyers)) * len(sellers),
                 f"the graph of {len(buyers)} buyers x {len(sellers)} sellers")  # fmt: skip
    names, supply, reserve, retention = [], [], [], []
    for j, s in enumerate(sellers):
        where = f"sellers[{j}]"
        io.check_keys(s, where, _SELLER_KEYS, required=("supply",))
        names.append(io.check_name(s.get("name", f"s{j + 1}"), f"{where}.name"))
        supply.append(_number(s["supply"], f"{where}.supply", low=0, low_open=True))
        reserve.append(_number(s.get("reserve", eps), f"{where}.reserve", low=0))
        retention.append(_number(s.get("retention", 0.0), f"{where}.retention", low=0))
    index = {nm: j for j, nm in enumerate(names)}
    if len(index) != len(names):
        dup = next(nm for nm in names if names.count(nm) > 1)
        raise ModelError(f"sellers[{names.index(dup, names.index(dup) + 1)}].name",
                         f"seller name {dup!r} is used twice")  # fmt: skip
    bnames, vals, needs, prices, rho = [], [], [], [], []
    E = np.zeros((len(buyers), len(sellers)), dtype=bool)
    for i, b in enumerate(buyers):
        where = f"buyers[{i}]"
        io.check_keys(b, where, _BUYER_KEYS, required=("valuation",))
        bnames.append(io.check_name(b.get("name", f"b{i + 1}"), f"{where}.name"))
        vals.append(make_valuation(b["valuation"], f"{where}.valuation"))
        if "sellers" not in b:
            E[i] = True  # linked to every seller
        links = b.get("sellers", [])
        if not isinstance(links, list):
            raise ModelError(f"{where}.sellers", "must be a list of seller names")
        for k, nm in enumerate(links):
            io.check_name(nm, f"{where}.sellers[{k}]")
            if nm not in index:
                raise ModelError(f"{where}.sellers[{k}]", f"unknown seller {nm!r}")
            E[i, index[nm]] = True
        needs.append(None if "need" not in b else _number(b["need"], f"{where}.need", low=0))
        prices.append(
            None
            if "initial_price" not in b
            else _number(b["initial_price"], f"{where}.initial_price", low=0)
        )
        rho.append(_number(b.get("participation_cost", 0.0), f"{where}.participation_cost", low=0))
    if len(set(bnames)) != len(bnames):
        dup = next(nm for nm in bnames if bnames.count(nm) > 1)
        raise ModelError(f"buyers[{bnames.index(dup, bnames.index(dup) + 1)}].name",
                         f"buyer name {dup!r} is used twice")  # fmt: skip
    for label, arr in (("need", needs), ("initial_price", prices)):
        if any(x is not None for x in arr) and any(x is None for x in arr):
            k = arr.index(None)
            raise ModelError(f"buyers[{k}].{label}", "give it for every buyer or for none")

    def model_field(key: str, default: Any, check) -> Any:
        return check(m[key], f"model.{key}") if key in m else default

    def choice(allowed: tuple[str, ...]):
        return lambda v, f: io.check_choice(v, f, allowed)

    return PSPModel(
        supply=supply,
        buyers=tuple(bnames),
        valuations=tuple(vals),
        epsilon=eps,
        sellers=tuple(names),
        reserve=reserve,
        retention=retention,
        edges=E,
        tie_break=model_field("tie_break", "proportional", choice(TIE_BREAKS)),
        schedule=model_field("schedule", "asynchronous", choice(SCHEDULES)),
        seed=model_field("seed", 0, lambda v, f: read_int(v, f, low=0, high=MAX_SEED)),
        max_iterations=model_field(
            "max_iterations", None, lambda v, f: read_int(v, f, low=1, high=MAX_ITERATIONS)
        ),
        need=None if needs[0] is None else needs,
        initial_price=None if prices[0] is None else prices,
        p_kappa=model_field("p_kappa", None, lambda v, f: _number(v, f, low=0, low_open=True)),
        name=model_field("name", "", lambda v, f: io.check_name(v, f, required=False)),
        solver_options=solver,
        market=model_field("market", "substitutes", choice(MARKETS)),
        participation_cost=rho if any(rho) else None,
    )


def to_toml(model: PSPModel) -> dict[str, Any]:
    """The model-file dictionary of ``model`` (inverse of :func:`from_toml`).

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.
    """
    m: dict[str, Any] = {"kind": "psp"}
    if model.name:
        m["name"] = model.name
    m.update(
        epsilon=model.epsilon,
        market=model.market,
        tie_break=model.tie_break,
        schedule=model.schedule,
        seed=model.seed,
    )
    if model.max_iterations is not None:
        m["max_iterations"] = model.max_iterations
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
        if model.participation_cost is not None:
            b["participation_cost"] = float(model.participation_cost[i])
        b["valuation"] = model.valuations[i].to_dict()
        buyers.append(b)
    out: dict[str, Any] = {"model": m, "sellers": sellers, "buyers": buyers}
    if model.solver_options:
        out["solver"] = dict(model.solver_options)
    return out


io.register_kind("psp", PSPModel, from_toml, to_toml)

__all__ = [
    "MARKETS",
    "METHOD_OF_MODE",
    "PSPModel",
    "SCHEDULES",
    "TIE_BREAKS",
    "from_toml",
    "to_toml",
]
