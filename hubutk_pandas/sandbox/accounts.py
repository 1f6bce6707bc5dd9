"""Accounts (portals) served by one sandbox server, and their credentials.

Credentials are random per server instance (``secrets``); the *data* of an account
depends only on its seed and portal id, so runs are reproducible.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import uuid
from dataclasses import dataclass, field

from hubutk_pandas.sandbox.data import SyntheticPortal
from hubutk_pandas.sandbox.limits import RateLimiter

__all__ = ["Account", "AccountState", "Registry"]


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
        self.states: list[AccountState] = []

    def add(
        self, *, seed: int, contacts: int, rate_limit: tuple[int, int], daily_limit: int | None
    ) -> AccountState:
        """Create an account with fresh credentials and its own data and limiter."""
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
            self._by_key[account.api_key] = state
            return state

    def revoke(self, credential: str) -> None:
        """Make a token or api key answer 401 from now on."""
        with self._lock:
            if credential not in self._by_token and credential not in self._by_key:
                raise KeyError("not a credential of this sandbox")
            self._revoked.add(credential)

    def by_token(self, token: str) -> AccountState | None:
        """The account of a Bearer token, or ``None`` if unknown or revoked."""
        with self._lock:
            return None if token in self._revoked else self._by_token.get(token)

    def by_key(self, key: str) -> AccountState | None:
        """The account of a hapikey, or ``None`` if unknown or revoked."""
        with self._lock:
            return None if key in self._revoked else self._by_key.get(key)
