"""A dataset survives interruption: kill -9, a second writer, a full disk, the daily limit."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas.testing as pdt
import pytest

from hubutk_pandas import (
    DailyLimitError,
    DatasetError,
    DatasetInUseError,
    HubSpotClient,
    LookupDataset,
    LookupFailedError,
    LookupResult,
    open_dataset,
)
from hubutk_pandas.dataset.state import ResumeState
from hubutk_pandas.frames import FRAME_NAMES
from hubutk_pandas.lookup import lookup_to_dataset
from hubutk_pandas.sandbox import SandboxPortal

from .helpers import FULL, FULL_OPTIONS, assert_same_frames, assert_same_frames_in_any_order

WRITER = """
import json, sys
from hubutk_pandas import HubSpotClient, LookupOptions
from hubutk_pandas.lookup import lookup_to_dataset
utks = json.loads(open(sys.argv[1]).read())
with HubSpotClient(cache=False) as client:
    options = LookupOptions(property_mode="value_and_history", form_submission_mode="all")
    ds = lookup_to_dataset(client.fetcher, utks, sys.argv[2], options, progress=False,
                           chunk_size=100)
print(ds.counts["contacts"])
"""


@pytest.fixture(scope="module")
def slow_portal() -> Iterator[SandboxPortal]:
    """A portal answering each request after 0.15 s, so a lookup can be caught midway."""
    with SandboxPortal(contacts=3000, seed=4, rate_limit=(10_000, 10_000), latency=0.15) as p:
        yield p


@pytest.fixture(scope="module")
def utks_and_expected(slow_portal: SandboxPortal) -> tuple[list[str], LookupResult]:
    utks = slow_portal.sample_utks(2000) + slow_portal.sample_utks(100, kind="merged")
    with HubSpotClient(slow_portal.access_token, base_url=slow_portal.base_url,
                       cache=False) as client:  # fmt: skip
        return utks, client.lookup_utks(utks, **FULL)


def start_writer(portal: SandboxPortal, utks: list[str], out: Path) -> subprocess.Popen[str]:
    source = out.parent / "utks.json"
    source.write_text(json.dumps(utks))
    env = {**os.environ, "HUBSPOT_ACCESS_TOKEN": portal.access_token,
           "HUBSPOT_BASE_URL": portal.base_url}  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(source), str(out)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_parts(out: Path, n: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while len(list((out / "contacts").glob("part-*.parquet"))) < n + 1:  # + the empty part 0
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the writer wrote nothing in 60 s"
        time.sleep(0.01)


def assert_prefix(ds: LookupDataset, expected: LookupResult) -> None:
    """What an interrupted dataset holds is readable and is the start of the full lookup."""
    contacts = ds.to_pandas("contacts")
    assert 0 < len(contacts) < len(expected.contacts)
    assert contacts["utk"].tolist() == expected.contacts["utk"].iloc[: len(contacts)].tolist()
    for name in FRAME_NAMES:
        assert len(ds.to_pandas(name)) <= len(expected.frames[name])


def assert_rows_of(ds: LookupDataset, expected: LookupResult, utks: list[str]) -> None:
    """``ds`` holds, frame by frame, exactly the full lookup's rows for ``utks``."""
    vids = set(expected.contacts.loc[expected.contacts["utk"].isin(utks), "vid"].tolist())
    for name in FRAME_NAMES:
        want = expected.frames[name]
        key = want["utk"].isin(utks) if name in ("contacts", "missing") else want["vid"].isin(vids)
        pdt.assert_frame_equal(ds.to_pandas(name), want[key].reset_index(drop=True), obj=name)


def interrupt_writer(portal: SandboxPortal, utks: list[str], out: Path, how: signal.Signals) -> str:
    """Start a writing process, send it ``how`` once five parts are written; its stderr."""
    proc = start_writer(portal, utks, out)
    wait_for_parts(out, 5, proc)
    proc.send_signal(how)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == -how, stderr  # killed by that signal (Python re-raises SIGINT)
    return stderr


def assert_rerun_completes(
    portal: SandboxPortal, utks: list[str], expected: LookupResult, out: Path
) -> None:
    """The interrupted dataset is a readable prefix; the rerun fetches only what is pending."""
    interrupted = open_dataset(out)
    assert not interrupted.complete
    assert_prefix(interrupted, expected)
    state = ResumeState(out / "_state.sqlite", create=False)
    pending = state.summary()["pending"]
    state.close()
    assert 0 < pending < len(utks)
    portal.wait_idle()  # the interrupted writer's last requests are still being answered
    portal.reset_stats()
    with HubSpotClient(portal.access_token, base_url=portal.base_url, cache=False) as client:
        ds = lookup_to_dataset(
            client.fetcher, utks, out, FULL_OPTIONS, progress=False, chunk_size=100
        )
    assert portal.stats.requests == math.ceil(pending / 100)  # only what was not written
    assert ds.complete
    assert_same_frames(expected, ds)  # no duplicates, nothing lost, same order
    assert not list(out.rglob("*.tmp"))


@pytest.mark.slow
@pytest.mark.system
def test_a_killed_lookup_leaves_a_readable_dataset_and_the_rerun_completes_it(
    slow_portal: SandboxPortal, utks_and_expected: tuple[list[str], LookupResult], tmp_path: Path
) -> None:
    utks, expected = utks_and_expected
    out = tmp_path / "ds"
    interrupt_writer(slow_portal, utks, out, signal.SIGKILL)  # no cleanup of any kind runs
    assert_rerun_completes(slow_portal, utks, expected, out)


