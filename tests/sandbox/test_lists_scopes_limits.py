"""The Lists API's scope (crm.lists.read), its share of the limits, headers and faults."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from hubutk_pandas.sandbox import SandboxPortal

from .helpers import BY_UTK, LIST_ROOTS, PROPERTIES, RATE_HEADERS, contact_inputs, get, post

CONTACTS_ONLY = ["crm.objects.contacts.read"]
SCOPES_MESSAGE = (
    "This app hasn't been granted all required scopes to make this call. Read more about "
    "required scopes here: https://developers.hubspot.com/scopes."
)


def _lists_requests(version: str) -> list[tuple[str, str, Any]]:
    root = LIST_ROOTS[version]
    return [
        ("POST", f"{root}/records/memberships/batch/read", contact_inputs(["100001"])),
        ("GET", f"{root}/records/0-1/100001/memberships", None),
        ("GET", f"{root}/", {"listIds": ["4"]}),
        ("GET", f"{root}/idmapping", {"legacyListId": "1"}),
        ("POST", f"{root}/idmapping", ["1"]),
    ]


def _send(portal: SandboxPortal, method: str, path: str, payload: Any, token: str) -> Any:
    if method == "POST":
        return post(portal, path, payload, token=token)
    return get(portal, path, payload, token=token)


@pytest.mark.parametrize("version", list(LIST_ROOTS))
def test_a_contacts_only_credential_gets_hubspots_403_on_every_lists_endpoint(
    version: str,
) -> None:
    with SandboxPortal(contacts=50, seed=4) as p:
        only = p.add_account(seed=9, contacts=50, scopes=CONTACTS_ONLY)
        for method, path, payload in _lists_requests(version):
            resp = _send(p, method, path, payload, only.access_token)
            assert resp.status_code == 403, (method, path)
            body = resp.json()
            assert body["category"] == "MISSING_SCOPES" and body["message"] == SCOPES_MESSAGE
            assert body["errors"] == [
                {
                    "message": "One or more of the following scopes are required.",
                    "context": {"requiredGranularScopes": ["crm.lists.read"]},
                }
            ]
            assert body["links"] == {"scopes": "https://developers.hubspot.com/scopes"}
            assert resp.headers["X-HubSpot-Correlation-Id"] == body["correlationId"]
            assert not any(h in resp.headers for h in RATE_HEADERS)  # uncounted, like a 401
        # The same credential reads contacts and definitions.
        assert get(p, BY_UTK, {"utk": "a"}, token=only.access_token).status_code == 200
        assert get(p, PROPERTIES, token=only.access_token).status_code == 200


def test_default_credentials_hold_both_scopes_and_scopes_can_change() -> None:
    with SandboxPortal(contacts=50, seed=4) as p:
        for method, path, payload in _lists_requests("2026-09"):
            assert _send(p, method, path, payload, p.access_token).status_code in (200, 207, 404)
        lists_only = p.add_account(seed=3, contacts=50, scopes=["crm.lists.read"])
        refused = get(p, BY_UTK, {"utk": "a"}, token=lists_only.access_token)
        assert refused.status_code == 403
        assert refused.json()["errors"][0]["context"] == {
            "requiredGranularScopes": ["crm.objects.contacts.read"]
        }
        path = "/crm/v3/lists/records/memberships/batch/read"
        assert post(p, path, contact_inputs([]), token=lists_only.access_token).status_code == 200
        p.set_scopes(p.access_token, CONTACTS_ONLY)
        assert post(p, path, contact_inputs([])).status_code == 403
        p.set_scopes(p.access_token, [*CONTACTS_ONLY, "crm.lists.read"])
        assert post(p, path, contact_inputs([])).status_code == 200
        # A legacy API key has portal-wide access, the Lists API included.
        key = requests.get(p.base_url + "/crm/v3/lists/", params={"hapikey": p.api_key}, timeout=10)
        assert key.status_code == 200 and key.json()["lists"]
        assert post(p, path, contact_inputs([]), token="pat-na1-unknown").status_code == 401


def test_contacts_and_lists_share_the_burst_window() -> None:
    with SandboxPortal(contacts=100, seed=2, rate_limit=(4, 60_000)) as p:
        statuses = [get(p, BY_UTK, {"utk": "a"}).status_code for _ in range(2)]
        lists = [post(p, "/crm/v3/lists/records/memberships/batch/read", contact_inputs([]))]
        lists.append(get(p, "/crm/lists/2026-09/", {"listIds": ["4"]}))
        statuses += [r.status_code for r in lists]
        assert statuses == [200, 200, 200, 200]
        remaining = [int(r.headers["X-HubSpot-RateLimit-Remaining"]) for r in lists]
        assert remaining == [1, 0]
        refused = post(p, "/crm/lists/2026-03/idmapping", ["1"])
        assert refused.status_code == 429
        assert refused.json()["policyName"] == "TEN_SECONDLY_ROLLING"
        assert refused.headers["X-HubSpot-RateLimit-Max"] == "4"
        assert get(p, BY_UTK, {"utk": "a"}).status_code == 429  # the lists used the contacts' room


def test_lists_requests_count_toward_the_daily_limit() -> None:
    with SandboxPortal(contacts=100, seed=2, daily_limit=3) as p:
        first = post(p, "/crm/v3/lists/idmapping", ["1"])
        assert first.headers["X-HubSpot-RateLimit-Daily"] == "3"
        assert first.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "2"
        assert get(p, BY_UTK, {"utk": "a"}).headers["X-HubSpot-RateLimit-Daily-Remaining"] == "1"
        assert get(p, "/crm/v3/lists/").status_code == 200
        over = post(p, "/crm/lists/2026-09/records/memberships/batch/read", contact_inputs([]))
        assert over.status_code == 429 and over.json()["policyName"] == "DAILY"
        assert over.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "0"


def test_every_counted_lists_answer_carries_the_rate_limit_headers() -> None:
    with SandboxPortal(contacts=100, seed=2, rate_limit=(190, 10_000), daily_limit=625_000) as p:
        answers = [
            post(p, "/crm/v3/lists/records/memberships/batch/read", contact_inputs(["100001"])),
            post(p, "/crm/v3/lists/records/memberships/batch/read", contact_inputs(["1"])),  # 207
            post(p, "/crm/v3/lists/records/memberships/batch/read", {"nope": 1}),  # 400
            get(p, "/crm/v3/lists/idmapping", {"legacyListId": "99"}),  # 404
            get(p, "/crm/v3/lists/records/memberships/batch/read"),  # 405
            get(p, "/crm/lists/2026-09/", {"listIds": ["4"]}),
        ]
        assert [a.status_code for a in answers][1:5] == [207, 400, 404, 405]
        for n, answer in enumerate(answers, start=1):
            headers = {h: answer.headers[h] for h in RATE_HEADERS}
            assert headers == {
                "X-HubSpot-RateLimit-Max": "190",
                "X-HubSpot-RateLimit-Remaining": str(190 - n),
                "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
                "X-HubSpot-RateLimit-Daily": "625000",
                "X-HubSpot-RateLimit-Daily-Remaining": str(625_000 - n),
            }


def test_faults_aimed_at_the_lists_api_hit_it_alone() -> None:
    path = "/crm/v3/lists/records/memberships/batch/read"
    with SandboxPortal(contacts=100, seed=2) as p:
        p.inject("503")  # aimed at contacts: the lists do not take it
        assert post(p, path, contact_inputs([])).status_code == 200
        assert get(p, BY_UTK, {"utk": "a"}).status_code == 503
        p.inject("502", on="lists")
        p.inject("badshape", on="lists")
        assert get(p, BY_UTK, {"utk": "a"}).status_code == 200
        assert post(p, path, contact_inputs(["100001"])).status_code == 502
        shape = post(p, path, contact_inputs(["100001"]))
        assert shape.status_code == 200 and isinstance(shape.json(), list)
        p.inject("429", count=None, on="lists")
        assert post(p, "/crm/v3/lists/idmapping", ["1"]).status_code == 429
        assert get(p, BY_UTK, {"utk": "a"}).status_code == 200
        p.clear_faults()
        assert post(p, "/crm/v3/lists/idmapping", ["1"]).status_code == 200
        assert p.stats.faults == {"503": 1, "502": 1, "badshape": 1, "429": 1}
        with pytest.raises(ValueError, match="on must be one of contacts, lists"):
            p.inject("502", on="companies")
        with pytest.raises(ValueError):
            p.inject("boom", on="lists")


def test_random_faults_stay_on_the_contact_endpoints() -> None:
    with SandboxPortal(contacts=100, seed=2, fault_rate=1.0, faults=["503"]) as p:
        assert get(p, BY_UTK, {"utk": "a"}).status_code == 503
        assert get(p, "/crm/v3/lists/").status_code == 200
