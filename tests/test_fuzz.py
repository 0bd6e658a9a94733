"""The model-file fuzzer (issue 12 §5): every mutated example file is solved or refused
cleanly, quickly and within memory; equivalent rewrites give the same numbers.

The contract and the mutations are in ``tests/fuzzing.py``; ``python
benchmarks/fuzz_report.py`` runs the full set and prints the bug report.
"""

from __future__ import annotations

import functools
import math
import tomllib

import pytest

from tests import fuzzing

SEED = 0
SAMPLE = 50


@functools.cache
def cases() -> list[fuzzing.Case]:
    return fuzzing.generate_cases(seed=SEED)


@functools.cache
def fast() -> list[fuzzing.Case]:
    return fuzzing.sample_cases(cases(), SAMPLE, seed=SEED)


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


# ---------------------------------------------------------------- the generator
def test_cases_are_deterministic_unique_and_cover_every_example():
    all_cases = cases()
    assert fuzzing.generate_cases(seed=SEED) == all_cases
    assert fuzzing.generate_cases(seed=SEED + 1) != all_cases
    assert len(all_cases) >= 600
    assert len({c.case_id for c in all_cases}) == len(all_cases)
    assert {c.file for c in all_cases} - {""} == set(fuzzing.example_files())
    assert {c.mutation for c in all_cases} == set(fuzzing.MUTATIONS)
    assert {c.expect for c in all_cases} == {"reject", "either", "equivalent"}


def test_fast_sample_covers_every_file_and_mutation_class():
    sample = fast()
    assert 40 <= len(sample) <= 60
    assert {c.file for c in sample} == {c.file for c in cases()}
    assert {c.mutation for c in sample} == set(fuzzing.MUTATIONS)
    assert sample == fuzzing.sample_cases(cases(), SAMPLE, seed=SEED)


def test_writer_round_trips_every_example():
    for stem, raw in fuzzing.example_files().items():
        doc = tomllib.loads(raw.decode())
        assert _same(tomllib.loads(fuzzing.dumps(doc)), doc), stem


def test_mutated_files_are_the_toml_they_describe():
    originals = {s: tomllib.loads(r.decode()) for s, r in fuzzing.example_files().items()}
    for case in cases():
        if case.mutation in ("non_utf8", "invalid_toml"):
            with pytest.raises((UnicodeDecodeError, tomllib.TOMLDecodeError)):
                tomllib.loads((case.content or b"").decode())
            continue
        if case.mutation in ("directory", "missing_file"):
            assert case.content is None
            continue
        assert case.content is not None
        doc = tomllib.loads(case.content.decode())  # the writer's TOML parses
        if case.mutation in ("baseline", "eq_roundtrip", "eq_reorder"):
            assert _same(doc, originals[case.file]), case.case_id  # the same data
        elif case.file:
            assert not _same(doc, originals[case.file]), case.case_id  # a real change
        if case.compare:
            assert case.reference is not None, case.case_id


def test_kind_mutation_is_a_list_that_must_be_refused():
    case = next(c for c in cases() if c.case_id == "offline_i3/wrong_type/model.kind")
    assert tomllib.loads(case.content.decode())["model"]["kind"] == ["offline"]
    assert case.expect == "reject"


# ---------------------------------------------------------------- judging runs
def _case(expect: fuzzing.Expect, compare: bool = False) -> fuzzing.Case:
    return fuzzing.Case(
        "x/y/z",
        "x",
        "wrong_type",
        "z",
        "z = 1",
        expect,
        b"",
        reference=b"" if compare else None,
        compare=compare,
    )


def _run(rc: int | None, stdout: str = "", stderr: str = "", **kw: object) -> fuzzing.Run:
    return fuzzing.Run(rc, stdout, stderr, 0.1, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("expect", "run", "category"),
    [
        ("reject", _run(2, stderr="datamech: error: model.n: must be an integer\n"), None),
        ("either", _run(0, stdout='{"a": 1}\n'), None),
        ("either", _run(3, stdout='{"a": 1}\n', stderr="datamech: iteration limit\n"), None),
        ("reject", _run(0, stdout='{"a": 1}\n'), "silent_accept"),
        ("equivalent", _run(2, stderr="datamech: error: x: no\n"), "false_reject"),
        (
            "either",
            _run(1, stderr="Traceback (most recent call last):\n  x\nKeyError: 'a'\n"),
            "traceback",
        ),
        (
            "either",
            _run(2, stderr="datamech: warning: overflow\ndatamech: error: x\n"),
            "traceback",
        ),
        ("either", _run(2, stderr="error: x\n"), "traceback"),
        ("either", _run(0, stdout='{"a": NaN}\n'), "traceback"),
        ("either", _run(0, stdout='{"a": 1}\n{"b": 2}\n'), "traceback"),
        ("either", _run(1, stderr="Traceback (most recent call last):\nMemoryError\n"), "oom"),
        ("either", _run(-9), "oom"),
        ("either", _run(None, timed_out=True), "timeout"),
    ],
)
def test_classify(expect: fuzzing.Expect, run: fuzzing.Run, category: str | None):
    assert fuzzing.classify(_case(expect), run)[0] == category


def test_classify_compares_numbers_with_the_reference():
    ref = _run(0, stdout='{"w": 1.0, "n": {"x": 2}, "seconds": 5, "s": "ok", "l": [1]}')
    same = _run(0, stdout='{"w": 1.0000000000001, "n": {"x": 2}, "seconds": 9, "l": [2]}')
    other = _run(0, stdout='{"w": 1.0, "n": {"x": 3}}')
    text = _run(0, stdout='{"w": "1/1", "n": {"x": 2}}')
    exact = _run(0, stdout='{"w": 1.0, "n": {"x": 2}, "e": "13/7"}')
    floats = _run(0, stdout='{"w": 1.0, "n": {"x": 2}, "e": null}')
    case = _case("equivalent", compare=True)
    assert fuzzing.classify(case, same, ref) == (None, "")
    assert fuzzing.classify(case, floats, exact) == (None, "")
    assert fuzzing.classify(case, other, ref) == ("mismatch", "n.x: 3 vs 2")
    assert fuzzing.classify(case, text, ref)[0] == "mismatch"


# ---------------------------------------------------------------- running them
def _failures(outcomes: list[fuzzing.Outcome]) -> str:
    return "\n" + fuzzing.format_failures(outcomes)


def test_fuzz_fast_sample():
    outcomes = fuzzing.run_cases(fast())
    assert not any(o.category for o in outcomes), _failures(outcomes)


def test_fuzz_real_entry_point_agrees_with_forked_runs():
    """A handful of cases through ``python -m datamech.cli``: the real entry point, and a
    check that forked runs judge cases as fresh processes do."""
    ids = [
        "chain_model2/baseline/file",
        "offline_i3/unknown_key/model.fuzz_unknown_key",
        "bilateral_b1/invalid_toml/file",
        "-/missing_file",
    ]
    chosen = [c for c in cases() if c.case_id in ids]
    assert len(chosen) == len(ids)
    real = fuzzing.run_cases(chosen, mode="subprocess")
    forked = fuzzing.run_cases(chosen, warmup=False)
    assert not any(o.category for o in real), _failures(real)
    assert [o.category for o in forked] == [o.category for o in real]
    assert [o.detail.replace(o.path, "") for o in forked] == [
        o.detail.replace(o.path, "") for o in real
    ]


@pytest.mark.slow
def test_fuzz_full_set():
    outcomes = fuzzing.run_cases(cases())
    assert not any(o.category for o in outcomes), _failures(outcomes)
