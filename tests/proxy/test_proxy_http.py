"""The proxy over real HTTP: waitress on 127.0.0.1, the sandbox as HubSpot.

Answers are read as raw bytes (see conftest): each test checks what it is about, and the
``serve`` fixture checks every answer for credentials, ``Vary: Origin``, ``*`` and
credentials mode.
"""

from __future__ import annotations

import json
import logging

import pytest

from hubutk_pandas.client import HubSpotClient
from hubutk_pandas.errors import InvalidOptionError
from hubutk_pandas.proxy import make_app
from hubutk_pandas.sandbox import SandboxPortal
from tests.proxy.conftest import ALLOWED, FAST, ORIGIN, OTHER_ORIGIN, Serve, is_proxy_log

BY_UTK = "/contacts/v1/contact/byUtk/batch/"
UTKS = "/contacts/v1/contact/utks/batch/"
PROPERTIES = "/properties/v1/contacts/properties"
FROM_PAGE = {"Origin": ORIGIN}
RECORD_KEYS = {"vid", "canonical-vid", "merged-vids", "portal-id", "is-contact", "properties"}


def _hubspot_error(answer: object, status: int, category: str) -> dict[str, object]:
    assert answer.status == status, answer.body  # type: ignore[attr-defined]
    body = answer.json()  # type: ignore[attr-defined]
    assert body["status"] == "error" and body["category"] == category
    assert body["message"] and len(body["correlationId"]) == 36
    assert answer.header("Content-Type").startswith("application/json")  # type: ignore[attr-defined]
    return body  # type: ignore[no-any-return]


# -- answers and allow-lists ---------------------------------------------------------------


def test_answer_keeps_only_allowed_properties_even_when_others_are_asked(
    serve: Serve, upstream: SandboxPortal
) -> None:
    wire = serve()
    utks = upstream.sample_utks(5)
    answer = wire.get(
        BY_UTK,
        [("utk", u) for u in utks] + [("property", "email"), ("property", "firstname")],
        headers=FROM_PAGE,
    )
    assert answer.status == 200
    assert answer.header("Access-Control-Allow-Origin") == ORIGIN
    body = answer.json()
    assert sorted(body) == sorted(utks)
    for utk in utks:
        full = upstream.record(utk, form_submission_mode="all", show_list_memberships=True)
        assert full is not None
        assert body[utk]["properties"] == {"firstname": full["properties"]["firstname"]}
        assert set(body[utk]) <= RECORD_KEYS
        assert body[utk]["vid"] == full["vid"]
        email = full["properties"]["email"]["value"]
        assert email.encode() not in answer.body  # nor in identity profiles or merge audits


def test_without_property_parameters_every_allowed_property_and_nothing_else(
    serve: Serve, upstream: SandboxPortal
) -> None:
    wire = serve()
    utks = upstream.sample_utks(3) + upstream.sample_utks(2, kind="visitor")
    body = wire.get(BY_UTK, {"utk": utks}, headers=FROM_PAGE).json()
    for utk in utks:
        full = upstream.record(utk)
        assert full is not None
        wanted = {p: full["properties"][p] for p in ALLOWED if p in full["properties"]}
        assert body[utk]["properties"] == wanted
    assert any(body[u]["is-contact"] is False for u in utks)  # visitors come through too


def test_history_and_forms_are_stripped_unless_allowed_and_lists_always(
    serve: Serve, upstream: SandboxPortal
) -> None:
    """The upstream still sends v1 memberships (a pre-2026 portal): never passed on."""
    asks = {
        "propertyMode": "value_and_history",
        "formSubmissionMode": "all",
        "showListMemberships": "true",
    }
    utks = upstream.sample_utks(10)
    closed = serve().get(BY_UTK, {"utk": utks, **asks}, headers=FROM_PAGE).json()
    for record in closed.values():
        assert "form-submissions" not in record and "list-memberships" not in record
        assert all(set(p) == {"value"} for p in record["properties"].values())

    opened = serve(allow_history=True, allow_forms=True)
    body = opened.get(BY_UTK, {"utk": utks, **asks}, headers=FROM_PAGE).json()
    assert any(r["form-submissions"] for r in body.values())
    assert all("list-memberships" not in r for r in body.values())
    for utk, record in body.items():
        full = upstream.record(
            utk,
            property_mode="value_and_history",
            form_submission_mode="all",
            show_list_memberships=True,
        )
        assert full is not None
        assert set(record["properties"]) == set(ALLOWED) & set(full["properties"])
        for name, prop in record["properties"].items():
            versions = full["properties"][name]["versions"]
            assert [v["value"] for v in prop["versions"]] == [v["value"] for v in versions]
            assert all(set(v) <= {"value", "timestamp", "source-type"} for v in prop["versions"])
        assert len(record["form-submissions"]) == len(full["form-submissions"])
        for sub in record["form-submissions"]:
            assert "meta-data" not in sub and sub["form-id"]
    shown = [upstream.record(u, show_list_memberships=True) for u in utks]
    assert any(r and r["list-memberships"] for r in shown)  # there were some to strip


