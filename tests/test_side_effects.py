"""A lookup leaves the rest of the process as it found it: the garbage collector's generations
(the caller's objects are never promoted) and other libraries' loggers (no filter left behind,
no record of the caller's rewritten), while its own log lines still never show a credential."""

from __future__ import annotations

import gc
import logging
import threading
import weakref
from collections.abc import Callable
from pathlib import Path

import pytest

from hubutk_pandas._http.session import RedactingFilter, redacted_logs
from hubutk_pandas.client import HubSpotClient
from hubutk_pandas.sandbox import SandboxPortal

MakeClient = Callable[..., HubSpotClient]
HTTP_LIBRARIES = ("urllib3", "requests", "requests_cache")


class Node:
    """A container that can sit in a reference cycle."""

    def __init__(self) -> None:
        self.me = self


def dropped_cycle() -> weakref.ref[Node]:
    """A reference cycle the caller no longer holds: only the cyclic collector can free it."""
    return weakref.ref(Node())


def test_a_cycle_the_caller_dropped_is_still_freed_by_a_young_collection(
    tmp_path: Path, make_client: MakeClient, restore_gc: None
) -> None:
    with SandboxPortal(contacts=400) as portal:
        client = make_client(portal, cache=tmp_path)
        utks = portal.sample_utks(300)
        client.lookup_utks(utks, property_mode="value_and_history", progress=False)
        portal.reset_stats()
        gc.collect()
        gc.disable()  # from here on, only the collections this test asks for
        ref = dropped_cycle()
        # Served by the record store: its bulk read and the frames build, the paths that
        # pause the collector, run on 300 records.
        result = client.lookup_utks(utks, property_mode="value_and_history", progress=False)
        assert portal.stats.requests == 0
        assert len(result.contacts) == 300 and len(result.history) > 0
        assert ref() is not None  # nothing collected it behind our back
        gc.collect(1)  # a young collection (generations 0 and 1)
        assert ref() is None, "the caller's cycle was moved to the oldest generation"
    # The control: promoting everything (what the store used to do) keeps such a cycle
    # from the young collections, which is what the assertion above would catch.
    ref = dropped_cycle()
    gc.freeze()
    gc.unfreeze()
    gc.collect(1)
    assert ref() is not None
    gc.collect()
    assert ref() is None


def _http_loggers() -> dict[str, list[logging.Filter]]:
    names = [n for n in logging.root.manager.loggerDict if n.split(".")[0] in HTTP_LIBRARIES]
    found: dict[str, list[logging.Filter]] = {}
    for name in {*names, *HTTP_LIBRARIES}:
        found[name] = list(logging.getLogger(name).filters)  # type: ignore[arg-type]
    return found


def test_other_libraries_loggers_are_left_as_found(
    tmp_path: Path, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    before = _http_loggers()
    caller = logging.getLogger("urllib3.connectionpool")

    def progress(done: int, total: int) -> None:  # the calling thread, while workers run
        caller.debug("caller's own line: GET /x?hapikey=%s", "not-ours-123")

    with SandboxPortal(contacts=600) as portal:
        with pytest.warns(UserWarning, match="retired"):
            client = make_client(portal, api_key=portal.api_key, cache=tmp_path)
        client.lookup_utks(portal.sample_utks(250), progress=progress)
        client.lookup_utks(portal.sample_utks(250), progress=progress)  # store hits
        client.lookup_utks(portal.sample_utks(250), endpoint="utks", progress=progress)
    after = _http_loggers()
    assert {n: after[n] for n in before} == before
    assert not [n for n, fs in after.items() if any(isinstance(f, RedactingFilter) for f in fs)]
    messages = [r.getMessage() for r in caplog.records]
    callers = [m for m in messages if m.startswith("caller's own line")]
    assert len(callers) >= 3 and all("hapikey=not-ours-123" in m for m in callers)
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("urllib3.")]
    assert any("hapikey=REDACTED" in m for m in ours)
    assert not [m for m in messages if portal.api_key in m]


