"""403 MISSING_SCOPES, injected and poisoned 400s, and no credential in the sandbox's logs."""

from __future__ import annotations

import logging
import uuid

import pytest
import requests

from hubutk_pandas.sandbox import SandboxPortal

from .helpers import BY_UTK, PROPERTIES, RATE_HEADERS, UTKS, get

SCOPES_MESSAGE = (
    "This app hasn't been granted all required scopes to make this call. Read more about "
    "required scopes here: https://developers.hubspot.com/scopes."
)


@pytest.mark.parametrize("path", [BY_UTK, UTKS, PROPERTIES, "/contacts/v1/contact/utk/x/profile"])
def test_token_without_scopes_gets_hubspots_403(path: str) -> None:
    with SandboxPortal(contacts=50, seed=4) as p:
        bare = p.add_account(seed=9, contacts=50, scopes=())
        resp = get(p, path, {"utk": p.sample_utks(2)}, token=bare.access_token)
        assert resp.status_code == 403
        body = resp.json()
        assert body["status"] == "error" and body["category"] == "MISSING_SCOPES"
        assert body["message"] == SCOPES_MESSAGE
        assert str(uuid.UUID(body["correlationId"])) == body["correlationId"]
        assert resp.headers["X-HubSpot-Correlation-Id"] == body["correlationId"]
        assert body["errors"] == [
            {
                "message": "One or more of the following scopes are required.",
                "context": {"requiredGranularScopes": ["crm.objects.contacts.read"]},
            }
        ]
        assert body["links"] == {"scopes": "https://developers.hubspot.com/scopes"}
        assert not any(h in resp.headers for h in RATE_HEADERS)  # not counted, like a 401
        assert p.stats.by_status[403] == 1


def test_scopes_belong_to_the_token_and_can_change() -> None:
    with SandboxPortal(contacts=50, seed=5) as p:
        utks = p.sample_utks(3)
        assert get(p, BY_UTK, {"utk": utks}).status_code == 200  # default: granted
        p.set_scopes(p.access_token, ["crm.objects.companies.read"])
        assert get(p, BY_UTK, {"utk": utks}).status_code == 403
        # The legacy API key of the same portal had portal-wide access.
        key = requests.get(
            p.base_url + BY_UTK, params={"utk": utks, "hapikey": p.api_key}, timeout=10
        )
        assert key.status_code == 200 and len(key.json()) == 3
        p.set_scopes(p.access_token, ["crm.objects.contacts.read"])
        assert get(p, BY_UTK, {"utk": utks}).status_code == 200
        # Unknown paths stay 404 whatever the scopes; bad arguments are refused.
        p.set_scopes(p.access_token, ())
        assert get(p, "/contacts/v1/nothing").status_code == 404
        with pytest.raises(KeyError):
            p.set_scopes(p.api_key, ())
        with pytest.raises(TypeError):
            p.add_account(scopes="crm.objects.contacts.read")


def test_revoked_token_is_401_before_scopes() -> None:
    with SandboxPortal(contacts=20, seed=6) as p:
        bare = p.add_account(seed=2, contacts=20, scopes=())
        p.revoke(bare.access_token)
        assert get(p, BY_UTK, {"utk": "a"}, token=bare.access_token).status_code == 401


def test_injected_400_is_a_validation_error_once() -> None:
    with SandboxPortal(contacts=50, seed=7) as p:
        utks = p.sample_utks(4)
        p.inject("400")
        resp = get(p, BY_UTK, {"utk": utks})
        assert resp.status_code == 400
        body = resp.json()
        assert body["category"] == "VALIDATION_ERROR" and body["correlationId"]
        assert all(h in resp.headers for h in RATE_HEADERS)  # admitted, so counted
        assert p.stats.faults["400"] == 1
        assert get(p, BY_UTK, {"utk": utks}).status_code == 200


def test_a_poisoned_utk_fails_every_batch_holding_it() -> None:
    with SandboxPortal(contacts=50, seed=8) as p:
        utks = p.sample_utks(6)
        p.poison(utks[2])
        bad = get(p, BY_UTK, {"utk": utks})
        assert bad.status_code == 400
        body = bad.json()
        assert body["category"] == "VALIDATION_ERROR" and utks[2] in body["message"]
        assert body["errors"] == [{"message": f"{utks[2]} is not a valid utk", "in": "utk"}]
        assert get(p, UTKS, {"utk": utks[1:4]}).status_code == 400
        assert get(p, f"/contacts/v1/contact/utk/{utks[2]}/profile").status_code == 400
        ok = get(p, BY_UTK, {"utk": utks[:2] + utks[3:]})
        assert ok.status_code == 200 and len(ok.json()) == 5
        p.cure()
        assert get(p, BY_UTK, {"utk": utks}).status_code == 200
        with pytest.raises(ValueError, match="poison"):
            p.poison("")


def test_sandbox_logs_never_show_a_credential(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: the sandbox's and werkzeug's
    with SandboxPortal(contacts=20, seed=9) as p:
        utk = p.sample_utks(1)[0]
        for params in (
            {"utk": utk, "hapikey": p.api_key},
            {"utk": utk, "HAPIKEY": p.api_key},
            {"hapikey": p.api_key, "utk": utk},
            {"utk": utk, "hapikey": "wrong-key-789"},
        ):
            requests.get(p.base_url + BY_UTK, params=params, timeout=10)
        get(p, BY_UTK, {"utk": utk})  # Bearer
        get(p, BY_UTK, {"utk": utk}, token="pat-na1-not-a-real-token")
    # The server's records (the test's own HTTP library logs apart, client-side).
    server = [r for r in caplog.records if r.name.startswith(("hubutk_pandas", "werkzeug"))]
    request_lines = [r.getMessage() for r in server if "GET /contacts" in r.getMessage()]
    assert len(request_lines) == 6  # the request lines are logged...
    assert sum("hapikey=redacted" in line.lower() for line in request_lines) == 4
    text = "\n".join(r.getMessage() for r in server)
    for secret in (p.api_key, p.access_token, "wrong-key-789", "pat-na1-not-a-real-token"):
        assert secret not in text  # ...without a key or a token
    assert not [r for r in caplog.records if r.name == "werkzeug"]
