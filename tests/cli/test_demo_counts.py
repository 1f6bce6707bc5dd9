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
from hubutk_pandas.plotting import plot_current_stages, plot_sources

matplotlib.use("Agg")

SAMPLE = Path(hubutk_pandas.__file__).parent / "data" / "visitors.csv"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[hubutk_pandas.SandboxClient]:
    with hubutk_pandas.connect(sandbox=True) as client:
        yield client  # type: ignore[misc]


@pytest.fixture(scope="module")
def looked_up(
    sandbox: hubutk_pandas.SandboxClient,
) -> tuple[pd.DataFrame, LookupResult]:
    visitors = pd.read_csv(SAMPLE, dtype="string", keep_default_na=False)
    return visitors, visitors.hubspot.lookup_utks("utk", client=sandbox, progress=False)


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
    # The summary and the plots say the same words (the portal's labels) and the same counts.
    sources = _section(text, "Top sources (contacts):")
    plotted = _bars(plot_sources(result))
    assert sources and sources == {name: plotted[name] for name in sources}
    assert "Organic Search" in sources  # the portal's words, as the plot says them
    stages = _section(text, "Lifecycle stages (contacts at each stage now):")
    funnel = _bars(plot_current_stages(result))
    assert stages and stages == {name: funnel[name] for name in stages}
    assert sum(stages.values()) <= result.contacts["vid"].nunique()
    matplotlib.pyplot.close("all")


def test_wide_has_a_row_per_utk_and_per_contact_is_one_call_away(looked_up) -> None:  # type: ignore[no-untyped-def]
    _, result = looked_up
    per_utk = result.wide(["lifecyclestage"])
    per_contact = result.wide(["lifecyclestage"], per="contact")
    assert len(per_utk) == len(result.contacts) > len(per_contact)
    assert len(per_contact) == result.contacts["vid"].nunique() and per_contact["vid"].is_unique
    assert per_contact.columns.tolist() == per_utk.columns.tolist()
    first = per_utk.drop_duplicates("vid").reset_index(drop=True)
    pd.testing.assert_frame_equal(per_contact, first)
    with pytest.raises(hubutk_pandas.InvalidOptionError, match="per='visit' is not valid"):
        result.wide(per="visit")  # type: ignore[arg-type]


def test_the_cli_counts_utks_and_contacts_apart(
    looked_up,  # type: ignore[no-untyped-def]
    sandbox: hubutk_pandas.SandboxClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from hubutk_pandas.cli import main

    _, result = looked_up
    contacts = result.contacts
    shared = contacts[contacts["vid"].duplicated(keep=False)].sort_values("vid").head(2)
    assert len(shared) == 2 and shared["vid"].iloc[0] == shared["vid"].iloc[1]  # one contact
    pd.DataFrame({"utk": shared["utk"]}).to_csv(tmp_path / "v.csv", index=False)
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", sandbox.sandbox.access_token)
    monkeypatch.setenv("HUBSPOT_BASE_URL", sandbox.sandbox.base_url)
    for fmt in ("csv", "dataset"):
        argv = ["lookup", str(tmp_path / "v.csv"), "--out", str(tmp_path / fmt), "--no-cache"]
        assert main([*argv, "--format", fmt]) == 0
        assert "2 utks matched 1 contact, 0 missing" in capsys.readouterr().out
