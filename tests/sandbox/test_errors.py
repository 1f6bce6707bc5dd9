"""Auth, 400, 404, 405 and 414 answers: statuses, HubSpot-shaped bodies, headers."""

from __future__ import annotations

import uuid

import pytest
import requests

from hubutk_pandas.sandbox import SandboxPortal

from .helpers import BY_UTK, PROPERTIES, RATE_HEADERS, UTKS, get


def _is_uuid(text: str) -> bool:
    return str(uuid.UUID(text)) == text


def test_bearer_and_hapikey_both_work(portal: SandboxPortal) -> None:
    utk = portal.sample_utks(1)
    bearer = get(portal, BY_UTK, {"utk": utk})
    key = requests.get(
        portal.base_url + BY_UTK, params={"utk": utk, "hapikey": portal.api_key}, timeout=10
    )
    assert bearer.status_code == key.status_code == 200
    assert bearer.json() == key.json()


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer pat-na1-wrong"}, {"Authorization": "Basic abc"}]
)
def test_missing_or_unknown_token_is_401(portal: SandboxPortal, headers: dict[str, str]) -> None:
    resp = requests.get(
        portal.base_url + BY_UTK, params={"utk": portal.sample_utks(1)}, headers=headers, timeout=10
    )
    assert resp.status_code == 401
    body = resp.json()
    assert body["status"] == "error"
    assert body["message"].startswith(
        "Authentication credentials not found. This API supports OAuth 2.0"
    )
    assert body["category"] == "INVALID_AUTHENTICATION" and _is_uuid(body["correlationId"])
    assert not any(h in resp.headers for h in RATE_HEADERS)


def test_wrong_hapikey_is_401_with_api_key_message(portal: SandboxPortal) -> None:
    resp = requests.get(portal.base_url + UTKS, params={"utk": "x", "hapikey": "nope"}, timeout=10)
    assert resp.status_code == 401
    assert resp.json()["message"].startswith("The API key provided is invalid.")
    assert resp.json()["category"] == "INVALID_AUTHENTICATION"


def test_revoke() -> None:
    with SandboxPortal(contacts=50, seed=3) as p:
        utk = p.sample_utks(1)
        assert get(p, BY_UTK, {"utk": utk}).status_code == 200
        p.revoke(p.access_token)
        assert get(p, BY_UTK, {"utk": utk}).status_code == 401
        ok = requests.get(
            p.base_url + BY_UTK, params={"utk": utk, "hapikey": p.api_key}, timeout=10
        )
        assert ok.status_code == 200
        p.revoke(p.api_key)
        bad = requests.get(
            p.base_url + BY_UTK, params={"utk": utk, "hapikey": p.api_key}, timeout=10
        )
        assert bad.status_code == 401


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({}, ["utk"]),
        ({"utk": ""}, ["utk"]),
        ({"utk": [f"{i:032x}" for i in range(101)]}, ["101", "100"]),
        (
            {"utk": "a", "propertyMode": "history"},
            ["propertyMode", "value_only", "value_and_history"],
        ),
        (
            {"utk": "a", "formSubmissionMode": "latest"},
            ["formSubmissionMode", "all", "none", "newest", "oldest"],
        ),
        ({"utk": "a", "showListMemberships": "yes"}, ["showListMemberships", "true", "false"]),
        ({"utk": "a", "includeDeletes": "1"}, ["includeDeletes", "true", "false"]),
    ],
)
def test_bad_parameters_are_400(
    portal: SandboxPortal, params: dict[str, object], words: list[str]
) -> None:
    resp = get(portal, BY_UTK, params)
    assert resp.status_code == 400
    body = resp.json()
    assert body["status"] == "error" and body["category"] == "VALIDATION_ERROR"
    assert _is_uuid(body["correlationId"])
    for word in words:
        assert word in body["message"]
    assert all(h in resp.headers for h in RATE_HEADERS)


def test_exactly_100_utks_is_fine(portal: SandboxPortal) -> None:
    utks = portal.sample_utks(100)
    resp = get(portal, BY_UTK, {"utk": utks})
    assert resp.status_code == 200 and len(resp.json()) == 100


def test_profile_found_and_not_found(portal: SandboxPortal) -> None:
    utk = portal.sample_utks(1)[0]
    resp = get(portal, f"/contacts/v1/contact/utk/{utk}/profile")
    assert resp.status_code == 200
    rec = resp.json()
    assert rec["vid"] == portal.record(utk)["vid"]  # type: ignore[index]
    assert "versions" in rec["properties"]["email"]  # profile reads default to history
    missing = get(portal, f"/contacts/v1/contact/utk/{portal.unknown_utks(1)[0]}/profile")
    assert missing.status_code == 404
    assert missing.headers["X-HubSpot-NotFound"] == "true"
    body = missing.json()
    assert body["message"] == "contact does not exist" and body["status"] == "error"
    assert _is_uuid(body["correlationId"]) and body["requestId"]


def test_unknown_path_and_method(portal: SandboxPortal) -> None:
    resp = get(portal, "/contacts/v1/nothing")
    assert resp.status_code == 404 and resp.json()["status"] == "error"
    post = requests.post(
        portal.base_url + PROPERTIES,
        timeout=10,
        headers={"Authorization": f"Bearer {portal.access_token}"},
    )
    assert post.status_code == 405 and post.json()["status"] == "error"


def test_long_url_is_414() -> None:
    with SandboxPortal(contacts=50, seed=1, max_url_length=300) as p:
        utks = p.sample_utks(5)
        assert get(p, BY_UTK, {"utk": utks}).status_code == 200  # ~230 chars
        resp = get(p, BY_UTK, {"utk": p.sample_utks(10)})
        assert resp.status_code == 414
        assert resp.json()["status"] == "error" and "too long" in resp.json()["message"]
        p.configure(max_url_length=8192)
        assert get(p, BY_UTK, {"utk": p.sample_utks(10)}).status_code == 200


def test_profile_of_merged_and_deleted(portal: SandboxPortal) -> None:
    merged = portal.sample_utks(1, kind="merged")[0]
    rec = get(portal, f"/contacts/v1/contact/utk/{merged}/profile").json()
    assert rec["vid"] == rec["merged-vids"][0] and len(rec["merged-vids"]) == 2
    assert portal.record(rec["vid"]) == portal.record(merged)  # by vid or by utk
    deleted = portal.sample_utks(1, kind="deleted")[0]
    path = f"/contacts/v1/contact/utk/{deleted}/profile"
    assert get(portal, path).status_code == 404
    assert get(portal, path, {"includeDeletes": "true"}).status_code == 200


def test_reset_limits() -> None:
    with SandboxPortal(contacts=50, seed=2, rate_limit=(1, 60_000)) as p:
        assert get(p, PROPERTIES).status_code == 200
        assert get(p, PROPERTIES).status_code == 429
        p.reset_limits()
        assert get(p, PROPERTIES).status_code == 200
