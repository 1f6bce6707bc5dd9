"""Pure helpers that cut clean utks into batches a URL can carry.

Nothing here does I/O. The client first cleans the column with
:func:`hubutk_pandas.utks.clean_utks`, then calls :func:`plan_batches` to cut the valid
utks into batches of at most 100 whose complete URL (path, every ``utk=`` and
``property=`` parameter, the other parameters; all percent-encoded) stays within a
length budget, so that no request ever earns a 414.

Examples
--------
>>> [len(b) for b in plan_batches(["a" * 32] * 5, fixed_length=60, max_url_length=200)]
[3, 2]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode

__all__ = ["MAX_BATCH_SIZE", "param_length", "plan_batches", "url_length"]

MAX_BATCH_SIZE = 100
"""HubSpot asks for at most 100 utks per batch request."""


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
