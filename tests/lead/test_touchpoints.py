"""touchpoints(): the analyst's own visits before each contact's first conversion."""

from __future__ import annotations

import pandas as pd
import pytest

from hubutk_pandas.errors import InvalidOptionError
from hubutk_pandas.lead import PAGES_SCHEMA, TOUCHPOINTS_SCHEMA, touchpoints
from hubutk_pandas.result import LookupResult

from .handmade import day


@pytest.fixture
def visits() -> pd.DataFrame:
    rows = [
        ("u1", "2024-01-01T00:00:00Z", "/"),
        (" u1 ", "2024-01-02T12:00:00Z", "/demo"),  # padded: matched as the lookup cleans it
        ("u1", "2024-01-02T00:00:00Z", "/pricing"),
        ("u1", "2024-01-03T00:00:00Z", "/pricing"),
        ("u1", "2024-01-05T00:00:00Z", "/docs"),  # after converting on d3
        ("u2", "2024-01-01T00:00:00Z", "/pricing"),  # never converted
        ("zz", "2024-01-01T00:00:00Z", "/"),  # not a contact of the lookup
        ("", "2024-01-01T00:00:00Z", "/"),
        ("u2", "", "/"),  # no time: left out
    ]
    return pd.DataFrame(rows, columns=["utk", "seen", "url"])


def test_per_contact_by_hand(hand_result: LookupResult, visits: pd.DataFrame) -> None:
    before = visits.copy()
    tp = touchpoints(visits, hand_result, at="seen", page="url")
    pd.testing.assert_frame_equal(visits, before)  # not modified
    contacts = tp.contacts.set_index("vid")
    assert tp.contacts.columns.tolist() == list(TOUCHPOINTS_SCHEMA)
    assert {c: str(t) for c, t in tp.contacts.dtypes.items()} == TOUCHPOINTS_SCHEMA
    assert contacts.index.tolist() == [1, 2]
    one = contacts.loc[1]
    # the first form (d3) is earlier than first_conversion_date (d5)
    assert one["first_conversion_at"] == day(3)
    assert (one["visits"], one["visits_before"], one["pages_before"]) == (5, 4, 3)
    assert one["time_to_convert"] == pd.Timedelta(days=3)
    two = contacts.loc[2]
    assert two["visits"] == 1 and pd.isna(two["first_conversion_at"])
    assert pd.isna(two["visits_before"]) and pd.isna(two["time_to_convert"])


def test_pages_seen_before_converting(hand_result: LookupResult, visits: pd.DataFrame) -> None:
    pages = touchpoints(visits, hand_result, at="seen", page="url").pages
    assert {c: str(t) for c, t in pages.dtypes.items()} == PAGES_SCHEMA
    assert pages["page"].tolist() == ["/pricing", "/", "/demo"]
    assert pages["views"].tolist() == [2, 1, 1]
    assert pages["share"].tolist() == [1.0, 1.0, 1.0]
    assert pages["lift"].tolist() == [1.0, 2.0, 2.0]  # both contacts saw /pricing (u2: untimed /)


def test_datetimes_work_like_text(hand_result: LookupResult, visits: pd.DataFrame) -> None:
    typed = visits.assign(seen=pd.to_datetime(visits["seen"].replace("", None), utc=True))
    a = touchpoints(typed, hand_result, at="seen", page="url")
    b = touchpoints(visits, hand_result, at="seen", page="url")
    pd.testing.assert_frame_equal(a.contacts, b.contacts)
    assert "2 contacts with visits, 1 converted; 3 pages" in repr(a)


def test_bad_input(hand_result: LookupResult, visits: pd.DataFrame) -> None:
    with pytest.raises(InvalidOptionError, match=r"lacks the column.*'when'.*utk, seen, url"):
        touchpoints(visits, hand_result, at="when", page="url")
    bad = visits.assign(seen=visits["seen"].replace("2024-01-05T00:00:00Z", "yesterday"))
    with pytest.raises(InvalidOptionError, match=r"visits\['seen'\] has 1 value.*'yesterday'"):
        touchpoints(bad, hand_result, at="seen", page="url")
    none = touchpoints(visits.iloc[0:0], hand_result, at="seen", page="url")
    assert none.contacts.empty and none.pages.empty
    for frame, schema in ((none.contacts, TOUCHPOINTS_SCHEMA), (none.pages, PAGES_SCHEMA)):
        want = {k: str(pd.Series([], dtype=v).dtype) for k, v in schema.items()}
        assert {k: str(v) for k, v in frame.dtypes.items()} == want


def test_the_demo_visits_lean_to_pricing_before_converting(
    demo: tuple[pd.DataFrame, LookupResult],
) -> None:
    visitors, result = demo
    tp = touchpoints(visitors, result, at="visited_at", page="page")
    assert tp.pages["page"].iloc[0] == "/pricing" and tp.pages["lift"].iloc[0] > 1.3
    assert tp.contacts["visits_before"].sum() > 200
