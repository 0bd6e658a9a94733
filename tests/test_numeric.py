"""The shared number readers (datamech/numeric.py): every accepted form, every refusal.

Written for mutation testing (issue 19, item 4: ``python benchmarks/mutation.py numeric``)
but a plain unit test of the module: exact values are derived by hand (``0.1`` typed
is 1/10, ``"1/3"`` is 1/3), messages are the documented one-line forms
``field: problem`` with plain numbers.
"""

import math
import time
from fractions import Fraction as F

import numpy as np
import pytest
import sympy as sp

from datamech import ModelError
from datamech.numeric import (
    describe_value,
    exact_array,
    fmt,
    jsonable,
    read_array,
    read_int,
    read_number,
    to_fraction,
    to_number,
)

BIG = 10**400  # an integer beyond the float range (about 1.8e308)


def problem(fn, *args, field="m.x", **kw):
    """The problem text of the ModelError ``fn(*args, field, **kw)`` raises for ``field``."""
    with pytest.raises(ModelError) as e:
        fn(*args, field, **kw)
    assert e.value.field == field
    return e.value.problem


def entry_error(fn, *args, **kw):
    """(field, problem) of the ModelError raised by ``fn(*args, "m.x", **kw)``."""
    with pytest.raises(ModelError) as e:
        fn(*args, "m.x", **kw)
    return e.value.field, e.value.problem


# ------------------------------------------------------------------ to_fraction
@pytest.mark.parametrize(
    "x, want",
    [
        (3, F(3)),
        (np.int64(-7), F(-7)),
        (0.1, F(1, 10)),  # the decimal as typed, not the binary double
        (np.float64(2.5), F(5, 2)),
        (1e-12, F(1, 10**12)),
        (" 3/9 ", F(1, 3)),
        ("-0.25", F(-1, 4)),
        (sp.Rational(2, 6), F(1, 3)),  # any numbers.Rational
    ],
)
def test_to_fraction_reads_numbers_as_written(x, want):
    got = to_fraction(x)
    assert type(got) is F and got == want


def test_numpy_integers_become_python_integer_fractions():
    # Fraction(np.int64(x)) would keep an int64 numerator, which wraps around on overflow
    got = to_fraction(np.int64(2**62))
    assert type(got.numerator) is int
    assert got * 4 == 2**64


def test_to_fraction_passes_fractions_through_and_refuses_the_rest():
    half = F(1, 2)
    assert to_fraction(half) is half
    with pytest.raises(TypeError, match="^booleans are not numbers here$"):
        to_fraction(True)
    with pytest.raises(ValueError, match="^inf is not finite$"):
        to_fraction(math.inf)
    with pytest.raises(ValueError, match="^nan is not finite$"):
        to_fraction(math.nan)
    with pytest.raises(TypeError, match=r"^cannot read \[1\] as a rational number$"):
        to_fraction([1])
    with pytest.raises(ValueError):
        to_fraction("x")


# ------------------------------------------------------------------ to_number
def test_to_number_keeps_floats_and_makes_the_rest_exact():
    assert to_number(" 1/3 ") == F(1, 3) and type(to_number("2")) is F
    assert to_number(4) == 4 and type(to_number(4)) is F
    assert type(to_number(np.int32(4))) is F and to_number(np.int32(4)) == 4
    quarter = F(1, 4)
    assert to_number(quarter) is quarter
    assert to_number(0.1) == 0.1 and type(to_number(0.1)) is float
    assert type(to_number(np.float32(0.5))) is float and to_number(np.float32(0.5)) == 0.5
    with pytest.raises(TypeError, match="^booleans are not numbers here$"):
        to_number(False)
    with pytest.raises(TypeError, match="^cannot read None as a number$"):
        to_number(None)


