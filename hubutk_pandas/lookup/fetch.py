"""Fetch planned batches on a small thread pool: bisection, fatal stops, answers.

:func:`fetch` is the pipeline's fetch stage: it sends a :class:`~hubutk_pandas.lookup.plan.Plan`'s
batches through the :class:`~hubutk_pandas.lookup.fetcher.Fetcher` and gathers
:class:`~hubutk_pandas.lookup.assemble.Answers`. Its fan-out, :func:`run_batches`, submits
every batch to a :class:`~concurrent.futures.ThreadPoolExecutor` (the workers share the
client's pacer through ``get``) and yields each outcome *in the calling thread* as batches
complete:

* an answer that smaller batches may avoid (400, 404, 414: one bad utk, a URL too long
  for this portal) is bisected until the offending utks stand alone
  (:func:`send_batch`), so one bad value costs only itself - unless both halves are
  refused the same way (same status, category and message; for a 414, halves of one utk
  each): then the refusal is not about particular utks, and it stops the lookup, so a
  portal that refuses everything costs about three requests per worker, not a storm;
* other failures after retries are appended to ``failed`` with their error;
* a fatal error (:func:`is_fatal`: a refused credential, the daily limit, a failing local
  cache, such a systematic refusal) stops every batch not yet sent and is yielded, not
  raised, so the caller can keep what already succeeded;
* anything that is not a :class:`~hubutk_pandas.errors.HubSpotError` (a bug, a callback's
  exception) propagates as itself;
* ``on_done(batch)`` is called in the calling thread after each planned batch completes
  (a bisected batch once, when all its parts are done; a batch skipped after a fatal
  error too), so progress ends at the total even when batches fail.

Examples
--------
>>> seen = []
>>> def get(batch):
...     return {u: {"vid": i} for i, u in enumerate(batch)}
>>> failed = []
>>> out = list(run_batches([["a", "b"], ["c"]], get, max_workers=2, failed=failed,
...                        on_done=seen.append))
>>> sorted(b for b, _ in out), failed, sorted(seen)
([['a', 'b'], ['c']], [], [['a', 'b'], ['c']])
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, as_completed, wait
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, NamedTuple

from hubutk_pandas._json import SentObject
from hubutk_pandas.errors import (
    AuthenticationError,
    BadRequestError,
    CacheError,
    HubSpotError,
    RateLimitError,
)
from hubutk_pandas.frames.columns import typed_pays
from hubutk_pandas.lookup.assemble import Answers
from hubutk_pandas.lookup.failures import daily_limit_stops
from hubutk_pandas.lookup.plan import plan

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hubutk_pandas.lookup.fetcher import Fetcher
    from hubutk_pandas.lookup.plan import Plan
    from hubutk_pandas.options import LookupOptions

__all__ = [
    "SPLITTABLE",
    "Outcome",
    "fetch",
    "fetch_raw",
    "is_fatal",
    "run_batches",
    "send_batch",
]

logger = logging.getLogger(__name__)

SPLITTABLE = (400, 404, 414)
"""Statuses a smaller batch may avoid: a bad utk, or a URL too long for the portal."""

Get = Callable[[list[str]], Any]
Done = list[tuple[list[str], Any]]
Failed = list[tuple[list[str], HubSpotError | None]]


def is_fatal(error: object) -> bool:
    """Whether ``error`` stops the whole lookup: no retry or smaller batch can help.

    A refused credential, the portal's daily limit, and a failing local cache (not about
    the batch either: it is raised as itself).

    Examples
    --------
    >>> is_fatal(RateLimitError("x", status=429, policy_name="DAILY")), is_fatal(None)
    (True, False)
    """
    return isinstance(error, (AuthenticationError, CacheError)) or (
        isinstance(error, RateLimitError) and error.daily
    )


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
    except HubSpotError as exc:
        if is_fatal(exc):
            stop.set()  # here, not in the caller: this worker's next batch must not start
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
            fatal = fatal or (answer if is_fatal(answer) else None)
        else:
            done.append((part, answer))
    return Outcome(done, failed, fatal)


def send_batch(get: Get, batch: list[str], stop: threading.Event) -> Outcome:
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
    >>> done, failed, fatal = send_batch(get, ["a", "bad", "c", "d"], threading.Event())
    >>> [b for b, _ in done], [b for b, _ in failed], fatal
    ([['a'], ['c', 'd']], [['bad']], None)
    >>> def refuse(batch):
    ...     raise BadRequestError("no", status=400)
    >>> send_batch(refuse, list("abcd"), threading.Event()).fatal  # doctest: +ELLIPSIS
    BadRequestError('no (HubSpot refused both halves of a batch of 4 utks the same way, ...
    """
    answer = _attempt(get, batch, stop)
    if _splittable(answer) and len(batch) > 1:
        return _bisect(get, batch, answer.status, stop)
    if answer is None or isinstance(answer, HubSpotError):
        return Outcome([], [(batch, answer)], answer if is_fatal(answer) else None)
    return Outcome([(batch, answer)], [])


