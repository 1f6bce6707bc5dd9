"""progress counts utks in both sinks: progress(done, total) in the calling thread.

In memory a step per batch, with a dataset (``out=``) a step per chunk written; ``total`` is
the utks sent to HubSpot (valid, not answered by the record store or already in the dataset).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from hubutk_pandas.client import HubSpotClient
from hubutk_pandas.errors import InvalidOptionError, LookupFailedError
from hubutk_pandas.lookup import lookup_to_dataset
from hubutk_pandas.options import LookupOptions
from hubutk_pandas.sandbox import SandboxPortal

MakeClient = Callable[..., HubSpotClient]


class Recorder:
    """A progress callback that remembers its calls and the thread of each."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []
        self.threads: set[int] = set()

    def __call__(self, done: int, total: int) -> None:
        self.calls.append((done, total))
        self.threads.add(threading.get_ident())

    def steps(self) -> list[int]:
        """How many utks each call after the first added."""
        done = [d for d, _ in self.calls]
        return [b - a for a, b in itertools.pairwise(done)]


def _check_sequence(recorder: Recorder, total: int, steps: list[int]) -> None:
    """(0, total) first, then one call per step (any order), ending at (total, total)."""
    assert recorder.calls[0] == (0, total)
    assert sorted(recorder.steps()) == sorted(steps)
    assert recorder.calls[-1] == (total, total)
    assert {t for _, t in recorder.calls} == {total}


def test_callback_counts_utks_a_step_per_batch_in_the_calling_thread(
    make_client: MakeClient, capsys: pytest.CaptureFixture[str]
) -> None:
    with SandboxPortal(contacts=1000) as own:
        progress = Recorder()
        result = make_client(own, max_workers=4).lookup_utks(
            [*own.sample_utks(650), "bad;utk", None], progress=progress
        )
        assert len(result.contacts) == 650
        assert own.stats.requests == 7
        _check_sequence(progress, 650, [100] * 6 + [50])  # the invalid value is not sent
        assert progress.threads == {threading.get_ident()}
        assert "HubSpot lookup" not in capsys.readouterr().err  # a callback replaces the bar


def test_total_counts_only_utks_sent(tmp_path: Path, make_client: MakeClient) -> None:
    with SandboxPortal(contacts=1000) as own:
        utks = own.sample_utks(300)
        client = make_client(own, cache=tmp_path)
        client.lookup_utks(utks[:200], progress=False)
        own.reset_stats()
        progress = Recorder()
        client.lookup_utks(utks, progress=progress)  # 200 from the store, 100 new
        assert progress.calls == [(0, 100), (100, 100)]
        assert own.stats.requests == 1
        nothing = Recorder()
        client.lookup_utks(utks, progress=nothing)  # all from the store
        assert nothing.calls == [(0, 0)]


def test_callback_ends_at_total_when_batches_fail(make_client: MakeClient) -> None:
    with SandboxPortal(contacts=1000) as own:
        utks = own.sample_utks(400)
        own.poison(utks[10], utks[390])
        progress = Recorder()
        with pytest.raises(LookupFailedError) as info:
            make_client(own).lookup_utks(utks, progress=progress)
        assert info.value.failed_utks == [utks[10], utks[390]]
        _check_sequence(progress, 400, [100] * 4)  # a bisected batch counts once


def test_a_dataset_counts_the_same_units_a_step_per_chunk(
    tmp_path: Path, make_client: MakeClient, capsys: pytest.CaptureFixture[str]
) -> None:
    with SandboxPortal(contacts=1000) as own:
        client = make_client(own)
        utks = own.sample_utks(650)
        memory, disk = Recorder(), Recorder()
        client.lookup_utks([*utks, "bad;utk"], progress=memory)
        lookup_to_dataset(client.fetcher, [*utks[:400], "bad;utk"], tmp_path / "ds",
                          LookupOptions(), progress=disk, chunk_size=250)  # fmt: skip
        # chunks of 250 entries: 250 utks, then 150 utks and the invalid value (not sent)
        _check_sequence(disk, 400, [250, 150])
        assert disk.threads == {threading.get_ident()}
        again = Recorder()  # the same dataset, more utks: only the new ones count
        client.lookup_utks(utks, progress=again, out=tmp_path / "ds")
        _check_sequence(again, 250, [250])
        assert memory.calls[-1] == (650, 650)  # both sinks end at the utks they sent
        assert "HubSpot lookup" not in capsys.readouterr().err
        client.lookup_utks(own.sample_utks(800), progress=True, out=tmp_path / "bar")
        assert "HubSpot lookup" in capsys.readouterr().err  # the same bar as in memory


def test_a_fatal_stop_still_ends_a_dataset_at_total(
    tmp_path: Path, make_client: MakeClient
) -> None:
    with SandboxPortal(contacts=2000, daily_limit=3) as own:
        client = make_client(own, max_workers=1)
        progress = Recorder()
        with pytest.raises(LookupFailedError):
            lookup_to_dataset(client.fetcher, own.sample_utks(900), tmp_path / "ds",
                              LookupOptions(), progress=progress, chunk_size=100)  # fmt: skip
        assert progress.calls[0] == (0, 900) and progress.calls[-1] == (900, 900)


def test_an_exception_in_the_callback_stops_the_lookup(make_client: MakeClient) -> None:
    with SandboxPortal(contacts=600) as own:
        client = make_client(own)

        def broken(done: int, total: int) -> None:
            raise RuntimeError("widget gone")

        with pytest.raises(RuntimeError, match="widget gone"):
            client.lookup_utks(own.sample_utks(250), progress=broken)
        assert own.stats.requests == 0  # raised at (0, total), before anything was sent


def test_bar_choices_still_work(
    make_client: MakeClient, capsys: pytest.CaptureFixture[str]
) -> None:
    with SandboxPortal(contacts=300) as own:
        client = make_client(own)
        client.lookup_utks(own.sample_utks(150), progress=True)
        assert "HubSpot lookup" in capsys.readouterr().err
        client.lookup_utks(own.sample_utks(150), progress=False)
        assert "HubSpot lookup" not in capsys.readouterr().err


@pytest.mark.parametrize("value", [5, "auto", 0.5, [print]])
def test_progress_must_be_a_callable_or_none_or_bool(
    portal: SandboxPortal, make_client: MakeClient, value: object
) -> None:
    client = make_client(portal)
    portal.reset_stats()
    with pytest.raises(InvalidOptionError, match="progress"):
        client.lookup_utks(portal.sample_utks(3), progress=value)  # type: ignore[arg-type]
    assert portal.stats.requests == 0  # refused before any request


@pytest.mark.parametrize(
    ("progress", "n_utks", "shown"),
    [
        (None, 250, True),  # auto: more than one batch to send
        (None, 50, False),  # auto: a single batch needs no bar
        (False, 250, False),
        (True, 50, True),
    ],
)
def test_tqdm_bar_auto_forced_and_silenced(
    make_client: MakeClient,
    capsys: pytest.CaptureFixture[str],
    progress: bool | None,
    n_utks: int,
    shown: bool,
) -> None:
    with SandboxPortal(contacts=1000) as own:
        client = make_client(own)
        client.lookup_utks(own.sample_utks(n_utks), progress=progress)
    err = capsys.readouterr().err
    assert ("HubSpot lookup" in err) is shown
