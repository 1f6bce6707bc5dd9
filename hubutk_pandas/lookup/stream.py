"""The dataset sink: a lookup streamed to a dataset on disk, chunk by chunk, in a pipeline.

:func:`lookup_to_dataset` is what ``client.lookup_utks(..., out=PATH)`` runs:

1. the input goes to the dataset's resume state on disk in blocks (dedupe in SQLite's
   unique index), so nothing the size of the input is kept in Python;
2. a fetching thread reads the pending utks in chunks of ``chunk_size`` (in input order),
   plans each and fetches it through the fetcher, two at a time so that the worker pool
   never drains at a chunk's end (the client's pacer is the one paced place; no HTTP
   cache or record store: the dataset is the state), handing at most one finished chunk
   ahead to the calling thread;
3. the calling thread assembles the chunk (:func:`~hubutk_pandas.lookup.assemble.assemble`,
   as the in-memory sink does), builds its frames with
   :func:`~hubutk_pandas.frames.build_frames` and writes them as one part
   (:class:`~hubutk_pandas.dataset.writer.DatasetWriter`) while the next chunk is fetched;
4. failures end as in memory (:mod:`~hubutk_pandas.lookup.failures`), with the readable
   dataset as ``.partial``.

Peak memory is about three chunks of records (one being written, one handed over or
finished, one being fetched), whatever the number of utks.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hubutk_pandas._gc import collector_paused
from hubutk_pandas._warnings import warn as _warn
from hubutk_pandas.dataset.erase import retry_missing as make_missing_pending
from hubutk_pandas.dataset.reader import LookupDataset, open_dataset
from hubutk_pandas.dataset.writer import DatasetWriter
from hubutk_pandas.errors import HubSpotError, InvalidOptionError
from hubutk_pandas.frames import build_frames
from hubutk_pandas.lookup.assemble import Answers, assemble
from hubutk_pandas.lookup.failures import raise_for_failures, stopping_at_the_daily_limit
from hubutk_pandas.lookup.fetch import fetch
from hubutk_pandas.lookup.lists import add_memberships, require_lists
from hubutk_pandas.lookup.plan import MAX_BATCH_SIZE, plan
from hubutk_pandas.lookup.progress import Report
from hubutk_pandas.options import LookupOptions, Progress, check_controls
from hubutk_pandas.utks import MAX_UTK_LENGTH

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hubutk_pandas.lookup.fetcher import Fetcher

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "VALUE_ONLY_CHUNK_SIZE",
    "chunk_size_for",
    "dataset_options",
    "lookup_to_dataset",
]

log = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 2_000
"""utks per chunk (20 requests): with full history about 110 MB of records in memory.

1,000 until issue 19's last rounds, when the 500 MB bound was close; the typed decode has
since taken the dataset path's peak at 100,000 utks with full history to 333-339 MB, and
2,000 a chunk took the streamed lookup with full history from 0.225-0.253 to 0.208-0.234 ms
of CPU per utk (4 paired runs of 20,000 utks, all lower: each chunk costs a build, a part
per frame, a manifest and a resume-state commit), at a peak of 414 MB at 100,000 utks.
"""
VALUE_ONLY_CHUNK_SIZE = 2_000
"""utks per chunk when only current values are asked for: records a quarter the size.
The same as with history since it went to 2,000.

