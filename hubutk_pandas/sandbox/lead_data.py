"""Lead intelligence of one synthetic person: its lifecycle journey and the properties it implies.

:func:`make_person` (``people.py``) draws a forward progression of lifecycle stages;
:func:`reshape_journey` makes it realistic with a *separate* RNG (so no other field of the
person changes): some contacts skip a stage, and a few move backwards, as a CRM sync or an
import makes real portals do (some then move forward again). Contacts that end in
``other`` come from ``people.py``.

:func:`stage_properties` derives, for every stage the contact entered, the properties
real portals carry, consistent with that journey:

- ``hs_lifecyclestage_<stage>_date`` ("Became a … date"): the **first** entry into the
  stage. It is kept when the contact later leaves the stage or re-enters it, so after a
  backwards move it can disagree with the latest entry;
- ``hs_date_entered_<stage>`` / ``hs_date_exited_<stage>``: the latest entry and the latest
  exit (an exit only once the contact left the stage);
- ``hs_time_in_<stage>``: milliseconds spent in the stage over all its stays, the current
  stay counted up to the sandbox's fixed "now" (:data:`~vocab.REFERENCE_MS`), as HubSpot
  computes it at read time.

A stage the contact skipped has none of these. :func:`analytics_properties` and
:func:`conversion_properties` add the source drill-downs, first/last pages and referrers,
session times, the latest source, and the conversion counters, from the same person.

Examples
--------
>>> from hubutk_pandas.sandbox.versions import version
>>> day = vocab.DAY_MS
>>> journey = [version("lead", "FORM", 0), version("customer", "INTEGRATION", 3 * day),
...            version("lead", "IMPORT", 5 * day)]
>>> props = stage_properties(journey, now=9 * day)
>>> [props["hs_time_in_lead"][0]["value"], props["hs_lifecyclestage_lead_date"][0]["value"]]
['604800000', '0']
>>> props["hs_date_entered_lead"][0]["value"], props["hs_date_exited_customer"][0]["value"]
('432000000', '432000000')
"""

from __future__ import annotations

import random
from typing import Any

from hubutk_pandas.sandbox import lead_vocab as lv
from hubutk_pandas.sandbox import vocab
from hubutk_pandas.sandbox.versions import version
from hubutk_pandas.sandbox.vocab import DAY_MS, REFERENCE_MS

__all__ = [
    "BACKWARD_CHANCE",
    "SKIP_CHANCE",
    "analytics_properties",
    "conversion_properties",
    "reshape_journey",
    "stage_properties",
]

#: Chance that a middle stage (MQL, SQL, opportunity) of a journey is skipped.
SKIP_CHANCE = 0.15
#: Chance that a contact at SQL or beyond is moved back to lead or MQL by a sync or import.
BACKWARD_CHANCE = 0.06
_SKIPPABLE = frozenset(("marketingqualifiedlead", "salesqualifiedlead", "opportunity"))
_ORDER = {value: k for k, (value, _label) in enumerate(vocab.LIFECYCLE_STAGES)}
_BACK_SOURCES = (
    ("INTEGRATION", "salesforce", "Salesforce"),
    ("IMPORT", "import-2207", "CRM clean-up import"),
)


