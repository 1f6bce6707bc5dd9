"""The contact and property endpoints over real HTTP: keys, shapes, options."""

from __future__ import annotations

import pytest

from hubutk_pandas.sandbox import SandboxPortal

from .helpers import BY_UTK, PROPERTIES, UTKS, batch, get


def test_by_utk_is_keyed_by_utk_and_ignores_unknown(portal: SandboxPortal) -> None:
    utks = portal.sample_utks(5)
    body = batch(portal, [*utks, *portal.unknown_utks(3)])
    assert list(body) == utks
    for utk, rec in body.items():
        assert rec == portal.record(utk)
        assert rec["is-contact"] is True and rec["portal-id"] == portal.portal_id


def test_utks_endpoint_is_keyed_by_vid(portal: SandboxPortal) -> None:
    utks = portal.sample_utks(4)
    body = batch(portal, utks, UTKS)
    expected = {str(portal.record(u)["vid"]) for u in utks}  # type: ignore[index]
    assert set(body) == expected
    assert all(key == str(rec["vid"]) for key, rec in body.items())


def test_all_unknown_gives_empty_object(portal: SandboxPortal) -> None:
    assert batch(portal, portal.unknown_utks(3)) == {}


@pytest.mark.parametrize("path", [BY_UTK, BY_UTK.rstrip("/"), UTKS, UTKS.rstrip("/")])
def test_trailing_slash_optional(portal: SandboxPortal, path: str) -> None:
    assert get(portal, path, {"utk": portal.sample_utks(1)}).status_code == 200


def test_property_definitions(portal: SandboxPortal) -> None:
    resp = get(portal, PROPERTIES)
    assert resp.status_code == 200
    defs = {d["name"]: d for d in resp.json()}
    lc = defs["lifecyclestage"]
    assert (lc["type"], lc["fieldType"]) == ("enumeration", "radio")
    assert [o["value"] for o in lc["options"]][:3] == [
        "subscriber",
        "lead",
        "marketingqualifiedlead",
    ]
    assert [o["displayOrder"] for o in lc["options"]] == list(range(8))
    assert set(lc["options"][0]) >= {
        "label",
        "value",
        "displayOrder",
        "hidden",
        "description",
        "readOnly",
    }
    assert (defs["trial_start_date"]["type"], defs["product_qualified"]["type"]) == ("date", "bool")
    assert defs["hs_buying_role"]["fieldType"] == "checkbox"
    assert defs["hs_email_optout"]["fieldType"] == "booleancheckbox"
    for d in defs.values():
        assert {
            "name",
            "label",
            "description",
            "groupName",
            "type",
            "fieldType",
            "options",
            "hidden",
            "deleted",
            "calculated",
            "hubspotDefined",
            "formField",
            "displayOrder",
            "readOnlyValue",
        } <= set(d)
    assert get(portal, PROPERTIES + "/").json() == resp.json()
