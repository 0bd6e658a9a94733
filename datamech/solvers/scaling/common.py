"""What the offline and online solvers of the scaling-law family share (Deng et al.).

Parameter checks (``alpha`` in (0, 1), ``cost`` > 0), the exponent k = 1/(1-alpha),
exact powers, the profit estimate returned by every expected-profit method, type
profiles of discrete buyers, the cvxpy solve used by the family's convex programs
(P-AMD, P-VV, the scenario tree), the floating-point range check and the guard that
turns a numerical overflow into a :class:`~datamech.errors.SolverError`.

>>> integer_k(Fraction(2, 3)), integer_k(0.5), pw(Fraction(0), 2), pw(Fraction(4), Fraction(1, 2))
(3, None, Fraction(0, 1), 2.0)
"""

from __future__ import annotations

import contextlib
import itertools
import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ...backends import solve_cvxpy
from ...errors import ModelError, SolverError
from ...models.scaling import check_alpha_cost, check_cost
from ...numeric import fmt
from ...results import ResultMixin
from ...status import Status

__all__ = [
    "CLARABEL_TIGHT",
    "LOG10_FLOAT_MAX",
    "ProfitEstimate",
    "check_alpha_cost",
    "check_cost",
    "check_float_range",
    "discrete_payments",
    "integer_k",
    "log10_production",
    "numerical_guard",
    "profile_data",
    "pw",
    "solve_program",
]

#: Clarabel's default tolerances (1e-8) leave payments accurate to ~1e-5; these give ~1e-7.
CLARABEL_TIGHT = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10}
#: log10 of the largest level the float computations accept (the largest float is 1.8e308;
#: profits multiply levels by types, so keep a margin).
LOG10_FLOAT_MAX = 250.0


def integer_k(alpha: Any) -> int | None:
    """k = 1/(1-alpha) when ``alpha`` is an exact rational with integer k, else ``None``."""
    if not isinstance(alpha, Fraction):
        return None
    k = 1 / (1 - alpha)
    return int(k) if k.denominator == 1 else None


def pw(x: Any, e: Any) -> Any:
    """x^e with 0^e = 0 for e > 0 (and 0^0 = 1), exact for Fractions and integer e.

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    """
    if x == 0:
        return x * 0 + (1 if e == 0 else 0)
    return x**e


def discrete_payments(values: Sequence[Any], z: Sequence[Any]) -> list[Any]:
    """Payments of the discrete payment rule (Remark 2.1; spec §3.5 online) for types
    ``values`` v_1 < ... < v_J with allocations ``z`` (z = x^alpha) by type:
    p_j = sum_{l <= j} v_l (z_l - z_{l-1}), z_0 = 0; exact for exact entries.

    >>> discrete_payments([1, 2, 3], [Fraction(4, 7), Fraction(4, 7), Fraction(2)])
    [Fraction(4, 7), Fraction(4, 7), Fraction(34, 7)]
    """
    out: list[Any] = []
    acc = prev = 0 * z[0] if len(z) else 0
    for v, zl in zip(values, z, strict=True):
        acc = acc + v * (zl - prev)
        prev = zl
        out.append(acc)
    return out


@dataclass(frozen=True, repr=False)
class ProfitEstimate(ResultMixin):
    """An expected profit (OFFL, ONL or ALG) and how it was obtained.

    ``value`` (a Fraction when exact), ``stderr`` (Monte Carlo standard error, 0 when
    deterministic), ``method`` (``exact`` | ``quad`` | ``grid`` | ``mc``), ``samples``
    (Monte Carlo draws) and ``abserr`` (the quadrature or grid error estimate, 0 for
    exact and Monte Carlo values).

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    """

    value: Any
    stderr: float
    method: str
    samples: int = 0
    abserr: float = 0.0
    _summary_fields = ("value", "method", "abserr", "stderr")

    def __repr__(self) -> str:
        return (
            f"ProfitEstimate(value={self.value!r}, method={self.method!r}, "
            f"abserr={fmt(self.abserr)}, stderr={fmt(self.stderr)})"
        )


