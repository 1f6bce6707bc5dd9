"""Lookups against the sandbox: results, options, credentials, incremental reruns."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hubutk_pandas.client import HubSpotClient
from hubutk_pandas.errors import CredentialsError, InvalidOptionError
from hubutk_pandas.sandbox import SandboxPortal

MakeClient = Callable[..., HubSpotClient]


def test_lookup_matches_reports_missing_and_keeps_input_order(
    portal: SandboxPortal, make_client: MakeClient
) -> None:
    utks = portal.sample_utks(5)
    unknown = portal.unknown_utks(2)
    column = [utks[0], unknown[0], None, f"  {utks[1]} ", "bad;utk", utks[0], *utks[2:], unknown[1]]
    client = make_client(portal)
    with pytest.warns(UserWarning, match="1 value cannot be a utk"):
        result = client.lookup_utks(pd.Series(column, dtype=object), progress=False)
    assert result.contacts["utk"].tolist() == utks
    assert result.missing["utk"].tolist() == [unknown[0], "bad;utk", unknown[1]]
    assert result.missing["reason"].tolist() == ["not_found", "invalid", "not_found"]
    assert set(result.contacts["vid"]) == {portal.record(u)["vid"] for u in utks}


def test_messy_input_with_ints_nan_and_absurd_strings(
    portal: SandboxPortal, make_client: MakeClient
) -> None:
    utk = portal.sample_utks(1)[0]
    column = [np.nan, pd.NA, "", "\t", 12345, utk, "x" * 5000, "ünïcode", utk.upper() + " "]
    before = portal.stats.utks_requested
    with pytest.warns(UserWarning, match="2 values"):
        result = make_client(portal).lookup_utks(column, progress=False)
    assert result.contacts["utk"].tolist() == [utk]
    reasons = dict(zip(result.missing["utk"], result.missing["reason"], strict=True))
    assert reasons == {
        "12345": "not_found",
        "x" * 5000: "invalid",
        "ünïcode": "invalid",
        utk.upper(): "not_found",
    }
    assert portal.stats.utks_requested - before == 3  # invalid values are never sent


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"property_mode": "all"}, "property_mode"),
        ({"form_submission_mode": "latest"}, "form_submission_mode"),
        ({"show_list_memberships": "yes"}, "show_list_memberships"),
        ({"include_deletes": 1}, "include_deletes"),
        ({"endpoint": "byVid"}, "endpoint"),
        ({"properties": ["email", ""]}, "properties"),
        ({"progress": "auto"}, "progress"),
    ],
)
def test_invalid_lookup_options_raise_before_any_request(
    kwargs: dict[str, object], name: str, make_client: MakeClient
) -> None:
    with SandboxPortal(contacts=10) as own:
        client = make_client(own)
        with pytest.raises(InvalidOptionError, match=name) as info:
            client.lookup_utks(own.sample_utks(3), **kwargs)
        assert "valid" in str(info.value) or "must" in str(info.value)
        assert own.stats.requests == 0


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"rate_limit": (0, 10.0)}, "rate_limit"),
        ({"rate_limit": 100}, "rate_limit"),
        ({"max_workers": 0}, "max_workers"),
        ({"max_url_length": 100}, "max_url_length"),
        ({"expire_after": "tomorrow"}, "expire_after"),
        ({"cache": 3}, "cache"),
        ({"timeout": -1}, "timeout"),
        ({"base_url": "ftp://x"}, "base_url"),
    ],
)
def test_invalid_settings_raise_invalid_option_error(
    kwargs: dict[str, object], name: str, portal: SandboxPortal
) -> None:
    options = {"base_url": portal.base_url, **kwargs}
    with pytest.raises(InvalidOptionError, match=name):
        HubSpotClient(portal.access_token, **options)  # type: ignore[arg-type]


def test_unknown_keyword_is_a_type_error(portal: SandboxPortal) -> None:
    with pytest.raises(TypeError):
        HubSpotClient(portal.access_token, base_url=portal.base_url, rate_limt=(1, 1))  # type: ignore[call-arg]
    client = HubSpotClient(portal.access_token, base_url=portal.base_url, cache=False)
    with pytest.raises(TypeError):
        client.lookup_utks([], property_mod="value_only")  # type: ignore[call-arg]
    client.close()


def test_settings_are_one_frozen_object(portal: SandboxPortal, make_client: MakeClient) -> None:
    client = make_client(portal, rate_limit=(190, 10), expire_after=60)
    assert client.settings.rate_limit == (190, 10.0)
    assert client.settings.expire_after == timedelta(seconds=60)
    assert client.settings.credential_kind == "access_token"
    with pytest.raises(dataclasses.FrozenInstanceError):
        client.settings.max_workers = 9  # type: ignore[misc]


def test_credentials_from_the_environment(
    portal: SandboxPortal, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HUBSPOT_ACCESS_TOKEN", "HUBSPOT_API_KEY", "HUBSPOT_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(CredentialsError, match=r"HUBSPOT_ACCESS_TOKEN.*connect"):
        HubSpotClient(cache=False)
    monkeypatch.setenv("HUBSPOT_BASE_URL", portal.base_url)
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", portal.access_token)
    with HubSpotClient(cache=False) as client:
        assert client.settings.base_url == portal.base_url
        assert len(client.lookup_utks(portal.sample_utks(2)).contacts) == 2
    monkeypatch.delenv("HUBSPOT_ACCESS_TOKEN")
    monkeypatch.setenv("HUBSPOT_API_KEY", portal.api_key)
    with pytest.warns(UserWarning, match="retired API keys") as caught:
        client = HubSpotClient(cache=False)
    assert len(caught) == 1
    assert client.settings.credential_kind == "api_key"
    assert len(client.lookup_utks(portal.sample_utks(2)).contacts) == 2
    client.close()


def test_default_base_url_and_cache_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUBSPOT_BASE_URL", raising=False)
    assert HubSpotClient.__init__.__kwdefaults__["cache"] is True  # type: ignore[index]
    client = HubSpotClient("pat-token", cache=False)
    assert client.settings.base_url == "https://api.hubapi.com"
    client.close()
    from hubutk_pandas._http.session import default_cache_dir

    assert default_cache_dir().name == "hubutk-pandas"


def test_rerun_is_free_and_new_utks_cost_one_request_per_100(
    tmp_path: Path, make_client: MakeClient
) -> None:
    with SandboxPortal(contacts=2000, rate_limit=(10_000, 10_000)) as own:
        utks = own.sample_utks(260) + own.unknown_utks(40)
        client = make_client(own, cache=tmp_path)
        first = client.lookup_utks(utks[:250], progress=False)
        assert own.stats.requests == 3
        own.reset_stats()
        again = client.lookup_utks(utks[:250], progress=False)
        assert own.stats.requests == 0  # nothing sent at all
        pd.testing.assert_frame_equal(first.contacts, again.contacts)
        pd.testing.assert_frame_equal(first.missing, again.missing)
        # 50 new utks (some unknown): one request, only the new ones are sent.
        bigger = client.lookup_utks(utks, progress=False)
        assert own.stats.requests == 1
        assert own.stats.utks_requested == 50
        assert len(bigger.contacts) + len(bigger.missing) == 300
        # A fresh client on the same folder (a new session) still remembers.
        own.reset_stats()
        fresh = make_client(own, cache=tmp_path)
        fresh.lookup_utks(utks, progress=False)
        assert own.stats.requests == 0
        # refresh=True goes to the network again; other options are cached apart.
        fresh.lookup_utks(utks, refresh=True, progress=False)
        assert own.stats.requests == 3
        fresh.lookup_utks(utks, property_mode="value_and_history", progress=False)
        assert own.stats.requests == 6


def test_property_definitions_are_fetched_once(make_client: MakeClient) -> None:
    with SandboxPortal(contacts=10) as own:
        client = make_client(own)
        first = client.property_definitions()
        assert isinstance(first, list) and {"name", "type"} <= set(first[0])
        assert client.property_definitions() is first
        assert own.stats.requests == 1
        client.property_definitions(refresh=True)
        assert own.stats.requests == 2


def test_utks_endpoint_gives_records_without_utks(
    portal: SandboxPortal, make_client: MakeClient
) -> None:
    utks = portal.sample_utks(3)
    client = make_client(portal)
    result = client.lookup_utks(utks, endpoint="utks", progress=False)
    assert result.contacts["utk"].isna().all()
    assert set(result.contacts["vid"]) == {portal.record(u)["vid"] for u in utks}
    single = client.lookup_utks(utks[:1], endpoint="utks", progress=False)
    assert single.contacts["utk"].tolist() == utks[:1]
    none = client.lookup_utks(portal.unknown_utks(1), endpoint="utks", progress=False)
    assert none.missing["reason"].tolist() == ["not_found"]


def test_utks_endpoint_rerun_uses_the_http_cache(tmp_path: Path, make_client: MakeClient) -> None:
    with SandboxPortal(contacts=500) as own:
        utks = own.sample_utks(150)
        client = make_client(own, cache=tmp_path)
        client.lookup_utks(utks, endpoint="utks", progress=False)
        assert own.stats.requests == 2
        client.lookup_utks(utks, endpoint="utks", progress=False)
        assert own.stats.requests == 2


def test_properties_filter_and_a_list_too_long_for_a_url(
    portal: SandboxPortal, make_client: MakeClient
) -> None:
    utks = portal.sample_utks(30)
    client = make_client(portal, max_url_length=2048)
    short = client.lookup_utks(utks, properties=["email", "firstname"], progress=False)
    assert set(short.properties["property"]) <= {"email", "firstname"}
    assert len(short.contacts) == 30
    many = ["email", "firstname"] + [f"custom_property_number_{i}" for i in range(200)]
    portal.reset_stats()
    long = client.lookup_utks(utks, properties=many, progress=False)
    assert 414 not in portal.stats.by_status
    assert set(long.properties["property"]) <= set(many)
    pd.testing.assert_frame_equal(
        long.properties.sort_values(["vid", "property"]).reset_index(drop=True),
        short.properties.sort_values(["vid", "property"]).reset_index(drop=True),
    )


def test_many_batches_use_the_pool_and_respect_the_url_budget(make_client: MakeClient) -> None:
    with SandboxPortal(contacts=3000, max_url_length=3000, rate_limit=(10_000, 10_000)) as own:
        utks = own.sample_utks(1000)
        client = make_client(own, max_url_length=3000)
        result = client.lookup_utks(utks, progress=False)
        assert len(result.contacts) == 1000
        assert 414 not in own.stats.by_status
        assert own.stats.requests > 10  # 3000-char URLs hold fewer than 100 utks
