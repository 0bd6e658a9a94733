"""Type distributions shared by every family: laws, virtual values, ironing (spec 003 §2.1).

One law per buyer type (or seller cost).  Families, named as in model files
(``family = "..."`` plus the parameters listed; the documented range of every
parameter is in its class docstring and in :mod:`.reading`):

* ``uniform``: ``low``, ``high``.
* ``exponential``: ``rate``, optional ``low`` (a shift, default 0) and ``high``
  (truncation, default infinity).
* ``pareto``: ``shape`` s, optional ``scale`` (default 1); F = 1 - (scale/v)^s on [scale, inf).
* ``power``: ``shape`` s; F = v^s on [0, 1] (the power law on [0, 1]).
* ``truncated_equal_revenue``: ``high`` H and ``n`` (or ``scale`` = 1/n);
  F(v) = max{0, 1 - scale/v} on [0, H) and F = 1 at H (an atom of mass scale/H at H,
  the instances of Theorems 3.3 and 3.6).
* ``discrete``: ``values`` (any order; equal values are merged), ``probs`` (positive,
  summing to 1).  Entries given as integers, Fractions or ``"p/q"`` strings are kept
  exact; a float anywhere makes the law a float law.
* ``mixture``: ``weights`` and ``components`` (a list of tables of the families above).
* ``expression``: ``cdf`` or ``pdf`` (an expression in ``v``) and ``support``
  (``[low, high]``, ``high`` may be ``"inf"``); sympy derives the rest
  (:mod:`.expression`, imported on first use: it needs sympy).

Numbers are ints, floats or ``"p/q"`` strings, mixed freely (:mod:`datamech.numeric`);
types, bounds and scales lie in [0, 1e12] (rescale the currency unit beyond).

Every law gives cdf, pdf/pmf, quantile, the virtual value phi(v) = v - (1-F)/f, the
virtual cost c + F/f, the revenue curve R(q) = q F^{-1}(1-q) in quantile space, its
least concave majorant, the ironed virtual value (slope of the majorant), ironing
intervals, reserve price, monopoly revenue, and the law of r = (phi^ir)_+.

Ironing (:mod:`.ironing`) is done on the revenue points (P(V >= p), p P(V >= p)) of a
set of prices p, joined piecewise-linearly (spec §2.1 rules 2 and 3: never the step
function), by weighted pool-adjacent-violators: exact for discrete laws and atoms (in
rationals when the law is exact) and vectorized for floats (10^5 types in
milliseconds); for continuous irregular laws the prices are a fine quantile grid (spec
§2.1 rule 1).  Regular continuous families use their closed-form phi.

Layout: :mod:`.reading` (parameter ranges, fast list reading), :mod:`.ironing` (PAVA,
price ladders), :mod:`.rlaw` (the law of r), :mod:`.base` (the interface),
:mod:`.discrete` (finite laws), :mod:`.continuous` (parametric families),
:mod:`.mixture`, :mod:`.tables` (model-file tables), :mod:`.expression` (laws written
as expressions) and :mod:`.derivation` (their time-bounded sympy derivations).

Examples
--------
>>> from fractions import Fraction as Fr
>>> d = Discrete([1, 2, 3], [Fr(6, 10), Fr(1, 10), Fr(3, 10)])   # spec §6.2 example I3
>>> [str(x) for x in d.virtual_value([1, 2, 3])]
['1/3', '-1', '3']
>>> [str(x) for x in d.ironed_virtual_value([1, 2, 3])]
['1/7', '1/7', '3']
>>> d.ironing_intervals() == [(1, 2)]
True
>>> Uniform(0, 1).monopoly_revenue()
0.25
"""

from __future__ import annotations

from typing import Any

from ...numeric import read_number
from .base import GRID, TypeDistribution
from .continuous import (
    ContinuousLaw,
    Exponential,
    Pareto,
    Power,
    TruncatedEqualRevenue,
    Uniform,
)
from .discrete import Discrete, LadderLaw
from .ironing import PriceLadder, pava, pool_equal_runs
from .mixture import Mixture
from .reading import (
    MAX_VALUE,
    MIN_SCALE,
    PARETO_SHAPE_RANGE,
    POWER_SHAPE_RANGE,
    PROB_TOL,
    RATE_RANGE,
    normalize_probs,
    read_numbers,
    read_param,
)
from .rlaw import RLaw
from .tables import FAMILIES, LAW_KEYS, from_table, to_table

__all__ = [
    "FAMILIES",
    "GRID",
    "LAW_KEYS",
    "MAX_VALUE",
    "MIN_SCALE",
    "PARETO_SHAPE_RANGE",
    "POWER_SHAPE_RANGE",
    "PROB_TOL",
    "RATE_RANGE",
    "ClosedForms",
    "ContinuousLaw",
    "Discrete",
    "Exponential",
    "ExpressionLaw",
    "LadderLaw",
    "Mixture",
    "Pareto",
    "Power",
    "PriceLadder",
    "RLaw",
    "TruncatedEqualRevenue",
    "TypeDistribution",
    "Uniform",
    "from_table",
    "normalize_probs",
    "pava",
    "pool_equal_runs",
    "read_numbers",
    "read_param",
    "to_table",
]


def __getattr__(name: str) -> Any:
    """``ExpressionLaw`` and ``ClosedForms`` (:mod:`.expression`), imported when first
    asked for, so that the other laws do not import sympy."""
    if name in ("ExpressionLaw", "ClosedForms"):
        from . import expression

        return getattr(expression, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Deprecated alias of :class:`ContinuousLaw` (imported by the bilateral solvers).
_Continuous = ContinuousLaw


def _num(x: Any, where: str) -> Any:
    """Deprecated: use :func:`datamech.numeric.read_number` (same reading: exact for
    ints and ``"p/q"`` strings, floats as floats).  Kept, without a runtime warning
    (the CLI would print it on every load), until ``datamech.models.bilateral`` and
    ``datamech.models.scaling`` import ``read_number`` instead."""
    return read_number(x, where)
