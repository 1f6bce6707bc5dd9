"""Rate limits (headers, both 429 policies), latency and each fault kind as `requests` sees it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
import requests

from hubutk_pandas.sandbox import SandboxPortal

from .helpers import BY_UTK, PROPERTIES, RATE_HEADERS, get


@pytest.fixture
def small() -> Iterator[SandboxPortal]:
    with SandboxPortal(contacts=200, seed=5, rate_limit=(1000, 10_000)) as p:
        yield p


def test_rate_headers_on_every_authenticated_answer(small: SandboxPortal) -> None:
    answers = [
        get(small, BY_UTK, {"utk": small.sample_utks(2)}),
        get(small, BY_UTK, {}),  # 400
        get(small, "/nowhere"),  # 404
        get(small, PROPERTIES),
    ]
    small.inject("503")
    answers.append(get(small, BY_UTK, {"utk": small.sample_utks(1)}))
    remaining = []
    for resp in answers:
        assert all(h in resp.headers for h in RATE_HEADERS), resp.status_code
        assert resp.headers["X-HubSpot-RateLimit-Max"] == "1000"
        assert resp.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
        remaining.append(int(resp.headers["X-HubSpot-RateLimit-Remaining"]))
    assert remaining == [999, 998, 997, 996, 995]


def test_ten_secondly_429_then_recovery() -> None:
    with SandboxPortal(contacts=50, seed=2, rate_limit=(3, 400)) as p:
        utk = p.sample_utks(1)
        codes = [get(p, BY_UTK, {"utk": utk}).status_code for _ in range(3)]
        resp = get(p, BY_UTK, {"utk": utk})
        assert codes == [200, 200, 200] and resp.status_code == 429
        body = resp.json()
        assert body["message"] == "You have reached your ten_secondly_rolling limit."
        assert body["errorType"] == "RATE_LIMIT" and body["policyName"] == "TEN_SECONDLY_ROLLING"
        assert body["groupName"] and body["correlationId"]
        assert resp.headers["X-HubSpot-RateLimit-Remaining"] == "0"
        assert all(h in resp.headers for h in RATE_HEADERS)
        time.sleep(0.45)  # rejected requests do not count: one interval later it recovers
        assert get(p, BY_UTK, {"utk": utk}).status_code == 200


def test_daily_429() -> None:
    with SandboxPortal(contacts=50, seed=2, daily_limit=2) as p:
        utk = p.sample_utks(1)
        first = get(p, BY_UTK, {"utk": utk})
        assert first.headers["X-HubSpot-RateLimit-Daily"] == "2"
        assert first.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "1"
        assert get(p, BY_UTK, {"utk": utk}).status_code == 200
        resp = get(p, BY_UTK, {"utk": utk})
        assert resp.status_code == 429
        body = resp.json()
        assert body["message"] == "You have reached your daily limit."
        assert body["policyName"] == "DAILY" and body["errorType"] == "RATE_LIMIT"
        assert resp.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "0"
        p.configure(daily_limit=None)
        assert get(p, BY_UTK, {"utk": utk}).status_code == 200


def test_limits_are_per_account() -> None:
    with SandboxPortal(contacts=50, seed=2, rate_limit=(2, 10_000)) as p:
        other = p.add_account(seed=9, contacts=50)
        for _ in range(2):
            get(p, PROPERTIES)
        assert get(p, PROPERTIES).status_code == 429
        assert get(p, PROPERTIES, token=other.access_token).status_code == 200


@pytest.mark.parametrize(
    ("kind", "policy"), [("429", "TEN_SECONDLY_ROLLING"), ("429-daily", "DAILY")]
)
def test_injected_429(small: SandboxPortal, kind: str, policy: str) -> None:
    small.inject(kind)
    resp = get(small, BY_UTK, {"utk": small.sample_utks(1)})
    assert resp.status_code == 429 and resp.json()["policyName"] == policy
    assert get(small, BY_UTK, {"utk": small.sample_utks(1)}).status_code == 200


def test_fault_502_is_html(small: SandboxPortal) -> None:
    small.inject("502")
    resp = get(small, BY_UTK, {"utk": small.sample_utks(1)})
    assert resp.status_code == 502 and resp.headers["Content-Type"].startswith("text/html")
    with pytest.raises(requests.exceptions.JSONDecodeError):
        resp.json()


def test_fault_503(small: SandboxPortal) -> None:
    small.inject("503", count=2)
    codes = [get(small, BY_UTK, {"utk": small.sample_utks(1)}).status_code for _ in range(3)]
    assert codes == [503, 503, 200]


def test_fault_drop(small: SandboxPortal) -> None:
    small.inject("drop")
    with pytest.raises(requests.exceptions.ConnectionError):
        get(small, BY_UTK, {"utk": small.sample_utks(1)})
    assert get(small, BY_UTK, {"utk": small.sample_utks(1)}).status_code == 200


def test_fault_truncate(small: SandboxPortal) -> None:
    small.inject("truncate")
    start = time.monotonic()
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        get(small, BY_UTK, {"utk": small.sample_utks(3)})
    assert time.monotonic() - start < 5  # an error, not a hang


def test_fault_badjson(small: SandboxPortal) -> None:
    small.inject("badjson")
    resp = get(small, BY_UTK, {"utk": small.sample_utks(3)})
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        resp.json()


def test_faults_skip_property_definitions(small: SandboxPortal) -> None:
    small.inject("503")
    assert get(small, PROPERTIES).status_code == 200
    assert get(small, BY_UTK, {"utk": small.sample_utks(1)}).status_code == 503
    assert small.stats.faults["503"] == 1


def _fault_sequence(seed: int) -> list[int | str]:
    out: list[int | str] = []
    with SandboxPortal(contacts=50, seed=seed, fault_rate=0.5, faults=["502", "503"]) as p:
        for _ in range(12):
            out.append(get(p, BY_UTK, {"utk": p.sample_utks(1)}).status_code)
    return out


def test_random_faults_are_reproducible() -> None:
    seq = _fault_sequence(11)
    assert seq == _fault_sequence(11)
    assert {200, 502, 503} <= set(seq)


def test_latency_and_configure(small: SandboxPortal) -> None:
    small.configure(latency=0.2)
    start = time.monotonic()
    get(small, PROPERTIES)
    assert time.monotonic() - start >= 0.2
    small.configure(latency=(0.0, 0.01), fault_rate=1.0, faults=["503"])
    assert get(small, BY_UTK, {"utk": small.sample_utks(1)}).status_code == 503
    small.configure(fault_rate=0.0, latency=0.0)
    assert get(small, BY_UTK, {"utk": small.sample_utks(1)}).status_code == 200


@pytest.mark.parametrize(
    "bad", [{"fault_rate": 2.0}, {"faults": ["boom"]}, {"latency": -1.0}, {"rate_limit": (0, 10)}]
)
def test_configure_rejects_bad_values(small: SandboxPortal, bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        small.configure(**bad)  # type: ignore[arg-type]


def test_inject_rejects_unknown_kind(small: SandboxPortal) -> None:
    with pytest.raises(ValueError, match="429-daily"):
        small.inject("teapot")


def test_a_request_in_flight_is_counted_when_answered_and_wait_idle_waits_for_it() -> None:
    import threading

    with SandboxPortal(contacts=20, seed=5, latency=0.6) as slow:
        answered: list[int] = []
        thread = threading.Thread(
            target=lambda: answered.append(
                get(slow, BY_UTK, {"utk": slow.sample_utks(1)}).status_code
            )
        )
        thread.start()
        deadline = time.monotonic() + 5
        while not slow.stats.in_flight:
            assert time.monotonic() < deadline, "the request never arrived"
            time.sleep(0.005)
        slow.reset_stats()  # as a test does after killing a client: the request still counts
        assert slow.stats.requests == 0 and slow.stats.in_flight == 1
        slow.wait_idle(settle=0.05)
        assert slow.stats.in_flight == 0
        assert slow.stats.requests == 1  # counted after the reset, so wait before resetting
        thread.join(5)
        assert answered == [200]
        with pytest.raises(TimeoutError, match="still answering"):
            threading.Thread(target=get, args=(slow, BY_UTK, {"utk": slow.sample_utks(1)})).start()
            while not slow.stats.in_flight:
                time.sleep(0.005)
            slow.wait_idle(timeout=0.1)


def test_wait_idle_returns_only_after_seeing_nothing_in_flight() -> None:
    """Even when a settle time is shorter than its polling step (or the machine is busy)."""
    import threading

    with SandboxPortal(contacts=20, seed=5, latency=0.4) as slow:
        thread = threading.Thread(target=get, args=(slow, BY_UTK, {"utk": slow.sample_utks(1)}))
        thread.start()
        deadline = time.monotonic() + 5
        while not slow.stats.in_flight:
            assert time.monotonic() < deadline, "the request never arrived"
            time.sleep(0.005)
        slow.wait_idle(settle=0.001)
        assert slow.stats.in_flight == 0 and slow.stats.requests == 1
        thread.join(5)
