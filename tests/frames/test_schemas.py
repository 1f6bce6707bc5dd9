"""Columns, dtypes, timestamps, extra capture and de-duplication on hand-built records."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest

from hubutk_pandas.frames import FRAME_NAMES, SCHEMAS, build_frames, empty_frame

# The reference's representative record (section 3b), extended with company and history.
REFERENCE: dict[str, Any] = {
    "vid": 3234574,
    "canonical-vid": 3234574,
    "merged-vids": [],
    "portal-id": 62515,
    "is-contact": True,
    "profile-token": "AO_T-mNe7K",
    "profile-url": "https://app.hubspot.com/contacts/62515/contact/3234574",
    "properties": {
        "email": {"value": "testcontact@hubspot.com"},
        "createdate": {
            "value": "1587160369528",
            "versions": [
                {"value": "1587160369528", "source-type": "API", "source-id": None,
                 "source-label": None, "timestamp": 1587160369528, "selected": False},
            ],
        },
        "hs_analytics_num_visits": {
            "value": "10",
            "versions": [
                {"value": "10", "source-type": "MERGE_CONTACTS", "source-id": None,
                 "source-label": None, "timestamp": "1591530298022", "selected": False,
                 "source-vids": [7823474], "updated-by-user-id": 9100001},
                {"value": "3", "source-type": "ANALYTICS", "source-id": None,
                 "source-label": None, "timestamp": 0, "selected": False},
            ],
        },
    },
    "form-submissions": [
        {"conversion-id": "4e53b4c0-fbb9-4b22-aef9-1593909abe08", "timestamp": 1556171114621,
         "form-id": "43107421-ae0d-462d-90c4-6dad29db4eb3", "portal-id": 62515,
         "page-url": "https://example.com/contact", "page-title": "Contact us",
         "title": "add company", "form-type": "HUBSPOT", "contact-associated-by": ["EMAIL"],
         "meta-data": []},
    ],
    "list-memberships": [
        {"static-list-id": 1, "internal-list-id": 97398, "timestamp": 1463875444200,
         "vid": 3234574, "is-member": True},
    ],
    "identity-profiles": [
        {"vid": 3234574, "saved-at-timestamp": 1556981073751, "deleted-changed-timestamp": 0,
         "identities": [
             {"type": "EMAIL", "value": "testcontact@hubspot.com", "timestamp": 1556981073727,
              "is-primary": True},
             {"type": "LEAD_GUID", "value": "e59e2a43", "timestamp": 1556981073746},
         ]},
    ],
    "merge-audits": [],
    "associated-company": {
        "company-id": 21827084, "portal-id": 62515,
        "properties": {"name": {"value": "HubSpot"}, "closedate": {"value": "1408312892"}},
    },
}  # fmt: skip


def _check_schema(frames: dict[str, pd.DataFrame]) -> None:
    assert list(frames) == list(FRAME_NAMES)
    for name, frame in frames.items():
        schema = SCHEMAS[name]
        if name == "companies":
            fixed = [c for c in schema if c != "extra"]
            assert list(frame.columns[: len(fixed)]) == fixed
            assert frame.columns[-1] == "extra"
            for col in frame.columns[len(fixed) : -1]:
                assert str(frame[col].dtype) == "string", col
        else:
            assert list(frame.columns) == list(schema), name
        for col, dtype in schema.items():
            assert str(frame[col].dtype) == str(pd.api.types.pandas_dtype(dtype)), (name, col)


def test_empty_lookup_has_every_documented_column() -> None:
    frames = build_frames([], [])
    _check_schema(frames)
    assert all(len(f) == 0 for f in frames.values())
    for name in FRAME_NAMES:
        pd.testing.assert_frame_equal(frames[name], empty_frame(name))


def test_reference_record_columns_values_and_exact_timestamps() -> None:
    frames = build_frames([("f844", REFERENCE)], [("zz", "not_found"), ("??", "invalid")])
    _check_schema(frames)
    c = frames["contacts"].iloc[0]
    assert (c["utk"], c["vid"], c["portal_id"], c["is_contact"]) == ("f844", 3234574, 62515, True)
    assert c["merged_vids"] == [] and c["profile_token"] == "AO_T-mNe7K"
    assert pd.isna(c["is_deleted"]) and pd.isna(c["extra"])
    props = frames["properties"]
    assert props["property"].tolist() == ["email", "createdate", "hs_analytics_num_visits"]
    assert props["value"].tolist()[2] == "10"
    h = frames["history"]
    assert len(h) == 3 and set(h["vid"]) == {3234574}
    ts = h["timestamp"].tolist()
    assert ts[0] == pd.Timestamp("2020-04-17 21:52:49.528", tz="UTC")
    assert ts[1] == pd.Timestamp(1591530298022, unit="ms", tz="UTC")  # sent as a string
    assert ts[2] == pd.Timestamp(0, unit="ms", tz="UTC")
    assert h["source_vids"].tolist()[1] == [7823474]
    assert h["updated_by_user_id"].tolist()[1] == 9100001
    assert h["selected"].tolist() == [False, False, False]
    form = frames["form_submissions"].iloc[0]
    assert form["timestamp"] == pd.Timestamp("2019-04-25 05:45:14.621", tz="UTC")
    assert form["contact_associated_by"] == ["EMAIL"] and pd.isna(form["canonical_url"])
    ident = frames["identities"]
    assert ident["profile_vid"].tolist() == [3234574, 3234574]
    assert ident["is_primary"].tolist()[0] is True and pd.isna(ident["is_primary"].tolist()[1])
    assert ident["deleted_changed_at"].iloc[0] == pd.Timestamp(0, tz="UTC")
    lm = frames["list_memberships"].iloc[0]
    assert (lm["static_list_id"], lm["internal_list_id"], lm["is_member"]) == (1, 97398, True)
    assert pd.isna(lm["extra"])  # its nested vid equals the record's
    comp = frames["companies"]
    assert list(comp.columns) == ["vid", "company_id", "portal_id", "closedate", "name", "extra"]
    assert comp["closedate"].tolist() == ["1408312892"]  # seconds, kept as sent
    assert frames["missing"].to_dict("list") == {"utk": ["zz", "??"],
                                                 "reason": ["not_found", "invalid"]}  # fmt: skip


def test_shared_record_gives_contacts_rows_per_utk_and_no_duplicates_elsewhere() -> None:
    copy = json.loads(json.dumps(REFERENCE))  # an equal record, a different object
    frames = build_frames([("a", REFERENCE), ("b", REFERENCE), ("c", copy)])
    assert frames["contacts"]["utk"].tolist() == ["a", "b", "c"]
    single = build_frames([("a", REFERENCE)])
    for name in FRAME_NAMES:
        if name not in ("contacts", "missing"):
            assert len(frames[name]) == len(single[name]), name


def test_vid_keyed_records_have_na_utk() -> None:
    frames = build_frames([(None, REFERENCE), (None, {"vid": 5, "is-contact": False})])
    assert frames["contacts"]["utk"].isna().all()
    assert frames["contacts"]["vid"].tolist() == [3234574, 5]


def test_merged_deleted_and_visitor_shapes() -> None:
    merged = {
        **REFERENCE,
        "merged-vids": [3234574, 7823474],
        "merge-audits": [
            {"canonical-vid": 3234574, "vid-to-merge": 7823474, "timestamp": 1591530298022,
             "entity-id": "auth:app", "user-id": 91, "num-properties-moved": 9,
             "merged_from_email": {"value": "old@x.example", "source-type": "CONTACTS_WEB",
                                   "source-vids": [7823474]},
             "merged_to_email": {"value": "new@x.example"}, "first-name": "Y", "last-name": "I"},
        ],
    }  # fmt: skip
    deleted = {"vid": 11, "canonical-vid": 11, "is-contact": True, "is-deleted": True}
    visitor = {"vid": 12, "canonical-vid": 12, "merged-vids": [], "is-contact": False,
               "properties": {}, "form-submissions": [], "identity-profiles": []}  # fmt: skip
    frames = build_frames([("m", merged), ("d", deleted), ("v", visitor)])
    _check_schema(frames)
    c = frames["contacts"]
    assert c["merged_vids"].tolist()[0] == [3234574, 7823474]
    assert c["is_deleted"].tolist()[1] is True and c["is_contact"].tolist()[2] is False
    audit = frames["merge_audits"].iloc[0]
    assert (audit["vid"], audit["vid_to_merge"], audit["merged_from_email"]) == (
        3234574, 7823474, "old@x.example")  # fmt: skip
    assert json.loads(audit["extra"]) == {
        "merged_from_email": {"source-type": "CONTACTS_WEB", "source-vids": [7823474]}
    }
    assert audit["timestamp"] == pd.Timestamp(1591530298022, unit="ms", tz="UTC")


@pytest.mark.parametrize(
    ("record", "frame", "expected"),
    [
        ({"vid": 1, "surprise": {"a": 1}}, "contacts", {"surprise": {"a": 1}}),
        ({"vid": 1, "properties": {"p": {"value": "x", "timestamp": 5}}}, "properties",
         {"timestamp": 5}),
        ({"vid": 1, "properties": {"p": {"value": "x", "versions": [
            {"value": "x", "timestamp": 1, "source-new": "Z"}]}}}, "history", {"source-new": "Z"}),
        ({"vid": 1, "form-submissions": [{"conversion-id": "c", "new-key": [1, 2]}]},
         "form_submissions", {"new-key": [1, 2]}),
        ({"vid": 1, "list-memberships": [{"static-list-id": 3, "vid": 99}]}, "list_memberships",
         {"vid": 99}),
        ({"vid": 1, "identity-profiles": [{"vid": 1, "is-deleted": False, "identities": [
            {"type": "EMAIL", "value": "e", "source": "FORM"}]}]}, "identities",
         {"source": "FORM", "profile.is-deleted": False}),
        ({"vid": 1, "associated-company": {"company-id": 5, "kind": "x"}}, "companies",
         {"kind": "x"}),
        ({"vid": 1, "form-submissions": [{"timestamp": "soon", "portal-id": "abc"}]},
         "form_submissions", {"timestamp": "soon", "portal-id": "abc"}),
        ({"vid": 1, "merge-audits": "oops"}, "contacts", {"merge-audits": "oops"}),
    ],
)  # fmt: skip
def test_unknown_keys_and_misfit_values_land_in_extra(
    record: dict[str, Any], frame: str, expected: dict[str, Any]
) -> None:
    got = build_frames([("u", record)])[frame]
    assert len(got) == 1
    assert json.loads(got["extra"].iloc[0]) == expected


def test_odd_values_do_not_crash_and_keep_dtypes() -> None:
    odd = {
        "vid": "42",  # a string vid
        "portal-id": None,
        "is-contact": "true",
        "properties": {"x": "bare string", "y": {"value": None}, "z": {"value": ""}},
        "form-submissions": [{"timestamp": None, "page-id": 324527}],
        "identity-profiles": [{"vid": 42, "identities": []}],
    }
    frames = build_frames([("u", odd)])
    _check_schema(frames)
    assert frames["contacts"]["vid"].tolist() == [42]
    assert frames["contacts"]["is_contact"].tolist() == [True]
    assert frames["properties"]["value"].tolist() == ["bare string", pd.NA, ""]
    assert pd.isna(frames["form_submissions"]["timestamp"].iloc[0])
    assert frames["form_submissions"]["page_id"].tolist() == ["324527"]
    assert frames["identities"]["profile_vid"].tolist() == [42]  # profile without identities


def test_input_records_are_not_mutated() -> None:
    before = json.dumps(REFERENCE, sort_keys=True)
    build_frames([("a", REFERENCE)])
    assert json.dumps(REFERENCE, sort_keys=True) == before


@pytest.mark.parametrize("storage", ["python", "pyarrow"])
@pytest.mark.parametrize("n", [0, 1, 5000])
def test_extra_column_without_extras_is_all_na_strings(storage: str, n: int) -> None:
    """With nothing extra, the column is the one built from ``None`` cells, on either storage."""
    from hubutk_pandas.frames.columns import _extra_column, _object_array

    with pd.option_context("mode.string_storage", storage):
        got = _extra_column(n, {})
        built = pd.array(_object_array([None] * n), dtype="string")
        one = _extra_column(3, {1: {"k": 1}})
    assert got.dtype == built.dtype and got.dtype.storage == storage
    assert len(got) == n and bool(got.isna().all())
    pd.testing.assert_extension_array_equal(got, built)
    assert one.isna().tolist() == [True, False, True] and one[1] == '{"k": 1}'
