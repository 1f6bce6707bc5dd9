"""The properties and history columns read from typed entries (:mod:`hubutk_pandas._typed`).

The lookups decode each property into an :class:`~hubutk_pandas._typed.Entry` and each of
its versions into a :class:`~hubutk_pandas._typed.Version` (issue 19). Here the properties
frame's values and the history columns are read from their slots, a C-level pass per
column, into the pyarrow arrays the one-pass dict path makes; the build turns both into
the same pandas arrays (tested in ``tests/frames/test_typed.py``).

Examples
--------
>>> from hubutk_pandas._typed import decode_record
>>> rec = decode_record(b'{"properties":{"a":{"value":"x","versions":[{"value":"x"}]},'
...                     b'"b":{"value":"y"}}}')
>>> value, columns, counts = entries_and_versions(list(rec["properties"].values()))
>>> value.to_pylist(), columns["value"].to_pylist(), counts.tolist()
(['x', 'y'], ['x'], [1, 0])
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import chain
from operator import attrgetter, length_hint
from typing import Any

import numpy as np

from hubutk_pandas._typed import Entry

__all__ = ["entries_and_versions"]

_VALUE: Callable[[Any], Any] = attrgetter("value")
_VERSIONS: Callable[[Any], Any] = attrgetter("versions")
#: (HubSpot's key, the version's slot, the arrow type's name) of each history column.
_COLUMNS = (
    ("value", "value", "string"),
    ("timestamp", "timestamp", "int64"),
    ("source-type", "source_type", "string"),
    ("source-id", "source_id", "string"),
    ("source-label", "source_label", "string"),
    ("selected", "selected", "bool_"),
    ("source-vids", "source_vids", "list"),
    ("updated-by-user-id", "updated_by_user_id", "int64"),
)


def entries_and_versions(entries: list[Any]) -> tuple[Any, dict[str, Any], np.ndarray] | None:
    """The entries' values, their versions' columns (by HubSpot's key) and version counts.

    ``None`` unless every entry is an :class:`~hubutk_pandas._typed.Entry` and every value
    fits its arrow type (an integer past 64 bits does not): the caller then reads the
    entries as dicts, with the careful path.
    """
    n = len(entries)
    if not set(map(type, entries)) <= {Entry}:
        return None
    import pyarrow as pa  # pandas has imported it already

    versions = list(map(_VERSIONS, entries))
    counts = np.fromiter(map(length_hint, versions), dtype=np.intp, count=n)
    flat = list(chain.from_iterable(filter(None, versions)))
    try:
        value = pa.array(list(map(_VALUE, entries)), type=pa.string())
        columns = {
            key: pa.array(
                list(map(attrgetter(slot), flat)),
                type=pa.list_(pa.int64()) if kind == "list" else getattr(pa, kind)(),
            )
            for key, slot, kind in _COLUMNS
        }
    except (pa.ArrowException, OverflowError):
        return None
    return value, columns, counts
