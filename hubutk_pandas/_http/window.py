"""The sliding window's state and rules, apart from where the state is kept.

HubSpot's burst limit is per app, that is per credential: every process using one
credential spends one window. :class:`WindowState` is that window as data (slots in
flight, answered slots, the portal's last word, a hold after a 429), and its methods are
the pacer's decisions, pure functions of the state and the time. A *store* keeps one
state and runs each decision on it atomically (:meth:`WindowStore.run`):

* :class:`MemoryWindow`: one client's window, in memory (``rate_window="client"``);
* :class:`~hubutk_pandas._http.shared_window.SQLiteWindow`: one window per credential
  per machine, in a SQLite file beside the cache (``"machine"``, the default);
* :class:`~hubutk_pandas._http.redis_window.RedisWindow`: one window per credential
  across machines (``"redis://..."``).

So the three backends take exactly the same decisions; only the clock and the locking
differ. Every time in a state is on the store's clock (``time.monotonic`` of this
machine for memory and SQLite, the Redis server's ``TIME`` for Redis); the pacer hands
past instants over as *ages* (seconds before now), so no two clocks are ever compared.

A slot in flight carries its owner (host, process id, a random token per pacer) and a
lease. A process killed while holding slots cannot answer them: a slot whose owner is
gone (on this machine: the process no longer exists) or whose lease ran out counts as
answered when that is noticed, and leaves the window a window later, as any answered
slot does. The portal counted the request before the process died, so that is the
earliest moment the slot may be reused.

Examples
--------
>>> state = WindowState.fresh(2, 1.0, now=0.0)
>>> state.book(0.0, "a#1", "a", lease=30.0, margin=0.0, alive=lambda owner: True)
0.0
>>> state.book(0.0, "a#2", "a", lease=30.0, margin=0.0, alive=lambda owner: True)
0.0
>>> state.answer("a#1", 0.2, "a"); state.answer("a#2", 0.3, "a")
>>> state.book(0.5, "a#3", "a", lease=30.0, margin=0.0, alive=lambda owner: True)
0.7
"""

from __future__ import annotations

import base64
import bisect
import os
import secrets
import socket
import struct
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import orjson

__all__ = [
    "ELSEWHERE",
    "MemoryWindow",
    "WindowState",
    "WindowStore",
    "new_owner",
    "owner_alive",
    "owner_pid",
]

T = TypeVar("T")

ELSEWHERE = ""
"""The owner of slots booked for requests we did not send (another app's, a 429's fill)."""

Alive = Callable[[str], bool]

_TRIPS = 20
"""Round trips remembered (to date the slots of a killed process)."""

_IDLE_WINDOWS = 60
"""A state untouched for this many windows starts afresh (credit allowed again)."""

_FORMAT = 2
"""The stored format (1: every slot as a JSON ``[time, owner]`` pair)."""


def _pack(slots: list[tuple[float, str]], owners: dict[str, int]) -> list[str]:
    """``(time, owner)`` slots as ``[base64 doubles, base64 owner indices]`` (owners grows)."""
    times = struct.pack(f"<{len(slots)}d", *(t for t, _ in slots))
    index = struct.pack(f"<{len(slots)}I", *(owners.setdefault(o, len(owners)) for _, o in slots))
    return [base64.b64encode(times).decode("ascii"), base64.b64encode(index).decode("ascii")]


def _unpack(packed: list[str], owners: list[str]) -> list[tuple[float, str]]:
    """The slots of :func:`_pack` (``struct.error`` / ``IndexError`` if damaged)."""
    times, index = (base64.b64decode(part, validate=True) for part in packed)
    n = len(times) // 8
    if len(times) != 8 * n or len(index) != 4 * n:
        raise ValueError("packed slots of unequal lengths")
    named = [owners[i] for i in struct.unpack(f"<{n}I", index)]
    return list(zip(struct.unpack(f"<{n}d", times), named, strict=True))


def new_owner() -> str:
    """A fresh owner: ``host/pid/token`` (the token tells apart two pacers of one process).

    Examples
    --------
    >>> owner = new_owner()
    >>> owner_pid(owner) == os.getpid()
    True
    """
    return f"{socket.gethostname()}/{os.getpid()}/{secrets.token_hex(4)}"


def owner_pid(owner: str) -> int | None:
    """The process id in an owner string (``None`` if it has none)."""
    parts = owner.split("/")
    try:
        return int(parts[-2]) if len(parts) >= 3 else None
    except ValueError:
        return None


