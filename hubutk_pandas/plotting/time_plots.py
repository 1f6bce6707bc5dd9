"""Plots over time: one property's history per contact, and form submissions per period.

:func:`plot_property_timeline` and :func:`plot_form_submissions` are public through
:mod:`hubutk_pandas.plotting`; import them from there. matplotlib is imported only when a
plot is drawn.

Examples
--------
>>> import pandas as pd
>>> subs = pd.DataFrame({"timestamp": pd.to_datetime(["2024-01-01"], utc=True)})
>>> plot_form_submissions(subs, by=None).get_title()
'Form submissions per week'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from hubutk_pandas.errors import InvalidOptionError
from hubutk_pandas.plotting._helpers import (
    NO_VALUE,
    concise_dates,
    contacts_text,
    distinct_colours,
    draw_empty,
    integer_ticks,
    label_axes,
    new_axes,
    require_columns,
)
from hubutk_pandas.plotting._words import Words

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes

    from hubutk_pandas.face import PropertyDefinitions

__all__ = [
    "LEGEND_CONTACTS",
    "MAX_CONTACTS",
    "MAX_SERIES",
    "plot_form_submissions",
    "plot_property_timeline",
]

#: How many contacts :func:`plot_property_timeline` draws when ``vids`` is not given.
MAX_CONTACTS = 20
#: Up to this many contacts, the lines of a numeric property's timeline are named by vid in a
#: legend (beyond, a legend of vids would only be noise).
LEGEND_CONTACTS = 8
#: How many ``by`` groups :func:`plot_form_submissions` draws before lumping the rest.
MAX_SERIES = 10

_FREQ_WORDS = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year", "h": "hour"}


def _naive_utc(timestamps: pd.Series) -> pd.Series:
    """Timestamps as tz-naive UTC, which matplotlib's date axis handles everywhere."""
    ts = pd.to_datetime(timestamps, utc=True)
    return ts.dt.tz_localize(None)


