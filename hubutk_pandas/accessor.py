"""The pandas face of hubutk-pandas: ``df.hubspot`` and ``series.hubspot``.

Importing :mod:`hubutk_pandas` registers one namespace, ``hubspot``, on
DataFrame and Series. The accessors are thin: they find the column, check
the options, and hand the work to :class:`~hubutk_pandas.client.HubSpotClient`
and :class:`~hubutk_pandas.result.LookupResult`, which can also be used directly.
They never mutate the frame they hang off.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from hubutk_pandas.errors import InvalidOptionError
from hubutk_pandas.lookup import check_sink_arguments
from hubutk_pandas.options import LookupOptions, Progress, check_controls, takes_lookup_options
from hubutk_pandas.utks import normalize_utk

if TYPE_CHECKING:  # pragma: no cover - typing only
    from typing_extensions import Unpack

    from hubutk_pandas.client import HubSpotClient
    from hubutk_pandas.dataset import LookupDataset
    from hubutk_pandas.options import LookupOptionsKwargs
    from hubutk_pandas.result import LookupResult

__all__ = ["HubSpotDataFrameAccessor", "HubSpotSeriesAccessor"]


def check_column(columns: Iterable[Any], column: str) -> None:
    """Raise unless ``column`` names one of ``columns`` (a pandas or dask frame's).

    Examples
    --------
    >>> check_column(["utk", "page"], "vid")
    Traceback (most recent call last):
    ...
    KeyError: "column 'vid' is not in the frame; its columns are: 'utk', 'page'"
    """
    if not isinstance(column, str):
        raise InvalidOptionError(f"column must be a column name (str), not {column!r}")
    names = list(columns)
    if column not in names:
        existing = ", ".join(map(repr, names)) or "none"
        raise KeyError(f"column {column!r} is not in the frame; its columns are: {existing}")


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
            The :class:`~hubutk_pandas.HubSpotClient` to use. ``None`` builds one from
            ``HUBSPOT_ACCESS_TOKEN`` (or ``HUBSPOT_API_KEY``) and ``HUBSPOT_BASE_URL``.
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
        if not isinstance(suffix, str) or not suffix:
            raise InvalidOptionError(f"suffix must be a non-empty string, not {suffix!r}")
        series = self._column(column)
        # Only what the added columns need: no form submissions, keyed by utk.
        result = _lookup(
            series,
            client=client,
            options=LookupOptions(
                properties=properties, form_submission_mode="none", include_deletes=include_deletes
            ),
            overrides={},
            progress=progress,
            refresh=refresh,
        )
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
