"""The Lists API of the sandbox over HTTP: memberships, list definitions, id mapping, 207s."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from hubutk_pandas.sandbox import SandboxPortal
from hubutk_pandas.sandbox.vocab import LISTS

from .helpers import LIST_ROOTS, RATE_HEADERS, batch, contact_inputs, get, post

VERSIONS = list(LIST_ROOTS)
MEMBERSHIP_KEYS = {
    "listId",
    "listVersion",
    "firstAddedTimestamp",
    "lastAddedTimestamp",
    "isPublicList",
}
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
NOT_FOUND = (
    "Could not get some CONTACT objects, they may be deleted or not exist. "
    "Check that ids are valid."
)


@pytest.fixture(scope="module")
def lp() -> Iterator[SandboxPortal]:
    """A portal of pre-2026 v1 answers: its v1 memberships are the ground truth to compare."""
    with SandboxPortal(contacts=400, seed=21, v1_memberships="legacy") as portal:
        yield portal


def _parse_iso(text: str) -> dt.datetime:
    assert text.endswith("Z") and len(text) == len("2025-04-02T19:56:53.911Z"), text
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")


def _v1(portal: SandboxPortal, n: int = 60) -> dict[str, dict[str, Any]]:
    """vid → v1 record (with memberships) of ``n`` sampled contacts."""
    body = batch(portal, portal.sample_utks(n), showListMemberships="true")
    return {str(r["vid"]): r for r in body.values()}


def _read(portal: SandboxPortal, vids: list[str], version: str = "v3") -> Any:
    return post(
        portal, f"{LIST_ROOTS[version]}/records/memberships/batch/read", contact_inputs(vids)
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_batch_read_answers_every_contact_with_its_lists(lp: SandboxPortal, version: str) -> None:
    records = _v1(lp)
    vids = list(records)
    resp = _read(lp, vids, version)
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"].startswith("application/json")
    body = resp.json()
    assert body["status"] == "COMPLETE"
    assert _parse_iso(body["startedAt"]) <= _parse_iso(body["completedAt"])
    assert "errors" not in body and "numErrors" not in body
    assert [r["recordId"] for r in body["results"]] == vids  # every one, in order
    assert any(r["recordListMemberships"] for r in body["results"])
    for result in body["results"]:
        assert result["objectTypeId"] == "0-1"
        for m in result["recordListMemberships"]:
            assert set(m) == MEMBERSHIP_KEYS
            assert isinstance(m["listId"], str) and m["listId"].isdigit()
            assert isinstance(m["listVersion"], int) and isinstance(m["isPublicList"], bool)
            assert _parse_iso(m["firstAddedTimestamp"]) <= _parse_iso(m["lastAddedTimestamp"])


def test_the_lists_api_and_the_legacy_v1_answers_agree(lp: SandboxPortal) -> None:
    records = _v1(lp)
    body = _read(lp, list(records)).json()
    legacy_ids = sorted(
        {str(e["static-list-id"]) for r in records.values() for e in r["list-memberships"]}
    )
    mapping = post(lp, "/crm/v3/lists/idmapping", legacy_ids).json()
    assert mapping["missingLegacyListIds"] == []
    to_new = {m["legacyListId"]: m["listId"] for m in mapping["legacyListIdsToIdsMapping"]}
    re_added = 0
    for result in body["results"]:
        v1 = records[result["recordId"]]["list-memberships"]
        new = result["recordListMemberships"]
        # The same lists, in the same order, the legacy ids mapped through idmapping.
        assert [m["listId"] for m in new] == [to_new[str(e["static-list-id"])] for e in v1]
        for entry, m in zip(v1, new, strict=True):
            last = EPOCH + dt.timedelta(milliseconds=entry["timestamp"])
            assert _parse_iso(m["lastAddedTimestamp"]) == last
            re_added += m["firstAddedTimestamp"] != m["lastAddedTimestamp"]
    assert re_added  # some were removed and added again: first added is earlier
    # The new ids are not the v1 internal ids (HubSpot does not say they are equal).
    internal = {str(e["internal-list-id"]) for r in records.values() for e in r["list-memberships"]}
    assert not internal & set(to_new.values())


def test_memberships_are_deterministic_from_the_seed(lp: SandboxPortal) -> None:
    vids = list(_v1(lp))

    def lists_of(portal: SandboxPortal) -> list[Any]:
        return [r["recordListMemberships"] for r in _read(portal, vids).json()["results"]]

    with (
        SandboxPortal(contacts=400, seed=21) as twin,
        SandboxPortal(contacts=400, seed=22) as other,
    ):
        assert lists_of(twin) == lists_of(lp)
        assert twin.list_definitions() == lp.list_definitions()
        assert lists_of(other) != lists_of(lp)


def test_visitors_have_no_lists_and_duplicates_are_answered_once(lp: SandboxPortal) -> None:
    visitor = lp.record(lp.sample_utks(1, kind="visitor")[0])
    contact = next(iter(_v1(lp, 5)))
    assert visitor is not None
    vids = [str(visitor["vid"]), contact, contact]
    body = _read(lp, vids).json()
    assert [r["recordId"] for r in body["results"]] == vids[:2]
    assert body["results"][0]["recordListMemberships"] == []


@pytest.mark.parametrize(("version", "status"), [("v3", 207), ("2026-03", 207), ("2026-09", 200)])
def test_records_not_found_are_partial_errors(lp: SandboxPortal, version: str, status: int) -> None:
    contact = next(iter(_v1(lp, 5)))
    deleted = lp.record(lp.sample_utks(1, kind="deleted")[0], include_deletes=True)
    canonical = lp.record(lp.sample_utks(1, kind="merged")[0])
    assert deleted is not None and canonical is not None
    merged_away = str(canonical["merged-vids"][1])
    inputs = contact_inputs([contact, "1", str(deleted["vid"]), merged_away])
    inputs["inputs"].append({"objectTypeId": "0-2", "recordId": contact})
    resp = post(lp, f"{LIST_ROOTS[version]}/records/memberships/batch/read", inputs)
    assert resp.status_code == status, resp.text
    assert all(h in resp.headers for h in RATE_HEADERS)
    body = resp.json()
    assert body["status"] == "COMPLETE"
    assert [r["recordId"] for r in body["results"]] == [contact]  # what was found is kept
    assert body["numErrors"] == 2 == len(body["errors"])
    contacts, companies = body["errors"]
    assert contacts == {
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "message": NOT_FOUND,
        "context": {"ids": ["1", str(deleted["vid"]), merged_away]},
        "errors": [],
        "links": {},
    }
    assert companies["context"] == {"ids": [contact]}
    assert companies["message"].startswith("Could not get some COMPANY objects")


def test_all_not_found_is_still_a_207_with_empty_results(lp: SandboxPortal) -> None:
    resp = _read(lp, ["1", "2"])
    assert resp.status_code == 207
    assert resp.json()["results"] == [] and resp.json()["errors"][0]["context"]["ids"] == ["1", "2"]
    empty = post(lp, "/crm/v3/lists/records/memberships/batch/read", {"inputs": []})
    assert empty.status_code == 200 and empty.json()["results"] == []


def test_at_most_100_records_a_request(lp: SandboxPortal) -> None:
    vids = [str(100_001 + k) for k in range(101)]
    assert _read(lp, vids[:100]).status_code in (200, 207)
    resp = _read(lp, vids)
    assert resp.status_code == 400
    body = resp.json()
    assert body["category"] == "VALIDATION_ERROR" and body["correlationId"]
    assert "maximum number of inputs" in body["message"] and "100" in body["message"]
    assert "101" in body["message"]
    assert all(h in resp.headers for h in RATE_HEADERS)  # admitted, so counted


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"records": []}, '"inputs" array'),
        ([1, 2], '"inputs" array'),
        ({"inputs": [{"recordId": "1"}]}, "inputs[0] must be an object with objectTypeId"),
        ({"inputs": [{"objectTypeId": "contacts", "recordId": "1"}]}, "infer object type"),
        ({"inputs": [{"objectTypeId": "0-1", "recordId": None}]}, "inputs[0].recordId"),
    ],
)
def test_malformed_bodies_are_400s_that_say_why(lp: SandboxPortal, body: Any, words: str) -> None:
    resp = post(lp, "/crm/lists/2026-09/records/memberships/batch/read", body)
    assert resp.status_code == 400
    assert resp.json()["category"] == "VALIDATION_ERROR" and words in resp.json()["message"]


def test_a_body_that_is_not_json_and_a_huge_body(lp: SandboxPortal) -> None:
    url = lp.base_url + "/crm/v3/lists/records/memberships/batch/read"
    auth = {"Authorization": f"Bearer {lp.access_token}", "Content-Type": "application/json"}
    broken = requests.post(url, data=b'{"inputs": [', headers=auth, timeout=10)
    assert broken.status_code == 400 and "Invalid input JSON" in broken.json()["message"]
    huge = requests.post(url, data=b" " * (3 * 1024 * 1024), headers=auth, timeout=10)
    assert huge.status_code == 413 and huge.json()["status"] == "error"


@pytest.mark.parametrize(
    "raw",
    [b"[" * 100_000, b'{"inputs": [{"objectTypeId": "0-1", "recordId": ' + b"9" * 5000 + b"}]}"],
)
def test_hostile_bodies_are_400s_not_crashes(lp: SandboxPortal, raw: bytes) -> None:
    url = lp.base_url + "/crm/v3/lists/records/memberships/batch/read"
    auth = {"Authorization": f"Bearer {lp.access_token}", "Content-Type": "application/json"}
    resp = requests.post(url, data=raw, headers=auth, timeout=10)
    assert resp.status_code == 400 and "Invalid input JSON" in resp.json()["message"]


@pytest.mark.parametrize("record_id", ["\u00b2", "9" * 5000, "-1", "1e3", " 100001"])
def test_odd_record_ids_are_not_found(lp: SandboxPortal, record_id: str) -> None:
    body = post(
        lp,
        "/crm/v3/lists/records/memberships/batch/read",
        {"inputs": [{"objectTypeId": "0-1", "recordId": record_id}]},
    ).json()
    assert body["results"] == [] and body["errors"][0]["context"] == {"ids": [record_id]}
    one = get(lp, f"/crm/v3/lists/records/0-1/{record_id}/memberships")
    assert one.status_code == 404


def test_a_numeric_record_id_is_taken_as_text(lp: SandboxPortal) -> None:
    vid = int(next(iter(_v1(lp, 5))))
    body = post(
        lp,
        "/crm/v3/lists/records/memberships/batch/read",
        {"inputs": [{"objectTypeId": "0-1", "recordId": vid}]},
    ).json()
    assert body["results"][0]["recordId"] == str(vid)


@pytest.mark.parametrize("version", VERSIONS)
def test_list_definitions_by_id(lp: SandboxPortal, version: str) -> None:
    mapping = lp.legacy_list_ids()
    ids = [mapping["3"], mapping["1"]]
    root = LIST_ROOTS[version]
    for path in (root, root + "/"):
        resp = get(lp, path, {"listIds": [*ids, "999"]})
        assert resp.status_code == 200, resp.text
        lists = resp.json()["lists"]
        assert [item["listId"] for item in lists] == ids  # unknown ids left out
        assert [item["name"] for item in lists] == [LISTS[2], LISTS[0]]
        for item in lists:
            assert item["objectTypeId"] == "0-1" and item["processingStatus"] == "COMPLETE"
            assert item["processingType"] in ("MANUAL", "DYNAMIC", "SNAPSHOT")
            assert isinstance(item["size"], int) and item["size"] > 0
            assert isinstance(item["listVersion"], int)
            assert _parse_iso(item["createdAt"]) < _parse_iso(item["updatedAt"])
    comma = get(lp, root, {"listIds": ",".join(ids)}).json()["lists"]
    assert [item["listId"] for item in comma] == ids


def test_without_list_ids_every_list_and_bad_flags(lp: SandboxPortal) -> None:
    every = get(lp, "/crm/v3/lists/").json()["lists"]
    assert [item["name"] for item in every] == list(LISTS) and every == lp.list_definitions()
    assert {item["processingType"] for item in every} == {"MANUAL", "DYNAMIC", "SNAPSHOT"}
    assert get(lp, "/crm/v3/lists/", {"includeFilters": "true"}).status_code == 200
    bad = get(lp, "/crm/v3/lists/", {"includeFilters": "maybe"})
    assert bad.status_code == 400 and "includeFilters" in bad.json()["message"]


def test_list_sizes_are_close_to_the_real_counts() -> None:
    with SandboxPortal(contacts=400, seed=5) as portal:
        vids = [str(100_001 + k) for k in range(400)]
        counts: dict[str, int] = {}
        for k in range(0, 400, 100):
            for result in _read(portal, vids[k : k + 100]).json()["results"]:
                for m in result["recordListMemberships"]:
                    counts[m["listId"]] = counts.get(m["listId"], 0) + 1
        sizes = {item["listId"]: item["size"] for item in portal.list_definitions()}
        assert sum(counts.values()) == pytest.approx(sum(sizes.values()), rel=0.15)


@pytest.mark.parametrize("version", VERSIONS)
def test_idmapping_maps_legacy_ids(lp: SandboxPortal, version: str) -> None:
    path = f"{LIST_ROOTS[version]}/idmapping"
    legacy = [str(k) for k in range(1, len(LISTS) + 1)]
    resp = post(lp, path, [*legacy, "77", 4])
    assert resp.status_code == 200
    body = resp.json()
    assert body["missingLegacyListIds"] == ["77"]
    pairs = body["legacyListIdsToIdsMapping"]
    assert [p["legacyListId"] for p in pairs] == legacy  # "4" twice is answered once
    assert {p["legacyListId"]: p["listId"] for p in pairs} == lp.legacy_list_ids()
    # As HubSpot's migration guide warns, one list's legacy id is another list's new id.
    assert {p["legacyListId"] for p in pairs} & {p["listId"] for p in pairs}
    assert all(p["legacyListId"] != p["listId"] for p in pairs)
    one = get(lp, path, {"legacyListId": "2"})
    assert one.json() == {"listId": lp.legacy_list_ids()["2"], "legacyListId": "2"}
    missing = get(lp, path, {"legacyListId": "77"})
    assert missing.status_code == 404 and missing.json()["category"] == "OBJECT_NOT_FOUND"
    assert get(lp, path).status_code == 400


def test_idmapping_limits_and_body(lp: SandboxPortal) -> None:
    full = post(lp, "/crm/v3/lists/idmapping", [str(k) for k in range(10_000)])
    assert full.status_code == 200 and len(full.json()["legacyListIdsToIdsMapping"]) == len(LISTS)
    over = post(lp, "/crm/v3/lists/idmapping", [str(k) for k in range(10_001)])
    assert over.status_code == 400 and "10000" in over.json()["message"]
    assert post(lp, "/crm/v3/lists/idmapping", {"ids": ["1"]}).status_code == 400
    assert post(lp, "/crm/v3/lists/idmapping", [None]).status_code == 400


@pytest.mark.parametrize("version", VERSIONS)
def test_one_records_lists(lp: SandboxPortal, version: str) -> None:
    records = _v1(lp, 20)
    vid = next(v for v, r in records.items() if r["list-memberships"])
    resp = get(lp, f"{LIST_ROOTS[version]}/records/0-1/{vid}/memberships")
    assert resp.status_code == 200
    body = resp.json()
    batch_answer = _read(lp, [vid], version).json()["results"][0]["recordListMemberships"]
    assert body == {"results": batch_answer, "total": len(batch_answer)}
    gone = get(lp, f"{LIST_ROOTS[version]}/records/0-1/1/memberships")
    assert gone.status_code == 404 and gone.json()["category"] == "OBJECT_NOT_FOUND"


def test_methods_paths_and_stats(lp: SandboxPortal) -> None:
    lp.reset_stats()
    assert get(lp, "/crm/v3/lists/records/memberships/batch/read").status_code == 405
    assert post(lp, "/crm/v3/lists/", {"name": "x"}).status_code == 405
    assert get(lp, "/crm/lists/2025-09/idmapping", {"legacyListId": "1"}).status_code == 404
    _read(lp, ["1"], "2026-03")
    post(lp, "/crm/lists/2026-09/records/memberships/batch/read/", contact_inputs(["1"]))
    paths = lp.stats.by_path
    assert paths["/crm/v3/lists/records/memberships/batch/read"] == 1
    assert paths["/crm/lists/2026-03/records/memberships/batch/read"] == 1
    assert paths["/crm/lists/2026-09/records/memberships/batch/read"] == 1  # trailing slash too
    assert paths["/crm/v3/lists/"] == 1
    assert lp.stats.utks_requested == 0


def test_the_lists_answer_whatever_the_v1_mode(lp: SandboxPortal) -> None:
    with SandboxPortal(contacts=400, seed=21) as today:  # v1 answers without memberships
        body = batch(today, today.sample_utks(30), showListMemberships="true")
        assert all("list-memberships" not in r for r in body.values())
        vids = [str(r["vid"]) for r in body.values()]
        assert _read(today, vids).json()["results"] == _read(lp, vids).json()["results"]
