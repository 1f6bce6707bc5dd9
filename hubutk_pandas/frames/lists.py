"""The ``list_memberships`` frame: rows from HubSpot's Lists API and from v1 answers, alike.

Since 2026-04-30 HubSpot's Contacts v1 reads carry no list memberships; they come from the
Lists API (``POST .../records/memberships/batch/read``, names and types from
``GET .../lists?listIds=...``). Answers that still carry the v1 ``list-memberships`` (old
recordings, the sandbox's pre-2026 mode) are kept as they were. Both kinds of rows live in
one frame (:data:`~hubutk_pandas.frames.LIST_MEMBERSHIPS_SCHEMA`), told apart by ``source``:

=====================  ==================  ==================================================
column                 ``"lists_api"``     ``"contacts_v1"``
=====================  ==================  ==================================================
``vid``                the contact         the contact
``list_id``            ``listId``          <NA> (the v1 ids are not the Lists API's)
``list_name``          the list's name     <NA>
``processing_type``    ``MANUAL``,         <NA>
                       ``DYNAMIC``,
                       ``SNAPSHOT``
``list_version``       ``listVersion``     <NA>
``first_added``        first added (UTC)   <NA>
``last_added``         last added (UTC)    <NA>
``is_public``          ``isPublicList``    <NA>
``static_list_id``     <NA>                ``static-list-id`` (HubSpot's ``legacyListId``)
``internal_list_id``   <NA>                ``internal-list-id``
``timestamp``          <NA>                ``timestamp`` (UTC)
``is_member``          True                ``is-member``
``extra``              other keys (JSON)   other keys (JSON)
=====================  ==================  ==================================================

``list_name`` and ``processing_type`` are <NA> for a list HubSpot no longer returns
(deleted since). Nothing here does I/O: the lookup pipeline
(:mod:`hubutk_pandas.lookup.lists`) fetches and hands the answers over.

Examples
--------
>>> frame = lists_api_frame(
...     [(7, [{"listId": "12", "listVersion": 3, "isPublicList": False,
...            "firstAddedTimestamp": "2026-05-01T10:00:00.250Z",
...            "lastAddedTimestamp": "2026-06-01T10:00:00Z"}])],
...     {"12": {"listId": "12", "name": "Newsletter", "processingType": "MANUAL"}})
>>> frame.loc[0, ["list_id", "list_name", "processing_type", "source"]].tolist()
['12', 'Newsletter', 'MANUAL', 'lists_api']
>>> frame.loc[0, "first_added"]
Timestamp('2026-05-01 10:00:00.250000+0000', tz='UTC')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import repeat
from typing import Any

import numpy as np
import pandas as pd

from hubutk_pandas.frames.columns import (
    LIST_MEMBERSHIPS_SCHEMA,
    TIMESTAMP_DTYPE,
    _convert,
    _extra_column,
    _frame,
    _ints,
    _strings,
    _table,
    empty_frame,
    ms_to_datetime,
)

__all__ = [
    "CONTACTS_V1",
    "LISTS_API",
    "SOURCES",
    "combine",
    "fill_columns",
    "lists_api_frame",
]

LISTS_API = "lists_api"
"""``source`` of rows read from HubSpot's Lists API."""
CONTACTS_V1 = "contacts_v1"
"""``source`` of rows a Contacts v1 answer carried (``list-memberships``)."""
SOURCES = (LISTS_API, CONTACTS_V1)

#: Lists API keys of a ``RecordListMembership`` → column (timestamps parsed apart).
_MEMBERSHIP_KEYS = {"listId": "list_id", "listVersion": "list_version",
                    "isPublicList": "is_public"}  # fmt: skip
_TIMES = {"firstAddedTimestamp": "first_added", "lastAddedTimestamp": "last_added"}
_KNOWN = frozenset((*_MEMBERSHIP_KEYS, *_TIMES))


def _iso_timestamps(values: list[Any]) -> tuple[Any, dict[int, Any]]:
    """ISO-8601 strings (or epoch ms) → ``datetime64[ms, UTC]``; misfits come back in spill.

    Exact to the millisecond: HubSpot sends milliseconds, and finer digits are cut, not
    rounded.

    Examples
    --------
    >>> arr, spill = _iso_timestamps(["2026-05-01T10:00:00.123Z", None, "soon", 1000])
    >>> [str(v) for v in arr], spill
    (['2026-05-01 10:00:00.123000+00:00', 'NaT', 'NaT', '1970-01-01 00:00:01+00:00'], {2: 'soon'})
    """
    n = len(values)
    if all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in values):
        return _convert(values, TIMESTAMP_DTYPE)
    texts = [v if isinstance(v, str) else None for v in values]
    parsed = pd.to_datetime(pd.Series(texts, dtype=object), utc=True, errors="coerce",
                            format="ISO8601")  # fmt: skip
    out = parsed.dt.floor("ms").astype("datetime64[ms, UTC]").array
    spill: dict[int, Any] = {}
    ints = [i for i, v in enumerate(values) if isinstance(v, int) and not isinstance(v, bool)]
    if ints:
        from_ms, _ = _convert([values[i] for i in ints], TIMESTAMP_DTYPE)
        out = out.copy()
        out[np.asarray(ints, dtype=np.intp)] = from_ms
    given = np.fromiter((v is not None for v in values), dtype=bool, count=n)
    for i in np.flatnonzero(given & np.asarray(pd.isna(out))).tolist():
        spill[i] = values[i]
    return out, spill


