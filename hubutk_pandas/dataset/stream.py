"""Stream a lookup to a dataset: chunks from disk, fetched and written in a pipeline.

:func:`lookup_to_dataset` is what ``client.lookup_utks(..., out=PATH)`` runs:

1. the input goes to the resume state on disk in blocks (dedupe in SQLite's unique index),
   so nothing the size of the input is kept in Python;
2. a fetching thread reads the pending utks in chunks of ``chunk_size`` (in input order)
   and fetches them through the client, two at a time so that the worker pool never
   drains at a chunk's end (its pacer is the one paced place; no HTTP cache or record
   store: the dataset is the state), handing at most one finished chunk ahead to the
   calling thread;
3. the calling thread builds the chunk's frames with
   :func:`~hubutk_pandas.frames.build_frames` (the in-memory path's tidy code) and writes
   them as one part (:class:`~hubutk_pandas.dataset.writer.DatasetWriter`) while the next
   chunk is being fetched.

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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hubutk_pandas._gc import collector_paused
from hubutk_pandas._warnings import warn as _warn
from hubutk_pandas.dataset.reader import LookupDataset, open_dataset
from hubutk_pandas.dataset.writer import DatasetWriter
from hubutk_pandas.errors import DailyLimitError, HubSpotError, LookupFailedError
from hubutk_pandas.frames import build_frames
from hubutk_pandas.options import LookupOptions, Progress, check_controls
from hubutk_pandas.utks import MAX_UTK_LENGTH

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hubutk_pandas.client import ChunkAnswers, HubSpotClient

__all__ = ["DEFAULT_CHUNK_SIZE", "lookup_to_dataset"]

log = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 1_000
"""utks per chunk (10 requests): with full history about 55 MB of records in memory."""

Chunk = list[tuple[int, str, bool]]
_DONE = object()
_AHEAD = 2  # chunks being fetched at once
_SWEEP_EVERY = 20  # chunks between full collections while the collector is paused (see _run)


def dataset_options(opts: LookupOptions) -> dict[str, Any]:
    """The options a dataset is bound to (what changes the answers; not progress/refresh)."""
    return {**opts.fingerprint(), "endpoint": opts.endpoint}


def _assemble(
    chunk: Chunk, got: ChunkAnswers
) -> tuple[list[tuple[str | None, Any]], list[tuple[str, str]], list[int]]:
    """The chunk's ``matched`` and ``missing`` in input order, and the seqs that are done."""
    matched: list[tuple[str | None, Any]] = []
    missing: list[tuple[str, str]] = []
    done: list[int] = []
    for seq, utk, valid in chunk:
        if not valid:
            missing.append((utk, "invalid"))
        elif utk in got.by_batch:
            matched.extend((None, r) for r in got.by_batch[utk])
        elif utk in got.answers:
            record = got.answers[utk]
            if record is None:
                missing.append((utk, "not_found"))
            else:
                matched.append((utk, record))
        elif utk not in got.completed:
            continue  # failed or not sent: stays pending
        done.append(seq)
    return matched, missing, done


