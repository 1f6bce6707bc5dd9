"""How long conversion takes: time from one stage to another, and cohorts by creation period.

Examples
--------
>>> from hubutk_pandas.result import LookupResult
>>> day, t0 = 86_400_000, 1_700_000_000_000
>>> def contact(vid, **dates):
...     props = {f"hs_lifecyclestage_{s}_date": {"value": str(t0 + t * day)}
...              for s, t in dates.items()}
...     return (f"u{vid}", {"vid": vid, "properties": props})
>>> result = LookupResult.from_records([contact(1, lead=0, customer=10),
...                                     contact(2, lead=5, customer=35), contact(3, lead=1)])
>>> time_to_stage(result, "lead", "customer")["duration"].dt.days.tolist()
[10, 30]
>>> summary = time_to_stage_summary(result, "lead", "customer")
>>> summary[["contacts", "median", "p75", "p90"]]
   contacts  median     p75     p90
0         2 20 days 25 days 28 days
>>> summary[["median_days", "p75_days", "p90_days"]]
   median_days  p75_days  p90_days
0         20.0      25.0      28.0
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hubutk_pandas.errors import InvalidOptionError
from hubutk_pandas.lead._base import (
    DURATION_DTYPE,
    TIMESTAMP_DTYPE,
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

__all__ = [
    "SUMMARY_SCHEMA",
    "TIME_TO_STAGE_SCHEMA",
    "cohorts",
    "cohorts_schema",
    "days",
    "summarize_durations",
    "time_to_stage",
    "time_to_stage_summary",
]

#: Columns and dtypes of :func:`time_to_stage`.
TIME_TO_STAGE_SCHEMA: dict[str, str] = {
    "vid": "Int64",
    "start_at": TIMESTAMP_DTYPE,
    "end_at": TIMESTAMP_DTYPE,
    "duration": DURATION_DTYPE,
}
#: Columns and dtypes of :func:`time_to_stage_summary` (after the ``by`` column, if any): the
#: durations as ``timedelta64[ms]``, then the same in days (``Float64``), readable at a glance.
SUMMARY_SCHEMA: dict[str, str] = {
    "contacts": "Int64",
    "median": DURATION_DTYPE,
    "p75": DURATION_DTYPE,
    "p90": DURATION_DTYPE,
    "median_days": "Float64",
    "p75_days": "Float64",
    "p90_days": "Float64",
}


def time_to_stage(result: Lookup, start: str, end: str, *, source: str = "auto") -> pd.DataFrame:
    """One row per contact that reached both stages: when, and how long from ``start`` to ``end``.

    ``start_at`` is the contact's first entry into ``start``; ``end_at`` its first entry
    into ``end`` at or after ``start_at`` (a contact that entered ``end`` only before
    ``start``, after a backwards move, is left out). For consecutive stages of a journey
    without re-entry, the duration is HubSpot's ``hs_time_in_<start>``. Both stages must
    have been entered: a contact that skipped ``end`` on its way to a later stage counts as
    having reached ``end`` in :func:`~hubutk_pandas.lead.funnel` and
    :func:`~hubutk_pandas.lead.attribution` (whose ``median_time`` runs from creation to
    the stage or a later one), but is not in this table.

    Parameters
    ----------
    result
        A :class:`~hubutk_pandas.result.LookupResult`, or a
        :class:`~hubutk_pandas.dataset.LookupDataset` (read without loading it: see
        :mod:`hubutk_pandas.lead`).
    start, end
        Two different lifecycle stages of the portal.
    source
        ``"auto"``, ``"history"`` or ``"property"``, as in :func:`~hubutk_pandas.lead.stages`.

    Returns
    -------
    DataFrame
        :data:`TIME_TO_STAGE_SCHEMA`: ``vid``, ``start_at``, ``end_at`` and ``duration``
        (``timedelta64[ms]``), sorted by vid.

    Examples
    --------
    >>> result = df.hubspot.lookup_utks(client=client, progress=False)
    >>> time_to_stage(result, "lead", "customer").columns.tolist()
    ['vid', 'start_at', 'end_at', 'duration']
    """
    result = check_result(result)
    order = stage_order(result)
    check_stages([start, end], order, "start/end")
    if start == end:
        raise InvalidOptionError(f"start and end must be two different stages, got {start!r}")
    journey = stages(result, source=source)
    starts = journey[journey["stage"] == start].groupby("vid")["entered_at"].min()
    ends = journey.loc[journey["stage"] == end, ["vid", "entered_at"]]
    if starts.empty or ends.empty:
        return empty_frame(TIME_TO_STAGE_SCHEMA)
    start_at = ends["vid"].map(starts).astype(TIMESTAMP_DTYPE)
    ends = ends.assign(start_at=start_at).dropna(subset=["start_at"])
    ends = ends[ends["entered_at"] >= ends["start_at"]]
    firsts = ends.groupby("vid", sort=True).agg(
        start_at=("start_at", "first"), end_at=("entered_at", "min")
    )
    if firsts.empty:
        return empty_frame(TIME_TO_STAGE_SCHEMA)
    out = firsts.reset_index().astype(
        {"vid": "Int64", "start_at": TIMESTAMP_DTYPE, "end_at": TIMESTAMP_DTYPE}
    )
    out["duration"] = (out["end_at"] - out["start_at"]).astype(DURATION_DTYPE)
    return out


def summarize_durations(durations: pd.Series) -> dict[str, Any]:
    """``contacts``, ``median``, ``p75`` and ``p90`` of a ``timedelta64`` series (NaT if empty),
    and each of the three in days (``median_days``, ...; NA if empty)."""
    values = durations.dropna()
    if values.empty:
        out: dict[str, Any] = {"contacts": 0, "median": pd.NaT, "p75": pd.NaT, "p90": pd.NaT}
    else:
        q = values.quantile([0.5, 0.75, 0.9])
        out = {"contacts": len(values), "median": q.iloc[0], "p75": q.iloc[1], "p90": q.iloc[2]}
    for name in ("median", "p75", "p90"):
        out[f"{name}_days"] = days(out[name])
    return out


def days(duration: Any) -> float | None:
    """A duration (``Timedelta``, or NaT) in days, as a float; ``None`` for NaT.

    Examples
    --------
    >>> days(pd.Timedelta(hours=36)), days(pd.NaT)
    (1.5, None)
    """
    if pd.isna(duration):
        return None
    return float(pd.Timedelta(duration) / pd.Timedelta(days=1))


def time_to_stage_summary(
    result: Lookup, start: str, end: str, *, by: str | None = None, source: str = "auto"
) -> pd.DataFrame:
    """The median, 75th and 90th percentile of :func:`time_to_stage`, overall or per ``by`` value.

    Returns
    -------
    DataFrame
        One row (or one per value of the property ``by``, largest group first):
        ``contacts`` (``Int64``), ``median``, ``p75``, ``p90`` (``timedelta64[ms]``), and the
        same three in days: ``median_days``, ``p75_days``, ``p90_days`` (``Float64``).

    Examples
    --------
    >>> result = df.hubspot.lookup_utks(client=client, progress=False)
    >>> time_to_stage_summary(result, "lead", "customer").columns.tolist()
    ['contacts', 'median', 'p75', 'p90', 'median_days', 'p75_days', 'p90_days']
    """
    result = check_result(result)
    times = time_to_stage(result, start, end, source=source)
    schema: dict[str, Any] = dict(SUMMARY_SCHEMA)
    if by is None:
        rows = [summarize_durations(times["duration"])]
    else:
        groups = property_values(result, by)
        schema = {by: groups.dtype, **schema}
        keys = groups.reindex(pd.Index(times["vid"])).to_numpy()
        rows = [
            {by: key, **summarize_durations(part["duration"])}
            for key, part in times.groupby(keys, dropna=False, sort=False)
        ]
        rows.sort(key=lambda r: -r["contacts"])
    return pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype=d) for c, d in schema.items()})


def cohorts_schema(days: Sequence[int], freq: str = "M") -> dict[str, Any]:
    """Columns and dtypes of :func:`cohorts` for ``days`` and ``freq``."""
    out: dict[str, Any] = {"cohort": pd.PeriodDtype(freq), "contacts": "Int64", "reached": "Int64"}
    out.update({f"within_{d}d": "Float64" for d in days})
    return out


def _check_days(days: Sequence[int]) -> list[int]:
    ok = isinstance(days, Sequence) and not isinstance(days, str) and len(days) > 0
    if not ok or not all(isinstance(d, (int, np.integer)) and d >= 0 for d in days):
        raise InvalidOptionError(f"days must be a list of whole numbers >= 0, got {days!r}")
    return sorted({int(d) for d in days})


def cohorts(
    result: Lookup,
    freq: str = "M",
    stage: str = "lead",
    *,
    days: Sequence[int] = (7, 30, 90),
    as_of: pd.Timestamp | str | None = None,
    source: str = "auto",
) -> pd.DataFrame:
    """Contacts grouped by creation period, with the share that reached ``stage`` within N days.

    A contact's creation is its ``createdate`` (else its first stage entry); it reached
    ``stage`` when it first entered it or a later stage (see
    :func:`~hubutk_pandas.lead.stages.reached_at`); an entry before the creation counts
    as day 0. A share is NA while the cohort is too young to tell: when the period's end
    plus N days is after ``as_of``.

    Parameters
    ----------
    result
        A :class:`~hubutk_pandas.result.LookupResult`, or a
        :class:`~hubutk_pandas.dataset.LookupDataset` (read without loading it: see
        :mod:`hubutk_pandas.lead`).
    freq
        A pandas period alias for the cohorts: ``"W"``, ``"M"`` (default), ``"Q"``, ``"Y"``.
    stage
        The stage to reach (default ``"lead"``).
    days
        The windows, in days after creation (default 7, 30 and 90).
    as_of
        The data's "now"; by default the latest creation or stage entry in the result.
    source
        ``"auto"``, ``"history"`` or ``"property"``, as in :func:`~hubutk_pandas.lead.stages`.

    Returns
    -------
    DataFrame
        :func:`cohorts_schema`: ``cohort`` (``period[freq]``), ``contacts`` and ``reached``
        (ever; ``Int64``), then ``within_<N>d`` (``Float64`` shares) per window. One row per
        period from the first to the last cohort (empty periods have 0 contacts).

    Examples
    --------
    >>> result = df.hubspot.lookup_utks(client=client, progress=False)
    >>> cohorts(result, freq="Q", stage="customer").columns.tolist()
    ['cohort', 'contacts', 'reached', 'within_7d', 'within_30d', 'within_90d']
    """
    result = check_result(result)
    windows = _check_days(days)
    check_stages([stage], stage_order(result), "stage")
    try:
        schema = cohorts_schema(windows, freq)
    except (ValueError, TypeError) as exc:
        raise InvalidOptionError(
            f"freq={freq!r} is not a pandas period alias; choose from 'W', 'M', 'Q', 'Y'"
        ) from exc
    journey = stages(result, source=source)
    first_entry = journey.groupby("vid")["entered_at"].min()
    created = created_at(result, first_entry)
    created = created[created.index.isin(contact_vids(result))]
    if created.empty:
        out = empty_frame(schema)
        out.attrs.update(stage=stage, freq=freq)
        return out
    reached = reached_at(journey, stage).reindex(created.index)
    delay = (reached - created).clip(lower=pd.Timedelta(0))
    if as_of is None:
        now = max(created.max(), journey["entered_at"].max()) if len(journey) else created.max()
    else:
        now = pd.Timestamp(as_of)
        now = now.tz_localize("UTC") if now.tzinfo is None else now.tz_convert("UTC")
    periods = created.dt.tz_localize(None).dt.to_period(freq)
    frame = pd.DataFrame({"cohort": periods, "delay": delay, "hit": reached.notna()})
    grouped = frame.groupby("cohort", sort=True)
    out = pd.DataFrame({"contacts": grouped.size(), "reached": grouped["hit"].sum()})
    full = pd.period_range(out.index.min(), out.index.max(), freq=freq)
    out = out.reindex(full, fill_value=0)
    ends = full.to_timestamp(how="end").tz_localize("UTC")
    for d in windows:
        within = grouped["delay"].apply(lambda s, d=d: (s <= pd.Timedelta(days=d)).sum())
        share = within.reindex(full, fill_value=0) / out["contacts"].replace(0, np.nan)
        complete = (ends + pd.Timedelta(days=d)) <= now
        out[f"within_{d}d"] = share.where(complete)
    out = out.rename_axis("cohort").reset_index().astype(schema)
    out.attrs.update(stage=stage, freq=freq)
    return out
