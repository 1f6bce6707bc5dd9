"""Big inputs: the distinct utks of CSV, Parquet and JSON-lines files, deduplicated by DuckDB.

:func:`distinct_utks` never loads the files into pandas. DuckDB scans them (spilling to a
temporary folder past its memory limit), keeps each distinct value once with the position
it was first seen at, and the values are handed over in blocks in that order. So a 50M-row
visits log costs the size of its *distinct* utks in DuckDB, and one block in Python.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "a.csv").write_text("utk,page\\n u1 ,/\\nu2,/x\\nu1,/y\\n")
>>> lines = ['{"utk": "u3", "page": "/"}', '{"utk": "u2", "page": "/"}']
>>> _ = (folder / "b.jsonl").write_text("\\n".join(lines))
>>> list(distinct_utks([str(folder / "a.csv")], "utk"))
['u1', 'u2']
>>> list(distinct_utks([str(folder / "*.csv"), str(folder / "b.jsonl")], "utk"))
['u1', 'u2', 'u3']
>>> distinct_utks([str(folder / "a.csv")], "token")
Traceback (most recent call last):
hubutk_pandas.errors.MissingColumnError: column 'token' is not in .../a.csv; its columns are: ...
"""

from __future__ import annotations

import glob
import shutil
import tempfile
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hubutk_pandas.errors import InputError, MissingColumnError

if TYPE_CHECKING:  # pragma: no cover - typing only
    import duckdb

__all__ = ["FORMATS", "distinct_utks", "expand_inputs"]

FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "json",
    ".ndjson": "json",
    ".json": "json",
}
"""File name endings read, and as what (``.gz``/``.zst`` after a CSV or JSON ending is fine)."""

_BLOCK = 50_000
_ROWS_PER_FILE = 1 << 40  # file index * this + row number orders rows across files


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _kind(path: str) -> str:
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] in (".gz", ".zst"):
        suffixes = suffixes[:-1]
    kind = FORMATS.get(suffixes[-1]) if suffixes else None
    if kind is None:
        raise InputError(
            f"cannot read {path!r}: its name does not end in one of {', '.join(FORMATS)}"
        )
    return kind


def _reader(path: str) -> str:
    kind = _kind(path)
    if kind == "csv":
        return f"read_csv({_sql_text(path)}, all_varchar = true, header = true)"
    if kind == "parquet":
        return f"read_parquet({_sql_text(path)})"
    return f"read_json({_sql_text(path)}, format = 'newline_delimited')"


def _text_reader(path: str) -> str:
    """The scan that keeps each cell's text as written.

    JSON lines are read as raw objects: DuckDB's JSON type detection would otherwise turn a
    32-hex utk into a UUID (with dashes), as DuckDB 1.1 does.
    """
    if _kind(path) == "json":
        return f"read_json_objects({_sql_text(path)}, format = 'newline_delimited')"
    return _reader(path)


def _cell_text(path: str, column: str, quoted: str) -> str:
    """The SQL for ``column``'s cell as text, in a row of :func:`_text_reader`."""
    if _kind(path) == "json":
        key = '$."' + column.replace('"', '\\"') + '"'
        return f"json_extract_string(json, {_sql_text(key)})"
    return f"CAST({quoted} AS VARCHAR)"


def expand_inputs(inputs: Sequence[str]) -> list[str]:
    """Files named or matched by globs (``logs/*.csv``), each once, in the order given.

    Examples
    --------
    >>> expand_inputs(["no/such/*.csv"])
    Traceback (most recent call last):
    FileNotFoundError: no file matches 'no/such/*.csv'
    """
    files: list[str] = []
    for text in inputs:
        text = str(text)
        if any(ch in text for ch in "*?["):
            found = sorted(glob.glob(text, recursive=True))
            if not found:
                raise FileNotFoundError(f"no file matches {text!r}")
            files.extend(found)
        elif not Path(text).is_file():
            raise FileNotFoundError(f"no such file: {text!r}")
        else:
            files.append(text)
    return list(dict.fromkeys(files))


