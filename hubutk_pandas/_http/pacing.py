"""The request pacer shared by the client's worker threads.

HubSpot's burst limit is a *rolling* window ("100 requests per 10 seconds",
``policyName: TEN_SECONDLY_ROLLING``). :class:`RateLimiter` keeps a sliding-window
log of our requests: a worker may send when fewer than ``max_requests`` are in flight or
were answered in the last ``interval`` seconds, which lets a lookup use the whole burst
and then run at the ceiling without earning 429s. Only requests
that go to the network take a slot; cache hits never call :meth:`RateLimiter.acquire`.

A slot counts from its answer's arrival (:meth:`RateLimiter.hold`): the portal counted
the request at some moment before it answered, so a slot reused a window after the
answer is reused more than a window after the portal's count, whatever the network
does, and ``margin`` can stay small (10 ms, for rounding). Dating slots earlier (the
answer less part of the fastest round trip) was tried: it earned 429s whenever the
machine was loaded, because one request's trip to the portal can be much shorter than
another's. Alone, that safe log costs a round trip per reuse of a slot: at 80 ms of
latency and 100 records per answer, several percent of the ceiling, and far more when
answers are slow. The portal's own count wins it back (*credit*, :meth:`RateLimiter.observe`):
an answer saying ``Remaining: R`` proves that R slots were free when the portal counted
that request; since then, only requests answered after it was sent, or still in flight,
can have been counted. So when ``R`` minus those is at least one, a request may go although
the log is full; that bound holds whatever the latency. (Requests of other processes
are not in it; the rule for a ``Remaining`` lower than ours, below, covers them.) Enough
workers to send a whole window at once do the rest (``HubSpotClient(max_workers=...)``).

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
and its in-memory bucket starts a background "leak" thread per limiter. The pacer
below has no thread of its own and is tested directly.

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
from typing import Any

__all__ = ["RateLimiter", "Slot", "rate_limit_headers"]

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


class Slot:
    """One request's booking in :meth:`RateLimiter.hold`: marks when its answer arrived.

    Examples
    --------
    >>> slot = Slot(lambda: 1.5)
    >>> slot.mark(); slot.mark()   # the first mark counts
    >>> slot.marked
    1.5
    """

    __slots__ = ("_clock", "marked")

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.marked: float | None = None

    def mark(self) -> None:
        """Note now as the answer's arrival (its headers); later calls change nothing."""
        if self.marked is None:
            self.marked = self._clock()

    def hook(self, response: Any, *args: Any, **kwargs: Any) -> Any:
        """A requests ``response`` hook: :meth:`mark`, before the body is read."""
        self.mark()
        return response


