"""LookupResult over sandbox records: wide() typing, definitions provider, repr, pickling."""

from __future__ import annotations

import copy
import pickle
import warnings
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from hubutk_pandas.errors import HubSpotError
from hubutk_pandas.frames import FRAME_NAMES
from hubutk_pandas.result import LookupResult
from hubutk_pandas.sandbox import SandboxPortal

Fetch = Callable[..., dict[str, Any]]


@pytest.fixture
def result_parts(portal: SandboxPortal, fetch: Fetch) -> list[tuple[str | None, dict[str, Any]]]:
    utks = [*portal.sample_utks(20, "contact"), *portal.sample_utks(2, "merged")]
    body = fetch(utks, propertyMode="value_and_history")
    return [(u, body[u]) for u in utks if u in body]


class Provider:
    """A definitions provider that counts calls and holds a fake secret, like a client."""

    def __init__(self, definitions: list[dict[str, Any]]) -> None:
        self.token = "pat-na1-SECRET-TOKEN"
        self.calls = 0
        self._definitions = definitions

    def __call__(self) -> list[dict[str, Any]]:
        self.calls += 1
        return self._definitions


def test_wide_is_typed_by_the_portal_definitions(
    result_parts: list[tuple[str | None, dict[str, Any]]], definitions: list[dict[str, Any]]
) -> None:
    provider = Provider(definitions)
    result = LookupResult.from_records(result_parts, definitions=provider)
    wide = result.wide()
    assert list(wide.columns[:2]) == ["utk", "vid"]
    props = list(wide.columns[2:])
    assert props == sorted(props) and "email" in props
    assert len(wide) == len(result_parts)
    assert wide["utk"].tolist() == [u for u, _ in result_parts]
    expected = {
        "email": "string", "hs_analytics_num_visits": "Float64",
        "createdate": "datetime64[ms, UTC]", "hs_email_optout": "boolean",
        "lifecyclestage": "category", "hs_analytics_source": "category",
    }  # fmt: skip
    for col, dtype in expected.items():
        assert str(wide[col].dtype) == dtype, col
    stages = [o["value"] for o in next(d for d in definitions
                                       if d["name"] == "lifecyclestage")["options"]]  # fmt: skip
    assert wide["lifecyclestage"].cat.categories.tolist()[: len(stages)] == stages
    # Values agree with the long frame, row by row.
    first_vid, first_record = result_parts[0][1]["vid"], result_parts[0][1]
    created = int(first_record["properties"]["createdate"]["value"])
    assert wide.loc[wide["vid"] == first_vid, "createdate"].iloc[0] == pd.Timestamp(
        created, unit="ms", tz="UTC"
    )
    result.wide(["email"])
    assert provider.calls == 1  # cached on the result


def test_wide_with_requested_properties_order_missing_and_odd_values() -> None:
    defs = [
        {"name": "n", "type": "number", "fieldType": "number"},
        {"name": "roles", "type": "enumeration", "fieldType": "checkbox"},
        {"name": "d", "type": "date", "fieldType": "date"},
        {"name": "ok", "type": "bool", "fieldType": "booleancheckbox"},
    ]
    values = {"n": "N/A", "roles": "x;y", "d": "1430438400000", "ok": "maybe"}
    a = {"vid": 1, "properties": {k: {"value": v} for k, v in values.items()}}
    b = {"vid": 2, "properties": {"n": {"value": "3"}}}
    result = LookupResult.from_records([("ua", a), ("ub", b), ("ua2", a)], definitions=lambda: defs)
    with pytest.warns(UserWarning, match=r"n \(2\), ok \(2\)") as record:
        wide = result.wide(["roles", "n", "absent", "d", "ok"])
    assert len(record) == 1
    assert list(wide.columns) == ["utk", "vid", "roles", "n", "absent", "d", "ok"]
    assert wide["n"].isna().tolist() == [True, False, True] and wide["n"][1] == 3.0
    assert wide["roles"].tolist()[0] == ["x", "y"] and pd.isna(wide["roles"][1])
    assert wide["absent"].isna().all() and str(wide["absent"].dtype) == "string"
    assert wide["d"][2] == pd.Timestamp("2015-05-01", tz="UTC")


def test_wide_of_an_empty_result_and_without_definitions() -> None:
    empty = LookupResult.from_records([], [("x", "not_found")])
    wide = empty.wide()
    assert list(wide.columns) == ["utk", "vid"] and len(wide) == 0
    plain = LookupResult.from_records([("u", {"vid": 1, "properties": {"n": {"value": "3"}}})])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert str(plain.wide()["n"].dtype) == "string"


