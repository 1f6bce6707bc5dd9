"""``HubSpotClient``: credentials, settings, the worker pool and lookup orchestration.

The client looks a column of utks up in HubSpot's Contacts v1 API. It checks its
arguments (:mod:`~hubutk_pandas.settings`), cleans the column
(:mod:`~hubutk_pandas._http.batching`), answers what it can from the per-utk record store
(:mod:`~hubutk_pandas._http.store`), cuts the rest into batches that fit a URL, and fetches
them on a small thread pool (:mod:`~hubutk_pandas._http.fetching`) sharing one pacer
(:mod:`~hubutk_pandas._http.pacing`), each request a retrying GET
(:mod:`~hubutk_pandas._http.transport`) over a cached session (:mod:`~hubutk_pandas._http.session`).

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
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from hubutk_pandas import settings
from hubutk_pandas import utks as utks_rules
from hubutk_pandas._http import batching, session
from hubutk_pandas._http.fetching import raise_for_failures, run_batches
from hubutk_pandas._http.pacing import RateLimiter
from hubutk_pandas._http.store import RecordStore, namespace_for
from hubutk_pandas._http.transport import RetryPolicy, get_json
from hubutk_pandas.errors import HubSpotError
from hubutk_pandas.result import LookupResult
from hubutk_pandas.settings import ClientSettings, LookupOptions, ProgressCallback

__all__ = ["ClientSettings", "HubSpotClient", "LookupOptions"]

logger = logging.getLogger(__name__)

BY_UTK_PATH = "/contacts/v1/contact/byUtk/batch/"
UTKS_PATH = "/contacts/v1/contact/utks/batch/"
PROPERTIES_PATH = "/properties/v1/contacts/properties"


def _user_agent() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"hubutk-pandas/{version('hubutk-pandas')}"
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "hubutk-pandas/0+unknown"


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
        Threads sending batches at once (16: a window of 100 requests goes out in
        about a second even at a few hundred ms per answer).
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
        max_workers: int = 16,
        max_retries: int = 5,
        backoff_factor: float = 0.5,
        backoff_max: float = 30.0,
        max_retry_time: float = 300.0,
        timeout: float = 30.0,
        max_url_length: int = 7000,
    ) -> None:
        kind, secret = settings.resolve_credential(access_token, api_key)
        cache_dir = settings.resolve_cache_dir(cache, session.default_cache_dir)
        self.settings = settings.build_settings(
            credential_kind=kind,
            base_url=base_url,
            cache_dir=cache_dir,
            expire_after=expire_after,
            rate_limit=rate_limit,
            max_workers=max_workers,
            max_retries=max_retries,
            backoff_factor=backoff_factor,
            backoff_max=backoff_max,
            max_retry_time=max_retry_time,
            timeout=timeout,
            max_url_length=max_url_length,
        )
        s = self.settings
        self.__secret = secret
        self._fingerprint = session.credential_fingerprint(
            kind, secret, session.load_salt(cache_dir)
        )
        self._session = session.make_session(
            cache_dir=cache_dir,
            namespace=self._fingerprint,
            expire_after=s.expire_after,
            user_agent=_user_agent(),
            pool_size=s.max_workers,
        )
        try:
            self._store = (
                None if cache_dir is None else RecordStore(cache_dir, expire_after=s.expire_after)
            )
        except BaseException:  # an unwritable or locked store: do not leak the open session
            self._session.close()
            raise
        self._limiter = RateLimiter(*s.rate_limit)
        self._retry = RetryPolicy(
            s.max_retries, s.backoff_factor, s.backoff_max, s.max_retry_time, s.timeout
        )
        self._definitions: list[dict[str, Any]] | None = None
        self._definitions_lock = threading.Lock()

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
        try:
            self._session.close()
        finally:
            if self._store is not None:
                self._store.close()

    def _get(self, path: str, params: list[tuple[str, str]], *, refresh: bool) -> Any:
        headers: dict[str, str] = {"Accept": "application/json"}
        if self.settings.credential_kind == "access_token":
            headers["Authorization"] = f"Bearer {self.__secret}"
        else:
            params = [*params, ("hapikey", self.__secret)]
        return get_json(
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

    validate_options = staticmethod(settings.validate_options)
    """Check lookup options; raise :class:`InvalidOptionError` before any request.

    The same as :func:`hubutk_pandas.settings.validate_options` (the accessor calls it
    as ``HubSpotClient.validate_options(**options)``).
    """

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
        progress: bool | ProgressCallback | None = None,
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
            matched records then carry no utk, unless the batch held a single utk, and
            only such single-utk batches can report a utk as ``not_found`` in ``missing``).
        progress
            ``None``: a progress bar when more than one batch is sent; ``True`` /
            ``False``: always / never a bar; or a callable ``progress(done, total)``
            (no bar), called from the calling thread with ``(0, total)`` before the
            first request, then after each batch completes, ending at
            ``done == total``; ``total`` counts the batches sent (not the utks
            served by the store). An exception it raises stops the lookup.
        refresh
            Ignore both caches (the answers fetched are stored again).

        Returns
        -------
        LookupResult

        Raises
        ------
        LookupFailedError
            Some batches failed after retries: ``.partial`` holds what succeeded and
            ``.failed_utks`` the rest (with the cache on and ``endpoint="byUtk"``, a
            rerun fetches only those).
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
        cleaned = utks_rules.clean_utks(utks)
        path = BY_UTK_PATH if opts.endpoint == "byUtk" else UTKS_PATH
        query = opts.query()
        longest_utk = batching.param_length("utk", "x" * utks_rules.MAX_UTK_LENGTH)
        local_filter = False
        if self._fixed_length(path, query) + longest_utk > self.settings.max_url_length:
            query, local_filter = opts.query(with_properties=False), True
            logger.info("property list too long for a URL: fetching all, filtering locally")
        namespace = namespace_for(
            self._fingerprint, self.settings.base_url, opts.endpoint, opts.fingerprint()
        )
        answers: dict[str, dict[str, Any] | str | None] = {}  # the store's are JSON text
        use_store = self._store is not None and opts.endpoint == "byUtk"
        if use_store and not opts.refresh:
            assert self._store is not None
            answers.update(self._store.get(namespace, cleaned.valid))
        from_store = len(answers)
        todo = [u for u in cleaned.valid if u not in answers]
        batches = batching.plan_batches(
            todo,
            fixed_length=self._fixed_length(path, query),
            max_url_length=self.settings.max_url_length,
        )

        def keep(record: Any) -> Any:
            return opts.trim(record) if local_filter else record

        by_batch: dict[str, list[dict[str, Any]]] = {}  # utks endpoint: first utk -> records
        failed: list[tuple[list[str], HubSpotError | None]] = []
        fatal: HubSpotError | None = None
        completed: set[str] = set()

        def get(batch: list[str]) -> Any:
            data = self._get(path, query + [("utk", u) for u in batch], refresh=opts.refresh)
            if not isinstance(data, dict):
                raise HubSpotError(f"expected a JSON object from {path}, got {type(data).__name__}")
            return data

        for batch, data in run_batches(
            batches,
            get,
            max_workers=self.settings.max_workers,
            failed=failed,
            progress=opts.progress,
        ):
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
        matched: list[tuple[str | None, dict[str, Any] | str]] = []
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
        raise_for_failures(result, fatal, failed, failed_utks, len(cleaned.valid))
        return result
