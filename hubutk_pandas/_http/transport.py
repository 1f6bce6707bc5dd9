"""The retrying GET: pacing, backoff, 429 holds and HubSpot errors as exceptions.

:func:`get_json` sends one request over a session from :mod:`~hubutk_pandas._http.session`
and returns its parsed JSON. It answers from the HTTP cache when it can (a hit takes no
rate-limit slot), otherwise waits for a slot from the shared
:class:`~hubutk_pandas._http.pacing.RateLimiter` and retries what is worth retrying:

* 5xx answers, dropped connections, timeouts, cut bodies, invalid JSON and 200 answers of
  the wrong shape (``check``): exponential backoff with jitter (:func:`backoff_delay`),
  within ``max_retries`` and ``max_retry_time`` (:class:`RetryPolicy`);
* a ten-secondly 429 is never a loss: the pacer takes in what the answer's headers say
  (the window is full; its size), every worker of every process on the window is held
  until it has room (at least the ``Retry-After``, if any), and the request is sent
  again, however many times, until the refusal has lasted ``max_retry_time`` (then
  :class:`~hubutk_pandas.errors.RateLimitError`);
* a daily 429: a :class:`~hubutk_pandas.errors.RateLimitError` whose ``daily`` is true, at
  once (it resets at midnight; the lookup pipeline turns it into ``DailyLimitError``);
* anything else (400, 401, 403, 404, 414...): :func:`error_from_response` at once.

Only these are caught: requests' exceptions, HTTP statuses and broken bodies, each
becoming a :class:`~hubutk_pandas.errors.HubSpotError` with credentials redacted and no
chained exception (a chained ``requests`` error would carry the URL). A failure of the
HTTP cache (a full disk, a locked or damaged file) is a
:class:`~hubutk_pandas.errors.CacheError` naming the folder. Anything else - a bug -
propagates as itself, with its traceback.

Examples
--------
>>> 0.25 <= backoff_delay(1, RetryPolicy(backoff_factor=0.5)) <= 0.5
True
"""

from __future__ import annotations

import json
import logging
import random
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

import requests

from hubutk_pandas import _json
from hubutk_pandas._http.pacing import RateLimiter, rate_limit_headers
from hubutk_pandas._http.session import cache_folder, redact
from hubutk_pandas.errors import (
    AuthenticationError,
    BadRequestError,
    CacheError,
    HubSpotAPIError,
    HubSpotError,
    MissingScopesError,
    RateLimitError,
    ServerError,
)

__all__ = [
    "NotCached",
    "RetryPolicy",
    "ShapeCheck",
    "backoff_delay",
    "cache_failures",
    "error_from_response",
    "excerpt",
    "get_json",
    "how_to_add",
    "required_scopes",
    "retry_after",
]

ShapeCheck = Callable[[Any], str | None]
"""Says what is wrong with a 200 answer's parsed JSON (``None``: nothing)."""

logger = logging.getLogger(__name__)


class NotCached(Exception):
    """A ``cached_only`` GET found no usable answer in the HTTP cache (nothing was sent)."""


def error_from_response(response: requests.Response, secrets_: Iterable[str]) -> HubSpotError:
    """Translate a non-200 answer into the matching :class:`HubSpotError` (redacted).

    Examples
    --------
    >>> r = requests.Response(); r.status_code = 401
    >>> r._content = b'{"message": "bad", "category": "INVALID_AUTHENTICATION"}'
    >>> type(error_from_response(r, [])).__name__
    'AuthenticationError'
    """
    try:
        body = _json.loads(response.content)
    except (ValueError, TypeError, RecursionError):  # RecursionError: nested too deep
        body = None
    if not isinstance(body, dict):
        body = {}
    status = response.status_code
    message = body.get("message") or f"{status} {response.reason or 'error'}".strip()
    category = body.get("category") or body.get("errorType")
    correlation_id = body.get("correlationId") or response.headers.get("X-HubSpot-Correlation-Id")
    if status == 403 and category == "MISSING_SCOPES":
        scopes = required_scopes(body)
        return MissingScopesError(
            redact(f"{how_to_add(scopes)} HubSpot says: {message}", secrets_),
            status=status,
            category=category,
            correlation_id=correlation_id,
            scopes=scopes,
        )
    cls: type[HubSpotAPIError]
    if status in (401, 403):
        cls = AuthenticationError
    elif status == 429:
        cls = RateLimitError
    elif status >= 500:
        cls = ServerError
    else:
        cls = BadRequestError
    return cls(
        redact(str(message), secrets_),
        status=status,
        category=category,
        correlation_id=correlation_id,
        policy_name=body.get("policyName"),
    )


