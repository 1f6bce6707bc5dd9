"""Fixtures of the proxy tests: a sandbox upstream, the proxy served by waitress, raw HTTP.

Every answer a test receives goes through :class:`Wire`, which keeps the status line,
the headers and the body as bytes; the ``wire`` fixture checks all of them at teardown
(no credential, ``Vary: Origin``, never ``*`` nor credentials mode). ``proxy_logs``
captures every log record of the process at DEBUG. The proxy's own logs are those of the
package (not its sandbox, which plays HubSpot) and of waitress: :func:`is_proxy_log`.
Third-party HTTP libraries log full URLs at DEBUG; ``hubutk proxy`` keeps them at INFO.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from hubutk_pandas.client import HubSpotClient
from hubutk_pandas.proxy import ProxyServer, make_app
from hubutk_pandas.sandbox import SandboxPortal

ORIGIN = "https://shop.example"
OTHER_ORIGIN = "https://evil.example"
ALLOWED = ("firstname", "lastname", "lifecyclestage", "city")
#: The proxy's client never retries (one request, at most one HubSpot call).
FAST = {"max_retries": 0, "timeout": 10.0}


@dataclass
class Answer:
    """One HTTP answer as received: status, headers (name, value) and the body bytes."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return ", ".join(values) if values else None

    def has(self, name: str) -> bool:
        return any(k.lower() == name.lower() for k, _ in self.headers)

    def json(self) -> Any:
        import json

        return json.loads(self.body)

    def raw(self) -> bytes:
        lines = [f"{k}: {v}" for k, v in self.headers]
        return (f"{self.status}\r\n" + "\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (
            self.body
        )


@dataclass
class Wire:
    """Raw HTTP to one server on loopback; remembers every answer."""

    base_url: str
    answers: list[Answer] = field(default_factory=list)

    def request(
        self,
        method: str,
        path: str,
        params: Any = None,
        *,
        headers: dict[str, str] | None = None,
        source: str | None = None,
        timeout: float = 60.0,
    ) -> Answer:
        parts = urlsplit(self.base_url)
        target = path + ("?" + urlencode(params, doseq=True) if params else "")
        conn = http.client.HTTPConnection(
            parts.hostname,
            parts.port,
            timeout=timeout,
            source_address=(source, 0) if source else None,
        )
        try:
            conn.request(method, target, headers=headers or {})
            response = conn.getresponse()
            answer = Answer(response.status, response.getheaders(), response.read())
        finally:
            conn.close()
        self.answers.append(answer)
        return answer

    def get(self, path: str, params: Any = None, **kwargs: Any) -> Answer:
        return self.request("GET", path, params, **kwargs)

    def connect(self, source: str | None = None, timeout: float = 10.0) -> socket.socket:
        """A raw TCP connection to the server (from ``source``, a loopback address)."""
        parts = urlsplit(self.base_url)
        return socket.create_connection(
            (parts.hostname, parts.port), timeout=timeout, source_address=(source or "", 0)
        )

    def raw(
        self, data: bytes, *, source: str | None = None, timeout: float = 5.0
    ) -> tuple[bytes, bool]:
        """Send ``data`` on a new connection; ``(all bytes received, closed by the server)``.

        Reads until the server closes the connection or ``timeout`` passes in silence.
        """
        with self.connect(source, timeout) as sock:
            sock.sendall(data)
            return read_until_closed(sock, timeout)


def read_until_closed(sock: socket.socket, timeout: float) -> tuple[bytes, bool]:
    """Everything ``sock`` receives, and whether the peer closed it within ``timeout``."""
    sock.settimeout(timeout)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except TimeoutError:
        return received, False
    except ConnectionResetError:
        return received, True
    return received, True


def statuses(received: bytes) -> list[int]:
    """The status codes of the HTTP answers in a raw byte stream."""
    return [int(line.split()[1]) for line in received.split(b"\r\n") if line.startswith(b"HTTP/1.")]


@pytest.fixture(scope="module")
def upstream() -> Iterator[SandboxPortal]:
    """The proxy's HubSpot: a sandbox portal of this test module's own.

    Pre-2026 v1 answers (memberships in v1 reads): ``--allow-lists`` is refused, and the
    tests check that memberships an upstream still sends never reach a page.
    """
    with SandboxPortal(
        contacts=2000, seed=11, rate_limit=(10_000, 10_000), v1_memberships="legacy"
    ) as portal:
        yield portal


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.format(record)  # fills exc_text, as a real handler would write it
        self.records.append(record)


