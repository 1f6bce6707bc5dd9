"""The resume state of a dataset on disk (SQLite), and the lock that says "in use".

``<dataset>/_state.sqlite`` holds, so that no set of the size of the input is ever kept
in Python:

* ``utks``: every distinct cleaned input value in first-seen order (``seq``), whether it
  can be a utk, and the part it was written in (``NULL`` while pending). Adding an input
  is ``INSERT OR IGNORE``: the dedupe happens in SQLite's unique index, in blocks.
* ``vids``: every vid whose rows are written (so a contact reached by two utks in
  different chunks is written once).
* ``parts``: parts whose files are complete (committed) and whether they are renamed
  into place (published). A part's utks, vids, row counts and its ``parts`` row are
  committed in one transaction *after* its files are written under temporary names and
  *before* they are renamed; a part committed but not published is rolled forward on the
  next open (see :mod:`hubutk_pandas.dataset.writer`).

``<dataset>/_lock`` is locked with ``fcntl.flock`` while a writer has the dataset open: a
second writer gets :class:`~hubutk_pandas.errors.DatasetInUseError`. The kernel drops the
lock when the process ends, however it ends (``kill -9`` included).

Examples
--------
>>> import tempfile, pathlib
>>> state = ResumeState(pathlib.Path(tempfile.mkdtemp()) / "_state.sqlite")
>>> state.add(["a", " a", None, "b;c", "d"])
(2, 1)
>>> [(seq, utk, valid) for seq, utk, valid in state.pending(0, 10)]
[(1, 'a', True), (2, 'b;c', False), (3, 'd', True)]
>>> state.close()
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

from hubutk_pandas import _filemodes
from hubutk_pandas import utks as utks_rules
from hubutk_pandas.errors import DatasetInUseError

__all__ = ["DatasetLock", "ResumeState"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS utks (
    seq INTEGER PRIMARY KEY, utk TEXT NOT NULL UNIQUE, valid INTEGER NOT NULL, part INTEGER);
CREATE INDEX IF NOT EXISTS utks_pending ON utks (seq) WHERE part IS NULL;
CREATE TABLE IF NOT EXISTS vids (vid INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS parts (
    part INTEGER PRIMARY KEY, published INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS counts (frame TEXT PRIMARY KEY, rows INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS rewrites (
    frame TEXT NOT NULL, part INTEGER NOT NULL, PRIMARY KEY (frame, part));
"""
_BLOCK = 50_000
_ADD = "INSERT OR IGNORE INTO utks (utk, valid) VALUES (?, ?)"
_IN = 500  # parameters per IN (...) query


