"""The writer's narrow windows: an interrupt just after a part's commit, a dataset created
by another writer between the first look at a folder and taking its lock."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from hubutk_pandas import DatasetError, HubSpotClient, LookupOptions, open_dataset
from hubutk_pandas.dataset import writer
from hubutk_pandas.dataset.state import ResumeState
from hubutk_pandas.lookup import lookup_to_dataset
from hubutk_pandas.lookup.stream import dataset_options
from hubutk_pandas.sandbox import SandboxPortal

from .helpers import FULL, FULL_OPTIONS, assert_same_frames, tree_bytes


class InterruptedAfterThirdCommit(ResumeState):
    """A resume state whose third part is committed, then Ctrl-C lands before the rename."""

    def commit_part(self, part: int, seqs: Sequence[int], vids: Any, rows: dict[str, int]) -> None:
        super().commit_part(part, seqs, vids, rows)
        if part == 3:
            raise KeyboardInterrupt


def test_an_interrupt_just_after_a_commit_loses_nothing(
    client: HubSpotClient, portal: SandboxPortal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    utks = portal.sample_utks(500)
    expected = client.lookup_utks(utks, **FULL)
    out = tmp_path / "ds"
    monkeypatch.setattr(writer, "ResumeState", InterruptedAfterThirdCommit)
    with pytest.raises(KeyboardInterrupt):
        lookup_to_dataset(client.fetcher, utks, out, FULL_OPTIONS, progress=False, chunk_size=100)
    monkeypatch.undo()
    # Part 3 is committed (its utks are done) and still under its temporary names: they
    # are its only copy of those rows, so they were kept for the next open to publish.
    assert list((out / "contacts").glob(".part-000003.parquet.tmp"))
    assert len(open_dataset(out).to_pandas("contacts")) == 200  # readers see parts 1 and 2
    portal.reset_stats()
    ds = lookup_to_dataset(client.fetcher, utks, out, FULL_OPTIONS, progress=False, chunk_size=100)
    assert portal.stats.requests == 2  # parts 4 and 5; part 3 was published, not refetched
    assert ds.complete
    assert_same_frames(expected, ds)


def test_a_dataset_created_meanwhile_with_other_options_is_refused_under_the_lock(
    client: HubSpotClient, portal: SandboxPortal, tmp_path: Path
) -> None:
    out = tmp_path / "ds"
    utks = portal.sample_utks(50)
    other = LookupOptions(property_mode="value_and_history")

    created: dict[str, bytes] = {}

    def definitions_while_another_writer_creates_it() -> list[dict[str, Any]]:
        # Called after the first look found no dataset and before the lock is taken.
        lookup_to_dataset(client.fetcher, utks, out, other, progress=False)
        created.update(tree_bytes(out))
        return client.property_definitions()

    with pytest.raises(DatasetError, match="value_and_history"):
        writer.DatasetWriter(
            out,
            dataset_options(LookupOptions()),
            client.settings.base_url,
            definitions_while_another_writer_creates_it,
        )
    assert created and tree_bytes(out) == created  # nothing overwritten
    ds = open_dataset(out)
    assert ds.complete and ds.counts["contacts"] == 50
    assert ds.options.property_mode == "value_and_history"
