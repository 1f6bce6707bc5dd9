"""The in-memory sink: a whole lookup at once, into a :class:`~hubutk_pandas.LookupResult`.

What ``client.lookup_utks(utks)`` runs: clean the column, answer what the record store
can (``byUtk``, unless ``refresh``), plan and fetch the rest on the worker pool (storing
each ``byUtk`` answer as it arrives, in the record store only: the HTTP cache serves the
vid-keyed ``utks`` endpoint and ``fetch_batch``), assemble in input order and build the
frames, a group of entries at a time while the fetch goes on
(:mod:`~hubutk_pandas.lookup.groups`), and fail with the result as ``.partial`` if
batches failed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from hubutk_pandas import utks as utks_rules
from hubutk_pandas._gc import collector_paused
from hubutk_pandas.frames.columns import typed_pays
from hubutk_pandas.lookup.assemble import Answers
from hubutk_pandas.lookup.failures import raise_for_failures, stopping_at_the_daily_limit
from hubutk_pandas.lookup.fetch import fetch
from hubutk_pandas.lookup.groups import FrameGroups
from hubutk_pandas.lookup.lists import add_memberships, require_lists, utks_of
from hubutk_pandas.lookup.plan import plan
from hubutk_pandas.lookup.progress import Report
from hubutk_pandas.options import LookupOptions, Progress, check_controls
from hubutk_pandas.result import LookupResult

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hubutk_pandas.lookup.fetcher import Fetcher

__all__ = ["lookup_to_result"]

logger = logging.getLogger(__name__)

STORE_EVERY = 2_000
"""Answers (utks) the record store commits at once during an in-memory lookup."""


def lookup_to_result(
    fetcher: Fetcher,
    utks: Iterable[Any],
    options: LookupOptions,
    *,
    progress: Progress = None,
    refresh: bool = False,
) -> LookupResult:
    """Look ``utks`` up through ``fetcher`` and return the in-memory result.

    Parameters
    ----------
    fetcher
        The client's side (``client.fetcher``).
    utks
        Any iterable of cells, cleaned by :func:`~hubutk_pandas.utks.clean_utks`.
    options
        The :class:`~hubutk_pandas.LookupOptions`.
    progress, refresh
        As for :meth:`~hubutk_pandas.HubSpotClient.lookup_utks` (progress in utks).

    Raises
    ------
    LookupFailedError, DailyLimitError
        Some batches failed: ``.partial`` is the result of the rest.

    Examples
    --------
    >>> r = lookup_to_result(client.fetcher, client.sandbox.sample_utks(2) + ["nobody"],
    ...                      LookupOptions(), progress=False)
    >>> len(r.contacts), r.missing["reason"].tolist(), r.options == LookupOptions()
    (2, ['not_found'], True)
    """
    check_controls(progress=progress, refresh=refresh)
    # An in-memory lookup holds every answer, millions of containers, until the frames
    # are built, and the cyclic collector would rescan them each time they grow by a
    # quarter: 100,000 contacts made 11 full collections, 6 s of pauses of up to 1.3 s
    # that stall every worker and so delay the slots. JSON trees hold no cycles, so the
    # collector is paused from the first answer until the records are dropped, and
    # restored as found (never switched on if the caller had it off). Cycles made
    # meanwhile anywhere in the process wait until then: about 40 objects a request.
    with collector_paused():
        return _lookup(fetcher, utks, options, progress=progress, refresh=refresh)


def _lookup(
    fetcher: Fetcher,
    utks: Iterable[Any],
    options: LookupOptions,
    *,
    progress: Progress,
    refresh: bool,
) -> LookupResult:
    started = time.monotonic()
    require_lists(fetcher, options)  # fail fast: a missing scope costs one request, not a lookup
    cleaned = utks_rules.clean_utks(utks)
    answers = Answers()
    stored = options.endpoint == "byUtk"  # the vid-keyed endpoint cannot fill a per-utk store
    # The frames of each group of entries are built once its utks are settled, while the
    # pacer waits for the next slots; only the last groups are left for after the fetch.
    # The record store's index says which answers it holds (without reading them): only
    # the others are asked of HubSpot. A group's stored answers are read just before it is
    # built and let go of after, so a lookup holds one group of stored records, however
    # many the store answers: a warm rerun (nothing to fetch) reads and builds a group at a
    # time at once; a lookup with answers to fetch sends its first request first and reads
    # and builds while the pacer waits.
    invalid = set(cleaned.invalid)
    typed = typed_pays()  # records with typed properties, when the build reads them so
    groups = FrameGroups(
        cleaned.order,
        invalid=invalid,
        todo=cleaned.valid,
        answers=answers,
        recall=lambda run: fetcher.recall(options, run, typed=typed),
    )
    held: set[str] = set()
    if stored and not refresh:
        held = set(fetcher.stored(options, cleaned.valid))
        groups.held(u for u in cleaned.valid if u in held)
    todo = [u for u in cleaned.valid if u not in held] if held else cleaned.valid
    planned = plan(fetcher, todo, options)
    if not todo:
        groups.settled([])  # nothing to wait for: read and build the groups now

    def done(batch: list[str]) -> None:
        report.advance(len(batch))
        groups.settled(batch)

    # The record store commits a group of answers at once (STORE_EVERY utks), not each
    # batch: a commit costs as much CPU as writing the rows. What arrived since the last
    # group is stored when the fetch ends, also when it is interrupted; a killed process
    # loses at most a group of stored answers, which a rerun fetches again.
    pending: dict[str, Any] = {}

    def store(found: Mapping[str, Any], *, at_least: int = STORE_EVERY) -> None:
        pending.update(found)
        if pending and len(pending) >= at_least:
            group = dict(pending)
            pending.clear()
            fetcher.remember(options, group)

    with Report(progress, len(todo), several=len(planned.batches) > 1) as report:
        try:
            fetch(
                fetcher,
                planned,
                options,
                # byUtk answers are kept per utk by the record store, which serves reruns;
                # the HTTP cache would only keep a second copy of each body, parsed once
                # more to check it (a third of the CPU per utk). The vid-keyed endpoint
                # has no store.
                cache=not stored,
                refresh=refresh,
                into=answers,
                on_done=done,
                on_answers=store if stored else None,
            )
        finally:
            store({}, at_least=1)

    def refetch(lost: list[str], into: Answers = answers) -> None:
        """Fetch again the stored answers the store could not read (damaged or expired rows)."""
        if into.fatal is not None:  # the lookup was stopped: they fail with the rest
            return
        logger.info("record store: fetching %d unreadable stored answers again", len(lost))
        try:
            fetch(fetcher, plan(fetcher, lost, options), options, cache=False,
                  refresh=refresh, into=into, on_answers=store)  # fmt: skip
        finally:
            store({}, at_least=1)

    built = groups.finish(refetch)
    lists = add_memberships(
        fetcher, built, options, cache=True, refresh=refresh, stopped=answers.fatal is not None
    )
    result = LookupResult.from_frames(
        built,
        definitions=stopping_at_the_daily_limit(fetcher.property_definitions),
        options=options,
    )
    logger.info(
        "lookup of %d utks: %d from the store, %d batches sent, %d matched, %d missing, "
        "%d failed, in %.2fs",
        len(cleaned.order),
        groups.from_store,
        answers.batches,
        groups.matched,
        groups.missing,
        len(groups.failed_utks),
        time.monotonic() - started,
    )
    fatal, failed, failed_utks = answers.fatal, answers.failed, groups.failed_utks
    if lists is not None and not lists.ok:  # contacts whose memberships are missing
        fatal = fatal or lists.fatal
        failed = [*failed, *lists.failed]
        failed_utks = [*failed_utks, *utks_of(built["contacts"], lists.failed_vids)]
    # On success the records die with this frame, inside the pause; on a raise the
    # traceback would keep the frame, and them, alive past it.
    del answers, refetch  # the groups let go of it when they finished
    raise_for_failures(
        result, fatal=fatal, failed=failed, failed_utks=failed_utks, total=len(cleaned.valid)
    )
    return result
