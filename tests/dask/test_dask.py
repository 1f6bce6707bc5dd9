"""Dask: ddf.hubspot on a LocalCluster of worker processes equals the pandas accessor."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import dask.dataframe as dd
import pandas as pd
import pandas.testing as pdt
import pytest
from dask.distributed import Client, LocalCluster

import hubutk_pandas.dask  # noqa: F401  (registers ddf.hubspot)
from hubutk_pandas import HubSpotClient, InvalidOptionError, LookupDataset
from hubutk_pandas.sandbox import SandboxPortal
from tests.dataset.helpers import FULL, assert_same_frames_in_any_order


@pytest.fixture(scope="module")
def cluster() -> Iterator[Client]:
    """Two worker processes, one thread each: the partitions really leave this process."""
    local = {"host": "127.0.0.1", "dashboard_address": "127.0.0.1:0"}
    lc = LocalCluster(n_workers=2, processes=True, threads_per_worker=1, **local)
    with lc, Client(lc) as dask_client:
        yield dask_client


def visits(portal: SandboxPortal) -> pd.DataFrame:
    """A visits log: repeated utks, blanks, padded and invalid cells, unknown visitors."""
    known = portal.sample_utks(600)
    cells = [*known, *known[:200], f"  {known[3]} ", "", None, "bad;utk",
             *portal.unknown_utks(5), *portal.sample_utks(60, kind="merged")]  # fmt: skip
    return pd.DataFrame({"utk": cells, "row": range(len(cells)), "page": "/pricing"})


@pytest.mark.slow
def test_lookup_utks_on_a_cluster_equals_the_pandas_accessor(
    cluster: Client, client: HubSpotClient, portal: SandboxPortal, tmp_path: Path
) -> None:
    frame = visits(portal)
    ddf = dd.from_pandas(frame, npartitions=5)
    with pytest.warns(UserWarning, match="1 value cannot be a utk"):
        expected = frame.hubspot.lookup_utks("utk", client=client, **FULL)
    portal.reset_stats()
    with pytest.warns(UserWarning, match="1 value cannot be a utk"):
        ds = ddf.hubspot.lookup_utks("utk", out=tmp_path / "ds", client=client, **FULL)
    assert isinstance(ds, LookupDataset) and ds.complete
    distinct_valid = len(expected.contacts) + (expected.missing["reason"] == "not_found").sum()
    # + the definitions, + the account details a new dataset records its portal from
    assert portal.stats.requests == 2 + math.ceil(distinct_valid / 100)
    assert ds.manifest["utks"]["distinct"] == len(expected.contacts) + len(expected.missing)
    assert_same_frames_in_any_order(expected, ds)


def test_enrich_on_a_cluster_equals_the_pandas_accessor(
    cluster: Client, client: HubSpotClient, portal: SandboxPortal, tmp_path: Path
) -> None:
    frame = visits(portal).rename(columns={"page": "lifecyclestage"})
    properties = ["lifecyclestage", "hubspotscore", "createdate", "hs_analytics_source"]
    with pytest.warns(UserWarning):
        expected = frame.hubspot.enrich("utk", properties=properties, client=client,
                                        progress=False)  # fmt: skip
    ddf = dd.from_pandas(frame, npartitions=4)
    with pytest.warns(UserWarning):
        lazy = ddf.hubspot.enrich("utk", properties=properties, out=tmp_path / "ds",
                                  client=client, progress=False)  # fmt: skip
    assert isinstance(lazy, dd.DataFrame)
    assert list(lazy.columns) == list(expected.columns)
    assert "lifecyclestage_hubspot" in lazy.columns  # the clash gets the suffix, as in pandas
    got = lazy.compute().sort_values("row").reset_index(drop=True)
    want = expected.reset_index(drop=True)
    added = [c for c in want.columns if c not in frame.columns]
    pdt.assert_frame_equal(got[added], want[added])  # values and dtypes of what enrich adds
    # The input's own columns: Dask converts text columns to its string dtype on the way in.
    pdt.assert_frame_equal(got[list(frame.columns)], want[list(frame.columns)], check_dtype=False)
    assert list(ddf.columns) == ["utk", "row", "lifecyclestage"]  # the input is unchanged

    # The dataset grows: a new enrich reads a new file, and the earlier lazy frame still
    # reads the one it was built on, unchanged.
    (first,) = (tmp_path / "ds" / "_enrich").glob("wide-*.parquet")
    before = first.read_bytes()
    grown = pd.concat([frame, pd.DataFrame({"utk": portal.sample_utks(650)[600:]})])
    dd.from_pandas(grown, npartitions=2).hubspot.enrich(
        "utk", properties=properties, out=tmp_path / "ds", client=client, progress=False
    )
    assert len(list((tmp_path / "ds" / "_enrich").glob("wide-*.parquet"))) == 2
    assert first.read_bytes() == before
    again = lazy.compute().sort_values("row").reset_index(drop=True)
    pdt.assert_frame_equal(again, got)


def test_the_dask_accessor_checks_before_any_work(
    client: HubSpotClient, portal: SandboxPortal, tmp_path: Path
) -> None:
    ddf = dd.from_pandas(pd.DataFrame({"token": ["a"]}), npartitions=1)
    portal.reset_stats()
    with pytest.raises(KeyError, match="'utk' is not in the frame"):
        ddf.hubspot.lookup_utks("utk", out=tmp_path / "x", client=client)
    with pytest.raises(InvalidOptionError):
        ddf.hubspot.lookup_utks("token", out=tmp_path / "x", client=client, property_mode="x")
    with pytest.raises(InvalidOptionError, match="suffix"):
        ddf.hubspot.enrich("token", out=tmp_path / "x", client=client, suffix="")
    assert portal.stats.requests == 0 and not (tmp_path / "x").exists()
