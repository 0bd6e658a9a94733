"""Laws in model files: ``family = "..."`` plus the family's parameters (spec 003 §2.1)."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from ...errors import ModelError
from ..io import check_choice, check_keys
from .base import TypeDistribution
from .continuous import Exponential, Pareto, Power, TruncatedEqualRevenue, Uniform
from .discrete import Discrete
from .mixture import Mixture
from .reading import MIN_SCALE, range_hint, read_param

__all__ = ["FAMILIES", "KEYS", "LAW_KEYS", "from_table", "to_table"]

FAMILIES = (
    "uniform",
    "exponential",
    "pareto",
    "power",
    "truncated_equal_revenue",
    "discrete",
    "mixture",
    "expression",
)

#: allowed and required keys of each family's table (besides ``family``)
KEYS: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "uniform": (frozenset({"low", "high"}), ("low", "high")),
    "exponential": (frozenset({"rate", "low", "high"}), ("rate",)),
    "pareto": (frozenset({"shape", "scale"}), ("shape",)),
    "power": (frozenset({"shape"}), ("shape",)),
    "truncated_equal_revenue": (frozenset({"high", "n", "scale"}), ("high",)),
    "discrete": (frozenset({"values", "probs"}), ("values", "probs")),
    "mixture": (frozenset({"weights", "components"}), ("weights", "components")),
    "expression": (frozenset({"cdf", "pdf", "support"}), ("support",)),
}

#: every key a law's table may hold, whatever its family (for readers that take a law
#: inline in a larger table, e.g. a mechanism agent, and must tell its keys apart)
LAW_KEYS: frozenset[str] = frozenset({"family"}).union(*(keys for keys, _ in KEYS.values()))


def from_table(table: Mapping[str, Any], field: str = "buyer") -> TypeDistribution:
    """Build a law from its model-file table (``family`` plus parameters).

    ``field`` names the table in errors, e.g. ``"buyers[1]"``.  Numbers may be ints,
    floats or ``"p/q"`` strings, mixed freely; each family's documented range is in
    its class docstring.

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.

    Examples
    --------
    >>> from_table({"family": "uniform", "low": 0, "high": 1}).reserve_price()
    0.5
    >>> from_table({"family": "discrete", "values": ["3/4", "3/2", 3],
    ...             "probs": [0.5, 0.02, 0.48]}).support
    (0.75, 3.0)
    >>> from_table({"family": "discrete", "values": [1, 2], "probs": [0.5, 0.4]}, "buyers[0]")
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: buyers[0].probs: sum to 0.9, not 1
    >>> from_table({"family": ["uniform"], "low": 0, "high": 1}, "buyers[0]")
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: buyers[0].family: must be a string, got a list
    """
    if not isinstance(table, Mapping):
        check_keys(table, field, ())  # "must be a table, got ..."
    if "family" not in table:
        raise ModelError(f"{field}.family", "is required")
    fam = check_choice(table["family"], f"{field}.family", FAMILIES)
    allowed, required = KEYS[fam]
    check_keys(table, field, allowed | {"family"}, required)
    t = {k: v for k, v in table.items() if k != "family"}
    if fam == "uniform":
        return Uniform(t["low"], t["high"], where=field)
    if fam == "exponential":
        return Exponential(t["rate"], t.get("low", 0), where=field, high=t.get("high"))
    if fam == "pareto":
        return Pareto(t["shape"], t.get("scale", 1), where=field)
    if fam == "power":
        return Power(t["shape"], where=field)
    if fam == "truncated_equal_revenue":
        if ("n" in t) == ("scale" in t):
            raise ModelError(f"{field}.n", "give exactly one of n or scale (= 1/n)")
        if "n" in t:
            n = read_param(
                t["n"],
                f"{field}.n",
                low=MIN_SCALE,
                hint=range_hint("truncated_equal_revenue.n", MIN_SCALE, 1e12),
            )
            scale: Any = 1 / n if isinstance(n, Fraction) else 1.0 / n
        else:
            scale = t["scale"]
        return TruncatedEqualRevenue(scale, t["high"], where=field)
    if fam == "discrete":
        return Discrete(t["values"], t["probs"], where=field)
    if fam == "expression":
        from .expression import ExpressionLaw  # sympy is imported for expression laws only

        return ExpressionLaw(t.get("cdf"), t.get("pdf"), t["support"], where=field)
    comps = t["components"]
    if not isinstance(comps, list) or not comps:
        raise ModelError(f"{field}.components", "must be a non-empty array of tables")
    parts = []
    for k, c in enumerate(comps):
        where = f"{field}.components[{k}]"
        if isinstance(c, Mapping) and c.get("family") == "mixture":
            raise ModelError(f"{where}.family", "nested mixtures are not supported")
        parts.append(from_table(c, where))
    return Mixture(parts, t["weights"], where=field)


def to_table(dist: TypeDistribution) -> dict[str, Any]:
    """The model-file table of ``dist`` (inverse of :func:`from_table`).

    References
    ----------
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.

    Examples
    --------
    >>> to_table(from_table({"family": "discrete", "values": [2, 1], "probs": ["1/4", "3/4"]}))
    {'family': 'discrete', 'values': [Fraction(1, 1), Fraction(2, 1)], 'probs': [Fraction(3, 4), Fraction(1, 4)]}
    """
    return dist.params()
