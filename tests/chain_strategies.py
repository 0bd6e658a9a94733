"""Hypothesis strategies for small random chain models (shared by chain tests)."""

from fractions import Fraction

import numpy as np
from hypothesis import strategies as st

from datamech.models.chain import ChainModel

rationals = st.fractions(min_value=-2, max_value=3, max_denominator=6)


@st.composite
def stochastic_row(draw, L):
    weights = draw(st.lists(st.integers(0, 4), min_size=L, max_size=L).filter(lambda w: sum(w) > 0))
    total = sum(weights)
    return [Fraction(w, total) for w in weights]


@st.composite
def reallocation(draw, n, balanced=False):
    t = np.full((n, n + 1), Fraction(0), dtype=object)
    for i in range(1, n + 1):
        weights = draw(st.lists(st.integers(0, 3), min_size=i + 1, max_size=i + 1))
        if balanced:
            weights[-1] = 0
        if sum(weights[:i]) == 0:
            weights[i - 1] = 1
        total = sum(weights)  # the last weight is the share kept by the platform
        for j in range(i):
            t[i - 1, j] = Fraction(weights[j], total)
    return t


@st.composite
def chain_models(draw, max_n=4, max_L=5, allow_start_distribution=True, tie_prone=False):
    """Random chains; ``tie_prone`` zeroes the shares of a random set of players (their
    shares leak), so those sellers are indifferent among all their prices."""
    n = draw(st.integers(1, max_n))
    L = draw(st.integers(1, max_L))
    values = draw(st.lists(rationals, min_size=L, max_size=L))
    per_trade = draw(st.booleans())
    if per_trade:
        trans = [[draw(stochastic_row(L)) for _ in range(L)] for _ in range(n)]
    else:
        trans = [draw(stochastic_row(L)) for _ in range(L)]
    kw = {}
    if allow_start_distribution and draw(st.booleans()):
        kw["start_distribution"] = draw(stochastic_row(L))
    else:
        kw["start"] = draw(st.integers(0, L - 1))
    t = draw(reallocation(n, balanced=draw(st.booleans())))
    if tie_prone:
        for j in range(n):
            if draw(st.booleans()):
                t[:, j] = Fraction(0)
    return ChainModel(n=n, values=values, transition=trans, reallocation=t, **kw)