def _fetcher(
    client: HubSpotClient,
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
            with ThreadPoolExecutor(_AHEAD, thread_name_prefix="hubutk-chunk") as pool:
                after = 0
                ahead: deque[tuple[Chunk, Future[ChunkAnswers]]] = deque()
                fatal = False
                while not stop.is_set():
                    while (
                        not fatal
                        and len(ahead) < _AHEAD
                        and (chunk := reader.pending(after, chunk_size))
                    ):
                        after = chunk[-1][0]
                        valid = [u for _, u, ok in chunk if ok]
                        ahead.append((chunk, pool.submit(client._fetch_chunk, valid, opts)))
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
    client: HubSpotClient,
    utks: Iterable[Any],
    out: str | Path,
    options: LookupOptions,
    *,
    progress: Progress = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> LookupDataset:
    """Look ``utks`` up into the dataset at ``out`` (created, or continued) and return it.

    Parameters
    ----------
    client
        The :class:`~hubutk_pandas.HubSpotClient` that fetches (and paces).
    utks
        Any iterable of cells, cleaned like :meth:`HubSpotClient.lookup_utks` does.
        Values already in the dataset are not fetched again.
    out
        The dataset folder: new, empty, or a dataset of the same options and portal.
    options
        The :class:`~hubutk_pandas.LookupOptions` the dataset is bound to.
    progress
        As for :meth:`~hubutk_pandas.HubSpotClient.lookup_utks`, but counting utks: a bar
        (``None``: when there is more than one chunk), ``True``/``False``, or a callable
        ``progress(done, total)``.
    chunk_size
        utks fetched and written per part; peak memory is about three chunks of records.

    Returns
    -------
    LookupDataset

    Raises
    ------
    DatasetError
        ``out`` is not a dataset, holds other options or another portal, or the disk is
        full; :class:`~hubutk_pandas.errors.DatasetInUseError` when another process is
        writing it. Nothing already written is changed.
    LookupFailedError, DailyLimitError
        Some utks could not be fetched: ``.partial`` is the readable dataset of everything
        written, ``.failed_utks`` the rest; the same call again fetches only those.

    Examples
    --------
    >>> import tempfile
    >>> from hubutk_pandas import LookupOptions
    >>> path = tempfile.mkdtemp() + "/visits"
    >>> ds = lookup_to_dataset(client, client.sandbox.sample_utks(5) + ["f" * 32], path,
    ...                        LookupOptions(), progress=False)
    >>> ds.counts["contacts"], ds.counts["missing"], ds.complete
    (5, 1, True)
    """
    check_controls(progress=progress)
    if not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, not {chunk_size!r}")
    root = Path(out)
    opened = DatasetWriter(
        root, dataset_options(options), client.settings.base_url, client.property_definitions
    )
    with opened as writer:
        valid, invalid = writer.add_input(utks)
        if valid or invalid:
            writer.save_manifest()  # new utks: the dataset is incomplete until they are written
        if invalid:
            _warn(
                f"{invalid} value{'s' if invalid != 1 else ''} cannot be a utk (not cookie-safe, "
                f"or longer than {MAX_UTK_LENGTH} characters) and "
                f"{'were' if invalid != 1 else 'was'} not sent; see the dataset's missing "
                "frame (reason 'invalid')."
            )
        if writer.manifest.get("definitions") is None:
            writer.set_definitions(client.property_definitions())
        failed, fatal = _run(client, writer, options, chunk_size, progress)
        pending = writer.state.summary()["pending"]
        writer.save_manifest(complete=not failed and fatal is None and pending == 0)
    dataset = open_dataset(root)
    _raise_for_failures(dataset, failed, fatal)
    return dataset


def _run(
    client: HubSpotClient,
    writer: DatasetWriter,
    opts: LookupOptions,
    chunk_size: int,
    progress: Progress,
) -> tuple[list[str], HubSpotError | None]:
    from tqdm.auto import tqdm

    total = writer.state.summary()["pending"]
    report = progress if callable(progress) else None
    show = report is None and (total > chunk_size if progress is None else bool(progress))
    bar = tqdm(total=total, disable=not show, desc="HubSpot → dataset", unit="utk")
    handoff: queue.Queue[Any] = queue.Queue(maxsize=1)
    stop = threading.Event()
    thread = threading.Thread(
        target=_fetcher,
        args=(client, writer, opts, chunk_size, handoff, stop),
        name="hubutk-dataset-fetch",
        daemon=True,  # on Ctrl-C the calling thread returns at once; this one ends after its chunk
    )
    failed: list[str] = []
    fatal: HubSpotError | None = None
    done = written = 0
    if report is not None:
        report(0, total)
    # Up to three chunks of answers are alive at a time, containers that json.loads made
    # without cycles, and the automatic collector rescanned them about once per chunk in a
    # full collection: a fifth of a streamed lookup's time. So the collector is paused
    # (restored as found) and sweeps every _SWEEP_EVERY chunks, which keeps cyclic garbage
    # bounded however long the run.
    with collector_paused() as sweep:
        thread.start()
        try:
            while (item := handoff.get()) is not _DONE:
                if isinstance(item, BaseException):
                    raise item
                chunk, got = item
                matched, missing, seqs = _assemble(chunk, got)
                fatal = fatal or got.fatal
                failed_here = {u for batch, _ in got.failed for u in batch}
                failed.extend(u for _, u, valid in chunk if valid and u not in got.completed
                              and (u in failed_here or got.fatal is not None))  # fmt: skip
                frames = build_frames(matched, missing)
                portal_ids = set(frames["contacts"]["portal_id"].dropna().astype(int).tolist())
                writer.write_chunk(frames, seqs, portal_ids)
                del chunk, got, matched, frames  # this chunk's records die here, not at a sweep
                written += 1
                if written % _SWEEP_EVERY == 0:
                    sweep()
                done += len(seqs)
                bar.update(len(seqs))
                if report is not None:
                    report(done, total)
        finally:
            stop.set()
            bar.close()
    return failed, fatal


def _raise_for_failures(
    dataset: LookupDataset, failed: list[str], fatal: HubSpotError | None
) -> None:
    if isinstance(fatal, DailyLimitError):
        raise DailyLimitError(
            f"{fatal.message} {dataset.pending} utks are not fetched yet; the dataset holds "
            f"everything before ({dataset.counts['contacts']} contacts rows). Run the same "
            "lookup again after the reset to continue.",
            partial=dataset,  # type: ignore[arg-type]
            failed_utks=failed,
            errors=[fatal],
            status=429,
            policy_name="DAILY",
            correlation_id=fatal.correlation_id,
        )
    if fatal is not None:
        raise fatal
    if failed:
        raise LookupFailedError(
            f"{len(failed)} utks could not be fetched; the dataset holds the rest. Run the "
            "same lookup again to fetch only those.",
            partial=dataset,  # type: ignore[arg-type]
            failed_utks=failed,
        )
