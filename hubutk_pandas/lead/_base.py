"""What the lead analytics share: stage order, checks with clear errors, per-contact values.

Private to :mod:`hubutk_pandas.lead`. Everything reads a lookup through a
:class:`~hubutk_pandas.lead._source.LeadSource` (a ``LookupResult`` in memory or a
``LookupDataset`` on disk, see :func:`check_result`), never the network.

Examples
--------
>>> import pandas as pd
>>> check_choice("kind", "widest", ("reached", "any", "all"))
Traceback (most recent call last):
...
hubutk_pandas.errors.InvalidOptionError: kind='widest' is not valid; choose from 'reached', ...
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from hubutk_pandas.errors import HubSpotError, InvalidOptionError
from hubutk_pandas.frames.dtypes import DEFAULT_LIFECYCLE_STAGES, to_category, to_datetime
from hubutk_pandas.lead._source import as_source

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hubutk_pandas.lead._source import LeadSource

__all__ = [
    "DEFAULT_STAGES",
    "DURATION_DTYPE",
    "STAGE_PROPERTY",
    "TIMESTAMP_DTYPE",
    "became_property",
    "check_choice",
    "check_result",
    "check_stages",
    "contact_vids",
    "created_at",
    "empty_frame",
    "property_values",
    "stage_dtype",
    "stage_order",
]

STAGE_PROPERTY = "lifecyclestage"
#: ``frames.TIMESTAMP_DTYPE``, typed as a literal for pandas-stubs.
TIMESTAMP_DTYPE: Final = "datetime64[ms, UTC]"
DURATION_DTYPE: Final = "timedelta64[ms]"
DEFAULT_STAGES = DEFAULT_LIFECYCLE_STAGES
"""HubSpot's default lifecycle stages in displayOrder (from :mod:`hubutk_pandas.frames.dtypes`)."""


def became_property(stage: str) -> str:
    """The "Became a … date" property of ``stage``.

    Examples
    --------
    >>> became_property("lead")
    'hs_lifecyclestage_lead_date'
    """
    return f"hs_lifecyclestage_{stage}_date"


def check_result(result: Any) -> LeadSource:
    """What the analytics read ``result`` through: a result's or a dataset's
    :class:`~hubutk_pandas.lead._source.LeadSource`, else a clear error."""
    return as_source(result)


def check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    """``value`` when it is one of ``choices``; else an error naming ``name`` and the choices."""
    if not isinstance(value, str) or value not in choices:
        raise InvalidOptionError(
            f"{name}={value!r} is not valid; choose from {', '.join(map(repr, choices))}"
        )
    return value


def _definitions(result: LeadSource) -> list[Mapping[str, Any]]:
    try:
        return list(result.definitions())
    except HubSpotError:  # no provider: the default order and string values
        return []


def stage_order(result: LeadSource) -> list[str]:
    """The lifecycle stages in the portal's displayOrder, then any unknown value, sorted.

    From the ``lifecyclestage`` definition when the result has definitions, else
    :data:`DEFAULT_STAGES`; values found in the result that are not options (a custom or
    removed stage) are appended.
    """
    definition = next((d for d in _definitions(result) if d.get("name") == STAGE_PROPERTY), None)
    if definition and definition.get("options"):
        empty = pd.Series([], dtype="string")
        order = [str(c) for c in to_category(empty, definition)[0].cat.categories]
    else:
        order = list(DEFAULT_STAGES)
    return order + sorted(result.stage_values(STAGE_PROPERTY) - set(order))


def stage_dtype(order: Sequence[str]) -> pd.CategoricalDtype:
    """The ordered categorical dtype of a ``stage`` column."""
    return pd.CategoricalDtype(list(order), ordered=True)


def check_stages(given: Iterable[str], order: Sequence[str], name: str = "stage") -> list[str]:
    """``given`` as a list, when each is a known stage; else an error listing the stages."""
    stages = [given] if isinstance(given, str) else list(given)
    unknown = [s for s in stages if s not in order]
    if unknown or not stages:
        what = ", ".join(map(repr, unknown)) if unknown else "no stage"
        raise InvalidOptionError(
            f"{name}: {what} is not a lifecycle stage of this portal; "
            f"choose from {', '.join(map(repr, order))}"
        )
    return stages


def empty_frame(schema: Mapping[str, Any]) -> pd.DataFrame:
    """An empty frame with ``schema``'s columns and dtypes."""
    return pd.DataFrame({c: pd.Series([], dtype=d) for c, d in schema.items()})


def contact_vids(result: LeadSource) -> pd.Index:
    """The distinct vids of live contacts (not anonymous visitors, not deleted), in order."""
    contacts = result.contacts(["vid", "is_contact", "is_deleted"])
    live = contacts["vid"].notna()
    live &= contacts["is_contact"].fillna(True).astype(bool)
    live &= ~contacts["is_deleted"].fillna(False).astype(bool)
    return pd.Index(contacts.loc[live, "vid"].unique(), dtype="Int64", name="vid")


def property_values(result: LeadSource, name: str) -> pd.Series:
    """One property's typed value per vid (from ``wide()``), indexed by vid.

    Raises :class:`InvalidOptionError` naming the property and listing the properties
    of the result when neither the result's contacts nor the portal's definitions know it
    (a result with neither, e.g. an empty lookup built by hand, is not checked).
    """
    present = result.property_names()
    known = present | {str(d.get("name")) for d in _definitions(result)}
    if not isinstance(name, str) or (known and name not in known):  # nothing known: no check
        raise InvalidOptionError(
            f"unknown property {name!r}; the properties of this result are: "
            f"{', '.join(sorted(present)) or 'none'}"
        )
    wide = result.wide([name])
    column = f"property_{name}" if name in ("utk", "vid") else name
    wide = wide.dropna(subset=["vid"]).drop_duplicates(subset="vid")
    index = pd.Index(wide["vid"], dtype="Int64")
    return pd.Series(wide[column].array, index=index, name=name)


def created_at(result: LeadSource, first_entry: pd.Series | None = None) -> pd.Series:
    """Each contact's creation time (``createdate``), by vid, as ``datetime64[ms, UTC]``.

    Where a contact has no ``createdate``, its first lifecycle-stage entry
    (``first_entry``, by vid) stands in.
    """
    rows = result.properties_of(["createdate"]).dropna(subset=["vid"])
    rows = rows.drop_duplicates(subset="vid")
    stamps, _bad = to_datetime(rows["value"].reset_index(drop=True))
    created = pd.Series(stamps.to_numpy(), index=pd.Index(rows["vid"], dtype="Int64", name="vid"))
    created = created.astype(TIMESTAMP_DTYPE)
    if first_entry is not None and len(first_entry):
        created = created.combine_first(first_entry.astype(TIMESTAMP_DTYPE))
    return created.dropna().astype(TIMESTAMP_DTYPE)
