"""LookupResult.tables() and to_files(): every frame plus wide(), on disk, from the sandbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from hubutk_pandas import HubSpotClient, InvalidOptionError, LookupResult
from hubutk_pandas.frames import FRAME_NAMES
from hubutk_pandas.sandbox import SandboxPortal


@pytest.fixture(scope="module")
def result(portal: SandboxPortal) -> LookupResult:
    utks = portal.sample_utks(4, kind="contact") + portal.sample_utks(1, kind="merged")
    with HubSpotClient(portal.access_token, base_url=portal.base_url, cache=False) as client:
        found = client.lookup_utks(
            [*utks, portal.unknown_utks(1)[0]],
            property_mode="value_and_history",
            form_submission_mode="all",
            progress=False,
        )
        found.wide()  # fetch the definitions while the client is open
    return found


def test_parquet_keeps_every_frame_its_dtypes_and_lists(
    result: LookupResult, tmp_path: Path
) -> None:
    paths = result.to_files(tmp_path / "new" / "folder")
    assert [p.name for p in paths] == [f"{n}.parquet" for n in ("wide", *FRAME_NAMES)]
    for path in paths:
        expected = result.wide() if path.stem == "wide" else result.frames[path.stem]
        written = pd.read_parquet(path)
        assert list(written.columns) == list(expected.columns)
        assert len(written) == len(expected)
    contacts = pd.read_parquet(tmp_path / "new" / "folder" / "contacts.parquet")
    assert str(contacts["vid"].dtype) == str(result.contacts["vid"].dtype)
    assert len(list(contacts["merged_vids"].iloc[-1])) >= 2  # the merged contact's list


def test_csv_writes_lists_as_json_text(result: LookupResult, tmp_path: Path) -> None:
    paths = result.to_files(str(tmp_path), format="csv")
    assert {p.name for p in tmp_path.iterdir()} == {p.name for p in paths}
    assert len(paths) == len(FRAME_NAMES) + 1
    contacts = pd.read_csv(tmp_path / "contacts.csv")
    assert contacts["utk"].tolist() == result.contacts["utk"].tolist()
    merged = json.loads(contacts["merged_vids"].iloc[-1])
    assert merged == list(result.contacts["merged_vids"].iloc[-1])
    wide = pd.read_csv(tmp_path / "wide.csv")
    assert list(wide.columns) == list(result.wide().columns)
    missing = pd.read_csv(tmp_path / "missing.csv")
    assert missing["reason"].tolist() == ["not_found"]


def test_an_unknown_format_is_refused_before_writing(result: LookupResult, tmp_path: Path) -> None:
    with pytest.raises(
        InvalidOptionError, match=r"format='xlsx' is not valid; choose from 'parquet', 'csv'"
    ):
        result.to_files(tmp_path / "out", format="xlsx")  # type: ignore[arg-type]
    assert not (tmp_path / "out").exists()


def test_without_definitions_the_frames_are_written_and_a_warning_says_why(
    tmp_path: Path,
) -> None:
    with (
        SandboxPortal(contacts=20) as portal,
        HubSpotClient(portal.access_token, base_url=portal.base_url, cache=False) as client,
    ):
        result = client.lookup_utks(portal.sample_utks(2), progress=False)
        portal.set_scopes(portal.access_token, ())  # now the definitions are refused (403)
        with pytest.warns(UserWarning, match="no typed wide table: .*403"):
            paths = result.to_files(tmp_path, format="csv")
    assert [p.stem for p in paths] == list(FRAME_NAMES)
    assert pd.read_csv(tmp_path / "contacts.csv")["utk"].tolist() == result.contacts["utk"].tolist()


def test_csv_timestamps_are_written_one_way_to_the_millisecond(tmp_path: Path) -> None:
    """pandas drops the milliseconds of a column where no value has any: not here."""

    def record(vid: int, ms: int) -> dict[str, Any]:
        version = {"value": "lead", "timestamp": ms, "source-type": "API"}
        return {"vid": vid, "properties": {"lifecyclestage": {"value": "lead",
                                                              "versions": [version]}}}  # fmt: skip

    whole = LookupResult.from_records([("a", record(1, 1_484_026_585_000))])
    fractions = LookupResult.from_records([("b", record(2, 1_484_026_585_538))])
    texts = []
    for k, result in enumerate((whole, fractions)):
        (path,) = [p for p in result.to_files(tmp_path / str(k), "csv") if p.stem == "history"]
        texts.append(pd.read_csv(path, dtype="string")["timestamp"].tolist())
    assert texts == [["2017-01-10 05:36:25.000+00:00"], ["2017-01-10 05:36:25.538+00:00"]]
