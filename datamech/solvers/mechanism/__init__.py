"""Kind ``mechanism``: optimal mechanisms by LP and MIP, reduced forms, certificates, audits.

``solve_model`` (what :func:`datamech.solve` calls) chooses the method (``auto``: reduced
forms for a single item under BIC and interim IR, else the LP), solves, and certifies
the result independently (:mod:`.evaluate`, :mod:`.certify`, :mod:`.exact`);
:func:`audit` checks a given mechanism (``datamech audit``).  See ``docs/mechanism.md``.

>>> import datamech as dm
>>> from datamech.models.mechanism import create
>>> m = create(outcomes={"preset": "single_item"},
...            agents=[{"count": 2, "family": "discrete", "values": ["1/5", "2/5", "3/5",
...                     "4/5", 1], "probs": ["1/5"] * 5}], solver={"exact": True})
>>> dm.solve(m).objective_exact      # spec §5: E[max_i phi_i^+] = 71/125
Fraction(71, 125)
"""

from .audit import audit, rule_mechanism
from .evaluate import Evaluation, Mechanism, PriorityLottery, evaluate
from .known import (
    MANELLI_VINCENT,
    MYERSON_SATTERTHWAITE,
    exponential_auction_revenue,
    myerson_revenue,
    uniform_auction_revenue,
)
from .options import OPTIONS
from .result import AuditResult, MechanismResult
from .solve import choose_method, solve_model

__all__ = [
    "MANELLI_VINCENT",
    "MYERSON_SATTERTHWAITE",
    "OPTIONS",
    "AuditResult",
    "Evaluation",
    "Mechanism",
    "MechanismResult",
    "PriorityLottery",
    "audit",
    "choose_method",
    "evaluate",
    "exponential_auction_revenue",
    "myerson_revenue",
    "rule_mechanism",
    "solve_model",
    "uniform_auction_revenue",
]
