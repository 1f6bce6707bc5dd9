"""Reading a dataset: frames as pandas, SQL with DuckDB, ``wide()`` computed in DuckDB.

Examples
--------
>>> import tempfile
>>> ds = client.lookup_utks(client.sandbox.sample_utks(20), progress=False,
...                         property_mode="value_and_history", out=tempfile.mkdtemp())
>>> n = ds.sql("select count(distinct vid) as n from history")["n"].iloc[0]
>>> int(n) == ds.to_pandas("contacts")["vid"].nunique()
True
>>> ds.wide(["lifecyclestage"]).columns.tolist()
['utk', 'vid', 'lifecyclestage']
>>> ds.options.property_mode, ds.plot.funnel().get_title()[:16]
('value_and_history', 'Lifecycle funnel')
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from hubutk_pandas._files import Parts, check_format, write_tables
from hubutk_pandas.dataset import layout
from hubutk_pandas.dataset.manifest import read_manifest
from hubutk_pandas.errors import DatasetError
from hubutk_pandas.face import FileFormat, PropertyDefinitions, WideRows, check_frame, one_row_per
from hubutk_pandas.frames import COMPANIES_SCHEMA, FRAME_NAMES, dtypes
from hubutk_pandas.options import LookupOptions
from hubutk_pandas.result import LookupResult

if TYPE_CHECKING:  # pragma: no cover - typing only
    import duckdb
    import pyarrow as pa

    from hubutk_pandas.face import LookupFace
    from hubutk_pandas.lead import LeadAnalytics
    from hubutk_pandas.plotting import ResultPlotter

__all__ = ["LookupDataset", "open_dataset"]


def open_dataset(path: str | os.PathLike[str]) -> LookupDataset:
    """Open the lookup dataset at ``path`` for reading.

    Raises
    ------
    DatasetError
        ``path`` is not a lookup dataset (no manifest), or of another schema version.

    Examples
    --------
    >>> open_dataset("no/such/folder")
    Traceback (most recent call last):
    hubutk_pandas.errors.DatasetError: 'no/such/folder' is not a lookup dataset: it is missing
    """
    return LookupDataset(path)


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class LookupDataset:
    """A lookup written to disk: one folder of Parquet parts per frame, and a manifest.

    The frames, columns and dtypes are those of :class:`~hubutk_pandas.LookupResult`
    (see :mod:`hubutk_pandas.dataset.layout` for the on-disk types), and so is the rest of
    its face (:class:`~hubutk_pandas.face.LookupFace`): ``to_pandas``, ``missing``,
    ``counts``, ``wide``, ``definitions``, ``options``, ``lead``, ``plot``, ``tables``,
    ``to_files``. Reading never locks: a dataset being written can be read, and shows the
    parts finished so far.

    Attributes
    ----------
    path : pathlib.Path
    manifest : dict
        As read when opened (options, source, state, counts, property definitions).
    counts : dict of str to int
        Rows per frame, by name.
    complete : bool
        Every input utk was looked up (no failure, no interruption).
    pending : int
        Input values not looked up yet.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.manifest = read_manifest(self.path)
        self.counts: dict[str, int] = {
            name: int(self.manifest.get("frames", {}).get(name, {}).get("rows", 0))
            for name in FRAME_NAMES
        }
        self.complete = self.manifest.get("state") == "complete"
        self.pending = int(self.manifest.get("utks", {}).get("pending", 0))

    @property
    def options(self) -> LookupOptions:
        """The :class:`~hubutk_pandas.LookupOptions` the dataset was fetched with.

        Rebuilt from the manifest (which keeps them as JSON: ``manifest["options"]``);
        ``properties`` come back sorted, as the dataset compares them.
        """
        stored = self.manifest.get("options") or {}
        names = {f.name for f in dataclasses.fields(LookupOptions)}
        return LookupOptions(**{k: v for k, v in stored.items() if k in names})

    def definitions(self) -> PropertyDefinitions:
        """The property definitions the dataset was fetched with (``[]`` if none)."""
        return [dict(d) for d in self.manifest.get("definitions") or []]

    @property
    def missing(self) -> pd.DataFrame:
        """The utks that matched nothing (``utk``, ``reason``), as ``LookupResult.missing``."""
        return self.to_pandas("missing")

    def __repr__(self) -> str:
        utks = self.manifest.get("utks", {})
        c = self.counts
        rest = ", ".join(f"{n}={c[n]:,}" for n in FRAME_NAMES if n not in ("contacts", "missing"))
        state = "complete" if self.complete else f"incomplete, {self.pending:,} pending"
        return (
            f"LookupDataset({str(self.path)!r}, {state}; {utks.get('distinct', 0):,} utks: "
            f"{c['contacts']:,} matched, {c['missing']:,} missing; {rest})"
        )

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td><code>{n}</code></td><td>{self.counts[n]:,}</td></tr>"
                       for n in FRAME_NAMES)  # fmt: skip
        return (
            f"<div><b>LookupDataset</b> <code>{self.path}</code> "
            f"({'complete' if self.complete else 'incomplete'})<table><thead><tr><th>frame</th>"
            f"<th>rows</th></tr></thead><tbody>{rows}</tbody></table></div>"
        )

    # ------------------------------------------------------------------ files
    def _check(self, name: str) -> None:
        check_frame(name)

    def files(self, name: str) -> list[Path]:
        """The frame's part files, in the order they were written (empty part first)."""
        self._check(name)
        return sorted((self.path / name).glob("part-*.parquet"))

    def glob(self, name: str) -> str:
        """A glob of the frame's parts, for any Parquet reader (``dd.read_parquet``, DuckDB)."""
        self._check(name)
        return str(self.path / name / "part-*.parquet")

    def _parts(self, name: str) -> Iterator[pd.DataFrame]:
        """Frame ``name`` part file by part file, each as in memory (one part at a time)."""
        import pyarrow.parquet as pq

        schema = layout.arrow_schema(name)
        files = self.files(name)
        if not files:
            yield layout.table_to_frame(name, schema.empty_table())
        for f in files:
            part = layout.table_to_frame(name, pq.read_table(f, schema=schema))
            yield part.reset_index(drop=True)

    # ------------------------------------------------------------------ pandas
    def to_pandas(
        self,
        name: str,
        columns: Sequence[str] | None = None,
        filters: Any = None,
    ) -> pd.DataFrame:
        """Frame ``name`` as in memory: same columns and dtypes, rows in lookup order.

        Parameters
        ----------
        name
            One of the frame names (``contacts``, ``history``, ...).
        columns
            Only these columns (for ``companies`` also property columns).
        filters
            pyarrow filters, as for :func:`pandas.read_parquet`: ``[("vid", "in", [1, 2])]``
            or a :class:`pyarrow.compute.Expression` (stored columns only).

        Examples
        --------
        >>> import tempfile
        >>> ds = client.lookup_utks(client.sandbox.sample_utks(3), progress=False,
        ...                         out=tempfile.mkdtemp())
        >>> ds.to_pandas("contacts", columns=["utk", "vid"]).dtypes.astype(str).tolist()
        ['string', 'Int64']
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        self._check(name)
        schema = layout.arrow_schema(name)
        read: list[str] | None = None
        if columns is not None:
            columns = [columns] if isinstance(columns, str) else list(columns)
            stored = set(schema.names)
            if name == "companies":
                read = [c for c in columns if c in stored]
                if any(c not in COMPANIES_SCHEMA for c in columns):
                    read.append(layout.COMPANY_PROPERTIES)
            else:
                unknown = [c for c in columns if c not in stored]
                if unknown:
                    raise KeyError(f"{name} has no column {unknown[0]!r}; it has {schema.names}")
                read = list(columns)
        tables = [pq.read_table(f, columns=read, filters=filters, schema=schema)
                  for f in self.files(name)]  # fmt: skip
        if read is not None:
            schema = pa.schema([schema.field(c) for c in dict.fromkeys(read)])
        table = pa.concat_tables(tables) if tables else schema.empty_table()
        return layout.table_to_frame(name, table, columns).reset_index(drop=True)

    def to_result(self) -> LookupResult:
        """Every frame in memory, as a :class:`~hubutk_pandas.LookupResult` (small datasets)."""
        frames = {name: self.to_pandas(name) for name in FRAME_NAMES}
        definitions = self.definitions()
        return LookupResult.from_frames(
            frames, definitions=lambda: definitions, options=self.options
        )

    # ------------------------------------------------------------------ flat files
    def tables(self) -> Mapping[str, pd.DataFrame]:
        """``wide`` and every frame, by name: what :meth:`to_files` writes.

        As ``LookupResult.tables()``, but each table is read when it is asked for (a
        mapping over the dataset, not a dict in memory).

        Examples
        --------
        >>> import tempfile
        >>> ds = client.lookup_utks(client.sandbox.sample_utks(3), progress=False,
        ...                         out=tempfile.mkdtemp())
        >>> tables = ds.tables()
        >>> list(tables)[:3], len(tables["contacts"])
        (['wide', 'contacts', 'properties'], 3)
        """
        return _Tables(self)

    def to_files(self, out: str | os.PathLike[str], format: FileFormat = "parquet") -> list[Path]:
        """Write :meth:`tables` (``wide()`` and every frame) to ``out/<name>.<format>``.

        The same flat files as ``LookupResult.to_files`` writes for the same lookup (not a
        dataset folder: that is the dataset itself). Each frame is written part file by part
        file, so memory holds one part (``companies``, whose columns depend on its rows, is
        read whole), plus ``wide()``, which is pivoted in DuckDB and held whole.

        Parameters
        ----------
        out
            The folder (created if needed; files of the same names are replaced).
        format
            ``"parquet"`` (dtypes and lists kept) or ``"csv"`` (lists as JSON text).

        Returns
        -------
        list of pathlib.Path
            The files written, ``wide`` first.

        Examples
        --------
        >>> import tempfile
        >>> ds = client.lookup_utks(client.sandbox.sample_utks(3), progress=False,
        ...                         out=tempfile.mkdtemp())
        >>> [p.name for p in ds.to_files(tempfile.mkdtemp(), format="csv")][:2]
        ['wide.csv', 'contacts.csv']
        """
        return write_tables(_Tables(self, in_parts=True), out, check_format(format))

    # ------------------------------------------------------------------ plots
    @property
    def plot(self) -> ResultPlotter:
        """Plots of this dataset, as ``LookupResult.plot`` (``funnel``, ``sources``, …).

        Each plot reads only what it draws (the lead plots through ``lead``);
        matplotlib is imported only when a plot is drawn.
        """
        from hubutk_pandas.plotting import ResultPlotter

        return ResultPlotter(self)

    # ------------------------------------------------------------------ lead analytics
    @property
    def lead(self) -> LeadAnalytics:
        """Lead analytics of this dataset (``stages``, ``funnel``, ``time_to_stage``, …).

        As ``LookupResult.lead``, reading only the rows and columns each analysis needs
        (see :mod:`hubutk_pandas.lead`); imported when the attribute is first read.

        Examples
        --------
        >>> import tempfile
        >>> ds = client.lookup_utks(client.sandbox.sample_utks(20), progress=False,
        ...                         out=tempfile.mkdtemp())
        >>> ds.lead.funnel().columns.tolist()
        ['stage', 'reached', 'conversion', 'cumulative_conversion']
        """
        from hubutk_pandas.lead import LeadAnalytics

        return LeadAnalytics(self)

    # ------------------------------------------------------------------ DuckDB
    def connect(self, con: duckdb.DuckDBPyConnection | None = None) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection with one view per frame, named after it (``history``, ...).

        Pass your own connection to add the views to it (a memory limit, other tables).
        """
        import duckdb

        con = duckdb.connect() if con is None else con
        con.execute("SET TimeZone = 'UTC'")
        for name in FRAME_NAMES:
            con.execute(
                f'CREATE OR REPLACE VIEW "{name}" AS SELECT * FROM read_parquet('
                f"{_sql_text(self.glob(name))}, filename = true, file_row_number = true)"
            )
        return con

    def sql(self, query: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run a DuckDB query over the frames (each a view under its own name).

        Every view also has ``filename`` and ``file_row_number`` (the lookup's row order).
        Integers come back as ``Int64``, text as ``string``, booleans as ``boolean``.

        Examples
        --------
        >>> import tempfile
        >>> ds = client.lookup_utks(client.sandbox.sample_utks(10), progress=False,
        ...                         out=tempfile.mkdtemp())
        >>> ds.sql("select count(*) as n from contacts")
            n
        0  10
        """
        con = self.connect()
        try:
            return _arrow_to_pandas(_fetch(con.sql(query, params=list(params or []) or None)))
        finally:
            con.close()

    def wide(
        self, properties: Sequence[str] | None = None, *, per: WideRows = "utk"
    ) -> pd.DataFrame:
        """One row per matched utk, one typed column per property, as ``LookupResult.wide``.

        ``per="contact"``: one row per contact (``vid``), with the first of its utks.
        The pivot runs in DuckDB, so memory is bounded by the output; the types come
        from the property definitions stored with the dataset.
        """
        one_row_per(pd.DataFrame(), per)  # checked before any work
        if isinstance(properties, str):
            properties = [properties]
        con = self.connect()
        try:
            if properties is None:
                got = con.execute(
                    "SELECT DISTINCT property FROM properties WHERE property IS NOT NULL"
                ).fetchall()
                names = sorted(p for (p,) in got)
            else:
                names = list(dict.fromkeys(properties))
            picks = "".join(
                f", any_value(p.value) FILTER (WHERE p.property = ${i + 1}) AS c{i}"
                for i in range(len(names))
            )
            query = (
                "SELECT c.utk, c.vid" + picks + " FROM contacts c LEFT JOIN properties p "
                "ON p.vid = c.vid AND p.property IN (SELECT unnest($0::VARCHAR[])) "
                "GROUP BY c.filename, c.file_row_number, c.utk, c.vid "
                "ORDER BY c.filename, c.file_row_number"
            )
            query = query.replace("$0", f"${len(names) + 1}")
            table = _fetch(con.sql(query, params=[*names, names]))
        finally:
            con.close()
        raw = _arrow_to_pandas(table)
        wide = dtypes.typed_wide(
            raw["utk"].array,
            raw["vid"].array,
            [raw[f"c{i}"].array for i in range(len(names))],
            names,
            self.definitions(),
        )
        return one_row_per(wide, per)


class _Tables(Mapping[str, Any]):
    """``ds.tables()``: ``wide`` and the frames, each read from the dataset when asked for.

    ``in_parts``: a frame comes as :class:`~hubutk_pandas._files.Parts`, read part file by
    part file when written (``companies``, whose columns depend on its rows, comes whole).
    """

    def __init__(self, dataset: LookupDataset, *, in_parts: bool = False) -> None:
        self._dataset = dataset
        self._in_parts = in_parts

    def __iter__(self) -> Iterator[str]:
        return iter(("wide", *FRAME_NAMES))

    def __len__(self) -> int:
        return 1 + len(FRAME_NAMES)

    def __getitem__(self, name: str) -> Any:
        if name == "wide":
            return self._dataset.wide()
        check_frame(name)
        if self._in_parts and name != "companies":
            return Parts(partial(self._dataset._parts, name))
        return self._dataset.to_pandas(name)

    def __repr__(self) -> str:
        return f"<tables of {self._dataset!r}: {', '.join(self)}>"


def _fetch(relation: duckdb.DuckDBPyRelation) -> pa.Table:
    fetch = getattr(relation, "to_arrow_table", None)  # DuckDB >= 1.4; .arrow() before
    return fetch() if fetch is not None else relation.arrow()


def _arrow_to_pandas(table: pa.Table) -> pd.DataFrame:
    import pyarrow as pa

    def mapper(t: pa.DataType) -> Any:
        if pa.types.is_integer(t):
            return pd.Int64Dtype()
        if pa.types.is_boolean(t):
            return pd.BooleanDtype()
        if (
            pa.types.is_string(t)
            or pa.types.is_large_string(t)
            or getattr(pa.types, "is_string_view", lambda _: False)(t)
        ):
            return pd.StringDtype()
        return None

    try:
        return table.to_pandas(types_mapper=mapper)
    except (pa.ArrowInvalid, TypeError) as exc:  # pragma: no cover - exotic result types
        raise DatasetError(f"the query's result cannot become a DataFrame: {exc}") from exc


if TYPE_CHECKING:  # pragma: no cover - mypy checks that a dataset has the one face

    def _has_the_face(dataset: LookupDataset) -> LookupFace:
        return dataset