def test_definitions_provider_errors() -> None:
    # No provider: no definitions, as a dataset written without them (wide() types strings).
    assert LookupResult.from_records([]).definitions() == []

    boom = ConnectionError("boom")

    def broken() -> list[dict[str, Any]]:
        raise boom

    # A provider of one's own that breaks is not HubSpot's doing: its error comes out as is.
    with pytest.raises(ConnectionError) as info:
        LookupResult.from_records([], definitions=broken).definitions()
    assert info.value is boom
    with pytest.raises(HubSpotError, match="list of objects"):
        LookupResult.from_records([], definitions=lambda: {"a": 1}).definitions()  # type: ignore[arg-type,return-value]
    own = HubSpotError("HTTP trouble", status=503)

    def failing() -> list[dict[str, Any]]:
        raise own

    with pytest.raises(HubSpotError) as got:
        LookupResult.from_records([], definitions=failing).wide()
    assert got.value is own


def test_frames_repr_and_no_secret_kept(
    result_parts: list[tuple[str | None, dict[str, Any]]], definitions: list[dict[str, Any]]
) -> None:
    provider = Provider(definitions)
    result = LookupResult.from_records(result_parts, [("zz", "not_found")], definitions=provider)
    assert list(result.frames) == list(FRAME_NAMES)
    assert result.frames["history"] is result.history
    text = repr(result)
    assert f"{len(result_parts)} matched utks" in text and "1 missing" in text
    assert f"history={len(result.history)}" in text
    assert "<table>" in result._repr_html_()
    result.definitions()
    for blob in (pickle.dumps(result), repr(result), result._repr_html_()):
        assert (b"SECRET" not in blob) if isinstance(blob, bytes) else ("SECRET" not in blob)
    clone = pickle.loads(pickle.dumps(result))
    assert clone.definitions() == result.definitions()  # the cached definitions survive
    pd.testing.assert_frame_equal(clone.wide(), result.wide())
    assert copy.deepcopy(result)._provider is None
    for frame in result.frames.values():
        assert not frame.attrs


def test_plot_property_returns_a_result_plotter() -> None:
    from hubutk_pandas.plotting import ResultPlotter

    result = LookupResult.from_records([])
    assert isinstance(result.plot, ResultPlotter)


def test_the_result_keeps_the_options_it_is_given() -> None:
    from hubutk_pandas.errors import InvalidOptionError
    from hubutk_pandas.options import LookupOptions

    opts = LookupOptions(property_mode="value_and_history", properties=["email"])
    built = LookupResult.from_records([("u", {"vid": 1})], options=opts)
    assert built.options is opts
    assert LookupResult.from_frames(built.frames, options=opts).options is opts
    assert LookupResult([("u", {"vid": 1})], options=opts).options is opts
    assert LookupResult.from_records([]).options is None  # built by hand: not known
    assert pickle.loads(pickle.dumps(built)).options == opts
    with pytest.raises(InvalidOptionError, match="options must be a LookupOptions or None"):
        LookupResult.from_records([], options={"property_mode": "value_only"})  # type: ignore[arg-type]


def test_to_pandas_filters_as_a_parquet_reader_would() -> None:
    records = [
        ("a", {"vid": 1, "properties": {"n": {"value": "1"}, "s": {"value": "x"}}}),
        ("b", {"vid": 2, "properties": {"n": {"value": "2"}}}),
        ("c", {"vid": 3, "properties": {"s": {"value": "y"}}}),
    ]
    result = LookupResult.from_records(records)
    props = result.to_pandas("properties", ["vid", "value"], [("property", "!=", "n")])
    assert props.to_dict("list") == {"vid": [1, 3], "value": ["x", "y"]}
    assert props.index.tolist() == [0, 1]  # a fresh RangeIndex
    rows = result.to_pandas("contacts", ["utk"], [[("vid", "<", 2)], [("vid", ">=", 3)]])
    assert rows["utk"].tolist() == ["a", "c"]
    none = result.to_pandas("contacts", filters=[("utk", "in", ["zz"])])
    assert none.empty and list(none.columns) == list(result.contacts.columns)
    with pytest.raises(KeyError, match="filters: no column 'page'"):
        result.to_pandas("contacts", filters=[("page", "==", "/")])
