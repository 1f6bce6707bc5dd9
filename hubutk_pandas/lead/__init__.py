"""Lead intelligence from a lookup: lifecycle journeys, a true funnel, time to stage, attribution.

Each function takes a :class:`~hubutk_pandas.result.LookupResult` or a
:class:`~hubutk_pandas.dataset.LookupDataset` (``lookup_utks(..., out=...)``) and is also
reachable as ``result.lead.<name>(...)`` / ``ds.lead.<name>(...)``. They read the lookup
only, never the network, and return frames with documented columns and dtypes, also when
empty; a dataset gives the same frames as the same lookup in memory.

- :func:`stages`: one row per contact and stage entered (from the history, or from the
  "Became a … date" properties of a value-only lookup);
- :func:`funnel`: contacts per stage, ``kind="reached"`` / ``"any"`` / ``"all"``, with
  next-step and cumulative conversion, optionally per property value (``by=``);
- :func:`time_to_stage` and :func:`time_to_stage_summary`: how long from one stage to another;
- :func:`attribution`: contacts, conversions and time to convert per source;
- :func:`cohorts`: contacts by creation period, share reaching a stage within N days;
- :func:`touchpoints`: the analyst's own visits before each contact's first conversion.

Memory is bounded by what an analysis needs, not by the lookup. The functions never read a
whole frame: they ask for the ``lifecyclestage`` versions of ``history``, a few properties
of ``properties`` by name (the "Became a … date" ones, ``createdate``,
``first_conversion_date``), a few columns of ``contacts`` and ``form_submissions``, and
``wide()`` of the ``by=`` property (see :mod:`hubutk_pandas.lead._source`). On a dataset
those filters and projections run in the Parquet reader, part file by part file, the
distinct stage values and property names are computed in DuckDB and ``wide()`` pivots in
DuckDB; what reaches pandas is about one row per contact and stage entered. The journeys
and counts are then computed in memory with pandas, as for a result.

Examples
--------
>>> result = df.hubspot.lookup_utks(client=client, progress=False)
>>> result.lead.funnel().columns.tolist()
['stage', 'reached', 'conversion', 'cumulative_conversion']

The same lookup streamed to disk gives the same funnel:

>>> import tempfile
>>> ds = df.hubspot.lookup_utks(client=client, progress=False, out=tempfile.mkdtemp())
>>> funnel(ds).equals(result.lead.funnel())
True
"""

from __future__ import annotations

from hubutk_pandas.lead._base import DEFAULT_STAGES
from hubutk_pandas.lead.attribution import ATTRIBUTION_SCHEMA, attribution
from hubutk_pandas.lead.funnel import ANY_FUNNEL_SCHEMA, FUNNEL_SCHEMA, KINDS, funnel
from hubutk_pandas.lead.namespace import LeadAnalytics
from hubutk_pandas.lead.stages import STAGES_SCHEMA, stages
from hubutk_pandas.lead.timing import (
    SUMMARY_SCHEMA,
    TIME_TO_STAGE_SCHEMA,
    cohorts,
    cohorts_schema,
    time_to_stage,
    time_to_stage_summary,
)
from hubutk_pandas.lead.touchpoints import (
    PAGES_SCHEMA,
    TOUCHPOINTS_SCHEMA,
    Touchpoints,
    touchpoints,
)

__all__ = [
    "ANY_FUNNEL_SCHEMA",
    "ATTRIBUTION_SCHEMA",
    "DEFAULT_STAGES",
    "FUNNEL_SCHEMA",
    "KINDS",
    "PAGES_SCHEMA",
    "STAGES_SCHEMA",
    "SUMMARY_SCHEMA",
    "TIME_TO_STAGE_SCHEMA",
    "TOUCHPOINTS_SCHEMA",
    "LeadAnalytics",
    "Touchpoints",
    "attribution",
    "cohorts",
    "cohorts_schema",
    "funnel",
    "stages",
    "time_to_stage",
    "time_to_stage_summary",
    "touchpoints",
]
