"""Dask: ``import hubutk_pandas.dask`` registers ``hubspot`` on dask DataFrames.

For inputs bigger than one machine's memory (a six-month web log of visits). Dask computes
the distinct utks on the cluster; only those reach the client process, which looks them up
through its one paced :class:`~hubutk_pandas.HubSpotClient` (HubSpot's limit is per app:
parallel fetchers would only collide) into a :class:`~hubutk_pandas.LookupDataset`. The
join back to the visits runs in Dask, against the typed properties read back with
:func:`dask.dataframe.read_parquet`.

Needs the ``dask`` extra: ``pip install 'hubutk-pandas[dask]'``.

Examples
--------
>>> import tempfile, dask.dataframe as dd
>>> import hubutk_pandas.dask  # registers ddf.hubspot
>>> visits = dd.from_pandas(pd.DataFrame({"utk": client.sandbox.sample_utks(4) * 3}),
...                         npartitions=2)
>>> enriched = visits.hubspot.enrich("utk", properties=["lifecyclestage"], client=client,
...                                  out=tempfile.mkdtemp(), progress=False)
>>> len(enriched.compute()), list(enriched.columns)
(12, ['utk', 'vid', 'lifecyclestage'])
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

try:
    import dask.dataframe as dd
    from dask.dataframe.extensions import register_dataframe_accessor
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ImportError("hubutk_pandas.dask needs Dask: pip install 'hubutk-pandas[dask]'") from exc

from hubutk_pandas._filemodes import make_folder, make_private
from hubutk_pandas.accessor import (
    _client_or_default,
    check_column,
    enrich_columns,
    enrich_options,
    utk_keys,
)
from hubutk_pandas.options import LookupOptions, Progress, check_controls, takes_lookup_options

if TYPE_CHECKING:  # pragma: no cover - typing only
    from typing_extensions import Unpack

    from hubutk_pandas.client import HubSpotClient
    from hubutk_pandas.dataset import LookupDataset
    from hubutk_pandas.options import LookupOptionsKwargs

__all__ = ["HubSpotDaskAccessor"]

_KEY = "__hubutk_key"


@register_dataframe_accessor("hubspot")
class HubSpotDaskAccessor:
    """HubSpot lookups on a dask DataFrame with a column of utks (see the module docstring).

    Like the pandas accessor it never changes the frame it hangs off; every method needs
    ``out`` (a dataset folder), because a Dask-sized input is looked up to disk.
    """

    def __init__(self, ddf: dd.DataFrame) -> None:
        self._obj = ddf

    def _column(self, column: str) -> dd.Series:
        check_column(self._obj.columns, column)
        return self._obj[column]

    def _distinct(self, column: str) -> Iterator[str]:
        """The distinct cleaned utks, computed on the cluster, one partition at a time."""
        keys = self._column(column).map_partitions(utk_keys, meta=(column, "string"))
        distinct = keys.dropna().drop_duplicates(split_out=max(1, self._obj.npartitions))
        distinct = distinct.persist()  # on the workers; the client takes one partition at a time
        for part in distinct.to_delayed():
            yield from part.compute().tolist()

    @takes_lookup_options
    def lookup_utks(
        self,
        column: str = "utk",
        *,
        out: str | os.PathLike[str],
        client: HubSpotClient | None = None,
        options: LookupOptions | None = None,
        progress: Progress = None,
        refresh: bool = False,
        **kwargs: Unpack[LookupOptionsKwargs],
    ) -> LookupDataset:
        """Look the column's distinct utks up into the dataset at ``out``; return it.

        The distinct utks are computed on the cluster; only they reach this process, and
        one paced client fetches them (HubSpot's limit is per app). Rerunning continues an
        interrupted lookup, as :meth:`HubSpotClient.lookup_utks` with ``out`` does.

        Parameters
        ----------
        column
            The column holding the ``hubspotutk`` cookie values.
        out
            The dataset folder (new, or the same lookup to continue).
        client
            The :class:`~hubutk_pandas.HubSpotClient`; ``None`` builds one from the
            environment.
        options
            A :class:`~hubutk_pandas.LookupOptions`; the option keywords override it.
        <lookup options>

        Returns
        -------
        LookupDataset
        """
        opts = LookupOptions.resolve(options, kwargs)  # checked before any work
        check_controls(progress=progress, refresh=refresh)
        self._column(column)
        found = _client_or_default(client)
        return found.lookup_utks(
            self._distinct(column), options=opts, progress=progress, refresh=refresh, out=out
        )

    def enrich(
        self,
        column: str = "utk",
        *,
        out: str | os.PathLike[str],
        properties: Sequence[str] | None = None,
        client: HubSpotClient | None = None,
        suffix: str = "_hubspot",
        include_deletes: bool = False,
        progress: Progress = None,
        refresh: bool = False,
    ) -> dd.DataFrame:
        """The frame joined (lazily, in Dask) to each utk's ``vid`` and typed properties.

        As the pandas ``df.hubspot.enrich``: every row and column kept, ``vid`` and the
        properties (typed as in ``LookupResult.wide``) beside them, ``<NA>`` where a utk
        matched nothing; a clashing name gets ``suffix``. Row order within the result
        follows Dask's merge (compare sorted). The lookup runs now; the join is lazy.
        """
        opts = enrich_options(properties, include_deletes=include_deletes, suffix=suffix)
        dataset = self.lookup_utks(
            column, out=out, client=client, options=opts, progress=progress, refresh=refresh
        )
        wide = enrich_columns(dataset, properties, self._obj.columns, suffix)
        wide = wide.rename_axis(_KEY).reset_index()
        # One file per (columns, dataset state): a dataset that grows, or is refreshed, gets a
        # new file, so a lazy frame from an earlier call keeps reading what it was built on.
        # Written under a temporary name and renamed, so no reader sees half of it.
        state = [list(wide.columns), dataset.counts, dataset.manifest.get("updated_at")]
        digest = hashlib.sha256(json.dumps(state, default=str).encode()).hexdigest()[:12]
        path = Path(dataset.path) / "_enrich" / f"wide-{digest}.parquet"
        if not path.exists():
            group = dataset.manifest.get("access") == "group"  # else private: 0700 / 0600
            make_folder(path.parent, what="dataset folder", group=group, check=False)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            wide.to_parquet(tmp, index=False)
            make_private(tmp, group=group)
            os.replace(tmp, path)
        typed = dd.read_parquet(str(path))
        keyed = self._obj.assign(
            **{_KEY: self._obj[column].map_partitions(utk_keys, meta=(_KEY, "string"))}
        )
        joined = keyed.merge(typed, on=_KEY, how="left")
        return joined.drop(columns=[_KEY])
