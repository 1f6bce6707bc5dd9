"""Load: honest browsers beside an attacker at its limit, for 10 s, the sandbox at a tight limit.

The sandbox allows 20 requests per 2 s, like a small portal, and the proxy's client is
paced to the same. Twelve honest browsers, each on its own loopback address, view a page
every 250 ms: mostly return visitors (answered from the cache), and a new visitor every
eighth view (a HubSpot call). One attacker sends requests of 100 fresh random utks as
fast as it can: every one would be a HubSpot call. The proxy's budget for the day is set
to 60 calls so that it runs out during the test.

Checked: the portal's use stays within the daily budget, HubSpot never answers 429; the
attacker gets no more calls than its own budget; the honest browsers' median latency
stays under a second; every request gets an answer (200, or 429 / 503 with
``Retry-After``), none is dropped; every 200 holds the utks asked for; no browser has
more requests admitted in a window than its limit.
"""

from __future__ import annotations

import secrets
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

pytestmark = [pytest.mark.slow, pytest.mark.system, pytest.mark.timeout(180)]

BY_UTK = "/contacts/v1/contact/byUtk/batch/"
HONEST = 12
DURATION = 10.0
VIEW_EVERY = 0.25
NEW_VISITOR_EVERY = 8
UPSTREAM_LIMIT = (20, 2.0)
CLIENT_RATE = (10, 2.0)
CLIENT_BUDGET = (10, 60.0)
DAILY_BUDGET = 60


@dataclass
class Browser:
    address: str
    attacker: bool
    utks: list[str]
    sent: list[tuple[float, float, int, str | None]] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


def _run(browser: Browser, wire: Wire, deadline: float) -> None:
    fresh = iter(browser.utks)
    seen: list[str] = []
    views = 0
    try:
        while time.monotonic() < deadline:
            if browser.attacker:
                asked = [secrets.token_hex(16) for _ in range(100)]
            else:
                if views % NEW_VISITOR_EVERY == 0:
                    seen.append(next(fresh))
                asked = [seen[views % len(seen)]]
                views += 1
            sent = time.monotonic()
            answer = wire.get(
                BY_UTK, {"utk": asked}, headers={"Origin": ORIGIN}, source=browser.address
            )
            received = time.monotonic()
            policy = None
            if answer.status == 200:
                body = answer.json()
                assert browser.attacker or sorted(body) == sorted(asked), "a utk was dropped"
            else:
                assert answer.status in (429, 503), answer.body
                assert int(answer.header("Retry-After") or 0) >= 1
                policy = answer.json().get("policyName")
            browser.sent.append((sent, received, answer.status, policy))
            if not browser.attacker:
                time.sleep(max(0.0, VIEW_EVERY - (received - sent)))
    except BaseException as exc:  # reported by the test, with the browser it happened to
        browser.errors.append(exc)


def _most_admitted_in_a_window(sent: list[tuple[float, float, int, str | None]]) -> int:
    """The most answers (not refused by the client's rate) inside one window of it.

    A request is admitted between its send and its receipt, so those counted here were
    all admitted inside ``[start, start + window)``: at most the limit may be.
    """
    ok = [(s, r) for s, r, status, _ in sent if status != 429]
    window = CLIENT_RATE[1]
    return max((sum(1 for s, r in ok if s >= s0 and r < s0 + window) for s0, _ in ok), default=0)


def test_an_attacker_at_its_limit_beside_honest_browsers(tmp_path: Path) -> None:
    limit_ms = (UPSTREAM_LIMIT[0], int(UPSTREAM_LIMIT[1] * 1000))
    with (
        SandboxPortal(contacts=5000, seed=21, rate_limit=limit_ms) as upstream,
        HubSpotClient(
            upstream.access_token,
            base_url=upstream.base_url,
            cache=tmp_path,
            rate_limit=UPSTREAM_LIMIT,
            max_retries=0,
        ) as client,
    ):
        app = make_app(
            client,
            allow_origins=[ORIGIN],
            properties=["firstname", "city"],
            client_rate=CLIENT_RATE,
            client_budget=CLIENT_BUDGET,
            daily_budget=DAILY_BUDGET,
        )
        pool = upstream.sample_utks(HONEST * 10)
        browsers = [
            Browser(f"127.0.0.{i + 2}", attacker=False, utks=pool[i * 10 : (i + 1) * 10])
            for i in range(HONEST)
        ]
        browsers.append(Browser("127.0.0.100", attacker=True, utks=[]))
        with ProxyServer(app) as server:
            wire = Wire(server.url)
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
    honest = [b for b in browsers if not b.attacker]
    attacker = browsers[-1]
    answers = [s for b in browsers for s in b.sent]
    assert len(answers) == len(wire.answers)  # every answer went to its browser
    upstream_statuses = dict(stats.by_status)
    assert set(upstream_statuses) == {200}, upstream_statuses  # never a 429 from HubSpot
    # The portal's use stays within the proxy's budget for the day, whoever asked.
    assert stats.requests <= DAILY_BUDGET
    # The attacker spends its own budget and no more: each of its 200s was a paid call.
    attacker_statuses = Counter(status for _, _, status, _ in attacker.sent)
    assert attacker_statuses[200] <= CLIENT_BUDGET[0]
    assert attacker_statuses[429] > 0
    # Honest browsers stay fast: cached return visits, new visitors within the budget.
    honest_latency = [r - s for b in honest for s, r, _, _ in b.sent]
    honest_ok_latency = [r - s for b in honest for s, r, status, _ in b.sent if status == 200]
    assert statistics.median(honest_latency) < 1.0
    assert statistics.median(honest_ok_latency) < 1.0
    honest_statuses = Counter(status for b in honest for _, _, status, _ in b.sent)
    assert set(honest_statuses) <= {200, 503}, honest_statuses  # never their own limit
    refused_why = Counter(p for b in honest for _, _, status, p in b.sent if status == 503)
    assert set(refused_why) <= {"PROXY_DAILY_BUDGET", "LOAD_SHEDDING"}, refused_why
    assert refused_why["PROXY_DAILY_BUDGET"] > 0  # the budget ran out during the test
    assert elapsed < DURATION + 5 * UPSTREAM_LIMIT[1], elapsed
    assert max(_most_admitted_in_a_window(b.sent) for b in browsers) <= CLIENT_RATE[0]
    for answer in wire.answers:
        assert_clean(answer, [upstream.access_token, upstream.api_key])
    statuses = Counter(status for _, _, status, _ in answers)
    print(
        f"\nproxy load: {HONEST} honest browsers and 1 attacker for {elapsed:.1f} s: "
        f"{len(answers)} requests ({dict(statuses)}); upstream {stats.requests} calls "
        f"(daily budget {DAILY_BUDGET}, 429s upstream: {upstream_statuses.get(429, 0)}); "
        f"attacker {sum(attacker_statuses.values())} requests, {attacker_statuses[200]} paid "
        f"(its budget {CLIENT_BUDGET[0]}); honest {sum(honest_statuses.values())} requests "
        f"({dict(honest_statuses)}), latency median {statistics.median(honest_latency):.3f} s, "
        f"median of 200s {statistics.median(honest_ok_latency):.3f} s, "
        f"max {max(honest_latency):.2f} s"
    )
