"""Figures for bilateral trade: allocation heat maps x(v, c) and the budget surplus B(lambda).

Figures are :class:`matplotlib.figure.Figure` objects built without pyplot (nothing is
shown, no global state); :func:`~.figures.save_figure` writes PNG and PDF.  The drawing
functions receive what they draw (laws, lambda), so results import this module and not
the other way round; the grid programs' heat map is in :mod:`.figures` (no solver
imports).
"""

from __future__ import annotations

import math

import numpy as np

from .core import Rule, evaluate, instance
from .figures import draw_grid_allocation, new_figure, save_figure
from .payments import mechanism

__all__ = [
    "HEATMAPS",
    "allocation_figure",
    "budget_figure",
    "draw_allocation",
    "draw_budget",
    "draw_grid_allocation",
    "new_figure",
    "plot_allocations",
    "plot_budget",
    "save_figure",
]

HEATMAPS = ("first_best", "second_best", "seller_proposing", "buyer_proposing")


def _axis(side, n: int) -> np.ndarray:
    lo = side.lo
    hi = side.hi if math.isfinite(side.hi) else float(side.quantile(0.99))
    return np.linspace(lo, hi, n)


def draw_allocation(ax, buyer, seller, alpha=None, good=None, name="second_best", lam=None, n=161):
    """Heat map of x(v, c) of mechanism ``name`` on ``ax`` (buyer value across, seller cost
    up).  The scaling model's x is unbounded near c = 0, so the colour shows x^alpha (the
    buyer's value per unit of v); the indivisible good shows x in {0, 1}."""
    inst = instance(buyer, seller, alpha, good)
    vs, cs = _axis(inst.buyer, n), _axis(inst.seller, n)
    m = mechanism(name, buyer, seller, alpha, good, lam=lam if name == "second_best" else None)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        x = m.allocation(vs[None, :], cs[:, None]) ** float(inst.alpha)
    x = np.where(np.isfinite(x), x, np.nan)
    top = float(np.nanpercentile(x, 99)) if np.any(np.isfinite(x)) else 1.0
    im = ax.imshow(
        x,
        origin="lower",
        aspect="auto",
        extent=(vs[0], vs[-1], cs[0], cs[-1]),
        cmap="viridis",
        vmin=0.0,
        vmax=max(top, 1e-12),
    )
    title = name.replace("_", " ")
    if name == "second_best" and m.lam is not None:
        title += f" (lambda* = {m.lam:.4g})"
    ax.set_title(title)
    ax.set_xlabel("buyer value v")
    ax.set_ylabel("seller cost c")
    ax.figure.colorbar(im, ax=ax, label="x" if inst.good == "indivisible" else "x^alpha")
    return im


def draw_budget(ax, buyer, seller, alpha=None, good=None, lam_star=None, n: int = 40) -> None:
    """B(lambda) and GFT(lambda) of the Lagrangian allocation on ``ax``, with lambda*."""
    inst = instance(buyer, seller, alpha, good)
    finite = lam_star is not None and math.isfinite(lam_star)
    top = 2 * lam_star if finite and lam_star > 0 else 1.0
    lams = np.linspace(0, top, n)
    vals = np.array([evaluate(inst, Rule.lagrangian(x))[:2] for x in lams])
    ax.plot(lams, vals[:, 1], label="budget surplus B(lambda)")
    ax.plot(lams, vals[:, 0], label="gains from trade GFT(lambda)")
    ax.axhline(0, color="grey", lw=0.8)
    if finite:
        ax.axvline(lam_star, color="k", ls="--", lw=0.8, label=f"lambda* = {lam_star:.6g}")
    ax.set_xlim(0, top)
    ax.set_xlabel("lambda")
    ax.legend()


def allocation_figure(buyer, seller, alpha=None, good=None, lam=None, n: int = 161):
    """x(v, c) of first best, second best, SellerP and BuyerP, side by side."""
    fig, axes = new_figure(ncols=len(HEATMAPS), width=4.0)
    for ax, name in zip(axes, HEATMAPS, strict=True):
        draw_allocation(ax, buyer, seller, alpha, good, name, lam=lam, n=n)
    return fig


def budget_figure(buyer, seller, alpha=None, good=None, lam_star=None, n: int = 40):
    """B(lambda) and GFT(lambda) with the root lambda*."""
    fig, ax = new_figure(width=6.0)
    draw_budget(ax, buyer, seller, alpha, good, lam_star=lam_star, n=n)
    return fig


def plot_allocations(buyer, seller, alpha=None, good=None, out_dir=".", lam=None, n: int = 161):
    """:func:`allocation_figure` written to ``out_dir`` (PNG + PDF); returns the paths."""
    fig = allocation_figure(buyer, seller, alpha, good, lam=lam, n=n)
    return save_figure(fig, out_dir, "bilateral_allocation", dpi=90)


def plot_budget(buyer, seller, alpha=None, good=None, out_dir=".", lam_star=None, n: int = 40):
    """:func:`budget_figure` written to ``out_dir`` (PNG + PDF); returns the paths."""
    fig = budget_figure(buyer, seller, alpha, good, lam_star=lam_star, n=n)
    return save_figure(fig, out_dir, "bilateral_budget", dpi=90)
