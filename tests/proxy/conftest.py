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
import logging
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
FAST = {"backoff_factor": 0.01, "backoff_max": 0.05, "max_retry_time": 20.0, "timeout": 10.0}


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
    ``upstream``. Every answer of every Wire is checked at teardown.
    """
    started: list[tuple[ProxyServer, Wire, HubSpotClient | None]] = []

    def start(*, client: HubSpotClient | None = None, **options: Any) -> Wire:
        own = None
        if client is None:
            own = client = HubSpotClient(
                upstream.access_token, base_url=upstream.base_url, cache=tmp_path / "c", **FAST
            )
        options.setdefault("allow_origins", [ORIGIN])
        options.setdefault("properties", ALLOWED)
        server = ProxyServer(make_app(client, **options)).start()
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
