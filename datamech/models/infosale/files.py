"""Model files of kind ``infosale``: reading (``from_toml``) and writing (``to_toml``).

Tables: ``[model]`` (kind, name, prior, objective as a string), ``[game]`` (preset,
alpha, beta, payoffs), ``[buyer]`` (shared) or ``[[buyers]]`` (one per buyer),
``[grid]``, ``[objective]`` (kind, expression), ``[constraints]`` and ``[solver]``
(the options of :data:`~datamech.models.infosale.options.OPTIONS`, checked on load).
Every missing required key of a table is reported in one message.
"""

from __future__ import annotations

from typing import Any

from ...errors import ModelError
from .. import io
from ..distributions import from_table, to_table
from .model import InfoSaleModel, create
from .objective import Objective
from .options import OPTIONS

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


def _table(data: dict[str, Any], key: str, allowed: set[str], required=()) -> dict[str, Any]:
    table = data.get(key, {})
    io.check_keys(table, key, allowed, required)
    return table


def from_toml(data: dict[str, Any]) -> InfoSaleModel:
    """Build a model from a parsed ``kind = "infosale"`` model file.

    References
    ----------
    - A. Nouripour, "Selling Information in Competitive Environments", S.M. thesis, Department of
      Electrical Engineering and Computer Science, Massachusetts Institute of Technology, Cambridge,
      MA, September 2021.

    Examples
    --------
    >>> import tomllib
    >>> text = '''
    ... [model]
    ... kind = "infosale"
    ... prior = ["1/2", 0.5]
    ... [game]
    ... preset = "competition"
    ... alpha = 0.5
    ... [buyer]
    ... family = "exponential"
    ... rate = 1
    ... [solver]
    ... method = "greedy"
    ... '''
    >>> m = from_toml(tomllib.loads(text))
    >>> m.prior.tolist(), m.grid.cells, m.scheme, m.solver_options
    ([0.5, 0.5], 80, 'left', {'method': 'greedy'})
    """
    required = ["model", "game"]
    if "buyer" not in data and "buyers" not in data:
        required.append("buyer")
    io.check_keys(data, "file", _FILE_KEYS, required=required)
    m = _table(data, "model", _MODEL_KEYS, required=("kind", "prior"))
    g = _table(data, "game", _GAME_KEYS, required=("preset",))
    if "buyer" in data and "buyers" in data:
        raise ModelError("buyers", "give [buyer] (shared) or [[buyers]], not both")
    if "buyers" in data:
        if not isinstance(data["buyers"], list) or not data["buyers"]:
            raise ModelError("buyers", "must be a non-empty array of tables [[buyers]]")
        buyers: Any = [from_table(b, f"buyers[{k}]") for k, b in enumerate(data["buyers"])]
    else:
        buyers = from_table(data["buyer"], "buyer")
    grid = _table(data, "grid", _GRID_KEYS)
    cons = _table(data, "constraints", _CONS_KEYS)
    solver = data.get("solver", {})
    if not isinstance(solver, dict):
        raise ModelError("solver", "must be a table of options")
    solver = OPTIONS.validate(solver)
    if "objective" in m and "objective" in data:
        raise ModelError("objective", "give model.objective or an [objective] table, not both")
    if "objective" in data:
        o = _table(data, "objective", _OBJ_KEYS, required=("kind",))
        objective = Objective(o["kind"], expression=o.get("expression"))
    else:
        try:
            objective = Objective(m.get("objective", "revenue"))
        except ModelError as exc:  # the string form lives in [model]
            raise ModelError("model.objective", exc.problem) from None
    return create(
        g["preset"],
        alpha=g.get("alpha"),
        beta=g.get("beta"),
        payoffs=g.get("payoffs"),
        prior=m["prior"],
        buyers=buyers,
        objective=objective,
        name=m.get("name", ""),
        solver_options=solver,
        **grid,
        **cons,
    )


def to_toml(model: InfoSaleModel) -> dict[str, Any]:
    """The model-file dictionary of an infosale model (inverse of :func:`from_toml`).

    References
    ----------
    - A. Nouripour, "Selling Information in Competitive Environments", S.M. thesis, Department of
      Electrical Engineering and Computer Science, Massachusetts Institute of Technology, Cambridge,
      MA, September 2021.
    """
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
    if model.solver_options:
        out["solver"] = dict(model.solver_options)
    return out