def profile_data(dists: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """(idx, prob) over all type profiles of discrete buyers: ``idx[i, t]`` is buyer i's
    type index in profile t (row-major order), ``prob[t]`` the profile's probability.

    >>> from datamech.models.distributions import Discrete
    >>> idx, prob = profile_data([Discrete([1, 2], [0.5, 0.5]), Discrete([3], [1.0])])
    >>> idx.tolist(), prob.tolist()
    ([[0, 1], [0, 0]], [0.5, 0.5])
    """
    sizes = [len(d.values) for d in dists]
    idx = np.array(list(itertools.product(*(range(m) for m in sizes))), dtype=int).T
    idx = idx.reshape(len(dists), -1)
    prob = np.ones(idx.shape[1])
    for i, d in enumerate(dists):
        prob *= np.asarray(d.probs, dtype=float)[idx[i]]
    return idx, prob


def solve_program(
    problem: Any,
    solver: str,
    *,
    what: str,
    time_limit: float | None = None,
    options: dict[str, Any] | None = None,
) -> Status:
    """Solve one of the family's cvxpy programs through :func:`datamech.backends.solve_cvxpy`.

    With Clarabel and no ``options``, the tolerances go down a ladder: 1e-10
    (:data:`CLARABEL_TIGHT`), then 1e-9, then Clarabel's defaults (1e-8); the first run
    that ends ``optimal`` is kept.  Every run is a fresh solve (a warm-started Clarabel
    would keep the previous settings).  The last run's status follows the one policy
    for inaccurate solves (a ``RuntimeWarning`` and ``optimal_inaccurate``); cvxpy's own
    "Solution may be inaccurate" ``UserWarning`` is replaced by that warning.
    """
    if options is not None or solver != "CLARABEL":
        ladder = [dict(options or {})]
    else:
        ladder = [
            {**CLARABEL_TIGHT, "warm_start": False},
            {key: 1e-9 for key in CLARABEL_TIGHT} | {"warm_start": False},
            {"warm_start": False},
        ]
    for opts in ladder[:-1]:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a run short of optimal is retried
                status = solve_cvxpy(problem, solver, what=what, time_limit=time_limit, **opts)
            if status is Status.OPTIMAL:
                return status
        except SolverError:
            pass
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Solution may be inaccurate", UserWarning)
        return solve_cvxpy(problem, solver, what=what, time_limit=time_limit, **ladder[-1])


def check_float_range(log10_level: float, field: str, what: str) -> None:
    """Refuse a model whose float computations would overflow.

    ``log10_level`` is log10 of the largest quantity the solver will form in floats
    (a production level ((alpha/c) sum r)^k, a profit); beyond :data:`LOG10_FLOAT_MAX`
    the model is refused with ``ModelError(field, ...)``.

    >>> check_float_range(616.0, "buyers", "production levels ((alpha/c) sum r)^k")
    Traceback (most recent call last):
    ...
    datamech.errors.ModelError: buyers: production levels ((alpha/c) sum r)^k reach about 1e616, beyond the float range (1.8e308) the results are reported in; rescale the types or the cost (levels up to 1e250)
    """
    if not log10_level <= LOG10_FLOAT_MAX:  # also NaN
        shown = (
            "an unbounded size" if not math.isfinite(log10_level) else f"about 1e{log10_level:.0f}"
        )
        raise ModelError(
            field,
            f"{what} reach {shown}, beyond the float range (1.8e308) the results are "
            f"reported in; rescale the types or the cost (levels up to 1e{LOG10_FLOAT_MAX:.0f})",
        )


def log10_production(laws: Sequence[Any], k: Any, ratio: Any, tail: float = 1e-12) -> float:
    """log10 of the largest production ((alpha/c) sum_i sup r_i)^k a solve can form
    (``ratio`` = alpha/c; an unbounded law of r contributes its 1 - ``tail`` quantile).

    >>> from datamech.models.distributions import Uniform
    >>> round(log10_production([Uniform(0, 10).r_law()] * 2, 2, 0.5), 6)   # (20/2)^2
    2.0
    """
    sup = 0.0
    for law in laws:
        if law.is_discrete:
            sup += max((float(x) for x in law.values), default=0.0)
        else:
            sup += float(np.asarray(law.quantile(1 - tail)))
    if not sup > 0:
        return 0.0 if sup == 0 else math.inf
    return float(k) * math.log10(float(ratio) * sup)


@contextlib.contextmanager
def numerical_guard(what: str) -> Iterator[None]:
    """Turn a floating-point overflow inside the block into ``SolverError(solver_error)``.

    A model within every documented range can still drive a float computation out of
    range (e.g. alpha close to 1 makes k = 1/(1-alpha) large); the user then gets one
    line with the status instead of a traceback.

    >>> with numerical_guard("the demo"):
    ...     math.exp(1000)
    Traceback (most recent call last):
    ...
    datamech.errors.SolverError: solver status 'solver_error': the demo overflowed floating point (math range error); rescale the types or the cost
    """
    try:
        yield
    except (OverflowError, FloatingPointError) as exc:
        raise SolverError(
            Status.SOLVER_ERROR,
            f"{what} overflowed floating point ({exc.args[-1] if exc.args else exc}); "
            "rescale the types or the cost",
        ) from None