# ------------------------------------------------------------------ exact_array
def test_exact_array_keeps_the_shape_and_reads_each_entry_exactly():
    out = exact_array([[0.1, "1/3"], [2, np.float64(0.5)]])
    assert out.dtype == object and out.shape == (2, 2)
    assert out.tolist() == [[F(1, 10), F(1, 3)], [F(2), F(1, 2)]]
    assert all(type(x) is F for x in out.flat)
    assert exact_array([]).shape == (0,)
    # an integer with no float stays exact beside a decimal
    assert exact_array([10**17 + 1, 0.5]).tolist() == [F(10**17 + 1), F(1, 2)]


# ------------------------------------------------------------------ jsonable
def test_jsonable_makes_plain_python():
    got = jsonable(
        {
            1: np.array([F(1, 4), 2]),
            "t": (np.int64(3), np.bool_(True), np.float64(0.5)),
            "s": "text",
            "none": None,
        }
    )
    assert got == {"1": [0.25, 2], "t": [3, True, 0.5], "s": "text", "none": None}
    assert type(got["t"][0]) is int and type(got["t"][1]) is bool
    assert type(got["t"][2]) is float and type(got["1"][0]) is float


def test_jsonable_turns_what_json_cannot_hold_into_null():
    assert jsonable(F(BIG)) is None
    assert jsonable([math.inf, -math.inf, math.nan, np.float64("inf")]) == [None] * 4
    assert jsonable(F(-3, 8)) == -0.375
    assert jsonable(True) is True and jsonable(np.bool_(False)) is False


# ------------------------------------------------------------------ fmt / describe_value
@pytest.mark.parametrize(
    "x, want",
    [
        (F(2, 6), "1/3"),
        (F(4, 2), "2"),
        (True, "true"),
        (np.bool_(False), "false"),
        (np.int64(-3), "-3"),
        (7, "7"),
        (2.0, "2"),
        (-0.0, "0"),
        (np.float64(0.9), "0.9"),
        (1e15, "1000000000000000"),
        (1e16, "1e+16"),  # integral, but past where every integer is a float
        (-1e16, "-1e+16"),
        (1e-12, "1e-12"),
        (10**16 - 1, "9999999999999999"),  # integers print in full below 1e16
        (10**16, "1e+16"),
        (-2 * 10**16, "-2e+16"),
        (123456789 * 10**12, "1.23457e+20"),
        (10**400, "1e309 or more"),  # beyond the float range
        (-(10**400), "-1e309 or less"),
        (math.inf, "inf"),
        (math.nan, "nan"),
        ("a", "'a'"),
        (None, "None"),
    ],
)
def test_fmt_prints_numbers_as_people_write_them(x, want):
    assert fmt(x) == want


@pytest.mark.parametrize(
    "x, want",
    [
        ([1], "a list"),
        ((1, 2), "a list"),
        ({"a": 1}, "a table"),
        (True, "the boolean true"),
        (np.bool_(False), "the boolean false"),
        ("abc", "'abc'"),
        (0.5, "0.5"),
        (3, "3"),
        (np.float64(2.0), "2"),
        (F(1, 3), "1/3"),
        (None, "NoneType"),
        (object(), "object"),
    ],
)
def test_describe_value(x, want):
    assert describe_value(x) == want


# ------------------------------------------------------------------ read_number
@pytest.mark.parametrize(
    "x, want, kind",
    [
        ("3/4", F(3, 4), F),
        (" 0.25 ", F(1, 4), F),
        ("1e3", F(1000), F),
        (2, F(2), F),
        (np.int64(5), F(5), F),
        (F(2, 3), F(2, 3), F),
        (0.5, 0.5, float),
        (np.float64(0.5), 0.5, float),
    ],
)
def test_read_number_keeps_what_was_written(x, want, kind):
    got = read_number(x, "m.x")
    assert got == want and type(got) is kind


