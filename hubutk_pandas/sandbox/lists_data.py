"""The lists of a synthetic portal, as the v1 contact reads and the Lists API both show them.

One catalogue per portal, derived from its seed: each list has a *legacy* id (the v1
``static-list-id``, what HubSpot now calls ``legacyListId``), the v1 ``internal-list-id``,
and a new Lists API ``listId``. The new ids are small numbers too, shifted from the legacy
ones, so that one list's ``legacyListId`` equals another list's ``listId``, as HubSpot's
migration guide warns can happen; only ``idmapping`` links the two.

A contact's memberships are the same in both views (the person's lists, in the order
they were added):

- v1 (``list-memberships``): ``{"static-list-id", "internal-list-id", "timestamp", "vid",
  "is-member"}`` with ``timestamp`` the last time it was added (epoch ms);
- Lists API (``recordListMemberships``): ``{"listId", "listVersion", "firstAddedTimestamp",
  "lastAddedTimestamp", "isPublicList"}``, ISO-8601 strings with milliseconds;
  ``lastAddedTimestamp`` is the v1 ``timestamp``; about one membership in four was removed
  and added again, so its ``firstAddedTimestamp`` is earlier.

A list's ``size`` is an estimate from the portal's size (HubSpot calls its own sizes
approximate): counting exactly would build every person of a portal that may hold a
million.

Examples
--------
>>> catalogue = ListCatalogue(seed=0, portal_id=62515, contacts=1000, internal_ids=[(1, 90003)])
>>> sorted(catalogue.by_list_id) == [str(1 + catalogue.shift)]
True
>>> catalogue.map_legacy(["1", "77"])
({'1': '...'}, ['77'])
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from hubutk_pandas.sandbox import vocab
from hubutk_pandas.sandbox.vocab import DAY_MS, REFERENCE_MS

__all__ = ["ListCatalogue", "ListInfo", "iso_ms"]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_USERS = ("9100001", "9100002", "9100003")
#: Expected share of a portal's indices that are live contacts (see data.SyntheticPortal.kind),
#: times the mean number of lists a person is in over the number of lists (13/7 over 10).
_MEMBER_SHARE = 0.8385 * 13 / 70


def iso_ms(ms: int) -> str:
    """Epoch milliseconds as HubSpot's ISO-8601 string (UTC, milliseconds, ``Z``).

    Examples
    --------
    >>> iso_ms(1463875444200)
    '2016-05-22T00:04:04.200Z'
    """
    moment = _EPOCH + dt.timedelta(milliseconds=ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


@dataclass(frozen=True)
class ListInfo:
    """One list of the portal."""

    legacy_id: int
    internal_id: int
    list_id: str
    name: str
    processing_type: str
    version: int
    public: bool
    created: int
    updated: int
    size: int
    creator: str

    def definition(self) -> dict[str, Any]:
        """The ``PublicObjectList`` of ``GET /crm/v3/lists`` (no ``filterBranch``)."""
        return {
            "listId": self.list_id,
            "listVersion": self.version,
            "name": self.name,
            "objectTypeId": "0-1",
            "processingStatus": "COMPLETE",
            "processingType": self.processing_type,
            "size": self.size,
            "createdAt": iso_ms(self.created),
            "createdById": self.creator,
            "updatedAt": iso_ms(self.updated),
            "updatedById": self.creator,
            "filtersUpdatedAt": iso_ms(self.updated),
        }


class ListCatalogue:
    """The lists of one portal, with both ids, and the two shapes of a membership.

    Parameters
    ----------
    seed, portal_id
        The portal's seed and id: the same pair gives the same catalogue.
    contacts
        The portal's size (for the estimated list sizes).
    internal_ids
        ``(legacy id, internal id)`` per list, in :data:`vocab.LISTS` order (the pairs the
        v1 answers have always carried).
    """

    def __init__(
        self,
        *,
        seed: int,
        portal_id: int,
        contacts: int,
        internal_ids: Sequence[tuple[int, int]],
    ) -> None:
        rng = random.Random(f"lists:{seed}:{portal_id}")
        self.shift = 2 + rng.randrange(4)  # new id = legacy id + shift: ids collide across lists
        size = round(contacts * _MEMBER_SHARE)
        infos = []
        for k, (legacy, internal) in enumerate(internal_ids):
            name, processing = vocab.LISTS[k], vocab.LIST_PROCESSING[k]
            created = REFERENCE_MS - (700 - 37 * k + rng.randrange(30)) * DAY_MS
            infos.append(
                ListInfo(
                    legacy_id=legacy,
                    internal_id=internal,
                    list_id=str(legacy + self.shift),
                    name=name,
                    processing_type=processing,
                    version=1 + rng.randrange(9),
                    public=rng.random() < 0.5,
                    created=created,
                    updated=created + rng.randrange(1, 200) * DAY_MS,
                    size=size,
                    creator=rng.choice(_USERS),
                )
            )
        self.lists: tuple[ListInfo, ...] = tuple(infos)
        self.by_list_id = {info.list_id: info for info in infos}
        self.by_legacy_id = {str(info.legacy_id): info for info in infos}

    def v1_entry(self, k: int, vid: int, last_added: int) -> dict[str, Any]:
        """The v1 ``list-memberships`` entry of list ``k`` for ``vid``."""
        info = self.lists[k]
        return {
            "static-list-id": info.legacy_id,
            "internal-list-id": info.internal_id,
            "timestamp": last_added,
            "vid": vid,
            "is-member": True,
        }

    def membership(self, k: int, first_added: int, last_added: int) -> dict[str, Any]:
        """The Lists API ``RecordListMembership`` of list ``k``."""
        info = self.lists[k]
        return {
            "listId": info.list_id,
            "listVersion": info.version,
            "firstAddedTimestamp": iso_ms(first_added),
            "lastAddedTimestamp": iso_ms(last_added),
            "isPublicList": info.public,
        }

    def definitions(self, list_ids: Iterable[str] | None) -> list[dict[str, Any]]:
        """The lists asked for, in the order asked (unknown ids are left out); all if ``None``."""
        if list_ids is None:
            return [info.definition() for info in self.lists]
        seen: dict[str, ListInfo] = {}
        for list_id in list_ids:
            info = self.by_list_id.get(list_id)
            if info is not None:
                seen.setdefault(list_id, info)
        return [info.definition() for info in seen.values()]

    def map_legacy(self, legacy_ids: Iterable[str]) -> tuple[dict[str, str], list[str]]:
        """``({legacy id: list id}, [legacy ids not found])``, both in the order given."""
        found: dict[str, str] = {}
        missing: list[str] = []
        for legacy in legacy_ids:
            info = self.by_legacy_id.get(legacy)
            if info is not None:
                found.setdefault(legacy, info.list_id)
            elif legacy not in missing:
                missing.append(legacy)
        return found, missing
