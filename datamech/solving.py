"""Solving any model: dispatch on its kind through the kind's one option declaration."""

from __future__ import annotations

__all__ = ["solve"]


def solve(model, **options):
    """Solve any model; dispatches on its kind.

    Options are checked against the kind's one declaration (``datamech options KIND``
    lists them): the model file's ``[solver]`` table applies first, keywords override,
    unknown names raise ``ModelError`` listing the allowed ones, and deprecated names
    warn.  ``max_memory_gb`` (every kind) sets the size guards' limit.

    References
    ----------
    - "Incentivizing Data Trading via Profit Reallocation", arXiv:2606.31202 [cs.GT], 2026.
    - A. Nouripour, "Selling Information in Competitive Environments", S.M. thesis, Department of
      Electrical Engineering and Computer Science, Massachusetts Institute of Technology, Cambridge,
      MA, September 2021.
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.
    - X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital Good with
      Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    - R. B. Myerson and M. A. Satterthwaite, "Efficient mechanisms for bilateral trading", Journal
      of Economic Theory 29(2), 1983.
    - R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1):58-73, 1981.
    - V. Conitzer and T. Sandholm, "Complexity of mechanism design", Proceedings of the 18th
      Conference on Uncertainty in Artificial Intelligence (UAI), 2002.

    Examples
    --------
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