def test_read_number_exact_and_float_modes():
    got = read_number(0.1, "m.x", exact=True)
    assert got == F(1, 10) and type(got) is F
    got = read_number("1/4", "m.x", exact=False)
    assert got == 0.25 and type(got) is float
    got = read_number(3, "m.x", exact=False)
    assert got == 3.0 and type(got) is float
    assert problem(read_number, BIG, exact=False) == f"{BIG} is too large for a float"
    got = read_number(BIG, "m.x")  # exact=None: a big integer stays exact
    assert got == BIG and type(got) is F


@pytest.mark.parametrize(
    "x, want",
    [
        (True, "must be a number, got the boolean true"),
        (np.bool_(False), "must be a number, got the boolean false"),
        (None, "must be a number, got NoneType"),
        ([0.5], "must be a number, got a list"),
        ({"a": 1}, "must be a number, got a table"),
        ("x", "must be a number (like 0.5, 2 or \"1/3\"), got 'x'"),
        ("1/0", "must be a number (like 0.5, 2 or \"1/3\"), got '1/0'"),
        ("", "must be a number (like 0.5, 2 or \"1/3\"), got ''"),
        (math.nan, "must be a finite number, got nan"),
        ("nan", "must be a number (like 0.5, 2 or \"1/3\"), got 'nan'"),
        (math.inf, "must be a finite number, got inf"),
        (-math.inf, "must be a finite number, got -inf"),
        (np.float64("-inf"), "must be a finite number, got -inf"),
    ],
)
def test_read_number_refusals(x, want):
    assert problem(read_number, x) == want


@pytest.mark.parametrize(
    "text", ["inf", "+inf", "-inf", "infinity", "+infinity", "-Infinity", " INF "]
)
def test_infinity_words_are_refused_unless_allowed(text):
    sign = -1 if "-" in text else 1
    assert problem(read_number, text) == f"must be a finite number, got {fmt(sign * math.inf)}"
    assert read_number(text, "m.x", allow_inf=True) == sign * math.inf


def test_allow_inf_still_refuses_nan_and_keeps_inf_in_exact_mode():
    assert problem(read_number, math.nan, allow_inf=True) == "must be a finite number, got nan"
    assert read_number(math.inf, "m.x", allow_inf=True, exact=True) == math.inf
    got = read_number(-math.inf, "m.x", allow_inf=True, exact=False)
    assert got == -math.inf
    assert read_number(math.inf, "m.x", allow_inf=True, low=0) == math.inf
    assert problem(read_number, -math.inf, allow_inf=True, low=0) == "must be >= 0, got -inf"


def test_read_number_bounds_closed_and_open():
    assert read_number(0, "m.x", low=0) == 0
    assert read_number(1, "m.x", high=1) == 1
    assert read_number("1/2", "m.x", low=0, high=1, low_open=True, high_open=True) == F(1, 2)
    assert problem(read_number, -1, low=0) == "must be >= 0, got -1"
    assert problem(read_number, 0, low=0, low_open=True) == "must be > 0, got 0"
    assert problem(read_number, 0.0, low=F(1, 3)) == "must be >= 1/3, got 0"
    assert problem(read_number, 2, high=1) == "must be <= 1, got 2"
    assert problem(read_number, 1.0, high=1, high_open=True) == "must be < 1, got 1"
    assert problem(read_number, "3/2", high=1.25) == "must be <= 1.25, got 3/2"
    # an open bound only refuses equality on its own side
    assert read_number(1, "m.x", low=0, low_open=True, high=1) == 1
    assert read_number(0, "m.x", low=0, high=1, high_open=True) == 0


# ------------------------------------------------------------------ read_int
@pytest.mark.parametrize(
    "x, want", [(4, 4), (4.0, 4), (np.int64(-2), -2), (np.float64(6.0), 6), (BIG, BIG)]
)
def test_read_int_accepts_integral_numbers(x, want):
    got = read_int(x, "m.n")
    assert got == want and type(got) is int


