"""Index bookkeeping of the discretized game, shared by every discrete infosale solver.

A *cell* is a profile (k_1, ..., k_n) of type-cell indices, flattened row-major; the
rule sigma(a | theta, cell) is stored as (theta, cell, action profile).  Also here: the
utility and payoff tensors on the grid, discrete virtual values and the bottom-up
truthful payments of spec §3.3 (E18).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...models.infosale import InfoSaleModel
from ...progress import progress


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
    cells = progress(range(lay.n_cells), desc=f"utility of buyer {i + 1}", min_total=2000)
    for c in cells:
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
    """phi_k = v_k - (v_{k+1} - v_k) (sum_{k' > k} q_k') / q_k, phi_m = v_m (spec §3.3).

    >>> discrete_virtual_values(np.array([1.0, 2.0]), np.array([0.5, 0.5])).tolist()
    [0.0, 2.0]
    """
    upper = np.append(np.cumsum(q[::-1])[::-1][1:], 0.0)
    return v - np.append(np.diff(v), 0.0) * upper / q


def bottom_up_payments(v: np.ndarray, share: np.ndarray, K: float) -> np.ndarray:
    """Revenue-maximizing truthful interim payments for a given share (spec §3.3, E18).

    Downward-adjacent truthfulness binds, t_k = t_{k-1} + v_k (pi~_k - pi~_{k-1}) (the
    discrete analogue of Eqs. (3.1)/(4.2)), and the level is the highest that keeps every
    type's participation u~_k >= v_k K.  With obedience pi~ >= K, so the bottom type's
    participation binds, t_1 = v_1 (pi~_1 - K).  Without obedience (e.g. the first best
    at alpha > mu) pi~ < K is possible and participation then binds at an interior type.
    """
    t = np.empty_like(share)
    t[0] = v[0] * share[0]
    for k in range(1, len(v)):
        t[k] = t[k - 1] + v[k] * (share[k] - share[k - 1])
    slack = v * share - t - v * K
    return t + float(slack.min())
