"""The PSP identities of spec §1.4, §2.1–2.2 and REG-2/REG-7 through the verify registry."""

import subprocess
import sys

import pytest

from datamech.symbolic import all_checks, run_checks

NAMES = [
    "psp.quadratic_family",
    "psp.log_family",
    "psp.linear_capped_family",
    "psp.eq4_is_integral_of_mpf",
    "psp.reg2_costs_linear_in_eps",
    "psp.eq19_duality",
    "psp.reg7_clearing_price",
]


def test_all_registered():
    assert [c.name for c in all_checks("psp")] == NAMES


def test_all_pass():
    bad = [(r.name, r.detail) for r in run_checks(family="psp") if not r.passed]
    assert not bad


def test_a_broken_cost_rule_is_caught(monkeypatch):
    # eq. (21) as printed charges the buyer its own price: the REG-2 check must fail
    import datamech.solvers.psp.auction as auction

    def printed_21(q, p, Q, reserve=None, tie_rule="proportional"):
        a = auction.psp_allocation(q, p, Q, reserve, tie_rule)
        return [-pi * ai for pi, ai in zip(p, a, strict=True)]

    monkeypatch.setattr(auction, "psp_costs", printed_21)
    (res,) = run_checks(["psp.reg2_costs_linear_in_eps"])
    assert not res.passed and "eps = 1/100" in res.detail


@pytest.mark.parametrize("flag", ["--json"])
def test_cli_verify_family_psp(flag):
    out = subprocess.run(
        [sys.executable, "-m", "datamech.cli", "verify", "--family", "psp", flag],
        capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "psp.eq19_duality" in out.stdout
