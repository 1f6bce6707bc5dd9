"""The sandbox's lead-intelligence properties: definitions, and consistency with each journey."""

from __future__ import annotations

import itertools
import random
from collections import Counter

from hubutk_pandas.sandbox import SandboxPortal
from hubutk_pandas.sandbox.data import SyntheticPortal
from hubutk_pandas.sandbox.lead_data import stage_properties
from hubutk_pandas.sandbox.people import make_person
from hubutk_pandas.sandbox.vocab import DAY_MS, LIFECYCLE_STAGES, REFERENCE_MS

from .helpers import PROPERTIES, get

STAGES = [value for value, _label in LIFECYCLE_STAGES]
ORDER = {stage: k for k, stage in enumerate(STAGES)}


def test_every_stage_has_its_four_definitions(portal: SandboxPortal) -> None:
    defs = {d["name"]: d for d in get(portal, PROPERTIES).json()}
    for stage in STAGES:  # "other" included
        became = defs[f"hs_lifecyclestage_{stage}_date"]
        assert (became["type"], became["fieldType"], became["groupName"]) == (
            "datetime",
            "date",
            "contactinformation",
        )
        for name in (f"hs_date_entered_{stage}", f"hs_date_exited_{stage}"):
            assert (defs[name]["type"], defs[name]["fieldType"]) == (
                "datetime",
                "calculation_read_time",
            )
        assert (defs[f"hs_time_in_{stage}"]["type"], defs[f"hs_time_in_{stage}"]["fieldType"]) == (
            "number",
            "calculation_read_time",
        )
    assert defs["hs_lifecyclestage_opportunity_date"]["label"] == "Became an Opportunity Date"
    assert defs["hs_lifecyclestage_other_date"]["label"] == "Became an Other Lifecycle Date"
    assert defs["hs_date_entered_lead"]["label"] == "Date entered 'Lead (Lifecycle Stage Pipeline)'"


def test_source_and_conversion_definitions(portal: SandboxPortal) -> None:
    defs = {d["name"]: d for d in get(portal, PROPERTIES).json()}
    latest, first = defs["hs_latest_source"], defs["hs_analytics_source"]
    assert (latest["type"], latest["fieldType"]) == ("enumeration", "select")
    assert latest["options"] == first["options"] and len(latest["options"]) == 9
    expected = {
        "hs_analytics_source_data_1": ("string", "text", "analyticsinformation"),
        "hs_analytics_source_data_2": ("string", "text", "analyticsinformation"),
        "hs_analytics_first_url": ("string", "text", "analyticsinformation"),
        "hs_analytics_last_url": ("string", "text", "analyticsinformation"),
        "hs_analytics_first_referrer": ("string", "text", "analyticsinformation"),
        "hs_analytics_last_referrer": ("string", "text", "analyticsinformation"),
        "hs_analytics_first_visit_timestamp": ("datetime", "date", "analyticsinformation"),
        "hs_analytics_last_visit_timestamp": ("datetime", "date", "analyticsinformation"),
        "first_conversion_event_name": ("string", "text", "contact_activity"),
        "recent_conversion_event_name": ("string", "text", "conversioninformation"),
        "num_conversion_events": ("number", "number", "conversioninformation"),
    }
    got = {n: (defs[n]["type"], defs[n]["fieldType"], defs[n]["groupName"]) for n in expected}
    assert got == expected


def _journeys(data: SyntheticPortal, n: int) -> list[tuple[int, dict]]:
    out = []
    for index in range(n):
        if data.kind(index) == "contact" and data.merged_partner(index) is None:
            rec = data.record(index, property_mode="value_and_history", form_submission_mode="all")
            out.append((index, rec))
    return out


def test_journeys_skip_end_in_other_and_move_backwards() -> None:
    data = SyntheticPortal(seed=0, contacts=3000, portal_id=1)
    shapes: Counter[str] = Counter()
    for _index, rec in _journeys(data, 3000):
        versions = rec["properties"]["lifecyclestage"]["versions"][::-1]
        path = [ORDER[v["value"]] for v in versions]
        if any(b < a for a, b in itertools.pairwise(path)):
            shapes["backwards"] += 1
        if any(b - a > 1 and b != 7 for a, b in itertools.pairwise(path)):
            shapes["skips"] += 1
        shapes["other"] += path[-1] == 7
    assert shapes["skips"] > 100 and shapes["backwards"] >= 5 and shapes["other"] >= 20


