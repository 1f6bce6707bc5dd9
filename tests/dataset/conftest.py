"""Fixtures of the dataset tests: a client of the session's sandbox portal."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hubutk_pandas import HubSpotClient
from hubutk_pandas.sandbox import SandboxPortal


@pytest.fixture
def client(portal: SandboxPortal) -> Iterator[HubSpotClient]:
    """A client of the session portal without caches (a dataset needs none)."""
    with HubSpotClient(portal.access_token, base_url=portal.base_url, cache=False) as c:
        yield c
