"""The record store reads in bulk with the cyclic garbage collector paused, and decodes the rows.

Pausing is safe and faster at scale, but the collector's state belongs to the caller: it must
come back exactly as it was, also when reading fails, and must never be switched on if the
caller had switched it off. The records come back decoded (since issue 19: decoding is also
the check that a row is a JSON object, which SQLite's ``json_valid`` did before, parsing
every record once more).
"""

from __future__ import annotations

import gc
import json
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
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


def decoded(found: dict[str, Any]) -> dict[str, Any]:
    """The store's answers: each a decoded record (a dict), or None for not found."""
    assert all(record is None or type(record) is dict for record in found.values())
    return found


def test_get_reads_without_a_collection_and_restores_the_collector(
    store: RecordStore, gc_collections: CountCollections
) -> None:
    utks = [f"u{i}" for i in range(2_000)]
    store.put("ns", {u: record(i) for i, u in enumerate(utks)})
    with gc_collections() as collections:
        got = store.get("ns", utks)
    # Unpaused (threshold 1), reading 2,000 rows (a tuple each) means thousands of
    # collections; paused, only the few allocations around the read can trigger one.
    assert len(collections) < 20, len(collections)
    assert gc.isenabled()
    assert got["u7"] == record(7)
    assert len(got) == len(utks)


def test_get_leaves_a_disabled_collector_disabled(store: RecordStore, restore_gc: None) -> None:
    store.put("ns", {"u1": record(1), "u2": None})
    gc.disable()
    assert decoded(store.get("ns", ["u1", "u2"])) == {"u1": record(1), "u2": None}
    assert not gc.isenabled()


@pytest.mark.parametrize("enabled", [True, False])
def test_a_damaged_row_is_a_cache_miss_and_the_collector_is_restored(
    tmp_path: Path, restore_gc: None, enabled: bool, caplog: pytest.LogCaptureFixture
) -> None:
    with RecordStore(tmp_path) as store:
        store.put("ns", {"good": record(1), "bad": record(2)})
        store.put("ns", {"list": record(3)})
        with sqlite3.connect(tmp_path / RECORD_STORE_FILE) as db:  # rows damaged on disk
            db.execute("UPDATE records SET record = ? WHERE utk = 'bad'", ('{"vid": 1,',))
            db.execute("UPDATE records SET record = ? WHERE utk = 'list'", ("[1, 2]",))
        (gc.enable if enabled else gc.disable)()
        got = store.get("ns", ["good", "bad", "list"])
        assert decoded(got) == {"good": record(1)}  # the others are fetched again
        assert gc.isenabled() is enabled
    assert "2 unreadable cached records" in caplog.text


