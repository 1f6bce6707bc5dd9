"""How many requests a lookup keeps in flight: ``max_workers``, else the rate window's share.

By default a client sends 16 requests at once for each 100 of its rate window (at least 16,
at most 40), so that a window goes out in about six round trips at every HubSpot tier; the
count is read when a lookup starts, from the window's current rate, which the portal's
``X-HubSpot-RateLimit-Max`` may have raised. The sandbox counts the most requests it
answered at once.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hubutk_pandas.client import HubSpotClient
from hubutk_pandas.errors import InvalidOptionError
from hubutk_pandas.sandbox import SandboxPortal

MakeClient = Callable[..., HubSpotClient]

# about 27 utks a request: a lookup of 1,500 utks is some 56 requests
SMALL_BATCHES = {"max_url_length": 1100, "rate_window": "client"}


def test_a_lookup_sends_as_many_at_once_as_its_rate_window_calls_for(
    make_client: MakeClient,
) -> None:
    with SandboxPortal(contacts=2000, latency=0.5, rate_limit=(1000, 10_000)) as own:
        utks = own.sample_utks(1500)
        client = make_client(own, rate_limit=(250, 10.0), **SMALL_BATCHES)
        assert client.settings.max_workers is None
        assert client.fetcher.max_workers == 40
        result = client.lookup_utks(utks, progress=False)
        assert len(result.contacts) + len(result.missing) == len(utks)
        # 16 was the old default's most; 40 is this window's
        assert 16 < own.stats.most_in_flight <= 40, own.stats.most_in_flight


def test_a_max_workers_given_is_the_most_in_flight(make_client: MakeClient) -> None:
    with SandboxPortal(contacts=2000, latency=0.3, rate_limit=(1000, 10_000)) as own:
        utks = own.sample_utks(600)
        client = make_client(own, rate_limit=(250, 10.0), max_workers=3, **SMALL_BATCHES)
        assert client.fetcher.max_workers == 3
        client.lookup_utks(utks, progress=False)
        assert 1 <= own.stats.most_in_flight <= 3, own.stats.most_in_flight


def test_the_count_follows_the_rate_the_portal_announces(make_client: MakeClient) -> None:
    """A Professional portal with the client's default rate (100 per 10 s): the first
    lookup learns 190 from the headers, and the next one sends 31 at once."""
    with SandboxPortal(contacts=400, rate_limit=(190, 10_000)) as own:
        client = make_client(own, rate_window="client")
        assert client.settings.rate_limit == (100, 10.0)
        assert client.fetcher.max_workers == 16
        client.lookup_utks(own.sample_utks(50), progress=False)
        assert client.fetcher.max_workers == 31


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "8"])
def test_a_bad_max_workers_is_refused_before_any_request(
    make_client: MakeClient, bad: object
) -> None:
    with SandboxPortal(contacts=10) as own:
        with pytest.raises(InvalidOptionError, match="max_workers"):
            make_client(own, max_workers=bad)
        assert own.stats.requests == 0
