"""The columns of the lookup frames: dtypes, wire keys, and typed arrays from raw values.

Pure: no I/O, no state. The ``*_SCHEMA`` constants fix each frame's columns and dtypes and
the ``_*_SPEC`` tuples name the wire key each column is read from; :mod:`hubutk_pandas.frames`
(which walks the records and re-exports the schemas) documents the conventions they follow.

:func:`_table` reads a spec's columns from a list of dicts: the typed columns in one strict
pyarrow struct pass over the dicts, falling back to one ``map(dict.get, ...)`` + numpy/pyarrow
conversion per column when a value does not fit (the misfits go to the row's ``extra``), never
a DataFrame per row. Every pass is C-level; the cost is touching each decoded object.

Examples
--------
>>> arr, spill = _ints([1, "2", None, "x"])
>>> arr.tolist(), spill
([1, 2, <NA>, <NA>], {3: 'x'})
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain, repeat
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "COMPANIES_SCHEMA",
    "CONTACTS_SCHEMA",
    "FORM_SUBMISSIONS_SCHEMA",
    "FRAME_NAMES",
    "HISTORY_SCHEMA",
    "IDENTITIES_SCHEMA",
    "LIST_MEMBERSHIPS_SCHEMA",
    "MERGE_AUDITS_SCHEMA",
    "MISSING_SCHEMA",
    "PROPERTIES_SCHEMA",
    "SCHEMAS",
    "TIMESTAMP_DTYPE",
    "Spec",
    "empty_frame",
    "ms_to_datetime",
]

TIMESTAMP_DTYPE = "datetime64[ms, UTC]"
_LIST = "object"

#: One row per matched utk. ``utk`` is <NA> for records of the vid-keyed endpoint.
CONTACTS_SCHEMA: dict[str, str] = {
    "utk": "string",
    "vid": "Int64",
    "canonical_vid": "Int64",
    "portal_id": "Int64",
    "is_contact": "boolean",
    "is_deleted": "boolean",
    "merged_vids": _LIST,
    "profile_url": "string",
    "profile_token": "string",
    "added_at": TIMESTAMP_DTYPE,
    "extra": "string",
}
#: Long: one row per (vid, property); ``value`` is the string HubSpot sent.
PROPERTIES_SCHEMA: dict[str, str] = {
    "vid": "Int64",
    "property": "string",
    "value": "string",
    "extra": "string",
}
#: One row per version of a property (``propertyMode=value_and_history``), newest first.
HISTORY_SCHEMA: dict[str, str] = {
    "vid": "Int64",
    "property": "string",
    "value": "string",
    "timestamp": TIMESTAMP_DTYPE,
    "source_type": "string",
    "source_id": "string",
    "source_label": "string",
    "selected": "boolean",
    "source_vids": _LIST,
    "updated_by_user_id": "Int64",
    "extra": "string",
}
FORM_SUBMISSIONS_SCHEMA: dict[str, str] = {
    "vid": "Int64",
    "conversion_id": "string",
    "timestamp": TIMESTAMP_DTYPE,
    "form_id": "string",
    "form_type": "string",
    "title": "string",
    "page_url": "string",
    "canonical_url": "string",
    "page_title": "string",
    "page_id": "string",
    "portal_id": "Int64",
    "contact_associated_by": _LIST,
    "meta_data": _LIST,
    "extra": "string",
}
#: One row per (vid, list). ``source`` says which API a row came from (see
#: :mod:`hubutk_pandas.frames.lists`): ``"lists_api"`` rows (HubSpot's Lists API, the only
#: source since 2026-04-30) fill ``list_id`` to ``is_public``; ``"contacts_v1"`` rows (a v1
#: answer that still carries ``list-memberships``: an old recording, a pre-2026 sandbox)
#: keep the v1 fields as they were, ``static_list_id`` to ``is_member``.
LIST_MEMBERSHIPS_SCHEMA: dict[str, str] = {
    "vid": "Int64",
    "source": "string",
    "list_id": "string",
    "list_name": "string",
    "processing_type": "string",
    "list_version": "Int64",
    "first_added": TIMESTAMP_DTYPE,
    "last_added": TIMESTAMP_DTYPE,
    "is_public": "boolean",
    "static_list_id": "Int64",
    "internal_list_id": "Int64",
    "timestamp": TIMESTAMP_DTYPE,
    "is_member": "boolean",
    "extra": "string",
}
#: One row per identity; a profile without identities still gets one row.
IDENTITIES_SCHEMA: dict[str, str] = {
    "vid": "Int64",
    "profile_vid": "Int64",
    "type": "string",
    "value": "string",
    "timestamp": TIMESTAMP_DTYPE,
    "is_primary": "boolean",
    "is_secondary": "boolean",
    "saved_at": TIMESTAMP_DTYPE,
    "deleted_changed_at": TIMESTAMP_DTYPE,
    "extra": "string",
}
#: ``merged_from_email``/``merged_to_email`` hold the email value; their other keys go to extra.
MERGE_AUDITS_SCHEMA: dict[str, str] = {
    "vid": "Int64",
    "canonical_vid": "Int64",
    "vid_to_merge": "Int64",
    "timestamp": TIMESTAMP_DTYPE,
    "user_id": "Int64",
    "num_properties_moved": "Int64",
    "merged_from_email": "string",
    "merged_to_email": "string",
    "first_name": "string",
    "last_name": "string",
    "entity_id": "string",
    "extra": "string",
}
#: Fixed columns of ``companies``; one ``string`` column per company property follows
#: (sorted by name, values as sent: ``closedate`` may be epoch *seconds*), then ``extra``.
COMPANIES_SCHEMA: dict[str, str] = {
    "vid": "Int64",
    "company_id": "Int64",
    "portal_id": "Int64",
    "extra": "string",
}
#: Utks without a record: ``reason`` is ``"not_found"`` or ``"invalid"``.
MISSING_SCHEMA: dict[str, str] = {"utk": "string", "reason": "string"}

SCHEMAS: dict[str, dict[str, str]] = {
    "contacts": CONTACTS_SCHEMA,
    "properties": PROPERTIES_SCHEMA,
    "history": HISTORY_SCHEMA,
    "form_submissions": FORM_SUBMISSIONS_SCHEMA,
    "list_memberships": LIST_MEMBERSHIPS_SCHEMA,
    "identities": IDENTITIES_SCHEMA,
    "merge_audits": MERGE_AUDITS_SCHEMA,
    "companies": COMPANIES_SCHEMA,
    "missing": MISSING_SCHEMA,
}
FRAME_NAMES: tuple[str, ...] = tuple(SCHEMAS)

Spec = Sequence[tuple[str, str]]  # (column, wire key); the dtype comes from the schema


def _spec(columns: Iterable[str], **wire: str) -> Spec:
    """``(column, wire key)`` pairs; the key is the column with ``-`` for ``_`` unless given."""
    return tuple((col, wire.get(col, col.replace("_", "-"))) for col in columns)


def _fields(schema: Mapping[str, str], *skip: str) -> list[str]:
    return [col for col in schema if col not in ("vid", "extra", *skip)]


_CONTACT_SPEC = _spec(["vid", *_fields(CONTACTS_SCHEMA, "utk")], added_at="addedAt")
_HISTORY_SPEC = _spec(_fields(HISTORY_SCHEMA, "property"))
_FORM_SPEC = _spec(_fields(FORM_SUBMISSIONS_SCHEMA))
#: The v1 ``list-memberships`` keys; the Lists API columns are read by frames.lists.
_LIST_SPEC = _spec(["static_list_id", "internal_list_id", "timestamp", "is_member"])
_PROFILE_SPEC = _spec(
    ["profile_vid", "saved_at", "deleted_changed_at"],
    profile_vid="vid",
    saved_at="saved-at-timestamp",
    deleted_changed_at="deleted-changed-timestamp",
)
_IDENTITY_SPEC = _spec(["type", "value", "timestamp", "is_primary", "is_secondary"])
_AUDIT_SPEC = _spec(
    _fields(MERGE_AUDITS_SCHEMA),
    merged_from_email="merged_from_email",  # HubSpot spells these two with underscores
    merged_to_email="merged_to_email",
)


def empty_frame(name: str) -> pd.DataFrame:
    """Return frame ``name`` with its documented columns and dtypes and no rows.

    Examples
    --------
    >>> empty_frame("list_memberships").dtypes["timestamp"]
    datetime64[ms, UTC]
    """
    return pd.DataFrame({col: _convert([], dtype)[0] for col, dtype in SCHEMAS[name].items()})


# --------------------------------------------------------------------------- conversion


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _text(value: Any) -> str | None:
    return value if value is None or isinstance(value, str) else _json_text(value)


def _object_array(values: list[Any]) -> np.ndarray:
    return np.fromiter(values, dtype=object, count=len(values))


def _strings(values: list[Any]) -> Any:
    if pd.StringDtype().storage == "pyarrow":  # fast and strict: only str/None pass
        import pyarrow as pa  # pandas has imported it already

        try:
            strings = pa.array(values, type=_arrow_string(), from_pandas=True)
            return pd.array(strings, dtype=pd.StringDtype())
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass
    try:
        return pd.array(_object_array(values), dtype="string")
    except (TypeError, ValueError):  # pragma: no cover - pandas coerces most scalars itself
        return pd.array([_text(v) for v in values], dtype="string")


def _ints(values: list[Any]) -> tuple[Any, dict[int, Any]]:
    try:
        return pd.array(np.array(values, dtype=np.int64), dtype="Int64"), {}
    except (TypeError, ValueError, OverflowError):
        pass
    out: list[int | None] = []
    spill: dict[int, Any] = {}
    for i, v in enumerate(values):
        if v is None or isinstance(v, bool):
            out.append(None)
            if v is not None:
                spill[i] = v
            continue
        try:
            out.append(int(v))
        except (TypeError, ValueError, OverflowError):
            out.append(None)
            spill[i] = v
    return pd.array(out, dtype="Int64"), spill


def _bools(values: list[Any]) -> tuple[Any, dict[int, Any]]:
    try:
        arr = np.array(values)
        if arr.dtype == np.bool_:
            return pd.array(arr, dtype="boolean"), {}
    except (TypeError, ValueError):  # pragma: no cover - ragged input
        pass
    out: list[bool | None] = []
    spill: dict[int, Any] = {}
    for i, v in enumerate(values):
        if v is None or isinstance(v, bool):
            out.append(v)
        elif isinstance(v, str) and v.lower() in ("true", "false"):
            out.append(v.lower() == "true")
        else:
            out.append(None)
            spill[i] = v
    return pd.array(out, dtype="boolean"), spill


def ms_to_datetime(ms: np.ndarray, mask: np.ndarray | None = None) -> Any:
    """Return a ``datetime64[ms, UTC]`` array from int64 epoch milliseconds (exact).

    Examples
    --------
    >>> ms_to_datetime(np.array([1556171114621]))[0]
    Timestamp('2019-04-25 05:45:14.621000+0000', tz='UTC')
    """
    raw = np.asarray(ms, dtype=np.int64).view("datetime64[ms]").copy()
    if mask is not None and mask.any():
        raw[mask] = np.datetime64("NaT", "ms")
    return pd.array(raw).tz_localize("UTC")


def _timestamps(values: list[Any]) -> tuple[Any, dict[int, Any]]:
    try:
        return ms_to_datetime(np.array(values, dtype=np.int64)), {}
    except (TypeError, ValueError, OverflowError):
        pass
    ms = np.zeros(len(values), dtype=np.int64)
    mask = np.zeros(len(values), dtype=bool)
    spill: dict[int, Any] = {}
    for i, v in enumerate(values):
        try:
            if v is None or isinstance(v, bool):
                raise TypeError
            ms[i] = int(v)
        except (TypeError, ValueError, OverflowError):
            mask[i] = True
            if v is not None:
                spill[i] = v
    return ms_to_datetime(ms, mask), spill


def _convert(values: list[Any], dtype: str) -> tuple[Any, dict[int, Any]]:
    """Convert one column's raw values; values that do not fit come back in ``spill``."""
    if dtype == "string":
        return _strings(values), {}
    if dtype == "Int64":
        return _ints(values)
    if dtype == "boolean":
        return _bools(values)
    if dtype == TIMESTAMP_DTYPE:
        return _timestamps(values)
    return _object_array(values), {}


