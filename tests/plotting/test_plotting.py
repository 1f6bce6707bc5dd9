"""plotting: artists drawn, titles and labels, categorical order, empty inputs, bad input."""

from __future__ import annotations

import matplotlib.dates as mdates
import pandas as pd
import pytest

from hubutk_pandas.errors import InvalidOptionError
from hubutk_pandas.plotting import (
    MAX_CONTACTS,
    plot_current_stages,
    plot_form_submissions,
    plot_lifecycle_funnel,
    plot_property_timeline,
    plot_sources,
)


def _texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def _yticklabels(ax) -> list[str]:
    return [t.get_text() for t in ax.get_yticklabels()]


def _labelled(ax) -> None:
    assert ax.get_title()
    assert ax.get_xlabel()
    assert ax.get_ylabel()


# --- plot_property_timeline ------------------------------------------------------------


def lanes(ax) -> dict[str, list[tuple[str, str]]]:
    """What a lanes timeline shows: per lane (its label), each span's start day and value."""
    colour_of = {
        tuple(handle.get_facecolor()): text.get_text()
        for handle, text in zip(
            ax.get_legend().legend_handles, ax.get_legend().get_texts(), strict=True
        )
    }
    names = _yticklabels(ax)
    out: dict[str, list[tuple[str, str]]] = {name: [] for name in names}
    for bar in sorted(ax.patches, key=lambda b: b.get_x()):
        lane = names[round(bar.get_y() + bar.get_height() / 2)]
        day = mdates.num2date(bar.get_x()).strftime("%Y-%m-%d")
        out[lane].append((day, colour_of[tuple(bar.get_facecolor())]))
    return out


def test_timeline_draws_a_lane_per_contact_with_the_values_as_colours(history):
    before = history.copy()
    ax = plot_property_timeline(history, "lifecyclestage")
    _labelled(ax)
    assert _yticklabels(ax) == ["1", "2", "3"]  # one lane each, the earliest first
    # values in the order they first appear in time, named in the legend, not by vid
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "subscriber", "lead", "opportunity", "customer"
    ]  # fmt: skip
    assert lanes(ax) == {
        "1": [("2024-01-01", "subscriber"), ("2024-01-05", "lead"), ("2024-02-01", "customer")],
        "2": [("2024-01-03", "lead"), ("2024-01-20", "opportunity")],
        "3": [("2024-01-10", "lead")],
    }
    newest = mdates.date2num(pd.Timestamp("2024-02-01"))
    vid3 = [b for b in ax.patches if round(b.get_y() + b.get_height() / 2) == 2]
    assert vid3[0].get_x() + vid3[0].get_width() > newest  # held past the newest change
    assert not ax.lines  # no overlapping step lines
    assert "3 contacts" in ax.get_title()
    pd.testing.assert_frame_equal(history, before)  # input not mutated


def test_timeline_respects_given_order(history):
    order = ["customer", "opportunity", "lead", "subscriber"]
    ax = plot_property_timeline(history, "lifecyclestage", order=order)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == order
    assert lanes(ax)["1"] == [
        ("2024-01-01", "subscriber"), ("2024-01-05", "lead"), ("2024-02-01", "customer")
    ]  # fmt: skip


def test_timeline_names_the_property_and_its_values_in_the_portals_words(history):
    definitions = [
        {
            "name": "lifecyclestage",
            "label": "Lifecycle Stage",
            "options": [
                {"value": "subscriber", "label": "Subscriber"},
                {"value": "lead", "label": "Lead"},
                {"value": "customer", "label": "Customer"},
            ],  # no label for "opportunity": its value is shown
        },
        {"name": "hs_analytics_num_visits", "label": "Number of Visits"},
    ]
    ax = plot_property_timeline(history, "lifecyclestage", definitions=definitions)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "Subscriber", "Lead", "opportunity", "Customer"
    ]  # fmt: skip
    assert ax.get_legend().get_title().get_text() == "Lifecycle Stage"
    assert ax.get_title().startswith("Lifecycle Stage over time")
    ax = plot_property_timeline(history, "hs_analytics_num_visits", definitions=definitions)
    assert ax.get_ylabel() == "Number of Visits"


