"""The pure part of erasure: identifiers as given, and every identifier a record carries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hubutk_pandas import InvalidOptionError
from hubutk_pandas.erasure import Identifiers, record_identifiers, search_needles


def test_what_a_caller_gives_is_checked_and_normalised() -> None:
    got = Identifiers.given(
        utks=pd.Series([" u1 ", "u2"]), vids=np.array([5, 6]), emails="Ann@Example.COM "
    )
    assert got == Identifiers(
        frozenset({"u1", "u2"}), frozenset({5, 6}), frozenset({"ann@example.com"})
    )
    assert Identifiers.given(vids="7").vids == {7}
    for bad, match in [
        ({}, "give at least one utk, vid or email"),
        ({"utks": [""]}, "utks='' is not valid"),
        ({"utks": [3]}, "utks=3 is not valid"),
        ({"vids": [True]}, "vids=True is not valid"),
        ({"vids": [pd.NA]}, "vids=<NA> is not valid"),
        ({"emails": ["nobody"]}, "emails='nobody' is not valid"),
        ({"utks": 3.5}, "utks=3.5 is not valid"),
    ]:
        with pytest.raises(InvalidOptionError, match=match):
            Identifiers.given(**bad)


def test_a_record_yields_every_identifier_of_its_contact() -> None:
    record = {
        "vid": 2,
        "canonical-vid": 2,
        "merged-vids": [2, 1],
        "properties": {
            "email": {
                "value": "New@x.io",
                "versions": [{"value": "New@x.io"}, {"value": "old@x.io"}],
            }
        },
        "identity-profiles": [
            {"vid": 2, "identities": [{"type": "EMAIL", "value": "new@x.io"}]},
            {"vid": 1, "identities": [{"type": "UTK", "value": "u-old"}, "junk"]},
            "junk",
        ],
        "merge-audits": [
            {
                "canonical-vid": 2,
                "vid-to-merge": 9,
                "merged_from_email": {"value": "Third@x.io"},
                "merged_to_email": {"value": "new@x.io"},
            }
        ],
    }
    found = record_identifiers(record, utk="u-now")
    assert found.vids == {1, 2, 9}
    assert found.utks == {"u-now", "u-old"}
    assert found.emails == {"new@x.io", "old@x.io", "third@x.io"}
    assert record_identifiers("not a record") == Identifiers()
    assert record_identifiers({"vid": "x", "merged-vids": "y"}) == Identifiers()


def test_the_first_pass_needles_are_in_any_text_that_holds_the_contact() -> None:
    who = Identifiers.given(utks=["AbC"], vids=[123], emails=["zoë.m@exämple.io"])
    needles = search_needles(who)
    assert needles == ["123", "abc", "mple.io"]  # the longest run JSON never escapes
    import json

    text = json.dumps({"vid": 123, "email": "Zoë.M@exämple.io", "utk": "AbC"}).lower()
    assert all(n in text for n in needles)
    assert search_needles(Identifiers.given(emails=["é@é"])) is None  # no usable fragment
