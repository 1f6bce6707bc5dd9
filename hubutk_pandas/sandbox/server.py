"""``SandboxPortal``: the sandbox served over HTTP on 127.0.0.1 from a background thread."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from hubutk_pandas.sandbox.accounts import DEFAULT_SCOPES, Account, AccountState, Registry
from hubutk_pandas.sandbox.app import SandboxApp
from hubutk_pandas.sandbox.data import V1_MEMBERSHIPS
from hubutk_pandas.sandbox.faults import FAULT_KINDS, FaultPlan
from hubutk_pandas.sandbox.stats import SandboxStats

__all__ = ["SandboxPortal"]

logger = logging.getLogger(__name__)
_UNSET: Any = object()
HOST = "127.0.0.1"
_SECRET_PARAMS = re.compile(r"(?i)\b(hapikey|access_token|api_key|apikey)=[^&\s#'\"]*")
_FAULT_TARGETS = ("contacts", "lists")


def redact_query(text: str) -> str:
    """``text`` with the values of credential query parameters replaced.

    Examples
    --------
    >>> redact_query('"GET /x?utk=a&hapikey=0f3c-9a HTTP/1.1" 200 -')
    '"GET /x?utk=a&hapikey=REDACTED HTTP/1.1" 200 -'
    """
    return _SECRET_PARAMS.sub(lambda m: f"{m.group(1)}=REDACTED", text)


class _QuietHandler(WSGIRequestHandler):
    """Logs requests to the package logger at DEBUG instead of werkzeug's stderr lines.

    Request lines carry the query string, so ``hapikey=`` values are redacted; headers
    (``Authorization``) are never logged.
    """

    def log(self, type: str, message: str, *args: Any) -> None:
        try:
            text = message % args if args else message
        except (TypeError, ValueError):
            text = " ".join([message, *map(str, args)])
        logger.debug("sandbox %s: %s", type, redact_query(text))


class SandboxPortal:
    """A local HubSpot-compatible server (Contacts v1, Lists API) with synthetic data.

    By default it answers as HubSpot does since 2026-04-30: v1 contact reads carry no
    list memberships, which come from the Lists API (``crm.lists.read``) instead.
    ``v1_memberships="legacy"`` serves them in v1 reads too, as before (the same lists).

    Parameters
    ----------
    contacts
        Size of the portal (contacts, visitors, merged and deleted records together).
    seed
        Seed of the data: two portals with the same seed answer identically.
    rate_limit
        ``(max_requests, interval_ms)`` of the rolling window, per account.
    daily_limit
        Daily cap per account, or ``None``.
    latency
        Seconds added to each request: a number or a ``(min, max)`` range.
    fault_rate
        Probability that a contact request gets a random fault.
    faults
        Kinds random faults are drawn from: ``"502"``, ``"503"``, ``"drop"``,
        ``"truncate"``, ``"badjson"`` (default: all).
    max_url_length
        Longer URLs (path + query) get a 414.
    v1_memberships
        What a v1 read asked for list memberships (``showListMemberships=true``, or a
        profile read) holds: ``"absent"`` (the default: no ``list-memberships`` key),
        ``"empty"`` (an empty array) - HubSpot does not say which of the two it sends
        since 2026-04-30 - or ``"legacy"`` (the memberships, as before that date, for
        old recordings and tests). The Lists API serves the same memberships in every
        mode.
    port
        TCP port on 127.0.0.1; ``0`` (the default) picks a free one.

    Examples
    --------
    >>> import requests
    >>> with SandboxPortal(contacts=100, seed=1) as portal:
    ...     utk = portal.sample_utks(1)[0]
    ...     resp = requests.get(f"{portal.base_url}/contacts/v1/contact/byUtk/batch/",
    ...                         params={"utk": utk},
    ...                         headers={"Authorization": f"Bearer {portal.access_token}"})
    ...     list(resp.json()) == [utk]
    True
    """

    def __init__(
        self,
        contacts: int = 1000,
        seed: int = 0,
        rate_limit: tuple[int, int] = (100, 10_000),
        daily_limit: int | None = None,
        latency: float | tuple[float, float] = 0.0,
        fault_rate: float = 0.0,
        faults: Iterable[str] | None = None,
        max_url_length: int = 8192,
        *,
        v1_memberships: str = "absent",
        port: int = 0,
    ) -> None:
        if v1_memberships not in V1_MEMBERSHIPS:
            raise ValueError(
                f"v1_memberships must be one of {', '.join(V1_MEMBERSHIPS)}; got {v1_memberships!r}"
            )
        self._rate_limit, self._daily_limit = rate_limit, daily_limit
        self._registry = Registry()
        self._main: AccountState = self._registry.add(
            seed=seed, contacts=contacts, rate_limit=rate_limit, daily_limit=daily_limit
        )
        self._faults = FaultPlan(seed=seed, rate=fault_rate, kinds=faults, latency=latency)
        self._list_faults = FaultPlan(seed=seed, rate=0.0)  # injected only
        self.stats = SandboxStats()
        """Thread-safe request counters (``requests``, ``by_status``, ``by_path``, ...)."""
        self._app = SandboxApp(
            self._registry,
            self._faults,
            self.stats,
            max_url_length,
            list_faults=self._list_faults,
            v1_memberships=v1_memberships,
        )
        self._port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.start()

    # ----- lifecycle ------------------------------------------------------------------------
    def start(self) -> SandboxPortal:
        """Start serving (done by the constructor; a no-op while running)."""
        with self._lock:
            if self._server is not None:
                return self
            server = make_server(
                HOST, self._port, self._app, threaded=True, request_handler=_QuietHandler
            )
            self._port = server.server_port  # keep the port across stop()/start()
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"hubutk-sandbox-{self._port}",
                daemon=True,
            )
            thread.start()
            self._server, self._thread = server, thread
            logger.info("sandbox portal %s serving on %s", self.portal_id, self.base_url)
            return self

    def stop(self) -> None:
        """Stop serving and free the port (idempotent)."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server, self._thread = None, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    close = stop

    def __enter__(self) -> SandboxPortal:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self._server is not None else "stopped"
        return (
            f"SandboxPortal(portal_id={self.portal_id}, contacts={self._main.data.size}, "
            f"seed={self._main.data.seed}, {state} on {self.base_url})"
        )

    # ----- credentials and accounts ---------------------------------------------------------
    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{HOST}:{self._port}"

    @property
    def port(self) -> int:
        """The TCP port."""
        return self._port

    @property
    def account(self) -> Account:
        """The main account's credentials."""
        return self._main.account

    @property
    def access_token(self) -> str:
        """A valid Bearer token of the main account."""
        return self._main.account.access_token

    @property
    def api_key(self) -> str:
        """A valid legacy ``hapikey`` of the main account."""
        return self._main.account.api_key

    @property
    def portal_id(self) -> int:
        """The main account's portal id."""
        return self._main.account.portal_id

    def add_account(
        self, seed: int = 1, contacts: int = 1000, *, scopes: Iterable[str] = DEFAULT_SCOPES
    ) -> Account:
        """Serve another portal (other data and portal id) behind new credentials.

        Each account has its own limits (with the portal's current settings). Its access
        token is granted ``scopes`` (default: ``crm.objects.contacts.read`` and
        ``crm.lists.read``): ``scopes=["crm.objects.contacts.read"]`` is a contacts-only
        credential, which the Lists API answers 403 ``MISSING_SCOPES``; with ``scopes=()``
        every endpoint does (its legacy API key keeps portal-wide access).
        """
        return self._registry.add(
            seed=seed,
            contacts=contacts,
            rate_limit=self._rate_limit,
            daily_limit=self._daily_limit,
            scopes=scopes,
        ).account

    def set_scopes(self, token: str, scopes: Iterable[str]) -> None:
        """Grant an access token exactly ``scopes`` from now on (``()`` → 403 everywhere).

        The contact and property endpoints need ``crm.objects.contacts.read``, the Lists
        API ``crm.lists.read``.

        Examples
        --------
        >>> import requests
        >>> with SandboxPortal(contacts=10) as p:
        ...     p.set_scopes(p.access_token, ())
        ...     resp = requests.get(f"{p.base_url}/properties/v1/contacts/properties",
        ...                         headers={"Authorization": f"Bearer {p.access_token}"})
        >>> resp.status_code, resp.json()["category"]
        (403, 'MISSING_SCOPES')
        """
        self._registry.set_scopes(token, scopes)

    def revoke(self, credential: str) -> None:
        """Make a token or api key answer 401 from now on."""
        self._registry.revoke(credential)

    # ----- behaviour ------------------------------------------------------------------------
    def configure(
        self,
        *,
        latency: float | tuple[float, float] | None = _UNSET,
        fault_rate: float | None = _UNSET,
        faults: Iterable[str] | None = _UNSET,
        rate_limit: tuple[int, int] = _UNSET,
        daily_limit: int | None = _UNSET,
        max_url_length: int = _UNSET,
        v1_memberships: str = _UNSET,
    ) -> None:
        """Change behaviour at run time; arguments left out are unchanged.

        ``faults=None`` restores all kinds; ``daily_limit=None`` removes the cap;
        ``v1_memberships`` is ``"absent"``, ``"empty"`` or ``"legacy"`` (see the class).
        """
        if v1_memberships is not _UNSET:
            self._app.v1_memberships = v1_memberships  # checked there, before any change
        if latency is not _UNSET:
            self._faults.configure(latency=latency or 0.0)
        if fault_rate is not _UNSET:
            self._faults.configure(rate=fault_rate or 0.0)
        if faults is not _UNSET:
            self._faults.configure(kinds=FAULT_KINDS if faults is None else faults)
        if rate_limit is not _UNSET or daily_limit is not _UNSET:
            new_rate = self._rate_limit if rate_limit is _UNSET else tuple(rate_limit)
            new_daily = self._daily_limit if daily_limit is _UNSET else daily_limit
            for state in self._registry.states:  # the first one validates before any change
                state.limiter.configure(new_rate[0], new_rate[1], new_daily)
            self._rate_limit, self._daily_limit = (new_rate[0], new_rate[1]), new_daily
        if max_url_length is not _UNSET:
            self._app.max_url_length = max_url_length

    def inject(self, kind: str, count: int | None = 1, *, on: str = "contacts") -> None:
        """Make the next ``count`` contact requests (or Lists API requests) fail with ``kind``.

        Kinds: ``"502"``, ``"503"``, ``"drop"``, ``"truncate"``, ``"badjson"``,
        ``"429"`` (ten-secondly), ``"429-daily"``, ``"400"`` (``VALIDATION_ERROR``) and
        ``"badshape"`` (a 200 of valid JSON, a list where an object is due).
        ``count=None``: every such request from now on, until :meth:`clear_faults`
        (``inject("400", count=None)`` is a portal that refuses everything).
        ``on="lists"`` aims at the Lists API endpoints instead of the contact ones; the
        two queues are apart, so a client's contact requests do not use up the faults
        meant for its Lists requests.
        """
        if on not in _FAULT_TARGETS:
            raise ValueError(f"on must be one of {', '.join(_FAULT_TARGETS)}; got {on!r}")
        (self._list_faults if on == "lists" else self._faults).inject(kind, count)

    def clear_faults(self) -> None:
        """Drop injected faults not yet fired, and ones injected with ``count=None``."""
        self._faults.clear()
        self._list_faults.clear()

    def poison(self, *utks: str) -> None:
        """Make every contact request holding one of ``utks`` answer 400 (until :meth:`cure`).

        A test hook for batch bisection: HubSpot itself ignores utks it does not know.
        The 400 names the poisoned utks (``VALIDATION_ERROR``).
        """
        self._faults.poison(utks)

    def cure(self) -> None:
        """Forget every poisoned utk."""
        self._faults.cure()

    def hide(self, *utks: str) -> None:
        """Answer ``utks`` as HubSpot answers a visitor it does not know yet: not found.

        Until :meth:`reveal`: then they are the contacts they always were, as anonymous
        visitors become contacts over time (a test hook for looking missing utks up again).
        """
        self._app.hide(utks)

    def reveal(self, *utks: str) -> None:
        """Make hidden ``utks`` (default: all of them) known again."""
        self._app.reveal(utks or None)

    def reset_stats(self) -> None:
        """Zero :attr:`stats`."""
        self.stats.reset()

    def wait_idle(self, *, settle: float = 0.25, timeout: float = 30.0) -> None:
        """Wait until no request has been in flight for ``settle`` seconds.

        After a client is killed, the requests it had sent are still answered (and
        counted) by the portal; call this before :meth:`reset_stats` so that they are
        not counted as the next client's. Raises :class:`TimeoutError` after ``timeout``.

        Examples
        --------
        >>> with SandboxPortal(contacts=5) as portal:
        ...     portal.wait_idle(settle=0.01)
        ...     portal.stats.in_flight
        0
        """
        deadline = time.monotonic() + timeout
        quiet_since: float | None = None  # when none was first seen in flight, this quiet spell
        while True:
            now = time.monotonic()
            if self.stats.in_flight:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = now
            elif now - quiet_since >= settle:  # decided on a look, never on a slept interval
                return
            if now > deadline:
                raise TimeoutError(f"the sandbox was still answering requests after {timeout} s")
            time.sleep(0.01)

    def reset_limits(self) -> None:
        """Forget every account's counted requests (window and daily)."""
        for state in self._registry.states:
            state.limiter.reset()

    # ----- data -----------------------------------------------------------------------------
    def sample_utks(self, n: int, kind: str = "contact") -> list[str]:
        """``n`` deterministic utks of ``kind``: contact, visitor, merged, deleted or any."""
        return self._main.data.sample_utks(n, kind)

    def unknown_utks(self, n: int) -> list[str]:
        """``n`` realistic 32-hex utks that match nothing."""
        return self._main.data.unknown_utks(n)

    def prebuild(self, utks: Iterable[str]) -> int:
        """Build the main portal's people behind ``utks`` ahead of the requests.

        For benchmarks, so that the sandbox's own CPU does not set the pace on a small
        machine; see :meth:`SyntheticPortal.prebuild
        <hubutk_pandas.sandbox.data.SyntheticPortal.prebuild>`. Returns the number kept.
        """
        return self._main.data.prebuild(utks)

    def record(
        self,
        utk_or_vid: str | int,
        *,
        property_mode: str = "value_only",
        form_submission_mode: str = "newest",
        show_list_memberships: bool = False,
        include_deletes: bool = False,
        properties: list[str] | None = None,
        v1_memberships: str | None = None,
    ) -> dict[str, Any] | None:
        """The record the batch endpoints return for a utk or vid (``None`` if none).

        ``v1_memberships`` (default: the portal's) as in the constructor.
        """
        data = self._main.data
        index = (
            data.index_of_vid(utk_or_vid)
            if isinstance(utk_or_vid, int)
            else data.resolve(utk_or_vid)
        )
        if index is None or (data.kind(index) == "deleted" and not include_deletes):
            return None
        return data.record(
            data.canonical(index),
            property_mode=property_mode,
            form_submission_mode=form_submission_mode,
            show_list_memberships=show_list_memberships,
            properties=properties,
            v1_memberships=v1_memberships or self._app.v1_memberships,
        )

    def list_memberships(self, utk_or_vid: str | int) -> list[dict[str, Any]] | None:
        """The ``recordListMemberships`` the Lists API serves for a contact (``None``: not found).

        A utk stands for the contact its batch read returns (merges resolved); a vid is
        taken as it is, as the Lists API takes a ``recordId``.

        Examples
        --------
        >>> with SandboxPortal(contacts=200, seed=3) as portal:
        ...     utk = next(u for u in portal.sample_utks(50) if portal.list_memberships(u))
        ...     entry = portal.list_memberships(utk)[0]
        >>> sorted(entry)
        ['firstAddedTimestamp', 'isPublicList', 'lastAddedTimestamp', 'listId', 'listVersion']
        """
        data = self._main.data
        if isinstance(utk_or_vid, int):
            index = data.index_of_vid(utk_or_vid)
        else:
            resolved = data.resolve(utk_or_vid)
            index = None if resolved is None else data.canonical(resolved)
        return None if index is None else data.list_memberships(index)

    def list_definitions(self) -> list[dict[str, Any]]:
        """Every list of the main portal, as ``GET /crm/v3/lists/`` serves them.

        Each has its ``listId``, ``name``, ``processingType`` and (estimated) ``size``;
        ``legacy_list_ids()`` gives the v1 ids they map from.
        """
        return self._main.data.catalogue.definitions(None)

    def legacy_list_ids(self) -> dict[str, str]:
        """``{legacy (v1 static) list id: Lists API listId}``, as ``idmapping`` maps them."""
        catalogue = self._main.data.catalogue
        return {str(info.legacy_id): info.list_id for info in catalogue.lists}
