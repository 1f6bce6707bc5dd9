"""The client's hooks the proxy stands on (``cached_batch``, ``trim_cache``), and a bounded cache.

Fresh random utks each leave an answer in the HTTP cache (about 9 KB for 100 unknown
utks, 135 KB for 100 contacts); without a cap and a sweep, one address could fill a disk.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from hubutk_pandas.client import HubSpotClient
from hubutk_pandas.errors import InvalidOptionError
from hubutk_pandas.sandbox import SandboxPortal
from tests.proxy.conftest import FAST, ORIGIN, Serve, wait_until

BY_UTK = "/contacts/v1/contact/byUtk/batch/"


def _answers(folder: Path) -> int:
    with sqlite3.connect(folder / "http_cache.sqlite") as con:
        return int(con.execute("SELECT COUNT(*) FROM responses").fetchone()[0])


def _live_bytes(folder: Path) -> int:
    with sqlite3.connect(folder / "http_cache.sqlite") as con:
        pages = con.execute("PRAGMA page_count").fetchone()[0]
        free = con.execute("PRAGMA freelist_count").fetchone()[0]
        size = con.execute("PRAGMA page_size").fetchone()[0]
    return int((pages - free) * size)


def test_cached_batch_answers_from_the_cache_only(upstream: SandboxPortal, tmp_path: Path) -> None:
    utks = upstream.sample_utks(200)[-4:]
    with HubSpotClient(
        upstream.access_token, base_url=upstream.base_url, cache=tmp_path, **FAST
    ) as client:
        before = upstream.stats.requests
        assert client.cached_batch(utks, properties=["firstname"]) is None
        assert upstream.stats.requests == before  # nothing was sent
        answer = client.fetch_batch(utks, properties=["firstname"])
        assert client.cached_batch(utks, properties=["firstname"]) == answer
        assert client.cached_batch(utks, properties=["city"]) is None  # another query
        assert upstream.stats.requests == before + 1
        with pytest.raises(InvalidOptionError):
            client.cached_batch(["a b"])  # checked like fetch_batch
    with HubSpotClient(
        upstream.access_token, base_url=upstream.base_url, cache=False, **FAST
    ) as uncached:
        uncached.fetch_batch(utks)
        assert uncached.cached_batch(utks) is None  # no cache: never an answer


def test_trim_cache_sweeps_expired_answers_then_caps_the_rest(
    upstream: SandboxPortal, tmp_path: Path
) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    with HubSpotClient(
        upstream.access_token, base_url=upstream.base_url, cache=old, expire_after=1, **FAST
    ) as client:
        for i in range(5):
            client.fetch_batch([f"{i:032x}"])
        assert _answers(old) == 5
        time.sleep(1.1)
        assert client.trim_cache() == 5  # requests-cache's expiry sweep
        assert _answers(old) == 0
    with HubSpotClient(
        upstream.access_token, base_url=upstream.base_url, cache=new, **FAST
    ) as client:
        batches = [[f"{i:02x}{j:030x}" for j in range(100)] for i in range(30)]
        for batch in batches:
            client.fetch_batch(batch)
        full = _live_bytes(new)
        cap = full // 3
        dropped = client.trim_cache(max_bytes=cap)
        assert 0 < dropped < 30
        assert _live_bytes(new) <= cap
        assert client.cached_batch(batches[-1]) is not None  # the newest answers stay
        assert client.cached_batch(batches[0]) is None  # the oldest went first
        with pytest.raises(InvalidOptionError, match="max_bytes"):
            client.trim_cache(max_bytes=0)
    with HubSpotClient(
        upstream.access_token, base_url=upstream.base_url, cache=False, **FAST
    ) as uncached:
        assert uncached.trim_cache(max_bytes=1) == 0


def test_the_proxy_keeps_its_cache_under_its_cap(
    serve: Serve, upstream: SandboxPortal, tmp_path: Path
) -> None:
    folder = tmp_path / "proxy-cache"
    cap = 60_000
    client = HubSpotClient(upstream.access_token, base_url=upstream.base_url, cache=folder, **FAST)
    with client:
        wire = serve(client=client, cache_max_bytes=cap, cache_sweep=0.0, client_budget=(99, 60.0))
        for i in range(30):  # about 9 KB an answer: 270 KB without the cap
            fresh = [f"{i:02x}{j:030x}" for j in range(100)]
            assert wire.get(BY_UTK, {"utk": fresh}, headers={"Origin": ORIGIN}).status == 200
        assert wait_until(lambda: _live_bytes(folder) <= cap)
        assert 0 < _answers(folder) < 30
        assert (folder / "http_cache.sqlite").stat().st_size < 3 * cap
