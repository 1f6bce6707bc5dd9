"""The shared pacer: rolling window, slot dating, header adaptation, 429 holds (a fake clock).

The last test drives it against the sandbox's own rolling window over real HTTP: no 429s."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from hubutk_pandas._http.pacing import RateLimiter, rate_limit_headers
from hubutk_pandas.client import HubSpotClient
from hubutk_pandas.sandbox import SandboxPortal


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def limiter(max_requests: int = 3, interval: float = 1.0) -> tuple[RateLimiter, FakeTime]:
    fake = FakeTime()
    return RateLimiter(max_requests, interval, margin=0.0, clock=fake.clock, sleep=fake.sleep), fake


def test_burst_then_one_slot_per_expiry() -> None:
    pacer, fake = limiter(3, 1.0)
    starts = []
    for _ in range(7):
        pacer.acquire()
        starts.append(round(fake.now, 6))
    # 3 at once, then each waits for the slot of the request 3 places before it.
    assert starts == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 2.0]
    # No window of 1 s ever holds more than 3 starts.
    assert all(sum(1 for t in starts if s <= t < s + 1.0) <= 3 for s in starts)


def test_headers_are_read_case_insensitively_and_adapt_the_rate() -> None:
    assert rate_limit_headers(
        {"x-hubspot-ratelimit-max": "190", "X-HUBSPOT-RATELIMIT-REMAINING": "5"}
    ) == {
        "max": 190,
        "remaining": 5,
    }
    pacer, _ = limiter(100, 10.0)
    pacer.observe(
        {"X-Hubspot-Ratelimit-Max": "20", "x-hubspot-ratelimit-interval-milliseconds": "1000"}
    )
    assert pacer.rate == (20, 1.0)


def test_remaining_lower_than_ours_books_the_difference() -> None:
    pacer, fake = limiter(5, 1.0)
    pacer.acquire()
    pacer.observe({"X-HubSpot-RateLimit-Remaining": "0"})  # someone else used the rest
    pacer.acquire()  # held for a tenth of the window, then booked only if the portal insists
    assert fake.now >= 0.099
    assert fake.now < 1.0


def test_remaining_from_a_round_trip_ago_books_nothing_for_slots_freed_since() -> None:
    pacer, fake = limiter(2, 1.0)
    with pacer.hold():
        fake.now = 0.1
    with pacer.hold():
        fake.now = 0.2
    with pacer.hold():  # sent at 1.1 (a window after the first answer); a slow answer
        sent = fake.now
        fake.now = 1.6
    assert sent == pytest.approx(1.1)
    # The portal counted it at about 1.15, when the second request still filled its
    # window: Remaining 0. Our log freed that slot at 1.2: nobody else used it.
    pacer.observe({"X-HubSpot-RateLimit-Remaining": "0"})
    assert pacer.booked_elsewhere == 0
    with pacer.hold():
        assert fake.now == pytest.approx(1.6)


def test_a_429_holds_every_worker_until_the_window_has_room() -> None:
    pacer, fake = limiter(10, 1.0)
    fake.now = 5.0
    held = pacer.penalize(1.0)  # nothing sent recently: a whole window
    assert held == 1.0
    pacer.acquire()
    assert fake.now >= 6.0


def test_threads_share_one_window() -> None:
    pacer = RateLimiter(20, 0.2, margin=0.0)
    spans: list[tuple[float, float]] = []  # (called, returned) of each acquire
    lock = threading.Lock()

    def work() -> None:
        for _ in range(10):
            called = time.monotonic()
            pacer.acquire()
            returned = time.monotonic()
            with lock:
                spans.append((called, returned))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(spans) == 40
    # Each slot was granted between its call and its return, whenever the thread ran next:
    # no 0.2 s holds 21 of those spans whole. (A thread's clock read after the return could
    # come a scheduler's slice late, and a loaded machine failed the test that way.)
    assert all(sum(1 for c, r in spans if s <= c and r < s + 0.2 - 1e-3) <= 20 for s, _ in spans)
    assert max(r for _, r in spans) - min(c for c, _ in spans) >= 0.2  # the second 20 waited


def test_a_slot_counts_from_its_answers_arrival() -> None:
    pacer, fake = limiter(1, 10.0)
    with pacer.hold():
        fake.now = 0.4  # the portal counted it somewhere in (0, 0.4]
    with pacer.hold():  # reused a window after the answer: after the portal's count, surely
        sent = fake.now
        fake.now += 0.1
    assert sent == pytest.approx(10.4)
    pacer.acquire()
    assert fake.now == pytest.approx(20.5)


def test_a_failed_request_keeps_its_slot() -> None:
    pacer, fake = limiter(1, 10.0)
    with pytest.raises(ConnectionError), pacer.hold():
        fake.now = 0.3
        raise ConnectionError("the portal may have counted it")
    pacer.acquire()
    assert fake.now == pytest.approx(10.3)


def test_a_request_in_flight_keeps_its_slot_past_the_window() -> None:
    pacer, fake = limiter(1, 1.0)
    with pacer.hold():
        fake.now = 3.0  # a slow answer: the portal may have counted it at 2.9
    with pacer.hold():
        assert fake.now == pytest.approx(4.0)  # a window after the answer, not the send


def _two_answers() -> tuple[RateLimiter, FakeTime]:
    pacer, fake = limiter(2, 10.0)
    with pacer.hold():
        fake.now = 0.1
    with pacer.hold():
        fake.now = 0.2
    return pacer, fake  # the log is full until 10.1


def test_the_portals_remaining_lets_a_request_go_before_the_log_frees() -> None:
    pacer, fake = _two_answers()
    pacer.observe({"X-HubSpot-RateLimit-Remaining": "3"})  # at the second one's count
    # 3 free then, less the answer that came after it was sent (the first one's, at its
    # send time: counted, to be safe): 2 proven free now.
    assert pacer.credit() == 2
    with pacer.hold():
        assert fake.now == pytest.approx(0.2)  # no wait
        assert pacer.credit() == 1  # in flight: it may have been counted
    with pacer.hold():
        assert fake.now == pytest.approx(0.2)
    with pacer.hold():  # credit spent: back to the log (the first answer's slot, 10.1)
        assert fake.now >= 10.1


def test_no_credit_when_the_portal_proves_nothing_free_or_after_a_429() -> None:
    pacer, _ = _two_answers()
    pacer.observe({"X-HubSpot-RateLimit-Remaining": "1"})  # the last free slot was that one
    assert pacer.credit() == 0
    pacer, _ = _two_answers()
    pacer.observe({"X-HubSpot-RateLimit-Remaining": "50"})
    pacer.penalize(10.0)  # the portal disagreed with us: the log alone from now on
    assert pacer.credit() == 0


@pytest.mark.slow
@pytest.mark.system
def test_many_workers_at_the_ceiling_earn_no_429() -> None:
    # A window of 10 per 0.5 s, 30 ms of latency, 12 workers (more than a window): about
    # 85 requests, every slot reused several times at the ceiling. (Slots dated before
    # their answers' arrival earned 429s here on a loaded machine.)
    with SandboxPortal(contacts=5000, rate_limit=(10, 500), latency=0.03) as portal:
        utks = portal.sample_utks(3000)
        with HubSpotClient(
            portal.access_token,
            base_url=portal.base_url,
            cache=False,
            rate_limit=(10, 0.5),
            max_workers=12,
            max_url_length=1500,  # about 25 utks per request
        ) as client:
            result = client.lookup_utks(utks, progress=False)
            assert client._http._limiter.waited > 0  # the workers did wait for slots
        assert len(result.contacts) == len(utks)
        assert portal.stats.requests >= 70
        assert portal.stats.by_status[429] == 0, portal.stats.by_status


def test_a_slot_counts_from_the_answers_headers_not_the_end_of_its_body() -> None:
    """A portal that answers at once but sends a slow body (real HTTP on loopback)."""
    import time
    from collections.abc import Iterator

    from werkzeug.serving import make_server

    from hubutk_pandas._http.session import make_session
    from hubutk_pandas._http.transport import RetryPolicy, get_json

    def slow_body(environ: dict[str, object], start_response: object) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "application/json")])  # type: ignore[operator]
        yield b'{"a": '
        time.sleep(0.8)
        yield b"1}"

    server = make_server("127.0.0.1", 0, slow_body, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    pacer = RateLimiter(1, 5.0, margin=0.0)
    try:
        with make_session(cache_dir=None, namespace="x", expire_after=None, user_agent="t") as s:
            sent = time.monotonic()
            data = get_json(
                s,
                f"http://127.0.0.1:{server.server_port}/x",
                [],
                headers={},
                limiter=pacer,
                policy=RetryPolicy(),
                secrets_=[],
            )
            done = time.monotonic()
    finally:
        server.shutdown()
    assert data == {"a": 1}
    assert done - sent >= 0.8
    # The slot frees a window after the headers (at once), not after the body (0.8 s on).
    frees_in = pacer._delay(time.monotonic())
    assert frees_in <= 5.0 - 0.6, frees_in
    assert frees_in >= 5.0 - (time.monotonic() - sent) - 0.01, frees_in


class _SlowStore:
    """A window in memory whose decisions can be made to wait (a shared store, busy)."""

    kind, location, shared = "client", "memory", False

    def __init__(self) -> None:
        from hubutk_pandas._http.window import MemoryWindow

        self._inner = MemoryWindow((100, 10.0), clock=time.monotonic)
        self.runs = 0
        self.hold_next = threading.Event()
        self.entered = threading.Event()
        self.release = threading.Event()

    def run(self, decide: Any) -> Any:
        self.runs += 1
        if self.hold_next.is_set():
            self.hold_next.clear()
            self.entered.set()
            assert self.release.wait(30)
        return self._inner.run(decide)

    def close(self) -> None:
        pass


def test_answers_arriving_during_a_decision_wait_for_none_and_are_applied_together() -> None:
    """A burst of answers on a busy window: each worker goes on at once, and the thread
    deciding applies them all in one more decision, with their headers, losing none."""
    from contextlib import ExitStack

    store = _SlowStore()
    pacer = RateLimiter(100, 10.0, window=store)
    with ExitStack() as stack:
        for _ in range(5):
            stack.enter_context(pacer.hold())
        assert pacer.usage()["in_flight"] == 5
        store.hold_next.set()
        busy = threading.Thread(target=pacer.usage)  # a decision, kept waiting
        busy.start()
        assert store.entered.wait(30)
        runs = store.runs
        started = time.monotonic()
    # the five answers are posted while the other thread decides: nobody waits for it
    for remaining in (95, 94):
        pacer.observe({"X-HubSpot-RateLimit-Remaining": str(remaining)})
    assert time.monotonic() - started < 5
    assert store.runs == runs  # nothing decided yet
    store.release.set()
    busy.join(30)
    assert store.runs == runs + 1  # all seven in one decision, by the thread that was busy
    usage = pacer.usage()
    assert usage["in_flight"] == 0 and usage["ours"] == 5  # every answer counted
    assert pacer.credit() > 0  # and the headers too


def test_a_bug_in_a_decision_surfaces_as_itself_and_later_answers_still_count() -> None:
    store = _SlowStore()
    pacer = RateLimiter(100, 10.0, window=store)
    with pacer.hold():
        pass

    def broken(state: object, now: float, alive: object) -> int:
        raise ZeroDivisionError("a bug in a decision")

    pacer._pending.append(broken)  # as if an answer's decision had a bug
    with pytest.raises(ZeroDivisionError, match="a bug"):
        pacer.usage()
    with pacer.hold():
        pass
    assert pacer.usage()["ours"] == 2
