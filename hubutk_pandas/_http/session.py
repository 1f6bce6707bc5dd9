"""HTTP sessions (cached or not), credential fingerprints and redaction.

The retrying GET that uses these sessions lives in :mod:`~hubutk_pandas._http.transport`.

The HTTP cache is a requests-cache :class:`~requests_cache.CachedSession` on the SQLite
backend, built so that it can never leak or mix up credentials:

* ``hapikey`` is appended to requests-cache's ``DEFAULT_IGNORED_PARAMS`` (a list passed
  in *replaces* the defaults), so the key is neither part of a cache key nor stored in
  a cached URL; the ``Authorization`` header (sent in canonical case) is redacted by
  the defaults.
* Every cache key is mixed with a *credential fingerprint* - a salted SHA-256 of the
  credential, never the credential - so an answer fetched with one token is never
  served to another (two portals share URLs).
* Only ``200`` answers (and the Lists API's ``207`` partial answers) whose body parses
  as JSON are stored (``filter_fn``): a truncated or garbled body is never cached. GETs
  and the Lists API's POST batch reads are cached; requests-cache keys a POST by its
  JSON body too.

The salt is 32 random bytes kept in ``<cache folder>/salt``, so fingerprints are stable
across sessions but useless for guessing a token from a cache folder.

Logs: urllib3 and requests-cache log request URLs at DEBUG, which would show a legacy
``hapikey`` to anyone who turns DEBUG on for every logger. The sessions built here
therefore run each request inside :func:`redacted_logs`: while one of our requests is
running, those libraries' loggers carry a :class:`RedactingFilter` that rewrites the
credential values in records logged *by a thread running one of our requests* (never
drops a record, never touches anyone else's); when the last request ends, the filters
are removed, so the loggers are as the program left them. Headers, hence
``Authorization``, are not logged.

Examples
--------
>>> redact("GET /x?hapikey=abc123&utk=1", ["abc123"])
'GET /x?hapikey=REDACTED&utk=1'
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import secrets
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests
from requests.adapters import HTTPAdapter

from hubutk_pandas import _filemodes, _json, wire
from hubutk_pandas._http.plain import LightSession
from hubutk_pandas.errors import CacheError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from requests_cache import CachedSession

BUSY_TIMEOUT = 10.0
"""Seconds a cache read or write waits for another program's lock, by default."""

__all__ = [
    "CACHED_STATUSES",
    "HTTP_CACHE_FILE",
    "IGNORED_PARAMS",
    "RedactingFilter",
    "cache_folder",
    "credential_fingerprint",
    "default_cache_dir",
    "load_salt",
    "make_session",
    "redact",
    "redacted_logs",
    "trim_cache",
    "user_agent",
    "valid_json_200",
]

HTTP_CACHE_FILE = "http_cache.sqlite"
_SALT_FILE = "salt"
_SECRET_PARAMS = re.compile(
    r"(?i)\b(hapikey|access_token|api_key|apikey)=([^&\s#'\"]+)",
)
_BEARER = re.compile(r"(?i)\bBearer\s+[^\s'\",}]+")


def _ignored_params() -> tuple[str, ...]:
    from requests_cache import DEFAULT_IGNORED_PARAMS

    return (*tuple(DEFAULT_IGNORED_PARAMS), wire.API_KEY)


IGNORED_PARAMS: tuple[str, ...] = _ignored_params()
"""requests-cache's default ignored parameters plus ``hapikey``."""


def cache_folder(session: requests.Session) -> Path | None:
    """The folder of ``session``'s HTTP cache (``None`` for a session without one).

    Examples
    --------
    >>> cache_folder(requests.Session()) is None
    True
    """
    path = getattr(getattr(session, "cache", None), "db_path", None)
    return Path(path).parent if path else None