def run_batches(
    batches: list[list[str]],
    get: Get,
    *,
    max_workers: int,
    failed: Failed,
    on_done: Callable[[list[str]], Any] | None = None,
    workers: ThreadPoolExecutor | None = None,
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
    on_done
        Called in the calling thread with each planned batch once it is complete
        (answered, failed or skipped). An exception it raises stops the remaining batches
        and propagates.
    workers
        A pool to send on, shared with other calls (a streamed lookup fetches two chunks
        at once on one pool); by default a pool of ``max_workers`` threads of this call's
        own. Either way, no batch of this call is still being sent when it returns.

    Examples
    --------
    >>> list(run_batches([], dict, max_workers=1, failed=[]))
    []
    """
    if not batches:
        return
    stop = threading.Event()
    with ExitStack() as own:
        pool = workers or own.enter_context(ThreadPoolExecutor(max_workers, "hubutk"))
        sent: dict[Future[Outcome], list[str]] = {
            pool.submit(send_batch, get, batch, stop): batch for batch in batches
        }
        if workers is not None:  # not shut down on leaving: wait for this call's batches
            own.callback(wait, sent)
        try:
            # as_completed waits on every future once; wait(FIRST_COMPLETED) in a loop
            # registered a waiter on each pending future at each answer: quadratic, 0.13 s
            # of the calling thread's CPU for 1,000 batches (0.014 s this way)
            for future in as_completed(sent):
                # let go of each answered future: it holds its decoded answer (the records
                # of 100 utks), which would otherwise live until the last batch is answered
                batch = sent.pop(future)
                outcome = future.result()  # a bug in a worker is raised here, as itself
                failed.extend((b, e) for b, e in outcome.failed if e is not outcome.fatal)
                yield from outcome.done
                if outcome.fatal is not None:
                    stop.set()
                    yield [], outcome.fatal
                if on_done is not None:
                    on_done(batch)
        finally:
            stop.set()


def fetch(
    fetcher: Fetcher,
    planned: Plan,
    options: LookupOptions,
    *,
    cache: bool,
    refresh: bool = False,
    into: Answers | None = None,
    on_done: Callable[[list[str]], Any] | None = None,
    on_answers: Callable[[Mapping[str, Any]], Any] | None = None,
    workers: ThreadPoolExecutor | None = None,
) -> Answers:
    """Send ``planned``'s batches through ``fetcher``; failures are gathered, not raised.

    ``into`` receives the answers (default: new :class:`Answers`). ``on_answers(found)`` is
    called in the calling thread with each ``byUtk`` batch's answers as it arrives, for the
    record store: utk -> the record, or its JSON text as HubSpot sent it when the fetcher
    kept the body (a :class:`~hubutk_pandas._json.SentObject`); or ``None``. ``on_done`` as
    in :func:`run_batches`.
    """
    out = Answers() if into is None else into
    out.batches += len(planned.batches)
    endpoint, query = planned.endpoint, planned.query
    # Records trimmed here (a property list applied locally) are no longer what was sent.
    cut = on_answers is not None and endpoint == "byUtk" and not planned.local_filter
    typed = typed_pays()

    def get(batch: list[str]) -> tuple[Any, dict[str, str]]:
        params = [*query, *(("utk", u) for u in batch)]
        data = fetcher.get_batch(endpoint, params, refresh=refresh, cache=cache, typed=typed)
        if not isinstance(data, SentObject):
            return data, {}
        # Cut in the worker, and the body let go of here: only the record store wants it.
        texts = data.members_as_sent() if cut else {}
        data.sent = b""
        return data, texts

    def keep(record: Any) -> Any:
        return planned.keep(record, options)

    for batch, answer in run_batches(
        planned.batches,
        get,
        max_workers=fetcher.max_workers,
        failed=out.failed,
        on_done=on_done,
        workers=workers,
    ):
        if isinstance(answer, HubSpotError):
            out.fatal = out.fatal or answer
            continue
        data, texts = answer
        out.completed.update(batch)
        if endpoint == "byUtk":
            found = {u: keep(data.get(u)) for u in batch}
            out.found.update(found)
            if on_answers is not None:
                on_answers({u: texts.get(u, r) for u, r in found.items()} if texts else found)
        elif len(batch) == 1:
            records = [keep(r) for r in data.values()]
            out.found[batch[0]] = records[0] if records else None
        else:
            out.by_batch[batch[0]] = [keep(r) for r in data.values()]
    return out


def fetch_raw(
    fetcher: Fetcher, utks: list[str], options: LookupOptions, *, refresh: bool
) -> dict[str, Any]:
    """HubSpot's raw answer for one batch of valid, distinct ``utks`` (``fetch_batch``).

    Sent as planned (one request, or more when the URL budget asks), in this thread,
    through the cache; the records trimmed when the property list was filtered locally.
    The first failure is raised (the daily limit as
    :class:`~hubutk_pandas.errors.DailyLimitError`).
    """
    planned = plan(fetcher, utks, options)
    answer: dict[str, Any] = {}
    with daily_limit_stops():
        for batch in planned.batches:
            params = [*planned.query, *(("utk", u) for u in batch)]
            data = fetcher.get_batch(planned.endpoint, params, refresh=refresh, cache=True)
            for key, record in data.items():
                answer.setdefault(key, planned.keep(record, options))
    logger.debug(
        "batch of %d utks: %d requests, %d records", len(utks), len(planned.batches), len(answer)
    )
    return answer
