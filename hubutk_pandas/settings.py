"""Validated client configuration and the credential.

Everything a :class:`~hubutk_pandas.client.HubSpotClient` constructor is told is checked
here, before any request: :func:`build_settings` turns constructor arguments into a frozen
:class:`ClientSettings`, and :func:`resolve_credential` finds the token or key (argument,
then environment). Every refusal is an :class:`~hubutk_pandas.errors.InvalidOptionError`
(or :class:`~hubutk_pandas.errors.CredentialsError`) whose text never shows a secret.
The options of one lookup live in :mod:`hubutk_pandas.options`.

Nothing here does I/O beyond reading the environment.

Examples
--------
>>> check_number("timeout", 0, minimum=0.001)
Traceback (most recent call last):
hubutk_pandas.errors.InvalidOptionError: timeout=0 is not valid; use a number >= 0.001
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from hubutk_pandas._warnings import warn as _warn
from hubutk_pandas.errors import CredentialsError, InvalidOptionError

__all__ = [
    "DEFAULT_BASE_URL",
    "ClientSettings",
    "CredentialKind",
    "build_settings",
    "check_number",
    "resolve_cache_dir",
    "resolve_credential",
]

DEFAULT_BASE_URL = "https://api.hubapi.com"
CredentialKind = Literal["access_token", "api_key"]


def check_number(name: str, value: Any, *, minimum: float, integer: bool = False) -> None:
    """Refuse booleans, non-numbers and numbers below ``minimum``.

    Examples
    --------
    >>> check_number("timeout", 0.5, minimum=0.001)
    >>> check_number("max_workers", 1.5, minimum=1, integer=True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    hubutk_pandas.errors.InvalidOptionError: max_workers=1.5 is not valid; use an integer >= 1
    """
    ok = isinstance(value, int) or (not integer and isinstance(value, float))
    if isinstance(value, bool) or not ok or value < minimum:
        kind = "an integer" if integer else "a number"
        raise InvalidOptionError.for_value(name, value, f"use {kind} >= {minimum}")


def check_secret(name: str, value: Any) -> str:
    """The stripped credential, or an error that does not show it.

    Examples
    --------
    >>> check_secret("access_token", "  pat-na1-abc ")
    'pat-na1-abc'
    >>> check_secret("api_key", "a b")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    hubutk_pandas.errors.InvalidOptionError: api_key contains whitespace ... (value not shown)
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidOptionError(f"{name} must be a non-empty string (value not shown)")
    value = value.strip()
    if any(c.isspace() or ord(c) < 0x20 or ord(c) > 0x7E for c in value):
        raise InvalidOptionError(
            f"{name} contains whitespace or non-printable characters (value not shown)"
        )
    return value


def resolve_credential(access_token: str | None, api_key: str | None) -> tuple[CredentialKind, str]:
    """``(kind, secret)`` from the arguments, else ``HUBSPOT_ACCESS_TOKEN`` / ``HUBSPOT_API_KEY``.

    An API key works, with a warning (HubSpot retired them in 2022). Without any
    credential, :class:`CredentialsError` says how to set one or use the sandbox.

    Examples
    --------
    >>> resolve_credential("pat-na1-abc", None)
    ('access_token', 'pat-na1-abc')
    """
    if access_token is not None and api_key is not None:
        raise InvalidOptionError("give access_token or api_key, not both")
    if access_token is None and api_key is None:
        access_token = os.environ.get("HUBSPOT_ACCESS_TOKEN", "").strip() or None
        if access_token is None:
            api_key = os.environ.get("HUBSPOT_API_KEY", "").strip() or None
    if access_token is not None:
        return "access_token", check_secret("access_token", access_token)
    if api_key is not None:
        _warn(
            "HubSpot retired API keys (hapikey) on 2022-11-30; use a private-app access "
            "token (HubSpotClient(access_token=...) or HUBSPOT_ACCESS_TOKEN) instead."
        )
        return "api_key", check_secret("api_key", api_key)
    raise CredentialsError(
        "No HubSpot credential: pass access_token=..., or set the HUBSPOT_ACCESS_TOKEN "
        "environment variable to a private-app token (export HUBSPOT_ACCESS_TOKEN=...). "
        "To try the package without a portal, use hubutk_pandas.connect(), which starts "
        "a local sandbox."
    )


def resolve_cache_dir(
    cache: bool | str | os.PathLike[str], default: Callable[[], Path]
) -> Path | None:
    """The cache folder: ``default()`` for ``True``, ``None`` for ``False``, else the path.

    Examples
    --------
    >>> resolve_cache_dir(False, Path.home) is None, resolve_cache_dir("~/c", Path.home).name
    (True, 'c')
    """
    if cache is True:
        return default()
    if cache is False:
        return None
    if isinstance(cache, (str, os.PathLike)):
        return Path(cache).expanduser()
    raise InvalidOptionError.for_value("cache", cache, "use True, False or a folder path")


@dataclass(frozen=True)
class ClientSettings:
    """Everything a :class:`HubSpotClient` was configured with (never the credential).

    Examples
    --------
    >>> s = ClientSettings(base_url="http://x", credential_kind="access_token", cache_dir=None)
    >>> s.rate_limit
    (100, 10.0)
    """

    base_url: str
    credential_kind: CredentialKind
    cache_dir: Path | None
    expire_after: timedelta | None = timedelta(days=1)
    rate_limit: tuple[int, float] = (100, 10.0)
    max_workers: int = 16
    max_retries: int = 5
    backoff_factor: float = 0.5
    backoff_max: float = 30.0
    max_retry_time: float = 300.0
    timeout: float = 30.0
    max_url_length: int = 7000
    cache_timeout: float = 10.0


def build_settings(
    *,
    credential_kind: CredentialKind,
    base_url: str | None,
    cache_dir: Path | None,
    expire_after: timedelta | float | None,
    rate_limit: tuple[int, float],
    max_workers: int,
    max_retries: int,
    backoff_factor: float,
    backoff_max: float,
    max_retry_time: float,
    timeout: float,
    max_url_length: int,
    cache_timeout: float = 10.0,
) -> ClientSettings:
    """Check the client's constructor arguments and freeze them (see ``HubSpotClient``).

    ``base_url=None`` reads ``HUBSPOT_BASE_URL``, else uses ``https://api.hubapi.com``;
    ``expire_after`` may be seconds.

    Examples
    --------
    >>> s = build_settings(credential_kind="access_token", base_url="http://h/", cache_dir=None,
    ...     expire_after=60, rate_limit=(190, 10), max_workers=4, max_retries=5,
    ...     backoff_factor=0.5, backoff_max=30, max_retry_time=300, timeout=30,
    ...     max_url_length=7000)
    >>> s.base_url, s.expire_after, s.rate_limit
    ('http://h', datetime.timedelta(seconds=60), (190, 10.0))
    """
    url = base_url if base_url is not None else os.environ.get("HUBSPOT_BASE_URL")
    url = (url or DEFAULT_BASE_URL).strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise InvalidOptionError.for_value("base_url", url, "use an http:// or https:// URL")
    if isinstance(expire_after, (int, float)) and not isinstance(expire_after, bool):
        expire_after = timedelta(seconds=expire_after)
    if expire_after is not None and (
        not isinstance(expire_after, timedelta) or expire_after < timedelta(0)
    ):
        raise InvalidOptionError.for_value(
            "expire_after", expire_after, "use a timedelta, seconds >= 0 or None"
        )
    if (
        not isinstance(rate_limit, tuple)
        or len(rate_limit) != 2
        or isinstance(rate_limit[0], bool)
        or not isinstance(rate_limit[0], int)
        or rate_limit[0] < 1
        or not isinstance(rate_limit[1], (int, float))
        or rate_limit[1] <= 0
    ):
        raise InvalidOptionError.for_value(
            "rate_limit", rate_limit, "use (requests, seconds), e.g. (100, 10.0) or (190, 10.0)"
        )
    check_number("max_workers", max_workers, minimum=1, integer=True)
    check_number("max_retries", max_retries, minimum=0, integer=True)
    check_number("backoff_factor", backoff_factor, minimum=0)
    check_number("backoff_max", backoff_max, minimum=0)
    check_number("max_retry_time", max_retry_time, minimum=0)
    check_number("timeout", timeout, minimum=0.001)
    check_number("max_url_length", max_url_length, minimum=1024, integer=True)
    check_number("cache_timeout", cache_timeout, minimum=0)
    return ClientSettings(
        base_url=url,
        credential_kind=credential_kind,
        cache_dir=cache_dir,
        expire_after=expire_after,
        rate_limit=(rate_limit[0], float(rate_limit[1])),
        max_workers=max_workers,
        max_retries=max_retries,
        backoff_factor=float(backoff_factor),
        backoff_max=float(backoff_max),
        max_retry_time=float(max_retry_time),
        timeout=float(timeout),
        max_url_length=max_url_length,
        cache_timeout=float(cache_timeout),
    )