def lists_api_frame(
    memberships: Iterable[tuple[int, Sequence[Mapping[str, Any]]]],
    definitions: Mapping[str, Mapping[str, Any] | None],
) -> pd.DataFrame:
    """The ``list_memberships`` rows of Lists API answers (``source="lists_api"``).

    Parameters
    ----------
    memberships
        ``(vid, recordListMemberships)`` per contact, in the order the rows should follow.
    definitions
        ``listId`` → the list's ``PublicObjectList`` (``name``, ``processingType``...), or
        ``None`` for a list HubSpot did not return.

    Returns
    -------
    DataFrame
        The documented columns (:data:`~hubutk_pandas.frames.LIST_MEMBERSHIPS_SCHEMA`),
        the v1 ones <NA>; keys not in the schema go to ``extra`` (JSON), nothing is dropped.
    """
    items: list[Mapping[str, Any]] = []
    owners: list[int] = []
    for vid, entries in memberships:
        for entry in entries:
            if isinstance(entry, Mapping):
                items.append(entry)
                owners.append(vid)
    n = len(items)
    if not n:
        return empty_frame("list_memberships")
    plain = [it if type(it) is dict else dict(it) for it in items]
    spec = [(column, key) for key, column in _MEMBERSHIP_KEYS.items()]
    cols, extras = _table(plain, spec, LIST_MEMBERSHIPS_SCHEMA, known_extra=_TIMES)
    for key, column in _TIMES.items():
        arr, spill = _iso_timestamps(list(map(dict.get, plain, repeat(key, n))))
        cols[column] = arr
        for i, v in spill.items():
            extras.setdefault(i, {})[key] = v
    ids = [str(it.get("listId")) for it in plain]
    for column, key in (("list_name", "name"), ("processing_type", "processingType")):
        of = {i: _text_of(d, key) for i, d in definitions.items()}
        cols[column] = _strings([of.get(i) for i in ids])
    cols["vid"] = _ints(owners)[0]
    cols["source"] = _strings([LISTS_API] * n)
    cols["is_member"] = pd.array(np.ones(n, dtype=bool), dtype="boolean")
    fill_columns(cols, n, source=None)
    cols["extra"] = _extra_column(n, extras)
    return _frame("list_memberships", cols)


def _text_of(definition: Mapping[str, Any] | None, key: str) -> str | None:
    value = None if definition is None else definition.get(key)
    return value if isinstance(value, str) else None


def fill_columns(columns: dict[str, Any], n: int, *, source: str | None) -> None:
    """Give ``columns`` every schema column it lacks, as ``n`` <NA>; set ``source`` if given.

    Used for the v1 rows (which lack the Lists API columns) and the Lists API rows (which
    lack the v1 ones).

    Examples
    --------
    >>> cols = {}
    >>> fill_columns(cols, 2, source=CONTACTS_V1)
    >>> cols["source"].tolist(), cols["list_name"].isna().tolist()
    (['contacts_v1', 'contacts_v1'], [True, True])
    """
    for column, dtype in LIST_MEMBERSHIPS_SCHEMA.items():
        if column not in columns:
            columns[column] = _all_na(n, dtype)
    if source is not None:
        columns["source"] = _strings([source] * n)


def _all_na(n: int, dtype: str) -> Any:
    """``n`` missing values of ``dtype`` (one allocation, no per-value conversion)."""
    missing = np.ones(n, dtype=bool)
    if dtype == "Int64":
        return pd.arrays.IntegerArray(np.zeros(n, dtype=np.int64), missing)
    if dtype == "boolean":
        return pd.arrays.BooleanArray(np.zeros(n, dtype=bool), missing)
    if dtype == TIMESTAMP_DTYPE:
        return ms_to_datetime(np.zeros(n, dtype=np.int64), missing)
    return _convert([None] * n, dtype)[0]


def combine(v1: pd.DataFrame, lists_api: pd.DataFrame) -> pd.DataFrame:
    """One ``list_memberships`` frame: the v1 rows first, then the Lists API rows.

    Either may be empty; the result always has the documented columns and dtypes.

    Examples
    --------
    >>> combine(empty_frame("list_memberships"), empty_frame("list_memberships")).shape
    (0, 14)
    """
    if not len(lists_api):
        return v1
    if not len(v1):
        return lists_api
    return pd.concat([v1, lists_api], ignore_index=True)
