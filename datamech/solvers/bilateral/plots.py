"""Figures for bilateral trade: allocation heat maps and the budget surplus B(lambda).

Written to files (PNG and PDF) with matplotlib's Agg backend; never shown.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .core import Rule, evaluate, instance
from .payments import mechanism

HEATMAPS = ("first_best", "second_best", "seller_proposing", "buyer_proposing")


def _axis(side, n: int) -> np.ndarray:
    lo = side.lo
    hi = side.hi if math.isfinite(side.hi) else float(side.quantile(0.99))
    return np.linspace(lo, hi, n)


def plot_allocations(buyer, seller, alpha=None, good=None, out_dir=".", lam=None, n: int = 161):
    """Heat maps of x(v, c) for FB, SB, SellerP and BuyerP; returns the written paths.

    The scaling model's x can be unbounded near c = 0, so the colour shows x^alpha
    (the buyer's value per unit of v); the indivisible good shows x in {0, 1}.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    inst = instance(buyer, seller, alpha, good)
    vs, cs = _axis(inst.buyer, n), _axis(inst.seller, n)
    fig, axes = plt.subplots(1, 4, figsize=(16, 4), constrained_layout=True)
    al = float(inst.alpha)
    for ax, name in zip(axes, HEATMAPS, strict=True):
        m = mechanism(name, buyer, seller, alpha, good, lam=lam if name == "second_best" else None)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            x = m.allocation(vs[None, :], cs[:, None]) ** al
        x = np.where(np.isfinite(x), x, np.nan)  # x is unbounded as c -> 0
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
        if name == "second_best":
            title += f" (lambda* = {m.lam:.4g})"
        ax.set_title(title)
        ax.set_xlabel("buyer value v")
        ax.set_ylabel("seller cost c")
        fig.colorbar(im, ax=ax, label="x" if inst.good == "indivisible" else "x^alpha")
    return _save(fig, Path(out_dir), "bilateral_allocation")


def plot_budget(buyer, seller, alpha=None, good=None, out_dir=".", lam_star=None, n: int = 60):
    """B(lambda) and GFT(lambda) of the Lagrangian allocation with the root lambda*."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    inst = instance(buyer, seller, alpha, good)
    top = 2 * lam_star if lam_star and math.isfinite(lam_star) and lam_star > 0 else 1.0
    lams = np.linspace(0, top, n)
    vals = np.array([evaluate(inst, Rule.lagrangian(x))[:2] for x in lams])
    fig, ax = plt.subplots(figsize=(6, 4), constrained_layout=True)
    ax.plot(lams, vals[:, 1], label="budget surplus B(lambda)")
    ax.plot(lams, vals[:, 0], label="gains from trade GFT(lambda)")
    ax.axhline(0, color="grey", lw=0.8)
    if lam_star is not None and math.isfinite(lam_star):
        ax.axvline(lam_star, color="k", ls="--", lw=0.8, label=f"lambda* = {lam_star:.6g}")
    ax.set_xlabel("lambda")
    ax.legend()
    return _save(fig, Path(out_dir), "bilateral_budget")


def _save(fig, out: Path, stem: str) -> list[Path]:
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{stem}.png", out / f"{stem}.pdf"]
    for p in paths:
        fig.savefig(p, dpi=90)
    plt.close(fig)
    return paths
