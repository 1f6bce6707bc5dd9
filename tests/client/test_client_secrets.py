"""Credentials never leak (cache files, reprs, logs, attrs) and never share answers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from hubutk_pandas.client import HubSpotClient
from hubutk_pandas.sandbox import SandboxPortal

MakeClient = Callable[..., HubSpotClient]


def test_two_credentials_sharing_one_cache_folder_never_cross(
    tmp_path: Path, make_client: MakeClient
) -> None:
    with SandboxPortal(contacts=300, seed=0) as own:
        other = own.add_account(seed=7, contacts=300)
        utks = own.sample_utks(120)
        first = make_client(own, cache=tmp_path).lookup_utks(utks, progress=False)
        assert set(first.contacts["portal_id"]) == {own.portal_id}
        own.reset_stats()
        second = make_client(own, other.access_token, cache=tmp_path).lookup_utks(
            utks, progress=False
        )
        assert own.stats.requests == 2  # asked the portal, not the other account's cache
        assert own.portal_id not in set(second.contacts["portal_id"])
        # Property definitions too are fetched per credential.
        own.reset_stats()
        make_client(own, other.access_token, cache=tmp_path).property_definitions()
        assert own.stats.requests == 1


def test_no_secret_in_any_cache_file_repr_log_or_attrs(
    tmp_path: Path, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="hubutk_pandas")
    with SandboxPortal(contacts=300) as own:
        utks = own.sample_utks(150)
        token_client = make_client(own, cache=tmp_path)
        with pytest.warns(UserWarning, match="retired"):
            key_client = make_client(own, api_key=own.api_key, cache=tmp_path)
        results = []
        for client in (token_client, key_client):
            results.append(client.lookup_utks(utks, progress=False))
            results.append(client.lookup_utks(utks, endpoint="utks", progress=False))
            client.property_definitions()
            text = repr(client) + str(client) + repr(client.settings)
            assert own.access_token not in text and own.api_key not in text
        # The client's own log lines (the sandbox server logs its request lines apart).
        client_log = "\n".join(
            r.getMessage() for r in caplog.records if not r.name.startswith("hubutk_pandas.sandbox")
        )
        assert "GET http://127.0.0.1" in client_log and "lookup of 150 utks" in client_log
        files = [p for p in tmp_path.rglob("*") if p.is_file()]
        assert any(p.name.endswith(".sqlite") for p in files)
        for path in files:
            data = path.read_bytes()
            for secret in (own.access_token, own.api_key):
                assert secret.encode() not in data, f"{secret[:4]}... found in {path.name}"
        for secret in (own.access_token, own.api_key):
            assert secret not in client_log
            for result in results:
                for frame in result.frames.values():
                    assert secret not in repr(frame.attrs)


def test_requests_identify_the_package(portal: SandboxPortal, make_client: MakeClient) -> None:
    from importlib.metadata import version

    client = make_client(portal)
    assert (
        client._http._session.headers["User-Agent"] == f"hubutk-pandas/{version('hubutk-pandas')}"
    )
