"""403 MISSING_SCOPES and per-request 400s through the public API: translated, not retried,
bisected down to the one bad utk, never leaking a credential (errors or any logger)."""

from __future__ import annotations

import logging
import math
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest

from hubutk_pandas.client import HubSpotClient
from hubutk_pandas.errors import (
    AuthenticationError,
    BadRequestError,
    LookupFailedError,
    MissingScopesError,
)
from hubutk_pandas.sandbox import SandboxPortal

MakeClient = Callable[..., HubSpotClient]
SCOPES_MESSAGE = (
    "This app hasn't been granted all required scopes to make this call. Read more about "
    "required scopes here: https://developers.hubspot.com/scopes."
)


def _text(err: BaseException) -> str:
    return str(err) + repr(err) + "".join(traceback.format_exception(err))


@pytest.mark.parametrize("count", [40, 350])
def test_missing_scopes_is_a_403_authentication_error_not_retried(
    count: int, make_client: MakeClient
) -> None:
    with SandboxPortal(contacts=500) as own:
        bare = own.add_account(seed=3, contacts=500, scopes=())
        client = make_client(own, bare.access_token, max_workers=1)
        with pytest.raises(AuthenticationError) as info:
            client.lookup_utks(own.sample_utks(count), progress=False)
        err = info.value
        assert err.status == 403 and err.category == "MISSING_SCOPES"
        assert err.message.endswith(f"HubSpot says: {SCOPES_MESSAGE}")  # HubSpot's own words
        assert isinstance(err, MissingScopesError)  # naming the scope and where to add it
        assert err.scopes == ("crm.objects.contacts.read",)
        assert "lacks the scope crm.objects.contacts.read" in err.message
        assert "Development > Keys" in err.message
        assert err.correlation_id and err.correlation_id in str(err)
        assert bare.access_token not in _text(err)
        # One request: not retried, and the later batches (350 utks: 4) never left.
        assert own.stats.requests == 1 and own.stats.by_status[403] == 1
        own.reset_stats()
        with pytest.raises(AuthenticationError, match="scopes"):
            client.property_definitions()
        assert own.stats.requests == 1


def test_granting_the_scope_lets_the_same_client_through(make_client: MakeClient) -> None:
    with SandboxPortal(contacts=100) as own:
        own.set_scopes(own.access_token, ())
        client = make_client(own)
        with pytest.raises(AuthenticationError):
            client.lookup_utks(own.sample_utks(5), progress=False)
        own.set_scopes(own.access_token, ["crm.objects.contacts.read"])
        assert len(client.lookup_utks(own.sample_utks(5), progress=False).contacts) == 5


def test_a_400_is_reported_with_hubspots_details_and_not_retried(
    make_client: MakeClient,
) -> None:
    with SandboxPortal(contacts=100) as own:
        utk = own.sample_utks(1)
        own.inject("400")
        with pytest.raises(LookupFailedError) as info:
            make_client(own).lookup_utks(utk, progress=False)
        err = info.value
        assert err.failed_utks == utk and err.status == 400
        assert err.category == "VALIDATION_ERROR" and err.correlation_id
        assert len(err.errors) == 1 and isinstance(err.errors[0], BadRequestError)
        assert "injected 400" in err.errors[0].message
        assert own.stats.requests == 1  # a 400 is never retried as such


def test_a_400_on_a_batch_is_bisected_and_the_lookup_completes(make_client: MakeClient) -> None:
    with SandboxPortal(contacts=300) as own:
        utks = own.sample_utks(80)
        own.inject("400")  # only the first request: both halves then pass
        result = make_client(own).lookup_utks(utks, progress=False)
        assert result.contacts["utk"].tolist() == utks
        assert own.stats.by_status[400] == 1 and own.stats.requests == 3


def test_bisection_isolates_the_one_poisoned_utk(tmp_path: Path, make_client: MakeClient) -> None:
    with SandboxPortal(contacts=600) as own:
        utks = own.sample_utks(250)
        bad = utks[137]  # in the second batch of 100
        own.poison(bad)
        client = make_client(own, cache=tmp_path, max_workers=2)
        with pytest.raises(LookupFailedError) as info:
            client.lookup_utks(utks, progress=False)
        err = info.value
        assert err.failed_utks == [bad]
        assert err.partial is not None
        assert err.partial.contacts["utk"].tolist() == [u for u in utks if u != bad]
        assert err.status == 400 and bad in str(err.errors[0])
        # Bisection costs about two requests per level, only on the batch holding it.
        assert own.stats.requests <= 3 + 2 * math.ceil(math.log2(100))
        # Once the value is accepted, a rerun asks for that utk alone.
        own.cure()
        own.reset_stats()
        assert len(client.lookup_utks(utks, progress=False).contacts) == 250
        assert own.stats.requests == 1 and own.stats.utks_requested == 1


def test_no_logger_shows_the_api_key(
    tmp_path: Path, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: ours, urllib3, requests-cache, sandbox
    with SandboxPortal(contacts=200) as own:
        utks = own.sample_utks(120)
        with pytest.warns(UserWarning, match="retired"):
            cached = make_client(own, api_key=own.api_key, cache=tmp_path)
        with pytest.warns(UserWarning, match="retired"):
            plain = make_client(own, api_key=own.api_key)
        for client in (cached, plain):
            client.lookup_utks(utks, progress=False)
            client.lookup_utks(utks, endpoint="utks", progress=False)
            client.lookup_utks(utks, endpoint="utks", progress=False)  # cache hits
            client.property_definitions()
        own.inject("503")
        plain.lookup_utks(utks[:5], refresh=True, progress=False)  # a retry warning
    names = {r.name.split(".")[0] for r in caplog.records}
    assert {"hubutk_pandas", "urllib3"} <= names  # the libraries did log the requests
    for library in ("urllib3", "requests_cache", "hubutk_pandas.sandbox"):
        lines = [r.getMessage() for r in caplog.records if r.name.startswith(library)]
        assert any("hapikey=REDACTED" in line for line in lines), library
    for record in caplog.records:
        assert own.api_key not in record.getMessage(), record.name
