"""Quick exploration plots of a lookup's frames (public face of :mod:`hubutk_pandas.explore`).

Each function takes the documented frames of a :class:`~hubutk_pandas.result.LookupResult`
(or the result itself), draws on a matplotlib ``Axes`` and returns it. matplotlib is
imported inside the functions, never at import time.

Examples
--------
>>> import pandas as pd
>>> from hubutk_pandas.plotting import plot_lifecycle_funnel
>>> wide = pd.DataFrame({"utk": ["a", "b", "c"], "vid": [1, 2, 3],
...                      "lifecyclestage": ["lead", "lead", "customer"]})
>>> plot_lifecycle_funnel(wide).get_title()
'Contacts per lifecycle stage (3 contacts)'
"""

from __future__ import annotations

from hubutk_pandas.explore.plots import (
    DEFAULT_LIFECYCLE_ORDER,
    LEGEND_CONTACTS,
    MAX_COHORTS,
    MAX_CONTACTS,
    MAX_SERIES,
    ResultPlotter,
    plot_cohorts,
    plot_conversion_by_source,
    plot_form_submissions,
    plot_funnel,
    plot_lifecycle_funnel,
    plot_property_timeline,
    plot_sources,
    plot_stage_flow,
    plot_time_in_stage,
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
    "plot_form_submissions",
    "plot_funnel",
    "plot_lifecycle_funnel",
    "plot_property_timeline",
    "plot_sources",
    "plot_stage_flow",
    "plot_time_in_stage",
]
