"""The sandbox's account details (a portal id for any valid credential) and hide/reveal."""

from __future__ import annotations

from hubutk_pandas.sandbox import SandboxPortal

from .helpers import BY_UTK, RATE_HEADERS, get

ACCOUNT = "/account-info/v3/details"


def test_account_details_name_the_credentials_portal_and_count_as_a_request() -> None:
    with SandboxPortal(contacts=50, seed=1) as portal:
        other = portal.add_account(seed=2, contacts=10, scopes=())  # no scope needed
        answer = get(portal, ACCOUNT)
        assert answer.status_code == 200 and answer.json()["portalId"] == portal.portal_id
        assert all(h in answer.headers for h in RATE_HEADERS)
        mine = get(portal, "/account-info/2026-03/details", token=other.access_token)
        assert mine.status_code == 200 and mine.json()["portalId"] == other.portal_id
        assert get(portal, ACCOUNT, token="pat-na1-nobody").status_code == 401
        assert portal.stats.requests == 3
        portal.inject("502")  # faults aim at the contact endpoints, as for the properties
        assert get(portal, ACCOUNT).status_code == 200
        assert get(portal, BY_UTK, {"utk": portal.sample_utks(1)}).status_code == 502


def test_hidden_utks_are_not_found_until_revealed() -> None:
    with SandboxPortal(contacts=50, seed=1) as portal:
        utks = portal.sample_utks(3)
        portal.hide(*utks[:2])
        assert sorted(get(portal, BY_UTK, {"utk": utks}).json()) == [utks[2]]
        portal.reveal(utks[0])
        assert sorted(get(portal, BY_UTK, {"utk": utks}).json()) == sorted([utks[0], utks[2]])
        portal.reveal()
        assert sorted(get(portal, BY_UTK, {"utk": utks}).json()) == sorted(utks)
