"""Selling information to competing buyers (seed 004, Nouripour 2021, Chs. 2-5).

A monopolist who observes the state theta sells action recommendations to n buyers with
private types v_i (spec §1).  A model is

* a **game** (:mod:`.game`): payoffs pi_i(a; theta) (Assumption 1: u_i = v_i pi_i),
  given by a preset (``competition``: Example 3, Eq. (3.2) as corrected by E1;
  ``complement-substitute``: the §5.1 game) or an explicit table, or (Python only) a
  general utility u_i(a; theta, v);
* a **prior** over the states;
* **type distributions** (one per buyer, independent; laws of
  :mod:`datamech.models.distributions`, model-file tables as there) and the **grid**
  they are discretized on (:mod:`.grid`, spec §3.1; the scheme is chosen per objective);
* an **objective** (:mod:`.objective`: revenue, welfare, or a linear function of the
  joint law of (theta, v, a) and of the interim payments);
* **constraint switches** (obedience Def 2, truthfulness Def 3, participation Def 4,
  non-negative payments).

Model files (kind ``infosale``) are read and written by :mod:`.files`; the solver
options of their ``[solver]`` table are declared in :mod:`.options`.

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

from .. import io
from .files import from_toml, to_toml
from .game import (
    MAX_MAGNITUDE,
    PRESETS,
    Game,
    competition_game,
    complement_substitute_game,
)
from .grid import SCHEMES, TAIL_MODES, Grid, discretize
from .model import PRIOR_TOL, InfoSaleModel, create
from .objective import (
    MAX_BUYERS,
    OBJECTIVES,
    TRUTHFULNESS,
    Constraints,
    Objective,
    parse_expression,
    split_expression,
)
from .options import BACKENDS, OPTIONS

__all__ = [
    "BACKENDS",
    "MAX_BUYERS",
    "MAX_MAGNITUDE",
    "OBJECTIVES",
    "OPTIONS",
    "PRESETS",
    "PRIOR_TOL",
    "SCHEMES",
    "TAIL_MODES",
    "TRUTHFULNESS",
    "Constraints",
    "Game",
    "Grid",
    "InfoSaleModel",
    "Objective",
    "competition_game",
    "complement_substitute_game",
    "create",
    "discretize",
    "from_toml",
    "parse_expression",
    "split_expression",
    "to_toml",
]

io.register_kind("infosale", InfoSaleModel, from_toml, to_toml)
