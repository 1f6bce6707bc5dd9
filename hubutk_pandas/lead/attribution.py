"""Which sources bring contacts that convert: contacts, conversions and time to convert per source.

First touch is ``hs_analytics_source`` (the original source, the default) and last touch
``hs_latest_source``; any other property works too (``by="hs_analytics_source_data_1"``).

Examples
--------
>>> from hubutk_pandas.result import LookupResult
>>> day, t0 = 86_400_000, 1_700_000_000_000
>>> def contact(vid, source, **dates):
...     props = {f"hs_lifecyclestage_{s}_date": {"value": str(t0 + t * day)}
...              for s, t in dates.items()}
...     props["hs_analytics_source"] = {"value": source}
...     props["createdate"] = {"value": str(t0)}
...     return (f"u{vid}", {"vid": vid, "properties": props})
>>> result = LookupResult.from_records([
...     contact(1, "ORGANIC_SEARCH", lead=0, customer=20),
...     contact(2, "ORGANIC_SEARCH", lead=0),
...     contact(3, "PAID_SEARCH", lead=0, evangelist=40)])   # skipped customer: reached it
>>> attribution(result)
  hs_analytics_source  contacts  reached  conversion median_time  median_days
0      ORGANIC_SEARCH         2        1         0.5     20 days         20.0
1         PAID_SEARCH         1        1         1.0     40 days         40.0
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from hubutk_pandas.lead._base import (
    DURATION_DTYPE,
    check_result,
    check_stages,
    contact_vids,
    created_at,
    empty_frame,
    property_values,
    stage_order,
)
from hubutk_pandas.lead.stages import reached_at, stages

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hubutk_pandas.lead._source import Lookup

__all__ = ["ATTRIBUTION_SCHEMA", "attribution"]

#: Columns and dtypes of :func:`attribution` after the ``by`` column (the property's dtype).
ATTRIBUTION_SCHEMA: dict[str, str] = {
    "contacts": "Int64",
    "reached": "Int64",
    "conversion": "Float64",
    "median_time": DURATION_DTYPE,
    "median_days": "Float64",
}


def attribution(
    result: Lookup,
    stage: str = "customer",
    by: str = "hs_analytics_source",
    *,
    source: str = "auto",
) -> pd.DataFrame:
    """Per value of a source property: contacts, how many reached ``stage``, and how fast.

    Parameters
    ----------
    result
        A :class:`~hubutk_pandas.result.LookupResult`, or a
        :class:`~hubutk_pandas.dataset.LookupDataset` (read without loading it: see
        :mod:`hubutk_pandas.lead`).
    stage
        The conversion to credit (default ``"customer"``). A contact reached it when it
        entered it or a later stage (``other`` aside), as :func:`~hubutk_pandas.lead.funnel`
        counts ``"reached"``.
    by
        The property that credits a contact: ``"hs_analytics_source"`` (first touch, the
        default), ``"hs_latest_source"`` (last touch) or any other property.
    source
        ``"auto"``, ``"history"`` or ``"property"``, as in :func:`~hubutk_pandas.lead.stages`.

    Returns
    -------
    DataFrame
        One row per value of ``by`` (NA included), most contacts first: the ``by`` column
        (its ``wide()`` dtype), ``contacts`` (live contacts: not anonymous visitors, not
        deleted), ``reached`` (``Int64``), ``conversion`` (``reached / contacts``,
        ``Float64``), ``median_time`` from creation (``createdate``, else the first
        stage entry) to reaching the stage (``timedelta64[ms]``; NaT when none reached it)
        and the same in days, ``median_days`` (``Float64``; NA when none reached it).

    Examples
    --------
    >>> result = df.hubspot.lookup_utks(client=client, progress=False)
    >>> attribution(result, by="hs_latest_source").columns.tolist()
    ['hs_latest_source', 'contacts', 'reached', 'conversion', 'median_time', 'median_days']
    """
    result = check_result(result)
    check_stages([stage], stage_order(result), "stage")
    values = property_values(result, by)
    schema: dict[str, Any] = {by: values.dtype, **ATTRIBUTION_SCHEMA}
    vids = contact_vids(result)
    if vids.empty:
        out = empty_frame(schema)
        out.attrs.update(stage=stage, by=by)
        return out
    journey = stages(result, source=source)
    reached = reached_at(journey, stage).reindex(vids)
    created = created_at(result, journey.groupby("vid")["entered_at"].min()).reindex(vids)
    frame = pd.DataFrame(
        {
            "key": values.reindex(vids).to_numpy(),
            "hit": reached.notna().to_numpy(),
            # milliseconds as floats: a grouped median of timedeltas with NaT is wrong on
            # pandas 2.2 (NaT taken as a huge negative number)
            "ms": (
                (reached - created).clip(lower=pd.Timedelta(0)).dt.total_seconds() * 1000
            ).to_numpy(dtype=float, na_value=float("nan")),
        }
    )
    grouped = frame.groupby("key", dropna=False, sort=False, observed=True)
    out = pd.DataFrame(
        {
            "contacts": grouped.size(),
            "reached": grouped["hit"].sum(),
            "median_time": pd.to_timedelta(grouped["ms"].median().round(), unit="ms"),
        }
    )
    out["conversion"] = out["reached"] / out["contacts"]
    out["median_days"] = (out["median_time"] / pd.Timedelta(days=1)).astype("Float64")
    out = out.rename_axis(by).reset_index()
    out = out.sort_values(["contacts", "reached"], ascending=False, kind="stable")
    out = out[list(schema)].reset_index(drop=True).astype(schema)
    out.attrs.update(stage=stage, by=by)
    return out
