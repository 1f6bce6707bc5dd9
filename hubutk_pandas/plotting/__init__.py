"""Quick exploration plots of a lookup: its frames, its typed ``wide()``, its lead analytics.

Each function takes the documented frames of a lookup (or the lookup itself: a
:class:`~hubutk_pandas.LookupResult` or a :class:`~hubutk_pandas.LookupDataset`), draws on
a matplotlib ``Axes`` and returns it. matplotlib is imported inside the functions, never at
import time. ``result.plot`` and ``ds.plot`` are :class:`ResultPlotter`: the same plots with
the lookup bound, written against :class:`~hubutk_pandas.face.LookupFace`, so this package
imports nothing of the result or the dataset (they import it, when ``.plot`` is read).

The work lives in the modules of this package: the plots over time in
:mod:`~hubutk_pandas.plotting.time_plots`, the counts of contacts in
:mod:`~hubutk_pandas.plotting.count_plots`, the lead plots in
:mod:`~hubutk_pandas.plotting.lead_plots`, :class:`ResultPlotter` in
:mod:`~hubutk_pandas.plotting.plotter`; import them from here.

The true funnel (contacts that *reached* each stage) is :func:`plot_funnel`;
:func:`plot_current_stages` counts contacts at the stage they are in now
(``plot_lifecycle_funnel``, its old name, is deprecated).

Examples
--------
>>> import pandas as pd
>>> from hubutk_pandas.plotting import plot_current_stages
>>> wide = pd.DataFrame({"utk": ["a", "b", "c"], "vid": [1, 2, 3],
...                      "lifecyclestage": ["lead", "lead", "customer"]})
>>> plot_current_stages(wide).get_title()
'Contacts per current lifecycle stage (3 contacts)'
"""

from __future__ import annotations

from hubutk_pandas.plotting.count_plots import (
    DEFAULT_LIFECYCLE_ORDER,
    plot_current_stages,
    plot_lifecycle_funnel,
    plot_sources,
)
from hubutk_pandas.plotting.lead_plots import (
    MAX_COHORTS,
    plot_cohorts,
    plot_conversion_by_source,
    plot_funnel,
    plot_stage_flow,
    plot_time_in_stage,
)
from hubutk_pandas.plotting.plotter import ResultPlotter
from hubutk_pandas.plotting.time_plots import (
    LEGEND_CONTACTS,
    MAX_CONTACTS,
    MAX_SERIES,
    plot_form_submissions,
    plot_property_timeline,
)

__all__ = [
    "DEFAULT_LIFECYCLE_ORDER",
    "LEGEND_CONTACTS",
    "MAX_COHORTS",
    "MAX_CONTACTS",
    "MAX_SERIES",
    "ResultPlotter",
    "plot_cohorts",
    "plot_conversion_by_source",
    "plot_current_stages",
    "plot_form_submissions",
    "plot_funnel",
    "plot_lifecycle_funnel",
    "plot_property_timeline",
    "plot_sources",
    "plot_stage_flow",
    "plot_time_in_stage",
]