def test_allow_lists_is_refused_with_the_reason(upstream: SandboxPortal) -> None:
    with HubSpotClient(
        upstream.access_token, base_url=upstream.base_url, cache=False, max_retries=0
    ) as client:
        upstream.reset_stats()
        with pytest.raises(InvalidOptionError) as caught:
            make_app(client, allow_origins=[ORIGIN], properties=ALLOWED, allow_lists=True)
        assert upstream.stats.requests == 0
    message = str(caught.value)
    assert "2026-04-30" in message and "Lists API" in message
    assert "hubutk lookup --show-list-memberships" in message


def test_utks_endpoint_is_keyed_by_vid(serve: Serve, upstream: SandboxPortal) -> None:
    utks = upstream.sample_utks(4)
    body = serve().get(UTKS, {"utk": utks}, headers=FROM_PAGE).json()
    vids = {str(upstream.record(u)["vid"]) for u in utks}  # type: ignore[index]
    assert set(body) == vids


def test_property_definitions_are_the_allowed_ones_only(serve: Serve) -> None:
    answer = serve().get(PROPERTIES, headers=FROM_PAGE)
    assert answer.status == 200
    names = [d["name"] for d in answer.json()]
    assert sorted(names) == sorted(ALLOWED)
    assert b"email" not in answer.body


def test_healthz_and_head(serve: Serve) -> None:
    wire = serve()
    assert wire.get("/healthz").json() == {"status": "ok"}  # no Origin needed
    head = wire.request("HEAD", BY_UTK, {"utk": "0" * 32}, headers=FROM_PAGE)
    assert head.status == 200 and head.body == b""


def test_server_callers_without_origin_are_served_only_when_allowed(
    serve: Serve, upstream: SandboxPortal
) -> None:
    utk = upstream.sample_utks(1)[0]
    answer = serve(allow_servers=True).get(BY_UTK, {"utk": utk})
    assert answer.status == 200 and list(answer.json()) == [utk]
    assert not answer.has("Access-Control-Allow-Origin")


def test_our_own_client_works_through_the_proxy(serve: Serve, upstream: SandboxPortal) -> None:
    wire = serve(allow_servers=True)
    utks = upstream.sample_utks(30)
    with HubSpotClient("not-a-real-token", base_url=wire.base_url, cache=False, **FAST) as c:
        result = c.lookup_utks(utks, progress=False)
    assert len(result.contacts) == 30
    assert set(result.properties["property"]) <= set(ALLOWED)


# -- CORS ----------------------------------------------------------------------------------


def test_preflight_from_an_allowed_origin(serve: Serve) -> None:
    answer = serve().request(
        "OPTIONS",
        BY_UTK,
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization, accept",
        },
    )
    assert answer.status == 204
    assert answer.header("Access-Control-Allow-Origin") == ORIGIN
    assert answer.header("Access-Control-Allow-Methods") == "GET, HEAD, OPTIONS"
    allowed_headers = (answer.header("Access-Control-Allow-Headers") or "").lower()
    assert "authorization" not in allowed_headers and "accept" in allowed_headers


