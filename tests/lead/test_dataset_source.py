"""The lead analytics on a LookupDataset: equal to the in-memory result, reading what they need."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from hubutk_pandas import (
    HubSpotClient,
    InvalidOptionError,
    LookupDataset,
    LookupOptions,
    LookupResult,
)
from hubutk_pandas.lead import (
    KINDS,
    LeadAnalytics,
    attribution,
    cohorts,
    funnel,
    stages,
    time_to_stage,
    time_to_stage_summary,
    touchpoints,
)
from hubutk_pandas.lookup import lookup_to_dataset
from hubutk_pandas.sandbox import SandboxPortal

Pair = tuple[LookupResult, LookupDataset]
MODES = {
    "history": {"property_mode": "value_and_history", "form_submission_mode": "all"},
    "values": {"property_mode": "value_only"},
}


class CountingDataset(LookupDataset):
    """A dataset that records what each ``to_pandas`` call asked for and how many rows came."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.reads: list[tuple[str, list[str] | None, Any, int]] = []

    def to_pandas(self, name: str, columns: Any = None, filters: Any = None) -> pd.DataFrame:
        frame = super().to_pandas(name, columns=columns, filters=filters)
        self.reads.append((name, None if columns is None else list(columns), filters, len(frame)))
        return frame


@pytest.fixture(scope="module", params=list(MODES))
def pair(
    request: pytest.FixtureRequest, portal: SandboxPortal, tmp_path_factory: pytest.TempPathFactory
) -> Pair:
    """400 sandbox contacts, merged, anonymous and deleted ones, looked up in memory and
    streamed to a dataset in parts of 90 utks."""
    options = MODES[request.param]
    utks = portal.sample_utks(400)
    others = [portal.sample_utks(15, kind=k) for k in ("merged", "visitor", "deleted")]
    utks = [*utks[:200], *others[0], *utks[200:], *others[1], *others[2], *utks[:5]]
    out = tmp_path_factory.mktemp(f"lead-{request.param}") / "ds"
    with HubSpotClient(portal.access_token, base_url=portal.base_url, cache=False) as client:
        result = client.lookup_utks(utks, progress=False, **options)
        result.definitions()  # fetched while the client is open
        ds = lookup_to_dataset(
            client.fetcher, utks, out, LookupOptions(**options), progress=False, chunk_size=90
        )
    assert isinstance(ds, LookupDataset) and ds.complete and len(ds.files("contacts")) > 2
    return result, CountingDataset(ds.path)


def same(call: Callable[[Any], Any], pair: Pair) -> Any:
    """``call`` on the result and on the dataset: equal frames (values, dtypes, attrs)."""
    result, ds = pair
    expected, got = call(result), call(ds)
    pdt.assert_frame_equal(got, expected)
    assert got.attrs == expected.attrs
    return got


@pytest.mark.parametrize("source", ["auto", "history", "property"])
def test_stages(pair: Pair, source: str) -> None:
    got = same(lambda r: stages(r, source=source), pair)
    assert len(got) > 100 or (source == "history" and pair[0].history.empty)


@pytest.mark.parametrize("kind", KINDS)
def test_funnel(pair: Pair, kind: str) -> None:
    got = same(lambda r: funnel(r, kind=kind), pair)
    assert got["reached"].iloc[0] > 0
    same(lambda r: funnel(r, "hs_analytics_source", kind, stages=["lead", "customer"]), pair)


def test_funnel_by_a_typed_property(pair: Pair) -> None:
    got = same(lambda r: funnel(r, by="hubspotscore", kind="all"), pair)
    assert str(got["hubspotscore"].dtype) == str(pair[0].wide(["hubspotscore"]).dtypes.iloc[-1])


def test_time_to_stage_and_summary(pair: Pair) -> None:
    got = same(lambda r: time_to_stage(r, "lead", "customer"), pair)
    assert len(got) > 0
    same(lambda r: time_to_stage_summary(r, "subscriber", "opportunity"), pair)
    same(lambda r: time_to_stage_summary(r, "lead", "customer", by="hs_latest_source"), pair)


def test_attribution(pair: Pair) -> None:
    got = same(attribution, pair)
    assert got["reached"].sum() > 0
    same(lambda r: attribution(r, "lead", "hs_latest_source", source="property"), pair)


