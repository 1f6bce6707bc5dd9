"""The record store commits an in-memory lookup's answers in groups, and keeps them when stopped."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hubutk_pandas._http.store import RECORD_STORE_FILE
from hubutk_pandas.lookup import memory
from hubutk_pandas.sandbox import SandboxPortal
from tests.conftest import MakeClient


def change_counter(folder: Path) -> int:
    """SQLite's file change counter (header bytes 24-27): one more per committed write."""
    return int.from_bytes((folder / RECORD_STORE_FILE).read_bytes()[24:28], "big")


@pytest.fixture
def own() -> Iterator[SandboxPortal]:
    """A portal of the test's own: batches of exactly 100 utks (the session's may be tuned)."""
    with SandboxPortal(contacts=2000, rate_limit=(10_000, 10_000)) as portal:
        yield portal


def test_a_lookup_commits_its_answers_in_groups_not_per_batch(
    own: SandboxPortal, make_client: MakeClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    portal = own
    client = make_client(portal, cache=tmp_path)
    before = change_counter(tmp_path)
    utks = portal.sample_utks(450)  # five batches
    client.lookup_utks(utks, progress=False)
    assert change_counter(tmp_path) - before == 1  # one group: a commit, not five
    monkeypatch.setattr(memory, "STORE_EVERY", 200)
    before = change_counter(tmp_path)
    client.lookup_utks(portal.sample_utks(900)[450:], progress=False)  # five more batches
    # 200, 200 and the last 50: three groups, and never one commit per batch (five). The
    # floor's SQLite (Python 3.10) counted two for the same run, so the bound is what holds.
    assert 2 <= change_counter(tmp_path) - before <= 3
    portal.reset_stats()
    assert len(client.lookup_utks(portal.sample_utks(900), progress=False).contacts) == 900
    assert portal.stats.requests == 0  # every answer was stored


def test_answers_that_arrived_are_stored_when_the_lookup_is_stopped(
    own: SandboxPortal, make_client: MakeClient, tmp_path: Path
) -> None:
    portal = own

    class Stop(Exception):
        pass

    def stop_after_three_batches(done: int, total: int) -> None:
        if done >= 300:
            raise Stop

    utks = portal.sample_utks(500)
    client = make_client(portal, cache=tmp_path, max_workers=1)
    with pytest.raises(Stop):
        client.lookup_utks(utks, progress=stop_after_three_batches)
    portal.reset_stats()
    again = make_client(portal, cache=tmp_path, max_workers=1)
    assert len(again.lookup_utks(utks, progress=False).contacts) == 500
    # At least the three batches answered before the stop came from the store.
    assert portal.stats.utks_requested <= 200
