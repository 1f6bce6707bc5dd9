"""A small hand-written portal for the lead analytics: contacts few enough to count by hand.

The tests state the expected numbers. Day ``d`` is ``T0 + d`` days.

=====  ==========================================================================  ========
vid    lifecycle journey (history)                                                 source
=====  ==========================================================================  ========
1      subscriber d0 → lead d2 → MQL d5 → customer d15 (skips SQL, opportunity)    ORGANIC
2      lead d1 → MQL d3 → SQL d4 → opportunity d10 → customer d20 → lead d30       ORGANIC
       (moved backwards by an import) → customer d40 (put right again)
3      subscriber d0 → other d9                                                    PAID
4      subscriber d2                                                               (none)
5      an anonymous visitor (``is-contact: false``), no stage                      ORGANIC
=====  ==========================================================================  ========

"Became a … date" properties hold each stage's first entry; ``createdate`` is the
first entry. vid 1 converted (first form) on d3 and has ``first_conversion_date`` d5.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from hubutk_pandas.result import LookupResult
from hubutk_pandas.sandbox.vocab import property_definitions

T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z
DAY = 86_400_000
VISITORS = Path(__file__).resolve().parents[2] / "notebooks" / "data" / "visitors.csv"

JOURNEYS: dict[int, list[tuple[str, int]]] = {
    1: [("subscriber", 0), ("lead", 2), ("marketingqualifiedlead", 5), ("customer", 15)],
    2: [
        ("lead", 1),
        ("marketingqualifiedlead", 3),
        ("salesqualifiedlead", 4),
        ("opportunity", 10),
        ("customer", 20),
        ("lead", 30),
        ("customer", 40),
    ],
    3: [("subscriber", 0), ("other", 9)],
    4: [("subscriber", 2)],
}
SOURCES = {1: "ORGANIC_SEARCH", 2: "ORGANIC_SEARCH", 3: "PAID_SEARCH", 5: "ORGANIC_SEARCH"}


def day(d: float) -> pd.Timestamp:
    """Day ``d`` of the fixture as a UTC timestamp."""
    return pd.Timestamp(T0 + int(d * DAY), unit="ms", tz="UTC")


def _prop(versions: list[tuple[str, int]], history: bool) -> dict[str, Any]:
    newest_first = [
        {"value": v, "source-type": "API", "timestamp": t, "selected": False}
        for v, t in reversed(versions)
    ]
    out: dict[str, Any] = {"value": newest_first[0]["value"]}
    if history:
        out["versions"] = newest_first
    return out


def hand_record(vid: int, *, history: bool) -> dict[str, Any]:
    """The record of one hand-written contact, with or without property history."""
    props: dict[str, Any] = {}
    journey = [(stage, T0 + d * DAY) for stage, d in JOURNEYS.get(vid, [])]
    if journey:
        props["lifecyclestage"] = _prop(journey, history)
        props["createdate"] = _prop([(str(journey[0][1]), journey[0][1])], history)
        for stage, t in journey:
            name = f"hs_lifecyclestage_{stage}_date"
            props.setdefault(name, _prop([(str(t), t)], history))
    if vid in SOURCES:
        props["hs_analytics_source"] = _prop([(SOURCES[vid], T0)], history)
    record: dict[str, Any] = {"vid": vid, "is-contact": vid != 5, "properties": props}
    if vid == 1:
        props["first_conversion_date"] = _prop([(str(T0 + 5 * DAY), T0 + 5 * DAY)], history)
        record["form-submissions"] = [
            {"conversion-id": "c2", "timestamp": T0 + 8 * DAY, "form-id": "f1", "title": "Demo"},
            {"conversion-id": "c1", "timestamp": T0 + 3 * DAY, "form-id": "f1", "title": "Demo"},
        ]
    return record


def hand(history: bool = True) -> LookupResult:
    """The hand-written result (with history by default), typed by the sandbox's definitions."""
    definitions = property_definitions()
    return LookupResult.from_records(
        [(f"u{vid}", hand_record(vid, history=history)) for vid in (1, 2, 3, 4, 5)],
        definitions=lambda: definitions,
    )
