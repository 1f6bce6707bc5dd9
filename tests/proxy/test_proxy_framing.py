"""Strict HTTP, over raw sockets: bodies, smuggling, control characters, slow and many clients.

Each test writes bytes to a socket and reads what comes back until the server closes the
connection, so it sees exactly what a client sees: how many answers, and whether the
connection is closed after a refusal.
"""

from __future__ import annotations

import logging
import socket
import threading
import time

import pytest
from werkzeug.test import Client

from hubutk_pandas.client import HubSpotClient
from hubutk_pandas.proxy import make_app
from hubutk_pandas.sandbox import SandboxPortal
from tests.proxy.conftest import FAST, ORIGIN, Serve, read_until_closed, statuses, wait_until

pytestmark = pytest.mark.timeout(120)

BY_UTK = "/contacts/v1/contact/byUtk/batch/"


def _lookup_line(utk: str) -> bytes:
    return f"GET {BY_UTK}?utk={utk} HTTP/1.1\r\nHost: p\r\nOrigin: {ORIGIN}\r\n\r\n".encode()


def test_content_length_with_transfer_encoding_is_refused_and_nothing_smuggled(
    serve: Serve, upstream: SandboxPortal
) -> None:
    wire = serve()
    smuggled = _lookup_line(upstream.sample_utks(50)[-1])
    request = (
        b"GET /healthz HTTP/1.1\r\nHost: p\r\n"
        + f"Content-Length: {5 + len(smuggled)}\r\n".encode()
        + b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        + smuggled
    )
    before = upstream.stats.requests
    received, closed = wire.raw(request)
    assert statuses(received) == [400], received
    assert b"Content-Length together with Transfer-Encoding" in received
    assert closed  # the connection is closed: the second request is never read
    assert upstream.stats.requests == before


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
def test_a_body_is_refused_on_every_method_and_the_connection_closed(
    serve: Serve, method: str
) -> None:
    wire = serve()
    for framing in (
        b"Content-Length: 5\r\n\r\nhello",
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ):
        received, closed = wire.raw(
            f"{method} /healthz HTTP/1.1\r\nHost: p\r\n".encode()
            + framing
            + b"GET /healthz HTTP/1.1\r\nHost: p\r\n\r\n"
        )
        assert statuses(received) == [400], received
        assert closed