def required_scopes(body: dict[str, Any]) -> list[str]:
    """The scopes a ``MISSING_SCOPES`` answer names, in order, once each.

    HubSpot lists them under ``errors[].context.requiredGranularScopes`` (granular scopes
    such as ``crm.lists.read``); older answers used ``requiredScopes``.

    Examples
    --------
    >>> required_scopes({"errors": [{"context": {"requiredGranularScopes": ["crm.lists.read"]}}]})
    ['crm.lists.read']
    >>> required_scopes({"errors": "odd"})
    []
    """
    found: list[str] = []
    errors = body.get("errors")
    for item in errors if isinstance(errors, list) else []:
        context = item.get("context") if isinstance(item, dict) else None
        if not isinstance(context, dict):
            continue
        for key in ("requiredGranularScopes", "requiredScopes"):
            names = context.get(key)
            for name in names if isinstance(names, list) else []:
                if isinstance(name, str) and name not in found:
                    found.append(name)
    return found


def how_to_add(scopes: Sequence[str]) -> str:
    """What to do about missing ``scopes``: where a Service Key's scopes are granted.

    Examples
    --------
    >>> print(how_to_add(["crm.lists.read"]))  # doctest: +ELLIPSIS
    The credential lacks the scope crm.lists.read. Grant it in HubSpot under Development > ...
    """
    if not scopes:
        return (
            "The credential lacks a scope this request needs (HubSpot did not say which). "
            "Check the scopes of your Service Key (HubSpot: Development > Keys)."
        )
    names = ", ".join(scopes)
    one = len(scopes) == 1
    return (
        f"The credential lacks the scope{'' if one else 's'} {names}. Grant "
        f"{'it' if one else 'them'} in HubSpot under Development > Keys (your Service Key's "
        f"scopes, or a new key with {'it' if one else 'them'}), or in your legacy private "
        "app's scopes, then run again."
    )


