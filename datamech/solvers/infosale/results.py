"""The result of every infosale solver (general LP, reduced LP, greedy) and its metrics.

All discrete solvers end in :func:`assemble`, which takes the recommendation rule
sigma[theta, cell, action profile] and the interim payments and computes every reported
quantity the same way, so the methods can be compared number by number.
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...models.infosale import InfoSaleModel
from ...results import ResultMixin


@contextlib.contextmanager
def quiet_stdout():
    """Silence file descriptor 1 (HiGHS prints a banner there on first use).

    ``--json`` promises exactly one JSON object on stdout, and HiGHS writes its
    copyright line from C++, which ``contextlib.redirect_stdout`` cannot catch.
    """
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):  # pytest capture or no real stdout
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


@dataclass(frozen=True)
class InfoSaleResult(ResultMixin):
    """An optimal (or explicitly non-optimal) mechanism on the type grid.

    Attributes
    ----------
    status : str
        ``"optimal"`` (other statuses raise ``SolverError`` before a result exists).
    method : str
        ``"lp"`` (general LP, §3.2), ``"reduced"`` (§3.3 reduced LP) or ``"greedy"``
        (§3.3 exact greedy).
    objective : str
        The objective kind that was maximized.
    value : float
        The objective's optimal value.
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
        Shadow prices (>= 0) of the obedience constraints, shape (m_i, |A_i|, |A_i|):
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
    sigma : ndarray, shape (|Theta|, C, |A|)
        sigma(a | theta, cell) (cells and action profiles flattened row-major); not in
        ``to_dict``.
    solver, seconds, parameters
        Backend used, solve time, and the settings of the run.
    """

    status: str
    method: str
    objective: str
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
    solver: str
    seconds: float
    parameters: dict

    _skip_fields = ("sigma",)

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
        if len(self.type_values) != 2:
            raise ValueError("profile maps are drawn for two buyers")
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
            f"infosale mechanism: {p.get('game')}, n = {len(self.type_values)}, "
            f"cells = {[len(v) for v in self.type_values]}, objective {self.objective}",
            f"method {self.method} via {self.solver}, status {self.status}, "
            f"{self.seconds * 1e3:.1f} ms",
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
        lines.append("")
        frame = self.to_frame()
        step = max(1, len(frame) // 24)
        lines.append(frame.iloc[::step].to_string(index=False, float_format=lambda x: f"{x:.6g}"))
        return "\n".join(lines)

    def to_frame(self):
        """The interim table: one row per (buyer, type cell)."""
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
        if self.interim_accuracy is not None:
            rows["interim_accuracy"] = []
        for i, v in enumerate(self.type_values):
            for k in range(len(v)):
                rows["buyer"].append(i + 1)
                rows["cell"].append(k)
                rows["value"].append(float(v[k]))
                rows["prob"].append(float(self.type_probs[i][k]))
                rows["interim_share"].append(float(self.interim_share[i][k]))
                rows["interim_payment"].append(float(self.interim_payment[i][k]))
                rows["interim_utility"].append(float(self.interim_utility[i][k]))
                if self.interim_accuracy is not None:
                    rows["interim_accuracy"].append(float(self.interim_accuracy[i][k]))
        return pd.DataFrame(rows)


# ---------------------------------------------------------------------- shared geometry
@dataclass(frozen=True, eq=False)
class Layout:
    """Index bookkeeping of the discretized game (spec §3.2 variables).

    sigma variables are ordered (theta, cell, action profile), row-major, where a cell
    is a profile (k_1, ..., k_n) of type-cell indices flattened row-major.
    """

    n: int
    actions: tuple[int, ...]
    n_act: int
    n_states: int
    m: tuple[int, ...]
    n_cells: int
    prior: np.ndarray
    values: list[np.ndarray]
    probs: list[np.ndarray]
    joint: np.ndarray  # Q[c] = prod_i q_i[c_i]
    cell_index: np.ndarray  # (n, C): c_i of each cell
    act_index: np.ndarray  # (n, |A|): a_i of each action profile

    @property
    def n_sigma(self) -> int:
        return self.n_states * self.n_cells * self.n_act

    def conditional_weight(self, i: int) -> np.ndarray:
        """P[theta] Q[c] / q_i[c_i] as (S, C): the weights of E[. | V_i = v_{c_i}]."""
        qi = self.probs[i][self.cell_index[i]]
        return self.prior[:, None] * (self.joint / qi)[None, :]


def layout(model: InfoSaleModel) -> Layout:
    """The :class:`Layout` of a model's discretized game."""
    game = model.game
    grids = [model.type_grid(i) for i in range(game.n)]
    m = tuple(len(v) for v, _ in grids)
    joint = np.ones(1)
    for _, q in grids:
        joint = np.multiply.outer(joint, q).ravel()
    acts = game.action_counts
    return Layout(
        n=game.n,
        actions=acts,
        n_act=int(np.prod(acts)),
        n_states=game.n_states,
        m=m,
        n_cells=int(np.prod(m)),
        prior=model.prior.copy(),
        values=[v for v, _ in grids],
        probs=[q for _, q in grids],
        joint=joint,
        cell_index=np.array(np.unravel_index(np.arange(int(np.prod(m))), m)),
        act_index=np.array(np.unravel_index(np.arange(int(np.prod(acts))), acts)),
    )


