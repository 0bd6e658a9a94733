"""The game of an infosale model: payoffs pi_i(a; theta) of Assumption 1 (spec §1.4).

Presets: ``competition`` (Example 3, Eq. (3.2) as corrected by E1) and
``complement-substitute`` (the §5.1 game), or an explicit payoff table.

Payoff entries (and type values, grid ends, outside options) are limited to
``|x| <= MAX_MAGNITUDE`` (1e6): beyond that the LP's coefficients leave the range in
which HiGHS's absolute tolerances (1e-7) mean anything.  Rescale the units instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import ModelError
from ...numeric import fmt, read_array, read_number
from ..io import check_choice

PRESETS = ("competition", "complement-substitute", "table")
#: The largest |payoff|, |type value|, |grid.upper| and |outside option| accepted.
MAX_MAGNITUDE = 1e6


def read_unit(x: Any, field: str) -> float:
    """A game parameter in [0, 1] (``alpha``, ``beta``) as a float; ModelError otherwise.

    >>> read_unit("1/4", "game.alpha")
    0.25
    >>> read_unit(1.5, "game.alpha")
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: game.alpha: must lie in [0, 1], got 1.5
    """
    v = float(read_number(x, field, exact=False))
    if not 0 <= v <= 1:
        raise ModelError(field, f"must lie in [0, 1], got {fmt(v)}")
    return v


@dataclass(frozen=True, eq=False)
class Game:
    """A finite game between n buyers: payoffs pi_i(a; theta) of Assumption 1.

    Parameters
    ----------
    payoffs : array, shape ``(n, |A_1|, ..., |A_n|, |Theta|)``
        ``payoffs[i, a_1, ..., a_n, theta]`` is pi_i(a; theta); buyer i's utility is
        v_i * pi_i (Assumption 1).  Entries: numbers (``"p/q"`` strings too) with
        ``|x| <= 1e6``.
    preset : {"competition", "complement-substitute", "table"}
        How the table was made (for display and saving).
    alpha, beta : float, optional
        The preset's parameters.
    utility : callable, optional
        A general utility ``utility(i, a, theta, v) -> float`` (a: tuple of actions, v:
        tuple of types) that replaces v_i * pi_i(a; theta) in every constraint and in
        welfare; the payoff table then only fixes the action and state counts.  Not
        saved to model files.

    References
    ----------
    - A. Nouripour, "Selling Information in Competitive Environments", S.M. thesis, Department of
      Electrical Engineering and Computer Science, Massachusetts Institute of Technology, Cambridge,
      MA, September 2021.

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
        p = read_array(
            self.payoffs,
            "game.payoffs",
            exact=False,
            low=-MAX_MAGNITUDE,
            high=MAX_MAGNITUDE,
            nonempty=False,
        )
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
        check_choice(self.preset, "game.preset", PRESETS)
        if self.utility is not None and not callable(self.utility):
            raise ModelError("game.utility", "must be callable utility(i, a, theta, v)")
        object.__setattr__(self, "payoffs", p)

    @property
    def n(self) -> int:
        """Number of buyers."""
        return self.payoffs.shape[0]

    @property
    def action_counts(self) -> tuple[int, ...]:
        """``|A_i|`` for each buyer."""
        return tuple(int(s) for s in self.payoffs.shape[1:-1])

    @property
    def n_states(self) -> int:
        """``|Theta|``."""
        return int(self.payoffs.shape[-1])

    @property
    def linear(self) -> bool:
        """True under Assumption 1 (no general utility was given)."""
        return self.utility is None

    @property
    def label(self) -> str:
        """``competition(alpha=0.5)``, ``table``: the game as results print it."""
        if self.alpha is None:
            return self.preset
        beta = f", beta={self.beta:g}" if self.beta is not None else ""
        return f"{self.preset}(alpha={self.alpha:g}{beta})"

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
            raise ModelError(
                "game.alpha", f"alpha_old = (1 - alpha)/alpha leaves [0, 1] for {fmt(a)}"
            )
        return competition_game((1 - a) / a), a, 1 - a


def competition_game(alpha: float) -> Game:
    """Example 3 (Eq. (3.2), corrected by E1): pi_i = 1{a_i = theta} - alpha 1{a_j = theta}.

    Parameters
    ----------
    alpha : float in [0, 1]
        Intensity of competition; 1 is the zero-sum two-location Hotelling game.

    References
    ----------
    - A. Nouripour, "Selling Information in Competitive Environments", S.M. thesis, Department of
      Electrical Engineering and Computer Science, Massachusetts Institute of Technology, Cambridge,
      MA, September 2021.

    Examples
    --------
    >>> g = competition_game(1.0)
    >>> g.payoffs[:, 0, 0, 0].tolist()   # both right in state 0
    [0.0, 0.0]
    """
    a = read_unit(alpha, "game.alpha")
    p = np.zeros((2, 2, 2, 2))
    for a1, a2, th in np.ndindex(2, 2, 2):
        x, y = float(a1 == th), float(a2 == th)
        p[0, a1, a2, th] = x - a * y
        p[1, a1, a2, th] = y - a * x
    return Game(p, preset="competition", alpha=a)


def complement_substitute_game(alpha: float, beta: float) -> Game:
    """The §5.1 game: payoffs (alpha, alpha), (1, 0), (0, 1), (1-beta, 1-beta).

    Closed form (derived for this package from the payoff table of Section 5.1): pi_i = (1-beta)
    + beta x - (1-beta) y + (alpha-beta) x y with x = 1{a_i = theta}, y = 1{a_j = theta}; needs
    0 <= alpha, beta <= 1 and alpha >= 1 - beta.

    References
    ----------
    - A. Nouripour, "Selling Information in Competitive Environments", S.M. thesis, Department of
      Electrical Engineering and Computer Science, Massachusetts Institute of Technology, Cambridge,
      MA, September 2021.

    Examples
    --------
    >>> g = complement_substitute_game(0.7, 0.6)
    >>> [round(float(g.payoffs[0, a1, a2, 0]), 12) for a1 in (0, 1) for a2 in (0, 1)]
    [0.7, 1.0, 0.0, 0.4]
    """
    a = read_unit(alpha, "game.alpha")
    b = read_unit(beta, "game.beta")
    if a < 1 - b - 1e-12:
        raise ModelError(
            "game.beta", f"needs alpha >= 1 - beta (§5.1), got {fmt(a)} < 1 - {fmt(b)}"
        )
    p = np.zeros((2, 2, 2, 2))
    for a1, a2, th in np.ndindex(2, 2, 2):
        x, y = float(a1 == th), float(a2 == th)
        p[0, a1, a2, th] = (1 - b) + b * x - (1 - b) * y + (a - b) * x * y
        p[1, a1, a2, th] = (1 - b) + b * y - (1 - b) * x + (a - b) * x * y
    return Game(p, preset="complement-substitute", alpha=a, beta=b)
