"""The one writer of flat files behind ``to_files`` on a result and on a dataset.

Private. :func:`write_tables` writes each table of a lookup to ``out/<name>.<format>``. A
table is a frame, or (from a dataset) :class:`Parts`: the frame read part file by part file,
so a dataset's frame is written with one part in memory at a time. Either way the file is
the same.

CSV: list and dict cells are JSON text; timestamps are written one way, to the millisecond
(``2017-01-10 05:36:25.538+00:00``), whatever the other rows hold (pandas' own format drops
the milliseconds of a column where none has any, so two parts could differ).

Examples
--------
>>> import tempfile
>>> import pandas as pd
>>> stamps = pd.Series([0], dtype="datetime64[ms, UTC]")
>>> paths = write_tables({"t": pd.DataFrame({"l": [[1, 2]], "at": stamps})},
...                      tempfile.mkdtemp(), "csv")
>>> print(paths[0].read_text().strip())
l,at
"[1, 2]",1970-01-01 00:00:00.000+00:00
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from hubutk_pandas import _filemodes
from hubutk_pandas.errors import InvalidOptionError
from hubutk_pandas.face import FILE_FORMATS, FileFormat

__all__ = ["Parts", "check_format", "write_tables"]


class Parts:
    """A frame written part by part: ``read()`` yields its parts, in order, each time called.

    Every part has the frame's columns and dtypes (at least one part, maybe empty).
    """

    def __init__(self, read: Callable[[], Iterator[pd.DataFrame]]) -> None:
        self.read = read


if TYPE_CHECKING:  # pragma: no cover - typing only
    from typing import TypeAlias

Table: TypeAlias = "pd.DataFrame | Parts"
"""What :func:`write_tables` writes: a frame, or a frame in parts."""


def check_format(format: Any) -> FileFormat:
    """``format`` when it is one of :data:`~hubutk_pandas.face.FILE_FORMATS`, else a clear error.

    Parquet also needs pyarrow (an error naming the pip extra when it is not installed).
    """
    if not isinstance(format, str) or format not in FILE_FORMATS:
        raise InvalidOptionError.for_value("format", format, FILE_FORMATS)
    if format == "parquet":
        from hubutk_pandas._optional import import_optional

        import_optional("pyarrow", package="pyarrow", needed_by="to_files(format='parquet')")
    return format


def write_tables(
    tables: Mapping[str, Table], out: str | os.PathLike[str], format: FileFormat
) -> list[Path]:
    """Write each table to ``out/<name>.<format>`` (the folder is created); return the paths.

    Parquet keeps the dtypes and the list cells; in CSV list and dict cells are JSON text.
    Existing files of the same names are replaced. Each table is taken from ``tables`` when
    it is written and dropped after.
    """
    format = check_format(format)
    folder = Path(out).expanduser()
    # A new folder is 0700 and every file 0600, whatever the umask: the tables hold contacts'
    # personal data. A folder that exists (the current one, say) is the caller's, as it is.
    _filemodes.make_folder(folder, what="output folder", check=False)
    paths = []
    for name in tables:
        table = tables[name]
        path = folder / f"{name}.{format}"
        parts = table if isinstance(table, Parts) else Parts(partial(iter, [table]))
        if format == "parquet":
            _write_parquet(parts, path)
        else:
            _write_csv(parts, path)
        del table, parts
        paths.append(path)
    return paths


def _write_parquet(parts: Parts, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    # One schema for every part: a list column that is empty in one part (typed null there)
    # takes the type the others give it.
    schemas = [pa.Schema.from_pandas(part, preserve_index=False) for part in parts.read()]
    schema = pa.unify_schemas(schemas, promote_options="permissive")
    with (
        open(path, "wb", opener=_filemodes.opener()) as binary,  # 0600
        pq.ParquetWriter(binary, schema) as writer,
    ):
        for part in parts.read():
            writer.write_table(pa.Table.from_pandas(part, schema=schema, preserve_index=False))


def _write_csv(parts: Parts, path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="", opener=_filemodes.opener()) as file:
        for k, part in enumerate(parts.read()):
            _csv_cells(part).to_csv(file, index=False, header=k == 0)


def _csv_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as CSV text cells: lists and dicts as JSON, timestamps to the millisecond."""
    changed: dict[str, Any] = {}
    for column in frame.columns:
        values = frame[column]
        if values.dtype == object:
            changed[column] = values.map(_json_cell)
        elif isinstance(values.dtype, pd.DatetimeTZDtype):
            changed[column] = _utc_text(values)
    return frame.assign(**changed) if changed else frame


def _utc_text(stamps: pd.Series) -> pd.Series:
    """``2017-01-10 05:36:25.538+00:00`` for each timestamp (``<NA>`` for NaT), vectorized."""
    import pyarrow as pa
    import pyarrow.compute as pc

    naive = stamps.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ms]")
    text = pc.strftime(pa.Array.from_pandas(naive), format="%Y-%m-%d %H:%M:%S")  # ms: .fff
    out = pd.Series(text.to_pandas(), index=stamps.index, dtype="string")
    return out + "+00:00"


def _json_cell(value: Any) -> Any:
    """A list or dict cell as JSON text (for CSV); anything else as it is."""
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value
