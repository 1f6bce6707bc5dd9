"""Fixtures of the client tests: clients with tiny backoffs, bound to a sandbox portal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hubutk_pandas.client import HubSpotClient
from hubutk_pandas.sandbox import SandboxPortal

FAST = {"backoff_factor": 0.01, "backoff_max": 0.05, "max_retry_time": 20.0, "timeout": 5.0}

MakeClient = Callable[..., HubSpotClient]


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
