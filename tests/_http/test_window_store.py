"""The shared window's stored state: compact, read back whole, and never stale in a process.

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
