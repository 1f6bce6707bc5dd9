"""Garbage from upstream, bugs of our own, and other people's logs.

A hostile "HubSpot" (a real HTTP server on loopback answering what the test sets) sends
records without a ``vid``, lone surrogates, JSON nested 50,000 deep, ``NaN`` and
``Infinity``. Each must reach the browser as a JSON 502 it can read (CORS headers, a
correlation id), never as invalid JSON; no log line of any logger may show the utk or
a property value.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from hubutk_pandas.client import HubSpotClient
from hubutk_pandas.proxy import make_app
from hubutk_pandas.proxy.scrub import _ScrubbingFactory
from hubutk_pandas.sandbox import SandboxPortal
from tests.proxy.conftest import FAST, ORIGIN, HostileUpstream, Serve, Wire

BY_UTK = "/contacts/v1/contact/byUtk/batch/"
UTK = "0123456789abcdef0123456789abcdef"
SECRET = "Ada-Secret-Lovelace"


def _record(value: str) -> str:
    return f'{{"{UTK}": {{"vid": 7, "properties": {{"firstname": {{"value": {value}}}}}}}}}'


GARBAGE = {
    "a record without a vid": (
        f'{{"{UTK}": {{"properties": {{"firstname": {{"value": "{SECRET}"}}}}}}}}'
    ),
    "a lone surrogate": _record(f'"{SECRET} \\ud800"'),
    "nested 50,000 deep": _record("[" * 50_000 + "]" * 50_000),
    "NaN": _record("NaN"),
    "Infinity": _record("Infinity"),
    "-Infinity": _record("-Infinity"),
    "not an object": f'["{UTK}", "{SECRET}"]',
}


def _strict(body: bytes) -> Any:
    def refuse(name: str) -> None:
        raise ValueError(f"not JSON: {name}")

    return json.loads(body.decode("utf-8"), parse_constant=refuse)


def _clean(records: list[logging.LogRecord], *secrets: str) -> None:
    """No record of any logger, but the upstream's own, shows a secret."""
    for record in records:
        if record.name.startswith(("hubutk_pandas.sandbox", "werkzeug")):
            continue  # the upstream (playing HubSpot) and the host's own access log
        text = record.getMessage() + (record.exc_text or "") + (record.stack_info or "")
        for secret in secrets:
            assert secret not in text, (record.name, text)


@pytest.mark.parametrize("kind", list(GARBAGE))
def test_upstream_garbage_is_a_json_502_a_browser_can_read(
    serve: Serve,
    hostile: HostileUpstream,
    proxy_logs: list[logging.LogRecord],
    kind: str,
) -> None:
    hostile.batch_body = GARBAGE[kind].encode()
    client = HubSpotClient("token", base_url=hostile.base_url, cache=False, **FAST)
    with client:
        wire = serve(client=client)
        answer = wire.get(BY_UTK, {"utk": UTK}, headers={"Origin": ORIGIN})
    assert answer.status == 502, answer.body
    body = _strict(answer.body)
    assert body["category"] == "UPSTREAM_ERROR" and len(body["correlationId"]) == 36
    assert answer.header("X-HubSpot-Correlation-Id") == body["correlationId"]
    assert answer.header("Access-Control-Allow-Origin") == ORIGIN
    assert answer.header("Content-Type") == "application/json;charset=utf-8"
    assert SECRET.encode() not in answer.body and UTK.encode() not in answer.body
    assert hostile.requests == 1  # one call: the garbage is not asked for again
    _clean(proxy_logs, UTK, SECRET)


def test_a_bug_of_ours_is_a_json_500_with_its_traceback_at_error(
    serve: Serve, upstream: SandboxPortal, proxy_logs: list[logging.LogRecord]
) -> None:
    class Buggy(HubSpotClient):
        def property_definitions(self, refresh: bool = False) -> list[dict[str, Any]]:
            return {"name": "firstname"}["nmae"]  # type: ignore[return-value]  # a typo

    with Buggy(upstream.access_token, base_url=upstream.base_url, cache=False, **FAST) as client:
        wire = serve(client=client)
        answer = wire.get("/properties/v1/contacts/properties", headers={"Origin": ORIGIN})
    assert answer.status == 500
    body = _strict(answer.body)
    assert body["category"] == "INTERNAL_ERROR" and len(body["correlationId"]) == 36
    assert answer.header("Access-Control-Allow-Origin") == ORIGIN
    assert b"nmae" not in answer.body  # no internals for the browser...
    errors = [
        r for r in proxy_logs if r.levelno == logging.ERROR and r.name == "hubutk_pandas.proxy"
    ]
    assert len(errors) == 1
    assert "KeyError: 'nmae'" in (errors[0].exc_text or "")  # ...the traceback for us
    assert "Traceback" in (errors[0].exc_text or "")


@pytest.fixture
def foreign_host(upstream: SandboxPortal) -> Iterator[tuple[str, HubSpotClient]]:
    """``make_app`` in someone else's WSGI host (werkzeug's server), on a cached client."""
    client = HubSpotClient(upstream.access_token, base_url=upstream.base_url, cache=False, **FAST)
    app = make_app(client, allow_origins=[ORIGIN], properties=["firstname"])
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", client
    finally:
        server.shutdown()
        server.server_close()
        client.close()


def test_no_utk_in_any_log_record_in_a_foreign_host_at_debug(
    foreign_host: tuple[str, HubSpotClient],
    upstream: SandboxPortal,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url, _ = foreign_host
    caplog.set_level(logging.DEBUG)  # the root logger: every library's DEBUG lines
    factory = logging.getLogRecordFactory()
    filters = {n: list(logging.getLogger(n).filters) for n in ("urllib3", "requests_cache")}
    utks = upstream.sample_utks(90)[-6:]
    firstnames = [upstream.record(u)["properties"]["firstname"]["value"] for u in utks]  # type: ignore[index]
    browser = Wire(url)  # http.client: the browser's side logs nothing
    for utk in utks:
        answer = browser.get(BY_UTK, {"utk": utk}, headers={"Origin": ORIGIN})
        assert answer.status == 200 and list(answer.json()) == [utk]
    upstream.inject("badshape")
    assert browser.get(BY_UTK, {"utk": utks[:2]}, headers={"Origin": ORIGIN}).status == 502
    assert any(r.name.startswith("urllib3") for r in caplog.records)  # DEBUG was on
    _clean(caplog.records, *utks)
    assert any(f.startswith("utk:") for r in caplog.records for f in r.getMessage().split("="))
    for name in firstnames:  # values were never logged either
        _clean([r for r in caplog.records if not r.name.startswith("hubutk_pandas.sandbox")], name)
    # Outside the requests, logging is as the program set it.
    assert logging.getLogRecordFactory() is factory
    assert not isinstance(logging.getLogRecordFactory(), _ScrubbingFactory)
    assert {n: list(logging.getLogger(n).filters) for n in filters} == filters
    record = logging.getLogger("urllib3").makeRecord("urllib3", 10, "x", 1, "utk=%s", (UTK,), None)
    assert record.getMessage() == f"utk={UTK}"  # another thread's, or after: untouched
