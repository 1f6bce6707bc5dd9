"""lookup_utks(progress=callable): progress(done, total) per batch, in the calling thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from hubutk_pandas.client import HubSpotClient
from hubutk_pandas.errors import InvalidOptionError, LookupFailedError
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


def _check_sequence(calls: list[tuple[int, int]], total: int) -> None:
    assert calls[0] == (0, total)
    assert [done for done, _ in calls] == list(range(total + 1))  # one step per batch
    assert {t for _, t in calls} == {total}


def test_callback_steps_once_per_batch_in_the_calling_thread(
    make_client: MakeClient, capsys: pytest.CaptureFixture[str]
) -> None:
    with SandboxPortal(contacts=1000) as own:
        progress = Recorder()
        result = make_client(own, max_workers=4).lookup_utks(
            own.sample_utks(650), progress=progress
        )
        assert len(result.contacts) == 650
        _check_sequence(progress.calls, own.stats.requests)  # total = batches sent
        assert own.stats.requests == 7
        assert progress.threads == {threading.get_ident()}
        assert "HubSpot batches" not in capsys.readouterr().err  # a callback replaces the bar


def test_total_counts_only_batches_sent(tmp_path: Path, make_client: MakeClient) -> None:
    with SandboxPortal(contacts=1000) as own:
        utks = own.sample_utks(300)
        client = make_client(own, cache=tmp_path)
        client.lookup_utks(utks[:200], progress=False)
        own.reset_stats()
        progress = Recorder()
        client.lookup_utks(utks, progress=progress)  # 200 from the store, 100 new
        _check_sequence(progress.calls, 1)
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
        _check_sequence(progress.calls, 4)  # a bisected batch counts once


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
        assert "HubSpot batches" in capsys.readouterr().err
        client.lookup_utks(own.sample_utks(150), progress=False)
        assert "HubSpot batches" not in capsys.readouterr().err


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
    assert ("HubSpot batches" in err) is shown
