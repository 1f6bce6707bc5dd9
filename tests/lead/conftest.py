"""Fixtures for the lead analytics: the hand-written portal of ``handmade``, and real lookups."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from hubutk_pandas.result import LookupResult

from .handmade import VISITORS, hand


@pytest.fixture
def hand_result() -> LookupResult:
    """The hand-written contacts, looked up with history."""
    return hand(history=True)


@pytest.fixture
def hand_values() -> LookupResult:
    """The same contacts from a value-only lookup: stages come from the "Became a" dates."""
    return hand(history=False)


@pytest.fixture(scope="session")
def sandbox_pair(portal: Any) -> tuple[LookupResult, LookupResult]:
    """600 sandbox contacts looked up twice: with history, and value-only (the cheap way)."""
    from hubutk_pandas.client import HubSpotClient

    utks = portal.sample_utks(600)
    with HubSpotClient(portal.access_token, base_url=portal.base_url, cache=False) as client:
        full = client.lookup_utks(
            utks, property_mode="value_and_history", form_submission_mode="all", progress=False
        )
        values = client.lookup_utks(utks, progress=False)
        full.definitions(), values.definitions()  # fetch while the client is open
    return full, values


@pytest.fixture(scope="session")
def demo() -> Iterator[tuple[pd.DataFrame, LookupResult]]:
    """The demo: the sample visitors file looked up in the demo sandbox, as the notebook does."""
    import hubutk_pandas

    visitors = pd.read_csv(VISITORS, dtype="string", keep_default_na=False)
    with hubutk_pandas.connect(sandbox=True) as client, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the file's few invalid utks, reported in result.missing
        result = visitors.hubspot.lookup_utks(
            "utk",
            client=client,
            property_mode="value_and_history",
            form_submission_mode="all",
            progress=False,
        )
        result.definitions()
        yield visitors, result
