"""Properties and history in one pyarrow pass give the frames of the per-column path.

When every property entry and version fits its columns, ``_entries_and_versions`` reads
the values and the whole history in one conversion; otherwise it declines and the
per-column path (which puts misfits and unknown keys in ``extra``) builds the frames.
Both must give the same rows, values and dtypes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from hubutk_pandas.frames.build import _Collector, _distinct, _ints, _properties_and_history
from hubutk_pandas.frames.columns import _entries_and_versions
from hubutk_pandas.sandbox import SandboxPortal
from tests.frames.conftest import Fetch

HISTORY = {"propertyMode": "value_and_history", "formSubmissionMode": "all"}


@pytest.fixture(autouse=True)
def _arrow_strings() -> Iterator[None]:
    """The one pass runs where pandas keeps strings in pyarrow (pandas 3's default)."""
    with pd.option_context("mode.string_storage", "pyarrow"):
        yield


def _both(recs: list[dict[str, Any]]) -> tuple[Any, Any]:
    collector = _Collector.of(_distinct(recs))
    vids, _ = _ints(collector.vids)
    return (
        _properties_and_history(collector, vids),
        _properties_and_history(collector, vids, one_pass=False),
    )


def _entries(recs: list[dict[str, Any]]) -> tuple[list[Any], set[str]]:
    entries = [e for r in recs for e in (r.get("properties") or {}).values()]
    return entries, set().union(*entries)


def _same(recs: list[dict[str, Any]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    (props, history), (props_slow, history_slow) = _both(recs)
    pd.testing.assert_frame_equal(props, props_slow, obj="properties")
    pd.testing.assert_frame_equal(history, history_slow, obj="history")
    return props, history


def test_sandbox_records_take_the_one_pass_and_match(portal: SandboxPortal, fetch: Fetch) -> None:
    utks = [*portal.sample_utks(30, "contact"), *portal.sample_utks(5, "merged"),
            *portal.sample_utks(5, "visitor")]  # fmt: skip
    recs = list(fetch(utks, **HISTORY).values())
    assert _entries_and_versions(*_entries(recs)) is not None
    props, history = _same(recs)
    assert len(history) > len(props) > 100
    assert history["source_vids"].notna().any()  # merged contacts' versions name their vids
    assert history["extra"].isna().all() and props["extra"].isna().all()


VERSION = {"value": "x", "source-type": "API", "source-id": None, "source-label": None,
           "timestamp": 1_700_000_000_123, "selected": False}  # fmt: skip


@pytest.mark.parametrize(
    "entry",
    [
        {"value": "x", "versions": [{**VERSION, "source-new": "Z"}]},  # an unknown key
        {"value": "x", "versions": [{**VERSION, "timestamp": "1700000000123"}]},  # as text
        {"value": "x", "versions": [{**VERSION, "timestamp": True}]},
        {"value": "x", "versions": [{**VERSION, "selected": "false"}]},
        {"value": "x", "versions": [{**VERSION, "source-vids": "7"}]},
        {"value": "x", "versions": [{**VERSION, "source-vids": [7, "eight"]}]},
        {"value": "x", "versions": ["not a dict"]},
        {"value": "x", "versions": [7]},
        {"value": "x", "versions": {"not": "a list"}},
        {"value": 5, "versions": [VERSION]},  # a number where a string belongs
        {"value": "x", "versions": [VERSION], "timestamp": 5},  # an unknown entry key
    ],
)
def test_what_does_not_fit_is_left_to_the_per_column_path(entry: dict[str, Any]) -> None:
    recs = [{"vid": 1, "properties": {"a": {"value": "a", "versions": [VERSION]}, "b": entry}}]
    assert _entries_and_versions(*_entries(recs)) is None
    props, history = _same(recs)
    unknown = set(entry) - {"value", "versions"} or {
        key for v in entry["versions"] if isinstance(v, dict) for key in v
    } - set(VERSION) - {"source-vids"}
    if unknown:  # an unknown key is kept in extra, never dropped
        kept = props["extra"].dropna().tolist() + history["extra"].dropna().tolist()
        assert any(key in text for text in kept for key in unknown)


def test_entries_without_versions_or_with_none_or_empty_ones_match() -> None:
    recs = [
        {"vid": 1, "properties": {"a": {"value": "a", "versions": [VERSION, VERSION]},
                                  "b": {"value": None, "versions": []},
                                  "c": {"value": "c", "versions": None},
                                  "d": {"value": "d"}}},
        {"vid": 2, "properties": {}},
        {"vid": 3, "properties": {"e": {"value": "e", "versions": [
            {**VERSION, "source-vids": [1, None], "updated-by-user-id": 42},
            {"value": None}]}}},
    ]  # fmt: skip
    assert _entries_and_versions(*_entries(recs)) is not None
    props, history = _same(recs)
    assert props["property"].tolist() == ["a", "b", "c", "d", "e"]
    assert history["property"].tolist() == ["a", "a", "e", "e"]
    assert history["vid"].tolist() == [1, 1, 3, 3]
    assert history["source_vids"].tolist()[2] == [1, None]
    assert history["updated_by_user_id"].tolist()[2:] == [42, pd.NA]
    assert history["timestamp"].tolist()[0] == pd.Timestamp(1_700_000_000_123, unit="ms", tz="UTC")


def test_python_strings_decline_the_one_pass() -> None:
    recs = [{"vid": 1, "properties": {"a": {"value": "a", "versions": [VERSION]}}}]
    with pd.option_context("mode.string_storage", "python"):
        assert _entries_and_versions(*_entries(recs)) is None
        _same(recs)
