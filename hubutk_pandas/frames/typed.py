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
from hubutk_pandas.frames.columns import _HISTORY_SPEC, HISTORY_SCHEMA, _arrow_string, _arrow_type

__all__ = ["entries_and_versions"]

_VALUE: Callable[[Any], Any] = attrgetter("value")
_VERSIONS: Callable[[Any], Any] = attrgetter("versions")
#: (HubSpot's key, the version's slot, the column's dtype) of each history column, read
#: from the history's spec and schema: a version's slot is its key in snake_case.
_COLUMNS = tuple(
    (key, key.replace("-", "_"), "list" if col == "source_vids" else HISTORY_SCHEMA[col])
    for col, key in _HISTORY_SPEC
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
        value = pa.array(list(map(_VALUE, entries)), type=_arrow_string())
        columns = {
            key: pa.array(
                list(map(attrgetter(slot), flat)),
                type=pa.list_(pa.int64()) if dtype == "list" else _arrow_type(dtype),
            )
            for key, slot, dtype in _COLUMNS
        }
    except (pa.ArrowException, OverflowError):
        return None
    return value, columns, counts
