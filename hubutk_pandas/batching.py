"""Pure helpers that turn a column of utks into batches a URL can carry.

Nothing here does I/O. The client calls, in order:

1. :func:`clean_utks` - drop empty values (None, NaN, ``pd.NA``, blanks), strip
   whitespace, coerce scalars such as integers to text, de-duplicate keeping the
   first-seen order, and set aside values that cannot be a utk (reason ``"invalid"``).
2. :func:`plan_batches` - cut the valid utks into batches of at most 100 whose
   complete URL (path, every ``utk=`` and ``property=`` parameter, the other
   parameters; all percent-encoded) stays within a length budget, so that no
   request ever earns a 414.

A utk is the value of the ``hubspotutk`` cookie: 32 hexadecimal characters in
practice. We accept any cookie-safe token (RFC 6265 ``cookie-octet``: printable
ASCII without space, ``"``, ``,``, ``;`` and ``\\``) of at most
:data:`MAX_UTK_LENGTH` characters, so odd but plausible tokens still reach HubSpot,
while values no cookie could hold are reported instead of sent.

Examples
--------
>>> cleaned = clean_utks([" a1 ", None, "a1", "", 42, "b;2"], warn=False)
>>> cleaned.valid, cleaned.invalid
(['a1', '42'], ['b;2'])
>>> [len(b) for b in plan_batches(["a" * 32] * 5, fixed_length=60, max_url_length=200)]
[3, 2]
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from hubutk_pandas._warnings import warn as _warn

__all__ = [
    "MAX_BATCH_SIZE",
    "MAX_UTK_LENGTH",
    "CleanedUtks",
    "clean_utks",
    "invalid_reason",
    "normalize_utk",
    "param_length",
    "plan_batches",
    "url_length",
]

MAX_BATCH_SIZE = 100
"""HubSpot asks for at most 100 utks per batch request."""

MAX_UTK_LENGTH = 64
"""Longest value accepted as a utk (real ones have 32 characters)."""

_COOKIE_UNSAFE = frozenset(' ",;\\')


@dataclass(frozen=True)
class CleanedUtks:
    """The outcome of :func:`clean_utks`.

    Attributes
    ----------
    valid : list of str
        Distinct utks to send, in first-seen order.
    invalid : list of str
        Distinct values (as text) that cannot be utks, in first-seen order.
    order : list of str
        Every distinct value (valid or invalid) in first-seen order, so results
        can be reported in input order.
    """

    valid: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    order: list[str] = field(default_factory=list)


def invalid_reason(value: str) -> str | None:
    """Say why ``value`` cannot be a utk, or return ``None`` when it can.

    Examples
    --------
    >>> invalid_reason("0123456789abcdef0123456789abcdef") is None
    True
    >>> invalid_reason("a b")
    'contains whitespace'
    """
    if not value:
        return "empty"
    if len(value) > MAX_UTK_LENGTH:
        return f"longer than {MAX_UTK_LENGTH} characters"
    for char in value:
        if char.isspace():
            return "contains whitespace"
        code = ord(char)
        if code > 0x7E:
            return "contains non-ASCII characters"
        if code < 0x21:
            return "contains control characters"
        if char in _COOKIE_UNSAFE:
            return f"contains {char!r}, which no cookie value holds"
    return None


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    # pd.NA, pd.NaT, numpy NaN/NaT without importing pandas here.
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return type(value).__name__ == "NAType"  # pd.NA refuses bool(); arrays are not missing


def _as_text(value: Any) -> str | None:
    """Coerce one scalar to text; ``None`` when it cannot sensibly be a utk."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or type(value).__name__ in ("bool_", "bool"):
        return None
    if isinstance(value, bytes):
        try:
            return value.decode("ascii")
        except UnicodeDecodeError:
            return None
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        as_float = float(value)
        if as_float.is_integer():
            return str(int(as_float))
        return None
    return None


def normalize_utk(value: Any) -> str | None:
    """The text one cell is looked up as (stripped), or ``None`` for an empty cell.

    The same rule :func:`clean_utks` applies, so a cell can be matched back to the
    lookup's ``utk`` (as ``enrich`` does). Invalid values keep their text.

    Examples
    --------
    >>> normalize_utk("  ab12 "), normalize_utk(7.0), normalize_utk(float("nan")), normalize_utk("")
    ('ab12', '7', None, None)
    """
    if not isinstance(value, (str, bytes)) and _is_missing(value):
        return None
    text = _as_text(value)
    if text is None:
        return repr(value)
    return text.strip() or None


def clean_utks(values: Iterable[Any], *, warn: bool = True) -> CleanedUtks:
    """Clean a column of utks: drop empties, strip, coerce, de-duplicate, validate.

    Parameters
    ----------
    values
        Any iterable (list, tuple, pandas Series, numpy array). It is not modified.
    warn
        Emit one :class:`UserWarning` counting the invalid values, if any.

    Returns
    -------
    CleanedUtks

    Examples
    --------
    >>> import pandas as pd
    >>> clean_utks(pd.Series(["x1", pd.NA, "  x1", 7.0, "é"]), warn=False).valid
    ['x1', '7']
    """
    if isinstance(values, (str, bytes)):
        values = [values]
    seen: set[str] = set()
    result = CleanedUtks()
    for raw in values:
        if not isinstance(raw, (str, bytes)) and _is_missing(raw):
            continue
        text = _as_text(raw)
        if text is None:
            text = repr(raw)
            bad = True
        else:
            text = text.strip()
            if not text:
                continue
            bad = invalid_reason(text) is not None
        if text in seen:
            continue
        seen.add(text)
        result.order.append(text)
        (result.invalid if bad else result.valid).append(text)
    if warn and result.invalid:
        count = len(result.invalid)
        _warn(
            f"{count} value{'s' if count != 1 else ''} cannot be a utk (not cookie-safe, or longer "
            f"than {MAX_UTK_LENGTH} characters) and {'were' if count != 1 else 'was'} not sent; "
            "see result.missing (reason 'invalid')."
        )
    return result


def param_length(name: str, value: str) -> int:
    """Length of ``&name=value`` once percent-encoded (the ``&`` included).

    Examples
    --------
    >>> param_length("utk", "a b")
    10
    """
    return 1 + len(quote(name, safe="")) + 1 + len(quote(value, safe=""))


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
