"""Erase contacts from a dataset on disk: their rows in every frame, and nothing else.

A :class:`DatasetHolder` is a dataset as a :class:`~hubutk_pandas.erasure.Holder`:

* **Find.** The small key columns are read: ``contacts`` (``utk``, ``vid``,
  ``canonical_vid``, ``merged_vids``), ``identities`` (``vid``, ``profile_vid``, ``EMAIL`` and
  ``UTK`` values), ``merge_audits`` (vids and emails), the ``email`` rows of ``properties``
  and ``history``, and ``missing``. A contact met by any utk, vid or email yields every
  identifier the dataset holds for its vid (its other utks, merged vids, emails).
* **Erase.** Rows go when their ``vid`` is one of the contact's (every frame keyed by vid),
  or, in ``contacts`` and ``missing``, when their ``utk`` is one of its utks. Only the parts
  holding such rows are rewritten, each row of the others kept as it was, in order, with
  the part's schema. The writer's own protocol makes it atomic
  (:mod:`~hubutk_pandas.dataset.writer`): the new parts are written under the parts'
  temporary names, one state transaction records the erasure
  (:meth:`~hubutk_pandas.dataset.state.ResumeState.forget`: counts, written vids, the parts
  to rename), then the files are renamed; a process killed after the commit has the renames
  finished by the next open (any lookup or forget on the dataset), one killed before leaves
  the dataset as it was.
* **Resume state.** The contact's utks stay *done*: the same lookup run again does not
  fetch them. With ``refetch=True`` they become pending instead, so the next run fetches
  them (to refresh a contact rather than erase it). Their vids leave the written set, so a
  utk of theirs that a later run brings in is written whole.

The dataset is locked (as by a writer) from :meth:`DatasetHolder.__enter__` until exit, so
no lookup writes it meanwhile. Files derived from it (``_enrich/``, written by Dask's
``enrich``) are deleted when rows go: they are rebuilt on the next ``enrich``.

Examples
--------
>>> import tempfile
>>> from hubutk_pandas import open_dataset
>>> from hubutk_pandas.erasure import Identifiers
>>> utks = client.sandbox.sample_utks(4)
>>> ds = client.lookup_utks(utks, progress=False, out=tempfile.mkdtemp() + "/visits")
>>> with DatasetHolder(ds.path) as holder:
...     removal = holder.erase(holder.find(Identifiers.given(utks=utks[:1])))
>>> removal.removed["contacts"], open_dataset(ds.path).counts["contacts"]
(1, 3)
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from hubutk_pandas.dataset.manifest import read_manifest, shared
from hubutk_pandas.dataset.writer import DatasetWriter, _disk_errors, _write_table, part_name
from hubutk_pandas.erasure import Identifiers, Removal
from hubutk_pandas.frames import FRAME_NAMES

__all__ = ["DatasetHolder", "erase_rows", "holders", "retry_missing"]

log = logging.getLogger(__name__)

_BY_UTK = ("contacts", "missing")  # frames whose rows can also be found by utk
_DERIVED = "_enrich"


def _column(table: pa.Table, name: str) -> list[Any]:
    return table[name].to_pylist() if name in table.column_names else []


def _lower(values: Iterable[Any]) -> list[str | None]:
    return [v.strip().lower() if isinstance(v, str) else None for v in values]


def _merged(texts: Iterable[Any]) -> list[list[int]]:
    out: list[list[int]] = []
    for text in texts:
        try:
            values = json.loads(text) if isinstance(text, str) and text not in ("", "[]") else []
        except ValueError:
            values = []
        out.append([v for v in values if isinstance(v, int) and not isinstance(v, bool)])
    return out


class DatasetHolder:
    """A dataset folder, as a place to find and erase contacts (see the module docstring).

    Parameters
    ----------
    root
        The dataset folder; a :class:`~hubutk_pandas.errors.DatasetError` at once if it is
        not one.
    refetch
        Make the erased contacts' utks pending, so the next run of the lookup fetches them.
    """

    place = "dataset"

    def __init__(self, root: str | os.PathLike[str], *, refetch: bool = False) -> None:
        self.root = Path(root)
        self.manifest = read_manifest(self.root)
        self.refetch = refetch
        self._writer: DatasetWriter | None = None

    def __enter__(self) -> DatasetHolder:
        """Lock the dataset (and finish any interrupted write or erasure)."""
        source = self.manifest.get("source") or {}
        self._writer = DatasetWriter(
            self.root, dict(self.manifest["options"]), str(source.get("api") or "")
        )
        self.manifest = self._writer.manifest
        return self

    def __exit__(self, *exc: object) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    # ------------------------------------------------------------------ reading
    def _parts(self, name: str) -> list[Path]:
        return _parts(self.root, name)

    def _read(self, name: str, columns: list[str], filters: Any = None) -> pa.Table:
        tables = [
            pq.read_table(path, columns=columns, filters=filters) for path in self._parts(name)
        ]
        if not tables:
            return pa.table({c: pa.array([], type=pa.string()) for c in columns})
        return pa.concat_tables(tables)

    def find(self, who: Identifiers) -> Identifiers:
        """Every identifier this dataset holds for the contacts that meet ``who``.

        Vectorised over the key columns: first the owner vids of the rows that meet
        ``who``, then the identifiers of those owners' rows only.
        """
        vids = pa.array(sorted(who.vids), type=pa.int64())
        utks = pa.array(sorted(who.utks), type=pa.string())
        emails = pa.array(sorted(who.emails), type=pa.string())
        tables = {
            "contacts": self._read("contacts", ["utk", "vid", "canonical_vid", "merged_vids"]),
            "identities": self._read("identities", ["vid", "profile_vid", "type", "value"]),
            "merge_audits": self._read("merge_audits", [
                "vid", "canonical_vid", "vid_to_merge", "merged_from_email", "merged_to_email"]),
            "properties": self._read("properties", ["vid", "value"], [("property", "=", "email")]),
            "history": self._read("history", ["vid", "value"], [("property", "=", "email")]),
        }  # fmt: skip

        def email_in(column: pa.ChunkedArray) -> pa.ChunkedArray:
            return pc.is_in(pc.utf8_lower(pc.utf8_trim_whitespace(column)), emails)

        def any_of(*masks: Any) -> pa.ChunkedArray:
            out = masks[0]
            for mask in masks[1:]:
                out = pc.or_(out, mask)
            return pc.fill_null(out, False)

        c, i, a = tables["contacts"], tables["identities"], tables["merge_audits"]
        merged_hits = pa.array([bool(set(m) & who.vids) for m in _merged(
            _column(c, "merged_vids"))], type=pa.bool_())  # fmt: skip
        meets = {
            "contacts": any_of(pc.is_in(c["utk"], utks), pc.is_in(c["vid"], vids),
                               pc.is_in(c["canonical_vid"], vids), merged_hits),
            "identities": any_of(
                pc.is_in(i["vid"], vids), pc.is_in(i["profile_vid"], vids),
                pc.and_(pc.equal(pc.utf8_upper(i["type"]), "EMAIL"), email_in(i["value"])),
                pc.and_(pc.equal(pc.utf8_upper(i["type"]), "UTK"), pc.is_in(i["value"], utks))),
            "merge_audits": any_of(
                pc.is_in(a["vid"], vids), pc.is_in(a["canonical_vid"], vids),
                pc.is_in(a["vid_to_merge"], vids), email_in(a["merged_from_email"]),
                email_in(a["merged_to_email"])),
            "properties": any_of(email_in(tables["properties"]["value"])),
            "history": any_of(email_in(tables["history"]["value"])),
        }  # fmt: skip
        owners: set[int] = set()
        for name, mask in meets.items():
            owners.update(v for v in tables[name]["vid"].filter(mask).to_pylist() if v is not None)
        if not owners:
            return Identifiers()
        theirs = pa.array(sorted(owners), type=pa.int64())
        mine = {name: t.filter(pc.fill_null(pc.is_in(t["vid"], theirs), False))
                for name, t in tables.items()}  # fmt: skip
        found_vids: set[int] = set(owners)
        found_utks: set[str] = set()
        found_emails: set[str] = set()
        c, i, a = mine["contacts"], mine["identities"], mine["merge_audits"]
        found_utks.update(u for u in _column(c, "utk") if u)
        found_vids.update(v for v in _column(c, "canonical_vid") if v is not None)
        for merged in _merged(_column(c, "merged_vids")):
            found_vids.update(merged)
        found_vids.update(v for v in _column(i, "profile_vid") if v is not None)
        for kind, value in zip(_column(i, "type"), _column(i, "value"), strict=True):
            kind = (kind or "").upper()
            if kind == "UTK" and value:
                found_utks.add(value)
            elif kind == "EMAIL":
                found_emails.update(e for e in _lower([value]) if e and "@" in e)
        for column in ("canonical_vid", "vid_to_merge"):
            found_vids.update(v for v in _column(a, column) if v is not None)
        for column in ("merged_from_email", "merged_to_email"):
            found_emails.update(e for e in _lower(_column(a, column)) if e and "@" in e)
        for name in ("properties", "history"):
            found_emails.update(e for e in _lower(_column(mine[name], "value")) if e and "@" in e)
        return Identifiers(frozenset(found_utks), frozenset(found_vids), frozenset(found_emails))

    # ------------------------------------------------------------------ erasing
    def erase(self, who: Identifiers) -> Removal:
        """Rewrite the parts holding ``who`` without those rows; commit; rename; say what went."""
        if self._writer is None:
            raise RuntimeError("DatasetHolder.erase needs the dataset locked: use `with`")
        return erase_rows(self._writer, who, refetch=self.refetch, place=self.place)


def _parts(root: Path, name: str) -> list[Path]:
    return sorted((root / name).glob("part-*.parquet"))


def _doomed(name: str, path: Path, who: Identifiers) -> pa.Array | None:
    """The mask of the rows of part ``path`` of frame ``name`` that hold ``who``."""
    keys = ["utk"] if name == "missing" else (["utk", "vid"] if name == "contacts" else ["vid"])
    table = pq.read_table(path, columns=keys)
    if not table.num_rows:
        return None
    mask = pc.is_in(table["vid"], pa.array(sorted(who.vids), type=pa.int64())) \
        if "vid" in keys else None  # fmt: skip
    if "utk" in keys:
        by_utk = pc.is_in(table["utk"], pa.array(sorted(who.utks), type=pa.string()))
        mask = by_utk if mask is None else pc.or_(mask, by_utk)
    assert mask is not None
    mask = pc.fill_null(mask, False)
    return mask if pc.any(mask).as_py() else None


def erase_rows(
    writer: DatasetWriter, who: Identifiers, *, refetch: bool, place: str = "dataset"
) -> Removal:
    """Erase ``who``'s rows from the dataset ``writer`` holds open (and locked); see above.

    ``refetch``: their utks become pending, so the next run of the lookup fetches them.
    """
    root = writer.root
    removed: dict[str, int] = {}
    rewrites: list[tuple[str, int]] = []
    group = shared(writer.manifest)
    with _disk_errors(root, "erasing contacts"):
        try:
            for name in FRAME_NAMES:
                if name not in _BY_UTK and not who.vids:
                    continue
                for path in _parts(root, name):
                    doomed = _doomed(name, path, who)
                    if doomed is None:
                        continue
                    table = pq.read_table(path)
                    kept = table.filter(pc.invert(doomed))
                    part = int(path.stem.split("-")[1])
                    _write_table(kept, path.with_name(part_name(part, tmp=True)), group=group)
                    rewrites.append((name, part))
                    removed[name] = removed.get(name, 0) + table.num_rows - kept.num_rows
            pending = sorted(who.utks) if refetch else []
            made_pending = 0
            if rewrites or pending:
                made_pending = writer.state.forget(who.vids, removed, rewrites, pending)
        except BaseException:
            _discard_uncommitted(writer, rewrites)
            raise
        writer.finish_rewrites()
        derived = _drop_derived(root) if removed else 0
        if rewrites or made_pending:
            writer.save_manifest()
    notes = []
    if rewrites:
        notes.append(f"{len(rewrites)} part{'s' if len(rewrites) != 1 else ''} rewritten")
    if derived:
        notes.append(f"{derived} derived file{'s' if derived != 1 else ''} of enrich deleted")
    if made_pending:
        notes.append(f"{made_pending} utks made pending: the next run fetches them again")
    elif removed:
        notes.append("their utks stay done: running the lookup again does not fetch them")
    log.info("dataset %s: %d rows erased in %d parts", root, sum(removed.values()),
             len(rewrites))  # fmt: skip
    ordered = {name: removed[name] for name in FRAME_NAMES if removed.get(name)}
    return Removal(place, root, ordered, "; ".join(notes))


def retry_missing(writer: DatasetWriter) -> int:
    """Make the utks the dataset found missing (``not_found``) pending again; return how many.

    Their ``missing`` rows are removed (the parts holding them rewritten, as an erasure
    does) and they become pending in the same state transaction, so the next fetch of the
    dataset looks up those utks only, and writes whatever now matches (a visitor who became
    a contact) or their ``missing`` rows again. Utks that cannot be one (``invalid``) stay.
    A process killed in between leaves them pending: the next run fetches them.
    """
    utks: list[str] = []
    for path in _parts(writer.root, "missing"):
        table = pq.read_table(path, columns=["utk"], filters=[("reason", "=", "not_found")])
        utks.extend(u for u in table["utk"].to_pylist() if u)
    if not utks:
        return 0
    erase_rows(writer, Identifiers(utks=frozenset(utks)), refetch=True)
    return len(set(utks))


def _discard_uncommitted(writer: DatasetWriter, rewrites: list[tuple[str, int]]) -> None:
    """After a failure, delete the new parts unless the erasure was committed.

    An interrupt can land just after the commit: then the files are the erasure's, and
    the next open renames them. If the state cannot be read, they stay for the next
    open, which tells one case from the other (:meth:`DatasetWriter._recover`).
    """
    try:
        committed = bool(set(rewrites) & set(writer.state.rewrites()))
    except sqlite3.Error:
        return
    if not committed:
        for name, part in rewrites:
            (writer.root / name / part_name(part, tmp=True)).unlink(missing_ok=True)


def _drop_derived(root: Path) -> int:
    folder = root / _DERIVED
    if not folder.is_dir():
        return 0
    count = sum(1 for p in folder.rglob("*") if p.is_file())
    shutil.rmtree(folder)
    return count


def holders(paths: Iterable[str | os.PathLike[str]], *, refetch: bool) -> list[DatasetHolder]:
    """One holder per distinct dataset folder (each checked to be a dataset, in order)."""
    seen: dict[Path, DatasetHolder] = {}
    for path in paths:
        key = Path(path).expanduser().resolve()
        if key not in seen:
            seen[key] = DatasetHolder(Path(path).expanduser(), refetch=refetch)
    return list(seen.values())
