"""Region plots (Figs 4-1 to 4-3) from the closed form and from the LP."""

import numpy as np

from datamech.models.distributions import Exponential
from datamech.models.infosale import create
from datamech.solvers.infosale import ClosedFormMechanism, solve_greedy, solve_lp
from datamech.solvers.infosale.plots import plot_regions, region_grid

EXP1 = Exponential(1.0)


def test_closed_form_and_lp_maps_agree(tmp_path):
    M = ClosedFormMechanism(0.5, [0.5, 0.5], EXP1, "revenue")
    res = solve_greedy(create("competition", alpha=0.5, cells=80))
    v1, v2, lp_codes = region_grid(res)
    T = np.array([M.threshold(x) for x in v1])
    cf_codes = np.where(v2[:, None] <= T[None, :], 0, 2) + np.where(v1[None, :] <= T[:, None], 0, 1)
    assert cf_codes[5, 70] == ("rr", "rw", "wr", "ww").index(M.profile(v1[70], v2[5]))
    inside = (v1[None, :] < 3) & (v2[:, None] < 3)
    # E22: boundary cells may differ; compare integrated agreement
    assert np.mean(lp_codes[inside] == cf_codes[inside]) > 0.97
    assert set(np.unique(cf_codes[inside])) == {0, 1, 2, 3}  # Fig. 4-2 right has all four profiles
    files = plot_regions(M, tmp_path / "fig4_2_cf", vmax=2.5) + plot_regions(
        res, tmp_path / "fig4_2_lp", vmax=2.5
    )
    assert all(p.exists() and p.stat().st_size > 1000 for p in files)
    assert {p.suffix for p in files} == {".png", ".pdf"}


def test_fig_4_1_and_4_3_files(tmp_path):
    W = ClosedFormMechanism(2 / 3, [0.5, 0.5], EXP1, "welfare")
    _, _, codes = region_grid(W, vmax=3, points=80)
    assert 3 not in codes  # three regions, no (w, w)
    lp = solve_lp(create("competition", alpha=0.25, cells=20))
    out = plot_regions(
        ClosedFormMechanism(0.25, [0.5, 0.5], EXP1, "revenue"), tmp_path / "fig4_3_right", points=60
    )
    out += plot_regions(lp, tmp_path / "fig4_3_right_lp", formats=("png",))
    assert all(p.exists() for p in out)
