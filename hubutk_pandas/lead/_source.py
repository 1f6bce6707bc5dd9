"""Where the lead analytics read a lookup from: a result in memory, or a dataset on disk.

Private to :mod:`hubutk_pandas.lead`. The analytics never read whole frames: they ask a
:class:`LeadSource` for the few rows and columns they need (the ``lifecyclestage``
versions, some properties by name, a few columns of ``contacts``), the distinct stage
values and property names, ``wide()`` of one property and the definitions.

- :class:`ResultSource` filters the frames of a :class:`~hubutk_pandas.result.LookupResult`
  in memory.
- :class:`DatasetSource` pushes the same filters and projections into the Parquet reader
  of a :class:`~hubutk_pandas.dataset.LookupDataset` (``to_pandas(name, columns=...,
  filters=...)``) and computes the distinct values in DuckDB (``sql``), so memory holds
  what the analysis needs, not the dataset. A dataset is recognised by what it offers
  (``to_pandas``, ``sql``, ``wide``, ``definitions``), so this package imports nothing
  of :mod:`hubutk_pandas.dataset`.

Both return the same rows, in the lookup's order, with the frames' dtypes: the analytics
give the same answer from either.

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

    from hubutk_pandas.dataset import LookupDataset
    from hubutk_pandas.result import LookupResult

__all__ = ["DatasetSource", "LeadSource", "Lookup", "ResultSource", "as_source"]

_FRAMES = ("contacts", "properties", "history", "form_submissions")


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
        """The property definitions (may raise :class:`~hubutk_pandas.errors.HubSpotError`)."""


#: What the analytics accept: a result in memory, a dataset on disk, or a source of either.
Lookup: TypeAlias = "LookupResult | LookupDataset | LeadSource"


class ResultSource:
    """A :class:`~hubutk_pandas.result.LookupResult` in memory, filtered with pandas."""

    def __init__(self, result: Any) -> None:
        self.result = result

    def contacts(self, columns: Sequence[str]) -> pd.DataFrame:
        return self.result.contacts[list(columns)]

    def form_submissions(self, columns: Sequence[str]) -> pd.DataFrame:
        return self.result.form_submissions[list(columns)]

    def history_of(self, name: str) -> pd.DataFrame:
        history = self.result.history
        return history.loc[history["property"] == name, ["vid", "value", "timestamp"]]

    def properties_of(self, names: Sequence[str]) -> pd.DataFrame:
        props = self.result.properties
        return props.loc[props["property"].isin(list(names)), ["vid", "property", "value"]]

    def property_names(self) -> set[str]:
        return set(self.result.properties["property"].dropna().astype(str).unique())

    def stage_values(self, name: str) -> set[str]:
        seen: set[str] = set()
        for frame in (self.result.history, self.result.properties):
            values = frame.loc[frame["property"] == name, "value"].dropna()
            seen.update(str(v) for v in values.unique() if str(v))
        return seen

    def wide(self, properties: Sequence[str]) -> pd.DataFrame:
        return self.result.wide(list(properties))

    def definitions(self) -> Sequence[Mapping[str, Any]]:
        return list(self.result.definitions())


class DatasetSource:
    """A :class:`~hubutk_pandas.dataset.LookupDataset`: filters pushed into the reader.

    Each frame read is cached on the source, which lives for one call of an analytic.
    """

    def __init__(self, dataset: Any) -> None:
        self.dataset = dataset
        self._cache: dict[tuple[Any, ...], Any] = {}

    def _read(self, name: str, columns: Sequence[str], filters: Any = None) -> pd.DataFrame:
        key = (name, tuple(columns), repr(filters))
        if key not in self._cache:
            self._cache[key] = self.dataset.to_pandas(name, columns=list(columns), filters=filters)
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

    def property_names(self) -> set[str]:
        key = ("property_names",)
        if key not in self._cache:
            got = self.dataset.sql(
                "SELECT DISTINCT property FROM properties WHERE property IS NOT NULL"
            )
            self._cache[key] = {str(p) for p in got["property"]}
        return set(self._cache[key])

    def stage_values(self, name: str) -> set[str]:
        key = ("stage_values", name)
        if key not in self._cache:
            got = self.dataset.sql(
                "SELECT DISTINCT value FROM history WHERE property = $1 AND value <> '' UNION "
                "SELECT DISTINCT value FROM properties WHERE property = $1 AND value <> ''",
                [name],
            )
            self._cache[key] = {str(v) for v in got["value"]}
        return set(self._cache[key])

    def wide(self, properties: Sequence[str]) -> pd.DataFrame:
        return self.dataset.wide(list(properties))

    def definitions(self) -> Sequence[Mapping[str, Any]]:
        return list(self.dataset.definitions())


def _is_result(value: Any) -> bool:
    has_frames = all(isinstance(getattr(value, n, None), pd.DataFrame) for n in _FRAMES)
    return has_frames and callable(getattr(value, "wide", None))


def _is_dataset(value: Any) -> bool:
    return all(
        callable(getattr(value, n, None)) for n in ("to_pandas", "sql", "wide", "definitions")
    )


def as_source(result: Any) -> LeadSource:
    """The :class:`LeadSource` of a result or a dataset (a source is returned as is).

    Raises
    ------
    InvalidOptionError
        For anything else, naming what was given.
    """
    if isinstance(result, (ResultSource, DatasetSource)):
        return result
    if _is_result(result):
        return ResultSource(result)
    if _is_dataset(result):
        return DatasetSource(result)
    raise InvalidOptionError(
        "the lead analytics take a LookupResult (from client.lookup_utks or "
        "df.hubspot.lookup_utks) or a LookupDataset (lookup_utks(..., out=...)), "
        f"got {type(result).__name__}"
    )
