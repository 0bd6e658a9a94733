"""Seeded mutation fuzzer for model files (issue 12 §5): test infrastructure.

Every case is a mutated copy of a file in ``examples/models/`` (or a whole-file case: bytes
that are not UTF-8, invalid TOML, a directory, a missing file).  The contract each case
must meet when run as ``datamech solve FILE --json``:

* success: exit 0 (or 3, "solved but not to the requested standard") and stdout is
  exactly one JSON object; or
* clean failure: exit 2 and stderr is exactly one line starting with ``datamech: error:``
  and without ``Traceback``;
* within ``TIMEOUT`` seconds and under ``MEMORY_LIMIT`` bytes of address space.

Each mutation carries an expectation: ``reject`` (must fail cleanly), ``either`` (any clean
outcome; with ``compare`` set, an accepted run must also give the reference's numbers) or
``equivalent`` (an equivalent rewrite of a valid model: must be accepted and give the
reference's numbers to ``REL_TOL``).  Failure categories: ``traceback``, ``timeout``,
``oom``, ``silent_accept``, ``false_reject`` and ``mismatch``.

Cases run in long-lived worker processes (``python tests/fuzzing.py --worker``) that
import ``datamech.cli`` and solve a few examples once (imports, numba's compiled PSP code)
and then fork one child per case; ``mode="subprocess"`` runs ``python -m datamech.cli``
instead, to cover the real entry point.

    cases = generate_cases(seed=0)                  # deterministic for a seed
    outcomes = run_cases(sample_cases(cases, 50))   # 2 workers
    print(format_failures(outcomes))
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import math
import os
import queue
import random
import re
import resource
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import traceback
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "models"
TIMEOUT = 30.0  # seconds of wall time per case
MEMORY_LIMIT = 4 * 2**30  # RLIMIT_AS per case, bytes
REL_TOL = 1e-9
ABS_TOL = 1e-12  # numbers this close to 0 are rounding noise (e.g. a budget of 7e-16)
WORKERS = 2
ERROR_PREFIX = "datamech: error:"
UNKNOWN_KEY = "fuzz_unknown_key"
UNKNOWN_NAME = "fuzz-unknown-name"
HUGE_SIZE = 10**9

Expect = Literal["reject", "either", "equivalent"]
CATEGORIES = ("traceback", "timeout", "oom", "silent_accept", "false_reject", "mismatch")

# Mutation classes, in the order the report lists them.
MUTATIONS = (
    "baseline",
    "delete",
    "unknown_key",
    "wrong_type",
    "unknown_value",
    "nan",
    "inf",
    "neg_inf",
    "negative",
    "zero",
    "huge_value",
    "non_integer",
    "huge_size",
    "empty_list",
    "ragged_list",
    "prob_perturb",
    "prob_perturb_tiny",
    "unsorted_grid",
    "duplicate_grid",
    "other_kind",
    "non_utf8",
    "invalid_toml",
    "empty_file",
    "directory",
    "missing_file",
    "eq_roundtrip",
    "eq_reorder",
    "eq_fraction",
    "eq_permute",
    "eq_split",
)


@dataclass(frozen=True)
class Case:
    """One mutated model file and what the CLI must do with it."""

    case_id: str
    file: str  # example stem ("" for cases tied to no example)
    mutation: str  # one of MUTATIONS
    field: str  # the mutated key path, e.g. "buyers[0].probs[1]"
    description: str
    expect: Expect
    content: bytes | None = None  # file bytes; None for "directory" and "missing_file"
    reference: bytes | None = None  # file whose numbers an accepted run must reproduce
    compare: bool = False  # numbers compared (always for "equivalent")
    ignore: tuple[str, ...] = ()  # JSON keys not compared (e.g. grid sizes after a split)
    kind: str = ""  # the example's model kind ("chain_continuous" for a continuous chain)


@dataclass
class Run:
    """What one execution of the CLI did."""

    rc: int | None  # exit code; negative: killed by that signal
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False
    maxrss_kb: int = 0


@dataclass
class Outcome:
    case: Case
    run: Run
    category: str | None  # None: the case met its contract
    detail: str  # first error line, traceback's last line, or the mismatch
    path: str = ""  # the file the command was run on
    notes: list[str] = field(default_factory=list)  # e.g. warnings on a successful run

    @property
    def command(self) -> str:
        return f"datamech solve {self.path} --json"


# ============================================================ TOML text
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _toml_key(k: str) -> str:
    return k if _BARE_KEY.fullmatch(k) else json.dumps(k, ensure_ascii=False)


def toml_value(v: Any) -> str:
    """``v`` as an inline TOML value (tables inline, arrays on one line)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        # JSON's escapes are a subset of TOML's basic-string escapes
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        if not v:
            return "{}"
        return "{ " + ", ".join(f"{_toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {v!r} as TOML")