def test_timeline_plots_numeric_values_as_numbers(history):
    ax = plot_property_timeline(history, "hs_analytics_num_visits")
    # vid 2's only value is held (unmarked) up to the newest change drawn
    assert [list(line.get_ydata()) for line in ax.lines] == [[3.0, 7.0], [1.5, 1.5]]
    assert ax.lines[1].get_markevery() == [0]
    assert "hs_analytics_num_visits" in ax.get_ylabel()


def test_timeline_limits_contacts_and_says_so():
    n = MAX_CONTACTS + 5
    history = pd.DataFrame(
        {
            "vid": pd.Series(range(n), dtype="Int64"),
            "property": pd.Series(["lifecyclestage"] * n, dtype="string"),
            "value": pd.Series(["lead"] * n, dtype="string"),
            "timestamp": pd.to_datetime(range(n), unit="D", utc=True),
        }
    )
    ax = plot_property_timeline(history, "lifecyclestage")
    assert len(_yticklabels(ax)) == len(ax.patches) == MAX_CONTACTS
    assert f"first {MAX_CONTACTS} of {n} contacts" in ax.get_title()


def test_timeline_vids_selects_contacts(history):
    ax = plot_property_timeline(history, "lifecyclestage", vids=[3, 2])
    assert _yticklabels(ax) == ["3", "2"]  # in the order given
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["lead", "opportunity"]


@pytest.mark.parametrize("case", ["empty frame", "unknown property", "unknown vid"])
def test_timeline_empty_input_draws_explanation(history, case):
    if case == "empty frame":
        ax = plot_property_timeline(history.iloc[0:0], "lifecyclestage")
    elif case == "unknown property":
        ax = plot_property_timeline(history, "nope")
    else:
        ax = plot_property_timeline(history, "lifecyclestage", vids=[999])
    assert not ax.lines and not ax.patches
    assert any(t.startswith("No history of") for t in _texts(ax))
    _labelled(ax)


def test_timeline_missing_column_is_named(history):
    with pytest.raises(ValueError, match="'timestamp'"):
        plot_property_timeline(history.drop(columns="timestamp"), "lifecyclestage")


def test_timeline_draws_on_given_axes(history):
    import matplotlib.pyplot as plt

    _fig, ax = plt.subplots()
    assert plot_property_timeline(history, "lifecyclestage", ax=ax) is ax


# --- plot_form_submissions --------------------------------------------------------------


def test_form_submissions_counts_per_week_per_title(form_submissions):
    before = form_submissions.copy()
    ax = plot_form_submissions(form_submissions)
    _labelled(ax)
    lines = {line.get_label(): list(line.get_ydata()) for line in ax.lines}
    # weeks of 2024-01-01, 01-08 (no submissions, drawn as 0) and 01-15
    assert lines == {"Demo request": [2, 0, 1], "Newsletter": [1, 0, 0], "(no value)": [0, 0, 1]}
    assert "week" in ax.get_title()
    pd.testing.assert_frame_equal(form_submissions, before)


def test_form_submissions_by_none_and_monthly(form_submissions):
    ax = plot_form_submissions(form_submissions, by=None)
    assert [list(line.get_ydata()) for line in ax.lines] == [[3, 0, 2]]
    ax = plot_form_submissions(form_submissions, freq="M", by="form_id")
    assert {line.get_label(): list(line.get_ydata()) for line in ax.lines} == {
        "f1": [3],
        "f2": [1],
        "f3": [1],
    }
    assert "month" in ax.get_title()


