"""Quick exploration plots of a lookup's frames.

Each function takes the documented frames of a :class:`~hubutk_pandas.result.LookupResult`
(or the result itself), draws on a matplotlib ``Axes`` and returns it, with a title and
axis labels. An empty input draws an explanatory empty plot instead of raising, so a
notebook cell never fails just because a lookup found nothing.

This module is the public face: the plots over time live in :mod:`hubutk_pandas.explore.time_plots`,
the counts of contacts in :mod:`hubutk_pandas.explore.count_plots`, and :class:`ResultPlotter`
(``result.plot``) here. matplotlib is imported inside the functions, never at module import
time, so ``import hubutk_pandas`` stays light.

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
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from hubutk_pandas.errors import HubSpotError
from hubutk_pandas.explore.count_plots import (
    DEFAULT_LIFECYCLE_ORDER,
    plot_lifecycle_funnel,
    plot_sources,
)
from hubutk_pandas.explore.lead_plots import (
    MAX_COHORTS,
    plot_cohorts,
    plot_conversion_by_source,
    plot_funnel,
    plot_stage_flow,
    plot_time_in_stage,
)
from hubutk_pandas.explore.time_plots import (
    LEGEND_CONTACTS,
    MAX_CONTACTS,
    MAX_SERIES,
    plot_form_submissions,
    plot_property_timeline,
)
from hubutk_pandas.frames.dtypes import to_category

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes

    from hubutk_pandas.result import LookupResult

__all__ = [
    "DEFAULT_LIFECYCLE_ORDER",
    "LEGEND_CONTACTS",
    "MAX_COHORTS",
    "MAX_CONTACTS",
    "MAX_SERIES",
    "ResultPlotter",
    "plot_cohorts",
    "plot_conversion_by_source",
    "plot_form_submissions",
    "plot_funnel",
    "plot_lifecycle_funnel",
    "plot_property_timeline",
    "plot_sources",
    "plot_stage_flow",
    "plot_time_in_stage",
]

logger = logging.getLogger(__name__)


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
        return (
            "<ResultPlotter: timeline, form_submissions, sources, lifecycle_funnel, funnel, "
            "stage_flow, time_in_stage, conversion_by_source, cohorts>"
        )

    def _option_order(self, property: str) -> list[str] | None:
        """An enumeration's option values in displayOrder, from the portal's definitions.

        The order ``wide()`` gives the property's categories (:func:`dtypes.to_category`),
        so the timeline's y axis reads like the wide column.
        """
        try:
            definitions = self._result.definitions()
        except HubSpotError as exc:  # ordering is a nicety; plot in time order instead
            logger.info("no property definitions for ordering %s: %s", property, exc)
            return None
        for definition in definitions or ():
            if definition.get("name") == property and definition.get("options"):
                no_values = pd.Series([], dtype="string")
                categories = to_category(no_values, definition)[0].cat.categories
                return [str(c) for c in categories]
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

    # ----- lead analytics (hubutk_pandas.lead, through result.lead) ---------------------------

    def funnel(
        self,
        kind: str = "reached",
        *,
        stages: Sequence[str] | None = None,
        source: str = "auto",
        ax: Axes | None = None,
    ) -> Axes:
        """:func:`plot_funnel` of ``result.lead.funnel(kind=..., stages=..., source=...)``."""
        table = self._result.lead.funnel(kind=kind, stages=stages, source=source)
        return plot_funnel(table, ax=ax)

    def stage_flow(self, *, freq: str = "M", source: str = "auto", ax: Axes | None = None) -> Axes:
        """:func:`plot_stage_flow` of ``result.lead.stages(source=...)``."""
        return plot_stage_flow(self._result.lead.stages(source=source), freq=freq, ax=ax)

    def time_in_stage(self, *, source: str = "auto", ax: Axes | None = None) -> Axes:
        """:func:`plot_time_in_stage` of ``result.lead.stages(source=...)``."""
        return plot_time_in_stage(self._result.lead.stages(source=source), ax=ax)

    def conversion_by_source(
        self, stage: str = "customer", by: str = "hs_analytics_source", *, ax: Axes | None = None
    ) -> Axes:
        """:func:`plot_conversion_by_source` of ``result.lead.attribution(stage, by)``."""
        return plot_conversion_by_source(self._result.lead.attribution(stage, by), ax=ax)

    def cohorts(
        self,
        freq: str = "Q",
        stage: str = "lead",
        *,
        days: Sequence[int] = (7, 30, 90),
        ax: Axes | None = None,
    ) -> Axes:
        """:func:`plot_cohorts` of ``result.lead.cohorts(freq, stage, days=...)``."""
        return plot_cohorts(self._result.lead.cohorts(freq, stage, days=days), ax=ax)
