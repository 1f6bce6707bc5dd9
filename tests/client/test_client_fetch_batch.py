"""``HubSpotClient.fetch_batch``: HubSpot's raw batch answer, cached and paced like a lookup."""

from __future__ import annotations

from pathlib import Path

import pytest

from hubutk_pandas.errors import DailyLimitError, InvalidOptionError
from hubutk_pandas.sandbox import SandboxPortal
from tests.conftest import MakeClient


def test_the_answer_is_hubspots_wire_json(portal: SandboxPortal, make_client: MakeClient) -> None:
    client = make_client(portal)
    utks = portal.sample_utks(4) + portal.unknown_utks(1)
    answer = client.fetch_batch(
        utks,
        properties=["email", "firstname"],
        form_submission_mode="all",
        show_list_memberships=True,
        property_mode="value_and_history",
    )
    assert sorted(answer) == sorted(utks[:4])  # the unknown utk is absent, as HubSpot does
    for utk in utks[:4]:
        assert answer[utk] == portal.record(
            utk,
            properties=["email", "firstname"],
            form_submission_mode="all",
            show_list_memberships=True,
            property_mode="value_and_history",
        )


def test_the_utks_endpoint_is_keyed_by_vid(portal: SandboxPortal, make_client: MakeClient) -> None:
    utks = portal.sample_utks(3)
    answer = make_client(portal).fetch_batch(utks, endpoint="utks")
    assert set(answer) == {str(portal.record(u)["vid"]) for u in utks}  # type: ignore[index]


def test_a_second_identical_call_is_answered_from_the_cache(
    tmp_path: Path, make_client: MakeClient
) -> None:
    with SandboxPortal(contacts=200, seed=2) as portal:
        client = make_client(portal, cache=tmp_path)
        utks = portal.sample_utks(5)
        first = client.fetch_batch(utks, properties=["firstname"])
        sent = portal.stats.requests
        assert client.fetch_batch(utks, properties=["firstname"]) == first
        assert portal.stats.requests == sent
        client.fetch_batch(utks, properties=["firstname"], refresh=True)
        assert portal.stats.requests == sent + 1


def test_it_keeps_the_http_cache_and_lookups_keep_the_record_store(
    tmp_path: Path, make_client: MakeClient
) -> None:
    from hubutk_pandas.privacy import cache_info

    with SandboxPortal(contacts=200, seed=2) as portal:
        client = make_client(portal, cache=tmp_path)
        utks = portal.sample_utks(5)
        client.fetch_batch(utks, properties=["firstname"])
        sent = portal.stats.requests
        client.fetch_batch(utks, properties=["firstname"])
        assert portal.stats.requests == sent  # answered from the HTTP cache
        answers = cache_info(tmp_path).answers
        # A byUtk lookup does not read the HTTP cache (the record store serves its reruns)
        # and leaves no second copy of its answers there.
        result = client.lookup_utks(utks, properties=["firstname"], progress=False)
        assert len(result.contacts) == 5 and portal.stats.requests == sent + 1
        assert cache_info(tmp_path).answers == answers
        client.lookup_utks(utks, properties=["firstname"], progress=False)
        assert portal.stats.requests == sent + 1  # the record store answered


@pytest.mark.parametrize(
    ("utks", "match"),
    [
        ([f"{i:032x}" for i in range(101)], "at most 100"),
        (["good", "a b"], "whitespace"),
        (["x" * 65], "64"),
        ("0" * 32, "list of utks"),
        ([42], "not a string"),
    ],
)
def test_refusals_come_before_any_request(
    portal: SandboxPortal, make_client: MakeClient, utks: object, match: str
) -> None:
    sent = portal.stats.requests
    with pytest.raises(InvalidOptionError, match=match):
        make_client(portal).fetch_batch(utks)  # type: ignore[arg-type]
    with pytest.raises(InvalidOptionError, match="property_mode"):
        make_client(portal).fetch_batch(["a"], property_mode="all")
    assert portal.stats.requests == sent


def test_no_utks_no_request(portal: SandboxPortal, make_client: MakeClient) -> None:
    sent = portal.stats.requests
    assert make_client(portal).fetch_batch([]) == {}
    assert portal.stats.requests == sent


def test_a_property_list_too_long_for_a_url_is_applied_locally(make_client: MakeClient) -> None:
    with SandboxPortal(contacts=100, seed=3) as portal:
        client = make_client(portal, max_url_length=1024)
        names = ["firstname"] + [f"custom_property_{i:03d}" for i in range(60)]
        utks = portal.sample_utks(3)
        answer = client.fetch_batch(utks, properties=names)
        assert all(list(r["properties"]) == ["firstname"] for r in answer.values())
        assert portal.stats.requests == 1


def test_the_daily_limit_raises(make_client: MakeClient) -> None:
    with SandboxPortal(contacts=100, seed=3, daily_limit=1) as portal:
        client = make_client(portal)
        client.fetch_batch(portal.sample_utks(1))
        with pytest.raises(DailyLimitError):
            client.fetch_batch(portal.sample_utks(2))
