"""Contacts counted per value of ``wide()``: bars of sources, of current lifecycle stages.

:func:`plot_sources` and :func:`plot_current_stages` are public through
:mod:`hubutk_pandas.plotting`; import them from there. Both count a contact once even when
several utks matched it. matplotlib is imported only when a plot is drawn.

:func:`plot_current_stages` counts each contact at the stage it is in *now*: it is not a
funnel (a funnel counts the contacts that *reached* each stage, and never widens; that is
:func:`~hubutk_pandas.plotting.plot_funnel`, ``result.plot.funnel()``). Its old name,
``plot_lifecycle_funnel``, still works with a ``FutureWarning``.

Examples
--------
>>> import pandas as pd
>>> wide = pd.DataFrame({"utk": ["a", "b"], "vid": [1, 1],
...                      "hs_analytics_source": ["DIRECT_TRAFFIC"] * 2})
>>> plot_sources(wide).get_title()
'Contacts by hs_analytics_source (1 contact)'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from hubutk_pandas._warnings import warn
from hubutk_pandas.errors import InvalidOptionError
from hubutk_pandas.frames.dtypes import DEFAULT_LIFECYCLE_STAGES
from hubutk_pandas.plotting._helpers import (
    NO_VALUE,
    contacts_text,
    draw_empty,
    integer_ticks,
    label_axes,
    new_axes,
    require_columns,
)
from hubutk_pandas.plotting._words import words_of

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes

    from hubutk_pandas.face import LookupFace, PropertyDefinitions

__all__ = [
    "DEFAULT_LIFECYCLE_ORDER",
    "plot_current_stages",
    "plot_lifecycle_funnel",
    "plot_sources",
]

DEFAULT_LIFECYCLE_ORDER = DEFAULT_LIFECYCLE_STAGES
"""HubSpot's default lifecycle stages in displayOrder (from :mod:`hubutk_pandas.frames.dtypes`)."""


def _as_wide(result_or_wide: LookupFace | pd.DataFrame, property: str) -> pd.DataFrame:
    """A wide frame as given, or ``wide([property])`` of a result or a dataset."""
    if isinstance(result_or_wide, pd.DataFrame):
        return result_or_wide
    wide = getattr(result_or_wide, "wide", None)
    if not callable(wide):
        raise InvalidOptionError(
            "expected a LookupResult, a LookupDataset or a wide DataFrame, got "
            + type(result_or_wide).__name__
        )
    frame = wide([property])
    if not isinstance(frame, pd.DataFrame):  # pragma: no cover - contract guard
        raise InvalidOptionError("wide() did not return a DataFrame")
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
        counts = pd.concat([counts, pd.Series({NO_VALUE: n_missing})])
    return counts.astype("int64")