@pytest.mark.parametrize(
    "x, want",
    [
        (True, "must be an integer, got the boolean true"),
        ("3", "must be an integer, got '3'"),
        (F(3), "must be an integer, got 3"),
        (None, "must be an integer, got NoneType"),
        (3.5, "must be an integer, got 3.5"),
        (np.float64(0.5), "must be an integer, got 0.5"),
        (math.inf, "must be an integer, got inf"),
        (math.nan, "must be an integer, got nan"),
    ],
)
def test_read_int_refusals(x, want):
    assert problem(read_int, x, field="m.n") == want


def test_read_int_bounds_are_closed():
    assert read_int(1, "m.n", low=1, high=1) == 1
    assert problem(read_int, 0, field="m.n", low=1) == "must be >= 1, got 0"
    assert problem(read_int, 7.0, field="m.n", high=6) == "must be <= 6, got 7"


# ------------------------------------------------------------------ read_array: forms
def test_plain_decimals_give_a_float_array():
    got = read_array([0.5, 1, 0.25], "m.x")
    assert got.dtype == float and got.tolist() == [0.5, 1.0, 0.25]


def test_all_integers_or_any_fraction_give_exact_arrays():
    got = read_array([1, 2, 3], "m.x")
    assert got.dtype == object and got.tolist() == [F(1), F(2), F(3)]
    got = read_array([1, 2, np.int64(3)], "m.x")
    assert got.dtype == object and got.tolist() == [F(1), F(2), F(3)]
    assert all(type(x) is F for x in got.flat)
    got = read_array(["1/3", 0.5, 2], "m.x")  # a float beside "p/q" is its decimal
    assert got.dtype == object and got.tolist() == [F(1, 3), F(1, 2), F(2)]
    got = read_array([F(1, 3), 0.5], "m.x")
    assert got.tolist() == [F(1, 3), F(1, 2)]
    got = read_array((0.5, "0.1"), "m.x")
    assert got.tolist() == [F(1, 2), F(1, 10)]


def test_nested_lists_keep_their_shape():
    got = read_array([[0.5, 0.5], [1, 0]], "m.t", ndim=2)
    assert got.dtype == float and got.shape == (2, 2)
    assert got.tolist() == [[0.5, 0.5], [1.0, 0.0]]
    got = read_array([["1/2", "1/2"], [1, 0]], "m.t")
    assert got.dtype == object and got.tolist() == [[F(1, 2), F(1, 2)], [F(1), F(0)]]
    got = read_array(((1, 2), [3, 4]), "m.t")
    assert got.shape == (2, 2) and got.tolist() == [[1, 2], [3, 4]]


def test_exact_mode_and_float_mode():
    got = read_array([0.1, 0.2], "m.x", exact=True)
    assert got.dtype == object and got.tolist() == [F(1, 10), F(1, 5)]
    assert all(type(x) is F for x in got.flat)
    got = read_array(["1/4", 1], "m.x", exact=False)
    assert got.dtype == float and got.tolist() == [0.25, 1.0]
    got = read_array([1, 2], "m.x", exact=False)
    assert got.dtype == float and got.tolist() == [1.0, 2.0]


def test_numpy_arrays():
    got = read_array(np.array([0.1, 0.5]), "m.x")
    assert got.dtype == float and got.tolist() == [0.1, 0.5]
    got = read_array(np.array([0.1, 0.5]), "m.x", exact=True)
    assert got.tolist() == [F(1, 10), F(1, 2)] and got.dtype == object
    got = read_array(np.array([F(1, 3), 1], dtype=object), "m.x")
    assert got.tolist() == [F(1, 3), F(1)]
    got = read_array(np.array([0.5, 0.25], dtype=object), "m.x")
    assert got.dtype == float and got.tolist() == [0.5, 0.25]


