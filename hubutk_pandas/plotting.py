"""Quick exploration plots of a lookup's frames.

Each function takes the documented frames of a :class:`~hubutk_pandas.result.LookupResult`
(or the result itself), draws on a matplotlib ``Axes`` and returns it, with a title and
axis labels. An empty input draws an explanatory empty plot instead of raising, so a
notebook cell never fails just because a lookup found nothing.

matplotlib is imported inside the functions, never at module import time, so
``import hubutk_pandas`` stays light.

Examples
--------
>>> import pandas as pd
>>> from hubutk_pandas.plotting import plot_lifecycle_funnel
>>> wide = pd.DataFrame({"utk": ["a", "b", "c"], "vid": [1, 2, 3],
...                      "lifecyclestage": ["lead", "lead", "customer"]})
>>> ax = plot_lifecycle_funnel(wide)
>>> ax.get_title()
'Contacts per lifecycle stage (3 contacts)'
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from hubutk_pandas.errors import HubSpotError, InvalidOptionError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes

    from hubutk_pandas.result import LookupResult

__all__ = [
    "DEFAULT_LIFECYCLE_ORDER",
    "MAX_CONTACTS",
    "ResultPlotter",
    "plot_form_submissions",
    "plot_lifecycle_funnel",
    "plot_property_timeline",
    "plot_sources",
]

logger = logging.getLogger("hubutk_pandas.plotting")

#: HubSpot's default lifecycle stages, in their displayOrder; used when ``lifecyclestage``
#: is not an ordered categorical (for example in a hand-built frame).
DEFAULT_LIFECYCLE_ORDER: tuple[str, ...] = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)

#: How many contacts :func:`plot_property_timeline` draws when ``vids`` is not given.
MAX_CONTACTS = 20
#: Up to this many contacts, the timeline's legend sits inside the axes.
LEGEND_CONTACTS = 8
#: How many ``by`` groups :func:`plot_form_submissions` draws before lumping the rest.
MAX_SERIES = 10

_NO_VALUE = "(no value)"
_FREQ_WORDS = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year", "h": "hour"}


def _pyplot() -> Any:
    """Import ``matplotlib.pyplot`` on first use, naming the package when it is missing."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "hubutk_pandas.plotting needs matplotlib: pip install matplotlib "
            "(or reinstall hubutk-pandas, which depends on it)"
        ) from exc
    return plt


def _integer_ticks() -> Any:
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    _fig, new_ax = _pyplot().subplots(figsize=(8, 4.5))
    return new_ax


def _require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise InvalidOptionError(f"{what} must be a DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidOptionError(
            f"{what} lacks the column(s) {', '.join(map(repr, missing))}; "
            f"it has: {', '.join(map(str, frame.columns)) or 'no columns'}"
        )


def _contacts_text(n: int) -> str:
    return f"{n:,} contact" + ("" if n == 1 else "s")


def _label(ax: Axes, title: str, xlabel: str, ylabel: str) -> Axes:
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def _empty(ax: Axes, message: str, title: str, xlabel: str, ylabel: str) -> Axes:
    """Draw ``message`` centred on an otherwise blank, labelled Axes."""
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])
    return _label(ax, title, xlabel, ylabel)


def _naive_utc(timestamps: pd.Series) -> pd.Series:
    """Timestamps as tz-naive UTC, which matplotlib's date axis handles everywhere."""
    ts = pd.to_datetime(timestamps, utc=True)
    return ts.dt.tz_localize(None)


def _as_wide(result_or_wide: LookupResult | pd.DataFrame) -> pd.DataFrame:
    if isinstance(result_or_wide, pd.DataFrame):
        return result_or_wide
    wide = getattr(result_or_wide, "wide", None)
    if not callable(wide):
        raise InvalidOptionError(
            "expected a LookupResult or a wide DataFrame, got " + type(result_or_wide).__name__
        )
    frame = wide()
    if not isinstance(frame, pd.DataFrame):  # pragma: no cover - contract guard
        raise InvalidOptionError("result.wide() did not return a DataFrame")
    return frame


def _one_row_per_contact(wide: pd.DataFrame) -> pd.DataFrame:
    """wide() has one row per matched utk; two utks may share a contact, so count vids once."""
    if "vid" in wide.columns:
        return wide.drop_duplicates(subset="vid")
    return wide


