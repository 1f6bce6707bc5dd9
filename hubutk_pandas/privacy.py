"""Personal data at rest: what the cache keeps and for how long, and erasing a contact.

Every lookup copies contacts' personal data (names, emails, form answers, page URLs) to
disk: the cache folder (the HTTP cache and the record store) and each dataset. All of it
is private to you (folders ``0700``, files ``0600``, whatever the umask); this module
answers the two other questions a data-protection request asks:

* :func:`forget` (also :meth:`HubSpotClient.forget <hubutk_pandas.HubSpotClient.forget>`
  and ``hubutk forget``): erase one contact, found by any of its utks, vids or emails
  through what is held locally (no request is sent), from the record store, the HTTP cache
  and the datasets named; it returns and prints what was removed where;
* :func:`cache_info` / :func:`clear_cache` (``hubutk cache info`` / ``hubutk cache clear``):
  the cache folder, its size, its oldest entry and how long entries are kept; empty it.

The guide's page :doc:`/guide/personal-data` lists every place data is written.

Examples
--------
>>> import tempfile, hubutk_pandas
>>> folder = tempfile.mkdtemp()
>>> with hubutk_pandas.connect(sandbox=True, contacts=200, cache=folder) as client:
...     utks = client.sandbox.sample_utks(3)
...     _ = client.lookup_utks(utks, progress=False)  # the record store
...     _ = client.fetch_batch(utks)  # the HTTP cache (lookups skip it)
...     report = forget(utks=utks[0], cache=folder, quiet=True)
>>> report.removals[0].removed, report.removals[1].removed
({'records': 1}, {'answers': 1})
>>> cache_info(folder).records
2
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hubutk_pandas import erasure
from hubutk_pandas._http import erase as cache_erase
from hubutk_pandas._http.session import default_cache_dir
from hubutk_pandas.erasure import ForgetReport, Identifiers, Removal
from hubutk_pandas.settings import resolve_cache_dir

__all__ = [
    "DEFAULT_RETENTION",
    "CacheInfo",
    "ForgetReport",
    "Removal",
    "cache_info",
    "clear_cache",
    "forget",
]

logger = logging.getLogger(__name__)

DEFAULT_RETENTION = timedelta(days=1)
"""How long a cached answer is used and kept: ``HubSpotClient``'s default ``expire_after``."""


def _folder(cache: bool | str | os.PathLike[str]) -> Path | None:
    return resolve_cache_dir(cache, default_cache_dir)


