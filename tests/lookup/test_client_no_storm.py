"""No 400 storm: bisection isolates bad utks, but stops when the refusal is not about them.

A portal that refuses every request (the sandbox's ``inject("400", count=None)``) must
cost a handful of requests per worker, whatever the number of utks, and the lookup
raises HubSpot's error; a poisoned utk is still isolated with everything else returned.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from hubutk_pandas.client import HubSpotClient
from hubutk_pandas.errors import BadRequestError, LookupFailedError
from hubutk_pandas.sandbox import SandboxPortal

MakeClient = Callable[..., HubSpotClient]


@pytest.mark.parametrize("workers", [1, 4, 8])
def test_a_portal_that_refuses_everything_costs_a_handful_of_requests(
    make_client: MakeClient, workers: int
) -> None:
    with SandboxPortal(contacts=4000) as own:
        utks = own.sample_utks(3000)  # 30 batches of 100
        own.inject("400", count=None)
        client = make_client(own, max_workers=workers)
        with pytest.raises(BadRequestError) as caught:
            client.lookup_utks(utks, progress=False)
        # Per worker: its batch, then both halves, refused alike -> stop. Another worker
        # may be sending its own three when the first one stops them: 3 per worker at most.
        assert own.stats.requests <= 3 * workers, own.stats.requests
        assert own.stats.by_status[400] == own.stats.requests
    err = caught.value
    assert not isinstance(err, LookupFailedError)  # HubSpot's error itself, not "some failed"
    assert err.status == 400 and err.category == "VALIDATION_ERROR"
    assert err.correlation_id  # HubSpot's correlationId, to quote to support
    assert "injected 400" in err.message and "not about particular utks" in err.message


def test_a_refusal_that_stops_also_holds_for_the_vid_keyed_endpoint(
    make_client: MakeClient,
) -> None:
    with SandboxPortal(contacts=1000) as own:
        own.inject("400", count=None)
        with pytest.raises(BadRequestError):
            make_client(own, max_workers=2).lookup_utks(
                own.sample_utks(700), endpoint="utks", progress=False
            )
        assert own.stats.requests <= 3 * 2


def test_a_414_for_every_length_stops_once_single_utks_are_refused(
    make_client: MakeClient,
) -> None:
    # A 414 is about length: halves are shorter, so splitting goes on until halves of one
    # utk are refused alike - then it is not about length, and the lookup stops.
    with SandboxPortal(contacts=1000, max_url_length=60) as own:
        with pytest.raises(BadRequestError) as caught:
            make_client(own, max_workers=2).lookup_utks(own.sample_utks(800), progress=False)
        assert caught.value.status == 414
        per_worker = 1 + 2 * math.ceil(math.log2(100))  # one path down to single utks
        assert own.stats.requests <= per_worker * 2, own.stats.requests


def test_poisoned_utks_are_still_isolated_with_everything_else_returned(
    make_client: MakeClient,
) -> None:
    with SandboxPortal(contacts=4000) as own:
        utks = own.sample_utks(3000)
        bad = [utks[5], utks[1234], utks[1260], utks[2999]]  # two share a batch
        own.poison(*bad)
        with pytest.raises(LookupFailedError) as caught:
            make_client(own, max_workers=4).lookup_utks(utks, progress=False)
        err = caught.value
        assert sorted(err.failed_utks) == sorted(bad)
        assert err.partial is not None
        assert err.partial.contacts["utk"].tolist() == [u for u in utks if u not in bad]
        # 30 batches, plus about two requests per level of each bad utk's split.
        assert own.stats.requests <= 30 + len(bad) * 2 * math.ceil(math.log2(100))
