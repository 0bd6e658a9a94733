"""The result of a PSP solve (the shared result contract, :mod:`datamech.results`).

The headline (``objective``) is the welfare W(s) of the final profile (spec §3); the
centralized optimum W* of (B1), the efficiency W/W*, the 2ε-Nash certificate and the
convergence history sit beside it.  ``backend``/``solver`` name the modelling layer and
the numerical solver of the benchmark; ``method`` is the dynamics that produced the bids.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...results import Certificate, Result
from ...status import Status


@dataclass(frozen=True, repr=False)
class PSPResult(Result):
    """Outcome of the PSP dynamics next to the welfare optimum.

    Attributes
    ----------
    status : Status
        ``evaluated`` (the dynamics stopped by themselves and, for ``dynamics``, the
        2ε-Nash check passed), ``iteration_limit`` / ``time_limit`` (stopped by a cap),
        ``not_converged`` (stopped, but the 2ε-Nash check failed) or
        ``optimal_inaccurate`` (the benchmark W* was solved only inaccurately).
    method : str
        ``"dynamics"`` (truthful ε-best replies, draft eq. (46)) or ``"draft"`` (draft §3.4.4,
        Algorithm 2).
    backend, solver : str
        The benchmark's modelling layer (cvxpy) and the solver that ran (HiGHS, Clarabel).
    advice : str or None
        What to change when the status is not ``evaluated``.
    bids : dict
        ``{"quantity": (n, J), "price": (n, J)}``, the final profile (draft: the confirmed
        allocation and its prices).
    allocation, payments : arrays (n, J)
        a_ij (eqs. 3/20) and c_ij (eq. 4) of the final profile.
    welfare, optimal_welfare, efficiency, loss : float
        W(s), W* of the centralized welfare program, η = W(s) / W* and W* − W(s).
    loss_bound : float or None
        The complete-graph bound 2nε + Σ_j (r_j − ρ_j)(U_j − U*_j) on W* − W at a
        2ε-Nash stop of the dynamics (docs/psp.md, "Efficiency"); None for the draft's
        rules, to which it does not apply.
    warnings : tuple of str
        E.g. the loss exceeds ``loss_bound`` (a partially linked market); each was also
        issued as a ``RuntimeWarning``.
    rounds, max_iterations : int
        Passes run (the last one confirming) and the cap that applied.
    eps_nash : Certificate or None
        The independent 2ε-Nash check (None when not run: draft rules, ``check_nash``
        off).
    welfare_curve, updates_curve : tuple
        Per pass (one entry every ``curve_step`` passes): W and the number of updates.
    trace : tuple of dict
        Draft rules: the state published at each time step (draft §3.4.4); empty otherwise.
    reserves, isp_purchases : arrays, optional
        Draft rules: the final reserves r_j and the data each buyer bought from κ.
    market : str
        ``"substitutes"`` (θ_i of the total) or ``"route"`` (θ_i of the thinnest link;
        the benchmark is then network utility maximization and ``optimal_prices``
        are link prices).
    split, remedy : str
        The buyers' reply (solver options; :mod:`.strategies`).
    competitive_ratio : dict
        Measured, with no theoretical value claimed (the draft leaves its competitive ratio
        open): ``welfare`` = W(final)/W*, ``time`` = rounds / rounds of one pooled PSP auction with
        Q = Σ_j Q_j and the same buyers (the same method: passes, or the draft's time
        steps), ``time_route`` = rounds / rounds of the route market on the same graph
        (dynamics only; None when not measured: option ``competitive_ratio``),
        and the rounds behind them (``rounds``, ``pooled_rounds``, ``route_rounds``) with
        whether those runs stopped by themselves.
    seller_steps, turns, messages : int
        Duration (the draft's auction duration): auction re-clearings (draft: seller phases),
        replies computed, bids sent (buyers' updates; ``bids_per_buyer`` = messages / n).
    participation_costs : array (n,) or None
        ϱ_i times the auctions buyer i bids in (already in ``utilities``; not in W).

    References
    ----------
    - Anonymous author(s), a distributed progressive second price auction for data exchange on the
      2cm platform of China Mobile Hong Kong, unpublished draft.
    - A. A. Lazar and N. Semret, "Design and analysis of the progressive second price auction for
      network bandwidth sharing", Telecommunication Systems, 2001; also Columbia University CTR
      Technical Report 487-98-21, 1998.
    """

    status: Status
    method: str
    backend: str
    solver: str
    seconds: float
    advice: str | None
    schedule: str
    tie_break: str
    epsilon: float
    buyers: tuple
    sellers: tuple
    bids: dict
    allocation: np.ndarray
    payments: np.ndarray
    utilities: np.ndarray
    revenue: np.ndarray
    welfare: float
    optimal_welfare: float
    efficiency: float
    loss: float
    loss_bound: float | None
    warnings: tuple
    rounds: int
    max_iterations: int
    converged: bool
    messages: int
    feasible: bool
    optimal_allocation: np.ndarray
    optimal_prices: np.ndarray
    clearing_price: float
    price_dispersion: float
    eps_nash: Certificate | None
    welfare_curve: tuple
    updates_curve: tuple
    curve_step: int
    trace: tuple
    benchmark_status: Status
    dynamics_seconds: float
    benchmark_seconds: float
    warm_start: bool = False
    reserves: np.ndarray | None = None
    isp_purchases: np.ndarray | None = None
    market: str = "substitutes"
    split: str = "greedy"
    remedy: str = "none"
    competitive_ratio: dict = field(default_factory=dict)
    seller_steps: int = 0
    turns: int = 0
    participation_costs: np.ndarray | None = None
    edges: np.ndarray | None = None

    _objective_field = "welfare"
    _objective_name = "welfare"
    _summary_fields = ("efficiency", "rounds")

    @property
    def bids_per_buyer(self) -> float:
        """Bids sent per buyer (spec §2.10 duration metric): messages / n."""
        return self.messages / max(len(self.buyers), 1)

    def per_buyer(self, a: np.ndarray) -> np.ndarray:
        """What each buyer values of per-seller quantities a: Σ_j a_ij, or in a route
        market the thinnest link of its route, min_{l ∈ r_i} a_il."""
        a = np.asarray(a, dtype=float)
        if self.market == "route" and self.edges is not None:
            return np.where(self.edges, a, np.inf).min(axis=1)
        return a.sum(axis=1)

    # ------------------------------------------------------------------ conversions
    def to_dict(self) -> dict[str, Any]:
        """All fields, JSON-ready (the contract's keys first; the certificate as a dict)."""
        out = super().to_dict()
        out["eps_nash"] = None if self.eps_nash is None else self.eps_nash.to_dict()
        return out

    def to_frame(self):
        """One row per buyer: bids, allocation, payment, utility, the optimum's share.

        ``bid_price`` is the buyer's highest bid price, 0 without a bid; quantities are
        totals over sellers (route market: the thinnest link of the route); see
        :meth:`edge_frame` for the per-(buyer, seller) table.
        """
        import pandas as pd

        q = np.asarray(self.bids["quantity"])
        p = np.asarray(self.bids["price"])
        cols = {
            "buyer": list(self.buyers),
            "bid_quantity": self.per_buyer(q),
            "bid_price": np.where(q > 0, p, 0.0).max(axis=1),
            "allocation": self.per_buyer(self.allocation),
            "payment": self.payments.sum(axis=1),
            "utility": np.asarray(self.utilities, dtype=float),
            "optimal_allocation": self.per_buyer(self.optimal_allocation),
            "sellers_used": (self.allocation > 0).sum(axis=1),
        }
        if self.participation_costs is not None and np.any(self.participation_costs):
            cols["participation_cost"] = self.participation_costs
        return pd.DataFrame(cols)

    def edge_frame(self):
        """One row per (buyer, seller) edge with a bid, an allocation or an optimal share."""
        import pandas as pd

        q = np.asarray(self.bids["quantity"])
        p = np.asarray(self.bids["price"])
        used = (q > 0) | (self.allocation > 0) | (self.optimal_allocation > 0)
        bi, sj = np.nonzero(used)
        return pd.DataFrame(
            {
                "buyer": [self.buyers[i] for i in bi],
                "seller": [self.sellers[j] for j in sj],
                "bid_quantity": q[bi, sj],
                "bid_price": p[bi, sj],
                "allocation": self.allocation[bi, sj],
                "payment": self.payments[bi, sj],
                "optimal_allocation": self.optimal_allocation[bi, sj],
            }
        )

    # ------------------------------------------------------------------ display
    def format(self) -> str:
        """A readable summary: headline numbers and the per-buyer table."""
        lines = [
            self._headline(),
            f"PSP {'route market' if self.market == 'route' else 'data exchange'} (method "
            f"{self.method}, {self.schedule}, tie break {self.tie_break}, epsilon "
            f"{self.epsilon:g}"
            + (f", split {self.split}" if self.split != "greedy" else "")
            + (f", remedy {self.remedy}" if self.remedy != "none" else "")
            + f"); benchmark {self.backend}/{self.solver}, {self.seconds:.3g} s",
            f"  status           {self.status.value} after {self.rounds} rounds "
            f"({self.messages} bids sent, {self.seller_steps} seller steps; cap "
            f"{self.max_iterations})",
            f"  welfare          {self.welfare:.6f}",
            f"  optimal welfare  {self.optimal_welfare:.6f}",
            f"  efficiency       {self.efficiency:.6f}  (loss {self.loss:.6g}"
            + (
                f"; complete-graph bound {self.loss_bound:.6g})"
                if self.loss_bound is not None
                else ")"
            ),
            f"  revenue          {float(np.sum(self.revenue)):.6f}",
            f"  competitive      {self._ratios_text()}",
            f"  clearing price   {self.clearing_price:.6f} (pooled);  "
            f"{'link' if self.market == 'route' else 'seller'} duals "
            + ", ".join(
                f"{s} {v:.4f}" for s, v in zip(self.sellers, self.optimal_prices, strict=True)
            ),
        ]
        chk = self.eps_nash
        if chk is None:
            lines.append("  2eps-Nash check  not run")
        else:
            lines.append(
                f"  2eps-Nash check  {'ok' if chk.ok else 'FAILED'} "
                f"(max gain {float(chk.max_violation):.3g} "
                f"{'<=' if chk.ok else '>'} {chk.tolerance:.3g}, "
                f"{chk.detail.get('checked', 0)} buyers checked)"
            )
        if self.method == "draft" and self.reserves is not None:
            lines.append(
                "  final reserves   "
                + ", ".join(
                    f"{s} {v:.4f}" for s, v in zip(self.sellers, self.reserves, strict=True)
                )
            )
            if self.isp_purchases is not None and np.any(self.isp_purchases > 0):
                lines.append(f"  bought from ISP  {float(np.sum(self.isp_purchases)):.4f}")
        if not self.feasible:
            lines.append("  WARNING: allocation exceeds supply (tie break 'strict')")
        lines += [f"  WARNING: {w}" for w in self.warnings]
        if self.advice:
            lines.append(f"  advice: {self.advice}")
        frame = self.to_frame()
        lines += [
            "",
            frame.head(50).to_string(index=False, float_format=lambda x: f"{x:.6g}"),
        ]
        if len(frame) > 50:
            lines.append(f"... {len(frame) - 50} more buyers")
        return "\n".join(lines)

    def _ratios_text(self) -> str:
        cr = self.competitive_ratio
        if not cr:
            return "not measured"
        out = [f"welfare {cr['welfare']:.6f}"]
        if cr.get("time") is not None:
            out.append(
                f"time {cr['time']:.4g} ({cr['rounds']} / {cr['pooled_rounds']} rounds pooled)"
            )
        if cr.get("time_route") is not None:
            out.append(f"time_route {cr['time_route']:.4g} ({cr['route_rounds']} rounds route)")
        return ", ".join(out)

    # ------------------------------------------------------------------ plots
    def plot(self, ax=None):
        """Convergence figure: efficiency W/W* and buyers updating per pass.

        ``ax``: a pair of matplotlib Axes to draw into (default: a new figure).

        >>> import datamech as dm, matplotlib.pyplot as plt
        >>> res = dm.solve(dm.load("examples/models/psp_cmhk_example.toml"))
        >>> fig = res.plot()
        >>> len(fig.axes)
        2
        >>> plt.close(fig)
        """
        from .plots import convergence_figure

        return convergence_figure(
            {self.epsilon: self}, optimum=self.optimal_welfare, efficiency=True, axes=ax
        )

    # ------------------------------------------------------------------ old names
    @property
    def tie_rule(self) -> str:
        """Deprecated: :attr:`tie_break`."""
        warnings.warn("'tie_rule' is deprecated; use 'tie_break'", DeprecationWarning, 2)
        return self.tie_break

    @property
    def mode(self) -> str:
        """Deprecated: ``"standard"`` or ``"draft"``; see :attr:`method`."""
        warnings.warn("'mode' is deprecated; use 'method'", DeprecationWarning, 2)
        return "draft" if self.method == "draft" else "standard"
