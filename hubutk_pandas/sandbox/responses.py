"""HubSpot-shaped answers: JSON bodies for errors and data, and the fault answers."""

from __future__ import annotations

import contextlib
import json
import socket
import uuid
from collections.abc import Iterator
from typing import Any

from werkzeug.wrappers import Response

__all__ = [
    "AUTH_BAD_KEY",
    "AUTH_MISSING",
    "MISSING_SCOPES",
    "error",
    "json_response",
    "missing_scopes",
]

JSON_TYPE = "application/json;charset=utf-8"
AUTH_MISSING = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you "
    "can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)
AUTH_BAD_KEY = (
    "The API key provided is invalid. View or manage your API key here: "
    "https://app.hubspot.com/l/api-key/"
)
MISSING_SCOPES = (
    "This app hasn't been granted all required scopes to make this call. Read more about "
    "required scopes here: https://developers.hubspot.com/scopes."
)
SCOPES_LINK = "https://developers.hubspot.com/scopes"
_BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON, as HubSpot sends it."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer."""
    return Response(dumps(obj), status=status, headers=headers, content_type=JSON_TYPE)


def correlation_id() -> str:
    """A fresh correlation id (random: it is not part of the data)."""
    return str(uuid.uuid4())


def error(status: int, message: str, **extra: Any) -> Response:
    """A HubSpot-style error answer: ``{"status":"error","message":...,"correlationId":...}``."""
    cid = correlation_id()
    body = {"status": "error", "message": message, "correlationId": cid, **extra}
    return json_response(body, status, {"X-HubSpot-Correlation-Id": cid})


def missing_scopes(required: list[str]) -> Response:
    """HubSpot's 403 for a token without a scope the endpoint needs (``MISSING_SCOPES``).

    The scopes are listed under ``errors[].context.requiredGranularScopes``, as HubSpot
    names granular scopes such as ``crm.lists.read`` (older answers, for the coarse
    scopes of old apps, used ``requiredScopes``).
    """
    return error(
        403,
        MISSING_SCOPES,
        errors=[
            {
                "message": "One or more of the following scopes are required.",
                "context": {"requiredGranularScopes": required},
            }
        ],
        links={"scopes": SCOPES_LINK},
        category="MISSING_SCOPES",
    )


def account_details(portal_id: int) -> dict[str, Any]:
    """``GET /account-info/v3/details``: the account's settings, as HubSpot sends them."""
    return {
        "portalId": portal_id,
        "accountType": "STANDARD",
        "timeZone": "US/Eastern",
        "companyCurrency": "USD",
        "additionalCurrencies": [],
        "utcOffset": "-05:00",
        "utcOffsetMilliseconds": -18_000_000,
        "uiDomain": "app.hubspot.com",
        "dataHostingLocation": "na1",
    }


def rate_limited(policy: str, portal_id: int) -> Response:
    """The 429 of ``TEN_SECONDLY_ROLLING`` or ``DAILY``."""
    if policy == "DAILY":
        message = "You have reached your daily limit."
        group = f"publicapi:private_app-api-calls-daily:{portal_id}"
    else:
        message = "You have reached your ten_secondly_rolling limit."
        group = f"publicapi:private_app-api-calls-ten-secondly:{portal_id}:1"
    cid = correlation_id()
    body = {
        "status": "error",
        "message": message,
        "errorType": "RATE_LIMIT",
        "correlationId": cid,
        "policyName": policy,
        "groupName": group,
        "requestId": uuid.uuid4().hex,
    }
    return json_response(body, 429, {"X-HubSpot-Correlation-Id": cid})


def bad_gateway() -> Response:
    """The 502 of an upstream proxy: an HTML body."""
    return Response(_BAD_GATEWAY_HTML, status=502, content_type="text/html")


def unavailable() -> Response:
    """A 503 (HubSpot sends a JSON error body on its own 5xx)."""
    return error(503, "Service Unavailable. Please try again later.", category="UNAVAILABLE")


def bad_json(body: bytes) -> Response:
    """A 200 whose JSON body is cut in the middle (but correctly framed)."""
    return Response(body[: max(1, len(body) // 2)] + b"\x00garbage", content_type=JSON_TYPE)


def wrong_shape(body: bytes) -> Response:
    """A 200 of valid JSON in the wrong shape: an object's values as a list.

    Examples
    --------
    >>> wrong_shape(b'{"u1": {"vid": 1}}').get_data()
    b'[{"vid":1}]'
    """
    data = json.loads(body)
    return json_response(list(data.values()) if isinstance(data, dict) else {"data": data})


def truncated(body: bytes, environ: dict[str, Any]) -> Response:
    """A 200 announcing the full Content-Length, sending half, then closing the connection."""

    def stream() -> Iterator[bytes]:
        yield body[: len(body) // 2]
        drop_connection(environ)

    response = Response(stream(), content_type=JSON_TYPE)
    response.headers["Content-Length"] = str(len(body))
    return response


def drop_connection(environ: dict[str, Any]) -> None:
    """Close the client's connection now and abort the request (no answer is sent)."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed by the peer
            sock.shutdown(socket.SHUT_RDWR)
    raise ConnectionAbortedError("sandbox fault: connection dropped")