def is_proxy_log(record: logging.LogRecord) -> bool:
    """Whether a record is one the proxy process writes (``hubutk_pandas.*``, ``waitress``)."""
    name = record.name
    ours = name == "hubutk_pandas" or name.startswith(("hubutk_pandas.", "waitress"))
    return ours and not name.startswith("hubutk_pandas.sandbox")


@pytest.fixture
def proxy_logs(caplog: pytest.LogCaptureFixture) -> Iterator[list[logging.LogRecord]]:
    """Every log record of the test, from every logger and thread, DEBUG and up."""
    caplog.set_level(logging.DEBUG)
    keep = _Keep()
    root = logging.getLogger()
    root.addHandler(keep)
    try:
        yield keep.records
    finally:
        root.removeHandler(keep)


Serve = Callable[..., Wire]


@pytest.fixture
def serve(
    upstream: SandboxPortal, tmp_path: Path, proxy_logs: list[logging.LogRecord]
) -> Iterator[Serve]:
    """``serve(**make_app options)`` starts a proxy on 127.0.0.1 and returns its Wire.

    ``client=`` gives the proxy another client; by default a cached client of
    ``upstream`` (in the test's own folder). ``server_options=`` go to
    :class:`ProxyServer`. Every answer of every Wire is checked at teardown.
    """
    started: list[tuple[ProxyServer, Wire, HubSpotClient | None]] = []

    def start(
        *,
        client: HubSpotClient | None = None,
        server_options: dict[str, Any] | None = None,
        **options: Any,
    ) -> Wire:
        own = None
        if client is None:
            own = client = HubSpotClient(
                upstream.access_token, base_url=upstream.base_url, cache=tmp_path / "c", **FAST
            )
        options.setdefault("allow_origins", [ORIGIN])
        options.setdefault("properties", ALLOWED)
        server = ProxyServer(make_app(client, **options), **(server_options or {})).start()
        wire = Wire(server.url)
        started.append((server, wire, own))
        return wire

    yield start
    for server, wire, own in started:
        server.close()
        if own is not None:
            own.close()
        for answer in wire.answers:
            assert_clean(answer, [upstream.access_token, upstream.api_key])
    for record in proxy_logs:  # the access token: in no log line of any library
        text = record.getMessage() + (record.exc_text or "")
        assert upstream.access_token not in text, f"the token in the log: {record.name}"
        if is_proxy_log(record):
            assert upstream.api_key not in text, f"the API key in the log: {record.name}"


def assert_clean(answer: Answer, secrets: list[str]) -> None:
    """What every answer of the proxy must satisfy, whatever was asked."""
    raw = answer.raw()
    for secret in secrets:
        assert secret.encode() not in raw, "a credential in an answer"
    assert "Origin" in (answer.header("Vary") or ""), answer.headers
    assert not answer.has("Access-Control-Allow-Credentials")
    assert answer.header("Access-Control-Allow-Origin") != "*"


class HostileUpstream:
    """A "HubSpot" that answers whatever a test sets: broken records, NaN, deep nesting.

    A real HTTP server on loopback (werkzeug's), not a mock: the proxy's client talks to
    it as to HubSpot. ``batch_body`` is the raw body of every batch answer (status 200);
    the property definitions are a valid list. ``requests`` counts what it was asked.
    """

    def __init__(self) -> None:
        from werkzeug.serving import make_server
        from werkzeug.wrappers import Request, Response

        self.batch_body = b"{}"
        self.requests = 0

        @Request.application  # type: ignore[arg-type]
        def app(request: Request) -> Response:
            self.requests += 1
            if request.path.startswith("/properties/"):
                body = json.dumps([{"name": "firstname", "type": "string"}]).encode()
            else:
                body = self.batch_body
            return Response(body, content_type="application/json")

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hostile() -> Iterator[HostileUpstream]:
    upstream = HostileUpstream()
    yield upstream
    upstream.close()


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll ``condition`` every 50 ms until it holds (True) or ``timeout`` passes (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()