def forget(
    *,
    utks: str | Iterable[str] | None = None,
    vids: int | str | Iterable[int | str] | None = None,
    emails: str | Iterable[str] | None = None,
    datasets: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] = (),
    cache: bool | str | os.PathLike[str] = True,
    refetch: bool = False,
    quiet: bool = False,
) -> ForgetReport:
    """Erase contacts from the cache folder and the datasets named; say what went where.

    A contact is found by any of its utks, vids (a merged contact by any of its vids) or
    emails, in what is held locally: the record store, the HTTP cache and the datasets.
    What they hold about it leads to its other identifiers (an email to its vid, a vid to
    its merged vids and other utks), and everything found is removed:

    * its records in the record store;
    * every cached HTTP answer that holds it or was asked for one of its utks, whole (a
      batch answer holds up to 100 contacts; the others are fetched again when asked);
    * its rows in every frame of each dataset (only the parts holding them are rewritten,
      atomically; the resume state stays consistent: see ``refetch``).

    Every namespace of the cache folder is searched (every credential and portal that
    wrote it). No request is sent.

    Parameters
    ----------
    utks, vids, emails
        One value or a list of each; at least one value in all. Emails match whatever
        their case.
    datasets
        Dataset folders (``lookup_utks(..., out=PATH)``) to erase the contacts from.
        Each is locked while it is rewritten.
    cache
        The cache folder, as for :class:`~hubutk_pandas.HubSpotClient`: ``True`` the
        per-user folder, a path, or ``False`` to leave caches out (datasets only).
    refetch
        ``False`` (default): a dataset keeps the contacts' utks as done, so running its
        lookup again does not fetch them. ``True``: they become pending, and the next run
        fetches them again (to refresh a contact rather than erase it).
    quiet
        Do not print the report (it is returned either way).

    Returns
    -------
    ForgetReport
        ``found`` (every identifier of the contacts), and one
        :class:`~hubutk_pandas.erasure.Removal` per place searched: what it removed.

    Raises
    ------
    InvalidOptionError
        No identifier, or one that cannot be a utk, vid or email: before anything changes.
    DatasetError, DatasetInUseError
        A folder that is not a dataset, or one a lookup is writing: before anything changes.
    CacheError
        A cache file that cannot be read or written (locked, damaged, full disk).

    Examples
    --------
    >>> import tempfile, hubutk_pandas
    >>> folder = tempfile.mkdtemp()
    >>> with hubutk_pandas.connect(sandbox=True, contacts=200, cache=folder) as client:
    ...     _ = client.lookup_utks(client.sandbox.sample_utks(5), progress=False)
    ...     _ = client.fetch_batch(client.sandbox.sample_utks(5))
    ...     report = forget(utks=client.sandbox.sample_utks(1), cache=folder)
    ... # doctest: +ELLIPSIS
    forgot vid ..., 1 utk, 1 email (asked: 1 utk); searched what is on this disk only, ...
      record store .../records.sqlite: removed 1 record
      HTTP cache .../http_cache.sqlite: removed 1 answer (whole answers: ...)
    """
    asked = Identifiers.given(utks=utks, vids=vids, emails=emails)
    if not isinstance(refetch, bool):
        from hubutk_pandas.errors import InvalidOptionError

        raise InvalidOptionError.for_value("refetch", refetch, "use True or False")
    folder = _folder(cache)
    paths = [datasets] if isinstance(datasets, (str, os.PathLike)) else list(datasets)
    holders: list[erasure.Holder] = []
    if folder is not None:
        holders += [cache_erase.RecordStoreHolder(folder), cache_erase.HttpCacheHolder(folder)]
    with ExitStack() as locks:
        if paths:
            from hubutk_pandas.dataset.erase import holders as dataset_holders

            # Every dataset is checked and locked before anything is erased anywhere.
            for holder in dataset_holders(paths, refetch=refetch):
                holders.append(locks.enter_context(holder))
        report = erasure.forget(asked, holders)
    logger.info(
        "forget: %d items removed from %d places searched",
        report.total,
        len(report.removals),
    )  # counts only: a log holds no personal data
    if not quiet:
        print(report)
    return report


@dataclass(frozen=True)
class CacheInfo:
    """What the cache folder holds, and for how long (``hubutk cache info``).

    Attributes
    ----------
    folder : pathlib.Path
    exists : bool
    mode : int or None
        The folder's permission bits (``0o700``: private to you).
    size : int
        Bytes of every file in the folder.
    files : dict of str to int
        Each file's size.
    records : int
        Rows of the record store (a utk's answer under one set of options, or a miss).
    answers : int
        Answers in the HTTP cache (a batch answer holds up to 100 contacts).
    oldest, newest : datetime or None
        When the oldest and the newest entry were stored (UTC).
    expired : int
        Entries past their expiry (records: older than ``retention``), deleted the next
        time a client opens the folder.
    retention : timedelta or None
        How long entries are kept: ``HubSpotClient``'s ``expire_after``, by default
        (``None``: until cleared).
    """

    folder: Path
    exists: bool
    mode: int | None
    size: int
    files: dict[str, int] = field(default_factory=dict)
    records: int = 0
    answers: int = 0
    oldest: datetime | None = None
    newest: datetime | None = None
    expired: int = 0
    retention: timedelta | None = DEFAULT_RETENTION

    def __str__(self) -> str:
        if not self.exists:
            return f"cache folder {self.folder}: does not exist (nothing cached)"
        now = datetime.now(timezone.utc)

        def ago(when: datetime | None) -> str:
            if when is None:
                return "-"
            return f"{when.isoformat(timespec='seconds')} ({_span(now - when)} ago)"

        kept = "until cleared (expire_after=None)" if self.retention is None else (
            f"{_span(self.retention)} (HubSpotClient(expire_after=...); a day by default)"
        )  # fmt: skip
        private = "private to you" if self.mode is not None and not self.mode & 0o077 else (
            "OPEN TO OTHER USERS: chmod -R go-rwx the folder"
        )  # fmt: skip
        lines = [
            f"cache folder  {self.folder}",
            f"permissions   {self.mode:04o} ({private})" if self.mode is not None else "",
            f"size          {_bytes(self.size)} in {len(self.files)} files",
            f"entries       {self.records:,} records (record store), {self.answers:,} "
            "answers (HTTP cache)",
            f"oldest entry  {ago(self.oldest)}",
            f"newest entry  {ago(self.newest)}",
            f"retention     {kept}; an entry past its expiry is deleted the next time a "
            f"client opens the folder ({self.expired:,} now)",
            "erase         hubutk forget --utk U | --vid V | --email E; hubutk cache clear",
        ]
        return "\n".join(line for line in lines if line)

    __repr__ = __str__


