"""The client's settings, declared once, and the credential.

Every setting of a :class:`~hubutk_pandas.client.HubSpotClient` is a field of the frozen
:class:`ClientSettings`, declared once with its default, check, type text, description and
command-line help (the field's metadata). The client's signature and ``help()``
(:func:`takes_client_settings`), the ``hubutk lookup`` flags (:func:`setting_specs`) and
the docs are written from those fields; nothing parses a docstring. A ``ClientSettings`` is
checked when built: every refusal is an :class:`~hubutk_pandas.errors.InvalidOptionError`
naming the setting and what is valid. :func:`resolve_credential` finds the token or key
(argument, then environment); its :class:`~hubutk_pandas.errors.CredentialsError` says
where to get one. No text here ever shows a secret. The options of one lookup live in
:mod:`hubutk_pandas.options`.

Nothing here does I/O beyond reading the environment.

Examples
--------
>>> check_number("timeout", 0, minimum=0.001)
Traceback (most recent call last):
hubutk_pandas.errors.InvalidOptionError: timeout=0 is not valid; use a number >= 0.001
"""

from __future__ import annotations

import inspect
import os
import typing
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, TypedDict, TypeVar

from hubutk_pandas import _numpydoc, wire
from hubutk_pandas._warnings import warn as _warn
from hubutk_pandas.errors import CredentialsError, InvalidOptionError

__all__ = [
    "CREDENTIAL_VARIABLES",
    "DEFAULT_BASE_URL",
    "ClientSettings",
    "ClientSettingsKwargs",
    "CredentialKind",
    "SettingSpec",
    "build_settings",
    "check_number",
    "credential_in_environment",
    "credential_origin",
    "missing_credential_message",
    "refused_credential_message",
    "resolve_cache_dir",
    "resolve_credential",
    "setting_specs",
    "takes_client_settings",
]

DEFAULT_BASE_URL = wire.DEFAULT_BASE_URL
CredentialKind = Literal["access_token", "api_key"]
CREDENTIAL_KINDS: tuple[CredentialKind, ...] = typing.get_args(CredentialKind)
CREDENTIAL_VARIABLES = ("HUBSPOT_ACCESS_TOKEN", "HUBSPOT_API_KEY")
"""Where the credential is read from when none is given, in order."""
API_KEYS_REFUSED = "2022-11-30"
"""Since when HubSpot has refused legacy API keys (``hapikey``)."""


# -- checks ---------------------------------------------------------------------------------


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
    if isinstance(value, bool) or not ok or not value >= minimum:  # NaN too
        kind = "an integer" if integer else "a number"
        raise InvalidOptionError.for_value(name, value, f"use {kind} >= {minimum}")


def _number(minimum: float, *, integer: bool = False) -> Callable[[str, Any], Any]:
    def check(name: str, value: Any) -> Any:
        check_number(name, value, minimum=minimum, integer=integer)
        return value if integer else float(value)

    return check


def _check_base_url(name: str, value: Any) -> str:
    url = value if value is not None else os.environ.get("HUBSPOT_BASE_URL")
    if url is not None and not isinstance(url, str):
        raise InvalidOptionError.for_value(name, url, "use an http:// or https:// URL")
    url = (url or DEFAULT_BASE_URL).strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise InvalidOptionError.for_value(name, url, "use an http:// or https:// URL")
    return url


def _check_expire_after(name: str, value: Any) -> timedelta | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        value = timedelta(seconds=value)
    if value is not None and (not isinstance(value, timedelta) or value < timedelta(0)):
        raise InvalidOptionError.for_value(name, value, "use a timedelta, seconds >= 0 or None")
    return value


def _check_rate_limit(name: str, value: Any) -> tuple[int, float]:
    if (
        not isinstance(value, tuple)
        or len(value) != 2
        or isinstance(value[0], bool)
        or not isinstance(value[0], int)
        or value[0] < 1
        or isinstance(value[1], bool)
        or not isinstance(value[1], (int, float))
        or value[1] <= 0
    ):
        raise InvalidOptionError.for_value(
            name, value, "use (requests, seconds), e.g. (100, 10.0) or (190, 10.0)"
        )
    return (value[0], float(value[1]))


def _check_kind(name: str, value: Any) -> CredentialKind:
    if value not in CREDENTIAL_KINDS:
        raise InvalidOptionError.for_value(name, value, CREDENTIAL_KINDS)
    return typing.cast(CredentialKind, value)


def _check_cache_dir(name: str, value: Any) -> Path | None:
    if value is None or isinstance(value, Path):
        return value
    raise InvalidOptionError.for_value(name, value, "use a pathlib.Path or None")


# -- parsing a setting from a command line --------------------------------------------------


