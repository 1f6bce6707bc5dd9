"""Who is asking, and whether they may ask again: client identity, limits and budgets.

:func:`client_identity` names the client of a request. It is ``REMOTE_ADDR`` (the peer of
the TCP connection) unless that peer is a trusted reverse proxy; only then is
``X-Forwarded-For`` read, from the right, skipping trusted proxies, and the first
address no trusted proxy vouches for is the client. A browser can write anything in
``X-Forwarded-For``, so everywhere else the header is ignored: it cannot pick its own
identity to dodge its limit. An IPv6 client is its ``/64`` network (:func:`address_key`):
one host usually holds a whole ``/64``, and could otherwise be a new client per request.

What HubSpot is asked costs the portal's daily API limit, shared by every integration on
the portal. Three counters keep that cost bounded, each answering "admitted" (``None``)
or the seconds to wait (for ``Retry-After``):

* :class:`ClientLimiter`: a sliding window per identity, at most ``max_requests`` in any
  ``seconds``. The proxy keeps two: one for a client's requests, one for its *upstream
  calls* (lookups the cache could not answer);
* :class:`DailyBudget`: at most ``calls`` upstream calls in any 24 hours, whoever asks;
* :class:`UpstreamGate`: load shedding. It mirrors the client's pacer (``rate`` calls per
  window, each slot busy from admission until a window after its answer) and admits a
  call only if the pacer would send it within ``max_wait`` seconds and fewer than
  ``max_concurrent`` calls are waiting or in flight. Waiting threads are threads that
  cannot answer anyone else, so a call that would wait longer is refused at once.

Examples
--------
>>> limiter = ClientLimiter(2, 10.0)
>>> [limiter.acquire("a", now=t) for t in (0.0, 1.0, 2.0)], limiter.acquire("b", now=2.0)
([None, None, 8.0], None)
>>> address_key("2001:db8:1:2:3:4:5:6"), address_key("::ffff:192.0.2.7")
('2001:db8:1:2::/64', '192.0.2.7')
>>> trusted = parse_networks(["10.0.0.1"])
>>> client_identity({"REMOTE_ADDR": "10.0.0.1",
...                  "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.9"}, trusted)
'203.0.113.9'
>>> client_identity({"REMOTE_ADDR": "198.51.100.4",
...                  "HTTP_X_FORWARDED_FOR": "203.0.113.9"}, trusted)
'198.51.100.4'
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

from hubutk_pandas.errors import InvalidOptionError

__all__ = [
    "ClientLimiter",
    "DailyBudget",
    "UpstreamGate",
    "address_key",
    "client_identity",
    "is_trusted",
    "parse_networks",
]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(addresses: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or networks (``10.0.0.1``, ``10.0.0.0/8``, ``::1``) of trusted proxies.

    Examples
    --------
    >>> parse_networks(["127.0.0.1", "10.0.0.0/8"])
    (IPv4Network('127.0.0.1/32'), IPv4Network('10.0.0.0/8'))
    """
    if isinstance(addresses, str):
        addresses = [addresses]
    out = []
    for text in addresses:
        try:
            out.append(ipaddress.ip_network(text.strip(), strict=False))
        except ValueError:
            raise InvalidOptionError(
                f"trusted_proxies={text!r} is not valid; use an IP address or network "
                "such as 10.0.0.1 or 10.0.0.0/8"
            ) from None
    return tuple(out)


