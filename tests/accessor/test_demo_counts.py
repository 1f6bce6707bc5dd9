"""The demo's summary counts contacts as contacts: the figures its own plots show."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

import hubutk_pandas
from hubutk_pandas import LookupResult
from hubutk_pandas.demo import summarize
from hubutk_pandas.plotting import plot_lifecycle_funnel, plot_sources

matplotlib.use("Agg")

SAMPLE = Path(hubutk_pandas.__file__).parent / "data" / "visitors.csv"


@pytest.fixture(scope="module")
def looked_up() -> Iterator[tuple[pd.DataFrame, LookupResult]]:
    visitors = pd.read_csv(SAMPLE, dtype="string", keep_default_na=False)
    with hubutk_pandas.connect(sandbox=True) as client:
        yield visitors, visitors.hubspot.lookup_utks("utk", client=client, progress=False)


def _section(text: str, heading: str) -> dict[str, int]:
    """The ``name  count`` lines under a heading of the summary."""
    block = text.split(heading, 1)[1].split("\n\n", 1)[0]
    rows = [line.rsplit(None, 1) for line in block.strip().splitlines()]
    return {name.strip(): int(n.replace(",", "")) for name, n in rows}


def _bars(ax) -> dict[str, int]:  # type: ignore[no-untyped-def]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    return {label: int(bar.get_width()) for label, bar in zip(labels, ax.patches, strict=True)}


def test_the_sample_has_contacts_with_several_utks(looked_up) -> None:  # type: ignore[no-untyped-def]
    _, result = looked_up
    assert result.contacts["vid"].nunique() < len(result.contacts)  # else nothing is tested


def test_sources_and_stages_count_contacts_as_the_plots_do(looked_up) -> None:  # type: ignore[no-untyped-def]
    visitors, result = looked_up
    text = summarize(visitors, result, 1.0)
    sources = _section(text, "Top sources (contacts):")
    plotted = _bars(plot_sources(result))
    assert sources == {name: plotted[name] for name in sources}
    stages = _section(text, "Lifecycle stages (contacts at each stage now):")
    funnel = _bars(plot_lifecycle_funnel(result))
    assert stages == {name: funnel[name] for name in stages}
    assert sum(stages.values()) <= result.contacts["vid"].nunique()
    matplotlib.pyplot.close("all")
