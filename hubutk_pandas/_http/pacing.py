"""The request pacer shared by the client's worker threads.

HubSpot's burst limit is a *rolling* window ("100 requests per 10 seconds",
``policyName: TEN_SECONDLY_ROLLING``). :class:`RateLimiter` keeps a sliding-window
log of when each request left: a worker may send when fewer than ``max_requests``
requests left in the last ``interval`` seconds, which lets a lookup use the whole
burst and then run exactly at the ceiling without earning 429s. Only requests
that go to the network take a slot; cache hits never call :meth:`RateLimiter.acquire`.

It adapts at run time to what the portal says:

* ``X-HubSpot-RateLimit-Max`` / ``-Interval-Milliseconds`` replace the configured
  rate (header names are compared case-insensitively);
* ``X-HubSpot-RateLimit-Remaining`` lower than our own count (another process using
  the same app, say) books the difference as used;
* a 429 (:meth:`RateLimiter.penalize`) marks the window as full and holds every
  worker until the window has room again.

Why not a rate-limiting library such as pyrate-limiter? Its rates are fixed when a bucket is
built, so following the headers would mean swapping buckets under running workers;
it cannot book slots reported as used elsewhere or hold all workers after a 429;
and its in-memory bucket starts a background "leak" thread per limiter. The log
below is about 100 lines, has no thread of its own, and is tested directly.

Examples
--------
>>> limiter = RateLimiter(2, 1.0)
>>> limiter.acquire(); limiter.acquire()   # the burst: no wait
0.0
0.0
>>> limiter.rate
(2, 1.0)
"""

from __future__ import annotations

import bisect
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

__all__ = ["RateLimiter", "rate_limit_headers"]

logger = logging.getLogger(__name__)

_HEADER_PREFIX = "x-hubspot-ratelimit-"


def rate_limit_headers(headers: Mapping[str, str]) -> dict[str, int]:
    """Pick HubSpot's rate-limit headers, names lower-cased and without the prefix.

    Examples
    --------
    >>> rate_limit_headers({"X-Hubspot-RateLimit-Max": "100", "Content-Type": "x"})
    {'max': 100}
    """
    found: dict[str, int] = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower.startswith(_HEADER_PREFIX):
            try:
                found[lower[len(_HEADER_PREFIX) :]] = int(str(value).strip())
            except ValueError:
                continue
    return found


