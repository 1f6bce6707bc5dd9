"""``examples/personalize.html`` in headless Chromium, through the proxy, on loopback.

A small static server on 127.0.0.1 serves the page and sets the ``hubspotutk`` cookie of
a sandbox contact. From the allowed origin the page greets the visitor by first name and
lists what it received: the allowed properties only, although it asks for email too. The
same page from another origin (another port) is refused by the proxy without CORS
headers, so Chromium blocks the answer; the test reads that failure from the console.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from hubutk_pandas.client import HubSpotClient
from hubutk_pandas.proxy import ProxyServer, make_app
from hubutk_pandas.sandbox import SandboxPortal

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

PAGE = Path(__file__).resolve().parents[2] / "examples" / "personalize.html"
ALLOWED = ("firstname", "lifecyclestage")
ASKED = "firstname,lifecyclestage,email,hs_analytics_source"


class StaticSite:
    """The example page on 127.0.0.1 (a port of its own), setting the visitor's cookie."""

    def __init__(self, utk: str) -> None:
        page = PAGE.read_bytes()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?")[0] != "/personalize.html":
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.send_header("Set-Cookie", f"hubspotutk={utk}; Path=/; SameSite=Lax")
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def visitor() -> Iterator[tuple[SandboxPortal, str, dict[str, Any]]]:
    with SandboxPortal(contacts=300, seed=8) as upstream:
        utk = upstream.sample_utks(1)[0]
        record = upstream.record(utk)
        assert record is not None
        yield upstream, utk, record


@pytest.fixture
def sites(
    visitor: tuple[SandboxPortal, str, dict[str, Any]],
) -> Iterator[tuple[StaticSite, StaticSite, str]]:
    """``(allowed site, other site, proxy URL)``."""
    upstream, utk, _ = visitor
    allowed, other = StaticSite(utk), StaticSite(utk)
    client = HubSpotClient(upstream.access_token, base_url=upstream.base_url, cache=False)
    app = make_app(client, allow_origins=[allowed.origin], properties=ALLOWED)
    try:
        with ProxyServer(app) as proxy:
            yield allowed, other, proxy.url
    finally:
        client.close()
        allowed.close()
        other.close()


def _open(page: Any, site: StaticSite, proxy: str) -> list[str]:
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.goto(f"{site.origin}/personalize.html?proxy={proxy}&properties={ASKED}")
    page.wait_for_function("document.body.dataset.state !== 'loading'", timeout=30_000)
    return console


def test_the_page_greets_a_known_visitor_with_allowed_properties_only(
    page: Any,
    sites: tuple[StaticSite, StaticSite, str],
    visitor: tuple[SandboxPortal, str, dict[str, Any]],
) -> None:
    allowed, _, proxy = sites
    _, _, record = visitor
    console = _open(page, allowed, proxy)
    assert page.evaluate("document.body.dataset.state") == "known", console
    first = record["properties"]["firstname"]["value"]
    assert page.inner_text("#greeting") == f"Welcome back, {first}!"
    shown = page.eval_on_selector_all("#properties dt", "ts => ts.map(t => t.textContent)")
    values = page.eval_on_selector_all("#properties dd", "ds => ds.map(d => d.textContent)")
    expected = [p for p in ALLOWED if p in record["properties"]]
    assert sorted(shown) == sorted(expected)
    assert dict(zip(shown, values, strict=True)) == {
        p: record["properties"][p]["value"] for p in expected
    }
    html = page.content()
    assert record["properties"]["email"]["value"] not in html
    assert record["properties"]["hs_analytics_source"]["value"] not in values


def test_the_same_page_from_another_origin_is_blocked_by_the_browser(
    page: Any,
    sites: tuple[StaticSite, StaticSite, str],
    visitor: tuple[SandboxPortal, str, dict[str, Any]],
) -> None:
    _, other, proxy = sites
    _, _, record = visitor
    console = _open(page, other, proxy)
    assert page.evaluate("document.body.dataset.state") == "error"
    blocked = [line for line in console if "blocked by CORS policy" in line]
    assert blocked, console
    assert f"from origin '{other.origin}'" in blocked[0]
    assert "No 'Access-Control-Allow-Origin' header" in blocked[0]
    assert page.inner_text("#greeting") == "Welcome!"
    assert record["properties"]["firstname"]["value"] not in page.content()


def test_credentials_mode_is_refused_by_the_browser_even_from_the_allowed_origin(
    page: Any,
    sites: tuple[StaticSite, StaticSite, str],
    visitor: tuple[SandboxPortal, str, dict[str, Any]],
) -> None:
    allowed, _, proxy = sites
    _, utk, _ = visitor
    console = _open(page, allowed, proxy)
    outcome = page.evaluate(
        """async ([url, mode]) => {
            try { await fetch(url, {credentials: mode}); return "read"; }
            catch (error) { return "blocked"; }
        }""",
        [f"{proxy}/contacts/v1/contact/byUtk/batch/?utk={utk}", "include"],
    )
    assert outcome == "blocked"
    assert any("Access-Control-Allow-Credentials" in line for line in console), console
