"""datamech: mechanism design in data markets by mathematical programming."""

from .errors import ModelError, SolverError
from .models.io import load, save

__version__ = "0.1.0"
__all__ = ["ModelError", "SolverError", "load", "save", "solve", "__version__"]


def solve(model, **options):
    """Solve any model; dispatches on its kind. Options are the family solver's keywords.

    >>> import datamech as dm
    >>> from datamech.models.chain import paper_model
    >>> res = dm.solve(paper_model(1, n=5, mechanism="RAW"))
    >>> round(float(res.social_welfare), 3)
    4.393
    """
    from .models.chain import ChainModel

    if isinstance(model, ChainModel):
        from .solvers.chain import solve_equilibrium

        opts = dict(model._cache.get("solver_options", {}))
        opts.update(options)
        return solve_equilibrium(model, **opts)
    raise ModelError("model", f"no solver for {type(model).__name__}")
