"""Model files for bilateral data trade (Deng et al., Section 4), kind ``bilateral``.

A model file::

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

    [solver]                 # optional: options of the solver (``datamech options bilateral``)
    method = "lagrangian"

Types (support ends, atoms, profiles, the price) lie in [0, 1e12], the range of
:mod:`datamech.models.distributions`: the model is homogeneous of degree one in (v, c),
so rescale the currency unit beyond.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import ModelError
from ..numeric import read_number
from ..schema.bilateral import GOODS, MECHANISMS  # declared once, read here
from . import io
from .distributions import (
    MAX_VALUE,
    ContinuousLaw,
    TypeDistribution,
    from_table,
    to_table,
)

__all__ = [
    "GOODS",
    "MAX_VALUE",
    "MECHANISMS",
    "BilateralModel",
    "check_laws",
    "is_smooth",
    "resolve_good",
]


def resolve_good(alpha: Any, good: Any, where: str = "") -> tuple[Any, str]:
    """Check ``alpha`` and ``good``; alpha = 1 means the indivisible good.

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.

    Examples
    --------
    >>> resolve_good("1/2", None), resolve_good(None, "indivisible")
    ((Fraction(1, 2), 'scaling'), (1, 'indivisible'))
    >>> resolve_good(1.5, None)
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: alpha: must be <= 1, got 1.5
    """
    if good is not None:
        io.check_choice(good, f"{where}good", GOODS)
    if alpha is None:
        if good == "indivisible":
            return 1, "indivisible"
        raise ModelError(
            f"{where}alpha", "is required for the scaling model (or give good = 'indivisible')"
        )
    a = read_number(alpha, f"{where}alpha", low=0, low_open=True, high=1)
    if a == 1:
        return 1, "indivisible"
    if good == "indivisible":
        raise ModelError(f"{where}alpha", f"the indivisible good has alpha = 1, got {alpha!r}")
    return a, "scaling"


def is_smooth(dist: TypeDistribution, role: str) -> bool:
    """Whether the solvers keep ``dist`` continuous for ``role`` (buyer or seller).

    True for the parametric families with a closed-form density whose virtual value
    (buyer) or virtual cost (seller) is nondecreasing; every other law (discrete,
    mixtures, irregular power laws, truncated equal revenue) is handled through atoms.

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.

    Examples
    --------
    >>> from datamech.models.distributions import Discrete, Uniform
    >>> is_smooth(Uniform(0, 1), "buyer"), is_smooth(Discrete([1], [1]), "seller")
    (True, False)
    """
    if not isinstance(dist, ContinuousLaw):
        return False
    return bool(dist.cost_regular if role == "seller" else dist.regular)


def check_laws(buyer: TypeDistribution, seller: TypeDistribution, alpha: Any, good: str) -> None:
    """Raise ``ModelError`` for laws under which the first best is undefined (Section 4.2):
    E[v^k] or E[c^{-(k-1)}] infinite, or costs that can be 0 in the scaling model.

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    """
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
    """``d.require_moment`` with the error naming ``role`` (laws built in Python carry
    the default ``where = "buyer"``) and the paper's letter (v or c)."""
    try:
        d.require_moment(p, purpose)
    except ModelError as err:
        suffix = err.field[len(d.where) :] if err.field.startswith(d.where) else ""
        letter = "v" if role == "buyer" else "c"
        problem = err.problem.replace("E[V^", f"E[{letter}^")
        raise ModelError(f"{role}{suffix}", f"{problem} (spec G15)") from None


def _read_profiles(rows: Any) -> tuple[tuple[float, float], ...]:
    if not isinstance(rows, (list, tuple)):
        raise ModelError("model.profiles", "must be a list of [v, c] pairs")
    out = []
    for i, row in enumerate(rows):
        where = f"model.profiles[{i}]"
        if not isinstance(row, (list, tuple)) or len(row) != 2:
            raise ModelError(where, "must be a pair [v, c]")
        v, c = (
            float(read_number(x, f"{where}[{j}]", low=0, high=MAX_VALUE)) for j, x in enumerate(row)
        )
        out.append((v, c))
    return tuple(out)


@dataclass(frozen=True, eq=False)
class BilateralModel:
    """One buyer (value law ``buyer``) and one seller (cost law ``seller``) trading data.

    ``alpha`` in (0, 1) is the scaling model (value v x^alpha, cost c x); ``alpha = 1``
    (or ``good = "indivisible"``) the classic indivisible good.  ``mechanisms`` lists
    what to evaluate besides first and second best; ``profiles`` are realized (v, c)
    pairs at which payments are reported; ``solver_options`` is the file's ``[solver]``
    table (checked by :func:`datamech.solve`).

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    * R. B. Myerson and M. A. Satterthwaite, "Efficient Mechanisms for Bilateral
      Trading", Journal of Economic Theory 29(2), 265-281, 1983.

    Examples
    --------
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
    solver_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        a, g = resolve_good(self.alpha, self.good, "model.")
        object.__setattr__(self, "alpha", a)
        object.__setattr__(self, "good", g)
        io.check_name(self.name, "model.name", required=False)
        check_laws(self.buyer, self.seller, a, g)
        mech = self.mechanisms
        if isinstance(mech, str):
            mech = (mech,)
        if not isinstance(mech, (list, tuple)):
            raise ModelError("model.mechanism", "must be a mechanism name or a list of names")
        mech = tuple(io.check_choice(m, "model.mechanism", ("all", *MECHANISMS)) for m in mech)
        if "posted_price" in mech and g != "indivisible":
            raise ModelError("model.mechanism", "posted_price needs the indivisible good")
        object.__setattr__(self, "mechanisms", mech or ("all",))
        if self.price is not None:
            if g != "indivisible":
                raise ModelError("model.price", "a posted price needs the indivisible good")
            read_number(self.price, "model.price", low=0, high=MAX_VALUE)
        rows = _read_profiles(self.profiles)
        for i, (_v, c) in enumerate(rows):
            if g == "scaling" and c == 0:
                raise ModelError(f"model.profiles[{i}]", "the scaling model needs a cost c > 0")
        object.__setattr__(self, "profiles", rows)
        if not isinstance(self.solver_options, dict):
            raise ModelError("solver", "must be a table of options")

    @property
    def selected(self) -> tuple[str, ...]:
        """The mechanisms to evaluate (``all`` expanded for the good)."""
        if "all" in self.mechanisms:
            out = [m for m in MECHANISMS if m != "posted_price" or self.good == "indivisible"]
            return tuple(out)
        return tuple(dict.fromkeys(("first_best", "second_best", *self.mechanisms)))


def from_toml(data: dict[str, Any]) -> BilateralModel:
    io.check_keys(
        data, "file", {"model", "buyer", "seller", "solver"}, ("model", "buyer", "seller")
    )
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
    elif not isinstance(mech, list):
        raise ModelError("model.mechanism", "must be a mechanism name or a list of names")
    return BilateralModel(
        buyer=from_table(data["buyer"], "buyer"),
        seller=from_table(data["seller"], "seller"),
        alpha=m.get("alpha"),
        good=m.get("good"),
        mechanisms=tuple(mech),
        profiles=m.get("profiles", ()),
        price=m.get("price"),
        name=m.get("name", ""),
        solver_options=dict(data.get("solver", {})),
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
    out: dict[str, Any] = {
        "model": m,
        "buyer": to_table(model.buyer),
        "seller": to_table(model.seller),
    }
    if model.solver_options:
        out["solver"] = dict(model.solver_options)
    return out


io.register_kind("bilateral", BilateralModel, from_toml, to_toml)