Each chunk costs a part per frame (a Parquet file each, a manifest and a resume-state
commit), which thin records pay back less: 2,000 utks a chunk instead of 1,000 took the
streamed value-only lookup from 0.214 to 0.192 ms of CPU per utk (medians of 4 paired
runs, 20,000 utks), and 100,000 utks peak at 409 MB (1,000 with full history: 495 MB).
4,000 saved more CPU (0.172 ms) but peaked at 536 MB, past the 500 MB bound.
"""


def chunk_size_for(options: LookupOptions) -> int:
    """utks per chunk for a lookup with ``options``, when the caller does not say.

    Examples
    --------
    >>> chunk_size_for(LookupOptions(property_mode="value_only"))
    2000
    >>> chunk_size_for(LookupOptions(property_mode="value_and_history"))
    2000
    """
    return VALUE_ONLY_CHUNK_SIZE if options.property_mode == "value_only" else DEFAULT_CHUNK_SIZE


Chunk = list[tuple[int, str, bool]]
_DONE = object()
_AHEAD = 2  # chunks being fetched at once
_SWEEP_EVERY = 20  # chunks between full collections while the collector is paused (see _run)


def dataset_options(opts: LookupOptions) -> dict[str, Any]:
    """The options a dataset is bound to (what changes the answers; not progress/refresh)."""
    return {**opts.fingerprint(), "endpoint": opts.endpoint}


@dataclass
class _Outcome:
    """What the chunks written so far came to."""

    failed: list[tuple[list[str], HubSpotError | None]] = field(default_factory=list)
    failed_utks: list[str] = field(default_factory=list)
    fatal: HubSpotError | None = None


def _fetch_chunk(
    fetcher: Fetcher, utks: list[str], opts: LookupOptions, workers: ThreadPoolExecutor
) -> Answers:
    """One chunk's answers: planned and fetched without any cache (the dataset is the state)."""
    return fetch(fetcher, plan(fetcher, utks, opts), opts, cache=False, workers=workers)


def _fetcher(
    fetcher: Fetcher,
    writer: DatasetWriter,
    opts: LookupOptions,
    chunk_size: int,
    out: queue.Queue[Any],
    stop: threading.Event,
) -> None:
    """The fetching thread: pending chunks → ``(chunk, answers)`` on ``out``, then ``_DONE``.

    Two chunks are fetched at a time, handed over in order: the next chunk's requests
    start while this one's last answers are awaited, so the client's workers never all
    wait for one chunk's slowest request (the pacer still paces both). After a fatal
    error no chunk starts, and the one already ahead is handed over with what it got.
    """
    try:
        reader = writer.state.reader()
        try:
            # The chunks ahead send on one pool of the client's workers: a pool each cost
            # its threads' start and end at every chunk, and twice the threads at once.
            with ThreadPoolExecutor(_AHEAD, thread_name_prefix="hubutk-chunk") as pool, \
                    ThreadPoolExecutor(fetcher.max_workers, "hubutk") as workers:  # fmt: skip
                after = 0
                ahead: deque[tuple[Chunk, Future[Answers]]] = deque()
                fatal = False
                while not stop.is_set():
                    while (
                        not fatal
                        and len(ahead) < _AHEAD
                        and (chunk := reader.pending(after, chunk_size))
                    ):
                        after = chunk[-1][0]
                        valid = [u for _, u, ok in chunk if ok]
                        ahead.append(
                            (chunk, pool.submit(_fetch_chunk, fetcher, valid, opts, workers))
                        )
                    if not ahead:
                        break
                    chunk, fetching = ahead.popleft()
                    got = fetching.result()
                    if not _put(out, (chunk, got), stop):
                        break  # the caller stopped: a chunk still ahead is awaited, not written
                    # A fatal error (daily limit, refused token) starts no new chunk, but the
                    # chunk still ahead is handed over too: its answers were paid for.
                    fatal = fatal or got.fatal is not None
        finally:
            reader.close()
        _put(out, _DONE, stop)
    except BaseException as exc:  # handed to the calling thread, raised there as itself
        _put(out, exc, stop)


def _put(out: queue.Queue[Any], item: Any, stop: threading.Event) -> bool:
    """Hand ``item`` over and wait until it is taken; ``False`` if the caller stopped first.

    Waiting until taken keeps the fetcher from finishing a third chunk while one waits in
    the queue and one is being written: at most three chunks of records are held.
    """
    while not stop.is_set():
        try:
            out.put(item, timeout=0.1)
            break
        except queue.Full:
            continue
    else:
        return False
    while not out.empty():
        if stop.wait(0.005):
            return False
    return True


