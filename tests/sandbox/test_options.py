"""Wire format of each query option: propertyMode, formSubmissionMode, lists, deletes, property."""

from __future__ import annotations

import pytest

from hubutk_pandas.sandbox import SandboxPortal

from .helpers import batch


def _with_forms(portal: SandboxPortal, minimum: int = 2) -> str:
    for utk in portal.sample_utks(200):
        rec = portal.record(utk, form_submission_mode="all")
        if rec and len(rec["form-submissions"]) >= minimum:
            return utk
    raise AssertionError("no contact with enough form submissions")


def test_value_only_has_no_versions(portal: SandboxPortal) -> None:
    rec = next(iter(batch(portal, portal.sample_utks(1)).values()))
    assert rec["properties"]
    assert all(set(p) == {"value"} for p in rec["properties"].values())
    assert all(isinstance(p["value"], str) for p in rec["properties"].values())


def test_value_and_history_versions(portal: SandboxPortal) -> None:
    body = batch(portal, portal.sample_utks(30), propertyMode="value_and_history")
    moved = 0
    for rec in body.values():
        for prop in rec["properties"].values():
            versions = prop["versions"]
            assert versions[0]["value"] == prop["value"]
            stamps = [v["timestamp"] for v in versions]
            assert stamps == sorted(stamps, reverse=True)  # newest first
            for v in versions:
                assert {
                    "value",
                    "source-type",
                    "source-id",
                    "source-label",
                    "timestamp",
                    "selected",
                } <= set(v)
                assert v["selected"] is False and isinstance(v["timestamp"], int)
        moved += len(rec["properties"]["lifecyclestage"]["versions"]) > 1
    assert moved >= 5  # lifecycle stages move over time


@pytest.mark.parametrize("mode", ["all", "none", "newest", "oldest"])
def test_form_submission_modes(portal: SandboxPortal, mode: str) -> None:
    utk = _with_forms(portal)
    subs = batch(portal, [utk], formSubmissionMode=mode)[utk]["form-submissions"]
    every = batch(portal, [utk], formSubmissionMode="all")[utk]["form-submissions"]
    stamps = [s["timestamp"] for s in every]
    assert stamps == sorted(stamps, reverse=True)
    expected = {"all": every, "none": [], "newest": every[:1], "oldest": every[-1:]}[mode]
    assert subs == expected


def test_default_form_mode_is_newest(portal: SandboxPortal) -> None:
    utk = _with_forms(portal)
    assert (
        batch(portal, [utk])[utk]["form-submissions"]
        == batch(portal, [utk], formSubmissionMode="newest")[utk]["form-submissions"]
    )


def test_form_submission_fields(portal: SandboxPortal) -> None:
    utk = _with_forms(portal)
    for sub in batch(portal, [utk], formSubmissionMode="all")[utk]["form-submissions"]:
        assert {
            "conversion-id",
            "timestamp",
            "form-id",
            "portal-id",
            "page-url",
            "canonical-url",
            "page-title",
            "page-id",
            "title",
            "form-type",
            "meta-data",
        } <= set(sub)
        assert sub["portal-id"] == portal.portal_id


def test_list_memberships_only_when_asked(portal: SandboxPortal) -> None:
    utks = portal.sample_utks(20)
    assert all("list-memberships" not in r for r in batch(portal, utks).values())
    assert all(
        "list-memberships" not in r
        for r in batch(portal, utks, showListMemberships="false").values()
    )
    shown = batch(portal, utks, showListMemberships="true")
    assert all(isinstance(r["list-memberships"], list) for r in shown.values())
    members = [m for r in shown.values() for m in r["list-memberships"]]
    assert members
    for m in members:
        assert set(m) == {"static-list-id", "internal-list-id", "timestamp", "vid", "is-member"}


def test_include_deletes(portal: SandboxPortal) -> None:
    deleted = portal.sample_utks(3, kind="deleted")
    assert batch(portal, deleted) == {}
    assert batch(portal, deleted, includeDeletes="false") == {}
    body = batch(portal, deleted, includeDeletes="true")
    assert list(body) == deleted


def test_property_filter(portal: SandboxPortal) -> None:
    body = batch(portal, portal.sample_utks(10), property=["email", "lifecyclestage", "nope"])
    for rec in body.values():
        assert set(rec["properties"]) == {"email", "lifecyclestage"}
