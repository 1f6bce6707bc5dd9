"""How a lookup fails: the one place that builds ``LookupFailedError`` and ``DailyLimitError``.

Both sinks end here: :func:`raise_for_failures` raises, when batches failed, the error
that carries what the sink kept (``.partial``: the in-memory result or the dataset), the
utks a rerun must fetch, every error met, and HubSpot's status, category and correlation
id. :func:`daily_limit_stops` (and :func:`stopping_at_the_daily_limit` for a callable) turns
HubSpot's daily 429 into a :class:`~hubutk_pandas.errors.DailyLimitError` outside the batches
of a lookup (one batch, the property definitions).

Examples
--------
>>> from hubutk_pandas.errors import BadRequestError
>>> raise_for_failures(None, fatal=None, failed=[], failed_utks=[], total=3)  # no error
>>> bad = BadRequestError("bad", status=400, category="VALIDATION_ERROR")
>>> raise_for_failures("kept", fatal=None, failed=[(["u"], bad)], failed_utks=["u"], total=3)
Traceback (most recent call last):
hubutk_pandas.errors.LookupFailedError: 1 of 3 utks could not be fetched (1 batches); ...
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from hubutk_pandas.errors import DailyLimitError, HubSpotError, LookupFailedError, RateLimitError

__all__ = ["daily_limit_stops", "raise_for_failures", "stopping_at_the_daily_limit"]

Partial = TypeVar("Partial")
T = TypeVar("T")


def raise_for_failures(
    partial: Partial,
    *,
    fatal: HubSpotError | None,
    failed: Sequence[tuple[list[str], HubSpotError | None]],
    failed_utks: Sequence[str],
    total: int,
    detail: str = "",
) -> None:
    """Raise what a lookup ends with when batches failed; return when none did.

    Parameters
    ----------
    partial
        What the sink kept: a ``LookupResult`` or a ``LookupDataset``.
    fatal
        The error that stopped the lookup: the daily limit becomes a
        :class:`DailyLimitError`; any other (a refused credential, a failing cache, a
        systematic refusal) is raised as itself.
    failed
        ``(utks, error)`` of every failed batch (``error`` ``None``: not sent).
    failed_utks
        The utks a rerun must fetch, in input order.
    total
        The valid utks of the lookup (for the message).
    detail
        Ends the message: what the sink kept and how to continue.
    """
    errors = [e for _, e in failed if e is not None]
    if isinstance(fatal, RateLimitError) and fatal.daily:
        raise DailyLimitError.from_answer(
            fatal,
            partial=partial,
            failed_utks=failed_utks,
            errors=[fatal, *errors],
            detail=detail,
        )
    if fatal is not None:
        raise fatal
    if failed_utks:
        first = errors[0] if errors else HubSpotError("unknown failure")
        raise LookupFailedError(
            f"{len(failed_utks)} of {total} utks could not be fetched ({len(failed)} batches); "
            f".partial holds the rest.{detail} First error: {first.message}",
            partial=partial,
            failed_utks=failed_utks,
            errors=errors,
            status=first.status,
            category=first.category,
            correlation_id=first.correlation_id,
        )


@contextmanager
def daily_limit_stops() -> Iterator[None]:
    """Raise HubSpot's daily 429 in the block as :class:`DailyLimitError`; the rest as is.

    Examples
    --------
    >>> with daily_limit_stops():
    ...     raise RateLimitError("limit", status=429, policy_name="DAILY")
    Traceback (most recent call last):
    hubutk_pandas.errors.DailyLimitError: The portal's daily API limit is reached; ...
    """
    try:
        yield
    except RateLimitError as exc:
        if not exc.daily:
            raise
        raise DailyLimitError.from_answer(exc) from None


def stopping_at_the_daily_limit(func: Callable[[], T]) -> Callable[[], T]:
    """``func`` (the property definitions of a fetcher), its daily 429 a :class:`DailyLimitError`.

    Examples
    --------
    >>> def definitions():
    ...     raise RateLimitError("limit", status=429, policy_name="DAILY")
    >>> stopping_at_the_daily_limit(definitions)()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    hubutk_pandas.errors.DailyLimitError: The portal's daily API limit is reached; ...
    """

    def call() -> T:
        with daily_limit_stops():
            return func()

    return call
