"""Progress bars for long work (tqdm on stderr), so a long solve never looks like a hang.

Bars are shown only when stderr is a terminal and the caller has not asked for quiet
(``datamech ... --quiet`` or ``--json`` set :func:`quiet` for the whole command).
Library code wraps its long loops in :func:`progress`; nothing else decides.

>>> with quiet():
...     sum(progress(range(3), desc="demo"))
3
"""

from __future__ import annotations

import contextlib
import contextvars
import sys
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["progress", "quiet", "enabled"]

_QUIET: contextvars.ContextVar[bool] = contextvars.ContextVar("datamech_quiet", default=False)


@contextlib.contextmanager
def quiet(active: bool = True) -> Iterator[None]:
    """No progress bars inside the block (when ``active``)."""
    token = _QUIET.set(active or _QUIET.get())
    try:
        yield
    finally:
        _QUIET.reset(token)


def enabled() -> bool:
    """Whether a bar would be shown now: stderr is a terminal and quiet is off."""
    if _QUIET.get():
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def progress(
    iterable: Iterable[Any] | None = None,
    *,
    total: float | None = None,
    desc: str | None = None,
    unit: str = "it",
    min_total: float = 0,
):
    """A tqdm bar on stderr (disabled when quiet or not a terminal).

    Use it as an iterable wrapper, or without ``iterable`` as a context manager with
    ``.update(n)``.  ``min_total``: show no bar for totals below it (small work).
    """
    from tqdm import tqdm

    size = total if total is not None else _len(iterable)
    disable = not enabled() or (size is not None and size < min_total)
    return tqdm(
        iterable,
        total=total,
        desc=desc,
        unit=unit,
        file=sys.stderr,
        disable=disable,
        leave=False,
        dynamic_ncols=True,
    )


def _len(iterable: Iterable[Any] | None) -> int | None:
    try:
        return len(iterable)  # type: ignore[arg-type]
    except TypeError:
        return None