def test_only_the_thread_running_a_request_is_redacted(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="urllib3")
    log = logging.getLogger("urllib3.connectionpool")
    inside, release = threading.Event(), threading.Event()

    def request() -> None:
        with redacted_logs():
            log.debug("worker: GET /p?hapikey=%s", "secret-1")
            inside.set()
            release.wait(10)

    worker = threading.Thread(target=request)
    worker.start()
    assert inside.wait(10)
    log.debug("caller: GET /p?hapikey=%s", "mine-2")  # while the worker's request runs
    release.set()
    worker.join(10)
    assert [r.getMessage() for r in caplog.records] == [
        "worker: GET /p?hapikey=REDACTED",
        "caller: GET /p?hapikey=mine-2",
    ]
    assert not [f for f in log.filters if isinstance(f, RedactingFilter)]


def test_the_collector_rests_while_answers_pile_up_and_is_restored_as_found(
    make_client: MakeClient,
) -> None:
    """Paused for an in-memory lookup's fetch, back on after it, even when the lookup raises.

    As decoded containers, 100,000 contacts made the collector run 11 full collections
    (6 s of pauses that stall every worker). A caller who had switched it off keeps it off.
    """
    with SandboxPortal(contacts=500, seed=8) as portal:
        client = make_client(portal)
        utks = portal.sample_utks(250)
        seen: list[bool] = []
        client.lookup_utks(utks, progress=lambda done, total: seen.append(gc.isenabled()))
        assert seen and not any(seen) and gc.isenabled()

        def broken(done: int, total: int) -> None:
            if done:
                raise ZeroDivisionError("the caller's callback")

        with pytest.raises(ZeroDivisionError):
            client.lookup_utks(portal.sample_utks(300)[50:], progress=broken)
        assert gc.isenabled()
        gc.disable()
        try:
            client.lookup_utks(utks, progress=False, refresh=True)
            assert not gc.isenabled()
        finally:
            gc.enable()


def test_a_streamed_lookup_pauses_the_collector_and_sweeps_every_twenty_chunks(
    tmp_path: Path, make_client: MakeClient
) -> None:
    """Off while chunks stream, a full collection every 20 chunks, back on as found.

    The sweep keeps cyclic garbage bounded in a run of any length: a cycle dropped
    during the first chunks is gone by the 21st report, not at the run's end.
    """
    from hubutk_pandas.lookup import lookup_to_dataset
    from hubutk_pandas.options import LookupOptions

    with SandboxPortal(contacts=400, seed=9) as portal:
        client = make_client(portal)
        utks = portal.sample_utks(250)
        seen: list[bool] = []
        refs: list[weakref.ref[Node]] = []
        alive_at: dict[int, bool] = {}

        def report(done: int, total: int) -> None:
            seen.append(gc.isenabled())
            if done:  # one report per chunk of 10 utks
                if len(refs) < 5:
                    refs.append(dropped_cycle())
                alive_at[done // 10] = any(ref() is not None for ref in refs)

        lookup_to_dataset(client.fetcher, utks, tmp_path / "a", LookupOptions(), progress=report,
                          chunk_size=10)  # fmt: skip
        assert len(seen) == 26 and not any(seen[1:]) and gc.isenabled()  # [0]: before any fetch
        assert alive_at[19] and not alive_at[20], "the 20th chunk's sweep freed the cycles"

        def broken(done: int, total: int) -> None:
            if done:
                raise ZeroDivisionError("the caller's callback")

        with pytest.raises(ZeroDivisionError):
            lookup_to_dataset(client.fetcher, utks, tmp_path / "b", LookupOptions(),
                              progress=broken, chunk_size=10)  # fmt: skip
        assert gc.isenabled()
        gc.disable()
        try:
            lookup_to_dataset(client.fetcher, utks, tmp_path / "c", LookupOptions(), progress=False,
                              chunk_size=10)  # fmt: skip
            assert not gc.isenabled()
        finally:
            gc.enable()
