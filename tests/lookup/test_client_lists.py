"""List memberships from HubSpot's Lists API (issue 18): the lookup stage, in memory.

Every portal here behaves as HubSpot does today (v1 reads carry no memberships) unless a
test asks for the pre-2026 answers.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from hubutk_pandas import wire
from hubutk_pandas.errors import (
    DailyLimitError,
    LookupFailedError,
    MissingScopesError,
)
from hubutk_pandas.frames import LIST_MEMBERSHIPS_SCHEMA
from hubutk_pandas.lookup.lists import fetch_memberships
from hubutk_pandas.sandbox import SandboxPortal
from tests.conftest import MakeClient

LISTS = "/crm/lists/2026-09"
BATCH = f"{LISTS}/records/memberships/batch/read"
CONTACTS = "/contacts/v1/contact/byUtk/batch/"


@pytest.fixture(scope="module")
def today() -> Iterator[SandboxPortal]:
    """A portal of today: no memberships in v1 reads; a generous limit."""
    with SandboxPortal(contacts=1500, seed=5, rate_limit=(10_000, 10_000)) as portal:
        yield portal


def _iso(text: str) -> pd.Timestamp:
    return pd.Timestamp(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))


def _expected(portal: SandboxPortal, vids: list[int]) -> pd.DataFrame:
    """What the Lists API serves for ``vids``, with the lists' names, as rows."""
    names = {d["listId"]: d for d in portal.list_definitions()}
    rows = []
    for vid in vids:
        for m in portal.list_memberships(vid) or []:
            rows.append(
                {
                    "vid": vid,
                    "list_id": m["listId"],
                    "list_name": names[m["listId"]]["name"],
                    "processing_type": names[m["listId"]]["processingType"],
                    "list_version": m["listVersion"],
                    "first_added": _iso(m["firstAddedTimestamp"]),
                    "last_added": _iso(m["lastAddedTimestamp"]),
                    "is_public": m["isPublicList"],
                }
            )
    return pd.DataFrame(rows)


def _vids(result: object) -> list[int]:
    return [int(v) for v in result.contacts["vid"].dropna().unique()]  # type: ignore[attr-defined]


def test_memberships_come_from_the_lists_api_with_names(
    today: SandboxPortal, make_client: MakeClient
) -> None:
    utks = today.sample_utks(60)
    result = make_client(today).lookup_utks(utks, show_list_memberships=True, progress=False)
    frame = result.list_memberships
    assert len(frame) > 30  # the sample exercises the frame
    assert dict(frame.dtypes.astype(str)) == LIST_MEMBERSHIPS_SCHEMA
    assert frame["source"].eq("lists_api").all()
    assert frame["is_member"].all() and frame["extra"].isna().all()
    assert frame[["static_list_id", "internal_list_id", "timestamp"]].isna().all().all()
    expected = _expected(today, _vids(result))
    got = frame[list(expected.columns)].astype(object).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected.astype(object), check_dtype=False)
    # tz-aware UTC, exact to the millisecond
    assert str(frame["first_added"].dt.tz) == "UTC"
    assert (frame["first_added"] <= frame["last_added"]).all()
    assert (frame["first_added"] < frame["last_added"]).any()  # some were re-added