def is_trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    """Whether ``address`` is in one of the ``trusted`` networks.

    Examples
    --------
    >>> is_trusted("10.1.2.3", parse_networks(["10.0.0.0/8"])), is_trusted("x", ())
    (True, False)
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def address_key(address: str) -> str | None:
    """The client an address stands for: an IPv4 address, or an IPv6 ``/64`` network.

    ``None`` when ``address`` is not an IP address.

    Examples
    --------
    >>> address_key("192.0.2.1"), address_key("2001:db8::1"), address_key("proxy.example")
    ('192.0.2.1', '2001:db8::/64', None)
    """
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def client_identity(environ: Mapping[str, Any], trusted: tuple[Network, ...] = ()) -> str:
    """The client a request counts against (see the module docstring).

    Behind a trusted proxy, an ``X-Forwarded-For`` entry that is not an IP address stops
    the search: the request counts against the peer.
    """
    peer = str(environ.get("REMOTE_ADDR") or "unknown")
    peer_key = address_key(peer) or "unknown"
    if not trusted or not is_trusted(peer, trusted):
        return peer_key
    chain = [a.strip() for a in str(environ.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    for address in reversed([a for a in chain if a]):
        if not is_trusted(address, trusted):
            return address_key(address) or peer_key
    return peer_key


class ClientLimiter:
    """At most ``max_requests`` per client in any ``seconds`` (a sliding window).

    Thread-safe. Idle clients are forgotten, so memory stays bounded by the clients
    active within one window.
    """

    def __init__(self, max_requests: int, seconds: float) -> None:
        if isinstance(max_requests, bool) or not isinstance(max_requests, int) or max_requests < 1:
            raise InvalidOptionError(
                f"client_rate=({max_requests!r}, {seconds!r}) is not valid; "
                "use (requests >= 1, seconds > 0)"
            )
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0:
            raise InvalidOptionError(
                f"client_rate=({max_requests!r}, {seconds!r}) is not valid; "
                "use (requests >= 1, seconds > 0)"
            )
        self.rate = (max_requests, float(seconds))
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._next_sweep = 0.0

    def __repr__(self) -> str:
        return f"ClientLimiter({self.rate[0]}, {self.rate[1]})"

    def acquire(self, client: str, *, now: float | None = None) -> float | None:
        """Count a request of ``client``: ``None`` if admitted, else seconds to wait."""
        limit, window = self.rate
        now = time.monotonic() if now is None else now
        with self._lock:
            if now >= self._next_sweep:
                self._sweep(now - window)
                self._next_sweep = now + window
            times = self._seen.setdefault(client, deque())
            while times and times[0] <= now - window:
                times.popleft()
            if len(times) >= limit:
                return times[0] + window - now
            times.append(now)
            return None

    def refund(self, client: str) -> None:
        """Take back ``client``'s last admission (the request was refused after all)."""
        with self._lock:
            times = self._seen.get(client)
            if times:
                times.pop()

    def _sweep(self, horizon: float) -> None:
        for client in [c for c, times in self._seen.items() if not times or times[-1] <= horizon]:
            del self._seen[client]


