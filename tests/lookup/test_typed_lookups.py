"""The lookups read typed properties (``hubutk_pandas._typed``); ``fetch_batch`` plain JSON.

Over loopback against the sandbox: a lookup's frames, cold and warm (from the record store),
equal the frames of the same answers decoded as plain dicts; the typed build is what made
them; and what leaves the pipeline raw (``fetch_batch``, the store's rows) is plain JSON.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import requests

from hubutk_pandas import LookupResult, _json
from hubutk_pandas._http.store import RECORD_STORE_FILE
from hubutk_pandas.frames import FRAME_NAMES, typed
from hubutk_pandas.lookup.plan import plan
from hubutk_pandas.sandbox import SandboxPortal
from tests.conftest import MakeClient
from tests.dataset.helpers import FULL_OPTIONS

QUERY = [("propertyMode", "value_and_history"), ("formSubmissionMode", "all")]


@pytest.fixture(autouse=True)
def _arrow_strings() -> Iterator[None]:
    """The lookups decode typed where pandas keeps strings in pyarrow (pandas 3's default)."""
    with pd.option_context("mode.string_storage", "pyarrow"):
        yield


@pytest.fixture
def typed_builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of entries each build read with the typed path (a spy, not a stand-in)."""
    counts: list[int] = []
    read = typed.entries_and_versions

    def spied(entries: list[Any]) -> Any:
        got = read(entries)
        if got is not None:
            counts.append(len(entries))
        return got

    monkeypatch.setattr(typed, "entries_and_versions", spied)
    return counts


def _plain(portal: SandboxPortal, utks: list[str]) -> LookupResult:
    """The same answers, decoded as plain dicts and built the careful way."""
    pairs: list[tuple[str | None, Any]] = []
    for i in range(0, len(utks), 100):
        body = requests.get(
            portal.base_url + "/contacts/v1/contact/byUtk/batch/",
            params=[*QUERY, *(("utk", u) for u in utks[i : i + 100])],
            headers={"Authorization": f"Bearer {portal.access_token}"},
            timeout=30,
        ).content
        answer = _json.loads(body)
        pairs.extend((u, answer[u]) for u in utks[i : i + 100] if u in answer)
    missing = [(u, "not_found") for u in utks if u not in dict(pairs)]
    return LookupResult.from_records(pairs, missing)


def _same(got: LookupResult, want: LookupResult) -> None:
    for name in FRAME_NAMES:
        pd.testing.assert_frame_equal(getattr(got, name), getattr(want, name), obj=name)


def test_a_lookup_cold_and_warm_builds_typed_the_frames_of_plain_records(
    portal: SandboxPortal, make_client: MakeClient, tmp_path: Path, typed_builds: list[int]
) -> None:
    utks = portal.sample_utks(250)
    cold = make_client(portal, cache=tmp_path).lookup_utks(
        utks, options=FULL_OPTIONS, progress=False
    )
    assert sum(typed_builds) > 1000  # every group was read typed
    plain = _plain(portal, utks)
    _same(cold, plain)
    typed_builds.clear()
    portal.reset_stats()
    warm = make_client(portal, cache=tmp_path).lookup_utks(
        utks, options=FULL_OPTIONS, progress=False
    )
    assert portal.stats.requests == 0 and sum(typed_builds) > 1000  # the store's texts too
    _same(warm, plain)


def test_a_streamed_lookup_builds_typed_the_same_frames(
    portal: SandboxPortal, make_client: MakeClient, tmp_path: Path, typed_builds: list[int]
) -> None:
    utks = portal.sample_utks(250)
    ds = make_client(portal).lookup_utks(
        utks, options=FULL_OPTIONS, progress=False, out=tmp_path / "d"
    )
    assert sum(typed_builds) > 1000
    want = _plain(portal, utks)
    for name in ("properties", "history"):
        got = ds.to_pandas(name).sort_values(["vid", "property"], kind="stable")
        expect = getattr(want, name).sort_values(["vid", "property"], kind="stable")
        assert len(got) == len(expect) > 1000
        # Not the dtypes: on pandas 2 the dataset reads strings as Python strings, whatever
        # the storage this module forces on the in-memory build (the typed build's condition).
        pd.testing.assert_frame_equal(
            got.reset_index(drop=True), expect.reset_index(drop=True), obj=name,
            check_dtype=False,
        )  # fmt: skip


def test_fetch_batch_gives_hubspots_json_as_plain_dicts(
    portal: SandboxPortal, make_client: MakeClient
) -> None:
    utks = portal.sample_utks(20, "contact")
    answer = make_client(portal).fetch_batch(utks, options=FULL_OPTIONS)
    body = requests.get(
        portal.base_url + "/contacts/v1/contact/byUtk/batch/",
        params=[*QUERY, *(("utk", u) for u in utks)],
        headers={"Authorization": f"Bearer {portal.access_token}"},
        timeout=30,
    ).content
    assert dict(answer) == _json.loads(body)
    assert all(type(e) is dict for r in answer.values() for e in r["properties"].values())


def test_records_trimmed_locally_are_stored_as_plain_json(
    portal: SandboxPortal, make_client: MakeClient, tmp_path: Path, typed_builds: list[int]
) -> None:
    """A property list too long for the URL is applied locally: the store gets the trimmed
    record encoded again, typed entries written as the JSON objects they were."""
    client = make_client(portal, cache=tmp_path, max_url_length=1024)
    wanted = ["email", "firstname", "lifecyclestage", *(f"not_a_property_{i}" for i in range(60))]
    options = FULL_OPTIONS.replace(properties=wanted)
    utks = portal.sample_utks(40, "contact")
    assert plan(client.fetcher, utks, options).local_filter
    cold = client.lookup_utks(utks, options=options, progress=False)
    assert sum(typed_builds) > 0
    with sqlite3.connect(tmp_path / RECORD_STORE_FILE) as con:
        rows = [text for (text,) in con.execute("SELECT record FROM records") if text]
    assert rows and all("Entry(" not in text for text in rows)
    assert {name for text in rows for name in _json.loads(text)["properties"]} <= set(wanted)
    warm = make_client(portal, cache=tmp_path, max_url_length=1024).lookup_utks(
        utks, options=options, progress=False
    )
    _same(warm, cold)
