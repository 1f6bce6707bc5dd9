"""Streaming a lookup to a dataset: equal to the in-memory result, incremental, safe to reuse."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pandas.testing as pdt
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest

from hubutk_pandas import (
    DatasetError,
    HubSpotClient,
    InvalidOptionError,
    LookupDataset,
    LookupOptions,
    open_dataset,
)
from hubutk_pandas.dataset.layout import arrow_schema
from hubutk_pandas.frames import FRAME_NAMES
from hubutk_pandas.lookup import lookup_to_dataset
from hubutk_pandas.sandbox import SandboxPortal
from tests.dataset.helpers import FULL, FULL_OPTIONS, assert_same_frames, mixed_utks, tree_bytes


@pytest.mark.slow
def test_a_streamed_lookup_equals_the_in_memory_result_frame_for_frame(
    client: HubSpotClient, portal: SandboxPortal, tmp_path: Path
) -> None:
    utks = mixed_utks(portal, 2500)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        expected = client.lookup_utks(utks, **FULL)
        ds = lookup_to_dataset(client.fetcher, utks, tmp_path / "ds", FULL_OPTIONS, progress=False,
                               chunk_size=300)  # fmt: skip
    assert [str(w.message).split(" ")[0] for w in caught] == ["1", "1"]  # one invalid each
    assert "dataset's missing frame" in str(caught[1].message)
    assert isinstance(ds, LookupDataset) and ds.complete and ds.pending == 0
    assert_same_frames(expected, ds)
    assert all(len(ds.to_pandas(n)) for n in FRAME_NAMES if n != "list_memberships")
    # A contact reached by utks in different chunks (parts) has one set of rows.
    shared = ds.sql("select vid from contacts group by vid having count(distinct filename) > 1")
    assert len(shared) > 0
    assert ds.sql("select count(*) n from (select distinct vid, property from properties)")[
        "n"
    ].iloc[0] == len(ds.to_pandas("properties"))
    with pytest.warns(UserWarning, match=r"annualrevenue \(\d+\)") as both:
        pdt.assert_frame_equal(ds.wide(), expected.wide())
    assert len(both) == 2 and str(both[0].message) == str(both[1].message)
    picked = ["lifecyclestage", "hubspotscore", "createdate", "vid"]
    pdt.assert_frame_equal(ds.wide(picked), expected.wide(picked))
    result = ds.to_result()
    for name in FRAME_NAMES:
        pdt.assert_frame_equal(result.frames[name], expected.frames[name])
    assert repr(result) == repr(expected)


def test_the_client_and_the_accessors_take_out(
    client: HubSpotClient, portal: SandboxPortal, tmp_path: Path
) -> None:
    utks = portal.sample_utks(250)
    expected = client.lookup_utks(utks, progress=False)
    via_client = client.lookup_utks(utks, progress=False, out=tmp_path / "a")
    frame = pd.DataFrame({"token": utks, "n": range(len(utks))})
    via_frame = frame.hubspot.lookup_utks(
        "token", client=client, progress=False, out=tmp_path / "b"
    )
    via_series = frame["token"].hubspot.lookup_utks(client=client, progress=False,
                                                    out=str(tmp_path / "c"))  # fmt: skip
    for ds in (via_client, via_frame, via_series):
        assert isinstance(ds, LookupDataset)
        assert_same_frames(expected, ds)
    assert list(frame.columns) == ["token", "n"]
    seen: list[tuple[int, int]] = []
    client.lookup_utks(utks[:10], progress=lambda d, t: seen.append((d, t)), out=tmp_path / "d")
    assert seen[0] == (0, 10) and seen[-1] == (10, 10)


def test_an_argument_that_does_not_apply_to_a_dataset_is_refused_before_any_request(
    client: HubSpotClient, portal: SandboxPortal, tmp_path: Path
) -> None:
    """refresh=True asks the caches again; a dataset reads none: an error, not a no-op."""
    utks = portal.sample_utks(20)
    frame = pd.DataFrame({"utk": utks})
    portal.reset_stats()
    for call in (
        lambda: client.lookup_utks(utks, refresh=True, out=tmp_path / "a"),
        lambda: frame.hubspot.lookup_utks(client=client, refresh=True, out=tmp_path / "b"),
        lambda: frame["utk"].hubspot.lookup_utks(client=client, refresh=True, out=tmp_path / "c"),
    ):
        with pytest.raises(InvalidOptionError, match=r"refresh=True does not apply with out="):
            call()
    # Without client= the accessor refuses it before it even looks for a credential.
    with pytest.raises(InvalidOptionError, match="refresh=True"):
        frame.hubspot.lookup_utks(refresh=True, out=tmp_path / "d")
    assert portal.stats.requests == 0
    assert not any((tmp_path / name).exists() for name in "abcd")
    assert client.lookup_utks(utks, refresh=False, out=tmp_path / "e", progress=False).complete


def test_each_frame_folder_is_plain_parquet_with_one_schema(
    client: HubSpotClient, portal: SandboxPortal, tmp_path: Path
) -> None:
    utks = [u for u in mixed_utks(portal, 600) if u != "bad;utk"]
    ds = lookup_to_dataset(client.fetcher, utks, tmp_path / "ds", FULL_OPTIONS, progress=False,
                           chunk_size=150)  # fmt: skip
    for name in FRAME_NAMES:
        files = ds.files(name)
        assert files[0].name == "part-000000.parquet"
        for f in files:
            schema = pq.read_schema(f)
            assert schema.metadata is None or b"pandas" not in schema.metadata
            assert schema.equals(arrow_schema(name)), (name, f)
        # pyarrow discovers the folder itself (temporary names are hidden) ...
        table = pads.dataset(ds.path / name, format="parquet").to_table()
        assert table.num_rows == ds.counts[name]
        # ... and so does DuckDB, without our views.
        [(n,)] = duckdb.sql(f"select count(*) from read_parquet('{ds.glob(name)}')").fetchall()
        assert n == ds.counts[name]
    history = pq.read_table(ds.path / "history").schema
    assert str(history.field("timestamp").type) == "timestamp[ms, tz=UTC]"
    assert json.loads(pq.read_table(ds.files("contacts")[1])["merged_vids"][0].as_py()) == []


def test_sql_views_filters_and_columns(
    client: HubSpotClient, portal: SandboxPortal, tmp_path: Path
) -> None:
    utks = portal.sample_utks(400)
    expected = client.lookup_utks(utks, **FULL)
    ds = client.lookup_utks(utks, **FULL, out=tmp_path / "ds")
    by_property = ds.sql(
        "select property, count(*) as versions, count(distinct vid) as contacts "
        "from history group by property order by versions desc, property"
    )
    pandas_way = (
        expected.history.groupby("property")
        .agg(versions=("vid", "size"), contacts=("vid", "nunique"))
        .reset_index()
        .sort_values(["versions", "property"], ascending=[False, True], ignore_index=True)
    )
    pdt.assert_frame_equal(by_property, pandas_way, check_dtype=False)
    assert str(by_property["versions"].dtype) == "Int64"
    assert str(by_property["property"].dtype) == "string"
    joined = ds.sql(
        "select c.utk, count(f.conversion_id) n from contacts c left join form_submissions f "
        "using (vid) where c.utk = ? group by c.utk",
        [utks[0]],
    )
    vid = expected.contacts.set_index("utk").loc[utks[0], "vid"]
    forms = expected.form_submissions
    assert joined["n"].iloc[0] == (forms["vid"] == vid).sum()
    vids = expected.contacts["vid"].iloc[:5].tolist()
    got = ds.to_pandas("history", columns=["vid", "timestamp"], filters=[("vid", "in", vids)])
    want = expected.history.loc[expected.history["vid"].isin(vids), ["vid", "timestamp"]]
    pdt.assert_frame_equal(got, want.reset_index(drop=True))
    companies = ds.to_pandas("companies", columns=["vid", "name"])
    pdt.assert_frame_equal(companies, expected.companies[["vid", "name"]])
    with pytest.raises(KeyError, match="no frame 'contact'"):
        ds.to_pandas("contact")
    with pytest.raises(KeyError, match="no column 'nope'"):
        ds.to_pandas("history", columns=["nope"])
    con = ds.connect(duckdb.connect())
    assert con.sql("select count(*) from missing").fetchall() == [(0,)]
    text = repr(ds)
    assert text.startswith("LookupDataset(") and "complete" in text and "history=" in text


def test_a_rerun_fetches_only_new_utks_in_ceil_k_over_100_requests(
    client: HubSpotClient, portal: SandboxPortal, tmp_path: Path
) -> None:
    first = portal.sample_utks(1000)
    out = tmp_path / "ds"
    client.lookup_utks(first, progress=False, out=out)
    portal.reset_stats()
    again = client.lookup_utks(first, progress=False, out=out)
    assert portal.stats.requests == 0  # everything is written: nothing is fetched
    assert again.counts["contacts"] == 1000
    for k in (1, 250):
        more = portal.unknown_utks(k) if k == 1 else portal.sample_utks(2000)[1000 : 1000 + k]
        portal.reset_stats()
        ds = client.lookup_utks([*first, *more], progress=False, out=out)
        assert portal.stats.requests == math.ceil(k / 100)
        assert ds.complete
    everything = [*first, *portal.unknown_utks(1), *portal.sample_utks(2000)[1000:1250]]
    expected = client.lookup_utks(everything, progress=False)
    assert_same_frames(expected, ds)


def test_other_options_or_a_folder_that_is_not_a_dataset_change_nothing(
    client: HubSpotClient, portal: SandboxPortal, tmp_path: Path
) -> None:
    out = tmp_path / "ds"
    utks = portal.sample_utks(120)
    client.lookup_utks(utks, progress=False, out=out)
    before = tree_bytes(out)
    portal.reset_stats()
    with pytest.raises(DatasetError, match=r"property_mode='value_only'.*value_and_history"):
        client.lookup_utks(utks, progress=False, out=out, property_mode="value_and_history")
    with pytest.raises(DatasetError, match="properties=None"):
        client.lookup_utks(utks, progress=False, out=out, properties=["email"])
    assert portal.stats.requests == 0
    assert tree_bytes(out) == before

    other = tmp_path / "notes"
    other.mkdir()
    (other / "mine.txt").write_text("keep me")
    with pytest.raises(DatasetError, match=r"is not a lookup dataset.*mine\.txt"):
        client.lookup_utks(utks, progress=False, out=other)
    assert tree_bytes(other) == {"mine.txt": b"keep me"}
    a_file = tmp_path / "file.parquet"
    a_file.write_bytes(b"PAR1")
    with pytest.raises(DatasetError, match="is a file"):
        client.lookup_utks(utks, progress=False, out=a_file)
    assert a_file.read_bytes() == b"PAR1"
    with pytest.raises(DatasetError, match=r"no _manifest\.json"):
        open_dataset(other)
    with pytest.raises(InvalidOptionError):
        client.lookup_utks(utks, out=tmp_path / "never", property_mode="all")
    assert not (tmp_path / "never").exists()
    assert portal.stats.requests == 0


def test_another_portal_behind_the_same_folder_is_refused(
    client: HubSpotClient, portal: SandboxPortal, tmp_path: Path
) -> None:
    out = tmp_path / "ds"
    client.lookup_utks(portal.sample_utks(50), progress=False, out=out)
    before = tree_bytes(out)
    with (
        SandboxPortal(contacts=500, seed=9) as elsewhere,
        HubSpotClient(elsewhere.access_token, base_url=elsewhere.base_url, cache=False) as other,
    ):
        assert elsewhere.portal_id != portal.portal_id
        with pytest.raises(DatasetError, match=f"holds portal {portal.portal_id}"):
            other.lookup_utks(elsewhere.sample_utks(20), progress=False, out=out)
    after = tree_bytes(out)
    assert {k: v for k, v in after.items() if not k.startswith("_")} == {
        k: v for k, v in before.items() if not k.startswith("_")
    }
    ds = open_dataset(out)
    assert ds.counts["contacts"] == 50 and len(ds.to_pandas("contacts")) == 50


def test_no_credential_in_any_byte_of_the_dataset(
    client: HubSpotClient, portal: SandboxPortal, tmp_path: Path
) -> None:
    with pytest.warns(UserWarning, match="1 value cannot be a utk"):
        ds = client.lookup_utks(mixed_utks(portal, 300), **FULL, out=tmp_path / "ds")
    secrets = [portal.access_token.encode(), portal.api_key.encode()]
    for path, data in tree_bytes(ds.path).items():
        assert not any(s in data for s in secrets), path
    manifest = json.loads((ds.path / "_manifest.json").read_text())
    assert manifest["options"]["property_mode"] == "value_and_history"
    assert manifest["source"]["api"] == portal.base_url
    assert manifest["source"]["portal_id"] == portal.portal_id
    assert manifest["state"] == "complete"
    assert manifest["frames"]["history"]["rows"] == ds.counts["history"] > 0
    assert manifest["definitions"] == client.property_definitions()
    assert ds.definitions() == client.property_definitions()


def test_the_vid_keyed_endpoint_streams_like_it_looks_up_in_memory(
    client: HubSpotClient, portal: SandboxPortal, tmp_path: Path
) -> None:
    utks = [*portal.sample_utks(250), *portal.unknown_utks(1)]
    expected = client.lookup_utks(utks, endpoint="utks", progress=False)
    ds = lookup_to_dataset(client.fetcher, utks, tmp_path / "ds",
                           LookupOptions(endpoint="utks"), progress=False,
                           chunk_size=120)  # fmt: skip
    assert ds.complete and ds.options.endpoint == "utks"
    assert ds.to_pandas("contacts")["utk"].isna().sum() == expected.contacts["utk"].isna().sum()
    assert_same_frames(expected, ds)


@pytest.mark.slow
def test_the_default_chunk_and_a_chosen_one(
    client: HubSpotClient, portal: SandboxPortal, tmp_path: Path
) -> None:
    # Thin records (current values only) and records with their history are written
    # 2,000 utks a part: each part costs a build and a file per frame. An explicit
    # chunk_size still wins.
    utks = portal.sample_utks(2100, kind="contact")
    thin = client.lookup_utks(utks, property_mode="value_only", out=tmp_path / "thin",
                              progress=False)  # fmt: skip

    def rows(ds: LookupDataset) -> list[int]:  # the first part is the empty one made with it
        return [pq.read_metadata(f).num_rows for f in ds.files("contacts")]

    assert rows(thin) == [0, 2000, 100]
    heavy = client.lookup_utks(utks[:2100], property_mode="value_and_history",
                               out=tmp_path / "heavy", progress=False)  # fmt: skip
    assert rows(heavy) == [0, 2000, 100]
    chosen = lookup_to_dataset(client.fetcher, utks[:900], tmp_path / "chosen",
                               LookupOptions(property_mode="value_only"), progress=False,
                               chunk_size=300)  # fmt: skip
    assert rows(chosen) == [0, 300, 300, 300]
    with pytest.raises(InvalidOptionError, match="chunk_size"):
        lookup_to_dataset(client.fetcher, utks, tmp_path / "bad", LookupOptions(), chunk_size=0)


def test_a_chunks_records_are_let_go_of_before_its_parts_are_written(
    client: HubSpotClient, portal: SandboxPortal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # While a chunk's parts are written, its frames hold what the records said: the decoded
    # records are no longer held by the lookup (one chunk's records fewer at the peak).
    import hubutk_pandas.lookup.stream as stream
    from hubutk_pandas.dataset.writer import DatasetWriter

    held: list[tuple[Any, list[Any]]] = []
    at_write: list[tuple[int, int]] = []
    assemble, write_chunk = stream.assemble, DatasetWriter.write_chunk

    def watched_assemble(entries: Any, answers: Any) -> Any:
        done = assemble(entries, answers)
        held.append((answers, done.matched))
        return done

    def watched_write(self: DatasetWriter, *args: Any, **kwargs: Any) -> Any:
        answers, matched = held[-1]
        at_write.append((len(answers.found), len(matched)))
        return write_chunk(self, *args, **kwargs)

    monkeypatch.setattr(stream, "assemble", watched_assemble)
    monkeypatch.setattr(DatasetWriter, "write_chunk", watched_write)
    utks = portal.sample_utks(250, kind="contact")
    ds = lookup_to_dataset(client.fetcher, utks, tmp_path / "ds", LookupOptions(),
                           progress=False, chunk_size=100)  # fmt: skip
    assert ds.counts["contacts"] == 250 and len(at_write) == 3
    assert at_write == [(0, 0)] * 3
