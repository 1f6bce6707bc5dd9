"""Fixtures of the result tests: the frames tests' v1 records (the pre-2026 portal)."""

from tests.frames.conftest import definitions, fetch, fetch_text, portal

__all__ = ["definitions", "fetch", "fetch_text", "portal"]
