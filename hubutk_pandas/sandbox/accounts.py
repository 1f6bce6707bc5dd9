"""Accounts (portals) served by one sandbox server, their credentials and scopes.

Credentials are random per server instance (``secrets``); the *data* of an account
depends only on its seed and portal id, so runs are reproducible.

Scopes (documented choice): an access token stands for a Service Key or a private app,
which holds the scopes it was granted (default :data:`DEFAULT_SCOPES`: contacts and lists
read); a request whose token lacks the scope an endpoint needs (:data:`CONTACTS_READ` for
the contact and property endpoints, :data:`LISTS_READ` for the Lists API) gets HubSpot's
403 ``MISSING_SCOPES``. A legacy API key always has every scope, as HubSpot's portal-wide
keys had.

Examples
--------
>>> registry = Registry()
>>> state = registry.add(seed=0, contacts=10, rate_limit=(100, 10_000), daily_limit=None,
...                      scopes=())
>>> registry.missing_scopes(state.account.access_token, [CONTACTS_READ])
['crm.objects.contacts.read']
>>> registry.missing_scopes(state.account.api_key, [CONTACTS_READ])
[]
>>> registry.set_scopes(state.account.access_token, [CONTACTS_READ])
>>> registry.missing_scopes(state.account.access_token, [LISTS_READ])
['crm.lists.read']
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from hubutk_pandas.sandbox.data import SyntheticPortal
from hubutk_pandas.sandbox.limits import RateLimiter

__all__ = [
    "CONTACTS_READ",
    "DEFAULT_SCOPES",
    "LISTS_READ",
    "Account",
    "AccountState",
    "Registry",
]

CONTACTS_READ = "crm.objects.contacts.read"
"""The scope the contact endpoints (and, in the sandbox, property definitions) need."""

LISTS_READ = "crm.lists.read"
"""The scope the Lists API reads (memberships, list definitions, id mapping) need."""

DEFAULT_SCOPES: tuple[str, ...] = (CONTACTS_READ, LISTS_READ)
"""What a sandbox token is granted unless told otherwise."""


@dataclass(frozen=True)
class Account:
    """Credentials of one sandbox portal. The repr hides the secrets.

    Examples
    --------
    >>> Account(access_token="pat-na1-x", api_key="k", portal_id=1)
    Account(portal_id=1)
    """

    access_token: str = field(repr=False)
    api_key: str = field(repr=False)
    portal_id: int


@dataclass
class AccountState:
    """An account with its data and limiter."""

    account: Account
    data: SyntheticPortal
    limiter: RateLimiter


def portal_id_for(seed: int, taken: set[int]) -> int:
    """A deterministic portal id for ``seed`` that is not in ``taken``."""
    digest = hashlib.blake2b(f"portal:{seed}".encode(), digest_size=4).digest()
    pid = 20_000_000 + int.from_bytes(digest, "big") % 9_000_000
    while pid in taken:
        pid += 1
    return pid


class Registry:
    """Thread-safe map of credentials to accounts, with revocation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_token: dict[str, AccountState] = {}
        self._by_key: dict[str, AccountState] = {}
        self._revoked: set[str] = set()
        self._scopes: dict[str, frozenset[str]] = {}  # per access token
        self.states: list[AccountState] = []

    def add(
        self,
        *,
        seed: int,
        contacts: int,
        rate_limit: tuple[int, int],
        daily_limit: int | None,
        scopes: Iterable[str] = DEFAULT_SCOPES,
    ) -> AccountState:
        """Create an account with fresh credentials, its own data and limiter, and scopes."""
        granted = _scope_set(scopes)
        with self._lock:
            pid = portal_id_for(seed, {s.account.portal_id for s in self.states})
            account = Account(
                access_token=f"pat-na1-{uuid.UUID(bytes=secrets.token_bytes(16), version=4)}",
                api_key=str(uuid.UUID(bytes=secrets.token_bytes(16), version=4)),
                portal_id=pid,
            )
            state = AccountState(
                account,
                SyntheticPortal(seed=seed, contacts=contacts, portal_id=pid),
                RateLimiter(rate_limit[0], rate_limit[1], daily_limit),
            )
            self.states.append(state)
            self._by_token[account.access_token] = state
            self._scopes[account.access_token] = granted
            self._by_key[account.api_key] = state
            return state

    def revoke(self, credential: str) -> None:
        """Make a token or api key answer 401 from now on."""
        with self._lock:
            if credential not in self._by_token and credential not in self._by_key:
                raise KeyError("not a credential of this sandbox")
            self._revoked.add(credential)

    def set_scopes(self, token: str, scopes: Iterable[str]) -> None:
        """Grant ``token`` exactly ``scopes`` from now on."""
        granted = _scope_set(scopes)
        with self._lock:
            if token not in self._by_token:
                raise KeyError("not an access token of this sandbox")
            self._scopes[token] = granted

    def missing_scopes(self, credential: str, required: Iterable[str]) -> list[str]:
        """The ``required`` scopes ``credential`` lacks (none for an API key)."""
        with self._lock:
            granted = self._scopes.get(credential)
        if granted is None:  # an API key (or unknown): portal-wide access
            return []
        return [scope for scope in required if scope not in granted]

    def by_token(self, token: str) -> AccountState | None:
        """The account of a Bearer token, or ``None`` if unknown or revoked."""
        with self._lock:
            return None if token in self._revoked else self._by_token.get(token)

    def by_key(self, key: str) -> AccountState | None:
        """The account of a hapikey, or ``None`` if unknown or revoked."""
        with self._lock:
            return None if key in self._revoked else self._by_key.get(key)


def _scope_set(scopes: Iterable[str]) -> frozenset[str]:
    if isinstance(scopes, str):
        raise TypeError("scopes must be a collection of scope names, not one string")
    granted = frozenset(scopes)
    if not all(isinstance(x, str) and x for x in granted):
        raise ValueError(f"scopes must be non-empty names; got {sorted(granted, key=str)!r}")
    return granted
