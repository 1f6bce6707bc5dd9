"""Send planned batches on a small thread pool: bisection, fatal stops and progress.

:func:`run_batches` is the client's fan-out. It submits every batch to a
:class:`~concurrent.futures.ThreadPoolExecutor` (the workers share the client's pacer
through ``get``) and yields each outcome *in the calling thread* as batches complete:

* an answer that smaller batches may avoid (400, 404, 414: one bad utk, a URL too long
  for this portal) is bisected until the offending utks stand alone
  (:func:`fetch_batch`), so one bad value costs only itself - unless both halves are
  refused the same way (same status, category and message; for a 414, halves of one utk
  each): then the refusal is not about particular utks, and it stops the lookup, so a
  portal that refuses everything costs about three requests per worker, not a storm;
* other failures after retries are appended to ``failed`` with their error;
* a fatal error (:class:`~hubutk_pandas.errors.AuthenticationError`,
  :class:`~hubutk_pandas.errors.DailyLimitError`, a failing local cache
  (:class:`~hubutk_pandas.errors.CacheError`), such a systematic refusal) stops every
  batch not yet sent and is yielded, not raised, so the caller can keep what already
  succeeded;
* anything that is not a :class:`~hubutk_pandas.errors.HubSpotError` (a bug, a callback's
  exception) propagates as itself;
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
from typing import TYPE_CHECKING, Any, NamedTuple

from hubutk_pandas.errors import (
    AuthenticationError,
    BadRequestError,
    CacheError,
    DailyLimitError,
    HubSpotError,
    LookupFailedError,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hubutk_pandas.result import LookupResult

__all__ = ["SPLITTABLE", "Outcome", "fetch_batch", "raise_for_failures", "run_batches"]

logger = logging.getLogger(__name__)

SPLITTABLE = (400, 404, 414)
"""Statuses a smaller batch may avoid: a bad utk, or a URL too long for the portal."""

Get = Callable[[list[str]], Any]
Done = list[tuple[list[str], Any]]
Failed = list[tuple[list[str], HubSpotError | None]]


#: Errors no retry or smaller batch can help: they stop the whole lookup. A failing
#: local cache is not about the batch either: it is raised as itself.
FATAL = (AuthenticationError, DailyLimitError, CacheError)


class Outcome(NamedTuple):
    """What one planned batch came to: answers, failures, and the error that stops all."""

    done: Done
    failed: Failed
    fatal: HubSpotError | None = None


def _attempt(get: Get, batch: list[str], stop: threading.Event) -> Any:
    """One request: the answer, the :class:`HubSpotError` it raised, or ``None`` if stopped.

    Only the package's own errors are caught: anything else (a bug, a broken callback)
    propagates with its traceback.
    """
    if stop.is_set():
        return None
    try:
        return get(batch)
    except FATAL as exc:
        stop.set()  # here, not in the caller: this worker's next batch must not start
        return exc
    except HubSpotError as exc:
        return exc


def _splittable(answer: Any) -> bool:
    return isinstance(answer, BadRequestError) and answer.status in SPLITTABLE


def _same_refusal(left: Any, right: Any, parts: tuple[list[str], list[str]]) -> bool:
    """Both halves refused the same way: the refusal is not about particular utks.

    A 414 is about length, and halves are shorter: only halves of one utk each
    refused alike show that it is not.
    """
    if not (_splittable(left) and _splittable(right)):
        return False
    same = (left.status, left.category, left.message) == (
        right.status,
        right.category,
        right.message,
    )
    return same and (left.status != 414 or all(len(p) == 1 for p in parts))


def _stopped_by(error: BadRequestError, batch: list[str], stop: threading.Event) -> Outcome:
    stop.set()
    fatal = BadRequestError(
        f"{error.message} (HubSpot refused both halves of a batch of {len(batch)} utks the "
        "same way, so the refusal is not about particular utks; the lookup stopped)",
        status=error.status,
        category=error.category,
        correlation_id=error.correlation_id,
    )
    return Outcome([], [(batch, fatal)], fatal)


def _bisect(get: Get, batch: list[str], status: int | None, stop: threading.Event) -> Outcome:
    """``batch`` was refused with a status a smaller batch may avoid: try both halves.

    Both refused alike: the error is not about particular utks, and the lookup stops
    with it (:func:`_same_refusal`). Otherwise each refused half is split again, until
    the offending utks stand alone.
    """
    half = len(batch) // 2
    parts = (batch[:half], batch[half:])
    logger.warning("HTTP %s on a batch of %d utks: splitting it", status, len(batch))
    answers = [_attempt(get, part, stop) for part in parts]
    if _same_refusal(answers[0], answers[1], parts):
        return _stopped_by(answers[1], batch, stop)
    done: Done = []
    failed: Failed = []
    fatal: HubSpotError | None = None
    for part, answer in zip(parts, answers, strict=True):
        if _splittable(answer) and len(part) > 1 and not stop.is_set():
            inner = _bisect(get, part, answer.status, stop)
            done, failed = done + inner.done, failed + inner.failed
            fatal = fatal or inner.fatal
        elif answer is None or isinstance(answer, HubSpotError):
            failed.append((part, answer))
            fatal = fatal or (answer if isinstance(answer, FATAL) else None)
        else:
            done.append((part, answer))
    return Outcome(done, failed, fatal)


def fetch_batch(get: Get, batch: list[str], stop: threading.Event) -> Outcome:
    """One planned batch, bisected on errors smaller batches may avoid.

    ``done`` holds ``(utks, answer)`` pairs, ``failed`` holds ``(utks, error)`` pairs
    (``error`` is ``None`` for utks skipped because ``stop`` was set), ``fatal`` the error
    that stops the whole lookup, if any: a refused credential, the daily limit, or a
    refusal that bisection showed is not about particular utks. ``stop`` is set here, so
    no worker starts another request; the halves already fetched are kept.

    Examples
    --------
    >>> def get(batch):
    ...     if "bad" in batch:
    ...         raise BadRequestError(f"bad utk in {len(batch)}", status=400)
    ...     return {}
    >>> done, failed, fatal = fetch_batch(get, ["a", "bad", "c", "d"], threading.Event())
    >>> [b for b, _ in done], [b for b, _ in failed], fatal
    ([['a'], ['c', 'd']], [['bad']], None)
    >>> def refuse(batch):
    ...     raise BadRequestError("no", status=400)
    >>> fetch_batch(refuse, list("abcd"), threading.Event()).fatal  # doctest: +ELLIPSIS
    BadRequestError('no (HubSpot refused both halves of a batch of 4 utks the same way, ...
    """
    answer = _attempt(get, batch, stop)
    if _splittable(answer) and len(batch) > 1:
        return _bisect(get, batch, answer.status, stop)
    if answer is None or isinstance(answer, HubSpotError):
        return Outcome([], [(batch, answer)], answer if isinstance(answer, FATAL) else None)
    return Outcome([(batch, answer)], [])


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
        pending: set[Future[Outcome]] = {
            pool.submit(fetch_batch, get, batch, stop) for batch in batches
        }
        try:
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    bar.update(1)
                    done_count += 1
                    outcome = future.result()  # a bug in a worker is raised here, as itself
                    failed.extend((b, e) for b, e in outcome.failed if e is not outcome.fatal)
                    yield from outcome.done
                    if outcome.fatal is not None:
                        stop.set()
                        yield [], outcome.fatal
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
        raise DailyLimitError.from_answer(
            fatal, partial=result, failed_utks=failed_utks, errors=[fatal, *errors]
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
