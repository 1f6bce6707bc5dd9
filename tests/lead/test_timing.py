"""time_to_stage, its summary, and cohorts: by hand, and against the sandbox's hs_time_in_*."""

from __future__ import annotations

import pandas as pd
import pytest

from hubutk_pandas.errors import InvalidOptionError
from hubutk_pandas.frames.dtypes import to_datetime
from hubutk_pandas.lead import (
    SUMMARY_SCHEMA,
    TIME_TO_STAGE_SCHEMA,
    cohorts,
    cohorts_schema,
    stages,
    time_to_stage,
    time_to_stage_summary,
)
from hubutk_pandas.result import LookupResult

from .handmade import day


def test_time_to_stage_by_hand(hand_result: LookupResult) -> None:
    times = time_to_stage(hand_result, "lead", "customer")
    assert times.columns.tolist() == list(TIME_TO_STAGE_SCHEMA)
    assert times["vid"].tolist() == [1, 2]
    assert times["start_at"].tolist() == [day(2), day(1)]
    assert times["end_at"].tolist() == [day(15), day(20)]  # vid 2: the first entry, not d40
    assert times["duration"].dt.days.tolist() == [13, 19]
    backwards = time_to_stage(hand_result, "customer", "lead")
    assert backwards["vid"].tolist() == [2] and backwards["duration"].dt.days.tolist() == [10]


def test_summary_by_hand(hand_result: LookupResult) -> None:
    summary = time_to_stage_summary(hand_result, "lead", "customer")
    assert summary.columns.tolist() == list(SUMMARY_SCHEMA)
    row = summary.iloc[0]
    assert row["contacts"] == 2
    assert (row["median"], row["p75"], row["p90"]) == (
        pd.Timedelta(days=16),
        pd.Timedelta(days=17.5),
        pd.Timedelta("18 days 09:36:00"),  # 13 + 0.9 × 6 days
    )
    # The same in days, as floats (it printed "18 days 09:36:00", converted by hand)
    assert (row["median_days"], row["p75_days"], row["p90_days"]) == (16.0, 17.5, 18.4)
    by = time_to_stage_summary(hand_result, "subscriber", "lead", by="hs_analytics_source")
    assert by["hs_analytics_source"].tolist() == ["ORGANIC_SEARCH"]
    assert by["median"].tolist() == [pd.Timedelta(days=2)]


def test_empty_frames_keep_their_dtypes(hand_result: LookupResult) -> None:
    none = time_to_stage(hand_result, "evangelist", "other")
    assert none.empty and {c: str(t) for c, t in none.dtypes.items()} == TIME_TO_STAGE_SCHEMA
    summary = time_to_stage_summary(hand_result, "evangelist", "other")
    assert {c: str(t) for c, t in summary.dtypes.items()} == SUMMARY_SCHEMA
    assert summary["contacts"].tolist() == [0] and summary["median"].isna().all()
    assert summary["median_days"].isna().all()


def test_time_to_stage_errors(hand_result: LookupResult) -> None:
    with pytest.raises(InvalidOptionError, match=r"'mql' is not a lifecycle stage.*'lead'"):
        time_to_stage(hand_result, "mql", "customer")
    with pytest.raises(InvalidOptionError, match=r"two different stages"):
        time_to_stage(hand_result, "lead", "lead")


def test_cohorts_by_hand(hand_result: LookupResult) -> None:
    table = cohorts(hand_result, freq="M", stage="lead")
    assert table.columns.tolist() == list(cohorts_schema((7, 30, 90)))
    assert table["cohort"].astype(str).tolist() == ["2024-01"]
    assert table[["contacts", "reached"]].iloc[0].tolist() == [4, 2]
    assert table["within_7d"].tolist() == [0.5]
    # the data ends on d40 (Feb 10): too early to tell 30 days after the end of January
    assert table["within_30d"].isna().all() and table["within_90d"].isna().all()
    later = cohorts(hand_result, stage="customer", days=[7, 30], as_of="2024-06-01")
    assert later[["within_7d", "within_30d"]].iloc[0].tolist() == [0.0, 0.5]
    assert str(later["cohort"].dtype) == "period[M]"


