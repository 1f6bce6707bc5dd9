"""Where a client's rate window lives, and who is using it.

HubSpot's burst limit (100 or 190 requests per rolling 10 s) is per app, that is per
credential: every process using one token spends the same window. So a
:class:`~hubutk_pandas.HubSpotClient` paces its requests on a window shared with every
other client using its credential:

``"machine"`` (the default)
    Every process of this machine that uses the credential and the same cache folder
    (``cache=``; with ``cache=False``, the per-user cache folder) shares one window,
    kept in ``rate_window.sqlite`` there, keyed by a salted fingerprint of the credential
    (never the credential itself). Two notebooks, a scheduled ``hubutk lookup`` and
    ``hubutk proxy`` together stay under the limit.
a folder
    The same, in that folder: for processes whose cache folders differ (another user's
    service, say) and which should still share.
``"redis://host:6379/0"`` (also ``rediss://``, ``unix://``)
    One window across machines, on a Redis server: proxy replicas behind a load
    balancer, several hosts on one app. Needs ``pip install 'hubutk-pandas[redis]'``.
``"client"``
    This client alone, in memory (what every client did before the shared window).

The argument ``rate_window=`` chooses; without it, the environment variable
``HUBUTK_RATE_WINDOW`` (:data:`RATE_WINDOW_ENV`); without that, ``"machine"``.
:meth:`HubSpotClient.rate_window_usage() <hubutk_pandas.HubSpotClient.rate_window_usage>`
says how much of the window the other processes are using (:class:`RateWindowUsage`).

Examples
--------
>>> parse_rate_window("redis://:pw@cache.internal:6379/0", environ={})
('redis', 'redis://:pw@cache.internal:6379/0')
>>> parse_rate_window(None, environ={"HUBUTK_RATE_WINDOW": "client"})
('client', None)
>>> parse_rate_window(None, environ={})
('machine', None)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from hubutk_pandas.errors import InvalidOptionError

__all__ = [
    "RATE_WINDOW_ENV",
    "RateWindowKind",
    "RateWindowUsage",
    "parse_rate_window",
    "shown_rate_window",
    "shown_url",
]

RATE_WINDOW_ENV = "HUBUTK_RATE_WINDOW"
"""The environment variable read when ``rate_window=`` is not given."""

RateWindowKind = Literal["machine", "client", "redis"]

_REDIS_SCHEMES = ("redis", "rediss", "unix")
_CHOICES = (
    "use 'machine' (processes of this machine sharing the cache folder), 'client' (this "
    "client alone), a folder path, or a redis://host:port/db URL"
)


def shown_url(url: str) -> str:
    """``url`` fit for messages and reprs: any password replaced by ``***``.

    Examples
    --------
    >>> shown_url("redis://:s3cret@cache.internal:6379/0")
    'redis://:***@cache.internal:6379/0'
    >>> shown_url("redis://127.0.0.1:6379")
    'redis://127.0.0.1:6379'
    """
    try:
        parts = urlsplit(url)
        password, user, host, port = parts.password, parts.username, parts.hostname, parts.port
    except ValueError:  # a port that is not a number, say: show nothing after the scheme
        return url.split("://", 1)[0] + "://***"
    if password is None:
        return url
    netloc = f"{user or ''}:***@{host or ''}" + (f":{port}" if port is not None else "")
    return urlunsplit(parts._replace(netloc=netloc))


def parse_rate_window(
    value: str | os.PathLike[str] | None, *, environ: Mapping[str, str] | None = None
) -> tuple[RateWindowKind, str | None]:
    """``(kind, where)`` of ``rate_window=``, else ``HUBUTK_RATE_WINDOW``, else ``"machine"``.

    ``where`` is ``None`` for ``"client"`` and for ``"machine"`` in the cache folder, the
    folder (``~`` expanded) for a path, the URL for Redis.

    Raises
    ------
    InvalidOptionError
        Anything else (naming the argument or the variable; a password is never shown).

    Examples
    --------
    >>> parse_rate_window("/srv/hubutk", environ={})
    ('machine', '/srv/hubutk')
    >>> parse_rate_window("machin", environ={})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    hubutk_pandas.errors.InvalidOptionError: rate_window='machin' is not valid; use 'machine' ...
    """
    name = "rate_window"
    if value is None:
        env = os.environ if environ is None else environ
        text = env.get(RATE_WINDOW_ENV, "").strip()
        if not text:
            return "machine", None
        value, name = text, RATE_WINDOW_ENV
    if isinstance(value, os.PathLike):
        return "machine", str(Path(value).expanduser())
    if not isinstance(value, str):
        raise InvalidOptionError.for_value(name, value, _CHOICES)
    text = value.strip()
    if text in ("machine", "client"):
        return text, None  # type: ignore[return-value]
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme in _REDIS_SCHEMES:
        return "redis", text
    looks_like_url = text.lower().startswith(_REDIS_SCHEMES) or "@" in text  # a typo'd URL
    if not scheme and not looks_like_url and ("/" in text or os.sep in text or text[:1] == "~"):
        return "machine", str(Path(text).expanduser())
    shown = shown_url(text)
    if "@" in shown and ":***@" not in shown:  # something like a URL with a secret in it
        shown = "***@" + shown.rsplit("@", 1)[1]
    raise InvalidOptionError(f"{name}={shown!r} is not valid; {_CHOICES}")


def shown_rate_window(kind: RateWindowKind, where: str | None) -> str:
    """How a parsed window is shown in settings and reprs (a Redis password hidden).

    Examples
    --------
    >>> shown_rate_window("redis", "redis://:pw@h:6379/0"), shown_rate_window("machine", None)
    ('redis://:***@h:6379/0', 'machine')
    """
    if where is None:
        return kind
    return shown_url(where) if kind == "redis" else where


@dataclass(frozen=True)
class RateWindowUsage:
    """Who is using a credential's rate window right now.

    What :meth:`~hubutk_pandas.HubSpotClient.rate_window_usage` returns (``hubutk doctor``
    shows it).

    Slots count requests in flight and requests answered within the last window.

    Examples
    --------
    >>> usage = RateWindowUsage(backend="machine", location="/c/rate_window.sqlite",
    ...     max_requests=100, interval=10.0, ours=0, others=40, outside=10,
    ...     in_flight=5, processes=2, held_for=0.0)
    >>> usage.used, usage.free, f"{usage.others_share:.0%}"
    (50, 50, '50%')
    >>> print(usage)  # doctest: +NORMALIZE_WHITESPACE
    machine window /c/rate_window.sqlite: 50 of 100 per 10s used (40 by 2 other processes,
    10 outside our clients, 0 by this client); 5 in flight
    """

    backend: RateWindowKind
    """``"machine"``, ``"redis"`` or ``"client"``."""
    location: str
    """The window's file, the Redis URL (password hidden), or ``"memory"``."""
    max_requests: int
    """Requests allowed per window (from HubSpot's headers once any process heard them)."""
    interval: float
    """The window, in seconds."""
    ours: int
    """Slots of this client."""
    others: int
    """Slots of other clients on this window (other processes, or other clients of this one)."""
    outside: int
    """Slots booked for requests no client on this window sent: HubSpot's ``Remaining``
    said they were used (another app on the same credential), or a 429 filled the window."""
    in_flight: int
    """Requests sent and not yet answered (any client)."""
    processes: int
    """Other processes holding slots (on this machine or, with Redis, any)."""
    held_for: float
    """Seconds every client on the window still waits after a 429."""

    @property
    def used(self) -> int:
        """Slots used, by anyone."""
        return self.ours + self.others + self.outside

    @property
    def free(self) -> int:
        """Slots free (never below 0)."""
        return max(0, self.max_requests - self.used)

    @property
    def others_share(self) -> float:
        """The share of the window used by anyone but this client (0 to 1)."""
        return min(1.0, (self.others + self.outside) / self.max_requests)

    def __str__(self) -> str:
        held = f"; held {self.held_for:.1f}s after a 429" if self.held_for > 0 else ""
        return (
            f"{self.backend} window {self.location}: {self.used} of {self.max_requests} per "
            f"{self.interval:g}s used ({self.others} by {self.processes} other processes, "
            f"{self.outside} outside our clients, {self.ours} by this client); "
            f"{self.in_flight} in flight{held}"
        )
