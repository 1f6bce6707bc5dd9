"""Plan a lookup's requests: the query, and batches of utks that fit a URL.

Nothing here does I/O. The pipeline cleans the column with
:func:`hubutk_pandas.utks.clean_utks`, then :func:`plan` picks the query (the options'
parameters; without the property list when that list alone would not leave room in a URL
for a utk: then every property is fetched and the record trimmed locally) and cuts the
valid utks into batches of at most 100 whose complete URL (path, every ``utk=`` and
``property=`` parameter, the other parameters, the credential; all percent-encoded) stays
within the fetcher's budget, so that no request ever earns a 414.

Examples
--------
>>> [len(b) for b in plan_batches(["a" * 32] * 5, fixed_length=60, max_url_length=200)]
[3, 2]
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from hubutk_pandas import utks as utks_rules
from hubutk_pandas import wire
from hubutk_pandas.errors import InvalidOptionError
from hubutk_pandas.options import Endpoint, LookupOptions

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hubutk_pandas.lookup.fetcher import Fetcher

__all__ = [
    "MAX_BATCH_SIZE",
    "Plan",
    "check_batch",
    "param_length",
    "plan",
    "plan_batches",
    "url_length",
]

logger = logging.getLogger(__name__)

MAX_BATCH_SIZE = wire.MAX_UTKS
"""HubSpot asks for at most 100 utks per batch request."""


def param_length(name: str, value: str) -> int:
    """Length of ``&name=value`` once percent-encoded (the ``&`` included).

    Examples
    --------
    >>> param_length("utk", "a b"), param_length("utk", "0a" * 16), param_length("utk", "é")
    (10, 37, 11)
    """
    return 1 + _encoded_length(name) + 1 + _encoded_length(value)


def _encoded_length(text: str) -> int:
    """Length of ``text`` percent-encoded: itself when only ASCII letters and digits (a utk)."""
    return len(text) if text.isascii() and text.isalnum() else len(quote(text, safe=""))


def url_length(url: str, params: Mapping[str, Any] | Sequence[tuple[str, Any]]) -> int:
    """Length of ``url`` with ``params`` encoded as requests would send them.

    Examples
    --------
    >>> url_length("http://h/p", {"utk": ["a", "b"]})
    22
    """
    query = urlencode(params, doseq=True)
    return len(url) + (1 + len(query) if query else 0)


def plan_batches(
    utks: Sequence[str],
    *,
    fixed_length: int,
    max_url_length: int,
    max_batch_size: int = MAX_BATCH_SIZE,
) -> list[list[str]]:
    """Cut ``utks`` into batches that fit both the size limit and the URL budget.

    Parameters
    ----------
    utks
        Valid, distinct utks in the order to send them.
    fixed_length
        Length of the URL without any ``utk=`` parameter (see :func:`url_length`).
    max_url_length
        The budget for the complete URL.
    max_batch_size
        At most this many utks per batch (HubSpot: 100).

    Returns
    -------
    list of list of str
        Batches in order; the order of ``utks`` is kept.

    Raises
    ------
    ValueError
        When a single utk does not fit next to the fixed part of the URL.

    Examples
    --------
    >>> plan_batches(["a", "b", "c"], fixed_length=10, max_url_length=100, max_batch_size=2)
    [['a', 'b'], ['c']]
    """
    batches: list[list[str]] = []
    current: list[str] = []
    length = fixed_length
    for utk in utks:
        cost = param_length("utk", utk)
        if fixed_length + cost > max_url_length:
            raise ValueError(
                f"a utk of {len(utk)} characters does not fit a URL of at most "
                f"{max_url_length} characters next to {fixed_length} fixed characters"
            )
        if current and (len(current) >= max_batch_size or length + cost > max_url_length):
            batches.append(current)
            current, length = [], fixed_length
        current.append(utk)
        length += cost
    if current:
        batches.append(current)
    return batches


@dataclass(frozen=True)
class Plan:
    """The requests of a lookup (or of one chunk of it)."""

    endpoint: Endpoint
    query: list[tuple[str, str]]
    """The parameters of every request but ``utk`` and the credential."""
    local_filter: bool
    """The property list did not fit a URL: all properties are fetched, then trimmed here."""
    batches: list[list[str]]

    def keep(self, record: Any, options: LookupOptions) -> Any:
        """``record`` as the options asked for it (trimmed when filtered locally)."""
        return options.trim(record) if self.local_filter else record


def plan(fetcher: Fetcher, utks: Sequence[str], options: LookupOptions) -> Plan:
    """Plan the requests for valid, distinct ``utks`` under ``options``.

    The query keeps the property list when a URL carrying it still has room for one utk of
    the longest possible length; otherwise the properties are filtered locally (the same
    rule for every chunk of a lookup and for ``fetch_batch``).

    Examples
    --------
    >>> class Budget:
    ...     max_url_length = 1100
    ...     def fixed_url_length(self, endpoint, query): return 60 + url_length("", query)
    >>> many = LookupOptions(properties=[f"property_{i:03d}" for i in range(60)])
    >>> p = plan(Budget(), ["a" * 32] * 3, many)
    >>> p.local_filter, [len(b) for b in p.batches]
    (True, [3])
    """
    query = options.query()
    longest = param_length("utk", "x" * utks_rules.MAX_UTK_LENGTH)
    fits = fetcher.fixed_url_length(options.endpoint, query) + longest <= fetcher.max_url_length
    if not fits:
        query = options.query(with_properties=False)
        logger.debug("property list too long for a URL: fetching all, filtering locally")
    batches = plan_batches(
        utks,
        fixed_length=fetcher.fixed_url_length(options.endpoint, query),
        max_url_length=fetcher.max_url_length,
    )
    return Plan(options.endpoint, query, not fits, batches)


def check_batch(utks: Iterable[Any]) -> list[str]:
    """The distinct utks of one batch as given, or :class:`InvalidOptionError` (no request).

    Examples
    --------
    >>> check_batch(["a", "b", "a"])
    ['a', 'b']
    >>> check_batch("abc")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    hubutk_pandas.errors.InvalidOptionError: utks='abc' is not valid; give a list of utks
    """
    if isinstance(utks, (str, bytes)):
        raise InvalidOptionError(f"utks={utks!r} is not valid; give a list of utks")
    wanted = list(dict.fromkeys(utks))
    for utk in wanted:
        reason = utks_rules.invalid_reason(utk) if isinstance(utk, str) else "not a string"
        if reason is not None:
            raise InvalidOptionError(
                f"utks={utk!r} is not valid; each utk must be cookie-safe text of at most "
                f"{utks_rules.MAX_UTK_LENGTH} characters (this one: {reason})"
            )
    if len(wanted) > MAX_BATCH_SIZE:
        raise InvalidOptionError(
            f"{len(wanted)} utks given; a batch holds at most {MAX_BATCH_SIZE}"
        )
    return wanted
