"""Selling information to competing buyers (seed 004, Nouripour 2021, Chs. 2-5).

A monopolist who observes the state theta sells action recommendations to n buyers with
private types v_i (spec §1).  A model is

* a **game**: payoffs pi_i(a; theta) (Assumption 1: u_i = v_i pi_i), given by a preset
  (``competition``: Example 3, Eq. (3.2) as corrected by E1; ``complement-substitute``:
  the §5.1 game) or an explicit table, or (Python only) a general utility
  u_i(a; theta, v);
* a **prior** over the states;
* **type distributions** (one per buyer, independent; laws of
  :mod:`datamech.models.distributions`, model-file tables as there) and the **grid**
  they are discretized on (spec §3.1);
* an **objective** (revenue, welfare, or a linear function of the joint law of
  (theta, v, a) and of the interim payments);
* **constraint switches** (obedience Def 2, truthfulness Def 3, participation Def 4,
  non-negative payments).

Examples
--------
>>> from datamech.models.infosale import create
>>> m = create("competition", alpha=0.5, cells=40)
>>> m.n, m.game.action_counts, m.mu
(2, (2, 2), 0.5)
>>> v, q = m.type_grid(0)
>>> len(v), round(float(q.sum()), 12)
(40, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ModelError
from . import io
from .distributions import Exponential, TypeDistribution, from_table, to_table

PRIOR_TOL = 1e-9
PRESETS = ("competition", "complement-substitute", "table")
SCHEMES = ("left", "condmean")
TAIL_MODES = ("lump", "drop")
OBJECTIVES = ("revenue", "welfare", "expression")
TRUTHFULNESS = ("adjacent", "global", "off")
MAX_BUYERS = 32  # the highest buyer index an objective expression may name


# ---------------------------------------------------------------------- helpers
def _number(x: Any, where: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        if isinstance(x, str):
            try:
                from fractions import Fraction

                return float(Fraction(x.strip()))
            except (ValueError, ZeroDivisionError):
                pass
        raise ModelError(where, f"must be a number, got {x!r}")
    v = float(x)
    if not math.isfinite(v):
        raise ModelError(where, f"must be finite, got {x!r}")
    return v


def _float_array(a: Any, where: str) -> np.ndarray:
    try:
        raw = np.asarray(a, dtype=object)
        if raw.dtype == object and any(isinstance(x, (list, tuple)) for x in raw.flat):
            raise ValueError("ragged")
        flat = [x if not isinstance(x, str) else _number(x, where) for x in raw.flat]
        if any(isinstance(x, bool) for x in flat):
            raise TypeError("booleans")
        arr = np.asarray(flat, dtype=float).reshape(raw.shape)
    except ModelError:
        raise
    except (TypeError, ValueError):
        raise ModelError(where, "must be a (nested) list of numbers of equal lengths") from None
    if not np.all(np.isfinite(arr)):
        raise ModelError(where, "has an entry that is not finite")
    return arr


# ---------------------------------------------------------------------- the game
@dataclass(frozen=True, eq=False)
class Game:
    """A finite game between n buyers: payoffs pi_i(a; theta) of Assumption 1.

    Parameters
    ----------
    payoffs : array, shape (n, |A_1|, ..., |A_n|, |Theta|)
        ``payoffs[i, a_1, ..., a_n, theta]`` is pi_i(a; theta); buyer i's utility is
        v_i * pi_i (Assumption 1).
    preset : {"competition", "complement-substitute", "table"}
        How the table was made (for display and saving).
    alpha, beta : float, optional
        The preset's parameters.
    utility : callable, optional
        A general utility ``utility(i, a, theta, v) -> float`` (a: tuple of actions, v:
        tuple of types) that replaces v_i * pi_i(a; theta) in every constraint and in
        welfare; the payoff table then only fixes the action and state counts.  Not
        saved to model files.

    Examples
    --------
    >>> g = competition_game(0.5)
    >>> float(g.payoff(0, (1, 0), 1)), float(g.payoff(1, (1, 1), 1))
    (1.0, 0.5)
    """

    payoffs: np.ndarray
    preset: str = "table"
    alpha: float | None = None
    beta: float | None = None
    utility: Callable[..., float] | None = None

    def __post_init__(self) -> None:
        p = _float_array(self.payoffs, "game.payoffs")
        if p.ndim < 3:
            raise ModelError(
                "game.payoffs",
                f"must have shape (n, |A_1|, ..., |A_n|, |Theta|), got shape {p.shape}",
            )
        n = p.ndim - 2
        if p.shape[0] != n:
            raise ModelError(
                "game.payoffs",
                f"shape {p.shape} has {n} action axes, so its first axis (buyers) must be "
                f"{n}, not {p.shape[0]}",
            )
        if any(s < 1 for s in p.shape):
            raise ModelError("game.payoffs", f"has an empty axis (shape {p.shape})")
        if p.shape[-1] < 1:
            raise ModelError("game.payoffs", "needs at least one state")
        if self.preset not in PRESETS:
            raise ModelError(
                "game.preset", f"unknown preset {self.preset!r} (known: {', '.join(PRESETS)})"
            )
        if self.utility is not None and not callable(self.utility):
            raise ModelError("game.utility", "must be callable utility(i, a, theta, v)")
        object.__setattr__(self, "payoffs", p)

    @property
    def n(self) -> int:
        """Number of buyers."""
        return self.payoffs.shape[0]

    @property
    def action_counts(self) -> tuple[int, ...]:
        """|A_i| for each buyer."""
        return tuple(int(s) for s in self.payoffs.shape[1:-1])

    @property
    def n_states(self) -> int:
        """|Theta|."""
        return int(self.payoffs.shape[-1])

    @property
    def linear(self) -> bool:
        """True under Assumption 1 (no general utility was given)."""
        return self.utility is None

    def payoff(self, i: int, a: Sequence[int], theta: int) -> float:
        """pi_i(a; theta)."""
        return float(self.payoffs[(i, *tuple(a), theta)])

    def is_competitive(self, tol: float = 1e-12) -> bool:
        """Assumption 2: a move that weakly helps i weakly hurts every opponent j.

        >>> competition_game(0.5).is_competitive()
        True
        """
        p = self.payoffs
        n = self.n
        for i in range(n):
            for idx in np.ndindex(*p.shape[1:]):
                a, theta = idx[:-1], idx[-1]
                for alt in range(self.action_counts[i]):
                    b = list(a)
                    b[i] = alt
                    if p[(i, *a, theta)] >= p[(i, *b, theta)] - tol:
                        for j in range(n):
                            if j != i and p[(j, *a, theta)] > p[(j, *b, theta)] + tol:
                                return False
        return True

    def as_binary_competition(self) -> tuple[Game, float, float]:
        """For the §5.1 game with alpha = beta: (Example 3 game, scale, shift).

        pi_new = scale * pi_old + shift with alpha_old = (1 - alpha)/alpha, scale = alpha,
        shift = 1 - alpha (Remark of §5.1; spec §4.1 item 3).

        >>> g, scale, shift = complement_substitute_game(0.7, 0.7).as_binary_competition()
        >>> round(g.alpha, 12), scale, round(shift, 12)
        (0.428571428571, 0.7, 0.3)
        """
        if self.preset != "complement-substitute" or self.alpha != self.beta:
            raise ModelError(
                "game", "only the complement-substitute game with alpha = beta maps to Example 3"
            )
        a = float(self.alpha)
        if not 0.5 <= a <= 1:
            raise ModelError("game.alpha", f"alpha_old = (1 - alpha)/alpha leaves [0, 1] for {a}")
        return competition_game((1 - a) / a), a, 1 - a


def competition_game(alpha: float) -> Game:
    """Example 3 (Eq. (3.2), corrected by E1): pi_i = 1{a_i = theta} - alpha 1{a_j = theta}.

    Parameters
    ----------
    alpha : float in [0, 1]
        Intensity of competition; 1 is the zero-sum two-location Hotelling game.

    Examples
    --------
    >>> g = competition_game(1.0)
    >>> g.payoffs[:, 0, 0, 0].tolist()   # both right in state 0
    [0.0, 0.0]
    """
    a = _number(alpha, "game.alpha")
    if not 0 <= a <= 1:
        raise ModelError("game.alpha", f"must lie in [0, 1], got {alpha!r}")
    p = np.zeros((2, 2, 2, 2))
    for a1, a2, th in np.ndindex(2, 2, 2):
        x, y = float(a1 == th), float(a2 == th)
        p[0, a1, a2, th] = x - a * y
        p[1, a1, a2, th] = y - a * x
    return Game(p, preset="competition", alpha=a)


def complement_substitute_game(alpha: float, beta: float) -> Game:
    """The §5.1 game: payoffs (alpha, alpha), (1, 0), (0, 1), (1-beta, 1-beta).

    Closed form (spec §1.4 [D]): pi_i = (1-beta) + beta x - (1-beta) y + (alpha-beta) x y
    with x = 1{a_i = theta}, y = 1{a_j = theta}; needs 0 <= alpha, beta <= 1 and
    alpha >= 1 - beta.

    >>> g = complement_substitute_game(0.7, 0.6)
    >>> [round(float(g.payoffs[0, a1, a2, 0]), 12) for a1 in (0, 1) for a2 in (0, 1)]
    [0.7, 1.0, 0.0, 0.4]
    """
    a = _number(alpha, "game.alpha")
    b = _number(beta, "game.beta")
    if not 0 <= a <= 1:
        raise ModelError("game.alpha", f"must lie in [0, 1], got {alpha!r}")
    if not 0 <= b <= 1:
        raise ModelError("game.beta", f"must lie in [0, 1], got {beta!r}")
    if a < 1 - b - 1e-12:
        raise ModelError("game.beta", f"needs alpha >= 1 - beta (§5.1), got {a} < 1 - {b}")
    p = np.zeros((2, 2, 2, 2))
    for a1, a2, th in np.ndindex(2, 2, 2):
        x, y = float(a1 == th), float(a2 == th)
        p[0, a1, a2, th] = (1 - b) + b * x - (1 - b) * y + (a - b) * x * y
        p[1, a1, a2, th] = (1 - b) + b * y - (1 - b) * x + (a - b) * x * y
    return Game(p, preset="complement-substitute", alpha=a, beta=b)


# ---------------------------------------------------------------------- type grids
@dataclass(frozen=True)
class Grid:
    """How continuous type laws are discretized (spec §3.1).

    Parameters
    ----------
    cells : int
        m, the number of type cells per buyer.
    scheme : {"left", "condmean"}
        Cell value: lower edge or conditional mean.
    tail : float
        Upper tail mass cut off unbounded supports (upper = F^{-1}(1 - tail)).
    tail_mode : {"lump", "drop"}
        Add the cut tail to the last cell, or drop it and renormalize.
    upper : float, optional
        Explicit upper end for unbounded supports (overrides ``tail``).
    """

    cells: int = 80
    scheme: str = "left"
    tail: float = 1e-3
    tail_mode: str = "lump"
    upper: float | None = None

    def __post_init__(self) -> None:
        c = self.cells
        if isinstance(c, bool) or not isinstance(c, (int, np.integer)):
            raise ModelError("grid.cells", f"must be an integer, got {c!r}")
        if c < 1:
            raise ModelError("grid.cells", f"the type grid is empty (cells = {c})")
        object.__setattr__(self, "cells", int(c))
        if self.scheme not in SCHEMES:
            raise ModelError(
                "grid.scheme", f"unknown scheme {self.scheme!r} (known: {', '.join(SCHEMES)})"
            )
        if self.tail_mode not in TAIL_MODES:
            raise ModelError(
                "grid.tail_mode",
                f"unknown mode {self.tail_mode!r} (known: {', '.join(TAIL_MODES)})",
            )
        t = _number(self.tail, "grid.tail")
        if not 0 < t < 1:
            raise ModelError("grid.tail", f"must lie in (0, 1), got {self.tail!r}")
        object.__setattr__(self, "tail", t)
        if self.upper is not None:
            object.__setattr__(self, "upper", _number(self.upper, "grid.upper"))


def discretize(dist: TypeDistribution, grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """Type cells (values, probabilities) of a type law on ``grid`` (spec §3.1).

    Equal-width cells on [v_lower, upper], where upper is v_upper when finite, else
    ``grid.upper`` or F^{-1}(1 - grid.tail).  The tail mass beyond ``upper`` is added to
    the last cell (``tail_mode = "lump"``) or dropped and the rest renormalized
    (``"drop"``, the truncation used for the spec's m = 40 values of §3.3).
    ``scheme = "left"`` puts each cell at its lower edge (keeps v_lower exact; best for
    revenue), ``"condmean"`` at E[V | cell] (best for welfare).  A discrete law is its
    own grid.

    >>> from datamech.models.distributions import Exponential
    >>> v, q = discretize(Exponential(1.0), Grid(cells=4, upper=2.0))
    >>> v.tolist(), round(float(q.sum()), 12)
    ([0.0, 0.5, 1.0, 1.5], 1.0)
    """
    if dist.discrete:
        return np.asarray(dist.values, dtype=float), np.asarray(dist.probs, dtype=float)
    lo, top = (float(x) for x in dist.support)
    hi = top
    if not math.isfinite(hi):
        hi = grid.upper if grid.upper is not None else float(dist.quantile(1 - grid.tail))
    if hi <= lo:
        raise ModelError("grid.upper", f"must exceed the bottom of the support {lo}")
    m = grid.cells
    edges = np.linspace(lo, hi, m + 1)
    cdf = np.array(dist.cdf(edges), dtype=float)
    if grid.tail_mode == "lump":
        cdf[-1] = 1.0
    q = np.diff(cdf)
    if np.any(q <= 0):
        raise ModelError("grid.cells", "some cells carry no probability; use fewer cells")
    if grid.scheme == "left":
        v = edges[:-1].copy()
    else:
        tops = edges[1:].copy()
        if grid.tail_mode == "lump":
            tops[-1] = top
        v = np.asarray(dist.partial_mean(edges[:-1], tops), dtype=float) / q
    if grid.tail_mode == "drop":
        q = q / q.sum()
    return v, q


# ---------------------------------------------------------------------- objective
@dataclass(frozen=True, eq=False)
class Objective:
    """What the seller maximizes; always linear in (sigma, interim payments).

    Parameters
    ----------
    kind : {"revenue", "welfare", "expression"}
        ``revenue`` is E[sum_i p_i] (§4.3); ``welfare`` is E[sum_i u_i(A; theta, V)]
        (§4.2; payments are transfers, E25); ``expression`` is
        E[g(theta, V, A)] + sum_i c_i E[p_i] with g given by ``expression`` (a sympy
        string in ``theta``, ``a1..an``, ``v1..vn`` and the interim payments
        ``p1..pn``) or by ``function(a, theta, v) -> float`` (Python only).
    payment_weights : sequence of float, optional
        c_i for ``function`` objectives.

    Objectives that are not linear in the decision variables (powers or products of
    payments, or payments times data) raise ``ModelError``.

    Examples
    --------
    >>> Objective("expression", expression="v1*KroneckerDelta(a1, theta) + p1").kind
    'expression'
    >>> Objective("expression", expression="p1**2")
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: objective.expression: 'p1**2' is not linear in the decision variables (payments p1..pn): p1**2
    """

    kind: str = "revenue"
    expression: str | None = None
    function: Callable[..., float] | None = None
    payment_weights: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.kind not in OBJECTIVES:
            raise ModelError(
                "objective.kind",
                f"unknown objective {self.kind!r} (known: {', '.join(OBJECTIVES)}); "
                "objectives must be linear in the law of (theta, v, a) and the payments",
            )
        if self.kind != "expression":
            if self.expression is not None or self.function is not None:
                raise ModelError("objective.expression", f"kind {self.kind!r} takes no expression")
            return
        if (self.expression is None) == (self.function is None):
            raise ModelError("objective.expression", "give exactly one of expression or function")
        if self.expression is not None:
            parse_expression(self.expression, n=None)
        if self.payment_weights is not None:
            w = tuple(_number(x, "objective.payment_weights") for x in self.payment_weights)
            object.__setattr__(self, "payment_weights", w)


def parse_expression(expr: str, n: int | None) -> tuple[Callable[..., Any], list[float]]:
    """Split an objective expression into g(theta, a, v) and payment weights c_i.

    The text is read by the whitelisting parser (:mod:`datamech.expressions`): nothing
    in it runs.  Returns a vectorized function ``g(theta, a_tuple, v_tuple)`` and the
    list of c_i (length n, or as many as the highest ``p`` index when n is None).
    """
    import sympy as sp

    from ..expressions import indexed_names, linear_split
    from ..expressions import parse_expression as parse

    field = "objective.expression"
    top_n = n if n is not None else MAX_BUYERS
    data_names = indexed_names("a", "v", upto=top_n)
    pay_names = indexed_names("p", upto=top_n)
    e = parse(
        expr,
        field=field,
        names=lambda k: k == "theta" or data_names(k) or pay_names(k),
        describe_names=f"theta, a1..a{top_n}, v1..v{top_n} and payments p1..p{top_n}",
    )
    names = {s.name: s for s in e.free_symbols}
    pay = sorted((s for k, s in names.items() if pay_names(k)), key=lambda s: int(s.name[1:]))
    idx = [int(k[1:]) for k in names if k != "theta"]
    n_eff = n if n is not None else max(idx + [1])
    coef, rest = linear_split(e, pay, field=field, text=expr)
    weights = [0.0] * n_eff
    for s, c in coef.items():
        if c.free_symbols:
            raise ModelError(
                field,
                f"{expr!r} is not linear in the decision variables: the coefficient of "
                f"{s} depends on {sorted(map(str, c.free_symbols))[0]}",
            )
        weights[int(s.name[1:]) - 1] = float(c)
    th = sp.Symbol("theta")
    a_syms = [names.get(f"a{i}", sp.Symbol(f"a{i}")) for i in range(1, n_eff + 1)]
    v_syms = [names.get(f"v{i}", sp.Symbol(f"v{i}")) for i in range(1, n_eff + 1)]
    th = names.get("theta", th)
    # KroneckerDelta prints as a scalar if-expression; map it to a vectorized equality
    rest = rest.replace(sp.KroneckerDelta, sp.Function("_eq"))
    eq = {"_eq": lambda x, y: (np.asarray(x) == np.asarray(y)).astype(float)}
    f = sp.lambdify((th, a_syms, v_syms), rest, modules=[eq, "numpy"])

    def g(theta, a, v):
        with np.errstate(all="ignore"):
            out = np.asarray(f(theta, list(a), list(v)), dtype=float)
        return np.broadcast_to(out, np.shape(theta))

    return g, weights


# ---------------------------------------------------------------------- constraints
@dataclass(frozen=True)
class Constraints:
    """Constraint switches of the general LP (spec §3.2).

    Parameters
    ----------
    obedience : bool
        Def 2 (in pi-form under Assumption 1, E6).
    truthfulness : {"adjacent", "global", "off"}
        Def 3 on interim payments; ``adjacent`` (k' = k +- 1) is exact under
        Assumption 1 (single crossing); general utilities use ``global``.
    participation : bool
        Def 4: u~_i(v) >= v K_i with K_i the worst-case outside option (its own LP).
    nonnegative_payments : bool
        p_i >= 0 (Ch. 2).
    outside_option : float, optional
        Replace the worst-case K_i by this number (a fixed outside option).
    """

    obedience: bool = True
    truthfulness: str = "adjacent"
    participation: bool = True
    nonnegative_payments: bool = True
    outside_option: float | None = None

    def __post_init__(self) -> None:
        for name in ("obedience", "participation", "nonnegative_payments"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ModelError(f"constraints.{name}", "must be true or false")
        t = self.truthfulness
        if t is True:
            t = "adjacent"
        elif t is False:
            t = "off"
        if t not in TRUTHFULNESS:
            raise ModelError(
                "constraints.truthfulness",
                f"must be one of {', '.join(TRUTHFULNESS)} (or true/false), got {t!r}",
            )
        object.__setattr__(self, "truthfulness", t)
        if self.outside_option is not None:
            object.__setattr__(
                self,
                "outside_option",
                _number(self.outside_option, "constraints.outside_option"),
            )


# ---------------------------------------------------------------------- the model
@dataclass(frozen=True, eq=False)
class InfoSaleModel:
    """A data seller's problem: game, prior, types, grid, objective and constraints.

    Examples
    --------
    >>> m = create("complement-substitute", alpha=0.7, beta=0.6, cells=8)
    >>> m.game.preset, m.prior.tolist()
    ('complement-substitute', [0.5, 0.5])
    """

    game: Game
    prior: np.ndarray
    types: tuple[TypeDistribution, ...]
    grid: Grid = field(default_factory=Grid)
    objective: Objective = field(default_factory=Objective)
    constraints: Constraints = field(default_factory=Constraints)
    name: str = ""
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.game, Game):
            raise ModelError("game", f"must be a Game, got {type(self.game).__name__}")
        p = _float_array(self.prior, "prior")
        S = self.game.n_states
        if p.ndim != 1 or p.size != S:
            raise ModelError("prior", f"must list {S} state probabilities, got shape {p.shape}")
        if np.any(p < 0):
            raise ModelError("prior", f"has a negative probability ({p.min()})")
        if abs(p.sum() - 1) > PRIOR_TOL:
            raise ModelError("prior", f"sums to {p.sum()!r}, not 1")
        object.__setattr__(self, "prior", p)
        types = self.types
        if isinstance(types, TypeDistribution):
            types = (types,) * self.game.n
        types = tuple(types)
        if len(types) == 1 and self.game.n > 1:
            types = types * self.game.n
        if len(types) != self.game.n:
            raise ModelError(
                "buyers", f"the game has {self.game.n} buyers but {len(types)} type laws"
            )
        for t in types:
            if not isinstance(t, TypeDistribution):
                raise ModelError("buyers", f"must be TypeDistribution objects, got {t!r}")
        object.__setattr__(self, "types", types)
        for name, typ in (("grid", Grid), ("objective", Objective), ("constraints", Constraints)):
            if not isinstance(getattr(self, name), typ):
                raise ModelError(name, f"must be a {typ.__name__}")
        if self.objective.kind == "expression" and self.objective.expression is not None:
            parse_expression(self.objective.expression, self.game.n)

    @property
    def n(self) -> int:
        """Number of buyers."""
        return self.game.n

    @property
    def mu(self) -> float:
        """mu = max_theta P[theta] (§2)."""
        return float(self.prior.max())

    def type_grid(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """(values, probabilities) of buyer i's type cells."""
        key = ("grid", i)
        if key not in self._cache:
            self._cache[key] = discretize(self.types[i], self.grid)
        v, q = self._cache[key]
        return v.copy(), q.copy()

    def replace(self, **changes: Any) -> InfoSaleModel:
        """A copy with some fields replaced (validated again)."""
        kw = {
            k: getattr(self, k)
            for k in ("game", "prior", "types", "grid", "objective", "constraints", "name")
        }
        kw.update(changes)
        return InfoSaleModel(**kw)


def create(
    preset: str = "competition",
    *,
    alpha: float | None = None,
    beta: float | None = None,
    payoffs: Any = None,
    prior: Sequence[float] = (0.5, 0.5),
    buyers: TypeDistribution | Sequence[TypeDistribution] | None = None,
    cells: int = 80,
    scheme: str = "left",
    tail: float = 1e-3,
    tail_mode: str = "lump",
    upper: float | None = None,
    objective: str | Objective = "revenue",
    obedience: bool = True,
    truthfulness: str | bool = "adjacent",
    participation: bool = True,
    nonnegative_payments: bool = True,
    outside_option: float | None = None,
    name: str = "",
) -> InfoSaleModel:
    """Build a validated :class:`InfoSaleModel` from plain Python data.

    Default types are i.i.d. Exp(1) (Figs 4-2/4-3), default prior is equal (mu = 1/2).

    >>> m = create("competition", alpha=0.25, objective="welfare", scheme="condmean")
    >>> m.objective.kind, m.grid.scheme, m.game.alpha
    ('welfare', 'condmean', 0.25)
    """
    if preset == "competition":
        if alpha is None:
            raise ModelError("game.alpha", "the competition preset needs alpha")
        if beta is not None or payoffs is not None:
            raise ModelError("game", "the competition preset takes only alpha")
        game = competition_game(alpha)
    elif preset == "complement-substitute":
        if alpha is None or beta is None:
            raise ModelError("game.beta", "the complement-substitute preset needs alpha and beta")
        if payoffs is not None:
            raise ModelError("game.payoffs", "a preset takes no payoff table")
        game = complement_substitute_game(alpha, beta)
    elif preset == "table":
        if payoffs is None:
            raise ModelError("game.payoffs", "preset 'table' needs a payoff table")
        game = Game(payoffs)
    else:
        raise ModelError("game.preset", f"unknown preset {preset!r} (known: {', '.join(PRESETS)})")
    if buyers is None:
        buyers = Exponential(1.0)
    obj = objective if isinstance(objective, Objective) else Objective(objective)
    return InfoSaleModel(
        game=game,
        prior=np.asarray(prior, dtype=float) if not isinstance(prior, np.ndarray) else prior,
        types=buyers,
        grid=Grid(cells=cells, scheme=scheme, tail=tail, tail_mode=tail_mode, upper=upper),
        objective=obj,
        constraints=Constraints(
            obedience=obedience,
            truthfulness=truthfulness,
            participation=participation,
            nonnegative_payments=nonnegative_payments,
            outside_option=outside_option,
        ),
        name=name,
    )


# ---------------------------------------------------------------------- model files
_FILE_KEYS = {"model", "game", "buyer", "buyers", "grid", "objective", "constraints", "solver"}
_MODEL_KEYS = {"kind", "name", "prior", "objective"}
_GAME_KEYS = {"preset", "alpha", "beta", "payoffs"}
_GRID_KEYS = {"cells", "scheme", "tail", "tail_mode", "upper"}
_OBJ_KEYS = {"kind", "expression"}
_CONS_KEYS = {
    "obedience",
    "truthfulness",
    "participation",
    "nonnegative_payments",
    "outside_option",
}
SOLVER_KEYS = {"method", "backend", "time_limit"}


def from_toml(data: dict[str, Any]) -> InfoSaleModel:
    """Build a model from a parsed ``kind = "infosale"`` model file.

    Tables: ``[model]`` (kind, name, prior, objective as a string), ``[game]`` (preset,
    alpha, beta, payoffs), ``[buyer]`` (shared) or ``[[buyers]]`` (one per buyer),
    ``[grid]``, ``[objective]`` (kind, expression), ``[constraints]`` and ``[solver]``
    (method, backend, time_limit; kept as ``model._cache["solver_options"]``).
    """
    io.check_keys(data, "file", _FILE_KEYS, required=("model", "game"))
    m = data["model"]
    io.check_keys(m, "model", _MODEL_KEYS, required=("kind",))
    g = data["game"]
    io.check_keys(g, "game", _GAME_KEYS, required=("preset",))
    if "buyer" in data and "buyers" in data:
        raise ModelError("buyers", "give [buyer] (shared) or [[buyers]], not both")
    if "buyers" in data:
        if not isinstance(data["buyers"], list) or not data["buyers"]:
            raise ModelError("buyers", "must be a non-empty array of tables [[buyers]]")
        buyers: Any = [from_table(b, f"buyers[{k}]") for k, b in enumerate(data["buyers"])]
    elif "buyer" in data:
        buyers = from_table(data["buyer"], "buyer")
    else:
        raise ModelError("buyer", "is required: the buyers' type distribution")
    grid = data.get("grid", {})
    io.check_keys(grid, "grid", _GRID_KEYS)
    cons = data.get("constraints", {})
    io.check_keys(cons, "constraints", _CONS_KEYS)
    solver = data.get("solver", {})
    io.check_keys(solver, "solver", SOLVER_KEYS)
    if "objective" in m and "objective" in data:
        raise ModelError("objective", "give model.objective or an [objective] table, not both")
    if "objective" in data:
        o = data["objective"]
        io.check_keys(o, "objective", _OBJ_KEYS, required=("kind",))
        objective = Objective(o["kind"], expression=o.get("expression"))
    else:
        kind = m.get("objective", "revenue")
        if not isinstance(kind, str):
            raise ModelError("model.objective", f"must be a string, got {kind!r}")
        objective = Objective(kind)
    preset = g["preset"]
    if "prior" not in m:
        raise ModelError("model.prior", "is required (state probabilities)")
    model = create(
        preset,
        alpha=g.get("alpha"),
        beta=g.get("beta"),
        payoffs=g.get("payoffs"),
        prior=_float_array(m["prior"], "prior"),
        buyers=buyers,
        objective=objective,
        name=m.get("name", ""),
        **{k: grid[k] for k in grid},
        **{k: cons[k] for k in cons},
    )
    model._cache["solver_options"] = dict(solver)
    return model


def to_toml(model: InfoSaleModel) -> dict[str, Any]:
    """The model-file dictionary of an infosale model (inverse of :func:`from_toml`)."""
    if model.game.utility is not None or model.objective.function is not None:
        raise ModelError("model", "Python-callable utilities or objectives cannot be saved")
    m: dict[str, Any] = {"kind": "infosale"}
    if model.name:
        m["name"] = model.name
    m["prior"] = model.prior.tolist()
    g = model.game
    game: dict[str, Any] = {"preset": g.preset}
    if g.preset == "table":
        game["payoffs"] = g.payoffs.tolist()
    else:
        game["alpha"] = g.alpha
        if g.preset == "complement-substitute":
            game["beta"] = g.beta
    out: dict[str, Any] = {"model": m, "game": game}
    buyers = [to_table(t) for t in model.types]
    if all(b == buyers[0] for b in buyers):
        out["buyer"] = buyers[0]
    else:
        out["buyers"] = buyers
    gr = model.grid
    grid = {"cells": gr.cells, "scheme": gr.scheme, "tail": gr.tail, "tail_mode": gr.tail_mode}
    if gr.upper is not None:
        grid["upper"] = gr.upper
    out["grid"] = grid
    obj: dict[str, Any] = {"kind": model.objective.kind}
    if model.objective.expression is not None:
        obj["expression"] = model.objective.expression
    out["objective"] = obj
    c = model.constraints
    cons: dict[str, Any] = {
        "obedience": c.obedience,
        "truthfulness": c.truthfulness,
        "participation": c.participation,
        "nonnegative_payments": c.nonnegative_payments,
    }
    if c.outside_option is not None:
        cons["outside_option"] = c.outside_option
    out["constraints"] = cons
    opts = model._cache.get("solver_options")
    if opts:
        out["solver"] = dict(opts)
    return out


io.register_kind("infosale", InfoSaleModel, from_toml, to_toml)