def owner_alive(owner: str) -> bool:
    """Whether the process of ``owner`` may still be running, as far as this machine can say.

    Owners on another host, and any owner on Windows (where ``os.kill(pid, 0)`` would
    send a signal), are taken as alive: their slots leave with their lease. A zombie
    (killed, not yet reaped) is dead.

    Examples
    --------
    >>> owner_alive(new_owner()), owner_alive("no-such-host.invalid/1/x")
    (True, True)
    """
    if owner == ELSEWHERE:
        return True
    pid = owner_pid(owner)
    if pid is None or os.name == "nt" or owner.split("/")[0] != socket.gethostname():
        return True
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: it exists
        return True
    if sys.platform.startswith("linux"):
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
                stat = handle.read()
        except OSError:
            return True
        state = stat.rpartition(")")[2].split()
        if state and state[0] in ("Z", "X"):
            return False
    return True


@dataclass
class WindowState:
    """One credential's sliding window; every time is on the store's clock (seconds).

    ``log`` holds answered slots still in the window as ``(time, owner)``, sorted; the
    owner :data:`ELSEWHERE` marks slots booked for requests we did not send. ``flight``
    maps a slot id to ``(booked, owner, lease_until)``. ``expired`` keeps what left the
    log in the last window (the portal may still count it). ``proof`` is the
    ``(send time, Remaining)`` of the latest answer that said how much was free.
    """

    max_requests: int
    interval: float
    touched: float
    rate_from_headers: bool = False
    log: list[tuple[float, str]] = field(default_factory=list)
    expired: list[tuple[float, str]] = field(default_factory=list)
    flight: dict[str, tuple[float, str, float]] = field(default_factory=dict)
    proof: tuple[float, int] | None = None
    credit_ok: bool = True
    blocked_until: float = 0.0
    trips: list[float] = field(default_factory=list)
    """The last round trips (booking to answer), newest last."""

    @classmethod
    def fresh(cls, max_requests: int, interval: float, *, now: float) -> WindowState:
        """An empty window of ``max_requests`` per ``interval`` seconds."""
        return cls(max_requests=int(max_requests), interval=float(interval), touched=now)

    # -- storage ----------------------------------------------------------------------------

    def to_json(self) -> str:
        """The state as compact JSON (what the shared stores keep).

        The slot lists are packed (times as little-endian doubles, owners as indices into
        one list of owners, both base64): a 250-request window keeps up to three windows
        of slots, and writing each time as JSON text cost about a millisecond a decision,
        three decisions a request, all in one lock. orjson writes it: 44-55 µs for a
        190-request window's 280 slots, where the standard library took 64-70 (the packing
        is most of the rest); any JSON reader reads it.

        Examples
        --------
        >>> state = WindowState.fresh(2, 1.0, now=0.0)
        >>> state.log = [(0.25, "a"), (0.5, "b")]
        >>> WindowState.load(state.to_json(), (2, 1.0), now=0.5).log
        [(0.25, 'a'), (0.5, 'b')]
        """
        owners: dict[str, int] = {}
        return orjson.dumps(
            {
                "v": _FORMAT,
                "max": self.max_requests,
                "interval": self.interval,
                "touched": self.touched,
                "headers": self.rate_from_headers,
                "log": _pack(self.log, owners),
                "expired": _pack(self.expired, owners),
                "owners": list(owners),
                "flight": self.flight,
                "proof": self.proof,
                "credit": self.credit_ok,
                "blocked": self.blocked_until,
                "trips": self.trips,
            },
        ).decode()

    def stale(self, now: float) -> bool:
        """Untouched for many windows, or touched *after* ``now``: nothing in it compares.

        Examples
        --------
        >>> state = WindowState.fresh(2, 1.0, now=0.0)
        >>> state.stale(30.0), state.stale(61.0)
        (False, True)
        """
        return self.touched > now + 1.0 or now - self.touched > _IDLE_WINDOWS * self.interval

    @classmethod
    def load(cls, text: str | bytes | None, rate: tuple[int, float], *, now: float) -> WindowState:
        """The stored state, or a fresh one when there is none, it is unreadable or stale.

        Stale (:meth:`stale`): untouched for many windows, or touched *after* ``now`` (the
        clock went back: a reboot restarts the monotonic clock). Unreadable includes a
        state written in another format (another version of this package): a window is
        cheap to start over.

        Examples
        --------
        >>> WindowState.load(None, (10, 1.0), now=5.0).max_requests
        10
        >>> WindowState.load("not json", (10, 1.0), now=5.0).log
        []
        """
        fresh = cls.fresh(*rate, now=now)
        if not text:
            return fresh
        try:
            data = orjson.loads(text)
            if data["v"] != _FORMAT:
                return fresh
            owners = [str(o) for o in data["owners"]]
            state = cls(
                max_requests=int(data["max"]),
                interval=float(data["interval"]),
                touched=float(data["touched"]),
                rate_from_headers=bool(data["headers"]),
                log=_unpack(data["log"], owners),
                expired=_unpack(data["expired"], owners),
                flight={
                    str(k): (float(b), str(o), float(lease))
                    for k, (b, o, lease) in data["flight"].items()
                },
                proof=None
                if data["proof"] is None
                else (float(data["proof"][0]), int(data["proof"][1])),
                credit_ok=bool(data["credit"]),
                blocked_until=float(data["blocked"]),
                trips=[float(t) for t in data["trips"]],
            )
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, struct.error):
            return fresh  # damaged or from another version: a window is cheap to start over
        if state.stale(now):
            return fresh
        if not state.rate_from_headers:  # nobody has heard the portal yet: ours is as good
            state.max_requests, state.interval = fresh.max_requests, fresh.interval
        return state

    # -- the rules --------------------------------------------------------------------------

    def expire(self, now: float, margin: float, alive: Alive) -> None:
        """Drop slots that left the window; count slots of dead owners as answered.

        A request whose process died may not have reached the portal yet: its slot counts
        as answered now, or when the slowest recent round trip would have brought its
        answer, whichever is later. A slot whose lease ran out counts as answered now.
        """
        verdicts: dict[str, bool] = {}  # one look per owner
        slowest = max(self.trips, default=0.0)
        for slot_id, (booked, owner, lease) in list(self.flight.items()):
            if owner not in verdicts:
                verdicts[owner] = alive(owner)
            if now > lease:
                del self.flight[slot_id]
                bisect.insort(self.log, (now, owner))
            elif not verdicts[owner]:
                del self.flight[slot_id]
                bisect.insort(self.log, (max(now, booked + slowest), owner))
        horizon = now - self.interval - margin
        cut = bisect.bisect_right(self.log, (horizon, "\uffff"))
        if cut:
            self.expired.extend(self.log[:cut])
            self.expired.sort()
            del self.log[:cut]
        keep = bisect.bisect_right(self.expired, (horizon - self.interval, "\uffff"))
        del self.expired[:keep]
        if self.proof is not None and self.proof[0] < horizon - self.interval:
            self.proof = None  # older than the answers kept to weigh it

    def credit(self) -> int:
        """Slots the portal's last ``Remaining`` proves free now, whatever the log says.

        ``Remaining`` of an answer, less every request that may have been counted after
        that one: those answered after it was sent (by any process on this window), and
        those in flight.
        """
        if self.proof is None or not self.credit_ok:
            return 0
        sent, remaining = self.proof
        answered = sum(
            1 for t, owner in (*self.log, *self.expired) if t >= sent and owner != ELSEWHERE
        )
        return remaining - (answered - 1) - len(self.flight)

    def delay(self, now: float, margin: float) -> float | None:
        """Seconds until a slot may be booked: 0 now, ``None`` when only an answer can free one."""
        held = max(0.0, self.blocked_until - now)
        used = len(self.log) + len(self.flight)  # a request in flight never expires
        if used >= self.max_requests and self.credit() < 1:
            expiring = used - self.max_requests + 1  # answered slots that must expire first
            if expiring > len(self.log):
                return None
            oldest = self.log[expiring - 1][0]
            return max(held, oldest + self.interval + margin - now)
        return held

    def book(
        self, now: float, slot_id: str, owner: str, *, lease: float, margin: float, alive: Alive
    ) -> float | None:
        """Book ``slot_id`` if the window has room (returns 0.0), else the :meth:`delay`."""
        self.expire(now, margin, alive)
        delay = self.delay(now, margin)
        if delay is not None and delay <= 0:
            self.flight[slot_id] = (now, owner, now + lease)
            return 0.0
        return delay

    def answer(self, slot_id: str, at: float, owner: str) -> None:
        """The answer of ``slot_id`` arrived at ``at``: from then on it counts a window.

        A slot already counted as answered (its lease ran out) is booked again at ``at``.
        """
        entry = self.flight.pop(slot_id, None)
        if entry is not None:
            self.trips = [*self.trips[-(_TRIPS - 1) :], max(0.0, at - entry[0])]
        bisect.insort(self.log, (at, owner))

    def observe(
        self,
        now: float,
        info: Mapping[str, int],
        sent: float | None,
        *,
        margin: float,
        alive: Alive,
    ) -> int:
        """Adapt to an answer's ``X-HubSpot-RateLimit-*`` values; return the slots booked elsewhere.

        ``Max`` and ``Interval-Milliseconds`` replace the rate; ``Remaining`` becomes the
        proof for credit, and when it is lower than this window's own count, the
        difference is booked as used elsewhere (another app on the same credential),
        for a tenth of the window; booked again if the portal insists.
        """
        new_max = info.get("max")
        if new_max is not None and new_max >= 1:
            self.max_requests, self.rate_from_headers = int(new_max), True
        interval_ms = info.get("interval-milliseconds")
        if interval_ms is not None and interval_ms > 0:
            self.interval, self.rate_from_headers = interval_ms / 1000.0, True
        remaining = info.get("remaining")
        if remaining is None:
            return 0
        if sent is not None and (self.proof is None or sent >= self.proof[0]):
            self.proof = (sent, int(remaining))  # the latest sent answered: the best proof
        self.expire(now, margin, alive)
        # Ours that the portal may still have counted when it answered: the log, those in
        # flight, and those that left the log since that request was sent.
        since = now if sent is None else sent
        left = len(self.expired) - bisect.bisect_right(
            self.expired, (since - self.interval - margin, "\uffff")
        )
        ours = self.max_requests - len(self.log) - len(self.flight) - left
        phantom = now - self.interval + self.interval / 10
        booked = max(0, ours - max(int(remaining), 0))
        for _ in range(booked):
            bisect.insort(self.log, (phantom, ELSEWHERE))
        return booked

    def penalize(
        self, now: float, span: float, *, margin: float, at_least: float, alive: Alive
    ) -> float:
        """A 429: the window is full; hold every pacer on it until it has room.

        Held until ``span`` after the oldest slot still inside it (a full window when
        nothing was sent recently: someone else spent it), at least ``span / 20`` and
        ``at_least`` seconds (a ``Retry-After``). Credit is off from then on: the
        portal disagreed with the window. Returns the seconds from now.
        """
        self.credit_ok = False
        self.expire(now, margin, alive)
        recent = [t for t, _ in self.log if t > now - span]
        start = recent[0] if recent else now
        until = max(start + span + margin, now + span / 20, now + at_least)
        while len(self.log) + len(self.flight) < self.max_requests:
            bisect.insort(self.log, (now, ELSEWHERE))
        self.blocked_until = max(self.blocked_until, until)
        return self.blocked_until - now

    def usage(self, now: float, owner: str, *, margin: float, alive: Alive) -> dict[str, Any]:
        """Who holds the window now: this owner, other processes, callers outside our clients."""
        self.expire(now, margin, alive)
        mine = sum(1 for _, o in self.log if o == owner)
        mine_flight = sum(1 for _, o, _ in self.flight.values() if o == owner)
        outside = sum(1 for _, o in self.log if o == ELSEWHERE)
        others = len(self.log) - mine - outside
        others_flight = len(self.flight) - mine_flight
        me = owner.rsplit("/", 1)[0]  # host/pid
        processes = {
            o.rsplit("/", 1)[0]
            for o in [*(o for _, o in self.log), *(o for _, o, _ in self.flight.values())]
            if o != ELSEWHERE
        } - {me}
        return {
            "max_requests": self.max_requests,
            "interval": self.interval,
            "ours": mine + mine_flight,
            "others": others + others_flight,
            "outside": outside,
            "in_flight": len(self.flight),
            "processes": len(processes),
            "held_for": max(0.0, self.blocked_until - now),
        }


