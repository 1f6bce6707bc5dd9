"""Notebook widgets: a lookup form and a contact explorer.

:class:`LookupForm` looks a column (or pasted utks) up and shows counts, one tab per frame and
plots; :class:`ContactExplorer` (from :mod:`hubutk_pandas.explore.explorer`, importable from here
too) shows one contact of a result at a time. Errors (bad credentials, the daily limit,
nothing found, invalid input) appear in the form as a readable message, never as a
traceback. ipywidgets and matplotlib are imported on first use, so ``import hubutk_pandas``
stays light.

Examples
--------
>>> from hubutk_pandas.client import HubSpotClient
>>> from hubutk_pandas.sandbox import SandboxPortal
>>> from hubutk_pandas.widgets import ContactExplorer, LookupForm
>>> with SandboxPortal(contacts=50) as portal:
...     client = HubSpotClient(portal.access_token, base_url=portal.base_url, cache=False)
...     form = LookupForm(client)
...     form.utk_text.value = "\\n".join(portal.sample_utks(3))
...     form.run_button.click()  # or form.run()
...     client.close()
>>> len(form.result.contacts), form.tabs.titles[:2]
(3, ('wide', 'contacts'))
>>> explorer = ContactExplorer(form.result)
>>> vid = explorer.select(form.result.contacts["utk"].iloc[0])
>>> vid == explorer.selected_vid == int(form.result.contacts["vid"].iloc[0])
True

Leave ``form`` or ``explorer`` as a cell's last expression to display it.
"""

from __future__ import annotations

import html
import logging
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from hubutk_pandas.errors import HubSpotError, InvalidOptionError, LookupFailedError
from hubutk_pandas.explore._widget_helpers import (
    HEAD_ROWS,
    TABS_CSS,
    Displayable,
    error_text,
    ipywidgets,
    message,
    png,
    table_html,
)
from hubutk_pandas.explore.explorer import ContactExplorer
from hubutk_pandas.face import FILE_FORMATS
from hubutk_pandas.options import FORM_SUBMISSION_MODES, PROPERTY_MODES, LookupOptions
from hubutk_pandas.utks import normalize_utk

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes

    from hubutk_pandas.client import HubSpotClient
    from hubutk_pandas.result import LookupResult

__all__ = ["HEAD_ROWS", "ContactExplorer", "LookupForm", "split_utks"]

logger = logging.getLogger(__name__)

_STEPS = ("reading input", "connecting", "looking up", "building tables", "drawing plots")


def split_utks(text: str) -> list[str]:
    """Split pasted text into utks: one per line, or separated by commas, semicolons or spaces.

    Blank entries and repeats are dropped; the first-seen order is kept.

    Examples
    --------
    >>> split_utks(" a1, b2\\n\\nc3;a1 ")
    ['a1', 'b2', 'c3']
    """
    seen: dict[str, None] = {}
    for token in re.split(r"[\s,;]+", text or ""):
        token = token.strip().strip("'\"")
        if token:
            seen.setdefault(token, None)
    return list(seen)


