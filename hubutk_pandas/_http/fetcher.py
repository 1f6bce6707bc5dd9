"""``HttpFetcher``: the client's HTTP side, which the lookup pipeline fetches through.

One object holds what a request needs - the credential, the cached session (and, made on
first use, one without cache for datasets), the pacer shared by every thread, the retry
policy, the per-utk record store - and implements :class:`hubutk_pandas.lookup.Fetcher`
(structurally: nothing here imports the pipeline). The client builds it from its checked
settings and hands it to the pipeline as ``client.fetcher``. It builds no user-facing
object: it returns HubSpot's JSON and raises :mod:`~hubutk_pandas.errors`.

Examples
--------
>>> from hubutk_pandas.sandbox import SandboxPortal
>>> from hubutk_pandas.settings import ClientSettings
>>> with SandboxPortal(contacts=5) as p:
...     s = ClientSettings(base_url=p.base_url, credential_kind="access_token", cache_dir=None)
...     http = HttpFetcher(s, p.access_token, paths={"byUtk": "/contacts/v1/contact/byUtk/batch/"},
...                        definitions_path="/properties/v1/contacts/properties", user_agent="doc")
...     answer = http.get_batch("byUtk", [("utk", p.sample_utks(1)[0])], refresh=False, cache=True)
...     http.close()
>>> len(answer), p.access_token in repr(http)
(1, False)
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import requests

from hubutk_pandas import _json, wire
from hubutk_pandas._http import session, shapes
from hubutk_pandas._http.pacing import make_limiter, rate_limit_headers
from hubutk_pandas._http.store import RecordStore, namespace_for
from hubutk_pandas._http.transport import RetryPolicy, ShapeCheck, get_json
from hubutk_pandas.credentials import refused_credential_message
from hubutk_pandas.errors import AuthenticationError, HubSpotError, MissingScopesError
from hubutk_pandas.settings import MOST_DEFAULT_WORKERS, ClientSettings, default_workers

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hubutk_pandas.options import Endpoint, LookupOptions

__all__ = ["CONTACT_TYPE", "MAX_LIST_IDS", "MEMBERSHIPS_BATCH", "PROBE_UTK", "HttpFetcher"]

CONTACT_TYPE = "0-1"
"""The Lists API's ``objectTypeId`` of contacts."""
MEMBERSHIPS_BATCH = "/records/memberships/batch/read"
"""The memberships batch read, under the Lists API root."""
MAX_LIST_IDS = 100
"""List ids per ``GET <lists root>?listIds=...`` (a URL of about 2 kB)."""
PROBE_UTK = "0" * 32
"""A utk no visitor has (HubSpot's are 32 hex digits): the contacts probe matches nothing."""


