"""The per-utk record store that makes reruns incremental.

Why a second cache next to the HTTP cache? The HTTP cache stores whole batch
answers, keyed by the batch URL. Rerun a lookup after a column gained a few utks and
almost every batch URL changes (utks shift between batches), so the HTTP cache
misses and every batch is fetched again. This store instead remembers the answer
*per utk*: a rerun sends only the utks it has never seen (``ceil(k / 100)`` requests
for ``k`` new utks), and an unchanged rerun sends none.

Design
------
* One SQLite file, ``records.sqlite``, in the cache folder (none when caching is off).
* A row per ``(namespace, utk)``, where ``namespace`` is a SHA-256 over the credential
  fingerprint (a salted hash, never the credential), the base URL, the endpoint and
  the options fingerprint (properties, property mode, form-submission mode, list
  memberships, deletes) - so answers never cross credentials, portals or options.
* The value is the record's JSON, or ``NULL`` for "HubSpot knows no contact with this
  utk": misses are remembered too, so they cost nothing on a rerun. A lookup stores each
  record's text as HubSpot sent it, cut out of the batch answer
  (:class:`~hubutk_pandas._json.SentObject`), and encodes only what it could not cut
  (or trimmed itself). :meth:`RecordStore.get`
  returns the records decoded (orjson), which also checks them: a row that is not a JSON
  object is a miss. The in-memory lookup reads them with the collector paused (see
  :mod:`hubutk_pandas._gc`).
* Rows carry their storing time (indexed); rows older than the expiry are ignored, and
  swept when the store opens and before a lookup asks which utks it holds.
* A failing file or folder (a full disk, a lock held too long, a damaged database) is a
  :class:`~hubutk_pandas.errors.CacheError` naming the folder; a damaged *row* is a miss.

The vid-keyed ``utks`` endpoint cannot say which utk a record belongs to, so it cannot
fill this store (except for a batch of one utk, which the client does not special-case).
For it the client relies on the HTTP cache, which is per batch: batches are planned
in first-seen order, so appending utks to a column leaves the earlier full batches -
and their cache entries - unchanged, and a rerun costs about ``ceil(k / 100) + 1``
requests.

Examples
--------
>>> store = RecordStore(None)      # in memory, for the example
>>> store.put("ns", {"u1": {"vid": 1}, "u2": None})
>>> store.get("ns", ["u1", "u2", "u3"])
{'u1': {'vid': 1}, 'u2': None}
>>> store.close()
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from hubutk_pandas import _filemodes, _json
from hubutk_pandas._gc import collector_paused
from hubutk_pandas.errors import CacheError

PAGE_SIZE = 16384
"""Bytes per page of a new record store file."""

__all__ = ["PAGE_SIZE", "RECORD_STORE_FILE", "RecordStore", "collector_paused", "namespace_for"]

logger = logging.getLogger(__name__)

RECORD_STORE_FILE = "records.sqlite"
_CHUNK = 500  # SQLite variables per query stay well under the 999/32766 limits


def _in_chunks(utks: Sequence[str]) -> Iterator[tuple[list[str], str]]:
    """``utks`` in runs of :data:`_CHUNK`, each with its ``?,?,...`` placeholders for ``IN``."""
    for start in range(0, len(utks), _CHUNK):
        chunk = list(utks[start : start + _CHUNK])
        yield chunk, ",".join("?" * len(chunk))


def namespace_for(*parts: Any) -> str:
    """A stable hash over the parts that must all match for a stored answer to apply.

    Examples
    --------
    >>> namespace_for("fp", "http://h", "byUtk", {"a": 1}) == namespace_for(
    ...     "fp", "http://h", "byUtk", {"a": 1})
    True
    """
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


_Method = TypeVar("_Method", bound=Callable[..., Any])


def _cache_failures(method: _Method) -> _Method:
    """Raise a failing database or folder of the store as a :class:`CacheError`."""

    @functools.wraps(method)
    def translated(self: RecordStore, *args: Any, **kwargs: Any) -> Any:
        with self._failures():
            return method(self, *args, **kwargs)

    return translated  # type: ignore[return-value]


class RecordStore:
    """Per-utk answers in SQLite; ``None`` as folder means an in-memory store.

    Parameters
    ----------
    cache_dir
        The cache folder, or ``None`` for a throwaway in-memory store.
    expire_after
        How long a stored answer is used; ``None`` = forever.
    busy_timeout
        Seconds a read or write waits while another program holds the file.

    Examples
    --------
    >>> with RecordStore(None, expire_after=timedelta(0)) as store:
    ...     store.put("ns", {"u": {"vid": 1}})
    ...     store.get("ns", ["u"])   # expired at once
    {}
    """

    def __init__(
        self,
        cache_dir: Path | None,
        *,
        expire_after: timedelta | None = None,
        busy_timeout: float = 10.0,
    ) -> None:
        self._folder = cache_dir
        self._ttl = None if expire_after is None else expire_after.total_seconds()
        self._lock = threading.Lock()
        with self._failures():
            if cache_dir is None:
                target = ":memory:"
            else:
                _filemodes.make_folder(cache_dir, what="cache folder", check=False)
                _filemodes.create_file(cache_dir / RECORD_STORE_FILE)  # 0600, and its journal
                target = str(cache_dir / RECORD_STORE_FILE)
            self._db = sqlite3.connect(target, check_same_thread=False, timeout=busy_timeout)
            # Expired, replaced and forgotten rows are overwritten, not left in free pages.
            self._db.execute("PRAGMA secure_delete=ON")
            # A new file gets 16 KB pages (an existing one keeps its own): a record with full
            # history is about 10 KB, which on 4 KB pages spills into a chain of overflow
            # pages. Writing 10,000 such records: 0.029 -> 0.018 ms each (thin records:
            # 0.012 -> 0.008; medians of 10 runs, alternating).
            self._db.execute(f"PRAGMA page_size={PAGE_SIZE}")
        with self._lock, self._failures(), self._db:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS records (namespace TEXT NOT NULL, utk TEXT NOT NULL,"
                " record TEXT, stored_at REAL NOT NULL, PRIMARY KEY (namespace, utk))"
            )
            # Expired rows are found by this index, not by reading every row: at each
            # open, and before each lookup asks which utks have a stored answer (a client
            # kept open past the expiry, in a notebook left until the next day).
            self._db.execute("CREATE INDEX IF NOT EXISTS records_stored_at ON records (stored_at)")
            self._sweep()

    def _sweep(self) -> None:
        """Delete the expired rows (the caller holds the lock); a probe when there are none."""
        if self._ttl is None:
            return
        cutoff = time.time() - self._ttl
        if self._db.execute(
            "SELECT 1 FROM records WHERE stored_at < ? LIMIT 1", (cutoff,)
        ).fetchone():
            with self._db:
                self._db.execute("DELETE FROM records WHERE stored_at < ?", (cutoff,))

    @_cache_failures
    def get(
        self, namespace: str, utks: Sequence[str], *, typed: bool = False
    ) -> dict[str, dict[str, Any] | None]:
        """Fresh answers for those ``utks`` that have one: the decoded record, or ``None``.

        ``typed=True``: properties decoded as :mod:`~hubutk_pandas._typed` entries
        where the record allows it (the in-memory lookups' warm reruns).

        ``None`` means "not found" (remembered). Each row is decoded here, which is also
        its check: a row that is not a JSON object (a damaged file) counts as not cached,
        with a warning in the log, so the lookup fetches it again. (SQLite's ``json_valid``
        checked the rows before, parsing each record once more: a tenth of a warm rerun.)
        The collector is paused while reading; the caller keeps the records inside a pause
        of its own (the in-memory lookup does) so that they are never rescanned.
        """
        found: dict[str, dict[str, Any] | None] = {}
        damaged = 0
        oldest = -1.0 if self._ttl is None else time.time() - self._ttl
        loads: Callable[[Any], Any] = _json.loads
        if typed:
            from hubutk_pandas._typed import decode_record as loads
        with self._lock, collector_paused():  # no rescans of the rows and records while reading
            for chunk, marks in _in_chunks(utks):
                rows = self._db.execute(
                    "SELECT utk, record FROM records"
                    f" WHERE namespace = ? AND utk IN ({marks}) AND stored_at > ?",
                    (namespace, *chunk, oldest),
                ).fetchall()
                for utk, text in rows:
                    if text is None:
                        found[utk] = None
                        continue
                    try:
                        record = loads(text)
                    except (ValueError, TypeError, RecursionError):  # not JSON text at all
                        record = None
                    if isinstance(record, dict):
                        found[utk] = record
                    else:  # a damaged row is a cache miss, never a failed lookup
                        damaged += 1
        if damaged:
            logger.warning(
                "record store: %d unreadable cached records, fetching them again", damaged
            )
        return found

    @_cache_failures
    def held(self, namespace: str, utks: Sequence[str]) -> set[str]:
        """Which of ``utks`` have a stored answer, from the key index alone (no row read).

        Expired rows are swept first, so that a store kept open past its expiry does not
        claim them. A damaged row counts, and :meth:`get` will not return it. About 2 µs a
        utk.
        """
        held: set[str] = set()
        with self._lock:
            self._sweep()
            for chunk, marks in _in_chunks(utks):
                held.update(
                    utk
                    for (utk,) in self._db.execute(
                        f"SELECT utk FROM records WHERE namespace = ? AND utk IN ({marks})",
                        (namespace, *chunk),
                    )
                )
        return held

    @_cache_failures
    def put(self, namespace: str, answers: Mapping[str, Mapping[str, Any] | str | None]) -> None:
        """Store answers for their utks: a record, its JSON text, or ``None`` for not found.

        A record's text is stored as it is (as HubSpot sent it: see
        :class:`~hubutk_pandas._json.SentObject`); a decoded record is encoded.
        """
        now = time.time()
        rows: Iterable[tuple[str, str, str | None, float]] = [
            (namespace, utk, rec if rec is None or type(rec) is str else _json.dumps(rec), now)
            for utk, rec in answers.items()
        ]
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?)", rows)

    @contextmanager
    def _failures(self) -> Iterator[None]:
        """A failing database or folder (full disk, locked, damaged) is a :class:`CacheError`."""
        try:
            yield
        except (sqlite3.Error, OSError) as exc:
            raise CacheError.from_exception(self._folder, exc) from exc

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> RecordStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
