"""The shared window's stored state: compact, read back whole, never stale in a process, and
never overwritten by a decision that missed another's write.

Every request costs the shared window three decisions (book, answer, the portal's headers),
each one transaction on one row. At HubSpot's top tier (250 requests per 10 s) the row holds
up to three windows of slots; written as JSON pairs it took ~3 ms a decision on a loaded
machine, and the window, not the pacer's rules, set how fast a burst could go out.
"""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path
from typing import Any

import pytest

from hubutk_pandas._http.shared_window import SQLiteWindow
from hubutk_pandas._http.window import WindowState

OWNERS = ["host/101/aaaa1111", "host/202/bbbb2222", ""]


def _busy_state(now: float) -> WindowState:
    """A 250-per-10-s window at its fullest: a window of answers and two of expired slots."""
    state = WindowState.fresh(250, 10.0, now=now)
    state.log = [(now - 9.9 + i * 0.0391, OWNERS[i % 3]) for i in range(250)]
    state.expired = [(now - 29.9 + i * 0.0397, OWNERS[i % 2]) for i in range(500)]
    state.flight = {"host/101/aaaa1111#7": (now - 0.1, OWNERS[0], now + 59.9)}
    state.proof, state.trips = (now - 0.2, 3), [0.18, 0.21]
    state.rate_from_headers = True
    return state


def test_a_full_top_tier_window_is_stored_compactly_and_read_back_whole() -> None:
    state = _busy_state(1000.0)
    text = state.to_json()
    # 750 slots: about 16 characters each packed, where [time, owner] pairs took ~45
    assert len(text) < 20 * 750
    again = WindowState.load(text, (100, 10.0), now=1000.0)
    assert again == state
    assert again.log[0] == (1000.0 - 9.9, OWNERS[0])


def test_the_packed_slots_are_the_stored_format_every_process_reads() -> None:
    """Little-endian doubles and 4-byte owner indices, base64: what other processes (and
    versions of the package) on the same window write and read."""
    state = _busy_state(1000.0)
    data = json.loads(state.to_json())
    owners = data["owners"]
    for key, slots in (("log", state.log), ("expired", state.expired)):
        times, index = (base64.b64decode(part) for part in data[key])
        assert times == struct.pack(f"<{len(slots)}d", *(t for t, _ in slots))
        assert index == struct.pack(f"<{len(slots)}I", *(owners.index(o) for _, o in slots))
    assert owners == OWNERS  # in order of first appearance, each once


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.update(v=1),  # the older format: every slot a JSON pair
        lambda d: d.update(owners=[]),  # an owner index with no owner
        lambda d: d["log"].__setitem__(0, d["log"][0][:-4]),  # times and owners disagree
        lambda d: d["expired"].__setitem__(1, "not base64!"),
    ],
)
def test_a_state_of_another_format_or_damaged_starts_afresh(damage: Any) -> None:
    data = json.loads(_busy_state(1000.0).to_json())
    damage(data)
    again = WindowState.load(json.dumps(data), (100, 10.0), now=1000.0)
    assert again == WindowState.fresh(100, 10.0, now=1000.0)


def test_a_window_sees_what_another_wrote_and_keeps_nothing_of_a_failed_decision(
    tmp_path: Path,
) -> None:
    first = SQLiteWindow(tmp_path, lambda salt: "fp", (5, 10.0))
    second = SQLiteWindow(tmp_path, lambda salt: "fp", (5, 10.0))
    try:
        alive = {"ok": True}

        def book(window: SQLiteWindow, slot: str) -> Any:
            return window.run(
                lambda state, now, _: state.book(
                    now, slot, "host/1/x", lease=60.0, margin=0.0, alive=lambda o: alive["ok"]
                )
            )

        def flight(window: SQLiteWindow) -> list[str]:
            return sorted(window.run(lambda state, now, alive: list(state.flight)))

        assert book(first, "a") == 0.0
        assert flight(first) == ["a"]  # its own write, reused
        assert book(second, "b") == 0.0  # the other one writes ...
        assert flight(first) == ["a", "b"]  # ... and the first sees it

        def fail(state: WindowState, now: float, alive: Any) -> None:
            state.flight["ghost"] = (now, "host/1/x", now + 60.0)
            raise RuntimeError("a bug in a decision")

        with pytest.raises(RuntimeError, match="a bug"):
            first.run(fail)
        assert flight(first) == ["a", "b"]  # rolled back: the mutated state is not reused
        assert flight(second) == ["a", "b"]
    finally:
        first.close()
        second.close()


def _book(slot: str) -> Any:
    def decide(state: WindowState, now: float, alive: Any) -> Any:
        return state.book(now, slot, "host/1/x", lease=60.0, margin=0.0, alive=lambda o: True)

    return decide


def test_a_decision_beaten_by_another_process_runs_again_on_what_that_one_wrote(
    tmp_path: Path,
) -> None:
    """Optimistic: a window decides on its own last write; when the row changed since, the
    write misses, and the decision runs again on the row as it is (only that result kept)."""
    first = SQLiteWindow(tmp_path, lambda salt: "fp", (5, 10.0))
    second = SQLiteWindow(tmp_path, lambda salt: "fp", (5, 10.0))
    try:
        first.run(_book("a"))
        second.run(_book("b"))
        seen: list[list[str]] = []

        def look(state: WindowState, now: float, alive: Any) -> int:
            seen.append(sorted(state.flight))
            return len(seen)

        assert first.run(look) == 2
        assert seen == [["a"], ["a", "b"]]  # its own write first, then what is stored
        seen.clear()
        assert first.run(look) == 1  # and now its own write is what is stored
    finally:
        first.close()
        second.close()


def test_a_window_beaten_again_and_again_takes_the_write_lock_and_loses_nothing(
    tmp_path: Path,
) -> None:
    mine = SQLiteWindow(tmp_path, lambda salt: "fp", (50, 10.0))
    other = SQLiteWindow(tmp_path, lambda salt: "fp", (50, 10.0))
    try:
        mine.run(_book("start"))
        calls: list[int] = []

        def contested(state: WindowState, now: float, alive: Any) -> int:
            calls.append(len(state.flight))
            if len(calls) <= 3:  # another process writes while each optimistic try decides
                other.run(_book(f"other-{len(calls)}"))
            state.flight["mine"] = (now, "host/1/x", now + 60.0)
            return len(calls)

        assert mine.run(contested) == 4  # three misses, then under BEGIN IMMEDIATE
        assert calls == [1, 2, 3, 4]  # each try saw one more of the other's slots
        stored = sorted(other.run(lambda state, now, alive: list(state.flight)))
        assert stored == ["mine", "other-1", "other-2", "other-3", "start"]
    finally:
        mine.close()
        other.close()


def test_windows_deciding_at_once_in_threads_lose_no_booking(tmp_path: Path) -> None:
    """Four connections (as four processes) book 150 slots each at the same time: every
    booking is in the stored state, none overwritten by a write that missed it."""
    import threading

    windows = [SQLiteWindow(tmp_path, lambda salt: "fp", (10_000, 10.0)) for _ in range(4)]
    failures: list[BaseException] = []

    def book_many(index: int) -> None:
        try:
            for n in range(150):
                assert windows[index].run(_book(f"{index}-{n}")) == 0.0
        except BaseException as exc:  # reported below, with its traceback
            failures.append(exc)

    threads = [threading.Thread(target=book_many, args=(i,)) for i in range(4)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert not failures, failures
        stored = windows[0].run(lambda state, now, alive: set(state.flight))
        assert stored == {f"{i}-{n}" for i in range(4) for n in range(150)}
    finally:
        for window in windows:
            window.close()
