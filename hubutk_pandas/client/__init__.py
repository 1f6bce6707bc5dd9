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
from datetime import timedelta

from hubutk_pandas import credentials, settings, wire
from hubutk_pandas._http import session
from hubutk_pandas._http.fetcher import HttpFetcher
from hubutk_pandas.client.lookups import Lookups
from hubutk_pandas.client.upkeep import Upkeep
from hubutk_pandas.lookup import Fetcher
from hubutk_pandas.options import LookupOptions
from hubutk_pandas.rate_window import parse_rate_window, shown_rate_window
from hubutk_pandas.settings import ClientSettings, takes_client_settings

__all__ = ["ClientSettings", "HubSpotClient", "LookupOptions"]


@takes_client_settings
class HubSpotClient(Lookups, Upkeep):
    """A cached, paced, retrying client of HubSpot's Contacts v1 utk endpoints.

    Its lookups are in :mod:`~hubutk_pandas.client.lookups`, its upkeep (``check``, the
    rate window, the cache) in :mod:`~hubutk_pandas.client.upkeep`; this class holds the
    credential, the settings and the wiring.

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
        max_workers: int | None = None,
        max_retries: int = 5,
        backoff_factor: float = 0.5,
        backoff_max: float = 30.0,
        max_retry_time: float = 300.0,
        timeout: float = 30.0,
        max_url_length: int = 7000,
        cache_timeout: float = 10.0,
    ) -> None:
        kind, secret = credentials.resolve_credential(access_token, api_key)
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
            lists_root=wire.LISTS_ROOT,
            account_path=wire.ACCOUNT_DETAILS_PATH,
            credential_origin=credentials.credential_origin(access_token, api_key),
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
