"""The result of every discrete infosale solver (general LP, reduced LP, greedy).

All of them end in :func:`assemble`, which takes the recommendation rule
sigma[theta, cell, action profile] and the interim payments and computes every reported
quantity the same way, so the methods can be compared number by number.  The result
follows the contract of :mod:`datamech.results`: the headline is ``value`` (the optimum
of the objective), ``objective_name`` is the objective's kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ...models.infosale import InfoSaleModel
from ...results import Result
from ...status import Status
from .layout import (
    Layout,
    bottom_up_payments,
    discrete_virtual_values,
    layout,
    share_tensor,
    utility_tensor,
)
from .plots import draw_interim, draw_regions, interim_figure, new_axes, save_figure

__all__ = [
    "InfoSaleResult",
    "InfoSaleFigures",
    "assemble",
    "bottom_up_payments",
    "discrete_virtual_values",
    "layout",
]


class InfoSaleFigures:
    """``plot()`` and ``save_plots()`` shared by the LP and closed-form results.

    ``plot()`` draws the (v_1, v_2) region map (Figs 4-1 to 4-3) when the game has two
    buyers with binary actions and states, else the interim shares; ``save_plots``
    writes that figure and the interim figure (shares and payments per type).
    """

    def has_regions(self) -> bool:
        p = self.parameters
        return list(p.get("actions", [])) == [2, 2] and len(p.get("prior", [])) == 2

    def plot(self, ax=None, *, vmax: float = 3.0):
        """The region map (two binary buyers) or the interim shares; a matplotlib Figure."""
        fig, ax = new_axes(ax)
        if self.has_regions():
            draw_regions(ax, self, vmax=vmax, title=self._plot_title())
        else:
            draw_interim(
                ax,
                self.type_values,
                self.interim_share,
                ylabel=r"interim share $\tilde\pi_i(v)$",
                title=self._plot_title(),
            )
        return fig

    def _plot_title(self) -> str:
        return f"{self.parameters.get('game')}, {self.objective_kind} ({self.method})"

    def save_plots(self, out: str | Path, stem: str = "result") -> list[Path]:
        """Write ``stem.png/.pdf`` (:meth:`plot`) and ``stem_interim.png/.pdf`` into ``out``."""
        out = Path(out)
        paths = save_figure(self.plot(), out / stem)
        fig = interim_figure(
            self.type_values, self.interim_share, self.interim_payment, self._plot_title()
        )
        return paths + save_figure(fig, out / f"{stem}_interim")


@dataclass(frozen=True, repr=False)
class InfoSaleResult(InfoSaleFigures, Result):
    """An optimal mechanism on the type grid (the general LP, the reduced LP or the greedy).

    Attributes
    ----------
    status : Status
        ``optimal``, or ``optimal_inaccurate`` when the numerical solver flagged its
        solution (then ``advice`` says what to change); other outcomes raise
        ``SolverError`` before a result exists.
    method : str
        ``"lp"`` (general LP, §3.2), ``"reduced"`` (§3.3 reduced LP) or ``"greedy"``
        (§3.3 exact greedy).
    objective_kind : str
        The objective that was maximized: ``revenue``, ``welfare``, ``expression``
        (or ``mix`` for a persistent LP's revenue/welfare mix); also ``objective_name``.
    value : float
        The objective's optimal value: the headline (``objective``).
    revenue : float
        E[sum_i p_i] with the reported payments.
    welfare : float
        E[sum_i u_i(A; theta, V)] (buyers' gross surplus, E25).
    virtual_surplus : float or None
        Under Assumption 1: sum_i E[phi_i(V_i) pi~_i(V_i)] with discrete virtual values.
    region_probabilities : dict or None
        Law of the correctness profile (``rr``, ``rw``, ``wr``, ``ww`` for two buyers;
        "r" = buyer recommended a_i = theta) when actions and states coincide.
    accuracy : list of float or None
        P[A_i = theta] per buyer.
    outside_option : list
        K_i per buyer (Lemma 3; for general utilities the per-type values).
    type_values, type_probs : list of arrays
        The grid of each buyer.
    interim_share : list of arrays
        pi~_i(v_k) = E[pi_i(A; theta) | V_i = v_k].
    interim_payment : list of arrays
        p~_i(v_k).
    interim_utility : list of arrays
        E[u_i | V_i = v_k] - p~_i(v_k).
    interim_accuracy : list of arrays or None
        P[A_i = theta | V_i = v_k].
    obedience_duals : list of arrays or None
        Shadow prices (>= 0) of the obedience constraints, shape ``(m_i, |A_i|, |A_i|)``:
        entry [k, a, a'] is the loss of objective per unit tightening of "type k told a
        prefers a to a'" (conditional-expectation form); None when obedience is off or
        the method has no duals.  The reduced LP (n = 2 binary, Prop 3) has one
        constraint per type, "accuracy >= mu"; its dual is reported in the same shape,
        on entry [k, a, 1 - a] with a the less likely state (0 on a tie).  For the
        welfare objective its sum over (a, a') equals the full LP's (whose split
        between the two constraints of a type is not unique when both bind); for
        revenue the full LP may also move part of the bottom type's price onto its
        participation row, which binds with it, so the two need not agree there.
        The greedy has none.
    implementable : bool
        Under Assumption 1: pi~_i non-decreasing for every buyer (Prop 2), so the
        reported payments make the rule truthful.
    sigma : ndarray, shape ``(|Theta|, C, |A|)``
        sigma(a | theta, cell) (cells and action profiles flattened row-major); not in
        ``to_dict``.
    backend : str
        ``highspy`` or ``cvxpy`` (the modelling layer); ``none`` for the greedy.
    solver : str
        The numerical solver that ran (``HiGHS``, ``Clarabel``, ...); ``none`` for
        the greedy.
    seconds : float
        Wall-clock time of the solve.
    parameters : dict
        The settings of the run (game, prior, grid, scheme, constraint switches).
    advice : str or None
        What to change when the status is not ``optimal``.

    References
    ----------
    - A. Nouripour, "Selling Information in Competitive Environments", S.M. thesis, Department of
      Electrical Engineering and Computer Science, Massachusetts Institute of Technology, Cambridge,
      MA, September 2021.

    Examples
    --------
    >>> from datamech.models.infosale import create
    >>> from datamech.solvers.infosale import solve_greedy
    >>> res = solve_greedy(create("competition", alpha=0.5, cells=20))
    >>> res.objective_name, res.objective == res.value, res.backend, res.solver
    ('revenue', True, 'none', 'none')
    >>> len(repr(res)) < 200
    True
    """

    status: Status
    method: str
    objective_kind: str
    value: float
    revenue: float
    welfare: float
    virtual_surplus: float | None
    region_probabilities: dict | None
    accuracy: list | None
    outside_option: list
    type_values: list
    type_probs: list
    interim_share: list
    interim_payment: list
    interim_utility: list
    interim_accuracy: list | None
    obedience_duals: list | None
    implementable: bool
    sigma: np.ndarray
    backend: str
    solver: str
    seconds: float
    parameters: dict
    advice: str | None = None

    _objective_field = "value"
    _skip_fields = ("sigma",)

    @property
    def objective_name(self) -> str:
        """The objective's kind: ``revenue``, ``welfare``, ``expression`` or ``mix``."""
        return self.objective_kind

    @property
    def _summary_fields(self) -> tuple[str, ...]:  # the figures besides the headline
        return tuple(k for k in ("revenue", "welfare") if k != self.objective_kind)

    def h(self, i: int) -> np.ndarray:
        """h_i[cell profile] = P[A_i = theta | V = v] as an array of shape (m_1, ..., m_n)."""
        shape = tuple(len(v) for v in self.type_values)
        prior = np.asarray(self.parameters["prior"])
        acts = np.array(
            np.unravel_index(np.arange(self.sigma.shape[2]), tuple(self.parameters["actions"]))
        )
        out = np.zeros(self.sigma.shape[1])
        for th, p in enumerate(prior):
            right = acts[i] == th
            out += p * self.sigma[th][:, right].sum(axis=1)
        return out.reshape(shape)

    def profile_map(self) -> np.ndarray:
        """The most likely correctness profile per cell (n = 2): 0 rr, 1 rw, 2 wr, 3 ww."""
        if not self.has_regions():
            raise ValueError("profile maps are drawn for two buyers with binary actions")
        prior = np.asarray(self.parameters["prior"])
        acts = np.array(np.unravel_index(np.arange(self.sigma.shape[2]), (2, 2)))
        probs = np.zeros((4, self.sigma.shape[1]))
        for th, p in enumerate(prior):
            r1, r2 = acts[0] == th, acts[1] == th
            for code, (x, y) in enumerate(((1, 1), (1, 0), (0, 1), (0, 0))):
                sel = (r1 == x) & (r2 == y)
                probs[code] += p * self.sigma[th][:, sel].sum(axis=1)
        m1, m2 = (len(v) for v in self.type_values)
        return probs.argmax(axis=0).reshape(m1, m2)

    def format(self) -> str:
        """A readable summary: headline figures, regions, and the interim table head."""
        p = self.parameters
        lines = [
            self._headline(),
            f"infosale mechanism: {p.get('game')}, n = {len(self.type_values)}, "
            f"cells = {[len(v) for v in self.type_values]} ({p.get('scheme')}), "
            f"objective {self.objective_kind}",
            f"method {self.method}, backend {self.backend}, solver {self.solver}, "
            f"status {self.status}, {self.seconds * 1e3:.1f} ms",
            f"value            {self.value:.6f}",
            f"revenue          {self.revenue:.6f}",
            f"welfare          {self.welfare:.6f}",
        ]
        if self.virtual_surplus is not None:
            lines.append(f"virtual surplus  {self.virtual_surplus:.6f}")
        lines.append(
            f"outside option K {', '.join(f'{float(np.mean(k)):.6g}' for k in self.outside_option)}"
        )
        if self.region_probabilities:
            regs = "  ".join(f"{k}={v:.6f}" for k, v in self.region_probabilities.items())
            lines.append(f"regions          {regs}")
        if self.accuracy is not None:
            lines.append(
                "accuracy         "
                + ", ".join(f"P[A_{i + 1}=theta]={a:.6f}" for i, a in enumerate(self.accuracy))
            )
        lines.append(f"implementable    {self.implementable}")
        if self.advice:
            lines.append(f"advice           {self.advice}")
        lines.append("")
        frame = self.to_frame()
        step = max(1, len(frame) // 24)
        lines.append(frame.iloc[::step].to_string(index=False, float_format=lambda x: f"{x:.6g}"))
        return "\n".join(lines)

    def to_frame(self):
        """The interim table: one row per (buyer, type cell)."""
        return interim_frame(
            self.type_values,
            self.type_probs,
            self.interim_share,
            self.interim_payment,
            self.interim_utility,
            self.interim_accuracy,
        )


def interim_frame(values, probs, share, payment, utility, accuracy=None):
    """The per-(buyer, type cell) table of interim quantities as a DataFrame."""
    import pandas as pd

    rows: dict[str, list[Any]] = {
        "buyer": [],
        "cell": [],
        "value": [],
        "prob": [],
        "interim_share": [],
        "interim_payment": [],
        "interim_utility": [],
    }
    if accuracy is not None:
        rows["interim_accuracy"] = []
    for i, v in enumerate(values):
        for k in range(len(v)):
            rows["buyer"].append(i + 1)
            rows["cell"].append(k)
            rows["value"].append(float(v[k]))
            rows["prob"].append(float(probs[i][k]))
            rows["interim_share"].append(float(share[i][k]))
            rows["interim_payment"].append(float(payment[i][k]))
            rows["interim_utility"].append(float(utility[i][k]))
            if accuracy is not None:
                rows["interim_accuracy"].append(float(accuracy[i][k]))
    return pd.DataFrame(rows)


def assemble(
    model: InfoSaleModel,
    lay: Layout,
    sigma: np.ndarray,
    payments: list[np.ndarray],
    *,
    method: str,
    backend: str,
    solver: str,
    seconds: float,
    value: float,
    outside_option: list,
    duals: list[np.ndarray] | None,
    status: Status = Status.OPTIMAL,
    advice: str | None = None,
    extra: dict | None = None,
) -> InfoSaleResult:
    """Every reported quantity of a rule sigma ``(S, C, |A|)`` and interim payments."""
    game = model.game
    sig = sigma.reshape(lay.n_states, lay.n_cells, lay.n_act)
    joint = lay.prior[:, None] * lay.joint[None, :]  # (S, C)
    shares, utils, accs = [], [], []
    welfare = 0.0
    binary = all(a == lay.n_states for a in lay.actions)
    for i in range(lay.n):
        w = lay.conditional_weight(i)
        pi = share_tensor(model, lay, i)
        U = utility_tensor(model, lay, i)
        ci = lay.cell_index[i]
        share = np.bincount(
            ci, weights=(w * (sig * pi[:, None, :]).sum(axis=2)).sum(axis=0), minlength=lay.m[i]
        )
        gross = np.bincount(ci, weights=(w * (sig * U).sum(axis=2)).sum(axis=0), minlength=lay.m[i])
        welfare += float((joint * (sig * U).sum(axis=2)).sum())
        shares.append(share)
        utils.append(gross - payments[i])
        if binary:
            right = np.stack(
                [sig[th][:, lay.act_index[i] == th].sum(axis=1) for th in range(lay.n_states)]
            )
            accs.append(np.bincount(ci, weights=(w * right).sum(axis=0), minlength=lay.m[i]))
    regions = None
    if binary:
        regions = {}
        correct = np.stack(
            [lay.act_index[i][None, :] == np.arange(lay.n_states)[:, None] for i in range(lay.n)]
        )
        # correct[i, theta, a]
        for code in np.ndindex(*(2,) * lay.n):
            sel = np.ones((lay.n_states, lay.n_act), dtype=bool)
            for i, r in enumerate(code):
                sel &= correct[i] == (r == 0)
            key = "".join("r" if r == 0 else "w" for r in code)
            regions[key] = float((joint * (sig * sel[:, None, :]).sum(axis=2)).sum())
    revenue = float(sum(float(lay.probs[i] @ payments[i]) for i in range(lay.n)))
    vs = None
    if game.linear:
        vs = float(
            sum(
                float(
                    lay.probs[i]
                    @ (discrete_virtual_values(lay.values[i], lay.probs[i]) * shares[i])
                )
                for i in range(lay.n)
            )
        )
    implementable = bool(all(np.all(np.diff(s) >= -1e-7) for s in shares)) if game.linear else True
    c = model.constraints
    params = {
        "game": game.label,
        "alpha": game.alpha,
        "beta": game.beta,
        "prior": lay.prior.tolist(),
        "cells": list(lay.m),
        "actions": list(lay.actions),
        "scheme": model.scheme,
        "obedience": c.obedience,
        "truthfulness": c.truthfulness,
        "participation": c.participation,
        "nonnegative_payments": c.nonnegative_payments,
    }
    if extra:
        params.update(extra)
    return InfoSaleResult(
        status=Status(status),
        method=method,
        objective_kind=model.objective.kind,
        value=float(value),
        revenue=revenue,
        welfare=welfare,
        virtual_surplus=vs,
        region_probabilities=regions,
        accuracy=[float(lay.probs[i] @ accs[i]) for i in range(lay.n)] if binary else None,
        outside_option=outside_option,
        type_values=[v.copy() for v in lay.values],
        type_probs=[q.copy() for q in lay.probs],
        interim_share=shares,
        interim_payment=[np.asarray(p, dtype=float) for p in payments],
        interim_utility=utils,
        interim_accuracy=accs if binary else None,
        obedience_duals=duals,
        implementable=implementable,
        sigma=sig,
        backend=backend,
        solver=solver,
        seconds=float(seconds),
        parameters=params,
        advice=advice,
    )