def _parse_rate(text: str) -> tuple[int, float]:
    """``"190/10"`` -> ``(190, 10.0)``; anything else is refused with the expected form."""
    requests, sep, seconds = text.partition("/")
    try:
        if not sep:
            raise ValueError
        return _check_rate_limit("rate_limit", (int(requests), float(seconds)))
    except (ValueError, InvalidOptionError):
        raise ValueError(
            f"{text!r} is not N/SECONDS with N >= 1 and SECONDS > 0, e.g. 100/10"
        ) from None


def _parse_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number") from None


def _parse_seconds(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number of seconds") from None


def _parse_expiry(text: str) -> float | None:
    """Seconds, or ``never`` (cached answers are used forever)."""
    if text.strip().lower() == "never":
        return None
    seconds = _parse_seconds(text)
    if not seconds >= 0:
        raise ValueError(f"{text!r} is neither a number of seconds >= 0 nor never")
    return seconds


# -- the declarations -----------------------------------------------------------------------


@dataclass(frozen=True)
class SettingSpec:
    """One client setting as declared: what the signatures, docs and CLI show.

    ``default`` is the constructor argument's default (``base_url``: ``None``, read from
    the environment); ``kind`` and ``doc`` its numpydoc entry; ``shell`` its command-line
    help in shell words (``None``: no flag), read by ``parse`` from the flag's text.
    """

    name: str
    default: Any
    kind: str
    doc: str
    shell: str | None = None
    metavar: str | None = None
    parse: Callable[[str], Any] | None = None
    check: Callable[[str, Any], Any] | None = None


_SAME = object()  # a setting whose argument's default is the field's


def _setting(
    *,
    check: Callable[[str, Any], Any],
    kind: str,
    doc: str,
    argument: Any = _SAME,
    shell: str | None = None,
    metavar: str | None = None,
    parse: Callable[[str], Any] | None = None,
) -> dict[str, Any]:
    """The metadata of a :class:`ClientSettings` field that is a constructor argument.

    ``argument``: the argument's default when it is not the field's (``base_url=None``).
    """
    return {
        "check": check,
        "kind": kind,
        "doc": doc,
        "is_argument": True,
        "argument": argument,
        "shell": shell,
        "metavar": metavar,
        "parse": parse,
    }


def _derived(*, check: Callable[[str, Any], Any], kind: str, doc: str) -> dict[str, Any]:
    """The metadata of a :class:`ClientSettings` field the client derives (not an argument)."""
    return {"check": check, "kind": kind, "doc": doc, "is_argument": False}


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidOptionError.for_value(name, value, "use a non-empty text")
    return value


_MARKER = "<client settings>"


@dataclass(frozen=True, kw_only=True)
class ClientSettings:
    """Everything a :class:`HubSpotClient` was configured with (never the credential).

    Checked when built, like the client's arguments (it is what the client builds from
    them): a refused value is an :class:`~hubutk_pandas.errors.InvalidOptionError`.

    Parameters
    ----------
    <client settings>

    Examples
    --------
    >>> s = ClientSettings(base_url="http://x/", credential_kind="access_token", cache_dir=None)
    >>> s.base_url, s.rate_limit
    ('http://x', (100, 10.0))
    >>> ClientSettings(credential_kind="access_token", cache_dir=None, max_workers=0)
    Traceback (most recent call last):
    hubutk_pandas.errors.InvalidOptionError: max_workers=0 is not valid; use an integer >= 1
    """

    # Each setting is declared once, here: the Parameters entries above and of the
    # client, the client's signature check and the CLI's flags are written from these.
    base_url: str = field(
        default=DEFAULT_BASE_URL,
        metadata=_setting(
            check=_check_base_url,
            kind="str, optional",
            doc="HubSpot's API address. Default: ``HUBSPOT_BASE_URL``, else "
            f"``{DEFAULT_BASE_URL}``.",
            argument=None,
            shell="the API address, e.g. the one `hubutk sandbox` prints (default: "
            f"$HUBSPOT_BASE_URL, else {DEFAULT_BASE_URL})",
            metavar="URL",
            parse=str,
        ),
    )
    credential_kind: CredentialKind = field(
        metadata=_derived(
            check=_check_kind,
            kind="{'access_token', 'api_key'}",
            doc="Which credential the client sends (never the credential itself).",
        )
    )
    cache_dir: Path | None = field(
        metadata=_derived(
            check=_check_cache_dir,
            kind="Path or None",
            doc="The cache folder (the client's ``cache``), or ``None``: no cache.",
        )
    )
    expire_after: timedelta | None = field(
        default=timedelta(days=1),
        metadata=_setting(
            check=_check_expire_after,
            kind="timedelta, float or None, default 1 day",
            doc="How long cached answers are used (``timedelta`` or seconds; ``None`` = forever).",
            shell="seconds a cached answer is used, or never: forever (default: 86400, one day)",
            metavar="SECONDS",
            parse=_parse_expiry,
        ),
    )
    rate_limit: tuple[int, float] = field(
        default=(100, 10.0),
        metadata=_setting(
            check=_check_rate_limit,
            kind="(int, float), default (100, 10.0)",
            doc="``(requests, seconds)``: the portal's burst limit, which the client paces "
            "itself to (HubSpot allows 100 per 10 s on Free and Starter, 190 on "
            "Professional and Enterprise, 250 with the API limit increase).",
            shell="the portal's burst limit: N requests per SECONDS (HubSpot allows 100/10 "
            "on Free and Starter, 190/10 on Professional and Enterprise, 250/10 with the API "
            "limit increase; default: 100/10)",
            metavar="N/SECONDS",
            parse=_parse_rate,
        ),
    )
    max_workers: int = field(
        default=16,
        metadata=_setting(
            check=_number(1, integer=True),
            kind="int, default 16",
            doc="Threads sending batches at once (16: a window of 100 requests goes out in "
            "about a second even at a few hundred ms per answer).",
            shell="requests in flight at once",
            metavar="N",
            parse=_parse_int,
        ),
    )
    max_retries: int = field(
        default=5,
        metadata=_setting(
            check=_number(0, integer=True),
            kind="int, default 5",
            doc="How many times a failing request is retried.",
            shell="retries of a failing request",
            metavar="N",
            parse=_parse_int,
        ),
    )
    backoff_factor: float = field(
        default=0.5,
        metadata=_setting(
            check=_number(0),
            kind="float, default 0.5",
            doc="Seconds before the first retry (half fixed, half random); each further "
            "retry doubles it, up to ``backoff_max``.",
            shell="seconds before the first retry, doubled for each further one",
            metavar="SECONDS",
            parse=_parse_seconds,
        ),
    )
    backoff_max: float = field(
        default=30.0,
        metadata=_setting(
            check=_number(0),
            kind="float, default 30.0",
            doc="The longest wait between two retries, in seconds.",
            shell="the longest wait between two retries, in seconds",
            metavar="SECONDS",
            parse=_parse_seconds,
        ),
    )
    max_retry_time: float = field(
        default=300.0,
        metadata=_setting(
            check=_number(0),
            kind="float, default 300.0",
            doc="The total seconds one request may spend retrying.",
            shell="the total seconds one request may spend retrying",
            metavar="SECONDS",
            parse=_parse_seconds,
        ),
    )
    timeout: float = field(
        default=30.0,
        metadata=_setting(
            check=_number(0.001),
            kind="float, default 30.0",
            doc="Seconds to wait for HubSpot to answer one request.",
            shell="seconds to wait for HubSpot to answer one request",
            metavar="SECONDS",
            parse=_parse_seconds,
        ),
    )
    max_url_length: int = field(
        default=7000,
        metadata=_setting(
            check=_number(1024, integer=True),
            kind="int, default 7000",
            doc="The longest URL sent (HubSpot answers 414 beyond about 8192).",
            shell="the longest URL sent, in characters (HubSpot answers 414 beyond about 8192)",
            metavar="CHARS",
            parse=_parse_int,
        ),
    )
    cache_timeout: float = field(
        default=10.0,
        metadata=_setting(
            check=_number(0),
            kind="float, default 10.0",
            doc="Seconds to wait for a cache file another process holds locked, before a "
            ":class:`~hubutk_pandas.CacheError`.",
            shell="seconds to wait for a cache file another process holds locked",
            metavar="SECONDS",
            parse=_parse_seconds,
        ),
    )

    rate_window: str = field(
        default="machine",
        metadata=_derived(
            check=_text,
            kind='str, default "machine"',
            doc="Where the rate window lives: ``machine``, ``client``, a folder or a Redis "
            "URL (password hidden); set by the client's ``rate_window`` argument or "
            "``HUBUTK_RATE_WINDOW`` (see :mod:`hubutk_pandas.rate_window`).",
        ),
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, f.metadata["check"](f.name, getattr(self, f.name)))


ClientSettings.__doc__ = _numpydoc.fill(
    ClientSettings.__doc__,
    _MARKER,
    [(f.name, f.metadata["kind"], f.metadata["doc"]) for f in fields(ClientSettings)],
)


class ClientSettingsKwargs(TypedDict, total=False):
    """The settings as the client's keyword arguments, for ``**settings: Unpack[...]``."""

    base_url: str | None
    expire_after: timedelta | float | None
    rate_limit: tuple[int, float]
    max_workers: int
    max_retries: int
    backoff_factor: float
    backoff_max: float
    max_retry_time: float
    timeout: float
    max_url_length: int
    cache_timeout: float


def setting_specs() -> list[SettingSpec]:
    """Every setting the client takes as an argument, in order, as declared.

    Examples
    --------
    >>> [s.name for s in setting_specs()][:3]
    ['base_url', 'expire_after', 'rate_limit']
    >>> next(s for s in setting_specs() if s.name == "rate_limit").parse("190/10")
    (190, 10.0)
    """
    return [
        SettingSpec(
            f.name,
            f.default if f.metadata["argument"] is _SAME else f.metadata["argument"],
            f.metadata["kind"],
            f.metadata["doc"],
            f.metadata["shell"],
            f.metadata["metavar"],
            f.metadata["parse"],
            f.metadata["check"],
        )
        for f in fields(ClientSettings)
        if f.metadata["is_argument"]
    ]


def build_settings(
    *, credential_kind: CredentialKind, cache_dir: Path | None, **given: Any
) -> ClientSettings:
    """Check the client's setting arguments and freeze them (see ``HubSpotClient``).

    A setting left out takes its argument's default; ``base_url=None`` reads
    ``HUBSPOT_BASE_URL``, else uses ``https://api.hubapi.com``; ``expire_after`` may be
    seconds. An unknown name is a ``TypeError``.

    Examples
    --------
    >>> s = build_settings(credential_kind="access_token", base_url="http://h/",
    ...     cache_dir=None, expire_after=60, rate_limit=(190, 10))
    >>> s.base_url, s.expire_after, s.rate_limit, s.max_workers
    ('http://h', datetime.timedelta(seconds=60), (190, 10.0), 16)
    """
    specs = {s.name: s for s in setting_specs()}
    unknown = [name for name in given if name not in specs]
    if unknown:
        raise TypeError(
            f"unknown client setting {unknown[0]!r}; the settings are {', '.join(specs)}"
        )
    values = {name: given.get(name, spec.default) for name, spec in specs.items()}
    return ClientSettings(credential_kind=credential_kind, cache_dir=cache_dir, **values)


_T = TypeVar("_T", bound=Callable[..., Any])


def takes_client_settings(obj: _T) -> _T:
    """Write a client's settings into its signature and docs, from :class:`ClientSettings`.

    ``obj`` is a function, or a class (then its ``__init__`` is the function and the class
    docstring is filled). A ``**settings`` parameter becomes one keyword-only parameter per
    setting, with its declared default and type (:class:`ClientSettingsKwargs`); settings
    written out as parameters must have exactly the declared defaults, else a ``TypeError``
    at definition time. A docstring line ``<client settings>`` becomes the settings'
    numpydoc entries (under ``python -OO`` there is no docstring to fill).

    Examples
    --------
    >>> @takes_client_settings
    ... def make(token=None, *, cache=True, **settings):
    ...     '''Make.
    ...
    ...     Parameters
    ...     ----------
    ...     <client settings>
    ...     '''
    >>> list(inspect.signature(make).parameters)[:4]
    ['token', 'cache', 'base_url', 'expire_after']
    >>> "max_workers : int, default 16" in make.__doc__
    True
    >>> @takes_client_settings
    ... def bad(*, base_url=None): ...
    Traceback (most recent call last):
    TypeError: bad(): the setting expire_after is not a parameter
    """
    func: Any = obj.__init__ if isinstance(obj, type) else obj  # type: ignore[misc]
    signature = inspect.signature(func)
    specs = setting_specs()
    params = list(signature.parameters.values())
    if any(p.kind is p.VAR_KEYWORD for p in params):
        hints = typing.get_type_hints(ClientSettingsKwargs)
        params = [p for p in params if p.kind is not p.VAR_KEYWORD]
        params += [
            inspect.Parameter(
                s.name, inspect.Parameter.KEYWORD_ONLY, default=s.default, annotation=hints[s.name]
            )
            for s in specs
        ]
        func.__signature__ = signature.replace(parameters=params)
    else:
        where = f"{func.__qualname__}()"
        for s in specs:
            p = signature.parameters.get(s.name)
            if p is None:
                raise TypeError(f"{where}: the setting {s.name} is not a parameter")
            if p.default != s.default:
                raise TypeError(
                    f"{where}: {s.name}={p.default!r} differs from the declared default "
                    f"{s.default!r} (ClientSettings)"
                )
    rows = [(s.name, s.kind, s.doc) for s in specs]
    obj.__doc__ = _numpydoc.fill(obj.__doc__, _MARKER, rows)
    return obj


# -- the credential -------------------------------------------------------------------------


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
