"""Where the lead analytics read a lookup from: a result in memory, or a dataset on disk.

Private to :mod:`hubutk_pandas.lead`. The analytics never read whole frames: they ask a
:class:`LeadSource` for the few rows and columns they need (the ``lifecyclestage``
versions, some properties by name, a few columns of ``contacts``), the distinct stage
values and property names, ``wide()`` of one property and the definitions.

:class:`FaceSource` is the one source. It reads through the lookup's face
(:class:`~hubutk_pandas.face.LookupFace`, which a :class:`~hubutk_pandas.LookupResult`
and a :class:`~hubutk_pandas.LookupDataset` both have): ``to_pandas(name, columns=...,
filters=...)``, ``wide`` and ``definitions``. On a result the filters run in memory; on a
dataset they are pushed into the Parquet reader, part file by part file. The distinct
values are computed with DuckDB when the lookup offers ``sql`` (a dataset), so memory
holds what the analysis needs, not the dataset. This package imports nothing of
:mod:`hubutk_pandas.result` or :mod:`hubutk_pandas.dataset`.

Both kinds of lookup return the same rows, in the lookup's order, with the frames' dtypes:
the analytics give the same answer from either.

Examples
--------
>>> from hubutk_pandas.result import LookupResult
>>> record = {"vid": 7, "properties": {"lifecyclestage": {"value": "lead"},
...                                     "createdate": {"value": "0"}}}
>>> src = as_source(LookupResult.from_records([("u1", record)]))
>>> src.properties_of(["lifecyclestage"])[["vid", "value"]]
   vid value
0    7  lead
>>> sorted(src.property_names()), sorted(src.stage_values("lifecyclestage"))
(['createdate', 'lifecyclestage'], ['lead'])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import pandas as pd

from hubutk_pandas.errors import InvalidOptionError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from typing import TypeAlias

    from hubutk_pandas.face import LookupFace

__all__ = ["FaceSource", "LeadSource", "Lookup", "as_source"]

#: What a lookup must offer to be read (the reading part of the face).
_READS = ("to_pandas", "wide", "definitions")


@runtime_checkable
class LeadSource(Protocol):
    """What the lead analytics read. Every frame keeps the lookup's row order and dtypes."""

    def contacts(self, columns: Sequence[str]) -> pd.DataFrame:
        """Those columns of ``contacts``, every row."""

    def form_submissions(self, columns: Sequence[str]) -> pd.DataFrame:
        """Those columns of ``form_submissions``, every row."""

    def history_of(self, name: str) -> pd.DataFrame:
        """``vid``, ``value``, ``timestamp`` of the ``history`` rows of property ``name``."""

    def properties_of(self, names: Sequence[str]) -> pd.DataFrame:
        """``vid``, ``property``, ``value`` of the ``properties`` rows of these properties."""

    def property_names(self) -> set[str]:
        """The distinct property names of ``properties``."""

    def stage_values(self, name: str) -> set[str]:
        """The distinct non-empty values of property ``name`` in ``history`` and ``properties``."""

    def wide(self, properties: Sequence[str]) -> pd.DataFrame:
        """As :meth:`~hubutk_pandas.result.LookupResult.wide`."""

    def definitions(self) -> Sequence[Mapping[str, Any]]:
        """The property definitions (``[]`` when the lookup has none)."""


#: What the analytics accept: a result in memory or a dataset on disk (anything with the
#: face), or a source of either.
Lookup: TypeAlias = "LookupFace | LeadSource"


class FaceSource:
    """A lookup read through its face: filters and projections handed to ``to_pandas``.

    Each frame read is cached on the source, which lives for one call of an analytic.
    """

    def __init__(self, lookup: Any) -> None:
        self.lookup = lookup
        self._cache: dict[tuple[Any, ...], Any] = {}

    def _read(self, name: str, columns: Sequence[str], filters: Any = None) -> pd.DataFrame:
        key = (name, tuple(columns), repr(filters))
        if key not in self._cache:
            self._cache[key] = self.lookup.to_pandas(name, columns=list(columns), filters=filters)
        return self._cache[key]

    def contacts(self, columns: Sequence[str]) -> pd.DataFrame:
        return self._read("contacts", columns)

    def form_submissions(self, columns: Sequence[str]) -> pd.DataFrame:
        return self._read("form_submissions", columns)

    def history_of(self, name: str) -> pd.DataFrame:
        return self._read("history", ["vid", "value", "timestamp"], [("property", "==", name)])

    def properties_of(self, names: Sequence[str]) -> pd.DataFrame:
        wanted = sorted(set(names))
        if not wanted:  # pyarrow rejects an empty "in"
            return self._read("properties", ["vid", "property", "value"]).iloc[:0]
        return self._read("properties", ["vid", "property", "value"], [("property", "in", wanted)])

    def _sql(self) -> Any:
        """The lookup's DuckDB ``sql`` when it has one (a dataset), else ``None``."""
        sql = getattr(self.lookup, "sql", None)
        return sql if callable(sql) else None

    def property_names(self) -> set[str]:
        key = ("property_names",)
        if key not in self._cache:
            sql = self._sql()
            if sql is not None:
                got = sql("SELECT DISTINCT property FROM properties WHERE property IS NOT NULL")
                names = got["property"]
            else:
                names = self._read("properties", ["property"])["property"].dropna().unique()
            self._cache[key] = {str(p) for p in names}
        return set(self._cache[key])

    def stage_values(self, name: str) -> set[str]:
        key = ("stage_values", name)
        if key not in self._cache:
            sql = self._sql()
            if sql is not None:
                got = sql(
                    "SELECT DISTINCT value FROM history WHERE property = $1 AND value <> '' UNION "
                    "SELECT DISTINCT value FROM properties WHERE property = $1 AND value <> ''",
                    [name],
                )
                values = set(got["value"])
            else:
                values = set(self.history_of(name)["value"].dropna().unique())
                values |= set(self.properties_of([name])["value"].dropna().unique())
            self._cache[key] = {str(v) for v in values if str(v)}
        return set(self._cache[key])

    def wide(self, properties: Sequence[str]) -> pd.DataFrame:
        return self.lookup.wide(list(properties))

    def definitions(self) -> Sequence[Mapping[str, Any]]:
        return list(self.lookup.definitions())


def as_source(result: Any) -> LeadSource:
    """The :class:`LeadSource` of a result or a dataset (a source is returned as is).

    Raises
    ------
    InvalidOptionError
        For anything else, naming what was given.
    """
    if isinstance(result, FaceSource):
        return result
    if all(callable(getattr(result, name, None)) for name in _READS):
        return FaceSource(result)
    raise InvalidOptionError(
        "the lead analytics take a LookupResult (from client.lookup_utks or "
        "df.hubspot.lookup_utks) or a LookupDataset (lookup_utks(..., out=...)), "
        f"got {type(result).__name__}"
    )
