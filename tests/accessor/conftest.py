"""Fixtures of the accessor tests: a cached client bound to the session's sandbox portal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hubutk_pandas import HubSpotClient
from hubutk_pandas.sandbox import SandboxPortal


@pytest.fixture
def client(portal: SandboxPortal, tmp_path: Path) -> Iterator[HubSpotClient]:
    """A client of the session portal with its own cache folder."""
    with HubSpotClient(portal.access_token, base_url=portal.base_url, cache=tmp_path) as c:
        yield c
