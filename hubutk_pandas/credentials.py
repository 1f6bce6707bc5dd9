"""The credential: found in the arguments or the environment, checked, and never shown.

:func:`resolve_credential` finds the token or key (argument, then environment); its
:class:`~hubutk_pandas.errors.CredentialsError` says where to get one
(:func:`missing_credential_message`: Service Keys first). When HubSpot refuses it,
:func:`refused_credential_message` says which credential was sent (its kind and where it came
from) and what to run next. No text here ever shows a secret. Nothing here does I/O beyond
reading the environment.

Examples
--------
>>> resolve_credential("pat-na1-abc", None)
('access_token', 'pat-na1-abc')
"""

from __future__ import annotations

import os
import typing
from typing import Any, Literal

from hubutk_pandas._warnings import warn as _warn
from hubutk_pandas.errors import CredentialsError, InvalidOptionError

__all__ = [
    "API_KEYS_REFUSED",
    "CREDENTIAL_VARIABLES",
    "CredentialKind",
    "check_secret",
    "credential_in_environment",
    "credential_origin",
    "missing_credential_message",
    "refused_credential_message",
    "resolve_credential",
]

CredentialKind = Literal["access_token", "api_key"]
"""A credential's kind: an access token (Service Key, private-app or OAuth token) or an API key."""
CREDENTIAL_KINDS: tuple[CredentialKind, ...] = typing.get_args(CredentialKind)
CREDENTIAL_VARIABLES = ("HUBSPOT_ACCESS_TOKEN", "HUBSPOT_API_KEY")
"""Where the credential is read from when none is given, in order."""
API_KEYS_REFUSED = "2022-11-30"
"""Since when HubSpot has refused legacy API keys (``hapikey``)."""


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


def missing_credential_message(*, shell: bool = False) -> str:
    """What to do when there is no credential: for Python, or (``shell``) for a command line.

    Examples
    --------
    >>> print(missing_credential_message(shell=True))  # doctest: +ELLIPSIS
    No HubSpot credential. Create a Service Key in HubSpot (Development > Keys) ...
    """
    if shell:
        where = "and set the HUBSPOT_ACCESS_TOKEN environment variable to it"
        trial = (
            "To try the command without a portal, run `hubutk demo`; or start `hubutk sandbox` "
            "and set the HUBSPOT_BASE_URL and HUBSPOT_ACCESS_TOKEN it prints."
        )
    else:
        where = (
            "and pass it as access_token=..., or set the HUBSPOT_ACCESS_TOKEN environment variable"
        )
        trial = (
            "To try the package without a portal, use hubutk_pandas.connect(), which "
            "starts a local sandbox."
        )
    return (
        "No HubSpot credential. Create a Service Key in HubSpot (Development > Keys) with "
        "the scope crm.objects.contacts.read (plus crm.lists.read for list memberships), "
        f"{where} (export HUBSPOT_ACCESS_TOKEN=...). A legacy private-app token or an "
        f"OAuth access token works the same way. {trial}"
    )


def credential_origin(access_token: str | None, api_key: str | None) -> str:
    """Where the credential :func:`resolve_credential` picks comes from, for messages.

    ``"the access_token argument"``, ``"the api_key argument"``, or the environment
    variable's name. Never the credential.

    Examples
    --------
    >>> credential_origin("pat-na1-abc", None)
    'the access_token argument'
    """
    if access_token is not None:
        return "the access_token argument"
    if api_key is not None:
        return "the api_key argument"
    if os.environ.get("HUBSPOT_ACCESS_TOKEN", "").strip():
        return "HUBSPOT_ACCESS_TOKEN"
    return "HUBSPOT_API_KEY"


def refused_credential_message(kind: CredentialKind, origin: str, hubspot_says: str) -> str:
    """What to say when HubSpot refuses the credential (401, or a 403 other than a scope).

    Which credential was sent (its kind and where it came from, never itself), what HubSpot
    said, and what to run next: ``hubutk doctor`` (``client.check()`` in Python).

    Examples
    --------
    >>> print(refused_credential_message("access_token", "HUBSPOT_ACCESS_TOKEN", "Bad token."))
    ... # doctest: +NORMALIZE_WHITESPACE
    HubSpot refused the access token from HUBSPOT_ACCESS_TOKEN: Bad token. Check that it is
    the current one (a Service Key is under Development > Keys in HubSpot; an OAuth access
    token expires after 30 minutes). Run `hubutk doctor` (client.check() in Python) to see
    what works and what to fix.
    """
    what = "access token" if kind == "access_token" else "API key"
    said = hubspot_says.strip()
    said = said if said.endswith((".", "!", "?")) else f"{said}."
    if kind == "api_key":
        check = (
            f"HubSpot has refused API keys since {API_KEYS_REFUSED}: use a Service Key "
            "(Development > Keys in HubSpot) as the access token instead "
            "(HUBSPOT_ACCESS_TOKEN, or access_token= in Python)."
        )
    else:
        check = (
            "Check that it is the current one (a Service Key is under Development > Keys in "
            "HubSpot; an OAuth access token expires after 30 minutes)."
        )
    return (
        f"HubSpot refused the {what} from {origin}: {said} {check} Run `hubutk doctor` "
        "(client.check() in Python) to see what works and what to fix."
    )


def credential_in_environment() -> bool:
    """Whether ``HUBSPOT_ACCESS_TOKEN`` or ``HUBSPOT_API_KEY`` holds a value."""
    return any(os.environ.get(name, "").strip() for name in CREDENTIAL_VARIABLES)


def resolve_credential(access_token: str | None, api_key: str | None) -> tuple[CredentialKind, str]:
    """``(kind, secret)`` from the arguments, else ``HUBSPOT_ACCESS_TOKEN`` / ``HUBSPOT_API_KEY``.

    A Service Key, a legacy private-app token and an OAuth access token are all access
    tokens. An API key is still sent, with a warning: HubSpot has refused API keys since
    2022-11-30. Without any credential, :class:`CredentialsError` says where to get one
    and how to use the sandbox instead (:func:`missing_credential_message`).

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
            "HubSpot retired API keys (hapikey, HUBSPOT_API_KEY) and has refused them since "
            f"{API_KEYS_REFUSED}. Use a Service Key (HubSpot: Development > Keys) as the "
            "access token instead: HUBSPOT_ACCESS_TOKEN, or access_token= in Python."
        )
        return "api_key", check_secret("api_key", api_key)
    raise CredentialsError(missing_credential_message())
