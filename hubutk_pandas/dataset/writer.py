"""Writing a dataset: parts that appear whole, exactly once, and a clear error on a full disk.

A *part* is the frames of one chunk of utks. :meth:`DatasetWriter.write_chunk` writes it in
four steps, so that a process killed at any point leaves a readable dataset and a rerun
neither loses nor duplicates rows:

1. each frame's rows go to ``<frame>/.part-NNNNNN.parquet.tmp`` (hidden: pyarrow, Dask,
   DuckDB's ``part-*.parquet`` glob and Spark all skip names starting with ``.``), fsynced;
2. one SQLite transaction records the part, marks its utks done and its vids written
   (:class:`~hubutk_pandas.dataset.state.ResumeState`);
3. the files are renamed to ``<frame>/part-NNNNNN.parquet`` (atomic on POSIX);
4. the part is marked published and the manifest rewritten.

Killed before 2: the temporary files are deleted on the next open and the chunk's utks
are still pending, so they are fetched again. Killed after 2: the next open finishes the
renames (roll forward). Rows of a vid already written by an earlier part are dropped before
step 1, so every frame but ``contacts`` and ``missing`` holds one set of rows per vid.

Every frame folder also has ``part-000000.parquet``, empty, written when the dataset is
created, so each folder has the schema even when the frame has no rows.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from hubutk_pandas import _filemodes
from hubutk_pandas.dataset import layout
from hubutk_pandas.dataset.manifest import (
    MANIFEST,
    check_options,
    check_source,
    new_manifest,
    read_manifest,
    shared,
    write_manifest,
)
from hubutk_pandas.dataset.state import DatasetLock, ResumeState
from hubutk_pandas.errors import DatasetError
from hubutk_pandas.frames import FRAME_NAMES, SCHEMAS

__all__ = ["STATE_FILE", "DatasetWriter", "part_name"]

log = logging.getLogger(__name__)

STATE_FILE = "_state.sqlite"
_VID_FRAMES = [n for n in FRAME_NAMES if n not in ("contacts", "missing")]
_FULL = (errno.ENOSPC, errno.EDQUOT)
# What a writer creates before the manifest: a folder holding only these was being created.
_OWN = {"_lock", STATE_FILE, f"{STATE_FILE}-wal", f"{STATE_FILE}-shm", *FRAME_NAMES}


def part_name(part: int, *, tmp: bool = False) -> str:
    """``part-000007.parquet``, or its hidden temporary name.

    Examples
    --------
    >>> part_name(7), part_name(7, tmp=True)
    ('part-000007.parquet', '.part-000007.parquet.tmp')
    """
    name = f"part-{part:06d}.parquet"
    return f".{name}.tmp" if tmp else name


def _is_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in _FULL:
        return True
    text = str(exc).lower()
    return isinstance(exc, (OSError, sqlite3.OperationalError)) and (
        "no space left" in text or "disk is full" in text or "quota" in text
    )


@contextmanager
def _disk_errors(root: Path, what: str) -> Iterator[None]:
    """A full disk becomes a :class:`DatasetError` that says what is kept and what to do."""
    try:
        yield
    except (OSError, sqlite3.OperationalError) as exc:
        if not _is_full(exc):
            raise
        raise DatasetError(
            f"the disk is full while {what} in {str(root)!r}. Everything written before "
            "stays readable (open_dataset); free some space and run the same lookup again "
            "to continue where it stopped"
        ) from exc


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_table(table: pa.Table, path: Path, *, group: bool = False) -> None:
    with open(path, "wb", opener=_filemodes.opener(group)) as handle:  # 0600 (0640 shared)
        pq.write_table(table, handle, compression="zstd")
        handle.flush()
        os.fsync(handle.fileno())


class DatasetWriter:
    """Open (or create) the dataset at ``root`` for writing: locked, checked, recovered.

    Parameters
    ----------
    root
        The dataset folder: new, empty, or a dataset written with the same ``options``.
    options
        The lookup options that must match (``LookupOptions.fingerprint()`` + endpoint).
    base_url
        The API's address (only ``scheme://host:port`` is stored).
    definitions
        Returns the property definitions; called only to create a new dataset, before
        anything is written (so a refused credential leaves no folder behind).
    identify, portal
        The credential's fingerprint under a salt, and its portal (``None``: unknown); see
        :func:`~hubutk_pandas.dataset.manifest.check_source`. A dataset made or continued
        by another credential or for another portal is refused before anything is
        written. ``None`` (``forget``, which needs no credential): not checked.
    """

    def __init__(
        self,
        root: Path,
        options: dict[str, Any],
        base_url: str,
        definitions: Callable[[], list[dict[str, Any]]] | None = None,
        *,
        identify: Callable[[bytes], str] | None = None,
        portal: Callable[[], int | None] | None = None,
    ) -> None:
        self.root = root
        self.options = options
        existed = (root / MANIFEST).exists()
        self.manifest, learnt = self._open_manifest(
            root, options, base_url, definitions, identify, portal
        )
        self._lock = DatasetLock(root).acquire()
        try:
            if not existed and (root / MANIFEST).exists():
                # Another writer created the dataset, with its own options, between the first
                # look and the lock: check it as an existing one.
                self.manifest = read_manifest(root)
                check_options(self.manifest, options, root)
                learnt = check_source(self.manifest, root, identify, portal)
            with _disk_errors(root, "opening the dataset"):
                self.state = ResumeState(root / STATE_FILE)
                if not (root / MANIFEST).exists():
                    self._create_frames()
                    write_manifest(root, self.manifest)
                elif learnt:  # a fingerprint or portal recorded now, in an existing dataset
                    write_manifest(root, self.manifest)
                self._recover()
        except BaseException:
            self._lock.release()
            raise

    @staticmethod
    def _open_manifest(
        root: Path,
        options: dict[str, Any],
        base_url: str,
        definitions: Callable[[], list[dict[str, Any]]] | None,
        identify: Callable[[bytes], str] | None,
        portal: Callable[[], int | None] | None,
    ) -> tuple[dict[str, Any], bool]:
        if root.exists() and not root.is_dir():
            raise DatasetError(f"{str(root)!r} is a file, not a dataset folder")
        if root.is_dir() and (root / MANIFEST).exists():
            manifest = read_manifest(root)
            check_options(manifest, options, root)
            learnt = check_source(manifest, root, identify, portal)
            _filemodes.check_folder(root, what="dataset folder", group=shared(manifest))
            return manifest, learnt
        if root.is_dir() and any(p.name not in _OWN for p in root.iterdir()):
            names = ", ".join(sorted(p.name for p in root.iterdir())[:5])
            raise DatasetError(
                f"{str(root)!r} exists and is not a lookup dataset (it holds {names}); "
                "choose an empty or new folder"
            )
        manifest = new_manifest(options, base_url, None)
        check_source(manifest, root, identify, portal)  # the credential and its portal
        manifest["definitions"] = None if definitions is None else definitions()
        with _disk_errors(root, "creating the dataset"):
            _filemodes.make_folder(root, what="dataset folder")  # 0700; an open one: a warning
        return manifest, True

    def _create_frames(self) -> None:
        for name in FRAME_NAMES:
            folder = self.root / name
            _filemodes.make_folder(folder, what="dataset folder", group=self.group, check=False)
            empty = layout.arrow_schema(name).empty_table()
            tmp = folder / part_name(0, tmp=True)
            _write_table(empty, tmp, group=self.group)
            os.replace(tmp, folder / part_name(0))

    def _recover(self) -> None:
        """Finish the renames of committed parts; delete temporary files of uncommitted ones."""
        unpublished = set(self.state.unpublished())
        for part in sorted(unpublished):
            self._publish(part)
            log.info(
                "dataset %s: finished publishing part %d after an interruption", self.root, part
            )
        if self.finish_rewrites():
            self.save_manifest()  # the counts of the erasure rolled forward
        for name in FRAME_NAMES:
            for tmp in (self.root / name).glob(".part-*.parquet.tmp"):
                tmp.unlink()  # an uncommitted part (or rewrite): its utks are still pending
        for tmp in self.root.glob(f".{MANIFEST}.tmp"):
            tmp.unlink()

    def _publish(self, part: int) -> None:
        for name in FRAME_NAMES:
            tmp = self.root / name / part_name(part, tmp=True)
            if tmp.exists():
                os.replace(tmp, self.root / name / part_name(part))
        for name in FRAME_NAMES:
            _fsync_dir(self.root / name)
        self.state.mark_published(part)

    def finish_rewrites(self) -> int:
        """Rename the parts a committed erasure rewrote into place (rolled forward on open).

        ``dataset.erase`` writes a part's new version as the part's temporary file, then
        commits the erasure in the state (:meth:`ResumeState.forget`), then calls this. An
        uncommitted rewrite's temporary files are deleted by :meth:`_recover` like any.
        """
        done = self.state.rewrites()
        for name, part in done:
            tmp = self.root / name / part_name(part, tmp=True)
            if tmp.exists():
                os.replace(tmp, self.root / name / part_name(part))
        for name in sorted({name for name, _ in done}):
            _fsync_dir(self.root / name)
        if done:
            self.state.clear_rewrites()
        return len(done)

    @property
    def group(self) -> bool:
        """Whether new files are shared with the group (0640), not private (0600)."""
        return shared(self.manifest)

    # ----------------------------------------------------------------------------- writing
    def add_input(self, values: Any) -> tuple[int, int]:
        """Record the input's distinct values on disk: ``(new valid, new invalid)``."""
        with _disk_errors(self.root, "recording the input utks"):
            return self.state.add(values)

    def write_chunk(
        self, frames: dict[str, pd.DataFrame], seqs: list[int], portal_ids: set[int]
    ) -> dict[str, int]:
        """Write one chunk's frames as a part and mark ``seqs`` done; return rows written."""
        self._check_portal(portal_ids)
        vids = pd.concat([frames[n]["vid"] for n in ("contacts", *_VID_FRAMES)]).dropna()
        distinct = [int(v) for v in pd.unique(vids.to_numpy(dtype="int64"))]
        written = self.state.written_vids(distinct)
        if written:
            for name in _VID_FRAMES:
                frame = frames[name]
                frames[name] = frame[~frame["vid"].isin(list(written))].reset_index(drop=True)
        part = self.state.next_part()
        rows = {name: len(frames[name]) for name in FRAME_NAMES}
        tmps: list[Path] = []
        try:
            with _disk_errors(self.root, f"writing part {part}"):
                for name in FRAME_NAMES:
                    if rows[name]:
                        tmp = self.root / name / part_name(part, tmp=True)
                        tmps.append(tmp)
                        table = layout.frame_to_table(name, frames[name])
                        _write_table(table, tmp, group=self.group)
                self.state.commit_part(part, seqs, [v for v in distinct if v not in written], rows)
        except BaseException:
            self._discard_uncommitted(part, tmps)
            raise
        with _disk_errors(self.root, f"publishing part {part}"):
            self._publish(part)
        self.save_manifest()
        return rows

    def _discard_uncommitted(self, part: int, tmps: list[Path]) -> None:
        """After a failed write, delete the part's temporary files unless it was committed.

        An interrupt can land after the commit; then the files are the part's rows and the
        next open renames them into place. If the state cannot even be read (a full disk),
        the files stay for the next open, which tells a committed part from an uncommitted one.
        """
        try:
            committed = self.state.is_committed(part)
        except sqlite3.Error:
            return
        if not committed:
            for tmp in tmps:
                tmp.unlink(missing_ok=True)

    def _check_portal(self, portal_ids: set[int]) -> None:
        stored = self.manifest["source"].get("portal_id")
        ids = portal_ids | ({stored} if stored is not None else set())
        if len(ids) > 1:
            other = sorted(ids - {stored})[0] if stored is not None else sorted(ids)[1]
            raise DatasetError(
                f"the dataset {str(self.root)!r} holds portal {stored or sorted(ids)[0]}; this "
                f"lookup's answers come from portal {other}. Use another folder per portal"
            )
        if stored is None and portal_ids:
            self.manifest["source"]["portal_id"] = next(iter(portal_ids))

    def set_definitions(self, definitions: list[dict[str, Any]]) -> None:
        self.manifest["definitions"] = definitions
        with _disk_errors(self.root, "writing the manifest"):
            write_manifest(self.root, self.manifest)

    def save_manifest(self, *, complete: bool | None = None) -> None:
        summary = self.state.summary()
        rows = self.state.rows()
        self.manifest["utks"] = summary
        self.manifest["frames"] = {
            name: {"rows": rows.get(name, 0), "columns": dict(SCHEMAS[name])}
            for name in FRAME_NAMES
        }
        if complete is not None:
            self.manifest["state"] = "complete" if complete else "incomplete"
        elif summary["pending"]:
            self.manifest["state"] = "incomplete"
        with _disk_errors(self.root, "writing the manifest"):
            write_manifest(self.root, self.manifest)

    def close(self) -> None:
        try:
            self.state.close()
        finally:
            self._lock.release()

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
