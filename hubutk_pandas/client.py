"""``HubSpotClient``: credentials, settings, the worker pool and lookup orchestration.

The client looks a column of utks up in HubSpot's Contacts v1 API. It cleans the
column (:mod:`~hubutk_pandas.batching`), answers what it can from the per-utk record
store (:mod:`~hubutk_pandas.store`), cuts the rest into batches that fit a URL, and
fetches them with a small thread pool sharing one pacer (:mod:`~hubutk_pandas.pacing`)
over a cached, retrying session (:mod:`~hubutk_pandas.session`).

Examples
--------
>>> from hubutk_pandas.sandbox import SandboxPortal
>>> with SandboxPortal(contacts=50) as portal, HubSpotClient(
...     portal.access_token, base_url=portal.base_url, cache=False) as client:
...     result = client.lookup_utks(portal.sample_utks(3) + ["nobody"])
>>> len(result.contacts), result.missing["reason"].tolist()
(3, ['not_found'])
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from hubutk_pandas import batching, session
from hubutk_pandas._warnings import warn as _warn
from hubutk_pandas.errors import (
    AuthenticationError,
    BadRequestError,
    CredentialsError,
    DailyLimitError,
    HubSpotError,
    InvalidOptionError,
    LookupFailedError,
)
from hubutk_pandas.pacing import RateLimiter
from hubutk_pandas.result import LookupResult
from hubutk_pandas.store import RecordStore, namespace_for

__all__ = ["ClientSettings", "HubSpotClient", "LookupOptions"]

logger = logging.getLogger("hubutk_pandas")

DEFAULT_BASE_URL = "https://api.hubapi.com"
BY_UTK_PATH = "/contacts/v1/contact/byUtk/batch/"
UTKS_PATH = "/contacts/v1/contact/utks/batch/"
PROPERTIES_PATH = "/properties/v1/contacts/properties"
PROPERTY_MODES = ("value_only", "value_and_history")
FORM_SUBMISSION_MODES = ("newest", "all", "none", "oldest")
ENDPOINTS = ("byUtk", "utks")
_SPLITTABLE = (400, 404, 414)  # a bad utk or a long URL: smaller batches may pass


def _user_agent() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"hubutk-pandas/{version('hubutk-pandas')}"
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "hubutk-pandas/0+unknown"


def _invalid(name: str, value: Any, valid: str) -> InvalidOptionError:
    return InvalidOptionError(f"{name}={value!r} is not valid; {valid}")


@dataclass(frozen=True)
class ClientSettings:
    """Everything a :class:`HubSpotClient` was configured with (never the credential).

    Examples
    --------
    >>> s = ClientSettings(base_url="http://x", credential_kind="access_token", cache_dir=None)
    >>> s.rate_limit
    (100, 10.0)
    """

    base_url: str
    credential_kind: Literal["access_token", "api_key"]
    cache_dir: Path | None
    expire_after: timedelta | None = timedelta(days=1)
    rate_limit: tuple[int, float] = (100, 10.0)
    max_workers: int = 4
    max_retries: int = 5
    backoff_factor: float = 0.5
    backoff_max: float = 30.0
    max_retry_time: float = 300.0
    timeout: float = 30.0
    max_url_length: int = 7000


@dataclass(frozen=True)
class LookupOptions:
    """Validated options of one lookup (see :meth:`HubSpotClient.lookup_utks`)."""

    properties: tuple[str, ...] | None = None
    property_mode: str = "value_only"
    form_submission_mode: str = "newest"
    show_list_memberships: bool = False
    include_deletes: bool = False
    endpoint: str = "byUtk"
    progress: bool | None = None
    refresh: bool = False

    def query(self, *, with_properties: bool = True) -> list[tuple[str, str]]:
        """The query parameters other than ``utk`` (and the credential)."""
        params = [("property", p) for p in (self.properties or ()) if with_properties]
        params += [
            ("propertyMode", self.property_mode),
            ("formSubmissionMode", self.form_submission_mode),
            ("showListMemberships", str(self.show_list_memberships).lower()),
            ("includeDeletes", str(self.include_deletes).lower()),
        ]
        return params

    def fingerprint(self) -> dict[str, Any]:
        """What must match for a stored answer to serve this lookup."""
        return {
            "properties": sorted(self.properties) if self.properties is not None else None,
            "property_mode": self.property_mode,
            "form_submission_mode": self.form_submission_mode,
            "show_list_memberships": self.show_list_memberships,
            "include_deletes": self.include_deletes,
        }


def _check_number(name: str, value: Any, *, minimum: float, integer: bool = False) -> None:
    ok = isinstance(value, int) or (not integer and isinstance(value, float))
    if isinstance(value, bool) or not ok or value < minimum:
        kind = "an integer" if integer else "a number"
        raise _invalid(name, value, f"use {kind} >= {minimum}")


def _check_secret(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidOptionError(f"{name} must be a non-empty string (value not shown)")
    value = value.strip()
    if any(c.isspace() or ord(c) < 0x20 or ord(c) > 0x7E for c in value):
        raise InvalidOptionError(
            f"{name} contains whitespace or non-printable characters (value not shown)"
        )
    return value


class HubSpotClient:
    """A cached, paced, retrying client of HubSpot's Contacts v1 utk endpoints.

    Parameters
    ----------
    access_token
        A private-app or OAuth token, sent as ``Authorization: Bearer``. Default:
        ``HUBSPOT_ACCESS_TOKEN``.
    api_key
        A legacy API key (``hapikey``; retired by HubSpot in 2022). Default:
        ``HUBSPOT_API_KEY``.
    base_url
        Default ``HUBSPOT_BASE_URL`` or ``https://api.hubapi.com``.
    cache
        ``True``: the per-user cache folder; a path: that folder; ``False``: no HTTP
        cache and no record store.
    expire_after
        How long cached answers are used (``timedelta`` or seconds; ``None`` = forever).
    rate_limit
        ``(requests, seconds)``; HubSpot's default burst limit is 100 per 10 s.
    max_workers
        Threads sending batches at once.
    max_retries, backoff_factor, backoff_max, max_retry_time
        Retries of a failing request: how many, the exponential backoff (with jitter),
        and the total seconds one request may spend retrying.
    timeout
        Seconds to wait for HubSpot to answer one request.
    max_url_length
        The longest URL sent (HubSpot answers 414 beyond about 8192).

    Examples
    --------
    >>> from hubutk_pandas.sandbox import SandboxPortal
    >>> with SandboxPortal(contacts=10) as portal:
    ...     client = HubSpotClient(portal.access_token, base_url=portal.base_url, cache=False)
    ...     "access_token" in repr(client) and portal.access_token not in repr(client)
    True
    """

    def __init__(
        self,
        access_token: str | None = None,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        cache: bool | str | os.PathLike[str] = True,
        expire_after: timedelta | float | None = timedelta(days=1),
        rate_limit: tuple[int, float] = (100, 10.0),
        max_workers: int = 4,
        max_retries: int = 5,
        backoff_factor: float = 0.5,
        backoff_max: float = 30.0,
        max_retry_time: float = 300.0,
        timeout: float = 30.0,
        max_url_length: int = 7000,
    ) -> None:
        kind, secret = self._credential(access_token, api_key)
        url = base_url if base_url is not None else os.environ.get("HUBSPOT_BASE_URL")
        url = (url or DEFAULT_BASE_URL).strip().rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise _invalid("base_url", url, "use an http:// or https:// URL")
        if cache is True:
            cache_dir: Path | None = session.default_cache_dir()
        elif cache is False:
            cache_dir = None
        elif isinstance(cache, (str, os.PathLike)):
            cache_dir = Path(cache).expanduser()
        else:
            raise _invalid("cache", cache, "use True, False or a folder path")
        if isinstance(expire_after, (int, float)) and not isinstance(expire_after, bool):
            expire_after = timedelta(seconds=expire_after)
        if expire_after is not None and (
            not isinstance(expire_after, timedelta) or expire_after < timedelta(0)
        ):
            raise _invalid("expire_after", expire_after, "use a timedelta, seconds >= 0 or None")
        if (
            not isinstance(rate_limit, tuple)
            or len(rate_limit) != 2
            or isinstance(rate_limit[0], bool)
            or not isinstance(rate_limit[0], int)
            or rate_limit[0] < 1
            or not isinstance(rate_limit[1], (int, float))
            or rate_limit[1] <= 0
        ):
            raise _invalid(
                "rate_limit", rate_limit, "use (requests, seconds), e.g. (100, 10.0) or (190, 10.0)"
            )
        _check_number("max_workers", max_workers, minimum=1, integer=True)
        _check_number("max_retries", max_retries, minimum=0, integer=True)
        _check_number("backoff_factor", backoff_factor, minimum=0)
        _check_number("backoff_max", backoff_max, minimum=0)
        _check_number("max_retry_time", max_retry_time, minimum=0)
        _check_number("timeout", timeout, minimum=0.001)
        _check_number("max_url_length", max_url_length, minimum=1024, integer=True)
        self.settings = ClientSettings(
            base_url=url,
            credential_kind=kind,
            cache_dir=cache_dir,
            expire_after=expire_after,
            rate_limit=(rate_limit[0], float(rate_limit[1])),
            max_workers=max_workers,
            max_retries=max_retries,
            backoff_factor=float(backoff_factor),
            backoff_max=float(backoff_max),
            max_retry_time=float(max_retry_time),
            timeout=float(timeout),
            max_url_length=max_url_length,
        )
        self.__secret = secret
        self._fingerprint = session.credential_fingerprint(
            kind, secret, session.load_salt(cache_dir)
        )
        self._session = session.make_session(
            cache_dir=cache_dir,
            namespace=self._fingerprint,
            expire_after=expire_after,
            user_agent=_user_agent(),
            pool_size=max_workers,
        )
        self._store = (
            None if cache_dir is None else RecordStore(cache_dir, expire_after=expire_after)
        )
        self._limiter = RateLimiter(*self.settings.rate_limit)
        self._retry = session.RetryPolicy(
            max_retries,
            float(backoff_factor),
            float(backoff_max),
            float(max_retry_time),
            float(timeout),
        )
        self._definitions: list[dict[str, Any]] | None = None
        self._definitions_lock = threading.Lock()

    @staticmethod
    def _credential(access_token: str | None, api_key: str | None) -> tuple[Any, str]:
        if access_token is not None and api_key is not None:
            raise InvalidOptionError("give access_token or api_key, not both")
        if access_token is None and api_key is None:
            access_token = os.environ.get("HUBSPOT_ACCESS_TOKEN", "").strip() or None
            if access_token is None:
                api_key = os.environ.get("HUBSPOT_API_KEY", "").strip() or None
        if access_token is not None:
            return "access_token", _check_secret("access_token", access_token)
        if api_key is not None:
            _warn(
                "HubSpot retired API keys (hapikey) on 2022-11-30; use a private-app access "
                "token (HubSpotClient(access_token=...) or HUBSPOT_ACCESS_TOKEN) instead."
            )
            return "api_key", _check_secret("api_key", api_key)
        raise CredentialsError(
            "No HubSpot credential: pass access_token=..., or set the HUBSPOT_ACCESS_TOKEN "
            "environment variable to a private-app token (export HUBSPOT_ACCESS_TOKEN=...). "
            "To try the package without a portal, use hubutk_pandas.connect(), which starts "
            "a local sandbox."
        )

    # -- plumbing ---------------------------------------------------------------------------

    def __repr__(self) -> str:
        s = self.settings
        return (
            f"HubSpotClient(base_url={s.base_url!r}, credential={s.credential_kind!r}, "
            f"fingerprint={self._fingerprint[:8]!r}, cache_dir={str(s.cache_dir)!r})"
        )

    __str__ = __repr__

    def __enter__(self) -> HubSpotClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP session and the record store."""
        self._session.close()
        if self._store is not None:
            self._store.close()

    def _get(self, path: str, params: list[tuple[str, str]], *, refresh: bool) -> Any:
        headers: dict[str, str] = {"Accept": "application/json"}
        if self.settings.credential_kind == "access_token":
            headers["Authorization"] = f"Bearer {self.__secret}"
        else:
            params = [*params, ("hapikey", self.__secret)]
        return session.get_json(
            self._session,
            self.settings.base_url + path,
            params,
            headers=headers,
            limiter=self._limiter,
            policy=self._retry,
            secrets_=[self.__secret],
            refresh=refresh,
        )

    def _fixed_length(self, path: str, params: list[tuple[str, str]]) -> int:
        if self.settings.credential_kind == "api_key":
            params = [*params, ("hapikey", self.__secret)]
        return batching.url_length(self.settings.base_url + path, params)

    # -- public API -------------------------------------------------------------------------

    def property_definitions(self, refresh: bool = False) -> list[dict[str, Any]]:
        """The portal's contact property definitions (fetched once, then cached).

        Examples
        --------
        >>> from hubutk_pandas.sandbox import SandboxPortal
        >>> with SandboxPortal(contacts=10) as p, HubSpotClient(
        ...         p.access_token, base_url=p.base_url, cache=False) as c:
        ...     "name" in c.property_definitions()[0]
        True
        """
        with self._definitions_lock:
            if self._definitions is None or refresh:
                data = self._get(PROPERTIES_PATH, [], refresh=refresh)
                if not isinstance(data, list):
                    raise HubSpotError("property definitions: expected a JSON list")
                self._definitions = data
            return self._definitions

    @staticmethod
    def validate_options(
        properties: str | Iterable[str] | None = None,
        property_mode: str = "value_only",
        form_submission_mode: str = "newest",
        show_list_memberships: bool = False,
        include_deletes: bool = False,
        endpoint: str = "byUtk",
        progress: bool | None = None,
        refresh: bool = False,
    ) -> LookupOptions:
        """Check lookup options; raise :class:`InvalidOptionError` before any request.

        Examples
        --------
        >>> HubSpotClient.validate_options(property_mode="value_and_history").property_mode
        'value_and_history'
        >>> HubSpotClient.validate_options(endpoint="byVid")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        hubutk_pandas.errors.InvalidOptionError: endpoint='byVid' is not valid; choose from ...
        """

        def choose(name: str, value: Any, valid: Sequence[Any]) -> Any:
            if value not in valid or isinstance(value, bool) != isinstance(valid[0], bool):
                raise _invalid(name, value, "choose from " + ", ".join(map(repr, valid)))
            return value

        props: tuple[str, ...] | None = None
        if properties is not None:
            items = [properties] if isinstance(properties, str) else properties
            try:
                listed = list(items)
            except TypeError:
                raise _invalid("properties", properties, "use None or a list of names") from None
            bad = [p for p in listed if not isinstance(p, str) or not p.strip()]
            if bad:
                raise _invalid("properties", bad[0], "each property must be a non-empty name")
            props = tuple(dict.fromkeys(p.strip() for p in listed))
        return LookupOptions(
            properties=props,
            property_mode=choose("property_mode", property_mode, PROPERTY_MODES),
            form_submission_mode=choose(
                "form_submission_mode", form_submission_mode, FORM_SUBMISSION_MODES
            ),
            show_list_memberships=choose(
                "show_list_memberships", show_list_memberships, (True, False)
            ),
            include_deletes=choose("include_deletes", include_deletes, (True, False)),
            endpoint=choose("endpoint", endpoint, ENDPOINTS),
            progress=progress if progress is None else choose("progress", progress, (True, False)),
            refresh=choose("refresh", refresh, (True, False)),
        )

    def lookup_utks(
        self,
        utks: Iterable[Any],
        *,
        properties: str | Iterable[str] | None = None,
        property_mode: str = "value_only",
        form_submission_mode: str = "newest",
        show_list_memberships: bool = False,
        include_deletes: bool = False,
        endpoint: str = "byUtk",
        progress: bool | None = None,
        refresh: bool = False,
    ) -> LookupResult:
        """Look a column of utks up and return the tidy :class:`LookupResult`.

        Parameters
        ----------
        utks
            Any iterable or Series; empties are dropped, values stripped and de-duplicated.
            Values that cannot be a utk are not sent; they appear in ``missing`` with the
            reason ``"invalid"`` (one warning counts them).
        properties
            Only these properties (default: every valued property). A list too long
            for the URL is applied locally instead.
        property_mode, form_submission_mode, show_list_memberships, include_deletes
            HubSpot's parameters of the same name.
        endpoint
            ``"byUtk"`` (keyed by utk) or ``"utks"`` (the older, vid-keyed endpoint:
            matched records then carry no utk, unless the batch held a single utk).
        progress
            Show a progress bar: ``None`` when more than one batch is sent.
        refresh
            Ignore both caches (the answers fetched are stored again).

        Returns
        -------
        LookupResult

        Raises
        ------
        LookupFailedError
            Some batches failed after retries: ``.partial`` holds what succeeded and
            ``.failed_utks`` the rest (a rerun fetches only those).
        DailyLimitError
            The portal's daily limit was reached (also with ``.partial``).
        AuthenticationError
            The credential was refused (401/403).

        Examples
        --------
        >>> from hubutk_pandas.sandbox import SandboxPortal
        >>> with SandboxPortal(contacts=20) as p, HubSpotClient(
        ...         p.access_token, base_url=p.base_url, cache=False) as c:
        ...     utk = p.sample_utks(1)[0]
        ...     r = c.lookup_utks([None, f" {utk} ", "bad;utk"], progress=False)
        ...     len(r.contacts), r.missing["reason"].tolist()
        (1, ['invalid'])
        """
        opts = self.validate_options(
            properties,
            property_mode,
            form_submission_mode,
            show_list_memberships,
            include_deletes,
            endpoint,
            progress,
            refresh,
        )
        started = time.monotonic()
        cleaned = batching.clean_utks(utks)
        path = BY_UTK_PATH if opts.endpoint == "byUtk" else UTKS_PATH
        query = opts.query()
        longest_utk = batching.param_length("utk", "x" * batching.MAX_UTK_LENGTH)
        local_filter = False
        if self._fixed_length(path, query) + longest_utk > self.settings.max_url_length:
            query, local_filter = opts.query(with_properties=False), True
            logger.info("property list too long for a URL: fetching all, filtering locally")
        namespace = namespace_for(
            self._fingerprint, self.settings.base_url, opts.endpoint, opts.fingerprint()
        )
        answers: dict[str, dict[str, Any] | None] = {}
        use_store = self._store is not None and opts.endpoint == "byUtk"
        if use_store and not opts.refresh:
            assert self._store is not None
            answers = self._store.get(namespace, cleaned.valid)
        from_store = len(answers)
        todo = [u for u in cleaned.valid if u not in answers]
        batches = batching.plan_batches(
            todo,
            fixed_length=self._fixed_length(path, query),
            max_url_length=self.settings.max_url_length,
        )

        def keep(record: Any) -> Any:
            if not local_filter or not isinstance(record, dict) or opts.properties is None:
                return record
            props = record.get("properties") or {}
            return {
                **record,
                "properties": {k: v for k, v in props.items() if k in opts.properties},
            }

        by_batch: dict[str, list[dict[str, Any]]] = {}  # utks endpoint: first utk -> records
        failed: list[tuple[list[str], HubSpotError | None]] = []
        fatal: HubSpotError | None = None
        completed: set[str] = set()
        for batch, data in self._run(batches, path, query, opts, failed):
            if isinstance(data, HubSpotError):
                fatal = fatal or data
                continue
            completed.update(batch)
            if opts.endpoint == "byUtk":
                got = {u: keep(data.get(u)) for u in batch}
                answers.update(got)
                if use_store:
                    assert self._store is not None
                    self._store.put(namespace, got)
            elif len(batch) == 1:
                records = [keep(r) for r in data.values()]
                answers[batch[0]] = records[0] if records else None
            else:
                by_batch[batch[0]] = [keep(r) for r in data.values()]

        failed_set = {u for u in todo if u not in completed}
        invalid = set(cleaned.invalid)
        matched: list[tuple[str | None, dict[str, Any]]] = []
        missing: list[tuple[str, str]] = []
        for utk in cleaned.order:
            if utk in invalid:
                missing.append((utk, "invalid"))
            elif utk in by_batch:
                matched.extend((None, r) for r in by_batch[utk])
            elif utk in answers:
                record = answers[utk]
                if record is None:
                    missing.append((utk, "not_found"))
                else:
                    matched.append((utk, record))
        result = LookupResult.from_records(matched, missing, definitions=self.property_definitions)
        logger.info(
            "lookup of %d utks: %d from the store, %d batches sent, %d matched, %d missing, "
            "%d failed, in %.2fs",
            len(cleaned.order),
            from_store,
            len(batches),
            len(matched),
            len(missing),
            len(failed_set),
            time.monotonic() - started,
        )
        failed_utks = [u for u in cleaned.valid if u in failed_set]
        errors = [e for _, e in failed if e is not None]
        if isinstance(fatal, DailyLimitError):
            raise DailyLimitError(
                f"{fatal.message} {len(failed_utks)} utks were not fetched; "
                "see .partial and .failed_utks.",
                partial=result,
                failed_utks=failed_utks,
                errors=[fatal, *errors],
                status=429,
                policy_name="DAILY",
                correlation_id=fatal.correlation_id,
            )
        if fatal is not None:
            raise fatal
        if failed_utks:
            first = errors[0] if errors else HubSpotError("unknown failure")
            raise LookupFailedError(
                f"{len(failed_utks)} of {len(cleaned.valid)} utks could not be fetched "
                f"({len(failed)} batches); .partial holds the rest. First error: {first}",
                partial=result,
                failed_utks=failed_utks,
                errors=errors,
                status=first.status,
                category=first.category,
                correlation_id=first.correlation_id,
            )
        return result

    def _run(
        self,
        batches: list[list[str]],
        path: str,
        query: list[tuple[str, str]],
        opts: LookupOptions,
        failed: list[tuple[list[str], HubSpotError | None]],
    ) -> Iterable[tuple[list[str], Any]]:
        """Fetch batches on the pool; yield ``(batch, json)`` or ``(batch, fatal error)``."""
        if not batches:
            return
        from tqdm.auto import tqdm

        show = len(batches) > 1 if opts.progress is None else opts.progress
        stop = threading.Event()
        bar = tqdm(total=len(batches), disable=not show, desc="HubSpot batches", unit="batch")
        with ThreadPoolExecutor(self.settings.max_workers, "hubutk") as pool:
            pending: set[Future[Any]] = {
                pool.submit(self._fetch, b, path, query, opts.refresh, stop) for b in batches
            }
            try:
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        bar.update(1)
                        try:
                            ok, bad = future.result()
                        except (AuthenticationError, DailyLimitError) as exc:
                            stop.set()
                            yield [], exc
                            continue
                        failed.extend(bad)
                        yield from ok
            finally:
                stop.set()
                bar.close()

    def _fetch(
        self,
        batch: list[str],
        path: str,
        query: list[tuple[str, str]],
        refresh: bool,
        stop: threading.Event,
    ) -> tuple[list[tuple[list[str], Any]], list[tuple[list[str], HubSpotError | None]]]:
        """One batch (bisected on errors smaller batches may avoid): ``(done, failed)``."""
        if stop.is_set():
            return [], [(batch, None)]
        try:
            data = self._get(path, query + [("utk", u) for u in batch], refresh=refresh)
            if not isinstance(data, dict):
                raise HubSpotError(f"expected a JSON object from {path}, got {type(data).__name__}")
        except BadRequestError as exc:
            if exc.status in _SPLITTABLE and len(batch) > 1:
                half = len(batch) // 2
                logger.warning(
                    "HTTP %s on a batch of %d utks: splitting it", exc.status, len(batch)
                )
                left = self._fetch(batch[:half], path, query, refresh, stop)
                right = self._fetch(batch[half:], path, query, refresh, stop)
                return left[0] + right[0], left[1] + right[1]
            return [], [(batch, exc)]
        except (AuthenticationError, DailyLimitError):
            stop.set()  # here, not in the caller: this worker's next batch must not start
            raise
        except HubSpotError as exc:
            return [], [(batch, exc)]
        return [(batch, data)], []
