"""The lifecycle funnel: how many contacts went through each stage, and the conversion between.

Three ways to count a contact at a stage, as HubSpot's reports and analysts do:

========== ==================================================================================
kind       a contact counts at a stage when
========== ==================================================================================
reached    its furthest stage is this one or a later one ("got at least this far"); the
           default, and it never widens. ``other`` is no step of the progression: when
           asked for, it counts the contacts that had it
any        it had the stage at any time, in any order (HubSpot's "gone through any stages").
           The counts are not nested: a contact may have a later stage without an earlier
           one, so a stage can count more contacts than the one before it. The ratios are
           therefore ``ratio_to_previous`` and ``ratio_to_first``, not conversions, and
           may be above 1
all        it went through every funnel stage up to this one, in order, without skipping
           (HubSpot's "gone through all stages": a skipped stage drops it from later ones)
========== ==================================================================================

The order used by ``all`` is that of each contact's *first* entry into each stage, which
the history and the "Became a … date" properties agree on, so the three kinds give the
same numbers from either source.

Examples
--------
>>> from hubutk_pandas.result import LookupResult
>>> def contact(vid, **dates):
...     props = {f"hs_lifecyclestage_{s}_date": {"value": str(t)} for s, t in dates.items()}
...     return (f"u{vid}", {"vid": vid, "properties": props})
>>> result = LookupResult.from_records([
...     contact(1, subscriber=1, lead=2, customer=3),   # skips MQL, SQL, opportunity
...     contact(2, subscriber=1, lead=2),
...     contact(3, lead=5)])                             # skips subscriber
>>> funnel(result, stages=["subscriber", "lead", "customer"])
        stage  reached  conversion  cumulative_conversion
0  subscriber        3        <NA>                    1.0
1        lead        3         1.0                    1.0
2    customer        1    0.333333               0.333333
>>> funnel(result, kind="all", stages=["subscriber", "lead", "customer"])["reached"].tolist()
[2, 2, 1]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hubutk_pandas.lead._base import (
    check_choice,
    check_result,
    check_stages,
    empty_frame,
    property_values,
    stage_dtype,
    stage_order,
)
from hubutk_pandas.lead.stages import first_entries
from hubutk_pandas.lead.stages import stages as build_stages

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hubutk_pandas.lead._source import LeadSource, Lookup

__all__ = [
    "ANY_FUNNEL_SCHEMA",
    "FUNNEL_SCHEMA",
    "KINDS",
    "funnel",
    "funnel_schema",
    "funnel_stages",
    "reached_positions",
]

#: Columns and dtypes of :func:`funnel` (with ``by=``, the property's column comes first).
FUNNEL_SCHEMA: dict[str, str] = {
    "stage": "category",
    "reached": "Int64",
    "conversion": "Float64",
    "cumulative_conversion": "Float64",
}
#: Columns and dtypes of ``funnel(kind="any")``: its counts are not nested, so the ratios
#: between them are no conversions and may be above 1.
ANY_FUNNEL_SCHEMA: dict[str, str] = {
    "stage": "category",
    "reached": "Int64",
    "ratio_to_previous": "Float64",
    "ratio_to_first": "Float64",
}
KINDS = ("reached", "any", "all")


def funnel_schema(kind: str) -> dict[str, str]:
    """The columns of :func:`funnel` for ``kind``: :data:`FUNNEL_SCHEMA`, or
    :data:`ANY_FUNNEL_SCHEMA` for ``"any"``."""
    return ANY_FUNNEL_SCHEMA if kind == "any" else FUNNEL_SCHEMA


def funnel_stages(result: LeadSource, given: Sequence[str] | None) -> list[str]:
    """The funnel's stages: ``given`` (checked), else every stage but ``other``, in order."""
    order = stage_order(result)
    if given is None:
        return [s for s in order if s != "other"]
    chosen = set(check_stages(given, order, "stages"))
    return [s for s in order if s in chosen]  # always in the portal's order


def reached_positions(firsts: pd.DataFrame, kind: str) -> pd.DataFrame:
    """A vid × stage table of booleans: does the contact count at the stage under ``kind``.

    ``firsts`` is :func:`~hubutk_pandas.lead.stages.first_entries` restricted to the
    funnel's stages, in funnel order.
    """
    had = firsts.notna().to_numpy()
    if kind == "any":
        counted = had
    elif kind == "reached":  # every stage up to the furthest one had; "other" only for itself
        path = np.array([c != "other" for c in firsts.columns], dtype=bool)
        counted = had.copy()
        furthest = np.flip(np.logical_or.accumulate(np.flip(had[:, path], axis=1), axis=1), axis=1)
        counted[:, path] = furthest
    else:  # "all": the longest prefix entered, each first entry not before the previous one
        times = np.full(had.shape, np.iinfo(np.int64).max, dtype=np.int64)
        for j, column in enumerate(firsts.columns):
            times[:, j] = np.where(had[:, j], _as_ms(firsts[column]), times[:, j])
        in_order = np.ones_like(had)
        if had.shape[1] > 1:
            in_order[:, 1:] = times[:, 1:] >= times[:, :-1]
        counted = np.logical_and.accumulate(had & in_order, axis=1)
    return pd.DataFrame(counted, index=firsts.index, columns=firsts.columns)