# --------------------------------------------------------------------------- tables


def _extra_rows(items: list[dict[str, Any]], known: frozenset[str]) -> np.ndarray:
    """Indices of items having keys outside ``known`` (C-speed via ``map``)."""
    fits = np.fromiter(map(known.issuperset, items), dtype=bool, count=len(items))
    return np.flatnonzero(~fits)


_ARROW_TYPES = {"string": "string", "Int64": "int64", "boolean": "bool_", TIMESTAMP_DTYPE: "int64"}
"""The typed columns' dtypes read through pyarrow, and the arrow type each is read as
(:func:`_arrow_type`: ``"string"`` is the one pandas keeps its strings in)."""


@functools.cache
def _arrow_string() -> Any:
    """The arrow type pandas keeps ``string[pyarrow]`` arrays in: ``large_string`` (pandas 2.2+).

    Strings built in it are kept as they are; built as ``string``, pandas casts each array
    (a copy of its offsets) when it wraps it: 48 casts and 2.7 ms in a build of 4,000
    records with full history, against 19 and 0.23 ms so (within the noise of a lookup).
    """
    import pyarrow as pa  # pandas has imported it already

    return pa.array(pd.array([""], dtype=pd.StringDtype("pyarrow"))).type


def _arrow_type(dtype: str) -> Any:
    """The arrow type a typed column of ``dtype`` (a key of :data:`_ARROW_TYPES`) is read as."""
    if dtype == "string":
        return _arrow_string()
    import pyarrow as pa  # pandas has imported it already

    return getattr(pa, _ARROW_TYPES[dtype])()


