"""The list memberships stage: memberships from HubSpot's Lists API, for both sinks.

Since 2026-04-30 HubSpot's Contacts v1 reads no longer carry list memberships. With
``show_list_memberships=True`` the pipeline therefore:

1. **fails fast** (:func:`require_lists`): before the first contact request, one cheap
   request to the Lists API shows whether the credential has ``crm.lists.read``; without
   it the lookup raises :class:`~hubutk_pandas.MissingScopesError` naming the scope and
   where to add it, having spent that one request;
2. after the contacts are assembled and their frames built, **fetches the memberships** of
   the matched contacts (:func:`fetch_memberships`): their distinct vids in batches of at
   most :data:`MAX_RECORDS`, on the same worker pool and the same pacer as the contact
   requests (HubSpot's burst limit is per app), with the same retries, bisection and fatal
   stops; records the Lists API does not find (deleted or merged contacts: its 207, or
   ``errors`` in a 200) simply have no lists;
3. asks for the names and processing types of the lists met, each list once per client
   (``fetcher.list_definitions``);
4. puts the rows into ``list_memberships`` (:func:`add_memberships`), after any rows a v1
   answer still carried (old recordings, the sandbox's pre-2026 mode), each with its
   ``source`` (:mod:`hubutk_pandas.frames.lists`).

The in-memory sink runs it once for the whole lookup (through the HTTP cache, which keys a
batch read by its body), the dataset sink once per chunk (no cache). A failed memberships
batch is a failed part of the lookup: ``LookupFailedError`` with ``.partial`` as usual (in
memory: the contacts, without those memberships; on disk: the chunk is not written, so the
same call again fetches it whole).

Examples
--------
>>> from hubutk_pandas import LookupOptions
>>> from hubutk_pandas.frames import build_frames
>>> utks = client.sandbox.sample_utks(20)
>>> frames = build_frames([(u, r) for u, r in client.fetch_batch(utks).items()])
>>> got = add_memberships(client.fetcher, frames, LookupOptions(show_list_memberships=True),
...                       cache=False, refresh=False)
>>> got.failed, frames["list_memberships"]["source"].unique().tolist()
([], ['lists_api'])
>>> bool(frames["list_memberships"]["list_name"].notna().all())
True
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from hubutk_pandas.errors import (
    HubSpotError,
    InvalidOptionError,
    MissingScopesError,
)
from hubutk_pandas.frames.lists import combine, lists_api_frame
from hubutk_pandas.lookup.fetch import is_fatal, run_batches
from hubutk_pandas.options import LookupOptions

__all__ = [
    "LISTS_SCOPE",
    "MAX_RECORDS",
    "ListsFetcher",
    "Memberships",
    "add_memberships",
    "fetch_memberships",
    "require_lists",
    "utks_of",
]

logger = logging.getLogger(__name__)

MAX_RECORDS = 100
"""Contacts per memberships batch read (HubSpot's batch limit)."""
LISTS_SCOPE = "crm.lists.read"
"""The scope the Lists API reads need."""


@runtime_checkable
class ListsFetcher(Protocol):
    """What the stage asks of a client besides the :class:`~hubutk_pandas.lookup.Fetcher`.

    ``client.fetcher`` provides it; a fetcher of one's own without it cannot serve
    ``show_list_memberships=True``.
    """

    @property
    def max_workers(self) -> int:
        """Requests sent at once."""
        ...

    def check_lists_access(self) -> None:
        """Raise :class:`~hubutk_pandas.AuthenticationError` if the Lists API refuses."""
        ...

    def list_memberships(
        self, record_ids: Sequence[str], *, refresh: bool, cache: bool
    ) -> dict[str, Any]:
        """The Lists API's answer to one memberships batch read (at most 100 ids)."""
        ...

    def list_definitions(self, list_ids: Sequence[str]) -> Mapping[str, Any]:
        """``listId`` -> the list's definition, or ``None`` when HubSpot has none."""
        ...


@dataclass
class Memberships:
    """What the stage got for a set of contacts."""

    by_vid: dict[int, list[Any]] = field(default_factory=dict)
    """vid -> its ``recordListMemberships`` (``[]``: in no list, or not found)."""
    definitions: dict[str, Any] = field(default_factory=dict)
    """``listId`` -> definition (``None``: HubSpot did not return the list)."""
    failed: list[tuple[list[str], HubSpotError | None]] = field(default_factory=list)
    """Batches of vids (as text) that failed, with their last error."""
    fatal: HubSpotError | None = None
    """The error that stopped the stage, if one did."""
    requests: int = 0
    """Memberships batches planned."""

    @property
    def failed_vids(self) -> set[int]:
        """The contacts whose memberships are missing or incomplete."""
        return {int(v) for batch, _ in self.failed for v in batch}

    @property
    def ok(self) -> bool:
        """Nothing failed."""
        return not self.failed and self.fatal is None


def _lists_fetcher(fetcher: Any) -> ListsFetcher:
    if not isinstance(fetcher, ListsFetcher):
        raise InvalidOptionError(
            "show_list_memberships=True reads HubSpot's Lists API, which this fetcher "
            f"({type(fetcher).__name__}) does not provide (it needs check_lists_access, "
            "list_memberships and list_definitions, as client.fetcher has)"
        )
    return fetcher


def require_lists(fetcher: Any, options: LookupOptions) -> None:
    """Fail fast: with ``show_list_memberships``, check the Lists API's scope first.

    One request (the first time a client asks); nothing without memberships.

    Raises
    ------
    MissingScopesError
        The credential lacks ``crm.lists.read``: the message names it and where to add it.
    AuthenticationError
        The Lists API refused the credential otherwise.
    InvalidOptionError
        ``fetcher`` cannot read the Lists API.
    """
    if not options.show_list_memberships:
        return
    lists = _lists_fetcher(fetcher)
    try:
        lists.check_lists_access()
    except MissingScopesError as exc:
        raise MissingScopesError(
            "show_list_memberships=True reads list memberships from HubSpot's Lists API "
            "(the Contacts v1 reads have not carried them since 2026-04-30), and the Lists "
            f"API refused: {exc.message} (Or look up without list memberships.)",
            status=exc.status,
            category=exc.category,
            correlation_id=exc.correlation_id,
            scopes=exc.scopes or (LISTS_SCOPE,),
        ) from None


def _batches(vids: Iterable[int]) -> list[list[str]]:
    distinct = [str(v) for v in dict.fromkeys(vids)]
    return [distinct[i : i + MAX_RECORDS] for i in range(0, len(distinct), MAX_RECORDS)]


def fetch_memberships(
    fetcher: Any, vids: Iterable[int], *, cache: bool, refresh: bool = False
) -> Memberships:
    """The Lists API memberships of ``vids`` (distinct, in batches of at most 100).

    Failures are gathered in the returned :class:`Memberships`, not raised; anything that
    is not a :class:`~hubutk_pandas.HubSpotError` (a bug) propagates as itself.
    """
    lists = _lists_fetcher(fetcher)
    batches = _batches(vids)
    out = Memberships(requests=len(batches))

    def get(batch: list[str]) -> dict[str, Any]:
        return lists.list_memberships(batch, refresh=refresh, cache=cache)

    for batch, answer in run_batches(
        batches, get, max_workers=lists.max_workers, failed=out.failed
    ):
        if isinstance(answer, HubSpotError):
            out.fatal = out.fatal or answer
            continue
        for vid in batch:
            out.by_vid.setdefault(int(vid), [])
        for result in answer["results"]:
            record = str(result.get("recordId"))
            if record in batch:  # a record not asked for is not ours to place
                out.by_vid[int(record)] = [
                    m for m in result["recordListMemberships"] if isinstance(m, Mapping)
                ]
    if out.fatal is not None:  # the batch that met it, and those never sent, failed too
        listed = {v for part, _ in out.failed for v in part}
        for batch in batches:
            lost = [v for v in batch if int(v) not in out.by_vid and v not in listed]
            if lost:
                out.failed.append((lost, out.fatal))
    else:
        _add_definitions(lists, out)
    logger.info(
        "list memberships of %d contacts: %d batches, %d failed%s",
        len(out.by_vid),
        out.requests,
        len(out.failed),
        f", stopped by {out.fatal.message}" if out.fatal is not None else "",
    )
    return out


def _add_definitions(lists: ListsFetcher, out: Memberships) -> None:
    """Names and types of the lists met; a failure fails the contacts in those lists."""
    ids = list(dict.fromkeys(str(m.get("listId")) for ms in out.by_vid.values() for m in ms))
    if not ids:
        return
    try:
        out.definitions.update(lists.list_definitions(ids))
    except HubSpotError as exc:
        affected = [str(v) for v, ms in out.by_vid.items() if ms]
        out.failed.append((affected, exc))
        if is_fatal(exc):
            out.fatal = exc


def add_memberships(
    fetcher: Any,
    frames: dict[str, pd.DataFrame],
    options: LookupOptions,
    *,
    cache: bool,
    refresh: bool,
    stopped: bool = False,
) -> Memberships | None:
    """Fetch the memberships of ``frames``' contacts into ``frames["list_memberships"]``.

    ``frames`` (as :func:`~hubutk_pandas.frames.build_frames` made them) is updated in
    place: the v1 rows it holds stay first, the Lists API rows follow, in the order of the
    contacts. Nothing is done (``None``) without ``show_list_memberships``. ``stopped``:
    the contact requests met an error that stops the lookup (a refused credential, the
    daily limit), so no request is sent and every contact's memberships count as failed.
    """
    if not options.show_list_memberships:
        return None
    vids = [int(v) for v in frames["contacts"]["vid"].dropna().unique()]
    if stopped:
        return Memberships(failed=[(batch, None) for batch in _batches(vids)])
    got = fetch_memberships(fetcher, vids, cache=cache, refresh=refresh)
    rows = [(v, got.by_vid[v]) for v in vids if v in got.by_vid]
    frames["list_memberships"] = combine(
        frames["list_memberships"], lists_api_frame(rows, got.definitions)
    )
    return got


def utks_of(contacts: pd.DataFrame, vids: set[int]) -> list[str]:
    """The utks of ``contacts`` rows whose vid is in ``vids``, in order, once each.

    A rerun fetches these (their contacts from the record store, their memberships
    again). Rows of the vid-keyed endpoint have no utk and are left out.

    Examples
    --------
    >>> contacts = pd.DataFrame({"utk": pd.array(["a", None, "c"], dtype="string"),
    ...                          "vid": pd.array([1, 2, 1], dtype="Int64")})
    >>> utks_of(contacts, {1, 2})
    ['a', 'c']
    """
    if not vids:
        return []
    hit = contacts["vid"].isin(list(vids)).fillna(False) & contacts["utk"].notna()
    return list(dict.fromkeys(contacts.loc[hit, "utk"].tolist()))
