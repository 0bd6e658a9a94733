"""The resale chain with profit reallocation (seed 000, Sections 2 and 5).

Players 0..n sit on a chain; trade i (i = 1..n) is player i-1 posting a price to player i.
Valuations are Markov on a finite grid W (Assumption 2.1 and 3.4): the law of v_i given
v_{i-1} = w_k is row k of the transition matrix of trade i.  A reallocation matrix t
(n rows for trades 1..n, n+1 columns for players 0..n) gives player j the share t_ij of
the price paid in trade i (Def 2.5 budget feasibility, Def 2.6 past only).

Numbers may be floats or exact rationals (``Fraction``, or strings ``"p/q"`` in model
files).  Arrays given with any rational entry are kept exactly (numpy object arrays);
:meth:`ChainModel.exact` and :meth:`ChainModel.floats` give either view.

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
from ..numeric import exact_array, to_fraction, to_number
from . import io

FLOAT_TOL = 1e-9  # tolerance for float row sums and budget checks

MECHANISMS = ("RAW", "AVE", "TBDS", "matrix")


# ---------------------------------------------------------------------- mechanisms
def raw_matrix(n: int) -> np.ndarray:
    """Baseline mechanism: the seller of trade i keeps its price, t_{i,i-1} = 1."""
    t = np.full((n, n + 1), Fraction(0), dtype=object)
    for i in range(1, n + 1):
        t[i - 1, i - 1] = Fraction(1)
    return t


def ave_matrix(n: int) -> np.ndarray:
    """AVE: the price of trade i is split equally among players 0..i-1, t_ij = 1/i."""
    t = np.full((n, n + 1), Fraction(0), dtype=object)
    for i in range(1, n + 1):
        for j in range(i):
            t[i - 1, j] = Fraction(1, i)
    return t


def tbds_matrix(n: int, alpha: Any) -> np.ndarray:
    """TBDS(alpha): t_ij = (1-alpha) alpha^(i-j-1) for 0 < j < i and t_i0 = alpha^(i-1).

    Exact when ``alpha`` is rational (a Fraction, an int, a decimal float or ``"p/q"``).
    """
    a = read_alpha(alpha)
    t = np.full((n, n + 1), Fraction(0), dtype=object)
    for i in range(1, n + 1):
        t[i - 1, 0] = a ** (i - 1)
        for j in range(1, i):
            t[i - 1, j] = (1 - a) * a ** (i - j - 1)
    return t


def read_alpha(alpha: Any, field_name: str = "mechanism.alpha") -> Fraction:
    """TBDS's alpha as an exact rational in [0, 1]; otherwise ``ModelError(field_name)``."""
    try:
        a = to_fraction(alpha)
    except (TypeError, ValueError, ZeroDivisionError):
        raise ModelError(field_name, f"must be a number in [0, 1], got {alpha!r}") from None
    if not 0 <= a <= 1:
        raise ModelError(field_name, f"must lie in [0, 1], got {alpha!r}")
    return a


def mechanism_matrix(n: int, name: str, alpha: Any = None, matrix: Any = None) -> np.ndarray:
    """The reallocation matrix of a named mechanism (RAW, AVE, TBDS with alpha, or matrix)."""
    if name == "RAW":
        return raw_matrix(n)
    if name == "AVE":
        return ave_matrix(n)
    if name == "TBDS":
        if alpha is None:
            raise ModelError("mechanism.alpha", "TBDS needs alpha")
        return tbds_matrix(n, alpha)
    if name == "matrix":
        if matrix is None:
            raise ModelError("mechanism.matrix", "mechanism 'matrix' needs matrix = [[...]]")
        return _numeric_array(matrix, "mechanism.matrix")
    raise ModelError(
        "mechanism.name", f"unknown mechanism {name!r} (known: {', '.join(MECHANISMS)})"
    )