class RateLimiter:
    """A thread-safe sliding-window pacer (``max_requests`` per ``interval`` seconds).

    Parameters
    ----------
    max_requests
        Requests allowed per window (HubSpot: 100, or 190 on Professional).
    interval
        The window, in seconds (HubSpot: 10).
    margin
        Extra seconds a slot stays booked after its window (after the answer's arrival,
        see :meth:`hold`), for rounding and clock differences.
    clock, sleep
        Injected for tests; default :func:`time.monotonic`, and waiting on a condition
        that new answers wake up.

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
        margin: float = 0.01,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        if max_requests < 1 or interval <= 0:
            raise ValueError("max_requests must be >= 1 and interval > 0")
        self._max = int(max_requests)
        self._interval = float(interval)
        self._margin = margin
        self._clock = clock
        self._sleep = sleep
        self._log: deque[float] = deque()
        self._expired: deque[float] = deque()  # left the log in the last window
        self._blocked_until = 0.0
        self._cond = threading.Condition()
        # Credit from the portal's Remaining header (see the module docstring).
        self._answers: deque[float] = deque()  # arrival times of recent answers (sorted)
        self._in_flight = 0
        self._proof: tuple[float, int] | None = None  # (send time, Remaining) of an answer
        self._credit_ok = True  # off for good after a 429, or a booking never answered
        self._last_sent = threading.local()  # hold() -> observe(), in the same thread
        self.waited = 0.0
        """Total seconds workers spent waiting for a slot."""
        self.held = 0.0
        """Total seconds slots were held by requests in flight (booking to answer)."""
        self.booked_elsewhere = 0
        """Slots booked because the portal's ``Remaining`` was lower than our count."""

    @property
    def rate(self) -> tuple[int, float]:
        """The current ``(max_requests, interval_seconds)``."""
        return self._max, self._interval

    def _expire(self, now: float) -> None:
        horizon = now - self._interval - self._margin
        while self._log and self._log[0] <= horizon:
            self._expired.append(self._log.popleft())  # kept a while for observe()
        while self._expired and self._expired[0] <= horizon - self._interval:
            self._expired.popleft()

    def _delay(self, now: float) -> float:
        self._expire(now)
        held = max(0.0, self._blocked_until - now)
        used = len(self._log) + self._in_flight  # a request in flight never expires
        if used >= self._max and self.credit() < 1:
            expiring = used - self._max + 1  # answered slots that must expire first
            if expiring > len(self._log):
                return max(held, self._interval)  # until an answer arrives (it wakes us)
            oldest = self._log[expiring - 1]
            return max(held, oldest + self._interval + self._margin - now)
        return held

    def credit(self) -> int:
        """Slots the portal's last ``Remaining`` proves free now, whatever our log says.

        ``Remaining`` of an answer, less every request of ours that may have been counted
        after that one: those answered after it was sent, and those in flight.

        Examples
        --------
        >>> now = [0.0]
        >>> limiter = RateLimiter(2, 10.0, clock=lambda: now[0])
        >>> with limiter.hold():
        ...     now[0] = 0.3
        >>> limiter.observe({"X-HubSpot-RateLimit-Remaining": "5"})
        >>> limiter.credit()
        5
        """
        with self._cond:
            if self._proof is None or not self._credit_ok:
                return 0
            sent, remaining = self._proof
            while self._answers and self._answers[0] < sent:  # counted before that one
                self._answers.popleft()
            # Answered since that one was sent (itself among them), or still in flight.
            return remaining - (len(self._answers) - 1) - self._in_flight

    def acquire(self) -> float:
        """Block until a request may be sent, book its slot, return the seconds waited.

        A slot booked this way counts from now (it is never answered), and credit is off
        from then on: :meth:`hold` is what knows when the answer arrives.
        """
        with self._cond:
            self._credit_ok = False
        booked, waited = self._book()
        with self._cond:
            self._in_flight -= 1
            bisect.insort(self._log, booked)
        return waited

    def _book(self) -> tuple[float, float]:
        waited = 0.0
        with self._cond:
            while True:
                now = self._clock()
                delay = self._delay(now)
                if delay <= 0:
                    self._in_flight += 1
                    self.waited += waited
                    return now, waited
                step = min(delay, 0.5)
                if self._sleep is None:  # woken early by an answer that may bring credit
                    self._cond.wait(step)
                    waited += self._clock() - now
                else:  # an injected sleep (tests): outside the lock
                    self._cond.release()
                    try:
                        self._sleep(step)
                    finally:
                        self._cond.acquire()
                    waited += step

    @contextmanager
    def hold(self) -> Iterator[Slot]:
        """Book a slot for one request, held while it is in flight and a window after its answer.

        The portal counts a request when it *arrives*, somewhere between our send and
        its answer. Dating the slot at the send would free it in our log before the
        portal frees it in its own (by up to the round trip; a slow request could even
        leave our window before the portal counted it), and the next request could earn
        a 429; dating it at the answer's arrival keeps our window never shorter than the
        portal's, whatever the latency. Also on errors: a request that failed may still
        have been counted.

        The answer arrives when its status line and headers do: the portal counted the
        request before it began to answer. The :class:`Slot` yielded marks that moment
        (its :meth:`Slot.hook` is a requests ``response`` hook, which runs before the body
        is read); unmarked, the block's end stands for it.

        Examples
        --------
        >>> now = [0.0]
        >>> limiter = RateLimiter(1, 10.0, margin=0.0, clock=lambda: now[0])
        >>> with limiter.hold():
        ...     now[0] = 0.5          # the answer arrives half a second later
        >>> limiter._delay(now[0])  # the slot frees 10 s after the answer, not the send
        10.0
        >>> now[0] = 10.5             # a window later, the slot is free again
        >>> with limiter.hold() as slot:
        ...     now[0] = 11.0
        ...     slot.mark()           # the headers arrive ...
        ...     now[0] = 11.5         # ... the body has been read half a second later
        >>> limiter._delay(now[0])  # the slot frees 10 s after the headers
        9.5
        """
        booked, _ = self._book()
        slot = Slot(self._clock)
        try:
            yield slot
        finally:
            with self._cond:
                answered = self._clock() if slot.marked is None else slot.marked
                self.held += answered - booked
                bisect.insort(self._log, answered)
                self._in_flight -= 1
                self._answers.append(answered)
                self._last_sent.value = booked
                self._cond.notify_all()

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
            sent = getattr(self._last_sent, "value", None)
            self._last_sent.value = None
            if remaining is not None and sent is not None:
                if self._proof is None or sent >= self._proof[0]:
                    self._proof = (sent, remaining)  # the latest sent answered: the best proof
                self._cond.notify_all()
            if remaining is not None:
                now = self._clock()
                self._expire(now)
                # Ours that the portal may still have counted when it answered: the log,
                # those in flight, and those that left the log since that request was sent
                # (the portal counted it up to a round trip ago).
                since = now if sent is None else sent
                left = len(self._expired) - bisect.bisect_right(
                    self._expired, since - self._interval - self._margin
                )
                ours = self._max - len(self._log) - self._in_flight - left
                # Book slots the portal counts but we do not: used elsewhere (another
                # process on the same app). Booked for a tenth of the window; booked again
                # if it insists.
                phantom = now - self._interval + self._interval / 10
                for _ in range(max(0, ours - max(remaining, 0))):
                    bisect.insort(self._log, phantom)  # the log stays sorted
                    self.booked_elsewhere += 1

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
            self._credit_ok = False  # the portal disagreed with us: back to the log alone
            now = self._clock()
            self._expire(now)
            recent = [t for t in self._log if t > now - span]
            start = recent[0] if recent else now
            until = max(start + span + self._margin, now + span / 20)
            while len(self._log) + self._in_flight < self._max:
                bisect.insort(self._log, now)
            self._blocked_until = max(self._blocked_until, until)
            return self._blocked_until - now
