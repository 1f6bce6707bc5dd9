"""Fixtures of the options tests: the accessor tests' cached client."""

from tests.accessor.conftest import client

__all__ = ["client"]