_PANDAS_DTYPES = {"string": pd.StringDtype, "Int64": pd.Int64Dtype, "boolean": pd.BooleanDtype}
"""Made at each use (``StringDtype()`` follows ``pd.options.mode.string_storage``), not
looked up by name: ``pandas_dtype("string")`` asks every registered dtype in turn."""


def _arrow_columns(items: list[dict[str, Any]], spec: Spec,
                   schema: Mapping[str, str]) -> dict[str, Any]:  # fmt: skip
    """The typed (non-list) columns of ``spec`` in one C++ pass over ``items``, via pyarrow.

    Strict: it succeeds only when every value already fits its column (str, int, bool or
    None), where the per-column path would convert the same values and spill none; on any
    misfit it returns ``{}`` and the caller takes that careful path. Used only when pandas
    keeps strings in pyarrow (so the results are the very arrays that path builds).
    """
    typed = [(col, key) for col, key in spec if schema[col] in _ARROW_TYPES]
    if not typed or pd.StringDtype().storage != "pyarrow":
        return {}
    import pyarrow as pa  # pandas has imported it already

    fields = [(key, _arrow_type(schema[col])) for col, key in typed]
    try:
        struct = pa.array(items, type=pa.struct(fields))
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        return {}
    return {col: _from_arrow(struct.field(i), schema[col]) for i, (col, _) in enumerate(typed)}


