"""The request pacer shared by the client's worker threads, and by other processes.

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
the log is full; that bound holds whatever the latency. (Requests of other processes on
the same shared window are in it; another app's are not: the rule for a ``Remaining``
lower than ours, below, covers them.) Enough
workers to send a whole window at once do the rest (``HubSpotClient(max_workers=...)``).

It adapts at run time to what the portal says:

* ``X-HubSpot-RateLimit-Max`` / ``-Interval-Milliseconds`` replace the configured
  rate (header names are compared case-insensitively);
* ``X-HubSpot-RateLimit-Remaining`` lower than our own count (another app on the same
  credential, say) books the difference as used;
* a 429 (:meth:`RateLimiter.penalize`) marks the window as full and holds every
  worker (of every process on the window) until the window has room again.

One window per credential. HubSpot's burst limit is per app, that is per credential, so
every process using a credential must spend one window: the log lives in a *store*
(:mod:`~hubutk_pandas._http.window`), by default a SQLite file beside the cache shared by
every process of this machine (:mod:`~hubutk_pandas._http.shared_window`), optionally a
Redis server shared across machines (:mod:`~hubutk_pandas._http.redis_window`), or this
client's memory alone. The rules are the same for all three
(:class:`~hubutk_pandas._http.window.WindowState`); a pacer on a shared store polls it while
it waits (other processes' answers cannot wake it), one thread per pacer at a time.
A pacer takes one decision at a time; answers that arrive meanwhile (and their headers)
are applied together by the thread deciding, so a burst of answers costs a shared window a
few writes rather than two each, and no worker waits on the window to hand an answer in.

Why not a rate-limiting library such as pyrate-limiter (4.x, which has SQLite, file-lock and
Redis buckets)? Its buckets record one timestamp per request, taken when the permit is
granted, and only ever count them: a slot cannot be held while its request is in flight
and then dated at the answer's arrival, which is what keeps this pacer free of 429s
whatever the latency; nothing in it can take the portal's ``Remaining`` as proof of free
slots, book slots used by another app, hold every process after a 429, or follow the
``Max`` / ``Interval`` headers (its rates are fixed when a bucket is built). A request of a
killed process is simply forgotten when its timestamp ages out, where here a slot in
flight outlives its process until that is noticed. Its SQLite bucket takes a wall-clock
timestamp in each process, its Redis bucket the caller's own clock (two machines' clocks
then disagree), and each limiter starts a background "leak" thread. Wrapping it would
have kept little of it; the window below is about 300 lines of pure rules, tested
directly, on stores that only load, run and save.

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

import itertools
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hubutk_pandas._http.window import (
    MemoryWindow,
    WindowState,
    WindowStore,
    new_owner,
    owner_pid,
)

__all__ = ["RateLimiter", "Slot", "make_limiter", "rate_limit_headers"]

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
        that new answers wake up. A shared window keeps its own clock; instants are handed
        to it as ages (seconds before now), so the two are never compared.
    window
        Where the window lives (a :class:`~hubutk_pandas._http.window.WindowStore`);
        default this pacer's memory alone.
    lease
        Seconds a slot in flight may stay unanswered before it counts as answered (its
        process may be gone on another machine; on this one a dead process is noticed
        at once).

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
        window: WindowStore | None = None,
        lease: float = 60.0,
    ) -> None:
        if max_requests < 1 or interval <= 0:
            raise ValueError("max_requests must be >= 1 and interval > 0")
        self._max = int(max_requests)
        self._interval = float(interval)
        self._margin = margin
        self._sleep = sleep
        self._window: WindowStore = (
            MemoryWindow((self._max, self._interval), clock=clock) if window is None else window
        )
        self._clock = clock  # ages (seconds before now) carry instants to the window's clock
        self._lease = float(lease)
        self._owner = new_owner()
        self._ids = itertools.count()
        self._turn = threading.Lock()  # one thread of this pacer books at a time
        self._deciding = threading.Lock()  # one decision of this pacer at a time
        self._pending: deque[Callable[[WindowState, float, Any], int]] = deque()
        self._cond = threading.Condition()
        self._answers_seen = 0  # bumped by every answer: a waiting booker looks again
        self._last_sent = threading.local()  # hold() -> observe(), in the same thread
        self.waited = 0.0
        """Total seconds workers spent waiting for a slot."""
        self.held = 0.0
        """Total seconds slots were held by requests in flight (booking to answer)."""
        self.booked_elsewhere = 0
        """Slots booked because the portal's ``Remaining`` was lower than the window's count."""

    @property
    def rate(self) -> tuple[int, float]:
        """The current ``(max_requests, interval_seconds)``."""
        return self._max, self._interval

    @property
    def window(self) -> WindowStore:
        """The store holding the window (``.kind``, ``.location``)."""
        return self._window

    def _run(self, decide: Callable[[WindowState, float, Any], Any]) -> Any:
        """Run one decision on the window, with the answers waiting for one (see :meth:`_post`)."""
        return self._decide(decide)[0]

    def _decide(self, decide: Callable[[WindowState, float, Any], Any] | None) -> tuple[Any, int]:
        """``(result, answers seen)``: the count as this decision left it (newer ones are news)."""
        with self._deciding:
            out = self._decide_now(decide)
        self._flush()
        return out

    def _decide_now(
        self, decide: Callable[[WindowState, float, Any], Any] | None
    ) -> tuple[Any, int]:
        """:meth:`_decide`, holding ``_deciding``: the pending answers first, then ``decide``."""
        ops = []
        while self._pending:
            ops.append(self._pending.popleft())
        booked: list[int] = []

        def step(state: WindowState, now: float, alive: Any) -> Any:
            booked.clear()  # a shared store may run the step again on a fresher state
            booked.extend(op(state, now, alive) for op in ops)
            result = None if decide is None else decide(state, now, alive)
            # follow the window's rate: another process may have set it
            self._max, self._interval = state.max_requests, state.interval
            return result

        result = self._window.run(step)
        with self._cond:
            if ops:
                self.booked_elsewhere += sum(booked)
                self._answers_seen += 1
                self._cond.notify_all()
            return result, self._answers_seen

    def _post(self, op: Callable[[WindowState, float, Any], int]) -> None:
        """Apply ``op`` (an answer, an answer's headers) in the next decision of this pacer.

        Now, unless another thread is deciding: that one applies it when it is done. On a
        shared window a decision is a write to the file or to Redis, and a burst of answers
        would queue one write each behind the bookings; combined, a burst is a few writes.
        Until it is applied, an answered slot still counts as in flight: it never expires,
        so waiting costs the window nothing it could spend too early.
        """
        self._pending.append(op)
        self._flush()

    def _flush(self) -> None:
        """Decide on what is pending, unless another thread is deciding (it does, after)."""
        while self._pending and self._deciding.acquire(blocking=False):
            try:
                if self._pending:
                    self._decide_now(None)
            finally:
                self._deciding.release()

    def _age(self, instant: float) -> float:
        """Seconds from ``instant`` (this pacer's clock) until now."""
        return max(0.0, self._clock() - instant)

    def _delay(self, now: float) -> float:
        """Seconds until a slot may be booked at ``now`` (a window if only an answer frees one)."""

        def decide(state: WindowState, _: float, alive: Any) -> float:
            state.expire(now, self._margin, alive)
            delay = state.delay(now, self._margin)
            return max(state.blocked_until - now, state.interval) if delay is None else delay

        return float(self._run(decide))

    def credit(self) -> int:
        """Slots the portal's last ``Remaining`` proves free now, whatever our log says.

        ``Remaining`` of an answer, less every request on this window that may have been
        counted after that one: those answered after it was sent, and those in flight.

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
        return int(self._run(lambda state, now, alive: state.credit()))

    def acquire(self) -> float:
        """Block until a request may be sent, book its slot, return the seconds waited.

        A slot booked this way counts from now (it is never answered), and credit is off
        from then on: :meth:`hold` is what knows when the answer arrives.
        """

        def no_credit(state: WindowState, now: float, alive: Any) -> None:
            state.credit_ok = False

        self._run(no_credit)
        booked, waited, slot_id = self._book()
        self._answer(slot_id, booked)
        return waited

    def _book(self) -> tuple[float, float, str]:
        """Wait for room, book a slot: ``(booked at, seconds waited, slot id)``."""
        if owner_pid(self._owner) != os.getpid():  # a forked child is an owner of its own
            self._owner = new_owner()
        slot_id = f"{self._owner}#{next(self._ids)}"
        shared = self._window.shared
        # A shared window is polled: at most every 1/100 window (5-25 ms), and at most
        # 4 polls apart while answered slots are known to expire (credit may come sooner).
        poll = min(0.025, max(0.005, self._interval / 100))
        waited = 0.0
        with self._turn:
            while True:
                now = self._clock()

                def decide(state: WindowState, store_now: float, alive: Any) -> float | None:
                    return state.book(
                        store_now,
                        slot_id,
                        self._owner,
                        lease=self._lease,
                        margin=self._margin,
                        alive=alive,
                    )

                # seen: the answers this decision knew of; a later one is worth a look
                delay, seen = self._decide(decide)
                if delay is not None and delay <= 0:
                    self.waited += waited
                    return now, waited, slot_id
                if shared:
                    step = poll if delay is None else min(delay, 4 * poll)
                else:  # in memory, an answer wakes us
                    step = min(self._interval if delay is None else delay, 0.5)
                if self._sleep is None:
                    with self._cond:
                        if self._answers_seen == seen:
                            self._cond.wait(step)
                    waited += self._clock() - now
                else:  # an injected sleep (tests)
                    self._sleep(step)
                    waited += step

    def _answer(self, slot_id: str, answered: float) -> None:
        owner = self._owner

        def answer(state: WindowState, now: float, alive: Any) -> int:
            # The age is read inside the decision, right after the window's own clock.
            state.answer(slot_id, now - self._age(answered), owner)
            return 0

        self._post(answer)

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
        booked, _, slot_id = self._book()
        slot = Slot(self._clock)
        try:
            yield slot
        finally:
            answered = self._clock() if slot.marked is None else slot.marked
            self.held += answered - booked
            self._answer(slot_id, answered)
            self._last_sent.value = booked

    def observe(self, headers: Mapping[str, str]) -> None:
        """Adapt to ``X-HubSpot-RateLimit-*`` headers of a network answer (see the module).

        Like an answer's arrival (:meth:`hold`), it is applied with this pacer's next
        decision: at once, unless another thread is deciding, which then applies it.
        """
        info = rate_limit_headers(headers)
        sent = getattr(self._last_sent, "value", None)
        self._last_sent.value = None
        if not info:
            return

        def decide(state: WindowState, now: float, alive: Any) -> int:
            was = (state.max_requests, state.interval)
            # Read after the window's clock: the send is dated no later than it was.
            booked = state.observe(
                now,
                info,
                None if sent is None else now - self._age(sent),
                margin=self._margin,
                alive=alive,
            )
            if (state.max_requests, state.interval) != was:
                logger.debug(
                    "rate limit %d per %.3gs -> %d per %.3gs (from headers)",
                    *was,
                    state.max_requests,
                    state.interval,
                )
            return int(booked)

        self._post(decide)

    def penalize(self, window: float | None = None, *, at_least: float = 0.0) -> float:
        """Record a 429: treat the window as full and hold every worker until it has room.

        On a shared window every process using it is held.

        Parameters
        ----------
        window
            The policy's window in seconds (from ``X-HubSpot-RateLimit-Interval-Milliseconds``,
            else from the policy name); default the limiter's own interval. Workers are held
            until ``window`` seconds after the oldest request still inside it (a full window
            when we sent nothing recently: someone else spent the quota), and at least
            ``window / 20``.
        at_least
            Hold at least this long (the answer's ``Retry-After``).

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
        return float(
            self._run(
                lambda state, now, alive: state.penalize(
                    now, span, margin=self._margin, at_least=at_least, alive=alive
                )
            )
        )

    def usage(self) -> dict[str, Any]:
        """Who holds the window now (see :meth:`WindowState.usage`), with where it lives."""
        found = self._run(
            lambda state, now, alive: state.usage(
                now, self._owner, margin=self._margin, alive=alive
            )
        )
        return {"backend": self._window.kind, "location": self._window.location, **found}

    def close(self) -> None:
        """Let go of the window's connections (the window itself stays for the others)."""
        self._window.close()


def make_limiter(
    rate: tuple[int, float],
    *,
    kind: str,
    where: str | None,
    fingerprint: Callable[[bytes], str],
    lease: float,
) -> RateLimiter:
    """The pacer of a client: its window in memory, in a file beside the cache, or in Redis.

    Parameters
    ----------
    rate
        The configured ``(max_requests, seconds)``.
    kind, where
        ``("client", None)``, ``("machine", folder)`` or ``("redis", url)``.
    fingerprint
        Turns a salt into the credential's fingerprint (the key of the window; never the
        credential itself). A machine window is keyed with its folder's salt, a Redis
        window with a salt kept in Redis, so every process reaching it agrees.
    lease
        See :class:`RateLimiter`.

    Examples
    --------
    >>> make_limiter((10, 1.0), kind="client", where=None, fingerprint=str, lease=60.0).window.kind
    'client'
    """
    if kind == "client":
        return RateLimiter(*rate, lease=lease)
    window: WindowStore
    if kind == "machine":
        from hubutk_pandas._http.shared_window import SQLiteWindow

        assert where is not None
        window = SQLiteWindow(Path(where), fingerprint, rate)
    elif kind == "redis":
        from hubutk_pandas._http.redis_window import RedisWindow

        assert where is not None
        window = RedisWindow(where, fingerprint, rate)
    else:  # pragma: no cover - settings check the kind first
        raise ValueError(f"unknown rate window kind {kind!r}")
    return RateLimiter(*rate, window=window, lease=lease)
