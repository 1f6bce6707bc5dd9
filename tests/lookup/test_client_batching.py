"""Pure tests of column cleaning, utk validation and batch planning."""

from __future__ import annotations

import itertools
import math
import warnings
from urllib.parse import quote

import numpy as np
import pandas as pd
import pytest

from hubutk_pandas.lookup.plan import param_length, plan_batches, url_length
from hubutk_pandas.utks import _UTK, MAX_UTK_LENGTH, clean_utks, invalid_reason

UTK = "0123456789abcdef0123456789abcdef"


def test_messy_column_is_cleaned_in_first_seen_order() -> None:
    column = pd.Series(
        [None, " b1 ", np.nan, pd.NA, "", "   ", "a2", "b1", 42, np.int64(42), 7.0, "a2 "],
        dtype=object,
    )
    original = column.copy()
    cleaned = clean_utks(column, warn=False)
    assert cleaned.valid == ["b1", "a2", "42", "7"]
    assert cleaned.invalid == []
    pd.testing.assert_series_equal(column, original)  # the caller's data is untouched


@pytest.mark.parametrize(
    "value",
    ["x" * (MAX_UTK_LENGTH + 1), "a b", "a;b", "a,b", 'a"b', "a\\b", "é" * 4, "a\x07b", "a\tb"],
)
def test_values_no_cookie_holds_are_invalid(value: str) -> None:
    assert invalid_reason(value) is not None
    assert clean_utks([value], warn=False).invalid == [value]


def test_cookie_safe_tokens_are_accepted() -> None:
    for value in [UTK, "AbC-123_xyz.~!", "x" * MAX_UTK_LENGTH]:
        assert invalid_reason(value) is None


def test_every_character_is_judged_by_rfc_6265s_cookie_octet() -> None:
    """The fast path and the explaining loop agree with the RFC's ranges, char by char."""
    for code in range(0x3100):
        char = chr(code)
        octet = 0x21 <= code <= 0x7E and char not in '",;\\'
        for value in (char, f"a{char}b", char * MAX_UTK_LENGTH):
            assert (invalid_reason(value) is None) == octet, (hex(code), value)
            assert bool(_UTK.fullmatch(value)) == octet, hex(code)  # the fast path itself
    assert invalid_reason("a" * MAX_UTK_LENGTH + "\n") is not None  # no $-style newline
    assert invalid_reason("") == "empty"


def test_one_warning_counts_the_invalid_values() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cleaned = clean_utks([UTK, "bad;1", "bad;2", "bad;1", True, 1.5, [1]])
    assert len(caught) == 1
    assert "5 values" in str(caught[0].message)
    assert cleaned.valid == [UTK]
    assert cleaned.invalid == ["bad;1", "bad;2", "True", "1.5", "[1]"]


def test_a_single_string_is_one_utk_not_characters() -> None:
    assert clean_utks(UTK, warn=False).valid == [UTK]


def test_batches_hold_at_most_100_and_keep_order() -> None:
    utks = [f"{i:032x}" for i in range(250)]
    batches = plan_batches(utks, fixed_length=50, max_url_length=100_000)
    assert [len(b) for b in batches] == [100, 100, 50]
    assert [u for b in batches for u in b] == utks


@pytest.mark.parametrize("budget", [1024, 2000, 4096, 7000])
def test_every_batch_url_fits_the_budget(budget: int) -> None:
    url = "http://127.0.0.1:5000/contacts/v1/contact/byUtk/batch/"
    params = [("property", f"custom_property_{i}") for i in range(20)] + [("propertyMode", "x")]
    fixed = url_length(url, params)
    utks = [f"{i:032x}" for i in range(300)] + ["a~b!c" * 12]
    batches = plan_batches(utks, fixed_length=fixed, max_url_length=budget)
    for batch in batches:
        assert url_length(url, params + [("utk", u) for u in batch]) <= budget
    assert sum(map(len, batches)) == len(utks)
    # The budget is used, not wasted: merging two neighbours would overflow it.
    for left, right in itertools.pairwise(batches):
        together = params + [("utk", u) for u in left + right[:1]]
        assert len(left) == 100 or url_length(url, together) > budget


@pytest.mark.parametrize("value", ["0a" * 16, "ABCxyz09", "", "a~b!c", "a b", "²", "é", "٣", "x/y"])
def test_a_parameters_length_is_its_encoded_length(value: str) -> None:
    # Letters and digits count as themselves (the fast path for utks), but only ASCII ones:
    # "²" and "٣" are digits to str.isalnum and are percent-encoded in a URL.
    assert param_length("utk", value) == len("&utk=") + len(quote(value, safe=""))


def test_a_utk_that_cannot_fit_is_refused() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        plan_batches([UTK], fixed_length=990, max_url_length=1000)


def test_nan_like_values_are_dropped_not_reported() -> None:
    cleaned = clean_utks([math.nan, pd.NaT, None, pd.NA], warn=False)
    assert cleaned.order == []
