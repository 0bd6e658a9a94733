"""How each kind of model is solved: one entry per model-file kind.

``SOLVERS[kind]`` is ``"module:function"``; the function takes the model and keyword
options and returns a result object.  :func:`datamech.solve` dispatches through it.
"""

import importlib

SOLVERS = {
    "chain": "datamech.solvers.chain:solve_model",
    "infosale": "datamech.solvers.infosale:solve_model",
    "psp": "datamech.solvers.psp:solve_model",
    "offline": "datamech.solvers.scaling:solve_model",
    "online": "datamech.solvers.scaling:solve_online",
    "bilateral": "datamech.solvers.bilateral:solve_model",
}


def solver_for(kind: str):
    """The solve function registered for a model-file kind."""
    module, func = SOLVERS[kind].split(":")
    return getattr(importlib.import_module(module), func)
