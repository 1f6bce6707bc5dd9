"""The proxy's WSGI application: HubSpot's utk endpoints for browsers, safely.

The token behind the proxy spends the portal's daily API limit, which every integration
on the portal shares. So every request goes through the same steps, in this order, and
each refusal costs HubSpot nothing:

1. an ``Origin`` that is not allowed → 403 JSON, without CORS headers;
2. a request body (``Content-Length``, ``Transfer-Encoding``) or a control character in
   the path → 400; a URL longer than ``max_url_length`` (HubSpot's 8,192) → 414;
3. a method other than GET, HEAD, OPTIONS → 405; an unknown path → 404;
4. ``OPTIONS`` → the preflight answer; ``/healthz`` → 200 (never waits, never limited);
5. a lookup without an ``Origin``, or sent in ``no-cors`` mode (``<img src>``, ``fetch``
   with ``mode: "no-cors"``: any site could make its visitors' browsers spend lookups
   it cannot even read) → 403, unless ``allow_servers`` admits callers without one;
6. the client's request rate (``client_rate``) → 429 with ``Retry-After``;
7. the query (:mod:`~hubutk_pandas.proxy.wire`): each utk 32 hexadecimal characters, at
   most as many as fit in *one* HubSpot URL → 400 ``VALIDATION_ERROR``;
8. the HTTP cache (:meth:`HubSpotClient.cached_batch`): a cached answer costs nothing;
9. otherwise one upstream call, if the client's budget of calls (``client_budget``,
   else 429), the proxy's budget for any 24 hours (``daily_budget``, else 503) and the
   shared pacer (``max_wait``, ``max_upstream``, else 503, load shedding) allow it; all
   with ``Retry-After``;
10. :meth:`HubSpotClient.fetch_batch`, and the answer rebuilt from the allow-list
    (:mod:`~hubutk_pandas.proxy.shape`) and written as strict JSON.

One proxy request is never more than one HubSpot call: the utks of a request fit one
URL, and the client must not retry (``max_retries=0``; a browser retries on its own
budget). HubSpot's refusals and broken answers are JSON errors with the CORS headers
and a correlation id (502 for garbage, ``NaN`` and lone surrogates included); a bug of
the proxy's own is a JSON 500, its traceback logged at ERROR.

The request's own ``Authorization`` header and ``hapikey`` / ``access_token``
parameters are never read: the client's credential is the only one used, and it is never
in an answer or a log line. Log lines name the client, the path, the status, the cost
and a short hash of the utks, never the utks, and everything logged while a request is
served, by any library, is scrubbed (:mod:`~hubutk_pandas.proxy.scrub`). Every answer
carries ``Vary: Origin``.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote, urlencode

from werkzeug.wrappers import Request, Response

from hubutk_pandas.errors import (
    AuthenticationError,
    BadRequestError,
    CacheError,
    DailyLimitError,
    HubSpotError,
    InvalidOptionError,
    RateLimitError,
)
from hubutk_pandas.options import Endpoint
from hubutk_pandas.proxy import wire
from hubutk_pandas.proxy.cors import ALLOWED_METHODS, CorsPolicy
from hubutk_pandas.proxy.limits import (
    ClientLimiter,
    DailyBudget,
    UpstreamGate,
    client_identity,
    parse_networks,
)
from hubutk_pandas.proxy.scrub import scrubbed_logs
from hubutk_pandas.proxy.shape import AnswerShape

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hubutk_pandas.client import HubSpotClient

__all__ = ["ProxyApp", "make_app"]

logger = logging.getLogger("hubutk_pandas.proxy")

JSON_TYPE = "application/json;charset=utf-8"
MAX_URL_LENGTH = 8192
DEFAULT_CLIENT_RATE = (30, 10.0)
"""Requests per client per window: 30 in 10 s (a page asks once per view)."""
DEFAULT_CLIENT_BUDGET = (20, 600.0)
"""Upstream calls per client per window: a new visitor costs one call, then is cached
for a day. 20 in 10 minutes leaves room for a shared address (an office, a NAT) and caps
one address at 2,880 calls a day, under 12% of the default daily budget."""
DEFAULT_DAILY_BUDGET = 25_000
"""Upstream calls in any 24 hours: 10% of the smallest HubSpot daily limit (250,000 on
Free and Starter; 625,000 on Professional, 1,000,000 on Enterprise)."""
DEFAULT_MAX_WAIT = 3.0
"""Seconds a lookup may wait for the shared pacer before it is shed (503)."""
DEFAULT_MAX_UPSTREAM = 8
"""Lookups waiting for the pacer or HubSpot at once: half of the server's 16 threads."""
DEFAULT_CACHE_MAX_BYTES = 256 * 2**20
"""The HTTP cache's cap (answers kept a day; an answer takes about 1-50 KB)."""
DEFAULT_CACHE_SWEEP = 300.0
"""Seconds between two sweeps of the HTTP cache (expired answers, then the cap)."""
_LONGEST_PATH = "/contacts/v1/contact/byUtk/batch/"
_OPTIONS_ROOM = 300  # the option parameters and a legacy hapikey, with room to spare
_PER_UTK = len("&utk=") + 32
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
    allow_deletes: bool = False,
    allow_servers: bool = False,
    client_rate: tuple[int, float] = DEFAULT_CLIENT_RATE,
    client_budget: tuple[int, float] = DEFAULT_CLIENT_BUDGET,
    daily_budget: int = DEFAULT_DAILY_BUDGET,
    max_wait: float = DEFAULT_MAX_WAIT,
    max_upstream: int = DEFAULT_MAX_UPSTREAM,
    trusted_proxies: Iterable[str] = (),
    max_url_length: int = MAX_URL_LENGTH,
    cache_max_bytes: int | None = DEFAULT_CACHE_MAX_BYTES,
    cache_sweep: float = DEFAULT_CACHE_SWEEP,
) -> ProxyApp:
    """The proxy as a WSGI app: HubSpot's utk endpoints for browsers, behind allow-lists.

    Mount it in any WSGI server (``hubutk proxy`` serves it with waitress). It serves
    ``GET /contacts/v1/contact/byUtk/batch/`` and ``.../utks/batch/`` with HubSpot's
    parameters and answer shapes, ``GET /properties/v1/contacts/properties`` (the allowed
    properties only) and ``GET /healthz``. Answers come from ``client`` (cached, paced
    as one app) and are rebuilt from the allow-list, so nothing else leaks. What each
    request may cost HubSpot is counted and capped (see :mod:`~hubutk_pandas.proxy.app`).

    Parameters
    ----------
    client
        The :class:`~hubutk_pandas.HubSpotClient` whose credential, cache and pacer
        serve every browser. Its rate limit is the portal's: it holds all browsers
        together under HubSpot's limit. It must be built with ``max_retries=0``, so that
        one request is never more than one HubSpot call.
    allow_origins
        The origins (``https://www.example.com``) whose pages may read answers.
        Required; ``*`` is refused; ``null`` only counts when listed.
    properties
        The only contact properties a browser may receive. Required.
    allow_history, allow_forms, allow_deletes
        Let property history, form submissions and deleted contacts
        (``includeDeletes=true``) through (off: a page gets current values of live
        contacts only; the parameter is ignored).
    allow_servers
        Serve lookups without an ``Origin`` header (server-to-server callers, ``curl``,
        this package's own client). Off by default: then any web page can make its
        visitors' browsers send lookups it cannot read (``<img src>``), spending the
        portal's limit from their addresses; the budgets below are then the only guard.
        A request a browser marks ``Sec-Fetch-Mode: no-cors`` is refused even so.
    allow_lists
        Refused (:data:`LISTS_REFUSED` says why): HubSpot's utk reads no longer carry list
        memberships, and the proxy does not read the Lists API for browsers.
    client_rate
        ``(requests, seconds)`` one client may send in any window; more get 429.
    client_budget
        ``(calls, seconds)``: the upstream calls (lookups the cache could not answer)
        one client may cause in any window; more get 429.
    daily_budget
        The upstream calls the proxy may make in any 24 hours, whoever asks; past it,
        lookups the cache cannot answer get 503 with ``Retry-After``, and the portal's
        other integrations keep the rest of its daily limit.
    max_wait
        Seconds a lookup may wait for the shared pacer; one that would wait longer gets
        503 with ``Retry-After`` at once (load shedding).
    max_upstream
        Lookups waiting for the pacer or HubSpot at once; more get 503. Keep it below
        the WSGI server's threads, so health checks and cached answers never wait.
    trusted_proxies
        Addresses or networks of reverse proxies in front of this app; only behind
        them is ``X-Forwarded-For`` read to find the client.
    max_url_length
        Longer URLs get 414 (HubSpot's limit is 8,192).
    cache_max_bytes
        The most the client's HTTP cache may hold (``None``: no cap); expired answers
        are swept every ``cache_sweep`` seconds (:meth:`~hubutk_pandas.HubSpotClient.trim_cache`).
    cache_sweep
        Seconds between two sweeps of the cache.

    Returns
    -------
    ProxyApp
        The WSGI callable.

    Raises
    ------
    InvalidOptionError
        No origin, ``*``, no property, a client that retries, ``allow_lists=True``, or
        another invalid option.

    Examples
    --------
    >>> from werkzeug.test import Client
    >>> from hubutk_pandas import HubSpotClient
    >>> portal = client.sandbox
    >>> proxied = HubSpotClient(portal.access_token, base_url=portal.base_url, cache=False,
    ...                         max_retries=0)
    >>> app = make_app(proxied, allow_origins=["https://shop.example"],
    ...                properties=["firstname", "lifecyclestage"])
    >>> utk = portal.sample_utks(1)[0]
    >>> answer = Client(app).get(
    ...     "/contacts/v1/contact/byUtk/batch/", query_string={"utk": utk, "property": "email"},
    ...     headers={"Origin": "https://shop.example"})
    >>> answer.status_code, answer.headers["Access-Control-Allow-Origin"]
    (200, 'https://shop.example')
    >>> answer.json[utk]["properties"]     # email was asked for, but it is not allowed
    {}
    >>> Client(app).get("/contacts/v1/contact/byUtk/batch/", query_string={"utk": utk}
    ...                 ).status_code       # no Origin: not a page that may read it
    403
    >>> Client(app).get("/healthz", headers={"Origin": "https://evil.example"}).status_code
    403
    >>> proxied.close()
    """
    return ProxyApp(
        client,
        allow_origins=allow_origins,
        properties=properties,
        allow_history=allow_history,
        allow_forms=allow_forms,
        allow_lists=allow_lists,
        allow_deletes=allow_deletes,
        allow_servers=allow_servers,
        client_rate=client_rate,
        client_budget=client_budget,
        daily_budget=daily_budget,
        max_wait=max_wait,
        max_upstream=max_upstream,
        trusted_proxies=trusted_proxies,
        max_url_length=max_url_length,
        cache_max_bytes=cache_max_bytes,
        cache_sweep=cache_sweep,
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


def _window(name: str, value: Any) -> tuple[int, float]:
    if not isinstance(value, tuple) or len(value) != 2:
        raise InvalidOptionError(f"{name}={value!r} is not valid; use (count, seconds)")
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


def utks_per_call(client: HubSpotClient, properties: Iterable[str]) -> int:
    """How many 32-character utks always fit in one of ``client``'s HubSpot URLs.

    Counts the base URL, the longest path, every allowed property, the options and a
    legacy key with room to spare; at most HubSpot's 100.

    Examples
    --------
    >>> utks_per_call(client, ["firstname"])
    100
    >>> utks_per_call(client, [f"a_rather_long_property_name_{i}" for i in range(150)])
    16
    """
    settings = client.settings
    props = len(urlencode([("property", p) for p in properties]))
    fixed = len(settings.base_url) + len(_LONGEST_PATH) + 1 + props + _OPTIONS_ROOM
    return min(wire.MAX_UTKS, (settings.max_url_length - fixed) // _PER_UTK)


@dataclass
class _Served:
    """What the access log says about one request."""

    utks: list[str] = field(default_factory=list)
    cost: int = 0


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
        allow_deletes: bool = False,
        allow_servers: bool = False,
        client_rate: tuple[int, float] = DEFAULT_CLIENT_RATE,
        client_budget: tuple[int, float] = DEFAULT_CLIENT_BUDGET,
        daily_budget: int = DEFAULT_DAILY_BUDGET,
        max_wait: float = DEFAULT_MAX_WAIT,
        max_upstream: int = DEFAULT_MAX_UPSTREAM,
        trusted_proxies: Iterable[str] = (),
        max_url_length: int = MAX_URL_LENGTH,
        cache_max_bytes: int | None = DEFAULT_CACHE_MAX_BYTES,
        cache_sweep: float = DEFAULT_CACHE_SWEEP,
    ) -> None:
        if client.settings.max_retries != 0:
            raise InvalidOptionError(
                f"the proxy's client retries (max_retries={client.settings.max_retries}); "
                "build it with max_retries=0, so that one request is never more than one "
                "HubSpot call (a browser retries on its own budget)"
            )
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
        self.allow_deletes = _flag("allow_deletes", allow_deletes)
        self.allow_servers = _flag("allow_servers", allow_servers)
        self.limiter = ClientLimiter(*_window("client_rate", client_rate))
        self.budget = ClientLimiter(*_window("client_budget", client_budget))
        self.daily = DailyBudget(daily_budget)
        self.gate = UpstreamGate(
            client.settings.rate_limit, max_wait=max_wait, max_concurrent=max_upstream
        )
        self.trusted = parse_networks(trusted_proxies)
        if isinstance(max_url_length, bool) or not isinstance(max_url_length, int):
            raise InvalidOptionError(f"max_url_length={max_url_length!r} is not valid")
        self.max_url_length = max_url_length
        self.max_utks = utks_per_call(client, self.shape.properties)
        if self.max_utks < 1:
            raise InvalidOptionError(
                f"properties: {len(self.shape.properties)} allowed properties leave no room "
                "for a utk in one HubSpot URL; allow fewer"
            )
        if cache_max_bytes is not None and (
            isinstance(cache_max_bytes, bool)
            or not isinstance(cache_max_bytes, int)
            or cache_max_bytes < 1
        ):
            raise InvalidOptionError(
                f"cache_max_bytes={cache_max_bytes!r} is not valid; use bytes >= 1 or None"
            )
        if isinstance(cache_sweep, bool) or not isinstance(cache_sweep, (int, float)):
            raise InvalidOptionError(f"cache_sweep={cache_sweep!r} is not valid; use seconds")
        self.cache_max_bytes = cache_max_bytes
        self.cache_sweep = float(cache_sweep)
        self._next_sweep = 0.0  # the first paid lookup sweeps what a previous run left
        self._sweeping = threading.Lock()
        self._definitions: list[dict[str, Any]] | None = None

    def __repr__(self) -> str:
        return (
            f"ProxyApp(origins={list(self.cors.origins)!r}, "
            f"properties={list(self.shape.properties)!r}, history={self.shape.history}, "
            f"forms={self.shape.forms}, lists={self.shape.lists}, "
            f"deletes={self.allow_deletes}, servers={self.allow_servers}, "
            f"client_rate={self.limiter.rate!r}, client_budget={self.budget.rate!r}, "
            f"daily_budget={self.daily.calls})"
        )

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        with scrubbed_logs():
            started = time.monotonic()
            request = Request(environ)
            who = client_identity(environ, self.trusted)
            served = _Served()
            try:
                response = self._answer(request, who, served)
            except Exception:
                logger.exception(
                    "a bug of the proxy's own serving %s %s for client %s",
                    wire.log_safe(request.method, 20),
                    self._path_for_log(request.path),
                    who,
                )
                response = _error(
                    500,
                    "The proxy failed on this request (a bug of its own, logged with its "
                    "traceback); try again later.",
                    "INTERNAL_ERROR",
                )
                self._add_cors(request, response)
            response.headers["Vary"] = "Origin"
            response.headers["X-Content-Type-Options"] = "nosniff"
            logger.info(
                "%s %s %d client=%s utks=%d utk_hash=%s cost=%d %.3fs",
                wire.log_safe(request.method, 20),
                self._path_for_log(request.path),
                response.status_code,
                who,
                len(served.utks),
                wire.utk_digest(served.utks) if served.utks else "-",
                served.cost,
                time.monotonic() - started,
            )
            return response(environ, start_response)

    @staticmethod
    def _path_for_log(path: str) -> str:
        # An unknown path may hold a utk (HubSpot's /contact/utk/<utk>/profile): only its hash.
        return path if wire.route(path) else f"<unknown {wire.utk_digest([path])}>"

    def _add_cors(self, request: Request, response: Response) -> None:
        origin = request.headers.get("Origin")
        if origin is not None and self.cors.allows(origin):
            for name, value in self.cors.headers(origin).items():
                response.headers.setdefault(name, value)

    # -- the steps ----------------------------------------------------------------------------

    def _answer(self, request: Request, who: str, served: _Served) -> Response:
        origin = request.headers.get("Origin")
        if origin is not None and not self.cors.allows(origin):
            return _error(403, "This origin may not read this proxy's answers.", "FORBIDDEN_ORIGIN")
        response = self._checked(request, who, served, origin)
        self._add_cors(request, response)
        return response

    def _checked(self, request: Request, who: str, served: _Served, origin: str | None) -> Response:
        environ = request.environ
        problem = wire.request_problem(
            content_length=environ.get("CONTENT_LENGTH"),
            transfer_encoding=environ.get("HTTP_TRANSFER_ENCODING"),
            path=str(environ.get("PATH_INFO", "")),
            query=str(environ.get("QUERY_STRING", "")),
        )
        if problem is not None:
            return _error(400, f"Bad request: {problem}.", "VALIDATION_ERROR")
        length = url_length(environ)
        if length > self.max_url_length:
            return _error(
                414,
                f"The request URI is too long ({length} characters; the limit is "
                f"{self.max_url_length}). Try shortening the URL by reducing the number of "
                "query parameters.",
                "VALIDATION_ERROR",
            )
        return self._route(request, who, served, origin)

    def _route(self, request: Request, who: str, served: _Served, origin: str | None) -> Response:
        allow = ", ".join(ALLOWED_METHODS)
        if request.method not in ALLOWED_METHODS:
            response = _error(
                405,
                f"Method {wire.log_safe(request.method, 20)} is not allowed; use GET",
                "METHOD_NOT_ALLOWED",
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
        refused = self._not_a_page_that_may_read(request, origin)
        if refused is not None:
            return refused
        wait = self.limiter.acquire(who)
        if wait is not None:
            return _retry_later(
                429,
                f"Too many requests from this client: at most {self.limiter.rate[0]} in "
                f"{self.limiter.rate[1]:g} seconds. Retry after the time in Retry-After.",
                "RATE_LIMIT",
                wait,
            )
        try:
            if name == "properties":
                return self._properties(who, served)
            return self._batch(request, name, who, served)
        except InvalidOptionError:
            raise  # the query was checked: the client refusing it is a bug of ours
        except HubSpotError as exc:
            return self._upstream_error(exc)

    def _not_a_page_that_may_read(self, request: Request, origin: str | None) -> Response | None:
        mode = request.headers.get("Sec-Fetch-Mode")
        if mode is not None and mode.strip().lower() != "cors":
            return _error(
                403,
                f"Lookups must be sent in CORS mode (this one: {wire.log_safe(mode, 20)}); "
                "a page cannot read a no-cors answer, so none is spent on it.",
                "FORBIDDEN_ORIGIN",
            )
        if origin is None and not (self.allow_servers and mode is None):
            return _error(
                403,
                "Lookups need an Origin header from an allowed page (this proxy serves "
                "browsers; server-to-server callers need --allow-server-callers).",
                "FORBIDDEN_ORIGIN",
            )
        return None

    def _properties(self, who: str, served: _Served) -> Response:
        definitions = self._definitions
        if definitions is None:  # the client keeps them once fetched: one call, once
            with self._paid_call(who, served) as refusal:
                if refusal is not None:
                    return refusal
                definitions = self._definitions = self.client.property_definitions()
        return self._send(self.shape.definitions(definitions))

    def _batch(self, request: Request, endpoint: str, who: str, served: _Served) -> Response:
        try:
            query = wire.parse_batch_query(request.args, max_utks=self.max_utks)
        except wire.InvalidQuery as exc:
            return _error(400, str(exc), "VALIDATION_ERROR")
        served.utks.extend(query.utks)
        shape = self.shape
        options: dict[str, Any] = {
            "endpoint": cast(Endpoint, endpoint),
            "properties": list(shape.properties),
            "property_mode": query.property_mode if shape.history else "value_only",
            "form_submission_mode": query.form_submission_mode if shape.forms else "none",
            "show_list_memberships": query.show_list_memberships and shape.lists,
            "include_deletes": query.include_deletes and self.allow_deletes,
        }
        answer = self.client.cached_batch(query.utks, **options)
        if answer is None:
            with self._paid_call(who, served) as refusal:
                if refusal is not None:
                    return refusal
                answer = self.client.fetch_batch(query.utks, **options)
        return self._send(shape.batch(answer, query.properties or None))

    def _paid_call(self, who: str, served: _Served) -> _PaidCall:
        return _PaidCall(self, who, served)

    def _send(self, body: Any) -> Response:
        try:
            return _json(body)
        except wire.UnsendableAnswer as exc:
            logger.warning("upstream answer not sent: %s", exc)
            return _error(
                502,
                "HubSpot sent an answer that is not valid JSON for a browser; try again later.",
                "UPSTREAM_ERROR",
            )

    def _sweep_cache(self) -> None:
        """Start a sweep of the HTTP cache in the background when one is due."""
        if self.client.settings.cache_dir is None or time.monotonic() < self._next_sweep:
            return
        if not self._sweeping.acquire(blocking=False):
            return
        self._next_sweep = time.monotonic() + self.cache_sweep

        def sweep() -> None:
            try:
                dropped = self.client.trim_cache(max_bytes=self.cache_max_bytes)
                logger.info("cache sweep: %d answers dropped", dropped)
            except CacheError as exc:
                logger.warning("cache sweep failed: %s", exc)
            finally:
                self._sweeping.release()

        threading.Thread(target=sweep, name="hubutk-proxy-cache-sweep", daemon=True).start()

    @staticmethod
    def _upstream_error(exc: HubSpotError) -> Response:
        # The message may quote a utk: log only what names the failure.
        logger.warning(
            "upstream %s (status %s, category %s, correlationId %s)",
            type(exc).__name__,
            exc.status,
            wire.log_safe(exc.category, 40),
            wire.log_safe(exc.correlation_id, 40),
        )
        if isinstance(exc, CacheError):
            return _retry_later(
                503, "The proxy's cache failed; try again later.", "CACHE_ERROR", 10
            )
        if isinstance(exc, DailyLimitError):
            return _error(
                503,
                "The HubSpot portal behind this proxy has reached its daily API limit; "
                "lookups resume after midnight in the portal's time zone.",
                "DAILY_LIMIT",
            )
        if isinstance(exc, RateLimitError):
            return _retry_later(
                503, "HubSpot is busy; try again shortly.", "RATE_LIMIT", 10, policyName="UPSTREAM"
            )
        if isinstance(exc, BadRequestError) and exc.status == 400:
            return _error(400, exc.message, "VALIDATION_ERROR")
        if isinstance(exc, AuthenticationError):
            return _error(502, "The proxy's HubSpot credential was refused.", "UPSTREAM_AUTH")
        return _error(502, "HubSpot could not answer; try again later.", "UPSTREAM_ERROR")


class _PaidCall:
    """One upstream call: admitted by every budget and the gate, or refused by one.

    ``with app._paid_call(who, served) as refusal``: ``refusal`` is ``None`` (make the
    call in the block) or the answer to send. Every admission is counted before the call
    (HubSpot counts a call that fails too); a refusal takes back what it had counted.
    """

    def __init__(self, app: ProxyApp, who: str, served: _Served) -> None:
        self.app, self.who, self.served = app, who, served
        self.admitted = False

    def __enter__(self) -> Response | None:
        app, who = self.app, self.who
        wait = app.budget.acquire(who)
        if wait is not None:
            return _retry_later(
                429,
                f"This client has used its share of HubSpot lookups: at most "
                f"{app.budget.rate[0]} that the cache cannot answer in "
                f"{app.budget.rate[1]:g} seconds. Retry after the time in Retry-After.",
                "RATE_LIMIT",
                wait,
                policyName="CLIENT_BUDGET",
            )
        wait = app.daily.acquire()
        if wait is not None:
            app.budget.refund(who)
            return _retry_later(
                503,
                f"This proxy has used its budget of {app.daily.calls} HubSpot calls for 24 "
                "hours (the portal's other integrations keep the rest of its limit). "
                "Retry after the time in Retry-After.",
                "DAILY_LIMIT",
                wait,
                policyName="PROXY_DAILY_BUDGET",
            )
        wait = app.gate.enter()
        if wait is not None:
            app.budget.refund(who)
            app.daily.refund()
            return _retry_later(
                503,
                "The proxy is busy: this lookup would wait too long for HubSpot. Retry after "
                "the time in Retry-After.",
                "RATE_LIMIT",
                wait,
                policyName="LOAD_SHEDDING",
            )
        self.admitted = True
        self.served.cost += 1
        return None

    def __exit__(self, *exc: object) -> None:
        if self.admitted:
            self.app.gate.leave()
            self.app._sweep_cache()


def _json(obj: Any, status: int = 200) -> Response:
    response = Response(wire.dumps(obj), status=status, content_type=JSON_TYPE)
    response.headers["Cache-Control"] = "no-store"
    return response


def _error(status: int, message: str, category: str, **extra: Any) -> Response:
    body = wire.error_body(message, category, **extra)
    response = _json(body, status)
    response.headers["X-HubSpot-Correlation-Id"] = body["correlationId"]
    return response


def _retry_later(status: int, message: str, category: str, wait: float, **extra: Any) -> Response:
    response = _error(status, message, category, **extra)
    response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
    return response