def user_agent() -> str:
    """``hubutk-pandas/<version>``, sent on every request.

    Examples
    --------
    >>> user_agent().startswith("hubutk-pandas/")
    True
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"hubutk-pandas/{version('hubutk-pandas')}"
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "hubutk-pandas/0+unknown"


def default_cache_dir() -> Path:
    """The per-user cache folder: ``<platform user cache dir>/hubutk-pandas``.

    Uses :mod:`platformdirs` (a requests-cache dependency), as requests-cache's
    ``use_cache_dir=True`` does.

    Examples
    --------
    >>> default_cache_dir().name
    'hubutk-pandas'
    """
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("hubutk-pandas"))


def load_salt(cache_dir: Path | None) -> bytes:
    """Read (or create) the folder's salt; a fresh random one without a folder.

    Examples
    --------
    >>> len(load_salt(None))
    32
    """
    if cache_dir is None:
        return secrets.token_bytes(32)
    path = cache_dir / _SALT_FILE
    try:
        # 0700 whatever the umask; an existing folder open to others gets a warning.
        _filemodes.make_folder(cache_dir, what="cache folder")
        try:
            # exclusive: first writer wins; 0600 whatever the umask
            with open(path, "x", encoding="ascii", opener=_filemodes.opener()) as handle:
                handle.write(secrets.token_hex(32))
        except FileExistsError:
            pass
        for _ in range(50):  # another process may be writing it right now
            text = path.read_text(encoding="ascii").strip()
            if len(text) == 64:
                return bytes.fromhex(text)
            time.sleep(0.01)
    except OSError as exc:  # a full disk, a folder that is a file, no permission
        raise CacheError.from_exception(cache_dir, exc) from exc
    raise CacheError(f"The salt file in the cache folder is unreadable: {path}", folder=cache_dir)


def credential_fingerprint(kind: str, secret: str, salt: bytes) -> str:
    """A short salted hash standing for a credential (16 hex characters).

    Examples
    --------
    >>> fp = credential_fingerprint("access_token", "t0ken", b"salt")
    >>> len(fp), "t0ken" in fp
    (16, False)
    """
    digest = hashlib.sha256(salt + b"\0" + kind.encode() + b"\0" + secret.encode())
    return digest.hexdigest()[:16]


def redact(text: str, secrets_: Iterable[str] = ()) -> str:
    """Remove credentials from ``text``: given secrets, ``hapikey=...``, ``Bearer ...``.

    Examples
    --------
    >>> redact("Authorization: Bearer abc", [])
    'Authorization: Bearer REDACTED'
    """
    for secret in secrets_:
        if secret:
            text = text.replace(secret, "REDACTED")
    text = _SECRET_PARAMS.sub(lambda m: f"{m.group(1)}=REDACTED", text)
    return _BEARER.sub("Bearer REDACTED", text)


class RedactingFilter(logging.Filter):
    """Rewrite a record that shows a credential parameter or Bearer token, if it is ours.

    Ours: logged by a thread that is running one of our requests (inside
    :func:`redacted_logs`); any other record passes untouched. Never drops a record.

    Examples
    --------
    >>> record = logging.LogRecord("urllib3", 10, "x", 1, '"GET /p?hapikey=%s"', ("k1",), None)
    >>> with redacted_logs():
    ...     RedactingFilter().filter(record), record.getMessage()
    (True, '"GET /p?hapikey=REDACTED"')
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if threading.get_ident() not in _requests_running:
            return True
        try:
            text = record.getMessage()
        except Exception:  # a broken record is the logging module's business
            return True
        clean = redact(text)
        if clean != text:
            record.msg, record.args = clean, None
        return True


_HTTP_LOGGERS = ("urllib3", "requests", "requests_cache")
_requests_running: Counter[int] = Counter()  # thread id -> our requests running in it
_installed: list[tuple[logging.Logger, RedactingFilter]] = []
_redaction_lock = threading.Lock()


@contextmanager
def redacted_logs() -> Iterator[None]:
    """Redact credentials in the HTTP libraries' log records of this thread, for the block.

    The first block to start (in any thread) gives every existing ``urllib3.*``,
    ``requests.*`` and ``requests_cache.*`` logger a :class:`RedactingFilter` (a
    logger-level filter sees only the records logged on that very logger); the last one
    to end removes them again. In between, the filters rewrite only records logged by
    threads inside such a block.

    Examples
    --------
    >>> def ours(name):
    ...     return [f for f in logging.getLogger(name).filters if isinstance(f, RedactingFilter)]
    >>> with redacted_logs():
    ...     len(ours("urllib3"))
    1
    >>> ours("urllib3")
    []
    """
    ident = threading.get_ident()
    with _redaction_lock:
        if not _requests_running:
            names = [
                n for n in list(logging.root.manager.loggerDict) if n.split(".")[0] in _HTTP_LOGGERS
            ]
            for name in sorted({*names, *_HTTP_LOGGERS}):
                target, redactor = logging.getLogger(name), RedactingFilter()
                target.addFilter(redactor)
                _installed.append((target, redactor))
        _requests_running[ident] += 1
    try:
        yield
    finally:
        with _redaction_lock:
            _requests_running[ident] -= 1
            if not _requests_running[ident]:
                del _requests_running[ident]
            if not _requests_running:
                while _installed:
                    target, redactor = _installed.pop()
                    target.removeFilter(redactor)


