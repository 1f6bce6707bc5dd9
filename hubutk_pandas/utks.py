"""Pure rules for the cells of a utk column: what is empty, what is a utk, what is sent.

A utk is the value of the ``hubspotutk`` cookie: 32 hexadecimal characters in
practice. We accept any cookie-safe token (RFC 6265 ``cookie-octet``: printable
ASCII without space, ``"``, ``,``, ``;`` and ``\\``) of at most
:data:`MAX_UTK_LENGTH` characters, so odd but plausible tokens still reach HubSpot,
while values no cookie could hold are reported instead of sent.

:func:`clean_utks` drops empty values (None, NaN, ``pd.NA``, blanks), strips
whitespace, coerces scalars such as integers to text, de-duplicates keeping the
first-seen order, and sets aside values that cannot be a utk (reason ``"invalid"``).
:func:`normalize_utk` is the same rule for one cell: the accessor's ``enrich`` and the
widgets use it so that they join and count exactly what the client sent.

Examples
--------
>>> cleaned = clean_utks([" a1 ", None, "a1", "", 42, "b;2"], warn=False)
>>> cleaned.valid, cleaned.invalid
(['a1', '42'], ['b;2'])
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from hubutk_pandas._warnings import warn as _warn

__all__ = ["MAX_UTK_LENGTH", "CleanedUtks", "clean_utks", "invalid_reason", "normalize_utk"]

MAX_UTK_LENGTH = 64
"""Longest value accepted as a utk (real ones have 32 characters)."""

_COOKIE_UNSAFE = frozenset(' ",;\\')
# RFC 6265 cookie-octet: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E, 1 to 64 of them.
# The fast path of invalid_reason (a million utks: 3 s less); the loop says why not.
_UTK = re.compile(rf"[!#-+\--:<-\[\]-~]{{1,{MAX_UTK_LENGTH}}}")


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
    if _UTK.fullmatch(value):
        return None
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
