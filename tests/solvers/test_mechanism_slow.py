"""Larger known answers of kind ``mechanism`` (marked slow; `pytest -m slow`)."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest

import datamech as dm
from datamech.models.mechanism import create
from datamech.solvers.mechanism.known import (
    MANELLI_VINCENT,
    exponential_auction_revenue,
    myerson_revenue,
    uniform_auction_revenue,
)

pytestmark = pytest.mark.slow


def test_three_bidders_on_thirty_types_exactly():
    K = 30
    m = create(
        outcomes={"preset": "single_item"},
        agents=[
            {
                "count": 3,
                "family": "discrete",
                "values": [str(F(k, K)) for k in range(1, K + 1)],
                "probs": [f"1/{K}"] * K,
            }
        ],
    )
    res = dm.solve(m, exact=True)
    assert res.objective_exact == F(14, 25)
    lp = dm.solve(m, method="lp")
    assert lp.objective == pytest.approx(0.56, abs=1e-12)


def test_ten_asymmetric_bidders_reduced_form_equals_the_formula():
    rng = np.random.default_rng(1)
    agents = []
    for i in range(10):
        vals = np.sort(rng.choice(np.arange(1, 2001), 60, replace=False))
        w = rng.integers(1, 20, 60)
        agents.append(
            {
                "name": f"b{i}",
                "family": "discrete",
                "values": [f"{v}/1000" for v in vals],
                "probs": [f"{x}/{w.sum()}" for x in w],
            }
        )
    m = create(outcomes={"preset": "single_item"}, agents=agents)
    res = dm.solve(m)
    expected = myerson_revenue([a.law for a in m.agents])
    assert res.method == "reduced_form"
    assert res.objective == pytest.approx(float(expected), abs=1e-9)
    assert res.certificate.ok


def test_three_uniform_bidders_limit():
    m = create(
        outcomes={"preset": "single_item"},
        agents=[{"count": 3, "family": "uniform", "low": 0, "high": 1}],
        grid={"cells": 200},
    )
    err = dm.solve(m).objective - float(uniform_auction_revenue(3))
    assert -1 / 200**2 < err < 0  # the default scheme (left): O(1/cells^2) from below


def test_three_exponential_bidders_limit():
    exact = exponential_auction_revenue(3.0)
    left = []
    for cells in (100, 200):
        m = create(
            outcomes={"preset": "single_item"},
            agents=[{"count": 3, "family": "exponential", "rate": "1/3"}],
            grid={"cells": cells},
        )
        left.append(dm.solve(m).objective - exact)
    assert left[0] < left[1] < 0 and abs(left[1]) < 1e-3 and left[0] / left[1] > 3
    # condmean: O(1/cells) from above; Richardson's 2 v(2K) - v(K) removes the first order
    vals = []
    for cells in (100, 200):
        m = create(
            outcomes={"preset": "single_item"},
            agents=[{"count": 3, "family": "exponential", "rate": "1/3"}],
            grid={"cells": cells, "scheme": "condmean"},
        )
        vals.append(dm.solve(m).objective)
    assert 0 < vals[1] - exact < 5 / 200 and vals[1] < vals[0]
    assert 2 * vals[1] - vals[0] == pytest.approx(exact, abs=2e-3)


def test_manelli_vincent_on_a_40_by_40_grid():
    m = create(
        outcomes={"preset": "multi_item", "items": 2},
        agents=[{"item_types": [{"family": "uniform", "low": 0, "high": 1}] * 2}],
        grid={"cells": 40},
    )
    res = dm.solve(m)
    # the default scheme (left) rounds types down: below the limit by O(1/cells)
    assert MANELLI_VINCENT - 0.5 / 40 < res.objective < MANELLI_VINCENT
    assert res.max_ic_violation <= 1e-9  # all 2.5 million pairs, exactly
