"""One rate window per credential, shared by processes, against the sandbox's own window.

HubSpot's burst limit is per credential. Several processes on one token (notebooks, a
scheduled lookup, the proxy) must together stay under it: each test here runs real
processes (``spawn``) against a sandbox with a small window (10 requests per rolling
second, so the tests stay short), and checks the sandbox's own count of 429s, the utks
found, and the combined rate against the ceiling.

The sandbox prebuilds the people behind the utks (it would otherwise build them on the
cores the clients use, which HubSpot's servers do not), and the lookups ask for one
property. The ideal for N requests at 10 per rolling second: a full window at once, then a window
every second, so the N-th request cannot go before ``floor((N - 1) / 10)`` seconds; plus
one answer (see ``benchmarks/bench_pacer.py`` for the figures at HubSpot's own window).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from hubutk_pandas.client import HubSpotClient
from hubutk_pandas.errors import LookupFailedError, RateLimitError
from hubutk_pandas.sandbox import SandboxPortal

pytestmark = pytest.mark.timeout(180)

CTX = mp.get_context("spawn")
WINDOW = (10, 1.0)
LATENCY = 0.02
FAST = {"backoff_factor": 0.01, "backoff_max": 0.05, "max_retry_time": 30.0, "timeout": 10.0}
BY_UTK = "/contacts/v1/contact/byUtk/batch/"


def _lookup_child(
    base_url: str,
    token: str,
    utks: list[str],
    options: dict[str, Any],
    go: Any,
    results: Any,
) -> None:
    """A process looking ``utks`` up once ``go`` is set; reports to ``results``."""
    from hubutk_pandas.client import HubSpotClient
    from hubutk_pandas.errors import LookupFailedError

    with HubSpotClient(token, base_url=base_url, **options) as client:
        client.lookup_utks([], progress=False)  # imports what a lookup needs, no request
        results.put(("ready", os.getpid()))
        go.wait(60)
        started = time.monotonic()
        last = [started]

        def progress(done: int, total: int) -> None:
            last[0] = time.monotonic()
            results.put(("progress", os.getpid(), done))

        try:
            result = client.lookup_utks(utks, progress=progress, properties=["email"])
        except LookupFailedError as exc:
            partial = exc.partial
            found = 0 if partial is None else len(partial.contacts)
            outcome = (found, len(exc.failed_utks), repr(exc))
        else:
            outcome = (len(result.contacts), 0, None)
        results.put(("done", os.getpid(), started, last[0], *outcome))


class Children:
    """Lookup processes started together; their reports."""

    def __init__(self) -> None:
        self.go = CTX.Event()
        self.results: Any = CTX.Queue()
        self.processes: list[Any] = []
        self.done: dict[int, tuple[Any, ...]] = {}

    def start(self, portal: SandboxPortal, utks: list[str], **options: Any) -> Any:
        process = CTX.Process(
            target=_lookup_child,
            args=(portal.base_url, portal.access_token, utks, options, self.go, self.results),
            daemon=True,
        )
        process.start()
        self.processes.append(process)
        return process

    def wait_ready(self, count: int) -> None:
        ready = 0
        while ready < count:
            kind, *_ = self.results.get(timeout=90)
            ready += kind == "ready"

    def wait_progress(self, pid: int, done: int) -> None:
        """Until process ``pid`` reported ``done`` batches (other reports are kept)."""
        while True:
            report = self.results.get(timeout=60)
            if report[0] == "done":
                self.done[report[1]] = report
            elif report[0] == "progress" and report[1] == pid and report[2] >= done:
                return

    def wait_done(self, count: int) -> list[tuple[Any, ...]]:
        while len(self.done) < count:
            report = self.results.get(timeout=150)
            if report[0] == "done":
                self.done[report[1]] = report
        return list(self.done.values())

    def close(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.kill()
            process.join(10)
        self.results.close()
        self.results.join_thread()


@pytest.fixture
def children() -> Iterator[Children]:
    made = Children()
    try:
        yield made
    finally:
        made.close()


def ideal_seconds(requests_: int, window: tuple[int, float] = WINDOW) -> float:
    """The fastest ``requests_`` can be answered under a rolling window (one answer included)."""
    return window[1] * ((requests_ - 1) // window[0]) + LATENCY


@pytest.mark.slow
@pytest.mark.system
def test_three_processes_on_one_credential_lose_nothing_and_reach_the_ceiling(
    tmp_path: Path, children: Children
) -> None:
    with SandboxPortal(contacts=8000, rate_limit=(10, 1000), latency=LATENCY) as portal:
        utks = portal.sample_utks(1800)
        # The sandbox shares this machine's two cores with the clients; HubSpot does not.
        portal.prebuild(utks)
        parts = [utks[i * 600 : (i + 1) * 600] for i in range(3)]
        options = {"cache": False, "rate_window": str(tmp_path), "rate_limit": WINDOW, **FAST}
        options["max_url_length"] = 1100  # 25 utks a request: 72 requests in all
        for part in parts:
            children.start(portal, part, **options)
        children.wait_ready(3)
        portal.reset_stats()
        children.go.set()
        reports = children.wait_done(3)
        answered = portal.stats.by_status[200]
        refused = portal.stats.by_status[429]
    for _, _, _, _, found, lost, error in reports:
        assert (found, lost, error) == (600, 0, None)
    assert answered >= 72
    assert refused <= 3, portal.stats.by_status  # a handful at most (each process alone: ~100)
    elapsed = max(r[3] for r in reports) - min(r[2] for r in reports)
    share = ideal_seconds(answered) / elapsed
    assert share >= 0.9, f"{answered} requests in {elapsed:.2f}s: {share:.1%} of the ideal"


def _neighbour(portal: SandboxPortal, every: float, stop: threading.Event, seen: list[int]) -> None:
    """Another app on the same credential: a request every ``every`` s, whatever it hears."""
    session = requests.Session()
    headers = {"Authorization": f"Bearer {portal.access_token}"}
    utk = portal.sample_utks(1)
    next_at = time.monotonic()
    while not stop.is_set():
        answer = session.get(portal.base_url + BY_UTK, params={"utk": utk}, headers=headers)
        seen.append(answer.status_code)
        next_at += every
        stop.wait(max(0.0, next_at - time.monotonic()))
    session.close()


def test_a_neighbour_taking_half_the_window_costs_no_utks(tmp_path: Path) -> None:
    # A 429 caused by someone else's requests is retried, never counted against the
    # retries of a failing request: with max_retries=0 a single one would lose a batch.
    with SandboxPortal(contacts=4000, rate_limit=(10, 1000), latency=LATENCY) as portal:
        utks = portal.sample_utks(800)
        stop, seen = threading.Event(), []
        neighbour = threading.Thread(target=_neighbour, args=(portal, 0.2, stop, seen))
        neighbour.start()
        try:
            time.sleep(0.5)
            with HubSpotClient(
                portal.access_token,
                base_url=portal.base_url,
                cache=False,
                rate_window=str(tmp_path),
                rate_limit=WINDOW,
                max_retries=0,
                max_url_length=1100,
                **{k: v for k, v in FAST.items() if k != "max_retries"},
            ) as client:
                result = client.lookup_utks(utks, progress=False)
        finally:
            stop.set()
            neighbour.join()
    assert len(result.contacts) == 800
    assert len(seen) >= 10  # the neighbour was there all along, at about 5 a second
    assert portal.stats.by_status[429] > 0  # and it did push the lookup over, more than once


def test_429s_beyond_max_retries_are_retried_until_the_budget(tmp_path: Path) -> None:
    with SandboxPortal(contacts=500, rate_limit=(50, 500)) as portal:
        utks = portal.sample_utks(200)
        portal.inject("429", count=6)  # more refusals in a row than max_retries
        with HubSpotClient(
            portal.access_token,
            base_url=portal.base_url,
            cache=False,
            rate_window=str(tmp_path),
            max_workers=1,
            max_retries=2,
            **{k: v for k, v in FAST.items() if k != "max_retries"},
        ) as client:
            result = client.lookup_utks(utks, progress=False)
        assert len(result.contacts) == 200
        assert portal.stats.by_status[429] == 6


def test_a_refusal_lasting_past_the_budget_ends_the_lookup_with_its_partial(
    tmp_path: Path,
) -> None:
    with SandboxPortal(contacts=500, rate_limit=(50, 500)) as portal:
        utks = portal.sample_utks(300)
        with HubSpotClient(
            portal.access_token,
            base_url=portal.base_url,
            cache=False,
            rate_window=str(tmp_path),
            max_workers=1,
            backoff_factor=0.01,
            max_retry_time=1.5,
        ) as client:
            client.lookup_utks(utks[:100], progress=False)
            portal.inject("429", count=None)  # the portal refuses from now on
            started = time.monotonic()
            with pytest.raises(LookupFailedError) as caught:
                client.lookup_utks(utks, progress=False)
            elapsed = time.monotonic() - started
    err = caught.value
    assert err.partial is not None and len(err.partial.contacts) == 0
    assert err.failed_utks == utks
    assert all(isinstance(e, RateLimitError) for e in err.errors)
    assert 1.5 <= elapsed < 10


@pytest.mark.slow
@pytest.mark.system
def test_a_process_killed_while_holding_slots_frees_them_within_a_window(
    tmp_path: Path, children: Children
) -> None:
    # The victim holds the whole window in flight (10 workers, slow answers) when it is
    # killed; a process starting right after finds its slots, waits for the portal to
    # have counted them (a round trip, then a window), and then runs at the ceiling.
    latency = 0.4
    with SandboxPortal(contacts=6000, rate_limit=(10, 1000), latency=latency) as portal:
        utks = portal.sample_utks(1600)
        portal.prebuild(utks)
        options = {"cache": False, "rate_window": str(tmp_path), "rate_limit": WINDOW, **FAST}
        options["max_url_length"] = 1100
        victim = children.start(portal, utks[:1000], max_workers=10, **options)
        children.wait_ready(1)
        children.go.set()
        children.wait_progress(victim.pid, 12)  # a second window is in flight
        victim.kill()
        victim.join()
        killed_at = time.monotonic()
        with HubSpotClient(portal.access_token, base_url=portal.base_url, **options) as probe:
            usage = probe.rate_window_usage()
            assert usage.others >= 5, usage  # the victim's slots, counted as answered now
            portal.wait_idle()  # the victim's requests still in the portal's hands
            portal.reset_stats()
            result = probe.lookup_utks(utks[1000:], progress=False, properties=["email"])
            took = time.monotonic() - killed_at
    assert len(result.contacts) == 600
    assert portal.stats.by_status[429] <= 1, portal.stats.by_status
    # Its slots free within a round trip and a window of the kill; then 24 requests at
    # the ceiling take 2 more windows and an answer. Without the owner check they would
    # hold the window until their lease, a minute: the 4 s margin is for a loaded machine
    # (5.3 s against the ideal 3.8 s once, in a make test at three workers on 2 cores).
    ceiling = latency + WINDOW[1] + ideal_seconds(24) + latency
    assert took <= ceiling + 4.0, f"{took:.2f}s after the kill (ideal {ceiling:.2f}s)"


def test_the_window_is_keyed_by_a_fingerprint_never_the_credential(tmp_path: Path) -> None:
    import sqlite3

    with SandboxPortal(contacts=100) as portal:
        with HubSpotClient(portal.access_token, base_url=portal.base_url, cache=tmp_path) as c:
            c.lookup_utks(portal.sample_utks(5), progress=False)
            assert c.settings.rate_window == "machine"
            fingerprint = c._http.fingerprint
            assert c.rate_window_usage().location == str(tmp_path / "rate_window.sqlite")
        with sqlite3.connect(tmp_path / "rate_window.sqlite") as db:
            keys = [key for (key,) in db.execute("select key from windows")]
        assert keys == [fingerprint]
        for path in tmp_path.iterdir():
            if path.name.startswith("rate_window"):
                assert portal.access_token.encode() not in path.read_bytes()


def test_two_clients_with_the_machine_window_share_it_and_client_windows_do_not(
    tmp_path: Path,
) -> None:
    with SandboxPortal(contacts=100) as portal:
        common = {"base_url": portal.base_url, "cache": tmp_path}
        with (
            HubSpotClient(portal.access_token, **common) as one,
            HubSpotClient(portal.access_token, **common) as two,
            HubSpotClient(portal.access_token, rate_window="client", **common) as alone,
        ):
            one.fetch_batch(portal.sample_utks(3))
            assert (two.rate_window_usage().others, two.rate_window_usage().ours) == (1, 0)
            assert alone.rate_window_usage().used == 0
            assert alone.rate_window_usage().backend == "client"


@pytest.mark.parametrize(
    "value", ["machin", "mem://x", "http://redis:6379", 7, "redis//:pw@h"], ids=repr
)
def test_an_invalid_rate_window_is_refused_before_any_request(value: Any) -> None:
    from hubutk_pandas.errors import InvalidOptionError

    with SandboxPortal(contacts=10) as portal:
        with pytest.raises(InvalidOptionError, match="rate_window") as caught:
            HubSpotClient(portal.access_token, base_url=portal.base_url, rate_window=value)
        assert portal.stats.requests == 0
    assert "pw" not in str(caught.value).replace("'machine'", "")


def test_the_environment_chooses_the_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SandboxPortal(contacts=10) as portal:
        monkeypatch.setenv("HUBUTK_RATE_WINDOW", "client")
        with HubSpotClient(portal.access_token, base_url=portal.base_url, cache=False) as c:
            assert (c.settings.rate_window, c.rate_window_usage().backend) == ("client", "client")
        monkeypatch.setenv("HUBUTK_RATE_WINDOW", "nonsense")
        with pytest.raises(Exception, match="HUBUTK_RATE_WINDOW"):
            HubSpotClient(portal.access_token, base_url=portal.base_url, cache=False)


def test_an_unusable_window_folder_is_a_cache_error_naming_it(tmp_path: Path) -> None:
    from hubutk_pandas.errors import CacheError

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with SandboxPortal(contacts=10) as portal, pytest.raises(CacheError) as caught:
        HubSpotClient(
            portal.access_token, base_url=portal.base_url, cache=False, rate_window=blocker
        )
    assert str(blocker) in str(caught.value)
    assert portal.access_token not in str(caught.value)


def test_a_process_killed_holding_the_window_files_lock_does_not_stop_the_others(
    tmp_path: Path,
) -> None:
    import subprocess
    import sys

    with SandboxPortal(contacts=50) as portal:
        options = {"base_url": portal.base_url, "cache": False, "rate_window": str(tmp_path)}
        with HubSpotClient(portal.access_token, **options) as first:
            first.fetch_batch(portal.sample_utks(1))  # the file exists
        holder = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sqlite3, sys, time\n"
                f"db = sqlite3.connect({str(tmp_path / 'rate_window.sqlite')!r}, "
                "isolation_level=None)\n"
                "db.execute('BEGIN IMMEDIATE')\n"
                "print('locked', flush=True)\n"
                "time.sleep(60)\n",
            ],
            stdout=subprocess.PIPE,
        )
        try:
            assert holder.stdout is not None and holder.stdout.readline() == b"locked\n"
            holder.kill()  # kill -9 while it holds the write lock
            holder.wait(10)
            started = time.monotonic()
            with HubSpotClient(portal.access_token, **options) as second:
                answer = second.fetch_batch(portal.sample_utks(2))
                assert second.rate_window_usage().used >= 2
        finally:
            if holder.poll() is None:
                holder.kill()
                holder.wait(10)
    assert len(answer) == 2
    assert time.monotonic() - started < 5  # not SQLite's 10 s busy timeout
