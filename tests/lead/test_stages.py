"""stages(): each contact's journey from the history or from the "Became a … date" properties."""

from __future__ import annotations

import pandas as pd
import pytest

from hubutk_pandas.errors import InvalidOptionError
from hubutk_pandas.lead import STAGES_SCHEMA, stages
from hubutk_pandas.result import LookupResult
from hubutk_pandas.sandbox.vocab import LIFECYCLE_STAGES

from .handmade import day

ORDER = [value for value, _label in LIFECYCLE_STAGES]


def _rows(frame: pd.DataFrame, vid: int) -> list[tuple[str, pd.Timestamp, object]]:
    one = frame[frame["vid"] == vid]
    return list(zip(one["stage"].astype(str), one["entered_at"], one["exited_at"], strict=True))


def test_history_has_every_entry_with_exits_and_durations(hand_result: LookupResult) -> None:
    journey = stages(hand_result)
    assert journey.columns.tolist() == list(STAGES_SCHEMA)
    assert set(journey["source"]) == {"history"}
    assert _rows(journey, 2) == [
        ("lead", day(1), day(3)),
        ("marketingqualifiedlead", day(3), day(4)),
        ("salesqualifiedlead", day(4), day(10)),
        ("opportunity", day(10), day(20)),
        ("customer", day(20), day(30)),
        ("lead", day(30), day(40)),  # moved backwards, then put right again
        ("customer", day(40), pd.NaT),
    ]
    durations = journey.loc[journey["vid"] == 2, "duration"].dt.days.tolist()
    assert durations[:6] == [2, 1, 6, 10, 10, 10] and pd.isna(durations[6])
    assert journey["vid"].tolist() == [1] * 4 + [2] * 7 + [3] * 2 + [4]  # visitor 5: no stage


def test_properties_give_first_entries_only(hand_values: LookupResult) -> None:
    journey = stages(hand_values)
    assert set(journey["source"]) == {"property"}
    assert _rows(journey, 2) == [
        ("lead", day(1), day(3)),
        ("marketingqualifiedlead", day(3), day(4)),
        ("salesqualifiedlead", day(4), day(10)),
        ("opportunity", day(10), day(20)),
        ("customer", day(20), pd.NaT),  # the backwards move is not in the dates
    ]
    assert _rows(journey, 1) == _rows(stages(hand_values, source="property"), 1)
    assert stages(hand_values, source="history").empty


def test_auto_takes_history_per_contact_and_properties_for_the_rest(
    hand_result: LookupResult,
) -> None:
    dates_only = ("x", {"vid": 9, "properties": {"hs_lifecyclestage_lead_date": {"value": "0"}}})
    only_dates = LookupResult.from_records([dates_only])
    both = LookupResult.from_records(
        [*zip(hand_result.contacts["utk"], _records(hand_result), strict=True), dates_only]
    )
    journey = stages(both)
    assert journey.groupby("vid")["source"].first().to_dict() == {
        1: "history",
        2: "history",
        3: "history",
        4: "history",
        9: "property",
    }
    assert stages(only_dates)["stage"].tolist() == ["lead"]


def _records(result: LookupResult) -> list[dict[str, object]]:
    from .handmade import hand_record

    return [hand_record(int(v), history=True) for v in result.contacts["vid"]]


def test_dtypes_also_when_empty(hand_result: LookupResult) -> None:
    for frame in (stages(hand_result), stages(LookupResult.from_records([]))):
        assert {c: str(t) for c, t in frame.dtypes.items() if c != "stage"} == {
            c: t for c, t in STAGES_SCHEMA.items() if c != "stage"
        }
        assert isinstance(frame["stage"].dtype, pd.CategoricalDtype)
        assert frame["stage"].cat.ordered


def test_stage_order_comes_from_the_definitions() -> None:
    reversed_options = [
        {"value": v, "label": v, "displayOrder": len(ORDER) - k} for k, v in enumerate(ORDER)
    ]
    definitions = [{"name": "lifecyclestage", "type": "enumeration", "fieldType": "radio",
                    "options": reversed_options}]  # fmt: skip
    record = {"vid": 1, "properties": {"lifecyclestage": {"value": "lead"}}}
    result = LookupResult.from_records([("u", record)], definitions=lambda: definitions)
    assert stages(result)["stage"].cat.categories.tolist() == ORDER[::-1]


def test_a_custom_or_cleared_stage() -> None:
    versions = [  # newest first, as HubSpot sends them
        {"value": "partner", "timestamp": 3 * 86_400_000, "source-type": "API"},
        {"value": "", "timestamp": 2 * 86_400_000, "source-type": "API"},
        {"value": "lead", "timestamp": 0, "source-type": "API"},
    ]
    record = {
        "vid": 1,
        "properties": {"lifecyclestage": {"value": "partner", "versions": versions}},
    }
    journey = stages(LookupResult.from_records([("u", record)]))
    assert journey["stage"].cat.categories.tolist() == [*ORDER, "partner"]
    assert journey["stage"].tolist() == ["lead", "partner"]
    assert journey["duration"].dt.days.tolist()[0] == 2  # cleared on day 2: the stay ends


def test_bad_arguments_raise_clear_errors(hand_result: LookupResult) -> None:
    with pytest.raises(InvalidOptionError, match=r"source='both'.*'auto', 'history', 'property'"):
        stages(hand_result, source="both")
    with pytest.raises(InvalidOptionError, match=r"take a LookupResult.*DataFrame"):
        stages(pd.DataFrame({"vid": [1]}))  # type: ignore[arg-type]
