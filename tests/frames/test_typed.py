"""Typed properties (``_typed``, ``frames.typed``) build the frames the plain decode builds.

The lookups decode each batch answer with typed properties (:func:`decode_batch`) when
pandas keeps strings in pyarrow. Whatever the typed decoder accepts must build the very
frames :func:`hubutk_pandas._json.loads`' dicts build; whatever it refuses must come back
as those dicts, so that the careful path puts every odd cell in ``extra`` as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from hubutk_pandas import _json
from hubutk_pandas._typed import Entry, as_dicts, decode_batch, decode_record
from hubutk_pandas.frames import build_frames
from hubutk_pandas.frames.typed import entries_and_versions
from hubutk_pandas.sandbox import SandboxPortal
from tests.frames.conftest import RICH, FetchText

VALUE_ONLY = {"propertyMode": "value_only", "formSubmissionMode": "none"}


@pytest.fixture(autouse=True)
def _arrow_strings() -> Iterator[None]:
    """The typed build runs where pandas keeps strings in pyarrow (pandas 3's default)."""
    with pd.option_context("mode.string_storage", "pyarrow"):
        yield


def _entries(answer: dict[str, Any]) -> list[Any]:
    return [e for r in answer.values() if r for e in (r.get("properties") or {}).values()]


def _no_nulls(value: Any) -> Any:
    """``value`` with every ``null`` member of an object left out (as entries encode)."""
    if isinstance(value, dict):
        return {k: _no_nulls(v) for k, v in value.items() if v is not None}
    return [_no_nulls(v) for v in value] if isinstance(value, list) else value


def _frames(answer: dict[str, Any]) -> dict[str, pd.DataFrame]:
    return build_frames([(u, r) for u, r in answer.items() if r is not None])


def _same_frames(typed: dict[str, Any], plain: dict[str, Any]) -> dict[str, pd.DataFrame]:
    got, want = _frames(typed), _frames(plain)
    assert list(got) == list(want)
    for name in want:
        pd.testing.assert_frame_equal(got[name], want[name], obj=name)
    return got


@pytest.fixture(scope="module")
def utks(portal: SandboxPortal) -> list[str]:
    return [*portal.sample_utks(60, "contact"), *portal.sample_utks(20, "merged"),
            *portal.sample_utks(20, "visitor")]  # fmt: skip


@pytest.mark.parametrize("params", [RICH, VALUE_ONLY], ids=["full history", "value only"])
def test_sandbox_answers_decode_typed_and_build_the_same_frames(
    fetch_text: FetchText, utks: list[str], params: dict[str, str]
) -> None:
    text = fetch_text(utks, **params)
    typed, plain = decode_batch(text), _json.loads(text)
    entries = _entries(typed)
    assert len(entries) > 1000 and all(type(e) is Entry for e in entries)
    assert as_dicts(entries) == _no_nulls(_entries(plain))  # the dicts they stand for
    assert {u: {k: v for k, v in r.items() if k != "properties"} for u, r in typed.items()} == {
        u: {k: v for k, v in r.items() if k != "properties"} for u, r in plain.items()
    }
    frames = _same_frames(typed, plain)
    history = frames["history"]
    assert (len(history) > len(frames["properties"])) == (params is RICH)
    assert frames["properties"]["extra"].isna().all() and history["extra"].isna().all()
    if params is RICH:
        assert history["source_vids"].notna().any()  # merged contacts' versions name vids


def _with(record: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A copy of ``record`` (JSON-round-tripped) with ``value`` set at ``path``."""
    out = _json.loads(_json.dumps(record))
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


@pytest.fixture(scope="module")
def one(portal: SandboxPortal, fetch_text: FetchText) -> dict[str, Any]:
    """A contact's record with full history and at least one versioned property."""
    answer = _json.loads(fetch_text(portal.sample_utks(10, "contact"), **RICH))
    return next(r for r in answer.values() if r and r.get("properties"))


def _a_version(record: dict[str, Any]) -> tuple[str, ...]:
    name = next(n for n, e in record["properties"].items() if e.get("versions"))
    return ("properties", name, "versions", 0)


REFUSED = [  # (what, where: the record's top, a property or a version, key, value)
    ("a key no frame knows, at the top", "top", "brand-new", 1),
    ("a key no frame knows, in a property", "property", "brand-new", 1),
    ("a key no frame knows, in a version", "version", "brand-new", "x"),
    ("a timestamp as text", "version", "timestamp", "1700000000123"),
    ("a number where a string belongs", "version", "value", 5),
    ("a value that is not a string", "property", "value", True),
    ("versions that are not a list", "property", "versions", {"a": 1}),
    ("a version that is not an object", "property", "versions", [7]),
    ("source vids that are not integers", "version", "source-vids", [7, "eight"]),
    ("properties that are not an object", "top", "properties", ["x"]),
]


@pytest.mark.parametrize("where, key, value", [r[1:] for r in REFUSED],
                         ids=[r[0] for r in REFUSED])  # fmt: skip
def test_what_the_typed_decoder_refuses_comes_back_as_plain_dicts(
    one: dict[str, Any], where: str, key: str, value: Any
) -> None:
    version = _a_version(one)
    path = {"top": (), "property": version[:2], "version": version}[where]
    text = _json.dumps({"u1": _with(one, (*path, key), value)}).encode()
    typed = decode_batch(text)
    assert typed == _json.loads(text)  # plain dicts: the careful path reads them
    assert "Entry(" not in repr(typed)
    if key == "brand-new":  # the careful path keeps the unknown key, in extra
        frames = _frames(typed)
        extras = pd.concat([frames[n]["extra"] for n in ("contacts", "properties", "history")])
        assert extras.str.contains("brand-new").any()


@pytest.mark.parametrize("text", [b'{"u1":{"vid":1,"score":NaN}}', b'{"u1":{"vid":"\\ud800"}}',
                                  b"[]", b'{"u1":[1]}'])  # fmt: skip
def test_json_the_typed_decoder_refuses_decodes_as_before(text: bytes) -> None:
    assert repr(decode_batch(text)) == repr(_json.loads(text))


def test_nulls_and_absent_keys_are_accepted_and_read_as_missing(one: dict[str, Any]) -> None:
    version = _a_version(one)
    odd = _with(one, (*version, "source-id"), None)
    odd = _with(odd, (*version, "selected"), None)
    odd = _with(odd, (*version[:2], "value"), None)
    del odd["canonical-vid"]
    odd["merge-audits"] = None
    text = _json.dumps({"u1": odd, "u2": None}).encode()
    typed = decode_batch(text)
    assert typed["u2"] is None and "canonical-vid" not in typed["u1"]
    assert all(type(e) is Entry for e in _entries(typed))
    _same_frames(typed, _json.loads(text))


def test_an_integer_past_64_bits_takes_the_careful_path(one: dict[str, Any]) -> None:
    """Typed, it decodes exactly; arrow refuses it, so the careful path spills it to extra."""
    big = 2**64
    text = _json.dumps({"u1": _with(one, (*_a_version(one), "timestamp"), big)}).encode()
    typed = decode_batch(text)
    assert entries_and_versions(_entries(typed)) is None
    history = _frames(typed)["history"]
    spilled = history["extra"].dropna()
    assert len(spilled) == 1 and _json.loads(spilled.iloc[0]) == {"timestamp": big}
    # Up to 64 bits both decoders give the same integer, and the same frames.
    text = _json.dumps({"u1": _with(one, (*_a_version(one), "timestamp"), 2**63)}).encode()
    _same_frames(decode_batch(text), _json.loads(text))


def test_typed_and_plain_records_in_one_build(fetch_text: FetchText, utks: list[str]) -> None:
    """A group can hold both (a refused batch beside typed ones): the careful path reads all."""
    text = fetch_text(utks[:40], **RICH)
    typed, plain = decode_batch(text), _json.loads(text)
    mixed = {u: (typed if i % 2 else plain)[u] for i, u in enumerate(plain)}
    _same_frames(mixed, plain)


def test_records_from_the_store_decode_typed(fetch_text: FetchText, utks: list[str]) -> None:
    """The record store's texts (a warm rerun) are decoded typed too, and encoded back."""
    typed = decode_batch(fetch_text(utks[:30], **RICH))
    texts = {u: _json.dumps(r) for u, r in typed.items()}  # as the store encodes them
    again = {u: decode_record(t) for u, t in texts.items()}
    assert all(type(e) is Entry for e in _entries(again))
    plain = {u: _json.loads(t) for u, t in texts.items()}
    assert plain == {u: _json.loads(_json.dumps(as_dicts([r])[0])) for u, r in typed.items()}
    _same_frames(again, plain)
    assert build_frames(list(texts.items()))["history"].equals(_frames(plain)["history"])
    assert decode_record('{"vid": 1, "new": 2}') == {"vid": 1, "new": 2}


def test_python_strings_read_typed_records_through_the_careful_path(
    fetch_text: FetchText, utks: list[str]
) -> None:
    """With Python strings (pandas 2's default) the entries are read as dicts."""
    text = fetch_text(utks[:30], **RICH)
    with pd.option_context("mode.string_storage", "python"):
        _same_frames(decode_batch(text), _json.loads(text))


def test_every_version_slot_is_a_history_column_of_its_arrow_type() -> None:
    from hubutk_pandas._typed import Version
    from hubutk_pandas.frames.columns import _ARROW_TYPES, _HISTORY_SPEC, HISTORY_SCHEMA
    from hubutk_pandas.frames.typed import _COLUMNS

    slots = dict(zip(Version.__struct_encode_fields__, Version.__struct_fields__, strict=True))
    assert {key: (slot, dtype) for key, slot, dtype in _COLUMNS} == {
        key: (slots[key], "list" if col == "source_vids" else HISTORY_SCHEMA[col])
        for col, key in _HISTORY_SPEC
    }
    assert {dtype for _, _, dtype in _COLUMNS} - {"list"} <= set(_ARROW_TYPES)


def test_strings_are_built_in_the_arrow_type_pandas_keeps_them_in() -> None:
    """No cast when pandas wraps them: the build's string arrays are already its own type."""
    import pyarrow as pa

    from hubutk_pandas.frames.columns import _arrow_string, _strings

    kept = pa.array(pd.array(["a"], dtype=pd.StringDtype("pyarrow"))).type
    assert _arrow_string() == kept
    if pd.StringDtype().storage == "pyarrow":
        built = _strings(["a", None, "ü"])
        assert pa.array(built).type == kept
        assert built.dtype == pd.StringDtype() and built.tolist() == ["a", pd.NA, "ü"]
