"""An in-memory lookup builds its frames a group of entries at a time, while the fetch goes on.

The frames must be exactly those of one build after the fetch (rows, order, dtypes), and
the groups must be built before the last answer arrives, not after it.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from hubutk_pandas._http.store import RECORD_STORE_FILE
from hubutk_pandas.frames import FRAME_NAMES
from hubutk_pandas.lookup import groups
from hubutk_pandas.sandbox import SandboxPortal
from tests.conftest import MakeClient

HEAVY = {"property_mode": "value_and_history", "form_submission_mode": "all"}


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[tuple[float, int]]:
    """``(when, records)`` of every frames build of a group."""
    seen: list[tuple[float, int]] = []
    build = groups.build_frames

    def counted(matched: Any, missing: Any = ()) -> Any:
        seen.append((time.monotonic(), len(matched)))
        return build(matched, missing)

    monkeypatch.setattr(groups, "build_frames", counted)
    return seen


def test_frames_built_in_groups_are_the_frames_of_one_build(
    portal: SandboxPortal,
    make_client: MakeClient,
    monkeypatch: pytest.MonkeyPatch,
    builds: list[tuple[float, int]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    utks = portal.sample_utks(400)
    # a contact asked for again in later groups, by another of its utks (another browser),
    # keeps its other rows from its first one; an invalid cell and a utk nobody has are
    # missing, in their place
    data = portal._main.data
    siblings = [
        other for utk in utks[:150] for other in data.utks(data.resolve(utk)) if other not in utks
    ]
    entries = [*utks[:150], "not a utk;", *portal.unknown_utks(1), *siblings, *utks[150:]]
    client = make_client(portal)
    with pytest.warns(UserWarning, match="1 value cannot be a utk"):
        whole = client.lookup_utks(entries, progress=False, **HEAVY)
    assert len(builds) == 1
    monkeypatch.setattr(groups, "GROUP", 45)
    builds.clear()
    with pytest.warns(UserWarning, match="1 value cannot be a utk"):
        parts = client.lookup_utks(entries, progress=False, **HEAVY)
    assert len(builds) == len(groups.group_starts(len(entries), 45)) == 14  # 10 + a tail of 4
    assert len(siblings) > 40
    assert len(whole.contacts) == 400 + len(siblings) and len(whole.missing) == 2
    assert whole.history["vid"].nunique() > 300
    # the sandbox's companies differ in their properties: the groups' columns are united
    assert len(whole.companies.columns) > 4
    for name in FRAME_NAMES:
        pd.testing.assert_frame_equal(parts.frames[name], whole.frames[name], obj=name)
    # the lookup's summary counts the records of every group (it counted 0: a group's
    # records were let go of before they were counted)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="hubutk_pandas"), pytest.warns(UserWarning):
        client.lookup_utks(entries, progress=False, **HEAVY)
    summary = [r.getMessage() for r in caplog.records if "batches sent" in r.getMessage()]
    assert len(summary) == 1
    assert f"{len(whole.contacts)} matched, 2 missing, 0 failed" in summary[0]


def test_groups_are_built_while_the_pacer_waits_not_after_the_last_answer(
    make_client: MakeClient, monkeypatch: pytest.MonkeyPatch, builds: list[tuple[float, int]]
) -> None:
    # 16 batches of 25 utks at 4 per rolling 0.5 s: four windows, ~1.6 s
    with SandboxPortal(contacts=2000, rate_limit=(4, 500), latency=0.02) as own:
        utks = own.sample_utks(400)
        monkeypatch.setattr(groups, "GROUP", 50)
        answered: list[float] = []
        client = make_client(own, rate_limit=(4, 0.5), max_workers=4, max_url_length=1100)
        result = client.lookup_utks(
            utks, progress=lambda done, total: answered.append(time.monotonic())
        )
        assert len(result.contacts) == 400 and own.stats.by_status.get(429, 0) == 0
    assert len(answered) == 17  # the start, then each of 16 batches
    assert len(builds) == 11  # 0-50, ..., 300-350, then the last 50 in a tail of 4
    early = [when for when, _ in builds if when < answered[-1]]
    # the six groups of the first three windows are built before the last answer; the
    # last group (and any completed by the very last batch) after it
    assert len(early) >= 6
    assert sum(records for _, records in builds) == 400


def test_an_empty_lookup_and_one_of_only_invalid_cells_have_every_frame(
    portal: SandboxPortal, make_client: MakeClient
) -> None:
    client = make_client(portal)
    empty = client.lookup_utks([], progress=False)
    assert all(len(empty.frames[name]) == 0 for name in FRAME_NAMES)
    with pytest.warns(UserWarning, match="cannot be a utk"):
        invalid = client.lookup_utks(["a;b", "c d"], progress=False)
    assert invalid.missing["reason"].tolist() == ["invalid", "invalid"]
    assert list(invalid.contacts.columns) == list(empty.contacts.columns)


def test_a_groups_records_are_let_go_of_once_its_frames_are_built() -> None:
    # A lookup holds one group of decoded records at a time, not the whole lookup's: the
    # frames hold what the records said. The groups after it keep theirs until built.
    from hubutk_pandas.lookup.assemble import Answers

    order = [f"u{i}" for i in range(6)]
    records = {u: {"vid": i, "properties": {"email": {"value": f"{u}@x.example"}}}
               for i, u in enumerate(order)}  # fmt: skip
    answers = Answers(found=dict(records), completed=set(order))
    built = groups.FrameGroups(order, invalid=set(), todo=order, answers=answers, size=2)
    built.settled(order[:2])
    assert built.built == 1 and sorted(answers.found) == order[2:]
    built.settled(order[2:5])
    assert sorted(answers.found) == order[5:]  # every group but the last is built
    frames = built.finish()
    assert frames["properties"]["value"].tolist() == [f"{u}@x.example" for u in order]
    assert frames["contacts"]["vid"].tolist() == list(range(6))


@pytest.fixture
def stored(
    portal: SandboxPortal, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> tuple[Any, list[str], Any]:
    """A client with a record store holding 200 utks' answers (groups of 50), and its result."""
    utks = portal.sample_utks(200)
    monkeypatch.setattr(groups, "GROUP", 50)
    client = make_client(portal, cache=tmp_path)
    return client, utks, client.lookup_utks(utks, progress=False, **HEAVY)


