"""Model files for bilateral data trade (seed 003 §4), kind ``bilateral``.

[model]
kind = "bilateral"
alpha = "1/2"            # scaling exponent in (0, 1]; alpha = 1 is the indivisible good
# good = "indivisible"   # instead of alpha: value v x, cost c x, x in [0, 1]
mechanism = "all"        # or one of first_best, second_best, seller_proposing,
                         # buyer_proposing, broker, posted_price (or a list of them)
profiles = [[0.5, 1.2]]  # optional realized (v, c) at which payments are reported
# price = 0.5            # optional fixed posted price (indivisible good)

[buyer]                  # the buyer's value law, syntax of datamech.models.distributions
family = "uniform"
low = 0
high = 1

[seller]                 # the seller's unit-cost law
family = "uniform"
low = 1
high = 2
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..errors import ModelError
from . import io
from .distributions import TypeDistribution, _num, from_table, to_table

GOODS = ("scaling", "indivisible")
MECHANISMS = (
    "first_best",
    "second_best",
    "seller_proposing",
    "buyer_proposing",
    "broker",
    "posted_price",
)


def resolve_good(alpha: Any, good: str | None, where: str = "") -> tuple[Any, str]:
    """Check ``alpha`` and ``good``; alpha = 1 means the indivisible good.

    >>> resolve_good("1/2", None), resolve_good(None, "indivisible")
    ((Fraction(1, 2), 'scaling'), (1, 'indivisible'))
    """
    if good is not None and good not in GOODS:
        raise ModelError(f"{where}good", f"must be one of {', '.join(GOODS)}, got {good!r}")
    if alpha is None:
        if good == "indivisible":
            return 1, "indivisible"
        raise ModelError(
            f"{where}alpha", "is required for the scaling model (or give good = 'indivisible')"
        )
    a = _num(alpha, f"{where}alpha")
    if not 0 < a <= 1:
        raise ModelError(f"{where}alpha", f"must lie in (0, 1], got {alpha!r}")
    if a == 1:
        return 1, "indivisible"
    if good == "indivisible":
        raise ModelError(f"{where}alpha", f"the indivisible good has alpha = 1, got {alpha!r}")
    return a, "scaling"


def check_laws(buyer: TypeDistribution, seller: TypeDistribution, alpha: Any, good: str) -> None:
    """Raise ``ModelError`` for laws under which the first best is undefined (spec G15):
    E[v^k] or E[c^{-(k-1)}] infinite, or costs that can be 0 in the scaling model."""
    for name, d in (("buyer", buyer), ("seller", seller)):
        if not isinstance(d, TypeDistribution):
            raise ModelError(name, f"must be a type distribution, got {type(d).__name__}")
    if good == "indivisible":
        _need_moment(buyer, "buyer", 1, "the first best E[(v - c)_+]")
        return
    if float(seller.cdf(0.0)) > 0:
        raise ModelError(
            "seller.values" if seller.discrete else "seller.low",
            "costs must be positive in the scaling model (an atom at c = 0 makes x* infinite)",
        )
    k = 1 / (1 - float(alpha))
    _need_moment(buyer, "buyer", k, "the first best (E[v^{1/(1-alpha)}])")
    _need_moment(seller, "seller", -(k - 1), "the first best (E[c^{-alpha/(1-alpha)}])")


def _need_moment(d: TypeDistribution, role: str, p: float, purpose: str) -> None:
    # like TypeDistribution.require_moment, but naming the role (laws built in Python
    # carry the default where = "buyer")
    if not math.isfinite(float(d.moment(p))):
        raise ModelError(
            f"{role}.{d._tail_param()}",
            f"E[{'v' if role == 'buyer' else 'c'}^{p:g}] is infinite for this {d.family} law,"
            f" but {purpose} needs it (spec G15)",
        )


@dataclass(frozen=True, eq=False)
class BilateralModel:
    """One buyer (value law ``buyer``) and one seller (cost law ``seller``) trading data.

    ``alpha`` in (0, 1) is the scaling model (value v x^alpha, cost c x); ``alpha = 1``
    (or ``good = "indivisible"``) the classic indivisible good.  ``mechanisms`` lists
    what to evaluate besides first and second best; ``profiles`` are realized (v, c)
    pairs at which payments are reported.

    >>> from datamech.models.distributions import Uniform
    >>> BilateralModel(Uniform(0, 1), Uniform(0, 1), alpha="1/2")
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: seller.low: E[c^-1] is infinite for this uniform law, but the first best (E[c^{-alpha/(1-alpha)}]) needs it (spec G15)
    """

    buyer: TypeDistribution
    seller: TypeDistribution
    alpha: Any = None
    good: str | None = None
    mechanisms: tuple[str, ...] = ("all",)
    profiles: tuple[tuple[float, float], ...] = ()
    price: Any = None
    name: str = ""

    def __post_init__(self) -> None:
        a, g = resolve_good(self.alpha, self.good, "model.")
        object.__setattr__(self, "alpha", a)
        object.__setattr__(self, "good", g)
        check_laws(self.buyer, self.seller, a, g)
        mech = self.mechanisms
        if isinstance(mech, str):
            mech = (mech,)
        mech = tuple(mech)
        for m in mech:
            if m != "all" and m not in MECHANISMS:
                raise ModelError(
                    "model.mechanism",
                    f"unknown mechanism {m!r} (known: all, {', '.join(MECHANISMS)})",
                )
        if "posted_price" in mech and g != "indivisible":
            raise ModelError("model.mechanism", "posted_price needs the indivisible good")
        object.__setattr__(self, "mechanisms", mech or ("all",))
        if self.price is not None:
            if g != "indivisible":
                raise ModelError("model.price", "a posted price needs the indivisible good")
            p = _num(self.price, "model.price")
            if p < 0:
                raise ModelError("model.price", f"must be nonnegative, got {self.price!r}")
        rows = []
        for i, row in enumerate(self.profiles):
            if not isinstance(row, (list, tuple)) or len(row) != 2:
                raise ModelError(f"model.profiles[{i}]", "must be a pair [v, c]")
            v, c = (float(_num(x, f"model.profiles[{i}]")) for x in row)
            if not (math.isfinite(v) and math.isfinite(c)) or v < 0 or c < 0:
                raise ModelError(f"model.profiles[{i}]", "types must be finite and nonnegative")
            if g == "scaling" and c == 0:
                raise ModelError(f"model.profiles[{i}]", "the scaling model needs a cost c > 0")
            rows.append((v, c))
        object.__setattr__(self, "profiles", tuple(rows))

    @property
    def selected(self) -> tuple[str, ...]:
        """The mechanisms to evaluate (``all`` expanded for the good)."""
        if "all" in self.mechanisms:
            out = [m for m in MECHANISMS if m != "posted_price" or self.good == "indivisible"]
            return tuple(out)
        return tuple(dict.fromkeys(("first_best", "second_best", *self.mechanisms)))


def from_toml(data: dict[str, Any]) -> BilateralModel:
    io.check_keys(data, "file", {"model", "buyer", "seller"}, ("model", "buyer", "seller"))
    m = data["model"]
    io.check_keys(
        m,
        "model",
        {"kind", "name", "alpha", "good", "mechanism", "profiles", "price"},
        required=("kind",),
    )
    mech = m.get("mechanism", "all")
    if isinstance(mech, str):
        mech = (mech,)
    elif not (isinstance(mech, list) and all(isinstance(x, str) for x in mech)):
        raise ModelError("model.mechanism", "must be a mechanism name or a list of names")
    profiles = m.get("profiles", [])
    if not isinstance(profiles, list):
        raise ModelError("model.profiles", "must be a list of [v, c] pairs")
    return BilateralModel(
        buyer=from_table(data["buyer"], "buyer"),
        seller=from_table(data["seller"], "seller"),
        alpha=m.get("alpha"),
        good=m.get("good"),
        mechanisms=tuple(mech),
        profiles=tuple(tuple(r) if isinstance(r, list) else r for r in profiles),
        price=m.get("price"),
        name=str(m.get("name", "")),
    )


def to_toml(model: BilateralModel) -> dict[str, Any]:
    m: dict[str, Any] = {"kind": "bilateral"}
    if model.name:
        m["name"] = model.name
    if model.good == "indivisible":
        m["good"] = "indivisible"
    else:
        m["alpha"] = model.alpha
    m["mechanism"] = list(model.mechanisms) if len(model.mechanisms) > 1 else model.mechanisms[0]
    if model.profiles:
        m["profiles"] = [list(r) for r in model.profiles]
    if model.price is not None:
        m["price"] = model.price
    return {"model": m, "buyer": to_table(model.buyer), "seller": to_table(model.seller)}


io.register_kind("bilateral", BilateralModel, from_toml, to_toml)
