"""The package's exceptions: one base class and a small, flat hierarchy.

Every error the package raises on purpose derives from :class:`HubSpotError`,
so ``except hubutk_pandas.HubSpotError`` catches all of them. Messages never
contain a credential: the client redacts them before an error is built. This module
imports nothing of the package: every other module may import it.

Examples
--------
>>> from hubutk_pandas.errors import BadRequestError, HubSpotError
>>> err = BadRequestError("URI too long", status=414)
>>> isinstance(err, HubSpotError), err.status
(True, 414)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "CacheError",
    "CredentialsError",
    "DailyLimitError",
    "DatasetError",
    "DatasetInUseError",
    "HubSpotAPIError",
    "HubSpotError",
    "InputError",
    "InvalidOptionError",
    "LookupFailedError",
    "MissingColumnError",
    "MissingScopesError",
    "RateLimitError",
    "ServerError",
]


class HubSpotError(Exception):
    """Base class of every error raised by hubutk-pandas.

    Parameters
    ----------
    message
        What went wrong, in words an analyst can act on.
    status
        The HTTP status of HubSpot's answer, when there was one.
    category
        HubSpot's ``category`` (for example ``INVALID_AUTHENTICATION``).
    correlation_id
        HubSpot's ``correlationId``, to quote to HubSpot support.
    policy_name
        HubSpot's ``policyName`` on rate-limit answers (``TEN_SECONDLY_ROLLING``, ``DAILY``).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        category: str | None = None,
        correlation_id: str | None = None,
        policy_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.message = message
        self.status = status
        self.category = category
        self.correlation_id = correlation_id
        self.policy_name = policy_name

    def __str__(self) -> str:
        parts = [self.message]
        details = []
        if self.status is not None:
            details.append(f"HTTP {self.status}")
        if self.category:
            details.append(f"category={self.category}")
        if self.policy_name:
            details.append(f"policy={self.policy_name}")
        if self.correlation_id:
            details.append(f"correlationId={self.correlation_id}")
        if details:
            parts.append(f"({', '.join(details)})")
        return " ".join(parts)


class InvalidOptionError(HubSpotError, ValueError):
    """An argument has a value the package does not accept.

    Raised before any request is sent. It is also a :class:`ValueError`.
    """

    @classmethod
    def for_value(cls, name: str, value: Any, valid: str | Sequence[Any]) -> InvalidOptionError:
        """The error for argument ``name`` whose ``value`` is refused.

        ``valid`` says what is accepted: a sentence, or the sequence of valid values.

        Examples
        --------
        >>> str(InvalidOptionError.for_value("max_workers", 0, "use an integer >= 1"))
        'max_workers=0 is not valid; use an integer >= 1'
        >>> str(InvalidOptionError.for_value("format", "xls", ("parquet", "csv")))
        "format='xls' is not valid; choose from 'parquet', 'csv'"
        """
        if not isinstance(valid, str):
            valid = "choose from " + ", ".join(map(repr, valid))
        return cls(f"{name}={value!r} is not valid; {valid}")


class InputError(HubSpotError, ValueError):
    """An input cannot be read as given: a file of an unknown kind, broken content, mixed layouts.

    Also a ``ValueError``. Raised before any request, with the file named.
    """


class MissingColumnError(InputError, KeyError):
    """The frame or file has no column of that name; the message lists the columns it has.

    Also a ``KeyError``, as pandas raises for a missing column.
    """


class CredentialsError(HubSpotError):
    """No credential was given and none was found in the environment."""


