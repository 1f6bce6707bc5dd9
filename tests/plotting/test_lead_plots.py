"""Plots of the lead analytics: what is drawn (bars, labels, areas), empty and bad input."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from hubutk_pandas.errors import InvalidOptionError
from hubutk_pandas.lead import attribution, cohorts, funnel, stages
from hubutk_pandas.plotting import (
    plot_cohorts,
    plot_conversion_by_source,
    plot_funnel,
    plot_property_timeline,
    plot_stage_flow,
    plot_time_in_stage,
)
from hubutk_pandas.result import LookupResult
from tests.lead.handmade import hand


@pytest.fixture
def result() -> LookupResult:
    return hand(history=True)


def _texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def _labelled(ax) -> None:
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()


def test_funnel_bars_are_the_reached_counts_with_conversions_between(result) -> None:
    table = funnel(result, kind="any")
    ax = plot_funnel(table)
    _labelled(ax)
    widths = [round(p.get_width()) for p in ax.patches]
    assert widths == [3, 2, 2, 1, 1, 2, 0]
    assert [t.get_text() for t in ax.get_yticklabels()][:2] == ["subscriber", "lead"]
    texts = _texts(ax)
    assert texts[:7] == ["3", "2", "2", "1", "1", "2", "0"]
    assert texts[7:] == []  # "any" counts are not nested: no conversions (it wrote "↓ 200.0%")
    reached = plot_funnel(funnel(result))
    assert _texts(reached)[7:] == ["↓ 50.0%", "↓ 100.0%", "↓ 100.0%", "↓ 100.0%", "↓ 100.0%",
                                   "↓ 0.0%"]  # fmt: skip
    assert "every stage" not in ax.get_title() and "had each stage" in ax.get_title()
    lefts = [p.get_x() for p in ax.patches]
    assert lefts[0] == 0 and lefts[3] == 1.0  # centred: (3 - 1) / 2


def test_funnel_refuses_several_groups_and_draws_empty(result) -> None:
    with pytest.raises(InvalidOptionError, match="one funnel"):
        plot_funnel(funnel(result, by="hs_analytics_source"))
    ax = plot_funnel(funnel(LookupResult.from_records([])))
    assert not ax.patches and "No lifecycle stages" in _texts(ax)[0]


def test_stage_flow_stacks_the_contacts_in_each_stage(result) -> None:
    journey = stages(result)
    ax = plot_stage_flow(journey, freq="W")
    _labelled(ax)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == "other" and legend[-1] == "subscriber"  # top of the stack first
    # at each sample, the layers add up to the contacts with a stage then
    tops = ax.collections[-1].get_paths()[0].vertices[:, 1]
    assert tops.max() == 4
    with pytest.raises(InvalidOptionError, match="freq"):
        plot_stage_flow(journey, freq="fortnight")
    empty = plot_stage_flow(journey.iloc[0:0])
    assert "No lifecycle stages" in _texts(empty)[0]


def test_time_in_stage_boxes_hold_the_completed_stays(result) -> None:
    ax = plot_time_in_stage(stages(result))
    _labelled(ax)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[:2] == ["subscriber (n=2)", "lead (n=3)"]  # vid 3's and vid 1's; vid 2's two
    medians = [line.get_xdata()[0] for line in ax.lines if line.get_color() == "C1"]
    assert medians[1] == 3.0  # lead stays of 3, 2 and 10 days
    assert "completed stays" in ax.get_title()
    assert "No completed stays" in _texts(plot_time_in_stage(stages(result).iloc[0:0]))[0]


def test_conversion_by_source_bars_and_labels(result) -> None:
    ax = plot_conversion_by_source(attribution(result))
    _labelled(ax)
    assert [round(p.get_width(), 3) for p in ax.patches] == [1.0, 0.0, 0.0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "ORGANIC_SEARCH",
        "PAID_SEARCH",
        "(no value)",
    ]
    assert "2 of 2 (100.0%)" in _texts(ax)
    assert ax.get_title() == "Share of contacts that reached customer, by hs_analytics_source"


def test_cohort_curves_one_line_per_measured_cohort(result) -> None:
    table = cohorts(result, freq="M", stage="customer", days=[7, 30], as_of="2024-06-01")
    ax = plot_cohorts(table)
    _labelled(ax)
    (line,) = ax.lines
    assert list(line.get_xdata()) == [7, 30] and list(line.get_ydata()) == [0.0, 0.5]
    assert line.get_label() == "2024-01 (4)"
    young = cohorts(result, stage="customer", days=[30, 90])  # too young for both: not drawn
    assert "No cohorts" in _texts(plot_cohorts(young))[0]


def test_result_plot_reaches_the_lead_plots(result) -> None:
    for name in ("funnel", "stage_flow", "time_in_stage", "conversion_by_source", "cohorts"):
        ax = getattr(result.plot, name)()
        assert ax.get_title(), name
    assert "funnel" in repr(result.plot)


def _overlaps(boxes) -> bool:
    return any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


def test_timeline_of_many_contacts_overlaps_nothing() -> None:
    rng = np.random.default_rng(0)
    n = 20
    rows = []
    for vid in range(n):
        t = pd.Timestamp("2024-03-01", tz="UTC") + pd.Timedelta(days=int(rng.integers(0, 60)))
        for stage in ["subscriber", "lead", "marketingqualifiedlead"][: 1 + vid % 3]:
            rows.append((vid, stage, t))
            t += pd.Timedelta(days=int(rng.integers(5, 200)))
    history = pd.DataFrame(rows, columns=["vid", "value", "timestamp"]).assign(
        property="lifecyclestage"
    )
    ax = plot_property_timeline(history, "lifecyclestage")
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    assert not ax.lines and len(ax.get_yticklabels()) == n  # a lane each, no lines to cross
    # spans meet end to end in a lane (their edges touch): none covers another
    spans = [p.get_window_extent(renderer).padded(-0.5) for p in ax.patches]
    assert len(spans) == sum(1 + vid % 3 for vid in range(n)) and not _overlaps(spans)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "subscriber", "lead", "marketingqualifiedlead"
    ]  # the values, not 20 vids  # fmt: skip
    assert len({tuple(p.get_facecolor()) for p in ax.patches}) == 3
    legend = ax.get_legend().get_window_extent(renderer)
    assert not legend.overlaps(ax.get_window_extent(renderer))  # beside the axes
    assert fig.bbox.contains(legend.x1 - 1, legend.y0 + 1)  # and inside the figure
    ticks = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()]
    assert len(ticks) >= 3 and not _overlaps(ticks)
    ylabels = [t.get_window_extent(renderer) for t in ax.get_yticklabels()]
    assert all(fig.bbox.contains(b.x0 + 1, b.y0 + 1) for b in ylabels)  # not cut off
    assert not _overlaps(ticks + ylabels)
    plt.close(fig)
