"""Each contact's lifecycle journey: one row per stage entered, with entry, exit and duration.

Examples
--------
>>> from hubutk_pandas.result import LookupResult
>>> record = {"vid": 1, "properties": {
...     "hs_lifecyclestage_lead_date": {"value": "1700000000000"},
...     "hs_lifecyclestage_customer_date": {"value": "1700864000000"}}}
>>> journey = stages(LookupResult.from_records([("u1", record)]))
>>> journey[["vid", "stage", "entered_at", "duration", "source"]]
   vid     stage                entered_at duration    source
0    1      lead 2023-11-14 22:13:20+00:00  10 days  property
1    1  customer 2023-11-24 22:13:20+00:00      NaT  property
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from hubutk_pandas.frames.dtypes import to_datetime
from hubutk_pandas.lead._base import (
    DURATION_DTYPE,
    STAGE_PROPERTY,
    TIMESTAMP_DTYPE,
    became_property,
    check_choice,
    check_result,
    empty_frame,
    stage_dtype,
    stage_order,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hubutk_pandas.lead._source import LeadSource, Lookup

__all__ = ["SOURCES", "STAGES_SCHEMA", "first_entries", "reached_at", "stages"]

#: Columns and dtypes of :func:`stages` (``stage`` is an ordered categorical of the
#: portal's stages in displayOrder).
STAGES_SCHEMA: dict[str, str] = {
    "vid": "Int64",
    "stage": "category",
    "entered_at": TIMESTAMP_DTYPE,
    "exited_at": TIMESTAMP_DTYPE,
    "duration": DURATION_DTYPE,
    "source": "string",
}
#: What :func:`stages` can be built from.
SOURCES = ("auto", "history", "property")


def _from_history(result: LeadSource) -> pd.DataFrame:
    rows = result.history_of(STAGE_PROPERTY).dropna(subset=["vid", "timestamp"])
    # history is newest first: reverse before a stable sort so equal timestamps keep their order
    rows = rows.iloc[::-1].sort_values(["vid", "timestamp"], kind="stable")
    value = rows["value"].fillna("").astype(str).to_numpy()
    vid = rows["vid"].to_numpy(dtype="int64")
    changed = pd.Series(True, index=range(len(rows)))
    if len(rows):
        changed.iloc[1:] = (vid[1:] != vid[:-1]) | (value[1:] != value[:-1])
    keep = rows[changed.to_numpy()]
    out = pd.DataFrame(
        {
            "vid": keep["vid"].astype("Int64").to_numpy(),
            "stage": keep["value"].fillna("").astype(str).to_numpy(),
            "entered_at": keep["timestamp"].astype(TIMESTAMP_DTYPE).to_numpy(),
        }
    )
    return out


def _from_properties(result: LeadSource, order: list[str]) -> pd.DataFrame:
    names = {became_property(stage): stage for stage in order}
    rows = result.properties_of(list(names)).dropna(subset=["vid", "value"])
    rows = rows.drop_duplicates(subset=["vid", "property"])
    stamps, _bad = to_datetime(rows["value"].reset_index(drop=True))
    out = pd.DataFrame(
        {
            "vid": rows["vid"].astype("Int64").to_numpy(),
            "stage": rows["property"].astype(str).map(names).to_numpy(),
            "entered_at": stamps.astype(TIMESTAMP_DTYPE).to_numpy(),
        }
    )
    out = out.dropna(subset=["entered_at"])
    rank = out["stage"].map({s: k for k, s in enumerate(order)})
    return out.assign(_rank=rank).sort_values(["vid", "entered_at", "_rank"], kind="stable")


def _with_exits(rows: pd.DataFrame, source: str) -> pd.DataFrame:
    """Exit = the next entry of the same contact; rows of a cleared stage ("") dropped."""
    rows = rows.reset_index(drop=True)
    same = rows["vid"].eq(rows["vid"].shift(-1)).fillna(False).astype(bool)
    exited = rows["entered_at"].shift(-1).where(same)
    out = rows[["vid", "stage", "entered_at"]].assign(
        exited_at=exited.astype(TIMESTAMP_DTYPE), source=source
    )
    return out[out["stage"] != ""]


def stages(result: Lookup, *, source: str = "auto") -> pd.DataFrame:
    """One row per contact and stage entered: when it entered, when it left, how long it stayed.

    Parameters
    ----------
    result
        A :class:`~hubutk_pandas.result.LookupResult`, or a
        :class:`~hubutk_pandas.dataset.LookupDataset` (read without loading it: see
        :mod:`hubutk_pandas.lead`).
    source
        Where the journey comes from:

        - ``"history"``: the versions of ``lifecyclestage`` (a lookup with
          ``property_mode="value_and_history"``). Every entry is a row, also a re-entry
          after a backwards move; the exit is the next change (NaT while current);
          a cleared stage ends the stay.
        - ``"property"``: the "Became a … date" properties
          (``hs_lifecyclestage_<stage>_date``), which a cheap value-only lookup carries.
          They hold the *first* entry into each stage, so a backwards move or re-entry
          is not seen; the exit is the next stage's date.
        - ``"auto"`` (default): the history for contacts that have one, the properties
          for the others.

    Returns
    -------
    DataFrame
        :data:`STAGES_SCHEMA`: ``vid``, ``stage`` (ordered categorical, the portal's
        displayOrder), ``entered_at``, ``exited_at`` (NaT while current), ``duration``
        (``exited_at - entered_at``; NaT while current) and ``source`` (``"history"`` or
        ``"property"``: which one was used for that row). Sorted by vid, then time.
        The same columns and dtypes when empty.

    Examples
    --------
    >>> result = df.hubspot.lookup_utks(client=client, property_mode="value_and_history",
    ...                                 progress=False)
    >>> journey = stages(result)
    >>> journey.columns.tolist(), journey["source"].unique().tolist()
    (['vid', 'stage', 'entered_at', 'exited_at', 'duration', 'source'], ['history'])
    >>> str(journey["duration"].dtype), journey["stage"].cat.ordered
    ('timedelta64[ms]', True)
    """
    result = check_result(result)
    check_choice("source", source, SOURCES)
    order = stage_order(result)
    parts = []
    from_history = pd.Index([], dtype="Int64")
    if source in ("auto", "history"):
        rows = _from_history(result)
        from_history = pd.Index(rows["vid"].unique(), dtype="Int64")
        parts.append(_with_exits(rows, "history"))
    if source in ("auto", "property"):
        rows = _from_properties(result, order)
        if source == "auto":
            rows = rows[~rows["vid"].isin(from_history)]
        parts.append(_with_exits(rows, "property"))
    parts = [p for p in parts if len(p)]
    if not parts:
        out = empty_frame(STAGES_SCHEMA)
        return out.astype({"stage": stage_dtype(order)})
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values(["vid", "entered_at"], kind="stable").reset_index(drop=True)
    out = out.astype(
        {
            "vid": "Int64",
            "stage": stage_dtype(order),
            "entered_at": TIMESTAMP_DTYPE,
            "exited_at": TIMESTAMP_DTYPE,
            "source": "string",
        }
    )
    out.insert(4, "duration", (out["exited_at"] - out["entered_at"]).astype(DURATION_DTYPE))
    return out


def first_entries(journey: pd.DataFrame) -> pd.DataFrame:
    """The first entry of each contact into each stage: a vid × stage table of timestamps.

    Columns are every category of ``journey["stage"]`` in order (NaT where never entered).
    """
    if journey.empty:
        cols = list(journey["stage"].cat.categories)
        empty = {c: pd.Series([], dtype=TIMESTAMP_DTYPE) for c in cols}
        return pd.DataFrame(empty, index=pd.Index([], dtype="Int64", name="vid"))
    table = journey.pivot_table(
        index="vid", columns="stage", values="entered_at", aggfunc="min", observed=True
    ).reindex(columns=journey["stage"].cat.categories)
    table.columns = pd.Index([str(c) for c in table.columns], name="stage")
    return table.astype(TIMESTAMP_DTYPE)


def reached_at(journey: pd.DataFrame, stage: str) -> pd.Series:
    """When each contact first reached ``stage`` or a later one, by vid (``other`` aside).

    The "reached" sense of :func:`~hubutk_pandas.lead.funnel`: a contact that skipped
    ``stage`` reached it when it entered a later stage. ``other`` counts only for itself.
    """
    order = [str(c) for c in journey["stage"].cat.categories]
    later = [s for s in order[order.index(stage) :] if s != "other" or stage == "other"]
    rows = journey[journey["stage"].isin(later)]
    out = rows.groupby("vid", sort=True)["entered_at"].min()
    return out.astype(TIMESTAMP_DTYPE).rename("reached_at")
