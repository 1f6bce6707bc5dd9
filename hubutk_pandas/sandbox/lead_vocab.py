"""Vocabulary of the lead-intelligence properties: site pages, source drill-downs, definitions.

Constant data only; :mod:`~hubutk_pandas.sandbox.lead_data` draws from it and
:func:`hubutk_pandas.sandbox.vocab.property_definitions` serves the definitions. The
labels, types, field types and groups are copied from a real portal's
``/properties/v1/contacts/properties`` answer.

Examples
--------
>>> rows = lead_property_rows((("lead", "Lead"), ("other", "Other")), ())
>>> for name, label, *_ in rows[:2] + rows[4:5]:
...     print(name, "|", label)
hs_lifecyclestage_lead_date | Became a Lead Date
hs_date_entered_lead | Date entered 'Lead (Lifecycle Stage Pipeline)'
hs_lifecyclestage_other_date | Became an Other Lifecycle Date
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CAMPAIGNS",
    "EMAILS",
    "IMPORTS",
    "REFERRING_SITES",
    "SEARCH_ENGINES",
    "SEARCH_KEYWORDS",
    "SITE_PAGES",
    "SOCIAL_NETWORKS",
    "lead_property_rows",
]

#: Pages of the synthetic company's site (the demo visitors file uses the same paths).
SITE_PAGES = (
    "/",
    "/pricing",
    "/blog/utm-guide",
    "/blog/lead-scoring",
    "/docs/api",
    "/demo",
    "/contact",
    "/careers",
    "/product/analytics",
    "/webinar/2025-q2",
)
SEARCH_ENGINES = ("google", "bing", "duckduckgo", "ecosia")
SEARCH_KEYWORDS = (
    "unknown keywords (ssl)",
    "hubspot utk pandas",
    "lead scoring template",
    "marketing analytics tool",
    "utm parameters guide",
    "acme analytics pricing",
)
SOCIAL_NETWORKS = ("LinkedIn", "Twitter", "Facebook", "YouTube")
REFERRING_SITES = (
    "https://news.ycombinator.com/item?id=41234567",
    "https://www.g2.example/products/acme-analytics/reviews",
    "https://medium.example/@ana/pandas-for-marketers",
    "https://partner.bluefjord.example/tools",
)
CAMPAIGNS = ("brand-2025", "spring-launch", "webinar-q2", "retargeting")
EMAILS = ("May newsletter", "Benchmark report follow-up", "Trial nurture #2", "Webinar invite")
#: (hs_analytics_source_data_1, data_2) of OFFLINE contacts: how they got into HubSpot.
IMPORTS = (("IMPORT", "Trade show leads 2025.csv"), ("CRM_UI", ""), ("API", "private-app-4211"))

_CI, _CONV = "contactinformation", "conversioninformation"
_DT, _READ = "datetime", "calculation_read_time"
Row = tuple[str, str, str, str, str, Any, bool, bool]
#: (name, label, type, fieldType) of the analytics properties (group analyticsinformation).
_ANALYTICS = (
    ("hs_analytics_source_data_1", "Original Source Drill-Down 1", "string", "text"),
    ("hs_analytics_source_data_2", "Original Source Drill-Down 2", "string", "text"),
    ("hs_latest_source", "Latest Source", "enumeration", "select"),
    ("hs_latest_source_data_1", "Latest Source Drill-Down 1", "string", "text"),
    ("hs_latest_source_data_2", "Latest Source Drill-Down 2", "string", "text"),
    ("hs_analytics_last_url", "Last Page Seen", "string", "text"),
    ("hs_analytics_first_referrer", "First Referring Site", "string", "text"),
    ("hs_analytics_last_referrer", "Last Referring Site", "string", "text"),
    ("hs_analytics_first_visit_timestamp", "Time of First Session", _DT, "date"),
    ("hs_analytics_last_visit_timestamp", "Time of Last Session", _DT, "date"),
    ("hs_analytics_last_timestamp", "Time Last Seen", _DT, "date"),
)
#: (name, label, groupName, type, fieldType) of the conversion properties.
_CONVERSIONS = (
    ("first_conversion_event_name", "First Conversion", "contact_activity", "string", "text"),
    ("first_conversion_date", "First Conversion Date", "contact_activity", _DT, "date"),
    ("recent_conversion_event_name", "Recent Conversion", _CONV, "string", "text"),
    ("recent_conversion_date", "Recent Conversion Date", _CONV, _DT, "date"),
    ("num_conversion_events", "Number of Form Submissions", _CONV, "number",
     "number"),
    ("num_unique_conversion_events", "Number of Unique Forms Submitted", _CONV,
     "number", "number"),
)  # fmt: skip


def _became(label: str) -> str:
    if label == "Other":
        return "Became an Other Lifecycle Date"
    article = "an" if label[0] in "AEIOU" else "a"
    return f"Became {article} {label} Date"


def lead_property_rows(
    stages: tuple[tuple[str, str], ...], sources: tuple[tuple[str, str], ...]
) -> list[Row]:
    """The definitions' rows, in ``vocab``'s ``_PROPERTIES`` format.

    ``(name, label, groupName, type, fieldType, options, calculated, hubspotDefined)``;
    ``stages`` are the lifecycle stages' ``(value, label)`` and ``sources`` the
    analytics sources' ``(value, label)`` (the options of ``hs_latest_source``). Every
    stage has its four properties, ``other`` included.
    """
    rows: list[Row] = []
    for value, label in stages:
        pipeline = f"'{label} (Lifecycle Stage Pipeline)'"
        for name, text, typ, field in (
            (f"hs_lifecyclestage_{value}_date", _became(label), _DT, "date"),
            (f"hs_date_entered_{value}", f"Date entered {pipeline}", _DT, _READ),
            (f"hs_date_exited_{value}", f"Date exited {pipeline}", _DT, _READ),
            (f"hs_time_in_{value}", f"Time in {pipeline}", "number", _READ),
        ):
            rows.append((name, text, _CI, typ, field, (), True, True))
    for name, label, typ, field in _ANALYTICS:
        options = sources if typ == "enumeration" else ()
        rows.append((name, label, "analyticsinformation", typ, field, options, True, True))
    for name, label, group, typ, field in _CONVERSIONS:
        rows.append((name, label, group, typ, field, (), True, True))
    return rows
