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
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes

__all__ = [
    "LEGEND_CONTACTS",
    "MAX_CONTACTS",
    "MAX_SERIES",
    "plot_form_submissions",
    "plot_property_timeline",
]

#: How many contacts :func:`plot_property_timeline` draws when ``vids`` is not given.
MAX_CONTACTS = 20
#: Beyond this many contacts, the timeline spreads same-value lines apart in a thin band
#: (and beyond twice as many, its legend, beside the axes, has two columns).
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
) -> Axes:
    """Step chart of one property's values over time, one line per contact.

    Numeric values are plotted as numbers; other values as categories on the y axis
    (in ``order`` when given, else in the order they first appear in time, which for
    ``lifecyclestage`` follows the progression).

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
        The categories' order on the y axis (bottom to top), e.g. an enumeration's options.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> history = pd.DataFrame({"vid": [1, 1], "property": ["lifecyclestage"] * 2,
    ...     "value": ["lead", "customer"],
    ...     "timestamp": pd.to_datetime([0, 86_400_000], unit="ms", utc=True)})
    >>> ax = plot_property_timeline(history, "lifecyclestage")
    >>> len(ax.lines), [t.get_text() for t in ax.get_yticklabels()]
    (1, ['lead', 'customer'])
    """
    require_columns(history, ["vid", "property", "value", "timestamp"], "history")
    ax = new_axes(ax)
    xlabel, ylabel = "time (UTC)", property
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
            f" (first {len(chosen)} of {len(all_vids)} contacts)"
            if len(all_vids) > len(chosen)
            else f" ({contacts_text(len(chosen))})"
        )
    title = f"{property} over time{suffix}"
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
    if numeric:
        y = numbers.astype("float64")
        categories: list[str] = []
    else:
        values = values.replace("", pd.NA).fillna(NO_VALUE)
        present = list(pd.unique(values))
        categories = [c for c in (order or ()) if c in present]
        categories += [c for c in present if c not in categories]
        positions = {c: i for i, c in enumerate(categories)}
        y = values.map(positions).astype("float64")

    rows = rows.assign(_y=y.to_numpy())
    end = rows["timestamp"].max()
    drawn = [vid for vid in chosen if (rows["vid"] == vid).any()]
    colours = distinct_colours(len(drawn))
    # Many contacts at one category would hide one another: spread them in a thin band.
    spread = 0.5 if categories and len(drawn) > LEGEND_CONTACTS else 0.0
    for k, vid in enumerate(drawn):
        one = rows[rows["vid"] == vid]
        x, values_y = list(one["timestamp"]), list(one["_y"])
        if spread:
            offset = spread * (k / (len(drawn) - 1) - 0.5)
            values_y = [v + offset for v in values_y]
        changes = list(range(len(x)))
        if x[-1] < end:  # hold the last value up to the newest change drawn, unmarked
            x.append(end)
            values_y.append(values_y[-1])
        ax.step(
            x,
            values_y,
            where="post",
            marker="o",
            markersize=4 if spread else 6,
            markevery=changes,
            label=str(vid),
            color=colours[k],
        )
    if categories:
        ax.set_yticks(range(len(categories)))
        ax.set_yticklabels(categories)
    if len(ax.lines) > 1:  # beside the axes, never over the lines
        ax.legend(
            title="vid",
            fontsize="x-small",
            loc="upper left",
            bbox_to_anchor=(1.01, 1),
            ncols=1 if len(ax.lines) <= 2 * LEGEND_CONTACTS else 2,
        )
    else:
        title = f"{property} over time (vid {drawn[0]})"
    concise_dates(ax)
    return label_axes(ax, title, xlabel, ylabel)


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
