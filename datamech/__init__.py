"""datamech: mechanism design in data markets by mathematical programming."""

from .errors import ModelError, SolverError
from .experiments.sweep import sweep
from .models.io import load, save
from .solving import solve
from .status import Status

__version__ = "0.1.0"
__all__ = ["ModelError", "SolverError", "Status", "load", "save", "solve", "sweep", "__version__"]
