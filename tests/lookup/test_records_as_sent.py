"""The record store keeps each record as HubSpot sent it, cut out of the batch answer's body.

Encoding every decoded record again for the store cost a tenth of a lookup's CPU with full
history (issue 19). The cut must be exact where it is made, and it must never give text
that decodes to another value: where it cannot be sure it makes no cut, and the record is
encoded as before.
"""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import pytest
import requests

from hubutk_pandas import LookupOptions
from hubutk_pandas._http.store import RECORD_STORE_FILE, RecordStore
from hubutk_pandas._json import SentObject, loads
from hubutk_pandas.frames import FRAME_NAMES
from hubutk_pandas.lookup import lookup_to_dataset, lookup_to_result
from hubutk_pandas.sandbox import SandboxPortal
from tests.conftest import MakeClient


def sent(text: str | bytes) -> SentObject:
    body = text.encode() if isinstance(text, str) else text
    return SentObject(loads(body), body)


def test_each_object_member_is_cut_out_exactly_as_sent() -> None:
    body = (
        '{"a1":{"vid": 1, "name":"say \\"hi\\"\\n","n":1.0E3},"b-2":null,"c_3":[1],'
        '"d.4":{"deep":{"x":{"y":[]}}},"e5":{"name":"Zo\\u00eb"},"f6":{"path":"a\\/b"}}'
    )
    cut = sent(body).members_as_sent()
    # Values that are not objects are left out, and so is text with a \u escape (the
    # erasure searches the stored text for emails' plain characters); other escapes stay.
    assert cut == {
        "a1": '{"vid": 1, "name":"say \\"hi\\"\\n","n":1.0E3}',
        "d.4": '{"deep":{"x":{"y":[]}}}',
        "f6": '{"path":"a\\/b"}',
    }
    answer = sent(body)
    assert all(loads(text) == answer[key] for key, text in cut.items())


@pytest.mark.parametrize(
    "body",
    [
        '{ "a":{"vid":1},"b":{"vid":2}}',  # space before the first key
        '{"a":{"vid":1}, "b":{"vid":2}}',  # space between members
        '{"a":{"vid":1},"b":{"vid":2}} ',  # space after the object
        '{"a b":{"vid":1}}',  # a key that is not plain
        '{"\\u0061":{"vid":1}}',  # a key spelled with an escape
        "{}",
    ],
)
def test_text_that_is_not_compact_or_plain_is_not_cut(body: str) -> None:
    assert sent(body).members_as_sent() == {}


def test_a_member_after_whitespace_inside_is_still_cut_only_where_exact() -> None:
    # A value's own spacing is its text; only the top level must be compact.
    cut = sent('{"a":{ "vid" : 1 },"b":{"vid":2} }').members_as_sent()
    assert cut == {"a": '{ "vid" : 1 }'}  # b's text ends in a space: not cut
    cut = sent('{"a":{ "vid" : 1 },"b":{"vid":2}}').members_as_sent()
    assert cut == {"a": '{ "vid" : 1 }', "b": '{"vid":2}'}


def test_a_decoded_order_other_than_the_texts_is_not_cut() -> None:
    body = b'{"a":{"vid":1},"b":{"vid":2}}'
    assert SentObject({"b": {"vid": 2}, "a": {"vid": 1}}, body).members_as_sent() == {}


@pytest.mark.parametrize(
    "body",
    [
        # "b" is also a key inside a's value, after a comma: the search finds it there
        # first. Cut, a would end inside its own value and b would not be JSON.
        '{"a":{"x":1,"b":{"y":2},"z":3},"b":{"vid":2},"c":{"vid":3}}',
        # "b" and "c" both inside a's value, one after the other: cut, b would be the
        # nested {"v":1}, JSON that decodes to another value.
        '{"a":{"x":{"y":0,"b":{"v":1},"c":{"v":2}}},"b":{"vid":2},"c":{"vid":3}}',
        # the last key inside the value before it
        '{"a":{"x":0,"b":{"v":1}},"b":{"vid":2}}',
        # a key twice, one after the other
        '{"a":{"vid":1},"a":{"vid":9},"b":{"vid":2}}',
    ],
)
def test_a_key_found_inside_a_value_or_twice_is_not_cut(body: str) -> None:
    assert sent(body).members_as_sent() == {}


def test_a_key_twice_with_a_member_between_is_the_one_known_limit() -> None:
    # JSON leaves such an object's meaning open; HubSpot, writing a map, cannot send one.
    # The decoders keep the last value, the cut the first; the member in between is cut
    # as text that is not JSON, which the store reads as a damaged row.
    answer = sent('{"a":{"vid":1},"b":{"vid":2},"a":{"vid":9}}')
    cut = answer.members_as_sent()
    assert answer["a"] == {"vid": 9} and cut["a"] == '{"vid":1}'
    with pytest.raises(ValueError):
        loads(cut["b"])