def named_mechanism(n: Any, name: str, alpha: Any = None, matrix: Any = None):
    """(t, label) for a chain of n trades: the matrix and the dict kept as ``model.mechanism``."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ModelError("n", f"must be an integer at least 1, got {n!r}")
    t = mechanism_matrix(int(n), name, alpha=alpha, matrix=matrix)
    label: dict[str, Any] = {"name": name}
    if name == "TBDS":
        label["alpha"] = alpha
    return t, label


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
        (``transition[i-1]`` for trade i).
    start : int, optional
        0-based grid index of v_0 (a point mass); or give ``start_distribution``.
    start_distribution : array (L,), optional
        Law of v_0 over the grid.
    reallocation : array (n, n+1)
        t; row i-1 is trade i, column j is player j.
    mechanism : dict
        How t was named (``{"name": "AVE"}``, ``{"name": "TBDS", "alpha": 0.5}``,
        ``{"name": "matrix"}``), used for display and for saving.
    """

    n: int
    values: np.ndarray
    transition: np.ndarray
    reallocation: np.ndarray
    start: int | None = None
    start_distribution: np.ndarray | None = None
    mechanism: dict = field(default_factory=lambda: {"name": "matrix"})
    name: str = ""
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = self.n
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise ModelError("n", f"must be an integer, got {n!r}")
        if n < 1:
            raise ModelError("n", f"must be at least 1, got {n}")
        object.__setattr__(self, "n", int(n))
        values = _numeric_array(self.values, "values")
        if values.ndim != 1:
            raise ModelError("values", f"must be a list of numbers, got shape {values.shape}")
        if values.size == 0:
            raise ModelError("values", "the value grid is empty")
        object.__setattr__(self, "values", values)
        L = values.size

        trans = _numeric_array(self.transition, "transition")
        if trans.ndim == 2:
            if trans.shape != (L, L):
                raise ModelError(
                    "transition", f"must be {L} x {L} (L = len(values)), got {trans.shape}"
                )
            _check_stochastic(trans, "transition")
        elif trans.ndim == 3:
            if trans.shape != (n, L, L):
                raise ModelError(
                    "transitions", f"must be {n} matrices of {L} x {L}, got shape {trans.shape}"
                )
            for i in range(n):
                _check_stochastic(trans[i], f"transitions[{i}]")
        else:
            raise ModelError("transition", f"must be an L x L matrix, got shape {trans.shape}")
        object.__setattr__(self, "transition", trans)

        if (self.start is None) == (self.start_distribution is None):
            raise ModelError(
                "start", "give exactly one of start (a grid index) or start_distribution"
            )
        if self.start is not None:
            s = self.start
            if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
                raise ModelError("start", f"must be an integer grid index, got {s!r}")
            if not 0 <= s < L:
                raise ModelError("start", f"index {s} is outside the grid 0..{L - 1}")
            object.__setattr__(self, "start", int(s))
        else:
            sd = _numeric_array(self.start_distribution, "start_distribution")
            if sd.shape != (L,):
                raise ModelError(
                    "start_distribution", f"must have length {L}, got shape {sd.shape}"
                )
            _check_stochastic(sd[None, :], "start_distribution")
            object.__setattr__(self, "start_distribution", sd)

        object.__setattr__(self, "reallocation", validated_reallocation(self.reallocation, n))
        check_mechanism_label(self.mechanism)

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
        """All arrays as float64."""
        if "floats" not in self._cache:
            self._cache["floats"] = {
                "values": np.asarray(self.values, dtype=float),
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
        t = mechanism_matrix(self.n, name, alpha=alpha, matrix=matrix)
        mech = {"name": name} if name != "TBDS" else {"name": name, "alpha": alpha}
        return ChainModel(
            n=self.n,
            values=self.values,
            transition=self.transition,
            reallocation=t,
            start=self.start,
            start_distribution=self.start_distribution,
            mechanism=mech,
            name=self.name,
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
) -> ChainModel:
    """Build a validated :class:`ChainModel` from plain Python data.

    Give one shared ``transition`` (L x L) or ``transitions`` (n matrices), and one of
    ``start`` (grid index) or ``start_distribution``.

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
    )


# ---------------------------------------------------------------------- validation
def _numeric_array(a: Any, field_name: str) -> np.ndarray:
    """A float array, or an object array of Fractions when any entry is rational-exact."""
    if isinstance(a, np.ndarray) and a.dtype != object:
        arr = a.astype(float)
    else:
        try:
            raw = np.asarray(a, dtype=object)
        except ValueError:
            raise ModelError(field_name, "rows have different lengths") from None
        if raw.dtype == object and raw.ndim and any(isinstance(x, (list, tuple)) for x in raw.flat):
            raise ModelError(field_name, "rows have different lengths")
        try:
            entries = [to_number(x) for x in raw.flat]
        except (TypeError, ValueError, ZeroDivisionError) as exc:
            raise ModelError(field_name, f"has an entry that is not a number ({exc})") from None
        # exact when every entry is an integer, or when any entry was written as a rational
        # ("1/3" or a Fraction): then floats next to it are read as the decimals they print as
        written_rational = any(isinstance(x, (str, Fraction)) for x in raw.flat)
        all_exact = all(isinstance(x, Fraction) for x in entries)
        if entries and (all_exact or written_rational):
            finite = [x for x in entries if not isinstance(x, float) or math.isfinite(x)]
            if len(finite) < len(entries):
                raise ModelError(field_name, "has an entry that is not finite")
            arr = np.empty(raw.shape, dtype=object)
            arr.flat[:] = [to_fraction(x) for x in entries]
        else:
            arr = np.array([float(x) for x in entries], dtype=float).reshape(raw.shape)
    if arr.dtype != object and not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ModelError(field_name, f"entry {tuple(int(b) for b in bad)} is not finite")
    return arr


def _check_stochastic(P: np.ndarray, field_name: str) -> None:
    if P.dtype == object:
        neg = [idx for idx, v in np.ndenumerate(P) if v < 0]
        if neg:
            raise ModelError(field_name, f"entry {neg[0]} is negative ({P[neg[0]]})")
        for r in range(P.shape[0]):
            s = sum(P[r], Fraction(0))
            if s != 1:
                raise ModelError(field_name, f"row {r} sums to {s}, not 1")
        return
    if np.any(P < 0):
        bad = tuple(int(b) for b in np.argwhere(P < 0)[0])
        raise ModelError(field_name, f"entry {bad} is negative ({P[bad]})")
    sums = P.sum(axis=1)
    bad_rows = np.flatnonzero(np.abs(sums - 1) > FLOAT_TOL)
    if bad_rows.size:
        r = int(bad_rows[0])
        raise ModelError(field_name, f"row {r} sums to {sums[r]!r}, not 1")


def validated_reallocation(t: Any, n: int) -> np.ndarray:
    """The reallocation matrix as an array of shape (n, n+1), checked (Def 2.5, 2.6)."""
    arr = _numeric_array(t, "mechanism.matrix")
    if arr.shape != (n, n + 1):
        raise ModelError(
            "mechanism.matrix",
            f"must have n = {n} rows and n + 1 = {n + 1} columns, got {arr.shape}",
        )
    check_reallocation(arr)
    return arr


def check_mechanism_label(mechanism: Any) -> None:
    if not isinstance(mechanism, dict) or "name" not in mechanism:
        raise ModelError("mechanism", "must be a dict with a 'name'")


def check_reallocation(t: np.ndarray, field_name: str = "mechanism.matrix") -> None:
    """Nonnegativity, budget feasibility (Def 2.5) and past-only (Def 2.6) of t (n x (n+1))."""
    n = t.shape[0]
    for i in range(1, n + 1):
        row = t[i - 1]
        for j, v in enumerate(row):
            if v < 0:
                raise ModelError(field_name, f"t[{i},{j}] = {v} is negative")
            if j >= i and v != 0:
                raise ModelError(
                    field_name,
                    f"t[{i},{j}] = {v} breaks past-only (Def 2.6): trade {i} may only pay players 0..{i - 1}",
                )
        s = sum(row, Fraction(0)) if t.dtype == object else float(np.sum(row))
        limit = 1 if t.dtype == object else 1 + FLOAT_TOL
        if s > limit:
            raise ModelError(
                field_name,
                f"row of trade {i} sums to {s}, more than 1 (budget feasibility, Def 2.5)",
            )


# ---------------------------------------------------------------------- paper models
def five_neighbour(size: int) -> np.ndarray:
    """The paper's five-neighbour walk on indices 0..size-1, k' ~ U{k-2..k+2} clipped.

    Clipping piles the mass of out-of-range neighbours on the boundary (spec §7: this,
    not renormalizing, reproduces the paper's Model 2).
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
      Readings (``model3=``): ``"signed"`` (default) sign(k) e^(|k|/2);
      ``"alternating"`` (-1)^k e^(k/2); ``"real-part"`` Re((-e)^(k/2)) = cos(pi k/2) e^(k/2).
      None of them reproduces the paper's Table 1 column for Model 3 (RAW SW 2.021,
      TV 0.660).  ``"signed"`` is the default because it comes closest: its RAW TV is
      0.660, but its SW is 3.393 (alternating: 2.135 / 0.250; real-part: 1.250 / 0.250).
    * Model 4: w_k = k/(2n), k = -2n..2n (exact rationals).

    On the grids -2n..2n the walk from w_0 never leaves the grid in n steps; boundary rows
    (reachable only at the last step) are clipped like Model 2 so every row is stochastic.
    """
    if number not in (1, 2, 3, 4):
        raise ModelError("model", f"paper models are 1..4, got {number!r}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ModelError("n", f"must be an integer at least 1, got {n!r}")
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
_MODEL_KEYS = {
    "kind",
    "n",
    "values",
    "transition",
    "transitions",
    "start",
    "start_distribution",
    "name",
}
_MECH_KEYS = {"name", "alpha", "matrix"}
SOLVER_KEYS = {"method", "tie_break", "exact", "tol"}


def from_toml(data: dict[str, Any]) -> ChainModel:
    """Build a chain model from a parsed model file (``[model]``, ``[mechanism]``, ``[solver]``).

    A ``[model]`` table with ``support`` describes continuous values and gives a
    :class:`~datamech.models.chain_continuous.ContinuousChainModel`.

    The ``[solver]`` table is checked here (unknown keys are errors) and kept on the model
    as ``model.solver_options`` for :func:`datamech.solve`.
    """
    io.check_keys(data, "file", {"model", "mechanism", "solver"}, required=("model",))
    m = data["model"]
    if isinstance(m, dict) and "support" in m:  # continuous values: Algorithm 4's model
        from .chain_continuous import from_toml_continuous

        return from_toml_continuous(data)
    io.check_keys(m, "model", _MODEL_KEYS, required=("n", "values"))
    mech = data.get("mechanism", {"name": "RAW"})
    io.check_keys(mech, "mechanism", _MECH_KEYS, required=("name",))
    solver = data.get("solver", {})
    io.check_keys(solver, "solver", SOLVER_KEYS)
    if "transition" in m and "transitions" in m:
        raise ModelError("model.transition", "give transition or transitions, not both")
    if "transition" not in m and "transitions" not in m:
        raise ModelError("model.transition", "is required (or transitions, one matrix per trade)")
    name = mech["name"]
    if not isinstance(name, str):
        raise ModelError("mechanism.name", f"must be a string, got {name!r}")
    if name != "TBDS" and "alpha" in mech:
        raise ModelError("mechanism.alpha", f"only TBDS takes alpha, not {name}")
    if name != "matrix" and "matrix" in mech:
        raise ModelError("mechanism.matrix", f"only mechanism 'matrix' takes a matrix, not {name}")
    model = create(
        m["n"],
        m["values"],
        m.get("transition"),
        transitions=m.get("transitions"),
        start=m.get("start"),
        start_distribution=m.get("start_distribution"),
        mechanism=name,
        alpha=mech.get("alpha"),
        matrix=mech.get("matrix"),
        name=m.get("name", ""),
    )
    model._cache["solver_options"] = dict(solver)
    return model


def to_toml(model: ChainModel) -> dict[str, Any]:
    """The model-file dictionary of a chain model."""
    m: dict[str, Any] = {"kind": "chain", "n": model.n, "values": model.values}
    if model.name:
        m["name"] = model.name
    m["transitions" if model.per_trade else "transition"] = model.transition
    if model.start is not None:
        m["start"] = model.start
    else:
        m["start_distribution"] = model.start_distribution
    mech = dict(model.mechanism)
    if mech["name"] == "matrix":
        mech["matrix"] = model.reallocation
    if mech.get("alpha") is not None and isinstance(mech["alpha"], Fraction):
        mech["alpha"] = mech["alpha"]
    out = {"model": m, "mechanism": mech}
    opts = model._cache.get("solver_options")
    if opts:
        out["solver"] = opts
    return out


io.register_kind("chain", ChainModel, from_toml, to_toml)