class DailyBudget:
    """At most ``calls`` upstream calls in any 24 hours, counted by the minute.

    A rolling window, not a calendar day: HubSpot's daily limit resets at midnight in the
    portal's time zone, and any such day is a 24-hour window, so the portal never sees
    more than ``calls`` from the proxy in one of its days. A call is counted until the
    end of its minute leaves the window (at most a minute longer than it must).

    Thread-safe.

    Examples
    --------
    >>> budget = DailyBudget(2)
    >>> budget.acquire(now=0.0), budget.acquire(now=30.0), budget.acquire(now=90.0)
    (None, None, 86370.0)
    >>> budget.used(now=90.0), budget.acquire(now=86_400.0 + 60.0)
    (2, None)
    """

    WINDOW = 86_400.0
    BUCKET = 60.0

    def __init__(self, calls: int) -> None:
        if isinstance(calls, bool) or not isinstance(calls, int) or calls < 1:
            raise InvalidOptionError(
                f"daily_budget={calls!r} is not valid; use a number of calls >= 1"
            )
        self.calls = calls
        self._buckets: deque[list[float]] = deque()  # [minute start, calls in it]
        self._used = 0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"DailyBudget({self.calls})"

    def _expire(self, now: float) -> None:
        while self._buckets and self._buckets[0][0] + self.BUCKET <= now - self.WINDOW:
            self._used -= int(self._buckets.popleft()[1])

    def used(self, *, now: float | None = None) -> int:
        """Calls counted in the last 24 hours."""
        with self._lock:
            self._expire(time.monotonic() if now is None else now)
            return self._used

    def acquire(self, *, now: float | None = None) -> float | None:
        """Count one call: ``None`` if within the budget, else seconds until there is room."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._expire(now)
            if self._used >= self.calls:
                return max(self._buckets[0][0] + self.BUCKET + self.WINDOW - now, 1.0)
            start = math.floor(now / self.BUCKET) * self.BUCKET
            if self._buckets and self._buckets[-1][0] == start:
                self._buckets[-1][1] += 1
            else:
                self._buckets.append([start, 1])
            self._used += 1
            return None

    def refund(self) -> None:
        """Take back the last call counted (it was not sent after all)."""
        with self._lock:
            if self._buckets:
                self._buckets[-1][1] -= 1
                self._used -= 1
                if not self._buckets[-1][1]:
                    self._buckets.pop()


class UpstreamGate:
    """Load shedding: admit an upstream call only if the pacer sends it soon enough.

    Parameters
    ----------
    rate
        The client's pacing, ``(calls, seconds)``
        (:attr:`~hubutk_pandas.settings.ClientSettings.rate_limit`).
    max_wait
        The longest a call may wait for the pacer; one that would wait longer is refused.
    max_concurrent
        Calls waiting for the pacer or HubSpot at once; more are refused. Keep it below
        the server's threads, so that health checks and cached answers always find one.

    Examples
    --------
    >>> gate = UpstreamGate((2, 10.0), max_wait=3.0, max_concurrent=5)
    >>> gate.enter(now=0.0), gate.enter(now=0.0)
    (None, None)
    >>> gate.leave(now=1.0); gate.leave(now=1.0)
    >>> gate.enter(now=2.0)       # both slots busy until 11.0: a 9 s wait
    9.0
    >>> gate.enter(now=8.5)       # a 2.5 s wait: admitted
    """

    def __init__(self, rate: tuple[int, float], *, max_wait: float, max_concurrent: int) -> None:
        if isinstance(max_wait, bool) or not isinstance(max_wait, (int, float)) or max_wait < 0:
            raise InvalidOptionError(f"max_wait={max_wait!r} is not valid; use seconds >= 0")
        if (
            isinstance(max_concurrent, bool)
            or not isinstance(max_concurrent, int)
            or max_concurrent < 1
        ):
            raise InvalidOptionError(
                f"max_upstream={max_concurrent!r} is not valid; use an integer >= 1"
            )
        self.rate = (int(rate[0]), float(rate[1]))
        self.max_wait = float(max_wait)
        self.max_concurrent = max_concurrent
        self._answers: deque[float] = deque()  # answer times within the last window
        self._in_flight = 0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"UpstreamGate({self.rate!r}, max_wait={self.max_wait:g}, "
            f"max_concurrent={self.max_concurrent})"
        )

    def enter(self, *, now: float | None = None) -> float | None:
        """Admit one call (``None``), or the seconds after which to try again."""
        calls, window = self.rate
        now = time.monotonic() if now is None else now
        with self._lock:
            while self._answers and self._answers[0] <= now - window:
                self._answers.popleft()
            if self._in_flight >= self.max_concurrent:
                return max(1.0, window * self._in_flight / calls)
            excess = self._in_flight + len(self._answers) - calls + 1
            if excess <= 0:
                wait = 0.0
            elif excess <= len(self._answers):
                wait = self._answers[excess - 1] + window - now
            else:  # calls still in flight must be answered first, then a window passes
                wait = window * (1 + (excess - len(self._answers)) / calls)
            if wait > self.max_wait:
                return max(1.0, wait)
            self._in_flight += 1
            return None

    def leave(self, *, now: float | None = None) -> None:
        """The admitted call was answered (or failed): its slot counts from now."""
        with self._lock:
            self._in_flight -= 1
            self._answers.append(time.monotonic() if now is None else now)

    @property
    def in_flight(self) -> int:
        """Calls admitted and not yet answered."""
        return self._in_flight
