"""LookupResult: the tidy, typed frames of one utk lookup.

Built by the client with :meth:`LookupResult.from_records`; usable directly on records
you decoded yourself. It holds no credential: the property-definitions provider (usually
the client's bound method) is used by :meth:`~LookupResult.definitions` and is dropped
when the result is pickled or copied.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hubutk_pandas import frames
from hubutk_pandas._files import check_format, write_tables
from hubutk_pandas._warnings import warn as _warn
from hubutk_pandas.errors import HubSpotError, InvalidOptionError
from hubutk_pandas.face import (
    FILE_FORMATS,
    FileFormat,
    PropertyDefinitions,
    WideRows,
    check_frame,
    one_row_per,
)
from hubutk_pandas.frames import dtypes
from hubutk_pandas.options import LookupOptions

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hubutk_pandas.face import LookupFace
    from hubutk_pandas.lead import LeadAnalytics
    from hubutk_pandas.plotting import ResultPlotter

__all__ = ["FILE_FORMATS", "FileFormat", "LookupResult", "PropertyDefinitions"]


class LookupResult:
    """The tidy frames of one lookup, joined on ``vid``.

    One of the two sinks of a lookup (the other is :class:`~hubutk_pandas.LookupDataset`);
    both satisfy :class:`~hubutk_pandas.face.LookupFace`.

    Attributes
    ----------
    contacts, properties, history, form_submissions, list_memberships, identities, \
