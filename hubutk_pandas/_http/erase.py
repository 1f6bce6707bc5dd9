"""The cache folder's side of personal data: find and erase a contact, describe, empty.

Two files of the cache folder hold contacts' data (:mod:`~hubutk_pandas._http.store` and
:mod:`~hubutk_pandas._http.session` say how they are written):

* ``records.sqlite``, the record store: one row per ``(namespace, utk)``, the record's JSON;
* ``http_cache.sqlite``, requests-cache's: whole answers, a batch answer holding up to 100
  contacts.

Each is a :class:`~hubutk_pandas.erasure.Holder` here. A contact is searched across every
namespace (every credential, portal and set of options that ever wrote the folder): a first
pass looks for plain fragments of the identifiers in the stored text
(:func:`~hubutk_pandas.erasure.search_needles`: in SQL for the store, in the answer's bytes
for the HTTP cache), then only those candidates are decoded and matched exactly. A row or an
answer that holds the contact, or was asked for one of its utks, is deleted whole: a batch
answer holds other contacts too, which simply costs a refetch. An answer that cannot be
decoded (a damaged or foreign entry, which requests-cache could not serve either) cannot be
checked, and is deleted too when it might hold the contact.

Deletes run with SQLite's ``secure_delete`` on, so the deleted content is overwritten with
zeros in the database file rather than left in its free pages. No request is sent.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> from hubutk_pandas._http.store import RecordStore
>>> from hubutk_pandas.erasure import Identifiers
>>> folder = Path(tempfile.mkdtemp())
>>> with RecordStore(folder) as store:
...     store.put("ns", {"u1": {"vid": 1}, "u2": {"vid": 2}, "u3": None})
>>> holder = RecordStoreHolder(folder)
>>> sorted(holder.find(Identifiers.given(vids=[1])).utks)
['u1']
>>> print(holder.erase(Identifiers.given(utks=["u1", "u3"])))  # doctest: +ELLIPSIS
record store .../records.sqlite: removed 2 records
>>> facts = folder_facts(folder)
>>> facts["records"], facts["answers"]
(1, 0)
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from hubutk_pandas._http.session import BUSY_TIMEOUT, HTTP_CACHE_FILE, _file_lock
from hubutk_pandas._http.store import RECORD_STORE_FILE
from hubutk_pandas.erasure import (
    Identifiers,
    Removal,
    record_identifiers,
    search_needles,
    union,
)
from hubutk_pandas.errors import CacheError

__all__ = ["HttpCacheHolder", "RecordStoreHolder", "clear_folder", "folder_facts"]

_SQL_NEEDLES = 100  # instr() tests per query; beyond 200 needles in all, a full scan
_MAX_NEEDLES = 200
_IN = 500  # parameters per IN (...)
_FETCH = 64  # rows decoded at a time (an answer can be megabytes)
_JOURNALS = ("-journal", "-wal", "-shm")


@contextmanager
def _database(folder: Path, path: Path) -> Iterator[sqlite3.Connection | None]:
    """A connection to an existing cache database (``None`` if there is none); failures as
    :class:`CacheError`. Deletes through it overwrite the deleted content."""
    if not path.exists():
        yield None
        return
    try:
        with closing(sqlite3.connect(path, timeout=BUSY_TIMEOUT)) as con:
            con.execute("PRAGMA secure_delete=ON")
            yield con
    except (sqlite3.Error, OSError) as exc:
        raise CacheError.from_exception(folder, exc) from exc


def _has_table(con: sqlite3.Connection, name: str) -> bool:
    found = con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,))
    return found.fetchone() is not None


class RecordStoreHolder:
    """The record store of a cache folder, as a place to find and erase contacts."""

    place = "record store"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / RECORD_STORE_FILE

    def _candidates(self, con: sqlite3.Connection, who: Identifiers) -> Iterator[tuple[Any, ...]]:
        """``(rowid, utk, record)`` of every row that may hold ``who`` (a superset)."""
        needles = search_needles(who)
        if needles is None or len(needles) > _MAX_NEEDLES:
            yield from con.execute("SELECT rowid, utk, record FROM records")
            return
        utks = sorted(who.utks)
        for i in range(0, len(utks), _IN):
            chunk = utks[i : i + _IN]
            yield from con.execute(
                "SELECT rowid, utk, record FROM records WHERE utk IN "
                f"({','.join('?' * len(chunk))})",
                chunk,
            )
        for i in range(0, len(needles), _SQL_NEEDLES):
            chunk = needles[i : i + _SQL_NEEDLES]
            tests = " OR ".join(["instr(lower(record), ?) > 0"] * len(chunk))
            yield from con.execute(
                f"SELECT rowid, utk, record FROM records WHERE record IS NOT NULL AND ({tests})",
                chunk,
            )

    def _matching(self, con: sqlite3.Connection, who: Identifiers) -> tuple[set[int], Identifiers]:
        rows: set[int] = set()
        found: list[Identifiers] = []
        for rowid, utk, record in self._candidates(con, who):
            if rowid in rows:
                continue
            if record is None:
                ids = Identifiers(utks=frozenset({utk}))
            else:
                try:
                    ids = record_identifiers(json.loads(record), utk=utk)
                except ValueError:  # a damaged row (a miss for the store): it may be theirs
                    ids = Identifiers(utks=frozenset({utk}))
                    if utk not in who.utks:
                        rows.add(rowid)
                        continue
            if ids.meets(who):
                rows.add(rowid)
                found.append(ids)
        return rows, union(found)

    def find(self, who: Identifiers) -> Identifiers:
        with _database(self.folder, self.path) as con:
            if con is None or not _has_table(con, "records"):
                return Identifiers()
            return self._matching(con, who)[1]

    def erase(self, who: Identifiers) -> Removal:
        with _database(self.folder, self.path) as con:
            if con is None or not _has_table(con, "records"):
                return Removal(self.place, self.path, {}, "no record store")
            with con:  # one transaction: the rows found are the rows deleted
                con.execute("BEGIN IMMEDIATE")
                rows = sorted(self._matching(con, who)[0])
                for i in range(0, len(rows), _IN):
                    chunk = rows[i : i + _IN]
                    con.execute(
                        f"DELETE FROM records WHERE rowid IN ({','.join('?' * len(chunk))})",
                        chunk,
                    )
        return Removal(self.place, self.path, {"records": len(rows)})


def _holds(content: bytes, needles: list[bytes]) -> bool:
    lowered = content.lower()
    return any(needle in lowered for needle in needles)


def _load_response(value: bytes) -> Any:
    """A stored answer as requests-cache stores it (``None`` if it cannot be decoded)."""
    from requests_cache.backends.base import DESERIALIZE_ERRORS
    from requests_cache.serializers import pickle_serializer  # SQLiteCache's default

    try:
        return pickle_serializer.loads(value)
    except DESERIALIZE_ERRORS:  # what requests-cache itself treats as "not cached"
        return None


class HttpCacheHolder:
    """The HTTP cache of a cache folder, as a place to find and erase contacts."""

    place = "HTTP cache"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / HTTP_CACHE_FILE

    def _scan(
        self, con: sqlite3.Connection, who: Identifiers
    ) -> tuple[list[str], int, Identifiers]:
        """The keys of the answers holding ``who`` (how many of them unreadable), and every
        identifier of the contacts that met it."""
        needles = search_needles(who)
        byte_needles = None if needles is None else [n.encode() for n in needles]
        keys: list[str] = []
        unreadable = 0
        found: list[Identifiers] = []
        cursor = con.execute("SELECT key, value FROM responses")
        while rows := cursor.fetchmany(_FETCH):
            for key, value in rows:
                response = _load_response(value)
                if response is None:
                    keys.append(key)
                    unreadable += 1
                    continue
                url = str(getattr(response, "url", "") or "")
                asked = who.utks & set(parse_qs(urlsplit(url).query).get("utk", []))
                content = getattr(response, "content", None) or b""
                if not asked and byte_needles is not None and not _holds(content, byte_needles):
                    continue
                here = [Identifiers(utks=frozenset(asked))] if asked else []
                try:
                    data = json.loads(content) if content else None
                except ValueError:  # never stored (only valid JSON is), but a damaged file
                    data = None
                if isinstance(data, dict):
                    keyed_by_utk = "/byUtk/" in url
                    for answer_key, record in data.items():
                        ids = record_identifiers(record, utk=answer_key if keyed_by_utk else None)
                        if ids.meets(who):
                            here.append(ids)
                if here:
                    keys.append(key)
                    found.extend(here)
        return keys, unreadable, union(found)

    def find(self, who: Identifiers) -> Identifiers:
        with _database(self.folder, self.path) as con:
            if con is None or not _has_table(con, "responses"):
                return Identifiers()
            return self._scan(con, who)[2]

    def erase(self, who: Identifiers) -> Removal:
        # This process's sessions on the file take it in turn with us (session._file_lock).
        with _file_lock(self.path), _database(self.folder, self.path) as con:
            if con is None or not _has_table(con, "responses"):
                return Removal(self.place, self.path, {}, "no HTTP cache")
            with con:
                con.execute("BEGIN IMMEDIATE")
                keys, unreadable, _ = self._scan(con, who)
                redirects = _has_table(con, "redirects")
                for i in range(0, len(keys), _IN):
                    chunk = keys[i : i + _IN]
                    marks = ",".join("?" * len(chunk))
                    con.execute(f"DELETE FROM responses WHERE key IN ({marks})", chunk)
                    if redirects:
                        con.execute(f"DELETE FROM redirects WHERE value IN ({marks})", chunk)
        removed = {"answers": len(keys) - unreadable}
        if unreadable:
            removed["unreadable answers"] = unreadable
        note = "whole answers: the other contacts they held are fetched again when asked"
        return Removal(self.place, self.path, removed, note if keys else "")


def _stamp(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, tz=timezone.utc)


def folder_facts(folder: Path, *, retention_seconds: float | None = None) -> dict[str, Any]:
    """What the cache folder holds: files and sizes, entries, oldest and newest, expired.

    ``retention_seconds``: a record stored longer ago than that counts as expired (the
    record store has no expiry of its own: a client deletes rows older than its own
    ``expire_after`` when it opens the folder); an HTTP answer is expired past the expiry
    it was stored with.
    """
    facts: dict[str, Any] = {
        "folder": folder,
        "exists": folder.is_dir(),
        "mode": None,
        "files": {},
        "size": 0,
        "records": 0,
        "answers": 0,
        "oldest": None,
        "newest": None,
        "expired": 0,
    }
    if not facts["exists"]:
        return facts
    try:
        facts["mode"] = stat.S_IMODE(folder.stat().st_mode)
        for path in sorted(folder.iterdir()):
            if path.is_file():
                facts["files"][path.name] = path.stat().st_size
    except OSError as exc:
        raise CacheError.from_exception(folder, exc) from exc
    facts["size"] = sum(facts["files"].values())
    stamps: list[float] = []
    now = time.time()
    with _database(folder, folder / RECORD_STORE_FILE) as con:
        if con is not None and _has_table(con, "records"):
            count, oldest, newest = con.execute(
                "SELECT count(*), min(stored_at), max(stored_at) FROM records"
            ).fetchone()
            facts["records"] = count
            stamps += [s for s in (oldest, newest) if s is not None]
            if retention_seconds is not None:
                (facts["expired"],) = con.execute(
                    "SELECT count(*) FROM records WHERE stored_at < ?", (now - retention_seconds,)
                ).fetchone()
    with _database(folder, folder / HTTP_CACHE_FILE) as con:
        if con is not None and _has_table(con, "responses"):
            (expired,) = con.execute(
                "SELECT count(*) FROM responses WHERE expires <= ?", (round(now),)
            ).fetchone()
            facts["expired"] += expired
            cursor = con.execute("SELECT value FROM responses")
            while rows := cursor.fetchmany(_FETCH):
                for (value,) in rows:
                    facts["answers"] += 1
                    created = getattr(_load_response(value), "created_at", None)
                    if isinstance(created, datetime):
                        if created.tzinfo is None:  # requests-cache stores naive UTC
                            created = created.replace(tzinfo=timezone.utc)
                        stamps.append(created.timestamp())
    facts["oldest"] = _stamp(min(stamps)) if stamps else None
    facts["newest"] = _stamp(max(stamps)) if stamps else None
    return facts


def clear_folder(folder: Path) -> Removal:
    """Empty the cache folder: every record and every answer, in place; the salt stays.

    In place (``DELETE``, then ``VACUUM``, which rewrites the file without the old pages)
    rather than by deleting the files, so that a program running with the cache open (a
    proxy, a notebook) sees an empty cache too, instead of carrying on with a deleted file
    of its own. A file SQLite cannot read (damaged) is deleted with its journals.
    """
    removed = {"records": 0, "answers": 0}
    note = []
    for name, tables, counted in (
        (RECORD_STORE_FILE, ("records",), "records"),
        (HTTP_CACHE_FILE, ("responses", "redirects"), "answers"),
    ):
        path = folder / name
        try:
            with _file_lock(path), _database(folder, path) as con:
                if con is None:
                    continue
                for table in tables:
                    if _has_table(con, table):
                        gone = con.execute(f"DELETE FROM {table}").rowcount
                        if table == tables[0]:
                            removed[counted] = max(gone, 0)
                con.commit()
                con.execute("VACUUM")
        except CacheError as exc:
            if not isinstance(exc.__cause__, sqlite3.DatabaseError) or isinstance(
                exc.__cause__, sqlite3.OperationalError
            ):
                raise  # locked, full disk, no permission: not ours to delete around
            for suffix in ("", *_JOURNALS):
                try:
                    os.unlink(f"{path}{suffix}")
                except FileNotFoundError:
                    pass
                except OSError as gone:
                    raise CacheError.from_exception(folder, gone) from gone
            note.append(f"{name} was unreadable and was deleted")
    return Removal("cache", folder, removed, "; ".join(note))