class LookupForm(Displayable):
    """An ipywidgets form that runs :meth:`HubSpotClient.lookup_utks` and shows the result.

    Parameters
    ----------
    client
        The client to use. ``None`` builds ``HubSpotClient()`` from the environment at run time;
        a missing credential then shows in the form.
    frame
        A DataFrame whose utk column is picked in a dropdown; without it, utks are pasted.

    Attributes
    ----------
    result : LookupResult or None
        The last result (the partial one after a daily-limit or lookup failure).
    widget : ipywidgets.VBox
        The whole form; leaving ``form`` as a cell's last expression displays it.

    Examples
    --------
    >>> import pandas as pd
    >>> visits = pd.DataFrame({"page": ["/", "/pricing"], "hubspotutk": ["a" * 32, None]})
    >>> form = LookupForm(frame=visits)  # the client is built from the environment at run
    >>> form.column.value
    'hubspotutk'
    """

    def __init__(self, client: HubSpotClient | None = None, frame: pd.DataFrame | None = None):
        w = ipywidgets()
        self.client = client
        self.frame = frame
        self.result: LookupResult | None = None
        self._selected: list[str] = []
        self._choices: list[tuple[str, str]] = []
        self._updating = False

        self.column = self.utk_text = None
        if frame is not None:
            columns = list(frame.columns)
            guess = next(
                (c for c in columns if "utk" in str(c).lower()), columns[0] if columns else None
            )
            self.column = w.Dropdown(
                options=[(str(c), c) for c in columns], value=guess, description="utk column"
            )
            source = self.column
        else:
            self.utk_text = w.Textarea(
                placeholder="Paste utks: one per line or comma-separated",
                description="utks",
                layout=w.Layout(width="100%", height="90px"),
            )
            source = self.utk_text
        self.property_filter = w.Text(placeholder="filter properties…", description="properties")
        self.properties = w.SelectMultiple(options=[], rows=8, layout=w.Layout(width="100%"))
        self.load_button = w.Button(description="Load properties", icon="refresh")
        self.property_mode = w.Dropdown(
            options=PROPERTY_MODES, value="value_and_history", description="propertyMode"
        )
        self.form_submission_mode = w.Dropdown(
            options=FORM_SUBMISSION_MODES, value="newest", description="formSubmissionMode"
        )
        self.list_memberships = w.Checkbox(
            value=False,
            description="list memberships",
            tooltip="from HubSpot's Lists API (needs the scope crm.lists.read)",
        )
        self.include_deletes = w.Checkbox(value=False, description="include deleted")
        self.run_button = w.Button(description="Run", button_style="primary", icon="search")
        self.save_folder = w.Text(value="hubutk-output", description="save to")
        self.save_format = w.Dropdown(options=FILE_FORMATS, value="csv", description="as")
        self.save_button = w.Button(description="Save files", icon="save")
        self.progress = w.FloatProgress(value=0, min=0, max=len(_STEPS), description="")
        self.status = w.HTML(message("info", "Ready."))
        self.summary = w.HTML("")
        self.tabs = w.Tab(children=[])
        self.tabs.add_class("hubutk-tabs")
        for widget in (source, self.property_filter, self.property_mode, self.progress):
            widget.style.description_width = "initial"
        self.form_submission_mode.style.description_width = "initial"

        self.property_filter.observe(self._on_filter, names="value")
        self.properties.observe(self._on_select, names="value")
        self.load_button.on_click(lambda _button: self.load_properties())
        self.run_button.on_click(lambda _button: self.run())
        self.save_button.on_click(lambda _button: self.save())
        self.widget = w.VBox(
            [
                w.HTML(TABS_CSS),
                source,
                w.HBox([self.property_filter, self.load_button]),
                self.properties,
                w.HBox([self.property_mode, self.form_submission_mode]),
                w.HBox([self.list_memberships, self.include_deletes]),
                w.HBox([self.run_button, self.progress]),
                w.HBox([self.save_folder, self.save_format, self.save_button]),
                self.status,
                self.summary,
                self.tabs,
            ]
        )
        if client is not None:
            self.load_properties()

    # --- properties ------------------------------------------------------------------------

    def load_properties(self) -> bool:
        """Fill the property picker from ``client.property_definitions()``; False on error."""
        try:
            definitions = self._client().property_definitions()
        except HubSpotError as exc:
            self._show_error(exc)
            return False
        self._choices = sorted(
            (
                (f"{d.get('label') or d['name']} ({d['name']})", str(d["name"]))
                for d in definitions
                if d.get("name") and not d.get("deleted")
            ),
            key=lambda choice: choice[1],
        )
        self._on_filter()
        self.status.value = message("info", f"{len(self._choices):,} properties loaded.")
        return True

    def _on_filter(self, _change: object = None) -> None:
        needle = self.property_filter.value.strip().lower()
        keep = set(self._selected)
        options = [c for c in self._choices if c[1] in keep or needle in c[0].lower()]
        self._updating = True
        try:
            self.properties.options = options
            self.properties.value = tuple(v for _, v in options if v in keep)
        finally:
            self._updating = False

    def _on_select(self, change: dict[str, Any]) -> None:
        if self._updating:
            return
        visible = {v for _, v in self.properties.options}
        hidden = [v for v in self._selected if v not in visible]
        self._selected = hidden + list(change["new"])

    @property
    def selected_properties(self) -> list[str]:
        """The chosen property names, including those hidden by the filter."""
        return list(self._selected)

    # --- running ---------------------------------------------------------------------------

    def options(self) -> LookupOptions:
        """The :class:`~hubutk_pandas.LookupOptions` the form's controls describe now.

        Examples
        --------
        >>> form = LookupForm(frame=pd.DataFrame({"utk": ["a" * 32]}))
        >>> form.include_deletes.value = True
        >>> form.options().include_deletes, form.options().property_mode
        (True, 'value_and_history')
        """
        return LookupOptions(
            properties=self.selected_properties or None,
            property_mode=self.property_mode.value,
            form_submission_mode=self.form_submission_mode.value,
            show_list_memberships=self.list_memberships.value,
            include_deletes=self.include_deletes.value,
        )

    def _client(self) -> HubSpotClient:
        if self.client is None:
            from hubutk_pandas.client import HubSpotClient

            self.client = HubSpotClient()
        return self.client

    def _step(self, index: int) -> None:
        self.progress.value = index
        self.progress.description = _STEPS[index] if index < len(_STEPS) else "done"

    def _on_batches(self, done: int, total: int) -> None:
        """The client's progress callback (in utks): move the bar within "looking up"."""
        step = _STEPS.index("looking up")
        self.progress.value = step + (done / total if total else 1.0)
        self.progress.description = f"{done:,}/{total:,} utks" if total else "from cache"

    def _utks(self) -> list[str]:
        if self.frame is not None and self.column is not None:
            column = self.frame[self.column.value]
            # Distinct tokens, first-seen order: repeat visits must not inflate "N utks asked".
            # The client's own rule for a cell's text, so the counts agree with the lookup.
            cells = (normalize_utk(v) for v in column)
            return list(dict.fromkeys(cell for cell in cells if cell is not None))
        return split_utks(self.utk_text.value if self.utk_text is not None else "")

    def run(self) -> LookupResult | None:
        """Look the utks up, as clicking Run does; returns the result (``None`` on error).

        Warnings raised meanwhile (invalid utks dropped, values that did not parse) are
        shown under the status instead of in the notebook's stderr.
        """
        self.progress.bar_style = "info"
        self.tabs.children, self.summary.value = [], ""
        self._step(0)
        self.run_button.disabled = True  # no second click while this one runs
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = self._run()
        finally:
            self.run_button.disabled = False
        notes = list(dict.fromkeys(str(w.message) for w in caught))
        if notes:
            self.status.value += "".join(f"<br>{message('info', n)}" for n in notes)
        return result

    def _run(self) -> LookupResult | None:
        utks = self._utks()
        if not utks:
            what = f"column {self.column.value!r} has no" if self.column else "paste at least one"
            self._show_error(InvalidOptionError(f"Nothing to look up: {what} utk."))
            return None
        self.status.value = message("info", f"Looking up {len(utks):,} utks…")
        try:
            self._step(1)
            client = self._client()
            if not self._choices:
                self.load_properties()
            self._step(2)
            result = client.lookup_utks(utks, options=self.options(), progress=self._on_batches)
        except HubSpotError as exc:
            partial = exc.partial if isinstance(exc, LookupFailedError) else None
            self.result = partial
            if partial is not None:
                self._show_result(partial, len(utks))
            self._show_error(exc, len(utks))
            return None
        except Exception as exc:  # a widget shows, never raises into the notebook
            logger.exception("lookup from the form failed")
            self._show_error(exc)
            return None
        self.result = result
        self._show_result(result, len(utks))
        matched = len(result.contacts)
        reasons = result.missing["reason"].value_counts()
        detail = ", ".join(
            f"{int(n):,} {str(reason).replace('_', ' ')}" for reason, n in reasons.items()
        )
        detail = f" ({detail})" if detail else ""
        if matched == 0:
            text = f"Nothing found: none of the {len(utks):,} utks matched a contact{detail}."
            self.status.value = message("warning", text)
        else:
            text = f"Done: {matched:,} of {len(utks):,} utks matched a contact{detail}."
            self.status.value = message("ok", text)
        self.progress.bar_style = "success"
        return result

    def _show_error(self, exc: BaseException, asked: int | None = None) -> None:
        self.progress.bar_style = "danger"
        self.status.value = message("error", error_text(exc, asked))

    def save(self) -> list[Path]:
        """Write the last result's tables to the folder and format chosen, as "Save" does.

        Uses :meth:`LookupResult.to_files`; returns the paths (none, with a message in the
        form, when there is no result or the folder cannot be written).
        """
        if self.result is None:
            self.status.value = message("warning", "Nothing to save yet: run a lookup first.")
            return []
        folder = self.save_folder.value.strip() or "hubutk-output"
        try:
            paths = self.result.to_files(folder, format=self.save_format.value)
        except (OSError, ImportError, HubSpotError) as exc:  # a folder, pyarrow, the cache
            self.status.value = message("error", f"Could not save to {folder}: {exc}")
            return []
        self.status.value = message("ok", f"Saved {len(paths)} files to {folder}/")
        return paths

    def _show_result(self, result: LookupResult, asked: int) -> None:
        w = ipywidgets()
        self._step(3)
        frames = result.tables()  # a warning (shown under the status) if wide() cannot be had
        counts = "".join(
            f"<tr><td>{html.escape(name)}</td><td>{len(frame):,}</td></tr>"
            for name, frame in frames.items()
        )
        self.summary.value = (
            f"<b>{asked:,} utks asked</b>"
            f"<table><tr><th>frame</th><th>rows</th></tr>{counts}</table>"
        )
        children = [w.HTML(table_html(frame)) for frame in frames.values()]
        self._step(4)
        children.append(self._plots(result, frames.get("wide")))
        self.tabs.children = children
        self.tabs.titles = (*frames, "plots")
        self._step(len(_STEPS))

    @staticmethod
    def _plots(result: LookupResult, wide: pd.DataFrame | None) -> Any:
        w = ipywidgets()
        from hubutk_pandas import plotting

        draws: list[Callable[[Axes], object]] = []
        if wide is not None and "lifecyclestage" in wide.columns:
            draws.append(lambda ax: plotting.ResultPlotter(result).funnel(ax=ax))
            draws.append(lambda ax: plotting.plot_current_stages(wide, ax=ax))
        if wide is not None and "hs_analytics_source" in wide.columns:
            draws.append(lambda ax: plotting.plot_sources(wide, ax=ax))
        draws.append(lambda ax: plotting.plot_form_submissions(result.form_submissions, ax=ax))
        history = result.history
        if len(history):
            prop = "lifecyclestage" if (history["property"] == "lifecyclestage").any() else None
            prop = prop or str(history["property"].iloc[0])
            draws.append(lambda ax: plotting.ResultPlotter(result).timeline(prop, ax=ax))
        images = []
        for draw in draws:
            try:
                images.append(w.Image(value=png(draw), format="png"))
            except (HubSpotError, ValueError, KeyError) as exc:
                images.append(w.HTML(message("warning", f"plot skipped: {exc}")))
        return w.VBox(images)