@pytest.mark.parametrize("method", ["OPTIONS", "GET"])
def test_other_origins_get_403_json_and_no_cors_headers(serve: Serve, method: str) -> None:
    wire = serve()
    for origin in (OTHER_ORIGIN, "null", "https://shop.example.evil.test", "http://shop.example"):
        answer = wire.request(
            method,
            BY_UTK,
            {"utk": "0" * 32},
            headers={"Origin": origin, "Access-Control-Request-Method": "GET"},
        )
        _hubspot_error(answer, 403, "FORBIDDEN_ORIGIN")
        assert not any(k.lower().startswith("access-control-") for k, _ in answer.headers)


def test_null_origin_only_when_listed(serve: Serve) -> None:
    answer = serve(allow_origins=[ORIGIN, "null"]).get("/healthz", headers={"Origin": "null"})
    assert answer.status == 200 and answer.header("Access-Control-Allow-Origin") == "null"


def test_origins_and_properties_are_required_and_never_a_wildcard(
    upstream: SandboxPortal,
) -> None:
    with (
        HubSpotClient(upstream.access_token, base_url=upstream.base_url, cache=False) as c,
        pytest.raises(InvalidOptionError, match="max_retries=0"),  # it would retry
    ):
        make_app(c, allow_origins=[ORIGIN], properties=["firstname"])
    with HubSpotClient(upstream.access_token, base_url=upstream.base_url, cache=False, **FAST) as c:
        for bad in (["*"], [], ["https://a.example/path"], ["ftp://a.example"]):
            with pytest.raises(InvalidOptionError, match="allow_origins"):
                make_app(c, allow_origins=bad, properties=["firstname"])
        for props in ([], ["*"], [""]):
            with pytest.raises(InvalidOptionError, match="properties"):
                make_app(c, allow_origins=[ORIGIN], properties=props)
        with pytest.raises(TypeError):
            make_app(c, allow_origins=[ORIGIN])  # type: ignore[call-arg]


# -- the caller's credentials --------------------------------------------------------------


def test_the_callers_authorization_and_hapikey_are_ignored(
    serve: Serve, upstream: SandboxPortal
) -> None:
    wire = serve()
    other = upstream.add_account(seed=99, contacts=500)
    mine = upstream.sample_utks(2)
    baseline = wire.get(BY_UTK, {"utk": mine}, headers=FROM_PAGE)
    for headers, extra in [
        ({"Authorization": f"Bearer {other.access_token}"}, {"hapikey": other.api_key}),
        ({"Authorization": "Bearer forged"}, {"hapikey": "forged", "access_token": "forged"}),
    ]:
        answer = wire.get(BY_UTK, {"utk": mine, **extra}, headers={**FROM_PAGE, **headers})
        assert answer.status == 200
        assert answer.json() == baseline.json()  # the proxy's portal, not the caller's
    assert len(wire.answers) == 3
    for secret in (other.access_token, other.api_key):
        assert all(secret.encode() not in a.raw() for a in wire.answers)


# -- refusals ------------------------------------------------------------------------------


def test_more_than_100_utks_is_a_400(serve: Serve, upstream: SandboxPortal) -> None:
    wire = serve()
    before = upstream.stats.requests
    utks = [f"{i:032x}" for i in range(101)]
    body = _hubspot_error(
        wire.get(BY_UTK, {"utk": utks}, headers=FROM_PAGE), 400, "VALIDATION_ERROR"
    )
    assert "101" in str(body["message"])
    assert wire.get(BY_UTK, {"utk": utks[:100]}, headers=FROM_PAGE).status == 200
    assert upstream.stats.requests == before + 1


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"utk": "0" * 32, "propertyMode": "everything"}, "propertyMode"),
        ({"utk": "0" * 32, "formSubmissionMode": "latest"}, "formSubmissionMode"),
        ({"utk": "0" * 32, "showListMemberships": "yes"}, "showListMemberships"),
        ({"utk": "0" * 32, "includeDeletes": "1"}, "includeDeletes"),
        ({"property": "firstname"}, "utk"),
        ({"utk": "a b"}, "utk"),
        ({"utk": "x" * 65}, "utk"),
        ({"utk": "0" * 31}, "utk"),
        ({"utk": "g" * 32}, "utk"),
        ({"utk": ["0" * 32, ""]}, "utk"),
    ],
)
def test_invalid_parameters_are_a_hubspot_style_400(
    serve: Serve, upstream: SandboxPortal, params: dict[str, str], named: str
) -> None:
    before = upstream.stats.requests
    body = _hubspot_error(serve().get(BY_UTK, params, headers=FROM_PAGE), 400, "VALIDATION_ERROR")
    assert named in str(body["message"])
    assert upstream.stats.requests == before  # refused before any upstream request


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "TRACE"])
def test_other_methods_are_a_405(serve: Serve, method: str) -> None:
    answer = serve().request(method, BY_UTK, {"utk": "0" * 32}, headers=FROM_PAGE)
    _hubspot_error(answer, 405, "METHOD_NOT_ALLOWED")
    assert answer.header("Allow") == "GET, HEAD, OPTIONS"
    assert answer.header("Access-Control-Allow-Origin") == ORIGIN  # the page can read why


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/contacts/v1/contact/vids/batch/",
        "/contacts/v1/contact/utk/abc/profile",
        "/properties/v1/contacts/properties/email",
        "/contacts/v1/contact/byUtk/batch/x",
    ],
)
def test_unknown_paths_are_a_404(serve: Serve, path: str) -> None:
    _hubspot_error(serve().get(path, {"utk": "0" * 32}, headers=FROM_PAGE), 404, "OBJECT_NOT_FOUND")


