"""The infosale model: game, prior, type laws, grid, objective and constraints (spec §1)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...errors import ModelError
from ...numeric import fmt, read_array
from ..distributions import Exponential, TypeDistribution
from ..io import check_choice, check_name
from .game import PRESETS, Game, competition_game, complement_substitute_game
from .grid import Grid, discretize
from .objective import Constraints, Objective, parse_expression

PRIOR_TOL = 1e-9


@dataclass(frozen=True, eq=False)
class InfoSaleModel:
    """A data seller's problem: game, prior, types, grid, objective and constraints.

    Parameters
    ----------
    game : Game
    prior : array of ``|Theta|`` probabilities
        Numbers or ``"p/q"`` strings, summing to 1.
    types : TypeDistribution or sequence of them
        One law per buyer (one law is shared by all).
    grid, objective, constraints
        See :class:`Grid`, :class:`Objective`, :class:`Constraints`.
    name : str
    solver_options : dict
        The model file's ``[solver]`` table (validated against
        :data:`datamech.solvers.infosale.OPTIONS`); :func:`datamech.solve` applies it
        before its keywords, :func:`datamech.save` writes it back.

    References
    ----------
    - A. Nouripour, "Selling Information in Competitive Environments", S.M. thesis, Department of
      Electrical Engineering and Computer Science, Massachusetts Institute of Technology, Cambridge,
      MA, September 2021.

    Examples
    --------
    >>> m = create("complement-substitute", alpha=0.7, beta=0.6, cells=8)
    >>> m.game.preset, m.prior.tolist(), m.scheme
    ('complement-substitute', [0.5, 0.5], 'left')
    """

    game: Game
    prior: np.ndarray
    types: tuple[TypeDistribution, ...]
    grid: Grid = field(default_factory=Grid)
    objective: Objective = field(default_factory=Objective)
    constraints: Constraints = field(default_factory=Constraints)
    name: str = ""
    solver_options: dict = field(default_factory=dict, compare=False)
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.game, Game):
            raise ModelError("game", f"must be a Game, got {type(self.game).__name__}")
        check_name(self.name, "model.name", required=False)
        p = read_array(self.prior, "prior", exact=False)
        S = self.game.n_states
        if p.ndim != 1 or p.size != S:
            raise ModelError("prior", f"must list {S} state probabilities, got shape {p.shape}")
        if np.any(p < 0):
            k = int(np.argmin(p))
            raise ModelError("prior", f"has a negative probability ({fmt(p[k])}, entry {k})")
        if abs(p.sum() - 1) > PRIOR_TOL:
            raise ModelError("prior", f"sums to {fmt(float(p.sum()))}, not 1")
        object.__setattr__(self, "prior", p)
        types = self.types
        if isinstance(types, TypeDistribution):
            types = (types,) * self.game.n
        if not isinstance(types, (list, tuple)):
            raise ModelError("buyers", f"must be type laws, got {type(types).__name__}")
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
        if not isinstance(self.solver_options, dict):
            raise ModelError("solver", "must be a table of options")
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

    @property
    def scheme(self) -> str:
        """The grid scheme in force: ``grid.scheme``, with ``auto`` resolved per objective.

        ``left`` for revenue (and expressions of the payments alone), ``condmean``
        otherwise: the scheme whose error is O(1/m^2) for that objective (spec §3.1,
        :mod:`datamech.models.infosale.grid`).
        """
        if self.grid.scheme != "auto":
            return self.grid.scheme
        return "left" if self.objective.payments_only else "condmean"

    def cell_counts(self) -> tuple[int, ...]:
        """m_i, the number of type cells of each buyer (nothing is allocated)."""
        return tuple(len(t.values) if t.discrete else self.grid.cells for t in self.types)

    def type_grid(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """(values, probabilities) of buyer i's type cells (spec §3.1)."""
        key = ("grid", i)
        if key not in self._cache:
            self._cache[key] = discretize(self.types[i], self.grid, self.scheme)
        v, q = self._cache[key]
        return v.copy(), q.copy()

    def replace(self, **changes: Any) -> InfoSaleModel:
        """A copy with some fields replaced (validated again)."""
        kw = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.init}
        kw.pop("_cache")
        kw["solver_options"] = dict(self.solver_options)
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
    scheme: str = "auto",
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
    solver_options: dict | None = None,
) -> InfoSaleModel:
    """Build a validated :class:`InfoSaleModel` from plain Python data.

    Default types are i.i.d. Exp(1) (Figs 4-2/4-3), default prior is equal (mu = 1/2),
    default grid 80 cells with the scheme chosen per objective (``auto``).

    References
    ----------
    - A. Nouripour, "Selling Information in Competitive Environments", S.M. thesis, Department of
      Electrical Engineering and Computer Science, Massachusetts Institute of Technology, Cambridge,
      MA, September 2021.

    Examples
    --------
    >>> m = create("competition", alpha=0.25, objective="welfare")
    >>> m.objective.kind, m.grid.scheme, m.scheme, m.game.alpha
    ('welfare', 'auto', 'condmean', 0.25)
    """
    check_choice(preset, "game.preset", PRESETS)
    if preset == "competition":
        if alpha is None:
            raise ModelError("game.alpha", "the competition preset needs alpha")
        if beta is not None or payoffs is not None:
            raise ModelError("game", "the competition preset takes only alpha")
        game = competition_game(alpha)
    elif preset == "complement-substitute":
        missing = [k for k, v in (("alpha", alpha), ("beta", beta)) if v is None]
        if missing:
            raise ModelError(
                f"game.{missing[-1]}",
                f"the complement-substitute preset needs alpha and beta (missing "
                f"{', '.join(missing)})",
            )
        if payoffs is not None:
            raise ModelError("game.payoffs", "a preset takes no payoff table")
        game = complement_substitute_game(alpha, beta)
    else:
        if payoffs is None:
            raise ModelError("game.payoffs", "preset 'table' needs a payoff table")
        if alpha is not None or beta is not None:
            raise ModelError("game", "preset 'table' takes no alpha or beta")
        game = Game(payoffs)
    if buyers is None:
        buyers = Exponential(1.0)
    obj = objective if isinstance(objective, Objective) else Objective(objective)
    return InfoSaleModel(
        game=game,
        prior=prior,
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
        solver_options=dict(solver_options or {}),
    )
