"""Plots of the lead analytics: the funnel, the stage flow, time in stage, sources, cohorts.

Each function draws one frame of :mod:`hubutk_pandas.lead` (``funnel()``, ``stages()``,
``attribution()``, ``cohorts()``) on a matplotlib ``Axes`` and returns it, titled and
labelled; an empty frame draws an explanatory empty plot. Public through
:mod:`hubutk_pandas.plotting` and ``result.plot``. matplotlib is imported only when a plot
is drawn.

Examples
--------
>>> import pandas as pd
>>> table = pd.DataFrame({"stage": ["lead", "customer"], "reached": [10, 4],
...                       "conversion": [None, 0.4], "cumulative_conversion": [1.0, 0.4]})
>>> ax = plot_funnel(table)
>>> [round(p.get_width()) for p in ax.patches], [t.get_text() for t in ax.texts]
([10, 4], ['10', '4', '↓ 40.0%'])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hubutk_pandas.errors import InvalidOptionError
from hubutk_pandas.plotting._helpers import (
    concise_dates,
    contacts_text,
    distinct_colours,
    draw_empty,
    integer_ticks,
    label_axes,
    new_axes,
    require_columns,
)
from hubutk_pandas.plotting._words import STAGE_PROPERTY, Words

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes

    from hubutk_pandas.face import PropertyDefinitions

__all__ = [
    "MAX_COHORTS",
    "plot_cohorts",
    "plot_conversion_by_source",
    "plot_funnel",
    "plot_stage_flow",
    "plot_time_in_stage",
]

#: How many cohorts (the latest) :func:`plot_cohorts` draws.
MAX_COHORTS = 12
_KIND_WORDS = {
    "reached": "contacts that got at least this far",
    "any": "contacts that had each stage",
    "all": "contacts that went through every stage in order",
}


def _percent(ax: Axes) -> None:
    from matplotlib.ticker import PercentFormatter

    ax.xaxis.set_major_formatter(PercentFormatter(1.0))


def plot_funnel(
    funnel: pd.DataFrame,
    *,
    ax: Axes | None = None,
    definitions: PropertyDefinitions | None = None,
) -> Axes:
    """The funnel of :func:`hubutk_pandas.lead.funnel`: a centred bar per stage, first on top.

    Each bar is labelled with its ``reached`` count; between two bars, the next-step
    conversion (``↓ 80.5%``), except for ``kind="any"``, whose counts are not nested and
    have no conversions.

    Parameters
    ----------
    funnel
        One funnel: the frame of ``funnel()`` without ``by`` (or one of its groups).
    ax
        The Axes to draw on; a new figure by default.
    definitions
        The portal's property definitions (``result.plot`` passes them): stages and values
        are named by their labels ("Marketing Qualified Lead"), else by their internal names.

    Returns
    -------
    matplotlib.axes.Axes
    """
    require_columns(funnel, ["stage", "reached"], "the funnel frame")
    ax = new_axes(ax)
    stages = [str(s) for s in funnel["stage"]]
    if len(set(stages)) != len(stages):
        raise InvalidOptionError(
            "plot_funnel draws one funnel: this frame repeats stages (a funnel(by=...)); "
            "select one group first, or use plot_conversion_by_source"
        )
    kind = funnel.attrs.get("kind", "reached")
    reached = funnel["reached"].fillna(0).astype("int64").to_numpy()
    first = int(reached[0]) if len(reached) else 0
    title = f"Lifecycle funnel: {_KIND_WORDS.get(kind, kind)} ({contacts_text(first)})"
    xlabel, ylabel = "contacts", "lifecycle stage"
    if not len(reached) or not reached.any():
        return draw_empty(ax, "No lifecycle stages to plot", title, xlabel, ylabel)
    lefts = (reached.max() - reached) / 2
    bars = ax.barh(range(len(stages)), reached, left=lefts, height=0.62, color="tab:blue")
    widest = reached.max()
    for k, bar in enumerate(bars):
        n = int(reached[k])
        inside = n >= 0.12 * widest  # a narrow bar gets its count beside it
        x = bar.get_x() + bar.get_width() / 2 if inside else bar.get_x() + bar.get_width()
        ax.text(x if inside else x + 0.01 * widest, k, f"{n:,}", va="center",
                ha="center" if inside else "left", color="white" if inside else "black",
                fontweight="bold")  # fmt: skip
    # kind="any" counts are not nested (a later stage without an earlier one): their
    # ratios are no conversions, so nothing is written between its bars.
    rates = funnel["conversion"].tolist()[1:] if "conversion" in funnel else []
    for k, rate in enumerate(rates, start=1):
        text = "↓ n/a" if pd.isna(rate) else f"↓ {float(rate):.1%}"
        ax.text(reached.max() / 2, k - 0.5, text, ha="center", va="center",
                fontsize="small", color="0.2")  # fmt: skip
    ax.set_yticks(range(len(stages)))
    ax.set_yticklabels([Words(definitions).stage(stage) for stage in stages])
    ax.set_ylim(len(stages) - 0.5, -0.5)  # first stage on top
    ax.set_xticks([])
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    return label_axes(ax, title, xlabel, ylabel)


def _stage_counts(stages: pd.DataFrame, times: np.ndarray) -> dict[str, np.ndarray]:
    """Per stage, how many contacts were in it at each of ``times`` (epoch ms)."""
    out: dict[str, np.ndarray] = {}
    far = np.iinfo(np.int64).max
    for stage, rows in stages.groupby("stage", observed=True, sort=True):
        entered = np.sort(_ms(rows["entered_at"]))
        exited = np.sort(np.where(rows["exited_at"].isna(), far, _ms(rows["exited_at"])))
        inside = np.searchsorted(entered, times, side="right")
        left = np.searchsorted(exited, times, side="right")
        out[str(stage)] = inside - left
    return out


def _ms(values: pd.Series) -> np.ndarray:
    naive = values.astype("datetime64[ms, UTC]").dt.tz_localize(None)
    return naive.to_numpy(dtype="datetime64[ms]").view(np.int64)


def plot_stage_flow(
    stages: pd.DataFrame,
    *,
    freq: str = "M",
    ax: Axes | None = None,
    definitions: PropertyDefinitions | None = None,
) -> Axes:
    """Contacts in each lifecycle stage over time, stacked, at the end of every period.

    Parameters
    ----------
    stages
        The frame of :func:`hubutk_pandas.lead.stages`.
    freq
        A pandas period alias for the sampling: ``"W"``, ``"M"`` (default), ``"Q"``.
    ax
        The Axes to draw on; a new figure by default.
    definitions
        The portal's property definitions (``result.plot`` passes them): stages and values
        are named by their labels ("Marketing Qualified Lead"), else by their internal names.

    Returns
    -------
    matplotlib.axes.Axes
    """
    require_columns(stages, ["vid", "stage", "entered_at", "exited_at"], "the stages frame")
    ax = new_axes(ax)
    title = f"Contacts per lifecycle stage over time ({contacts_text(stages['vid'].nunique())})"
    xlabel, ylabel = "end of period (UTC)", "contacts"
    if stages.empty:
        return draw_empty(ax, "No lifecycle stages to plot", title, xlabel, ylabel)
    naive = stages["entered_at"].dt.tz_convert("UTC").dt.tz_localize(None)
    try:
        periods = pd.period_range(naive.min(), naive.max(), freq=freq)
    except (ValueError, TypeError) as exc:
        raise InvalidOptionError(
            f"freq={freq!r} is not a pandas period alias; choose from 'W', 'M', 'Q', 'Y'"
        ) from exc
    ends = periods.to_timestamp(how="end").floor("ms")
    ends = ends.where(ends < naive.max(), naive.max())  # the last point: the latest change
    counts = _stage_counts(stages, ends.to_numpy(dtype="datetime64[ms]").view(np.int64))
    order = [str(c) for c in stages["stage"].cat.categories] if hasattr(
        stages["stage"], "cat") else sorted(counts)  # fmt: skip
    names = [s for s in order if s in counts]
    colours = distinct_colours(len(names))
    words = Words(definitions)
    ax.stackplot(ends.to_numpy(), [counts[s] for s in names],
                 labels=[words.stage(s) for s in names], colors=colours)  # fmt: skip
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], title=words.property(STAGE_PROPERTY),
              fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))  # fmt: skip
    ax.set_ylim(bottom=0)
    ax.set_xlim(ends[0], ends[-1])
    ax.yaxis.set_major_locator(integer_ticks())
    concise_dates(ax)
    return label_axes(ax, title, xlabel, ylabel)


def plot_time_in_stage(
    stages: pd.DataFrame,
    *,
    ax: Axes | None = None,
    definitions: PropertyDefinitions | None = None,
) -> Axes:
    """Days spent in each stage, one box per stage (completed stays), first stage on top.

    Parameters
    ----------
    stages
        The frame of :func:`hubutk_pandas.lead.stages`; stays still open (``duration`` NaT)
        are left out.
    ax
        The Axes to draw on; a new figure by default.
    definitions
        The portal's property definitions (``result.plot`` passes them): stages and values
        are named by their labels ("Marketing Qualified Lead"), else by their internal names.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib

    require_columns(stages, ["stage", "duration"], "the stages frame")
    ax = new_axes(ax)
    done = stages.dropna(subset=["duration"])
    title = f"Time in stage ({len(done):,} completed stays)"
    xlabel, ylabel = "days in stage", "lifecycle stage"
    if done.empty:
        return draw_empty(ax, "No completed stays to plot", title, xlabel, ylabel)
    days = done["duration"].dt.total_seconds() / 86_400
    groups = {
        str(s): d.to_numpy() for s, d in days.groupby(done["stage"], observed=True, sort=True)
    }
    names = list(groups)
    flat: dict[str, Any] = {"orientation": "horizontal"}
    if tuple(int(p) for p in matplotlib.__version__.split(".")[:2]) < (3, 10):
        flat = {"vert": False}
    ax.boxplot([groups[s] for s in names], positions=range(len(names)), widths=0.6,
               flierprops={"markersize": 2, "alpha": 0.4}, **flat)  # fmt: skip
    ax.set_yticks(range(len(names)))
    words = Words(definitions)
    ax.set_yticklabels([f"{words.stage(s)} (n={len(groups[s]):,})" for s in names])
    ax.set_ylim(len(names) - 0.5, -0.5)
    ax.set_xlim(left=0)
    return label_axes(ax, title, xlabel, ylabel)


