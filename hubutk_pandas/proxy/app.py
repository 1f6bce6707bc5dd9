"""The proxy's WSGI application: HubSpot's utk endpoints for browsers, safely.

Every request goes through the same steps, in this order:

1. an ``Origin`` that is not allowed → 403 JSON, without CORS headers;
2. a URL longer than ``max_url_length`` (HubSpot's 8,192) → 414, whatever server runs
   the app (with the CORS headers, so the page can read why);
3. a method other than GET, HEAD, OPTIONS → 405; an unknown path → 404;
4. ``OPTIONS`` → the preflight answer (allowed origins only, by step 2);
5. the client's own limit (:mod:`~hubutk_pandas.proxy.limits`) → 429 with ``Retry-After``;
6. the query (:mod:`~hubutk_pandas.proxy.wire`) → 400 ``VALIDATION_ERROR``;
7. :meth:`HubSpotClient.fetch_batch` (cached, paced as one app, retried), and the answer
   rebuilt from the allow-list (:mod:`~hubutk_pandas.proxy.shape`).

The request's own ``Authorization`` header and ``hapikey`` / ``access_token`` parameters
are never read: the client's credential is the only one used, and it is never in an
answer or a log line. Log lines name the client, the path, the status and a short hash
of the utks, never the utks. Every answer carries ``Vary: Origin``.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

from werkzeug.wrappers import Request, Response

from hubutk_pandas.errors import (
    AuthenticationError,
    BadRequestError,
    DailyLimitError,
    HubSpotError,
    InvalidOptionError,
    RateLimitError,
)
from hubutk_pandas.options import Endpoint
from hubutk_pandas.proxy import wire
from hubutk_pandas.proxy.cors import ALLOWED_METHODS, CorsPolicy
from hubutk_pandas.proxy.limits import ClientLimiter, client_identity, parse_networks
from hubutk_pandas.proxy.shape import AnswerShape

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hubutk_pandas.client import HubSpotClient

__all__ = ["ProxyApp", "make_app"]

logger = logging.getLogger("hubutk_pandas.proxy")

JSON_TYPE = "application/json;charset=utf-8"
MAX_URL_LENGTH = 8192
DEFAULT_CLIENT_RATE = (30, 10.0)
LISTS_REFUSED = (
    "allow_lists (--allow-lists) is refused: HubSpot's utk reads have not carried list "
    "memberships since 2026-04-30, and the proxy does not fetch them from the Lists API for "
    "browsers: each page's request would cost the portal a second request (a stranger could "
    "spend twice the limit), the answer would no longer be HubSpot's wire format, and a "
    "visitor's lists (segments) are the business's, not the page's. Read memberships "
    "server-side instead: hubutk lookup --show-list-memberships, or "
    "client.lookup_utks(..., show_list_memberships=True)."
)
"""Why ``allow_lists`` is refused (issue 18): the message of the error."""


def make_app(
    client: HubSpotClient,
    *,
    allow_origins: Iterable[str],
    properties: Iterable[str],
    allow_history: bool = False,
    allow_forms: bool = False,
    allow_lists: bool = False,
    client_rate: tuple[int, float] = DEFAULT_CLIENT_RATE,
    trusted_proxies: Iterable[str] = (),
    max_url_length: int = MAX_URL_LENGTH,
) -> ProxyApp:
    """The proxy as a WSGI app: HubSpot's utk endpoints for browsers, behind allow-lists.

    Mount it in any WSGI server (``hubutk proxy`` serves it with waitress). It serves
    ``GET /contacts/v1/contact/byUtk/batch/`` and ``.../utks/batch/`` with HubSpot's
    parameters and answer shapes, ``GET /properties/v1/contacts/properties`` (the allowed
    properties only) and ``GET /healthz``. Answers come from ``client`` (cached, paced
    as one app, retried) and are rebuilt from the allow-list, so nothing else leaks.

    Parameters
    ----------
    client
        The :class:`~hubutk_pandas.HubSpotClient` whose credential, cache and pacer
        serve every browser. Its rate limit is the portal's: it holds all browsers
        together under HubSpot's limit.
    allow_origins
        The origins (``https://www.example.com``) whose pages may read answers.
        Required; ``*`` is refused; ``null`` only counts when listed.
    properties
        The only contact properties a browser may receive. Required.
    allow_history, allow_forms
        Let property history and form submissions through (off: a page gets current
        values only).
    allow_lists
        Refused (:data:`LISTS_REFUSED` says why): HubSpot's utk reads no longer carry list
        memberships, and the proxy does not read the Lists API for browsers.
    client_rate
        ``(requests, seconds)`` one client may send in any window; more get 429.
    trusted_proxies
        Addresses or networks of reverse proxies in front of this app; only behind
        them is ``X-Forwarded-For`` read to find the client.
    max_url_length
        Longer URLs get 414 (HubSpot's limit is 8,192).

    Returns
    -------
    ProxyApp
        The WSGI callable.

    Raises
    ------
    InvalidOptionError
        No origin, ``*``, no property, ``allow_lists=True``, or another invalid option.

    Examples
    --------
    >>> from werkzeug.test import Client
    >>> app = make_app(client, allow_origins=["https://shop.example"],
    ...                properties=["firstname", "lifecyclestage"])
    >>> utk = client.sandbox.sample_utks(1)[0]
    >>> answer = Client(app).get(
    ...     "/contacts/v1/contact/byUtk/batch/", query_string={"utk": utk, "property": "email"},
    ...     headers={"Origin": "https://shop.example"})
    >>> answer.status_code, answer.headers["Access-Control-Allow-Origin"]
    (200, 'https://shop.example')
    >>> answer.json[utk]["properties"]     # email was asked for, but it is not allowed
    {}
    >>> Client(app).get("/healthz", headers={"Origin": "https://evil.example"}).status_code
    403
    """
    return ProxyApp(
        client,
        allow_origins=allow_origins,
        properties=properties,
        allow_history=allow_history,
        allow_forms=allow_forms,
        allow_lists=allow_lists,
        client_rate=client_rate,
        trusted_proxies=trusted_proxies,
        max_url_length=max_url_length,
    )


def _properties(properties: Iterable[str]) -> tuple[str, ...]:
    items = [properties] if isinstance(properties, str) else properties
    try:
        names = list(items)
    except TypeError:
        raise InvalidOptionError(
            f"properties={properties!r} is not valid; list the property names"
        ) from None
    bad = [p for p in names if not isinstance(p, str) or not p.strip() or p.strip() == "*"]
    if bad or not names:
        raise InvalidOptionError(
            f"properties={bad[0] if bad else names!r} is not valid; list the property names a "
            "browser may receive (there is no 'all properties')"
        )
    return tuple(dict.fromkeys(p.strip() for p in names))


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidOptionError(f"{name}={value!r} is not valid; use True or False")
    return value


def url_length(environ: dict[str, Any]) -> int:
    """The length of the request's URL (path and query) as the client sent it.

    Servers differ in what they keep: ``REQUEST_URI`` / ``RAW_URI`` when they have them,
    else the path re-encoded plus the query string. The longest is taken.

    Examples
    --------
    >>> url_length({"PATH_INFO": "/a b", "QUERY_STRING": "utk=x"})
    12
    """
    path = quote(str(environ.get("SCRIPT_NAME", "")) + str(environ.get("PATH_INFO", "")))
    query = str(environ.get("QUERY_STRING", ""))
    rebuilt = len(path) + (1 + len(query) if query else 0)
    given = [len(str(environ.get(k) or "")) for k in ("REQUEST_URI", "RAW_URI")]
    return max(rebuilt, *given)


class ProxyApp:
    """The proxy's WSGI callable; build it with :func:`make_app`."""

    def __init__(
        self,
        client: HubSpotClient,
        *,
        allow_origins: Iterable[str],
        properties: Iterable[str],
        allow_history: bool = False,
        allow_forms: bool = False,
        allow_lists: bool = False,
        client_rate: tuple[int, float] = DEFAULT_CLIENT_RATE,
        trusted_proxies: Iterable[str] = (),
        max_url_length: int = MAX_URL_LENGTH,
    ) -> None:
        self.client = client
        self.cors = CorsPolicy(allow_origins)
        self.shape = AnswerShape(
            properties=_properties(properties),
            history=_flag("allow_history", allow_history),
            forms=_flag("allow_forms", allow_forms),
            lists=_flag("allow_lists", allow_lists),
        )
        if self.shape.lists:
            raise InvalidOptionError(LISTS_REFUSED)
        if not isinstance(client_rate, tuple) or len(client_rate) != 2:
            raise InvalidOptionError(
                f"client_rate={client_rate!r} is not valid; use (requests, seconds)"
            )
        self.limiter = ClientLimiter(*client_rate)
        self.trusted = parse_networks(trusted_proxies)
        if isinstance(max_url_length, bool) or not isinstance(max_url_length, int):
            raise InvalidOptionError(f"max_url_length={max_url_length!r} is not valid")
        self.max_url_length = max_url_length

    def __repr__(self) -> str:
        return (
            f"ProxyApp(origins={list(self.cors.origins)!r}, "
            f"properties={list(self.shape.properties)!r}, history={self.shape.history}, "
            f"forms={self.shape.forms}, lists={self.shape.lists}, "
            f"client_rate={self.limiter.rate!r})"
        )

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        started = time.monotonic()
        request = Request(environ)
        who = client_identity(environ, self.trusted)
        utks: list[str] = []
        response = self._answer(request, who, utks)
        response.headers["Vary"] = "Origin"
        response.headers["X-Content-Type-Options"] = "nosniff"
        # An unknown path may hold a utk (HubSpot's /contact/utk/<utk>/profile): only its hash.
        path = (
            request.path
            if wire.route(request.path)
            else f"<unknown {wire.utk_digest([request.path])}>"
        )
        logger.info(
            "%s %s %d client=%s utks=%d utk_hash=%s %.3fs",
            request.method[:20],
            path,
            response.status_code,
            who,
            len(utks),
            wire.utk_digest(utks) if utks else "-",
            time.monotonic() - started,
        )
        return response(environ, start_response)

    # -- the steps ----------------------------------------------------------------------------

    def _answer(self, request: Request, who: str, utks: list[str]) -> Response:
        origin = request.headers.get("Origin")
        if origin is not None and not self.cors.allows(origin):
            return _error(403, "This origin may not read this proxy's answers.", "FORBIDDEN_ORIGIN")
        cors = self.cors.headers(origin) if origin is not None else {}
        length = url_length(request.environ)
        if length > self.max_url_length:
            response = _error(
                414,
                f"The request URI is too long ({length} characters; the limit is "
                f"{self.max_url_length}). Try shortening the URL by reducing the number of "
                "query parameters.",
                "VALIDATION_ERROR",
            )
        else:
            response = self._route(request, who, utks, origin)
        for name, value in cors.items():
            response.headers.setdefault(name, value)
        return response

    def _route(self, request: Request, who: str, utks: list[str], origin: str | None) -> Response:
        allow = ", ".join(ALLOWED_METHODS)
        if request.method not in ALLOWED_METHODS:
            response = _error(
                405, f"Method {request.method[:20]} is not allowed; use GET", "METHOD_NOT_ALLOWED"
            )
            response.headers["Allow"] = allow
            return response
        name = wire.route(request.path)
        if name is None:
            return _error(404, "resource not found", "OBJECT_NOT_FOUND")
        if request.method == "OPTIONS":
            response = Response(status=204)
            if origin is not None and "Access-Control-Request-Method" in request.headers:
                response.headers.update(self.cors.preflight_headers(origin))
            response.headers["Allow"] = allow
            return response
        if name == "healthz":
            return _json({"status": "ok"})
        wait = self.limiter.acquire(who)
        if wait is not None:
            response = _error(
                429,
                f"Too many requests from this client: at most {self.limiter.rate[0]} in "
                f"{self.limiter.rate[1]:g} seconds. Retry after the time in Retry-After.",
                "RATE_LIMIT",
            )
            response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
            return response
        try:
            if name == "properties":
                return _json(self.shape.definitions(self.client.property_definitions()))
            return self._batch(request, name, utks)
        except HubSpotError as exc:
            return self._upstream_error(exc)

    def _batch(self, request: Request, endpoint: str, utks: list[str]) -> Response:
        try:
            query = wire.parse_batch_query(request.args)
        except wire.InvalidQuery as exc:
            return _error(400, str(exc), "VALIDATION_ERROR")
        utks.extend(query.utks)
        shape = self.shape
        try:
            answer = self.client.fetch_batch(
                query.utks,
                endpoint=cast(Endpoint, endpoint),
                properties=list(shape.properties),
                property_mode=query.property_mode if shape.history else "value_only",
                form_submission_mode=query.form_submission_mode if shape.forms else "none",
                show_list_memberships=query.show_list_memberships and shape.lists,
                include_deletes=query.include_deletes,
            )
        except InvalidOptionError as exc:
            return _error(400, exc.message, "VALIDATION_ERROR")
        return _json(shape.batch(answer, query.properties or None))

    @staticmethod
    def _upstream_error(exc: HubSpotError) -> Response:
        # The message may quote a utk: log only what names the failure.
        logger.warning(
            "upstream %s (status %s, category %s, correlationId %s)",
            type(exc).__name__,
            exc.status,
            exc.category,
            exc.correlation_id,
        )
        if isinstance(exc, DailyLimitError):
            return _error(
                503,
                "The HubSpot portal behind this proxy has reached its daily API limit; "
                "lookups resume after midnight in the portal's time zone.",
                "DAILY_LIMIT",
            )
        if isinstance(exc, RateLimitError):
            response = _error(
                503, "HubSpot is busy; try again shortly.", "RATE_LIMIT", policyName="UPSTREAM"
            )
            response.headers["Retry-After"] = "10"
            return response
        if isinstance(exc, BadRequestError) and exc.status == 400:
            return _error(400, exc.message, "VALIDATION_ERROR")
        if isinstance(exc, AuthenticationError):
            return _error(502, "The proxy's HubSpot credential was refused.", "UPSTREAM_AUTH")
        return _error(502, "HubSpot could not answer; try again later.", "UPSTREAM_ERROR")


def _json(obj: Any, status: int = 200) -> Response:
    response = Response(wire.dumps(obj), status=status, content_type=JSON_TYPE)
    response.headers["Cache-Control"] = "no-store"
    return response


def _error(status: int, message: str, category: str, **extra: Any) -> Response:
    body = wire.error_body(message, category, **extra)
    response = _json(body, status)
    response.headers["X-HubSpot-Correlation-Id"] = body["correlationId"]
    return response
