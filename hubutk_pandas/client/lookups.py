"""The client's lookups: :meth:`lookup_utks`, the raw :meth:`fetch_batch` and its cache probe.

A mixin of :class:`~hubutk_pandas.HubSpotClient` (as requests-cache's ``CacheMixin`` is of
its session): each method checks its arguments before any request, then hands the work to
the lookup pipeline (:mod:`hubutk_pandas.lookup`) through the client's fetcher.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from hubutk_pandas._http.transport import NotCached
from hubutk_pandas.lookup import check_sink_arguments
from hubutk_pandas.lookup.failures import daily_limit_stops
from hubutk_pandas.lookup.fetch import fetch_raw
from hubutk_pandas.lookup.plan import check_batch
from hubutk_pandas.options import LookupOptions, Progress, check_controls, takes_lookup_options

if TYPE_CHECKING:  # pragma: no cover - typing only
    from typing_extensions import Unpack

    from hubutk_pandas._http.fetcher import HttpFetcher
    from hubutk_pandas.dataset import LookupDataset
    from hubutk_pandas.options import LookupOptionsKwargs
    from hubutk_pandas.result import LookupResult

__all__: list[str] = []


class Lookups:
    """The lookup methods of :class:`~hubutk_pandas.HubSpotClient` (a mixin)."""

    _http: HttpFetcher

    def property_definitions(self, refresh: bool = False) -> list[dict[str, Any]]:
        """The portal's contact property definitions (fetched once, then cached).

        Examples
        --------
        >>> from hubutk_pandas import HubSpotClient
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
        >>> from hubutk_pandas import HubSpotClient
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