def test_cohorts_errors_and_empty(hand_result: LookupResult) -> None:
    with pytest.raises(InvalidOptionError, match=r"freq='fortnight'"):
        cohorts(hand_result, freq="fortnight")
    with pytest.raises(InvalidOptionError, match=r"days"):
        cohorts(hand_result, days=[-1])
    empty = cohorts(LookupResult.from_records([]), freq="Q")
    assert empty.empty and str(empty["cohort"].dtype) == "period[Q-DEC]"
    want = {
        k: str(pd.Series([], dtype=v).dtype) for k, v in cohorts_schema([7, 30, 90], "Q").items()
    }
    assert {k: str(v) for k, v in empty.dtypes.items()} == want


def _property_ms(result: LookupResult, name: str) -> pd.Series:
    props = result.properties
    rows = props[props["property"] == name]
    return pd.Series(
        pd.to_numeric(rows["value"]).astype("int64").to_numpy(), index=rows["vid"].to_numpy()
    )


def _property_time(result: LookupResult, name: str) -> pd.Series:
    props = result.properties
    rows = props[props["property"] == name].reset_index(drop=True)
    return pd.Series(to_datetime(rows["value"])[0].to_numpy(), index=rows["vid"].to_numpy())


@pytest.mark.parametrize(
    ("start", "end"),
    [("subscriber", "lead"), ("lead", "marketingqualifiedlead"), ("opportunity", "customer")],
)
def test_time_to_stage_is_the_sandbox_time_in_stage(
    sandbox_pair: tuple[LookupResult, LookupResult], start: str, end: str
) -> None:
    """For a stay ended by the next stage, time_to_stage equals HubSpot's hs_time_in_<stage>."""
    full, _values = sandbox_pair
    journey = stages(full)
    nxt = journey.groupby("vid")["stage"].shift(-1)
    once = journey.groupby(["vid", "stage"], observed=True)["stage"].transform("size") == 1
    direct = journey[(journey["stage"] == start) & (nxt == end) & once]
    times = time_to_stage(full, start, end).set_index("vid")
    spent = _property_ms(full, f"hs_time_in_{start}")
    assert len(direct) >= 5
    for vid in direct["vid"]:
        assert times.loc[vid, "duration"] == pd.Timedelta(milliseconds=int(spent[vid]))


def test_stays_match_the_sandbox_entered_exited_and_time_in(
    sandbox_pair: tuple[LookupResult, LookupResult],
) -> None:
    full, _values = sandbox_pair
    journey = stages(full)
    checked = 0
    for stage in journey["stage"].cat.categories:
        rows = journey[journey["stage"] == stage]
        if rows.empty:
            continue
        entered = _property_time(full, f"hs_date_entered_{stage}")
        became = _property_time(full, f"hs_lifecyclestage_{stage}_date")
        latest = rows.groupby("vid")["entered_at"].max()
        first = rows.groupby("vid")["entered_at"].min()
        assert (latest == entered.reindex(latest.index)).all()  # the latest entry
        assert (first == became.reindex(first.index)).all()  # "became a": the first entry
        done = rows.dropna(subset=["exited_at"])
        if len(done):
            exited = _property_time(full, f"hs_date_exited_{stage}")
            assert (done.groupby("vid")["exited_at"].max() == exited.reindex(
                done["vid"].unique())).all()  # fmt: skip
            spent = _property_ms(full, f"hs_time_in_{stage}")
            total = rows[rows["vid"].isin(done["vid"])].groupby("vid")["duration"].sum()
            closed = rows.groupby("vid")["exited_at"].apply(lambda s: s.notna().all())
            total = total[closed.reindex(total.index)]
            assert (total == pd.to_timedelta(spent.reindex(total.index), unit="ms")).all()
            checked += len(total)
    assert checked > 300