def test_batches_hold_at_most_100_contacts(today: SandboxPortal, make_client: MakeClient) -> None:
    utks = today.sample_utks(250)
    client = make_client(today)
    client.fetcher.check_lists_access()  # type: ignore[attr-defined]
    today.reset_stats()
    result = client.lookup_utks(utks, show_list_memberships=True, progress=False)
    contacts = len(_vids(result))
    assert contacts > 200
    # the sandbox answers 400 beyond 100 records: none, and just enough requests
    assert today.stats.by_path[BATCH] == -(-contacts // 100)
    assert today.stats.by_status.get(400, 0) == 0


def test_list_definitions_are_fetched_once_per_list_and_client(
    today: SandboxPortal, make_client: MakeClient
) -> None:
    client = make_client(today)
    utks = today.sample_utks(300)
    today.reset_stats()
    first = client.lookup_utks(utks[:150], show_list_memberships=True, progress=False)
    assert today.stats.by_path[f"{LISTS}/"] == 1  # one request for every list met
    today.reset_stats()
    second = client.lookup_utks(utks[150:], show_list_memberships=True, progress=False)
    assert today.stats.by_path.get(f"{LISTS}/", 0) == 0  # every list already known
    assert second.list_memberships["list_name"].notna().all()
    assert first.list_memberships["list_name"].notna().all()
    # another client (another credential, another portal) asks for its own
    other = today.add_account(seed=9, contacts=300)
    other_client = make_client(today, other.access_token)
    today.reset_stats()
    other_client.lookup_utks(
        today.sample_utks(5), show_list_memberships=True, progress=False
    )  # another portal's utks match nothing there: no memberships, no list request
    assert today.stats.by_path.get(f"{LISTS}/", 0) == 0


def test_the_memberships_requests_share_the_contacts_pacer(make_client: MakeClient) -> None:
    """One limiter for both: at the portal's own limit, no 429 at all."""
    with SandboxPortal(contacts=1500, seed=6, rate_limit=(12, 1000)) as portal:
        client = make_client(portal, rate_limit=(12, 1.0), max_workers=8)
        utks = portal.sample_utks(1000)
        result = client.lookup_utks(utks, show_list_memberships=True, progress=False)
        assert len(result.list_memberships) > 0
        assert portal.stats.by_path[BATCH] == 1 + 10  # the probe, one per contact batch
        assert portal.stats.by_status.get(429, 0) == 0


@pytest.mark.parametrize("root", ["/crm/v3/lists", "/crm/lists/2026-09"])
def test_records_not_found_have_no_lists_on_either_version(
    root: str, today: SandboxPortal, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """v3 answers 207 for records it does not find, 2026-09 a 200 with ``errors``."""
    monkeypatch.setattr(wire, "LISTS_ROOT", root)
    client = make_client(today)
    vid = next(
        v
        for u in today.sample_utks(40)
        if (v := today.record(u)["vid"])  # type: ignore[index]
        if today.list_memberships(v)
    )
    today.reset_stats()
    got = fetch_memberships(client.fetcher, [vid, 1, 2], cache=False)
    assert got.ok and got.requests == 1
    assert today.stats.by_status[207 if root.endswith("v3/lists") else 200] >= 1
    assert got.by_vid[1] == [] and got.by_vid[2] == []
    assert got.by_vid[vid] == today.list_memberships(vid)


def test_deleted_contacts_have_no_lists_and_no_error(
    today: SandboxPortal, make_client: MakeClient
) -> None:
    deleted = today.sample_utks(3, "deleted")
    live = today.sample_utks(20)
    result = make_client(today).lookup_utks(
        deleted + live, show_list_memberships=True, include_deletes=True, progress=False
    )
    gone = [today.record(u, include_deletes=True)["vid"] for u in deleted]  # type: ignore[index]
    assert set(gone) <= set(result.contacts["vid"])  # looked up, but the Lists API finds none
    assert all(today.list_memberships(v) is None for v in gone)
    assert not result.list_memberships["vid"].isin(gone).any()
    assert result.list_memberships["vid"].nunique() > 5


@pytest.mark.parametrize("mode", ["absent", "empty"])
def test_v1_without_the_key_or_with_an_empty_array_is_the_same_and_quiet(
    mode: str, make_client: MakeClient
) -> None:
    with SandboxPortal(contacts=300, seed=7, v1_memberships=mode) as portal:
        utks = portal.sample_utks(120)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = make_client(portal).lookup_utks(
                utks, show_list_memberships=True, progress=False
            )
        assert [str(w.message) for w in caught] == []
        frame = result.list_memberships
        assert frame["source"].eq("lists_api").all() and len(frame) > 0
        assert _expected(portal, _vids(result))["list_id"].tolist() == frame["list_id"].tolist()


def test_legacy_v1_memberships_are_kept_as_they_are_beside_the_lists_api(
    make_client: MakeClient,
) -> None:
    with SandboxPortal(contacts=300, seed=7, v1_memberships="legacy") as portal:
        utks = portal.sample_utks(40)
        result = make_client(portal).lookup_utks(utks, show_list_memberships=True, progress=False)
        frame = result.list_memberships
        v1 = frame[frame["source"] == "contacts_v1"]
        api = frame[frame["source"] == "lists_api"]
        assert len(v1) == len(api) > 0  # the same lists, seen by both APIs
        record = portal.record(utks[0], show_list_memberships=True)
        assert record is not None
        entries = record["list-memberships"]
        mine = v1[v1["vid"] == record["vid"]]
        assert mine["static_list_id"].tolist() == [e["static-list-id"] for e in entries]
        assert mine["internal_list_id"].tolist() == [e["internal-list-id"] for e in entries]
        assert [t.value // 10**6 for t in mine["timestamp"]] == [e["timestamp"] for e in entries]
        assert v1[["list_id", "list_name", "first_added", "is_public"]].isna().all().all()
        mapping = portal.legacy_list_ids()
        assert sorted(mapping[str(s)] for s in mine["static_list_id"]) == sorted(
            api.loc[api["vid"] == record["vid"], "list_id"]
        )


def test_without_the_option_the_lists_api_is_not_asked(
    today: SandboxPortal, make_client: MakeClient
) -> None:
    today.reset_stats()
    result = make_client(today).lookup_utks(today.sample_utks(30), progress=False)
    assert len(result.list_memberships) == 0
    assert not [p for p in today.stats.by_path if "/crm/" in p]


# -- fail fast ---------------------------------------------------------------------------


def test_a_contacts_only_credential_fails_fast_naming_the_scope(
    today: SandboxPortal, make_client: MakeClient
) -> None:
    account = today.add_account(seed=5, contacts=1500, scopes=["crm.objects.contacts.read"])
    client = make_client(today, account.access_token)
    utks = today.sample_utks(1200)  # 12 contact batches, were it to start
    today.reset_stats()
    with pytest.raises(MissingScopesError) as caught:
        client.lookup_utks(utks, show_list_memberships=True, progress=False)
    assert today.stats.requests == 1  # the one probe; no contact request
    assert today.stats.by_path.get(CONTACTS, 0) == 0
    error = caught.value
    assert error.scopes == ("crm.lists.read",) and error.status == 403
    assert "crm.lists.read" in str(error) and "Development > Keys" in str(error)
    assert account.access_token not in str(error)
    # the same credential still looks contacts up without memberships (another portal's
    # data: these utks match nothing there, but the lookup runs)
    today.reset_stats()
    assert len(client.lookup_utks(utks[:5], progress=False).missing) == 5
    assert today.stats.by_status == {200: 1}


def test_a_contacts_only_credential_fails_fast_into_a_dataset(
    today: SandboxPortal, make_client: MakeClient, tmp_path: Path
) -> None:
    account = today.add_account(seed=5, contacts=1500, scopes=["crm.objects.contacts.read"])
    client = make_client(today, account.access_token)
    today.reset_stats()
    with pytest.raises(MissingScopesError, match=r"crm\.lists\.read"):
        client.lookup_utks(today.sample_utks(1200), show_list_memberships=True, out=tmp_path / "ds")
    assert today.stats.requests == 1  # the probe; no contact request
    assert not (tmp_path / "ds").exists()  # no dataset bound to options it cannot serve


def test_a_scope_lost_after_the_probe_stops_at_the_first_memberships_request(
    make_client: MakeClient,
) -> None:
    with SandboxPortal(contacts=1000, seed=4) as portal:
        client = make_client(portal, max_workers=1)
        client.fetcher.check_lists_access()  # type: ignore[attr-defined]
        portal.set_scopes(portal.access_token, ["crm.objects.contacts.read"])
        portal.reset_stats()
        with pytest.raises(MissingScopesError, match=r"crm\.lists\.read"):
            client.lookup_utks(portal.sample_utks(500), show_list_memberships=True, progress=False)
        assert portal.stats.by_path[BATCH] == 1  # not one per batch: the 403 stops the stage
        assert portal.stats.by_path[CONTACTS] == 5


# -- failures keep what succeeded --------------------------------------------------------


def test_a_failed_memberships_batch_keeps_the_contacts(make_client: MakeClient) -> None:
    with SandboxPortal(contacts=300, seed=8) as portal:
        client = make_client(portal, max_retries=1, max_workers=1)
        client.fetcher.check_lists_access()  # type: ignore[attr-defined]
        utks = portal.sample_utks(150)
        portal.inject("503", count=2, on="lists")  # the first batch, and its one retry
        with pytest.raises(LookupFailedError) as caught:
            client.lookup_utks(utks, show_list_memberships=True, progress=False)
        error = caught.value
        partial = error.partial
        assert len(partial.contacts) == 150
        failed_vids = set(partial.contacts.loc[partial.contacts["utk"].isin(error.failed_utks),
                                               "vid"])  # fmt: skip
        assert 0 < len(error.failed_utks) <= 100
        got = set(partial.list_memberships["vid"])
        assert not got & failed_vids and got  # the other batch's memberships are there
        again = client.lookup_utks(utks, show_list_memberships=True, progress=False)
        assert set(again.list_memberships["vid"]) >= got | (
            failed_vids & {v for v in failed_vids if portal.list_memberships(int(v))}
        )


def test_the_daily_limit_in_the_memberships_stage_keeps_the_contacts(
    make_client: MakeClient,
) -> None:
    with SandboxPortal(contacts=300, seed=8) as portal:
        client = make_client(portal)
        client.fetcher.check_lists_access()  # type: ignore[attr-defined]
        portal.inject("429-daily", count=None, on="lists")
        portal.reset_stats()
        with pytest.raises(DailyLimitError) as caught:
            client.lookup_utks(portal.sample_utks(50), show_list_memberships=True, progress=False)
        assert len(caught.value.partial.contacts) == 50
        assert len(caught.value.failed_utks) == 50
        assert portal.stats.by_path[BATCH] == 1  # stopped at once, no storm


def test_a_rerun_is_answered_from_the_caches_of_that_credential_only(
    make_client: MakeClient, tmp_path: Path
) -> None:
    """Memberships (POST, keyed by body) and list names are cached per credential."""
    with SandboxPortal(contacts=400, seed=9) as portal:
        utks = portal.sample_utks(150)
        first = make_client(portal, cache=tmp_path).lookup_utks(
            utks, show_list_memberships=True, progress=False
        )
        portal.reset_stats()
        again = make_client(portal, cache=tmp_path).lookup_utks(
            utks, show_list_memberships=True, progress=False
        )
        assert dict(portal.stats.by_path) == {BATCH: 1}  # the new client's probe, nothing else
        pd.testing.assert_frame_equal(again.list_memberships, first.list_memberships)
        portal.reset_stats()
        with pytest.warns(UserWarning):  # the legacy key: another credential, another cache
            other = make_client(portal, api_key=portal.api_key, cache=tmp_path)
        other.lookup_utks(utks, show_list_memberships=True, progress=False)
        assert portal.stats.by_path[BATCH] == 1 + 2 and portal.stats.by_path[f"{LISTS}/"] == 1
