"""The resale chain with profit reallocation (arXiv:2606.31202, Sections 2 and 5).

Players 0..n sit on a chain; trade i (i = 1..n) is player i-1 posting a price to player i.
Valuations are Markov on a finite grid W (Assumption 2.1 and 3.4): the law of v_i given
v_{i-1} = w_k is row k of the transition matrix of trade i.  A reallocation matrix t
(n rows for trades 1..n, n+1 columns for players 0..n) gives player j the share t_ij of
the price paid in trade i (Def 2.5 budget feasibility, Def 2.6 past only); the built-in
mechanisms are in :mod:`datamech.models.chain_mechanisms` (re-exported here).

Numbers may be floats or exact rationals (``Fraction``, or strings ``"p/q"`` in model
files), read by :func:`datamech.numeric.read_array`: a list with any rational entry, or
only integers, is kept exactly (numpy object arrays); :meth:`ChainModel.exact` and
:meth:`ChainModel.floats` give either view.  Continuous chains (``support`` and
``kernel`` in the file) are :mod:`datamech.models.chain_continuous`.

Examples
--------
>>> from datamech.models.chain import paper_model
>>> m = paper_model(2, n=5, mechanism="AVE")
>>> m.n, m.L, m.mechanism["name"]
(5, 11, 'AVE')
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from ..errors import ModelError
from ..numeric import exact_array, fmt, read_array, read_int
from ..sizes import FLOAT, check_memory
from . import io
from .chain_mechanisms import (
    FLOAT_TOL,
    MECHANISMS,
    ave_matrix,
    check_length,
    check_mechanism_label,
    check_reallocation,
    mechanism_matrix,
    mechanism_table,
    named_mechanism,
    raw_matrix,
    read_alpha,
    read_mechanism_table,
    read_numbers,
    tbds_matrix,
    validated_reallocation,
)
from .chain_options import read_solver_table

__all__ = [
    "FLOAT_TOL",
    "MECHANISMS",
    "MODEL3_READINGS",
    "ChainModel",
    "ave_matrix",
    "check_reallocation",
    "create",
    "five_neighbour",
    "from_toml",
    "mechanism_matrix",
    "named_mechanism",
    "paper_model",
    "raw_matrix",
    "read_alpha",
    "tbds_matrix",
    "to_toml",
    "validated_reallocation",
]


# ---------------------------------------------------------------------- the model
@dataclass(frozen=True, eq=False)
class ChainModel:
    """A resale chain: n trades, value grid, Markov transitions, law of v_0, mechanism t.

    Parameters
    ----------
    n : int
        Number of trades (players 0..n).
    values : array (L,)
        The grid W; may be unsorted, non-homogeneous and negative.
    transition : array (L, L) or (n, L, L)
        Row k is the law of v_i given v_{i-1} = W[k]; one shared matrix or one per trade
        (``transition[i-1]`` for trade i; ``transitions`` in model files).
    start : int, optional
        0-based grid index of v_0 (a point mass); or give ``start_distribution``.
    start_distribution : array (L,), optional
        Law of v_0 over the grid.
    reallocation : array (n, n+1)
        t; row i-1 is trade i, column j is player j.
    mechanism : dict
        How t was named (``{"name": "AVE"}``, ``{"name": "TBDS", "alpha": 0.5}``,
        ``{"name": "matrix"}``), used for display and for saving.
    name : str
    solver_options : dict
        The model file's ``[solver]`` table (validated against
        :data:`datamech.solvers.chain.OPTIONS`), applied by :func:`datamech.solve`
        before its keywords and written back by :func:`datamech.save`.

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.
    """

    n: int
    values: np.ndarray
    transition: np.ndarray
    reallocation: np.ndarray
    start: int | None = None
    start_distribution: np.ndarray | None = None
    mechanism: dict = field(default_factory=lambda: {"name": "matrix"})
    name: str = ""
    solver_options: dict = field(default_factory=dict, compare=False)
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = check_length(self.n, "n")
        object.__setattr__(self, "n", n)
        values = read_array(self.values, "values", ndim=1)
        object.__setattr__(self, "values", values)
        L = values.size

        key = "transitions" if _depth(self.transition) == 3 else "transition"
        trans = read_numbers(self.transition, key, nonnegative=True)
        if trans.ndim == 2:
            if trans.shape != (L, L):
                raise ModelError(key, f"must be {L} x {L} (L = len(values)), got {_shape(trans)}")
            check_stochastic(trans, key)
        elif trans.ndim == 3:
            if trans.shape != (n, L, L):
                raise ModelError(key, f"must be n = {n} matrices of {L} x {L}, got {_shape(trans)}")
            for i in range(n):
                check_stochastic(trans[i], f"{key}[{i}]")
        else:
            raise ModelError(key, f"must be an L x L matrix, got {_shape(trans)}")
        object.__setattr__(self, "transition", trans)

        if (self.start is None) == (self.start_distribution is None):
            raise ModelError(
                "start", "give exactly one of start (a grid index) or start_distribution"
            )
        if self.start is not None:
            s = read_int(self.start, "start")
            if not 0 <= s < L:
                raise ModelError("start", f"index {s} is outside the grid 0..{L - 1}")
            object.__setattr__(self, "start", s)
        else:
            sd = read_array(self.start_distribution, "start_distribution", ndim=1, low=0)
            if sd.shape != (L,):
                raise ModelError(
                    "start_distribution",
                    f"must have length {L} (one probability per value), got {sd.size}",
                )
            check_stochastic(sd[None, :], "start_distribution", rows=False)
            object.__setattr__(self, "start_distribution", sd)

        object.__setattr__(self, "reallocation", validated_reallocation(self.reallocation, n))
        check_mechanism_label(self.mechanism)
        io.check_name(self.name, "name", required=False)
        object.__setattr__(
            self, "solver_options", read_solver_table(self.solver_options, continuous=False)
        )

    # -------------------------------------------------------------- views
    @property
    def L(self) -> int:
        """Number of grid points."""
        return int(self.values.size)

    @property
    def per_trade(self) -> bool:
        """True when each trade has its own transition matrix."""
        return self.transition.ndim == 3

    def Q(self, i: int, exact: bool = False) -> np.ndarray:
        """Transition matrix of trade i (1-based): law of v_i given v_{i-1}."""
        if not 1 <= i <= self.n:
            raise IndexError(f"trade {i} outside 1..{self.n}")
        trans = self.exact()["transition"] if exact else self.floats()["transition"]
        return trans[i - 1] if trans.ndim == 3 else trans

    def start_law(self, exact: bool = False) -> np.ndarray:
        """Law of v_0 as a probability vector over the grid."""
        return (self.exact() if exact else self.floats())["start"]

    @property
    def is_rational(self) -> bool:
        """True when every number was given exactly (Fractions or ints)."""
        arrays = [self.values, self.transition, self.reallocation]
        if self.start_distribution is not None:
            arrays.append(self.start_distribution)
        return all(a.dtype == object for a in arrays)

    def exact(self) -> dict[str, np.ndarray]:
        """All arrays as exact Fractions (floats read through their shortest repr)."""
        if "exact" not in self._cache:
            self._cache["exact"] = {
                "values": exact_array(self.values),
                "transition": exact_array(self.transition),
                "reallocation": exact_array(self.reallocation),
                "start": self._start_vector(exact=True),
            }
        return self._cache["exact"]

    def floats(self) -> dict[str, np.ndarray]:
        """All arrays as float64 (values beyond the float range raise ``ModelError``)."""
        if "floats" not in self._cache:
            try:
                values = np.asarray(self.values, dtype=float)
            except OverflowError:
                raise ModelError(
                    "model.values",
                    "has entries beyond the float range (about 1.8e308): solve with exact = true",
                ) from None
            self._cache["floats"] = {
                "values": values,
                "transition": np.asarray(self.transition, dtype=float),
                "reallocation": np.asarray(self.reallocation, dtype=float),
                "start": np.asarray(self._start_vector(exact=False), dtype=float),
            }
        return self._cache["floats"]

    def _start_vector(self, exact: bool) -> np.ndarray:
        if self.start is not None:
            v = np.full(self.L, Fraction(0), dtype=object)
            v[self.start] = Fraction(1)
            return v if exact else v.astype(float)
        return exact_array(self.start_distribution) if exact else self.start_distribution

    def with_mechanism(self, name: str, alpha: Any = None, matrix: Any = None) -> ChainModel:
        """The same chain under another reallocation mechanism."""
        t, mech = named_mechanism(self.n, name, alpha=alpha, matrix=matrix)
        return ChainModel(
            n=self.n,
            values=self.values,
            transition=self.transition,
            reallocation=t,
            start=self.start,
            start_distribution=self.start_distribution,
            mechanism=mech,
            name=self.name,
            solver_options=self.solver_options,
        )


def create(
    n: int,
    values: Any,
    transition: Any = None,
    *,
    transitions: Any = None,
    start: int | None = None,
    start_distribution: Any = None,
    mechanism: str = "RAW",
    alpha: Any = None,
    matrix: Any = None,
    name: str = "",
    solver_options: dict | None = None,
) -> ChainModel:
    """Build a validated :class:`ChainModel` from plain Python data.

    Give one shared ``transition`` (L x L) or ``transitions`` (n matrices), and one of
    ``start`` (grid index) or ``start_distribution``.

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.

    Examples
    --------
    >>> m = create(2, [0, 1], [[0.5, 0.5], [0.5, 0.5]], start=1, mechanism="AVE")
    >>> m.reallocation.tolist()
    [[Fraction(1, 1), Fraction(0, 1), Fraction(0, 1)], [Fraction(1, 2), Fraction(1, 2), Fraction(0, 1)]]
    """
    if (transition is None) == (transitions is None):
        raise ModelError("transition", "give exactly one of transition or transitions")
    t, mech = named_mechanism(n, mechanism, alpha, matrix)
    return ChainModel(
        n=n,
        values=values,
        transition=transition if transition is not None else transitions,
        reallocation=t,
        start=start,
        start_distribution=start_distribution,
        mechanism=mech,
        name=name,
        solver_options=solver_options or {},
    )


# ---------------------------------------------------------------------- validation
def check_stochastic(P: np.ndarray, field_name: str, rows: bool = True) -> None:
    """Every row of P (entries already >= 0) sums to 1: exactly, or to 1e-9 for floats.

    ``rows=False``: P is one law (a start distribution), not called a row in messages.
    """
    if P.dtype == object:
        sums = [sum((x for x in P[r] if x), Fraction(0)) for r in range(P.shape[0])]
        bad = [r for r, s in enumerate(sums) if s != 1]
    else:
        sums = P.sum(axis=1)
        bad = np.flatnonzero(np.abs(sums - 1) > FLOAT_TOL).tolist()
    if bad:
        r = bad[0]
        what = f"row {r} sums" if rows else "sums"
        raise ModelError(field_name, f"{what} to {fmt(sums[r])}, not 1")


def _depth(a: Any) -> int:
    """Nesting depth of a (nested) list or the ndim of an array."""
    if isinstance(a, np.ndarray):
        return a.ndim
    depth = 0
    while isinstance(a, (list, tuple)) and len(a):
        depth += 1
        a = a[0]
    return depth


def _shape(a: np.ndarray) -> str:
    return " x ".join(map(str, a.shape))


# ---------------------------------------------------------------------- paper models
def five_neighbour(size: int) -> np.ndarray:
    """The paper's five-neighbour walk on indices 0..size-1, k' ~ U{k-2..k+2} clipped.

    Clipping piles the mass of out-of-range neighbours on the boundary (Section 5.1 and
    Appendix D: this, not renormalizing, reproduces the paper's Model 2).

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.
    """
    P = np.full((size, size), Fraction(0), dtype=object)
    for k in range(size):
        for d in range(-2, 3):
            kk = min(max(k + d, 0), size - 1)
            P[k, kk] += Fraction(1, 5)
    return P


MODEL3_READINGS = ("signed", "alternating", "real-part")


def paper_model(
    number: int, n: int, mechanism: str = "RAW", alpha: Any = None, model3: str = "signed"
) -> ChainModel:
    """Models 1-4 of the paper's Section 5.1 at chain length n, v_0 = w_0.

    * Model 1: w_k = exp(k/2), k = -2n..2n (positive, homogeneous).
    * Model 2: w_k = k/(2n), k = 0..2n, neighbours clipped to [0, 2n] (exact rationals).
    * Model 3: the paper writes w_k = (-e)^(k/2), k = -2n..2n, which is not real for odd k.
      Readings (``model3=``): ``"signed"`` (default) ``sign(k) e^(|k|/2)``;
      ``"alternating"`` (-1)^k e^(k/2); ``"real-part"`` Re((-e)^(k/2)) = cos(pi k/2) e^(k/2).
      None of them reproduces the paper's Table 1 column for Model 3 (RAW SW 2.021,
      TV 0.660).  ``"signed"`` is the default because it comes closest: its RAW TV is
      0.660, but its SW is 3.393 (alternating: 2.135 / 0.250; real-part: 1.250 / 0.250).
    * Model 4: w_k = k/(2n), k = -2n..2n (exact rationals).

    On the grids -2n..2n the walk from w_0 never leaves the grid in n steps; boundary rows
    (reachable only at the last step) are clipped like Model 2 so every row is stochastic.

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.
    """
    if isinstance(number, bool) or number not in (1, 2, 3, 4):
        raise ModelError("model", f"paper models are 1..4, got {number!r}")
    n = check_length(n, "n")
    size = 2 * n + 1 if number == 2 else 4 * n + 1
    check_memory("n", 3 * FLOAT * size * size, f"the paper's {size}-point grid")
    if number in (1, 3) and n > 700:
        # the grid's top value e^n overflows a float past n = 709
        raise ModelError("n", f"Models 1 and 3 (values e^(k/2), |k| <= 2n) need n <= 700, got {n}")
    if number == 2:
        ks = list(range(0, 2 * n + 1))
    else:
        ks = list(range(-2 * n, 2 * n + 1))
    if number == 1:
        values: Any = [math.exp(k / 2) for k in ks]
    elif number in (2, 4):
        values = [Fraction(k, 2 * n) for k in ks]
    else:
        if model3 == "alternating":
            values = [(-1) ** (k % 2) * math.exp(k / 2) for k in ks]
        elif model3 == "real-part":
            values = [_clean(math.cos(math.pi * k / 2)) * math.exp(k / 2) for k in ks]
        elif model3 == "signed":
            values = [math.copysign(math.exp(abs(k) / 2), k) if k else 0.0 for k in ks]
        else:
            raise ModelError(
                "model3", f"unknown reading {model3!r} (known: {', '.join(MODEL3_READINGS)})"
            )
    start = ks.index(0)
    m = create(
        n,
        values,
        five_neighbour(len(ks)),
        start=start,
        mechanism=mechanism,
        alpha=alpha,
        name=f"paper model {number}" + (f" ({model3})" if number == 3 else ""),
    )
    return m


def _clean(c: float) -> float:
    return float(round(c)) if abs(c - round(c)) < 1e-12 else c


# ---------------------------------------------------------------------- model files
_MODEL_KEYS = (
    "kind",
    "n",
    "values",
    "transition",
    "transitions",
    "start",
    "start_distribution",
    "name",
)


def from_toml(data: dict[str, Any]) -> ChainModel:
    """Build a discrete chain model from a parsed model file.

    ``[model]`` has ``kind = "chain"``, ``n``, ``values``, ``transition`` (or
    ``transitions``), ``start`` (or ``start_distribution``) and optionally ``name``;
    ``[mechanism]`` names the reallocation (default RAW); ``[solver]`` holds options
    (validated, kept as ``model.solver_options``).  Errors name the file's fields
    (``model.values[2]``).  Files of continuous chains (``support``, ``kernel``) are read
    by :func:`datamech.models.chain_continuous.read_chain_file`, which :func:`datamech.load`
    uses for kind ``chain``.

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.
    """
    io.check_keys(data, "file", ("model", "mechanism", "solver"), required=("model",))
    m = data["model"]
    io.check_keys(m, "model", _MODEL_KEYS, required=("n", "values"))
    if "transition" in m and "transitions" in m:
        raise ModelError("model.transition", "give transition or transitions, not both")
    if "transition" not in m and "transitions" not in m:
        raise ModelError("model.transition", "is required (or transitions, one matrix per trade)")
    mech = read_mechanism_table(data)
    solver = read_solver_table(data.get("solver"), continuous=False)
    try:
        return create(
            m["n"],
            m["values"],
            m.get("transition"),
            transitions=m.get("transitions"),
            start=m.get("start"),
            start_distribution=m.get("start_distribution"),
            name=m.get("name", ""),
            solver_options=solver,
            **mech,
        )
    except ModelError as exc:
        raise in_file(exc, _MODEL_KEYS) from None


def in_file(exc: ModelError, keys, rename: dict | None = None) -> ModelError:
    """``exc`` with its field named as in the model file (``values[1]`` -> ``model.values[1]``).

    ``keys`` are the ``[model]`` table's keys; ``rename`` maps Python names to file keys.

    >>> in_file(ModelError("start", "is outside"), ["start_value"], {"start": "start_value"})
    ModelError('model.start_value: is outside')
    """
    rename = rename or {}
    base = exc.field.split(".")[0].split("[")[0]
    key = rename.get(base, base)
    if key in keys:
        return ModelError(f"model.{key}{exc.field[len(base) :]}", exc.problem)
    return exc


def to_toml(model: ChainModel) -> dict[str, Any]:
    """The model-file dictionary of a chain model (inverse of :func:`from_toml`).

    References
    ----------
    * "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.
    """
    m: dict[str, Any] = {"kind": "chain", "n": model.n, "values": model.values}
    if model.name:
        m["name"] = model.name
    m["transitions" if model.per_trade else "transition"] = model.transition
    if model.start is not None:
        m["start"] = model.start
    else:
        m["start_distribution"] = model.start_distribution
    out = {"model": m, "mechanism": mechanism_table(model.mechanism, model.reallocation)}
    if model.solver_options:
        out["solver"] = dict(model.solver_options)
    return out


io.register_kind("chain", ChainModel, from_toml, to_toml)
