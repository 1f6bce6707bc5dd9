"""The on-disk shape of each frame: one fixed Arrow schema, and the exact way back to pandas.

Each frame of a :class:`~hubutk_pandas.result.LookupResult` is stored as a folder of
standard Parquet files whose Arrow schema is fixed by the frame's ``*_SCHEMA``
(:data:`hubutk_pandas.frames.SCHEMAS`), the same in every part, so pyarrow, DuckDB, Dask
and Spark read a frame folder directly, without pandas metadata:

==========================  ==========================================================
pandas dtype                Parquet / Arrow type
==========================  ==========================================================
``string``                  ``string``
``Int64``                   ``int64``
``boolean``                 ``bool``
``datetime64[ms, UTC]``     ``timestamp[ms, tz=UTC]`` (exact to the millisecond)
``object`` (lists, JSON)    ``string`` holding JSON text (``merged_vids``: ``"[1,2]"``)
==========================  ==========================================================

``companies`` is the one frame whose in-memory columns depend on the data (one ``string``
column per company property). On disk it has the fixed columns ``vid, company_id,
portal_id``, then ``properties`` (JSON text of an object ``{property name: value or
null}``, names as HubSpot sends them), then ``extra``; :func:`table_to_frame` expands
``properties`` back into the in-memory columns (sorted by name, ``property_``-prefixed when
a name collides with a fixed column), so ``to_pandas("companies")`` equals the in-memory
frame.

Examples
--------
>>> from hubutk_pandas.frames import build_frames
>>> rec = {"vid": 1, "merged-vids": [1, 2], "associated-company": {
...     "company-id": 9, "properties": {"name": {"value": "Acme"}}}}
>>> frames = build_frames([("u", rec)])
>>> table = frame_to_table("companies", frames["companies"])
>>> table.column_names
['vid', 'company_id', 'portal_id', 'properties', 'extra']
>>> table_to_frame("companies", table).equals(frames["companies"])
True
>>> frame_to_table("contacts", frames["contacts"])["merged_vids"].to_pylist()
['[1,2]']
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from hubutk_pandas import _json
from hubutk_pandas.frames import COMPANIES_SCHEMA, SCHEMAS, TIMESTAMP_DTYPE

__all__ = ["COMPANY_PROPERTIES", "arrow_schema", "frame_to_table", "table_to_frame"]

COMPANY_PROPERTIES = "properties"
"""The JSON-text column that holds ``companies``' property values on disk."""

_ARROW = {
    "string": pa.string(),
    "Int64": pa.int64(),
    "boolean": pa.bool_(),
    TIMESTAMP_DTYPE: pa.timestamp("ms", tz="UTC"),
    "object": pa.string(),  # JSON text
}
_FIXED_COMPANY = [c for c in COMPANIES_SCHEMA if c != "extra"]


def _disk_columns(name: str) -> dict[str, str]:
    """``{column: in-memory dtype}`` of the frame as stored (companies: JSON properties)."""
    if name == "companies":
        return {**{c: COMPANIES_SCHEMA[c] for c in _FIXED_COMPANY},
                COMPANY_PROPERTIES: "object", "extra": "string"}  # fmt: skip
    return dict(SCHEMAS[name])


def arrow_schema(name: str) -> pa.Schema:
    """The one Arrow schema every part of frame ``name`` has.

    Examples
    --------
    >>> arrow_schema("missing")
    utk: string
    reason: string
    """
    return pa.schema([pa.field(c, _ARROW[d]) for c, d in _disk_columns(name).items()])


def _json_text(values: Any, *, strings_only: bool = False) -> pa.Array:
    # orjson: the standard library's encoder took a tenth of a streamed lookup's CPU. Values
    # known to hold only strings and nulls (the companies' properties) cannot hold a NaN.
    dumps = _json.dumps if strings_only else _json.dumps_exact
    text = [None if v is None or v is pd.NA else dumps(v) for v in values]
    return pa.array(text, type=pa.string())


def _company_properties(frame: pd.DataFrame) -> list[Any]:
    """Each row's ``{property: value}``: the columns between the fixed ones and ``extra``."""
    names = [c for c in frame.columns if c not in COMPANIES_SCHEMA]
    if not names:
        return [None] * len(frame)
    originals = [c[len("property_"):] if c.startswith("property_")
                 and c[len("property_"):] in COMPANIES_SCHEMA else c for c in names]  # fmt: skip
    columns = [frame[c].astype(object).where(frame[c].notna(), None).tolist() for c in names]
    return [dict(zip(originals, row, strict=True)) for row in zip(*columns, strict=True)]


def frame_to_table(name: str, frame: pd.DataFrame) -> pa.Table:
    """Frame ``name`` (as :func:`~hubutk_pandas.frames.build_frames` makes it) → Arrow table."""
    schema = arrow_schema(name)
    dtypes = _disk_columns(name)
    arrays = []
    for field in schema:
        if name == "companies" and field.name == COMPANY_PROPERTIES:
            arrays.append(_json_text(_company_properties(frame), strings_only=True))
        elif dtypes[field.name] == "object":
            arrays.append(_json_text(frame[field.name].to_numpy(dtype=object)))
        else:
            arrays.append(pa.Array.from_pandas(frame[field.name], type=field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


_PANDAS = {
    pa.int64(): pd.Int64Dtype(),
    pa.bool_(): pd.BooleanDtype(),
    pa.string(): pd.StringDtype(),
}


def _from_json(column: pa.ChunkedArray) -> np.ndarray:
    values = column.to_pylist()
    return np.fromiter(
        (None if v is None else json.loads(v) for v in values), dtype=object, count=len(values)
    )


def table_to_frame(
    name: str, table: pa.Table, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """An Arrow table read from frame ``name``'s folder → the in-memory frame (exact dtypes).

    ``columns`` (in-memory names) selects and orders the result; for ``companies`` a
    property column is taken from the stored ``properties`` JSON.
    """
    dtypes = _disk_columns(name)
    objects = [c for c in table.column_names if dtypes.get(c) == "object"]
    plain = table.drop_columns(objects)
    frame = plain.to_pandas(types_mapper=_PANDAS.get)
    for col in objects:
        if name == "companies" and col == COMPANY_PROPERTIES:
            continue
        frame[col] = _from_json(table[col])
    if name == "companies":
        frame = _expand_companies(frame, table)
    if columns is not None:
        missing = [c for c in columns if c not in frame.columns]
        for c in missing:  # a company property no company has: all NA, like wide()
            frame[c] = pd.array([None] * len(frame), dtype="string")
        return frame[list(columns)]
    if name == "companies":
        return frame
    order = [c for c in _disk_columns(name) if c in frame.columns]
    return frame[order + [c for c in frame.columns if c not in order]]


def _expand_companies(frame: pd.DataFrame, table: pa.Table) -> pd.DataFrame:
    fixed = frame[[c for c in _FIXED_COMPANY if c in frame.columns]]
    if COMPANY_PROPERTIES not in table.column_names:
        return frame
    dicts = [d or {} for d in _from_json(table[COMPANY_PROPERTIES])]
    names = sorted(set().union(*dicts)) if dicts else []
    wide = {
        (f"property_{n}" if n in COMPANIES_SCHEMA else n): pd.array(
            [d.get(n) for d in dicts], dtype="string"
        )
        for n in names
    }
    parts = [fixed, pd.DataFrame(wide, index=frame.index)]
    if "extra" in frame.columns:
        parts.append(frame[["extra"]])
    return pd.concat(parts, axis=1)
