"""What a stranger can make the proxy spend: counted in HubSpot calls, capped, refused early.

The portal's daily API limit is shared by every integration on the portal. Each test
counts the calls the sandbox (playing HubSpot) received, not just the proxy's statuses.
"""

from __future__ import annotations

import pytest

from hubutk_pandas.client import HubSpotClient
from hubutk_pandas.proxy.app import utks_per_call
from hubutk_pandas.sandbox import SandboxPortal
from tests.proxy.conftest import FAST, ORIGIN, Answer, Serve

BY_UTK = "/contacts/v1/contact/byUtk/batch/"
PROPERTIES = "/properties/v1/contacts/properties"
FROM_PAGE = {"Origin": ORIGIN}


def _refusal(answer: Answer, status: int, category: str) -> dict[str, object]:
    assert answer.status == status, answer.body
    body = answer.json()
    assert body["status"] == "error" and body["category"] == category, body
    assert answer.header("X-HubSpot-Correlation-Id") == body["correlationId"]
    return body  # type: ignore[no-any-return]


# -- amplification: one request, one call at most ------------------------------------------


def test_utks_that_are_not_a_cookies_32_hex_characters_are_refused_before_hubspot(
    serve: Serve, upstream: SandboxPortal
) -> None:
    wire = serve()
    before = upstream.stats.requests
    # 100 utks of 64 characters that percent-encode to three bytes each, sent as they
    # are: 6,900 characters through the proxy, three HubSpot calls behind it before.
    crafted = ["!" * 59 + f"{i:05d}" for i in range(100)]
    url = BY_UTK + "?" + "&".join(f"utk={u}" for u in crafted)
    assert len(url) < 8192
    answer = wire.get(url, headers=FROM_PAGE)
    body = _refusal(answer, 400, "VALIDATION_ERROR")
    assert "32 hexadecimal" in str(body["message"])
    assert crafted[0] not in answer.body.decode()  # the message quotes no utk
    for bad in ("A" * 31, "0" * 33, "z" * 32, "0" * 31 + "\u00e9", "0" * 16 + "%20" + "0" * 13):
        assert wire.get(BY_UTK, {"utk": bad}, headers=FROM_PAGE).status == 400
    assert upstream.stats.requests == before


def test_a_request_is_never_more_than_one_call_even_with_a_long_allow_list(
    serve: Serve, upstream: SandboxPortal, tmp_path: object
) -> None:
    many = [f"a_rather_long_property_name_{i}" for i in range(120)]
    with HubSpotClient(
        upstream.access_token, base_url=upstream.base_url, cache=False, **FAST
    ) as client:
        fits = utks_per_call(client, many)
        assert 1 <= fits < 100  # the allow-list takes most of HubSpot's URL
        wire = serve(client=client, properties=many)
        utks = [f"{i:032x}" for i in range(fits + 1)]
        before = upstream.stats.requests
        assert wire.get(BY_UTK, {"utk": utks[:fits]}, headers=FROM_PAGE).status == 200
        assert upstream.stats.requests == before + 1  # one call, not a split batch
        too_many = wire.get(BY_UTK, {"utk": utks}, headers=FROM_PAGE)
        body = _refusal(too_many, 400, "VALIDATION_ERROR")
        assert f"at most {fits}" in str(body["message"])
        assert upstream.stats.requests == before + 1


# -- budgets -------------------------------------------------------------------------------


