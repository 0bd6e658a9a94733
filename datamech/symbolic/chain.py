"""Symbolic checks for the resale chain with profit reallocation (seed 000).

Each check confirms one statement of the paper, ties it to datamech's own code where the
statement is about something the code computes, and is registered in family ``chain``:

* ``chain.tbds_budget_balance``: TBDS(alpha) rows sum to 1 (Section 2.2, Def 2.5).
* ``chain.tbds_past_only`` / ``chain.ave_past_only``: t_ij = 0 for j >= i (Def 2.6).
* ``chain.ave_budget_balance``: AVE rows sum to 1 (Def 2.5).
* ``chain.price_homogeneity``: scaling the whole chain by c > 0 scales the gains of
  Eq. (8), thresholds and prices of Eq. (9) by c (the argument of Lemmas C.2-C.4).
* ``chain.lemma_c2_geometric_grid``: Lemma C.2 (1)-(3) inside one model on a geometric
  grid, away from the grid's boundary.

The module also offers the paper's mechanism formulas as sympy matrices
(:func:`tbds_symbolic`, :func:`ave_symbolic`) and a tiny symbolic equilibrium solver
(:func:`symbolic_equilibrium`) that evaluates Eq. (8) by enumerating valuation paths.

Examples
--------
>>> tbds_symbolic(2)
Matrix([
[    1,         0, 0],
[alpha, 1 - alpha, 0]])
>>> from datamech.symbolic import run_checks
>>> run_checks(["chain.tbds_budget_balance"])[0].passed
True
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from ..expressions import as_sympy
from ..models.chain import (
    ave_matrix,
    check_reallocation,
    create,
    five_neighbour,
    tbds_matrix,
)
from .registry import register

FAMILY = "chain"

ALPHA = sp.Symbol("alpha")
"""The TBDS parameter alpha (no assumptions: sympy must not divide by it silently)."""

SCALE = sp.Symbol("c", positive=True)
"""The positive scale c of the homogeneity checks (Assumption 4.2's alpha > 0)."""

_I = sp.Symbol("i", integer=True, positive=True)  # trade index i >= 1
_J = sp.Symbol("j", integer=True)  # player index summed over

_TIE_RULES = ("first", "low", "high")


# ---------------------------------------------------------------------- formulas
def tbds_entry(i: int, j: int, alpha: Any = ALPHA) -> sp.Expr:
    """t_ij of TBDS(alpha) (Section 2.2): alpha^(i-1) for j = 0, (1-alpha) alpha^(i-j-1)
    for 0 < j < i, and 0 for j >= i (past only, Def 2.6).

    >>> tbds_entry(3, 1), tbds_entry(3, 0), tbds_entry(3, 3)
    (alpha*(1 - alpha), alpha**2, 0)
    """
    alpha = as_sympy(alpha)
    if not 0 <= j < i:
        return sp.Integer(0)
    if j == 0:
        return alpha ** (i - 1)
    return (1 - alpha) * alpha ** (i - j - 1)


def tbds_symbolic(n: int, alpha: Any = ALPHA) -> sp.Matrix:
    """The n x (n+1) TBDS(alpha) matrix from the paper's formula; row i-1 is trade i.

    >>> tbds_symbolic(1)
    Matrix([[1, 0]])
    """
    return sp.Matrix(n, n + 1, lambda r, j: tbds_entry(r + 1, j, alpha))


def ave_symbolic(n: int) -> sp.Matrix:
    """The n x (n+1) AVE matrix from the paper's formula, t_ij = 1/i for j < i.

    >>> ave_symbolic(2)
    Matrix([
    [  1,   0, 0],
    [1/2, 1/2, 0]])
    """
    return sp.Matrix(n, n + 1, lambda r, j: sp.Rational(1, r + 1) if j <= r else 0)


def _q(x: Any) -> sp.Expr:
    """A Fraction (or int, or sympy number) as a sympy Rational."""
    return as_sympy(x)


# ---------------------------------------------------------------------- budget balance
@register(
    "chain.tbds_budget_balance",
    FAMILY,
    "sum_{j=0}^{i-1} t_ij = alpha^(i-1) + sum_{j=1}^{i-1} (1-alpha) alpha^(i-j-1) = 1 for "
    "TBDS(alpha) (Section 2.2, budget balance Def 2.5), symbolic integer i >= 1 and symbolic "
    "alpha: sympy summation, every branch of its result simplified (alpha > 0, alpha != 1 "
    "generic; alpha = 1), alpha = 0 separately with 0^k = [k = 0]; and "
    "datamech.models.chain.tbds_matrix(n, 1/3) equals the formula entrywise with rows "
    "summing to 1, n = 1..6",
)
def check_tbds_budget_balance() -> tuple[bool, str]:
    """TBDS(alpha) is budget balanced (Section 2.2, Def 2.5) for symbolic i and alpha."""
    a, i, j = ALPHA, _I, _J
    total = a ** (i - 1) + sp.summation((1 - a) * a ** (i - j - 1), (j, 1, i - 1))
    folded = sp.piecewise_fold(total)
    branches = folded.args if isinstance(folded, sp.Piecewise) else ((folded, sp.true),)
    notes = []
    for expr, cond in branches:
        if cond is sp.true:
            # the generic closed form divides by alpha: valid for alpha > 0, alpha != 1
            pos = sp.Symbol("alpha_pos", positive=True)
            residual = sp.simplify(expr.subs(a, pos) - 1)
            notes.append(f"generic branch: residual {residual}")
            if residual != 0:
                return False, "; ".join(notes)
            continue
        roots = sp.solve(cond, a)
        if not roots:
            return False, f"cannot solve the branch condition {cond} for alpha"
        for root in roots:
            residual = sp.simplify(expr.subs(a, root) - 1)
            notes.append(f"branch alpha = {root}: residual {residual}")
            if residual != 0:
                return False, "; ".join(notes)

    # alpha = 0: sympy leaves 0**(i-j-1) undecided (nan), so write 0^k = [k = 0]
    zero_total = sp.KroneckerDelta(i - 1, 0) + sp.summation(
        sp.KroneckerDelta(i - j - 1, 0), (j, 1, i - 1)
    )
    m = sp.Symbol("m", integer=True, nonnegative=True)
    at_one = sp.simplify(zero_total.subs(i, 1))
    at_two_up = sp.simplify(zero_total.subs(i, m + 2))
    notes.append(f"alpha = 0: sum is {at_one} at i = 1 and {at_two_up} for i = m + 2 >= 2")
    if at_one != 1 or at_two_up != 1:
        return False, "; ".join(notes)

    # tie the identity to the code
    third = Fraction(1, 3)
    for n in range(1, 7):
        code = tbds_matrix(n, third)
        formula = tbds_symbolic(n, sp.Rational(1, 3))
        for r in range(n):
            for col in range(n + 1):
                if _q(code[r, col]) != formula[r, col]:
                    return False, (
                        f"tbds_matrix({n}, 1/3)[{r}, {col}] = {code[r, col]}, "
                        f"formula gives {formula[r, col]}"
                    )
            row_sum = sum(code[r], Fraction(0))
            if row_sum != 1:
                return False, f"tbds_matrix({n}, 1/3) row of trade {r + 1} sums to {row_sum}"
    notes.append("tbds_matrix(n, 1/3) = formula entrywise, rows sum to 1, n = 1..6")
    return True, "; ".join(notes)


@register(
    "chain.ave_budget_balance",
    FAMILY,
    "sum_{j=0}^{i-1} 1/i = 1 for AVE (budget balance Def 2.5), symbolic integer i >= 1 "
    "(sympy summation); and every row of datamech.models.chain.ave_matrix(n) sums to "
    "exactly 1, n = 1..8",
)
def check_ave_budget_balance() -> tuple[bool, str]:
    """AVE is budget balanced (Def 2.5) for symbolic i."""
    total = sp.summation(1 / _I, (_J, 0, _I - 1))
    residual = sp.simplify(total - 1)
    if residual != 0:
        return False, f"sum_(j=0)^(i-1) 1/i - 1 simplifies to {residual}"
    for n in range(1, 9):
        t = ave_matrix(n)
        for r in range(n):
            s = sum(t[r], Fraction(0))
            if s != 1:
                return False, f"ave_matrix({n}) row of trade {r + 1} sums to {s}"
    return True, f"summation gives {total}; ave_matrix rows sum to 1 for n = 1..8"


# ---------------------------------------------------------------------- past only
_ALPHA_NODES = tuple(Fraction(k, 9) for k in range(10))


@register(
    "chain.tbds_past_only",
    FAMILY,
    "TBDS(alpha) is past only (Def 2.6): t_ij = 0 for j >= i. For n = 1..8, "
    "datamech.models.chain.tbds_matrix(n, a) at the 10 nodes a = k/9, k = 0..9, is 0 at "
    "every j >= i, passes check_reallocation, and the degree <= 9 polynomial in alpha "
    "interpolating each entry equals the paper's formula (1-alpha) alpha^(i-j-1) "
    "(0 < j < i), alpha^(i-1) (j = 0) identically in symbolic alpha",
)
def check_tbds_past_only() -> tuple[bool, str]:
    """tbds_matrix is past only (Def 2.6) and equals the formula as a polynomial in alpha."""
    nodes = [_q(a) for a in _ALPHA_NODES]
    interpolated = 0
    for n in range(1, 9):
        mats = [tbds_matrix(n, a) for a in _ALPHA_NODES]
        formula = tbds_symbolic(n)
        for a, t in zip(_ALPHA_NODES, mats, strict=True):
            check_reallocation(t)  # raises ModelError on a past-only violation
            for r in range(n):
                for col in range(r + 1, n + 1):
                    if t[r, col] != 0:
                        return (
                            False,
                            f"tbds_matrix({n}, {a})[trade {r + 1}, player {col}] = {t[r, col]}",
                        )
        for r in range(n):
            for col in range(n + 1):
                poly = sp.interpolate(
                    [(x, _q(t[r, col])) for x, t in zip(nodes, mats, strict=True)], ALPHA
                )
                residual = sp.expand(poly - formula[r, col])
                if residual != 0:
                    return False, (
                        f"n = {n}, trade {r + 1}, player {col}: code interpolates to {poly}, "
                        f"formula {formula[r, col]}"
                    )
                interpolated += 1
    return True, (
        f"{interpolated} entries: zero at j >= i, and equal to the symbolic formula as "
        "polynomials in alpha"
    )


@register(
    "chain.ave_past_only",
    FAMILY,
    "AVE is past only (Def 2.6): datamech.models.chain.ave_matrix(n) has t_ij = 0 for "
    "j >= i and t_ij = 1/i for j < i (the paper's formula), and passes check_reallocation, "
    "n = 1..8",
)
def check_ave_past_only() -> tuple[bool, str]:
    """ave_matrix is past only (Def 2.6) and equals the formula t_ij = 1/i."""
    entries = 0
    for n in range(1, 9):
        t = ave_matrix(n)
        check_reallocation(t)
        formula = ave_symbolic(n)
        for r in range(n):
            for col in range(n + 1):
                if _q(t[r, col]) != formula[r, col]:
                    return False, (
                        f"ave_matrix({n})[trade {r + 1}, player {col}] = {t[r, col]}, "
                        f"formula gives {formula[r, col]}"
                    )
                entries += 1
    return True, f"{entries} entries equal the formula (zero at j >= i)"


# ---------------------------------------------------------------------- equilibrium
def _sign(expr: sp.Expr) -> int:
    """Sign of an expression whose sign sympy can decide from the symbols' assumptions."""
    e = sp.expand(expr)
    if e.is_zero:
        return 0
    if e.is_positive:
        return 1
    if e.is_negative:
        return -1
    raise ValueError(f"cannot decide the sign of {e}")


def _choose(gains: Sequence[sp.Expr], prices: Sequence[sp.Expr], rule: str) -> int:
    """Index of the chosen maximizer, with the solvers' tie rules (first / low / high)."""
    best = 0
    for m in range(1, len(gains)):
        if _sign(gains[m] - gains[best]) > 0:
            best = m
    window = [m for m in range(len(gains)) if _sign(gains[m] - gains[best]) == 0]
    if rule == "first":
        return window[0]
    pick = window[0]
    for m in window[1:]:
        s = _sign(prices[m] - prices[pick])
        if (rule == "low" and s < 0) or (rule == "high" and s > 0):
            pick = m
    return pick


def symbolic_equilibrium(
    values: Sequence[Any],
    transitions: Sequence[Any],
    reallocation: Any,
    tie_break: str = "first",
) -> tuple[list[list[sp.Expr]], list[list[sp.Expr]], dict[tuple[int, int, int], sp.Expr]]:
    """Sequential equilibrium of Eq. (9) in sympy, with the gain of Eq. (8) by path enumeration.

    For small chains only: the gain of player i at value w_k and price p sums, over every
    path of later grid indices, the path's probability times the reallocated profit
    sum_{j>i} t_{j,i} p_{j-1} prod_{i<m<=j} x_m, where x_m = 1{s_m(v_m) >= p_{m-1}}.
    Candidate prices are the nonnegative thresholds s_{i+1}(w_l) in grid-index order
    (Algorithm 2); with none, p_i = 0 and s_i = w_k.  Every comparison is decided by sympy
    from the symbols' assumptions (e.g. a positive scale c), or raises ``ValueError``.

    Parameters
    ----------
    values : sequence of L sympy expressions (the grid W)
    transitions : n matrices (L x L); ``transitions[m-1][k][l]`` = P(v_m = w_l | v_{m-1} = w_k)
    reallocation : n x (n+1) array, row m-1 is trade m
    tie_break : {"first", "low", "high"}

    Returns
    -------
    thresholds : list of n+1 lists of L expressions, s_i(w_k)
    prices : list of n lists of L expressions, p_i(w_k)
    gains : dict mapping (i, k, candidate grid index l) to g_i(w_k, s_{i+1}(w_l))

    Examples
    --------
    >>> c = sp.Symbol("c", positive=True)
    >>> half = sp.Rational(1, 2)
    >>> s, p, g = symbolic_equilibrium([c, 2 * c], [[[half, half], [half, half]]], [[1, 0]])
    >>> p[0], s[0]  # prices c and 2c both earn c: "first" takes c
    ([c, c], [2*c, 3*c])
    >>> symbolic_equilibrium([c, 2 * c], [[[half, half], [half, half]]], [[1, 0]], "high")[1]
    [[2*c, 2*c]]
    """
    if tie_break not in _TIE_RULES:
        raise ValueError(f"unknown tie rule {tie_break!r}")
    W = [as_sympy(w) for w in values]
    n, L = len(transitions), len(W)
    Q = [[[_q(x) for x in row] for row in mat] for mat in transitions]
    T = [[_q(x) for x in row] for row in reallocation]
    U: list[list[sp.Expr]] = [[] for _ in range(n + 1)]
    P: list[list[sp.Expr]] = [[] for _ in range(n)]
    U[n] = list(W)
    gains: dict[tuple[int, int, int], sp.Expr] = {}

    def gain(i: int, k: int, price: sp.Expr) -> sp.Expr:
        total = W[k]
        # walk over trades m = i+1..n; the seller m-1 sits at grid index `prev`
        stack = [(i + 1, k, price, sp.Integer(1))]
        while stack:
            m, prev, posted, prob = stack.pop()
            for l in range(L):
                q = Q[m - 1][prev][l]
                if q == 0 or _sign(U[m][l] - posted) < 0:
                    continue  # impossible, or buyer m declines: later trades never happen
                total += prob * q * T[m - 1][i] * posted
                if m < n:
                    stack.append((m + 1, l, P[m][l], prob * q))
        return sp.expand(total)

    for i in range(n - 1, -1, -1):
        cands = [l for l in range(L) if _sign(U[i + 1][l]) >= 0]
        U[i], P[i] = list(W), [sp.Integer(0)] * L
        if not cands:
            continue
        prices = [U[i + 1][l] for l in cands]
        for k in range(L):
            g = [gain(i, k, p) for p in prices]
            for l, gl in zip(cands, g, strict=True):
                gains[(i, k, l)] = gl
            best = _choose(g, prices, tie_break)
            U[i][k], P[i][k] = g[best], prices[best]
    return U, P, gains


# a small chain that exercises reallocation from two trades ahead: n = 3, L = 4
_HOM_GRID = (Fraction(1, 4), Fraction(1, 2), Fraction(1), Fraction(2))
_HOM_TRANSITION = (
    (Fraction(1, 2), Fraction(1, 4), Fraction(1, 4), Fraction(0)),
    (Fraction(1, 5), Fraction(2, 5), Fraction(1, 5), Fraction(1, 5)),
    (Fraction(0), Fraction(1, 3), Fraction(1, 3), Fraction(1, 3)),
    (Fraction(1, 6), Fraction(1, 6), Fraction(1, 3), Fraction(1, 3)),
)
_HOM_REALLOCATION = (
    (Fraction(1), Fraction(0), Fraction(0), Fraction(0)),
    (Fraction(1, 3), Fraction(1, 2), Fraction(0), Fraction(0)),
    (Fraction(1, 4), Fraction(1, 4), Fraction(1, 2), Fraction(0)),
)
_HOM_SCALES = (Fraction(1, 3), Fraction(2), Fraction(7, 2))


def _scaled_model(scale: Fraction):
    return create(
        3,
        [scale * g for g in _HOM_GRID],
        [list(row) for row in _HOM_TRANSITION],
        start=2,
        mechanism="matrix",
        matrix=[list(row) for row in _HOM_REALLOCATION],
    )


@register(
    "chain.price_homogeneity",
    FAMILY,
    "Scale form of Lemmas C.2-C.4 (homogeneity, Assumption 4.2): chain with n = 3, grid "
    "W(c) = c*(1/4, 1/2, 1, 2), a fixed rational transition and reallocation matrix "
    "(t_{3,0} = t_{3,1} = 1/4, so player 0 is paid from trade 3), symbolic c > 0. A sympy "
    "backward induction of Eq. (8)-(9) (paths enumerated) gives, for tie rules "
    "first/low/high: g_i(c w_k, c p) = c g_i(w_k, p) at every candidate price "
    "(Lemma C.4), and, writing s^c, p^c for the equilibrium of the chain on W(c), "
    "s^c_i(c w_k) = c s^1_i(w_k) and p^c_i(c w_k) = c p^1_i(w_k) (Lemma C.2 (1)-(2)), "
    "equal to c times solve_equilibrium(exact=True) at c = 1; and solve_equilibrium"
    "(exact=True), methods fast and reference, gives thresholds(c) = c thresholds(1) and "
    "prices(c) = c prices(1) exactly at c = 1/3, 2, 7/2",
)
def check_price_homogeneity() -> tuple[bool, str]:
    """Gains (Eq. 8), thresholds and prices (Eq. 9) scale with the chain (Lemmas C.2-C.4)."""
    c = SCALE
    W = [c * _q(g) for g in _HOM_GRID]
    trans = [_HOM_TRANSITION] * 3
    base = _scaled_model(Fraction(1))
    n_gains = n_entries = n_solver = 0
    for rule in _TIE_RULES:
        U, P, gains = symbolic_equilibrium(W, trans, _HOM_REALLOCATION, tie_break=rule)
        for key, g in gains.items():
            residual = sp.expand(g - c * g.subs(c, 1))
            if residual != 0:
                return False, f"{rule}: gain {key} = {g} is not c * g(c=1): residual {residual}"
            n_gains += 1
        ref = _solve_exact(base, rule, "fast")
        for name, sym, code in (("threshold", U, ref.thresholds), ("price", P, ref.prices)):
            for i, row in enumerate(sym):
                for k, expr in enumerate(row):
                    residual = sp.expand(expr - c * _q(code[i][k]))
                    if residual != 0:
                        return False, (
                            f"{rule}: symbolic {name} of player {i} at w_{k} is {expr}, "
                            f"solver at c = 1 gives {code[i][k]} (residual {residual})"
                        )
                    n_entries += 1
        for method in ("fast", "reference"):
            one = ref if method == "fast" else _solve_exact(base, rule, method)
            for scale in _HOM_SCALES:
                res = _solve_exact(_scaled_model(scale), rule, method)
                for name, got, want in (
                    ("thresholds", res.thresholds, one.thresholds),
                    ("prices", res.prices, one.prices),
                ):
                    bad = _first_mismatch(got, scale * want)
                    if bad is not None:
                        return False, (
                            f"{method}/{rule}: {name}{bad} at c = {scale} is "
                            f"{got[bad]}, c * value at c = 1 is {scale * want[bad]}"
                        )
                n_solver += 1
    return True, (
        f"{n_gains} symbolic gains are c * gain(c=1); {n_entries} symbolic thresholds and "
        f"prices equal c * solver(c=1); {n_solver} exact solver runs at c in "
        f"{{1/3, 2, 7/2}} scale exactly"
    )


def _solve_exact(model, rule: str, method: str):
    from ..solvers.chain import solve_equilibrium  # symbolic is imported by solvers

    return solve_equilibrium(model, method=method, tie_break=rule, exact=True)


def _first_mismatch(got: np.ndarray, want: np.ndarray) -> tuple[int, ...] | None:
    for idx in np.ndindex(got.shape):
        if got[idx] != want[idx]:
            return idx
    return None


# ---------------------------------------------------------------------- Lemma C.2 in one model
_GEO_N = 3
_GEO_K = 10  # grid indices -10..10: every player, player 0 included, has interior points
_GEO_RATIO = Fraction(2)


def _monopoly_ratio(rule: str) -> Fraction:
    """Lemma C.2 (3)'s p-hat: argmax over x = 2^d of x P(v'/v >= x), v'/v = 2^D, D ~ U{-2..2}."""
    ratios = [_GEO_RATIO**d for d in range(-2, 3)]
    revenue = [
        x * Fraction(sum(1 for e in range(-2, 3) if e >= d), 5)
        for d, x in zip(range(-2, 3), ratios, strict=True)
    ]
    best = max(revenue)
    winners = [x for x, r in zip(ratios, revenue, strict=True) if r == best]
    return max(winners) if rule == "high" else min(winners)


@register(
    "chain.lemma_c2_geometric_grid",
    FAMILY,
    "Lemma C.2 inside one model: grid W = {2^k : k = -10..10}, the paper's five-neighbour "
    "walk (clipped at the ends, so homogeneous F(2v | 2w) = F(v | w) only away from them), "
    "n = 3, mechanisms RAW, AVE, TBDS(1/3), tie rules first/low/high, "
    "solve_equilibrium(exact=True). For every player i and grid index k with "
    "k - 2(n-i) >= -10 and k + 1 + 2(n-i) <= 10 (no boundary within the n-i steps ahead): "
    "(1) s_i(2 w_k) = 2 s_i(w_k), (2) p_i(2 w_k) = 2 p_i(w_k); and under RAW "
    "(3) p_i(w_k) = p-hat * s_{i+1}(1) * w_k for every k with -10 <= k +- 2(n-i) <= 10, "
    "p-hat = argmax_x x P(v_{i+1}/v_i >= x) "
    "(lowest maximizer for first/low, highest for high)",
)
def check_lemma_c2_geometric_grid() -> tuple[bool, str]:
    """Lemma C.2 (1)-(3) on a geometric grid, at grid points whose future avoids the ends."""
    n = _GEO_N
    ks = list(range(-_GEO_K, _GEO_K + 1))
    grid = [_GEO_RATIO**k for k in ks]
    origin = ks.index(0)
    compared = lemma3 = 0
    for mech, alpha in (("RAW", None), ("AVE", None), ("TBDS", Fraction(1, 3))):
        model = create(n, grid, five_neighbour(len(ks)), start=origin, mechanism=mech, alpha=alpha)
        for rule in _TIE_RULES:
            res = _solve_exact(model, rule, "fast")
            s, p = res.thresholds, res.prices
            for i in range(n + 1):
                reach = 2 * (n - i)
                for a in range(reach, len(ks) - 1 - reach):
                    if s[i][a + 1] != _GEO_RATIO * s[i][a]:
                        return False, (
                            f"{mech}/{rule}: s_{i}(w_{ks[a + 1]}) = {s[i][a + 1]} but "
                            f"2 s_{i}(w_{ks[a]}) = {_GEO_RATIO * s[i][a]}"
                        )
                    if i < n and p[i][a + 1] != _GEO_RATIO * p[i][a]:
                        return False, (
                            f"{mech}/{rule}: p_{i}(w_{ks[a + 1]}) = {p[i][a + 1]} but "
                            f"2 p_{i}(w_{ks[a]}) = {_GEO_RATIO * p[i][a]}"
                        )
                    compared += 1
                if mech == "RAW" and i < n:
                    hat = _monopoly_ratio(rule)
                    for a in range(reach, len(ks) - reach):
                        want = hat * s[i + 1][origin] * grid[a]
                        if p[i][a] != want:
                            return False, (
                                f"RAW/{rule}: p_{i}(w_{ks[a]}) = {p[i][a]}, Lemma C.2 (3) "
                                f"gives {hat} * {s[i + 1][origin]} * {grid[a]} = {want}"
                            )
                        lemma3 += 1
    return True, (
        f"{compared} interior (player, grid point) pairs scale by 2 in s and p; "
        f"{lemma3} RAW prices equal p-hat * s_(i+1)(1) * w (p-hat = "
        f"{_monopoly_ratio('low')} for first/low, {_monopoly_ratio('high')} for high)"
    )


__all__ = [
    "ALPHA",
    "SCALE",
    "ave_symbolic",
    "symbolic_equilibrium",
    "tbds_entry",
    "tbds_symbolic",
]
