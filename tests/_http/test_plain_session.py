"""The lookups' plain session reads each body in one call and the environment once.

Everything is compared with what a stock :class:`requests.Session` does against the same
server on loopback: the same body, the same URL, the same exception for a cut body, a
broken gzip stream or a stalled read. Odd answers come from a raw-socket server that
writes exactly the bytes a test gives it.
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
import requests

from hubutk_pandas._http.plain import LightSession
from hubutk_pandas._http.session import make_session
from hubutk_pandas._http.transport import encode_query
from hubutk_pandas.sandbox import SandboxPortal


class RawServer:
    """Answers each connection with ``reply`` (bytes), after reading the request head."""

    def __init__(self, reply: bytes, *, stall: float = 0.0) -> None:
        self.reply, self.stall = reply, stall
        self.heads: list[bytes] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        self._sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            with conn:
                head = b""
                while b"\r\n\r\n" not in head:
                    got = conn.recv(65536)
                    if not got:
                        break
                    head += got
                self.heads.append(head)
                conn.sendall(self.reply)
                if self.stall:
                    time.sleep(self.stall)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._sock.close()


def _answer(body: bytes, *headers: str) -> bytes:
    head = ["HTTP/1.1 200 OK", "Content-Type: application/json", *headers, "Connection: close"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


@pytest.fixture
def raw() -> Iterator[list[RawServer]]:
    servers: list[RawServer] = []
    yield servers
    for server in servers:
        server.close()


def _serve(raw: list[RawServer], reply: bytes, **kwargs: float) -> RawServer:
    server = RawServer(reply, **kwargs)
    raw.append(server)
    return server


def _outcome(
    session: requests.Session, url: str, timeout: float | None = None
) -> tuple[str, bytes | None]:
    try:
        answer = session.get(url, timeout=timeout)
    except requests.RequestException as exc:
        return type(exc).__name__, None
    return "ok", answer.content


def test_a_batch_answer_is_the_one_requests_reads() -> None:
    with SandboxPortal(contacts=300) as portal:
        utks = portal.sample_utks(100, kind="contact")
        url = portal.base_url + "/contacts/v1/contact/byUtk/batch/"
        params = [("propertyMode", "value_and_history"), *(("utk", u) for u in utks)]
        auth = {"Authorization": f"Bearer {portal.access_token}"}
        with requests.Session() as stock, LightSession() as light:
            want = stock.get(url, params=params, headers=auth)
            got = light.get(url, params=encode_query(params), headers=auth)
    assert got.status_code == want.status_code == 200
    assert got.url == want.url  # the pre-encoded query is the one requests makes
    assert got.content == want.content and len(got.content) > 100_000
    assert got.json() == want.json()


@pytest.mark.parametrize(
    "params",
    [
        [("utk", "0123456789abcdef0123456789ABCDEF")],
        [("property", "hs_analytics_source"), ("property", "Straße"), ("x", "a b+c&d=e/f?g#h")],
        [("hapikey", "pat-na1-0000-ffff"), ("n", 7), ("skip", None), ("", "")],
        [("k~._-", "~._-"), ("emoji", "\N{SNAKE}"), ("pct", "100%")],
        [("raw", b"caf\xc3\xa9 au lait"), (b"k", "v")],
    ],
)
def test_encode_query_is_what_requests_sends(params: list[tuple[str | bytes, object]]) -> None:
    by_requests = requests.Request("GET", "http://127.0.0.1/x", params=params).prepare().url
    by_us = requests.Request("GET", "http://127.0.0.1/x", params=encode_query(params)).prepare()
    assert by_us.url == by_requests
    kept = [(k, v) for k, v in params if v is not None]
    assert encode_query(params) == urlencode(kept)


def test_a_gzip_body_is_decoded(raw: list[RawServer]) -> None:
    body = b'{"a": "' + b"x" * 50_000 + b'"}'
    packed = gzip.compress(body)
    length = f"Content-Length: {len(packed)}"
    server = _serve(raw, _answer(packed, "Content-Encoding: gzip", length))
    assert _outcome(LightSession(), server.url) == _outcome(requests.Session(), server.url)
    assert _outcome(LightSession(), server.url) == ("ok", body)


@pytest.mark.parametrize(
    ("reply", "raised"),
    [
        # Content-Length promises more than is sent, then the connection closes.
        (_answer(b'{"a": 1', "Content-Length: 500"), "ChunkedEncodingError"),
        # A chunked body cut inside a chunk.
        (_answer(b"10\r\n{\"a\": 1", "Transfer-Encoding: chunked"), "ChunkedEncodingError"),
        # A gzip stream that is not gzip.
        (_answer(b"not gzip at all", "Content-Encoding: gzip", "Content-Length: 15"),
         "ContentDecodingError"),
    ],
)  # fmt: skip
def test_a_broken_body_raises_what_requests_raises(
    raw: list[RawServer], reply: bytes, raised: str
) -> None:
    server = _serve(raw, reply)
    assert _outcome(LightSession(), server.url) == (raised, None)
    assert _outcome(requests.Session(), server.url) == (raised, None)


def test_a_stalled_body_is_a_connection_error_as_with_requests(raw: list[RawServer]) -> None:
    # The head arrives at once; the body stops after six bytes (one server each: it stalls).
    for session in (LightSession(), requests.Session()):
        server = _serve(raw, _answer(b'{"a": ', "Content-Length: 100"), stall=2.0)
        assert _outcome(session, server.url, timeout=0.3) == ("ConnectionError", None)


def test_a_redirect_is_followed_and_the_last_body_read(raw: list[RawServer]) -> None:
    target = _serve(raw, _answer(b'{"moved": true}', "Content-Length: 15"))
    hop = (f"HTTP/1.1 302 Found\r\nLocation: {target.url}/there\r\nContent-Length: 4\r\n"
           "Connection: close\r\n\r\ngone").encode()  # fmt: skip
    start = _serve(raw, hop)
    with LightSession() as session:
        answer = session.get(start.url + "/here")
    assert answer.json() == {"moved": True} and answer.url == target.url + "/there"
    assert [r.status_code for r in answer.history] == [302]
    assert target.heads[0].startswith(b"GET /there HTTP/1.1")


def test_streaming_is_left_to_the_caller(raw: list[RawServer]) -> None:
    server = _serve(raw, _answer(b'{"a": 1}', "Content-Length: 8"))
    with LightSession() as session:
        answer = session.get(server.url, stream=True)
        assert not answer._content_consumed  # type: ignore[attr-defined]
        assert answer.raw.read() == b'{"a": 1}'


def test_a_proxy_from_the_environment_is_used(
    raw: list[RawServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = _serve(raw, _answer(b'{"via": "proxy"}', "Content-Length: 16"))
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with LightSession() as session:
        answer = session.get("http://portal.invalid/contacts", params=encode_query([("u", "1")]))
    assert answer.json() == {"via": "proxy"}
    assert proxy.heads[0].startswith(b"GET http://portal.invalid/contacts?u=1 HTTP/1.1")


def test_no_proxy_is_honoured_and_the_environment_is_read_once_per_origin(
    raw: list[RawServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    direct = _serve(raw, _answer(b'{"via": "direct"}', "Content-Length: 17"))
    proxy = _serve(raw, _answer(b'{"via": "proxy"}', "Content-Length: 16"))
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with LightSession() as session:
        assert session.get(direct.url).json() == {"via": "direct"}
        # Read when the session first met this origin: a later change is not seen.
        monkeypatch.delenv("NO_PROXY")
        assert session.get(direct.url).json() == {"via": "direct"}
    with LightSession() as fresh:  # a new session (a new client) reads it again
        assert fresh.get(direct.url).json() == {"via": "proxy"}
    assert len(direct.heads) == 2 and len(proxy.heads) == 1


def test_the_plain_session_of_the_client_is_light() -> None:
    session = make_session(cache_dir=None, namespace="x", expire_after=None, user_agent="ua")
    assert isinstance(session, LightSession)