def test_stage_properties_follow_the_history() -> None:
    data = SyntheticPortal(seed=3, contacts=800, portal_id=1)
    for _index, rec in _journeys(data, 800):
        props = rec["properties"]
        versions = props["lifecyclestage"]["versions"][::-1]  # oldest first
        entries: dict[str, list[int]] = {}
        for v in versions:
            entries.setdefault(v["value"], []).append(v["timestamp"])
        for stage in STAGES:
            value = props.get(f"hs_lifecyclestage_{stage}_date", {}).get("value")
            if stage not in entries:  # a skipped stage has none of its properties
                assert value is None and f"hs_time_in_{stage}" not in props
                continue
            assert int(value) == entries[stage][0]  # "became a": the first entry
            assert int(props[f"hs_date_entered_{stage}"]["value"]) == entries[stage][-1]
            assert int(props[f"hs_time_in_{stage}"]["value"]) >= 0
        current = props["lifecyclestage"]["value"]
        assert f"hs_date_exited_{current}" not in props or len(entries[current]) > 1


def test_time_in_stage_counts_every_stay_up_to_now() -> None:
    versions = [
        {"value": "lead", "timestamp": 0},
        {"value": "customer", "timestamp": 2 * DAY_MS},
        {"value": "lead", "timestamp": 3 * DAY_MS},
    ]
    props = stage_properties(versions, now=10 * DAY_MS)
    assert props["hs_time_in_lead"][0]["value"] == str(9 * DAY_MS)  # 2 days, then 7 more
    assert props["hs_time_in_customer"][0]["value"] == str(DAY_MS)
    assert [v["value"] for v in props["hs_date_entered_lead"]] == [str(3 * DAY_MS), "0"]
    assert props["hs_lifecyclestage_lead_date"][0]["value"] == "0"
    assert "hs_date_exited_customer" in props and int(REFERENCE_MS) > 10 * DAY_MS


def test_conversions_and_sources_are_consistent() -> None:
    data = SyntheticPortal(seed=5, contacts=600, portal_id=1)
    sources: Counter[str] = Counter()
    for _index, rec in _journeys(data, 600):
        props = {k: v["value"] for k, v in rec["properties"].items()}
        forms = rec["form-submissions"]
        assert int(props["num_conversion_events"]) == len(forms)
        assert int(props["num_unique_conversion_events"]) == len({f["form-id"] for f in forms})
        if forms:
            assert int(props["first_conversion_date"]) == forms[-1]["timestamp"]
            assert int(props["recent_conversion_date"]) == forms[0]["timestamp"]
            assert props["recent_conversion_event_name"].endswith(forms[0]["title"])
        first = int(props["hs_analytics_first_visit_timestamp"])
        assert first == int(props["hs_analytics_first_timestamp"])
        assert first <= int(props["hs_analytics_last_visit_timestamp"])
        sources[props["hs_latest_source"] == props["hs_analytics_source"]] += 1
        if props["hs_analytics_source"] == "ORGANIC_SEARCH":
            assert props["hs_analytics_first_referrer"].startswith("https://www.")
        assert props["hs_analytics_last_url"].startswith("https://www.acme-analytics.example/")
    assert sources[True] > 100 and sources[False] > 50  # the latest source sometimes differs


def test_the_lead_rng_leaves_every_other_field_alone() -> None:
    """Drawing the lead part from its own RNG: another lead RNG changes nothing else."""
    forms = SyntheticPortal(seed=0, contacts=10, portal_id=1).forms
    lead_names = ("lifecyclestage", "lastmodifieddate", "hs_lifecyclestage_", "hs_date_",
                  "hs_time_in_", "hs_latest_", "hs_analytics_source_data", "hs_analytics_last",
                  "hs_analytics_first_referrer", "hs_analytics_first_visit")  # fmt: skip
    for index in range(60):
        a = make_person(random.Random(f"p{index}"), index, forms, random.Random(1))
        b = make_person(random.Random(f"p{index}"), index, forms, random.Random(2))
        assert (a.first, a.email, a.created, a.forms, a.lists) == (
            b.first,
            b.email,
            b.created,
            b.forms,
            b.lists,
        )
        keep = [n for n in a.props if not n.startswith(lead_names)]
        assert {n: a.props[n] for n in keep} == {n: b.props[n] for n in keep}
