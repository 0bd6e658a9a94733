"""How each kind of model is solved: one entry per model-file kind.

``SOLVERS[kind]`` is ``"module:function"``; the function takes the model and keyword
options and returns a result object.  ``OPTIONS[kind]`` is ``"module:NAME"`` of the
kind's :class:`datamech.options.OptionSet`, the one declaration of its methods and
options.  :func:`datamech.solve` dispatches through both.
"""

import importlib

SOLVERS = {
    "chain": "datamech.solvers.chain:solve_model",
    "infosale": "datamech.solvers.infosale:solve_model",
    "psp": "datamech.solvers.psp:solve_model",
    "offline": "datamech.solvers.scaling:solve_model",
    "online": "datamech.solvers.scaling:solve_online",
    "bilateral": "datamech.solvers.bilateral:solve_model",
    "mechanism": "datamech.solvers.mechanism:solve_model",
}

OPTIONS = {
    "chain": "datamech.solvers.chain:OPTIONS",
    "infosale": "datamech.solvers.infosale:OPTIONS",
    "psp": "datamech.solvers.psp:OPTIONS",
    "offline": "datamech.solvers.scaling:OFFLINE_OPTIONS",
    "online": "datamech.solvers.scaling:ONLINE_OPTIONS",
    "bilateral": "datamech.solvers.bilateral:OPTIONS",
    "mechanism": "datamech.solvers.mechanism:OPTIONS",
}


def _resolve(path: str):
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def solver_for(kind: str):
    """The solve function registered for a model-file kind."""
    return _resolve(SOLVERS[kind])


def options_for(kind: str):
    """The kind's :class:`~datamech.options.OptionSet` (``None`` while a kind has none)."""
    from ..options import OptionSet

    try:
        spec = _resolve(OPTIONS[kind])
    except (KeyError, AttributeError, ModuleNotFoundError):
        return None
    return spec if isinstance(spec, OptionSet) else None
