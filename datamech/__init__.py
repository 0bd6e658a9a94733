"""datamech: mechanism design in data markets by mathematical programming."""

from .errors import ModelError, SolverError
from .models.io import load, save

__version__ = "0.1.0"
__all__ = ["ModelError", "SolverError", "load", "save", "solve", "__version__"]


def solve(model, **options):
    """Solve any model; dispatches on its kind. Options are the family solver's keywords.

    Options stored in the model file's ``[solver]`` table apply first; keywords override.

    >>> import datamech as dm
    >>> from datamech.models.chain import paper_model
    >>> res = dm.solve(paper_model(1, n=5, mechanism="RAW"))
    >>> round(float(res.social_welfare), 3)
    4.393
    """
    from .models.io import kind_of
    from .solvers import solver_for

    return solver_for(kind_of(model))(model, **options)