def _random_value(rng: random.Random, depth: int, names: list[str]) -> Any:
    """A random JSON value; its objects' keys and its strings are drawn from ``names`` too."""
    kind = rng.randrange(7 if depth < 3 else 4)
    if kind == 0:
        return rng.choice([None, True, False, rng.randrange(-(10**12), 10**12), rng.random()])
    if kind in (1, 2, 3):  # strings with quotes, backslashes, commas, colons, keys, unicode
        parts = ['"', "\\", ",", ":", "{", "}", "é", "☃", "\n", *names]
        parts += [f',"{name}":' for name in names]
        return "".join(rng.choice(parts) for _ in range(rng.randrange(6)))
    if kind == 4:
        return [_random_value(rng, depth + 1, names) for _ in range(rng.randrange(4))]
    if rng.random() < 0.5:  # some other keys, then a run of the names in their order
        first = rng.randrange(len(names))
        run = ["x", *names[first : first + rng.randrange(1, 4)]]
    else:
        run = [rng.choice([*names, "vid", "value", "x"]) for _ in range(rng.randrange(4))]
    return {name: _random_value(rng, depth + 1, names) for name in run}


def _random_answer(rng: random.Random, nested_keys: bool) -> dict[str, Any]:
    keys = [f"{rng.getrandbits(64):016x}" for _ in range(rng.randrange(1, 8))]
    names = keys if nested_keys else ["other", "name-2"]
    answer = {
        key: _random_value(rng, 1, names)
        if rng.random() < 0.2
        else {"vid": rng.randrange(10**6), "more": _random_value(rng, 1, names)}
        for key in keys
    }
    return answer


def _encodings(answer: dict[str, Any]) -> list[bytes]:
    """Compact texts of ``answer`` as orjson and the standard library write them."""
    return [
        orjson.dumps(answer),
        json.dumps(answer, separators=(",", ":")).encode(),
        json.dumps(answer, separators=(",", ":"), ensure_ascii=False).encode(),
    ]


@pytest.mark.parametrize("seed", range(30))
def test_random_answers_are_cut_exactly_and_completely(seed: int) -> None:
    # Nested objects never use a top-level key: every object member is cut, unless its
    # text holds a \u escape, and each cut decodes to its own value.
    decoded = _random_answer(random.Random(seed), nested_keys=False)
    for body in _encodings(decoded):
        answer = sent(body)
        cut = answer.members_as_sent()
        due = {k for k, v in answer.items() if isinstance(v, dict)}
        assert set(cut) <= due
        for key in due - set(cut):  # left out only for an escape
            assert "\\u" in body.decode().split(f'"{key}":', 1)[1]
        for key, text in cut.items():
            assert loads(text) == answer[key]
            assert f'"{key}":{text}'.encode() in body


@pytest.mark.parametrize("seed", range(60))
def test_random_answers_with_nested_keys_never_cut_another_value(seed: int) -> None:
    # Nested objects reuse the top-level keys: whatever is cut is still exactly its own.
    decoded = _random_answer(random.Random(1000 + seed), nested_keys=True)
    for body in _encodings(decoded):
        answer = sent(body)
        for key, text in answer.members_as_sent().items():
            assert loads(text) == answer[key]
            assert f'"{key}":{text}'.encode() in body


# -- through the pipeline ---------------------------------------------------------------


class SentFetcher:
    """A fetcher whose answers keep a text of their own (spaced, unlike an encoder's)."""

    source, max_workers, max_url_length = "memory://", 1, 8000

    def __init__(self, max_url_length: int = 8000) -> None:
        self.max_url_length = max_url_length
        self.remembered: dict[str, Any] = {}
        self.answers: list[SentObject] = []

    def fixed_url_length(self, endpoint: str, query: Any) -> int:
        return 100 + sum(len(name) + len(value) + 2 for name, value in query)

    def get_batch(
        self, endpoint: str, params: Any, *, refresh: bool, cache: bool, typed: bool = False
    ) -> Any:
        utks = [value for name, value in params if name == "utk"]
        body = ",".join(
            f'"{u}":{{"vid": {i + 1}, "properties": {{"email": {{"value": "{u}@x.example"}}, '
            f'"city": {{"value": "Oslo"}}}}}}'
            for i, u in enumerate(utks)
        )
        answer = sent("{" + body + "}")
        self.answers.append(answer)
        return answer

    def recall(self, options: Any, utks: Any, *, typed: bool = False) -> dict[str, Any]:
        return {}

    def stored(self, options: Any, utks: Any) -> set[str]:
        return set()

    def remember(self, options: Any, found: Any) -> None:
        self.remembered.update(found)

    def property_definitions(self) -> list[dict[str, Any]]:
        return []

    def credential_fingerprint(self, salt: bytes) -> str:
        return "fixed"

    def portal_id(self) -> int:
        return 1


def test_the_pipeline_hands_the_store_each_record_as_sent() -> None:
    fetcher = SentFetcher()
    result = lookup_to_result(fetcher, ["u1", "u2"], LookupOptions(), progress=False)
    assert sorted(result.contacts["vid"]) == [1, 2]
    # The worker cut the records and let the body go: an answer waiting to be used does
    # not hold it.
    assert [answer.sent for answer in fetcher.answers] == [b""]
    assert fetcher.remembered == {
        "u1": '{"vid": 1, "properties": {"email": {"value": "u1@x.example"}, '
        '"city": {"value": "Oslo"}}}',
        "u2": '{"vid": 2, "properties": {"email": {"value": "u2@x.example"}, '
        '"city": {"value": "Oslo"}}}',
    }