def _rerun(client: Any, utks: list[str], portal: SandboxPortal, cold: Any) -> int:
    """Look ``utks`` up again: the frames must be the first lookup's; returns requests sent."""
    sent = portal.stats.snapshot()["requests"]
    warm = client.lookup_utks(utks, progress=False, **HEAVY)
    for name in FRAME_NAMES:
        pd.testing.assert_frame_equal(warm.frames[name], cold.frames[name], obj=name)
    return int(portal.stats.snapshot()["requests"] - sent)


def _events(client: Any, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """``("read", answers)`` and ``("build", records)`` as the lookup reads and builds."""
    events: list[tuple[str, int]] = []
    recall = client.fetcher.recall

    def recalled(options: Any, run: Any, **kwargs: Any) -> Any:
        found = recall(options, run, **kwargs)
        events.append(("read", len(found)))
        return found

    build = groups.build_frames

    def built(matched: Any, missing: Any = ()) -> Any:
        events.append(("build", len(matched)))
        return build(matched, missing)

    monkeypatch.setattr(client.fetcher, "recall", recalled)
    monkeypatch.setattr(groups, "build_frames", built)
    return events


def test_a_warm_rerun_reads_and_builds_a_group_at_a_time(
    portal: SandboxPortal, monkeypatch: pytest.MonkeyPatch, stored: tuple[Any, list[str], Any]
) -> None:
    # Every record from the store: each group's records are read, built and let go of
    # before the next group's are read, so a rerun holds one group of records, not all.
    client, utks, cold = stored
    events = _events(client, monkeypatch)
    assert _rerun(client, utks, portal, cold) == 0  # nothing asked of HubSpot
    starts = groups.group_starts(200, 50)  # 0, 50, 100, then the last 50 in a tail of 4
    sizes = [end - start for start, end in zip(starts, [*starts[1:], 200], strict=True)]
    # read a group, build it, read the next: the last group is built by finish()
    assert [kind for kind, _ in events] == ["read", "build"] * len(sizes)
    assert [n for kind, n in events if kind == "read"] == sizes


def test_a_damaged_row_in_a_warm_rerun_is_fetched_again_and_the_rest_built_from_the_store(
    portal: SandboxPortal, stored: tuple[Any, list[str], Any], tmp_path: Path
) -> None:
    client, utks, cold = stored
    damaged = [utks[60], utks[61], utks[190]]  # in the second group and in the last
    with sqlite3.connect(tmp_path / RECORD_STORE_FILE) as db:
        for utk in damaged:
            db.execute("UPDATE records SET record = '{\"vid\": 1' WHERE utk = ?", (utk,))
    db.close()
    # Fetched again when their group is built (a group is read just before): the second
    # group's two together, the last group's apart
    assert _rerun(client, utks, portal, cold) == 2


def test_a_partly_stored_lookup_reads_and_builds_a_stored_group_at_a_time_while_it_fetches(
    portal: SandboxPortal, monkeypatch: pytest.MonkeyPatch, stored: tuple[Any, list[str], Any]
) -> None:
    # The store's index says which answers it holds: only the others are asked of HubSpot,
    # the first request goes before any stored answer is read, and each group's stored
    # answers are read just before it is built (they used to be all read first, held at
    # once until the fetch let their groups be built).
    client, utks, cold = stored
    more = [u for u in portal.sample_utks(260) if u not in utks][:40]
    events = _events(client, monkeypatch)
    sent = portal.stats.snapshot()["requests"]
    result = client.lookup_utks(
        [*utks, *more], progress=lambda done, total: events.append(("answer", done)), **HEAVY
    )
    assert portal.stats.snapshot()["requests"] == sent + 1  # the 40 new utks only
    # progress at the start and after the one batch: nothing read or built before them
    assert events[:2] == [("answer", 0), ("answer", 40)]
    starts = groups.group_starts(240, 50)
    expected: list[str] = []
    for start in starts:
        expected += ["read", "build"] if start < 200 else ["build"]  # the 200 stored first
    assert [kind for kind, _ in events[2:]] == expected
    reads = [n for kind, n in events if kind == "read"]
    assert reads == [min(end, 200) - start for start, end in
                     zip(starts, [*starts[1:], 240], strict=True) if start < 200]  # fmt: skip
    assert result.contacts["utk"].tolist() == [*utks, *more]
    for name in ("contacts", "properties", "history", "identities"):
        head = result.frames[name].iloc[: len(cold.frames[name])].reset_index(drop=True)
        pd.testing.assert_frame_equal(head, cold.frames[name], obj=name)


def test_a_damaged_row_in_a_partly_stored_lookup_is_fetched_again_after_the_others(
    portal: SandboxPortal, stored: tuple[Any, list[str], Any], tmp_path: Path
) -> None:
    # Found unreadable while the fetch goes on (its group is read when the batch of new
    # utks is answered): the group waits, and the damaged rows are fetched after the fetch.
    client, utks, cold = stored
    more = [u for u in portal.sample_utks(260) if u not in utks][:40]
    with sqlite3.connect(tmp_path / RECORD_STORE_FILE) as db:
        for utk in (utks[60], utks[61]):
            db.execute("UPDATE records SET record = 'not json' WHERE utk = ?", (utk,))
    db.close()
    sent = portal.stats.snapshot()["requests"]
    result = client.lookup_utks([*utks, *more], progress=False, **HEAVY)
    assert portal.stats.snapshot()["requests"] == sent + 2  # the new utks, then the two
    for name in ("contacts", "properties", "history", "identities"):
        head = result.frames[name].iloc[: len(cold.frames[name])].reset_index(drop=True)
        pd.testing.assert_frame_equal(head, cold.frames[name], obj=name)
    again = client.lookup_utks([*utks, *more], progress=False, **HEAVY)  # stored again, whole
    assert portal.stats.snapshot()["requests"] == sent + 2
    pd.testing.assert_frame_equal(again.contacts, result.contacts)


def test_a_client_kept_open_past_the_expiry_fetches_the_expired_answers_as_one_lookup(
    portal: SandboxPortal, stored: tuple[Any, list[str], Any], tmp_path: Path
) -> None:
    # The store's index must not claim rows that expired since it was opened (a notebook
    # left until the next day): they are planned with the rest, in one fetch with its
    # progress, not found unreadable a group at a time and fetched again group by group.
    client, utks, cold = stored
    with sqlite3.connect(tmp_path / RECORD_STORE_FILE) as db:
        db.execute("UPDATE records SET stored_at = stored_at - 2 * 86400")  # the default: 1 day
    db.close()
    calls: list[tuple[int, int]] = []
    sent = portal.stats.snapshot()["requests"]
    warm = client.lookup_utks(utks, progress=lambda *call: calls.append(call), **HEAVY)
    assert portal.stats.snapshot()["requests"] == sent + 2  # 200 utks: two batches
    assert calls[0] == (0, 200) and calls[-1] == (200, 200)
    for name in ("contacts", "properties", "history"):
        pd.testing.assert_frame_equal(warm.frames[name], cold.frames[name], obj=name)
