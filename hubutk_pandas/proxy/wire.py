"""The proxy's side of HubSpot's wire format: routes, query parameters and error bodies.

Pure: parsing a query into the arguments of
:meth:`~hubutk_pandas.client.HubSpotClient.fetch_batch`, HubSpot-style JSON bodies, and
what may be written in a log line.

* A utk is what HubSpot's tracking code writes in the ``hubspotutk`` cookie: 32
  hexadecimal characters (:data:`UTK_PATTERN`). Anything else is refused before any
  upstream call, so a utk is never longer than its 32 characters in HubSpot's URL.
* A route matches the whole path: ``/healthz`` followed by a newline is not ``/healthz``.
* :func:`dumps` writes strict JSON: ``NaN``, ``Infinity`` or a lone surrogate in an answer
  is an :class:`UnsendableAnswer`, never a body a browser's ``JSON.parse`` would choke on.
* :func:`log_safe` escapes what a client chose (a method, an address it claimed) before it
  reaches a log line.

Examples
--------
>>> from werkzeug.datastructures import MultiDict
>>> utk = "0123456789abcdef0123456789abcdef"
>>> q = parse_batch_query(MultiDict([("utk", utk), ("property", "firstname"),
...                                  ("showListMemberships", "TRUE")]))
>>> q.utks == [utk], q.properties, q.show_list_memberships
(True, ['firstname'], True)
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

from hubutk_pandas import wire
from hubutk_pandas.wire import FormSubmissionMode, PropertyMode

__all__ = [
    "MAX_UTKS",
    "ROUTES",
    "UTK_PATTERN",
    "BatchQuery",
    "InvalidQuery",
    "UnsendableAnswer",
    "dumps",
    "error_body",
    "log_safe",
    "parse_batch_query",
    "request_problem",
    "route",
    "utk_digest",
]

MAX_UTKS = wire.MAX_UTKS
"""HubSpot's limit of utks per batch request."""

UTK_PATTERN = re.compile(r"[0-9a-fA-F]{32}")
"""A ``hubspotutk`` cookie's value: 32 hexadecimal characters (matched whole)."""

ROUTES = (
    ("byUtk", re.compile(re.escape(wire.BY_UTK_PATH.rstrip("/")) + "/?")),
    ("utks", re.compile(re.escape(wire.UTKS_PATH.rstrip("/")) + "/?")),
    ("properties", re.compile(re.escape(wire.PROPERTIES_PATH.rstrip("/")) + "/?")),
    ("healthz", re.compile(r"/healthz/?")),
)
"""Each route's name and the pattern its path matches *whole* (``fullmatch``)."""
_CHOICES = wire.CHOICES


class InvalidQuery(ValueError):
    """A query parameter HubSpot would refuse (answered 400 ``VALIDATION_ERROR``)."""


class UnsendableAnswer(ValueError):
    """An answer that is not strict JSON (``NaN``, ``Infinity``, a lone surrogate)."""


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
    r"""The name of the route serving ``path``, or ``None`` (404).

    Examples
    --------
    >>> route("/contacts/v1/contact/byUtk/batch/"), route("/contacts/v1/contact/vids/batch/")
    ('byUtk', None)
    >>> route("/healthz"), route("/healthz\n")
    ('healthz', None)
    """
    for name, pattern in ROUTES:
        if pattern.fullmatch(path):
            return name
    return None


def _choice(args: MultiDict[str, str], name: str, default: str) -> str:
    values = args.getlist(name)
    if not values:
        return default
    if len(values) > 1:
        raise InvalidQuery(f"Parameter {name} was given {len(values)} times; give it once")
    valid = _CHOICES[name]
    value = values[0].lower() if valid == wire.BOOLEANS else values[0]
    if value not in valid:
        raise InvalidQuery(
            f"Invalid value {values[0][:100]!r} for parameter {name}: valid values are "
            + ", ".join(valid)
        )
    return value