def plot_property_timeline(
    history: pd.DataFrame,
    property: str,
    *,
    vids: Sequence[int] | None = None,
    ax: Axes | None = None,
    order: Sequence[str] | None = None,
    definitions: PropertyDefinitions | None = None,
) -> Axes:
    """One property's values over time, contact by contact.

    A property of choices (``lifecyclestage``) is drawn as lanes: one row per contact, its
    time split into coloured spans, one colour per value, each span from the change that
    set the value to the next change (the last one held up to the newest change drawn); the
    contacts picked by default are sorted by their first change, the earliest on top. Read
    across a row for one contact's journey, down a column for where the contacts stood at a
    time; 20 contacts make 20 rows, and nothing overlaps. The legend names the values (in
    ``order``, else in the order they first appear in time), colours running from the first
    to the last, so later stages read darker.

    Numeric values are drawn as step lines, one per contact, labelled by vid up to
    :data:`LEGEND_CONTACTS` contacts.

    Parameters
    ----------
    history
        The ``history`` frame of a lookup made with ``property_mode="value_and_history"``.
    property
        The property to draw, e.g. ``"lifecyclestage"``.
    vids
        The contacts to draw. By default the first :data:`MAX_CONTACTS` contacts having the
        property; the title says so when more exist.
    ax
        The Axes to draw on; a new figure by default.
    order
        The values' order (first to last), e.g. an enumeration's options in displayOrder.
    definitions
        The portal's property definitions (``lookup.definitions()``; ``result.plot`` passes
        them): the property and its values are named by their labels ("Lifecycle Stage",
        "Marketing Qualified Lead"), else by their internal names.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> history = pd.DataFrame({"vid": [1, 1, 2], "property": ["lifecyclestage"] * 3,
    ...     "value": ["lead", "customer", "lead"],
    ...     "timestamp": pd.to_datetime([0, 86_400_000, 0], unit="ms", utc=True)})
    >>> ax = plot_property_timeline(history, "lifecyclestage")
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['1', '2']
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['lead', 'customer']
    """
    require_columns(history, ["vid", "property", "value", "timestamp"], "history")
    ax = new_axes(ax)
    words = Words(definitions)
    name = words.property(property)
    xlabel, ylabel = "time (UTC)", name
    rows = history.loc[history["property"] == property, ["vid", "value", "timestamp"]]
    rows = rows.dropna(subset=["vid", "timestamp"])
    all_vids = list(pd.unique(rows["vid"]))
    if vids is not None:
        wanted = list(vids)
        rows = rows[rows["vid"].isin(wanted)]
        chosen = [v for v in wanted if v in set(rows["vid"])]
        suffix = ""
    else:
        chosen = all_vids[:MAX_CONTACTS]
        rows = rows[rows["vid"].isin(chosen)]
        suffix = (
            f" (first {len(chosen)} of {len(all_vids):,} contacts)"
            if len(all_vids) > len(chosen)
            else f" ({contacts_text(len(chosen))})"
        )
    title = f"{name} over time{suffix}"
    if rows.empty:
        return draw_empty(ax, f"No history of {property!r} to plot", title, xlabel, ylabel)

    rows = rows.assign(timestamp=_naive_utc(rows["timestamp"])).sort_values(
        ["timestamp"], kind="stable"
    )
    values = rows["value"].astype("string")
    numbers = pd.to_numeric(values, errors="coerce")
    numeric = bool(numbers.notna().sum()) and bool(
        (numbers.notna() | values.isna() | (values == "")).all()
    )
    drawn = [vid for vid in chosen if (rows["vid"] == vid).any()]
    if vids is None:  # the earliest journey first: the lanes read as a staircase
        first = rows.groupby("vid", sort=False)["timestamp"].min()
        drawn.sort(key=lambda vid: first[vid])
    if numeric:
        _number_lines(ax, rows.assign(_y=numbers.astype("float64").to_numpy()), drawn)
        if len(drawn) == 1:
            title = f"{name} over time (vid {drawn[0]})"
    else:
        values = values.replace("", pd.NA).fillna(NO_VALUE)
        present = list(pd.unique(values))
        categories = [c for c in (order or ()) if c in present]
        categories += [c for c in present if c not in categories]
        _lanes(ax, rows.assign(value=values.to_numpy()), drawn, categories, words, property)
        xlabel, ylabel = "time (UTC)", "contact (vid)"
    concise_dates(ax)
    return label_axes(ax, title, xlabel, ylabel)


def _lanes(
    ax: Axes,
    rows: pd.DataFrame,
    drawn: list[Any],
    categories: list[str],
    words: Words,
    property: str,
) -> None:
    """One lane per contact (first on top), spans coloured by value, a legend of the values."""
    import matplotlib.dates as mdates
    from matplotlib import colormaps
    from matplotlib.patches import Patch

    end = mdates.date2num(rows["timestamp"].max())
    start = mdates.date2num(rows["timestamp"].min())
    tail = max((end - start) * 0.02, 1.0)  # the newest value shows as a span too
    ramp = colormaps["viridis"]
    named = [c for c in categories if c != NO_VALUE]
    colours = {c: ramp(0.9 - 0.8 * k / max(len(named) - 1, 1)) for k, c in enumerate(named)}
    colours[NO_VALUE] = (0.8, 0.8, 0.8, 1.0)
    for lane, vid in enumerate(drawn):
        one = rows[rows["vid"] == vid]
        times = list(mdates.date2num(one["timestamp"]))
        stops = [*times[1:], end + tail]
        for left, right, value in zip(times, stops, one["value"], strict=True):
            ax.barh(lane, max(right - left, tail / 4), left=left, height=0.72,
                    color=colours[value], edgecolor="white", linewidth=0.6)  # fmt: skip
    ax.set_yticks(range(len(drawn)))
    ax.set_yticklabels([str(v) for v in drawn], fontsize="small")
    ax.set_ylim(len(drawn) - 0.5, -0.5)  # the first contact on top
    ax.xaxis_date()
    handles = [Patch(color=colours[c], label=words.value(property, c)) for c in categories]
    ax.legend(handles=handles, title=words.property(property), fontsize="small",
              loc="upper left", bbox_to_anchor=(1.01, 1))  # fmt: skip
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _number_lines(ax: Axes, rows: pd.DataFrame, drawn: list[Any]) -> None:
    """One step line per contact; labelled by vid while they are few enough to tell apart."""
    end = rows["timestamp"].max()
    colours = distinct_colours(len(drawn))
    few = len(drawn) <= LEGEND_CONTACTS
    for k, vid in enumerate(drawn):
        one = rows[rows["vid"] == vid]
        x, y = list(one["timestamp"]), list(one["_y"])
        changes = list(range(len(x)))
        if x[-1] < end:  # hold the last value up to the newest change drawn, unmarked
            x.append(end)
            y.append(y[-1])
        ax.step(x, y, where="post", marker="o", markersize=5 if few else 3,
                markevery=changes, label=str(vid), color=colours[k],
                linewidth=1.5 if few else 1.0)  # fmt: skip
    if 1 < len(drawn) <= LEGEND_CONTACTS:  # beside the axes, never over the lines
        ax.legend(title="vid", fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))


