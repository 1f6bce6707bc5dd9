"""The pandas face of hubutk-pandas: ``df.hubspot`` and ``series.hubspot``.

Importing :mod:`hubutk_pandas` registers one namespace, ``hubspot``, on
DataFrame and Series. The accessors are thin: they find the column, check
the options, and hand the work to :class:`~hubutk_pandas.client.HubSpotClient`
and :class:`~hubutk_pandas.result.LookupResult`, which can also be used directly.
They never mutate the frame they hang off.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from hubutk_pandas.errors import InvalidOptionError
from hubutk_pandas.utks import normalize_utk

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hubutk_pandas.client import HubSpotClient
    from hubutk_pandas.dataset import LookupDataset
    from hubutk_pandas.result import LookupResult
    from hubutk_pandas.settings import ProgressCallback

__all__ = ["HubSpotDataFrameAccessor", "HubSpotSeriesAccessor"]


def _client_or_default(client: HubSpotClient | None) -> HubSpotClient:
    """Return ``client``, or build one from ``HUBSPOT_ACCESS_TOKEN`` / ``HUBSPOT_API_KEY``."""
    from hubutk_pandas.client import HubSpotClient

    if client is None:
        return HubSpotClient()
    if not isinstance(client, HubSpotClient):
        raise InvalidOptionError(
            f"client must be a HubSpotClient or None, not {type(client).__name__}"
        )
    return client


def _lookup(
    utks: pd.Series,
    *,
    client: HubSpotClient | None,
    options: dict[str, Any],
    out: str | os.PathLike[str] | None = None,
) -> Any:
    from hubutk_pandas.client import HubSpotClient

    # Options are checked before a client is even built, so a typo never costs a request
    # (and never hides behind a missing-credentials error).
    HubSpotClient.validate_options(**options)
    return _client_or_default(client).lookup_utks(utks, **options, out=out)


def _options(
    properties: Sequence[str] | None,
    property_mode: str,
    form_submission_mode: str,
    show_list_memberships: bool,
    include_deletes: bool,
    endpoint: str,
    progress: bool | ProgressCallback | None,
    refresh: bool,
) -> dict[str, Any]:
    return {
        "properties": properties,
        "property_mode": property_mode,
        "form_submission_mode": form_submission_mode,
        "show_list_memberships": show_list_memberships,
        "include_deletes": include_deletes,
        "endpoint": endpoint,
        "progress": progress,
        "refresh": refresh,
    }


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
        if not isinstance(column, str):
            raise InvalidOptionError(f"column must be a column name (str), not {column!r}")
        if column not in self._obj.columns:
            existing = ", ".join(map(repr, self._obj.columns)) or "none"
            raise KeyError(f"column {column!r} is not in the frame; its columns are: {existing}")
        found = self._obj[column]
        if isinstance(found, pd.DataFrame):
            raise InvalidOptionError(f"column {column!r} is not unique in the frame")
        return found

    def lookup_utks(
        self,
        column: str = "utk",
        *,
        client: HubSpotClient | None = None,
        properties: Sequence[str] | None = None,
        property_mode: str = "value_only",
        form_submission_mode: str = "newest",
        show_list_memberships: bool = False,
        include_deletes: bool = False,
        endpoint: str = "byUtk",
        progress: bool | ProgressCallback | None = None,
        refresh: bool = False,
        out: str | os.PathLike[str] | None = None,
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
            The :class:`~hubutk_pandas.HubSpotClient` to use. ``None`` builds one from
            ``HUBSPOT_ACCESS_TOKEN`` (or ``HUBSPOT_API_KEY``) and ``HUBSPOT_BASE_URL``.
        properties
            Property names to fetch; ``None`` fetches every valued property.
        property_mode
            ``"value_only"`` or ``"value_and_history"`` (fills ``result.history``).
        form_submission_mode
            ``"newest"``, ``"oldest"``, ``"all"`` or ``"none"``.
        show_list_memberships
            Fetch list memberships (HubSpot stopped returning them on 2026-04-30).
        include_deletes
            Also return deleted contacts.
        endpoint
            ``"byUtk"`` (keyed by utk; the default) or ``"utks"``, the older endpoint
            keyed by contact id. HubSpot's ``utks`` answer does not say which utk
            matched which contact, so ``result.contacts.utk`` is filled only where that
            is certain (a batch of one utk) and is ``<NA>`` elsewhere; likewise only a
            batch of one utk can list its utk in ``result.missing`` as ``not_found``.
        progress
            Show a progress bar: ``None`` when more than one batch is sent, ``True``
            always, ``False`` never; or a callable ``progress(done, total)`` called with
            the number of batches sent so far (instead of the bar).
        refresh
            Ignore cached answers and fetch again.
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
        ValueError
            An option is invalid (raised before any request is sent).
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
        options = _options(
            properties,
            property_mode,
            form_submission_mode,
            show_list_memberships,
            include_deletes,
            endpoint,
            progress,
            refresh,
        )
        return _lookup(series, client=client, options=options, out=out)

    def enrich(
        self,
        column: str = "utk",
        *,
        properties: Sequence[str] | None = None,
        client: HubSpotClient | None = None,
        suffix: str = "_hubspot",
        include_deletes: bool = False,
        progress: bool | ProgressCallback | None = None,
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
        if not isinstance(suffix, str) or not suffix:
            raise InvalidOptionError(f"suffix must be a non-empty string, not {suffix!r}")
        series = self._column(column)
        options = _options(
            properties, "value_only", "none", False, include_deletes, "byUtk", progress, refresh
        )
        result = _lookup(series, client=client, options=options)
        wide = result.wide(properties=properties).drop_duplicates("utk").set_index("utk")
        keys = pd.Index([normalize_utk(cell) for cell in series], dtype="string")
        added = wide.reindex(keys)
        added.index = self._obj.index
        taken = set(map(str, self._obj.columns))
        added.columns = [f"{name}{suffix}" if name in taken else name for name in added.columns]
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

    def lookup_utks(
        self,
        *,
        client: HubSpotClient | None = None,
        properties: Sequence[str] | None = None,
        property_mode: str = "value_only",
        form_submission_mode: str = "newest",
        show_list_memberships: bool = False,
        include_deletes: bool = False,
        endpoint: str = "byUtk",
        progress: bool | ProgressCallback | None = None,
        refresh: bool = False,
        out: str | os.PathLike[str] | None = None,
    ) -> LookupResult | LookupDataset:
        """Look up the Series' utks; see :meth:`HubSpotDataFrameAccessor.lookup_utks`.

        Examples
        --------
        >>> pd.Series(["  ", None]).hubspot.lookup_utks(client=client).contacts.empty
        True
        """
        options = _options(
            properties,
            property_mode,
            form_submission_mode,
            show_list_memberships,
            include_deletes,
            endpoint,
            progress,
            refresh,
        )
        return _lookup(self._obj, client=client, options=options, out=out)
