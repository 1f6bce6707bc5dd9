"""The JSON-text columns of a dataset (orjson since issue 19) decode back to the frame's values.

The list and JSON columns (``merged_vids``, ``source_vids``, ``meta_data``, companies'
properties, ...) are written as JSON text with orjson, which writes a NaN or an infinity
as ``null``; such values must come back as they were, as they did with the standard
library's encoder.
"""

from __future__ import annotations

import math

from hubutk_pandas.dataset.layout import frame_to_table, table_to_frame
from hubutk_pandas.frames import build_frames


def _record() -> dict:
    return {
        "vid": 7,
        "merged-vids": [7, 8],
        "form-submissions": [
            {"conversion-id": "c1", "timestamp": 1000, "meta-data": [
                {"name": "score", "value": float("nan")},
                {"name": "big", "value": 1e16, "none": None, "text": "Zoë"},
            ]},
            {"conversion-id": "c2", "timestamp": 2000, "meta-data": [{"inf": float("inf")}]},
        ],
        "associated-company": {"company-id": 9, "properties": {
            "name": {"value": "Acme"}, "domain": {"value": None}}},
    }  # fmt: skip


def test_json_columns_round_trip_exactly() -> None:
    frames = build_frames([("u", _record())])
    for name in ("contacts", "form_submissions", "companies"):
        back = table_to_frame(name, frame_to_table(name, frames[name]))
        assert list(back.columns) == list(frames[name].columns)
        assert back.drop(columns=["meta_data"], errors="ignore").equals(
            frames[name].drop(columns=["meta_data"], errors="ignore")
        ), name
    table = frame_to_table("form_submissions", frames["form_submissions"])
    meta = table_to_frame("form_submissions", table)["meta_data"].tolist()
    assert math.isnan(meta[0][0]["value"])  # not None: the NaN survives
    assert meta[0][1] == {"name": "big", "value": 1e16, "none": None, "text": "Zoë"}
    assert meta[1] == [{"inf": float("inf")}]
    assert table["meta_data"][0].as_py().count("Zoë") == 1  # UTF-8 kept, not escaped
    assert frame_to_table("contacts", frames["contacts"])["merged_vids"].to_pylist() == ["[7,8]"]
