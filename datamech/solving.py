"""Solving any model: dispatch on its kind through the kind's one option declaration."""

from __future__ import annotations

__all__ = ["solve"]


def solve(model, **options):
    """Solve any model; dispatches on its kind.

    Options are checked against the kind's one declaration (``datamech options KIND``
    lists them): the model file's ``[solver]`` table applies first, keywords override,
    unknown names raise ``ModelError`` listing the allowed ones, and deprecated names
    warn.  ``max_memory_gb`` (every kind) sets the size guards' limit.

    >>> import datamech as dm
    >>> from datamech.models.chain import paper_model
    >>> res = dm.solve(paper_model(1, n=5, mechanism="RAW"))
    >>> round(float(res.social_welfare), 3)
    4.393
    """
    from .models.io import kind_of
    from .sizes import memory_limit
    from .solvers import options_for, solver_for

    kind = kind_of(model)
    stored = getattr(model, "solver_options", None) or {}
    spec = options_for(kind)
    if spec is None:  # a kind without a declaration yet: its solver checks its options
        return solver_for(kind)(model, **options)
    merged = spec.merge(stored, options)
    limit = merged.pop("max_memory_gb", None)
    with memory_limit(limit):
        return solver_for(kind)(model, **merged)
