"""Honest errors, through the public API against the sandbox over loopback.

Only transport failures, HTTP statuses and broken bodies are caught; a bug or a
callback's exception surfaces as itself with its traceback; a failing local cache is a
CacheError naming the folder; a 200 of the wrong shape is a ServerError saying what came.
"""

from __future__ import annotations

import sqlite3
import subprocess
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hubutk_pandas import (
    CacheError,
    HubSpotClient,
    HubSpotError,
    LookupFailedError,
    ServerError,
)
from hubutk_pandas._http.pacing import RateLimiter
from hubutk_pandas.sandbox import SandboxPortal

MakeClient = Callable[..., HubSpotClient]


class CallbackBroke(Exception):
    """Raised by the analyst's own progress callback."""


def _frames(err: BaseException) -> list[str]:
    return [frame.name for frame in traceback.extract_tb(err.__traceback__)]


def test_a_bug_in_the_package_surfaces_as_itself(
    make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def observe(self: RateLimiter, headers: object) -> None:  # a bug in a worker thread
        raise ZeroDivisionError("a bug in the pacer")

    monkeypatch.setattr(RateLimiter, "observe", observe)
    with (
        SandboxPortal(contacts=400) as own,
        pytest.raises(ZeroDivisionError, match="a bug in the pacer") as caught,
    ):
        make_client(own, max_workers=2).lookup_utks(own.sample_utks(250), progress=False)
    assert not isinstance(caught.value, HubSpotError)
    assert "observe" in _frames(caught.value)  # the traceback leads to the bug


def test_a_progress_callback_that_raises_propagates_as_itself(make_client: MakeClient) -> None:
    broke = CallbackBroke("my callback broke")

    def progress(done: int, total: int) -> None:
        if done > 0:  # after the first batch
            raise broke

    with SandboxPortal(contacts=400) as own, pytest.raises(CallbackBroke) as caught:
        make_client(own).lookup_utks(own.sample_utks(300), progress=progress)
    assert caught.value is broke  # not "some utks failed"
    assert "progress" in _frames(caught.value)


@pytest.fixture
def cached(
    tmp_path: Path, make_client: MakeClient
) -> Iterator[tuple[SandboxPortal, HubSpotClient]]:
    """A small portal, and a client caching in ``tmp_path`` that has looked 20 utks up.

    A file another program holds is waited for 0.3 s (``cache_timeout``), not the default 10.
    """
    with SandboxPortal(contacts=200) as own:
        client = make_client(own, cache=tmp_path, cache_timeout=0.3)
        client.lookup_utks(own.sample_utks(20), progress=False)
        client.lookup_utks(own.sample_utks(20), endpoint="utks", progress=False)
        yield own, client


def names_the_folder(err: CacheError, folder: Path, portal: SandboxPortal) -> bool:
    """The error names the cache folder, and never the credential."""
    text = str(err) + repr(err)
    return err.folder == folder and str(folder) in text and portal.access_token not in text


def test_a_damaged_record_store_is_a_cache_error_naming_the_folder(
    cached: tuple[SandboxPortal, HubSpotClient], tmp_path: Path
) -> None:
    own, client = cached
    (tmp_path / "records.sqlite").write_bytes(b"this is not a database " * 200)
    with pytest.raises(CacheError) as caught:
        client.lookup_utks(own.sample_utks(20), progress=False)
    assert names_the_folder(caught.value, tmp_path, own)
    assert isinstance(caught.value.__cause__, sqlite3.DatabaseError)


@pytest.mark.slow
def test_a_locked_http_cache_is_a_cache_error_naming_the_folder(
    cached: tuple[SandboxPortal, HubSpotClient], tmp_path: Path
) -> None:
    own, client = cached
    other = sqlite3.connect(tmp_path / "http_cache.sqlite")
    try:
        other.execute("BEGIN EXCLUSIVE")  # another program holds the file
        # Reading it fails after the client's cache_timeout (0.3 s here), not 10 s.
        started = time.monotonic()
        with pytest.raises(CacheError, match="database is locked") as caught:
            client.lookup_utks(own.sample_utks(30), endpoint="utks", progress=False)
        waited = time.monotonic() - started
    finally:
        other.rollback()
        other.close()
    assert names_the_folder(caught.value, tmp_path, own)
    assert 0.3 <= waited < 5, waited


def test_a_locked_record_store_is_a_cache_error_after_the_cache_timeout(
    cached: tuple[SandboxPortal, HubSpotClient], tmp_path: Path
) -> None:
    own, client = cached
    other = sqlite3.connect(tmp_path / "records.sqlite")
    try:
        other.execute("BEGIN EXCLUSIVE")  # another program holds the store
        started = time.monotonic()
        with pytest.raises(CacheError, match="database is locked") as caught:
            client.lookup_utks(own.sample_utks(30), progress=False)  # reads the store first
        waited = time.monotonic() - started
    finally:
        other.rollback()
        other.close()
    assert names_the_folder(caught.value, tmp_path, own)
    assert 0.3 <= waited < 5, waited


def test_a_cache_folder_that_is_a_file_is_a_cache_error(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    folder.write_text("a file, not a folder")
    with SandboxPortal(contacts=10) as own, pytest.raises(CacheError, match=str(folder)):
        HubSpotClient(own.access_token, base_url=own.base_url, cache=folder)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs, full long before a lookup's answers are all written."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:  # mounting needs root (CAP_SYS_ADMIN), as in the dev container
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def test_a_full_disk_is_a_cache_error_naming_the_folder(
    tiny_disk: Path, make_client: MakeClient
) -> None:
    with SandboxPortal(contacts=2000) as own:
        client = make_client(own, cache=tiny_disk)
        with pytest.raises(CacheError) as caught:
            client.lookup_utks(
                own.sample_utks(1000),
                property_mode="value_and_history",
                form_submission_mode="all",
                progress=False,
            )
        client.close()
        assert names_the_folder(caught.value, tiny_disk, own)
    cause = str(caught.value.__cause__)
    assert "full" in cause or "No space" in cause


def test_a_200_of_the_wrong_shape_is_a_server_error_saying_what_came(
    make_client: MakeClient,
) -> None:
    with SandboxPortal(contacts=200) as own:
        utks = own.sample_utks(5)
        own.inject("badshape", count=None)
        with pytest.raises(LookupFailedError) as caught:
            make_client(own, max_retries=1).lookup_utks(utks, progress=False)
        assert own.stats.requests == 2  # a broken body: retried, then given up
    err = caught.value.errors[0]
    assert isinstance(err, ServerError) and err.status == 200
    assert "a JSON array where an object keyed by utk or vid is due" in err.message
    assert '[{"vid": ' in err.message  # a short excerpt of what came back
    assert caught.value.failed_utks == utks  # never taken for "no contact matched"


def test_a_wrong_shape_once_is_retried_and_never_served_from_the_cache(
    tmp_path: Path, make_client: MakeClient
) -> None:
    with SandboxPortal(contacts=200) as own:
        utks = own.sample_utks(5)
        client = make_client(own, cache=tmp_path)
        own.inject("badshape")
        first = client.lookup_utks(utks, endpoint="utks", progress=False)
        assert len(first.contacts) == 5 and own.stats.requests == 2
        # The bad answer had reached the HTTP cache; the retry replaced it with the good one.
        own.reset_stats()
        again = client.lookup_utks(utks, endpoint="utks", progress=False)
        assert len(again.contacts) == 5 and own.stats.requests == 0