def _from_arrow(child: Any, dtype: str) -> Any:
    """A pandas array of ``dtype`` (a typed column's) from a pyarrow array of its values."""
    if dtype == TIMESTAMP_DTYPE:
        mask = child.is_null().to_numpy(zero_copy_only=False) if child.null_count else None
        return ms_to_datetime(child.fill_null(0).to_numpy(), mask)
    target: Any = _PANDAS_DTYPES[dtype]()  # Int64, boolean or string
    return target.__from_arrow__(child)


def typed_pays() -> bool:
    """Whether the lookups decode records with typed properties (:mod:`hubutk_pandas._typed`).

    Only when pandas keeps strings in pyarrow: the typed build reads arrow arrays, and with
    Python strings the entries would be turned back into dicts (pandas 2 by default).
    """
    return pd.StringDtype().storage == "pyarrow"


_ENTRY_KEYS = frozenset({"value", "versions"})
_VERSION_KEYS = frozenset(key for _, key in _HISTORY_SPEC)


def _entries_and_versions(
    entries: list[dict[str, Any]], present: set[str]
) -> tuple[Any, dict[str, Any], np.ndarray] | None:
    """Property entries' values and their versions' history columns in one pyarrow pass.

    ``entries`` are the ``{"value": ..., "versions": [...]}`` dicts of every property,
    ``present`` every key any of them has. Returns the ``value`` array, the history
    columns read from the versions (those of :data:`HISTORY_SCHEMA` but ``vid``,
    ``property`` and ``extra``) and each entry's count of versions; or ``None`` when the
    per-column path must do it: pandas keeps strings in Python, no entry has versions, or
    some key or value would not fit (an unknown key, a number where a string belongs, ...),
    which that path puts in ``extra``. Strict as :func:`_arrow_columns` is, so when it
    answers, the arrays are those the per-column path builds (tested).
    """
    if (
        "versions" not in present
        or not present <= _ENTRY_KEYS
        or pd.StringDtype().storage != "pyarrow"
    ):
        return None
    versions = list(map(dict.get, entries, repeat("versions", len(entries))))
    if not set(map(type, versions)) <= {list, type(None)}:
        return None
    try:  # every key of every version, without a list of them all
        keys = set().union(*chain.from_iterable(filter(None, versions)))
    except TypeError:  # a version that is not a dict (nor an iterable of keys)
        return None
    if not keys <= _VERSION_KEYS:
        return None
    import pyarrow as pa  # pandas has imported it already

    fields = []
    for col, key in _HISTORY_SPEC:
        dtype = HISTORY_SCHEMA[col]
        arrow = pa.list_(pa.int64()) if col == "source_vids" else _arrow_type(dtype)
        fields.append((key, arrow))
    kind = pa.struct([("value", _arrow_string()), ("versions", pa.list_(pa.struct(fields)))])
    try:
        both = pa.array(entries, type=kind)
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        return None
    lists = both.field("versions")
    flat = lists.flatten()
    counts = np.diff(lists.offsets.to_numpy()).astype(np.intp)
    children = {key: flat.field(key) for _, key in _HISTORY_SPEC}
    return _history_from_arrow(both.field("value"), children, counts)


