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

import dataclasses
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from hubutk_pandas import settings
from hubutk_pandas import utks as utks_rules
from hubutk_pandas._gc import collector_paused
from hubutk_pandas._http import batching, session, shapes
from hubutk_pandas._http.fetching import raise_for_failures, run_batches
from hubutk_pandas._http.pacing import make_limiter
from hubutk_pandas._http.store import RecordStore, namespace_for
from hubutk_pandas._http.transport import NotCached, RetryPolicy, ShapeCheck, get_json
from hubutk_pandas.erasure import ForgetReport
from hubutk_pandas.errors import HubSpotError, InvalidOptionError
from hubutk_pandas.options import LookupOptions, Progress, check_controls, takes_lookup_options
from hubutk_pandas.rate_window import RateWindowUsage, parse_rate_window, shown_rate_window
from hubutk_pandas.result import LookupResult
from hubutk_pandas.settings import ClientSettings

if TYPE_CHECKING:  # pragma: no cover - typing only
    import requests
    from typing_extensions import Unpack

    from hubutk_pandas.dataset import LookupDataset
    from hubutk_pandas.options import LookupOptionsKwargs

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
    rate_window
        Where that window is kept, shared with every client using this credential:
        ``"machine"`` (every process of this machine using the same cache folder; the
        default), a folder, a ``redis://`` URL (across machines), or ``"client"`` (this
        client alone). Default: ``HUBUTK_RATE_WINDOW``, else ``"machine"``. See
        :mod:`hubutk_pandas.rate_window`.
    max_workers
        Threads sending batches at once (16: a window of 100 requests goes out in
        about a second even at a few hundred ms per answer).
    max_retries, backoff_factor, backoff_max, max_retry_time
        Retries of a failing request: how many, the exponential backoff (with jitter),
        and the total seconds one request may spend retrying. A burst-limit 429 is not a
        failure of the request (the window is shared): it is retried, however often,
        until the refusal has lasted ``max_retry_time``.
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
        rate_window: str | os.PathLike[str] | None = None,
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
        window_kind, window_where = parse_rate_window(rate_window)
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
        self.settings = dataclasses.replace(
            self.settings, rate_window=shown_rate_window(window_kind, window_where)
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
        if window_kind == "machine" and window_where is None:  # beside the cache
            window_where = str(cache_dir or session.default_cache_dir())
        try:
            self._limiter = make_limiter(
                s.rate_limit,
                kind=window_kind,
                where=window_where,
                fingerprint=lambda salt: session.credential_fingerprint(kind, secret, salt),
                lease=max(2 * s.timeout, s.rate_limit[1]),
            )
        except BaseException:  # an unusable window: do not leak the session and the store
            self._session.close()
            if self._store is not None:
                self._store.close()
            raise
        self._retry = RetryPolicy(
            s.max_retries, s.backoff_factor, s.backoff_max, s.max_retry_time, s.timeout
        )
        self._definitions: list[dict[str, Any]] | None = None
        self._definitions_lock = threading.Lock()
        self._plain_session: requests.Session | None = None  # streaming: no HTTP cache
        self._cache_only = threading.local()  # cached_batch: fetch_batch from the cache only

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
        """Close the HTTP session, the record store and the rate window's connection."""
        try:
            self._session.close()
            if self._plain_session is not None:
                self._plain_session.close()
        finally:
            try:
                if self._store is not None:
                    self._store.close()
            finally:
                self._limiter.close()

    def rate_window_usage(self) -> RateWindowUsage:
        """How much of this credential's rate window is in use right now, and by whom.

        The window is shared with every client on the same credential (see ``rate_window``):
        the answer counts this client's slots, other clients' (other processes, on this
        machine or, with Redis, any), and slots booked for requests none of them sent
        (another app on the same credential, as HubSpot's ``Remaining`` showed). It sends
        no request to HubSpot.

        Examples
        --------
        >>> from hubutk_pandas.sandbox import SandboxPortal
        >>> with SandboxPortal(contacts=10) as p, HubSpotClient(
        ...         p.access_token, base_url=p.base_url, cache=False) as c:
        ...     before = c.rate_window_usage()
        ...     answer = c.fetch_batch(p.sample_utks(1))
        ...     after = c.rate_window_usage()
        >>> before.backend, before.used, after.ours, after.others, after.max_requests
        ('machine', 0, 1, 0, 100)
        >>> print(after)  # doctest: +ELLIPSIS
        machine window .../rate_window.sqlite: 1 of 100 per 10s used (0 by 0 other processes, ...
        """
        return RateWindowUsage(**self._limiter.usage())

    def _get(
        self,
        path: str,
        params: list[tuple[str, str]],
        *,
        refresh: bool,
        check: ShapeCheck,
        via: requests.Session | None = None,
    ) -> Any:
        headers: dict[str, str] = {"Accept": "application/json"}
        if self.settings.credential_kind == "access_token":
            headers["Authorization"] = f"Bearer {self.__secret}"
        else:
            params = [*params, ("hapikey", self.__secret)]
        return get_json(
            self._session if via is None else via,
            self.settings.base_url + path,
            params,
            headers=headers,
            limiter=self._limiter,
            policy=self._retry,
            secrets_=[self.__secret],
            refresh=refresh,
            check=check,
            cached_only=getattr(self._cache_only, "on", False),
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
                self._definitions = self._get(
                    PROPERTIES_PATH, [], refresh=refresh, check=shapes.definitions_shape
                )
            return self._definitions

    @takes_lookup_options
    def fetch_batch(
        self,
        utks: Iterable[str],
        *,
        options: LookupOptions | None = None,
        refresh: bool = False,
        **kwargs: Unpack[LookupOptionsKwargs],
    ) -> dict[str, Any]:
        """HubSpot's raw batch answer for up to 100 utks: the wire JSON, not frames.

        The same request a lookup sends, through the same HTTP cache, pacer and retries:
        an identical request is answered from the cache without a rate-limit slot, and
        every thread sharing this client shares one pacer. Use it to serve or store the
        wire format (``hubutk proxy`` does); use :meth:`lookup_utks` for tidy frames.

        Parameters
        ----------
        utks
            At most 100 utks, sent as given (duplicates are sent once). Each must be a
            possible utk (cookie-safe, at most 64 characters); nothing is stripped.
        options
            A :class:`~hubutk_pandas.LookupOptions` to start from (default: the defaults);
            the option keywords below override its values. With ``endpoint="byUtk"`` the
            answer is keyed by utk; with ``"utks"``, by vid (as text).
        <lookup options>

        Returns
        -------
        dict
            HubSpot's JSON object: key -> contact record. Utks that match nothing are
            absent (an empty list, or no match, gives ``{}``; no request for the former).

        Raises
        ------
        InvalidOptionError
            More than 100 utks, a value that cannot be a utk, or an invalid option:
            before any request.
        DailyLimitError, AuthenticationError, HubSpotAPIError
            As for a lookup, once the retries are spent.

        Examples
        --------
        >>> utks = client.sandbox.sample_utks(2)
        >>> answer = client.fetch_batch(utks, properties=["lifecyclestage"])
        >>> sorted(answer) == sorted(utks), list(answer[utks[0]]["properties"])
        (True, ['lifecyclestage'])
        >>> client.fetch_batch(["a b"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        hubutk_pandas.errors.InvalidOptionError: utks='a b' is not valid; ...
        """
        opts = LookupOptions.resolve(options, kwargs)
        check_controls(refresh=refresh)
        if isinstance(utks, (str, bytes)):
            raise InvalidOptionError(f"utks={utks!r} is not valid; give a list of utks")
        wanted = list(dict.fromkeys(utks))
        for utk in wanted:
            reason = utks_rules.invalid_reason(utk) if isinstance(utk, str) else "not a string"
            if reason is not None:
                raise InvalidOptionError(
                    f"utks={utk!r} is not valid; each utk must be cookie-safe text of at most "
                    f"{utks_rules.MAX_UTK_LENGTH} characters (this one: {reason})"
                )
        if len(wanted) > batching.MAX_BATCH_SIZE:
            raise InvalidOptionError(
                f"{len(wanted)} utks given; a batch holds at most {batching.MAX_BATCH_SIZE}"
            )
        if not wanted:
            return {}
        path = BY_UTK_PATH if opts.endpoint == "byUtk" else UTKS_PATH
        query = opts.query()
        local_filter = False
        if (
            self._fixed_length(path, query) + max(batching.param_length("utk", u) for u in wanted)
            > self.settings.max_url_length
        ):
            query, local_filter = opts.query(with_properties=False), True
        batches = batching.plan_batches(
            wanted,
            fixed_length=self._fixed_length(path, query),
            max_url_length=self.settings.max_url_length,
        )
        answer: dict[str, Any] = {}
        for batch in batches:
            params = query + [("utk", u) for u in batch]
            data = self._get(path, params, refresh=refresh, check=shapes.batch_shape)
            for key, record in data.items():
                answer.setdefault(key, opts.trim(record) if local_filter else record)
        logger.debug(
            "batch of %d utks: %d requests, %d records", len(wanted), len(batches), len(answer)
        )
        return answer

    @takes_lookup_options
    def cached_batch(
        self,
        utks: Iterable[str],
        *,
        options: LookupOptions | None = None,
        **kwargs: Unpack[LookupOptionsKwargs],
    ) -> dict[str, Any] | None:
        """:meth:`fetch_batch`'s answer if the HTTP cache holds it, else ``None``: never a request.

        For a server that must count what HubSpot is asked (``hubutk proxy`` counts each
        client's upstream calls): a cached answer costs nothing, ``None`` means that
        :meth:`fetch_batch` would send a request. Without a cache it is always ``None``.

        Parameters
        ----------
        utks, options
            As for :meth:`fetch_batch` (checked the same way, before anything else).
        <lookup options>

        Returns
        -------
        dict or None
            The answer :meth:`fetch_batch` would return, or ``None``.

        Examples
        --------
        >>> utks = client.sandbox.sample_utks(3)
        >>> client.cached_batch(utks, properties=["city"]) is None   # never asked: not cached
        True
        >>> answer = client.fetch_batch(utks, properties=["city"])
        >>> client.cached_batch(utks, properties=["city"]) == answer
        True
        """
        self._cache_only.on = True
        try:
            return self.fetch_batch(utks, options=options, **kwargs)
        except NotCached:
            return None
        finally:
            self._cache_only.on = False

    def trim_cache(self, *, max_bytes: int | None = None) -> int:
        """Sweep the HTTP cache: drop expired answers and, past ``max_bytes``, the oldest.

        requests-cache keeps answers until they are read after ``expire_after``; this
        drops every expired one now. With ``max_bytes``, when the answers take more than
        that, the oldest go too, down to 80% of it (the file keeps its freed pages for
        new answers, so it stays near the cap). ``hubutk proxy`` runs it every few
        minutes; the per-utk record store of lookups is not touched.

        Parameters
        ----------
        max_bytes
            The most the cached answers may take, in bytes (``None``: no cap).

        Returns
        -------
        int
            The number of answers dropped (0 without a cache).

        Raises
        ------
        CacheError
            The cache file failed (a full disk, a locked or damaged file).

        Examples
        --------
        >>> client.trim_cache(max_bytes=10_000_000) >= 0
        True
        """
        if max_bytes is not None:
            settings.check_number("max_bytes", max_bytes, minimum=1, integer=True)
        return session.trim_cache(self._session, max_bytes)

    @overload
    def lookup_utks(
        self,
        utks: Iterable[Any],
        *,
        options: LookupOptions | None = None,
        progress: Progress = None,
        refresh: bool = False,
        out: None = None,
        **kwargs: Unpack[LookupOptionsKwargs],
    ) -> LookupResult: ...

    @overload
    def lookup_utks(
        self,
        utks: Iterable[Any],
        *,
        options: LookupOptions | None = None,
        progress: Progress = None,
        refresh: bool = False,
        out: str | os.PathLike[str],
        **kwargs: Unpack[LookupOptionsKwargs],
    ) -> LookupDataset: ...

    @takes_lookup_options
    def lookup_utks(
        self,
        utks: Iterable[Any],
        *,
        options: LookupOptions | None = None,
        progress: Progress = None,
        refresh: bool = False,
        out: str | os.PathLike[str] | None = None,
        **kwargs: Unpack[LookupOptionsKwargs],
    ) -> LookupResult | LookupDataset:
        """Look a column of utks up and return the tidy :class:`LookupResult`.

        Parameters
        ----------
        utks
            Any iterable or Series; empties are dropped, values stripped and de-duplicated.
            Values that cannot be a utk are not sent; they appear in ``missing`` with the
            reason ``"invalid"`` (one warning counts them).
        options
            A :class:`~hubutk_pandas.LookupOptions` to start from (default: the defaults);
            the option keywords below override its values.
        <lookup options>
        out
            A folder: stream the lookup to a :class:`~hubutk_pandas.dataset.LookupDataset`
            there (Parquet, bounded memory, resumable: rerunning the same call continues
            where it stopped) and return it; see :func:`hubutk_pandas.dataset.lookup_to_dataset`.
            ``progress`` then counts utks, not batches, and ``refresh`` changes nothing
            (no cache is read: the dataset is the state).

        Returns
        -------
        LookupResult
            Or, with ``out``, the :class:`~hubutk_pandas.dataset.LookupDataset`.

        Raises
        ------
        TypeError
            An unknown keyword (a misspelt option).
        InvalidOptionError
            An option or control with a refused value, before any request.
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
        opts = LookupOptions.resolve(options, kwargs)
        check_controls(progress=progress, refresh=refresh)
        if out is not None:
            from hubutk_pandas.dataset import lookup_to_dataset

            return lookup_to_dataset(self, utks, Path(out), opts, progress=progress)
        # An in-memory lookup holds every answer, millions of containers, until the frames
        # are built, and the cyclic collector would rescan them each time they grow by a
        # quarter: 100,000 contacts made 11 full collections, 6 s of pauses of up to 1.3 s
        # that stall every worker and so delay the slots. JSON trees hold no cycles, so the
        # collector is paused from the first answer until the records are dropped, and
        # restored as found (never switched on if the caller had it off). Cycles made
        # meanwhile anywhere in the process wait until then: about 40 objects a request.
        with collector_paused():
            return self._lookup_in_memory(utks, opts, refresh=refresh, progress=progress)

    def _lookup_in_memory(
        self, utks: Iterable[Any], opts: LookupOptions, *, refresh: bool, progress: Progress
    ) -> LookupResult:
        """:meth:`lookup_utks` without ``out``; run with the cyclic collector paused."""
        started = time.monotonic()
        cleaned = utks_rules.clean_utks(utks)
        namespace = namespace_for(
            self._fingerprint, self.settings.base_url, opts.endpoint, opts.fingerprint()
        )
        answers: dict[str, dict[str, Any] | str | None] = {}  # the store's are JSON text
        store = self._store if opts.endpoint == "byUtk" else None
        if store is not None and not refresh:
            answers.update(store.get(namespace, cleaned.valid))
        from_store = len(answers)
        todo = [u for u in cleaned.valid if u not in answers]
        got = self._fetch(
            todo,
            opts,
            refresh=refresh,
            progress=progress,
            on_answers=None if store is None else lambda found: store.put(namespace, found),
        )
        answers.update(got.answers)
        by_batch, failed, fatal, completed = got.by_batch, got.failed, got.fatal, got.completed
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
            got.batches,
            len(matched),
            len(missing),
            len(failed_set),
            time.monotonic() - started,
        )
        failed_utks = [u for u in cleaned.valid if u in failed_set]
        # On success the records die with this frame, inside the pause; on a raise the
        # traceback would keep the frame, and them, alive past it.
        del answers, got, by_batch, matched
        raise_for_failures(result, fatal, failed, failed_utks, len(cleaned.valid))
        return result

    def forget(
        self,
        *,
        utks: str | Iterable[str] | None = None,
        vids: int | str | Iterable[int | str] | None = None,
        emails: str | Iterable[str] | None = None,
        datasets: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] = (),
        refetch: bool = False,
        quiet: bool = False,
    ) -> ForgetReport:
        """Erase contacts from this client's cache folder and the datasets named.

        :func:`hubutk_pandas.privacy.forget` on this client's cache folder: a contact is
        found by any of its utks, vids or emails in what is held locally (no request is
        sent), and its records, every cached answer holding it, and its rows in every
        frame of each dataset are removed. Returns and prints what was removed where.

        Examples
        --------
        >>> utk = client.sandbox.sample_utks(1500)[-1]   # one no other example looks up
        >>> _ = client.lookup_utks([utk], progress=False)
        >>> report = client.forget(utks=utk, quiet=True)
        >>> report.removals[0].removed
        {'records': 1}
        """
        from hubutk_pandas import privacy

        return privacy.forget(
            utks=utks, vids=vids, emails=emails, datasets=datasets,
            cache=self.settings.cache_dir or False, refetch=refetch, quiet=quiet,
        )  # fmt: skip

    # -- fetching batches: shared by the in-memory lookup and the dataset stream -----------

    def _fetch(
        self,
        utks: list[str],
        opts: LookupOptions,
        *,
        refresh: bool,
        progress: Progress,
        via: requests.Session | None = None,
        on_answers: Callable[[dict[str, dict[str, Any] | None]], Any] | None = None,
    ) -> ChunkAnswers:
        """Fetch valid, distinct ``utks`` on the worker pool; failures are returned, not raised.

        ``on_answers(found)`` is called in the calling thread with each ``byUtk`` batch's
        answers (utk -> record or ``None``) as it arrives (the record store uses it).
        """
        path = BY_UTK_PATH if opts.endpoint == "byUtk" else UTKS_PATH
        query = opts.query()
        longest_utk = batching.param_length("utk", "x" * utks_rules.MAX_UTK_LENGTH)
        local_filter = self._fixed_length(path, query) + longest_utk > self.settings.max_url_length
        if local_filter:
            query = opts.query(with_properties=False)
            logger.debug("property list too long for a URL: fetching all, filtering locally")
        batches = batching.plan_batches(
            utks,
            fixed_length=self._fixed_length(path, query),
            max_url_length=self.settings.max_url_length,
        )
        out = ChunkAnswers(batches=len(batches))

        def get(batch: list[str]) -> Any:
            params = query + [("utk", u) for u in batch]
            return self._get(path, params, refresh=refresh, check=shapes.batch_shape, via=via)

        def keep(record: Any) -> Any:
            return opts.trim(record) if local_filter else record

        for batch, data in run_batches(
            batches,
            get,
            max_workers=self.settings.max_workers,
            failed=out.failed,
            progress=progress,
        ):
            if isinstance(data, HubSpotError):
                out.fatal = out.fatal or data
                continue
            out.completed.update(batch)
            if opts.endpoint == "byUtk":
                found = {u: keep(data.get(u)) for u in batch}
                out.answers.update(found)
                if on_answers is not None:
                    on_answers(found)
            elif len(batch) == 1:
                records = [keep(r) for r in data.values()]
                out.answers[batch[0]] = records[0] if records else None
            else:
                out.by_batch[batch[0]] = [keep(r) for r in data.values()]
        return out

    def _fetch_chunk(self, utks: list[str], opts: LookupOptions) -> ChunkAnswers:
        """Fetch a chunk for :mod:`hubutk_pandas.dataset`, bypassing both caches.

        The dataset is the state, so nothing is read from or written to the HTTP cache or
        the record store; the requests are paced by the same limiter as every lookup.
        """
        with self._definitions_lock:
            if self._plain_session is None:
                self._plain_session = session.make_session(
                    cache_dir=None,
                    namespace=self._fingerprint,
                    expire_after=None,
                    user_agent=_user_agent(),
                    pool_size=2 * self.settings.max_workers,  # dataset.stream: 2 chunks at once
                )
            plain = self._plain_session
        return self._fetch(utks, opts, refresh=True, progress=False, via=plain)


@dataclass
class ChunkAnswers:
    """What :meth:`HubSpotClient._fetch` got for a list of utks."""

    batches: int = 0
    """Requests planned (batches), before any split."""
    answers: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    """utk -> record, or ``None`` when HubSpot has no contact for it."""
    by_batch: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """``endpoint="utks"``, batches of several utks: first utk -> the batch's records."""
    completed: set[str] = field(default_factory=set)
    failed: list[tuple[list[str], HubSpotError | None]] = field(default_factory=list)
    fatal: HubSpotError | None = None
