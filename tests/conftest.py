"""Fixtures of more than one test folder: one sandbox portal for the whole session, clients.

A fixture used by one folder only lives in that folder's ``conftest.py`` (tests/README.md).
"""

from __future__ import annotations

import gc
import signal
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from hubutk_pandas.client import HubSpotClient
from hubutk_pandas.result import LookupResult
from hubutk_pandas.sandbox import SandboxPortal

FAST = {"backoff_factor": 0.01, "backoff_max": 0.05, "max_retry_time": 20.0, "timeout": 5.0}

MakeClient = Callable[..., HubSpotClient]


@pytest.fixture(scope="session", autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Keep the suite off real portals and out of the developer's own cache folder.

    A developer's ``HUBSPOT_*`` variables would point ``HubSpotClient()`` at
    api.hubapi.com; tests must only ever talk to loopback. ``XDG_CACHE_HOME``
    moves the default per-user cache (``cache=True``) into a temporary folder.
    """
    cache_home = tmp_path_factory.mktemp("xdg-cache")
    with pytest.MonkeyPatch.context() as mp:
        for name in ("HUBSPOT_ACCESS_TOKEN", "HUBSPOT_API_KEY", "HUBSPOT_BASE_URL"):
            mp.delenv(name, raising=False)
        mp.setenv("XDG_CACHE_HOME", str(cache_home))
        yield cache_home


@pytest.fixture(scope="session", autouse=True)
def _interruptible_children() -> Iterator[None]:
    """Let the CLI subprocesses under test see Ctrl-C (SIGINT), however pytest was started.

    A shell starts a background job (``make test &``) with SIGINT ignored, and an ignored
    signal stays ignored across ``exec``: the servers the CLI tests start would then never
    see the SIGINT they send. A handled signal is reset to its default in the child, so
    for the session this process handles SIGINT the way Python does by default; restored
    after.
    """
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        yield
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.fixture(scope="session")
def portal() -> Iterator[SandboxPortal]:
    """A default sandbox portal: 5,000 contacts, seed 0, a generous rate limit.

    It behaves as HubSpot does today: v1 reads carry no list memberships, the Lists API
    serves them (the client reads them there).
    """
    with SandboxPortal(contacts=5000, seed=0, rate_limit=(10_000, 10_000)) as p:
        yield p


@pytest.fixture(scope="session")
def legacy_portal() -> Iterator[SandboxPortal]:
    """The same portal with the pre-2026 v1 answers (list memberships in v1 reads).

    For the tests of the v1 wire format itself (the sandbox's, and the frames built from
    it), which old recordings still have; ``tests/sandbox`` and ``tests/frames`` use it as
    their ``portal``.
    """
    with SandboxPortal(
        contacts=5000, seed=0, rate_limit=(10_000, 10_000), v1_memberships="legacy"
    ) as p:
        yield p


@pytest.fixture
def restore_gc() -> Iterator[None]:
    """Whatever a test does to the garbage collector, leave it as it was found."""
    enabled, threshold = gc.isenabled(), gc.get_threshold()
    yield
    gc.set_threshold(*threshold)
    (gc.enable if enabled else gc.disable)()


CountCollections = Callable[[], AbstractContextManager[list[int]]]


@pytest.fixture
def gc_collections(restore_gc: None) -> CountCollections:
    """``with gc_collections() as seen:`` lists the generation of every collection started.

    The collector is switched on with a threshold of 1 (a collection at every new
    container unless paused), so work done with it paused shows up as few entries.
    """

    @contextmanager
    def counting() -> Iterator[list[int]]:
        gc.enable()
        gc.set_threshold(1)
        seen: list[int] = []

        def count(phase: str, info: dict[str, Any]) -> None:
            if phase == "start":
                seen.append(info["generation"])

        gc.callbacks.append(count)
        try:
            yield seen
        finally:
            gc.callbacks.remove(count)

    return counting


@pytest.fixture
def make_client() -> Iterator[MakeClient]:
    """Build clients for a portal (fast retries, no cache unless asked); closed afterwards."""
    made: list[HubSpotClient] = []

    def build(portal: SandboxPortal, token: str | None = None, **kwargs: Any) -> HubSpotClient:
        options: dict[str, Any] = {"cache": False, **FAST, **kwargs}
        if "api_key" not in options:
            token = token or portal.access_token
        client = HubSpotClient(token, base_url=portal.base_url, **options)
        made.append(client)
        return client

    yield build
    for client in made:
        client.close()


@pytest.fixture
def client(portal: SandboxPortal) -> Iterator[HubSpotClient]:
    """A client of the session portal without caches (a dataset or a widget test needs none)."""
    with HubSpotClient(portal.access_token, base_url=portal.base_url, cache=False) as c:
        yield c


@pytest.fixture
def portal_env(portal: SandboxPortal, monkeypatch: pytest.MonkeyPatch) -> SandboxPortal:
    """Point the environment's credentials at the sandbox, as a user would for a real portal."""
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", portal.access_token)
    monkeypatch.setenv("HUBSPOT_BASE_URL", portal.base_url)
    return portal


@pytest.fixture(scope="module")
def sandbox_result(portal: SandboxPortal) -> LookupResult:
    """A value_and_history lookup of 40 sandbox utks with every form submission."""
    with HubSpotClient(portal.access_token, base_url=portal.base_url, cache=False) as c:
        result = c.lookup_utks(
            portal.sample_utks(40),
            property_mode="value_and_history",
            form_submission_mode="all",
            progress=False,
        )
        result.definitions()  # fetch while the client is open
    return result
