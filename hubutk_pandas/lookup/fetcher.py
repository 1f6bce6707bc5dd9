"""The :class:`Fetcher` protocol: what the lookup pipeline asks of a client.

The pipeline (:mod:`hubutk_pandas.lookup`) plans, fans out, assembles and fails; it never
sees a credential, a session or a cache file. Everything that does goes through these
few members, which :class:`~hubutk_pandas.HubSpotClient` provides as ``client.fetcher``
(cached, paced and retried HTTP; the per-utk record store).

Examples
--------
A fetcher of one's own (here: a fixed portal in memory) runs the same pipeline:

>>> from hubutk_pandas import LookupOptions
>>> from hubutk_pandas.lookup import lookup_to_result
>>> class Fixed:
...     source, max_workers, max_url_length = "memory://", 1, 8000
...     def fixed_url_length(self, endpoint, query): return 100
...     def get_batch(self, endpoint, params, *, refresh, cache, typed=False):
...         return {u: {"vid": 1} for name, u in params if name == "utk" and u == "known"}
...     def recall(self, options, utks, *, typed=False): return {}
...     def stored(self, options, utks): return set()
...     def remember(self, options, found): pass
...     def property_definitions(self): return []
...     def credential_fingerprint(self, salt): return "fixed"
...     def portal_id(self): return 1
>>> result = lookup_to_result(Fixed(), ["known", "other"], LookupOptions(), progress=False)
>>> result.contacts["vid"].tolist(), result.missing["reason"].tolist()
([1], ['not_found'])
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Protocol

from hubutk_pandas.options import Endpoint, LookupOptions

__all__ = ["Fetcher", "Query"]

Query = Sequence[tuple[str, str]]
"""Query parameters, in order (``utk`` may repeat)."""


class Fetcher(Protocol):
    """A client's side of a lookup: one batch request, the URL budget, the record store.

    Every method may raise :class:`~hubutk_pandas.errors.HubSpotError` (a refused or failed
    request, a failing cache); the pipeline keeps what other batches got. ``get_batch`` is
    called from worker threads, at most :attr:`max_workers` at a time.
    """

    @property
    def source(self) -> str:
        """The API's base URL (a dataset records it and refuses another)."""
        ...

    @property
    def max_workers(self) -> int:
        """Batches sent at once."""
        ...

    @property
    def max_url_length(self) -> int:
        """The longest URL to send."""
        ...

    def fixed_url_length(self, endpoint: Endpoint, query: Query) -> int:
        """The length of a request's URL with ``query`` but no ``utk`` (credential included)."""
        ...

    def get_batch(
        self, endpoint: Endpoint, params: Query, *, refresh: bool, cache: bool,
        typed: bool = False,
    ) -> dict[str, Any]:  # fmt: skip
        """HubSpot's answer to one batch request: key -> record (utks matching nothing absent).

        It may be a :class:`~hubutk_pandas._json.SentObject`, which keeps the text it was
        decoded from: the records are then passed to :meth:`remember` as sent.
        ``typed=True``: each record's properties may be :class:`~hubutk_pandas._typed.Entry`
        objects (the lookups ask for it; ``fetch_batch`` gives plain dicts).

        ``cache=False``: neither read nor write any cache (a dataset is its own state);
        ``refresh=True``: fetch again and store what comes back.
        """
        ...

    def recall(
        self, options: LookupOptions, utks: Sequence[str], *, typed: bool = False
    ) -> Mapping[str, Mapping[str, Any] | str | None]:
        """Stored ``byUtk`` answers: utk -> the record, or ``None`` (not found).

        A record is a decoded JSON object, or its JSON text (the frames build decodes it).
        ``typed=True``: its properties may be :class:`~hubutk_pandas._typed.Entry`
        objects, as in :meth:`get_batch`.

        Utks without a fresh stored answer are absent; no store: ``{}``.
        """
        ...

    def stored(self, options: LookupOptions, utks: Sequence[str]) -> Collection[str]:
        """Which of ``utks`` have a stored ``byUtk`` answer; no store: none.

        A cheap guess from the store's index (it decides which utks the lookup asks of
        HubSpot, and when it reads the rest): :meth:`recall` may still miss some of them
        (a damaged or expired row), which the lookup then fetches after the others.
        """
        ...

    def remember(self, options: LookupOptions, found: Mapping[str, Any]) -> None:
        """Store ``byUtk`` answers; no store: no-op.

        utk -> the record (a decoded JSON object, or its JSON text as HubSpot sent it), or
        ``None`` for not found.
        """
        ...

    def property_definitions(self) -> list[dict[str, Any]]:
        """The portal's contact property definitions (the raw JSON list)."""
        ...

    def credential_fingerprint(self, salt: bytes) -> str:
        """A salted hash standing for the credential (never the credential itself).

        A dataset keeps its own ``salt`` and the fingerprint it gave, and refuses a lookup
        whose credential gives another.
        """
        ...

    def portal_id(self) -> int | None:
        """The credential's portal (HubSpot's account details), or ``None`` if it cannot say.

        A dataset records it when it is made, so that it knows its portal even when no
        utk matched.
        """
        ...