def _is_aot(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def dumps(doc: Mapping[str, Any]) -> str:
    """A TOML document: top-level tables as ``[t]`` / ``[[t]]`` sections in the order
    given, everything deeper inline, so key order inside every table is kept."""
    lines = [
        f"{_toml_key(k)} = {toml_value(v)}"
        for k, v in doc.items()
        if not (isinstance(v, dict) or _is_aot(v))
    ]
    for k, v in doc.items():
        if isinstance(v, dict):
            lines += ["", f"[{_toml_key(k)}]"]
            lines += [f"{_toml_key(kk)} = {toml_value(vv)}" for kk, vv in v.items()]
        elif _is_aot(v):
            for item in v:
                lines += ["", f"[[{_toml_key(k)}]]"]
                lines += [f"{_toml_key(kk)} = {toml_value(vv)}" for kk, vv in item.items()]
    return "\n".join(lines).lstrip("\n") + "\n"


def _short(v: Any, width: int = 60) -> str:
    s = toml_value(v)
    return s if len(s) <= width else s[: width - 3] + "..."


# ============================================================ document paths
Key = str | int
DocPath = tuple[Key, ...]


def _get(doc: Any, path: DocPath) -> Any:
    for k in path:
        doc = doc[k]
    return doc


def _with(doc: dict[str, Any], path: DocPath, value: Any) -> dict[str, Any]:
    """A deep copy of ``doc`` with ``path`` set to ``value`` (parents created as tables)."""
    out = copy.deepcopy(doc)
    node: Any = out
    for k in path[:-1]:
        if isinstance(k, str) and k not in node:
            node[k] = {}
        node = node[k]
    node[path[-1]] = copy.deepcopy(value)
    return out


def _without(doc: dict[str, Any], path: DocPath) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    del _get(out, path[:-1])[path[-1]]
    return out


def fmt_path(path: DocPath) -> str:
    s = ""
    for k in path:
        s += f"[{k}]" if isinstance(k, int) else (f".{k}" if s else k)
    return s


def norm_path(path: DocPath) -> str:
    """The path with indices blanked: ``buyers[].values[]``."""
    return fmt_path(tuple(-1 if isinstance(k, int) else k for k in path)).replace("[-1]", "[]")


def as_number(x: Any) -> Fraction | float | None:
    """A model-file entry as a number: ints and ``"p/q"`` strings exact, floats as floats."""
    if isinstance(x, bool):
        return None
    if isinstance(x, int):
        return Fraction(x)
    if isinstance(x, float):
        return x
    if isinstance(x, str):
        try:
            return Fraction(x.strip())
        except (ValueError, ZeroDivisionError):
            return None
    return None


def _finite(x: Any) -> Fraction | float | None:
    n = as_number(x)
    if n is None or (isinstance(n, float) and not math.isfinite(n)):
        return None
    return n


def _is_numeric_array(v: Any) -> bool:
    """A non-empty (nested) list whose leaves are all numbers or ``"p/q"`` strings."""
    if not isinstance(v, list) or not v:
        return False
    return all(_is_numeric_array(x) if isinstance(x, list) else as_number(x) is not None for x in v)


def _leaf_paths(v: Any, path: DocPath) -> Iterator[DocPath]:
    if isinstance(v, list):
        for i, x in enumerate(v):
            yield from _leaf_paths(x, (*path, i))
    else:
        yield path


def _rows(v: Any, path: DocPath) -> Iterator[DocPath]:
    """Paths of the innermost lists (the rows) of a nested numeric array."""
    if isinstance(v, list) and v and all(isinstance(x, list) for x in v):
        for i, x in enumerate(v):
            yield from _rows(x, (*path, i))
    elif isinstance(v, list):
        yield path


# ============================================================ what each field means
Check = Callable[[Any, dict[str, Any], DocPath], bool]


@dataclass(frozen=True)
class Field:
    """The documented meaning of one model-file field, as far as the fuzzer needs it.

    ``check(value, doc, path)`` says whether a number placed at ``path`` of ``doc`` is
    documented as valid (None: no documented range, any finite number may be fine).
    """

    role: str  # "enum" | "name" | "number" | "int" | "prob" | "bool" | "other"
    check: Check | None = None
    inf_ok: bool = False  # +inf documented as valid (an untruncated law)
    size: Any = None  # a value that must be refused quickly (it would not fit in memory)


def _sibling(doc: dict[str, Any], path: DocPath, key: str) -> Any:
    table = _get(doc, path[: max(i for i, k in enumerate(path) if isinstance(k, str))])
    return table.get(key) if isinstance(table, dict) else None


def _int_at_least(lo: int, hi: float = math.inf) -> Check:
    def check(v: Any, doc: dict[str, Any], path: DocPath) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi

    return check


def _within(lo: float, hi: float, *, lo_open: bool = False, hi_open: bool = False) -> Check:
    """A finite number in [lo, hi] (ends excluded with ``lo_open`` / ``hi_open``)."""

    def check(v: Any, doc: dict[str, Any], path: DocPath) -> bool:
        n = _finite(v)
        if n is None:
            return False
        return (lo < n if lo_open else lo <= n) and (n < hi if hi_open else n <= hi)

    return check


_positive = _within(0, math.inf, lo_open=True)
_nonneg = _within(0, math.inf)
_finite_any = _within(-math.inf, math.inf)
_open_unit = _within(0, 1, lo_open=True, hi_open=True)
_closed_unit = _within(0, 1)
_half_open_unit = _within(0, 1, lo_open=True)
TYPE_MAX = 1e12  # types, bounds and scales of a law (datamech.models.distributions)
PSP_MAX = 1e9  # every number of a PSP model (datamech.models.psp)


def _never(v: Any, doc: dict[str, Any], path: DocPath) -> bool:
    # a probability entry: any change breaks its row's sum (no-op changes are not made)
    return False


def _chain_start(v: Any, doc: dict[str, Any], path: DocPath) -> bool:
    values = doc["model"].get("values")
    size = len(values) if isinstance(values, list) else 0
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v < size


def _support_ok(doc: dict[str, Any]) -> bool:
    s = doc["model"].get("support")
    if not (isinstance(s, list) and len(s) == 2):
        return False
    lo, hi = _finite(s[0]), _finite(s[1])
    return lo is not None and hi is not None and lo < hi


def _support_entry(v: Any, doc: dict[str, Any], path: DocPath) -> bool:
    if not _support_ok(doc):
        return False
    start = _finite(doc["model"].get("start_value"))
    lo, hi = doc["model"]["support"]
    return start is None or lo <= start <= hi


def _start_value(v: Any, doc: dict[str, Any], path: DocPath) -> bool:
    n = _finite(v)
    if n is None or not _support_ok(doc):
        return False
    lo, hi = doc["model"]["support"]
    return lo <= n <= hi


def _low_bound(v: Any, doc: dict[str, Any], path: DocPath) -> bool:
    # a law's lower end: 0 <= low < high <= 1e12
    n, hi = _finite(v), as_number(_sibling(doc, path, "high"))
    return n is not None and 0 <= n <= TYPE_MAX and (hi is None or n < hi)


def _high_bound(v: Any, doc: dict[str, Any], path: DocPath) -> bool:
    n, lo = _finite(v), _finite(_sibling(doc, path, "low"))
    return n is not None and (lo or 0) < n <= TYPE_MAX


def _ter_high(v: Any, doc: dict[str, Any], path: DocPath) -> bool:
    # truncated equal revenue: 1e-12 <= scale = 1/n < high <= 1e12
    n, high = _finite(_sibling(doc, path, "n")), _finite(v)
    scale = 1 / n if n else _finite(_sibling(doc, path, "scale"))
    return high is not None and 0 < high <= TYPE_MAX and (scale is None or scale < high)


def _ter_scale(v: Any, doc: dict[str, Any], path: DocPath) -> bool:
    x, high = _finite(v), _finite(_sibling(doc, path, "high"))
    if x is None or not 1e-12 <= x <= TYPE_MAX:
        return False
    scale = 1 / x if path[-1] == "n" else x
    return high is None or scale < high


def _game_beta(v: Any, doc: dict[str, Any], path: DocPath) -> bool:
    alpha = _finite(doc["game"].get("alpha"))
    n = _finite(v)
    return _closed_unit(v, doc, path) and (alpha is None or n is None or alpha >= 1 - n - 1e-12)


# the documented ranges of datamech.models.distributions (class docstrings)
_DIST_FIELDS: dict[str, dict[str, Field]] = {
    "uniform": {"low": Field("number", _low_bound), "high": Field("number", _high_bound)},
    "exponential": {
        "rate": Field("number", _within(1e-12, TYPE_MAX)),
        "low": Field("number", _low_bound),
        "high": Field("number", _high_bound, inf_ok=True),  # default: infinity
    },
    "pareto": {
        "shape": Field("number", _within(0.1, 1000)),
        "scale": Field("number", _within(1e-12, TYPE_MAX)),
    },
    "power": {"shape": Field("number", _within(0.01, 1000))},
    "truncated_equal_revenue": {
        "high": Field("number", _ter_high),
        "n": Field("number", _ter_scale),
        "scale": Field("number", _ter_scale),
    },
    # values in any order, equal values merged
    "discrete": {"values": Field("number", _within(0, TYPE_MAX)), "probs": Field("prob", _never)},
    "mixture": {"weights": Field("prob", _never)},
}

_CHAIN = {
    "model.n": Field("int", _int_at_least(1), size=HUGE_SIZE),
    "model.start": Field("int", _chain_start),
    "model.values[]": Field("number", _finite_any),
    "model.transition[][]": Field("prob", _never),
    "model.transitions[][][]": Field("prob", _never),
    "model.start_distribution[]": Field("prob", _never),
    "mechanism.alpha": Field("number", _closed_unit),
    "solver.exact": Field("bool"),
    "solver.tol": Field("number", _nonneg),
}
_CHAIN_CONTINUOUS = {
    "model.n": Field("int", _int_at_least(1), size=HUGE_SIZE),
    "model.support[]": Field("number", _support_entry),
    "model.start_value": Field("number", _start_value),
    "model.kernel.sigma": Field("number", _positive, size=1e-6),
    "model.kernel.kappa": Field("number", _finite_any),
    "model.epsilon": Field("number", _positive, size=1e-9),
    "model.K0": Field("number", _positive, size=1e9),
    "mechanism.alpha": Field("number", _closed_unit),
    "solver.tol": Field("number", _nonneg),
}
_SCALING = {
    "model.alpha": Field("number", _open_unit),
    "model.cost": Field("number", _positive),
    "model.delta": Field("number", _open_unit),
    "model.grid": Field("int", _int_at_least(16), size=HUGE_SIZE),
}
_BILATERAL = {
    "model.alpha": Field("number", _half_open_unit),
    "model.price": Field("number", _within(0, TYPE_MAX)),
    "model.profiles[][]": Field("number", _within(0, TYPE_MAX)),
}
_INFOSALE = {
    "model.prior[]": Field("prob", _never),
    "game.alpha": Field("number", _closed_unit),
    "game.beta": Field("number", _game_beta),
    "game.payoffs[][][][]": Field("number", _finite_any),
    "grid.cells": Field("int", _int_at_least(1), size=HUGE_SIZE),
    "grid.tail": Field("number", _open_unit),
    "grid.upper": Field("number", _positive),
    "constraints.obedience": Field("bool"),
    "constraints.participation": Field("bool"),
    "constraints.nonnegative_payments": Field("bool"),
    "solver.time_limit": Field("number", _positive),
}
_PSP_POS = Field("number", _within(0, PSP_MAX, lo_open=True))
_PSP_NONNEG = Field("number", _within(0, PSP_MAX))
_PSP = {
    "model.epsilon": _PSP_POS,
    "model.seed": Field("int", _int_at_least(0, 2**63 - 1)),
    "model.max_iterations": Field("int", _int_at_least(1, 10**12)),
    "model.p_kappa": _PSP_POS,
    "sellers[].supply": _PSP_POS,
    "sellers[].reserve": _PSP_NONNEG,
    "sellers[].retention": _PSP_NONNEG,
    "buyers[].initial_price": _PSP_NONNEG,
    "buyers[].need": _PSP_NONNEG,
    "solver.check_nash": Field("bool"),
    "solver.warm_start": Field("bool"),
    "solver.nash_sample": Field("int", _int_at_least(1)),
}
for _k in ("price", "cap", "kappa", "qbar", "w", "a"):
    _PSP[f"buyers[].valuation.{_k}"] = _PSP_POS

# where type-law tables (datamech.models.distributions) sit, per kind
_DIST_TABLES = {
    "bilateral": ("buyer", "seller"),
    "offline": ("buyers[]",),
    "online": ("buyers[]",),
    "infosale": ("buyer", "buyers[]"),
}


def model_kind(doc: Mapping[str, Any]) -> str:
    """``chain_continuous`` for a chain with a ``support``, else ``[model] kind``."""
    m = doc.get("model", {})
    kind = m.get("kind", "") if isinstance(m, dict) else ""
    if kind == "chain" and "support" in m:
        return "chain_continuous"
    return kind if isinstance(kind, str) else ""


def field_for(kind: str, doc: dict[str, Any], path: DocPath) -> Field:
    """What the field at ``path`` is (by kind, path and, for type laws, family)."""
    keys = [i for i, k in enumerate(path) if isinstance(k, str)]
    key = path[keys[-1]]
    table_path = path[: keys[-1]]
    norm = norm_path(path)
    table_norm = norm_path(table_path)
    dist_tables = _DIST_TABLES.get(kind, ())
    in_dist = any(
        table_norm == t or (table_norm.startswith(t) and table_norm.endswith(".components[]"))
        for t in dist_tables
    )
    if in_dist:
        table = _get(doc, table_path)
        fam = table.get("family") if isinstance(table, dict) else None
        if key == "family":
            return Field("enum")
        known = _DIST_FIELDS.get(fam, {}) if isinstance(fam, str) else {}
        if key in known:
            return known[key]
    rules = {
        "chain": _CHAIN,
        "chain_continuous": _CHAIN_CONTINUOUS,
        "offline": _SCALING,
        "online": _SCALING,
        "bilateral": _BILATERAL,
        "infosale": _INFOSALE,
        "psp": _PSP,
    }.get(kind, {})
    if norm in rules:
        return rules[norm]
    value = _get(doc, path)
    if key == "name" and norm != "mechanism.name":
        return Field("name")
    free_names = ("outcomes.outcomes[]", "agents[].types[]")  # a mechanism's own labels
    if kind == "mechanism" and norm in free_names and isinstance(value, str):
        return Field("name")
    if isinstance(value, str) and as_number(value) is None:
        return Field("enum")
    if isinstance(value, bool):
        return Field("bool")
    if as_number(value) is not None:
        return Field("number")
    return Field("other")


# Optional keys absent from some examples, added so that bad values of them are tried too:
# (kind, path, a valid value, condition on the document).
_OPTIONAL: tuple[tuple[str, DocPath, Any, Callable[[dict[str, Any]], bool]], ...] = (
    ("chain", ("solver", "tol"), 1e-9, lambda d: True),
    ("chain", ("solver", "method"), "fast", lambda d: True),
    ("chain", ("solver", "exact"), False, lambda d: True),
    ("chain_continuous", ("solver", "tol"), 1e-9, lambda d: True),
    ("chain_continuous", ("model", "K0"), 1.0, lambda d: True),
    ("online", ("model", "grid"), 20000, lambda d: True),
    ("online", ("model", "delta"), "1/3", lambda d: d["model"].get("mechanism") == "two_stage"),
    ("bilateral", ("model", "price"), 0.5, lambda d: d["model"].get("good") == "indivisible"),
    ("infosale", ("grid", "tail"), 1e-3, lambda d: True),
    ("infosale", ("grid", "cells"), 40, lambda d: True),
    ("infosale", ("solver", "time_limit"), 60.0, lambda d: True),
    ("infosale", ("solver", "method"), "lp", lambda d: True),
    ("psp", ("model", "max_iterations"), 5000, lambda d: True),
    ("psp", ("model", "seed"), 0, lambda d: True),
    ("psp", ("sellers", 0, "retention"), 0.0, lambda d: True),
    ("psp", ("solver", "nash_sample"), 200, lambda d: True),
)

# lists whose order carries no meaning and whose entries are names
_NAME_SETS = {("bilateral", "model.mechanism"), ("psp", "buyers[].sellers")}
# other types documented as valid for a (kind, field) besides its example's
_ALSO_VALID: dict[tuple[str, str], tuple[type, ...]] = {
    ("bilateral", "model.mechanism"): (list, str),  # a name or a list of names
    ("infosale", "constraints.truthfulness"): (bool,),  # {"adjacent", "global", "off"} or bool
}
# an empty list here is documented as valid
_EMPTY_OK = {
    ("bilateral", "model.profiles"),
    ("bilateral", "model.mechanism"),
    ("mechanism", "constraints.requirements"),  # an empty list: no requirements
}


# ============================================================ the generator
class _Generator:
    def __init__(self, stem: str, raw: bytes, rng: random.Random, kinds: Sequence[str]):
        self.kinds = kinds
        self.stem = stem
        self.raw = raw
        self.doc: dict[str, Any] = tomllib.loads(raw.decode())
        self.kind = model_kind(self.doc)
        self.rng = rng
        self.cases: list[Case] = []

    # ---------------------------------------------------------------- helpers
    def add(
        self,
        mutation: str,
        path: DocPath | str,
        description: str,
        expect: Expect,
        doc: dict[str, Any] | None = None,
        *,
        content: bytes | None = None,
        reference: bytes | None = None,
        compare: bool = False,
        ignore: tuple[str, ...] = (),
    ) -> None:
        where = path if isinstance(path, str) else fmt_path(path)
        if content is None and doc is not None:
            content = dumps(doc).encode()
        if (expect == "equivalent" and mutation != "baseline") or compare:
            compare = True
            if reference is None:
                reference = self.raw
        self.cases.append(
            Case(
                case_id=f"{self.stem}/{mutation}/{where}",
                file=self.stem,
                mutation=mutation,
                field=where,
                description=description,
                expect=expect,
                content=content,
                reference=reference,
                compare=compare,
                ignore=ignore,
                kind=self.kind,
            )
        )

    def walk(self, node: Any, path: DocPath) -> Iterator[tuple[DocPath, Any]]:
        """Every node below ``node``: tables, keys, numeric arrays as one node; arrays of
        tables through a representative element or two (the first and one other)."""
        if isinstance(node, dict):
            for k, v in node.items():
                yield (*path, k), v
                yield from self.walk(v, (*path, k))
        elif _is_aot(node):
            picks = [0] + ([self.rng.randrange(1, len(node))] if len(node) > 1 else [])
            for i in picks:
                yield (*path, i), node[i]
                yield from self.walk(node[i], (*path, i))
        elif isinstance(node, list) and node and not _is_numeric_array(node):
            i = self.rng.randrange(len(node))  # e.g. one name of a list of names
            if not isinstance(node[i], list | dict):
                yield (*path, i), node[i]

    # ---------------------------------------------------------------- all cases
    def generate(self) -> list[Case]:
        self.add("baseline", "file", "the example file itself", "equivalent", content=self.raw)
        self.whole_file()
        self.other_kinds()
        self.unknown_key(())
        for path, value in list(self.walk(self.doc, ())):
            self.node(path, value)
        for kind, path, valid, cond in _OPTIONAL:
            if kind == self.kind and cond(self.doc) and not self._has(path):
                if path[0] in self.doc and not isinstance(self.doc[path[0]], dict | list):
                    continue
                doc = _with(self.doc, path, valid)
                self.scalar(doc, path, valid, added=True)
        self.equivalences()
        return self.cases

    def _has(self, path: DocPath) -> bool:
        try:
            _get(self.doc, path)
        except (KeyError, IndexError, TypeError):
            return False
        return True

    # ---------------------------------------------------------------- per node
    def node(self, path: DocPath, value: Any) -> None:
        doc = self.doc
        where = fmt_path(path)
        parent = _get(doc, path[:-1])
        if isinstance(parent, dict):
            self.add("delete", path, f"delete {where}", "either", _without(doc, path))
        elif _is_aot(parent) and len(parent) > 1:
            self.add(
                "delete",
                path,
                f"delete {where} (one of {len(parent)} tables)",
                "either",
                _without(doc, path),
            )
        if isinstance(value, dict):
            self.unknown_key(path)
            if len(path) > 0:
                for bad in ("abc", 1, [1]):
                    self.add(
                        "wrong_type",
                        path,
                        f"{where} = {_short(bad)}",
                        "reject",
                        _with(doc, path, bad),
                    )
        elif isinstance(value, list):
            self.array(doc, path, value)
        else:
            self.scalar(doc, path, value, added=False)

    def unknown_key(self, path: DocPath) -> None:
        target = (*path, UNKNOWN_KEY)
        self.add(
            "unknown_key",
            target,
            f"add {fmt_path(target)} = 1",
            "reject",
            _with(self.doc, target, 1),
        )

    def scalar(self, doc: dict[str, Any], path: DocPath, value: Any, added: bool) -> None:
        f = field_for(self.kind, doc, path)
        where = fmt_path(path)
        tag = " (key added)" if added else ""
        norm = norm_path(path)

        def put(mutation: str, new: Any, expect: Expect | None = None, text: str = "") -> None:
            if new == value and type(new) is type(value):
                return
            mutated = _with(doc, path, new)
            if expect is None:
                expect = (
                    "reject"
                    if f.check is not None and not f.check(new, mutated, path)
                    else "either"
                )
            self.add(mutation, path, (text or f"{where} = {_short(new)}") + tag, expect, mutated)

        also = _ALSO_VALID.get((self.kind, norm), ())

        def wrong(new: Any) -> None:
            # a bool is an int to isinstance, so types are compared exactly
            put("wrong_type", new, "either" if type(new) in also else "reject")

        if path == ("model", "kind"):
            for bad in ([value], {"value": value}, True, 1):
                wrong(bad)
            return
        if isinstance(value, bool):
            for bad in (str(value).lower(), 1, [value]):
                wrong(bad)
            return
        number = as_number(value)
        if isinstance(value, str) and number is None:  # a name or a choice
            for bad in ([value], {"value": value}, True, 1):
                wrong(bad)
            if f.role != "name":
                put("unknown_value", UNKNOWN_NAME, "reject")
            return
        if number is None:
            return
        for bad in ("abc", True, [value], {"value": value}):
            wrong(bad)
        put("nan", math.nan, "reject")
        put("inf", math.inf, "either" if f.inf_ok else "reject")
        put("neg_inf", -math.inf, "reject")
        if f.role == "prob" and number == 0:
            return  # zero entries of a law: the row-level perturbations cover them
        put(
            "negative",
            -abs(value)
            if isinstance(value, int | float) and number != 0
            else (-1 if number == 0 else f"-{value}"),
        )
        put("zero", 0 if isinstance(value, int) else 0.0)
        put("huge_value", 1e308)
        if f.role == "int" and isinstance(value, int):
            put("non_integer", value + 0.5, "reject")
        if f.size is not None:
            put("huge_size", f.size, "reject")

    def array(self, doc: dict[str, Any], path: DocPath, value: list[Any]) -> None:
        where = fmt_path(path)
        norm = norm_path(path)
        if _is_aot(value):
            self.add("empty_list", path, f"{where} = []", "reject", _with(doc, path, []))
            return
        empty_ok = (self.kind, norm) in _EMPTY_OK
        self.add(
            "empty_list",
            path,
            f"{where} = []",
            "either" if empty_ok else "reject",
            _with(doc, path, []),
        )
        also = _ALSO_VALID.get((self.kind, norm), ())
        for bad in (1, {"value": 1}, "abc"):
            expect: Expect = "either" if type(bad) in also else "reject"
            self.add("wrong_type", path, f"{where} = {_short(bad)}", expect, _with(doc, path, bad))
        if not _is_numeric_array(value):
            if all(isinstance(x, str) for x in value) and len(value) > 1:
                self.add(
                    "ragged_list",
                    path,
                    f"{where} loses its last entry",
                    "either",
                    _with(doc, path, value[:-1]),
                )
            return
        rows = list(_rows(value, ()))
        row = self.rng.choice(rows)
        if len(rows) > 1:
            cut = _with(doc, (*path, *row), _get(value, row)[:-1])
            self.add(
                "ragged_list", path, f"{where}{fmt_path(row)} loses its last entry", "reject", cut
            )
        else:
            self.add(
                "ragged_list",
                path,
                f"{where} loses its last entry",
                "reject",
                _with(doc, path, value[:-1]),
            )
        # the value mutations, on one entry
        probability = field_for(self.kind, doc, (*path, *next(_leaf_paths(value, ())))).role
        leaves = list(_leaf_paths(value, ()))
        if probability == "prob":
            nonzero = [p for p in leaves if as_number(_get(value, p)) != 0]
            leaves = nonzero or leaves
        leaf = self.rng.choice(leaves)
        self.scalar(doc, (*path, *leaf), _get(value, leaf), added=False)
        if probability == "prob":
            self.perturb(doc, path, value, row)
        if self.is_grid(norm):
            self.grid(doc, path, value)

    def is_grid(self, norm: str) -> bool:
        return norm in ("model.values", "model.support") or (
            norm.endswith(".values") and self.kind in _DIST_TABLES
        )

    def perturb(self, doc: dict[str, Any], path: DocPath, value: list[Any], row: DocPath) -> None:
        entries = _get(value, row)
        j = self.rng.randrange(len(entries))
        old = as_number(entries[j])
        assert old is not None
        at = (*path, *row, j)
        for mutation, delta, expect in (
            ("prob_perturb", 1e-3, "reject"),
            ("prob_perturb_tiny", 1e-12, "either"),
        ):
            new = float(old) + delta
            self.add(
                mutation,
                at,
                f"{fmt_path(at)} = {new!r} (was {toml_value(entries[j])}; "
                f"row sums to 1 + {delta:g})",
                expect,
                _with(doc, at, new),
            )

    def grid(self, doc: dict[str, Any], path: DocPath, value: list[Any]) -> None:
        where = fmt_path(path)
        # a chain's grid and a discrete law's values may come in any order, with repeats
        expect: Expect = "reject" if norm_path(path) == "model.support" else "either"
        distinct = [
            i for i in range(len(value) - 1) if as_number(value[i]) != as_number(value[i + 1])
        ]
        if distinct:
            i = self.rng.choice(distinct)
            swapped = list(value)
            swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
            self.add(
                "unsorted_grid",
                path,
                f"{where}: entries {i} and {i + 1} swapped "
                f"({toml_value(value[i])} <-> {toml_value(value[i + 1])}), nothing else",
                expect,
                _with(doc, path, swapped),
            )
            dup = list(value)
            dup[i + 1] = dup[i]
            self.add(
                "duplicate_grid",
                path,
                f"{where}[{i + 1}] = {toml_value(value[i])} (a repeated grid value), nothing else",
                expect,
                _with(doc, path, dup),
            )

    # ---------------------------------------------------------------- whole file
    def whole_file(self) -> None:
        raw = self.raw
        self.add(
            "non_utf8",
            "file",
            "a comment line with bytes FF FE first",
            "reject",
            content=b"# \xff\xfe not UTF-8\n" + raw,
        )
        latin = raw.replace(b'name = "', b'name = "caf\xe9 ', 1)
        if latin == raw:
            latin = raw + b"\n# caf\xe9\n"
        self.add(
            "non_utf8",
            "file#latin1",
            "a Latin-1 byte (E9) inside the model's name",
            "reject",
            content=latin,
        )
        self.add(
            "invalid_toml",
            "file",
            "the [model] table declared twice",
            "reject",
            content=raw + b'\n[model]\nkind = "chain"\n',
        )
        variants = [
            (
                "a key with no value after the first table header",
                re.sub(rb"^(\[[^\n]*\]\n)", rb"\1broken =\n", raw, count=1, flags=re.M),
            ),
            ("an unterminated string", raw + b'\nfuzz = "unterminated\n'),
            ("the file cut in half", raw[: len(raw) // 2]),
        ]
        self.rng.shuffle(variants)
        for text, content in variants:
            try:
                tomllib.loads(content.decode())
            except (tomllib.TOMLDecodeError, UnicodeDecodeError):
                self.add("invalid_toml", "file#2", text, "reject", content=content)
                break

    def other_kinds(self) -> None:
        own = self.doc["model"]["kind"]
        for kind in (*self.kinds, "auction"):
            if kind == own:
                continue
            expect: Expect = "either" if (own, kind) == ("offline", "online") else "reject"
            self.add(
                "other_kind",
                ("model", "kind"),
                f'model.kind = "{kind}" (was "{own}")',
                expect,
                _with(self.doc, ("model", "kind"), kind),
            )

    # ---------------------------------------------------------------- equivalences
    def equivalences(self) -> None:
        doc = self.doc
        self.add(
            "eq_roundtrip",
            "file",
            "rewritten by the fuzzer's TOML writer (no comments)",
            "equivalent",
            doc,
        )
        shuffled = _reorder(doc, self.rng.shuffle)
        self.add("eq_reorder", "file", "keys and tables in shuffled order", "equivalent", shuffled)
        self.add(
            "eq_reorder",
            "file#reversed",
            "keys and tables in reversed order",
            "equivalent",
            _reorder(doc, lambda items: items.reverse()),
        )
        self.fractions()
        if self.kind == "chain":
            self.chain_relabel()
        for path, value in self.walk(doc, ()):
            if isinstance(value, dict) and value.get("family") == "discrete":
                self.discrete_law(path, value)
            elif (
                (self.kind, norm_path(path)) in _NAME_SETS
                and isinstance(value, list)
                and len(value) > 1
            ):
                order = _shuffled(list(range(len(value))), self.rng)
                self.add(
                    "eq_permute",
                    path,
                    f"{fmt_path(path)} reordered to {toml_value([value[i] for i in order])}",
                    "equivalent",
                    _with(doc, path, [value[i] for i in order]),
                )

    def fractions(self) -> None:
        """Every numeric field with floats (or "p/q" strings of exact decimals) rewritten
        in the other notation: 0.5 <-> "1/2" (numbers are ints, floats or "p/q" strings
        in every kind, datamech.numeric)."""
        for path, value in self.walk(self.doc, ()):
            if isinstance(value, dict | bool) or path[0] == "solver":
                continue
            if not (_is_numeric_array(value) or as_number(value) is not None):
                continue
            f = field_for(
                self.kind,
                self.doc,
                path if not isinstance(value, list) else (*path, *next(_leaf_paths(value, ()))),
            )
            if f.role == "int":
                continue
            new, changed = _flip_notation(value)
            if not changed:
                continue
            self.add(
                "eq_fraction",
                path,
                f"{fmt_path(path)} = {_short(new)} (was {_short(value)})",
                "equivalent",
                _with(self.doc, path, new),
            )

    def chain_relabel(self) -> None:
        """A chain's grid permuted (transitions' rows and columns, start with it), and a grid
        point split into two equal-valued points (a lumpable chain).  Seller ties then
        depend on grid order under ``tie_break = "first"``, and on rounding under
        ``tol = 0``, so both sides are solved with ``tie_break = "low"`` and the default
        tolerance."""
        base = copy.deepcopy(self.doc)
        solver = base.setdefault("solver", {})
        if solver.get("tie_break") not in ("low", "high"):
            solver["tie_break"] = "low"
        if solver.get("tol") == 0:
            del solver["tol"]
        reference = self.raw if base == self.doc else dumps(base).encode()
        note = "" if base == self.doc else ' (both with tie_break = "low", default tol)'
        m = base["model"]
        size = len(m["values"])
        order = _shuffled(list(range(size)), self.rng)
        self.add(
            "eq_permute",
            "model.values",
            f"grid permuted by {order} with transitions and start{note}",
            "equivalent",
            _chain_permuted(base, order),
            reference=reference,
        )
        k = self.rng.randrange(size)
        self.add(
            "eq_split",
            "model.values",
            f"grid point {k} ({toml_value(m['values'][k])}) "
            f"split into two with half the transition mass each{note}",
            "equivalent",
            _chain_split(base, k),
            reference=reference,
            ignore=("L", "ties"),
        )

    def discrete_law(self, path: DocPath, law: dict[str, Any]) -> None:
        """A discrete law permuted, and an atom split into two (values are documented to
        come in any order, equal values merged: the same law)."""
        values, probs = law.get("values"), law.get("probs")
        if not (
            isinstance(values, list)
            and isinstance(probs, list)
            and len(values) > 1
            and len(values) == len(probs)
        ):
            return
        order = _shuffled(list(range(len(values))), self.rng)
        permuted = dict(law, values=[values[i] for i in order], probs=[probs[i] for i in order])
        where = fmt_path(path)
        self.add(
            "eq_permute",
            path,
            f"{where}: values and probs permuted by {order}",
            "equivalent",
            _with(self.doc, path, permuted),
        )
        k = self.rng.randrange(len(values))
        half = _half(probs[k])
        split = dict(
            law,
            values=values[: k + 1] + values[k:],
            probs=probs[:k] + [half, half] + probs[k + 1 :],
        )
        self.add(
            "eq_split",
            path,
            f"{where}: atom {toml_value(values[k])} split into two of "
            f"probability {toml_value(half)}",
            "equivalent",
            _with(self.doc, path, split),
        )


def _shuffled(items: list[int], rng: random.Random) -> list[int]:
    """A permutation that is not the identity (for two or more items)."""
    out = list(items)
    while len(out) > 1 and out == items:
        rng.shuffle(out)
    return out


def _reorder(doc: Any, permute: Callable[[list[Any]], None]) -> Any:
    """Keys of every table in a new order (arrays keep theirs: [[buyers]] order matters)."""
    if isinstance(doc, dict):
        items = list(doc.items())
        permute(items)
        return {k: _reorder(v, permute) for k, v in items}
    if isinstance(doc, list):
        return [_reorder(x, permute) for x in doc]
    return doc


def _flip_notation(v: Any) -> tuple[Any, bool]:
    """Floats as "p/q" strings of the decimals they print as; "p/q" strings of exact
    decimals as floats.  Ints stay."""
    if isinstance(v, list):
        flipped = [_flip_notation(x) for x in v]
        return [x for x, _ in flipped], any(c for _, c in flipped)
    if isinstance(v, float) and math.isfinite(v):
        q = Fraction(repr(v))
        return f"{q.numerator}/{q.denominator}", True
    if isinstance(v, str):
        q = as_number(v)
        if isinstance(q, Fraction):
            d = q.denominator
            while d % 2 == 0:
                d //= 2
            while d % 5 == 0:
                d //= 5
            if d == 1 and q.denominator > 1:
                f = float(q)
                if Fraction(repr(f)) == q:
                    return f, True
    return v, False


def _half(x: Any) -> Any:
    q = as_number(x)
    if isinstance(q, Fraction):
        h = q / 2
        return f"{h.numerator}/{h.denominator}"
    return float(x) / 2


def _chain_matrices(m: dict[str, Any]) -> tuple[str, list[Any]]:
    if "transitions" in m:
        return "transitions", list(m["transitions"])
    return "transition", [m["transition"]]


def _chain_permuted(doc: dict[str, Any], order: list[int]) -> dict[str, Any]:
    """Grid point order[i] becomes point i."""
    out = copy.deepcopy(doc)
    m = out["model"]
    m["values"] = [m["values"][i] for i in order]
    key, mats = _chain_matrices(m)
    mats = [[[P[i][j] for j in order] for i in order] for P in mats]
    m[key] = mats if key == "transitions" else mats[0]
    if "start" in m:
        m["start"] = order.index(m["start"])
    if "start_distribution" in m:
        m["start_distribution"] = [m["start_distribution"][i] for i in order]
    return out


def _chain_split(doc: dict[str, Any], k: int) -> dict[str, Any]:
    """Point k duplicated as k+1: columns k and k+1 share column k's mass, row k+1 = row k."""
    out = copy.deepcopy(doc)
    m = out["model"]
    m["values"] = m["values"][: k + 1] + m["values"][k:]

    def split_row(row: list[Any]) -> list[Any]:
        return row[:k] + [_half(row[k]), _half(row[k])] + row[k + 1 :]

    key, mats = _chain_matrices(m)
    new = []
    for P in mats:
        rows = [split_row(r) for r in P]
        new.append(rows[: k + 1] + [list(rows[k])] + rows[k + 1 :])
    m[key] = new if key == "transitions" else new[0]
    if "start" in m and m["start"] > k:
        m["start"] += 1
    if "start_distribution" in m:
        m["start_distribution"] = split_row(m["start_distribution"])
    return out


def example_files() -> dict[str, bytes]:
    return {p.stem: p.read_bytes() for p in sorted(EXAMPLES.glob("*.toml"))}


def generate_cases(seed: int = 0, files: Iterable[str] | None = None) -> list[Case]:
    """The full, deterministic list of cases for ``seed`` (every example, or ``files``)."""
    rng = random.Random(seed)
    examples = example_files()
    kinds = sorted({tomllib.loads(raw.decode())["model"]["kind"] for raw in examples.values()})
    wanted = set(files) if files is not None else None
    cases: list[Case] = []
    for stem, raw in examples.items():
        gen = _Generator(stem, raw, random.Random(rng.random()), kinds)
        generated = gen.generate()
        if wanted is None or stem in wanted:
            cases += generated
    if wanted is None:
        cases += [
            Case("-/empty_file", "", "empty_file", "file", "an empty file", "reject", b""),
            Case("-/directory", "", "directory", "file", "a directory instead of a file", "reject"),
            Case(
                "-/missing_file", "", "missing_file", "file", "a file that does not exist", "reject"
            ),
        ]
    seen: dict[str, int] = {}
    unique = []
    for c in cases:  # ids stay unique when a field gets two mutations of one class
        n = seen.get(c.case_id, 0)
        seen[c.case_id] = n + 1
        unique.append(c if n == 0 else dataclasses.replace(c, case_id=f"{c.case_id}#{n + 1}"))
    return unique


def sample_cases(cases: Sequence[Case], n: int = 50, seed: int = 0) -> list[Case]:
    """A deterministic sample of about ``n`` cases with every example file and every
    mutation class at least once (in the cases' own order)."""
    rng = random.Random(seed)
    order = list(range(len(cases)))
    rng.shuffle(order)
    chosen: list[int] = []
    files: dict[str, int] = {}

    def take(i: int) -> None:
        chosen.append(i)
        files[cases[i].file] = files.get(cases[i].file, 0) + 1

    for mutation in MUTATIONS:
        pool = [i for i in order if cases[i].mutation == mutation and i not in chosen]
        if pool:
            take(min(pool, key=lambda i: files.get(cases[i].file, 0)))
    for stem in sorted({c.file for c in cases}):
        if stem not in files:
            take(next(i for i in order if cases[i].file == stem))
    for i in order:
        if len(chosen) >= n:
            break
        if i not in chosen:
            take(i)
    return [cases[i] for i in sorted(chosen)]


# ============================================================ judging a run
def _json_object(stdout: str) -> tuple[dict[str, Any] | None, str]:
    def no_constant(name: str) -> None:
        raise ValueError(f"non-JSON constant {name}")

    try:
        data = json.loads(stdout, parse_constant=no_constant)
    except ValueError as exc:
        head = stdout.strip().splitlines()[0][:100] if stdout.strip() else "(empty)"
        return None, f"stdout is not one JSON object ({exc}): {head}"
    if not isinstance(data, dict):
        return None, f"stdout is JSON but not an object: {type(data).__name__}"
    return data, ""


_BOILERPLATE = re.compile(r"\s*\(a bug; rerun with .*\)\s*$")  # the CLI's internal-error hint


def _last_traceback_line(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    if "Traceback" in stderr:
        for ln in reversed(lines):
            if not ln.startswith((" ", "\t")) and not ln.startswith("Traceback"):
                return ln.strip()
    return _BOILERPLATE.sub("", lines[-1].strip()) if lines else "(no output on stderr)"


_MEMORY = ("MemoryError", "std::bad_alloc", "Cannot allocate memory", "out of memory")


def numbers(data: Any, prefix: str = "") -> dict[str, Any]:
    """Scalar fields of a result (nested objects, not arrays; strings kept so that a
    number printed as a string is seen), timings left out."""
    out: dict[str, Any] = {}
    if isinstance(data, dict):
        for k, v in data.items():
            name = f"{prefix}.{k}" if prefix else k
            if isinstance(v, dict):
                out.update(numbers(v, name))
            elif "seconds" in k or isinstance(v, bool | list):
                continue
            elif v is None or isinstance(v, int | float | str):
                out[name] = v
    return out


def compare_numbers(
    got: dict[str, Any], want: dict[str, Any], ignore: Iterable[str] = ()
) -> list[str]:
    """Differences between the numeric scalar fields of two results, as text."""
    skip = set(ignore)
    a, b = numbers(got), numbers(want)
    diffs = []
    for key in sorted(set(a) | set(b)):
        if key.rsplit(".", 1)[-1] in skip:
            continue
        if key not in a or key not in b:
            if not isinstance(a.get(key, b.get(key)), str):
                diffs.append(f"{key} only in {'reference' if key in b else 'variant'}")
            continue
        x, y = a[key], b[key]
        if isinstance(x, str) or isinstance(y, str):
            # a number printed as a string on one side only; text (or text vs null, e.g.
            # an exact rational that a float run does not have) is not compared
            if isinstance(x, int | float) or isinstance(y, int | float):
                diffs.append(f"{key}: {x!r} vs {y!r}")
        elif x is None or y is None:
            if (x is None) != (y is None):
                diffs.append(f"{key}: {x} vs {y}")
        elif not math.isclose(x, y, rel_tol=REL_TOL, abs_tol=ABS_TOL):
            diffs.append(f"{key}: {x!r} vs {y!r}")
    return diffs


def classify(case: Case, run: Run, reference: Run | None = None) -> tuple[str | None, str]:
    """(category, detail) of a run; category None when the case met its contract."""
    if run.timed_out or run.rc == -signal.SIGXCPU:
        return "timeout", f"killed after {run.seconds:.0f} s"
    err = run.stderr
    err_lines = err.splitlines()
    first = err_lines[0].strip() if err_lines else ""
    if run.rc in (0, 3):
        data, problem = _json_object(run.stdout)
        if data is None or "Traceback" in err:
            return "traceback", problem or _last_traceback_line(err)
        if case.expect == "reject":
            return "silent_accept", f"exit {run.rc}, accepted"
        if case.compare and reference is not None:
            if reference.rc not in (0, 3):
                return "mismatch", f"reference run failed: {_last_traceback_line(reference.stderr)}"
            ref, problem = _json_object(reference.stdout)
            if ref is None:
                return "mismatch", f"reference run: {problem}"
            diffs = compare_numbers(data, ref, case.ignore)
            if diffs:
                more = f" (+{len(diffs) - 3} more)" if len(diffs) > 3 else ""
                return "mismatch", "; ".join(diffs[:3]) + more
        return None, ""
    clean = (
        run.rc == 2
        and len(err_lines) == 1
        and first.startswith(ERROR_PREFIX)
        and "Traceback" not in err
    )
    if clean:
        if case.expect == "equivalent":
            return "false_reject", first
        return None, first
    if any(m in err for m in _MEMORY):
        return "oom", _last_traceback_line(err)
    if run.rc is not None and run.rc < 0:
        name = signal.Signals(-run.rc).name
        if run.maxrss_kb * 1024 > MEMORY_LIMIT // 2 or -run.rc == signal.SIGKILL:
            return "oom", f"killed by {name} (max RSS {run.maxrss_kb // 1024} MB)"
        return "traceback", f"killed by {name}: {_last_traceback_line(err)}"
    if run.rc == 2 and "Traceback" not in err and err_lines:
        return "traceback", f"exit 2 with {len(err_lines)} lines on stderr: {first[:150]}"
    return "traceback", f"exit {run.rc}: {_last_traceback_line(err)}"


def _notes(run: Run) -> list[str]:
    if run.rc in (0, 3) and run.stderr.strip():
        return [ln for ln in run.stderr.splitlines() if ln.strip()][:3]
    return []


# ============================================================ running cases
_NEVER_MATCHES = "datamech fuzz: no warning has this text"


def _call_main(argv: list[str]) -> int:
    import datamech.cli

    try:
        rc = datamech.cli.main(argv)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    return rc if isinstance(rc, int) else 0


def _limit(memory: int, timeout: float) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    # CPU seconds: a backstop that ends a child whose parent died before it could kill it
    cpu = int(timeout) + 10
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 10))


def _child(argv: list[str], out_path: str, err_path: str, memory: int, timeout: float) -> None:
    """In the forked child: limits, output to files, the CLI, exit.  Never returns."""
    code = 1
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        os.dup2(os.open(out_path, flags, 0o644), 1)
        os.dup2(os.open(err_path, flags, 0o644), 2)
        _limit(memory, timeout)
        # a changed filter list clears the warnings already shown in the warm-up, so a
        # child prints the warnings a fresh process would
        warnings.filterwarnings("default", message=_NEVER_MATCHES)
        code = _call_main(argv)
    except BaseException:  # anything escaping the CLI is the finding
        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:  # the child is exiting anyway
                pass
        os._exit(code)


def _wait(pid: int, timeout: float, started: float) -> tuple[int, bool, int]:
    """(exit code, timed out, max RSS in KB) of child ``pid`` (its own process group),
    killing the group after ``timeout`` seconds."""
    try:
        pidfd: int | None = os.pidfd_open(pid)
    except (AttributeError, OSError):  # no pidfd (old kernel or not Linux): poll
        pidfd = None
    delay = 0.001
    try:
        while True:
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status), False, usage.ru_maxrss
            left = timeout - (time.monotonic() - started)
            if left <= 0:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                _, status, usage = os.wait4(pid, 0)
                return os.waitstatus_to_exitcode(status), True, usage.ru_maxrss
            if pidfd is not None:
                select.select([pidfd], [], [], left)  # readable once the child exits
            else:
                time.sleep(min(delay, left))
                delay = min(2 * delay, 0.02)
    finally:
        if pidfd is not None:
            os.close(pidfd)


def fork_run(argv: list[str], out_path: str, err_path: str, timeout: float, memory: int) -> Run:
    """Run the CLI in a forked child of this (already warmed-up) process."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.setpgid(0, 0)
        _child(argv, out_path, err_path, memory, timeout)
    try:
        os.setpgid(pid, pid)  # also here: no race with a kill before the child's own call
    except (PermissionError, ProcessLookupError):
        pass
    rc, timed_out, rss = _wait(pid, timeout, started)
    return _read_run(rc, out_path, err_path, time.monotonic() - started, timed_out, rss)


def subprocess_run(
    argv: list[str], out_path: str, err_path: str, timeout: float, memory: int
) -> Run:
    """Run ``python -m datamech.cli`` as a new process (the real entry point)."""

    def limit() -> None:
        _limit(memory, timeout)

    started = time.monotonic()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "datamech.cli", *argv],
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            cwd=ROOT,
            preexec_fn=limit,  # setrlimit must run in the child
            start_new_session=True,
        )
    rc, timed_out, rss = _wait(proc.pid, timeout, started)
    proc.returncode = rc  # reaped here; keep Popen from waiting again
    return _read_run(rc, out_path, err_path, time.monotonic() - started, timed_out, rss)


def _read_run(
    rc: int, out_path: str, err_path: str, seconds: float, timed_out: bool, rss: int
) -> Run:
    def text(p: str) -> str:
        return Path(p).read_bytes().decode("utf-8", errors="replace")

    return Run(rc, text(out_path), text(err_path), seconds, timed_out, rss)


def _worker_main() -> int:
    """``python tests/fuzzing.py --worker``: read one JSON request per line on stdin
    (the first names files to warm up with), fork a child per case, answer on stdout."""
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # whatever the CLI prints in this process goes nowhere
    saved_err = os.dup(2)
    import datamech.cli  # noqa: F401 - imported once, before any fork

    first = json.loads(sys.stdin.readline())
    t0 = time.monotonic()
    os.dup2(devnull, 2)
    for path in first.get("warmup", []):
        try:
            _call_main(["solve", path, "--json"])
        except BaseException:  # a broken example shows up as its baseline case
            pass
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(saved_err, 2)
    proto.write(json.dumps({"ready": True, "seconds": time.monotonic() - t0}) + "\n")
    for line in sys.stdin:
        req = json.loads(line)
        run = fork_run(req["argv"], req["out"], req["err"], req["timeout"], req["memory"])
        reply = {
            "rc": run.rc,
            "seconds": run.seconds,
            "timed_out": run.timed_out,
            "maxrss_kb": run.maxrss_kb,
        }
        proto.write(json.dumps(reply) + "\n")
    return 0


class WorkerDied(RuntimeError):
    pass


WARMUP_TIMEOUT = 300.0  # seconds for a worker to import and solve its warm-up examples


class _Worker:
    """A ``--worker`` process and its pipe."""

    def __init__(self, warmup: list[str], log: Path):
        try:
            self.start(warmup, log)
        except WorkerDied:  # e.g. an example that hangs: go on without warming up
            self.close()
            self.start([], log)

    def start(self, warmup: list[str], log: Path) -> None:
        env = dict(os.environ)
        for var in (
            "OMP_NUM_THREADS",
            "OPENBLAS_NUM_THREADS",
            "MKL_NUM_THREADS",
            "NUMBA_NUM_THREADS",
        ):
            env.setdefault(var, "1")  # one thread per case: two workers share two cores
        self.log = log
        with open(log, "ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), "--worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                cwd=ROOT,
                env=env,
                text=True,
            )
        self.request({"warmup": warmup}, WARMUP_TIMEOUT)

    def request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(json.dumps(message) + "\n")
            self.proc.stdin.flush()
            # replies are single lines, so nothing is left in the reader's buffer
            if not select.select([self.proc.stdout], [], [], timeout)[0]:
                raise WorkerDied(f"no answer in {timeout:.0f} s")
            line = self.proc.stdout.readline()
        except (BrokenPipeError, OSError) as exc:
            raise WorkerDied(str(exc)) from None
        if not line:
            tail = self.log.read_text(errors="replace").strip().splitlines()[-1:]
            raise WorkerDied(f"worker exited ({tail[0] if tail else 'no message'})")
        return json.loads(line)

    def close(self) -> None:
        if self.proc.stdin:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@dataclass
class _Job:
    index: int
    argv: list[str]
    out: str
    err: str


def _warmup_files(cases: Iterable[Case]) -> list[str]:
    """One example per kind and solver method in use: imports, caches, compiled code."""
    by_kind: dict[str, str] = {}
    examples = example_files()
    for stem in sorted({c.file for c in cases if c.file} & set(examples)):
        doc = tomllib.loads(examples[stem].decode())
        solver = doc.get("solver", {})
        method = solver.get("method", "") if isinstance(solver, dict) else ""
        by_kind.setdefault(f"{model_kind(doc)}:{method}", str(EXAMPLES / f"{stem}.toml"))
    return sorted(by_kind.values())


def run_cases(
    cases: Sequence[Case],
    *,
    workers: int = WORKERS,
    timeout: float = TIMEOUT,
    memory: int = MEMORY_LIMIT,
    mode: Literal["fork", "subprocess"] = "fork",
    keep: str | Path | None = None,
    warmup: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> list[Outcome]:
    """Run every case (and the references it is compared with) and judge it.

    Files are written to a temporary directory, or to ``keep`` (left in place, so that the
    printed commands can be run again).  ``warmup=False`` skips solving examples in the
    workers first: cheaper for a handful of cases, slower for many.
    """
    tmp = None
    if keep is None:
        tmp = tempfile.TemporaryDirectory(prefix="datamech-fuzz-")
        where = Path(tmp.name)
    else:
        where = Path(keep)
        where.mkdir(parents=True, exist_ok=True)
    try:
        return _run_in(cases, where, workers, timeout, memory, mode, warmup, progress)
    finally:
        if tmp is not None:
            tmp.cleanup()


def _run_in(
    cases: Sequence[Case],
    where: Path,
    workers: int,
    timeout: float,
    memory: int,
    mode: str,
    warmup: bool,
    progress: Callable[[int, int], None] | None,
) -> list[Outcome]:
    # one run per distinct file content: references are usually some case's own file
    runs: dict[str, int] = {}
    jobs: list[_Job] = []
    paths: dict[str, str] = {}

    def job_for(key: str, name: str, content: bytes | None, special: str = "") -> int:
        if key in runs:
            return runs[key]
        path = where / name
        if special == "directory":
            path.mkdir(exist_ok=True)
        elif special != "missing_file":
            path.write_bytes(content or b"")
        index = len(jobs)
        out = where / f"{name}.stdout"
        jobs.append(
            _Job(index, ["solve", str(path), "--json"], str(out), str(where / f"{name}.stderr"))
        )
        runs[key] = index
        paths[key] = str(path)
        return index

    def key_of(content: bytes) -> str:
        return hashlib.sha1(content).hexdigest()

    plan: list[tuple[int, int | None, str]] = []
    for n, case in enumerate(cases):
        stem = case.file or "file"
        if case.content is None:
            key = f"special:{case.mutation}"
            run_index = job_for(key, f"{n:05d}-{stem}.toml", None, special=case.mutation)
        else:
            key = key_of(case.content)
            run_index = job_for(key, f"{n:05d}-{stem}.toml", case.content)
        ref_index = None
        if case.compare and case.reference is not None:
            ref_index = job_for(key_of(case.reference), f"ref-{n:05d}-{stem}.toml", case.reference)
        plan.append((run_index, ref_index, key))

    files = _warmup_files(cases) if warmup else []
    results = _execute(jobs, files, min(workers, len(jobs)), timeout, memory, mode, progress, where)
    outcomes = []
    for case, (run_index, ref_index, key) in zip(cases, plan, strict=True):
        run = results[run_index]
        category, detail = classify(case, run, None if ref_index is None else results[ref_index])
        outcomes.append(Outcome(case, run, category, detail, paths[key], _notes(run)))
    return outcomes


def _execute(
    jobs: list[_Job],
    warmup: list[str],
    workers: int,
    timeout: float,
    memory: int,
    mode: str,
    progress: Callable[[int, int], None] | None,
    where: Path,
) -> list[Run]:
    pending: queue.Queue[_Job] = queue.Queue()
    for job in jobs:
        pending.put(job)
    results: list[Run | None] = [None] * len(jobs)
    lock = threading.Lock()
    done = [0]

    def finish(job: _Job, run: Run) -> None:
        results[job.index] = run
        with lock:
            done[0] += 1
            if progress is not None:
                progress(done[0], len(jobs))

    def drain(slot: int) -> None:
        worker: _Worker | None = None
        log = where / f"worker-{slot}.log"
        try:
            while True:
                try:
                    job = pending.get_nowait()
                except queue.Empty:
                    return
                if mode == "subprocess":
                    finish(job, subprocess_run(job.argv, job.out, job.err, timeout, memory))
                    continue
                try:
                    if worker is None:
                        worker = _Worker(warmup, log)
                    reply = worker.request(
                        {
                            "argv": job.argv,
                            "out": job.out,
                            "err": job.err,
                            "timeout": timeout,
                            "memory": memory,
                        },
                        timeout + 60,
                    )
                except WorkerDied as exc:
                    if worker is not None:
                        worker.close()
                    worker = None
                    finish(job, Run(None, "", f"fuzz worker died: {exc}", 0.0))
                    continue
                finish(
                    job,
                    _read_run(
                        reply["rc"],
                        job.out,
                        job.err,
                        reply["seconds"],
                        reply["timed_out"],
                        reply["maxrss_kb"],
                    ),
                )
        finally:
            if worker is not None:
                worker.close()

    threads = [threading.Thread(target=drain, args=(k,), daemon=True) for k in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [r if r is not None else Run(None, "", "not run", 0.0) for r in results]


# ============================================================ reporting
def failure_line(o: Outcome) -> str:
    c = o.case
    return (
        f"{o.category:<13} {c.file or '-':<32} [{c.mutation}] {c.description} -> {o.detail[:200]}"
    )


def format_failures(outcomes: Sequence[Outcome]) -> str:
    """One compact line per failing case: category, file, mutation, first error line."""
    failed = [o for o in outcomes if o.category]
    counts = {cat: sum(o.category == cat for o in failed) for cat in CATEGORIES}
    head = (
        f"{len(failed)} of {len(outcomes)} fuzz cases failed ("
        + ", ".join(f"{cat} {n}" for cat, n in counts.items() if n)
        + ")"
    )
    order = sorted(
        failed, key=lambda o: (CATEGORIES.index(o.category or ""), o.case.file, o.case.field)
    )
    return "\n".join([head, *(failure_line(o) for o in order)])


if __name__ == "__main__":
    if sys.argv[1:] == ["--worker"]:
        sys.exit(_worker_main())
    sys.exit("usage: python tests/fuzzing.py --worker (see benchmarks/fuzz_report.py)")