def utility_tensor(model: InfoSaleModel, lay: Layout, i: int) -> np.ndarray:
    """u_i(a; theta, v) on the grid as (S, C, |A|) (v_i pi_i under Assumption 1)."""
    game = model.game
    pi = game.payoffs[i].reshape(lay.n_act, lay.n_states).T  # (S, |A|)
    if game.linear:
        vi = lay.values[i][lay.cell_index[i]]
        return pi[:, None, :] * vi[None, :, None]
    out = np.empty((lay.n_states, lay.n_cells, lay.n_act))
    for c in range(lay.n_cells):
        v = tuple(float(lay.values[j][lay.cell_index[j, c]]) for j in range(lay.n))
        for a in range(lay.n_act):
            prof = tuple(int(x) for x in lay.act_index[:, a])
            for th in range(lay.n_states):
                out[th, c, a] = float(game.utility(i, prof, th, v))
    return out


def share_tensor(model: InfoSaleModel, lay: Layout, i: int) -> np.ndarray:
    """pi_i(a; theta) as (S, |A|)."""
    return model.game.payoffs[i].reshape(lay.n_act, lay.n_states).T


def discrete_virtual_values(v: np.ndarray, q: np.ndarray) -> np.ndarray:
    """phi_k = v_k - (v_{k+1} - v_k) (sum_{k' > k} q_k') / q_k, phi_m = v_m (spec §3.3)."""
    upper = np.append(np.cumsum(q[::-1])[::-1][1:], 0.0)
    return v - np.append(np.diff(v), 0.0) * upper / q


def bottom_up_payments(v: np.ndarray, share: np.ndarray, K: float) -> np.ndarray:
    """Revenue-maximizing truthful interim payments for a given share (spec §3.3, E18).

    Downward-adjacent truthfulness binds, t_k = t_{k-1} + v_k (pi~_k - pi~_{k-1}) (the
    discrete analogue of Eqs. (3.1)/(4.2)), and the level is the highest that keeps every
    type's participation u~_k >= v_k K.  With obedience pi~ >= K, so the bottom type's
    participation binds, t_1 = v_1 (pi~_1 - K).  Without obedience pi~ < K is possible
    (e.g. the first best at alpha > mu) and participation then binds at an interior type.
    """
    t = np.empty_like(share)
    t[0] = v[0] * share[0]
    for k in range(1, len(v)):
        t[k] = t[k - 1] + v[k] * (share[k] - share[k - 1])
    slack = v * share - t - v * K
    return t + float(slack.min())


def assemble(
    model: InfoSaleModel,
    lay: Layout,
    sigma: np.ndarray,
    payments: list[np.ndarray],
    *,
    method: str,
    solver: str,
    seconds: float,
    value: float,
    outside_option: list,
    duals: list[np.ndarray] | None,
    extra: dict | None = None,
) -> InfoSaleResult:
    """Every reported quantity of a rule sigma (S, C, |A|) and interim payments."""
    game = model.game
    sig = sigma.reshape(lay.n_states, lay.n_cells, lay.n_act)
    joint = lay.prior[:, None] * lay.joint[None, :]  # (S, C)
    shares, utils, accs, gross_list = [], [], [], []
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
        gross_list.append(gross)
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
        "game": game.preset
        + (
            f"(alpha={game.alpha:g}"
            + (f", beta={game.beta:g}" if game.beta is not None else "")
            + ")"
            if game.alpha is not None
            else ""
        ),
        "alpha": game.alpha,
        "beta": game.beta,
        "prior": lay.prior.tolist(),
        "cells": list(lay.m),
        "actions": list(lay.actions),
        "scheme": model.grid.scheme,
        "obedience": c.obedience,
        "truthfulness": c.truthfulness,
        "participation": c.participation,
        "nonnegative_payments": c.nonnegative_payments,
    }
    if extra:
        params.update(extra)
    return InfoSaleResult(
        status="optimal",
        method=method,
        objective=model.objective.kind,
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
        solver=solver,
        seconds=float(seconds),
        parameters=params,
    )