def _blocks(values: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(values)
    while block := list(islice(it, size)):
        yield block


class ResumeState:
    """One dataset's resume state (see the module docstring). Not shared between threads:
    the fetching thread opens its own reader with :meth:`reader`."""

    def __init__(self, path: Path, *, create: bool = True) -> None:
        self.path = path
        if not create and not path.exists():
            raise FileNotFoundError(path)
        if create:
            _filemodes.create_file(path)  # 0600 (its WAL and shared memory follow), if new
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=True)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        if create:
            self._db.executescript(_SCHEMA)

    def reader(self) -> ResumeState:
        """A second connection to the same file (for another thread)."""
        return ResumeState(self.path, create=False)

    def close(self) -> None:
        self._db.close()

    # ----------------------------------------------------------------- input
    def add(self, values: Iterable[Any]) -> tuple[int, int]:
        """Add a column's values (cleaned as the client cleans them): ``(new valid, new invalid)``.

        Values already present are ignored; new ones keep their first-seen order.
        """
        if isinstance(values, (str, bytes)):
            values = [values]
        new_valid = new_invalid = 0
        for block in _blocks(values, _BLOCK):
            cleaned = utks_rules.clean_utks(block, warn=False)
            invalid = set(cleaned.invalid)
            self._db.execute("BEGIN")
            # Runs of valid values in one executemany each (its rowcount: the rows added), in
            # input order; the rare invalid value alone. One execute per value was a tenth of
            # a streamed lookup of thin records.
            run: list[tuple[str, bool]] = []
            for utk in (*cleaned.order, None):
                if utk is not None and utk not in invalid:
                    run.append((utk, True))
                    continue
                if run:
                    new_valid += self._db.executemany(_ADD, run).rowcount
                    run = []
                if utk is not None:
                    new_invalid += self._db.execute(_ADD, (utk, False)).rowcount
            self._db.execute("COMMIT")
        return new_valid, new_invalid

    def pending(self, after: int, limit: int) -> list[tuple[int, str, bool]]:
        """Up to ``limit`` pending ``(seq, utk, valid)`` with ``seq > after``, in order."""
        rows = self._db.execute(
            "SELECT seq, utk, valid FROM utks WHERE part IS NULL AND seq > ? ORDER BY seq LIMIT ?",
            (after, limit),
        ).fetchall()
        return [(seq, utk, bool(valid)) for seq, utk, valid in rows]

    def summary(self) -> dict[str, int]:
        """Counts of distinct input values: ``distinct, valid, invalid, done, pending``."""
        distinct, valid, done = self._db.execute(
            "SELECT count(*), coalesce(sum(valid), 0), count(part) FROM utks"
        ).fetchone()
        return {
            "distinct": distinct,
            "valid": valid,
            "invalid": distinct - valid,
            "done": done,
            "pending": distinct - done,
        }

    def pending_valid(self) -> int:
        """How many pending values can be utks: what is left to fetch."""
        (count,) = self._db.execute(
            "SELECT count(*) FROM utks WHERE part IS NULL AND valid"
        ).fetchone()
        return int(count)

    # ----------------------------------------------------------------- parts
    def written_vids(self, vids: Sequence[int]) -> set[int]:
        """The subset of ``vids`` whose rows are already written."""
        seen: set[int] = set()
        for i in range(0, len(vids), _IN):
            block = vids[i : i + _IN]
            marks = ",".join("?" * len(block))
            seen.update(
                v
                for (v,) in self._db.execute(f"SELECT vid FROM vids WHERE vid IN ({marks})", block)
            )
        return seen

    def next_part(self) -> int:
        (last,) = self._db.execute("SELECT coalesce(max(part), 0) FROM parts").fetchone()
        return int(last) + 1

    def commit_part(
        self, part: int, seqs: Sequence[int], vids: Iterable[int], rows: dict[str, int]
    ) -> None:
        """Record a part whose files are complete: its utks are done, its vids written."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("INSERT INTO parts (part) VALUES (?)", (part,))
            db.executemany("UPDATE utks SET part = ? WHERE seq = ?", ((part, s) for s in seqs))
            db.executemany("INSERT OR IGNORE INTO vids (vid) VALUES (?)", ((v,) for v in vids))
            db.executemany(
                "INSERT INTO counts (frame, rows) VALUES (?, ?) "
                "ON CONFLICT (frame) DO UPDATE SET rows = rows + excluded.rows",
                rows.items(),
            )
            db.execute("COMMIT")
        except BaseException:
            # Not after a COMMIT that went through (an interrupt can land just after it), nor
            # after SQLite rolled back by itself (a full disk): no transaction is open then.
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def mark_published(self, part: int) -> None:
        self._db.execute("UPDATE parts SET published = 1 WHERE part = ?", (part,))

    def unpublished(self) -> list[int]:
        return [p for (p,) in self._db.execute("SELECT part FROM parts WHERE published = 0")]

    def committed(self) -> set[int]:
        return {p for (p,) in self._db.execute("SELECT part FROM parts")}

    def is_committed(self, part: int) -> bool:
        return (
            self._db.execute("SELECT 1 FROM parts WHERE part = ?", (part,)).fetchone() is not None
        )

    def rows(self) -> dict[str, int]:
        return dict(self._db.execute("SELECT frame, rows FROM counts").fetchall())

    # ----------------------------------------------------------------- forgetting
    def forget(
        self,
        vids: Iterable[int],
        removed: dict[str, int],
        rewrites: Iterable[tuple[str, int]],
        pending: Iterable[str] = (),
    ) -> int:
        """Record an erasure whose rewritten parts are complete (see ``dataset.erase``).

        One transaction: the parts to rename (``rewrites``, rolled forward on the next open
        if the process dies before), the row counts less ``removed``, the ``vids`` no longer
        written (a new utk of theirs would write them whole again) and, for ``pending``
        utks, their state set back to pending (fetched again by the next run). Returns how
        many utks became pending.
        """
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany("INSERT OR IGNORE INTO rewrites VALUES (?, ?)", rewrites)
            db.executemany(
                "UPDATE counts SET rows = max(rows - ?, 0) WHERE frame = ?",
                ((n, frame) for frame, n in removed.items()),
            )
            db.executemany("DELETE FROM vids WHERE vid = ?", ((v,) for v in vids))
            made = 0
            for block in _blocks(pending, _IN):
                marks = ",".join("?" * len(block))
                made += db.execute(
                    f"UPDATE utks SET part = NULL WHERE part IS NOT NULL AND utk IN ({marks})",
                    block,
                ).rowcount
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        return made

    def rewrites(self) -> list[tuple[str, int]]:
        """Parts rewritten by a committed erasure whose files may not be renamed yet."""
        return [(f, p) for f, p in self._db.execute("SELECT frame, part FROM rewrites")]

    def clear_rewrites(self) -> None:
        self._db.execute("DELETE FROM rewrites")


class DatasetLock:
    """An exclusive ``flock`` on ``<dataset>/_lock`` held while writing.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> with DatasetLock(root):
    ...     DatasetLock(root).acquire()
    Traceback (most recent call last):
    hubutk_pandas.errors.DatasetInUseError: ... is in use by another process ...
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._fd: int | None = None

    def acquire(self) -> DatasetLock:
        import fcntl

        fd = os.open(self.root / "_lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DatasetInUseError(
                f"the dataset {str(self.root)!r} is in use by another process that is writing "
                "it; wait for it to finish (or stop it), then run again"
            ) from None
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None

    def __enter__(self) -> DatasetLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
