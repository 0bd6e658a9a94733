"""Interim tables of the offline optimum: per buyer and type, E[x | v] and E[p | v].

For buyer i of type v_j with r_j = r_i(v_j) > 0, Theorem 2.2 gives
z_i = x_i^alpha = ((alpha/c)(r_j + S_-i))^{k-1} and x_i = ((alpha/c)(r_j + S_-i))^k with
S_-i the sum of the others' r.  Their expectations over the others need only the law of
S_-i:

* integer k: the binomial expansion in the moments E[S_-i^l], l <= k (exact rationals
  for exact tables; quadrature nodes for continuous others): linear in the types, so a
  law with 10^5 types gets its table in well under a second;
* otherwise: the law of S_-i by convolution (discrete others), when it is small enough.

The interim payment follows from the discrete payment rule of Remark 2.1, which is
linear in z for fixed v_-i: E[p | v_j] = sum_{l <= j} v_l (Z_l - Z_{l-1}) with
Z_l = E[z | v_l].  Under Theorem A.1 (general h) the table is computed by enumerating the
profiles.

>>> from fractions import Fraction as Fr
>>> from datamech.models.distributions import Discrete
>>> from datamech.solvers.scaling.offline import OfflineMechanism
>>> b = Discrete([1, 2, 3], [Fr(3, 5), Fr(1, 10), Fr(3, 10)])  # irregular: types 1, 2 are ironed
>>> t = interim_tables(OfflineMechanism([b, b], Fr(1, 2), 1))[0]
>>> [str(x) for x in t["z"]], [str(x) for x in t["p"]]
(['4/7', '4/7', '2'], ['4/7', '4/7', '34/7'])
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from ..common import discrete_payments
from .checks import MAX_PROFILES
from .mechanism import MAX_CONVOLUTION, convolution_atoms
from .quadrature import conv_moments, law_nodes

__all__ = ["interim_tables"]

COLUMNS = ("v", "prob", "r", "phi", "z", "x", "p")
#: largest types x sums of the convolution path (non-integer k): a few seconds
MAX_TABLE_WORK = 20_000_000
CHUNK = 1_000_000  #: floats per block of that computation
#: tables of exact laws are kept in rationals up to this many types per buyer (beyond,
#: in floats: the headline OFFL stays exact, the tables are for reading and plotting)
MAX_EXACT_TYPES = 2_000


def interim_tables(mech: Any) -> list[dict[str, Any]] | None:
    """One table per buyer (``None`` entries for continuous buyers), or ``None`` when the
    tables cannot be computed cheaply (see the module docstring).

    Each table maps the :data:`COLUMNS` to lists over the buyer's types: ``v``,
    ``prob``, ``r`` = (phi^ir)_+, ``phi`` (the ironed virtual value), ``z`` =
    E[x^alpha | v], ``x`` = E[x | v] and ``p`` = E[p | v].

    References
    ----------
    * X. Deng, Y. Guan, N. Li, Z. Wang, X. Wu and J. Zhang, "Selling Data as a Digital
      Good with Scaling Valuations", ICLR 2026 AIMS Workshop, 2026.
    * R. B. Myerson, "Optimal Auction Design", Mathematics of Operations Research 6(1),
      58-73, 1981.
    """
    dists = mech.dists
    if not any(d.discrete for d in dists):
        return None
    if mech.h is not None:
        sizes = [len(d.values) if d.discrete else math.inf for d in dists]
        if math.prod(sizes) > MAX_PROFILES:
            return None
        return [_enumerated(mech, i) for i in range(len(dists))]
    laws = mech.r_laws()
    out: list[dict[str, Any] | None] = []
    for i, d in enumerate(dists):
        if not d.discrete:
            out.append(None)
            continue
        others = laws[:i] + laws[i + 1 :]
        zx = _moment_tables(mech, d, others) if mech.kint is not None else None
        if zx is None:
            zx = _convolution_tables(mech, d, others)
        if zx is None:
            return None
        out.append(_table(d, *zx))
    return out  # type: ignore[return-value]


def _table(d: Any, r: list[Any], z: list[Any], x: list[Any]) -> dict[str, Any]:
    values = list(d.values)
    p = discrete_payments(values, z)
    phi = list(np.asarray(d.ironed_virtual_value(d.values)).ravel())
    return {"v": values, "prob": list(d.probs), "r": r, "phi": phi, "z": z, "x": x, "p": p}


def _moment_tables(mech: Any, d: Any, others: list[Any]) -> tuple[list, list, list]:
    """(r, z, x) per type by the binomial expansion in the moments of S_-i (integer k)."""
    k = mech.kint
    exact = mech.exact and len(d.values) <= MAX_EXACT_TYPES
    nodes = [law_nodes(law) for law in others]
    if not exact:
        nodes = [(np.asarray(v, dtype=float), np.asarray(w, dtype=float)) for v, w in nodes]
    M = conv_moments(nodes, k)  # E[S_-i^l], l = 0..k
    ratio = mech.ratio
    rs = list(np.asarray(d.r(d.values)).ravel())
    if exact:
        z, x = [], []
        for r in rs:
            if r <= 0:
                z.append(0 * ratio)
                x.append(0 * ratio)
                continue
            z.append(ratio ** (k - 1) * _binomial(r, M, k - 1))
            x.append(ratio**k * _binomial(r, M, k))
        return rs, z, x
    r = np.asarray(rs, dtype=float)
    ratio = float(ratio)
    Mf = np.asarray(M, dtype=float)
    z = np.zeros(len(r))
    x = np.zeros(len(r))
    for e, out in ((k - 1, z), (k, x)):
        acc = np.zeros(len(r))
        for l in range(e + 1):
            acc += math.comb(e, l) * r ** (e - l) * Mf[l]
        out[:] = np.where(r > 0, ratio**e * acc, 0.0)
    return r.tolist(), z.tolist(), x.tolist()


def _binomial(r: Any, M: list[Any], e: int) -> Any:
    """E[(r + S)^e] from the moments M[l] = E[S^l]."""
    return sum(math.comb(e, l) * r ** (e - l) * M[l] for l in range(e + 1))


def _convolution_tables(mech: Any, d: Any, others: list[Any]) -> tuple[list, list, list] | None:
    """(r, z, x) per type by the law of S_-i (discrete others, any k), or ``None`` when
    the others are continuous or types x sums exceed :data:`MAX_TABLE_WORK`."""
    if not all(law.is_discrete for law in others):
        return None
    J = len(d.values)
    atoms = convolution_atoms(others) if others else 1
    if atoms > MAX_CONVOLUTION or J * atoms > MAX_TABLE_WORK:
        return None
    law = mech.sum_law(others) if others else {0.0: 1.0}
    s = np.fromiter((float(v) for v in law), dtype=float, count=len(law))
    ps = np.fromiter((float(p) for p in law.values()), dtype=float, count=len(law))
    r = np.asarray(d.r(np.asarray(d.values, dtype=float)), dtype=float).ravel()
    k, ratio = float(mech.k), float(mech.ratio)
    z, x = np.zeros(J), np.zeros(J)
    rows = max(1, CHUNK // len(s))  # bounded memory: CHUNK floats per block
    for a in range(0, J, rows):
        level = ratio * (r[a : a + rows, None] + s[None, :])
        z[a : a + rows] = (level ** (k - 1)) @ ps
        x[a : a + rows] = (level**k) @ ps
    z, x = np.where(r > 0, z, 0.0), np.where(r > 0, x, 0.0)
    return r.tolist(), z.tolist(), x.tolist()


def _enumerated(mech: Any, i: int) -> dict[str, Any] | None:
    """Buyer i's interim table by enumerating the others' profiles (Theorem A.1)."""
    dists = mech.dists
    if not dists[i].discrete:
        return None
    z, x, r = [], [], []
    for j, vi in enumerate(dists[i].values):
        ez = ex = 0
        others = [range(len(d.values)) if k != i else [j] for k, d in enumerate(dists)]
        for idx in itertools.product(*others):
            v = [d.values[t] for d, t in zip(dists, idx, strict=True)]
            pr = math.prod(
                d.probs[t] for k, (d, t) in enumerate(zip(dists, idx, strict=True)) if k != i
            )
            _, xs = mech.allocate(v)
            ex += pr * xs[i]
            ez += pr * mech.z_of(i, mech.r(v))
        z.append(ez)
        x.append(ex)
        r.append(dists[i].r(vi))
    return _table(dists[i], r, z, x)
