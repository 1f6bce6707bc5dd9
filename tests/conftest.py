"""Shared fixtures: one sandbox portal for the whole session, started on loopback."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from hubutk_pandas.sandbox import SandboxPortal


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


@pytest.fixture(scope="session")
def portal() -> Iterator[SandboxPortal]:
    """A default sandbox portal: 5,000 contacts, seed 0, a generous rate limit."""
    with SandboxPortal(contacts=5000, seed=0, rate_limit=(10_000, 10_000)) as p:
        yield p


@pytest.fixture
def restore_gc() -> Iterator[None]:
    """Whatever a test does to the garbage collector, leave it as it was found."""
    enabled, threshold = gc.isenabled(), gc.get_threshold()
    yield
    gc.set_threshold(*threshold)
    (gc.enable if enabled else gc.disable)()