def lookup_to_dataset(
    fetcher: Fetcher,
    utks: Iterable[Any],
    out: str | Path,
    options: LookupOptions,
    *,
    progress: Progress = None,
    chunk_size: int | None = None,
    retry_missing: bool = False,
) -> LookupDataset:
    """Look ``utks`` up into the dataset at ``out`` (created, or continued) and return it.

    The dataset records its portal and the credential that made it (a salted fingerprint,
    never the credential), even when nothing matched; another portal, or a credential
    HubSpot does not confirm is the same portal's, is refused
    (:func:`~hubutk_pandas.dataset.manifest.check_source`). Utks it found missing stay
    missing on a rerun, unless ``retry_missing``.

    Parameters
    ----------
    fetcher
        The client's side (``client.fetcher``): it fetches, and paces.
    utks
        Any iterable of cells, cleaned like :meth:`HubSpotClient.lookup_utks` does.
        Values already in the dataset are not fetched again.
    out
        The dataset folder: new, empty, or a dataset of the same options and portal.
    options
        The :class:`~hubutk_pandas.LookupOptions` the dataset is bound to.
    progress
        As for :meth:`~hubutk_pandas.HubSpotClient.lookup_utks`: utks, reported after each
        chunk written.
    chunk_size
        utks fetched and written per part; peak memory is about three chunks of records.
        By default :func:`chunk_size_for` the options: 2,000 (:data:`DEFAULT_CHUNK_SIZE`,
        and :data:`VALUE_ONLY_CHUNK_SIZE` with ``property_mode="value_only"``).
    retry_missing
        Look the utks the dataset found missing (``not_found``) up again, and only those
        (with any new ``utks``): visitors become contacts over time. What now matches is
        written; the rest is missing again. Utks that cannot be one stay ``invalid``.

    Returns
    -------
    LookupDataset

    Raises
    ------
    DatasetError
        ``out`` is not a dataset, holds other options, was made with another credential
        or holds another portal, or the disk is full;
        :class:`~hubutk_pandas.errors.DatasetInUseError` when another process is writing
        it. Nothing already written is changed.
    LookupFailedError, DailyLimitError
        Some utks could not be fetched: ``.partial`` is the readable dataset of everything
        written, ``.failed_utks`` the rest; the same call again fetches only those.

    Examples
    --------
    >>> import tempfile
    >>> from hubutk_pandas import LookupOptions
    >>> path = tempfile.mkdtemp() + "/visits"
    >>> ds = lookup_to_dataset(client.fetcher, client.sandbox.sample_utks(5) + ["f" * 32],
    ...                        path, LookupOptions(), progress=False)
    >>> ds.counts["contacts"], ds.counts["missing"], ds.complete
    (5, 1, True)
    """
    check_controls(progress=progress)
    if chunk_size is None:
        chunk_size = chunk_size_for(options)
    elif not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or chunk_size < 1:
        raise InvalidOptionError.for_value("chunk_size", chunk_size, "use an integer >= 1")
    root = Path(out)
    # Fail fast, before a folder is made or a million utks read in: a credential without
    # the lists scope costs one request, and leaves no dataset bound to options it cannot serve.
    require_lists(fetcher, options)
    definitions = stopping_at_the_daily_limit(fetcher.property_definitions)
    if not isinstance(retry_missing, bool):
        raise InvalidOptionError.for_value("retry_missing", retry_missing, "use True or False")
    opened = DatasetWriter(
        root,
        dataset_options(options),
        fetcher.source,
        definitions,
        identify=fetcher.credential_fingerprint,
        portal=stopping_at_the_daily_limit(fetcher.portal_id),
    )
    with opened as writer:
        valid, invalid = writer.add_input(utks)
        again = make_missing_pending(writer) if retry_missing else 0
        if valid or invalid or again:
            writer.save_manifest()  # new utks: the dataset is incomplete until they are written
        if again:
            log.info("dataset %s: %d missing utks to look up again", root, again)
        if invalid:
            _warn(
                f"{invalid} value{'s' if invalid != 1 else ''} cannot be a utk (not cookie-safe, "
                f"or longer than {MAX_UTK_LENGTH} characters) and "
                f"{'were' if invalid != 1 else 'was'} not sent; see the dataset's missing "
                "frame (reason 'invalid')."
            )
        if writer.manifest.get("definitions") is None:
            writer.set_definitions(definitions())
        total = writer.state.pending_valid()
        outcome = _run(fetcher, writer, options, chunk_size, progress, total)
        pending = writer.state.summary()["pending"]
        failed = bool(outcome.failed_utks) or outcome.fatal is not None
        writer.save_manifest(complete=not failed and pending == 0)
    dataset = open_dataset(root)
    raise_for_failures(
        dataset,
        fatal=outcome.fatal,
        failed=outcome.failed,
        failed_utks=outcome.failed_utks,
        total=total,
        detail=(
            f" The dataset holds everything written ({dataset.counts['contacts']} contacts "
            f"rows); {dataset.pending} utks are pending: run the same lookup again (after the "
            "limit resets, for a daily limit) to fetch only those."
        ),
    )
    return dataset


