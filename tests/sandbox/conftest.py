"""Fixtures of the sandbox tests."""

from __future__ import annotations

import pytest

from hubutk_pandas.sandbox import SandboxPortal


@pytest.fixture(scope="session")
def portal(legacy_portal: SandboxPortal) -> SandboxPortal:
    """The v1 wire-format tests read the pre-2026 answers (memberships in v1 reads).

    ``test_v1_memberships.py`` checks today's default on portals of its own.
    """
    return legacy_portal
