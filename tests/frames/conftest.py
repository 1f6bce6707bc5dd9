"""Helpers for the frames tests: raw records fetched from the sandbox over loopback."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import requests

from hubutk_pandas.sandbox import SandboxPortal

RICH = {
    "propertyMode": "value_and_history",
    "formSubmissionMode": "all",
    "showListMemberships": "true",
    "includeDeletes": "true",
}

Fetch = Callable[..., dict[str, Any]]
FetchText = Callable[..., bytes]


@pytest.fixture(scope="session")
def portal(legacy_portal: SandboxPortal) -> SandboxPortal:
    """The frames tests read v1 records as recorded before 2026 (with list memberships)."""
    return legacy_portal


@pytest.fixture(scope="session")
def fetch_text(portal: SandboxPortal) -> FetchText:
    """``fetch_text(utks, **params)`` → the body of one byUtk batch request, as sent."""

    def _fetch(utks: list[str], path: str = "byUtk", **params: Any) -> bytes:
        response = requests.get(
            f"{portal.base_url}/contacts/v1/contact/{path}/batch/",
            params={"utk": utks, **params},
            headers={"Authorization": f"Bearer {portal.access_token}"},
            timeout=30,
        )
        response.raise_for_status()
        return response.content

    return _fetch


@pytest.fixture(scope="session")
def fetch(fetch_text: FetchText) -> Fetch:
    """``fetch(utks, **params)`` → the decoded body of one byUtk batch request."""

    def _fetch(utks: list[str], path: str = "byUtk", **params: Any) -> dict[str, Any]:
        body: dict[str, Any] = json.loads(fetch_text(utks, path, **params))
        return body

    return _fetch


@pytest.fixture(scope="session")
def definitions(portal: SandboxPortal) -> list[dict[str, Any]]:
    """The sandbox portal's property definitions."""
    response = requests.get(
        f"{portal.base_url}/properties/v1/contacts/properties",
        headers={"Authorization": f"Bearer {portal.access_token}"},
        timeout=30,
    )
    response.raise_for_status()
    got: list[dict[str, Any]] = response.json()
    return got
