"""The client's upkeep: :meth:`check`, the rate window's usage, the cache's trim, ``forget``.

A mixin of :class:`~hubutk_pandas.HubSpotClient`: what a user asks of a client besides
lookups. Each method delegates: to :mod:`hubutk_pandas.doctor`, the rate window, the HTTP
cache, or :func:`hubutk_pandas.privacy.forget`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from hubutk_pandas import settings
from hubutk_pandas.rate_window import RateWindowUsage

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hubutk_pandas._http.fetcher import HttpFetcher
    from hubutk_pandas.doctor import CheckReport
    from hubutk_pandas.erasure import ForgetReport
    from hubutk_pandas.settings import ClientSettings

__all__: list[str] = []


class Upkeep:
    """The upkeep methods of :class:`~hubutk_pandas.HubSpotClient` (a mixin)."""

    _http: HttpFetcher
    settings: ClientSettings

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

    def rate_window_usage(self) -> RateWindowUsage:
        """How much of this credential's rate window is in use right now, and by whom.

        The window is shared with every client on the same credential (see ``rate_window``):
        the answer counts this client's slots, other clients' (other processes, on this
        machine or, with Redis, any), and slots booked for requests none of them sent
        (another app on the same credential, as HubSpot's ``Remaining`` showed). It sends
        no request to HubSpot.

        Examples
        --------
        >>> from hubutk_pandas import HubSpotClient
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
