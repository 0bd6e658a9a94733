"""Closed forms for Example 3 with continuous i.i.d. regular types (Props 4-8, spec §2, §3.4).

Every rule here has the threshold form of Prop 4 (proof version, E2):

    h_i(v_i, v_j) = 1{v_j <= T(v_i)},  T(v) = max{v*, S^{-1}(s(v)/alpha)},

with s(v) = v (welfare, Prop 5) or s(v) = phi(v) (revenue, Prop 7, printed with the
index slip 1{V_i <= ...} fixed by E3), v* = F^{-1}(mu), and S^{-1} the generalized
inverse of s (spec §3.4: only G(y) := P(s(V) <= y) = F(S^{-1}(y)) is ever needed, which
avoids domain errors, E16').  Without obedience the max with v* is dropped (first best,
unconstrained virtual surplus).  With alpha = 0 the sup definition of E16 is used.

Consequences (each a [T] formula with the corrections noted):

* interim accuracy P[A_i = theta | V_i = v] = max{F(v*), G(s(v)/alpha)} (Prop 5);
* interim share pi~(v) = max{F(v*), G(s(v)/alpha)} + alpha 1{v > v*} G(alpha s(v)) - alpha
  (Prop 6 / unified Prop 8 form);
* K = mu - alpha (E7), payments p~(v) = v pi~(v) - K v_low - int_{v_low}^v pi~ (Eq. 4.2;
  E10: p~(v_low) = v_low (pi~(v_low) - K) need not be 0);
* revenue R = R-dagger - 2 v_low K (Lemma 3), welfare W = 2 E[V pi~(V)] (E25).

Examples
--------
>>> from datamech.models.distributions import Exponential
>>> M = ClosedFormMechanism(0.5, [0.5, 0.5], Exponential(1.0), "revenue")
>>> round(M.v_star, 6), round(M.v_tilde, 6), round(M.expected_revenue(), 6)
(0.693147, 0.846574, 0.632495)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from scipy import integrate, optimize

from ...errors import ModelError
from ...models.distributions import TypeDistribution
from ...models.infosale import InfoSaleModel
from ...progress import progress
from ...results import Certificate, Result
from ...status import Status
from .estimate import check_closed_form
from .results import InfoSaleFigures, interim_frame

RULES = ("welfare", "first-best", "revenue", "revenue-no-obedience")
CLOSED_FAMILIES = ("exponential", "uniform")  # continuous laws with closed-form S^{-1}


class ClosedFormMechanism:
    """The mechanism of Prop 5 / Prop 7 (or their unconstrained versions) for Example 3.

    Parameters
    ----------
    alpha : float in [0, 1]
        Competition intensity of Example 3.
    prior : sequence of two floats
        P[theta = 0], P[theta = 1].
    F : TypeDistribution
        Law of V_1, V_2 (i.i.d., E15) from :mod:`datamech.models.distributions`: an
        exponential (optionally shifted and truncated) or uniform law.
    rule : {"welfare", "first-best", "revenue", "revenue-no-obedience"}
        Second best (Prop 5), first best (no obedience), revenue optimum (Prop 7),
        unconstrained virtual-surplus maximizer.

    References
    ----------
    - A. Nouripour, "Selling Information in Competitive Environments", S.M. thesis, Department of
      Electrical Engineering and Computer Science, Massachusetts Institute of Technology, Cambridge,
      MA, September 2021.

    Examples
    --------
    >>> from datamech.models.distributions import Exponential
    >>> M = ClosedFormMechanism(2 / 3, [0.5, 0.5], Exponential(1.0), "welfare")
    >>> round(M.interim_share(0.3), 6), M.profile(0.1, 0.5), M.profile(2.0, 0.1)
    (-0.166667, 'rr', 'rw')
    """

    def __init__(self, alpha: float, prior, F: TypeDistribution, rule: str = "revenue"):
        if rule not in RULES:
            raise ModelError("rule", f"unknown rule {rule!r} (known: {', '.join(RULES)})")
        if not isinstance(F, TypeDistribution) or F.family not in CLOSED_FAMILIES:
            raise ModelError(
                "buyer.family", "closed forms need a continuous type distribution (E15)"
            )
        a = float(alpha)
        if not 0 <= a <= 1:
            raise ModelError("game.alpha", f"closed forms need alpha in [0, 1] (E24), got {alpha}")
        p = np.asarray(prior, dtype=float)
        if p.shape != (2,) or abs(p.sum() - 1) > 1e-9 or np.any(p < 0):
            raise ModelError("prior", "must be two probabilities summing to 1")
        self.alpha = a
        self.prior = p
        self.F = F
        self.rule = rule
        self.revenue_rule = rule.startswith("revenue")
        self.obedience = rule in ("welfare", "revenue")
        self.mu = float(p.max())
        self.low, self.high = F.support
        self.v_star = float(F.quantile(self.mu))
        self.K = self.mu - a  # E7
        s_low = self.score(self.low)
        self._s_high = self.score(self.high) if math.isfinite(self.high) else math.inf
        self.v0 = self.score_inverse(0.0) if self.revenue_rule else 0.0
        self.v_tilde = (
            self.score_inverse(a * self.score(self.v_star))
            if self.revenue_rule
            else a * self.v_star
        )
        self._s_low = s_low
        self._hi = self.high if math.isfinite(self.high) else float(F.quantile(1 - 1e-15))

    # -------------------------------------------------------------- pieces
    def score(self, v):
        """s(v): v for welfare rules, phi(v) for revenue rules."""
        return self.F.virtual_value(v) if self.revenue_rule else np.asarray(v, dtype=float) * 1.0

    def score_inverse(self, y: float) -> float:
        """S^{-1}(y) = sup{v in support : s(v) <= y} (-inf if empty), spec §3.4."""
        lo, hi = self.low, self.high
        if y < float(self.score(lo)):
            return -math.inf
        if math.isfinite(hi) and y >= float(self.score(hi)):
            return hi
        if not self.revenue_rule:
            return float(y)
        F = self.F
        if F.family == "uniform":
            return (y + hi) / 2
        if not math.isfinite(hi):  # exponential: phi(v) = v - 1/rate
            return y + 1 / float(F.rate)
        return float(optimize.brentq(lambda v: float(self.score(v)) - y, lo, hi, xtol=1e-14))

    def G(self, y: float) -> float:
        """P(s(V) <= y) = F(S^{-1}(y))."""
        if y == math.inf:
            return 1.0
        if y == -math.inf:
            return 0.0
        x = self.score_inverse(y)
        return 0.0 if x == -math.inf else float(self.F.cdf(x))

    def _own_part(self, v: float) -> float:
        # P[V_j <= S^{-1}(s(v)/alpha)]
        s = float(self.score(v))
        if self.alpha == 0:
            return 1.0 if s >= 0 else 0.0  # E16: sup definition
        return self.G(s / self.alpha)

    def _opp_below(self, v: float) -> float:
        # P[T(V_j) < v]: opponent's threshold excludes v
        if self.obedience and v <= self.v_star:
            return 0.0
        return self.G(self.alpha * float(self.score(v)))

    # -------------------------------------------------------------- the rule
    def threshold(self, v: float) -> float:
        """T(v): h_i = 1{v_j <= T(v_i)}."""
        s = float(self.score(v))
        if self.alpha == 0:
            t = math.inf if s >= 0 else -math.inf
        else:
            t = self.score_inverse(s / self.alpha) if s / self.alpha < self._s_high else math.inf
        return max(self.v_star, t) if self.obedience else t

    def accuracy(self, i: int, v1: float, v2: float) -> float:
        """h_i(v_1, v_2) in {0, 1}; boundaries recommend the correct action (E4)."""
        own, opp = (v1, v2) if i == 0 else (v2, v1)
        return 1.0 if opp <= self.threshold(own) else 0.0

    def profile(self, v1: float, v2: float) -> str:
        """'rr' | 'rw' | 'wr' | 'ww' at (v_1, v_2)."""
        return ("r" if self.accuracy(0, v1, v2) else "w") + (
            "r" if self.accuracy(1, v1, v2) else "w"
        )

    def recommendation(self, theta: int, v1: float, v2: float) -> dict:
        """{(a_1, a_2): probability} (Lemma 1; deterministic here)."""
        a1 = theta if self.accuracy(0, v1, v2) else 1 - theta
        a2 = theta if self.accuracy(1, v1, v2) else 1 - theta
        return {(a1, a2): 1.0}

    def interim_accuracy(self, v: float) -> float:
        """P[A_i = theta | V_i = v] = max{F(v*), G(s(v)/alpha)} (Prop 5 / Prop 7)."""
        own = self._own_part(v)
        return max(self.mu, own) if self.obedience else own

    def obedience_slack(self, v: float) -> float:
        """interim accuracy - mu (Prop 3: obedient iff >= 0)."""
        return self.interim_accuracy(v) - self.mu

    def interim_share(self, v: float) -> float:
        """pi~(v) = accuracy(v) - alpha (1 - P[T(V_j) < v]) (Props 6, 8)."""
        return self.interim_accuracy(v) - self.alpha * (1 - self._opp_below(v))

    def _breaks(self) -> list[float]:
        pts = {self.v_star, self.v_tilde, self.v0, self.alpha * self.v_star}
        if self.alpha > 0:
            for y in (self._s_low * self.alpha, self._s_low / self.alpha, 0.0):
                pts.add(self.score_inverse(y))
            if math.isfinite(self._s_high):
                pts.add(self.score_inverse(self._s_high * self.alpha))
        return sorted(p for p in pts if math.isfinite(p) and self.low < p < self._hi)

    def _integrate(self, g, a: float | None = None, b: float | None = None) -> float:
        a = self.low if a is None else a
        b = self._hi if b is None else min(b, self._hi)
        if b <= a:
            return 0.0
        pts = [a] + [p for p in self._breaks() if a < p < b] + [b]
        total = 0.0
        for lo, hi in zip(pts[:-1], pts[1:], strict=True):
            val, _ = integrate.quad(g, lo, hi, limit=200, epsabs=1e-13, epsrel=1e-12)
            total += val
        return total

    def participation_shift(self) -> float:
        """min_v [u~(v) - v K] under Eq. (4.2)'s payments (<= 0; 0 when pi~ >= K).

        With obedience pi~ >= K (Lemma 3) and this is 0.  Without obedience (first best,
        unconstrained virtual surplus) pi~ < K near the bottom is possible; participation
        then binds where pi~ crosses K and every payment drops by this amount.
        """
        if "shift" not in self.__dict__:
            f = lambda v: self.interim_share(v) - self.K  # noqa: E731
            if f(self.low) >= 0:
                self.__dict__["shift"] = 0.0
            else:
                lo, hi = self.low, self._hi
                for _ in range(200):
                    mid = 0.5 * (lo + hi)
                    lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)
                self.__dict__["shift"] = self._integrate(f, self.low, hi)
        return self.__dict__["shift"]

    def interim_payment(self, v: float, bottom: str = "revenue") -> float:
        """p~(v) by Eq. (4.2) (``bottom="revenue"``) or with p~(v_low) = 0 (``"zero"``, E18).

        ``"revenue"`` is the highest truthful payment level that keeps participation
        (Eq. (4.2) plus :meth:`participation_shift`, which is 0 for obedient rules).
        """
        base = (
            self.low * (self.interim_share(self.low) - self.K) + self.participation_shift()
            if bottom == "revenue"
            else 0.0
        )
        integral = self._integrate(self.interim_share, self.low, v)
        return v * self.interim_share(v) - self.low * self.interim_share(self.low) + base - integral

    def interim_utility(self, v: float) -> float:
        """v pi~(v) - p~(v)."""
        return v * self.interim_share(v) - self.interim_payment(v)

    # -------------------------------------------------------------- aggregates
    def _f(self, v):
        return float(self.F.pdf(v))

    def expected_accuracy(self) -> float:
        """P[A_i = theta]."""
        return self._integrate(lambda v: self.interim_accuracy(v) * self._f(v))

    def expected_welfare(self) -> float:
        """W = 2 E[V pi~(V)] (§4.2)."""
        return 2 * self._integrate(lambda v: v * self.interim_share(v) * self._f(v))

    def virtual_surplus(self) -> float:
        """R-dagger = 2 E[phi(V) pi~(V)] (§4.3)."""
        phi = self.F.virtual_value
        return 2 * self._integrate(lambda v: float(phi(v)) * self.interim_share(v) * self._f(v))

    def expected_revenue(self) -> float:
        """R = R-dagger - 2 v_low K (Lemma 3 with the optimal bottom payment of Eq. 4.2).

        For rules without obedience the participation shift is added (2 x
        :meth:`participation_shift`); the unconstrained virtual-surplus rule is then
        *not* the revenue optimum, which only the LP gives.
        """
        return self.virtual_surplus() - 2 * self.low * self.K + 2 * self.participation_shift()

    def region_probabilities(self) -> dict[str, float]:
        """P(rr), P(rw), P(wr), P(ww) (symmetric: rw = wr)."""

        def rw(v):
            if self.obedience and v <= self.v_star:
                return 0.0
            return min(
                self.interim_accuracy(v), self.G(self.alpha * float(self.score(v)))
            ) * self._f(v)

        p_rw = self._integrate(rw)
        acc = self.expected_accuracy()
        p_rr = acc - p_rw
        return {"rr": p_rr, "rw": p_rw, "wr": p_rw, "ww": 1 - p_rr - 2 * p_rw}

    def certify(self, tol: float = 1e-9, points: int = 200) -> Certificate:
        """Obedience (Prop 3), monotone pi~ (Prop 2) and IR (pi~ >= K) on a grid of types.

        Returns the shared :class:`~datamech.results.Certificate`: ``max_violation`` is
        the largest of mu - accuracy (obedient rules), the largest decrease of pi~
        between grid points and K - pi~; ``detail`` has each condition's verdict and
        violation.

        >>> from datamech.models.distributions import Exponential
        >>> c = ClosedFormMechanism(0.5, [0.5, 0.5], Exponential(1.0), "revenue").certify()
        >>> c.ok, c.detail["obedience"], c.method
        (True, True, 'closed-form rule on 200 types in [0, 34.5396]')
        """
        vs = np.linspace(self.low, self._hi, points)
        acc = np.array([self.interim_accuracy(v) for v in vs])
        share = np.array([self.interim_share(v) for v in vs])
        worst = {
            "obedience": float(np.max(self.mu - acc)) if self.obedience else 0.0,
            "monotone": float(np.max(-np.diff(share), initial=0.0)),
            "participation": float(np.max(self.K - share)),
        }
        detail: dict = {k: bool(v <= tol) for k, v in worst.items()}
        detail.update({f"{k}_violation": max(v, 0.0) for k, v in worst.items()})
        violation = max(max(worst.values()), 0.0)
        return Certificate(
            ok=violation <= tol,
            max_violation=violation,
            tolerance=tol,
            method=f"closed-form rule on {points} types in [{self.low:g}, {self._hi:g}]",
            detail=detail,
        )

    def verify(self, tol: float = 1e-9, points: int = 200) -> dict[str, bool]:
        """Each condition of :meth:`certify` as a boolean (obedience, monotone, participation)."""
        detail = self.certify(tol, points).detail
        return {k: detail[k] for k in ("obedience", "monotone", "participation")}


# ---------------------------------------------------------------------- Exp(1) formulas
def exponential_closed_forms(alpha: float, mu: float = 0.5) -> dict[str, float]:
    """Spec §4.1 item 9 [D]: Exp(1) i.i.d., mu in [1/2, 1), alpha in (0, 1].

    With c = (1 - mu)^{1+alpha}/(1 + alpha) and v* = -ln(1 - mu):
    R = 2 alpha v*(1-mu) + 2 e^{alpha-1} c; W_2 = 2(1-alpha)mu + 2 alpha v*(1-mu) + 2c;
    W_R = 2(1-alpha)mu + 2 alpha v*(1-mu) + 2(2-alpha) e^{alpha-1} c;
    R_2 = 2 alpha v*(1-mu) + 2 alpha c; W_1 = 2/(1+alpha); and the region laws.

    References
    ----------
    - A. Nouripour, "Selling Information in Competitive Environments", S.M. thesis, Department of
      Electrical Engineering and Computer Science, Massachusetts Institute of Technology, Cambridge,
      MA, September 2021.

    Examples
    --------
    >>> d = exponential_closed_forms(1.0)
    >>> round(d["R"], 6), round(d["W_2"], 6)
    (0.943147, 0.943147)
    """
    a, m = float(alpha), float(mu)
    vs = -math.log(1 - m)
    c = (1 - m) ** (1 + a) / (1 + a)
    e = math.exp(a - 1)
    acc_rev = m + e * c
    p_rr_rev = m**2 + math.exp(-2) * (1 - a) / (1 + a) if vs <= 1 else 2 * acc_rev - 1
    return {
        "v_star": vs,
        "v_tilde": 1 + a * (vs - 1),
        "v0": 1.0,
        "K": m - a,
        "R": 2 * a * vs * (1 - m) + 2 * e * c,
        "W_2": 2 * (1 - a) * m + 2 * a * vs * (1 - m) + 2 * c,
        "W_R": 2 * (1 - a) * m + 2 * a * vs * (1 - m) + 2 * (2 - a) * e * c,
        "R_2": 2 * a * vs * (1 - m) + 2 * a * c,
        "W_1": 2 / (1 + a),
        "virtual_surplus_no_obedience": 2 * e / (1 + a),
        "accuracy_rev": acc_rev,
        "accuracy_rev_no_obedience": e / (1 + a),
        "P_rr_rev": p_rr_rev,
        "P_ww_rev": 1 - 2 * acc_rev + p_rr_rev,
        "P_rw_rev": acc_rev - p_rr_rev,
        "P_rr_rev_no_obedience": math.exp(-2) * (1 - a) / (1 + a),
        "P_rw_2nd": (1 - m) - c,
        "P_ww_2nd": 0.0,
        "P_rw_1st": a / (1 + a),
    }


# ---------------------------------------------------------------------- result
@dataclass(frozen=True, repr=False)
class ClosedFormResult(InfoSaleFigures, Result):
    """The closed-form mechanism of a model, evaluated (same headline keys as the LP).

    ``status`` is ``evaluated`` (a closed form, nothing optimized numerically),
    ``method`` ``closed-form``, ``backend`` and ``solver`` ``none``; the headline
    ``value`` is the revenue or the welfare, as the objective says
    (``objective_name``).  The aggregates are integrals of the continuous law
    (adaptive quadrature to 1e-12); ``type_values`` are the model's grid values, where
    the interim tables are evaluated (both buyers share F).  ``mechanism`` is the
    :class:`ClosedFormMechanism` itself (not in ``to_dict``).

    References
    ----------
    - A. Nouripour, "Selling Information in Competitive Environments", S.M. thesis, Department of
      Electrical Engineering and Computer Science, Massachusetts Institute of Technology, Cambridge,
      MA, September 2021.

    Examples
    --------
    >>> from datamech.models.infosale import create
    >>> res = solve_closed_form(create("competition", alpha=0.5, cells=10))
    >>> res.status, res.objective_name, round(res.objective, 6)
    (<Status.EVALUATED: 'evaluated'>, 'revenue', 0.632495)
    """

    status: Status
    method: str
    objective_kind: str
    rule: str
    value: float
    revenue: float
    welfare: float
    virtual_surplus: float
    region_probabilities: dict
    accuracy: list
    outside_option: list
    thresholds: dict
    type_values: list
    type_probs: list
    interim_share: list
    interim_payment: list
    interim_utility: list
    interim_accuracy: list
    backend: str
    solver: str
    seconds: float
    parameters: dict
    mechanism: ClosedFormMechanism | None = field(default=None, compare=False)

    _objective_field = "value"
    _skip_fields = ("mechanism",)

    @property
    def objective_name(self) -> str:
        """The objective's kind: ``revenue`` or ``welfare``."""
        return self.objective_kind

    @property
    def _summary_fields(self) -> tuple[str, ...]:
        return tuple(k for k in ("revenue", "welfare") if k != self.objective_kind)

    def to_frame(self):
        """The interim table at the grid values: one row per (buyer, type cell)."""
        return interim_frame(
            self.type_values,
            self.type_probs,
            self.interim_share,
            self.interim_payment,
            self.interim_utility,
            self.interim_accuracy,
        )

    def format(self) -> str:
        th = ", ".join(f"{k}={v:.6g}" for k, v in self.thresholds.items())
        regs = "  ".join(f"{k}={v:.6f}" for k, v in self.region_probabilities.items())
        frame = self.to_frame()
        frame = frame[frame["buyer"] == 1]
        lines = [
            self._headline(),
            f"infosale closed form ({self.rule}): {self.parameters.get('game')}, "
            f"objective {self.objective_kind}",
            f"status {self.status}, {self.seconds * 1e3:.1f} ms",
            f"value            {self.value:.6f}",
            f"revenue          {self.revenue:.6f}",
            f"welfare          {self.welfare:.6f}",
            f"virtual surplus  {self.virtual_surplus:.6f}",
            f"thresholds       {th}",
            f"regions          {regs}",
            "",
            "interim table (buyer 1; buyer 2 is the same)",
            frame.iloc[:: max(1, len(frame) // 20)].to_string(
                index=False, float_format=lambda x: f"{x:.6g}"
            ),
        ]
        return "\n".join(lines)


def mechanism_for(model: InfoSaleModel) -> ClosedFormMechanism:
    """The closed-form mechanism matching a model's objective and obedience switch.

    References
    ----------
    - A. Nouripour, "Selling Information in Competitive Environments", S.M. thesis, Department of
      Electrical Engineering and Computer Science, Massachusetts Institute of Technology, Cambridge,
      MA, September 2021.
    """
    g = model.game
    if g.preset != "competition":
        raise ModelError(
            "solver.method", "closed forms exist for the Example 3 game ('competition')"
        )
    F = model.types[0]
    if any(t.params() != F.params() for t in model.types):
        raise ModelError("buyers", "closed forms need identically distributed types (E15)")
    kind = model.objective.kind
    if kind == "welfare":
        rule = "welfare" if model.constraints.obedience else "first-best"
    elif kind == "revenue":
        rule = "revenue" if model.constraints.obedience else "revenue-no-obedience"
    else:
        raise ModelError("solver.method", "closed forms cover the revenue and welfare objectives")
    if rule == "revenue-no-obedience":
        raise ModelError(
            "constraints.obedience",
            "no closed form for revenue without obedience: Lemma 3 needs pi~ >= K, which "
            "obedience guarantees; use method 'lp'",
        )
    c = model.constraints
    if c.outside_option is not None:
        raise ModelError(
            "constraints.outside_option",
            "the closed forms use the worst-case outside option K = mu - alpha (E7); "
            "use method 'lp'",
        )
    if kind == "revenue" and (c.truthfulness == "off" or not c.participation):
        raise ModelError(
            "solver.method",
            "the revenue closed form assumes truthfulness and participation (Lemma 3, "
            "Prop 7); use method 'lp'",
        )
    return ClosedFormMechanism(g.alpha, model.prior, F, rule)


def solve_closed_form(model: InfoSaleModel) -> ClosedFormResult:
    """Evaluate the closed form of a model (Props 5-8) on its type grid.

    References
    ----------
    - A. Nouripour, "Selling Information in Competitive Environments", S.M. thesis, Department of
      Electrical Engineering and Computer Science, Massachusetts Institute of Technology, Cambridge,
      MA, September 2021.

    Examples
    --------
    >>> from datamech.models.infosale import create
    >>> res = solve_closed_form(create("competition", alpha=0.25, cells=10))
    >>> round(res.revenue, 6), round(res.region_probabilities["ww"], 6)
    (0.491056, 0.013432)
    """
    t0 = time.perf_counter()
    M = mechanism_for(model)
    check_closed_form(model)
    v, q = model.type_grid(0)
    share, pay, acc = (np.empty(v.size) for _ in range(3))
    for k in progress(range(v.size), desc="closed-form interim tables", min_total=500):
        share[k] = M.interim_share(v[k])
        pay[k] = M.interim_payment(v[k])
        acc[k] = M.interim_accuracy(v[k])
    revenue = M.expected_revenue()
    welfare = M.expected_welfare()
    vs = M.virtual_surplus()
    regions = M.region_probabilities()
    value = revenue if model.objective.kind == "revenue" else welfare
    thresholds = {"v_star": M.v_star, "v0": M.v0, "v_tilde": M.v_tilde}
    g = model.game
    return ClosedFormResult(
        status=Status.EVALUATED,
        method="closed-form",
        objective_kind=model.objective.kind,
        rule=M.rule,
        value=value,
        revenue=revenue,
        welfare=welfare,
        virtual_surplus=vs,
        region_probabilities=regions,
        accuracy=[M.expected_accuracy()] * 2,
        outside_option=[M.K, M.K],
        thresholds=thresholds,
        type_values=[v, v],
        type_probs=[q, q],
        interim_share=[share, share],
        interim_payment=[pay, pay],
        interim_utility=[v * share - pay] * 2,
        interim_accuracy=[acc, acc],
        backend="none",
        solver="none",
        seconds=time.perf_counter() - t0,
        parameters={
            "game": g.label,
            "alpha": g.alpha,
            "prior": model.prior.tolist(),
            "cells": [int(v.size)] * 2,
            "actions": [2, 2],
            "scheme": model.scheme,
        },
        mechanism=M,
    )
