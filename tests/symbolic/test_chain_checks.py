"""The chain's symbolic checks: they pass, they say what they check, and they can fail."""

from fractions import Fraction as F

import pytest
import sympy as sp
from hypothesis import given, settings

from datamech.models.chain import ave_matrix, create, paper_model, raw_matrix, tbds_matrix
from datamech.solvers.chain import solve_equilibrium
from datamech.symbolic import all_checks, run_checks
from datamech.symbolic import chain as chain_checks
from datamech.symbolic.chain import (
    ALPHA,
    ave_symbolic,
    symbolic_equilibrium,
    tbds_entry,
    tbds_symbolic,
)
from tests.chain_strategies import chain_models

EXPECTED = {
    "chain.tbds_budget_balance",
    "chain.tbds_past_only",
    "chain.ave_past_only",
    "chain.ave_budget_balance",
    "chain.price_homogeneity",
    "chain.lemma_c2_geometric_grid",
}
CHAIN_NAMES = [c.name for c in all_checks("chain")]


def test_expected_chain_checks_are_registered():
    assert EXPECTED <= set(CHAIN_NAMES)


@pytest.mark.parametrize("name", CHAIN_NAMES)
def test_chain_check_passes(name):
    [res] = run_checks([name])
    assert res.passed, f"{name}: {res.detail}"
    assert res.family == "chain"
    assert res.identity and res.detail


def test_identities_name_what_they_check():
    identity = {c.name: c.identity for c in all_checks("chain")}
    assert (
        "alpha^(i-1) + sum_{j=1}^{i-1} (1-alpha) alpha^(i-j-1) = 1"
        in identity["chain.tbds_budget_balance"]
    )
    assert "sum_{j=0}^{i-1} 1/i = 1" in identity["chain.ave_budget_balance"]
    assert "j >= i" in identity["chain.tbds_past_only"]
    assert "j >= i" in identity["chain.ave_past_only"]
    assert "p^c_i(c w_k) = c p^1_i(w_k)" in identity["chain.price_homogeneity"]
    assert "Eq. (8)" in identity["chain.price_homogeneity"]


# ---------------------------------------------------------------- the checks can fail
def _wrong_tbds(n, alpha):
    t = tbds_matrix(n, alpha)
    if n >= 3:
        t[2, 1] += F(1, 100)  # one entry off the paper's formula
    return t


def _leaky_ave(n):
    t = ave_matrix(n)
    if n >= 2:
        t[0, 1] = F(1, 2)  # pays player 1 from trade 1: not past only
    return t


@pytest.mark.parametrize(
    "attr, fake, names",
    [
        pytest.param(
            "tbds_matrix",
            _wrong_tbds,
            ["chain.tbds_budget_balance", "chain.tbds_past_only"],
            id="tbds off",
        ),
        pytest.param(
            "tbds_matrix",
            lambda n, a: raw_matrix(n),
            ["chain.tbds_budget_balance", "chain.tbds_past_only"],
            id="tbds is raw",
        ),
        pytest.param(
            "ave_matrix",
            lambda n: raw_matrix(n),
            ["chain.ave_past_only"],
            id="ave is raw",
        ),
        pytest.param(
            "ave_matrix",
            _leaky_ave,
            ["chain.ave_past_only", "chain.ave_budget_balance"],
            id="ave leaks",
        ),
    ],
)
def test_checks_catch_wrong_matrices(monkeypatch, attr, fake, names):
    monkeypatch.setattr(chain_checks, attr, fake)
    for res in run_checks(names):
        assert not res.passed, res.name
        assert res.detail


def test_price_homogeneity_catches_a_non_scaled_model(monkeypatch):
    real = chain_checks._scaled_model

    def shifted(scale):  # the grid moves by a constant as well as scaling: not homogeneous
        m = real(scale)
        if scale == 1:
            return m
        return create(
            3,
            [v + F(1, 10) for v in m.values],
            m.transition,
            start=2,
            mechanism="matrix",
            matrix=m.reallocation,
        )

    monkeypatch.setattr(chain_checks, "_scaled_model", shifted)
    [res] = run_checks(["chain.price_homogeneity"])
    assert not res.passed
    assert "at c = " in res.detail