class HttpFetcher:
    """The credential, sessions, pacer, retries and record store of one client.

    Parameters
    ----------
    settings
        The client's checked settings.
    secret
        The credential (a token, or a legacy ``hapikey``, as ``settings.credential_kind``).
    paths
        Endpoint name -> URL path of its batch requests.
    definitions_path
        The URL path of the property definitions.
    user_agent
        Sent on every request.
    rate_window
        ``(kind, where)`` of the pacer's window
        (:func:`hubutk_pandas.rate_window.parse_rate_window`); ``("client", None)``: in memory.
    """

    def __init__(
        self,
        settings: ClientSettings,
        secret: str,
        *,
        paths: Mapping[str, str],
        definitions_path: str,
        user_agent: str,
        rate_window: tuple[str, str | None] = ("client", None),
        lists_root: str | None = None,
        account_path: str | None = None,
        credential_origin: str = "the credential",
    ) -> None:
        self.settings = s = settings
        self.__secret = secret
        self._paths = dict(paths)
        self._definitions_path = definitions_path
        self._lists_root = lists_root
        self._account_path = account_path
        self._origin = credential_origin  # where the credential came from (for messages)
        self._portal: tuple[int | None] | None = None  # asked once: (portal id or None,)
        self._lists: dict[str, dict[str, Any] | None] = {}  # listId -> definition, per client
        self._lists_lock = threading.Lock()
        self._lists_checked = False
        self._user_agent = user_agent
        self.fingerprint = session.credential_fingerprint(
            s.credential_kind, secret, session.load_salt(s.cache_dir)
        )
        # sized for the most workers a lookup may start (they follow the window's rate)
        self._session = self._make_session(s.cache_dir, self._most_workers())
        try:
            self._store = (
                None
                if s.cache_dir is None
                else RecordStore(
                    s.cache_dir, expire_after=s.expire_after, busy_timeout=s.cache_timeout
                )
            )
        except BaseException:  # an unwritable or locked store: do not leak the open session
            self._session.close()
            raise
        kind, where = rate_window
        try:
            self._limiter = make_limiter(
                s.rate_limit,
                kind=kind,
                where=where,
                fingerprint=lambda salt: session.credential_fingerprint(
                    s.credential_kind, secret, salt
                ),
                lease=max(2 * s.timeout, s.rate_limit[1]),
            )
        except BaseException:  # an unusable window: do not leak the session and the store
            self._session.close()
            if self._store is not None:
                self._store.close()
            raise
        self._cache_only = threading.local()  # cache_only(): answers from the cache only
        self._retry = RetryPolicy(
            s.max_retries, s.backoff_factor, s.backoff_max, s.max_retry_time, s.timeout
        )
        self._plain_session: requests.Session | None = None  # no HTTP cache: datasets
        self._plain_lock = threading.Lock()
        self._definitions: list[dict[str, Any]] | None = None
        self._definitions_lock = threading.Lock()
        self.closed = False

    def __repr__(self) -> str:
        s = self.settings
        return f"HttpFetcher(base_url={s.base_url!r}, fingerprint={self.fingerprint[:8]!r})"

    def close(self) -> None:
        """Close the sessions, the record store and the rate window's connection."""
        self.closed = True
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

    def window_usage(self) -> dict[str, Any]:
        """The pacer's window: this client's slots, others', in flight (no request)."""
        usage: dict[str, Any] = self._limiter.usage()
        return usage

    @contextlib.contextmanager
    def cache_only(self) -> Iterator[None]:
        """In this thread, GETs answer from the HTTP cache only (a miss raises ``NotCached``)."""
        self._cache_only.on = True
        try:
            yield
        finally:
            self._cache_only.on = False

    def trim_cache(self, max_bytes: int | None) -> int:
        """Drop expired answers from the HTTP cache and, past ``max_bytes``, the oldest."""
        return session.trim_cache(self._session, max_bytes)

    # -- requests ---------------------------------------------------------------------------

    def _make_session(self, cache_dir: Any, pool_size: int) -> requests.Session:
        return session.make_session(
            cache_dir=cache_dir,
            namespace=self.fingerprint,
            expire_after=self.settings.expire_after,
            user_agent=self._user_agent,
            pool_size=pool_size,
            busy_timeout=self.settings.cache_timeout,
        )

    def _plain(self) -> requests.Session:
        """The session without HTTP cache, made on first use."""
        with self._plain_lock:  # a dataset fetches two chunks at once: twice the connections
            if self._plain_session is None:
                self._plain_session = self._make_session(None, 2 * self._most_workers())
            return self._plain_session

    def _credential(self, params: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
        if self.settings.credential_kind == "api_key":
            return [*params, (wire.API_KEY, self.__secret)]
        return list(params)

    def _get(
        self, path: str, params: Sequence[tuple[str, str]], *, refresh: bool, check: ShapeCheck,
        cache: bool = True, explain_refusal: bool = True, **send: Any,
    ) -> Any:  # fmt: skip
        """One request (GET unless ``send`` says otherwise: see ``get_json``), paced, retried.

        A refused credential (401, or a 403 other than a missing scope) is raised with which
        credential was sent and what to run next, unless ``explain_refusal`` is false (the
        doctor's probes, which say it themselves).
        """
        try:
            return self._send(path, params, refresh=refresh, check=check, cache=cache, **send)
        except AuthenticationError as exc:
            if not explain_refusal or isinstance(exc, MissingScopesError):
                raise
            raise AuthenticationError(
                refused_credential_message(
                    self.settings.credential_kind, self._origin, exc.message
                ),
                status=exc.status,
                category=exc.category,
                correlation_id=exc.correlation_id,
            ) from None

    def _send(
        self, path: str, params: Sequence[tuple[str, str]], *, refresh: bool, check: ShapeCheck,
        cache: bool = True, **send: Any,
    ) -> Any:  # fmt: skip
        headers = {"Accept": "application/json"}
        if self.settings.credential_kind == "access_token":
            headers["Authorization"] = f"Bearer {self.__secret}"
        return get_json(
            self._session if cache else self._plain_session or self._plain(),
            self.settings.base_url + path,
            self._credential(params),
            headers=headers,
            limiter=self._limiter,
            policy=self._retry,
            secrets_=[self.__secret],
            refresh=refresh,
            check=check,
            cached_only=getattr(self._cache_only, "on", False),
            **send,
        )

    # -- the Fetcher protocol ---------------------------------------------------------------

    @property
    def source(self) -> str:
        """The base URL."""
        return self.settings.base_url

    @property
    def max_workers(self) -> int:
        """Batches sent at once: the setting, else as many as the window's rate calls for.

        :func:`~hubutk_pandas.settings.default_workers` of the window's current rate, which
        the portal's headers may have changed since the client was made: each lookup reads
        it when it starts.
        """
        if self.settings.max_workers is not None:
            return self.settings.max_workers
        return default_workers(self._limiter.rate[0])

    def _most_workers(self) -> int:
        """The most threads :attr:`max_workers` can name (a connection pool's size)."""
        return self.settings.max_workers or MOST_DEFAULT_WORKERS

    @property
    def max_url_length(self) -> int:
        """The longest URL to send."""
        return self.settings.max_url_length

    def fixed_url_length(self, endpoint: Endpoint, query: Sequence[tuple[str, str]]) -> int:
        """The length of the URL requests sends for ``query``, credential included, no utk."""
        prepared = requests.PreparedRequest()
        url = self.settings.base_url + self._paths[endpoint]
        prepared.prepare_url(url, self._credential(query))
        return len(prepared.url or "")

    def get_batch(
        self, endpoint: Endpoint, params: Sequence[tuple[str, str]], *, refresh: bool,
        cache: bool, typed: bool = False,
    ) -> dict[str, Any]:  # fmt: skip
        """One batch request, paced and retried (``cache=False``: no HTTP cache).

        With a record store, the answer keeps the body it was decoded from (a
        :class:`~hubutk_pandas._json.SentObject`): the store keeps each record as sent, not
        encoded again. Without one (``cache=False`` on the client) there is nothing to cut
        the records' texts for, and the answer is a plain dict.
        ``typed=True``: properties decoded as :mod:`~hubutk_pandas._typed` entries.
        """
        decode: Callable[[bytes], Any] = _json.loads
        if typed:
            from hubutk_pandas._typed import decode_batch as decode
        answer: dict[str, Any] = self._get(
            self._paths[endpoint], params, refresh=refresh, check=shapes.batch_shape,
            cache=cache, keep_text=self._store is not None, decode=decode,
        )  # fmt: skip
        return answer

    def _namespace(self, options: LookupOptions) -> str:
        return namespace_for(
            self.fingerprint, self.settings.base_url, options.endpoint, options.fingerprint()
        )

    def recall(
        self, options: LookupOptions, utks: Sequence[str], *, typed: bool = False
    ) -> Mapping[str, dict[str, Any] | None]:
        """Stored answers of the record store (none without a cache); ``typed`` as in get_batch."""
        if self._store is None:
            return {}
        return self._store.get(self._namespace(options), utks, typed=typed)

    def stored(self, options: LookupOptions, utks: Sequence[str]) -> set[str]:
        """Which of ``utks`` the record store holds an answer for (a guess; none without)."""
        return set() if self._store is None else self._store.held(self._namespace(options), utks)

    def remember(self, options: LookupOptions, found: Mapping[str, Any]) -> None:
        """Store answers in the record store (nothing without a cache)."""
        if self._store is not None:
            self._store.put(self._namespace(options), found)

    def credential_fingerprint(self, salt: bytes) -> str:
        """This credential's salted fingerprint under ``salt`` (a dataset's own salt)."""
        return session.credential_fingerprint(self.settings.credential_kind, self.__secret, salt)

    def portal_id(self) -> int | None:
        """The portal of this credential, from the account's details; asked once.

        ``None`` when the API cannot say: the credential lacks the scope the details need
        (a 403), or the API has no such path (a 404: a proxy, an old recording). A refused
        credential (401) and other failures are raised, as for any request.
        """
        if self._portal is None:
            if self._account_path is None:
                return None
            try:
                answer = self._get(
                    self._account_path, [], refresh=False, check=shapes.account_shape, cache=False
                )
                self._portal = (int(answer["portalId"]),)
            except HubSpotError as exc:
                if exc.status not in (403, 404):
                    raise
                self._portal = (None,)
        return self._portal[0]

    def property_definitions(self, refresh: bool = False) -> list[dict[str, Any]]:
        """The portal's property definitions: fetched once, then kept."""
        with self._definitions_lock:
            if self._definitions is None or refresh:
                self._definitions = self._get(
                    self._definitions_path, [], refresh=refresh, check=shapes.definitions_shape
                )
            return self._definitions

    # -- the Lists API (list memberships since 2026-04-30) ----------------------------------

    def _lists_path(self, tail: str = "") -> str:
        if self._lists_root is None:
            raise HubSpotError("this client has no Lists API path (lists_root)")
        return self._lists_root + tail

    def list_memberships(
        self, record_ids: Sequence[str], *, refresh: bool, cache: bool
    ) -> dict[str, Any]:
        """One memberships batch read (at most 100 contact ids): HubSpot's answer as sent.

        ``POST <lists root>/records/memberships/batch/read``; a 207 (some records not found)
        is an answer like a 200. Paced by the same limiter as the contact requests (HubSpot's
        burst limit is per app), retried alike; cached (keyed by the body) unless ``cache``
        is false.
        """
        body = {"inputs": [{"objectTypeId": CONTACT_TYPE, "recordId": r} for r in record_ids]}
        answer: dict[str, Any] = self._get(
            self._lists_path(MEMBERSHIPS_BATCH),
            [],
            refresh=refresh,
            check=shapes.memberships_shape,
            cache=cache,
            method="POST",
            body=body,
            ok=(200, 207),
        )
        return answer

    def list_definitions(self, list_ids: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        """``listId`` -> the list's definition (``None``: HubSpot did not return it).

        Each list is asked for once per client (this client's credential, hence portal);
        ``GET <lists root>?listIds=...`` goes through the HTTP cache too, at most
        :data:`MAX_LIST_IDS` ids a request.
        """
        wanted = list(dict.fromkeys(str(i) for i in list_ids))
        with self._lists_lock:  # one asker at a time: a list is never fetched twice at once
            unknown = [i for i in wanted if i not in self._lists]
            for start in range(0, len(unknown), MAX_LIST_IDS):
                part = unknown[start : start + MAX_LIST_IDS]
                answer = self._get(
                    self._lists_path(), [("listIds", i) for i in part], refresh=False,
                    check=shapes.lists_shape,
                )  # fmt: skip
                got = {str(d["listId"]): d for d in answer["lists"]}
                self._lists.update((i, got.get(i)) for i in part)
            return {i: self._lists[i] for i in wanted}

    def probe(self, target: str) -> tuple[dict[str, int], HubSpotError | None]:
        """One cheap, uncached request: the rate-limit headers seen, and the error if any.

        ``target``: ``"contacts"`` (a ``byUtk`` read of a utk no visitor has: the credential
        and the contacts scope) or ``"lists"`` (a memberships batch read of no record: the
        lists scope). Paced like every request; a :class:`HubSpotError` is returned, not
        raised.
        """
        seen: dict[str, int] = {}

        def capture(response: requests.Response) -> None:
            seen.update(rate_limit_headers(response.headers))

        try:
            if target == "contacts":
                self._get(
                    self._paths["byUtk"], [("utk", PROBE_UTK)], refresh=True,
                    check=shapes.batch_shape, cache=False, on_response=capture,
                    explain_refusal=False,
                )  # fmt: skip
            elif target == "lists":
                self._get(
                    self._lists_path(MEMBERSHIPS_BATCH), [], refresh=True,
                    check=shapes.memberships_shape, cache=False, method="POST",
                    body={"inputs": []}, ok=(200, 207), on_response=capture,
                    explain_refusal=False,
                )  # fmt: skip
            else:
                raise ValueError(f"probe target must be 'contacts' or 'lists', not {target!r}")
        except HubSpotError as exc:
            return seen, exc
        return seen, None

    def check_lists_access(self) -> None:
        """Raise :class:`AuthenticationError` (``MissingScopesError``) if the Lists API refuses.

        One request, the first time only: a credential that passed keeps its scope for the
        client's life (if it loses it, the memberships requests fail with the same 403).
        Any other error is left for the memberships requests to meet (a 400 to this
        probe still shows that the scope was granted: HubSpot checks scopes first).
        """
        if self._lists_checked:
            return
        _, error = self.probe("lists")
        if isinstance(error, AuthenticationError):
            raise error
        self._lists_checked = True
