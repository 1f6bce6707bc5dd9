"""The records' nested items are collected per key or per record, with the same result.

``_Collector.of`` reads each nested key of a whole list of records in C-level passes when
every value has its usual shape, and record by record otherwise (a malformed value goes to
the contact's ``extra``). Both paths must collect the same items, in the same order, for
the same owners; and a malformed record must not change the other records' rows.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd
import pytest

from hubutk_pandas.frames import FRAME_NAMES, build_frames
from hubutk_pandas.frames.build import _Collector, _distinct
from hubutk_pandas.sandbox import SandboxPortal
from tests.frames.conftest import RICH, Fetch

FIELDS = (
    "vids", "prop_names", "prop_entries", "forms", "form_owner", "lists", "list_owner",
    "profiles", "profile_owner", "audits", "audit_owner", "companies", "company_owner",
)  # fmt: skip


@pytest.fixture(scope="module")
def records(portal: SandboxPortal, fetch: Fetch) -> list[dict[str, Any]]:
    """Distinct rich records of every kind the sandbox has, list memberships included."""
    utks = [
        *portal.sample_utks(20, "contact"),
        *portal.sample_utks(4, "visitor"),
        *portal.sample_utks(4, "merged"),
        *portal.sample_utks(4, "deleted"),
    ]
    return _distinct(list(fetch(utks, **RICH).values()))


def _as_lists(c: _Collector) -> dict[str, Any]:
    got = {name: list(getattr(c, name)) for name in FIELDS}
    got["prop_counts"] = [int(k) for k in c.prop_counts]
    for name in FIELDS:
        if name.endswith("_owner"):
            got[name] = [int(k) for k in got[name]]
    return got


def test_per_key_and_per_record_collect_the_same_items(records: list[dict[str, Any]]) -> None:
    fast = _Collector.of(records)
    slow = _Collector.of(records, per_record=True)
    assert isinstance(fast.prop_counts, np.ndarray)  # the per-key path ran
    assert isinstance(slow.prop_counts, list)
    got, want = _as_lists(fast), _as_lists(slow)
    for name in ("forms", "lists", "profiles", "companies", "prop_entries"):
        assert got[name], f"the sample should exercise {name}"
    assert got == want
    assert fast.bad == slow.bad == {}


def test_a_malformed_record_keeps_the_others_rows(records: list[dict[str, Any]]) -> None:
    odd = copy.deepcopy(records[0])
    odd["vid"] = 999_999_001
    odd["form-submissions"] = "oops"  # not a list: this batch is collected per record
    odd["properties"] = ["not", "a", "dict"]
    matched = [(f"u{i}", rec) for i, rec in enumerate(records)]
    clean = build_frames(matched)
    mixed = build_frames([*matched[:3], ("odd", odd), *matched[3:]])
    assert mixed["contacts"]["utk"].tolist() == ["u0", "u1", "u2", "odd"] + [
        f"u{i}" for i in range(3, len(records))
    ]
    extra = mixed["contacts"].set_index("utk").loc["odd", "extra"]
    assert '"form-submissions":"oops"' in extra.replace(" ", "")
    for name in FRAME_NAMES:
        if name in ("contacts", "missing"):
            continue
        kept = mixed[name][mixed[name]["vid"] != odd["vid"]].reset_index(drop=True)
        pd.testing.assert_frame_equal(kept, clean[name])


def test_value_only_properties_have_no_history_and_the_same_values() -> None:
    recs = [
        {"vid": 1, "properties": {"email": {"value": "a@x.example"}, "n": {"value": "3"}}},
        {"vid": 2, "properties": {}},
        {"vid": 3},
        {"vid": 4, "properties": {"email": {"value": None}}},
    ]
    frames = build_frames([(f"u{r['vid']}", r) for r in recs])
    props = frames["properties"]
    assert props["vid"].tolist() == [1, 1, 4]
    assert props["property"].tolist() == ["email", "n", "email"]
    assert props["value"].tolist() == ["a@x.example", "3", pd.NA]
    assert len(frames["history"]) == 0 and list(frames["history"].columns)


def test_first_record_of_each_vid_is_kept_in_order() -> None:
    a1, b, a2, none1, none2 = {"vid": 1, "k": 1}, {"vid": 2}, {"vid": 1, "k": 2}, {}, {}
    assert _distinct([a1, b, a2]) == [a1, b]
    assert _distinct([b, a1]) == [b, a1]
    got = _distinct([a1, none1, a2, none2, b])  # records without a vid are each their own
    assert got == [a1, none1, none2, b] and got[1] is none1 and got[2] is none2


def test_an_unhashable_vid_is_its_own_record_not_a_crash() -> None:
    recs = [{"vid": [1, 2], "properties": {"p": {"value": "x"}}}, {"vid": 5}, {"vid": [1, 2]}]
    frames = build_frames([("a", recs[0]), ("b", recs[1]), ("c", recs[2])])
    contacts = frames["contacts"]
    assert contacts["utk"].tolist() == ["a", "b", "c"]
    assert contacts["vid"].isna().tolist() == [True, False, True]
    assert '"vid":[1,2]' in contacts["extra"].iloc[0].replace(" ", "")
    assert frames["properties"]["value"].tolist() == ["x"]