def reshape_journey(lc: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    """Skip some middle stages and move a few contacts backwards; versions oldest first."""
    out = [lc[0]]
    out += [v for v in lc[1:-1] if not (v["value"] in _SKIPPABLE and rng.random() < SKIP_CHANCE)]
    if len(lc) > 1:
        out.append(lc[-1])
    last = out[-1]
    furthest = _ORDER[last["value"]]
    if not (3 <= furthest <= 6 and rng.random() < BACKWARD_CHANCE):
        return out
    if last["timestamp"] + 3 * DAY_MS >= REFERENCE_MS:
        return out
    back_at = rng.randrange(last["timestamp"] + DAY_MS, REFERENCE_MS - DAY_MS)
    stype, sid, label = rng.choice(_BACK_SOURCES)
    back = rng.choice(("lead", "marketingqualifiedlead"))
    out.append(version(back, stype, back_at, source_id=sid, source_label=label))
    if rng.random() < 0.4:  # a sales rep puts it right again
        again_at = rng.randrange(back_at + DAY_MS // 2, REFERENCE_MS)
        out.append(
            version(
                last["value"],
                "CONTACTS_WEB",
                again_at,
                source_id="ben@acme-analytics.example",
                extra={"updated-by-user-id": 9_100_002},
            )
        )
    return out


def _calculated(value: int, timestamp: int) -> dict[str, Any]:
    return version(str(value), "CALCULATED", timestamp)


def stage_properties(
    journey: list[dict[str, Any]], *, now: int = REFERENCE_MS
) -> dict[str, list[dict[str, Any]]]:
    """The date and time-in-stage properties of a journey (versions oldest first in).

    Returns property name → versions, newest first; only stages the journey entered.
    """
    stays: list[list[Any]] = []  # [stage, entered, exited | None]
    for v in journey:
        if stays and stays[-1][0] == v["value"]:
            continue  # the same stage set again: not a new stay
        if stays:
            stays[-1][2] = v["timestamp"]
        stays.append([v["value"], v["timestamp"], None])
    props: dict[str, list[dict[str, Any]]] = {}
    for stage in dict.fromkeys(s[0] for s in stays):
        mine = [s for s in stays if s[0] == stage]
        entries = [s[1] for s in mine]
        exits = [s[2] for s in mine if s[2] is not None]
        props[f"hs_lifecyclestage_{stage}_date"] = [_calculated(entries[0], entries[0])]
        props[f"hs_date_entered_{stage}"] = [_calculated(t, t) for t in entries[::-1]]
        if exits:
            props[f"hs_date_exited_{stage}"] = [_calculated(t, t) for t in exits[::-1]]
        # a contact created in the last day may have stage changes stamped after "now"
        spent = sum(max(0, (s[2] if s[2] is not None else now) - s[1]) for s in mine)
        props[f"hs_time_in_{stage}"] = [_calculated(spent, max(entries + exits))]
    return props


def _drill_down(rng: random.Random, source: str, url: str) -> tuple[str | None, str | None, str]:
    """``(data_1, data_2, referrer)`` of a visit from ``source`` landing on ``url``."""
    if source in ("ORGANIC_SEARCH", "PAID_SEARCH"):
        engine = rng.choice(lv.SEARCH_ENGINES)
        second = rng.choice(lv.SEARCH_KEYWORDS if source == "ORGANIC_SEARCH" else lv.CAMPAIGNS)
        return engine, second, f"https://www.{engine}.com/"
    if source in ("SOCIAL_MEDIA", "PAID_SOCIAL"):
        network = rng.choice(lv.SOCIAL_NETWORKS)
        campaign = rng.choice(lv.CAMPAIGNS) if source == "PAID_SOCIAL" else None
        return network, campaign, f"https://www.{network.lower()}.com/"
    if source == "REFERRALS":
        site = rng.choice(lv.REFERRING_SITES)
        return site.split("/")[2], site, site
    if source == "EMAIL_MARKETING":
        return rng.choice(lv.EMAILS), None, ""
    if source == "OTHER_CAMPAIGNS":
        return rng.choice(lv.CAMPAIGNS), None, ""
    if source == "OFFLINE":
        first, second = rng.choice(lv.IMPORTS)
        return first, second or None, ""
    return url, None, ""  # DIRECT_TRAFFIC: the page typed in or bookmarked


def analytics_properties(
    rng: random.Random, source: str, first_seen: int, first_url: str, visit_times: list[int]
) -> dict[str, list[dict[str, Any]]]:
    """Original and latest source with drill-downs, first/last pages, referrers, sessions."""
    props: dict[str, list[dict[str, Any]]] = {}

    def put(name: str, value: str | None, ts: int) -> None:
        if value:
            props[name] = [version(value, "ANALYTICS", ts)]

    data_1, data_2, referrer = _drill_down(rng, source, first_url)
    put("hs_analytics_source_data_1", data_1, first_seen)
    put("hs_analytics_source_data_2", data_2, first_seen)
    put("hs_analytics_first_referrer", referrer, first_seen)
    put("hs_analytics_first_visit_timestamp", str(first_seen), first_seen)
    last_visit = max(visit_times[-1], first_seen)
    weights = [w for *_, w in vocab.ANALYTICS_SOURCES]
    if rng.random() < 0.55:
        latest = (source, data_1, data_2, referrer)
        last_url = first_url
    else:
        latest_source = rng.choices(vocab.ANALYTICS_SOURCES, weights)[0][0]
        last_url = vocab.SITE + rng.choice(lv.SITE_PAGES)
        latest = (latest_source, *_drill_down(rng, latest_source, last_url))
    put("hs_latest_source", latest[0], last_visit)
    put("hs_latest_source_data_1", latest[1], last_visit)
    put("hs_latest_source_data_2", latest[2], last_visit)
    put("hs_analytics_last_referrer", latest[3], last_visit)
    put("hs_analytics_last_url", last_url, last_visit)
    put("hs_analytics_last_visit_timestamp", str(last_visit), last_visit)
    last_seen = last_visit + rng.randrange(0, 1_800_000)
    put("hs_analytics_last_timestamp", str(last_seen), last_seen)
    return props


def _event_name(sub: dict[str, Any]) -> str:
    return f"{sub['page-title']}: {sub['title']}"


def conversion_properties(
    forms: list[dict[str, Any]], created: int
) -> dict[str, list[dict[str, Any]]]:
    """First/recent conversion and the counters, from form submissions (newest first)."""
    if not forms:
        return {
            "num_conversion_events": [version("0", "CALCULATED", created)],
            "num_unique_conversion_events": [version("0", "CALCULATED", created)],
        }
    oldest_first = forms[::-1]
    first = oldest_first[0]
    seen: set[str] = set()
    unique = []
    for sub in oldest_first:
        seen.add(sub["form-id"])
        unique.append(len(seen))
    return {
        "first_conversion_event_name": [version(_event_name(first), "FORM", first["timestamp"])],
        "first_conversion_date": [_calculated(first["timestamp"], first["timestamp"])],
        "recent_conversion_event_name": [
            version(_event_name(s), "FORM", s["timestamp"]) for s in forms
        ],
        "recent_conversion_date": [_calculated(s["timestamp"], s["timestamp"]) for s in forms],
        "num_conversion_events": [
            _calculated(n, s["timestamp"]) for n, s in enumerate(oldest_first, 1)
        ][::-1],
        "num_unique_conversion_events": [
            _calculated(n, s["timestamp"]) for n, s in zip(unique, oldest_first, strict=True)
        ][::-1],
    }