# ------------------------------------------------------------------ read_array: refusals
@pytest.mark.parametrize(
    "a, want",
    [
        ("0.5", "must be a list of numbers, got '0.5'"),
        (b"ab", "must be a list of numbers, got bytes"),
        ({"a": 1}, "must be a list of numbers, got a table"),
        (0.5, "must be a list of numbers, got 0.5"),
        (None, "must be a list of numbers, got NoneType"),
        (np.array([True, False]), "must hold numbers, got dtype bool"),
        (np.array(["a"]), "must hold numbers, got dtype <U1"),
        ([], "must not be empty"),
        (np.array([]), "must not be empty"),
        ([[1, 2], [3]], "rows have different lengths"),
    ],
)
def test_read_array_refuses_the_whole_value(a, want):
    assert problem(read_array, a) == want


def test_empty_is_allowed_when_asked():
    got = read_array([], "m.x", nonempty=False)
    assert got.shape == (0,)


@pytest.mark.parametrize(
    "a, kw, field, want",
    [
        ([0.5, "x"], {}, "m.x[1]", "must be a number (like 0.5, 2 or \"1/3\"), got 'x'"),
        ([0.5, True], {}, "m.x[1]", "must be a number, got the boolean true"),
        ([1, None], {}, "m.x[1]", "must be a number, got NoneType"),
        ([0.5, math.nan], {}, "m.x[1]", "must be a finite number, got nan"),
        ([[0.5, 0.5], [math.inf, 0.0]], {}, "m.x[1][0]", "must be a finite number, got inf"),
        (np.array([0.5, -np.inf]), {}, "m.x[1]", "must be a finite number, got -inf"),
        ([1, "inf"], {}, "m.x[1]", "must be a finite number, got inf"),
        ([[1, 2], {"a": 1}], {}, "m.x[1]", "must be a number, got a table"),
        ([[[1, 2], [3, 4]], [[1, 2], [3]]], {}, "m.x[1]", "rows have different lengths"),
        ([0.5, -0.5], {"low": 0}, "m.x[1]", "must be >= 0, got -0.5"),
        ([0.5, 0.0, 1.0], {"low": 0, "low_open": True}, "m.x[1]", "must be > 0, got 0"),
        ([0.5, 1.5], {"high": 1}, "m.x[1]", "must be <= 1, got 1.5"),
        ([0.5, 1.0], {"high": 1, "high_open": True}, "m.x[1]", "must be < 1, got 1"),
        ([[0.5, 0.5], [0.25, 2.0]], {"high": 1}, "m.x[1][1]", "must be <= 1, got 2"),
        (["1/2", "3/2"], {"high": 1}, "m.x[1]", "must be <= 1, got 3/2"),
        ([1, 0], {"low": 0, "low_open": True}, "m.x[1]", "must be > 0, got 0"),
        ([0.5, -1], {"low": 0}, "m.x[1]", "must be >= 0, got -1"),
        (np.array([0.5, 2.0]), {"high": 1}, "m.x[1]", "must be <= 1, got 2"),
    ],
)
def test_read_array_errors_name_the_entry(a, kw, field, want):
    assert entry_error(read_array, a, **kw) == (field, want)


@pytest.mark.parametrize(
    "a, kw, field, want",
    [
        # an entry on a closed bound is fine; the violation after it is the one named
        ([0.0, -0.5], {"low": 0}, "m.x[1]", "must be >= 0, got -0.5"),
        ([1.0, 2.0], {"high": 1}, "m.x[1]", "must be <= 1, got 2"),
        ([0.0, 1.0, 1.5], {"low": 0, "high": 1}, "m.x[2]", "must be <= 1, got 1.5"),
        # both bounds are checked together
        ([-0.5, 0.5], {"low": 0, "high": 1}, "m.x[0]", "must be >= 0, got -0.5"),
        ([0.5, 1.5], {"low": 0, "high": 1}, "m.x[1]", "must be <= 1, got 1.5"),
    ],
)
def test_bounds_on_float_lists_name_the_first_real_violation(a, kw, field, want):
    assert entry_error(read_array, a, **kw) == (field, want)


