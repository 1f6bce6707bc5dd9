"""The record store decodes a bulk read with the cyclic garbage collector paused.

Pausing is safe (json decoding creates no reference cycles) and much faster at scale, but the
collector's state belongs to the caller: it must come back exactly as it was, also when
decoding fails, and must never be switched on if the caller had switched it off.
"""

from __future__ import annotations

import gc
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hubutk_pandas._http.store import RECORD_STORE_FILE, RecordStore, collector_paused
from tests.conftest import CountCollections


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RecordStore]:
    with RecordStore(tmp_path) as opened:
        yield opened


def record(i: int) -> dict[str, Any]:
    return {"vid": i, "properties": {"email": {"value": f"u{i}@x.example", "versions": []}}}


def test_get_decodes_without_a_collection_and_restores_the_collector(
    store: RecordStore, gc_collections: CountCollections
) -> None:
    utks = [f"u{i}" for i in range(2_000)]
    store.put("ns", {u: record(i) for i, u in enumerate(utks)})
    with gc_collections() as collections:
        got = store.get("ns", utks)
    # Unpaused, decoding 2,000 records (4 dicts and a list each) means thousands of
    # collections; paused, only the few allocations around the decode can trigger one.
    assert len(collections) < 20, len(collections)
    assert gc.isenabled()
    assert got["u7"] == record(7)
    assert len(got) == len(utks)


def test_get_leaves_a_disabled_collector_disabled(store: RecordStore, restore_gc: None) -> None:
    store.put("ns", {"u1": record(1), "u2": None})
    gc.disable()
    assert store.get("ns", ["u1", "u2"]) == {"u1": record(1), "u2": None}
    assert not gc.isenabled()


@pytest.mark.parametrize("enabled", [True, False])
def test_a_damaged_row_is_a_cache_miss_and_the_collector_is_restored(
    tmp_path: Path, restore_gc: None, enabled: bool, caplog: pytest.LogCaptureFixture
) -> None:
    with RecordStore(tmp_path) as store:
        store.put("ns", {"good": record(1), "bad": record(2)})
        with sqlite3.connect(tmp_path / RECORD_STORE_FILE) as db:  # a row damaged on disk
            db.execute("UPDATE records SET record = ? WHERE utk = 'bad'", ('{"vid": 1,',))
        (gc.enable if enabled else gc.disable)()
        assert store.get("ns", ["good", "bad"]) == {"good": record(1)}  # "bad" is refetched
        assert gc.isenabled() is enabled
    assert "1 unreadable cached records" in caplog.text


def test_collector_paused_restores_state_on_error(restore_gc: None) -> None:
    gc.enable()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_decoded_records_are_promoted_not_left_for_the_next_young_collection(
    store: RecordStore, gc_collections: CountCollections
) -> None:
    utks = [f"u{i}" for i in range(2_000)]
    store.put("ns", {u: record(i) for i, u in enumerate(utks)})
    gc.enable()
    got = store.get("ns", utks)
    # Left young, the ~8,000 containers just decoded would be scanned by the next young
    # collection, and the one after; promoted, they wait for the next full collection.
    oldest = {id(obj) for obj in gc.get_objects(generation=2)}
    assert id(got["u7"]) in oldest
    assert id(got["u7"]["properties"]) in oldest
    assert len(got) == len(utks)


def test_a_programs_own_freeze_is_left_alone(store: RecordStore, restore_gc: None) -> None:
    store.put("ns", {"u1": record(1)})
    gc.freeze()
    try:
        assert gc.get_freeze_count() > 0
        assert store.get("ns", ["u1"]) == {"u1": record(1)}
        assert gc.get_freeze_count() > 0  # not unfrozen by the store
    finally:
        gc.unfreeze()
