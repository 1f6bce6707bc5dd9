"""``examples/personalize.html`` in headless Chromium, through the proxy, on loopback.

A small static server on 127.0.0.1 serves the page (its ``data-proxy`` pointing at the
test's proxy, as a site owner would write it) and sets the ``hubspotutk`` cookie of a
sandbox contact. From the allowed origin the page greets the visitor by first name and
lists what it received: the allowed properties only, although it asks for email too. The
same page from another origin (another port) is refused by the proxy without CORS
headers, so Chromium blocks the answer; the test reads that failure from the console.

Attacks a page can make with a browser: a link naming another proxy (``?proxy=``), which
the page ignores; and requests a page cannot read but that would spend lookups
(``<img src>``, ``fetch`` in ``no-cors`` mode): they carry no ``Origin``, and the proxy
refuses them before HubSpot is asked.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from hubutk_pandas.client import HubSpotClient
from hubutk_pandas.proxy import ProxyServer, make_app
from hubutk_pandas.sandbox import SandboxPortal

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

PAGE = Path(__file__).resolve().parents[3] / "examples" / "personalize.html"
ALLOWED = ("firstname", "lifecyclestage")
ASKED = "firstname,lifecyclestage,email,hs_analytics_source"
MARKUP = '<body data-proxy="http://127.0.0.1:8787" data-properties="firstname"'
#: A page that spends lookups without being able to read them (no Origin is sent).
NO_CORS_PAGE = """<!doctype html><html><body data-state="loading"><script>
  var url = %(url)s;
  var img = new Image();
  var settled = 0;
  function settle() { if (++settled === 2) { document.body.dataset.state = "done"; } }
  img.onload = img.onerror = settle;
  img.src = url + "&via=img";
  fetch(url + "&via=fetch", {mode: "no-cors", credentials: "omit"}).then(settle, settle);
</script></body></html>"""


def personalize_page(proxy: str, properties: str = ASKED) -> bytes:
    """The example page as a site owner deploys it: the proxy's URL in its markup."""
    text = PAGE.read_text()
    assert MARKUP in text, "the example page's markup changed"
    return text.replace(
        MARKUP, f'<body data-proxy="{proxy}" data-properties="{properties}"'
    ).encode()


class StaticSite:
    """Pages on 127.0.0.1 (a port of its own), setting the visitor's cookie.

    ``pages`` maps a path to its HTML; every request's path is remembered.
    """

    def __init__(self, utk: str, pages: dict[str, bytes] | None = None) -> None:
        self.pages = dict(pages or {})
        self.requests: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests.append(self.path)
                page = site.pages.get(self.path.split("?")[0])
                if page is None:
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
    """``(allowed site, other site, proxy URL)``, both sites serving the example page."""
    upstream, utk, _ = visitor
    allowed, other = StaticSite(utk), StaticSite(utk)
    client = HubSpotClient(
        upstream.access_token, base_url=upstream.base_url, cache=False, max_retries=0
    )
    app = make_app(client, allow_origins=[allowed.origin], properties=ALLOWED)
    try:
        with ProxyServer(app) as proxy:
            for site in (allowed, other):
                site.pages["/personalize.html"] = personalize_page(proxy.url)
            yield allowed, other, proxy.url
    finally:
        client.close()
        allowed.close()
        other.close()


def _open(page: Any, site: StaticSite, query: str = "") -> list[str]:
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.goto(f"{site.origin}/personalize.html{query}")
    page.wait_for_function("document.body.dataset.state !== 'loading'", timeout=30_000)
    return console


def test_the_page_greets_a_known_visitor_with_allowed_properties_only(
    page: Any,
    sites: tuple[StaticSite, StaticSite, str],
    visitor: tuple[SandboxPortal, str, dict[str, Any]],
) -> None:
    allowed, _, _ = sites
    _, _, record = visitor
    console = _open(page, allowed)
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
    _, other, _ = sites
    _, _, record = visitor
    console = _open(page, other)
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
    console = _open(page, allowed)
    outcome = page.evaluate(
        """async ([url, mode]) => {
            try { await fetch(url, {credentials: mode}); return "read"; }
            catch (error) { return "blocked"; }
        }""",
        [f"{proxy}/contacts/v1/contact/byUtk/batch/?utk={utk}", "include"],
    )
    assert outcome == "blocked"
    assert any("Access-Control-Allow-Credentials" in line for line in console), console


def test_the_page_takes_the_proxy_from_its_markup_never_from_its_address(
    page: Any,
    sites: tuple[StaticSite, StaticSite, str],
    visitor: tuple[SandboxPortal, str, dict[str, Any]],
) -> None:
    allowed, _, _ = sites
    _, utk, record = visitor
    elsewhere = StaticSite(utk)  # a server of the attacker's, on another port
    try:
        console = _open(page, allowed, f"?proxy={elsewhere.origin}&properties=email")
        assert page.evaluate("document.body.dataset.state") == "known", console
        first = record["properties"]["firstname"]["value"]
        assert page.inner_text("#greeting") == f"Welcome back, {first}!"
        time.sleep(0.5)  # anything the page would still send
        assert elsewhere.requests == []  # the visitor's utk went nowhere else
        shown = page.eval_on_selector_all("#properties dt", "ts => ts.map(t => t.textContent)")
        assert "email" not in shown
    finally:
        elsewhere.close()


def test_requests_a_page_cannot_read_spend_no_lookup(
    page: Any,
    visitor: tuple[SandboxPortal, str, dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """``<img src>`` and ``fetch(..., {mode: "no-cors"})``, even from the allowed origin."""
    upstream, utk, _ = visitor
    fresh = upstream.sample_utks(40)[-1]  # asked by no test before: not in any cache
    client = HubSpotClient(
        upstream.access_token, base_url=upstream.base_url, cache=False, max_retries=0
    )
    attacker = StaticSite(utk)
    app = make_app(client, allow_origins=[attacker.origin], properties=ALLOWED)
    caplog.set_level(logging.INFO, logger="hubutk_pandas.proxy")
    try:
        with ProxyServer(app) as proxy:
            url = f"{proxy.url}/contacts/v1/contact/byUtk/batch/?utk={fresh}"
            attacker.pages["/spend.html"] = (NO_CORS_PAGE % {"url": repr(url)}).encode()
            upstream.reset_stats()
            page.goto(f"{attacker.origin}/spend.html")
            page.wait_for_function("document.body.dataset.state === 'done'", timeout=30_000)
            lookups = upstream.stats.requests
    finally:
        client.close()
        attacker.close()
    assert lookups == 0  # HubSpot was never asked
    access = [
        r.getMessage()
        for r in caplog.records
        if r.name == "hubutk_pandas.proxy" and "/byUtk/batch/" in r.getMessage()
    ]
    assert len(access) == 2, access  # the image and the fetch both reached the proxy...
    assert all(" 403 " in line and "cost=0" in line for line in access), access  # ...refused
