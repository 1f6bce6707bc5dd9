"""One rate window per credential per machine: a SQLite file beside the cache.

Every process using a credential (two notebooks, a scheduled ``hubutk lookup``, the
proxy) paces its requests on one :class:`~hubutk_pandas._http.window.WindowState`, kept
in ``<cache folder>/rate_window.sqlite`` as one row per credential *fingerprint* (a
salted hash made with the folder's salt; never the credential). Each decision is
optimistic, as on Redis: decide on the state as this process last wrote it, and write it
back with one ``UPDATE`` only if the row still holds that text; if another process wrote
meanwhile, read its state and decide again (after three misses, under ``BEGIN
IMMEDIATE``). Between two processes' turns one process mostly talks to itself, so a
decision is mostly one statement, never a decode. SQLite's lock is
released by the operating system when a process dies, even one killed while it held it,
and the write-ahead log keeps the file whole; slots that a killed process held in
flight are noticed as its own (``host/pid/token``) and counted as answered then (see
:mod:`~hubutk_pandas._http.window`).

The clock is :func:`time.monotonic`, one clock for every process of a machine (it
restarts at boot: a state touched "in the future" is from before a reboot, and starts
afresh). The file is for one machine: a cache folder shared across machines (a network
drive) would compare their clocks, and network file systems' locks are not to be
trusted. Use Redis for several machines (:mod:`~hubutk_pandas._http.redis_window`).

Examples
--------
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as folder:
...     window = SQLiteWindow(Path(folder), lambda salt: "fp", (10, 1.0))
...     print(window.run(lambda state, now, alive: state.max_requests), window.kind)
...     window.close()
10 machine
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from hubutk_pandas import _filemodes
from hubutk_pandas._http.session import BUSY_TIMEOUT, load_salt
from hubutk_pandas._http.window import Alive, WindowState, owner_alive
from hubutk_pandas.errors import CacheError

__all__ = ["WINDOW_FILE", "SQLiteWindow"]

T = TypeVar("T")

WINDOW_FILE = "rate_window.sqlite"
_OPTIMISTIC = 3
"""Optimistic tries of a decision before it takes the write lock (:meth:`SQLiteWindow.run`)."""
_FORGET_AFTER = 7 * 86_400.0
"""Rows of credentials unused for a week are dropped when a window is opened."""


class SQLiteWindow:
    """The window of one credential in ``folder``'s ``rate_window.sqlite``, shared by processes.

    Parameters
    ----------
    folder
        The cache folder (created if missing). Its salt keys the window.
    fingerprint
        Turns the folder's salt into the credential's fingerprint.
    rate
        The configured ``(max_requests, seconds)``, for a window nobody has used yet.
    """

    kind = "machine"
    shared = True

    def __init__(
        self, folder: Path, fingerprint: Callable[[bytes], str], rate: tuple[int, float]
    ) -> None:
        self._folder = folder
        self.location = str(folder / WINDOW_FILE)
        self._rate = (int(rate[0]), float(rate[1]))
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._mine: tuple[str, WindowState] | None = None  # our last write, as text and state
        self._pid = os.getpid()
        self._key = fingerprint(load_salt(folder))  # CacheError if the folder is unusable
        with _failures(self._folder):
            self._connect()

    def _connect(self) -> sqlite3.Connection:
        # 0600 whatever the umask, and so its WAL and shared-memory files (no personal data,
        # but nobody else's business: which credentials are busy, and when)
        _filemodes.create_file(Path(self.location))
        conn = sqlite3.connect(
            self.location,
            timeout=BUSY_TIMEOUT,
            isolation_level=None,  # autocommit: one statement is one transaction
            check_same_thread=False,  # this object's lock takes turns
        )
        try:
            conn.execute("PRAGMA journal_mode=WAL")  # readers never wait; survives kill -9
            conn.execute("PRAGMA synchronous=NORMAL")  # no fsync per commit; still whole
            conn.execute(
                "CREATE TABLE IF NOT EXISTS windows ("
                "key TEXT PRIMARY KEY, state TEXT NOT NULL, updated REAL NOT NULL)"
            )
            conn.execute("DELETE FROM windows WHERE updated < ?", (time.time() - _FORGET_AFTER,))
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        return conn

    def run(self, decide: Callable[[WindowState, float, Alive], T]) -> T:
        """Load this credential's state, ``decide`` on it, write it back: atomically.

        Optimistic first: the state is decided on as this window last wrote it (or as read),
        and written back only if the row still holds that text (one ``UPDATE``, which is
        also the whole transaction). Another process that wrote meanwhile makes the write
        miss: the row is read again and ``decide`` runs again on it, as on Redis. After
        :data:`_OPTIMISTIC` misses the decision takes the file's write lock first
        (``BEGIN IMMEDIATE``), so a busy window still makes progress.

        One statement instead of four: each SQLite call lets go of the GIL, and getting it
        back waits behind the lookup's workers (up to a switch interval, or a whole batch's
        decode). Inside a 190-per-10-s lookup, a decision's four calls took 1.2 ms at the
        median and 152 ms at the 99th percentile, against 0.17 ms alone.
        """
        with self._lock, _failures(self._folder):
            if self._pid != os.getpid():  # a forked child: never use the parent's connection
                self._conn, self._pid, self._mine = None, os.getpid(), None
            conn = self._conn if self._conn is not None else self._connect()
            for _ in range(_OPTIMISTIC):
                kept = self._optimistic(conn, decide)
                if kept is not None:
                    return kept[0]
            return self._locked(conn, decide)

    def _optimistic(
        self, conn: sqlite3.Connection, decide: Callable[[WindowState, float, Alive], T]
    ) -> tuple[T] | None:
        """Decide on the state as last known; write it if nobody else wrote: ``(result,)``."""
        mine, self._mine = self._mine, None  # dropped if this decision fails or misses
        now = time.monotonic()
        expected: str | None
        if mine is not None and not mine[1].stale(now):
            expected, state = mine  # nobody else wrote since we did, unless the write misses
        else:
            rows = conn.execute(
                "SELECT state FROM windows WHERE key = ?", (self._key,)
            ).fetchall()  # to the end: no read transaction left open
            now = time.monotonic()  # after the read: never before a time already stored
            expected = rows[0][0] if rows else None
            state = WindowState.load(expected, self._rate, now=now)
        result = decide(state, now, owner_alive)
        state.touched = now
        written = state.to_json()
        if expected is None:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO windows (key, state, updated) VALUES (?, ?, ?)",
                (self._key, written, time.time()),
            )
        else:
            cursor = conn.execute(
                "UPDATE windows SET state = ?, updated = ? WHERE key = ? AND state = ?",
                (written, time.time(), self._key, expected),
            )
        if cursor.rowcount != 1:
            return None  # another process wrote first: decide again on what it wrote
        self._mine = (written, state)
        return (result,)

    def _locked(
        self, conn: sqlite3.Connection, decide: Callable[[WindowState, float, Alive], T]
    ) -> T:
        """Decide holding the file's write lock: read, decide, write, in one transaction."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT state FROM windows WHERE key = ?", (self._key,)).fetchone()
            now = time.monotonic()
            state = WindowState.load(row[0] if row else None, self._rate, now=now)
            result = decide(state, now, owner_alive)
            state.touched = now
            written = state.to_json()
            conn.execute(
                "INSERT OR REPLACE INTO windows (key, state, updated) VALUES (?, ?, ?)",
                (self._key, written, time.time()),
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self._mine = (written, state)
        return result

    def close(self) -> None:
        """Close the connection; the window stays in the file for the other processes."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


@contextmanager
def _failures(folder: Path) -> Iterator[None]:
    """A failing window file or folder is a :class:`CacheError` naming the folder."""
    try:
        yield
    except (sqlite3.Error, OSError) as exc:
        raise CacheError(
            f"The shared rate window in {folder} failed ({type(exc).__name__}: {exc}). Free "
            "some disk space, check the folder, or pass rate_window='client' (this client "
            "paces alone) or another folder.",
            folder=folder,
        ) from exc