class RateLimiter:
    """A thread-safe sliding-window pacer (``max_requests`` per ``interval`` seconds).

    Parameters
    ----------
    max_requests
        Requests allowed per window (HubSpot: 100, or 190 on Professional).
    interval
        The window, in seconds (HubSpot: 10).
    margin
        Extra seconds a slot stays booked after its window, to absorb the difference
        between when we send and when the portal counts.
    clock, sleep
        Injected for tests; default :func:`time.monotonic` and :func:`time.sleep`.

    Examples
    --------
    >>> RateLimiter(190, 10.0).rate
    (190, 10.0)
    """

    def __init__(
        self,
        max_requests: int,
        interval: float,
        *,
        margin: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_requests < 1 or interval <= 0:
            raise ValueError("max_requests must be >= 1 and interval > 0")
        self._max = int(max_requests)
        self._interval = float(interval)
        self._margin = margin
        self._clock = clock
        self._sleep = sleep
        self._log: deque[float] = deque()
        self._blocked_until = 0.0
        self._cond = threading.Condition()
        self.waited = 0.0
        """Total seconds workers spent waiting for a slot."""

    @property
    def rate(self) -> tuple[int, float]:
        """The current ``(max_requests, interval_seconds)``."""
        return self._max, self._interval

    def _expire(self, now: float) -> None:
        horizon = now - self._interval - self._margin
        while self._log and self._log[0] <= horizon:
            self._log.popleft()

    def _delay(self, now: float) -> float:
        self._expire(now)
        delay = max(0.0, self._blocked_until - now)
        if len(self._log) >= self._max:
            # The slot of the (len - max + 1)-th oldest entry frees first.
            oldest = self._log[len(self._log) - self._max]
            delay = max(delay, oldest + self._interval + self._margin - now)
        return delay

    def acquire(self) -> float:
        """Block until a request may be sent, book its slot, return the seconds waited."""
        return self._book()[1]

    def _book(self) -> tuple[float, float]:
        waited = 0.0
        while True:
            with self._cond:
                now = self._clock()
                delay = self._delay(now)
                if delay <= 0:
                    self._log.append(now)
                    self.waited += waited
                    return now, waited
            # Sleep outside the lock; re-check afterwards (others may have booked).
            step = min(delay, 0.5)
            self._sleep(step)
            waited += step

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Book a slot for one request, held until a full window after its answer arrived.

        The portal counts a request when it *arrives*, somewhere between our send and
        its answer. Booking the slot at the send time would free it in our log before
        the portal frees it in its own (by up to the network latency), and the next
        request could earn a 429; re-dating the slot to the answer's arrival keeps our
        window never shorter than the portal's, whatever the latency. Also on errors:
        a request that failed may still have been counted.

        Examples
        --------
        >>> now = [0.0]
        >>> limiter = RateLimiter(1, 10.0, margin=0.0, clock=lambda: now[0])
        >>> with limiter.hold():
        ...     now[0] = 0.5          # the answer arrives half a second later
        >>> limiter._delay(now[0])  # the slot frees 10 s after the answer, not the send
        10.0
        """
        booked, _ = self._book()
        try:
            yield
        finally:
            with self._cond:
                answered = self._clock()
                index = bisect.bisect_left(self._log, booked)
                if index < len(self._log) and self._log[index] == booked:
                    del self._log[index]
                bisect.insort(self._log, answered)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Adapt to ``X-HubSpot-RateLimit-*`` headers of a network answer."""
        info = rate_limit_headers(headers)
        if not info:
            return
        with self._cond:
            new_max = info.get("max", self._max)
            interval_ms = info.get("interval-milliseconds")
            new_interval = interval_ms / 1000.0 if interval_ms and interval_ms > 0 else None
            if new_max >= 1 and new_max != self._max:
                logger.debug("rate limit max %d -> %d (from headers)", self._max, new_max)
                self._max = new_max
            if new_interval is not None and new_interval != self._interval:
                logger.debug("rate limit window %.3gs -> %.3gs", self._interval, new_interval)
                self._interval = new_interval
            remaining = info.get("remaining")
            if remaining is not None:
                now = self._clock()
                self._expire(now)
                ours = self._max - len(self._log)
                # Book slots the portal counts but we do not: used elsewhere, or ours that
                # the portal counted a little later than we sent them (latency), which it
                # frees soon. Booked for a tenth of the window; booked again if it insists.
                phantom = now - self._interval + self._interval / 10
                for _ in range(max(0, ours - max(remaining, 0))):
                    bisect.insort(self._log, phantom)  # the log stays sorted

    def penalize(self, window: float | None = None) -> float:
        """Record a 429: treat the window as full and hold every worker until it has room.

        Parameters
        ----------
        window
            The policy's window in seconds (from ``X-HubSpot-RateLimit-Interval-Milliseconds``,
            else from the policy name); default the limiter's own interval. Workers are held
            until ``window`` seconds after the oldest request still inside it (a full window
            when we sent nothing recently: someone else spent the quota), and at least
            ``window / 20``.

        Returns
        -------
        float
            Seconds from now until requests may flow again.

        Examples
        --------
        >>> now = [0.0]
        >>> limiter = RateLimiter(10, 1.0, margin=0.0, clock=lambda: now[0])
        >>> limiter.penalize()
        1.0
        """
        span = float(window) if window and window > 0 else self._interval
        with self._cond:
            now = self._clock()
            self._expire(now)
            recent = [t for t in self._log if t > now - span]
            start = recent[0] if recent else now
            until = max(start + span + self._margin, now + span / 20)
            while len(self._log) < self._max:
                self._log.append(now)
            self._blocked_until = max(self._blocked_until, until)
            return self._blocked_until - now