def excerpt(data: Any, limit: int = 80) -> str:
    """The start of ``data`` as JSON, for an error message.

    Examples
    --------
    >>> excerpt([{"vid": 1, "properties": {"email": {"value": "a@b.c"}}}], limit=20)
    '[{"vid": 1, "propert…'
    """
    text = json.dumps(data, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + "…"


@contextmanager
def cache_failures(session: requests.Session) -> Iterator[None]:
    """Raise a failure of ``session``'s cache as :class:`CacheError` naming its folder.

    requests' own exceptions (also ``OSError`` subclasses) pass untouched; on a session
    without a cache nothing is translated, so an unexpected ``OSError`` stays itself.
    """
    try:
        yield
    except requests.RequestException:
        raise
    except (sqlite3.Error, OSError) as exc:
        if not hasattr(session, "cache"):
            raise
        raise CacheError.from_exception(cache_folder(session), exc) from exc


@dataclass(frozen=True)
class RetryPolicy:
    """How hard :func:`get_json` tries (see ``HubSpotClient`` for the meaning of each)."""

    max_retries: int = 5
    backoff_factor: float = 0.5
    backoff_max: float = 30.0
    max_retry_time: float = 300.0
    timeout: float = 30.0


_TRANSIENT = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
_POLICY_WINDOWS = {"TEN_SECONDLY_ROLLING": 10.0, "SECONDLY": 1.0}


_OBJECT_REPR = re.compile(r"<[\w.]+ object at 0x[0-9a-f]+>:?\s*")
_POOL_PREFIX = re.compile(r"^\w+ConnectionPool\(host='([^']*)', port=(\d+)\): ")


def network_cause(exc: BaseException) -> str:
    """What a transport failure was, in words: the exception's name and its root cause.

    requests wraps urllib3's error (a name that does not resolve, a refused connection, a
    timeout) in a ``MaxRetryError`` in a ``ConnectionError``; the root is what helps. Object
    reprs and the request's URL (which may hold a legacy ``hapikey``) are left out.

    Examples
    --------
    >>> try:  # nothing listens on port 9 here
    ...     requests.get("http://127.0.0.1:9/x?hapikey=s", timeout=5)
    ... except requests.ConnectionError as exc:
    ...     print(network_cause(exc))  # doctest: +ELLIPSIS
    ConnectionError: ...Failed to establish a new connection...refused
    """
    root: Any = exc
    for _ in range(10):  # down the wrappers: MaxRetryError.reason, or args[0]
        inner = getattr(root, "reason", None)
        if inner is None and root.args and isinstance(root.args[0], BaseException):
            inner = root.args[0]
        if not isinstance(inner, BaseException) or inner is root:
            break
        root = inner
    text = _POOL_PREFIX.sub(r"\1:\2: ", _OBJECT_REPR.sub("", str(root)).strip())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def retry_after(response: requests.Response, most: float = 300.0) -> float:
    """Seconds an answer's ``Retry-After`` asks for (a number or an HTTP date); 0 without one.

    Examples
    --------
    >>> r = requests.Response(); r.headers["Retry-After"] = "2.5"
    >>> retry_after(r), retry_after(requests.Response())
    (2.5, 0.0)
    """
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return 0.0
    try:
        seconds = float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return 0.0
        if when.tzinfo is None:
            return 0.0
        import datetime as dt

        seconds = (when - dt.datetime.now(dt.timezone.utc)).total_seconds()
    if seconds != seconds:  # NaN
        return 0.0
    return min(max(0.0, seconds), most)


def backoff_delay(failures: int, policy: RetryPolicy) -> float:
    """Exponential backoff with "equal jitter": half fixed, half random.

    Examples
    --------
    >>> 0.25 <= backoff_delay(1, RetryPolicy(backoff_factor=0.5)) <= 0.5
    True
    """
    ceiling = min(policy.backoff_max, policy.backoff_factor * 2 ** (failures - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def _observer(call: Callable[[requests.Response], Any]) -> Callable[..., None]:
    """A requests response hook that calls ``call`` and leaves the response as it is."""

    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        call(response)

    return hook


_PLAIN = re.compile(r"[A-Za-z0-9_.~-]*\Z").match  # what quote_plus leaves as it is


def _quoted(text: str | bytes) -> str:
    if isinstance(text, bytes):  # requests sends bytes as they are, quoted
        return quote_plus(text)
    return text if _PLAIN(text) else quote_plus(text)


def encode_query(params: Iterable[tuple[str, Any]]) -> str:
    """``params`` as requests would encode them for a URL, without its per-character work.

    requests runs every parameter through ``urllib.parse.urlencode``, which quotes one
    character at a time: about a millisecond for a batch's hundred utks. Utks and
    property names are plain ASCII letters, digits and ``_.-~``, which quoting leaves as
    they are, so only the others are quoted. The text is the one requests would make
    (``None`` values left out, like requests does), so URLs and cache keys do not change.

    Examples
    --------
    >>> encode_query([("utk", "8f3a"), ("property", "hs_lead status"), ("q", "a&b=ü")])
    'utk=8f3a&property=hs_lead+status&q=a%26b%3D%C3%BC'
    >>> from urllib.parse import urlencode
    >>> params = [("utk", "8f3a"), ("property", "hs_lead status"), ("q", "a&b=ü")]
    >>> encode_query(params) == urlencode(params)
    True
    """
    return "&".join(
        f"{_quoted(name)}={_quoted(value if isinstance(value, str | bytes) else str(value))}"
        for name, value in params
        if value is not None
    )


@dataclass(frozen=True)
class _Request:
    method: str
    url: str
    params: list[tuple[str, str]]
    headers: dict[str, str]
    body: Any
    ok: tuple[int, ...]
    on_response: Callable[[requests.Response], Any] | None = None
    keep_text: bool = False
    decode: Callable[[bytes], Any] = _json.loads

    def answer(self, data: Any, content: bytes) -> Any:
        """The decoded ``data`` as returned: with its text ``content`` if asked to keep it."""
        return _json.SentObject(data, content) if self.keep_text and type(data) is dict else data

    def send(self, session: requests.Session, **kwargs: Any) -> requests.Response:
        if self.body is not None:
            kwargs["json"] = self.body
        return session.request(
            self.method, self.url, params=encode_query(self.params), headers=self.headers,
            **kwargs,
        )  # fmt: skip


def get_json(
    session: requests.Session,
    url: str,
    params: list[tuple[str, str]],
    *,
    headers: dict[str, str],
    limiter: RateLimiter,
    policy: RetryPolicy,
    secrets_: Iterable[str],
    refresh: bool = False,
    check: ShapeCheck | None = None,
    cached_only: bool = False,
    method: str = "GET",
    body: Any = None,
    ok: tuple[int, ...] = (200,),
    on_response: Callable[[requests.Response], Any] | None = None,
    keep_text: bool = False,
    decode: Callable[[bytes], Any] = _json.loads,
) -> Any:
    """GET ``url`` and return its parsed JSON: from the cache, or paced and retried.

    A cache hit takes no rate-limit slot. With ``cached_only``, a miss raises
    :class:`NotCached` instead of sending anything. 5xx answers, network errors, timeouts, cut
    bodies and invalid JSON are retried with backoff; a 429 holds every worker for
    the window and is retried; everything else raises at once. All errors are
    :class:`HubSpotError` with credentials redacted and no chained exception.

    ``method="POST"`` sends ``body`` as JSON (the Lists API's batch read; requests-cache
    keys a POST by its body too); ``ok`` are the statuses whose body is the answer
    (the Lists API's partial answers are 207). ``on_response(response)`` is called with
    every answer received from the network (``hubutk doctor`` reads its headers).
    ``keep_text=True``: a JSON object comes back as a :class:`~hubutk_pandas._json.SentObject`
    that keeps the body it was decoded from (the record store keeps the records as sent).
    ``decode(body)`` decodes a body (default :func:`~hubutk_pandas._json.loads`; the lookups
    pass :func:`~hubutk_pandas._typed.decode_batch`); it raises ``ValueError`` or
    ``RecursionError`` on a body that is not JSON.

    Examples
    --------
    >>> from hubutk_pandas.sandbox import SandboxPortal
    >>> from hubutk_pandas._http.session import make_session
    >>> with SandboxPortal(contacts=5) as p, make_session(
    ...         cache_dir=None, namespace="x", expire_after=None, user_agent="doc") as s:
    ...     data = get_json(s, p.base_url + "/properties/v1/contacts/properties", [],
    ...                     headers={"Authorization": f"Bearer {p.access_token}"},
    ...                     limiter=RateLimiter(10, 1.0), policy=RetryPolicy(), secrets_=[])
    >>> isinstance(data, list)
    True
    """
    secrets_ = list(secrets_)
    shown = redact(url, secrets_)
    request = _Request(method, url, params, headers, body, ok, on_response, keep_text, decode)
    return _get_json(
        session, request, limiter, policy, secrets_, shown, refresh, check, cached_only
    )


def _get_json(
    session: requests.Session,
    request: _Request,
    limiter: RateLimiter,
    policy: RetryPolicy,
    secrets_: list[str],
    shown: str,
    refresh: bool,
    check: ShapeCheck | None,
    cached_only: bool = False,
) -> Any:
    params = request.params
    cached = hasattr(session, "cache")
    if cached and not refresh:
        with cache_failures(session):
            hit = request.send(session, only_if_cached=True)
        if hit.status_code in request.ok:
            wrong: str | None
            try:
                data = request.decode(hit.content)
            except (ValueError, RecursionError):  # never stored (see valid_json_200), but still
                data, wrong = None, "invalid JSON"
            else:
                wrong = None if check is None else check(data)
            if wrong is None:
                logger.debug("cache hit %s %s (%d params)", request.method, shown, len(params))
                return request.answer(data, hit.content)
            logger.debug(
                "cached answer for %s %s unusable (%s): fetching again",
                request.method,
                shown,
                wrong,
            )
            refresh = True  # overwrite the stored answer with a good one
    if cached_only:
        raise NotCached(shown)
    extra: dict[str, Any] = {"force_refresh": True} if cached and refresh else {}
    deadline = time.monotonic() + policy.max_retry_time
    failures = limited = 0
    refused_since: float | None = None  # the first 429 of this request
    while True:
        problem: HubSpotError
        try:
            # The slot counts from the answer's arrival (its headers), not the send.
            with limiter.hold() as slot, cache_failures(session):
                logger.debug("%s %s (%d params)", request.method, shown, len(params))
                hooks = {"response": [*session.hooks.get("response", []), slot.hook]}
                if request.on_response is not None:
                    hooks["response"].append(_observer(request.on_response))
                response = request.send(session, timeout=policy.timeout, hooks=hooks, **extra)
        except _TRANSIENT as exc:
            problem = ServerError(
                redact(f"network error talking to HubSpot: {network_cause(exc)}", secrets_)
            )
        except requests.RequestException as exc:
            raise HubSpotError(
                redact(f"request to {shown} failed: {type(exc).__name__}: {exc}", secrets_)
            ) from None
        else:
            if not getattr(response, "from_cache", False):
                limiter.observe(response.headers)
            status = response.status_code
            if status in request.ok:
                try:
                    data = request.decode(response.content)
                except (ValueError, RecursionError):  # RecursionError: nested too deep
                    problem = ServerError(
                        "HubSpot sent a body that is not valid JSON", status=status
                    )
                else:
                    wrong = None if check is None else check(data)
                    if wrong is None:
                        return request.answer(data, response.content)
                    problem = ServerError(
                        redact(
                            f"HubSpot answered {status} with {wrong}: {excerpt(data)}", secrets_
                        ),
                        status=status,
                    )
                    if cached:  # the cache stored it: the retry must not be served from there
                        extra = {"force_refresh": True}
            elif status == 429:
                error = error_from_response(response, secrets_)
                if isinstance(error, RateLimitError) and error.daily:
                    raise error
                # The window is shared with whoever else uses the credential: a 429 is not
                # about this request, so it is retried, not counted against max_retries,
                # until the refusal has lasted the whole time budget.
                limited += 1
                now = time.monotonic()
                refused_since = now if refused_since is None else refused_since
                if now - refused_since > policy.max_retry_time:
                    raise error
                interval = rate_limit_headers(response.headers).get("interval-milliseconds")
                window = (
                    interval / 1000
                    if interval
                    else _POLICY_WINDOWS.get((error.policy_name or "").upper(), limiter.rate[1])
                )
                held = limiter.penalize(window, at_least=retry_after(response))
                logger.info(
                    "429 (%s) from HubSpot; holding requests for %.2fs (refusal %d of this "
                    "request, for %.1fs)",
                    error.policy_name or "rate limit",
                    held,
                    limited,
                    now - refused_since,
                )
                continue
            elif status >= 500:
                problem = error_from_response(response, secrets_)
            else:
                raise error_from_response(response, secrets_)
        failures += 1
        delay = backoff_delay(failures, policy)
        if failures > policy.max_retries or time.monotonic() + delay > deadline:
            raise problem
        logger.warning(
            "retrying %s %s in %.2fs after: %s (retry %d of %d)",
            request.method,
            shown,
            delay,
            problem,
            failures,
            policy.max_retries,
        )
        time.sleep(delay)