def test_form_submissions_lumps_many_forms_into_other():
    n = 15
    subs = pd.DataFrame(
        {
            "timestamp": pd.to_datetime(["2024-03-01"] * n, utc=True),
            "title": pd.Series([f"form {i:02d}" for i in range(n)], dtype="string"),
        }
    )
    ax = plot_form_submissions(subs)
    labels = [line.get_label() for line in ax.lines]
    assert len(labels) == 10
    assert labels[-1] == "(other)"
    assert list(ax.lines[-1].get_ydata()) == [6]


def test_form_submissions_empty_draws_explanation(form_submissions):
    ax = plot_form_submissions(form_submissions.iloc[0:0])
    assert not ax.lines
    assert "No form submissions to plot" in _texts(ax)
    _labelled(ax)


def test_form_submissions_bad_arguments(form_submissions):
    with pytest.raises(InvalidOptionError, match="'page_title'"):
        plot_form_submissions(form_submissions, by="page_title")
    with pytest.raises(InvalidOptionError, match="freq='fortnightly'"):
        plot_form_submissions(form_submissions, freq="fortnightly")


# --- plot_sources -----------------------------------------------------------------------


def test_sources_counts_contacts_once_largest_first(wide):
    ax = plot_sources(wide)
    _labelled(ax)
    assert _yticklabels(ax) == ["ORGANIC_SEARCH", "DIRECT_TRAFFIC", "(no value)"]
    assert [p.get_width() for p in ax.patches] == [3, 1, 1]  # vid 2 has two utks, counted once
    assert _texts(ax) == ["3", "1", "1"]
    assert "5 contacts" in ax.get_title()


def test_sources_other_property_and_missing_column(wide):
    ax = plot_sources(wide, "lifecyclestage")
    assert ax.get_ylabel() == "lifecyclestage"
    assert sum(p.get_width() for p in ax.patches) == 5
    with pytest.raises(InvalidOptionError, match="'hs_latest_source'"):
        plot_sources(wide, "hs_latest_source")
    with pytest.raises(InvalidOptionError, match="LookupResult, a LookupDataset or a wide"):
        plot_sources([1, 2, 3])  # type: ignore[arg-type]


def test_sources_empty_draws_explanation(wide):
    ax = plot_sources(wide.iloc[0:0])
    assert not ax.patches
    assert "No contacts to plot" in _texts(ax)


# --- plot_current_stages (formerly plot_lifecycle_funnel) --------------------------------


def test_current_stages_follow_categorical_order_with_counts(wide, lifecycle):
    ax = plot_current_stages(wide)
    _labelled(ax)
    assert _yticklabels(ax) == lifecycle
    widths = [p.get_width() for p in ax.patches]
    assert widths == [0, 2, 0, 0, 1, 1, 0, 0]
    assert _texts(ax) == [str(int(w)) for w in widths]
    assert ax.yaxis_inverted()  # first stage on top
    assert "1 without a stage" in ax.get_title()
    assert "current lifecycle stage" in ax.get_title()
    # plain bars from zero, not centred into a funnel's shape: a later stage may be longer
    assert {p.get_x() for p in ax.patches} == {0.0}


def test_current_stages_use_the_categories_order_not_a_fixed_one(wide, lifecycle):
    reordered = wide.assign(
        lifecyclestage=wide["lifecyclestage"].cat.reorder_categories(lifecycle[::-1])
    )
    ax = plot_current_stages(reordered)
    assert _yticklabels(ax) == lifecycle[::-1]


def test_current_stages_plain_strings_use_default_order_unknown_last(lifecycle):
    wide = pd.DataFrame(
        {
            "vid": [1, 2, 3],
            "lifecyclestage": pd.Series(["customer", "zzz_custom", "lead"], dtype="string"),
        }
    )
    ax = plot_current_stages(wide)
    assert _yticklabels(ax) == [*lifecycle, "zzz_custom"]
    assert [p.get_width() for p in ax.patches] == [0, 1, 0, 0, 0, 1, 0, 0, 1]


