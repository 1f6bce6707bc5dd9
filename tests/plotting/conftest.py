"""Fixtures of the plotting tests: a headless matplotlib and small hand-built frames."""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib
import pandas as pd
import pytest

from hubutk_pandas.sandbox.vocab import LIFECYCLE_STAGES

matplotlib.use("Agg")

#: HubSpot's default lifecycle stages in displayOrder, as the sandbox portal defines them: the
#: tests check plotting's own DEFAULT_LIFECYCLE_ORDER against this, so it is not copied from it.
LIFECYCLE = [value for value, _label in LIFECYCLE_STAGES]


@pytest.fixture
def lifecycle() -> list[str]:
    """HubSpot's default lifecycle stages in displayOrder."""
    return list(LIFECYCLE)


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    """Close every figure a test opened, so figures do not pile up across tests."""
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def _ts(values: list[str]) -> pd.Series:
    return pd.Series(pd.to_datetime(values, utc=True)).astype("datetime64[ms, UTC]")


@pytest.fixture
def history() -> pd.DataFrame:
    """Three contacts' lifecycle stages plus one numeric property, in the documented columns."""
    rows = [
        (1, "lifecyclestage", "subscriber", "2024-01-01"),
        (1, "lifecyclestage", "lead", "2024-01-05"),
        (1, "lifecyclestage", "customer", "2024-02-01"),
        (2, "lifecyclestage", "lead", "2024-01-03"),
        (2, "lifecyclestage", "opportunity", "2024-01-20"),
        (3, "lifecyclestage", "lead", "2024-01-10"),
        (1, "hs_analytics_num_visits", "3", "2024-01-01"),
        (1, "hs_analytics_num_visits", "7", "2024-01-09"),
        (2, "hs_analytics_num_visits", "1.5", "2024-01-02"),
    ]
    frame = pd.DataFrame(rows, columns=["vid", "property", "value", "timestamp"])
    return pd.DataFrame(
        {
            "vid": frame["vid"].astype("Int64"),
            "property": frame["property"].astype("string"),
            "value": frame["value"].astype("string"),
            "timestamp": _ts(list(frame["timestamp"])),
            "source_type": pd.Series(["API"] * len(frame), dtype="string"),
            "source_id": pd.Series([pd.NA] * len(frame), dtype="string"),
            "source_label": pd.Series([pd.NA] * len(frame), dtype="string"),
            "selected": pd.Series([False] * len(frame), dtype="boolean"),
            "source_vids": [[] for _ in range(len(frame))],
            "updated_by_user_id": pd.Series([pd.NA] * len(frame), dtype="Int64"),
        }
    )


@pytest.fixture
def form_submissions() -> pd.DataFrame:
    """Five submissions of two forms over three weeks (one form title missing)."""
    stamps = [
        "2024-01-01T10:00",
        "2024-01-02T10:00",
        "2024-01-03T10:00",
        "2024-01-17T09:00",
        "2024-01-18T09:00",
    ]
    titles = ["Demo request", "Newsletter", "Demo request", "Demo request", None]
    return pd.DataFrame(
        {
            "vid": pd.Series([1, 2, 3, 1, 2], dtype="Int64"),
            "conversion_id": pd.Series([f"c{i}" for i in range(5)], dtype="string"),
            "timestamp": _ts(stamps),
            "form_id": pd.Series(["f1", "f2", "f1", "f1", "f3"], dtype="string"),
            "title": pd.Series(titles, dtype="string"),
        }
    )


@pytest.fixture
def wide() -> pd.DataFrame:
    """A wide frame like result.wide(): two utks share vid 2; lifecyclestage is ordered."""
    stages = ["lead", "customer", "customer", "lead", None, "opportunity"]
    return pd.DataFrame(
        {
            "utk": pd.Series([f"utk{i}" for i in range(6)], dtype="string"),
            "vid": pd.Series([1, 2, 2, 3, 4, 5], dtype="Int64"),
            "lifecyclestage": pd.Categorical(stages, categories=LIFECYCLE, ordered=True),
            "hs_analytics_source": pd.Categorical(
                [
                    "ORGANIC_SEARCH",
                    "DIRECT_TRAFFIC",
                    "DIRECT_TRAFFIC",
                    "ORGANIC_SEARCH",
                    None,
                    "ORGANIC_SEARCH",
                ],
                categories=["ORGANIC_SEARCH", "PAID_SEARCH", "DIRECT_TRAFFIC"],
                ordered=True,
            ),
        }
    )
