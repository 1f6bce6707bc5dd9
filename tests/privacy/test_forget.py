"""Erasure on request: ``forget`` removes a contact from the caches and datasets, and only it.

Everything runs against the sandbox over loopback, with real cache folders and datasets.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas.testing as pdt
import pytest

from hubutk_pandas import (
    DatasetError,
    DatasetInUseError,
    HubSpotClient,
    InvalidOptionError,
    LookupOptions,
    open_dataset,
)
from hubutk_pandas._http.erase import HttpCacheHolder, RecordStoreHolder
from hubutk_pandas.dataset.erase import DatasetHolder
from hubutk_pandas.dataset.state import DatasetLock
from hubutk_pandas.erasure import Identifiers
from hubutk_pandas.frames import FRAME_NAMES
from hubutk_pandas.lookup import lookup_to_dataset
from hubutk_pandas.privacy import forget
from hubutk_pandas.sandbox import SandboxPortal
from hubutk_pandas.sandbox.data import SyntheticPortal

FULL = LookupOptions(
    property_mode="value_and_history", form_submission_mode="all", show_list_memberships=True
)


@pytest.fixture
def cached(portal: SandboxPortal, tmp_path: Path) -> Iterator[HubSpotClient]:
    """A client of the session portal with its own cache folder."""
    with HubSpotClient(portal.access_token, base_url=portal.base_url, cache=tmp_path / "c") as c:
        yield c


def requests_for(
    portal: SandboxPortal, client: HubSpotClient, utks: list[str], **kw: object
) -> int:
    portal.reset_stats()
    client.lookup_utks(utks, progress=False, **kw)  # type: ignore[arg-type]
    return portal.stats.requests


def email_of(client: HubSpotClient, utk: str) -> str:
    identities = client.lookup_utks([utk], progress=False).identities
    return str(identities.loc[identities["type"] == "EMAIL", "value"].iloc[0])


def test_after_forget_a_warm_lookup_of_that_utk_sends_a_request_and_no_other_utk_does(
    portal: SandboxPortal, cached: HubSpotClient, tmp_path: Path
) -> None:
    utks = portal.sample_utks(40)
    gone = utks[7]
    email = email_of(cached, gone)
    cached.lookup_utks(utks, progress=False)  # the store, and one batch answer of 40
    cached.lookup_utks(utks, endpoint="utks", progress=False)  # a vid-keyed batch answer
    cached.fetch_batch(utks[5:10])  # one more batch answer holding it
    assert requests_for(portal, cached, utks) == 0  # warm: everything is cached
    files = tmp_path / "c"
    assert email.encode() in (files / "records.sqlite").read_bytes()

    portal.reset_stats()
    report = cached.forget(utks=gone, quiet=True)
    assert portal.stats.requests == 0  # found locally: no request sent
    store, http = report.removals
    assert (store.place, store.removed) == ("record store", {"records": 1})  # one namespace
    # The vid-keyed batch and fetch_batch's: byUtk lookups keep their answers in the record
    # store only, so neither its own lookup nor the batch of 40 left one there.
    assert (http.place, http.removed) == ("HTTP cache", {"answers": 2})
    assert gone in report.found.utks and email in report.found.emails
    # Nothing of it is left in either file, not even in SQLite's free pages.
    for name in ("records.sqlite", "http_cache.sqlite"):
        assert email.encode() not in (files / name).read_bytes(), name
        assert gone.encode() not in (files / name).read_bytes(), name
    assert not RecordStoreHolder(files).find(report.found)
    assert not HttpCacheHolder(files).find(report.found)

    portal.reset_stats()
    again = cached.lookup_utks([gone], progress=False)
    assert portal.stats.requests == 1 and portal.stats.utks_requested == 1
    assert again.contacts["utk"].tolist() == [gone]
    others = [u for u in utks if u != gone]
    assert requests_for(portal, cached, others) == 0  # no other utk sends one
    assert requests_for(portal, cached, utks) == 0  # and it is cached again
    # The vid-keyed batch was dropped whole: asking it again costs one refetch.
    assert requests_for(portal, cached, utks, endpoint="utks") == 1


def test_an_email_finds_the_contact_locally_whatever_its_case(
    portal: SandboxPortal, cached: HubSpotClient
) -> None:
    utks = portal.sample_utks(20)[10:]
    result = cached.lookup_utks(utks, progress=False)
    email = email_of(cached, utks[3])
    vid = int(result.contacts.loc[result.contacts["utk"] == utks[3], "vid"].iloc[0])
    portal.reset_stats()
    report = forget(emails=[email.upper()], cache=cached.settings.cache_dir, quiet=True)
    assert portal.stats.requests == 0
    assert vid in report.found.vids and utks[3] in report.found.utks
    assert report.removals[0].removed == {"records": 1}
    assert requests_for(portal, cached, [utks[3]]) == 1
    assert requests_for(portal, cached, utks) == 0


def test_a_merged_contact_is_found_by_any_of_its_vids_and_utks(
    portal: SandboxPortal, cached: HubSpotClient
) -> None:
    # The sandbox's synthetic data (same seed): a contact merged away into another, and the
    # utks of both, which all answer with the canonical record listing both vids.
    synthetic = SyntheticPortal(seed=0, contacts=5000, portal_id=portal.portal_id)
    merged_utk = portal.sample_utks(1, kind="merged")[0]
    away = synthetic.resolve(merged_utk)
    assert away is not None
    kept = synthetic.canonical(away)
    its_utks = [*synthetic.utks(kept), *synthetic.utks(away)]
    vid, merged_vid = synthetic.vid(kept), synthetic.vid(away)
    others = [u for u in portal.sample_utks(60) if u not in its_utks]
    result = cached.lookup_utks(its_utks + others, progress=False)
    assert set(result.contacts.loc[result.contacts["utk"].isin(its_utks), "vid"]) == {vid}
    for asked in ({"vids": merged_vid}, {"vids": vid}, {"utks": its_utks[-1]}):
        cached.lookup_utks(its_utks, progress=False)  # cached again before each
        portal.reset_stats()
        report = cached.forget(**asked, quiet=True)  # type: ignore[arg-type]
        assert portal.stats.requests == 0
        assert {vid, merged_vid} <= report.found.vids, asked
        assert set(its_utks) <= report.found.utks, asked
        assert report.removals[0].removed == {"records": len(its_utks)}, asked
    for utk in its_utks:  # every utk of the contact is fetched again
        assert requests_for(portal, cached, [utk]) == 1
    assert requests_for(portal, cached, others) == 0  # and no other one


def test_forget_removes_every_row_of_that_vid_in_every_frame_and_changes_no_other_row(
    portal: SandboxPortal, tmp_path: Path
) -> None:
    # A merged contact reached by its own utk in the first part and by the utk of the
    # contact merged into it in the last part; forgotten by the vid that was merged away.
    synthetic = SyntheticPortal(seed=0, contacts=5000, portal_id=portal.portal_id)
    merged_utk = portal.sample_utks(3, kind="merged")[2]
    away = synthetic.resolve(merged_utk)
    assert away is not None
    vid, merged_vid = synthetic.vid(synthetic.canonical(away)), synthetic.vid(away)
    own_utk = synthetic.utks(synthetic.canonical(away))[0]
    utks = [own_utk, *portal.sample_utks(90), *portal.sample_utks(20, kind="merged"),
            *portal.unknown_utks(3), merged_utk]  # fmt: skip
    root = tmp_path / "visits"
    with HubSpotClient(portal.access_token, base_url=portal.base_url, cache=False) as client:
        lookup_to_dataset(client.fetcher, utks, root, FULL, chunk_size=25)
        before = {name: open_dataset(root).to_pandas(name) for name in FRAME_NAMES}
        assert all(len(before[name]) for name in FRAME_NAMES)
        parts_before = {p: p.read_bytes() for p in root.glob("*/part-*.parquet")}

        portal.reset_stats()
        report = client.forget(vids=merged_vid, datasets=[root], quiet=True)
        assert portal.stats.requests == 0
        (removal,) = report.removals  # cache=False: the dataset is the one place
        assert {vid, merged_vid} <= report.found.vids
        assert {own_utk, merged_utk} <= report.found.utks

        after = open_dataset(root)
        gone_vids = list(report.found.vids)
        for name in FRAME_NAMES:
            frame = before[name]
            keep = ~frame["vid"].isin(gone_vids) if "vid" in frame else True
            if "utk" in frame:
                keep = keep & ~frame["utk"].isin(list(report.found.utks))
            expected = frame[keep].reset_index(drop=True)
            got = after.to_pandas(name)
            pdt.assert_frame_equal(got, expected, obj=name)  # every other row unchanged
            if "vid" in got:
                assert not got["vid"].isin(gone_vids).any(), name
            assert after.counts[name] == len(got), name  # the manifest's counts follow
            assert removal.removed.get(name, 0) == len(frame) - len(expected), name
        assert removal.removed["contacts"] == 2  # both utks' rows, in two parts
        assert len(removal.removed) >= 7  # history, forms, lists, identities, merge audits...
        # Only the parts holding it were rewritten: every other part is byte for byte the same.
        rewritten = {p for p, data in parts_before.items() if p.read_bytes() != data}
        assert len(rewritten) > len(removal.removed)  # contacts in two parts, at least
        assert len(rewritten) < len(parts_before) - len(FRAME_NAMES)
        assert f"{len(rewritten)} parts rewritten" in removal.note
        assert not list(root.rglob("*.tmp"))

        # Rerunning the same lookup does not fetch it again: its utks stay done.
        portal.reset_stats()
        rerun = lookup_to_dataset(client.fetcher, utks, root, FULL, chunk_size=25)
        assert portal.stats.requests == 0 and rerun.complete
        assert not rerun.to_pandas("contacts")["vid"].isin(gone_vids).any()


def test_refetch_makes_its_utks_pending_and_the_next_run_fetches_only_them(
    portal: SandboxPortal, tmp_path: Path
) -> None:
    root = tmp_path / "visits"
    utks = portal.sample_utks(60)
    with HubSpotClient(portal.access_token, base_url=portal.base_url, cache=False) as client:
        lookup_to_dataset(client.fetcher, utks, root, LookupOptions(), chunk_size=20)
        before = open_dataset(root).to_pandas("contacts")
        report = client.forget(utks=utks[30], datasets=[root], refetch=True, quiet=True)
        assert "1 utks made pending" in report.removals[0].note
        ds = open_dataset(root)
        assert not ds.complete and ds.pending == 1
        portal.reset_stats()
        rerun = lookup_to_dataset(client.fetcher, utks, root, LookupOptions(), chunk_size=20)
        assert portal.stats.utks_requested == 1 and rerun.complete
        got = rerun.to_pandas("contacts")
        assert sorted(got["utk"]) == sorted(before["utk"])  # back, once
        assert (
            got.set_index("utk").loc[utks[30], "vid"]
            == before.set_index("utk").loc[utks[30], "vid"]
        )


def test_an_erasure_killed_after_its_commit_is_finished_by_the_next_open(
    portal: SandboxPortal, tmp_path: Path
) -> None:
    root = tmp_path / "visits"
    utks = portal.sample_utks(50)
    with HubSpotClient(portal.access_token, base_url=portal.base_url, cache=False) as client:
        lookup_to_dataset(client.fetcher, utks, root, LookupOptions(), chunk_size=10)
        before = open_dataset(root).to_pandas("properties")
        vid = int(open_dataset(root).to_pandas("contacts")["vid"].iloc[25])
        with DatasetHolder(root) as holder:
            assert holder._writer is not None

            def killed() -> int:
                raise KeyboardInterrupt  # as if the process died between commit and renames

            holder._writer.finish_rewrites = killed  # type: ignore[method-assign]
            with pytest.raises(KeyboardInterrupt):
                holder.erase(holder.find(Identifiers.given(vids=vid)))
        assert list(root.rglob(".part-*.tmp"))  # committed, not renamed yet
        # The next open (here a forget that finds nothing more) rolls the renames forward.
        report = forget(vids=vid, datasets=[root], cache=False, quiet=True)
        assert report.total == 0
        after = open_dataset(root).to_pandas("properties")
        pdt.assert_frame_equal(after, before[before["vid"] != vid].reset_index(drop=True))
        assert not list(root.rglob(".part-*.tmp"))
        assert open_dataset(root).counts["properties"] == len(after)


def test_an_erasure_killed_before_its_commit_leaves_the_dataset_as_it_was(
    portal: SandboxPortal, tmp_path: Path
) -> None:
    root = tmp_path / "visits"
    with HubSpotClient(portal.access_token, base_url=portal.base_url, cache=False) as client:
        lookup_to_dataset(
            client.fetcher, portal.sample_utks(30), root, LookupOptions(), chunk_size=10
        )
    files = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and "_state" not in p.name}
    vid = int(open_dataset(root).to_pandas("contacts")["vid"].iloc[12])
    with DatasetHolder(root) as holder:
        assert holder._writer is not None
        state = holder._writer.state

        def killed(*args: object, **kwargs: object) -> int:
            raise KeyboardInterrupt

        state.forget = killed  # type: ignore[method-assign]
        with pytest.raises(KeyboardInterrupt):
            holder.erase(holder.find(Identifiers.given(vids=vid)))
    now = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and "_state" not in p.name}
    assert now == files  # no temporary file left, no part changed
    assert vid in set(open_dataset(root).to_pandas("contacts")["vid"])


def test_everything_is_checked_before_anything_is_erased(
    portal: SandboxPortal, cached: HubSpotClient, tmp_path: Path
) -> None:
    utk = portal.sample_utks(1)[0]
    cached.lookup_utks([utk], progress=False)
    folder = cached.settings.cache_dir
    with pytest.raises(InvalidOptionError, match="give at least one utk, vid or email"):
        cached.forget(quiet=True)
    with pytest.raises(InvalidOptionError, match="vids='x1' is not valid"):
        cached.forget(utks=utk, vids=["x1"], quiet=True)
    with pytest.raises(DatasetError, match="is not a lookup dataset"):
        cached.forget(utks=utk, datasets=[tmp_path / "nothing-here"], quiet=True)
    root = tmp_path / "visits"
    lookup_to_dataset(cached.fetcher, [utk], root, LookupOptions())
    with DatasetLock(root), pytest.raises(DatasetInUseError):
        cached.forget(utks=utk, datasets=[root], quiet=True)
    assert folder is not None
    assert RecordStoreHolder(folder).find(Identifiers.given(utks=utk))  # still there
    assert open_dataset(root).counts["contacts"] == 1


def test_it_is_never_silent(
    portal: SandboxPortal, cached: HubSpotClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nobody = portal.unknown_utks(1)[0]
    report = cached.forget(utks=nobody)
    out = capsys.readouterr().out
    assert report.total == 0
    assert out.startswith("nothing held for 1 utk: nothing removed")
    assert "record store" in out and "HTTP cache" in out and "no request sent" in out
    utk = portal.sample_utks(1)[0]
    root = tmp_path / "visits"
    cached.lookup_utks([utk, nobody], progress=False)  # the record store
    cached.fetch_batch([utk, nobody])  # an HTTP answer (lookups keep none)
    lookup_to_dataset(cached.fetcher, [utk, nobody], root, LookupOptions())
    report = cached.forget(utks=[utk, nobody], datasets=[root])
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("forgot vid ")
    assert lines[1].startswith("  record store ") and "removed 2 records" in lines[1]
    assert lines[2].startswith("  HTTP cache ") and "removed 1 answer" in lines[2]
    assert lines[3].startswith(f"  dataset {root}: removed rows: contacts 1, ")
    assert "missing 1" in lines[3]  # the unknown utk's row too
    assert str(report) == out.rstrip("\n") == repr(report)


def test_an_interrupt_just_after_the_commit_keeps_the_new_parts_for_the_next_open(
    portal: SandboxPortal, tmp_path: Path
) -> None:
    root = tmp_path / "visits"
    with HubSpotClient(portal.access_token, base_url=portal.base_url, cache=False) as client:
        lookup_to_dataset(
            client.fetcher, portal.sample_utks(30), root, LookupOptions(), chunk_size=10
        )
    before = open_dataset(root).to_pandas("contacts")
    vid = int(before["vid"].iloc[12])
    with DatasetHolder(root) as holder:
        assert holder._writer is not None
        state = holder._writer.state
        commit = state.forget

        def interrupted_after_commit(*args: Any, **kwargs: Any) -> int:
            commit(*args, **kwargs)
            raise KeyboardInterrupt

        state.forget = interrupted_after_commit  # type: ignore[method-assign]
        with pytest.raises(KeyboardInterrupt):
            holder.erase(holder.find(Identifiers.given(vids=vid)))
    assert list(root.rglob(".part-*.tmp"))  # kept: the state says they are the erasure's
    with HubSpotClient(portal.access_token, base_url=portal.base_url, cache=False) as client:
        lookup_to_dataset(client.fetcher, [], root, LookupOptions())  # any open rolls it forward
    after = open_dataset(root)
    pdt.assert_frame_equal(
        after.to_pandas("contacts"), before[before["vid"] != vid].reset_index(drop=True)
    )
    assert after.counts["contacts"] == len(before) - 1