@pytest.mark.slow
@pytest.mark.system
def test_ctrl_c_stops_the_lookup_at_once_and_the_rerun_completes_it(
    slow_portal: SandboxPortal, utks_and_expected: tuple[list[str], LookupResult], tmp_path: Path
) -> None:
    utks, expected = utks_and_expected
    out = tmp_path / "ds"
    stderr = interrupt_writer(slow_portal, utks, out, signal.SIGINT)  # what Ctrl-C sends
    assert stderr.rstrip().endswith("KeyboardInterrupt"), stderr  # raised as itself
    assert_rerun_completes(slow_portal, utks, expected, out)


@pytest.mark.slow
@pytest.mark.system
def test_a_second_writer_is_told_the_dataset_is_in_use(
    slow_portal: SandboxPortal, utks_and_expected: tuple[list[str], LookupResult], tmp_path: Path
) -> None:
    utks, expected = utks_and_expected
    out = tmp_path / "ds"
    proc = start_writer(slow_portal, utks, out)
    try:
        wait_for_parts(out, 1, proc)
        client = HubSpotClient(slow_portal.access_token, base_url=slow_portal.base_url,
                               cache=False)  # fmt: skip
        with client, pytest.raises(DatasetInUseError, match="in use by another process"):
            client.lookup_utks(utks, **FULL, out=out)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 0, stderr
    assert int(stdout) == len(expected.contacts)
    assert_same_frames(expected, open_dataset(out))


@pytest.mark.slow
def test_the_daily_limit_midway_leaves_a_readable_partial_dataset(tmp_path: Path) -> None:
    with SandboxPortal(contacts=3000, seed=5) as free:
        utks = free.sample_utks(1500)
        with HubSpotClient(free.access_token, base_url=free.base_url, cache=False) as client:
            expected = client.lookup_utks(utks, **FULL)
    with (
        SandboxPortal(contacts=3000, seed=5, daily_limit=9) as capped,
        HubSpotClient(
            capped.access_token, base_url=capped.base_url, cache=False, max_workers=1
        ) as client,
    ):
        out = tmp_path / "ds"
        options = FULL_OPTIONS
        with pytest.raises(DailyLimitError, match="daily") as caught:
            lookup_to_dataset(client.fetcher, utks, out, options, progress=False, chunk_size=300)
        partial = caught.value.partial
        assert isinstance(partial, LookupDataset) and not partial.complete
        # As in memory: HubSpot's category and correlation id, and every error met.
        assert caught.value.category == "RATE_LIMIT" and caught.value.policy_name == "DAILY"
        assert caught.value.correlation_id and caught.value.errors[0].policy_name == "DAILY"
        # 9 requests: the account details (the dataset's portal) and the property
        # definitions, then 7 answers of 100 contacts. Two chunks
        # are fetched at once, so which 700 depends on timing, but every answer paid for is
        # written, and what is written is exactly what the full lookup has for those utks.
        written = partial.to_pandas("contacts")["utk"].tolist()
        assert partial.counts["contacts"] == len(written) == 700
        assert_rows_of(partial, expected, written)
        failed = caught.value.failed_utks
        assert failed and not set(failed) & set(written)
        assert set(failed) <= set(utks[:1200])  # in the chunks begun: two at most past 600
        assert partial.pending == len(utks) - 700
        capped.reset_limits()
        capped.reset_stats()
        ds = lookup_to_dataset(client.fetcher, utks, out, options, progress=False, chunk_size=300)
        assert capped.stats.requests == 8  # the 800 utks not written
        assert ds.complete
        assert_same_frames_in_any_order(expected, ds)


def test_failed_batches_keep_the_rest_and_a_rerun_fetches_only_them(
    client: HubSpotClient, portal: SandboxPortal, tmp_path: Path
) -> None:
    utks = portal.sample_utks(300)
    expected = client.lookup_utks(utks, progress=False)
    out = tmp_path / "ds"
    portal.poison(utks[150])
    try:
        with pytest.raises(LookupFailedError, match="1 of 300 utks could not be fetched") as caught:
            client.lookup_utks(utks, progress=False, out=out)
    finally:
        portal.cure()
    assert caught.value.failed_utks == [utks[150]]
    assert caught.value.status == 400 and len(caught.value.errors) == 1  # as in memory
    partial = caught.value.partial
    assert isinstance(partial, LookupDataset) and partial.counts["contacts"] == 299
    portal.reset_stats()
    ds = client.lookup_utks(utks, progress=False, out=out)
    assert portal.stats.requests == 1 and ds.complete
    assert_same_frames_in_any_order(expected, ds)


def _mount_tmpfs(where: Path, size: str) -> None:
    where.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                   check=True, capture_output=True)  # fmt: skip


@pytest.mark.slow
@pytest.mark.system
@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")
def test_a_full_disk_gives_a_clear_error_and_keeps_what_was_written(tmp_path: Path) -> None:
    disk = tmp_path / "small"
    _mount_tmpfs(disk, "700k")
    try:
        with (
            SandboxPortal(contacts=3000, seed=6) as portal,
            HubSpotClient(portal.access_token, base_url=portal.base_url, cache=False) as client,
        ):
            utks = portal.sample_utks(1500)
            expected = client.lookup_utks(utks, **FULL)
            options = FULL_OPTIONS
            with pytest.raises(DatasetError, match="disk is full") as caught:
                lookup_to_dataset(
                    client.fetcher, utks, disk / "ds", options, progress=False, chunk_size=100
                )
            assert "free some space and run the same lookup again" in str(caught.value)
            assert caught.value.__cause__ is not None  # the OSError, chained
            written = open_dataset(disk / "ds")
            assert not written.complete
            assert_prefix(written, expected)
            subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
            ds = lookup_to_dataset(
                client.fetcher, utks, disk / "ds", options, progress=False, chunk_size=100
            )
            assert ds.complete
            assert_same_frames(expected, ds)
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
