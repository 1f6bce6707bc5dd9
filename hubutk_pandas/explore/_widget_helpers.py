"""What the notebook widgets share: lazy ipywidgets, HTML tables and messages, figures as PNG.

Private to :mod:`hubutk_pandas.widgets` and :mod:`hubutk_pandas.explore.explorer`. ipywidgets and
matplotlib are imported only inside these functions, never at module import time.

Examples
--------
>>> import pandas as pd
>>> table_html(pd.DataFrame({"vid": [1, 2, 3]}), rows=2).startswith("<p>3 rows × 1 columns</p>")
True
>>> message("error", "a < b")
'<span style="color:#cf222e">a &lt; b</span>'
"""

from __future__ import annotations

import html
import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd

from hubutk_pandas._optional import import_optional
from hubutk_pandas.errors import (
    AuthenticationError,
    CredentialsError,
    DailyLimitError,
    HubSpotError,
    InvalidOptionError,
    LookupFailedError,
    MissingScopesError,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes

__all__ = [
    "HEAD_ROWS",
    "TABS_CSS",
    "Displayable",
    "error_text",
    "ipywidgets",
    "message",
    "png",
    "table_html",
]

#: Rows shown per frame tab.
HEAD_ROWS = 20

#: Tabs as wide as their titles: ipywidgets squeezes eleven tabs until the titles are cut off.
TABS_CSS = (
    "<style>.jupyter-widgets.jupyter-widget-tab.hubutk-tabs > .lm-TabBar .lm-TabBar-tab"
    "{flex: 0 0 auto; padding: 0 8px}"
    ".jupyter-widgets.jupyter-widget-tab.hubutk-tabs > .lm-TabBar > .lm-TabBar-content"
    "{flex-wrap: wrap}</style>"
)

_COLOURS = {"ok": "#1a7f37", "error": "#cf222e", "warning": "#9a6700", "info": "#57606a"}


def ipywidgets() -> Any:
    """Import ipywidgets on first use, naming the package when it is missing."""
    return import_optional("ipywidgets", package="ipywidgets", needed_by="hubutk_pandas.widgets")


def png(draw: Callable[[Axes], object], size: tuple[float, float] = (7.5, 4)) -> bytes:
    """Draw on a pyplot-free Figure (no global state, no duplicate inline output); PNG bytes."""
    figure = import_optional(
        "matplotlib.figure", package="matplotlib", needed_by="hubutk_pandas.widgets"
    )
    fig = figure.Figure(figsize=size, layout="constrained")
    draw(fig.subplots())
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    return buffer.getvalue()


def table_html(frame: pd.DataFrame, rows: int = HEAD_ROWS) -> str:
    """The first rows as an HTML table that scrolls when wide or long.

    Styled like a DataFrame output in JupyterLab (``jp-RenderedHTMLCommon``); elsewhere the
    class is unknown and the browser's plain table shows.
    """
    head = frame.head(rows).to_html(index=False, max_cols=30, na_rep="", border=0)
    head = head.replace("<table ", '<table style="margin-left:0" ', 1)  # not centred
    return (
        f"<p>{len(frame):,} rows × {frame.shape[1]} columns</p>"
        f'<div class="jp-RenderedHTMLCommon" style="overflow:auto; max-height:36em">{head}</div>'
    )


def message(kind: str, text: str) -> str:
    """``text``, HTML-escaped, in the colour of ``kind``: ok, error, warning or info."""
    return f'<span style="color:{_COLOURS[kind]}">{html.escape(text)}</span>'


class Displayable:
    """A widget wrapper that displays its ``widget`` when left as a cell's last expression."""

    widget: Any

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def error_text(exc: BaseException, asked: int | None = None) -> str:
    """What a widget says about ``exc`` (``asked``: how many utks were looked up).

    Examples
    --------
    >>> error_text(InvalidOptionError("bad"))
    'Invalid input: bad'
    """
    if isinstance(exc, DailyLimitError):
        kept = len(exc.partial.contacts) if exc.partial is not None else 0
        return (
            f"Daily API limit reached: partial data kept ({kept:,} matched utks from "
            f"{(asked or 0) - len(exc.failed_utks):,} of {asked or 0:,} utks looked up); "
            f"{len(exc.failed_utks):,} utks were not fetched. Run again after the limit "
            f"resets (midnight in the portal's time zone) to fetch only those. [{exc}]"
        )
    if isinstance(exc, MissingScopesError):
        scopes = ", ".join(exc.scopes) or "a scope"
        return f"The credential lacks {scopes}. [{exc}]"
    if isinstance(exc, AuthenticationError):
        return f"Authentication failed: check the access token or API key. [{exc}]"
    if isinstance(exc, CredentialsError):
        return f"No credentials: {exc}"
    if isinstance(exc, LookupFailedError):
        return f"Lookup partly failed ({len(exc.failed_utks):,} utks not fetched): {exc}"
    if isinstance(exc, InvalidOptionError):
        return f"Invalid input: {exc}"
    if isinstance(exc, HubSpotError):
        return f"{type(exc).__name__}: {exc}"
    return f"Unexpected error ({type(exc).__name__}): {exc}"