def parse_batch_query(args: MultiDict[str, str], *, max_utks: int = MAX_UTKS) -> BatchQuery:
    """Validate a batch request's query; unknown parameters are ignored, as HubSpot does.

    Every ``utk`` must be 32 hexadecimal characters (a ``hubspotutk`` cookie); duplicates
    count once; at most ``max_utks``. Credentials in the query (``hapikey``,
    ``access_token``) are never read. Messages never quote a utk.

    Examples
    --------
    >>> parse_batch_query(MultiDict([("utk", "0" * 32)] * 2)).utks == ["0" * 32]
    True
    >>> parse_batch_query(MultiDict([("utk", "!" * 32)]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    hubutk_pandas.proxy.wire.InvalidQuery: Invalid utk parameter (the 1st): a utk is ...
    >>> parse_batch_query(MultiDict([("utk", f"{i:032x}") for i in range(101)]))
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    hubutk_pandas.proxy.wire.InvalidQuery: Too many utk parameters: 101 given, at most 100 ...
    """
    given = args.getlist(wire.UTK)
    if not given:
        raise InvalidQuery("At least one utk query parameter is required (utk=...)")
    for position, utk in enumerate(given, start=1):
        if not UTK_PATTERN.fullmatch(utk):
            raise InvalidQuery(
                f"Invalid utk parameter (the {_ordinal(position)}): a utk is the 32 "
                "hexadecimal characters of the hubspotutk cookie"
            )
    utks = list(dict.fromkeys(given))
    if len(utks) > max_utks:
        raise InvalidQuery(
            f"Too many utk parameters: {len(utks)} given, at most {max_utks} are allowed"
        )
    return BatchQuery(
        utks=utks,
        properties=list(dict.fromkeys(p for p in args.getlist(wire.PROPERTY) if p)),
        property_mode=cast(PropertyMode, _flagless(args, wire.PROPERTY_MODE)),
        form_submission_mode=cast(FormSubmissionMode, _flagless(args, wire.FORM_SUBMISSION_MODE)),
        show_list_memberships=_flag(args, wire.SHOW_LIST_MEMBERSHIPS),
        include_deletes=_flag(args, wire.INCLUDE_DELETES),
    )


def _flagless(args: MultiDict[str, str], name: str) -> str:
    return _choice(args, name, wire.DEFAULTS[name])


def _flag(args: MultiDict[str, str], name: str) -> bool:
    return _choice(args, name, wire.DEFAULTS[name]) == wire.encode_bool(True)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def request_problem(
    *,
    content_length: str | int | None,
    transfer_encoding: str | None,
    path: str,
    query: str = "",
) -> str | None:
    """Why a request must be refused (and its connection closed), or ``None``.

    The proxy takes no request body on any method, and no control character in the
    (decoded) path or the query.

    Examples
    --------
    >>> request_problem(content_length="0", transfer_encoding=None, path="/healthz") is None
    True
    >>> request_problem(content_length="5", transfer_encoding="chunked", path="/")
    'Content-Length together with Transfer-Encoding is refused'
    >>> request_problem(content_length=None, transfer_encoding=None, path="/healthz\\n")
    'a control character in the path is refused'
    """
    length = str(content_length or "0").strip()
    if transfer_encoding is not None and length != "0":
        return "Content-Length together with Transfer-Encoding is refused"
    if transfer_encoding is not None:
        return "Transfer-Encoding is refused: this server takes no request body"
    if length != "0":
        return "a request body is refused: this server takes none"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in path):
        return "a control character in the path is refused"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in query):
        return "a control character in the query is refused"
    return None


def dumps(obj: Any) -> bytes:
    r"""Compact, strict UTF-8 JSON, as HubSpot sends it.

    Raises :class:`UnsendableAnswer` for ``NaN``, ``Infinity`` or a lone surrogate, which
    no browser's ``JSON.parse`` would take.

    Examples
    --------
    >>> dumps({"a": [1, "é"]})
    b'{"a":[1,"\xc3\xa9"]}'
    >>> dumps({"a": float("nan")})
    Traceback (most recent call last):
    hubutk_pandas.proxy.wire.UnsendableAnswer: the answer holds NaN or Infinity
    """
    try:
        text = json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except ValueError:
        raise UnsendableAnswer("the answer holds NaN or Infinity") from None
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise UnsendableAnswer("the answer holds a lone surrogate") from None


_UNSAFE = re.compile(r"[^\x21-\x7e]")


def log_safe(text: object, limit: int = 64) -> str:
    r"""``text`` for a log line: printable ASCII, anything else escaped, cut at ``limit``.

    Examples
    --------
    >>> print(log_safe("GET\r\nFAKE 200"), log_safe("é" * 30, limit=12))
    GET\x0d\x0aFAKE\x20200 \u00e9\u00e9…
    """

    def escape(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"\\x{code:02x}" if code < 0x80 else f"\\u{code:04x}"

    out = _UNSAFE.sub(escape, str(text)[: limit + 1])
    return out if len(out) <= limit else out[:limit] + "…"


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
