"""The analyst's own visits joined to HubSpot's conversions: what people saw before converting.

HubSpot knows when a contact converted (its form submissions, ``first_conversion_date``);
the analyst's web logs know which pages each browser (utk) saw and when. Joined on the
utk, they say how many visits and pages came before the first conversion, how long it
took from the first logged visit, and which pages were seen most before converting.

Examples
--------
>>> from hubutk_pandas.result import LookupResult
>>> record = {"vid": 1, "properties": {"first_conversion_date": {"value": "172800000"}}}
>>> result = LookupResult.from_records([("utk-a", record)])
>>> visits = pd.DataFrame({"utk": ["utk-a", " utk-a", "utk-a", "nobody"],
...     "at": ["1970-01-01T00:00Z", "1970-01-02T00:00Z", "1970-01-05T00:00Z", "1970-01-01"],
...     "page": ["/", "/pricing", "/docs", "/"]})
>>> tp = touchpoints(visits, result, at="at", page="page")
>>> tp.contacts[["vid", "visits", "visits_before", "pages_before", "time_to_convert"]]
   vid  visits  visits_before  pages_before time_to_convert
0    1       3              2             2          2 days
>>> tp.pages
       page  contacts  views  share  lift
0         /         1      1    1.0   1.0
1  /pricing         1      1    1.0   1.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from hubutk_pandas.errors import InvalidOptionError
from hubutk_pandas.frames.dtypes import to_datetime
from hubutk_pandas.lead._base import (
    DURATION_DTYPE,
    TIMESTAMP_DTYPE,
    check_result,
    empty_frame,
)
from hubutk_pandas.utks import normalize_utk

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hubutk_pandas.lead._source import LeadSource, Lookup

__all__ = ["PAGES_SCHEMA", "TOUCHPOINTS_SCHEMA", "Touchpoints", "first_conversions", "touchpoints"]

#: Columns and dtypes of :attr:`Touchpoints.contacts`.
TOUCHPOINTS_SCHEMA: dict[str, str] = {
    "vid": "Int64",
    "visits": "Int64",
    "first_visit_at": TIMESTAMP_DTYPE,
    "first_conversion_at": TIMESTAMP_DTYPE,
    "visits_before": "Int64",
    "pages_before": "Int64",
    "time_to_convert": DURATION_DTYPE,
}
#: Columns and dtypes of :attr:`Touchpoints.pages`.
PAGES_SCHEMA: dict[str, str] = {
    "page": "string",
    "contacts": "Int64",
    "views": "Int64",
    "share": "Float64",
    "lift": "Float64",
}


@dataclass(frozen=True)
class Touchpoints:
    """What :func:`touchpoints` returns: one table per contact, one per page."""

    #: One row per contact with a logged visit: :data:`TOUCHPOINTS_SCHEMA`.
    contacts: pd.DataFrame
    #: The pages seen before converting, most contacts first: :data:`PAGES_SCHEMA`.
    pages: pd.DataFrame

    def __repr__(self) -> str:
        converted = int(self.contacts["first_conversion_at"].notna().sum())
        return (
            f"Touchpoints({len(self.contacts):,} contacts with visits, {converted:,} converted; "
            f"{len(self.pages):,} pages seen before converting)"
        )


def first_conversions(result: LeadSource) -> pd.Series:
    """Each contact's first conversion, by vid: its earliest form submission in the result or
    its ``first_conversion_date`` property, whichever is earlier."""
    subs = result.form_submissions(["vid", "timestamp"]).dropna(subset=["vid", "timestamp"])
    by_form = subs.groupby("vid")["timestamp"].min().astype(TIMESTAMP_DTYPE)
    rows = result.properties_of(["first_conversion_date"]).dropna(subset=["vid"])
    rows = rows.drop_duplicates(subset="vid")
    stamps, _bad = to_datetime(rows["value"].reset_index(drop=True))
    by_prop = pd.Series(stamps.to_numpy(), index=pd.Index(rows["vid"], dtype="Int64"))
    both = pd.concat([by_form, by_prop.astype(TIMESTAMP_DTYPE)]).dropna()
    out = both.groupby(level=0).min() if len(both) else both
    return out.astype(TIMESTAMP_DTYPE).rename_axis("vid")


def _visit_times(values: pd.Series, column: str) -> pd.Series:
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(values):
        stamps = pd.to_datetime(values, utc=True)
    else:
        text = values.astype("string").str.strip()
        text = text.mask(text == "")
        stamps = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
        bad = text.notna() & stamps.isna()
        if bad.any():
            examples = ", ".join(map(repr, text[bad].unique()[:3].tolist()))
            raise InvalidOptionError(
                f"visits[{column!r}] has {int(bad.sum()):,} value(s) that are not timestamps "
                f"(ISO 8601 or datetimes), e.g. {examples}"
            )
    return stamps.astype(TIMESTAMP_DTYPE)


def touchpoints(
    visits: pd.DataFrame, result: Lookup, utk: str = "utk", *, at: str, page: str
) -> Touchpoints:
    """Join the analyst's visits (one row per page view) to each contact's first conversion.

    Parameters
    ----------
    visits
        The analyst's own page views: a utk, a time and a page per row (e.g. web logs).
        Not modified. Cells are matched as the lookup cleans them (stripped); rows whose
        utk the lookup did not match, or without a time, are left out.
    result
        The :class:`~hubutk_pandas.result.LookupResult` (or
        :class:`~hubutk_pandas.dataset.LookupDataset`) of those utks.
    utk, at, page
        The column names of the utk, the visit's time (datetimes, or ISO 8601 text; naive
        times are taken as UTC) and the page (path or URL).

    Returns
    -------
    Touchpoints
        ``contacts``: one row per contact with a visit (:data:`TOUCHPOINTS_SCHEMA`):
        ``visits`` (all its logged visits), ``first_visit_at``, ``first_conversion_at``
        (see :func:`first_conversions`; NaT if it never converted), ``visits_before`` and
        ``pages_before`` (visits and distinct pages strictly before the first conversion;
        NA if it never converted) and ``time_to_convert`` (first logged visit → first
        conversion; NaT when no logged visit came before it; ``.dt.days`` for days).
        ``pages`` (:data:`PAGES_SCHEMA`): per page, the converted contacts that saw it
        before converting, the views, their ``share`` of the converted contacts with a
        visit before converting, and the ``lift``: that share over the share of all
        contacts with visits that saw the page (above 1: seen more before converting than
        in general). Most contacts first.

    Raises
    ------
    InvalidOptionError
        When a column is missing (naming it and listing the columns) or a time does not parse.
    """
    result = check_result(result)
    if not isinstance(visits, pd.DataFrame):
        raise InvalidOptionError(f"visits must be a DataFrame, got {type(visits).__name__}")
    missing = [c for c in (utk, at, page) if c not in visits.columns]
    if missing:
        raise InvalidOptionError(
            f"visits lacks the column(s) {', '.join(map(repr, missing))}; "
            f"it has: {', '.join(map(str, visits.columns)) or 'no columns'}"
        )
    keys = pd.Series([normalize_utk(v) for v in visits[utk].tolist()], dtype="string")
    table = pd.DataFrame(
        {
            "utk": keys.to_numpy(),
            "at": _visit_times(visits[at].reset_index(drop=True), at).to_numpy(),
            "page": visits[page].astype("string").to_numpy(),
        }
    )
    owners = (
        result.contacts(["utk", "vid"]).dropna(subset=["utk", "vid"]).drop_duplicates(subset="utk")
    )
    vid_of = pd.Series(owners["vid"].to_numpy(), index=owners["utk"].astype(str).to_numpy())
    table["vid"] = table["utk"].map(vid_of).astype("Int64")
    table = table.dropna(subset=["vid", "at"])
    if table.empty:
        return Touchpoints(empty_frame(TOUCHPOINTS_SCHEMA), empty_frame(PAGES_SCHEMA))

    converted = first_conversions(result)
    table["converted_at"] = table["vid"].map(converted).astype(TIMESTAMP_DTYPE)
    before = table[table["at"] < table["converted_at"]]
    per = table.groupby("vid", sort=True).agg(
        visits=("at", "size"),
        first_visit_at=("at", "min"),
        first_conversion_at=("converted_at", "first"),
    )
    counts = before.groupby("vid").agg(
        visits_before=("at", "size"), pages_before=("page", "nunique")
    )
    per = per.join(counts)
    has_conversion = per["first_conversion_at"].notna()
    for column in ("visits_before", "pages_before"):
        per[column] = per[column].fillna(0).where(has_conversion)
    gap = per["first_conversion_at"] - per["first_visit_at"]
    per["time_to_convert"] = gap.where(gap > pd.Timedelta(0))
    contacts = per.reset_index().astype(TOUCHPOINTS_SCHEMA)

    n_before = before["vid"].nunique()
    pages = before.groupby("page").agg(contacts=("vid", "nunique"), views=("vid", "size"))
    pages["share"] = pages["contacts"] / n_before if n_before else pd.NA
    seen_by = table.groupby("page")["vid"].nunique() / table["vid"].nunique()
    pages["lift"] = pages["share"] / seen_by.reindex(pages.index)
    pages = pages.reset_index().sort_values(
        ["contacts", "views", "page"], ascending=[False, False, True], kind="stable"
    )
    return Touchpoints(contacts, pages.reset_index(drop=True).astype(PAGES_SCHEMA))
