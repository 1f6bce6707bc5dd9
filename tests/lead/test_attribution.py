"""attribution(): contacts, conversions and time to convert per source."""

from __future__ import annotations

import pandas as pd
import pytest

from hubutk_pandas.errors import InvalidOptionError
from hubutk_pandas.lead import ATTRIBUTION_SCHEMA, attribution, funnel
from hubutk_pandas.result import LookupResult


def test_first_touch_by_hand(hand_result: LookupResult) -> None:
    table = attribution(hand_result)
    assert table.columns.tolist() == ["hs_analytics_source", *ATTRIBUTION_SCHEMA]
    assert table["hs_analytics_source"].tolist()[:2] == ["ORGANIC_SEARCH", "PAID_SEARCH"]
    assert pd.isna(table["hs_analytics_source"].iloc[2])
    assert table["contacts"].tolist() == [2, 1, 1]  # the visitor (vid 5) is no contact
    assert table["reached"].tolist() == [2, 0, 0]
    assert table["conversion"].tolist() == [1.0, 0.0, 0.0]
    # vid 1: d0 → d15, vid 2: d1 → d20 (its first entry; the re-entry at d40 does not count)
    assert table["median_time"].iloc[0] == pd.Timedelta(days=17)
    assert table["median_time"].iloc[1:].isna().all()
    assert table["median_days"].iloc[0] == 17.0 and table["median_days"].iloc[1:].isna().all()
    assert isinstance(table["hs_analytics_source"].dtype, pd.CategoricalDtype)


def test_a_skipped_stage_is_reached_by_a_later_one(hand_result: LookupResult) -> None:
    table = attribution(hand_result, stage="salesqualifiedlead")
    organic = table[table["hs_analytics_source"] == "ORGANIC_SEARCH"].iloc[0]
    assert organic["reached"] == 2  # vid 1 skipped SQL but became a customer on d15
    assert organic["median_time"] == pd.Timedelta(days=9)  # (15 + 3) / 2


def test_empty_and_errors(hand_result: LookupResult) -> None:
    empty = attribution(LookupResult.from_records([]), by="hs_analytics_source")
    assert empty.empty and empty.columns.tolist() == ["hs_analytics_source", *ATTRIBUTION_SCHEMA]
    assert {c: str(t) for c, t in empty.dtypes.items() if c in ATTRIBUTION_SCHEMA} == (
        ATTRIBUTION_SCHEMA
    )
    with pytest.raises(InvalidOptionError, match=r"unknown property 'source'"):
        attribution(hand_result, by="source")
    with pytest.raises(InvalidOptionError, match=r"'client' is not a lifecycle stage"):
        attribution(hand_result, stage="client")


@pytest.mark.parametrize("by", ["hs_analytics_source", "hs_latest_source"])
def test_reached_agrees_with_the_funnel_per_source(
    sandbox_pair: tuple[LookupResult, LookupResult], by: str
) -> None:
    full, _values = sandbox_pair
    table = attribution(full, stage="opportunity", by=by).set_index(by)
    per_source = funnel(full, by=by)
    opportunity = per_source[per_source["stage"] == "opportunity"].set_index(by)["reached"]
    assert table["reached"].sum() > 20
    assert (table["reached"] == opportunity.reindex(table.index).fillna(0)).all()
    assert table["contacts"].sum() == full.contacts.query("is_contact")["vid"].nunique()
