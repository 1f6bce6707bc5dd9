"""The pandas face of hubutk-pandas: ``df.hubspot`` and ``series.hubspot``.

Importing :mod:`hubutk_pandas` registers one namespace, ``hubspot``, on
DataFrame and Series. The accessors are thin: they find the column, check
the options, and hand the work to :class:`~hubutk_pandas.client.HubSpotClient`
and :class:`~hubutk_pandas.result.LookupResult`, which can also be used directly.
They never mutate the frame they hang off.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from hubutk_pandas.credentials import resolve_credential
from hubutk_pandas.errors import InvalidOptionError, MissingColumnError
from hubutk_pandas.lookup import check_sink_arguments
from hubutk_pandas.options import LookupOptions, Progress, check_controls, takes_lookup_options
from hubutk_pandas.utks import normalize_utk

if TYPE_CHECKING:  # pragma: no cover - typing only
    from typing_extensions import Unpack

    from hubutk_pandas.client import HubSpotClient
    from hubutk_pandas.dataset import LookupDataset
    from hubutk_pandas.face import LookupFace
    from hubutk_pandas.options import LookupOptionsKwargs
    from hubutk_pandas.result import LookupResult

__all__ = [
    "HubSpotDataFrameAccessor",
    "HubSpotSeriesAccessor",
    "close_default_clients",
    "default_client",
]


def check_column(columns: Iterable[Any], column: str) -> None:
    """Raise unless ``column`` names one of ``columns`` (a pandas or dask frame's).

    Examples
    --------
    >>> check_column(["utk", "page"], "vid")
    Traceback (most recent call last):
    ...
    hubutk_pandas.errors.MissingColumnError: column 'vid' is not in the frame; its columns are: ...
    """
    if not isinstance(column, str):
        raise InvalidOptionError(f"column must be a column name (str), not {column!r}")
    names = list(columns)
    if column not in names:
        existing = ", ".join(map(repr, names)) or "none"
        raise MissingColumnError(
            f"column {column!r} is not in the frame; its columns are: {existing}"
        )


# -- the enrich core, shared by df.hubspot.enrich and ddf.hubspot.enrich (hubutk_pandas.dask) --


def enrich_options(
    properties: Sequence[str] | None, *, include_deletes: bool, suffix: str
) -> LookupOptions:
    """The lookup an ``enrich`` needs: only those properties, no form submissions.

    Checks ``suffix`` too, so a bad one fails before any request.

    Examples
    --------
    >>> enrich_options(["email"], include_deletes=False, suffix="_hs").form_submission_mode
    'none'
    >>> enrich_options(None, include_deletes=False, suffix="")
    Traceback (most recent call last):
    ...
    hubutk_pandas.errors.InvalidOptionError: suffix must be a non-empty string, not ''
    """
    if not isinstance(suffix, str) or not suffix:
        raise InvalidOptionError(f"suffix must be a non-empty string, not {suffix!r}")
    return LookupOptions(
        properties=properties, form_submission_mode="none", include_deletes=include_deletes
    )


def enrich_columns(
    lookup: LookupFace, properties: Sequence[str] | None, taken: Iterable[Any], suffix: str
) -> pd.DataFrame:
    """The columns ``enrich`` adds, one row per matched utk: ``vid`` and the typed properties.

    From ``lookup.wide(properties)`` (a result or a dataset alike), indexed by the utk (a
    utk matched twice keeps its first row; a row without a utk is dropped); a column whose
    name is in ``taken`` (the caller's columns) gets ``suffix``.

    Examples
    --------
    >>> from hubutk_pandas.result import LookupResult
    >>> rec = {"vid": 1, "properties": {"email": {"value": "a@b.c"}}}
    >>> added = enrich_columns(LookupResult.from_records([("u", rec)]), ["email"],
    ...                        ["utk", "email"], "_hs")
    >>> added
         vid email_hs
    utk
    u      1    a@b.c
    """
    wide = lookup.wide(properties).dropna(subset=["utk"]).drop_duplicates("utk")
    wide = wide.set_index("utk")
    names = set(map(str, taken))
    wide.columns = pd.Index([f"{c}{suffix}" if c in names else c for c in wide.columns])
    return wide


def utk_keys(cells: pd.Series) -> pd.Series:
    """The utk each cell is looked up as (:func:`~hubutk_pandas.utks.normalize_utk`), ``<NA>``
    for an empty cell: what ``enrich`` joins on. Keeps the index.

    Examples
    --------
    >>> utk_keys(pd.Series([" ab12 ", None, ""])).tolist()
    ['ab12', <NA>, <NA>]
    """
    return pd.Series([normalize_utk(c) for c in cells], index=cells.index, dtype="string")


# The one process-wide registry of the package: the default clients of the accessors,
# one per credential and base URL, so back-to-back calls without client= share one pacer
# (a fresh pacer starts with a full window that the previous call had just used: 429s)
# and one cache. close_default_clients() empties it.
_defaults: dict[str, HubSpotClient] = {}
_defaults_lock = threading.Lock()


def default_client() -> HubSpotClient:
    """The client of the environment's credential and base URL: made once, then reused.

    What the accessors use without ``client=``. Keyed by a hash of the credential
    (``HUBSPOT_ACCESS_TOKEN``, else ``HUBSPOT_API_KEY``) and ``HUBSPOT_BASE_URL``: another
    credential or portal gets a client of its own, so answers never cross them. A closed
    one is replaced. Without a credential: :class:`~hubutk_pandas.CredentialsError`.

    Examples
    --------
    >>> default_client()  # no HUBSPOT_ACCESS_TOKEN in this environment  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    hubutk_pandas.errors.CredentialsError: No HubSpot credential. ...HUBSPOT_ACCESS_TOKEN...
    """
    from hubutk_pandas.client import HubSpotClient

    kind, secret = resolve_credential(None, None)
    where = os.environ.get("HUBSPOT_BASE_URL", "").strip()
    key = hashlib.sha256(f"{kind}\0{secret}\0{where}".encode()).hexdigest()
    with _defaults_lock:
        found = _defaults.get(key)
        if found is None or found.closed:
            found = _defaults[key] = HubSpotClient()
        return found


def close_default_clients() -> None:
    """Close and forget the default clients (to release their files; tests start afresh).

    Examples
    --------
    >>> close_default_clients()
    """
    with _defaults_lock:
        made = list(_defaults.values())
        _defaults.clear()
    for made_client in made:
        made_client.close()


def _client_or_default(client: HubSpotClient | None) -> HubSpotClient:
    """Return ``client``, or the :func:`default_client` of the environment."""
    from hubutk_pandas.client import HubSpotClient

    if client is None:
        return default_client()
    if not isinstance(client, HubSpotClient):
        raise InvalidOptionError(
            f"client must be a HubSpotClient or None, not {type(client).__name__}"
        )
    return client


def _lookup(
    utks: pd.Series,
    *,
    client: HubSpotClient | None,
    options: LookupOptions | None,
    overrides: dict[str, Any],
    progress: Progress,
    refresh: bool,
    out: str | os.PathLike[str] | None = None,
) -> LookupResult | LookupDataset:
    # Options are checked before a client is even built, so a typo never costs a request
    # (and never hides behind a missing-credentials error).
    opts = LookupOptions.resolve(options, overrides)
    check_controls(progress=progress, refresh=refresh)
    check_sink_arguments(out=out, refresh=refresh)
    return _client_or_default(client).lookup_utks(
        utks, options=opts, progress=progress, refresh=refresh, out=out
    )


@pd.api.extensions.register_dataframe_accessor("hubspot")
class HubSpotDataFrameAccessor:
    """HubSpot lookups on a DataFrame that has a column of visitor tokens (utks).

    Methods
    -------
    lookup_utks(column="utk", ...)
        Look the column's utks up and return a :class:`~hubutk_pandas.LookupResult`.
    enrich(column="utk", properties=None, ...)
        Return a copy of the frame with typed contact properties beside each row.

    Examples
    --------
    >>> import pandas as pd, hubutk_pandas
    >>> client = hubutk_pandas.connect()          # sandbox unless HUBSPOT_ACCESS_TOKEN is set
    >>> df = pd.DataFrame({"utk": client.sandbox.sample_utks(3)})
    >>> result = df.hubspot.lookup_utks("utk", client=client)
    >>> len(result.contacts)
    3
    """

    def __init__(self, pandas_obj: pd.DataFrame) -> None:
        self._obj = pandas_obj

    def _column(self, column: str) -> pd.Series:
        check_column(self._obj.columns, column)
        found = self._obj[column]
        if isinstance(found, pd.DataFrame):
            raise InvalidOptionError(f"column {column!r} is not unique in the frame")
        return found

    @takes_lookup_options
    def lookup_utks(
        self,
        column: str = "utk",
        *,
        client: HubSpotClient | None = None,
        options: LookupOptions | None = None,
        progress: Progress = None,
        refresh: bool = False,
        out: str | os.PathLike[str] | None = None,
        **kwargs: Unpack[LookupOptionsKwargs],
    ) -> LookupResult | LookupDataset:
        """Look up the utks in ``column`` and return their lead intelligence as tidy frames.

        Blank cells, missing values and surrounding whitespace are cleaned away and
        duplicates are looked up once. Values that cannot be utks are not sent; they
        are listed in ``result.missing`` with the reason ``"invalid"``, next to the
        utks HubSpot did not know (``"not_found"``). This method does not mutate
        the original DataFrame.

        Parameters
        ----------
        column
            The column holding the ``hubspotutk`` cookie values.
        client
            The :class:`~hubutk_pandas.HubSpotClient` to use. ``None``: the
            :func:`default_client` of ``HUBSPOT_ACCESS_TOKEN`` (or ``HUBSPOT_API_KEY``) and
            ``HUBSPOT_BASE_URL``, made on the first call and shared by the next (one pacer,
            one cache).
        options
            A :class:`~hubutk_pandas.LookupOptions` to start from; the option keywords
            below override its values.
        <lookup options>
        out
            A folder: stream the lookup to a Parquet dataset there, with bounded memory,
            and return the :class:`~hubutk_pandas.LookupDataset` (rerun to resume; see
            :meth:`HubSpotClient.lookup_utks`).

        Returns
        -------
        LookupResult
            Or, with ``out``, the :class:`~hubutk_pandas.LookupDataset`.

        Raises
        ------
        KeyError
            ``column`` is not in the frame (the message lists the columns that are).
        TypeError
            An unknown keyword (a misspelt option).
        InvalidOptionError
            An option is invalid (raised before any request is sent; also a ValueError).
        hubutk_pandas.LookupFailedError
            Some batches failed after retries; ``.partial`` keeps what succeeded.

        Examples
        --------
        >>> result = df.hubspot.lookup_utks("utk", client=client,
        ...                                 property_mode="value_and_history")
        >>> sorted(result.frames)[:3]
        ['companies', 'contacts', 'form_submissions']
        """
        series = self._column(column)
        return _lookup(
            series,
            client=client,
            options=options,
            overrides=dict(kwargs),
            progress=progress,
            refresh=refresh,
            out=out,
        )

    def enrich(
        self,
        column: str = "utk",
        *,
        properties: Sequence[str] | None = None,
        client: HubSpotClient | None = None,
        suffix: str = "_hubspot",
        include_deletes: bool = False,
        progress: Progress = None,
        refresh: bool = False,
    ) -> pd.DataFrame:
        """Return a copy of the frame with typed contact properties beside each row.

        Every input row and column is kept, in order and with its index; the
        contact's ``vid`` and the requested properties (typed as in
        :meth:`LookupResult.wide`) are joined on the cleaned utk. Rows whose utk
        matched nothing, or was blank, get missing values. A property column
        whose name is already taken gets ``suffix``. Made for method chains; this
        method does not mutate the original DataFrame.

        Parameters
        ----------
        column
            The column holding the ``hubspotutk`` cookie values.
        properties
            Property names to add; ``None`` adds every property any contact has.
        client
            As in :meth:`lookup_utks`.
        suffix
            Appended to added column names that clash with existing ones.
        include_deletes, progress, refresh
            As in :meth:`lookup_utks`.

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> enriched = (df.assign(seen=1)
        ...               .hubspot.enrich("utk", properties=["email", "lifecyclestage"],
        ...                               client=client))
        >>> list(enriched.columns)
        ['utk', 'seen', 'vid', 'email', 'lifecyclestage']
        """
        opts = enrich_options(properties, include_deletes=include_deletes, suffix=suffix)
        series = self._column(column)
        result = _lookup(
            series, client=client, options=opts, overrides={}, progress=progress, refresh=refresh
        )
        added = enrich_columns(result, properties, self._obj.columns, suffix)
        added = added.reindex(pd.Index(utk_keys(series), dtype="string"))
        added.index = self._obj.index
        return pd.concat([self._obj, added], axis=1)


@pd.api.extensions.register_series_accessor("hubspot")
class HubSpotSeriesAccessor:
    """HubSpot lookups on a Series of visitor tokens (utks).

    Examples
    --------
    >>> result = pd.Series(client.sandbox.sample_utks(2)).hubspot.lookup_utks(client=client)
    >>> len(result.contacts)
    2
    """

    def __init__(self, pandas_obj: pd.Series) -> None:
        self._obj = pandas_obj

    @takes_lookup_options
    def lookup_utks(
        self,
        *,
        client: HubSpotClient | None = None,
        options: LookupOptions | None = None,
        progress: Progress = None,
        refresh: bool = False,
        out: str | os.PathLike[str] | None = None,
        **kwargs: Unpack[LookupOptionsKwargs],
    ) -> LookupResult | LookupDataset:
        """Look up the Series' utks; see :meth:`HubSpotDataFrameAccessor.lookup_utks`.

        Parameters
        ----------
        client
            As in :meth:`HubSpotDataFrameAccessor.lookup_utks`.
        options
            A :class:`~hubutk_pandas.LookupOptions`; the option keywords override it.
        <lookup options>

        Examples
        --------
        >>> pd.Series(["  ", None]).hubspot.lookup_utks(client=client).contacts.empty
        True
        """
        return _lookup(
            self._obj,
            client=client,
            options=options,
            overrides=dict(kwargs),
            progress=progress,
            refresh=refresh,
            out=out,
        )
