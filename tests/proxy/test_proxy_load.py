"""Load: 20 concurrent browsers for 10 s through one proxy, the sandbox at a tight limit.

The sandbox allows 20 requests per 2 s, like a small portal; the proxy's client is paced
to the same, and each browser may send 10 requests per 2 s. Ten "cold" browsers ask for
utks nobody asked for before (every request goes upstream and waits for the pacer); ten
"hot" browsers hammer the proxy every 50 ms for utks already cached (answered without
HubSpot, so they run into their own limit). Each browser has its own loopback address.

Checked: HubSpot never answers 429; every request gets an HTTP status (200 or 429 with
``Retry-After``), none is dropped; every 200 holds every utk asked for; no browser has
more than 10 requests admitted in any 2 s.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hubutk_pandas.client import HubSpotClient
from hubutk_pandas.proxy import ProxyServer, make_app
from hubutk_pandas.sandbox import SandboxPortal
from tests.proxy.conftest import ORIGIN, Wire, assert_clean

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

BY_UTK = "/contacts/v1/contact/byUtk/batch/"
BROWSERS = 20
DURATION = 10.0
UPSTREAM_LIMIT = (20, 2.0)
CLIENT_LIMIT = (10, 2.0)


@dataclass
class Browser:
    address: str
    hot: bool
    utks: list[str]
    sent: list[tuple[float, float, int, list[str]]] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


def _run(browser: Browser, wire: Wire, deadline: float) -> None:
    fresh = iter(range(0, len(browser.utks), 3))
    try:
        while time.monotonic() < deadline:
            if browser.hot:
                asked = browser.utks[:2]
            else:
                start = next(fresh)
                asked = browser.utks[start : start + 3]
            sent = time.monotonic()
            answer = wire.get(
                BY_UTK, {"utk": asked}, headers={"Origin": ORIGIN}, source=browser.address
            )
            received = time.monotonic()
            browser.sent.append((sent, received, answer.status, asked))
            if answer.status == 200:
                assert sorted(answer.json()) == sorted(asked), "a utk was dropped"
            else:
                assert answer.status == 429, answer.body
                assert int(answer.header("Retry-After") or 0) >= 1
            if browser.hot:
                time.sleep(0.05)
    except BaseException as exc:  # reported by the test, with the browser it happened to
        browser.errors.append(exc)


def _most_admitted_in_a_window(sent: list[tuple[float, float, int, list[str]]]) -> int:
    """The most 200s whose whole request lay inside one window of the client limit.

    A request is admitted between its send and its receipt, so those counted here were
    all admitted inside ``[start, start + window)``: at most the limit may be.
    """
    ok = [(s, r) for s, r, status, _ in sent if status == 200]
    window = CLIENT_LIMIT[1]
    return max((sum(1 for s, r in ok if s >= s0 and r < s0 + window) for s0, _ in ok), default=0)


def test_twenty_browsers_never_push_hubspot_over_its_limit(tmp_path: Path) -> None:
    limit_ms = (UPSTREAM_LIMIT[0], int(UPSTREAM_LIMIT[1] * 1000))
    with (
        SandboxPortal(contacts=5000, seed=21, rate_limit=limit_ms) as upstream,
        HubSpotClient(
            upstream.access_token,
            base_url=upstream.base_url,
            cache=tmp_path,
            rate_limit=UPSTREAM_LIMIT,
        ) as client,
    ):
        app = make_app(
            client,
            allow_origins=[ORIGIN],
            properties=["firstname", "city"],
            client_rate=CLIENT_LIMIT,
        )
        pool = upstream.sample_utks(1500)
        browsers = [
            Browser(f"127.0.0.{i + 2}", hot=i % 2 == 0, utks=pool[i * 75 : (i + 1) * 75])
            for i in range(BROWSERS)
        ]
        with ProxyServer(app, threads=BROWSERS + 4) as server:
            wire = Wire(server.url)
            for b in browsers:  # warm the cache of the hot ones (not counted: reset below)
                if b.hot:
                    assert wire.get(BY_UTK, {"utk": b.utks[:2]}).status == 200
            wire.answers.clear()
            upstream.reset_stats()
            time.sleep(UPSTREAM_LIMIT[1])  # start from a fresh window
            started = time.monotonic()
            threads = [
                threading.Thread(target=_run, args=(b, wire, started + DURATION)) for b in browsers
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=120)
            elapsed = time.monotonic() - started
            assert not any(t.is_alive() for t in threads), "a browser still waits for an answer"
        stats = upstream.stats

    for b in browsers:
        assert not b.errors, (b.address, b.errors)
    statuses = Counter(status for b in browsers for _, _, status, _ in b.sent)
    upstream_statuses = dict(stats.by_status)
    assert upstream_statuses.get(429, 0) == 0, upstream_statuses
    assert set(upstream_statuses) == {200}
    assert sum(statuses.values()) == len(wire.answers)  # every answer went to its browser
    # Bounded: the last request sent before the deadline is answered within a few windows.
    assert elapsed < DURATION + 5 * UPSTREAM_LIMIT[1], elapsed
    assert set(statuses) <= {200, 429}
    worst = max(_most_admitted_in_a_window(b.sent) for b in browsers)
    assert worst <= CLIENT_LIMIT[0]
    hot = [b for b in browsers if b.hot]
    assert all(any(status == 429 for _, _, status, _ in b.sent) for b in hot)
    cold_ok = sum(1 for b in browsers if not b.hot for _, _, s, _ in b.sent if s == 200)
    upstream_rate = stats.requests / elapsed
    # The pacer may not exceed the portal's limit: 20 per 2 s, plus the first window.
    assert stats.requests <= UPSTREAM_LIMIT[0] * (elapsed / UPSTREAM_LIMIT[1] + 1)
    assert cold_ok >= stats.requests - BROWSERS  # upstream answers all reached a browser
    for answer in wire.answers:
        assert_clean(answer, [upstream.access_token, upstream.api_key])
    cold_latency = [r - s for b in browsers if not b.hot for s, r, st, _ in b.sent if st == 200]
    print(
        f"\nproxy load: {BROWSERS} browsers, {elapsed:.1f} s: {sum(statuses.values())} requests "
        f"({statuses[200]} x 200, {statuses[429]} x 429 from the per-browser limit); "
        f"upstream {stats.requests} requests = {upstream_rate:.2f}/s against a limit of "
        f"{UPSTREAM_LIMIT[0] / UPSTREAM_LIMIT[1]:.0f}/s, 429s upstream: "
        f"{upstream_statuses.get(429, 0)}; most admitted for one browser in "
        f"{CLIENT_LIMIT[1]:g} s: {worst} (limit {CLIENT_LIMIT[0]}); cold lookups "
        f"{cold_ok}, latency median {statistics.median(cold_latency):.2f} s, "
        f"max {max(cold_latency):.2f} s"
    )