def test_current_stages_empty_and_all_missing(wide):
    for frame in (wide.iloc[0:0], wide.assign(lifecyclestage=None)):
        ax = plot_current_stages(frame)
        assert not ax.patches
        assert "No lifecycle stages to plot" in _texts(ax)
    with pytest.raises(InvalidOptionError, match="'lifecyclestage'"):
        plot_current_stages(wide.drop(columns="lifecyclestage"))


def test_lifecycle_funnel_is_a_deprecated_alias_warning_at_the_callers_line(wide):
    with pytest.warns(FutureWarning, match="use plot_current_stages") as caught:
        ax = plot_lifecycle_funnel(wide)
    assert caught[0].filename == __file__  # attributed to this line, not to the package
    expected = plot_current_stages(wide)
    assert ax.get_title() == expected.get_title()
    assert [p.get_width() for p in ax.patches] == [p.get_width() for p in expected.patches]


# --- result.plot against the sandbox -----------------------------------------------------


@pytest.mark.filterwarnings("ignore:wide\\(\\)")
def test_result_plot_funnel_and_timeline_use_display_order(sandbox_result):
    result = sandbox_result
    stage = next(d for d in result.definitions() if d["name"] == "lifecyclestage")
    display_order = [o["value"] for o in sorted(stage["options"], key=lambda o: o["displayOrder"])]
    wide = result.wide()
    assert list(wide["lifecyclestage"].cat.categories) == display_order

    label = {o["value"]: o["label"] for o in stage["options"]}
    ax = result.plot.current_stages()
    assert _yticklabels(ax) == [label[s] for s in display_order]  # the portal's words
    assert "Marketing Qualified Lead" in _yticklabels(ax)
    counts = wide.drop_duplicates("vid")["lifecyclestage"].value_counts()
    assert [p.get_width() for p in ax.patches] == [counts[s] for s in display_order]
    with pytest.warns(FutureWarning, match=r"use plot.current_stages\(\)") as caught:
        old = result.plot.lifecycle_funnel()
    assert caught[0].filename == __file__
    assert [p.get_width() for p in old.patches] == [p.get_width() for p in ax.patches]

    # the true funnel: contacts that reached each stage, never widening down the stages
    ax = result.plot.funnel()
    reached = result.lead.funnel()["reached"].tolist()
    assert [p.get_width() for p in ax.patches][: len(reached)] == reached
    assert reached == sorted(reached, reverse=True)

    assert _yticklabels(ax)[: len(reached)] == [label[s] for s in result.lead.funnel()["stage"]]

    ax = result.plot.timeline("lifecyclestage")
    shown = [t.get_text() for t in ax.get_legend().get_texts()]
    in_order = [label[s] for s in display_order]
    assert shown == [s for s in in_order if s in shown]  # displayOrder, not time order
    history = result.history[result.history["property"] == "lifecyclestage"]
    assert len(_yticklabels(ax)) == min(MAX_CONTACTS, history["vid"].nunique())
    drawn = history[history["vid"].astype(str).isin(_yticklabels(ax))]
    assert set(shown) == {label[v] for v in drawn["value"].dropna()}
    assert ax.get_legend().get_title().get_text() == "Lifecycle Stage"


@pytest.mark.filterwarnings("ignore:wide\\(\\)")
def test_result_plot_sources_and_form_submissions(sandbox_result):
    result = sandbox_result
    ax = result.plot.sources()
    assert sum(p.get_width() for p in ax.patches) == result.contacts["vid"].nunique()
    assert ax.get_ylabel() == "Original Source"  # the property's label, not its name
    assert "Organic Search" in _yticklabels(ax) and "ORGANIC_SEARCH" not in _yticklabels(ax)

    subs = result.form_submissions
    assert len(subs) > 0
    ax = result.plot.form_submissions(freq="M")
    assert sum(line.get_ydata().sum() for line in ax.lines) == len(subs)
    ax = result.plot.form_submissions(by="form_id")
    assert {line.get_label() for line in ax.lines} <= {*subs["form_id"].dropna(), "(other)"}
    assert "ResultPlotter" in repr(result.plot)