@pytest.mark.parametrize("freq", ["M", "Q"])
def test_cohorts(pair: Pair, freq: str) -> None:
    got = same(lambda r: cohorts(r, freq, "customer", days=[30, 365]), pair)
    assert got["contacts"].sum() > 0
    same(lambda r: cohorts(r, freq, as_of="2030-01-01"), pair)


def test_touchpoints(pair: Pair) -> None:
    result, ds = pair
    rng = np.random.default_rng(7)
    utks = result.contacts["utk"].dropna().unique()
    n = 3000
    created = result.wide(["createdate"])["createdate"].dropna()
    start = created.min().value // 10**6
    span = (created.max().value // 10**6) - start
    visits = pd.DataFrame(
        {
            "utk": rng.choice(np.append(utks, "nobody"), n),
            "at": pd.to_datetime(start + rng.integers(0, span, n), unit="ms", utc=True),
            "page": rng.choice(["/", "/pricing", "/docs", "/blog"], n),
        }
    )
    expected = touchpoints(visits, result, at="at", page="page")
    got = touchpoints(visits, ds, at="at", page="page")
    pdt.assert_frame_equal(got.contacts, expected.contacts)
    pdt.assert_frame_equal(got.pages, expected.pages)
    assert got.contacts["first_conversion_at"].notna().any() and len(got.pages) == 4


def test_ds_lead_is_the_namespace(pair: Pair) -> None:
    result, ds = pair
    assert isinstance(ds.lead, LeadAnalytics)
    pdt.assert_frame_equal(ds.lead.funnel(kind="any"), result.lead.funnel(kind="any"))
    pdt.assert_frame_equal(ds.lead.stages(), result.lead.stages())


def test_bad_input_gives_the_same_errors(pair: Pair) -> None:
    result, ds = pair
    calls: list[Callable[[Any], Any]] = [
        lambda r: funnel(r, kind="widest"),
        lambda r: funnel(r, by="no_such_property"),
        lambda r: funnel(r, stages=["lead", "prospect"]),
        lambda r: stages(r, source="crm"),
        lambda r: time_to_stage(r, "lead", "lead"),
        lambda r: attribution(r, "client"),
        lambda r: cohorts(r, "fortnight"),
        lambda r: cohorts(r, days=[-1]),
        lambda r: touchpoints(pd.DataFrame({"utk": []}), r, at="at", page="page"),
    ]
    for call in calls:
        with pytest.raises(InvalidOptionError) as on_result:
            call(result)
        with pytest.raises(InvalidOptionError) as on_dataset:
            call(ds)
        assert str(on_dataset.value) == str(on_result.value)
    with pytest.raises(InvalidOptionError, match=r"take a LookupResult.*LookupDataset.*Path"):
        funnel(ds.path)  # type: ignore[arg-type]


def test_only_the_needed_rows_and_columns_are_read(pair: Pair) -> None:
    """The filters and projections run in the Parquet reader: never a whole frame in memory."""
    _, ds = pair
    ds.reads.clear()
    funnel(ds, by="hs_analytics_source")
    attribution(ds)
    cohorts(ds)
    touchpoints(
        pd.DataFrame({"utk": ["x"], "at": ["2024-01-01"], "p": ["/"]}), ds, at="at", page="p"
    )
    assert ds.reads and all(columns is not None for _, columns, _, _ in ds.reads)
    read = {name for name, *_ in ds.reads}
    assert read <= {"contacts", "history", "properties", "form_submissions"}
    for name, columns, filters, rows in ds.reads:
        if name in ("history", "properties"):
            assert filters is not None and set(columns) <= {"vid", "property", "value", "timestamp"}
            assert rows < ds.counts[name] or ds.counts[name] == 0
        if name == "contacts":
            assert set(columns) <= {"utk", "vid", "is_contact", "is_deleted"}
    history = [rows for name, _, _, rows in ds.reads if name == "history"]
    stage_rows = ds.sql("select count(*) n from history where property = 'lifecyclestage'")
    assert set(history) <= {int(stage_rows["n"].iloc[0])}
    props = sum(rows for name, _, _, rows in ds.reads if name == "properties")
    assert props < ds.counts["properties"] / 3