def _run(
    fetcher: Fetcher,
    writer: DatasetWriter,
    opts: LookupOptions,
    chunk_size: int,
    progress: Progress,
    total: int,
) -> _Outcome:
    handoff: queue.Queue[Any] = queue.Queue(maxsize=1)
    stop = threading.Event()
    thread = threading.Thread(
        target=_fetcher,
        args=(fetcher, writer, opts, chunk_size, handoff, stop),
        name="hubutk-dataset-fetch",
        daemon=True,  # on Ctrl-C the calling thread returns at once; this one ends after its chunk
    )
    outcome = _Outcome()
    written = 0
    # Up to three chunks of answers are alive at a time, containers that json.loads made
    # without cycles, and the automatic collector rescanned them about once per chunk in a
    # full collection: a fifth of a streamed lookup's time. So the collector is paused
    # (restored as found) and sweeps every _SWEEP_EVERY chunks, which keeps cyclic garbage
    # bounded however long the run.
    with (
        Report(progress, total, several=total > MAX_BATCH_SIZE) as report,
        collector_paused() as sweep,
    ):
        thread.start()
        try:
            while (item := handoff.get()) is not _DONE:
                if isinstance(item, BaseException):
                    raise item
                chunk, got = item
                assembled = assemble([(utk, valid) for _, utk, valid in chunk], got)
                outcome.fatal = outcome.fatal or got.fatal
                outcome.failed.extend(got.failed)
                outcome.failed_utks.extend(assembled.failed_utks)
                frames = build_frames(assembled.matched, assembled.missing)
                # The records are let go of once the frames hold what they said, before the
                # parts are written: a chunk being written holds its frames, not both.
                got.found.clear()
                got.by_batch.clear()
                del assembled.matched[:]
                lists = add_memberships(
                    fetcher, frames, opts, cache=False, refresh=False, stopped=got.fatal is not None
                )
                settled = sum(valid for _, _, valid in chunk)
                if lists is not None and not lists.ok:
                    # Memberships missing: the chunk is not written, its utks stay pending
                    # and the same call again fetches it whole.
                    outcome.fatal = outcome.fatal or lists.fatal
                    outcome.failed.extend(lists.failed)
                    lost = set(outcome.failed_utks)
                    outcome.failed_utks.extend(u for _, u, ok in chunk if ok and u not in lost)
                    report.advance(settled)
                    if outcome.fatal is not None:
                        break  # no chunk after this one is written (stop is set below)
                    continue
                portal_ids = set(frames["contacts"]["portal_id"].dropna().astype(int).tolist())
                writer.write_chunk(frames, [chunk[i][0] for i in assembled.done], portal_ids)
                del chunk, got, assembled, frames  # this chunk's records die here, not at a sweep
                written += 1
                if written % _SWEEP_EVERY == 0:
                    sweep()
                report.advance(settled)
            report.finish()  # a fatal error left chunks unstarted: they are settled too
        finally:
            stop.set()
    return outcome
