"""Shared fixtures: one sandbox portal for the whole session, started on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hubutk_pandas.sandbox import SandboxPortal


@pytest.fixture(scope="session")
def portal() -> Iterator[SandboxPortal]:
    """A default sandbox portal: 5,000 contacts, seed 0, a generous rate limit."""
    with SandboxPortal(contacts=5000, seed=0, rate_limit=(10_000, 10_000)) as p:
        yield p