def plot_sources(
    result_or_wide: LookupFace | pd.DataFrame,
    property: str = "hs_analytics_source",
    *,
    ax: Axes | None = None,
    definitions: PropertyDefinitions | None = None,
) -> Axes:
    """Horizontal bars: contacts per value of a source property, largest on top.

    Parameters
    ----------
    result_or_wide
        A :class:`~hubutk_pandas.LookupResult` or :class:`~hubutk_pandas.LookupDataset` (its
        ``wide([property])`` is used) or a wide frame.
    property
        The column to count, ``hs_analytics_source`` by default.
    ax
        The Axes to draw on; a new figure by default.
    definitions
        The portal's property definitions (a result or a dataset gives its own): the
        property and its values are named by their labels ("Original Source", "Organic
        Search", "Marketing Qualified Lead"), else by their internal names.

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
    wide = _as_wide(result_or_wide, property)
    require_columns(wide, [property], "the wide frame")
    words = words_of(result_or_wide, definitions)
    ax = new_axes(ax)
    contacts = _one_row_per_contact(wide)
    name = words.property(property)
    title = f"Contacts by {name} ({contacts_text(len(contacts))})"
    xlabel, ylabel = "contacts", name
    if contacts.empty:
        return draw_empty(ax, "No contacts to plot", title, xlabel, ylabel)
    counts = _counts(contacts[property]).sort_values(ascending=False, kind="stable")
    counts = counts[counts > 0]
    labels = words.values(property, list(counts.index))
    bars = ax.barh(range(len(counts)), counts.to_numpy())
    ax.set_yticks(range(len(counts)))
    ax.set_yticklabels(labels)
    ax.invert_yaxis()
    ax.bar_label(bars, labels=[f"{n:,}" for n in counts.to_numpy()], padding=3)
    ax.xaxis.set_major_locator(integer_ticks())
    return label_axes(ax, title, xlabel, ylabel)


def plot_current_stages(
    result_or_wide: LookupFace | pd.DataFrame,
    *,
    ax: Axes | None = None,
    definitions: PropertyDefinitions | None = None,
) -> Axes:
    """Bars: contacts per *current* lifecycle stage, first stage on top, counts annotated.

    Each contact is counted once, at the stage it is in now (``lifecyclestage``), so a
    later stage may have more contacts than an earlier one. This is not a funnel: for the
    contacts that *reached* each stage, use :func:`~hubutk_pandas.plotting.plot_funnel`
    (``result.plot.funnel()``).

    Stages follow the categorical order of ``wide()["lifecyclestage"]`` (the enumeration's
    displayOrder), every stage shown even when empty; for a plain string column,
    :data:`DEFAULT_LIFECYCLE_ORDER` is used, unknown stages last.

    Parameters
    ----------
    result_or_wide
        A :class:`~hubutk_pandas.LookupResult` or :class:`~hubutk_pandas.LookupDataset`
        (its ``wide(["lifecyclestage"])`` is used) or a wide frame with a
        ``lifecyclestage`` column.
    ax
        The Axes to draw on; a new figure by default.
    definitions
        The portal's property definitions (a result or a dataset gives its own): the
        property and its values are named by their labels ("Original Source", "Organic
        Search", "Marketing Qualified Lead"), else by their internal names.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> wide = pd.DataFrame({"vid": [1, 2], "lifecyclestage": ["customer", "lead"]})
    >>> ax = plot_current_stages(wide)
    >>> ax.get_title(), [t.get_text() for t in ax.get_yticklabels()][:2]
    ('Contacts per current lifecycle stage (2 contacts)', ['subscriber', 'lead'])
    """
    wide = _as_wide(result_or_wide, "lifecyclestage")
    require_columns(wide, ["lifecyclestage"], "the wide frame")
    words = words_of(result_or_wide, definitions)
    ax = new_axes(ax)
    contacts = _one_row_per_contact(wide)
    stages = contacts["lifecyclestage"]
    n_missing = int(stages.isna().sum())
    title = f"Contacts per current lifecycle stage ({contacts_text(len(contacts))})"
    if n_missing:
        title += f"; {n_missing} without a stage"
    xlabel, ylabel = "contacts", "current lifecycle stage"
    if contacts.empty or n_missing == len(contacts):
        return draw_empty(ax, "No lifecycle stages to plot", title, xlabel, ylabel)

    if isinstance(stages.dtype, pd.CategoricalDtype):
        order = [str(c) for c in stages.cat.categories]
    else:
        present = [str(v) for v in pd.unique(stages.dropna())]
        order = list(DEFAULT_LIFECYCLE_ORDER)
        order += sorted(s for s in present if s not in order)
    counts = stages.dropna().astype(str).value_counts().reindex(order, fill_value=0)
    widths = counts.to_numpy()
    bars = ax.barh(range(len(order)), widths, color="tab:blue")
    ax.set_yticks(range(len(order)))
    ax.set_yticklabels([words.stage(stage) for stage in order])
    ax.invert_yaxis()
    ax.bar_label(bars, labels=[f"{n:,}" for n in widths], padding=3)
    ax.xaxis.set_major_locator(integer_ticks())
    return label_axes(ax, title, xlabel, ylabel)


def plot_lifecycle_funnel(
    result_or_wide: LookupFace | pd.DataFrame,
    *,
    ax: Axes | None = None,
    definitions: PropertyDefinitions | None = None,
) -> Axes:
    """Deprecated: :func:`plot_current_stages` (it draws current stages, not a funnel).

    Warns with a ``FutureWarning`` and draws :func:`plot_current_stages`. For the true
    funnel, use :func:`~hubutk_pandas.plotting.plot_funnel` (``result.plot.funnel()``).
    """
    warn(
        "plot_lifecycle_funnel is deprecated: it draws contacts per current stage, not a "
        "funnel; use plot_current_stages (or plot_funnel for the contacts that reached "
        "each stage)",
        FutureWarning,
    )
    return plot_current_stages(result_or_wide, ax=ax, definitions=definitions)
