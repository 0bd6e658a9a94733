"""Laws of r for the online computations: cumulative tables, quantile nodes and the law
of a running maximum (spec §3.1 and App. B.5).

>>> from datamech.models.distributions import Uniform
>>> d = Uniform(0, 1)                                   # r = (2v - 1)_+
>>> u, e = law_cdf_pmean(d.r_law(), d, np.array([0.0, 0.5, np.inf]))
>>> [round(float(x), 6) for x in u], [round(float(x), 6) for x in e]
([0.5, 0.75, 1.0], [0.0, 0.0625, 0.25])
"""

from __future__ import annotations

import numpy as np

from ....models.distributions import RLaw, TypeDistribution

__all__ = [
    "PANELS",
    "quantile_table",
    "PER_PANEL",
    "e_max_pow",
    "law_cdf_pmean",
    "max_table_update",
    "quantile_nodes",
]

PANELS = 40  #: geometric quantile panels towards u = 1 for continuous laws of r
PER_PANEL = 512  #: midpoint nodes per panel (quad evaluation of the closed forms)
TABLE_PANELS = 44  #: geometric panels of the quantile table that brackets u_tau
TABLE_POINTS = 256  #: points per panel of that table
TOL_U = 1e-15  #: width in u at which the search for u_tau stops
SECANT_STEPS = 12  #: Illinois steps before plain bisection
MAX_STEPS = 80  #: cap on the search steps (bisection halves any bracket to TOL_U)


def quantile_table(law: RLaw) -> tuple[np.ndarray, np.ndarray]:
    """(u, Q_r(u)) on :data:`TABLE_PANELS` geometric panels of :data:`TABLE_POINTS`
    points from u = P(r = 0) towards 1: the brackets of :func:`law_cdf_pmean`'s root
    search (a continuous law of r; computed once per law and reused every round)."""
    z = float(law.zero_mass)
    edges = 1 - 2.0 ** -np.arange(TABLE_PANELS + 1)
    t = np.arange(TABLE_POINTS) / TABLE_POINTS
    u = (edges[:-1, None] + (edges[1:] - edges[:-1])[:, None] * t).ravel()
    u = z + (1 - z) * np.append(u, edges[-1])
    q = np.maximum.accumulate(np.asarray(law.quantile(u), dtype=float))
    return u, q


