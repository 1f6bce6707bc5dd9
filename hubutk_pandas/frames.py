"""Raw HubSpot contact records → tidy, typed pandas frames. Pure: no I/O, no state.

:func:`build_frames` turns the ``(utk, record)`` pairs of a lookup into one frame per
entity. Each frame's columns and dtypes are fixed by a schema constant below
(``CONTACTS_SCHEMA`` … ``MISSING_SCHEMA``), so a frame has its documented columns even
when it has no rows. Conventions shared by every frame:

* ``vid`` (``Int64``) is the vid of the contact record the row came from, so every frame
  joins on ``vid`` (``missing`` has no vid). Vids nested inside HubSpot's objects get their
  own column (``profile_vid``, ``canonical_vid``, ``vid_to_merge``).
* Timestamps are ``datetime64[ms, UTC]``, exact to the millisecond (HubSpot sends epoch ms
  as integers or strings).
* Lists stay lists (object columns): ``merged_vids``, ``source_vids``, ``contact_associated_by``.
* Values HubSpot sends as strings stay strings (``string`` dtype); typing property values is
  :mod:`hubutk_pandas.dtypes`' job.
* ``extra`` (``string``) holds, as JSON text, every key of the row's object that the schema
  does not know, and any value that did not fit its column's dtype (under its wire key);
  ``<NA>`` when there is nothing extra. Nothing in a response is silently dropped.
* ``contacts`` has one row per matched utk; every other frame has one set of rows per
  distinct vid, however many utks share the record.

The work is columnar: one pass over the records collects lists, then each table's typed
columns are read in one strict pyarrow pass over its dicts (falling back to one
``map(dict.get, ...)`` + numpy/pyarrow conversion per column when a value does not fit), never
a DataFrame per row. Every pass is C-level; the cost is touching each decoded object.

Examples
--------
>>> rec = {"vid": 7, "canonical-vid": 7, "merged-vids": [], "portal-id": 62515,
...        "is-contact": True, "properties": {"email": {"value": "a@b.example"}}}
>>> frames = build_frames([("utk-a", rec)], [("bad utk", "invalid")])
>>> frames["properties"]
   vid property        value extra
0    7    email  a@b.example  <NA>
>>> list(frames["missing"].columns)
['utk', 'reason']
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain, repeat
from operator import length_hint
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
    "build_frames",
    "empty_frame",
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
LIST_MEMBERSHIPS_SCHEMA: dict[str, str] = {
    "vid": "Int64",
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

_CONTACT_SPEC: Spec = (
    ("vid", "vid"),
    ("canonical_vid", "canonical-vid"),
    ("portal_id", "portal-id"),
    ("is_contact", "is-contact"),
    ("is_deleted", "is-deleted"),
    ("merged_vids", "merged-vids"),
    ("profile_url", "profile-url"),
    ("profile_token", "profile-token"),
    ("added_at", "addedAt"),
)
_NESTED = ("properties", "form-submissions", "list-memberships", "identity-profiles",
           "merge-audits", "associated-company")  # fmt: skip
_HISTORY_SPEC: Spec = (
    ("value", "value"),
    ("timestamp", "timestamp"),
    ("source_type", "source-type"),
    ("source_id", "source-id"),
    ("source_label", "source-label"),
    ("selected", "selected"),
    ("source_vids", "source-vids"),
    ("updated_by_user_id", "updated-by-user-id"),
)
_FORM_SPEC: Spec = tuple(
    (col, col.replace("_", "-")) for col in FORM_SUBMISSIONS_SCHEMA if col not in ("vid", "extra")
)
_LIST_SPEC: Spec = (
    ("static_list_id", "static-list-id"),
    ("internal_list_id", "internal-list-id"),
    ("timestamp", "timestamp"),
    ("is_member", "is-member"),
)
_PROFILE_SPEC: Spec = (
    ("profile_vid", "vid"),
    ("saved_at", "saved-at-timestamp"),
    ("deleted_changed_at", "deleted-changed-timestamp"),
)
_IDENTITY_SPEC: Spec = (
    ("type", "type"),
    ("value", "value"),
    ("timestamp", "timestamp"),
    ("is_primary", "is-primary"),
    ("is_secondary", "is-secondary"),
)
_AUDIT_SPEC: Spec = (
    ("canonical_vid", "canonical-vid"),
    ("vid_to_merge", "vid-to-merge"),
    ("timestamp", "timestamp"),
    ("user_id", "user-id"),
    ("num_properties_moved", "num-properties-moved"),
    ("merged_from_email", "merged_from_email"),
    ("merged_to_email", "merged_to_email"),
    ("first_name", "first-name"),
    ("last_name", "last-name"),
    ("entity_id", "entity-id"),
)
_AUDIT_VALUE_DICTS = ("merged_from_email", "merged_to_email")


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
            return pd.array(pa.array(values, type=pa.string(), from_pandas=True), dtype="string")
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

    fields = [(key, getattr(pa, _ARROW_TYPES[schema[col]])()) for col, key in typed]
    try:
        struct = pa.array(items, type=pa.struct(fields))
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        return {}
    columns: dict[str, Any] = {}
    for i, (col, _) in enumerate(typed):
        child = struct.field(i)
        dtype = schema[col]
        if dtype == TIMESTAMP_DTYPE:
            mask = child.is_null().to_numpy(zero_copy_only=False) if child.null_count else None
            columns[col] = ms_to_datetime(child.fill_null(0).to_numpy(), mask)
        else:
            target: Any = pd.api.types.pandas_dtype(dtype)  # Int64, boolean or string
            columns[col] = target.__from_arrow__(child)
    return columns


def _table(
    items: list[dict[str, Any]],
    spec: Spec,
    schema: Mapping[str, str],
    *,
    known_extra: Iterable[str] = (),
) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
    """Columns of ``spec`` read from ``items``, and the per-row extras (unknown keys, spills)."""
    n = len(items)
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
    out: list[str | None] = [None] * n
    for i, d in extras.items():
        if d:
            out[i] = _json_text(dict(d))
    return _strings(out)


def _frame(name: str, columns: dict[str, Any]) -> pd.DataFrame:
    schema = SCHEMAS[name]
    return pd.DataFrame({col: columns[col] for col in schema}, copy=False)


def _dicts(value: Any, key: str, bad: dict[str, Any]) -> list[Any]:
    """``value`` as a list of dicts; anything else is recorded in ``bad`` (→ contacts extra)."""
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return value
    bad[key] = value
    return []


class _Collector:
    """One pass over distinct records, collecting the nested items of each frame."""

    def __init__(self) -> None:
        self.vids: list[Any] = []
        self.bad: list[dict[str, Any]] = []  # per distinct record: malformed nested values
        self.prop_counts: list[int] = []
        self.prop_names: list[str] = []
        self.prop_entries: list[Any] = []
        self.forms: list[dict[str, Any]] = []
        self.form_owner: list[int] = []
        self.lists: list[dict[str, Any]] = []
        self.list_owner: list[int] = []
        self.profiles: list[dict[str, Any]] = []
        self.profile_owner: list[int] = []
        self.audits: list[dict[str, Any]] = []
        self.audit_owner: list[int] = []
        self.companies: list[dict[str, Any]] = []
        self.company_owner: list[int] = []

    def add(self, rec: Mapping[str, Any]) -> None:
        k = len(self.vids)
        self.vids.append(rec.get("vid"))
        bad: dict[str, Any] = {}
        self.bad.append(bad)
        props = rec.get("properties")
        if isinstance(props, dict):
            self.prop_counts.append(len(props))
            self.prop_names.extend(props)
            self.prop_entries.extend(props.values())
        else:
            self.prop_counts.append(0)
            if props is not None:
                bad["properties"] = props
        for key, items, owner in (
            ("form-submissions", self.forms, self.form_owner),
            ("list-memberships", self.lists, self.list_owner),
            ("identity-profiles", self.profiles, self.profile_owner),
            ("merge-audits", self.audits, self.audit_owner),
        ):
            got = _dicts(rec.get(key), key, bad)
            if got:
                items.extend(got)
                owner.extend(repeat(k, len(got)))
        company = rec.get("associated-company")
        if isinstance(company, dict):
            self.companies.append(company)
            self.company_owner.append(k)
        elif company is not None:
            bad["associated-company"] = company


def _owner_vids(vids: Any, owner: Sequence[int] | np.ndarray) -> Any:
    return vids.take(np.asarray(owner, dtype=np.intp))


def _properties_and_history(c: _Collector, vids: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    owner = np.repeat(np.arange(len(c.vids)), c.prop_counts)
    entries = c.prop_entries
    if not all(map(isinstance, entries, repeat(dict))):
        entries = [e if isinstance(e, dict) else {"value": e} for e in entries]
    n = len(entries)
    pcols, prop_extras = _table(entries, (("value", "value"),), PROPERTIES_SCHEMA,
                                known_extra=("versions",))  # fmt: skip
    versions = list(map(dict.get, entries, repeat("versions", n)))
    names = _strings(c.prop_names)
    if set(map(type, versions)) <= {list, type(None)}:  # the usual shape: C-speed passes
        counts = np.fromiter(map(length_hint, versions), dtype=np.intp, count=n)
        flat = list(chain.from_iterable(filter(None, versions)))
    else:
        counts = np.fromiter(
            (len(v) if isinstance(v, list) else 0 for v in versions), dtype=np.intp, count=n
        )
        for i in np.flatnonzero(counts == 0):
            v = versions[i]
            if v is not None and not isinstance(v, list):
                prop_extras.setdefault(int(i), {})["versions"] = v
        flat = list(chain.from_iterable(v for v in versions if isinstance(v, list) and v))
    properties = _frame(
        "properties",
        {
            "vid": _owner_vids(vids, owner),
            "property": names,
            "value": pcols["value"],
            "extra": _extra_column(n, prop_extras),
        },
    )
    if not set(map(type, flat)) <= {dict}:
        flat = [v if isinstance(v, dict) else {"value": v} for v in flat]
    row_of = np.repeat(np.arange(n), counts)
    cols, extras = _table(flat, _HISTORY_SPEC, HISTORY_SCHEMA)
    cols["vid"] = _owner_vids(properties["vid"].array, row_of)
    cols["property"] = names.take(row_of)
    cols["extra"] = _extra_column(len(flat), extras)
    return properties, _frame("history", cols)


def _simple(name: str, items: list[dict[str, Any]], owner: list[int], vids: Any,
            spec: Spec) -> pd.DataFrame:  # fmt: skip
    schema = SCHEMAS[name]
    own = np.asarray(owner, dtype=np.intp)
    if name == "list_memberships":  # the nested vid repeats the record's: keep it only if not
        nested = [it.get("vid") for it in items]
        record_vids = vids.take(own).tolist()
        cols, extras = _table(items, spec, schema, known_extra=("vid",))
        for i, (v, rv) in enumerate(zip(nested, record_vids, strict=True)):
            if v is not None and (rv is pd.NA or v != rv):
                extras.setdefault(i, {})["vid"] = v
    elif name == "merge_audits":
        flat_items = []
        details: dict[int, dict[str, Any]] = {}
        for i, it in enumerate(items):
            it = dict(it)
            for key in _AUDIT_VALUE_DICTS:
                sub = it.get(key)
                if isinstance(sub, dict):
                    it[key] = sub.get("value")
                    rest = {k: v for k, v in sub.items() if k != "value"}
                    if rest:
                        details.setdefault(i, {})[key] = rest
            flat_items.append(it)
        cols, extras = _table(flat_items, spec, schema)
        for i, d in details.items():
            extras.setdefault(i, {}).update(d)
    else:
        cols, extras = _table(items, spec, schema)
    cols["vid"] = _owner_vids(vids, own)
    cols["extra"] = _extra_column(len(items), extras)
    return _frame(name, cols)


def _identities(c: _Collector, vids: Any) -> pd.DataFrame:
    idents: list[dict[str, Any]] = []
    of_profile: list[int] = []
    pcols, pextras = _table(c.profiles, _PROFILE_SPEC, IDENTITIES_SCHEMA,
                            known_extra=("identities",))  # fmt: skip
    for p, prof in enumerate(c.profiles):
        got = prof.get("identities")
        if isinstance(got, list) and got and all(isinstance(g, dict) for g in got):
            idents.extend(got)
            of_profile.extend(repeat(p, len(got)))
        else:
            if got is not None and got != []:
                pextras.setdefault(p, {})["identities"] = got
            idents.append({})
            of_profile.append(p)
    cols, extras = _table(idents, _IDENTITY_SPEC, IDENTITIES_SCHEMA)
    take = np.asarray(of_profile, dtype=np.intp)
    for col, arr in pcols.items():
        cols[col] = arr.take(take)
    for row, p in enumerate(of_profile):
        if p in pextras:
            extras.setdefault(row, {}).update({f"profile.{k}": v for k, v in pextras[p].items()})
    cols["vid"] = _owner_vids(vids, np.asarray(c.profile_owner, dtype=np.intp)[take])
    cols["extra"] = _extra_column(len(idents), extras)
    return _frame("identities", cols)


def _companies(c: _Collector, vids: Any) -> pd.DataFrame:
    n = len(c.companies)
    cols, extras = _table(
        c.companies,
        (("company_id", "company-id"), ("portal_id", "portal-id")),
        COMPANIES_SCHEMA,
        known_extra=("properties",),
    )
    prop_values: dict[str, list[Any]] = {}
    for i, company in enumerate(c.companies):
        props = company.get("properties")
        if props is None:
            continue
        if not isinstance(props, dict):
            extras.setdefault(i, {})["properties"] = props
            continue
        for name, entry in props.items():
            col = prop_values.get(name)
            if col is None:
                col = prop_values[name] = [None] * n
            if isinstance(entry, dict):
                col[i] = entry.get("value")
                if len(entry) > ("value" in entry):  # keys besides "value": to extra
                    rest = {k: v for k, v in entry.items() if k != "value"}
                    extras.setdefault(i, {}).setdefault("properties", {})[name] = rest
            else:
                col[i] = entry
    cols["vid"] = _owner_vids(vids, np.asarray(c.company_owner, dtype=np.intp))
    frame = _frame("companies", {**cols, "extra": _extra_column(n, extras)})
    fixed = [col for col in COMPANIES_SCHEMA if col != "extra"]
    wide = {
        (f"property_{name}" if name in COMPANIES_SCHEMA else name): _strings(prop_values[name])
        for name in sorted(prop_values)
    }
    return pd.concat(
        [frame[fixed], pd.DataFrame(wide, index=frame.index), frame[["extra"]]], axis=1
    )


def _record_key(rec: Mapping[str, Any]) -> tuple[str, Any]:
    vid = rec.get("vid")
    return ("vid", vid) if vid is not None else ("id", id(rec))


def _contacts(recs: list[dict[str, Any]], utks: list[str | None],
              bad_of: Mapping[tuple[str, Any], dict[str, Any]]) -> pd.DataFrame:  # fmt: skip
    cols, extras = _table(recs, _CONTACT_SPEC, CONTACTS_SCHEMA, known_extra=_NESTED)
    if bad_of:
        for i, rec in enumerate(recs):
            bad = bad_of.get(_record_key(rec))
            if bad:
                extras.setdefault(i, {}).update(bad)
    cols["utk"] = _strings(utks)
    cols["extra"] = _extra_column(len(recs), extras)
    return _frame("contacts", cols)


def build_frames(
    matched: Sequence[tuple[str | None, Mapping[str, Any]]],
    missing: Sequence[tuple[str, str]] = (),
) -> dict[str, pd.DataFrame]:
    """Turn a lookup's records into its tidy frames.

    Parameters
    ----------
    matched
        ``(utk, record)`` pairs in input order; ``utk`` is ``None`` when the vid-keyed
        endpoint cannot say which utk matched. Records are decoded JSON objects (dicts).
    missing
        ``(utk, reason)`` pairs, ``reason`` being ``"not_found"`` or ``"invalid"``.

    Returns
    -------
    dict of str to DataFrame
        One frame per name in :data:`FRAME_NAMES`, columns and dtypes as in :data:`SCHEMAS`
        (``companies`` adds one string column per company property).

    Examples
    --------
    >>> rec = {"vid": 1, "form-submissions": [{"conversion-id": "c1", "timestamp": "1000"}]}
    >>> f = build_frames([("u1", rec), ("u2", rec)])
    >>> len(f["contacts"]), len(f["form_submissions"])
    (2, 1)
    >>> f["form_submissions"].loc[0, "timestamp"]
    Timestamp('1970-01-01 00:00:01+0000', tz='UTC')
    """
    collector = _Collector()
    seen: set[Any] = set()
    bad_of: dict[tuple[str, Any], dict[str, Any]] = {}
    recs = [rec if isinstance(rec, dict) else dict(rec) for _, rec in matched]
    for rec in recs:
        key = _record_key(rec)
        if key in seen:
            continue
        seen.add(key)
        collector.add(rec)
        if collector.bad[-1]:
            bad_of[key] = collector.bad[-1]
    vids, _ = _ints(collector.vids)
    properties, history = _properties_and_history(collector, vids)
    frames = {
        "contacts": _contacts(recs, [utk for utk, _ in matched], bad_of),
        "properties": properties,
        "history": history,
        "form_submissions": _simple(
            "form_submissions", collector.forms, collector.form_owner, vids, _FORM_SPEC
        ),
        "list_memberships": _simple(
            "list_memberships", collector.lists, collector.list_owner, vids, _LIST_SPEC
        ),
        "identities": _identities(collector, vids),
        "merge_audits": _simple(
            "merge_audits", collector.audits, collector.audit_owner, vids, _AUDIT_SPEC
        ),
        "companies": _companies(collector, vids),
        "missing": pd.DataFrame(
            {
                "utk": _strings([u for u, _ in missing]),
                "reason": _strings([r for _, r in missing]),
            }
        ),
    }
    return frames
