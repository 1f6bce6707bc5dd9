"""The one writer of flat files behind ``to_files`` on a result and on a dataset.

Private. :func:`write_tables` writes each table of a lookup to ``out/<name>.<format>``,
one at a time, so a dataset (whose tables are read when asked for) holds one table in
memory at a time.

Examples
--------
>>> import tempfile
>>> import pandas as pd
>>> paths = write_tables({"t": pd.DataFrame({"l": [[1, 2]]})}, tempfile.mkdtemp(), "csv")
>>> paths[0].read_text()
'l\\n"[1, 2]"\\n'
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from hubutk_pandas.errors import InvalidOptionError
from hubutk_pandas.face import FILE_FORMATS, FileFormat

__all__ = ["check_format", "write_tables"]


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
    tables: Mapping[str, pd.DataFrame], out: str | os.PathLike[str], format: FileFormat
) -> list[Path]:
    """Write each table to ``out/<name>.<format>`` (the folder is created); return the paths.

    Parquet keeps the dtypes and the list cells; in CSV list and dict cells are JSON text.
    Existing files of the same names are replaced. Each table is taken from ``tables`` when
    it is written and dropped after.
    """
    format = check_format(format)
    folder = Path(out).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in tables:
        frame = tables[name]
        path = folder / f"{name}.{format}"
        if format == "parquet":
            frame.to_parquet(path, index=False)
        else:
            listy = [c for c in frame.columns if frame[c].dtype == object]
            frame.assign(**{c: frame[c].map(_json_cell) for c in listy}).to_csv(path, index=False)
        del frame
        paths.append(path)
    return paths


def _json_cell(value: Any) -> Any:
    """A list or dict cell as JSON text (for CSV); anything else as it is."""
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value
