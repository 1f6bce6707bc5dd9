"""What is kept and for how long: ``hubutk cache info|clear``, ``hubutk forget``, retention."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from hubutk_pandas import HubSpotClient, LookupOptions, open_dataset
from hubutk_pandas.cli import main
from hubutk_pandas.lookup import lookup_to_dataset
from hubutk_pandas.privacy import DEFAULT_RETENTION, cache_info, clear_cache
from hubutk_pandas.sandbox import SandboxPortal


def test_cache_info_shows_the_folder_its_size_oldest_entry_and_retention(
    portal: SandboxPortal, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "cache"
    started = datetime.now(timezone.utc)
    with HubSpotClient(portal.access_token, base_url=portal.base_url, cache=folder) as client:
        client.lookup_utks(portal.sample_utks(150), progress=False)  # two batches
        client.lookup_utks(portal.unknown_utks(2), progress=False)
        client.fetch_batch(portal.sample_utks(3))  # an HTTP answer (lookups keep none)
    info = cache_info(folder)
    assert info.exists and info.mode == 0o700
    assert info.records == 152  # a miss is remembered too
    assert info.answers == 1
    assert info.size == sum(p.stat().st_size for p in folder.iterdir()) > 0
    assert set(info.files) == {"salt", "records.sqlite", "http_cache.sqlite", "rate_window.sqlite"}
    assert info.oldest is not None and info.newest is not None
    assert started - timedelta(seconds=2) <= info.oldest <= info.newest
    assert info.newest <= datetime.now(timezone.utc)
    assert info.retention == DEFAULT_RETENTION and info.expired == 0

    assert main(["cache", "info", "--cache-dir", str(folder)]) == 0
    out = capsys.readouterr().out
    assert f"cache folder  {folder}\n" in out
    assert "permissions   0700 (private to you)" in out
    assert "152 records (record store), 1 answers (HTTP cache)" in out
    assert f"oldest entry  {info.oldest.isoformat(timespec='seconds')}" in out
    assert "retention     1 day (HubSpotClient(expire_after=...)" in out
    assert "hubutk forget" in out  # and how to erase


def test_the_default_retention_is_the_clients() -> None:
    import inspect

    default = inspect.signature(HubSpotClient).parameters["expire_after"].default
    assert default == DEFAULT_RETENTION


def test_cache_clear_empties_it_in_place_even_for_a_client_still_open(
    portal: SandboxPortal, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "cache"
    utks = portal.sample_utks(30)
    with HubSpotClient(portal.access_token, base_url=portal.base_url, cache=folder) as client:
        client.lookup_utks(utks, progress=False)  # the record store
        client.fetch_batch(utks)  # an HTTP answer (lookups keep none)
        email = str(client.lookup_utks(utks[:1], progress=False).identities["value"].iloc[0])
        assert main(["cache", "clear", "--cache-dir", str(folder)]) == 0
        assert capsys.readouterr().out.startswith(f"cache {folder}: removed 30 records, 1 answer")
        info = cache_info(folder)
        assert (info.records, info.answers) == (0, 0)
        for name in ("records.sqlite", "http_cache.sqlite"):
            assert email.encode() not in (folder / name).read_bytes()
        # The client that was open meanwhile sees the empty cache: it asks again.
        portal.reset_stats()
        client.lookup_utks(utks, progress=False)
        assert portal.stats.utks_requested == 30
    assert cache_info(folder).records == 30
    assert clear_cache(folder).removed == {"records": 30, "answers": 0}  # lookups keep none


def test_a_damaged_cache_file_is_deleted_by_clear(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    folder.mkdir()
    (folder / "records.sqlite").write_bytes(b"this is not a database" * 100)
    removal = clear_cache(folder)
    assert "records.sqlite was unreadable and was deleted" in removal.note
    assert not (folder / "records.sqlite").exists()


def test_answers_past_their_expiry_are_deleted_when_a_client_opens_the_folder(
    portal: SandboxPortal, tmp_path: Path
) -> None:
    folder = tmp_path / "cache"
    with HubSpotClient(
        portal.access_token, base_url=portal.base_url, cache=folder, expire_after=1
    ) as client:
        result = client.lookup_utks(portal.sample_utks(5), progress=False)
        client.fetch_batch(portal.sample_utks(5))  # an HTTP answer (lookups keep none)
    email = str(result.identities["value"].iloc[0]).encode()
    assert cache_info(folder).answers == 1
    time.sleep(1.5)
    stale = cache_info(folder, retention=1)
    assert stale.expired == 6  # the answer, and the 5 records older than a second
    HubSpotClient(portal.access_token, base_url=portal.base_url, cache=folder).close()
    info = cache_info(folder)
    assert info.answers == 0  # requests-cache would have kept it on disk
    assert email not in (folder / "http_cache.sqlite").read_bytes()  # not even in free pages
    assert info.records == 5  # a client keeping a day kept these; one keeping 1 s would not
    HubSpotClient(
        portal.access_token, base_url=portal.base_url, cache=folder, expire_after=1
    ).close()
    assert cache_info(folder).records == 0
    assert email not in (folder / "records.sqlite").read_bytes()


def test_hubutk_forget_erases_from_the_cache_and_a_dataset_and_says_what(
    portal: SandboxPortal, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, root = tmp_path / "cache", tmp_path / "visits"
    utks = portal.sample_utks(20)
    with HubSpotClient(portal.access_token, base_url=portal.base_url, cache=folder) as client:
        result = client.lookup_utks(utks, progress=False)
        client.fetch_batch(utks)  # an HTTP answer (lookups keep none)
        lookup_to_dataset(client.fetcher, utks, root, LookupOptions())
    emails = result.identities.loc[result.identities["type"] == "EMAIL", ["vid", "value"]]
    vid, email = emails.iloc[4]
    portal.reset_stats()
    status = main(["forget", "--email", email, "--dataset", str(root), "--cache-dir", str(folder)])
    out = capsys.readouterr().out
    assert status == 0 and portal.stats.requests == 0
    assert out.startswith(f"forgot vid {vid}, 1 utk, 1 email (asked: 1 email)")
    assert "record store" in out and "removed 1 record" in out
    assert "HTTP cache" in out and "removed 1 answer" in out
    assert f"dataset {root}: removed rows: contacts 1, " in out
    assert vid not in set(open_dataset(root).to_pandas("properties")["vid"])

    assert main(["forget"]) == 2
    assert "give at least one --utk, --vid or --email" in capsys.readouterr().err
    assert main(["forget", "--vid", "abc", "--no-cache"]) == 1
    assert "vids='abc' is not valid" in capsys.readouterr().err


def test_a_failed_csv_lookup_writes_its_failed_utks_privately_whatever_the_umask(
    tmp_path: Path,
) -> None:
    """``failed_utks.csv`` and its folder are private like the tables beside them.

    They were written with the umask's modes (``0664`` in a ``0775`` folder with ``0o002``).
    """
    import os
    import subprocess
    import sys

    with SandboxPortal(contacts=300, seed=4) as own:
        utks = own.sample_utks(120)
        own.poison(utks[7])  # its batch is refused (400), bisected down to that one utk
        (tmp_path / "visits.csv").write_text("utk\n" + "\n".join(utks) + "\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUBSPOT_")}
        env.update(HUBSPOT_ACCESS_TOKEN=own.access_token, HUBSPOT_BASE_URL=own.base_url)
        script = (
            "import os, sys; os.umask(0o002); from hubutk_pandas.cli import main; "
            "sys.exit(main(sys.argv[1:]))"
        )
        out = tmp_path / "out"
        done = subprocess.run(
            [sys.executable, "-c", script, "lookup", str(tmp_path / "visits.csv"),
             "--out", str(out), "--no-cache"],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    assert done.returncode == 1, done.stderr
    failed = out / "failed_utks.csv"
    assert failed.read_text().split() == ["utk", utks[7]]
    assert out.stat().st_mode & 0o777 == 0o700
    assert {p.name: p.stat().st_mode & 0o777 for p in out.iterdir()} == {
        p.name: 0o600 for p in out.iterdir()
    }