class WindowStore(Protocol):
    """Where a :class:`WindowState` lives; :meth:`run` applies one decision atomically."""

    kind: str
    """``"client"``, ``"machine"`` or ``"redis"``."""
    location: str
    """Where the window is kept, fit to show (a folder, a redacted URL, ``"memory"``)."""
    shared: bool
    """Whether other processes may change the state (so waiting must poll)."""

    def run(self, decide: Callable[[WindowState, float, Alive], T]) -> T:
        """Load the state, call ``decide(state, now, alive)``, keep the state; atomically.

        A shared store may call ``decide`` again, on a state read afresh, when another
        process wrote first (optimistic transactions): a decision changes nothing but the
        state it is given, and only the result of the call that was kept is returned.
        """
        ...

    def close(self) -> None:
        """Let go of connections (the state stays for the others)."""
        ...


class MemoryWindow:
    """One client's window, in memory: the pacer of ``rate_window="client"``.

    Examples
    --------
    >>> window = MemoryWindow((10, 1.0), clock=lambda: 3.0)
    >>> window.run(lambda state, now, alive: (state.max_requests, now))
    (10, 3.0)
    """

    kind = "client"
    location = "memory"
    shared = False

    def __init__(self, rate: tuple[int, float], *, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._state = WindowState.fresh(*rate, now=clock())
        self._lock = threading.Lock()

    def run(self, decide: Callable[[WindowState, float, Alive], T]) -> T:
        with self._lock:
            return decide(self._state, self._clock(), _always_alive)

    def close(self) -> None:
        """Nothing to let go of."""


def _always_alive(owner: str) -> bool:
    return True