def plot_form_submissions(
    form_submissions: pd.DataFrame,
    *,
    freq: str = "W",
    by: str | None = "title",
    ax: Axes | None = None,
) -> Axes:
    """Form submissions per period, one line per ``by`` value (e.g. per form).

    Parameters
    ----------
    form_submissions
        The ``form_submissions`` frame of a lookup.
    freq
        A pandas period alias: ``"D"``, ``"W"`` (default), ``"M"``, ``"Q"``, ``"Y"``.
    by
        The column that splits the lines (default the form's ``title``); ``None`` for one line.
        The ten largest groups are drawn and the rest summed as ``(other)``.
    ax
        The Axes to draw on; a new figure by default.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> subs = pd.DataFrame({"timestamp": pd.to_datetime(["2024-01-01", "2024-01-09"], utc=True),
    ...                      "title": ["Demo", "Newsletter"]})
    >>> ax = plot_form_submissions(subs)
    >>> sorted(line.get_label() for line in ax.lines)
    ['Demo', 'Newsletter']
    """
    require_columns(form_submissions, ["timestamp"] + ([by] if by else []), "form_submissions")
    ax = new_axes(ax)
    word = _FREQ_WORDS.get(str(freq), str(freq))
    title = f"Form submissions per {word}" + (f" by {by}" if by else "")
    xlabel, ylabel = f"{word} starting (UTC)", "submissions"
    rows = form_submissions.dropna(subset=["timestamp"])
    try:
        periods = _naive_utc(rows["timestamp"]).dt.to_period(freq)
    except (ValueError, TypeError) as exc:
        raise InvalidOptionError(
            f"freq={freq!r} is not a pandas period alias; choose from 'D', 'W', 'M', 'Q', 'Y'"
        ) from exc
    if rows.empty:
        return draw_empty(ax, "No form submissions to plot", title, xlabel, ylabel)

    groups = (
        rows[by].astype("string").fillna(NO_VALUE).to_numpy()
        if by
        else pd.Series("all submissions", index=rows.index).to_numpy()
    )
    table = pd.crosstab(periods.to_numpy(), groups)
    if table.shape[1] > MAX_SERIES:
        ranked = table.sum().sort_values(ascending=False, kind="stable").index
        keep, rest = list(ranked[: MAX_SERIES - 1]), list(ranked[MAX_SERIES - 1 :])
        table = table[keep].assign(**{"(other)": table[rest].sum(axis=1)})
    full = pd.period_range(table.index.min(), table.index.max(), freq=freq)
    table = table.reindex(full, fill_value=0)
    x = table.index.to_timestamp().to_numpy()
    for column in table.columns:
        ax.plot(
            x, table[column].to_numpy(), marker="o" if len(x) <= 30 else None, label=str(column)
        )
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_locator(integer_ticks())
    ax.legend(title=by or None, fontsize="small", loc="best")
    concise_dates(ax)
    return label_axes(ax, title, xlabel, ylabel)
