"""List memberships in a dataset: the same frame as in memory, chunk failures resumable."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from hubutk_pandas import HubSpotClient, open_dataset
from hubutk_pandas.dataset.layout import arrow_schema
from hubutk_pandas.errors import DatasetError, LookupFailedError
from hubutk_pandas.frames import LIST_MEMBERSHIPS_SCHEMA
from hubutk_pandas.lookup import lookup_to_dataset
from hubutk_pandas.options import LookupOptions
from hubutk_pandas.sandbox import SandboxPortal

FAST = {"backoff_factor": 0.01, "backoff_max": 0.05, "max_retry_time": 20.0, "timeout": 5.0}


@pytest.fixture(scope="module")
def today() -> Iterator[SandboxPortal]:
    with SandboxPortal(contacts=1200, seed=12, rate_limit=(10_000, 10_000)) as portal:
        yield portal


def test_a_dataset_holds_the_memberships_an_in_memory_lookup_has(
    today: SandboxPortal, tmp_path: Path
) -> None:
    utks = today.sample_utks(450)
    with HubSpotClient(today.access_token, base_url=today.base_url, cache=False) as client:
        memory = client.lookup_utks(utks, show_list_memberships=True, progress=False)
        ds = lookup_to_dataset(
            client.fetcher,
            utks,
            tmp_path / "ds",
            LookupOptions(show_list_memberships=True),
            progress=False,
            chunk_size=100,
        )
    on_disk = ds.to_pandas("list_memberships")
    assert len(on_disk) > 100 and on_disk["list_name"].notna().all()
    assert on_disk.equals(memory.list_memberships)
    assert dict(on_disk.dtypes.astype(str)) == LIST_MEMBERSHIPS_SCHEMA
    # the stable on-disk schema, in every part
    for part in ds.files("list_memberships"):
        assert pq.read_schema(part).remove_metadata() == arrow_schema("list_memberships")
    assert ds.manifest["schema_version"] == 2


def test_a_chunk_whose_memberships_failed_is_not_written_and_a_rerun_completes(
    tmp_path: Path,
) -> None:
    options = LookupOptions(show_list_memberships=True)
    with (
        SandboxPortal(contacts=600, seed=13) as portal,
        HubSpotClient(
            portal.access_token,
            base_url=portal.base_url,
            cache=False,
            max_workers=1,
            **{**FAST, "max_retries": 1},
        ) as client,
    ):
        utks = portal.sample_utks(300)
        client.fetcher.check_lists_access()  # type: ignore[attr-defined]
        portal.inject("503", count=2, on="lists")  # the first memberships batch fails
        with pytest.raises(LookupFailedError) as caught:
            lookup_to_dataset(
                client.fetcher, utks, tmp_path / "ds", options, progress=False, chunk_size=100
            )
        partial = caught.value.partial
        assert partial.pending == 100 and sorted(caught.value.failed_utks) == sorted(utks[:100])
        assert partial.counts["contacts"] == 200  # the two other chunks, written whole
        assert set(partial.to_pandas("list_memberships")["vid"]) <= set(
            partial.to_pandas("contacts")["vid"]
        )
        portal.reset_stats()
        done = lookup_to_dataset(
            client.fetcher, utks, tmp_path / "ds", options, progress=False, chunk_size=100
        )
        assert done.complete and done.counts["contacts"] == 300
        assert portal.stats.utks_requested == 100  # only the failed chunk, fetched again
        frame = done.to_pandas("list_memberships")
        assert frame.groupby("vid")["list_id"].apply(list).to_dict() == {
            int(v): [m["listId"] for m in portal.list_memberships(int(v)) or []]
            for v in frame["vid"].unique()
        }


def test_a_dataset_of_the_old_schema_gets_a_clear_error(tmp_path: Path) -> None:
    with (
        SandboxPortal(contacts=50, seed=14) as portal,
        HubSpotClient(portal.access_token, base_url=portal.base_url, cache=False) as client,
    ):
        ds = client.lookup_utks(portal.sample_utks(3), out=tmp_path / "old")
    manifest_path = tmp_path / "old" / "_manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["schema_version"] = 1
    manifest_path.write_text(json.dumps(manifest))
    before = {p: p.read_bytes() for p in (tmp_path / "old").rglob("*") if p.is_file()}
    with pytest.raises(DatasetError, match="schema version 1") as caught:
        open_dataset(tmp_path / "old")
    message = str(caught.value)
    assert "older hubutk-pandas" in message and "new folder" in message
    assert ds.manifest["created_by"] in message  # which version to read it with
    after = {p: p.read_bytes() for p in (tmp_path / "old").rglob("*") if p.is_file()}
    assert after == before  # nothing changed
