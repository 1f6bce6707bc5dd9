"""The client's settings, declared once.

Every setting of a :class:`~hubutk_pandas.client.HubSpotClient` is a field of the frozen
:class:`ClientSettings`, declared once with its default, check, type text, description and
command-line help (the field's metadata). The client's signature and ``help()``
(:func:`takes_client_settings`), the ``hubutk lookup`` flags (:func:`setting_specs`) and
the docs are written from those fields; nothing parses a docstring. A ``ClientSettings`` is
checked when built: every refusal is an :class:`~hubutk_pandas.errors.InvalidOptionError`
naming the setting and what is valid. The credential is found by
:mod:`hubutk_pandas.credentials`. The options of one lookup live in
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
import math
import os
import typing
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any, TypedDict, TypeVar

from hubutk_pandas import _numpydoc, wire
from hubutk_pandas.credentials import CREDENTIAL_KINDS, CredentialKind
from hubutk_pandas.errors import InvalidOptionError

__all__ = [
    "DEFAULT_BASE_URL",
    "ClientSettings",
    "ClientSettingsKwargs",
    "SettingSpec",
    "build_settings",
    "check_number",
    "default_workers",
    "resolve_cache_dir",
    "setting_specs",
    "takes_client_settings",
]

DEFAULT_BASE_URL = wire.DEFAULT_BASE_URL


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


MOST_DEFAULT_WORKERS = 40
"""The most worker threads a client starts by default: HubSpot's highest limit's share
(250 requests per 10 s, see :func:`default_workers`)."""


def default_workers(max_requests: int) -> int:
    """Worker threads for a rate window of ``max_requests``, unless ``max_workers`` is set.

    16 for each 100 requests of the window, at least 16 and at most 40, so that a whole
    window goes out in about six round trips whatever the tier: a lookup's last requests
    reuse the slots its first window's answers free, and those come back sooner with more
    requests in flight. Measured at HubSpot's ceilings (the README's benchmarks): at 190
    per 10 s, 32 workers instead of 16 took the whole call from 96.5-97.1% to 97.1-97.4%
    of the pacing ideal; at 250, 40 instead of 16 from 89.7-90.2% to 91.5-91.9%; the CPU
    per utk did not grow.

    Examples
    --------
    >>> default_workers(100), default_workers(190), default_workers(250)
    (16, 31, 40)
    >>> default_workers(10), default_workers(1_000_000)
    (16, 40)
    """
    return max(16, min(MOST_DEFAULT_WORKERS, math.ceil(max_requests * 16 / 100)))


def _check_workers(name: str, value: Any) -> int | None:
    if value is not None:
        check_number(name, value, minimum=1, integer=True)
    return value


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
    max_workers: int | None = field(
        default=None,
        metadata=_setting(
            check=_check_workers,
            kind="int, optional",
            doc="Threads sending batches at once. Default: from the rate window, 16 for "
            "each 100 requests (16 at 100 per 10 s, 31 at 190, 40 at 250; at least 16, at "
            "most 40), read at each lookup, so a rate the portal's headers announce counts "
            "too: a window goes out in about six round trips.",
            shell="requests in flight at once (default: 16 for each 100 requests of the "
            "rate limit, from 16 to 40)",
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
    max_workers: int | None
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
    ('http://h', datetime.timedelta(seconds=60), (190, 10.0), None)
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
    >>> "max_workers : int, optional" in make.__doc__
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
