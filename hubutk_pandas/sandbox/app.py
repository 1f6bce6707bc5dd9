"""The sandbox's WSGI application: routing, URL length, auth, limits, faults, parameters.

Order of checks for every request (documented choices):

1. latency is added (all requests);
2. a URL (path + query) longer than ``max_url_length`` → 414, before auth, like a front proxy;
3. credentials (``Authorization: Bearer`` or ``hapikey=``) → 401 if missing, unknown or revoked;
   then, on a known endpoint, the token's scopes → 403 ``MISSING_SCOPES`` naming the scope
   it lacks (``crm.objects.contacts.read`` for the contact and property endpoints,
   ``crm.lists.read`` for the Lists API; see ``accounts.py``); like a 401, a 403 does not
   count toward the limits and carries no rate-limit headers (HubSpot does not document
   either);
4. the account's limits → 429 (``TEN_SECONDLY_ROLLING`` or ``DAILY``); admitted requests count.
   The contact endpoints and the Lists API share them: HubSpot's burst limit is per app
   and its daily limit per account;
5. unknown path → 404, wrong method → 405;
6. faults (random or injected) on the *contact* endpoints (batch and profile), after auth
   and limits, so a faulty answer still counts toward the limits, as a real upstream
   failure behind HubSpot's gateway would; faults injected with ``on="lists"`` hit the
   Lists API the same way (random faults never do); property definitions never fault; an
   injected ``"400"`` answers a ``VALIDATION_ERROR``, an injected ``"badshape"`` a 200 of
   valid JSON in the wrong shape;
7. parameters or body → 400 naming what is wrong; a batch holding a *poisoned* utk (a test
   hook, see ``faults.py``) → 400 naming it; then the data.

Every answer after step 3 carries the ``X-HubSpot-RateLimit-*`` headers (``-Max``,
``-Remaining``, ``-Interval-Milliseconds``, ``-Daily``, ``-Daily-Remaining``), as HubSpot
sends them to private apps and Service Keys.

What a v1 read asked for list memberships holds is :attr:`SandboxApp.v1_memberships`
(see :data:`~hubutk_pandas.sandbox.data.V1_MEMBERSHIPS`); the Lists API serves the same
memberships whatever it is.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from hubutk_pandas.sandbox import lists_api
from hubutk_pandas.sandbox import responses as r
from hubutk_pandas.sandbox.accounts import CONTACTS_READ, LISTS_READ, AccountState, Registry
from hubutk_pandas.sandbox.data import V1_MEMBERSHIPS
from hubutk_pandas.sandbox.faults import FaultPlan
from hubutk_pandas.sandbox.stats import SandboxStats
from hubutk_pandas.sandbox.vocab import property_definitions

__all__ = ["MAX_BODY_BYTES", "MAX_UTKS", "Options", "Route", "SandboxApp", "parse_options"]

MAX_UTKS = 100
MAX_BODY_BYTES = 2 * 1024 * 1024
"""Longer request bodies get a 413 (10,000 legacy list ids take about 100 kB)."""

_READ = ("GET", "HEAD")


@dataclass(frozen=True)
class Route:
    """One endpoint: its name, path pattern, the template counted in the stats, and needs."""

    name: str
    pattern: re.Pattern[str]
    template: str
    methods: tuple[str, ...] = _READ
    scope: str | None = CONTACTS_READ  # None: any valid credential
    version: str | None = None  # the Lists API version

    @property
    def is_lists(self) -> bool:
        """Whether this is a Lists API endpoint."""
        return self.version is not None


def _routes() -> tuple[Route, ...]:
    routes = [
        Route(
            "utks",
            re.compile(r"^/contacts/v1/contact/utks/batch/?$"),
            "/contacts/v1/contact/utks/batch/",
        ),
        Route(
            "byUtk",
            re.compile(r"^/contacts/v1/contact/byUtk/batch/?$"),
            "/contacts/v1/contact/byUtk/batch/",
        ),
        Route(
            "profile",
            re.compile(r"^/contacts/v1/contact/utk/([^/]+)/profile/?$"),
            "/contacts/v1/contact/utk/<utk>/profile",
        ),
        Route(
            "properties",
            re.compile(r"^/properties/v1/contacts/properties/?$"),
            "/properties/v1/contacts/properties",
        ),
        Route(
            "account",
            re.compile(r"^/account-info/(?:v3|2026-03)/details/?$"),
            "/account-info/v3/details",
            scope=None,
        ),
    ]
    for version, root in lists_api.VERSIONS.items():
        esc = re.escape(root)
        routes += [
            Route(
                "lists-batch",
                re.compile(rf"^{esc}/records/memberships/batch/read/?$"),
                f"{root}/records/memberships/batch/read",
                ("POST",),
                LISTS_READ,
                version,
            ),
            Route(
                "lists-record",
                re.compile(rf"^{esc}/records/([^/]+)/([^/]+)/memberships/?$"),
                f"{root}/records/<objectTypeId>/<recordId>/memberships",
                _READ,
                LISTS_READ,
                version,
            ),
            Route(
                "lists-idmapping",
                re.compile(rf"^{esc}/idmapping/?$"),
                f"{root}/idmapping",
                (*_READ, "POST"),
                LISTS_READ,
                version,
            ),
            Route("lists", re.compile(rf"^{esc}/?$"), f"{root}/", _READ, LISTS_READ, version),
        ]
    return tuple(routes)


_ROUTES = _routes()
_CHOICES = {
    "propertyMode": ("value_only", "value_and_history"),
    "formSubmissionMode": ("all", "none", "newest", "oldest"),
    "showListMemberships": ("true", "false"),
    "includeDeletes": ("true", "false"),
}


class InvalidParameter(Exception):
    """A query parameter has a value the API does not accept (→ 400)."""


@dataclass(frozen=True)
class Options:
    """The parsed query parameters of a contact request."""

    utks: list[str]
    properties: list[str] | None = None
    property_mode: str = "value_only"
    form_submission_mode: str = "newest"
    show_list_memberships: bool = False
    include_deletes: bool = False


def _choice(args: MultiDict[str, str], name: str, default: str) -> str:
    value = args.get(name)
    if value is None:
        return default
    valid = _CHOICES[name]
    norm = value.lower() if valid[0] == "true" else value
    if norm not in valid:
        raise InvalidParameter(
            f"Invalid value {value!r} for parameter {name}: valid values are {', '.join(valid)}"
        )
    return norm


def parse_options(args: MultiDict[str, str], *, profile_utk: str | None = None) -> Options:
    """Parse and validate the query of a batch (or profile) request.

    Examples
    --------
    >>> parse_options(MultiDict([("utk", "a"), ("propertyMode", "value_and_history")]))
    ... # doctest: +ELLIPSIS
    Options(utks=['a'], properties=None, property_mode='value_and_history', ...)
    """
    if profile_utk is None:
        utks = [u for u in args.getlist("utk") if u]
        if not utks:
            raise InvalidParameter("At least one utk query parameter is required (utk=...)")
        if len(utks) > MAX_UTKS:
            raise InvalidParameter(
                f"Too many utk parameters: {len(utks)} given, at most {MAX_UTKS} are allowed"
            )
    else:
        utks = [profile_utk]
    props = [p for p in args.getlist("property") if p]
    # Profile reads default to history, all submissions and list memberships, as HubSpot's do.
    prof = profile_utk is not None
    return Options(
        utks=utks,
        properties=props or None,
        property_mode=_choice(args, "propertyMode", "value_and_history" if prof else "value_only"),
        form_submission_mode=_choice(args, "formSubmissionMode", "all" if prof else "newest"),
        show_list_memberships=_choice(args, "showListMemberships", "true" if prof else "false")
        == "true",
        include_deletes=_choice(args, "includeDeletes", "false") == "true",
    )


class _Request(Request):
    max_content_length = MAX_BODY_BYTES


class SandboxApp:
    """The WSGI callable. All mutable state lives in the objects passed in.

    ``list_faults`` (default: none) is the fault plan of the Lists API endpoints;
    ``v1_memberships`` what v1 reads asked for list memberships hold.
    """

    def __init__(
        self,
        registry: Registry,
        faults: FaultPlan,
        stats: SandboxStats,
        max_url_length: int = 8192,
        sleep: Callable[[float], None] = time.sleep,
        *,
        list_faults: FaultPlan | None = None,
        v1_memberships: str = "absent",
    ) -> None:
        self.registry, self.faults, self.stats = registry, faults, stats
        self.list_faults = list_faults if list_faults is not None else FaultPlan(rate=0.0)
        self.max_url_length = max_url_length
        self._sleep = sleep
        self._v1_memberships = "absent"
        self.v1_memberships = v1_memberships
        self._hidden: frozenset[str] = frozenset()  # utks answered as unknown (see hide)

    def hide(self, utks: Iterable[str]) -> None:
        """Answer ``utks`` as unknown (not yet a contact) until :meth:`reveal`."""
        self._hidden = self._hidden | frozenset(utks)

    def reveal(self, utks: Iterable[str] | None = None) -> None:
        """Answer ``utks`` (default: every hidden one) as the portal knows them again."""
        self._hidden = frozenset() if utks is None else self._hidden - frozenset(utks)

    @property
    def v1_memberships(self) -> str:
        """``"absent"``, ``"empty"`` or ``"legacy"`` (see ``data.V1_MEMBERSHIPS``)."""
        return self._v1_memberships

    @v1_memberships.setter
    def v1_memberships(self, value: str) -> None:
        if value not in V1_MEMBERSHIPS:
            raise ValueError(
                f"v1_memberships must be one of {', '.join(V1_MEMBERSHIPS)}; got {value!r}"
            )
        self._v1_memberships = value

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = _Request(environ)
        route, match = self._route(request.path)
        template = route.template if route is not None else request.path
        name = route.name if route is not None else None
        utk_count = len(request.args.getlist("utk")) if name in ("utks", "byUtk") else 0
        utk_count += name == "profile"
        fault: str | None = None
        status: int | None = None
        self.stats.begin()
        try:
            response, fault = self._handle(request, route, match)
            status = response.status_code
            return response(environ, start_response)
        except ConnectionAbortedError:
            fault = "drop"
            raise
        finally:
            self.stats.record(path=template, status=status, fault=fault, utks=utk_count)

    @staticmethod
    def _route(path: str) -> tuple[Route | None, re.Match[str] | None]:
        for route in _ROUTES:
            m = route.pattern.match(path)
            if m:
                return route, m
        return None, None

    def _authenticate(self, request: Request) -> tuple[AccountState, str] | tuple[None, Response]:
        """``(account, credential)``, or ``(None, the 401 answer)``."""
        auth = request.headers.get("Authorization", "")
        if auth:
            scheme, _, token = auth.partition(" ")
            token = token.strip()
            state = self.registry.by_token(token) if scheme.lower() == "bearer" else None
            if state is not None:
                return state, token
            return None, self._unauthorized(r.AUTH_MISSING)
        key = request.args.get("hapikey")
        if key is not None:
            state = self.registry.by_key(key)
            if state is not None:
                return state, key
            return None, self._unauthorized(
                r.AUTH_BAD_KEY, links={"api key": "https://app.hubspot.com/l/api-key/"}
            )
        return None, self._unauthorized(r.AUTH_MISSING)

    @staticmethod
    def _unauthorized(message: str, **extra: Any) -> Response:
        resp = r.error(401, message, category="INVALID_AUTHENTICATION", **extra)
        resp.headers["X-HubSpot-Auth-Failure"] = "401 Unauthorized"
        return resp

    def _handle(
        self, request: Request, route: Route | None, match: re.Match[str] | None
    ) -> tuple[Response, str | None]:
        delay = self.faults.delay()
        if delay > 0:
            self._sleep(delay)
        raw = request.environ.get("RAW_URI") or request.full_path
        if len(raw) > self.max_url_length:
            return r.error(
                414,
                f"The request URI is too long ({len(raw)} characters; the limit is "
                f"{self.max_url_length}). Try shortening the URL by reducing the number of "
                "query parameters.",
                category="VALIDATION_ERROR",
            ), None
        state, credential = self._authenticate(request)
        if state is None:
            assert isinstance(credential, Response)
            return credential, None
        assert isinstance(credential, str)
        if route is not None and route.scope is not None:
            lacking = self.registry.missing_scopes(credential, [route.scope])
            if lacking:
                return r.missing_scopes(lacking), None
        decision = state.limiter.acquire()
        limit_headers = decision.headers()
        if decision.policy is not None:
            resp, fault = r.rate_limited(decision.policy, state.account.portal_id), None
        else:
            resp, fault = self._dispatch(request, route, match, state)
        resp.headers.extend(limit_headers)
        return resp, fault

    def _dispatch(
        self,
        request: Request,
        route: Route | None,
        match: re.Match[str] | None,
        state: AccountState,
    ) -> tuple[Response, str | None]:
        if route is None or match is None:
            return r.error(404, "resource not found", requestId=uuid.uuid4().hex), None
        if request.method not in route.methods:
            return r.error(405, f"Method {request.method} is not allowed on this resource"), None
        if route.name == "properties":
            return r.json_response(property_definitions()), None
        if route.name == "account":  # counted like any request; no faults (as properties)
            return r.json_response(r.account_details(state.account.portal_id)), None
        fault = (self.list_faults if route.is_lists else self.faults).draw()
        early = self._early_fault(fault, request, state)
        if early is not None:
            return early, fault
        if route.is_lists:
            resp = self._lists(request, route, match, state)
        else:
            resp = self._contacts(request, route, match, state)
        if resp.status_code >= 400:
            return resp, fault
        if fault == "badjson":
            return r.bad_json(resp.get_data()), fault
        if fault == "badshape":
            return r.wrong_shape(resp.get_data()), fault
        if fault == "truncate":
            return r.truncated(resp.get_data(), request.environ), fault
        return resp, fault

    @staticmethod
    def _early_fault(fault: str | None, request: Request, state: AccountState) -> Response | None:
        """The answer of a fault that replaces the data (``None`` for the others)."""
        if fault in ("429", "429-daily"):
            policy = "DAILY" if fault == "429-daily" else "TEN_SECONDLY_ROLLING"
            return r.rate_limited(policy, state.account.portal_id)
        if fault == "drop":
            r.drop_connection(request.environ)
        if fault == "502":
            return r.bad_gateway()
        if fault == "503":
            return r.unavailable()
        if fault == "400":
            message = "The request was not valid (sandbox: injected 400)."
            return r.error(400, message, category="VALIDATION_ERROR")
        return None

    def _contacts(
        self, request: Request, route: Route, match: re.Match[str], state: AccountState
    ) -> Response:
        try:
            opts = parse_options(
                request.args, profile_utk=match.group(1) if route.name == "profile" else None
            )
        except InvalidParameter as exc:
            return r.error(400, str(exc), category="VALIDATION_ERROR")
        poisoned = self.faults.poisoned_in(opts.utks)
        if poisoned:
            return r.error(
                400,
                f"Invalid utk value{'s' if len(poisoned) > 1 else ''}: {', '.join(poisoned)}",
                category="VALIDATION_ERROR",
                errors=[{"message": f"{u} is not a valid utk", "in": "utk"} for u in poisoned],
            )
        if route.name == "profile":
            return self._profile(state, opts)
        return r.json_response(self._batch(state, opts, by_vid=route.name == "utks"))

    @staticmethod
    def _lists(
        request: Request, route: Route, match: re.Match[str], state: AccountState
    ) -> Response:
        data = state.data
        try:
            if route.name == "lists-batch":
                body = lists_api.parse_json(request.get_data())
                assert route.version is not None
                status, answer = lists_api.batch_read(data, body, route.version)
                return r.json_response(answer, status)
            if route.name == "lists-record":
                return r.json_response(
                    lists_api.record_memberships(data, match.group(1), match.group(2))
                )
            if route.name == "lists-idmapping":
                if request.method == "POST":
                    body = lists_api.parse_json(request.get_data())
                    return r.json_response(lists_api.idmapping_post(data, body))
                return r.json_response(lists_api.idmapping_get(data, request.args))
            return r.json_response(lists_api.list_definitions(data, request.args))
        except lists_api.InvalidListsRequest as exc:
            return r.error(400, str(exc), category="VALIDATION_ERROR")
        except lists_api.ListNotFound as exc:
            return r.error(404, str(exc), category="OBJECT_NOT_FOUND")
        except RequestEntityTooLarge:
            return r.error(
                413,
                f"The request body is too large (the limit is {MAX_BODY_BYTES} bytes).",
                category="VALIDATION_ERROR",
            )

    def _lookup(self, state: AccountState, utk: str, opts: Options) -> int | None:
        if utk in self._hidden:
            return None
        data = state.data
        index = data.resolve(utk)
        if index is None or (data.kind(index) == "deleted" and not opts.include_deletes):
            return None
        return data.canonical(index)

    def _build(self, state: AccountState, index: int, opts: Options) -> dict[str, Any]:
        return state.data.record(
            index,
            property_mode=opts.property_mode,
            form_submission_mode=opts.form_submission_mode,
            show_list_memberships=opts.show_list_memberships,
            properties=opts.properties,
            v1_memberships=self._v1_memberships,
        )

    def _batch(self, state: AccountState, opts: Options, *, by_vid: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        built: dict[int, dict[str, Any]] = {}
        for utk in opts.utks:
            index = self._lookup(state, utk, opts)
            if index is None:
                continue
            if index not in built:
                built[index] = self._build(state, index, opts)
            key = str(state.data.vid(index)) if by_vid else utk
            out.setdefault(key, built[index])
        return out

    def _profile(self, state: AccountState, opts: Options) -> Response:
        index = self._lookup(state, opts.utks[0], opts)
        if index is None:
            resp = r.error(404, "contact does not exist", requestId=uuid.uuid4().hex)
            resp.headers["X-HubSpot-NotFound"] = "true"
            return resp
        return r.json_response(self._build(state, index, opts))
