"""Raw HubSpot contact records → tidy, typed pandas frames. Pure: no I/O, no state.

:func:`build_frames` turns the ``(utk, record)`` pairs of a lookup into one frame per
entity. Each frame's columns and dtypes are fixed by a schema constant
(``CONTACTS_SCHEMA`` … ``MISSING_SCHEMA``, in :mod:`hubutk_pandas.frames.columns`), so a
frame has its documented columns even when it has no rows.
Conventions shared by every frame:

* ``vid`` (``Int64``) is the vid of the contact record the row came from, so every frame
  joins on ``vid`` (``missing`` has no vid). Vids nested inside HubSpot's objects get their
  own column (``profile_vid``, ``canonical_vid``, ``vid_to_merge``).
* Timestamps are ``datetime64[ms, UTC]``, exact to the millisecond (HubSpot sends epoch ms
  as integers or strings).
* Lists stay lists (object columns): ``merged_vids``, ``source_vids``, ``contact_associated_by``.
* Values HubSpot sends as strings stay strings (``string`` dtype); typing property values is
  :mod:`hubutk_pandas.frames.dtypes`' job.
* ``extra`` (``string``) holds, as JSON text, every key of the row's object that the schema
  does not know, and any value that did not fit its column's dtype (under its wire key);
  ``<NA>`` when there is nothing extra. Nothing in a response is silently dropped.
* ``contacts`` has one row per matched utk; every other frame has one set of rows per
  distinct vid, however many utks share the record.

The work is columnar: one pass over the distinct records here collects each frame's nested
dicts, then :mod:`hubutk_pandas.frames.columns` reads each table's typed columns from those dicts in
C-level passes, never a DataFrame per row.

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

from collections.abc import Callable, Mapping, Sequence
from itertools import chain, compress, repeat
from operator import is_not, length_hint
from typing import Any

import numpy as np
import pandas as pd

from hubutk_pandas import _json
from hubutk_pandas._gc import collector_paused
from hubutk_pandas.frames.columns import (
    _AUDIT_SPEC,
    _CONTACT_SPEC,
    _FORM_SPEC,
    _HISTORY_SPEC,
    _IDENTITY_SPEC,
    _LIST_SPEC,
    _PROFILE_SPEC,
    COMPANIES_SCHEMA,
    CONTACTS_SCHEMA,
    HISTORY_SCHEMA,
    IDENTITIES_SCHEMA,
    PROPERTIES_SCHEMA,
    SCHEMAS,
    Spec,
    _entries_and_versions,
    _extra_column,
    _frame,
    _history_from_arrow,
    _ints,
    _strings,
    _table,
    typed_pays,
)
from hubutk_pandas.frames.lists import CONTACTS_V1, fill_columns

__all__ = ["build_frames"]

_NESTED = ("properties", "form-submissions", "list-memberships", "identity-profiles",
           "merge-audits", "associated-company")  # fmt: skip
_AUDIT_VALUE_DICTS = ("merged_from_email", "merged_to_email")
_LIST_KEYS = ("form-submissions", "list-memberships", "identity-profiles", "merge-audits")
_DICT_OR_NONE = {dict, type(None)}
_LIST_OR_NONE = {list, type(None)}


def _dicts(value: Any, key: str, bad: dict[str, Any]) -> list[Any]:
    """``value`` as a list of dicts; anything else is recorded in ``bad`` (→ contacts extra)."""
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return value
    bad[key] = value
    return []


class _Collector:
    """The nested items of each frame, collected from the distinct records.

    :meth:`of` collects a whole list at once: when every nested value has its usual shape
    (``properties`` and ``associated-company`` dicts, the other four lists of dicts, or
    absent), in one C-level pass per key; otherwise record by record (:meth:`add`), which
    records each malformed value in ``bad`` (it goes to the contact's ``extra``). The two
    give the same items in the same order (tested).
    """

    def __init__(self) -> None:
        self.vids: list[Any] = []
        self.bad: dict[int, dict[str, Any]] = {}  # record index -> its malformed nested values
        self.prop_counts: Any = []
        self.prop_names: list[str] = []
        self.prop_entries: list[Any] = []
        self.forms: list[dict[str, Any]] = []
        self.form_owner: Any = []
        self.lists: list[dict[str, Any]] = []
        self.list_owner: Any = []
        self.profiles: list[dict[str, Any]] = []
        self.profile_owner: Any = []
        self.audits: list[dict[str, Any]] = []
        self.audit_owner: Any = []
        self.companies: list[dict[str, Any]] = []
        self.company_owner: Any = []

    @classmethod
    def of(cls, recs: list[dict[str, Any]], *, per_record: bool = False) -> _Collector:
        """Collect ``recs`` (distinct records): per key when the shapes allow, else per record."""
        c = cls()
        n = len(recs)
        got = {key: list(map(dict.get, recs, repeat(key, n))) for key in _NESTED}
        lists = [got[key] for key in _LIST_KEYS]
        flat = [list(chain.from_iterable(filter(None, values))) for values in lists]
        usual = (
            not per_record
            and set(map(type, got["properties"])) <= _DICT_OR_NONE
            and set(map(type, got["associated-company"])) <= _DICT_OR_NONE
            and all(set(map(type, values)) <= _LIST_OR_NONE for values in lists)
            and all(set(map(type, items)) <= {dict} for items in flat)
        )
        if not usual:
            for rec in recs:
                c.add(rec)
            return c
        c.vids = list(map(dict.get, recs, repeat("vid", n)))
        props = got["properties"]
        c.prop_counts = np.fromiter(map(length_hint, props), dtype=np.intp, count=n)
        c.prop_names = list(chain.from_iterable(filter(None, props)))
        c.prop_entries = list(chain.from_iterable(map(dict.values, filter(None, props))))
        rows = np.arange(n)
        owners = [
            np.repeat(rows, np.fromiter(map(length_hint, values), dtype=np.intp, count=n))
            for values in lists
        ]
        c.forms, c.lists, c.profiles, c.audits = flat
        c.form_owner, c.list_owner, c.profile_owner, c.audit_owner = owners
        company: list[Any] = got["associated-company"]
        has = np.fromiter(map(is_not, company, repeat(None, n)), dtype=bool, count=n)
        c.companies = list(compress(company, has))
        c.company_owner = np.flatnonzero(has)
        return c

    def add(self, rec: Mapping[str, Any]) -> None:
        k = len(self.vids)
        self.vids.append(rec.get("vid"))
        bad: dict[str, Any] = {}
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
        if bad:
            self.bad[k] = bad


def _owner_vids(vids: Any, owner: Sequence[int] | np.ndarray) -> Any:
    return vids.take(np.asarray(owner, dtype=np.intp))


def _properties_and_history(
    c: _Collector, vids: Any, *, one_pass: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    owner = np.repeat(np.arange(len(c.vids)), c.prop_counts)
    entries = c.prop_entries
    n = len(entries)
    both = None
    if not all(map(isinstance, entries, repeat(dict))):
        from hubutk_pandas._typed import as_dicts  # entries typed as decoded (the lookups)
        from hubutk_pandas.frames.typed import entries_and_versions

        if one_pass and n and typed_pays():
            arrays = entries_and_versions(entries)
            both = None if arrays is None else _history_from_arrow(*arrays)
        if both is None:  # the careful path reads dicts
            entries = as_dicts(entries)
            entries = [e if isinstance(e, dict) else {"value": e} for e in entries]
    names = _strings(c.prop_names)
    if both is None:
        present = set().union(*entries)  # every key of any entry: one C-level pass
        both = _entries_and_versions(entries, present) if one_pass else None
    if both is not None:  # every entry and version fits its columns: nothing goes to extra
        value, cols, counts = both
        properties = _frame(
            "properties",
            {
                "vid": _owner_vids(vids, owner),
                "property": names,
                "value": value,
                "extra": _extra_column(n, {}),
            },
        )
        row_of = np.repeat(np.arange(n), counts)
        cols["vid"] = _owner_vids(properties["vid"].array, row_of)
        cols["property"] = names.take(row_of)
        cols["extra"] = _extra_column(len(row_of), {})
        return properties, _frame("history", cols)
    pcols, prop_extras = _table(entries, (("value", "value"),), PROPERTIES_SCHEMA,
                                known_extra=("versions",), present=present)  # fmt: skip
    if "versions" not in present:  # current values only (propertyMode=value_only)
        counts, flat = np.zeros(n, dtype=np.intp), []
    else:
        versions = list(map(dict.get, entries, repeat("versions", n)))
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
        fill_columns(cols, len(items), source=CONTACTS_V1)  # the Lists API columns: <NA>
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
    if vid is None or isinstance(vid, (list, dict)):  # no vid, or one no record can share
        return ("id", id(rec))
    return ("vid", vid)


def _distinct(recs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first record of each vid (and every record without one), in order."""
    n = len(recs)
    vids = list(map(dict.get, recs, repeat("vid", n)))
    if None not in vids:
        try:  # reversed, so that each vid's first index is the one kept
            first = dict(zip(reversed(vids), range(n - 1, -1, -1), strict=True))
        except TypeError:  # an unhashable vid (a list or dict where an integer belongs)
            pass
        else:
            return recs if len(first) == n else [recs[i] for i in sorted(first.values())]
    seen: set[Any] = set()
    out = []
    for rec in recs:
        key = _record_key(rec)
        if key not in seen:
            seen.add(key)
            out.append(rec)
    return out


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
    matched: Sequence[tuple[str | None, Mapping[str, Any] | str]],
    missing: Sequence[tuple[str, str]] = (),
) -> dict[str, pd.DataFrame]:
    """Turn a lookup's records into its tidy frames.

    Parameters
    ----------
    matched
        ``(utk, record)`` pairs in input order; ``utk`` is ``None`` when the vid-keyed
        endpoint cannot say which utk matched. Records are decoded JSON objects (dicts),
        or their JSON text (as the record store keeps them), decoded here.
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
    # The cyclic collector is paused while building: the pass decodes records given as
    # JSON text and makes many containers, and every collection would rescan them. At
    # 50,000 records read from the store, half the build time (7.0 s -> 3.6 s). The decoded
    # records are dropped before the block ends, so the collector never has to scan them;
    # any cycle made here is collected once it resumes. Its state is restored as found
    # (never switched on if the caller had it off).
    with collector_paused():
        return _build(matched, missing)


def _build(
    matched: Sequence[tuple[str | None, Mapping[str, Any] | str]],
    missing: Sequence[tuple[str, str]],
) -> dict[str, pd.DataFrame]:
    decode: Callable[[Any], Any] = _json.loads
    if typed_pays() and any(isinstance(rec, str) for _, rec in matched):
        from hubutk_pandas._typed import decode_record as decode
    recs = [
        rec if isinstance(rec, dict) else decode(rec) if isinstance(rec, str) else dict(rec)
        for _, rec in matched
    ]
    distinct = _distinct(recs)
    collector = _Collector.of(distinct)
    bad_of = {_record_key(distinct[i]): bad for i, bad in collector.bad.items()}
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