merge_audits, companies, missing : DataFrame
        Columns and dtypes as documented in :mod:`hubutk_pandas.frames` (the ``*_SCHEMA``
        constants); present even when empty. ``contacts`` has one row per matched utk,
        ``missing`` one per unmatched utk; the others one set of rows per distinct vid.
        :meth:`to_pandas` gives the same frames (copies, optionally filtered) by name.
    frames : dict of str to DataFrame
        The nine frames by name.
    options : LookupOptions or None
        The options of the lookup (``None`` when the result was built without them).

    Examples
    --------
    >>> rec = {"vid": 7, "properties": {"num": {"value": "3"}}}
    >>> result = LookupResult.from_records([("utk-a", rec), ("utk-b", rec)],
    ...                                    [("nope", "not_found")])
    >>> result
    LookupResult(2 matched utks → 1 contacts, 1 missing; properties=1, history=0, \
form_submissions=0, list_memberships=0, identities=0, merge_audits=0, companies=0)
    >>> result.wide(properties=["num"]).dtypes["num"].name  # no definitions: NA-backed strings
    'string'
    """

    contacts: pd.DataFrame
    properties: pd.DataFrame
    history: pd.DataFrame
    form_submissions: pd.DataFrame
    list_memberships: pd.DataFrame
    identities: pd.DataFrame
    merge_audits: pd.DataFrame
    companies: pd.DataFrame
    missing: pd.DataFrame
    options: LookupOptions | None

    def __init__(
        self,
        matched: Sequence[tuple[str | None, Mapping[str, Any] | str]] = (),
        missing: Sequence[tuple[str, str]] = (),
        *,
        definitions: Callable[[], PropertyDefinitions] | None = None,
        options: LookupOptions | None = None,
    ) -> None:
        self._setup(frames.build_frames(matched, missing), definitions, options)

    def _setup(
        self,
        built: Mapping[str, pd.DataFrame],
        definitions: Callable[[], PropertyDefinitions] | None,
        options: LookupOptions | None,
    ) -> None:
        if options is not None and not isinstance(options, LookupOptions):
            raise InvalidOptionError(
                f"options must be a LookupOptions or None, not {type(options).__name__}"
            )
        for name in frames.FRAME_NAMES:
            setattr(self, name, built[name])
        self.options = options
        self._provider = definitions
        self._definitions: PropertyDefinitions | None = None
        self._wide_cache: dict[tuple[str, ...] | None, pd.DataFrame] = {}

    @classmethod
    def from_records(
        cls,
        matched: Sequence[tuple[str | None, Mapping[str, Any] | str]],
        missing: Sequence[tuple[str, str]] = (),
        *,
        definitions: Callable[[], PropertyDefinitions] | None = None,
        options: LookupOptions | None = None,
    ) -> LookupResult:
        """Build the result from raw records: decoded dicts, or their JSON text.

        Parameters
        ----------
        matched
            ``(utk, record)`` pairs in input order; ``utk`` is ``None`` for records of the
            vid-keyed endpoint. Several utks may share one record.
        missing
            ``(utk, reason)`` pairs; reason ``"not_found"`` or ``"invalid"``.
        definitions
            Zero-argument callable returning the portal's property definitions; called
            lazily, once, by :meth:`definitions` / :meth:`wide`.
        options
            The :class:`~hubutk_pandas.LookupOptions` the records were fetched with, kept
            as ``options``.

        Examples
        --------
        >>> r = LookupResult.from_records([(None, {"vid": 1})])
        >>> r.contacts["utk"].isna().tolist()
        [True]
        """
        return cls(matched, missing, definitions=definitions, options=options)

    @classmethod
    def from_frames(
        cls,
        frames_: Mapping[str, pd.DataFrame],
        *,
        definitions: Callable[[], PropertyDefinitions] | None = None,
        options: LookupOptions | None = None,
    ) -> LookupResult:
        """A result from frames already built (e.g. read back from a dataset on disk).

        ``frames_`` must hold every frame name with its documented columns (the frames
        are used as given, not copied).

        Examples
        --------
        >>> built = LookupResult.from_records([("u", {"vid": 1})])
        >>> LookupResult.from_frames(built.frames).contacts["vid"].tolist()
        [1]
        """
        missing = [name for name in frames.FRAME_NAMES if name not in frames_]
        if missing:
            raise HubSpotError(f"from_frames: frames missing: {', '.join(missing)}")
        result = cls.__new__(cls)
        result._setup(frames_, definitions, options)
        return result

    # ------------------------------------------------------------------ containers

    @property
    def frames(self) -> dict[str, pd.DataFrame]:
        """The frames by name, in documented order (a new dict; the frames are shared)."""
        return {name: getattr(self, name) for name in frames.FRAME_NAMES}

    @property
    def counts(self) -> dict[str, int]:
        """Rows per frame, by name, as ``LookupDataset.counts``.

        Examples
        --------
        >>> LookupResult.from_records([("u", {"vid": 1})], [("x", "invalid")]).counts["missing"]
        1
        """
        return {name: len(getattr(self, name)) for name in frames.FRAME_NAMES}

    def to_pandas(
        self,
        name: str,
        columns: Sequence[str] | None = None,
        filters: Any = None,
    ) -> pd.DataFrame:
        """Frame ``name`` as a new frame, optionally only some columns and rows.

        The spelling a :class:`~hubutk_pandas.LookupDataset` shares; on a result it is
        ``result.<name>`` filtered in memory, with a fresh ``RangeIndex``.

        Parameters
        ----------
        name
            One of the frame names (``contacts``, ``history``, ...).
        columns
            Only these columns, in this order (a ``companies`` property no company has is
            an all-NA column, as on a dataset).
        filters
            pyarrow filters, as for :func:`pandas.read_parquet`: ``[("property", "==",
            "lifecyclestage")]`` (a list of tuples is AND, a list of such lists OR), or a
            :class:`pyarrow.compute.Expression`; on the columns other than lists and JSON.

        Examples
        --------
        >>> rec = {"vid": 1, "properties": {"a": {"value": "x"}, "b": {"value": "y"}}}
        >>> r = LookupResult.from_records([("u", rec)])
        >>> r.to_pandas("properties", ["property", "value"], [("property", "==", "b")])
          property value
        0        b     y
        """
        frame: pd.DataFrame = getattr(self, check_frame(name))
        rows = None if filters is None else _filtered_rows(frame, filters)
        if columns is not None:
            wanted = [columns] if isinstance(columns, str) else list(columns)
            unknown = [c for c in wanted if c not in frame.columns]
            if unknown and name != "companies":
                raise KeyError(f"{name} has no column {unknown[0]!r}; it has {list(frame.columns)}")
            if unknown:  # a company property no company has: all NA, like wide()
                frame = frame.assign(**{c: pd.array([None] * len(frame), dtype="string")
                                        for c in unknown})  # fmt: skip
            positions = frame.columns.get_indexer(pd.Index(wanted))
        else:
            positions = np.arange(len(frame.columns))
        # Taking rows copies already; a slice is a view, copied so the caller never changes us.
        picked = (
            frame.iloc[rows, positions] if rows is not None else frame.iloc[:, positions].copy()
        )
        picked.index = pd.RangeIndex(len(picked))
        return picked

    def __repr__(self) -> str:
        n_vids = self.contacts["vid"].nunique()
        counts = ", ".join(
            f"{name}={len(getattr(self, name))}"
            for name in frames.FRAME_NAMES
            if name not in ("contacts", "missing")
        )
        return (
            f"LookupResult({len(self.contacts)} matched utks → {n_vids} contacts, "
            f"{len(self.missing)} missing; {counts})"
        )

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td><code>{name}</code></td><td>{len(f)}</td><td>{len(f.columns)}</td></tr>"
            for name, f in self.frames.items()
        )
        return (
            "<div><b>LookupResult</b><table><thead><tr><th>frame</th><th>rows</th>"
            f"<th>columns</th></tr></thead><tbody>{rows}</tbody></table></div>"
        )

    def __getstate__(self) -> dict[str, Any]:
        # The provider is usually a bound method of the client, which holds credentials.
        state = self.__dict__.copy()
        state["_provider"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.setdefault("options", None)  # pickled before results kept their options
        self.__dict__.update(state)

    # ------------------------------------------------------------------ definitions

    def definitions(self) -> PropertyDefinitions:
        """Return the portal's property definitions (fetched once, then cached here).

        ``[]`` when the result was built without a ``definitions`` provider (then
        :meth:`wide` types every column as ``string``), as on a dataset written without them.

        Raises
        ------
        HubSpotError
            When the provider returns something other than a list of dicts. What the
            provider raises (the client's errors, or a bug in a provider of your own)
            propagates as is.

        Examples
        --------
        >>> r = LookupResult.from_records([], definitions=lambda: [{"name": "email"}])
        >>> r.definitions()[0]["name"]
        'email'
        >>> LookupResult.from_records([]).definitions()
        []
        """
        if self._definitions is not None:
            return self._definitions
        if self._provider is None:
            return []
        got = self._provider()  # its own errors (and a broken provider's) propagate as they are
        if not isinstance(got, list) or not all(isinstance(d, Mapping) for d in got):
            raise HubSpotError(
                "property definitions must be a list of objects (the JSON array of "
                f"/properties/v1/contacts/properties), got {type(got).__name__}"
            )
        self._definitions = [dict(d) for d in got]
        return self._definitions

    # ------------------------------------------------------------------ wide

    def wide(
        self, properties: Sequence[str] | None = None, *, per: WideRows = "utk"
    ) -> pd.DataFrame:
        """One row per matched utk, one typed column per property; ``per="contact"``: per contact.

        A contact reached by several utks (several browsers, a merge) has a row for each
        by default, so ``len(wide())`` counts matched utks, not contacts (the demo's sample:
        1,580 rows for 1,520 contacts). ``per="contact"`` gives one row per contact
        (``vid``), with the first of its utks in lookup order: count, group and plot
        contacts with that.

        Columns are ``utk``, ``vid``, then the properties: sorted by name when
        ``properties`` is None (every property any contact has), else in the order given
        (a requested property no contact has is an all-NA column). A property named
        ``utk`` or ``vid`` becomes ``property_utk`` / ``property_vid``. Types come from the
        portal's property definitions (see :func:`hubutk_pandas.frames.dtypes.typed_wide`,
        the builder a dataset's ``wide()`` uses too); without a provider every column is
        ``string``. Values that do not parse (``"N/A"`` in a number) become NA and are
        reported in one warning naming the properties with the number of rows affected,
        the first time a selection is built. Each call returns a new frame (the typed
        table is computed once per selection and copied), so changing it never changes
        the next call's answer.

        Examples
        --------
        >>> defs = [{"name": "n", "type": "number", "fieldType": "number"}]
        >>> rec = {"vid": 1, "properties": {"n": {"value": "2.5"}}}
        >>> result = LookupResult.from_records([("u", rec), ("w", rec)], definitions=lambda: defs)
        >>> result.wide()
          utk  vid    n
        0   u    1  2.5
        1   w    1  2.5
        >>> result.wide(per="contact")
          utk  vid    n
        0   u    1  2.5
        """
        if properties is not None and isinstance(properties, str):
            properties = [properties]
        key = None if properties is None else tuple(dict.fromkeys(properties))
        one_row_per(pd.DataFrame(), per)  # checked before any work
        cached = self._wide_cache.get(key)
        if cached is None:
            cached = self._wide_cache[key] = self._build_wide(None if key is None else list(key))
        return one_row_per(cached, per).copy()

    def _build_wide(self, properties: list[str] | None) -> pd.DataFrame:
        props = self.properties
        if properties is None:
            names = sorted(props["property"].dropna().unique().tolist())
        else:
            names = properties
        return dtypes.typed_wide(
            self.contacts["utk"].array,
            self.contacts["vid"].array,
            list(self._value_grid(names)),
            names,
            self.definitions(),
        )

    def _value_grid(self, names: list[str]) -> Any:
        """Raw values as an object array: one row per name, one column per contacts row."""
        props = self.properties
        keep = props[props["property"].isin(names) & props["vid"].notna()]
        keep = keep.drop_duplicates(["vid", "property"], keep="first")
        distinct = pd.Index(keep["vid"].unique().to_numpy(dtype=object))
        grid = np.full((len(names), len(distinct) + 1), None, dtype=object)  # last: no value
        rows = pd.Index(names).get_indexer(pd.Index(keep["property"].to_numpy(dtype=object)))
        cols = distinct.get_indexer(pd.Index(keep["vid"].to_numpy(dtype=object)))
        grid[rows, cols] = keep["value"].to_numpy(dtype=object, na_value=None)
        take = distinct.get_indexer(pd.Index(self.contacts["vid"].to_numpy(dtype=object)))
        return grid[:, take]  # -1 (a contact without values) picks the empty last column

    # ------------------------------------------------------------------ files

    def tables(self) -> dict[str, pd.DataFrame]:
        """``wide`` and every frame, by name: what :meth:`to_files` writes.

        When the property definitions cannot be had (the portal cannot be reached),
        ``wide`` is left out with a warning saying why; the frames are all there.

        Examples
        --------
        >>> list(LookupResult.from_records([]).tables())[:3]
        ['wide', 'contacts', 'properties']
        """
        tables: dict[str, pd.DataFrame] = {}
        try:
            tables["wide"] = self.wide()
        except HubSpotError as exc:
            _warn(f"no typed wide table: {exc}")
        tables.update(self.frames)
        return tables

    def to_files(self, out: str | os.PathLike[str], format: FileFormat = "parquet") -> list[Path]:
        """Write :meth:`tables` (``wide()`` and every frame) to ``out/<name>.<format>``.

        Flat files, one per table (``LookupDataset.to_files`` writes the same ones).
        Parquet keeps the dtypes and lists (``merged_vids``, multi-select values); in CSV
        list and dict cells are written as JSON text. The folder is created if needed
        (``0700``: private to you, whatever the umask); existing files of the same names are
        replaced. Every file is ``0600``: the tables hold contacts' personal data
        (:doc:`/guide/personal-data`). This method does not change the result.

        Parameters
        ----------
        out
            The folder.
        format
            ``"parquet"`` (pyarrow, installed with the package) or ``"csv"``.

        Returns
        -------
        list of pathlib.Path
            The files written, ``wide`` first.

        Examples
        --------
        >>> import tempfile
        >>> result = LookupResult.from_records([("u", {"vid": 1, "merged-vids": [1, 2]})])
        >>> paths = result.to_files(tempfile.mkdtemp(), format="csv")
        >>> [p.name for p in paths][:2], len(paths)
        (['wide.csv', 'contacts.csv'], 10)
        >>> pd.read_csv(paths[1])["merged_vids"].tolist()
        ['[1, 2]']
        """
        return write_tables(self.tables(), out, check_format(format))

    # ------------------------------------------------------------------ plotting

    @property
    def plot(self) -> ResultPlotter:
        """Plots of this result (``funnel``, ``current_stages``, ``sources``, …).

        matplotlib is imported only when a plot is drawn.
        """
        from hubutk_pandas.plotting import ResultPlotter

        return ResultPlotter(self)

    # ------------------------------------------------------------------ lead analytics

    @property
    def lead(self) -> LeadAnalytics:
        """Lead analytics of this result (``stages``, ``funnel``, ``time_to_stage``, …).

        See :mod:`hubutk_pandas.lead`; imported when the attribute is first read.

        Examples
        --------
        >>> rec = {"vid": 1, "properties": {"hs_lifecyclestage_lead_date": {"value": "0"}}}
        >>> LookupResult.from_records([("u", rec)]).lead.funnel()["reached"].tolist()[:3]
        [1, 1, 0]
        """
        from hubutk_pandas.lead import LeadAnalytics

        return LeadAnalytics(self)


def _filtered_rows(frame: pd.DataFrame, filters: Any) -> np.ndarray:
    """The positions of the rows pyarrow ``filters`` keep, as a Parquet reader would keep them.

    Only the columns the filters name are handed to pyarrow (all but the list and JSON
    columns for an expression, whose columns cannot be told beforehand).
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    if isinstance(filters, pc.Expression):
        expression = filters
        names = [str(c) for c in frame.columns if frame[c].dtype != object]
    else:
        expression = pq.filters_to_expression(filters)
        clauses = filters if filters and isinstance(filters[0], list) else [filters]
        names = list(dict.fromkeys(str(c[0]) for clause in clauses for c in clause))
        unknown = [c for c in names if c not in frame.columns]
        if unknown:
            raise KeyError(
                f"filters: no column {unknown[0]!r}; the columns are {list(frame.columns)}"
            )
    arrays = {c: pa.Array.from_pandas(frame[c]) for c in names}
    arrays["__row"] = pa.array(np.arange(len(frame), dtype=np.int64))
    return pa.table(arrays).filter(expression)["__row"].to_numpy()


if TYPE_CHECKING:  # pragma: no cover - mypy checks that a result has the one face

    def _has_the_face(result: LookupResult) -> LookupFace:
        return result
