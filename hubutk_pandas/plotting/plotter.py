"""``result.plot`` and ``ds.plot``: :class:`ResultPlotter`, the plots with a lookup bound.

Each plot function takes the documented frames of a lookup (or the lookup itself: a
:class:`~hubutk_pandas.LookupResult` or a :class:`~hubutk_pandas.LookupDataset`), draws on
a matplotlib ``Axes`` and returns it, with a title and axis labels. An empty input draws an
explanatory empty plot instead of raising, so a notebook cell never fails just because a
lookup found nothing. matplotlib is imported inside the functions, never at module import
time, so ``import hubutk_pandas`` stays light. Import from :mod:`hubutk_pandas.plotting`.

Examples
--------
>>> import pandas as pd
>>> from hubutk_pandas.plotting import plot_current_stages
>>> wide = pd.DataFrame({"utk": ["a", "b", "c"], "vid": [1, 2, 3],
...                      "lifecyclestage": ["lead", "lead", "customer"]})
>>> ax = plot_current_stages(wide)
>>> ax.get_title()
'Contacts per current lifecycle stage (3 contacts)'
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from hubutk_pandas._warnings import warn
from hubutk_pandas.errors import HubSpotError
from hubutk_pandas.frames import FORM_SUBMISSIONS_SCHEMA
from hubutk_pandas.frames.dtypes import to_category
from hubutk_pandas.plotting.count_plots import plot_current_stages, plot_sources
from hubutk_pandas.plotting.lead_plots import (
    plot_cohorts,
    plot_conversion_by_source,
    plot_funnel,
    plot_stage_flow,
    plot_time_in_stage,
)
from hubutk_pandas.plotting.time_plots import plot_form_submissions, plot_property_timeline

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes

    from hubutk_pandas.face import LookupFace, PropertyDefinitions

__all__ = ["ResultPlotter"]

logger = logging.getLogger(__name__)


class ResultPlotter:
    """``result.plot`` and ``ds.plot``: the plotting functions with a lookup pre-bound.

    Written against :class:`~hubutk_pandas.face.LookupFace`, so it draws a result in
    memory and a dataset on disk alike, reading only what each plot needs: one property's
    history, a column or two of ``form_submissions``, ``wide()`` of one property, or the
    lead analytics (``lookup.lead``).

    Parameters
    ----------
    lookup
        The :class:`~hubutk_pandas.LookupResult` or :class:`~hubutk_pandas.LookupDataset`
        to plot.

    Examples
    --------
    >>> from hubutk_pandas.result import LookupResult
    >>> record = {"vid": 1, "properties": {"lifecyclestage": {"value": "lead"},
    ...                                    "hs_lifecyclestage_lead_date": {"value": "0"}}}
    >>> result = LookupResult.from_records([("u1", record)])
    >>> result.plot.funnel().get_title()
    'Lifecycle funnel: contacts that got at least this far (1 contact)'
    >>> result.plot.current_stages().get_title()
    'Contacts per current lifecycle stage (1 contact)'
    """

    def __init__(self, lookup: LookupFace) -> None:
        self._lookup = lookup

    def __repr__(self) -> str:
        return (
            "<ResultPlotter: funnel, current_stages, sources, timeline, form_submissions, "
            "stage_flow, time_in_stage, conversion_by_source, cohorts>"
        )

    def _definitions(self) -> PropertyDefinitions | None:
        """The lookup's property definitions, for labels and order; ``None`` if unavailable."""
        try:
            return self._lookup.definitions()
        except HubSpotError as exc:  # labels and order are niceties: internal names instead
            logger.info("no property definitions for the plot's labels: %s", exc)
            return None

    def _option_order(self, property: str) -> list[str] | None:
        """An enumeration's option values in displayOrder, from the portal's definitions.

        The order ``wide()`` gives the property's categories (:func:`dtypes.to_category`),
        so the timeline's values read like the wide column.
        """
        for definition in self._definitions() or []:
            if definition.get("name") == property and definition.get("options"):
                no_values = pd.Series([], dtype="string")
                categories = to_category(no_values, definition)[0].cat.categories
                return [str(c) for c in categories]
        return None

    def timeline(
        self, property: str, *, vids: Sequence[int] | None = None, ax: Axes | None = None
    ) -> Axes:
        """:func:`plot_property_timeline` of the ``history`` of ``property``, enumerations in
        displayOrder (only that property's rows are read)."""
        filters: list[tuple[str, str, Any]] = [("property", "==", property)]
        if vids is not None and len(vids):
            filters.append(("vid", "in", [int(v) for v in vids]))
        history = self._lookup.to_pandas(
            "history", ["vid", "property", "value", "timestamp"], filters
        )
        return plot_property_timeline(
            history,
            property,
            vids=vids,
            ax=ax,
            order=self._option_order(property),
            definitions=self._definitions(),
        )

    def form_submissions(
        self, *, freq: str = "W", by: str | None = "title", ax: Axes | None = None
    ) -> Axes:
        """:func:`plot_form_submissions` of ``form_submissions`` (the columns it draws)."""
        columns = None
        if by is None or (isinstance(by, str) and by in FORM_SUBMISSIONS_SCHEMA):
            columns = ["timestamp"] + ([by] if by else [])
        frame = self._lookup.to_pandas("form_submissions", columns)
        return plot_form_submissions(frame, freq=freq, by=by, ax=ax)

    def sources(self, property: str = "hs_analytics_source", *, ax: Axes | None = None) -> Axes:
        """:func:`plot_sources` of ``wide([property])``."""
        return plot_sources(self._lookup, property, ax=ax, definitions=self._definitions())

    def current_stages(self, *, ax: Axes | None = None) -> Axes:
        """:func:`plot_current_stages` of ``wide(["lifecyclestage"])``: contacts per stage
        they are in now (not a funnel: see :meth:`funnel`)."""
        return plot_current_stages(self._lookup, ax=ax, definitions=self._definitions())

    def lifecycle_funnel(self, *, ax: Axes | None = None) -> Axes:
        """Deprecated: :meth:`current_stages` (it draws current stages, not a funnel)."""
        warn(
            "plot.lifecycle_funnel() is deprecated: it draws contacts per current stage, not "
            "a funnel; use plot.current_stages() (or plot.funnel() for the contacts that "
            "reached each stage)",
            FutureWarning,
        )
        return plot_current_stages(self._lookup, ax=ax, definitions=self._definitions())

    # ----- lead analytics (hubutk_pandas.lead, through lookup.lead) ---------------------------

    def funnel(
        self,
        kind: str = "reached",
        *,
        stages: Sequence[str] | None = None,
        source: str = "auto",
        ax: Axes | None = None,
    ) -> Axes:
        """:func:`plot_funnel` of ``lookup.lead.funnel(kind=..., stages=..., source=...)``:
        the contacts that reached each stage."""
        table = self._lookup.lead.funnel(kind=kind, stages=stages, source=source)
        return plot_funnel(table, ax=ax, definitions=self._definitions())

    def stage_flow(self, *, freq: str = "M", source: str = "auto", ax: Axes | None = None) -> Axes:
        """:func:`plot_stage_flow` of ``lookup.lead.stages(source=...)``."""
        stages = self._lookup.lead.stages(source=source)
        return plot_stage_flow(stages, freq=freq, ax=ax, definitions=self._definitions())

    def time_in_stage(self, *, source: str = "auto", ax: Axes | None = None) -> Axes:
        """:func:`plot_time_in_stage` of ``lookup.lead.stages(source=...)``."""
        stages = self._lookup.lead.stages(source=source)
        return plot_time_in_stage(stages, ax=ax, definitions=self._definitions())

    def conversion_by_source(
        self, stage: str = "customer", by: str = "hs_analytics_source", *, ax: Axes | None = None
    ) -> Axes:
        """:func:`plot_conversion_by_source` of ``lookup.lead.attribution(stage, by)``."""
        table = self._lookup.lead.attribution(stage, by)
        return plot_conversion_by_source(table, ax=ax, definitions=self._definitions())

    def cohorts(
        self,
        freq: str = "M",
        stage: str = "lead",
        *,
        days: Sequence[int] = (7, 30, 90),
        ax: Axes | None = None,
    ) -> Axes:
        """:func:`plot_cohorts` of ``lookup.lead.cohorts(freq, stage, days=...)``; monthly
        cohorts by default, as ``lead.cohorts``."""
        table = self._lookup.lead.cohorts(freq, stage, days=days)
        return plot_cohorts(table, ax=ax, definitions=self._definitions())