def test_urls_longer_than_8192_characters_are_a_414_from_the_proxy(
    serve: Serve, upstream: SandboxPortal
) -> None:
    wire = serve()
    before = upstream.stats.requests
    base = f"{BY_UTK}?utk={'0' * 32}&pad="
    at_limit = base + "p" * (8192 - len(base))
    assert len(at_limit) == 8192
    assert wire.get(at_limit, headers=FROM_PAGE).status == 200
    too_long = wire.get(at_limit + "p", headers=FROM_PAGE)
    body = _hubspot_error(too_long, 414, "VALIDATION_ERROR")
    assert "8193" in str(body["message"])
    assert too_long.header("Access-Control-Allow-Origin") == ORIGIN  # the page can read why
    assert upstream.stats.requests == before + 1  # only the 8,192-character one went up


def test_the_daily_limit_is_a_clear_503(serve: Serve, upstream: SandboxPortal) -> None:
    wire = serve()
    upstream.inject("429-daily")
    body = _hubspot_error(
        wire.get(BY_UTK, {"utk": upstream.sample_utks(1, kind="any")}, headers=FROM_PAGE),
        503,
        "DAILY_LIMIT",
    )
    assert "daily" in str(body["message"]).lower()


def test_an_upstream_refusal_of_a_utk_is_a_400(serve: Serve, upstream: SandboxPortal) -> None:
    wire = serve()
    utk = upstream.unknown_utks(1)[0]
    upstream.poison(utk)
    try:
        _hubspot_error(wire.get(BY_UTK, {"utk": utk}, headers=FROM_PAGE), 400, "VALIDATION_ERROR")
    finally:
        upstream.cure()


# -- per-client limits ---------------------------------------------------------------------


def test_a_client_over_its_limit_gets_429_with_retry_after(
    serve: Serve, upstream: SandboxPortal
) -> None:
    wire = serve(client_rate=(3, 30.0))
    utk = upstream.sample_utks(1)
    spoofed = {**FROM_PAGE}
    statuses = []
    for i in range(5):  # a browser cannot dodge its limit by naming itself
        spoofed["X-Forwarded-For"] = f"198.51.100.{i}"
        statuses.append(wire.get(BY_UTK, {"utk": utk}, headers=spoofed, source="127.0.0.2"))
    assert [a.status for a in statuses] == [200, 200, 200, 429, 429]
    limited = statuses[3]
    _hubspot_error(limited, 429, "RATE_LIMIT")
    assert 1 <= int(limited.header("Retry-After") or 0) <= 30
    assert limited.header("Access-Control-Allow-Origin") == ORIGIN
    exposed = (limited.header("Access-Control-Expose-Headers") or "").split(", ")
    assert "Retry-After" in exposed  # not CORS-safelisted: a page reads the wait only so
    # Another client (another address) is not affected; preflights and health checks are free.
    assert wire.get(BY_UTK, {"utk": utk}, headers=FROM_PAGE, source="127.0.0.3").status == 200
    assert wire.get("/healthz", source="127.0.0.2").status == 200