def law_cdf_pmean(
    law: RLaw,
    dist: TypeDistribution,
    tau: np.ndarray,
    table: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """P(r <= tau) and E[r; r <= tau] (vectorized, float) for one buyer's law of r.

    Finite tables: cumulative sums.  Continuous laws: u_tau = sup{u : Q_r(u) <= tau},
    bracketed by the :func:`quantile_table` (``table``, computed if not given) and
    found by Illinois steps (bisection after :data:`SECANT_STEPS`) to
    :data:`TOL_U`; then E[r; r > tau] = R-bar(1 - u_tau) (the revenue hull; for
    regular laws v_tau (1 - F(v_tau))).
    """
    tau = np.asarray(tau, dtype=float)
    if law.is_discrete:
        vals = np.asarray(law.values, dtype=float)
        pr = np.asarray(law.probs, dtype=float)
        cp = np.concatenate([[0.0], np.cumsum(pr)])
        ce = np.concatenate([[0.0], np.cumsum(pr * vals)])
        idx = np.searchsorted(vals, tau, side="right")
        return cp[idx], ce[idx]
    u_tab, q_tab = quantile_table(law) if table is None else table
    u = _invert(law, tau, u_tab, q_tab)
    fin = np.isfinite(tau) & (u < 1.0)
    u = np.where(np.isfinite(tau), u, 1.0)
    mean = float(dist.monopoly_revenue())
    tail = np.zeros(tau.shape)
    with np.errstate(all="ignore"):
        tail[fin] = np.asarray(dist.revenue_hull(1 - u[fin]), dtype=float)
    return u, mean - np.nan_to_num(tail)


def _invert(law: RLaw, tau: np.ndarray, u_tab: np.ndarray, q_tab: np.ndarray) -> np.ndarray:
    """sup{u : Q_r(u) <= tau} for each tau (Q_r nondecreasing, Q_r = 0 only up to
    u_tab[0] = P(r = 0)); infinite tau are left to the caller."""
    top = np.nextafter(1.0, 0.0)  # Q_r(1) may be infinite
    last = len(u_tab)
    j = np.searchsorted(q_tab, tau, side="right")  # q_tab[j-1] <= tau < q_tab[j]
    out = u_tab[np.maximum(j - 1, 0)].copy()
    # the open searches, compacted: index, bracket [a, b], Q - tau at both ends
    idx = np.nonzero((tau > 0) & np.isfinite(tau))[0]
    a, jj, t = out[idx], j[idx], tau[idx]
    inside = jj < last
    b = np.where(inside, u_tab[np.minimum(jj, last - 1)], 1.0)
    with np.errstate(invalid="ignore"):
        fa = q_tab[np.maximum(jj - 1, 0)] - t
        fb = np.where(inside, q_tab[np.minimum(jj, last - 1)] - t, np.inf)
    moved = np.zeros(len(idx), dtype=np.int8)  # +1: a moved last, -1: b moved last
    probed = np.zeros(len(idx), dtype=bool)
    half = TOL_U / 2
    for step in range(MAX_STEPS):
        open_ = b - a > TOL_U
        if not open_.all():
            out[idx[~open_]] = a[~open_]
            idx, a, b, fa, fb, t = (x[open_] for x in (idx, a, b, fa, fb, t))
            moved, probed = moved[open_], probed[open_]
        if not len(idx):
            break
        mid = (a + b) / 2
        if step < SECANT_STEPS:
            with np.errstate(all="ignore"):
                m = b - fb * (b - a) / (fb - fa)
            # at least TOL_U / 2 inside the bracket: a secant point on the root then
            # closes it at once; where Q(a) = tau probe just right of a once (a flat
            # piece of Q_r may continue to the right), then bisect
            m = np.where(np.isfinite(m), np.clip(m, a + half, b - half), mid)
            on_root = fa == 0
            m = np.where(on_root, np.where(probed, mid, a + half), m)
            probed = on_root & ~probed
        else:
            m = mid
        m = np.minimum(m, top)
        fm = np.asarray(law.quantile(m), dtype=float) - t
        left = fm <= 0
        again = moved == np.where(left, 1, -1)
        # Illinois: when the same end moves twice, halve the other end's weight
        fa, fb = (
            np.where(left, fm, np.where(again, fa / 2, fa)),
            np.where(left, np.where(again, fb / 2, fb), fm),
        )
        a, b = np.where(left, m, a), np.where(left, b, m)
        moved = np.where(left, 1, -1).astype(np.int8)
    out[idx] = a
    return out


def quantile_nodes(law: RLaw, per_panel: int = PER_PANEL) -> tuple[np.ndarray, np.ndarray]:
    """Atoms and weights for E[g(r)]: the table itself, or for a continuous law the atom
    at 0 plus the midpoint rule in u on geometric panels (halving towards u = 1)."""
    if law.is_discrete:
        return np.asarray(law.values, dtype=float), np.asarray(law.probs, dtype=float)
    z = float(law.zero_mass)
    edges = z + (1 - z) * np.append(1 - 2.0 ** -np.arange(PANELS), 1.0)
    a, b = edges[:-1, None], edges[1:, None]
    t = (np.arange(per_panel) + 0.5) / per_panel
    u = (a + (b - a) * t).ravel()
    w = np.broadcast_to((b - a) / per_panel, (PANELS, per_panel)).ravel()
    r = np.asarray(law.quantile(u), dtype=float)
    return np.append(0.0, r), np.append(z, w)


def max_table_update(
    mv: np.ndarray, mc: np.ndarray, r: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Law of max(m, r) for independent m (values mv, CDF mc) and r (atoms r, weights w):
    returned as sorted values and CDF (product of the CDFs on the union)."""
    order = np.argsort(r)
    rv, rc = r[order], np.cumsum(w[order])
    vals = np.union1d(mv, rv)
    cm = np.concatenate([[0.0], mc])[np.searchsorted(mv, vals, side="right")]
    cr = np.concatenate([[0.0], rc])[np.searchsorted(rv, vals, side="right")]
    return vals, np.minimum(cm * cr, 1.0)


def e_max_pow(mv: np.ndarray, mc: np.ndarray, t: np.ndarray, e: float) -> np.ndarray:
    """E[max(t, m)^e] for each t, m with values mv and CDF mc."""
    pm = np.diff(np.concatenate([[0.0], mc]))
    tail = np.concatenate([np.cumsum((pm * mv**e)[::-1])[::-1], [0.0]])
    idx = np.searchsorted(mv, t, side="right")
    below = np.concatenate([[0.0], mc])[idx]
    return below * t**e + tail[idx]
