"""Size guards: estimate a solve's memory before allocating, refuse what will not fit.

Every solver estimates the bytes its largest objects need (grid points × players, LP
nonzeros, convolution atoms, enumerated profiles) from the model alone and calls
:func:`check_memory` before it allocates.  Over the limit, the model is refused with a
``ModelError`` naming the field that drives the size, the estimate and the limit::

    grid.cells: 2000 cells per buyer need an LP with 3.2e9 nonzeros (about 51 GB);
    the limit is 4 GB (raise [solver] max_memory_gb)

The limit is the ``max_memory_gb`` option every kind accepts (``[solver]`` table,
``dm.solve(..., max_memory_gb=...)``); by default half of the memory this machine has
available, and never more than the address space a ``ulimit -v`` leaves.

>>> check_memory("grid.cells", 8e9, "an LP with 1e9 nonzeros", limit_gb=4)
Traceback (most recent call last):
...
datamech.errors.ModelError: grid.cells: an LP with 1e9 nonzeros needs about 8 GB; the limit is 4 GB (raise [solver] max_memory_gb)
>>> check_memory("grid.cells", 1e6, "an LP", limit_gb=4)   # fits: returns nothing
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import os
from collections.abc import Iterator

from .errors import ModelError

__all__ = ["check_memory", "check_count", "default_limit_gb", "memory_limit", "limit_bytes"]

_LIMIT_GB: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "datamech_max_memory_gb", default=None
)
FLOAT = 8  # bytes per float64
#: Bytes per Python object in an object array of Fractions (the object and its ints).
FRACTION = 120


def _available_bytes() -> float:
    """Memory this machine has available now (MemAvailable; else physical memory)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 8e9


def _address_space_headroom() -> float:
    """Bytes of address space left under ``ulimit -v`` (RLIMIT_AS), or inf."""
    try:
        import resource

        soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, ValueError):
        return math.inf
    if soft == resource.RLIM_INFINITY:
        return math.inf
    used = 0.0
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    used = float(line.split()[1]) * 1024
    except OSError:
        pass
    return max(soft - used, 0.0)


def default_limit_gb() -> float:
    """Half the memory available now, capped by 3/4 of the address space ``ulimit -v`` leaves."""
    return min(0.5 * _available_bytes(), 0.75 * _address_space_headroom()) / 1e9


def limit_bytes() -> float:
    """The limit in force: the ``max_memory_gb`` of the current solve, else the default."""
    gb = _LIMIT_GB.get()
    return (gb if gb is not None else default_limit_gb()) * 1e9


@contextlib.contextmanager
def memory_limit(gb: float | None) -> Iterator[None]:
    """Use ``gb`` as the memory limit inside the block (``None``: the default)."""
    if gb is not None and not (isinstance(gb, (int, float)) and gb > 0 and math.isfinite(gb)):
        raise ModelError("solver.max_memory_gb", f"must be a positive number, got {gb!r}")
    token = _LIMIT_GB.set(None if gb is None else float(gb))
    try:
        yield
    finally:
        _LIMIT_GB.reset(token)


def _gb(nbytes: float) -> str:
    gb = nbytes / 1e9
    if gb >= 1e6:
        return f"{gb:.1e} GB"
    return f"{gb:.3g} GB" if gb >= 0.01 else f"{nbytes / 1e6:.3g} MB"


def check_memory(
    field: str, nbytes: float, what: str, *, limit_gb: float | None = None, hint: str = ""
) -> None:
    """Refuse with ``ModelError(field, ...)`` when ``nbytes`` exceeds the memory limit.

    Parameters
    ----------
    field : str
        The model field (or option) that drives the size.
    nbytes : float
        The estimate, in bytes (a float: it may be astronomically large).
    what : str
        What needs the memory, for the message ("a 40,081-point grid for 3 players").
    limit_gb : float, optional
        The limit; default :func:`limit_bytes` (the ``max_memory_gb`` option).
    hint : str, optional
        A faster or smaller alternative, appended to the message.
    """
    limit = limit_gb * 1e9 if limit_gb is not None else limit_bytes()
    if not nbytes > limit:  # also refuses NaN estimates below
        if nbytes == nbytes:
            return
    message = (
        f"{what} needs about {_gb(nbytes)}; the limit is {_gb(limit)} "
        "(raise [solver] max_memory_gb)"
    )
    raise ModelError(field, message + (f"; {hint}" if hint else ""))


def check_count(field: str, count: float, limit: float, what: str, *, hint: str = "") -> None:
    """Refuse with ``ModelError(field, ...)`` when a work count exceeds a hard limit.

    For sizes that cost time rather than memory (profiles to enumerate, atoms to
    convolve), where finishing would take hours.

    >>> check_count("buyers", 2000, 500, "the online DP over 2000 buyers")
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: buyers: the online DP over 2000 buyers: over the limit of 500
    """
    if count > limit or count != count:
        message = f"{what}: over the limit of {limit:,.0f}"
        raise ModelError(field, message + (f"; {hint}" if hint else ""))