def test_behind_a_trusted_proxy_the_rightmost_untrusted_address_is_the_client(
    serve: Serve, upstream: SandboxPortal, proxy_logs: list[logging.LogRecord]
) -> None:
    wire = serve(client_rate=(2, 30.0), trusted_proxies=["127.0.0.0/8", "10.0.0.0/8"])
    utk = upstream.sample_utks(1)

    def ask(forwarded: str) -> int:
        headers = {**FROM_PAGE, "X-Forwarded-For": forwarded}
        return wire.get(BY_UTK, {"utk": utk}, headers=headers).status

    assert [ask("203.0.113.7"), ask("6.6.6.6, 203.0.113.7, 10.1.1.1")] == [200, 200]
    assert ask("1.2.3.4, 203.0.113.7") == 429  # the forged left part changes nothing
    assert ask("203.0.113.8") == 200
    clients = {
        m.split("client=")[1].split()[0]
        for m in (r.getMessage() for r in proxy_logs)
        if "client=" in m
    }
    assert {"203.0.113.7", "203.0.113.8"} <= clients


# -- nothing leaks -------------------------------------------------------------------------


def test_logs_carry_a_hash_of_the_utks_never_the_utks_or_the_credential(
    serve: Serve, upstream: SandboxPortal, proxy_logs: list[logging.LogRecord]
) -> None:
    wire = serve(allow_history=True)
    utks = upstream.sample_utks(5) + upstream.unknown_utks(2)
    wire.get(BY_UTK, {"utk": utks, "propertyMode": "value_and_history"}, headers=FROM_PAGE)
    upstream.inject("502")
    failed = wire.get(BY_UTK, {"utk": utks[:1]}, headers=FROM_PAGE)  # not retried: a 502
    _hubspot_error(failed, 502, "UPSTREAM_ERROR")
    upstream.inject("429-daily")
    wire.get(BY_UTK, {"utk": utks[1:2]}, headers=FROM_PAGE)
    # HubSpot's one-utk path is not served (404), and its utk is still not logged.
    wire.get(f"/contacts/v1/contact/utk/{utks[2]}/profile", headers=FROM_PAGE)
    ours = [r for r in proxy_logs if is_proxy_log(r)]
    access = [r.getMessage() for r in ours if r.name == "hubutk_pandas.proxy"]
    assert any("utks=7 utk_hash=" in line and "cost=1" in line for line in access)
    assert any("GET <unknown " in line and " 404 " in line for line in access)
    assert any(
        r.levelno == logging.WARNING and "upstream ServerError" in r.getMessage() for r in ours
    )
    for record in proxy_logs:  # any logger: urllib3 logs every upstream URL at DEBUG
        if record.name.startswith("hubutk_pandas.sandbox"):
            continue  # the sandbox plays HubSpot: its logs are HubSpot's
        text = record.getMessage() + (record.exc_text or "")
        assert not any(u in text for u in utks), (record.name, text)


def test_a_proxy_on_an_api_key_never_shows_the_key(
    serve: Serve, upstream: SandboxPortal, tmp_path: object, proxy_logs: list[logging.LogRecord]
) -> None:
    with pytest.warns(UserWarning, match="retired"):
        client = HubSpotClient(
            api_key=upstream.api_key, base_url=upstream.base_url, cache=False, **FAST
        )
    with client:
        wire = serve(client=client)
        utks = upstream.sample_utks(3)
        for params in ({"utk": utks}, {"utk": utks, "hapikey": "x"}):
            assert wire.get(BY_UTK, params, headers=FROM_PAGE).status == 200
        assert wire.get(PROPERTIES, headers=FROM_PAGE).status == 200
        upstream.inject("503")
        assert (
            wire.get(BY_UTK, {"utk": upstream.sample_utks(1, kind="any")}, headers=FROM_PAGE).status
            == 502
        )
    every_byte = b"".join(a.raw() for a in wire.answers)
    every_line = "\n".join(
        r.getMessage() + (r.exc_text or "") for r in proxy_logs if is_proxy_log(r)
    )
    assert upstream.api_key.encode() not in every_byte
    assert upstream.api_key not in every_line
    assert json.loads(wire.answers[0].body)  # the scan read real answers
