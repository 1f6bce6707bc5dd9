"""Faults, rate limits and HubSpot errors: retried, reported, never leaking a credential."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path

import pytest

from hubutk_pandas.client import HubSpotClient
from hubutk_pandas.errors import (
    AuthenticationError,
    DailyLimitError,
    HubSpotError,
    LookupFailedError,
)
from hubutk_pandas.sandbox import SandboxPortal

MakeClient = Callable[..., HubSpotClient]


def _text(err: BaseException) -> str:
    return str(err) + "".join(traceback.format_exception(err))


@pytest.mark.parametrize("kind", ["502", "503", "drop", "truncate", "badjson"])
def test_each_transient_fault_is_retried(
    kind: str, tmp_path: Path, make_client: MakeClient
) -> None:
    with SandboxPortal(contacts=300) as own:
        utks = own.sample_utks(150)
        client = make_client(own, cache=tmp_path)
        own.inject(kind, 2)
        result = client.lookup_utks(utks, progress=False)
        assert len(result.contacts) == 150
        assert own.stats.faults[kind] == 2
        assert own.stats.requests == 4  # 2 batches + 2 retries
        # A broken body is never cached: the rerun is served from the store, and a
        # refresh fetches again without tripping over a cached broken answer.
        own.reset_stats()
        client.lookup_utks(utks, refresh=True, progress=False)
        assert own.stats.requests == 2


def test_random_faults_lose_nothing(make_client: MakeClient) -> None:
    with SandboxPortal(contacts=2000, fault_rate=0.3, seed=3) as own:
        utks = own.sample_utks(1500)
        result = make_client(own, max_retries=8).lookup_utks(utks, progress=False)
        assert len(result.contacts) == 1500
        assert sum(own.stats.faults.values()) > 0


@pytest.mark.parametrize("policy", ["429"])
def test_ten_secondly_429_waits_and_retries(policy: str, make_client: MakeClient) -> None:
    with SandboxPortal(contacts=100, rate_limit=(50, 500)) as own:
        client = make_client(own, rate_limit=(50, 0.5))
        own.inject(policy, 2)
        result = client.lookup_utks(own.sample_utks(20), progress=False)
        assert len(result.contacts) == 20
        assert own.stats.by_status[429] == 2


def test_real_window_overflow_recovers(make_client: MakeClient) -> None:
    # The client believes 100 per 10 s; the portal allows 5 per 0.5 s and says so.
    with SandboxPortal(contacts=1000, rate_limit=(5, 500)) as own:
        client = make_client(own, max_workers=4, max_retries=10)
        result = client.lookup_utks(own.sample_utks(800), progress=False)
        assert len(result.contacts) == 800
        assert client._http._limiter.rate == (5, 0.5)  # adapted to the headers


def test_daily_limit_stops_with_partial_result(make_client: MakeClient, tmp_path: Path) -> None:
    with SandboxPortal(contacts=1000, daily_limit=3) as own:
        utks = own.sample_utks(500)
        client = make_client(own, max_workers=1, cache=tmp_path)
        with pytest.raises(DailyLimitError) as info:
            client.lookup_utks(utks, progress=False)
        err = info.value
        assert err.policy_name == "DAILY" and err.status == 429
        assert isinstance(err, LookupFailedError)
        assert err.partial is not None and len(err.partial.contacts) == 300
        assert err.failed_utks == utks[300:]
        assert own.stats.by_status[429] == 1  # not retried, later batches not sent
        # Tomorrow (the limit lifted), a rerun fetches only the failed utks.
        own.configure(daily_limit=None)
        own.reset_stats()
        result = client.lookup_utks(utks, progress=False)
        assert len(result.contacts) == 500
        assert own.stats.utks_requested == 200


def test_injected_daily_429_is_not_retried(make_client: MakeClient) -> None:
    with SandboxPortal(contacts=100) as own:
        own.inject("429-daily", 1)
        with pytest.raises(DailyLimitError) as info:
            make_client(own).lookup_utks(own.sample_utks(10), progress=False)
        assert info.value.failed_utks == own.sample_utks(10)
        assert own.stats.requests == 1


def test_permanent_failure_reports_partial_and_failed_utks(
    make_client: MakeClient, tmp_path: Path
) -> None:
    with SandboxPortal(contacts=1000) as own:
        utks = own.sample_utks(300)
        client = make_client(own, cache=tmp_path, max_retries=2, max_workers=1)
        client.lookup_utks(utks[:100], progress=False)  # in the store already
        own.inject("503", 3)  # the next batch fails 3 times: beyond 2 retries
        with pytest.raises(LookupFailedError) as info:
            client.lookup_utks(utks, progress=False)
        err = info.value
        assert err.status == 503 and isinstance(err.errors[0], HubSpotError)
        assert len(err.failed_utks) == 100
        assert err.partial is not None and len(err.partial.contacts) == 200
        assert set(err.failed_utks).isdisjoint(err.partial.contacts["utk"])
        own.reset_stats()
        assert len(client.lookup_utks(utks, progress=False).contacts) == 300
        assert own.stats.utks_requested == 100  # only the failed ones


def test_414_batches_are_bisected(make_client: MakeClient) -> None:
    # The client's budget is wrong for this portal: it must split batches to get through.
    with SandboxPortal(contacts=500, max_url_length=1500) as own:
        utks = own.sample_utks(200)
        result = make_client(own, max_url_length=8000).lookup_utks(utks, progress=False)
        assert len(result.contacts) == 200
        assert own.stats.by_status[414] > 0


def test_401_with_message_category_and_no_secret(make_client: MakeClient) -> None:
    with SandboxPortal(contacts=400) as own:
        for kind, secret in [
            ("access_token", "pat-na1-wrong-token-123"),
            ("api_key", "bad-key-456"),
        ]:
            if kind == "api_key":
                with pytest.warns(UserWarning):
                    client = make_client(own, api_key=secret)
            else:
                client = make_client(own, secret)
            own.reset_stats()
            with pytest.raises(AuthenticationError) as info:
                client.lookup_utks(own.sample_utks(150), progress=False)
            err = info.value
            assert err.status == 401 and err.category == "INVALID_AUTHENTICATION"
            assert err.correlation_id and err.message
            assert secret not in _text(err)
            assert own.stats.by_status[401] <= 2  # 2 batches at most, neither retried


def test_network_errors_are_redacted(make_client: MakeClient) -> None:
    with SandboxPortal(contacts=10) as own:
        with pytest.warns(UserWarning):
            client = make_client(own, api_key=own.api_key, max_retries=1, max_retry_time=2)
        own.inject("drop", 5)
        with pytest.raises(LookupFailedError) as info:
            client.lookup_utks(own.sample_utks(3), progress=False)
        assert own.api_key not in _text(info.value)
        assert all(own.api_key not in _text(e) for e in info.value.errors)


def test_the_daily_limit_met_by_the_definitions_is_a_daily_limit_error(
    make_client: MakeClient, tmp_path: Path
) -> None:
    with SandboxPortal(contacts=100, daily_limit=1) as own:
        client = make_client(own)
        result = client.lookup_utks(own.sample_utks(5), progress=False)  # the one request left
        with pytest.raises(DailyLimitError):
            result.wide()  # the definitions are fetched now: over the limit
        with pytest.raises(DailyLimitError):
            client.lookup_utks(own.sample_utks(5), progress=False, out=tmp_path / "ds")
        with pytest.raises(DailyLimitError):
            client.property_definitions()
