"""What the plotting functions share: lazy pyplot, new Axes, column checks, labels, empty plots.

Private to :mod:`hubutk_pandas.plotting` and the modules behind it. matplotlib is imported
only inside these functions, never at module import time.

Examples
--------
>>> import pandas as pd
>>> require_columns(pd.DataFrame({"vid": []}), ["vid", "value"], "history")
Traceback (most recent call last):
...
hubutk_pandas.errors.InvalidOptionError: history lacks the column(s) 'value'; it has: vid
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from hubutk_pandas._optional import import_optional
from hubutk_pandas.errors import InvalidOptionError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes

__all__ = [
    "NO_VALUE",
    "concise_dates",
    "contacts_text",
    "distinct_colours",
    "draw_empty",
    "integer_ticks",
    "label_axes",
    "new_axes",
    "pyplot",
    "require_columns",
]

#: How a missing value is named on an axis or in a legend.
NO_VALUE = "(no value)"


def pyplot() -> Any:
    """Import ``matplotlib.pyplot`` on first use, naming the package when it is missing."""
    return import_optional(
        "matplotlib.pyplot", package="matplotlib", needed_by="hubutk_pandas.plotting"
    )


def integer_ticks() -> Any:
    """A tick locator for counts: whole numbers only."""
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


def new_axes(ax: Axes | None) -> Axes:
    """``ax`` itself, or the Axes of a new pyplot figure when it is ``None``."""
    if ax is not None:
        return ax
    # constrained layout: long tick labels and a legend beside the axes stay in the figure
    _fig, created = pyplot().subplots(figsize=(8, 4.5), layout="constrained")
    return created


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise :class:`InvalidOptionError` naming ``what`` unless ``frame`` has ``columns``."""
    if not isinstance(frame, pd.DataFrame):
        raise InvalidOptionError(f"{what} must be a DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidOptionError(
            f"{what} lacks the column(s) {', '.join(map(repr, missing))}; "
            f"it has: {', '.join(map(str, frame.columns)) or 'no columns'}"
        )


def contacts_text(n: int) -> str:
    """``"1 contact"``, ``"1,234 contacts"``.

    Examples
    --------
    >>> contacts_text(1), contacts_text(1234)
    ('1 contact', '1,234 contacts')
    """
    return f"{n:,} contact" + ("" if n == 1 else "s")


def label_axes(ax: Axes, title: str, xlabel: str, ylabel: str) -> Axes:
    """Set the title and both axis labels; return ``ax``."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def draw_empty(ax: Axes, message: str, title: str, xlabel: str, ylabel: str) -> Axes:
    """Draw ``message`` centred on an otherwise blank, labelled Axes."""
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])
    return label_axes(ax, title, xlabel, ylabel)


def distinct_colours(n: int) -> list[Any]:
    """``n`` colours, none repeated while ``n <= 20`` (tab10, else tab20)."""
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(k % cmap.N) for k in range(n)]


def concise_dates(ax: Axes) -> None:
    """Date ticks that never overlap: few, short labels, the year/month said once."""
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=3, maxticks=7)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
