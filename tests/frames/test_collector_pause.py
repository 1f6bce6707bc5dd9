"""build_frames runs with the cyclic garbage collector paused, and gives its state back.

Pausing it halves the build on large lookups; but the state belongs to the caller, so it is
restored exactly, also when building raises, and never switched on if it was off.
"""

from __future__ import annotations

import gc

import pytest

from hubutk_pandas.frames import build_frames
from tests.conftest import CountCollections

RECORD = {"vid": 1, "properties": {"email": {"value": "a@b.example", "versions": []}}}


def test_no_collection_while_building_and_the_collector_is_back_on(
    gc_collections: CountCollections,
) -> None:
    matched = [(f"u{i}", {**RECORD, "vid": i}) for i in range(500)]
    with gc_collections() as collections:
        frames = build_frames(matched)
    # Unpaused, building from 500 records makes thousands of containers (and collections).
    assert len(collections) < 20, len(collections)
    assert gc.isenabled()
    assert frames["properties"]["vid"].tolist() == list(range(500))


def test_a_disabled_collector_stays_disabled(restore_gc: None) -> None:
    gc.disable()
    assert len(build_frames([("u", RECORD)])["contacts"]) == 1
    assert not gc.isenabled()


@pytest.mark.parametrize("enabled", [True, False])
def test_state_restored_when_building_raises(restore_gc: None, enabled: bool) -> None:
    (gc.enable if enabled else gc.disable)()
    with pytest.raises((TypeError, ValueError)):
        build_frames([("u", 5)])  # type: ignore[list-item]  # not a mapping
    assert gc.isenabled() is enabled
