"""``result.lead`` and ``ds.lead``: the lead analytics with a lookup's result or dataset bound.

Examples
--------
>>> from hubutk_pandas.result import LookupResult
>>> record = {"vid": 1, "properties": {"hs_lifecyclestage_lead_date": {"value": "0"}}}
>>> result = LookupResult.from_records([("u1", record)])
>>> result.lead
<LeadAnalytics: stages, funnel, time_to_stage, time_to_stage_summary, attribution, cohorts, \
touchpoints>
>>> result.lead.stages()["stage"].tolist()
['lead']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from hubutk_pandas.lead.attribution import attribution
from hubutk_pandas.lead.funnel import funnel
from hubutk_pandas.lead.stages import stages
from hubutk_pandas.lead.timing import cohorts, time_to_stage, time_to_stage_summary
from hubutk_pandas.lead.touchpoints import Touchpoints, touchpoints

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hubutk_pandas.lead._source import Lookup

__all__ = ["LeadAnalytics"]

_NAMES = (
    "stages",
    "funnel",
    "time_to_stage",
    "time_to_stage_summary",
    "attribution",
    "cohorts",
    "touchpoints",
)


class LeadAnalytics:
    """``result.lead`` / ``ds.lead``: each function of :mod:`hubutk_pandas.lead`, bound.

    Parameters
    ----------
    result
        The :class:`~hubutk_pandas.result.LookupResult` or
        :class:`~hubutk_pandas.dataset.LookupDataset` to analyse.
    """

    def __init__(self, result: Lookup) -> None:
        self._result = result

    def __repr__(self) -> str:
        return f"<LeadAnalytics: {', '.join(_NAMES)}>"

    def stages(self, *, source: str = "auto") -> pd.DataFrame:
        """:func:`hubutk_pandas.lead.stages` of this result."""
        return stages(self._result, source=source)

    def funnel(
        self,
        by: str | None = None,
        kind: str = "reached",
        *,
        stages: Sequence[str] | None = None,
        source: str = "auto",
    ) -> pd.DataFrame:
        """:func:`hubutk_pandas.lead.funnel` of this result."""
        return funnel(self._result, by, kind, stages=stages, source=source)

    def time_to_stage(self, start: str, end: str, *, source: str = "auto") -> pd.DataFrame:
        """:func:`hubutk_pandas.lead.time_to_stage` of this result."""
        return time_to_stage(self._result, start, end, source=source)

    def time_to_stage_summary(
        self, start: str, end: str, *, by: str | None = None, source: str = "auto"
    ) -> pd.DataFrame:
        """:func:`hubutk_pandas.lead.time_to_stage_summary` of this result."""
        return time_to_stage_summary(self._result, start, end, by=by, source=source)

    def attribution(
        self, stage: str = "customer", by: str = "hs_analytics_source", *, source: str = "auto"
    ) -> pd.DataFrame:
        """:func:`hubutk_pandas.lead.attribution` of this result."""
        return attribution(self._result, stage, by, source=source)

    def cohorts(
        self,
        freq: str = "M",
        stage: str = "lead",
        *,
        days: Sequence[int] = (7, 30, 90),
        as_of: pd.Timestamp | str | None = None,
        source: str = "auto",
    ) -> pd.DataFrame:
        """:func:`hubutk_pandas.lead.cohorts` of this result."""
        return cohorts(self._result, freq, stage, days=days, as_of=as_of, source=source)

    def touchpoints(
        self, visits: pd.DataFrame, utk: str = "utk", *, at: str, page: str
    ) -> Touchpoints:
        """:func:`hubutk_pandas.lead.touchpoints` of ``visits`` and this result."""
        return touchpoints(visits, self._result, utk, at=at, page=page)