def _history_from_arrow(
    value: Any, children: Mapping[str, Any], counts: np.ndarray
) -> tuple[Any, dict[str, Any], np.ndarray]:
    """The pandas arrays of the entries' ``value`` and of the versions' columns (``children``:
    pyarrow arrays by HubSpot's key), as :func:`_entries_and_versions` returns them."""
    columns: dict[str, Any] = {}
    for col, key in _HISTORY_SPEC:
        child = children[key]
        if col == "source_vids":  # lists stay lists
            columns[col] = _object_array(child.to_pylist())
        else:
            columns[col] = _from_arrow(child, HISTORY_SCHEMA[col])
    return _from_arrow(value, "string"), columns, counts


def _table(
    items: list[dict[str, Any]],
    spec: Spec,
    schema: Mapping[str, str],
    *,
    known_extra: Iterable[str] = (),
    present: set[str] | None = None,
) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
    """Columns of ``spec`` read from ``items``, and the per-row extras (unknown keys, spills).

    ``present`` is every key any item has, when the caller has it already.
    """
    n = len(items)
    if present is None:
        present = set().union(*items)  # every key any item has: one C-speed pass
    columns: dict[str, Any] = _arrow_columns(items, spec, schema) if n else {}
    extras: dict[int, dict[str, Any]] = {}
    for col, key in spec:
        if col in columns:
            continue
        values = list(map(dict.get, items, repeat(key, n))) if key in present else [None] * n
        arr, spill = _convert(values, schema[col])
        columns[col] = arr
        for i, v in spill.items():
            extras.setdefault(i, {})[key] = v
    known = frozenset(chain((key for _, key in spec), known_extra))
    if present <= known:
        return columns, extras
    for i in _extra_rows(items, known):
        item = items[i]
        extras.setdefault(int(i), {}).update((k, item[k]) for k in item if k not in known)
    return columns, extras


def _extra_column(n: int, extras: Mapping[int, Mapping[str, Any]]) -> Any:
    if not extras and pd.StringDtype().storage == "pyarrow":  # the usual case: all <NA>
        import pyarrow as pa  # pandas has imported it already

        return _from_arrow(pa.nulls(n, _arrow_string()), "string")
    out: list[str | None] = [None] * n
    for i, d in extras.items():
        if d:
            out[i] = _json_text(dict(d))
    return _strings(out)


def _frame(name: str, columns: dict[str, Any]) -> pd.DataFrame:
    schema = SCHEMAS[name]
    return pd.DataFrame({col: columns[col] for col in schema}, copy=False)