def _as_ms(column: pd.Series) -> np.ndarray:
    """Epoch milliseconds (NaT becomes a sentinel the caller masks)."""
    naive = column.astype("datetime64[ms, UTC]").dt.tz_localize(None)
    return naive.to_numpy(dtype="datetime64[ms]").view(np.int64)


def _one_funnel(counted: pd.DataFrame, names: list[str], kind: str) -> pd.DataFrame:
    reached = counted.sum(axis=0).reindex(names, fill_value=0).astype("int64").to_numpy()
    reached_f = reached.astype(float)
    previous = np.concatenate([[np.nan], reached_f[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        conversion = np.where(previous > 0, reached_f / previous, np.nan)
        cumulative = np.where(reached_f[0] > 0, reached_f / reached_f[0], np.nan)
    step, whole = list(funnel_schema(kind))[2:]
    return pd.DataFrame(
        {
            "stage": pd.Categorical(names, categories=names, ordered=True),
            "reached": pd.array(reached, dtype="Int64"),
            step: pd.array(conversion, dtype="Float64"),
            whole: pd.array(cumulative, dtype="Float64"),
        }
    ).astype({step: "Float64", whole: "Float64"})


def funnel(
    result: Lookup,
    by: str | None = None,
    kind: str = "reached",
    *,
    stages: Sequence[str] | None = None,
    source: str = "auto",
) -> pd.DataFrame:
    """Contacts per lifecycle stage, counted the way ``kind`` says, with the conversions.

    Parameters
    ----------
    result
        A :class:`~hubutk_pandas.result.LookupResult` or a
        :class:`~hubutk_pandas.dataset.LookupDataset`; its journeys come from
        :func:`~hubutk_pandas.lead.stages` (history, or the "Became a … date" properties).
    by
        A property, e.g. ``"hs_analytics_source"``: one funnel per value (NA included).
    kind
        ``"reached"`` (default), ``"any"`` or ``"all"``: see the module's table.
    stages
        The funnel's stages (in any order; drawn in the portal's order). By default every
        stage but ``"other"``, which stays out unless asked for here. Leaving stages out
        does not change the counts of the others: with ``kind="reached"`` a contact whose
        furthest stage is left out still counts at every chosen stage before it. With
        ``kind="all"`` the chosen stages are the path to go through in order.
    source
        ``"auto"``, ``"history"`` or ``"property"``, as in :func:`stages`.

    Returns
    -------
    DataFrame
        One row per stage in order (per ``by`` value first, when given): ``stage``
        (ordered categorical), ``reached`` (``Int64``), ``conversion`` (the fraction of the
        previous stage's count; NA for the first stage) and ``cumulative_conversion`` (the
        fraction of the first stage's count), both ``Float64``, NA where the base is 0.
        With ``kind="any"`` the counts are not nested, so these two are named
        ``ratio_to_previous`` and ``ratio_to_first`` (:data:`ANY_FUNNEL_SCHEMA`) and may be
        above 1: they are no conversions. Counts contacts (vids) that entered at least one
        stage. ``attrs`` holds ``kind``
        and ``source`` (and ``by``), which :func:`~hubutk_pandas.plotting.plot_funnel` reads.

    Raises
    ------
    InvalidOptionError
        For an unknown ``kind``, stage or property, naming it and listing the valid ones.

    Examples
    --------
    >>> result = df.hubspot.lookup_utks(client=client, progress=False)
    >>> table = funnel(result)
    >>> table.columns.tolist()
    ['stage', 'reached', 'conversion', 'cumulative_conversion']
    >>> bool(table["reached"].is_monotonic_decreasing)
    True
    """
    result = check_result(result)
    check_choice("kind", kind, KINDS)
    names = funnel_stages(result, stages)
    groups = property_values(result, by) if by is not None else None
    journey = build_stages(result, source=source)
    every = first_entries(journey)
    firsts = every.reindex(columns=names)
    if kind == "all":  # every chosen stage in order: the chosen ones are the path
        counted = reached_positions(firsts, kind)
    else:  # a stage left out of the funnel still shows how far a contact got
        counted = reached_positions(every, kind).reindex(columns=names, fill_value=False)
    counted = counted[firsts.notna().any(axis=1) | counted.any(axis=1)]
    if groups is None:
        out = _one_funnel(counted, names, kind)
        out.attrs.update(kind=kind, source=source)
        return out
    assert by is not None
    values = groups.reindex(counted.index)
    parts = []
    for value, rows in counted.groupby(values.to_numpy(), dropna=False, sort=False):
        part = _one_funnel(rows, names, kind)
        part.insert(0, by, value)
        parts.append(part)
    if not parts:
        out = empty_frame({by: groups.dtype, **funnel_schema(kind)})
        return out.astype({"stage": stage_dtype(names)})
    out = pd.concat(parts, ignore_index=True)
    out[by] = out[by].astype(groups.dtype)
    size = out.groupby(by, dropna=False, observed=True, sort=False)["reached"].transform("first")
    out = out.assign(_size=size.to_numpy()).sort_values(
        ["_size", by], ascending=[False, True], kind="stable", na_position="last"
    )
    out = out.drop(columns="_size").reset_index(drop=True)
    out.attrs.update(kind=kind, source=source, by=by)
    return out
