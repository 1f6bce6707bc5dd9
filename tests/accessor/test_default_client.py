"""The accessors' default client: one per credential and base URL, shared by back-to-back calls."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest

from hubutk_pandas import CredentialsError
from hubutk_pandas.accessor import close_default_clients, default_client
from hubutk_pandas.sandbox import SandboxPortal


@pytest.fixture(autouse=True)
def _fresh_defaults() -> Iterator[None]:
    """Each test starts and ends without default clients (closed, so no file stays open)."""
    close_default_clients()
    yield
    close_default_clients()


def _use(monkeypatch: pytest.MonkeyPatch, token: str, base_url: str) -> None:
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", token)
    monkeypatch.setenv("HUBSPOT_BASE_URL", base_url)


def test_back_to_back_accessor_calls_share_one_pacer_and_earn_no_429(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 5 requests per 2 s; each call is 5 requests. A client per call (before this fix)
    # started with a full window that the previous call had just used: 10 429s over three
    # calls (the 2nd and 3rd each refused whole), which HubSpot counts against the app.
    with SandboxPortal(contacts=2000, rate_limit=(5, 2000)) as portal:
        _use(monkeypatch, portal.access_token, portal.base_url)
        utks = portal.sample_utks(1500)
        for start in (0, 500, 1000):
            visits = pd.DataFrame({"utk": utks[start : start + 500]})
            result = visits.hubspot.lookup_utks("utk", progress=False)
            assert len(result.contacts) == 500
        assert portal.stats.by_status[429] == 0, portal.stats.by_status
        assert portal.stats.requests == 15  # one request per 100 utks, none repeated


def test_one_client_per_credential_and_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    with SandboxPortal(contacts=300, seed=1) as portal:
        other = portal.add_account(seed=2, contacts=300)
        _use(monkeypatch, portal.access_token, portal.base_url)
        first = default_client()
        assert default_client() is first
        _use(monkeypatch, other.access_token, portal.base_url)
        second = default_client()
        assert second is not first  # another credential: another client, cache namespace
        assert second.fetcher.source == portal.base_url
        _use(monkeypatch, portal.access_token, portal.base_url + "/")
        assert default_client() is not first  # another base URL as written: another client
        _use(monkeypatch, portal.access_token, portal.base_url)
        assert default_client() is first
        first.close()
        assert default_client() is not first  # a closed one is replaced
        close_default_clients()
        assert second.closed


def test_answers_never_cross_credentials_through_the_shared_cache(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with SandboxPortal(contacts=300, seed=1) as portal:
        other = portal.add_account(seed=2, contacts=300)
        visits = pd.DataFrame({"utk": portal.sample_utks(20)})
        _use(monkeypatch, portal.access_token, portal.base_url)
        mine = visits.hubspot.lookup_utks("utk", progress=False)
        assert len(mine.contacts) == 20
        _use(monkeypatch, other.access_token, portal.base_url)
        portal.reset_stats()
        theirs = visits.hubspot.lookup_utks("utk", progress=False)
        assert theirs.contacts.empty and len(theirs.missing) == 20  # other data, not my cache
        assert portal.stats.requests >= 1  # asked, not served from the first one's store
        assert other.access_token not in repr(default_client())


def test_without_a_credential_the_accessor_says_how_to_set_one() -> None:
    with pytest.raises(CredentialsError, match="HUBSPOT_ACCESS_TOKEN"):
        pd.DataFrame({"utk": ["a"]}).hubspot.lookup_utks("utk")
