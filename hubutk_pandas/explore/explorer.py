"""The contact explorer: one contact of a lookup at a time, found by email, name or utk.

:class:`ContactExplorer` shows a contact's properties, its lifecycle-stage journey
(:func:`hubutk_pandas.lead.stages`), one property's history as a timeline, and its form
submissions. Also importable from :mod:`hubutk_pandas.widgets`. ipywidgets and
matplotlib are imported on first use.

Examples
--------
>>> from hubutk_pandas.result import LookupResult
>>> record = {"vid": 7, "properties": {"email": {"value": "ada@example.com"}}}
>>> explorer = ContactExplorer(LookupResult.from_records([("u1", record)]))
>>> explorer.contact.options
(('<ada@example.com> · vid 7', 7),)
>>> explorer.select("u1"), explorer.selected_vid
(7, 7)
"""

from __future__ import annotations

import logging
import warnings
from typing import TYPE_CHECKING

import pandas as pd

from hubutk_pandas.errors import HubSpotError, InvalidOptionError
from hubutk_pandas.explore._widget_helpers import (
    Displayable,
    ipywidgets,
    message,
    png,
    table_html,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hubutk_pandas.result import LookupResult

__all__ = ["ContactExplorer"]

logger = logging.getLogger(__name__)


class ContactExplorer(Displayable):
    """Browse the contacts of a result one at a time: properties, stage journey, history, forms.

    Type part of an email, a name or a utk in ``search`` to narrow the ``contact`` dropdown.

    Parameters
    ----------
    result
        A :class:`~hubutk_pandas.result.LookupResult`; a ``value_and_history`` lookup also
        gets a timeline plot. The stage journey comes from the history of
        ``lifecyclestage`` when fetched, else from the "Became a … date" properties.

    Examples
    --------
    See the module's example: ``ContactExplorer(result).select(utk)`` shows that contact.
    """

    def __init__(self, result: LookupResult) -> None:
        w = ipywidgets()
        self.result = result
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                self._wide = result.wide()
            for note in caught:
                logger.info("explorer: %s", note.message)
        except HubSpotError as exc:
            logger.info("wide() failed in the explorer: %s", exc)
            self._wide = pd.DataFrame({"utk": [], "vid": []})
        self._index = self._build_index()
        self._journeys = result.lead.stages()

        self.search = w.Text(placeholder="email, name or utk", description="search")
        self.contact = w.Dropdown(options=[], description="contact", layout=w.Layout(width="60%"))
        props = sorted(pd.unique(result.history["property"].dropna().astype(str)))
        default = "lifecyclestage" if "lifecyclestage" in props else (props[0] if props else None)
        self.property = w.Dropdown(options=props, value=default, description="history of")
        self.properties_table = w.HTML("")
        self.journey_table = w.HTML("")
        self.timeline = w.Image(format="png")
        self.form_table = w.HTML("")
        self.tabs = w.Tab(
            children=[
                self.properties_table,
                self.journey_table,
                w.VBox([self.property, self.timeline]),
                self.form_table,
            ]
        )
        self.tabs.titles = ("properties", "stage journey", "history", "form submissions")
        self.widget = w.VBox([w.HBox([self.search, self.contact]), self.tabs])

        self.search.observe(lambda _change: self._filter(), names="value")
        self.contact.observe(lambda _change: self._render(), names="value")
        self.property.observe(lambda _change: self._render_timeline(), names="value")
        self._filter()

    def _build_index(self) -> pd.DataFrame:
        """One row per contact: vid, its utks, and a label/search text from email and name."""
        contacts = self.result.contacts.dropna(subset=["vid"])
        utks = contacts.groupby("vid", sort=False)["utk"].agg(
            lambda s: " ".join(s.dropna().astype(str))
        )
        wide = self._wide.drop_duplicates(subset="vid").set_index("vid")
        rows = []
        for vid, utk_text in utks.items():
            person = wide.loc[vid] if vid in wide.index else pd.Series(dtype=object)
            name = " ".join(
                str(person[c]) for c in ("firstname", "lastname") if pd.notna(person.get(c))
            )
            email = str(person["email"]) if pd.notna(person.get("email")) else ""
            label = " ".join(p for p in (name, f"<{email}>" if email else "") if p) or utk_text
            label = f"{label} · vid {vid}"
            rows.append((vid, label, f"{label} {utk_text}".lower()))
        return pd.DataFrame(rows, columns=["vid", "label", "text"])

    def _filter(self) -> None:
        needle = self.search.value.strip().lower()
        index = self._index[self._index["text"].str.contains(needle, regex=False)]
        current = self.contact.value
        self.contact.options = list(zip(index["label"], index["vid"], strict=True))
        if current in set(index["vid"]):
            self.contact.value = current

    def select(self, utk_or_vid: str | int) -> int:
        """Show one contact, given one of its utks or its vid; returns the vid.

        Raises
        ------
        InvalidOptionError
            When no contact of the result has that utk or vid.
        """
        contacts = self.result.contacts
        by_utk = contacts.loc[contacts["utk"] == str(utk_or_vid), "vid"].dropna()
        if len(by_utk):
            vid = by_utk.iloc[0]
        elif str(utk_or_vid).isdigit() and int(utk_or_vid) in set(self._index["vid"]):
            vid = int(utk_or_vid)
        else:
            raise InvalidOptionError(
                f"no contact in this result has the utk or vid {utk_or_vid!r}; "
                f"it has {len(self._index):,} contacts"
            )
        if self.search.value:
            self.search.value = ""
        self.contact.value = vid
        return int(vid)

    def _render(self) -> None:
        vid = self.contact.value
        if vid is None:
            self.properties_table.value = self.form_table.value = self.journey_table.value = ""
            self.timeline.value = b""
            return
        row = self._wide[self._wide["vid"] == vid].head(1)
        table = row.drop(columns=["utk"], errors="ignore").T.reset_index()
        table.columns = pd.Index(["property", "value"])
        self.properties_table.value = table_html(table.dropna(subset=["value"]), rows=500)
        subs = self.result.form_submissions
        self.form_table.value = table_html(subs[subs["vid"] == vid], rows=100)
        self.journey_table.value = self._journey_html(vid)
        self._render_timeline()

    def _render_timeline(self) -> None:
        from hubutk_pandas.plotting import ResultPlotter

        vid, prop = self.contact.value, self.property.value
        if vid is None:
            return
        if prop is None:
            prop = "lifecyclestage"
        plotter = ResultPlotter(self.result)
        self.timeline.value = png(lambda ax: plotter.timeline(prop, vids=[vid], ax=ax))

    def _journey_html(self, vid: int) -> str:
        """The contact's stages in order: entered, left, how long (days), and from where."""
        rows = self._journeys[self._journeys["vid"] == vid]
        if rows.empty:
            return message("info", "No lifecycle stage for this contact.")
        table = pd.DataFrame(
            {
                "stage": rows["stage"].astype(str),
                "entered (UTC)": rows["entered_at"].dt.strftime("%Y-%m-%d %H:%M"),
                "left (UTC)": rows["exited_at"].dt.strftime("%Y-%m-%d %H:%M").fillna("current"),
                "days": (rows["duration"].dt.total_seconds() / 86_400).round(1),
            }
        )
        source = "history" if (rows["source"] == "history").all() else "Became-a dates"
        return table_html(table, rows=50) + message("info", f"from the {source}")

    @property
    def selected_vid(self) -> int | None:
        """The vid shown, or ``None``."""
        return None if self.contact.value is None else int(self.contact.value)