def wilson_interval(hits: np.ndarray, n: np.ndarray, z: float = 1.96) -> tuple[Any, Any]:
    """The 95% Wilson score interval of ``hits / n`` (element-wise; ``n > 0``).

    Examples
    --------
    >>> low, high = wilson_interval(np.array([2.0]), np.array([46.0]))
    >>> round(float(low[0]), 3), round(float(high[0]), 3)
    (0.012, 0.145)
    """
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def plot_conversion_by_source(
    attribution: pd.DataFrame,
    *,
    ax: Axes | None = None,
    definitions: PropertyDefinitions | None = None,
) -> Axes:
    """The share of each source's contacts that reached the stage, best first, counts annotated.

    The whiskers are 95% Wilson intervals: where they overlap, the data cannot tell the
    sources apart.

    Parameters
    ----------
    attribution
        The frame of :func:`hubutk_pandas.lead.attribution` (its first column is the source).
    ax
        The Axes to draw on; a new figure by default.
    definitions
        The portal's property definitions (``result.plot`` passes them): stages and values
        are named by their labels ("Marketing Qualified Lead"), else by their internal names.

    Returns
    -------
    matplotlib.axes.Axes
    """
    require_columns(attribution, ["contacts", "reached", "conversion"], "the attribution frame")
    ax = new_axes(ax)
    words = Words(definitions)
    by = str(attribution.attrs.get("by", attribution.columns[0]))
    raw_stage = attribution.attrs.get("stage")
    stage = words.stage(raw_stage) if raw_stage is not None else "the stage"
    title = f"Share of contacts that reached {stage}, by {words.property(by)}"
    xlabel, ylabel = f"reached {stage}", words.property(by)
    rows = attribution[attribution["contacts"] > 0]
    if rows.empty:
        return draw_empty(ax, "No contacts to plot", title, xlabel, ylabel)
    rows = rows.sort_values(["conversion", "contacts"], ascending=False, kind="stable")
    labels = ["(no value)" if pd.isna(v) else words.value(by, v) for v in rows.iloc[:, 0]]
    rates = rows["conversion"].astype(float).to_numpy()
    low, high = wilson_interval(rows["reached"].to_numpy(float), rows["contacts"].to_numpy(float))
    bars = ax.barh(range(len(rows)), rates, color="tab:green", alpha=0.85,
                   xerr=np.maximum([rates - low, high - rates], 0), ecolor="0.35",
                   capsize=3)  # fmt: skip
    notes = [f"{r:,} of {c:,} ({x:.1%})" for r, c, x in zip(
        rows["reached"], rows["contacts"], rates, strict=True)]  # fmt: skip
    ax.bar_label(bars, labels=notes, padding=3, fontsize="small")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(labels)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(0, max(high.max() * 1.45, 0.01))  # room for the labels
    _percent(ax)
    return label_axes(ax, title, xlabel, ylabel)