def test_result_plot_without_definitions_falls_back_to_time_order():
    from hubutk_pandas.result import LookupResult

    records = [
        (
            "u1",
            {
                "vid": 7,
                "properties": {
                    "lifecyclestage": {
                        "value": "lead",
                        "versions": [
                            {"value": "lead", "timestamp": 2_000, "source-type": "API"},
                            {"value": "subscriber", "timestamp": 1_000, "source-type": "API"},
                        ],
                    }
                },
            },
        )
    ]
    result = LookupResult.from_records(records)  # no definitions provider
    ax = result.plot.timeline("lifecyclestage")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["subscriber", "lead"]
    assert [value for _, value in lanes(ax)["7"]] == ["subscriber", "lead"]


def test_result_plot_timeline_orders_like_wide_with_odd_display_orders():
    """The y axis follows wide()'s categories, even when displayOrder is missing or not an int."""
    from hubutk_pandas.result import LookupResult

    versions = [
        {"value": "customer", "timestamp": 3_000, "source-type": "API"},
        {"value": "lead", "timestamp": 2_000, "source-type": "API"},
        {"value": "subscriber", "timestamp": 1_000, "source-type": "API"},
    ]
    record = {
        "vid": 7,
        "properties": {"lifecyclestage": {"value": "customer", "versions": versions}},
    }
    options = [
        {"value": "subscriber", "displayOrder": "0"},  # a string: sorted after the ints
        {"value": "customer", "displayOrder": 2},
        {"value": "lead"},  # no displayOrder: last, in the order given
        {"value": "evangelist", "displayOrder": 1},
    ]
    definition = {"name": "lifecyclestage", "type": "enumeration", "fieldType": "select"}
    definitions = [{**definition, "options": options}]
    result = LookupResult.from_records([("u1", record)], definitions=lambda: definitions)
    categories = list(result.wide()["lifecyclestage"].cat.categories)
    assert categories == ["evangelist", "customer", "subscriber", "lead"]

    ax = result.plot.timeline("lifecyclestage")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["customer", "subscriber", "lead"]  # wide()'s order, the drawn ones
    assert [v for _, v in lanes(ax)["7"]] == ["subscriber", "lead", "customer"]  # in time


def test_missing_matplotlib_names_the_package(monkeypatch, wide):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        plot_current_stages(wide)


# --- legible at the default size -------------------------------------------------------------

#: The smallest text a plot may use at matplotlib's default 10 pt ("small" is 8.3 pt; the
#: "x-small" 6.9 pt of the funnel's conversions and the legends was too small to read).
SMALLEST_PT = 8.0


@pytest.mark.filterwarnings("ignore:wide\\(\\)")
@pytest.mark.parametrize(
    "draw",
    ["funnel", "current_stages", "sources", "timeline", "form_submissions", "stage_flow",
     "time_in_stage", "conversion_by_source", "cohorts"],
)  # fmt: skip
def test_every_text_of_every_plot_is_legible_at_the_default_size(sandbox_result, draw):
    import matplotlib.pyplot as plt

    plot = getattr(sandbox_result.plot, draw)
    ax = plot("lifecyclestage") if draw == "timeline" else plot()
    legend = ax.get_legend()
    texts = [*ax.texts, *ax.get_xticklabels(), *ax.get_yticklabels(), ax.title]
    texts += [*legend.get_texts(), legend.get_title()] if legend is not None else []
    small = {t.get_text(): t.get_fontsize() for t in texts if t.get_text()}
    assert small and all(size >= SMALLEST_PT for size in small.values()), small
    plt.close(ax.figure)