def test_float_lists_are_checked_as_the_floats_they_become():
    # beside a decimal, 2**64 + 1 is read as the float 2.0**64, which is within high
    got = read_array([0.5, 2**64 + 1], "m.x", high=2**64)
    assert got.dtype == float and got.tolist() == [0.5, 2.0**64]


def test_long_plain_lists_take_the_fast_path():
    # on 5e5 entries the per-entry reader takes about 2.7 s of CPU, the vectorized
    # path of plain floats and ints about 0.07 s
    floats = [0.25, 1] * 250_000
    t0 = time.process_time()
    got = read_array(floats, "m.x", low=0, high=1)
    assert time.process_time() - t0 < 0.8
    assert got.dtype == float and got.shape == (500_000,) and got[:2].tolist() == [0.25, 1.0]


def test_open_bounds_accept_values_strictly_inside():
    got = read_array([0.25, 0.75], "m.x", low=0, high=1, low_open=True, high_open=True)
    assert got.tolist() == [0.25, 0.75]
    got = read_array([0.0, 1.0], "m.x", low=0, high=1)
    assert got.tolist() == [0.0, 1.0]
    got = read_array(["0", "1"], "m.x", low=0, high=1)
    assert got.tolist() == [0, 1]


def test_dimension_checks():
    assert problem(read_array, [[1.0]], ndim=1) == "must be a list of numbers (got 2 levels)"
    want = "must be a 2-level nested list of numbers (got 1 levels)"
    assert problem(read_array, [1.0, 2.0], ndim=2) == want
    assert read_array([[1.0]], "m.x", ndim=2).shape == (1, 1)


def test_exact_mode_keeps_large_integers_exact():
    # 10**17 + 1 has no float: the exact reading must not pass through one
    got = read_array([0.5, 10**17 + 1], "m.x", exact=True)
    assert got.tolist() == [F(1, 2), F(10**17 + 1)]


def test_entries_beyond_the_float_range():
    assert problem(read_array, [BIG, 0.5]) == "has an entry too large for a float"
    got = read_array([BIG, 1], "m.x")  # all integers: exact, so nothing overflows
    assert got.tolist() == [F(BIG), F(1)]
    got = read_array([BIG, 0.5], "m.x", exact=True)
    assert got.tolist() == [F(BIG), F(1, 2)]


def test_numpy_integers_become_python_integers_in_fractions():
    # a Fraction holding an np.int64 numerator would wrap around on arithmetic:
    # (2**62) * 4 is 2**64 exactly, which no int64 holds
    got = to_fraction(np.int64(2**62))
    assert type(got.numerator) is int
    assert got * 4 == F(2**64)


def test_exact_entries_are_still_checked_against_bounds():
    # Fractions skip the per-entry reader only when there is no bound to check
    from fractions import Fraction

    exact = np.array([Fraction(1, 2), Fraction(-1, 3)], dtype=object)
    for kw, bad in (({"low": 0}, 1), ({"high": Fraction(1, 3)}, 0), ({"low": 0, "high": 1}, 1)):
        with pytest.raises(ModelError) as e:
            read_array(exact, "probs", **kw)
        assert e.value.field == f"probs[{bad}]"
        mixed = ["1/4", exact[0], exact[1]]  # a list with strings takes the checked path
        with pytest.raises(ModelError) as e:
            read_array(mixed, "probs", **kw)
        assert e.value.field == f"probs[{bad + 1}]"
    # within the bounds they stay exact
    assert read_array(exact, "x", low=-1, high=1).tolist() == [Fraction(1, 2), Fraction(-1, 3)]
    # exact=False asks for floats even when every entry is a Fraction
    got = read_array(exact, "x", exact=False)
    assert got.dtype == np.float64 and got.tolist() == [0.5, -1 / 3]