def _columns(con: duckdb.DuckDBPyConnection, path: str) -> list[str]:
    import duckdb

    try:
        rows = con.sql(f"DESCRIBE SELECT * FROM {_reader(path)}").fetchall()
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot read {path!r}: {first}") from None
    return [str(r[0]) for r in rows]


def distinct_utks(
    inputs: Sequence[str],
    column: str = "utk",
    *,
    memory_limit: str = "512MB",
) -> Iterator[str]:
    """The distinct non-empty values of ``column`` over ``inputs``, in first-seen order.

    Values are text with surrounding spaces trimmed; the lookup cleans them further
    (invalid values become ``missing`` rows). The files are checked now; the values are
    read as the returned iterator is consumed. DuckDB's connection and spill folder are
    closed when the iterator is exhausted or closed, or dropped unread.

    Parameters
    ----------
    inputs
        File names and globs: CSV (every column read as text), Parquet, JSON lines.
    column
        The column of utks; every file must have it.
    memory_limit
        DuckDB's memory limit; past it DuckDB spills to a temporary folder.

    Raises
    ------
    FileNotFoundError
        A file does not exist, or a glob matches nothing.
    MissingColumnError
        A file has no ``column`` (the message lists its columns; also a ``KeyError``).
    InputError
        A file cannot be read (unknown ending, broken content), or the files have
        different columns (a mixed schema).
    """
    import duckdb

    files = expand_inputs(inputs)
    spill = tempfile.mkdtemp(prefix="hubutk-duckdb-")
    con = duckdb.connect(config={"memory_limit": memory_limit, "temp_directory": spill,
                                 "preserve_insertion_order": True})  # fmt: skip
    try:
        layouts = [(path, _columns(con, path)) for path in files]
        for path, names in layouts:
            if column not in names:
                listing = ", ".join(map(repr, names)) or "none"
                raise MissingColumnError(
                    f"column {column!r} is not in {path}; its columns are: {listing}"
                )
        if len({tuple(names) for _, names in layouts}) > 1:
            (a, first), (b, other) = layouts[0], next(x for x in layouts if x[1] != layouts[0][1])
            raise InputError(
                f"the inputs have a mixed schema: {a} has columns {first}, {b} has {other}; "
                "give files of one layout (or look them up in separate runs)"
            )
    except BaseException:
        _close(con, spill)
        raise
    quoted = '"' + column.replace('"', '""') + '"'
    scans = " UNION ALL ".join(
        f"SELECT {i}::BIGINT * {_ROWS_PER_FILE} + row_number() OVER () AS pos, "
        f"trim({_cell_text(path, column, quoted)}) AS utk FROM {_text_reader(path)}"
        for i, path in enumerate(files)
    )
    query = (
        f"SELECT utk, min(pos) AS first_pos FROM ({scans}) WHERE utk IS NOT NULL AND utk <> '' "
        "GROUP BY utk ORDER BY first_pos"
    )
    values = _blocks(con, query, spill)
    # A generator dropped before its first value runs no ``finally``: without this, the
    # connection and the spill folder outlived an iterator never read (an invalid option
    # given with the inputs, a caller that stops before the first value).
    weakref.finalize(values, _close, con, spill)
    return values


def _close(con: duckdb.DuckDBPyConnection, spill: str) -> None:
    con.close()
    shutil.rmtree(spill, ignore_errors=True)


def _blocks(con: duckdb.DuckDBPyConnection, query: str, spill: str) -> Iterator[str]:
    import duckdb

    try:
        try:
            cursor: Any = con.execute(query)
        except duckdb.Error as exc:
            raise InputError(f"reading the inputs failed: {exc}") from None
        while rows := cursor.fetchmany(_BLOCK):
            yield from (row[0] for row in rows)
    finally:
        _close(con, spill)
