"""Who is asking, and whether they may ask again: client identity and per-client limits.

:func:`client_identity` names the client of a request. It is ``REMOTE_ADDR`` (the peer of
the TCP connection) unless that peer is a trusted reverse proxy; only then is
``X-Forwarded-For`` read, from the right, skipping trusted proxies, and the first
address no trusted proxy vouches for is the client. A browser can write anything in
``X-Forwarded-For``, so everywhere else the header is ignored: it cannot pick its own
identity to dodge its limit.

:class:`ClientLimiter` is a sliding window per identity: at most ``max_requests`` in any
``seconds``; a refusal says how long to wait (for ``Retry-After``).

Examples
--------
>>> limiter = ClientLimiter(2, 10.0)
>>> [limiter.acquire("a", now=t) for t in (0.0, 1.0, 2.0)], limiter.acquire("b", now=2.0)
([None, None, 8.0], None)
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
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

from hubutk_pandas.errors import InvalidOptionError

__all__ = ["ClientLimiter", "client_identity", "parse_networks"]

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


def _trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_identity(environ: Mapping[str, Any], trusted: tuple[Network, ...] = ()) -> str:
    """The client a request counts against (see the module docstring)."""
    peer = str(environ.get("REMOTE_ADDR") or "unknown")
    if not trusted or not _trusted(peer, trusted):
        return peer
    chain = [a.strip() for a in str(environ.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    for address in reversed([a for a in chain if a]):
        if not _trusted(address, trusted):
            return address[:64]
    return peer


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

    def _sweep(self, horizon: float) -> None:
        for client in [c for c, times in self._seen.items() if not times or times[-1] <= horizon]:
            del self._seen[client]
