"""The synthetic data: determinism, kinds of records, merges, accounts, a million contacts."""

from __future__ import annotations

import time
import tracemalloc
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from hubutk_pandas.sandbox import SandboxPortal
from hubutk_pandas.sandbox.data import SyntheticPortal

from .helpers import BY_UTK, PROPERTIES, UTKS, batch, get

FULL = {
    "propertyMode": "value_and_history",
    "formSubmissionMode": "all",
    "showListMemberships": "true",
    "includeDeletes": "true",
}


def test_same_seed_same_answers_other_seed_differs() -> None:
    with SandboxPortal(contacts=300, seed=7) as a, SandboxPortal(contacts=300, seed=7) as b:
        utks = a.sample_utks(20, kind="any")
        assert utks == b.sample_utks(20, kind="any")
        assert a.portal_id == b.portal_id
        assert batch(a, utks, **FULL) == batch(b, utks, **FULL)
        assert get(a, PROPERTIES).json() == get(b, PROPERTIES).json()
        assert a.access_token != b.access_token  # credentials are random per instance
    with SandboxPortal(contacts=300, seed=8) as c:
        assert c.sample_utks(20, kind="any") != utks
        assert batch(c, utks) == {}  # utks are keyed by seed: no overlap


def test_prebuilt_people_answer_exactly_as_people_drawn_on_demand() -> None:
    with SandboxPortal(contacts=300, seed=7) as a, SandboxPortal(contacts=300, seed=7) as b:
        utks = a.sample_utks(60, kind="any") + a.sample_utks(5, kind="merged")
        kept = b.prebuild(utks + b.unknown_utks(3))
        assert 60 <= kept <= 70  # one person per utk's contact, plus merged partners
        assert b.prebuild(utks) == kept  # kept once
        assert batch(b, utks, **FULL) == batch(a, utks, **FULL)


def test_visitors(portal: SandboxPortal) -> None:
    utks = portal.sample_utks(5, kind="visitor")
    body = batch(portal, utks, showListMemberships="true")
    assert list(body) == utks
    for rec in body.values():
        assert rec["is-contact"] is False
        assert rec["form-submissions"] == rec["identity-profiles"] == rec["merge-audits"] == []
        assert rec["list-memberships"] == [] and rec["merged-vids"] == []
        assert "email" not in rec["properties"] and len(rec["properties"]) <= 8


def test_merged_utk_resolves_to_canonical(portal: SandboxPortal) -> None:
    merged = portal.sample_utks(5, kind="merged")
    body = batch(portal, merged, propertyMode="value_and_history")
    assert list(body) == merged
    for rec in body.values():
        vid = rec["vid"]
        assert rec["canonical-vid"] == vid and len(rec["merged-vids"]) == 2
        assert rec["merged-vids"][0] == vid
        other = rec["merged-vids"][1]
        assert [p["vid"] for p in rec["identity-profiles"]] == rec["merged-vids"]
        (audit,) = rec["merge-audits"]
        assert (audit["canonical-vid"], audit["vid-to-merge"]) == (vid, other)
        assert {
            "timestamp",
            "entity-id",
            "num-properties-moved",
            "merged_from_email",
            "merged_to_email",
        } <= set(audit)
        assert audit["merged_from_email"]["source-vids"] == [other]
        sourced = [
            v
            for p in rec["properties"].values()
            for v in p["versions"]
            if v.get("source-vids") == [other]
        ]
        assert sourced and all(v["source-type"] == "MERGE_CONTACTS" for v in sourced)
    by_vid = batch(portal, merged, UTKS)
    assert {int(k) for k in by_vid} == {r["vid"] for r in body.values()}


def test_several_utks_of_one_person(portal: SandboxPortal) -> None:
    data = SyntheticPortal(seed=0, contacts=5000, portal_id=portal.portal_id)
    index = next(i for i in range(5000) if data.kind(i) == "contact" and data.n_utks(i) >= 2)
    utks = data.utks(index)
    by_utk = batch(portal, utks)
    assert list(by_utk) == utks
    assert all(rec == by_utk[utks[0]] for rec in by_utk.values())
    by_vid = batch(portal, utks, UTKS)
    assert list(by_vid) == [str(data.vid(index))]  # several utks collapse to one key


def test_identities_and_company_shape(portal: SandboxPortal) -> None:
    body = batch(portal, portal.sample_utks(40))
    companies = [r["associated-company"] for r in body.values() if "associated-company" in r]
    assert companies
    for comp in companies:
        assert comp["portal-id"] == portal.portal_id and isinstance(comp["company-id"], int)
        assert {"name", "domain", "industry"} <= set(comp["properties"])
    for rec in body.values():
        assert len(rec["identity-profiles"]) == max(1, len(rec["merged-vids"]))
        profile = rec["identity-profiles"][0]
        types = [i["type"] for i in profile["identities"]]
        assert types == ["EMAIL", "LEAD_GUID"]
        assert profile["identities"][0]["is-primary"] is True
        assert profile["identities"][0]["value"] == rec["properties"]["email"]["value"]