def test_a_clients_budget_counts_hubspot_calls_not_requests(
    serve: Serve, upstream: SandboxPortal
) -> None:
    wire = serve(client_budget=(2, 600.0))
    fresh = upstream.sample_utks(12)[-3:]
    before = upstream.stats.requests
    assert [wire.get(BY_UTK, {"utk": u}, headers=FROM_PAGE).status for u in fresh[:2]] == [
        200,
        200,
    ]
    over = wire.get(BY_UTK, {"utk": fresh[2]}, headers=FROM_PAGE, source="127.0.0.1")
    body = _refusal(over, 429, "RATE_LIMIT")
    assert body["policyName"] == "CLIENT_BUDGET"
    assert 500 < int(over.header("Retry-After") or 0) <= 600
    assert over.header("Access-Control-Allow-Origin") == ORIGIN
    assert upstream.stats.requests == before + 2
    # Cached answers cost HubSpot nothing, so they are not counted against the budget...
    for _ in range(5):
        assert wire.get(BY_UTK, {"utk": fresh[0]}, headers=FROM_PAGE).status == 200
    # ...and another client has a budget of its own.
    assert wire.get(BY_UTK, {"utk": fresh[2]}, headers=FROM_PAGE, source="127.0.0.2").status == 200
    assert upstream.stats.requests == before + 3


def test_the_daily_budget_protects_the_portal_whoever_asks(
    serve: Serve, upstream: SandboxPortal
) -> None:
    wire = serve(daily_budget=3)
    fresh = upstream.sample_utks(20)[-5:]
    before = upstream.stats.requests
    for utk, source in zip(fresh[:3], ("127.0.0.2", "127.0.0.3", "127.0.0.4"), strict=True):
        assert wire.get(BY_UTK, {"utk": utk}, headers=FROM_PAGE, source=source).status == 200
    spent = wire.get(BY_UTK, {"utk": fresh[3]}, headers=FROM_PAGE, source="127.0.0.5")
    body = _refusal(spent, 503, "DAILY_LIMIT")
    assert body["policyName"] == "PROXY_DAILY_BUDGET"
    assert "other integrations" in str(body["message"])
    assert 86_000 < int(spent.header("Retry-After") or 0) <= 86_460
    assert spent.header("Access-Control-Allow-Origin") == ORIGIN
    assert wire.get(BY_UTK, {"utk": fresh[0]}, headers=FROM_PAGE).status == 200  # cached
    assert upstream.stats.requests == before + 3


def test_deleted_contacts_only_with_allow_deletes(serve: Serve, upstream: SandboxPortal) -> None:
    deleted = upstream.sample_utks(2, kind="deleted")
    asks = {"utk": deleted, "includeDeletes": "true"}
    assert serve().get(BY_UTK, asks, headers=FROM_PAGE).json() == {}
    opened = serve(allow_deletes=True).get(BY_UTK, asks, headers=FROM_PAGE).json()
    assert sorted(opened) == sorted(deleted)


# -- who may spend: pages of allowed origins, in CORS mode ---------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},  # <img src>, a server, curl
        {"Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"},  # <img src> in Chromium
        {"Sec-Fetch-Mode": "no-cors", "Origin": ORIGIN},
        {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"},  # a link to the proxy
    ],
    ids=["no Origin", "img", "no-cors fetch", "navigation"],
)
def test_lookups_a_page_cannot_read_are_refused_and_cost_nothing(
    serve: Serve, upstream: SandboxPortal, headers: dict[str, str]
) -> None:
    wire = serve()
    fresh = upstream.sample_utks(30)[-1]
    before = upstream.stats.requests
    for path, params in ((BY_UTK, {"utk": fresh}), (PROPERTIES, None)):
        answer = wire.get(path, params, headers=headers)
        _refusal(answer, 403, "FORBIDDEN_ORIGIN")
    assert upstream.stats.requests == before
    # Health checks and preflights need no Origin; a page in CORS mode is served.
    assert wire.get("/healthz", headers=headers).status == 200
    cors = {"Origin": ORIGIN, "Sec-Fetch-Mode": "cors"}
    assert wire.get(BY_UTK, {"utk": fresh}, headers=cors).status == 200


def test_server_callers_opt_in_and_browsers_are_still_refused(
    serve: Serve, upstream: SandboxPortal
) -> None:
    wire = serve(allow_servers=True)
    utk = upstream.sample_utks(1)
    assert wire.get(BY_UTK, {"utk": utk}).status == 200  # curl, a server
    refused = wire.get(BY_UTK, {"utk": utk}, headers={"Sec-Fetch-Mode": "no-cors"})
    _refusal(refused, 403, "FORBIDDEN_ORIGIN")