def test_records_trimmed_locally_are_stored_trimmed_not_as_sent() -> None:
    # A property list too long for the URL is applied locally: the answer as sent holds
    # every property, so the store must get the trimmed record, never the text.
    fetcher = SentFetcher(max_url_length=400)
    many = ["email", *(f"custom_property_number_{i}" for i in range(40))]
    options = LookupOptions(properties=many)
    lookup_to_result(fetcher, ["u1"], options, progress=False)
    assert fetcher.remembered == {
        "u1": {"vid": 1, "properties": {"email": {"value": "u1@x.example"}}}
    }


def _rows(folder: Path) -> dict[str, str | None]:
    with sqlite3.connect(folder / RECORD_STORE_FILE) as con:
        return dict(con.execute("SELECT utk, record FROM records").fetchall())


def test_a_lookup_stores_the_sandboxs_text_and_a_rerun_reads_it_back(
    portal: SandboxPortal, make_client: MakeClient, tmp_path: Path
) -> None:
    utks = portal.sample_utks(120)
    options = LookupOptions(property_mode="value_and_history", form_submission_mode="all")
    client = make_client(portal, cache=tmp_path)
    cold = client.lookup_utks(utks, options=options, progress=False)
    rows = _rows(tmp_path)
    query = [("propertyMode", "value_and_history"), ("formSubmissionMode", "all")]
    bodies = b"".join(
        requests.get(
            portal.base_url + "/contacts/v1/contact/byUtk/batch/",
            params=[*query, *(("utk", u) for u in utks[i : i + 100])],
            headers={"Authorization": f"Bearer {portal.access_token}"},
            timeout=30,
        ).content
        for i in range(0, len(utks), 100)
    )
    texts = [text for text in rows.values() if text is not None]
    assert len(texts) == len(cold.contacts)
    # Every stored record is the text HubSpot's answer held for its utk, character for
    # character (a record with a \u escape would be encoded again; the sandbox sends none).
    for utk, text in rows.items():
        if text is not None:
            assert f'"{utk}":{text}'.encode() in bodies
    portal.reset_stats()
    warm = make_client(portal, cache=tmp_path).lookup_utks(utks, options=options, progress=False)
    assert portal.stats.requests == 0
    for name in FRAME_NAMES:
        pd.testing.assert_frame_equal(getattr(warm, name), getattr(cold, name))


@pytest.mark.parametrize("cache", [False, True])
def test_the_clients_batch_answers_keep_the_body_they_were_decoded_from(
    portal: SandboxPortal, make_client: MakeClient, tmp_path: Path, cache: bool
) -> None:
    client = make_client(portal, cache=tmp_path)
    params = [("utk", u) for u in portal.sample_utks(5)]
    for _ in range(2):  # with the HTTP cache: the network, then a cache hit
        answer = client.fetcher.get_batch("byUtk", params, refresh=False, cache=cache)
        assert isinstance(answer, SentObject)
        assert loads(answer.sent) == answer and len(answer) > 0


def test_without_a_record_store_the_answers_keep_no_body(
    portal: SandboxPortal, make_client: MakeClient
) -> None:
    # cache=False: no store to keep the records' texts for, so no body is kept and no
    # worker cuts texts nobody stores (a few percent of a thin lookup's CPU)
    client = make_client(portal, cache=False)
    utks = portal.sample_utks(5)
    answer = client.fetcher.get_batch(
        "byUtk", [("utk", u) for u in utks], refresh=False, cache=False, typed=True
    )
    assert type(answer) is dict and len(answer) > 0
    assert client.lookup_utks(utks, progress=False).contacts["utk"].tolist() == utks


def test_the_store_keeps_a_records_text_as_it_is(tmp_path: Path) -> None:
    with RecordStore(tmp_path) as store:
        store.put("ns", {"a": '{"vid": 1,  "n": 1.0E3}', "b": {"vid": 2}, "c": None})
        assert store.get("ns", ["a", "b", "c"]) == {
            "a": {"vid": 1, "n": 1000.0},
            "b": {"vid": 2},
            "c": None,
        }
    assert _rows(tmp_path) == {"a": '{"vid": 1,  "n": 1.0E3}', "b": '{"vid":2}', "c": None}


def test_a_streamed_lookup_cuts_nothing_and_lets_each_body_go(tmp_path: Path) -> None:
    fetcher = SentFetcher()
    ds = lookup_to_dataset(fetcher, ["u1", "u2"], tmp_path / "ds", LookupOptions(), progress=False)
    assert ds.counts["contacts"] == 2
    assert fetcher.remembered == {}  # a dataset is its own state: no record store
    assert [answer.sent for answer in fetcher.answers] == [b""]