def test_a_32_mb_body_is_refused_without_being_read(serve: Serve, upstream: SandboxPortal) -> None:
    wire = serve()
    utk = upstream.sample_utks(1)[0]
    size = 32 * 2**20
    with wire.connect() as sock:
        head = f"GET {BY_UTK}?utk={utk} HTTP/1.1\r\nHost: p\r\nOrigin: {ORIGIN}\r\n"
        sock.sendall(f"{head}Content-Length: {size}\r\n\r\n".encode() + b"x" * 65536)
        started = time.monotonic()
        received, closed = read_until_closed(sock, timeout=5.0)
        assert time.monotonic() - started < 3.0  # answered at once, not after 32 MB
        assert statuses(received) == [400], received
        assert closed
        with pytest.raises(OSError):  # nobody reads the rest
            for _ in range(size // 65536):
                sock.sendall(b"x" * 65536)


@pytest.mark.parametrize("control", ["%0A", "%0D%0A", "%00", "%1B", "%7F", "%09"])
def test_control_characters_in_the_path_are_refused_and_never_logged(
    serve: Serve, proxy_logs: list[logging.LogRecord], control: str
) -> None:
    wire = serve()
    received, closed = wire.raw(f"GET /healthz{control} HTTP/1.1\r\nHost: p\r\n\r\n".encode())
    assert statuses(received) == [400], received
    assert closed
    for record in proxy_logs:
        text = record.getMessage()
        assert not any(ord(c) < 0x20 or ord(c) == 0x7F for c in text), (record.name, text)


def test_in_any_wsgi_host_the_app_refuses_bodies_and_control_characters(
    upstream: SandboxPortal,
) -> None:
    with HubSpotClient(
        upstream.access_token, base_url=upstream.base_url, cache=False, **FAST
    ) as client:
        browser = Client(make_app(client, allow_origins=[ORIGIN], properties=["firstname"]))
        page = {"Origin": ORIGIN}
        for answer in (
            browser.get("/healthz", data=b"hello", headers=page),
            browser.get("/healthz", headers={**page, "Transfer-Encoding": "chunked"}),
            browser.get("/healthz%0A", headers=page),
        ):
            assert answer.status_code == 400
            assert answer.json["category"] == "VALIDATION_ERROR"
            assert answer.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_untrusted_text_is_escaped_in_log_lines(
    serve: Serve, upstream: SandboxPortal, proxy_logs: list[logging.LogRecord]
) -> None:
    wire = serve(trusted_proxies=["127.0.0.1"])
    forged = {"Origin": ORIGIN, "X-Forwarded-For": "1.2.3.4\x85FAKE 200 client=admin"}
    assert wire.get(BY_UTK, {"utk": upstream.sample_utks(1)}, headers=forged).status == 200
    with HubSpotClient(
        upstream.access_token, base_url=upstream.base_url, cache=False, **FAST
    ) as client:  # another WSGI host may pass any method on
        app = make_app(client, allow_origins=[ORIGIN], properties=["firstname"])
        answer = Client(app).open("/healthz", method="BR\x07EW\u00e9", headers={"Origin": ORIGIN})
        assert answer.status_code == 405
    lines = [r.getMessage() for r in proxy_logs if r.name == "hubutk_pandas.proxy"]
    access = [line for line in lines if " client=" in line]
    assert len(access) == 2
    for line in lines:
        assert line.isprintable() and line.isascii(), line
        assert "FAKE" not in line
    assert "\\x07" in access[1]  # the bell, escaped


# -- slow and many clients -----------------------------------------------------------------


def test_a_request_that_takes_too_long_to_arrive_is_cut_off(serve: Serve) -> None:
    wire = serve(server_options={"read_timeout": 1.0})
    with wire.connect() as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: p\r\n")
        started = time.monotonic()
        closed = False
        while time.monotonic() - started < 8:  # a header byte every 200 ms: never idle
            try:
                sock.sendall(b"X")
                sock.settimeout(0.2)
                if sock.recv(1024) == b"":
                    closed = True
                    break
            except TimeoutError:
                continue
            except OSError:
                closed = True
                break
        assert closed and time.monotonic() - started < 4.0
    with wire.connect() as idle:  # silent after connecting: closed as well
        assert read_until_closed(idle, timeout=5.0) == (b"", True)


def test_one_address_cannot_take_every_connection(serve: Serve, upstream: SandboxPortal) -> None:
    wire = serve()  # the defaults: 20 connections per address, 500 in all
    held: list[socket.socket] = []
    try:
        for _ in range(110):  # half-open: a request line that never ends
            sock = wire.connect(source="127.0.0.2")
            sock.sendall(b"GET /healthz HTTP/1.1\r\n")
            held.append(sock)
        assert wait_until(lambda: sum(_closed(s) for s in held) >= 90)  # over the cap
        started = time.monotonic()
        answer = wire.get(
            BY_UTK,
            {"utk": upstream.sample_utks(1)},
            headers={"Origin": ORIGIN},
            source="127.0.0.3",
            timeout=5.0,
        )
        assert answer.status == 200 and time.monotonic() - started < 2.0
    finally:
        for sock in held:
            sock.close()


def _closed(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        sock.setblocking(True)


# -- waiting -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def slow_upstream() -> SandboxPortal:
    with SandboxPortal(contacts=500, seed=12, rate_limit=(10_000, 10_000), latency=2.0) as p:
        yield p


def test_healthz_never_waits_behind_lookups(serve: Serve, slow_upstream: SandboxPortal) -> None:
    client = HubSpotClient(
        slow_upstream.access_token, base_url=slow_upstream.base_url, cache=False, **FAST
    )
    wire = serve(client=client)  # the defaults: 16 threads, 8 lookups upstream at once
    utks = slow_upstream.sample_utks(24)
    results: list[int] = []

    def lookup(utk: str, source: str) -> None:
        results.append(
            wire.get(BY_UTK, {"utk": utk}, headers={"Origin": ORIGIN}, source=source).status
        )

    threads = [
        threading.Thread(target=lookup, args=(u, f"127.0.1.{i % 6 + 1}"))
        for i, u in enumerate(utks)
    ]
    try:
        for t in threads:
            t.start()
        time.sleep(0.5)  # every lookup is in: waiting for HubSpot, or refused
        started = time.monotonic()
        assert wire.get("/healthz", source="127.0.2.1", timeout=10).status == 200
        assert time.monotonic() - started < 0.5
    finally:
        for t in threads:
            t.join(timeout=30)
        client.close()
    assert results.count(200) >= 8
    assert set(results) <= {200, 503}
    shed = [a for a in wire.answers if a.status == 503]
    assert shed and all(int(a.header("Retry-After") or 0) >= 1 for a in shed)


def test_a_lookup_that_would_wait_too_long_for_the_pacer_is_shed_at_once(
    serve: Serve, upstream: SandboxPortal
) -> None:
    client = HubSpotClient(
        upstream.access_token, base_url=upstream.base_url, cache=False, rate_limit=(2, 10.0), **FAST
    )
    wire = serve(client=client, max_wait=1.0)
    fresh = upstream.sample_utks(70)[-3:]
    try:
        ok = [wire.get(BY_UTK, {"utk": u}, headers={"Origin": ORIGIN}).status for u in fresh[:2]]
        assert ok == [200, 200]
        started = time.monotonic()
        shed = wire.get(BY_UTK, {"utk": fresh[2]}, headers={"Origin": ORIGIN})
        assert time.monotonic() - started < 0.5  # not the 10 s the pacer would hold it
        assert shed.status == 503 and shed.json()["policyName"] == "LOAD_SHEDDING"
        assert 8 <= int(shed.header("Retry-After") or 0) <= 11
        assert shed.header("Access-Control-Allow-Origin") == ORIGIN
    finally:
        client.close()
