"""Small HTTP helpers for the sandbox tests (real requests on 127.0.0.1)."""

from __future__ import annotations

from typing import Any

import requests

from hubutk_pandas.sandbox import SandboxPortal

BY_UTK = "/contacts/v1/contact/byUtk/batch/"
UTKS = "/contacts/v1/contact/utks/batch/"
PROPERTIES = "/properties/v1/contacts/properties"
#: The Lists API roots, per version.
LIST_ROOTS = {
    "v3": "/crm/v3/lists",
    "2026-03": "/crm/lists/2026-03",
    "2026-09": "/crm/lists/2026-09",
}
RATE_HEADERS = (
    "X-HubSpot-RateLimit-Max",
    "X-HubSpot-RateLimit-Remaining",
    "X-HubSpot-RateLimit-Interval-Milliseconds",
    "X-HubSpot-RateLimit-Daily",
    "X-HubSpot-RateLimit-Daily-Remaining",
)


def get(
    portal: SandboxPortal,
    path: str,
    params: Any = None,
    *,
    token: str | None = None,
    **kwargs: Any,
) -> requests.Response:
    """GET ``path`` with the portal's Bearer token (or ``token``)."""
    headers = {"Authorization": f"Bearer {token or portal.access_token}"}
    return requests.get(
        portal.base_url + path, params=params, headers=headers, timeout=10, **kwargs
    )


def batch(
    portal: SandboxPortal, utks: list[str], path: str = BY_UTK, **params: Any
) -> dict[str, Any]:
    """A successful batch call's JSON."""
    resp = get(portal, path, {"utk": utks, **params})
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def post(
    portal: SandboxPortal,
    path: str,
    body: Any = None,
    *,
    token: str | None = None,
    **kwargs: Any,
) -> requests.Response:
    """POST ``body`` as JSON to ``path`` with the portal's Bearer token (or ``token``)."""
    headers = {"Authorization": f"Bearer {token or portal.access_token}"}
    return requests.post(portal.base_url + path, json=body, headers=headers, timeout=10, **kwargs)


def contact_inputs(vids: list[int] | list[str]) -> dict[str, Any]:
    """The body of a memberships batch read for contact ids."""
    return {"inputs": [{"objectTypeId": "0-1", "recordId": str(v)} for v in vids]}