def test_rows_of_another_type_are_misses_too(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A damaged file may hold a number, bytes that are not UTF-8 JSON, or a JSON string
    # where a record was: none is a record, none fails the lookup.
    with RecordStore(tmp_path) as store:
        store.put("ns", {u: record(i) for i, u in enumerate(["a", "b", "c", "d", "ok"])})
        store.put("ns", {"gone": None})
        with sqlite3.connect(tmp_path / RECORD_STORE_FILE) as db:
            odd = [("a", 42), ("b", b"\xff{"), ("c", '"text"'), ("d", b'{"vid": 4}')]
            # "ok": a row as the store wrote it before orjson (the standard library's spacing)
            odd.append(("ok", json.dumps(record(4))))
            for utk, value in odd:
                db.execute("UPDATE records SET record = ? WHERE utk = ?", (value, utk))
        got = store.get("ns", ["a", "b", "c", "d", "ok", "gone"])
    # A JSON object stored as a BLOB is still a record (it decodes as one).
    assert decoded(got) == {"d": {"vid": 4}, "ok": record(4), "gone": None}
    assert "3 unreadable cached records" in caplog.text


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


def test_a_programs_own_freeze_is_left_alone(store: RecordStore, restore_gc: None) -> None:
    store.put("ns", {"u1": record(1)})
    gc.freeze()
    try:
        assert gc.get_freeze_count() > 0
        assert decoded(store.get("ns", ["u1"])) == {"u1": record(1)}
        assert gc.get_freeze_count() > 0  # not unfrozen by the store
    finally:
        gc.unfreeze()


def test_records_round_trip_exactly_whatever_encoder_stores_them(store: RecordStore) -> None:
    # orjson stores the rows; what it refuses (integers past 64 bits, lone surrogates) and
    # non-ASCII text still round-trip, through the standard library's encoder.
    odd = {
        "vid": 2**70,
        "properties": {"firstname": {"value": "Zoë \\u2603 ☃", "versions": []}},
        "lone": "\ud800",
        "float": 0.1,
    }
    store.put("ns", {"odd": odd, "plain": record(1)})
    assert decoded(store.get("ns", ["odd", "plain"])) == {"odd": odd, "plain": record(1)}


def test_a_new_store_has_big_pages_and_an_old_one_keeps_its_own(tmp_path: Path) -> None:
    # A record with full history (~10 KB) fits a 16 KB page instead of a chain of 4 KB
    # overflow pages; a file made before keeps its 4 KB pages and still reads and writes.
    new, old = tmp_path / "new", tmp_path / "old"
    old.mkdir()
    with sqlite3.connect(old / RECORD_STORE_FILE) as con:
        con.execute("PRAGMA page_size=4096")
        con.execute(
            "CREATE TABLE records (namespace TEXT NOT NULL, utk TEXT NOT NULL,"
            " record TEXT, stored_at REAL NOT NULL, PRIMARY KEY (namespace, utk))"
        )
    con.close()
    big = {"vid": 1, "properties": {f"p{i}": {"value": "v" * 200} for i in range(50)}}
    for folder, pages in ((new, 16384), (old, 4096)):
        with RecordStore(folder) as opened:
            opened.put("ns", {"u": big, "gone": None})
            assert decoded(opened.get("ns", ["u", "gone"])) == {"u": big, "gone": None}
        with sqlite3.connect(folder / RECORD_STORE_FILE) as con:
            assert con.execute("PRAGMA page_size").fetchone() == (pages,)
        con.close()


def test_held_says_which_utks_have_a_row_in_that_namespace(store: RecordStore) -> None:
    utks = [f"u{i}" for i in range(1_200)]  # more than one query's worth of parameters
    store.put("ns", {u: (record(i) if i % 3 else None) for i, u in enumerate(utks)})
    store.put("other", {"x": record(1)})
    assert store.held("ns", utks) == set(utks)  # "not found" answers are stored answers too
    assert store.held("ns", [*utks[:10], "nobody", "x"]) == set(utks[:10])
    assert store.held("other", utks) == set()
    assert store.held("ns", []) == set()


def _age(folder: Path, utks: list[str], seconds: float) -> None:
    """Make ``utks``' rows ``seconds`` older, as if stored that long before."""
    with sqlite3.connect(folder / RECORD_STORE_FILE) as db:
        for utk in utks:
            db.execute("UPDATE records SET stored_at = stored_at - ? WHERE utk = ?", (seconds, utk))
    db.close()


def test_held_sweeps_rows_that_expired_while_the_store_was_open(tmp_path: Path) -> None:
    # A client kept open past the expiry (a notebook left until the next day): the rows
    # it stored have expired since the store was opened, and must not be claimed.
    utks = [f"u{i}" for i in range(20)]
    with RecordStore(tmp_path, expire_after=timedelta(hours=1)) as opened:
        opened.put("ns", {u: record(i) for i, u in enumerate(utks)})
        _age(tmp_path, utks[:15], 2 * 3600)
        assert opened.held("ns", utks) == set(utks[15:])
        assert set(opened.get("ns", utks)) == set(utks[15:])
    with sqlite3.connect(tmp_path / RECORD_STORE_FILE) as db:  # deleted, not only skipped
        assert db.execute("SELECT count(*) FROM records").fetchone() == (5,)
    db.close()
    with RecordStore(tmp_path) as forever:  # no expiry: nothing is swept
        forever.put("ns", {"old": record(1)})
        _age(tmp_path, ["old"], 10 * 365 * 86400)
        assert forever.held("ns", ["old"]) == {"old"}


def test_expired_rows_are_found_by_an_index_not_by_reading_every_row(tmp_path: Path) -> None:
    # The sweep at each open and before each lookup must not cost a read of the whole store
    RecordStore(tmp_path, expire_after=timedelta(days=1)).close()
    with sqlite3.connect(tmp_path / RECORD_STORE_FILE) as db:
        for query in ("SELECT 1 FROM records WHERE stored_at < ? LIMIT 1",
                      "DELETE FROM records WHERE stored_at < ?"):  # fmt: skip
            plan = " ".join(row[-1] for row in db.execute(f"EXPLAIN QUERY PLAN {query}", (0.0,)))
            assert "USING COVERING INDEX records_stored_at" in plan or (
                "USING INDEX records_stored_at" in plan
            ), plan
    db.close()
