"""One rate window per credential across machines: a Redis server.

Proxy replicas behind a load balancer, or several hosts on one app, cannot share a file;
they share a Redis server instead (``rate_window="redis://host:6379/0"`` or
``HUBUTK_RATE_WINDOW``). The window is the same
:class:`~hubutk_pandas._http.window.WindowState` as on one machine, kept as one JSON value
under ``hubutk-pandas:window:<fingerprint>``; each decision is an optimistic transaction
(``WATCH``, read, decide, ``MULTI``/``SET``/``EXEC``, again if another pacer wrote first).

* **One clock.** Every time in the state is the Redis server's ``TIME``, read in the same
  transaction; a pacer hands its own instants over as ages. Machines' clocks are never
  compared.
* **One fingerprint.** Each machine's cache folder has its own salt, so the key's salt is
  kept in Redis (``hubutk-pandas:salt``, written once by whoever comes first): every
  process reaching the server agrees on the key, and the credential is never stored.
* **Killed processes.** A slot in flight of a process on *this* host that no longer
  exists counts as answered at once; one on another host when its lease runs out (the
  request timeout, at least a window).
* **Idle windows vanish**: the key expires a few windows after its last use.

``redis`` (the Python client) is an optional dependency: ``pip install 'hubutk-pandas[redis]'``.
"""

from __future__ import annotations

import math
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TypeVar
from urllib.parse import urlsplit

from hubutk_pandas._http.window import Alive, WindowState, owner_alive
from hubutk_pandas.errors import CacheError
from hubutk_pandas.rate_window import shown_url

__all__ = ["KEY_PREFIX", "RedisWindow"]

T = TypeVar("T")

KEY_PREFIX = "hubutk-pandas:"
_SALT_KEY = KEY_PREFIX + "salt"
_TIMEOUT = 5.0
"""Seconds to connect to Redis, or to wait for one of its answers."""


class RedisWindow:
    """The window of one credential on a Redis server, shared by every process reaching it.

    Parameters
    ----------
    url
        A ``redis://``, ``rediss://`` or ``unix://`` URL (redis-py's ``from_url``).
    fingerprint
        Turns the salt kept in Redis into the credential's fingerprint.
    rate
        The configured ``(max_requests, seconds)``, for a window nobody has used yet.
    """

    kind = "redis"
    shared = True

    def __init__(
        self, url: str, fingerprint: Callable[[bytes], str], rate: tuple[int, float]
    ) -> None:
        try:
            import redis
        except ImportError as exc:
            raise ImportError(
                "rate_window=redis://... needs the redis client: pip install 'hubutk-pandas[redis]'"
            ) from exc
        self.location = shown_url(url)
        self._password = urlsplit(url).password or ""
        self._rate = (int(rate[0]), float(rate[1]))
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError,)
        self._watch_error = redis.WatchError
        self._lock = threading.Lock()
        self._redis = redis.Redis.from_url(
            url, socket_timeout=_TIMEOUT, socket_connect_timeout=_TIMEOUT
        )
        with self._failures():
            self._redis.set(_SALT_KEY, secrets.token_hex(32), nx=True)
            salt = self._redis.get(_SALT_KEY)
        try:
            salt_bytes = bytes.fromhex(salt.decode("ascii") if isinstance(salt, bytes) else "")
            if len(salt_bytes) != 32:
                raise ValueError("not 32 bytes")
        except ValueError as exc:
            raise CacheError(
                f"The shared rate window at {self.location} holds an unreadable salt "
                f"under {_SALT_KEY!r}; delete that key.",
                folder=self.location,
            ) from exc
        self._key = f"{KEY_PREFIX}window:{fingerprint(salt_bytes)}"

    def _failures(self) -> AbstractContextManager[None]:
        return _failures(self.location, self._errors, self._password)

    def run(self, decide: Callable[[WindowState, float, Alive], T]) -> T:
        """Read the state and the server's clock, ``decide``, write back unless beaten to it."""
        with self._lock, self._failures(), self._redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(self._key)
                    raw = pipe.get(self._key)
                    seconds, micros = pipe.time()
                    now = seconds + micros / 1e6
                    state = WindowState.load(raw, self._rate, now=now)
                    result = decide(state, now, owner_alive)
                    state.touched = now
                    ttl = math.ceil(max(60.0, 4 * state.interval + state.blocked_until - now))
                    pipe.multi()
                    pipe.set(self._key, state.to_json(), ex=ttl)
                    pipe.execute()
                    return result
                except self._watch_error:
                    continue  # another pacer changed the window meanwhile: decide again

    def close(self) -> None:
        """Close the connections; the window stays on the server for the others."""
        self._redis.close()


@contextmanager
def _failures(where: str, errors: tuple[type[BaseException], ...], password: str) -> Iterator[None]:
    """A failing Redis server is a :class:`CacheError` naming it (never its password)."""
    try:
        yield
    except errors as exc:
        text = str(exc).replace(password, "***") if password else str(exc)
        raise CacheError(
            f"The shared rate window at {where} failed ({type(exc).__name__}: {text}). "
            "Check that the Redis server is reachable, or pass rate_window='machine' "
            "(processes of this machine only) or 'client'.",
            folder=where,
        ) from None
