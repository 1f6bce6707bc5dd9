"""Each wide() kind, including odd values."""

from __future__ import annotations

import pandas as pd
import pytest

from hubutk_pandas.frames import dtypes


def _s(*values: str | None) -> pd.Series:
    return pd.Series(list(values), dtype="string")


@pytest.mark.parametrize(
    ("ptype", "field", "kind"),
    [
        ("number", "number", "number"), ("number", "text", "number"),
        ("datetime", "text", "datetime"), ("datetime", "date", "datetime"),
        ("date", "date", "date"), ("bool", "booleancheckbox", "bool"),
        ("bool", "select", "bool"), ("enumeration", "booleancheckbox", "bool"),
        ("enumeration", "select", "category"), ("enumeration", "radio", "category"),
        ("enumeration", "checkbox", "multi"), ("enumeration", "text", "string"),
        ("string", "booleancheckbox", "string"), ("phone_number", "text", "string"),
        ("string", "text", "string"), (None, None, "string"),
    ],
)  # fmt: skip
def test_property_kind(ptype: str | None, field: str | None, kind: str) -> None:
    assert dtypes.property_kind({"type": ptype, "fieldType": field}) == kind


def test_number_with_odd_values() -> None:
    out, bad = dtypes.to_number(_s("0", "0.0", " 42 ", "29000000.000", "-1e3", "", None,
                                   "N/A", "1,234", "inf"))  # fmt: skip
    assert str(out.dtype) == "Float64"
    assert out.tolist()[:5] == [0.0, 0.0, 42.0, 29_000_000.0, -1000.0]
    assert out.isna().tolist()[5:] == [True] * 5
    assert bad == 3  # "N/A", "1,234", "inf"; blanks are not counted


def test_datetime_exact_ms_and_seconds_guard() -> None:
    out, bad = dtypes.to_datetime(_s("1484026585538", "1408312892", "0", "", "soon", None))
    assert str(out.dtype) == "datetime64[ms, UTC]"
    assert out[0] == pd.Timestamp("2017-01-10 05:36:25.538", tz="UTC")
    assert out[0].microsecond == 538_000
    assert out[1] == pd.Timestamp("2014-08-17 22:01:32", tz="UTC")  # 10 digits: seconds
    assert out[2] == pd.Timestamp(0, tz="UTC")
    assert out.isna().tolist()[3:] == [True, True, True]
    assert bad == 1


def test_date_is_utc_midnight() -> None:
    out, bad = dtypes.to_date(_s("1430438400000", "1430482000000", ""))
    assert out.tolist()[:2] == [pd.Timestamp("2015-05-01", tz="UTC")] * 2
    assert str(out.dtype) == "datetime64[ms, UTC]" and pd.isna(out[2]) and bad == 0


def test_bool_values() -> None:
    out, bad = dtypes.to_bool(_s("true", "false", "TRUE", " False ", "", None, "yes"))
    assert str(out.dtype) == "boolean"
    assert out.tolist()[:4] == [True, False, True, False]
    assert out.isna().tolist()[4:] == [True, True, True] and bad == 1


def test_category_order_and_unknown_values() -> None:
    definition = {
        "type": "enumeration", "fieldType": "radio",
        "options": [{"value": "lead", "displayOrder": 1},
                    {"value": "subscriber", "displayOrder": 0},
                    {"value": "customer", "displayOrder": 5}],
    }  # fmt: skip
    out, bad = dtypes.convert_column(_s("lead", "", None, "retired"), definition)
    assert isinstance(out.dtype, pd.CategoricalDtype)
    assert out.cat.categories.tolist() == ["subscriber", "lead", "customer", "retired"]
    assert out.tolist()[0] == "lead" and out.isna().tolist()[1:3] == [True, True]
    assert out.tolist()[3] == "retired" and bad == 0


def test_category_without_options_uses_the_values() -> None:
    out, _ = dtypes.to_category(_s("9", "3", "9"), {"externalOptions": True, "options": []})
    assert out.cat.categories.tolist() == ["3", "9"]


def test_multi_select_lists() -> None:
    out, bad = dtypes.to_multi(_s("DECISION_MAKER;BUDGET_HOLDER", "a", "", None, ";b;"))
    assert out.dtype == object
    assert out.tolist()[:2] == [["DECISION_MAKER", "BUDGET_HOLDER"], ["a"]]
    assert pd.isna(out[2]) and pd.isna(out[3]) and out[4] == ["b"] and bad == 0


def test_string_keeps_text_and_blanks() -> None:
    out, bad = dtypes.convert_column(_s("x", "", None), None)
    assert str(out.dtype) == "string" and out.tolist()[:2] == ["x", ""] and bad == 0


def test_all_na_column_of_each_kind() -> None:
    kinds = [("number", "number"), ("datetime", "text"), ("date", "date"), ("bool", "x"),
             ("enumeration", "select"), ("enumeration", "checkbox")]  # fmt: skip
    for ptype, field in kinds:
        out, bad = dtypes.convert_column(_s(None, None), {"type": ptype, "fieldType": field})
        assert out.isna().all() and bad == 0 and len(out) == 2
