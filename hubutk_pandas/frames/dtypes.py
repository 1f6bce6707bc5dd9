"""Property definitions → typed ``wide()`` columns. Pure functions, no I/O.

HubSpot sends every property value as a string. The portal's property definitions
(``GET /properties/v1/contacts/properties``) say what the string means; the mapping,
by ``type`` then ``fieldType``, is:

===============================================  ========  ====================================
definition                                       kind      pandas dtype
===============================================  ========  ====================================
``number``                                       number    ``Float64``
``datetime``                                     datetime  ``datetime64[ms, UTC]``
``date``                                         date      ``datetime64[ms, UTC]`` (midnight)
``bool``; ``enumeration`` + ``booleancheckbox``  bool      ``boolean``
``enumeration`` + ``select`` / ``radio``         category  ``category`` (options' displayOrder)
``enumeration`` + ``checkbox``                   multi     ``object`` (lists; NA when empty)
anything else, or no definition                  string    ``string``
===============================================  ========  ====================================

Odd values never raise: ``""`` becomes NA quietly; text that does not parse (``"N/A"`` in
a number) becomes NA and is counted, so ``wide()`` can warn once. :func:`typed_wide` is the
one builder of a typed wide table: a :class:`~hubutk_pandas.LookupResult` gathers the raw
text in memory, a :class:`~hubutk_pandas.LookupDataset` pivots it in DuckDB, and both hand it
to that function, so their ``wide()`` tables cannot differ. Epoch
values with exactly 10 digits are taken as *seconds* (a known HubSpot data quirk, e.g.
a company ``closedate`` of ``"1408312892"``); all others as milliseconds.

Examples
--------
>>> s = pd.Series(["1.5", "", "N/A"], dtype="string")
>>> values, bad = convert_column(s, {"name": "x", "type": "number", "fieldType": "number"})
>>> values.tolist(), bad
([1.5, <NA>, <NA>], 1)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from hubutk_pandas._warnings import warn as _warn

__all__ = [
    "DEFAULT_LIFECYCLE_STAGES",
    "KINDS",
    "convert_column",
    "property_kind",
    "to_bool",
    "to_category",
    "to_date",
    "to_datetime",
    "to_multi",
    "to_number",
    "to_string",
    "typed_wide",
    "wide_column_name",
]

#: HubSpot's default lifecycle stages in their displayOrder: the order the lead analytics and
#: the plots use when a result has no property definitions for ``lifecyclestage``.
DEFAULT_LIFECYCLE_STAGES: tuple[str, ...] = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)

KINDS = ("number", "datetime", "date", "bool", "category", "multi", "string")
_TRUE = frozenset(("true",))
_FALSE = frozenset(("false",))


def property_kind(definition: Mapping[str, Any] | None) -> str:
    """Return the ``wide()`` kind (one of :data:`KINDS`) of a property definition.

    Examples
    --------
    >>> property_kind({"type": "enumeration", "fieldType": "booleancheckbox"})
    'bool'
    >>> property_kind(None)
    'string'
    """
    if not definition:
        return "string"
    ptype = definition.get("type")
    field = definition.get("fieldType")
    if ptype in ("number", "datetime", "date", "bool"):
        return str(ptype)
    if ptype == "enumeration":
        if field == "booleancheckbox":
            return "bool"
        if field == "checkbox":
            return "multi"
        if field in ("select", "radio"):
            return "category"
    return "string"


def _text(values: pd.Series) -> pd.Series:
    """Values as a stripped ``string`` Series; blanks become NA."""
    s = values.astype("string").str.strip()
    return s.mask(s == "")


def to_string(values: pd.Series) -> tuple[pd.Series, int]:
    """Keep values as ``string`` (``""`` stays ``""``: a string property may be blank).

    Examples
    --------
    >>> to_string(pd.Series(["a", None]))[0].dtype.name   # pd.NA-backed, not pandas 3's "str"
    'string'
    """
    return values.astype("string"), 0


def to_number(values: pd.Series) -> tuple[pd.Series, int]:
    """Parse decimal text to ``Float64``; ``""`` → NA, unparseable text → NA (counted).

    Examples
    --------
    >>> to_number(pd.Series(["0.0", "29000000.000", "N/A", ""]))[0].tolist()
    [0.0, 29000000.0, <NA>, <NA>]
    """
    text = _text(values)
    parsed = pd.to_numeric(text.astype(object), errors="coerce")
    out = pd.Series(parsed, index=values.index).astype("Float64")
    out = out.mask(out.isna() | ~np.isfinite(out.fillna(0).to_numpy(dtype=float)))
    bad = int((text.notna() & out.isna()).sum())
    return out, bad


def _epoch_ms(text: pd.Series) -> tuple[pd.Series, int]:
    nums = pd.to_numeric(text.astype(object), errors="coerce")
    nums = pd.Series(nums, index=text.index, dtype="float64")
    seconds = (nums >= 1e9) & (nums < 1e10)  # exactly 10 digits: epoch seconds
    ms = nums.where(~seconds, nums * 1000).round()
    ok = ms.notna() & (ms.abs() < 9.2e15)
    bad = int((text.notna() & ~ok).sum())
    raw = np.where(ok, ms.fillna(0), 0).astype(np.int64).view("datetime64[ms]").copy()
    raw[~ok.to_numpy()] = np.datetime64("NaT", "ms")
    stamps = pd.Series(raw, index=text.index).dt.tz_localize("UTC")
    return stamps, bad


def to_datetime(values: pd.Series) -> tuple[pd.Series, int]:
    """Epoch milliseconds (text) → ``datetime64[ms, UTC]``, exact; 10-digit values are seconds.

    Examples
    --------
    >>> stamps, bad = to_datetime(pd.Series(["1484026585538", "1408312892", ""]))
    >>> [str(t) for t in stamps]
    ['2017-01-10 05:36:25.538000+00:00', '2014-08-17 22:01:32+00:00', 'NaT']
    """
    return _epoch_ms(_text(values))


def to_date(values: pd.Series) -> tuple[pd.Series, int]:
    """Epoch ms at midnight UTC → UTC-midnight ``datetime64[ms, UTC]`` (normalized).

    Examples
    --------
    >>> to_date(pd.Series(["1430438400000"]))[0][0]
    Timestamp('2015-05-01 00:00:00+0000', tz='UTC')
    """
    stamps, bad = _epoch_ms(_text(values))
    return stamps.dt.normalize(), bad


def to_bool(values: pd.Series) -> tuple[pd.Series, int]:
    """``"true"``/``"false"`` (any case) → ``boolean``; other text → NA (counted).

    Examples
    --------
    >>> to_bool(pd.Series(["true", "FALSE", "", "maybe"]))[0].tolist()
    [True, False, <NA>, <NA>]
    """
    text = _text(values).str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[text.isin(_TRUE).fillna(False).astype(bool)] = True
    out[text.isin(_FALSE).fillna(False).astype(bool)] = False
    bad = int((text.notna() & out.isna()).sum())
    return out, bad


def _option_values(definition: Mapping[str, Any] | None) -> list[str]:
    options = (definition or {}).get("options") or []
    keyed = [
        (opt.get("displayOrder") if isinstance(opt.get("displayOrder"), int) else 1 << 30, i,
         str(opt["value"]))
        for i, opt in enumerate(options)
        if isinstance(opt, Mapping) and opt.get("value") is not None
    ]  # fmt: skip
    seen: dict[str, None] = {}
    for _, _, value in sorted(keyed):
        seen.setdefault(value, None)
    return list(seen)


def to_category(
    values: pd.Series, definition: Mapping[str, Any] | None = None
) -> tuple[pd.Series, int]:
    """Single-choice values → ``category``; categories = option values by ``displayOrder``.

    Values that are not options (options removed later, or ``externalOptions`` such as
    ``hubspot_owner_id``) are kept: they are appended to the categories, sorted. Unordered,
    but the categories' order is the portal's display order.

    Examples
    --------
    >>> d = {"options": [{"value": "lead", "displayOrder": 1},
    ...                  {"value": "subscriber", "displayOrder": 0}]}
    >>> to_category(pd.Series(["lead", "", "other"]), d)[0].cat.categories.tolist()
    ['subscriber', 'lead', 'other']
    """
    text = _text(values)
    categories = _option_values(definition)
    known = set(categories)
    unknown = sorted({v for v in text.dropna().unique() if v not in known})
    dtype = pd.CategoricalDtype(categories + unknown, ordered=False)
    return text.astype(object).where(text.notna(), None).astype(dtype), 0


def to_multi(values: pd.Series) -> tuple[pd.Series, int]:
    """``;``-joined multi-select values → lists (``object``); NA when empty.

    Examples
    --------
    >>> to_multi(pd.Series(["a;b", "", "c;"]))[0].tolist()
    [['a', 'b'], <NA>, ['c']]
    """
    text = _text(values)
    out = [
        (parts if (parts := [p.strip() for p in v.split(";") if p.strip()]) else pd.NA)
        if isinstance(v, str)
        else pd.NA
        for v in text.tolist()
    ]
    return pd.Series(out, index=values.index, dtype=object), 0


def convert_column(
    values: pd.Series, definition: Mapping[str, Any] | None
) -> tuple[pd.Series, int]:
    """Type one property's values by its definition; return ``(column, n_unparseable)``.

    Parameters
    ----------
    values
        The raw strings of one property (NA where the contact has no value).
    definition
        The property's definition (a dict from the properties endpoint), or ``None``.

    Examples
    --------
    >>> d = {"type": "enumeration", "fieldType": "checkbox"}
    >>> convert_column(pd.Series(["x;y"]), d)[0][0]
    ['x', 'y']
    """
    kind = property_kind(definition)
    if kind == "number":
        return to_number(values)
    if kind == "datetime":
        return to_datetime(values)
    if kind == "date":
        return to_date(values)
    if kind == "bool":
        return to_bool(values)
    if kind == "category":
        return to_category(values, definition)
    if kind == "multi":
        return to_multi(values)
    return to_string(values)


def wide_column_name(name: str) -> str:
    """The ``wide()`` column of property ``name``: ``utk`` and ``vid`` get a ``property_`` prefix.

    Examples
    --------
    >>> wide_column_name("vid"), wide_column_name("email")
    ('property_vid', 'email')
    """
    return f"property_{name}" if name in ("utk", "vid") else name


def typed_wide(
    utk: Any,
    vid: Any,
    values: Sequence[Any],
    names: Sequence[str],
    definitions: Iterable[Mapping[str, Any]] = (),
) -> pd.DataFrame:
    """The typed ``wide()`` table: ``utk``, ``vid``, then one typed column per property.

    The one builder both sinks use (a result in memory, a dataset pivoted in DuckDB).
    Values that do not parse as their property's type become NA and are reported in one
    warning, attributed to the caller's line, naming the properties and the rows affected.

    Parameters
    ----------
    utk, vid
        One value per row (array-likes of equal length): the matched utk and its contact.
    values
        ``values[i]`` holds property ``names[i]``'s raw text, one per row (NA: no value).
    names
        The property names, in column order.
    definitions
        The portal's property definitions; a property without one is ``string``.

    Examples
    --------
    >>> defs = [{"name": "n", "type": "number"}]
    >>> typed_wide(["a", "b"], [1, 2], [["2.5", None]], ["n"], defs).dtypes.astype(str).tolist()
    ['string', 'Int64', 'Float64']
    """
    by_name = {str(d.get("name")): d for d in definitions}
    n = len(utk)
    out: dict[str, Any] = {
        "utk": pd.array(utk, dtype="string"),
        "vid": pd.array(vid, dtype="Int64"),
    }
    bad: dict[str, int] = {}
    for name, raw in zip(names, values, strict=True):
        text = pd.Series(pd.array(raw, dtype="string"))
        column, n_bad = convert_column(text, by_name.get(name))
        if n_bad:
            bad[name] = n_bad
        out[wide_column_name(name)] = column.array
    if bad:
        listing = ", ".join(f"{k} ({v})" for k, v in sorted(bad.items()))
        _warn(f"wide(): values that do not parse as their property's type became NA: {listing}")
    return pd.DataFrame(out, index=pd.RangeIndex(n))
