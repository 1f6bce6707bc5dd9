"""Send planned batches on a small thread pool: bisection, fatal stops and progress.

:func:`run_batches` is the client's fan-out. It submits every batch to a
:class:`~concurrent.futures.ThreadPoolExecutor` (the workers share the client's pacer
through ``get``) and yields each outcome *in the calling thread* as batches complete:

* an answer that smaller batches may avoid (400, 404, 414: one bad utk, a URL too long
  for this portal) is bisected until the offending utks stand alone
  (:func:`fetch_batch`), so one bad value costs only itself;
* other failures after retries are appended to ``failed`` with their error;
* a fatal error (:class:`~hubutk_pandas.errors.AuthenticationError`,
  :class:`~hubutk_pandas.errors.DailyLimitError`) stops every batch not yet sent and is
  yielded, not raised, so the caller can keep what already succeeded;
* progress is a tqdm bar, or a callable ``progress(done, total)`` called from the
  calling thread: once with ``done=0`` before anything is sent, then after each planned
  batch completes (a bisected batch counts once, when all its parts are done), ending
  at ``done == total == len(batches)`` even when batches fail.

Examples
--------
>>> seen = []
>>> def get(batch):
...     return {u: {"vid": i} for i, u in enumerate(batch)}
>>> failed = []
>>> out = list(run_batches([["a", "b"], ["c"]], get, max_workers=2, failed=failed,
...                        progress=lambda done, total: seen.append((done, total))))
>>> sorted(b for b, _ in out), failed, seen[0], seen[-1]
([['a', 'b'], ['c']], [], (0, 2), (2, 2))
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from hubutk_pandas.errors import (
    AuthenticationError,
    BadRequestError,
    DailyLimitError,
    HubSpotError,
    LookupFailedError,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hubutk_pandas.result import LookupResult

__all__ = ["SPLITTABLE", "fetch_batch", "raise_for_failures", "run_batches"]

logger = logging.getLogger(__name__)

SPLITTABLE = (400, 404, 414)
"""Statuses a smaller batch may avoid: a bad utk, or a URL too long for the portal."""

Get = Callable[[list[str]], Any]
Done = list[tuple[list[str], Any]]
Failed = list[tuple[list[str], HubSpotError | None]]


#: Errors no retry or smaller batch can help: they stop the whole lookup.
FATAL = (AuthenticationError, DailyLimitError)


def fetch_batch(get: Get, batch: list[str], stop: threading.Event) -> tuple[Done, Failed]:
    """One batch, bisected on errors smaller batches may avoid: ``(done, failed)``.

    ``done`` holds ``(utks, answer)`` pairs, ``failed`` holds ``(utks, error)`` pairs
    (``error`` is ``None`` for utks skipped because ``stop`` was set). A fatal error
    (refused credential, daily limit) sets ``stop`` here, so this worker's next batch does
    not start, and is returned in ``failed`` like any other: the halves of a bisected
    batch that were already fetched, and the error that caused the split, are kept.

    Examples
    --------
    >>> def get(batch):
    ...     if "bad" in batch:
    ...         raise BadRequestError("bad utk", status=400)
    ...     return {}
    >>> done, failed = fetch_batch(get, ["a", "bad", "c", "d"], threading.Event())
    >>> [b for b, _ in done], [b for b, _ in failed]
    ([['a'], ['c', 'd']], [['bad']])
    """
    if stop.is_set():
        return [], [(batch, None)]
    try:
        data = get(batch)
    except BadRequestError as exc:
        if exc.status in SPLITTABLE and len(batch) > 1:
            half = len(batch) // 2
            logger.warning("HTTP %s on a batch of %d utks: splitting it", exc.status, len(batch))
            left = fetch_batch(get, batch[:half], stop)
            right = fetch_batch(get, batch[half:], stop)
            return left[0] + right[0], left[1] + right[1]
        return [], [(batch, exc)]
    except FATAL as exc:
        stop.set()  # here, not in the caller: this worker's next batch must not start
        return [], [(batch, exc)]
    except HubSpotError as exc:
        return [], [(batch, exc)]
    return [(batch, data)], []


def run_batches(
    batches: list[list[str]],
    get: Get,
    *,
    max_workers: int,
    failed: Failed,
    progress: bool | Callable[[int, int], Any] | None = None,
) -> Iterator[tuple[list[str], Any]]:
    """Fetch ``batches`` on the pool; yield ``(batch, answer)`` or ``([], fatal error)``.

    Parameters
    ----------
    batches
        The planned batches (lists of utks).
    get
        Fetches one batch and returns its parsed answer; raises :class:`HubSpotError`.
        Called from the worker threads.
    max_workers
        Threads sending at once.
    failed
        Receives ``(utks, error)`` of batches (or bisected parts) that failed.
    progress
        ``None``: a tqdm bar when there is more than one batch; ``True`` / ``False``:
        always / never a bar; a callable: ``progress(done, total)`` from the calling
        thread, ``(0, total)`` first, then after each batch (no bar). An exception it
        raises stops the remaining batches and propagates.

    Examples
    --------
    >>> calls = []
    >>> list(run_batches([], dict, max_workers=1, failed=[],
    ...                  progress=lambda d, t: calls.append((d, t))))
    []
    >>> calls
    [(0, 0)]
    """
    report = progress if callable(progress) else None
    total = len(batches)
    if report is not None:
        report(0, total)
    if not batches:
        return
    from tqdm.auto import tqdm

    show = report is None and (total > 1 if progress is None else bool(progress))
    stop = threading.Event()
    bar = tqdm(total=total, disable=not show, desc="HubSpot batches", unit="batch")
    done_count = 0
    with ThreadPoolExecutor(max_workers, "hubutk") as pool:
        pending: set[Future[tuple[Done, Failed]]] = {
            pool.submit(fetch_batch, get, batch, stop) for batch in batches
        }
        try:
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    bar.update(1)
                    done_count += 1
                    ok, bad = future.result()
                    failed.extend((b, e) for b, e in bad if not isinstance(e, FATAL))
                    yield from ok
                    for _, error in bad:
                        if isinstance(error, FATAL):
                            stop.set()
                            yield [], error
                    if report is not None:
                        report(done_count, total)
        finally:
            stop.set()
            bar.close()


def raise_for_failures(
    result: LookupResult,
    fatal: HubSpotError | None,
    failed: Failed,
    failed_utks: list[str],
    valid_count: int,
) -> None:
    """Raise what a lookup ends with when batches failed; return when none did.

    A daily limit becomes a :class:`DailyLimitError` and other failed batches a
    :class:`LookupFailedError`, both carrying ``result`` as ``.partial`` and the
    ``failed_utks``; any other fatal error (a refused credential) is raised as is.

    Examples
    --------
    >>> raise_for_failures(None, None, [], [], 3)  # nothing failed: no error
    >>> raise_for_failures(None, None, [(["u"], BadRequestError("bad", status=400))], ["u"], 3)
    Traceback (most recent call last):
    hubutk_pandas.errors.LookupFailedError: 1 of 3 utks could not be fetched (1 batches); ...
    """
    errors = [e for _, e in failed if e is not None]
    if isinstance(fatal, DailyLimitError):
        raise DailyLimitError(
            f"{fatal.message} {len(failed_utks)} utks were not fetched; "
            "see .partial and .failed_utks.",
            partial=result,
            failed_utks=failed_utks,
            errors=[fatal, *errors],
            status=429,
            policy_name="DAILY",
            correlation_id=fatal.correlation_id,
        )
    if fatal is not None:
        raise fatal
    if failed_utks:
        first = errors[0] if errors else HubSpotError("unknown failure")
        raise LookupFailedError(
            f"{len(failed_utks)} of {valid_count} utks could not be fetched "
            f"({len(failed)} batches); .partial holds the rest. First error: {first.message}",
            partial=result,
            failed_utks=failed_utks,
            errors=errors,
            status=first.status,
            category=first.category,
            correlation_id=first.correlation_id,
        )