def _span(delta: timedelta) -> str:
    seconds = max(delta.total_seconds(), 0)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds / size
            shown = f"{n:.0f}" if n >= 10 or n == int(n) else f"{n:.1f}"
            return f"{shown} {unit}{'' if shown == '1' else 's'}"
    return f"{seconds:.0f} seconds"


def _bytes(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"  # pragma: no cover - the loop always returns


def cache_info(
    cache: bool | str | os.PathLike[str] = True, *, retention: Any = DEFAULT_RETENTION
) -> CacheInfo:
    """The cache folder: where, how big, its oldest entry and how long entries are kept.

    Parameters
    ----------
    cache
        ``True`` (the per-user folder) or a folder path.
    retention
        The ``expire_after`` your clients use (``timedelta``, seconds or ``None``), to
        count the records past it; default a day, as ``HubSpotClient``'s.

    Examples
    --------
    >>> import tempfile
    >>> print(cache_info(tempfile.mkdtemp() + "/none"))  # doctest: +ELLIPSIS
    cache folder .../none: does not exist (nothing cached)
    """
    folder = _folder(cache)
    if folder is None:
        from hubutk_pandas.errors import InvalidOptionError

        raise InvalidOptionError("cache=False is not valid here; give True or a folder")
    if retention is not None and not isinstance(retention, timedelta):
        retention = timedelta(seconds=float(retention))
    facts = cache_erase.folder_facts(
        folder, retention_seconds=None if retention is None else retention.total_seconds()
    )
    return CacheInfo(
        folder=facts["folder"],
        exists=facts["exists"],
        mode=facts["mode"],
        size=facts["size"],
        files=facts["files"],
        records=facts["records"],
        answers=facts["answers"],
        oldest=facts["oldest"],
        newest=facts["newest"],
        expired=facts["expired"],
        retention=retention,
    )


def clear_cache(cache: bool | str | os.PathLike[str] = True) -> Removal:
    """Empty the cache folder: every stored record and HTTP answer (the salt stays).

    Emptied in place, so a program running with the cache open (a proxy, a notebook)
    sees it empty too. Datasets are not touched: delete their folders, or :func:`forget`.

    Examples
    --------
    >>> import tempfile, hubutk_pandas
    >>> folder = tempfile.mkdtemp()
    >>> with hubutk_pandas.connect(sandbox=True, contacts=200, cache=folder) as client:
    ...     _ = client.lookup_utks(client.sandbox.sample_utks(3), progress=False)
    ...     _ = client.fetch_batch(client.sandbox.sample_utks(3))
    >>> print(clear_cache(folder))  # doctest: +ELLIPSIS
    cache ...: removed 3 records, 1 answer
    >>> cache_info(folder).records
    0
    """
    folder = _folder(cache)
    if folder is None:
        from hubutk_pandas.errors import InvalidOptionError

        raise InvalidOptionError("cache=False is not valid here; give True or a folder")
    removal = cache_erase.clear_folder(folder)
    logger.info("cache cleared: %d entries removed", removal.total)
    return removal
