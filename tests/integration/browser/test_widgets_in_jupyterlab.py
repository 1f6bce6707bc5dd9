"""An analyst's session in a real JupyterLab: run notebook 03, then click through the widgets.

Headless Chromium opens ``03-widgets.ipynb`` on a throwaway JupyterLab (see conftest), runs
all cells, and then does what an analyst does by hand: ticks a box in the LookupForm, clicks its
Run button, reads the status, the frame tabs and the plots, and searches in the
ContactExplorer. Everything the test reads was sent to the browser by the kernel's widgets.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

UTK = re.compile(r"^[0-9a-f]{32}$")
DONE = re.compile(r"Done: ([\d,]+) of ([\d,]+) utks matched a contact")
#: A widget button (not a notebook toolbar button) whose text is exactly "Run"; its accessible
#: name also holds the icon font's glyph, so match the text.
RUN_BUTTON, RUN_LABEL = "button.jupyter-button", re.compile(r"^\s*Run\s*$")
#: Running the notebook (sandbox start, 1,800 lookups, plots) takes 5-30 s on 2 cores.
RUN_TIMEOUT_MS = 120_000


def _menu(page: Any, menu: str, item: str) -> None:
    """Click a JupyterLab menu-bar entry, then one of its items."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$")).click()


def _wait_for_kernel(page: Any) -> None:
    """Wait until the notebook's kernel is idle, accepting the kernel dialog if it asks."""
    from playwright.sync_api import expect

    idle = page.locator(".jp-StatusBar-Item", has_text=re.compile(r"\|\s*Idle"))
    dialog = page.locator(".jp-Dialog")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not idle.count():
        if dialog.count():  # "Select Kernel": accept the notebook's own (python3)
            dialog.locator(".jp-mod-accept").click()
        page.wait_for_timeout(250)
    expect(idle).to_be_visible(timeout=1_000)


def _output_with(page: Any, inner: Any) -> Any:
    """The cell output area holding ``inner`` (a page-level locator, matched inside)."""
    return page.locator(".jp-OutputArea-output").filter(has=inner)


def _tab(widget: Any, title: str) -> Any:
    """Click a tab of an ipywidgets Tab; the now visible panel's content."""
    widget.locator(".lm-TabBar-tab", has_text=re.compile(f"^{re.escape(title)}$")).click()
    return widget.locator(".widget-tab-contents > .lm-Widget:not(.lm-mod-hidden)")


def _count(text: str) -> int:
    return int(text.replace(",", "").strip())


def test_analyst_runs_the_widgets_notebook(lab_server: Any, page: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    started = time.monotonic()
    page.set_default_timeout(30_000)
    page.goto(f"{lab_server.url}/lab/tree/03-widgets.ipynb")
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=90_000)
    _wait_for_kernel(page)
    opened = time.monotonic()

    # Run the notebook from a clean slate, so nothing below is the saved output.
    _menu(page, "Edit", "Clear Outputs of All Cells")
    expect(page.locator(".jp-OutputArea-output")).to_have_count(0)
    _menu(page, "Run", "Run All Cells")
    last_output = page.locator(".jp-OutputArea-output", has_text="contacts in all")
    expect(last_output).to_be_visible(timeout=RUN_TIMEOUT_MS)
    ran = time.monotonic()

    # The LookupForm: the one output holding a button labelled exactly "Run".
    run_button = page.locator(".jp-OutputArea-output").locator(RUN_BUTTON, has_text=RUN_LABEL)
    expect(run_button).to_have_count(1)
    form = _output_with(page, page.locator(RUN_BUTTON, has_text=RUN_LABEL))
    expect(form.get_by_text(DONE)).to_be_visible()
    memberships = form.locator("tr").filter(has=page.locator("td", has_text="list_memberships"))
    expect(memberships.locator("td").nth(1)).to_have_text("0")  # the notebook did not ask

    # Tick "list memberships" and click Run, as an analyst would.
    form.get_by_label("list memberships").check()
    run_button.click()
    expect(memberships.locator("td").nth(1)).not_to_have_text("0", timeout=RUN_TIMEOUT_MS)
    # The table fills before the run ends: the plots are drawn next, then the status says
    # "Done" (on a loaded machine the drawing alone took more than expect's 5 s).
    status = form.get_by_text(DONE)
    expect(status).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(run_button).to_be_enabled()
    clicked = time.monotonic()
    matched, asked = (_count(n) for n in DONE.search(status.inner_text()).groups())
    assert 0 < matched <= asked
    assert _count(memberships.locator("td").nth(1).inner_text()) > 0

    # The frame tabs: a table of contacts keyed by utk, and the memberships just asked for.
    tabs = form.locator(".jupyter-widget-tab, .widget-tab").first
    titles = tabs.locator(".lm-TabBar-tab").all_inner_texts()
    assert [t.strip() for t in titles][:2] == ["wide", "contacts"]
    assert titles[-1].strip() == "plots"
    contacts = _tab(tabs, "contacts").locator("table.dataframe")
    expect(contacts).to_be_visible()
    headers = [h.strip() for h in contacts.locator("thead th").all_inner_texts()]
    assert headers[:2] == ["utk", "vid"]
    first_utks = contacts.locator("tbody tr td:first-child").all_inner_texts()
    assert first_utks and all(UTK.match(u.strip()) for u in first_utks)
    form.screenshot(path=str(tmp_path / "lookup-form-table.png"))
    lists = _tab(tabs, "list_memberships").locator("table.dataframe tbody tr")
    expect(lists.first).to_be_visible()

    # The plots tab: every plot is a decoded PNG image.
    plots = _tab(tabs, "plots").locator("img")
    expect(plots.first).to_be_visible()
    widths = plots.evaluate_all("images => images.map(i => i.complete ? i.naturalWidth : 0)")
    assert len(widths) >= 3 and all(width > 100 for width in widths), widths
    form_shot = tmp_path / "lookup-form-plots.png"
    form.screenshot(path=str(form_shot))

    # The ContactExplorer: searching narrows the contact dropdown to matching people.
    explorer = _output_with(page, page.get_by_placeholder("email, name or utk"))
    contact = explorer.get_by_label("contact", exact=True)
    everyone = contact.locator("option").count()
    explorer.get_by_placeholder("email, name or utk").fill("acme")
    expect(contact.locator("option")).not_to_have_count(everyone)
    labels = contact.locator("option").all_inner_texts()
    assert 0 < len(labels) < everyone
    assert all("acme" in label.lower() for label in labels)
    explorer_shot = tmp_path / "contact-explorer.png"
    explorer.screenshot(path=str(explorer_shot))
    page_shot = tmp_path / "jupyterlab.png"
    page.screenshot(path=str(page_shot))

    print(
        f"\nscreenshots: {form_shot} {explorer_shot} {page_shot}"
        f"\ntimings: open {opened - started:.1f} s, run all {ran - opened:.1f} s, "
        f"click Run {clicked - ran:.1f} s, total {time.monotonic() - started:.1f} s"
    )