def test_values_look_like_hubspot(portal: SandboxPortal) -> None:
    utks = portal.sample_utks(400)
    body = {k: v for i in range(0, 400, 100) for k, v in batch(portal, utks[i : i + 100]).items()}
    values: dict[str, list[str]] = {}
    for rec in body.values():
        for name, prop in rec["properties"].items():
            values.setdefault(name, []).append(prop["value"])
    sources = Counter(values["hs_analytics_source"])
    assert sources.most_common(1)[0][0] == "ORGANIC_SEARCH" and len(sources) >= 6
    assert {"", "N/A"} <= set(values["annualrevenue"])
    assert set(values["hs_email_optout"]) == {"true", "false"}
    assert set(values["product_qualified"]) <= {"true", "false"}
    assert all(int(v) % 86_400_000 == 0 for v in values["trial_start_date"])
    assert any(";" in v for v in values["hs_buying_role"])
    assert all(len(v) == 13 and v.isdigit() for v in values["createdate"])
    names = "".join(values["firstname"] + values["lastname"])
    assert any(ch in names for ch in "ëéŁø李")
    stages = Counter(values["lifecyclestage"])
    assert stages["subscriber"] > 0 and stages["customer"] > 0


def test_unknown_utks_never_match(portal: SandboxPortal) -> None:
    unknown = portal.unknown_utks(50)
    assert len(set(unknown)) == 50 and all(len(u) == 32 for u in unknown)
    assert all(portal.record(u) is None for u in unknown)


def test_sample_kinds_and_errors(portal: SandboxPortal) -> None:
    for kind in ("contact", "visitor", "merged", "deleted", "any"):
        utks = portal.sample_utks(10, kind=kind)
        assert len(set(utks)) == 10
    with pytest.raises(ValueError, match="kind"):
        portal.sample_utks(1, kind="zombie")
    with SandboxPortal(contacts=10, seed=0) as tiny, pytest.raises(ValueError, match="only"):
        tiny.sample_utks(50, kind="deleted")


def test_add_account_isolation(portal: SandboxPortal) -> None:
    other = portal.add_account(seed=1, contacts=500)
    assert other.portal_id != portal.portal_id
    assert other.access_token not in repr(other) and other.api_key not in repr(other)
    mine = portal.sample_utks(5)
    assert batch(portal, mine)  # visible to the main account...
    resp = get(portal, BY_UTK, {"utk": mine}, token=other.access_token)
    assert resp.status_code == 200 and resp.json() == {}  # ...not to the other one
    with SandboxPortal(contacts=500, seed=99) as probe:
        # the other account's data is that of a seed-1 portal with its portal id
        data = SyntheticPortal(seed=1, contacts=500, portal_id=other.portal_id)
        theirs = data.sample_utks(3)
        body = get(portal, BY_UTK, {"utk": theirs}, token=other.access_token).json()
        assert list(body) == theirs
        assert {r["portal-id"] for r in body.values()} == {other.portal_id}
        assert probe.portal_id != other.portal_id


def test_concurrent_requests_and_stats() -> None:
    with SandboxPortal(contacts=1000, seed=4, rate_limit=(10_000, 10_000)) as p:
        utks = p.sample_utks(200)
        chunks = [utks[i : i + 10] for i in range(0, 200, 10)]
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda c: batch(p, c), chunks))
        assert sum(len(r) for r in results) == 200
        get(p, PROPERTIES)
        snap = p.stats.snapshot()
        assert snap["requests"] == p.stats.requests == 21
        assert p.stats.by_status[200] == 21 and p.stats.utks_requested == 200
        assert p.stats.by_path[BY_UTK] == 20 and p.stats.by_path[PROPERTIES] == 1
        p.reset_stats()
        assert p.stats.requests == 0 and p.stats.snapshot()["by_status"] == {}


def test_million_contacts_start_fast_and_small() -> None:
    tracemalloc.start()
    start = time.perf_counter()
    with SandboxPortal(contacts=1_000_000, seed=0) as p:
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert elapsed < 5, elapsed  # measured ~0.005 s
        assert peak < 5_000_000, peak  # no per-contact tables
        utks = p.sample_utks(50, kind="any")
        assert len(batch(p, utks, includeDeletes="true")) == 50


def test_stop_is_fast_and_frees_the_port() -> None:
    p = SandboxPortal(contacts=50)
    url = p.base_url
    start = time.perf_counter()
    p.close()
    assert time.perf_counter() - start < 2
    import requests

    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url + PROPERTIES, timeout=2)
    p.close()  # idempotent
