"""``HubSpotClient``: credentials, sessions and wiring; the lookup pipeline's fetcher.

The client checks its settings (:mod:`~hubutk_pandas.settings`), holds the credential,
the HTTP session (:mod:`~hubutk_pandas._http.session`), the per-utk record store
(:mod:`~hubutk_pandas._http.store`) and the pacer (:mod:`~hubutk_pandas._http.pacing`)
that every request waits for, and sends each request as a retrying GET
(:mod:`~hubutk_pandas._http.transport`). A lookup runs in :mod:`hubutk_pandas.lookup`,
which reaches HubSpot only through ``client.fetcher``.

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
import os
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from hubutk_pandas import settings, wire
from hubutk_pandas._http import session
from hubutk_pandas._http.fetcher import HttpFetcher
from hubutk_pandas._http.transport import NotCached
from hubutk_pandas.lookup import Fetcher, check_sink_arguments
from hubutk_pandas.lookup.failures import daily_limit_stops
from hubutk_pandas.lookup.fetch import fetch_raw
from hubutk_pandas.lookup.plan import check_batch
from hubutk_pandas.options import LookupOptions, Progress, check_controls, takes_lookup_options
from hubutk_pandas.rate_window import RateWindowUsage, parse_rate_window, shown_rate_window
from hubutk_pandas.settings import ClientSettings, takes_client_settings

if TYPE_CHECKING:  # pragma: no cover - typing only
    from typing_extensions import Unpack

    from hubutk_pandas.dataset import LookupDataset
    from hubutk_pandas.doctor import CheckReport
    from hubutk_pandas.erasure import ForgetReport
    from hubutk_pandas.options import LookupOptionsKwargs
    from hubutk_pandas.result import LookupResult

__all__ = ["ClientSettings", "HubSpotClient", "LookupOptions"]

LISTS_ROOT = "/crm/lists/2026-09"
"""The Lists API (list memberships since 2026-04-30): the date-versioned 2026-09 paths.

