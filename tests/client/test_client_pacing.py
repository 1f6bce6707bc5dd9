"""The shared pacer: rolling window, header adaptation, 429 holds (a fake clock; no sleeping)."""

from __future__ import annotations

import threading

from hubutk_pandas._http.pacing import RateLimiter, rate_limit_headers


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


def test_a_429_holds_every_worker_until_the_window_has_room() -> None:
    pacer, fake = limiter(10, 1.0)
    fake.now = 5.0
    held = pacer.penalize(1.0)  # nothing sent recently: a whole window
    assert held == 1.0
    pacer.acquire()
    assert fake.now >= 6.0


def test_threads_share_one_window() -> None:
    pacer = RateLimiter(20, 0.2, margin=0.0)
    starts: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(10):
            pacer.acquire()
            import time

            with lock:
                starts.append(time.monotonic())

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    starts.sort()
    assert len(starts) == 40
    assert all(sum(1 for t in starts if s <= t < s + 0.2 - 1e-3) <= 20 for s in starts)
    assert starts[-1] - starts[0] >= 0.2  # the second burst had to wait