def _counts(values: pd.Series) -> pd.Series:
    """Counts per value, NA counted as ``(no value)``, categories kept in their order."""
    counts = values.value_counts(dropna=True, sort=False)
    counts.index = counts.index.astype(object)
    n_missing = int(values.isna().sum())
    if n_missing:
        counts = pd.concat([counts, pd.Series({_NO_VALUE: n_missing})])
    return counts.astype("int64")


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
    _require_columns(history, ["vid", "property", "value", "timestamp"], "history")
    ax = _axes(ax)
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
            else f" ({_contacts_text(len(chosen))})"
        )
    title = f"{property} over time{suffix}"
    if rows.empty:
        return _empty(ax, f"No history of {property!r} to plot", title, xlabel, ylabel)

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
        values = values.replace("", pd.NA).fillna(_NO_VALUE)
        present = list(pd.unique(values))
        categories = [c for c in (order or ()) if c in present]
        categories += [c for c in present if c not in categories]
        positions = {c: i for i, c in enumerate(categories)}
        y = values.map(positions).astype("float64")

    rows = rows.assign(_y=y.to_numpy())
    end = rows["timestamp"].max()
    for vid in chosen:
        one = rows[rows["vid"] == vid]
        if one.empty:
            continue
        x, values_y = list(one["timestamp"]), list(one["_y"])
        changes = list(range(len(x)))
        if x[-1] < end:  # hold the last value up to the newest change drawn, unmarked
            x.append(end)
            values_y.append(values_y[-1])
        ax.step(x, values_y, where="post", marker="o", markevery=changes, label=str(vid))
    if categories:
        ax.set_yticks(range(len(categories)))
        ax.set_yticklabels(categories)
    if len(ax.lines) <= LEGEND_CONTACTS:
        ax.legend(title="vid", fontsize="small", loc="best")
    elif ax.lines:  # a legend of many vids would cover the lines: put it beside the axes
        ax.legend(
            title="vid", fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1), ncols=1
        )
    ax.figure.autofmt_xdate()
    return _label(ax, title, xlabel, ylabel)


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
    _require_columns(form_submissions, ["timestamp"] + ([by] if by else []), "form_submissions")
    ax = _axes(ax)
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
        return _empty(ax, "No form submissions to plot", title, xlabel, ylabel)

    groups = (
        rows[by].astype("string").fillna(_NO_VALUE).to_numpy()
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
    ax.yaxis.set_major_locator(_integer_ticks())
    ax.legend(title=by or None, fontsize="small", loc="best")
    ax.figure.autofmt_xdate()
    return _label(ax, title, xlabel, ylabel)


def plot_sources(
    result_or_wide: LookupResult | pd.DataFrame,
    property: str = "hs_analytics_source",
    *,
    ax: Axes | None = None,
) -> Axes:
    """Horizontal bars: contacts per value of a source property, largest on top.

    Parameters
    ----------
    result_or_wide
        A :class:`~hubutk_pandas.result.LookupResult` (its ``wide()`` is used) or a wide frame.
    property
        The column to count, ``hs_analytics_source`` by default.
    ax
        The Axes to draw on; a new figure by default.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> wide = pd.DataFrame({"vid": [1, 2, 3],
    ...     "hs_analytics_source": ["ORGANIC_SEARCH", "DIRECT_TRAFFIC", "ORGANIC_SEARCH"]})
    >>> ax = plot_sources(wide)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['ORGANIC_SEARCH', 'DIRECT_TRAFFIC']
    """
    wide = _as_wide(result_or_wide)
    _require_columns(wide, [property], "the wide frame")
    ax = _axes(ax)
    contacts = _one_row_per_contact(wide)
    title = f"Contacts by {property} ({_contacts_text(len(contacts))})"
    xlabel, ylabel = "contacts", property
    if contacts.empty:
        return _empty(ax, "No contacts to plot", title, xlabel, ylabel)
    counts = _counts(contacts[property]).sort_values(ascending=False, kind="stable")
    counts = counts[counts > 0]
    labels = [str(v) for v in counts.index]
    bars = ax.barh(range(len(counts)), counts.to_numpy())
    ax.set_yticks(range(len(counts)))
    ax.set_yticklabels(labels)
    ax.invert_yaxis()
    ax.bar_label(bars, padding=3)
    ax.xaxis.set_major_locator(_integer_ticks())
    return _label(ax, title, xlabel, ylabel)


def plot_lifecycle_funnel(
    result_or_wide: LookupResult | pd.DataFrame,
    *,
    ax: Axes | None = None,
) -> Axes:
    """A funnel of contacts per lifecycle stage, first stage on top, counts annotated.

    Stages follow the categorical order of ``wide()["lifecyclestage"]`` (the enumeration's
    displayOrder), every stage shown even when empty; for a plain string column,
    :data:`DEFAULT_LIFECYCLE_ORDER` is used, unknown stages last.

    Parameters
    ----------
    result_or_wide
        A :class:`~hubutk_pandas.result.LookupResult` (its ``wide()`` is used) or a wide frame
        with a ``lifecyclestage`` column.
    ax
        The Axes to draw on; a new figure by default.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> wide = pd.DataFrame({"vid": [1, 2], "lifecyclestage": ["customer", "lead"]})
    >>> ax = plot_lifecycle_funnel(wide)
    >>> [t.get_text() for t in ax.get_yticklabels()][:2]
    ['subscriber', 'lead']
    """
    wide = _as_wide(result_or_wide)
    _require_columns(wide, ["lifecyclestage"], "the wide frame")
    ax = _axes(ax)
    contacts = _one_row_per_contact(wide)
    stages = contacts["lifecyclestage"]
    n_missing = int(stages.isna().sum())
    title = f"Contacts per lifecycle stage ({_contacts_text(len(contacts))})"
    if n_missing:
        title += f"; {n_missing} without a stage"
    xlabel, ylabel = "contacts", "lifecycle stage"
    if contacts.empty or n_missing == len(contacts):
        return _empty(ax, "No lifecycle stages to plot", title, xlabel, ylabel)

    if isinstance(stages.dtype, pd.CategoricalDtype):
        order = [str(c) for c in stages.cat.categories]
    else:
        present = [str(v) for v in pd.unique(stages.dropna())]
        order = list(DEFAULT_LIFECYCLE_ORDER)
        order += sorted(s for s in present if s not in order)
    counts = stages.dropna().astype(str).value_counts().reindex(order, fill_value=0)
    widths = counts.to_numpy()
    lefts = (widths.max() - widths) / 2  # centred bars read as a funnel
    bars = ax.barh(range(len(order)), widths, left=lefts, color="tab:blue")
    ax.set_yticks(range(len(order)))
    ax.set_yticklabels(order)
    ax.invert_yaxis()
    ax.bar_label(bars, labels=[str(n) for n in widths], label_type="center", color="black")
    ax.set_xticks([])
    return _label(ax, title, xlabel, ylabel)


class ResultPlotter:
    """``result.plot``: the plotting functions with a lookup's frames pre-bound.

    Parameters
    ----------
    result
        The :class:`~hubutk_pandas.result.LookupResult` to plot.

    Examples
    --------
    >>> from hubutk_pandas.result import LookupResult
    >>> record = {"vid": 1, "properties": {"lifecyclestage": {"value": "lead"}}}
    >>> result = LookupResult.from_records([("u1", record)])
    >>> result.plot.lifecycle_funnel().get_title()
    'Contacts per lifecycle stage (1 contact)'
    """

    def __init__(self, result: LookupResult) -> None:
        self._result = result

    def __repr__(self) -> str:
        return "<ResultPlotter: timeline, form_submissions, sources, lifecycle_funnel>"

    def _option_order(self, property: str) -> list[str] | None:
        """An enumeration's option values in displayOrder, from the portal's definitions."""
        try:
            definitions = self._result.definitions()
        except HubSpotError as exc:  # ordering is a nicety; plot in time order instead
            logger.info("no property definitions for ordering %s: %s", property, exc)
            return None
        for definition in definitions or ():
            if definition.get("name") == property and definition.get("options"):
                options = sorted(
                    definition["options"],
                    key=lambda o: (o.get("displayOrder") is None, o.get("displayOrder") or 0),
                )
                return [str(o.get("value")) for o in options]
        return None

    def timeline(
        self, property: str, *, vids: Sequence[int] | None = None, ax: Axes | None = None
    ) -> Axes:
        """:func:`plot_property_timeline` of ``result.history``, enumerations in displayOrder."""
        return plot_property_timeline(
            self._result.history, property, vids=vids, ax=ax, order=self._option_order(property)
        )

    def form_submissions(
        self, *, freq: str = "W", by: str | None = "title", ax: Axes | None = None
    ) -> Axes:
        """:func:`plot_form_submissions` of ``result.form_submissions``."""
        return plot_form_submissions(self._result.form_submissions, freq=freq, by=by, ax=ax)

    def sources(self, property: str = "hs_analytics_source", *, ax: Axes | None = None) -> Axes:
        """:func:`plot_sources` of ``result.wide()``."""
        return plot_sources(self._result, property, ax=ax)

    def lifecycle_funnel(self, *, ax: Axes | None = None) -> Axes:
        """:func:`plot_lifecycle_funnel` of ``result.wide()``."""
        return plot_lifecycle_funnel(self._result, ax=ax)