Chosen over ``/crm/v3/lists`` (same requests and answers): HubSpot advises moving straight
to the date-based versions; v3 goes unsupported in September 2027, 2026-09 (GA in September
2026) 18 months after its release, about March 2028; and from 2026-03 on the spec makes the
membership timestamps required. Its batch read reports records not found in ``errors`` of a
200 where v3 answers 207; the client takes both.
"""


@takes_client_settings
class HubSpotClient:
    """A cached, paced, retrying client of HubSpot's Contacts v1 utk endpoints.

    Parameters
    ----------
    access_token
        A private-app or OAuth token, sent as ``Authorization: Bearer``. Default:
        ``HUBSPOT_ACCESS_TOKEN``.
    api_key
        A legacy API key (``hapikey``), which HubSpot has refused since 2022-11-30; kept
        for the sandbox and old recordings. Default: ``HUBSPOT_API_KEY``.
    cache
        ``True``: the per-user cache folder; a path: that folder; ``False``: no HTTP
        cache and no record store.
    rate_window
        Where the rate window is kept, shared with every client using this credential:
        ``"machine"`` (every process of this machine using the same cache folder; the
        default), a folder, a ``redis://`` URL (across machines), or ``"client"`` (this
        client alone). Default: ``HUBUTK_RATE_WINDOW``, else ``"machine"``. See
        :mod:`hubutk_pandas.rate_window`. A burst-limit 429 is not a failure of a request
        (the window is shared): it is retried, however often, until the refusal has lasted
        ``max_retry_time``.
    <client settings>

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
        cache_timeout: float = 10.0,
    ) -> None:
        kind, secret = settings.resolve_credential(access_token, api_key)
        cache_dir = settings.resolve_cache_dir(cache, session.default_cache_dir)
        window_kind, window_where = parse_rate_window(rate_window)
        built = settings.build_settings(
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
            cache_timeout=cache_timeout,
        )
        self.settings = s = dataclasses.replace(
            built, rate_window=shown_rate_window(window_kind, window_where)
        )
        if window_kind == "machine" and window_where is None:  # beside the cache
            window_where = str(cache_dir or session.default_cache_dir())
        self._http = HttpFetcher(
            s,
            secret,
            rate_window=(window_kind, window_where),
            paths={"byUtk": wire.BY_UTK_PATH, "utks": wire.UTKS_PATH},
            definitions_path=wire.PROPERTIES_PATH,
            user_agent=session.user_agent(),
            lists_root=LISTS_ROOT,
            account_path=wire.ACCOUNT_DETAILS_PATH,
            credential_origin=settings.credential_origin(access_token, api_key),
        )

    @property
    def fetcher(self) -> Fetcher:
        """The client's side of the lookup pipeline (:class:`hubutk_pandas.lookup.Fetcher`)."""
        return self._http

    def __repr__(self) -> str:
        s = self.settings
        return (
            f"{type(self).__name__}(base_url={s.base_url!r}, credential={s.credential_kind!r}, "
            f"fingerprint={self._http.fingerprint[:8]!r}, cache_dir={str(s.cache_dir)!r})"
        )

    __str__ = __repr__

    def __enter__(self) -> HubSpotClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._http.closed

    def close(self) -> None:
        """Close the HTTP sessions, the record store and the rate window's connection."""
        self._http.close()

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
        return RateWindowUsage(**self._http.window_usage())

    # -- public API -------------------------------------------------------------------------

    def check(self) -> CheckReport:
        """Does this setup work? A :class:`~hubutk_pandas.doctor.CheckReport`, one line a check.

        The credential is accepted; the scopes are there (contacts read for lookups, lists
        read for list memberships); the portal's burst limit and the daily calls left (from
        HubSpot's headers); the cache folder is writable; HubSpot or another server (the
        sandbox); how long HubSpot supports the v1 endpoints. Two cheap requests in all,
        paced like a lookup's, never cached; each failing line says how to fix it. The
        same report as ``hubutk doctor``; it never holds the credential.

        Examples
        --------
        >>> report = client.check()
        >>> report.ok, report["lists scope"].detail
        (True, 'crm.lists.read granted (list memberships work)')
        """
        from hubutk_pandas.doctor import run_checks

        return run_checks(self._http, self.settings)

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
        with daily_limit_stops():
            return self._http.property_definitions(refresh)

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

        The same request a lookup sends, through the same pacer and retries, and the HTTP
        cache: an identical request is answered from the cache without a rate-limit slot,
        and every thread sharing this client shares one pacer. (Lookups of the default
        ``byUtk`` endpoint keep their answers in the per-utk record store instead, so a
        lookup neither fills nor reads this cache.) Use it to serve or store the
        wire format (``hubutk proxy`` does); use :meth:`lookup_utks` for tidy frames.
        ``show_list_memberships`` only passes HubSpot's parameter on: its v1 reads have not
        carried memberships since 2026-04-30; :meth:`lookup_utks` reads them from the
        Lists API.

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
        wanted = check_batch(utks)
        return fetch_raw(self._http, wanted, opts, refresh=refresh) if wanted else {}

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
        with self._http.cache_only():
            try:
                return self.fetch_batch(utks, options=options, **kwargs)
            except NotCached:
                return None

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
        return self._http.trim_cache(max_bytes)

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

    @overload
    def lookup_utks(
        self,
        utks: Iterable[Any],
        *,
        options: LookupOptions | None = None,
        progress: Progress = None,
        refresh: bool = False,
        out: None = None,
        retry_missing: bool = False,
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
        retry_missing: bool = False,
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
        retry_missing: bool = False,
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
            where it stopped) and return it; see
            :func:`hubutk_pandas.lookup.lookup_to_dataset`. A dataset reads no cache, so
            ``refresh=True`` with ``out`` is refused. It records its portal and the
            credential that made it (a salted fingerprint, never the credential), and
            refuses another portal, or a credential HubSpot does not confirm is the same
            portal's (:func:`~hubutk_pandas.dataset.manifest.check_source`).
        retry_missing
            With ``out``: look the utks the dataset found missing up again, and only those
            (visitors become contacts over time); what now matches is added.

        Returns
        -------
        LookupResult
            Or, with ``out``, the :class:`~hubutk_pandas.dataset.LookupDataset`.

        Raises
        ------
        TypeError
            An unknown keyword (a misspelt option).
        InvalidOptionError
            An option or control with a refused value, or one that does not apply with
            ``out`` (``refresh=True``): before any request.
        LookupFailedError
            Some batches failed after retries: ``.partial`` holds what succeeded (the
            result, or the dataset) and ``.failed_utks`` the rest (with the cache on and
            ``endpoint="byUtk"``, or with ``out``, a rerun fetches only those). With
            ``show_list_memberships``, contacts whose memberships could not be read count
            as failed (in memory ``.partial`` has them without memberships).
        MissingScopesError
            ``show_list_memberships=True`` and the credential lacks ``crm.lists.read``:
            raised after one request, before any contact is fetched.
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
        check_sink_arguments(out=out, refresh=refresh, retry_missing=retry_missing)
        if out is None:
            from hubutk_pandas.lookup.memory import lookup_to_result

            return lookup_to_result(self._http, utks, opts, progress=progress, refresh=refresh)
        from hubutk_pandas.lookup.stream import lookup_to_dataset

        return lookup_to_dataset(
            self._http, utks, Path(out), opts, progress=progress, retry_missing=retry_missing
        )
