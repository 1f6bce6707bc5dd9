"""The rate window on a real ``redis-server`` (started here, on a free loopback port).

``make`` installs redis-server the way it installs Chromium (``apt-get install
redis-server`` as root); without it these tests fail and say so.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hubutk_pandas.client import HubSpotClient
from hubutk_pandas.errors import CacheError
from hubutk_pandas.sandbox import SandboxPortal
from tests._http.test_shared_window import FAST, LATENCY, WINDOW, Children

pytestmark = [pytest.mark.redis, pytest.mark.timeout(180)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server of this module's own: loopback only, nothing written to disk."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail(
            "redis-server is missing: run 'make unit' as root, or 'sudo apt-get install "
            "redis-server' (the Redis window tests start a real server)"
        )
    port = _free_port()
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(folder), "--protected-mode", "yes"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        import redis

        client = redis.Redis(host="127.0.0.1", port=port)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert process.poll() is None, "redis-server exited"
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        client.close()
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def children() -> Iterator[Children]:
    made = Children()
    try:
        yield made
    finally:
        made.close()


@pytest.mark.slow
@pytest.mark.system
def test_two_processes_on_a_redis_window_lose_nothing_and_stay_under_the_limit(
    redis_url: str, children: Children
) -> None:
    with SandboxPortal(contacts=6000, rate_limit=(10, 1000), latency=LATENCY) as portal:
        utks = portal.sample_utks(1200)
        portal.prebuild(utks)
        options = {"cache": False, "rate_window": redis_url, "rate_limit": WINDOW, **FAST}
        options["max_url_length"] = 1100  # 25 utks a request: 48 requests in all
        for part in (utks[:600], utks[600:]):
            children.start(portal, part, **options)
        children.wait_ready(2)
        portal.reset_stats()
        children.go.set()
        reports = children.wait_done(2)
        answered = portal.stats.by_status[200]
        refused = portal.stats.by_status[429]
    for _, _, _, _, found, lost, error in reports:
        assert (found, lost, error) == (600, 0, None)
    assert answered >= 48
    assert refused <= 3, portal.stats.by_status  # each process alone: dozens
    # The combined rate against the ceiling is a figure of benchmarks/bench_pacer.py (two
    # processes, a Redis window): on this shared 2-core machine it varies too much with the
    # load (65-95% here) to be asserted at this size.


def test_clients_on_one_redis_window_see_each_other_and_the_credential_is_never_stored(
    redis_url: str, tmp_path: Path
) -> None:
    import redis

    with SandboxPortal(contacts=100) as portal:
        # Two cache folders, two salts: only the salt kept in Redis makes them agree.
        one = HubSpotClient(
            portal.access_token, base_url=portal.base_url, cache=tmp_path / "a",
            rate_window=redis_url,
        )  # fmt: skip
        two = HubSpotClient(
            portal.access_token, base_url=portal.base_url, cache=tmp_path / "b",
            rate_window=redis_url,
        )  # fmt: skip
        with one, two:
            one.fetch_batch(portal.sample_utks(2))
            usage = two.rate_window_usage()
            assert (usage.backend, usage.others, usage.ours) == ("redis", 1, 0)
            assert usage.location == redis_url
            assert usage.max_requests == 100  # heard from the portal's headers by the first
    server = redis.Redis.from_url(redis_url)
    try:
        keys = server.keys("*")
        assert b"hubutk-pandas:salt" in keys
        assert any(k.startswith(b"hubutk-pandas:window:") for k in keys)
        for key in keys:
            assert portal.access_token.encode() not in key + (server.get(key) or b"")
        window = next(k for k in keys if k.startswith(b"hubutk-pandas:window:"))
        assert 0 < server.ttl(window) <= 120  # an idle window vanishes
    finally:
        server.close()


def test_the_environment_chooses_redis_and_a_password_is_never_shown(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SandboxPortal(contacts=10) as portal:
        monkeypatch.setenv("HUBUTK_RATE_WINDOW", redis_url)
        with HubSpotClient(portal.access_token, base_url=portal.base_url, cache=False) as c:
            assert c.settings.rate_window == redis_url
            assert c.rate_window_usage().backend == "redis"
        # A server that is not there: refused at once, naming it without its password.
        port = _free_port()
        monkeypatch.setenv("HUBUTK_RATE_WINDOW", f"redis://:hunter2@127.0.0.1:{port}/0")
        with pytest.raises(CacheError) as caught:
            HubSpotClient(portal.access_token, base_url=portal.base_url, cache=False)
        assert portal.stats.requests == 0
    message = str(caught.value)
    assert f"redis://:***@127.0.0.1:{port}/0" in message
    assert "hunter2" not in message and portal.access_token not in message
    assert caught.value.__cause__ is None  # redis-py's exception is not chained