class CacheError(HubSpotError):
    """The local cache (HTTP cache, record store or salt) in ``folder`` failed.

    A full disk, a locked or damaged database file, a folder that cannot be written.
    Nothing was wrong with HubSpot's answers. The message names the folder and the
    underlying error (kept as ``__cause__``).

    Examples
    --------
    >>> from pathlib import Path
    >>> err = CacheError.from_exception(Path("/tmp/c"), OSError(28, "No space left on device"))
    >>> print(err)  # doctest: +NORMALIZE_WHITESPACE
    The local cache in /tmp/c failed (OSError: [Errno 28] No space left on device). Free
    some disk space, close other programs using that folder, or pass cache=False or
    another cache folder.
    """

    def __init__(self, message: str, *, folder: Path | str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.folder = folder

    @classmethod
    def from_exception(cls, folder: Path | str | None, exc: BaseException) -> CacheError:
        """The error for ``exc`` raised by the cache in ``folder`` (``None``: in memory)."""
        where = f"in {folder}" if folder is not None else "in memory"
        return cls(
            f"The local cache {where} failed ({type(exc).__name__}: {exc}). Free some disk "
            "space, close other programs using that folder, or pass cache=False or another "
            "cache folder.",
            folder=folder,
        )


class HubSpotAPIError(HubSpotError):
    """HubSpot (or the sandbox) answered with an error status."""


class AuthenticationError(HubSpotAPIError):
    """401 or 403: the token or key is invalid, expired, or lacks a scope. Not retried."""


class MissingScopesError(AuthenticationError):
    """403 ``MISSING_SCOPES``: the credential lacks a scope; ``scopes`` names the ones missing.

    The message says how to add them (a Service Key's scopes are under
    **Development > Keys** in HubSpot). Not retried.

    Examples
    --------
    >>> err = MissingScopesError("no lists", status=403, scopes=["crm.lists.read"])
    >>> isinstance(err, AuthenticationError), err.scopes
    (True, ('crm.lists.read',))
    """

    def __init__(self, message: str, *, scopes: Sequence[str] = (), **kwargs: Any) -> None:
        kwargs.setdefault("category", "MISSING_SCOPES")
        super().__init__(message, **kwargs)
        self.scopes: tuple[str, ...] = tuple(scopes)


class BadRequestError(HubSpotAPIError):
    """400, 404, 414 or another 4xx answer. Not retried."""


class ServerError(HubSpotAPIError):
    """5xx answers, dropped connections, timeouts or broken bodies that outlasted the retries."""


class RateLimitError(HubSpotAPIError):
    """A 429 that outlasted the retries; or, with :attr:`daily`, HubSpot's daily limit."""

    @property
    def daily(self) -> bool:
        """Whether this is the portal's daily limit (``policyName: DAILY``): no retry helps.

        Examples
        --------
        >>> RateLimitError("limit", status=429, policy_name="DAILY").daily
        True
        """
        return (self.policy_name or "").upper() == "DAILY"


Partial = TypeVar("Partial")
"""What a failed lookup kept: a ``LookupResult`` (in memory) or a ``LookupDataset`` (``out=``)."""


class LookupFailedError(HubSpotError, Generic[Partial]):
    """Some batches of a lookup failed; what succeeded is kept.

    Built only by the lookup pipeline (:mod:`hubutk_pandas.lookup`), always with HubSpot's
    status, category and correlation id of the first error and every error in ``errors``.

    Attributes
    ----------
    partial : LookupResult or LookupDataset
        Everything that was fetched before or despite the failure: the in-memory
        :class:`~hubutk_pandas.LookupResult`, or with ``out=`` the readable, incomplete
        :class:`~hubutk_pandas.LookupDataset`.
    failed_utks : list of str
        The utks whose batches failed. With the cache on and ``endpoint="byUtk"``
        (the defaults), rerunning the lookup fetches only these, because the
        succeeded ones are in the record store.
    errors : list of HubSpotError
        The last error of each failed batch.
    """

    def __init__(
        self,
        message: str,
        *,
        partial: Partial | None = None,
        failed_utks: Sequence[str] = (),
        errors: Sequence[HubSpotError] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.partial = partial
        self.failed_utks = list(failed_utks)
        self.errors = list(errors)


class DailyLimitError(LookupFailedError[Partial], RateLimitError):
    """The portal's daily request limit is reached (a 429 with ``policyName: DAILY``).

    Not retried: the limit resets at midnight in the portal's time zone. Like
    :class:`LookupFailedError` it carries ``.partial`` and ``.failed_utks``. Built only by
    the lookup pipeline (:mod:`hubutk_pandas.lookup`), through :meth:`from_answer`.
    """

    @classmethod
    def from_answer(
        cls,
        answer: HubSpotError,
        *,
        partial: Partial | None = None,
        failed_utks: Sequence[str] = (),
        errors: Sequence[HubSpotError] = (),
        detail: str = "",
    ) -> DailyLimitError[Partial]:
        """The error for HubSpot's daily 429 ``answer``; with what a lookup kept, if any.

        ``detail`` ends the message (what the sink kept and how to continue).

        Examples
        --------
        >>> answer = RateLimitError("daily", status=429, policy_name="DAILY", correlation_id="c1")
        >>> print(DailyLimitError.from_answer(answer, failed_utks=["u1"]))  # doctest: +ELLIPSIS
        The portal's daily API limit is reached; ... 1 utks were not fetched; see .partial ...
        """
        message = (
            "The portal's daily API limit is reached; it resets at midnight in the portal's "
            "time zone."
        )
        if failed_utks:
            message += f" {len(failed_utks)} utks were not fetched; see .partial and .failed_utks."
        message += detail
        return cls(
            message,
            partial=partial,
            failed_utks=failed_utks,
            errors=errors,
            status=429,
            category=answer.category,
            correlation_id=answer.correlation_id,
            policy_name="DAILY",
        )


class DatasetError(HubSpotError):
    """A lookup dataset on disk cannot be used as asked (see :mod:`hubutk_pandas.dataset`).

    Raised, before anything is written, for a folder that is not a dataset or a dataset
    written with other options or from another portal; and for a full disk, after which
    every part written before stays readable and a rerun continues.
    """


class DatasetInUseError(DatasetError):
    """Another process is writing the same dataset right now."""
