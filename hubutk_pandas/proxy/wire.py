"""The proxy's side of HubSpot's wire format: routes, query parameters and error bodies.

Pure: parsing a query into the arguments of
:meth:`~hubutk_pandas.client.HubSpotClient.fetch_batch`, and HubSpot-style JSON bodies.

Examples
--------
>>> from werkzeug.datastructures import MultiDict
>>> q = parse_batch_query(MultiDict([("utk", "a1"), ("property", "firstname"),
...                                  ("showListMemberships", "TRUE")]))
>>> q.utks, q.properties, q.show_list_memberships
(['a1'], ['firstname'], True)
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from werkzeug.datastructures import MultiDict

from hubutk_pandas.options import (
    FORM_SUBMISSION_MODES,
    PROPERTY_MODES,
    FormSubmissionMode,
    PropertyMode,
)

__all__ = [
    "MAX_UTKS",
    "ROUTES",
    "BatchQuery",
    "InvalidQuery",
    "dumps",
    "error_body",
    "parse_batch_query",
    "route",
    "utk_digest",
]

MAX_UTKS = 100
"""HubSpot's limit of utks per batch request."""

ROUTES = (
    ("byUtk", re.compile(r"^/contacts/v1/contact/byUtk/batch/?$")),
    ("utks", re.compile(r"^/contacts/v1/contact/utks/batch/?$")),
    ("properties", re.compile(r"^/properties/v1/contacts/properties/?$")),
    ("healthz", re.compile(r"^/healthz/?$")),
)
_CHOICES = {
    "propertyMode": PROPERTY_MODES,
    "formSubmissionMode": FORM_SUBMISSION_MODES,
    "showListMemberships": ("true", "false"),
    "includeDeletes": ("true", "false"),
}


class InvalidQuery(ValueError):
    """A query parameter HubSpot would refuse (answered 400 ``VALIDATION_ERROR``)."""


@dataclass(frozen=True)
class BatchQuery:
    """A batch request's parameters, as HubSpot names them (``property`` may be empty)."""

    utks: list[str]
    properties: list[str]
    property_mode: PropertyMode = "value_only"
    form_submission_mode: FormSubmissionMode = "newest"
    show_list_memberships: bool = False
    include_deletes: bool = False


def route(path: str) -> str | None:
    """The name of the route serving ``path``, or ``None`` (404).

    Examples
    --------
    >>> route("/contacts/v1/contact/byUtk/batch/"), route("/contacts/v1/contact/vids/batch/")
    ('byUtk', None)
    """
    for name, pattern in ROUTES:
        if pattern.match(path):
            return name
    return None


def _choice(args: MultiDict[str, str], name: str, default: str) -> str:
    values = args.getlist(name)
    if not values:
        return default
    if len(values) > 1:
        raise InvalidQuery(f"Parameter {name} was given {len(values)} times; give it once")
    valid = _CHOICES[name]
    value = values[0].lower() if valid[0] == "true" else values[0]
    if value not in valid:
        raise InvalidQuery(
            f"Invalid value {values[0][:100]!r} for parameter {name}: valid values are "
            + ", ".join(valid)
        )
    return value


def parse_batch_query(args: MultiDict[str, str]) -> BatchQuery:
    """Validate a batch request's query; unknown parameters are ignored, as HubSpot does.

    Credentials in the query (``hapikey``, ``access_token``) are never read.

    Examples
    --------
    >>> parse_batch_query(MultiDict([("utk", "a")] * 101))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    hubutk_pandas.proxy.wire.InvalidQuery: Too many utk parameters: 101 given, at most 100 ...
    """
    utks = [u for u in args.getlist("utk") if u]
    if not utks:
        raise InvalidQuery("At least one utk query parameter is required (utk=...)")
    if len(utks) > MAX_UTKS:
        raise InvalidQuery(
            f"Too many utk parameters: {len(utks)} given, at most {MAX_UTKS} are allowed"
        )
    return BatchQuery(
        utks=utks,
        properties=list(dict.fromkeys(p for p in args.getlist("property") if p)),
        property_mode=cast(PropertyMode, _choice(args, "propertyMode", "value_only")),
        form_submission_mode=cast(
            FormSubmissionMode, _choice(args, "formSubmissionMode", "newest")
        ),
        show_list_memberships=_choice(args, "showListMemberships", "false") == "true",
        include_deletes=_choice(args, "includeDeletes", "false") == "true",
    )


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON, as HubSpot sends it."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def error_body(message: str, category: str, **extra: Any) -> dict[str, Any]:
    """A HubSpot-style error body with a fresh ``correlationId``.

    Examples
    --------
    >>> sorted(error_body("no", "VALIDATION_ERROR"))
    ['category', 'correlationId', 'message', 'status']
    """
    return {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category,
        **extra,
    }


def utk_digest(utks: Iterable[str]) -> str:
    """A short hash of a set of utks, for logs that must not carry the utks themselves.

    Examples
    --------
    >>> utk_digest(["b", "a"]) == utk_digest(["a", "b", "a"]), len(utk_digest(["a"]))
    (True, 12)
    """
    joined = "\n".join(sorted(set(utks))).encode("utf-8", "surrogateescape")
    return hashlib.sha256(joined).hexdigest()[:12]
