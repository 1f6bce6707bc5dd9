"""funnel(): three ways to count, checked by hand, and against the sandbox's own data."""

from __future__ import annotations

import pandas as pd
import pytest

from hubutk_pandas.errors import InvalidOptionError
from hubutk_pandas.lead import ANY_FUNNEL_SCHEMA, FUNNEL_SCHEMA, funnel
from hubutk_pandas.result import LookupResult

NA = None


def _numbers(frame: pd.DataFrame, column: str) -> list[object]:
    return [None if pd.isna(v) else round(float(v), 4) for v in frame[column]]


def test_reached_counts_every_stage_up_to_the_furthest(hand_result: LookupResult) -> None:
    table = funnel(hand_result)
    assert table["stage"].tolist() == [
        "subscriber",
        "lead",
        "marketingqualifiedlead",
        "salesqualifiedlead",
        "opportunity",
        "customer",
        "evangelist",
    ]  # "other" stays out
    # furthest: vid 1 and 2 customer, vid 3 and 4 subscriber (vid 3's "other" is no step)
    assert table["reached"].tolist() == [4, 2, 2, 2, 2, 2, 0]
    assert _numbers(table, "conversion") == [NA, 0.5, 1.0, 1.0, 1.0, 1.0, 0.0]
    assert _numbers(table, "cumulative_conversion") == [1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.0]


def test_any_counts_each_stage_had(hand_result: LookupResult) -> None:
    table = funnel(hand_result, kind="any")
    assert table["reached"].tolist() == [3, 2, 2, 1, 1, 2, 0]  # customer > opportunity: skips
    # Not nested counts: the ratios are named as what they are, never "conversion" (200% here).
    assert table.columns.tolist() == list(ANY_FUNNEL_SCHEMA)
    assert "conversion" not in " ".join(table.columns)
    assert _numbers(table, "ratio_to_previous") == [NA, 0.6667, 1.0, 0.5, 1.0, 2.0, 0.0]
    assert _numbers(table, "ratio_to_first") == [1.0, 0.6667, 0.6667, 0.3333, 0.3333,
                                                 0.6667, 0.0]  # fmt: skip
    by = funnel(hand_result, kind="any", by="hs_analytics_source")
    assert by.columns.tolist()[1:] == list(ANY_FUNNEL_SCHEMA)
    for kind in ("reached", "all"):  # nested counts: conversions, never above 1
        table = funnel(hand_result, kind=kind)
        assert table.columns.tolist() == list(FUNNEL_SCHEMA)
        assert (table["conversion"].dropna() <= 1).all()


def test_all_drops_a_contact_after_a_skipped_stage(hand_result: LookupResult) -> None:
    table = funnel(hand_result, kind="all")
    # vid 2 never was a subscriber; vid 1 skipped SQL
    assert table["reached"].tolist() == [3, 1, 1, 0, 0, 0, 0]
    chosen = funnel(hand_result, kind="all", stages=["customer", "lead", "subscriber"])
    assert chosen["stage"].tolist() == ["subscriber", "lead", "customer"]  # the portal's order
    assert chosen["reached"].tolist() == [3, 1, 1]


def test_leaving_stages_out_does_not_change_the_others(hand_result: LookupResult) -> None:
    for kind in ("reached", "any"):
        full = funnel(hand_result, kind=kind, stages=[*funnel(hand_result)["stage"], "other"])
        full = full.set_index(full["stage"].astype(str))["reached"]
        for chosen in (["lead", "opportunity"], ["subscriber", "evangelist"], ["other"]):
            table = funnel(hand_result, kind=kind, stages=chosen)
            assert table["reached"].tolist() == full[chosen].tolist(), (kind, chosen)
    # "reached": vid 2 skipped opportunity on its way to customer, and still counts there
    assert funnel(hand_result, stages=["lead", "opportunity"])["reached"].tolist() == [2, 2]


def test_other_only_when_asked(hand_result: LookupResult) -> None:
    table = funnel(hand_result, stages=["subscriber", "lead", "other"])
    assert table["reached"].tolist() == [4, 2, 1]  # other: the contacts that had it


def test_by_gives_one_funnel_per_value(hand_result: LookupResult) -> None:
    table = funnel(hand_result, by="hs_analytics_source", stages=["subscriber", "lead", "customer"])
    assert table.columns.tolist() == ["hs_analytics_source", *FUNNEL_SCHEMA]
    got = {
        (None if pd.isna(k) else k): rows["reached"].tolist()
        for k, rows in table.groupby("hs_analytics_source", dropna=False, observed=True, sort=False)
    }
    assert got == {"ORGANIC_SEARCH": [2, 2, 2], "PAID_SEARCH": [1, 0, 0], None: [1, 0, 0]}
    assert table["hs_analytics_source"].iloc[0] == "ORGANIC_SEARCH"  # largest first


def test_empty_and_dtypes(hand_result: LookupResult) -> None:
    for table in (funnel(hand_result), funnel(LookupResult.from_records([]))):
        assert {c: str(t) for c, t in table.dtypes.items() if c != "stage"} == {
            c: t for c, t in FUNNEL_SCHEMA.items() if c != "stage"
        }
        assert table["stage"].cat.ordered
    assert funnel(LookupResult.from_records([]))["reached"].tolist() == [0] * 7


def test_errors_name_the_value_and_list_the_choices(hand_result: LookupResult) -> None:
    with pytest.raises(InvalidOptionError, match=r"kind='widest'.*'reached', 'any', 'all'"):
        funnel(hand_result, kind="widest")
    with pytest.raises(InvalidOptionError, match=r"'customr' is not a lifecycle stage.*'customer'"):
        funnel(hand_result, stages=["lead", "customr"])
    with pytest.raises(
        InvalidOptionError, match=r"unknown property 'hs_source'.*hs_analytics_source"
    ):
        funnel(hand_result, by="hs_source")


@pytest.mark.parametrize("kind", ["reached", "any", "all"])
def test_history_and_property_funnels_agree_on_the_sandbox(
    sandbox_pair: tuple[LookupResult, LookupResult], kind: str
) -> None:
    full, values = sandbox_pair
    from_history = funnel(full, kind=kind, source="history")
    assert from_history["reached"].iloc[0] > 100
    pd.testing.assert_frame_equal(from_history, funnel(full, kind=kind, source="property"))
    # the cheap value-only lookup gives the same funnel as the full history
    pd.testing.assert_frame_equal(from_history, funnel(values, kind=kind))


def test_the_demo_funnel_never_widens_and_the_kinds_differ(
    demo: tuple[pd.DataFrame, LookupResult],
) -> None:
    _visitors, result = demo
    reached = funnel(result)
    assert reached["reached"].is_monotonic_decreasing
    assert reached["reached"].iloc[0] > 1000 and reached["reached"].iloc[5] > 0  # customers
    pd.testing.assert_frame_equal(reached, funnel(result, source="property"))
    any_ = funnel(result, kind="any")["reached"]
    all_ = funnel(result, kind="all")["reached"]
    assert (all_ <= any_).all() and (any_ <= reached["reached"]).all()
    assert any_.iloc[0] < reached["reached"].iloc[0]  # many start as leads, skipping subscriber
    assert all_.iloc[3] < any_.iloc[3]  # skipped stages drop contacts from "all"