class _Session(LightSession):
    """A plain session whose requests run inside :func:`redacted_logs`.

    It is a :class:`~hubutk_pandas._http.plain.LightSession`: the lookups send through it,
    at up to 25 requests of a megabyte a second.
    """

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        with redacted_logs():
            return super().request(*args, **kwargs)


@functools.cache
def _cached_session_class() -> type[CachedSession]:
    """requests-cache's ``CachedSession``, its requests run inside :func:`redacted_logs`."""
    from requests_cache import CachedSession

    class _CachedSession(CachedSession):
        def request(self, *args: Any, **kwargs: Any) -> Any:
            with redacted_logs():
                return super().request(*args, **kwargs)

    return _CachedSession


_file_locks: dict[str, threading.RLock] = {}
_file_locks_guard = threading.Lock()


def _file_lock(path: Path) -> threading.RLock:
    """The one lock of this process for the cache file at ``path``."""
    key = str(path.resolve())
    with _file_locks_guard:
        return _file_locks.setdefault(key, threading.RLock())


@functools.cache
def _serialized_cache_class() -> type[Any]:
    """requests-cache's ``SQLiteCache``, every operation of this process taken in turn.

    requests-cache shares one SQLite connection among a session's threads and lets reads
    run while another thread holds the write transaction. Under many threads (the
    proxy's two dozen) that queued reads behind SQLite's busy timeout until lookups
    failed ("database is locked") or, with requests-cache 1.3, hung. A read or write of
    the cache takes a millisecond or two, so taking them one at a time per file costs
    nothing next to HubSpot's pacing; other programs on the same file still meet
    SQLite's own lock and wait up to the session's ``busy_timeout``.
    """
    from requests_cache import SQLiteCache

    class _SerializedSQLiteCache(SQLiteCache):
        def __init__(self, db_path: Path, **kwargs: Any) -> None:
            self._one_at_a_time = _file_lock(db_path)
            with self._one_at_a_time:
                super().__init__(db_path, **kwargs)

        def get_response(self, *args: Any, **kwargs: Any) -> Any:
            with self._one_at_a_time:
                return super().get_response(*args, **kwargs)

        def save_response(self, *args: Any, **kwargs: Any) -> None:
            with self._one_at_a_time:
                super().save_response(*args, **kwargs)

        def delete(self, *args: Any, **kwargs: Any) -> None:
            with self._one_at_a_time:
                super().delete(*args, **kwargs)

        def close(self) -> None:
            with self._one_at_a_time:
                super().close()

        def trim(self, max_bytes: int | None) -> int:
            """Drop expired answers, then the oldest past ``max_bytes``; the number dropped."""
            with self._one_at_a_time:
                before = self.responses.count()
                self.delete(expired=True, vacuum=False)
                live = _live_bytes(self.responses)
                if max_bytes is not None and live > max_bytes:
                    # Down to TRIM_LOW_WATER of the cap, so that the next sweeps find room.
                    count = self.responses.count()
                    share = 1.0 - max_bytes * TRIM_LOW_WATER / live
                    oldest = self.responses.sorted("expires", limit=max(1, int(count * share) + 1))
                    self.delete(*[r.cache_key for r in oldest], vacuum=False)
                    if self.responses.size() > 2 * max_bytes:  # a file left big by a lower cap
                        self.responses.vacuum()
                return int(before - self.responses.count())

    return _SerializedSQLiteCache


TRIM_LOW_WATER = 0.8
"""A trim past the cap drops the oldest answers until this share of the cap is used."""


def _live_bytes(storage: Any) -> int:
    """Bytes of a SQLite cache file in use (its free pages, reused by new answers, not)."""
    with storage.connection() as con:
        pages = con.execute("PRAGMA page_count").fetchone()[0]
        free = con.execute("PRAGMA freelist_count").fetchone()[0]
        size = con.execute("PRAGMA page_size").fetchone()[0]
    return int((pages - free) * size)