def plot_cohorts(
    cohorts: pd.DataFrame,
    *,
    ax: Axes | None = None,
    definitions: PropertyDefinitions | None = None,
) -> Axes:
    """Cohort curves: per creation period, the share that reached the stage within N days.

    Draws the latest :data:`MAX_COHORTS` cohorts; a cohort too young for a window
    (NA in ``cohorts()``) stops before it, and one too young for any is left out.

    Parameters
    ----------
    cohorts
        The frame of :func:`hubutk_pandas.lead.cohorts`.
    ax
        The Axes to draw on; a new figure by default.
    definitions
        The portal's property definitions (``result.plot`` passes them): stages and values
        are named by their labels ("Marketing Qualified Lead"), else by their internal names.

    Returns
    -------
    matplotlib.axes.Axes
    """
    require_columns(cohorts, ["cohort", "contacts"], "the cohorts frame")
    windows = [c for c in cohorts.columns if c.startswith("within_") and c.endswith("d")]
    ax = new_axes(ax)
    raw_stage = cohorts.attrs.get("stage")
    stage = Words(definitions).stage(raw_stage) if raw_stage is not None else "the stage"
    title = f"Share of each cohort that reached {stage}, by days since creation"
    xlabel, ylabel = "days since creation", f"reached {stage}"
    measured = cohorts[windows].notna().any(axis=1) if windows else cohorts["contacts"] > 0
    rows = cohorts[(cohorts["contacts"] > 0) & measured].tail(MAX_COHORTS)
    if rows.empty or not windows:
        return draw_empty(ax, "No cohorts to plot", title, xlabel, ylabel)
    days = [int(c[len("within_") : -1]) for c in windows]
    colours = distinct_colours(len(rows))
    for k, (_i, row) in enumerate(rows.iterrows()):
        shares = pd.to_numeric(pd.Series([row[c] for c in windows]), errors="coerce")
        ax.plot(days, shares.to_numpy(dtype=float, na_value=np.nan), marker="o", color=colours[k],
                label=f"{row['cohort']} ({int(row['contacts']):,})")  # fmt: skip
    ax.legend(title="cohort (contacts)", fontsize="small", loc="upper left",
              bbox_to_anchor=(1.01, 1))  # fmt: skip
    ax.set_xticks(days)
    ax.set_xlim(0, max(days) * 1.05)
    ax.set_ylim(bottom=0)
    from matplotlib.ticker import PercentFormatter

    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    return label_axes(ax, title, xlabel, ylabel)