def test_lemma_c2_catches_a_non_homogeneous_walk(monkeypatch):
    real = chain_checks.five_neighbour

    def lazy_on_even(size):  # the walk stays put from even indices: not shift-invariant
        P = real(size)
        for k in range(0, size, 2):
            P[k, :] = F(0)
            P[k, k] = F(1)
        return P

    monkeypatch.setattr(chain_checks, "five_neighbour", lazy_on_even)
    [res] = run_checks(["chain.lemma_c2_geometric_grid"])
    assert not res.passed
    assert "but 2" in res.detail or "Lemma C.2 (3)" in res.detail


# ---------------------------------------------------------------- formulas
def test_tbds_formula_entries():
    assert tbds_entry(1, 0) == 1
    assert tbds_entry(4, 0) == ALPHA**3
    assert tbds_entry(4, 2) == (1 - ALPHA) * ALPHA
    assert tbds_entry(4, 3) == 1 - ALPHA
    assert tbds_entry(4, 4) == 0 and tbds_entry(2, 3) == 0
    # alpha = 0 is RAW, alpha = 1 pays everything to player 0
    assert tbds_symbolic(4, 0) == sp.Matrix(raw_matrix(4).tolist())
    assert tbds_symbolic(3, 1) == sp.Matrix([[1, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0]])


@pytest.mark.parametrize("n", [1, 2, 5])
def test_symbolic_rows_sum_to_one(n):
    assert all(sp.simplify(s - 1) == 0 for s in tbds_symbolic(n) * sp.ones(n + 1, 1))
    assert ave_symbolic(n) * sp.ones(n + 1, 1) == sp.ones(n, 1)


# ---------------------------------------------------------------- the symbolic solver
def _symbolic_solve(model, rule):
    ex = model.exact()
    trans = ex["transition"]
    mats = [trans[i] if trans.ndim == 3 else trans for i in range(model.n)]
    return symbolic_equilibrium(
        [sp.Rational(v.numerator, v.denominator) for v in ex["values"]],
        [m.tolist() for m in mats],
        ex["reallocation"].tolist(),
        tie_break=rule,
    )


def _assert_same(sym, code):
    assert len(sym) == len(code)
    for row_s, row_c in zip(sym, code, strict=True):
        assert [sp.Rational(x.numerator, x.denominator) for x in row_c] == row_s


@pytest.mark.parametrize("rule", ["first", "low", "high"])
@pytest.mark.parametrize("number", [2, 4])  # Model 4 has negative values
def test_symbolic_solver_matches_paper_models(number, rule):
    model = paper_model(number, n=2, mechanism="AVE")
    U, P, _ = _symbolic_solve(model, rule)
    res = solve_equilibrium(model, exact=True, tie_break=rule)
    _assert_same(U, res.thresholds)
    _assert_same(P, res.prices)


@settings(max_examples=25, deadline=None)
@given(chain_models(max_n=3, max_L=3))
def test_symbolic_solver_matches_exact_solver(model):
    for rule in ("first", "high"):
        U, P, _ = _symbolic_solve(model, rule)
        res = solve_equilibrium(model, exact=True, tie_break=rule)
        _assert_same(U, res.thresholds)
        _assert_same(P, res.prices)


def test_symbolic_solver_all_negative_candidates():
    # player 1's values are all negative: no candidate price, so p_0 = 0 and s_0 = w
    half = [F(1, 2), F(1, 2)]
    U, P, gains = symbolic_equilibrium([-1, -2], [[half, half]], [[1, 0]])
    assert P == [[0, 0]] and U[0] == [-1, -2] and gains == {}


def test_symbolic_solver_refuses_undecidable_signs():
    x = sp.Symbol("x")  # no sign assumption: 1{x >= p} cannot be decided
    half = [sp.Rational(1, 2)] * 2
    with pytest.raises(ValueError, match="cannot decide the sign"):
        symbolic_equilibrium([x, 2 * x], [[half, half]], [[1, 0]])
    with pytest.raises(ValueError, match="unknown tie rule"):
        symbolic_equilibrium([1], [[[1]]], [[1, 0]], tie_break="middle")


def test_symbolic_scale_matches_lemma_c3_one_step():
    # one trade, RAW: p(c) maximizes p P(v_1 >= p) (Lemma C.3), and scales with c
    c = chain_checks.SCALE
    third = [sp.Rational(1, 3)] * 3
    U, P, gains = symbolic_equilibrium([0, c / 2, c], [[third] * 3], [[1, 0]], "high")
    assert P[0] == [c, c, c]
    assert U[0] == [c / 3, c / 2 + c / 3, 4 * c / 3]
    for g in gains.values():
        assert sp.expand(g - c * g.subs(c, 1)) == 0
