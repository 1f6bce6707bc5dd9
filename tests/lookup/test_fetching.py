"""Failures in the middle of a lookup: nothing fetched is lost, and errors read cleanly."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from hubutk_pandas import InvalidOptionError, LookupFailedError, connect
from hubutk_pandas.errors import BadRequestError, HubSpotError, RateLimitError
from hubutk_pandas.lookup.fetch import run_batches
from hubutk_pandas.sandbox import SandboxPortal


def test_a_fatal_error_during_bisection_keeps_what_was_fetched_and_why() -> None:
    def get(batch: list[str]) -> dict[str, Any]:
        if "bad" in batch:
            raise BadRequestError(f"utk 'bad' is not valid ({len(batch)})", status=400)
        if batch == ["c"]:
            raise RateLimitError("daily limit", status=429, policy_name="DAILY")
        return {u: {"vid": 1} for u in batch}

    failed: list[tuple[list[str], HubSpotError | None]] = []
    out = list(run_batches([["a", "b", "bad", "c"]], get, max_workers=1, failed=failed))
    # Both halves are tried: [a, b] is fetched, [bad, c] refused and split into [bad]
    # (its 400 kept) and [c], which hits the daily limit.
    assert (["a", "b"], {"a": {"vid": 1}, "b": {"vid": 1}}) in out
    assert [type(answer) for _, answer in out if isinstance(answer, HubSpotError)] == [
        RateLimitError
    ]
    assert [(batch, type(error)) for batch, error in failed] == [(["bad"], BadRequestError)]


def test_a_split_cut_short_by_a_fatal_error_keeps_the_refusal_that_caused_it() -> None:
    def get(batch: list[str]) -> dict[str, Any]:
        if batch == ["c", "d"]:
            raise RateLimitError("daily limit", status=429, policy_name="DAILY")
        if "bad" in batch:
            raise BadRequestError(f"utk 'bad' is not valid ({len(batch)})", status=400)
        return {u: {"vid": 1} for u in batch}

    failed: list[tuple[list[str], HubSpotError | None]] = []
    out = list(run_batches([["a", "bad", "c", "d"]], get, max_workers=1, failed=failed))
    # [a, bad] is refused while [c, d] hits the limit: [a, bad] is not split further,
    # and the 400 that would have split it is what its utks failed with.
    assert [type(answer) for _, answer in out] == [RateLimitError]
    assert [(batch, type(error)) for batch, error in failed] == [(["a", "bad"], BadRequestError)]


def test_a_lookup_that_keeps_failing_reports_each_detail_once(make_client: Any) -> None:
    with SandboxPortal(contacts=200, fault_rate=1.0, faults=("502",)) as portal:
        client = make_client(portal, max_retries=0)
        with pytest.raises(LookupFailedError) as caught:
            client.lookup_utks(portal.sample_utks(3), progress=False)
    text = str(caught.value)
    assert text.count("HTTP 502") == 1, text
    assert caught.value.failed_utks == portal.sample_utks(3)


def test_sandbox_client_with_invalid_options_leaves_no_temporary_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A temporary folder of this test's own: the system's is shared with the other test
    # workers, whose sandbox clients make and remove such folders meanwhile.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def leftovers() -> set[Path]:
        return set(Path(tempfile.gettempdir()).glob("hubutk-sandbox-cache-*"))

    assert Path(tempfile.gettempdir()) == tmp_path
    with pytest.raises(InvalidOptionError, match="max_workers"):
        connect(sandbox=True, contacts=10, max_workers=0)
    assert leftovers() == set()
    # and the folder a valid client makes there is the one this test looks in
    with connect(sandbox=True, contacts=10) as client:
        assert len(leftovers()) == 1
        client.lookup_utks([], progress=False)
    assert leftovers() == set()


def test_a_sandbox_client_never_closed_leaves_no_temporary_folder(tmp_path: Path) -> None:
    """A notebook seldom closes its client: the folder goes when the process ends."""
    script = (
        "import sys, tempfile; tempfile.tempdir = sys.argv[1]\n"
        "from hubutk_pandas import connect\n"
        "client = connect(sandbox=True, contacts=10)\n"
        "client.lookup_utks(client.sandbox.sample_utks(3), progress=False)\n"
        "assert len(list(__import__('pathlib').Path(sys.argv[1]).iterdir())) == 1  # in use\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert list(tmp_path.glob("hubutk-sandbox-cache-*")) == []


def test_a_streamed_lookup_sends_every_chunk_on_one_pool_of_the_clients_workers(
    portal: SandboxPortal, make_client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two chunks are fetched at once; each made a pool of its own before, so a lookup of
    # ten chunks started and ended ten pools' threads, and ran twice the workers at once.
    import threading

    from hubutk_pandas import LookupOptions
    from hubutk_pandas.lookup import lookup_to_dataset

    client = make_client(portal, max_workers=3)
    senders: set[threading.Thread] = set()  # the threads themselves: their ids may be reused
    get_batch = client.fetcher.get_batch

    def recorded(*args: Any, **kwargs: Any) -> Any:
        senders.add(threading.current_thread())
        return get_batch(*args, **kwargs)

    monkeypatch.setattr(client.fetcher, "get_batch", recorded)
    utks = portal.sample_utks(1000)
    ds = lookup_to_dataset(client.fetcher, utks, tmp_path / "ds", LookupOptions(),
                           progress=False, chunk_size=100)  # fmt: skip
    assert ds.counts["contacts"] + ds.counts["missing"] >= 1000  # ten chunks, all answered
    assert 1 <= len(senders) <= 3
    assert all(thread.name.startswith("hubutk") for thread in senders)


def test_batches_sent_on_a_shared_pool_are_all_over_when_the_call_returns() -> None:
    # A shared pool is not shut down when a call leaves it: the call waits for its own
    # batches, also when its caller's callback raises, so that none is sent behind it.
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    in_flight: list[int] = [0]
    lock = threading.Lock()

    def get(batch: list[str]) -> dict[str, Any]:
        with lock:
            in_flight[0] += 1
        time.sleep(0.05)
        with lock:
            in_flight[0] -= 1
        return {u: {"vid": 1} for u in batch}

    def fail(batch: list[str]) -> None:
        raise KeyError("the caller's own bug")

    with ThreadPoolExecutor(4) as shared:
        batches = [[f"u{i}"] for i in range(12)]
        with pytest.raises(KeyError, match="the caller's own bug"):
            list(run_batches(batches, get, max_workers=4, failed=[], on_done=fail, workers=shared))
        assert in_flight == [0]
        assert len(list(run_batches(batches, get, max_workers=4, failed=[], workers=shared))) == 12
        assert in_flight == [0]


def test_each_answer_is_let_go_of_once_handled_not_when_the_last_batch_is() -> None:
    # A lookup holds one group of records at a time: a handled batch's decoded answer
    # must not stay alive in its finished request until the whole fetch ends.
    import weakref

    class Answer(dict[str, Any]):  # a dict that can be weakly referenced
        pass

    def get(batch: list[str]) -> Answer:
        return Answer({u: {"vid": 1} for u in batch})

    seen: list[weakref.ref[Answer]] = []
    batches = [[f"u{i}"] for i in range(20)]
    for _, answer in run_batches(batches, get, max_workers=2, failed=[]):
        seen.append(weakref.ref(answer))
        del answer
        assert [ref() for ref in seen[:-1]] == [None] * (len(seen) - 1)
    assert len(seen) == 20