def trim_cache(session: requests.Session, max_bytes: int | None = None) -> int:
    """Sweep ``session``'s HTTP cache: expired answers, then the oldest past ``max_bytes``.

    requests-cache's own ``delete(expired=True)`` is the expiry sweep; past ``max_bytes``
    of live data the soonest-expiring (the oldest) answers go too, down to
    :data:`TRIM_LOW_WATER` of the cap. Freed pages are reused by later answers, so the file
    stays near the cap without a ``VACUUM`` (run only when the file is over twice the cap).
    Returns the number of answers dropped (0 without a cache).

    Examples
    --------
    >>> trim_cache(requests.Session())
    0
    """
    cache = getattr(session, "cache", None)
    if cache is None:
        return 0
    try:
        return int(cache.trim(max_bytes))
    except (OSError, sqlite3.Error) as exc:
        raise CacheError.from_exception(cache_folder(session), exc) from exc


CACHED_STATUSES = (200, 207)
"""Statuses whose answers are cached: success, and the Lists API's partial success."""


def valid_json_200(response: requests.Response) -> bool:
    """The cache filter: keep only ``200`` (or ``207``) answers whose body parses as JSON.

    Examples
    --------
    >>> r = requests.Response(); r.status_code = 200; r._content = b"{bad"
    >>> valid_json_200(r)
    False
    """
    if response.status_code not in CACHED_STATUSES:
        return False
    try:
        _json.loads(response.content)
    except (ValueError, TypeError, RecursionError):  # RecursionError: nested too deep
        return False
    return True


def make_session(
    *,
    cache_dir: Path | None,
    namespace: str,
    expire_after: timedelta | None,
    user_agent: str,
    pool_size: int = 4,
    busy_timeout: float = BUSY_TIMEOUT,
) -> requests.Session:
    """Build the session: a namespaced :class:`CachedSession`, or plain without a folder.

    Parameters
    ----------
    cache_dir
        The cache folder; ``None`` disables HTTP caching entirely.
    namespace
        The credential fingerprint (mixed into every cache key).
    expire_after
        How long answers stay fresh; ``None`` = never expire.
    user_agent
        Sent as ``User-Agent`` on every request.
    pool_size
        Connections kept per host (one per worker thread).
    busy_timeout
        Seconds a cache read or write waits while another program holds the file.

    Examples
    --------
    >>> s = make_session(cache_dir=None, namespace="x", expire_after=None, user_agent="ua")
    >>> s.headers["User-Agent"]
    'ua'
    """
    session: requests.Session
    if cache_dir is None:
        session = _Session()
    else:
        from requests_cache.cache_keys import create_key

        def key_fn(request: Any, **kwargs: Any) -> str:
            return f"{namespace}-{create_key(request, **kwargs)}"

        try:
            _filemodes.make_folder(cache_dir, what="cache folder", check=False)
            _filemodes.create_file(cache_dir / HTTP_CACHE_FILE)  # 0600, and so its journal
            # This process's threads take the file in turn (see _serialized_cache_class);
            # another program holding it is waited for up to busy_timeout.
            backend = _serialized_cache_class()(
                cache_dir / HTTP_CACHE_FILE, wal=False, busy_timeout=round(busy_timeout * 1000)
            )
            # What is deleted or replaced is overwritten with zeros, not left in free pages.
            for table in (backend.responses, backend.redirects):
                with table.connection() as con:
                    con.execute("PRAGMA secure_delete=ON")
            # Retention: requests-cache never deletes an answer past its expiry by itself
            # (it is only overwritten when asked again); personal data is not kept longer.
            backend.delete(expired=True, vacuum=False)
        except (OSError, sqlite3.Error) as exc:
            raise CacheError.from_exception(cache_dir, exc) from exc
        session = _cached_session_class()(
            backend=backend,
            expire_after=-1 if expire_after is None else expire_after,
            allowable_codes=CACHED_STATUSES,
            allowable_methods=("GET", "POST"),
            ignored_parameters=IGNORED_PARAMS,
            filter_fn=valid_json_200,
            key_fn=key_fn,
            stale_if_error=False,
        )
    adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = user_agent
    return session
